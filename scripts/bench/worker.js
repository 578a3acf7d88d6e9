// The benchmark worker (bundled by scripts/bench/workerd.mjs): it runs verify-suite.mjs inside
// the workerd isolate, one request per row, and answers JSON. The first request ('setup')
// brings the fixtures, which stay in module scope for the following requests.
import * as cfjwtModule from '@tsndr/cloudflare-worker-jwt';
import { Jwt as honoJwt } from 'hono/utils/jwt';
import * as jose from 'jose';
import * as wasmAuth from 'wasm-auth';
import { measureRow } from './verify-suite.mjs';

const cfjwt = cfjwtModule.default ?? cfjwtModule;
let setup;

export default {
  async fetch(request) {
    const body = await request.json();
    if (body.setup) {
      setup = body.setup;
      return Response.json({ ok: true, version: wasmAuth.version() });
    }
    const { row, rounds, roundMs } = body;
    // In-isolate clock; the host's clock is read over loopback before and after the row so the
    // runner can check that the isolate's timings are real elapsed time.
    const clock = { now: () => performance.now(), yieldIo: () => scheduler.wait(0) };
    const hostClock = async () => Number(await (await fetch(setup.clockUrl)).text());
    try {
      const h0 = await hostClock();
      const i0 = performance.now();
      const result = await measureRow(row, { wasmAuth, jose, cfjwt, honoJwt, fixtures: setup.fixtures, jwksUrl: setup.jwksUrl, honoJwksUrl: setup.honoJwksUrl },
        { rounds, roundMs, clock });
      const i1 = performance.now();
      const h1 = await hostClock();
      return Response.json({ ...result, isolateMs: i1 - i0, hostMs: h1 - h0 });
    } catch (e) {
      return Response.json({ error: `${e.code ?? ''} ${e.stack ?? e}` }, { status: 500 });
    }
  },
};
