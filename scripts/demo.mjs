#!/usr/bin/env node
// `make demo`: the reference auth server (API + demo page + package) on PORT (8080) with its
// state in data/, and the edge worker in workerd on EDGE_PORT (8787). Ctrl-C stops both.
import { resolve } from 'node:path';
import { startEdgeWorker } from './edge-worker.mjs';
import { startReferenceServer } from './reference-server.mjs';

const root = resolve(import.meta.dirname, '..');
const host = process.env.BIND ?? '127.0.0.1';
const port = Number(process.env.PORT ?? 8080);
const edgePort = Number(process.env.EDGE_PORT ?? 8787);

const server = await startReferenceServer({ dataDir: resolve(root, 'data'), port, args: ['--bind', host] });
let edge;
try {
  edge = await startEdgeWorker({ issuer: server.url, port: edgePort, host });
} catch (error) {
  await server.stop();
  throw error;
}
console.log(`
wasm-auth demo
  demo page and API:  ${server.url}/
  edge worker:        ${edge.url}/v1/edge/resources
  demo user:          user@example.com / securepassword
Ctrl-C stops both.`);

const stop = async () => {
  await Promise.all([edge.stop(), server.stop()]);
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
