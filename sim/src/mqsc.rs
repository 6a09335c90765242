//! `runmqsc QM` reading MQSC commands on standard input: `DISPLAY CHANNEL(...)` and
//! `DISPLAY QMGR ...`, answered in IBM's layout (two attributes a line, the first padded to 40).

use crate::commands::{Invocation, Outcome};
use crate::estate::{Estate, HostRef};
use model::status::QmStatus;
use std::fmt::Write as _;

fn attributes(out: &mut String, attrs: &[(String, String)]) {
    let mut pending: Option<String> = None;
    for (key, value) in attrs {
        let item = format!("{key}({value})");
        match pending.take() {
            None if item.len() < 40 => pending = Some(item),
            None => {
                let _ = writeln!(out, "   {item}");
            }
            Some(first) => {
                let _ = writeln!(out, "   {first:<40}{item}");
            }
        }
    }
    if let Some(last) = pending {
        let _ = writeln!(out, "   {last}");
    }
}

fn generic_match(pattern: &str, name: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => name.to_ascii_uppercase().starts_with(&prefix.to_ascii_uppercase()),
        None => pattern.eq_ignore_ascii_case(name),
    }
}

/// The object name in `DISPLAY CHANNEL(NAME)`.
fn object(command: &str, keyword: &str) -> Option<String> {
    let upper = command.to_ascii_uppercase();
    let start = upper.find(&format!("{keyword}("))? + keyword.len() + 1;
    let end = command[start..].find(')')? + start;
    Some(command[start..end].trim().trim_matches('\'').to_string())
}

pub fn runmqsc(estate: &mut Estate, inv: &Invocation) -> Outcome {
    let Some(qm_name) = inv.args.iter().find(|a| !a.starts_with('-')) else {
        return Outcome { stdout: "AMQ8118E: IBM MQ queue manager does not exist.\n".into(), code: 20, ..Default::default() };
    };
    let Some(HostRef::Node { region, node }) = estate.host(inv.host) else {
        return Outcome { code: 127, ..Default::default() };
    };
    let Some(qm) = estate.qmgr(qm_name) else {
        return Outcome { stdout: format!("AMQ8118E: IBM MQ queue manager '{qm_name}' does not exist.\n"), code: 72, ..Default::default() };
    };
    if crate::print::qm_status_on(estate, qm, region, node) != QmStatus::Running {
        return Outcome { stdout: "AMQ8146E: IBM MQ queue manager not available.\n".into(), code: 20, ..Default::default() };
    }
    let mut out = format!("5724-H72 (C) Copyright IBM Corp. 1994, 2022.\nStarting MQSC for queue manager {qm_name}.\n\n\n");
    let commands: Vec<&str> = inv.stdin.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('*')).collect();
    let mut errors = 0;
    for (i, command) in commands.iter().enumerate() {
        let _ = writeln!(out, "{:>6} : {command}", i + 1);
        let upper = command.to_ascii_uppercase();
        if upper.starts_with("DISPLAY CHANNEL(") || upper.starts_with("DIS CHL(") || upper.starts_with("DISPLAY CHL(") {
            let pattern = object(command, "CHANNEL").or_else(|| object(command, "CHL")).unwrap_or_default();
            let found: Vec<_> = qm.channels.iter().filter(|c| generic_match(&pattern, &c.name)).collect();
            if found.is_empty() {
                let _ = writeln!(out, "AMQ8147E: IBM MQ object {pattern} not found.");
                errors += 1;
            }
            for channel in found {
                let _ = writeln!(out, "AMQ8414I: Display Channel details.");
                let mut attrs = vec![("CHANNEL".to_string(), channel.name.clone())];
                attrs.extend(channel.attributes.iter().cloned());
                attributes(&mut out, &attrs);
            }
        } else if upper.starts_with("DISPLAY QMGR") || upper.starts_with("DIS QMGR") {
            let _ = writeln!(out, "AMQ8408I: Display Queue Manager details.");
            let mut attrs = vec![("QMNAME".to_string(), qm.name.clone())];
            attrs.extend(qm.qmgr_attributes.iter().cloned());
            attributes(&mut out, &attrs);
        } else {
            let _ = writeln!(out, "AMQ8405I: Syntax error detected at or near end of command segment below:-\n{command}");
            errors += 1;
        }
        out.push('\n');
    }
    let n = commands.len();
    let _ = writeln!(out, "{} MQSC {} read.", if n == 1 { "One".to_string() } else { n.to_string() }, if n == 1 { "command" } else { "commands" });
    let _ = writeln!(out, "No commands have a syntax error.");
    let _ = writeln!(out, "All valid MQSC commands were processed.");
    Outcome { stdout: out, code: if errors > 0 { 10 } else { 0 }, ..Default::default() }
}
