//! The API's base URL (`https://api.example.com/v1`) and the endpoints under it.

use super::request_line::redact_url;
use crate::Error;

/// `url`'s scheme and what follows its first `://`, as `url.split_once("://")` would give them.
/// A byte search: a `&str` pattern would pull core's two-way string searcher (2.4 KB) into the
/// wasm. (`get`, never failing next to the ASCII `://`, rather than indexing: a `&str` slice's
/// panic brings char-boundary formatting into the wasm.)
pub fn split_scheme(url: &str) -> Option<(&str, &str)> {
    let at = url.as_bytes().windows(3).position(|w| w == b"://")?;
    Some((url.get(..at)?, url.get(at + 3..)?))
}

/// Whether the path part of `path` (up to `?` or `#`) has a `.` or `..` segment, also written
/// with `%2e` or with the `\` that URL parsing reads as `/`.
fn has_dot_segment(path: &str) -> bool {
    let path = path.as_bytes();
    let end = path.iter().position(|b| matches!(b, b'?' | b'#')).unwrap_or(path.len());
    // `get` never fails here (`end` is a position in `path`); were it to, "has one" is the safe
    // answer.
    path.get(..end).is_none_or(|path| {
        path.split(|&b| b == b'/' || b == b'\\').any(|segment| {
            let lower = segment.to_ascii_lowercase();
            matches!(lower.as_slice(), b"." | b".." | b"%2e" | b".%2e" | b"%2e." | b"%2e%2e")
        })
    })
}

/// A validated base URL: http(s), no query or fragment, no trailing slash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl(String);

