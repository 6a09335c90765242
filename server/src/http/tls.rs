//! `POST /api/tls/sslpeer-check`: would a certificate DN pass a channel's SSLPEER filter?

use super::AppState;
use crate::error::ApiError;
use axum::Json;
use axum::extract::State;
use model::certs::CertInventory;
use std::sync::Arc;
use model::sslpeer::{self, MatchResult};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct SslPeerCheck {
    pub dn: String,
    pub filter: String,
}

pub async fn sslpeer_check(_user: super::session::CurrentUser, crate::error::ApiJson(body): crate::error::ApiJson<SslPeerCheck>) -> Result<Json<MatchResult>, ApiError> {
    if body.dn.len() > 1024 || body.filter.len() > 1024 {
        return Err(ApiError::BadRequest("a DN or SSLPEER filter is at most 1024 characters".into()));
    }
    sslpeer::matches(&body.dn, &body.filter).map(Json).map_err(|e| ApiError::BadRequest(e.to_string()))
}

fn collector(state: &AppState) -> Result<&Arc<crate::certs::CertCollector>, ApiError> {
    state.certs.as_ref().ok_or_else(|| ApiError::Unavailable("no certificate sources are configured ([[keystores]], tlshd_conf)".into()))
}

/// `GET /api/certificates`: every certificate read, with its findings.
pub async fn certificates(State(state): State<AppState>, _user: super::session::CurrentUser) -> Result<Json<Arc<CertInventory>>, ApiError> {
    let collector = collector(&state)?;
    match collector.current() {
        Some(inventory) => Ok(Json(inventory)),
        None => Ok(Json(collector.collect().await)),
    }
}

/// `POST /api/certificates/refresh`: read every store again now (operators).
pub async fn refresh_certificates(State(state): State<AppState>, _operator: super::session::Operator) -> Result<Json<Arc<CertInventory>>, ApiError> {
    Ok(Json(collector(&state)?.collect().await))
}
