//! The fault knobs, shared by the `rdqm-sim fault` command line and the in-process estate.

use crate::estate::{DiskState, Estate, HostRef, INFINITY, PcmkFailure};
use crate::faults::{Faults, HostCommand};
use model::status::DrStatus;
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    NodeDown(String),
    NodeUp(String),
    RegionDown(String),
    RegionUp(String),
    DrStatus { qmgr: String, status: DrStatus, out_of_sync_kb: u64 },
    FailNext { host: String, command: String },
    HangNext { host: String, command: String },
    Latency { host: String, ms: u64 },
    Stderr { host: String, on: bool },
    SudoTrailer { host: String, on: bool },
    /// INFINITY fail-count of resource `<qm>` on every node of the region, with the failed
    /// starts that left it: Pacemaker bans the queue manager there, rdqmstatus does not say so.
    PacemakerBan { region: String, qmgr: String },
    /// The HA DRBD resource's disk state on a node, as the node and its peers report it.
    DrbdDisk { host: String, qmgr: String, state: DiskState },
    /// The node stays up and reachable but loses both HA peers (quorum loss); and its pair.
    NodeIsolate(String),
    NodeRejoin(String),
    /// The region's load balancer stops (or starts again) forwarding to its nodes.
    LbDown { region: String, down: bool },
    RouteFail { port: u16, fail: bool },
    /// The DR replication link is cut (or restored) while both regions stay up.
    DrLinkDown,
    DrLinkUp,
    /// The host presents a new SSH host key (a rebuilt host, or someone in the middle).
    HostKeyRotate(String),
    /// Writing the bastion's `mqipt.conf` (or anything beside it) is refused.
    MqiptConfReadonly(bool),
    /// The lab user is not (or again) in the `haclient` group on the host.
    NotHaclient { host: String, on: bool },
    /// Applications write this many KB a second to the queue manager (0: stop).
    DrWriteRate { qmgr: String, kb_per_s: u64 },
    /// A resynchronisation on the host makes no progress (or does again).
    SlowDisk { host: String, on: bool },
    /// Every MQIPT instance stops (or starts again with the routes it last loaded).
    MqiptRunning(bool),
    /// The host refuses the console's SSH key (its authorized_keys entry is gone); and back.
    KeyRevoke(String),
    KeyRestore(String),
    /// The MQ and cluster commands need `sudo -n` on the host (or no longer).
    SudoRequired { host: String, on: bool },
    /// The host's file systems are full: writes fail with ENOSPC.
    DiskFull { host: String, on: bool },
    /// The next `command` on `host` stops mid-output and the connection drops.
    TruncateNext { host: String, command: String },
    /// The host's clock is this many seconds off (0: right again).
    ClockSkew { host: String, secs: i64 },
    /// The HA DRBD resource of the queue manager splits: every node StandAlone.
    DrbdSplitBrain(String),
    /// The lab's console of a region is killed (SIGKILL, mid-whatever) or started again.
    Console { region: String, up: bool },
    /// An etcd member of the console's store (`wdc`, `dal`, `witness`) is killed or started again.
    Etcd { member: String, up: bool },
    Clear,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FaultError {
    #[error("unknown fault {0:?}; known: console-down, console-up, etcd-down, etcd-up, node-down, node-up, node-isolate, node-rejoin, region-down, region-up, dr-link-down, dr-link-up, lb-down, lb-up, route-fail, route-free, host-key-rotate, mqipt-conf-readonly, not-haclient, dr-write-rate, slow-disk, mqipt-down, mqipt-up, key-revoke, key-restore, sudo-required, disk-full, truncate-next, clock-skew, drbd-split-brain, dr-status, fail-next, hang-next, latency, stderr, sudo, pacemaker-ban, drbd-disk, clear")]
    UnknownKnob(String),
    #[error("{knob} expects: {usage}")]
    Usage { knob: String, usage: &'static str },
    #[error("no host named {0:?} in the simulated estate")]
    NoSuchHost(String),
    #[error("no region named {0:?} in the simulated estate")]
    NoSuchRegion(String),
    #[error("no queue manager named {0:?} in the simulated estate")]
    NoSuchQmgr(String),
    #[error("{0:?} is not a DR status IBM prints")]
    BadStatus(String),
    #[error("{0:?} is not a whole number")]
    BadNumber(String),
    #[error("{0:?} is not a DRBD disk state: UpToDate, Inconsistent, Outdated, Diskless, DUnknown, Failed or SyncTarget:NN.NN")]
    BadDiskState(String),
    #[error("{0:?} is not an RDQM node of the simulated estate")]
    NotAnRdqmNode(String),
}

/// What the lab must do outside the simulator's state (e.g. stop a host's sshd).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostEvent {
    Down(String),
    Up(String),
    /// The host's sshd restarts with a new host key.
    Rekey(String),
    /// The host's original host key is put back.
    RestoreKey(String),
    /// The bastion's MQIPT directory becomes read-only (true) or writable again.
    ConfReadonly(bool),
    /// The host's sshd refuses (true) or accepts again the console's key; open connections drop.
    KeyRevoked { host: String, revoked: bool },
    /// The host's file systems fill up (true) or get their space back.
    DiskFull { host: String, on: bool },
    /// The lab's console of a region stops (killed) or starts.
    Console { region: String, up: bool },
    /// An etcd member stops (killed) or starts.
    Etcd { member: String, up: bool },
}

