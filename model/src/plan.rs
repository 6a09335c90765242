//! Workflow planning, pure: from a snapshot, the inventory and an intent, the preconditions
//! (each pass, warn or block, with evidence) and the steps (host, command, expected result,
//! verification, undo). The server runs exactly these steps; the preview shows exactly these.

use crate::estate::{Evidence, Inventory, QmgrView, Snapshot};
use crate::mqipt::MqiptConf;
use crate::status::{DrRole, DrStatus, HaStatus};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use crate::intent::Intent;
pub use crate::precondition_code::PreconditionCode;
use crate::plan_builder::{PlanBuilder, undo};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    Pass,
    Warn,
    Block,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Precondition {
    pub status: CheckStatus,
    pub code: PreconditionCode,
    pub message: String,
    pub evidence: Vec<Evidence>,
}

/// What a step does on its host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    /// Run a program with arguments (never a shell string).
    Exec { program: String, args: Vec<String> },
    /// Replace a file atomically (temporary file beside it, then rename) with `contents`,
    /// but only if it still has `expect_sha256` (nobody changed it since planning).
    WriteFile {
        path: String,
        contents: String,
        expect_sha256: Option<String>,
        /// The backup it puts back, when it is a restore (for people reading the step).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        restores: Option<String>,
    },
    /// Copy a file beside itself (`cp -p`).
    Backup { path: String, to: String },
    /// Nothing runs on a host: the console refreshes its snapshot and checks it.
    CheckEstate,
    /// `runmqsc QMGR` with these MQSC commands on its standard input.
    Mqsc { qmgr: String, commands: Vec<String> },
    /// Copy a file from another host to this one, through the console's own SSH sessions
    /// (what an administrator does with `scp`); the file is created or replaced atomically,
    /// or with `append` added to the end of what it holds (a PEM trust bundle).
    /// The run waits for an operator to upload the CA-signed certificate for the signing
    /// request at `request` (state `awaiting_certificate`), then writes it to `to_path`.
    AwaitCertificate { request: String, to_path: String },
    CopyFile {
        from_host: String,
        from_path: String,
        to_path: String,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        append: bool,
    },
}

impl Action {
    pub fn exec(program: &str, args: &[&str]) -> Action {
        Action::Exec { program: program.into(), args: args.iter().map(|a| a.to_string()).collect() }
    }

    /// The command line as shown in the preview and journal.
    pub fn display(&self) -> String {
        match self {
            // An argument with a space is quoted, so the line can be copied into a shell.
            Action::Exec { program, args } => std::iter::once(program.clone())
                .chain(args.iter().map(|a| if a.contains(char::is_whitespace) { format!("\"{a}\"") } else { a.clone() }))
                .collect::<Vec<_>>()
                .join(" "),
            Action::WriteFile { path, restores: Some(backup), .. } => format!("restore {path} from {backup}"),
            Action::WriteFile { path, expect_sha256: Some(_), .. } => format!("write {path} (temporary file, then rename), only if unchanged since planning"),
            Action::WriteFile { path, expect_sha256: None, .. } => format!("write {path} (temporary file, then rename)"),
            Action::Backup { path, to } => format!("cp -p {path} {to}"),
            Action::CheckEstate => "refresh the estate and check it".into(),
            Action::Mqsc { qmgr, commands } => {
                let quoted: Vec<String> = commands.iter().map(|c| format!("\"{c}\"")).collect();
                format!("printf '%s\\n' {} | runmqsc {qmgr}", quoted.join(" "))
            }
            Action::AwaitCertificate { request, to_path } => format!("wait for the CA-signed certificate of {request} (uploaded on the run's page), then write it to {to_path}"),
            Action::CopyFile { from_host, from_path, to_path, append: false } => format!("scp {from_host}:{from_path} {to_path}"),
            Action::CopyFile { from_host, from_path, to_path, append: true } => {
                format!("ssh {from_host} cat {from_path} | cat {to_path} - > {to_path}.new && mv {to_path}.new {to_path}")
            }
        }
    }
}

