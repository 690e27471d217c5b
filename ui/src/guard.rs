//! The middleware in front of the handlers.
//!
//! [`require_session`] stands before every route but the login page and the static files: no
//! session means 401 (API) or a redirect to the login page (pages). The API also takes a user's
//! token (`Authorization: Bearer cgk_...`, made by `canhgac user token`) for integrations. A state change (any method
//! but GET and HEAD) must also carry the session's CSRF token, in the `X-CSRF-Token` header or,
//! for a form post, the `csrf` field, and must not come from another origin; the cookie's
//! `SameSite=Strict` is the first line, the token the second.
//!
//! [`security_headers`] adds the headers every response carries: a Content-Security-Policy that
//! allows scripts, styles and images only from the UI itself (no inline code at all, so text an
//! attacker got into a log can never run even if it escaped escaping), no framing, no sniffing,
//! no referrer outside the site, no caching of pages. (`no-referrer` would make browsers send
//! `Origin: null` on the UI's own form posts, which the origin check rightly refuses.)

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use crate::App;
use crate::auth::SESSION_COOKIE;
use crate::error::Error;

/// Largest request body accepted.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The CSP of every page.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
                       connect-src 'self'; form-action 'self'; frame-src 'self'; \
                       frame-ancestors 'none'; base-uri 'none'";

/// Session, then CSRF for state changes.
pub async fn require_session(
    State(app): State<Arc<App>>,
    request: Request,
    next: Next,
) -> Response {
    let is_api = request.uri().path().starts_with("/api/");
    if is_api && let Some(token) = bearer(request.headers()) {
        let app_for_lookup = Arc::clone(&app);
        let user = tokio::task::spawn_blocking(move || app_for_lookup.users.by_token(&token))
            .await
            .map_err(|e| Error::Internal(e.to_string()))
            .and_then(|found| found);
        return match user {
            Ok(Some(user)) => {
                let mut request = request;
                request
                    .extensions_mut()
                    .insert(crate::auth::Session::bearer(&user));
                next.run(request).await
            }
            Ok(None) => crate::api::error_response(&Error::Unauthenticated),
            Err(e) => crate::api::error_response(&e),
        };
    }
    let session = cookie(request.headers(), SESSION_COOKIE).and_then(|t| app.sessions.get(&t));
    let Some(session) = session else {
        if is_api {
            return crate::api::error_response(&Error::Unauthenticated);
        }
        let next_path = request
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_default();
        let target = format!("/login?next={}", urlencode(&next_path));
        return Redirect::to(&target).into_response();
    };
    let mut request = request;
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        match check_csrf(request, &session.csrf).await {
            Ok(checked) => request = checked,
            Err(e) => {
                tracing::warn!(user = %session.user, "state change refused: {e}");
                return if is_api {
                    crate::api::error_response(&e)
                } else {
                    (e.status(), e.to_string()).into_response()
                };
            }
        }
    }
    request.extensions_mut().insert(session);
    next.run(request).await
}

/// The request back, its body intact, if it carries `expected`; otherwise why not.
async fn check_csrf(request: Request, expected: &str) -> Result<Request, Error> {
    let headers = request.headers();
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let origin_host = origin.split("://").nth(1).unwrap_or("");
        if origin == "null" || origin_host != host {
            return Err(Error::Csrf);
        }
    }
    if let Some(token) = headers.get("x-csrf-token").and_then(|v| v.to_str().ok()) {
        return if constant_time_eq(token, expected) {
            Ok(request)
        } else {
            Err(Error::Csrf)
        };
    }
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(Error::Csrf);
    }
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|e| Error::BadRequest(format!("request body: {e}")))?;
    let found = form_urlencoded::parse(&bytes)
        .find(|(k, _)| k == "csrf")
        .is_some_and(|(_, v)| constant_time_eq(&v, expected));
    if !found {
        return Err(Error::Csrf);
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// Compares without stopping at the first difference, so timing does not tell how much of a
/// guessed token was right.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A cookie's value.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// The token of an `Authorization: Bearer` header.
fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(|t| t.trim().to_owned())
}

/// Percent-encodes everything but unreserved characters.
pub fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Headers on every response.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        );
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if !headers.contains_key(header::X_FRAME_OPTIONS) {
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_and_tokens() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; canhgac_session=abc; b=2"),
        );
        assert_eq!(cookie(&headers, "canhgac_session").as_deref(), Some("abc"));
        assert_eq!(cookie(&headers, "missing"), None);
        assert!(constant_time_eq("abcd", "abcd"));
        assert!(!constant_time_eq("abcd", "abce"));
        assert!(!constant_time_eq("abc", "abcd"));
    }
}
