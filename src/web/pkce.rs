//! PKCE exports: `createPkce()` and `pkceChallenge(verifier)`.

use wasm_bindgen::prelude::*;

use crate::pkce::{CodeVerifier, METHOD_S256};
use crate::web::object::js_object;

#[wasm_bindgen(typescript_custom_section)]
const TS_PKCE: &str = r#"
/** A fresh RFC 7636 pair. Send `codeChallenge` in the authorization URL and keep
 * `codeVerifier` secret until the token request. */
export interface PkcePair {
  readonly codeVerifier: string;
  readonly codeChallenge: string;
  readonly codeChallengeMethod: "S256";
}
"#;

/// A new PKCE verifier (32 bytes from `crypto.getRandomValues`) and its S256 challenge.
///
/// Throws `ERR_AUTH_CRYPTO_UNAVAILABLE` where the platform has no secure random source.
#[wasm_bindgen(js_name = createPkce, unchecked_return_type = "PkcePair")]
pub fn create_pkce() -> Result<JsValue, JsValue> {
    let verifier = CodeVerifier::generate()?;
    let challenge = verifier.challenge();
    Ok(js_object(&[
        ("codeVerifier", JsValue::from_str(verifier.secret())),
        ("codeChallenge", JsValue::from_str(challenge.as_str())),
        ("codeChallengeMethod", JsValue::from_str(METHOD_S256)),
    ]))
}

/// The S256 `code_challenge` of an existing verifier.
///
/// Throws `ERR_OAUTH_INVALID_CODE_VERIFIER` when the verifier breaks RFC 7636 section 4.1.
#[wasm_bindgen(js_name = pkceChallenge)]
pub fn pkce_challenge(#[wasm_bindgen(js_name = "codeVerifier")] code_verifier: &str) -> Result<String, JsValue> {
    let verifier = CodeVerifier::parse(code_verifier)?;
    Ok(verifier.challenge().as_str().to_owned())
}
