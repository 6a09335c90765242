//! `POST/GET/DELETE /api/session`, and the layer every other `/api` route sits behind: a
//! valid session whose rights the directory has confirmed recently, CSRF on every change.

use super::AppState;
use crate::auth::directory::DirectoryError;
use crate::auth::session::{COOKIE, Claims};
use crate::auth::{Role, RoleMap};
use crate::error::{ApiError, ApiJson};
use crate::store::AuditEvent;
use axum::Json;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::header::{HeaderValue, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::net::SocketAddr;

pub const CSRF_HEADER: &str = "x-csrf-token";

#[derive(Deserialize)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

pub use model::session::SessionInfo;

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

/// Whether the directory confirmed the session's role within the re-check interval (it may
/// be unavailable: then the role is not extended).
#[derive(Debug, Clone, Copy)]
struct RoleConfirmed(bool);

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

/// A signed-in operator whose role the directory confirmed recently; viewers get 403.
pub struct Operator(pub Claims);

impl<S: Send + Sync> FromRequestParts<S> for Operator {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let CurrentUser(claims) = CurrentUser::from_request_parts(parts, state).await?;
        if claims.role != Role::Operator {
            return Err(ApiError::Forbidden(format!("{} is a viewer; only operators may do this", claims.sub)));
        }
        if parts.extensions.get::<RoleConfirmed>().is_some_and(|c| !c.0) {
            return Err(ApiError::Unavailable(format!(
                "{}'s operator rights could not be re-confirmed: the directory does not answer; they return when it does",
                claims.sub
            )));
        }
        Ok(Operator(claims))
    }
}

pub use crate::clock::now_secs;

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

/// A sign-in's record (made or refused): in the chain, or, while the shared store cannot be
/// written, in this console's spool until it can (viewers and operators may look at the estate
/// without quorum; workflows stay refused).
async fn audit_sign_in(state: &AppState, event: AuditEvent) -> Result<(), ApiError> {
    state.auth.store.audit_sign_in(event).await.map(|_| ()).map_err(|e| {
        ApiError::Unavailable(format!("the audit log cannot be written, so nothing is done: {e}"))
    })
}

fn event(actor: &str, source: &str, action: &str, result: &str, details: String) -> AuditEvent {
    AuditEvent::new(actor, source, action, actor, result, details)
}

/// A session as verified for one request.
pub struct Verified {
    pub claims: Claims,
    /// The directory confirmed the role within the interval (false: it did not answer).
    pub confirmed: bool,
    /// The claims changed (role re-checked): the cookie must be re-issued.
    pub changed: bool,
}

/// Verifies the session cookie in `headers`: signature, expiry, not revoked (by logout or by
/// `sessions revoke`), and, once the re-check interval has passed, the role the directory
/// gives the user now. A user who lost every group loses the session at once.
pub async fn verify_session(state: &AppState, headers: &HeaderMap, source: &str) -> Result<Verified, ApiError> {
    let token = session_cookie(headers).ok_or_else(|| ApiError::Unauthorized("sign in first".into()))?;
    let mut claims = state
        .auth
        .keys
        .verify(&token)
        .map_err(|_| ApiError::Unauthorized("the session is invalid or has expired; sign in again".into()))?;
    let revoked = state.auth.store.is_revoked(claims.jti.clone(), claims.sub.clone(), claims.auth_time).await?;
    if revoked {
        return Err(ApiError::Unauthorized("the session has ended; sign in again".into()));
    }
    let now = now_secs();
    if now < claims.checked_at + state.auth.recheck.as_secs() {
        return Ok(Verified { claims, confirmed: true, changed: false });
    }
    match state.auth.current_role(&claims.dn, now).await {
        RoleCheck::Role(role) => {
            if role != claims.role {
                let change = format!("role {:?} -> {role:?} (directory groups changed)", claims.role);
                audit(state, event(&claims.sub, source, "session_role", "changed", change)).await?;
            }
            claims.role = role;
            claims.checked_at = now;
            Ok(Verified { claims, confirmed: true, changed: true })
        }
        RoleCheck::Withdrawn(why) => {
            end_session(state, &claims).await?;
            audit(state, event(&claims.sub, source, "session_ended", "withdrawn", why.clone())).await?;
            Err(ApiError::Unauthorized(format!("your session has ended: {why}; sign in again")))
        }
        RoleCheck::Unavailable => Ok(Verified { claims, confirmed: false, changed: false }),
    }
}

/// Revokes the session and closes its event streams.
async fn end_session(state: &AppState, claims: &Claims) -> Result<(), ApiError> {
    state.auth.store.revoke_session(claims.jti.clone(), claims.auth_time + state.auth.keys.max_age.as_secs()).await?;
    let _ = state.auth.ended.send(super::SessionEnded::Session(claims.jti.clone()));
    Ok(())
}

/// What the directory says of a session's user now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleCheck {
    Role(Role),
    /// No longer in any group of the console, or the entry is gone.
    Withdrawn(String),
    /// The directory did not answer: rights are not extended.
    Unavailable,
}

