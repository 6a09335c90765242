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

/// MQRC_SSL_INITIALIZATION_ERROR: a TLS handshake failed somewhere on the path.
const SSL_INITIALIZATION_ERROR: u32 = 2393;
/// MQRC_KEY_REPOSITORY_ERROR: the client's key repository cannot be opened.
const KEY_REPOSITORY_ERROR: u32 = 2381;

const SSLC_START: &str = "Sample AMQSSSLC start\n";
const SSLC_END: &str = "Sample AMQSSSLC end\n";
/// amqssslc.c's USAGE (its string pieces concatenated as the C compiler does).
const SSLC_USAGE: &str = "Parameters:  [-m QMgr]\n  [-c ChlName -x ConnName]\n  [-k KeyReposStem] [-s CipherSpec] [-l CertLabel]\n  [-p any|rfc5280]\n  [-f] [-b none|128_bit|192_bit[,...] ]\n  [-o OcspURL]\n";

/// amqssslc's command line (its `ProcessCommandLine`).
#[derive(Default)]
struct SslcArgs {
    qmgr: Option<String>,
    channel: Option<String>,
    conn_name: Option<String>,
    key_repos: Option<String>,
    cipher: Option<String>,
    label: Option<String>,
    ocsp: Option<String>,
    fips: bool,
    suite_b: Option<Vec<i32>>,
    val_policy: Option<i32>,
}

/// `GetStringArgument`: the value after the flag character, else the next argument unless it
/// starts with `-`.
fn string_argument(args: &[String], i: &mut usize) -> Option<String> {
    let attached = args[*i].get(2..).unwrap_or("");
    if !attached.is_empty() {
        *i += 1;
        return Some(attached.to_string());
    }
    let next = args.get(*i + 1).filter(|a| !a.starts_with('-'))?.clone();
    *i += 2;
    Some(next)
}

fn sslc_args(args: &[String]) -> Option<SslcArgs> {
    if args.first().is_some_and(|a| a == "?") {
        return None;
    }
    let mut parsed = SslcArgs::default();
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        if !arg.starts_with('-') {
            break;
        }
        match arg.chars().nth(1).map(|c| c.to_ascii_lowercase()) {
            Some('m') => parsed.qmgr = Some(string_argument(args, &mut i)?),
            Some('c') => parsed.channel = Some(string_argument(args, &mut i)?),
            Some('x') => parsed.conn_name = Some(string_argument(args, &mut i)?),
            Some('k') => parsed.key_repos = Some(string_argument(args, &mut i)?),
            Some('s') => parsed.cipher = Some(string_argument(args, &mut i)?),
            Some('l') => parsed.label = Some(string_argument(args, &mut i)?),
            Some('o') => parsed.ocsp = Some(string_argument(args, &mut i)?),
            Some('f') => {
                parsed.fips = true;
                i += 1;
            }
            Some('b') => {
                let list = string_argument(args, &mut i)?;
                let values: Option<Vec<i32>> = list
                    .split(',')
                    .map(|v| match v.to_ascii_lowercase().as_str() {
                        "none" | "mq_suite_b_none" => Some(1),
                        "128_bit" | "mq_suite_b_128_bit" => Some(2),
                        "192_bit" | "mq_suite_b_192_bit" => Some(4),
                        _ => None,
                    })
                    .collect();
                parsed.suite_b = Some(values?);
            }
            Some('p') => {
                let value = string_argument(args, &mut i)?;
                parsed.val_policy = Some(match value.to_ascii_lowercase().as_str() {
                    "any" | "mq_cert_val_policy_any" => 0,
                    "rfc5280" | "mq_cert_val_policy_rfc5280" => 1,
                    _ => return None,
                });
            }
            _ => return None,
        }
    }
    if parsed.conn_name.is_none() && parsed.channel.is_some() {
        return None;
    }
    Some(parsed)
}

