//! Checks of the values a verifier is configured with, once read from JavaScript: an option
//! that is given must mean a check. An empty list of issuers, an empty subject or a list holding
//! an empty string would otherwise turn a check off (or accept an empty claim) instead of making
//! it stricter, so they are refused with `ERR_AUTH_INVALID_OPTIONS`, naming the option.

use super::alg::Alg;
use crate::Error;

/// An `InvalidOptions` error whose message is `parts` in a row (pieces rather than `format!`:
/// smaller in the wasm).
pub fn invalid(parts: &[&str]) -> Error {
    Error::InvalidOptions(joined(parts))
}

/// `parts` in a row: a message made without `format!`'s machinery, or `concat`'s generic one.
#[inline(never)]
pub fn joined(parts: &[&str]) -> String {
    let mut message = String::new();
    for part in parts {
        message.push_str(part);
    }
    message
}

/// A list option (`issuer`, `audience`, `requiredClaims`, `scopes`, ...): at least one entry,
/// none empty.
pub fn non_empty_list(name: &str, values: Vec<String>) -> Result<Vec<String>, Error> {
    if values.is_empty() {
        return Err(invalid(&[name, " must not be empty: leave it out to not check it"]));
    }
    if values.iter().any(String::is_empty) {
        return Err(invalid(&[name, " must not contain an empty string"]));
    }
    Ok(values)
}

/// A string option (`subject`): not empty.
pub fn non_empty_text(name: &str, value: String) -> Result<String, Error> {
    if value.is_empty() {
        return Err(invalid(&[name, " must not be empty: leave it out to not check it"]));
    }
    Ok(value)
}

/// The `typ` option: not empty once compared as the check compares it (case-insensitive,
/// `application/` optional), so that `"application/"` cannot match an empty `typ` header.
pub fn typ(value: String) -> Result<String, Error> {
    let lower = value.to_ascii_lowercase();
    if lower.strip_prefix("application/").unwrap_or(&lower).is_empty() {
        return Err(invalid(&["typ must name a media type, e.g. \"at+jwt\""]));
    }
    Ok(value)
}

/// The `algorithms` allow-list: at least one known algorithm.
pub fn algorithms(names: Vec<String>) -> Result<Vec<Alg>, Error> {
    let mut algorithms = Vec::new();
    for name in non_empty_list("algorithms", names)? {
        algorithms
            .push(Alg::from_name(&name).ok_or_else(|| invalid(&["unknown algorithm \"", &name, "\" in algorithms"]))?);
    }
    Ok(algorithms)
}

/// A duration in seconds (`clockTolerance`, `maxTokenAge`): finite and 0 or more; a fraction
/// is rounded down (towards the stricter check). `maxTokenAge: 0` is the strictest age: the
/// token must be issued this second (within `clockTolerance`).
pub fn seconds(name: &str, value: Option<f64>) -> Result<u64, Error> {
    match value {
        Some(n) if n.is_finite() && n >= 0.0 => Ok(n as u64),
        _ => Err(invalid(&[name, " must be a number of seconds, 0 or more"])),
    }
}

/// Longest value of a JavaScript timer (`setTimeout` fires at once beyond it).
pub const MAX_TIMER_MS: f64 = 2_147_483_647.0;

/// A remote JWKS duration in milliseconds (`timeoutDuration`, `cooldownDuration`,
/// `cacheMaxAge`): more than 0 (0 would mean a fetch per verification, or a timeout that never
/// lets one finish) and at most a JS timer's range.
pub fn millis(name: &str, value: Option<f64>) -> Result<f64, Error> {
    match value {
        Some(n) if is_millis(n) => Ok(n),
        _ => Err(invalid(&[name, " must be ", MILLIS_WORDS])),
    }
}

/// What [`millis`] takes, as the options layer says it.
pub const MILLIS_WORDS: &str =
    "a number of milliseconds, more than 0 and at most 2147483647 (2^31 - 1, the largest JS timer)";

/// Whether `n` is a duration [`millis`] takes.
pub fn is_millis(n: f64) -> bool {
    n.is_finite() && n > 0.0 && n <= MAX_TIMER_MS
}

/// Whether `n` is a size [`bytes`] takes.
pub fn is_bytes(n: f64) -> bool {
    n.is_finite() && n >= 1.0 && n.fract() == 0.0 && n <= 9_007_199_254_740_991.0
}

/// A size in bytes (`maxTokenLength`, `jwksMaxBytes`): a whole number, at least 1.
pub fn bytes(name: &str, value: Option<f64>) -> Result<usize, Error> {
    match value {
        Some(n) if is_bytes(n) => Ok(usize::try_from(n as u64).unwrap_or(usize::MAX)),
        _ => Err(invalid(&[name, " must be a whole number of bytes, 1 or more"])),
    }
}

/// Longest `jwksMaxStaleSeconds`: a year. Keys a year past their max age are no longer a
/// cache but a pinned copy; a worker that wants one gives the set itself (`jwks`).
pub const MAX_STALE_SECONDS: f64 = 31_536_000.0;

/// `jwksMaxStaleSeconds`, in milliseconds: more than 0 (0 or less would say "serve stale keys
/// for no time", which is leaving the option out) and at most [`MAX_STALE_SECONDS`]; None
/// otherwise (the options layer names the option and what it takes, once for every wrong kind).
pub fn stale_ms(seconds: Option<f64>) -> Option<f64> {
    seconds.filter(|n| n.is_finite() && *n > 0.0 && *n <= MAX_STALE_SECONDS).map(|n| n * 1000.0)
}

