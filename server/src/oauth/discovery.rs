//! Discovery: RFC 8414 and OpenID Connect metadata, and the JWKS.

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::state::AppState;

fn metadata(state: &AppState) -> Value {
    let issuer = state.signer.issuer();
    json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/oauth/authorize"),
        "token_endpoint": format!("{issuer}/oauth/token"),
        "revocation_endpoint": format!("{issuer}/oauth/revoke"),
        "end_session_endpoint": format!("{issuer}/oauth/logout"),
        "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "scopes_supported": ["openid", "read:resources", "write:resources", "api_keys:read", "api_keys:write"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "authorization_response_iss_parameter_supported": true,
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "nonce", "email"],
        "dpop_signing_alg_values_supported": state.dpop.algorithms(),
    })
}

/// Public, cacheable documents: a verifier may keep them for a few minutes.
fn cached(body: Value) -> Response {
    let mut response = axum::Json(body).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    response
}

/// Served at both /.well-known/oauth-authorization-server and /.well-known/openid-configuration.
pub async fn metadata_document(State(state): State<AppState>) -> Response {
    cached(metadata(&state))
}

pub async fn jwks(State(state): State<AppState>) -> Response {
    cached(state.signer.jwks())
}
