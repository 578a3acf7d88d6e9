//! Token parsing and verification on arbitrary input: every path must return an error, never
//! panic (a panic in wasm kills the module). The input is tried as a token against an HMAC
//! secret, an EC JWK and a JWK Set, and as JSON (checked against serde_json), a JWK, a JWK Set
//! and a PEM key.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wasm_auth::jose::claims::ClaimRules;
use wasm_auth::jose::jwk::Jwk;
use wasm_auth::jose::keyset::KeySet;
use wasm_auth::jose::verify::{VerifyOptions, verify};
use wasm_auth::jose::{json, native, spki};

fn parsed(text: &str) -> json::Value {
    json::parse_value(text.as_bytes()).expect("fixed JSON")
}

fn key_sets() -> [KeySet; 3] {
    let secret = KeySet::single(Jwk::from_secret(b"a fuzzing secret of 32 bytes....").expect("secret"));
    let ec = KeySet::single(
        Jwk::from_json(&parsed(r#"{ "kty": "EC", "crv": "P-256", "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0", "kid": "ec" }"#))
            .expect("EC key"),
    );
    let set = KeySet::from_jwks(&parsed(r#"{ "keys": [
        { "kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "kid": "ed" },
        { "kty": "EC", "crv": "P-384", "kid": "p384", "x": "mLoIn5YnzwGY6Q3fbPjoHtjUuJt3YOVsBPr3uekF9ZzXdDD4Bm1WHgHafOw6SHk3", "y": "y2nNBdGnP7LbYKjfYt0PGIRDQT1lHYMFLvaVBOQeoTk-_S2tJQzU2-qVXs0lsfwL" }
    ]}"#))
    .expect("JWKS");
    [secret, ec, set]
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let options = VerifyOptions {
        rules: ClaimRules {
            issuer: vec!["i".into()],
            audience: vec!["a".into()],
            max_token_age: Some(60),
            ..Default::default()
        },
        ..Default::default()
    };
    for keys in key_sets() {
        let _ = verify(&text, &keys, &options, 1_700_000_000, native::verify);
    }
    // The crate's JSON parser must accept only JSON (serde_json decides), and refuse beyond
    // that only duplicate member names and deep nesting; what it accepts must print back as
    // the same value.
    match (json::parse_value(data), serde_json::from_slice::<serde_json::Value>(data)) {
        (Ok(ours), Ok(_)) => assert_eq!(json::parse_value(ours.to_string().as_bytes()).as_ref(), Ok(&ours)),
        (Ok(ours), Err(e)) => panic!("accepted what serde_json refuses ({e}): {ours:?}"),
        (Err(why), Ok(_)) => assert!(why.contains("duplicate") || why.contains("nested"), "refused JSON: {why}"),
        (Err(_), Err(_)) => {}
    }
    if let Ok(value) = json::parse_value(data) {
        let _ = Jwk::from_json(&value);
        let _ = KeySet::from_jwks(&value);
    }
    let _ = spki::jwk_from_pem(&text);
});
