//! The router: the API under `/api`, health and metrics, and the browser app for the rest.

mod assets;

use crate::error::ApiError;
use axum::Router;
use axum::routing::get;
use std::path::PathBuf;

/// What every handler may reach.
#[derive(Clone)]
pub struct AppState {
    pub assets_dir: PathBuf,
    /// Demo mode: the in-process simulated estate, labelled DEMO in every page.
    pub demo: bool,
}

/// Builds the whole router; `main` only binds it to a listener.
pub fn router(state: AppState) -> Router {
    let api = Router::new().fallback(api_not_found);
    Router::new()
        .route("/healthz", get(healthz))
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
