//! Cross-site request forgery: cookie-authenticated changes check Origin, then Referer; the
//! OAuth login and consent form needs the same-origin check and a form token bound to the
//! browser (a cookie set with the page), so a foreign page cannot log the user in or consent.

mod common;

use common::*;
use serde_json::json;

#[test]
fn cookie_authenticated_changes_fall_back_to_the_referer_when_origin_is_missing() {
    let dir = TempDir::new("referer");
    let server = Server::start(dir.path(), &["--cors-origin", "http://127.0.0.1:5173"]);
    let cookie = server.post_json("/v1/session/login", &json!({ "email": EMAIL, "password": PASSWORD }), &[]).cookie();
    let create = |headers: &[(&str, &str)]| server.post_json("/v1/resources", &json!({ "name": "n" }), headers);
    let own_page = server.url("/index.html");
    for headers in [
        vec![("referer", "https://evil.example/attack.html")],
        vec![("referer", "not a url")],
        vec![("origin", "null")],
        vec![("origin", "null"), ("referer", own_page.as_str())],
        vec![("origin", "https://evil.example"), ("referer", own_page.as_str())],
        vec![("sec-fetch-site", "same-site")],
    ] {
        let mut all = vec![("cookie", cookie.as_str())];
        all.extend(headers.iter().copied());
        create(&all).expect_error(403, "invalid_request");
    }
    assert_eq!(create(&[("cookie", &cookie), ("referer", &own_page)]).status, 201, "same-origin Referer");
    assert_eq!(create(&[("cookie", &cookie), ("referer", "http://127.0.0.1:5173/app")]).status, 201, "allowed origin");
    assert_eq!(create(&[("cookie", &cookie)]).status, 201, "neither header: not a browser");
    // Login and logout check the same way.
    server
        .post_json(
            "/v1/session/login",
            &json!({ "email": EMAIL, "password": PASSWORD }),
            &[("referer", "https://evil.example/")],
        )
        .expect_error(403, "invalid_request");
    server
        .post_json("/v1/session/logout", &json!({}), &[("cookie", &cookie), ("referer", "https://evil.example/")])
        .expect_error(403, "invalid_request");
    assert_eq!(server.get("/v1/session", &[("cookie", &cookie)]).status, 200, "the refused logout ended nothing");
}

fn flow(redirect: &str) -> Vec<(&str, &str)> {
    vec![
        ("response_type", "code"),
        ("client_id", SPA),
        ("redirect_uri", redirect),
        ("scope", "openid read:resources"),
        ("state", "st4te"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ]
}

fn issued_a_code(r: &Resp) -> bool {
    r.header("location").is_some_and(|l| l.contains("code="))
}

#[test]
fn the_oauth_login_form_needs_its_form_token_and_a_same_origin_post() {
    let dir = TempDir::new("formcsrf");
    let server = Server::start(dir.path(), &[]);
    let redirect = server.url("/callback");
    let params = flow(&redirect);
    let (cookie, token) = server.authorize_form(&params);
    assert!(cookie.starts_with("wasm_auth_csrf="), "the page sets the form cookie: {cookie:?}");
    assert!(token.len() >= 32, "the form carries its token: {token:?}");
    let submit = |token: &str, headers: &[(&str, &str)]| {
        let mut form = params.clone();
        form.extend([("email", EMAIL), ("password", PASSWORD), ("decision", "allow"), ("csrf_token", token)]);
        server.post_form("/oauth/authorize", &form, headers)
    };
    let origin = server.base.as_str();
    let own_page = server.url("/oauth/authorize");
    // A cross-site form: it cannot read the cookie, so it has no token (and its Origin is foreign).
    for (token, headers) in [
        ("", vec![("origin", origin)]),
        ("", vec![("cookie", cookie.as_str()), ("origin", origin)]),
        (token.as_str(), vec![("origin", origin)]),
        ("forged-forged-forged-forged-forged-forged", vec![("cookie", cookie.as_str()), ("origin", origin)]),
        (
            token.as_str(),
            vec![("cookie", "wasm_auth_csrf=forged-forged-forged-forged-forged-forged"), ("origin", origin)],
        ),
        (token.as_str(), vec![("cookie", cookie.as_str()), ("origin", "https://evil.example")]),
        (token.as_str(), vec![("cookie", cookie.as_str()), ("origin", "null")]),
        (token.as_str(), vec![("cookie", cookie.as_str()), ("referer", "https://evil.example/login-csrf")]),
    ] {
        let r = submit(token, &headers);
        assert_eq!(r.status, 403, "{headers:?}: {}", r.body);
        assert!(!issued_a_code(&r), "{headers:?}");
    }
    let r = submit(&token, &[("cookie", &cookie), ("origin", origin)]);
    assert!(r.status == 303 && issued_a_code(&r), "same origin with the token: {} {}", r.status, r.body);
    let r = submit(&token, &[("cookie", &cookie), ("referer", &own_page)]);
    assert!(r.status == 303 && issued_a_code(&r), "same-origin Referer: {} {}", r.status, r.body);
    let r = submit(&token, &[("cookie", &cookie)]);
    assert!(r.status == 303 && issued_a_code(&r), "no Origin, no Referer (not a browser): {} {}", r.status, r.body);
}

#[test]
fn the_form_cookie_is_host_prefixed_behind_https() {
    let dir = TempDir::new("formhttps");
    let server = Server::start(dir.path(), &["--issuer", "https://auth.example.test"]);
    let redirect = "https://auth.example.test/callback".to_owned();
    let page = server.get(
        &format!(
            "/oauth/authorize?{}",
            url::form_urlencoded::Serializer::new(String::new()).extend_pairs(flow(&redirect)).finish()
        ),
        &[],
    );
    assert_eq!(page.status, 200, "{}", page.body);
    let set_cookie = page.header("set-cookie").unwrap_or("");
    assert!(set_cookie.starts_with("__Host-wasm_auth_csrf="), "{set_cookie}");
    for attribute in ["; Path=/", "; HttpOnly", "; SameSite=Lax", "; Secure"] {
        assert!(set_cookie.contains(attribute), "{attribute} missing in {set_cookie}");
    }
}
