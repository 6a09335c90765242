//! Plans, runs and the audit log.

use super::AppState;
use super::session::{ClientAddr, CurrentUser, Operator};
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, AppResult};
use crate::store::AuditRecord;
use crate::workflow::engine::Actor;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use model::plan::{Action, Intent, Plan};
use model::run::Run;
use serde::Deserialize;
use serde_json::{Value, json};

fn actor(claims: &crate::auth::session::Claims, addr: String) -> Actor {
    Actor { user: claims.sub.clone(), source: addr, operator: claims.role == crate::auth::Role::Operator }
}


/// A plan as it leaves the server: the new file contents and the diff without the values of
/// secret MQIPT properties.
fn shown(mut plan: Plan) -> Plan {
    let redact = |action: &mut Action| {
        if let Action::WriteFile { contents, .. } = action {
            *contents = model::mqipt::redact_secrets(contents);
        }
    };
    for step in &mut plan.steps {
        redact(&mut step.action);
        for undo in &mut step.undo {
            redact(&mut undo.action);
        }
    }
    plan.diff = plan.diff.map(|d| model::mqipt::redact_secrets(&d));
    plan
}

pub async fn create_plan(State(state): State<AppState>, ClientAddr(addr): ClientAddr, Operator(claims): Operator, ApiJson(intent): ApiJson<Intent>) -> AppResult<Json<Plan>> {
    Ok(Json(shown(state.engine.plan(intent, &actor(&claims, addr)).await?)))
}

pub async fn get_plan(State(state): State<AppState>, _user: CurrentUser, ApiPath(id): ApiPath<String>) -> AppResult<Json<Plan>> {
    Ok(Json(shown(state.engine.load_plan(&id).await?)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExecuteBody {
    #[serde(default)]
    confirm: String,
}

pub async fn execute(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Operator(claims): Operator,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<ExecuteBody>,
) -> AppResult<(StatusCode, Json<Value>)> {
    let run_id = state.engine.execute(&id, &body.confirm, &actor(&claims, addr)).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "run_id": run_id }))))
}

pub async fn get_run(State(state): State<AppState>, _user: CurrentUser, ApiPath(id): ApiPath<String>) -> AppResult<Json<Run>> {
    let run = state.store.load_run(id.clone()).await?;
    run.map(Json).ok_or_else(|| ApiError::NotFound(format!("no run {id}")))
}

pub async fn list_runs(State(state): State<AppState>, _user: CurrentUser) -> AppResult<Json<Vec<Run>>> {
    Ok(Json(state.store.list_runs(100).await?))
}

pub async fn resume(State(state): State<AppState>, ClientAddr(addr): ClientAddr, Operator(claims): Operator, ApiPath(id): ApiPath<String>) -> AppResult<StatusCode> {
    state.engine.resume(&id, &actor(&claims, addr)).await?;
    Ok(StatusCode::ACCEPTED)
}

pub async fn rollback(State(state): State<AppState>, ClientAddr(addr): ClientAddr, Operator(claims): Operator, ApiPath(id): ApiPath<String>) -> AppResult<StatusCode> {
    state.engine.rollback(&id, &actor(&claims, addr)).await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Deserialize)]
pub struct AuditQuery {
    limit: Option<usize>,
}

/// The audit log is for operators: it names everyone who tried to sign in.
pub async fn audit(State(state): State<AppState>, _operator: Operator, ApiQuery(q): ApiQuery<AuditQuery>) -> AppResult<Json<Vec<AuditRecord>>> {
    let limit = q.limit.unwrap_or(200).min(5000);
    Ok(Json(state.store.audit_log(limit).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateBody {
    /// The CA-signed certificate, PEM.
    pem: String,
}

/// `POST /api/runs/{id}/certificate`: the CA-signed certificate a rotation by signing request
/// waits for (operators); refused with every reason when it does not fit the request.
pub async fn upload_certificate(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    Operator(claims): Operator,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<CertificateBody>,
) -> AppResult<StatusCode> {
    state.engine.upload_certificate(&id, body.pem, &actor(&claims, addr)).await?;
    Ok(StatusCode::ACCEPTED)
}

pub async fn approve(State(state): State<AppState>, ClientAddr(addr): ClientAddr, Operator(claims): Operator, ApiPath(id): ApiPath<String>) -> AppResult<StatusCode> {
    state.engine.approve(&id, &actor(&claims, addr)).await?;
    Ok(StatusCode::ACCEPTED)
}

pub async fn deny(State(state): State<AppState>, ClientAddr(addr): ClientAddr, Operator(claims): Operator, ApiPath(id): ApiPath<String>) -> AppResult<StatusCode> {
    state.engine.deny(&id, &actor(&claims, addr)).await?;
    Ok(StatusCode::OK)
}
