//! The event stream over a lab (a real `serve` over SSH): the whole estate once, then only
//! what changed, a small heartbeat when nothing did; a viewer that follows the deltas holds
//! what `GET /api/estate` says, and one that reconnects after missing changes ends with the
//! same estate as a fresh one. `GET /api/estate` is sent compressed.

// Test helpers unwrap like the tests they serve (clippy's allow-unwrap-in-tests covers only
// #[test] functions).
#![allow(clippy::unwrap_used)]

mod common;

use common::serve::{Client, Console};
use model::estate::Snapshot;
use model::estate_delta::{self, DeltaError, EVENT_DELTA, EVENT_ESTATE, EVENT_HEARTBEAT, EstateDelta};
use sim::lab::Lab;
use std::time::{Duration, Instant};

/// One server-sent event as it came: its name, data and size on the wire.
#[derive(Debug)]
struct Sse {
    name: String,
    data: String,
    bytes: usize,
}

/// A browser's view of the estate: an open event stream and the snapshot it keeps.
struct Viewer {
    response: reqwest::Response,
    buffer: Vec<u8>,
    estate: Option<Snapshot>,
}

impl Viewer {
    async fn open(client: &Client) -> Viewer {
        let response = client.http.get(format!("{}/api/events", client.base)).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        Viewer { response, buffer: Vec::new(), estate: None }
    }

    /// The next event (keep-alive comments skipped).
    async fn next_event(&mut self) -> Sse {
        loop {
            if let Some(end) = self.buffer.windows(2).position(|w| w == b"\n\n") {
                let block: Vec<u8> = self.buffer.drain(..end + 2).collect();
                let text = String::from_utf8(block).unwrap();
                let mut name = String::from("message");
                let mut data = Vec::new();
                for line in text.lines() {
                    if let Some(n) = line.strip_prefix("event:") {
                        name = n.trim().to_string();
                    } else if let Some(d) = line.strip_prefix("data:") {
                        data.push(d.strip_prefix(' ').unwrap_or(d));
                    }
                }
                if data.is_empty() {
                    continue;
                }
                return Sse { name, data: data.join("\n"), bytes: text.len() };
            }
            let chunk = tokio::time::timeout(Duration::from_secs(30), self.response.chunk()).await.expect("an event within 30 s").unwrap();
            self.buffer.extend_from_slice(&chunk.expect("the stream stays open"));
        }
    }

    /// The next estate event, taken in as the app takes it: the whole, or a delta applied to
    /// what is held. Run events are skipped.
    async fn follow(&mut self) -> Sse {
        loop {
            let event = self.next_event().await;
            match event.name.as_str() {
                EVENT_ESTATE => self.estate = Some(serde_json::from_str(&event.data).unwrap()),
                EVENT_DELTA | EVENT_HEARTBEAT => {
                    let delta: EstateDelta = serde_json::from_str(&event.data).unwrap();
                    assert_eq!(delta.is_heartbeat(), event.name == EVENT_HEARTBEAT, "{}", event.data);
                    estate_delta::apply(self.estate.as_mut().expect("the whole estate came first"), &delta).unwrap();
                }
                _ => continue,
            }
            return event;
        }
    }

    fn version(&self) -> u64 {
        self.estate.as_ref().map_or(0, |s| s.version)
    }
}

async fn estate(client: &Client) -> Snapshot {
    client.http.get(format!("{}/api/estate", client.base)).send().await.unwrap().json().await.unwrap()
}

fn node<'a>(snapshot: &'a Snapshot, name: &str) -> &'a model::estate::NodeView {
    snapshot.regions.iter().flat_map(|r| &r.nodes).find(|n| n.name == name).unwrap()
}

/// Follows `viewer` until it holds the same version as `GET /api/estate`, and returns that.
async fn aligned(viewer: &mut Viewer, client: &Client) -> Snapshot {
    for _ in 0..20 {
        let whole = estate(client).await;
        while viewer.version() < whole.version {
            viewer.follow().await;
        }
        if viewer.version() == whole.version {
            return whole;
        }
    }
    panic!("the viewer never caught up with GET /api/estate");
}

