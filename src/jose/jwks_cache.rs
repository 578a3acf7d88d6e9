//! When a remote JWKS must be (re)fetched: a pure function of the clock and the cache, with
//! jose's defaults (cache max age 10 min, cooldown 30 s between refetches for an unknown kid).
//! A failed fetch starts the cooldown too: until it has passed, verifications that need the
//! remote set fail at once with the failure's code instead of fetching again (a JWKS endpoint
//! that answers 500 must not be asked once per token).
//!
//! Two rules serve a set kept outside the isolate (`jwksStore`) and a JWKS origin that is
//! down: [`stored_suffices`] says when a set read from the store saves the origin fetch, and
//! [`stale_usable`] when a set older than `cacheMaxAge` may still answer (`jwksMaxStaleSeconds`).

/// Rules of a remote key set: timings in milliseconds, and the largest answer read.
#[derive(Debug, Clone, Copy)]
pub struct CachePolicy {
    /// A fetched set is used for this long.
    pub max_age_ms: f64,
    /// At least this long between two fetches caused by an unknown `kid`, and after a failed
    /// fetch before the next one.
    pub cooldown_ms: f64,
    /// A fetch (headers and body) that takes longer fails with ERR_JWKS_TIMEOUT.
    pub timeout_ms: f64,
    /// An answer larger than this fails with ERR_JWKS_TOO_LARGE, and is not read further.
    pub max_bytes: usize,
    /// After `max_age_ms`, a set may answer this much longer while its refetch fails
    /// (stale-if-error); 0: never.
    pub max_stale_ms: f64,
}

/// The default `jwksMaxBytes`: 512 KiB, a hundred times a large real JWK Set.
pub const DEFAULT_MAX_BYTES: usize = 512 * 1024;

impl Default for CachePolicy {
    fn default() -> Self {
        CachePolicy {
            max_age_ms: 600_000.0,
            cooldown_ms: 30_000.0,
            timeout_ms: 5_000.0,
            max_bytes: DEFAULT_MAX_BYTES,
            max_stale_ms: 0.0,
        }
    }
}

/// What to do before verifying a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The cached set can answer.
    UseCache,
    /// Fetch first (nothing cached, the cache is too old, or the token's kid is unknown and
    /// the cooldown has passed).
    Fetch,
    /// A fetch is needed but the last one failed less than a cooldown ago: fail with its
    /// error, without fetching.
    RepeatFailure,
}

/// `fetched_at`: when the cached set was fetched (None: nothing cached); `last_fetch`: when
/// the latest fetch started; `last_failure`: when the latest fetch failed, if it did (None once
/// one succeeds); `unknown_kid`: the token names a kid the cached set lacks.
pub fn decide(
    policy: &CachePolicy,
    now: f64,
    fetched_at: Option<f64>,
    last_fetch: Option<f64>,
    last_failure: Option<f64>,
    unknown_kid: bool,
) -> Decision {
    // A time in the future means the clock jumped back: the wait it started is over.
    let cooled = |at: Option<f64>| at.is_none_or(|at| now - at >= policy.cooldown_ms || now < at);
    let needs_fetch = match fetched_at {
        None => true,
        Some(fetched_at) if now - fetched_at >= policy.max_age_ms || now < fetched_at => true,
        Some(_) => unknown_kid && cooled(last_fetch),
    };
    if !needs_fetch {
        Decision::UseCache
    } else if cooled(last_failure) {
        Decision::Fetch
    } else {
        Decision::RepeatFailure
    }
}

/// Whether a set fetched at `fetched_at` may answer a token at `now` although its refetch
/// failed: `max_stale_ms` is given and not over. Only for a token whose kid the set has (or
/// that names none): a new kid may be a key the set never had, and the origin alone can say,
/// so that token gets the failure (503), not a 401 no key could have changed.
pub fn stale_usable(policy: &CachePolicy, now: f64, fetched_at: f64, unknown_kid: bool) -> bool {
    let age = now - fetched_at;
    policy.max_stale_ms > 0.0 && !unknown_kid && age >= 0.0 && age < policy.max_age_ms + policy.max_stale_ms
}

/// Whether a set read from the store (fetched at `fetched_at`, by whichever isolate) saves the
/// origin fetch a token at `now` asked for: it is within `cacheMaxAge`, and it has the token's
/// kid, or it was fetched less than a cooldown ago (that fetch was the one an unknown kid may
/// cause: isolates sharing a store share the cooldown too).
pub fn stored_suffices(policy: &CachePolicy, now: f64, fetched_at: f64, unknown_kid: bool) -> bool {
    let age = now - fetched_at;
    age >= 0.0 && age < policy.max_age_ms && (!unknown_kid || age < policy.cooldown_ms)
}

