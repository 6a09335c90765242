//! Findings: what an operator must know about the estate, each with its evidence.

use crate::finding_code::FindingCode;
use crate::estate::{Evidence, Finding, Inventory, QmgrView, Severity, Snapshot};
use crate::probe::{HostReport, Probe};
use crate::status::{DrStatus, HaStatus, QmStatus};

fn finding(severity: Severity, code: FindingCode, subject: &str, message: String, evidence: Vec<Evidence>) -> Finding {
    Finding { severity, code, message, subject: subject.to_string(), evidence }
}

/// The lines of a probe's output that carry `labels`, as evidence.
fn evidence(reports: &[HostReport], host: &str, probe: &Probe, labels: &[&str]) -> Evidence {
    let lines = reports
        .iter()
        .find(|r| r.host == host)
        .and_then(|r| r.result(probe))
        .map(|r| {
            r.output
                .lines()
                .filter(|l| labels.iter().any(|label| l.starts_with(label)))
                .map(|l| l.trim_end().to_string())
                .collect()
        })
        .unwrap_or_default();
    Evidence { host: host.to_string(), command: probe.command_line(), lines }
}

/// The lines of `drbdadm status` where `resource`'s peers stand alone (a split brain).
fn standalone_evidence(reports: &[HostReport], host: &str, resource: &str) -> Evidence {
    let mut in_resource = false;
    let lines = reports
        .iter()
        .find(|r| r.host == host)
        .and_then(|r| r.result(&Probe::DrbdStatus))
        .map(|r| {
            r.output
                .lines()
                .filter(|l| {
                    if !l.starts_with(' ') {
                        in_resource = l.split_whitespace().next() == Some(resource);
                    }
                    in_resource && (l.contains("connection:StandAlone") || !l.starts_with(' '))
                })
                .map(|l| l.trim_end().to_string())
                .collect()
        })
        .unwrap_or_default();
    Evidence { host: host.to_string(), command: Probe::DrbdStatus.command_line(), lines }
}

/// What OpenSSH says when the host key differs from known_hosts.
fn host_key_refused(error: &str) -> bool {
    error.contains("Host key verification failed") || error.contains("REMOTE HOST IDENTIFICATION HAS CHANGED")
}

/// What OpenSSH says when the host no longer accepts the console's key.
fn key_refused(error: &str) -> bool {
    error.contains("Permission denied (publickey")
}

/// When a host last answered, as a time (not an age: the finding then stays the same while
/// the host stays silent, and the event stream has nothing to send for it; the app shows the
/// age beside the node).
fn last_answered(then: Option<u64>) -> String {
    let at = then.and_then(|ms| time::OffsetDateTime::from_unix_timestamp((ms / 1000) as i64).ok());
    match at {
        Some(t) => format!("last answered {:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC", t.year(), t.month() as u8, t.day(), t.hour(), t.minute(), t.second()),
        None => "never answered".to_string(),
    }
}

