//! A run of a plan, as journaled step by step and shown to operators.

use crate::plan::Intent;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    Running,
    Succeeded,
    /// Failed before changing anything.
    Failed,
    /// A step failed and every completed step was undone.
    RolledBack,
    /// A step failed and undoing did not fully work: a person must act (see `remediation`).
    NeedsAttention,
    /// The console stopped during the run; resume or roll back.
    Interrupted,
    AwaitingApproval,
    /// A rotation by signing request waits for the CA-signed certificate (uploaded by an
    /// operator); rolling back deletes the request.
    AwaitingCertificate,
}

impl RunState {
    pub fn is_final(self) -> bool {
        matches!(self, RunState::Succeeded | RunState::Failed | RunState::RolledBack | RunState::NeedsAttention)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepState {
    Pending,
    Running,
    Succeeded,
    Failed,
    /// Its effect was found already in place (after an interruption): not run again.
    AlreadyDone,
    Undone,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunStep {
    pub index: usize,
    pub title: String,
    pub host: String,
    pub command: String,
    pub state: StepState,
    pub exit_code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    /// What the verification found.
    pub verification: Option<String>,
    pub started_at: Option<u64>,
    pub finished_at: Option<u64>,
    /// A step that copies a file beside itself: the file and its copy (what a restore can
    /// offer later). Absent in runs journaled before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup: Option<BackupCopy>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupCopy {
    pub of: String,
    pub to: String,
}

impl RunStep {
    /// The journal entry of a plan's step, before it runs.
    pub fn of_step(step: &crate::plan::Step) -> Self {
        let mut record = RunStep::pending(step.index, &step.title, &step.host, &step.command);
        if let crate::plan::Action::Backup { path, to } = &step.action {
            record.backup = Some(BackupCopy { of: path.clone(), to: to.clone() });
        }
        record
    }

    pub fn pending(index: usize, title: &str, host: &str, command: &str) -> Self {
        RunStep {
            index,
            title: title.to_string(),
            host: host.to_string(),
            command: command.to_string(),
            state: StepState::Pending,
            exit_code: None,
            stdout: String::new(),
            stderr: String::new(),
            verification: None,
            started_at: None,
            finished_at: None,
            backup: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Run {
    pub id: String,
    pub plan_id: String,
    pub kind: String,
    pub subject: String,
    pub intent: Intent,
    pub requested_by: String,
    pub state: RunState,
    pub created_at: u64,
    pub updated_at: u64,
    pub steps: Vec<RunStep>,
    /// Undo actions run after a failure, in the order they ran.
    pub undo: Vec<RunStep>,
    /// What a person should run, in order, when the console could not put things back.
    pub remediation: Vec<Remediation>,
    /// The outcome in one sentence.
    pub message: Option<String>,
    /// The second operator who approved it (two-person rule), or denied it.
    #[serde(default)]
    pub approved_by: Option<String>,
    /// Until when (ms) an approval is accepted.
    #[serde(default)]
    pub approval_expires_at: Option<u64>,
    /// The second operator who denied it.
    #[serde(default)]
    pub denied_by: Option<String>,
    /// The console instance executing it (`instance/lease`); a run still running whose owner
    /// is gone was interrupted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// A certificate rotation's trust graph, from its plan (the certificate it made is
    /// `new_label`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation: Option<crate::plan_cert::Rotation>,
    /// The CA-signed certificate an operator uploaded for the run's signing request (PEM;
    /// public).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_certificate: Option<String>,
}

/// One thing a person (or a script) must do: on `host`, run `command`, because `why`.
/// `host` is `console` for what the console itself checks (then `command` says how to check
/// it by hand).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "RemediationWire")]
pub struct Remediation {
    pub host: String,
    pub command: String,
    pub why: String,
}

/// Runs journaled before remediation was structured kept lines such as `on HOST: COMMAND`.
#[derive(Deserialize)]
#[serde(untagged)]
enum RemediationWire {
    Structured { host: String, command: String, why: String },
    Line(String),
}

impl From<RemediationWire> for Remediation {
    fn from(wire: RemediationWire) -> Self {
        match wire {
            RemediationWire::Structured { host, command, why } => Remediation { host, command, why },
            RemediationWire::Line(line) => match line.strip_prefix("on ").and_then(|rest| rest.split_once(": ")) {
                Some((host, command)) => Remediation { host: host.into(), command: command.into(), why: String::new() },
                None => Remediation { host: String::new(), command: String::new(), why: line },
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remediation_reads_old_lines_and_new_records() {
        let old: Vec<Remediation> = serde_json::from_str(r#"["on wdc1-mq1: rdqmdr -p -m DRHAQM1", "then check"]"#).unwrap();
        assert_eq!(old[0], Remediation { host: "wdc1-mq1".into(), command: "rdqmdr -p -m DRHAQM1".into(), why: String::new() });
        assert_eq!(old[1].why, "then check");
        let new = Remediation { host: "h".into(), command: "c".into(), why: "w".into() };
        let back: Remediation = serde_json::from_str(&serde_json::to_string(&new).unwrap()).unwrap();
        assert_eq!(back, new);
    }
}
