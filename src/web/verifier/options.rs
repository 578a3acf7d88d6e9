//! `JwtVerifier`'s options, read through the options layer ([`Options`]): the constructor's
//! (claim rules, one key source, API keys) and the calls' (`currentDate`, `scopes`, `realm`).
//! Every option is read before [`Options::finish`] and before any decision between them, so a
//! misspelt key is reported as such rather than as the "give one key source" it causes.

use js_sys::{Array, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;

use super::KeySource;
use super::dpop::DpopConfig;
use super::remote::Remote;
use crate::Error;
use crate::client::base_url::BaseUrl;
use crate::client::options::{Expected, wrong_entry};
use crate::jose::dpop::{self, Mode};
use crate::jose::json::{Value, object};
use crate::jose::jwk::Jwk;
use crate::jose::jwks_cache::CachePolicy;
use crate::jose::jws::Limits;
use crate::jose::keyset::KeySet;
use crate::jose::options as checks;
use crate::jose::options::invalid;
use crate::jose::remote_keyset::RemoteKeySet;
use crate::jose::request::ApiKeyEntry;
use crate::jose::token_cache::{self, TokenCacheOptions};
use crate::jose::verify::VerifyOptions;
use crate::web::options::{Options, Refused, missing, refused, required, wrong};

const SECRET: Expected = Expected::Words("a non-empty string or a Uint8Array");
const API_KEYS: Expected = Expected::Words("an array of { sha256, scopes, name? }");
const API_KEY: Expected = Expected::Words("{ sha256: string, scopes?: string[], name?: string }");
const JWKS_CACHE: Expected = Expected::Words("{ jwks, uat } (as exportJwksCache gives it)");
const DATE: Expected = Expected::Words("a valid Date");
const STORE: Expected =
    Expected::Words("an object with get(key) and put(key, value, { expirationTtl }) methods (as Workers KV)");
const STALE: Expected = Expected::Words("a number of seconds, more than 0 and at most 31536000 (a year)");

const DPOP_MODE: Expected = Expected::OneOf(&["required", "allowed", "off"]);
const DPOP_MAX_AGE: Expected = Expected::Words(dpop::MAX_AGE_WORDS);
const DPOP_TOLERANCE: Expected = Expected::Words(dpop::CLOCK_TOLERANCE_WORDS);
const DPOP_ORIGIN: Expected = Expected::Words(dpop::ORIGIN_WORDS);

const CACHE_ENTRIES: Expected = Expected::Words("a whole number from 1 to 1000000");
const CACHE_AGE: Expected = Expected::Words("a number of seconds, more than 0");

/// What `new JwtVerifier(options)` reads: the key source, the claim rules, the API keys and
/// the verified-token cache's limits (None: no cache).
pub(super) type Read = (KeySource, VerifyOptions, Vec<ApiKeyEntry>, Option<TokenCacheOptions>, DpopConfig);

/// `new JwtVerifier(options)`'s options: the key source, the claim rules, the API keys.
pub(super) fn read(value: &JsValue) -> Result<Read, Error> {
    let options = Options::new(value)?;
    let verify = rules(&options)?;
    let api_keys = api_keys(&options)?;
    let cache = token_cache(&options)?;
    let dpop = dpop(&options)?;
    let keys = Given::read(&options)?;
    options.finish()?;
    Ok((keys.source()?, verify, api_keys, cache, dpop))
}

/// A function option (`dpopNonce`, `onJwksEvent`).
#[inline(never)]
fn function(options: &Options, name: &'static str) -> Result<Option<JsValue>, Refused> {
    match options.value(name, Expected::Function)? {
        Some(function) if !function.is_function() => Err(wrong(name, Expected::Function)),
        function => Ok(function),
    }
}

/// The `dpop` mode, as the option or a call's `dpop` gives it.
fn dpop_mode(options: &Options) -> Result<Option<Mode>, Refused> {
    let Some(name) = options.string("dpop", DPOP_MODE)? else { return Ok(None) };
    Mode::from_name(&name).map(Some).ok_or_else(|| wrong("dpop", DPOP_MODE))
}

/// `dpop`, `dpopReplayStore`, `dpopNonce`, `dpopMaxAgeSeconds`, `dpopClockToleranceSeconds`,
/// `dpopOrigin`.
fn dpop(options: &Options) -> Result<DpopConfig, Refused> {
    let mut config = DpopConfig::default();
    if let Some(mode) = dpop_mode(options)? {
        config.mode = mode;
    }
    config.store = store(options, "dpopReplayStore")?;
    config.nonce = function(options, "dpopNonce")?.map(JsCast::unchecked_into);
    // Bounded (the core says how far and why); whole seconds, rounded down: the stricter check.
    if let Some(seconds) = options.value("dpopMaxAgeSeconds", DPOP_MAX_AGE)? {
        config.policy.max_age_seconds = dpop::max_age_seconds(seconds.as_f64()).map_err(refused)?;
    }
    if let Some(seconds) = options.value("dpopClockToleranceSeconds", DPOP_TOLERANCE)? {
        config.policy.leeway_seconds = dpop::clock_tolerance_seconds(seconds.as_f64()).map_err(refused)?;
    }
    if let Some(origin) = options.value("dpopOrigin", DPOP_ORIGIN)? {
        let list = if Array::is_array(&origin) { Array::from(&origin) } else { Array::of1(&origin) };
        let mut texts = Vec::new();
        for value in list.iter() {
            // Not a string: empty, which the core refuses with the same words.
            texts.push(value.as_string().unwrap_or_default());
        }
        config.policy.origins = dpop::origins(texts).map_err(refused)?;
    }
    Ok(config)
}

/// `cache: { maxEntries, maxAgeSeconds? }`, a nested options object whose errors name
/// `cache.<member>`. `maxEntries` is required: `cache: {}` is refused rather than guessed.
fn token_cache(options: &Options) -> Result<Option<TokenCacheOptions>, Refused> {
    let Some(value) = options.object("cache")? else { return Ok(None) };
    let cache = Options::new(&value).map_err(refused)?;
    let entries = cache.value("maxEntries", CACHE_ENTRIES).map_err(|e| in_cache(e, "."))?;
    let age = cache.value("maxAgeSeconds", CACHE_AGE).map_err(|e| in_cache(e, "."))?;
    cache.finish().map_err(|e| in_cache(refused(e), ": "))?;
    let max_entries = match entries {
        None => return Err(missing("cache.maxEntries")),
        Some(n) => checks::cache_entries(n.as_f64()).map_err(refused)?,
    };
    let max_age_ms = match age {
        None => token_cache::DEFAULT_MAX_AGE_MS,
        Some(n) => checks::cache_max_age_ms(n.as_f64()).map_err(refused)?,
    };
    Ok(Some(TokenCacheOptions { max_entries, max_age_ms }))
}

/// An error about a member of `cache`, prefixed with `cache` and `joint` (in place: the error
/// stays in its box).
fn in_cache(mut refused: Refused, joint: &str) -> Refused {
    if let Error::InvalidOptions(why) = &mut *refused {
        why.insert_str(0, joint);
        why.insert_str(0, "cache");
    }
    refused
}

/// An options object holding only a key source (the OAuth client's `{ jwksUri }`).
#[cfg(feature = "browser-client")]
pub(super) fn key_source(value: &JsValue) -> Result<KeySource, Error> {
    let options = Options::new(value)?;
    let keys = Given::read(&options)?;
    options.finish()?;
    keys.source()
}

/// A `{ get, put }` store option (`jwksStore`, `dpopReplayStore`): the shape of Workers KV.
fn store(options: &Options, name: &'static str) -> Result<Option<JsValue>, Refused> {
    let Some(store) = options.value(name, STORE)? else { return Ok(None) };
    let method = |method: &str| field(&store, method).is_some_and(|m| m.is_function());
    if !(store.is_object() && method("get") && method("put")) {
        return Err(wrong(name, STORE));
    }
    Ok(Some(store))
}

/// `object[name]` of a nested object (`apiKeys` entries, `jwksCache`), unless undefined.
fn field(object: &JsValue, name: &str) -> Option<JsValue> {
    Reflect::get(object, &JsValue::from_str(name)).ok().filter(|v| !v.is_undefined())
}

/// A JS value as JSON, for the JWK and JWKS options.
fn to_json(value: &JsValue, what: &str) -> Result<Value, Refused> {
    json_text(value, what).and_then(|text| {
        crate::jose::json::parse_value(text.as_bytes()).map_err(|_| refused(invalid(&[what, " must be JSON data"])))
    })
}

fn json_text(value: &JsValue, what: &str) -> Result<String, Refused> {
    js_sys::JSON::stringify(value)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| refused(invalid(&[what, " must be JSON data"])))
}

