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

use std::cell::RefCell;

use js_sys::{Array, Promise};
use wasm_bindgen::prelude::*;

use super::{Demands, Inner, JwtVerifier, KeySource};
use crate::Error;
use crate::jose::dpop::binding;
use crate::jose::json;
use crate::jose::jws::{self, Jws};
use crate::jose::request;
use crate::jose::token_cache::{MAX_ENTRY_BYTES, MAX_TOKEN_LEN, Times, TokenCache, TokenCacheOptions};

#[wasm_bindgen(module = "/src/web/shim.js")]
extern "C" {
    #[wasm_bindgen(js_name = cacheStats)]
    fn stats_object(
        entries: f64,
        max_entries: f64,
        bytes: f64,
        max_entry_bytes: f64,
        hits: f64,
        misses: f64,
    ) -> JsValue;
    #[wasm_bindgen(js_name = whenVerified)]
    fn when_verified(pending: &Promise, verified: &Array, token: &str, generation: f64) -> Promise;
}

/// A verifier's cache: the core's LRU, and the tokens whose verification succeeded since the
/// last call (`[token, generation, verified at (ms), ...]`, filled by shim.js's `whenVerified`),
/// stored at the next call. (A JS callback instead of an async Rust continuation: much less wasm.)
pub(super) struct Cache {
    core: RefCell<TokenCache>,
    verified: Array,
}

impl Cache {
    pub(super) fn new(limits: TokenCacheOptions) -> Cache {
        Cache { core: RefCell::new(TokenCache::new(limits)), verified: Array::new() }
    }
}

impl JwtVerifier {
    /// `verify_fresh` behind `cache`.
    pub(super) fn verify_cached(&self, cache: &Cache, token: &str, now_s: i64, demands: Demands) -> Promise {
        self.inner.store_verified(cache);
        let clock_ms = js_sys::Date::now();
        let generation = self.inner.generation.get();
        match self.inner.lookup(cache, token, now_s, clock_ms, generation, &demands) {
            Some(Ok(value)) => return Promise::resolve(&value),
            Some(Err(err)) => return Promise::reject(&err.into()),
            None => {}
        }
        let fresh = self.verify_fresh(token, now_s, demands);
        if token.len() > MAX_TOKEN_LEN {
            return fresh;
        }
        // Noted only once the verification succeeded: failures are never cached.
        when_verified(&fresh, &cache.verified, token, generation as f64)
    }
}

#[wasm_bindgen]
impl JwtVerifier {
    /// The verified-token cache's figures: `{ entries, maxEntries, bytes, maxEntryBytes, hits,
    /// misses }` (`undefined` without the `cache` option).
    #[wasm_bindgen(js_name = cacheStats, unchecked_return_type = "TokenCacheStats | undefined")]
    pub fn cache_stats(&self) -> JsValue {
        let Some(cache) = &self.inner.cache else { return JsValue::UNDEFINED };
        self.inner.store_verified(cache);
        let cache = cache.core.borrow();
        let stats = cache.stats();
        stats_object(
            stats.entries as f64,
            cache.options().max_entries as f64,
            stats.bytes as f64,
            MAX_ENTRY_BYTES as f64,
            stats.hits as f64,
            stats.misses as f64,
        )
    }
}

impl Inner {
    /// The cached answer for `token`, if there is one that may answer now: the result, or the
    /// scope error a fresh verification would give. A remote set due for a refetch answers
    /// nothing from the cache.
    fn lookup(
        &self,
        cache: &Cache,
        token: &str,
        now_s: i64,
        clock_ms: f64,
        generation: u64,
        demands: &Demands,
    ) -> Option<Result<JsValue, Error>> {
        if let KeySource::Remote(remote) = &self.source {
            if !remote.is_fresh(clock_ms) {
                return None;
            }
        }
        let mut cache = cache.core.borrow_mut();
        cache.sync(generation);
        let hit = cache.lookup(token.as_bytes(), &self.options.rules, now_s, clock_ms)?;
        if !demands.scopes.is_empty() {
            let granted: Vec<&str> = hit.scopes.split(' ').collect();
            if let Err(err) = request::require_scopes(&granted, &demands.scopes) {
                return Some(Err(err));
            }
        }
        // Only unbound tokens are cached (`remember`): a hit's claims have no `cnf.jkt`.
        if let Err(err) = binding::check(&json::Map::new(), &demands.binding) {
            return Some(Err(err));
        }
        Some(js_sys::JSON::parse(hit.result).map_err(|_| Error::Internal("a cached result did not parse")))
    }

    /// Stores the tokens verified since the last call.
    fn store_verified(&self, cache: &Cache) {
        let count = cache.verified.length();
        if count == 0 {
            return;
        }
        for at in (0..count).step_by(3) {
            let (token, generation, verified_ms) =
                (cache.verified.get(at), cache.verified.get(at + 1), cache.verified.get(at + 2));
            if let (Some(token), Some(generation), Some(verified_ms)) =
                (token.as_string(), generation.as_f64(), verified_ms.as_f64())
            {
                self.remember(cache, &token, generation as u64, verified_ms);
            }
        }
        cache.verified.set_length(0);
    }

    /// Stores `token`, verified at `verified_ms` against the key set of `generation` (not stored
    /// if the set changed since, or when a granted scope holds a space: scopes are kept
    /// space-joined).
    fn remember(&self, cache: &Cache, token: &str, generation: u64, verified_ms: f64) {
        if self.generation.get() != generation {
            return;
        }
        let Ok(parsed) = jws::parse(token, &self.options.limits) else { return };
        let Ok(claims) = json::parse_object(&parsed.payload) else { return };
        // DPoP-bound tokens come with a proof that is checked on every request anyway; keeping
        // them out lets a hit stand for an unbound token.
        if binding::bound_jkt(&claims) != Ok(None) {
            return;
        }
        let mut scopes = String::new();
        for scope in request::granted_scopes(&claims) {
            if scope.contains(' ') {
                return;
            }
            if !scopes.is_empty() {
                scopes.push(' ');
            }
            scopes.push_str(scope);
        }
        let Some(result) = result_text(&parsed) else { return };
        let mut cache = cache.core.borrow_mut();
        cache.sync(generation);
        cache.insert(token.as_bytes(), result, scopes.into(), Times::of(&claims), generation, verified_ms);
    }
}

/// `{"payload":...,"protectedHeader":...}`: the same texts, in the same order, that a fresh
/// verification's result is built from (`verifiedResult` in shim.js), so a hit's object is the same.
fn result_text(parsed: &Jws<'_>) -> Option<Box<str>> {
    let mut text = Vec::with_capacity(parsed.header_json.len() + parsed.payload.len() + 32);
    text.extend_from_slice(b"{\"payload\":");
    text.extend_from_slice(&parsed.payload);
    text.extend_from_slice(b",\"protectedHeader\":");
    text.extend_from_slice(&parsed.header_json);
    text.push(b'}');
    String::from_utf8(text).ok().map(String::into_boxed_str)
}