fn node_findings(snapshot: &Snapshot, out: &mut Vec<Finding>) {
    for node in snapshot.regions.iter().flat_map(|r| r.nodes.iter()) {
        if !node.reachable && node.error.as_deref().is_some_and(host_key_refused) {
            // Never accepted: it may be a rebuilt host, or someone in the middle.
            let error = node.error.clone().unwrap_or_default();
            out.push(finding(
                Severity::Critical,
                FindingCode::HostKeyChanged,
                &node.name,
                format!(
                    "{} presents an SSH host key that the console's known_hosts does not hold: the console refuses to connect and shows nothing newer ({}). Check the new key with the host's owner (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub on its console), then replace its line in the known_hosts file of the console's [ssh] settings (ssh-keygen -R, then the verified key)",
                    node.name,
                    last_answered(node.last_ok_at)
                ),
                vec![Evidence { host: node.name.clone(), command: "ssh".into(), lines: vec![error] }],
            ));
            continue;
        }
        if !node.reachable && node.error.as_deref().is_some_and(key_refused) {
            let error = node.error.clone().unwrap_or_default();
            out.push(finding(
                Severity::Critical,
                FindingCode::SshKeyRefused,
                &node.name,
                format!(
                    "{} refuses the console's SSH key: the console shows nothing newer ({}). Someone removed it from the authorized_keys of the console's [ssh] user there, or the key was rotated on one side only: put the public half of the [ssh] key_file back (ssh-copy-id, or the host's key management), then check with ssh -i KEY USER@{}",
                    node.name,
                    last_answered(node.last_ok_at),
                    node.name
                ),
                vec![Evidence { host: node.name.clone(), command: "ssh".into(), lines: vec![error] }],
            ));
            continue;
        }
        if !node.reachable {
            let error = node.error.clone().unwrap_or_default();
            let data = if node.stale { "its data below is stale" } else { "no data" };
            out.push(finding(
                Severity::Critical,
                FindingCode::NodeUnreachable,
                &node.name,
                format!("{} is unreachable ({}; {data}): {error}", node.name, last_answered(node.last_ok_at)),
                vec![Evidence { host: node.name.clone(), command: "ssh".into(), lines: vec![error] }],
            ));
        }
    }
    for instance in &snapshot.mqipt {
        if let Some(error) = &instance.error {
            out.push(finding(
                Severity::Critical,
                FindingCode::MqiptUnreadable,
                &instance.name,
                format!("MQIPT {} on {}: {} cannot be read: {error}", instance.name, instance.host, instance.conf_path),
                vec![Evidence { host: instance.host.clone(), command: format!("cat {}", instance.conf_path), lines: vec![error.clone()] }],
            ));
        }
    }
}

