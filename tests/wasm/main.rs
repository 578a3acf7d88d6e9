//! wasm-bindgen tests: the crate compiled to wasm32, run under Node and in headless Chromium.
//!
//! The same binary runs in both: `make test-wasm` runs it once under Node (the default) and
//! once with `WASM_BINDGEN_USE_BROWSER=1`, so nothing here calls
//! `wasm_bindgen_test_configure!(run_in_browser)`, which would pin it to the browser.
#![cfg(target_arch = "wasm32")]

use js_sys::Reflect;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

use wasm_auth::pkce::CodeVerifier;
use wasm_auth::web;

fn get_string(object: &JsValue, key: &str) -> String {
    Reflect::get(object, &JsValue::from_str(key))
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_else(|| panic!("{key} is not a string property"))
}

#[wasm_bindgen_test]
fn verifiers_come_from_the_platform_random_source() {
    let a = CodeVerifier::generate().expect("crypto.getRandomValues is reachable");
    let b = CodeVerifier::generate().expect("crypto.getRandomValues is reachable");
    assert_eq!(a.secret().len(), 43);
    assert_ne!(a.secret(), b.secret(), "two verifiers must differ");
}

#[wasm_bindgen_test]
fn create_pkce_returns_a_consistent_s256_pair() {
    let pair = web::create_pkce().expect("createPkce succeeds");
    let verifier = get_string(&pair, "codeVerifier");
    let challenge = get_string(&pair, "codeChallenge");
    assert_eq!(get_string(&pair, "codeChallengeMethod"), "S256");
    let recomputed = CodeVerifier::parse(&verifier).expect("valid verifier").challenge();
    assert_eq!(challenge, recomputed.as_str());
}

#[wasm_bindgen_test]
fn rfc7636_appendix_b_vector_holds_in_wasm() {
    let challenge = web::pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").expect("valid");
    assert_eq!(challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

#[wasm_bindgen_test]
fn a_bad_verifier_throws_an_error_with_a_stable_code() {
    let thrown = web::pkce_challenge("too-short").expect_err("43 characters minimum");
    let error = thrown.dyn_ref::<js_sys::Error>().expect("a JS Error instance");
    assert_eq!(String::from(error.name()), "WasmAuthError");
    assert_eq!(get_string(&thrown, "code"), "ERR_OAUTH_INVALID_CODE_VERIFIER");
    assert!(!String::from(error.message()).contains("too-short"), "message must not echo input");
}

#[wasm_bindgen_test]
fn version_matches_the_crate() {
    assert_eq!(web::version(), env!("CARGO_PKG_VERSION"));
}
