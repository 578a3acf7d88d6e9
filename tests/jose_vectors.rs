//! The Wycheproof JWS, JWK and raw signature vectors, run natively through the verification
//! pipeline (`prepare` + `check_signature` with the pure-Rust asymmetric verifier). The vectors
//! are the vendored copies in tests/data/wycheproof (upstream, commit and license there).
#![cfg(not(target_arch = "wasm32"))]

use std::path::PathBuf;

use serde_json::Value;
use wasm_auth::jose::alg::Alg;
use wasm_auth::jose::jwk::Jwk;
use wasm_auth::jose::keyset::KeySet;
use wasm_auth::jose::verify::{VerifyOptions, check_signature, prepare};
use wasm_auth::jose::{json, native, signature};

/// A serde_json value (how these tests read files) as the crate's own JSON value.
fn ours(value: &Value) -> json::Value {
    json::parse_value(value.to_string().as_bytes()).expect("JSON")
}

fn vectors(name: &str) -> Value {
    let path = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/wycheproof")).join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("vector file is JSON")
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len() / 2).map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).expect("hex")).collect()
}

/// The key set a JWS/JWK test group names: its public key (set) when it has one, else the
/// private one (shared secrets). `None` when the key is refused.
fn group_keys(group: &Value) -> Option<KeySet> {
    let keys = group.get("public").or_else(|| group.get("private"))?;
    if keys.get("keys").is_some() {
        KeySet::from_jwks(&ours(keys)).ok()
    } else {
        Jwk::from_json(&ours(keys)).ok().map(KeySet::single)
    }
}

/// Runs a JWS through the signature stage (Wycheproof payloads are not JWT claims sets).
fn accepts(token: &str, keys: &KeySet) -> bool {
    let options = VerifyOptions::default();
    let Ok(prepared) = prepare(token, keys, &options) else { return false };
    check_signature(&prepared, native::verify).is_ok()
}

