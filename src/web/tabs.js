// Cross-tab plumbing for a TokenManager's session: a BroadcastChannel carries the messages
// client/tabs.rs writes and reads, and Web Locks let one tab at a time refresh. What to send,
// what to do with a message and which lock to take is decided in Rust.

/** Whether this runtime has both BroadcastChannel and Web Locks. */
export function crossTabSupported() {
  return typeof BroadcastChannel === 'function'
    && typeof navigator === 'object' && navigator !== null
    && typeof navigator.locks?.request === 'function';
}

/**
 * Whether tabs share sessions unless told otherwise: in browser pages and browser workers only.
 * Node has BroadcastChannel too, but there it links every object of a process, which are not
 * tabs of one user.
 */
export function crossTabByDefault() {
  return typeof document === 'object' || typeof WorkerGlobalScope === 'function';
}

/**
 * Joins the channel `name`; `onMessage(text, key)` receives peers' string messages, nothing
 * else, with the DPoP key pair that came along (or undefined): Rust checks what it is.
 */
export function openChannel(name, onMessage) {
  const channel = new BroadcastChannel(name);
  channel.onmessage = (event) => {
    const data = event.data;
    if (typeof data === 'string') onMessage(data, undefined);
    else if (Array.isArray(data) && typeof data[0] === 'string') onMessage(data[0], data[1]);
  };
  return channel;
}

/**
 * Posts `text` to the peers, with `key` (a DPoP CryptoKeyPair: structured-cloneable, its
 * private key still non-extractable) when given; a closed channel drops it (the tab is going away).
 */
export function post(channel, text, key) {
  try {
    channel.postMessage(key === undefined ? text : [text, key]);
  } catch {
    // InvalidStateError after close(): nobody left to tell.
  }
}

export function closeChannel(channel) {
  channel.close();
}

/**
 * Asks for the Web Lock `name`, waiting at most `waitMs`. Returns `[granted, cancel]`:
 * `granted` resolves with `release(holdMs)` once the lock is held, `null` when `cancel()` gave
 * up the wait, or `false` when it timed out or the browser refused the request (never a refresh
 * without the lock). `release(holdMs)` lets the lock go after
 * `holdMs` milliseconds (0: now); it never rejects and is safe to call twice.
 */
export function requestLock(name, waitMs) {
  const controller = new AbortController();
  let cancelled = false;
  const timer = setTimeout(() => controller.abort(), waitMs);
  const granted = new Promise((resolve) => {
    navigator.locks.request(name, { signal: controller.signal }, () => {
      clearTimeout(timer);
      return new Promise((letGo) => {
        let released = false;
        resolve((holdMs) => {
          if (released) return;
          released = true;
          if (holdMs > 0) setTimeout(letGo, holdMs);
          else letGo();
        });
      });
    }).catch(() => resolve(cancelled ? null : false));
  });
  const cancel = () => {
    cancelled = true;
    clearTimeout(timer);
    controller.abort();
  };
  return [granted, cancel];
}
