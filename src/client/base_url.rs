//! The API's base URL (`https://api.example.com/v1`) and the endpoints under it.

use crate::Error;

/// `url`'s scheme and what follows its first `://`, as `url.split_once("://")` would give them.
/// A byte search: a `&str` pattern would pull core's two-way string searcher (2.4 KB) into the
/// wasm.
pub fn split_scheme(url: &str) -> Option<(&str, &str)> {
    let at = url.as_bytes().windows(3).position(|w| w == b"://")?;
    Some((&url[..at], &url[at + 3..]))
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
