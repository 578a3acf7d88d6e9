//! DPoP (RFC 9449) at this server. Everything about a proof is the wasm-auth core's
//! (`wasm_auth::jose::dpop`, the edge verifier's code): its checks (4.3), the token binding
//! (`ath`, `cnf.jkt`), the scheme decision, the replay cache and which error a refusal gets
//! (7.1). This module feeds it the request (method, public URL, access token, accepted nonces)
//! and keeps what only a server has: its nonces (`--dpop-nonce`, `--dpop-resource-nonce`) and
//! two replay caches for the process, one for the token endpoints and one for the API.
//!
//! A proof is remembered only once the request it came with is accepted (the grant or password
//! at a token endpoint, the bound access token at the API), each in its own cache. The core's
//! cache, when full, refuses proofs issued at or before a floor (see `ReplayCache`): were the
//! token endpoints (reachable with a public client_id) to record every well-signed proof, or to
//! share the API's cache, anyone could flood it with self-signed proofs and lock honest clients
//! out. The trade-off: at a token endpoint a proof is first only looked up, and recorded after
//! the grant; two requests racing with one proof can both pass the lookup, and the second is
//! then refused after its grant was spent (a code or refresh token is single-use anyway).

pub mod nonce;

use std::sync::Mutex;

use axum::http::{HeaderMap, HeaderName, Method, StatusCode, Uri, header};
use wasm_auth::jose::dpop::replay::{self, ReplayCache};
use wasm_auth::jose::dpop::{self as core, Binding, Mode, Presented, Proof, ProofPolicy, ProofRequest};
use wasm_auth::jose::json::{self, Map};
use wasm_auth::{ChallengeContext, Error, ErrorKind};

use crate::config::Config;
use crate::error::{ApiError, ApiResult, REALM};
use crate::state::AppState;
use crate::util;

pub use nonce::Nonces;

/// Most proofs each replay cache remembers (each for the `iat` window); past that the core's
/// cache refuses old proofs rather than forget them (see `ReplayCache`).
const REPLAY_ENTRIES: usize = 65_536;

/// The request header carrying the proof.
pub const HEADER: HeaderName = HeaderName::from_static("dpop");
/// The answer header carrying the server's nonce.
pub const NONCE_HEADER: HeaderName = HeaderName::from_static("dpop-nonce");

/// The DPoP state every handler shares.
pub struct Dpop {
    pub nonces: Nonces,
    /// The `jti`s of the proofs accepted at the token endpoints, while their `iat` is in the
    /// window: recorded once the grant (or password) was accepted.
    token_replay: Mutex<ReplayCache>,
    /// The same for the API: recorded once the bound access token was verified.
    api_replay: Mutex<ReplayCache>,
    /// The core's defaults: every asymmetric algorithm it verifies, `iat` at most 300 s old
    /// and 5 s ahead.
    policy: ProofPolicy,
}

impl Dpop {
    pub fn new(config: &Config) -> Dpop {
        Dpop {
            nonces: Nonces::new(config.dpop_nonce_seconds),
            token_replay: Mutex::new(ReplayCache::new(REPLAY_ENTRIES)),
            api_replay: Mutex::new(ReplayCache::new(REPLAY_ENTRIES)),
            policy: ProofPolicy::default(),
        }
    }

    /// The proof algorithms accepted, for discovery's `dpop_signing_alg_values_supported`.
    pub fn algorithms(&self) -> Vec<String> {
        self.policy.algs().split(' ').filter(|alg| !alg.is_empty()).map(str::to_owned).collect()
    }
}

/// The request's `DPoP` header(s) as the core takes them: several joined by `, ` (which it
/// refuses: a proof never holds a comma), None without one.
fn proof_header(headers: &HeaderMap) -> Option<String> {
    let values: Vec<&str> = headers.get_all(HEADER).iter().map(|v| v.to_str().unwrap_or("?")).collect();
    (!values.is_empty()).then(|| values.join(", "))
}