fn number(text: &str) -> Result<u64, FaultError> {
    text.parse().map_err(|_| FaultError::BadNumber(text.to_string()))
}

fn on_off(knob: &str, text: &str) -> Result<bool, FaultError> {
    match text {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err(FaultError::Usage { knob: knob.to_string(), usage: "HOST on|off" }),
    }
}

impl Fault {
    /// Reads a knob as typed after `rdqm-sim fault`.
    pub fn parse(args: &[String]) -> Result<Fault, FaultError> {
        let knob = args.first().map(String::as_str).unwrap_or("");
        let rest: Vec<&str> = args.iter().skip(1).map(String::as_str).collect();
        let usage = |usage: &'static str| FaultError::Usage { knob: knob.to_string(), usage };
        Ok(match (knob, rest.as_slice()) {
            ("node-down", [host]) => Fault::NodeDown(host.to_string()),
            ("node-up", [host]) => Fault::NodeUp(host.to_string()),
            ("region-down", [region]) => Fault::RegionDown(region.to_string()),
            ("region-up", [region]) => Fault::RegionUp(region.to_string()),
            ("dr-status", [qmgr, status, kb @ ..]) if kb.len() <= 1 => {
                let status = DrStatus::parse(status);
                if !status.is_known() {
                    return Err(FaultError::BadStatus(status.to_string()));
                }
                let out_of_sync_kb = kb.first().map_or(Ok(0), |k| number(k))?;
                Fault::DrStatus { qmgr: qmgr.to_string(), status, out_of_sync_kb }
            }
            ("fail-next", [host, command]) => Fault::FailNext { host: host.to_string(), command: command.to_string() },
            ("hang-next", [host, command]) => Fault::HangNext { host: host.to_string(), command: command.to_string() },
            ("latency", [host, ms]) => Fault::Latency { host: host.to_string(), ms: number(ms)? },
            ("stderr", [host, state]) => Fault::Stderr { host: host.to_string(), on: on_off(knob, state)? },
            ("sudo", [host, state]) => Fault::SudoTrailer { host: host.to_string(), on: on_off(knob, state)? },
            ("pacemaker-ban", [region, qmgr]) => Fault::PacemakerBan { region: region.to_string(), qmgr: qmgr.to_string() },
            ("drbd-disk", [host, qmgr, state]) => Fault::DrbdDisk {
                host: host.to_string(),
                qmgr: qmgr.to_string(),
                state: DiskState::parse(state).ok_or_else(|| FaultError::BadDiskState(state.to_string()))?,
            },
            ("node-isolate", [host]) => Fault::NodeIsolate(host.to_string()),
            ("node-rejoin", [host]) => Fault::NodeRejoin(host.to_string()),
            ("host-key-rotate", [host]) => Fault::HostKeyRotate(host.to_string()),
            ("mqipt-conf-readonly", [state]) => Fault::MqiptConfReadonly(on_off(knob, state)?),
            ("mqipt-conf-readonly", _) => return Err(usage("on|off")),
            ("not-haclient", [host, state]) => Fault::NotHaclient { host: host.to_string(), on: on_off(knob, state)? },
            ("not-haclient", _) => return Err(usage("HOST on|off")),
            ("dr-write-rate", [qmgr, rate]) => Fault::DrWriteRate { qmgr: qmgr.to_string(), kb_per_s: number(rate)? },
            ("dr-write-rate", _) => return Err(usage("QM KB_PER_S")),
            ("slow-disk", [host, state]) => Fault::SlowDisk { host: host.to_string(), on: on_off(knob, state)? },
            ("slow-disk", _) => return Err(usage("HOST on|off")),
            ("mqipt-down", []) => Fault::MqiptRunning(false),
            ("mqipt-up", []) => Fault::MqiptRunning(true),
            ("mqipt-down" | "mqipt-up", _) => return Err(usage("(no arguments)")),
            ("key-revoke", [host]) => Fault::KeyRevoke(host.to_string()),
            ("key-restore", [host]) => Fault::KeyRestore(host.to_string()),
            ("sudo-required", [host, state]) => Fault::SudoRequired { host: host.to_string(), on: on_off(knob, state)? },
            ("disk-full", [host, state]) => Fault::DiskFull { host: host.to_string(), on: on_off(knob, state)? },
            ("sudo-required" | "disk-full", _) => return Err(usage("HOST on|off")),
            ("truncate-next", [host, command]) => Fault::TruncateNext { host: host.to_string(), command: command.to_string() },
            ("clock-skew", [host, secs]) => Fault::ClockSkew {
                host: host.to_string(),
                secs: secs.parse().map_err(|_| FaultError::BadNumber(secs.to_string()))?,
            },
            ("clock-skew", _) => return Err(usage("HOST SECONDS")),
            ("drbd-split-brain", [qmgr]) => Fault::DrbdSplitBrain(qmgr.to_string()),
            ("drbd-split-brain", _) => return Err(usage("QM")),
            ("lb-down", [region]) => Fault::LbDown { region: region.to_string(), down: true },
            ("lb-up", [region]) => Fault::LbDown { region: region.to_string(), down: false },
            ("lb-down" | "lb-up", _) => return Err(usage("REGION")),
            ("route-fail" | "route-free", [port]) => match port.parse::<u16>() {
                Ok(port) => Fault::RouteFail { port, fail: knob == "route-fail" },
                Err(_) => return Err(usage("LISTENER_PORT")),
            },
            ("route-fail" | "route-free", _) => return Err(usage("LISTENER_PORT")),
            ("dr-link-down", []) => Fault::DrLinkDown,
            ("dr-link-up", []) => Fault::DrLinkUp,
            ("clear", []) => Fault::Clear,
            ("console-down" | "console-up", [region]) => Fault::Console { region: region.to_uppercase(), up: knob == "console-up" },
            ("console-down" | "console-up", _) => return Err(usage("REGION")),
            ("etcd-down" | "etcd-up", [member @ ("wdc" | "dal" | "witness")]) => Fault::Etcd { member: member.to_string(), up: knob == "etcd-up" },
            ("etcd-down" | "etcd-up", _) => return Err(usage("wdc|dal|witness")),
            ("dr-link-down" | "dr-link-up", _) => return Err(usage("(no arguments)")),
            ("node-down" | "node-up" | "node-isolate" | "node-rejoin" | "host-key-rotate" | "key-revoke" | "key-restore" | "fail-next"
            | "hang-next" | "truncate-next" | "latency", _) => {
                return Err(usage(match knob {
                    "latency" => "HOST MS",
                    "fail-next" | "hang-next" | "truncate-next" => "HOST COMMAND",
                    _ => "HOST",
                }));
            }
            ("region-down" | "region-up", _) => return Err(usage("REGION")),
            ("dr-status", _) => return Err(usage("QM STATUS [OUT_OF_SYNC_KB]")),
            ("stderr" | "sudo", _) => return Err(usage("HOST on|off")),
            ("pacemaker-ban", _) => return Err(usage("REGION QM")),
            ("drbd-disk", _) => return Err(usage("HOST QM STATE")),
            ("clear", _) => return Err(usage("(no arguments)")),
            _ => return Err(FaultError::UnknownKnob(knob.to_string())),
        })
    }
}

