//! The certificate inventory: every configured key repository and keystore (through
//! `runmqakm`/`mqiptKeycmd` on its host) and each node's replication certificate (the PEM files
//! its `tlshd.conf` names), read over SSH in one batch per host per step, analysed in `model`.

use crate::config::Config;
use crate::fleet::{Cmd, RemoteExec};
use model::certs::{self, CertInventory, CertView, Purpose, StoreError};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use x509_parser::prelude::*;

#[derive(Debug, Clone)]
struct Store {
    host: String,
    path: String,
    purpose: Purpose,
    program: &'static str,
}

pub struct CertCollector {
    exec: Arc<dyn RemoteExec>,
    /// Where queue managers run and what the MQIPT routes say (for the channel cross-check).
    pub poller: Option<Arc<crate::fleet::poller::Poller>>,
    stores: Vec<Store>,
    tlshd: Vec<(String, String)>,
    current: RwLock<Option<Arc<CertInventory>>>,
    timeout: Duration,
    /// When a rotation is proposed.
    policy: model::cert_policy::CertPolicy,
}

use crate::clock::now_ms;

/// Every certificate in a PEM text, as the console shows certificates.
fn pem_certs(text: &str, host: &str, store: &str, purpose: &Purpose, personal: bool) -> Result<Vec<CertView>, String> {
    let mut out = Vec::new();
    for (i, pem) in Pem::iter_from_buffer(text.as_bytes()).enumerate() {
        let pem = pem.map_err(|e| format!("not PEM: {e}"))?;
        let cert = pem.parse_x509().map_err(|e| format!("certificate {} unreadable: {e}", i + 1))?;
        let san_dns = match cert.subject_alternative_name() {
            Ok(Some(san)) => san.value.general_names.iter().filter_map(|n| if let GeneralName::DNSName(d) = n { Some(d.to_string()) } else { None }).collect(),
            _ => Vec::new(),
        };
        let to_ms = |t: &ASN1Time| u64::try_from(t.timestamp()).ok().map(|s| s * 1000);
        out.push(CertView {
            host: host.to_string(),
            store: store.to_string(),
            purpose: purpose.clone(),
            label: mq_dn(cert.subject()).split(',').next().unwrap_or("").trim_start_matches("CN=").to_string(),
            personal,
            trusted: !personal,
            subject: mq_dn(cert.subject()),
            issuer: mq_dn(cert.issuer()),
            serial: cert.raw_serial().iter().map(|b| format!("{b:02x}")).collect(),
            key_bits: cert.public_key().parsed().ok().map(|k| k.key_size() as u32),
            signature: Some(cert.signature_algorithm.algorithm.to_id_string()).map(|oid| match oid.as_str() {
                "1.2.840.113549.1.1.11" => "SHA256WithRSASignature".into(),
                "1.2.840.113549.1.1.5" => "SHA1WithRSASignature".into(),
                "1.2.840.113549.1.1.4" => "MD5WithRSASignature".into(),
                other => other.to_string(),
            }),
            not_before: to_ms(&cert.validity().not_before),
            not_after: to_ms(&cert.validity().not_after),
            san_dns,
        });
    }
    if out.is_empty() {
        return Err("no certificate in it".into());
    }
    Ok(out)
}

/// What one `runmqsc` reads of a queue manager for the channel cross-check.
const CHANNEL_MQSC: &[u8] = b"DISPLAY QMGR CERTLABL\nDISPLAY CHANNEL(*)\nDISPLAY CHSTATUS(*) SSLPEER SSLCERTI\n";

