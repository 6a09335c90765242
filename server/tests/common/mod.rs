//! Shared by the server's integration tests.
#![allow(dead_code)]

pub mod serve;
pub mod workflow;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use console::auth::RoleMap;
use console::auth::directory::{DemoDirectory, Directory};
use console::auth::limiter::LoginLimiter;
use console::auth::session::SessionKeys;
use console::http::AuthState;
use console::store::{SqliteStore, Store};
use http_body_util::BodyExt;
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

pub const KEY: &[u8] = b"test signing key, 32 bytes long!!";

pub fn auth_with(directory: Arc<dyn Directory>, store: Arc<dyn Store>) -> Arc<AuthState> {
    Arc::new(auth_state(directory, store))
}

/// The tests' sign-in settings, to adjust before wrapping in an `Arc`.
pub fn auth_state(directory: Arc<dyn Directory>, store: Arc<dyn Store>) -> AuthState {
    AuthState::new(
        directory,
        RoleMap { operator_groups: vec!["mqadmins".into()], viewer_groups: vec!["mqviewers".into()] },
        SessionKeys::new(KEY, Duration::from_secs(900), Duration::from_secs(8 * 3600)),
        LoginLimiter::new(10),
        store,
    )
}

pub fn demo_auth() -> Arc<AuthState> {
    auth_with(Arc::new(DemoDirectory), Arc::new(SqliteStore::in_memory().unwrap()))
}

/// Sends a request; status, headers and body text.
pub async fn send(app: &Router, request: Request<Body>) -> (StatusCode, axum::http::HeaderMap, String) {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

pub fn login_request(user: &str, password: &str) -> Request<Body> {
    Request::post("/api/session")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(serde_json::json!({"username": user, "password": password}).to_string()))
        .unwrap()
}

/// Signs in; the `name=value` cookie and the CSRF token.
pub async fn login(app: &Router, user: &str, password: &str) -> (String, String) {
    let (status, headers, body) = send(app, login_request(user, password)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let cookie = headers[header::SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_string();
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    (cookie, json["csrf"].as_str().unwrap().to_string())
}
