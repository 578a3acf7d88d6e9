// The cached edge workload of issue 17 item 2, runtime-neutral (Node runs it in cached.mjs, the
// worker cached-worker.js inside workerd): 5,000 users' tokens, each verification drawing its
// user from a Zipf(1.1) distribution (a few users make most requests, as at an edge), one
// verification after another (awaited). wasm-auth with its token cache against jose (no cache)
// and fast-jwt with its cache on, both caches holding CACHE_ENTRIES tokens; wasm-auth without
// the cache for reference. Same method as verify-suite.mjs (its timed rounds and median).

import { median, timed } from './verify-suite.mjs';

export const USERS = 5000;
export const ZIPF_S = 1.1;
/** Both caches hold this many tokens: every user fits, as a worker would size its cache. */
export const CACHE_ENTRIES = 5000;
export const CACHED_ROWS = ['RS256', 'ES256', 'HS256'];
/** The goals: wasm-auth with its cache >= 10x jose and >= fast-jwt with its cache on. */
export const GOALS = { jose: 10, 'fast-jwt cache': 1 };

/** `length` ranks in [0, n) drawn from Zipf(s), deterministic (xorshift32, inverse CDF). */
export function zipfSequence(n, s, length, seed = 0x9e3779b9) {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let k = 0; k < n; k++) cdf[k] = sum += 1 / (k + 1) ** s;
  let x = seed >>> 0;
  const out = new Uint16Array(length);
  for (let i = 0; i < length; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    const u = (x / 4294967296) * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < u) lo = mid + 1; else hi = mid;
    }
    out[i] = lo;
  }
  return out;
}

function base64url(text) {
  const bin = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

/**
 * The verifiers of one row: { [lib]: (token) => Promise }. `env`: { wasmAuth, jose,
 * createVerifier (fast-jwt's, or undefined where it cannot run), fixtures: { issuer, audience,
 * algs: { [alg]: { jwk, pem, tokens } } } }.
 */
export async function makeCachedRow(alg, env) {
  const { wasmAuth, jose, createVerifier, fixtures } = env;
  const { issuer, audience } = fixtures;
  const { jwk, pem } = fixtures.algs[alg];
  const claims = { issuer, audience, algorithms: [alg] };
  const source = alg === 'HS256' ? { secret: base64url(jwk.k) } : { jwk };
  const cached = new wasmAuth.JwtVerifier({ ...source, ...claims, cache: { maxEntries: CACHE_ENTRIES } });
  const plain = new wasmAuth.JwtVerifier({ ...source, ...claims });
  const key = await jose.importJWK(jwk, alg);
  const libs = {
    'wasm-auth cache': (t) => cached.verify(t),
    jose: (t) => jose.jwtVerify(t, key, claims),
    'wasm-auth': (t) => plain.verify(t),
  };
  if (createVerifier) {
    const verify = createVerifier({
      key: alg === 'HS256' ? base64url(jwk.k) : pem,
      algorithms: [alg], allowedIss: issuer, allowedAud: audience, cache: CACHE_ENTRIES,
    });
    libs['fast-jwt cache'] = async (t) => verify(t);
  }
  return { libs, stats: () => cached.cacheStats() };
}

/**
 * Measures one row: { row, ops: { [lib]: ops/s }, hitRatio, entryBytes } (wasm-auth's hits /
 * lookups while timed, and bytes per cache entry). Every library first verifies every token (all
 * must accept), then the cached ones warm on `warmup` draws.
 */
export async function measureCachedRow(alg, env, { rounds = 3, roundMs = 250, warmup = 20_000, clock }) {
  const { libs, stats } = await makeCachedRow(alg, env);
  const { tokens } = env.fixtures.algs[alg];
  const draws = zipfSequence(tokens.length, ZIPF_S, 1 << 20);
  for (const [name, run] of Object.entries(libs)) {
    for (const token of tokens) {
      try { await run(token); } catch (e) { throw new Error(`${name} refused a ${alg} token: ${e.code ?? ''} ${e.message}`); }
    }
  }
  const states = {};
  for (const [name, run] of Object.entries(libs)) {
    states[name] = { i: 0, batch: 64, samples: [] };
    // The caches settle on the draws; the others only need their JIT warm.
    const count = name.includes('cache') ? warmup : Math.min(warmup, 1000);
    for (let k = 0; k < count; k++) await run(tokens[draws[states[name].i++]]);
  }
  const before = stats();
  for (let r = 0; r < rounds; r++) {
    for (const [name, run] of Object.entries(libs)) {
      const { ops, ms } = await timed((i) => run(tokens[draws[i % draws.length]]), roundMs, states[name], clock);
      states[name].samples.push((ops / ms) * 1000);
    }
  }
  const after = stats();
  const ops = {};
  for (const [name, { samples }] of Object.entries(states)) ops[name] = median(samples);
  const hits = after.hits - before.hits;
  const lookups = hits + after.misses - before.misses;
  return { row: alg, ops, hitRatio: hits / lookups, entryBytes: after.bytes / after.entries };
}
