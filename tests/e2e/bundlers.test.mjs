// The packed package in the bundlers SPA teams run, each with its default configuration (or,
// where a tool cannot work without one, exactly the line the README gives), loaded in Chromium
// (issue 18). Every page bundles the full package and `wasm-auth/verify` (fixtures/bundler-main.js):
// two .wasm assets of different names, objects made before the modules are loaded, the probe.
// Vite 8 is tests/e2e/vite.test.mjs. `make test` runs one version per tool (Vite 6, the oldest
// default target that refused the old entry, webpack 5, Rollup, esbuild); `make test-bundlers`
// sets WASM_AUTH_BUNDLERS=all for Vite 5 and 7 as well.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { assertProbe, freePort, launchChromium, makeProject, probePage, root, run, serveStatic, withViteDev } from './helpers.mjs';

const ALL = process.env.WASM_AUTH_BUNDLERS === 'all';
const bin = (...path) => join(root, 'node_modules', ...path);

// An HS256 token both modules verify (sub: "bundled").
const SECRET = 'wasm-auth bundler test secret, 32+ bytes';
function hs256(payload) {
  const part = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(payload)}`;
  return `${input}.${createHmac('sha256', SECRET).update(input).digest('base64url')}`;
}
const TOKEN = hs256({ sub: 'bundled', exp: Math.floor(Date.now() / 1000) + 3600 });

/** The page's sources, under `dir` of the project, the entry named `entry`. */
function pageSources(dir = '.', entry = 'main.js') {
  return {
    [join(dir, entry)]: readFileSync(join(import.meta.dirname, 'fixtures', 'bundler-main.js'), 'utf8'),
    [join(dir, 'probe.js')]: readFileSync(join(import.meta.dirname, 'fixtures', 'probe.js'), 'utf8'),
    [join(dir, 'token.js')]: `export const SECRET = ${JSON.stringify(SECRET)};\nexport const TOKEN = ${JSON.stringify(TOKEN)};\n`,
  };
}
const html = (script) => `<!doctype html>
<meta charset="utf-8">
<link rel="icon" href="data:,">
<title>wasm-auth bundled</title>
${script}\n`;

function assertBundledPage(result) {
  assert.equal(result.failed, undefined, result.failed);
  assertProbe(result);
  assert.deepEqual(result.bundled, {
    beforeReady: 'ERR_AUTH_NOT_READY',
    full: 'bundled',
    verifyOnly: 'bundled',
    refusal: 'ERR_AUTH_INVALID_OPTIONS',
  });
}

/** The .wasm files under `dir`: one per module, with different names. */
function assertTwoWasmAssets(dir) {
  const found = [];
  const walk = (d) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(d, entry.name));
      else if (entry.name.endsWith('.wasm')) found.push(entry.name);
    }
  };
  walk(dir);
  assert.equal(found.length, 2, `.wasm files: ${found.join(', ')}`);
  assert.notEqual(found[0], found[1]);
}

let browser;
before(async () => { browser = await launchChromium(); });
after(() => browser?.close());

async function probeServed(dir, page = 'index.html') {
  const server = await serveStatic({ '/': dir });
  try {
    assertBundledPage(await probePage(browser, `${server.url}/${page}`));
  } finally {
    await server.close();
  }
}

const vites = [['vite6', '6.4'], ...(ALL ? [['vite5', '5.4'], ['vite7', '7.3']] : [])];
for (const [pkg, version] of vites) {
  describe(`Vite ${version}, no config`, () => {
    const vite = bin(pkg, 'bin', 'vite.js');
    let project;
    before(async () => {
      project = await makeProject(`bundler-${pkg}`, {
        ...pageSources(),
        'index.html': html('<script type="module" src="./main.js"></script>'),
      });
    });

    test('vite build: two .wasm assets, and the page works', async () => {
      await run('node', [vite, 'build', '--logLevel', 'warn'], { cwd: project });
      assertTwoWasmAssets(join(project, 'dist'));
      await probeServed(join(project, 'dist'));
    });

    test('vite dev server: the pre-bundled package finds its .wasm', async () => {
      await withViteDev(vite, project, async (url) => assertBundledPage(await probePage(browser, url)));
    });
  });
}

test('webpack 5, no config (src/index.js to dist/main.js)', async () => {
  const project = await makeProject('bundler-webpack', pageSources('src', 'index.js'));
  await run('node', [bin('webpack-cli', 'bin', 'cli.js')], { cwd: project });
  const dist = join(project, 'dist');
  writeFileSync(join(dist, 'index.html'), html('<script src="main.js"></script>'));
  assertTwoWasmAssets(dist);
  await probeServed(dist);
});

test("Rollup with the README's plugins: node-resolve and import-meta-assets", async () => {
  const project = await makeProject('bundler-rollup', {
    ...pageSources(),
    // The README's rollup.config.mjs.
    'rollup.config.mjs': `import { nodeResolve } from '@rollup/plugin-node-resolve';
