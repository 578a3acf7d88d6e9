//! prompt=none and response_mode at the authorization endpoint; the scope of client
//! credentials tokens.

mod common;

use common::*;

const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn authorize(server: &Server, extra: &[(&str, &str)]) -> Resp {
    let redirect = server.url("/callback");
    let mut params = vec![
        ("response_type", "code"),
        ("client_id", SPA),
        ("redirect_uri", redirect.as_str()),
        ("scope", "openid read:resources"),
        ("state", "st4te"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    params.extend(extra.iter().copied());
    let query = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(&params).finish();
    server.get(&format!("/oauth/authorize?{query}"), &[])
}

fn error_of(r: &Resp) -> (u16, Option<String>, Option<String>) {
    let location = url::Url::parse(r.header("location").unwrap_or("http://no-location/")).expect("URL");
    let get = |name: &str| location.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned());
    (r.status, get("error"), get("state"))
}

#[test]
fn prompt_none_answers_login_required_and_an_unsupported_response_mode_is_refused() {
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
