//! Plans and runs as the browser reads them. The server's types (`model::plan::Plan`,
//! `model::run::Run`) hold internally tagged enums (`Intent`, `Verify`, `Action`) whose
//! derived deserializers cost the browser bundle ~100 KB of code; here the same JSON is read
//! into flat structs (every field of every variant, optional), which is all the app needs to
//! show them. Fields the app does not show (`action`, `fingerprint`) are skipped. Unknown
//! fields are ignored, so the server may add fields freely. The plain parts (preconditions,
//! run steps, states) are `model`'s own types.

use model::plan::{Intent, Precondition};
use model::run::{RunState, RunStep};
use serde::{Deserialize, Serialize};

/// An intent as JSON: `{"kind": "dr-switchover", "qmgr": …, "to_region": …}`, the body of
/// `POST /api/plans` as well as the `intent` of a plan or run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntentWire {
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qmgr: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_region: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

impl From<&Intent> for IntentWire {
    fn from(intent: &Intent) -> Self {
        let mut w = IntentWire { kind: intent.kind().to_string(), ..Default::default() };
        match intent.clone() {
            Intent::DrSwitchover { qmgr, to_region } | Intent::DrFailover { qmgr, to_region } | Intent::RouteRetarget { qmgr, to_region } => {
                w.qmgr = Some(qmgr);
                w.to_region = Some(to_region);
            }
            Intent::DrResolvePartition { qmgr, keep_region } => {
                w.qmgr = Some(qmgr);
                w.keep_region = Some(keep_region);
            }
            Intent::RestoreRouteConfig { instance, backup } => {
                w.instance = Some(instance);
                w.backup = Some(backup);
            }
            Intent::HaSuspend { node } | Intent::HaResume { node } => w.node = Some(node),
            Intent::HaPrefer { qmgr, node } => {
                w.qmgr = Some(qmgr);
                w.node = Some(node);
            }
            Intent::PacemakerCleanup { qmgr, region } => {
                w.qmgr = Some(qmgr);
                w.region = Some(region);
            }
        }
        w
    }
}

impl IntentWire {
    /// The intent, when the kind is one this app knows and its fields are there.
    pub fn intent(&self) -> Option<Intent> {
        let s = |v: &Option<String>| v.clone();
        Some(match self.kind.as_str() {
            "dr-switchover" => Intent::DrSwitchover { qmgr: s(&self.qmgr)?, to_region: s(&self.to_region)? },
            "dr-failover" => Intent::DrFailover { qmgr: s(&self.qmgr)?, to_region: s(&self.to_region)? },
            "route-retarget" => Intent::RouteRetarget { qmgr: s(&self.qmgr)?, to_region: s(&self.to_region)? },
            "dr-resolve-partition" => Intent::DrResolvePartition { qmgr: s(&self.qmgr)?, keep_region: s(&self.keep_region)? },
            "restore-route-config" => Intent::RestoreRouteConfig { instance: s(&self.instance)?, backup: s(&self.backup)? },
            "ha-suspend" => Intent::HaSuspend { node: s(&self.node)? },
            "ha-resume" => Intent::HaResume { node: s(&self.node)? },
            "ha-prefer" => Intent::HaPrefer { qmgr: s(&self.qmgr)?, node: s(&self.node)? },
            "pacemaker-cleanup" => Intent::PacemakerCleanup { qmgr: s(&self.qmgr)?, region: s(&self.region)? },
            _ => return None,
        })
    }

    /// In words ("Switch DRHAQM1's DR primary to DAL …"), or the kind as sent.
    pub fn text(&self) -> String {
        self.intent().map_or_else(|| format!("{} (a kind this page does not know)", self.kind), |i| crate::words::intent_text(&i))
    }

    pub fn needs_approval(&self) -> bool {
        self.intent().is_some_and(|i| i.needs_approval())
    }
}

/// How a step is verified: `{"type": "dr_role", "qmgr": …, "role": …}` and the like.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct VerifyWire {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub qmgr: Option<String>,
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub timeout_secs: Option<u64>,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub sha256: Option<String>,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub check_route: Option<bool>,
    #[serde(default)]
    pub ignore_unreachable: Option<bool>,
    #[serde(default)]
    pub node: Option<String>,
    #[serde(default)]
    pub qmgrs: Option<Vec<String>>,
    #[serde(default)]
    pub resource: Option<String>,
    #[serde(default)]
    pub nodes: Option<Vec<String>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct UndoWire {
    pub host: String,
    pub command: String,
    pub verify: VerifyWire,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct StepWire {
    pub index: usize,
    pub title: String,
    pub host: String,
    pub command: String,
    pub expect: String,
    pub verify: VerifyWire,
    #[serde(default)]
    pub undo: Vec<UndoWire>,
}

/// `model::plan::Plan`, as shown.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Plan {
    pub id: String,
    pub kind: String,
    pub intent: IntentWire,
    pub subject: String,
    pub preconditions: Vec<Precondition>,
    pub steps: Vec<StepWire>,
    pub diff: Option<String>,
    pub expires_at: u64,
    #[serde(default)]
    pub needs_approval: bool,
}

