//! Server nonces (RFC 9449 8 and 9): one random value at a time, replaced every period. A proof
//! carrying the current nonce or the one before it is accepted, so a client that fetched a nonce
//! just before a rotation is not sent round again.

use std::sync::Mutex;

use crate::error::{ApiError, ApiResult};
use crate::util;

struct Current {
    nonce: String,
    previous: Option<String>,
    /// When `nonce` was drawn, milliseconds since the Unix epoch.
    since_ms: i64,
}

pub struct Nonces {
    period_ms: i64,
    current: Mutex<Option<Current>>,
}

impl Nonces {
    /// Nonces that change every `period_seconds` (at least 1).
    pub fn new(period_seconds: u64) -> Nonces {
        let period_ms = i64::try_from(period_seconds.max(1).saturating_mul(1000)).unwrap_or(i64::MAX);
        Nonces { period_ms, current: Mutex::new(None) }
    }

    /// The nonce to hand out at `now_ms`, rotating first when the period is over.
    pub fn current(&self, now_ms: i64) -> ApiResult<String> {
        let mut guard = self.current.lock().map_err(|_| ApiError::internal("DPoP nonce lock poisoned"))?;
        Ok(rotated(&mut guard, now_ms, self.period_ms)?.nonce.clone())
    }

    /// The nonces a proof may carry at `now_ms`: the current one and the one it replaced.
    pub fn accepted(&self, now_ms: i64) -> ApiResult<Vec<String>> {
        let mut guard = self.current.lock().map_err(|_| ApiError::internal("DPoP nonce lock poisoned"))?;
        let current = rotated(&mut guard, now_ms, self.period_ms)?;
        Ok([Some(current.nonce.clone()), current.previous.clone()].into_iter().flatten().collect())
    }
}

/// `slot`'s nonce, drawn on first use and replaced once `period_ms` has passed. After two periods
/// or more without a request the old nonce is not kept as the previous one: it is stale.
fn rotated(slot: &mut Option<Current>, now_ms: i64, period_ms: i64) -> ApiResult<&Current> {
    let age = slot.as_ref().map(|c| now_ms.saturating_sub(c.since_ms));
    match age {
        Some(age) if age < period_ms => {}
        Some(age) => {
            let previous = slot.take().filter(|_| age < period_ms.saturating_mul(2)).map(|c| c.nonce);
            // Rotation keeps the schedule (a nonce drawn late lives less), so both ends agree on it.
            let since_ms = if previous.is_some() { now_ms - age + period_ms } else { now_ms };
            *slot = Some(Current { nonce: util::random_token("")?, previous, since_ms });
        }
        None => *slot = Some(Current { nonce: util::random_token("")?, previous: None, since_ms: now_ms }),
    }
    slot.as_ref().ok_or_else(|| ApiError::internal("DPoP nonce missing"))
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Nonces {
        fn accepts(&self, presented: &str, now_ms: i64) -> ApiResult<bool> {
            Ok(self.accepted(now_ms)?.iter().any(|n| n == presented))
        }
    }

    #[test]
    fn the_current_and_the_previous_nonce_are_accepted_older_ones_not() {
        let nonces = Nonces::new(10);
        let first = nonces.current(0).expect("nonce");
        assert_eq!(nonces.current(9_999).expect("nonce"), first, "one nonce per period");
        assert!(nonces.accepts(&first, 9_999).expect("check"));
        let second = nonces.current(10_000).expect("nonce");
        assert_ne!(second, first);
        assert!(nonces.accepts(&first, 10_001).expect("check"), "the previous one, for a client that just got it");
        assert!(nonces.accepts(&second, 10_001).expect("check"));
        let third = nonces.current(20_000).expect("nonce");
        assert!(!nonces.accepts(&first, 20_001).expect("check"), "two rotations ago");
        assert!(nonces.accepts(&second, 20_001).expect("check"));
        assert!(nonces.accepts(&third, 20_001).expect("check"));
        assert!(!nonces.accepts("", 20_001).expect("check"));
        assert!(!nonces.accepts("made-up", 20_001).expect("check"));
    }

    #[test]
    fn after_a_long_idle_time_no_old_nonce_survives() {
        let nonces = Nonces::new(10);
        let first = nonces.current(0).expect("nonce");
        assert!(!nonces.accepts(&first, 25_000).expect("check"));
        let fresh = nonces.current(25_000).expect("nonce");
        assert!(nonces.accepts(&fresh, 34_999).expect("check"));
    }

    #[test]
    fn rotation_keeps_its_schedule() {
        let nonces = Nonces::new(10);
        let first = nonces.current(0).expect("nonce");
        let second = nonces.current(15_000).expect("nonce");
        assert_ne!(first, second);
        // The second period began at 10 s, not at 15 s: at 20 s it is over.
        assert_ne!(nonces.current(20_000).expect("nonce"), second);
    }
}
