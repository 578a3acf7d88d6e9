//! PKCE exports: `createPkce()` and `pkceChallenge(verifier)`.

use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::Error;
use crate::pkce::{CodeVerifier, METHOD_S256};

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

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PkcePairJs<'a> {
    code_verifier: &'a str,
    code_challenge: &'a str,
    code_challenge_method: &'static str,
}

/// A new PKCE verifier (32 bytes from `crypto.getRandomValues`) and its S256 challenge.
///
/// Throws `ERR_AUTH_CRYPTO_UNAVAILABLE` where the platform has no secure random source.
#[wasm_bindgen(js_name = createPkce, unchecked_return_type = "PkcePair")]
pub fn create_pkce() -> Result<JsValue, JsValue> {
    let verifier = CodeVerifier::generate()?;
    let challenge = verifier.challenge();
    let pair = PkcePairJs {
        code_verifier: verifier.secret(),
        code_challenge: challenge.as_str(),
        code_challenge_method: METHOD_S256,
    };
    serde_wasm_bindgen::to_value(&pair).map_err(|_| Error::Internal("could not build the PKCE result object").into())
}

/// The S256 `code_challenge` of an existing verifier.
///
/// Throws `ERR_OAUTH_INVALID_CODE_VERIFIER` when the verifier breaks RFC 7636 section 4.1.
#[wasm_bindgen(js_name = pkceChallenge)]
pub fn pkce_challenge(#[wasm_bindgen(js_name = "codeVerifier")] code_verifier: &str) -> Result<String, JsValue> {
    let verifier = CodeVerifier::parse(code_verifier)?;
    Ok(verifier.challenge().as_str().to_owned())
}
