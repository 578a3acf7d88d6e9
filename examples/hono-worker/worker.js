// A Hono app in an edge worker that verifies the reference server's access tokens with
// wasm-auth/hono: `GET /v1/edge/me` needs any valid token, `GET /v1/edge/resources` a token
// with the read:resources scope. Configuration comes from bindings: JWKS_URI, ISSUER, AUDIENCE
// and ALLOWED_ORIGIN (for CORS).
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { createAuth } from 'wasm-auth/hono';

// One verifier for the whole app, built on the first request from the bindings (env only
// exists per request) and kept for the isolate, so its JWKS cache outlives single requests.
const auth = createAuth((env) => ({ jwksUri: env.JWKS_URI, issuer: env.ISSUER, audience: env.AUDIENCE }));

const app = new Hono();

// Refusals (401/403/503 with WWW-Authenticate) keep the CORS headers too.
app.use('*', cors({
  origin: (origin, c) => c.env.ALLOWED_ORIGIN,
  allowHeaders: ['authorization', 'x-api-key'],
  exposeHeaders: ['www-authenticate'],
}));

app.get('/v1/edge/me', auth(), (c) => {
  const payload = c.get('jwtPayload');
  return c.json({ sub: payload.sub, via: c.get('auth').via });
});

app.get('/v1/edge/resources', auth({ scopes: ['read:resources'] }), (c) => c.json({
  verified_at: 'edge',
  sub: c.get('jwtPayload').sub,
  scope: c.get('jwtPayload').scope,
  alg: c.get('auth').protectedHeader?.alg,
  resources: [{ id: 'edge-1', name: 'served from the edge after verifying the token' }],
}));

app.notFound((c) => c.json({ error: 'not_found', error_description: 'try GET /v1/edge/resources' }, 404));

export default app;
