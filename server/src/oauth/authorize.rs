//! GET/POST /oauth/authorize: the authorization code flow's front channel (RFC 6749 4.1,
//! RFC 7636). An unknown client or redirect URI gets an error page and never a redirect; every
//! other error goes back to the client's redirect URI with `error` and `state`.
//!
//! A password sign-in on the page starts the endpoint's sign-in session (see `signin`): while
//! it lives, the page asks only for consent, and `prompt=none` answers without a page (a code
//! when the user already consented to the requested scopes, else `login_required` or
//! `consent_required`). `prompt=login` always asks for the password; `max_age` is ignored.
//!
//! `dpop_jkt` (RFC 9449 10) binds the code to a DPoP key: the exchange must come with a proof
//! from that key.

use std::collections::HashMap;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::page::{SignedIn, error_page, login_page};
use super::signin::{self, Session};
use super::{Client, consent, find_client};
use crate::credentials::User;
use crate::error::ApiResult;
use crate::extract::Form;
use crate::state::AppState;
use crate::util;
use crate::{auth, credentials};

/// The request parameters echoed into the login form and checked again on POST.
const FLOW_PARAMS: [&str; 9] = [
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
    "nonce",
    "dpop_jkt",
];

struct AuthRequest {
    client: Client,
    redirect_uri: String,
    state: Option<String>,
    scopes: Vec<String>,
    code_challenge: Option<String>,
    nonce: Option<String>,
    /// The thumbprint of the DPoP key the code is bound to (RFC 9449 10).
    dpop_jkt: Option<String>,
    /// The OpenID Connect `prompt` values (`none` comes alone).
    prompt: Vec<String>,
}

impl AuthRequest {
    fn prompts(&self, value: &str) -> bool {
        self.prompt.iter().any(|p| p == value)
    }
}

/// Parameters must not repeat (RFC 6749 3.1); a repeat is treated like a missing value.
fn collect(pairs: Vec<(String, String)>) -> (HashMap<String, String>, Option<String>) {
    let mut map = HashMap::new();
    let mut repeated = None;
    for (k, v) in pairs {
        if map.insert(k.clone(), v).is_some() {
            repeated = Some(k);
        }
    }
    (map, repeated)
}

