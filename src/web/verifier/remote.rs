//! The I/O of a `jwksUri` verifier: the fetch (shim.js's `fetchJwks`), the store kept outside the
//! isolate (`jwksStore`), the one refresh in flight per isolate, the clock, the events and the
//! JS values. Every decision (when to fetch, what to do with an unknown kid, what a remote set
//! or a stored record may hold, when a stored set saves the fetch, when stale keys may answer,
//! the cooldown after a failure) is [`RemoteKeySet`]'s.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::{Demands, Inner, JwtVerifier, KeySource};
use crate::jose::jwks_cache::{self, store_ttl_seconds};
use crate::jose::jws;
use crate::jose::remote_keyset::{Plan, RemoteKeySet};
use crate::{Error, ErrorKind};

#[wasm_bindgen(module = "/src/web/shim.js")]
extern "C" {
    #[wasm_bindgen(js_name = fetchJwks)]
    fn fetch_jwks(uri: &str, timeout_ms: f64, max_bytes: f64) -> Promise;
    #[wasm_bindgen(js_name = joinRefresh)]
    fn join_refresh(holder: &js_sys::Object, wait_ms: f64) -> Option<Promise>;
    #[wasm_bindgen(js_name = leadRefresh)]
    fn lead_refresh(holder: &js_sys::Object, pending: &Promise);
    #[wasm_bindgen(js_name = storeGet)]
    fn store_get(store: &JsValue, key: &str, timeout_ms: f64) -> Promise;
    #[wasm_bindgen(js_name = storePut)]
    fn store_put(store: &JsValue, key: &str, value: &str, ttl_seconds: f64, timeout_ms: f64) -> Promise;
    #[wasm_bindgen(js_name = jwksEvent)]
    fn jwks_event(listener: &JsValue, kind: &str, error: &JsValue, age_seconds: Option<f64>);
}

/// A JWKS fetched from a URI.
pub(super) struct Remote {
    uri: String,
    /// The set and its cache state; a failed fetch is kept as the JS error it rejected with.
    keys: RefCell<RemoteKeySet<JsValue>>,
    /// `{ pending, waiters }`: the refresh in flight (shim.js's `leadRefresh`).
    in_flight: js_sys::Object,
    /// `jwksStore`, if given: `{ get, put }` as Workers KV.
    store: Option<JsValue>,
    /// `onJwksEvent`, or undefined.
    listener: JsValue,
}

impl Remote {
    pub(super) fn new(uri: String, keys: RemoteKeySet<JsValue>, store: Option<JsValue>, listener: JsValue) -> Remote {
        Remote { uri, keys: RefCell::new(keys), in_flight: js_sys::Object::new(), store, listener }
    }

    /// `{ jwks, uat }` for `exportJwksCache` (`undefined` before the first fetch).
    pub(super) fn export(&self) -> JsValue {
        let keys = self.keys.borrow();
        let Some((document, uat)) = keys.export() else { return JsValue::UNDEFINED };
        // The core's parser checked the document and is stricter than JSON.parse, which
        // therefore cannot fail; if it ever did, there would be no cache to export.
        let Ok(jwks) = js_sys::JSON::parse(document) else { return JsValue::UNDEFINED };
        let out = js_sys::Object::new();
        let _ = Reflect::set(&out, &JsValue::from_str("jwks"), &jwks);
        let _ = Reflect::set(&out, &JsValue::from_str("uat"), &JsValue::from_f64(uat));
        out.into()
    }

    /// The store's key for this set: one entry per jwksUri.
    fn store_key(&self) -> String {
        let mut key = String::from("wasm-auth:jwks:");
        key.push_str(&self.uri);
        key
    }

    /// Tells `onJwksEvent`, if given (shim.js calls it so that it can never throw into us).
    fn report(&self, kind: &str, error: &JsValue, age_ms: Option<f64>) {
        jwks_event(&self.listener, kind, error, age_ms.map(|ms| (ms / 1000.0).floor()));
    }

    /// Whether the installed set may answer at `now_ms` without a refetch (the token cache
    /// answers only then: a set due for a refetch may lose keys).
    pub(super) fn is_fresh(&self, now_ms: f64) -> bool {
        let keys = self.keys.borrow();
        let Some((_, fetched_at)) = keys.export() else { return false };
        jwks_cache::decide(keys.policy(), now_ms, Some(fetched_at), None, None, false) == jwks_cache::Decision::UseCache
    }
}

impl JwtVerifier {
    pub(super) fn verify_remote(&self, remote: &Remote, token: &str, now_s: i64, demands: Demands) -> Promise {
        verify_remote(&self.inner, remote, token, now_s, demands)
    }
}

