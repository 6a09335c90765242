//! The simulated MQ and MQIPT commands, acting on one host of the estate.

use crate::estate::{Estate, HostRef, Node, Region};
use crate::faults::Faults;
use crate::fs::HostFs;
use crate::layers;
use crate::print;
use crate::reference::load_routes;
use model::status::{DrRole, QmStatus};
use std::fmt::Write as _;

/// One command run on one simulated host.
#[derive(Debug, Clone)]
pub struct Invocation<'a> {
    pub host: &'a str,
    /// The program's base name, e.g. `rdqmstatus`.
    pub program: &'a str,
    pub args: &'a [String],
    /// Milliseconds since the Unix epoch.
    pub now_ms: u64,
    /// What the command reads on standard input (MQSC commands for `runmqsc`).
    pub stdin: &'a str,
    /// The command was run through `sudo` (the host's sudoers allowed it).
    pub via_sudo: bool,
    /// `MQSERVER` in the command's environment (a client's connection).
    pub mqserver: Option<&'a str>,
}

/// What the command printed and returned, plus what the caller must simulate around it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
    /// Added latency to wait before answering.
    pub delay_ms: u64,
    /// The command never answers (the caller blocks until it is killed or times out).
    pub hang: bool,
    /// How long the command takes after it acted, before it returns (a role change).
    pub takes_ms: u64,
    /// The output stops halfway and the connection drops (the caller cuts it off).
    pub cut_off: bool,
}

impl Outcome {
    fn ok(stdout: String) -> Self {
        Outcome { stdout, ..Default::default() }
    }

    /// A refusal; single-line AMQ messages wrap as RDQM prints them.
    fn fail(code: i32, stdout: String) -> Self {
        let stdout = if stdout.starts_with("AMQ") && stdout.trim_end().lines().count() == 1 {
            print::wrap(stdout.trim_end())
        } else {
            stdout
        };
        Outcome { stdout, code, ..Default::default() }
    }

    /// A failure said on standard error only, as system tools say theirs.
    fn error(code: i32, stderr: String) -> Self {
        Outcome { stderr, code, ..Default::default() }
    }

    fn usage(program: &str, usage: &str) -> Self {
        Outcome { stderr: format!("Usage: {program} {usage}\n"), code: 1, ..Default::default() }
    }
}

/// The programs the simulator answers as; anything else is "command not found".
pub const MQ_PROGRAMS: &[&str] =
    &["rdqmstatus", "rdqmdr", "rdqmadm", "dspmq", "strmqm", "endmqm", "drbdadm", "crm_mon", "crm_resource", "runmqakm", "runmqsc"];
pub const MQIPT_PROGRAMS: &[&str] = &["mqiptAdmin", "mqiptKeycmd"];
/// The samples on the client host (`wdc-mq-client`): mq-rdqm's and IBM MQ's own.
pub const CLIENT_PROGRAMS: &[&str] = &["rdqmput", "rdqmget", "amqsgetc", "amqscnxc", "amqssslc"];
/// Programs every simulated host has (the seed reloads MQIPT through its systemd unit).
pub const SYSTEM_PROGRAMS: &[&str] = &["systemctl", "date"];
/// The DRBD and Pacemaker tools of an RDQM node (installed in `/usr/sbin`).
pub const CLUSTER_PROGRAMS: &[&str] = &["drbdadm", "crm_mon", "crm_resource"];

/// Full path of a program on a real host, as sudo's trailer names it.
pub fn program_path(program: &str) -> String {
    if MQIPT_PROGRAMS.contains(&program) {
        format!("/opt/mqipt/installation1/mqipt/bin/{program}")
    } else if CLUSTER_PROGRAMS.contains(&program) {
        format!("/usr/sbin/{program}")
    } else {
        format!("/opt/mqm/bin/{program}")
    }
}

