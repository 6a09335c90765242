//! The client host's `rdqmput` and `rdqmget` (the samples of github.com/ibm-messaging/mq-rdqm
//! that seed 000 builds on `wdc-mq-client`): options, output lines and exit codes as the
//! samples' C source has them, connecting as an MQ client through `MQSERVER`. The path is
//! resolved as a real connection would go: the MQIPT instance at the address and its route on
//! the port **as MQIPT last loaded them** (an edited, unrefreshed `mqipt.conf` still routes the
//! old way) → the route's `Destination` (a region's load balancer) and `DestinationPort` → the
//! queue manager with that listener, running in that region → its SVRCONN channel.
//!
//! Messages live with the queue manager's DR side where they were committed: the HA group
//! shares one copy (synchronous replication), the DR secondary gets a copy only while DR
//! replication flows; what it lacks is `DR out of sync data`, and an unplanned promotion of
//! that side loses exactly it.
//!
//! IBM MQ's own samples on the same host (`amqsgetc`, `amqscnxc`, in [`crate::amqs`]) connect
//! and replicate through the functions here.

use crate::commands::Outcome;
use crate::estate::{ActiveRoute, Estate, QueueManager};
use model::status::DrRole;
use std::fmt::Write as _;

/// The samples' defaults (`options.c`).
struct Options {
    batches: u64,
    batch_size: u64,
    message_size: u64,
    sleep_secs: u64,
    verbosity: u64,
    qmgr: String,
    queue: String,
}

const USAGE_PUT: &str = "Usage: rdqmput [-b batches] [-l message length] [-m messages] [-s sleep] -u userid [-v verbosity] QMgrName QName\n";
const USAGE_GET: &str = "Usage: rdqmget [-b batches] [-l message length] [-m messages] [-s sleep] -u userid [-v verbosity] QMgrName QName\n";

fn options(args: &[String]) -> Result<Options, String> {
    let mut o = Options { batches: 20, batch_size: 10, message_size: 2048, sleep_secs: 1, verbosity: 0, qmgr: String::new(), queue: String::new() };
    let mut rest = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        // getopt: `-b10` or `-b 10`.
        let Some(flag) = arg.strip_prefix('-').and_then(|f| f.chars().next()) else {
            rest.push(arg.clone());
            i += 1;
            continue;
        };
        let inline = &arg[2..];
        let value = if inline.is_empty() {
            i += 1;
            args.get(i).cloned().ok_or_else(String::new)?
        } else {
            inline.to_string()
        };
        let number = |name: &str| value.parse::<u64>().map_err(|_| format!("Invalid value \"{value}\" for {name}\n"));
        match flag {
            'b' => o.batches = number("numberOfBatches")?,
            'm' => o.batch_size = number("batchSize")?,
            'l' => o.message_size = number("messageSize")?,
            's' => o.sleep_secs = number("sleepSeconds")?,
            'v' => o.verbosity = number("verbosity")?,
            'u' | 'p' => {}
            _ => return Err(String::new()),
        }
        i += 1;
    }
    match rest.as_slice() {
        [qmgr, queue] if qmgr.len() <= 48 && queue.len() <= 48 => {
            o.qmgr = qmgr.clone();
            o.queue = queue.clone();
            Ok(o)
        }
        _ => Err(String::new()),
    }
}

/// A client connection channel definition as MQCONNX uses it: from `MQSERVER`, or built by
/// the program (amqscnxc's `-x`/`-c`).
pub(crate) struct ClientConn<'a> {
    pub channel: &'a str,
    pub host: &'a str,
    pub port: u16,
}

/// `MQSERVER=CHANNEL/TCP/host(port)`.
fn mqserver(value: &str) -> Option<ClientConn<'_>> {
    let mut parts = value.splitn(3, '/');
    let (channel, transport, conname) = (parts.next()?, parts.next()?, parts.next()?);
    let (host, port) = conname.strip_suffix(')')?.split_once('(')?;
    transport.eq_ignore_ascii_case("TCP").then_some(ClientConn { channel, host, port: port.trim().parse().ok()? })
}

