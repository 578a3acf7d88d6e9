//! The TypeScript declarations of `JwtVerifier`, its options and results.

use wasm_bindgen::prelude::*;

/// `JwtAlgorithm`, written from the algorithm table.
#[wasm_bindgen(typescript_custom_section)]
const TS_ALGORITHMS: &str = crate::jose::alg::JWT_ALGORITHM_TS;

#[wasm_bindgen(typescript_custom_section)]
const TS_VERIFIER: &str = r#"

/** Options of `new JwtVerifier(options)`: exactly one key source, then the claim rules. */
export interface JwtVerifierOptions {
  /** A shared secret for HS256/384/512, at least as long as the hash (32 bytes for HS256). */
  secret?: string | Uint8Array;
  /** One public key (or an `oct` key) as a JWK. */
  jwk?: JsonWebKey;
  /** One public key as a PEM SubjectPublicKeyInfo (`-----BEGIN PUBLIC KEY-----`). */
  publicKey?: string;
  /** A JWK Set; keys the verifier cannot use (encryption keys, unknown curves) are skipped. */
  jwks?: { keys: JsonWebKey[] };
  /** The same as `jwks: { keys }`. */
  keys?: JsonWebKey[];
  /** A remote JWK Set (http: or https:), fetched on first use and cached. */
  jwksUri?: string;
  /** Remote JWKS: milliseconds (more than 0) before a fetch, body included, fails with ERR_JWKS_TIMEOUT; default 5000. */
  timeoutDuration?: number;
  /** Remote JWKS: milliseconds (more than 0) between refetches for an unknown kid, and after a failed fetch; default 30000. */
  cooldownDuration?: number;
  /** Remote JWKS: milliseconds (more than 0) a fetched set is used; default 600000. */
  cacheMaxAge?: number;
  /** Remote JWKS: the largest answer read, in bytes; a larger one is ERR_JWKS_TOO_LARGE. Default 524288 (512 KiB). */
  jwksMaxBytes?: number;
  /** Remote JWKS: a cache to start from, e.g. one kept in KV (see `exportJwksCache`). */
  jwksCache?: JwksCache;
  /** Remote JWKS: a store shared by isolates (Workers KV, or `cacheApiStore()`): a cold isolate takes the set from it instead of fetching. Its content is checked as a fetched set; its failures are reported (`onJwksEvent`) and ignored. */
  jwksStore?: JwksStore;
  /** Remote JWKS: seconds (more than 0, at most a year) past `cacheMaxAge` during which the last set keeps answering tokens whose kid it has while the JWKS URI fails (stale-if-error); default: none. */
  jwksMaxStaleSeconds?: number;
  /** Remote JWKS: told when stale keys answer because a fetch failed, and of `jwksStore` failures. Never awaited; what it throws is ignored. */
  onJwksEvent?: (event: JwksEvent) => void;
  /** API keys `verifyRequest` accepts in `X-API-Key`, given by their SHA-256 (hex), never in clear. */
  apiKeys?: ApiKeyHash[];
  /** Accepted `iss` values (not empty, no empty string). */
  issuer?: string | string[];
  /** Accepted audiences: the `aud` claim (string or array) must contain one (not empty, no empty string). */
  audience?: string | string[];
  /** Required `sub` (not empty). */
  subject?: string;
  /** Required `typ` header (compared case-insensitively, `application/` optional; not empty). */
  typ?: string;
  /** Allowed algorithms (at least one); by default, whatever the keys support. */
  algorithms?: JwtAlgorithm[];
  /** Seconds of leeway for `exp`, `nbf` and `iat`, 0 or more; default 0. */
  clockTolerance?: number;
  /** Claims that must be present (not empty, no empty string). */
  requiredClaims?: string[];
  /** Maximum age in seconds, from `iat`; 0: issued this second (within clockTolerance). */
  maxTokenAge?: number;
  /** Longest token accepted, in bytes (1 or more); default 65536. */
  maxTokenLength?: number;
  /** Opt-in cache of verified tokens (see `TokenCacheOptions`); off by default. */
  cache?: TokenCacheOptions;
  /** verifyRequest and DPoP (RFC 9449): "allowed" (default) takes Bearer and DPoP-bound tokens, "required" DPoP only, "off" Bearer only. A DPoP-bound token (`cnf.jkt`) is never accepted as Bearer. */
  dpop?: DpopMode;
  /** Where used DPoP proofs are remembered for other isolates (Workers KV, a Durable Object, `cacheApiStore()`); default: in this isolate only. Not atomic on KV, and KV is eventually consistent (a replay at another location within about 60 s passes): see the README; a Durable Object gives strict replay protection. Its failures reject verifyRequest. */
  dpopReplayStore?: DpopReplayStore;
  /** Server nonces (RFC 9449 section 9): returns, synchronously, the nonces accepted now, the current one first; a proof without one of them gets 401 use_dpop_nonce with the current one in DPoP-Nonce. Each nonce must be RFC 9449 section 8.1's (visible ASCII but `"` and `\`), else verifyRequest rejects with ERR_AUTH_INVALID_OPTIONS. */
  dpopNonce?: () => string | string[];
  /** Oldest DPoP proof `iat` accepted, in seconds before now (1 to 3600); default 300. */
  dpopMaxAgeSeconds?: number;
  /** Seconds a DPoP proof's `iat` may lie in the future (0 to 300); default 5. */
  dpopClockToleranceSeconds?: number;
  /** The resource's trusted public origin(s), e.g. "https://api.example.com": a proof's `htu` must be the request's path under one of them, whatever origin `request.url` has (on Node servers its host comes from the client's Host header). Default: the request URL as it is. */
  dpopOrigin?: string | string[];
}

