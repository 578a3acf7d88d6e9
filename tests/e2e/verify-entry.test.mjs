// `wasm-auth/verify`, the smaller module without the browser client, from the packed package:
// in Node (ESM, CommonJS, TypeScript) and in a workerd worker, on the same jose-signed cases as
// the full entry, so that the two builds cannot drift apart.
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { sizes } from '../../scripts/size.mjs';
import { wrongDecisions } from './fixtures/verify-assert.mjs';
import { attackCases, interopCases, reuseCases } from './fixtures/verify-cases.mjs';
import { makeProject, run, startProjectWorker, typecheck } from './helpers.mjs';

const BROWSER_CLIENT = ['TokenManager', 'ApiKeys', 'ApiKeyAuth', 'SessionClient', 'OAuthClient'];
const VERIFY_API = ['JwtVerifier', 'decodeUnverified', 'ClientCredentials', 'createPkce', 'pkceChallenge', 'version'];

let project;
let worker;

before(async () => {
  project = await makeProject('verify-entry', {
    'exports.mjs': `import * as api from 'wasm-auth/verify';\nconsole.log(JSON.stringify(Object.keys(api).sort()));\n`,
    'evaluate.mjs': `import { readFileSync } from 'node:fs';
import { JwtVerifier } from 'wasm-auth/verify';
import { evaluate } from './verify-evaluate.js';
console.log(JSON.stringify(await evaluate(JwtVerifier, JSON.parse(readFileSync(process.argv[2], 'utf8')))));\n`,
    'main.cjs': `const { pkceChallenge, version } = require('wasm-auth/verify');
console.log(JSON.stringify({ version: version(), challenge: pkceChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk') }));\n`,
    'check.ts': `import { JwtVerifier, ClientCredentials, decodeUnverified, type VerifyResult, type WasmAuthErrorCode } from 'wasm-auth/verify';
// @ts-expect-error the browser client is not part of wasm-auth/verify
import { TokenManager } from 'wasm-auth/verify';
const verifier = new JwtVerifier({ jwksUri: 'https://as.example/jwks', issuer: 'https://as.example', audience: 'api' });
const pending: Promise<VerifyResult> = verifier.verify('token');
// @ts-expect-error a misspelt option is a type error
new JwtVerifier({ secret: 'x', audiance: 'api' });
const service = new ClientCredentials({ tokenEndpoint: 'https://as.example/token', clientId: 'svc', clientSecret: 's' });
const token: Promise<string> = service.getToken();
const code: WasmAuthErrorCode = 'ERR_JWT_EXPIRED';
export { pending, token, code, decodeUnverified, TokenManager };
`,
    'worker.js': `import * as verify from 'wasm-auth/verify';
import { errorsProbe } from './errors-probe.js';
import { evaluate } from './verify-evaluate.js';
const { JwtVerifier } = verify;
export default {
  async fetch(request) {
    if (new URL(request.url).pathname === '/errors') return Response.json(await errorsProbe(verify));
    return Response.json(await evaluate(JwtVerifier, await request.json()));
  },
};\n`,
    'errors.mjs': `import * as verify from 'wasm-auth/verify';
import { errorsProbe } from './errors-probe.js';
console.log(JSON.stringify(await errorsProbe(verify)));\n`,
    'errors.cjs': `const verify = require('wasm-auth/verify');
const { errorsProbe } = require('./errors-probe.js');
errorsProbe(verify).then((probe) => console.log(JSON.stringify(probe)));\n`,
    'errors-check.ts': `import { WasmAuthError, isWasmAuthError, type WasmAuthErrorCode } from 'wasm-auth/verify';
function codeOf(e: unknown): WasmAuthErrorCode | undefined {
  if (e instanceof WasmAuthError) return e.code;
  return isWasmAuthError(e) ? e.code : undefined;
}
export { codeOf };
`,
  });
  cpSync(join(import.meta.dirname, 'fixtures', 'verify-evaluate.js'), join(project, 'verify-evaluate.js'));
  cpSync(join(import.meta.dirname, 'fixtures', 'errors-probe.js'), join(project, 'errors-probe.js'));
  worker = await startProjectWorker(project, 'verify/wasm_auth_verify_bg.wasm');
});

