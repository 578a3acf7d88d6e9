//! JWT authentication: POST /v1/auth/login and POST /v1/auth/refresh.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use serde::Deserialize;

use crate::credentials;
use crate::error::ApiResult;
use crate::extract::Json;
use crate::state::AppState;
use crate::tokens::{self, Grant, TokenResponse};
use crate::util;

#[derive(Deserialize)]
pub struct LoginBody {
    email: String,
    password: String,
}

pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Json(body): Json<LoginBody>,
) -> ApiResult<axum::Json<TokenResponse>> {
    let user = credentials::verify(&state, peer.ip(), &body.email, &body.password).await?;
    // First-party tokens: the user's scopes, and managing the user's own API keys.
    let mut scopes = util::parse_scopes(&user.scopes);
    scopes.extend(util::API_KEY_SCOPES.iter().map(|s| (*s).to_owned()));
    let scope = util::parse_scopes(&scopes.join(" ")).join(" ");
    let grant = Grant { user_id: &user.id, client_id: None, scope: &scope };
    Ok(axum::Json(tokens::issue(&state, &grant)?.0.response))
}

#[derive(Deserialize)]
pub struct RefreshBody {
    refresh_token: String,
}

pub async fn refresh(
    State(state): State<AppState>,
    Json(body): Json<RefreshBody>,
) -> ApiResult<axum::Json<TokenResponse>> {
    Ok(axum::Json(tokens::rotate(&state, &body.refresh_token, None, None, StatusCode::UNAUTHORIZED)?))
}
