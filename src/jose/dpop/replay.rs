//! `jti` replay detection (RFC 9449 section 11.1): a proof is accepted once. A proof is only
//! acceptable while its `iat` is within the window ([`super::ProofPolicy`]), so a `jti` needs
//! remembering until then and no longer. Here: the key a proof is remembered under, how long,
//! and the bounded in-isolate store the verifier uses when no shared store is given.

use crate::jose::jws::b64_encode;
use sha2::{Digest, Sha256};

use super::ProofPolicy;

/// Prefix of the keys in a shared store (`dpopReplayStore`).
pub const KEY_PREFIX: &str = "wasm-auth:dpop-jti:";

/// The 32-byte identity of a proof: SHA-256 over the key's thumbprint and the `jti`, so that two
/// clients choosing the same `jti` do not collide, and a store key never holds client text.
pub fn proof_id(jkt: &str, jti: &str) -> [u8; 32] {
    let mut hash = Sha256::new();
    hash.update(jkt.as_bytes());
    hash.update([0]);
    hash.update(jti.as_bytes());
    hash.finalize().into()
}

/// The key a proof is remembered under in a shared store: [`KEY_PREFIX`] + base64url(id).
pub fn store_key(id: &[u8; 32]) -> String {
    let mut key = String::from(KEY_PREFIX);
    key.push_str(&b64_encode(id));
    key
}

/// Unix second after which a proof issued at `iat` can no longer be accepted (its iat is then
/// outside the window), so after which it need not be remembered.
pub fn forget_after(iat: i64, policy: &ProofPolicy) -> i64 {
    // Saturating: a window of 2^63 seconds or more must not wrap to a negative one (which
    // would forget every proof at once while the iat check still takes it).
    let seconds = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    iat.saturating_add(seconds(policy.max_age_seconds)).saturating_add(seconds(policy.leeway_seconds)).saturating_add(1)
}

/// Seconds a shared store keeps a proof remembered until `forget_after`: at least 60, Workers
/// KV's smallest `expirationTtl`.
pub fn store_ttl_seconds(forget_after: i64, now: i64) -> u64 {
    forget_after.saturating_sub(now).max(60) as u64
}

/// The remembered proofs of one isolate: at most `max_entries`. When it is full, the proofs past
/// their window go; if it is still full, those issued up to now go, and now becomes a floor: a
/// proof issued at or before that second may be a replay of a forgotten one, so it is refused
/// (as a replay) rather than accepted. Proofs dated in the future (within the clock tolerance)
/// stay remembered, so that the floor never passes now and honest clients' next proofs get
/// through; only when those alone fill the cache does the floor go up to the newest of them.
/// Under a flood, clients then have to send fresh proofs; replays never get through. (The floor
/// cannot simply be the clamped `iat`s' newest: a proof dated ahead would pass again once the
/// clock passed the floor.) (A sorted list of 64 bits of each id rather than a hash
/// map: a fraction of the code in the wasm; a 64-bit collision can only refuse a proof.)
#[derive(Debug)]
pub struct ReplayCache {
    max_entries: usize,
    /// (64 bits of the id, forget after, iat), sorted by id.
    seen: Vec<(u64, i64, i64)>,
    /// Proofs issued at or before this second are refused (see above).
    floor_iat: i64,
}

impl ReplayCache {
    /// An empty cache holding at most `max_entries` (at least 1).
    pub fn new(max_entries: usize) -> ReplayCache {
        ReplayCache { max_entries: max_entries.max(1), seen: Vec::new(), floor_iat: i64::MIN }
    }

    /// Remembers the proof `id` issued at `iat` until `forget_after`; `false` when it was seen
    /// before (or may have been: see the floor), and then nothing changes.
    pub fn first_use(&mut self, id: [u8; 32], iat: i64, forget_after: i64, now: i64) -> bool {
        let [a, b, c, d, e, f, g, h, ..] = id;
        let key = u64::from_le_bytes([a, b, c, d, e, f, g, h]);
        if iat <= self.floor_iat {
            return false;
        }
        match self.seen.binary_search_by_key(&key, |entry| entry.0) {
            Ok(at) if self.seen[at].1 > now => return false,
            // Past its window (the iat check refuses it by now): forgotten.
            Ok(at) => {
                self.seen.remove(at);
            }
            Err(_) => {}
        }
        if self.seen.len() >= self.max_entries {
            self.seen.retain(|entry| entry.1 > now);
        }
        if self.seen.len() >= self.max_entries {
            // Everything issued up to now is covered by the floor; proofs dated ahead stay.
            self.floor_iat = self.floor_iat.max(now);
            let floor = self.floor_iat;
            self.seen.retain(|entry| entry.2 > floor);
        }
        if self.seen.len() >= self.max_entries {
            let newest = self.seen.iter().map(|entry| entry.2).max().unwrap_or(i64::MIN);
            self.floor_iat = self.floor_iat.max(newest);
            self.seen.clear();
        }
        let at = self.seen.binary_search_by_key(&key, |entry| entry.0).unwrap_or_else(|at| at);
        self.seen.insert(at, (key, forget_after, iat));
        true
    }

