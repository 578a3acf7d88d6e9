// Runs a module worker that imports wasm-auth in the real workerd runtime (npm `workerd`),
// for the end-to-end tests and `make demo`. The worker is bundled as Wrangler does it: esbuild
// with the "workerd" export condition, each .wasm import kept as its own compiled-wasm module.
import { spawn } from 'node:child_process';
import { copyFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const require = createRequire(import.meta.url);
// The npm package's main export is the path of the platform binary: spawning it directly (not
// the node wrapper in .bin) lets kill() stop the runtime itself.
const { default: workerdBinary, compatibilityDate } = require('workerd');

/**
 * Bundles `entry` into `outDir` with workerd.capnp beside it. `wasmFiles` are the .wasm files
 * the bundle imports ('./name.wasm'); they are copied next to it and listed as wasm modules.
 * `bindings` become text bindings (env.NAME). Outbound fetch may reach loopback, where the
 * reference server runs.
 */
export async function bundleWorker({ entry, outDir, wasmFiles, bindings = {} }) {
  const esbuild = await import('esbuild');
  try {
    await esbuild.build({
      entryPoints: [entry],
      outfile: join(outDir, 'worker.js'),
      bundle: true,
      format: 'esm',
      platform: 'neutral',
      conditions: ['workerd', 'worker', 'browser'],
      external: ['*.wasm'],
      logLevel: 'warning',
      // wasm-bindgen's glue lists the same inline_js snippet once per imported function, all
      // the same module namespace; esbuild warns about the repeated key, which is harmless.
      logOverride: { 'duplicate-object-key': 'silent' },
    });
  } finally {
    await esbuild.stop(); // its service process would keep Node alive
  }
  const wasmModules = wasmFiles.map((file) => {
    copyFileSync(file, join(outDir, basename(file)));
    return `    (name = "${basename(file)}", wasm = embed "${basename(file)}"),\n`;
  });
  const textBindings = Object.entries(bindings).map(([name, value]) => `    (name = ${JSON.stringify(name)}, text = ${JSON.stringify(String(value))}),\n`);
  writeFileSync(join(outDir, 'workerd.capnp'), `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "main", worker = .worker),
    (name = "internet", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:8787", http = (), service = "main")],
);
const worker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "worker.js"),
${wasmModules.join('')}  ],
  bindings = [
${textBindings.join('')}  ],
  globalOutbound = "internet",
  compatibilityDate = "${compatibilityDate}",
);\n`);
  return join(outDir, 'workerd.capnp');
}

/**
 * Starts workerd on `config` listening on host:port and resolves once it answers HTTP.
 * Returns { url, process, output(), stop() }.
 */
export async function startWorkerd(config, { host = '127.0.0.1', port, startupMs = 20_000 } = {}) {
  const child = spawn(workerdBinary, ['serve', basename(config), '--socket-addr', `http=${host}:${port}`],
    { cwd: dirname(resolve(config)), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const url = `http://${host}:${port}`;
  const deadline = Date.now() + startupMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`workerd exited with ${child.exitCode}:\n${output}`);
    try {
      await fetch(url, { signal: AbortSignal.timeout(2_000) });
      break;
    } catch (e) {
      if (Date.now() > deadline) {
        child.kill();
        throw new Error(`workerd did not answer on ${url}: ${e.message}\n${output}`);
      }
      await sleep(100);
    }
  }
  return {
    url,
    process: child,
    output: () => output,
    stop: () => new Promise((done) => {
      if (child.exitCode !== null) return done();
      child.once('exit', () => done());
      child.kill();
    }),
  };
}