/// The DR link is back: a secondary catches up what it missed (`Synchronization in
/// progress`), a split stays a split.
fn dr_link_restored(estate: &mut Estate) {
    let until = estate.clock_ms + estate.resync_ms.max(estate.timing.scaled(estate.timing.ha_resync_ms));
    for qm in &mut estate.qmgrs {
        if qm.dr_primary_regions().len() == 1 {
            qm.resync_until_ms = Some(until);
            qm.resync_since_ms = Some(estate.clock_ms);
        }
    }
}

/// Puts `host` in `set` (on) or takes it out (off).
fn toggle(set: &mut std::collections::BTreeSet<String>, host: &str, on: bool) {
    if on {
        set.insert(host.to_string());
    } else {
        set.remove(host);
    }
}

fn check_host(estate: &Estate, host: &str) -> Result<(), FaultError> {
    estate.host(host).map(|_| ()).ok_or_else(|| FaultError::NoSuchHost(host.to_string()))
}

fn set_up(estate: &mut Estate, host: &str, up: bool) -> Result<Vec<HostEvent>, FaultError> {
    if let Some(node) = estate.node_mut(host) {
        node.up = up;
    } else if let Some(bastion) = estate.bastions.iter_mut().find(|b| b.name == host) {
        bastion.up = up;
    } else {
        return Err(FaultError::NoSuchHost(host.to_string()));
    }
    Ok(vec![if up { HostEvent::Up(host.to_string()) } else { HostEvent::Down(host.to_string()) }])
}