/** The `dpop` mode of a verifier or of one verifyRequest call. */
export type DpopMode = "required" | "allowed" | "off";

/** Where used DPoP proofs are remembered (key `wasm-auth:dpop-jti:` + a hash of the key and jti): the shape of Workers KV, as `JwksStore`. */
export type DpopReplayStore = JwksStore;

/**
 * The verified-token cache: a bounded LRU of this verifier's successful verifications, keyed
 * by the whole token. A hit re-checks `exp`, `nbf` and `maxTokenAge` at the call's time (with
 * `clockTolerance`) and `verifyRequest`'s `scopes`; an entry goes when its key leaves the key
 * set; failures are never cached; tokens over 8 KiB are not cached.
 */
export interface TokenCacheOptions {
  /** Most entries held, a whole number from 1 to 1000000; the least recently used goes first. */
  maxEntries: number;
  /** Seconds (more than 0) an entry is reused after its verification; default 600. */
  maxAgeSeconds?: number;
}

/** What `cacheStats()` reports. */
export interface TokenCacheStats {
  entries: number;
  maxEntries: number;
  /** Bytes held by the entries (tokens, results, scopes and bookkeeping). */
  bytes: number;
  /** The most one entry may hold, in bytes. */
  maxEntryBytes: number;
  hits: number;
  misses: number;
}

/** The registered claims, typed; any other claim is `unknown` until checked. */
export interface JwtPayload {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  exp?: number;
  nbf?: number;
  iat?: number;
  jti?: string;
  [claim: string]: unknown;
}

/** A JWS protected header. */
export interface JwtHeader {
  alg: string;
  kid?: string;
  typ?: string;
  [parameter: string]: unknown;
}

/** What `verify` resolves to. */
export interface VerifyResult {
  payload: JwtPayload;
  protectedHeader: JwtHeader;
}

/** Per-call options of `verify`. */
export interface VerifyCallOptions {
  /** The time to check `exp`/`nbf`/`iat` against; default now. */
  currentDate?: Date;
  /** `verify` sees no DPoP proof, so it refuses a DPoP-bound token (`cnf.jkt`) with ERR_DPOP_BINDING_MISMATCH: taken from a request, it would pass as Bearer. `true`: accept it, the caller checks the proof and the binding itself. Use verifyRequest instead where you can. */
  dpopBindingCheckedByCaller?: boolean;
}

/** An API key as `verifyRequest` knows it. */
export interface ApiKeyHash {
  /** Hex SHA-256 of the key. */
  sha256: string;
  /** Scopes the key grants; none when left out. */
  scopes?: string[];
  /** Reported as `payload.sub`; default "api-key". */
  name?: string;
}

/** Options of `verifyRequest`. */
export interface VerifyRequestOptions {
  /** Scopes the request needs (from `scope` or `scp`, or the API key's scopes); not empty, no empty string. */
  scopes?: string[];
  /** The realm of the WWW-Authenticate challenge; default "wasm-auth". */
  realm?: string;
  /** The verifier's `dpop` mode for this call only: it may only tighten the verifier's (required > allowed > off), a looser one rejects with ERR_AUTH_INVALID_OPTIONS. */
  dpop?: DpopMode;
  /** As in `verify`. */
  currentDate?: Date;
}

/** What `verifyRequest` resolves to: the claims, or a ready 401/403/503 Response (a refused DPoP request's may carry `DPoP-Nonce`). */
export type VerifyRequestResult =
  | { ok: true; via: "bearer" | "dpop" | "api_key"; payload: JwtPayload; protectedHeader?: JwtHeader }
  | { ok: false; error: WasmAuthError; response: Response };

/** A remote JWKS as cached: the document and when it was fetched (ms since the epoch). */
export interface JwksCache {
  jwks: { keys: JsonWebKey[] };
  uat: number;
}

/** Where a `jwksUri` verifier keeps its set for other isolates: the shape of Workers KV. */
export interface JwksStore {
  /** The value put under `key`, or null. */
  get(key: string): string | null | Promise<string | null>;
  /** Keeps `value` under `key` for `expirationTtl` seconds (60 or more). */
  put(key: string, value: string, options: { expirationTtl: number }): void | Promise<void>;
}

/** What `onJwksEvent` is told. */
export type JwksEvent =
  /** A fetch of the set failed (`error`) and the set fetched `ageSeconds` ago answers meanwhile. */
  | { type: "stale"; error: WasmAuthError; ageSeconds: number }
  /** `jwksStore.get` or `put` failed, timed out, or the stored value was not a valid set (`error`); ignored. */
  | { type: "store-error"; error: WasmAuthError };

/** What `decodeUnverified` returns: NOT verified, never use it to make a decision. */
export interface UnverifiedJwt {
  header: JwtHeader;
  payload: JwtPayload;
}
"#;