/// How the console knows a step did what it should.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Verify {
    /// Exit code 0.
    ExitZero,
    /// Exit code 0 and this text in the output.
    OutputContains { text: String },
    /// `rdqmstatus -m QM` on the host shows this DR role.
    DrRole { qmgr: String, role: DrRole },
    /// `rdqmstatus -m QM` on the host shows it Running with DR role Primary, polled until
    /// the timeout (RDQM starts it by itself; never `strmqm`).
    RunningHere { qmgr: String, timeout_secs: u64 },
    /// `sha256sum` of the file on the host.
    FileHash { path: String, sha256: String },
    /// The snapshot: `qmgr` DR primary only in `region`, running there, its route to that
    /// region's load balancer. Regions that do not answer are not counted when
    /// `ignore_unreachable` (a lost region after a failover).
    Estate {
        qmgr: String,
        region: String,
        check_route: bool,
        #[serde(default)]
        ignore_unreachable: bool,
    },
    /// `rdqmstatus -m QM` on the host: DR status Normal (a resynchronisation may come first).
    DrNormal { qmgr: String, timeout_secs: u64 },
    /// No queue manager runs on `node` any more (they moved within the HA group).
    NothingRunsOn { node: String, timeout_secs: u64 },
    /// Each of `qmgrs` runs on `node`.
    RunsOn { node: String, qmgrs: Vec<String>, timeout_secs: u64 },
    /// `rdqmstatus -m QM` on the host shows `node` as the HA preferred location.
    Preferred { qmgr: String, node: String },
    /// `crm_mon` on the host shows no fail-count for `resource` on any of `nodes`.
    NoFailCounts { resource: String, nodes: Vec<String> },
    /// `amqscnxc -x CONNAME -c CHANNEL QM` on the client host says `Connection established
    /// to queue manager QM`, run again until it does (a failed connect is not the step's
    /// failure until the timeout).
    ClientConnects { qmgr: String, conname: String, channel: String, timeout_secs: u64 },
    /// `PROGRAM -cert -details -db DB -stashed -label LABEL` on the host shows `subject`.
    CertPresent { program: String, db: String, label: String, subject: String },
    /// `PROGRAM -cert -list -db DB -stashed` on the host no longer lists `label`.
    CertAbsent { program: String, db: String, label: String },
    /// `DISPLAY CHSTATUS(channel)` of `qmgr` on the host: RUNNING, its partner presenting the
    /// certificate `label` of `db` on `cert_host` (its serial read there), polled until the
    /// timeout (channels restart after a refresh).
    ChannelPresents { qmgr: String, channel: String, cert_host: String, program: String, db: String, label: String, timeout_secs: u64 },
    /// The PEM certificate at `path` on the host has `subject` (attributes in any order) and
    /// names each of `san_dns` in its SubjectAltName.
    PemCertificate { path: String, subject: String, san_dns: Vec<String> },
    /// `amqssslc` on the client host says `Connection established to queue manager QM`
    /// through the MQIPT route `conname` with the client's key repository `keyr`, run again
    /// until it does (MQIPT has just restarted the route).
    TlsClientConnects { qmgr: String, channel: String, conname: String, keyr: String, certlabl: String, cipher: String, timeout_secs: u64 },
}

fn within(timeout_secs: u64) -> String {
    format!(" (checked for up to {timeout_secs} s)")
}

impl Verify {
    /// How the console knows the step did what it should, in words naming what is read.
    pub fn describe(&self) -> String {
        match self {
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
            Verify::ClientConnects { qmgr, conname, timeout_secs, .. } => {
                format!("amqscnxc connects to {qmgr} through {conname} (tried again until it does){}", within(*timeout_secs))
            }
            Verify::CertPresent { program, db, label, subject } => format!("{program} -cert -details -db {db} -stashed -label {label} shows Subject {subject}"),
            Verify::CertAbsent { program, db, label } => format!("{program} -cert -list -db {db} -stashed no longer lists {label}"),
            Verify::ChannelPresents { qmgr, channel, cert_host, label, timeout_secs, .. } => format!(
                "DISPLAY CHSTATUS({channel}) on {qmgr}: RUNNING, its partner presenting {label} (the serial -details shows on {cert_host}){}",
                within(*timeout_secs)
            ),
            Verify::PemCertificate { path, subject, san_dns } if san_dns.is_empty() => format!("{path} holds a certificate for {subject} (no SubjectAltName)"),
            Verify::PemCertificate { path, subject, san_dns } => format!("{path} holds a certificate for {subject} with SubjectAltName DNS:{}", san_dns.join(", DNS:")),
            Verify::TlsClientConnects { qmgr, conname, timeout_secs, .. } => {
                format!("amqssslc connects to {qmgr} through {conname} with TLS (tried again until it does){}", within(*timeout_secs))
            }
        }
    }

    /// A step whose command may fail at first and is tried again by its verification.
    pub fn retries_the_action(&self) -> bool {
        matches!(self, Verify::ClientConnects { .. } | Verify::TlsClientConnects { .. })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub index: usize,
    pub title: String,
    /// The host it runs on (`console` for checks of the snapshot).
    pub host: String,
    pub action: Action,
    /// The command line shown to the operator.
    pub command: String,
    pub expect: String,
    pub verify: Verify,
    /// What undoes it, in order, each on `host` (empty: nothing to undo).
    pub undo: Vec<UndoAction>,
    /// Why its effect can never be undone (a promotion with the old region lost, discarded
    /// data). Once such a step has taken effect, nothing before or after it is undone: the
    /// rest of the run must follow it forward.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub irreversible: Option<String>,
    /// What the step contributes to a drill's report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drill: Option<crate::drill::DrillPart>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UndoAction {
    pub host: String,
    pub action: Action,
    pub command: String,
    pub verify: Verify,
}

/// A plan as previewed; `id`, times and fingerprints are set by the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub id: String,
    pub kind: String,
    pub intent: Intent,
    pub subject: String,
    pub preconditions: Vec<Precondition>,
    pub steps: Vec<Step>,
    /// Unified diff of `mqipt.conf`, when the plan changes it.
    pub diff: Option<String>,
    /// What must not have changed between planning and execution.
    pub fingerprint: Fingerprint,
    pub created_at: u64,
    pub expires_at: u64,
    pub created_by: String,
    /// A second operator must approve before it runs.
    #[serde(default)]
    pub needs_approval: bool,
    /// Everything the run changes and locks while it runs, all or none.
    #[serde(default)]
    pub resources: Vec<String>,
    /// Set when the plan was executed: it is single-use.
    #[serde(default)]
    pub consumed_by_run: Option<String>,
    /// The queue manager in each region when planned (for a drill's report).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<Vec<crate::drill::SideSummary>>,
    /// A certificate rotation's trust graph: the stores, channels and filters it touches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation: Option<crate::plan_cert::Rotation>,
}

impl Plan {
    pub fn blocked(&self) -> bool {
        self.preconditions.iter().any(|p| p.status == CheckStatus::Block)
    }
}

