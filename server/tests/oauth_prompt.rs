//! prompt (none, login) and response_mode at the authorization endpoint, its sign-in session
//! (the `oauth_session` cookie) and /oauth/logout; the scope of client credentials tokens.

mod common;

use common::*;

fn authorize(server: &Server, extra: &[(&str, &str)]) -> Resp {
    authorize_as(server, &server.url("/callback"), extra, None)
}

/// GET /oauth/authorize for `redirect` with `extra` parameters (replacing the defaults of the
/// same name), sending `cookie` if given.
fn authorize_as(server: &Server, redirect: &str, extra: &[(&str, &str)], cookie: Option<&str>) -> Resp {
    let params = flow(redirect, extra);
    let query = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(&params).finish();
    let headers: Vec<(&str, &str)> = cookie.map(|c| ("cookie", c)).into_iter().collect();
    server.get(&format!("/oauth/authorize?{query}"), &headers)
}

fn flow<'a>(redirect: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut params = vec![
        ("response_type", "code"),
        ("client_id", SPA),
        ("redirect_uri", redirect),
        ("scope", "openid read:resources"),
        ("state", "st4te"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
        ("nonce", "n0nce"),
    ];
    for (k, v) in extra {
        params.retain(|(key, _)| key != k);
        params.push((k, v));
    }
    params
}

fn error_of(r: &Resp) -> (u16, Option<String>, Option<String>) {
    let location = url::Url::parse(r.header("location").unwrap_or("http://no-location/")).expect("URL");
    let get = |name: &str| location.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned());
    (r.status, get("error"), get("state"))
}

#[test]
fn prompt_none_without_a_session_answers_login_required_and_an_unsupported_response_mode_is_refused() {
    let dir = TempDir::new("prompt");
    let server = Server::start(dir.path(), &[]);
    let login_required = (303, Some("login_required".to_owned()), Some("st4te".to_owned()));
    let invalid_request = (303, Some("invalid_request".to_owned()), Some("st4te".to_owned()));
    assert_eq!(error_of(&authorize(&server, &[("prompt", "none")])), login_required);
    assert_eq!(error_of(&authorize(&server, &[("prompt", "none"), ("response_mode", "query")])), login_required);
    assert_eq!(error_of(&authorize(&server, &[("prompt", "none login")])), invalid_request);
    for mode in ["fragment", "form_post", "query.jwt", ""] {
        let r = authorize(&server, &[("response_mode", mode)]);
        if mode.is_empty() {
            assert_eq!(r.status, 200, "an empty response_mode is no response_mode");
            continue;
        }
        assert_eq!(error_of(&r), invalid_request, "response_mode={mode}");
        assert!(r.header("location").is_some_and(|l| !l.contains('#')), "the error goes back in the query");
    }
    // Other prompts and response_mode=query show the page as before.
    assert_eq!(authorize(&server, &[("response_mode", "query")]).status, 200);
    assert_eq!(authorize(&server, &[("prompt", "login consent")]).status, 200);
}

#[test]
fn client_credentials_tokens_have_no_openid_scope() {
    let dir = TempDir::new("ccopenid");
    let server = Server::start(dir.path(), &[]);
    let auth = basic(SERVICE, SERVICE_SECRET);
    let r = server.post_form("/oauth/token", &[("grant_type", "client_credentials")], &[("authorization", &auth)]);
    assert_eq!(r.status, 200, "{}", r.body);
    let scope = r.json()["scope"].as_str().unwrap_or("").to_owned();
    assert_eq!(scope, "read:resources write:resources", "the default: the client's scopes that need no user");
    assert_eq!(jwt_payload(r.json()["access_token"].as_str().unwrap_or(""))["scope"], scope.as_str());
    for asked in ["openid", "openid read:resources", "api_keys:write"] {
        server
            .post_form(
                "/oauth/token",
                &[("grant_type", "client_credentials"), ("scope", asked)],
                &[("authorization", &auth)],
            )
            .expect_error(400, "invalid_scope");
    }
}

/// A query parameter of the redirect's Location.
fn location_param(r: &Resp, name: &str) -> Option<String> {
    let location = url::Url::parse(r.header("location")?).ok()?;
    location.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

/// The whole Set-Cookie header that sets cookie `name`, if the answer has one.
fn set_cookie<'a>(r: &'a Resp, name: &str) -> Option<&'a str> {
    r.headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
        .map(|(_, v)| v.as_str())
        .find(|v| v.starts_with(&format!("{name}=")))
}

/// Signs in through the form (password) with `extra` parameters; the answer (a 303 with a code).
fn sign_in(server: &Server, redirect: &str, extra: &[(&str, &str)]) -> Resp {
    let r = server.submit_authorize(&flow(redirect, extra), "allow");
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(location_param(&r, "code").is_some(), "signed in: {:?}", r.header("location"));
    r
}