/// Follows `viewer` until `done` holds of its estate; the bytes of the estate events on the way.
async fn follow_until(viewer: &mut Viewer, what: &str, done: impl Fn(&Snapshot) -> bool) -> Vec<(String, usize)> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    while !viewer.estate.as_ref().is_some_and(&done) {
        assert!(Instant::now() < deadline, "{what} not seen within 60 s");
        let event = viewer.follow().await;
        seen.push((event.name, event.bytes));
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viewers_follow_changes_by_deltas_and_a_reconnecting_one_ends_as_a_fresh_one() {
    let lab = Lab::start_default();
    let _console = Console::start(lab.var("LAB_CONSOLE_CONFIG"));
    let base = lab.var("LAB_CONSOLE_URL");
    let client = Client::login(base).await;

    // A stays connected throughout; the whole estate comes first.
    let mut a = Viewer::open(&client).await;
    let first = a.follow().await;
    assert_eq!(first.name, EVENT_ESTATE);
    eprintln!("first event: {} bytes (the whole estate)", first.bytes);

    // The estate settles (the certificate inventory's findings join after the first
    // refreshes); then a refresh that changes nothing costs each viewer a heartbeat.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut heartbeats = Vec::new();
    while heartbeats.len() < 3 {
        assert!(Instant::now() < deadline, "no three heartbeats in a row within 60 s: {heartbeats:?}");
        let event = a.follow().await;
        if event.name == EVENT_HEARTBEAT {
            heartbeats.push(event.bytes);
        } else {
            eprintln!("while settling: {} {} bytes: {}", event.name, event.bytes, event.data);
            heartbeats.clear();
        }
    }
    eprintln!("unchanged refreshes: {heartbeats:?} bytes each");
    assert!(heartbeats.iter().all(|b| *b < 200), "{heartbeats:?}");

    // B takes the estate, then drops its stream and misses what follows.
    let mut b = Viewer::open(&client).await;
    b.follow().await;
    let missed_from = b.estate.take().unwrap();
    drop(b);

    // One queue manager's change.
    let out = lab.sim(&["fault", "dr-status", "DRHAQM1", "Synchronization in progress", "2048"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let seen = follow_until(&mut a, "DRHAQM1 behind", |s| {
        s.qmgrs.iter().any(|q| q.name == "DRHAQM1" && q.sides.iter().any(|side| side.dr_out_of_sync_kb == Some(2048)))
    })
    .await;
    eprintln!("DRHAQM1's DR falls behind: {seen:?}");
    assert!(seen.iter().all(|(_, bytes)| *bytes < 2048), "{seen:?}");

    // A node goes down.
    let out = lab.sim(&["fault", "node-down", "dal2-mq1"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let seen = follow_until(&mut a, "dal2-mq1 unreachable", |s| !node(s, "dal2-mq1").reachable).await;
    eprintln!("dal2-mq1 goes down: {seen:?}");
    // While it stays down, its finding names the time it last answered (not an age), so once
    // its peers have noticed, refreshes are heartbeats again.
    let mut down = Vec::new();
    for _ in 0..6 {
        let event = a.follow().await;
        let settled = event.name == model::estate_delta::EVENT_HEARTBEAT;
        down.push((event.name, event.bytes, event.data));
        if settled {
            break;
        }
    }
    eprintln!("dal2-mq1 stays down: {:?}", down.iter().map(|(name, bytes, _)| (name, bytes)).collect::<Vec<_>>());
    assert!(down.iter().all(|(_, bytes, _)| *bytes < 1024), "{down:?}");
    assert!(down.last().is_some_and(|(name, bytes, _)| *name == model::estate_delta::EVENT_HEARTBEAT && *bytes < 200), "{down:?}");

    // The viewer that stayed holds what GET /api/estate says, up to what deltas leave out.
    let whole = aligned(&mut a, &client).await;
    assert!(!node(&whole, "dal2-mq1").reachable);
    assert_eq!(estate_delta::settle(a.estate.as_ref().unwrap()), estate_delta::settle(&whole));

    // B comes back: the whole estate first; a delta to what it held before is refused.
    let mut b = Viewer::open(&client).await;
    assert_eq!(b.follow().await.name, EVENT_ESTATE);
    let event = b.follow().await;
    let delta: EstateDelta = serde_json::from_str(&event.data).unwrap();
    let mut stale = missed_from.clone();
    assert!(matches!(estate_delta::apply(&mut stale, &delta), Err(DeltaError::Gap { .. })));
    // A fresh viewer (another session), and B, at the same version: the same estate.
    let mut fresh = Viewer::open(&Client::login(base).await).await;
    fresh.follow().await;
    let whole = aligned(&mut fresh, &client).await;
    while b.version() < whole.version {
        b.follow().await;
    }
    assert_eq!(b.version(), fresh.version());
    assert_eq!(estate_delta::settle(b.estate.as_ref().unwrap()), estate_delta::settle(fresh.estate.as_ref().unwrap()));
    assert!(!node(b.estate.as_ref().unwrap(), "dal2-mq1").reachable);
    assert_ne!(estate_delta::settle(&missed_from), estate_delta::settle(b.estate.as_ref().unwrap()));

    // The node comes back: the viewer that followed all along still holds the estate.
    let out = lab.sim(&["fault", "node-up", "dal2-mq1"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    follow_until(&mut a, "dal2-mq1 back", |s| node(s, "dal2-mq1").reachable).await;
    let whole = aligned(&mut a, &client).await;
    assert_eq!(estate_delta::settle(a.estate.as_ref().unwrap()), estate_delta::settle(&whole));

    // GET /api/estate is compressed as the client asks (brotli first), the same estate.
    let mut sizes = Vec::new();
    let mut estates = Vec::new();
    for (accept, coding) in [("identity", None), ("gzip", Some("gzip")), ("gzip, deflate, br, zstd", Some("br")), ("br;q=0, gzip", Some("gzip"))] {
        let response = client.http.get(format!("{base}/api/estate")).header("accept-encoding", accept).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "application/json");
        assert_eq!(response.headers()["vary"], "accept-encoding");
        let sent = response.headers().get("content-encoding").map(|v| v.to_str().unwrap().to_string());
        assert_eq!(sent.as_deref(), coding, "{accept}");
        let body = response.bytes().await.unwrap();
        sizes.push((coding.unwrap_or("identity"), body.len()));
        let mut json = Vec::new();
        match coding {
            Some("br") => std::io::copy(&mut brotli::Decompressor::new(&body[..], 4096), &mut json).map(drop).unwrap(),
            Some(_) => std::io::copy(&mut flate2::read::GzDecoder::new(&body[..]), &mut json).map(drop).unwrap(),
            None => json = body.to_vec(),
        }
        estates.push(serde_json::from_slice::<Snapshot>(&json).unwrap());
    }
    eprintln!("GET /api/estate: {sizes:?} bytes");
    assert!(sizes[1..].iter().all(|(_, size)| *size <= 8 * 1024), "{sizes:?}");
    for e in estates.iter().filter(|e| e.version == estates[0].version) {
        assert_eq!(e, &estates[0]);
    }
}
