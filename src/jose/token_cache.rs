//! A verified-token cache (`JwtVerifier`'s opt-in `cache` option): a bounded LRU, one per
//! verifier, of tokens whose signature and claims passed, with the result to give again.
//!
//! The rules, each because of a way such caches have gone wrong:
//! - The key is the token itself: a hash to find it, then a full comparison of the token's
//!   bytes, so a hash collision can never answer with another token's payload (fast-jwt's
//!   CVE-2023-48223 keyed its cache by a hash alone). A cache belongs to one verifier, so one
//!   verifier's options never answer for another's.
//! - A hit is not a verification of the past: the time claims (`exp`, `nbf`, `iat` with
//!   `maxTokenAge`) are checked again at the call's time, with `clockTolerance`, by the same
//!   comparisons as [`claims::validate`](super::claims::validate). An entry that fails them is
//!   dropped and the caller verifies the token afresh, so a refusal is exactly the fresh one.
//!   The other claim rules do not depend on time and are the verifier's own, fixed.
//! - An entry never outlives the key set that verified it: a new set (a JWKS refetch, whatever
//!   it holds) empties the cache ([`TokenCache::sync`], told the generation of the set in use),
//!   so an entry goes when its key leaves the set; and a verification made against an older
//!   set than the current one is never stored. Refetches are rare (`cacheMaxAge`, 10 minutes
//!   by default, or a new kid), and this keeps no copy of the keys.
//! - Only successes are stored; tokens longer than [`MAX_TOKEN_LEN`] are never stored, so an
//!   entry holds at most about `2 * MAX_TOKEN_LEN + ENTRY_OVERHEAD` bytes (the token, the result
//!   JSON, which is shorter than the token, and the granted scopes).
//! - An entry is reused for `maxAgeSeconds` at most, on the real clock (never the call's
//!   `currentDate`); a clock that went back drops it.

use super::claims::ClaimRules;
use super::json::{Map, Value};

/// Longest token stored, in bytes; longer ones are verified every time.
pub const MAX_TOKEN_LEN: usize = 8 * 1024;

/// Most entries a cache may hold (indices are 32-bit).
pub const MAX_ENTRIES: usize = 1_000_000;

/// Default `maxAgeSeconds`: 10 minutes, as fast-jwt's `cacheTTL` and jose's JWKS cache.
pub const DEFAULT_MAX_AGE_MS: f64 = 600_000.0;

/// Bytes an entry costs besides its token, result and scopes (its slot and bucket).
pub const ENTRY_OVERHEAD: usize = core::mem::size_of::<Slot>() + 2 * core::mem::size_of::<u32>();

/// Most bytes one entry holds, overhead included: the token (at most [`MAX_TOKEN_LEN`]), the
/// result (its decoded header and payload: 3/4 of the token's length, plus 32 bytes) and the
/// scopes (part of the payload). Larger entries are not stored.
pub const MAX_ENTRY_BYTES: usize = MAX_TOKEN_LEN * 5 / 2 + 32 + ENTRY_OVERHEAD;

const NIL: u32 = u32::MAX;

/// The cache's size and age limits, as the `cache` option gave them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TokenCacheOptions {
    /// At most this many entries; the least recently used goes first.
    pub max_entries: usize,
    /// An entry is reused for at most this long after its verification, in milliseconds.
    pub max_age_ms: f64,
}

/// The time claims of a verified token (already type-checked by the verification).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Times {
    /// `exp`.
    pub exp: Option<f64>,
    /// `nbf`.
    pub nbf: Option<f64>,
    /// `iat`.
    pub iat: Option<f64>,
}

impl Times {
    /// The time claims of a claims set.
    pub fn of(claims: &Map) -> Times {
        let number = |name| claims.get(name).and_then(Value::as_f64);
        Times { exp: number("exp"), nbf: number("nbf"), iat: number("iat") }
    }

