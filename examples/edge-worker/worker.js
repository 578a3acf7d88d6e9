// An edge worker that verifies the reference server's access tokens before answering:
// `GET /v1/edge/resources` needs a Bearer token with the read:resources scope.
// Configuration comes from bindings: JWKS_URI, ISSUER, AUDIENCE and ALLOWED_ORIGIN (for CORS).
// wasm-auth/verify: the verifier without the browser client, a third smaller (80 KB gzip).
import { withAuth } from 'wasm-auth/verify';

// withAuth builds one verifier per isolate, on the first request, from the bindings (env only
// exists per request), so its JWKS cache outlives single requests. A refused request gets
// verifyRequest's 401/403/503 with WWW-Authenticate and never reaches the handler.
const resources = withAuth(
  (request, env, ctx, auth) => json({
    verified_at: 'edge',
    sub: auth.payload.sub,
    scope: auth.payload.scope,
    alg: auth.protectedHeader?.alg,
    kid: auth.protectedHeader?.kid,
    resources: [{ id: 'edge-1', name: 'served from the edge after verifying the token' }],
  }, 200),
  (env) => ({ jwksUri: env.JWKS_URI, issuer: env.ISSUER, audience: env.AUDIENCE }),
  { scopes: ['read:resources'] },
);

function cors(env) {
  return {
    'access-control-allow-origin': env.ALLOWED_ORIGIN,
    'access-control-allow-headers': 'authorization, x-api-key',
    'access-control-expose-headers': 'www-authenticate',
    vary: 'origin',
  };
}

function json(body, status) {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

// Every answer, refusals included, carries the CORS headers (the demo page reads them).
function withCors(response, env) {
  const answer = new Response(response.body, response);
  for (const [name, value] of Object.entries(cors(env))) answer.headers.set(name, value);
  return answer;
}

export default {
  async fetch(request, env, ctx) {
    const { pathname } = new URL(request.url);
    if (request.method === 'OPTIONS') return new Response(null, { status: 204, headers: cors(env) });
    if (pathname !== '/v1/edge/resources' || request.method !== 'GET') {
      return withCors(json({ error: 'not_found', error_description: 'try GET /v1/edge/resources' }, 404), env);
    }
    return withCors(await resources(request, env, ctx), env);
  },
};
