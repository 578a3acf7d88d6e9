//! The server-rendered login and consent page of /oauth/authorize, and its error page. Plain
//! HTML forms: they work without JavaScript. Every interpolated value is escaped.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem;line-height:1.5}\
label{display:block;margin:.75rem 0 .25rem}input{font:inherit;width:100%;padding:.5rem;box-sizing:border-box}\
.actions{display:flex;gap:.5rem;margin-top:1rem}button{font:inherit;padding:.5rem 1rem;border-radius:6px;border:1px solid #3553c4;cursor:pointer}\
button[value=allow]{background:#3553c4;color:#fff}button[value=deny]{background:#fff;color:#3553c4}\
.error{color:#a4161a;font-weight:600}code{word-break:break-all}";

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{title}</title><style>{STYLE}</style></head><body>{body}</body></html>",
        title = escape(title)
    );
    let mut response = (status, Html(html)).into_response();
    let headers = response.headers_mut();
    // No framing (clickjacking of the consent button), no caching, no referrer leak of the
    // query to other origins. `same-origin`, not `no-referrer`: under no-referrer browsers send
    // `Origin: null` with the form's POST, which the CSRF check must refuse.
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' http: https:; frame-ancestors 'none'",
        ),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    response
}

/// An error that must not redirect (unknown client or redirect URI).
pub fn error_page(status: StatusCode, error: &str, description: &str) -> Response {
    page(
        status,
        "Authorization error",
        &format!(
            "<h1>Authorization error</h1><p class=\"error\" role=\"alert\"><code>{}</code>: {}</p>\
<p>The application that sent you here is misconfigured; you were not redirected back to it.</p>",
            escape(error),
            escape(description)
        ),
    )
}

/// What a scope lets the application do, in the user's words.
fn scope_meaning(scope: &str) -> Option<&'static str> {
    Some(match scope {
        "openid" => "know who you are (your user id and email)",
        "read:resources" => "read your resources",
        "write:resources" => "create resources in your name",
        "api_keys:read" => "list your API keys (their names, scopes and dates, never the keys)",
        "api_keys:write" => {
            "create and delete API keys that act as you (keys it creates stop working when its access ends, and you can delete them under your API keys)"
        }
        _ => return None,
    })
}

/// The user the authorization endpoint's sign-in session belongs to, and where to go to sign in
/// as someone else (the same request with `prompt=login`).
pub struct SignedIn<'a> {
    pub user_id: &'a str,
    pub email: &'a str,
    pub switch_url: &'a str,
}

/// The login + consent form, or with a sign-in session the consent form alone ("Continue as");
/// `params` go back as hidden fields, with the form token `csrf_token` (the caller sets its
/// cookie).
pub fn login_page(
    status: StatusCode,
    client_name: &str,
    scopes: &[String],
    params: &[(&str, &str)],
    csrf_token: &str,
    message: Option<&str>,
    signed_in: Option<&SignedIn<'_>>,
) -> Response {
    let hidden: String = params
        .iter()
        .chain(std::iter::once(&("csrf_token", csrf_token)))
        .map(|(k, v)| format!("<input type=\"hidden\" name=\"{}\" value=\"{}\">", escape(k), escape(v)))
        .collect();
    let scope_list: String = scopes
        .iter()
        .map(|s| match scope_meaning(s) {
            Some(meaning) => format!("<li><code>{}</code>: {}</li>", escape(s), escape(meaning)),
            None => format!("<li><code>{}</code></li>", escape(s)),
        })
        .collect();
    let message = message.map(|m| format!("<p class=\"error\" role=\"alert\">{}</p>", escape(m))).unwrap_or_default();
    let (title, heading, fields) = match signed_in {
        Some(user) => (
            "Continue",
            format!("Continue as {}", escape(user.email)),
            format!(
                "<input type=\"hidden\" name=\"signed_in_as\" value=\"{}\">\
<p>Not you? <a href=\"{}\">Sign in as someone else</a>.</p>",
                escape(user.user_id),
                escape(user.switch_url)
            ),
        ),
        None => (
            "Sign in",
            "Sign in to continue".to_owned(),
            "<label for=\"email\">Email</label><input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"username\" required>\
<label for=\"password\">Password</label><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\">"
                .to_owned(),
        ),
    };
    page(
        status,
        title,
        &format!(
            "<h1>{heading}</h1><p><strong>{client}</strong> asks for access to your account with these scopes:</p>\
<ul>{scope_list}</ul>{message}\
<form method=\"post\" action=\"/oauth/authorize\">{hidden}{fields}\
<div class=\"actions\"><button type=\"submit\" name=\"decision\" value=\"allow\">Allow</button>\
<button type=\"submit\" name=\"decision\" value=\"deny\" formnovalidate>Deny</button></div></form>",
            client = escape(client_name)
        ),
    )
}

/// The end of /oauth/logout without a redirect.
pub fn signed_out_page() -> Response {
    page(
        StatusCode::OK,
        "Signed out",
        "<h1>Signed out</h1><p>You are signed out of this server. The next application that sends you here will ask for your password.</p>",
    )
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_html_metacharacters() {
        assert_eq!(escape("<a href=\"x\">'&'</a>"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    }
}
