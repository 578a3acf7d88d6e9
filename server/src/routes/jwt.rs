//! JWT authentication: POST /v1/auth/login, POST /v1/auth/refresh and POST /v1/auth/logout.
//!
//! The refresh token travels in the JSON bodies (the guide's way, the default) or, when the
//! request says `Refresh-Token-Transport: cookie`, in an HttpOnly cookie that JavaScript never
//! sees: `refresh_token`, SameSite=Strict, one cookie per endpoint that reads it (Path is
//! /v1/auth/refresh and /v1/auth/logout). The header is also the CSRF guard of the cookie: a
//! cross-site form cannot send it, and a cross-origin fetch with it needs a CORS preflight that
//! only the allowed origins pass; the Origin is checked as well, as for the cookie session.
//! Without the header the cookie is ignored.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequest, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{AppendHeaders, IntoResponse, Response};
use serde::Deserialize;

use crate::auth;
use crate::credentials;
use crate::dpop;
use crate::error::{ApiError, ApiResult};
use crate::extract::Json;
use crate::state::AppState;
use crate::tokens::{self, Grant, Presenter, TokenResponse};
use crate::util;

/// The request header that asks for the refresh token in a cookie (its one value: `cookie`).
pub const TRANSPORT_HEADER: &str = "refresh-token-transport";
/// The refresh token's cookie in cookie mode.
const REFRESH_COOKIE: &str = "refresh_token";
/// The endpoints that read the cookie: each gets a cookie of its own, so no other path sees it.
const COOKIE_ENDPOINTS: [&str; 2] = ["/v1/auth/refresh", "/v1/auth/logout"];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Transport {
    /// The refresh token in the JSON bodies, as the guide has it.
    Json,
    /// The refresh token in an HttpOnly cookie.
    Cookie,
}

fn transport(headers: &HeaderMap) -> ApiResult<Transport> {
    match headers.get(TRANSPORT_HEADER) {
        None => Ok(Transport::Json),
        Some(value) if value.as_bytes() == b"cookie" => Ok(Transport::Cookie),
        Some(_) => Err(ApiError::invalid_request("the Refresh-Token-Transport header's one value is `cookie`")),
    }
}

/// The two `Set-Cookie` values of the refresh token `value` (empty with `max_age` 0: deleted).
/// The paths follow the issuer's path, where the endpoints are when a proxy mounts the server
/// under one.
fn refresh_cookies(state: &AppState, headers: &HeaderMap, value: &str, max_age: u64) -> ApiResult<[HeaderValue; 2]> {
    let prefix = url::Url::parse(state.signer.issuer()).map(|u| u.path().trim_end_matches('/').to_owned());
    let prefix = prefix.unwrap_or_default();
    let cookie = |endpoint: &str| {
        auth::set_cookie(state, headers, REFRESH_COOKIE, value, &format!("{prefix}{endpoint}"), "Strict", Some(max_age))
    };
    Ok([cookie(COOKIE_ENDPOINTS[0])?, cookie(COOKIE_ENDPOINTS[1])?])
}

fn set_cookies(cookies: [HeaderValue; 2]) -> AppendHeaders<[(header::HeaderName, HeaderValue); 2]> {
    let [a, b] = cookies;
    AppendHeaders([(header::SET_COOKIE, a), (header::SET_COOKIE, b)])
}

/// `tokens` as the answer of `transport`: in cookie mode the refresh token leaves the body for
/// the cookies.
fn answer(
    state: &AppState,
    headers: &HeaderMap,
    transport: Transport,
    mut tokens: TokenResponse,
) -> ApiResult<Response> {
    if transport == Transport::Json {
        return Ok(axum::Json(tokens).into_response());
    }
    let refresh_token = tokens.refresh_token.take().ok_or_else(|| ApiError::internal("no refresh token minted"))?;
    let cookies = refresh_cookies(state, headers, &refresh_token, state.config.refresh_ttl)?;
    Ok((set_cookies(cookies), axum::Json(tokens)).into_response())
}

#[derive(Deserialize)]
pub struct LoginBody {
    email: String,
    password: String,
}

pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(body): Json<LoginBody>,
) -> ApiResult<Response> {
    let transport = transport(&headers)?;
    if transport == Transport::Cookie {
        // Login CSRF: a foreign page must not plant a session of its choosing in the cookie.
        auth::check_origin(&state, &Method::POST, &headers)?;
    }
    let proof = dpop::token_request(&state, &headers, "/v1/auth/login")?;
    let user = credentials::verify(&state, peer.ip(), &body.email, &body.password).await?;
    // Remembered only now that the password is accepted (see dpop's module comment).
    let dpop_jkt = dpop::accepted(&state, proof)?;
    // First-party tokens: the user's scopes, and managing the user's own API keys.
    let mut scopes = util::parse_scopes(&user.scopes);
    scopes.extend(util::API_KEY_SCOPES.iter().map(|s| (*s).to_owned()));
    let scope = util::parse_scopes(&scopes.join(" ")).join(" ");
    // No client credentials here: a proof binds the refresh token too (RFC 9449 5).
    let dpop_jkt = dpop_jkt.as_deref();
    let grant = Grant { user_id: &user.id, client_id: None, scope: &scope, dpop_jkt, refresh_jkt: dpop_jkt };
    answer(&state, &headers, transport, tokens::issue(&state, &grant)?.0.response)
}

#[derive(Deserialize)]
pub struct RefreshBody {
    refresh_token: String,
}

pub async fn refresh(State(state): State<AppState>, request: Request) -> ApiResult<Response> {
    let headers = request.headers().clone();
    match transport(&headers)? {
        Transport::Json => {
            let Json(body) = Json::<RefreshBody>::from_request(request, &state).await?;
            let proof = dpop::token_request(&state, &headers, "/v1/auth/refresh")?;
            let by = Presenter { client_id: None, public: true, dpop_jkt: proof.as_ref().map(|p| p.jkt.as_str()) };
            let tokens = tokens::rotate(&state, &body.refresh_token, &by, None, StatusCode::UNAUTHORIZED)?;
            dpop::accepted(&state, proof)?;
            answer(&state, &headers, Transport::Json, tokens)
        }
        Transport::Cookie => {
            auth::check_origin(&state, &Method::POST, &headers)?;
            let proof = dpop::token_request(&state, &headers, "/v1/auth/refresh")?;
            let by = Presenter { client_id: None, public: true, dpop_jkt: proof.as_ref().map(|p| p.jkt.as_str()) };
            let rotated = match auth::cookie(&headers, REFRESH_COOKIE) {
                Some(presented) => tokens::rotate(&state, &presented, &by, None, StatusCode::UNAUTHORIZED),
                None => Err(ApiError::invalid_grant(StatusCode::UNAUTHORIZED, "no refresh token cookie")),
            };
            let rotated = rotated.and_then(|tokens| dpop::accepted(&state, proof).map(|_| tokens));
            match rotated {
                Ok(tokens) => answer(&state, &headers, Transport::Cookie, tokens),
                // A refused token is dead (reused, revoked, expired or unknown): the browser drops
                // it. A server error says nothing about the token, which stays.
                Err(refused) if refused.status() == StatusCode::UNAUTHORIZED => {
                    Ok((set_cookies(refresh_cookies(&state, &headers, "", 0)?), refused).into_response())
                }
                Err(other) => Err(other),
            }
        }
    }
}

#[derive(Deserialize)]
pub struct LogoutBody {
    refresh_token: String,
}

/// Ends the session of a refresh token: its whole family is revoked. 204 whether or not the
/// token was known (it is dead either way, and the answer tells nothing about which exist).
pub async fn logout(State(state): State<AppState>, request: Request) -> ApiResult<Response> {
    let headers = request.headers().clone();
    let transport = transport(&headers)?;
    let presented = match transport {
        Transport::Json => Some(Json::<LogoutBody>::from_request(request, &state).await?.0.refresh_token),
        Transport::Cookie => {
            auth::check_origin(&state, &Method::POST, &headers)?;
            auth::cookie(&headers, REFRESH_COOKIE)
        }
    };
    if let Some(presented) = presented {
        tokens::revoke_refresh_token(&state, &presented, None)?;
    }
    revoke_bearer(&state, &headers)?;
    if transport == Transport::Json {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    Ok((StatusCode::NO_CONTENT, set_cookies(refresh_cookies(&state, &headers, "", 0)?)).into_response())
}

/// The caller's own access token, if it sent a valid first-party one (Bearer, or DPoP-bound
/// under the DPoP scheme: ending it needs no proof): deny-listed until it expires, so the logout
/// ends it too. Anything else in Authorization is not this endpoint's business (the logout
/// succeeds regardless).
fn revoke_bearer(state: &AppState, headers: &HeaderMap) -> ApiResult<()> {
    let Some(token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("dpop"))
        .map(|(_, token)| token.trim())
    else {
        return Ok(());
    };
    match state.signer.verify_access(token) {
        Ok(access) if access.client_id.is_none() => {
            tokens::revoke_access(&*state.db.lock()?, &access.jti, access.expires_at)?;
            Ok(())
        }
        _ => Ok(()),
    }
}
