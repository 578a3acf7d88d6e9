//! `JwtVerifier` and `decodeUnverified` for JavaScript.
//!
//! One `verify` call crosses the JS boundary once in and once out (each crossing costs more than
//! the checks themselves): it parses the token, picks the key and validates the claims in Rust,
//! then shim.js's `verifyToken` starts the signature check and returns a promise that releases
//! `{ payload, protectedHeader }` (parsed in JS from the JSON Rust checked, in the wasm memory)
//! only if the signature is exactly `true`, reporting a bad signature before any claim error.
//! The check is `crypto.subtle.verify`, or node:crypto's synchronous verify or HMAC in Node
//! (shim.js says why); HS256 outside Node is checked in wasm first (`hmac_in_wasm`). Imported
//! keys are cached per (key, algorithm); concurrent first uses share one import.
//!
//! Here: the class and the verification glue; `remote` fetches a `jwksUri` set for the core's
//! [`RemoteKeySet`](crate::jose::remote_keyset::RemoteKeySet); `options` reads the options;
//! `types` is the TypeScript declarations.

mod cache;
mod dpop;
mod options;
mod remote;
mod types;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Array, Promise, Reflect};
use wasm_bindgen::prelude::*;

use self::options::Call;
use self::remote::Remote;
use crate::jose::alg::Alg;
use crate::jose::claims;
use crate::jose::dpop::{Binding, Presented, binding, scheme};
use crate::jose::json::{Value, object};
use crate::jose::jwk::{Jwk, Material};
use crate::jose::jws::{self, Jws, Limits};
use crate::jose::keyset::KeySet;
use crate::jose::request::{self, ApiKeyEntry, Credential};
use crate::jose::verify::{self, Prepared, VerifyOptions};
use crate::jose::webcrypto::{self, Slot};
use crate::{ChallengeContext, Error};

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
    #[wasm_bindgen(js_name = verifyToken)]
    fn verify_token_in_js(
        cache: &js_sys::Map,
        candidates: &Array,
        memory: &JsValue,
        signature_at: u32,
        signature_len: u32,
        data_at: u32,
        data_len: u32,
        header_at: u32,
        header_len: u32,
        payload_at: u32,
        payload_len: u32,
        claim_error: JsValue,
    ) -> Promise;
    #[wasm_bindgen(js_name = hasSubtle)]
    fn has_subtle() -> bool;
    #[wasm_bindgen(js_name = nodeHmacState)]
    fn node_hmac_state() -> u8;
    #[wasm_bindgen(js_name = requestHeader, catch)]
    fn request_header(request: &JsValue, name: &str) -> Result<Option<String>, JsValue>;
    fn respond(pending: &Promise, realm: &str, via: &JsValue, context: u32) -> Promise;
    #[wasm_bindgen(js_name = writeToken)]
    fn write_token(token: &JsValue, memory: &JsValue, at: u32, capacity: u32) -> i32;
    #[wasm_bindgen(js_name = tokenText)]
    fn token_text(token: &JsValue) -> String;
}

/// Where a token's bytes go before parsing: kept between calls (taken out while in use, so that
/// a JS exception unwinding through a call only loses it), unless a huge token made it large.
const TOKEN_BUFFER: usize = 2048;
const TOKEN_BUFFER_KEPT: usize = 64 * 1024;

