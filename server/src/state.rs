//! What every handler shares.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use crate::config::Config;
use crate::db::Db;
use crate::dpop::Dpop;
use crate::keys::Signer;
use crate::rate_limit::LoginLimiter;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub signer: Arc<Signer>,
    pub config: Arc<Config>,
    pub limiter: Arc<LoginLimiter>,
    /// DPoP nonces and the record of proofs seen (RFC 9449).
    pub dpop: Arc<Dpop>,
    /// Origins trusted for CORS and for cookie-authenticated state changes: the server's own
    /// origin(s) plus `--cors-origin`.
    pub allowed_origins: Arc<Vec<String>>,
    /// The server's own origins (the issuer's, and 127.0.0.1 / localhost on its port): where
    /// the OAuth login form may be posted from.
    pub own_origins: Arc<Vec<String>>,
    /// "METHOD /route/{template}" -> requests answered, kept only with `--request-stats`
    /// (bounded: see `routes::count_request`).
    pub request_counts: Arc<Mutex<BTreeMap<String, u64>>>,
}

impl AppState {
    pub fn origin_allowed(&self, origin: &str) -> bool {
        self.allowed_origins.iter().any(|o| o == origin)
    }

    /// Whether the public URL (the issuer) is https: cookies are then Secure and `__Host-`.
    pub fn https(&self) -> bool {
        self.signer.issuer().starts_with("https://")
    }

    /// The name of the cookie `base` is: `__Host-<base>` behind https (a cookie only this host
    /// can set: Secure, Path=/, no Domain), plain `<base>` over http, where browsers refuse
    /// `__Host-` cookies (they need Secure).
    pub fn cookie_name(&self, base: &str) -> String {
        if self.https() { format!("__Host-{base}") } else { base.to_owned() }
    }
}
