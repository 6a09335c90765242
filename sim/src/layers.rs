//! The layers beneath rdqmstatus, derived from the estate (nothing here is stored):
//! DRBD 9's `drbdadm status` and Pacemaker 2.1's `crm_mon --output-as=xml`.
//!
//! DRBD: each queue manager has the HA resource `<qm>` on every node of each region (role
//! Primary on the region's HA location, where the HA resources run, as rdqmstatus's
//! `HA role: Primary` says; Secondary elsewhere) and the DR replication resource `<qm>.dr` on
//! each region's HA location (Primary on the DR primary side), whose peer is the other
//! region's HA location. The format is drbd-utils' (`drbdsetup status`): resources and
//! connections sorted by name, a blank line after each resource.
//!
//! Pacemaker: each region is a cluster; per queue manager, the promotable clone
//! `ms_drbd_<qm>` of `p_drbd_<qm>` (Master on the HA location, Slave on the other running
//! nodes), `p_fs_<qm>`, `p_rdqmx_<qm>`, `<qm>` (started on the HA location only where the
//! queue manager runs) and `p_ip_<qm>` when a floating IP is set. Roles are printed as a
//! Pacemaker 2.1 built with 2.0 compatibility prints them (Master/Slave), with API 2.25
//! (Pacemaker 2.1.5). A suspended node (`rdqmadm -s`) is in standby; in the simulator its
//! DRBD keeps replicating (as rdqmstatus reports the peer in standby), so its `p_drbd`
//! instance stays a running Slave.

use crate::estate::{DiskState, Estate, Node, PcmkFailure, QueueManager, Region};
use model::status::{DrRole, DrStatus};
use std::fmt::Write as _;

/// DRBD's peer-device line for a peer whose disk is `disk`.
fn peer_disk_words(disk: DiskState) -> String {
    match disk {
        DiskState::SyncTarget { .. } => {
            format!("replication:SyncSource peer-disk:Inconsistent done:{}", disk.done_text().unwrap_or_default())
        }
        DiskState::Diskless => "peer-disk:Diskless peer-client:no".to_string(),
        other => format!("peer-disk:{}", other.disk_word()),
    }
}

fn local_disk_words(disk: DiskState, quorum: bool) -> String {
    let mut words = format!("disk:{}", disk.disk_word());
    if disk == DiskState::Diskless {
        words.push_str(" client:no");
    }
    if !quorum {
        words.push_str(" quorum:no");
    }
    words
}

/// One resource of `drbdadm status`: its name and the text block (ending with a blank line).
pub struct DrbdBlock {
    pub name: String,
    pub text: String,
}

/// The HA resource `<qm>` as `node` sees it.
fn ha_block(estate: &Estate, qm: &QueueManager, region: &Region, node: &Node, now_ms: u64) -> DrbdBlock {
    let name = qm.resource_name();
    let location = estate.ha_location(qm, region).map(|n| n.name.as_str());
    let role = |n: &str| if location == Some(n) { "Primary" } else { "Secondary" };
    let quorum = estate.has_quorum(region);
    let local = estate.disk_of(qm, node, now_ms);
    let mut text = String::new();
    let _ = writeln!(text, "{name} role:{}", role(&node.name));
    let _ = writeln!(text, "  {}", local_disk_words(local, quorum));
    let mut peers: Vec<&Node> = region.nodes.iter().filter(|n| n.name != node.name).collect();
    peers.sort_by(|a, b| a.name.cmp(&b.name));
    let split = estate.faults.split_brain.contains(&qm.name);
    for peer in peers {
        if split && peer.up {
            // After a split brain DRBD drops the connection and waits for a person.
            let _ = writeln!(text, "  {} connection:StandAlone", peer.name);
            continue;
        }
        if !peer.up || estate.isolated(&peer.name) || estate.isolated(&node.name) {
            let _ = writeln!(text, "  {} connection:Connecting", peer.name);
            continue;
        }
        let _ = writeln!(text, "  {} role:{}", peer.name, role(&peer.name));
        let disk = estate.disk_of(qm, peer, now_ms);
        let words = match (local, disk) {
            // This node resynchronises from its up-to-date peers.
            (DiskState::SyncTarget { .. }, DiskState::UpToDate) => {
                format!("replication:SyncTarget peer-disk:UpToDate done:{}", local.done_text().unwrap_or_default())
            }
            _ => peer_disk_words(disk),
        };
        let _ = writeln!(text, "    {words}");
    }
    text.push('\n');
    DrbdBlock { name, text }
}