/// The `expirationTtl` (seconds) of a set put in the store: as long as it can answer (max age
/// plus stale age), rounded up, and at least Workers KV's minimum of 60.
pub fn store_ttl_seconds(policy: &CachePolicy) -> f64 {
    ((policy.max_age_ms + policy.max_stale_ms) / 1000.0).ceil().max(60.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: CachePolicy = CachePolicy {
        max_age_ms: 600_000.0,
        cooldown_ms: 30_000.0,
        timeout_ms: 5_000.0,
        max_bytes: DEFAULT_MAX_BYTES,
        max_stale_ms: 0.0,
    };
    const STALE: CachePolicy = CachePolicy { max_stale_ms: 3_600_000.0, ..P };

    #[test]
    fn stale_keys_answer_known_kids_within_the_stale_age_only() {
        assert!(!stale_usable(&P, 700_000.0, 0.0, false), "no jwksMaxStaleSeconds: never");
        assert!(stale_usable(&STALE, 700_000.0, 0.0, false));
        assert!(stale_usable(&STALE, 4_199_999.0, 0.0, false));
        assert!(!stale_usable(&STALE, 4_200_000.0, 0.0, false), "max age + stale age is over");
        assert!(!stale_usable(&STALE, 700_000.0, 0.0, true), "an unknown kid gets the failure");
        assert!(!stale_usable(&STALE, 0.0, 1000.0, false), "fetched in the future: the clock jumped");
    }

    #[test]
    fn a_stored_set_saves_the_fetch_while_fresh_and_for_a_new_kid_within_a_cooldown() {
        assert!(stored_suffices(&P, 599_999.0, 0.0, false));
        assert!(!stored_suffices(&P, 600_000.0, 0.0, false), "too old");
        assert!(stored_suffices(&P, 29_999.0, 0.0, true), "someone fetched it a moment ago");
        assert!(!stored_suffices(&P, 30_000.0, 0.0, true), "older than a cooldown: ask the origin");
        assert!(!stored_suffices(&P, 0.0, 5.0, false), "from the future");
    }

    #[test]
    fn the_store_ttl_covers_max_age_and_stale_age_and_is_at_least_a_minute() {
        assert_eq!(store_ttl_seconds(&P), 600.0);
        assert_eq!(store_ttl_seconds(&STALE), 4200.0);
        assert_eq!(store_ttl_seconds(&CachePolicy { max_age_ms: 1500.5, ..P }), 60.0);
        assert_eq!(store_ttl_seconds(&CachePolicy { max_age_ms: 60_000.5, ..P }), 61.0);
    }

    #[test]
    fn fetches_when_empty_or_too_old() {
        assert_eq!(decide(&P, 1000.0, None, None, None, false), Decision::Fetch);
        assert_eq!(decide(&P, 600_999.0, Some(1000.0), Some(1000.0), None, false), Decision::UseCache);
        assert_eq!(decide(&P, 601_000.0, Some(1000.0), Some(1000.0), None, false), Decision::Fetch);
    }

    #[test]
    fn an_unknown_kid_refetches_at_most_once_per_cooldown() {
        assert_eq!(decide(&P, 10_000.0, Some(0.0), Some(0.0), None, true), Decision::UseCache, "inside the cooldown");
        assert_eq!(decide(&P, 30_000.0, Some(0.0), Some(0.0), None, true), Decision::Fetch);
        assert_eq!(decide(&P, 30_000.0, Some(0.0), Some(0.0), None, false), Decision::UseCache, "known kid");
    }

    #[test]
    fn a_clock_that_jumps_back_refetches_rather_than_trusting_the_cache_forever() {
        assert_eq!(decide(&P, 500.0, Some(1000.0), Some(1000.0), None, false), Decision::Fetch);
        assert_eq!(decide(&P, 500.0, None, Some(1000.0), Some(1000.0), false), Decision::Fetch);
    }

    #[test]
    fn a_failed_fetch_starts_the_cooldown_before_any_other_fetch() {
        // Nothing cached, the fetch at t=0 failed at t=1000: no new fetch until t=31000.
        for now in [1000.0, 5000.0, 30_999.0] {
            assert_eq!(decide(&P, now, None, Some(0.0), Some(1000.0), false), Decision::RepeatFailure, "{now}");
        }
        assert_eq!(decide(&P, 31_000.0, None, Some(0.0), Some(1000.0), false), Decision::Fetch);
        // A cache too old to use, then a failed refetch: the same.
        let old = Some(0.0);
        assert_eq!(decide(&P, 700_000.0, old, Some(690_000.0), Some(695_000.0), false), Decision::RepeatFailure);
        assert_eq!(decide(&P, 725_000.0, old, Some(690_000.0), Some(695_000.0), false), Decision::Fetch);
        // An unknown kid after a failed refetch: the failure, not another fetch.
        let fresh = Some(100_000.0);
        assert_eq!(decide(&P, 150_000.0, fresh, Some(110_000.0), Some(140_000.0), true), Decision::RepeatFailure);
        // A usable cache still answers tokens it has the key for.
        assert_eq!(decide(&P, 150_000.0, fresh, Some(110_000.0), Some(140_000.0), false), Decision::UseCache);
    }
}
