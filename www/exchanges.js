// Records every HTTP exchange the page (and wasm-auth, which calls globalThis.fetch at call
// time) makes, with secrets redacted, and renders them under the section that caused them.

/** Body fields, query parameters and form fields whose values are secrets. */
const SECRET_NAMES = new Set([
  'access_token', 'refresh_token', 'id_token', 'token', 'password', 'key', 'api_key',
  'client_secret', 'code', 'code_verifier',
]);
const REDACTED = '[redacted]';

/** Replaces token-like strings in free text: JWTs, API keys, refresh tokens. */
function redactText(text) {
  return text
    .replace(/eyJ[\w-]*\.[\w-]*\.[\w-]*/g, '[redacted JWT]')
    .replace(/\bsk_live_[\w-]+/g, `sk_live_${REDACTED}`)
    .replace(/\brt_[\w-]{16,}/g, `rt_${REDACTED}`);
}

function redactJson(value) {
  if (Array.isArray(value)) return value.map(redactJson);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_NAMES.has(k) && v !== null && v !== '' ? REDACTED : redactJson(v)]));
  }
  return typeof value === 'string' ? redactText(value) : value;
}

/** A body as text a developer can read, with the secrets replaced. */
export function redactBody(text, contentType = '') {
  if (!text) return '';
  try {
    return JSON.stringify(redactJson(JSON.parse(text)), null, 2);
  } catch { /* not JSON */ }
  if (/x-www-form-urlencoded/.test(contentType) || /^[\w.~%-]+=[^\s]*(&[\w.~%-]+=[^\s]*)*$/.test(text)) {
    const form = new URLSearchParams(text);
    for (const name of new Set(form.keys())) if (SECRET_NAMES.has(name)) form.set(name, REDACTED);
    return decodeURIComponent(form.toString().replaceAll('+', ' ').replaceAll(encodeURIComponent(REDACTED), REDACTED));
  }
  if (/text\/html/.test(contentType)) return `(an HTML page, ${text.length} characters)`;
  return redactText(text.length > 4000 ? `${text.slice(0, 4000)}…` : text);
}

/** A URL with secret query values replaced. */
export function redactUrl(url) {
  try {
    const parsed = new URL(url);
    let changed = false;
    for (const name of new Set(parsed.searchParams.keys())) {
      if (SECRET_NAMES.has(name)) { parsed.searchParams.set(name, 'REDACTED_PLACEHOLDER'); changed = true; }
    }
    return changed ? parsed.href.replaceAll('REDACTED_PLACEHOLDER', REDACTED) : parsed.href;
  } catch {
    return redactText(String(url));
  }
}

/** One header line with its value redacted when it carries a credential. */
function redactHeader(name, value) {
  const lower = name.toLowerCase();
  if (lower === 'authorization') {
    const [scheme] = value.split(' ');
    return `${lower}: ${scheme} ${REDACTED}`;
  }
  if (lower === 'x-api-key') return `${lower}: ${value.startsWith('sk_live_') ? 'sk_live_' : ''}${REDACTED}`;
  if (lower === 'cookie' || lower === 'set-cookie') return `${lower}: ${REDACTED}`;
  return `${lower}: ${redactText(value)}`;
}

const STATUS_TEXT = {
  200: 'OK', 201: 'Created', 204: 'No Content', 302: 'Found', 303: 'See Other', 400: 'Bad Request',
  401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 413: 'Payload Too Large', 429: 'Too Many Requests',
  500: 'Internal Server Error', 503: 'Service Unavailable',
};

let nextId = 1;

/**
 * Wraps globalThis.fetch. `context()` names the section and action that caused a request;
 * `onExchange(record)` is called when the answer (or the failure) is known, and again once
 * the response body has been read. Returns the original fetch, for the page's own requests
 * that are not part of any demo (its configuration, the server's request counter).
 */
