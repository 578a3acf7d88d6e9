// An edge worker that verifies the reference server's access tokens before answering:
// `GET /v1/edge/resources` needs a Bearer token with the read:resources scope.
// Configuration comes from bindings: JWKS_URI, ISSUER, AUDIENCE and ALLOWED_ORIGIN (for CORS).
// wasm-auth/verify: the verifier without the browser client, a third smaller (80 KB gzip).
import { JwtVerifier } from 'wasm-auth/verify';

// One verifier per isolate, so its JWKS cache outlives single requests.
let verifier;

function cors(env) {
  return {
    'access-control-allow-origin': env.ALLOWED_ORIGIN,
    'access-control-allow-headers': 'authorization, x-api-key',
    'access-control-expose-headers': 'www-authenticate',
    vary: 'origin',
  };
}

function json(body, status, env) {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...cors(env) } });
}

export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    if (request.method === 'OPTIONS') return new Response(null, { status: 204, headers: cors(env) });
    if (pathname !== '/v1/edge/resources' || request.method !== 'GET') {
      return json({ error: 'not_found', error_description: 'try GET /v1/edge/resources' }, 404, env);
    }
    verifier ??= new JwtVerifier({ jwksUri: env.JWKS_URI, issuer: env.ISSUER, audience: env.AUDIENCE });
    const auth = await verifier.verifyRequest(request, { scopes: ['read:resources'] });
    if (!auth.ok) {
      const response = new Response(auth.response.body, auth.response);
      for (const [name, value] of Object.entries(cors(env))) response.headers.set(name, value);
      return response;
    }
    return json({
      verified_at: 'edge',
      sub: auth.payload.sub,
      scope: auth.payload.scope,
      alg: auth.protectedHeader?.alg,
      kid: auth.protectedHeader?.kid,
      resources: [{ id: 'edge-1', name: 'served from the edge after verifying the token' }],
    }, 200, env);
  },
};
