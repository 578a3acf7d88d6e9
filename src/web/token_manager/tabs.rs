//! The channel and the locks a session shares with its peer tabs (`tabs.js`). What goes on the
//! channel and what a message means is `client::tabs`'; this file only joins, posts, listens
//! and waits for locks.

use std::cell::RefCell;

use js_sys::{Array, Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::Error;
use crate::client::tabs::{LOCK_WAIT_MS, Message};

#[wasm_bindgen(module = "/src/web/tabs.js")]
extern "C" {
    #[wasm_bindgen(js_name = crossTabSupported)]
    fn cross_tab_supported() -> bool;
    #[wasm_bindgen(js_name = crossTabByDefault)]
    pub(super) fn cross_tab_by_default() -> bool;
    #[wasm_bindgen(js_name = openChannel)]
    fn open_channel(name: &str, on_message: &Function) -> JsValue;
    fn post(channel: &JsValue, text: &str, key: &JsValue);
    #[wasm_bindgen(js_name = closeChannel)]
    fn close_channel(channel: &JsValue);
    #[wasm_bindgen(js_name = requestLock)]
    fn request_lock(name: &str, wait_ms: f64) -> Array;
}

/// A session's link to its peers.
pub(super) struct Tabs {
    /// The channel name, and the prefix of the lock names (`client::tabs::lock_name`).
    pub(super) key: String,
    channel: JsValue,
    _listener: Closure<dyn FnMut(String, JsValue)>,
    /// Give up the lock waits in progress: new tokens made them pointless.
    cancel_waits: RefCell<Vec<Function>>,
}

/// A held refresh lock. Dropped without [`Lock::release`], it is let go at once.
pub(super) struct Lock(Option<Function>);

impl Lock {
    /// Lets the lock go after `hold_ms` milliseconds.
    pub(super) fn release(mut self, hold_ms: f64) {
        if let Some(release) = self.0.take() {
            let _ = release.call1(&JsValue::UNDEFINED, &JsValue::from(hold_ms));
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        if let Some(release) = self.0.take() {
            let _ = release.call1(&JsValue::UNDEFINED, &JsValue::from(0));
        }
    }
}

impl Tabs {
    /// Joins the channel `key` when this runtime has BroadcastChannel and Web Locks; `None`
    /// elsewhere (then the session is this tab's alone, as before).
    pub(super) fn join(key: String, on_message: impl FnMut(String, JsValue) + 'static) -> Option<Tabs> {
        if !cross_tab_supported() {
            return None;
        }
        let listener = Closure::<dyn FnMut(String, JsValue)>::new(on_message);
        let channel = open_channel(&key, listener.as_ref().unchecked_ref());
        Some(Tabs { key, channel, _listener: listener, cancel_waits: RefCell::new(Vec::new()) })
    }

    /// Posts `message`, with `key` (a DPoP key pair, for bound tokens; else `undefined`).
    pub(super) fn post(&self, message: &Message, key: &JsValue) {
        post(&self.channel, message.encode().expose(), key);
    }

    /// Waits for the lock `name`: `Ok(Some(lock))` once held, `Ok(None)` when
    /// [`Tabs::stop_waiting`] gave up the wait, `Err(LockTimeout)` after [`LOCK_WAIT_MS`] (or
    /// when the browser refused the request: then no lock is held, so no refresh is sent).
    pub(super) async fn lock(&self, name: &str) -> Result<Option<Lock>, Error> {
        let pair = request_lock(name, LOCK_WAIT_MS);
        let granted: Promise = pair.get(0).unchecked_into();
        let cancel: Option<Function> = pair.get(1).dyn_into().ok();
        if let Some(cancel) = &cancel {
            self.cancel_waits.borrow_mut().push(cancel.clone());
        }
        let outcome = JsFuture::from(granted).await.unwrap_or(JsValue::FALSE);
        if let Some(cancel) = &cancel {
            self.cancel_waits.borrow_mut().retain(|other| other != cancel);
        }
        match outcome.dyn_into::<Function>() {
            Ok(release) => Ok(Some(Lock(Some(release)))),
            Err(other) if other.is_null() => Ok(None),
            Err(_) => Err(Error::LockTimeout { waited_ms: LOCK_WAIT_MS as u64 }),
        }
    }

    /// Gives up the lock waits in progress, if any.
    pub(super) fn stop_waiting(&self) {
        let waits = std::mem::take(&mut *self.cancel_waits.borrow_mut());
        for cancel in waits {
            let _ = cancel.call0(&JsValue::UNDEFINED);
        }
    }
}

impl Drop for Tabs {
    fn drop(&mut self) {
        self.stop_waiting();
        close_channel(&self.channel);
    }
}
