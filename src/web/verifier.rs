//! `JwtVerifier` and `decodeUnverified` for JavaScript.
//!
//! One `verify` call crosses the JS boundary once (each crossing costs more than the checks
//! themselves): it parses the token and picks the key in Rust, starts `crypto.subtle.verify` (asymmetric algorithms), validates the
//! claims while the signature job runs, and returns a promise chained in JS that releases the
//! claims only if the signature is exactly `true`, reporting a bad signature before any claim
//! error. HMAC runs in wasm and the promise is already settled. Imported CryptoKeys are cached
//! per (key, algorithm); concurrent first uses share one import. In Node the same descriptions
//! go to node:crypto's synchronous verify instead (shim.js says why).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::rc::Rc;

use js_sys::{Array, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::to_js_error;
use crate::Error;
use crate::jose::alg::{Alg, Family};
use crate::jose::claims;
use crate::jose::json::{Value, object};
use crate::jose::jwk::Jwk;
use crate::jose::jwks_cache::{self, CachePolicy, Decision};
use crate::jose::jws::{self, Jws, Limits};
use crate::jose::keyset::KeySet;
use crate::jose::options;
use crate::jose::request::{self, ApiKeyEntry, Credential};
use crate::jose::verify::{self, Prepared, VerifyOptions};
use crate::jose::webcrypto;

#[wasm_bindgen(typescript_custom_section)]
const TS_VERIFIER: &str = r#"
/** A JWS algorithm name JwtVerifier knows. ("Ed25519" is RFC 9864's name for EdDSA.) */
export type JwtAlgorithm =
  | "HS256" | "HS384" | "HS512" | "RS256" | "RS384" | "RS512" | "PS256" | "PS384" | "PS512"
  | "ES256" | "ES384" | "ES512" | "EdDSA" | "Ed25519";

/** Options of `new JwtVerifier(options)`: exactly one key source, then the claim rules. */
export interface JwtVerifierOptions {
  /** A shared secret for HS256/384/512, at least as long as the hash (32 bytes for HS256). */
  secret?: string | Uint8Array;
  /** One public key (or an `oct` key) as a JWK. */
  jwk?: JsonWebKey;
  /** One public key as a PEM SubjectPublicKeyInfo (`-----BEGIN PUBLIC KEY-----`). */
  publicKey?: string;
  /** A JWK Set; keys the verifier cannot use (encryption keys, unknown curves) are skipped. */
  jwks?: { keys: JsonWebKey[] };
  /** The same as `jwks: { keys }`. */
  keys?: JsonWebKey[];
  /** A remote JWK Set (http: or https:), fetched on first use and cached. */
  jwksUri?: string;
  /** Remote JWKS: milliseconds (more than 0) before a fetch, body included, fails with ERR_JWKS_TIMEOUT; default 5000. */
  timeoutDuration?: number;
  /** Remote JWKS: milliseconds (more than 0) between refetches for an unknown kid, and after a failed fetch; default 30000. */
  cooldownDuration?: number;
  /** Remote JWKS: milliseconds (more than 0) a fetched set is used; default 600000. */
  cacheMaxAge?: number;
  /** Remote JWKS: the largest answer read, in bytes; a larger one is ERR_JWKS_TOO_LARGE. Default 524288 (512 KiB). */
  jwksMaxBytes?: number;
  /** Remote JWKS: a cache to start from, e.g. one kept in KV (see `exportJwksCache`). */
  jwksCache?: JwksCache;
  /** API keys `verifyRequest` accepts in `X-API-Key`, given by their SHA-256 (hex), never in clear. */
  apiKeys?: ApiKeyHash[];
  /** Accepted `iss` values (not empty, no empty string). */
  issuer?: string | string[];
  /** Accepted audiences: the `aud` claim (string or array) must contain one (not empty, no empty string). */
  audience?: string | string[];
  /** Required `sub` (not empty). */
  subject?: string;
  /** Required `typ` header (compared case-insensitively, `application/` optional; not empty). */
  typ?: string;
  /** Allowed algorithms (at least one); by default, whatever the keys support. */
  algorithms?: JwtAlgorithm[];
  /** Seconds of leeway for `exp`, `nbf` and `iat`, 0 or more; default 0. */
  clockTolerance?: number;
  /** Claims that must be present (not empty, no empty string). */
  requiredClaims?: string[];
  /** Maximum age in seconds, from `iat`; 0: issued this second (within clockTolerance). */
  maxTokenAge?: number;
  /** Longest token accepted, in bytes (1 or more); default 65536. */
  maxTokenLength?: number;
}

/** The registered claims, typed; any other claim is `unknown` until checked. */
export interface JwtPayload {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  exp?: number;
  nbf?: number;
  iat?: number;
  jti?: string;
  [claim: string]: unknown;
}

/** A JWS protected header. */
export interface JwtHeader {
  alg: string;
  kid?: string;
  typ?: string;
  [parameter: string]: unknown;
}

/** What `verify` resolves to. */
export interface VerifyResult {
  payload: JwtPayload;
  protectedHeader: JwtHeader;
}

/** Per-call options of `verify`. */
export interface VerifyCallOptions {
  /** The time to check `exp`/`nbf`/`iat` against; default now. */
  currentDate?: Date;
}

/** An API key as `verifyRequest` knows it. */
export interface ApiKeyHash {
  /** Hex SHA-256 of the key. */
  sha256: string;
  /** Scopes the key grants. */
  scopes: string[];
  /** Reported as `payload.sub`; default "api-key". */
  name?: string;
}

/** Options of `verifyRequest`. */
export interface VerifyRequestOptions {
  /** Scopes the request needs (from `scope` or `scp`, or the API key's scopes); not empty, no empty string. */
  scopes?: string[];
  /** The realm of the WWW-Authenticate challenge; default "wasm-auth". */
  realm?: string;
  /** As in `verify`. */
  currentDate?: Date;
}

/** What `verifyRequest` resolves to: the claims, or a ready 401/403/503 Response. */
export type VerifyRequestResult =
  | { ok: true; via: "bearer" | "api_key"; payload: JwtPayload; protectedHeader?: JwtHeader }
  | { ok: false; error: WasmAuthError; response: Response };

/** A remote JWKS as cached: the document and when it was fetched (ms since the epoch). */
export interface JwksCache {
  jwks: { keys: JsonWebKey[] };
  uat: number;
}

/** What `decodeUnverified` returns: NOT verified, never use it to make a decision. */
export interface UnverifiedJwt {
  header: JwtHeader;
  payload: JwtPayload;
}
"#;

#[wasm_bindgen(module = "/src/web/shim.js")]
extern "C" {
    #[wasm_bindgen(js_name = startVerify)]
    fn start_verify(
        cache: &js_sys::Map,
        candidates: &Array,
        memory: &JsValue,
        signature_at: u32,
        signature_len: u32,
        data_at: u32,
        data_len: u32,
    ) -> Promise;
    fn gate(pending: &Promise, result: &JsValue, claim_error: &JsValue) -> Promise;
    #[wasm_bindgen(js_name = hasSubtle)]
    fn has_subtle() -> bool;
    #[wasm_bindgen(js_name = sharedFetch)]
    fn shared_fetch(holder: &js_sys::Object, uri: &str, timeout_ms: f64, max_bytes: f64) -> Promise;
    #[wasm_bindgen(js_name = requestHeader, catch)]
    fn request_header(request: &JsValue, name: &str) -> Result<Option<String>, JsValue>;
    fn respond(pending: &Promise, realm: &str, via: &JsValue) -> Promise;
}

/// Where `bytes` sit in the wasm memory (address, length: wasm32's are 32-bit), for shim.js to
/// view them without a copy. It reads them during the `start_verify` call only (WebCrypto and
/// node:crypto copy their inputs when called) and copies them before anything that runs later;
/// they belong to the token being verified, so they outlive that call.
fn span(bytes: &[u8]) -> (u32, u32) {
    (bytes.as_ptr() as usize as u32, bytes.len() as u32)
}

/// shim.js's `startVerify` on `signature` and `data`, viewed in place.
fn verify_in_js(cache: &js_sys::Map, candidates: &Array, signature: &[u8], data: &[u8]) -> Promise {
    thread_local!(static MEMORY: JsValue = wasm_bindgen::memory());
    let (signature_at, signature_len) = span(signature);
    let (data_at, data_len) = span(data);
    MEMORY.with(|memory| start_verify(cache, candidates, memory, signature_at, signature_len, data_at, data_len))
}

/// One (key, algorithm) pair described to WebCrypto, made once per slot and reused by every
/// verification: `[slot, jwk, importAlg, verifyAlg]`, what shim.js's `startVerify` takes.
struct Described(Array);

impl Described {
    fn new(key: &Jwk, alg: Alg, slot: u64) -> Result<Described, Error> {
        let web = webcrypto::describe(key, alg).ok_or(Error::AlgNotAllowed(alg.name().to_owned()))?;
        Ok(Described(Array::of4(
            &JsValue::from(slot as f64),
            &js_json(&web.jwk)?,
            &js_json(&web.import)?,
            &js_json(&web.verify)?,
        )))
    }
}

/// A JWKS fetched from a URI and cached by [`jwks_cache::decide`]'s rules.
struct Remote {
    uri: String,
    policy: CachePolicy,
    /// The fetched set, its document (for `exportJwksCache`) and when it was fetched (ms).
    cached: RefCell<Option<(KeySet, JsValue, f64)>>,
    last_fetch: Cell<Option<f64>>,
    /// When the latest fetch failed, and its error; None once a fetch succeeds.
    last_failure: RefCell<Option<(f64, JsValue)>>,
    /// `{ pending }`: the fetch in flight, shared by concurrent verifications.
    in_flight: js_sys::Object,
}

enum KeySource {
    Static(KeySet),
    Remote(Remote),
}

struct Inner {
    source: KeySource,
    options: VerifyOptions,
    api_keys: Vec<ApiKeyEntry>,
    /// slot -> CryptoKey, or the Promise of its import. Cleared when a remote set changes.
    crypto_keys: js_sys::Map,
    described: RefCell<HashMap<u64, Described>>,
    /// Bumped each time a remote set is installed and part of every slot: an import still in
    /// flight for the previous set can never fill a slot of the new one, where another key
    /// may sit at the same position.
    generation: Cell<u64>,
}

/// Verifies JWTs: HMAC (HS256/384/512) in wasm; RSA, RSA-PSS, ECDSA and EdDSA through `crypto.subtle`.
#[wasm_bindgen]
pub struct JwtVerifier {
    inner: Rc<Inner>,
}

fn js_json(value: &Value) -> Result<JsValue, Error> {
    js_sys::JSON::parse(&value.to_string()).map_err(|_| Error::Internal("could not build a WebCrypto parameter"))
}

/// A JS value as JSON, for the JWK and JWKS options.
fn to_json(value: &JsValue, what: &str) -> Result<Value, Error> {
    let text = js_sys::JSON::stringify(value).ok().and_then(|s| s.as_string());
    let text = text.ok_or_else(|| Error::InvalidOptions(format!("{what} must be JSON data")))?;
    crate::jose::json::parse_value(text.as_bytes())
        .map_err(|_| Error::InvalidOptions(format!("{what} must be JSON data")))
}

/// `options[name]`, unless undefined. Not an object (e.g. no options given): nothing, without
/// asking JS (Reflect.get on undefined throws, which costs ~10 us and a table slot per call).
fn get(options: &JsValue, name: &str) -> Option<JsValue> {
    if !options.is_object() {
        return None;
    }
    Reflect::get(options, &JsValue::from_str(name)).ok().filter(|v| !v.is_undefined())
}

fn strings(value: JsValue, name: &str, single_allowed: bool) -> Result<Vec<String>, Error> {
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

fn read_api_keys(options: &JsValue) -> Result<Vec<ApiKeyEntry>, Error> {
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
    let parsed = uri.split_once("://").map(|(scheme, _)| scheme.to_ascii_lowercase());
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
    let remote = Remote {
        uri,
        policy,
        cached: RefCell::new(None),
        last_fetch: Cell::new(None),
        last_failure: RefCell::new(None),
        in_flight: js_sys::Object::new(),
    };
    if let Some(seed) = get(options, "jwksCache") {
        let document =
            get(&seed, "jwks").ok_or_else(|| Error::InvalidOptions("jwksCache needs jwks and uat".into()))?;
        let uat = get(&seed, "uat")
            .and_then(|v| v.as_f64())
            .filter(|t| t.is_finite())
            .ok_or_else(|| Error::InvalidOptions("jwksCache.uat must be a time in milliseconds".into()))?;
        let keys = KeySet::from_jwks(&to_json(&document, "jwksCache.jwks")?)?;
        if keys.keys().iter().any(|k| matches!(k.material, crate::jose::jwk::Material::Oct(_))) {
            return Err(Error::JwksInvalid("a remote JWK Set must not contain shared secrets (kty oct)".into()));
        }
        *remote.cached.borrow_mut() = Some((keys, document, uat));
    }
    Ok(remote)
}

fn read_keys(options: &JsValue) -> Result<KeySource, Error> {
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

fn read_options(options: &JsValue) -> Result<VerifyOptions, Error> {
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
fn now(call_options: &JsValue) -> Result<i64, Error> {
    match get(call_options, "currentDate") {
        None => Ok((js_sys::Date::now() / 1000.0).floor() as i64),
        Some(date) => {
            let ms = date.dyn_ref::<js_sys::Date>().map(|d| d.get_time()).filter(|t| t.is_finite());
            ms.map(|t| (t / 1000.0).floor() as i64)
                .ok_or_else(|| Error::InvalidOptions("currentDate must be a valid Date".into()))
        }
    }
}

/// Parses a JSON text already checked by the Rust parser into a JS value.
fn parse_checked(bytes: &[u8]) -> Result<JsValue, Error> {
    let text = std::str::from_utf8(bytes).map_err(|_| Error::Internal("checked JSON is not UTF-8"))?;
    js_sys::JSON::parse(text).map_err(|_| Error::Internal("checked JSON did not parse in JS"))
}

/// `{ payload, <header_key>: header }` from the two JSON texts the Rust parser checked, put
/// together and handed to one JSON.parse: one boundary crossing instead of four.
fn result_object(header_json: &[u8], payload_json: &[u8], header_key: &str) -> Result<JsValue, Error> {
    let mut text = Vec::with_capacity(header_json.len() + payload_json.len() + header_key.len() + 16);
    text.extend_from_slice(b"{\"payload\":");
    text.extend_from_slice(payload_json);
    text.extend_from_slice(b",\"");
    text.extend_from_slice(header_key.as_bytes());
    text.extend_from_slice(b"\":");
    text.extend_from_slice(header_json);
    text.push(b'}');
    parse_checked(&text)
}

fn rejected(err: &Error) -> Promise {
    Promise::reject(&to_js_error(err))
}

impl JwtVerifier {
    /// A verifier for the key source in `keys` (e.g. `{ jwksUri }`) with the claim rules the
    /// core decided (the OAuth client's ID-token policy), not read from a JS options object.
    #[cfg(feature = "browser-client")]
    pub(crate) fn with_options(keys: &JsValue, options: VerifyOptions) -> Result<JwtVerifier, Error> {
        let inner = Inner {
            source: read_keys(keys)?,
            options,
            api_keys: Vec::new(),
            crypto_keys: js_sys::Map::new(),
            described: RefCell::new(HashMap::new()),
            generation: Cell::new(0),
        };
        Ok(JwtVerifier { inner: Rc::new(inner) })
    }
}

#[wasm_bindgen]
impl JwtVerifier {
    /// A verifier for one key source (`secret`, `jwk`, `jwks` or `jwksUri`) and a set of claim
    /// rules. Throws `ERR_AUTH_INVALID_OPTIONS` for unusable options, `ERR_JWK_INVALID`,
    /// `ERR_JWKS_INVALID` or `ERR_JOSE_NOT_SUPPORTED` for unusable keys.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "JwtVerifierOptions")] options: JsValue,
    ) -> Result<JwtVerifier, JsValue> {
        let build = || -> Result<JwtVerifier, Error> {
            let verify_options = read_options(&options)?;
            let source = read_keys(&options)?;
            let api_keys = read_api_keys(&options)?;
            let inner = Inner {
                source,
                options: verify_options,
                api_keys,
                crypto_keys: js_sys::Map::new(),
                described: RefCell::new(HashMap::new()),
                generation: Cell::new(0),
            };
            Ok(JwtVerifier { inner: Rc::new(inner) })
        };
        build().map_err(|e| to_js_error(&e))
    }

    /// Verifies `token`: resolves to `{ payload, protectedHeader }`, or rejects with a
    /// `WasmAuthError` whose `code` says why (jose's codes).
    #[wasm_bindgen(unchecked_return_type = "Promise<VerifyResult>")]
    pub fn verify(
        &self,
        token: &str,
        #[wasm_bindgen(unchecked_optional_param_type = "VerifyCallOptions")] call_options: Option<JsValue>,
    ) -> Promise {
        let now_s = match now(&call_options.unwrap_or(JsValue::UNDEFINED)) {
            Ok(t) => t,
            Err(err) => return rejected(&err),
        };
        self.verify_token(token, now_s, Vec::new())
    }

    /// Checks the credentials of an HTTP request (a Bearer token, or an `X-API-Key` among the
    /// `apiKeys` hashes) and the scopes it needs. Resolves to `{ ok: true, via, payload }`, or to
    /// `{ ok: false, error, response }` with a ready RFC 6750 answer (401 + WWW-Authenticate,
    /// 403 insufficient_scope, 503 when the keys cannot be fetched) to return as it is.
    #[wasm_bindgen(js_name = verifyRequest, unchecked_return_type = "Promise<VerifyRequestResult>")]
    pub fn verify_request(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Request")] request: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "VerifyRequestOptions")] options: Option<JsValue>,
    ) -> Promise {
        let options = options.unwrap_or(JsValue::UNDEFINED);
        let read = || -> Result<(Vec<String>, String, i64), JsValue> {
            let scopes = match get(&options, "scopes") {
                None => Vec::new(),
                Some(v) => strings(v, "scopes", false)
                    .and_then(|list| options::non_empty_list("scopes", list))
                    .map_err(|e| to_js_error(&e))?,
            };
            let realm = get(&options, "realm").and_then(|v| v.as_string()).unwrap_or_else(|| "wasm-auth".to_owned());
            Ok((scopes, realm, now(&options).map_err(|e| to_js_error(&e))?))
        };
        let (scopes, realm, now_s) = match read() {
            Ok(values) => values,
            Err(e) => return Promise::reject(&e),
        };
        let headers = request_header(&request, "authorization")
            .and_then(|auth| Ok((auth, request_header(&request, "x-api-key")?)));
        let (authorization, api_key) = match headers {
            Ok(values) => values,
            Err(e) => return Promise::reject(&e),
        };
        let (pending, via) = match request::credential(authorization.as_deref(), api_key.as_deref()) {
            Err(err) => (rejected(&err), JsValue::UNDEFINED),
            Ok(Credential::Bearer(token)) => (self.verify_token(token, now_s, scopes), JsValue::from_str("bearer")),
            Ok(Credential::ApiKey(key)) => (
                self.inner.api_key_result(key, &scopes).unwrap_or_else(|err| rejected(&err)),
                JsValue::from_str("api_key"),
            ),
        };
        respond(&pending, &realm, &via)
    }

    /// The remote JWKS as cached now (`undefined` before the first fetch), to keep in KV and
    /// pass back as the `jwksCache` option of a later verifier.
    #[wasm_bindgen(js_name = exportJwksCache, unchecked_return_type = "JwksCache | undefined")]
    pub fn export_jwks_cache(&self) -> JsValue {
        let KeySource::Remote(remote) = &self.inner.source else { return JsValue::UNDEFINED };
        let cached = remote.cached.borrow();
        let Some((_, document, uat)) = cached.as_ref() else { return JsValue::UNDEFINED };
        let out = js_sys::Object::new();
        let _ = Reflect::set(&out, &JsValue::from_str("jwks"), document);
        let _ = Reflect::set(&out, &JsValue::from_str("uat"), &JsValue::from_f64(*uat));
        out.into()
    }
}

impl JwtVerifier {
    fn verify_token(&self, token: &str, now_s: i64, scopes: Vec<String>) -> Promise {
        match &self.inner.source {
            KeySource::Static(keys) => {
                self.inner.verify_with(keys, token, now_s, &scopes).unwrap_or_else(|err| rejected(&err))
            }
            KeySource::Remote(remote) => self.verify_remote(remote, token, now_s, scopes),
        }
    }

    fn verify_remote(&self, remote: &Remote, token: &str, now_s: i64, scopes: Vec<String>) -> Promise {
        // The header is checked before any fetch: a malformed token never causes network I/O.
        let parsed = match jws::parse(token, &self.inner.options.limits) {
            Ok(parsed) => parsed,
            Err(err) => return rejected(&err),
        };
        let header = &parsed.header;
        let now_ms = js_sys::Date::now();
        let decision = {
            let cached = remote.cached.borrow();
            let unknown_kid = match (&header.kid, cached.as_ref()) {
                (Some(kid), Some((keys, _, _))) => !keys.has_kid(kid),
                _ => false,
            };
            jwks_cache::decide(
                &remote.policy,
                now_ms,
                cached.as_ref().map(|c| c.2),
                remote.last_fetch.get(),
                remote.last_failure.borrow().as_ref().map(|f| f.0),
                unknown_kid,
            )
        };
        if decision == Decision::UseCache {
            if let Some((keys, _, _)) = remote.cached.borrow().as_ref() {
                return self.inner.verify_parsed(keys, parsed, now_s, &scopes).unwrap_or_else(|err| rejected(&err));
            }
        }
        // Nor does a token that no fetched set could accept.
        if let Err(err) = refused_before_fetch(&parsed, &self.inner.options) {
            return rejected(&err);
        }
        if decision == Decision::RepeatFailure {
            if let Some((_, error)) = remote.last_failure.borrow().as_ref() {
                return Promise::reject(&repeated(error));
            }
        }
        remote.last_fetch.set(Some(now_ms));
        let fetched =
            shared_fetch(&remote.in_flight, &remote.uri, remote.policy.timeout_ms, remote.policy.max_bytes as f64);
        let inner = Rc::clone(&self.inner);
        let token = token.to_owned();
        wasm_bindgen_futures::future_to_promise(async move {
            let KeySource::Remote(remote) = &inner.source else {
                return Err(to_js_error(&Error::Internal("key source changed")));
            };
            let installed =
                JsFuture::from(fetched).await.and_then(|body| inner.install(&body).map_err(|e| to_js_error(&e)));
            if let Err(error) = installed {
                // The failure starts the cooldown: no new fetch until it has passed.
                *remote.last_failure.borrow_mut() = Some((js_sys::Date::now(), error.clone()));
                return Err(error);
            }
            *remote.last_failure.borrow_mut() = None;
            let pending = {
                let cached = remote.cached.borrow();
                let keys = cached
                    .as_ref()
                    .map(|c| &c.0)
                    .ok_or_else(|| to_js_error(&Error::Internal("no keys after a fetch")))?;
                inner.verify_with(keys, &token, now_s, &scopes).map_err(|e| to_js_error(&e))?
            };
            JsFuture::from(pending).await
        })
    }
}

/// What no remote JWK Set can make valid, refused without fetching one: an algorithm outside
/// the allow-list or an HMAC one (remote sets never hold shared secrets), and a payload that
/// is not a JSON object. (With a cached set, the usual order applies: signature first, as jose.)
fn refused_before_fetch(parsed: &Jws<'_>, options: &VerifyOptions) -> Result<(), Error> {
    let alg = parsed.header.alg;
    if (!options.algorithms.is_empty() && !options.algorithms.contains(&alg)) || alg.family() == Family::Hmac {
        return Err(Error::AlgNotAllowed(alg.name().to_owned()));
    }
    crate::jose::json::parse_object(&parsed.payload)
        .map_err(|why| Error::JwtInvalid(format!("JWT Claims Set must be a top-level JSON object ({why})")))?;
    Ok(())
}

/// A new error with the code and message of a failed fetch's `error`, for a verification that
/// the cooldown keeps from fetching again.
fn repeated(error: &JsValue) -> JsValue {
    let read = |name: &str| Reflect::get(error, &JsValue::from_str(name)).ok().and_then(|v| v.as_string());
    let message = read("message").unwrap_or_default();
    let js = js_sys::Error::new(&format!("{message} (the JWKS fetch failed less than cooldownDuration ago)"));
    js.set_name("WasmAuthError");
    let code = read("code").unwrap_or_else(|| "ERR_JWKS_FETCH_FAILED".to_owned());
    let _ = Reflect::set(&js, &JsValue::from_str("code"), &JsValue::from_str(&code));
    js.into()
}

impl Inner {
    /// Installs a freshly fetched JWKS answer, its body's bytes (shared by every concurrent
    /// caller): read by the Rust JSON parser (strict, depth-limited), then handed to JS once
    /// checked, for `exportJwksCache`.
    fn install(&self, body: &JsValue) -> Result<(), Error> {
        let KeySource::Remote(remote) = &self.source else { return Ok(()) };
        let body = body.dyn_ref::<Uint8Array>().ok_or(Error::Internal("the JWKS body is not bytes"))?.to_vec();
        // A UTF-8 byte order mark is allowed before the JSON, as response.json() allows it.
        let bytes = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&body);
        let value = crate::jose::json::parse_value(bytes)
            .map_err(|why| Error::JwksInvalid(format!("the JWKS URI did not answer JSON ({why})")))?;
        let keys = KeySet::from_jwks(&value)?;
        let document = parse_checked(bytes)?;
        // A published JWK Set is public: a shared secret in it would let anyone mint tokens.
        if keys.keys().iter().any(|k| matches!(k.material, crate::jose::jwk::Material::Oct(_))) {
            return Err(Error::JwksInvalid("a remote JWK Set must not contain shared secrets (kty oct)".into()));
        }
        *remote.cached.borrow_mut() = Some((keys, document, js_sys::Date::now()));
        // Slots are key positions in the set: stale CryptoKeys must not answer for new keys.
        self.generation.set(self.generation.get() + 1);
        self.crypto_keys.clear();
        self.described.borrow_mut().clear();
        Ok(())
    }

    /// The claims, checked against the rules and the `scopes` a request needs.
    fn checked_claims(&self, prepared: &Prepared<'_, '_>, now: i64, scopes: &[String]) -> Result<(), Error> {
        let claims = claims::validate(&prepared.jws.header, &prepared.jws.payload, &self.options.rules, now)?;
        request::require_scopes(&request::granted_scopes(&claims), scopes)
    }

    /// `{ payload }` for a request authenticated by one of the configured API keys.
    fn api_key_result(&self, key: &str, scopes: &[String]) -> Result<Promise, Error> {
        let entry = request::find_api_key(&self.api_keys, key)?;
        let granted: Vec<&str> = entry.scopes.iter().map(String::as_str).collect();
        request::require_scopes(&granted, scopes)?;
        let payload = object([
            ("sub", entry.name.as_deref().unwrap_or("api-key").into()),
            ("scope", entry.scopes.join(" ").into()),
        ]);
        let out = js_sys::Object::new();
        Reflect::set(&out, &JsValue::from_str("payload"), &js_json(&payload)?)
            .map_err(|_| Error::Internal("could not build the result"))?;
        Ok(Promise::resolve(&JsValue::from(out)))
    }

    fn verify_with(&self, keys: &KeySet, token: &str, now: i64, scopes: &[String]) -> Result<Promise, Error> {
        self.verify_parsed(keys, jws::parse(token, &self.options.limits)?, now, scopes)
    }

    fn verify_parsed(&self, keys: &KeySet, parsed: Jws<'_>, now: i64, scopes: &[String]) -> Result<Promise, Error> {
        let prepared = verify::select(parsed, keys, &self.options)?;
        let alg = prepared.jws.header.alg;
        if alg.family() == Family::Hmac {
            verify::check_signature(&prepared, verify::no_asymmetric)?;
            self.checked_claims(&prepared, now, scopes)?;
            return Ok(Promise::resolve(&result(&prepared)?));
        }
        // The runtime does not change under us: asked once, not on every verification.
        thread_local!(static HAS_SUBTLE: bool = has_subtle());
        if !HAS_SUBTLE.with(|has| *has) {
            return self.verify_without_subtle(&prepared, now, scopes);
        }
        // Start the signature check first, then validate the claims while it runs.
        let candidates = self.candidates(keys, &prepared)?;
        if candidates.length() == 0 {
            return Err(Error::SignatureVerificationFailed);
        }
        let pending = verify_in_js(
            &self.crypto_keys,
            &candidates,
            &prepared.jws.signature,
            prepared.jws.signing_input.as_bytes(),
        );
        let (value, claim_error) = match self.checked_claims(&prepared, now, scopes) {
            Ok(_) => (result(&prepared)?, JsValue::UNDEFINED),
            Err(err) => (JsValue::UNDEFINED, to_js_error(&err)),
        };
        Ok(gate(&pending, &value, &claim_error))
    }

    /// Runtimes without crypto.subtle: the pure-Rust verifier when the package was built with
    /// the `pure-rust` feature, else a clear ERR_JOSE_NOT_SUPPORTED.
    fn verify_without_subtle(
        &self,
        prepared: &Prepared<'_, '_>,
        now: i64,
        scopes: &[String],
    ) -> Result<Promise, Error> {
        #[cfg(feature = "pure-rust")]
        let asymmetric = crate::jose::native::verify;
        #[cfg(not(feature = "pure-rust"))]
        let asymmetric = verify::no_asymmetric;
        verify::check_signature(prepared, asymmetric)?;
        self.checked_claims(prepared, now, scopes)?;
        Ok(Promise::resolve(&result(prepared)?))
    }

    /// `[slot, jwk, importAlg, verifyAlg]` for each candidate whose signature has the right shape.
    fn candidates(&self, keys: &KeySet, prepared: &Prepared<'_, '_>) -> Result<Array, Error> {
        let alg = prepared.jws.header.alg;
        let list = Array::new();
        let mut described = self.described.borrow_mut();
        for key in &prepared.candidates {
            if crate::jose::signature::check_shape(alg, &prepared.jws.signature, key.rsa_modulus_len()).is_err() {
                continue;
            }
            let index = keys.keys().iter().position(|k| std::ptr::eq(k, *key)).unwrap_or(0) as u64;
            let alg_index = Alg::ALL.iter().position(|a| *a == alg).unwrap_or(0) as u64;
            // Exact as a JS number for 2^37 generations; index < MAX_KEYS (256) fits its 12 bits.
            let slot = (self.generation.get() << 16) | (index << 4) | alg_index;
            let d = match described.entry(slot) {
                Entry::Occupied(known) => known.into_mut(),
                Entry::Vacant(new) => new.insert(Described::new(key, alg, slot)?),
            };
            list.push(&d.0);
        }
        Ok(list)
    }
}

/// `{ payload, protectedHeader }` of a token whose checks passed.
fn result(prepared: &Prepared<'_, '_>) -> Result<JsValue, Error> {
    result_object(&prepared.jws.header_json, &prepared.jws.payload, "protectedHeader")
}

/// One raw signature check through the same path tokens take in JS runtimes: the shape check
/// in Rust, then, with the parameters [`webcrypto::describe`] gives, node:crypto in Node and
/// `crypto.subtle` elsewhere. Resolves to `true` or `false`. Not exported to JS: the wasm tests
/// run the Wycheproof signature vectors through it.
pub fn verify_signature_in_js(key: &Jwk, alg: Alg, message: &[u8], signature: &[u8]) -> Result<Promise, Error> {
    if crate::jose::signature::check_shape(alg, signature, key.rsa_modulus_len()).is_err() {
        return Ok(Promise::resolve(&JsValue::FALSE));
    }
    let candidates = Array::of1(&Described::new(key, alg, 0)?.0);
    Ok(verify_in_js(&js_sys::Map::new(), &candidates, signature, message))
}

/// Decodes a JWT's header and payload WITHOUT verifying anything: for display and debugging
/// only. Throws `ERR_JWS_INVALID` or `ERR_JWT_INVALID` when it is not a well-formed JWT.
#[wasm_bindgen(js_name = decodeUnverified, unchecked_return_type = "UnverifiedJwt")]
pub fn decode_unverified(token: &str) -> Result<JsValue, JsValue> {
    let decode = || -> Result<JsValue, Error> {
        let parsed = jws::parse(token, &Limits::default())?;
        crate::jose::json::parse_object(&parsed.payload)
            .map_err(|why| Error::JwtInvalid(format!("the payload is not a JSON object ({why})")))?;
        result_object(&parsed.header_json, &parsed.payload, "header")
    };
    decode().map_err(|e| to_js_error(&e))
}
