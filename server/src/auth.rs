//! Who is calling: a Bearer (or DPoP-bound) JWT, an API key (X-API-Key header, or the api_key
//! query parameter), or the session cookie, in that order of precedence. A credential that is
//! present but invalid is an error; the server never falls back to a weaker one.
//!
//! A DPoP-bound access token (`cnf.jkt`) is accepted only as `Authorization: DPoP <token>` with
//! a proof of the bound key for this very request (RFC 9449 7); sent as Bearer it is refused, and
//! an unbound token sent as DPoP too. Refusals of DPoP requests carry DPoP challenges.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use rusqlite::OptionalExtension;
use wasm_auth::ErrorKind;

use crate::dpop;
use crate::error::{ApiError, ApiResult};
use crate::keys;
use crate::state::AppState;
use crate::tokens;
use crate::util;

/// The session cookie's name over http; `__Host-wasm_auth_session` behind https
/// (see `AppState::cookie_name`).
pub const SESSION_COOKIE: &str = "wasm_auth_session";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Bearer,
    /// A DPoP-bound access token with its proof.
    Dpop,
    ApiKey,
    Session,
}

pub struct Principal {
    pub user_id: String,
    pub scopes: Vec<String>,
    pub via: Via,
    /// Bearer tokens: the OAuth client they were issued to (None for /v1/auth tokens).
    pub client_id: Option<String>,
    /// Bearer tokens: the grant (refresh-token family) they belong to, if any.
    pub grant: Option<String>,
}

impl Principal {
    pub fn require(&self, scope: &str) -> ApiResult<()> {
        if self.scopes.iter().any(|s| s == scope) { Ok(()) } else { Err(ApiError::insufficient_scope(scope)) }
    }
}

/// The value of cookie `name` in the Cookie header(s).
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// Whether cookies set in answer to this request get `Secure`: the public URL (the issuer) is
/// https, or the proxy in front says the request came over https.
pub fn is_https(state: &AppState, headers: &HeaderMap) -> bool {
    state.https() || headers.get("x-forwarded-proto").is_some_and(|v| v.as_bytes() == b"https")
}