impl Plan {
    pub fn blocked(&self) -> bool {
        self.preconditions.iter().any(|p| p.status == model::plan::CheckStatus::Block)
    }
}

/// `model::run::Run`, as shown.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Run {
    pub id: String,
    pub plan_id: String,
    pub kind: String,
    pub subject: String,
    pub intent: IntentWire,
    pub requested_by: String,
    pub state: RunState,
    pub created_at: u64,
    pub updated_at: u64,
    pub steps: Vec<RunStep>,
    #[serde(default)]
    pub undo: Vec<RunStep>,
    #[serde(default)]
    pub remediation: Vec<model::run::Remediation>,
    pub message: Option<String>,
    #[serde(default)]
    pub approved_by: Option<String>,
    #[serde(default)]
    pub approval_expires_at: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::plan::{Action, CheckStatus, Fingerprint, Step, UndoAction, Verify};

    /// The server's own types, serialised as the server does, read by the app's.
    #[test]
    fn the_servers_plan_reads_into_the_apps_plan() {
        let intent = Intent::DrSwitchover { qmgr: "DRHAQM1".into(), to_region: "DAL".into() };
        let plan = model::plan::Plan {
            id: "p1".into(),
            kind: "dr-switchover".into(),
            intent: intent.clone(),
            subject: "DRHAQM1".into(),
            preconditions: vec![Precondition { status: CheckStatus::Pass, code: "operator".into(), message: "you are an operator".into(), evidence: Vec::new() }],
            steps: vec![Step {
                index: 0,
                title: "Make WDC DR secondary".into(),
                host: "wdc1-mq1".into(),
                action: Action::exec("rdqmdr", &["-s", "-m", "DRHAQM1"]),
                command: "rdqmdr -s -m DRHAQM1".into(),
                expect: "secondary".into(),
                verify: Verify::DrRole { qmgr: "DRHAQM1".into(), role: model::status::DrRole::Secondary },
                undo: vec![UndoAction {
                    host: "wdc1-mq1".into(),
                    action: Action::exec("rdqmdr", &["-p", "-m", "DRHAQM1"]),
                    command: "rdqmdr -p -m DRHAQM1".into(),
                    verify: Verify::RunningHere { qmgr: "DRHAQM1".into(), timeout_secs: 60 },
                }],
                irreversible: None,
            }],
            diff: Some("-Destination=a\n+Destination=b\n".into()),
            fingerprint: Fingerprint { dr_primary_region: None, running_on: None, conf_sha256: None },
            created_at: 1,
            expires_at: 2,
            created_by: "mqadmin".into(),
            needs_approval: false,
            resources: vec!["qmgr:DRHAQM1".into()],
            consumed_by_run: None,
        };
        let json = serde_json::to_string(&plan).expect("serialises");
        let read: Plan = serde_json::from_str(&json).expect("reads");
        assert_eq!(read.intent.intent(), Some(intent.clone()));
        assert_eq!(read.steps[0].verify.kind, "dr_role");
        assert_eq!(read.steps[0].verify.role.as_deref(), Some("Secondary"));
        assert_eq!(read.steps[0].undo[0].verify.timeout_secs, Some(60));
        // The request body is what the server parses as an Intent.
        let body = serde_json::to_string(&IntentWire::from(&intent)).expect("serialises");
        assert_eq!(serde_json::from_str::<Intent>(&body).expect("the server reads it"), intent);
    }

    #[test]
    fn every_intent_round_trips_through_the_wire_form() {
        let all = [
            Intent::DrSwitchover { qmgr: "Q".into(), to_region: "R".into() },
            Intent::DrFailover { qmgr: "Q".into(), to_region: "R".into() },
            Intent::DrResolvePartition { qmgr: "Q".into(), keep_region: "R".into() },
            Intent::RouteRetarget { qmgr: "Q".into(), to_region: "R".into() },
            Intent::RestoreRouteConfig { instance: "HAMQ".into(), backup: "/x.rdqm-console.1".into() },
            Intent::HaSuspend { node: "n".into() },
            Intent::HaResume { node: "n".into() },
            Intent::HaPrefer { qmgr: "Q".into(), node: "n".into() },
            Intent::PacemakerCleanup { qmgr: "Q".into(), region: "R".into() },
        ];
        for intent in all {
            let body = serde_json::to_value(IntentWire::from(&intent)).expect("serialises");
            assert_eq!(serde_json::from_value::<Intent>(body.clone()).expect("server reads it"), intent);
            assert_eq!(serde_json::from_value::<IntentWire>(body).expect("app reads it").intent(), Some(intent));
        }
    }
}