    /// Whether the time claims still pass at `now` (Unix seconds) under `rules`: the
    /// comparisons of `claims::validate`, in its terms.
    pub fn hold(&self, rules: &ClaimRules, now: i64) -> bool {
        let now = now as f64;
        let tolerance = rules.clock_tolerance as f64;
        if self.nbf.is_some_and(|nbf| nbf > now + tolerance) || self.exp.is_some_and(|exp| exp <= now - tolerance) {
            return false;
        }
        match rules.max_token_age {
            None => true,
            // Without `iat` the verification refused the token ("missing"): so does the cache.
            Some(max_age) => self.iat.is_some_and(|iat| {
                let age = now - iat;
                !(age - tolerance > max_age as f64 || age < -tolerance)
            }),
        }
    }
}

/// What a hit gives back.
#[derive(Debug, PartialEq)]
pub struct Hit<'a> {
    /// The result as JSON text (`{"payload":...,"protectedHeader":...}`), to parse into a fresh
    /// object for each caller.
    pub result: &'a str,
    /// The scopes the token grants (`scope` or `scp`), separated by single spaces (the caller
    /// stores none that holds a space), for `verifyRequest`.
    pub scopes: &'a str,
}

/// What the cache holds and has done, for `cacheStats()`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Entries held.
    pub entries: usize,
    /// Bytes held: tokens, results and scopes, plus [`ENTRY_OVERHEAD`] per entry.
    pub bytes: usize,
    /// Lookups answered.
    pub hits: u64,
    /// Lookups not answered (absent, too old, or failing the time claims now).
    pub misses: u64,
}

/// One entry, linked into the recency list and its bucket's chain.
struct Slot {
    hash: u64,
    token: Box<[u8]>,
    result: Box<str>,
    scopes: Box<str>,
    times: Times,
    stored_ms: f64,
    /// Towards the most recently used.
    newer: u32,
    /// Towards the least recently used.
    older: u32,
    /// The next slot in the same bucket.
    chain: u32,
}

impl Slot {
    fn bytes(&self) -> usize {
        self.token.len() + self.result.len() + self.scopes.len() + ENTRY_OVERHEAD
    }
}

/// The token hash: a multiply-rotate over 8-byte words (FxHash's), then a final mix. Not keyed:
/// only verified tokens are stored, so nobody but the token issuer chooses what collides, and a
/// collision costs one more comparison, never a wrong answer.
pub fn token_hash(bytes: &[u8]) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mut hash = bytes.len() as u64;
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let mut w = [0u8; 8];
        w.copy_from_slice(word);
        hash = (hash.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
    }
    let mut tail = [0u8; 8];
    tail[..words.remainder().len()].copy_from_slice(words.remainder());
    hash = (hash.rotate_left(5) ^ u64::from_le_bytes(tail)).wrapping_mul(K);
    hash ^ (hash >> 29)
}

/// The cache. Single-threaded, as a verifier is.
pub struct TokenCache {
    options: TokenCacheOptions,
    hash: fn(&[u8]) -> u64,
    slots: Vec<Slot>,
    free: Vec<u32>,
    /// Heads of the bucket chains (a power of two of them, grown with the entries).
    buckets: Vec<u32>,
    newest: u32,
    oldest: u32,
    /// The generation of the key set the entries belong to.
    generation: u64,
    stats: Stats,
}

impl TokenCache {
    /// An empty cache with the [`token_hash`].
    pub fn new(options: TokenCacheOptions) -> TokenCache {
        TokenCache::with_hash(options, token_hash)
    }

    /// An empty cache with another hash (tests use a constant one to force collisions).
    pub fn with_hash(options: TokenCacheOptions, hash: fn(&[u8]) -> u64) -> TokenCache {
        TokenCache {
            options,
            hash,
            slots: Vec::new(),
            free: Vec::new(),
            buckets: vec![NIL; 16],
            newest: NIL,
            oldest: NIL,
            generation: 0,
            stats: Stats::default(),
        }
    }

