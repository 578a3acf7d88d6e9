//! Turning core errors into JS `Error`s with a stable `.code`, and the TypeScript types for them.

use wasm_bindgen::prelude::*;

use crate::{ChallengeContext, Error, ErrorKind};

#[wasm_bindgen(module = "/src/web/shim.js")]
extern "C" {
    #[wasm_bindgen(js_name = setErrorInstaller)]
    fn set_error_installer(install: &JsValue);
    #[wasm_bindgen(js_name = installErrors)]
    fn install_errors(named_codes: &str, bearer_refusal: &JsValue, request_failed: &JsValue);
    /// A `WasmAuthError` (shim.js's class) with `code` and `message`.
    #[wasm_bindgen(js_name = newError)]
    pub(crate) fn new_error(code: &str, message: &str) -> js_sys::Object;
    /// The class every error of wasm-auth is an instance of, exported from every entry (the
    /// glue re-exports it from shim.js; its type is in TS_ERRORS below).
    /// (Imported as a function only so that `reexport` can skip its TypeScript, which the class
    /// declaration below gives; it is never called from Rust.)
    #[wasm_bindgen(reexport, js_name = WasmAuthError, skip_typescript)]
    #[allow(dead_code)]
    fn wasm_auth_error_class();
    /// `value instanceof WasmAuthError`, as a type guard.
    #[wasm_bindgen(reexport, js_name = isWasmAuthError, skip_typescript)]
    #[allow(dead_code)]
    fn is_wasm_auth_error(value: &JsValue) -> bool;
}

// `WasmAuthErrorCode`, generated from the one error table (src/error.rs), so no code is written
// here; src/error.rs's tests check the union, tests/e2e/node.test.mjs the shipped .d.ts.
#[wasm_bindgen(typescript_custom_section)]
const TS_ERROR_CODES: &str = ErrorKind::TYPESCRIPT_UNION;

#[wasm_bindgen(typescript_custom_section)]
const TS_ERRORS: &str = r#"
/** What every function of wasm-auth throws (or rejects with): an `Error` with a stable `code`.
 * `e instanceof WasmAuthError` holds for every error of every class and function, in every
 * runtime, and for the errors of `wasm-auth/verify` too. */
export class WasmAuthError extends Error {
  private constructor();
  readonly name: "WasmAuthError";
  readonly code: WasmAuthErrorCode;
  /** ERR_JWT_CLAIM_VALIDATION_FAILED and ERR_JWT_EXPIRED: the claim that failed. */
  readonly claim?: string;
  /** ERR_JWT_CLAIM_VALIDATION_FAILED and ERR_JWT_EXPIRED: why, in jose's words. */
  readonly reason?: "missing" | "invalid" | "check_failed";
  /** ERR_AUTH_INSUFFICIENT_SCOPE: the scope that was missing. */
  readonly scope?: string;
  /** ERR_DPOP_NONCE_REQUIRED: the nonce the proof must carry (verifyRequest's answer sends it as DPoP-Nonce). */
  readonly dpopNonce?: string;
  /** ERR_AUTH_HTTP and ERR_OAUTH_TOKEN_ERROR: the HTTP status the server answered. */
  readonly status?: number;
  /** ERR_AUTH_HTTP, ERR_OAUTH_TOKEN_ERROR, ERR_OAUTH_CALLBACK_ERROR: the server's RFC 6749 `error` code (`invalid_grant`, `access_denied`, ...), kept only when made of RFC 6749's characters; still the server's text, never in `message`. */
  readonly error?: string;
  /** ERR_AUTH_HTTP, ERR_OAUTH_TOKEN_ERROR, ERR_OAUTH_CALLBACK_ERROR: the server's `error_description`, never in `message` (control characters removed, other characters outside RFC 6749's set as "?", at most 200 characters). */
  readonly description?: string;
  /** ERR_AUTH_RATE_LIMITED: seconds the server asked to wait (Retry-After). */
  readonly retryAfter?: number;
}

/** Whether `value` is an error of wasm-auth (`value instanceof WasmAuthError`), for `catch (e: unknown)`. */
export function isWasmAuthError(value: unknown): value is WasmAuthError;
"#;

/// Hands shim.js, when the module is instantiated, the function that installs what it needs of
/// the error table ([`install`]); shim.js calls it on its first error, so that a cold start does
/// not pay for the table (issue 15). (The wasm-bindgen test runner does not run start functions;
/// nothing of the wasm tests reaches those paths.)
#[wasm_bindgen(start)]
fn start() {
    set_error_installer(&Closure::<dyn Fn()>::new(install).into_js_value());
}

