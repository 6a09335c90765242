//! IBM MQ's own C client samples on the client host, `amqsgetc` (amqsget0.c linked as a
//! client) and `amqscnxc` (amqscnx0.c): lines, reason codes and exit statuses as their
//! sources print them. They connect as [`crate::client`]'s samples do (MQSERVER, or
//! amqscnxc's own channel definition → MQIPT's loaded route → load balancer → queue manager).
//!
//! Not simulated: amqsgetc's open and close options (its third and fourth arguments are
//! ignored), connection authentication (`MQSAMP_USER_ID`, amqscnxc's `-u` prompts but any
//! password is taken), and messages put while amqsgetc waits (a command acts at once).

use crate::client::{self, ClientConn, HOST_NOT_AVAILABLE, UNKNOWN_OBJECT_NAME};
use crate::commands::Outcome;
use crate::estate::Estate;
use std::fmt::Write as _;

const GET_START: &str = "Sample AMQSGET0 start\n";
const GET_END: &str = "Sample AMQSGET0 end\n";
const CNX_START: &str = "Sample AMQSCNXC start\n";
const CNX_END: &str = "Sample AMQSCNXC end\n";

/// amqsget0.c's `gmo.WaitInterval`: the last MQGET waits this long before MQRC_NO_MSG_AVAILABLE.
const GET_WAIT_MS: u64 = 15_000;

/// The port a connection name without one is given (MQ's default listener port).
const DEFAULT_PORT: u16 = 1414;

/// What a process's exit status keeps of `exit((int)CReason)`: the low 8 bits (2538 → 234).
fn exit_status(reason: u32) -> i32 {
    (reason & 0xff) as i32
}

/// Both samples end this way when MQCONNX fails: the line, then `exit(CReason)`, with no
/// end line.
fn connx_failed(mut stdout: String, reason: u32) -> Outcome {
    let _ = writeln!(stdout, "MQCONNX ended with reason code {reason}");
    Outcome { stdout, code: exit_status(reason), ..Default::default() }
}

/// `amqsgetc QName [QMgrName]`: gets every message on the queue destructively, outside
/// syncpoint, then waits 15 s for one more and ends.
pub fn amqsgetc(estate: &mut Estate, args: &[String], mqserver: Option<&str>, now_ms: u64) -> Outcome {
    let mut stdout = String::from(GET_START);
    let Some(queue) = args.first() else {
        stdout.push_str("Required parameter missing - queue name\n");
        return Outcome { stdout, code: 99, ..Default::default() };
    };
    // A missing queue manager name is blank: whichever one MQSERVER leads to.
    let qmgr = args.get(1).map_or("", String::as_str);
    let (index, region) = match client::connect(estate, mqserver, qmgr, now_ms) {
        Ok(found) => found,
        Err(reason) => return connx_failed(stdout, reason),
    };
    if !client::queue_defined(&estate.qmgrs[index], queue) {
        // amqsget0.c reports the failed MQOPEN, skips the get loop and MQCLOSE, disconnects
        // and ends normally: status 0.
        let _ = writeln!(stdout, "MQOPEN ended with reason code {UNKNOWN_OBJECT_NAME}\nunable to open queue for input");
        stdout.push_str(GET_END);
        return Outcome { stdout, ..Default::default() };
    }
    for text in get_all(estate, index, &region, queue) {
        let _ = writeln!(stdout, "message <{text}>");
    }
    stdout.push_str("no more messages\n");
    stdout.push_str(GET_END);
    Outcome { stdout, takes_ms: estate.timing.scaled(GET_WAIT_MS), ..Default::default() }
}

/// Every message on `queue` of `region`'s side, oldest first, removed. MQGMO_NO_SYNCPOINT makes
/// each MQGET its own unit of work, so each is replicated (or counted out of sync) by itself.
fn get_all(estate: &mut Estate, index: usize, region: &str, queue: &str) -> Vec<String> {
    let mut got = Vec::new();
    while let Some(text) = take_oldest(estate, index, region, queue) {
        // A removal is a small log record; counted as at least the 1 KB DR reports in.
        client::replicate(estate, index, region, (text.len() as u64).div_ceil(1024).max(1));
        got.push(text);
    }
    got
}

fn take_oldest(estate: &mut Estate, index: usize, region: &str, queue: &str) -> Option<String> {
    let messages = estate.qmgrs[index].side_mut(region)?.queues.get_mut(queue)?;
    (!messages.is_empty()).then(|| messages.remove(0))
}

/// amqscnxc's command line (its `ProcessCommandLine`).
#[derive(Default)]
struct CnxArgs {
    conn_name: Option<String>,
    channel: Option<String>,
    user: Option<String>,
    qmgr: Option<String>,
}

