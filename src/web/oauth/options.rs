//! `OAuthClient`'s options, read through `web::options` before anything is fetched: a
//! `discover` call with options it cannot use rejects without a request.

use wasm_bindgen::JsValue;

use crate::Error;
use crate::client::base_url::BaseUrl;
use crate::client::oauth::Metadata;
use crate::jose::options::invalid;
use crate::web::http;
use crate::web::options::{Options, required};

/// The options of `new OAuthClient(options)` or `OAuthClient.discover(issuer, options)`.
pub(super) struct Settings {
    pub(super) client_id: String,
    pub(super) redirect_uri: String,
    pub(super) scope: Option<String>,
    /// The server as given (`new`); `None` for `discover`, which learns it.
    pub(super) metadata: Option<Metadata>,
    /// The API an own TokenManager is made for (unless `token_manager` is given).
    pub(super) base_url: Option<BaseUrl>,
    pub(super) token_manager: Option<JsValue>,
    pub(super) max_response_bytes: f64,
    /// `crossTab` of the own TokenManager (`None`: the runtime's default).
    pub(super) cross_tab: Option<bool>,
    /// `dpop: true`: DPoP-bound tokens (RFC 9449), proven with the own TokenManager's key.
    pub(super) dpop: bool,
}

/// The options of `new OAuthClient`, in the order "the options are ..." lists them.
const NAMES: [&str; 13] = [
    "clientId",
    "redirectUri",
    "scope",
    "issuer",
    "authorizationEndpoint",
    "tokenEndpoint",
    "revocationEndpoint",
    "jwksUri",
    "baseUrl",
    "tokenManager",
    "maxResponseBytes",
    "crossTab",
    "dpop",
];

/// The options that name the server: `discover` learns them, so it takes none of them.
const SERVER_OPTIONS: [&str; 5] = ["issuer", "authorizationEndpoint", "tokenEndpoint", "revocationEndpoint", "jwksUri"];

impl Settings {
    /// Reads `options`; `discovering`: for `discover`, where the server options are refused.
    pub(super) fn read(options: &JsValue, discovering: bool) -> Result<Settings, Error> {
        let options = Options::new(options)?;
        // Every name is known before any is read: unknown keys are refused first, then each
        // option is read and checked in turn.
        options.declare(&NAMES);
        options.finish()?;
        let dpop = options.boolean("dpop")?.unwrap_or(false);
        let cross_tab = options.boolean("crossTab")?;
        let mut server = [const { None }; 5];
        for (name, value) in SERVER_OPTIONS.iter().zip(&mut server) {
            *value = options.url(name)?;
        }
        let [issuer, authorization_endpoint, token_endpoint, revocation_endpoint, jwks_uri] = server;
        let scope = options.non_empty_string("scope")?;
        let base_url = options.base_url()?;
        let token_manager = options.instance("tokenManager", "TokenManager", "setTokens")?;
        let max_response_bytes = options.bytes("maxResponseBytes")?;
        // The bound tokens are only of use with the key: the client's own TokenManager holds both.
        if dpop && (base_url.is_none() || token_manager.is_some()) {
            return Err(Error::InvalidOptions(
                "dpop needs baseUrl (and no tokenManager): the OAuthClient's own TokenManager holds the key and the bound tokens"
                    .into(),
            ));
        }
        let client_id = required("clientId", options.non_empty_string("clientId"))?;
        let redirect_uri = required("redirectUri", options.url_with_query("redirectUri"))?;
        let metadata = if discovering {
            let given = [&issuer, &authorization_endpoint, &token_endpoint, &revocation_endpoint, &jwks_uri];
            if let Some((name, _)) = SERVER_OPTIONS.iter().zip(given).find(|(_, value)| value.is_some()) {
                return Err(invalid(&[
                    name,
                    " is discovered: OAuthClient.discover takes no issuer or endpoints (new OAuthClient does)",
                ]));
            }
            None
        } else {
            let needed = |name: &str, value: Option<String>| {
                value.ok_or_else(|| invalid(&[name, " is required (or use OAuthClient.discover)"]))
            };
            Some(Metadata {
                issuer,
                authorization_endpoint: needed("authorizationEndpoint", authorization_endpoint)?,
                token_endpoint: needed("tokenEndpoint", token_endpoint)?,
                revocation_endpoint,
                jwks_uri,
                iss_parameter_supported: false,
            })
        };
        Ok(Settings {
            client_id,
            redirect_uri,
            scope,
            metadata,
            base_url,
            token_manager,
            max_response_bytes: max_response_bytes.unwrap_or(http::DEFAULT_MAX_RESPONSE_BYTES),
            cross_tab,
            dpop,
        })
    }
}