/// Resynchronisation progress of the DR link, from the time left of a resync.
fn dr_done(estate: &Estate, qm: &QueueManager, now_ms: u64) -> String {
    let percent = match qm.resync_until_ms {
        Some(until) if estate.resync_ms > 0 && until > now_ms => {
            let left = (until - now_ms).min(estate.resync_ms) as f64 / estate.resync_ms as f64;
            (1.0 - left) * 100.0
        }
        _ => 0.0,
    };
    format!("{percent:.2}")
}

/// The DR replication resource `<qm>.dr` on `node`, the HA location of `region`.
fn dr_block(estate: &Estate, qm: &QueueManager, region: &Region, now_ms: u64) -> Option<DrbdBlock> {
    let side = region.side_of(qm)?;
    let name = format!("{}.dr", qm.resource_name());
    let primary = side.dr_role == DrRole::Primary;
    let other_side = qm.sides.iter().find(|s| s.region != region.name)?;
    let other_region = estate.group_for(qm, &other_side.region)?;
    let other_location = estate.ha_location(qm, other_region);
    let peer = other_location.map_or(other_side.preferred.as_str(), |n| n.name.as_str());
    let (status, _) = estate.dr_status(qm, &region.name, now_ms);
    let syncing = matches!(status, DrStatus::SynchronizationInProgress | DrStatus::Paused | DrStatus::Inconsistent);
    let local_disk = if !primary && syncing { "Inconsistent" } else { "UpToDate" };
    let mut text = String::new();
    let _ = writeln!(text, "{name} role:{}", if primary { "Primary" } else { "Secondary" });
    let _ = writeln!(text, "  disk:{local_disk}");
    match status {
        DrStatus::RemoteUnavailable => {
            let _ = writeln!(text, "  {peer} connection:Connecting");
        }
        DrStatus::Partitioned | DrStatus::Unknown_ | DrStatus::Inactive | DrStatus::Unknown(_) => {
            let _ = writeln!(text, "  {peer} connection:StandAlone");
        }
        status => {
            let peer_role = if other_side.dr_role == DrRole::Primary { "Primary" } else { "Secondary" };
            let _ = writeln!(text, "  {peer} role:{peer_role}");
            let done = dr_done(estate, qm, now_ms);
            let words = match (status, primary) {
                (DrStatus::SynchronizationInProgress, true) => format!("replication:SyncSource peer-disk:Inconsistent done:{done}"),
                (DrStatus::SynchronizationInProgress, false) => format!("replication:SyncTarget peer-disk:UpToDate done:{done}"),
                (DrStatus::Paused, true) => "replication:PausedSyncS peer-disk:Inconsistent".to_string(),
                (DrStatus::Paused, false) => "replication:PausedSyncT peer-disk:UpToDate".to_string(),
                (DrStatus::Inconsistent, true) => "peer-disk:Inconsistent".to_string(),
                _ => "peer-disk:UpToDate".to_string(),
            };
            let _ = writeln!(text, "    {words}");
        }
    }
    text.push('\n');
    Some(DrbdBlock { name, text })
}

/// Every DRBD resource up on `node`, sorted by name as `drbdsetup status` lists them.
pub fn drbd_blocks(estate: &Estate, region: &Region, node: &Node, now_ms: u64) -> Vec<DrbdBlock> {
    let mut blocks = Vec::new();
    for qm in estate.qmgrs.iter().filter(|q| region.holds(q)) {
        blocks.push(ha_block(estate, qm, region, node, now_ms));
        if estate.ha_location(qm, region).is_some_and(|l| l.name == node.name) {
            blocks.extend(dr_block(estate, qm, region, now_ms));
        }
    }
    blocks.sort_by(|a, b| a.name.cmp(&b.name));
    blocks
}