pub fn redirect(redirect_uri: &str, params: &[(&str, Option<&str>)]) -> Response {
    let Ok(mut url) = url::Url::parse(redirect_uri) else {
        return error_page(StatusCode::BAD_REQUEST, "invalid_request", "the registered redirect_uri is not a URL");
    };
    {
        let mut query = url.query_pairs_mut();
        for (k, v) in params {
            if let Some(v) = v {
                query.append_pair(k, v);
            }
        }
    }
    match HeaderValue::from_str(url.as_str()) {
        Ok(location) => (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response(),
        Err(_) => error_page(StatusCode::BAD_REQUEST, "invalid_request", "the redirect URI cannot be used"),
    }
}

fn validate(
    state: &AppState,
    params: &HashMap<String, String>,
    repeated: Option<&str>,
) -> Result<AuthRequest, Box<Response>> {
    let get = |k: &str| params.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let page_error = |d: &str| Box::new(error_page(StatusCode::BAD_REQUEST, "invalid_request", d));
    if let Some(k @ ("client_id" | "redirect_uri")) = repeated {
        return Err(page_error(&format!("the parameter {k} is repeated")));
    }
    let client_id = get("client_id").ok_or_else(|| page_error("client_id is missing"))?;
    let client = match find_client(state, client_id) {
        Ok(Some(c)) => c,
        Ok(None) => return Err(Box::new(error_page(StatusCode::BAD_REQUEST, "invalid_client", "unknown client_id"))),
        Err(e) => return Err(Box::new(e.into_response())),
    };
    let redirect_uri = get("redirect_uri").ok_or_else(|| page_error("redirect_uri is missing"))?;
    if !client.redirect_uris.iter().any(|r| r == redirect_uri) {
        return Err(page_error("redirect_uri is not registered for this client (exact match required)"));
    }
    let oauth_state = get("state");
    let fail = |error: &str, description: &str| {
        Box::new(redirect(
            redirect_uri,
            &[
                ("error", Some(error)),
                ("error_description", Some(description)),
                ("state", oauth_state),
                ("iss", Some(state.signer.issuer())),
            ],
        ))
    };
    if let Some(k) = repeated {
        return Err(fail("invalid_request", &format!("the parameter {k} is repeated")));
    }
    if get("response_type") != Some("code") {
        return Err(fail("unsupported_response_type", "only response_type=code is supported"));
    }
    if !client.allows_grant("authorization_code") {
        return Err(fail("unauthorized_client", "this client may not use the authorization code flow"));
    }
    // The answer always comes back in the redirect URI's query (the error above too).
    if get("response_mode").is_some_and(|mode| mode != "query") {
        return Err(fail("invalid_request", "response_mode must be query, the only one supported"));
    }
    let prompt = get("prompt").map(util::parse_scopes).unwrap_or_default();
    if prompt.iter().any(|p| p == "none") && prompt.len() > 1 {
        return Err(fail("invalid_request", "prompt=none cannot be combined with other prompt values"));
    }
    let code_challenge = get("code_challenge");
    match (code_challenge, get("code_challenge_method")) {
        (None, _) if client.is_public() => {
            return Err(fail(
                "invalid_request",
                "PKCE is required: send code_challenge with code_challenge_method=S256",
            ));
        }
        (Some(_), method) if method != Some("S256") => {
            return Err(fail("invalid_request", "code_challenge_method must be S256"));
        }
        (None, Some(_)) => return Err(fail("invalid_request", "code_challenge_method without code_challenge")),
        (Some(c), _) if !is_sha256_b64url(c) => {
            return Err(fail("invalid_request", "code_challenge must be a base64url SHA-256 (43 characters)"));
        }
        _ => {}
    }
    let dpop_jkt = get("dpop_jkt");
    if dpop_jkt.is_some_and(|jkt| !is_sha256_b64url(jkt)) {
        return Err(fail("invalid_request", "dpop_jkt must be a JWK SHA-256 thumbprint (43 base64url characters)"));
    }
    // Without a scope: the client's scopes, but key management only when asked for by name.
    let scopes = match get("scope") {
        Some(scope) => util::parse_scopes(scope),
        None => client.scopes.iter().filter(|s| !util::API_KEY_SCOPES.contains(&s.as_str())).cloned().collect(),
    };
    if scopes.iter().any(|s| !util::valid_scope_token(s))
        || !util::is_subset(&scopes, &client.scopes)
        || scopes.is_empty()
    {
        return Err(fail("invalid_scope", "the requested scope is not allowed for this client"));
    }
    Ok(AuthRequest {
        redirect_uri: redirect_uri.to_owned(),
        state: oauth_state.map(str::to_owned),
        scopes,
        code_challenge: code_challenge.map(str::to_owned),
        nonce: get("nonce").map(str::to_owned),
        dpop_jkt: dpop_jkt.map(str::to_owned),
        prompt,
        client,
    })
}

/// Whether `value` looks like a base64url SHA-256 (a PKCE challenge, a JWK thumbprint).
fn is_sha256_b64url(value: &str) -> bool {
    value.len() == 43 && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// An error that goes back to the client, as `validate`'s do.
fn error_redirect(state: &AppState, request: &AuthRequest, error: &str, description: &str) -> Response {
    redirect(
        &request.redirect_uri,
        &[
            ("error", Some(error)),
            ("error_description", Some(description)),
            ("state", request.state.as_deref()),
            ("iss", Some(state.signer.issuer())),
        ],
    )
}

/// `response` with one more Set-Cookie (none when `cookie` is Ok(None)).
pub(super) fn with_cookie(mut response: Response, cookie: ApiResult<Option<HeaderValue>>) -> Response {
    match cookie {
        Ok(Some(cookie)) => {
            response.headers_mut().append(header::SET_COOKIE, cookie);
            response
        }
        Ok(None) => response,
        Err(e) => e.into_response(),
    }
}

/// The Set-Cookie that deletes a dead session cookie, if the browser sent one.
fn clear_if_dead(state: &AppState, headers: &HeaderMap, session: &Session) -> ApiResult<Option<HeaderValue>> {
    match session {
        Session::Dead => signin::clear(state, headers).map(Some),
        _ => Ok(None),
    }
}

fn flow_params(params: &HashMap<String, String>) -> Vec<(&'static str, &str)> {
    FLOW_PARAMS.iter().filter_map(|k| params.get(*k).map(|v| (*k, v.as_str()))).collect()
}

/// The form token's cookie: `wasm_auth_csrf`, `__Host-wasm_auth_csrf` behind https.
const CSRF_COOKIE: &str = "wasm_auth_csrf";

/// The browser's form token: its cookie's value when it has a well-formed one (several tabs
/// share it), else a fresh one (256 random bits).
fn form_token(state: &AppState, headers: &HeaderMap) -> crate::error::ApiResult<String> {
    match auth::cookie(headers, &state.cookie_name(CSRF_COOKIE)) {
        Some(token)
            if token.len() == 43 && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
        {
            Ok(token)
        }
        _ => util::random_token(""),
    }
}

/// The login + consent page with the form token in a hidden field and in its cookie (a double
/// submit: a page of another site can neither read the cookie nor, SameSite=Lax, send it).
fn form_page(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    request: &AuthRequest,
    params: &HashMap<String, String>,
    message: Option<&str>,
    signed_in: Option<&User>,
) -> Response {
    let token = match form_token(state, headers) {
        Ok(token) => token,
        Err(e) => return e.into_response(),
    };
    let cookie = auth::set_cookie(state, headers, &state.cookie_name(CSRF_COOKIE), &token, "/", "Lax", None);
    let flow = flow_params(params);
    // "Not you?": the same request, asking for the password.
    let switch_url = format!(
        "/oauth/authorize?{}",
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(flow.iter().copied().chain([("prompt", "login")]))
            .finish()
    );
    let signed_in = signed_in.map(|user| SignedIn { user_id: &user.id, email: &user.email, switch_url: &switch_url });
    let response =
        login_page(status, &request.client.name, &request.scopes, &flow, &token, message, signed_in.as_ref());
    with_cookie(response, cookie.map(Some))
}

/// `prompt=none`: a code when the user is signed in here and already consented to these scopes
/// for this client; otherwise the error that says which of the two is missing.
fn silent(state: &AppState, request: &AuthRequest, session: &Session) -> Response {
    let Session::Live(user) = session else {
        return error_redirect(
            state,
            request,
            "login_required",
            "prompt=none: the user is not signed in at the authorization server",
        );
    };
    match consent::covers(state, &user.id, &request.client.client_id, &request.scopes) {
        Ok(true) => issue_code(state, request, user),
        Ok(false) => error_redirect(
            state,
            request,
            "consent_required",
            "prompt=none: the user has not consented to these scopes for this client",
        ),
        Err(e) => e.into_response(),
    }
}

pub async fn show(State(state): State<AppState>, headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()).into_owned().collect();
    let (params, repeated) = collect(pairs);
    let request = match validate(&state, &params, repeated.as_deref()) {
        Ok(request) => request,
        Err(response) => return *response,
    };
    let session = match signin::current(&state, &headers) {
        Ok(session) => session,
        Err(e) => return e.into_response(),
    };
    let response = match &session {
        _ if request.prompts("none") => silent(&state, &request, &session),
        Session::Live(user) if !request.prompts("login") => {
            form_page(&state, &headers, StatusCode::OK, &request, &params, None, Some(user))
        }
        _ => form_page(&state, &headers, StatusCode::OK, &request, &params, None, None),
    };
    with_cookie(response, clear_if_dead(&state, &headers, &session))
}

pub async fn submit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (params, repeated) = collect(pairs);
    let request = match validate(&state, &params, repeated.as_deref()) {
        Ok(r) => r,
        Err(response) => return *response,
    };
    // Login and consent CSRF: the form must be posted from this server's own page, in the
    // browser that loaded it. A foreign Origin (or Referer) is refused outright; a missing or
    // wrong form token shows the form again, with a fresh token.
    if !auth::same_origin_request(&headers, |origin| state.own_origins.iter().any(|o| o == origin)) {
        return error_page(
            StatusCode::FORBIDDEN,
            "invalid_request",
            "cross-site form submission refused: sign in on this server's own page",
        );
    }
    let cookie_token = auth::cookie(&headers, &state.cookie_name(CSRF_COOKIE)).unwrap_or_default();
    let form_token = params.get("csrf_token").map(String::as_str).unwrap_or("");
    if cookie_token.is_empty() || !util::ct_eq(&cookie_token, form_token) {
        return form_page(
            &state,
            &headers,
            StatusCode::FORBIDDEN,
            &request,
            &params,
            Some("This form expired or was opened in another browser. Please sign in again."),
            None,
        );
    }
    if params.get("decision").map(String::as_str) != Some("allow") {
        return error_redirect(&state, &request, "access_denied", "the user denied the request");
    }
    // "Continue as": the sign-in session's user, who must still be the one the page showed.
    if let Some(shown) = params.get("signed_in_as").filter(|id| !id.is_empty()) {
        let session = match signin::current(&state, &headers) {
            Ok(session) => session,
            Err(e) => return e.into_response(),
        };
        let Session::Live(user) = &session else {
            let response = form_page(
                &state,
                &headers,
                StatusCode::UNAUTHORIZED,
                &request,
                &params,
                Some("Your sign-in session has ended. Please sign in again."),
                None,
            );
            return with_cookie(response, clear_if_dead(&state, &headers, &session));
        };
        if user.id != *shown {
            return form_page(
                &state,
                &headers,
                StatusCode::UNAUTHORIZED,
                &request,
                &params,
                Some("You signed in as someone else meanwhile. Please sign in again."),
                None,
            );
        }
        return approve(&state, &request, user);
    }
    let email = params.get("email").map(String::as_str).unwrap_or("");
    let password = params.get("password").map(String::as_str).unwrap_or("");
    let user = match credentials::verify(&state, peer.ip(), email, password).await {
        Ok(user) => user,
        Err(e) => {
            let message = if e.status() == StatusCode::TOO_MANY_REQUESTS {
                e.description().to_owned()
            } else {
                "Invalid email or password.".to_owned()
            };
            return form_page(&state, &headers, e.status(), &request, &params, Some(&message), None);
        }
    };
    with_cookie(approve(&state, &request, &user), signin::start(&state, &headers, &user.id))
}

