// The cached workload inside workerd (bundled by cached.mjs, with nodejs_compat for fast-jwt's
// node:crypto): the first request brings the fixtures, then one request per row.
import { createVerifier } from 'fast-jwt';
import * as jose from 'jose';
import * as wasmAuth from 'wasm-auth';
import { measureCachedRow } from './cached-suite.mjs';

let fixtures;

export default {
  async fetch(request) {
    const body = await request.json();
    if (body.setup) {
      fixtures = body.setup;
      return Response.json({ ok: true });
    }
    const clock = { now: () => performance.now(), yieldIo: () => scheduler.wait(0) };
    // Without fast-jwt when the runner found it cannot run here (it says why).
    const env = { wasmAuth, jose, createVerifier: body.withoutFastJwt ? undefined : createVerifier, fixtures };
    try {
      return Response.json(await measureCachedRow(body.row, env, { ...body.timing, clock }));
    } catch (e) {
      return Response.json({ error: `${e.code ?? ''} ${e.stack ?? e}` }, { status: 500 });
    }
  },
};
