//! `jti` replay detection (RFC 9449 section 11.1): a proof is accepted once. A proof is only
//! acceptable while its `iat` is within the window ([`super::ProofPolicy`]), so a `jti` needs
//! remembering until then and no longer. Here: the key a proof is remembered under, how long,
//! and the bounded in-isolate store the verifier uses when no shared store is given.

use std::collections::{HashSet, VecDeque};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
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
    key.push_str(&URL_SAFE_NO_PAD.encode(id));
    key
}

/// Unix second after which a proof issued at `iat` can no longer be accepted (its iat is then
/// outside the window), so after which it need not be remembered.
pub fn forget_after(iat: i64, policy: &ProofPolicy) -> i64 {
    iat.saturating_add(policy.max_age_seconds as i64).saturating_add(policy.leeway_seconds as i64).saturating_add(1)
}

/// The remembered proofs of one isolate: at most `max_entries`, each dropped once its proof is
/// past the window. When it is full of proofs still in their window, the oldest is dropped and
/// its `iat` becomes a floor: a proof issued at or before that second may be a replay of a
/// forgotten one, so it is refused (as a replay) rather than accepted. Under a flood, clients
/// then have to send fresh proofs; replays never get through.
#[derive(Debug)]
pub struct ReplayCache {
    max_entries: usize,
    /// (forget after, iat, id), in insertion order.
    order: VecDeque<(i64, i64, [u8; 32])>,
    ids: HashSet<[u8; 32]>,
    /// Proofs issued at or before this second are refused (see above).
    floor_iat: i64,
}

impl ReplayCache {
    /// An empty cache holding at most `max_entries` (at least 1).
    pub fn new(max_entries: usize) -> ReplayCache {
        ReplayCache {
            max_entries: max_entries.max(1),
            order: VecDeque::new(),
            ids: HashSet::new(),
            floor_iat: i64::MIN,
        }
    }

    /// Remembers the proof `id` issued at `iat` until `forget_after`; `false` when it was seen
    /// before (or may have been: see the floor), and then nothing changes.
    pub fn first_use(&mut self, id: [u8; 32], iat: i64, forget_after: i64, now: i64) -> bool {
        self.expire(now);
        if iat <= self.floor_iat || self.ids.contains(&id) {
            return false;
        }
        while self.order.len() >= self.max_entries {
            let Some((dropped_until, dropped_iat, dropped)) = self.order.pop_front() else { break };
            self.ids.remove(&dropped);
            if dropped_until > now {
                self.floor_iat = self.floor_iat.max(dropped_iat);
            }
        }
        self.order.push_back((forget_after, iat, id));
        self.ids.insert(id);
        true
    }

    /// How many proofs are remembered.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Drops the proofs past their window. Entries are in insertion order, and `forget_after`
    /// is almost increasing in it: each call drops from the front while the front is expired,
    /// so an entry with a longer life at the front only delays the others, never keeps them
    /// past the bound.
    fn expire(&mut self, now: i64) {
        while let Some((forget_after, _, id)) = self.order.front() {
            if *forget_after > now {
                break;
            }
            self.ids.remove(id);
            self.order.pop_front();
        }
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
        assert_eq!(cache.len(), 1, "proof 2's window closed too");
    }

    #[test]
    fn a_full_cache_refuses_what_it_can_no_longer_tell_apart() {
        let mut cache = ReplayCache::new(2);
        assert!(cache.first_use(id(1), 100, 400, 100));
        assert!(cache.first_use(id(2), 101, 401, 101));
        assert!(cache.first_use(id(3), 102, 402, 102), "drops proof 1, floor 100");
        assert_eq!(cache.len(), 2);
        assert!(!cache.first_use(id(1), 100, 400, 103), "proof 1 is forgotten but at the floor: refused");
        assert!(!cache.first_use(id(9), 99, 399, 103), "older than the floor");
        assert!(cache.first_use(id(4), 103, 403, 103));
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
    }
}
