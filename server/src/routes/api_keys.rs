//! API keys: POST/GET /v1/api-keys and DELETE /v1/api-keys/{id}. A key is shown once, in the
//! create answer; only its SHA-256 is stored. Rotation is create-new-then-delete-old.
//!
//! Managing keys needs its own scopes: `api_keys:read` to list, `api_keys:write` to create and
//! delete (first-party /v1/auth/login tokens carry both; an OAuth client only if it asked and the
//! user consented). A key made with an OAuth token records the client and the grant (the
//! refresh-token family) and stops working when that grant is revoked or lapses.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::auth::{Principal, Via};
use crate::error::{ApiError, ApiResult};
use crate::extract::Json;
use crate::state::AppState;
use crate::{tokens, util};

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
    /// The OAuth client the key was made through, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    client_id: Option<String>,
}

/// Keys are managed with an access token only (Bearer, or DPoP-bound): a key must not mint keys,
/// and cookie sessions stay limited to the resources API.
fn require_bearer(principal: &Principal) -> ApiResult<()> {
    if matches!(principal.via, Via::Bearer | Via::Dpop) {
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
    principal.require(util::API_KEYS_WRITE)?;
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
    if let Some(scope) = scopes.iter().find(|s| util::API_KEY_SCOPES.contains(&s.as_str())) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            format!("an API key cannot have {scope}: keys are managed with a Bearer access token"),
        ));
    }
    if !util::is_subset(&scopes, &principal.scopes) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            "an API key cannot have scopes its creator lacks",
        ));
    }
    // Through an OAuth grant: the key is tied to the grant, which must still be live.
    let grant = match (&principal.client_id, &principal.grant) {
        (None, _) => None,
        (Some(_), None) => {
            return Err(ApiError::invalid_token("this access token belongs to no grant; authorize again"));
        }
        (Some(_), Some(family)) => Some(family.as_str()),
    };
    let id = util::random_id("key_")?;
    let key = util::random_token("sk_live_")?;
    let now = util::now();
    let conn = state.db.lock()?;
    if let Some(family) = grant {
        if !tokens::grant_live(&conn, family)? {
            return Err(ApiError::invalid_token("the grant of this access token has been revoked"));
        }
    }
    conn.execute(
        "INSERT INTO api_keys (id, user_id, name, key_hash, scopes, created_at, client_id, grant_family)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        rusqlite::params![
            id,
            principal.user_id,
            name,
            util::sha256_hex(&key),
            scopes.join(" "),
            now,
            grant.and(principal.client_id.as_deref()),
            grant
        ],
    )?;
    drop(conn);
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({
            "id": id, "name": name, "key": key, "scopes": scopes, "created_at": util::rfc3339(now),
        })),
    ))
}

pub async fn list(State(state): State<AppState>, principal: Principal) -> ApiResult<axum::Json<Value>> {
    require_bearer(&principal)?;
    principal.require(util::API_KEYS_READ)?;
    let conn = state.db.lock()?;
    // The live keys: not revoked, and not tied to a grant that has ended.
    let mut stmt = conn.prepare(
        "SELECT k.id, k.name, k.scopes, k.created_at, k.client_id FROM api_keys k
         WHERE k.user_id = ?1 AND k.revoked_at IS NULL
           AND (k.grant_family IS NULL OR EXISTS (SELECT 1 FROM refresh_tokens r
                WHERE r.family_id = k.grant_family AND r.revoked = 0 AND r.expires_at > ?2))
         ORDER BY k.created_at, k.id",
    )?;
    let keys = stmt
        .query_map(rusqlite::params![principal.user_id, util::now()], |r| {
            Ok(KeyInfo {
                id: r.get(0)?,
                name: r.get(1)?,
                scopes: util::parse_scopes(&r.get::<_, String>(2)?),
                created_at: util::rfc3339(r.get(3)?),
                client_id: r.get(4)?,
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
    principal.require(util::API_KEYS_WRITE)?;
    let changed = state.db.lock()?.execute(
        "UPDATE api_keys SET revoked_at = ?1 WHERE id = ?2 AND user_id = ?3 AND revoked_at IS NULL",
        rusqlite::params![util::now(), id, principal.user_id],
    )?;
    if changed == 0 {
        return Err(ApiError::not_found("no such API key"));
    }
    Ok(StatusCode::NO_CONTENT)
}
