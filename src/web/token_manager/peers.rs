//! A session's peer tabs (`crossTab`): joining them, what their messages make this tab do
//! (`client::tabs::react`), the refresh lock, and `restore()`. The rules are `client::tabs`'.

use std::rc::Rc;

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::session::{Session, delay_of, send};
use super::tabs::{Lock, Tabs};
use crate::Error;
use crate::client::Secret;
use crate::client::oauth::{self, TokenPurpose};
use crate::client::schedule;
use crate::client::tabs::{self as peers, Arrival, Ended, Message, Reaction, Shared, Standing};
use crate::web::http::{self, now};

impl Session {
    /// The peers' refresh lock for the tokens whose access token is `access`. `Ok(None)` without
    /// peers, or when new tokens arrived during the wait.
    pub(super) async fn lock_for(&self, access: &Secret) -> Result<Option<Lock>, Error> {
        let Some(tabs) = self.tabs.borrow().clone() else { return Ok(None) };
        tabs.lock(&peers::lock_name(&tabs.key, Some(access))).await
    }

    /// With `refreshTokenInCookie`, the peers' lock of the refresh cookie
    /// (`client::tabs::cookie_lock_name`); `Ok(None)` without the cookie or without peers.
    pub(super) async fn cookie_lock(&self) -> Result<Option<Lock>, Error> {
        let tabs = self.tabs.borrow().clone();
        match tabs {
            Some(tabs) if self.config.refresh_cookie => tabs.lock(&peers::cookie_lock_name(&tabs.key)).await,
            _ => Ok(None),
        }
    }

    /// `restore()`, one at a time: concurrent callers (React StrictMode runs an effect twice)
    /// share one; it resolves to whether this tab then holds a session.
    pub(super) fn restore_shared(self: &Rc<Self>) -> Promise {
        if let Some(running) = self.restoring.borrow().clone() {
            return running;
        }
        let session = self.clone();
        let running = http::promise(async move {
            let outcome = session.restore().await;
            session.restoring.borrow_mut().take();
            Ok(JsValue::from_bool(outcome?))
        });
        *self.restoring.borrow_mut() = Some(running.clone());
        running
    }