/// A `Set-Cookie` value, the one way this server builds its cookies: HttpOnly (no script reads
/// them), `same_site` (`Lax`: sent with top-level navigations from other sites, never with their
/// subresource requests or form POSTs; `Strict`: never from another site), Secure behind https.
/// `max_age`: None for a cookie that lasts as long as the browser session, `Some(0)` to delete one.
pub fn set_cookie(
    state: &AppState,
    headers: &HeaderMap,
    name: &str,
    value: &str,
    path: &str,
    same_site: &str,
    max_age: Option<u64>,
) -> ApiResult<HeaderValue> {
    let max_age = max_age.map(|s| format!("; Max-Age={s}")).unwrap_or_default();
    let secure = if is_https(state, headers) { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{name}={value}; Path={path}; HttpOnly; SameSite={same_site}{max_age}{secure}"))
        .map_err(ApiError::internal)
}

fn query_param(parts: &Parts, name: &str) -> Option<String> {
    let query = parts.uri.query()?;
    url::form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

/// The origin a browser says a request comes from: the Origin header, else the origin of the
/// Referer (browsers that omit Origin still send Referer unless a policy strips it). `None`
/// when neither is sent; an unparsable or opaque value is `"null"`, which no list allows.
pub fn claimed_origin(headers: &HeaderMap) -> Option<String> {
    if let Some(origin) = headers.get(header::ORIGIN) {
        return Some(origin.to_str().unwrap_or("null").to_owned());
    }
    let referer = headers.get(header::REFERER)?;
    let origin = referer
        .to_str()
        .ok()
        .and_then(|r| url::Url::parse(r).ok())
        .map_or_else(|| "null".to_owned(), |u| u.origin().ascii_serialization());
    Some(origin)
}

/// Whether a state-changing request may come from where it says: its Origin (else its
/// Referer's origin) must be one `allowed` accepts. A request with neither header is accepted
/// unless `Sec-Fetch-Site` says cross-site or same-site: every browser that could be made to
/// send one (an attacker's page) sends Origin on a POST, or `Origin: null` when a referrer
/// policy hides it, so such a request comes from a client that is not a browser (curl, a
/// server), which carries no ambient cookie.
pub fn same_origin_request(headers: &HeaderMap, allowed: impl Fn(&str) -> bool) -> bool {
    match claimed_origin(headers) {
        Some(origin) => allowed(&origin),
        None => !headers
            .get("sec-fetch-site")
            .is_some_and(|v| v.as_bytes() == b"cross-site" || v.as_bytes() == b"same-site"),
    }
}

/// CSRF defence for cookie-authenticated requests that change state (and for the session
/// login): see [`same_origin_request`], against the allowed origins (the server's own and
/// `--cors-origin`).
pub fn check_origin(state: &AppState, method: &Method, headers: &HeaderMap) -> ApiResult<()> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    if same_origin_request(headers, |origin| state.origin_allowed(origin)) { Ok(()) } else { Err(ApiError::csrf()) }
}

/// An access token in `Authorization` (`value`), with the scheme Bearer or DPoP.
fn access_token(state: &AppState, parts: &Parts, value: &str) -> ApiResult<Principal> {
    let Some((scheme, token)) = value.split_once(' ') else {
        return Err(ApiError::invalid_token("malformed Authorization header"));
    };
    let dpop = scheme.eq_ignore_ascii_case("dpop");
    if !dpop && !scheme.eq_ignore_ascii_case("bearer") {
        return Err(ApiError::invalid_token("unsupported authorization scheme; use Bearer"));
    }
    // A refusal of a DPoP-scheme request carries the DPoP challenges; a Bearer one, as always.
    let invalid = |description: &str| {
        if dpop {
            dpop::refusal_of(state, ErrorKind::JwtInvalid, description, true)
        } else {
            ApiError::invalid_token(description)
        }
    };
    let claims =
        state.signer.verify_access(token.trim()).map_err(|_| invalid("the access token is invalid or expired"))?;
    dpop::check_presentation(state, &parts.method, &parts.uri, &parts.headers, value, claims.jkt.as_deref())?;
    if keys::is_revoked(&state.db, &claims.jti)? {
        return Err(invalid("the access token has been revoked"));
    }
    if let Some(family) = &claims.grant {
        // The answer that carried this token reached its client: its refresh token gets no grace.
        tokens::note_access_seen(&*state.db.lock()?, family, &claims.jti)?;
    }
    Ok(Principal {
        user_id: claims.subject,
        scopes: claims.scopes,
        via: if dpop { Via::Dpop } else { Via::Bearer },
        client_id: claims.client_id,
        grant: claims.grant,
    })
}

fn api_key(state: &AppState, key: &str) -> ApiResult<Principal> {
    let row: Option<(String, String)> = state
        .db
        .lock()?
        .query_row(
            // A key made through an OAuth grant lives only as long as that grant.
            "SELECT k.user_id, k.scopes FROM api_keys k WHERE k.key_hash = ?1 AND k.revoked_at IS NULL
             AND (k.grant_family IS NULL OR EXISTS (SELECT 1 FROM refresh_tokens r
                  WHERE r.family_id = k.grant_family AND r.revoked = 0 AND r.expires_at > ?2))",
            rusqlite::params![util::sha256_hex(key), util::now()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (user_id, scopes) = row.ok_or_else(|| ApiError::invalid_token("the API key is invalid or revoked"))?;
    Ok(Principal { user_id, scopes: util::parse_scopes(&scopes), via: Via::ApiKey, client_id: None, grant: None })
}

/// The user of a live session, if the id is one.
pub fn session_user(state: &AppState, session_id: &str) -> ApiResult<Option<(String, String)>> {
    Ok(state
        .db
        .lock()?
        .query_row(
            "SELECT s.user_id, u.scopes FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.id_hash = ?1 AND s.expires_at > ?2",
            rusqlite::params![util::sha256_hex(session_id), util::now()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Principal> {
        if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            return access_token(state, parts, value.to_str().unwrap_or(""));
        }
        if let Some(value) = parts.headers.get("x-api-key") {
            return api_key(state, value.to_str().unwrap_or(""));
        }
        if let Some(key) = query_param(parts, "api_key") {
            return api_key(state, &key);
        }
        if let Some(session_id) = cookie(&parts.headers, &state.cookie_name(SESSION_COOKIE)) {
            let (user_id, scopes) = session_user(state, &session_id)?
                .ok_or_else(|| ApiError::invalid_token("the session has ended; log in again"))?;
            check_origin(state, &parts.method, &parts.headers)?;
            return Ok(Principal {
                user_id,
                scopes: util::parse_scopes(&scopes),
                via: Via::Session,
                client_id: None,
                grant: None,
            });
        }
        Err(ApiError::missing_credentials())
    }
}
