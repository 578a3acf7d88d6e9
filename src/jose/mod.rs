//! JOSE verification core: compact JWS parsing, header policy, JWKs and key selection, claim
//! validation, HMAC. Pure Rust with no platform calls: the `web` layer runs asymmetric
//! signature checks through `crypto.subtle` between [`jws::parse`] and [`claims::validate`].

pub mod alg;
pub use strict_base64 as base64;
pub mod claims;
pub mod dpop;
pub mod hmac;
pub mod json;
pub mod jwk;
pub mod jwks_cache;
pub mod jws;
pub mod keyset;
#[cfg(any(not(target_arch = "wasm32"), feature = "pure-rust"))]
pub mod native;
pub mod options;
pub mod remote_keyset;
pub mod request;
pub mod signature;
pub mod spki;
pub mod thumbprint;
pub mod token_cache;
pub mod verify;
pub mod webcrypto;
