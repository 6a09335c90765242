//! The estate as it goes on the wire, made once and shared by every request and stream: the
//! snapshot's JSON and its brotli and gzip encodings, and the server-sent-event frames of the
//! whole snapshot and of each delta. A thousand viewers then share one copy of each (a frame
//! made per viewer cost its 60 KB per viewer at once, the high-water mark staying in the heap).

use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::http::header;
use model::estate::Snapshot;
use model::estate_delta::{self, EVENT_ESTATE};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

/// The published snapshot as sent: its JSON and that JSON compressed, each made once by the
/// first request that wants it (not once per request: at thousands of requests a second,
/// compressing the estate each time would take the machine).
pub struct Encoded {
    snapshot: Arc<Snapshot>,
    json: OnceCell<Bytes>,
    pub br: OnceCell<Option<Bytes>>,
    pub gzip: OnceCell<Option<Bytes>>,
    /// `event: estate` with the JSON as its data.
    frame: OnceCell<Bytes>,
}

/// One console's cache of what it sends: the newest snapshot's encodings and the last few
/// deltas, each keyed by the snapshots themselves (a stream that holds an older snapshot
/// asks for its own pair).
#[derive(Default)]
pub struct EstateWire {
    encoded: Mutex<Option<Arc<Encoded>>>,
    deltas: Mutex<VecDeque<CachedDelta>>,
}

impl EstateWire {
    /// The encodings of `snapshot`, made (lazily) once however many ask.
    pub fn encoded(&self, snapshot: &Arc<Snapshot>) -> Arc<Encoded> {
        let mut slot = self.encoded.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match slot.as_ref().filter(|e| Arc::ptr_eq(&e.snapshot, snapshot)) {
            Some(e) => Arc::clone(e),
            None => {
                let e = Arc::new(Encoded { snapshot: Arc::clone(snapshot), json: OnceCell::new(), br: OnceCell::new(), gzip: OnceCell::new(), frame: OnceCell::new() });
                *slot = Some(Arc::clone(&e));
                e
            }
        }
    }

    /// The event that takes a viewer holding `from` to `to`.
    pub async fn delta_frame(&self, from: &Arc<Snapshot>, to: &Arc<Snapshot>) -> Bytes {
        let cell = {
            let mut deltas = self.deltas.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            match deltas.iter().find(|d| Arc::ptr_eq(&d.from, from) && Arc::ptr_eq(&d.to, to)) {
                Some(d) => Arc::clone(&d.frame),
                None => {
                    let frame = Arc::new(OnceCell::new());
                    if deltas.len() == DELTAS_KEPT {
                        deltas.pop_front();
                    }
                    deltas.push_back(CachedDelta { from: Arc::clone(from), to: Arc::clone(to), frame: Arc::clone(&frame) });
                    frame
                }
            }
        };
        cell.get_or_init(|| async {
            let delta = estate_delta::diff(from, to);
            json_frame(delta.event_name(), &delta)
        })
        .await
        .clone()
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Encoding {
    Br,
    Gzip,
    Identity,
}

/// What `Accept-Encoding` allows, brotli first (a coding with `q=0` is refused).
pub fn preferred(headers: &HeaderMap) -> Encoding {
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

pub fn brotli(json: &[u8]) -> Option<Vec<u8>> {
    use std::io::Write;
    let mut writer = ::brotli::CompressorWriter::new(Vec::with_capacity(json.len() / 8), 4096, 6, 22);
    writer.write_all(json).ok()?;
    writer.flush().ok()?;
    Some(writer.into_inner())
}

pub fn gzip(json: &[u8]) -> Option<Vec<u8>> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::with_capacity(json.len() / 6), flate2::Compression::new(6));
    encoder.write_all(json).ok()?;
    encoder.finish().ok()
}

/// `json` compressed by `how`, made once (off the async workers).
pub async fn compressed(cell: &OnceCell<Option<Bytes>>, json: &Bytes, how: fn(&[u8]) -> Option<Vec<u8>>) -> Option<Bytes> {
    let json = json.clone();
    cell.get_or_init(|| async move { tokio::task::spawn_blocking(move || how(&json).map(Bytes::from)).await.ok().flatten() }).await.clone()
}

impl Encoded {
    /// The snapshot's JSON, made once.
    pub async fn json(&self) -> Bytes {
        self.json.get_or_init(|| async { serde_json::to_vec(&*self.snapshot).map(Bytes::from).unwrap_or_default() }).await.clone()
    }

    /// The `estate` event of the snapshot, made once.
    pub async fn frame(&self) -> Bytes {
        let json = self.json().await;
        self.frame.get_or_init(|| async { frame_bytes(EVENT_ESTATE, &json) }).await.clone()
    }
}

/// One server-sent event: `event: NAME`, the data on one line (JSON has no raw newlines).
fn frame_bytes(name: &str, data: &[u8]) -> Bytes {
    let mut frame = Vec::with_capacity(data.len() + name.len() + 16);
    frame.extend_from_slice(b"event: ");
    frame.extend_from_slice(name.as_bytes());
    frame.extend_from_slice(b"\ndata: ");
    frame.extend_from_slice(data);
    frame.extend_from_slice(b"\n\n");
    Bytes::from(frame)
}

/// An event of `name` carrying `value` as JSON.
pub fn json_frame(name: &str, value: &impl serde::Serialize) -> Bytes {
    match serde_json::to_vec(value) {
        Ok(data) => frame_bytes(name, &data),
        Err(_) => Bytes::from_static(b"event: error\ndata: \n\n"),
    }
}

/// A comment line: keeps proxies from closing a quiet stream.
pub const KEEP_ALIVE: Bytes = Bytes::from_static(b":\n\n");


/// A delta between two published snapshots, made once for every stream that needs it.
struct CachedDelta {
    from: Arc<Snapshot>,
    to: Arc<Snapshot>,
    frame: Arc<OnceCell<Bytes>>,
}

/// How many deltas are kept: streams that fell behind ask for older pairs.
const DELTAS_KEPT: usize = 4;

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

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