after(() => worker?.stop());

test('wasm-auth/verify exports the verifier, client credentials and PKCE, not the browser client', async () => {
  const { stdout } = await run('node', ['exports.mjs'], { cwd: project });
  const names = JSON.parse(stdout);
  for (const name of VERIFY_API) assert.ok(names.includes(name), `${name} missing`);
  for (const name of BROWSER_CLIENT) assert.ok(!names.includes(name), `${name} should not be there`);
});

test("wasm-auth/verify in Node: jose's decisions on every algorithm, the attacks, one verifier for many tokens", async () => {
  const cases = [...await interopCases(), ...await attackCases(), ...await reuseCases()];
  const file = join(project, 'cases.json');
  writeFileSync(file, JSON.stringify(cases));
  const { stdout } = await run('node', ['evaluate.mjs', file], { cwd: project, maxBuffer: 64 << 20 });
  assert.deepEqual(wrongDecisions(cases, JSON.parse(stdout)), []);
});

test("wasm-auth/verify inside workerd: jose's decisions on every algorithm, the attacks, one verifier for many tokens", async () => {
  const cases = [...await interopCases(), ...await attackCases(), ...await reuseCases()];
  const response = await fetch(worker.url, { method: 'POST', body: JSON.stringify(cases) });
  assert.equal(response.status, 200, worker.output());
  assert.deepEqual(wrongDecisions(cases, await response.json()), []);
});

test('CommonJS: require("wasm-auth/verify") works', async () => {
  const { stdout } = await run('node', ['main.cjs'], { cwd: project });
  assert.equal(JSON.parse(stdout).challenge, 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
});

test('TypeScript: wasm-auth/verify is typed (strict, no any) and has no browser-client types', async () => {
  await typecheck(project, 'check.ts');
  const installed = join(project, 'node_modules', 'wasm-auth', 'verify');
  for (const file of ['index.d.ts', 'wasm_auth.d.ts']) {
    const text = readFileSync(join(installed, file), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    assert.doesNotMatch(text, /\bany\b/, `verify/${file} mentions any`);
  }
});

test('the verify module is smaller than the full one', () => {
  const installed = join(project, 'node_modules', 'wasm-auth');
  const full = sizes(join(installed, 'wasm_auth_bg.wasm')).gzip;
  const small = sizes(join(installed, 'verify', 'wasm_auth_verify_bg.wasm')).gzip;
  assert.ok(small < full * 0.8, `verify/ is ${small} B gzip, the full module ${full} B`);
});

// Issue 18 item 3: wasm-auth/verify exports WasmAuthError too, and its errors are instances.
function assertVerifyErrors(probe, where) {
  assert.equal(probe.exported, true, where);
  assert.deepEqual(Object.keys(probe.errors), ['constructor', 'function', 'rejection', 'shim'], where);
  for (const [source, error] of Object.entries(probe.errors)) {
    assert.equal(error.instance && error.guard && error.isError, true, `${where} ${source}: ${error.message}`);
    assert.equal(error.name, 'WasmAuthError', `${where} ${source}`);
  }
  assert.deepEqual(probe.plain, [false, false, false, false, false], where);
}

test('wasm-auth/verify: every error is a WasmAuthError, in Node (ESM, CommonJS) and in workerd; typed', async () => {
  assertVerifyErrors(JSON.parse((await run('node', ['errors.mjs'], { cwd: project })).stdout), 'ESM');
  assertVerifyErrors(JSON.parse((await run('node', ['errors.cjs'], { cwd: project })).stdout), 'CommonJS');
  const response = await fetch(`${worker.url}/errors`);
  assert.equal(response.status, 200, worker.output());
  assertVerifyErrors(await response.json(), 'workerd');
  await typecheck(project, 'errors-check.ts');
});
