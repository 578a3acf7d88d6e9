// The demo page: every authentication method of wasm-auth against the reference server.
// Plain ES modules, no framework. Tokens stay in wasm-auth's memory (the main server's refresh
// token in its HttpOnly cookie, which no script can read): this page never writes anything to
// localStorage, sessionStorage, IndexedDB or document.cookie (wasm-auth itself keeps only the
// OAuth PKCE transaction in sessionStorage, for the length of the redirect).
import { appendExchange, recordExchanges, resetExchanges } from './exchanges.js';
import { CLAIM_MEANINGS, REFRESH_TOKEN_HOMES, TOKEN_CHANGE_WORDS, claimValue, describeError, describeStatus } from './meanings.js';

const $ = (id) => document.getElementById(id);
const AUDIENCE = 'wasm-auth-api';
// The key-management scopes too: section 3 manages API keys with whichever token is in use.
const OAUTH_SCOPE = 'openid read:resources write:resources api_keys:read api_keys:write';

const state = {
  pkg: null,
  api: location.origin, // the main reference server: API, OAuth, JWKS, the page itself
  shortLived: null, // { url, accessTtl }: the short-lifetime instance, when `make demo` runs it
  edgeUrl: null, // the edge worker's endpoint
  rawFetch: globalThis.fetch.bind(globalThis),
  context: null, // { section, label } of the action running now
  tm: null, // the TokenManager of the current login (JWT or OAuth)
  session: null, // what the page shows about that login: { source, server, home, events, refreshes, statsKey }
  logins: { main: null, short: null }, // the password login's { tm, session } per server, for the page's life
  apiKey: null, // { id, key, scopes, revoked }: the key created last, kept in memory only
  verifier: null,
  sessionClient: null,
};

/** An error meant for the visitor as it is (no code). */
function plainError(message) {
  return Object.assign(new Error(message), { plain: true });
}

function words(error) {
  return error?.plain ? error.message : describeError(error);
}

function setStatus(section, text) {
  $(`${section}-status`).textContent = text;
}

function showError(section, error) {
  const box = $(`${section}-error`);
  box.textContent = words(error);
  box.hidden = false;
}

function clearError(section) {
  const box = $(`${section}-error`);
  box.hidden = true;
  box.textContent = '';
}

const exchangesOf = (section) => document.querySelector(`.exchanges[data-section="${section}"]`);

/**
 * Runs one visitor action of `section`: its HTTP exchanges replace the section's previous
 * ones, and any error is shown in words in the section (never thrown to the void).
 */
async function act(section, label, fn, button, { keepStatus = false } = {}) {
  resetExchanges(exchangesOf(section), label);
  clearError(section);
  if (!keepStatus) setStatus(section, 'Working…');
  const previousResult = $(`${section}-result`);
  if (previousResult && !keepStatus) previousResult.hidden = true;
  state.context = { section, label };
  if (button) button.disabled = true;
  $(section).setAttribute('aria-busy', 'true');
  try {
    await fn();
    if ($(`${section}-status`).textContent === 'Working…') setStatus(section, '');
  } catch (error) {
    if ($(`${section}-status`).textContent === 'Working…') setStatus(section, '');
    showError(section, error);
  } finally {
    state.context = null;
    if (button) button.disabled = false;
    $(section).removeAttribute('aria-busy');
    // Answers are recorded when their bodies have been read: give them a moment.
    setTimeout(() => {
      const list = exchangesOf(section).querySelector('ol');
      if (list && list.children.length === 0) {
        const note = document.createElement('li');
        note.className = 'muted no-exchange';
        note.textContent = 'No HTTP request was needed.';
        list.append(note);
      }
    }, 300);
  }
}

function onClick(id, section, label, fn, options) {
  $(id).addEventListener('click', (event) => act(section, label, fn, event.currentTarget, options));
}

function onSubmit(id, section, label, fn) {
  $(id).addEventListener('submit', (event) => {
    event.preventDefault();
    act(section, label, fn, event.submitter ?? null);
  });
}

