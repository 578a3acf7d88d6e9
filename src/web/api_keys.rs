//! `ApiKeys` (create, list, revoke, rotate with a Bearer token) and `ApiKeyAuth` (calling the
//! API with a key, by header or, only when asked, by query parameter).

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use super::http;
use super::options::{Options, required, trusted_origins};
use crate::Error;
use crate::client::api_keys::{self, CreatedKey, KeyInfo, Placement};
use crate::client::base_url::BaseUrl;
use crate::client::options::Expected;
use crate::client::{Purpose, Secret};

#[wasm_bindgen(typescript_custom_section)]
const TS_API_KEYS: &str = r#"
/** Options of `new ApiKeys(options)`. */
export interface ApiKeysOptions {
  /** The TokenManager whose Bearer token manages the keys. */
  tokenManager: TokenManager;
  /** The API's base URL (in a browser page a path such as "/v1" is on the page's origin); default the TokenManager's. */
  baseUrl?: string;
}

/** What a new key gets. */
export interface NewApiKey {
  /** 1 to 100 characters. */
  name: string;
  /** At least one scope, none beyond the caller's own. */
  scopes: string[];
}

/** A key as `list()` describes it: never the key itself. */
export interface ApiKeyInfo {
  id: string;
  name: string;
  scopes: string[];
  /** RFC 3339. */
  created_at: string;
}

/** A key just created: `key` is shown this once and wasm-auth does not keep it. */
export interface CreatedApiKey extends ApiKeyInfo {
  key: string;
}

/** Options of `new ApiKeyAuth(options)`. */
export interface ApiKeyAuthOptions {
  /** The API's base URL (in a browser page a path such as "/v1" is on the page's origin); the key is sent to its origin only. */
  baseUrl: string;
  /** The key (`sk_live_...`). */
  apiKey: string;
  /** `"header"` (default: `X-API-Key`) or `"query"` (`?api_key=`, for clients that cannot set headers). */
  placement?: "header" | "query";
}
"#;

/// Manages API keys with the Bearer token of a [`TokenManager`].
#[wasm_bindgen]
pub struct ApiKeys {
    /// The TokenManager (JS object): calls go through its `fetch`, so they get its token, its
    /// refresh-and-retry on 401 and its trusted-origin check.
    manager: JsValue,
    base: BaseUrl,
}

fn info_js(info: &KeyInfo) -> Result<JsValue, Error> {
    js_sys::JSON::parse(&info.to_json().to_string()).map_err(|_| Error::Internal("could not describe an API key"))
}

fn created_js(created: &CreatedKey) -> Result<JsValue, Error> {
    let object = info_js(&created.info)?;
    js_sys::Reflect::set(&object, &"key".into(), &JsValue::from_str(created.key.expose()))
        .map_err(|_| Error::Internal("could not describe an API key"))?;
    Ok(object)
}

fn new_key(spec: &JsValue) -> Result<String, Error> {
    let spec = Options::new(spec)
        .map_err(|_| Error::InvalidOptions("create needs { name: string, scopes: string[] }".into()))?;
    let name = spec.string("name", Expected::String);
    let scopes = spec.strings("scopes", false);
    spec.finish()?;
    api_keys::create_body(&required("name", name)?, &required("scopes", scopes)?)
}

/// Errors from the TokenManager's fetch are already coded JS errors: passed on as they are.
enum Failure {
    Core(Error),
    Js(JsValue),
}

impl From<Error> for Failure {
    fn from(error: Error) -> Failure {
        Failure::Core(error)
    }
}

async fn call(manager: &JsValue, method: &str, url: &str, body: Option<String>) -> Result<http::Reply, Failure> {
    http::request_through(manager, method, url, body).await.map_err(Failure::Js)
}

async fn create(manager: &JsValue, base: &BaseUrl, body: String) -> Result<CreatedKey, Failure> {
    let reply = call(manager, "POST", &base.endpoint("/api-keys"), Some(body)).await?;
    if !reply.ok() {
        return Err(reply.error(Purpose::Other).into());
    }
    Ok(api_keys::parse_created(&reply.body)?)
}

async fn revoke(manager: &JsValue, base: &BaseUrl, id: &str) -> Result<(), Failure> {
    let reply = call(manager, "DELETE", &base.endpoint(&api_keys::key_path(id)?), None).await?;
    if reply.ok() { Ok(()) } else { Err(reply.error(Purpose::Other).into()) }
}

fn promise(future: impl std::future::Future<Output = Result<JsValue, Failure>> + 'static) -> Promise {
    future_to_promise(async move {
        future.await.map_err(|failure| match failure {
            Failure::Core(error) => error.into(),
            Failure::Js(value) => value,
        })
    })
}

