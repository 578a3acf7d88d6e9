//! `JwtVerifier` and `decodeUnverified` for JavaScript.
//!
//! The boundary follows research/verify-fastpath.md: one `verify` call parses the token and
//! picks the key in Rust, starts `crypto.subtle.verify` (asymmetric algorithms), validates the
//! claims while the signature job runs, and returns a promise chained in JS that releases the
//! claims only if the signature is exactly `true`, reporting a bad signature before any claim
//! error. HMAC runs in wasm and the promise is already settled. Imported CryptoKeys are cached
//! per (key, algorithm); concurrent first uses share one import.

use std::cell::RefCell;
use std::collections::HashMap;

use js_sys::{Array, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;

use super::to_js_error;
use crate::Error;
use crate::jose::alg::{Alg, Family};
use crate::jose::claims;
use crate::jose::jwk::Jwk;
use crate::jose::jws::{self, Limits};
use crate::jose::keyset::KeySet;
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
  /** A JWK Set; keys the verifier cannot use (encryption keys, unknown curves) are skipped. */
  jwks?: { keys: JsonWebKey[] };
  /** Accepted `iss` values. */
  issuer?: string | string[];
  /** Accepted audiences: the `aud` claim (string or array) must contain one. */
  audience?: string | string[];
  /** Required `sub`. */
  subject?: string;
  /** Required `typ` header (compared case-insensitively, `application/` optional). */
  typ?: string;
  /** Allowed algorithms; by default, whatever the keys support. */
  algorithms?: JwtAlgorithm[];
  /** Seconds of leeway for `exp`, `nbf` and `iat`; default 0. */
  clockTolerance?: number;
  /** Claims that must be present. */
  requiredClaims?: string[];
  /** Maximum age in seconds, from `iat`. */
  maxTokenAge?: number;
  /** Longest token accepted, in bytes; default 65536. */
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

/** What `decodeUnverified` returns: NOT verified, never use it to make a decision. */
export interface UnverifiedJwt {
  header: JwtHeader;
  payload: JwtPayload;
}
"#;

#[wasm_bindgen(inline_js = r#"
function coded(code, message) {
  const error = new Error(message);
  error.name = 'WasmAuthError';
  error.code = code;
  return error;
}
function importKey(cache, slot, jwk, importAlg) {
  let key = cache.get(slot);
  if (key === undefined) {
    key = crypto.subtle.importKey('jwk', jwk, importAlg, false, ['verify']).then(
      (imported) => { cache.set(slot, imported); return imported; },
      (e) => { throw coded('ERR_JWK_INVALID', `the key could not be imported: ${e && e.message}`); });
    cache.set(slot, key);
  }
  return key;
}
function verifyOne(cache, candidate, signature, data) {
  const [slot, jwk, importAlg, verifyAlg] = candidate;
  const run = (key) => crypto.subtle.verify(verifyAlg, key, signature, data).catch((e) => {
    throw coded('ERR_JOSE_NOT_SUPPORTED', `crypto.subtle cannot verify ${verifyAlg.name}: ${e && e.message}`);
  });
  const cached = cache.get(slot);
  // A cached CryptoKey starts the check now; otherwise it waits for the (shared) import.
  if (cached !== undefined && !(cached instanceof Promise)) return run(cached);
  return importKey(cache, slot, jwk, importAlg).then(run);
}
export function startVerify(cache, candidates, signature, data) {
  let pending = verifyOne(cache, candidates[0], signature, data);
  for (let i = 1; i < candidates.length; i++) {
    const next = candidates[i];
    pending = pending.then((ok) => (ok === true ? true : verifyOne(cache, next, signature, data)));
  }
  return pending;
}
export function gate(pending, result, claimError) {
  return pending.then((ok) => {
    if (ok !== true) throw coded('ERR_JWS_SIGNATURE_VERIFICATION_FAILED', 'signature verification failed');
    if (claimError !== undefined) throw claimError;
    return result;
  });
}
export function hasSubtle() {
  return typeof crypto === 'object' && crypto !== null && typeof crypto.subtle === 'object' && crypto.subtle !== null;
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = startVerify)]
    fn start_verify(cache: &js_sys::Map, candidates: &Array, signature: &Uint8Array, data: &Uint8Array) -> Promise;
    fn gate(pending: &Promise, result: &JsValue, claim_error: &JsValue) -> Promise;
    #[wasm_bindgen(js_name = hasSubtle)]
    fn has_subtle() -> bool;
}

