// Shared by the end-to-end suites: throwaway projects that install the packed tarball, the
// static server, headless Chromium (Debian's, through playwright-core) and the probe check.
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { serveStatic } from '../../scripts/static-server.mjs';

export const root = resolve(import.meta.dirname, '../..');
export const run = promisify(execFile);
export { serveStatic };

/** The tarball `make test-e2e` packed from pkg/ (WASM_AUTH_TARBALL). */
export function tarball() {
  const path = process.env.WASM_AUTH_TARBALL;
  assert.ok(path, 'WASM_AUTH_TARBALL is not set: run the e2e suites through `make test-e2e`');
  return resolve(path);
}

export function packageVersion() {
  return JSON.parse(readFileSync(join(root, 'pkg', 'package.json'), 'utf8')).version;
}

/**
 * A new project under target/e2e/<name> (kept after the run, for inspection) with `files`
 * written into it and the tarball installed as an ordinary dependency.
 */
export async function makeProject(name, files) {
  const dir = join(root, 'target', 'e2e', name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `e2e-${name}`, private: true, type: 'module' }));
  cpSync(join(import.meta.dirname, 'fixtures', 'probe.js'), join(dir, 'probe.js'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  // Synchronous: spawnSync waits for npm itself. Once, under load, the async execFile never saw
  // npm exit (a zombie left unreaped, the suite stuck until --test-timeout).
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--prefer-offline', tarball()], { cwd: dir, stdio: 'pipe' });
  return dir;
}

/** Type-checks `file` in the project at `cwd` as a strict TypeScript user would (nodenext
 * resolution, so the package's `exports` and `types` are what tsc sees); fails with tsc's output. */
export async function typecheck(cwd, file) {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const args = ['--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext',
    '--target', 'es2022', '--lib', 'es2022,dom', file];
  const result = await run('node', [tsc, ...args], { cwd }).catch((e) => e);
  assert.equal(result.code ?? 0, 0, `tsc failed:\n${result.stdout}${result.stderr}`);
}

/**
 * Bundles the project's `worker.js` the way Wrangler does (scripts/workerd.mjs) with the
 * installed package's wasm module (`wasm`: its path inside the package) and starts it in
 * workerd on a free port. Returns startWorkerd's handle.
 */
export async function startProjectWorker(project, wasm = 'wasm_auth_bg.wasm') {
  const { bundleWorker, startWorkerd } = await import('../../scripts/workerd.mjs');
  const config = await bundleWorker({
    entry: join(project, 'worker.js'),
    outDir: join(project, 'dist'),
    wasmFiles: [join(project, 'node_modules', 'wasm-auth', wasm)],
  });
  return startWorkerd(config, { port: await freePort() });
}

/**
 * The browser client's test page (fixtures/client-page: `window.wa` is the package installed
 * into target/e2e/<name>) served from an origin of its own and open in headless Chromium.
 * Resolves to { page, site, close() }.
 */
export async function openClientPage(name) {
  const project = await makeProject(name, {});
  const site = await serveStatic({
    '/': join(import.meta.dirname, 'fixtures', 'client-page'),
    '/pkg/': join(project, 'node_modules', 'wasm-auth'),
  });
  const browser = await launchChromium();
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${site.url}/index.html`);
  await page.waitForFunction(() => window.ready === true, null, { timeout: 15_000 });
  return { page, site, close: async () => { await browser.close(); await site.close(); } };
}

/** A TCP port that was free a moment ago, for servers that cannot be told to pick one. */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/** Debian's headless Chromium, with the flags a root user on a closed network needs
 * (no sandbox as root; no background networking, whose connections are refused here). */
export async function launchChromium() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'],
  });
}

/**
 * Opens `url` and returns what the page stored in `window.__probe`; page errors and failed
 * requests fail the test with their message instead of a bare timeout.
 */
export async function probePage(browser, url) {
  const page = await browser.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && problems.push(`console error: ${m.text()}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  page.on('response', (r) => r.status() >= 400 && problems.push(`HTTP ${r.status()}: ${r.url()}`));
  try {
    await page.goto(url);
    await page.waitForFunction(() => window.__probe !== undefined, null, { timeout: 15_000 })
      .catch((e) => { throw new Error(`${e.message}\n${problems.join('\n')}`); });
    assert.deepEqual(problems, []);
    return await page.evaluate(() => window.__probe);
  } finally {
    await page.close();
  }
}

const base64urlSha256 = (text) => createHash('sha256').update(text).digest('base64url');

/** What every consumer must see from tests/e2e/fixtures/probe.js. */
export function assertProbe(result) {
  assert.equal(result.version, packageVersion());
  for (const pair of [result.first, result.second]) {
    assert.match(pair.codeVerifier, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(pair.codeChallenge, base64urlSha256(pair.codeVerifier), 'challenge = BASE64URL(SHA256(verifier))');
    assert.equal(pair.codeChallengeMethod, 'S256');
  }
  assert.notEqual(result.first.codeVerifier, result.second.codeVerifier);
  assert.equal(result.rfc7636, 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  assert.equal(result.error?.isError, true, 'a bad verifier throws an Error');
  assert.equal(result.error.name, 'WasmAuthError');
  assert.equal(result.error.code, 'ERR_OAUTH_INVALID_CODE_VERIFIER');
  assert.doesNotMatch(result.error.message, /too-short/, 'messages do not echo input');
}

/**
 * Edits the OAuth transaction the package keeps in the page's sessionStorage (the only thing it
 * stores), as an attacker or a stale tab would: `fields` replace values, `olderByMs` ages it.
 */
export function editOAuthTransaction(page, { fields = {}, olderByMs = 0 }) {
  return page.evaluate(([replace, older]) => {
    const key = Object.keys(sessionStorage)[0];
    const tx = { ...JSON.parse(sessionStorage.getItem(key)), ...replace };
    tx.created_at -= older;
    sessionStorage.setItem(key, JSON.stringify(tx));
  }, [fields, olderByMs]);
}

/**
 * Runs `page(url)` against a Vite dev server (`vite`: its bin script) started in `cwd` on a free
 * port, once the server answers; stops the server after, and adds its output to a failure.
 */
export async function withViteDev(vite, cwd, page) {
  const port = await freePort();
  const dev = spawn('node', [vite, '--host', '127.0.0.1', '--port', String(port), '--strictPort'],
    { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  dev.stdout.on('data', (d) => { output += d; });
  dev.stderr.on('data', (d) => { output += d; });
  try {
    const url = `http://127.0.0.1:${port}/index.html`;
    for (let i = 0; ; i++) {
      const ok = await fetch(url).then((r) => r.ok, () => false);
      if (ok) break;
      assert.ok(i < 200 && dev.exitCode === null, `vite dev did not start:\n${output}`);
      await sleep(100);
    }
    return await page(url);
  } catch (e) {
    e.message += `\nvite output:\n${output}`;
    throw e;
  } finally {
    dev.kill();
  }
}
