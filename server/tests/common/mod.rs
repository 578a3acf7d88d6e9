//! The harness of the server's integration tests: the real binary on an ephemeral port with its
//! own data directory, and a small HTTP client that never follows redirects.
#![allow(dead_code)] // each test binary uses a different part of it

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::Value;

pub mod dpop;

pub const EMAIL: &str = "user@example.com";
pub const PASSWORD: &str = "securepassword";
pub const SPA: &str = "demo-spa";
/// RFC 7636 appendix B's PKCE pair.
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
pub const SERVICE: &str = "demo-service";
pub const SERVICE_SECRET: &str = "demo-service-secret";

/// A directory under the system temp dir, removed on drop; private (0700), as the server
/// requires of its data directory.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("wasm-auth-it-{label}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("temp dir");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700)).expect("chmod temp dir");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The server binary running on 127.0.0.1:<ephemeral>; killed on drop.
pub struct Server {
    child: Child,
    pub base: String,
    log: Arc<Mutex<String>>,
}

/// The server binary with the harness's arguments (ephemeral port, `data_dir`, the demo page),
/// then `args`; not started.
pub fn command(data_dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_wasm-auth-server"));
    command.args(["--port", "0", "--data-dir"]).arg(data_dir);
    if !args.contains(&"--www-dir") {
        command.args(["--www-dir", concat!(env!("CARGO_MANIFEST_DIR"), "/../www")]);
    }
    command.args(args);
    command
}

/// `command`, run through `sh` after `umask <umask>`.
pub fn command_with_umask(umask: &str, data_dir: &Path, args: &[&str]) -> Command {
    let plain = command(data_dir, args);
    let mut wrapped = Command::new("sh");
    wrapped.arg("-c").arg(format!("umask {umask} && exec \"$0\" \"$@\"")).arg(plain.get_program());
    wrapped.args(plain.get_args());
    wrapped
}

/// Runs `command` until it exits (killed after 20 s): whether it succeeded, and its stderr.
pub fn run_to_exit(mut command: Command) -> (bool, String) {
    let mut child = command.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().expect("start the server binary");
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break Some(status);
        }
        if started.elapsed() > std::time::Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        let _ = pipe.read_to_string(&mut stderr);
    }
    (status.is_some_and(|s| s.success()), if status.is_none() { format!("still running: {stderr}") } else { stderr })
}

impl Server {
    pub fn start(data_dir: &Path, args: &[&str]) -> Server {
        Server::spawn(command(data_dir, args))
    }

    pub fn spawn(mut command: Command) -> Server {
        let mut child =
            command.stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().expect("start the server binary");
        let stdout = child.stdout.take().expect("stdout");
        let mut reader = BufReader::new(stdout);
        let mut first = String::new();
        reader.read_line(&mut first).expect("server output");
        let base = first
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no URL in {first:?}"))
            .to_owned();
        let log = Arc::new(Mutex::new(first));
        Server::drain(reader, Arc::clone(&log));
        Server { child, base, log }
    }

