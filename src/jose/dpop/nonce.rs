//! Server nonces (RFC 9449 section 9) as the `dpopNonce` hook gives them: the nonce goes into a
//! `DPoP-Nonce` header and a `use_dpop_nonce` challenge, so it must be what section 8.1 allows
//! (`1*NQCHAR`: %x21 / %x23-5B / %x5D-7E, visible ASCII without `"` and `\`). Anything else
//! (a CR/LF, a quote, an empty string) is the server's bug: refused with
//! `ERR_AUTH_INVALID_OPTIONS` here rather than breaking the answer's headers later.

use crate::Error;

/// Whether `nonce` is RFC 9449 section 8.1's `1*NQCHAR`.
pub fn is_valid(nonce: &str) -> bool {
    !nonce.is_empty() && nonce.bytes().all(|b| matches!(b, 0x21 | 0x23..=0x5b | 0x5d..=0x7e))
}

/// The hook's nonces (`None` for an answer that was not a string), checked: at least one, each
/// valid; the current one first.
pub fn accepted(given: Vec<Option<String>>) -> Result<Vec<String>, Error> {
    let mut out = Vec::with_capacity(given.len());
    for nonce in given {
        match nonce {
            Some(nonce) if is_valid(&nonce) => out.push(nonce),
            _ => return Err(refused()),
        }
    }
    if out.is_empty() { Err(refused()) } else { Ok(out) }
}

fn refused() -> Error {
    Error::InvalidOptions(
        "dpopNonce must return a nonce or a non-empty array of them, each of RFC 9449 section 8.1's characters".into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_are_visible_ascii_without_quote_or_backslash() {
        assert!(is_valid("eyJ7S_zG.eyJH0-Z.HX4w-7v") && is_valid("!#[]~"));
        for bad in ["", "a b", "a\r\nSet-Cookie: x=1", "a\"b", "a\\b", "é", "a\tb", "\u{7f}"] {
            assert!(!is_valid(bad), "{bad:?}");
        }
    }

    #[test]
    fn the_hooks_answer_is_checked_whole() {
        let some = |s: &str| Some(s.to_owned());
        assert_eq!(accepted(vec![some("n-2"), some("n-1")]), Ok(vec!["n-2".to_owned(), "n-1".to_owned()]));
        for bad in [vec![], vec![None], vec![some("ok"), some("bad\r\n")], vec![some("")], vec![some("ok"), None]] {
            assert_eq!(accepted(bad).map_err(|e| e.code()), Err("ERR_AUTH_INVALID_OPTIONS"));
        }
    }
}
