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

/// The hook's nonces checked: at least one, each valid (the web layer passes a value that was
/// not a string as an empty one, which is refused).
pub fn accepted(nonces: &[String]) -> Result<(), Error> {
    if nonces.is_empty() || !nonces.iter().all(|nonce| is_valid(nonce)) { Err(refused()) } else { Ok(()) }
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
        let list = |items: &[&str]| items.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(accepted(&list(&["n-2", "n-1"])), Ok(()));
        for bad in [list(&[]), list(&[""]), list(&["ok", "bad\r\n"]), list(&["ok", ""])] {
            assert_eq!(accepted(&bad).map_err(|e| e.code()), Err("ERR_AUTH_INVALID_OPTIONS"), "{bad:?}");
        }
    }
}
