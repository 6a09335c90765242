//! What an operator asks for, and everything about a kind of workflow that does not need the
//! estate: its name, what it is about, whether it needs a second operator, which MQIPT
//! configuration it writes, and whether its names may reach a command line. A new kind is a
//! variant here; the exhaustive matches below, in planning and in the app make the compiler
//! name every other place it must be handled.

use crate::estate::Inventory;
use crate::names::{NameError, validate_cert_label, validate_dn, validate_host_name, validate_mq_name, validate_region_name, validate_store_path};
use serde::{Deserialize, Serialize};

/// What an operator asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Intent {
    DrSwitchover { qmgr: String, to_region: String },
    DrFailover { qmgr: String, to_region: String },
    DrResolvePartition { qmgr: String, keep_region: String },
    RouteRetarget { qmgr: String, to_region: String },
    RestoreRouteConfig { instance: String, backup: String },
    HaSuspend { node: String },
    HaResume { node: String },
    HaPrefer { qmgr: String, node: String },
    PacemakerCleanup { qmgr: String, region: String },
    /// Puts a ledger of `messages` through MQIPT, moves the queue manager to `to_region`
    /// (a planned switchover, or when `unplanned` a failover that discards what the old
    /// region did not replicate), and reports RTO, RPO and the fate of every message.
    DrDrill {
        qmgr: String,
        to_region: String,
        messages: u32,
        /// `"mode": "planned" | "unplanned"` (`"unplanned": true` is read too).
        #[serde(default, rename = "mode", alias = "unplanned", with = "drill_mode")]
        unplanned: bool,
        /// After a planned drill, switch back to where it was (the same checks, the route
        /// back, a client connect there).
        #[serde(default)]
        switch_back: bool,
    },
    /// Replaces the personal certificate `label` of key repository `store` on `host` (a
    /// certificate of the inventory) with a new one, trusted everywhere the old one is before
    /// it is used; the old one stays until a later `cert-retire`.
    CertRotate {
        host: String,
        store: String,
        label: String,
        /// The new certificate's DN; the old one's when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        subject: Option<String>,
        #[serde(default)]
        mode: RotateMode,
    },
    /// Removes a certificate nothing uses any more (the old one after a rotation) from its
    /// store and from every store that trusts it.
    CertRetire { host: String, store: String, label: String },
}

/// How a rotation's new certificate is made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RotateMode {
    /// `runmqakm -cert -create`, as seed 000 makes them.
    #[default]
    SelfSigned,
    /// `runmqakm -certreq -create`; an operator uploads the CA-signed certificate.
    Csr,
}

/// The most messages a drill puts (each is its own batch, committed one by one).
pub const DRILL_MAX_MESSAGES: u32 = 5000;