/// A list option that, given, must hold at least one string and no empty one (`jose::options`).
#[inline(never)]
fn non_empty_list(options: &Options, name: &'static str, single_allowed: bool) -> Result<Option<Vec<String>>, Refused> {
    match options.strings(name, single_allowed)? {
        Some(list) => Ok(Some(checks::non_empty_list(name, list).map_err(refused)?)),
        None => Ok(None),
    }
}

/// The claim rules and limits. A given option is a check: empty values that would turn it off
/// are refused (`jose::options`).
fn rules(options: &Options) -> Result<VerifyOptions, Refused> {
    let mut verify = VerifyOptions::default();
    let rules = &mut verify.rules;
    if let Some(list) = non_empty_list(options, "issuer", true)? {
        rules.issuer = list;
    }
    if let Some(list) = non_empty_list(options, "audience", true)? {
        rules.audience = list;
    }
    if let Some(subject) = options.string("subject", Expected::String)? {
        rules.subject = Some(checks::non_empty_text("subject", subject).map_err(refused)?);
    }
    if let Some(typ) = options.string("typ", Expected::String)? {
        rules.typ = Some(checks::typ(typ).map_err(refused)?);
    }
    if let Some(list) = non_empty_list(options, "requiredClaims", false)? {
        rules.required = list;
    }
    // Whole seconds, rounded down: towards the stricter check.
    if let Some(seconds) = options.seconds("clockTolerance")? {
        rules.clock_tolerance = seconds as u64;
    }
    if let Some(seconds) = options.seconds("maxTokenAge")? {
        rules.max_token_age = Some(seconds as u64);
    }
    if let Some(list) = options.strings("algorithms", false)? {
        verify.algorithms = checks::algorithms(list).map_err(refused)?;
    }
    if let Some(bytes) = options.bytes("maxTokenLength")? {
        verify.limits = Limits { max_token_len: bytes as usize, ..Limits::default() };
    }
    Ok(verify)
}