/// The queue manager named `name` (case-insensitive, as the lab's scripts may type it).
fn qmgr_index(estate: &Estate, name: &str) -> Result<usize, FaultError> {
    estate
        .qmgrs
        .iter()
        .position(|q| q.name == name)
        .or_else(|| estate.qmgrs.iter().position(|q| q.name.eq_ignore_ascii_case(name)))
        .ok_or_else(|| FaultError::NoSuchQmgr(name.to_string()))
}

fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// Pacemaker tried to start `<qm>` on each node of its HA group in the region in turn, and
/// each start failed.
fn pacemaker_ban(estate: &mut Estate, region: &str, qmgr: &str, now_ms: u64) -> Result<(), FaultError> {
    estate.region(region).ok_or_else(|| FaultError::NoSuchRegion(region.to_string()))?;
    let index = qmgr_index(estate, qmgr)?;
    let nodes: Vec<String> = estate
        .group_for(&estate.qmgrs[index], region)
        .ok_or_else(|| FaultError::NoSuchQmgr(qmgr.to_string()))?
        .nodes
        .iter()
        .map(|n| n.name.clone())
        .collect();
    let qm = &mut estate.qmgrs[index];
    let reason = format!("Queue manager {} could not be started", qm.name);
    let mut call = qm.failures.iter().map(|f| f.call).max().unwrap_or(29) + 2;
    let count = nodes.len() as u64;
    for (i, node) in nodes.into_iter().enumerate() {
        let i = i as u64;
        qm.fail_counts.insert(node.clone(), INFINITY);
        qm.failures.retain(|f| !(f.node == node && f.task == "start"));
        qm.failures.push(PcmkFailure {
            node,
            task: "start".to_string(),
            exit_code: 1,
            exit_reason: reason.clone(),
            call,
            at_ms: now_ms.saturating_sub((count - 1 - i) * 8000),
            exec_ms: 2210 + i * 37,
        });
        call += 2;
    }
    Ok(())
}

