//! The I/O of a `jwksUri` verifier: the fetch (shim.js's `sharedFetch`), the clock, and the JS
//! values. Every decision (when to fetch, what to do with an unknown kid, what a remote set may
//! hold, the cooldown after a failure) is [`RemoteKeySet`]'s.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::{Inner, JwtVerifier, KeySource};
use crate::jose::jwks_cache;
use crate::jose::jws;
use crate::jose::remote_keyset::{Plan, RemoteKeySet};
use crate::{Error, ErrorKind};

#[wasm_bindgen(module = "/src/web/shim.js")]
extern "C" {
    #[wasm_bindgen(js_name = sharedFetch)]
    fn shared_fetch(holder: &js_sys::Object, uri: &str, timeout_ms: f64, max_bytes: f64) -> Promise;
}

/// A JWKS fetched from a URI.
pub(super) struct Remote {
    uri: String,
    /// The set and its cache state; a failed fetch is kept as the JS error it rejected with.
    keys: RefCell<RemoteKeySet<JsValue>>,
    /// `{ pending }`: the fetch in flight, shared by concurrent verifications.
    in_flight: js_sys::Object,
}

impl Remote {
    pub(super) fn new(uri: String, keys: RemoteKeySet<JsValue>) -> Remote {
        Remote { uri, keys: RefCell::new(keys), in_flight: js_sys::Object::new() }
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

    /// Whether the installed set may answer at `now_ms` without a refetch (the token cache
    /// answers only then: a set due for a refetch may lose keys).
    pub(super) fn is_fresh(&self, now_ms: f64) -> bool {
        let keys = self.keys.borrow();
        let Some((_, fetched_at)) = keys.export() else { return false };
        jwks_cache::decide(keys.policy(), now_ms, Some(fetched_at), None, None, false) == jwks_cache::Decision::UseCache
    }
}

impl JwtVerifier {
    pub(super) fn verify_remote(&self, remote: &Remote, token: &str, now_s: i64, scopes: Vec<String>) -> Promise {
        // The header is checked before any fetch: a malformed token never causes network I/O.
        let parsed = match jws::parse(token, &self.inner.options.limits) {
            Ok(parsed) => parsed,
            Err(err) => return Promise::reject(&err.into()),
        };
        let policy = {
            let mut keys = remote.keys.borrow_mut();
            let policy = *keys.policy();
            match keys.plan(&parsed, &self.inner.options, js_sys::Date::now()) {
                Ok(Plan::Use(keys)) => {
                    let verified = self.inner.verify_parsed(keys, parsed, now_s, &scopes);
                    return verified.unwrap_or_else(|err| Promise::reject(&err.into()));
                }
                Ok(Plan::RepeatFailure(error)) => return Promise::reject(&repeated(error)),
                Err(err) => return Promise::reject(&err.into()),
                Ok(Plan::Fetch) => policy,
            }
        };
        let fetched = shared_fetch(&remote.in_flight, &remote.uri, policy.timeout_ms, policy.max_bytes as f64);
        let inner = Rc::clone(&self.inner);
        let token = token.to_owned();
        wasm_bindgen_futures::future_to_promise(async move {
            let KeySource::Remote(remote) = &inner.source else {
                return Err(Error::Internal("key source changed").into());
            };
            let installed =
                JsFuture::from(fetched).await.and_then(|body| inner.install(remote, &body).map_err(JsValue::from));
            if let Err(error) = installed {
                // The failure starts the cooldown: no new fetch until it has passed.
                remote.keys.borrow_mut().fetch_failed(js_sys::Date::now(), error.clone());
                return Err(error);
            }
            let pending = {
                let keys = remote.keys.borrow();
                let keys = keys.keys().ok_or(Error::Internal("no keys after a fetch"))?;
                inner.verify_with(keys, &token, now_s, &scopes)?
            };
            JsFuture::from(pending).await
        })
    }
}

/// A new error with the code and message of a failed fetch's `error`, for a verification that
/// the cooldown keeps from fetching again.
fn repeated(error: &JsValue) -> JsValue {
    let read = |name: &str| Reflect::get(error, &JsValue::from_str(name)).ok().and_then(|v| v.as_string());
    let message = read("message").unwrap_or_default();
    let js = js_sys::Error::new(&format!("{message} (the JWKS fetch failed less than cooldownDuration ago)"));
    js.set_name("WasmAuthError");
    let code = read("code");
    let code = code.as_deref().unwrap_or(ErrorKind::JwksFetchFailed.code());
    let _ = Reflect::set(&js, &JsValue::from_str("code"), &JsValue::from_str(code));
    js.into()
}

impl Inner {
    /// Installs a freshly fetched JWKS answer, its body's bytes (shared by every concurrent
    /// caller), and forgets the CryptoKeys of the previous set.
    fn install(&self, remote: &Remote, body: &JsValue) -> Result<(), Error> {
        let body = body.dyn_ref::<Uint8Array>().ok_or(Error::Internal("the JWKS body is not bytes"))?.to_vec();
        remote.keys.borrow_mut().install(&body, js_sys::Date::now())?;
        // Slots are key positions in the set: stale CryptoKeys must not answer for new keys.
        self.generation.set(self.generation.get() + 1);
        self.crypto_keys.clear();
        self.described.borrow_mut().clear();
        Ok(())
    }
}