/// The JS objects describing one (key, algorithm) pair to WebCrypto, made once.
struct Described {
    jwk: JsValue,
    import: JsValue,
    verify: JsValue,
}

/// Verifies JWTs: HMAC (HS256/384/512) in wasm; RSA, RSA-PSS, ECDSA and EdDSA through `crypto.subtle`.
#[wasm_bindgen]
pub struct JwtVerifier {
    keys: KeySet,
    options: VerifyOptions,
    /// slot -> CryptoKey, or the Promise of its import.
    crypto_keys: js_sys::Map,
    described: RefCell<HashMap<u32, Described>>,
}

fn js_json(value: &serde_json::Value) -> Result<JsValue, Error> {
    js_sys::JSON::parse(&value.to_string()).map_err(|_| Error::Internal("could not build a WebCrypto parameter"))
}

/// A JS value as JSON, for the JWK and JWKS options.
fn to_json(value: &JsValue, what: &str) -> Result<serde_json::Value, Error> {
    let text = js_sys::JSON::stringify(value).ok().and_then(|s| s.as_string());
    let text = text.ok_or_else(|| Error::InvalidOptions(format!("{what} must be a JSON object")))?;
    serde_json::from_str(&text).map_err(|_| Error::InvalidOptions(format!("{what} must be a JSON object")))
}

fn get(options: &JsValue, name: &str) -> Option<JsValue> {
    Reflect::get(options, &JsValue::from_str(name)).ok().filter(|v| !v.is_undefined())
}

fn strings(value: JsValue, name: &str, single_allowed: bool) -> Result<Vec<String>, Error> {
    if single_allowed {
        if let Some(s) = value.as_string() {
            return Ok(vec![s]);
        }
    }
    let bad = || Error::InvalidOptions(format!("{name} must be {}", if single_allowed { "a string or an array of strings" } else { "an array of strings" }));
    if !Array::is_array(&value) {
        return Err(bad());
    }
    Array::from(&value).iter().map(|v| v.as_string().ok_or_else(bad)).collect()
}

fn seconds(value: JsValue, name: &str) -> Result<u64, Error> {
    match value.as_f64() {
        Some(n) if n.is_finite() && n >= 0.0 => Ok(n as u64),
        _ => Err(Error::InvalidOptions(format!("{name} must be a number of seconds, 0 or more"))),
    }
}

const OPTION_NAMES: [&str; 13] = [
    "secret", "jwk", "jwks", "issuer", "audience", "subject", "typ", "algorithms", "clockTolerance",
    "requiredClaims", "maxTokenAge", "maxTokenLength", "jwksUri",
];

fn read_keys(options: &JsValue) -> Result<KeySet, Error> {
    let sources: Vec<&str> = ["secret", "jwk", "jwks", "jwksUri"].into_iter().filter(|name| get(options, name).is_some()).collect();
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
            Ok(KeySet::single(Jwk::from_secret(&bytes)?))
        }
        ["jwk"] => Ok(KeySet::single(Jwk::from_json(&to_json(&get(options, "jwk").unwrap_or_default(), "jwk")?)?)),
        ["jwks"] => KeySet::from_jwks(&to_json(&get(options, "jwks").unwrap_or_default(), "jwks")?),
        ["jwksUri"] => Err(Error::NotSupported("jwksUri is not available yet in this version; fetch the JWKS and pass it as jwks".into())),
        [] => Err(Error::InvalidOptions("give one key source: secret, jwk or jwks".into())),
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
    if let Some(v) = get(options, "issuer") {
        rules.issuer = strings(v, "issuer", true)?;
    }
    if let Some(v) = get(options, "audience") {
        rules.audience = strings(v, "audience", true)?;
    }
    if let Some(v) = get(options, "subject") {
        rules.subject = Some(v.as_string().ok_or_else(|| Error::InvalidOptions("subject must be a string".into()))?);
    }
    if let Some(v) = get(options, "typ") {
        rules.typ = Some(v.as_string().ok_or_else(|| Error::InvalidOptions("typ must be a string".into()))?);
    }
    if let Some(v) = get(options, "requiredClaims") {
        rules.required = strings(v, "requiredClaims", false)?;
    }
    if let Some(v) = get(options, "clockTolerance") {
        rules.clock_tolerance = seconds(v, "clockTolerance")?;
    }
    if let Some(v) = get(options, "maxTokenAge") {
        rules.max_token_age = Some(seconds(v, "maxTokenAge")?);
    }
    if let Some(v) = get(options, "algorithms") {
        verify.algorithms = strings(v, "algorithms", false)?
            .iter()
            .map(|name| Alg::from_name(name).ok_or_else(|| Error::InvalidOptions(format!("unknown algorithm {name:?}"))))
            .collect::<Result<_, _>>()?;
    }
    if let Some(v) = get(options, "maxTokenLength") {
        verify.limits = Limits { max_token_len: seconds(v, "maxTokenLength")? as usize, ..Limits::default() };
    }
    Ok(verify)
}