    /// Whether [`Self::first_use`] would refuse the proof `id` issued at `iat` now, without
    /// remembering it: for a server that records a proof only once the request it came with
    /// was accepted (so that nobody can fill the cache with proofs of refused requests).
    pub fn was_used(&self, id: [u8; 32], iat: i64, now: i64) -> bool {
        let [a, b, c, d, e, f, g, h, ..] = id;
        let key = u64::from_le_bytes([a, b, c, d, e, f, g, h]);
        iat <= self.floor_iat
            || self.seen.binary_search_by_key(&key, |entry| entry.0).is_ok_and(|at| self.seen[at].1 > now)
    }

    /// How many proofs are remembered (some may be past their window, until the cache fills).
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> [u8; 32] {
        [n; 32]
    }

    #[test]
    fn a_proof_is_accepted_once_while_it_is_in_its_window() {
        let mut cache = ReplayCache::new(10);
        assert!(cache.first_use(id(1), 100, 400, 100));
        assert!(!cache.first_use(id(1), 100, 400, 200), "replayed");
        assert!(cache.first_use(id(2), 100, 400, 200));
        // After its window it is forgotten (the iat check refuses it by then anyway).
        assert!(cache.first_use(id(1), 100, 400, 400));
        // Asking does not remember.
        let mut cache = ReplayCache::new(10);
        assert!(!cache.was_used(id(1), 100, 100) && !cache.was_used(id(1), 100, 100));
        assert!(cache.first_use(id(1), 100, 400, 100));
        assert!(cache.was_used(id(1), 100, 200) && !cache.was_used(id(1), 100, 400));
    }

    #[test]
    fn a_full_cache_refuses_what_it_can_no_longer_tell_apart() {
        let mut cache = ReplayCache::new(2);
        assert!(cache.first_use(id(1), 100, 400, 100));
        assert!(cache.first_use(id(2), 101, 401, 101));
        assert!(cache.first_use(id(3), 102, 402, 102), "forgets proofs 1 and 2, floor 102 (now)");
        assert_eq!(cache.len(), 1);
        assert!(!cache.first_use(id(1), 100, 400, 103), "proof 1 is forgotten but under the floor: refused");
        assert!(!cache.first_use(id(2), 101, 401, 103), "proof 2 too");
        assert!(!cache.first_use(id(3), 102, 402, 103), "proof 3 is remembered");
        assert!(cache.first_use(id(4), 103, 403, 103));
        // A full cache first drops what is past its window, and then needs no floor.
        let mut cache = ReplayCache::new(2);
        assert!(cache.first_use(id(1), 100, 200, 100));
        assert!(cache.first_use(id(2), 150, 450, 150));
        assert!(cache.first_use(id(3), 250, 550, 250), "proof 1's window closed: it goes");
        assert!(cache.first_use(id(5), 101, 401, 250), "no floor was set");
    }

    #[test]
    fn proofs_dated_ahead_cannot_push_the_floor_past_now() {
        // A flood of proofs dated 5 s ahead (the clock tolerance), then honest ones.
        let mut cache = ReplayCache::new(5);
        for n in 1..=4 {
            assert!(cache.first_use(id(n), 105, 405, 100));
        }
        assert!(cache.first_use(id(20), 100, 400, 100));
        // Full: the floor becomes now (101), not 105; the proofs dated ahead stay remembered.
        assert!(cache.first_use(id(21), 101, 401, 101), "an honest proof of the next second");
        assert!(cache.first_use(id(22), 102, 402, 102), "and of the one after");
        for n in 1..=4 {
            assert!(!cache.first_use(id(n), 105, 405, 103), "the flood's proofs are still refused as replays");
        }
        assert!(!cache.first_use(id(20), 100, 400, 103), "a forgotten proof is under the floor");
        // Only when proofs dated ahead fill the cache alone does the floor go up to them.
        let mut cache = ReplayCache::new(4);
        for n in 1..=4 {
            assert!(cache.first_use(id(n), 105, 405, 100));
        }
        assert!(cache.first_use(id(9), 100, 400, 100));
        assert!(!cache.first_use(id(10), 101, 401, 101), "under the floor of 105");
        assert!(!cache.first_use(id(1), 105, 405, 101), "a replay of the flood");
    }

    #[test]
    fn ids_depend_on_key_and_jti_and_store_keys_are_fixed_length() {
        assert_ne!(proof_id("a", "bc"), proof_id("ab", "c"));
        assert_ne!(proof_id("k1", "j"), proof_id("k2", "j"));
        let key = store_key(&proof_id("k", "j"));
        assert!(key.starts_with(KEY_PREFIX));
        assert_eq!(key.len(), KEY_PREFIX.len() + 43);
    }

    #[test]
    fn entries_live_until_the_window_closes() {
        let policy = ProofPolicy::default();
        assert_eq!(forget_after(1000, &policy), 1000 + 300 + 5 + 1);
        assert_eq!(store_ttl_seconds(1306, 1000), 306);
        assert_eq!(store_ttl_seconds(1030, 1000), 60, "KV's minimum");
        assert_eq!(store_ttl_seconds(900, 1000), 60);
        // A window beyond i64 saturates instead of wrapping to "forget at once".
        let huge = ProofPolicy { max_age_seconds: u64::MAX, leeway_seconds: 1 << 63, ..ProofPolicy::default() };
        assert_eq!(forget_after(1000, &huge), i64::MAX);
    }
}