fn verify_remote(inner: &Rc<Inner>, remote: &Remote, token: &str, now_s: i64, demands: Demands) -> Promise {
    // The header is checked before any fetch: a malformed token never causes network I/O.
    let parsed = match jws::parse(token, &inner.options.limits) {
        Ok(parsed) => parsed,
        Err(err) => return Promise::reject(&err.into()),
    };
    let kid = parsed.header.kid.as_deref().map(str::to_owned);
    let wait_ms = {
        let mut keys = remote.keys.borrow_mut();
        // The longest a refresh can take: a store read, a fetch and a store write.
        let wait_ms = keys.policy().timeout_ms * 3.0 + 1000.0;
        match keys.plan(&parsed, &inner.options, js_sys::Date::now()) {
            Ok(Plan::Use(keys)) => {
                let verified = inner.verify_parsed(keys, parsed, now_s, &demands);
                return verified.unwrap_or_else(|err| Promise::reject(&err.into()));
            }
            Ok(Plan::RepeatFailure(error)) => return Promise::reject(&repeated(error)),
            Err(err) => return Promise::reject(&err.into()),
            Ok(Plan::Fetch) => wait_ms,
        }
    };
    // One refresh per isolate: the first verification that needs one leads it (its promise is
    // the flight others wait for); one that comes while it runs waits, then plans again from
    // whatever the refresh left (a new set, a failure under cooldown, stale keys).
    let waiting = join_refresh(&remote.in_flight, wait_ms);
    let leads = waiting.is_none();
    let owner = Rc::clone(inner);
    let token = token.to_owned();
    let pending = crate::web::http::promise(async move {
        let KeySource::Remote(remote) = &owner.source else {
            return Err(Error::Internal("key source changed").into());
        };
        if let Some(flight) = waiting {
            let _ = JsFuture::from(flight).await;
            return JsFuture::from(verify_remote(&owner, remote, &token, now_s, demands)).await;
        }
        refresh(&owner, remote, kid.as_deref()).await?;
        let pending = {
            let keys = remote.keys.borrow();
            let set = keys.keys().ok_or(Error::Internal("no keys after a fetch"))?;
            owner.verify_with(set, &token, now_s, &demands)?
        };
        JsFuture::from(pending).await
    });
    if leads {
        lead_refresh(&remote.in_flight, &pending);
    }
    pending
}

/// The refresh a token naming `kid` asked for: the set in the store if it suffices, else the
/// origin's, which then goes to the store. Store failures and garbage are reported and
/// otherwise ignored: the store can save a fetch, never cause a failure. When the fetch fails,
/// Ok if the installed set may still answer this kid (stale-if-error, reported), else the
/// fetch's error.
async fn refresh(inner: &Inner, remote: &Remote, kid: Option<&str>) -> Result<(), JsValue> {
    let policy = *remote.keys.borrow().policy();
    if let Some(store) = &remote.store {
        match JsFuture::from(store_get(store, &remote.store_key(), policy.timeout_ms)).await {
            Ok(stored) if stored.is_null() || stored.is_undefined() => {}
            Ok(stored) => {
                // A string is at least one byte per UTF-16 unit: one longer than adopt's cap in
                // units is refused before it is copied into the wasm memory (which never shrinks).
                let units = stored.dyn_ref::<js_sys::JsString>().map_or(0, |text| text.length() as usize);
                let adopted = if units > policy.max_bytes.saturating_add(64) {
                    Err(Error::JwksTooLarge { max_bytes: policy.max_bytes as u64 })
                } else {
                    match stored.as_string() {
                        Some(text) => remote.keys.borrow_mut().adopt(text.as_bytes(), js_sys::Date::now()),
                        None => Err(Error::JwksInvalid(crate::jose::remote_keyset::NOT_A_RECORD.into())),
                    }
                };
                match adopted {
                    Ok(true) => inner.forget_crypto_keys(),
                    Ok(false) => {}
                    Err(error) => remote.report("store-error", &error.into(), None),
                }
            }
            Err(error) => remote.report("store-error", &error, None),
        }
        if remote.keys.borrow().store_suffices(kid, js_sys::Date::now()) {
            return Ok(());
        }
    }
    let fetched = fetch_jwks(&remote.uri, policy.timeout_ms, policy.max_bytes as f64);
    let installed = JsFuture::from(fetched).await.and_then(|body| inner.install(remote, &body).map_err(JsValue::from));
    if let Err(error) = installed {
        let now = js_sys::Date::now();
        let stale_age = {
            let mut keys = remote.keys.borrow_mut();
            // The failure starts the cooldown: no new fetch until it has passed.
            keys.fetch_failed(now, error.clone());
            keys.fallback(kid, now).map(|(_, age_ms)| age_ms)
        };
        // Stale-if-error: the installed (old) set answers this token, if it may. Reported once
        // the set is no longer borrowed: the listener may use the verifier.
        let Some(age_ms) = stale_age else { return Err(error) };
        remote.report("stale", &error, Some(age_ms));
        return Ok(());
    }
    let record = remote.keys.borrow().record();
    if let (Some(store), Some(record)) = (&remote.store, record) {
        let ttl = store_ttl_seconds(&policy);
        let put = store_put(store, &remote.store_key(), &record, ttl, policy.timeout_ms);
        if let Err(error) = JsFuture::from(put).await {
            remote.report("store-error", &error, None);
        }
    }
    Ok(())
}

/// A new error with the code and message of a failed fetch's `error`, for a verification that
/// the cooldown keeps from fetching again.
fn repeated(error: &JsValue) -> JsValue {
    let read = |name: &str| Reflect::get(error, &JsValue::from_str(name)).ok().and_then(|v| v.as_string());
    let message = read("message").unwrap_or_default();
    let code = read("code");
    let code = code.as_deref().unwrap_or(ErrorKind::JwksFetchFailed.code());
    let mut text = message;
    text.push_str(" (the JWKS fetch failed less than cooldownDuration ago)");
    crate::web::error::new_error(code, &text).into()
}

impl Inner {
    /// Installs a freshly fetched JWKS answer, its body's bytes, and forgets the CryptoKeys of
    /// the previous set.
    fn install(&self, remote: &Remote, body: &JsValue) -> Result<(), Error> {
        let body = crate::web::bytes::to_vec(
            body.dyn_ref::<Uint8Array>().ok_or(Error::Internal("the JWKS body is not bytes"))?,
        );
        remote.keys.borrow_mut().install(&body, js_sys::Date::now())?;
        self.forget_crypto_keys();
        Ok(())
    }

    /// After a new set is installed or adopted. Slots are key positions in the set: stale
    /// CryptoKeys must not answer for new keys.
    fn forget_crypto_keys(&self) {
        self.generation.set(self.generation.get() + 1);
        self.crypto_keys.clear();
        self.described.borrow_mut().clear();
    }
}
