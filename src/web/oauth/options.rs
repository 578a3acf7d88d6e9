//! `OAuthClient`'s options, read through `web::options` before anything is fetched: a
//! `discover` call with options it cannot use rejects without a request.

use wasm_bindgen::JsValue;

use crate::Error;
use crate::client::base_url::BaseUrl;
use crate::client::oauth::Metadata;
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

/// The options that name the server: `discover` learns them, so it takes none of them.
const SERVER_OPTIONS: [&str; 5] = ["issuer", "authorizationEndpoint", "tokenEndpoint", "revocationEndpoint", "jwksUri"];

impl Settings {
    /// Reads `options`; `discovering`: for `discover`, where the server options are refused.
    pub(super) fn read(options: &JsValue, discovering: bool) -> Result<Settings, Error> {
        let options = Options::new(options)?;
        let client_id = options.non_empty_string("clientId");
        let redirect_uri = options.url_with_query("redirectUri");
        let scope = options.non_empty_string("scope");
        let [issuer, authorization_endpoint, token_endpoint, revocation_endpoint, jwks_uri] =
            SERVER_OPTIONS.map(|name| options.url(name));
        let base_url = options.base_url();
        let token_manager = options.instance("tokenManager", "TokenManager", "setTokens");
        let max_response_bytes = options.bytes("maxResponseBytes");
        let cross_tab = options.boolean("crossTab");
        let dpop = options.boolean("dpop");
        options.finish()?;
        let dpop = dpop?.unwrap_or(false);
        let cross_tab = cross_tab?;
        let (issuer, authorization_endpoint, token_endpoint, revocation_endpoint, jwks_uri) =
            (issuer?, authorization_endpoint?, token_endpoint?, revocation_endpoint?, jwks_uri?);
        let (scope, base_url, token_manager, max_response_bytes) =
            (scope?, base_url?, token_manager?, max_response_bytes?);
        // The bound tokens are only of use with the key: the client's own TokenManager holds both.
        if dpop && (base_url.is_none() || token_manager.is_some()) {
            return Err(Error::InvalidOptions(
                "dpop needs baseUrl (and no tokenManager): the OAuthClient's own TokenManager holds the key and the bound tokens"
                    .into(),
            ));
        }
        let client_id = required("clientId", client_id)?;
        let redirect_uri = required("redirectUri", redirect_uri)?;
        let metadata = if discovering {
            let given = [&issuer, &authorization_endpoint, &token_endpoint, &revocation_endpoint, &jwks_uri];
            if let Some((name, _)) = SERVER_OPTIONS.iter().zip(given).find(|(_, value)| value.is_some()) {
                return Err(Error::InvalidOptions(format!(
                    "{name} is discovered: OAuthClient.discover takes no issuer or endpoints (new OAuthClient does)"
                )));
            }
            None
        } else {
            let needed = |name: &str, value: Option<String>| {
                value.ok_or_else(|| Error::InvalidOptions(format!("{name} is required (or use OAuthClient.discover)")))
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
