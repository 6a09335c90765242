//! `runmqsc QM` reading MQSC commands on standard input: `DISPLAY CHANNEL(...)`,
//! `DISPLAY CHSTATUS(...) [SSLPEER] [SSLCERTI]` and `DISPLAY QMGR ...`, answered in IBM's layout
//! (two attributes a line, the first padded to 40; a long one on a line of its own).

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
            attrs.extend(qm.qmgr_attributes.iter().cloned());
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
    let Some(qm_name) = inv.args.iter().find(|a| !a.starts_with('-')) else {
        return Outcome { stdout: "AMQ8118E: IBM MQ queue manager does not exist.\n".into(), code: 20, ..Default::default() };
    };
    let Some(HostRef::Node { region, node }) = estate.host(inv.host) else {
        return Outcome { code: 127, ..Default::default() };
    };
    let Some(qm) = estate.qmgr(qm_name) else {
        return Outcome { stdout: format!("AMQ8118E: IBM MQ queue manager '{qm_name}' does not exist.\n"), code: 72, ..Default::default() };
    };
    if crate::print::qm_status_on(estate, qm, region, node, inv.now_ms) != QmStatus::Running {
        return Outcome { stdout: "AMQ8146E: IBM MQ queue manager not available.\n".into(), code: 20, ..Default::default() };
    }
    let mut out = format!("5724-H72 (C) Copyright IBM Corp. 1994, 2022.\nStarting MQSC for queue manager {qm_name}.\n\n\n");
    let commands: Vec<&str> = inv.stdin.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('*')).collect();
    let (mut syntax, mut failed) = (0, 0);
    for (i, command) in commands.iter().enumerate() {
        let _ = writeln!(out, "{:>6} : {command}", i + 1);
        match display(estate, fs, qm_name, command, &mut out) {
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
