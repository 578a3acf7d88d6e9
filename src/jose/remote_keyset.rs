//! A JWK Set fetched from a URI, as jose's "remote wraps local": the state of the cache and
//! every decision about it, with no clock and no I/O. The caller gives the current time (ms
//! since the epoch), fetches when [`RemoteKeySet::plan`] says so, and reports the answer with
//! [`RemoteKeySet::install`] or [`RemoteKeySet::fetch_failed`]. The rules of when to fetch are
//! [`jwks_cache::decide`]'s.
//!
//! A set can also be kept outside the isolate (`jwksStore`, e.g. Workers KV) as a record,
//! [`RemoteKeySet::record`], that another isolate [`adopt`](RemoteKeySet::adopt)s instead of
//! fetching; a record is untrusted input and held to every rule of a fetched set. When the
//! origin fails, a set older than `cacheMaxAge` may still answer up to `jwksMaxStaleSeconds`
//! ([`RemoteKeySet::fallback`]).

use super::alg::Family;
use super::json;
use super::jwk::Material;
use super::jwks_cache::{self, CachePolicy, Decision, stale_usable, stored_suffices};
use super::jws::Jws;
use super::keyset::KeySet;
use super::verify::VerifyOptions;
use crate::Error;

/// A remote key set. `F` is the failure a fetch ended with, kept to answer the verifications
/// that the cooldown keeps from fetching again (the web layer keeps the JS error as it was).
pub struct RemoteKeySet<F> {
    policy: CachePolicy,
    cached: Option<Cached>,
    /// When the latest fetch started.
    last_fetch: Option<f64>,
    /// When the latest fetch failed, and how; None once a fetch succeeds.
    failure: Option<(f64, F)>,
}

/// An installed set: its keys, its document as JSON text (for [`RemoteKeySet::export`]) and
/// when it was fetched.
struct Cached {
    keys: KeySet,
    document: String,
    fetched_at: f64,
}

/// Why a value read from the store is refused before its set is looked at.
pub const NOT_A_RECORD: &str = "the stored value is not a JWKS record";

