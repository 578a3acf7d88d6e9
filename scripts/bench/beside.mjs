// Each verifier's cost beside the signature check (issue 17.1 and 17.5): its time per token
// minus the time per token of the bare signature check it is built on, in µs, from the same
// rows (same run, same tokens) as the ops/s tables; and wasm-auth's ratios to its peers.
//
// The floor a library is charged against is the platform call its signature check makes: in
// Node, node:crypto's synchronous verify (or createHmac) for wasm-auth (node:crypto for RS/PS/
// ES/EdDSA; its HS* goal is node:crypto's HMAC) and fast-jwt; crypto.subtle.verify for jose,
// hono and cf-worker-jwt. Inside workerd every library's floor is crypto.subtle.verify.

const LIBS = ['wasm-auth', 'jose', 'fast-jwt', 'fast-jwt cache', 'hono', 'cf-worker-jwt'];
const ON_NODE_CRYPTO = new Set(['wasm-auth', 'fast-jwt', 'fast-jwt cache']);
/** Issue 17.1's goal: at most this many µs per token beside the signature check. */
export const GOAL_BESIDE_US = 2;

const us = (opsPerSecond) => (opsPerSecond ? 1e6 / opsPerSecond : undefined);

/** { [lib]: µs per token beside its floor } of one measured row. */
export function beside({ ops }) {
  const out = {};
  for (const lib of LIBS) {
    if (ops[lib] == null) continue;
    const floor = ON_NODE_CRYPTO.has(lib) && ops['node:crypto'] != null ? ops['node:crypto'] : ops.floor;
    out[lib] = us(ops[lib]) - us(floor);
  }
  return out;
}

const fmtUs = (x) => (x == null || !Number.isFinite(x) ? '' : x.toFixed(2));
const fmtRatio = (x) => (x == null || !Number.isFinite(x) ? '' : `${x.toFixed(2)}x`);

/** The µs-beside table of `rows` (from node.mjs or workerd.mjs); returns the lines. */
export function besideTable(title, rows) {
  const libs = LIBS.filter((lib) => rows.some(({ ops }) => ops[lib] != null));
  const withNode = rows.some(({ ops }) => ops['node:crypto'] != null);
  const peers = libs.filter((lib) => lib !== 'wasm-auth');
  const head = ['row', 'wa µs/token', ...libs.map((lib) => `${lib} +µs`), 'subtle µs', ...(withNode ? ['node:crypto µs'] : []),
    ...peers.map((lib) => `wa/${lib}`), `wa +µs <= ${GOAL_BESIDE_US}`];
  const body = rows.map((row) => {
    const { ops } = row;
    const extra = beside(row);
    const wa = ops['wasm-auth'];
    return [row.row, fmtUs(us(wa)), ...libs.map((lib) => fmtUs(extra[lib])), fmtUs(us(ops.floor)),
      ...(withNode ? [fmtUs(us(ops['node:crypto']))] : []),
      ...peers.map((lib) => fmtRatio(wa / ops[lib])),
      extra['wasm-auth'] <= GOAL_BESIDE_US ? 'met' : 'MISSED'];
  });
  const widths = head.map((h, c) => Math.max(h.length, ...body.map((r) => r[c].length)));
  const line = (cells) => cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  return [title, line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line),
    `(+µs: time per token minus that of the signature check the library makes: node:crypto for ${[...ON_NODE_CRYPTO].join(', ')} ` +
    `where it ran, crypto.subtle.verify for the others; wa/x: wasm-auth's ops/s over x's, same run)`];
}
