//! The browser client's decisions, as pure functions: what a token answer means, when to
//! refresh, what an error answer means, what the API-key endpoints return.
//!
//! Nothing here performs I/O or reads a clock: the `web` layer sends the requests, passes
//! the answers and the time in, and acts on what comes back (oauth4webapi's pairing of
//! request builders and response processors).

pub mod answer;
pub mod api_keys;
pub mod base_url;
pub mod dpop;
pub mod form;
pub mod oauth;
pub mod options;
pub mod redirects;
pub mod request_line;
pub mod schedule;
pub mod secret;
pub mod session;
pub mod tabs;
pub mod token_set;

pub use answer::{Answer, Purpose};
pub use schedule::{Expiry, Stamp, Status};
pub use secret::Secret;
pub use token_set::TokenSet;
