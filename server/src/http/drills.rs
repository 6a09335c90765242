//! DR drill reports: the list, one report as JSON, and the printable document.

use super::AppState;
use super::session::CurrentUser;
use crate::error::{ApiError, ApiPath, AppResult};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use model::drill::{DrillReport, DrillReportWithDigest};

pub async fn list_drills(State(state): State<AppState>, _user: CurrentUser) -> AppResult<Json<Vec<DrillReportWithDigest>>> {
    Ok(Json(state.store.list_drill_reports(200).await?.into_iter().map(DrillReport::with_digest).collect()))
}

async fn load(state: &AppState, id: String) -> AppResult<DrillReport> {
    state.store.load_drill_report(id.clone()).await?.ok_or_else(|| ApiError::NotFound(format!("no drill report for run {id}")))
}

pub async fn get_drill(State(state): State<AppState>, _user: CurrentUser, ApiPath(id): ApiPath<String>) -> AppResult<Json<DrillReportWithDigest>> {
    Ok(Json(load(&state, id).await?.with_digest()))
}

/// The report as a document to print or keep (`/report`, and `/report.html` as the app links
/// it); offered as a download named after the run.
pub async fn drill_document(State(state): State<AppState>, _user: CurrentUser, ApiPath(id): ApiPath<String>) -> AppResult<Response> {
    let report = load(&state, id).await?;
    let mut response = model::drill_document::html(&report).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    // Only the report's own inline style; nothing else may load or run.
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"));
    let name = format!("attachment; filename=\"drill-{}.html\"", report.run_id.chars().filter(char::is_ascii_alphanumeric).collect::<String>());
    if let Ok(value) = HeaderValue::from_str(&name) {
        h.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}
