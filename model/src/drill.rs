//! A DR drill's evidence: the ledger of messages a client put through MQIPT before the cut,
//! what a client got back after it, and the report an auditor reads (timeline, RTO, RPO,
//! ledger, the queue manager before and after, who ran and who approved). Built from the
//! run's journal only, so the report says what the samples printed, never what the console
//! expected.

use crate::estate::Snapshot;
use crate::plan::{Plan, Step};
use crate::run::{Run, RunState, StepState};
use crate::status::DrRole;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What a step of a drill contributes to its report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DrillPart {
    /// `amqsgetc` empties the queue first: what it finds is not the drill's.
    Drain,
    /// `rdqmput -v3`: the ledger, each message with its batch's commit.
    LedgerPut,
    /// `rdqmstatus -m QM` on the DR primary: the DR out of sync data at the cut.
    ReplicationBeforeCut,
    /// The first step that takes the queue manager away from its clients.
    Cut,
    /// `amqscnxc` through MQIPT, retried until it connects: the end of the outage.
    Reconnect,
    /// `amqsgetc` in the new region: every message that survived.
    LedgerGet,
}

/// What became of one message of the ledger, or of one that was got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fate {
    /// Committed before the cut and got back once.
    Confirmed,
    /// Committed before the cut and not got back: lost with the old region's data.
    Lost,
    /// Got back more than once.
    Duplicated,
    /// Got back but never committed by the drill (another client's, or a put whose commit
    /// was not confirmed).
    Unexpected,
}

/// The ledger and its classification.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ledger {
    /// Messages the drill put (committed or in doubt).
    #[serde(default)]
    pub put: u32,
    /// Messages whose batch `rdqmput` reported committed.
    pub committed: u32,
    /// Put, but the commit was never reported (the client was cut off mid-batch).
    pub in_doubt: u32,
    /// Messages found on the queue before the drill put anything (emptied, not counted).
    pub found_before: u32,
    pub got: u32,
    pub confirmed: u32,
    pub lost: u32,
    pub duplicated: u32,
    pub unexpected: u32,
    /// Each message that was not simply confirmed, with its fate.
    pub exceptions: Vec<(String, Fate)>,
}

/// `Message is "…"` lines of `rdqmput -v3`, each kept only once its batch reports `Batch N
/// committed successfully`: (committed, in doubt).
pub fn parse_put(stdout: &str) -> (Vec<String>, Vec<String>) {
    let mut committed = Vec::new();
    let mut batch = Vec::new();
    for line in stdout.lines() {
        if let Some(text) = line.strip_prefix("Message is \"").and_then(|rest| rest.strip_suffix('"')) {
            batch.push(text.to_string());
        } else if line.starts_with("Batch ") && line.ends_with(" committed successfully") {
            committed.append(&mut batch);
        }
    }
    (committed, batch)
}

/// `message <…>` lines of `amqsgetc`.
pub fn parse_got(stdout: &str) -> Vec<String> {
    stdout.lines().filter_map(|l| l.strip_prefix("message <").and_then(|rest| rest.strip_suffix('>'))).map(str::to_string).collect()
}

/// Classifies what was got against the ledger. A message in doubt that comes back counts as
/// confirmed (its commit did happen); one that does not is not lost (it may never have).
pub fn classify(committed: &[String], in_doubt: &[String], got: &[String]) -> Ledger {
    let mut seen: BTreeMap<&str, u32> = BTreeMap::new();
    for text in got {
        *seen.entry(text).or_default() += 1;
    }
    let mut ledger = Ledger {
        put: (committed.len() + in_doubt.len()) as u32,
        committed: committed.len() as u32,
        in_doubt: in_doubt.len() as u32,
        got: got.len() as u32,
        ..Ledger::default()
    };
    let note = |ledger: &mut Ledger, text: &str, fate: Fate| ledger.exceptions.push((text.to_string(), fate));
    for text in committed.iter().chain(in_doubt) {
        let doubtful = !committed.contains(text);
        match seen.remove(text.as_str()) {
            None if doubtful => {}
            None => {
                ledger.lost += 1;
                note(&mut ledger, text, Fate::Lost);
            }
            Some(times) => {
                ledger.confirmed += 1;
                if times > 1 {
                    ledger.duplicated += times - 1;
                    note(&mut ledger, text, Fate::Duplicated);
                }
            }
        }
    }
    for (text, times) in seen {
        ledger.unexpected += times;
        note(&mut ledger, text, Fate::Unexpected);
    }
    ledger
}