/// The channels in `runmqsc` output of [`CHANNEL_MQSC`]: TLS channels and message channels
/// (a pair with TLS at one end only cannot start), each with its status if it has one.
/// `SYSTEM.*` channels are MQ's templates and are left out.
fn channels_of(host: &str, qmgr: &str, text: &str) -> Result<(Vec<certs::ChannelView>, String), String> {
    let parsed = model::mqsc::parse(text);
    // Without the queue manager's own block runmqsc did not reach it (AMQ8146E and the like).
    let Some(qm) = parsed.objects.iter().find(|o| o.message == "AMQ8408I") else {
        let first = text.lines().map(str::trim).find(|l| !l.is_empty());
        return Err(parsed.errors.first().map(String::as_str).or(first).unwrap_or("runmqsc printed nothing").to_string());
    };
    let get = |o: &model::mqsc::MqscObject, k: &str| o.get(k).unwrap_or("").trim().to_string();
    // MQ's default certificate label, for a queue manager that shows none.
    let qm_label = Some(get(qm, "CERTLABL")).filter(|l| !l.is_empty()).unwrap_or_else(|| format!("ibmwebspheremq{}", qmgr.to_ascii_lowercase()));
    let mut status: std::collections::BTreeMap<String, certs::ChannelStatusView> = Default::default();
    for o in parsed.objects.iter().filter(|o| o.message == "AMQ8417I") {
        let view = certs::ChannelStatusView { status: get(o, "STATUS"), conname: get(o, "CONNAME"), sslpeer: get(o, "SSLPEER"), sslcerti: get(o, "SSLCERTI") };
        // A channel with several instances (a SVRCONN): the first running one speaks for it.
        let name = get(o, "CHANNEL");
        if status.get(&name).is_none_or(|s| s.status != "RUNNING" && view.status == "RUNNING") {
            status.insert(name, view);
        }
    }
    let mut out = Vec::new();
    for ch in parsed.objects.iter().filter(|o| o.message == "AMQ8414I") {
        let (name, chltype, sslciph) = (get(ch, "CHANNEL"), get(ch, "CHLTYPE"), get(ch, "SSLCIPH"));
        if name.starts_with("SYSTEM.") || (sslciph.is_empty() && !model::channels::is_message_channel(&chltype)) {
            continue;
        }
        let own_label = get(ch, "CERTLABL");
        out.push(certs::ChannelView {
            host: host.to_string(),
            qmgr: qmgr.to_string(),
            status: status.get(&name).cloned(),
            name,
            chltype,
            sslciph,
            sslcauth: get(ch, "SSLCAUTH"),
            sslpeer: get(ch, "SSLPEER"),
            own_certlabl: !own_label.is_empty(),
            certlabl: if own_label.is_empty() { qm_label.clone() } else { own_label },
        });
    }
    Ok((out, qm_label))
}

/// `key = value` of an INI-like file, first occurrence.
fn ini_value(text: &str, key: &str) -> Option<String> {
    text.lines().filter(|l| !l.trim_start().starts_with('#')).find_map(|l| {
        let (k, v) = l.split_once('=')?;
        (k.trim() == key).then(|| v.trim().to_string())
    })
}

impl CertCollector {
    pub fn new(config: &Config, exec: Arc<dyn RemoteExec>) -> Self {
        let mqipt_hosts: Vec<&str> = config.mqipt.iter().map(|m| m.host.as_str()).collect();
        let stores = config
            .keystores
            .iter()
            .filter_map(|k| {
                Some(Store {
                    host: k.host.clone(),
                    path: k.path.clone(),
                    purpose: k.purpose()?,
                    program: if mqipt_hosts.contains(&k.host.as_str()) { "mqiptKeycmd" } else { "runmqakm" },
                })
            })
            .collect();
        let tlshd = config.nodes.iter().filter_map(|n| n.tlshd_conf.clone().map(|c| (n.name.clone(), c))).collect();
        CertCollector { exec, poller: None, stores, tlshd, current: RwLock::new(None), timeout: Duration::from_secs(30), policy: config.cert_policy.clone() }
    }

    pub fn current(&self) -> Option<Arc<CertInventory>> {
        self.current.read().ok().and_then(|c| c.clone())
    }