/// A lock a run holds on something it changes (see [`Plan::resources`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldLock {
    /// `qmgr:NAME`, `host:NAME`, `ha-group:REGION` or `mqipt:INSTANCE`.
    pub resource: String,
    /// The run holding it.
    pub run_id: String,
    /// Who and what, for people: `run ID (dr-failover of DRHAQM1) by mqadmin`.
    pub description: String,
}

/// The facts a plan was made on; execution is refused when they differ.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    pub dr_primary_region: Option<String>,
    pub running_on: Option<String>,
    pub conf_sha256: Option<String>,
}

/// The MQIPT configuration as read from its host just before planning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfRead {
    pub instance: String,
    pub host: String,
    pub path: String,
    pub text: Result<String, String>,
}

/// Everything planning looks at besides the snapshot.
#[derive(Debug, Clone)]
pub struct PlanContext<'a> {
    pub snapshot: &'a Snapshot,
    pub inventory: &'a Inventory,
    pub conf: Option<ConfRead>,
    /// The backup's text, for `restore-route-config`.
    pub backup_text: Option<Result<String, String>>,
    pub operator: bool,
    /// The run locks held now by other runs (a run re-checking its own plan leaves its own out).
    pub held_locks: Vec<HeldLock>,
    /// When this subject was last switched over (ms), for the flapping warning.
    pub last_switchover_at: Option<u64>,
    pub flap_window_ms: u64,
    pub now_ms: u64,
    /// The command MQIPT is refreshed with (program, args) and the text that proves success.
    pub refresh: (String, Vec<String>, Option<String>),
    /// The certificate inventory, for routes that carry TLS.
    pub certs: Option<&'a crate::certs::CertInventory>,
    /// How a client reaches the queue manager through MQIPT, when one is configured: DR
    /// workflows then end by proving that path.
    pub client: Option<ClientCheck>,
    /// What new certificates must be.
    pub cert_policy: crate::cert_policy::CertPolicy,
    /// Clients that connect through MQIPT with TLS, to prove a route after a rotation.
    pub tls_clients: Vec<crate::plan_cert::TlsClientCheck>,
}

/// A client host that connects through MQIPT as applications do (seed 000's `wdc-mq-client`
/// with the mq-rdqm samples), and what it connects with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCheck {
    pub host: String,
    /// `CHANNEL/TCP/host(port)`, as a client exports it.
    pub mqserver: String,
    /// A queue kept for this check: the marker put there is got back at once.
    pub queue: String,
    /// Where `rdqmput` and `rdqmget` are, when not on the PATH.
    pub bin_dir: Option<String>,
}

impl ClientCheck {
    /// `CHANNEL/TCP/host(port)` → (channel, `host(port)`).
    pub fn channel_and_conname(&self) -> Option<(&str, &str)> {
        let mut parts = self.mqserver.splitn(3, '/');
        let (channel, _transport, conname) = (parts.next()?, parts.next()?, parts.next()?);
        Some((channel, conname))
    }

    /// `amqscnxc` through MQIPT, tried until it connects to `qmgr` or `timeout_secs` pass.
    pub fn connect(&self, qmgr: &str, timeout_secs: u64) -> Option<(Action, Verify)> {
        let (channel, conname) = self.channel_and_conname()?;
        let action = Action::exec("amqscnxc", &["-x", conname, "-c", channel, qmgr]);
        Some((action, Verify::ClientConnects { qmgr: qmgr.into(), conname: conname.into(), channel: channel.into(), timeout_secs }))
    }
}

/// After everything else is undone, clients must reach the queue manager where it was: the
/// last undo action (that of the first step with one) connects through MQIPT, so a route that
/// did not come back (its listener failed to start again) leaves the run needing attention,
/// not "rolled back".
fn client_check_after_undo(b: &mut PlanBuilder, client: &ClientCheck, qmgr: &str) {
    let Some((action, verify)) = client.connect(qmgr, 20) else { return };
    if let Some(first) = b.steps.iter_mut().find(|s| !s.undo.is_empty()) {
        first.undo.push(undo(&client.host, action, verify));
    }
}

/// The last steps of a DR workflow when a client is configured: a marker message put and got
/// back through MQIPT, as an application would reach the queue manager in its new region.
pub(crate) fn client_steps(b: &mut PlanBuilder, client: &ClientCheck, qmgr: &str, region: &str) {
    let program = |name: &str| match &client.bin_dir {
        Some(dir) => format!("{}/{name}", dir.trim_end_matches('/')),
        None => name.to_string(),
    };
    let sample = |name: &str| Action::Exec {
        program: "env".into(),
        args: vec![
            format!("MQSERVER={}", client.mqserver),
            program(name),
            "-b1".into(),
            "-m1".into(),
            "-s0".into(),
            qmgr.into(),
            client.queue.clone(),
        ],
    };
    // The samples end 0 even when MQCONNX fails: only `Completed` says the client got through.
    let completed = Verify::OutputContains { text: "Completed".into() };
    b.step(
        &client.host,
        format!("Put a marker message to {qmgr} through MQIPT, as a client in {region} would"),
        sample("rdqmput"),
        format!("Connected to queue manager {qmgr}, the batch committed, Completed"),
        completed.clone(),
    );
    b.step(&client.host, "Get the marker message back through MQIPT", sample("rdqmget"), format!("Connected to queue manager {qmgr}, the batch committed, Completed"), completed);
}