    /// The size and age limits.
    pub fn options(&self) -> TokenCacheOptions {
        self.options
    }

    /// What the cache holds and has done.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// Tells the cache the generation of the key set in use (the caller bumps it whenever
    /// the set is replaced): a new one empties the cache.
    pub fn sync(&mut self, generation: u64) {
        if generation != self.generation {
            self.generation = generation;
            self.slots.clear();
            self.free.clear();
            self.buckets = vec![NIL; 16];
            self.newest = NIL;
            self.oldest = NIL;
            self.stats.entries = 0;
            self.stats.bytes = 0;
        }
    }

    /// The stored answer for `token`, if it may answer now: stored less than `maxAgeSeconds`
    /// ago by `clock_ms` (the real clock), and its time claims hold at `now` (the call's time,
    /// Unix seconds) under `rules`. An entry that may not answer is dropped.
    pub fn lookup(&mut self, token: &[u8], rules: &ClaimRules, now: i64, clock_ms: f64) -> Option<Hit<'_>> {
        let Some(at) = self.find(token) else {
            self.stats.misses += 1;
            return None;
        };
        let slot = &self.slots[at as usize];
        let age = clock_ms - slot.stored_ms;
        if !(0.0..self.options.max_age_ms).contains(&age) || !slot.times.hold(rules, now) {
            self.remove(at);
            self.stats.misses += 1;
            return None;
        }
        self.stats.hits += 1;
        self.unlink(at);
        self.link_newest(at);
        let slot = &self.slots[at as usize];
        Some(Hit { result: &slot.result, scopes: &slot.scopes })
    }

    /// Stores a verified token: `result` is its answer as JSON text, `scopes` what it grants
    /// (space-separated), `times` its time claims; verified against the key set of
    /// `generation` at `clock_ms`. Nothing is stored when the set in use (the last
    /// [`sync`](TokenCache::sync)) is another generation, or when the token is longer than
    /// [`MAX_TOKEN_LEN`]. A full cache drops its least recently used entry.
    pub fn insert(
        &mut self,
        token: &[u8],
        result: Box<str>,
        scopes: Box<str>,
        times: Times,
        generation: u64,
        clock_ms: f64,
    ) {
        let bytes = token.len() + result.len() + scopes.len() + ENTRY_OVERHEAD;
        if generation != self.generation || token.len() > MAX_TOKEN_LEN || bytes > MAX_ENTRY_BYTES {
            return;
        }
        if let Some(at) = self.find(token) {
            self.remove(at);
        }
        if self.stats.entries >= self.options.max_entries && self.oldest != NIL {
            self.remove(self.oldest);
        }
        let hash = (self.hash)(token);
        let slot = Slot {
            hash,
            token: token.into(),
            result,
            scopes,
            times,
            stored_ms: clock_ms,
            newer: NIL,
            older: NIL,
            chain: NIL,
        };
        self.stats.bytes += slot.bytes();
        self.stats.entries += 1;
        let at = match self.free.pop() {
            Some(at) => {
                self.slots[at as usize] = slot;
                at
            }
            None => {
                self.slots.push(slot);
                (self.slots.len() - 1) as u32
            }
        };
        self.link_newest(at);
        if self.stats.entries > self.buckets.len() {
            self.rehash(self.buckets.len() * 2);
        } else {
            self.link_bucket(at);
        }
    }

    fn bucket(&self, hash: u64) -> usize {
        (hash as usize) & (self.buckets.len() - 1)
    }

    /// The slot holding exactly `token`.
    fn find(&self, token: &[u8]) -> Option<u32> {
        let hash = (self.hash)(token);
        let mut at = self.buckets[self.bucket(hash)];
        while at != NIL {
            let slot = &self.slots[at as usize];
            if slot.hash == hash && *slot.token == *token {
                return Some(at);
            }
            at = slot.chain;
        }
        None
    }

    fn link_bucket(&mut self, at: u32) {
        let bucket = self.bucket(self.slots[at as usize].hash);
        self.slots[at as usize].chain = self.buckets[bucket];
        self.buckets[bucket] = at;
    }

    /// Rebuilds the chains over `count` buckets.
    fn rehash(&mut self, count: usize) {
        self.buckets = vec![NIL; count];
        let mut at = self.newest;
        while at != NIL {
            self.link_bucket(at);
            at = self.slots[at as usize].older;
        }
    }

    fn link_newest(&mut self, at: u32) {
        let slot = &mut self.slots[at as usize];
        slot.newer = NIL;
        slot.older = self.newest;
        if self.newest != NIL {
            self.slots[self.newest as usize].newer = at;
        } else {
            self.oldest = at;
        }
        self.newest = at;
    }

    fn unlink(&mut self, at: u32) {
        let (newer, older) = (self.slots[at as usize].newer, self.slots[at as usize].older);
        match newer {
            NIL => self.newest = older,
            n => self.slots[n as usize].older = older,
        }
        match older {
            NIL => self.oldest = newer,
            o => self.slots[o as usize].newer = newer,
        }
    }

    /// Drops the entry in slot `at`.
    fn remove(&mut self, at: u32) {
        self.unlink(at);
        let bucket = self.bucket(self.slots[at as usize].hash);
        let next = self.slots[at as usize].chain;
        if self.buckets[bucket] == at {
            self.buckets[bucket] = next;
        } else {
            let mut before = self.buckets[bucket];
            while self.slots[before as usize].chain != at {
                before = self.slots[before as usize].chain;
            }
            self.slots[before as usize].chain = next;
        }
        let slot = &mut self.slots[at as usize];
        self.stats.bytes -= slot.bytes();
        self.stats.entries -= 1;
        // The memory goes now, not when the slot is reused.
        slot.token = Box::default();
        slot.result = Box::default();
        slot.scopes = Box::default();
        self.free.push(at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::claims;
    use crate::jose::jws::Header;

    const NOW: i64 = 1_700_000_000;
    const CLOCK: f64 = NOW as f64 * 1000.0;
    const OPTIONS: TokenCacheOptions = TokenCacheOptions { max_entries: 3, max_age_ms: 60_000.0 };

    fn result(token: &str) -> Box<str> {
        format!(r#"{{"payload":{{"t":"{token}"}},"protectedHeader":{{"alg":"HS256"}}}}"#).into()
    }

    /// Stores `token`, verified now, with these times.
    fn put(cache: &mut TokenCache, token: &str, times: Times) {
        let generation = cache.generation;
        cache.insert(token.as_bytes(), result(token), "read write".into(), times, generation, CLOCK);
    }

    fn hit(cache: &mut TokenCache, token: &str, rules: &ClaimRules, now: i64) -> Option<String> {
        cache.lookup(token.as_bytes(), rules, now, CLOCK).map(|hit| hit.result.to_owned())
    }

    fn held(cache: &mut TokenCache, token: &str) -> bool {
        hit(cache, token, &ClaimRules::default(), NOW).is_some()
    }

    #[test]
    fn a_stored_token_answers_with_its_result_and_scopes() {
        let mut cache = TokenCache::new(OPTIONS);
        assert!(!held(&mut cache, "t1"));
        put(&mut cache, "t1", Times::default());
        let found = cache.lookup(b"t1", &ClaimRules::default(), NOW, CLOCK).expect("hit");
        assert_eq!(found, Hit { result: &result("t1"), scopes: "read write" });
        assert!(!held(&mut cache, "t"), "a prefix is another token");
        assert!(!held(&mut cache, "t1 "), "and so is a longer one");
        assert_eq!(cache.stats().hits, 1);
        assert_eq!(cache.stats().misses, 3);
        assert_eq!(cache.stats().entries, 1);
        assert_eq!(cache.stats().bytes, 2 + result("t1").len() + 10 + ENTRY_OVERHEAD);
    }

    #[test]
    fn colliding_hashes_never_answer_for_another_token() {
        let mut cache = TokenCache::with_hash(TokenCacheOptions { max_entries: 10, ..OPTIONS }, |_| 7);
        for token in ["t1", "t2", "t3"] {
            put(&mut cache, token, Times::default());
        }
        for token in ["t1", "t2", "t3"] {
            assert_eq!(hit(&mut cache, token, &ClaimRules::default(), NOW), Some(result(token).into()), "{token}");
        }
        assert!(!held(&mut cache, "t4"), "same hash, not stored");
        // Removing from the middle of a chain keeps the rest reachable.
        let expired = Times { exp: Some(NOW as f64), ..Times::default() };
        put(&mut cache, "t2", expired);
        assert!(!held(&mut cache, "t2"), "replaced, then dropped as expired");
        assert!(held(&mut cache, "t1") && held(&mut cache, "t3"));
    }

    #[test]
    fn the_least_recently_used_entry_goes_first() {
        let mut cache = TokenCache::new(OPTIONS);
        for token in ["t1", "t2", "t3"] {
            put(&mut cache, token, Times::default());
        }
        assert!(held(&mut cache, "t1"), "t1 is now the most recent; t2 the least");
        put(&mut cache, "t4", Times::default());
        assert!(!held(&mut cache, "t2"));
        assert!(held(&mut cache, "t3") && held(&mut cache, "t1") && held(&mut cache, "t4"));
        assert_eq!(cache.stats().entries, 3);
        // Many more than the buckets: the table grows and every entry stays reachable.
        let mut big = TokenCache::new(TokenCacheOptions { max_entries: 1000, ..OPTIONS });
        let tokens: Vec<String> = (0..1000).map(|i| format!("token-{i}")).collect();
        for token in &tokens {
            put(&mut big, token, Times::default());
        }
        assert!(tokens.iter().all(|t| held(&mut big, t)));
        put(&mut big, "one more", Times::default());
        assert!(!held(&mut big, "token-0") && held(&mut big, "one more"));
        assert_eq!(big.stats().entries, 1000);
    }

    #[test]
    fn expiry_between_calls_is_a_miss_and_drops_the_entry() {
        let mut cache = TokenCache::new(OPTIONS);
        let times = Times { exp: Some((NOW + 10) as f64), ..Times::default() };
        put(&mut cache, "t", times);
        let rules = ClaimRules::default();
        assert!(hit(&mut cache, "t", &rules, NOW + 9).is_some());
        assert!(hit(&mut cache, "t", &rules, NOW + 10).is_none(), "exp == now is expired");
        assert!(hit(&mut cache, "t", &rules, NOW).is_none(), "dropped, not just refused");
        put(&mut cache, "t", times);
        let tolerant = ClaimRules { clock_tolerance: 5, ..ClaimRules::default() };
        assert!(hit(&mut cache, "t", &tolerant, NOW + 14).is_some());
        assert!(hit(&mut cache, "t", &tolerant, NOW + 15).is_none());
    }

    #[test]
    fn nbf_and_max_token_age_are_checked_at_the_calls_time() {
        let mut cache = TokenCache::new(OPTIONS);
        let rules = ClaimRules { max_token_age: Some(60), ..ClaimRules::default() };
        put(&mut cache, "t", Times { iat: Some(NOW as f64), nbf: Some(NOW as f64), ..Times::default() });
        assert!(hit(&mut cache, "t", &rules, NOW + 60).is_some());
        assert!(hit(&mut cache, "t", &rules, NOW + 61).is_none(), "older than maxTokenAge");
        put(&mut cache, "t", Times { nbf: Some(NOW as f64), ..Times::default() });
        assert!(hit(&mut cache, "t", &ClaimRules::default(), NOW - 1).is_none(), "currentDate before nbf");
    }

    #[test]
    fn entries_are_reused_for_max_age_on_the_real_clock() {
        let mut cache = TokenCache::new(OPTIONS);
        put(&mut cache, "t", Times::default());
        let rules = ClaimRules::default();
        assert!(cache.lookup(b"t", &rules, NOW, CLOCK + 59_999.0).is_some());
        assert!(cache.lookup(b"t", &rules, NOW, CLOCK + 60_000.0).is_none());
        put(&mut cache, "t", Times::default());
        assert!(cache.lookup(b"t", &rules, NOW, CLOCK - 1.0).is_none(), "the clock went back");
    }

    #[test]
    fn a_new_key_set_empties_the_cache_and_older_verifications_are_not_stored() {
        let mut cache = TokenCache::new(OPTIONS);
        cache.sync(1);
        put(&mut cache, "t1", Times::default());
        put(&mut cache, "t2", Times::default());
        cache.sync(1);
        assert!(held(&mut cache, "t1") && held(&mut cache, "t2"), "same generation: nothing to do");
        cache.sync(2);
        assert!(!held(&mut cache, "t1") && !held(&mut cache, "t2"));
        assert_eq!((cache.stats().entries, cache.stats().bytes), (0, 0));
        // Verified against generation 1, stored after the set became generation 2: dropped.
        cache.insert(b"t", result("t"), "".into(), Times::default(), 1, CLOCK);
        assert!(!held(&mut cache, "t"));
        cache.insert(b"t", result("t"), "".into(), Times::default(), 2, CLOCK);
        assert!(held(&mut cache, "t"));
        // The table still works after being emptied: fill it past its first size.
        for i in 0..40 {
            cache.sync(3 + i);
            put(&mut cache, "t", Times::default());
        }
        assert!(held(&mut cache, "t"));
    }

    #[test]
    fn long_tokens_are_not_stored() {
        let mut cache = TokenCache::new(OPTIONS);
        let long = "x".repeat(MAX_TOKEN_LEN + 1);
        put(&mut cache, &long, Times::default());
        assert!(!held(&mut cache, &long));
        let longest = "x".repeat(MAX_TOKEN_LEN);
        put(&mut cache, &longest, Times::default());
        assert!(held(&mut cache, &longest));
    }

    #[test]
    fn the_time_rules_agree_with_claims_validate() {
        let header = Header { alg: crate::jose::alg::Alg::Hs256, kid: None, typ: None, members: Map::new() };
        let values =
            [None, Some(-61.0), Some(-60.0), Some(-5.0), Some(-0.5), Some(0.0), Some(0.5), Some(5.0), Some(61.0)];
        let mut checked = 0;
        for tolerance in [0, 5] {
            for max_token_age in [None, Some(0), Some(60)] {
                let rules = ClaimRules { clock_tolerance: tolerance, max_token_age, ..ClaimRules::default() };
                for exp in values {
                    for nbf in values {
                        for iat in values {
                            let at = |d: Option<f64>| d.map(|d| NOW as f64 + d);
                            let times = Times { exp: at(exp), nbf: at(nbf), iat: at(iat) };
                            let mut members = Vec::new();
                            for (name, value) in [("exp", times.exp), ("nbf", times.nbf), ("iat", times.iat)] {
                                if let Some(value) = value {
                                    members.push(format!("\"{name}\":{value}"));
                                }
                            }
                            let payload = format!("{{{}}}", members.join(","));
                            let fresh = claims::validate(&header, payload.as_bytes(), &rules, NOW);
                            if let Ok(claims) = &fresh {
                                assert_eq!(Times::of(claims), times);
                            }
                            assert_eq!(times.hold(&rules, NOW), fresh.is_ok(), "{payload} {rules:?}");
                            checked += 1;
                        }
                    }
                }
            }
        }
        assert_eq!(checked, 2 * 3 * 9 * 9 * 9);
    }
}