// ---------------------------------------------------------------------------------------
// Pacemaker

/// `ctime()` as Pacemaker prints `last-failure` and `last_update`: `Thu Jun  2 19:26:11 2022`.
pub fn ctime(ms: u64) -> String {
    use time::OffsetDateTime;
    use time::macros::format_description;
    let at = OffsetDateTime::from_unix_timestamp((ms / 1000) as i64).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let fmt = format_description!("[weekday repr:short] [month repr:short] [day padding:space] [hour]:[minute]:[second] [year]");
    at.format(&fmt).unwrap_or_default()
}

/// Pacemaker's ISO form of `last-rc-change` in `<failure>`: `2022-06-02 19:26:11Z`.
fn iso_time(ms: u64) -> String {
    use time::OffsetDateTime;
    use time::macros::format_description;
    let at = OffsetDateTime::from_unix_timestamp((ms / 1000) as i64).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let fmt = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]Z");
    at.format(&fmt).unwrap_or_default()
}

/// A local time as RDQM prints `HA estimated time to completion`: `2018-01-15 16:14:23`
/// (the lab's hosts keep UTC).
pub fn local_time(ms: u64) -> String {
    use time::OffsetDateTime;
    use time::macros::format_description;
    let at = OffsetDateTime::from_unix_timestamp((ms / 1000) as i64).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let fmt = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    at.format(&fmt).unwrap_or_default()
}

/// Escapes an XML attribute value as libxml2 does.
pub fn xml_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c => out.push(c),
        }
    }
    out
}

/// `<name a="v" .../>` or, with `open`, `<name a="v" ...>`.
fn element(out: &mut String, indent: usize, name: &str, attributes: &[(&str, String)], open: bool) {
    let _ = write!(out, "{:indent$}<{name}", "");
    for (key, value) in attributes {
        let _ = write!(out, " {key}=\"{}\"", xml_escape(value));
    }
    out.push_str(if open { ">\n" } else { "/>\n" });
}

fn close(out: &mut String, indent: usize, name: &str) {
    let _ = writeln!(out, "{:indent$}</{name}>", "");
}

fn yes(b: bool) -> String {
    b.to_string()
}

/// One primitive (or clone instance) as crm_mon lists it.
struct Primitive {
    id: String,
    agent: &'static str,
    role: &'static str,
    /// Where it runs (empty when stopped).
    node: Option<(String, usize)>,
}

impl Primitive {
    fn write(&self, out: &mut String, indent: usize) {
        let active = self.node.is_some();
        let attributes = [
            ("id", self.id.clone()),
            ("resource_agent", self.agent.to_string()),
            ("role", self.role.to_string()),
            ("active", yes(active)),
            ("orphaned", yes(false)),
            ("blocked", yes(false)),
            ("managed", yes(true)),
            ("failed", yes(false)),
            ("failure_ignored", yes(false)),
            ("nodes_running_on", usize::from(active).to_string()),
        ];
        match &self.node {
            Some((name, id)) => {
                element(out, indent, "resource", &attributes, true);
                element(out, indent + 2, "node", &[("name", name.clone()), ("id", id.to_string()), ("cached", yes(true))], false);
                close(out, indent, "resource");
            }
            None => element(out, indent, "resource", &attributes, false),
        }
    }
}

/// The Pacemaker id (1-based position in the group) of `node`.
fn node_id(region: &Region, node: &str) -> usize {
    region.nodes.iter().position(|n| n.name == node).map_or(0, |i| i + 1)
}

/// What one queue manager's resources look like in `region`'s cluster.
struct QmResources {
    clone_id: String,
    drbd: Vec<Primitive>,
    others: Vec<Primitive>,
}

