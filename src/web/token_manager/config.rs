//! `TokenManager`'s options, read once at construction.

use js_sys::Reflect;
use wasm_bindgen::prelude::*;

use crate::Error;
use crate::client::base_url::BaseUrl;
use crate::client::oauth::RefreshVia;
use crate::client::schedule::DEFAULT_SESSION_MARGIN_MS;
use crate::web::http;

pub(super) struct Config {
    pub(super) base: BaseUrl,
    pub(super) margin_ms: f64,
    pub(super) trusted: js_sys::Array,
    pub(super) refresh: RefreshVia,
    pub(super) client_id: Option<String>,
    pub(super) revocation: Option<String>,
    pub(super) revoke_on_logout: bool,
}

pub(super) fn option(options: &JsValue, name: &str) -> Option<JsValue> {
    if !options.is_object() {
        return None;
    }
    Reflect::get(options, &JsValue::from_str(name)).ok().filter(|v| !v.is_undefined() && !v.is_null())
}

fn string_option(options: &JsValue, name: &str) -> Result<Option<String>, Error> {
    option(options, name)
        .map(|v| v.as_string().ok_or_else(|| Error::InvalidOptions(format!("{name} must be a string"))))
        .transpose()
}

fn url_option(options: &JsValue, name: &str) -> Result<Option<String>, Error> {
    string_option(options, name)?
        .map(|url| {
            BaseUrl::parse(&url)
                .map(|u| u.as_str().to_owned())
                .map_err(|_| Error::InvalidOptions(format!("{name} must be an http: or https: URL")))
        })
        .transpose()
}

/// The origins `fetch` may send credentials to: the base URL's and `allowedOrigins`.
pub(crate) fn trusted_origins(base: &BaseUrl, options: &JsValue) -> Result<js_sys::Array, Error> {
    let list = js_sys::Array::new();
    let origin = |url: &str| http::origin_of(url).map_err(|_| Error::InvalidOptions(format!("{url:?} is not a URL")));
    list.push(&JsValue::from_str(&origin(base.as_str())?));
    if let Some(extra) = option(options, "allowedOrigins") {
        if !js_sys::Array::is_array(&extra) {
            return Err(Error::InvalidOptions("allowedOrigins must be an array of origins".into()));
        }
        for entry in js_sys::Array::from(&extra).iter() {
            let text = entry
                .as_string()
                .ok_or_else(|| Error::InvalidOptions("allowedOrigins must be an array of origins".into()))?;
            BaseUrl::parse(&text).map_err(|_| {
                Error::InvalidOptions(format!("allowedOrigins: {text:?} is not an http: or https: origin"))
            })?;
            list.push(&JsValue::from_str(&origin(&text)?));
        }
    }
    Ok(list)
}

/// The required `baseUrl` option.
pub(crate) fn base_url(options: &JsValue) -> Result<BaseUrl, Error> {
    if !options.is_object() {
        return Err(Error::InvalidOptions("options must be an object with baseUrl".into()));
    }
    let base = string_option(options, "baseUrl")?.ok_or_else(|| Error::InvalidOptions("baseUrl is required".into()))?;
    BaseUrl::parse(&base)
}

impl Config {
    pub(super) fn read(options: &JsValue) -> Result<Config, Error> {
        let base = base_url(options)?;
        let margin_s = match option(options, "refreshMarginSeconds") {
            None => DEFAULT_SESSION_MARGIN_MS / 1000.0,
            Some(v) => v.as_f64().filter(|n| n.is_finite() && *n >= 0.0).ok_or_else(|| {
                Error::InvalidOptions("refreshMarginSeconds must be a number of seconds, 0 or more".into())
            })?,
        };
        let refresh = match url_option(options, "tokenEndpoint")? {
            Some(url) => RefreshVia::OAuth(url),
            None => RefreshVia::Json(base.endpoint("/auth/refresh")),
        };
        let revoke_on_logout = match option(options, "revokeOnLogout") {
            None => true,
            Some(v) => v.as_bool().ok_or_else(|| Error::InvalidOptions("revokeOnLogout must be a boolean".into()))?,
        };
        Ok(Config {
            trusted: trusted_origins(&base, options)?,
            margin_ms: margin_s * 1000.0,
            refresh,
            client_id: string_option(options, "clientId")?,
            revocation: url_option(options, "revocationEndpoint")?,
            revoke_on_logout,
            base,
        })
    }
}
