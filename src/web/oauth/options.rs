//! `OAuthClient`'s option readers.

use js_sys::Reflect;
use wasm_bindgen::prelude::*;

use crate::Error;
use crate::web::http;

pub(super) fn text(options: &JsValue, name: &str) -> Result<Option<String>, Error> {
    if !options.is_object() {
        return Ok(None);
    }
    match Reflect::get(options, &JsValue::from_str(name)).ok().filter(|v| !v.is_undefined() && !v.is_null()) {
        None => Ok(None),
        Some(v) => v.as_string().map(Some).ok_or_else(|| Error::InvalidOptions(format!("{name} must be a string"))),
    }
}

pub(super) fn endpoint(options: &JsValue, name: &str) -> Result<Option<String>, Error> {
    match text(options, name)? {
        Some(url) if crate::client::base_url::BaseUrl::parse(&url).is_err() => {
            Err(Error::InvalidOptions(format!("{name} must be an http: or https: URL")))
        }
        other => Ok(other),
    }
}

/// `maxResponseBytes`: a whole number of bytes, 1 or more; default 512 KiB.
pub(super) fn max_response_bytes(options: &JsValue) -> Result<f64, Error> {
    if !options.is_object() {
        return Ok(http::DEFAULT_MAX_RESPONSE_BYTES);
    }
    match Reflect::get(options, &"maxResponseBytes".into()).ok().filter(|v| !v.is_undefined() && !v.is_null()) {
        None => Ok(http::DEFAULT_MAX_RESPONSE_BYTES),
        Some(v) => v
            .as_f64()
            .filter(|n| n.is_finite() && *n >= 1.0 && n.fract() == 0.0)
            .ok_or_else(|| Error::InvalidOptions("maxResponseBytes must be a whole number of bytes, 1 or more".into())),
    }
}
