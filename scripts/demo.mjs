#!/usr/bin/env node
// `make demo`: the reference auth server (API + demo page + package) on PORT (8080) with its
// state in data/, a second instance of it on SHORT_PORT (8081) issuing 20-second access tokens
// (the page's short-lifetime mode), and the edge worker in workerd on EDGE_PORT (8787).
// Ctrl-C stops all three. The end-to-end suite (tests/e2e/demo.test.mjs) calls startDemo().
import { mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startEdgeWorker } from './edge-worker.mjs';
import { startReferenceServer } from './reference-server.mjs';

const root = resolve(import.meta.dirname, '..');

/**
 * The page the server serves: every entry of www/ linked (so edits show on reload) plus
 * demo-config.json, which tells the page where the short-lifetime server and the edge worker
 * run. Without that file (a plain `wasm-auth-server`), the page still works and says which
 * parts are unavailable.
 */
function preparePage(servedDir, wwwDir) {
  rmSync(servedDir, { recursive: true, force: true });
  mkdirSync(servedDir, { recursive: true });
  for (const name of readdirSync(wwwDir)) symlinkSync(join(wwwDir, name), join(servedDir, name));
}

/**
 * Starts the demo: the main reference server on host:port; the short-lifetime instance on
 * host:shortPort, sharing the main one's data directory (so its users, keys and signing key)
 * and its issuer, with `--access-ttl shortTtl`: its tokens are the main server's tokens with a
 * short life, accepted by both servers and by the edge worker; and the edge worker on
 * host:edgePort, trusting the main server's JWKS and origin. Ports may be 0 except edgePort.
 * Returns { url, shortUrl, edgeUrl, config, stop() }.
 */
export async function startDemo({
  dataDir = resolve(root, 'data'), host = '127.0.0.1', port = 8080, shortPort = 8081, edgePort = 8787,
  shortTtl = 20, wwwDir = resolve(root, 'www'), pkgDir = resolve(root, 'pkg'),
  servedDir = resolve(root, 'target', 'demo', 'www'), edgeOutDir = resolve(root, 'target', 'demo', 'edge-worker'),
} = {}) {
  preparePage(servedDir, wwwDir);
  const running = [];
  const stop = async () => { await Promise.all(running.map((s) => s.stop())); };
  try {
    const main = await startReferenceServer({ dataDir, port, wwwDir: servedDir, pkgDir, args: ['--bind', host, '--request-stats'] });
    running.push(main);
    const short = await startReferenceServer({
      dataDir, port: shortPort, wwwDir: servedDir, pkgDir,
      args: ['--bind', host, '--issuer', main.url, '--access-ttl', String(shortTtl), '--request-stats'],
    });
    running.push(short);
    const edge = await startEdgeWorker({ issuer: main.url, port: edgePort, host, allowedOrigin: main.url, outDir: edgeOutDir });
    running.push(edge);
    const config = {
      api: main.url,
      shortLived: { url: short.url, accessTtl: shortTtl },
      edge: { url: `${edge.url}/v1/edge/resources` },
    };
    writeFileSync(join(servedDir, 'demo-config.json'), `${JSON.stringify(config, null, 2)}\n`);
    return { url: main.url, shortUrl: short.url, edgeUrl: edge.url, config, servers: { main, short, edge }, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function main() {
  const host = process.env.BIND ?? '127.0.0.1';
  const demo = await startDemo({
    host,
    port: Number(process.env.PORT ?? 8080),
    shortPort: Number(process.env.SHORT_PORT ?? 8081),
    edgePort: Number(process.env.EDGE_PORT ?? 8787),
  });
  console.log(`
wasm-auth demo
  demo page and API:        ${demo.url}/
  short-lifetime instance:  ${demo.shortUrl}/v1  (${demo.config.shortLived.accessTtl}-second access tokens, same data)
  edge worker:              ${demo.config.edge.url}
  demo user:                user@example.com / securepassword
Open ${demo.url}/ in a browser. Ctrl-C stops all three.`);
  const stop = async () => {
    await demo.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await main();