/// Cases of this copy of the vectors (v0.3) that contradict other cases of the same files,
/// with the answer wasm-auth gives and why (shared with the JS runtimes' suite).
fn contradictory() -> Vec<(u64, bool)> {
    let list: Value = serde_json::from_str(include_str!("data/wycheproof-contradictory.json")).expect("JSON");
    list["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| (c["tcId"].as_u64().unwrap_or(0), c["accepted"] == true))
        .collect()
}

/// Runs every test of a JWS-style file; returns how many ran.
fn run_jws_file(name: &str) -> usize {
    let file = vectors(name);
    let contradictory = contradictory();
    let mut ran = 0;
    let mut wrong = Vec::new();
    for group in file["testGroups"].as_array().expect("groups") {
        let keys = group_keys(group);
        for test in group["tests"].as_array().expect("tests") {
            let token = test["jws"].as_str().map(str::to_owned).unwrap_or_else(|| test["jws"].to_string());
            let accepted = keys.as_ref().is_some_and(|k| accepts(&token, k));
            let exception =
                contradictory.iter().find(|(id, _)| name.starts_with("json_web_signature") && test["tcId"] == *id);
            let expected = exception.map_or(test["result"] == "valid", |(_, ours)| *ours);
            if accepted != expected {
                wrong.push(format!(
                    "tcId {} ({}, {}): expected {}, got {}",
                    test["tcId"], group["comment"], test["comment"], expected, accepted
                ));
            }
            ran += 1;
        }
    }
    assert!(wrong.is_empty(), "{name}: {} of {ran} wrong:\n{}", wrong.len(), wrong.join("\n"));
    ran
}

#[test]
fn wycheproof_json_web_signature_vectors() {
    assert_eq!(run_jws_file("json_web_signature_test.json"), 401);
}

#[test]
fn wycheproof_json_web_key_vectors() {
    assert_eq!(run_jws_file("json_web_key_test.json"), 26);
}

/// Raw signature vectors: the group's JWK, `msg` and `sig` in hex, through the same shape check
/// and verifier that tokens use.
fn run_raw_file(name: &str, alg: Alg, jwk_field: &str) -> usize {
    let file = vectors(name);
    let mut ran = 0;
    let mut wrong = Vec::new();
    for group in file["testGroups"].as_array().expect("groups") {
        let key = Jwk::from_json(&ours(&raw_group_jwk(group, jwk_field))).ok();
        for test in group["tests"].as_array().expect("tests") {
            let (msg, sig) = (hex(test["msg"].as_str().unwrap_or("")), hex(test["sig"].as_str().unwrap_or("")));
            let accepted = key.as_ref().is_some_and(|key| {
                key.supports(alg)
                    && signature::check_shape(alg, &sig, key.rsa_modulus_len()).is_ok()
                    && native::verify(alg, key, &msg, &sig).is_ok()
            });
            let result = test["result"].as_str().unwrap_or("");
            if result != "acceptable" && accepted != (result == "valid") {
                wrong.push(format!("tcId {} ({}): expected {result}, got {accepted}", test["tcId"], test["comment"]));
            }
            ran += 1;
        }
    }
    assert!(wrong.is_empty(), "{name}: {} of {ran} wrong:\n{}", wrong.len(), wrong.join("\n"));
    ran
}

/// The group's JWK, or one built from its uncompressed EC point when the file gives none.
fn raw_group_jwk(group: &Value, jwk_field: &str) -> Value {
    if let Some(jwk) = group.get(jwk_field) {
        return jwk.clone();
    }
    use base64::Engine as _;
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let key = &group["publicKey"];
    let crv = match key["curve"].as_str() {
        Some("secp256r1") => "P-256",
        Some("secp384r1") => "P-384",
        Some("secp521r1") => "P-521",
        other => panic!("unexpected curve {other:?}"),
    };
    let point = hex(key["uncompressed"].as_str().unwrap_or(""));
    let half = (point.len() - 1) / 2;
    serde_json::json!({ "kty": "EC", "crv": crv, "x": b64(&point[1..1 + half]), "y": b64(&point[1 + half..]) })
}

#[test]
fn the_contradictory_cases_are_the_ones_listed() {
    let file = vectors("json_web_signature_test.json");
    let tests: Vec<&Value> = file["testGroups"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|g| g["tests"].as_array().into_iter().flatten())
        .collect();
    let by_id = |id: u64| tests.iter().find(|t| t["tcId"] == id).map(|t| t["jws"].as_str().unwrap_or(""));
    assert_eq!(by_id(367), by_id(357));
    assert_eq!(by_id(370), by_id(357));
    assert!(by_id(372).is_some_and(|t| t.contains('?')) && by_id(373).is_some_and(|t| t.contains('?')));
}

/// Every Wycheproof group's PEM gives the same key as its JWK.
#[test]
fn pem_public_keys_match_their_jwks() {
    let mut checked = 0;
    for (name, jwk_field) in [
        ("ecdsa_secp256r1_sha256_p1363_test.json", "publicKeyJwk"),
        ("ecdsa_secp521r1_sha512_p1363_test.json", "publicKeyJwk"),
        ("ed25519_test.json", "publicKeyJwk"),
        ("rsa_signature_2048_sha256_test.json", "keyJwk"),
    ] {
        let file = vectors(name);
        for group in file["testGroups"].as_array().expect("groups") {
            let Some(pem) = group["publicKeyPem"].as_str() else { continue };
            let from_jwk = Jwk::from_json(&ours(&raw_group_jwk(group, jwk_field))).map(|k| k.material);
            let from_pem = wasm_auth::jose::spki::jwk_from_pem(pem).map(|k| k.material);
            assert_eq!(from_pem.is_ok(), from_jwk.is_ok(), "{name}: {pem}");
            if let (Ok(a), Ok(b)) = (from_pem, from_jwk) {
                assert_eq!(a, b, "{name}");
                checked += 1;
            }
        }
    }
    assert!(checked > 100, "{checked} keys compared");
}

#[test]
fn wycheproof_ecdsa_p1363_vectors() {
    assert!(run_raw_file("ecdsa_secp256r1_sha256_p1363_test.json", Alg::Es256, "publicKeyJwk") > 200);
    assert!(run_raw_file("ecdsa_secp384r1_sha384_p1363_test.json", Alg::Es384, "publicKeyJwk") > 200);
    assert!(run_raw_file("ecdsa_secp521r1_sha512_p1363_test.json", Alg::Es512, "publicKeyJwk") > 200);
}

#[test]
fn wycheproof_ed25519_vectors() {
    assert_eq!(run_raw_file("ed25519_test.json", Alg::EdDsa, "publicKeyJwk"), 151);
}

#[test]
fn wycheproof_rsa_pkcs1_and_pss_vectors() {
    assert_eq!(run_raw_file("rsa_signature_2048_sha256_test.json", Alg::Rs256, "keyJwk"), 259);
    assert_eq!(run_raw_file("rsa_pss_2048_sha256_mgf1_32_test.json", Alg::Ps256, "publicKeyJwk"), 108);
}

/// RFC 7515 appendix A.1 (HS256), A.2 (RS256) and A.3 (ES256): the whole pipeline, claims
/// included, at a time before the examples' `exp` (1300819380).
#[test]
fn rfc7515_appendix_a_examples() {
    use wasm_auth::jose::verify::verify;
    const PAYLOAD: &str =
        "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
    let cases = [
        (
            serde_json::json!({ "kty": "oct", "k": "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow" }),
            format!("eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.{PAYLOAD}.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
        ),
        (
            serde_json::json!({ "kty": "RSA", "e": "AQAB", "n": "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ" }),
            format!(
                "eyJhbGciOiJSUzI1NiJ9.{PAYLOAD}.cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw"
            ),
        ),
        (
            serde_json::json!({ "kty": "EC", "crv": "P-256", "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0" }),
            format!(
                "eyJhbGciOiJFUzI1NiJ9.{PAYLOAD}.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q"
            ),
        ),
    ];
    for (jwk, token) in cases {
        let keys = KeySet::single(Jwk::from_json(&ours(&jwk)).expect("RFC key"));
        let verified = verify(&token, &keys, &VerifyOptions::default(), 1_300_819_000, native::verify)
            .expect("RFC example verifies");
        assert_eq!(verified.payload.get("iss").and_then(json::Value::as_str), Some("joe"));
        assert_eq!(verified.payload.get("http://example.com/is_root"), Some(&json::Value::Bool(true)));
        let late = verify(&token, &keys, &VerifyOptions::default(), 1_300_819_380, native::verify)
            .expect_err("expired by then");
        assert_eq!(late.code(), "ERR_JWT_EXPIRED");
    }
}

/// RFC 7520 sections 4.2 (PS384) and 4.3 (ES512) with the RFC's own keys, which carry no
/// `alg`: the Wycheproof copies of these two examples pin the keys to other algorithms.
#[test]
fn rfc7520_section_4_examples_with_the_rfc_keys() {
    let file = vectors("json_web_signature_test.json");
    let mut checked = 0;
    for group in file["testGroups"].as_array().expect("groups") {
        for test in group["tests"].as_array().expect("tests") {
            if test["tcId"] != 346 && test["tcId"] != 347 {
                continue;
            }
            let mut key = group["public"].clone();
            key.as_object_mut().expect("JWK").remove("alg");
            let keys = KeySet::single(Jwk::from_json(&ours(&key)).expect("RFC 7520 key"));
            assert!(accepts(test["jws"].as_str().expect("compact"), &keys), "tcId {}", test["tcId"]);
            checked += 1;
        }
    }
    assert_eq!(checked, 2);
}

/// RFC 7515 appendix A.4 (ES512) and RFC 8037 appendix A.4 (EdDSA). Their payloads are not
/// claims sets, so the signature verifies and the JWT layer then refuses the payload.
#[test]
fn rfc7515_a4_es512_and_rfc8037_a4_eddsa() {
    use wasm_auth::jose::verify::verify;
    let cases = [
        (
            serde_json::json!({ "kty": "EC", "crv": "P-521", "x": "AekpBQ8ST8a8VcfVOTNl353vSrDCLLJXmPk06wTjxrrjcBpXp5EOnYG_NjFZ6OvLFV1jSfS9tsz4qUxcWceqwQGk", "y": "ADSmRA43Z1DSNx_RvcLI87cdL07l6jQyyBXMoxVg_l2Th-x3S1WDhjDly79ajL4Kkd0AZMaZmh9ubmf63e3kyMj2" }),
            "eyJhbGciOiJFUzUxMiJ9.UGF5bG9hZA.AdwMgeerwtHoh-l192l60hp9wAHZFVJbLfD_UxMi70cwnZOYaRI1bKPWROc-mZZqwqT2SI-KGDKB34XO0aw_7XdtAG8GaSwFKdCAPZgoXD2YBJZCPEX3xKpRwcdOO8KpEHwJjyqOgzDO7iKvU8vcnwNrmxYbSW9ERBXukOXolLzeO_Jn",
        ),
        (
            serde_json::json!({ "kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" }),
            "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg",
        ),
    ];
    for (jwk, token) in cases {
        let keys = KeySet::single(Jwk::from_json(&ours(&jwk)).expect("RFC key"));
        assert!(accepts(token, &keys), "the signature of {token} verifies");
        let err = verify(token, &keys, &VerifyOptions::default(), 0, native::verify).expect_err("not a claims set");
        assert_eq!(err.code(), "ERR_JWT_INVALID");
        let tampered = token.replacen(".UGF5bG9hZA.", ".UGF5bG9hZQ.", 1).replacen(".RXhhbXBs", ".SXhhbXBs", 1);
        assert!(!accepts(&tampered, &keys), "a changed payload fails");
    }
}