impl super::AuthState {
    /// The role the directory gives `dn` now; one lookup per user per interval whatever the
    /// number of requests (a failed lookup too, so an outage is not hammered).
    pub async fn current_role(&self, dn: &str, now: u64) -> RoleCheck {
        let reuse_for = self.recheck.as_secs().clamp(1, 30);
        if let Ok(cache) = self.role_checks.lock()
            && let Some((at, outcome)) = cache.get(dn)
            && now < at + reuse_for
        {
            return outcome.clone();
        }
        let outcome = if dn.is_empty() {
            RoleCheck::Withdrawn("the session does not name its directory entry".into())
        } else {
            match self.directory.lookup(dn).await {
                Ok(Some(user)) => match self.roles.role_for(&user.groups) {
                    Some(role) => RoleCheck::Role(role),
                    None => RoleCheck::Withdrawn(refused_message(&self.roles, &user.username)),
                },
                Ok(None) => RoleCheck::Withdrawn(format!("{dn} is no longer in the directory")),
                Err(DirectoryError::InvalidCredentials) => RoleCheck::Withdrawn(format!("{dn} was refused by the directory")),
                Err(DirectoryError::Unavailable(reason)) => {
                    tracing::warn!(%reason, "directory unavailable: session rights not re-confirmed");
                    RoleCheck::Unavailable
                }
            }
        };
        if let Ok(mut cache) = self.role_checks.lock() {
            cache.retain(|_, (at, _)| now < *at + reuse_for);
            cache.insert(dn.to_string(), (now, outcome.clone()));
        }
        outcome
    }
}

/// Every `/api` route but sign-in: a valid, unrevoked session with confirmed rights; the
/// CSRF token on anything that changes state; a renewed cookie when more than half the
/// session has passed or the role was re-checked.
pub async fn require_session(State(state): State<AppState>, ClientAddr(addr): ClientAddr, mut request: Request, next: Next) -> Result<Response, ApiError> {
    let Verified { claims, confirmed, changed } = verify_session(&state, request.headers(), &addr).await?;
    let safe = matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe {
        let sent = request.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
        if !state.auth.keys.csrf_matches(&claims.jti, sent) {
            return Err(ApiError::CsrfRejected("missing or wrong X-CSRF-Token header".into()));
        }
    }
    let renewed = state.auth.keys.renew(&claims, now_secs()).or_else(|| changed.then(|| claims.clone()));
    request.extensions_mut().insert(CurrentUser(claims));
    request.extensions_mut().insert(RoleConfirmed(confirmed));
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

pub async fn login(State(state): State<AppState>, ClientAddr(addr): ClientAddr, ApiJson(body): ApiJson<LoginRequest>) -> Result<Response, ApiError> {
    let auth = &state.auth;
    let username = body.username.trim().to_string();
    if username.len() > 256 || username.chars().any(char::is_control) {
        return Err(ApiError::BadRequest("the user name is too long or contains control characters".into()));
    }
    if let Err(wait) = auth.limiter.check(&username, &addr) {
        // The first refusal of a kind is audited now; the rest are counted and written as one
        // record a minute (see `flush_refusals`).
        if auth.limiter.note_refusal(&username, &addr) {
            audit_sign_in(&state, event(&username, &addr, "login_refused", "rate_limited", String::new())).await?;
        }
        return Err(ApiError::TooManyRequests { retry_after_secs: wait.as_secs().max(1), message: None });
    }
    let user = match auth.directory.authenticate(&username, &body.password).await {
        Ok(user) => user,
        Err(DirectoryError::InvalidCredentials) => {
            audit_sign_in(&state, event(&username, &addr, "login_refused", "bad_credentials", String::new())).await?;
            return Err(ApiError::Unauthorized("invalid username or password".into()));
        }
        Err(DirectoryError::Unavailable(reason)) => {
            tracing::error!(%reason, "directory unavailable");
            audit_sign_in(&state, event(&username, &addr, "login_refused", "directory_unavailable", reason)).await?;
            return Err(ApiError::Unavailable("the directory (LDAP) cannot be reached; nobody can sign in until it is back".into()));
        }
    };
    let Some(role) = auth.roles.role_for(&user.groups) else {
        audit_sign_in(&state, event(&user.username, &addr, "login_refused", "no_role", user.groups.join(","))).await?;
        return Err(ApiError::Forbidden(refused_message(&auth.roles, &user.username)));
    };
    let (token, claims, csrf) =
        auth.keys.issue(&user.username, &user.dn, &user.display_name, role, now_secs()).map_err(ApiError::Internal)?;
    let typed = if username == user.username { String::new() } else { format!("; typed as {username:?}") };
    audit_sign_in(&state, event(&user.username, &addr, "login", "ok", format!("role={}{typed}", serde_json::to_string(&role).unwrap_or_default()))).await?;
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

/// The current user and the session's CSRF token (the browser may have reloaded and lost
/// it); reading the session changes nothing.
pub async fn current(State(state): State<AppState>, CurrentUser(claims): CurrentUser) -> Json<SessionInfo> {
    Json(SessionInfo {
        user: claims.sub.clone(),
        display_name: claims.name.clone(),
        role: claims.role,
        csrf: state.auth.keys.csrf_token(&claims.jti),
        expires_at: claims.exp,
        demo: state.demo,
    })
}

pub async fn logout(State(state): State<AppState>, ClientAddr(addr): ClientAddr, CurrentUser(claims): CurrentUser) -> Result<Response, ApiError> {
    end_session(&state, &claims).await?;
    audit(&state, event(&claims.sub, &addr, "logout", "ok", String::new())).await?;
    let mut response = axum::http::StatusCode::NO_CONTENT.into_response();
    if let Some(cookie) = cookie_value(&state, "", 0) {
        response.headers_mut().append(SET_COOKIE, cookie);
    }
    Ok(response)
}

/// Writes the tallied rate-limit refusals as one audit record per user and address.
pub async fn flush_refusals(auth: &super::AuthState) {
    for (user, address, count) in auth.limiter.drain_refusals() {
        let record = AuditEvent::new(&user, &address, "login_refused", &user, "rate_limited", format!("{count} more attempts refused for too many attempts"));
        if let Err(e) = auth.store.audit_sign_in(record).await {
            tracing::error!(error = %e, "refused sign-ins not recorded in the audit log");
        }
    }
}