    /// Whether this tab holds a session once its peers had their say, and then, with
    /// `refreshTokenInCookie`, the API's cookie.
    async fn restore(self: &Rc<Self>) -> Result<bool, Error> {
        if self.disposed.get() {
            return Err(Error::Disposed);
        }
        if self.is_authenticated() {
            return Ok(true);
        }
        let tabs = self.tabs.borrow().clone();
        if let Some(tabs) = tabs {
            tabs.post(&Message::Hello, &JsValue::UNDEFINED);
            self.wait_for_peer(peers::PEER_ANSWER_WAIT_MS).await;
        }
        let Some(request) = self
            .config
            .refresh_cookie
            .then(|| oauth::session_refresh_request(&self.config.refresh, None, self.config.client_id.as_deref()))
            .flatten()
        else {
            return Ok(self.is_authenticated());
        };
        if self.is_authenticated() {
            return Ok(true);
        }
        let generation = self.generation.get();
        let lock = self.cookie_lock().await?;
        if self.generation.get() != generation || self.disposed.get() {
            return Ok(self.is_authenticated());
        }
        let sent = now();
        let reply = send(&request, &[], http::DEFAULT_MAX_RESPONSE_BYTES, self.dpop()).await;
        let received = now();
        if self.generation.get() != generation || self.disposed.get() {
            return Ok(self.is_authenticated());
        }
        let outcome = reply
            .and_then(|reply| oauth::process_token_response(TokenPurpose::SessionRefresh, reply.answer()))
            .and_then(|tokens| self.check_token_type(tokens))
            .and_then(|tokens| schedule::renewal(tokens, None, received.wall_ms));
        match outcome {
            Ok(tokens) => {
                drop(lock);
                self.install(tokens, sent, received, Arrival::Restore);
                Ok(true)
            }
            // No cookie, or a refused one: nobody is logged in.
            Err(Error::SessionExpired) => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// Resolves after `ms`, or as soon as a peer's tokens arrive.
    async fn wait_for_peer(&self, ms: f64) {
        let (promise, now) = delay_of(ms);
        *self.awaiting_peer.borrow_mut() = Some(now);
        let _ = JsFuture::from(promise).await;
        self.awaiting_peer.borrow_mut().take();
    }

    pub(super) fn join_peers(self: &Rc<Self>) {
        let Some(key) = self.config.tabs_key.clone() else { return };
        let weak = Rc::downgrade(self);
        let tabs = Tabs::join(key, move |text: String, dpop_key: JsValue| {
            if let Some(session) = weak.upgrade() {
                session.heard(&text, &dpop_key);
            }
        });
        *self.tabs.borrow_mut() = tabs.map(Rc::new);
    }

    /// A peer's message, and what `client::tabs::react` says to do about it.
    /// `dpop_key`: the key pair that came with it, if any.
    fn heard(self: &Rc<Self>, text: &str, dpop_key: &JsValue) {
        let Some(message) = Message::decode(text) else { return };
        if self.disposed.get() {
            return;
        }
        let standing =
            Standing { epoch: self.epoch.get(), rotation: self.rotation.get(), holding: self.is_authenticated() };
        match peers::react(&standing, message) {
            Reaction::Ignore => {}
            Reaction::Answer => self.tell_peers_tokens(),
            // Tokens of the other binding are refused (a DPoP tab never takes Bearer tokens,
            // `client::dpop::check_token_type`; the two kinds of session use different channels
            // anyway). A peer's bound token is of no use without its key: ignored unless the
            // key came along and is a usable one (then it is this tab's key from now on, unless
            // this tab holds the key of this session already: `client::dpop::may_adopt_peer_key`).
            Reaction::Adopt(shared)
                if crate::client::dpop::check_token_type(&shared.tokens, self.config.dpop.is_some()).is_err()
                    || shared.tokens.dpop
                        && !self
                            .config
                            .dpop
                            .as_ref()
                            .is_some_and(|dpop| dpop.adopt(dpop_key, shared.epoch, self.epoch.get())) => {}
            Reaction::Adopt(shared) => {
                if let Some(tabs) = self.tabs.borrow().as_ref() {
                    tabs.stop_waiting();
                }
                let expiry = shared.expiry(now());
                self.hold(shared.tokens, expiry, shared.epoch, shared.rotation);
                if let Some(resolve) = self.awaiting_peer.borrow_mut().take() {
                    let _ = resolve.call0(&JsValue::UNDEFINED);
                }
                self.announce(Arrival::Peer);
            }
            Reaction::Drop { epoch, why } => {
                self.epoch.set(epoch);
                if self.forget().is_none() {
                    return;
                }
                self.forget_dpop_key();
                match why {
                    Ended::Logout => self.emit(
                        "logout",
                        &[("revoked", JsValue::FALSE), ("reason", JsValue::from_str(Arrival::Peer.reason()))],
                    ),
                    Ended::Expired => self.emit("sessionexpired", &[("error", JsValue::from(&Error::SessionExpired))]),
                }
            }
        }
    }

    /// Tells the peers the tokens this tab holds, with the life they have left.
    pub(super) fn tell_peers_tokens(&self) {
        let (tabs, held) = (self.tabs.borrow(), self.held.borrow());
        let (Some(tabs), Some(held)) = (tabs.as_ref(), held.as_ref()) else { return };
        let shared = Shared::new(self.epoch.get(), self.rotation.get(), &held.tokens, &held.expiry, &now());
        // Bound tokens go with the key pair they are bound to (RFC 9449): a peer cannot use
        // them, nor refresh them, with a key of its own.
        let key = match (&self.config.dpop, held.tokens.dpop) {
            (Some(dpop), true) => dpop.pair(),
            _ => JsValue::UNDEFINED,
        };
        tabs.post(&Message::Tokens(shared), &key);
    }

    /// Tells the peers the session ended here (`logout()`, or a refused refresh token).
    pub(super) fn tell_peers_ended(&self, why: Ended) {
        let epoch = peers::next_epoch(self.epoch.get(), &now());
        self.epoch.set(epoch);
        if let Some(tabs) = self.tabs.borrow().as_ref() {
            tabs.post(&Message::Ended { epoch, why }, &JsValue::UNDEFINED);
        }
    }

    /// Leaves the peers: the channel is closed and a lock wait given up.
    pub(super) fn leave_peers(&self) {
        if let Some(tabs) = self.tabs.borrow_mut().take() {
            tabs.stop_waiting();
        }
    }
}
