//! `verifyRequest` under the DPoP scheme (RFC 9449): the I/O around the core's decisions
//! ([`crate::jose::dpop`]). Synchronously: the `dpopNonce` hook's nonces (when set), the proof's
//! checks in Rust, then its signature check (node:crypto / WebCrypto, the path tokens take) and
//! the access token's verification (bound to the proof's key: the binding is among its claim
//! checks) both started. shim.js's `dpopGate` settles them in order: a bad signature first, then
//! the proof's claims, then the token. Last the replay check, in the isolate or in
//! `dpopReplayStore`: only a proof whose every check passed is remembered, so nobody can fill
//! the replay cache with proofs they could not sign.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Function, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::{Demands, JwtVerifier};
use crate::Error;
use crate::jose::dpop::{self, Binding, Mode, Proof, ProofPolicy, ProofRequest, Unverified, replay};

#[wasm_bindgen(module = "/src/web/shim.js")]
extern "C" {
    #[wasm_bindgen(js_name = dpopGate)]
    fn dpop_gate(signature: &Promise, claims_error: &JsValue, token: &Promise) -> Promise;
    #[wasm_bindgen(js_name = dpopNonces, catch)]
    fn dpop_nonces(hook: &Function) -> Result<Array, JsValue>;
    #[wasm_bindgen(js_name = replayStoreUse)]
    fn replay_store_use(store: &JsValue, key: &str, ttl_seconds: f64) -> Promise;
}

/// Proofs one isolate remembers without `dpopReplayStore` (about 50 bytes each). Past it, the
/// proofs in their window are forgotten and older ones refused ([`replay::ReplayCache`]).
const REPLAY_CACHE_ENTRIES: usize = 10_000;

/// A verifier's DPoP settings (the `dpop*` options) and its in-isolate replay cache.
pub(super) struct DpopConfig {
    pub mode: Mode,
    pub policy: ProofPolicy,
    /// `dpopReplayStore`: `{ get, put }`, shared by isolates.
    pub store: Option<JsValue>,
    /// `dpopNonce`: returns the nonces accepted now, the current one first.
    pub nonce: Option<Function>,
    pub seen: RefCell<replay::ReplayCache>,
}

impl Default for DpopConfig {
    fn default() -> Self {
        DpopConfig {
            mode: Mode::default(),
            policy: ProofPolicy::default(),
            store: None,
            nonce: None,
            seen: RefCell::new(replay::ReplayCache::new(REPLAY_CACHE_ENTRIES)),
        }
    }
}

/// What `verifyRequest` needs of a request under the DPoP scheme.
pub(super) struct DpopRequest<'a> {
    pub request: &'a JsValue,
    pub token: &'a str,
    pub proof: &'a str,
    pub now: i64,
    pub demands: Demands,
}

/// `object[name]` as a string.
fn text(object: &JsValue, name: &str) -> Option<String> {
    Reflect::get(object, &JsValue::from_str(name)).ok().and_then(|v| v.as_string())
}

