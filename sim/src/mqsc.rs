//! `runmqsc QM` reading MQSC commands on standard input: `DISPLAY CHANNEL(...)`,
//! `DISPLAY CHSTATUS(...) [SSLPEER] [SSLCERTI]` and `DISPLAY QMGR ...`, answered in IBM's layout
//! (two attributes a line, the first padded to 40; a long one on a line of its own); and the
//! TLS administration of seed 000: `ALTER QMGR`, `ALTER CHANNEL(...) CHLTYPE(...)`,
//! `REFRESH SECURITY [TYPE(SSL)]` (the queue manager reloads its key repository and
//! certificate label, its TLS channels restart), `REFRESH QMGR`, `START CHANNEL`.

use crate::commands::{Invocation, Outcome};
use crate::estate::{Estate, HostRef};
use crate::fs::HostFs;
use model::status::QmStatus;
use std::fmt::Write as _;

/// Seed 000's layout: two items a line, the first padded to 40 columns; an item of 40
/// characters or more stands alone (`RQMNAME(QM2)` before a long `SSLCERTI(...)` too).
fn columns(out: &mut String, items: &[String]) {
    let mut pending: Option<&String> = None;
    for item in items {
        let long = item.len() >= 40;
        match (pending.take(), long) {
            (Some(first), false) => {
                let _ = writeln!(out, "   {first:<40}{item}");
            }
            (Some(first), true) => {
                let _ = writeln!(out, "   {first}\n   {item}");
            }
            (None, false) => pending = Some(item),
            (None, true) => {
                let _ = writeln!(out, "   {item}");
            }
        }
    }
    if let Some(last) = pending {
        let _ = writeln!(out, "   {last}");
    }
}

fn items(attrs: &[(String, String)]) -> Vec<String> {
    attrs.iter().map(|(k, v)| if v.is_empty() { format!("{k}( )") } else { format!("{k}({v})") }).collect()
}

fn generic_match(pattern: &str, name: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => name.to_ascii_uppercase().starts_with(&prefix.to_ascii_uppercase()),
        None => pattern.eq_ignore_ascii_case(name),
    }
}

