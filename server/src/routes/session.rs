//! Cookie sessions: POST /v1/session/login and POST /v1/session/logout. The cookie is HttpOnly
//! and SameSite=Lax (Secure and `__Host-` prefixed over https); only the SHA-256 of its value is
//! stored.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rusqlite::OptionalExtension;
use serde::Deserialize;
use serde_json::json;

use crate::auth::{self, SESSION_COOKIE};
use crate::credentials;
use crate::error::{ApiError, ApiResult};
use crate::extract::Json;
use crate::state::AppState;
use crate::util;

#[derive(Deserialize)]
pub struct LoginBody {
    email: String,
    password: String,
}

/// `__Host-wasm_auth_session` behind https (Secure, Path=/, no Domain: no other host can set
/// or shadow it), `wasm_auth_session` over http.
fn set_cookie(state: &AppState, headers: &HeaderMap, value: &str, max_age: u64) -> ApiResult<HeaderValue> {
    auth::set_cookie(state, headers, &state.cookie_name(SESSION_COOKIE), value, "/", "Lax", Some(max_age))
}

pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(body): Json<LoginBody>,
) -> ApiResult<Response> {
    // Login CSRF: a foreign page must not log the browser into an account of its choosing.
    auth::check_origin(&state, &Method::POST, &headers)?;
    let user = credentials::verify(&state, peer.ip(), &body.email, &body.password).await?;
    let session_id = util::random_token("")?;
    let ttl = state.config.session_ttl;
    state.db.lock()?.execute(
        "INSERT INTO sessions (id_hash, user_id, expires_at) VALUES (?1, ?2, ?3)",
        rusqlite::params![util::sha256_hex(&session_id), user.id, util::now() + ttl as i64],
    )?;
    let cookie = set_cookie(&state, &headers, &session_id, ttl)?;
    let body = json!({ "user": { "id": user.id, "email": user.email }, "expires_in": ttl });
    Ok(([(header::SET_COOKIE, cookie)], axum::Json(body)).into_response())
}

/// GET /v1/session: who the session cookie belongs to. Lets an SPA check after a reload (or
/// right after login, to detect blocked cookies) without reading the HttpOnly cookie.
pub async fn current(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<axum::Json<serde_json::Value>> {
    let session_id =
        auth::cookie(&headers, &state.cookie_name(SESSION_COOKIE)).ok_or_else(ApiError::missing_credentials)?;
    let row: Option<(String, String, i64)> = state.db.lock()?.query_row(
        "SELECT u.id, u.email, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = ?1 AND s.expires_at > ?2",
        rusqlite::params![util::sha256_hex(&session_id), util::now()],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    ).optional()?;
    let (id, email, expires_at) = row.ok_or_else(|| ApiError::invalid_token("the session has ended; log in again"))?;
    Ok(axum::Json(json!({ "user": { "id": id, "email": email }, "expires_in": (expires_at - util::now()).max(0) })))
}

pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    auth::check_origin(&state, &Method::POST, &headers)?;
    if let Some(session_id) = auth::cookie(&headers, &state.cookie_name(SESSION_COOKIE)) {
        state.db.lock()?.execute("DELETE FROM sessions WHERE id_hash = ?1", [util::sha256_hex(&session_id)])?;
    }
    let cookie = set_cookie(&state, &headers, "", 0)?;
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response())
}