/// `apiKeys`: each entry's SHA-256 (hex), scopes and name. An entry is read as an options
/// object of its own, without `finish`: a stored record may carry more fields.
fn api_keys(options: &Options) -> Result<Vec<ApiKeyEntry>, Refused> {
    let Some(list) = options.value("apiKeys", API_KEYS)? else { return Ok(Vec::new()) };
    if !Array::is_array(&list) {
        return Err(wrong("apiKeys", API_KEYS));
    }
    let read = |entry: &JsValue| -> Result<_, Refused> {
        let entry = Options::new(entry).map_err(refused)?;
        let sha256 = required("sha256", entry.string("sha256", Expected::String))?;
        Ok((sha256, entry.strings("scopes", false)?, entry.string("name", Expected::String)?))
    };
    let mut keys = Vec::new();
    for (index, entry) in Array::from(&list).iter().enumerate() {
        let (sha256, scopes, name) = read(&entry).map_err(|_| refused(wrong_entry("apiKeys", index, API_KEY, None)))?;
        keys.push(ApiKeyEntry::new(&sha256.to_ascii_lowercase(), scopes.unwrap_or_default(), name).map_err(refused)?);
    }
    Ok(keys)
}

/// The key sources, in the order [`Given::source`] names them.
const KEY_SOURCES: [&str; 6] = ["secret", "jwk", "publicKey", "jwks", "keys", "jwksUri"];
/// The options of a remote key set, in the order [`Given::source`] names them.
const REMOTE_ONLY: [&str; 8] = [
    "timeoutDuration",
    "cooldownDuration",
    "cacheMaxAge",
    "jwksCache",
    "jwksMaxBytes",
    "jwksStore",
    "jwksMaxStaleSeconds",
    "onJwksEvent",
];

