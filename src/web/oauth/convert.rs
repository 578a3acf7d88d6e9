//! Rust values as the JS objects `OAuthClient` hands out.

use wasm_bindgen::prelude::*;

use crate::client::TokenSet;
pub(super) use crate::web::object::js_object;

pub(super) fn optional(value: Option<&str>) -> JsValue {
    value.map_or(JsValue::UNDEFINED, JsValue::from_str)
}

/// A validated token answer as a plain `TokenResponse` object.
pub(super) fn token_response(tokens: &TokenSet) -> JsValue {
    js_object(&[
        ("access_token", JsValue::from_str(tokens.access_token.expose())),
        ("token_type", JsValue::from_str(tokens.scheme())),
        ("refresh_token", optional(tokens.refresh_token.as_ref().map(|t| t.expose()))),
        ("expires_in", tokens.expires_in.map_or(JsValue::UNDEFINED, JsValue::from)),
        ("scope", optional(tokens.scope.as_deref())),
        ("id_token", optional(tokens.id_token.as_ref().map(|t| t.expose()))),
    ])
}
