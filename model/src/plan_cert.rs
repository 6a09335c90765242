//! Certificate rotation and retirement, planned from the certificate inventory: who presents
//! the certificate (the store's owner), who must trust it (the trust graph: partners'
//! key repositories, MQIPT's keystores), which SSLPEER filters check it, and the steps of
//! seed 000 done in the safe order — the new certificate is trusted everywhere before it is
//! used, and the old one is removed only by a later plan.

use crate::certs::{CertInventory, CertView, Purpose, peer_dn};
use crate::channels::{ChannelView, pair_end};
use crate::estate::Evidence;
use crate::intent::RotateMode;
use crate::mqipt::MqiptConf;
use crate::plan::{Action, CheckStatus, PlanContext, PreconditionCode, Verify, conf_steps_titled, sha256_hex};
use crate::plan_builder::{PlanBuilder, undo};
use serde::{Deserialize, Serialize};

/// The certificate a plan is about, as the intent names it.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub host: &'a str,
    pub store: &'a str,
    pub label: &'a str,
}

/// A rotation's trust graph, for the preview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rotation {
    pub host: String,
    pub store: String,
    pub label: String,
    pub purpose: Purpose,
    pub subject: String,
    pub serial: String,
    /// Where the store is written (a queue manager's key repository: where it runs).
    pub written_on: String,
    pub new_label: String,
    pub new_subject: String,
    /// Every store that must trust the new certificate, and how it will.
    pub trusting: Vec<TrustingStore>,
    /// Every channel whose partner presents the certificate, with the filter it applies.
    pub channels: Vec<ChannelCheck>,
    /// MQIPT routes that present the certificate or connect to its owner.
    pub routes: Vec<RouteUse>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustingStore {
    /// Where it is changed (a queue manager's key repository: where that one runs).
    pub host: String,
    pub store: String,
    pub purpose: Purpose,
    /// Why it must trust the certificate ("DRHAQM2 receives SSLDRHAQM1.TO.DRHAQM2").
    pub why: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelCheck {
    /// The queue manager whose channel checks the certificate, and the channel.
    pub qmgr: String,
    pub channel: String,
    pub sslpeer: String,
    pub old_matches: bool,
    pub new_matches: bool,
    pub explanation: String,
    /// Running now: the run proves it runs with the new certificate afterwards.
    pub running: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteUse {
    pub instance: String,
    pub listener_port: String,
    pub qmgr: Option<String>,
    /// `SSLClientSiteLabel` or `SSLServerSiteLabel` when the route presents the certificate;
    /// `SSLClient` when it connects to the certificate's queue manager.
    pub property: String,
}

/// A client that connects through MQIPT with TLS (`amqssslc`), proving a route's handshakes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsClientCheck {
    pub host: String,
    pub qmgr: String,
    pub channel: String,
    /// `host(port)` of the MQIPT route.
    pub conname: String,
    /// The client's key repository stem (without `.kdb`).
    pub keyr: String,
    pub certlabl: String,
    pub cipher: String,
}

impl TlsClientCheck {
    fn listener_port(&self) -> Option<&str> {
        self.conname.split_once('(').map(|(_, rest)| rest.trim_end_matches(')'))
    }

    /// `amqssslc` as seed 000 runs it.
    pub fn args(&self) -> Vec<String> {
        ["-m", &self.qmgr, "-c", &self.channel, "-x", &self.conname, "-k", &self.keyr, "-l", &self.certlabl, "-s", &self.cipher].iter().map(|a| a.to_string()).collect()
    }

    fn step(&self, b: &mut PlanBuilder, title: String) {
        let action = Action::Exec { program: "amqssslc".into(), args: self.args() };
        let verify = Verify::TlsClientConnects {
            qmgr: self.qmgr.clone(),
            channel: self.channel.clone(),
            conname: self.conname.clone(),
            keyr: self.keyr.clone(),
            certlabl: self.certlabl.clone(),
            cipher: self.cipher.clone(),
            timeout_secs: 60,
        };
        b.step(&self.host, title, action, format!("Connection established to queue manager {}", self.qmgr), verify);
    }
}

pub(crate) fn program(purpose: &Purpose) -> &'static str {
    match purpose {
        Purpose::MqiptServer { .. } | Purpose::MqiptClient { .. } => "mqiptKeycmd",
        Purpose::QmgrKeyRepository { .. } | Purpose::Replication { .. } => "runmqakm",
    }
}

pub(crate) fn dir_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("/", |(dir, _)| if dir.is_empty() { "/" } else { dir })
}

/// The next label: the old one without an earlier rotation's stamp, then this plan's minute
/// (`ssldrhaqm1certlabel` → `ssldrhaqm1certlabel-202612052130`).
pub fn next_label(label: &str, stamp: &str) -> String {
    next_label_with(label, stamp, false)
}

