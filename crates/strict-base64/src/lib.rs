//! base64 (RFC 4648): base64url without padding for JOSE (RFC 7515 section 2) and standard
//! base64 with padding for PEM bodies and HTTP Basic credentials. Decoding is strict: no
//! whitespace, no padding where none belongs, padding exactly where it does, and no set bits
//! after the last byte (each byte string has one spelling, so a token cannot be altered
//! without changing its signed text). Written here, not taken from the base64 crate: its
//! general engine is ~5 KB of the wasm and its `encode` ends in an `expect` whose `Debug`
//! pulls core's formatting builders in; these loops are a tenth of that. A crate of its own so
//! that it builds at opt-level 3 while wasm-auth builds for size: every verification decodes
//! its token's three segments (Cargo.toml's release profile).

#![no_std]
extern crate alloc;

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Marks a byte that is not in the alphabet.
const NOT_BASE64: u8 = 0xff;

/// Each byte's 6-bit value in `alphabet`, or [`NOT_BASE64`].
const fn values_of(alphabet: &[u8; 64]) -> [u8; 256] {
    let mut values = [NOT_BASE64; 256];
    let mut i = 0;
    while i < 64 {
        values[alphabet[i] as usize] = i as u8;
        i += 1;
    }
    values
}

static URL_SAFE_VALUES: [u8; 256] = values_of(URL_SAFE);
static STANDARD_VALUES: [u8; 256] = values_of(STANDARD);

/// base64url without padding.
pub fn url_encode(bytes: &[u8]) -> String {
    encode(bytes, URL_SAFE, false)
}

/// Standard base64 with padding.
pub fn standard_encode(bytes: &[u8]) -> String {
    encode(bytes, STANDARD, true)
}

/// Strict base64url without padding; `None` for anything else.
pub fn url_decode(text: &[u8]) -> Option<Vec<u8>> {
    decode(text, &URL_SAFE_VALUES)
}

/// Strict standard base64 with canonical padding (a multiple of 4 characters, `=` only to fill
/// the last group); `None` for anything else.
pub fn standard_decode(text: &[u8]) -> Option<Vec<u8>> {
    if text.len() % 4 != 0 {
        return None;
    }
    let unpadded = match text {
        [rest @ .., b'=', b'='] => rest,
        [rest @ .., b'='] => rest,
        all => all,
    };
    // "xx==" leaves 2 characters in the last group and "xxx=" 3; a stray `=` elsewhere is not
    // in the alphabet and fails below.
    let filled = text.len() - unpadded.len();
    if filled > 0 && unpadded.len() % 4 != 4 - filled {
        return None;
    }
    decode(unpadded, &STANDARD_VALUES)
}

fn encode(bytes: &[u8], alphabet: &[u8; 64], pad: bool) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        // The chunk's 1 to 3 bytes as the top of a 24-bit group, then its 2 to 4 characters.
        let group = chunk.iter().enumerate().fold(0u32, |group, (i, b)| group | u32::from(*b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(alphabet[(group >> (18 - 6 * i)) as usize & 63]));
        }
        if pad {
            for _ in chunk.len()..3 {
                out.push('=');
            }
        }
    }
    out
}

