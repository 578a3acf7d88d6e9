//! The JavaScript bindings: the only `#[wasm_bindgen]` code of the crate.
//!
//! Each export converts its arguments, calls the core, and turns an [`Error`](crate::Error)
//! into a thrown JS `Error` carrying the stable `.code` (see [`error`]).

mod api_keys;
mod client_credentials;
mod error;
mod http;
mod oauth;
mod pkce;
mod session_client;
mod token_manager;
mod verifier;

use wasm_bindgen::prelude::*;

pub use api_keys::{ApiKeyAuth, ApiKeys};
pub use client_credentials::ClientCredentials;
pub use error::to_js_error;
pub use oauth::OAuthClient;
pub use session_client::SessionClient;
pub use token_manager::TokenManager;
pub use pkce::{create_pkce, pkce_challenge};
pub use verifier::{JwtVerifier, decode_unverified, verify_signature_with_subtle};

/// The package's version, e.g. `"0.1.0"`.
#[wasm_bindgen]
pub fn version() -> String {
    crate::VERSION.to_owned()
}
