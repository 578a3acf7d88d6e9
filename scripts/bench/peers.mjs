// The other verifiers `make bench` times beside wasm-auth, jose and cf-worker-jwt (issue 17.5):
// fast-jwt (Node only: it is built on node:crypto), with its verified-token cache off and on,
// and hono's JWT helpers, which run wherever crypto.subtle does. Runtime-neutral like
// verify-suite.mjs: the libraries come in `env` (node.mjs and worker.js import them).
//
// - fast-jwt 6.3: `createVerifier` with the key as PEM (its documented form; exported once
//   through node:crypto), `algorithms`, `allowedIss` and `allowedAud`; synchronous. "fast-jwt
//   cache" is the same verifier with `cache: true` (an LRU of 1,000, hashed keys): with the
//   benchmark's 1,000 distinct tokens cycled, every timed call is a hit.
// - hono: what the hono/jwk middleware runs per request, `Jwt.verifyWithJwks(token, { keys,
//   allowedAlgorithms, verification: { iss, aud } })` (it imports the JWK on every call, as the
//   middleware does); with `jwks_uri` on the remote row, where it fetches the set for every
//   token, as the middleware does (the bench server counts those fetches apart). hono/jwk
//   refuses HS*, so the HS256 row times hono/jwt's `Jwt.verify(token, key, { alg, iss, aud })`
//   with the secret as an oct JWK (the fixture's secret is random bytes, not a string), which
//   it imports on every call as the hono/jwt middleware does with its string secret.

/**
 * The peers of one row: { [name]: (i) => result } for the libraries present in `env`.
 * `fixture` is { alg, jwk, tokens, issuer, audience, remote, honoJwksUrl }.
 */
export function peerVerifiers(env, fixture) {
  const { alg, jwk, tokens, issuer, audience, remote } = fixture;
  const n = tokens.length;
  const libs = {};
  if (env.fastJwt && env.nodeCrypto && !remote) {
    const key = alg === 'HS256' ? Buffer.from(jwk.k, 'base64url') : pem(env.nodeCrypto, jwk);
    const options = { key, algorithms: [alg], allowedIss: issuer, allowedAud: audience };
    const plain = env.fastJwt.createVerifier(options);
    const cached = env.fastJwt.createVerifier({ ...options, cache: true });
    libs['fast-jwt'] = (i) => plain(tokens[i % n]);
    libs['fast-jwt cache'] = (i) => cached(tokens[i % n]);
  }
  if (env.honoJwt) {
    const Jwt = env.honoJwt;
    const verification = { iss: issuer, aud: audience };
    if (alg === 'HS256') {
      const secret = { kty: 'oct', k: jwk.k };
      libs.hono = (i) => Jwt.verify(tokens[i % n], secret, { alg, ...verification });
    } else if (remote) {
      const options = { jwks_uri: fixture.honoJwksUrl, allowedAlgorithms: [alg], verification };
      libs.hono = (i) => Jwt.verifyWithJwks(tokens[i % n], options);
    } else {
      const options = { keys: [jwk], allowedAlgorithms: [alg], verification };
      libs.hono = (i) => Jwt.verifyWithJwks(tokens[i % n], options);
    }
  }
  return libs;
}

/** The public JWK as SPKI PEM, fast-jwt's key form. */
function pem(nodeCrypto, jwk) {
  const { alg: _a, kid: _k, ...bare } = jwk;
  return nodeCrypto.createPublicKey({ key: bare, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
}
