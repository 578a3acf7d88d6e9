//! Email + password checks shared by /v1/auth/login, /v1/session/login and the OAuth login
//! page: rate-limited per client address, the same answer whether or not the email exists.

use std::net::IpAddr;

use axum::http::StatusCode;
use rusqlite::OptionalExtension;

use crate::error::{ApiError, ApiResult};
use crate::password;
use crate::state::AppState;
use crate::util;

pub struct User {
    pub id: String,
    pub email: String,
    pub scopes: String,
}

/// Longest email and password accepted: bounds the hashing work an attacker can ask for.
const MAX_EMAIL: usize = 320;
const MAX_PASSWORD: usize = 1024;

pub async fn verify(state: &AppState, client: IpAddr, email: &str, pass: &str) -> ApiResult<User> {
    if email.len() > MAX_EMAIL || pass.len() > MAX_PASSWORD {
        return Err(ApiError::invalid_request("email or password too long"));
    }
    if let Err(retry_after) = state.limiter.begin(client, util::now()) {
        return Err(ApiError::rate_limited(retry_after));
    }
    let row: Option<(String, String, String, String)> = state
        .db
        .lock()?
        .query_row(
            "SELECT id, email, password_hash, scopes FROM users WHERE email = ?1 COLLATE NOCASE",
            [email.trim()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let stored_hash = row.as_ref().map(|r| r.2.clone());
    let pass = pass.to_owned();
    // Argon2 takes tens of milliseconds: off the async workers.
    let ok = tokio::task::spawn_blocking(move || password::verify(&pass, stored_hash.as_deref()))
        .await
        .map_err(ApiError::internal)?;
    match row {
        Some((id, email, _, scopes)) if ok => {
            state.limiter.succeeded(client);
            Ok(User { id, email, scopes })
        }
        _ => Err(ApiError::invalid_grant(StatusCode::UNAUTHORIZED, "invalid email or password")),
    }
}