/// [`next_label`] to the second (`-YYYYMMDDHHMMSS`), for a store rotated twice in a minute.
fn next_label_with(label: &str, stamp: &str, seconds: bool) -> String {
    let base = match label.rsplit_once('-') {
        Some((base, tail)) if (tail.len() == 12 || tail.len() == 14) && tail.chars().all(|c| c.is_ascii_digit()) => base,
        _ => label,
    };
    let base: String = base.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '_' }).collect();
    let time = stamp
        .parse::<i64>()
        .ok()
        .and_then(|ms| time::OffsetDateTime::from_unix_timestamp(ms / 1000).ok())
        .map(|t| {
            let minute = format!("{:04}{:02}{:02}{:02}{:02}", t.year(), t.month() as u8, t.day(), t.hour(), t.minute());
            if seconds { format!("{minute}{:02}", t.second()) } else { minute }
        })
        .unwrap_or_else(|| format!("{:0>12}", stamp.chars().filter(char::is_ascii_digit).take(12).collect::<String>()));
    format!("{base}-{time}")
}

/// Where a store is written: a queue manager's key repository lives on its replicated volume,
/// mounted only where it runs.
fn written_on(ctx: &PlanContext, host: &str, purpose: &Purpose) -> Result<String, String> {
    match purpose {
        Purpose::QmgrKeyRepository { qmgr } => match ctx.snapshot.qmgrs.iter().find(|q| &q.name == qmgr).and_then(|q| q.running_on.clone()) {
            Some(node) => Ok(node),
            None => Err(format!("{qmgr} runs nowhere: its key repository is on its replicated volume, which is mounted only where it runs")),
        },
        _ => Ok(host.to_string()),
    }
}

fn find<'a>(inv: &'a CertInventory, t: Target) -> Option<&'a CertView> {
    inv.certificates.iter().find(|c| c.host == t.host && c.store == t.store && c.label == t.label)
}

fn evidence(c: &CertView) -> Vec<Evidence> {
    vec![Evidence {
        host: c.host.clone(),
        command: format!("{} -cert -details -db {} -stashed -label {}", program(&c.purpose), c.store, c.label),
        lines: vec![format!("Subject : {}", c.subject), format!("Issuer : {}", c.issuer), format!("Serial : {}", c.serial)],
    }]
}

/// The key repository of `qmgr` in the inventory (any one copy: it is replicated).
fn qmgr_store<'a>(inv: &'a CertInventory, qmgr: &str) -> Option<&'a CertView> {
    inv.certificates.iter().find(|c| matches!(&c.purpose, Purpose::QmgrKeyRepository { qmgr: q } if q == qmgr))
}

/// The TLS channels that pair with `qmgr`'s: (its channel, the partner's).
fn partner_channels<'a>(inv: &'a CertInventory, qmgr: &str) -> Vec<(&'a ChannelView, &'a ChannelView)> {
    let mut out = Vec::new();
    for mine in inv.channels.iter().filter(|c| c.qmgr == qmgr && !c.sslciph.is_empty()) {
        for theirs in inv.channels.iter().filter(|p| p.qmgr != qmgr && p.name == mine.name && pair_end(&mine.chltype, &p.chltype).is_some()) {
            out.push((mine, theirs));
        }
    }
    out
}

fn read_conf(ctx: &PlanContext) -> Option<(crate::plan::ConfRead, MqiptConf)> {
    let conf = ctx.conf.clone()?;
    let text = conf.text.clone().ok()?;
    Some((conf, MqiptConf::parse(&text)))
}