/// A CipherSpec or MQIPT cipher suite as both ends compare it (MQIPT's Java names start
/// `SSL_`, MQ's `TLS_`); `ANY…` accepts whatever the other end proposes.
fn ciphers_agree(client: &str, server: &str) -> bool {
    let norm = |c: &str| {
        let c = c.trim().to_ascii_uppercase();
        c.strip_prefix("SSL_").or_else(|| c.strip_prefix("TLS_")).map_or(c.clone(), str::to_string)
    };
    let (a, b) = (norm(client), norm(server));
    a.starts_with("ANY") || b.starts_with("ANY") || a == b
}

/// What the queue manager logs about a client connection it refuses.
struct QmLog {
    qm: String,
    node: String,
    message: crate::tls::LogMessage,
}

/// A TLS connection from a client through an MQIPT route to a SVRCONN channel, decided from
/// what each party loaded (the client reads its key repository now, at MQCONNX): Ok, or the
/// reason code MQCONNX gets and what the queue manager logs.
/// The client's end of a TLS connection: its key repository as read at MQCONNX, its label,
/// its CipherSpec, and the address it connects to.
struct ClientEnd<'a> {
    tls: &'a crate::tls::LoadedTls,
    label: &'a str,
    cipher: &'a str,
    remote: &'a str,
}

type Refusal = (u32, Option<Box<QmLog>>);

fn tls_connect(estate: &Estate, route: &crate::estate::ActiveRoute, qm_index: usize, channel_name: &str, end: &ClientEnd) -> Result<(), Refusal> {
    let ClientEnd { tls: client, label: client_label, cipher, remote } = *end;
    use crate::tls::{accepts, msg_bad_cert, msg_cipher, msg_keyring, msg_no_cert, msg_peer, sslpeer_matches};
    let now_s = crate::tls::wall_clock_s();
    let sigs = &estate.tls_signatures;
    let fail = |log: Option<Box<QmLog>>| Err((SSL_INITIALIZATION_ERROR, log));
    let qm = &estate.qmgrs[qm_index];
    let Some(channel) = qm.channels.iter().find(|c| c.name == channel_name) else { return fail(None) };
    let node = estate.running_on(qm).first().map_or_else(String::new, |n| n.name.clone());
    let qm_log = |message| Some(Box::new(QmLog { qm: qm.name.clone(), node: node.clone(), message }));
    let client_cert = client.presents(client_label);
    let channel_ciph = channel.get("SSLCIPH");
    // The queue manager's end: what it presents, whom it accepts (SSLCAUTH, SSLPEER).
    let queue_manager = |peer: Option<&crate::tls::LoadedCert>, trusting: &[crate::tls::LoadedCert]| -> Result<(), Refusal> {
        let Some(qm_tls) = qm.tls.as_ref() else { return fail(None) };
        if let Some(why) = &qm_tls.error {
            return fail(qm_log(msg_keyring(channel_name, remote, why)));
        }
        let (label, qm_cert) = qm_tls.presented_by(channel_name);
        let Some(qm_cert) = qm_cert else { return fail(qm_log(msg_no_cert(channel_name, remote, &label))) };
        if accepts(sigs, trusting, qm_cert, now_s).is_err() {
            return fail(None);
        }
        let required = !channel.get("SSLCAUTH").eq_ignore_ascii_case("OPTIONAL");
        match peer {
            None if required || !channel.get("SSLPEER").is_empty() => fail(None),
            None => Ok(()),
            Some(peer) => {
                if let Err(why) = accepts(sigs, &qm_tls.trusted, peer, now_s) {
                    return fail(qm_log(msg_bad_cert(channel_name, remote, Some(peer), why)));
                }
                if !sslpeer_matches(channel.get("SSLPEER"), &peer.peer_dn()) {
                    return fail(qm_log(msg_peer(channel_name, remote, &peer.peer_dn())));
                }
                Ok(())
            }
        }
    };
    let mqipt_terminates = route.ssl_flag("SSLServer") && !route.ssl_flag("SSLProxyMode");
    if !mqipt_terminates {
        // MQIPT forwards the bytes: the handshake is between the client and the queue manager.
        if channel_ciph.is_empty() {
            return fail(None);
        }
        if !ciphers_agree(cipher, channel_ciph) {
            return fail(qm_log(msg_cipher(channel_name, remote)));
        }
        return queue_manager(client_cert, &client.trusted);
    }
    // MQIPT's server side: its site certificate for the client, the client's for it.
    let Some(server) = route.tls.as_ref().and_then(|t| t.server.as_ref()).filter(|s| s.error.is_none()) else { return fail(None) };
    let Some(site) = server.presents(route.ssl_property("SSLServerSiteLabel").unwrap_or("")) else { return fail(None) };
    if let Some(suites) = route.ssl_property("SSLServerCipherSuites").filter(|s| !s.is_empty())
        && !suites.split(',').any(|s| ciphers_agree(cipher, s))
    {
        return fail(None);
    }
    if accepts(sigs, &client.trusted, site, now_s).is_err() {
        return fail(None);
    }
    if route.ssl_flag("SSLServerAskClientAuth") {
        let Some(cert) = client_cert else { return fail(None) };
        if accepts(sigs, &server.trusted, cert, now_s).is_err() {
            return fail(None);
        }
    }
    if !route.ssl_flag("SSLClient") {
        // MQIPT goes on in the clear: a TLS channel refuses it.
        return if channel_ciph.is_empty() { Ok(()) } else { fail(None) };
    }
    // MQIPT's client side towards the queue manager.
    let Some(side) = route.tls.as_ref().and_then(|t| t.client.as_ref()).filter(|s| s.error.is_none()) else { return fail(None) };
    let Some(mqipt_cert) = side.presents(route.ssl_property("SSLClientSiteLabel").unwrap_or("")) else { return fail(None) };
    if channel_ciph.is_empty() {
        return fail(None);
    }
    if let Some(suites) = route.ssl_property("SSLClientCipherSuites").filter(|s| !s.is_empty())
        && !suites.split(',').any(|s| ciphers_agree(s, channel_ciph))
    {
        return fail(qm_log(msg_cipher(channel_name, remote)));
    }
    queue_manager(Some(mqipt_cert), &side.trusted)
}

