//! The cookie-session client's decisions (`SessionClient`): its login request, and what the
//! `GET /session` answers mean. The web layer sends the requests and acts on these answers.

use crate::client::base_url::BaseUrl;
use crate::client::oauth::{self, Post};

/// `POST {baseUrl}/session/login` with `{"email", "password"}` (the body holds the password,
/// hence a [`crate::client::Secret`]).
pub fn login_request(base: &BaseUrl, email: &str, password: &str) -> Post {
    oauth::json_login(base.endpoint("/session/login"), email, password)
}

/// What the check after a successful login (`GET /session`) tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterLogin {
    /// The cookie came back: the check's own answer is the session.
    UseCheck,
    /// A server without the check endpoint (404, 405): the login's answer is the session.
    UseLogin,
    /// The server answered, but without the session: the browser did not keep the cookie
    /// (blocked, or the API is cross-site).
    CookiesBlocked,
    /// Another status: the server's error.
    Failed,
}

/// The meaning of the check's `status` right after a login that succeeded.
pub fn after_login(status: u16) -> AfterLogin {
    match status {
        200..=299 => AfterLogin::UseCheck,
        404 | 405 => AfterLogin::UseLogin,
        401 => AfterLogin::CookiesBlocked,
        _ => AfterLogin::Failed,
    }
}

/// What `GET /session` means when the page asks who is logged in (`current()`): `Some(true)`
/// a session (its answer is the body), `Some(false)` nobody (401), `None` the server's error.
pub fn current(status: u16) -> Option<bool> {
    match status {
        200..=299 => Some(true),
        401 => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_login_request_posts_json_with_the_password_kept_secret() {
        let base = BaseUrl::parse("https://api.example/v1/").unwrap();
        let post = login_request(&base, "a@b.example", "pa\"ss");
        assert_eq!(post.url, "https://api.example/v1/session/login");
        assert_eq!(post.content_type, oauth::JSON);
        assert_eq!(post.body.expose(), r#"{"email":"a@b.example","password":"pa\"ss"}"#);
        assert!(!format!("{post:?}").contains("pa\\\"ss"), "the password stays out of Debug");
    }

    #[test]
    fn the_check_after_login_tells_a_kept_cookie_from_a_blocked_one() {
        assert_eq!(after_login(200), AfterLogin::UseCheck);
        assert_eq!(after_login(204), AfterLogin::UseCheck);
        assert_eq!(after_login(404), AfterLogin::UseLogin);
        assert_eq!(after_login(405), AfterLogin::UseLogin);
        assert_eq!(after_login(401), AfterLogin::CookiesBlocked);
        assert_eq!(after_login(403), AfterLogin::Failed);
        assert_eq!(after_login(500), AfterLogin::Failed);
    }

    #[test]
    fn current_is_a_session_nobody_or_an_error() {
        assert_eq!(current(200), Some(true));
        assert_eq!(current(401), Some(false));
        assert_eq!(current(403), None);
        assert_eq!(current(502), None);
    }
}
