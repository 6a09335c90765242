//! The etcd client as the store uses it: keys under one prefix, requests retried only when
//! they were never sent, and writes fenced by this instance's lease.

use super::StoreError;
use super::etcd_lease::{Lease, instance_key};
use etcd_client::{Client, Compare, CompareOp, GetOptions, GetResponse, KeyValue, Txn, TxnOp, TxnOpResponse, TxnResponse};
use std::sync::Arc;

/// Where etcd is and how this console speaks to it, so that an error says which endpoints
/// could not be reached and what to check.
/// Not `Debug`: the connect options hold the client key.
pub(super) struct Reach {
    pub endpoints: Vec<String>,
    /// TLS: `None` plain gRPC; `Some(whether a client certificate is configured)`.
    pub tls: Option<bool>,
    /// As the store connects, for asking one member at a time.
    pub connect: etcd_client::ConnectOptions,
    /// The last diagnosis and when it was made: members are asked at most every few seconds.
    pub diagnosed: std::sync::Mutex<Option<(std::time::Instant, Option<String>)>>,
}

/// Transport failures after which the members may be refusing this console's TLS.
const CLOSED: [&str; 5] = ["connection closed", "connection was not ready", "broken pipe", "connection reset", "handshake"];

impl Reach {
    pub fn new(endpoints: Vec<String>, tls: Option<bool>, connect: etcd_client::ConnectOptions) -> Reach {
        Reach { endpoints, tls, connect, diagnosed: std::sync::Mutex::new(None) }
    }

    /// What an etcd error means to the console: the store is unavailable (nothing is known
    /// to be written), with etcd's own words and, when the connection itself failed, the
    /// endpoints and what to check.
    pub fn unavailable(&self, e: etcd_client::Error) -> StoreError {
        StoreError::Unavailable(self.describe_text(&e.to_string()))
    }

    /// An error's text as [`Reach::unavailable`] words it.
    pub fn describe_text(&self, text: &str) -> String {
        match self.why(text, false) {
            Some(why) => format!("etcd at {} {why} ({text})", self.endpoints.join(", ")),
            None if text.contains("no leader") => format!("the etcd cluster has no quorum ({text}): bring members back until a majority runs"),
            None => format!("etcd: {text}"),
        }
    }

    /// What a failed connection means, after "etcd at ENDPOINTS"; `None` for an answer of
    /// etcd's own. `alone`: one member asked on its own, so a closed connection is its refusal
    /// rather than a member going away.
    fn why(&self, text: &str, alone: bool) -> Option<String> {
        if text.contains("no leader") {
            return None;
        }
        if text.contains("invalid peer certificate") || text.contains("InvalidCertificate") {
            return Some("presents a TLS certificate this console does not trust: store.ca_file must be the CA that signed the members' certificates".into());
        }
        // TLS 1.3: the member's refusal of the client certificate comes as an alert after the
        // handshake, or as the connection closing.
        let alert = text.contains("received fatal alert");
        if alert || CLOSED.iter().any(|c| text.contains(c)) {
            let refused = match self.tls {
                Some(false) => "asks for a client certificate and this console has none (set store.cert_file and store.key_file)",
                Some(true) => "refuses this console's client certificate (store.cert_file must be signed by a CA the members trust: their --trusted-ca-file)",
                None => "may speak TLS only (then set store.ca_file, cert_file and key_file)",
            };
            return Some(if alone || (alert && self.tls.is_some()) {
                format!("closed the TLS connection at once: it {refused}")
            } else {
                format!("closed the connection: a member went away, or it {refused}")
            });
        }
        never_sent_text(text).then(|| "is not reachable".to_string())
    }

    /// Whether an error is the connection's own (not etcd's answer).
    fn connection_failed(text: &str) -> bool {
        never_sent_text(text) || CLOSED.iter().any(|c| text.contains(c)) || text.contains("received fatal alert") || text.contains("InvalidCertificate") || text.contains("invalid peer certificate")
    }

