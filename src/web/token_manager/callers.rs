//! A session's callers: the token to send (shared refreshes, `client::schedule`'s caller
//! steps) and `fetch` with one retry after a 401.

use std::rc::Rc;

use wasm_bindgen::prelude::*;

use super::session::{Session, sleep};
use crate::Error;
use crate::client::Secret;
use crate::client::schedule::{self, Step};
use crate::web::http::{self, Sent, now, web_request::Request};

impl Session {
    /// The access token to send: the held one while fresh, else after a (shared) refresh.
    /// `replacing`: the token the API just refused with 401, which forces a refresh unless
    /// another caller already replaced it. `RefreshState::caller_step` says when to refresh.
    pub(super) async fn token(self: &Rc<Self>, replacing: Option<&Secret>) -> Result<Secret, Error> {
        let started = now();
        loop {
            let before = self.current()?;
            let refused = replacing.map(|refused| before.access == *refused);
            let stamp = now();
            let step = self.refreshes.borrow().caller_step(before.status, refused, &stamp, stamp.since(&started));
            match step {
                Step::Use => return Ok(before.access),
                Step::Wait(ms) => sleep(ms).await,
                Step::Refuse => return Err(self.refreshes.borrow().refusal()),
                Step::Refresh => return self.refreshed(before.access, replacing.is_some()).await,
            }
        }
    }

    /// Refreshes (or joins the refresh in flight) for a caller holding `before`, and says
    /// which token to use (`schedule::use_after_refresh`).
    async fn refreshed(self: &Rc<Self>, before: Secret, refused: bool) -> Result<Secret, Error> {
        let outcome = self.refresh().await;
        let after = match self.current() {
            Ok(after) => after,
            // The session ended (refused refresh token, logout): say why, if the refresh knows.
            Err(gone) => return Err(outcome.err().unwrap_or(gone)),
        };
        let replaced = after.access != before;
        match outcome {
            Err(error) if !schedule::use_after_refresh(false, after.status, replaced, refused) => Err(error),
            _ => Ok(after.access),
        }
    }

    /// `fetch` with the access token; on a 401, one refresh and one retry. A DPoP-bound token
    /// goes with a proof, and once more with the resource server's nonce if it asks for one.
    pub(super) async fn fetch(self: &Rc<Self>, request: Request) -> Result<JsValue, JsValue> {
        let token = self.token(None).await?;
        let first = self.send_with_token(&request, &token).await?;
        let status = http::response_status(&first);
        // A refused DPoP proof is no expired token: no refresh (it would be spent for nothing).
        if status != 401
            || crate::client::dpop::proof_refused(status, http::response_header(&first, "www-authenticate").as_deref())
        {
            return Ok(first);
        }
        let token = match self.token(Some(&token)).await {
            Ok(token) => token,
            // The session is over: the caller gets the server's 401 (the event says why).
            Err(_) => return Ok(first),
        };
        self.send_with_token(&request, &token).await
    }

    /// One send of `request` with `token` (Bearer, or DPoP with its proof and §9's nonce retry),
    /// a redirect followed to trusted origins only (none with DPoP): `http::send_token`. Bound
    /// or not goes by the option (every token held was checked against it,
    /// `client::dpop::check_token_type`), never by what is held after the await that got `token`
    /// (a logout or refresh meanwhile sent a bound token as Bearer).
    fn send_with_token<'a>(&'a self, request: &'a Request, token: &'a Secret) -> Sent<'a> {
        http::send_token(request, &self.config.trusted, token, self.config.dpop.as_deref(), true)
    }
}
