//! Plans and runs in words: what an intent does, how a step is verified, what state a run or
//! a step is in. Each state has a word and a glyph as well as a tone (never colour alone).

use crate::checks::Tone;
use crate::wire::VerifyWire;
use model::plan::{CheckStatus, Intent};
use model::run::{RunState, StepState};

/// What the operator asked for, as a sentence ("Switch DRHAQM1's DR primary to DAL").
pub fn intent_text(intent: &Intent) -> String {
    match intent {
        Intent::DrSwitchover { qmgr, to_region } => format!("Switch {qmgr}'s DR primary to {to_region} (planned switchover)"),
        Intent::DrFailover { qmgr, to_region } => format!("Fail {qmgr} over to {to_region} (unplanned failover)"),
        Intent::DrResolvePartition { qmgr, keep_region } => format!("Resolve {qmgr}'s partition, keeping {keep_region}'s data"),
        Intent::RouteRetarget { qmgr, to_region } => format!("Point {qmgr}'s MQIPT route at {to_region}"),
        Intent::RestoreRouteConfig { instance, backup } => format!("Restore MQIPT {instance}'s mqipt.conf from {backup}"),
        Intent::HaSuspend { node } => format!("Suspend node {node}"),
        Intent::HaResume { node } => format!("Resume node {node}"),
        Intent::HaPrefer { qmgr, node } => format!("Make {node} the preferred node of {qmgr}"),
        Intent::PacemakerCleanup { qmgr, region } => format!("Clean up Pacemaker failures of {qmgr} in {region}"),
    }
}

fn within(timeout_secs: Option<u64>) -> String {
    timeout_secs.map_or(String::new(), |t| format!(" (checked for up to {t} s)"))
}

/// How the console knows a step did what it should.
pub fn verify_text(v: &VerifyWire) -> String {
    let s = |o: &Option<String>| o.clone().unwrap_or_else(|| "?".into());
    let list = |o: &Option<Vec<String>>| o.as_ref().map_or_else(|| "?".to_string(), |l| l.join(", "));
    let (qm, node, wait) = (s(&v.qmgr), s(&v.node), within(v.timeout_secs));
    match v.kind.as_str() {
        "exit_zero" => "exit code 0".into(),
        "output_contains" => format!("exit code 0 and “{}” in the output", s(&v.text)),
        "dr_role" => format!("rdqmstatus -m {qm} on this host shows DR role {}", s(&v.role)),
        "running_here" => format!("rdqmstatus -m {qm} on this host shows it Running with DR role Primary{wait}"),
        "file_hash" => format!("the SHA-256 of {} is {}", s(&v.path), s(&v.sha256)),
        "estate" => format!(
            "a fresh refresh shows {qm} DR primary only in {} and running there{}{}",
            s(&v.region),
            if v.check_route == Some(true) { ", and its MQIPT route pointing at that region's load balancer" } else { "" },
            if v.ignore_unreachable == Some(true) { "; regions that do not answer are not counted" } else { "" }
        ),
        "dr_normal" => format!("rdqmstatus -m {qm} on this host shows DR status Normal (after any resynchronisation){wait}"),
        "nothing_runs_on" => format!("no queue manager runs on {node} any more{wait}"),
        "runs_on" => format!("{} run on {node}{wait}", list(&v.qmgrs)),
        "preferred" => format!("rdqmstatus -m {qm} shows {node} as the HA preferred location"),
        "no_fail_counts" => format!("crm_mon shows no fail-count for {} on {}", s(&v.resource), list(&v.nodes)),
        other => format!("the console's check “{other}”"),
    }
}

/// Word, glyph and tone of a precondition.
pub fn check_look(status: CheckStatus) -> (&'static str, &'static str, Tone) {
    match status {
        CheckStatus::Pass => ("Pass", "✓", Tone::Good),
        CheckStatus::Warn => ("Warning", "⚠", Tone::Warn),
        CheckStatus::Block => ("Blocks", "✖", Tone::Bad),
    }
}