/// For a route with TLS towards the queue manager (SSLClient or SSLProxyMode), the target
/// region's queue manager certificate must be valid and trusted by MQIPT's client keystore.
pub(crate) fn tls_check(ctx: &PlanContext, qm: &QmgrView, to_region: &str, out: &mut Vec<Precondition>) {
    let Some(route) = qm.route.as_ref().and_then(|r| ctx.snapshot.routes.iter().find(|v| v.instance == r.instance && v.listener_port == r.listener_port.to_string())) else {
        return;
    };
    if route.tls_mode == "plain" || route.tls_mode == "SSLServer" {
        return;
    }
    let Some(inventory) = ctx.certs else {
        out.push(check(CheckStatus::Warn, PreconditionCode::Tls, format!("route {} uses TLS ({}) but no certificate inventory is configured: the target's certificates are not checked", route.listener_port, route.tls_mode)));
        return;
    };
    let region_nodes: Vec<&String> = ctx.inventory.qm_nodes(&qm.name, to_region).iter().collect();
    let personal: Vec<&crate::certs::CertView> = inventory
        .certificates
        .iter()
        .filter(|c| c.personal && region_nodes.contains(&&c.host))
        .filter(|c| matches!(&c.purpose, crate::certs::Purpose::QmgrKeyRepository { qmgr } if *qmgr == qm.name))
        .collect();
    let client_trust: Vec<&crate::certs::CertView> = inventory
        .certificates
        .iter()
        .filter(|c| !c.personal && matches!(&c.purpose, crate::certs::Purpose::MqiptClient { instance } if *instance == route.instance))
        .collect();
    if personal.is_empty() {
        out.push(check(CheckStatus::Warn, PreconditionCode::Tls, format!("no key repository of {} in {to_region} is inventoried: its certificate is not checked", qm.name)));
        return;
    }
    let mut problems = Vec::new();
    let mut evidence = Vec::new();
    for c in &personal {
        if c.not_after.is_some_and(|t| t <= ctx.now_ms) {
            problems.push(format!("{} on {} has expired", c.label, c.host));
        }
        if !client_trust.iter().any(|t| t.subject.eq_ignore_ascii_case(&c.issuer)) {
            problems.push(format!("{} on {} is issued by {}, which MQIPT's client keystore does not trust", c.label, c.host, c.issuer));
        }
        evidence.push(Evidence { host: c.host.clone(), command: format!("runmqakm -cert -details -db {} -stashed -label {}", c.store, c.label), lines: vec![format!("Subject : {}", c.subject), format!("Issuer : {}", c.issuer)] });
    }
    out.push(with_evidence(
        if problems.is_empty() {
            check(CheckStatus::Pass, PreconditionCode::Tls, format!("{}'s certificate in {to_region} is valid and trusted by MQIPT {} ({})", qm.name, route.instance, route.tls_mode))
        } else {
            check(CheckStatus::Block, PreconditionCode::Tls, format!("route {} uses TLS and would fail in {to_region}: {}", route.listener_port, problems.join("; ")))
        },
        evidence,
    ));
}

pub fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// A unified diff of `old` → `new` labelled with `path`.
pub fn unified_diff(old: &str, new: &str, path: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a{path}"), &format!("b{path}"))
        .to_string()
}

pub(crate) fn check(status: CheckStatus, code: PreconditionCode, message: impl Into<String>) -> Precondition {
    Precondition { status, code, message: message.into(), evidence: Vec::new() }
}

pub(crate) fn with_evidence(mut p: Precondition, evidence: Vec<Evidence>) -> Precondition {
    p.evidence = evidence;
    p
}

pub(crate) fn qm_evidence(qm: &QmgrView, region: &str, labels: &[&str]) -> Vec<Evidence> {
    qm.sides
        .iter()
        .filter(|s| s.region == region)
        .flat_map(|s| s.nodes.iter())
        .filter(|n| n.qm_status.is_some())
        .take(1)
        .map(|n| Evidence {
            host: n.node.clone(),
            command: format!("rdqmstatus -m {}", qm.name),
            lines: n
                .fields
                .iter()
                .filter(|(label, _)| labels.iter().any(|l| label.starts_with(l)))
                .map(|(label, value)| format!("{label}: {value}"))
                .collect(),
        })
        .collect()
}

/// The checks every plan makes: role and flapping (the locks come when the steps are known).
fn common_checks(ctx: &PlanContext, subject: &str, out: &mut Vec<Precondition>) {
    out.push(if ctx.operator {
        check(CheckStatus::Pass, PreconditionCode::Operator, "you are an operator")
    } else {
        check(CheckStatus::Block, PreconditionCode::Operator, "only operators may run workflows")
    });
    if let Some(at) = ctx.last_switchover_at
        && ctx.now_ms.saturating_sub(at) < ctx.flap_window_ms
    {
        let minutes = ctx.now_ms.saturating_sub(at) / 60_000;
        out.push(check(
            CheckStatus::Warn,
            PreconditionCode::Flapping,
            format!("{subject} was last moved {minutes} min ago; moving it again so soon may be flapping"),
        ));
    }
}