    /// Like [`Reach::unavailable`], but a failed connection is diagnosed by asking each member
    /// on its own (the balanced channel does not say which failed, nor whether it refused TLS):
    /// the error then names each endpoint that refuses and why.
    pub async fn explain(&self, e: etcd_client::Error) -> StoreError {
        let text = e.to_string();
        if !Self::connection_failed(&text) {
            return self.unavailable(e);
        }
        match self.diagnose().await {
            Some(diagnosis) => StoreError::Unavailable(diagnosis),
            None => self.unavailable(e),
        }
    }

    /// Each endpoint asked on its own (at most every 5 s): what the failing ones say.
    async fn diagnose(&self) -> Option<String> {
        if let Ok(last) = self.diagnosed.lock()
            && let Some((at, diagnosis)) = &*last
            && at.elapsed() < std::time::Duration::from_secs(5)
        {
            return diagnosis.clone();
        }
        // Endpoints that fail alike are named together, etcd's words once.
        let mut found: Vec<(String, Vec<&str>, String)> = Vec::new();
        for endpoint in &self.endpoints {
            let answer = match Client::connect([endpoint.as_str()], Some(self.connect.clone())).await {
                Ok(mut client) => client.status().await.map(|_| ()),
                Err(e) => Err(e),
            };
            let Err(e) = answer else { continue };
            let text = e.to_string();
            let why = self.why(&text, true).unwrap_or_else(|| format!("answers: {text}"));
            match found.iter_mut().find(|(w, _, _)| *w == why) {
                Some((_, endpoints, _)) => endpoints.push(endpoint),
                None => found.push((why, vec![endpoint], text)),
            }
        }
        let diagnosis = (!found.is_empty()).then(|| found.iter().map(|(why, endpoints, text)| format!("etcd at {} {why} ({text})", endpoints.join(", "))).collect::<Vec<_>>().join("; "));
        if let Ok(mut last) = self.diagnosed.lock() {
            *last = Some((std::time::Instant::now(), diagnosis.clone()));
        }
        diagnosis
    }
}

/// The error of a connection that failed to open, as text.
fn never_sent_text(text: &str) -> bool {
    text.contains("tcp connect error") || text.contains("Connection refused") || text.contains("error trying to connect")
}

/// A request that never left this process (the member it was sent to is down) can be sent
/// again; anything else may have been applied.
fn never_sent(e: &etcd_client::Error) -> bool {
    never_sent_text(&e.to_string())
}

pub(super) fn prefix_end(prefix: &str) -> Vec<u8> {
    let mut end = prefix.as_bytes().to_vec();
    if let Some(last) = end.last_mut() {
        *last += 1;
    }
    end
}

/// Key order that is newest first: etcd ranges ascending cheaply, and only ascending.
pub(super) fn newest_first(at: u64, id: &str) -> String {
    // A terminator, so that of two ids where one begins the other the longer sorts first.
    let inverted: String = id.bytes().chain(std::iter::once(0)).map(|b| format!("{:02x}", 255 - b)).collect();
    format!("{:020}/{inverted}", u64::MAX - at)
}

pub(super) fn text(kv: &KeyValue) -> String {
    String::from_utf8_lossy(kv.value()).into_owned()
}

/// The key-values a `get` inside a transaction returned.
pub(super) fn got(response: &TxnOpResponse) -> Option<KeyValue> {
    match response {
        TxnOpResponse::Get(g) => g.kvs().first().cloned(),
        _ => None,
    }
}

#[derive(Clone)]
pub(super) struct Kv {
    pub client: Client,
    pub prefix: String,
    pub lease: Arc<Lease>,
    pub reach: Arc<Reach>,
}

/// How a fenced transaction went: its compares held (the response), or not (what its
/// `or_else` read).
pub(super) enum Outcome {
    Applied(TxnResponse),
    Refused(Vec<TxnOpResponse>),
}

impl Kv {
    pub fn key(&self, rest: &str) -> String {
        format!("{}{rest}", self.prefix)
    }

