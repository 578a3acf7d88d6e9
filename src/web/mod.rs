//! The JavaScript bindings: the only `#[wasm_bindgen]` code of the crate.
//!
//! Each export converts its arguments, calls the core, and turns an [`Error`](crate::Error)
//! into a thrown JS `Error` carrying the stable `.code` with `?` or `.into()` (`impl
//! From<Error> for JsValue`, see [`error`]).

#[cfg(feature = "browser-client")]
mod api_keys;
mod bytes;
mod client_credentials;
mod dpop;
mod error;
mod http;
#[cfg(feature = "browser-client")]
mod oauth;
mod object;
mod options;
mod pkce;
#[cfg(feature = "browser-client")]
mod session_client;
#[cfg(feature = "browser-client")]
mod token_manager;
mod verifier;

use wasm_bindgen::prelude::*;

/// Power-of-two size classes instead of std's dlmalloc: 3.3 KB less gzip wasm, O(1) alloc and
/// free (see crates/size-class-alloc for what it trades).
#[global_allocator]
static ALLOCATOR: size_class_alloc::SizeClasses = size_class_alloc::SizeClasses::new();

#[cfg(feature = "browser-client")]
pub use api_keys::{ApiKeyAuth, ApiKeys};
pub use client_credentials::ClientCredentials;
#[cfg(feature = "browser-client")]
pub(crate) use error::reject;
#[cfg(feature = "browser-client")]
pub use oauth::OAuthClient;
pub use pkce::{create_pkce, pkce_challenge};
#[cfg(feature = "browser-client")]
pub use session_client::SessionClient;
#[cfg(feature = "browser-client")]
pub use token_manager::TokenManager;
pub use verifier::{JwtVerifier, decode_unverified, verify_signature_in_js};

/// The package's version, e.g. `"0.1.0"`.
#[wasm_bindgen]
pub fn version() -> String {
    crate::VERSION.to_owned()
}