fn qm_findings(qm: &QmgrView, reports: &[HostReport], out: &mut Vec<Finding>) {
    let probe = Probe::QmStatus(qm.name.clone());
    let has_fresh = qm.sides.iter().flat_map(|s| &s.nodes).any(|n| !n.stale && n.qm_status.is_some());
    if qm.dr_primary_regions.len() > 1 {
        let ev = qm
            .sides
            .iter()
            .filter_map(|s| s.ha_current_location.as_ref())
            .map(|h| evidence(reports, h, &probe, &["DR role:", "DR status:"]))
            .collect();
        out.push(finding(
            Severity::Critical,
            FindingCode::DrPartitioned,
            &qm.name,
            format!(
                "{} is DR primary in {} at once (partitioned): one side's data must be discarded",
                qm.name,
                qm.dr_primary_regions.join(" and ")
            ),
            ev,
        ));
    }
    let starting: Vec<&str> = qm
        .sides
        .iter()
        .flat_map(|s| s.nodes.iter())
        .filter(|n| !n.stale && n.qm_status == Some(QmStatus::Starting))
        .map(|n| n.node.as_str())
        .collect();
    if has_fresh && qm.running_nodes.is_empty() && !starting.is_empty() {
        // Between a move and `Running`: not yet serving clients, not lost either.
        out.push(finding(
            Severity::Warning,
            FindingCode::QmStarting,
            &qm.name,
            format!("{} is starting on {} and does not accept connections yet", qm.name, starting.join(" and ")),
            starting.iter().map(|h| evidence(reports, h, &probe, &["Queue manager status:", "HA current location:"])).collect(),
        ));
    } else if has_fresh && qm.running_nodes.is_empty() {
        out.push(finding(
            Severity::Critical,
            FindingCode::QmNotRunning,
            &qm.name,
            if qm.last_known_primary_regions.is_empty() {
                format!("{} is running in no region", qm.name)
            } else {
                format!(
                    "{} is running in no region that answers: {}, its last known DR primary, does not answer; an unplanned failover (dr-failover) may be needed",
                    qm.name,
                    qm.last_known_primary_places()
                )
            },
            qm.sides
                .iter()
                .filter_map(|s| s.ha_current_location.as_ref())
                .map(|h| evidence(reports, h, &probe, &["Queue manager status:", "DR role:"]))
                .collect(),
        ));
    }
    for side in &qm.sides {
        let location = side.ha_current_location.clone().unwrap_or_default();
        let dr_bad = side.dr_status.as_ref().and_then(|s| s.status()).is_some_and(|s| *s != DrStatus::Normal);
        let unsynced = side.dr_out_of_sync_kb.is_some_and(|kb| kb > 0);
        if dr_bad || unsynced {
            let status = side.dr_status.as_ref().map(ToString::to_string).unwrap_or_default();
            let kb = side.dr_out_of_sync_kb.map(|kb| format!(", {kb} KB not yet replicated")).unwrap_or_default();
            out.push(finding(
                Severity::Warning,
                FindingCode::DrNotNormal,
                &qm.name,
                format!("{}: DR status in {} is {status}{kb}", qm.name, side.region),
                vec![evidence(reports, &location, &probe, &["DR status:", "DR out of sync data:"])],
            ));
        }
        let split: Vec<&str> = side.nodes.iter().filter(|n| !n.stale && n.ha_status == Some(HaStatus::Partitioned)).map(|n| n.node.as_str()).collect();
        if let Some(first) = split.first() {
            out.push(finding(
                Severity::Critical,
                FindingCode::HaSplitBrain,
                &qm.name,
                format!(
                    "{}'s HA data in {} is split (HA status Partitioned on {}): its nodes hold diverging copies and no longer replicate, so no node can safely take over. A person decides which node's data to keep and discards the others' (IBM's RDQM split-brain procedure; DRBD shows the resource StandAlone)",
                    qm.name,
                    side.region,
                    split.join(", ")
                ),
                vec![
                    evidence(reports, first, &probe, &["Node:", "HA status:"]),
                    standalone_evidence(reports, first, &qm.name.to_lowercase()),
                ],
            ));
        }
        for node in side.nodes.iter().filter(|n| !n.stale) {
            if let Some(status) = node.ha_status.as_ref().filter(|s| **s != HaStatus::Normal && **s != HaStatus::Partitioned) {
                out.push(finding(
                    Severity::Warning,
                    FindingCode::HaNotNormal,
                    &qm.name,
                    format!("{} on {}: HA status {status}", qm.name, node.node),
                    vec![evidence(reports, &node.node, &probe, &["HA status:", "Node:", "HA out of sync data:"])],
                ));
            }
            if let Some(error) = &node.error
                && (node.qm_status.is_none() || error.starts_with("exit code"))
            {
                out.push(finding(
                    Severity::Warning,
                    FindingCode::ProbeFailed,
                    &node.node,
                    format!("{} on {}: {error}", probe.command_line(), node.node),
                    vec![evidence(reports, &node.node, &probe, &["AMQ", "Command"])],
                ));
            }
        }
        let running_here = side.nodes.iter().find(|n| n.qm_status == Some(QmStatus::Running));
        if let (Some(running), Some(preferred)) = (running_here, side.ha_preferred_location.as_ref())
            && &running.node != preferred
        {
            out.push(finding(
                Severity::Info,
                FindingCode::QmOffPreferred,
                &qm.name,
                format!("{} runs on {} in {}, not on its preferred node {preferred}", qm.name, running.node, side.region),
                vec![evidence(reports, &running.node, &probe, &["HA current location:", "HA preferred location:"])],
            ));
        }
    }
}