/// The `oauth_session=value` pair the sign-in answer set, as a Cookie header sends it back.
fn session_cookie(r: &Resp) -> String {
    let header = set_cookie(r, "oauth_session").unwrap_or_else(|| panic!("no oauth_session cookie: {:?}", r.headers));
    header.split(';').next().unwrap_or("").to_owned()
}

/// Asserts an error redirect to the client with `error`, `state` and `iss`.
fn assert_error_redirect(server: &Server, r: &Resp, error: &str) {
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(location_param(r, "error").as_deref(), Some(error), "{:?}", r.header("location"));
    assert_eq!(location_param(r, "state").as_deref(), Some("st4te"));
    assert_eq!(location_param(r, "iss").as_deref(), Some(server.base.as_str()));
    assert_eq!(location_param(r, "code"), None);
}

const CLEARED: &str = "oauth_session=; Path=/oauth; HttpOnly; SameSite=Lax; Max-Age=0";

#[test]
fn a_password_sign_in_starts_a_session_that_prompt_none_uses_for_consented_scopes() {
    let dir = TempDir::new("oauthsession");
    let server = Server::start(dir.path(), &[]);
    let redirect = server.url("/callback");
    let signed_in = sign_in(&server, &redirect, &[]);
    let header = set_cookie(&signed_in, "oauth_session").expect("the sign-in sets oauth_session");
    let value = header.trim_start_matches("oauth_session=").split(';').next().unwrap_or("");
    assert!(value.len() == 43 && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    assert_eq!(
        header,
        format!("oauth_session={value}; Path=/oauth; HttpOnly; SameSite=Lax; Max-Age=28800"),
        "HttpOnly, Lax (it must come with a top-level GET from another site), /oauth only, 8 hours, no Secure over http"
    );
    let cookie = session_cookie(&signed_in);

    // prompt=none with the session: a code, as the form gives, that redeems with the verifier.
    let r = authorize_as(&server, &redirect, &[("prompt", "none")], Some(&cookie));
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(location_param(&r, "state").as_deref(), Some("st4te"));
    assert_eq!(location_param(&r, "iss").as_deref(), Some(server.base.as_str()));
    assert_eq!(location_param(&r, "error"), None);
    assert!(set_cookie(&r, "oauth_session").is_none(), "a live session is left as it is");
    let code = location_param(&r, "code").expect("prompt=none with a session and consent: a code");
    let tokens = server.exchange_code(&code, &redirect, VERIFIER);
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    let tokens = tokens.json();
    assert_eq!(tokens["scope"], "openid read:resources");
    let id_token = jwt_payload(tokens["id_token"].as_str().expect("an ID token for openid"));
    assert_eq!(id_token["nonce"], "n0nce");
    assert_eq!(id_token["sub"], "user_demo");
    // A narrower request is within the consent too.
    let r = authorize_as(&server, &redirect, &[("prompt", "none"), ("scope", "openid")], Some(&cookie));
    assert!(location_param(&r, "code").is_some(), "{:?}", r.header("location"));

    // Without the cookie: login_required. With it, for scopes never consented: consent_required.
    assert_error_redirect(&server, &authorize_as(&server, &redirect, &[("prompt", "none")], None), "login_required");
    let wider = [("prompt", "none"), ("scope", "openid read:resources write:resources")];
    assert_error_redirect(&server, &authorize_as(&server, &redirect, &wider, Some(&cookie)), "consent_required");
    // Every check before the session stays: PKCE is still required of the public client.
    let r = authorize_as(&server, &redirect, &[("prompt", "none"), ("code_challenge", "")], Some(&cookie));
    assert_error_redirect(&server, &r, "invalid_request");
    let r = authorize_as(&server, "http://evil.example/cb", &[("prompt", "none")], Some(&cookie));
    assert_eq!((r.status, r.header("location")), (400, None), "unregistered redirect_uri: a page, never a redirect");

    // A forged or unknown cookie is no session, and is cleared.
    let forged = "oauth_session=forgedforgedforgedforgedforgedforgedforged123";
    let r = authorize_as(&server, &redirect, &[("prompt", "none")], Some(forged));
    assert_error_redirect(&server, &r, "login_required");
    assert_eq!(set_cookie(&r, "oauth_session"), Some(CLEARED));
    let r = authorize_as(&server, &redirect, &[("prompt", "none")], Some("oauth_session=not-even-well-formed"));
    assert_error_redirect(&server, &r, "login_required");

    // prompt=login ignores the session: the password form.
    let r = authorize_as(&server, &redirect, &[("prompt", "login")], Some(&cookie));
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("name=\"password\"") && !r.body.contains("Continue as"), "{}", r.body);
}

