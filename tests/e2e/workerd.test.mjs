// The packed package in a module worker run by the real workerd runtime (npm `workerd`),
// answering HTTP on 127.0.0.1; bundled the way Wrangler does it (scripts/workerd.mjs).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { bundleWorker, startWorkerd } from '../../scripts/workerd.mjs';
import { assertProbe, freePort, makeProject } from './helpers.mjs';

let worker;

before(async () => {
  const project = await makeProject('workerd', {
    'worker.js': `import { probe } from './probe.js';
export default {
  async fetch(request) {
    return Response.json(probe());
  },
};\n`,
  });
  const config = await bundleWorker({
    entry: join(project, 'worker.js'),
    outDir: join(project, 'dist'),
    wasmFiles: [join(project, 'node_modules', 'wasm-auth', 'wasm_auth_bg.wasm')],
  });
  worker = await startWorkerd(config, { port: await freePort() });
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
