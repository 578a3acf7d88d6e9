//! Token issuance: access JWTs plus rotating refresh tokens with reuse detection.
//!
//! A refresh token is 256 random bits, stored only as its SHA-256. Every refresh marks the
//! presented token `rotated` and issues a new one in the same family; presenting a rotated
//! token again means it leaked (or a client raced itself), so the whole family is revoked.

use axum::http::StatusCode;
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::util;

/// The JSON answer of /v1/auth/login, /v1/auth/refresh and /oauth/token.
#[derive(Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    pub token_type: &'static str,
    pub expires_in: u64,
    pub scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}

/// Who a token is for.
pub struct Grant<'a> {
    pub user_id: &'a str,
    pub client_id: Option<&'a str>,
    pub scope: &'a str,
}

/// A new access token and a refresh token in `family` (a new family when None).
pub fn issue(state: &AppState, grant: &Grant<'_>, family: Option<&str>) -> ApiResult<(TokenResponse, String)> {
    let access_token = state
        .signer
        .sign_access(grant.user_id, grant.scope, grant.client_id, state.config.access_ttl)
        .map_err(ApiError::internal)?;
    let refresh_token = util::random_token("rt_")?;
    let family_id = match family {
        Some(f) => f.to_owned(),
        None => util::random_id("fam_")?,
    };
    let now = util::now();
    state.db.lock()?.execute(
        "INSERT INTO refresh_tokens (token_hash, family_id, user_id, client_id, scope, expires_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![util::sha256_hex(&refresh_token), family_id, grant.user_id, grant.client_id, grant.scope,
            now + state.config.refresh_ttl as i64, now],
    )?;
    let response = TokenResponse {
        access_token,
        refresh_token: Some(refresh_token),
        token_type: "Bearer",
        expires_in: state.config.access_ttl,
        scope: grant.scope.to_owned(),
        id_token: None,
    };
    Ok((response, family_id))
}

/// Rotates `presented`: on success the old token stops working and a new pair is returned.
/// `client_id` must match the client the token was issued to (None for /v1/auth/refresh).
/// `status` is the status of invalid_grant answers (401 for the guide's API, 400 for OAuth).
pub fn rotate(state: &AppState, presented: &str, client_id: Option<&str>, status: StatusCode) -> ApiResult<TokenResponse> {
    let hash = util::sha256_hex(presented);
    let row: Option<(String, String, Option<String>, String, i64, bool, bool)> = state.db.lock()?.query_row(
        "SELECT family_id, user_id, client_id, scope, expires_at, rotated, revoked FROM refresh_tokens WHERE token_hash = ?1",
        [&hash],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?)),
    ).optional()?;
    let Some((family, user_id, owner, scope, expires_at, rotated, revoked)) = row else {
        return Err(ApiError::invalid_grant(status, "refresh token is invalid"));
    };
    if owner.as_deref() != client_id {
        return Err(ApiError::invalid_grant(status, "refresh token was issued to another client"));
    }
    if revoked {
        return Err(ApiError::invalid_grant(status, "refresh token has been revoked"));
    }
    if rotated {
        revoke_family(state, &family)?;
        return Err(ApiError::invalid_grant(status, "refresh token was already used; its session has been revoked"));
    }
    if util::now() >= expires_at {
        return Err(ApiError::invalid_grant(status, "refresh token has expired"));
    }
    // Mark it rotated only if no concurrent request did so first: the loser is a reuse.
    let changed = state.db.lock()?.execute(
        "UPDATE refresh_tokens SET rotated = 1 WHERE token_hash = ?1 AND rotated = 0 AND revoked = 0",
        [&hash],
    )?;
    if changed == 0 {
        revoke_family(state, &family)?;
        return Err(ApiError::invalid_grant(status, "refresh token was already used; its session has been revoked"));
    }
    let grant = Grant { user_id: &user_id, client_id, scope: &scope };
    Ok(issue(state, &grant, Some(&family))?.0)
}

pub fn revoke_family(state: &AppState, family: &str) -> ApiResult<()> {
    state.db.lock()?.execute("UPDATE refresh_tokens SET revoked = 1 WHERE family_id = ?1", [family])?;
    Ok(())
}

/// RFC 7009 for a refresh token: revokes its family when it was issued to `client_id` (None:
/// the guide's /v1/auth tokens, issued to no client). Returns whether it was revoked.
pub fn revoke_refresh_token(state: &AppState, presented: &str, client_id: Option<&str>) -> ApiResult<bool> {
    let family: Option<(String, Option<String>)> = state.db.lock()?.query_row(
        "SELECT family_id, client_id FROM refresh_tokens WHERE token_hash = ?1",
        [util::sha256_hex(presented)],
        |r| Ok((r.get(0)?, r.get(1)?)),
    ).optional()?;
    match family {
        Some((family, owner)) if owner.as_deref() == client_id => {
            revoke_family(state, &family)?;
            Ok(true)
        }
        _ => Ok(false),
    }
}