/// Now, or the `currentDate` of the per-call options, in Unix seconds.
fn now(call_options: &JsValue) -> Result<i64, Error> {
    match get(call_options, "currentDate") {
        None => Ok((js_sys::Date::now() / 1000.0).floor() as i64),
        Some(date) => {
            let ms = date.dyn_ref::<js_sys::Date>().map(|d| d.get_time()).filter(|t| t.is_finite());
            ms.map(|t| (t / 1000.0).floor() as i64).ok_or_else(|| Error::InvalidOptions("currentDate must be a valid Date".into()))
        }
    }
}

/// Parses a JSON text already checked by the Rust parser into a JS value.
fn parse_checked(bytes: &[u8]) -> Result<JsValue, Error> {
    let text = std::str::from_utf8(bytes).map_err(|_| Error::Internal("checked JSON is not UTF-8"))?;
    js_sys::JSON::parse(text).map_err(|_| Error::Internal("checked JSON did not parse in JS"))
}

fn result_object(header: &JsValue, payload: &JsValue, header_key: &str) -> Result<JsValue, Error> {
    let result = js_sys::Object::new();
    let set = |k: &str, v: &JsValue| Reflect::set(&result, &JsValue::from_str(k), v).map_err(|_| Error::Internal("could not build the result"));
    set("payload", payload)?;
    set(header_key, header)?;
    Ok(result.into())
}

fn rejected(err: &Error) -> Promise {
    Promise::reject(&to_js_error(err))
}

#[wasm_bindgen]
impl JwtVerifier {
    /// A verifier for one key source (`secret`, `jwk` or `jwks`) and a set of claim rules.
    /// Throws `ERR_AUTH_INVALID_OPTIONS` for unusable options, `ERR_JWK_INVALID`,
    /// `ERR_JWKS_INVALID` or `ERR_JOSE_NOT_SUPPORTED` for unusable keys.
    #[wasm_bindgen(constructor)]
    pub fn new(#[wasm_bindgen(unchecked_param_type = "JwtVerifierOptions")] options: JsValue) -> Result<JwtVerifier, JsValue> {
        let build = || -> Result<JwtVerifier, Error> {
            let verify_options = read_options(&options)?;
            let keys = read_keys(&options)?;
            Ok(JwtVerifier { keys, options: verify_options, crypto_keys: js_sys::Map::new(), described: RefCell::new(HashMap::new()) })
        };
        build().map_err(|e| to_js_error(&e))
    }

    /// Verifies `token`: resolves to `{ payload, protectedHeader }`, or rejects with a
    /// `WasmAuthError` whose `code` says why (jose's codes).
    #[wasm_bindgen(unchecked_return_type = "Promise<VerifyResult>")]
    pub fn verify(&self, token: &str, #[wasm_bindgen(unchecked_param_type = "VerifyCallOptions | undefined")] call_options: JsValue) -> Promise {
        match self.verify_inner(token, &call_options) {
            Ok(promise) => promise,
            Err(err) => rejected(&err),
        }
    }
}