fn prop_true(route: &crate::mqipt::Route, key: &str) -> bool {
    route.get(key).is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

/// The queue manager a route serves (by its listener port in the inventory).
fn route_qmgr(ctx: &PlanContext, instance: &str, port: &str) -> Option<String> {
    ctx.inventory
        .qmgrs
        .iter()
        .find(|q| q.route.as_ref().is_some_and(|r| r.instance == instance && r.listener_port.to_string() == port.trim()))
        .map(|q| q.name.clone())
}

/// Checks one SSLPEER filter against the old and the new DN.
fn filter_check(b: &mut PlanBuilder, checker: &ChannelView, cert: &CertView, new_subject: &str, running: bool) -> ChannelCheck {
    let old = crate::sslpeer::matches(&peer_dn(cert), &checker.sslpeer);
    let new = crate::sslpeer::matches(new_subject, &checker.sslpeer);
    let (old_matches, new_matches) = (old.as_ref().is_ok_and(|m| m.matches), new.as_ref().is_ok_and(|m| m.matches));
    let explanation = match &new {
        Ok(m) => m.explanation.clone(),
        Err(e) => e.to_string(),
    };
    let lines = vec![format!("SSLPEER('{}')", checker.sslpeer), format!("new DN: {new_subject}"), explanation.clone()];
    let ev = vec![Evidence { host: checker.host.clone(), command: format!("runmqsc {}: DISPLAY CHANNEL({})", checker.qmgr, checker.name), lines }];
    let what = format!("{}'s channel {} (SSLPEER '{}')", checker.qmgr, checker.name, checker.sslpeer);
    if old_matches && !new_matches {
        b.pre.push(crate::plan::Precondition {
            status: CheckStatus::Block,
            code: PreconditionCode::Sslpeer,
            message: format!("{what} accepts the old DN but not the new one {new_subject}: the channel would stop with AMQ9636E; change the filter or keep a DN it accepts"),
            evidence: ev,
        });
    } else if !old_matches && !new_matches {
        b.pre.push(crate::plan::Precondition {
            status: CheckStatus::Warn,
            code: PreconditionCode::Sslpeer,
            message: format!("{what} accepts neither the old DN nor the new one: the channel fails today (AMQ9636E) and will still fail"),
            evidence: ev,
        });
    } else {
        b.pre.push(crate::plan::Precondition { status: CheckStatus::Pass, code: PreconditionCode::Sslpeer, message: format!("{what} accepts the new DN {new_subject}"), evidence: ev });
    }
    ChannelCheck { qmgr: checker.qmgr.clone(), channel: checker.name.clone(), sslpeer: checker.sslpeer.clone(), old_matches, new_matches, explanation, running }
}

/// A store that will trust the new certificate.
pub(crate) struct Trusting {
    view: TrustingStore,
    program: &'static str,
}

fn add_trusting(out: &mut Vec<Trusting>, host: String, store: &CertView, why: String) {
    if out.iter().any(|t| t.view.host == host && t.view.store == store.store) {
        return;
    }
    out.push(Trusting { view: TrustingStore { host, store: store.store.clone(), purpose: store.purpose.clone(), why }, program: program(&store.purpose) });
}

/// Plans `cert-rotate`; returns the trust graph for the preview (none when the certificate
/// is not found).
pub fn rotate(ctx: &PlanContext, t: Target, subject: Option<&str>, mode: RotateMode, stamp: &str, b: &mut PlanBuilder) -> Option<Rotation> {
    let Some(inv) = ctx.certs else {
        b.check(CheckStatus::Block, PreconditionCode::Inventory, "the certificate inventory has not been read yet; try again in a moment");
        return None;
    };
    let Some(cert) = find(inv, t) else {
        b.check(CheckStatus::Block, PreconditionCode::Certificate, format!("no certificate {} in {} on {} in the inventory", t.label, t.store, t.host));
        return None;
    };
    if !cert.personal {
        b.check(CheckStatus::Block, PreconditionCode::Certificate, format!("{} in {} is a signer certificate: only a store's own (personal) certificate is rotated; remove a signer with cert-retire", t.label, t.store));
        return None;
    }
    b.pre.push(crate::plan::Precondition { status: CheckStatus::Pass, code: PreconditionCode::Certificate, message: format!("{} ({}, serial {}) is the personal certificate of {}", cert.label, cert.subject, cert.serial, cert.store), evidence: evidence(cert) });
    let policy = &ctx.cert_policy;
    let new_subject = subject.map_or_else(|| cert.subject.clone(), str::to_string);
    let taken = |label: &str| inv.certificates.iter().any(|c| c.host == t.host && c.store == t.store && c.label == label);
    let new_label = match next_label(t.label, stamp) {
        label if taken(&label) => next_label_with(t.label, stamp, true),
        label => label,
    };
    let mut rotation = Rotation {
        host: t.host.into(),
        store: t.store.into(),
        label: t.label.into(),
        purpose: cert.purpose.clone(),
        subject: cert.subject.clone(),
        serial: cert.serial.clone(),
        written_on: String::new(),
        new_label: new_label.clone(),
        new_subject: new_subject.clone(),
        trusting: Vec::new(),
        channels: Vec::new(),
        routes: Vec::new(),
    };
    if mode == RotateMode::Csr {
        b.check(
            CheckStatus::Pass,
            PreconditionCode::Mode,
            "a signing request is made where the store is; the run waits for the CA-signed certificate, checked when uploaded (it answers the request, names what it must, and every store below trusts its issuer)",
        );
    }
    let problems = policy.problems();
    if problems.is_empty() {
        b.check(
            CheckStatus::Pass,
            PreconditionCode::Policy,
            format!("the new certificate: RSA {} bits, {}, valid {} days (the configured policy)", policy.key_bits, policy.signature, policy.validity_days),
        );
    } else {
        b.check(CheckStatus::Block, PreconditionCode::Policy, format!("the configured certificate policy is not sound: {}", problems.join("; ")));
    }
    let san = match &cert.purpose {
        Purpose::Replication { node } => {
            rotation.written_on = node.clone();
            crate::plan_cert_replication::rotate(ctx, inv, cert, node, &new_subject, mode, stamp, b, &mut rotation);
            return Some(rotation);
        }
        _ => cert.san_dns.clone(),
    };
    let owner = match written_on(ctx, t.host, &cert.purpose) {
        Ok(host) => host,
        Err(why) => {
            b.check(CheckStatus::Block, PreconditionCode::WrittenOn, why);
            return Some(rotation);
        }
    };
    rotation.written_on = owner.clone();
    if let Purpose::QmgrKeyRepository { qmgr } = &cert.purpose {
        b.check(CheckStatus::Pass, PreconditionCode::WrittenOn, format!("{qmgr} runs on {owner}: its key repository is changed there and replicated with it"));
    }
    if inv.certificates.iter().any(|c| c.host == t.host && c.store == t.store && c.label == new_label) {
        b.check(CheckStatus::Block, PreconditionCode::Label, format!("{} already holds a certificate labelled {new_label}", t.store));
    }

    // The trust graph: who checks the certificate, and with which filter.
    let mut trusting: Vec<Trusting> = Vec::new();
    let conf = read_conf(ctx);
    let mut label_edit: Option<(&'static str, Vec<String>)> = None;
    let mut tls_checks: Vec<&TlsClientCheck> = Vec::new();
    match &cert.purpose {
        Purpose::QmgrKeyRepository { qmgr } => {
            for (mine, theirs) in partner_channels(inv, qmgr) {
                // A channel presents the certificate only when it uses this label.
                if mine.certlabl != t.label {
                    continue;
                }
                let Some(store) = qmgr_store(inv, &theirs.qmgr) else {
                    b.check(CheckStatus::Block, PreconditionCode::Trust, format!("{}'s key repository is not in the inventory: the console cannot make it trust the new certificate before {} presents it on {}", theirs.qmgr, qmgr, mine.name));
                    continue;
                };
                match written_on(ctx, &store.host, &store.purpose) {
                    Ok(host) => add_trusting(&mut trusting, host, store, format!("{} is the other end of {}", theirs.qmgr, mine.name)),
                    Err(why) => b.check(CheckStatus::Block, PreconditionCode::Trust, why),
                }
                let running = theirs.status.as_ref().is_some_and(|s| s.status == "RUNNING");
                if !theirs.sslpeer.is_empty() {
                    let check = filter_check(b, theirs, cert, &new_subject, running);
                    rotation.channels.push(check);
                } else {
                    rotation.channels.push(ChannelCheck { qmgr: theirs.qmgr.clone(), channel: theirs.name.clone(), sslpeer: String::new(), old_matches: true, new_matches: true, explanation: "no SSLPEER: any trusted certificate passes".into(), running });
                }
            }
            if let Some((conf, parsed)) = &conf {
                for route in parsed.routes() {
                    let port = route.listener_port().unwrap_or("").to_string();
                    if route_qmgr(ctx, &conf.instance, &port).as_deref() != Some(qmgr.as_str()) || !prop_true(&route, "SSLClient") {
                        continue;
                    }
                    rotation.routes.push(RouteUse { instance: conf.instance.clone(), listener_port: port.clone(), qmgr: Some(qmgr.clone()), property: "SSLClient".into() });
                    let ring = route.get("SSLClientKeyRing").unwrap_or("").trim().to_string();
                    match inv.certificates.iter().find(|c| c.host == conf.host && c.store == ring) {
                        Some(store) => add_trusting(&mut trusting, conf.host.clone(), store, format!("MQIPT route {port} connects to {qmgr} with TLS (SSLClient)")),
                        None => b.check(CheckStatus::Block, PreconditionCode::Trust, format!("MQIPT route {port} connects to {qmgr} with TLS, but its SSLClientKeyRing {ring} on {} is not in the inventory", conf.host)),
                    }
                    let label = route.get("SSLClientSiteLabel").unwrap_or("").trim().to_string();
                    let presented = inv.certificates.iter().find(|c| c.host == conf.host && c.store == ring && c.label == label && c.personal).map(peer_dn);
                    tls_checks.extend(usable_tls_checks(ctx, inv, qmgr, &port, presented.as_deref(), b));
                }
            }
        }
        Purpose::MqiptClient { instance } | Purpose::MqiptServer { instance } => {
            let server = matches!(cert.purpose, Purpose::MqiptServer { .. });
            let (flag, ring_key, label_key) = if server { ("SSLServer", "SSLServerKeyRing", "SSLServerSiteLabel") } else { ("SSLClient", "SSLClientKeyRing", "SSLClientSiteLabel") };
            let Some((_, parsed)) = &conf else {
                b.check(CheckStatus::Block, PreconditionCode::MqiptConf, format!("MQIPT {instance}'s mqipt.conf could not be read: the routes that present {} are unknown", t.label));
                return Some(rotation);
            };
            let mut ports = Vec::new();
            for route in parsed.routes() {
                let uses = prop_true(&route, flag)
                    && route.get(ring_key).is_some_and(|r| r.trim() == t.store)
                    && route.get(label_key).is_some_and(|l| l.trim() == t.label);
                if !uses {
                    continue;
                }
                let port = route.listener_port().unwrap_or("").to_string();
                let qmgr = route_qmgr(ctx, instance, &port);
                rotation.routes.push(RouteUse { instance: instance.clone(), listener_port: port.clone(), qmgr: qmgr.clone(), property: label_key.into() });
                ports.push(port.clone());
                let Some(qmgr) = qmgr else { continue };
                let presented = (!server).then_some(new_subject.as_str());
                tls_checks.extend(usable_tls_checks(ctx, inv, &qmgr, &port, presented, b));
                if server {
                    continue;
                }
                // MQIPT's client certificate is checked by the queue manager it connects to.
                match qmgr_store(inv, &qmgr) {
                    Some(store) => match written_on(ctx, &store.host, &store.purpose) {
                        Ok(host) => add_trusting(&mut trusting, host, store, format!("{qmgr} accepts MQIPT's connections on route {port} (SSLCAUTH)")),
                        Err(why) => b.check(CheckStatus::Block, PreconditionCode::Trust, why),
                    },
                    None => b.check(CheckStatus::Block, PreconditionCode::Trust, format!("{qmgr}'s key repository is not in the inventory: the console cannot make it trust MQIPT's new client certificate")),
                }
                for channel in inv.channels.iter().filter(|c| c.qmgr == qmgr && c.chltype.eq_ignore_ascii_case("SVRCONN") && !c.sslpeer.is_empty()) {
                    let check = filter_check(b, channel, cert, &new_subject, false);
                    rotation.channels.push(check);
                }
            }
            if ports.is_empty() {
                b.check(CheckStatus::Warn, PreconditionCode::Routes, format!("no route of MQIPT {instance} presents {} ({label_key}={} with {ring_key}={}): nothing switches to the new certificate", t.label, t.label, t.store));
            } else {
                label_edit = Some((label_key, ports));
            }
            if server {
                b.check(
                    CheckStatus::Block,
                    PreconditionCode::Trust,
                    "MQIPT's server certificate is checked by the applications' own key repositories, which are not in the inventory: a new self-signed certificate would be refused by every client; rotate it with a CA the clients trust (mode csr) once available",
                );
            }
        }
        Purpose::Replication { .. } => {}
    }
    for tr in &trusting {
        let how = match mode {
            RotateMode::SelfSigned => "the public part is added, then the store is refreshed",
            RotateMode::Csr => "it must trust the CA that signs it: checked when the certificate is uploaded",
        };
        b.check(CheckStatus::Pass, PreconditionCode::Trust, format!("{} on {} will trust the new certificate before it is used: {} ({how})", tr.view.store, tr.view.host, tr.view.why));
    }
    rotation.trusting = trusting.iter().map(|t| t.view.clone()).collect();
    if b.blocked() {
        return Some(rotation);
    }

    // 1-2: the new certificate and its public part.
    let prog = program(&cert.purpose);
    let public = format!("{}/{new_label}.arm", dir_of(t.store));
    let delete_new = |host: &str, prog: &str, db: &str| {
        undo(host, Action::exec(prog, &["-cert", "-delete", "-db", db, "-stashed", "-label", &new_label]), Verify::CertAbsent { program: prog.into(), db: db.into(), label: new_label.clone() })
    };
    let size_and_signature = [
        "-size".to_string(),
        policy.key_bits.to_string(),
        "-sig_alg".into(),
        policy.signature.clone(),
    ];
    let san_args: Vec<String> = if san.is_empty() { Vec::new() } else { vec!["-san_dnsname".into(), san.join(",")] };
    let present = Verify::CertPresent { program: prog.into(), db: t.store.into(), label: new_label.clone(), subject: new_subject.clone() };
    if mode == RotateMode::Csr {
        let request = format!("{}/{new_label}.csr", dir_of(t.store));
        let mut args: Vec<String> = ["-certreq", "-create", "-db", t.store, "-stashed", "-label", &new_label, "-dn", &new_subject].iter().map(|a| a.to_string()).collect();
        args.extend(size_and_signature.iter().cloned());
        args.extend(["-file".into(), request.clone()]);
        args.extend(san_args.iter().cloned());
        let drop_request = undo(&owner, Action::exec(prog, &["-certreq", "-delete", "-db", t.store, "-stashed", "-label", &new_label]), Verify::ExitZero);
        b.step(&owner, format!("Make a signing request {new_label} in {}", t.store), Action::Exec { program: prog.into(), args }, format!("{request} written"), Verify::ExitZero).undo = vec![drop_request];
        b.step(&owner, "Show the signing request, for the CA", Action::exec("cat", &[&request]), "-----BEGIN CERTIFICATE REQUEST-----", Verify::OutputContains { text: "BEGIN CERTIFICATE REQUEST".into() });
        b.step(
            &owner,
            "Wait for the CA-signed certificate (an operator uploads it)",
            Action::AwaitCertificate { request: request.clone(), to_path: public.clone() },
            format!("{public} written"),
            Verify::PemCertificate { path: public.clone(), subject: new_subject.clone(), san_dns: san.clone() },
        );
        b.step(&owner, format!("Receive it into {}", t.store), Action::exec(prog, &["-cert", "-receive", "-db", t.store, "-stashed", "-file", &public, "-format", "ascii"]), format!("Subject {new_subject}"), present)
            .undo = vec![delete_new(&owner, prog, t.store)];
    } else {
        let mut create: Vec<String> = ["-cert", "-create", "-db", t.store, "-stashed", "-label", &new_label, "-dn", &new_subject].iter().map(|a| a.to_string()).collect();
        create.extend([size_and_signature[0].clone(), size_and_signature[1].clone(), "-x509version".into(), "3".into(), "-expire".into(), policy.validity_days.to_string()]);
        create.extend(size_and_signature[2..].iter().cloned());
        create.extend(san_args.iter().cloned());
        b.step(&owner, format!("Create the new certificate {new_label} in {}", t.store), Action::Exec { program: prog.into(), args: create }, format!("Subject {new_subject}"), present)
            .undo = vec![delete_new(&owner, prog, t.store)];
        b.step(
            &owner,
            "Extract its public part",
            Action::exec(prog, &["-cert", "-extract", "-db", t.store, "-stashed", "-label", &new_label, "-target", &public, "-format", "ascii"]),
            format!("{public} written"),
            Verify::ExitZero,
        );
    }
    // 3: every trusting store adds a self-signed certificate (a CA-signed one is trusted
    // through its issuer, checked at upload); 4: and loads it.
    let trusting_adds: &[Trusting] = if mode == RotateMode::Csr { &[] } else { &trusting };
    for tr in trusting_adds {
        let copy = format!("{}/{new_label}.arm", dir_of(&tr.view.store));
        if tr.view.host != owner || copy != public {
            b.step(&tr.view.host, format!("Copy the public part to {}", tr.view.host), Action::CopyFile { from_host: owner.clone(), from_path: public.clone(), to_path: copy.clone(), append: false }, format!("{copy} written"), Verify::ExitZero);
        }
        b.step(
            &tr.view.host,
            format!("Trust it in {}", tr.view.store),
            Action::exec(tr.program, &["-cert", "-add", "-db", &tr.view.store, "-stashed", "-label", &new_label, "-file", &copy, "-format", "ascii"]),
            format!("Subject {new_subject}"),
            Verify::CertPresent { program: tr.program.into(), db: tr.view.store.clone(), label: new_label.clone(), subject: new_subject.clone() },
        )
        .undo = vec![delete_new(&tr.view.host, tr.program, &tr.view.store)];
    }
    let mut refreshed_mqipt = false;
    for tr in trusting_adds {
        match &tr.view.purpose {
            Purpose::QmgrKeyRepository { qmgr } => refresh_qmgr(b, &tr.view.host, qmgr, &format!("{qmgr} loads its key repository again, trusting the new certificate")),
            Purpose::MqiptClient { .. } | Purpose::MqiptServer { .. } if !refreshed_mqipt => {
                refreshed_mqipt = true;
                refresh_mqipt(ctx, b, &tr.view.host, "MQIPT loads its keystores again, trusting the new certificate");
            }
            _ => {}
        }
    }
    // 5: the owner presents the new certificate.
    match &cert.purpose {
        Purpose::QmgrKeyRepository { qmgr } => {
            let qm_label = inv.qmgr_labels.get(qmgr);
            let channels: Vec<&ChannelView> = inv.channels.iter().filter(|c| &c.qmgr == qmgr && c.own_certlabl && c.certlabl == t.label).collect();
            let switch = |label: &str| {
                let mut commands = Vec::new();
                if qm_label.map(String::as_str) == Some(t.label) {
                    commands.push(format!("ALTER QMGR CERTLABL('{label}')"));
                }
                commands.extend(channels.iter().map(|c| format!("ALTER CHANNEL({}) CHLTYPE({}) CERTLABL('{label}')", c.name, c.chltype)));
                commands.push("REFRESH SECURITY TYPE(SSL)".into());
                Action::Mqsc { qmgr: qmgr.clone(), commands }
            };
            b.step(&owner, format!("{qmgr} presents {new_label}: CERTLABL, then its TLS channels restart"), switch(&new_label), "AMQ8560I: IBM MQ security cache refreshed.", Verify::OutputContains { text: "AMQ8560I".into() })
                .undo = vec![undo(&owner, switch(t.label), Verify::OutputContains { text: "AMQ8560I".into() })];
        }
        Purpose::MqiptClient { .. } | Purpose::MqiptServer { .. } => {
            if let (Some((label_key, ports)), Some((conf, parsed))) = (&label_edit, &conf) {
                let mut edited = parsed.clone();
                for port in ports {
                    if let Err(e) = edited.set_route_property(port, label_key, &new_label) {
                        b.check(CheckStatus::Block, PreconditionCode::MqiptConf, format!("route {port}: {e}"));
                        return Some(rotation);
                    }
                }
                let old_text = conf.text.clone().unwrap_or_default();
                let new_text = edited.render();
                b.fingerprint.conf_sha256 = Some(sha256_hex(&old_text));
                b.diff = Some(crate::plan::unified_diff(&old_text, &new_text, &conf.path));
                conf_steps_titled(ctx, conf, &old_text, &new_text, stamp, &format!("Routes {} present {new_label} ({label_key})", ports.join(", ")), b);
            }
        }
        Purpose::Replication { .. } => {}
    }
    // 6: prove it — every channel that ran runs with the new certificate, every route connects.
    for check in rotation.channels.iter().filter(|c| c.running) {
        let Some(host) = ctx.snapshot.qmgrs.iter().find(|q| q.name == check.qmgr).and_then(|q| q.running_on.clone()) else { continue };
        b.step(
            &host,
            format!("{} runs with the new certificate on {}", check.channel, check.qmgr),
            Action::Mqsc { qmgr: check.qmgr.clone(), commands: vec![format!("DISPLAY CHSTATUS({}) ALL", check.channel)] },
            format!("STATUS(RUNNING), SSLPEER with the serial of {new_label}"),
            Verify::ChannelPresents { qmgr: check.qmgr.clone(), channel: check.channel.clone(), cert_host: owner.clone(), program: prog.into(), db: t.store.into(), label: new_label.clone(), timeout_secs: 60 },
        );
    }
    for client in tls_checks {
        client.step(b, format!("A client connects to {} through MQIPT with TLS ({})", client.qmgr, client.conname));
    }
    Some(rotation)
}

pub(crate) fn refresh_qmgr(b: &mut PlanBuilder, host: &str, qmgr: &str, title: &str) {
    let refresh = Action::Mqsc { qmgr: qmgr.into(), commands: vec!["REFRESH SECURITY TYPE(SSL)".into()] };
    let verify = Verify::OutputContains { text: "AMQ8560I".into() };
    let again = undo(host, refresh.clone(), verify.clone());
    b.step(host, title, refresh, "AMQ8560I: IBM MQ security cache refreshed.", verify).undo = vec![again];
}

/// The TLS client checks of route `port` to `qmgr` that can prove anything: a check whose
/// channel refuses the certificate MQIPT presents (`presented`) fails before and after the
/// rotation alike, so it is left out, with a warning that says why.
fn usable_tls_checks<'a>(ctx: &'a PlanContext, inv: &CertInventory, qmgr: &str, port: &str, presented: Option<&str>, b: &mut PlanBuilder) -> Vec<&'a TlsClientCheck> {
    let mut out = Vec::new();
    for check in ctx.tls_clients.iter().filter(|c| c.qmgr == qmgr && c.listener_port() == Some(port)) {
        let Some(channel) = inv.channels.iter().find(|c| c.qmgr == qmgr && c.name == check.channel) else {
            b.check(CheckStatus::Warn, PreconditionCode::ClientCheck, format!("the TLS client check of route {port} uses channel {}, which {qmgr} does not have (read with DISPLAY CHANNEL): it is left out", check.channel));
            continue;
        };
        let refused = match (presented, channel.sslpeer.is_empty()) {
            (Some(dn), false) => !crate::sslpeer::matches(dn, &channel.sslpeer).is_ok_and(|m| m.matches),
            _ => false,
        };
        if refused {
            b.check(
                CheckStatus::Warn,
                PreconditionCode::ClientCheck,
                format!(
                    "route {port}'s TLS client check is left out: {qmgr}'s channel {} (SSLPEER '{}') refuses the certificate MQIPT presents ({}), AMQ9636E, before and after this rotation; fix the filter to prove the route",
                    channel.name,
                    channel.sslpeer,
                    presented.unwrap_or("")
                ),
            );
            continue;
        }
        out.push(check);
    }
    out
}

