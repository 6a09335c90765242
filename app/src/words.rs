//! Plans and runs in words: what an intent does, how a step is verified, what state a run or
//! a step is in. Each state has a word and a glyph as well as a tone (never colour alone).

use crate::checks::Tone;
use model::plan::{CheckStatus, Intent, Verify};
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

fn within(timeout_secs: u64) -> String {
    format!(" (checked for up to {timeout_secs} s)")
}

/// How the console knows a step did what it should.
pub fn verify_text(verify: &Verify) -> String {
    match verify {
        Verify::ExitZero => "exit code 0".into(),
        Verify::OutputContains { text } => format!("exit code 0 and “{text}” in the output"),
        Verify::DrRole { qmgr, role } => format!("rdqmstatus -m {qmgr} on this host shows DR role {role}"),
        Verify::RunningHere { qmgr, timeout_secs } => format!("rdqmstatus -m {qmgr} on this host shows it Running with DR role Primary{}", within(*timeout_secs)),
        Verify::FileHash { path, sha256 } => format!("the SHA-256 of {path} is {sha256}"),
        Verify::Estate { qmgr, region, check_route, ignore_unreachable } => format!(
            "a fresh refresh shows {qmgr} DR primary only in {region} and running there{}{}",
            if *check_route { ", and its MQIPT route pointing at that region's load balancer" } else { "" },
            if *ignore_unreachable { "; regions that do not answer are not counted" } else { "" }
        ),
        Verify::DrNormal { qmgr, timeout_secs } => format!("rdqmstatus -m {qmgr} on this host shows DR status Normal (after any resynchronisation){}", within(*timeout_secs)),
        Verify::NothingRunsOn { node, timeout_secs } => format!("no queue manager runs on {node} any more{}", within(*timeout_secs)),
        Verify::RunsOn { node, qmgrs, timeout_secs } => format!("{} run on {node}{}", qmgrs.join(", "), within(*timeout_secs)),
        Verify::Preferred { qmgr, node } => format!("rdqmstatus -m {qmgr} shows {node} as the HA preferred location"),
        Verify::NoFailCounts { resource, nodes } => format!("crm_mon shows no fail-count for {resource} on {}", nodes.join(", ")),
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

    #[test]
    fn verifications_name_what_is_read() {
        use model::plan::Verify;
        let text = verify_text(&(Verify::Estate { qmgr: "DRHAQM1".into(), region: "DAL".into(), check_route: true, ignore_unreachable: false }));
        assert!(text.contains("DRHAQM1 DR primary only in DAL") && text.contains("MQIPT route"), "{text}");
        assert_eq!(verify_text(&(Verify::OutputContains { text: "MQCAI025".into() })), "exit code 0 and “MQCAI025” in the output");
        let text = verify_text(&(Verify::RunningHere { qmgr: "Q".into(), timeout_secs: 60 }));
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
            let text = verify_text(&(v));
            assert!(!text.contains('?') && !text.contains("the console's check"), "{text}");
        }
    }
}
