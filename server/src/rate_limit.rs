//! Failed-login rate limiting per client address: after `max_failures` failures within
//! `window` seconds, further attempts get 429 with Retry-After until the window ends.
//!
//! Each attempt is counted as a failure when it starts ([`LoginLimiter::begin`]), before its
//! password check (tens of milliseconds of Argon2), so parallel guesses are all counted; a
//! success only takes back its own count, never earlier failures (otherwise logging in to an
//! account of one's own between guesses would reset the limit).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

/// Entries kept at most; older windows are pruned first so memory stays bounded.
const MAX_TRACKED: usize = 10_000;

pub struct LoginLimiter {
    max_failures: u32,
    window: i64,
    /// client -> (attempts counted as failures, start of the window)
    failures: Mutex<HashMap<IpAddr, (u32, i64)>>,
}

impl LoginLimiter {
    pub fn new(max_failures: u32, window: u64) -> Self {
        LoginLimiter { max_failures, window: window.max(1) as i64, failures: Mutex::new(HashMap::new()) }
    }

    /// Starts an attempt from `client` at `now`, counting it as a failure until
    /// [`succeeded`](Self::succeeded) says otherwise; `Err(retry_after_seconds)` while locked out.
    pub fn begin(&self, client: IpAddr, now: i64) -> Result<(), u64> {
        let Ok(mut map) = self.failures.lock() else { return Ok(()) };
        if map.len() >= MAX_TRACKED {
            let window = self.window;
            map.retain(|_, &mut (_, start)| now < start + window);
        }
        let entry = map.entry(client).or_insert((0, now));
        if now >= entry.1 + self.window || now < entry.1 {
            *entry = (0, now);
        }
        if entry.0 >= self.max_failures {
            return Err((entry.1 + self.window - now).max(1) as u64);
        }
        entry.0 += 1;
        Ok(())
    }

    /// The attempt `begin` counted succeeded: it no longer counts as a failure.
    pub fn succeeded(&self, client: IpAddr) {
        if let Ok(mut map) = self.failures.lock() {
            if let Some(entry) = map.get_mut(&client) {
                entry.0 = entry.0.saturating_sub(1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 1));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 2));

    #[test]
    fn locks_out_after_max_failures_until_the_window_ends() {
        let limiter = LoginLimiter::new(3, 60);
        for _ in 0..3 {
            assert_eq!(limiter.begin(A, 100), Ok(()));
        }
        assert_eq!(limiter.begin(A, 110), Err(50));
        assert_eq!(limiter.begin(B, 110), Ok(()), "other clients are not affected");
        assert_eq!(limiter.begin(A, 160), Ok(()), "a new window");
    }

    #[test]
    fn parallel_attempts_count_before_their_outcome() {
        let limiter = LoginLimiter::new(2, 60);
        assert_eq!(limiter.begin(A, 0), Ok(()));
        assert_eq!(limiter.begin(A, 0), Ok(()));
        assert!(limiter.begin(A, 0).is_err(), "a third guess in flight is refused");
    }

    #[test]
    fn a_success_takes_back_only_its_own_attempt() {
        let limiter = LoginLimiter::new(3, 60);
        limiter.begin(A, 0).expect("1st");
        limiter.begin(A, 0).expect("2nd");
        limiter.begin(A, 0).expect("own account");
        limiter.succeeded(A);
        limiter.begin(A, 1).expect("3rd failure still allowed");
        assert!(limiter.begin(A, 1).is_err(), "the two earlier failures were not forgiven");
    }
}
