//! API keys: POST/GET /v1/api-keys and DELETE /v1/api-keys/{id}. A key is shown once, in the
//! create answer; only its SHA-256 is stored. Rotation is create-new-then-delete-old.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::auth::{Principal, Via};
use crate::error::{ApiError, ApiResult};
use crate::extract::Json;
use crate::state::AppState;
use crate::util;

#[derive(Deserialize)]
pub struct NewKey {
    name: String,
    scopes: Vec<String>,
}

#[derive(Serialize)]
struct KeyInfo {
    id: String,
    name: String,
    scopes: Vec<String>,
    created_at: String,
}

/// Keys are managed with a Bearer token only: a key must not mint keys, and cookie sessions
/// stay limited to the resources API.
fn require_bearer(principal: &Principal) -> ApiResult<()> {
    if principal.via == Via::Bearer {
        Ok(())
    } else {
        Err(ApiError::new(StatusCode::FORBIDDEN, "access_denied", "API keys are managed with a Bearer access token"))
    }
}

pub async fn create(
    State(state): State<AppState>,
    principal: Principal,
    Json(body): Json<NewKey>,
) -> ApiResult<(StatusCode, axum::Json<Value>)> {
    require_bearer(&principal)?;
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::invalid_request("name must have 1 to 100 characters"));
    }
    if body.scopes.is_empty() {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_scope", "scopes must list at least one scope"));
    }
    if let Some(bad) = body.scopes.iter().find(|s| !util::valid_scope_token(s)) {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_scope", format!("malformed scope {bad:?}")));
    }
    let scopes = util::parse_scopes(&body.scopes.join(" "));
    if !util::is_subset(&scopes, &principal.scopes) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            "an API key cannot have scopes its creator lacks",
        ));
    }
    let id = util::random_id("key_")?;
    let key = util::random_token("sk_live_")?;
    let now = util::now();
    state.db.lock()?.execute(
        "INSERT INTO api_keys (id, user_id, name, key_hash, scopes, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        rusqlite::params![id, principal.user_id, name, util::sha256_hex(&key), scopes.join(" "), now],
    )?;
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({
            "id": id, "name": name, "key": key, "scopes": scopes, "created_at": util::rfc3339(now),
        })),
    ))
}

pub async fn list(State(state): State<AppState>, principal: Principal) -> ApiResult<axum::Json<Value>> {
    require_bearer(&principal)?;
    let conn = state.db.lock()?;
    let mut stmt = conn.prepare(
        "SELECT id, name, scopes, created_at FROM api_keys WHERE user_id = ?1 AND revoked_at IS NULL ORDER BY created_at, id",
    )?;
    let keys = stmt
        .query_map([&principal.user_id], |r| {
            Ok(KeyInfo {
                id: r.get(0)?,
                name: r.get(1)?,
                scopes: util::parse_scopes(&r.get::<_, String>(2)?),
                created_at: util::rfc3339(r.get(3)?),
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(axum::Json(json!({ "api_keys": keys })))
}

pub async fn revoke(
    State(state): State<AppState>,
    principal: Principal,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    require_bearer(&principal)?;
    let changed = state.db.lock()?.execute(
        "UPDATE api_keys SET revoked_at = ?1 WHERE id = ?2 AND user_id = ?3 AND revoked_at IS NULL",
        rusqlite::params![util::now(), id, principal.user_id],
    )?;
    if changed == 0 {
        return Err(ApiError::not_found("no such API key"));
    }
    Ok(StatusCode::NO_CONTENT)
}