/// Hands shim.js the codes it raises, by variant name, verifyRequest's RFC 6750 decision and
/// the error of a failed request (both modules: `wasm-auth/verify`'s ClientCredentials.fetch
/// sends requests too).
fn install() {
    let refusal = Closure::<dyn Fn(JsValue, String, u32) -> JsValue>::new(bearer_refusal);
    let failed = Closure::<dyn Fn(String, String, String, Option<u16>) -> JsValue>::new(request_failed);
    install_errors(&ErrorKind::named_codes(), &refusal.into_js_value(), &failed.into_js_value());
}

/// The error for shim.js's credentialed fetch when `method url` failed: with no `status`, it
/// was not sent or got no answer (ERR_AUTH_NETWORK, `reason` the platform's); with one, it was
/// answered with a redirect that is not followed, for `reason` (ERR_AUTH_HTTP).
fn request_failed(method: String, url: String, reason: String, status: Option<u16>) -> JsValue {
    super::http::located(&method, &url, reason, status).into()
}

/// verifyRequest's answer to a request refused with `error` (a thrown WasmAuthError), for shim.js's
/// `respond`: `[status, WWW-Authenticate, Retry-After, error, error_description, DPoP-Nonce]`,
/// `undefined` meaning "throw it". `context` is the verifier's `dpop` mode and the scheme the
/// request used ([`ChallengeContext::pack`]). The decision is the core's
/// ([`crate::BearerRefusal`]); the error is read by its `.code`, and its message, scope and
/// nonce only copied.
fn bearer_refusal(error: JsValue, realm: String, context: u32) -> JsValue {
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
    let (mode, used_dpop) = ChallengeContext::unpack(context);
    let algs = if mode.offers_dpop() { crate::jose::dpop::ProofPolicy::default().algs() } else { String::new() };
    let context = ChallengeContext { realm: &realm, mode, used_dpop, algs: &algs };
    let challenge = refusal.www_authenticate_in(&context, &message, &text("scope").unwrap_or_default());
    let answer = js_sys::Array::of4(
        &JsValue::from(refusal.status),
        &optional(challenge.as_deref()),
        &optional(refusal.retry_after),
        &JsValue::from_str(refusal.error),
    );
    answer.push(&JsValue::from_str(refusal.description.unwrap_or(&message)));
    let nonce = if refusal.dpop_nonce { text("dpopNonce") } else { None };
    answer.push(&optional(nonce.as_deref()));
    answer.into()
}

/// A promise already rejected with `error`, for methods that fail before any I/O starts.
#[cfg(feature = "browser-client")]
pub(crate) fn reject(error: Error) -> js_sys::Promise {
    js_sys::Promise::reject(&JsValue::from(error))
}

/// A `WasmAuthError` (an `Error` named so) with `.code` set, and the details some codes carry
/// (`.claim` / `.reason`, `.scope`, `.status` / `.error` / `.description`, `.retryAfter`), as
/// gloo turns its errors into `JsValue`s: so `?` and `.into()` throw core errors.
impl From<&Error> for JsValue {
    fn from(err: &Error) -> JsValue {
        let js = new_error(err.code(), &err.to_string());
        // Setting a property on a fresh Error cannot fail; if it ever did, the error still
        // carries its message, which is better than replacing it with another one.
        let set = |key: &str, value: &str| {
            let _ = js_sys::Reflect::set(&js, &JsValue::from_str(key), &JsValue::from_str(value));
        };
        match err {
            Error::ClaimValidationFailed(failure) => {
                set("claim", &failure.claim);
                set("reason", failure.reason);
            }
            Error::JwtExpired { claim } => {
                set("claim", claim);
                set("reason", "check_failed");
            }
            Error::InsufficientScope(scope) => set("scope", scope),
            Error::Http(failure) => {
                let crate::HttpFailure { status, error, description, .. } = &**failure;
                let _ = js_sys::Reflect::set(&js, &JsValue::from_str("status"), &JsValue::from(*status));
                if let Some(error) = error {
                    set("error", error);
                }
                if let Some(description) = description {
                    set("description", description);
                }
            }
            Error::OAuth(refusal) => {
                let crate::TokenRefusal { status, error, description } = &**refusal;
                let _ = js_sys::Reflect::set(&js, &JsValue::from_str("status"), &JsValue::from(*status));
                set("error", error);
                if let Some(description) = description {
                    set("description", description);
                }
            }
            Error::CallbackError(refusal) => {
                let crate::CallbackRefusal { error, description } = &**refusal;
                set("error", error);
                if let Some(description) = description {
                    set("description", description);
                }
            }
            Error::RateLimited { retry_after } => {
                if let Some(seconds) = retry_after.seconds() {
                    let _ = js_sys::Reflect::set(&js, &JsValue::from_str("retryAfter"), &JsValue::from(seconds as f64));
                }
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