function fillClaims(table, header, payload) {
  const rows = [];
  for (const [name, value] of Object.entries(payload ?? {})) rows.push([name, claimValue(name, value), CLAIM_MEANINGS[name] ?? '']);
  for (const [name, value] of Object.entries(header ?? {})) {
    rows.push([`${name} (header)`, typeof value === 'string' ? value : JSON.stringify(value),
      { alg: 'signature algorithm', kid: 'which of the server\'s keys signed it', typ: 'token type' }[name] ?? '']);
  }
  table.tBodies[0].replaceChildren(...rows.map(([name, value, meaning]) => {
    const tr = document.createElement('tr');
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = name;
    const td = document.createElement('td');
    td.textContent = value;
    const tm = document.createElement('td');
    tm.textContent = meaning;
    tr.append(th, td, tm);
    return tr;
  }));
}

/** Reads a response the way a developer would, and says in words how it went. */
async function showResponse(section, response, success) {
  const text = await response.text();
  let body = text;
  try { body = JSON.parse(text); } catch { /* not JSON */ }
  const pre = $(`${section}-result`);
  pre.hidden = false;
  pre.textContent = typeof body === 'string' ? body : JSON.stringify(body, null, 2);
  if (response.ok) {
    setStatus(section, success(body));
  } else {
    setStatus(section, '');
    showError(section, plainError(describeStatus(response.status, body)));
  }
  return body;
}

function timeOf(ms) {
  return new Date(ms).toLocaleTimeString();
}