export function recordExchanges({ context, onExchange }) {
  const original = globalThis.fetch.bind(globalThis);
  globalThis.fetch = function recordedFetch(input, init) {
    const record = { id: nextId++, ...context(), started: Date.now() };
    let probe = null;
    try {
      // A copy of the request for reading; a stream body would be consumed, so it is left out.
      const safeInit = init && typeof ReadableStream !== 'undefined' && init.body instanceof ReadableStream ? { ...init, body: undefined } : init;
      probe = new Request(input instanceof Request ? input.clone() : input, safeInit);
    } catch { /* fetch itself will report the problem */ }
    record.method = probe?.method ?? init?.method ?? 'GET';
    record.url = redactUrl(probe?.url ?? String(input instanceof Request ? input.url : input));
    record.requestHeaders = probe ? [...probe.headers].map(([n, v]) => redactHeader(n, v)) : [];
    if (probe?.credentials === 'include') {
      record.cookieNote = 'cookie: sent by the browser when it holds one for this site (HttpOnly: not visible to JavaScript)';
    }
    const requestBody = probe && probe.body ? probe.text().then((t) => redactBody(t, probe.headers.get('content-type') ?? '')).catch(() => '') : Promise.resolve('');
    const done = original(input, init).then((response) => {
      record.status = response.status;
      record.statusText = response.statusText || STATUS_TEXT[response.status] || '';
      record.type = response.type;
      record.ms = Date.now() - record.started;
      record.responseHeaders = [...response.headers].map(([n, v]) => redactHeader(n, v));
      if (/\/session\/(login|logout)$/.test(new URL(record.url).pathname) && response.ok) {
        record.setCookieNote = 'set-cookie: wasm_auth_session (HttpOnly, SameSite=Lax): stored by the browser, hidden from JavaScript, so not listed above';
      }
      const cookieTransport = probe?.headers.get('refresh-token-transport') === 'cookie';
      const authPath = new URL(record.url).pathname.match(/\/auth\/(login|refresh|logout)$/)?.[1];
      if (cookieTransport && authPath && response.ok) {
        record.setCookieNote = authPath === 'logout'
          ? 'set-cookie: refresh_token deleted (the server revoked it): done by the browser, hidden from JavaScript, so not listed above'
          : 'set-cookie: refresh_token (HttpOnly, SameSite=Strict, for /v1/auth/refresh and /v1/auth/logout only): stored by the browser, hidden from JavaScript, so not listed above; the body carries no refresh token';
      } else if (cookieTransport && authPath === 'refresh' && response.status === 401) {
        record.setCookieNote = 'set-cookie: refresh_token deleted, if the browser sent one (it was refused): hidden from JavaScript';
      }
      let responseBody = Promise.resolve('');
      if (response.type !== 'opaqueredirect' && response.type !== 'opaque' && response.status !== 204) {
        responseBody = response.clone().text().then((t) => redactBody(t, response.headers.get('content-type') ?? '')).catch(() => '(body not readable)');
      }
      Promise.all([requestBody, responseBody]).then(([req, res]) => {
        record.requestBody = req;
        record.responseBody = res;
        onExchange(record);
      });
      return response;
    }, (error) => {
      record.ms = Date.now() - record.started;
      record.failure = error?.name === 'AbortError' ? 'aborted' : `network error: ${error?.message ?? error}`;
      requestBody.then((req) => { record.requestBody = req; onExchange(record); });
      throw error;
    });
    return done;
  };
  return original;
}

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  const { attrs, ...rest } = props;
  Object.assign(node, rest);
  for (const [name, value] of Object.entries(attrs ?? {})) node.setAttribute(name, value);
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

function block(title, lines) {
  if (!lines || lines.length === 0) return null;
  const text = Array.isArray(lines) ? lines.join('\n') : lines;
  const count = text.split('\n').length;
  const pre = el('pre', { textContent: text, tabIndex: 0 });
  // Long bodies (a discovery document, a JWK Set) fold away; the summary says how long.
  if (count > 24) return el('details', { className: 'exchange-part' }, el('summary', { textContent: `${title} (${count} lines)` }), pre);
  return el('div', { className: 'exchange-part' }, el('h5', { textContent: title }), pre);
}

/** The list item showing one exchange. */
export function renderExchange(record) {
  const statusClass = record.failure ? 'bad' : record.status >= 400 || record.status === 0 ? 'bad' : 'ok';
  const statusText = record.failure ?? `${record.status} ${record.statusText}`.trim();
  const summary = el('summary', {},
    el('span', { className: 'method', textContent: record.method }), ' ',
    el('span', { className: 'url', textContent: record.url }), ' → ',
    el('span', { className: `http-status ${statusClass}`, textContent: statusText }),
    el('span', { className: 'muted', textContent: ` · ${record.ms ?? '?'} ms${record.background ? ` · ${record.label}` : ''}` }));
  const details = el('details', { open: true, className: 'exchange' }, summary,
    block('Request headers', [...record.requestHeaders, ...(record.cookieNote ? [record.cookieNote] : [])]),
    block('Request body', record.requestBody),
    block('Response headers', record.responseHeaders),
    record.setCookieNote ? block('Cookies', record.setCookieNote) : null,
    block('Response body', record.responseBody));
  return el('li', { className: 'exchange-item', attrs: { 'data-status': String(record.status ?? 'failed') } }, details);
}

/** Empties a section's exchange list before a new action (the heading stays). */
export function resetExchanges(container, actionLabel) {
  container.replaceChildren(
    el('h3', { textContent: 'HTTP exchange' }),
    el('p', { className: 'muted exchange-caption', textContent: actionLabel ? `${actionLabel}:` : '' }),
    el('ol', { className: 'exchange-list', attrs: { 'aria-label': `HTTP requests of: ${actionLabel}` } }));
}

export function appendExchange(container, record) {
  if (!container.querySelector('ol')) resetExchanges(container, record.label);
  const list = container.querySelector('ol');
  const item = renderExchange(record);
  // Keep the order in which the requests were sent, although answers arrive in any order.
  const later = [...list.children].find((li) => Number(li.dataset.id) > record.id);
  item.dataset.id = String(record.id);
  list.insertBefore(item, later ?? null);
}
