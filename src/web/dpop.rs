//! A client's DPoP key and its proofs (RFC 9449), for `dpop: true`: the key pair is made once,
//! on the first proof, by WebCrypto (non-extractable ECDSA P-256, `shim.js`); what a proof says,
//! which nonce it carries and when to retry are `client::dpop`'s; this file signs and sends.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use js_sys::{Array, Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::http::web_request::Request;
use super::http::{self, Reply};
use crate::Error;
use crate::client::Secret;
use crate::client::dpop::{self, Nonces, ProofRequest, PublicKey};

#[wasm_bindgen(module = "/src/web/shim.js")]
extern "C" {
    #[wasm_bindgen(js_name = dpopState)]
    fn dpop_state(store: Option<String>) -> JsValue;
    #[wasm_bindgen(js_name = dpopKey)]
    fn dpop_key(state: &JsValue) -> Promise;
    #[wasm_bindgen(js_name = dpopSign)]
    fn dpop_sign(pair: &JsValue, input: &str) -> Promise;
}

#[cfg(feature = "browser-client")]
#[wasm_bindgen(module = "/src/web/shim.js")]
extern "C" {
    #[wasm_bindgen(js_name = dpopNow)]
    fn dpop_now(state: &JsValue) -> Option<Array>;
    #[wasm_bindgen(js_name = dpopPair)]
    fn dpop_pair(state: &JsValue) -> JsValue;
    #[wasm_bindgen(js_name = dpopAdopt)]
    fn dpop_adopt(state: &JsValue, pair: &JsValue, may_replace: bool) -> bool;
    #[wasm_bindgen(js_name = dpopForget)]
    fn dpop_forget(state: &JsValue);
}

/// A boxed future: the request helpers below are awaited from many places, and a boxed future
/// keeps each caller's state machine (and the wasm) from holding a copy of theirs.
pub(crate) type Boxed<'a, T> = Pin<Box<dyn Future<Output = Result<T, Error>> + 'a>>;

/// One client's DPoP state: its key pair (made on first use, held by `shim.js` in `state`, so
/// the private key never passes through Rust; in IndexedDB too where
/// `client::dpop::key_kept_across_reloads` allows) and the servers' nonces.
pub(crate) struct Dpop {
    /// `shim.js`'s record of the key pair (`dpopKey`).
    state: JsValue,
    nonces: RefCell<Nonces>,
}

fn unavailable() -> Error {
    Error::DpopKeyUnavailable("this runtime's WebCrypto cannot make or use an ECDSA P-256 key")
}

impl Dpop {
    /// A client's DPoP state; `store`: the IndexedDB key its key pair is kept under across
    /// reloads, when it may be kept at all.
    pub(crate) fn new(store: Option<String>) -> Rc<Dpop> {
        Rc::new(Dpop { state: dpop_state(store), nonces: RefCell::default() })
    }

    /// Starts making (or reading) the key pair now; the promise resolves once it is there.
    #[cfg(feature = "browser-client")]
    pub(crate) fn start(&self) -> Promise {
        dpop_key(&self.state)
    }

    /// The key pair's RFC 7638 thumbprint (`dpop_jkt`, §10), if the key pair is there yet.
    #[cfg(feature = "browser-client")]
    pub(crate) fn thumbprint_now(&self) -> Option<String> {
        let xy = dpop_now(&self.state)?;
        let key = PublicKey::p256(&xy.get(0).as_string()?, &xy.get(1).as_string()?).ok()?;
        crate::jose::thumbprint::jwk_thumbprint_of(&key.jwk()).ok()
    }

    /// The key pair (a `CryptoKeyPair`) for a peer tab, or `undefined`.
    #[cfg(feature = "browser-client")]
    pub(crate) fn pair(&self) -> JsValue {
        dpop_pair(&self.state)
    }

    /// Uses a peer tab's key pair (whose session is `peer_epoch`; this tab's is `own_epoch`)
    /// from now on if `client::dpop::may_adopt_peer_key` allows it, else keeps this tab's own;
    /// `false` for anything but a usable key pair.
    #[cfg(feature = "browser-client")]
    pub(crate) fn adopt(&self, pair: &JsValue, peer_epoch: f64, own_epoch: f64) -> bool {
        let holds_key = !dpop_pair(&self.state).is_undefined();
        dpop_adopt(&self.state, pair, dpop::may_adopt_peer_key(holds_key, peer_epoch, own_epoch))
    }

