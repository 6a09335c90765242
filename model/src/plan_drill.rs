//! Planning a DR drill: seed 000's "Testing with persistent messages with syncpoint" as one
//! workflow. A client empties the drill queue and puts the ledger through MQIPT, the console
//! reads the DR out of sync data, moves the queue manager (the switchover's steps, or an
//! unplanned failover's), points the route, connects through MQIPT until it answers (the end
//! of the outage), gets every message back and, after an unplanned failover, discards what the
//! old region kept, as resolving the partition would.

use crate::drill::DrillPart;
use crate::plan::{
    Action, CheckStatus, ClientCheck, PlanContext, PreconditionCode, Verify, conf_steps, dr_checks, final_check_with, route_edit, sha256_hex, switch_steps, tls_check,
    unified_diff,
};
use crate::plan_builder::PlanBuilder;
use crate::plan_dr::{ha_location, promote};
use crate::status::DrRole;

fn sample(client: &ClientCheck, name: &str, args: &[String]) -> Action {
    let program = match &client.bin_dir {
        Some(dir) => format!("{}/{name}", dir.trim_end_matches('/')),
        None => name.to_string(),
    };
    let mut all = vec![format!("MQSERVER={}", client.mqserver), program];
    all.extend(args.iter().cloned());
    Action::Exec { program: "env".into(), args: all }
}

/// `amqsgetc` ends with `no more messages` once the queue is empty (after its 15 s wait).
fn empty_queue(b: &mut PlanBuilder, client: &ClientCheck, qmgr: &str, title: String, part: DrillPart) {
    let action = sample(client, "amqsgetc", &[client.queue.clone(), qmgr.into()]);
    b.step(&client.host, title, action, "message <…> for each message, then no more messages", Verify::OutputContains { text: "no more messages".into() }).drill =
        Some(part);
}

/// How the drill moves the queue manager.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum How {
    /// A planned switchover, and back after the ledger is got when `switch_back`.
    Planned { switch_back: bool },
    /// An unplanned failover; what the old region kept unreplicated is discarded.
    Unplanned,
}

pub fn drill(ctx: &PlanContext, qmgr: &str, to_region: &str, messages: u32, how: How, stamp: &str, b: &mut PlanBuilder) {
    let unplanned = how == How::Unplanned;
    let Some(qm) = ctx.snapshot.qmgrs.iter().find(|q| q.name == qmgr) else {
        b.check(CheckStatus::Block, PreconditionCode::Qmgr, format!("no queue manager {qmgr} in the estate"));
        return;
    };
    let Some(client) = ctx.client.clone() else {
        b.check(CheckStatus::Block, PreconditionCode::Client, format!("a drill proves the path clients take: configure a [[clients]] check for {qmgr}"));
        return;
    };
    let Some((connect, verify)) = client.connect(qmgr, 120) else {
        b.check(CheckStatus::Block, PreconditionCode::Client, format!("the client's MQSERVER {:?} is not CHANNEL/TCP/host(port)", client.mqserver));
        return;
    };
    let Some(from) = qm.dr_primary_regions.first().filter(|_| qm.dr_primary_regions.len() == 1).cloned() else {
        b.check(CheckStatus::Block, PreconditionCode::DrPrimary, format!("the ledger is put through {qmgr}'s one DR primary; regions claiming it now: [{}]", qm.dr_primary_regions.join(", ")));
        return;
    };
    let Some(source_host) = ha_location(qm, &from) else {
        b.check(CheckStatus::Block, PreconditionCode::HaLocation, format!("{from}'s HA primary for {qmgr} is unknown"));
        return;
    };
    b.fingerprint.dr_primary_region = qm.dr_primary_region.clone();
    b.fingerprint.running_on = qm.running_on.clone();

    empty_queue(b, &client, qmgr, format!("Empty {} through MQIPT (what is there is not the drill's)", client.queue), DrillPart::Drain);
    let put = sample(&client, "rdqmput", &[format!("-b{messages}"), "-m1".into(), "-s0".into(), "-v3".into(), qmgr.into(), client.queue.clone()]);
    let expect = format!("{messages} persistent messages, each committed (Batch N committed successfully), then Completed");
    b.step(&client.host, format!("Put the ledger: {messages} numbered messages through MQIPT"), put, expect, Verify::OutputContains { text: "Completed".into() }).drill =
        Some(DrillPart::LedgerPut);
    b.step(&source_host, "Read the DR out of sync data at the cut", Action::exec("rdqmstatus", &["-m", qmgr]), "DR status and DR out of sync data", Verify::ExitZero)
        .drill = Some(DrillPart::ReplicationBeforeCut);

    let cut = b.steps.len();
    let old_region = if unplanned {
        match promote(ctx, qm, to_region, b) {
            Some(old) => old,
            None => return,
        }
    } else {
        dr_checks(ctx, qm, to_region, b);
        tls_check(ctx, qm, to_region, &mut b.pre);
        None
    };
    if b.blocked() {
        return;
    }
    if let Some(step) = b.steps.get_mut(cut) {
        step.drill = Some(DrillPart::Cut);
    }
    let route = route_edit(ctx, qm, to_region, &mut b.pre);
    if let Some((conf, old, new)) = &route {
        b.fingerprint.conf_sha256 = Some(sha256_hex(old));
        b.diff = Some(unified_diff(old, new, &conf.path));
        conf_steps(ctx, conf, old, new, stamp, b);
    }
    b.step(&client.host, format!("Connect through MQIPT until {qmgr} answers in {to_region} (the end of the outage)"), connect.clone(), format!("Connection established to queue manager {qmgr}"), verify.clone())
        .drill = Some(DrillPart::Reconnect);
    empty_queue(b, &client, qmgr, format!("Get the ledger back from {to_region} through MQIPT"), DrillPart::LedgerGet);
    if let Some(old) = old_region.filter(|old| qm.dr_primary_regions.contains(old))
        && let Some(host) = ha_location(qm, &old)
    {
        b.step(
            &host,
            format!("Make {old} DR secondary, discarding what it did not replicate"),
            Action::exec("rdqmdr", &["-s", "-m", qmgr]),
            format!("Queue manager '{qmgr}' has been made the DR secondary on this node."),
            Verify::DrRole { qmgr: qmgr.into(), role: DrRole::Secondary },
        )
        .irreversible = Some(format!("what {qmgr} held in {old} and had not replicated is discarded"));
        b.check(CheckStatus::Warn, PreconditionCode::DataDiscarded, format!("the drill ends by discarding what {qmgr} holds in {old} and has not replicated to {to_region}: the ledger shows exactly which messages"));
    }
    final_check_with(qmgr, to_region, qm.route.is_some(), unplanned, b);
    if how == (How::Planned { switch_back: true })
        && let Some(target_host) = ha_location(qm, to_region)
    {
        // Back the way it came: the same two steps reversed, the route back over the text
        // this run wrote, a client connect in the original region, the whole estate.
        switch_steps(b, qmgr, (to_region, &target_host), (&from, &source_host));
        if let Some((conf, old, new)) = &route {
            let first = b.steps.len();
            conf_steps(ctx, conf, new, old, &format!("{stamp}-back"), b);
            for step in &mut b.steps[first..] {
                step.title = step.title.replace("Point the route at the new region", &format!("Point the route back at {from}"));
            }
        }
        b.step(&client.host, format!("Connect through MQIPT to {qmgr} back in {from}"), connect, format!("Connection established to queue manager {qmgr}"), verify);
        final_check_with(qmgr, &from, qm.route.is_some(), false, b);
    }
}

