//! The `htu` comparison of RFC 9449 section 4.3 (step 9): the proof's `htu` and the request's
//! URL are compared without query and fragment, after the syntax-based and scheme-based
//! normalisation of RFC 3986 sections 6.2.2 and 6.2.3: scheme and host in lower case, the
//! default port dropped, an empty path as `/`, percent-encodings of unreserved characters
//! decoded and the others' hex digits in upper case, dot segments removed. Only http and https
//! URLs without user information are accepted: nothing else is a resource a proof can name.

/// Why a URL cannot be compared (never the URL itself: it may be the attacker's).
pub type Refusal = &'static str;

/// `url` normalised for comparison, without its query and fragment. (On bytes, without `&str`
/// pattern search, which would add a substring searcher to the wasm.)
pub fn normalize(url: &str) -> Result<String, Refusal> {
    let url = url.as_bytes();
    if !url.iter().all(u8::is_ascii_graphic) {
        return Err("htu must be an ASCII URI without spaces");
    }
    let url = &url[..url.iter().position(|b| matches!(b, b'?' | b'#')).unwrap_or(url.len())];
    let starts = |prefix: &[u8]| url.len() >= prefix.len() && url[..prefix.len()].eq_ignore_ascii_case(prefix);
    let (scheme, default_port): (&[u8], &[u8]) = if starts(b"https://") {
        (b"https://", b"443")
    } else if starts(b"http://") {
        (b"http://", b"80")
    } else {
        return Err("htu must be an absolute http or https URI");
    };
    let rest = &url[scheme.len()..];
    let (authority, path) = rest.split_at(rest.iter().position(|b| *b == b'/').unwrap_or(rest.len()));
    if authority.contains(&b'@') {
        return Err("htu must not carry user information");
    }
    // The port follows the last colon outside an IPv6 literal's brackets.
    let (host, port) = match authority.iter().rposition(|b| *b == b':') {
        Some(at) if !authority[at..].contains(&b']') => (&authority[..at], &authority[at + 1..]),
        _ => (authority, &b""[..]),
    };
    if host.is_empty() || !port.iter().all(u8::is_ascii_digit) {
        return Err("htu has no host, or a port that is not a number");
    }
    let digits = &port[port.iter().position(|b| *b != b'0').unwrap_or(port.len())..];
    let port = if digits.is_empty() && !port.is_empty() { &b"0"[..] } else { digits };
    let mut out = scheme.to_vec();
    percent_normalized(host, &mut out)?;
    out[scheme.len()..].make_ascii_lowercase();
    if !port.is_empty() && port != default_port {
        out.push(b':');
        out.extend_from_slice(port);
    }
    let mut normal_path = Vec::with_capacity(path.len());
    percent_normalized(path, &mut normal_path)?;
    remove_dot_segments(&normal_path, &mut out);
    String::from_utf8(out).map_err(|_| "htu must be an ASCII URI without spaces")
}

/// The path of a URL [`normalize`] returned (from the `/` after its authority on), as bytes (a
/// byte slice cut at `min(len)` cannot fail; a `&str` one would bring a slice panic's
/// char-boundary formatting into the wasm).
pub fn path(normal: &str) -> &[u8] {
    let bytes = normal.as_bytes();
    // After `scheme://`: the authority has no `/`, and the normalised path starts with one.
    let authority = bytes.iter().position(|b| *b == b':').map_or(0, |at| at + 3);
    let at = bytes.iter().skip(authority).position(|b| *b == b'/').map_or(bytes.len(), |at| at + authority);
    &bytes[at.min(bytes.len())..]
}

/// Whether `c` is an RFC 3986 unreserved character (section 2.3).
fn unreserved(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~')
}

/// `text` onto `out` with percent-encodings of unreserved characters decoded and the others'
/// hex digits in upper case (RFC 3986 sections 6.2.2.1 and 6.2.2.2); a `%` without two hex
/// digits is refused.
fn percent_normalized(text: &[u8], out: &mut Vec<u8>) -> Result<(), Refusal> {
    let mut i = 0;
    while i < text.len() {
        if text[i] != b'%' {
            out.push(text[i]);
            i += 1;
            continue;
        }
        let hex = |at: usize| text.get(at).and_then(|b| (*b as char).to_digit(16));
        let (Some(high), Some(low)) = (hex(i + 1), hex(i + 2)) else {
            return Err("htu has a malformed percent-encoding");
        };
        let byte = (high * 16 + low) as u8;
        if unreserved(byte) {
            out.push(byte);
        } else {
            out.push(b'%');
            let at = out.len();
            out.extend_from_slice(&text[i + 1..i + 3]);
            out[at..].make_ascii_uppercase();
        }
        i += 3;
    }
    Ok(())
}

/// RFC 3986 section 5.2.4 on an absolute path (empty: `/`), onto `out`.
fn remove_dot_segments(path: &[u8], out: &mut Vec<u8>) {
    let start = out.len();
    let mut segments = path.split(|b| *b == b'/').skip(1).peekable();
    while let Some(segment) = segments.next() {
        let last = segments.peek().is_none();
        match segment {
            b"." | b".." => {
                if segment == b".." {
                    // Back to the previous segment's slash (never before the path's start).
                    let slash = out[start..].iter().rposition(|b| *b == b'/').map_or(start, |at| start + at);
                    out.truncate(slash);
                }
                if last {
                    out.push(b'/');
                }
            }
            other => {
                out.push(b'/');
                out.extend_from_slice(other);
            }
        }
    }
    if out.len() == start {
        out.push(b'/');
    }
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
