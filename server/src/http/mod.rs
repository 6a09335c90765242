//! The router: the API under `/api`, health and metrics, and the browser app for the rest.

mod assets;
mod drills;
mod estate;
pub mod estate_wire;
mod metrics;
pub mod session;
pub mod streams;
mod tls;
mod workflows;

use crate::auth::RoleMap;
use crate::auth::directory::Directory;
use crate::auth::limiter::LoginLimiter;
use crate::auth::session::SessionKeys;
use crate::error::ApiError;
use crate::store::Store;
use axum::Router;
use axum::middleware;
use axum::routing::{get, post};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::broadcast;

pub use crate::app_state::AppState;

/// Everything signing in needs.
pub struct AuthState {
    pub directory: Arc<dyn Directory>,
    pub roles: RoleMap,
    pub keys: SessionKeys,
    pub limiter: LoginLimiter,
    pub store: Arc<dyn Store>,
    pub secure_cookies: bool,
    /// How long the directory's word on a session's role holds before it is asked again.
    pub recheck: Duration,
    /// The last lookup per directory entry: when, and what it said.
    pub role_checks: Mutex<HashMap<String, (u64, session::RoleCheck)>>,
    pub streams: streams::StreamRegistry,
    /// Sessions ended in this process (logout, a lost role): their event streams close.
    pub ended: broadcast::Sender<SessionEnded>,
    /// `/metrics` with `Authorization: Bearer <token>`; without one configured, a session.
    pub metrics_token: Option<String>,
}

/// A session that ended, for the event streams to close.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionEnded {
    Session(String),
    /// The console is stopping.
    All,
}

impl AuthState {
    /// Sign-in with the defaults: role re-checked every 5 minutes, default stream limits,
    /// `/metrics` behind a session.
    pub fn new(directory: Arc<dyn Directory>, roles: RoleMap, keys: SessionKeys, limiter: LoginLimiter, store: Arc<dyn Store>) -> Self {
        AuthState {
            directory,
            roles,
            keys,
            limiter,
            store,
            secure_cookies: false,
            recheck: Duration::from_secs(300),
            role_checks: Mutex::new(HashMap::new()),
            streams: streams::StreamRegistry::default(),
            ended: broadcast::channel(256).0,
            metrics_token: None,
        }
    }

    /// Every minute: the tallied sign-in refusals into the audit log, idle limiter keys
    /// dropped, and the audit chain's head written to the log when it moved (so that a
    /// rewritten or truncated tail can be found with `audit verify --head`).
    pub fn spawn_housekeeping(self: &Arc<Self>, every: Duration) -> tokio::task::JoinHandle<()> {
        let auth = Arc::clone(self);
        tokio::spawn(async move {
            let mut last_head = None;
            loop {
                tokio::time::sleep(every).await;
                session::flush_refusals(&auth).await;
                auth.limiter.prune();
                match auth.store.audit_head().await {
                    Ok(Some(head)) if last_head.as_ref() != Some(&head) => {
                        tracing::info!(target: "audit", "audit head id={} hash={}", head.id, head.hash);
                        last_head = Some(head);
                    }
                    Ok(_) => {}
                    Err(e) => tracing::error!(error = %e, "audit head not read"),
                }
            }
        })
    }
}