/// Runs `run` on the text of the token `verify` was given, copied into the wasm memory by
/// shim.js's `writeToken` (TextEncoder.encodeInto, a native copy: wasm-bindgen's `&str` argument
/// copies an ASCII string character by character in JS, ~1.5 us of a 350-character token in
/// Node). Anything but a string is converted by `tokenText` (String(token), never a throw), and
/// the parser refuses it with its coded error.
/// A string token longer than `limits.max_token_len` UTF-16 units is refused before any copy:
/// each unit is at least one UTF-8 byte, so it is too long in bytes too, and copying a hostile
/// 100-million-character string would grow the wasm memory (which never shrinks) by 300 MB.
fn with_token(token: &JsValue, limits: &Limits, run: impl FnOnce(&str) -> Promise) -> Promise {
    thread_local!(static BUFFER: Cell<Vec<u8>> = const { Cell::new(Vec::new()) });
    thread_local!(static MEMORY: JsValue = wasm_bindgen::memory());
    let mut buffer = BUFFER.take();
    if buffer.len() < TOKEN_BUFFER {
        buffer.resize(TOKEN_BUFFER, 0);
    }
    let write = |buffer: &mut Vec<u8>| {
        let (at, capacity) = (buffer.as_mut_ptr() as usize as u32, buffer.len() as u32);
        MEMORY.with(|memory| write_token(token, memory, at, capacity))
    };
    let mut written = write(&mut buffer);
    if written == -1 {
        // Longer than the buffer: UTF-8 needs at most 3 bytes per UTF-16 unit.
        let units = token.unchecked_ref::<js_sys::JsString>().length() as usize;
        if units > limits.max_token_len {
            BUFFER.set(buffer);
            return Promise::reject(&jws::too_long(limits).into());
        }
        buffer.resize(units.saturating_mul(3).max(TOKEN_BUFFER), 0);
        written = write(&mut buffer);
    }
    let out = match usize::try_from(written).ok().and_then(|n| std::str::from_utf8(&buffer[..n]).ok()) {
        Some(text) => run(text),
        None => run(&token_text(token)),
    };
    if buffer.len() <= TOKEN_BUFFER_KEPT {
        BUFFER.set(buffer);
    }
    out
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

/// One (key, algorithm) pair described to WebCrypto and node:crypto, made once per slot and
/// reused by every verification: `[slot, key, importAlg, verifyAlg, nodeDigest, nodeKey]`, what
/// shim.js's `startVerify` takes (all from the algorithm's row, see [`webcrypto::describe`]).
/// `key` is the public JWK, or an HMAC secret's bytes: the caller gave them to us from JS, and
/// only node:crypto or crypto.subtle get them (never a message).
struct Described(Array);

impl Described {
    fn new(key: &Jwk, alg: Alg, slot: u64) -> Result<Described, Error> {
        let web = match &key.material {
            Material::Oct(_) => webcrypto::describe_hmac(alg),
            _ => webcrypto::describe(key, alg),
        };
        let web = web.ok_or(Error::AlgNotAllowed(alg.name().to_owned()))?;
        let key_value = match &key.material {
            Material::Oct(secret) => js_sys::Uint8Array::from(secret.as_slice()).into(),
            _ => js_json(&web.jwk)?,
        };
        let list = Array::of4(&JsValue::from(slot as f64), &key_value, &js_json(&web.import)?, &js_json(&web.verify)?);
        list.push(&js_json(&web.node_digest)?);
        list.push(&js_json(&web.node_key)?);
        Ok(Described(list))
    }
}

enum KeySource {
    Static(KeySet),
    Remote(Remote),
}

/// What a verification must find besides a valid token: the scopes a request needs, and how
/// the token must be bound (`verify`: anything; Bearer: no DPoP key; DPoP: the proof's key).
#[derive(Clone, Default)]
pub(super) struct Demands {
    pub scopes: Vec<String>,
    pub binding: Binding,
}

struct Inner {
    source: KeySource,
    options: VerifyOptions,
    api_keys: Vec<ApiKeyEntry>,
    /// slot -> CryptoKey, or the Promise of its import. Cleared when a remote set changes.
    crypto_keys: js_sys::Map,
    /// slot -> its description, in the order first asked for: a handful per key set, so a scan
    /// (std's HashMap would bring SipHash and hashbrown into the wasm for this alone).
    described: RefCell<Vec<(u64, Described)>>,
    /// Bumped each time a remote set is installed and part of every slot: an import still in
    /// flight for the previous set can never fill a slot of the new one, where another key
    /// may sit at the same position.
    generation: Cell<u64>,
    /// The verified-token cache, when the `cache` option asks for one (`cache.rs`).
    cache: Option<cache::Cache>,
    /// The `dpop*` options and the in-isolate replay cache (`dpop.rs`).
    dpop: dpop::DpopConfig,
}

/// Verifies JWTs: through node:crypto in Node and `crypto.subtle` elsewhere; HS256 outside Node in wasm.
#[wasm_bindgen]
pub struct JwtVerifier {
    inner: Rc<Inner>,
}

fn js_json(value: &Value) -> Result<JsValue, Error> {
    js_sys::JSON::parse(&value.to_string()).map_err(|_| Error::Internal("could not build a WebCrypto parameter"))
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

impl JwtVerifier {
    /// A verifier for the key source in `keys` (e.g. `{ jwksUri }`) with the claim rules the
    /// core decided (the OAuth client's ID-token policy), not read from a JS options object.
    #[cfg(feature = "browser-client")]
    pub(crate) fn with_options(keys: &JsValue, options: VerifyOptions) -> Result<JwtVerifier, Error> {
        let inner = Inner {
            source: options::key_source(keys)?,
            options,
            api_keys: Vec::new(),
            crypto_keys: js_sys::Map::new(),
            described: RefCell::new(Vec::new()),
            generation: Cell::new(0),
            cache: None,
            dpop: dpop::DpopConfig::default(),
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
        let (source, options, api_keys, cache, dpop) = options::read(&options)?;
        let inner = Inner {
            source,
            options,
            api_keys,
            crypto_keys: js_sys::Map::new(),
            described: RefCell::new(Vec::new()),
            generation: Cell::new(0),
            cache: cache.map(cache::Cache::new),
            dpop,
        };
        Ok(JwtVerifier { inner: Rc::new(inner) })
    }

    /// Verifies `token`: resolves to `{ payload, protectedHeader }`, or rejects with a
    /// `WasmAuthError` whose `code` says why (jose's codes).
    #[wasm_bindgen(unchecked_return_type = "Promise<VerifyResult>")]
    pub fn verify(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] token: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "VerifyCallOptions")] call_options: Option<JsValue>,
    ) -> Promise {
        with_token(&token, &self.inner.options.limits, |token| self.verify_text(token, call_options.as_ref()))
    }

    /// Checks the credentials of an HTTP request (a Bearer token, a DPoP-bound token with its
    /// proof, or an `X-API-Key` among the `apiKeys` hashes) and the scopes it needs. Resolves to
    /// `{ ok: true, via, payload }`, or to `{ ok: false, error, response }` with a ready RFC 6750 /
    /// RFC 9449 answer (401 + WWW-Authenticate, 403 insufficient_scope, 503 when the keys cannot
    /// be fetched) to return as it is.
    #[wasm_bindgen(js_name = verifyRequest, unchecked_return_type = "Promise<VerifyRequestResult>")]
    pub fn verify_request(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Request")] request: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "VerifyRequestOptions")] options: Option<JsValue>,
    ) -> Promise {
        let Call { now, scopes, realm, dpop: call_mode, .. } = match Call::read(options.as_ref(), true) {
            Ok(call) => call,
            Err(err) => return Promise::reject(&err.into()),
        };
        // A call's `dpop` only tightens the verifier's (jose::dpop::scheme::Mode::tightened_by).
        let mode = match self.inner.dpop.mode.tightened_by(call_mode) {
            Ok(mode) => mode,
            Err(err) => return Promise::reject(&err.into()),
        };
        let authorization = match request_header(&request, "authorization") {
            Ok(value) => value,
            Err(e) => return Promise::reject(&e),
        };
        let used_dpop = scheme::is_dpop(authorization.as_deref());
        // Each header is one call into JS: the DPoP header is read only under its scheme, and
        // X-API-Key only without an Authorization header.
        let headers = (|| {
            let proof = if used_dpop { request_header(&request, "dpop")? } else { None };
            let api_key = if authorization.is_none() { request_header(&request, "x-api-key")? } else { None };
            Ok::<_, JsValue>((proof, api_key))
        })();
        let (proof, api_key) = match headers {
            Ok(values) => values,
            Err(e) => return Promise::reject(&e),
        };
        let presented = scheme::presented(mode, authorization.as_deref(), proof.as_deref(), api_key.as_deref());
        let bearer = Demands { scopes, binding: Binding::Unbound };
        let (pending, via) = match presented {
            Err(err) => (Promise::reject(&err.into()), JsValue::UNDEFINED),
            Ok(Presented::Plain(Credential::Bearer(token))) => {
                (self.verify_token(token, now, bearer), JsValue::from_str("bearer"))
            }
            Ok(Presented::Plain(Credential::ApiKey(key))) => (
                self.inner.api_key_result(key, &bearer.scopes).unwrap_or_else(|err| Promise::reject(&err.into())),
                JsValue::from_str("api_key"),
            ),
            Ok(Presented::Dpop { token, proof }) => {
                let call = dpop::DpopRequest { request: &request, token, proof, now, demands: bearer };
                (self.verify_dpop(call).unwrap_or_else(|err| Promise::reject(&err)), JsValue::from_str("dpop"))
            }
        };
        let context = ChallengeContext::pack(mode, used_dpop);
        respond(&pending, realm.as_deref().unwrap_or("wasm-auth"), &via, context)
    }

    /// The remote JWKS as cached now (`undefined` before the first fetch), to keep in KV and
    /// pass back as the `jwksCache` option of a later verifier.
    #[wasm_bindgen(js_name = exportJwksCache, unchecked_return_type = "JwksCache | undefined")]
    pub fn export_jwks_cache(&self) -> JsValue {
        let KeySource::Remote(remote) = &self.inner.source else { return JsValue::UNDEFINED };
        remote.export()
    }
}