    async fn run(&self, host: &str, cmds: &[Cmd]) -> Result<Vec<crate::fleet::CmdOutput>, String> {
        self.exec.run_batch(host, cmds, self.timeout).await.map_err(|e| e.to_string())
    }

    async fn read_store(&self, store: &Store, certs: &mut Vec<CertView>, errors: &mut Vec<StoreError>) {
        let err = |error: String| StoreError { host: store.host.clone(), store: store.path.clone(), error };
        let list = match self.run(&store.host, &[Cmd::new(store.program, ["-cert", "-list", "-db", store.path.as_str(), "-stashed"])]).await {
            Ok(mut out) if out.first().is_some_and(|o| o.exit_code == Some(0)) => model::runmqakm::parse_list(&out.remove(0).stdout),
            Ok(out) => return errors.push(err(out.first().map(|o| o.stdout.trim().to_string()).unwrap_or_default())),
            Err(e) => return errors.push(err(e)),
        };
        let cmds: Vec<Cmd> = list
            .certificates
            .iter()
            .map(|c| Cmd::new(store.program, ["-cert", "-details", "-db", store.path.as_str(), "-stashed", "-label", c.label.as_str()]))
            .collect();
        let outputs = match self.run(&store.host, &cmds).await {
            Ok(o) => o,
            Err(e) => return errors.push(err(e)),
        };
        for (entry, out) in list.certificates.iter().zip(outputs) {
            let d = model::runmqakm::parse_details(&out.stdout);
            if out.exit_code != Some(0) || d.label.is_none() {
                errors.push(err(format!("details of {}: {}", entry.label, out.stdout.trim())));
                continue;
            }
            certs.push(CertView {
                host: store.host.clone(),
                store: store.path.clone(),
                purpose: store.purpose.clone(),
                label: entry.label.clone(),
                personal: entry.personal,
                trusted: entry.trusted,
                subject: d.subject.clone().unwrap_or_default(),
                issuer: d.issuer.clone().unwrap_or_default(),
                serial: d.serial.clone().unwrap_or_default(),
                key_bits: d.key_size,
                signature: d.fields.get("signature_algorithm").map(|s| s.split(" (").next().unwrap_or(s).to_string()),
                not_before: d.not_before.as_deref().and_then(certs::parse_gsk_time),
                not_after: d.not_after.as_deref().and_then(certs::parse_gsk_time),
                san_dns: d.fields.get("extensions").map(|e| e.lines().filter_map(|l| l.strip_prefix("dNSName: ")).map(str::to_string).collect()).unwrap_or_default(),
            });
        }
    }

    async fn read_tlshd(&self, node: &str, conf_path: &str, certs: &mut Vec<CertView>, files: &mut Vec<certs::TlshdFiles>, errors: &mut Vec<StoreError>) {
        let err = |store: &str, error: String| StoreError { host: node.to_string(), store: store.to_string(), error };
        let conf = match self.run(node, &[Cmd::new("cat", [conf_path])]).await {
            Ok(out) if out.first().is_some_and(|o| o.exit_code == Some(0)) => out.into_iter().next().map(|o| o.stdout).unwrap_or_default(),
            Ok(out) => return errors.push(err(conf_path, out.first().map(|o| o.stdout.trim().to_string()).unwrap_or_default())),
            Err(e) => return errors.push(err(conf_path, e)),
        };
        let purpose = Purpose::Replication { node: node.to_string() };
        if let (Some(certificate), Some(private_key), Some(truststore)) = (ini_value(&conf, "x509.certificate"), ini_value(&conf, "x509.private_key"), ini_value(&conf, "x509.truststore")) {
            files.push(certs::TlshdFiles { node: node.to_string(), conf: conf_path.to_string(), certificate, private_key, truststore });
        }
        for (key, personal) in [("x509.certificate", true), ("x509.truststore", false)] {
            let Some(path) = ini_value(&conf, key) else {
                errors.push(err(conf_path, format!("{key} is not set")));
                continue;
            };
            match self.run(node, &[Cmd::new("cat", [path.as_str()])]).await {
                Ok(out) if out.first().is_some_and(|o| o.exit_code == Some(0)) => {
                    match pem_certs(&out[0].stdout, node, &path, &purpose, personal) {
                        Ok(found) => certs.extend(found),
                        Err(e) => errors.push(err(&path, e)),
                    }
                }
                Ok(out) => errors.push(err(&path, out.first().map(|o| o.stdout.trim().to_string()).unwrap_or_default())),
                Err(e) => errors.push(err(&path, e)),
            }
        }
    }