/// Words of an MQSC command: blanks inside parentheses or quotes do not split, and a
/// parenthesis after a blank (`CHANNEL (X)`) belongs to the word before.
fn words(command: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    let (mut depth, mut quoted) = (0usize, false);
    for c in command.chars() {
        match c {
            '\'' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth = depth.saturating_sub(1),
            c if c.is_whitespace() && depth == 0 && !quoted => {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
                continue;
            }
            _ => {}
        }
        if c == '(' && current.is_empty() && depth == 1
            && let Some(last) = out.pop()
        {
            current = last;
        }
        current.push(c);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// `KEY(value)` as the upper-case key and the value without quotes; a bare keyword has none.
fn keyword(word: &str) -> (String, Option<String>) {
    match word.split_once('(') {
        Some((key, rest)) => {
            let value = rest.strip_suffix(')').unwrap_or(rest).trim();
            (key.trim().to_ascii_uppercase(), Some(value.trim_matches('\'').to_string()))
        }
        None => (word.to_ascii_uppercase(), None),
    }
}

/// How one command went, as the summary counts it.
enum Processed {
    Done,
    SyntaxError,
    Not,
}

/// `ALTDATE` and `ALTTIME` as MQ stamps an altered object.
fn alter_stamp(now_ms: u64) -> (String, String) {
    use time::OffsetDateTime;
    use time::macros::format_description;
    let at = OffsetDateTime::from_unix_timestamp((now_ms / 1000) as i64).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    (
        at.format(format_description!("[year]-[month]-[day]")).unwrap_or_default(),
        at.format(format_description!("[hour].[minute].[second]")).unwrap_or_default(),
    )
}

/// Sets `key` to `value` in an attribute list (in place, or added at the end); a blank value
/// is kept as MQ shows it, `KEY( )`.
fn set_attribute(attributes: &mut Vec<(String, String)>, key: &str, value: &str) {
    let value = if value.trim().is_empty() { " ".to_string() } else { value.to_string() };
    match attributes.iter_mut().find(|(k, _)| k.eq_ignore_ascii_case(key)) {
        Some((_, v)) => *v = value,
        None => attributes.push((key.to_string(), value)),
    }
}

/// Attributes of an ALTER: `KEY(value)` words (quotes removed, `''` blank).
fn alterations(words: &[String]) -> Option<Vec<(String, String)>> {
    words.iter().map(|w| keyword(w)).map(|(k, v)| v.map(|v| (k, v))).collect()
}

/// The queue manager's attributes ALTER QMGR may set (the ones this lab's TLS needs, and
/// any others kept as given).
const QMGR_READ_ONLY: &[&str] = &["QMNAME", "QMID", "CRDATE", "CRTIME", "ALTDATE", "ALTTIME"];

/// Runs one MQSC command against the queue manager (running on the local node).
fn execute(estate: &mut Estate, fs: &dyn HostFs, qm_name: &str, command: &str, now_ms: u64, out: &mut String) -> Processed {
    let words = words(command);
    let verb = words.first().map(|w| w.to_ascii_uppercase()).unwrap_or_default();
    let object = words.get(1).map(|w| keyword(w));
    let Some(index) = estate.qmgrs.iter().position(|q| q.name == qm_name) else { return Processed::Not };
    match (verb.as_str(), &object) {
        ("ALTER" | "ALT", Some((kind, None))) if kind == "QMGR" => {
            let Some(changes) = alterations(&words[2..]) else {
                let _ = writeln!(out, "AMQ8405I: Syntax error detected at or near end of command segment below:-\n{command}");
                return Processed::SyntaxError;
            };
            if let Some((k, _)) = changes.iter().find(|(k, _)| QMGR_READ_ONLY.contains(&k.as_str())) {
                let _ = writeln!(out, "AMQ8405I: Syntax error detected at or near end of command segment below:-\n{k}");
                return Processed::SyntaxError;
            }
            let qm = &mut estate.qmgrs[index];
            for (k, v) in &changes {
                set_attribute(&mut qm.qmgr_attributes, k, v);
            }
            let _ = writeln!(out, "AMQ8005I: IBM MQ queue manager changed.");
            Processed::Done
        }
        ("ALTER" | "ALT", Some((kind, Some(name)))) if kind == "CHANNEL" || kind == "CHL" => {
            let Some(changes) = alterations(&words[2..]) else {
                let _ = writeln!(out, "AMQ8405I: Syntax error detected at or near end of command segment below:-\n{command}");
                return Processed::SyntaxError;
            };
            // MQSC requires the channel type on ALTER CHANNEL.
            let Some(chltype) = changes.iter().find(|(k, _)| k == "CHLTYPE").map(|(_, v)| v.to_ascii_uppercase()) else {
                let _ = writeln!(out, "AMQ8427I: Valid syntax for the MQSC command:\n\nALTER CHANNEL( channel_name ) CHLTYPE( SDR | SVR | RCVR | RQSTR | SVRCONN | CLNTCONN | CLUSSDR | CLUSRCVR | AMQP | MQTT )");
                return Processed::SyntaxError;
            };
            let qm = &mut estate.qmgrs[index];
            let Some(channel) = qm.channels.iter_mut().find(|c| c.name == *name && c.get("CHLTYPE").eq_ignore_ascii_case(&chltype)) else {
                let _ = writeln!(out, "AMQ8147E: IBM MQ object {name} not found.");
                return Processed::Not;
            };
            let (date, time) = alter_stamp(now_ms);
            if channel.attributes.iter().any(|(k, _)| k == "ALTDATE") {
                set_attribute(&mut channel.attributes, "ALTDATE", &date);
                set_attribute(&mut channel.attributes, "ALTTIME", &time);
            }
            for (k, v) in changes.iter().filter(|(k, _)| k != "CHLTYPE") {
                set_attribute(&mut channel.attributes, k, v);
            }
            let _ = writeln!(out, "AMQ8016I: IBM MQ channel changed.");
            Processed::Done
        }
        ("REFRESH" | "REF", Some((kind, _))) if kind == "SECURITY" || kind == "SEC" => {
            let ty = words.iter().skip(2).map(|w| keyword(w)).find(|(k, _)| k == "TYPE").and_then(|(_, v)| v).unwrap_or_else(|| "AUTHSERV".into());
            match ty.to_ascii_uppercase().as_str() {
                "SSL" => {
                    crate::tls::reload_qm(estate, fs, index, now_ms);
                }
                "AUTHSERV" | "CONNAUTH" | "CLASSES" | "ALL" => {}
                _ => {
                    let _ = writeln!(out, "AMQ8405I: Syntax error detected at or near end of command segment below:-\n{command}");
                    return Processed::SyntaxError;
                }
            }
            let _ = writeln!(out, "AMQ8560I: IBM MQ security cache refreshed.");
            Processed::Done
        }
        ("REFRESH" | "REF", Some((kind, None))) if kind == "QMGR" => {
            let _ = writeln!(out, "AMQ8724I: Refresh IBM MQ Queue Manager accepted.");
            Processed::Done
        }
        ("START" | "STA", Some((kind, Some(name)))) if kind == "CHANNEL" || kind == "CHL" => {
            if !estate.qmgrs[index].channels.iter().any(|c| c.name == *name) {
                let _ = writeln!(out, "AMQ8147E: IBM MQ object {name} not found.");
                return Processed::Not;
            }
            // The channel starts anew: its pair is decided again.
            estate.tls_links.remove(name.as_str());
            let _ = writeln!(out, "AMQ8018I: Start IBM MQ channel accepted.");
            Processed::Done
        }
        _ => display(estate, fs, qm_name, command, out),
    }
}

fn display(estate: &Estate, fs: &dyn HostFs, qm_name: &str, command: &str, out: &mut String) -> Processed {
    let Some(qm) = estate.qmgr(qm_name) else { return Processed::Not };
    let words = words(command);
    let verb = words.first().map(|w| w.to_ascii_uppercase()).unwrap_or_default();
    let object = words.get(1).map(|w| keyword(w));
    let asked: Vec<String> = words.iter().skip(2).map(|w| keyword(w).0).collect();
    let asks = |k: &str| asked.iter().any(|a| a == k || a == "ALL");
    match (verb.as_str(), object) {
        ("DISPLAY" | "DIS", Some((kind, Some(pattern)))) if kind == "CHANNEL" || kind == "CHL" => {
            let found: Vec<_> = qm.channels.iter().filter(|c| generic_match(&pattern, &c.name)).collect();
            if found.is_empty() {
                let _ = writeln!(out, "AMQ8147E: IBM MQ object {pattern} not found.");
                return Processed::Not;
            }
            for channel in found {
                let _ = writeln!(out, "AMQ8414I: Display Channel details.");
                let mut attrs = vec![("CHANNEL".to_string(), channel.name.clone())];
                attrs.extend(channel.attributes.iter().cloned());
                columns(out, &items(&attrs));
            }
            Processed::Done
        }
        ("DISPLAY" | "DIS", Some((kind, Some(pattern)))) if kind == "CHSTATUS" || kind == "CHS" => {
            let found: Vec<_> = qm
                .channels
                .iter()
                .filter(|c| generic_match(&pattern, &c.name))
                .filter_map(|c| crate::chstatus::status(estate, fs, qm, c).map(|s| (c, s)))
                .collect();
            if found.is_empty() {
                // IBM's informational message; the command counts as not processed.
                let _ = writeln!(out, "AMQ8420I: Channel Status not found.");
                return Processed::Not;
            }
            for (channel, status) in found {
                let _ = writeln!(out, "AMQ8417I: Display Channel Status details.");
                columns(out, &status.items(&channel.name, asks("SSLCERTI"), asks("SSLPEER")));
            }
            Processed::Done
        }
        ("DISPLAY" | "DIS", Some((kind, None))) if kind == "QMGR" => {
            let _ = writeln!(out, "AMQ8408I: Display Queue Manager details.");
            let mut attrs = vec![("QMNAME".to_string(), qm.name.clone())];
            // Asked for by name: those (blank when not set), as seed 000's DISPLAY QMGR SSLKEYR.
            let named: Vec<&String> = asked.iter().filter(|a| *a != "QMNAME").collect();
            if named.is_empty() || asks("ALL") {
                attrs.extend(qm.qmgr_attributes.iter().cloned());
            } else {
                attrs.extend(named.iter().map(|k| (k.to_string(), qm.attribute(k).to_string())));
            }
            columns(out, &items(&attrs));
            Processed::Done
        }
        _ => {
            let _ = writeln!(out, "AMQ8405I: Syntax error detected at or near end of command segment below:-\n{command}");
            Processed::SyntaxError
        }
    }
}

/// `One` or the number, as runmqsc's summary counts.
fn count(n: usize) -> String {
    if n == 1 { "One".to_string() } else { n.to_string() }
}

pub fn runmqsc(estate: &mut Estate, fs: &dyn HostFs, inv: &Invocation) -> Outcome {
    // `-u USER` (a password is then read first on standard input), `-w SECS`, `-m QM` take a value.
    let mut name = None;
    let mut user = false;
    let mut i = 0;
    while let Some(arg) = inv.args.get(i) {
        match arg.as_str() {
            "-u" | "-w" | "-m" => {
                user |= arg == "-u";
                i += 1;
            }
            a if a.starts_with('-') => {}
            a => name = name.or(Some(a)),
        }
        i += 1;
    }
    let Some(qm_name) = name else {
        return Outcome { stdout: "AMQ8118E: IBM MQ queue manager does not exist.\n".into(), code: 20, ..Default::default() };
    };
    let Some(HostRef::Node { region, node }) = estate.host(inv.host) else {
        return Outcome { code: 127, ..Default::default() };
    };
    // A node knows only its own HA group's queue managers.
    let Some(qm) = estate.qmgr(qm_name).filter(|q| region.holds(q)) else {
        return Outcome { stdout: format!("AMQ8118E: IBM MQ queue manager '{qm_name}' does not exist.\n"), code: 72, ..Default::default() };
    };
    let qm_name = &qm.name.clone();
    if crate::print::qm_status_on(estate, qm, region, node, inv.now_ms) != QmStatus::Running {
        return Outcome { stdout: "AMQ8146E: IBM MQ queue manager not available.\n".into(), code: 20, ..Default::default() };
    }
    let mut out = format!("5724-H72 (C) Copyright IBM Corp. 1994, 2022.\nStarting MQSC for queue manager {qm_name}.\n\n\n");
    let mut lines = inv.stdin.lines();
    if user {
        // The password, read before any command (runmqsc prompts for it).
        let _ = lines.next();
        out = format!("5724-H72 (C) Copyright IBM Corp. 1994, 2022.\nEnter password:\n\nStarting MQSC for queue manager {qm_name}.\n\n\n");
    }
    let commands: Vec<&str> = lines.map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('*')).collect();
    let (mut syntax, mut failed) = (0, 0);
    for (i, command) in commands.iter().enumerate() {
        let _ = writeln!(out, "{:>6} : {command}", i + 1);
        match execute(estate, fs, qm_name, command, inv.now_ms, &mut out) {
            Processed::Done => {}
            Processed::SyntaxError => syntax += 1,
            Processed::Not => failed += 1,
        }
        out.push('\n');
    }
    let n = commands.len();
    let _ = writeln!(out, "{} MQSC {} read.", count(n), if n == 1 { "command" } else { "commands" });
    // The summary as runmqsc words it (the error forms from IBM's documentation, not the seed).
    let _ = match syntax {
        0 => writeln!(out, "No commands have a syntax error."),
        1 => writeln!(out, "One command has a syntax error."),
        k => writeln!(out, "{k} commands have a syntax error."),
    };
    let _ = match failed {
        0 => writeln!(out, "All valid MQSC commands were processed."),
        1 => writeln!(out, "One valid MQSC command could not be processed."),
        k => writeln!(out, "{k} valid MQSC commands could not be processed."),
    };
    Outcome { stdout: out, code: if syntax + failed > 0 { 10 } else { 0 }, ..Default::default() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn laid_out(items: &[&str]) -> String {
        let mut out = String::new();
        columns(&mut out, &items.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        out
    }

    #[test]
    fn seed_status_block_layout() {
        let items = [
            "CHANNEL(QM1.TO.QM2)", "CHLTYPE(SDR)", "CONNAME(10.241.0.4(1414))", "CURRENT", "RQMNAME(QM2)",
            "SSLCERTI(CN=QM2,OU=SSL For MQ,O=IBM,ST=MA,C=US)", "SSLPEER(SERIALNUMBER=5E:C8:76:52:DA:81:96:5B,CN=QM2,OU=SSL For MQ,O=IBM,ST=MA,C=US)",
            "STATUS(RUNNING)", "SUBSTATE(MQGET)", "XMITQ(QM2)",
        ];
        // Seed 000, `DISPLAY CHS(QM1.TO.QM2) SSLPEER SSLCERTI` on QM1.
        let seed = "   CHANNEL(QM1.TO.QM2)                     CHLTYPE(SDR)
   CONNAME(10.241.0.4(1414))               CURRENT
   RQMNAME(QM2)
   SSLCERTI(CN=QM2,OU=SSL For MQ,O=IBM,ST=MA,C=US)
   SSLPEER(SERIALNUMBER=5E:C8:76:52:DA:81:96:5B,CN=QM2,OU=SSL For MQ,O=IBM,ST=MA,C=US)
   STATUS(RUNNING)                         SUBSTATE(MQGET)
   XMITQ(QM2)
";
        assert_eq!(laid_out(&items), seed);
    }

    #[test]
    fn seed_channel_block_layout() {
        let items = ["SEQWRAP(999999999)", "SSLCAUTH(REQUIRED)", "SSLCIPH(TLS_RSA_WITH_AES_128_CBC_SHA256)", "SSLPEER(CN=John Cena, OU=Test, O=IBM, C=GB)", "STATCHL(QMGR)", "TRPTYPE(TCP)", "USEDLQ(YES)"];
        let seed = "   SEQWRAP(999999999)                      SSLCAUTH(REQUIRED)
   SSLCIPH(TLS_RSA_WITH_AES_128_CBC_SHA256)
   SSLPEER(CN=John Cena, OU=Test, O=IBM, C=GB)
   STATCHL(QMGR)                           TRPTYPE(TCP)
   USEDLQ(YES)
";
        assert_eq!(laid_out(&items), seed);
    }

    #[test]
    fn words_keep_parentheses_and_quotes_together() {
        assert_eq!(words("DIS CHS('A B')  SSLPEER"), ["DIS", "CHS('A B')", "SSLPEER"]);
        assert_eq!(words("display channel (X.Y)"), ["display", "channel(X.Y)"]);
        assert_eq!(keyword("chs('a.b')"), ("CHS".to_string(), Some("a.b".to_string())));
        assert_eq!(keyword("QMGR"), ("QMGR".to_string(), None));
        // Unbalanced input is kept, not fatal.
        assert_eq!(words("DIS CHS((("), ["DIS", "CHS((("]);
        assert_eq!(keyword("CHS(("), ("CHS".to_string(), Some("(".to_string())));
    }
}
