//! The JavaScript bindings: the only `#[wasm_bindgen]` code of the crate.
//!
//! Each export converts its arguments, calls the core, and turns an [`Error`](crate::Error)
//! into a thrown JS `Error` carrying the stable `.code` (see [`error`]).

mod error;
mod pkce;
mod verifier;

use wasm_bindgen::prelude::*;

pub use error::to_js_error;
pub use pkce::{create_pkce, pkce_challenge};
pub use verifier::{JwtVerifier, decode_unverified, verify_signature_with_subtle};

/// The package's version, e.g. `"0.1.0"`.
#[wasm_bindgen]
pub fn version() -> String {
    crate::VERSION.to_owned()
}