    /// One `runmqsc` per queue manager running in the estate, on its node, all at once: its
    /// channels (the TLS ones and the message channels that could pair with one) and their
    /// status.
    async fn read_channels(&self, channels: &mut Vec<certs::ChannelView>, labels: &mut std::collections::BTreeMap<String, String>, errors: &mut Vec<StoreError>) -> Vec<certs::RouteTls> {
        let Some(poller) = self.poller.as_ref() else { return Vec::new() };
        // Before the poller's first refresh (a console just started), read the estate now.
        let snapshot = match poller.current() {
            Some(snapshot) => snapshot,
            None => poller.refresh().await,
        };
        let running: Vec<(&str, &str)> = snapshot.qmgrs.iter().filter_map(|q| Some((q.name.as_str(), q.running_on.as_deref()?))).collect();
        let outputs = futures::future::join_all(running.iter().map(|&(qmgr, host)| async move {
            let cmd = Cmd::new("runmqsc", [qmgr]);
            self.exec.run(host, &cmd, Some(CHANNEL_MQSC), self.timeout).await
        }))
        .await;
        for (&(qmgr, host), out) in running.iter().zip(outputs) {
            let read = out.map_err(|e| e.to_string()).and_then(|out| channels_of(host, qmgr, &out.stdout));
            match read {
                Ok((found, label)) => {
                    channels.extend(found);
                    labels.insert(qmgr.to_string(), label);
                }
                Err(error) => errors.push(StoreError { host: host.to_string(), store: format!("runmqsc {qmgr}"), error }),
            }
        }
        snapshot
            .routes
            .iter()
            .filter_map(|r| {
                let prop = |k: &str| r.properties.iter().find(|(key, _)| key.eq_ignore_ascii_case(k)).map(|(_, v)| v.clone());
                Some(certs::RouteTls {
                    instance: r.instance.clone(),
                    qmgr: r.qmgr.clone()?,
                    listener_port: r.listener_port.clone(),
                    ssl_client: prop("SSLClient").is_some_and(|v| v.trim().eq_ignore_ascii_case("true")),
                    client_cipher_suites: prop("SSLClientCipherSuites"),
                })
            })
            .collect()
    }

    /// Reads every store now and publishes the inventory.
    pub async fn collect(&self) -> Arc<CertInventory> {
        let mut certs = Vec::new();
        let mut errors = Vec::new();
        for store in &self.stores {
            self.read_store(store, &mut certs, &mut errors).await;
        }
        let mut tlshd = Vec::new();
        for (node, conf) in &self.tlshd {
            self.read_tlshd(node, conf, &mut certs, &mut tlshd, &mut errors).await;
        }
        let mut channels = Vec::new();
        let mut qmgr_labels = std::collections::BTreeMap::new();
        let routes = self.read_channels(&mut channels, &mut qmgr_labels, &mut errors).await;
        let now = now_ms();
        let mut findings = certs::findings_with(&certs, &errors, now, &self.policy);
        findings.extend(certs::channel_findings(&channels, &certs, &routes));
        // The inventory lists TLS channels; the others were read only to check their partners.
        channels.retain(|c| !c.sslciph.is_empty());
        findings.sort_by_key(|f| f.severity);
        let inventory = Arc::new(CertInventory { collected_at: now, certificates: certs, channels, errors, findings, qmgr_labels, tlshd });
        if let Ok(mut current) = self.current.write() {
            *current = Some(Arc::clone(&inventory));
        }
        if let Some(poller) = &self.poller {
            poller.set_extra_findings(certs::summary_finding(&inventory).into_iter().collect());
        }
        inventory
    }