/// `amqssslc [-m QMgr] [-c ChlName -x ConnName] [-k KeyReposStem] [-s CipherSpec] [-l CertLabel] …`:
/// connects with TLS through its own channel definition, names the queue manager it reached
/// and disconnects; lines and exit statuses as amqssslc.c prints them. The client's key
/// repository (`-k` stem + `.kdb`) is read at the connect, as MQCONNX does; MQIPT's keystores
/// and the queue manager's key repository as they loaded them.
pub fn amqssslc(estate: &Estate, fs: &dyn crate::fs::HostFs, args: &[String], mqserver: Option<&str>, now_ms: u64) -> Outcome {
    let mut stdout = String::from(SSLC_START);
    let Some(parsed) = sslc_args(args) else {
        stdout.push_str(SSLC_USAGE);
        return Outcome { stdout, code: 99, ..Default::default() };
    };
    match &parsed.qmgr {
        Some(name) => {
            let _ = writeln!(stdout, "Connecting to queue manager {name:<48.48}");
        }
        None => stdout.push_str("Connecting to the default queue manager\n"),
    }
    let channel = parsed.channel.as_deref().unwrap_or("SYSTEM.DEF.SVRCONN");
    match &parsed.conn_name {
        Some(conn_name) => {
            let _ = writeln!(stdout, "Using the server connection channel {channel}\non connection name {conn_name}.");
            if let Some(cipher) = &parsed.cipher {
                let _ = writeln!(stdout, "Using SSL CipherSpec {cipher}");
            }
        }
        None => stdout.push_str("No client connection information specified.\n"),
    }
    match &parsed.key_repos {
        Some(stem) => {
            let _ = writeln!(stdout, "Using SSL key repository stem {stem}");
            if parsed.fips {
                stdout.push_str("FIPS required\n");
            }
            if let Some(suite_b) = &parsed.suite_b {
                let mut four = [0; 4];
                four.iter_mut().zip(suite_b).for_each(|(slot, v)| *slot = *v);
                let _ = writeln!(stdout, "Suite B Encryption Policy: {}, {}, {}, {}", four[0], four[1], four[2], four[3]);
            }
            if let Some(policy) = parsed.val_policy {
                let _ = writeln!(stdout, "Certificate Validation Policy: {policy}");
            }
            if let Some(label) = &parsed.label {
                let _ = writeln!(stdout, "Certificate Label: {label}");
            }
            match &parsed.ocsp {
                Some(url) => {
                    let _ = writeln!(stdout, "Using OCSP responder URL {url}");
                }
                None => stdout.push_str("No OCSP configuration specified.\n"),
            }
        }
        None => stdout.push_str("No SSL configuration specified.\n"),
    }
    let qmgr = parsed.qmgr.as_deref().unwrap_or("");
    let Some(conn_name) = &parsed.conn_name else {
        // No channel definition of its own: MQSERVER, which carries no CipherSpec.
        return match client::connect(estate, mqserver, qmgr, now_ms) {
            Ok((index, _)) if estate.qmgrs[index].channels.iter().all(|c| c.get("SSLCIPH").is_empty() || c.get("CHLTYPE") != "SVRCONN") => {
                let _ = writeln!(stdout, "Connection established to queue manager {:<48.48}", estate.qmgrs[index].name);
                stdout.push_str(SSLC_END);
                Outcome { stdout, ..Default::default() }
            }
            Ok(_) => connx_failed(stdout, client::Q_MGR_NOT_AVAILABLE),
            Err(reason) => connx_failed(stdout, reason),
        };
    };
    // The client's own key repository, read now.
    let user = std::env::var("USER").unwrap_or_else(|_| "mqm".into()).to_ascii_lowercase();
    let label = parsed.label.clone().unwrap_or_else(|| format!("ibmwebspheremq{user}"));
    let client_tls = parsed.key_repos.as_ref().map(|stem| crate::tls::load_file(fs, "", stem, &format!("{stem}.kdb"), &label, now_ms, 0));
    let mut reason = HOST_NOT_AVAILABLE;
    let mut logs = Vec::new();
    let mut reached = None;
    for entry in conn_name.split(',') {
        let Some((host, port)) = conn_name_entry(entry) else { continue };
        let (index, _, route) = match client::route_to(estate, &ClientConn { channel, host, port }, qmgr, now_ms) {
            Ok(found) => found,
            Err(r) => {
                reason = r;
                continue;
            }
        };
        let outcome = match (&parsed.cipher, &client_tls) {
            // Without a CipherSpec the connection is in the clear.
            (None, _) => {
                let tls_channel = estate.qmgrs[index].channels.iter().any(|c| c.name == channel && !c.get("SSLCIPH").is_empty());
                if tls_channel || route.ssl_flag("SSLServer") { Err((SSL_INITIALIZATION_ERROR, None)) } else { Ok(()) }
            }
            (Some(_), None) => Err((KEY_REPOSITORY_ERROR, None)),
            (Some(_), Some(t)) if t.error.is_some() => Err((KEY_REPOSITORY_ERROR, None)),
            (Some(cipher), Some(client_tls)) => {
                tls_connect(estate, route, index, channel, &ClientEnd { tls: client_tls, label: &label, cipher, remote: host })
            }
        };
        match outcome {
            Ok(()) => {
                reached = Some(index);
                break;
            }
            Err((r, log)) => {
                reason = r;
                logs.extend(log);
            }
        }
    }
    for log in logs {
        let entry = crate::tls::log_entry(now_ms, &log.node, &log.qm, &log.message);
        crate::volume::append_error_log(estate, fs, &log.qm, &entry);
    }
    let Some(index) = reached else { return connx_failed(stdout, reason) };
    let _ = writeln!(stdout, "Connection established to queue manager {:<48.48}", estate.qmgrs[index].name);
    stdout.push_str(SSLC_END);
    Outcome { stdout, ..Default::default() }
}
