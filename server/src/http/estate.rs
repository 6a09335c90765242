//! `GET /api/estate` and `GET /api/events`: the published snapshot, and its updates as
//! server-sent events: the whole snapshot once (`estate`), then for every refresh what changed
//! (`estate-delta`) or, when nothing did, a heartbeat (`estate-heartbeat`); see
//! [`model::estate_delta`].

use super::AppState;
use super::estate_wire::{self, Encoding, KEEP_ALIVE};
use crate::error::ApiError;
use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use model::estate::Snapshot;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

/// `GET /api/estate`: the newest snapshot, brotli- or gzip-compressed when the client takes it.
pub async fn estate(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let snapshot = state.poller.current().ok_or_else(|| ApiError::Unavailable("the first refresh of the estate has not finished yet".into()))?;
    let encoded = state.wire.encoded(&snapshot);
    let json = encoded.json().await;
    let body = match estate_wire::preferred(&headers) {
        Encoding::Br => estate_wire::compressed(&encoded.br, &json, estate_wire::brotli).await.map(|b| (b, "br")),
        Encoding::Gzip => estate_wire::compressed(&encoded.gzip, &json, estate_wire::gzip).await.map(|b| (b, "gzip")),
        Encoding::Identity => None,
    };
    let mut response = match body {
        Some((bytes, coding)) => ([(header::CONTENT_ENCODING, coding)], bytes).into_response(),
        None => json.into_response(),
    };
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    Ok(response)
}

/// An operator asks for a refresh now (e.g. right after acting by hand on a host).
pub async fn refresh_now(State(state): State<AppState>, _operator: super::session::Operator) -> Json<Arc<Snapshot>> {
    Json(state.poller.refresh().await)
}

/// How often an open stream checks that its session still holds (expiry, revocation from
/// another process, the directory's re-check).
const SESSION_CHECK: Duration = Duration::from_secs(2);

/// How often a quiet stream sends a comment line.
const KEEP_ALIVE_EVERY: Duration = Duration::from_secs(15);

/// The current snapshot at once, then for every new one what changed since the one this
/// stream sent last (a stream that falls behind skips refreshes, and its next delta spans
/// them); a dropped client simply reconnects. The stream ends with its session: at logout,
/// at expiry, when it is revoked or the user's rights are withdrawn; each session, user and
/// the console have a cap on open streams.
pub async fn events(State(state): State<AppState>, super::session::CurrentUser(claims): super::session::CurrentUser) -> Result<Response, ApiError> {
    let guard = state.auth.streams.open(&claims.jti, &claims.sub)?;
    let mut updates = state.poller.subscribe();
    let mut runs = Some(state.engine.subscribe());
    let mut ended = state.auth.ended.subscribe();
    let stream = async_stream::stream! {
        let _place = guard;
        let mut claims = claims;
        let mut sent = updates.borrow_and_update().clone();
        if let Some(snapshot) = &sent {
            yield Ok::<Bytes, Infallible>(state.wire.encoded(snapshot).frame().await);
        }
        let mut keep_alive = tokio::time::interval_at(tokio::time::Instant::now() + KEEP_ALIVE_EVERY, KEEP_ALIVE_EVERY);
        // Each stream checks at its own phase: streams opened together (a console restarted
        // under a thousand viewers) would otherwise query the store all at once, every time.
        let phase = Duration::from_millis(rand::random_range(0..SESSION_CHECK.as_millis() as u64));
        let mut check = tokio::time::interval_at(tokio::time::Instant::now() + phase, SESSION_CHECK);
        loop {
            let run_update = async {
                match runs.as_mut() {
                    Some(rx) => rx.recv().await.ok(),
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                changed = updates.changed() => {
                    if changed.is_err() { break; }
                    let next = updates.borrow_and_update().clone();
                    match (&sent, next) {
                        (Some(from), Some(to)) if !Arc::ptr_eq(from, &to) => {
                            yield Ok(state.wire.delta_frame(from, &to).await);
                            sent = Some(to);
                        }
                        (None, Some(to)) => {
                            yield Ok(state.wire.encoded(&to).frame().await);
                            sent = Some(to);
                        }
                        _ => {}
                    }
                }
                run = run_update => {
                    // A lagging receiver skips runs; the next update carries the whole run again.
                    if let Some(run) = run {
                        yield Ok(estate_wire::json_frame("run", &run));
                    }
                }
                end = ended.recv() => match end {
                    Ok(super::SessionEnded::Session(jti)) if jti == claims.jti => break,
                    Ok(super::SessionEnded::All) => break,
                    Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                },
                _ = check.tick() => {
                    if !session_holds(&state, &mut claims).await {
                        break;
                    }
                }
                _ = keep_alive.tick() => yield Ok(KEEP_ALIVE),
            }
        }
    };
    // Frames shared by every stream (see estate_wire), so the body is written by hand in
    // the server-sent-events format rather than through axum's per-stream `Event`.
    let mut response = Body::from_stream(stream).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(response)
}

/// Whether an open stream's session still holds now.
async fn session_holds(state: &AppState, claims: &mut crate::auth::session::Claims) -> bool {
    let now = super::session::now_secs();
    if now >= claims.exp {
        return false;
    }
    // A store that cannot say whether the session was revoked ends the stream (fail closed);
    // the browser reconnects, and its request is checked again.
    if state.store.is_revoked(claims.jti.clone(), claims.sub.clone(), claims.auth_time).await.unwrap_or(true) {
        return false;
    }
    if now < claims.checked_at + state.auth.recheck.as_secs() {
        return true;
    }
    match state.auth.current_role(&claims.dn, now).await {
        super::session::RoleCheck::Role(_) => {
            claims.checked_at = now;
            true
        }
        super::session::RoleCheck::Withdrawn(_) => false,
        // A viewer's stream needs no operator rights: it goes on until the directory answers.
        super::session::RoleCheck::Unavailable => true,
    }
}
