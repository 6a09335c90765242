//! The state of the simulated estate and RDQM's rules over it.

use crate::faults::Faults;
pub use model::crm::INFINITY;
use model::status::{DrRole, DrStatus, HaStatus};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Everything the simulator knows; serialised as the shared state file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Estate {
    pub regions: Vec<Region>,
    pub bastions: Vec<Bastion>,
    /// Client hosts (`wdc-mq-client`): `rdqmput`/`rdqmget`, `amqsgetc`/`amqscnxc` through MQIPT.
    #[serde(default)]
    pub clients: Vec<String>,
    pub qmgrs: Vec<QueueManager>,
    #[serde(default)]
    pub faults: Faults,
    /// How long a DR resynchronisation shows `Synchronization in progress`, in milliseconds.
    #[serde(default = "default_sync_ms")]
    pub resync_ms: u64,
    /// Every command that changes something, as the hosts' own records (shell history,
    /// syslog) would show it: what tests read to know how often a step really ran.
    #[serde(default)]
    pub command_log: Vec<LoggedCommand>,
    /// How long transitions take.
    #[serde(default)]
    pub timing: Timing,
    /// The time (ms since the epoch) of the last command or knob: what time-driven states
    /// (a resynchronisation ending) are judged by.
    #[serde(default)]
    pub clock_ms: u64,
    /// TLS channel pairs as they last started (or failed to), by channel name: a running pair
    /// keeps what it negotiated until one of its ends restarts or reloads its key repository.
    #[serde(default)]
    pub tls_links: BTreeMap<String, crate::tls::TlsLink>,
    /// Which loaded certificate signed which (`child fingerprint>issuer fingerprint`), checked
    /// once with `openssl verify` when either was loaded.
    #[serde(default)]
    pub tls_signatures: BTreeMap<String, bool>,
    /// Counts key repository loads; each load takes the next number as its generation.
    #[serde(default)]
    pub tls_loads: u64,
}

/// How long RDQM's transitions take, in milliseconds at `scale` 1 (`LAB_TIME_SCALE`), as on
/// real systems: a queue manager shows `Starting` before `Running`, `rdqmdr` returns only
/// after the role change, a returning node resynchronises. At scale 0 every transition is
/// instant (the in-memory estate of unit tests).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timing {
    pub scale: f64,
    /// From the moment the queue manager's resources move to a node until it is `Running`.
    pub start_ms: u64,
    /// How long `rdqmdr -p` and `-s` take to return; a queue manager that stops on a node that
    /// stays up shows `Ending` there as long.
    pub role_change_ms: u64,
    /// How long a node that comes back (or is resumed) resynchronises its HA resources.
    pub ha_resync_ms: u64,
}

impl Default for Timing {
    fn default() -> Self {
        Timing { scale: 0.0, start_ms: 6000, role_change_ms: 4000, ha_resync_ms: 12000 }
    }
}

impl Timing {
    /// The lab's realistic timing at `scale`: every intermediate state lasts at least two
    /// polls of the lab's console (2 s) at scale 1.
    pub fn lab(scale: f64) -> Timing {
        Timing { scale: if scale.is_finite() && scale > 0.0 { scale } else { 0.0 }, ..Timing::default() }
    }

    pub fn scaled(&self, ms: u64) -> u64 {
        (ms as f64 * self.scale).round() as u64
    }
}

/// A transition in progress: since when, until when (ms since the epoch).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub since_ms: u64,
    pub until_ms: u64,
}

impl Window {
    pub fn active(&self, now_ms: u64) -> bool {
        now_ms < self.until_ms
    }

    /// How far along, 0.0 to 100.0.
    pub fn percent(&self, now_ms: u64) -> f64 {
        let span = self.until_ms.saturating_sub(self.since_ms).max(1) as f64;
        (now_ms.saturating_sub(self.since_ms) as f64 / span * 100.0).clamp(0.0, 100.0)
    }
}