fn qm_resources(estate: &Estate, qm: &QueueManager, region: &Region) -> QmResources {
    let rsc = qm.resource_name();
    let quorum = estate.has_quorum(region);
    let location = estate.ha_location(qm, region).map(|n| (n.name.clone(), node_id(region, &n.name)));
    let runs = estate.runs_in(qm, region).is_some();
    let drbd_id = format!("p_drbd_{rsc}");
    // Promoted instance first, then the others running, then the stopped ones.
    let mut drbd = Vec::new();
    if let Some(loc) = &location {
        drbd.push(Primitive { id: drbd_id.clone(), agent: "ocf:linbit:drbd", role: "Master", node: Some(loc.clone()) });
    }
    for node in region.nodes.iter().filter(|n| n.up && location.as_ref().is_none_or(|l| l.0 != n.name)) {
        drbd.push(Primitive {
            id: drbd_id.clone(),
            agent: "ocf:linbit:drbd",
            role: "Slave",
            node: Some((node.name.clone(), node_id(region, &node.name))),
        });
    }
    while drbd.len() < region.nodes.len() {
        drbd.push(Primitive { id: drbd_id.clone(), agent: "ocf:linbit:drbd", role: "Stopped", node: None });
    }
    let at_location = |id: String, agent: &'static str, started: bool| Primitive {
        id,
        agent,
        role: if started { "Started" } else { "Stopped" },
        node: if started { location.clone() } else { None },
    };
    let on = location.is_some() && quorum;
    let mut others = vec![
        at_location(format!("p_fs_{rsc}"), "ocf:heartbeat:Filesystem", on),
        at_location(format!("p_rdqmx_{rsc}"), "ocf:ibm:rdqmx", on),
        at_location(rsc.clone(), "ocf:ibm:rdqm", on && runs),
    ];
    if qm.floating_ip.is_some() {
        others.push(at_location(format!("p_ip_{rsc}"), "ocf:heartbeat:IPaddr2", on));
    }
    QmResources { clone_id: format!("ms_drbd_{rsc}"), drbd, others }
}

/// The resource ids of `qm` in a cluster (for `crm_resource`).
pub fn resource_ids(qm: &QueueManager) -> Vec<String> {
    let rsc = qm.resource_name();
    let mut ids = vec![rsc.clone(), format!("p_rdqmx_{rsc}"), format!("p_fs_{rsc}"), format!("ms_drbd_{rsc}"), format!("p_drbd_{rsc}")];
    if qm.floating_ip.is_some() {
        ids.push(format!("p_ip_{rsc}"));
    }
    ids
}

fn failures_on<'a>(qm: &'a QueueManager, node: &'a str) -> impl Iterator<Item = &'a PcmkFailure> + 'a {
    qm.failures.iter().filter(move |f| f.node == node)
}

