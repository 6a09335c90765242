//! What a person (or a script) must do when a run could not finish or put things back: each
//! item a host, a command to run there and why, in order.

use model::plan::{Action, Plan, Step, Verify};
use model::run::{Remediation, Run, StepState};

fn item(host: &str, command: impl Into<String>, why: impl Into<String>) -> Remediation {
    Remediation { host: host.to_string(), command: command.into(), why: why.into() }
}

fn ran(run: &Run, j: usize) -> bool {
    run.steps.get(j).is_some_and(|s| matches!(s.state, StepState::Succeeded | StepState::AlreadyDone | StepState::Failed))
}

/// The node a check of the queue manager's state is best made on: the host of the plan's
/// last RDQM command (the HA primary it acted on).
fn rdqm_host(plan: &Plan) -> Option<&str> {
    plan.steps
        .iter()
        .rev()
        .find(|s| matches!(&s.action, Action::Exec { program, .. } if program.starts_with("rdqm")))
        .or_else(|| plan.steps.iter().find(|s| s.host != "console"))
        .map(|s| s.host.as_str())
}

/// The file the plan writes, and the host it is on.
fn conf_file(plan: &Plan) -> Option<(&str, &str)> {
    plan.steps.iter().find_map(|s| match &s.action {
        Action::WriteFile { path, .. } => Some((s.host.as_str(), path.as_str())),
        _ => None,
    })
}

/// How to check by hand what a console-side check verifies.
fn check_items(plan: &Plan, verify: &Verify) -> Vec<Remediation> {
    let host = rdqm_host(plan).unwrap_or("each node");
    match verify {
        Verify::Estate { qmgr, region, check_route, .. } => {
            let mut out = vec![item(host, format!("rdqmstatus -m {qmgr}"), format!("{qmgr} must be DR primary and Running in {region} only"))];
            if *check_route && let Some((conf_host, path)) = conf_file(plan) {
                out.push(item(conf_host, format!("cat {path}"), format!("the route of {qmgr} must name {region}'s load balancer as its Destination")));
            }
            out
        }
        _ => vec![item(host, format!("rdqmstatus -m {}", plan.subject), "check the state the run left")],
    }
}

/// The command that carries `step` out by hand.
fn by_hand(plan: &Plan, step: &Step) -> Vec<Remediation> {
    let why = format!("step {} ({}) is not done", step.index + 1, step.title);
    match &step.action {
        Action::Exec { .. } | Action::Mqsc { .. } | Action::CopyFile { .. } => vec![item(&step.host, step.command.clone(), why)],
        Action::AwaitCertificate { request, to_path } => {
            vec![item(&step.host, format!("have {request} signed by the CA, then copy the certificate to {to_path}"), why)]
        }
        Action::Backup { path, to } => vec![item(&step.host, format!("cp -p {path} {to}"), why)],
        Action::WriteFile { path, .. } => {
            // Viewers read remediation: passwords stay out of it.
            let diff = model::mqipt::redact_secrets(plan.diff.as_deref().unwrap_or(""));
            let changes: Vec<&str> = diff.lines().filter(|l| l.starts_with('+') && !l.starts_with("+++")).map(|l| &l[1..]).collect();
            vec![item(&step.host, format!("edit {path}: {}", changes.join("; ")), format!("{why}: the file must read as the plan's diff shows"))]
        }
        Action::CheckEstate => check_items(plan, &step.verify),
    }
}

/// The final checks of a plan (its console-side check, by hand).
pub fn checks(plan: &Plan) -> Vec<Remediation> {
    match plan.steps.iter().rev().find(|s| matches!(s.action, Action::CheckEstate)) {
        Some(step) => check_items(plan, &step.verify),
        None => check_items(plan, &Verify::ExitZero),
    }
}

/// After irreversible step `k` took effect: every later step not done, in order, by hand.
pub fn forward(plan: &Plan, run: &Run, k: usize) -> Vec<Remediation> {
    let mut out: Vec<Remediation> = plan
        .steps
        .iter()
        .skip(k + 1)
        .filter(|s| !matches!(run.steps.get(s.index).map(|r| r.state), Some(StepState::Succeeded | StepState::AlreadyDone)))
        .flat_map(|s| by_hand(plan, s))
        .collect();
    if !plan.steps.iter().skip(k + 1).any(|s| matches!(s.action, Action::CheckEstate)) || out.is_empty() {
        out.extend(checks(plan));
    }
    out
}