/// Runs `inv` against `estate`; state changes are made in place.
pub fn run(estate: &mut Estate, fs: &dyn HostFs, inv: &Invocation) -> Outcome {
    let delay_ms = estate.faults.latency_ms.get(inv.host).copied().unwrap_or(0);
    if Faults::take(&mut estate.faults.hang_next, inv.host, inv.program) {
        return Outcome { hang: true, delay_ms, ..Default::default() };
    }
    estate.advance(inv.now_ms);
    // What started since the last command loads its TLS; TLS channels that retry try again.
    crate::tls::ensure_loaded(estate, fs, inv.now_ms);
    crate::tls::settle(estate, fs, inv.now_ms);
    let cut_off = Faults::take(&mut estate.faults.truncate_next, inv.host, inv.program);
    let before = changes_state(inv).then(|| estate.clone());
    let refused = matches!(inv.program, "rdqmstatus" | "rdqmadm" | "rdqmdr" | "strmqm" | "endmqm") && estate.faults.not_haclient.contains(inv.host);
    let needs_sudo = estate.faults.sudo_required.contains(inv.host) && !inv.via_sudo && !SYSTEM_PROGRAMS.contains(&inv.program);
    let mut outcome = if needs_sudo {
        sudo_refused(inv)
    } else if refused {
        Outcome::fail(1, "AMQ7077E: You are not authorized to perform the requested operation.\n".into())
    } else if Faults::take(&mut estate.faults.fail_next, inv.host, inv.program) {
        injected_failure(inv)
    } else {
        dispatch(estate, fs, inv)
    };
    if let Some(before) = &before {
        estate.note_changes(before, inv.now_ms);
        if inv.program == "rdqmdr" && outcome.code == 0 {
            outcome.takes_ms = estate.timing.scaled(estate.timing.role_change_ms);
        }
        crate::tls::ensure_loaded(estate, fs, inv.now_ms);
        crate::tls::settle(estate, fs, inv.now_ms);
    }
    if changes_state(inv) {
        let log = &mut estate.command_log;
        log.push(crate::estate::LoggedCommand { at_ms: inv.now_ms, host: inv.host.to_string(), command: command_line(inv), exit_code: outcome.code });
        if log.len() > crate::estate::COMMAND_LOG_LIMIT {
            let excess = log.len() - crate::estate::COMMAND_LOG_LIMIT;
            log.drain(..excess);
        }
    }
    outcome.delay_ms = delay_ms;
    outcome.cut_off = cut_off;
    // RDQM's own programs re-run themselves through sudo and say so; DRBD, Pacemaker, dspmq,
    // runmqsc and runmqakm do not.
    let rdqm_wrapped = matches!(inv.program, "rdqmstatus" | "rdqmadm" | "rdqmdr");
    if rdqm_wrapped && estate.faults.sudo_trailer.contains(inv.host) && outcome.code != 127 {
        let _ = writeln!(outcome.stdout, "Command '{}' run with sudo.", program_path(inv.program));
    }
    if rdqm_wrapped && estate.faults.stderr_output.contains(inv.host) {
        let stdout = std::mem::take(&mut outcome.stdout);
        outcome.stderr = stdout + &outcome.stderr;
    }
    outcome
}

/// Commands that write the hosts' files (key databases, certificates, error logs) as they
/// act: run once, under the state's exclusive lock.
pub fn writes_files(inv: &Invocation) -> bool {
    match inv.program {
        "runmqakm" | "mqiptKeycmd" => crate::keystore::writes(inv.args),
        "runmqsc" => !mqsc_changes(inv.stdin).is_empty(),
        "amqssslc" => true,
        _ => false,
    }
}

/// Commands that change the estate (not the reads a console polls with).
fn changes_state(inv: &Invocation) -> bool {
    match inv.program {
        "rdqmdr" => inv.args.iter().any(|a| a == "-p" || a == "-s"),
        "rdqmadm" => inv.args.iter().any(|a| a == "-s" || a == "-r" || a == "-p"),
        "mqiptAdmin" => inv.args.iter().any(|a| a == "-refresh"),
        "systemctl" => inv.args.first().is_some_and(|a| a == "reload"),
        "crm_resource" => inv.args.iter().any(|a| a == "--cleanup" || a == "-C"),
        "strmqm" | "endmqm" => true,
        "runmqakm" | "mqiptKeycmd" => crate::keystore::writes(inv.args),
        "runmqsc" => !mqsc_changes(inv.stdin).is_empty(),
        _ => false,
    }
}

/// The MQSC commands of a `runmqsc` input that change something (ALTER, REFRESH, START).
fn mqsc_changes(stdin: &str) -> Vec<&str> {
    stdin
        .lines()
        .map(str::trim)
        .filter(|l| {
            let verb = l.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
            matches!(verb.as_str(), "ALTER" | "ALT" | "REFRESH" | "REF" | "START" | "STA")
        })
        .collect()
}

/// A host where the MQ and cluster tools need root: run without sudo, RDQM's programs fail in
/// their own sudo (no terminal for a password), the others are refused by the OS.
fn sudo_refused(inv: &Invocation) -> Outcome {
    if matches!(inv.program, "rdqmstatus" | "rdqmadm" | "rdqmdr") {
        let error = "sudo: a terminal is required to read the password; either use the -S option to read from standard input or configure an askpass helper\nsudo: a password is required\n";
        return Outcome::error(1, error.into());
    }
    if CLUSTER_PROGRAMS.contains(&inv.program) {
        return Outcome::error(1, format!("{}: Permission denied (you must be root)\n", inv.program));
    }
    Outcome::fail(1, "AMQ7077E: You are not authorized to perform the requested operation.\n".into())
}

fn injected_failure(inv: &Invocation) -> Outcome {
    match inv.program {
        "drbdadm" => {
            return Outcome { stderr: "Command 'drbdsetup status' terminated with exit code 20\n".into(), code: 20, ..Default::default() };
        }
        "crm_mon" => {
            let request = command_line(inv);
            return Outcome {
                stdout: format!(
                    "<pacemaker-result api-version=\"2.25\" request=\"{}\">\n  <status code=\"102\" message=\"Not connected\">\n    <errors>\n      <error>crm_mon: Error: cluster is not available on this node</error>\n    </errors>\n  </status>\n</pacemaker-result>\n",
                    layers::xml_escape(&request)
                ),
                code: 102,
                ..Default::default()
            };
        }
        "crm_resource" => {
            return Outcome {
                stderr: "crm_resource: Error: cluster is not available on this node\nError performing operation: Not connected\n".into(),
                code: 102,
                ..Default::default()
            };
        }
        _ => {}
    }
    if inv.program == "mqiptAdmin" {
        let name = flag_value(inv.args, "-n").unwrap_or("HAMQ");
        return Outcome::fail(
            1,
            format!("MQCAI105 Sending REFRESH command to MQIPT instance with name {name}\nMQCAI004 Unable to connect to MQIPT {name}: Connection refused\n"),
        );
    }
    Outcome::fail(71, "AMQ6109E: An internal IBM MQ error has occurred.\n".to_string())
}

