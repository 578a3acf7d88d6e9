// Browser entry, for bundlers (Vite, webpack, Rollup, esbuild) and for plain ES modules alike.
//
// Decision (issue 18): NO top-level await. An entry that awaited the module made every import
// wait for it, but Vite 5 and 6 refuse top-level await with their default build target (and
// their dev server's dependency pre-bundling crashes on it), and esbuild refuses it in its
// default iife format. Inlining the .wasm as base64 would have avoided the asset question too,
// at +32 % gzip: rejected. So the import returns at once and the module loads in the
// background; what the app sees:
// - `await ready()` resolves once the module is loaded (and rejects if it cannot be).
// - Every method that returns a promise (all the network ones) waits for the module by itself.
// - A constructor called before the module is loaded returns an object whose construction is
//   deferred until then: the options are validated at that moment, and if they are refused the
//   object's promise-returning methods reject with that error (its synchronous members throw
//   it). Listener registration, `dispose()`, `free()` and other members that return nothing are
//   queued and replayed, in order, on the real object.
// - Synchronous members that return a value (`createPkce`, `decodeUnverified`,
//   `pkceChallenge`, `version`, `setTokens`, `authorize`, getters) cannot wait: before the
//   module is loaded they throw ERR_AUTH_NOT_READY, which says to `await ready()` first.
// Trade-offs: the sync calls above need `await ready()` once in a browser (the Node and workerd
// entries are ready on import, and export a `ready()` that is already resolved, so the same app
// code runs everywhere); objects made before the module loaded are proxies of the real ones
// (`instanceof` works; a proxy cannot be told apart except by identity of its methods). Objects
// made after the module loaded are the plain classes, with no indirection.
//
// Main-thread browsers forbid synchronous compilation of large modules, hence the async init.
//
// `make pkg` (scripts/build-pkg.mjs) appends the export list below this file: one
// `lazyClass`/`lazyFunction` wrapper per class and function of the glue, with the members that
// return a promise or nothing read from the glue's .d.ts, then bundles it with the glue.
import init, * as glue from './wasm_auth.js';
import { withAuthFor } from './with-auth.js';

export * from './wasm_auth.js';

// Where the .wasm is. `new URL('./…_bg.wasm', import.meta.url)` is the asset pattern Vite and
// webpack rewrite, and what a browser resolves next to this file. Two layouts need more:
// - Vite's dev server pre-bundles dependencies into node_modules/.vite/deps/ without
//   their assets, so the URL next to the bundled file would find the SPA fallback (index.html);
//   the package's own file is served from node_modules/<package>/ there. That path is joined at
//   run time so that no bundler takes it for an asset of its own.
// - esbuild's default iife format has no import.meta: the .wasm is looked for next to the
//   script (the README's esbuild line copies it there).
// `make pkg` rewrites PACKAGE_SUBPATH and the file name for verify/.
const PACKAGE_NAME = 'wasm-auth';
const PACKAGE_SUBPATH = 'wasm-auth';
const WASM_FILE = 'wasm_auth_bg.wasm';
const VITE_PREBUNDLE = /\/node_modules\/\.vite\/deps(_temp_[^/]*)?\/[^/]*$/;
function wasmLocation() {
  const here = import.meta.url;
  if (typeof here !== 'string') return new URL(WASM_FILE, globalThis.document?.currentScript?.src ?? location.href);
  const { pathname } = new URL(here);
  if (VITE_PREBUNDLE.test(pathname)) return viteDevWasm(new URL(['..', '..', PACKAGE_SUBPATH, WASM_FILE].join('/'), here));
  return new URL('./wasm_auth_bg.wasm', import.meta.url);
}

// The package installed elsewhere than the app's node_modules (hoisted in a monorepo) is not
// there: the dev server answers with its SPA fallback, and the error says what to do instead of
// WebAssembly's "expected magic word".
async function viteDevWasm(url) {
  const response = await fetch(url);
  if (response.ok && !(response.headers.get('content-type') ?? '').startsWith('text/html')) return response;
  throw new Error(`${PACKAGE_SUBPATH}: Vite's dependency pre-bundling moved this package away from its .wasm, `
    + `which is not at ${url.pathname}: add optimizeDeps: { exclude: ['${PACKAGE_NAME}'] } to vite.config`);
}