/// One step as it ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub index: usize,
    pub title: String,
    pub host: String,
    pub command: String,
    pub state: StepState,
    pub started_at: Option<u64>,
    #[serde(rename = "ended_at", alias = "finished_at")]
    pub finished_at: Option<u64>,
    pub verification: Option<String>,
}

/// The queue manager in one region, as the console saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SideSummary {
    pub region: String,
    pub dr_role: Option<DrRole>,
    pub dr_status: Option<String>,
    pub dr_out_of_sync_kb: Option<u64>,
    pub running_on: Option<String>,
    /// No node of the region answered: the last known state.
    pub stale: bool,
}

/// The queue manager in each of its regions.
pub fn summarize(snapshot: &Snapshot, qmgr: &str) -> Vec<SideSummary> {
    let Some(qm) = snapshot.qmgrs.iter().find(|q| q.name == qmgr) else { return Vec::new() };
    qm.sides
        .iter()
        .map(|s| SideSummary {
            region: s.region.clone(),
            dr_role: s.dr_role.clone(),
            dr_status: s.dr_status.as_ref().map(ToString::to_string),
            dr_out_of_sync_kb: s.dr_out_of_sync_kb,
            running_on: qm.running_nodes.iter().find(|n| s.nodes.iter().any(|qn| &qn.node == *n)).cloned(),
            stale: s.stale,
        })
        .collect()
}

/// The drill report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrillReport {
    pub run_id: String,
    pub qmgr: String,
    pub to_region: String,
    /// `"mode": "planned" | "unplanned"` on the wire.
    #[serde(rename = "mode", alias = "unplanned", with = "crate::intent::drill_mode")]
    pub unplanned: bool,
    pub messages: u32,
    pub requested_by: String,
    pub approved_by: Option<String>,
    pub state: RunState,
    pub outcome: Option<String>,
    pub started_at: u64,
    pub finished_at: u64,
    #[serde(rename = "steps", alias = "timeline")]
    pub timeline: Vec<TimelineEntry>,
    /// From the start of the cut to the end of the first client connect through MQIPT in
    /// the new region; `None` when clients never got back.
    pub rto_ms: Option<u64>,
    /// `DR out of sync data` on the DR primary just before the cut.
    #[serde(rename = "out_of_sync_kb_before", alias = "dr_out_of_sync_kb_at_cut")]
    pub dr_out_of_sync_kb_at_cut: Option<u64>,
    /// RPO in messages: committed messages the drill did not get back.
    #[serde(default)]
    pub rpo_messages: Option<u32>,
    /// `None` when the ledger was not got back (the run stopped before).
    pub ledger: Option<Ledger>,
    #[serde(rename = "estate_before", alias = "before")]
    pub before: Vec<SideSummary>,
    #[serde(rename = "estate_after", alias = "after")]
    pub after: Vec<SideSummary>,
}

fn part(plan: &Plan, part: DrillPart) -> Option<&Step> {
    plan.steps.iter().find(|s| s.drill == Some(part))
}