fn dispatch(estate: &mut Estate, fs: &dyn HostFs, inv: &Invocation) -> Outcome {
    let not_found = || Outcome {
        stderr: format!("sh: 1: {}: not found\n", inv.program),
        code: 127,
        ..Default::default()
    };
    if estate.clients.iter().any(|c| c == inv.host) {
        return match inv.program {
            "rdqmput" | "rdqmget" => crate::client::run(estate, inv.program, inv.args, inv.mqserver, inv.now_ms),
            "amqssslc" => crate::amqs::amqssslc(estate, fs, inv.args, inv.mqserver, inv.now_ms),
            "runmqakm" => crate::keystore::runmqakm(estate, fs, inv.host, inv.program, inv.args),
            "amqsgetc" => crate::amqs::amqsgetc(estate, inv.args, inv.mqserver, inv.now_ms),
            "amqscnxc" => crate::amqs::amqscnxc(estate, inv.args, inv.mqserver, inv.now_ms),
            "date" => date(estate, inv),
            _ => not_found(),
        };
    }
    match estate.host(inv.host) {
        Some(HostRef::Node { .. }) => match inv.program {
            "rdqmstatus" => rdqmstatus(estate, inv),
            "rdqmdr" => rdqmdr(estate, inv),
            "rdqmadm" => rdqmadm(estate, inv),
            "dspmq" => dspmq(estate, inv),
            "strmqm" | "endmqm" => start_or_end(estate, inv),
            "drbdadm" => drbdadm(estate, inv),
            "crm_mon" => crm_mon(estate, inv),
            "crm_resource" => crm_resource(estate, inv),
            "runmqakm" => crate::keystore::runmqakm(estate, fs, inv.host, inv.program, inv.args),
            "runmqsc" => crate::mqsc::runmqsc(estate, fs, inv),
            "systemctl" => systemctl(estate, fs, inv),
            "date" => date(estate, inv),
            _ => not_found(),
        },
        Some(HostRef::Bastion(_)) => match inv.program {
            "mqiptAdmin" => mqipt_admin(estate, fs, inv),
            "systemctl" => systemctl(estate, fs, inv),
            "mqiptKeycmd" => crate::keystore::runmqakm(estate, fs, inv.host, inv.program, inv.args),
            _ => not_found(),
        },
        None => Outcome::fail(255, format!("host {} is not part of the simulated estate\n", inv.host)),
    }
}

/// `strmqm QM` and `endmqm [-i|-w] QM` on an HA RDQM. `endmqm` takes it out of Pacemaker's
/// hands and stops it on every node ("disabled"); `strmqm` gives it back. While HA manages it
/// (after `rdqmdr -p`, HA starts it by itself), `strmqm` is refused with AMQ3681E. The AMQ3681E
/// and "disabled" wordings are ours: IBM's exact texts were not found in a capture; the
/// "enabled" line is the one crtmqm prints.
fn start_or_end(estate: &mut Estate, inv: &Invocation) -> Outcome {
    let start = inv.program == "strmqm";
    let names: Vec<&String> = inv.args.iter().filter(|a| !a.starts_with('-')).collect();
    let flags_ok = inv.args.iter().filter(|a| a.starts_with('-')).all(|a| !start && (a == "-i" || a == "-w"));
    let (true, [name]) = (flags_ok, names.as_slice()) else {
        return Outcome::usage(inv.program, if start { "QMgrName" } else { "[-i | -w] QMgrName" });
    };
    let Some((region, _)) = local_node(estate, inv.host) else {
        return Outcome::fail(1, String::new());
    };
    // A queue manager of another HA group is not known on this node.
    let known = estate.qmgr(name).is_some_and(|q| region.holds(q));
    let region = region.name.clone();
    let Some(qm) = estate.qmgr_mut(name).filter(|_| known) else {
        return Outcome::fail(72, "AMQ7048E: The queue manager name is either not valid or not known.\n".into());
    };
    if qm.side(&region).is_none_or(|s| s.dr_role != DrRole::Primary) {
        return Outcome::fail(40, format!("AMQ8146E: IBM MQ queue manager '{name}' not available: it is the DR secondary here.\n"));
    }
    match (start, qm.disabled) {
        (true, true) => {
            qm.disabled = false;
            Outcome::ok(format!("Replicated data queue manager enabled.\nIBM MQ queue manager '{name}' starting.\n"))
        }
        (true, false) => Outcome::fail(
            5,
            format!("AMQ3681E: Queue manager '{name}' is managed by the replicated data HA subsystem, which starts it; strmqm is not needed.\n"),
        ),
        (false, true) => Outcome::fail(16, format!("AMQ8147E: IBM MQ queue manager '{name}' not running.\n")),
        (false, false) => {
            qm.disabled = true;
            Outcome::ok(format!(
                "Replicated data queue manager disabled.\nIBM MQ queue manager '{name}' ending.\nIBM MQ queue manager '{name}' ended.\n"
            ))
        }
    }
}

fn flag_value<'a>(args: &'a [String], flag: &str) -> Option<&'a str> {
    args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).map(String::as_str)
}

fn has_flag(args: &[String], flag: &str) -> bool {
    args.iter().any(|a| a == flag)
}

