//! The constructor's and the calls' option readers, as they were in verifier.rs (one options
//! layer for every class is a later change).

use js_sys::{Array, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;

use super::KeySource;
use super::remote::Remote;
use crate::Error;
use crate::jose::json::{Value, object};
use crate::jose::jwk::Jwk;
use crate::jose::jwks_cache::CachePolicy;
use crate::jose::jws::Limits;
use crate::jose::keyset::KeySet;
use crate::jose::options;
use crate::jose::remote_keyset::RemoteKeySet;
use crate::jose::request::ApiKeyEntry;
use crate::jose::verify::VerifyOptions;

/// A JS value as JSON text, for the JWK and JWKS options.
fn json_text(value: &JsValue, what: &str) -> Result<String, Error> {
    js_sys::JSON::stringify(value).ok().and_then(|s| s.as_string()).ok_or_else(|| not_json(what))
}

fn not_json(what: &str) -> Error {
    Error::InvalidOptions(format!("{what} must be JSON data"))
}

/// A JS value as JSON, for the JWK and JWKS options.
fn to_json(value: &JsValue, what: &str) -> Result<Value, Error> {
    crate::jose::json::parse_value(json_text(value, what)?.as_bytes()).map_err(|_| not_json(what))
}

/// `options[name]`, unless undefined. Not an object (e.g. no options given): nothing, without
/// asking JS (Reflect.get on undefined throws, which costs ~10 us and a table slot per call).
pub(super) fn get(options: &JsValue, name: &str) -> Option<JsValue> {
    if !options.is_object() {
        return None;
    }
    Reflect::get(options, &JsValue::from_str(name)).ok().filter(|v| !v.is_undefined())
}

pub(super) fn strings(value: JsValue, name: &str, single_allowed: bool) -> Result<Vec<String>, Error> {
    if single_allowed {
        if let Some(s) = value.as_string() {
            return Ok(vec![s]);
        }
    }
    let bad = || {
        Error::InvalidOptions(format!(
            "{name} must be {}",
            if single_allowed { "a string or an array of strings" } else { "an array of strings" }
        ))
    };
    if !Array::is_array(&value) {
        return Err(bad());
    }
    Array::from(&value).iter().map(|v| v.as_string().ok_or_else(bad)).collect()
}

const OPTION_NAMES: [&str; 21] = [
    "secret",
    "jwk",
    "publicKey",
    "jwks",
    "keys",
    "jwksUri",
    "timeoutDuration",
    "cooldownDuration",
    "cacheMaxAge",
    "jwksCache",
    "jwksMaxBytes",
    "issuer",
    "audience",
    "subject",
    "typ",
    "algorithms",
    "clockTolerance",
    "requiredClaims",
    "maxTokenAge",
    "maxTokenLength",
    "apiKeys",
];

pub(super) fn read_api_keys(options: &JsValue) -> Result<Vec<ApiKeyEntry>, Error> {
    let Some(list) = get(options, "apiKeys") else { return Ok(Vec::new()) };
    if !Array::is_array(&list) {
        return Err(Error::InvalidOptions("apiKeys must be an array of { sha256, scopes, name? }".into()));
    }
    Array::from(&list)
        .iter()
        .map(|entry| {
            let sha256 = get(&entry, "sha256")
                .and_then(|v| v.as_string())
                .ok_or_else(|| Error::InvalidOptions("apiKeys[].sha256 must be a string".into()))?;
            let scopes =
                strings(get(&entry, "scopes").unwrap_or_else(|| Array::new().into()), "apiKeys[].scopes", false)?;
            let name = match get(&entry, "name") {
                None => None,
                Some(v) => {
                    Some(v.as_string().ok_or_else(|| Error::InvalidOptions("apiKeys[].name must be a string".into()))?)
                }
            };
            ApiKeyEntry::new(&sha256.to_ascii_lowercase(), scopes, name)
        })
        .collect()
}

fn millis(options: &JsValue, name: &str, default: f64) -> Result<f64, Error> {
    get(options, name).map_or(Ok(default), |v| options::millis(name, v.as_f64()))
}

fn read_remote(options: &JsValue, uri: String) -> Result<Remote, Error> {
    let parsed = crate::client::base_url::split_scheme(&uri).map(|(scheme, _)| scheme.to_ascii_lowercase());
    if !matches!(parsed.as_deref(), Some("https" | "http")) {
        return Err(Error::InvalidOptions("jwksUri must be an http: or https: URL".into()));
    }
    let defaults = CachePolicy::default();
    let policy = CachePolicy {
        max_age_ms: millis(options, "cacheMaxAge", defaults.max_age_ms)?,
        cooldown_ms: millis(options, "cooldownDuration", defaults.cooldown_ms)?,
        timeout_ms: millis(options, "timeoutDuration", defaults.timeout_ms)?,
        max_bytes: match get(options, "jwksMaxBytes") {
            None => defaults.max_bytes,
            Some(v) => options::bytes("jwksMaxBytes", v.as_f64())?,
        },
    };
    let mut keys = RemoteKeySet::new(policy);
    if let Some(seed) = get(options, "jwksCache") {
        let document =
            get(&seed, "jwks").ok_or_else(|| Error::InvalidOptions("jwksCache needs jwks and uat".into()))?;
        let uat = get(&seed, "uat")
            .and_then(|v| v.as_f64())
            .ok_or_else(|| Error::InvalidOptions("jwksCache.uat must be a time in milliseconds".into()))?;
        keys.seed(json_text(&document, "jwksCache.jwks")?, uat)?;
    }
    Ok(Remote::new(uri, keys))
}

pub(super) fn read_keys(options: &JsValue) -> Result<KeySource, Error> {
    let sources: Vec<&str> = ["secret", "jwk", "publicKey", "jwks", "keys", "jwksUri"]
        .into_iter()
        .filter(|name| get(options, name).is_some())
        .collect();
    if sources.as_slice() != ["jwksUri"] {
        for remote_only in ["timeoutDuration", "cooldownDuration", "cacheMaxAge", "jwksCache", "jwksMaxBytes"] {
            if get(options, remote_only).is_some() {
                return Err(Error::InvalidOptions(format!("{remote_only} applies to jwksUri only")));
            }
        }
    }
    match sources.as_slice() {
        ["secret"] => {
            let secret = get(options, "secret").unwrap_or_default();
            let bytes = if let Some(text) = secret.as_string() {
                text.into_bytes()
            } else if secret.is_instance_of::<Uint8Array>() {
                Uint8Array::from(secret).to_vec()
            } else {
                return Err(Error::InvalidOptions("secret must be a string or a Uint8Array".into()));
            };
            Ok(KeySource::Static(KeySet::single(Jwk::from_secret(&bytes)?)))
        }
        ["jwk"] => Ok(KeySource::Static(KeySet::single(Jwk::from_json(&to_json(
            &get(options, "jwk").unwrap_or_default(),
            "jwk",
        )?)?))),
        ["publicKey"] => {
            let pem = get(options, "publicKey")
                .and_then(|v| v.as_string())
                .ok_or_else(|| Error::InvalidOptions("publicKey must be a PEM string".into()))?;
            Ok(KeySource::Static(KeySet::single(crate::jose::spki::jwk_from_pem(&pem)?)))
        }
        ["jwks"] => {
            Ok(KeySource::Static(KeySet::from_jwks(&to_json(&get(options, "jwks").unwrap_or_default(), "jwks")?)?))
        }
        ["keys"] => {
            let keys = to_json(&get(options, "keys").unwrap_or_default(), "keys")?;
            if keys.as_array().is_none() {
                return Err(Error::InvalidOptions("keys must be an array of JWKs".into()));
            }
            Ok(KeySource::Static(KeySet::from_jwks(&object([("keys", keys)]))?))
        }
        ["jwksUri"] => {
            let uri = get(options, "jwksUri")
                .and_then(|v| v.as_string())
                .ok_or_else(|| Error::InvalidOptions("jwksUri must be a string".into()))?;
            Ok(KeySource::Remote(read_remote(options, uri)?))
        }
        [] => Err(Error::InvalidOptions("give one key source: secret, jwk, publicKey, jwks, keys or jwksUri".into())),
        _ => Err(Error::InvalidOptions(format!("give one key source, not {}", sources.join(" and ")))),
    }
}

pub(super) fn read_options(options: &JsValue) -> Result<VerifyOptions, Error> {
    if !options.is_object() {
        return Err(Error::InvalidOptions("options must be an object".into()));
    }
    let names = js_sys::Object::keys(options.unchecked_ref::<js_sys::Object>());
    if let Some(unknown) = names.iter().filter_map(|n| n.as_string()).find(|n| !OPTION_NAMES.contains(&n.as_str())) {
        return Err(Error::InvalidOptions(format!("unknown option {unknown:?}")));
    }
    let mut verify = VerifyOptions::default();
    let rules = &mut verify.rules;
    // A given option is a check: empty values that would turn it off are refused (options.rs).
    if let Some(v) = get(options, "issuer") {
        rules.issuer = options::non_empty_list("issuer", strings(v, "issuer", true)?)?;
    }
    if let Some(v) = get(options, "audience") {
        rules.audience = options::non_empty_list("audience", strings(v, "audience", true)?)?;
    }
    if let Some(v) = get(options, "subject") {
        let subject = v.as_string().ok_or_else(|| Error::InvalidOptions("subject must be a string".into()))?;
        rules.subject = Some(options::non_empty_text("subject", subject)?);
    }
    if let Some(v) = get(options, "typ") {
        rules.typ =
            Some(options::typ(v.as_string().ok_or_else(|| Error::InvalidOptions("typ must be a string".into()))?)?);
    }
    if let Some(v) = get(options, "requiredClaims") {
        rules.required = options::non_empty_list("requiredClaims", strings(v, "requiredClaims", false)?)?;
    }
    if let Some(v) = get(options, "clockTolerance") {
        rules.clock_tolerance = options::seconds("clockTolerance", v.as_f64())?;
    }
    if let Some(v) = get(options, "maxTokenAge") {
        rules.max_token_age = Some(options::seconds("maxTokenAge", v.as_f64())?);
    }
    if let Some(v) = get(options, "algorithms") {
        verify.algorithms = options::algorithms(strings(v, "algorithms", false)?)?;
    }
    if let Some(v) = get(options, "maxTokenLength") {
        let max_token_len = options::bytes("maxTokenLength", v.as_f64())?;
        verify.limits = Limits { max_token_len, ..Limits::default() };
    }
    Ok(verify)
}

/// Now, or the `currentDate` of the per-call options, in Unix seconds.
pub(super) fn now(call_options: &JsValue) -> Result<i64, Error> {
    match get(call_options, "currentDate") {
        None => Ok((js_sys::Date::now() / 1000.0).floor() as i64),
        Some(date) => {
            let ms = date.dyn_ref::<js_sys::Date>().map(|d| d.get_time()).filter(|t| t.is_finite());
            ms.map(|t| (t / 1000.0).floor() as i64)
                .ok_or_else(|| Error::InvalidOptions("currentDate must be a valid Date".into()))
        }
    }
}
