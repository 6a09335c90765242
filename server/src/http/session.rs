//! `POST/GET/DELETE /api/session`, and the layer every other `/api` route sits behind.

use super::AppState;
use crate::auth::directory::DirectoryError;
use crate::auth::session::{COOKIE, Claims, csrf_digest, random_token};
use crate::auth::{Role, RoleMap};
use crate::error::ApiError;
use crate::store::AuditEvent;
use axum::Json;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::header::{HeaderValue, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;

pub const CSRF_HEADER: &str = "x-csrf-token";

#[derive(Deserialize)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Serialize)]
pub struct SessionInfo {
    pub user: String,
    pub display_name: String,
    pub role: Role,
    /// Send it back in `X-CSRF-Token` on every state-changing request.
    pub csrf: String,
    pub expires_at: u64,
    pub demo: bool,
}

/// The client's address, as the listener saw it (`-` in in-process tests).
pub struct ClientAddr(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let addr = parts.extensions.get::<ConnectInfo<SocketAddr>>().map_or("-".to_string(), |c| c.0.ip().to_string());
        Ok(ClientAddr(addr))
    }
}

/// The signed-in user of this request (set by [`require_session`]).
#[derive(Debug, Clone)]
pub struct CurrentUser(pub Claims);

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<CurrentUser>()
            .cloned()
            .ok_or_else(|| ApiError::Unauthorized("sign in first".into()))
    }
}

/// A signed-in operator; viewers get 403.
pub struct Operator(pub Claims);

impl<S: Send + Sync> FromRequestParts<S> for Operator {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let CurrentUser(claims) = CurrentUser::from_request_parts(parts, state).await?;
        if claims.role != Role::Operator {
            return Err(ApiError::Forbidden(format!("{} is a viewer; only operators may do this", claims.sub)));
        }
        Ok(Operator(claims))
    }
}

fn now_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn cookie_value(state: &AppState, token: &str, max_age: u64) -> Option<HeaderValue> {
    let secure = if state.auth.secure_cookies { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}{secure}")).ok()
}

fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_string())
}

async fn audit(state: &AppState, event: AuditEvent) -> Result<(), ApiError> {
    state.auth.store.audit(event).await.map(|_| ()).map_err(|e| {
        ApiError::Unavailable(format!("the audit log cannot be written, so nothing is done: {e}"))
    })
}

fn event(actor: &str, source: &str, action: &str, result: &str, details: String) -> AuditEvent {
    AuditEvent {
        at: std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64),
        actor: actor.to_string(),
        source: source.to_string(),
        action: action.to_string(),
        target: actor.to_string(),
        result: result.to_string(),
        details,
    }
}

/// Every `/api` route but sign-in: a valid, unrevoked session; the CSRF token on anything
/// that changes state; a renewed cookie when more than half the session has passed.
pub async fn require_session(State(state): State<AppState>, mut request: Request, next: Next) -> Result<Response, ApiError> {
    let token = session_cookie(request.headers()).ok_or_else(|| ApiError::Unauthorized("sign in first".into()))?;
    let claims = state
        .auth
        .keys
        .verify(&token)
        .map_err(|_| ApiError::Unauthorized("the session is invalid or has expired; sign in again".into()))?;
    let revoked = state.auth.store.is_revoked(claims.jti.clone()).await.map_err(|e| ApiError::Unavailable(e.to_string()))?;
    if revoked {
        return Err(ApiError::Unauthorized("the session has ended; sign in again".into()));
    }
    let safe = matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe {
        let sent = request.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
        if sent.is_empty() || csrf_digest(sent) != claims.csrf {
            return Err(ApiError::Forbidden("missing or wrong X-CSRF-Token header".into()));
        }
    }
    let renewed = state.auth.keys.renew(&claims, now_secs());
    request.extensions_mut().insert(CurrentUser(claims));
    let mut response = next.run(request).await;
    if let Some(renewed) = renewed {
        let already_set = response.headers().contains_key(SET_COOKIE);
        if let (false, Ok(token)) = (already_set, state.auth.keys.sign(&renewed))
            && let Some(cookie) = cookie_value(&state, &token, renewed.exp.saturating_sub(now_secs()))
        {
            response.headers_mut().append(SET_COOKIE, cookie);
        }
    }
    Ok(response)
}

