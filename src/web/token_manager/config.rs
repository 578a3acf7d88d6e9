//! `TokenManager`'s options, read once at construction through `web::options`.

use std::rc::Rc;

use crate::Error;
use crate::client::base_url::BaseUrl;
use crate::client::dpop;
use crate::client::oauth::RefreshVia;
use crate::client::options::{self as rules, Expected};
use crate::client::schedule::DEFAULT_SESSION_MARGIN_MS;
use crate::client::tabs;
use crate::web::dpop::Dpop;
use crate::web::options::{Options, required, trusted_origins};

use super::tabs::cross_tab_by_default;

pub(crate) struct Config {
    pub(super) base: BaseUrl,
    pub(super) margin_ms: f64,
    pub(super) trusted: js_sys::Array,
    pub(super) refresh: RefreshVia,
    pub(super) client_id: Option<String>,
    pub(super) revocation: Option<String>,
    pub(super) revoke_on_logout: bool,
    /// The channel name peer tabs share the session on (`client::tabs`), or `None` when
    /// `crossTab` is off.
    pub(super) tabs_key: Option<String>,
    /// The refresh token lives in an HttpOnly cookie (`refreshTokenInCookie`): the guide's
    /// /auth/refresh and /auth/logout read it, and no refresh token is ever held here.
    pub(super) refresh_cookie: bool,
    /// `dpop: true`: the key pair and the servers' nonces of this manager's proofs (RFC 9449).
    pub(crate) dpop: Option<Rc<Dpop>>,
}

/// `new TokenManager(options)`'s options, in the order "the options are ..." lists them.
const NAMES: [&str; 10] = [
    "baseUrl",
    "refreshMarginSeconds",
    "allowedOrigins",
    "tokenEndpoint",
    "clientId",
    "revocationEndpoint",
    "revokeOnLogout",
    "crossTab",
    "refreshTokenInCookie",
    "dpop",
];

/// The endpoint option `name` as the manager has always sent to it: without a trailing slash.
fn endpoint(name: &str, url: &str) -> Result<String, Error> {
    BaseUrl::parse(url).map(|url| url.as_str().to_owned()).map_err(|_| rules::wrong_kind(name, Expected::Url, false))
}

impl Config {
    /// Reads `new TokenManager(options)`.
    pub(super) fn read(options: &Options) -> Result<Config, Error> {
        // Every name is known before any is read: unknown keys are refused first, then each
        // option is read and checked in turn.
        options.declare(&NAMES);
        options.finish()?;
        let base = required("baseUrl", options.base_url())?;
        let refresh_cookie = options.boolean("refreshTokenInCookie")?.unwrap_or(false);
        let refresh = match options.url("tokenEndpoint")? {
            Some(_) if refresh_cookie => {
                return Err(rules::conflict(
                    "refreshTokenInCookie",
                    "tokenEndpoint",
                    ": the refresh cookie is the guide's /auth/refresh, not an OAuth token endpoint",
                ));
            }
            Some(url) => RefreshVia::OAuth(endpoint("tokenEndpoint", &url)?),
            None if refresh_cookie => RefreshVia::Cookie(base.endpoint("/auth/refresh")),
            None => RefreshVia::Json(base.endpoint("/auth/refresh")),
        };
        let client_id = options.non_empty_string("clientId")?;
        let refresh_url = match &refresh {
            RefreshVia::Json(url) | RefreshVia::OAuth(url) | RefreshVia::Cookie(url) => url.as_str(),
        };
        let dpop = options.boolean("dpop")?.unwrap_or(false);
        let key = tabs::token_manager_key(base.as_str(), refresh_url, client_id.as_deref(), refresh_cookie, dpop);
        // With the refresh cookie a reload needs the same DPoP key: it is kept (under the
        // session's key), and only then.
        let dpop = dpop.then(|| Dpop::new(dpop::key_kept_across_reloads(refresh_cookie, false).then(|| key.clone())));
        let tabs_key = options.boolean("crossTab")?.unwrap_or_else(cross_tab_by_default).then_some(key);
        Ok(Config {
            dpop,
            tabs_key,
            refresh_cookie,
            trusted: trusted_origins(&base, options.origins("allowedOrigins")?)?,
            margin_ms: options.seconds("refreshMarginSeconds")?.map_or(DEFAULT_SESSION_MARGIN_MS, |s| s * 1000.0),
            refresh,
            client_id,
            revocation: options
                .url("revocationEndpoint")?
                .map(|url| endpoint("revocationEndpoint", &url))
                .transpose()?,
            revoke_on_logout: options.boolean("revokeOnLogout")?.unwrap_or(true),
            base,
        })
    }

    /// The manager an `OAuthClient` makes for its API (`baseUrl`): refreshes at the client's
    /// token endpoint as the client, revokes at its revocation endpoint, default margin, shared
    /// with the tabs of the same issuer and client unless `cross_tab` says otherwise.
    pub(crate) fn for_oauth_client(
        base: BaseUrl,
        issuer: &str,
        cross_tab: Option<bool>,
        token_endpoint: &str,
        client_id: &str,
        revocation: Option<&str>,
        dpop: Option<Rc<Dpop>>,
    ) -> Result<Config, Error> {
        let bound = dpop.is_some();
        Ok(Config {
            dpop,
            tabs_key: cross_tab.unwrap_or_else(cross_tab_by_default).then(|| tabs::oauth_key(issuer, client_id, bound)),
            refresh_cookie: false,
            trusted: trusted_origins(&base, None)?,
            margin_ms: DEFAULT_SESSION_MARGIN_MS,
            refresh: RefreshVia::OAuth(endpoint("tokenEndpoint", token_endpoint)?),
            client_id: Some(client_id.to_owned()),
            revocation: revocation.map(|url| endpoint("revocationEndpoint", url)).transpose()?,
            revoke_on_logout: true,
            base,
        })
    }
}