/// The key-source options as given, each of its kind; which one is used is decided after
/// `finish` ([`Given::source`]).
#[derive(Default)]
struct Given {
    secret: Option<Vec<u8>>,
    jwk: Option<JsValue>,
    public_key: Option<String>,
    jwks: Option<JsValue>,
    keys: Option<Vec<JsValue>>,
    jwks_uri: Option<String>,
    timeout_ms: Option<f64>,
    cooldown_ms: Option<f64>,
    max_age_ms: Option<f64>,
    max_bytes: Option<f64>,
    /// `jwksCache`: the JWK Set as JSON text, and when it was fetched.
    cache: Option<(String, f64)>,
    /// `jwksStore`: `{ get, put }`.
    store: Option<JsValue>,
    /// `jwksMaxStaleSeconds`, in milliseconds.
    max_stale_ms: Option<f64>,
    /// `onJwksEvent`.
    listener: Option<JsValue>,
}

impl Given {
    #[allow(
        clippy::field_reassign_with_default,
        reason = "filled field by field, not as one struct literal: an early return then drops one \
                  `Given` instead of each field read so far, which keeps the wasm smaller"
    )]
    fn read(options: &Options) -> Result<Given, Refused> {
        let mut given = Given::default();
        if let Some(value) = options.value("secret", SECRET)? {
            let bytes = match value.as_string() {
                Some(text) => text.into_bytes(),
                None if value.is_instance_of::<Uint8Array>() => crate::web::bytes::to_vec(&Uint8Array::from(value)),
                // Neither: refused below as an empty one is.
                None => Vec::new(),
            };
            if bytes.is_empty() {
                return Err(wrong("secret", SECRET));
            }
            given.secret = Some(bytes);
        }
        given.jwk = options.object("jwk")?;
        given.public_key = options.non_empty_string("publicKey")?;
        given.jwks = options.object("jwks")?;
        given.keys = options.jwks("keys")?;
        if let Some(uri) = options.string("jwksUri", Expected::Url)? {
            // A query is allowed (the set is fetched from the URL as it is), unlike in a baseUrl.
            let without_query = uri.split_once('?').map_or(uri.as_str(), |(url, _)| url);
            BaseUrl::parse(without_query).map_err(|_| wrong("jwksUri", Expected::Url))?;
            given.jwks_uri = Some(uri);
        }
        given.timeout_ms = options.positive_milliseconds("timeoutDuration")?;
        given.cooldown_ms = options.positive_milliseconds("cooldownDuration")?;
        given.max_age_ms = options.positive_milliseconds("cacheMaxAge")?;
        given.max_bytes = options.bytes("jwksMaxBytes")?;
        if let Some(seed) = options.value("jwksCache", JWKS_CACHE)? {
            let bad = || wrong("jwksCache", JWKS_CACHE);
            let jwks = field(&seed, "jwks").filter(JsValue::is_object).ok_or_else(bad)?;
            let uat = field(&seed, "uat").and_then(|v| v.as_f64()).ok_or_else(bad)?;
            given.cache = Some((json_text(&jwks, "jwksCache.jwks")?, uat));
        }
        given.store = store(options, "jwksStore")?;
        if let Some(seconds) = options.value("jwksMaxStaleSeconds", STALE)? {
            let ms = checks::stale_ms(seconds.as_f64()).ok_or_else(|| wrong("jwksMaxStaleSeconds", STALE))?;
            given.max_stale_ms = Some(ms);
        }
        given.listener = function(options, "onJwksEvent")?;
        Ok(given)
    }

    /// The one key source given.
    fn source(mut self) -> Result<KeySource, Error> {
        let sources = [
            self.secret.is_some(),
            self.jwk.is_some(),
            self.public_key.is_some(),
            self.jwks.is_some(),
            self.keys.is_some(),
            self.jwks_uri.is_some(),
        ];
        let mut given = KEY_SOURCES.iter().zip(sources).filter(|(_, given)| *given).map(|(name, _)| name);
        let Some(first) = given.next() else {
            return Err(invalid(&["give one key source: secret, jwk, publicKey, jwks, keys or jwksUri"]));
        };
        if let Some(second) = given.next() {
            return Err(invalid(&["give one key source, not ", first, " and ", second]));
        }
        if let Some(uri) = self.jwks_uri.take() {
            let defaults = CachePolicy::default();
            let policy = CachePolicy {
                max_age_ms: self.max_age_ms.unwrap_or(defaults.max_age_ms),
                cooldown_ms: self.cooldown_ms.unwrap_or(defaults.cooldown_ms),
                timeout_ms: self.timeout_ms.unwrap_or(defaults.timeout_ms),
                max_bytes: self.max_bytes.map_or(defaults.max_bytes, |n| n as usize),
                max_stale_ms: self.max_stale_ms.unwrap_or(defaults.max_stale_ms),
            };
            let mut keys = RemoteKeySet::new(policy);
            if let Some((document, uat)) = self.cache.take() {
                keys.seed(document, uat)?;
            }
            let listener = self.listener.take().unwrap_or(JsValue::UNDEFINED);
            return Ok(KeySource::Remote(Remote::new(uri, keys, self.store.take(), listener)));
        }
        let remote_only = [
            self.timeout_ms.is_some(),
            self.cooldown_ms.is_some(),
            self.max_age_ms.is_some(),
            self.cache.is_some(),
            self.max_bytes.is_some(),
            self.store.is_some(),
            self.max_stale_ms.is_some(),
            self.listener.is_some(),
        ];
        if let Some((name, _)) = REMOTE_ONLY.iter().zip(remote_only).find(|(_, given)| *given) {
            return Err(invalid(&[name, " applies to jwksUri only"]));
        }
        let set = if let Some(secret) = &self.secret {
            KeySet::single(Jwk::from_secret(secret)?)
        } else if let Some(jwk) = &self.jwk {
            KeySet::single(Jwk::from_json(&to_json(jwk, "jwk")?)?)
        } else if let Some(pem) = &self.public_key {
            KeySet::single(crate::jose::spki::jwk_from_pem(pem)?)
        } else if let Some(jwks) = &self.jwks {
            KeySet::from_jwks(&to_json(jwks, "jwks")?)?
        } else {
            let keys: Array = self.keys.iter().flatten().collect();
            KeySet::from_jwks(&object([("keys", to_json(&keys, "keys")?)]))?
        };
        Ok(KeySource::Static(set))
    }
}