impl JwtVerifier {
    /// The verification of a DPoP request: resolves as a Bearer one does, or rejects with the
    /// error `respond` answers (with `dpopNonce` on an `ERR_DPOP_NONCE_REQUIRED` error).
    pub(super) fn verify_dpop(&self, call: DpopRequest<'_>) -> Result<Promise, JsValue> {
        let (Some(method), Some(url)) = (text(call.request, "method"), text(call.request, "url")) else {
            return Err(Error::InvalidOptions("verifyRequest needs a Request (with method and url)".into()).into());
        };
        let config = &self.inner.dpop;
        let nonces = match &config.nonce {
            Some(hook) => Some(nonces_now(hook)?),
            None => None,
        };
        let facts = ProofRequest {
            method: &method,
            url: &url,
            access_token: Some(call.token),
            nonces: nonces.as_deref(),
            now: call.now,
        };
        let with_nonce = |err| with_nonce(err, nonces.as_deref());
        let unverified = dpop::check(call.proof, &facts, &config.policy).map_err(with_nonce)?;
        let signature = signature_check(&unverified);
        let binding = Binding::Jkt(unverified.jkt().to_owned());
        // The claims' verdict now; dpopGate reports it only once the signature verified.
        let proof = unverified.finish(true).map_err(with_nonce);
        // A proof refused on its claims never starts the token check: on a fresh verifier that
        // check fetches the JWKS, and in workerd a fetch dies with the request that started it,
        // holding up the next request (the nonce retry) until the refresh limit.
        let token = match &proof {
            Ok(_) => self.verify_token(call.token, call.now, Demands { binding, ..call.demands }),
            Err(_) => Promise::resolve(&JsValue::UNDEFINED),
        };
        let claims_error = proof.as_ref().err().cloned().unwrap_or(JsValue::UNDEFINED);
        let gated = dpop_gate(&signature, &claims_error, &token);
        let Ok(proof) = proof else { return Ok(gated) };
        let inner = Rc::clone(&self.inner);
        let now = call.now;
        Ok(crate::web::http::promise(async move {
            let result = JsFuture::from(gated).await?;
            first_use(&inner.dpop, &proof, now).await?;
            Ok(result)
        }))
    }
}

/// The proof's signature check: a promise of whether it verifies with its own key, through
/// node:crypto or WebCrypto as tokens are; where neither exists, in Rust with the `pure-rust`
/// feature, else never. (A key the platform cannot import rejects: dpopGate counts it as a bad
/// signature.)
fn signature_check(proof: &Unverified<'_>) -> Promise {
    let (alg, key, message, signature) = (proof.alg(), proof.key(), proof.message(), proof.signature());
    if super::has_platform_crypto() {
        if let Ok(pending) = super::verify_signature_in_js(key, alg, message, signature) {
            return pending;
        }
    }
    #[cfg(feature = "pure-rust")]
    let valid = crate::jose::native::verify(alg, key, message, signature).is_ok();
    #[cfg(not(feature = "pure-rust"))]
    let valid = false;
    Promise::resolve(&JsValue::from(valid))
}

/// The `dpopNonce` hook's nonces, checked in the core (`jose::dpop::nonce`).
fn nonces_now(hook: &Function) -> Result<Vec<String>, JsValue> {
    let mut nonces = Vec::new();
    for nonce in dpop_nonces(hook)?.iter() {
        // Not a string: empty, which the core refuses.
        nonces.push(nonce.as_string().unwrap_or_default());
    }
    dpop::nonce::accepted(&nonces)?;
    Ok(nonces)
}

/// `err` as thrown, with the nonce to send as `dpopNonce` when it asks for one.
fn with_nonce(err: Error, nonces: Option<&[String]>) -> JsValue {
    let nonce = match (&err, nonces.and_then(<[String]>::first)) {
        (Error::DpopNonceRequired, Some(nonce)) => Some(JsValue::from_str(nonce)),
        _ => None,
    };
    let js = JsValue::from(err);
    if let Some(nonce) = nonce {
        let _ = Reflect::set(&js, &JsValue::from_str("dpopNonce"), &nonce);
    }
    js
}

/// The replay check: `Ok` for a proof never seen, `ERR_DPOP_REPLAY` for one seen before. With a
/// store, a get then a put (not atomic: two isolates checking one proof at the same moment may
/// both accept it; the README says so); its failures reject verifyRequest as they are.
async fn first_use(config: &DpopConfig, proof: &Proof, now: i64) -> Result<(), JsValue> {
    let id = replay::proof_id(&proof.jkt, &proof.jti);
    let until = replay::forget_after(proof.iat, &config.policy);
    let seen = match &config.store {
        None => !config.seen.borrow_mut().first_use(id, proof.iat, until, now),
        Some(store) => {
            let ttl = replay::store_ttl_seconds(until, now) as f64;
            let value = JsFuture::from(replay_store_use(store, &replay::store_key(&id), ttl)).await?;
            !(value.is_null() || value.is_undefined())
        }
    };
    if seen { Err(Error::DpopReplay.into()) } else { Ok(()) }
}
