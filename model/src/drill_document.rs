//! A drill report as one self-contained HTML document, to print or keep beside the audit
//! evidence: no script, no external style, every value escaped.

use crate::drill::{DrillReport, Fate, SideSummary};
use crate::run::StepState;
use html_escape::encode_text as esc;
use std::fmt::Write as _;

fn when(ms: u64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_else(|| ms.to_string())
}

fn seconds(ms: u64) -> String {
    format!("{:.1} s", ms as f64 / 1000.0)
}

fn sides(out: &mut String, caption: &str, sides: &[SideSummary]) {
    let _ = write!(out, "<table><caption>{}</caption><tr><th>Region</th><th>DR role</th><th>DR status</th><th>DR out of sync data</th><th>Running on</th></tr>", esc(caption));
    for s in sides {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&s.region),
            esc(&s.dr_role.as_ref().map_or("unknown".into(), ToString::to_string)),
            esc(s.dr_status.as_deref().unwrap_or("unknown")),
            s.dr_out_of_sync_kb.map_or("unknown".into(), |kb| format!("{kb} KB")),
            esc(s.running_on.as_deref().unwrap_or(if s.stale { "no answer" } else { "nowhere" })),
        );
    }
    out.push_str("</table>");
}

fn fate(f: Fate) -> &'static str {
    match f {
        Fate::Confirmed => "confirmed",
        Fate::Lost => "lost",
        Fate::Duplicated => "duplicated",
        Fate::Unexpected => "unexpected",
    }
}

fn state(s: StepState) -> &'static str {
    match s {
        StepState::Pending => "not run",
        StepState::Running => "running",
        StepState::Succeeded => "succeeded",
        StepState::Failed => "failed",
        StepState::AlreadyDone => "already done",
        StepState::Undone => "undone",
    }
}