/// Checks that `args` holds only the given switches and valued flags.
fn only_flags(args: &[String], switches: &[&str], valued: &[&str]) -> bool {
    let mut i = 0;
    while i < args.len() {
        let arg = args[i].as_str();
        if valued.contains(&arg) {
            if i + 1 >= args.len() {
                return false;
            }
            i += 2;
        } else if switches.contains(&arg) {
            i += 1;
        } else {
            return false;
        }
    }
    true
}

fn local_node<'a>(estate: &'a Estate, host: &str) -> Option<(&'a Region, &'a Node)> {
    match estate.host(host)? {
        HostRef::Node { region, node } => Some((region, node)),
        HostRef::Bastion(_) => None,
    }
}

/// A queue manager this node does not know: not defined, or of another HA group (a node knows
/// only its own group's). No capture of RDQM's refusal was found: AMQ8118E is MQ's message for
/// a queue manager that does not exist, worded here with the name, exit code ours.
fn unknown_qm(name: &str) -> Outcome {
    Outcome::fail(1, format!("AMQ8118E: IBM MQ queue manager '{name}' does not exist.\n"))
}

fn rdqmstatus(estate: &mut Estate, inv: &Invocation) -> Outcome {
    let args = inv.args;
    if !only_flags(args, &["-n", "-a"], &["-m"]) {
        return Outcome::usage("rdqmstatus", "[-m QMgrName [-a]] [-n]");
    }
    let Some((region, node)) = local_node(estate, inv.host) else {
        return unknown_qm("");
    };
    if has_flag(args, "-n") {
        return Outcome::ok(print::rdqmstatus_nodes(region));
    }
    match flag_value(args, "-m") {
        Some(name) => match estate.qmgr(name).filter(|q| region.holds(q)) {
            Some(qm) => {
                let mut out = print::rdqmstatus_qm(estate, qm, region, node, inv.now_ms);
                if has_flag(args, "-a") {
                    out.push_str(&print::rdqmstatus_failed_actions(qm, region));
                }
                Outcome::ok(out)
            }
            None => unknown_qm(name),
        },
        // `-a` goes with `-m` only.
        None if has_flag(args, "-a") => Outcome::usage("rdqmstatus", "[-m QMgrName [-a]] [-n]"),
        None => Outcome::ok(print::rdqmstatus_summary(estate, region, node, inv.now_ms)),
    }
}

/// AMQ3705E: RDQM refuses DR and HA operations on a node that is not the QM's HA primary.
///
/// The message ids here (AMQ3705E, and AMQ3691E/3692E/3693E/3764E below) are real or
/// plausible RDQM ids; their wording was not found in IBM's published material and is ours.
fn not_ha_primary(qm: &str, location: Option<&str>) -> Outcome {
    let location = location.unwrap_or("(none)");
    Outcome::fail(
        2,
        format!(
            "AMQ3705E: The command must be run on the node where the HA queue manager '{qm}' is currently running ('{location}').\n"
        ),
    )
}

fn rdqmdr(estate: &mut Estate, inv: &Invocation) -> Outcome {
    let args = inv.args;
    let promote = has_flag(args, "-p");
    let demote = has_flag(args, "-s");
    let name = flag_value(args, "-m");
    let (Some(name), true, true) = (name, promote != demote, only_flags(args, &["-p", "-s"], &["-m"])) else {
        return Outcome::usage("rdqmdr", "-m QMgrName (-p | -s)");
    };
    let Some((region, node)) = local_node(estate, inv.host) else {
        return unknown_qm(name);
    };
    let (region_name, node_name) = (region.name.clone(), node.name.clone());
    let Some(qm) = estate.qmgr(name).filter(|q| region.holds(q)) else {
        return unknown_qm(name);
    };
    let location = estate.ha_location(qm, region).map(|n| n.name.clone());
    if location.as_deref() != Some(node_name.as_str()) {
        return not_ha_primary(name, location.as_deref());
    }
    let link_up = estate.dr_link_up(qm);
    let other_primary = qm.sides.iter().any(|s| s.region != region_name && s.dr_role == DrRole::Primary);
    let this_role = qm.side(&region_name).map(|s| s.dr_role.clone());
    let resync_ms = estate.resync_ms;
    let Some(qm) = estate.qmgr_mut(name) else {
        return unknown_qm(name);
    };
    if demote {
        if this_role == Some(DrRole::Secondary) {
            return Outcome::fail(1, format!("AMQ3692E: Queue manager '{name}' is already the DR secondary.\n"));
        }
        if let Some(side) = qm.side_mut(&region_name) {
            side.dr_role = DrRole::Secondary;
        }
        if other_primary {
            // Resolving a split: this side's changes since the split are discarded.
            qm.split_survivor = None;
            qm.resync_until_ms = Some(inv.now_ms + resync_ms);
            qm.resync_since_ms = Some(inv.now_ms);
        }
        return Outcome::ok(format!("Queue manager '{name}' has been made the DR secondary on this node.\n"));
    }
    if this_role == Some(DrRole::Primary) {
        return Outcome::fail(1, format!("AMQ3691E: Queue manager '{name}' is already the DR primary.\n"));
    }
    if other_primary && link_up {
        return Outcome::fail(
            1,
            format!(
                "AMQ3693E: Queue manager '{name}' cannot be made the DR primary because the remote instance is the DR primary.\n"
            ),
        );
    }
    if other_primary {
        // Unplanned promotion: the old primary is unreachable; what it had not replicated is lost.
        qm.lost_kb += qm.out_of_sync_kb;
        qm.out_of_sync_kb = 0;
        qm.split_survivor = Some(region_name.clone());
    }
    if let Some(side) = qm.side_mut(&region_name) {
        side.dr_role = DrRole::Primary;
    }
    Outcome::ok(format!("Queue manager '{name}' has been made the DR primary on this node.\n"))
}

