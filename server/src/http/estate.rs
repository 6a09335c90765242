//! `GET /api/estate` and `GET /api/events`: the published snapshot, and its updates as
//! server-sent events.

use super::AppState;
use crate::error::ApiError;
use axum::Json;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use model::estate::Snapshot;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

pub async fn estate(State(state): State<AppState>) -> Result<Json<Arc<Snapshot>>, ApiError> {
    state
        .poller
        .current()
        .map(Json)
        .ok_or_else(|| ApiError::Unavailable("the first refresh of the estate has not finished yet".into()))
}

/// An operator asks for a refresh now (e.g. right after acting by hand on a host).
pub async fn refresh_now(State(state): State<AppState>, _operator: super::session::Operator) -> Json<Arc<Snapshot>> {
    Json(state.poller.refresh().await)
}

fn estate_event(snapshot: &Snapshot) -> Event {
    Event::default().event("estate").json_data(snapshot).unwrap_or_else(|_| Event::default().event("error"))
}

/// How often an open stream checks that its session still holds (expiry, revocation from
/// another process, the directory's re-check).
const SESSION_CHECK: Duration = Duration::from_secs(2);

/// The current snapshot at once, then every new one; a dropped client simply reconnects.
/// The stream ends with its session: at logout, at expiry, when it is revoked or the user's
/// rights are withdrawn; each session, user and the console have a cap on open streams.
pub async fn events(State(state): State<AppState>, super::session::CurrentUser(claims): super::session::CurrentUser) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let guard = state.auth.streams.open(&claims.jti, &claims.sub)?;
    let mut updates = state.poller.subscribe();
    let mut runs = Some(state.engine.subscribe());
    let mut ended = state.auth.ended.subscribe();
    let stream = async_stream::stream! {
        let _place = guard;
        let mut claims = claims;
        let first = updates.borrow_and_update().clone();
        if let Some(snapshot) = first {
            yield Ok(estate_event(&snapshot));
        }
        let mut check = tokio::time::interval(SESSION_CHECK);
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
                    if let Some(snapshot) = next {
                        yield Ok(estate_event(&snapshot));
                    }
                }
                run = run_update => {
                    // A lagging receiver skips runs; the next update carries the whole run again.
                    if let Some(run) = run {
                        yield Ok(Event::default().event("run").json_data(&run).unwrap_or_else(|_| Event::default().event("error")));
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
            }
        }
    };
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
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
