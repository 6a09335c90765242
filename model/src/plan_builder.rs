//! A plan as it is being made: its preconditions, its steps (numbered here, each command line
//! derived here from what the step does, so the preview cannot show one thing and run another),
//! the diff and the fingerprint. Planning functions take one `&mut PlanBuilder`.

use crate::plan::{Action, CheckStatus, Fingerprint, Precondition, PreconditionCode, Step, UndoAction, Verify, check};

#[derive(Debug, Default)]
pub struct PlanBuilder {
    pub pre: Vec<Precondition>,
    pub steps: Vec<Step>,
    /// Unified diff of `mqipt.conf`, when the plan changes it.
    pub diff: Option<String>,
    pub fingerprint: Fingerprint,
}

impl PlanBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a precondition.
    pub fn check(&mut self, status: CheckStatus, code: PreconditionCode, message: impl Into<String>) {
        self.pre.push(check(status, code, message));
    }

    pub fn blocked(&self) -> bool {
        self.pre.iter().any(|p| p.status == CheckStatus::Block)
    }

    /// Adds the next step, numbered and with its command line; set `undo` and `irreversible`
    /// on what it returns.
    pub fn step(&mut self, host: impl Into<String>, title: impl Into<String>, action: Action, expect: impl Into<String>, verify: Verify) -> &mut Step {
        let index = self.steps.len();
        self.steps.push(Step {
            index,
            title: title.into(),
            host: host.into(),
            command: command_line(&action, &verify),
            action,
            expect: expect.into(),
            verify,
            undo: Vec::new(),
            irreversible: None,
            drill: None,
        });
        &mut self.steps[index]
    }
}

/// An undo action with its command line.
pub fn undo(host: impl Into<String>, action: Action, verify: Verify) -> UndoAction {
    UndoAction { host: host.into(), command: command_line(&action, &verify), action, verify }
}

/// What the operator reads for a step: the program and its arguments as run, or what the
/// console itself does.
pub fn command_line(action: &Action, verify: &Verify) -> String {
    match (action, verify) {
        (Action::CheckEstate, Verify::DrNormal { qmgr, .. }) => format!("rdqmstatus -m {qmgr} (until DR status: Normal)"),
        _ => action.display(),
    }
}