// init() fetches the URL (or takes viteDevWasm's Response) and compiles while it downloads:
// wasm-bindgen's loader uses WebAssembly.instantiateStreaming when the answer is
// application/wasm, and falls back to instantiate(arrayBuffer) (with a console warning naming
// the MIME type) when a server sends another Content-Type.
let loaded = false;
// What waits for the module: deferred constructions first (in the order they were made, so
// that an object handed to a later constructor exists), then everything else.
const pending = [];
const loading = init({ module_or_path: wasmLocation() }).then(() => {
  loaded = true;
  for (const build of pending.splice(0)) build();
});
// A failed load is reported by ready() and by every call that waits for the module; this
// handler only keeps the browser from also reporting it as unhandled at import.
loading.catch(() => {});

/** Resolves once the wasm module is loaded; synchronous members need it in browsers. */
export function ready() {
  return loading;
}

function notReady(what) {
  return new glue.WasmAuthError('ERR_AUTH_NOT_READY', `${what}: the wasm module is still loading: await ready() first`);
}

/** A module-level function: synchronous ones throw before the module is loaded, async ones wait. */
function lazyFunction(fn, isAsync) {
  const lazy = isAsync
    ? async (...args) => { await loading; return fn(...args); }
    : (...args) => {
        if (!loaded) throw notReady(`${fn.name}()`);
        return fn(...args);
      };
  Object.defineProperty(lazy, 'name', { value: fn.name });
  return lazy;
}

/**
 * A class of the glue: once the module is loaded, `new` makes the real object; before, a
 * deferred one (below). Static methods that return a promise wait for the module.
 * `members`: { async: names returning a promise, void: names returning nothing, statics: async
 * static methods }.
 */
function lazyClass(Class, members) {
  return new Proxy(Class, {
    construct(target, args, newTarget) {
      if (loaded) return Reflect.construct(target, args, newTarget);
      return deferredObject(target, args, newTarget, members);
    },
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (loaded || typeof value !== 'function' || !members.statics.includes(key)) return value;
      return async (...args) => { await loading; return value.apply(target, args); };
    },
  });
}

function deferredObject(Class, args, newTarget, members) {
  const shell = Object.create(newTarget.prototype);
  let real = null;
  let failure = null;
  const queued = [];
  const methods = new Map();
  pending.push(() => {
    try {
      real = Reflect.construct(Class, args, newTarget);
    } catch (error) {
      failure = error;
      return;
    }
    for (const [key, callArgs] of queued) {
      // A replayed call that throws is the caller's error, reported like any uncaught one.
      try { real[key](...callArgs); } catch (error) { globalThis.reportError?.(error); }
    }
  });
  const isVoid = (key) => key === Symbol.dispose || members.void.includes(key);
  const handler = {
    get(target, key) {
      if (real) {
        const value = Reflect.get(real, key, real);
        if (typeof value !== 'function') return value;
        if (!methods.has(key)) methods.set(key, value.bind(real));
        return methods.get(key);
      }
      // Object's own members (toString, constructor) are not the class's: they stay usable.
      if (key === 'constructor' || !Object.hasOwn(Class.prototype, key)) return Reflect.get(target, key);
      if (members.async.includes(key)) {
        // Waits for the module, then calls the member on the real object (or rejects with
        // the error that refused the options).
        return async (...callArgs) => {
          await loading;
          if (failure) throw failure;
          return real[key](...callArgs);
        };
      }
      if (failure) throw failure;
      if (isVoid(key) && typeof Class.prototype[key] === 'function') {
        return (...callArgs) => { queued.push([key, callArgs]); };
      }
      throw notReady(`${Class.name}.${String(key)}`);
    },
    set(target, key, value) {
      return Reflect.set(real ?? target, key, value);
    },
  };
  return new Proxy(shell, handler);
}

// withAuth(handler, options): the edge middleware for a plain fetch handler (with-auth.js). Its
// verifier is built on the first request, once the module is loaded.
const withAuthLoaded = withAuthFor(glue.JwtVerifier, glue.WasmAuthError);
export function withAuth(handler, options, use) {
  const wrapped = withAuthLoaded(handler, options, use);
  return async (request, env, ctx) => {
    await loading;
    return wrapped(request, env, ctx);
  };
}
import { cacheApiStoreFor } from './jwks-store.js';
export const cacheApiStore = cacheApiStoreFor(glue.WasmAuthError);