    /// The session is over: the key pair is dropped (and deleted from IndexedDB), the nonces too.
    #[cfg(feature = "browser-client")]
    pub(crate) fn forget(&self) {
        dpop_forget(&self.state);
        *self.nonces.borrow_mut() = Nonces::default();
    }

    /// A proof for `method url`, with `ath` of `access_token` for a resource request and the
    /// nonce its server gave last. The key pair is made on the first call (concurrent first
    /// calls share one).
    pub(crate) fn proof<'a>(
        &'a self,
        method: &'a str,
        url: &'a str,
        access_token: Option<&'a Secret>,
    ) -> Boxed<'a, Secret> {
        Box::pin(async move {
            let made = JsFuture::from(dpop_key(&self.state)).await.map_err(|_| unavailable())?;
            let made: Array = made.unchecked_into();
            let coordinate = |i| made.get(i).as_string().unwrap_or_default();
            let key = PublicKey::p256(&coordinate(0), &coordinate(1))?;
            let nonce = self.nonces.borrow().for_url(url).map(str::to_owned);
            let request = ProofRequest { method, url, access_token, nonce: nonce.as_deref() };
            let input = dpop::signing_input(&key, &request, js_sys::Date::now() / 1000.0, &dpop::jti()?);
            let signature = JsFuture::from(dpop_sign(&made.get(2), input.expose())).await.map_err(|_| unavailable())?;
            dpop::compact(&input, &super::bytes::to_vec(&Uint8Array::new(&signature)))
        })
    }

    /// Remembers an answer's `DPoP-Nonce` from `url`'s server; whether it is a new one.
    pub(crate) fn remember(&self, url: &str, nonce: Option<&str>) -> bool {
        self.nonces.borrow_mut().remember(url, nonce)
    }

    /// `POST url` (a token, refresh or revocation request; `access_token`: the one it carries,
    /// if any) with a proof; sent once more with the server's nonce when it asks for one (§8).
    pub(crate) fn post<'a>(
        &'a self,
        url: &'a str,
        headers: &'a [(&'a str, &'a str)],
        body: &'a Secret,
        access_token: Option<&'a Secret>,
        with_cookies: bool,
        max_bytes: f64,
    ) -> Boxed<'a, Reply> {
        Box::pin(async move {
            let mut first = true;
            loop {
                let proof = self.proof("POST", url, access_token).await?;
                let mut all = headers.to_vec();
                all.push((dpop::HEADER, proof.expose()));
                let reply =
                    http::request_limited("POST", url, &all, Some(body.expose().to_owned()), with_cookies, max_bytes)
                        .await?;
                let new_nonce = self.remember(url, reply.dpop_nonce.as_deref());
                let wants = dpop::token_endpoint_wants_nonce(reply.status, &reply.body);
                if !dpop::retry_with_nonce(first, wants, new_nonce) {
                    return Ok(reply);
                }
                first = false;
            }
        })
    }

    /// A resource request with the DPoP-bound `token` (RFC 9449 §7): `send(proof)` sends
    /// `request` once with a proof for its method and URL (and follows no redirect: the proof is
    /// bound to this URL, `client::redirects`); sent once more with the resource server's nonce
    /// when it asks for one (§9). The `Response`, or what `send` rejected with. `send` is owned
    /// by the future (`http::send_token` returns it without an async frame of its own).
    pub(crate) fn send_resource<'a>(
        &'a self,
        token: &'a Secret,
        request: &'a Request,
        send: Box<dyn Fn(&str) -> Promise + 'a>,
    ) -> Pin<Box<dyn Future<Output = Result<JsValue, JsValue>> + 'a>> {
        Box::pin(async move {
            let (method, url) = (request.method(), request.url());
            let mut first = true;
            loop {
                let proof = self.proof(&method, &url, Some(token)).await?;
                let response = JsFuture::from(send(proof.expose())).await?;
                let new_nonce = match http::response_url(&response) {
                    Some(url) => self.remember(&url, http::response_header(&response, dpop::NONCE_HEADER).as_deref()),
                    None => false,
                };
                let challenge = http::response_header(&response, "www-authenticate");
                let wants = dpop::resource_wants_nonce(http::response_status(&response), challenge.as_deref());
                if !dpop::retry_with_nonce(first, wants, new_nonce) {
                    return Ok(response);
                }
                first = false;
            }
        })
    }
}