fn refresh_mqipt(ctx: &PlanContext, b: &mut PlanBuilder, host: &str, title: &str) {
    let (program, args, success) = &ctx.refresh;
    let action = Action::Exec { program: program.clone(), args: args.clone() };
    let verify = success.clone().map_or(Verify::ExitZero, |text| Verify::OutputContains { text });
    let expect = success.clone().map_or("exit code 0".into(), |t| format!("{t} in the output"));
    let again = undo(host, action.clone(), verify.clone());
    b.step(host, title, action, expect, verify).undo = vec![again];
}

/// Plans `cert-retire`: the certificate is removed where it is trusted, then from its own store.
pub fn retire(ctx: &PlanContext, t: Target, stamp: &str, b: &mut PlanBuilder) {
    let _ = stamp;
    let Some(inv) = ctx.certs else {
        b.check(CheckStatus::Block, PreconditionCode::Inventory, "the certificate inventory has not been read yet; try again in a moment");
        return;
    };
    let Some(cert) = find(inv, t) else {
        b.check(CheckStatus::Block, PreconditionCode::Certificate, format!("no certificate {} in {} on {} in the inventory", t.label, t.store, t.host));
        return;
    };
    b.pre.push(crate::plan::Precondition { status: CheckStatus::Pass, code: PreconditionCode::Certificate, message: format!("{} ({}, serial {})", cert.label, cert.subject, cert.serial), evidence: evidence(cert) });
    if let Purpose::Replication { node } = &cert.purpose {
        b.check(
            CheckStatus::Block,
            PreconditionCode::Purpose,
            format!("{node}'s replication certificate is replaced in place by its rotation (the old files are kept beside it as *.rdqm-console.<time>): there is nothing in a key repository to retire"),
        );
        return;
    }
    // Still in use: a label that presents it, or a channel that saw it last.
    if let Purpose::QmgrKeyRepository { qmgr } = &cert.purpose
        && cert.personal
    {
        if inv.qmgr_labels.get(qmgr).map(String::as_str) == Some(t.label) {
            b.check(CheckStatus::Block, PreconditionCode::InUse, format!("{qmgr}'s CERTLABL is {}: it still presents this certificate", t.label));
        }
        for c in inv.channels.iter().filter(|c| &c.qmgr == qmgr && c.own_certlabl && c.certlabl == t.label) {
            b.check(CheckStatus::Block, PreconditionCode::InUse, format!("{qmgr}'s channel {} has CERTLABL({})", c.name, t.label));
        }
    }
    if matches!(cert.purpose, Purpose::MqiptClient { .. } | Purpose::MqiptServer { .. })
        && cert.personal
        && let Some((_, parsed)) = read_conf(ctx)
    {
        for route in parsed.routes() {
            for (ring, label) in [("SSLClientKeyRing", "SSLClientSiteLabel"), ("SSLServerKeyRing", "SSLServerSiteLabel")] {
                if route.get(ring).is_some_and(|r| r.trim() == t.store) && route.get(label).is_some_and(|l| l.trim() == t.label) {
                    b.check(CheckStatus::Block, PreconditionCode::InUse, format!("MQIPT route {} still presents it ({label}={})", route.listener_port().unwrap_or("?"), t.label));
                }
            }
        }
    }
    // A signer is retired only when no certificate in use was issued by it.
    if !cert.personal {
        let issued: Vec<String> = inv
            .certificates
            .iter()
            .filter(|c| c.personal && c.issuer.eq_ignore_ascii_case(&cert.subject) && c.subject != cert.subject)
            .map(|c| format!("{} in {} on {}", c.label, c.store, c.host))
            .collect();
        if !issued.is_empty() {
            b.check(CheckStatus::Block, PreconditionCode::InUse, format!("{} issued certificates still in use ({}): the stores that check them would refuse them without it", cert.subject, issued.join("; ")));
        }
    }
    let serial_digits = |s: &str| s.chars().filter(char::is_ascii_hexdigit).collect::<String>().to_ascii_uppercase();
    for c in inv.channels.iter().filter_map(|c| Some((c, c.status.as_ref()?))) {
        if c.1.status == "RUNNING" && cert.personal && serial_digits(c.1.sslpeer.split(',').next().unwrap_or("")).ends_with(&serial_digits(&cert.serial)) {
            b.check(CheckStatus::Block, PreconditionCode::InUse, format!("{}'s channel {} last saw this certificate (SSLPEER {}): it is still presented", c.0.qmgr, c.0.name, c.1.sslpeer));
        }
    }
    // The same certificate trusted elsewhere (a self-signed one added to partners).
    let copies: Vec<&CertView> = inv
        .certificates
        .iter()
        .filter(|c| !c.personal && (c.host != t.host || c.store != t.store) && c.subject == cert.subject && c.serial == cert.serial)
        .collect();
    let mut seen = std::collections::BTreeSet::new();
    let mut where_from: Vec<(String, &CertView)> = Vec::new();
    for copy in copies {
        match written_on(ctx, &copy.host, &copy.purpose) {
            Ok(host) if seen.insert((host.clone(), copy.store.clone())) => where_from.push((host, copy)),
            Ok(_) => {}
            Err(why) => b.check(CheckStatus::Block, PreconditionCode::WrittenOn, why),
        }
    }
    let owner = match written_on(ctx, t.host, &cert.purpose) {
        Ok(host) => host,
        Err(why) => {
            b.check(CheckStatus::Block, PreconditionCode::WrittenOn, why);
            return;
        }
    };
    if b.blocked() {
        return;
    }
    b.check(CheckStatus::Pass, PreconditionCode::InUse, format!("nothing presents {} any more", t.label));
    for (host, copy) in &where_from {
        let prog = program(&copy.purpose);
        let kept = format!("{}/{}.retired.arm", dir_of(&copy.store), copy.label);
        b.step(host, format!("Keep a copy of {} from {}", copy.label, copy.store), Action::exec(prog, &["-cert", "-extract", "-db", &copy.store, "-stashed", "-label", &copy.label, "-target", &kept, "-format", "ascii"]), format!("{kept} written"), Verify::ExitZero);
        b.step(host, format!("Remove {} from {}", copy.label, copy.store), Action::exec(prog, &["-cert", "-delete", "-db", &copy.store, "-stashed", "-label", &copy.label]), format!("{} no longer listed", copy.label), Verify::CertAbsent { program: prog.into(), db: copy.store.clone(), label: copy.label.clone() })
            .undo = vec![undo(host, Action::exec(prog, &["-cert", "-add", "-db", &copy.store, "-stashed", "-label", &copy.label, "-file", &kept, "-format", "ascii"]), Verify::CertPresent { program: prog.into(), db: copy.store.clone(), label: copy.label.clone(), subject: copy.subject.clone() })];
    }
    let prog = program(&cert.purpose);
    let step = b.step(&owner, format!("Remove {} from {}", t.label, t.store), Action::exec(prog, &["-cert", "-delete", "-db", t.store, "-stashed", "-label", t.label]), format!("{} no longer listed", t.label), Verify::CertAbsent { program: prog.into(), db: t.store.into(), label: t.label.into() });
    if cert.personal {
        step.irreversible = Some(format!("the private key of {} is deleted with it; nothing presents it any more", t.label));
    }
    let mut refreshed = std::collections::BTreeSet::new();
    for (host, purpose) in where_from.iter().map(|(h, c)| (h.clone(), &c.purpose)).chain(std::iter::once((owner.clone(), &cert.purpose))) {
        match purpose {
            Purpose::QmgrKeyRepository { qmgr } if refreshed.insert(qmgr.clone()) => refresh_qmgr(b, &host, qmgr, &format!("{qmgr} loads its key repository again")),
            Purpose::MqiptClient { instance } | Purpose::MqiptServer { instance } if refreshed.insert(instance.clone()) => refresh_mqipt(ctx, b, &host, "MQIPT loads its keystores again"),
            _ => {}
        }
    }
}