fn refused_message(roles: &RoleMap, user: &str) -> String {
    format!(
        "{user} signed in, but is in none of the groups that may use this console (operators: {}; viewers: {})",
        roles.operator_groups.join(", "),
        if roles.viewer_groups.is_empty() { "none".to_string() } else { roles.viewer_groups.join(", ") }
    )
}

pub async fn login(State(state): State<AppState>, ClientAddr(addr): ClientAddr, Json(body): Json<LoginRequest>) -> Result<Response, ApiError> {
    let auth = &state.auth;
    let username = body.username.trim().to_string();
    if username.len() > 256 || username.chars().any(char::is_control) {
        return Err(ApiError::BadRequest("the user name is too long or contains control characters".into()));
    }
    if let Err(wait) = auth.limiter.check(&username, &addr) {
        audit(&state, event(&username, &addr, "login_refused", "rate_limited", String::new())).await?;
        return Err(ApiError::TooManyRequests { retry_after_secs: wait.as_secs().max(1) });
    }
    let user = match auth.directory.authenticate(&username, &body.password).await {
        Ok(user) => user,
        Err(DirectoryError::InvalidCredentials) => {
            audit(&state, event(&username, &addr, "login_refused", "bad_credentials", String::new())).await?;
            return Err(ApiError::Unauthorized("invalid username or password".into()));
        }
        Err(DirectoryError::Unavailable(reason)) => {
            tracing::error!(%reason, "directory unavailable");
            audit(&state, event(&username, &addr, "login_refused", "directory_unavailable", reason)).await?;
            return Err(ApiError::Unavailable("the directory (LDAP) cannot be reached; nobody can sign in until it is back".into()));
        }
    };
    let Some(role) = auth.roles.role_for(&user.groups) else {
        audit(&state, event(&user.username, &addr, "login_refused", "no_role", user.groups.join(","))).await?;
        return Err(ApiError::Forbidden(refused_message(&auth.roles, &user.username)));
    };
    let (token, claims, csrf) =
        auth.keys.issue(&user.username, &user.display_name, role, now_secs()).map_err(ApiError::Internal)?;
    audit(&state, event(&user.username, &addr, "login", "ok", format!("role={}", serde_json::to_string(&role).unwrap_or_default()))).await?;
    let info = SessionInfo {
        user: user.username,
        display_name: user.display_name,
        role,
        csrf,
        expires_at: claims.exp,
        demo: state.demo,
    };
    let mut response = Json(info).into_response();
    if let Some(cookie) = cookie_value(&state, &token, auth.keys.lifetime.as_secs()) {
        response.headers_mut().append(SET_COOKIE, cookie);
    }
    Ok(response)
}

/// The current user, with a fresh CSRF token (the browser may have reloaded and lost its own).
pub async fn current(State(state): State<AppState>, CurrentUser(claims): CurrentUser) -> Result<Response, ApiError> {
    let csrf = random_token();
    let claims = Claims { csrf: csrf_digest(&csrf), ..claims };
    let token = state.auth.keys.sign(&claims).map_err(ApiError::Internal)?;
    let info = SessionInfo {
        user: claims.sub.clone(),
        display_name: claims.name.clone(),
        role: claims.role,
        csrf,
        expires_at: claims.exp,
        demo: state.demo,
    };
    let mut response = Json(info).into_response();
    if let Some(cookie) = cookie_value(&state, &token, claims.exp.saturating_sub(now_secs())) {
        response.headers_mut().append(SET_COOKIE, cookie);
    }
    Ok(response)
}

pub async fn logout(State(state): State<AppState>, ClientAddr(addr): ClientAddr, CurrentUser(claims): CurrentUser) -> Result<Response, ApiError> {
    state
        .auth
        .store
        .revoke_session(claims.jti.clone(), claims.auth_time + state.auth.keys.max_age.as_secs())
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    audit(&state, event(&claims.sub, &addr, "logout", "ok", String::new())).await?;
    let mut response = axum::http::StatusCode::NO_CONTENT.into_response();
    if let Some(cookie) = cookie_value(&state, "", 0) {
        response.headers_mut().append(SET_COOKIE, cookie);
    }
    Ok(response)
}
