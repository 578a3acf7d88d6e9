//! When a remote JWKS must be (re)fetched: a pure function of the clock and the cache, with
//! jose's defaults (cache max age 10 min, cooldown 30 s between refetches for an unknown kid).

/// Timing rules of a remote key set, in milliseconds.
#[derive(Debug, Clone, Copy)]
pub struct CachePolicy {
    /// A fetched set is used for this long.
    pub max_age_ms: f64,
    /// At least this long between two fetches caused by an unknown `kid`.
    pub cooldown_ms: f64,
    /// A fetch that takes longer fails with ERR_JWKS_TIMEOUT.
    pub timeout_ms: f64,
}

impl Default for CachePolicy {
    fn default() -> Self {
        CachePolicy { max_age_ms: 600_000.0, cooldown_ms: 30_000.0, timeout_ms: 5_000.0 }
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
}

/// `fetched_at`: when the cached set was fetched (None: nothing cached); `last_fetch`: when
/// the latest fetch started; `unknown_kid`: the token names a kid the cached set lacks.
pub fn decide(
    policy: &CachePolicy,
    now: f64,
    fetched_at: Option<f64>,
    last_fetch: Option<f64>,
    unknown_kid: bool,
) -> Decision {
    let Some(fetched_at) = fetched_at else { return Decision::Fetch };
    if now - fetched_at >= policy.max_age_ms || now < fetched_at {
        return Decision::Fetch;
    }
    let cooled = last_fetch.is_none_or(|at| now - at >= policy.cooldown_ms || now < at);
    if unknown_kid && cooled { Decision::Fetch } else { Decision::UseCache }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: CachePolicy = CachePolicy { max_age_ms: 600_000.0, cooldown_ms: 30_000.0, timeout_ms: 5_000.0 };

    #[test]
    fn fetches_when_empty_or_too_old() {
        assert_eq!(decide(&P, 1000.0, None, None, false), Decision::Fetch);
        assert_eq!(decide(&P, 600_999.0, Some(1000.0), Some(1000.0), false), Decision::UseCache);
        assert_eq!(decide(&P, 601_000.0, Some(1000.0), Some(1000.0), false), Decision::Fetch);
    }

    #[test]
    fn an_unknown_kid_refetches_at_most_once_per_cooldown() {
        assert_eq!(decide(&P, 10_000.0, Some(0.0), Some(0.0), true), Decision::UseCache, "inside the cooldown");
        assert_eq!(decide(&P, 30_000.0, Some(0.0), Some(0.0), true), Decision::Fetch);
        assert_eq!(decide(&P, 30_000.0, Some(0.0), Some(0.0), false), Decision::UseCache, "known kid: no refetch");
    }

    #[test]
    fn a_clock_that_jumps_back_refetches_rather_than_trusting_the_cache_forever() {
        assert_eq!(decide(&P, 500.0, Some(1000.0), Some(1000.0), false), Decision::Fetch);
    }
}