pub(crate) const HOST_NOT_AVAILABLE: u32 = 2538;
pub(crate) const Q_MGR_NOT_AVAILABLE: u32 = 2059;
const Q_MGR_NAME_ERROR: u32 = 2058;
const UNKNOWN_CHANNEL_NAME: u32 = 2540;
pub(crate) const UNKNOWN_OBJECT_NAME: u32 = 2085;

/// Where a client connection through `MQSERVER` lands: the queue manager and its DR region,
/// or the reason code MQCONNX fails with. Without `MQSERVER` (and no channel table) there is
/// nothing to connect through.
pub(crate) fn connect(estate: &Estate, mqserver_value: Option<&str>, wanted: &str, now_ms: u64) -> Result<(usize, String), u32> {
    let conn = mqserver_value.and_then(mqserver).ok_or(Q_MGR_NAME_ERROR)?;
    connect_via(estate, &conn, wanted, now_ms)
}

/// Where a connection through `conn` lands. A blank `wanted` name is "whichever queue
/// manager answers", as MQCONNX takes it from a client.
pub(crate) fn connect_via(estate: &Estate, conn: &ClientConn, wanted: &str, now_ms: u64) -> Result<(usize, String), u32> {
    route_to(estate, conn, wanted, now_ms).map(|(index, region, _)| (index, region))
}

/// The same, with the MQIPT route (as loaded) the connection goes through.
pub(crate) fn route_to<'a>(estate: &'a Estate, conn: &ClientConn, wanted: &str, now_ms: u64) -> Result<(usize, String, &'a ActiveRoute), u32> {
    let ClientConn { channel, host, port } = *conn;
    let bastion = estate.bastions.iter().find(|b| b.up && (b.name == host || b.ip == host)).ok_or(HOST_NOT_AVAILABLE)?;
    let route = bastion
        .mqipt
        .iter()
        .filter(|i| i.running)
        .flat_map(|i| i.active_routes.iter())
        .find(|r| r.listener_port.parse::<u16>().ok() == Some(port))
        .filter(|r| !r.failed)
        .ok_or(HOST_NOT_AVAILABLE)?;
    let destination = route.destination.as_deref().unwrap_or("");
    let destination_port = route.destination_port.as_deref().and_then(|p| p.trim().parse::<u16>().ok());
    // The load balancer forwards to the node of its region (any of its HA groups) where a
    // listener answers.
    let region = estate.regions.iter().find(|r| r.load_balancer.eq_ignore_ascii_case(destination)).ok_or(HOST_NOT_AVAILABLE)?;
    if estate.faults.lb_down.contains(&region.name) {
        return Err(HOST_NOT_AVAILABLE);
    }
    let (index, qm) = estate
        .qmgrs
        .iter()
        .enumerate()
        .find(|(_, q)| {
            Some(q.listener_port) == destination_port && estate.group_for(q, &region.name).is_some_and(|g| estate.runs_in(q, g).is_some())
        })
        .ok_or(HOST_NOT_AVAILABLE)?;
    if qm.starting.as_ref().is_some_and(|(_, window)| now_ms < window.until_ms) {
        return Err(Q_MGR_NOT_AVAILABLE);
    }
    if !wanted.is_empty() && qm.name != wanted {
        return Err(Q_MGR_NAME_ERROR);
    }
    if !qm.channels.iter().any(|c| c.name == channel && c.get("CHLTYPE") == "SVRCONN") {
        return Err(UNKNOWN_CHANNEL_NAME);
    }
    Ok((index, region.name.clone(), route))
}

/// What `logFailure` prints.
fn failure(out: &mut String, call: &str, reason: u32) {
    let _ = writeln!(out, "{call} returned MQCC_FAILED\nReason is {reason}");
}

/// The samples open only queues that are defined (seed 000 defines MQIPT.LOCAL.QUEUE).
pub(crate) fn queue_defined(qm: &QueueManager, queue: &str) -> bool {
    qm.local_queues.iter().any(|q| q == queue)
}