/// Reads the route of `qmgr` from the fresh configuration: preconditions, and the new text
/// with `Destination` (and `DestinationPort`, when the regions listen differently) changed.
pub(crate) fn route_edit(ctx: &PlanContext, qm: &QmgrView, to_region: &str, out: &mut Vec<Precondition>) -> Option<(ConfRead, String, String)> {
    let Some(route) = &qm.route else {
        out.push(check(CheckStatus::Pass, PreconditionCode::Route, format!("{} has no MQIPT route in the inventory; no route to change", qm.name)));
        return None;
    };
    let Some(conf) = ctx.conf.clone() else {
        out.push(check(CheckStatus::Block, PreconditionCode::MqiptConf, format!("MQIPT instance {} is not in the inventory", route.instance)));
        return None;
    };
    let text = match &conf.text {
        Ok(text) => text.clone(),
        Err(e) => {
            out.push(check(CheckStatus::Block, PreconditionCode::MqiptConf, format!("cannot read {} on {}: {e}", conf.path, conf.host)));
            return None;
        }
    };
    let mut parsed = MqiptConf::parse(&text);
    let port = route.listener_port.to_string();
    let current = match parsed.route_by_listener_port(&port) {
        Ok(r) => r,
        Err(e) => {
            out.push(check(CheckStatus::Block, PreconditionCode::Route, format!("{}: {e}", conf.path)));
            return None;
        }
    };
    let Some(target) = ctx.inventory.regions.iter().find(|r| r.name == to_region) else {
        out.push(check(CheckStatus::Block, PreconditionCode::Route, format!("no region {to_region}")));
        return None;
    };
    let destination = current.destination().unwrap_or("").trim().to_string();
    let evidence = vec![Evidence {
        host: conf.host.clone(),
        command: format!("cat {}", conf.path),
        lines: vec![format!("ListenerPort={port}"), format!("Destination={destination}")],
    }];
    if destination.eq_ignore_ascii_case(&target.load_balancer) {
        out.push(with_evidence(
            check(CheckStatus::Warn, PreconditionCode::RouteAlreadyAtTarget, format!("route {port} already points at {to_region} ({destination}); it is left as it is")),
            evidence,
        ));
        return None;
    }
    let from = ctx.inventory.region_of_load_balancer(&destination).map_or("no known region".to_string(), |r| r.name.clone());
    out.push(with_evidence(
        check(CheckStatus::Pass, PreconditionCode::Route, format!("route {port} points at {from} ({destination}); it will point at {to_region} ({})", target.load_balancer)),
        evidence,
    ));
    if parsed.set_route_property(&port, "Destination", &target.load_balancer).is_err() {
        out.push(check(CheckStatus::Block, PreconditionCode::Route, format!("route {port} cannot be edited")));
        return None;
    }
    // The load balancers forward the queue manager's listener port in both regions.
    let wanted_port = qm.listener_port.to_string();
    if current.destination_port().map(str::trim) != Some(wanted_port.as_str()) {
        let _ = parsed.set_route_property(&port, "DestinationPort", &wanted_port);
    }
    Some((conf, text, parsed.render()))
}

pub(crate) fn conf_steps(ctx: &PlanContext, conf: &ConfRead, old: &str, new: &str, stamp: &str, b: &mut PlanBuilder) {
    conf_steps_titled(ctx, conf, old, new, stamp, "Point the route at the new region", b)
}

/// Backs up mqipt.conf, writes `new` over `old` (only if unchanged), refreshes MQIPT; the
/// write's undo restores `old` and refreshes again.
pub(crate) fn conf_steps_titled(ctx: &PlanContext, conf: &ConfRead, old: &str, new: &str, stamp: &str, title: &str, b: &mut PlanBuilder) {
    let backup = format!("{}.rdqm-console.{stamp}", conf.path);
    let old_hash = sha256_hex(old);
    let new_hash = sha256_hex(new);
    let (program, args, success) = &ctx.refresh;
    let refresh = Action::Exec { program: program.clone(), args: args.clone() };
    let refresh_verify = match success {
        Some(text) => Verify::OutputContains { text: text.clone() },
        None => Verify::ExitZero,
    };
    // Only over the text this run wrote: an edit made since is never overwritten.
    let restore = Action::WriteFile { path: conf.path.clone(), contents: old.to_string(), expect_sha256: Some(new_hash.clone()), restores: Some(backup.clone()) };
    let restore = undo(&conf.host, restore, Verify::FileHash { path: conf.path.clone(), sha256: old_hash.clone() });
    let refresh_again = undo(&conf.host, refresh.clone(), refresh_verify.clone());
    b.step(
        &conf.host,
        "Back up mqipt.conf beside itself",
        Action::Backup { path: conf.path.clone(), to: backup.clone() },
        "an identical copy",
        Verify::FileHash { path: backup.clone(), sha256: old_hash.clone() },
    );
    b.step(
        &conf.host,
        title,
        Action::WriteFile { path: conf.path.clone(), contents: new.to_string(), expect_sha256: Some(old_hash), restores: None },
        "the file as in the diff",
        Verify::FileHash { path: conf.path.clone(), sha256: new_hash },
    )
    .undo = vec![restore, refresh_again];
    let expect = success.clone().map_or("exit code 0".into(), |t| format!("{t} in the output"));
    b.step(&conf.host, "Refresh MQIPT", refresh, expect, refresh_verify);
}

pub(crate) fn final_check(qm: &str, region: &str, check_route: bool, b: &mut PlanBuilder) {
    final_check_with(qm, region, check_route, false, b)
}

pub(crate) fn final_check_with(qm: &str, region: &str, check_route: bool, ignore_unreachable: bool, b: &mut PlanBuilder) {
    let expect = format!("{qm} DR primary only in {region} and running there{}", if check_route { ", its route to that region" } else { "" });
    let verify = Verify::Estate { qmgr: qm.into(), region: region.into(), check_route, ignore_unreachable };
    b.step("console", "Check the whole estate", Action::CheckEstate, expect, verify);
}

