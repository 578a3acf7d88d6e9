// The packed package in a module worker run by the real workerd runtime (npm `workerd`),
// answering HTTP on 127.0.0.1; bundled the way Wrangler does it (scripts/workerd.mjs).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { cpSync } from 'node:fs';
import { wrongDecisions } from './fixtures/verify-assert.mjs';
import { attackCases, interopCases, reuseCases } from './fixtures/verify-cases.mjs';
import { wrongWycheproof, wycheproofCases } from './fixtures/wycheproof-cases.mjs';
import { assertProbe, makeProject, startProjectWorker } from './helpers.mjs';

let worker;

before(async () => {
  const project = await makeProject('workerd', {
    'worker.js': `import * as wa from 'wasm-auth';
import { errorsProbe } from './errors-probe.js';
import { probe } from './probe.js';
import { evaluate } from './verify-evaluate.js';
const { JwtVerifier } = wa;
export default {
  async fetch(request) {
    if (new URL(request.url).pathname === '/errors') return Response.json(await errorsProbe(wa));
    if (request.method === 'POST') return Response.json(await evaluate(JwtVerifier, await request.json()));
    return Response.json(probe());
  },
};\n`,
  });
  cpSync(join(import.meta.dirname, 'fixtures', 'verify-evaluate.js'), join(project, 'verify-evaluate.js'));
  cpSync(join(import.meta.dirname, 'fixtures', 'errors-probe.js'), join(project, 'errors-probe.js'));
  worker = await startProjectWorker(project);
});

after(() => worker?.stop());

test('a workerd module worker imports wasm-auth and answers over HTTP', async () => {
  const response = await fetch(worker.url);
  assert.equal(response.status, 200, worker.output());
  assertProbe(await response.json());
});

test('each request gets fresh randomness inside the isolate', async () => {
  const [a, b] = await Promise.all([1, 2].map(() => fetch(worker.url).then((r) => r.json())));
  assert.notEqual(a.first.codeVerifier, b.first.codeVerifier);
});

test("JwtVerifier inside the isolate: jose's decisions on every algorithm, the attack suite, and one verifier for many tokens", async () => {
  const cases = [...await interopCases(), ...await attackCases(), ...await reuseCases()];
  const response = await fetch(worker.url, { method: 'POST', body: JSON.stringify(cases) });
  assert.equal(response.status, 200, worker.output());
  assert.deepEqual(wrongDecisions(cases, await response.json()), []);
});

test('the Wycheproof JWS and JWK vectors inside the isolate', async () => {
  const cases = wycheproofCases();
  const response = await fetch(worker.url, { method: 'POST', body: JSON.stringify(cases) });
  assert.equal(response.status, 200, worker.output());
  assert.deepEqual(wrongWycheproof(cases, await response.json()), []);
});

test('inside workerd every error is a WasmAuthError; the browser client speaks the caller\'s language there too', async () => {
  const response = await fetch(`${worker.url}/errors`);
  assert.equal(response.status, 200, worker.output());
  const probe = await response.json();
  assert.equal(probe.exported, true);
  assert.deepEqual(Object.keys(probe.errors), ['constructor', 'function', 'rejection', 'shim', 'getToken', 'fetchPath', 'disposed']);
  for (const [source, error] of Object.entries(probe.errors)) {
    assert.equal(error.instance && error.guard && error.isError, true, `${source}: ${error.message}`);
    assert.equal(error.name, 'WasmAuthError', source);
  }
  assert.equal(probe.errors.getToken.message, 'not logged in: call login() or restore() first');
  assert.equal(probe.errors.fetchPath.code, 'ERR_AUTH_INVALID_OPTIONS');
  assert.deepEqual(probe.plain, [false, false, false, false, false]);
  assert.equal(probe.claimsLoggedOut, null);
});