function countdown(ms) {
  if (ms <= 0) return 'now';
  const total = Math.ceil(ms / 1000);
  if (total < 120) return `${total} s`;
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h} h ${String(m).padStart(2, '0')} min ${s} s` : `${m} min ${s} s`;
}

// ---------------------------------------------------------------- 1. JWT login and refresh

function needLogin() {
  if (!state.tm || !state.tm.isAuthenticated) {
    throw plainError('Log in first: with JWT (section 1) or OAuth 2.0 (section 4).');
  }
  return state.tm;
}

/**
 * A TokenManager for `server`, with its events recorded into the returned session. A password
 * login's manager lives as long as the page (one per server, made at start), so that it shares
 * its session with the page's other tabs (crossTab, on by default) and can restore() it; the
 * main server keeps its refresh token in the HttpOnly cookie. An OAuth login gets a manager of
 * its own, made per sign-in and kept to this tab (crossTab: false): the page restores only the
 * password login on load. (Its session would not mix with the password one anyway: managers
 * refreshing at another endpoint hold another session.)
 */
function newTokenManager(server, source) {
  const cookie = source === 'password' && server === state.api;
  const options = {
    baseUrl: `${server}/v1`,
    allowedOrigins: state.edgeUrl ? [new URL(state.edgeUrl).origin] : [],
    revocationEndpoint: `${server}/oauth/revoke`,
  };
  if (source === 'oauth') Object.assign(options, { tokenEndpoint: `${server}/oauth/token`, clientId: 'demo-spa', crossTab: false });
  if (cookie) options.refreshTokenInCookie = true;
  const tm = new state.pkg.TokenManager(options);
  const session = {
    source, server, events: [], refreshes: 0, live: false, lastReason: null,
    home: source === 'oauth' ? 'oauth' : cookie ? 'cookie' : 'memory',
    statsKey: source === 'oauth' ? 'POST /oauth/token' : 'POST /v1/auth/refresh',
  };
  const log = (text) => {
    session.events.push({ at: Date.now(), text });
    if (state.tm === tm) renderEvents();
  };
  tm.addEventListener('tokenchange', (event) => {
    const info = event.detail;
    const wasLive = session.live;
    session.live = true;
    session.lastReason = info.reason;
    const expiry = `expiring at ${timeOf(info.expiresAt)}, next refresh at ${timeOf(info.refreshAt)}`;
    if (info.reason === 'refresh' || (info.reason === 'peer' && wasLive)) session.refreshes += 1;
    log(`${tokenChangeWords(info.reason, wasLive)}: ${expiry} (tokenchange, reason ${info.reason ?? 'not given'}).`);
    if (info.reason === 'peer' && state.tm !== tm) {
      adopt(tm, session);
      setStatus('jwt', 'Logged in from another tab: its tokens arrived over BroadcastChannel, without any request.');
    }
    if (state.tm === tm) {
      showTokenClaims().catch((error) => showError('jwt', error));
      updateServerCount();
    }
  });
  tm.addEventListener('refresherror', (event) => {
    const { error, retryInMs } = event.detail;
    log(`Refresh failed: ${words(error)}${retryInMs != null ? ` Retrying in ${Math.round(retryInMs / 1000)} s.` : ''} (refresherror)`);
  });
  tm.addEventListener('sessionexpired', (event) => {
    session.live = false;
    log(`Session expired: ${words(event.detail.error)} (sessionexpired)`);
    if (state.tm === tm) setStatus('jwt', 'Session expired: log in again.');
  });
  tm.addEventListener('logout', (event) => {
    session.live = false;
    if (event.detail.reason === 'peer') {
      log('Logged out in another tab: this tab forgot its tokens too, without any request (logout, reason peer).');
      if (state.tm === tm) {
        setStatus('jwt', 'Logged out in another tab: every tab of this page is logged out.');
        clearTokenView();
      }
      return;
    }
    log(`Logged out; the server ${event.detail.revoked ? 'confirmed the revocation of the tokens' : 'was not asked to revoke'} (logout).`);
  });
  return { tm, session };
}

/** The event list's words for a `tokenchange` of `reason` (`wasLive`: this tab had tokens). */
function tokenChangeWords(reason, wasLive) {
  if (reason === 'peer') return wasLive ? TOKEN_CHANGE_WORDS.peerRenewal : TOKEN_CHANGE_WORDS.peer;
  return TOKEN_CHANGE_WORDS[reason] ?? 'New tokens';
}

/** Makes `tm` the page's login. An OAuth manager it replaces is disposed of; the password
 * logins' managers stay, listening to the other tabs. */
function adopt(tm, session) {
  const previous = state.tm;
  const previousSession = state.session;
  state.tm = tm;
  state.session = session;
  if (previous && previous !== tm && previousSession?.source === 'oauth') previous.dispose();
  $('token-panel').hidden = false;
  $('token-source').textContent = session.source === 'oauth'
    ? 'OAuth 2.0 authorization code + PKCE (client demo-spa)'
    : 'Password login (POST /v1/auth/login)';
  const short = state.shortLived && session.server === state.shortLived.url;
  $('token-server').textContent = short
    ? `${session.server} (short-lifetime instance: ${state.shortLived.accessTtl}-second access tokens)`
    : `${session.server} (the main server)`;
  $('token-refresh-home').textContent = REFRESH_TOKEN_HOMES[session.home];
  // A session from another tab or a reload: the lifetime choice shows the one in use.
  if (session.source === 'password' && state.shortLived) {
    document.querySelector(`input[name="jwt-mode"][value="${short ? 'short' : 'normal'}"]`).checked = true;
  }
  renderEvents();
  tick();
}

function clearTokenView() {
  $('token-claims').tBodies[0].replaceChildren();
  tick();
}

function renderEvents() {
  const list = $('token-events');
  list.replaceChildren(...(state.session?.events ?? []).map(({ at, text }) => {
    const li = document.createElement('li');
    const time = document.createElement('time');
    time.dateTime = new Date(at).toISOString();
    time.textContent = timeOf(at);
    li.append(time, ` ${text}`);
    return li;
  }));
  $('refresh-count').textContent = String(state.session?.refreshes ?? 0);
}

async function showTokenClaims() {
  const tm = state.tm;
  if (!tm?.isAuthenticated) return;
  const { header, payload } = state.pkg.decodeUnverified(await tm.getToken());
  if (tm === state.tm) fillClaims($('token-claims'), header, payload);
}

/** How many refresh requests the server answered (its --request-stats counter), if it says. */
async function updateServerCount() {
  const session = state.session;
  if (!session) return;
  try {
    const response = await state.rawFetch(`${session.server}/_stats`, { cache: 'no-store' });
    if (!response.ok) throw new Error(String(response.status));
    const { requests } = await response.json();
    if (session !== state.session) return;
    const count = requests[session.statsKey] ?? 0;
    $('server-refresh-count').textContent = `${count} × ${session.statsKey}${session.source === 'oauth' ? ' (the code exchange included)' : ''}, all clients and tabs of ${session.server}`;
  } catch {
    $('server-refresh-count').textContent = 'not available (the server runs without --request-stats)';
  }
}

function tick() {
  const tm = state.tm;
  if (!tm) return;
  if (!tm.isAuthenticated) {
    for (const id of ['expires-in', 'refresh-in']) $(id).textContent = 'not logged in';
    for (const id of ['expires-at', 'refresh-at']) $(id).textContent = '';
    return;
  }
  const { expiresAt, refreshAt, scope } = tm.info;
  const now = Date.now();
  $('expires-in').textContent = expiresAt == null ? 'unknown (the server gave no lifetime)' : expiresAt > now ? countdown(expiresAt - now) : 'expired';
  $('expires-at').textContent = expiresAt == null ? '' : `(at ${timeOf(expiresAt)})`;
  $('refresh-in').textContent = refreshAt == null ? 'none scheduled' : refreshAt > now ? countdown(refreshAt - now) : 'due now: refreshing…';
  $('refresh-at').textContent = refreshAt == null ? '' : `(at ${timeOf(refreshAt)})`;
  $('token-scope').textContent = scope ?? '(not given)';
}

/** The password login's managers, one per server, made at start: `main`, and `short` when the
 * short-lifetime instance runs. */
function passwordLogins() {
  return [state.logins.short, state.logins.main].filter(Boolean);
}

async function jwtLogin() {
  const short = document.querySelector('input[name="jwt-mode"]:checked')?.value === 'short';
  if (short && !state.shortLived) throw plainError('Short-lifetime mode needs the second server instance that `make demo` starts.');
  const { tm, session } = short ? state.logins.short : state.logins.main;
  setStatus('jwt', 'Logging in…');
  try {
    await tm.login($('jwt-email').value, $('jwt-password').value);
  } catch (error) {
    setStatus('jwt', state.tm?.isAuthenticated ? 'Still logged in with the previous tokens.' : 'Not logged in.');
    throw error;
  }
  // One password login at a time, in every tab: the other server's session ends.
  for (const other of passwordLogins()) {
    if (other.tm !== tm && other.tm.isAuthenticated) await other.tm.logout().catch(() => {});
  }
  adopt(tm, session);
  setStatus('jwt', `Logged in${short ? ' in short-lifetime mode: watch the refresh happen below' : ''}. Every tab of this page shares the session.`);
  await showTokenClaims();
  await updateServerCount();
}

/** On load: the session of another tab of this page, or else the one of the refresh cookie. */
async function jwtRestore() {
  setStatus('jwt', 'Looking for a session: asking the other tabs, then the server with the refresh cookie…');
  // The short-lifetime session first: it can only come from a tab (no cookie, so no request).
  for (const { tm, session } of passwordLogins()) {
    const info = await tm.restore();
    if (!info) continue;
    if (state.tm !== tm) adopt(tm, session);
    setStatus('jwt', session.lastReason === 'restore'
      ? 'Restored after reload: 1 refresh with the HttpOnly cookie, which JavaScript cannot read.'
      : 'Restored from another tab: no request.');
    await showTokenClaims();
    await updateServerCount();
    return;
  }
  setStatus('jwt', 'Not logged in: no other tab of this page has a session, and the server holds no refresh cookie for this browser.');
}

async function jwtLogout() {
  if (!state.tm?.isAuthenticated) throw plainError('Nobody is logged in with a token.');
  const { revoked } = await state.tm.logout();
  setStatus('jwt', `Logged out: the tokens are forgotten${revoked ? ' and revoked at the server' : ''}${state.session?.source === 'oauth' ? '' : ', in every tab of this page'}.`);
  clearTokenView();
}

/** The same page in a new tab: its restore() finds this tab's session. */
function openTab() {
  window.open(`${location.origin}${location.pathname}`, '_blank', 'noopener');
}

// ---------------------------------------------------------------- 2. The API and the edge

async function apiGet() {
  const response = await needLogin().fetch('resources');
  await showResponse('api', response, (body) => `${response.status}: ${body.resources?.length ?? 0} resource(s) of ${body.user}, authenticated via ${body.authenticated_via}.`);
}

async function apiCreate() {
  const response = await needLogin().fetch('resources', {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: $('api-resource-name').value }),
  });
  await showResponse('api', response, (body) => `${response.status}: created ${body.id} ("${body.name}").`);
}

async function apiEdge() {
  const tm = needLogin();
  if (!state.edgeUrl) throw plainError('The edge worker is not running: start the demo with `make demo`.');
  const response = await tm.fetch(state.edgeUrl);
  await showResponse('api', response, (body) => `${response.status}: verified at the ${body.verified_at} (${body.alg}, key ${body.kid}) for ${body.sub}.`);
}

// ---------------------------------------------------------------- 3. API keys

function keyManager() {
  return new state.pkg.ApiKeys({ tokenManager: needLogin() });
}

function needKey() {
  if (!state.apiKey) throw plainError('Create a key first.');
  return state.apiKey;
}

function renderKey() {
  const key = state.apiKey;
  $('key-created').hidden = !key;
  if (!key) return;
  $('key-value').value = key.key;
  $('key-id').textContent = key.id;
  $('key-scopes').textContent = key.scopes.join(' ');
  $('key-state').textContent = key.revoked ? 'revoked: the server refuses it now' : 'live';
}

async function keyCreate() {
  const scopes = [...document.querySelectorAll('#key-form input[name="scope"]:checked')].map((box) => box.value);
  if (scopes.length === 0) throw plainError('Choose at least one scope for the key.');
  const created = await keyManager().create({ name: $('key-name').value, scopes });
  state.apiKey = { id: created.id, key: created.key, scopes: created.scopes, revoked: false };
  renderKey();
  $('key-copy-status').textContent = '';
  setStatus('keys', `Created ${created.id} with ${created.scopes.join(' ')}. Copy it now: the server keeps only its SHA-256.`);
}

async function keyCopy() {
  const { key } = needKey();
  try {
    await navigator.clipboard.writeText(key);
    $('key-copy-status').textContent = 'Copied to the clipboard.';
  } catch {
    $('key-value').select();
    $('key-copy-status').textContent = 'The clipboard is not available here: the key is selected, copy it with Ctrl+C (⌘C).';
  }
}

async function keyCall(placement, method) {
  const { key, id, revoked } = needKey();
  const client = new state.pkg.ApiKeyAuth({ baseUrl: `${state.api}/v1`, apiKey: key, placement });
  const init = method === 'POST'
    ? { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: `Created with ${id}` }) }
    : undefined;
  const response = await client.fetch('resources', init);
  const body = await showResponse('keys', response, (b) => (method === 'POST'
    ? `${response.status}: created ${b.id} with the key (${placement}).`
    : `${response.status}: ${b.resources?.length ?? 0} resource(s) of ${b.user}, authenticated via ${b.authenticated_via} (key in the ${placement}).`));
  if (!response.ok && revoked && response.status === 401) setStatus('keys', 'As expected: the key was revoked.');
  return body;
}

async function keyRevoke() {
  const key = needKey();
  if (key.revoked) throw plainError('This key is already revoked.');
  await keyManager().revoke(key.id);
  key.revoked = true;
  renderKey();
  setStatus('keys', `Revoked ${key.id}: calls with it now get 401. Try them.`);
}

async function keyList() {
  const list = await keyManager().list();
  $('key-list-wrap').hidden = false;
  $('key-table').tBodies[0].replaceChildren(...list.map((k) => {
    const tr = document.createElement('tr');
    for (const value of [k.id, k.name, k.scopes.join(' '), k.created_at]) {
      const td = document.createElement('td');
      td.textContent = value;
      tr.append(td);
    }
    return tr;
  }));
  setStatus('keys', `${list.length} live key(s).`);
}

// ---------------------------------------------------------------- 4. OAuth 2.0 + PKCE

function oauthClientClass() {
  const OAuthClient = state.pkg.OAuthClient;
  if (typeof OAuthClient !== 'function') {
    throw plainError('OAuth login is not available in this build: this version of wasm-auth does not export OAuthClient yet.');
  }
  return OAuthClient;
}

function oauthOptions(tokenManager) {
  return { clientId: 'demo-spa', redirectUri: `${location.origin}/`, scope: OAUTH_SCOPE, tokenManager };
}

async function oauthLogin() {
  const OAuthClient = oauthClientClass();
  const { tm } = newTokenManager(state.api, 'oauth');
  try {
    const oauth = await OAuthClient.discover(state.api, oauthOptions(tm));
    setStatus('oauth', 'Going to the authorization server…');
    await oauth.authorize(); // navigates away; this page's memory (and tm) goes with it
  } catch (error) {
    tm.dispose();
    throw error;
  }
}

function callbackParams() {
  const params = new URLSearchParams(location.search);
  return params.has('code') || params.has('error') ? params : null;
}

function removeCallbackParams() {
  const url = new URL(location.href);
  for (const name of ['code', 'state', 'error', 'error_description', 'error_uri', 'iss']) url.searchParams.delete(name);
  history.replaceState(history.state, '', url);
}

async function oauthCallback() {
  let OAuthClient;
  try {
    OAuthClient = oauthClientClass();
  } catch (error) {
    removeCallbackParams();
    throw error;
  }
  const { tm, session } = newTokenManager(state.api, 'oauth');
  let result;
  try {
    const oauth = await OAuthClient.discover(state.api, oauthOptions(tm));
    result = await oauth.handleRedirectCallback(location.href);
  } catch (error) {
    tm.dispose();
    removeCallbackParams();
    setStatus('oauth', 'Not logged in: the authorization did not complete.');
    throw error;
  }
  if (callbackParams()) removeCallbackParams();
  if (!session.live) { // in case the tokens arrived without a tokenchange event
    session.live = true;
    session.events.push({ at: Date.now(), text: 'Tokens received from the OAuth code exchange.' });
  }
  adopt(tm, session);
  const info = result?.info ?? tm.info;
  setStatus('oauth', `Logged in through OAuth 2.0 + PKCE${info?.scope ? ` with scope "${info.scope}"` : ''}. The token is in use in sections 1 to 3.`);
  setStatus('jwt', 'Logged in through OAuth 2.0 (section 4).');
  if (result?.idTokenClaims) {
    $('oauth-result').hidden = false;
    fillClaims($('oauth-claims'), null, result.idTokenClaims);
  }
  await showTokenClaims();
  await updateServerCount();
}

function pkceGenerate() {
  const pair = state.pkg.createPkce();
  $('pkce-verifier').textContent = pair.codeVerifier;
  $('pkce-challenge').textContent = pair.codeChallenge;
  $('pkce-method').textContent = pair.codeChallengeMethod;
  $('pkce-result').hidden = false;
}

// ---------------------------------------------------------------- 5. Cookie session

function showCookieView() {
  $('session-cookie').textContent = document.cookie === '' ? '"" (empty: the session cookie is HttpOnly)' : JSON.stringify(document.cookie);
}

function describeSession(info) {
  return `Session active: ${info.user.id} (${info.user.email}), ends in ${countdown(info.expires_in * 1000)}.`;
}

async function sessionCurrent(quiet = false) {
  const info = await state.sessionClient.current();
  setStatus('session', info ? describeSession(info) : quiet ? 'No cookie session.' : 'No cookie session: the server knows no live session for this browser.');
  showCookieView();
}

async function sessionLogin() {
  const info = await state.sessionClient.login($('session-email').value, $('session-password').value);
  setStatus('session', describeSession(info));
  showCookieView();
}

async function sessionGet() {
  const response = await state.sessionClient.fetch('resources');
  await showResponse('session', response, (body) => `${response.status}: ${body.resources?.length ?? 0} resource(s) of ${body.user}, authenticated via ${body.authenticated_via}.`);
}

async function sessionLogout() {
  await state.sessionClient.logout();
  setStatus('session', 'Logged out: the server ended the session and cleared the cookie.');
  $('session-result').hidden = true;
  showCookieView();
}

// ---------------------------------------------------------------- 6. Verify any JWT

async function verifyToken() {
  const token = $('verify-token').value.trim();
  $('verify-result').hidden = true;
  setStatus('verify', '');
  if (!token) throw plainError('Paste a JWT first.');
  state.verifier ??= new state.pkg.JwtVerifier({ jwksUri: `${state.api}/.well-known/jwks.json`, issuer: state.api, audience: AUDIENCE });
  try {
    const { payload, protectedHeader } = await state.verifier.verify(token);
    fillClaims($('verify-claims'), protectedHeader, payload);
    $('verify-claims-title').textContent = 'Verified claims';
    $('verify-result').hidden = false;
    setStatus('verify', `Valid: the ${protectedHeader.alg} signature matches the server's key ${protectedHeader.kid ?? ''}, issuer and audience are right, and it has not expired.`);
  } catch (error) {
    // Still show what the token claims, clearly marked as unverified.
    try {
      const { header, payload } = state.pkg.decodeUnverified(token);
      fillClaims($('verify-claims'), header, payload);
      $('verify-claims-title').textContent = 'What the token claims (NOT verified: do not trust these)';
      $('verify-result').hidden = false;
    } catch { /* not even decodable */ }
    throw plainError(`Rejected. ${describeError(error)}`);
  }
}

