// wasm-auth/react: React 18 and 19 bindings, plain JS (no JSX, no build step).
//
// One store per auth client (a TokenManager or an OAuthClient, or a promise of one), kept in a
// module-level WeakMap, never in component state: StrictMode's double renders and its test
// unmount, fast refresh and a discarded concurrent render all find the same store, so there is
// one client, one set of event listeners, one restore() and one callback redemption per page,
// and nothing here ever disposes the client (the app created it; it decides). Components read
// the store with useSyncExternalStore, so every component of a render sees one snapshot.
//
// The package is imported by its name, so the runtime's export conditions still pick the entry.
import { createContext, createElement, useContext, useEffect, useMemo, useSyncExternalStore } from 'react';
import { decodeUnverified } from 'wasm-auth';

const isThenable = (value) => value != null && typeof value.then === 'function';
// Duck typing rather than instanceof: a second copy of the package (a bundler's duplicate)
// still works.
const isOAuthClient = (client) => typeof client?.handleRedirectCallback === 'function';
const isTokenManager = (client) => typeof client?.getToken === 'function' && typeof client?.login === 'function';

/**
 * The session as useAuth shows it: whether tokens are held, and the access token's claims,
 * decoded and NOT verified (display only), or null when logged out or when the access token is
 * not a JWT (an opaque OAuth token). Uses the manager's own `claims` getter where the installed
 * core has one; otherwise reads the token through getToken().
 */
async function readSession(manager) {
  if (!manager.isAuthenticated) return { isAuthenticated: false, claims: null };
  try {
    const claims = 'claims' in manager ? manager.claims : decodeUnverified(await manager.getToken()).payload;
    return { isAuthenticated: true, claims: claims ?? null };
  } catch {
    // An opaque token (not a JWT), or a session that just ended (its event follows).
    return { isAuthenticated: manager.isAuthenticated, claims: null };
  }
}

/** A value React components subscribe to: replaced, never mutated, and listeners told. */
class Cell {
  constructor(value) {
    this.value = value;
    this.listeners = new Set();
    this.subscribe = (listener) => {
      this.listeners.add(listener);
      return () => this.listeners.delete(listener);
    };
    this.get = () => this.value;
  }

  set(changes) {
    this.value = { ...this.value, ...changes };
    for (const listener of this.listeners) listener();
  }
}

/** Whether this page's address carries an authorization response (code or error, with state). */
function hasCallbackParams() {
  if (typeof location === 'undefined') return false;
  const params = new URL(location.href).searchParams;
  return (params.has('code') || params.has('error')) && params.has('state');
}

class AuthStore {
  constructor(source, restore) {
    this.restore = restore;
    this.started = false;
    this.reads = 0;
    // isLoading: until the client is there, restored (with `restore`) and its session read.
    this.session = new Cell({ isLoading: true, isAuthenticated: false, claims: null, error: null, client: null });
    this.callback = null; // a Cell, made by the first useOAuthCallback
    this.ready = Promise.resolve(source).then((client) => this.attach(client));
    this.ready.catch((error) => this.session.set({ isLoading: false, error }));
    if (!isThenable(source)) this.attachNow(source);
    // login and logout report their failure in `error` too (and still reject); getToken and
    // fetch only reject: a failed API call is the caller's to show, not the session's state.
    const reported = (run) => async (...args) => {
      const client = await this.ready;
      this.session.set({ error: null });
      try {
        return await run(client, ...args);
      } catch (error) {
        this.session.set({ error });
        throw error;
      }
    };
    this.actions = {
      login: reported((client, first, password) => (isOAuthClient(client)
        ? void client.authorize(first)
        : this.manager.login(first, password))),
      logout: reported((_, options) => {
        const done = this.manager.logout(options);
        this.sync(); // the tokens are forgotten at once; the `logout` event waits for revocation
        return done;
      }),
      getToken: async () => (await this.ready, this.manager.getToken()),
      fetch: async (input, init) => (await this.ready, this.manager.fetch(input, init)),
    };
  }

  // A client given as is (not a promise): `client` and `tokenManager` are there from the first render.
  attachNow(client) {
    try {
      this.attach(client);
    } catch {
      // ready's rejection reports it.
    }
  }