/// The options of one `verify` or `verifyRequest` call: `scopes`, `realm` and `dpop`
/// (verifyRequest only) and `currentDate`. Read only when given: a call without them asks JS
/// nothing.
pub(super) struct Call {
    /// Now, or `currentDate`, in Unix seconds.
    pub now: i64,
    pub scopes: Vec<String>,
    pub realm: Option<String>,
    /// The verifier's `dpop` mode for this call only (it may only tighten the verifier's).
    pub dpop: Option<Mode>,
    /// `verify()`'s `dpopBindingCheckedByCaller: true`: a DPoP-bound token is accepted, its
    /// binding being the caller's to check. Without it `verify()` refuses bound tokens.
    pub binding_checked_by_caller: bool,
}

impl Call {
    pub(super) fn read(value: Option<&JsValue>, request: bool) -> Result<Call, Error> {
        Call::read_refused(value, request).map_err(|refused| *refused)
    }

    fn read_refused(value: Option<&JsValue>, request: bool) -> Result<Call, Refused> {
        let mut call = Call { now: 0, scopes: Vec::new(), realm: None, dpop: None, binding_checked_by_caller: false };
        let mut now_ms = None;
        if let Some(value) = value {
            let options = Options::new(value).map_err(refused)?;
            if request {
                if let Some(list) = non_empty_list(&options, "scopes", false)? {
                    call.scopes = list;
                }
                call.realm = options.string("realm", Expected::String)?;
                call.dpop = dpop_mode(&options)?;
            } else {
                call.binding_checked_by_caller = options.boolean("dpopBindingCheckedByCaller")?.unwrap_or(false);
            }
            if let Some(date) = options.value("currentDate", DATE)? {
                let ms = date.dyn_ref::<js_sys::Date>().map(|d| d.get_time()).filter(|t| t.is_finite());
                now_ms = Some(ms.ok_or_else(|| wrong("currentDate", DATE))?);
            }
            options.finish().map_err(refused)?;
        }
        call.now = (now_ms.unwrap_or_else(js_sys::Date::now) / 1000.0).floor() as i64;
        Ok(call)
    }
}
