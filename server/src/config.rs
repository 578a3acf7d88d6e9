//! Command line and environment: where to listen, where to keep state, token lifetimes.

use std::path::PathBuf;

use clap::Parser;

/// The reference auth server of wasm-auth: every endpoint of the API guide, on SQLite.
#[derive(Parser, Debug, Clone)]
#[command(version, about)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "WASM_AUTH_BIND", default_value = "127.0.0.1")]
    pub bind: String,
    /// Port to listen on (0 picks a free one; the chosen URL is printed).
    #[arg(long, env = "WASM_AUTH_PORT", default_value_t = 8080)]
    pub port: u16,
    /// Directory of the SQLite database and signing key, created on first start.
    #[arg(long, env = "WASM_AUTH_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// Public base URL, the `iss` of tokens; defaults to http://<bind>:<port>.
    #[arg(long, env = "WASM_AUTH_ISSUER")]
    pub issuer: Option<String>,
    /// The `aud` of access tokens: this API.
    #[arg(long, env = "WASM_AUTH_AUDIENCE", default_value = "wasm-auth-api")]
    pub audience: String,
    /// Access token lifetime, seconds.
    #[arg(long, env = "WASM_AUTH_ACCESS_TTL", default_value_t = 3600)]
    pub access_ttl: u64,
    /// Refresh token lifetime, seconds.
    #[arg(long, env = "WASM_AUTH_REFRESH_TTL", default_value_t = 14 * 24 * 3600)]
    pub refresh_ttl: u64,
    /// How long after a rotation the rotated refresh token is still accepted once more, seconds,
    /// when the answer carrying its successor was lost (the successor never used): the retry gets
    /// a new pair that replaces the unused successor. 0: every reuse revokes the family.
    #[arg(long, env = "WASM_AUTH_REFRESH_GRACE_SECONDS", default_value_t = 30)]
    pub refresh_grace_seconds: u64,
    /// Authorization code lifetime, seconds.
    #[arg(long, env = "WASM_AUTH_CODE_TTL", default_value_t = 60)]
    pub code_ttl: u64,
    /// Cookie session lifetime, seconds.
    #[arg(long, env = "WASM_AUTH_SESSION_TTL", default_value_t = 8 * 3600)]
    pub session_ttl: u64,
    /// Sign-in session at /oauth/authorize (the `oauth_session` cookie), seconds: while it
    /// lives, `prompt=none` can answer with a code and the page asks only for consent. 0 keeps
    /// no session (every authorization asks for the password).
    #[arg(long, env = "WASM_AUTH_OAUTH_SESSION_SECONDS", default_value_t = 8 * 3600)]
    pub oauth_session_seconds: u64,
    /// Failed logins from one client before it is rate-limited.
    #[arg(long, env = "WASM_AUTH_LOGIN_MAX_FAILURES", default_value_t = 5)]
    pub login_max_failures: u32,
    /// Window over which failed logins are counted, seconds (also the Retry-After).
    #[arg(long, env = "WASM_AUTH_LOGIN_WINDOW", default_value_t = 60)]
    pub login_window: u64,
    /// Extra origins allowed by CORS and the cookie CSRF check (repeatable), besides the
    /// server's own.
    #[arg(long = "cors-origin", env = "WASM_AUTH_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,
    /// Extra redirect URIs for the public SPA client `demo-spa` (repeatable), besides the
    /// demo page's own.
    #[arg(long = "spa-redirect-uri", env = "WASM_AUTH_SPA_REDIRECT_URIS", value_delimiter = ',')]
    pub spa_redirect_uris: Vec<String>,
    /// Directory served at `/` (the demo page).
    #[arg(long, env = "WASM_AUTH_WWW_DIR", default_value = "www")]
    pub www_dir: PathBuf,
    /// Directory served at `/pkg/` (the built npm package).
    #[arg(long, env = "WASM_AUTH_PKG_DIR", default_value = "pkg")]
    pub pkg_dir: PathBuf,

    /// Count requests per method and route template (e.g. DELETE /v1/api-keys/{id}) and serve
    /// the counts at GET /_stats (for tests and the demo, which show how many refreshes the
    /// client made; off by default).
    #[arg(long, env = "WASM_AUTH_REQUEST_STATS")]
    pub request_stats: bool,

    /// DPoP (RFC 9449 8): the token endpoints (/oauth/token, /v1/auth/login, /v1/auth/refresh)
    /// refuse a DPoP proof without the server's current (or previous) nonce, answering 400
    /// `use_dpop_nonce` with a `DPoP-Nonce` header. Off by default: any fresh proof is taken.
    #[arg(long, env = "WASM_AUTH_DPOP_NONCE")]
    pub dpop_nonce: bool,
    /// DPoP (RFC 9449 9): the protected API refuses a DPoP proof without the server's nonce,
    /// answering 401 `use_dpop_nonce` (on the DPoP challenge) with a `DPoP-Nonce` header.
    #[arg(long, env = "WASM_AUTH_DPOP_RESOURCE_NONCE")]
    pub dpop_resource_nonce: bool,
    /// How often the DPoP nonce changes, seconds; the previous one stays valid one period more.
    #[arg(long, env = "WASM_AUTH_DPOP_NONCE_SECONDS", default_value_t = 300)]
    pub dpop_nonce_seconds: u64,
}

impl Config {
    /// The issuer URL without a trailing slash, once the real port is known.
    pub fn issuer_for(&self, port: u16) -> String {
        match &self.issuer {
            Some(issuer) => issuer.trim_end_matches('/').to_owned(),
            None => format!("http://{}:{}", self.bind, port),
        }
    }
}