impl Intent {
    pub fn kind(&self) -> &'static str {
        match self {
            Intent::DrSwitchover { .. } => "dr-switchover",
            Intent::DrFailover { .. } => "dr-failover",
            Intent::DrResolvePartition { .. } => "dr-resolve-partition",
            Intent::RouteRetarget { .. } => "route-retarget",
            Intent::RestoreRouteConfig { .. } => "restore-route-config",
            Intent::HaSuspend { .. } => "ha-suspend",
            Intent::HaResume { .. } => "ha-resume",
            Intent::HaPrefer { .. } => "ha-prefer",
            Intent::PacemakerCleanup { .. } => "pacemaker-cleanup",
            Intent::DrDrill { .. } => "dr-drill",
            Intent::CertRotate { .. } => "cert-rotate",
            Intent::CertRetire { .. } => "cert-retire",
        }
    }

    /// Actions that lose data or split the estate need a second operator's approval.
    pub fn needs_approval(&self) -> bool {
        matches!(self, Intent::DrFailover { .. } | Intent::DrResolvePartition { .. } | Intent::DrDrill { unplanned: true, .. })
    }

    /// Actions that move a queue manager between regions (for the flapping warning).
    pub fn moves_regions(&self) -> bool {
        matches!(self, Intent::DrSwitchover { .. } | Intent::DrFailover { .. } | Intent::DrResolvePartition { .. } | Intent::DrDrill { .. })
    }

    /// The name the operator types to confirm, and the lock the run holds.
    pub fn subject(&self) -> &str {
        match self {
            Intent::DrSwitchover { qmgr, .. }
            | Intent::DrFailover { qmgr, .. }
            | Intent::DrResolvePartition { qmgr, .. }
            | Intent::RouteRetarget { qmgr, .. }
            | Intent::PacemakerCleanup { qmgr, .. }
            | Intent::DrDrill { qmgr, .. } => qmgr,
            Intent::RestoreRouteConfig { instance, .. } => instance,
            // The node is what the operator types to confirm an HA action.
            Intent::HaSuspend { node } | Intent::HaResume { node } | Intent::HaPrefer { node, .. } => node,
            // The label is what the operator types to confirm a certificate's rotation.
            Intent::CertRotate { label, .. } | Intent::CertRetire { label, .. } => label,
        }
    }

    /// What the operator asked for, as a sentence ("Switch DRHAQM1's DR primary to DAL").
    pub fn describe(&self) -> String {
        match self {
            Intent::DrSwitchover { qmgr, to_region } => format!("Switch {qmgr}'s DR primary to {to_region} (planned switchover)"),
            Intent::DrFailover { qmgr, to_region } => format!("Fail {qmgr} over to {to_region} (unplanned failover)"),
            Intent::DrResolvePartition { qmgr, keep_region } => format!("Resolve {qmgr}'s partition, keeping {keep_region}'s data"),
            Intent::RouteRetarget { qmgr, to_region } => format!("Point {qmgr}'s MQIPT route at {to_region}"),
            Intent::RestoreRouteConfig { instance, backup } => format!("Restore MQIPT {instance}'s mqipt.conf from {backup}"),
            Intent::HaSuspend { node } => format!("Suspend node {node}"),
            Intent::HaResume { node } => format!("Resume node {node}"),
            Intent::HaPrefer { qmgr, node } => format!("Make {node} the preferred node of {qmgr}"),
            Intent::PacemakerCleanup { qmgr, region } => format!("Clean up Pacemaker failures of {qmgr} in {region}"),
            Intent::DrDrill { qmgr, to_region, messages, unplanned, switch_back } => format!(
                "DR drill: put {messages} messages to {qmgr} through MQIPT, {} to {to_region}, get them back{} and report RTO and RPO",
                if *unplanned { "fail over (unplanned, discarding what is not replicated)" } else { "switch over (planned)" },
                if *switch_back && !*unplanned { ", switch back" } else { "" }
            ),
            Intent::CertRotate { host, store, label, subject, mode } => format!(
                "Rotate certificate {label} of {store} on {host}: a new {} certificate{}, {} before it is used",
                match mode {
                    RotateMode::SelfSigned => "self-signed",
                    RotateMode::Csr => "CA-signed",
                },
                subject.as_ref().map(|s| format!(" for {s}")).unwrap_or_default(),
                match mode {
                    RotateMode::SelfSigned => "its public part added everywhere the old one is trusted",
                    RotateMode::Csr => "checked to be trusted, through its CA, everywhere the old one is",
                }
            ),
            Intent::CertRetire { host, store, label } => format!("Retire certificate {label}: remove it from {store} on {host} and from every store that trusts it"),
        }
    }

    /// Refuses a name that may not reach a command line, saying which and why.
    pub fn validate(&self) -> Result<(), NameError> {
        match self {
            Intent::DrSwitchover { qmgr, to_region } | Intent::DrFailover { qmgr, to_region } | Intent::RouteRetarget { qmgr, to_region } => {
                validate_mq_name(qmgr)?;
                validate_region_name(to_region)
            }
            Intent::DrResolvePartition { qmgr, keep_region } => {
                validate_mq_name(qmgr)?;
                validate_region_name(keep_region)
            }
            Intent::RestoreRouteConfig { instance, .. } => validate_mq_name(instance),
            Intent::HaSuspend { node } | Intent::HaResume { node } => validate_host_name(node),
            Intent::HaPrefer { qmgr, node } => {
                validate_mq_name(qmgr)?;
                validate_host_name(node)
            }
            Intent::PacemakerCleanup { qmgr, region } => {
                validate_mq_name(qmgr)?;
                validate_region_name(region)
            }
            Intent::DrDrill { qmgr, to_region, messages, .. } => {
                validate_mq_name(qmgr)?;
                validate_region_name(to_region)?;
                if (1..=DRILL_MAX_MESSAGES).contains(messages) {
                    Ok(())
                } else {
                    Err(NameError::OutOfRange { what: "messages", value: messages.to_string(), range: format!("1 to {DRILL_MAX_MESSAGES}") })
                }
            }
            Intent::CertRotate { host, store, label, subject, .. } => {
                validate_host_name(host)?;
                validate_store_path(store)?;
                validate_cert_label(label)?;
                subject.as_deref().map_or(Ok(()), validate_dn)
            }
            Intent::CertRetire { host, store, label } => {
                validate_host_name(host)?;
                validate_store_path(store)?;
                validate_cert_label(label)
            }
        }
    }

    /// The MQIPT instance whose configuration a run of this kind reads and may write: the
    /// queue manager's route's, or the one named; none for HA and Pacemaker work.
    pub fn mqipt_instance<'a>(&'a self, inventory: &'a Inventory) -> Option<&'a str> {
        match self {
            Intent::DrSwitchover { qmgr, .. }
            | Intent::DrFailover { qmgr, .. }
            | Intent::DrResolvePartition { qmgr, .. }
            | Intent::RouteRetarget { qmgr, .. }
            | Intent::DrDrill { qmgr, .. } => {
                inventory.qmgrs.iter().find(|q| &q.name == qmgr)?.route.as_ref().map(|r| r.instance.as_str())
            }
            Intent::RestoreRouteConfig { instance, .. } => Some(instance),
            Intent::HaSuspend { .. } | Intent::HaResume { .. } | Intent::HaPrefer { .. } | Intent::PacemakerCleanup { .. } => None,
            // MQIPT's own keystores, or the route of the queue manager whose certificate it is
            // (MQIPT's client keystore trusts it and is refreshed).
            Intent::CertRotate { host, store, .. } | Intent::CertRetire { host, store, .. } => {
                let keystore = inventory.keystores.iter().find(|k| &k.host == host && &k.path == store)?;
                match &keystore.purpose {
                    crate::certs::Purpose::MqiptServer { instance } | crate::certs::Purpose::MqiptClient { instance } => Some(instance),
                    crate::certs::Purpose::QmgrKeyRepository { qmgr } => {
                        inventory.qmgrs.iter().find(|q| &q.name == qmgr)?.route.as_ref().map(|r| r.instance.as_str())
                    }
                    crate::certs::Purpose::Replication { .. } => None,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The drill body as DESIGN.md gives it (`"mode"`), and the boolean the app sent before.
    #[test]
    fn a_drill_reads_its_mode_as_a_word_or_a_flag() {
        let read = |body: serde_json::Value| serde_json::from_value::<Intent>(body).map_err(|e| e.to_string());
        let drill = |mode: serde_json::Value, key: &str| {
            let mut body = serde_json::json!({"kind": "dr-drill", "qmgr": "DRHAQM1", "to_region": "DAL", "messages": 5, "switch_back": true});
            body[key] = mode;
            read(body)
        };
        let unplanned = Intent::DrDrill { qmgr: "DRHAQM1".into(), to_region: "DAL".into(), messages: 5, unplanned: true, switch_back: true };
        assert_eq!(drill("unplanned".into(), "mode"), Ok(unplanned.clone()));
        assert_eq!(drill(true.into(), "unplanned"), Ok(unplanned.clone()));
        assert!(matches!(drill("planned".into(), "mode"), Ok(Intent::DrDrill { unplanned: false, .. })));
        assert!(matches!(read(serde_json::json!({"kind": "dr-drill", "qmgr": "Q", "to_region": "DAL", "messages": 1})), Ok(Intent::DrDrill { unplanned: false, .. })));
        assert!(drill("sometimes".into(), "mode").unwrap_err().contains("neither"));
        assert_eq!(serde_json::to_value(&unplanned).unwrap()["mode"], "unplanned");
    }

    #[test]
    fn names_that_may_not_reach_a_command_line_are_refused() {
        let refused = |intent: Intent| intent.validate().unwrap_err().to_string();
        assert!(refused(Intent::DrSwitchover { qmgr: "QM;rm".into(), to_region: "DAL".into() }).contains("';'"));
        assert!(refused(Intent::DrFailover { qmgr: "QM1".into(), to_region: "D AL".into() }).contains("region name"));
        assert!(refused(Intent::HaSuspend { node: "-oProxyCommand".into() }).contains("not leading -"));
        assert!(refused(Intent::PacemakerCleanup { qmgr: "QM1".into(), region: String::new() }).contains("region name is empty"));
        assert_eq!(Intent::HaPrefer { qmgr: "DRHAQM1".into(), node: "wdc2-mq1".into() }.validate(), Ok(()));
    }

    #[test]
    fn the_mqipt_instance_is_the_routes_or_the_one_named() {
        let inventory: Inventory = serde_json::from_value(serde_json::json!({
            "regions": [],
            "qmgrs": [{"name": "QM1", "listener_port": 1501, "route": {"instance": "HAMQ", "listener_port": 1501}},
                      {"name": "QM2", "listener_port": 1502, "route": null}],
            "mqipt": []
        }))
        .unwrap();
        let dr = |qmgr: &str| Intent::DrSwitchover { qmgr: qmgr.into(), to_region: "DAL".into() };
        assert_eq!(dr("QM1").mqipt_instance(&inventory), Some("HAMQ"));
        assert_eq!(dr("QM2").mqipt_instance(&inventory), None, "no route");
        assert_eq!(dr("QM9").mqipt_instance(&inventory), None, "not in the inventory");
        let restore = Intent::RestoreRouteConfig { instance: "OTHER".into(), backup: "b".into() };
        assert_eq!(restore.mqipt_instance(&inventory), Some("OTHER"));
        assert_eq!(Intent::HaResume { node: "n".into() }.mqipt_instance(&inventory), None);
    }
}

/// A drill's mode on the wire: `"planned"` or `"unplanned"`; a boolean `unplanned` is read too.
pub mod drill_mode {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(unplanned: &bool, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(if *unplanned { "unplanned" } else { "planned" })
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Mode {
            Word(String),
            Flag(bool),
        }
        match Mode::deserialize(d)? {
            Mode::Flag(unplanned) => Ok(unplanned),
            Mode::Word(w) if w == "planned" => Ok(false),
            Mode::Word(w) if w == "unplanned" => Ok(true),
            Mode::Word(w) => Err(serde::de::Error::custom(format!("mode {w:?} is neither \"planned\" nor \"unplanned\""))),
        }
    }
}
