// One cold start, in a fresh `node` process (V8 caches compiled wasm per process): imports the
// library, builds a verifier and verifies one token; prints the phases in ms as JSON.
// Both libraries are imported by package name, from the node_modules next to this file (cold.mjs
// copies it into a throwaway project), so that each import costs what a user's does.
// argv: <library: wasm-auth | wasm-auth/verify | jose | fast-jwt | floor> <alg>
// env BENCH_COLD = JSON { token, jwk, pem (fast-jwt's key, not for HS256), issuer, audience }
const [lib, alg] = process.argv.slice(2);
const { token, jwk, pem, issuer, audience } = JSON.parse(process.env.BENCH_COLD);
const claims = { issuer, audience, algorithms: [alg] };
const secret = () => Buffer.from(jwk.k, 'base64url');

const t0 = performance.now();
let verify;
if (lib.startsWith('wasm-auth')) {
  // The package's Node entry (export condition "node"): read the .wasm, compile and instantiate
  // it synchronously.
  const { JwtVerifier } = await import(lib);
  var t1 = performance.now();
  const verifier = new JwtVerifier(alg === 'HS256' ? { secret: secret(), ...claims } : { jwk, ...claims });
  verify = () => verifier.verify(token);
} else if (lib === 'floor') {
  // An empty package: what importing any package by name costs, and nothing to verify.
  await import('empty-package');
  var t1 = performance.now();
  verify = async () => ({ payload: { sub: 'floor' } });
} else if (lib === 'fast-jwt') {
  const { createVerifier } = await import('fast-jwt');
  var t1 = performance.now();
  const verifier = createVerifier({ key: alg === 'HS256' ? secret() : pem, algorithms: [alg], allowedIss: issuer, allowedAud: audience });
  verify = async () => ({ payload: verifier(token) });
} else {
  const jose = await import('jose');
  var t1 = performance.now();
  const key = alg === 'HS256' ? secret() : await jose.importJWK(jwk, alg);
  verify = () => jose.jwtVerify(token, key, claims);
}
const { payload } = await verify();
const t2 = performance.now();
if (!payload.sub) throw new Error('not verified');
console.log(JSON.stringify({ load: t1 - t0, firstVerify: t2 - t1, total: t2 - t0 }));
