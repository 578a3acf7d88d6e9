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

/// The Wycheproof raw signature vectors (ECDSA P1363, Ed25519, RSA PKCS#1 v1.5 and PSS) through
/// the signature path tokens take here: the Rust shape check, then node:crypto (this suite under
/// Node) or crypto.subtle (under Chromium). The files are the vendored copies in
/// tests/data/wycheproof, compiled in.
mod wycheproof_through_the_js_verifier {
    use serde_json::Value;
    use wasm_auth::jose::alg::Alg;
    use wasm_auth::jose::jwk::Jwk;
    use wasm_bindgen_futures::JsFuture;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len() / 2).filter_map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()).collect()
    }

    async fn run(file: &str, alg: Alg, jwk_field: &str) -> usize {
        let vectors: Value = serde_json::from_str(file).expect("vector JSON");
        let mut wrong = Vec::new();
        let mut ran = 0;
        for group in vectors["testGroups"].as_array().expect("groups") {
            // Groups without a JWK in the file are covered by the native run (tests/jose_vectors.rs).
            let Some(key) = group.get(jwk_field).and_then(|jwk| {
                Jwk::from_json(&wasm_auth::jose::json::parse_value(jwk.to_string().as_bytes()).ok()?).ok()
            }) else {
                continue;
            };
            for test in group["tests"].as_array().expect("tests") {
                let result = test["result"].as_str().unwrap_or("");
                let (msg, sig) = (hex(test["msg"].as_str().unwrap_or("")), hex(test["sig"].as_str().unwrap_or("")));
                let verdict = match wasm_auth::web::verify_signature_in_js(&key, alg, &msg, &sig) {
                    Ok(promise) => JsFuture::from(promise).await.map(|v| v.as_bool() == Some(true)).unwrap_or(false),
                    Err(_) => false,
                };
                if result != "acceptable" && verdict != (result == "valid") {
                    wrong.push(format!("tcId {} ({}): expected {result}", test["tcId"], test["comment"]));
                }
                ran += 1;
            }
        }
        assert!(wrong.is_empty(), "{} wrong:\n{}", wrong.len(), wrong.join("\n"));
        ran
    }

    #[wasm_bindgen_test]
    async fn ecdsa_p256_p384_p521() {
        assert!(
            run(include_str!("../data/wycheproof/ecdsa_secp256r1_sha256_p1363_test.json"), Alg::Es256, "publicKeyJwk")
                .await
                > 200
        );
        assert!(
            run(include_str!("../data/wycheproof/ecdsa_secp384r1_sha384_p1363_test.json"), Alg::Es384, "publicKeyJwk")
                .await
                > 200
        );
        assert!(
            run(include_str!("../data/wycheproof/ecdsa_secp521r1_sha512_p1363_test.json"), Alg::Es512, "publicKeyJwk")
                .await
                > 200
        );
    }

    #[wasm_bindgen_test]
    async fn ed25519() {
        assert_eq!(run(include_str!("../data/wycheproof/ed25519_test.json"), Alg::EdDsa, "publicKeyJwk").await, 151);
    }

    #[wasm_bindgen_test]
    async fn rsa_pkcs1_and_pss() {
        assert_eq!(
            run(include_str!("../data/wycheproof/rsa_signature_2048_sha256_test.json"), Alg::Rs256, "keyJwk").await,
            259
        );
        assert_eq!(
            run(include_str!("../data/wycheproof/rsa_pss_2048_sha256_mgf1_32_test.json"), Alg::Ps256, "publicKeyJwk")
                .await,
            108
        );
    }
}

/// `JwtVerifier.verify` reads its token through shim.js's writeToken (TextEncoder.encodeInto into
/// a reused buffer): tokens longer than that buffer, non-ASCII text and non-strings must come out
/// as they did when the token was a `&str` argument.
mod verify_reads_the_token_text {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use hmac::{Hmac, Mac};
    use js_sys::{Object, Reflect, Uint8Array};
    use wasm_auth::web::JwtVerifier;
    use wasm_bindgen::JsValue;
    use wasm_bindgen_futures::JsFuture;
    use wasm_bindgen_test::wasm_bindgen_test;

    const SECRET: [u8; 32] = [7; 32];

    fn hs256(payload: &str) -> String {
        let input = format!("{}.{}", URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256"}"#), URL_SAFE_NO_PAD.encode(payload));
        let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(&SECRET).expect("any key length");
        mac.update(input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
    }

    fn verifier() -> JwtVerifier {
        let options = Object::new();
        Reflect::set(&options, &"secret".into(), &Uint8Array::from(&SECRET[..])).expect("set");
        JwtVerifier::new(options.into()).expect("verifier")
    }

    async fn outcome(verifier: &JwtVerifier, token: JsValue) -> Result<String, String> {
        let read = |value: &JsValue, key: &str| Reflect::get(value, &key.into()).ok().and_then(|v| v.as_string());
        match JsFuture::from(verifier.verify(token, None)).await {
            Ok(result) => {
                let payload = Reflect::get(&result, &"payload".into()).expect("payload");
                Ok(read(&payload, "x").unwrap_or_default())
            }
            Err(error) => Err(read(&error, "code").unwrap_or_default()),
        }
    }

    #[wasm_bindgen_test]
    async fn short_long_and_odd_tokens() {
        let verifier = verifier();
        let short = hs256(r#"{"x":"a"}"#);
        assert_eq!(outcome(&verifier, short.as_str().into()).await, Ok("a".to_owned()));
        // Longer than the 2,048-byte buffer: it grows once and the token verifies.
        let long_claim = "b".repeat(5_000);
        let long = hs256(&format!(r#"{{"x":"{long_claim}"}}"#));
        assert_eq!(outcome(&verifier, long.as_str().into()).await, Ok(long_claim));
        // The short one again, after the buffer grew, and a non-ASCII character (3 UTF-8 bytes).
        assert_eq!(outcome(&verifier, short.as_str().into()).await, Ok("a".to_owned()));
        let odd = format!("{short}\u{20ac}");
        assert_eq!(outcome(&verifier, odd.as_str().into()).await, Err("ERR_JWS_INVALID".to_owned()));
        // Past maxTokenLength (64 KiB by default): refused, not truncated into something valid.
        let huge = hs256(&format!(r#"{{"x":"{}"}}"#, "c".repeat(70_000)));
        assert_eq!(outcome(&verifier, huge.as_str().into()).await, Err("ERR_JWS_INVALID".to_owned()));
    }
}
