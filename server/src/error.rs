//! Every error answer: JSON `{error, error_description}` with RFC 6749 / RFC 6750 names, the
//! right status, and `WWW-Authenticate` / `Retry-After` where the RFCs ask for them.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An error answer. Descriptions never contain secrets or echo credentials.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    error: &'static str,
    description: String,
    www_authenticate: Option<String>,
    retry_after: Option<u64>,
    /// A `DPoP-Nonce` header (RFC 9449 8 and 9): the nonce the next proof must carry.
    dpop_nonce: Option<String>,
}

pub type ApiResult<T> = Result<T, ApiError>;

/// The `realm` of every challenge.
pub const REALM: &str = "wasm-auth";

impl ApiError {
    pub fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> Self {
        ApiError {
            status,
            error,
            description: description.into(),
            www_authenticate: None,
            retry_after: None,
            dpop_nonce: None,
        }
    }

    /// 400 invalid_request: malformed or missing parameters.
    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    /// invalid_grant: a credential, code or refresh token that is wrong, expired or revoked.
    pub fn invalid_grant(status: StatusCode, description: impl Into<String>) -> Self {
        Self::new(status, "invalid_grant", description)
    }

    /// 401 without credentials: RFC 6750 3.1 says no error code in the challenge then.
    pub fn missing_credentials() -> Self {
        ApiError {
            www_authenticate: Some(format!("Bearer realm=\"{REALM}\"")),
            ..Self::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "authentication required: send a Bearer token, an X-API-Key header, or the session cookie",
            )
        }
    }

    /// 401 invalid_token: credentials present but not valid.
    pub fn invalid_token(description: impl Into<String>) -> Self {
        let description = description.into();
        ApiError {
            www_authenticate: Some(format!(
                "Bearer realm=\"{REALM}\", error=\"invalid_token\", error_description=\"{}\"",
                description.replace('"', "'")
            )),
            ..Self::new(StatusCode::UNAUTHORIZED, "invalid_token", description)
        }
    }

    /// 403 insufficient_scope, naming the scope the request needs.
    pub fn insufficient_scope(scope: &str) -> Self {
        ApiError {
            www_authenticate: Some(format!(
                "Bearer realm=\"{REALM}\", error=\"insufficient_scope\", scope=\"{scope}\""
            )),
            ..Self::new(StatusCode::FORBIDDEN, "insufficient_scope", format!("this request needs the scope {scope}"))
        }
    }

    /// 401 invalid_client (RFC 6749 5.2); a Basic challenge when Basic was used.
    pub fn invalid_client(used_basic: bool) -> Self {
        ApiError {
            www_authenticate: used_basic.then(|| format!("Basic realm=\"{REALM}\"")),
            ..Self::new(StatusCode::UNAUTHORIZED, "invalid_client", "client authentication failed")
        }
    }

    /// 429 with Retry-After.
    pub fn rate_limited(retry_after: u64) -> Self {
        ApiError {
            retry_after: Some(retry_after),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_requests",
                format!("too many failed attempts; retry in {retry_after} s"),
            )
        }
    }

    /// 400 invalid_dpop_proof at a token endpoint (RFC 9449 5): the DPoP proof is missing a
    /// part, malformed, badly signed, stale, replayed, or for another request.
    pub fn invalid_dpop_proof(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_dpop_proof", description)
    }

    /// 400 use_dpop_nonce at a token endpoint (RFC 9449 8): retry with the nonce `nonce`.
    pub fn use_dpop_nonce(nonce: String) -> Self {
        ApiError {
            dpop_nonce: Some(nonce),
            ..Self::new(
                StatusCode::BAD_REQUEST,
                "use_dpop_nonce",
                "this server requires a nonce in DPoP proofs: retry with the one in the DPoP-Nonce header",
            )
        }
    }

    /// A refusal with a challenge decided elsewhere (the DPoP ones, by the wasm-auth core's
    /// refusal table) and, for `use_dpop_nonce`, the nonce to send in `DPoP-Nonce`.
    pub fn challenge(
        status: StatusCode,
        error: &'static str,
        description: impl Into<String>,
        www_authenticate: Option<String>,
        dpop_nonce: Option<String>,
    ) -> Self {
        ApiError { www_authenticate, dpop_nonce, ..Self::new(status, error, description) }
    }

    /// 403 for a cookie-authenticated state change from a foreign origin.
    pub fn csrf() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "invalid_request",
            "cross-origin request refused: the Origin (or, without one, the Referer) is not allowed for cookie-authenticated changes",
        )
    }

    pub fn not_found(description: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", description)
    }

    /// 500: the cause goes to the server log, never to the client.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        eprintln!("internal error: {cause}");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "server_error", "internal server error")
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn description(&self) -> &str {
        &self.description
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({ "error": self.error, "error_description": self.description });
        let mut response = (self.status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        if let Some(challenge) = self.www_authenticate.and_then(|c| HeaderValue::from_str(&c).ok()) {
            headers.insert(header::WWW_AUTHENTICATE, challenge);
        }
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if let Some(nonce) = self.dpop_nonce.and_then(|n| HeaderValue::from_str(&n).ok()) {
            headers.insert(crate::dpop::NONCE_HEADER, nonce);
        }
        response
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(err: rusqlite::Error) -> Self {
        ApiError::internal(format!("database: {err}"))
    }
}
