//! The router: the API under `/api`, health and metrics, and the browser app for the rest.

mod assets;
mod estate;
mod metrics;

use crate::error::ApiError;
use crate::fleet::poller::Poller;
use axum::Router;
use axum::routing::get;
use std::path::PathBuf;
use std::sync::Arc;

/// What every handler may reach.
#[derive(Clone)]
pub struct AppState {
    pub assets_dir: PathBuf,
    /// Demo mode: the in-process simulated estate, labelled DEMO in every page.
    pub demo: bool,
    pub poller: Arc<Poller>,
}

/// Builds the whole router; `main` only binds it to a listener.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/estate", get(estate::estate))
        .route("/events", get(estate::events))
        .fallback(api_not_found);
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics::metrics))
        .nest("/api", api)
        .merge(assets::router(&state.assets_dir))
        .with_state(state)
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn api_not_found(axum::extract::OriginalUri(uri): axum::extract::OriginalUri) -> ApiError {
    ApiError::NotFound(format!("no API endpoint at {}", uri.path()))
}