/// Every API answer: never cached, never sniffed, never framed, no referrer.
async fn api_headers(request: axum::extract::Request, next: middleware::Next) -> axum::response::Response {
    use axum::http::{HeaderValue, header};
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // A handler that serves a document sets its own (the drill report's inline style).
    h.entry(header::CONTENT_SECURITY_POLICY).or_insert(HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"));
    response
}

/// Every API endpoint as (method, path), for the tests that must visit each one; a unit test
/// below keeps it in step with [`router`].
pub const API_ENDPOINTS: &[(&str, &str)] = &[
    ("POST", "/api/session"),
    ("GET", "/api/session"),
    ("DELETE", "/api/session"),
    ("GET", "/api/info"),
    ("GET", "/api/estate"),
    ("GET", "/api/events"),
    ("POST", "/api/refresh"),
    ("POST", "/api/plans"),
    ("GET", "/api/plans/{id}"),
    ("POST", "/api/plans/{id}/execute"),
    ("GET", "/api/runs"),
    ("GET", "/api/runs/{id}"),
    ("POST", "/api/runs/{id}/resume"),
    ("POST", "/api/runs/{id}/rollback"),
    ("POST", "/api/runs/{id}/approve"),
    ("POST", "/api/runs/{id}/certificate"),
    ("POST", "/api/runs/{id}/deny"),
    ("GET", "/api/audit"),
    ("GET", "/api/store"),
    ("GET", "/api/drills"),
    ("GET", "/api/drills/{id}"),
    ("GET", "/api/drills/{id}/report"),
    ("GET", "/api/drills/{id}/report.html"),
    ("POST", "/api/tls/sslpeer-check"),
    ("GET", "/api/certificates"),
    ("POST", "/api/certificates/refresh"),
];

/// Builds the whole router; `main` only binds it to a listener.
pub fn router(state: AppState) -> Router {
    let signed_in = Router::new()
        .route("/session", get(session::current).delete(session::logout))
        .route("/estate", get(estate::estate))
        .route("/refresh", post(estate::refresh_now))
        .route("/plans", post(workflows::create_plan))
        .route("/plans/{id}", get(workflows::get_plan))
        .route("/plans/{id}/execute", post(workflows::execute))
        .route("/runs", get(workflows::list_runs))
        .route("/runs/{id}", get(workflows::get_run))
        .route("/runs/{id}/resume", post(workflows::resume))
        .route("/runs/{id}/rollback", post(workflows::rollback))
        .route("/runs/{id}/approve", post(workflows::approve))
        .route("/runs/{id}/certificate", post(workflows::upload_certificate))
        .route("/runs/{id}/deny", post(workflows::deny))
        .route("/audit", get(workflows::audit))
        .route("/store", get(store_status))
        .route("/drills", get(drills::list_drills))
        .route("/drills/{id}", get(drills::get_drill))
        .route("/drills/{id}/report", get(drills::drill_document))
        .route("/drills/{id}/report.html", get(drills::drill_document))
        .route("/tls/sslpeer-check", post(tls::sslpeer_check))
        .route("/certificates", get(tls::certificates))
        .route("/certificates/refresh", post(tls::refresh_certificates))
        .route_layer(middleware::from_fn_with_state(state.clone(), session::require_session));
    // The event stream is outside the compression layer: its frames are never compressed,
    // and the layer's body wrapper would cost each of a thousand open streams 1–2 KB.
    let streams = Router::new()
        .route("/events", get(estate::events))
        .route_layer(middleware::from_fn_with_state(state.clone(), session::require_session));
    let api = Router::new()
        .route("/session", post(session::login))
        .route("/info", get(info))
        .merge(signed_in)
        // Brotli or gzip as the client takes them (the lab's estate: ~64 KB of JSON, ~4 KB sent).
        .layer(tower_http::compression::CompressionLayer::new())
        .merge(streams)
        .method_not_allowed_fallback(api_method_not_allowed)
        .fallback(api_not_found)
        .layer(middleware::from_fn(api_headers));
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics::metrics))
        .nest("/api", api)
        .merge(assets::router(&state.assets_dir))
        .with_state(state)
}

/// What the sign-in page may know before anyone signs in.
async fn info(axum::extract::State(state): axum::extract::State<AppState>) -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({ "demo": state.demo, "version": env!("CARGO_PKG_VERSION") }))
}

/// Up, and what it can do: `ok` when workflows can run here, `degraded` when only the estate
/// can be shown (the store cannot be written); then the store, this instance and the leader.
async fn healthz(axum::extract::State(state): axum::extract::State<AppState>) -> String {
    let status = state.store.status().await;
    let first = if status.writable { "ok" } else { "degraded" };
    let kind = match status.kind {
        model::instance::StoreKind::Sqlite => "sqlite",
        model::instance::StoreKind::Etcd => "etcd",
    };
    let writable = match &status.problem {
        None => "writable".to_string(),
        Some(problem) => format!("not writable: {problem}"),
    };
    format!(
        "{first}\nstore: {kind} {writable}\ninstance: {}\nleader: {}\ninstances: {}\n",
        status.this.owner,
        status.leader.as_deref().unwrap_or("none"),
        status.instances.iter().map(|i| i.owner.as_str()).collect::<Vec<_>>().join(" ")
    )
}

/// `GET /api/store`: which instance this is, the others, whether workflows can run.
async fn store_status(axum::extract::State(state): axum::extract::State<AppState>) -> axum::Json<model::instance::StoreStatus> {
    axum::Json(state.store.status().await)
}

async fn api_method_not_allowed(method: axum::http::Method, axum::extract::OriginalUri(uri): axum::extract::OriginalUri) -> ApiError {
    ApiError::MethodNotAllowed(format!("{} does not answer {method}", uri.path()))
}

async fn api_not_found(axum::extract::OriginalUri(uri): axum::extract::OriginalUri) -> ApiError {
    ApiError::NotFound(format!("no API endpoint at {}", uri.path()))
}

#[cfg(test)]
mod tests {
    /// `API_ENDPOINTS` names every method of every `.route(...)` of this file's API routers.
    #[test]
    fn the_endpoint_list_matches_the_router() {
        let source = include_str!("mod.rs");
        let router = &source[source.find("pub fn router(").unwrap()..source.find("/// What the sign-in page may know").unwrap()];
        let mut found = Vec::new();
        for line in router.lines().map(str::trim).filter(|l| l.starts_with(".route(\"/") && !l.contains("/healthz") && !l.contains("/metrics")) {
            let path = line.split('"').nth(1).unwrap();
            for (call, method) in [("get(", "GET"), ("post(", "POST"), ("delete(", "DELETE")] {
                if line.contains(&format!(" {call}")) || line.contains(&format!(".{call}")) || line.contains(&format!("({call}")) {
                    found.push((method.to_string(), format!("/api{path}")));
                }
            }
        }
        found.sort();
        let mut listed: Vec<(String, String)> = super::API_ENDPOINTS.iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
        listed.sort();
        assert_eq!(found, listed);
    }
}
