// In-process A/B in Node: CPU µs per token (process.cpuUsage), alternating slices.
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import nodeCrypto from 'node:crypto';
import * as fastJwt from 'fast-jwt';
import { makeFixtures } from './fixtures.mjs';
const [A, B, algsArg = 'HS256,RS256,PS256,ES256,EdDSA', slices = '15'] = process.argv.slice(2);
const load = (p) => import(pathToFileURL(resolve(p, 'node.js')).href);
const pk = { A: await load(A), B: await load(B) };
const algs = algsArg.split(',');
const fx = await makeFixtures(1000, algs);
const b64 = (s) => Buffer.from(s, 'base64url');
for (const alg of algs) {
  const { jwk, tokens } = fx.algs[alg];
  const claims = { issuer: fx.issuer, audience: fx.audience, algorithms: [alg] };
  const libs = {};
  for (const [k, wa] of Object.entries(pk)) {
    const v = alg === 'HS256' ? new wa.JwtVerifier({ secret: b64(jwk.k), ...claims }) : new wa.JwtVerifier({ jwk, ...claims });
    libs[k] = (i) => v.verify(tokens[i % 1000]);
  }
  const { alg: _a, kid: _k, ...bare } = jwk;
  const key = alg === 'HS256' ? b64(jwk.k) : nodeCrypto.createPublicKey({ key: bare, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
  const fj = fastJwt.createVerifier({ key, algorithms: [alg], allowedIss: fx.issuer, allowedAud: fx.audience });
  libs['fast-jwt'] = (i) => fj(tokens[i % 1000]);
  const dec = tokens.map((t) => { const d = t.lastIndexOf('.'); return { data: Buffer.from(t.slice(0, d)), sig: b64(t.slice(d + 1)) }; });
  if (alg === 'HS256') {
    const secret = nodeCrypto.createSecretKey(b64(jwk.k));
    libs.floor = (i) => { const { data, sig } = dec[i % 1000]; const m = nodeCrypto.createHmac('sha256', secret).update(data).digest(); return Promise.resolve(m.length === sig.length && nodeCrypto.timingSafeEqual(m, sig)); };
  } else {
    const k = nodeCrypto.createPublicKey({ key: bare, format: 'jwk' });
    const o = { RS256: ['sha256', k], PS256: ['sha256', { key: k, padding: nodeCrypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }], ES256: ['sha256', { key: k, dsaEncoding: 'ieee-p1363' }], EdDSA: [null, k] }[alg];
    libs.floor = (i) => { const { data, sig } = dec[i % 1000]; return Promise.resolve(nodeCrypto.verify(o[0], data, o[1], sig)); };
  }
  for (const [n, f] of Object.entries(libs)) { for (let i = 0; i < 1000; i++) { const r = await f(i); if (!r) throw new Error(n); } }
  const samples = Object.fromEntries(Object.keys(libs).map((k) => [k, []]));
  const per = alg === 'HS256' ? 3000 : 600;
  for (let s = 0; s < Number(slices); s++) {
    for (const [n, f] of Object.entries(libs)) {
      const c0 = process.cpuUsage();
      for (let i = 0; i < per; i++) await f(i + s * 7);
      const c = process.cpuUsage(c0);
      samples[n].push((c.user + c.system) / per);
    }
  }
  const med = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };
  const m = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, med(v)]));
  const f = (x) => x.toFixed(2);
  console.log(`${alg.padEnd(6)} floor ${f(m.floor)}  A ${f(m.A)} (+${f(m.A - m.floor)})  B ${f(m.B)} (+${f(m.B - m.floor)})  fast-jwt ${f(m['fast-jwt'])} (+${f(m['fast-jwt'] - m.floor)})  | ops ratio A/fj ${f(m['fast-jwt'] / m.A)} B/fj ${f(m['fast-jwt'] / m.B)}  A/floor ${f(m.floor / m.A)} B/floor ${f(m.floor / m.B)}  B/A speed ${f(m.A / m.B)}`);
}
