// `cacheApiStore`: a `jwksStore` (the option of a `jwksUri` JwtVerifier) on the Cache API of
// Cloudflare Workers (`caches.default`, or the Cache given). Each entry is a Response under
// `namespaceUrl` + the key, kept `expirationTtl` seconds (Cache-Control max-age). The URL is
// only a key: nothing is ever fetched from it. The Cache API is per data centre, not global as
// KV is, and may drop an entry early; the verifier then fetches the set, as without a store.
// Every entry (node.js, browser.js, workerd.js) exports it, made with its own WasmAuthError class
// (this file imports nothing); esbuild inlines this file.
export function cacheApiStoreFor(WasmAuthError) {
  return function cacheApiStore(cache, options) {
    if (options === undefined && cache !== undefined && cache !== null && typeof cache.match !== 'function') {
      options = cache; // cacheApiStore({ namespaceUrl })
      cache = undefined;
    }
    const namespaceUrl = options?.namespaceUrl ?? 'https://jwks-store.wasm-auth.invalid/';
    const namespace = URL.canParse(namespaceUrl) ? new URL(namespaceUrl) : null;
    if (namespace?.protocol !== 'https:' && namespace?.protocol !== 'http:') {
      throw new WasmAuthError('ERR_AUTH_INVALID_OPTIONS', 'invalid options: cacheApiStore: namespaceUrl must be an http: or https: URL');
    }
    // Looked up at each call, not here: `caches` exists in Workers only, and only per request.
    const target = () => cache ?? caches.default;
    const url = (key) => new URL(encodeURIComponent(key), namespace).href;
    return {
      async get(key) {
        const response = await target().match(url(key));
        return response === undefined ? null : response.text();
      },
      async put(key, value, { expirationTtl } = {}) {
        const headers = { 'content-type': 'application/json' };
        if (expirationTtl !== undefined) headers['cache-control'] = `max-age=${Math.ceil(expirationTtl)}`;
        await target().put(url(key), new Response(value, { headers }));
      },
    };
  };
}
