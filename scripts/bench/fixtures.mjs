// Keys and tokens for `make bench`, made once per run with jose (Node): every library verifies
// the same tokens against the same keys. Everything is plain JSON, so the same fixtures can be
// posted into the benchmark worker in workerd.
import { SignJWT, exportJWK, generateKeyPair, generateSecret } from 'jose';

export const ISSUER = 'https://issuer.bench.example';
export const AUDIENCE = 'bench-api';
export const ALGS = ['HS256', 'RS256', 'PS256', 'ES256', 'EdDSA'];

/** Private keys stay here (signing); what the benchmark gets is public. */
async function keyFor(alg) {
  if (alg === 'HS256') {
    const key = await generateSecret('HS256', { extractable: true });
    const jwk = await exportJWK(key);
    return { signKey: key, jwk: { ...jwk, alg, kid: `bench-${alg}` } };
  }
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg.startsWith('RS') || alg.startsWith('PS') ? { modulusLength: 2048 } : {}) });
  const jwk = await exportJWK(publicKey);
  return { signKey: privateKey, jwk: { ...jwk, alg, kid: `bench-${alg}` } };
}

/**
 * `count` distinct tokens per algorithm (different sub, jti and iat), valid for a day, with
 * iss and aud that every verifier checks. Returns { issuer, audience, algs: { [alg]: { jwk,
 * tokens } } } for the `algs` asked for; for HS256 the jwk is the `oct` key (k = the secret, base64url).
 */
export async function makeFixtures(count = 1000, algs = ALGS) {
  const now = Math.floor(Date.now() / 1000);
  const out = {};
  for (const alg of algs) {
    const { signKey, jwk } = await keyFor(alg);
    const tokens = [];
    for (let i = 0; i < count; i++) {
      tokens.push(await new SignJWT({ scope: 'read:resources write:resources', n: i })
        .setProtectedHeader({ alg, kid: jwk.kid, typ: 'JWT' })
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setSubject(`user_${i}`)
        .setJti(`jti-${alg}-${i}`)
        .setIssuedAt(now - (i % 60))
        .setExpirationTime(now + 86_400)
        .sign(signKey));
    }
    out[alg] = { jwk, tokens };
  }
  return { issuer: ISSUER, audience: AUDIENCE, algs: out };
}
