//! POST /oauth/revoke (RFC 7009). Refresh tokens revoke their whole family; access tokens
//! (our JWTs) go on a deny-list until they expire. Unknown tokens still get 200, as the RFC
//! asks, so the endpoint tells nothing about which tokens exist.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};

use super::authenticate_client;
use crate::error::{ApiError, ApiResult};
use crate::extract::Form;
use crate::state::AppState;
use crate::tokens;

pub async fn revoke(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(params): Form<HashMap<String, String>>,
) -> ApiResult<StatusCode> {
    let token =
        params.get("token").filter(|t| !t.is_empty()).ok_or_else(|| ApiError::invalid_request("token is missing"))?;
    // Tokens of the guide's /v1/auth API belong to no client: holding one is the proof.
    // Tokens issued through OAuth may be revoked only by their client.
    let has_client_auth = params.contains_key("client_id") || headers.contains_key(axum::http::header::AUTHORIZATION);
    let client_id =
        if has_client_auth { Some(authenticate_client(&state, &headers, &params)?.client_id) } else { None };
    if tokens::revoke_refresh_token(&state, token, client_id.as_deref())? {
        return Ok(StatusCode::OK);
    }
    if let Ok(access) = state.signer.verify_access(token) {
        if access.client_id == client_id {
            tokens::revoke_access(&*state.db.lock()?, &access.jti, access.expires_at)?;
        }
    }
    Ok(StatusCode::OK)
}