/// What is left to undo from step `from` down (undo actions that did not succeed), the check
/// of a step whose connection was lost first, the final checks last.
pub fn undo_left(plan: &Plan, run: &Run, from: usize) -> Vec<Remediation> {
    let done: Vec<&str> = run.undo.iter().filter(|u| u.state == StepState::Succeeded).map(|u| u.command.as_str()).collect();
    let mut out = Vec::new();
    for (step, journaled) in plan.steps.iter().zip(&run.steps) {
        let lost = journaled.state == StepState::Failed && journaled.exit_code.is_none() && !matches!(step.action, Action::CheckEstate);
        if lost {
            let (probe, how) = match &step.verify {
                Verify::FileHash { path, .. } => (format!("sha256sum {path}"), "compare with the plan"),
                Verify::NoFailCounts { .. } => ("crm_mon --one-shot --inactive".to_string(), "look for fail-counts"),
                Verify::DrRole { qmgr, .. } | Verify::RunningHere { qmgr, .. } | Verify::DrNormal { qmgr, .. } | Verify::Preferred { qmgr, .. } => {
                    (format!("rdqmstatus -m {qmgr}"), "read the DR role and where it runs")
                }
                Verify::NothingRunsOn { .. } | Verify::RunsOn { .. } => ("dspmq -a -x -s".to_string(), "see what runs here"),
                Verify::CertPresent { program, db, .. } | Verify::CertAbsent { program, db, .. } => {
                    (format!("{program} -cert -list -db {db} -stashed"), "see which certificates the store holds")
                }
                Verify::PemCertificate { path, .. } => (format!("openssl x509 -in {path} -noout -subject -ext subjectAltName"), "read the certificate installed"),
                Verify::ChannelPresents { qmgr, channel, .. } => (format!("echo 'DISPLAY CHSTATUS({channel}) ALL' | runmqsc {qmgr}"), "read its status and SSLPEER"),
                // A refresh and the like are safe to repeat: running it again tells.
                Verify::ExitZero | Verify::OutputContains { .. } | Verify::Estate { .. } | Verify::ClientConnects { .. } | Verify::TlsClientConnects { .. } => {
                    (step.command.clone(), "it is safe to run again; read its output")
                }
            };
            out.push(item(
                &step.host,
                probe,
                format!(
                    "first find out whether step {} (`{}`) took effect ({how}): its connection was lost; if it did, undo it too",
                    step.index + 1,
                    step.command
                ),
            ));
        }
    }
    for j in (0..(from + 1).min(plan.steps.len())).rev() {
        if !ran(run, j) {
            continue;
        }
        for undo in &plan.steps[j].undo {
            if !done.contains(&undo.command.as_str()) {
                out.push(item(&undo.host, undo.command.clone(), format!("undo step {} ({})", j + 1, plan.steps[j].title)));
            }
        }
    }
    out.extend(undo_checks(plan));
    out
}

/// How to check by hand, once the undo is finished, that the estate is whole again.
fn undo_checks(plan: &Plan) -> Vec<Remediation> {
    let host = rdqm_host(plan).unwrap_or("each node");
    let mut out = vec![item(
        host,
        format!("rdqmstatus -m {}", plan.subject),
        format!("once the undo is done, {} must be DR primary and running in one region only", plan.subject),
    )];
    if let Some((conf_host, path)) = conf_file(plan) {
        out.push(item(conf_host, format!("cat {path}"), "the route must point at that region's load balancer"));
    }
    out
}

/// A run that stopped (its journal or audit could not be written): forward from an
/// irreversible step in effect, otherwise what undoes the steps that ran.
pub fn after_stop(plan: &Plan, run: &Run) -> Vec<Remediation> {
    let done = |j: usize| matches!(run.steps.get(j).map(|s| s.state), Some(StepState::Succeeded | StepState::AlreadyDone));
    if let Some(k) = plan.steps.iter().rev().find(|s| s.irreversible.is_some() && done(s.index)).map(|s| s.index) {
        return forward(plan, run, k);
    }
    let last = run.steps.iter().rposition(|s| s.state != StepState::Pending).unwrap_or(0);
    undo_left(plan, run, last)
}
