//! wasm-auth: authentication for browser single-page apps and edge workers.
//!
//! The crate has two layers:
//! - a pure-Rust core (every module but `web`): no wasm-bindgen, no network, no clock of its
//!   own; it is tested natively with `cargo test`;
//! - [`web`] (only on `wasm32`): the one place with `#[wasm_bindgen]`, binding the core to
//!   JavaScript (`crypto.getRandomValues`, and later `fetch`, `crypto.subtle`, timers).
//!
//! The npm package `wasm-auth` is built from this crate by `make pkg`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod client;
mod error;
pub mod jose;
pub mod pkce;

pub use error::bearer::{BearerRefusal, ChallengeContext};
pub use error::{
    CallbackRefusal, ClaimFailure, Error, ErrorKind, HttpFailure, NetworkFailure, RetryAfter, TokenRefusal,
};

/// This crate's version, which is also the npm package's version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg(target_arch = "wasm32")]
pub mod web;
