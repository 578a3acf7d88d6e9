//! Turning core errors into JS `Error`s with a stable `.code`, and the TypeScript types for them.

use wasm_bindgen::prelude::*;

use crate::{Error, ErrorKind};

#[wasm_bindgen(module = "/src/web/shim.js")]
extern "C" {
    #[wasm_bindgen(js_name = installErrors)]
    fn install_errors(named_codes: &str, bearer_refusal: &JsValue);
}

// `WasmAuthErrorCode`, generated from the one error table (src/error.rs), so no code is written
// here; src/error.rs's tests check the union, tests/e2e/node.test.mjs the shipped .d.ts.
#[wasm_bindgen(typescript_custom_section)]
const TS_ERROR_CODES: &str = ErrorKind::TYPESCRIPT_UNION;

#[wasm_bindgen(typescript_custom_section)]
const TS_ERRORS: &str = r#"
/** What every function of wasm-auth throws (or rejects with): an `Error` with a stable `code`. */
export interface WasmAuthError extends Error {
  readonly name: "WasmAuthError";
  readonly code: WasmAuthErrorCode;
  /** ERR_JWT_CLAIM_VALIDATION_FAILED and ERR_JWT_EXPIRED: the claim that failed. */
  readonly claim?: string;
  /** ERR_JWT_CLAIM_VALIDATION_FAILED and ERR_JWT_EXPIRED: why, in jose's words. */
  readonly reason?: "missing" | "invalid" | "check_failed";
  /** ERR_AUTH_INSUFFICIENT_SCOPE: the scope that was missing. */
  readonly scope?: string;
  /** ERR_AUTH_HTTP and ERR_OAUTH_TOKEN_ERROR: the HTTP status the server answered. */
  readonly status?: number;
  /** ERR_AUTH_HTTP, ERR_OAUTH_TOKEN_ERROR, ERR_OAUTH_CALLBACK_ERROR: the server's RFC 6749 `error` code (`invalid_grant`, `access_denied`, ...), kept only when made of RFC 6749's characters; still the server's text, never in `message`. */
  readonly error?: string;
  /** ERR_AUTH_HTTP, ERR_OAUTH_TOKEN_ERROR, ERR_OAUTH_CALLBACK_ERROR: the server's `error_description`, never in `message` (control characters removed, other characters outside RFC 6749's set as "?", at most 200 characters). */
  readonly description?: string;
  /** ERR_AUTH_RATE_LIMITED: seconds the server asked to wait (Retry-After). */
  readonly retryAfter?: number;
}
"#;

/// Hands shim.js, once when the module is instantiated, what it needs of the error table: the
/// codes it raises, by variant name, and verifyRequest's RFC 6750 decision. (The wasm-bindgen
/// test runner does not run start functions; nothing of the wasm tests reaches those paths.)
#[wasm_bindgen(start)]
fn start() {
    let refusal = Closure::<dyn Fn(JsValue, String) -> JsValue>::new(bearer_refusal);
    install_errors(&ErrorKind::named_codes(), &refusal.into_js_value());
}

/// verifyRequest's answer to a request refused with `error` (a thrown WasmAuthError), for shim.js's
/// `respond`: `[status, WWW-Authenticate, Retry-After, error, error_description]`, `undefined`
/// meaning "throw it". The decision is the core's ([`crate::BearerRefusal`]); the error is read
/// by its `.code`, and its message and scope only copied.
fn bearer_refusal(error: JsValue, realm: String) -> JsValue {
    let text = |key: &str| js_sys::Reflect::get(&error, &JsValue::from_str(key)).ok().and_then(|v| v.as_string());
    if text("name").as_deref() != Some("WasmAuthError") {
        return JsValue::UNDEFINED;
    }
    let Some(refusal) = text("code").as_deref().and_then(ErrorKind::from_code).and_then(ErrorKind::bearer_refusal)
    else {
        return JsValue::UNDEFINED;
    };
    let message = text("message").unwrap_or_default();
    let optional = |value: Option<&str>| value.map_or(JsValue::UNDEFINED, JsValue::from_str);
    let challenge = refusal.www_authenticate(&realm, &message, &text("scope").unwrap_or_default());
    let answer = js_sys::Array::of4(
        &JsValue::from(refusal.status),
        &optional(challenge.as_deref()),
        &optional(refusal.retry_after),
        &JsValue::from_str(refusal.error),
    );
    answer.push(&JsValue::from_str(refusal.description.unwrap_or(&message)));
    answer.into()
}

/// A promise already rejected with `error`, for methods that fail before any I/O starts.
#[cfg(feature = "browser-client")]
pub(crate) fn reject(error: Error) -> js_sys::Promise {
    js_sys::Promise::reject(&JsValue::from(error))
}

/// An `Error` named `WasmAuthError` with `.code` set, and the details some codes carry
/// (`.claim` / `.reason`, `.scope`, `.status` / `.error` / `.description`, `.retryAfter`), as
/// gloo turns its errors into `JsValue`s: so `?` and `.into()` throw core errors.
impl From<&Error> for JsValue {
    fn from(err: &Error) -> JsValue {
        let js = js_sys::Error::new(&err.to_string());
        js.set_name("WasmAuthError");
        // Setting a property on a fresh plain Error cannot fail; if it ever did, the error still
        // carries its message, which is better than replacing it with another one.
        let set = |key: &str, value: &str| {
            let _ = js_sys::Reflect::set(&js, &JsValue::from_str(key), &JsValue::from_str(value));
        };
        set("code", err.code());
        match err {
            Error::ClaimValidationFailed { claim, reason, .. } => {
                set("claim", claim);
                set("reason", reason);
            }
            Error::JwtExpired { claim } => {
                set("claim", claim);
                set("reason", "check_failed");
            }
            Error::InsufficientScope(scope) => set("scope", scope),
            Error::Http { status, error, description } => {
                let _ = js_sys::Reflect::set(&js, &JsValue::from_str("status"), &JsValue::from(*status));
                if let Some(error) = error {
                    set("error", error);
                }
                if let Some(description) = description {
                    set("description", description);
                }
            }
            Error::OAuth { status, error, description } => {
                let _ = js_sys::Reflect::set(&js, &JsValue::from_str("status"), &JsValue::from(*status));
                set("error", error);
                if let Some(description) = description {
                    set("description", description);
                }
            }
            Error::CallbackError { error, description } => {
                set("error", error);
                if let Some(description) = description {
                    set("description", description);
                }
            }
            Error::RateLimited { retry_after: Some(seconds) } => {
                let _ = js_sys::Reflect::set(&js, &JsValue::from_str("retryAfter"), &JsValue::from(*seconds as f64));
            }
            _ => {}
        }
        js.into()
    }
}

impl From<Error> for JsValue {
    fn from(err: Error) -> JsValue {
        JsValue::from(&err)
    }
}