/// `cache.maxEntries`: a whole number from 1 to [`MAX_ENTRIES`](super::token_cache::MAX_ENTRIES)
/// (0 would be a cache that never answers, given as if it did).
pub fn cache_entries(value: Option<f64>) -> Result<usize, Error> {
    match value {
        Some(n) if n >= 1.0 && n.fract() == 0.0 && n <= super::token_cache::MAX_ENTRIES as f64 => Ok(n as usize),
        _ => Err(invalid(&["cache.maxEntries must be a whole number from 1 to 1000000"])),
    }
}

/// `cache.maxAgeSeconds`: seconds, more than 0 and at most a year; returned in milliseconds.
pub fn cache_max_age_ms(value: Option<f64>) -> Result<f64, Error> {
    match value {
        Some(n) if n > 0.0 && n <= 31_536_000.0 => Ok(n * 1000.0),
        _ => Err(invalid(&["cache.maxAgeSeconds must be a number of seconds, more than 0 and at most 31536000"])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code<T: core::fmt::Debug>(result: Result<T, Error>) -> &'static str {
        result.map(|_| "accepted").unwrap_or_else(|e| e.code())
    }

    const INVALID: &str = "ERR_AUTH_INVALID_OPTIONS";

    #[test]
    fn lists_must_hold_at_least_one_non_empty_entry() {
        assert_eq!(non_empty_list("issuer", vec!["https://a".into()]), Ok(vec!["https://a".to_owned()]));
        assert_eq!(code(non_empty_list("issuer", vec![])), INVALID);
        assert_eq!(code(non_empty_list("audience", vec!["api".into(), String::new()])), INVALID);
        let err = non_empty_list("requiredClaims", vec![]).expect_err("empty");
        assert!(err.to_string().contains("requiredClaims"), "{err}");
    }

    #[test]
    fn texts_and_typ_must_not_be_empty() {
        assert_eq!(code(non_empty_text("subject", String::new())), INVALID);
        assert!(non_empty_text("subject", "u1".into()).is_ok());
        for bad in ["", "application/", "APPLICATION/"] {
            assert_eq!(code(typ(bad.into())), INVALID, "{bad:?}");
        }
        assert!(typ("application/at+jwt".into()).is_ok());
    }

    #[test]
    fn algorithms_must_name_at_least_one_known_algorithm() {
        assert_eq!(algorithms(vec!["ES256".into()]), Ok(vec![Alg::Es256]));
        for bad in [vec![], vec![String::new()], vec!["none".to_owned()], vec!["ES256".into(), "HS1".into()]] {
            assert_eq!(code(algorithms(bad.clone())), INVALID, "{bad:?}");
        }
    }

    #[test]
    fn numbers_are_finite_and_zero_or_negative_durations_refused() {
        assert_eq!(seconds("clockTolerance", Some(0.0)), Ok(0));
        assert_eq!(seconds("maxTokenAge", Some(0.9)), Ok(0), "rounded down: stricter");
        for bad in [Some(-1.0), Some(f64::NAN), Some(f64::INFINITY), None] {
            assert_eq!(code(seconds("clockTolerance", bad)), INVALID, "{bad:?}");
        }
        assert_eq!(millis("cooldownDuration", Some(30_000.0)), Ok(30_000.0));
        for bad in [Some(0.0), Some(-5.0), Some(f64::NAN), Some(MAX_TIMER_MS + 1.0), None] {
            assert_eq!(code(millis("cacheMaxAge", bad)), INVALID, "{bad:?}");
        }
        assert_eq!(bytes("jwksMaxBytes", Some(512.0 * 1024.0)), Ok(524_288));
        for bad in [Some(0.0), Some(-1.0), Some(1.5), Some(f64::INFINITY), None] {
            assert_eq!(code(bytes("maxTokenLength", bad)), INVALID, "{bad:?}");
        }
    }

    #[test]
    fn the_stale_age_is_more_than_zero_and_at_most_a_year() {
        assert_eq!(stale_ms(Some(3600.0)), Some(3_600_000.0));
        assert_eq!(stale_ms(Some(0.5)), Some(500.0));
        assert_eq!(stale_ms(Some(MAX_STALE_SECONDS)), Some(MAX_STALE_SECONDS * 1000.0));
        for bad in [Some(0.0), Some(-1.0), Some(f64::NAN), Some(f64::INFINITY), Some(MAX_STALE_SECONDS + 1.0), None] {
            assert_eq!(stale_ms(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_token_cache_needs_entries_and_a_positive_age() {
        assert_eq!(cache_entries(Some(5000.0)), Ok(5000));
        assert_eq!(cache_entries(Some(1_000_000.0)), Ok(1_000_000));
        for bad in [Some(0.0), Some(-1.0), Some(1.5), Some(1_000_001.0), Some(f64::NAN), Some(f64::INFINITY), None] {
            assert_eq!(code(cache_entries(bad)), INVALID, "{bad:?}");
        }
        assert_eq!(cache_max_age_ms(Some(0.5)), Ok(500.0));
        for bad in [Some(0.0), Some(-1.0), Some(f64::NAN), Some(f64::INFINITY), Some(31_536_001.0), None] {
            assert_eq!(code(cache_max_age_ms(bad)), INVALID, "{bad:?}");
        }
        let err = cache_entries(Some(0.0)).expect_err("zero");
        assert!(err.to_string().contains("cache.maxEntries"), "{err}");
    }
}