/// One state-changing command a host ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoggedCommand {
    pub at_ms: u64,
    pub host: String,
    /// The command line, e.g. `rdqmdr -p -m DRHAQM1`.
    pub command: String,
    pub exit_code: i32,
}

/// The log keeps this many newest commands.
pub const COMMAND_LOG_LIMIT: usize = 2000;

fn default_sync_ms() -> u64 {
    3000
}

/// One HA group of a region: three nodes that know only each other and the queue managers
/// of their group. The reference estate has one per region; a scaled lab (`LAB_SCALE=N`) has
/// N entries per region name, told apart by `group`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Region {
    pub name: String,
    pub load_balancer: String,
    /// The HA group, in `rdqm.ini` order.
    pub nodes: Vec<Node>,
    /// Which HA group of the region (1-based; 1 in the reference estate).
    #[serde(default = "first_group", skip_serializing_if = "is_first_group")]
    pub group: u32,
}

fn first_group() -> u32 {
    1
}

fn is_first_group(group: &u32) -> bool {
    *group == 1
}

impl Region {
    /// The queue manager belongs to this HA group (its side in this region is here).
    pub fn holds(&self, qm: &QueueManager) -> bool {
        qm.group == self.group && qm.side(&self.name).is_some()
    }

    /// The queue manager's side in this HA group, if it belongs here.
    pub fn side_of<'a>(&self, qm: &'a QueueManager) -> Option<&'a QmSide> {
        if qm.group == self.group { qm.side(&self.name) } else { None }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    pub name: String,
    pub ip: String,
    pub up: bool,
    /// `rdqmadm -s`: the node stays in the group but runs no queue manager.
    #[serde(default)]
    pub suspended: bool,
    /// After it came back or was resumed: its HA resources resynchronise from the others.
    #[serde(default)]
    pub resync: Option<Window>,
    /// The replication certificate and trust bundle tlshd loaded (at its start or
    /// `systemctl reload tlshd`), from the files `/etc/tlshd.conf` names.
    #[serde(default)]
    pub tlshd: Option<crate::tls::LoadedTlshd>,
}

