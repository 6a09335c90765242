//! The router in-process, and once through a real server on port 0.

// Test helpers unwrap like the tests they serve (clippy's allow-unwrap-in-tests covers only
// #[test] functions).
#![allow(clippy::unwrap_used)]

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use console::fleet::inproc::InProcessExec;
use console::fleet::poller::Poller;
use console::http::{AppState, router};
use http_body_util::BodyExt;
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

mod common;

fn demo_poller() -> Arc<Poller> {
    Arc::new(Poller::new(
        console::fleet::inproc::demo_inventory(),
        Arc::new(InProcessExec::reference()),
        Duration::from_secs(60),
        Duration::from_secs(5),
    ))
}

async fn state(dir: &tempfile::TempDir, poller: Arc<Poller>) -> AppState {
    let store = Arc::new(console::store::SqliteStore::in_memory().unwrap());
    let exec = Arc::new(InProcessExec::reference());
    common::builder(exec, poller, store, Arc::new(console::auth::directory::DemoDirectory))
        .assets_dir(dir.path().to_path_buf())
        .demo(true)
        .build()
        .await
        .unwrap()
}

fn assets() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("index.html"),
        "<html><head><script type=\"module\">import init from '/app-0123456789abcdef.js';</script></head><body></body></html>",
    )
    .unwrap();
    std::fs::write(dir.path().join("app-0123456789abcdef.js"), "export default function init() {}").unwrap();
    dir
}

async fn get(dir: &tempfile::TempDir, path: &str) -> (StatusCode, axum::http::HeaderMap, String) {
    get_with(dir, demo_poller(), path).await
}

async fn get_with(dir: &tempfile::TempDir, poller: Arc<Poller>, path: &str) -> (StatusCode, axum::http::HeaderMap, String) {
    let app = router(state(dir, poller).await);
    let cookie = common::login(&app, "mqviewer", "mqviewer").await.0;
    let request = Request::get(path).header(header::COOKIE, cookie).body(Body::empty()).unwrap();
    let response = app.oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn health_answers() {
    let dir = assets();
    let (status, _, body) = get(&dir, "/healthz").await;
    assert_eq!(status, StatusCode::OK);
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(lines[..2], ["ok", "store: sqlite writable"], "{body}");
    assert!(lines[2].starts_with("instance: console/") && lines[3].starts_with("leader: console/"), "{body}");
}

#[tokio::test]
async fn app_routes_fall_back_to_index_with_security_headers() {
    let dir = assets();
    let (status, headers, body) = get(&dir, "/queue-managers/DRHAQM1").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("<script type=\"module\">"));
    assert_eq!(headers[header::CACHE_CONTROL], "no-cache");
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("'wasm-unsafe-eval'") && csp.contains("'sha256-"), "{csp}");
    assert!(!csp.contains("unsafe-inline"));
}

#[tokio::test]
async fn hashed_assets_are_cached_for_good() {
    let dir = assets();
    let (status, headers, _) = get(&dir, "/app-0123456789abcdef.js").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CACHE_CONTROL], "public, max-age=31536000, immutable");
}

#[tokio::test]
async fn unknown_api_paths_get_the_json_error_shape() {
    let dir = assets();
    let (status, _, body) = get(&dir, "/api/nothing-here").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["error"]["code"], "not_found");
    assert!(json["error"]["message"].as_str().unwrap().contains("/api/nothing-here"));
}

#[tokio::test]
async fn a_real_server_on_port_0_serves_health() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = assets();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = router(state(&dir, demo_poller()).await);
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).await.unwrap();
    assert!(reply.starts_with("HTTP/1.1 200 OK"), "{reply}");
    assert!(reply.contains("\r\n\r\nok\n"), "{reply}");
    server.abort();
}