fn route_findings(inventory: &Inventory, snapshot: &Snapshot, out: &mut Vec<Finding>) {
    for qm in &snapshot.qmgrs {
        let Some(route_ref) = &qm.route else { continue };
        let Some(instance) = snapshot.mqipt.iter().find(|m| m.name == route_ref.instance) else { continue };
        if instance.error.is_some() && !instance.stale {
            continue;
        }
        let subject = format!("{}:{}", route_ref.instance, route_ref.listener_port);
        let port = route_ref.listener_port.to_string();
        let conf = Evidence { host: instance.host.clone(), command: format!("cat {}", instance.conf_path), lines: Vec::new() };
        let Some(route) = snapshot.routes.iter().find(|r| r.instance == route_ref.instance && r.listener_port == port) else {
            out.push(finding(
                Severity::Critical,
                FindingCode::RouteMissing,
                &subject,
                format!("{}: MQIPT {} has no route with ListenerPort={port}", qm.name, route_ref.instance),
                vec![conf],
            ));
            continue;
        };
        let mut conf = conf;
        conf.lines = vec![
            format!("ListenerPort={port}"),
            format!("Destination={}", route.destination.clone().unwrap_or_default()),
        ];
        match (&route.destination_region, &qm.dr_primary_region) {
            (None, _) => out.push(finding(
                Severity::Warning,
                FindingCode::RouteUnknownDestination,
                &subject,
                format!(
                    "route {port} ({}) forwards to {}, which is no region's load balancer",
                    qm.name,
                    route.destination.clone().unwrap_or_else(|| "nowhere".into())
                ),
                vec![conf],
            )),
            // Partitioned (DR primary in both regions, or none answering): the route must go
            // where the queue manager runs.
            (Some(dest), None) if !qm.running_nodes.is_empty() => {
                let running: Vec<&str> = qm
                    .running_nodes
                    .iter()
                    .filter_map(|n| snapshot.regions.iter().find(|r| r.nodes.iter().any(|x| &x.name == n)).map(|r| r.name.as_str()))
                    .collect();
                if !running.is_empty() && !running.contains(&dest.as_str()) {
                    out.push(finding(
                        Severity::Critical,
                        FindingCode::RouteWrongRegion,
                        &subject,
                        format!(
                            "route {port} sends {} traffic to {dest} ({}) but {} runs in {} (on {})",
                            qm.name,
                            route.destination.clone().unwrap_or_default(),
                            qm.name,
                            running.join(" and "),
                            qm.running_nodes.join(", ")
                        ),
                        vec![conf],
                    ));
                }
            }
            (Some(dest), Some(primary)) if dest != primary => {
                let lb = inventory.regions.iter().find(|r| &r.name == primary).map(|r| r.load_balancer.clone());
                out.push(finding(
                    Severity::Critical,
                    FindingCode::RouteWrongRegion,
                    &subject,
                    format!(
                        "route {port} sends {} traffic to {dest} ({}) but {} is DR primary in {primary} ({})",
                        qm.name,
                        route.destination.clone().unwrap_or_default(),
                        qm.name,
                        lb.unwrap_or_default()
                    ),
                    vec![conf],
                ));
            }
            _ => {}
        }
    }
}

fn layer_findings(inventory: &Inventory, snapshot: &Snapshot, reports: &[HostReport], layers: &crate::layers::LayerMap, out: &mut Vec<Finding>) {
    for region in &inventory.regions {
        for (host, error) in crate::layers::host_errors(layers, &region.nodes) {
            out.push(finding(Severity::Warning, FindingCode::LayerUnreadable, &host, error.clone(), vec![Evidence { host: host.clone(), command: "drbdadm status; crm_mon".into(), lines: vec![error] }]));
        }
        for qm in &snapshot.qmgrs {
            let Some(side) = qm.sides.iter().find(|s| s.region == region.name) else { continue };
            let location = side.ha_current_location.as_deref();
            for issue in crate::layers::issues(&qm.name, &region.name, inventory.qm_nodes(&qm.name, &region.name), reports, layers, &side.nodes, location) {
                out.push(finding(issue.severity, issue.code, &qm.name, issue.message, issue.evidence));
            }
        }
    }
}

