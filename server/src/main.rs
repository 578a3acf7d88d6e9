//! Reference auth server for wasm-auth: every endpoint of the API guide over real HTTP, state in
//! embedded SQLite under `--data-dir`. The demo page and the end-to-end tests talk to it.

mod auth;
mod config;
mod credentials;
mod db;
mod dpop;
mod error;
mod extract;
mod keys;
mod oauth;
mod password;
mod rate_limit;
mod routes;
mod state;
mod tokens;
mod util;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;

use crate::config::Config;
use crate::db::{ClientSeed, Db};
use crate::keys::Signer;
use crate::rate_limit::LoginLimiter;
use crate::state::AppState;

/// The seeded confidential client's documented secret (demo only: change it for anything real).
const SERVICE_CLIENT_SECRET: &str = "demo-service-secret";

#[tokio::main]
async fn main() -> ExitCode {
    let config = Config::parse();
    match run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("wasm-auth-server: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: Config) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind((config.bind.as_str(), config.port))
        .await
        .map_err(|e| format!("cannot listen on {}:{}: {e}", config.bind, config.port))?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let issuer = config.issuer_for(port);

    let db = Db::open(&config.data_dir)?;
    let signer = Signer::load_or_create(&db, issuer.clone(), config.audience.clone())?;
    let mut spa_redirects = vec![format!("{issuer}/"), format!("{issuer}/callback")];
    spa_redirects.extend(config.spa_redirect_uris.iter().cloned());
    db.upsert_clients(&[
        ClientSeed {
            client_id: "demo-spa",
            name: "wasm-auth demo SPA",
            secret: None,
            redirect_uris: spa_redirects,
            scopes: "openid read:resources write:resources api_keys:read api_keys:write",
            grant_types: "authorization_code refresh_token",
        },
        ClientSeed {
            client_id: "demo-service",
            name: "wasm-auth demo service",
            secret: Some(SERVICE_CLIENT_SECRET),
            redirect_uris: vec![format!("{issuer}/callback")],
            scopes: "openid read:resources write:resources api_keys:read api_keys:write",
            grant_types: "client_credentials authorization_code refresh_token",
        },
    ])?;

    let own_origins =
        vec![issuer_origin(&issuer), format!("http://127.0.0.1:{port}"), format!("http://localhost:{port}")];
    let mut allowed_origins = own_origins.clone();
    allowed_origins.extend(config.cors_origins.iter().map(|o| o.trim_end_matches('/').to_owned()));
    allowed_origins.dedup();

    let state = AppState {
        db,
        signer: Arc::new(signer),
        limiter: Arc::new(LoginLimiter::new(config.login_max_failures, config.login_window)),
        allowed_origins: Arc::new(allowed_origins),
        own_origins: Arc::new(own_origins),
        dpop: Arc::new(dpop::Dpop::new(&config)),
        config: Arc::new(config.clone()),
        request_counts: Arc::default(),
    };
    println!(
        "wasm-auth-server listening on http://{}:{port} (issuer {issuer}, data in {})",
        config.bind,
        config.data_dir.display()
    );
    // Seeded names only: passwords and secrets stay out of logs, even the documented demo ones.
    println!(
        "  seeded: user {}, public client demo-spa, confidential client demo-service (see README)",
        db::DEMO_EMAIL
    );
    axum::serve(listener, routes::router(state).into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|e| format!("server: {e}"))
}

/// The origin of the issuer URL (an issuer with a path, e.g. https://host/auth, has the
/// origin https://host); the URL itself if it does not parse.
fn issuer_origin(issuer: &str) -> String {
    url::Url::parse(issuer).map_or_else(|_| issuer.to_owned(), |u| u.origin().ascii_serialization())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { () = ctrl_c => {}, () = terminate => {} }
}