impl JwtVerifier {
    fn verify_inner(&self, token: &str, call_options: &JsValue) -> Result<Promise, Error> {
        let now = now(call_options)?;
        let prepared = verify::prepare(token, &self.keys, &self.options)?;
        let alg = prepared.jws.header.alg;
        if alg.family() == Family::Hmac {
            verify::check_signature(&prepared, verify::no_asymmetric)?;
            let claims_ok = claims::validate(&prepared.jws.header, &prepared.jws.payload, &self.options.rules, now);
            claims_ok?;
            return Ok(Promise::resolve(&self.result(&prepared)?));
        }
        if !has_subtle() {
            return Err(Error::NotSupported(format!("{} needs crypto.subtle, which this runtime lacks", alg.name())));
        }
        // Start the signature check first, then validate the claims while it runs.
        let candidates = self.candidates(&prepared)?;
        if candidates.length() == 0 {
            return Err(Error::SignatureVerificationFailed);
        }
        let signature = Uint8Array::from(prepared.jws.signature.as_slice());
        let data = Uint8Array::from(prepared.jws.signing_input.as_bytes());
        let pending = start_verify(&self.crypto_keys, &candidates, &signature, &data);
        let (result, claim_error) = match claims::validate(&prepared.jws.header, &prepared.jws.payload, &self.options.rules, now) {
            Ok(_) => (self.result(&prepared)?, JsValue::UNDEFINED),
            Err(err) => (JsValue::UNDEFINED, to_js_error(&err)),
        };
        Ok(gate(&pending, &result, &claim_error))
    }

    fn result(&self, prepared: &Prepared<'_, '_>) -> Result<JsValue, Error> {
        let header_b64 = prepared.jws.signing_input.split('.').next().unwrap_or("");
        let header = parse_checked(&jws::b64_decode(header_b64, "header")?)?;
        result_object(&header, &parse_checked(&prepared.jws.payload)?, "protectedHeader")
    }

    /// `[slot, jwk, importAlg, verifyAlg]` for each candidate whose signature has the right shape.
    fn candidates(&self, prepared: &Prepared<'_, '_>) -> Result<Array, Error> {
        let alg = prepared.jws.header.alg;
        let list = Array::new();
        let mut described = self.described.borrow_mut();
        for key in &prepared.candidates {
            if crate::jose::signature::check_shape(alg, &prepared.jws.signature, key.rsa_modulus_len()).is_err() {
                continue;
            }
            let index = self.keys.keys().iter().position(|k| std::ptr::eq(k, *key)).unwrap_or(0);
            let slot = (index as u32) * 16 + Alg::ALL.iter().position(|a| *a == alg).unwrap_or(0) as u32;
            if !described.contains_key(&slot) {
                let web = webcrypto::describe(key, alg).ok_or(Error::AlgNotAllowed(alg.name().to_owned()))?;
                described.insert(slot, Described { jwk: js_json(&web.jwk)?, import: js_json(&web.import)?, verify: js_json(&web.verify)? });
            }
            if let Some(d) = described.get(&slot) {
                list.push(&Array::of4(&JsValue::from(slot), &d.jwk, &d.import, &d.verify));
            }
        }
        Ok(list)
    }
}

/// Decodes a JWT's header and payload WITHOUT verifying anything: for display and debugging
/// only. Throws `ERR_JWS_INVALID` or `ERR_JWT_INVALID` when it is not a well-formed JWT.
#[wasm_bindgen(js_name = decodeUnverified, unchecked_return_type = "UnverifiedJwt")]
pub fn decode_unverified(token: &str) -> Result<JsValue, JsValue> {
    let decode = || -> Result<JsValue, Error> {
        let parsed = jws::parse(token, &Limits::default())?;
        crate::jose::json::parse_object(&parsed.payload).map_err(|why| Error::JwtInvalid(format!("the payload is not a JSON object ({why})")))?;
        let header_b64 = parsed.signing_input.split('.').next().unwrap_or("");
        let header = parse_checked(&jws::b64_decode(header_b64, "header")?)?;
        result_object(&header, &parse_checked(&parsed.payload)?, "header")
    };
    decode().map_err(|e| to_js_error(&e))
}