    fn drain(mut reader: BufReader<ChildStdout>, log: Arc<Mutex<String>>) {
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                if let Ok(mut log) = log.lock() {
                    log.push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            }
        });
    }

    /// Everything the server printed so far.
    pub fn log(&self) -> String {
        // Give the drain thread a moment to catch up with the last request lines.
        std::thread::sleep(std::time::Duration::from_millis(100));
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn get(&self, path: &str, headers: &[(&str, &str)]) -> Resp {
        send(agent().get(self.url(path)), headers, None)
    }

    pub fn delete(&self, path: &str, headers: &[(&str, &str)]) -> Resp {
        send(agent().delete(self.url(path)), headers, None)
    }

    pub fn post_json(&self, path: &str, body: &Value, headers: &[(&str, &str)]) -> Resp {
        self.post_raw(path, "application/json", &body.to_string(), headers)
    }

    pub fn post_form(&self, path: &str, params: &[(&str, &str)], headers: &[(&str, &str)]) -> Resp {
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(params).finish();
        self.post_raw(path, "application/x-www-form-urlencoded", &body, headers)
    }

    pub fn post_raw(&self, path: &str, content_type: &str, body: &str, headers: &[(&str, &str)]) -> Resp {
        send(agent().post(self.url(path)).header("content-type", content_type), headers, Some(body))
    }

    /// A request sent byte for byte as given (for request targets an HTTP library would
    /// normalise, such as `//sub`); the connection is closed after the answer.
    pub fn raw(&self, method: &str, target: &str) -> Resp {
        let host = self.base.trim_start_matches("http://");
        let mut stream = std::net::TcpStream::connect(host).expect("connect");
        write!(stream, "{method} {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").expect("send");
        let mut raw = Vec::new();
        let _ = stream.read_to_end(&mut raw);
        let raw = String::from_utf8_lossy(&raw).into_owned();
        let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((raw.as_str(), ""));
        let mut lines = head.split("\r\n");
        let status = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|s| s.parse().ok()).unwrap_or(0);
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        Resp { status, headers, body: body.to_owned() }
    }

    /// GETs the authorize page for `params`; returns the form token's cookie (`name=value`,
    /// empty if none was set) and the form's hidden `csrf_token` (empty if none).
    pub fn authorize_form(&self, params: &[(&str, &str)]) -> (String, String) {
        let query = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(params).finish();
        let page = self.get(&format!("/oauth/authorize?{query}"), &[]);
        assert_eq!(page.status, 200, "{}", page.body);
        let token = page
            .body
            .split("name=\"csrf_token\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or("")
            .to_owned();
        (page.cookie(), token)
    }

    /// Posts the login + consent form as the browser that loaded it would: the form token
    /// from the page, its cookie, and the server's own Origin.
    pub fn submit_authorize(&self, params: &[(&str, &str)], decision: &str) -> Resp {
        let (cookie, token) = self.authorize_form(params);
        let mut form = params.to_vec();
        form.extend([("email", EMAIL), ("password", PASSWORD), ("decision", decision), ("csrf_token", &token)]);
        self.post_form("/oauth/authorize", &form, &[("cookie", &cookie), ("origin", &self.base)])
    }

    /// The SPA's authorization-code exchange at /oauth/token (a public client: no secret).
    pub fn exchange_code(&self, code: &str, redirect_uri: &str, verifier: &str) -> Resp {
        self.post_form(
            "/oauth/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", redirect_uri),
                ("client_id", SPA),
                ("code_verifier", verifier),
            ],
            &[],
        )
    }

    /// Logs the demo user in through /v1/auth/login and returns the token answer.
    pub fn login(&self) -> Value {
        let r = self.post_json("/v1/auth/login", &serde_json::json!({ "email": EMAIL, "password": PASSWORD }), &[]);
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()
    }

    pub fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .max_redirects_will_error(false)
        .build()
        .into()
}

fn send<B>(mut request: ureq::RequestBuilder<B>, headers: &[(&str, &str)], body: Option<&str>) -> Resp
where
    ureq::RequestBuilder<B>: Sendable,
{
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    request.send_body(body)
}

/// Sends a request with or without a body (ureq types GET/DELETE and POST differently).
pub trait Sendable {
    fn send_body(self, body: Option<&str>) -> Resp;
}

impl Sendable for ureq::RequestBuilder<ureq::typestate::WithoutBody> {
    fn send_body(self, _: Option<&str>) -> Resp {
        Resp::from(self.call())
    }
}

impl Sendable for ureq::RequestBuilder<ureq::typestate::WithBody> {
    fn send_body(self, body: Option<&str>) -> Resp {
        Resp::from(self.send(body.unwrap_or("")))
    }
}

/// A response, read whole.
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Resp {
    fn from(result: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Resp {
        let mut response = result.expect("HTTP exchange");
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
            .collect();
        let body = response.body_mut().read_to_string().unwrap_or_default();
        Resp { status: response.status().as_u16(), headers, body }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Every value of header `name`, in order (e.g. several Set-Cookie headers).
    pub fn header_all(&self, name: &str) -> Vec<&str> {
        self.headers.iter().filter(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str()).collect()
    }

    /// `name=value` of the Set-Cookie header, as a Cookie header sends it back.
    pub fn cookie(&self) -> String {
        self.header("set-cookie").and_then(|c| c.split(';').next()).unwrap_or("").to_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// Asserts a JSON error answer with this status and `error` code; returns the body.
    pub fn expect_error(&self, status: u16, error: &str) -> Value {
        assert_eq!(self.status, status, "expected {status} {error}, got: {}", self.body);
        assert!(self.header("content-type").is_some_and(|t| t.contains("application/json")), "JSON error body");
        let body = self.json();
        assert_eq!(body["error"], error, "{}", self.body);
        assert!(body["error_description"].as_str().is_some_and(|d| !d.is_empty()), "has a description");
        body
    }
}

/// The Authorization value for a Bearer token.
pub fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

pub fn basic(id: &str, secret: &str) -> String {
    use base64::Engine as _;
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}")))
}

/// The payload of a JWT, decoded without verification (tests verify signatures separately).
pub fn jwt_payload(token: &str) -> Value {
    use base64::Engine as _;
    let part = token.split('.').nth(1).expect("a JWT");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part).expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON payload")
}