/// The plan for `intent` (without id, times or author, which the server sets).
pub fn plan(ctx: &PlanContext, intent: &Intent, stamp: &str) -> Plan {
    let mut b = PlanBuilder::new();
    let mut rotation = None;
    common_checks(ctx, intent.subject(), &mut b.pre);
    match intent {
        Intent::DrSwitchover { qmgr, to_region } | Intent::RouteRetarget { qmgr, to_region } => {
            let switchover = matches!(intent, Intent::DrSwitchover { .. });
            match ctx.snapshot.qmgrs.iter().find(|q| &q.name == qmgr) {
                None => b.check(CheckStatus::Block, PreconditionCode::Qmgr, format!("no queue manager {qmgr} in the estate")),
                Some(qm) => {
                    b.fingerprint.dr_primary_region = qm.dr_primary_region.clone();
                    b.fingerprint.running_on = qm.running_on.clone();
                    if switchover {
                        dr_checks(ctx, qm, to_region, &mut b);
                        tls_check(ctx, qm, to_region, &mut b.pre);
                    } else if qm.dr_primary_region.as_deref() != Some(to_region.as_str()) {
                        let regions = qm.dr_primary_regions.join(" and ");
                        b.check(CheckStatus::Block, PreconditionCode::DrPrimary, format!("{qmgr} is DR primary in {regions}, not {to_region}: a route must point at the DR primary region"));
                    } else {
                        b.check(CheckStatus::Pass, PreconditionCode::DrPrimary, format!("{qmgr} is DR primary in {to_region}"));
                    }
                    if let Some((conf, old, new)) = route_edit(ctx, qm, to_region, &mut b.pre) {
                        b.fingerprint.conf_sha256 = Some(sha256_hex(&old));
                        b.diff = Some(unified_diff(&old, &new, &conf.path));
                        conf_steps(ctx, &conf, &old, &new, stamp, &mut b);
                    }
                    if !b.blocked() {
                        final_check(qmgr, to_region, qm.route.is_some(), &mut b);
                    }
                }
            }
        }
        Intent::RestoreRouteConfig { instance, backup } => restore_plan(ctx, instance, backup, stamp, &mut b),
        Intent::DrFailover { qmgr, to_region } => crate::plan_dr::failover(ctx, qmgr, to_region, stamp, &mut b),
        Intent::DrResolvePartition { qmgr, keep_region } => crate::plan_dr::resolve_partition(ctx, qmgr, keep_region, stamp, &mut b),
        Intent::HaSuspend { node } => crate::plan_ha::suspend(ctx, node, &mut b),
        Intent::HaResume { node } => crate::plan_ha::resume(ctx, node, &mut b),
        Intent::HaPrefer { qmgr, node } => crate::plan_ha::prefer(ctx, qmgr, node, &mut b),
        Intent::PacemakerCleanup { qmgr, region } => crate::plan_ha::cleanup(ctx, qmgr, region, &mut b),
        Intent::DrDrill { qmgr, to_region, messages, unplanned, switch_back } => {
            let how = if *unplanned { crate::plan_drill::How::Unplanned } else { crate::plan_drill::How::Planned { switch_back: *switch_back } };
            crate::plan_drill::drill(ctx, qmgr, to_region, *messages, how, stamp, &mut b)
        }
        Intent::CertRotate { host, store, label, subject, mode } => {
            rotation = crate::plan_cert::rotate(ctx, crate::plan_cert::Target { host, store, label }, subject.as_deref(), *mode, stamp, &mut b);
        }
        Intent::CertRetire { host, store, label } => crate::plan_cert::retire(ctx, crate::plan_cert::Target { host, store, label }, stamp, &mut b),
    }
    if let (Some(client), Intent::DrSwitchover { qmgr, to_region } | Intent::DrFailover { qmgr, to_region }) = (&ctx.client, intent)
        && !b.blocked()
    {
        client_steps(&mut b, client, qmgr, to_region);
    }
    if let (Some(client), Intent::DrResolvePartition { qmgr, keep_region }) = (&ctx.client, intent)
        && !b.blocked()
    {
        client_steps(&mut b, client, qmgr, keep_region);
    }
    if let (Some(client), Intent::DrSwitchover { qmgr, .. } | Intent::DrDrill { qmgr, .. }) = (&ctx.client, intent)
        && !b.blocked()
    {
        client_check_after_undo(&mut b, client, qmgr);
    }
    if intent.needs_approval() {
        b.check(CheckStatus::Warn, PreconditionCode::Approval, "a second operator must approve this before it runs");
    }
    let resources = resources(ctx, intent, &b.steps);
    b.pre.insert(1.min(b.pre.len()), lock_check(&ctx.held_locks, &resources));
    if b.blocked() {
        b.steps.clear();
    }
    Plan {
        id: String::new(),
        kind: intent.kind().into(),
        intent: intent.clone(),
        subject: intent.subject().into(),
        preconditions: b.pre,
        steps: b.steps,
        diff: b.diff,
        fingerprint: b.fingerprint,
        created_at: ctx.now_ms,
        expires_at: 0,
        created_by: String::new(),
        needs_approval: intent.needs_approval(),
        resources,
        consumed_by_run: None,
        before: matches!(intent, Intent::DrDrill { .. }).then(|| crate::drill::summarize(ctx.snapshot, intent.subject())),
        rotation,
    }
}

/// The region whose HA group `node` belongs to.
fn region_of_node<'a>(ctx: &'a PlanContext, node: &str) -> Option<&'a str> {
    ctx.inventory.regions.iter().find(|r| r.nodes.iter().any(|n| n == node)).map(|r| r.name.as_str())
}

