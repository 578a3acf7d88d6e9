//! The verified-token cache's glue (the `cache` option): a lookup before a verification and
//! an insert after a successful one, around the uncached path (`verify_fresh`). Every rule is
//! the core's [`TokenCache`](crate::jose::token_cache::TokenCache); here are the clock, the key
//! set in use and the JS values.
//!
//! Per-call options are honoured on a hit, never bypassed: `currentDate` is the time the
//! claims are checked at, and `verifyRequest`'s `scopes` are checked against the scopes the
//! token grants, as a fresh verification would. A hit resolves to a new object parsed from the
//! stored JSON, the same text a fresh verification parses, so callers that change it change
//! only their copy. A remote set answers hits only while it needs no refetch (`cacheMaxAge`);
//! otherwise the token goes the usual way, and a refetched set drops the entries of the keys
//! it no longer has.

use std::rc::Rc;

use js_sys::{Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::{Inner, JwtVerifier, KeySource};
use crate::Error;
use crate::jose::json;
use crate::jose::jws::{self, Jws};
use crate::jose::keyset::KeySet;
use crate::jose::request;
use crate::jose::token_cache::{MAX_TOKEN_LEN, Times};

impl JwtVerifier {
    /// `verify_fresh` behind the cache.
    pub(super) fn verify_cached(&self, token: &str, now_s: i64, scopes: Vec<String>) -> Promise {
        let clock_ms = js_sys::Date::now();
        let generation = self.inner.generation.get();
        match self.inner.lookup(token, now_s, clock_ms, generation, &scopes) {
            Some(Ok(value)) => return Promise::resolve(&value),
            Some(Err(err)) => return Promise::reject(&err.into()),
            None => {}
        }
        let fresh = self.verify_fresh(token, now_s, scopes);
        if token.len() > MAX_TOKEN_LEN {
            return fresh;
        }
        let inner = Rc::clone(&self.inner);
        let token = token.to_owned();
        // Stored only once the verification succeeded: failures are never cached.
        wasm_bindgen_futures::future_to_promise(async move {
            let value = JsFuture::from(fresh).await?;
            inner.remember(&token, generation);
            Ok(value)
        })
    }
}

#[wasm_bindgen]
impl JwtVerifier {
    /// The verified-token cache's figures: `{ entries, maxEntries, bytes, maxEntryBytes, hits,
    /// misses }` (`undefined` without the `cache` option).
    #[wasm_bindgen(js_name = cacheStats, unchecked_return_type = "TokenCacheStats | undefined")]
    pub fn cache_stats(&self) -> JsValue {
        let Some(cache) = &self.inner.cache else { return JsValue::UNDEFINED };
        let cache = cache.borrow();
        let stats = cache.stats();
        let out = Object::new();
        for (name, value) in [
            ("entries", stats.entries as f64),
            ("maxEntries", cache.options().max_entries as f64),
            ("bytes", stats.bytes as f64),
            ("maxEntryBytes", crate::jose::token_cache::MAX_ENTRY_BYTES as f64),
            ("hits", stats.hits as f64),
            ("misses", stats.misses as f64),
        ] {
            let _ = Reflect::set(&out, &JsValue::from_str(name), &JsValue::from_f64(value));
        }
        out.into()
    }
}

impl Inner {
    /// `f` of the key set in use: the configured one, or the remote one (only while it may
    /// answer at `fresh_at` without a refetch, when given).
    fn with_keys<R>(&self, fresh_at: Option<f64>, f: impl FnOnce(&KeySet) -> R) -> Option<R> {
        match &self.source {
            KeySource::Static(keys) => Some(f(keys)),
            KeySource::Remote(remote) => remote.with_keys(fresh_at, f),
        }
    }

    /// The cached answer for `token`, if there is one that may answer now: the result, or the
    /// scope error a fresh verification would give.
    fn lookup(
        &self,
        token: &str,
        now_s: i64,
        clock_ms: f64,
        generation: u64,
        scopes: &[String],
    ) -> Option<Result<JsValue, Error>> {
        let cache = self.cache.as_ref()?;
        self.with_keys(Some(clock_ms), |keys| {
            let mut cache = cache.borrow_mut();
            cache.sync_keys(keys.keys(), generation);
            let hit = cache.lookup(token.as_bytes(), &self.options.rules, now_s, clock_ms)?;
            if !scopes.is_empty() {
                let granted: Vec<&str> = hit.scopes.split(' ').collect();
                if let Err(err) = request::require_scopes(&granted, scopes) {
                    return Some(Err(err));
                }
            }
            Some(js_sys::JSON::parse(hit.result).map_err(|_| Error::Internal("a cached result did not parse")))
        })
        .flatten()
    }

    /// Stores `token`, just verified against the key set of `generation`. Not stored: when
    /// the set changed since, when more than one key could have verified it (the entry must
    /// know the one key whose removal ends it), or when a granted scope holds a space.
    fn remember(&self, token: &str, generation: u64) {
        let Some(cache) = &self.cache else { return };
        if self.generation.get() != generation {
            return;
        }
        self.with_keys(None, |keys| {
            let Ok(parsed) = jws::parse(token, &self.options.limits) else { return };
            let Ok(candidates) = keys.candidates(&parsed.header, &self.options.algorithms) else { return };
            let [key] = candidates[..] else { return };
            let Ok(claims) = json::parse_object(&parsed.payload) else { return };
            let granted = request::granted_scopes(&claims);
            if granted.iter().any(|scope| scope.contains(' ')) {
                return;
            }
            let Some(result) = result_text(&parsed) else { return };
            let mut cache = cache.borrow_mut();
            cache.sync_keys(keys.keys(), generation);
            let scopes = granted.join(" ").into_boxed_str();
            cache.insert(token.as_bytes(), key, result, scopes, Times::of(&claims), generation, js_sys::Date::now());
        });
    }
}

/// `{"payload":...,"protectedHeader":...}`: the text a fresh verification's result is parsed
/// from (`result_object` in mod.rs), so a hit's object is the same.
fn result_text(parsed: &Jws<'_>) -> Option<Box<str>> {
    let mut text = Vec::with_capacity(parsed.header_json.len() + parsed.payload.len() + 32);
    text.extend_from_slice(b"{\"payload\":");
    text.extend_from_slice(&parsed.payload);
    text.extend_from_slice(b",\"protectedHeader\":");
    text.extend_from_slice(&parsed.header_json);
    text.push(b'}');
    String::from_utf8(text).ok().map(String::into_boxed_str)
}