fn rdqmadm(estate: &mut Estate, inv: &Invocation) -> Outcome {
    let args = inv.args;
    let Some((region, node)) = local_node(estate, inv.host) else {
        return Outcome::usage("rdqmadm", "-s | -r | -p -m QMgrName [-n NodeName]");
    };
    let (region_name, node_name) = (region.name.clone(), node.name.clone());
    let group: Vec<String> = region.nodes.iter().map(|n| n.name.clone()).collect();
    let group_number = region.group;
    if args.len() == 1 && (args[0] == "-s" || args[0] == "-r") {
        let suspend = args[0] == "-s";
        let Some(node) = estate.node_mut(&node_name) else {
            return Outcome::usage("rdqmadm", "-s | -r");
        };
        if node.suspended == suspend {
            let state = if suspend { "suspended" } else { "resumed" };
            return Outcome::fail(1, format!("The replicated data node '{node_name}' is already {state}.\n"));
        }
        node.suspended = suspend;
        let verb = if suspend { "suspended" } else { "resumed" };
        return Outcome::ok(format!("The replicated data node '{node_name}' has been {verb}.\n"));
    }
    if has_flag(args, "-p") && only_flags(args, &["-p"], &["-m", "-n"]) {
        let Some(name) = flag_value(args, "-m") else {
            return Outcome::usage("rdqmadm", "-p -m QMgrName [-n NodeName]");
        };
        let target = flag_value(args, "-n").unwrap_or(&node_name).to_string();
        let in_group = group.contains(&target);
        if !in_group {
            return Outcome::fail(1, format!("AMQ3764E: Node '{target}' is not a member of this HA group.\n"));
        }
        let Some(side) = estate.qmgr_mut(name).filter(|q| q.group == group_number).and_then(|q| q.side_mut(&region_name)) else {
            return unknown_qm(name);
        };
        side.preferred = target.clone();
        return Outcome::ok(print::wrap(&format!(
            "The preferred replicated data node has been set to '{target}' for queue manager '{name}'."
        )));
    }
    Outcome::usage("rdqmadm", "-s | -r | -p -m QMgrName [-n NodeName]")
}

fn dspmq(estate: &mut Estate, inv: &Invocation) -> Outcome {
    let args = inv.args;
    if !only_flags(args, &["-a", "-x", "-s", "-n"], &["-m", "-o"]) {
        return Outcome::usage("dspmq", "[-m QMgrName] [-o status|ha|dr|all] [-s] [-x] [-a]");
    }
    let Some((region, node)) = local_node(estate, inv.host) else {
        return Outcome::fail(1, String::new());
    };
    let only = flag_value(args, "-m");
    if let Some(name) = only
        && estate.qmgr(name).and_then(|q| region.side_of(q)).is_none()
    {
        return Outcome::fail(72, "AMQ7048E: The queue manager name is either not valid or not known.\n".into());
    }
    let option = flag_value(args, "-o").unwrap_or("status");
    let mut out = String::new();
    for qm in estate.qmgrs.iter().filter(|q| region.holds(q)) {
        if only.is_some_and(|n| n != qm.name) {
            continue;
        }
        let status = print::qm_status_on(estate, qm, region, node, inv.now_ms);
        let running_here = status == QmStatus::Running;
        if has_flag(args, "-a") && !running_here {
            continue;
        }
        let mut attributes = Vec::new();
        match option {
            "ha" => attributes.push(("HA", "Replicated".to_string())),
            "dr" => {
                let role = qm.side(&region.name).map_or("Unknown".into(), |s| s.dr_role.to_string());
                attributes.push(("DRROLE", role));
            }
            "status" | "all" => {
                attributes.push(("STATUS", status.to_string()));
                if option == "all" {
                    attributes.push(("DEFAULT", "no".to_string()));
                    let standby = if running_here { "Not permitted" } else { "Not applicable" };
                    attributes.push(("STANDBY", standby.to_string()));
                    attributes.push(("INSTNAME", "Installation1".to_string()));
                    attributes.push(("INSTPATH", "/opt/mqm".to_string()));
                    attributes.push(("INSTVER", "9.2.5.0".to_string()));
                    attributes.push(("HA", "Replicated".to_string()));
                    let role = qm.side(&region.name).map_or("Unknown".into(), |s| s.dr_role.to_string());
                    attributes.push(("DRROLE", role));
                }
            }
            other => return Outcome::fail(1, format!("AMQ7026E: A principal or group name was invalid: '{other}'.\n")),
        }
        let instances = if has_flag(args, "-x") && running_here { vec![node.name.clone()] } else { Vec::new() };
        print::dspmq_entry(&mut out, &qm.name, &attributes, &instances);
    }
    // IBM documents dspmq's return codes as 0, 36, 71 and 72: with -a, 0 whether or not
    // anything is active (the listing says what is).
    Outcome { stdout: out, ..Default::default() }
}