    /// Collects now, then every `interval`.
    pub fn spawn(self: &Arc<Self>, interval: Duration) -> tokio::task::JoinHandle<()> {
        let collector = Arc::clone(self);
        tokio::spawn(async move {
            // The channel cross-check needs to know where queue managers run: wait (briefly)
            // for the first refresh of the estate.
            for _ in 0..30 {
                if collector.poller.as_ref().is_none_or(|p| p.current().is_some()) {
                    break;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            loop {
                collector.collect().await;
                tokio::time::sleep(interval).await;
            }
        })
    }
}

/// A DN as MQ and GSKit show it (`model::certs::mq_dn`).
fn mq_dn(name: &x509_parser::x509::X509Name) -> String {
    let attributes: Vec<(String, String)> =
        name.iter_attributes().map(|a| (a.attr_type().to_id_string(), a.as_str().unwrap_or("?").to_string())).collect();
    model::certs::mq_dn(attributes.iter().map(|(oid, value)| (oid.as_str(), value.as_str())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_and_their_status_from_one_runmqsc() {
        let text = "\
     1 : DISPLAY QMGR CERTLABL
AMQ8408I: Display Queue Manager details.
   QMNAME(QM2)                             CERTLABL( )

     2 : DISPLAY CHANNEL(*)
AMQ8414I: Display Channel details.
   CHANNEL(SYSTEM.DEF.RECEIVER)            CHLTYPE(RCVR)
AMQ8414I: Display Channel details.
   CHANNEL(QM1.TO.QM2)                     CHLTYPE(RCVR)
   CERTLABL( )                             SSLCIPH(ANY_TLS12_OR_HIGHER)
AMQ8414I: Display Channel details.
   CHANNEL(PLAIN)                          CHLTYPE(SDR)
AMQ8414I: Display Channel details.
   CHANNEL(APP.SVRCONN)                    CHLTYPE(SVRCONN)

     3 : DISPLAY CHSTATUS(*) SSLPEER SSLCERTI
AMQ8417I: Display Channel Status details.
   CHANNEL(QM1.TO.QM2)                     CHLTYPE(RCVR)
   CONNAME(10.241.2.5)                     CURRENT
   RQMNAME(QM1)
   SSLCERTI(CN=QM1,OU=SSL For MQ,O=IBM,ST=MA,C=US)
   SSLPEER(SERIALNUMBER=78:40:26:54:E5:D4:80:E4,CN=QM1,OU=SSL For MQ,O=IBM,ST=MA,C=US)
   STATUS(RUNNING)                         SUBSTATE(RECEIVE)
";
        let (found, _) = channels_of("wdc1-mq1", "QM2", text).unwrap();
        let names: Vec<&str> = found.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["QM1.TO.QM2", "PLAIN"], "templates and channels without TLS that pair with nothing are left out");
        assert_eq!(found[0].certlabl, "ibmwebspheremqqm2", "MQ's default label");
        let status = found[0].status.as_ref().unwrap();
        assert_eq!((status.status.as_str(), status.conname.as_str(), status.sslcerti.as_str()), ("RUNNING", "10.241.2.5", "CN=QM1,OU=SSL For MQ,O=IBM,ST=MA,C=US"));
        assert!(status.sslpeer.starts_with("SERIALNUMBER=78:40"));
        assert_eq!(found[1].status, None);

        let refused = channels_of("wdc1-mq1", "QM2", "AMQ8146E: IBM MQ queue manager not available.\n").unwrap_err();
        assert_eq!(refused, "AMQ8146E: IBM MQ queue manager not available.");
        assert!(channels_of("wdc1-mq1", "QM2", "").is_err());
    }
}