impl Node {
    fn can_run(&self) -> bool {
        self.up && !self.suspended
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bastion {
    pub name: String,
    pub ip: String,
    pub up: bool,
    pub mqipt: Vec<MqiptInstance>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MqiptInstance {
    pub name: String,
    /// Path of the instance's `mqipt.conf` on the bastion.
    pub conf_path: String,
    pub running: bool,
    /// The routes as MQIPT last loaded them (at start or refresh).
    pub active_routes: Vec<ActiveRoute>,
    #[serde(default)]
    pub refreshes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActiveRoute {
    pub listener_port: String,
    pub name: Option<String>,
    pub destination: Option<String>,
    pub destination_port: Option<String>,
    /// Counts restarts of this route; a refresh restarts only routes whose destination changed.
    pub starts: u64,
    /// Its listener could not bind when it last started (fault `route-fail`): the route is
    /// loaded but nothing answers on its port until it starts again with the port free.
    #[serde(default)]
    pub failed: bool,
    /// The route's `SSL…` properties as MQIPT read them (`SSLServer`, `SSLServerKeyRing`, …).
    #[serde(default)]
    pub ssl: Vec<(String, String)>,
    /// The keystores and site labels the route loaded when it started (None: not yet loaded).
    #[serde(default)]
    pub tls: Option<crate::tls::RouteTls>,
}

impl ActiveRoute {
    /// An `SSL…` property as loaded (case-insensitive key), trimmed.
    pub fn ssl_property(&self, key: &str) -> Option<&str> {
        self.ssl.iter().rev().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.trim())
    }

    /// A true/false `SSL…` property (MQIPT's default: false).
    pub fn ssl_flag(&self, key: &str) -> bool {
        self.ssl_property(key).is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueManager {
    pub name: String,
    pub listener_port: u16,
    pub dr_port: u16,
    /// One side per region of the DR pair.
    pub sides: Vec<QmSide>,
    /// The HA group it lives in, in each region of its DR pair (1 in the reference estate).
    #[serde(default = "first_group", skip_serializing_if = "is_first_group")]
    pub group: u32,
    /// `endmqm` on an HA RDQM disables it on every node until `strmqm`.
    #[serde(default)]
    pub disabled: bool,
    /// Its resources moved to this node and it is still starting there.
    #[serde(default)]
    pub starting: Option<(String, Window)>,
    /// It stopped on this node (which stays up) and is still ending there.
    #[serde(default)]
    pub ending: Option<(String, Window)>,
    /// Data written on the DR primary and not yet replicated, in KB.
    #[serde(default)]
    pub out_of_sync_kb: u64,
    /// Data discarded so far by unplanned promotions and partition resolutions, in KB.
    #[serde(default)]
    pub lost_kb: u64,
    /// Set by an unplanned `rdqmdr -p`: which region kept running while the other was lost.
    #[serde(default)]
    pub split_survivor: Option<String>,
    /// Until this time (ms since the epoch) DR shows `Synchronization in progress`.
    #[serde(default)]
    pub resync_until_ms: Option<u64>,
    /// When that catching-up began (for its progress).
    #[serde(default)]
    pub resync_since_ms: Option<u64>,
    /// A DR status forced by the `dr-status` fault knob, with its out-of-sync data.
    #[serde(default)]
    pub forced_dr: Option<(DrStatus, u64)>,
    /// Pacemaker's fail-count of resource `<qm>` per node; at [`INFINITY`] it bans the queue
    /// manager from that node (rdqmstatus does not show it).
    #[serde(default)]
    pub fail_counts: BTreeMap<String, u64>,
    /// Pacemaker's failed operations of resource `<qm>`, as `crm_mon` lists them (at most one
    /// per node and task, the last).
    #[serde(default)]
    pub failures: Vec<PcmkFailure>,
    /// The HA DRBD resource's disk state per node, forced by the `drbd-disk` fault knob.
    #[serde(default)]
    pub drbd_disk: BTreeMap<String, DiskState>,
    /// The HA floating IP (`p_ip_<qm>`); none in the reference estate.
    #[serde(default)]
    pub floating_ip: Option<FloatingIp>,
    /// Channel definitions (`DISPLAY CHANNEL`), attributes in MQSC order.
    #[serde(default)]
    pub channels: Vec<Channel>,
    /// `CERTLABL` and `SSLKEYR` of the queue manager (`DISPLAY QMGR`).
    #[serde(default)]
    pub qmgr_attributes: Vec<(String, String)>,
    /// Local queues defined on it (`DEFINE QLOCAL`).
    #[serde(default)]
    pub local_queues: Vec<String>,
    /// Its key repository and certificate label as it loaded them at its start or its last
    /// `REFRESH SECURITY TYPE(SSL)`; None while it runs nowhere or has not loaded them yet.
    #[serde(default)]
    pub tls: Option<crate::tls::LoadedTls>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Channel {
    pub name: String,
    pub attributes: Vec<(String, String)>,
}

impl Channel {
    /// An attribute's value, trimmed; empty when not set.
    pub fn get(&self, key: &str) -> &str {
        self.attributes.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map_or("", |(_, v)| v.trim())
    }
}

/// A failed operation of a queue manager's Pacemaker resource on a node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PcmkFailure {
    pub node: String,
    /// `start`, `monitor`, ...
    pub task: String,
    /// The OCF exit code (1: generic error).
    pub exit_code: i32,
    pub exit_reason: String,
    /// The controller's call id.
    pub call: u64,
    /// When it failed, in milliseconds since the epoch.
    pub at_ms: u64,
    /// How long the operation ran, in milliseconds.
    #[serde(default)]
    pub exec_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FloatingIp {
    pub interface: String,
    pub address: String,
}

/// A DRBD disk state the `drbd-disk` knob can force, as DRBD 9 spells it; `SyncTarget` is
/// `Inconsistent` while resynchronising, `done` in hundredths of a percent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum DiskState {
    UpToDate,
    Inconsistent,
    Outdated,
    Diskless,
    DUnknown,
    Failed,
    SyncTarget { done_centi: u32 },
}

impl DiskState {
    /// `UpToDate`, `Inconsistent`, `Outdated`, `Diskless`, `DUnknown`, `Failed` (any case) or
    /// `SyncTarget:NN.NN` (0 to 100, at most two decimals).
    pub fn parse(text: &str) -> Option<DiskState> {
        let t = text.trim();
        if let Some((word, done)) = t.split_once(':') {
            if !word.eq_ignore_ascii_case("synctarget") {
                return None;
            }
            return parse_centi(done).map(|done_centi| DiskState::SyncTarget { done_centi });
        }
        [
            ("UpToDate", DiskState::UpToDate),
            ("Inconsistent", DiskState::Inconsistent),
            ("Outdated", DiskState::Outdated),
            ("Diskless", DiskState::Diskless),
            ("DUnknown", DiskState::DUnknown),
            ("Failed", DiskState::Failed),
        ]
        .into_iter()
        .find(|(word, _)| word.eq_ignore_ascii_case(t))
        .map(|(_, state)| state)
    }

    /// The word DRBD prints for the disk (`Inconsistent` for a sync target).
    pub fn disk_word(&self) -> &'static str {
        match self {
            DiskState::UpToDate => "UpToDate",
            DiskState::Inconsistent | DiskState::SyncTarget { .. } => "Inconsistent",
            DiskState::Outdated => "Outdated",
            DiskState::Diskless => "Diskless",
            DiskState::DUnknown => "DUnknown",
            DiskState::Failed => "Failed",
        }
    }

    /// Resynchronisation progress as DRBD prints it (`45.20`), for a sync target.
    pub fn done_text(&self) -> Option<String> {
        match self {
            DiskState::SyncTarget { done_centi } => Some(format!("{}.{:02}", done_centi / 100, done_centi % 100)),
            _ => None,
        }
    }
}

/// `45.2` → 4520; 0..=100 with at most two decimals.
fn parse_centi(text: &str) -> Option<u32> {
    let t = text.trim();
    let (whole, fraction) = t.split_once('.').unwrap_or((t, ""));
    if whole.is_empty() || whole.len() > 3 || fraction.len() > 2 {
        return None;
    }
    if !whole.chars().all(|c| c.is_ascii_digit()) || !fraction.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let whole: u32 = whole.parse().ok()?;
    let fraction: u32 = if fraction.is_empty() { 0 } else { format!("{fraction:0<2}").parse().ok()? };
    let centi = whole * 100 + fraction;
    (centi <= 10_000).then_some(centi)
}

impl fmt::Display for DiskState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.done_text() {
            Some(done) => write!(f, "SyncTarget:{done}"),
            None => f.write_str(self.disk_word()),
        }
    }
}

impl From<DiskState> for String {
    fn from(state: DiskState) -> String {
        state.to_string()
    }
}

impl TryFrom<String> for DiskState {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        DiskState::parse(&text).ok_or_else(|| format!("{text:?} is not a DRBD disk state"))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QmSide {
    pub region: String,
    pub dr_role: DrRole,
    /// `HA preferred location` in this region.
    pub preferred: String,
    /// The messages on each local queue as this side's data holds them (committed here, or
    /// replicated here from the DR primary).
    #[serde(default)]
    pub queues: BTreeMap<String, Vec<String>>,
}

/// Where a host sits in the estate.
#[derive(Debug, Clone, Copy)]
pub enum HostRef<'a> {
    Node { region: &'a Region, node: &'a Node },
    Bastion(&'a Bastion),
}

impl Estate {
    /// The first HA group of the region `name` (the region's only one in the reference estate).
    pub fn region(&self, name: &str) -> Option<&Region> {
        self.regions.iter().find(|r| r.name.eq_ignore_ascii_case(name))
    }

    /// Every HA group of the region `name`.
    pub fn groups_of<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Region> + 'a {
        self.regions.iter().filter(move |r| r.name.eq_ignore_ascii_case(name))
    }

    /// The HA group of the region `name` the queue manager lives in.
    pub fn group_for(&self, qm: &QueueManager, name: &str) -> Option<&Region> {
        self.regions.iter().find(|r| r.group == qm.group && r.name.eq_ignore_ascii_case(name))
    }

    pub fn host(&self, name: &str) -> Option<HostRef<'_>> {
        for region in &self.regions {
            if let Some(node) = region.nodes.iter().find(|n| n.name == name) {
                return Some(HostRef::Node { region, node });
            }
        }
        self.bastions.iter().find(|b| b.name == name).map(HostRef::Bastion)
    }

    pub fn host_is_up(&self, name: &str) -> bool {
        match self.host(name) {
            Some(HostRef::Node { node, .. }) => node.up,
            Some(HostRef::Bastion(b)) => b.up,
            None => false,
        }
    }

    pub fn node_mut(&mut self, name: &str) -> Option<&mut Node> {
        self.regions.iter_mut().flat_map(|r| r.nodes.iter_mut()).find(|n| n.name == name)
    }

    pub fn region_of(&self, node: &str) -> Option<&Region> {
        self.regions.iter().find(|r| r.nodes.iter().any(|n| n.name == node))
    }

    pub fn qmgr(&self, name: &str) -> Option<&QueueManager> {
        self.qmgrs.iter().find(|q| q.name == name)
    }

    pub fn qmgr_mut(&mut self, name: &str) -> Option<&mut QueueManager> {
        self.qmgrs.iter_mut().find(|q| q.name == name)
    }

    /// Pacemaker needs a majority of the HA group's three nodes.
    pub fn has_quorum(&self, region: &Region) -> bool {
        let up = region.nodes.iter().filter(|n| self.member(n)).count();
        up * 2 > region.nodes.len()
    }

    /// The node of `region` where the QM's HA resources run (`HA current location`):
    /// the preferred node when it can run them, else the first that can, in group order.
    ///
    /// Where the queue manager is meant to run (the DR primary region), Pacemaker places the
    /// whole stack where resource `<qm>` is not banned (INFINITY fail-count): the preferred
    /// node if allowed, else the first allowed one. When every node is banned the stack stays
    /// where it would be without bans, and the queue manager runs nowhere.
    pub fn ha_location<'a>(&'a self, qm: &QueueManager, region: &'a Region) -> Option<&'a Node> {
        if !self.has_quorum(region) {
            return None;
        }
        let side = region.side_of(qm)?;
        let pick = |allowed: &dyn Fn(&Node) -> bool| {
            region
                .nodes
                .iter()
                .find(|n| n.name == side.preferred && allowed(n))
                .or_else(|| region.nodes.iter().find(|n| allowed(n)))
        };
        // A node still resynchronising has no up-to-date copy: Pacemaker places nothing there.
        if side.dr_role == DrRole::Primary
            && !qm.disabled
            && let Some(node) = pick(&|n: &Node| self.eligible(n) && !qm.banned_on(&n.name))
        {
            return Some(node);
        }
        pick(&|n: &Node| self.eligible(n)).or_else(|| pick(&|n: &Node| n.can_run()))
    }

    /// The node of `region` where the QM runs: its HA location when the region is DR primary
    /// and resource `<qm>` is not banned there.
    pub fn runs_in<'a>(&'a self, qm: &QueueManager, region: &'a Region) -> Option<&'a Node> {
        if qm.disabled || region.side_of(qm)?.dr_role != DrRole::Primary {
            return None;
        }
        self.ha_location(qm, region).filter(|n| !qm.banned_on(&n.name))
    }

    /// Nodes the QM runs on now: the HA location of every DR-primary region (two in a split),
    /// unless Pacemaker has banned it there.
    pub fn running_on(&self, qm: &QueueManager) -> Vec<&Node> {
        qm.sides.iter().filter_map(|s| self.group_for(qm, &s.region)).filter_map(|r| self.runs_in(qm, r)).collect()
    }

    /// The DR replication link needs an HA location on both sides.
    pub fn dr_link_up(&self, qm: &QueueManager) -> bool {
        !self.faults.dr_link_down
            && qm.sides.iter().all(|s| self.group_for(qm, &s.region).and_then(|r| self.ha_location(qm, r)).is_some())
    }

    /// `DR status` and `DR out of sync data` (KB) as printed in `region`.
    pub fn dr_status(&self, qm: &QueueManager, region: &str, now_ms: u64) -> (DrStatus, Option<u64>) {
        if let Some((status, kb)) = &qm.forced_dr {
            return (status.clone(), (*status != DrStatus::Normal).then_some(*kb));
        }
        let primaries = qm.sides.iter().filter(|s| s.dr_role == DrRole::Primary).count();
        if !self.dr_link_up(qm) {
            return (DrStatus::RemoteUnavailable, Some(qm.out_of_sync_kb));
        }
        if primaries > 1 {
            // What MQ 9.4.5 printed for a returning old primary: IBM's docs say Partitioned.
            let survivor = qm.split_survivor.as_deref() == Some(region);
            return if survivor {
                (DrStatus::RemoteUnavailable, Some(qm.out_of_sync_kb))
            } else {
                (DrStatus::Unknown_, Some(0))
            };
        }
        if qm.resync_until_ms.is_some_and(|until| now_ms < until) {
            return (DrStatus::SynchronizationInProgress, Some(qm.out_of_sync_kb));
        }
        (DrStatus::Normal, None)
    }

    /// Moves the clock to `now_ms`: what time alone changes (a resynchronised node takes its
    /// queue managers back, which then start there) happens now.
    pub fn advance(&mut self, now_ms: u64) {
        if now_ms <= self.clock_ms {
            return;
        }
        let before = self.clone();
        let elapsed = now_ms - self.clock_ms;
        if self.clock_ms > 0 {
            self.pass_time(elapsed);
        }
        self.clock_ms = now_ms;
        self.note_changes(&before, now_ms);
    }

    /// What `elapsed_ms` of time does by itself: writes pile up while DR replication is cut;
    /// a resynchronisation on a slow disk stands still.
    fn pass_time(&mut self, elapsed_ms: u64) {
        for i in 0..self.qmgrs.len() {
            let rate = self.faults.dr_write_rate.get(&self.qmgrs[i].name).copied().unwrap_or(0);
            let behind = !self.dr_link_up(&self.qmgrs[i]) && !self.running_on(&self.qmgrs[i]).is_empty();
            if rate > 0 && behind {
                self.qmgrs[i].out_of_sync_kb += rate * elapsed_ms / 1000;
            }
            // Caught up: replicated, nothing waits any more.
            let qm = &self.qmgrs[i];
            let caught_up = self.dr_link_up(qm)
                && qm.dr_primary_regions().len() == 1
                && qm.forced_dr.is_none()
                && qm.resync_until_ms.is_none_or(|until| until <= self.clock_ms + elapsed_ms);
            if caught_up {
                // Replicated: the secondary holds what the primary holds, nothing waits.
                crate::client::catch_up(&mut self.qmgrs[i]);
                self.qmgrs[i].out_of_sync_kb = 0;
            }
        }
        let slow = self.faults.slow_disk.clone();
        for node in self.regions.iter_mut().flat_map(|r| r.nodes.iter_mut()).filter(|n| slow.contains(&n.name)) {
            if let Some(window) = node.resync.as_mut() {
                window.since_ms += elapsed_ms;
                window.until_ms += elapsed_ms;
            }
        }
    }

    /// A node may hold queue managers: up, in its group, not suspended, not resynchronising.
    pub fn eligible(&self, node: &Node) -> bool {
        node.can_run() && self.member(node) && self.resyncing(node, self.clock_ms).is_none()
    }

    /// A node that is up and in touch with its HA group (not isolated).
    pub fn member(&self, node: &Node) -> bool {
        node.up && !self.faults.isolated.contains(&node.name)
    }

    /// The node has lost both HA peers while it stays up.
    pub fn isolated(&self, node: &str) -> bool {
        self.faults.isolated.contains(node)
    }

    /// What a change from `before` to now sets in motion, taking time: a queue manager that
    /// now runs on another node starts there; a node back in its group resynchronises.
    pub fn note_changes(&mut self, before: &Estate, now_ms: u64) {
        let start = self.timing.scaled(self.timing.start_ms);
        let resync = self.timing.scaled(self.timing.ha_resync_ms);
        for region in &mut self.regions {
            for node in &mut region.nodes {
                let was = before.regions.iter().flat_map(|r| r.nodes.iter()).find(|n| n.name == node.name);
                let rejoined = before.faults.isolated.contains(&node.name) && !self.faults.isolated.contains(&node.name);
                let came_back = (was.is_some_and(|w| !w.can_run()) || rejoined) && node.can_run();
                if came_back && resync > 0 {
                    node.resync = Some(Window { since_ms: now_ms, until_ms: now_ms + resync });
                }
                if !node.up {
                    node.resync = None;
                    // tlshd loads its files again when the node comes back.
                    node.tlshd = None;
                }
            }
        }
        let end = self.timing.scaled(self.timing.role_change_ms);
        // Nodes that still answer as members of their group: a queue manager ends there
        // visibly; on a lost or isolated node nobody sees it end.
        let up_nodes: Vec<String> =
            self.regions.iter().flat_map(|r| r.nodes.iter()).filter(|n| n.up && !self.faults.isolated.contains(&n.name)).map(|n| n.name.clone()).collect();
        for i in 0..self.qmgrs.len() {
            let name = self.qmgrs[i].name.clone();
            let old: Vec<String> = before.qmgr(&name).map(|q| before.running_on(q).iter().map(|n| n.name.clone()).collect()).unwrap_or_default();
            let new: Vec<String> = self.running_on(&self.qmgrs[i]).iter().map(|n| n.name.clone()).collect();
            let qm = &mut self.qmgrs[i];
            // A queue manager that stops, or starts elsewhere, loads its TLS anew at its start.
            if old != new {
                qm.tls = None;
            }
            if let Some(node) = new.iter().find(|n| !old.contains(n))
                && start > 0
            {
                qm.starting = Some((node.clone(), Window { since_ms: now_ms, until_ms: now_ms + start }));
            }
            if qm.starting.as_ref().is_some_and(|(node, _)| !new.contains(node)) {
                qm.starting = None;
            }
            if let Some(node) = old.iter().find(|n| !new.contains(n))
                && end > 0
                && up_nodes.contains(node)
            {
                qm.ending = Some((node.clone(), Window { since_ms: now_ms, until_ms: now_ms + end }));
            }
            if qm.ending.as_ref().is_some_and(|(node, _)| new.contains(node) || !up_nodes.contains(node)) {
                qm.ending = None;
            }
        }
    }

    /// The queue manager is still starting on `node`.
    pub fn starting_on(&self, qm: &QueueManager, node: &str, now_ms: u64) -> bool {
        qm.starting.as_ref().is_some_and(|(n, w)| n == node && w.active(now_ms))
    }

    /// The queue manager is still ending on `node`.
    pub fn ending_on(&self, qm: &QueueManager, node: &str, now_ms: u64) -> bool {
        qm.ending.as_ref().is_some_and(|(n, w)| n == node && w.active(now_ms))
    }

    /// The node's HA resynchronisation, while it lasts.
    pub fn resyncing(&self, node: &Node, now_ms: u64) -> Option<Window> {
        node.resync.filter(|w| node.up && w.active(now_ms))
    }

    /// The HA DRBD disk state of `node`: forced by the `drbd-disk` knob, a sync target while
    /// the node resynchronises, else UpToDate.
    pub fn disk_of(&self, qm: &QueueManager, node: &Node, now_ms: u64) -> DiskState {
        if let Some(forced) = qm.drbd_disk.get(&node.name) {
            return *forced;
        }
        match self.resyncing(node, now_ms) {
            Some(w) => DiskState::SyncTarget { done_centi: (w.percent(now_ms) * 100.0) as u32 },
            None => DiskState::UpToDate,
        }
    }

    /// `HA status` of `peer` as seen from the HA group.
    pub fn peer_ha_status(&self, peer: &Node, now_ms: u64) -> HaStatus {
        match (self.member(peer), peer.suspended) {
            (false, _) => HaStatus::RemoteUnavailable,
            (true, true) => HaStatus::RemoteNodeInStandby,
            (true, false) if self.resyncing(peer, now_ms).is_some() => HaStatus::SynchronizationInProgress,
            (true, false) => HaStatus::Normal,
        }
    }

    /// The local node's `HA status`: Remote unavailable when it has lost every peer, Mixed
    /// when it has lost some, else Normal (a peer in standby still replicates).
    pub fn local_ha_status(&self, region: &Region, local: &Node, now_ms: u64) -> HaStatus {
        let peers: Vec<&Node> = region.nodes.iter().filter(|n| n.name != local.name).collect();
        // An isolated node has lost every peer, whatever they say of each other.
        let lost = if self.isolated(&local.name) { peers.len() } else { peers.iter().filter(|p| !self.member(p)).count() };
        let syncing = region.nodes.iter().any(|n| self.resyncing(n, now_ms).is_some());
        match lost {
            0 if syncing => HaStatus::SynchronizationInProgress,
            0 => HaStatus::Normal,
            n if n == peers.len() => HaStatus::RemoteUnavailable,
            _ => HaStatus::Mixed,
        }
    }
}

impl QueueManager {
    /// A queue manager attribute (`DISPLAY QMGR`), trimmed; empty when not set.
    pub fn attribute(&self, key: &str) -> &str {
        self.qmgr_attributes.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map_or("", |(_, v)| v.trim())
    }