/// `rdqmput` and `rdqmget`: MQCONNX or MQOPEN failing ends the sample with exit status 0 and
/// no `Completed`, as its `main` does; a batch that cannot complete ends it with 4.
pub fn run(estate: &mut Estate, program: &str, args: &[String], mqserver_value: Option<&str>, now_ms: u64) -> Outcome {
    let put = program == "rdqmput";
    let usage = if put { USAGE_PUT } else { USAGE_GET };
    let o = match options(args) {
        Ok(o) => o,
        Err(why) => return Outcome { stderr: format!("{why}{usage}"), code: 1, ..Default::default() },
    };
    let mut stdout = String::new();
    let mut stderr = String::new();
    let (index, region) = match connect(estate, mqserver_value, &o.qmgr, now_ms) {
        Ok(found) => found,
        Err(reason) => {
            failure(&mut stderr, "MQCONNX", reason);
            return Outcome { stdout, stderr, code: 0, ..Default::default() };
        }
    };
    let _ = writeln!(stdout, "Connected to queue manager {}", o.qmgr);
    if !queue_defined(&estate.qmgrs[index], &o.queue) {
        failure(&mut stderr, "MQOPEN", UNKNOWN_OBJECT_NAME);
        return Outcome { stdout, stderr, code: 0, ..Default::default() };
    }
    let _ = writeln!(stdout, "Opened queue {}", o.queue);
    let mut hang = false;
    let mut moved = 0u64;
    'batches: for batch in 1..=o.batches {
        let qm = &mut estate.qmgrs[index];
        let Some(side) = qm.side_mut(&region) else { break };
        let queue = side.queues.entry(o.queue.clone()).or_default();
        if !put && (queue.len() as u64) < o.batch_size {
            // MQGET waits without limit (MQWI_UNLIMITED) for a message that never comes.
            hang = true;
            break 'batches;
        }
        for message in 1..=o.batch_size {
            if o.verbosity > 1 {
                let _ = writeln!(stdout, "About to {} message {message} of batch {batch}", if put { "put" } else { "get" });
            }
            // `-v3` shows each message's text: before MQPUT, after MQGET (the samples' order).
            if put {
                let text = format!("Batch {batch}, Message {message}");
                if o.verbosity > 2 {
                    let _ = writeln!(stdout, "Message is \"{text}\"");
                }
                queue.push(text);
                if o.verbosity > 1 {
                    let _ = writeln!(stdout, "Message {message} put successfully");
                }
            } else {
                let text = queue.remove(0);
                if o.verbosity > 1 {
                    let _ = writeln!(stdout, "Message {message} got successfully");
                }
                if o.verbosity > 2 {
                    let _ = writeln!(stdout, "Message is \"{text}\"");
                }
            }
        }
        moved += o.batch_size;
        if o.verbosity > 0 {
            let _ = writeln!(stdout, "Batch {batch} {} successfully, committing...", if put { "put" } else { "got" });
        }
        replicate(estate, index, &region, o.batch_size * o.message_size.div_ceil(1024));
        if o.verbosity > 0 {
            let _ = writeln!(stdout, "Batch {batch} committed successfully");
        }
    }
    if !hang {
        stdout.push_str("Completed\n");
    }
    let takes_ms = estate.timing.scaled(moved * o.sleep_secs * 1000);
    Outcome { stdout, stderr, code: 0, hang, takes_ms, ..Default::default() }
}

/// After a commit on `region`'s side: the DR secondary side receives the same queues while DR
/// replication flows; otherwise the change waits and counts as out-of-sync data.
pub fn replicate(estate: &mut Estate, index: usize, region: &str, kb: u64) {
    let flowing = {
        let qm = &estate.qmgrs[index];
        estate.dr_link_up(qm) && qm.dr_primary_regions().len() == 1 && qm.forced_dr.is_none() && qm.resync_until_ms.is_none()
    };
    let qm = &mut estate.qmgrs[index];
    if flowing {
        let queues = qm.side(region).map(|s| s.queues.clone()).unwrap_or_default();
        for side in qm.sides.iter_mut().filter(|s| s.region != region && s.dr_role == DrRole::Secondary) {
            side.queues = queues.clone();
        }
    } else {
        qm.out_of_sync_kb += kb;
    }
}

/// DR has caught up: the secondary holds what the primary holds.
pub fn catch_up(qm: &mut QueueManager) {
    let Some(primary) = qm.sides.iter().find(|s| s.dr_role == DrRole::Primary).map(|s| s.queues.clone()) else { return };
    for side in qm.sides.iter_mut().filter(|s| s.dr_role == DrRole::Secondary) {
        side.queues = primary.clone();
    }
}
