//! The router: the API under `/api`, health and metrics, and the browser app for the rest.

mod assets;
mod estate;
mod metrics;
pub mod session;
mod tls;
mod workflows;

use crate::auth::RoleMap;
use crate::auth::directory::Directory;
use crate::auth::limiter::LoginLimiter;
use crate::auth::session::SessionKeys;
use crate::error::ApiError;
use crate::fleet::poller::Poller;
use crate::store::Store;
use axum::Router;
use axum::middleware;
use axum::routing::{get, post};
use std::path::PathBuf;
use std::sync::Arc;

/// What every handler may reach.
#[derive(Clone)]
pub struct AppState {
    pub assets_dir: PathBuf,
    /// Demo mode: the in-process simulated estate, labelled DEMO in every page.
    pub demo: bool,
    pub poller: Arc<Poller>,
    pub auth: Arc<AuthState>,
    /// The workflow engine (absent only in tests that do not need it).
    pub engine: Option<Arc<crate::workflow::Engine>>,
    /// The certificate inventory (absent when no certificate source is configured).
    pub certs: Option<Arc<crate::certs::CertCollector>>,
}

/// Everything signing in needs.
pub struct AuthState {
    pub directory: Arc<dyn Directory>,
    pub roles: RoleMap,
    pub keys: SessionKeys,
    pub limiter: LoginLimiter,
    pub store: Arc<dyn Store>,
    pub secure_cookies: bool,
}

/// Builds the whole router; `main` only binds it to a listener.
pub fn router(state: AppState) -> Router {
    let signed_in = Router::new()
        .route("/session", get(session::current).delete(session::logout))
        .route("/estate", get(estate::estate))
        .route("/events", get(estate::events))
        .route("/refresh", post(estate::refresh_now))
        .route("/plans", post(workflows::create_plan))
        .route("/plans/{id}", get(workflows::get_plan))
        .route("/plans/{id}/execute", post(workflows::execute))
        .route("/runs", get(workflows::list_runs))
        .route("/runs/{id}", get(workflows::get_run))
        .route("/runs/{id}/resume", post(workflows::resume))
        .route("/runs/{id}/rollback", post(workflows::rollback))
        .route("/runs/{id}/approve", post(workflows::approve))
        .route("/runs/{id}/deny", post(workflows::deny))
        .route("/audit", get(workflows::audit))
        .route("/tls/sslpeer-check", post(tls::sslpeer_check))
        .route("/certificates", get(tls::certificates))
        .route("/certificates/refresh", post(tls::refresh_certificates))
        .route_layer(middleware::from_fn_with_state(state.clone(), session::require_session));
    let api = Router::new()
        .route("/session", post(session::login))
        .route("/info", get(info))
        .merge(signed_in)
        .fallback(api_not_found);
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

async fn healthz() -> &'static str {
    "ok\n"
}

async fn api_not_found(axum::extract::OriginalUri(uri): axum::extract::OriginalUri) -> ApiError {
    ApiError::NotFound(format!("no API endpoint at {}", uri.path()))
}