/// The public URL of `path` on this server, as the client addressed it (the `htu` its proof must
/// name): under the issuer (and its path prefix), or under one of the server's own origins
/// (127.0.0.1 and localhost on its port) when the request's Host names that one.
pub fn public_url(state: &AppState, headers: &HeaderMap, path: &str) -> String {
    let issuer = state.signer.issuer();
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    if let (Ok(url), Some(host)) = (url::Url::parse(issuer), host) {
        let origin = format!("{}://{host}", url.scheme());
        if origin != url.origin().ascii_serialization() && state.own_origins.contains(&origin) {
            return format!("{origin}{}{path}", url.path().trim_end_matches('/'));
        }
    }
    format!("{issuer}{path}")
}

/// The current nonce, when the token endpoints or the API require one (one nonce for both: they
/// are one server).
pub fn nonce(state: &AppState) -> ApiResult<Option<String>> {
    if state.config.dpop_nonce || state.config.dpop_resource_nonce {
        state.dpop.nonces.current(util::now_ms()).map(Some)
    } else {
        Ok(None)
    }
}

/// A token request's proof, checked and not yet remembered: [`TokenProof::accepted`] once the
/// grant or password is.
pub struct TokenProof {
    /// The thumbprint of its key.
    pub jkt: String,
    proof: Proof,
}

impl TokenProof {
    /// Remembers the proof, the request it came with being accepted; refused (400
    /// `invalid_dpop_proof`) when another request took it since the lookup.
    pub fn accepted(self, state: &AppState) -> ApiResult<String> {
        match remember(state, &state.dpop.token_replay, &self.proof) {
            Ok(()) => Ok(self.jkt),
            Err(Error::Internal(why)) => Err(ApiError::internal(why)),
            Err(e) => Err(ApiError::invalid_dpop_proof(e.to_string())),
        }
    }
}

/// [`TokenProof::accepted`] of an optional proof: the key's thumbprint, if any.
pub fn accepted(state: &AppState, proof: Option<TokenProof>) -> ApiResult<Option<String>> {
    proof.map(|proof| proof.accepted(state)).transpose()
}

/// A token request's proof (at `path`, by POST), checked, None without a `DPoP` header. Not yet
/// remembered (see the module's comment): a proof already used is refused, a new one is
/// remembered by [`TokenProof::accepted`] once the grant is. Refusals are 400
/// `invalid_dpop_proof`, or `use_dpop_nonce` with the nonce to use when `--dpop-nonce` is on and
/// the proof lacks a valid one (8).
pub fn token_request(state: &AppState, headers: &HeaderMap, path: &str) -> ApiResult<Option<TokenProof>> {
    let Some(proof) = proof_header(headers) else { return Ok(None) };
    // A proof is a compact JWS: base64url and dots, never a comma. A comma means two headers.
    if proof.contains(',') {
        return Err(ApiError::invalid_dpop_proof("the request has more than one DPoP header"));
    }
    let url = public_url(state, headers, path);
    let checked = verify(state, &proof, "POST", &url, None, state.config.dpop_nonce)
        .and_then(|proof| unused(&state.dpop.token_replay, &proof).map(|()| proof));
    match checked {
        Ok(proof) => Ok(Some(TokenProof { jkt: proof.jkt.clone(), proof })),
        Err(e) if e.kind() == ErrorKind::DpopNonceRequired => {
            Err(ApiError::use_dpop_nonce(state.dpop.nonces.current(util::now_ms())?))
        }
        Err(Error::Internal(why)) => Err(ApiError::internal(why)),
        Err(e) => Err(ApiError::invalid_dpop_proof(e.to_string())),
    }
}

