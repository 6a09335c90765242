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

/// The current snapshot at once, then every new one; a dropped client simply reconnects.
pub async fn events(State(state): State<AppState>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let mut updates = state.poller.subscribe();
    let mut runs = state.engine.as_ref().map(|e| e.subscribe());
    let stream = async_stream::stream! {
        let first = updates.borrow_and_update().clone();
        if let Some(snapshot) = first {
            yield Ok(estate_event(&snapshot));
        }
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
            }
        }
    };
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
