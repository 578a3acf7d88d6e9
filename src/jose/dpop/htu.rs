//! The `htu` comparison of RFC 9449 section 4.3 (step 9): the proof's `htu` and the request's
//! URL are compared without query and fragment, after the syntax-based and scheme-based
//! normalisation of RFC 3986 sections 6.2.2 and 6.2.3: scheme and host in lower case, the
//! default port dropped, an empty path as `/`, percent-encodings of unreserved characters
//! decoded and the others' hex digits in upper case, dot segments removed. Only http and https
//! URLs without user information are accepted: nothing else is a resource a proof can name.

/// Why a URL cannot be compared (never the URL itself: it may be the attacker's).
pub type Refusal = &'static str;

/// `url` normalised for comparison, without its query and fragment.
pub fn normalize(url: &str) -> Result<String, Refusal> {
    if !url.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("htu must be an ASCII URI without spaces");
    }
    let url = url.split(['#', '?']).next().unwrap_or_default();
    let (scheme, rest) = url.split_once("://").ok_or("htu must be an absolute http or https URI")?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => "80",
        "https" => "443",
        _ => return Err("htu must be an http or https URI"),
    };
    let (authority, path) = rest.find('/').map_or((rest, ""), |at| rest.split_at(at));
    if authority.contains('@') {
        return Err("htu must not carry user information");
    }
    // The port follows the last colon outside an IPv6 literal's brackets.
    let (host, port) = match authority.rfind(':') {
        Some(at) if !authority[at..].contains(']') => (&authority[..at], &authority[at + 1..]),
        _ => (authority, ""),
    };
    if host.is_empty() {
        return Err("htu has no host");
    }
    if !port.bytes().all(|b| b.is_ascii_digit()) {
        return Err("htu has a port that is not a number");
    }
    let port = port.trim_start_matches('0');
    let port = if port.is_empty() && !authority.ends_with(':') && authority.len() > host.len() { "0" } else { port };
    let mut out = scheme;
    out.push_str("://");
    out.push_str(&percent_normalized(host)?.to_ascii_lowercase());
    if !port.is_empty() && port != default_port {
        out.push(':');
        out.push_str(port);
    }
    let path = percent_normalized(path)?;
    out.push_str(&remove_dot_segments(if path.is_empty() { "/" } else { &path }));
    Ok(out)
}

/// Whether `c` is an RFC 3986 unreserved character (section 2.3).
fn unreserved(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~')
}

/// Percent-encodings of unreserved characters decoded, the rest with upper-case hex digits
/// (RFC 3986 sections 6.2.2.1 and 6.2.2.2); a `%` without two hex digits is refused.
fn percent_normalized(text: &str) -> Result<String, Refusal> {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'%' {
            out.push(bytes[i] as char);
            i += 1;
            continue;
        }
        let hex = |at: usize| bytes.get(at).and_then(|b| (*b as char).to_digit(16));
        let (Some(high), Some(low)) = (hex(i + 1), hex(i + 2)) else {
            return Err("htu has a malformed percent-encoding");
        };
        let byte = (high * 16 + low) as u8;
        if unreserved(byte) {
            out.push(byte as char);
        } else {
            out.push('%');
            out.push(char::from_digit(high, 16).unwrap_or('0').to_ascii_uppercase());
            out.push(char::from_digit(low, 16).unwrap_or('0').to_ascii_uppercase());
        }
        i += 3;
    }
    Ok(out)
}

/// RFC 3986 section 5.2.4 on an absolute path.
fn remove_dot_segments(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    let mut parts = path.split('/').skip(1).peekable();
    while let Some(segment) = parts.next() {
        let last = parts.peek().is_none();
        match segment {
            "." | ".." => {
                if segment == ".." {
                    segments.pop();
                }
                if last {
                    segments.push("");
                }
            }
            other => segments.push(other),
        }
    }
    let mut out = String::with_capacity(path.len());
    for segment in segments {
        out.push('/');
        out.push_str(segment);
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(a: &str, b: &str) -> bool {
        normalize(a).expect(a) == normalize(b).expect(b)
    }

    #[test]
    fn query_and_fragment_are_not_compared() {
        assert!(same(
            "https://resource.example.org/protectedresource",
            "https://resource.example.org/protectedresource?x=1#f"
        ));
        assert!(same("https://a.example/p#frag?x", "https://a.example/p"));
        assert_eq!(normalize("https://a.example/p?q=1").as_deref(), Ok("https://a.example/p"));
    }

    #[test]
    fn scheme_host_port_and_empty_path() {
        assert!(same("HTTPS://Server.Example.COM", "https://server.example.com/"));
        assert!(same("https://a.example:443/x", "https://a.example/x"));
        assert!(same("http://a.example:80/x", "http://a.example/x"));
        assert!(same("http://a.example:/x", "http://a.example/x"));
        assert!(same("http://a.example:0080/x", "http://a.example/x"));
        assert!(!same("https://a.example:8443/x", "https://a.example/x"));
        assert!(!same("http://a.example/x", "https://a.example/x"));
        assert!(!same("https://a.example/x", "https://b.example/x"));
        assert_eq!(normalize("http://[::1]:8080/a").as_deref(), Ok("http://[::1]:8080/a"));
        assert_eq!(normalize("http://[::1]/a").as_deref(), Ok("http://[::1]/a"));
        assert_eq!(normalize("http://127.0.0.1:8080").as_deref(), Ok("http://127.0.0.1:8080/"));
    }

    #[test]
    fn paths_are_case_sensitive_and_percent_encodings_normalised() {
        assert!(!same("https://a.example/X", "https://a.example/x"));
        assert!(same("https://a.example/%7euser/%61", "https://a.example/~user/a"));
        assert!(same("https://a.example/a%2fb", "https://a.example/a%2Fb"));
        assert!(!same("https://a.example/a%2Fb", "https://a.example/a/b"));
        assert!(same("https://a.example/a/./b/../c", "https://a.example/a/c"));
        assert!(same("https://a.example/a/..", "https://a.example/"));
    }

    #[test]
    fn what_is_not_an_http_uri_is_refused() {
        for bad in [
            "",
            "/relative/path",
            "ftp://a.example/",
            "https:///path",
            "https://user:pw@a.example/",
            "https://a.example:x/",
            "https://a.example/%zz",
            "https://a.example/%4",
            "https://a.example/é",
            "https://a.example/a b",
        ] {
            assert!(normalize(bad).is_err(), "{bad}");
        }
    }
}