impl DrillReport {
    /// The report of a drill's run. `before` is the queue manager as planned, `after` as a
    /// refresh after the run found it.
    pub fn build(plan: &Plan, run: &Run, before: Vec<SideSummary>, after: Vec<SideSummary>) -> Option<Self> {
        let crate::intent::Intent::DrDrill { qmgr, to_region, messages, unplanned, .. } = &run.intent else { return None };
        let step = |p: DrillPart| part(plan, p).and_then(|s| run.steps.get(s.index));
        let finished = |p: DrillPart| step(p).filter(|s| s.state == StepState::Succeeded);
        let rto_ms = match (step(DrillPart::Cut).and_then(|s| s.started_at), finished(DrillPart::Reconnect).and_then(|s| s.finished_at)) {
            (Some(cut), Some(back)) => Some(back.saturating_sub(cut)),
            _ => None,
        };
        let dr_out_of_sync_kb_at_cut = finished(DrillPart::ReplicationBeforeCut)
            .and_then(|s| crate::rdqmstatus::parse(&s.stdout).qm_view())
            .and_then(|v| v.dr)
            // IBM prints no `DR out of sync data` line while DR status is Normal: nothing waits.
            .and_then(|dr| dr.out_of_sync_kb.or_else(|| dr.status.filter(|s| s.is(crate::status::DrStatus::Normal)).map(|_| 0)));
        let ledger = match (finished(DrillPart::LedgerPut), finished(DrillPart::LedgerGet)) {
            (Some(put), Some(get)) => {
                let (committed, in_doubt) = parse_put(&put.stdout);
                let mut ledger = classify(&committed, &in_doubt, &parse_got(&get.stdout));
                ledger.found_before = finished(DrillPart::Drain).map_or(0, |s| parse_got(&s.stdout).len() as u32);
                Some(ledger)
            }
            _ => None,
        };
        let timeline = run
            .steps
            .iter()
            .map(|s| TimelineEntry {
                index: s.index,
                title: s.title.clone(),
                host: s.host.clone(),
                command: s.command.clone(),
                state: s.state,
                started_at: s.started_at,
                finished_at: s.finished_at,
                verification: s.verification.clone(),
            })
            .collect();
        Some(DrillReport {
            run_id: run.id.clone(),
            qmgr: qmgr.clone(),
            to_region: to_region.clone(),
            unplanned: *unplanned,
            messages: *messages,
            requested_by: run.requested_by.clone(),
            approved_by: run.approved_by.clone(),
            state: run.state,
            outcome: run.message.clone(),
            started_at: run.created_at,
            finished_at: run.updated_at,
            timeline,
            rto_ms,
            dr_out_of_sync_kb_at_cut,
            rpo_messages: ledger.as_ref().map(|l| l.lost),
            ledger,
            before,
            after,
        })
    }

    /// SHA-256 of the report's JSON, recorded in the audit chain when it is stored.
    pub fn digest(&self) -> String {
        crate::plan::sha256_hex(&serde_json::to_string(self).unwrap_or_default())
    }

    /// The report as the API serves it: with its digest, to compare with the audit chain.
    pub fn with_digest(self) -> DrillReportWithDigest {
        DrillReportWithDigest { digest: self.digest(), report: self }
    }
}

/// `GET /api/drills/{run_id}`: the report and the digest the audit chain recorded for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrillReportWithDigest {
    #[serde(flatten)]
    pub report: DrillReport,
    pub digest: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn only_committed_batches_enter_the_ledger() {
        let out = "Connected to queue manager DRHAQM1\nOpened queue Q\nAbout to put message 1 of batch 1\nMessage is \"Batch 1, Message 1\"\nMessage 1 put successfully\nBatch 1 put successfully, committing...\nBatch 1 committed successfully\nAbout to put message 1 of batch 2\nMessage is \"Batch 2, Message 1\"\nMessage 1 put successfully\nBatch 2 put successfully, committing...\n";
        assert_eq!(parse_put(out), (texts(&["Batch 1, Message 1"]), texts(&["Batch 2, Message 1"])));
    }

    #[test]
    fn each_message_is_confirmed_lost_duplicated_or_unexpected() {
        let got = parse_got("Sample AMQSGET0 start\nmessage <B1>\nmessage <B3>\nmessage <B3>\nmessage <X>\nmessage <D1>\nno more messages\nSample AMQSGET0 end\n");
        let ledger = classify(&texts(&["B1", "B2", "B3"]), &texts(&["D1", "D2"]), &got);
        assert_eq!((ledger.confirmed, ledger.lost, ledger.duplicated, ledger.unexpected, ledger.got), (3, 1, 1, 1, 5));
        assert_eq!(
            ledger.exceptions,
            vec![("B2".to_string(), Fate::Lost), ("B3".to_string(), Fate::Duplicated), ("X".to_string(), Fate::Unexpected)]
        );
    }
}