/// Word, glyph and tone of a run's state. A run that rolled back did not do what was asked:
/// it is shown as a failure, never as a success.
pub fn run_look(state: RunState) -> (&'static str, &'static str, Tone) {
    match state {
        RunState::Running => ("Running", "⟳", Tone::Neutral),
        RunState::Succeeded => ("Succeeded", "✓", Tone::Good),
        RunState::Failed => ("Failed", "✖", Tone::Bad),
        RunState::RolledBack => ("Failed and rolled back", "↶", Tone::Bad),
        RunState::NeedsAttention => ("Needs attention", "✖", Tone::Bad),
        RunState::Interrupted => ("Interrupted", "⚠", Tone::Warn),
        RunState::AwaitingApproval => ("Awaiting approval", "◷", Tone::Warn),
    }
}

/// Word, glyph and tone of a step's state.
pub fn step_look(state: StepState) -> (&'static str, &'static str, Tone) {
    match state {
        StepState::Pending => ("Pending", "○", Tone::Unknown),
        StepState::Running => ("Running", "⟳", Tone::Neutral),
        StepState::Succeeded => ("Succeeded", "✓", Tone::Good),
        StepState::Failed => ("Failed", "✖", Tone::Bad),
        StepState::AlreadyDone => ("Already done", "✓", Tone::Good),
        StepState::Undone => ("Undone", "↶", Tone::Warn),
    }
}

/// One remediation item as lines of a commented shell script (what "Copy all" copies).
pub fn remediation_script_line(item: &model::run::Remediation) -> String {
    let why = if item.why.is_empty() { String::new() } else { format!(" ({})", item.why.replace('\n', " ")) };
    if item.command.is_empty() { format!("# {}", item.why.replace('\n', " ")) } else { format!("# on {}{why}\n{}", item.host, item.command) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rolled_back_run_never_reads_as_success() {
        let (word, _, tone) = run_look(RunState::RolledBack);
        assert!(word.contains("rolled back") && word.starts_with("Failed"));
        assert_eq!(tone, Tone::Bad);
        assert_eq!(run_look(RunState::Succeeded).2, Tone::Good);
        assert_eq!(step_look(StepState::Failed).0, "Failed");
    }

    #[test]
    fn remediation_items_become_a_commented_script() {
        let item = model::run::Remediation { host: "wdc-bastion".into(), command: "mqiptAdmin -refresh -n HAMQ".into(), why: "load the route".into() };
        assert_eq!(remediation_script_line(&item), "# on wdc-bastion (load the route)\nmqiptAdmin -refresh -n HAMQ");
        let note = model::run::Remediation { host: String::new(), command: String::new(), why: "check by hand".into() };
        assert_eq!(remediation_script_line(&note), "# check by hand");
    }

    fn read(verify: model::plan::Verify) -> VerifyWire {
        serde_json::from_value(serde_json::to_value(verify).expect("serialises")).expect("reads")
    }

    #[test]
    fn verifications_name_what_is_read() {
        use model::plan::Verify;
        let text = verify_text(&read(Verify::Estate { qmgr: "DRHAQM1".into(), region: "DAL".into(), check_route: true, ignore_unreachable: false }));
        assert!(text.contains("DRHAQM1 DR primary only in DAL") && text.contains("MQIPT route"), "{text}");
        assert_eq!(verify_text(&read(Verify::OutputContains { text: "MQCAI025".into() })), "exit code 0 and “MQCAI025” in the output");
        let text = verify_text(&read(Verify::RunningHere { qmgr: "Q".into(), timeout_secs: 60 }));
        assert!(text.ends_with("(checked for up to 60 s)"), "{text}");
        for v in [
            Verify::ExitZero,
            Verify::DrRole { qmgr: "Q".into(), role: model::status::DrRole::Secondary },
            Verify::FileHash { path: "/p".into(), sha256: "ab".into() },
            Verify::DrNormal { qmgr: "Q".into(), timeout_secs: 5 },
            Verify::NothingRunsOn { node: "n".into(), timeout_secs: 5 },
            Verify::RunsOn { node: "n".into(), qmgrs: vec!["Q".into()], timeout_secs: 5 },
            Verify::Preferred { qmgr: "Q".into(), node: "n".into() },
            Verify::NoFailCounts { resource: "q".into(), nodes: vec!["n".into()] },
        ] {
            let text = verify_text(&read(v));
            assert!(!text.contains('?') && !text.contains("the console's check"), "{text}");
        }
    }
}