/// The command line as Pacemaker's `request` attribute quotes it (for `runmqsc`, followed by
/// the MQSC commands on its input that change something).
fn command_line(inv: &Invocation) -> String {
    let mut line = shell_line(inv);
    if inv.program == "runmqsc" {
        let changes = mqsc_changes(inv.stdin);
        if !changes.is_empty() {
            line.push_str(" <<< ");
            line.push_str(&changes.join("; "));
        }
    }
    line
}

fn shell_line(inv: &Invocation) -> String {
    let mut line = inv.program.to_string();
    for arg in inv.args {
        line.push(' ');
        if arg.is_empty() || arg.contains(|c: char| c.is_whitespace() || c == '\'' || c == '"') {
            line.push('\'');
            line.push_str(&arg.replace('\'', "'\\''"));
            line.push('\'');
        } else {
            line.push_str(arg);
        }
    }
    line
}

/// `drbdadm status [RESOURCE...]` in DRBD 9's format.
fn drbdadm(estate: &mut Estate, inv: &Invocation) -> Outcome {
    let args = inv.args;
    if args.first().map(String::as_str) != Some("status") {
        let usage = "USAGE: drbdadm COMMAND [OPTION...] {all|RESOURCE...}\n\nThe simulator knows: status\n";
        return Outcome { stderr: usage.into(), code: 1, ..Default::default() };
    }
    let Some((region, node)) = local_node(estate, inv.host) else {
        return Outcome { stderr: "# No currently configured DRBD found.\n".into(), code: 10, ..Default::default() };
    };
    let blocks = layers::drbd_blocks(estate, region, node, inv.now_ms);
    let wanted: Vec<&String> = args.iter().skip(1).filter(|a| !a.starts_with('-')).collect();
    if wanted.is_empty() || wanted.iter().any(|a| *a == "all") {
        return Outcome::ok(blocks.into_iter().map(|b| b.text).collect());
    }
    let mut out = Outcome::default();
    for name in wanted {
        match blocks.iter().find(|b| &b.name == name) {
            Some(block) => out.stdout.push_str(&block.text),
            None if name.ends_with(".dr") && estate.qmgrs.iter().any(|q| region.holds(q) && format!("{}.dr", q.resource_name()) == **name) => {
                // Configured, but not up on a node that is not the HA location.
                let _ = writeln!(out.stderr, "{name}: No such resource");
                out.code = out.code.max(10);
            }
            None => {
                let _ = writeln!(out.stderr, "'{name}' not defined in your config (for this host).");
                if out.code == 0 {
                    out.code = 1;
                }
            }
        }
    }
    out
}

/// `crm_mon --one-shot [--inactive] --output-as=xml` (Pacemaker 2.1's XML).
fn crm_mon(estate: &mut Estate, inv: &Invocation) -> Outcome {
    let mut inactive = false;
    let mut xml = false;
    let mut i = 0;
    while i < inv.args.len() {
        let arg = inv.args[i].as_str();
        match arg {
            "-1" | "--one-shot" => {}
            "-r" | "--inactive" => inactive = true,
            "-X" | "--as-xml" | "--output-as=xml" => xml = true,
            "--output-as" => {
                i += 1;
                xml = inv.args.get(i).is_some_and(|v| v == "xml");
            }
            _ if arg.starts_with("--output-as=") => xml = false,
            _ => {
                return Outcome {
                    stderr: format!("crm_mon: Unknown option '{arg}'\nUsage: crm_mon --one-shot [--inactive] --output-as=xml\n"),
                    code: 64,
                    ..Default::default()
                };
            }
        }
        i += 1;
    }
    if !xml {
        return Outcome {
            stderr: "crm_mon: the simulator answers only --output-as=xml\n".into(),
            code: 64,
            ..Default::default()
        };
    }
    let Some((region, _)) = local_node(estate, inv.host) else {
        return Outcome { stderr: "crm_mon: Error: cluster is not available on this node\n".into(), code: 102, ..Default::default() };
    };
    Outcome::ok(layers::crm_mon_xml(estate, region, &command_line(inv), inactive, inv.now_ms))
}

