//! The refresh token in an HttpOnly cookie (`Refresh-Token-Transport: cookie`) over real HTTP:
//! login, refresh and logout in cookie mode, the header as the cookie's CSRF guard, the Origin
//! check, and /v1/auth/logout in the guide's JSON mode.

mod common;

use std::io::{Read, Write};

use common::*;
use serde_json::{Value, json};

const TRANSPORT: (&str, &str) = ("refresh-token-transport", "cookie");
const REFRESH_TTL: &str = "1209600";

/// One Set-Cookie header: name, value and the attributes as sent.
#[derive(Debug)]
struct SetCookie {
    name: String,
    value: String,
    attributes: Vec<String>,
}

impl SetCookie {
    fn parse(header: &str) -> SetCookie {
        let mut parts = header.split(';').map(str::trim);
        let (name, value) = parts.next().and_then(|p| p.split_once('=')).expect("name=value");
        let mut attributes: Vec<String> = parts.map(str::to_owned).collect();
        attributes.sort();
        SetCookie { name: name.to_owned(), value: value.to_owned(), attributes }
    }

    fn path(&self) -> &str {
        self.attributes.iter().find_map(|a| a.strip_prefix("Path=")).unwrap_or("")
    }
}

/// Every Set-Cookie of `r`, parsed.
fn set_cookies(r: &Resp) -> Vec<SetCookie> {
    r.header_all("set-cookie").into_iter().map(SetCookie::parse).collect()
}

/// Asserts that `r` sets exactly the two refresh-token cookies, with `max_age` and the exact
/// attributes (plus Secure when `secure`); returns their (common) value.
fn assert_refresh_cookies(r: &Resp, max_age: &str, secure: bool) -> String {
    let cookies = set_cookies(r);
    assert_eq!(cookies.len(), 2, "two cookies, one per endpoint: {cookies:?}");
    let mut paths: Vec<&str> = cookies.iter().map(SetCookie::path).collect();
    paths.sort();
    assert_eq!(paths, ["/v1/auth/logout", "/v1/auth/refresh"]);
    for cookie in &cookies {
        assert_eq!(cookie.name, "refresh_token");
        assert_eq!(cookie.value, cookies[0].value, "both cookies carry the same token");
        let mut expected = vec!["HttpOnly".to_owned(), "SameSite=Strict".to_owned(), format!("Max-Age={max_age}")];
        expected.push(format!("Path={}", cookie.path()));
        if secure {
            expected.push("Secure".to_owned());
        }
        expected.sort();
        assert_eq!(cookie.attributes, expected, "{cookie:?}");
    }
    cookies[0].value.clone()
}