/// Flags (`-x`, `-c`, `-u`, also introduced by `/`, case-insensitive) come first, each with its
/// value attached or as the next argument; then at most one queue manager name. `None` is
/// the usage message: an unknown flag, a missing value, `?`, `-c` without `-x`, or more
/// than one name.
fn cnx_args(args: &[String]) -> Option<CnxArgs> {
    if args.first().is_some_and(|a| a == "?") {
        return None;
    }
    let mut parsed = CnxArgs::default();
    let mut i = 0;
    while let Some(arg) = args.get(i).filter(|a| a.starts_with(['-', '/'])) {
        let slot = match arg.chars().nth(1).map(|c| c.to_ascii_lowercase()) {
            Some('x') => &mut parsed.conn_name,
            Some('c') => &mut parsed.channel,
            Some('u') => &mut parsed.user,
            _ => return None,
        };
        let attached = &arg[2..];
        *slot = Some(if attached.is_empty() {
            i += 1;
            // A separate value may not look like a flag.
            args.get(i).filter(|v| !v.starts_with(['-', '/']))?.clone()
        } else {
            attached.to_string()
        });
        i += 1;
    }
    if parsed.channel.is_some() && parsed.conn_name.is_none() {
        return None;
    }
    match &args[i..] {
        [] => {}
        [qmgr] => parsed.qmgr = Some(qmgr.clone()),
        _ => return None,
    }
    Some(parsed)
}

/// One entry of a connection name: `host(port)` or `host` (port 1414).
fn conn_name_entry(entry: &str) -> Option<(&str, u16)> {
    let entry = entry.trim();
    match entry.strip_suffix(')').and_then(|e| e.split_once('(')) {
        Some((host, port)) => Some((host.trim(), port.trim().parse().ok()?)),
        None => (!entry.contains('(')).then_some((entry, DEFAULT_PORT)),
    }
}

/// MQCONNX with a channel definition of the program's own: each address of the connection
/// name list in turn; the first that connects wins, else the last one's reason.
fn connect_to(estate: &Estate, conn_name: &str, channel: &str, qmgr: &str, now_ms: u64) -> Result<(usize, String), u32> {
    let mut reason = HOST_NOT_AVAILABLE;
    for entry in conn_name.split(',') {
        let Some((host, port)) = conn_name_entry(entry) else { continue };
        match client::connect_via(estate, &ClientConn { channel, host, port }, qmgr, now_ms) {
            Ok(found) => return Ok(found),
            Err(r) => reason = r,
        }
    }
    Err(reason)
}

/// `amqscnxc [-x ConnName [-c SvrconnChannelName]] [-u User] [QMgrName]`: connects (through
/// its own channel definition with `-x`, else through MQSERVER), names the queue manager it
/// reached and disconnects.
pub fn amqscnxc(estate: &Estate, args: &[String], mqserver: Option<&str>, now_ms: u64) -> Outcome {
    let mut stdout = String::from(CNX_START);
    let Some(parsed) = cnx_args(args) else {
        // argv[0] as a shell passes it for a program found on the PATH.
        stdout.push_str("Usage:\n\tamqscnxc [-x ConnName [-c SvrconnChannelName]] [-u User] [QMgrName]\n");
        return Outcome { stdout, code: 99, ..Default::default() };
    };
    let qmgr = parsed.qmgr.as_deref().unwrap_or("");
    // printf's `%-48.48s`: the name in a 48-character field, padded with blanks.
    match &parsed.qmgr {
        Some(name) => {
            let _ = writeln!(stdout, "Connecting to queue manager {name:<48.48}");
        }
        None => stdout.push_str("Connecting to the default queue manager\n"),
    }
    let connected = match &parsed.conn_name {
        Some(conn_name) => {
            // MQCD_CLIENT_CONN_DEFAULT's channel when `-c` is not given.
            let channel = parsed.channel.as_deref().unwrap_or("SYSTEM.DEF.SVRCONN");
            let _ = writeln!(stdout, "using the server connection channel {channel}\non connection name {conn_name}.");
            password_prompt(&mut stdout, &parsed);
            connect_to(estate, conn_name, channel, qmgr, now_ms)
        }
        None => {
            stdout.push_str("with no client connection information specified.\n");
            password_prompt(&mut stdout, &parsed);
            client::connect(estate, mqserver, qmgr, now_ms)
        }
    };
    let (index, _) = match connected {
        Ok(found) => found,
        Err(reason) => return connx_failed(stdout, reason),
    };
    // MQINQ of MQCA_Q_MGR_NAME gives the name blank-padded to 48, printed `%-48.48s`.
    let _ = writeln!(stdout, "Connection established to queue manager {:<48.48}", estate.qmgrs[index].name);
    stdout.push_str(CNX_END);
    Outcome { stdout, ..Default::default() }
}

/// With `-u` the sample asks for the password (no newline) and reads a line; the simulator
/// reads nothing and takes any password.
fn password_prompt(stdout: &mut String, parsed: &CnxArgs) {
    if parsed.user.is_some() {
        stdout.push_str("Enter password: ");
    }
}