/// What to do with a token, from [`RemoteKeySet::plan`].
#[derive(Debug)]
pub enum Plan<'a, F> {
    /// Verify it with this set (fresh enough, and it has the token's kid or cannot refetch yet).
    Use(&'a KeySet),
    /// Fetch the set (the start is recorded), [`install`](RemoteKeySet::install) it, then
    /// verify the token with the new set.
    Fetch,
    /// A fetch is needed but the last one failed less than a cooldown ago, and no stale set
    /// may answer: fail with its error.
    RepeatFailure(&'a F),
}

impl<F> RemoteKeySet<F> {
    /// An empty set: the first token fetches.
    pub fn new(policy: CachePolicy) -> RemoteKeySet<F> {
        RemoteKeySet { policy, cached: None, last_fetch: None, failure: None }
    }

    /// The timings and size limit, for the fetch.
    pub fn policy(&self) -> &CachePolicy {
        &self.policy
    }

    /// Starts from a cache kept elsewhere (`exportJwksCache`'s `{ jwks, uat }`): `document` is
    /// the JWK Set as JSON text, `fetched_at` when it was fetched. Held to the rules of a
    /// fetched set, and the cache-age rule applies from `fetched_at`.
    pub fn seed(&mut self, document: String, fetched_at: f64) -> Result<(), Error> {
        if !fetched_at.is_finite() {
            return Err(Error::InvalidOptions("jwksCache.uat must be a time in milliseconds".into()));
        }
        let value = json::parse_value(document.as_bytes())
            .map_err(|_| Error::InvalidOptions("jwksCache.jwks must be JSON data".into()))?;
        self.keep(&value, document, fetched_at)
    }

    /// What to do with `jws` at `now_ms`. A fetch is needed when nothing is cached, the cache
    /// is older than `cacheMaxAge`, or the token names a kid the set lacks and no fetch started
    /// within the cooldown; Plan::Fetch records that one starts now. Before any fetch (or a
    /// repeated failure), a token no remote set could accept is refused
    /// (`refused_before_fetch`), so it never causes network I/O.
    pub fn plan(&mut self, jws: &Jws<'_>, options: &VerifyOptions, now_ms: f64) -> Result<Plan<'_, F>, Error> {
        let unknown_kid = self.unknown_kid(jws.header.kid.as_deref());
        let decision = jwks_cache::decide(
            &self.policy,
            now_ms,
            self.cached.as_ref().map(|c| c.fetched_at),
            self.last_fetch,
            self.failure.as_ref().map(|f| f.0),
            unknown_kid,
        );
        if let (Decision::UseCache, Some(cached)) = (decision, &self.cached) {
            return Ok(Plan::Use(&cached.keys));
        }
        refused_before_fetch(jws, options)?;
        if decision == Decision::RepeatFailure {
            // Stale-if-error: within the stale age, the old set answers while the origin fails.
            let stale = self.fallback(jws.header.kid.as_deref(), now_ms).is_some();
            if let (true, Some(cached)) = (stale, &self.cached) {
                return Ok(Plan::Use(&cached.keys));
            }
            if let Some((_, failure)) = &self.failure {
                return Ok(Plan::RepeatFailure(failure));
            }
        }
        self.last_fetch = Some(now_ms);
        Ok(Plan::Fetch)
    }

    /// Installs a fetched answer, its body's bytes, fetched at `now_ms`: parsed strictly (a
    /// UTF-8 byte order mark first is allowed, as `response.json()` allows it) and held to the
    /// rules of a remote set. A success ends the cooldown a failure started.
    pub fn install(&mut self, body: &[u8], now_ms: f64) -> Result<(), Error> {
        let bytes = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
        let value = json::parse_value(bytes)
            .map_err(|why| Error::JwksInvalid(format!("the JWKS URI did not answer JSON ({why})")))?;
        let document = String::from_utf8(bytes.to_vec()).map_err(|_| Error::Internal("checked JSON is not UTF-8"))?;
        self.keep(&value, document, now_ms)
    }

    /// Replaces the set with the keys of `value`, a remote JWK Set document whose text is
    /// `document`. A published JWK Set is public: a shared secret in it would let anyone mint
    /// tokens, so a set with one is refused whole. A usable set ends the cooldown a failure
    /// started.
    fn keep(&mut self, value: &json::Value, document: String, fetched_at: f64) -> Result<(), Error> {
        let keys = KeySet::from_jwks(value)?;
        if keys.keys().iter().any(|k| matches!(k.material, Material::Oct(_))) {
            return Err(Error::JwksInvalid("a remote JWK Set must not contain shared secrets (kty oct)".into()));
        }
        self.cached = Some(Cached { keys, document, fetched_at });
        self.failure = None;
        Ok(())
    }

    /// Records that the fetch [`plan`](RemoteKeySet::plan) asked for failed at `now_ms`: no
    /// new fetch until a cooldown has passed, and until then `failure` answers.
    pub fn fetch_failed(&mut self, now_ms: f64, failure: F) {
        self.failure = Some((now_ms, failure));
    }

    /// Whether the installed set lacks `kid` (false when nothing is installed or no kid is named).
    fn unknown_kid(&self, kid: Option<&str>) -> bool {
        match (kid, &self.cached) {
            (Some(kid), Some(cached)) => !cached.keys.has_kid(kid),
            _ => false,
        }
    }

    /// After a failed fetch: the set that may still answer a token naming `kid` at `now_ms`
    /// (stale-if-error, see [`stale_usable`]), and its age in milliseconds; None: fail.
    pub fn fallback(&self, kid: Option<&str>, now_ms: f64) -> Option<(&KeySet, f64)> {
        let cached = self.cached.as_ref()?;
        let usable = stale_usable(&self.policy, now_ms, cached.fetched_at, self.unknown_kid(kid));
        usable.then_some((&cached.keys, now_ms - cached.fetched_at))
    }

    /// Takes the set of a `record` read from the store at `now_ms` if it is newer than the
    /// installed one; true if it was taken. A record from the future (another clock) is left
    /// alone; one that is not a record, is larger than `jwksMaxBytes` allows, or holds a set a
    /// fetch could not install is an error, and changes nothing.
    pub fn adopt(&mut self, record: &[u8], now_ms: f64) -> Result<bool, Error> {
        // The document plus the record's few bytes of framing.
        if record.len() > self.policy.max_bytes.saturating_add(64) {
            return Err(Error::JwksTooLarge { max_bytes: self.policy.max_bytes as u64 });
        }
        let not_a_record = || Error::JwksInvalid(NOT_A_RECORD.into());
        let value = json::parse_value(record).map_err(|_| not_a_record())?;
        let uat = value.get("uat").and_then(json::Value::as_f64).filter(|t| t.is_finite() && *t >= 0.0);
        let (Some(uat), Some(jwks)) = (uat, value.get("jwks")) else { return Err(not_a_record()) };
        let newer = self.cached.as_ref().is_none_or(|c| uat > c.fetched_at);
        if !newer || uat > now_ms {
            return Ok(false);
        }
        self.keep(jwks, jwks.to_string(), uat)?;
        Ok(true)
    }

    /// Whether the installed set (just adopted from the store, or not) saves the origin fetch
    /// for a token naming `kid` at `now_ms` (see [`stored_suffices`]).
    pub fn store_suffices(&self, kid: Option<&str>, now_ms: f64) -> bool {
        let unknown_kid = self.unknown_kid(kid);
        self.cached.as_ref().is_some_and(|c| stored_suffices(&self.policy, now_ms, c.fetched_at, unknown_kid))
    }

    /// The record to put in the store: `{"uat":<ms, whole>,"jwks":<document>}`.
    pub fn record(&self) -> Option<String> {
        let cached = self.cached.as_ref()?;
        let mut record = String::with_capacity(cached.document.len() + 40);
        record.push_str("{\"uat\":");
        record.push_str(&(cached.fetched_at.max(0.0) as u64).to_string());
        record.push_str(",\"jwks\":");
        record.push_str(&cached.document);
        record.push('}');
        Some(record)
    }

    /// The installed set, if any.
    pub fn keys(&self) -> Option<&KeySet> {
        self.cached.as_ref().map(|c| &c.keys)
    }

    /// The installed set's document (JSON text) and when it was fetched, for `exportJwksCache`;
    /// [`seed`](RemoteKeySet::seed) takes them back.
    pub fn export(&self) -> Option<(&str, f64)> {
        self.cached.as_ref().map(|c| (c.document.as_str(), c.fetched_at))
    }
}

/// What no remote JWK Set can make valid, refused without fetching one: an algorithm outside
/// the allow-list or an HMAC one (remote sets never hold shared secrets), and a payload that
/// is not a JSON object. (With a cached set, the usual order applies: signature first, as jose.)
fn refused_before_fetch(parsed: &Jws<'_>, options: &VerifyOptions) -> Result<(), Error> {
    let alg = parsed.header.alg;
    if (!options.algorithms.is_empty() && !options.algorithms.contains(&alg)) || alg.family() == Family::Hmac {
        return Err(Error::AlgNotAllowed(alg.name().to_owned()));
    }
    json::parse_object(&parsed.payload)
        .map_err(|why| Error::JwtInvalid(format!("JWT Claims Set must be a top-level JSON object ({why})")))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;
    use crate::jose::alg::Alg;
    use crate::jose::jws::{self, Limits};

    const POLICY: CachePolicy = CachePolicy {
        max_age_ms: 600_000.0,
        cooldown_ms: 30_000.0,
        timeout_ms: 5_000.0,
        max_bytes: jwks_cache::DEFAULT_MAX_BYTES,
        max_stale_ms: 0.0,
    };
    /// POLICY with an hour of stale-if-error.
    const STALE: CachePolicy = CachePolicy { max_stale_ms: 3_600_000.0, ..POLICY };
    const EC: &str = r#"{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0""#;
    const OCT: &str = r#"{"kty":"oct","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow","kid":"s"}"#;

    /// A JWK Set of the one EC key under each of `kids`.
    fn jwks(kids: &[&str]) -> String {
        let keys: Vec<String> = kids.iter().map(|kid| format!(r#"{EC},"kid":"{kid}"}}"#)).collect();
        format!(r#"{{"keys":[{}]}}"#, keys.join(","))
    }

    /// A token (unsigned: the plan never looks at the signature) with this header and payload.
    fn token(header: &str, payload: &str) -> String {
        let b64 = |s: &str| URL_SAFE_NO_PAD.encode(s);
        format!("{}.{}.{}", b64(header), b64(payload), b64("signature"))
    }

    fn es256(kid: &str) -> String {
        token(&format!(r#"{{"alg":"ES256","kid":"{kid}"}}"#), "{}")
    }

    /// The plan for `token` at `now`, with default options, as a comparable value.
    fn plan(set: &mut RemoteKeySet<&'static str>, token: &str, now: f64) -> Result<Step, Error> {
        let parsed = jws::parse(token, &Limits::default()).expect("well-formed token");
        set.plan(&parsed, &VerifyOptions::default(), now).map(|plan| match plan {
            Plan::Use(keys) => Step::Use(keys.keys().len()),
            Plan::Fetch => Step::Fetch,
            Plan::RepeatFailure(failure) => Step::Repeat(failure),
        })
    }

    #[derive(Debug, PartialEq)]
    enum Step {
        /// Plan::Use, with the set's size.
        Use(usize),
        Fetch,
        Repeat(&'static str),
    }

    fn installed(kids: &[&str], at: f64) -> RemoteKeySet<&'static str> {
        let mut set = RemoteKeySet::new(POLICY);
        set.install(jwks(kids).as_bytes(), at).expect("a valid JWKS");
        set
    }

    #[test]
    fn the_first_token_fetches_and_the_set_answers_until_cache_max_age() {
        let mut set = RemoteKeySet::new(POLICY);
        assert_eq!(plan(&mut set, &es256("a"), 0.0), Ok(Step::Fetch));
        set.install(jwks(&["a", "b"]).as_bytes(), 1000.0).expect("JWKS");
        assert_eq!(plan(&mut set, &es256("a"), 1000.0), Ok(Step::Use(2)));
        assert_eq!(plan(&mut set, &es256("b"), 600_999.0), Ok(Step::Use(2)));
        assert_eq!(plan(&mut set, &es256("a"), 601_000.0), Ok(Step::Fetch), "cacheMaxAge has passed");
        let no_kid = token(r#"{"alg":"ES256"}"#, "{}");
        assert_eq!(plan(&mut installed(&["a"], 0.0), &no_kid, 10.0), Ok(Step::Use(1)));
    }

    #[test]
    fn an_unknown_kid_refetches_at_most_once_per_cooldown() {
        // Never fetched here (a seeded set): an unknown kid fetches at once.
        let mut seeded = RemoteKeySet::<&str>::new(POLICY);
        seeded.seed(jwks(&["a"]), 0.0).expect("seed");
        assert_eq!(plan(&mut seeded, &es256("new"), 1000.0), Ok(Step::Fetch));
        // Within the cooldown of that fetch: the current set answers (and will not match).
        seeded.install(jwks(&["a"]).as_bytes(), 1500.0).expect("JWKS");
        assert_eq!(plan(&mut seeded, &es256("new"), 30_999.0), Ok(Step::Use(1)));
        assert_eq!(plan(&mut seeded, &es256("a"), 30_999.0), Ok(Step::Use(1)), "a known kid");
        // The cooldown has passed: fetch again, then retry with the new set.
        assert_eq!(plan(&mut seeded, &es256("new"), 31_000.0), Ok(Step::Fetch));
        seeded.install(jwks(&["a", "new"]).as_bytes(), 31_200.0).expect("JWKS");
        assert_eq!(plan(&mut seeded, &es256("new"), 31_300.0), Ok(Step::Use(2)));
    }

    #[test]
    fn a_failed_fetch_is_repeated_until_the_cooldown_has_passed() {
        let mut set = RemoteKeySet::new(POLICY);
        assert_eq!(plan(&mut set, &es256("a"), 0.0), Ok(Step::Fetch));
        set.fetch_failed(1000.0, "ERR_JWKS_TIMEOUT");
        for now in [1000.0, 20_000.0, 30_999.0] {
            assert_eq!(plan(&mut set, &es256("a"), now), Ok(Step::Repeat("ERR_JWKS_TIMEOUT")), "{now}");
        }
        assert_eq!(plan(&mut set, &es256("a"), 31_000.0), Ok(Step::Fetch));
        // A success ends it; a token the set can answer never waits for a failed refetch.
        set.install(jwks(&["a"]).as_bytes(), 31_500.0).expect("JWKS");
        assert_eq!(plan(&mut set, &es256("a"), 32_000.0), Ok(Step::Use(1)));
        // An unknown kid after a refetch that failed slowly: the failure, not another fetch.
        assert_eq!(plan(&mut set, &es256("b"), 70_000.0), Ok(Step::Fetch));
        assert_eq!(plan(&mut set, &es256("b"), 80_000.0), Ok(Step::Use(1)), "within the cooldown of the fetch");
        set.fetch_failed(99_000.0, "ERR_JWKS_FETCH_FAILED");
        assert_eq!(plan(&mut set, &es256("b"), 100_000.0), Ok(Step::Repeat("ERR_JWKS_FETCH_FAILED")));
        assert_eq!(plan(&mut set, &es256("a"), 100_000.0), Ok(Step::Use(1)));
        assert_eq!(plan(&mut set, &es256("b"), 129_000.0), Ok(Step::Fetch));
    }

    #[test]
    fn tokens_no_remote_set_accepts_never_fetch() {
        let hs256 = token(r#"{"alg":"HS256"}"#, "{}");
        let not_claims = token(r#"{"alg":"ES256"}"#, "[1]");
        let mut set = RemoteKeySet::<&str>::new(POLICY);
        assert_eq!(plan(&mut set, &hs256, 0.0).expect_err("HMAC").code(), "ERR_JOSE_ALG_NOT_ALLOWED");
        assert_eq!(plan(&mut set, &not_claims, 0.0).expect_err("payload").code(), "ERR_JWT_INVALID");
        let es256_a = es256("a");
        let parsed = jws::parse(&es256_a, &Limits::default()).expect("token");
        let only_rs256 = VerifyOptions { algorithms: vec![Alg::Rs256], ..VerifyOptions::default() };
        assert_eq!(set.plan(&parsed, &only_rs256, 0.0).expect_err("allow-list").code(), "ERR_JOSE_ALG_NOT_ALLOWED");
        // None of them started a fetch: the next token still may, with no cooldown.
        assert_eq!(plan(&mut set, &es256("a"), 1.0), Ok(Step::Fetch));
        // Nor do they repeat a failure: they get their own error.
        set.fetch_failed(2.0, "ERR_JWKS_TIMEOUT");
        assert_eq!(plan(&mut set, &hs256, 3.0).expect_err("HMAC").code(), "ERR_JOSE_ALG_NOT_ALLOWED");
        // With a set cached, the usual order applies (the key set refuses HS256 later).
        assert_eq!(plan(&mut installed(&["a"], 0.0), &hs256, 1.0), Ok(Step::Use(1)));
    }

    #[test]
    fn shared_secrets_and_bad_answers_are_refused_and_keep_the_old_set() {
        let mut set = installed(&["a"], 0.0);
        let with_secret = format!(r#"{{"keys":[{OCT}]}}"#);
        let mixed = format!(r#"{{"keys":[{OCT},{EC}}}]}}"#);
        for (body, code) in [
            (with_secret.as_str(), "ERR_JWKS_INVALID"),
            (mixed.as_str(), "ERR_JWKS_INVALID"),
            ("<html>", "ERR_JWKS_INVALID"),
            (r#"{"keys":{}}"#, "ERR_JWKS_INVALID"),
            ("{\"keys\":[]} x", "ERR_JWKS_INVALID"),
        ] {
            assert_eq!(set.install(body.as_bytes(), 5.0).expect_err(body).code(), code, "{body}");
        }
        assert_eq!(set.export().map(|(_, at)| at), Some(0.0), "the old set stays");
        let mut seeded = RemoteKeySet::<&str>::new(POLICY);
        assert_eq!(seeded.seed(with_secret, 0.0).expect_err("oct").code(), "ERR_JWKS_INVALID");
        assert!(seeded.keys().is_none());
    }

    #[test]
    fn a_byte_order_mark_is_allowed_and_not_exported() {
        let mut set = RemoteKeySet::<&str>::new(POLICY);
        let body = [b"\xEF\xBB\xBF".as_slice(), jwks(&["a"]).as_bytes()].concat();
        set.install(&body, 7.0).expect("JWKS after a BOM");
        assert_eq!(set.export(), Some((jwks(&["a"]).as_str(), 7.0)));
    }

    #[test]
    fn a_seed_is_validated() {
        let mut set = RemoteKeySet::<&str>::new(POLICY);
        for uat in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(set.seed(jwks(&["a"]), uat).expect_err("uat").code(), "ERR_AUTH_INVALID_OPTIONS");
        }
        assert_eq!(set.seed("{".into(), 0.0).expect_err("not JSON").code(), "ERR_AUTH_INVALID_OPTIONS");
        assert_eq!(set.seed("[]".into(), 0.0).expect_err("not a JWKS").code(), "ERR_JWKS_INVALID");
        assert!(set.keys().is_none() && set.export().is_none());
        set.seed(jwks(&["a"]), 0.0).expect("seed");
        assert_eq!(set.keys().map(|k| k.keys().len()), Some(1));
        // A seed as old as cacheMaxAge is refetched on first use.
        assert_eq!(plan(&mut set, &es256("a"), 600_000.0), Ok(Step::Fetch));
    }

    #[test]
    fn an_export_seeds_an_equal_set() {
        let set = installed(&["a", "b"], 1234.5);
        let (document, uat) = set.export().expect("installed");
        let mut copy = RemoteKeySet::<&str>::new(POLICY);
        copy.seed(document.to_owned(), uat).expect("seed from the export");
        assert_eq!(copy.export(), set.export());
        assert_eq!(plan(&mut copy, &es256("b"), 2000.0), Ok(Step::Use(2)));
        assert!(RemoteKeySet::<&str>::new(POLICY).export().is_none());
    }

    /// A stored record of the set `kids` fetched at `uat`.
    fn record(kids: &[&str], uat: u64) -> String {
        format!(r#"{{"uat":{uat},"jwks":{}}}"#, jwks(kids))
    }

    #[test]
    fn stale_keys_answer_while_the_origin_fails_then_the_failure_does() {
        let mut set = RemoteKeySet::new(STALE);
        set.install(jwks(&["a"]).as_bytes(), 0.0).expect("JWKS");
        // cacheMaxAge has passed: fetch; the fetch fails.
        assert_eq!(plan(&mut set, &es256("a"), 600_000.0), Ok(Step::Fetch));
        set.fetch_failed(601_000.0, "ERR_JWKS_FETCH_FAILED");
        assert_eq!(set.fallback(Some("a"), 601_000.0).map(|(_, age)| age), Some(601_000.0));
        assert!(set.fallback(None, 601_000.0).is_some(), "a token without a kid");
        assert!(set.fallback(Some("new"), 601_000.0).is_none(), "an unknown kid gets the failure");
        // Within the cooldown, the stale set answers instead of the repeated failure.
        assert_eq!(plan(&mut set, &es256("a"), 620_000.0), Ok(Step::Use(1)));
        assert_eq!(plan(&mut set, &es256("new"), 620_000.0), Ok(Step::Repeat("ERR_JWKS_FETCH_FAILED")));
        // Past the stale age: the failure, and at the next fetch no fallback.
        set.fetch_failed(4_199_000.0, "ERR_JWKS_TIMEOUT");
        assert_eq!(plan(&mut set, &es256("a"), 4_200_000.0), Ok(Step::Repeat("ERR_JWKS_TIMEOUT")));
        assert!(set.fallback(Some("a"), 4_200_000.0).is_none());
        // Without jwksMaxStaleSeconds, nothing stale ever answers.
        let mut strict = installed(&["a"], 0.0);
        assert_eq!(plan(&mut strict, &es256("a"), 600_000.0), Ok(Step::Fetch));
        strict.fetch_failed(601_000.0, "ERR_JWKS_FETCH_FAILED");
        assert!(strict.fallback(Some("a"), 601_000.0).is_none());
        assert_eq!(plan(&mut strict, &es256("a"), 602_000.0), Ok(Step::Repeat("ERR_JWKS_FETCH_FAILED")));
    }

    #[test]
    fn a_record_round_trips_and_a_newer_one_is_adopted() {
        let set = installed(&["a", "b"], 1234.0);
        let stored = set.record().expect("installed");
        assert_eq!(stored, record(&["a", "b"], 1234));
        let mut cold = RemoteKeySet::<&str>::new(POLICY);
        assert!(RemoteKeySet::<&str>::new(POLICY).record().is_none());
        assert_eq!(cold.adopt(stored.as_bytes(), 2000.0), Ok(true));
        assert_eq!(cold.export(), set.export());
        assert_eq!(plan(&mut cold, &es256("b"), 2000.0), Ok(Step::Use(2)));
        // Not newer than what is installed, or from the future: left alone.
        assert_eq!(cold.adopt(record(&["c"], 1234).as_bytes(), 3000.0), Ok(false));
        assert_eq!(cold.adopt(record(&["c"], 9000).as_bytes(), 3000.0), Ok(false));
        assert_eq!(cold.adopt(record(&["c"], 2500).as_bytes(), 3000.0), Ok(true));
        assert_eq!(cold.export().map(|(_, at)| at), Some(2500.0));
    }

    #[test]
    fn garbage_and_secrets_in_the_store_are_refused_and_change_nothing() {
        let mut set = installed(&["a"], 0.0);
        let oct = format!(r#"{{"uat":5,"jwks":{{"keys":[{OCT}]}}}}"#);
        let huge =
            format!(r#"{{"uat":5,"jwks":{{"keys":[]}},"pad":"{}"}}"#, "x".repeat(jwks_cache::DEFAULT_MAX_BYTES + 100));
        for (stored, code) in [
            ("", "ERR_JWKS_INVALID"),
            ("null", "ERR_JWKS_INVALID"),
            ("<html>", "ERR_JWKS_INVALID"),
            (&jwks(&["b"]), "ERR_JWKS_INVALID"),
            (r#"{"uat":"5","jwks":{"keys":[]}}"#, "ERR_JWKS_INVALID"),
            (r#"{"uat":-1,"jwks":{"keys":[]}}"#, "ERR_JWKS_INVALID"),
            (r#"{"uat":5,"jwks":[]}"#, "ERR_JWKS_INVALID"),
            (r#"{"uat":5}"#, "ERR_JWKS_INVALID"),
            (&oct, "ERR_JWKS_INVALID"),
            (&huge, "ERR_JWKS_TOO_LARGE"),
        ] {
            let refused = set.adopt(stored.as_bytes(), 10.0).map_err(|e| e.code());
            assert_eq!(refused, Err(code), "{stored:.60}");
        }
        assert_eq!(set.export(), Some((jwks(&["a"]).as_str(), 0.0)), "the old set stays");
    }

    #[test]
    fn a_stored_set_saves_the_fetch_when_fresh_or_fetched_within_a_cooldown() {
        let mut set = RemoteKeySet::<&str>::new(POLICY);
        assert!(!set.store_suffices(Some("a"), 0.0), "nothing installed");
        set.adopt(record(&["a"], 1000).as_bytes(), 1000.0).expect("record");
        assert!(set.store_suffices(Some("a"), 10_000.0));
        assert!(set.store_suffices(None, 600_999.0));
        assert!(!set.store_suffices(Some("a"), 601_000.0), "older than cacheMaxAge");
        assert!(set.store_suffices(Some("new"), 30_999.0), "fetched a moment ago by another isolate");
        assert!(!set.store_suffices(Some("new"), 31_000.0), "the origin may have it by now");
    }
}
