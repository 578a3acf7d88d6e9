// The worker of ab-workerd.mjs: builds a row's verifiers (verify-suite.mjs's makeRow) on the
// first request for it, then each request runs `n` sequential verifications of one library and
// answers when done; the host charges the workerd process's CPU time to that library.
import * as cfjwtModule from '@tsndr/cloudflare-worker-jwt';
import { Jwt as honoJwt } from 'hono/utils/jwt';
import * as jose from 'jose';
import * as wasmAuth from 'wasm-auth';
import { makeRow } from './verify-suite.mjs';

const cfjwt = cfjwtModule.default ?? cfjwtModule;
let setup;
const rows = new Map();
const next = new Map();

export default {
  async fetch(request) {
    const body = await request.json();
    if (body.setup) {
      setup = body.setup;
      return Response.json({ ok: true });
    }
    const { row, lib, n } = body;
    try {
      if (!rows.has(row)) rows.set(row, await makeRow(row, { wasmAuth, jose, cfjwt, honoJwt, fixtures: setup.fixtures }));
      const run = rows.get(row)[lib];
      let i = next.get(`${row}/${lib}`) ?? 0;
      for (let k = 0; k < n; k++) if (!(await run(i++))) throw new Error(`${lib} refused a token`);
      next.set(`${row}/${lib}`, i);
      return Response.json({ ok: true });
    } catch (e) {
      return Response.json({ error: `${e.code ?? ''} ${e.stack ?? e}` }, { status: 500 });
    }
  },
};