import { importMetaAssets } from '@web/rollup-plugin-import-meta-assets';

export default {
  input: 'main.js',
  output: { dir: 'dist', format: 'es' },
  plugins: [nodeResolve(), importMetaAssets()],
};\n`,
  });
  // The plugins, as if installed in the project.
  for (const plugin of [['@rollup', 'plugin-node-resolve'], ['@web', 'rollup-plugin-import-meta-assets']]) {
    mkdirSync(join(project, 'node_modules', plugin[0]), { recursive: true });
    symlinkSync(bin(...plugin), join(project, 'node_modules', ...plugin), 'dir');
  }
  await run('node', [bin('rollup', 'dist', 'bin', 'rollup'), '-c', '--silent'], { cwd: project });
  const dist = join(project, 'dist');
  writeFileSync(join(dist, 'index.html'), html('<script type="module" src="main.js"></script>'));
  assertTwoWasmAssets(dist);
  await probeServed(dist);
});

test("esbuild's defaults (an iife bundle), with the README's copy of the .wasm files next to it", async () => {
  const project = await makeProject('bundler-esbuild', pageSources());
  await run(bin('.bin', 'esbuild'), ['main.js', '--bundle', '--outfile=dist/main.js', '--log-level=error'], { cwd: project });
  const dist = join(project, 'dist');
  // The README's line: cp node_modules/wasm-auth/wasm_auth_bg.wasm node_modules/wasm-auth/verify/wasm_auth_verify_bg.wasm dist/
  for (const file of ['wasm_auth_bg.wasm', 'verify/wasm_auth_verify_bg.wasm']) {
    copyFileSync(join(project, 'node_modules', 'wasm-auth', file), join(dist, basename(file)));
  }
  writeFileSync(join(dist, 'index.html'), html('<script src="main.js"></script>'));
  await probeServed(dist);
});

test('a workerd worker bundling both modules gets two wasm modules, and both verify', async () => {
  const project = await makeProject('bundler-workerd-both', {
    ...pageSources(),
    'worker.js': `import { JwtVerifier } from 'wasm-auth';
import { JwtVerifier as VerifyOnlyVerifier } from 'wasm-auth/verify';
import { SECRET, TOKEN } from './token.js';
export default {
  async fetch() {
    const full = await new JwtVerifier({ secret: SECRET }).verify(TOKEN);
    const verifyOnly = await new VerifyOnlyVerifier({ secret: SECRET }).verify(TOKEN);
    return Response.json([full.payload.sub, verifyOnly.payload.sub]);
  },
};\n`,
  });
  const { bundleWorker, startWorkerd } = await import('../../scripts/workerd.mjs');
  const installed = join(project, 'node_modules', 'wasm-auth');
  const wasmFiles = [join(installed, 'wasm_auth_bg.wasm'), join(installed, 'verify', 'wasm_auth_verify_bg.wasm')];
  const config = await bundleWorker({ entry: join(project, 'worker.js'), outDir: join(project, 'dist'), wasmFiles });
  const bundle = readFileSync(join(project, 'dist', 'worker.js'), 'utf8');
  assert.match(bundle, /from "\.\/wasm_auth_bg\.wasm"/);
  assert.match(bundle, /from "\.\/wasm_auth_verify_bg\.wasm"/);
  const worker = await startWorkerd(config, { port: await freePort() });
  try {
    const response = await fetch(worker.url);
    assert.equal(response.status, 200, worker.output());
    assert.deepEqual(await response.json(), ['bundled', 'bundled']);
  } finally {
    await worker.stop();
  }
});
