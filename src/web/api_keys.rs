//! `ApiKeys` (create, list, revoke, rotate with a Bearer token) and `ApiKeyAuth` (calling the
//! API with a key, by header or, only when asked, by query parameter).

use js_sys::Promise;
use wasm_bindgen::prelude::*;

use super::http::{self, Credential, reader};
use super::options::{Options, required, trusted_origins};
use super::reject;
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
    spec.declare(&["name", "scopes"]);
    spec.finish()?;
    let name = required("name", spec.string("name", Expected::String))?;
    api_keys::create_body(&name, &required("scopes", spec.strings("scopes", false))?)
}

#[wasm_bindgen(module = "/src/web/client.js")]
extern "C" {
    #[wasm_bindgen(js_name = apiKeysCall)]
    fn api_keys_call(manager: &JsValue, method: &str, url: &str, body: Option<String>, read: &JsValue) -> Promise;
    #[wasm_bindgen(js_name = apiKeysRotate)]
    fn api_keys_rotate(
        manager: &JsValue,
        create_url: &str,
        body: String,
        revoke_url: &str,
        read_created: &JsValue,
        read_revoked: &JsValue,
    ) -> Promise;
}

// What each answer of the key endpoints means, for client.js's chains (`http::Read`). The
// TokenManager's own errors (not logged in, session expired) never get here: client.js passes
// them on as they are.

/// The answer of `POST /api-keys`: the created key, shown this once.
fn read_created(reply: JsValue) -> Result<JsValue, JsValue> {
    let reply = http::answer_of(&reply)?;
    if !reply.ok() {
        return Err(reply.error(Purpose::Other).into());
    }
    Ok(created_js(&api_keys::parse_created(&reply.body)?)?)
}

/// The answer of `GET /api-keys`: the live keys, without their values.
fn read_list(reply: JsValue) -> Result<JsValue, JsValue> {
    let reply = http::answer_of(&reply)?;
    if !reply.ok() {
        return Err(reply.error(Purpose::Other).into());
    }
    let list = js_sys::Array::new();
    for info in api_keys::parse_list(&reply.body)? {
        list.push(&info_js(&info)?);
    }
    Ok(list.into())
}

/// The answer of `DELETE /api-keys/{id}`.
fn read_revoked(reply: JsValue) -> Result<JsValue, JsValue> {
    let reply = http::answer_of(&reply)?;
    if !reply.ok() {
        return Err(reply.error(Purpose::Other).into());
    }
    Ok(JsValue::UNDEFINED)
}

#[wasm_bindgen]
impl ApiKeys {
    /// Key management for the user logged in to `options.tokenManager`.
    #[wasm_bindgen(constructor)]
    pub fn new(#[wasm_bindgen(unchecked_param_type = "ApiKeysOptions")] options: JsValue) -> Result<ApiKeys, JsValue> {
        let read = || -> Result<ApiKeys, Error> {
            let options = Options::new(&options)?;
            options.declare(&["tokenManager", "baseUrl"]);
            options.finish()?;
            let manager = required("tokenManager", options.instance("tokenManager", "TokenManager", "fetch"))?;
            let base = match options.base_url()? {
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
        match new_key(&spec) {
            Ok(body) => api_keys_call(
                &self.manager,
                "POST",
                &self.base.endpoint("/api-keys"),
                Some(body),
                &reader!(read_created),
            ),
            Err(error) => reject(error),
        }
    }

    /// The user's live keys (`GET {baseUrl}/api-keys`), without their values.
    #[wasm_bindgen(unchecked_return_type = "Promise<ApiKeyInfo[]>")]
    pub fn list(&self) -> Promise {
        api_keys_call(&self.manager, "GET", &self.base.endpoint("/api-keys"), None, &reader!(read_list))
    }

    /// Revokes a key (`DELETE {baseUrl}/api-keys/{id}`); it stops working at once.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn revoke(&self, id: &str) -> Promise {
        match api_keys::key_path(id) {
            Ok(path) => {
                api_keys_call(&self.manager, "DELETE", &self.base.endpoint(&path), None, &reader!(read_revoked))
            }
            Err(error) => reject(error),
        }
    }

    /// Rotation as the guide describes it: creates the new key, then revokes the old one, and
    /// resolves to the new key. If the creation fails, the old key is untouched. For a
    /// transition period, call `create` now and `revoke` later instead.
    #[wasm_bindgen(unchecked_return_type = "Promise<CreatedApiKey>")]
    pub fn rotate(&self, old_id: &str, #[wasm_bindgen(unchecked_param_type = "NewApiKey")] spec: JsValue) -> Promise {
        let body = new_key(&spec);
        let (path, body) = match api_keys::key_path(old_id).and_then(|path| Ok((path, body?))) {
            Ok(checked) => checked,
            Err(error) => return reject(error),
        };
        let (create, revoke) = (self.base.endpoint("/api-keys"), self.base.endpoint(&path));
        api_keys_rotate(&self.manager, &create, body, &revoke, &reader!(read_created), &reader!(read_revoked))
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
            options.declare(&["baseUrl", "apiKey", "placement"]);
            options.finish()?;
            let base = required("baseUrl", options.base_url())?;
            Ok(ApiKeyAuth {
                trusted: trusted_origins(&base, None)?,
                base,
                key: Secret::new(required("apiKey", options.string("apiKey", Expected::VisibleAscii))?),
                placement: Placement::parse(
                    options.string("placement", Expected::OneOf(&["header", "query"]))?.as_deref(),
                )?,
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
        let key = self.key.expose();
        let credential = match self.placement {
            Placement::Header => Credential::Header("x-api-key", key, None),
            Placement::Query => Credential::Query("api_key", key),
        };
        http::fetch_for(&input, init, &self.base, &self.trusted, credential)
    }
}
