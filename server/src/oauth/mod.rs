//! OAuth 2.0: registered clients and client authentication (RFC 6749 2.3), shared by the
//! authorization, token and revocation endpoints.

pub mod authorize;
mod consent;
pub mod discovery;
pub mod logout;
mod page;
pub mod revoke;
mod signin;
pub mod token;

use std::collections::HashMap;

use axum::http::{HeaderMap, header};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rusqlite::OptionalExtension;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::util;

pub struct Client {
    pub client_id: String,
    pub name: String,
    secret_hash: Option<String>,
    pub redirect_uris: Vec<String>,
    pub scopes: Vec<String>,
    pub grant_types: Vec<String>,
}

impl Client {
    pub fn is_public(&self) -> bool {
        self.secret_hash.is_none()
    }

    pub fn allows_grant(&self, grant_type: &str) -> bool {
        self.grant_types.iter().any(|g| g == grant_type)
    }

    fn secret_matches(&self, secret: &str) -> bool {
        self.secret_hash.as_deref().is_some_and(|stored| util::ct_eq(&util::sha256_hex(secret), stored))
    }
}

pub fn find_client(state: &AppState, client_id: &str) -> ApiResult<Option<Client>> {
    Ok(state
        .db
        .lock()?
        .query_row(
            "SELECT client_id, name, secret_hash, redirect_uris, scopes, grant_types FROM clients WHERE client_id = ?1",
            [client_id],
            |r| {
                Ok(Client {
                    client_id: r.get(0)?,
                    name: r.get(1)?,
                    secret_hash: r.get(2)?,
                    redirect_uris: r
                        .get::<_, String>(3)?
                        .split(' ')
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect(),
                    scopes: util::parse_scopes(&r.get::<_, String>(4)?),
                    grant_types: util::parse_scopes(&r.get::<_, String>(5)?),
                })
            },
        )
        .optional()?)
}

/// `client_id:client_secret` from an HTTP Basic header, each form-urlencoded (RFC 6749 2.3.1).
fn basic_credentials(headers: &HeaderMap) -> Option<Result<(String, String), ()>> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decode = || -> Option<(String, String)> {
        let raw = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
        let (id, secret) = raw.split_once(':')?;
        let unescape =
            |s: &str| url::form_urlencoded::parse(format!("x={s}").as_bytes()).next().map(|(_, v)| v.into_owned());
        Some((unescape(id)?, unescape(secret)?))
    };
    Some(decode().ok_or(()))
}

/// The calling client: authenticated by client_secret_basic or client_secret_post, or a public
/// client naming itself with client_id. Exactly one method may be used.
pub fn authenticate_client(state: &AppState, headers: &HeaderMap, form: &HashMap<String, String>) -> ApiResult<Client> {
    let body_secret = form.get("client_secret");
    match basic_credentials(headers) {
        Some(_) if body_secret.is_some() => {
            Err(ApiError::invalid_request("use one client authentication method, not both Basic and client_secret"))
        }
        Some(Err(())) => Err(ApiError::invalid_client(true)),
        Some(Ok((id, secret))) => {
            if form.get("client_id").is_some_and(|body_id| *body_id != id) {
                return Err(ApiError::invalid_request("client_id differs from the authenticated client"));
            }
            match find_client(state, &id)? {
                Some(client) if client.secret_matches(&secret) => Ok(client),
                _ => Err(ApiError::invalid_client(true)),
            }
        }
        None => {
            let id = form.get("client_id").ok_or_else(|| ApiError::invalid_client(false))?;
            let client = find_client(state, id)?.ok_or_else(|| ApiError::invalid_client(false))?;
            match body_secret {
                Some(secret) if client.secret_matches(secret) => Ok(client),
                None if client.is_public() => Ok(client),
                _ => Err(ApiError::invalid_client(false)),
            }
        }
    }
}