    pub async fn get(&self, key: impl Into<Vec<u8>>, options: Option<GetOptions>) -> Result<GetResponse, StoreError> {
        let key = key.into();
        let mut last = None;
        // The balanced channel may pick a dead member several times running: try again,
        // briefly, while the request was never sent.
        for attempt in 0..10 {
            if attempt > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(20 * attempt)).await;
            }
            match self.client.clone().get(key.clone(), options.clone()).await {
                Ok(r) => return Ok(r),
                Err(e) if never_sent(&e) => last = Some(e),
                Err(e) => return Err(self.reach.unavailable(e)),
            }
        }
        Err(last.map(|e| self.reach.unavailable(e)).unwrap_or_else(|| StoreError::Unavailable("etcd: no answer".into())))
    }

    pub async fn get_one(&self, key: impl Into<Vec<u8>>) -> Result<Option<KeyValue>, StoreError> {
        Ok(self.get(key, None).await?.kvs().first().cloned())
    }

    /// Every key under `rest`, ascending, in pages, all read at one revision.
    pub async fn range_all(&self, rest: &str) -> Result<Vec<KeyValue>, StoreError> {
        let start = self.key(rest);
        let end = prefix_end(&start);
        let mut from = start.into_bytes();
        let mut revision = 0;
        let mut all = Vec::new();
        loop {
            let mut options = GetOptions::new().with_range(end.clone()).with_limit(500);
            if revision > 0 {
                options = options.with_revision(revision);
            }
            let page = self.get(from.clone(), Some(options)).await?;
            if revision == 0 {
                revision = page.header().map_or(0, |h| h.revision());
            }
            let kvs = page.kvs();
            all.extend_from_slice(kvs);
            match kvs.last() {
                Some(last) if page.more() => {
                    from = last.key().to_vec();
                    from.push(0);
                }
                _ => return Ok(all),
            }
        }
    }

    /// Reads several keys at one revision (a transaction of gets, 128 at most each).
    pub async fn get_many(&self, keys: &[String]) -> Result<Vec<Option<KeyValue>>, StoreError> {
        let mut found = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(128) {
            let txn = Txn::new().and_then(chunk.iter().map(|k| TxnOp::get(k.clone(), None)).collect::<Vec<_>>());
            let answer = self.txn(txn).await?;
            found.extend(answer.op_responses().iter().map(got));
        }
        Ok(found)
    }

    pub async fn txn(&self, txn: Txn) -> Result<TxnResponse, StoreError> {
        let mut last = None;
        // The balanced channel may pick a dead member several times running: try again,
        // briefly, while the request was never sent.
        for attempt in 0..10 {
            if attempt > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(20 * attempt)).await;
            }
            match self.client.clone().txn(txn.clone()).await {
                Ok(r) => return Ok(r),
                Err(e) if never_sent(&e) => last = Some(e),
                Err(e) => return Err(self.reach.unavailable(e)),
            }
        }
        Err(last.map(|e| self.reach.unavailable(e)).unwrap_or_else(|| StoreError::Unavailable("etcd: no answer".into())))
    }

    /// A transaction that also holds only while this instance's lease does: a cut-off
    /// instance writes nothing. `Err(Fenced)` when that is why it did not apply.
    pub async fn fenced(&self, mut compares: Vec<Compare>, then: Vec<TxnOp>, mut otherwise: Vec<TxnOp>) -> Result<Outcome, StoreError> {
        let (lease_id, owner) = self.lease.may_act()?;
        let me = instance_key(&self.prefix, &owner);
        compares.insert(0, Compare::lease(me.clone(), CompareOp::Equal, lease_id));
        otherwise.push(TxnOp::get(me, None));
        let answer = self.txn(Txn::new().when(compares).and_then(then).or_else(otherwise)).await?;
        if answer.succeeded() {
            return Ok(Outcome::Applied(answer));
        }
        let mut read = answer.op_responses();
        let mine = read.pop().as_ref().and_then(got);
        if mine.is_none_or(|kv| kv.lease() != lease_id) {
            return Err(StoreError::Fenced(format!("lease {lease_id:016x} of {owner} has ended in etcd")));
        }
        Ok(Outcome::Refused(read))
    }

    /// The lease id to attach keys to that must go when this instance does.
    pub fn lease_id(&self) -> Result<i64, StoreError> {
        Ok(self.lease.may_act()?.0)
    }
}