  attach(client) {
    if (this.client === client) return client;
    const manager = isOAuthClient(client) ? client.tokenManager : client;
    if (!isTokenManager(manager)) {
      throw new TypeError(isOAuthClient(client)
        ? 'wasm-auth/react: this OAuthClient has no TokenManager: give it `baseUrl` (the API) or `tokenManager`'
        : 'wasm-auth/react: AuthProvider needs a TokenManager or an OAuthClient (or a promise of one) as `client`');
    }
    this.client = client;
    this.manager = manager;
    const sync = () => this.sync();
    manager.addEventListener('tokenchange', () => {
      this.session.set({ error: null });
      sync();
    });
    manager.addEventListener('logout', sync);
    manager.addEventListener('sessionexpired', (event) => {
      this.session.set({ error: event.detail.error });
      sync();
    });
    // isAuthenticated and claims come together from the first sync (start()).
    this.session.set({ client });
    return client;
  }

  // Reads the session again; an older read that finishes later is dropped.
  async sync() {
    const read = ++this.reads;
    const session = await readSession(this.manager);
    if (read === this.reads) this.session.set(session);
  }

  // The provider's effect: once per store, whatever StrictMode or fast refresh repeat.
  start() {
    if (this.started) return;
    this.started = true;
    this.ready.then(async (client) => {
      if (this.restore) {
        // Single-flight in the core too; OAuthClient.restore() without `silent` only asks the
        // other tabs, it never redirects.
        try {
          await client.restore();
        } catch (error) {
          this.session.set({ error });
        }
      }
      // A sign-in coming back (useOAuthCallback's effect ran first: children's effects run
      // before their parents'): still loading until its tokens are in.
      await this.callbackDone;
      await this.sync();
      this.session.set({ isLoading: false });
    }, () => {});
  }

  // useOAuthCallback: handleRedirectCallback at most once per page load and client.
  callbackCell() {
    if (!this.callback) {
      const pending = hasCallbackParams();
      this.callback = new Cell({ loading: pending, result: null, error: null });
      this.callbackPending = pending;
    }
    return this.callback;
  }

  handleCallback() {
    if (!this.callbackPending) return;
    this.callbackPending = false;
    this.callbackDone = this.ready.then((client) => {
      if (!isOAuthClient(client)) throw new TypeError('wasm-auth/react: useOAuthCallback needs an OAuthClient');
      return client.handleRedirectCallback();
    }).then(
      (result) => this.callback.set({ loading: false, result }),
      (error) => this.callback.set({ loading: false, error }),
    );
  }
}

const stores = new WeakMap();

function storeFor(source, restore) {
  if (source === null || (typeof source !== 'object' && typeof source !== 'function')) {
    throw new TypeError('wasm-auth/react: AuthProvider needs a TokenManager or an OAuthClient (or a promise of one) as `client`');
  }
  let store = stores.get(source);
  if (!store) {
    store = new AuthStore(source, restore);
    stores.set(source, store);
  }
  return store;
}

const AuthContext = createContext(null);

function useStore(hook) {
  const store = useContext(AuthContext);
  if (!store) throw new Error(`wasm-auth/react: ${hook}() must be used inside <AuthProvider>`);
  return store;
}

/**
 * Makes `client` (a TokenManager or an OAuthClient created outside React, at module scope, or a
 * promise of one such as `OAuthClient.discover(...)`) the app's auth client. `restore` (default
 * true): resume the session once on mount (another tab's, or the refresh cookie's).
 */
export function AuthProvider({ client, restore = true, children }) {
  const store = storeFor(client, restore !== false);
  useEffect(() => store.start(), [store]);
  return createElement(AuthContext.Provider, { value: store }, children);
}

/** The session and its actions; re-renders on tokenchange, logout and sessionexpired. */
export function useAuth() {
  const store = useStore('useAuth');
  const session = useSyncExternalStore(store.session.subscribe, store.session.get, store.session.get);
  return useMemo(
    () => ({ ...session, tokenManager: session.client ? store.manager : null, ...store.actions }),
    [session, store],
  );
}

/** Completes an OAuth sign-in on the redirect URI, once per page load (StrictMode included). */
export function useOAuthCallback() {
  const store = useStore('useOAuthCallback');
  const cell = store.callbackCell();
  const state = useSyncExternalStore(cell.subscribe, cell.get, cell.get);
  useEffect(() => store.handleCallback(), [store]);
  return state;
}
