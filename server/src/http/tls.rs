//! `POST /api/tls/sslpeer-check`: would a certificate DN pass a channel's SSLPEER filter?

use crate::error::ApiError;
use axum::Json;
use model::sslpeer::{self, MatchResult};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct SslPeerCheck {
    pub dn: String,
    pub filter: String,
}

pub async fn sslpeer_check(_user: super::session::CurrentUser, Json(body): Json<SslPeerCheck>) -> Result<Json<MatchResult>, ApiError> {
    if body.dn.len() > 1024 || body.filter.len() > 1024 {
        return Err(ApiError::BadRequest("a DN or SSLPEER filter is at most 1024 characters".into()));
    }
    sslpeer::matches(&body.dn, &body.filter).map(Json).map_err(|e| ApiError::BadRequest(e.to_string()))
}
