//! One poller for every viewer: a refresh reads all hosts in parallel, one batch of probes
//! per host, builds the snapshot and publishes it. Viewers only ever read the published
//! snapshot, so the number of SSH commands does not grow with the number of browsers.

use super::exec::{Cmd, RemoteExec};
use model::estate::{Finding, Inventory, Snapshot};
use model::probe::{self, HostReport, Observed, ProbeResult};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;

pub struct Poller {
    inventory: Inventory,
    exec: Arc<dyn RemoteExec>,
    interval: Duration,
    command_timeout: Duration,
    last_good: Mutex<HashMap<String, Observed>>,
    published: watch::Sender<Option<Arc<Snapshot>>>,
    refreshes: AtomicU64,
    host_errors: AtomicU64,
    /// Microseconds the last snapshot took to build from the answers (parsing, findings).
    build_micros: AtomicU64,
    /// Findings read elsewhere (the certificate inventory), added to each snapshot.
    extra_findings: Mutex<Vec<Finding>>,
}

use crate::clock::now_ms;

impl Poller {
    pub fn new(inventory: Inventory, exec: Arc<dyn RemoteExec>, interval: Duration, command_timeout: Duration) -> Self {
        let (published, _) = watch::channel(None);
        Poller {
            inventory,
            exec,
            interval,
            command_timeout,
            last_good: Mutex::new(HashMap::new()),
            published,
            refreshes: AtomicU64::new(0),
            host_errors: AtomicU64::new(0),
            build_micros: AtomicU64::new(0),
            extra_findings: Mutex::new(Vec::new()),
        }
    }

    pub fn inventory(&self) -> &Inventory {
        &self.inventory
    }

    pub fn exec(&self) -> &Arc<dyn RemoteExec> {
        &self.exec
    }

    /// The newest snapshot, if a refresh has completed.
    pub fn current(&self) -> Option<Arc<Snapshot>> {
        self.published.borrow().clone()
    }

    /// Findings another reader made (replacing the previous ones); they appear from the next
    /// refresh on.
    pub fn set_extra_findings(&self, findings: Vec<Finding>) {
        if let Ok(mut extra) = self.extra_findings.lock() {
            *extra = findings;
        }
    }

    pub fn subscribe(&self) -> watch::Receiver<Option<Arc<Snapshot>>> {
        self.published.subscribe()
    }

    pub fn refreshes(&self) -> u64 {
        self.refreshes.load(Ordering::Relaxed)
    }

    pub fn build_micros(&self) -> u64 {
        self.build_micros.load(Ordering::Relaxed)
    }

    pub fn host_errors(&self) -> u64 {
        self.host_errors.load(Ordering::Relaxed)
    }

    async fn poll_host(&self, host: String) -> HostReport {
        let probes = probe::probes_for(&self.inventory, &host);
        let cmds: Vec<Cmd> = probes.iter().map(|p| Cmd::new(p.program(), p.args())).collect();
        let started_ms = now_ms();
        let outcome = self.exec.run_batch(&host, &cmds, self.command_timeout).await;
        let mut last_good = match self.last_good.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        match outcome {
            Ok(outputs) => {
                let results = probes
                    .into_iter()
                    .zip(outputs)
                    .map(|(probe, out)| ProbeResult { probe, output: out.stdout, exit_code: out.exit_code })
                    .collect();
                let observed = Observed { at_ms: now_ms(), started_ms, results };
                last_good.insert(host.clone(), observed.clone());
                HostReport { host, error: None, data: Some(observed) }
            }
            Err(e) => {
                self.host_errors.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(%host, error = %e, "host not read");
                HostReport { data: last_good.get(&host).cloned(), host, error: Some(e.to_string()) }
            }
        }
    }

    /// Reads every host once (in parallel), then builds and publishes the snapshot.
    pub async fn refresh(&self) -> Arc<Snapshot> {
        let started = Instant::now();
        let hosts = self.inventory.hosts();
        let reports = futures::future::join_all(hosts.into_iter().map(|h| self.poll_host(h))).await;
        let duration = started.elapsed().as_millis() as u64;
        let building = Instant::now();
        let mut snapshot = model::snapshot::build(&self.inventory, &reports, now_ms(), duration);
        self.build_micros.store(building.elapsed().as_micros() as u64, Ordering::Relaxed);
        snapshot.poll_interval_ms = self.interval.as_millis() as u64;
        if let Ok(extra) = self.extra_findings.lock() {
            snapshot.findings.extend(extra.iter().cloned());
            // Most severe first, as the estate's own findings are (the sort is stable).
            snapshot.findings.sort_by_key(|f| f.severity);
        }
        snapshot.version = self.refreshes.fetch_add(1, Ordering::Relaxed) + 1;
        let snapshot = Arc::new(snapshot);
        self.published.send_replace(Some(Arc::clone(&snapshot)));
        snapshot
    }

    /// Refreshes forever, one interval after the end of the previous refresh.
    pub fn spawn(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let poller = Arc::clone(self);
        tokio::spawn(async move {
            loop {
                poller.refresh().await;
                tokio::time::sleep(poller.interval).await;
            }
        })
    }
}
