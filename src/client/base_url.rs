//! The API's base URL (`https://api.example.com/v1`) and the endpoints under it.

use crate::Error;

/// A validated base URL: http(s), no query or fragment, no trailing slash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl(String);

impl BaseUrl {
    /// Checks `url`. Plain http is allowed (local development and the demo); the browser's
    /// mixed-content rules and the server's Secure cookies handle the rest.
    pub fn parse(url: &str) -> Result<BaseUrl, Error> {
        let bad = |why: &str| Error::InvalidOptions(format!("baseUrl {why}"));
        let trimmed = url.trim_end_matches('/');
        let (scheme, rest) = trimmed.split_once("://").ok_or_else(|| bad("must be an absolute http: or https: URL"))?;
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
