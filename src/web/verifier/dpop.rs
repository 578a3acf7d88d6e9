//! `verifyRequest` under the DPoP scheme (RFC 9449): the I/O around the core's decisions
//! ([`crate::jose::dpop`]). In order: the `dpopNonce` hook's nonces (when set), the proof's
//! checks in Rust, its signature through node:crypto / WebCrypto (the same path tokens take),
//! the access token bound to the proof's key (the usual verification, with the binding among
//! its claim checks), and last the replay check, in the isolate or in `dpopReplayStore`. Only a
//! proof whose every check passed is remembered, so nobody can use up another's `jti`.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Function, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::{Demands, Inner, JwtVerifier};
use crate::Error;
use crate::jose::dpop::{self, Binding, Mode, Proof, ProofPolicy, ProofRequest, Unverified, replay};

/// Proofs one isolate remembers without `dpopReplayStore` (about 100 bytes each). Past it, the
/// oldest go and proofs issued before them are refused ([`replay::ReplayCache`]).
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
pub(super) struct DpopRequest {
    pub method: String,
    pub url: String,
    pub token: String,
    pub proof: String,
    pub now: i64,
    pub demands: Demands,
}

/// `request.method` and `request.url`.
pub(super) fn method_and_url(request: &JsValue) -> Result<(String, String), Error> {
    let text = |name: &str| Reflect::get(request, &JsValue::from_str(name)).ok().and_then(|v| v.as_string());
    match (text("method"), text("url")) {
        (Some(method), Some(url)) => Ok((method, url)),
        _ => Err(Error::InvalidOptions("verifyRequest needs a Request (with method and url)".into())),
    }
}

impl JwtVerifier {
    /// The verification of a DPoP request: resolves as a Bearer one does, or rejects with the
    /// error `respond` answers (with `dpopNonce` on an `ERR_DPOP_NONCE_REQUIRED` error).
    pub(super) fn verify_dpop(&self, request: DpopRequest) -> Promise {
        let inner = Rc::clone(&self.inner);
        wasm_bindgen_futures::future_to_promise(async move { verify(inner, request).await })
    }
}

async fn verify(inner: Rc<Inner>, request: DpopRequest) -> Result<JsValue, JsValue> {
    let config = &inner.dpop;
    let nonces = match &config.nonce {
        Some(hook) => Some(accepted_nonces(hook).await?),
        None => None,
    };
    let facts = ProofRequest {
        method: &request.method,
        url: &request.url,
        access_token: Some(&request.token),
        nonces: nonces.as_deref(),
        now: request.now,
    };
    let proof = async {
        let unverified = dpop::check(&request.proof, &facts, &config.policy)?;
        let valid = signature_valid(&unverified).await;
        unverified.finish(valid)
    };
    let proof = proof.await.map_err(|err| with_nonce(err, nonces.as_deref()))?;
    let demands = Demands { binding: Binding::Jkt(proof.jkt.clone()), ..request.demands };
    let verifier = JwtVerifier { inner: Rc::clone(&inner) };
    let result = JsFuture::from(verifier.verify_token(&request.token, request.now, demands)).await?;
    first_use(config, &proof, request.now).await?;
    Ok(result)
}

/// Whether the proof's signature verifies with its own key: through node:crypto or WebCrypto,
/// as tokens are; where neither exists, in Rust with the `pure-rust` feature, else not at all.
/// A key the platform cannot import (an algorithm it lacks) counts as a bad signature.
async fn signature_valid(proof: &Unverified<'_>) -> bool {
    if !super::has_platform_crypto() {
        #[cfg(feature = "pure-rust")]
        return crate::jose::native::verify(proof.alg(), proof.key(), proof.message(), proof.signature()).is_ok();
        #[cfg(not(feature = "pure-rust"))]
        return false;
    }
    match super::verify_signature_in_js(proof.key(), proof.alg(), proof.message(), proof.signature()) {
        Ok(pending) => JsFuture::from(pending).await.ok().and_then(|ok| ok.as_bool()) == Some(true),
        Err(_) => false,
    }
}

/// The `dpopNonce` hook's answer: a non-empty string, or a non-empty array of them.
async fn accepted_nonces(hook: &Function) -> Result<Vec<String>, JsValue> {
    let answer = JsFuture::from(Promise::resolve(&hook.call0(&JsValue::UNDEFINED)?)).await?;
    let list: Vec<JsValue> = if Array::is_array(&answer) { Array::from(&answer).to_vec() } else { vec![answer] };
    let nonces: Vec<String> = list.iter().filter_map(JsValue::as_string).filter(|n| !n.is_empty()).collect();
    if nonces.is_empty() || nonces.len() != list.len() {
        return Err(Error::InvalidOptions("dpopNonce must return a non-empty string or an array of them".into()).into());
    }
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
    let Some(store) = &config.store else {
        let first = config.seen.borrow_mut().first_use(id, proof.iat, until, now);
        return if first { Ok(()) } else { Err(Error::DpopReplay.into()) };
    };
    let key = JsValue::from_str(&replay::store_key(&id));
    let seen = JsFuture::from(call(store, "get", &Array::of1(&key))?).await?;
    if !seen.is_null() && !seen.is_undefined() {
        return Err(Error::DpopReplay.into());
    }
    let options = js_sys::Object::new();
    let ttl = replay::store_ttl_seconds(until, now);
    Reflect::set(&options, &JsValue::from_str("expirationTtl"), &JsValue::from(ttl as f64))?;
    JsFuture::from(call(store, "put", &Array::of3(&key, &JsValue::from_str("1"), &options))?).await?;
    Ok(())
}

/// `target[name](...args)`, its answer as a promise.
fn call(target: &JsValue, name: &str, args: &Array) -> Result<Promise, JsValue> {
    let method: Function = Reflect::get(target, &JsValue::from_str(name))?.dyn_into()?;
    Ok(Promise::resolve(&method.apply(target, args)?))
}
