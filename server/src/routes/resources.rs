//! The protected API of the guide: GET /v1/resources (read:resources) and
//! POST /v1/resources (write:resources), with any of the four credentials.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::auth::{Principal, Via};
use crate::error::{ApiError, ApiResult};
use crate::extract::Json;
use crate::state::AppState;
use crate::util;

#[derive(Serialize)]
struct Resource {
    id: String,
    name: String,
    created_at: String,
}

fn via_name(via: Via) -> &'static str {
    match via {
        Via::Bearer => "bearer",
        Via::Dpop => "dpop",
        Via::ApiKey => "api_key",
        Via::Session => "session",
    }
}

pub async fn list(State(state): State<AppState>, principal: Principal) -> ApiResult<axum::Json<Value>> {
    principal.require("read:resources")?;
    let conn = state.db.lock()?;
    let mut stmt =
        conn.prepare("SELECT id, name, created_at FROM resources WHERE owner = ?1 ORDER BY created_at, id")?;
    let resources = stmt
        .query_map([&principal.user_id], |r| {
            Ok(Resource { id: r.get(0)?, name: r.get(1)?, created_at: util::rfc3339(r.get(2)?) })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(axum::Json(json!({
        "resources": resources,
        "user": principal.user_id,
        "authenticated_via": via_name(principal.via),
    })))
}

#[derive(Deserialize)]
pub struct NewResource {
    name: String,
}

pub async fn create(
    State(state): State<AppState>,
    principal: Principal,
    Json(body): Json<NewResource>,
) -> ApiResult<(StatusCode, axum::Json<Value>)> {
    principal.require("write:resources")?;
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ApiError::invalid_request("name must have 1 to 200 characters"));
    }
    let id = util::random_id("res_")?;
    let now = util::now();
    state.db.lock()?.execute(
        "INSERT INTO resources (id, owner, name, created_at) VALUES (?1, ?2, ?3, ?4)",
        rusqlite::params![id, principal.user_id, name, now],
    )?;
    Ok((StatusCode::CREATED, axum::Json(json!(Resource { id, name: name.to_owned(), created_at: util::rfc3339(now) }))))
}
