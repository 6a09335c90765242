//! Shared by the server's integration tests.
#![allow(dead_code)]

pub mod etcd_tls;
pub mod serve;
pub mod store_semantics;
pub mod workflow;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use console::app_state::{AppState, AppStateBuilder};
use console::auth::directory::{DemoDirectory, Directory};
use console::fleet::RemoteExec;
use console::fleet::inproc::InProcessExec;
use console::fleet::poller::Poller;
use console::store::{SqliteStore, Store};
use http_body_util::BodyExt;
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

pub const KEY: &[u8] = b"test signing key, 32 bytes long!!";

/// A console as the tests build it: the production builder with the tests' signing key (so a
/// test can forge or tamper with a session token).
pub fn builder(exec: Arc<dyn RemoteExec>, poller: Arc<Poller>, store: Arc<dyn Store>, directory: Arc<dyn Directory>) -> AppStateBuilder {
    AppState::builder(exec, poller, store, directory).signing_key(KEY.to_vec())
}

/// The demo's console (in-process estate, demo directory, in-memory store) serving `assets`.
pub fn demo_builder(assets: &std::path::Path) -> AppStateBuilder {
    let exec: Arc<dyn RemoteExec> = Arc::new(InProcessExec::reference());
    let poller = Arc::new(Poller::new(console::fleet::inproc::demo_inventory(), Arc::clone(&exec), Duration::from_secs(60), Duration::from_secs(5)));
    builder(exec, poller, Arc::new(SqliteStore::in_memory().unwrap()), Arc::new(DemoDirectory)).assets_dir(assets.to_path_buf()).demo(true)
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
