// Words for codes: wasm-auth's error codes (the README's table), OAuth error codes, claims.

export const ERROR_MEANINGS = {
  ERR_AUTH_CRYPTO_UNAVAILABLE: 'This browser has no crypto.getRandomValues, so no secret can be generated.',
  ERR_OAUTH_INVALID_CODE_VERIFIER: 'The PKCE verifier breaks RFC 7636 section 4.1 (43 to 128 unreserved characters).',
  ERR_JWS_INVALID: 'This is not a well-formed JWT (compact JWS): check its three dot-separated base64url parts, its header JSON and its size.',
  ERR_JWT_INVALID: 'The token\'s payload is not a JSON object of claims (or repeats a member).',
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: 'The signature does not match: the token was altered, or signed by another key.',
  ERR_JWT_EXPIRED: 'The token has expired: its exp (expiry time) has passed.',
  ERR_JWT_CLAIM_VALIDATION_FAILED: 'A claim check failed (for example the issuer or the audience is not the expected one, or the token is not valid yet).',
  ERR_JOSE_ALG_NOT_ALLOWED: 'The token\'s algorithm (alg) is refused: none, unknown, or not one the server\'s keys use (an HS256 token cannot be checked with a public key).',
  ERR_JOSE_NOT_SUPPORTED: 'The token needs something this verifier does not support (an unknown crit extension, curve or key type).',
  ERR_JWK_INVALID: 'A key cannot be used: malformed, private, too short or weak.',
  ERR_JWKS_INVALID: 'The server\'s key set (JWKS) is not a usable JWK Set.',
  ERR_JWKS_NO_MATCHING_KEY: 'No key of the server\'s JWKS has the token\'s kid: it was not signed by this server (or by a key it no longer publishes).',
  ERR_JWKS_TIMEOUT: 'The server\'s key set (JWKS) did not arrive in time.',
  ERR_JWKS_FETCH_FAILED: 'The server\'s key set (JWKS) could not be fetched: is the server running?',
  ERR_JWKS_TOO_LARGE: 'The server\'s key set (JWKS) answer is larger than the verifier accepts (jwksMaxBytes).',
  ERR_AUTH_NOT_AUTHENTICATED: 'Nobody is logged in: log in first.',
  ERR_AUTH_INVALID_API_KEY: 'The API key is not one the verifier knows.',
  ERR_AUTH_INSUFFICIENT_SCOPE: 'The credentials are valid but lack a required scope.',
  ERR_AUTH_INVALID_OPTIONS: 'The options given to wasm-auth cannot work (for example an API key without any scope).',
  ERR_AUTH_INVALID_CREDENTIALS: 'Wrong email or password.',
  ERR_AUTH_SESSION_EXPIRED: 'The session is over (the refresh token was refused: expired, revoked or reused): log in again.',
  ERR_AUTH_RATE_LIMITED: 'Too many attempts: the server asks to wait before trying again.',
  ERR_AUTH_HTTP: 'The server refused the request.',
  ERR_AUTH_NETWORK: 'The server could not be reached (offline, stopped, or blocked by CORS).',
  ERR_AUTH_INVALID_RESPONSE: 'The server answered, but not with what the API defines.',
  ERR_AUTH_UNTRUSTED_ORIGIN: 'wasm-auth refused to send a credential to an origin it was not told to trust; nothing was sent.',
  ERR_AUTH_COOKIES_BLOCKED: 'The browser did not keep the session cookie (cookies blocked, or a cross-site API).',
  ERR_AUTH_DISPOSED: 'This client was disposed of; log in again.',
  ERR_AUTH_LOCK_TIMEOUT: 'Another tab of this page held the refresh for 10 s (frozen or hung): no refresh this time, it is tried again later.',
  ERR_INTERNAL: 'A bug in wasm-auth; please report it.',
  ERR_OAUTH_STATE_MISMATCH: 'The state that came back does not match the one this tab sent: the answer is not for this login attempt (it may be forged, or crossed with another one). Start the login again.',
  ERR_OAUTH_TRANSACTION_MISSING: 'No OAuth sign-in is in progress in this tab: this callback was already handled (a reload of the callback address) or was started elsewhere. Start the login again.',
  ERR_OAUTH_TRANSACTION_EXPIRED: 'The sign-in started more than 10 minutes ago. Start the login again.',
  ERR_OAUTH_CALLBACK_ERROR: 'The authorization server sent you back with an error instead of a code.',
  ERR_OAUTH_TOKEN_ERROR: 'The token endpoint refused to exchange the code (or the refresh token).',
  ERR_OAUTH_ISSUER_MISMATCH: 'The server names another issuer than the one this page trusts (a mix-up attack, RFC 9207, or a misconfiguration).',
  ERR_OAUTH_SECRET_IN_BROWSER: 'A client secret must never be shipped to a browser page: client credentials are for servers and workers.',
};