/// The report as an HTML document.
pub fn html(report: &DrillReport) -> String {
    let r = report;
    let kind = if r.unplanned { "unplanned failover" } else { "planned switchover" };
    let mut out = String::new();
    let _ = write!(
        out,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>DR drill {run} — {qm}</title>\
         <style>body{{font:14px system-ui,sans-serif;margin:2em;color:#111}}table{{border-collapse:collapse;margin:1em 0}}\
         td,th{{border:1px solid #999;padding:.3em .6em;text-align:left;vertical-align:top}}caption{{font-weight:bold;text-align:left}}\
         code{{font-size:12px}}</style></head><body><h1>DR drill of {qm}: {kind} to {to}</h1>",
        run = esc(&r.run_id),
        qm = esc(&r.qmgr),
        to = esc(&r.to_region),
    );
    let _ = write!(
        out,
        "<table><tr><th>Run</th><td>{}</td></tr><tr><th>Outcome</th><td>{:?}: {}</td></tr><tr><th>Started</th><td>{}</td></tr><tr><th>Ended</th><td>{}</td></tr>\
         <tr><th>Run by</th><td>{}</td></tr><tr><th>Approved by</th><td>{}</td></tr><tr><th>Ledger</th><td>{} messages</td></tr>\
         <tr><th>RTO</th><td>{}</td></tr><tr><th>RPO</th><td>{}</td></tr><tr><th>DR out of sync data at the cut</th><td>{}</td></tr><tr><th>Report SHA-256</th><td><code>{}</code></td></tr></table>",
        esc(&r.run_id),
        r.state,
        esc(r.outcome.as_deref().unwrap_or("")),
        when(r.started_at),
        when(r.finished_at),
        esc(&r.requested_by),
        esc(r.approved_by.as_deref().unwrap_or("not required")),
        r.messages,
        r.rto_ms.map_or("not measured: clients did not get back".into(), seconds),
        r.ledger.as_ref().map_or("not measured: the ledger was not got back".into(), |l| format!("{} of {} committed messages lost", l.lost, l.committed)),
        r.dr_out_of_sync_kb_at_cut.map_or("not read".into(), |kb| format!("{kb} KB")),
        r.digest(),
    );
    if let Some(l) = &r.ledger {
        let _ = write!(
            out,
            "<table><caption>Ledger</caption><tr><th>Committed</th><th>In doubt</th><th>Got back</th><th>Confirmed</th><th>Lost</th><th>Duplicated</th><th>Unexpected</th><th>Found on the queue before</th></tr>\
             <tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr></table>",
            l.committed, l.in_doubt, l.got, l.confirmed, l.lost, l.duplicated, l.unexpected, l.found_before
        );
        if !l.exceptions.is_empty() {
            out.push_str("<table><caption>Messages not simply confirmed</caption><tr><th>Message</th><th>Fate</th></tr>");
            for (text, f) in &l.exceptions {
                let _ = write!(out, "<tr><td>{}</td><td>{}</td></tr>", esc(text), fate(*f));
            }
            out.push_str("</table>");
        }
    }
    out.push_str("<table><caption>Timeline</caption><tr><th>#</th><th>Step</th><th>Host</th><th>Command</th><th>State</th><th>Started</th><th>Took</th><th>Verification</th></tr>");
    for t in &r.timeline {
        let took = match (t.started_at, t.finished_at) {
            (Some(a), Some(b)) => seconds(b.saturating_sub(a)),
            _ => String::new(),
        };
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            t.index + 1,
            esc(&t.title),
            esc(&t.host),
            esc(&t.command),
            state(t.state),
            t.started_at.map(when).unwrap_or_default(),
            took,
            esc(t.verification.as_deref().unwrap_or("")),
        );
    }
    out.push_str("</table>");
    sides(&mut out, "Before", &r.before);
    sides(&mut out, "After", &r.after);
    out.push_str("</body></html>\n");
    // A row a line, so the document reads (and diffs) as text too.
    out.replace("</tr>", "</tr>\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drill::{Ledger, TimelineEntry};
    use crate::run::RunState;

    #[test]
    fn the_document_escapes_every_value_and_shows_the_evidence() {
        let side = |region: &str, role: crate::status::DrRole, on: Option<&str>| SideSummary {
            region: region.into(),
            dr_role: Some(role),
            dr_status: Some("Normal".into()),
            dr_out_of_sync_kb: None,
            running_on: on.map(str::to_string),
            stale: false,
        };
        let report = DrillReport {
            run_id: "r1".into(),
            qmgr: "DRHAQM1".into(),
            to_region: "DAL".into(),
            unplanned: true,
            messages: 2,
            requested_by: "<script>alert(1)</script>".into(),
            approved_by: Some("mqadmin2".into()),
            state: RunState::Succeeded,
            outcome: Some("dr-drill of DRHAQM1 completed and verified".into()),
            started_at: 1_796_400_000_000,
            finished_at: 1_796_400_012_500,
            timeline: vec![TimelineEntry {
                index: 0,
                title: "Put the ledger".into(),
                host: "wdc-mq-client".into(),
                command: "env MQSERVER=A/TCP/h(1) rdqmput -b2 -m1 -s0 -v3 DRHAQM1 Q".into(),
                state: StepState::Succeeded,
                started_at: Some(1_796_400_000_000),
                finished_at: Some(1_796_400_001_200),
                verification: Some("the output says Completed".into()),
            }],
            rto_ms: Some(8_400),
            dr_out_of_sync_kb_at_cut: Some(4),
            rpo_messages: None,
            ledger: Some(Ledger { committed: 2, got: 1, confirmed: 1, lost: 1, exceptions: vec![("Batch 2, Message 1".into(), Fate::Lost)], ..Ledger::default() }),
            before: vec![side("WDC", crate::status::DrRole::Primary, Some("wdc1-mq1"))],
            after: vec![side("DAL", crate::status::DrRole::Primary, Some("dal1-mq1"))],
        };
        let document = html(&report);
        assert!(!document.contains("<script>"), "values are escaped");
        insta::assert_snapshot!(document);
    }
}
