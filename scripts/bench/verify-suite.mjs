// The verification benchmark itself, runtime-neutral: Node runs it directly (node.mjs) and the
// benchmark worker runs it inside the workerd isolate (workerd.mjs). It only uses globals both
// runtimes have (crypto.subtle, performance.now, atob, TextEncoder) plus what the caller passes.
// The peers besides jose and cf-worker-jwt (fast-jwt, hono) are made in peers.mjs.
//
// Method: each library verifies the fixtures' tokens one after another (`await` each), cycling
// through the distinct tokens. A row is measured in `rounds` rounds; in every round each library
// runs for `roundMs` in batches, with an awaited I/O turn (`yieldIo`) between batches (workerd
// advances its clocks only across I/O) and the clock read only around batches. A library's
// figure is the median of its rounds, so slow drift of the machine hits all columns alike.

import { peerVerifiers } from './peers.mjs';

/** WebCrypto parameters of each JWS algorithm: [importKey algorithm, verify algorithm]. */
const WEBCRYPTO = {
  HS256: [{ name: 'HMAC', hash: 'SHA-256' }, { name: 'HMAC' }],
  RS256: [{ name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, { name: 'RSASSA-PKCS1-v1_5' }],
  PS256: [{ name: 'RSA-PSS', hash: 'SHA-256' }, { name: 'RSA-PSS', saltLength: 32 }],
  ES256: [{ name: 'ECDSA', namedCurve: 'P-256' }, { name: 'ECDSA', hash: 'SHA-256' }],
  EdDSA: [{ name: 'Ed25519' }, { name: 'Ed25519' }],
};

function base64url(text) {
  const bin = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

/** Tokens split once: the signing input and signature bytes the floor row hands to subtle. */
function predecode(tokens) {
  const enc = new TextEncoder();
  return tokens.map((t) => {
    const dot = t.lastIndexOf('.');
    return { data: enc.encode(t.slice(0, dot)), sig: base64url(t.slice(dot + 1)) };
  });
}

async function importPublic(jwk, alg) {
  const { alg: _a, kid: _k, ...bare } = jwk;
  return crypto.subtle.importKey('jwk', bare, WEBCRYPTO[alg][0], false, ['verify']);
}

/** node:crypto on pre-decoded tokens: HMAC by createHmac + timingSafeEqual, the others by a
 * cached KeyObject and crypto.verify. Returns (i) => Promise<boolean>. */
function nodeFloor(c, alg, jwk, decoded) {
  const n = decoded.length;
  if (alg === 'HS256') {
    const secret = base64url(jwk.k);
    return (i) => {
      const { data, sig } = decoded[i % n];
      const mac = c.createHmac('sha256', secret).update(data).digest();
      return Promise.resolve(mac.length === sig.length && c.timingSafeEqual(mac, sig));
    };
  }
  const { alg: _a, kid: _k, ...bare } = jwk;
  const key = c.createPublicKey({ key: bare, format: 'jwk' });
  const options = {
    RS256: ['sha256', key],
    PS256: ['sha256', { key, padding: c.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }],
    ES256: ['sha256', { key, dsaEncoding: 'ieee-p1363' }],
    EdDSA: [null, key],
  }[alg];
  return (i) => {
    const { data, sig } = decoded[i % n];
    return Promise.resolve(c.verify(options[0], data, options[1], sig));
  };
}

/**
 * The verifiers of one row, each a function (i) => Promise that verifies token i and rejects
 * (or resolves to something falsy, for cloudflare-worker-jwt) when the token is refused.
 */
export async function makeRow(row, env) {
  const { wasmAuth, jose, cfjwt, fixtures, jwksUrl } = env;
  const { issuer, audience } = fixtures;
  const alg = row === 'ES256 remote JWKS' ? 'ES256' : row;
  const { jwk, tokens } = fixtures.algs[alg];
  const n = tokens.length;
  const libs = {};
  const claims = { issuer, audience, algorithms: [alg] };
  if (row === 'ES256 remote JWKS') {
    const verifier = new wasmAuth.JwtVerifier({ jwksUri: jwksUrl, ...claims });
    const remote = jose.createRemoteJWKSet(new URL(jwksUrl));
    libs['wasm-auth'] = (i) => verifier.verify(tokens[i % n]);
    libs.jose = (i) => jose.jwtVerify(tokens[i % n], remote, claims);
  } else if (alg === 'HS256') {
    const secret = base64url(jwk.k);
    const verifier = new wasmAuth.JwtVerifier({ secret, ...claims });
    const key = await crypto.subtle.importKey('raw', secret, WEBCRYPTO.HS256[0], false, ['verify']);
    libs['wasm-auth'] = (i) => verifier.verify(tokens[i % n]);
    libs.jose = (i) => jose.jwtVerify(tokens[i % n], key, claims);
    libs['cf-worker-jwt'] = (i) => cfjwt.verify(tokens[i % n], key, { algorithm: alg, throwError: true });
  } else {
    const verifier = new wasmAuth.JwtVerifier({ jwk, ...claims });
    const key = await jose.importJWK(jwk, alg);
    libs['wasm-auth'] = (i) => verifier.verify(tokens[i % n]);
    libs.jose = (i) => jose.jwtVerify(tokens[i % n], key, claims);
    // cloudflare-worker-jwt has no PS256 or EdDSA; it takes a pre-imported CryptoKey, its
    // fastest use (given a JWK or secret string it imports the key on every call).
    if (alg === 'RS256' || alg === 'ES256') {
      libs['cf-worker-jwt'] = (i) => cfjwt.verify(tokens[i % n], key, { algorithm: alg, throwError: true });
    }
  }
  Object.assign(libs, peerVerifiers(env, {
    alg, jwk, tokens, issuer, audience, remote: row === 'ES256 remote JWKS', honoJwksUrl: env.honoJwksUrl,
  }));
  // Node only: the same check through node:crypto's synchronous API on pre-decoded tokens, the
  // floor of a verifier that uses it (wasm-auth does in Node, for RS/PS/ES/EdDSA).
  if (env.nodeCrypto) libs['node:crypto'] = nodeFloor(env.nodeCrypto, alg, jwk, predecode(tokens));
  const floorKey = alg === 'HS256'
    ? await crypto.subtle.importKey('raw', base64url(jwk.k), WEBCRYPTO.HS256[0], false, ['verify'])
    : await importPublic(jwk, alg);
  const decoded = predecode(tokens);
  const params = WEBCRYPTO[alg][1];
  libs.floor = (i) => {
    const { data, sig } = decoded[i % n];
    return crypto.subtle.verify(params, floorKey, sig, data);
  };
  return libs;
}

/** Every library must accept every token before anything is timed. */
async function checkAll(libs, n) {
  for (const [name, run] of Object.entries(libs)) {
    for (let i = 0; i < n; i++) {
      let ok;
      try { ok = await run(i); } catch (e) { throw new Error(`${name} refused token ${i}: ${e.code ?? ''} ${e.message}`); }
      if (!ok) throw new Error(`${name} refused token ${i}`);
    }
  }
}

/** Runs `run(i)` (i counting up) for about `ms` milliseconds; returns { ops, ms } actually measured. */
export async function timed(run, ms, state, clock) {
  let ops = 0;
  let elapsed = 0;
  while (elapsed < ms) {
    await clock.yieldIo();
    const t0 = clock.now();
    for (let k = 0; k < state.batch; k++) await run(state.i++);
    const dt = clock.now() - t0;
    elapsed += dt;
    ops += state.batch;
    // Batches of at least ~20 ms, so that a millisecond clock (workerd) costs < 5%.
    if (dt < 20) state.batch = Math.min(state.batch * 2, 1 << 16);
  }
  return { ops, ms: elapsed };
}

export const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

/**
 * Measures one row: returns { row, ops: { [lib]: ops/s }, spread: { [lib]: [min, max] } }.
 * `clock` is { now(): ms, yieldIo(): Promise }.
 */
export async function measureRow(row, env, { rounds = 3, roundMs = 250, warmup = 300, clock }) {
  const libs = await makeRow(row, env);
  const n = env.fixtures.algs.HS256.tokens.length;
  await checkAll(libs, n);
  const states = {};
  for (const [name, run] of Object.entries(libs)) {
    states[name] = { i: 0, batch: 64, samples: [] };
    for (let k = 0; k < warmup; k++) await run(states[name].i++);
  }
  for (let r = 0; r < rounds; r++) {
    for (const [name, run] of Object.entries(libs)) {
      const { ops, ms } = await timed(run, roundMs, states[name], clock);
      states[name].samples.push((ops / ms) * 1000);
    }
  }
  const ops = {};
  const spread = {};
  for (const [name, { samples }] of Object.entries(states)) {
    ops[name] = median(samples);
    spread[name] = [Math.min(...samples), Math.max(...samples)];
  }
  return { row, ops, spread };
}

export const ROWS = ['HS256', 'RS256', 'PS256', 'ES256', 'EdDSA', 'ES256 remote JWKS'];
