//! What a non-2xx answer from the API means, as a coded [`Error`].

use crate::jose::json::Value;

use crate::{Error, HttpFailure};

/// What the request was for: the same status means different things to each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// `/auth/login` or `/session/login`: a 400/401 means wrong credentials.
    Login,
    /// A refresh-token grant: a 400/401 means the session is over.
    Refresh,
    /// Any other call.
    Other,
}

/// A failed HTTP answer: its status, body and `Retry-After` header.
#[derive(Debug, Clone, Copy)]
pub struct Answer<'a> {
    /// HTTP status.
    pub status: u16,
    /// Body bytes (JSON `{error, error_description}` from servers that follow RFC 6749).
    pub body: &'a [u8],
    /// The `Retry-After` header, if any.
    pub retry_after: Option<&'a str>,
    /// The request, as `METHOD url` redacted ([`super::request_line`]), for the message of an
    /// `ERR_AUTH_HTTP`; `None` when not known.
    pub request: Option<&'a str>,
}

/// Longest `error_description` kept (as the error's `description`, never in its message).
pub const MAX_DESCRIPTION_CHARS: usize = 200;

/// Longest `error` code kept: RFC 6749's codes are short words.
const MAX_ERROR_CODE_CHARS: usize = 64;

/// RFC 6749 (5.2, 4.1.2.1) `error` and `error_description` characters: %x20-21 / %x23-5B / %x5D-7E.
fn rfc6749_char(c: char) -> bool {
    matches!(c, '\x20'..='\x21' | '\x23'..='\x5b' | '\x5d'..='\x7e')
}

/// A server's `error` code, kept only when it is one RFC 6749 allows (non-empty, its
/// characters, short); anything else is not a code and is dropped.
pub fn error_code(text: &str) -> Option<String> {
    let valid = !text.is_empty() && text.len() <= MAX_ERROR_CODE_CHARS && text.chars().all(rfc6749_char);
    valid.then(|| text.to_owned())
}

/// A server's `error_description`, bounded and sanitised: control characters dropped, any
/// other character RFC 6749 does not allow (quotes, backslashes, non-ASCII) as `?`, at most
/// [`MAX_DESCRIPTION_CHARS`]. It is the server's text all the same: shown to users only as such.
pub fn description(text: &str) -> Option<String> {
    let clean: String = text
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| if rfc6749_char(c) { c } else { '?' })
        .take(MAX_DESCRIPTION_CHARS)
        .collect();
    (!clean.is_empty()).then_some(clean)
}

