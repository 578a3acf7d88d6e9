//! What a non-2xx answer from the API means, as a coded [`Error`].

use crate::jose::json::Value;

use crate::Error;

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
}

/// Longest `error_description` carried into an error message.
const MAX_DESCRIPTION_CHARS: usize = 200;

impl Answer<'_> {
    /// `(error, error_description)` of an RFC 6749 5.2 error body, when the body is one.
    fn oauth_error(&self) -> (Option<String>, Option<String>) {
        let Ok(body) = crate::jose::json::parse_object(self.body) else { return (None, None) };
        let text = |name: &str| match body.get(name) {
            Some(Value::String(s)) => Some(s.chars().filter(|c| !c.is_control()).take(MAX_DESCRIPTION_CHARS).collect()),
            _ => None,
        };
        (text("error"), text("error_description"))
    }

    /// The error this answer means for `purpose`.
    pub fn error(&self, purpose: Purpose) -> Error {
        let (error, description) = self.oauth_error();
        match (self.status, purpose) {
            (429, _) => Error::RateLimited { retry_after: self.retry_after.and_then(|v| v.trim().parse().ok()) },
            (401, Purpose::Login) => Error::InvalidCredentials,
            (400, Purpose::Login) if error.as_deref() == Some("invalid_grant") => Error::InvalidCredentials,
            (401, Purpose::Refresh) => Error::SessionExpired,
            (400, Purpose::Refresh) if error.as_deref() == Some("invalid_grant") => Error::SessionExpired,
            (status, _) => Error::Http { status, error, description },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str) -> Error {
        Answer { status, body: body.as_bytes(), retry_after: None }.error(Purpose::Other)
    }

    fn for_purpose(status: u16, body: &str, purpose: Purpose) -> &'static str {
        Answer { status, body: body.as_bytes(), retry_after: None }.error(purpose).code()
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
        assert_eq!(
            e,
            Error::Http {
                status: 403,
                error: Some("insufficient_scope".into()),
                description: Some("needswrite".into())
            }
        );
        assert_eq!(
            answer(502, "<html>bad gateway</html>"),
            Error::Http { status: 502, error: None, description: None }
        );
        let long = format!(r#"{{"error":"x","error_description":"{}"}}"#, "d".repeat(5000));
        let Error::Http { description: Some(d), .. } = answer(500, &long) else { panic!("expected Http") };
        assert_eq!(d.chars().count(), MAX_DESCRIPTION_CHARS);
    }

    #[test]
    fn rate_limits_carry_retry_after() {
        let a = Answer { status: 429, body: b"{}", retry_after: Some(" 17 ") };
        assert_eq!(a.error(Purpose::Login), Error::RateLimited { retry_after: Some(17) });
        let b = Answer { status: 429, body: b"{}", retry_after: Some("Wed, 21 Oct 2015 07:28:00 GMT") };
        assert_eq!(b.error(Purpose::Login), Error::RateLimited { retry_after: None });
    }
}
