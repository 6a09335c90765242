//! Plans, runs and the audit log.

use super::AppState;
use super::session::{ClientAddr, CurrentUser, Operator};
use crate::error::ApiError;
use crate::store::AuditRecord;
use crate::workflow::engine::Actor;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use model::plan::{Intent, Plan};
use model::run::Run;
use serde::Deserialize;
use serde_json::{Value, json};

const KINDS: &[&str] = &[
    "dr-switchover",
    "dr-failover",
    "dr-resolve-partition",
    "route-retarget",
    "restore-route-config",
    "ha-suspend",
    "ha-resume",
    "ha-prefer",
    "pacemaker-cleanup",
];

fn actor(claims: &crate::auth::session::Claims, addr: String) -> Actor {
    Actor { user: claims.sub.clone(), source: addr, operator: claims.role == crate::auth::Role::Operator }
}

fn engine(state: &AppState) -> Result<&std::sync::Arc<crate::workflow::Engine>, ApiError> {
    state.engine.as_ref().ok_or_else(|| ApiError::Unavailable("workflows are not available on this console".into()))
}

pub async fn create_plan(State(state): State<AppState>, ClientAddr(addr): ClientAddr, Operator(claims): Operator, Json(body): Json<Value>) -> Result<Json<Plan>, ApiError> {
    let kind = body.get("kind").and_then(Value::as_str).unwrap_or("");
    if !KINDS.contains(&kind) {
        return Err(ApiError::BadRequest(format!("kind {kind:?} is not a plan this console makes yet; known: {}", KINDS.join(", "))));
    }
    let intent: Intent = serde_json::from_value(body.clone()).map_err(|e| ApiError::BadRequest(format!("{kind} plan: {e}")))?;
    Ok(Json(engine(&state)?.plan(intent, &actor(&claims, addr)).await?))
}

pub async fn get_plan(State(state): State<AppState>, _user: CurrentUser, Path(id): Path<String>) -> Result<Json<Plan>, ApiError> {
    Ok(Json(engine(&state)?.load_plan(&id).await?))
}

#[derive(Deserialize)]
pub struct ExecuteBody {
    #[serde(default)]
    confirm: String,
}

pub async fn execute(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Operator(claims): Operator,
    Path(id): Path<String>,
    Json(body): Json<ExecuteBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let run_id = engine(&state)?.execute(&id, &body.confirm, &actor(&claims, addr)).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "run_id": run_id }))))
}

pub async fn get_run(State(state): State<AppState>, _user: CurrentUser, Path(id): Path<String>) -> Result<Json<Run>, ApiError> {
    let run = state.auth.store.load_run(id.clone()).await.map_err(|e| ApiError::Internal(e.to_string()))?;
    run.map(Json).ok_or_else(|| ApiError::NotFound(format!("no run {id}")))
}

pub async fn list_runs(State(state): State<AppState>, _user: CurrentUser) -> Result<Json<Vec<Run>>, ApiError> {
    Ok(Json(state.auth.store.list_runs(100).await.map_err(|e| ApiError::Internal(e.to_string()))?))
}

pub async fn resume(State(state): State<AppState>, ClientAddr(addr): ClientAddr, Operator(claims): Operator, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    engine(&state)?.resume(&id, &actor(&claims, addr)).await?;
    Ok(StatusCode::ACCEPTED)
}

pub async fn rollback(State(state): State<AppState>, ClientAddr(addr): ClientAddr, Operator(claims): Operator, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    engine(&state)?.rollback(&id, &actor(&claims, addr)).await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Deserialize)]
pub struct AuditQuery {
    limit: Option<usize>,
}

pub async fn audit(State(state): State<AppState>, _user: CurrentUser, Query(q): Query<AuditQuery>) -> Result<Json<Vec<AuditRecord>>, ApiError> {
    let limit = q.limit.unwrap_or(200).min(5000);
    Ok(Json(state.auth.store.audit_log(limit).await.map_err(|e| ApiError::Internal(e.to_string()))?))
}

pub async fn approve(State(state): State<AppState>, ClientAddr(addr): ClientAddr, Operator(claims): Operator, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    engine(&state)?.approve(&id, &actor(&claims, addr)).await?;
    Ok(StatusCode::ACCEPTED)
}

pub async fn deny(State(state): State<AppState>, ClientAddr(addr): ClientAddr, Operator(claims): Operator, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    engine(&state)?.deny(&id, &actor(&claims, addr)).await?;
    Ok(StatusCode::OK)
}