/// `crm_resource --cleanup [--resource RSC] [--node NODE]` (also `-C -r RSC -N NODE`).
///
/// As Pacemaker 2.1 does: erases the failures of the resource on every online node of the
/// cluster (or on NODE), one `Cleaned up` line each, then, when there was something to erase,
/// waits for the controller's last reply. Starts nothing by itself.
fn crm_resource(estate: &mut Estate, inv: &Invocation) -> Outcome {
    let args = inv.args;
    let mut cleanup = false;
    let mut resource: Option<String> = None;
    let mut only_node: Option<String> = None;
    let mut i = 0;
    while i < args.len() {
        let arg = args[i].as_str();
        let value = |i: usize| args.get(i + 1).cloned();
        match arg {
            "-C" | "--cleanup" => cleanup = true,
            "-r" | "--resource" => {
                resource = value(i);
                i += 1;
            }
            "-N" | "--node" => {
                only_node = value(i);
                i += 1;
            }
            _ if arg.starts_with("--resource=") => resource = arg.strip_prefix("--resource=").map(str::to_string),
            _ if arg.starts_with("--node=") => only_node = arg.strip_prefix("--node=").map(str::to_string),
            _ => {
                return Outcome {
                    stderr: format!("crm_resource: Unknown option '{arg}'\n"),
                    code: 64,
                    ..Default::default()
                };
            }
        }
        i += 1;
    }
    let (true, true) = (cleanup, resource.as_deref().is_none_or(|r| !r.is_empty())) else {
        return Outcome {
            stderr: "crm_resource: the simulator answers only --cleanup [--resource RESOURCE] [--node NODE]\n".into(),
            code: 64,
            ..Default::default()
        };
    };
    let Some((region, _)) = local_node(estate, inv.host) else {
        return Outcome { stderr: "crm_resource: Error: cluster is not available on this node\n".into(), code: 102, ..Default::default() };
    };
    let region_name = region.name.clone();
    let group = region.group;
    let nodes: Vec<String> = region
        .nodes
        .iter()
        .filter(|n| n.up)
        .filter(|n| only_node.as_deref().is_none_or(|o| o == n.name))
        .map(|n| n.name.clone())
        .collect();
    if let Some(node) = &only_node
        && !region.nodes.iter().any(|n| &n.name == node)
       
    {
        return Outcome {
            stderr: format!("crm_resource: Node '{node}' not found\nError performing operation: No such object\n"),
            code: 105,
            ..Default::default()
        };
    }
    let mut out = String::new();
    let mut replies = 0usize;
    match resource {
        None => {
            for qm in estate.qmgrs.iter_mut().filter(|q| q.group == group && q.side(&region_name).is_some()) {
                qm.fail_counts.retain(|node, _| !nodes.contains(node));
                qm.failures.retain(|f| !nodes.contains(&f.node));
            }
            let target = only_node.unwrap_or_else(|| "all nodes".to_string());
            let _ = writeln!(out, "Cleaned up all resources on {target}");
            replies = 1;
        }
        Some(rsc) => {
            let owner = estate
                .qmgrs
                .iter()
                .position(|q| q.group == group && q.side(&region_name).is_some() && layers::resource_ids(q).contains(&rsc));
            let Some(index) = owner else {
                return Outcome {
                    stderr: format!("crm_resource: Resource '{rsc}' not found\nError performing operation: No such object\n"),
                    code: 105,
                    ..Default::default()
                };
            };
            let group_size = region.nodes.len();
            let Some(qm) = estate.qmgrs.get_mut(index) else {
                return Outcome::default();
            };
            let is_qm = rsc == qm.resource_name();
            // A clone is cleaned instance by instance, as crm_resource recurses into children.
            let instances: Vec<String> = if rsc.starts_with("ms_drbd_") || rsc.starts_with("p_drbd_") {
                let base = format!("p_drbd_{}", qm.resource_name());
                (0..group_size).map(|i| format!("{base}:{i}")).collect()
            } else {
                vec![rsc.clone()]
            };
            for instance in &instances {
                for node in &nodes {
                    if is_qm && (qm.fail_count(node) > 0 || qm.failures.iter().any(|f| &f.node == node)) {
                        replies += 1;
                    }
                    let _ = writeln!(out, "Cleaned up {instance} on {node}");
                }
            }
            if is_qm {
                qm.fail_counts.retain(|node, _| !nodes.contains(node));
                qm.failures.retain(|f| !nodes.contains(&f.node));
            }
        }
    }
    // One controller request per node that had failures; crm_resource handles the replies
    // that arrive while it is still cleaning, and waits for the rest (usually the last one).
    if replies > 0 {
        let _ = writeln!(out, "Waiting for 1 reply from the controller");
        let _ = writeln!(out, "... got reply (done)");
    }
    Outcome::ok(out)
}

fn format_mqipt_time(now_ms: u64) -> String {
    use time::OffsetDateTime;
    use time::macros::format_description;
    let at = OffsetDateTime::from_unix_timestamp((now_ms / 1000) as i64).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let fmt = format_description!(
        "[month repr:long] [day padding:none], [year] [hour repr:12 padding:none]:[minute]:[second] [period] UTC"
    );
    at.format(&fmt).unwrap_or_default()
}

/// `date +%s` (and `date -u +%s`): the host's clock, which the `clock-skew` knob sets off.
fn date(estate: &Estate, inv: &Invocation) -> Outcome {
    let skew_s = estate.faults.clock_skew_s.get(inv.host).copied().unwrap_or(0);
    let now_s = (inv.now_ms / 1000) as i64 + skew_s;
    match inv.args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["+%s"] | ["-u", "+%s"] => Outcome::ok(format!("{now_s}\n")),
        _ => Outcome::error(1, "date: this simulated host prints only `date +%s`\n".into()),
    }
}