/// GETs the page with `cookie` (the session); returns the page and its form token.
fn consent_page(server: &Server, redirect: &str, extra: &[(&str, &str)], cookie: &str) -> (Resp, String) {
    let page = authorize_as(server, redirect, extra, Some(cookie));
    assert_eq!(page.status, 200, "{}", page.body);
    let token = page
        .body
        .split("name=\"csrf_token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or("")
        .to_owned();
    (page, token)
}

#[test]
fn with_a_session_the_page_asks_only_for_consent_and_approving_records_it() {
    let dir = TempDir::new("continueas");
    let server = Server::start(dir.path(), &[]);
    let redirect = server.url("/callback");
    let session = session_cookie(&sign_in(&server, &redirect, &[]));
    let wider: &[(&str, &str)] = &[("scope", "openid read:resources write:resources")];
    let (page, token) = consent_page(&server, &redirect, wider, &session);
    assert!(page.body.contains("Continue as user@example.com"), "{}", page.body);
    assert!(!page.body.contains("name=\"password\""), "no password asked: {}", page.body);
    assert!(page.body.contains("name=\"signed_in_as\" value=\"user_demo\""), "{}", page.body);
    assert!(page.body.contains("prompt=login"), "a way to sign in as someone else: {}", page.body);
    let csrf = page.cookie();
    assert!(csrf.starts_with("wasm_auth_csrf="), "{csrf}");
    let both = format!("{csrf}; {session}");
    let submit = |signed_in_as: &str, token: &str, cookie: &str, decision: &str| {
        let mut form = flow(&redirect, wider);
        form.extend([("signed_in_as", signed_in_as), ("csrf_token", token), ("decision", decision)]);
        server.post_form("/oauth/authorize", &form, &[("cookie", cookie), ("origin", &server.base)])
    };
    // The form's CSRF rules hold for the consent step too.
    for (cookie, token) in [(&session, token.as_str()), (&both, "")] {
        let r = submit("user_demo", token, cookie, "allow");
        assert_eq!(r.status, 403, "{cookie} {token:?}: {}", r.body);
        assert!(location_param(&r, "code").is_none());
    }
    let mut form = flow(&redirect, wider);
    form.extend([("signed_in_as", "user_demo"), ("csrf_token", &token), ("decision", "allow")]);
    let r = server.post_form("/oauth/authorize", &form, &[("cookie", &both), ("origin", "https://evil.example")]);
    assert_eq!(r.status, 403, "{}", r.body);
    // A page shown for another user (the session changed meanwhile), or no session: the password form.
    let r = submit("user_other", &token, &both, "allow");
    assert_eq!(r.status, 401, "{}", r.body);
    assert!(r.body.contains("name=\"password\"") && location_param(&r, "code").is_none());
    let r = submit("user_demo", &token, &csrf, "allow");
    assert_eq!(r.status, 401, "{}", r.body);
    assert!(r.body.contains("name=\"password\"") && location_param(&r, "code").is_none());
    // Not consented yet: prompt=none says so.
    let silent = [("prompt", "none"), wider[0]];
    assert_error_redirect(&server, &authorize_as(&server, &redirect, &silent, Some(&session)), "consent_required");
    // Deny: nothing recorded.
    let r = submit("user_demo", &token, &both, "deny");
    assert_error_redirect(&server, &r, "access_denied");
    assert_error_redirect(&server, &authorize_as(&server, &redirect, &silent, Some(&session)), "consent_required");
    // Approve without a password: a code, and the consent is remembered for prompt=none.
    let r = submit("user_demo", &token, &both, "allow");
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(location_param(&r, "code").is_some(), "{:?}", r.header("location"));
    assert!(set_cookie(&r, "oauth_session").is_none(), "the session goes on as it was");
    let r = authorize_as(&server, &redirect, &silent, Some(&session));
    assert!(location_param(&r, "code").is_some(), "consented now: {:?}", r.header("location"));
}

#[test]
fn an_expired_session_is_no_session() {
    let dir = TempDir::new("oauthexpiry");
    let server = Server::start(dir.path(), &["--oauth-session-seconds", "1"]);
    let redirect = server.url("/callback");
    let signed_in = sign_in(&server, &redirect, &[]);
    assert!(set_cookie(&signed_in, "oauth_session").is_some_and(|c| c.contains("; Max-Age=1")));
    let cookie = session_cookie(&signed_in);
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let r = authorize_as(&server, &redirect, &[("prompt", "none")], Some(&cookie));
    assert_error_redirect(&server, &r, "login_required");
    assert_eq!(set_cookie(&r, "oauth_session"), Some(CLEARED), "the dead cookie is cleared");
    let r = authorize_as(&server, &redirect, &[], Some(&cookie));
    assert!(r.status == 200 && r.body.contains("name=\"password\""), "the password form: {}", r.body);
}

#[test]
fn zero_oauth_session_seconds_keeps_no_session() {
    let dir = TempDir::new("oauthnosession");
    let server = Server::start(dir.path(), &["--oauth-session-seconds", "0"]);
    let redirect = server.url("/callback");
    let signed_in = sign_in(&server, &redirect, &[]);
    assert!(set_cookie(&signed_in, "oauth_session").is_none(), "{:?}", signed_in.headers);
    let r = authorize_as(&server, &redirect, &[("prompt", "none")], None);
    assert_error_redirect(&server, &r, "login_required");
}

#[test]
fn logout_ends_the_session_and_redirects_only_to_a_registered_uri() {
    let dir = TempDir::new("oauthlogout");
    let server = Server::start(dir.path(), &[]);
    let redirect = server.url("/callback");
    let silent = |cookie: &str| authorize_as(&server, &redirect, &[("prompt", "none")], Some(cookie));

    // Without a redirect: the "signed out" page, the cookie cleared, the session over.
    let cookie = session_cookie(&sign_in(&server, &redirect, &[]));
    assert!(location_param(&silent(&cookie), "code").is_some());
    let r = server.get("/oauth/logout", &[("cookie", &cookie)]);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("Signed out"), "{}", r.body);
    assert_eq!(set_cookie(&r, "oauth_session"), Some(CLEARED));
    assert_error_redirect(&server, &silent(&cookie), "login_required");

    // POST, with a registered post_logout_redirect_uri: back to it with state.
    let cookie = session_cookie(&sign_in(&server, &redirect, &[]));
    let r = server.post_form(
        "/oauth/logout",
        &[("client_id", SPA), ("post_logout_redirect_uri", &redirect), ("state", "bye")],
        &[("cookie", &cookie)],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.header("location"), Some(format!("{redirect}?state=bye").as_str()));
    assert_eq!(set_cookie(&r, "oauth_session"), Some(CLEARED));
    assert_error_redirect(&server, &silent(&cookie), "login_required");

    // An unregistered post_logout_redirect_uri, or one without client_id: a 400 page, never a
    // redirect (the user is signed out all the same).
    for query in [
        format!("client_id={SPA}&post_logout_redirect_uri=https%3A%2F%2Fevil.example%2F"),
        format!("client_id={SPA}&post_logout_redirect_uri={}", url_encode(&format!("{redirect}/x"))),
        format!("post_logout_redirect_uri={}", url_encode(&redirect)),
        format!("client_id=nobody&post_logout_redirect_uri={}", url_encode(&redirect)),
    ] {
        let cookie = session_cookie(&sign_in(&server, &redirect, &[]));
        let r = server.get(&format!("/oauth/logout?{query}"), &[("cookie", &cookie)]);
        assert_eq!((r.status, r.header("location")), (400, None), "{query}: {}", r.body);
        assert_eq!(set_cookie(&r, "oauth_session"), Some(CLEARED), "{query}");
        assert_error_redirect(&server, &silent(&cookie), "login_required");
    }
    // The discovery document names the endpoint.
    let metadata = server.get("/.well-known/openid-configuration", &[]).json();
    assert_eq!(metadata["end_session_endpoint"], server.url("/oauth/logout").as_str());
}

fn url_encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

#[test]
fn the_session_cookie_is_secure_behind_https() {
    let dir = TempDir::new("oauthsessionhttps");
    let server = Server::start(dir.path(), &["--issuer", "https://auth.example.test"]);
    let redirect = "https://auth.example.test/callback";
    let signed_in = sign_in(&server, redirect, &[]);
    let header = set_cookie(&signed_in, "__Secure-oauth_session").expect("__Secure-oauth_session");
    let value = header.trim_start_matches("__Secure-oauth_session=").split(';').next().unwrap_or("");
    assert_eq!(
        header,
        format!("__Secure-oauth_session={value}; Path=/oauth; HttpOnly; SameSite=Lax; Max-Age=28800; Secure")
    );
    let cookie = format!("__Secure-oauth_session={value}");
    let r = authorize_as(&server, redirect, &[("prompt", "none")], Some(&cookie));
    assert!(location_param(&r, "code").is_some(), "{:?}", r.header("location"));
    // The http name means nothing there.
    let r = authorize_as(&server, redirect, &[("prompt", "none")], Some(&format!("oauth_session={value}")));
    assert_eq!(location_param(&r, "error").as_deref(), Some("login_required"));
}
