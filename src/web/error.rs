//! Turning core errors into JS `Error`s with a stable `.code`, and the TypeScript types for them.

use wasm_bindgen::prelude::*;

use crate::Error;

// The union must list exactly `Error::CODES`; tests/e2e checks the shipped .d.ts against it.
#[wasm_bindgen(typescript_custom_section)]
const TS_ERRORS: &str = r#"
/** Every stable `.code` a wasm-auth error can carry. */
export type WasmAuthErrorCode =
  | "ERR_AUTH_CRYPTO_UNAVAILABLE"
  | "ERR_OAUTH_INVALID_CODE_VERIFIER"
  | "ERR_JWS_INVALID"
  | "ERR_JWT_INVALID"
  | "ERR_JWS_SIGNATURE_VERIFICATION_FAILED"
  | "ERR_JWT_EXPIRED"
  | "ERR_JWT_CLAIM_VALIDATION_FAILED"
  | "ERR_JOSE_ALG_NOT_ALLOWED"
  | "ERR_JOSE_NOT_SUPPORTED"
  | "ERR_JWK_INVALID"
  | "ERR_JWKS_INVALID"
  | "ERR_JWKS_NO_MATCHING_KEY"
  | "ERR_JWKS_TIMEOUT"
  | "ERR_JWKS_FETCH_FAILED"
  | "ERR_JWKS_TOO_LARGE"
  | "ERR_AUTH_NOT_AUTHENTICATED"
  | "ERR_AUTH_INVALID_API_KEY"
  | "ERR_AUTH_INSUFFICIENT_SCOPE"
  | "ERR_AUTH_INVALID_OPTIONS"
  | "ERR_AUTH_INVALID_CREDENTIALS"
  | "ERR_AUTH_SESSION_EXPIRED"
  | "ERR_AUTH_RATE_LIMITED"
  | "ERR_AUTH_HTTP"
  | "ERR_AUTH_NETWORK"
  | "ERR_AUTH_INVALID_RESPONSE"
  | "ERR_AUTH_UNTRUSTED_ORIGIN"
  | "ERR_AUTH_COOKIES_BLOCKED"
  | "ERR_AUTH_DISPOSED"
  | "ERR_OAUTH_STATE_MISMATCH"
  | "ERR_OAUTH_TRANSACTION_MISSING"
  | "ERR_OAUTH_TRANSACTION_EXPIRED"
  | "ERR_OAUTH_CALLBACK_ERROR"
  | "ERR_OAUTH_TOKEN_ERROR"
  | "ERR_OAUTH_ISSUER_MISMATCH"
  | "ERR_OAUTH_SECRET_IN_BROWSER"
  | "ERR_INTERNAL";

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

/// The JS value to throw for `err`: an `Error` named `WasmAuthError` with `.code` set, and
/// `.claim` / `.reason` for claim errors.
pub fn to_js_error(err: &Error) -> JsValue {
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