async function useCurrentToken() {
  $('verify-token').value = await needLogin().getToken();
  setStatus('verify', 'Your current access token is in the box: press Verify.');
}

// ---------------------------------------------------------------- start

window.addEventListener('error', (event) => {
  $('page-error').hidden = false;
  $('page-error').textContent = `Something went wrong: ${event.message}`;
});
window.addEventListener('unhandledrejection', (event) => {
  $('page-error').hidden = false;
  $('page-error').textContent = `Something went wrong: ${words(event.reason)}`;
});

async function loadConfig() {
  try {
    const response = await state.rawFetch('./demo-config.json', { cache: 'no-store' });
    if (!response.ok) return null;
    return await response.json();
  } catch {
    return null;
  }
}

async function start() {
  try {
    state.pkg = await import('wasm-auth');
    // The browser entry loads the wasm in the background; its synchronous functions
    // (version(), createPkce(), decodeUnverified()) need it loaded. (Builds before issue 18
    // loaded it on import and have no ready().)
    await state.pkg.ready?.();
  } catch (error) {
    $('version').textContent = 'unavailable';
    $('setup').textContent = '';
    $('page-error').hidden = false;
    $('page-error').textContent = `The wasm-auth package could not be loaded, so the demos below cannot run: ${error?.message ?? error}. Build it with \`make pkg\` (or run \`make demo\`).`;
    for (const button of document.querySelectorAll('main button')) button.disabled = true;
    return;
  }
  $('version').textContent = state.pkg.version();

  const config = await loadConfig();
  if (config?.api) state.api = config.api;
  state.shortLived = config?.shortLived ?? null;
  state.edgeUrl = config?.edge?.url ?? null;
  const parts = [`API, OAuth and JWKS: ${state.api}`];
  parts.push(state.shortLived ? `short-lifetime instance: ${state.shortLived.url} (${state.shortLived.accessTtl}-second tokens)` : 'short-lifetime mode: not running');
  parts.push(state.edgeUrl ? `edge worker: ${state.edgeUrl}` : 'edge worker: not running (start the page with `make demo`)');
  $('setup').textContent = `${parts.join('; ')}.`;
  if (state.shortLived) {
    $('short-ttl').textContent = String(state.shortLived.accessTtl);
    $('short-note').textContent = `Short-lifetime mode logs in at ${state.shortLived.url}, a second instance of the server that shares this one's database and signing key but issues ${state.shortLived.accessTtl}-second access tokens (--access-ttl ${state.shortLived.accessTtl}); the refresh then runs at mid-life. Its refresh token stays in wasm-auth's memory, shared with this page's other tabs: cookies do not tell ports apart, so one refresh cookie cannot serve both instances. A reload keeps this login while another tab holds it.`;
  } else {
    $('jwt-mode-short').disabled = true;
    $('short-note').textContent = 'Short-lifetime mode is not available: `make demo` starts the server instance it needs.';
  }
  $('verify-issuer').textContent = state.api;
  $('verify-jwks').textContent = `${state.api}/.well-known/jwks.json`;
  if (config?.api && config.api !== location.origin) {
    $('page-error').hidden = false;
    $('page-error').textContent = `This page is open at ${location.origin}, but the demo expects ${config.api}: open ${config.api}/ instead, or the OAuth redirect and CORS will refuse it.`;
  }

  state.rawFetch = recordExchanges({
    context: () => state.context ?? { section: 'jwt', label: 'in the background (TokenManager\'s scheduled refresh)', background: true },
    onExchange: (record) => appendExchange(exchangesOf(record.section), record),
  });
  state.sessionClient = new state.pkg.SessionClient({ baseUrl: `${state.api}/v1` });
  state.logins.main = newTokenManager(state.api, 'password');
  if (state.shortLived) state.logins.short = newTokenManager(state.shortLived.url, 'password');

  onSubmit('jwt-form', 'jwt', 'Log in with JWT (TokenManager.login)', jwtLogin);
  onClick('jwt-logout', 'jwt', 'Log out (TokenManager.logout)', jwtLogout);
  // Opening a tab and reloading are no HTTP actions of this page: the section keeps its exchanges.
  $('open-tab').addEventListener('click', openTab);
  $('reload').addEventListener('click', () => location.reload());
  onClick('api-get', 'api', 'GET /v1/resources with the access token (tokenManager.fetch)', apiGet);
  onClick('api-edge', 'api', 'The edge worker, with the same access token (tokenManager.fetch)', apiEdge);
  onSubmit('api-create', 'api', 'POST /v1/resources with the access token (tokenManager.fetch)', apiCreate);
  onSubmit('key-form', 'keys', 'Create an API key (ApiKeys.create)', keyCreate);
  onClick('key-list', 'keys', 'List my API keys (ApiKeys.list)', keyList);
  // Copying is no HTTP action: the key section keeps showing its last exchange.
  $('key-copy').addEventListener('click', () => keyCopy().catch((error) => showError('keys', error)));
  onClick('key-header', 'keys', 'GET /v1/resources with the key in X-API-Key (ApiKeyAuth)', () => keyCall('header', 'GET'));
  onClick('key-query', 'keys', 'GET /v1/resources with the key in ?api_key= (ApiKeyAuth, placement "query")', () => keyCall('query', 'GET'));
  onClick('key-post', 'keys', 'POST /v1/resources with the key in X-API-Key (ApiKeyAuth)', () => keyCall('header', 'POST'));
  onClick('key-revoke', 'keys', 'Revoke the key (ApiKeys.revoke)', keyRevoke);
  onClick('oauth-login', 'oauth', 'Log in with OAuth 2.0 + PKCE (OAuthClient.discover, authorize)', oauthLogin);
  onClick('pkce-generate', 'oauth', 'Generate a PKCE pair (createPkce)', pkceGenerate, { keepStatus: true });
  onSubmit('session-form', 'session', 'Log in with a cookie session (SessionClient.login)', sessionLogin);
  onClick('session-current', 'session', 'Who am I? (SessionClient.current)', () => sessionCurrent(false));
  onClick('session-get', 'session', 'GET /v1/resources with the cookie (SessionClient.fetch)', sessionGet);
  onClick('session-logout', 'session', 'Log out of the session (SessionClient.logout)', sessionLogout);
  onSubmit('verify-form', 'verify', 'Verify the JWT (JwtVerifier.verify with the server\'s JWKS)', verifyToken);
  onClick('verify-use-current', 'verify', 'Use my current access token (tokenManager.getToken)', useCurrentToken);
  onClick('verify-clear', 'verify', 'Clear', async () => {
    $('verify-token').value = '';
    $('verify-result').hidden = true;
    setStatus('verify', '');
  });
  setInterval(tick, 500);
  showCookieView();

  if (callbackParams()) {
    $('oauth').scrollIntoView();
    await act('oauth', 'Back from the authorization server (OAuthClient.handleRedirectCallback)', oauthCallback);
  } else {
    await act('jwt', 'On page load: resume the session (TokenManager.restore)', jwtRestore);
  }
  await act('session', 'On page load: is there a cookie session? (SessionClient.current)', () => sessionCurrent(true));
  document.body.dataset.ready = 'true';
}

start();