/// Asserts a token answer without the refresh token (cookie mode).
fn assert_body_without_refresh_token(r: &Resp) -> Value {
    assert_eq!(r.status, 200, "{}", r.body);
    let body = r.json();
    assert!(body["access_token"].as_str().is_some_and(|t| !t.is_empty()), "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["expires_in"].is_u64());
    assert!(body["scope"].is_string());
    assert!(body.get("refresh_token").is_none(), "the refresh token never reaches JavaScript: {body}");
    assert!(!r.body.contains("rt_"), "no refresh token anywhere in the body");
    body
}

fn cookie_login(server: &Server, extra: &[(&str, &str)]) -> Resp {
    let mut headers = vec![TRANSPORT];
    headers.extend_from_slice(extra);
    server.post_json("/v1/auth/login", &json!({ "email": EMAIL, "password": PASSWORD }), &headers)
}

/// Logs in in cookie mode; returns the refresh token's cookie value.
fn login_cookie(server: &Server) -> String {
    let r = cookie_login(server, &[]);
    assert_body_without_refresh_token(&r);
    assert_refresh_cookies(&r, REFRESH_TTL, false)
}

/// POST `path` in cookie mode with the refresh token `value` and `extra` headers, no body.
fn with_cookie(server: &Server, path: &str, value: &str, extra: &[(&str, &str)]) -> Resp {
    let cookie = format!("refresh_token={value}");
    let mut headers = vec![TRANSPORT, ("cookie", cookie.as_str())];
    headers.extend_from_slice(extra);
    server.post_raw(path, "application/json", "", &headers)
}

fn refresh(server: &Server, value: &str) -> Resp {
    with_cookie(server, "/v1/auth/refresh", value, &[])
}

/// A refusal of the token in cookie mode: 401 invalid_grant, and both cookies deleted.
fn assert_refused(r: &Resp) {
    r.expect_error(401, "invalid_grant");
    assert_eq!(assert_refresh_cookies(r, "0", false), "", "the dead token's cookies are deleted");
}

#[test]
fn a_cookie_login_sets_two_httponly_strict_cookies_and_answers_no_refresh_token() {
    let dir = TempDir::new("cookielogin");
    let server = Server::start(dir.path(), &[]);
    let r = cookie_login(&server, &[]);
    let body = assert_body_without_refresh_token(&r);
    let value = assert_refresh_cookies(&r, REFRESH_TTL, false);
    assert!(value.starts_with("rt_") && value.len() > 40, "{value}");
    let access = body["access_token"].as_str().unwrap_or("");
    assert_eq!(server.get("/v1/resources", &[("authorization", &bearer(access))]).status, 200);
    // The guide's JSON mode is unchanged: the token in the body, no cookie.
    let plain = server.post_json("/v1/auth/login", &json!({ "email": EMAIL, "password": PASSWORD }), &[]);
    assert!(plain.json()["refresh_token"].as_str().is_some_and(|t| t.starts_with("rt_")));
    assert_eq!(plain.header("set-cookie"), None);
    // Header names are case-insensitive (HTTP clients send them as written).
    let body = json!({ "email": EMAIL, "password": PASSWORD }).to_string();
    let raw = raw_post(&server, "/v1/auth/login", "Refresh-Token-Transport: cookie\r\n", &body);
    assert!(raw.starts_with("HTTP/1.1 200"), "{raw}");
    assert_eq!(raw.matches("set-cookie: refresh_token=rt_").count(), 2, "{raw}");
    assert!(!raw.contains("\"refresh_token\""), "{raw}");
    // The header has one value.
    server
        .post_json(
            "/v1/auth/login",
            &json!({ "email": EMAIL, "password": PASSWORD }),
            &[("refresh-token-transport", "body")],
        )
        .expect_error(400, "invalid_request");
}

#[test]
fn the_cookies_are_secure_over_https() {
    let dir = TempDir::new("cookiehttps");
    let server = Server::start(dir.path(), &["--issuer", "https://auth.example.test"]);
    let r = cookie_login(&server, &[]);
    let value = assert_refresh_cookies(&r, REFRESH_TTL, true);
    let refreshed = refresh(&server, &value);
    assert_body_without_refresh_token(&refreshed);
    assert_refresh_cookies(&refreshed, REFRESH_TTL, true);
    // Behind a proxy that terminates TLS, as the session cookie.
    let proxied = TempDir::new("cookieproxy");
    let http = Server::start(proxied.path(), &[]);
    assert_refresh_cookies(&cookie_login(&http, &[("x-forwarded-proto", "https")]), REFRESH_TTL, true);
}

#[test]
fn a_cookie_refresh_rotates_and_answers_no_refresh_token() {
    let dir = TempDir::new("cookierefresh");
    let server = Server::start(dir.path(), &[]);
    let first = login_cookie(&server);
    let r = refresh(&server, &first);
    let body = assert_body_without_refresh_token(&r);
    let second = assert_refresh_cookies(&r, REFRESH_TTL, false);
    assert_ne!(second, first, "rotated");
    let access = body["access_token"].as_str().unwrap_or("");
    assert_eq!(server.get("/v1/resources", &[("authorization", &bearer(access))]).status, 200);
    // A body of {} is fine too.
    let cookie = format!("refresh_token={second}");
    let r = server.post_json("/v1/auth/refresh", &json!({}), &[TRANSPORT, ("cookie", &cookie)]);
    assert_body_without_refresh_token(&r);
    let third = assert_refresh_cookies(&r, REFRESH_TTL, false);
    // `first`'s successor (`second`) has been used, so presenting `first` is a reuse, which
    // revokes the family (and deletes the cookies): the newer tokens die with it.
    assert_refused(&refresh(&server, &first));
    assert_refused(&refresh(&server, &third));
    assert_refused(&refresh(&server, &second));
    // No cookie, or an unknown one: the same refusal.
    assert_refused(&server.post_raw("/v1/auth/refresh", "application/json", "", &[TRANSPORT]));
    assert_refused(&refresh(&server, "rt_made_up"));
}

#[test]
fn within_the_grace_the_rotated_cookie_is_accepted_once_more_while_its_successor_is_unused() {
    let dir = TempDir::new("cookiegrace");
    let server = Server::start(dir.path(), &[]);
    let first = login_cookie(&server);
    // The answer with `lost` never reached the browser: its cookie jar still holds `first`.
    let lost = assert_refresh_cookies(&refresh(&server, &first), REFRESH_TTL, false);
    let r = refresh(&server, &first);
    assert_body_without_refresh_token(&r);
    let retried = assert_refresh_cookies(&r, REFRESH_TTL, false);
    assert_ne!(retried, lost);
    // `retried` is the family's one refreshable token; once it is used, `first` is a reuse.
    let next = assert_refresh_cookies(&refresh(&server, &retried), REFRESH_TTL, false);
    assert_refused(&refresh(&server, &first));
    assert_refused(&refresh(&server, &next));

    // The lost answer's token was replaced: whoever presents it saw an answer the browser did
    // not, which is a reuse.
    let first = login_cookie(&server);
    let lost = assert_refresh_cookies(&refresh(&server, &first), REFRESH_TTL, false);
    let retried = assert_refresh_cookies(&refresh(&server, &first), REFRESH_TTL, false);
    assert_refused(&refresh(&server, &lost));
    assert_refused(&refresh(&server, &retried));
}

#[test]
fn without_the_header_the_cookie_is_ignored() {
    let dir = TempDir::new("cookieheader");
    let server = Server::start(dir.path(), &[]);
    let value = login_cookie(&server);
    let cookie = format!("refresh_token={value}");
    // Today's JSON-mode answers: the body must name the token.
    server.post_json("/v1/auth/refresh", &json!({}), &[("cookie", &cookie)]).expect_error(400, "invalid_request");
    server
        .post_raw("/v1/auth/refresh", "application/json", "", &[("cookie", &cookie)])
        .expect_error(400, "invalid_request");
    // A cross-site form can send the cookie (were it not SameSite=Strict) but not the header.
    server
        .post_form("/v1/auth/refresh", &[("refresh_token", "x")], &[("cookie", &cookie)])
        .expect_error(400, "invalid_request");
    server.post_json("/v1/auth/logout", &json!({}), &[("cookie", &cookie)]).expect_error(400, "invalid_request");
    // None of it used the token or ended the session.
    let r = refresh(&server, &value);
    assert_body_without_refresh_token(&r);
    assert_refresh_cookies(&r, REFRESH_TTL, false);
}

#[test]
fn a_cross_site_origin_is_refused_as_the_session_endpoints_refuse_it() {
    let dir = TempDir::new("cookieorigin");
    let server = Server::start(dir.path(), &["--cors-origin", "http://127.0.0.1:5173"]);
    let value = login_cookie(&server);
    let own_page = server.url("/index.html");
    for headers in [
        vec![("origin", "https://evil.example")],
        vec![("origin", "null")],
        vec![("referer", "https://evil.example/attack.html")],
        vec![("origin", "https://evil.example"), ("referer", own_page.as_str())],
        vec![("sec-fetch-site", "cross-site")],
    ] {
        for path in ["/v1/auth/refresh", "/v1/auth/logout"] {
            let r = with_cookie(&server, path, &value, &headers);
            r.expect_error(403, "invalid_request");
            assert!(set_cookies(&r).is_empty(), "a refused request changes no cookie");
        }
        cookie_login(&server, &headers).expect_error(403, "invalid_request");
    }
    // The allowed origins pass; the refused requests neither used nor revoked the token.
    let r = with_cookie(&server, "/v1/auth/refresh", &value, &[("origin", "http://127.0.0.1:5173")]);
    let value = assert_refresh_cookies(&r, REFRESH_TTL, false);
    let r = with_cookie(&server, "/v1/auth/refresh", &value, &[("origin", &server.base)]);
    let value = assert_refresh_cookies(&r, REFRESH_TTL, false);
    let r = with_cookie(&server, "/v1/auth/refresh", &value, &[("referer", &own_page)]);
    assert_refresh_cookies(&r, REFRESH_TTL, false);
}

/// A POST of JSON `body` with the raw header lines `headers` (each ending in CRLF), sent byte
/// for byte as written; the answer as text.
fn raw_post(server: &Server, path: &str, headers: &str, body: &str) -> String {
    let host = server.base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(host).expect("connect");
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{headers}\
         Connection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("send");
    let mut raw = String::new();
    let _ = stream.read_to_string(&mut raw);
    raw
}

/// An OPTIONS preflight from `origin` asking for the transport header; the raw answer head.
fn preflight(server: &Server, origin: &str) -> String {
    let host = server.base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(host).expect("connect");
    write!(
        stream,
        "OPTIONS /v1/auth/refresh HTTP/1.1\r\nHost: {host}\r\nOrigin: {origin}\r\n\
         Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type, refresh-token-transport\r\n\
         Connection: close\r\n\r\n"
    )
    .expect("send");
    let mut raw = String::new();
    let _ = stream.read_to_string(&mut raw);
    raw.to_ascii_lowercase()
}

#[test]
fn the_header_passes_the_cors_preflight_of_allowed_origins_only() {
    let dir = TempDir::new("cookiecors");
    let server = Server::start(dir.path(), &["--cors-origin", "http://127.0.0.1:5173"]);
    let allowed = preflight(&server, "http://127.0.0.1:5173");
    assert!(allowed.contains("access-control-allow-origin: http://127.0.0.1:5173"), "{allowed}");
    assert!(allowed.contains("access-control-allow-credentials: true"), "{allowed}");
    let allowed_headers = allowed.lines().find(|l| l.starts_with("access-control-allow-headers:")).unwrap_or("");
    assert!(allowed_headers.contains("refresh-token-transport"), "{allowed}");
    let foreign = preflight(&server, "https://evil.example");
    assert!(!foreign.contains("access-control-allow-origin"), "{foreign}");
}

#[test]
fn a_cookie_logout_revokes_the_family_and_deletes_both_cookies() {
    let dir = TempDir::new("cookielogout");
    let server = Server::start(dir.path(), &[]);
    let first = login_cookie(&server);
    let r = refresh(&server, &first);
    let access = r.json()["access_token"].as_str().unwrap_or("").to_owned();
    let current = assert_refresh_cookies(&r, REFRESH_TTL, false);
    let auth = bearer(&access);
    let out = with_cookie(&server, "/v1/auth/logout", &current, &[("authorization", &auth)]);
    assert_eq!(out.status, 204, "{}", out.body);
    assert_eq!(out.body, "");
    assert_eq!(assert_refresh_cookies(&out, "0", false), "", "both cookies deleted");
    // The family is dead: the current token, the rotated one (within the grace, which a
    // revoked family does not get), and the access token sent along.
    assert_refused(&refresh(&server, &current));
    assert_refused(&refresh(&server, &first));
    server.get("/v1/resources", &[("authorization", &auth)]).expect_error(401, "invalid_token");
    // Idempotent: no cookie, an unknown one, the same one again: 204, cookies deleted.
    for r in [
        server.post_raw("/v1/auth/logout", "application/json", "", &[TRANSPORT]),
        with_cookie(&server, "/v1/auth/logout", "rt_made_up", &[]),
        with_cookie(&server, "/v1/auth/logout", &current, &[]),
    ] {
        assert_eq!(r.status, 204, "{}", r.body);
        assert_refresh_cookies(&r, "0", false);
    }
    // Another login is a new family that works.
    let again = login_cookie(&server);
    assert_body_without_refresh_token(&refresh(&server, &again));
}

#[test]
fn a_json_logout_revokes_the_family() {
    let dir = TempDir::new("jsonlogout");
    let server = Server::start(dir.path(), &[]);
    let tokens = server.login();
    let refreshed =
        server.post_json("/v1/auth/refresh", &json!({ "refresh_token": tokens["refresh_token"] }), &[]).json();
    let out = server.post_json("/v1/auth/logout", &json!({ "refresh_token": refreshed["refresh_token"] }), &[]);
    assert_eq!(out.status, 204, "{}", out.body);
    assert_eq!(out.header("set-cookie"), None, "JSON mode sets no cookie");
    for token in [&refreshed["refresh_token"], &tokens["refresh_token"]] {
        server
            .post_json("/v1/auth/refresh", &json!({ "refresh_token": token }), &[])
            .expect_error(401, "invalid_grant");
    }
    // The access token is left alone unless it is sent along.
    let access = refreshed["access_token"].as_str().unwrap_or("");
    assert_eq!(server.get("/v1/resources", &[("authorization", &bearer(access))]).status, 200);
    let other = server.login();
    let auth = bearer(other["access_token"].as_str().unwrap_or(""));
    let out = server.post_json(
        "/v1/auth/logout",
        &json!({ "refresh_token": other["refresh_token"] }),
        &[("authorization", &auth)],
    );
    assert_eq!(out.status, 204);
    server.get("/v1/resources", &[("authorization", &auth)]).expect_error(401, "invalid_token");
    // Unknown or already revoked: 204 all the same. Malformed: the usual 400.
    for token in ["rt_made_up", refreshed["refresh_token"].as_str().unwrap_or("")] {
        assert_eq!(server.post_json("/v1/auth/logout", &json!({ "refresh_token": token }), &[]).status, 204);
    }
    server.post_json("/v1/auth/logout", &json!({}), &[]).expect_error(400, "invalid_request");
    server.post_json("/v1/auth/logout", &json!({ "refresh_token": 7 }), &[]).expect_error(400, "invalid_request");
    server.post_raw("/v1/auth/logout", "application/json", "{", &[]).expect_error(400, "invalid_request");
    server.post_raw("/v1/auth/logout", "text/plain", "rt", &[]).expect_error(400, "invalid_request");
}
