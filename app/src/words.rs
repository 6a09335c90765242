//! Plans and runs in words: what an intent does, how a step is verified, what state a run or
//! a step is in. Each state has a word and a glyph as well as a tone (never colour alone).

use crate::checks::Tone;
use model::plan::CheckStatus;
use model::instance::InstanceInfo;
use model::run::{Run, RunState, StepState};

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
        RunState::AwaitingCertificate => ("Awaiting the signed certificate", "◷", Tone::Warn),
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

/// Which console instance executes (or executed) a run, in words: "executing on wdc",
/// "was executing on wdc" (interrupted), "executed on wdc"; `None` while nobody has executed it.
pub fn owner_words(run: &Run) -> Option<String> {
    let owner = run.owner.as_deref().filter(|o| !o.is_empty())?;
    let name = InstanceInfo::instance_of(owner);
    Some(match run.state {
        RunState::Running => format!("executing on {name}"),
        RunState::Interrupted => format!("was executing on {name}"),
        RunState::AwaitingApproval | RunState::AwaitingCertificate => format!("on {name}"),
        RunState::Succeeded | RunState::Failed | RunState::RolledBack | RunState::NeedsAttention => format!("executed on {name}"),
    })
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
    fn the_owner_is_named_by_its_instance() {
        let mut run = Run {
            id: "r1".into(),
            plan_id: "p1".into(),
            kind: "dr-switchover".into(),
            subject: "DRHAQM1".into(),
            intent: model::plan::Intent::DrSwitchover { qmgr: "DRHAQM1".into(), to_region: "DAL".into() },
            requested_by: "mqadmin".into(),
            state: RunState::Running,
            created_at: 0,
            updated_at: 0,
            steps: Vec::new(),
            undo: Vec::new(),
            remediation: Vec::new(),
            message: None,
            approved_by: None,
            approval_expires_at: None,
            denied_by: None,
            owner: None,
            signed_certificate: None,
            rotation: None,
        };
        assert_eq!(owner_words(&run), None);
        run.owner = Some("wdc/00000000075f3a21".into());
        assert_eq!(owner_words(&run).as_deref(), Some("executing on wdc"));
        run.state = RunState::Interrupted;
        assert_eq!(owner_words(&run).as_deref(), Some("was executing on wdc"));
        run.state = RunState::Succeeded;
        assert_eq!(owner_words(&run).as_deref(), Some("executed on wdc"));
    }

    #[test]
    fn remediation_items_become_a_commented_script() {
        let item = model::run::Remediation { host: "wdc-bastion".into(), command: "mqiptAdmin -refresh -n HAMQ".into(), why: "load the route".into() };
        assert_eq!(remediation_script_line(&item), "# on wdc-bastion (load the route)\nmqiptAdmin -refresh -n HAMQ");
        let note = model::run::Remediation { host: String::new(), command: String::new(), why: "check by hand".into() };
        assert_eq!(remediation_script_line(&note), "# check by hand");
    }

}