/// Unpadded text in the alphabet of `values`: whole groups of 4 characters make 3 bytes; a
/// last group of 2 or 3 characters makes 1 or 2 bytes and its spare low bits must be 0; a last
/// group of 1 character holds no whole byte and is refused.
fn decode(text: &[u8], values: &[u8; 256]) -> Option<Vec<u8>> {
    let last = match text.len() % 4 {
        1 => return None,
        rest => rest,
    };
    let whole = text.len() / 4;
    let mut out = vec![0u8; whole * 3 + last.saturating_sub(1)];
    let (body, tail) = out.split_at_mut(whole * 3);
    // One check per group: every valid value is below 64, NOT_BASE64 has the top bit set.
    for (bytes, chars) in body.chunks_exact_mut(3).zip(text.chunks_exact(4)) {
        let (bits, invalid) = sextets(chars, values);
        if invalid {
            return None;
        }
        bytes.copy_from_slice(&[(bits >> 16) as u8, (bits >> 8) as u8, bits as u8]);
    }
    if last > 0 {
        let (bits, invalid) = sextets(text.get(whole * 4..)?, values);
        // 2 characters: 12 bits, 1 byte and 4 spare; 3 characters: 18 bits, 2 bytes and 2 spare.
        let spare = if last == 2 { 4 } else { 2 };
        if invalid || bits & ((1 << spare) - 1) != 0 {
            return None;
        }
        let bits = bits >> spare;
        match tail {
            [byte] => *byte = bits as u8,
            [high, low] => {
                *high = (bits >> 8) as u8;
                *low = bits as u8;
            }
            _ => return None,
        }
    }
    Some(out)
}

/// The 6-bit values of up to 4 characters, most significant first, and whether any character
/// was not in the alphabet.
#[inline(always)]
fn sextets(chars: &[u8], values: &[u8; 256]) -> (u32, bool) {
    let mut bits = 0u32;
    let mut seen = 0u8;
    for &c in chars {
        let value = values[usize::from(c)];
        seen |= value;
        bits = bits << 6 | u32::from(value & 63);
    }
    (bits, seen & 0x80 != 0)
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use alloc::vec::Vec;
    use base64::Engine as _;
    use base64::engine::general_purpose::{STANDARD as CRATE_STANDARD, URL_SAFE_NO_PAD};

    #[test]
    fn encoders_match_the_base64_crate_on_every_length_and_byte() {
        for len in 0..=510 {
            for shift in 0..3u8 {
                let input: Vec<u8> = (0..len).map(|i| (i as u8).wrapping_mul(151).wrapping_add(shift)).collect();
                assert_eq!(url_encode(&input), URL_SAFE_NO_PAD.encode(&input), "{len}");
                assert_eq!(standard_encode(&input), CRATE_STANDARD.encode(&input), "{len}");
                assert_eq!(url_decode(url_encode(&input).as_bytes()).as_deref(), Some(&input[..]), "{len}");
                assert_eq!(standard_decode(standard_encode(&input).as_bytes()).as_deref(), Some(&input[..]), "{len}");
            }
        }
    }

    #[test]
    fn decoders_accept_and_refuse_exactly_what_the_base64_crate_does() {
        // Every string of up to 5 characters over letters that probe the trailing-bit rule
        // (A, B, Q, g, w), both alphabets' extra characters, padding and stray bytes.
        let letters = b"ABQgw-_+/= .";
        let mut text = Vec::new();
        let mut checked = 0;
        for len in 0..=5u32 {
            for mut n in 0..letters.len().pow(len) {
                text.clear();
                for _ in 0..len {
                    text.push(letters[n % letters.len()]);
                    n /= letters.len();
                }
                assert_eq!(
                    url_decode(&text),
                    URL_SAFE_NO_PAD.decode(&text).ok(),
                    "{:?}",
                    String::from_utf8_lossy(&text)
                );
                assert_eq!(
                    standard_decode(&text),
                    CRATE_STANDARD.decode(&text).ok(),
                    "{:?}",
                    String::from_utf8_lossy(&text)
                );
                checked += 1;
            }
        }
        assert!(checked > 270_000);
    }

    #[test]
    fn decoders_refuse_non_ascii_and_padding_in_the_middle() {
        assert_eq!(url_decode("QQ\u{e9}".as_bytes()), None);
        assert_eq!(standard_decode(b"QQ==QQ=="), None);
        assert_eq!(standard_decode(b"===="), None);
        assert_eq!(standard_decode(b""), Some(Vec::new()));
        assert_eq!(url_decode(b""), Some(Vec::new()));
    }
}