/** RFC 6749 / 6750 error codes, as servers send them. */
export const OAUTH_ERRORS = {
  access_denied: 'You (or the server) refused the authorization: Deny was chosen on the consent page.',
  invalid_request: 'The request is missing a parameter or has a malformed one.',
  unauthorized_client: 'This client may not use this grant.',
  unsupported_response_type: 'The server does not support this response type.',
  invalid_scope: 'A requested scope is unknown, or more than you may grant.',
  server_error: 'The authorization server failed.',
  temporarily_unavailable: 'The authorization server is temporarily unavailable.',
  invalid_grant: 'The code or refresh token is invalid, expired, already used, or was issued to someone else.',
  invalid_client: 'The client could not be authenticated.',
  invalid_token: 'The token is invalid: malformed, expired, revoked or signed by an unknown key.',
  insufficient_scope: 'The credential is valid but lacks the scope this endpoint needs.',
  unauthorized: 'No credential was sent.',
  not_found: 'No such endpoint or object.',
};

export const CLAIM_MEANINGS = {
  iss: 'issuer: who signed the token',
  sub: 'subject: whom it is about',
  aud: 'audience: which API it is for',
  exp: 'expires at',
  nbf: 'not valid before',
  iat: 'issued at',
  jti: 'token id (lets the server revoke this one token)',
  scope: 'what the token allows',
  client_id: 'the OAuth client it was issued to',
  nonce: 'the nonce of the OAuth request (ID tokens)',
  email: 'the user\'s email',
  auth_time: 'when the user authenticated',
  azp: 'authorized party: the client the ID token was issued to',
};

const TIME_CLAIMS = new Set(['exp', 'nbf', 'iat', 'auth_time']);

/** "in 19 s", "3 min ago", ... */
export function relative(ms) {
  const seconds = Math.round(ms / 1000);
  const abs = Math.abs(seconds);
  const text = abs < 90 ? `${abs} s` : abs < 5400 ? `${Math.round(abs / 60)} min` : `${Math.round(abs / 3600)} h`;
  return seconds >= 0 ? `in ${text}` : `${text} ago`;
}

/** A claim's value as text; numeric dates also as a local date and a relative time. */
export function claimValue(name, value) {
  if (TIME_CLAIMS.has(name) && typeof value === 'number') {
    return `${value} (${new Date(value * 1000).toLocaleString()}, ${relative(value * 1000 - Date.now())})`;
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** An error in words: what it means, its code, and what the server said. */
export function describeError(error) {
  if (!error) return 'Unknown error.';
  if (error.code) {
    const parts = [ERROR_MEANINGS[error.code] ?? error.message];
    if ((error.code === 'ERR_OAUTH_CALLBACK_ERROR' || error.code === 'ERR_OAUTH_TOKEN_ERROR') && error.error) {
      parts.push(`The server said "${error.error}": ${OAUTH_ERRORS[error.error] ?? 'see its description'}`);
    } else if (error.code === 'ERR_AUTH_HTTP') {
      if (error.status) parts.push(`HTTP ${error.status}${error.error ? ` ${error.error}` : ''}${error.error && OAUTH_ERRORS[error.error] ? `: ${OAUTH_ERRORS[error.error]}` : ''}`);
    } else if (error.code === 'ERR_AUTH_RATE_LIMITED' && error.retryAfter) {
      parts.push(`Try again in ${error.retryAfter} s.`);
    } else if (error.claim) {
      parts.push(`Claim "${error.claim}"${error.reason ? ` (${error.reason.replaceAll('_', ' ')})` : ''}.`);
    }
    if (!ERROR_MEANINGS[error.code] || error.code === 'ERR_AUTH_HTTP' || error.code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') {
      if (error.message && !parts.includes(error.message)) parts.push(`Details: ${error.message}`);
    }
    return `${parts.join(' ')} (code ${error.code})`;
  }
  return `${error.name ?? 'Error'}: ${error.message ?? String(error)}`;
}

/** A non-2xx answer of the API in words. */
export function describeStatus(status, body) {
  const code = body && typeof body === 'object' ? body.error : undefined;
  const words = {
    401: 'Not authenticated (401): the credential is missing, wrong, expired or revoked.',
    403: 'Forbidden (403): the credential is valid but lacks a scope this call needs.',
    404: 'Not found (404).',
    429: 'Too many requests (429): wait and try again.',
  }[status] ?? `The server answered HTTP ${status}.`;
  const detail = code ? ` Server error "${code}"${body.error_description ? `: ${body.error_description}` : ''}.` : '';
  return `${words}${detail}`;
}

/** Where a login's refresh token is kept, by `session.home`. */
export const REFRESH_TOKEN_HOMES = {
  cookie: 'In the server\'s HttpOnly cookie (refreshTokenInCookie): the browser keeps it and sends it only to /v1/auth/refresh and /v1/auth/logout; no JavaScript, neither this page nor wasm-auth, can read it. That is why a reload can resume the session.',
  memory: 'In wasm-auth\'s memory, shared with this page\'s other tabs over BroadcastChannel: a reload resumes from another tab, and closing the last tab ends the session.',
  oauth: 'In wasm-auth\'s memory, in this tab only: a reload ends this login.',
};

/** The event list's words for a TokenManager `tokenchange`, by its reason. */
export const TOKEN_CHANGE_WORDS = {
  login: 'Tokens received from the login',
  refresh: 'Refreshed: a new access token, from this tab\'s own refresh request',
  restore: 'Restored after reload: 1 refresh with the HttpOnly cookie, which JavaScript cannot read, brought the session back',
  peer: 'Session from another tab: its tokens arrived over BroadcastChannel, without any request',
  peerRenewal: 'Refreshed in another tab: one tab made the request, this one got the new access token over BroadcastChannel',
  setTokens: 'Tokens received from the OAuth code exchange',
};