/// Applies `fault` to `estate`; returns what must happen to the hosts' SSH servers.
pub fn apply(estate: &mut Estate, fault: &Fault) -> Result<Vec<HostEvent>, FaultError> {
    match fault {
        Fault::NodeDown(host) => set_up(estate, host, false),
        Fault::NodeUp(host) => set_up(estate, host, true),
        Fault::RegionDown(name) | Fault::RegionUp(name) => {
            let up = matches!(fault, Fault::RegionUp(_));
            // Every HA group of the region.
            estate.region(name).ok_or_else(|| FaultError::NoSuchRegion(name.clone()))?;
            let hosts: Vec<String> = estate.groups_of(name).flat_map(|r| r.nodes.iter()).map(|n| n.name.clone()).collect();
            let mut events = Vec::new();
            for host in hosts {
                events.extend(set_up(estate, &host, up)?);
            }
            Ok(events)
        }
        Fault::DrStatus { qmgr, status, out_of_sync_kb } => {
            let qm = estate.qmgr_mut(qmgr).ok_or_else(|| FaultError::NoSuchQmgr(qmgr.clone()))?;
            qm.out_of_sync_kb = *out_of_sync_kb;
            qm.forced_dr = (*status != DrStatus::Normal).then(|| (status.clone(), *out_of_sync_kb));
            Ok(Vec::new())
        }
        Fault::FailNext { host, command } | Fault::HangNext { host, command } => {
            check_host(estate, host)?;
            let entry = HostCommand { host: host.clone(), command: command.clone() };
            if matches!(fault, Fault::FailNext { .. }) {
                estate.faults.fail_next.push(entry);
            } else {
                estate.faults.hang_next.push(entry);
            }
            Ok(Vec::new())
        }
        Fault::Latency { host, ms } => {
            check_host(estate, host)?;
            if *ms == 0 {
                estate.faults.latency_ms.remove(host);
            } else {
                estate.faults.latency_ms.insert(host.clone(), *ms);
            }
            Ok(Vec::new())
        }
        Fault::Stderr { host, on } | Fault::SudoTrailer { host, on } => {
            check_host(estate, host)?;
            let set = match fault {
                Fault::Stderr { .. } => &mut estate.faults.stderr_output,
                _ => &mut estate.faults.sudo_trailer,
            };
            if *on {
                set.insert(host.clone());
            } else {
                set.remove(host);
            }
            Ok(Vec::new())
        }
        Fault::PacemakerBan { region, qmgr } => {
            pacemaker_ban(estate, region, qmgr, now_ms())?;
            Ok(Vec::new())
        }
        Fault::DrbdDisk { host, qmgr, state } => {
            let (region, group) = match estate.host(host) {
                Some(HostRef::Node { region, .. }) => (region.name.clone(), region.group),
                Some(HostRef::Bastion(_)) => return Err(FaultError::NotAnRdqmNode(host.clone())),
                None => return Err(FaultError::NoSuchHost(host.clone())),
            };
            let index = qmgr_index(estate, qmgr)?;
            let qm = &mut estate.qmgrs[index];
            if qm.group != group || qm.side(&region).is_none() {
                return Err(FaultError::NoSuchQmgr(qmgr.clone()));
            }
            if *state == DiskState::UpToDate {
                qm.drbd_disk.remove(host);
            } else {
                qm.drbd_disk.insert(host.clone(), *state);
            }
            Ok(Vec::new())
        }
        Fault::NodeIsolate(host) | Fault::NodeRejoin(host) => {
            if !matches!(estate.host(host), Some(HostRef::Node { .. })) {
                return Err(FaultError::NotAnRdqmNode(host.clone()));
            }
            toggle(&mut estate.faults.isolated, host, matches!(fault, Fault::NodeIsolate(_)));
            Ok(Vec::new())
        }
        Fault::HostKeyRotate(host) => {
            check_host(estate, host)?;
            estate.faults.rekeyed.insert(host.clone());
            Ok(vec![HostEvent::Rekey(host.clone())])
        }
        Fault::MqiptConfReadonly(on) => {
            estate.faults.mqipt_conf_readonly = *on;
            Ok(vec![HostEvent::ConfReadonly(*on)])
        }
        Fault::Console { region, up } => {
            if !estate.regions.iter().any(|r| r.name == *region) {
                return Err(FaultError::Usage { knob: "console-down".into(), usage: "REGION (WDC or DAL)" });
            }
            if *up {
                estate.faults.consoles_down.remove(region);
            } else {
                estate.faults.consoles_down.insert(region.clone());
            }
            Ok(vec![HostEvent::Console { region: region.clone(), up: *up }])
        }
        Fault::Etcd { member, up } => {
            if *up {
                estate.faults.etcd_down.remove(member);
            } else {
                estate.faults.etcd_down.insert(member.clone());
            }
            Ok(vec![HostEvent::Etcd { member: member.clone(), up: *up }])
        }
        Fault::NotHaclient { host, on } => {
            if !matches!(estate.host(host), Some(HostRef::Node { .. })) {
                return Err(FaultError::NotAnRdqmNode(host.clone()));
            }
            toggle(&mut estate.faults.not_haclient, host, *on);
            Ok(Vec::new())
        }
        Fault::DrWriteRate { qmgr, kb_per_s } => {
            let name = estate.qmgrs[qmgr_index(estate, qmgr)?].name.clone();
            if *kb_per_s == 0 {
                estate.faults.dr_write_rate.remove(&name);
            } else {
                estate.faults.dr_write_rate.insert(name, *kb_per_s);
            }
            Ok(Vec::new())
        }
        Fault::SlowDisk { host, on } => {
            if !matches!(estate.host(host), Some(HostRef::Node { .. })) {
                return Err(FaultError::NotAnRdqmNode(host.clone()));
            }
            toggle(&mut estate.faults.slow_disk, host, *on);
            Ok(Vec::new())
        }
        Fault::MqiptRunning(running) => {
            for instance in estate.bastions.iter_mut().flat_map(|b| b.mqipt.iter_mut()) {
                instance.running = *running;
            }
            Ok(Vec::new())
        }
        Fault::KeyRevoke(host) | Fault::KeyRestore(host) => {
            check_host(estate, host)?;
            let revoked = matches!(fault, Fault::KeyRevoke(_));
            toggle(&mut estate.faults.revoked_keys, host, revoked);
            Ok(vec![HostEvent::KeyRevoked { host: host.clone(), revoked }])
        }
        Fault::SudoRequired { host, on } => {
            if !matches!(estate.host(host), Some(HostRef::Node { .. })) {
                return Err(FaultError::NotAnRdqmNode(host.clone()));
            }
            toggle(&mut estate.faults.sudo_required, host, *on);
            Ok(Vec::new())
        }
        Fault::DiskFull { host, on } => {
            check_host(estate, host)?;
            toggle(&mut estate.faults.disk_full, host, *on);
            Ok(vec![HostEvent::DiskFull { host: host.clone(), on: *on }])
        }
        Fault::TruncateNext { host, command } => {
            check_host(estate, host)?;
            estate.faults.truncate_next.push(HostCommand { host: host.clone(), command: command.clone() });
            Ok(Vec::new())
        }
        Fault::ClockSkew { host, secs } => {
            check_host(estate, host)?;
            if *secs == 0 {
                estate.faults.clock_skew_s.remove(host);
            } else {
                estate.faults.clock_skew_s.insert(host.clone(), *secs);
            }
            Ok(Vec::new())
        }
        Fault::DrbdSplitBrain(qmgr) => {
            let name = estate.qmgrs[qmgr_index(estate, qmgr)?].name.clone();
            estate.faults.split_brain.insert(name);
            Ok(Vec::new())
        }
        Fault::LbDown { region, down } => {
            let Some(name) = estate.region(region).map(|r| r.name.clone()) else {
                return Err(FaultError::NoSuchRegion(region.clone()));
            };
            if *down {
                estate.faults.lb_down.insert(name);
            } else {
                estate.faults.lb_down.remove(&name);
            }
            Ok(Vec::new())
        }
        Fault::RouteFail { port, fail } => {
            if *fail {
                estate.faults.route_fail.insert(*port);
            } else {
                estate.faults.route_fail.remove(port);
            }
            Ok(Vec::new())
        }
        Fault::DrLinkDown => {
            estate.faults.dr_link_down = true;
            Ok(Vec::new())
        }
        Fault::DrLinkUp => {
            estate.faults.dr_link_down = false;
            dr_link_restored(estate);
            Ok(Vec::new())
        }
        Fault::Clear => {
            // Injected misbehaviour ends; the estate's own state (roles, locations) stays.
            let link_was_down = estate.faults.dr_link_down;
            let mut events: Vec<HostEvent> = estate.faults.rekeyed.iter().map(|h| HostEvent::RestoreKey(h.clone())).collect();
            if estate.faults.mqipt_conf_readonly {
                events.push(HostEvent::ConfReadonly(false));
            }
            events.extend(estate.faults.revoked_keys.iter().map(|h| HostEvent::KeyRevoked { host: h.clone(), revoked: false }));
            events.extend(estate.faults.disk_full.iter().map(|h| HostEvent::DiskFull { host: h.clone(), on: false }));
            events.extend(estate.faults.etcd_down.iter().map(|m| HostEvent::Etcd { member: m.clone(), up: true }));
            events.extend(estate.faults.consoles_down.iter().map(|r| HostEvent::Console { region: r.clone(), up: true }));
            estate.faults = Faults::default();
            for instance in estate.bastions.iter_mut().flat_map(|b| b.mqipt.iter_mut()) {
                instance.running = true;
            }
            if link_was_down {
                dr_link_restored(estate);
            }
            for qm in &mut estate.qmgrs {
                // Out-of-sync data the dr-status knob set goes with it.
                if qm.forced_dr.is_some() {
                    qm.out_of_sync_kb = 0;
                }
                qm.forced_dr = None;
                qm.fail_counts.clear();
                qm.failures.clear();
                qm.drbd_disk.clear();
            }
            let down: Vec<String> = estate
                .regions
                .iter()
                .flat_map(|r| r.nodes.iter())
                .filter(|n| !n.up)
                .map(|n| n.name.clone())
                .chain(estate.bastions.iter().filter(|b| !b.up).map(|b| b.name.clone()))
                .collect();
            for host in down {
                events.extend(set_up(estate, &host, true)?);
            }
            Ok(events)
        }
    }
}
