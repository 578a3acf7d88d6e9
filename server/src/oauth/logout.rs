//! GET/POST /oauth/logout: OpenID Connect RP-initiated logout, minimal. Ends the sign-in
//! session of the authorization endpoint (its row and its cookie), then goes back to the
//! application when it names a `post_logout_redirect_uri` registered (exactly) as one of its
//! redirect URIs, with `state` if given; else a "signed out" page. `id_token_hint` is not
//! needed and not read: signing out is allowed to anyone, without confirmation (it cannot
//! grant anything).

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::authorize::{redirect, with_cookie};
use super::find_client;
use super::page::{error_page, signed_out_page};
use super::signin;
use crate::state::AppState;

pub async fn show(State(state): State<AppState>, headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    sign_out(&state, &headers, query.unwrap_or_default().as_bytes())
}

/// The parameters come form-encoded in the body (RP-initiated logout 1.0, section 2).
pub async fn submit(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    sign_out(&state, &headers, &body)
}

fn sign_out(state: &AppState, headers: &HeaderMap, encoded: &[u8]) -> Response {
    // The session ends whatever else the request says: a user who asked to sign out is signed
    // out, even when the application that sent them is misconfigured.
    let cleared = signin::end(state, headers).map(Some);
    let answer = match destination(state, encoded) {
        Ok(Some((uri, oauth_state))) => redirect(&uri, &[("state", oauth_state.as_deref())]),
        Ok(None) => signed_out_page(),
        Err(description) => error_page(StatusCode::BAD_REQUEST, "invalid_request", &description),
    };
    with_cookie(answer, cleared)
}

/// Where to send the browser afterwards: the registered `post_logout_redirect_uri` and the
/// `state` to echo, None for the "signed out" page, or why the request is refused.
fn destination(state: &AppState, encoded: &[u8]) -> Result<Option<(String, Option<String>)>, String> {
    let mut params = HashMap::new();
    for (k, v) in url::form_urlencoded::parse(encoded).into_owned() {
        if params.insert(k.clone(), v).is_some() {
            return Err(format!("the parameter {k} is repeated; you are signed out"));
        }
    }
    let get = |k: &str| params.get(k).filter(|v| !v.is_empty()).cloned();
    let Some(uri) = get("post_logout_redirect_uri") else {
        return Ok(None);
    };
    let Some(client_id) = get("client_id") else {
        return Err("post_logout_redirect_uri needs client_id; you are signed out".to_owned());
    };
    let client = match find_client(state, &client_id) {
        Ok(Some(client)) => client,
        Ok(None) => return Err("unknown client_id; you are signed out".to_owned()),
        // The cause is in the server log (ApiError::internal).
        Err(_) => return Err("the client could not be looked up; you are signed out".to_owned()),
    };
    if !client.redirect_uris.contains(&uri) {
        return Err(
            "post_logout_redirect_uri is not registered for this client (exact match required); you are signed out"
                .to_owned(),
        );
    }
    Ok(Some((uri, get("state"))))
}