/// `systemctl reload mqipt-@NAME.service`, the seed's other way to refresh an MQIPT instance
/// (its unit's ExecReload runs `mqiptAdmin -refresh`), and `systemctl reload tlshd` on a node. Texts and exit codes are systemctl's:
/// silent on success; "is not active, cannot reload." (1) for a stopped unit; "not found." (5).
fn systemctl(estate: &mut Estate, fs: &dyn HostFs, inv: &Invocation) -> Outcome {
    let [verb, unit] = inv.args else {
        return Outcome::error(1, "Too few or too many arguments: this host's systemctl knows `reload UNIT`.\n".into());
    };
    if verb != "reload" {
        return Outcome::error(1, format!("Unknown command verb {verb}.\n"));
    }
    // tlshd (DRBD's TLS handshake daemon) on an RDQM node: it loads its certificate, key and
    // trust bundle again.
    if matches!(unit.as_str(), "tlshd" | "tlshd.service") && local_node(estate, inv.host).is_some() {
        let loaded = crate::tls::load_tlshd(fs, inv.host, inv.now_ms);
        let failed = loaded.error.is_some();
        if let Some(node) = estate.node_mut(inv.host) {
            node.tlshd = Some(loaded);
        }
        return if failed {
            Outcome::error(1, "Job for tlshd.service failed because the control process exited with error code.\nSee \"systemctl status tlshd.service\" and \"journalctl -xeu tlshd.service\" for details.\n".into())
        } else {
            Outcome::ok(String::new())
        };
    }
    let instance = unit.strip_prefix("mqipt-@").and_then(|u| u.strip_suffix(".service"));
    let known = instance.and_then(|name| {
        estate.bastions.iter().filter(|b| b.name == inv.host).flat_map(|b| b.mqipt.iter()).find(|i| i.name == name)
    });
    let (Some(name), Some(found)) = (instance, known) else {
        return Outcome::error(5, format!("Failed to reload {unit}: Unit {unit} not found.\n"));
    };
    if !found.running {
        return Outcome::error(1, format!("{unit} is not active, cannot reload.\n"));
    }
    let args = ["-refresh".to_string(), "-n".to_string(), name.to_string()];
    let refresh = mqipt_admin(estate, fs, &Invocation { program: "mqiptAdmin", args: &args, ..*inv });
    if refresh.code == 0 {
        return Outcome::ok(String::new());
    }
    Outcome::error(1, format!(
        "Job for {unit} failed because the control process exited with error code.\nSee \"systemctl status {unit}\" and \"journalctl -xeu {unit}\" for details.\n"
    ))
}

fn mqipt_admin(estate: &mut Estate, fs: &dyn HostFs, inv: &Invocation) -> Outcome {
    let args = inv.args;
    let refresh = has_flag(args, "-refresh");
    let stop = has_flag(args, "-stop");
    let (true, Some(name)) = (refresh ^ stop && only_flags(args, &["-refresh", "-stop"], &["-n"]), flag_value(args, "-n"))
    else {
        return Outcome::usage("mqiptAdmin", "(-refresh | -stop) -n name");
    };
    let stamp = format_mqipt_time(inv.now_ms);
    let command = if refresh { "REFRESH" } else { "STOP" };
    let mut out = format!("{stamp}\nMQCAI105 Sending {command} command to MQIPT instance with name {name}\n");
    let faults_route_fail = estate.faults.route_fail.clone();
    let Some(instance) =
        estate.bastions.iter_mut().filter(|b| b.name == inv.host).flat_map(|b| b.mqipt.iter_mut()).find(|i| i.name == name)
    else {
        let _ = writeln!(out, "MQCAI159 MQIPT instance with name {name} is not active");
        return Outcome::fail(1, out);
    };
    if !instance.running {
        let _ = writeln!(out, "MQCAI159 MQIPT instance with name {name} is not active");
        return Outcome::fail(1, out);
    }
    if stop {
        instance.running = false;
        let _ = writeln!(out, "MQCAI024 MQIPT {name} has been stopped");
        return Outcome::ok(out);
    }
    let conf = match fs.read(&instance.conf_path) {
        Ok(conf) => conf,
        Err(e) => {
            let _ = writeln!(out, "MQCPE011 Unable to read configuration file {}: {e}", instance.conf_path);
            return Outcome::fail(1, out);
        }
    };
    let previous_routes = instance.active_routes.clone();
    // Each route loads its keystores and site labels now (a route whose keystore changed
    // restarts, as one whose destination changed does).
    let mut routes = load_routes(&conf);
    for route in &mut routes {
        route.tls = crate::tls::load_route(estate, fs, inv.host, route, inv.now_ms);
    }
    let Some(instance) =
        estate.bastions.iter_mut().filter(|b| b.name == inv.host).flat_map(|b| b.mqipt.iter_mut()).find(|i| i.name == name)
    else {
        return Outcome::fail(1, out);
    };
    for route in &mut routes {
        let previous = previous_routes.iter().find(|r| r.listener_port == route.listener_port);
        let tls_of = |r: &crate::estate::ActiveRoute| r.tls.as_ref().map(crate::tls::RouteTls::fingerprint);
        let unchanged = previous.filter(|p| {
            p.destination == route.destination && p.destination_port == route.destination_port && p.ssl == route.ssl && (p.tls.is_none() || tls_of(p) == tls_of(route))
        });
        route.starts = match (unchanged, previous) {
            (Some(p), _) => p.starts,
            (None, Some(p)) => p.starts + 1,
            (None, None) => 1,
        };
        // A route left running keeps its port; a changed, new or failed one binds it now.
        route.failed = match unchanged {
            Some(p) if !p.failed => false,
            _ => route.listener_port.parse::<u16>().is_ok_and(|port| faults_route_fail.contains(&port)),
        };
        // A route that keeps running keeps what it loaded (the same content).
        if let Some(p) = unchanged.filter(|p| p.tls.is_some()) {
            route.tls = p.tls.clone();
        }
    }
    instance.active_routes = routes;
    instance.refreshes += 1;
    let _ = writeln!(out, "MQCAI025 MQIPT {name} has been refreshed");
    Outcome::ok(out)
}
