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

fn push_encoded(out: &mut String, text: &str) {
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => out.push(b as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_url_search_params() {
        assert_eq!(encode(&[("grant_type", "refresh_token"), ("refresh_token", "a+b/c=d")]), "grant_type=refresh_token&refresh_token=a%2Bb%2Fc%3Dd");
        assert_eq!(encode(&[("scope", "read:resources write:resources")]), "scope=read%3Aresources+write%3Aresources");
        assert_eq!(encode(&[("x", "é&")]), "x=%C3%A9%26");
        assert_eq!(encode(&[]), "");
    }
}
