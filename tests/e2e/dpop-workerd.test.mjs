// DPoP at the resource server (RFC 9449) inside the real workerd runtime: a worker of the full
// module and one of wasm-auth/verify, each keeping its JwtVerifiers in module scope
// (fixtures/dpop-handler.js, with a KV-shaped replay store and a nonce hook), answer requests
// whose proofs oauth4webapi makes in the test (fixtures/dpop-cases.mjs: every check and refusal).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';
import { dpopCases, dpopKeys } from './fixtures/dpop-cases.mjs';
import { freePort, makeProject } from './helpers.mjs';

const handlerText = readFileSync(join(import.meta.dirname, 'fixtures', 'dpop-handler.js'), 'utf8');
const ENTRIES = [
  { name: 'full', specifier: 'wasm-auth', wasm: 'wasm_auth_bg.wasm' },
  { name: 'verify', specifier: 'wasm-auth/verify', wasm: join('verify', 'wasm_auth_verify_bg.wasm') },
];

let project;
let keys;
const workers = {};

before(async () => {
  keys = await dpopKeys();
  const files = { 'handler.js': handlerText };
  for (const { name, specifier } of ENTRIES) {
    files[`worker-${name}.js`] = `import { JwtVerifier } from '${specifier}';
import { makeHandler } from './handler.js';
const handle = makeHandler(JwtVerifier, ${JSON.stringify(keys.asJwk)});
export default { fetch: (request) => handle(request) };\n`;
  }
  project = await makeProject('dpop-workerd', files);
  const { bundleWorker, startWorkerd } = await import('../../scripts/workerd.mjs');
  for (const { name, wasm } of ENTRIES) {
    const config = await bundleWorker({
      entry: join(project, `worker-${name}.js`),
      outDir: join(project, 'dist', name),
      wasmFiles: [join(project, 'node_modules', 'wasm-auth', wasm)],
    });
    workers[name] = await startWorkerd(config, { port: await freePort() });
  }
});

after(async () => {
  for (const worker of Object.values(workers)) await worker.stop();
});

for (const { name, specifier } of ENTRIES) {
  describe(`${specifier} in workerd`, () => {
    dpopCases(() => ({ url: (path) => `${workers[name].url}${path}`, keys }));
  });
}