/// What `Authorization: <scheme> <token>` presents at the API once the token is verified
/// (its `cnf.jkt` in `bound_jkt`): Ok for a Bearer token that is not bound, or a DPoP-scheme
/// token bound to the key of a valid proof for this very request (method, URL without query,
/// `ath`), with the server's nonce under `--dpop-resource-nonce`. Refusals are 401 with the
/// core's challenges (7.1).
pub fn check_presentation(
    state: &AppState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    authorization: &str,
    bound_jkt: Option<&str>,
) -> ApiResult<()> {
    let mut claims = Map::new();
    if let Some(jkt) = bound_jkt {
        claims.insert("cnf".to_owned(), json::object([("jkt", jkt.into())]));
    }
    let proof = proof_header(headers);
    if !core::scheme::is_dpop(Some(authorization)) {
        // A bound token as Bearer is refused: a stolen one would work anywhere.
        return core::binding::check(&claims, &Binding::Unbound).map_err(|e| refusal(state, &e, false));
    }
    let refuse = |e: Error| refusal(state, &e, true);
    let (token, proof) = match core::scheme::presented(Mode::Allowed, Some(authorization), proof.as_deref(), None) {
        Ok(Presented::Dpop { token, proof }) => (token, proof),
        Ok(Presented::Plain(_)) => return Err(ApiError::internal("a DPoP-scheme request read as Bearer")),
        Err(e) => return Err(refuse(e)),
    };
    let url = public_url(state, headers, uri.path());
    let proof =
        verify(state, proof, method.as_str(), &url, Some(token), state.config.dpop_resource_nonce).map_err(refuse)?;
    core::binding::check(&claims, &Binding::Jkt(proof.jkt.clone())).map_err(refuse)?;
    // Remembered once the token is known bound to its key: only its holder can fill this cache.
    remember(state, &state.dpop.api_replay, &proof).map_err(refuse)
}

/// The 401 of a refused API request, as the core's `verifyRequest` answers it with
/// `dpop: 'allowed'` (its refusal table decides the status and error): the error on the scheme
/// the request used (`used_dpop`; DPoP's own errors always on DPoP), both schemes offered, the
/// current nonce in `DPoP-Nonce` when the API requires one.
pub fn refusal(state: &AppState, error: &Error, used_dpop: bool) -> ApiError {
    refusal_of(state, error.kind(), &error.to_string(), used_dpop)
}

/// [`refusal`] for an error of `kind` described by `description`.
pub fn refusal_of(state: &AppState, kind: ErrorKind, description: &str, used_dpop: bool) -> ApiError {
    let Some(answer) = kind.bearer_refusal() else {
        return ApiError::internal(description);
    };
    let algs = state.dpop.policy.algs();
    let context = ChallengeContext { realm: REALM, mode: Mode::Allowed, used_dpop, algs: &algs };
    let challenge = answer.www_authenticate_in(&context, description, "");
    let nonce = if answer.dpop_nonce { nonce(state).ok().flatten() } else { None };
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::UNAUTHORIZED);
    ApiError::challenge(status, answer.error, description, challenge, nonce)
}

/// The core's checks of `proof` for `method` `url` (with `access_token` at the API), with the
/// server's nonces when `nonce_required`; the replay check is the caller's ([`unused`],
/// [`remember`]).
fn verify(
    state: &AppState,
    proof: &str,
    method: &str,
    url: &str,
    access_token: Option<&str>,
    nonce_required: bool,
) -> Result<Proof, Error> {
    let now_ms = util::now_ms();
    let nonces = if nonce_required {
        Some(state.dpop.nonces.accepted(now_ms).map_err(|_| Error::Internal("DPoP nonces unavailable"))?)
    } else {
        None
    };
    let now = now_ms.div_euclid(1000);
    let request = ProofRequest { method, url, access_token, nonces: nonces.as_deref(), now };
    core::verify(proof, &request, &state.dpop.policy)
}

/// `ERR_DPOP_REPLAY` when `cache` remembers `proof` (or may have: its floor), without
/// remembering it.
fn unused(cache: &Mutex<ReplayCache>, proof: &Proof) -> Result<(), Error> {
    let id = replay::proof_id(&proof.jkt, &proof.jti);
    let cache = cache.lock().map_err(|_| Error::Internal("DPoP replay cache poisoned"))?;
    if cache.was_used(id, proof.iat, util::now_ms().div_euclid(1000)) { Err(Error::DpopReplay) } else { Ok(()) }
}

/// Remembers `proof` in `cache`: a proof is taken once (`ERR_DPOP_REPLAY` the second time).
fn remember(state: &AppState, cache: &Mutex<ReplayCache>, proof: &Proof) -> Result<(), Error> {
    let now = util::now_ms().div_euclid(1000);
    let id = replay::proof_id(&proof.jkt, &proof.jti);
    let forget_after = replay::forget_after(proof.iat, &state.dpop.policy);
    let mut cache = cache.lock().map_err(|_| Error::Internal("DPoP replay cache poisoned"))?;
    if cache.first_use(id, proof.iat, forget_after, now) { Ok(()) } else { Err(Error::DpopReplay) }
}
