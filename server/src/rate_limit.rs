//! Failed-login rate limiting per client address: after `max_failures` failures within
//! `window` seconds, further attempts get 429 with Retry-After until the window ends.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

/// Entries kept at most; older windows are pruned first so memory stays bounded.
const MAX_TRACKED: usize = 10_000;

pub struct LoginLimiter {
    max_failures: u32,
    window: i64,
    failures: Mutex<HashMap<IpAddr, (u32, i64)>>,
}

impl LoginLimiter {
    pub fn new(max_failures: u32, window: u64) -> Self {
        LoginLimiter { max_failures, window: window.max(1) as i64, failures: Mutex::new(HashMap::new()) }
    }

    /// `Err(retry_after_seconds)` while `client` is locked out at `now`.
    pub fn check(&self, client: IpAddr, now: i64) -> Result<(), u64> {
        let Ok(map) = self.failures.lock() else { return Ok(()) };
        match map.get(&client) {
            Some(&(count, start)) if count >= self.max_failures && now < start + self.window => {
                Err((start + self.window - now) as u64)
            }
            _ => Ok(()),
        }
    }

    pub fn record_failure(&self, client: IpAddr, now: i64) {
        let Ok(mut map) = self.failures.lock() else { return };
        if map.len() >= MAX_TRACKED {
            let window = self.window;
            map.retain(|_, &mut (_, start)| now < start + window);
        }
        let entry = map.entry(client).or_insert((0, now));
        if now >= entry.1 + self.window {
            *entry = (0, now);
        }
        entry.0 += 1;
    }

    pub fn record_success(&self, client: IpAddr) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(&client);
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
            assert_eq!(limiter.check(A, 100), Ok(()));
            limiter.record_failure(A, 100);
        }
        assert_eq!(limiter.check(A, 110), Err(50));
        assert_eq!(limiter.check(B, 110), Ok(()), "other clients are not affected");
        assert_eq!(limiter.check(A, 160), Ok(()), "the window ended");
        limiter.record_failure(A, 160);
        assert_eq!(limiter.check(A, 161), Ok(()), "a new window starts from zero");
    }

    #[test]
    fn success_clears_the_count() {
        let limiter = LoginLimiter::new(2, 60);
        limiter.record_failure(A, 0);
        limiter.record_success(A);
        limiter.record_failure(A, 1);
        assert_eq!(limiter.check(A, 2), Ok(()));
    }
}
