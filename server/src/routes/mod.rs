//! The router: every endpoint of the API guide, the OAuth endpoints, discovery, the static
//! demo page and package, and the layers around them (CORS, body limit, no-store, panics).

mod api_keys;
mod jwt;
mod resources;
mod session;

use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, delete, get, post};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::services::ServeDir;

use crate::dpop;
use crate::error::ApiError;
use crate::extract::MAX_BODY_BYTES;
use crate::oauth::{authorize, discovery, logout, revoke, token};
use crate::state::AppState;

pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/v1/auth/login", post(jwt::login))
        .route("/v1/auth/refresh", post(jwt::refresh))
        .route("/v1/auth/logout", post(jwt::logout))
        .route("/v1/resources", get(resources::list).post(resources::create))
        .route("/v1/api-keys", get(api_keys::list).post(api_keys::create))
        .route("/v1/api-keys/{id}", delete(api_keys::revoke))
        .route("/v1/session", get(session::current))
        .route("/v1/session/login", post(session::login))
        .route("/v1/session/logout", post(session::logout))
        .route("/oauth/authorize", get(authorize::show).post(authorize::submit))
        .route("/oauth/token", post(token::token))
        .route("/oauth/revoke", post(revoke::revoke))
        .route("/oauth/logout", get(logout::show).post(logout::submit))
        .route("/.well-known/oauth-authorization-server", get(discovery::metadata_document))
        .route("/.well-known/openid-configuration", get(discovery::metadata_document))
        .route("/.well-known/jwks.json", get(discovery::jwks))
        .route("/v1/{*rest}", any(api_not_found))
        .route("/oauth/{*rest}", any(api_not_found))
        .layer(middleware::from_fn(no_store))
        .layer(middleware::from_fn_with_state(state.clone(), dpop_nonce));

    // Test instrumentation: how many requests each endpoint answered (e.g. that 20 concurrent
    // client calls across an expiry made exactly one refresh). Off unless --request-stats.
    let api = if state.config.request_stats {
        api.route("/_stats", get(request_stats)).layer(middleware::from_fn_with_state(state.clone(), count_request))
    } else {
        api
    };

    let statics = Router::new()
        .nest_service("/pkg", ServeDir::new(&state.config.pkg_dir))
        .fallback_service(ServeDir::new(&state.config.www_dir));

    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::list(state.allowed_origins.iter().filter_map(|o| HeaderValue::from_str(o).ok())))
        .allow_methods([Method::GET, Method::POST, Method::DELETE])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            HeaderName::from_static("x-api-key"),
            HeaderName::from_static(jwt::TRANSPORT_HEADER),
            dpop::HEADER,
        ])
        .expose_headers([header::WWW_AUTHENTICATE, header::RETRY_AFTER, dpop::NONCE_HEADER])
        .allow_credentials(true)
        .max_age(Duration::from_secs(600));

    api.fallback_service(statics)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(cors)
        .layer(CatchPanicLayer::custom(|_| ApiError::internal("a handler panicked").into_response()))
        .layer(middleware::from_fn(same_origin_location))
        .layer(middleware::from_fn(log_request))
        .with_state(state)
}

/// Most keys the request counter holds; a full table counts the rest under one key.
const MAX_STATS_KEYS: usize = 256;

/// Counts a request under "METHOD /route/{template}" (axum's MatchedPath: never the raw path,
/// which is the caller's to choose and may name other users' key ids). Methods beyond the
/// standard ones count as OTHER, so the table is bounded by the routes.
async fn count_request(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let method = request.method();
    let method =
        if [Method::GET, Method::HEAD, Method::POST, Method::PUT, Method::DELETE, Method::PATCH, Method::OPTIONS]
            .contains(method)
        {
            method.as_str()
        } else {
            "OTHER"
        };
    let route = request.extensions().get::<MatchedPath>().map_or("(no route)", MatchedPath::as_str);
    let key = format!("{method} {route}");
    if let Ok(mut counts) = state.request_counts.lock() {
        let key = if counts.len() < MAX_STATS_KEYS || counts.contains_key(&key) { key } else { "(other)".to_owned() };
        *counts.entry(key).or_default() += 1;
    }
    next.run(request).await
}

async fn request_stats(State(state): State<AppState>) -> Response {
    match state.request_counts.lock() {
        Ok(counts) => axum::Json(serde_json::json!({ "requests": *counts })).into_response(),
        Err(_) => ApiError::internal("the request counter is poisoned").into_response(),
    }
}

async fn api_not_found() -> ApiError {
    ApiError::not_found("no such endpoint")
}

/// Token answers and authenticated data must not be cached (RFC 6749 5.1).
async fn no_store(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    }
    response
}

/// DPoP nonces (RFC 9449 8 and 9): with `--dpop-nonce` or `--dpop-resource-nonce`, every answer
/// to a request that came with a proof carries the current nonce, so a client follows the
/// rotation without being refused first. Requests without a proof get no such header.
async fn dpop_nonce(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let with_proof = request.headers().contains_key(dpop::HEADER);
    let mut response = next.run(request).await;
    if with_proof && !response.headers().contains_key(dpop::NONCE_HEADER) {
        let nonce = dpop::nonce(&state).ok().flatten().and_then(|n| HeaderValue::from_str(&n).ok());
        if let Some(nonce) = nonce {
            response.headers_mut().insert(dpop::NONCE_HEADER, nonce);
        }
    }
    response
}

/// A relative Location never names another host. ServeDir answers `GET //evil.example` (a
/// directory) with `Location: //evil.example/`, which browsers read as a protocol-relative URL:
/// an open redirect. Leading slashes and backslashes (browsers treat `\` as `/`, and drop tabs
/// and newlines) collapse into one `/`, so the redirect stays on this origin.
async fn same_origin_location(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let Some(location) = response.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()) else {
        return response;
    };
    let visible: String = location.chars().filter(|c| !matches!(c, '\t' | '\n' | '\r')).collect();
    if visible.starts_with("//") || visible.starts_with("/\\") {
        let path = visible.trim_start_matches(['/', '\\', ' ']);
        let safe = HeaderValue::from_str(&format!("/{path}")).unwrap_or(HeaderValue::from_static("/"));
        response.headers_mut().insert(header::LOCATION, safe);
    }
    response
}

/// One line per request: method, path and status. Never the query string (it may hold an
/// api_key or an authorization code), never a header or a body.
async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    println!("{method} {path} {} {:.1} ms", response.status().as_u16(), started.elapsed().as_secs_f64() * 1000.0);
    response
}