    pub fn side(&self, region: &str) -> Option<&QmSide> {
        self.sides.iter().find(|s| s.region == region)
    }

    pub fn side_mut(&mut self, region: &str) -> Option<&mut QmSide> {
        self.sides.iter_mut().find(|s| s.region == region)
    }

    pub fn dr_primary_regions(&self) -> Vec<&str> {
        self.sides.iter().filter(|s| s.dr_role == DrRole::Primary).map(|s| s.region.as_str()).collect()
    }

    /// The name of its DRBD and Pacemaker resources: the queue manager's directory name in
    /// lower case (`DRHAQM1` → `drhaqm1`).
    pub fn resource_name(&self) -> String {
        self.name.to_lowercase()
    }

    /// Pacemaker's fail-count of resource `<qm>` on `node`.
    pub fn fail_count(&self, node: &str) -> u64 {
        self.fail_counts.get(node).copied().unwrap_or(0)
    }

    /// Resource `<qm>` may not run on `node`: its fail-count has reached INFINITY.
    pub fn banned_on(&self, node: &str) -> bool {
        self.fail_count(node) >= INFINITY
    }

    /// The HA DRBD disk state of `node` (UpToDate unless forced).
    pub fn disk_on(&self, node: &str) -> DiskState {
        self.drbd_disk.get(node).copied().unwrap_or(DiskState::UpToDate)
    }
}
