//! `application/x-www-form-urlencoded` bodies (OAuth token and revocation requests).

/// Encodes `pairs` as a form body: unreserved characters as they are, space as `+`, every
/// other byte as `%XX` (the WHATWG URL standard's form serializer).
pub fn encode(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        push_encoded(&mut out, name);
        out.push('=');
        push_encoded(&mut out, value);
    }
    out
}

/// One form-encoded component (RFC 6749 2.3.1 encodes client credentials this way).
pub fn encode_component(text: &str) -> String {
    let mut out = String::new();
    push_encoded(&mut out, text);
    out
}

fn push_encoded(out: &mut String, text: &str) {
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => out.push(b as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
}

/// The name/value pairs of a query string or form body (`a=1&b=x+y`), decoded: `+` is a space,
/// `%XX` a byte; invalid UTF-8 becomes U+FFFD; a malformed escape is kept as it is.
pub fn decode(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (name, value) = part.split_once('=').unwrap_or((part, ""));
            (unescape(name), unescape(value))
        })
        .collect()
}

fn unescape(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(high), Some(low)) => {
                    out.push(high << 4 | low);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(digit: u8) -> Option<u8> {
    (digit as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_what_encode_makes_and_survives_garbage() {
        let pairs = [("code", "a+b/c=d"), ("state", "x y"), ("e", "é&")];
        let encoded = encode(&pairs);
        let decoded = decode(&encoded);
        assert_eq!(decoded, pairs.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect::<Vec<_>>());
        assert_eq!(
            decode("a=%zz&b=%4&c=%&d&&=e"),
            [
                ("a".into(), "%zz".into()),
                ("b".into(), "%4".into()),
                ("c".into(), "%".into()),
                ("d".into(), String::new()),
                (String::new(), "e".into())
            ]
        );
        assert_eq!(decode("x=%FF"), [("x".to_owned(), "\u{fffd}".to_owned())]);
        assert_eq!(decode(""), []);
    }

    #[test]
    fn encodes_like_url_search_params() {
        assert_eq!(
            encode(&[("grant_type", "refresh_token"), ("refresh_token", "a+b/c=d")]),
            "grant_type=refresh_token&refresh_token=a%2Bb%2Fc%3Dd"
        );
        assert_eq!(encode(&[("scope", "read:resources write:resources")]), "scope=read%3Aresources+write%3Aresources");
        assert_eq!(encode(&[("x", "é&")]), "x=%C3%A9%26");
        assert_eq!(encode(&[]), "");
    }
}