#[tokio::test]
async fn estate_is_503_until_the_first_refresh_then_the_snapshot() {
    let dir = assets();
    let poller = demo_poller();
    let (status, _, body) = get_with(&dir, Arc::clone(&poller), "/api/estate").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(body.contains("\"code\":\"unavailable\""));
    poller.refresh().await;
    let (status, _, body) = get_with(&dir, Arc::clone(&poller), "/api/estate").await;
    assert_eq!(status, StatusCode::OK);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["regions"][0]["name"], "WDC");
    assert_eq!(json["regions"][0]["nodes"][0]["name"], "wdc1-mq1");
    assert_eq!(json["regions"][0]["nodes"][0]["reachable"], true);
    assert_eq!(json["qmgrs"][0]["name"], "DRHAQM1");
    assert_eq!(json["qmgrs"][0]["running_on"], "wdc1-mq1");
    assert_eq!(json["qmgrs"][0]["dr_primary_region"], "WDC");
    assert_eq!(json["qmgrs"][0]["readiness"]["WDC"]["ready"], true);
    assert_eq!(json["routes"][0]["listener_port"], "1501");
    assert_eq!(json["routes"][0]["destination_region"], "WDC");
    assert!(json["polled_at"].as_u64().unwrap() > 0);
    assert_eq!(json["findings"], serde_json::json!([]));
    // Passwords in MQIPT's routes never leave the server.
    let tls_route = json["routes"].as_array().unwrap().iter().find(|r| r["listener_port"] == "1503").unwrap();
    assert_eq!(tls_route["properties"]["SSLServerKeyRingPW"], "********", "{tls_route}");
    assert!(!body.contains("mq-ipt-pw.key"), "the value appears nowhere");
}

#[tokio::test]
async fn metrics_take_the_configured_bearer_token() {
    let dir = assets();
    let app = router(common::demo_builder(dir.path()).metrics_token(Some("scrape-token-for-tests".into())).build().await.unwrap());
    let scrape = |token: &str| Request::get("/metrics").header(header::AUTHORIZATION, format!("Bearer {token}")).body(Body::empty()).unwrap();
    assert_eq!(common::send(&app, scrape("scrape-token-for-tests")).await.0, StatusCode::OK);
    let (status, _, body) = common::send(&app, scrape("wrong")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(!body.contains("scrape-token-for-tests"));
    assert_eq!(common::send(&app, Request::get("/metrics").body(Body::empty()).unwrap()).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn metrics_speak_prometheus_text() {
    let dir = assets();
    let poller = demo_poller();
    poller.refresh().await;
    let (status, headers, body) = get_with(&dir, poller, "/metrics").await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/plain"));
    assert!(body.contains("# TYPE rdqm_console_poll_duration_seconds gauge\nrdqm_console_poll_duration_seconds "));
    assert!(body.contains("rdqm_console_ssh_channels_total "));
    assert!(body.contains("rdqm_console_host_reachable{host=\"wdc1-mq1\",region=\"WDC\"} 1"));
    assert!(body.contains("rdqm_console_qmgr_dr_role{qmgr=\"DRHAQM1\",region=\"WDC\",role=\"Primary\"} 1"));
    assert!(body.contains("rdqm_console_qmgr_running{qmgr=\"DRHAQM1\",node=\"wdc1-mq1\"} 1"));
}

#[tokio::test]
async fn events_stream_starts_with_the_current_snapshot() {
    let dir = assets();
    let poller = demo_poller();
    poller.refresh().await;
    let app = router(state(&dir, poller).await);
    let cookie = common::login(&app, "mqadmin", "mqadmin").await.0;
    let request = Request::get("/api/events").header(header::COOKIE, cookie).body(Body::empty()).unwrap();
    let response = app.oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "text/event-stream");
    let mut body = response.into_body();
    let frame = body.frame().await.unwrap().unwrap();
    let text = String::from_utf8_lossy(frame.data_ref().unwrap()).into_owned();
    assert!(text.starts_with("event: estate\ndata: {"), "{text}");
    assert!(text.contains("\"qmgrs\""));
}

#[tokio::test]
async fn sslpeer_check_predicts_amq9636e() {
    let dir = assets();
    let app = router(state(&dir, demo_poller()).await);
    let (cookie, csrf) = common::login(&app, "mqviewer", "mqviewer").await;
    let check = |filter: &str| {
        Request::post("/api/tls/sslpeer-check")
            .header(header::COOKIE, &cookie)
            .header("X-CSRF-Token", &csrf)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(serde_json::json!({"dn": "SERIALNUMBER=78:40:26:54:E5:D4:80:E4,CN=QM1,OU=SSL For MQ,O=IBM,ST=MA,C=US", "filter": filter}).to_string()))
            .unwrap()
    };
    let (status, _, body) = common::send(&app, check("CN=John Cena, OU=Test, O=IBM, C=GB")).await;
    assert_eq!(status, StatusCode::OK);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["matches"], false);
    assert!(json["explanation"].as_str().unwrap().contains("AMQ9636E"));
    let (_, _, body) = common::send(&app, check("CN=QM1, OU=SSL*")).await;
    assert_eq!(serde_json::from_str::<serde_json::Value>(&body).unwrap()["matches"], true);
    let (status, _, body) = common::send(&app, check("CN=QM1, BOGUS=1")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}