/// `crm_mon --one-shot [--inactive] --output-as=xml` on a node of `region`.
pub fn crm_mon_xml(estate: &Estate, region: &Region, request: &str, inactive: bool, now_ms: u64) -> String {
    let qmgrs: Vec<&QueueManager> = estate.qmgrs.iter().filter(|q| region.holds(q)).collect();
    let views: Vec<QmResources> = qmgrs.iter().map(|qm| qm_resources(estate, qm, region)).collect();
    let dc = region.nodes.iter().find(|n| n.up);
    let configured: usize = views.iter().map(|v| v.drbd.len() + v.others.len()).sum();
    // One Pacemaker cluster per HA group: only this region's nodes' failures belong here.
    let in_region = |node: &str| region.nodes.iter().any(|n| n.name == node);
    let last_change = qmgrs.iter().flat_map(|q| q.failures.iter().filter(|f| in_region(&f.node)).map(|f| f.at_ms)).max().unwrap_or(now_ms);

    let mut out = String::new();
    element(&mut out, 0, "pacemaker-result", &[("api-version", "2.25".into()), ("request", request.to_string())], true);
    element(&mut out, 2, "summary", &[], true);
    element(&mut out, 4, "stack", &[("type", "corosync".into())], false);
    match dc {
        Some(dc) => element(
            &mut out,
            4,
            "current_dc",
            &[
                ("present", yes(true)),
                ("version", "2.1.5-9.el9_2-a3f44794f94".into()),
                ("name", dc.name.clone()),
                ("id", node_id(region, &dc.name).to_string()),
                ("with_quorum", yes(estate.has_quorum(region))),
                ("mixed_version", yes(false)),
            ],
            false,
        ),
        None => element(&mut out, 4, "current_dc", &[("present", yes(false))], false),
    }
    element(&mut out, 4, "last_update", &[("time", ctime(now_ms))], false);
    let origin = dc.map_or(String::new(), |n| n.name.clone());
    element(
        &mut out,
        4,
        "last_change",
        &[("time", ctime(last_change)), ("user", "hacluster".into()), ("client", "crmd".into()), ("origin", origin)],
        false,
    );
    element(&mut out, 4, "nodes_configured", &[("number", region.nodes.len().to_string())], false);
    element(
        &mut out,
        4,
        "resources_configured",
        &[("number", configured.to_string()), ("disabled", "0".into()), ("blocked", "0".into())],
        false,
    );
    element(
        &mut out,
        4,
        "cluster_options",
        &[
            ("stonith-enabled", yes(false)),
            ("symmetric-cluster", yes(true)),
            ("no-quorum-policy", "stop".into()),
            ("maintenance-mode", yes(false)),
            ("stop-all-resources", yes(false)),
            ("stonith-timeout-ms", "60000".into()),
            ("priority-fencing-delay-ms", "0".into()),
        ],
        false,
    );
    close(&mut out, 2, "summary");

    element(&mut out, 2, "nodes", &[], true);
    for node in &region.nodes {
        let running = views
            .iter()
            .flat_map(|v| v.drbd.iter().chain(v.others.iter()))
            .filter(|p| p.node.as_ref().is_some_and(|(n, _)| *n == node.name))
            .count();
        let mut attributes = vec![
            ("name", node.name.clone()),
            ("id", node_id(region, &node.name).to_string()),
            ("online", yes(node.up)),
            ("standby", yes(node.suspended)),
            ("standby_onfail", yes(false)),
            ("maintenance", yes(false)),
            ("pending", yes(false)),
            ("unclean", yes(false)),
            ("health", "green".into()),
        ];
        if node.up {
            attributes.push(("feature_set", "3.16.2".into()));
        }
        attributes.extend([
            ("shutdown", yes(false)),
            ("expected_up", yes(node.up)),
            ("is_dc", yes(dc.is_some_and(|d| d.name == node.name))),
            ("resources_running", running.to_string()),
            ("type", "member".into()),
        ]);
        element(&mut out, 4, "node", &attributes, false);
    }
    close(&mut out, 2, "nodes");

    element(&mut out, 2, "resources", &[], true);
    for view in &views {
        let drbd: Vec<&Primitive> = view.drbd.iter().filter(|p| inactive || p.node.is_some()).collect();
        if !drbd.is_empty() {
            let clone_attributes = [
                ("id", view.clone_id.clone()),
                ("multi_state", yes(true)),
                ("unique", yes(false)),
                ("managed", yes(true)),
                ("disabled", yes(false)),
                ("failed", yes(false)),
                ("failure_ignored", yes(false)),
            ];
            element(&mut out, 4, "clone", &clone_attributes, true);
            for primitive in drbd {
                primitive.write(&mut out, 6);
            }
            close(&mut out, 4, "clone");
        }
        for primitive in view.others.iter().filter(|p| inactive || p.node.is_some()) {
            primitive.write(&mut out, 4);
        }
    }
    close(&mut out, 2, "resources");

    let online: Vec<&Node> = region.nodes.iter().filter(|n| n.up).collect();
    if !online.is_empty() && !qmgrs.is_empty() {
        element(&mut out, 2, "node_attributes", &[], true);
        for node in &online {
            element(&mut out, 4, "node", &[("name", node.name.clone())], true);
            for qm in &qmgrs {
                let score = if estate.disk_of(qm, node, now_ms) == DiskState::UpToDate { "10000" } else { "0" };
                let name = format!("master-p_drbd_{}", qm.resource_name());
                element(&mut out, 6, "attribute", &[("name", name), ("value", score.into())], false);
            }
            close(&mut out, 4, "node");
        }
        close(&mut out, 2, "node_attributes");
    }

    // Only the history that tells something: resources with a fail-count or failures.
    let history: Vec<(&Node, Vec<&QueueManager>)> = online
        .iter()
        .map(|node| {
            let failed: Vec<&QueueManager> = qmgrs
                .iter()
                .copied()
                .filter(|q| q.fail_count(&node.name) > 0 || failures_on(q, &node.name).next().is_some())
                .collect();
            (*node, failed)
        })
        .filter(|(_, failed)| !failed.is_empty())
        .collect();
    if !history.is_empty() {
        element(&mut out, 2, "node_history", &[], true);
        for (node, failed) in &history {
            element(&mut out, 4, "node", &[("name", node.name.clone())], true);
            for qm in failed {
                let mut attributes = vec![
                    ("id", qm.resource_name()),
                    ("orphan", yes(false)),
                    ("migration-threshold", model::crm::INFINITY.to_string()),
                ];
                let count = qm.fail_count(&node.name);
                if count > 0 {
                    attributes.push(("fail-count", count.min(model::crm::INFINITY).to_string()));
                }
                if let Some(last) = failures_on(qm, &node.name).map(|f| f.at_ms).max() {
                    attributes.push(("last-failure", ctime(last)));
                }
                let operations: Vec<&PcmkFailure> = failures_on(qm, &node.name).collect();
                if operations.is_empty() {
                    element(&mut out, 6, "resource_history", &attributes, false);
                    continue;
                }
                element(&mut out, 6, "resource_history", &attributes, true);
                for failure in operations {
                    element(
                        &mut out,
                        8,
                        "operation_history",
                        &[
                            ("call", failure.call.to_string()),
                            ("task", failure.task.clone()),
                            ("rc", failure.exit_code.to_string()),
                            ("rc_text", ocf_exit_text(failure.exit_code).into()),
                            ("last-rc-change", ctime(failure.at_ms)),
                            ("exec-time", format!("{}ms", failure.exec_ms)),
                            ("queue-time", "0ms".into()),
                        ],
                        false,
                    );
                    element(
                        &mut out,
                        8,
                        "operation_history",
                        &[
                            ("call", (failure.call + 1).to_string()),
                            ("task", "stop".into()),
                            ("rc", "0".into()),
                            ("rc_text", "ok".into()),
                            ("exec-time", "41ms".into()),
                            ("queue-time", "0ms".into()),
                        ],
                        false,
                    );
                }
                close(&mut out, 6, "resource_history");
            }
            close(&mut out, 4, "node");
        }
        close(&mut out, 2, "node_history");
    }

    let failures: Vec<(&QueueManager, &PcmkFailure)> =
        qmgrs.iter().flat_map(|q| q.failures.iter().filter(|f| in_region(&f.node)).map(move |f| (*q, f))).collect();
    if !failures.is_empty() {
        element(&mut out, 2, "failures", &[], true);
        for (qm, failure) in failures {
            element(
                &mut out,
                4,
                "failure",
                &[
                    ("op_key", format!("{}_{}_0", qm.resource_name(), failure.task)),
                    ("node", failure.node.clone()),
                    ("exitstatus", ocf_exit_text(failure.exit_code).into()),
                    ("exitreason", failure.exit_reason.clone()),
                    ("exitcode", failure.exit_code.to_string()),
                    ("call", failure.call.to_string()),
                    ("status", "complete".into()),
                    ("last-rc-change", iso_time(failure.at_ms)),
                    ("queued", "0".into()),
                    ("exec", failure.exec_ms.to_string()),
                    ("interval", "0".into()),
                    ("task", failure.task.clone()),
                ],
                false,
            );
        }
        close(&mut out, 2, "failures");
    }
    element(&mut out, 2, "status", &[("code", "0".into()), ("message", "OK".into())], false);
    close(&mut out, 0, "pacemaker-result");
    out
}

/// Pacemaker 2.1's text for an OCF exit code (`services_ocf_exitcode_str`).
pub fn ocf_exit_text(code: i32) -> &'static str {
    match code {
        0 => "ok",
        1 => "error",
        2 => "invalid parameter",
        3 => "unimplemented feature",
        4 => "insufficient privileges",
        5 => "not installed",
        6 => "not configured",
        7 => "not running",
        8 => "promoted",
        9 => "promoted (failed)",
        _ => "unknown",
    }
}