#[wasm_bindgen]
impl ApiKeys {
    /// Key management for the user logged in to `options.tokenManager`.
    #[wasm_bindgen(constructor)]
    pub fn new(#[wasm_bindgen(unchecked_param_type = "ApiKeysOptions")] options: JsValue) -> Result<ApiKeys, JsValue> {
        let read = || -> Result<ApiKeys, Error> {
            let options = Options::new(&options)?;
            let manager = options.instance("tokenManager", "TokenManager", "fetch");
            let base = options.base_url();
            options.finish()?;
            let manager = required("tokenManager", manager)?;
            let base = match base? {
                Some(base) => base,
                None => {
                    let url = js_sys::Reflect::get(&manager, &"baseUrl".into()).ok().and_then(|v| v.as_string());
                    BaseUrl::parse(&url.ok_or_else(|| Error::InvalidOptions("baseUrl is required".into()))?)?
                }
            };
            Ok(ApiKeys { manager, base })
        };
        Ok(read()?)
    }

    /// Creates a key (`POST {baseUrl}/api-keys`). The answer holds the key: show it once, store
    /// it where it belongs (a secret manager, an env variable); wasm-auth keeps no copy.
    #[wasm_bindgen(unchecked_return_type = "Promise<CreatedApiKey>")]
    pub fn create(&self, #[wasm_bindgen(unchecked_param_type = "NewApiKey")] spec: JsValue) -> Promise {
        let (manager, base) = (self.manager.clone(), self.base.clone());
        let body = new_key(&spec);
        promise(async move { Ok(created_js(&create(&manager, &base, body?).await?)?) })
    }

    /// The user's live keys (`GET {baseUrl}/api-keys`), without their values.
    #[wasm_bindgen(unchecked_return_type = "Promise<ApiKeyInfo[]>")]
    pub fn list(&self) -> Promise {
        let (manager, base) = (self.manager.clone(), self.base.clone());
        promise(async move {
            let reply = call(&manager, "GET", &base.endpoint("/api-keys"), None).await?;
            if !reply.ok() {
                return Err(reply.error(Purpose::Other).into());
            }
            let list = js_sys::Array::new();
            for info in api_keys::parse_list(&reply.body)? {
                list.push(&info_js(&info)?);
            }
            Ok(list.into())
        })
    }

    /// Revokes a key (`DELETE {baseUrl}/api-keys/{id}`); it stops working at once.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn revoke(&self, id: &str) -> Promise {
        let (manager, base, id) = (self.manager.clone(), self.base.clone(), id.to_owned());
        promise(async move {
            revoke(&manager, &base, &id).await?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Rotation as the guide describes it: creates the new key, then revokes the old one, and
    /// resolves to the new key. If the creation fails, the old key is untouched. For a
    /// transition period, call `create` now and `revoke` later instead.
    #[wasm_bindgen(unchecked_return_type = "Promise<CreatedApiKey>")]
    pub fn rotate(&self, old_id: &str, #[wasm_bindgen(unchecked_param_type = "NewApiKey")] spec: JsValue) -> Promise {
        let (manager, base, old_id) = (self.manager.clone(), self.base.clone(), old_id.to_owned());
        let body = new_key(&spec);
        promise(async move {
            api_keys::key_path(&old_id)?;
            let created = create(&manager, &base, body?).await?;
            revoke(&manager, &base, &old_id).await?;
            Ok(created_js(&created)?)
        })
    }
}

/// Calls the API with an API key.
#[wasm_bindgen]
pub struct ApiKeyAuth {
    base: BaseUrl,
    trusted: js_sys::Array,
    key: Secret,
    placement: Placement,
}

#[wasm_bindgen]
impl ApiKeyAuth {
    /// `options.apiKey` for the API at `options.baseUrl`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "ApiKeyAuthOptions")] options: JsValue,
    ) -> Result<ApiKeyAuth, JsValue> {
        let read = || -> Result<ApiKeyAuth, Error> {
            let options = Options::new(&options)?;
            let base = options.base_url();
            let key = options.string("apiKey", Expected::VisibleAscii);
            let placement = options.string("placement", Expected::OneOf(&["header", "query"]));
            options.finish()?;
            let base = required("baseUrl", base)?;
            Ok(ApiKeyAuth {
                trusted: trusted_origins(&base, None)?,
                base,
                key: Secret::new(required("apiKey", key)?),
                placement: Placement::parse(placement?.as_deref())?,
            })
        };
        Ok(read()?)
    }

    /// `fetch(input, init)` with the key: `X-API-Key` by default, `?api_key=` with placement
    /// "query". Relative inputs resolve against baseUrl; other origins get ERR_AUTH_UNTRUSTED_ORIGIN.
    #[wasm_bindgen(unchecked_return_type = "Promise<Response>")]
    pub fn fetch(
        &self,
        #[wasm_bindgen(unchecked_param_type = "RequestInfo | URL")] input: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RequestInit")] init: Option<JsValue>,
    ) -> Promise {
        let request = match http::request_for(&input, init, &self.base, &self.trusted) {
            Ok(request) => request,
            Err(error) => return Promise::reject(&error),
        };
        match self.placement {
            Placement::Header => http::send_with(&request, &self.trusted, "x-api-key", self.key.expose()),
            Placement::Query => http::with_query(&request, &self.trusted, "api_key", self.key.expose()),
        }
    }
}