impl JwtVerifier {
    /// `verify` on a token that is already Rust text (the OAuth client's ID tokens). A
    /// DPoP-bound token is refused unless the call says its binding is checked by the caller
    /// (`verify` sees no proof: a bound token taken from a request would pass as Bearer).
    pub(crate) fn verify_text(&self, token: &str, call_options: Option<&JsValue>) -> Promise {
        match Call::read(call_options, false) {
            Ok(call) => {
                let binding = if call.binding_checked_by_caller { Binding::CheckedByCaller } else { Binding::Unbound };
                self.verify_token(token, call.now, Demands { scopes: call.scopes, binding })
            }
            Err(err) => Promise::reject(&err.into()),
        }
    }

    fn verify_token(&self, token: &str, now_s: i64, demands: Demands) -> Promise {
        if let Some(cache) = &self.inner.cache {
            return self.verify_cached(cache, token, now_s, demands);
        }
        self.verify_fresh(token, now_s, demands)
    }

    fn verify_fresh(&self, token: &str, now_s: i64, demands: Demands) -> Promise {
        match &self.inner.source {
            KeySource::Static(keys) => {
                self.inner.verify_with(keys, token, now_s, &demands).unwrap_or_else(|err| Promise::reject(&err.into()))
            }
            KeySource::Remote(remote) => self.verify_remote(remote, token, now_s, demands),
        }
    }
}
impl Inner {
    /// The claims, checked against the rules, the `scopes` a request needs and its binding.
    fn checked_claims(&self, prepared: &Prepared<'_, '_>, now: i64, demands: &Demands) -> Result<(), Error> {
        let claims = claims::validate(&prepared.jws.header, &prepared.jws.payload, &self.options.rules, now)?;
        request::check_scopes(&claims, &demands.scopes)?;
        binding::check(&claims, &demands.binding)
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

    fn verify_with(&self, keys: &KeySet, token: &str, now: i64, demands: &Demands) -> Result<Promise, Error> {
        self.verify_parsed(keys, jws::parse(token, &self.options.limits)?, now, demands)
    }

    fn verify_parsed(&self, keys: &KeySet, parsed: Jws<'_>, now: i64, demands: &Demands) -> Result<Promise, Error> {
        let prepared = verify::select(parsed, keys, &self.options)?;
        // HS256 in wasm needs no platform crypto: asked first, so that an HS256-only process
        // never looks for it (looking loads node:crypto in Node: ~5 ms of a cold start).
        let candidates = if hmac_in_wasm(prepared.jws.header.alg) {
            // Checked here, before the claims; verifyToken gets `true` for the candidates.
            verify::check_signature(&prepared, verify::no_asymmetric)?;
            JsValue::TRUE.unchecked_into()
        } else if !has_platform_crypto() {
            return self.verify_without_subtle(&prepared, now, demands);
        } else {
            let Some(candidates) = self.candidates(keys, &prepared)? else {
                return Err(Error::SignatureVerificationFailed);
            };
            candidates
        };
        // The claims' verdict now; shim.js's verifyToken reports it only once the signature
        // verified, and parses the result from the checked JSON only when there is none.
        let claim_error = match self.checked_claims(&prepared, now, demands) {
            Ok(_) => JsValue::UNDEFINED,
            Err(err) => err.into(),
        };
        thread_local!(static MEMORY: JsValue = wasm_bindgen::memory());
        let jws = &prepared.jws;
        let (signature_at, signature_len) = span(&jws.signature);
        let (data_at, data_len) = span(jws.signing_input.as_bytes());
        let (header_at, header_len) = span(&jws.header_json);
        let (payload_at, payload_len) = span(&jws.payload);
        Ok(MEMORY.with(|memory| {
            verify_token_in_js(
                &self.crypto_keys,
                &candidates,
                memory,
                signature_at,
                signature_len,
                data_at,
                data_len,
                header_at,
                header_len,
                payload_at,
                payload_len,
                claim_error,
            )
        }))
    }

    /// Runtimes without crypto.subtle: the pure-Rust verifier when the package was built with
    /// the `pure-rust` feature, else a clear ERR_JOSE_NOT_SUPPORTED.
    fn verify_without_subtle(
        &self,
        prepared: &Prepared<'_, '_>,
        now: i64,
        demands: &Demands,
    ) -> Result<Promise, Error> {
        #[cfg(feature = "pure-rust")]
        let asymmetric = crate::jose::native::verify;
        #[cfg(not(feature = "pure-rust"))]
        let asymmetric = verify::no_asymmetric;
        verify::check_signature(prepared, asymmetric)?;
        self.checked_claims(prepared, now, demands)?;
        Ok(Promise::resolve(&result(prepared)?))
    }

    /// A [`Described`] for each candidate whose signature has the right shape, for shim.js's
    /// `startVerify`: the one candidate's own array when there is one (no list built per token),
    /// else a list of them; `None` when no candidate is left.
    fn candidates(&self, keys: &KeySet, prepared: &Prepared<'_, '_>) -> Result<Option<Array>, Error> {
        let alg = prepared.jws.header.alg;
        let mut found: Option<Array> = None;
        let mut list: Option<Array> = None;
        let mut described = self.described.borrow_mut();
        for key in &prepared.candidates {
            if crate::jose::signature::check_shape(alg, &prepared.jws.signature, key.rsa_modulus_len()).is_err() {
                continue;
            }
            let key_index = keys
                .keys()
                .iter()
                .position(|k| std::ptr::eq(k, *key))
                .ok_or(Error::Internal("a candidate key is not in its key set"))?;
            let slot = Slot { generation: self.generation.get(), key_index, alg }.pack()?;
            let d = match described.iter().position(|(known, _)| *known == slot) {
                Some(at) => described.get(at),
                None => {
                    described.push((slot, Described::new(key, alg, slot)?));
                    described.last()
                }
            };
            let (_, d) = d.ok_or(Error::Internal("a described slot is missing"))?;
            match (&found, &list) {
                (None, _) => found = Some(d.0.clone()),
                (Some(first), None) => list = Some(Array::of2(first, &d.0)),
                (Some(_), Some(list)) => {
                    list.push(&d.0);
                }
            }
        }
        Ok(list.or(found))
    }
}

/// Whether node:crypto or crypto.subtle can verify signatures here. The runtime does not change
/// under us: asked once, not on every verification.
fn has_platform_crypto() -> bool {
    thread_local!(static HAS_SUBTLE: bool = has_subtle());
    HAS_SUBTLE.with(|has| *has)
}

/// Whether `alg`'s signature is checked in wasm rather than by the platform: HS256 outside Node,
/// and in Node until node:crypto is loaded (shim.js `nodeHmacState` says why). crypto.subtle's
/// HMAC costs more than the in-wasm HMAC-SHA256 with its promise (workerd, CPU time per token:
/// ~5-7 us against ~3 us, scripts/bench/ab-workerd.mjs); node:crypto's synchronous HMAC costs
/// less. HS384/512 always go to the platform (no SHA-512 in the wasm).
fn hmac_in_wasm(alg: Alg) -> bool {
    // shim.js's answer once it is final (1 node:crypto, 2 never); 0 asks again next time.
    thread_local!(static NODE_HMAC: Cell<u8> = const { Cell::new(0) });
    if alg != Alg::Hs256 {
        return false;
    }
    NODE_HMAC.with(|state| {
        if state.get() == 0 {
            state.set(node_hmac_state());
        }
        state.get() != 1
    })
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
    let parsed = jws::parse(token, &Limits::default())?;
    crate::jose::json::parse_object(&parsed.payload)
        .map_err(|why| Error::JwtInvalid(format!("the payload is not a JSON object ({why})")))?;
    Ok(result_object(&parsed.header_json, &parsed.payload, "header")?)
}