/// A node that answers the console but has lost both HA peers while they answer too: it is
/// cut off from its group (quorum lost), not down; it runs nothing and cannot take over.
fn isolation_findings(snapshot: &Snapshot, reports: &[HostReport], out: &mut Vec<Finding>) {
    let reachable = |name: &str| snapshot.regions.iter().flat_map(|r| r.nodes.iter()).any(|n| n.name == name && n.reachable && !n.stale);
    let mut seen = std::collections::BTreeSet::new();
    for qm in &snapshot.qmgrs {
        for side in &qm.sides {
            for view in side.nodes.iter().filter(|v| !v.stale && reachable(&v.node)) {
                let lost_all = !view.peers.is_empty() && view.peers.iter().all(|(_, s)| *s == HaStatus::RemoteUnavailable);
                let peers_answer = view.peers.iter().any(|(p, _)| reachable(p));
                if lost_all && peers_answer && seen.insert(view.node.clone()) {
                    let probe = Probe::QmStatus(qm.name.clone());
                    let mut evidence_lines = vec![evidence(reports, &view.node, &probe, &["Node:", "HA status:", "HA current location:"])];
                    evidence_lines.extend(view.peers.iter().filter(|(p, _)| reachable(p)).take(1).map(|(p, _)| evidence(reports, p, &probe, &["Node:", "HA status:"])));
                    out.push(finding(
                        Severity::Critical,
                        FindingCode::NodeIsolated,
                        &view.node,
                        format!(
                            "{} answers but has lost both HA peers ({}), which answer too: it is cut off from its HA group (quorum lost), runs no queue manager and cannot take one over",
                            view.node,
                            view.peers.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>().join(", ")
                        ),
                        evidence_lines,
                    ));
                }
            }
        }
    }
}

/// A reachable node whose `rdqmstatus` failed: the console does not know that node's view. A
/// refusal for want of rights (AMQ7077E) says how to give them.
fn unreadable_status_findings(snapshot: &Snapshot, out: &mut Vec<Finding>) {
    let reachable = |name: &str| snapshot.regions.iter().flat_map(|r| r.nodes.iter()).any(|n| n.name == name && n.reachable && !n.stale);
    let mut seen = std::collections::BTreeSet::new();
    for qm in &snapshot.qmgrs {
        for view in qm.sides.iter().flat_map(|s| s.nodes.iter()).filter(|v| !v.stale && reachable(&v.node)) {
            let Some(error) = &view.error else { continue };
            let command = format!("rdqmstatus -m {}", qm.name);
            let evidence = vec![Evidence { host: view.node.clone(), command, lines: vec![error.clone()] }];
            if error.contains("sudo: a password is required") || error.contains("sudo: a terminal is required") || error.contains("you must be root") {
                if seen.insert(view.node.clone()) {
                    out.push(finding(
                        Severity::Critical,
                        FindingCode::SudoRequired,
                        &view.node,
                        format!(
                            "{} runs RDQM's commands only through sudo, and the console calls them without: set sudo = true in its [[nodes]] entry (the console then runs them with sudo -n, so the sudoers rule must allow them without a password); nothing {} reports is known",
                            view.node, view.node
                        ),
                        evidence,
                    ));
                }
            } else if error.contains("AMQ7077E") {
                if seen.insert(view.node.clone()) {
                    out.push(finding(
                        Severity::Critical,
                        FindingCode::NotAuthorized,
                        &view.node,
                        format!(
                            "{} refuses the console's RDQM commands (AMQ7077E: not authorized): the console's SSH user must be in the haclient group there (usermod -aG haclient USER), or its [[nodes]] entry must set sudo = true with the seed's sudoers rule; nothing {} reports is known",
                            view.node, view.node
                        ),
                        evidence,
                    ));
                }
            } else {
                out.push(finding(
                    Severity::Warning,
                    FindingCode::QmStatusUnreadable,
                    &qm.name,
                    format!("{} on {}: rdqmstatus failed ({error}); that node's view of it is unknown", qm.name, view.node),
                    evidence,
                ));
            }
        }
    }
}

/// Every finding for the snapshot, most severe first.
pub fn derive(inventory: &Inventory, snapshot: &Snapshot, reports: &[HostReport], layers: &crate::layers::LayerMap) -> Vec<Finding> {
    let mut out = Vec::new();
    node_findings(snapshot, &mut out);
    isolation_findings(snapshot, reports, &mut out);
    unreadable_status_findings(snapshot, &mut out);
    crate::clock::clock_findings(reports, &mut out);
    layer_findings(inventory, snapshot, reports, layers, &mut out);
    for qm in &snapshot.qmgrs {
        qm_findings(qm, reports, &mut out);
    }
    route_findings(inventory, snapshot, &mut out);
    out.sort_by_key(|a| a.severity);
    out
}
