//! `GET /api/estate` and `GET /api/events`: the published snapshot, and its updates as
//! server-sent events: the whole snapshot once (`estate`), then for every refresh what changed
//! (`estate-delta`) or, when nothing did, a heartbeat (`estate-heartbeat`); see
//! [`model::estate_delta`].

use super::AppState;
use crate::error::ApiError;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::Stream;
use model::estate::Snapshot;
use model::estate_delta::{self, EVENT_ESTATE};
use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::OnceCell;

/// The published snapshot as sent: its JSON and that JSON compressed, each made once by the
/// first request that wants it (not once per request: at thousands of requests a second,
/// compressing the estate each time would take the machine).
struct Encoded {
    snapshot: Arc<Snapshot>,
    json: OnceCell<Bytes>,
    br: OnceCell<Option<Bytes>>,
    gzip: OnceCell<Option<Bytes>>,
}

/// The newest snapshot's encodings, keyed by the snapshot itself (consoles sharing a process
/// take turns).
static ENCODED: Mutex<Option<Arc<Encoded>>> = Mutex::new(None);

fn encoded(snapshot: &Arc<Snapshot>) -> Arc<Encoded> {
    let mut slot = ENCODED.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    match slot.as_ref().filter(|e| Arc::ptr_eq(&e.snapshot, snapshot)) {
        Some(e) => Arc::clone(e),
        None => {
            let e = Arc::new(Encoded { snapshot: Arc::clone(snapshot), json: OnceCell::new(), br: OnceCell::new(), gzip: OnceCell::new() });
            *slot = Some(Arc::clone(&e));
            e
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Encoding {
    Br,
    Gzip,
    Identity,
}

/// What `Accept-Encoding` allows, brotli first (a coding with `q=0` is refused).
fn preferred(headers: &HeaderMap) -> Encoding {
    let accepted: Vec<String> = headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|item| {
            let mut parts = item.split(';').map(str::trim);
            let name = parts.next()?.to_ascii_lowercase();
            let refused = parts.any(|p| p.strip_prefix("q=").and_then(|q| q.trim().parse::<f32>().ok()) == Some(0.0));
            (!refused).then_some(name)
        })
        .collect();
    let takes = |name: &str| accepted.iter().any(|a| a == name || a == "*");
    if takes("br") {
        Encoding::Br
    } else if takes("gzip") {
        Encoding::Gzip
    } else {
        Encoding::Identity
    }
}

fn brotli(json: &[u8]) -> Option<Vec<u8>> {
    use std::io::Write;
    let mut writer = ::brotli::CompressorWriter::new(Vec::with_capacity(json.len() / 8), 4096, 6, 22);
    writer.write_all(json).ok()?;
    writer.flush().ok()?;
    Some(writer.into_inner())
}

fn gzip(json: &[u8]) -> Option<Vec<u8>> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::with_capacity(json.len() / 6), flate2::Compression::new(6));
    encoder.write_all(json).ok()?;
    encoder.finish().ok()
}

/// `json` compressed by `how`, made once (off the async workers).
async fn compressed(cell: &OnceCell<Option<Bytes>>, json: &Bytes, how: fn(&[u8]) -> Option<Vec<u8>>) -> Option<Bytes> {
    let json = json.clone();
    cell.get_or_init(|| async move { tokio::task::spawn_blocking(move || how(&json).map(Bytes::from)).await.ok().flatten() }).await.clone()
}

/// `GET /api/estate`: the newest snapshot, brotli- or gzip-compressed when the client takes it.
pub async fn estate(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let snapshot = state.poller.current().ok_or_else(|| ApiError::Unavailable("the first refresh of the estate has not finished yet".into()))?;
    let encoded = encoded(&snapshot);
    let json = encoded
        .json
        .get_or_init(|| async { serde_json::to_vec(&*snapshot).map(Bytes::from).unwrap_or_default() })
        .await
        .clone();
    let body = match preferred(&headers) {
        Encoding::Br => compressed(&encoded.br, &json, brotli).await.map(|b| (b, "br")),
        Encoding::Gzip => compressed(&encoded.gzip, &json, gzip).await.map(|b| (b, "gzip")),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn accepting(value: &str) -> Encoding {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT_ENCODING, HeaderValue::from_str(value).unwrap_or(HeaderValue::from_static("")));
        preferred(&headers)
    }

    #[test]
    fn brotli_first_then_gzip_and_never_a_refused_coding() {
        assert_eq!(accepting("gzip, deflate, br, zstd"), Encoding::Br);
        assert_eq!(accepting("gzip"), Encoding::Gzip);
        assert_eq!(accepting("br;q=0, GZIP;q=0.5"), Encoding::Gzip);
        assert_eq!(accepting("br;q=0.0, gzip;q=0"), Encoding::Identity);
        assert_eq!(accepting("identity"), Encoding::Identity);
        assert_eq!(accepting("*"), Encoding::Br);
        assert_eq!(preferred(&HeaderMap::new()), Encoding::Identity);
    }

    #[test]
    fn what_is_compressed_comes_back_the_same() {
        let json = br#"{"polled_at":1,"regions":[],"findings":[]}"#.repeat(50);
        let mut back = Vec::new();
        let br = brotli(&json).unwrap_or_default();
        std::io::copy(&mut ::brotli::Decompressor::new(&br[..], 4096), &mut back).map(drop).unwrap_or_default();
        assert_eq!(back, json);
        back.clear();
        let gz = gzip(&json).unwrap_or_default();
        std::io::copy(&mut flate2::read::GzDecoder::new(&gz[..]), &mut back).map(drop).unwrap_or_default();
        assert_eq!(back, json);
        assert!(br.len() < json.len() / 10 && gz.len() < json.len() / 10);
    }
}
