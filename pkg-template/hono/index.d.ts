// Types of wasm-auth/hono (index.js). The verifier's types are wasm-auth/verify's.
import type { MiddlewareHandler } from 'hono';
import type { AuthOptions, DpopMode, JwtPayload, VerifiedRequest } from '../verify/index.js';

/**
 * The context variables the middleware sets, for `new Hono<{ Variables: AuthVariables }>()`
 * (as hono/jwt's `JwtVariables`): `jwtPayload`, the verified claims, and `auth`, the whole
 * verified request (`via`: "bearer", "dpop" or "api_key", `payload`, `protectedHeader`).
 */
export type AuthVariables = {
  jwtPayload: JwtPayload;
  auth: VerifiedRequest;
};

/** Per-use options: the scopes this route needs (403 insufficient_scope otherwise) and the challenge's realm. */
export interface AuthUse {
  /** Scopes the request needs (from `scope` or `scp`, or the API key's); not empty, no empty string. */
  scopes?: string[];
  /** The realm of the WWW-Authenticate challenge; default "wasm-auth". */
  realm?: string;
  /** The verifier's `dpop` mode for this use only: "required" refuses Bearer tokens, "off" the DPoP scheme. */
  dpop?: DpopMode;
}

/**
 * One verifier, built on the first request from `options` (an object, or a function of
 * `c.env`) and kept for the isolate; `auth(use?)` makes a middleware for one route or group.
 * A refused request is thrown as an HTTPException whose response is verifyRequest's 401/403/503.
 */
export declare function createAuth<Bindings extends object = object>(
  options: AuthOptions<Bindings>,
): (use?: AuthUse) => MiddlewareHandler<{ Bindings: Bindings; Variables: AuthVariables }>;
