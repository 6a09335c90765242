//! `GET /api/estate` and `GET /api/events`: the published snapshot, and its updates as
//! server-sent events: the whole snapshot once (`estate`), then for every refresh what changed
//! (`estate-delta`) or, when nothing did, a heartbeat (`estate-heartbeat`); see
//! [`model::estate_delta`].

use super::AppState;
use crate::error::ApiError;
use axum::Json;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use model::estate::Snapshot;
use model::estate_delta::{self, EVENT_ESTATE};
use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::OnceCell;

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
    Event::default().event(EVENT_ESTATE).json_data(snapshot).unwrap_or_else(|_| Event::default().event("error"))
}

/// A delta as sent: its event name and JSON.
type DeltaText = (&'static str, String);

/// A delta between two published snapshots, made once for every stream that needs it.
struct CachedDelta {
    from: Arc<Snapshot>,
    to: Arc<Snapshot>,
    text: Arc<OnceCell<DeltaText>>,
}

/// The last few deltas made (streams that fell behind ask for older pairs). Keyed by the
/// snapshots themselves, so that consoles sharing a process never mix theirs.
static DELTAS: Mutex<VecDeque<CachedDelta>> = Mutex::new(VecDeque::new());
const DELTAS_KEPT: usize = 4;

/// The event that takes a viewer holding `from` to `to`.
async fn delta_event(from: &Arc<Snapshot>, to: &Arc<Snapshot>) -> Event {
    let cell = {
        let mut deltas = DELTAS.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match deltas.iter().find(|d| Arc::ptr_eq(&d.from, from) && Arc::ptr_eq(&d.to, to)) {
            Some(d) => Arc::clone(&d.text),
            None => {
                let text = Arc::new(OnceCell::new());
                if deltas.len() == DELTAS_KEPT {
                    deltas.pop_front();
                }
                deltas.push_back(CachedDelta { from: Arc::clone(from), to: Arc::clone(to), text: Arc::clone(&text) });
                text
            }
        }
    };
    let (name, text) = cell
        .get_or_init(|| async {
            let delta = estate_delta::diff(from, to);
            (delta.event_name(), serde_json::to_string(&delta).unwrap_or_default())
        })
        .await;
    Event::default().event(*name).data(text.as_str())
}

/// How often an open stream checks that its session still holds (expiry, revocation from
/// another process, the directory's re-check).
const SESSION_CHECK: Duration = Duration::from_secs(2);

/// The current snapshot at once, then for every new one what changed since the one this
/// stream sent last (a stream that falls behind skips refreshes, and its next delta spans
/// them); a dropped client simply reconnects. The stream ends with its session: at logout,
/// at expiry, when it is revoked or the user's rights are withdrawn; each session, user and
/// the console have a cap on open streams.
pub async fn events(State(state): State<AppState>, super::session::CurrentUser(claims): super::session::CurrentUser) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let guard = state.auth.streams.open(&claims.jti, &claims.sub)?;
    let mut updates = state.poller.subscribe();
    let mut runs = Some(state.engine.subscribe());
    let mut ended = state.auth.ended.subscribe();
    let stream = async_stream::stream! {
        let _place = guard;
        let mut claims = claims;
        let mut sent = updates.borrow_and_update().clone();
        if let Some(snapshot) = &sent {
            yield Ok(estate_event(snapshot));
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
                    match (&sent, next) {
                        (Some(from), Some(to)) if !Arc::ptr_eq(from, &to) => {
                            yield Ok(delta_event(from, &to).await);
                            sent = Some(to);
                        }
                        (None, Some(to)) => {
                            yield Ok(estate_event(&to));
                            sent = Some(to);
                        }
                        _ => {}
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