/// What a run of this plan changes: the queue manager, every host a step or an undo acts on,
/// the HA group of HA maintenance, the MQIPT configuration it writes. Sorted, each once.
pub fn resources(ctx: &PlanContext, intent: &Intent, steps: &[Step]) -> Vec<String> {
    let mut out = std::collections::BTreeSet::new();
    match intent {
        Intent::DrSwitchover { qmgr, .. }
        | Intent::DrFailover { qmgr, .. }
        | Intent::DrResolvePartition { qmgr, .. }
        | Intent::RouteRetarget { qmgr, .. }
        | Intent::DrDrill { qmgr, .. } => {
            out.insert(format!("qmgr:{qmgr}"));
        }
        Intent::RestoreRouteConfig { instance, .. } => {
            out.insert(format!("mqipt:{instance}"));
        }
        Intent::HaSuspend { node } | Intent::HaResume { node } => {
            out.insert(format!("host:{node}"));
            if let Some(region) = region_of_node(ctx, node) {
                out.insert(format!("ha-group:{region}"));
            }
        }
        Intent::HaPrefer { qmgr, node } => {
            out.insert(format!("qmgr:{qmgr}"));
            if let Some(region) = region_of_node(ctx, node) {
                out.insert(format!("ha-group:{region}"));
            }
        }
        Intent::PacemakerCleanup { qmgr, region } => {
            out.insert(format!("qmgr:{qmgr}"));
            out.insert(format!("ha-group:{region}"));
        }
        // Every store it writes, and each queue manager it refreshes (a step's own lock).
        Intent::CertRotate { .. } | Intent::CertRetire { .. } => {
            for step in steps {
                match &step.action {
                    Action::Mqsc { qmgr, .. } => {
                        out.insert(format!("qmgr:{qmgr}"));
                    }
                    Action::Exec { args, .. } => {
                        if let Some(db) = args.iter().position(|a| a == "-db").and_then(|i| args.get(i + 1)) {
                            out.insert(format!("keystore:{}:{db}", step.host));
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    let hosts = steps.iter().flat_map(|s| std::iter::once(&s.host).chain(s.undo.iter().map(|u| &u.host)));
    for host in hosts.filter(|h| h.as_str() != "console") {
        out.insert(format!("host:{host}"));
    }
    let writes = |path: &str| steps.iter().any(|s| matches!(&s.action, Action::WriteFile { path: p, .. } | Action::Backup { path: p, .. } if p == path));
    if let Some(conf) = &ctx.conf
        && writes(&conf.path)
    {
        out.insert(format!("mqipt:{}", conf.instance));
    }
    out.into_iter().collect()
}

/// Blocks while another run holds any of `resources`, naming each holder.
fn lock_check(held: &[HeldLock], resources: &[String]) -> Precondition {
    let taken: Vec<String> = held
        .iter()
        .filter(|l| resources.contains(&l.resource))
        .map(|l| format!("{} is held by {}", l.resource, l.description))
        .collect();
    if resources.is_empty() {
        check(CheckStatus::Pass, PreconditionCode::RunLock, "nothing to lock: this plan changes nothing")
    } else if taken.is_empty() {
        check(CheckStatus::Pass, PreconditionCode::RunLock, format!("no other run holds what this one changes ({})", resources.join(", ")))
    } else {
        check(CheckStatus::Block, PreconditionCode::RunLock, format!("another run holds what this one would change: {}; wait for it to end", taken.join("; ")))
    }
}

pub(crate) fn dr_checks(ctx: &PlanContext, qm: &QmgrView, to_region: &str, b: &mut PlanBuilder) {
    let name = &qm.name;
    let Some(target) = qm.sides.iter().find(|s| s.region == to_region) else {
        b.pre.push(check(CheckStatus::Block, PreconditionCode::TargetRegion, format!("{name} has no HA group in {to_region}")));
        return;
    };
    let from = match qm.dr_primary_regions.as_slice() {
        [one] if one == to_region => {
            b.pre.push(check(CheckStatus::Block, PreconditionCode::DrPrimary, format!("{name} is already DR primary in {to_region}")));
            return;
        }
        [one] => one.clone(),
        [] => {
            b.pre.push(check(CheckStatus::Block, PreconditionCode::DrPrimary, format!("no region is DR primary for {name}: a planned switchover needs one (use an unplanned failover)")));
            return;
        }
        many => {
            b.pre.push(check(CheckStatus::Block, PreconditionCode::DrPrimary, format!("{name} is DR primary in {} (partitioned): resolve the partition first", many.join(" and "))));
            return;
        }
    };
    b.pre.push(with_evidence(
        check(CheckStatus::Pass, PreconditionCode::DrPrimary, format!("{name} is DR primary in {from}; re-checked when the run starts")),
        qm_evidence(qm, &from, &["DR role"]),
    ));
    let Some(source) = qm.sides.iter().find(|s| s.region == from) else { return };
    let dr_ok = source.dr_status.as_ref().is_some_and(|s| s.is(DrStatus::Normal));
    let unsynced = source.dr_out_of_sync_kb.unwrap_or(0);
    b.pre.push(with_evidence(
        if dr_ok && unsynced == 0 {
            check(CheckStatus::Pass, PreconditionCode::DrStatus, "DR status Normal, no data waiting to replicate")
        } else {
            check(
                CheckStatus::Block,
                PreconditionCode::DrStatus,
                format!(
                    "DR status is {} with {unsynced} KB not yet replicated: switching now would lose data; wait for Normal",
                    source.dr_status.as_ref().map_or_else(|| "unknown".into(), ToString::to_string)
                ),
            )
        },
        qm_evidence(qm, &from, &["DR status", "DR out of sync data"]),
    ));
    let region_nodes = ctx.inventory.qm_nodes(&qm.name, to_region).to_vec();
    let view = ctx.snapshot.regions.iter().find(|r| r.name == to_region);
    let mut group_problems = Vec::new();
    for node in &region_nodes {
        let reachable = view.and_then(|v| v.nodes.iter().find(|n| &n.name == node)).is_some_and(|n| n.reachable && !n.stale);
        if !reachable {
            group_problems.push(format!("{node} is unreachable"));
        }
        if let Some(status) = target.nodes.iter().find(|n| &n.node == node).and_then(|n| n.ha_status.clone())
            && status != HaStatus::Normal
        {
            group_problems.push(format!("{node}: HA status {status}"));
        }
    }
    b.pre.push(if group_problems.is_empty() {
        check(CheckStatus::Pass, PreconditionCode::TargetGroup, format!("every node of {to_region}'s HA group is reachable with HA status Normal"))
    } else {
        with_evidence(
            check(CheckStatus::Block, PreconditionCode::TargetGroup, format!("{to_region}'s HA group is not healthy: {}", group_problems.join("; "))),
            qm_evidence(qm, to_region, &["HA status"]),
        )
    });
    if let Some(readiness) = qm.readiness.get(to_region)
        && !readiness.ready
    {
        b.pre.push(check(CheckStatus::Block, PreconditionCode::Readiness, format!("{to_region} cannot take {name} over now: {}", readiness.reasons.iter().map(|r| r.message.as_str()).collect::<Vec<_>>().join("; "))));
    }
    let (Some(source_host), Some(target_host)) = (source.ha_current_location.clone(), target.ha_current_location.clone()) else {
        b.pre.push(check(CheckStatus::Block, PreconditionCode::HaLocation, "the HA primary of a region is unknown (HA current location)"));
        return;
    };
    switch_steps(b, name, (&from, &source_host), (to_region, &target_host));
}

/// The two steps of a planned switchover from `from` (its HA primary node) to `to`, each
/// with its undo.
pub(crate) fn switch_steps(b: &mut PlanBuilder, name: &str, (from, source_host): (&str, &str), (to_region, target_host): (&str, &str)) {
    let secondary = Verify::DrRole { qmgr: name.into(), role: DrRole::Secondary };
    let running = Verify::RunningHere { qmgr: name.into(), timeout_secs: 60 };
    b.step(
        source_host,
        format!("Make {from} DR secondary"),
        Action::exec("rdqmdr", &["-s", "-m", name]),
        format!("Queue manager '{name}' has been made the DR secondary on this node."),
        secondary.clone(),
    )
    .undo = vec![undo(source_host, Action::exec("rdqmdr", &["-p", "-m", name]), running.clone())];
    b.step(
        target_host,
        format!("Make {to_region} DR primary"),
        Action::exec("rdqmdr", &["-p", "-m", name]),
        format!("{name} running on {target_host} (RDQM starts it; no strmqm)"),
        running,
    )
    .undo = vec![undo(target_host, Action::exec("rdqmdr", &["-s", "-m", name]), secondary)];
}

fn restore_plan(ctx: &PlanContext, instance: &str, backup: &str, stamp: &str, b: &mut PlanBuilder) {
    let Some(conf) = ctx.conf.clone().filter(|c| c.instance == instance) else {
        b.pre.push(check(CheckStatus::Block, PreconditionCode::MqiptConf, format!("no MQIPT instance {instance} in the inventory")));
        return;
    };
    if !is_backup_name(&conf.path, backup) {
        b.pre.push(check(CheckStatus::Block, PreconditionCode::Backup, format!("{backup:?} is not a backup the console made of {}", conf.path)));
        return;
    }
    let (Ok(current), Some(Ok(saved))) = (conf.text.clone(), ctx.backup_text.clone()) else {
        b.pre.push(check(CheckStatus::Block, PreconditionCode::Backup, format!("cannot read {} or {backup} on {}", conf.path, conf.host)));
        return;
    };
    let unknown = MqiptConf::parse(&saved).unrecognised_lines();
    if !unknown.is_empty() {
        b.pre.push(check(CheckStatus::Warn, PreconditionCode::BackupContent, format!("the backup has {} lines that are not MQIPT settings", unknown.len())));
    }
    if current == saved {
        b.pre.push(check(CheckStatus::Block, PreconditionCode::Backup, "the backup is identical to the current file; nothing to restore"));
        return;
    }
    b.pre.push(check(CheckStatus::Pass, PreconditionCode::Backup, format!("{backup} can be read; the diff shows what changes")));
    b.fingerprint.conf_sha256 = Some(sha256_hex(&current));
    b.diff = Some(unified_diff(&current, &saved, &conf.path));
    conf_steps(ctx, &conf, &current, &saved, stamp, b);
}

/// Backups are `<conf path>.rdqm-console.<digits>`, beside the file: nothing else is read.
pub fn is_backup_name(conf_path: &str, backup: &str) -> bool {
    backup
        .strip_prefix(conf_path)
        .and_then(|rest| rest.strip_prefix(".rdqm-console."))
        .is_some_and(|stamp| !stamp.is_empty() && stamp.len() <= 20 && stamp.bytes().all(|b| b.is_ascii_digit()))
}