impl Answer<'_> {
    /// `(error, error_description)` of an RFC 6749 5.2 error body, when the body is one.
    fn oauth_error(&self) -> (Option<String>, Option<String>) {
        let Ok(body) = crate::jose::json::parse_object(self.body) else { return (None, None) };
        let text = |name: &str| match body.get(name) {
            Some(Value::String(s)) => Some(s.as_str()),
            _ => None,
        };
        (text("error").and_then(error_code), text("error_description").and_then(description))
    }

    /// The error this answer means for `purpose`.
    pub fn error(&self, purpose: Purpose) -> Error {
        let (error, description) = self.oauth_error();
        match (self.status, purpose) {
            (429, _) => {
                Error::RateLimited { retry_after: self.retry_after.and_then(|v| v.trim().parse::<u64>().ok()).into() }
            }
            (401, Purpose::Login) => Error::InvalidCredentials,
            (400, Purpose::Login) if error.as_deref() == Some("invalid_grant") => Error::InvalidCredentials,
            (401, Purpose::Refresh) => Error::SessionExpired,
            (400, Purpose::Refresh) if error.as_deref() == Some("invalid_grant") => Error::SessionExpired,
            (status, _) => Error::Http(Box::new(HttpFailure {
                status,
                error,
                description,
                request: self.request.map(str::to_owned),
                redirect: None,
            })),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str) -> Error {
        Answer { status, body: body.as_bytes(), retry_after: None, request: None }.error(Purpose::Other)
    }

    /// The Http error of an answer with no request line and no redirect.
    fn http(status: u16, error: Option<&str>, description: Option<&str>) -> Error {
        Error::Http(Box::new(HttpFailure {
            status,
            error: error.map(str::to_owned),
            description: description.map(str::to_owned),
            request: None,
            redirect: None,
        }))
    }

    fn for_purpose(status: u16, body: &str, purpose: Purpose) -> &'static str {
        Answer { status, body: body.as_bytes(), retry_after: None, request: None }.error(purpose).code()
    }

    #[test]
    fn login_and_refresh_refusals() {
        let grant = r#"{"error":"invalid_grant","error_description":"invalid email or password"}"#;
        assert_eq!(for_purpose(401, grant, Purpose::Login), "ERR_AUTH_INVALID_CREDENTIALS");
        assert_eq!(for_purpose(400, grant, Purpose::Login), "ERR_AUTH_INVALID_CREDENTIALS");
        assert_eq!(for_purpose(400, r#"{"error":"invalid_request"}"#, Purpose::Login), "ERR_AUTH_HTTP");
        assert_eq!(for_purpose(401, grant, Purpose::Refresh), "ERR_AUTH_SESSION_EXPIRED");
        assert_eq!(for_purpose(400, grant, Purpose::Refresh), "ERR_AUTH_SESSION_EXPIRED");
        assert_eq!(for_purpose(401, "", Purpose::Refresh), "ERR_AUTH_SESSION_EXPIRED");
        assert_eq!(for_purpose(400, r#"{"error":"invalid_client"}"#, Purpose::Refresh), "ERR_AUTH_HTTP");
        assert_eq!(for_purpose(401, grant, Purpose::Other), "ERR_AUTH_HTTP");
    }

    #[test]
    fn http_errors_carry_status_and_the_servers_code() {
        let e = answer(403, r#"{"error":"insufficient_scope","error_description":"needs\nwrite"}"#);
        assert_eq!(e, http(403, Some("insufficient_scope"), Some("needswrite")));
        assert_eq!(answer(502, "<html>bad gateway</html>"), http(502, None, None));
        let long = format!(r#"{{"error":"x","error_description":"{}"}}"#, "d".repeat(5000));
        let Error::Http(failure) = answer(500, &long) else { panic!("expected Http") };
        let d = failure.description.expect("a description");
        assert_eq!(d.chars().count(), MAX_DESCRIPTION_CHARS);
    }

    #[test]
    fn the_servers_words_stay_out_of_messages_and_are_checked() {
        let markup = r#"{"error":"<img src=x onerror=alert(1)>","error_description":"<b>\"caf\u00e9\"</b>\u202e"}"#;
        let e = answer(400, markup);
        assert_eq!(e, http(400, Some("<img src=x onerror=alert(1)>"), Some("<b>?caf??</b>?")));
        assert_eq!(e.to_string(), "the server answered HTTP 400");
        // Not an RFC 6749 error code: dropped.
        for bad in [r#""""#, r#""a\"b""#, r#""caf\u00e9""#, r#""line\nbreak""#] {
            let body = format!(r#"{{"error":{bad}}}"#);
            assert_eq!(answer(400, &body), http(400, None, None), "{bad}");
        }
        let long = format!(r#"{{"error":"{}"}}"#, "e".repeat(MAX_ERROR_CODE_CHARS + 1));
        assert_eq!(answer(400, &long), http(400, None, None));
    }

    #[test]
    fn http_errors_name_the_request_when_known() {
        let line = crate::client::request_line::request_line("POST", "http://127.0.0.1:8080/auth/login?x=1");
        let e = Answer { status: 405, body: b"", retry_after: None, request: Some(&line) }.error(Purpose::Login);
        assert_eq!(e.to_string(), "POST http://127.0.0.1:8080/auth/login?x=… answered HTTP 405");
        assert_eq!(answer(404, "").to_string(), "the server answered HTTP 404");
    }

    #[test]
    fn rate_limits_carry_retry_after() {
        let a = Answer { status: 429, body: b"{}", retry_after: Some(" 17 "), request: None };
        assert_eq!(a.error(Purpose::Login), Error::RateLimited { retry_after: Some(17).into() });
        let b = Answer { status: 429, body: b"{}", retry_after: Some("Wed, 21 Oct 2015 07:28:00 GMT"), request: None };
        assert_eq!(b.error(Purpose::Login), Error::RateLimited { retry_after: None.into() });
    }
}
