//! How a failed request is named in its error message: `POST https://api.example/v1/auth/login`,
//! and, for a request a page could not send to another origin, that CORS may be why.
//!
//! The web layer hands over the facts (the method, the URL, the page's origin when there is a
//! page); what the message says is decided here. A URL in a message never carries a secret:
//! no user or password, no query value (an `api_key=` among them), no fragment, and a bounded
//! length.

use super::base_url::split_scheme;

/// Longest URL, once redacted, that a message quotes; a longer one is cut and ends with `…`.
pub const MAX_URL_CHARS: usize = 160;

/// What every redacted query value reads as.
pub const REDACTED: &str = "…";

/// `url` fit for a message: without user and password (`https://u:p@h` is `https://h`), every
/// query value replaced by [`REDACTED`] (names kept: `?api_key=…&page=…`), without its
/// fragment, at most [`MAX_URL_CHARS`] characters.
///
/// One pass over the characters with byte searches, rather than `str` patterns, each of which
/// would add its own searcher to the wasm.
pub fn redact_url(url: &str) -> String {
    let mut out = String::new();
    let mut rest = url;
    // Only a real scheme (RFC 3986 3.1) starts an authority: in a relative input, a `://` inside
    // the query (`x?api_key=s&next=https://app`) must not make everything before it a "scheme"
    // copied out unredacted.
    if let Some((scheme, after)) = split_scheme(url).filter(|(scheme, _)| is_scheme(scheme)) {
        let authority = after.bytes().position(|b| matches!(b, b'/' | b'?' | b'#')).unwrap_or(after.len());
        let host_at = after.bytes().take(authority).rposition(|b| b == b'@').map_or(0, |at| at + 1);
        out.push_str(scheme);
        out.push_str("://");
        // `get` (never failing: `host_at` is 0 or follows an `@`) rather than a slice, whose panic
        // brings char-boundary formatting into the wasm; were it to fail, nothing of the URL
        // after the scheme is shown.
        rest = after.get(host_at..).unwrap_or_default();
    }
    let (mut in_query, mut in_value, mut kept) = (false, false, out.len());
    for c in rest.chars() {
        match c {
            '#' => break,
            '?' if !in_query => in_query = true,
            '&' if in_query => in_value = false,
            '=' if in_query && !in_value => in_value = true,
            _ if in_value => continue,
            _ => {}
        }
        if kept + 1 == MAX_URL_CHARS {
            out.push('…');
            break;
        }
        out.push(c);
        kept += 1;
        if c == '=' && in_value {
            out.push_str(REDACTED);
        }
    }
    out
}

/// `ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`.
fn is_scheme(text: &str) -> bool {
    let mut bytes = text.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
}

/// `METHOD url`, the URL redacted ([`redact_url`]): how messages name a request. A method that
/// is not a short word of letters (only the caller's own `fetch` can send one) reads `REQUEST`.
pub fn request_line(method: &str, url: &str) -> String {
    let word = method.len() <= 16 && !method.is_empty() && method.bytes().all(|b| b.is_ascii_alphabetic());
    let mut line = String::from(if word { method } else { "REQUEST" });
    line.push(' ');
    line.push_str(&redact_url(url));
    line
}

/// The page's origin when a request from it to `url` was cross-origin, which is when a failure
/// to fetch may be the server's CORS refusal rather than an unreachable server (browsers report
/// both alike, "Failed to fetch"). `None` outside a page or for a same-origin request (`url`
/// starts with the page's origin, compared without regard to ASCII case, then ends or goes on
/// with a path, query or fragment). An opaque origin ("null": a sandboxed frame, a file: page) is
/// cross-origin to everything.
pub fn cross_origin_page(url: &str, page_origin: Option<&str>) -> Option<String> {
    let page = page_origin?;
    let same = url.len() >= page.len()
        && url.as_bytes().get(..page.len()).is_some_and(|head| head.eq_ignore_ascii_case(page.as_bytes()))
        && matches!(url.as_bytes().get(page.len()), None | Some(b'/' | b'?' | b'#'));
    (!same).then(|| page.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_user_info_and_fragments_never_reach_a_message() {
        assert_eq!(
            redact_url("https://u:secret@api.example:8443/v1/keys?api_key=k-123&page=2&flag#frag"),
            "https://api.example:8443/v1/keys?api_key=…&page=…&flag"
        );
        assert_eq!(redact_url("http://127.0.0.1:8080/v1/auth/login"), "http://127.0.0.1:8080/v1/auth/login");
        assert_eq!(redact_url("https://h/p#a?b=c"), "https://h/p");
        assert_eq!(redact_url("https://h?token=abc"), "https://h?token=…");
        assert_eq!(redact_url("https://a@b@h/x"), "https://h/x");
        assert_eq!(redact_url("https://h/x?a=1=2&&b&c="), "https://h/x?a=…&&b&c=…");
        assert_eq!(redact_url("https://h/x?a=1?b=2"), "https://h/x?a=…");
        assert_eq!(redact_url("/v1/x?k=v"), "/v1/x?k=…");
        // A `://` inside a relative input's query or fragment is no scheme (a review found the
        // text before it copied out whole, api_key included).
        assert_eq!(redact_url("v2/x?api_key=s3cret&next=https://app/cb"), "v2/x?api_key=…&next=…");
        assert_eq!(redact_url("v2/x#access_token=T&r=http://a"), "v2/x");
        assert_eq!(redact_url("a+b.c-d://u:p@h/x"), "a+b.c-d://h/x");
        let long = format!("https://h/{}", "a".repeat(1000));
        let cut = redact_url(&long);
        assert_eq!(cut.chars().count(), MAX_URL_CHARS);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn request_lines_name_the_method_and_the_redacted_url() {
        assert_eq!(
            request_line("POST", "http://127.0.0.1:8080/v1/auth/login"),
            "POST http://127.0.0.1:8080/v1/auth/login"
        );
        assert_eq!(request_line("GET", "https://h/x?api_key=s3cret"), "GET https://h/x?api_key=…");
        assert_eq!(request_line("GE\nT<b>", "https://h/"), "REQUEST https://h/");
        assert_eq!(request_line("", "https://h/"), "REQUEST https://h/");
    }

    #[test]
    fn cors_is_suspected_only_for_a_page_on_another_origin() {
        let api = "http://127.0.0.1:8080/v1/auth/login";
        assert_eq!(cross_origin_page(api, None), None);
        assert_eq!(cross_origin_page(api, Some("http://127.0.0.1:8080")), None);
        assert_eq!(cross_origin_page("HTTP://127.0.0.1:8080/x", Some("http://127.0.0.1:8080")), None);
        assert_eq!(cross_origin_page(api, Some("http://localhost:8080")).as_deref(), Some("http://localhost:8080"));
        assert_eq!(cross_origin_page(api, Some("http://127.0.0.1:5173")).as_deref(), Some("http://127.0.0.1:5173"));
        assert_eq!(cross_origin_page(api, Some("null")).as_deref(), Some("null"));
        assert!(cross_origin_page("http://127.0.0.1:80801/x", Some("http://127.0.0.1:8080")).is_some());
    }
}