/// The user approved the consent page: remembered (for `prompt=none`), and a code issued.
fn approve(state: &AppState, request: &AuthRequest, user: &User) -> Response {
    if let Err(e) = consent::record(state, &user.id, &request.client.client_id, &request.scopes) {
        return e.into_response();
    }
    issue_code(state, request, user)
}

/// The success answer of every path (the form, and `prompt=none` with a session): a code for
/// what the user may grant, back to the client with `state` and `iss`.
fn issue_code(state: &AppState, request: &AuthRequest, user: &User) -> Response {
    // The user can grant only what they hold; openid (their identity) and the management of
    // their own API keys are always theirs to grant.
    let user_scopes = util::parse_scopes(&user.scopes);
    let granted: Vec<String> = request
        .scopes
        .iter()
        .filter(|s| *s == "openid" || util::API_KEY_SCOPES.contains(&s.as_str()) || user_scopes.contains(s))
        .cloned()
        .collect();
    match store_code(state, request, &user.id, &granted) {
        Ok(code) => redirect(
            &request.redirect_uri,
            &[("code", Some(&code)), ("state", request.state.as_deref()), ("iss", Some(state.signer.issuer()))],
        ),
        Err(e) => e.into_response(),
    }
}

fn store_code(
    state: &AppState,
    request: &AuthRequest,
    user_id: &str,
    scopes: &[String],
) -> crate::error::ApiResult<String> {
    let code = util::random_token("ac_")?;
    state.db.lock()?.execute(
        "INSERT INTO auth_codes
           (code_hash, client_id, user_id, redirect_uri, scope, code_challenge, nonce, expires_at, dpop_jkt)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        rusqlite::params![
            util::sha256_hex(&code),
            request.client.client_id,
            user_id,
            request.redirect_uri,
            scopes.join(" "),
            request.code_challenge.as_deref().unwrap_or(""),
            request.nonce,
            util::now() + state.config.code_ttl as i64,
            request.dpop_jkt
        ],
    )?;
    Ok(code)
}
