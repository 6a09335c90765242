//! What a plan's precondition checks, as the server and the app branch on it (never on its
//! words). On the wire each code is its snake_case name (`run_lock`), as it always was.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, strum::IntoStaticStr, strum::Display, strum::EnumIter)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum PreconditionCode {
    // Every plan: who asks, what it locks, whether it needs a second operator.
    Operator,
    Flapping,
    RunLock,
    Approval,
    Readiness,
    // Queue managers, HA and DR.
    Qmgr,
    TargetRegion,
    TargetGroup,
    DrPrimary,
    DrStatus,
    HaLocation,
    Partitioned,
    PrimaryLost,
    DataAtRisk,
    DataDiscarded,
    KeepRegion,
    Client,
    // Nodes, regions and Pacemaker.
    Node,
    Region,
    Suspended,
    Quorum,
    Moves,
    Preferred,
    Failures,
    History,
    // MQIPT.
    MqiptConf,
    Route,
    RouteAlreadyAtTarget,
    Backup,
    BackupContent,
    Tls,
    // Certificates.
    Inventory,
    Certificate,
    Mode,
    Policy,
    WrittenOn,
    Label,
    Purpose,
    Trust,
    Sslpeer,
    Routes,
    ClientCheck,
    InUse,
    San,
    Tlshd,
    /// A code this version does not know, from a record (a stored plan or run) written by
    /// another version of the console, as when two versions share a store during an upgrade:
    /// the record still loads. Nothing here produces it.
    #[serde(other)]
    Unknown,
}

impl PreconditionCode {
    /// The code as sent and shown (`run_lock`).
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::plan::{CheckStatus, Precondition};
    use strum::IntoEnumIterator;

    #[test]
    fn every_code_is_sent_as_it_is_shown_and_read_back() {
        for code in PreconditionCode::iter() {
            let sent = serde_json::to_value(code).unwrap();
            assert_eq!(sent, serde_json::Value::String(code.as_str().to_string()));
            assert_eq!(serde_json::from_value::<PreconditionCode>(sent).unwrap(), code);
        }
        assert_eq!(PreconditionCode::RunLock.as_str(), "run_lock");
        assert_eq!(PreconditionCode::RouteAlreadyAtTarget.to_string(), "route_already_at_target");
    }

    #[test]
    fn a_code_from_another_version_loads_as_unknown() {
        let stored = serde_json::json!({ "status": "warn", "code": "a_check_from_a_newer_console", "message": "m", "evidence": [] });
        let read: Precondition = serde_json::from_value(stored).unwrap();
        assert_eq!((read.status, read.code, read.message.as_str()), (CheckStatus::Warn, PreconditionCode::Unknown, "m"));
        let known: Precondition = serde_json::from_value(serde_json::json!({ "status": "block", "code": "run_lock", "message": "m", "evidence": [] })).unwrap();
        assert_eq!(known.code, PreconditionCode::RunLock);
    }
}