impl BaseUrl {
    /// Checks `url`. Plain http is allowed (local development and the demo); the browser's
    /// mixed-content rules and the server's Secure cookies handle the rest.
    pub fn parse(url: &str) -> Result<BaseUrl, Error> {
        let bad = |why: &str| Error::InvalidOptions(format!("baseUrl {why}"));
        let trimmed = url.trim_end_matches('/');
        let (scheme, rest) = split_scheme(trimmed).ok_or_else(|| bad("must be an absolute http: or https: URL"))?;
        if !scheme.eq_ignore_ascii_case("https") && !scheme.eq_ignore_ascii_case("http") {
            return Err(bad("must be an http: or https: URL"));
        }
        let host = rest.split('/').next().unwrap_or_default();
        if host.is_empty() || host.contains('@') {
            return Err(bad("must name a host (and no user or password)"));
        }
        if trimmed.contains(['?', '#']) || trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad("must not have a query, a fragment or spaces"));
        }
        Ok(BaseUrl(trimmed.to_owned()))
    }

    /// `url`, or, for a path (`/v1`: the usual same-origin or dev-proxy setup), that path on
    /// the page's origin. `page_origin` is the page's `location.origin`, `None` where there is no
    /// page (Node, workers): there a path cannot be resolved and is refused.
    pub fn resolve(url: &str, page_origin: Option<&str>) -> Result<BaseUrl, Error> {
        let path = url.starts_with('/') && !url.starts_with("//");
        if !path {
            return BaseUrl::parse(url);
        }
        match page_origin {
            // An opaque origin ("null": a file: page, a sandboxed frame) has nothing to resolve against.
            Some(origin) if origin != "null" => {
                let mut absolute = origin.to_owned();
                absolute.push_str(url);
                BaseUrl::parse(&absolute)
            }
            _ => Err(Error::InvalidOptions(
                "baseUrl is a path: a path resolves against the page's location in a browser page only; \
                 here give an absolute http: or https: URL"
                    .into(),
            )),
        }
    }

    /// The base's path (`/v1`; empty for `https://api.example`).
    fn path(&self) -> &str {
        let rest = split_scheme(&self.0).map_or("", |(_, rest)| rest);
        // From the first `/` on (none: empty), without a fallible slice.
        rest.trim_start_matches(|c| c != '/')
    }

    /// Refuses a `fetch` input that starts with `/` and leaves the base's path: with baseUrl
    /// `https://h/v1`, `'/resources'` is `https://h/resources` (URL resolution), almost always
    /// meant as `'resources'`, and would quietly get the origin's 404. The message shows the
    /// relative form; an absolute URL stays the way to reach another path. Other inputs (relative
    /// paths, absolute and scheme-relative URLs) are not this check's business.
    pub fn check_fetch_path(&self, input: &str) -> Result<(), Error> {
        // `input` without its leading `/`; not a path (no `/`, or a scheme-relative `//`): not
        // this check's business.
        let Some(relative) = input.strip_prefix('/').filter(|after| !after.starts_with('/')) else {
            return Ok(());
        };
        let base = self.path();
        // A dot segment (`/v1/../admin`, `/v1/%2e%2e/admin`) resolves out of the path it starts
        // in, so it does not count as inside it.
        let inside = input
            .strip_prefix(base)
            .is_some_and(|after| (after.is_empty() || after.starts_with(['/', '?', '#'])) && !has_dot_segment(after));
        if base.is_empty() || inside {
            return Ok(());
        }
        let shown = redact_url(relative);
        let mut message = String::from("fetch('/");
        message.push_str(&shown);
        message.push_str("') leaves baseUrl's path ");
        message.push_str(base);
        message.push_str(": use '");
        message.push_str(&shown);
        message.push_str("' (relative to baseUrl ");
        message.push_str(&self.0);
        message.push_str("), or an absolute URL for another path");
        Err(Error::InvalidOptions(message))
    }

    /// `base + path`; `path` starts with `/`.
    pub fn endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.0)
    }

    /// The URL as given, without a trailing slash.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_scheme_splits_at_the_first_separator_like_split_once() {
        for url in ["https://a.example/x", "http://h://x", "://x", "https:/x", "", "é://ü", "ab:/", "x:///"] {
            assert_eq!(split_scheme(url), url.split_once("://"), "{url}");
        }
    }

    #[test]
    fn endpoints_join_under_the_base() {
        let base = BaseUrl::parse("https://api.example.com/v1/").expect("valid");
        assert_eq!(base.endpoint("/auth/login"), "https://api.example.com/v1/auth/login");
        assert_eq!(
            BaseUrl::parse("http://127.0.0.1:8080/v1").expect("valid").endpoint("/resources"),
            "http://127.0.0.1:8080/v1/resources"
        );
    }

    #[test]
    fn a_path_resolves_against_the_pages_origin_and_only_in_a_page() {
        let page = Some("http://localhost:5173");
        assert_eq!(BaseUrl::resolve("/v1", page).expect("a page").as_str(), "http://localhost:5173/v1");
        assert_eq!(BaseUrl::resolve("/v1/", page).expect("a page").as_str(), "http://localhost:5173/v1");
        assert_eq!(BaseUrl::resolve("/", page).expect("a page").as_str(), "http://localhost:5173");
        assert_eq!(
            BaseUrl::resolve("https://api.example/v1", page).expect("absolute").as_str(),
            "https://api.example/v1"
        );
        for (url, page) in
            [("/v1", None), ("/v1", Some("null")), ("//evil.example/v1", page), ("v1", page), ("/v1?x", page)]
        {
            let error = BaseUrl::resolve(url, page).expect_err(url);
            assert_eq!(error.code(), "ERR_AUTH_INVALID_OPTIONS", "{url}");
        }
        assert_eq!(
            BaseUrl::resolve("/v1", None).expect_err("no page").to_string(),
            "invalid options: baseUrl is a path: a path resolves against the page's location in a browser page only; \
             here give an absolute http: or https: URL"
        );
    }

    #[test]
    fn a_fetch_path_that_leaves_the_base_path_is_refused_with_its_relative_form() {
        let base = BaseUrl::parse("http://h/v1").expect("valid");
        for fine in ["resources", "/v1", "/v1/resources", "/v1?x=1", "https://h/resources", "//h/x", ""] {
            assert_eq!(base.check_fetch_path(fine), Ok(()), "{fine}");
        }
        let refused = base.check_fetch_path("/resources").expect_err("leaves /v1");
        assert_eq!(refused.code(), "ERR_AUTH_INVALID_OPTIONS");
        assert_eq!(
            refused.to_string(),
            "invalid options: fetch('/resources') leaves baseUrl's path /v1: use 'resources' (relative to baseUrl \
             http://h/v1), or an absolute URL for another path"
        );
        let secret = base.check_fetch_path("/v10/x?api_key=s3cret").expect_err("leaves /v1").to_string();
        assert!(secret.contains("'v10/x?api_key=…'") && !secret.contains("s3cret"), "{secret}");
        let root = BaseUrl::parse("https://api.example/").expect("valid");
        assert_eq!(root.check_fetch_path("/anything"), Ok(()));
        // Dot segments resolve out of /v1 (found by a review): refused like any other way out.
        for out in ["/v1/../admin", "/v1/%2e%2e/admin", "/v1/.%2E/admin", "/v1\\..\\admin", "/v1/x/./../../y"] {
            assert_eq!(base.check_fetch_path(out).map_err(|e| e.code()), Err("ERR_AUTH_INVALID_OPTIONS"), "{out}");
        }
        assert_eq!(base.check_fetch_path("/v1/a.b/..c?x=/../"), Ok(()));
    }

    #[test]
    fn bad_base_urls_are_option_errors() {
        for url in [
            "",
            "/v1",
            "api.example.com/v1",
            "ftp://x/v1",
            "https:///v1",
            "https://u:p@x/v1",
            "https://x/v1?a=1",
            "https://x/v1#f",
            "https://x/v 1",
        ] {
            assert_eq!(BaseUrl::parse(url).expect_err(url).code(), "ERR_AUTH_INVALID_OPTIONS", "{url}");
        }
    }
}
