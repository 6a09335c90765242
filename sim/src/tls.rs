//! TLS as the simulated queue managers and MQIPT hold it: what each LOADED (key repository
//! content and certificate label at its start or its last `REFRESH SECURITY TYPE(SSL)`;
//! MQIPT's keystores at its start or `mqiptAdmin -refresh`), and the TLS channel pairs
//! decided from that, never from the console's rules (`model::sslpeer`, `model::channels`,
//! `model::certs`):
//!
//! - each end presents the personal certificate its CERTLABL names (the channel's, else the
//!   queue manager's, else MQ's default `ibmwebspheremq<qmgr>`) as loaded;
//! - each end accepts the other's certificate only if its loaded trust holds that
//!   certificate itself or a certificate whose key signed it (`openssl verify`), and the
//!   certificate is within its validity dates (else AMQ9633E, the other end AMQ9665E);
//! - each end's SSLPEER, when set, must match the DN the other presents ([`sslpeer_matches`],
//!   written from IBM's rules for SSLPEER values; else AMQ9636E, the other end AMQ9643E);
//! - the CipherSpec outcomes planted in [`crate::chstatus::PLANTED`] still apply (AMQ9631E).
//!
//! A pair that runs keeps what it negotiated until one of its queue managers restarts or
//! reloads (a refresh restarts its TLS channels); a pair that fails retries, so it is decided
//! again on every command with the channel definitions as they are then. When a pair starts
//! failing (or fails for a new reason) both queue managers log it in their error log,
//! `/var/mqm/qmgrs/<QM>/errors/AMQERR01.LOG` (on the queue manager's volume).

use crate::estate::{ActiveRoute, Estate, QueueManager};
use crate::fs::HostFs;
use crate::keystore::{self, StoredCert};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A certificate as a queue manager or MQIPT loaded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadedCert {
    pub label: String,
    pub subject: String,
    pub issuer: String,
    /// `5E:C8:76:52`, as SSLPEER shows it.
    pub serial: String,
    pub fingerprint: String,
    /// SHA-256 of its public key.
    pub public_key: String,
    pub not_before: i64,
    pub not_after: i64,
    pub self_signed: bool,
    /// The certificate itself, to check signatures against it later.
    pub pem: String,
}

impl LoadedCert {
    fn from_stored(s: &StoredCert) -> LoadedCert {
        let i = &s.info;
        LoadedCert {
            label: s.label.clone(),
            subject: i.subject.clone(),
            issuer: i.issuer.clone(),
            serial: i.serial.clone(),
            fingerprint: i.fingerprint.clone(),
            public_key: i.public_key.clone(),
            not_before: i.not_before,
            not_after: i.not_after,
            self_signed: i.self_signed,
            pem: s.pem.clone(),
        }
    }

    /// The DN its partner shows in SSLPEER: `SERIALNUMBER=..,CN=..` (seed 000).
    pub fn peer_dn(&self) -> String {
        format!("SERIALNUMBER={},{}", self.serial, self.subject)
    }
}

/// A key repository and certificate label as loaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadedTls {
    /// The key repository file, as its owner names it.
    pub keyring: String,
    /// The host whose copy was read.
    pub host: String,
    /// The certificate label in effect: a queue manager's CERTLABL (or MQ's default), an MQIPT
    /// route's site label.
    pub label: String,
    /// The certificate presented under that label (None: the repository has no such personal
    /// certificate).
    pub serial: Option<String>,
    pub subject: Option<String>,
    /// Taken from a counter at every load: a TLS channel restarts when an end's changes.
    pub generation: u64,
    pub loaded_at_ms: u64,
    /// SHA-256 of the repository's content when loaded (MQIPT restarts a route when it changes).
    pub digest: String,
    /// Why nothing could be loaded (no key repository): no TLS handshake succeeds.
    #[serde(default)]
    pub error: Option<String>,
    /// The CERTLABL of the queue manager's own channels as loaded.
    #[serde(default)]
    pub channel_labels: BTreeMap<String, String>,
    pub personal: Vec<LoadedCert>,
    pub trusted: Vec<LoadedCert>,
}

impl LoadedTls {
    pub fn presents(&self, label: &str) -> Option<&LoadedCert> {
        self.personal.iter().find(|c| c.label == label)
    }

    /// The certificate a channel of a queue manager presents: the channel's own CERTLABL as
    /// loaded, else the queue manager's.
    pub fn presented_by(&self, channel: &str) -> (String, Option<&LoadedCert>) {
        let label = self.channel_labels.get(channel).filter(|l| !l.trim().is_empty()).cloned().unwrap_or_else(|| self.label.clone());
        let cert = self.presents(&label);
        (label, cert)
    }
}

/// An MQIPT route's keystores as loaded: the server side (towards clients) and the client
/// side (towards the queue manager).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteTls {
    #[serde(default)]
    pub server: Option<LoadedTls>,
    #[serde(default)]
    pub client: Option<LoadedTls>,
}

impl RouteTls {
    /// What a refresh compares: the loaded content of each side and its label.
    pub fn fingerprint(&self) -> String {
        let side = |s: &Option<LoadedTls>| s.as_ref().map_or_else(String::new, |t| format!("{}|{}|{}", t.keyring, t.label, t.digest));
        format!("{}#{}", side(&self.server), side(&self.client))
    }
}

/// What a partner saw of a certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerView {
    /// SSLPEER: `SERIALNUMBER=..,CN=..`.
    pub dn: String,
    /// SSLCERTI.
    pub issuer: String,
}

impl PeerView {
    fn of(cert: &LoadedCert) -> PeerView {
        PeerView { dn: cert.peer_dn(), issuer: cert.issuer.clone() }
    }
}

/// A TLS channel pair as it last started, or failed to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsLink {
    pub sender_qmgr: String,
    pub receiver_qmgr: String,
    pub sender_node: String,
    pub receiver_node: String,
    pub running: bool,
    /// Why it does not run: the message the rejecting end logged (`AMQ9636E: …`).
    #[serde(default)]
    pub error: Option<String>,
    /// What each end was shown by the other (a running pair).
    #[serde(default)]
    pub sender_cert: Option<PeerView>,
    #[serde(default)]
    pub receiver_cert: Option<PeerView>,
    /// The generations of the two ends' loaded TLS when it was decided.
    pub generations: (u64, u64),
    pub since_ms: u64,
}

/// What a node's tlshd (the kernel TLS handshake daemon of DRBD's replication, seed 002)
/// loaded from the files its `/etc/tlshd.conf` names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadedTlshd {
    pub certificate: String,
    pub private_key: String,
    pub truststore: String,
    /// The certificate presented: its serial (`10:00`), subject, issuer and fingerprint.
    pub serial: Option<String>,
    pub subject: Option<String>,
    pub issuer: Option<String>,
    pub fingerprint: Option<String>,
    /// The subjects and serials of the trust bundle's certificates.
    #[serde(default)]
    pub trusted: Vec<(String, String)>,
    pub loaded_at_ms: u64,
    /// Why it could not load (tlshd fails to reload then).
    #[serde(default)]
    pub error: Option<String>,
}

/// A `key=value` of a section of `tlshd.conf` (`[authenticate.server]`, else `.client`).
fn tlshd_value(conf: &str, key: &str) -> Option<String> {
    let mut section = String::new();
    let mut found: Vec<(String, String)> = Vec::new();
    for line in conf.lines().map(str::trim) {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.trim().to_string();
        } else if let Some((k, v)) = line.split_once('=')
            && !line.starts_with('#')
            && k.trim() == key
        {
            found.push((section.clone(), v.trim().to_string()));
        }
    }
    ["authenticate.server", "authenticate.client", "authenticate"]
        .iter()
        .find_map(|s| found.iter().find(|(sec, _)| sec == s).map(|(_, v)| v.clone()))
}

/// tlshd on `node` loads its configuration and the files it names (as the node sees them:
/// inside its directory of the lab when that is where they are).
pub fn load_tlshd(fs: &dyn HostFs, node: &str, now_ms: u64) -> LoadedTlshd {
    let on_node = |path: &str| {
        let inside = fs.host_path(node, path);
        if fs.exists(&inside) { inside } else { path.to_string() }
    };
    let mut loaded = LoadedTlshd {
        certificate: String::new(),
        private_key: String::new(),
        truststore: String::new(),
        serial: None,
        subject: None,
        issuer: None,
        fingerprint: None,
        trusted: Vec::new(),
        loaded_at_ms: now_ms,
        error: None,
    };
    let conf = match fs.read(&on_node("/etc/tlshd.conf")) {
        Ok(conf) => conf,
        Err(e) => {
            loaded.error = Some(format!("/etc/tlshd.conf: {e}"));
            return loaded;
        }
    };
    loaded.certificate = tlshd_value(&conf, "x509.certificate").unwrap_or_default();
    loaded.private_key = tlshd_value(&conf, "x509.private_key").unwrap_or_default();
    loaded.truststore = tlshd_value(&conf, "x509.truststore").unwrap_or_default();
    match fs.read(&on_node(&loaded.certificate)).map_err(|e| e.to_string()).and_then(|pem| crate::pki::CertInfo::from_pem(&pem)) {
        Ok(info) => {
            loaded.serial = Some(info.serial);
            loaded.subject = Some(info.subject);
            loaded.issuer = Some(info.issuer);
            loaded.fingerprint = Some(info.fingerprint);
        }
        Err(e) => loaded.error = Some(format!("{}: {e}", loaded.certificate)),
    }
    if loaded.error.is_none() && fs.read(&on_node(&loaded.private_key)).is_err() {
        loaded.error = Some(format!("{}: cannot be read", loaded.private_key));
    }
    match fs.read_bytes(&on_node(&loaded.truststore)) {
        Ok(bundle) => {
            for pem in x509_parser::pem::Pem::iter_from_buffer(&bundle).flatten() {
                if let Ok(info) = crate::pki::CertInfo::from_der(&pem.contents) {
                    loaded.trusted.push((info.subject, info.serial));
                }
            }
        }
        Err(e) => {
            loaded.error.get_or_insert(format!("{}: {e}", loaded.truststore));
        }
    }
    loaded
}

/// MQ's default certificate label of a queue manager.
pub fn default_label(qm: &str) -> String {
    format!("ibmwebspheremq{}", qm.to_ascii_lowercase())
}

fn next_generation(estate: &mut Estate) -> u64 {
    estate.tls_loads += 1;
    estate.tls_loads
}

/// Reads a key repository (`path` as `host` names it) as a queue manager or MQIPT loads it.
pub fn load_keyring(fs: &dyn HostFs, host: &str, path: &str, label: &str, now_ms: u64, generation: u64) -> LoadedTls {
    load_file(fs, host, path, &fs.host_path(host, path), label, now_ms, generation)
}

/// The same, from the file `file` (a client's key repository, named as its command gave it).
pub fn load_file(fs: &dyn HostFs, host: &str, path: &str, file: &str, label: &str, now_ms: u64, generation: u64) -> LoadedTls {
    let mut loaded = LoadedTls {
        keyring: path.to_string(),
        host: host.to_string(),
        label: label.to_string(),
        serial: None,
        subject: None,
        generation,
        loaded_at_ms: now_ms,
        digest: String::new(),
        error: None,
        channel_labels: BTreeMap::new(),
        personal: Vec::new(),
        trusted: Vec::new(),
    };
    match keystore::read_store(fs, file) {
        Ok((certs, digest)) => {
            loaded.digest = digest;
            for cert in &certs {
                let target = if cert.personal { &mut loaded.personal } else { &mut loaded.trusted };
                target.push(LoadedCert::from_stored(cert));
            }
            if let Some((serial, subject)) = loaded.presents(label).map(|c| (c.serial.clone(), c.subject.clone())) {
                loaded.serial = Some(serial);
                loaded.subject = Some(subject);
            }
        }
        Err(why) => loaded.error = Some(why),
    }
    loaded
}

/// A queue manager loads its key repository (SSLKEYR + `.kdb`) and CERTLABL on `node`.
fn load_qm(fs: &dyn HostFs, qm: &QueueManager, node: &str, now_ms: u64, generation: u64) -> LoadedTls {
    let keyr = qm.attribute("SSLKEYR");
    let label = Some(qm.attribute("CERTLABL")).filter(|l| !l.is_empty()).map_or_else(|| default_label(&qm.name), str::to_string);
    let mut loaded = if keyr.is_empty() {
        LoadedTls { error: Some("SSLKEYR is blank".into()), ..load_keyring(fs, node, "", &label, now_ms, generation) }
    } else {
        load_keyring(fs, node, &format!("{keyr}.kdb"), &label, now_ms, generation)
    };
    loaded.channel_labels = qm.channels.iter().filter(|c| !c.get("CERTLABL").is_empty()).map(|c| (c.name.clone(), c.get("CERTLABL").to_string())).collect();
    loaded
}

/// `REFRESH SECURITY TYPE(SSL)` (and a start): the queue manager loads its TLS anew where it runs.
pub fn reload_qm(estate: &mut Estate, fs: &dyn HostFs, index: usize, now_ms: u64) {
    let Some(node) = estate.running_on(&estate.qmgrs[index]).first().map(|n| n.name.clone()) else {
        estate.qmgrs[index].tls = None;
        return;
    };
    let generation = next_generation(estate);
    let loaded = load_qm(fs, &estate.qmgrs[index], &node, now_ms, generation);
    estate.qmgrs[index].tls = Some(loaded);
}

/// An MQIPT route's keystores and site labels as it loads them at its start or refresh.
pub fn load_route(estate: &mut Estate, fs: &dyn HostFs, bastion: &str, route: &ActiveRoute, now_ms: u64) -> Option<RouteTls> {
    let side = |estate: &mut Estate, on: &str| -> Option<LoadedTls> {
        if !route.ssl_flag(on) {
            return None;
        }
        let ring = route.ssl_property(&format!("{on}KeyRing")).unwrap_or("").to_string();
        let label = route.ssl_property(&format!("{on}SiteLabel")).unwrap_or("").to_string();
        let generation = next_generation(estate);
        Some(if ring.is_empty() {
            LoadedTls { error: Some(format!("{on}KeyRing is not set")), ..load_keyring(fs, bastion, "", &label, now_ms, generation) }
        } else {
            load_keyring(fs, bastion, &ring, &label, now_ms, generation)
        })
    };
    let server = side(estate, "SSLServer");
    let client = side(estate, "SSLClient");
    (server.is_some() || client.is_some()).then_some(RouteTls { server, client })
}

/// What has not been loaded since it started is loaded now: every running queue manager's
/// key repository and every running MQIPT route's keystores. Then the signatures between
/// loaded certificates are checked once.
pub fn ensure_loaded(estate: &mut Estate, fs: &dyn HostFs, now_ms: u64) {
    for node in estate.regions.iter_mut().flat_map(|r| r.nodes.iter_mut()) {
        if node.up && node.tlshd.is_none() {
            node.tlshd = Some(load_tlshd(fs, &node.name, now_ms));
        }
    }
    for i in 0..estate.qmgrs.len() {
        if estate.qmgrs[i].tls.is_none() && !estate.running_on(&estate.qmgrs[i]).is_empty() {
            reload_qm(estate, fs, i, now_ms);
        }
    }
    for b in 0..estate.bastions.len() {
        let bastion = estate.bastions[b].name.clone();
        for m in 0..estate.bastions[b].mqipt.len() {
            if !estate.bastions[b].mqipt[m].running {
                continue;
            }
            for r in 0..estate.bastions[b].mqipt[m].active_routes.len() {
                let route = estate.bastions[b].mqipt[m].active_routes[r].clone();
                let wants = route.ssl_flag("SSLServer") || route.ssl_flag("SSLClient");
                if wants && route.tls.is_none() {
                    let tls = load_route(estate, fs, &bastion, &route, now_ms);
                    estate.bastions[b].mqipt[m].active_routes[r].tls = tls;
                }
            }
        }
    }
    check_signatures(estate);
}

fn every_loaded(estate: &Estate) -> Vec<&LoadedTls> {
    let qms = estate.qmgrs.iter().filter_map(|q| q.tls.as_ref());
    let routes = estate
        .bastions
        .iter()
        .flat_map(|b| b.mqipt.iter())
        .flat_map(|i| i.active_routes.iter())
        .filter_map(|r| r.tls.as_ref())
        .flat_map(|t| [t.server.as_ref(), t.client.as_ref()])
        .flatten();
    qms.chain(routes).collect()
}

fn signature_key(child: &LoadedCert, issuer: &LoadedCert) -> String {
    format!("{}>{}", child.fingerprint, issuer.fingerprint)
}

/// Checks (once, with `openssl verify`) whether each loaded trusted certificate signed each
/// loaded personal certificate that names it as issuer; forgets pairs no longer loaded.
fn check_signatures(estate: &mut Estate) {
    let loaded = every_loaded(estate);
    let personal: Vec<&LoadedCert> = loaded.iter().flat_map(|t| t.personal.iter()).collect();
    let trusted: Vec<&LoadedCert> = loaded.iter().flat_map(|t| t.trusted.iter()).collect();
    let mut wanted: BTreeMap<String, (String, String)> = BTreeMap::new();
    for child in personal.iter().filter(|c| !c.self_signed) {
        for issuer in trusted.iter().filter(|t| t.subject == child.issuer && t.fingerprint != child.fingerprint) {
            wanted.entry(signature_key(child, issuer)).or_insert_with(|| (child.pem.clone(), issuer.pem.clone()));
        }
    }
    estate.tls_signatures.retain(|k, _| wanted.contains_key(k));
    for (key, (child, issuer)) in wanted {
        estate.tls_signatures.entry(key).or_insert_with(|| crate::pki::signed_by(&child, &issuer));
    }
}

/// Why a certificate is not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejected {
    Expired,
    NotYetValid,
    Untrusted,
}

/// The machine's clock, in seconds: certificates are real, and their dates are checked
/// against real time (the simulated clock of the in-memory tests is the seed's, in 2022).
pub fn wall_clock_s() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// Whether a party whose loaded trust is `trusted` accepts `cert` at `now_s`: within its
/// dates, and the certificate itself is trusted, or (a self-signed one) a trusted certificate
/// with its name and key, or (a signed one) a trusted certificate whose key signed it.
pub fn accepts(signatures: &BTreeMap<String, bool>, trusted: &[LoadedCert], cert: &LoadedCert, now_s: i64) -> Result<(), Rejected> {
    if now_s > cert.not_after {
        return Err(Rejected::Expired);
    }
    if now_s < cert.not_before {
        return Err(Rejected::NotYetValid);
    }
    if trusted.iter().any(|t| t.fingerprint == cert.fingerprint) {
        return Ok(());
    }
    if cert.self_signed {
        return if trusted.iter().any(|t| t.subject == cert.subject && t.public_key == cert.public_key) { Ok(()) } else { Err(Rejected::Untrusted) };
    }
    let signed = trusted.iter().filter(|t| t.subject == cert.issuer).any(|t| {
        signatures.get(&signature_key(cert, t)).copied().unwrap_or_else(|| crate::pki::signed_by(&cert.pem, &t.pem))
    });
    if signed { Ok(()) } else { Err(Rejected::Untrusted) }
}

/// One attribute of a DN or an SSLPEER filter: the type upper-cased (`ST` for `SP`/`S`), the
/// value without surrounding blanks or double quotes.
fn dn_parts(text: &str) -> Option<Vec<(String, String)>> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut pieces = Vec::new();
    for c in text.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            ',' | ';' if !quoted => pieces.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    pieces.push(current);
    for piece in pieces.iter().map(|p| p.trim()).filter(|p| !p.is_empty()) {
        let (key, value) = piece.split_once('=')?;
        // IBM's rules: no blank between the type and `=`.
        if key.ends_with(' ') || key.trim().is_empty() {
            return None;
        }
        let key = match key.trim().to_ascii_uppercase().as_str() {
            "SP" | "S" => "ST".to_string(),
            "E" => "MAIL".to_string(),
            "USERID" => "UID".to_string(),
            other => other.to_string(),
        };
        let value = value.trim();
        let value = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(value);
        parts.push((key, value.to_string()));
    }
    Some(parts)
}

/// A filter value against a DN value: case-insensitive; one `*` at the start, the end or
/// both makes it generic, `*` alone matches anything.
fn value_matches(pattern: &str, value: &str) -> bool {
    let (p, v) = (pattern.to_lowercase(), value.to_lowercase());
    match (p.strip_prefix('*'), p.strip_suffix('*')) {
        _ if p == "*" => true,
        (Some(rest), _) if rest.ends_with('*') => v.contains(&rest[..rest.len() - 1]),
        (Some(rest), _) => v.ends_with(rest),
        (None, Some(rest)) => v.starts_with(rest),
        (None, None) => p == v,
    }
}

/// Whether `dn` (as a partner presents it, `SERIALNUMBER=..,CN=..,OU=..`) passes the SSLPEER
/// filter, written from IBM's "rules for SSLPEER values": `,` or `;` separate attributes,
/// blanks around them are ignored, types compare upper-cased, values match irrespective of
/// case and may be generic with `*`; every attribute the filter names must be in the DN (the
/// others are not checked) and attributes of one type (several OUs) match in their order. A
/// blank filter accepts any DN; a filter that cannot be read accepts none.
pub fn sslpeer_matches(filter: &str, dn: &str) -> bool {
    if filter.trim().is_empty() {
        return true;
    }
    let (Some(wanted), Some(have)) = (dn_parts(filter), dn_parts(dn)) else { return false };
    let mut by_type: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (k, v) in &have {
        by_type.entry(k.as_str()).or_default().push(v.as_str());
    }
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    wanted.iter().all(|(k, pattern)| {
        let nth = seen.entry(k.as_str()).or_insert(0);
        let value = by_type.get(k.as_str()).and_then(|vs| vs.get(*nth));
        *nth += 1;
        value.is_some_and(|v| value_matches(pattern, v))
    })
}

/// One end of a TLS pair.
struct End<'a> {
    qm: &'a QueueManager,
    channel: &'a crate::estate::Channel,
    node: String,
    ip: String,
}

/// What a pair's handshake comes to.
struct Decision {
    running: bool,
    sender_cert: Option<PeerView>,
    receiver_cert: Option<PeerView>,
    /// (which end logs: true for the sender, message) for each end that logs.
    logs: Vec<(bool, LogMessage)>,
    error: Option<String>,
}

/// An error-log message: its first line and its explanation and action.
pub struct LogMessage {
    pub title: String,
    pub inserts: [String; 3],
    pub remote: String,
    pub explanation: String,
    pub action: String,
}

pub(crate) fn msg_bad_cert(channel: &str, remote: &str, cert: Option<&LoadedCert>, why: Rejected) -> LogMessage {
    let (issuer, serial, subject) = cert.map_or((String::new(), String::new(), String::new()), |c| (c.issuer.clone(), c.serial.replace(':', "").to_lowercase(), c.subject.clone()));
    let code = match why {
        Rejected::Expired => "575027",
        Rejected::NotYetValid => "575028",
        Rejected::Untrusted => "575010",
    };
    LogMessage {
        title: format!("AMQ9633E: Bad SSL certificate for channel '{channel}'."),
        inserts: [channel.to_string(), remote.to_string(), code.to_string()],
        remote: remote.to_string(),
        explanation: format!(
            "A certificate encountered during SSL handshaking is regarded as bad for one of the following reasons:\n(a) it was formatted incorrectly and could not be validated\n(b) it was formatted correctly but failed validation against the Certification Authority (CA) root and other certificates held on the local system\n(c) it was found in a Certification Revocation List (CRL) on an LDAP server\n(d) a CRL was specified but the CRL could not be found on the LDAP server\n(e) an OCSP responder has indicated that it is revoked\n\nThe channel is '{channel}'. The remote host is '{remote}'. The channel did not start.\n\nThe details of the certificate which could not be validated are '[Class=]GSKVALMethod::X509[Issuer=]{issuer}[#=]{serial}[Subject=]{subject}'.\n\nThe certificate validation error was {code}."
        ),
        action: "Check which of the possible causes applies on your system. Correct the error, and restart the channel.\n\nThis error might indicate that the remote end of the channel is configured to send the wrong certificate. Check the certificate label configuration at the remote end of the channel and ensure that the local key repository contains all of the necessary CA certificates.".into(),
    }
}

pub(crate) fn msg_closed(channel: &str, remote: &str) -> LogMessage {
    LogMessage {
        title: format!("AMQ9665E: SSL connection closed by remote end of channel '{channel}'."),
        inserts: [channel.to_string(), remote.to_string(), String::new()],
        remote: remote.to_string(),
        explanation: format!("The SSL or TLS connection was closed by the remote host '{remote}' during the secure socket handshake. The channel is '{channel}'. The channel did not start."),
        action: "Check the remote end of the channel for SSL and TLS-related errors. Fix them and restart the channel.".into(),
    }
}

pub(crate) fn msg_peer(channel: &str, remote: &str, dn: &str) -> LogMessage {
    LogMessage {
        title: format!("AMQ9636E: SSL distinguished name does not match peer name, channel '{channel}'."),
        inserts: [channel.to_string(), dn.to_string(), remote.to_string()],
        remote: remote.to_string(),
        explanation: format!(
            "The distinguished name, '{dn}', contained in the SSL certificate for the remote end of the channel does not match the local SSL peer name for channel '{channel}'. The distinguished name at the remote host '{remote}' must match the peer name specified (which can be generic) before the channel can be started."
        ),
        action: "If this remote system should be allowed to connect, either change the SSL peer name specification for the local channel so that it matches the distinguished name in the SSL certificate for the remote end of the channel, or obtain the correct certificate for the remote end of the channel.\n\nThis error might indicate that the remote end of the channel is configured to use the wrong certificate. Check the certificate label for the remote end of the channel.\n\nRestart the channel.".into(),
    }
}

pub(crate) fn msg_remote_peer(channel: &str, remote: &str) -> LogMessage {
    LogMessage {
        title: format!("AMQ9643E: Remote SSL peer name error for channel '{channel}'."),
        inserts: [channel.to_string(), remote.to_string(), String::new()],
        remote: remote.to_string(),
        explanation: format!("The remote end of channel '{channel}' on host '{remote}' has reported that the distinguished name in the SSL certificate this end presented does not match the SSL peer name of its channel. The channel did not start."),
        action: "Check the certificate label of the local end of the channel and the SSL peer name of the remote end. Correct the error and restart the channel.".into(),
    }
}

pub(crate) fn msg_no_cert(channel: &str, remote: &str, label: &str) -> LogMessage {
    LogMessage {
        title: format!("AMQ9642E: No SSL or TLS certificate for channel '{channel}'."),
        inserts: [channel.to_string(), label.to_string(), remote.to_string()],
        remote: remote.to_string(),
        explanation: format!("The channel '{channel}' did not supply a certificate to use during SSL or TLS handshaking: the key repository has no personal certificate with the label '{label}'. The channel did not start."),
        action: "Make sure that the key repository of the local queue manager holds a personal certificate with the label the channel or the queue manager names (CERTLABL), then refresh security and restart the channel.".into(),
    }
}

pub(crate) fn msg_keyring(channel: &str, remote: &str, why: &str) -> LogMessage {
    LogMessage {
        title: format!("AMQ9657E: The key repository could not be opened (channel '{channel}')."),
        inserts: [channel.to_string(), why.to_string(), remote.to_string()],
        remote: remote.to_string(),
        explanation: format!("The key repository could not be opened: {why}. The channel did not start."),
        action: "Make sure that the key repository the queue manager's SSLKEYR names exists and can be read, then refresh security and restart the channel.".into(),
    }
}

pub(crate) fn msg_cipher(channel: &str, remote: &str) -> LogMessage {
    LogMessage {
        title: format!("AMQ9631E: The CipherSpec negotiated during the SSL handshake does not match the required CipherSpec for channel '{channel}'."),
        inserts: [channel.to_string(), String::new(), remote.to_string()],
        remote: remote.to_string(),
        explanation: format!("There is a mismatch between the CipherSpecs on the local and remote ends of channel '{channel}'. The channel will not run until this mismatch is resolved."),
        action: "Change the channel definitions for the two ends of the channel so that they use the same CipherSpec, and restart the channel.".into(),
    }
}

fn first_line(message: &LogMessage) -> String {
    message.title.clone()
}

/// Decides a TLS pair from both ends' loaded TLS and their channel definitions.
fn decide(estate: &Estate, sender: &End, receiver: &End, now_s: i64) -> Decision {
    let name = &sender.channel.name;
    let fail = |logs: Vec<(bool, LogMessage)>| {
        let error = logs.first().map(|(_, m)| first_line(m));
        Decision { running: false, sender_cert: None, receiver_cert: None, logs, error }
    };
    if !crate::chstatus::planted_runs(name, true) {
        return fail(vec![(false, msg_cipher(name, &sender.ip)), (true, msg_closed(name, &receiver.ip))]);
    }
    let (Some(s_tls), Some(r_tls)) = (sender.qm.tls.as_ref(), receiver.qm.tls.as_ref()) else {
        return fail(Vec::new());
    };
    if let Some(why) = &s_tls.error {
        return fail(vec![(true, msg_keyring(name, &receiver.ip, why))]);
    }
    if let Some(why) = &r_tls.error {
        return fail(vec![(false, msg_keyring(name, &sender.ip, why)), (true, msg_closed(name, &receiver.ip))]);
    }
    let (s_label, s_cert) = s_tls.presented_by(name);
    let (r_label, r_cert) = r_tls.presented_by(name);
    let Some(r_cert) = r_cert else {
        return fail(vec![(false, msg_no_cert(name, &sender.ip, &r_label)), (true, msg_closed(name, &receiver.ip))]);
    };
    // The receiver is the TLS server: the sender checks its certificate first.
    if let Err(why) = accepts(&estate.tls_signatures, &s_tls.trusted, r_cert, now_s) {
        return fail(vec![(true, msg_bad_cert(name, &receiver.ip, Some(r_cert), why)), (false, msg_closed(name, &sender.ip))]);
    }
    let Some(s_cert) = s_cert else {
        return fail(vec![(true, msg_no_cert(name, &receiver.ip, &s_label)), (false, msg_closed(name, &sender.ip))]);
    };
    if let Err(why) = accepts(&estate.tls_signatures, &r_tls.trusted, s_cert, now_s) {
        return fail(vec![(false, msg_bad_cert(name, &sender.ip, Some(s_cert), why)), (true, msg_closed(name, &receiver.ip))]);
    }
    if !sslpeer_matches(receiver.channel.get("SSLPEER"), &s_cert.peer_dn()) {
        return fail(vec![(false, msg_peer(name, &sender.ip, &s_cert.peer_dn())), (true, msg_remote_peer(name, &receiver.ip))]);
    }
    if !sslpeer_matches(sender.channel.get("SSLPEER"), &r_cert.peer_dn()) {
        return fail(vec![(true, msg_peer(name, &receiver.ip, &r_cert.peer_dn())), (false, msg_remote_peer(name, &sender.ip))]);
    }
    Decision { running: true, sender_cert: Some(PeerView::of(s_cert)), receiver_cert: Some(PeerView::of(r_cert)), logs: Vec::new(), error: None }
}

/// Greedy wrap at 79 columns, as MQ's error logs are laid out (paragraphs kept).
fn wrap(text: &str) -> String {
    let mut out = String::new();
    for (i, paragraph) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let mut line = String::new();
        for word in paragraph.split(' ') {
            if !line.is_empty() && line.len() + 1 + word.len() > 79 {
                out.push_str(&line);
                out.push('\n');
                line.clear();
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        out.push_str(&line);
    }
    out
}

/// An entry of `AMQERR01.LOG` in MQ's layout (seed 000).
pub fn log_entry(now_ms: u64, host: &str, qm: &str, message: &LogMessage) -> String {
    use time::OffsetDateTime;
    use time::macros::format_description;
    let at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(now_ms) * 1_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let stamp = at.format(format_description!("[month]/[day]/[year] [hour repr:12]:[minute]:[second] [period]")).unwrap_or_default();
    let iso = at.format(format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z")).unwrap_or_default();
    let pad = " ".repeat(20);
    let mut out = format!("{stamp} - Process({}.1) User(mqm) Program(amqrmppa)\n", std::process::id());
    out.push_str(&format!("{pad}Host({host}) Installation(Installation1)\n{pad}VRMF(9.2.5.0) QMgr({qm})\n{pad}Time({iso})\n"));
    out.push_str(&format!("{pad}RemoteHost({})\n", message.remote));
    for (i, insert) in message.inserts.iter().enumerate().filter(|(_, v)| !v.is_empty()) {
        out.push_str(&format!("{pad}CommentInsert{}({insert})\n", i + 1));
    }
    out.push('\n');
    out.push_str(&wrap(&message.title));
    out.push_str("\n\nEXPLANATION:\n");
    out.push_str(&wrap(&message.explanation));
    out.push_str("\nACTION:\n");
    out.push_str(&wrap(&message.action));
    out.push_str("\n----- amqccisa.c : 1161 -------------------------------------------------------\n");
    out
}

/// MQ's message channel pairs (sending type, receiving type).
const PAIRS: [(&str, &str); 4] = [("SDR", "RCVR"), ("SVR", "RCVR"), ("SDR", "RQSTR"), ("CLUSSDR", "CLUSRCVR")];

/// The TLS pairs of the estate: (sender qmgr index, receiver qmgr index, channel name).
fn tls_pairs(estate: &Estate) -> Vec<(usize, usize, String)> {
    let mut pairs = Vec::new();
    for (a, qa) in estate.qmgrs.iter().enumerate() {
        for ch in &qa.channels {
            let mine = ch.get("CHLTYPE");
            for (b, qb) in estate.qmgrs.iter().enumerate().filter(|(b, _)| *b != a) {
                let Some(theirs) = qb.channels.iter().find(|c| c.name == ch.name) else { continue };
                let is_pair = PAIRS.iter().any(|(s, r)| mine.eq_ignore_ascii_case(s) && theirs.get("CHLTYPE").eq_ignore_ascii_case(r));
                let tls = !ch.get("SSLCIPH").is_empty() || !theirs.get("SSLCIPH").is_empty();
                if is_pair && tls {
                    pairs.push((a, b, ch.name.clone()));
                }
            }
        }
    }
    pairs
}

/// Brings every TLS pair up to date: a running pair whose ends have not reloaded keeps
/// running as it was; any other is decided again (a failing channel retries). What newly
/// fails is logged by the queue managers.
pub fn settle(estate: &mut Estate, fs: &dyn HostFs, now_ms: u64) {
    let now_s = wall_clock_s();
    let mut links: BTreeMap<String, TlsLink> = BTreeMap::new();
    let mut logs: Vec<(String, String, String)> = Vec::new();
    for (a, b, name) in tls_pairs(estate) {
        let (qa, qb) = (&estate.qmgrs[a], &estate.qmgrs[b]);
        let (Some(na), Some(nb)) = (estate.running_on(qa).first().copied(), estate.running_on(qb).first().copied()) else { continue };
        let generations = (qa.tls.as_ref().map_or(0, |t| t.generation), qb.tls.as_ref().map_or(0, |t| t.generation));
        let previous = estate.tls_links.get(&name);
        let same_ends = previous.is_some_and(|p| p.sender_node == na.name && p.receiver_node == nb.name && p.generations == generations);
        if let Some(p) = previous.filter(|p| p.running && same_ends) {
            links.insert(name, p.clone());
            continue;
        }
        let (Some(sch), Some(rch)) = (qa.channels.iter().find(|c| c.name == name), qb.channels.iter().find(|c| c.name == name)) else { continue };
        let sender = End { qm: qa, channel: sch, node: na.name.clone(), ip: na.ip.clone() };
        let receiver = End { qm: qb, channel: rch, node: nb.name.clone(), ip: nb.ip.clone() };
        let decision = decide(estate, &sender, &receiver, now_s);
        let unchanged = previous.is_some_and(|p| same_ends && p.running == decision.running && p.error == decision.error);
        if !decision.running && !unchanged {
            for (at_sender, message) in &decision.logs {
                let end = if *at_sender { &sender } else { &receiver };
                logs.push((end.qm.name.clone(), end.node.clone(), log_entry(now_ms, &end.node, &end.qm.name, message)));
            }
        }
        let since_ms = if unchanged { previous.map_or(now_ms, |p| p.since_ms) } else { now_ms };
        links.insert(
            name,
            TlsLink {
                sender_qmgr: qa.name.clone(),
                receiver_qmgr: qb.name.clone(),
                sender_node: sender.node.clone(),
                receiver_node: receiver.node.clone(),
                running: decision.running,
                error: decision.error,
                sender_cert: decision.sender_cert,
                receiver_cert: decision.receiver_cert,
                generations,
                since_ms,
            },
        );
    }
    estate.tls_links = links;
    for (qm, _node, entry) in logs {
        crate::volume::append_error_log(estate, fs, &qm, &entry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const QM1: &str = "SERIALNUMBER=78:40:26:54:E5:D4:80:E4,CN=QM1,OU=SSL For MQ,O=IBM,ST=MA,C=US";

    #[test]
    fn sslpeer_rules_from_ibms_documentation() {
        assert!(sslpeer_matches("", QM1));
        assert!(sslpeer_matches("  ", QM1));
        // The seed: the exact DN with its serial number, and the CN alone.
        assert!(sslpeer_matches("SERIALNUMBER=78:40:26:54:E5:D4:80:E4,CN=QM1,OU=SSL For MQ,O=IBM,ST=MA,C=US", QM1));
        assert!(sslpeer_matches("CN=QM1", QM1));
        assert!(!sslpeer_matches("CN=John Cena, OU=Test, O=IBM, C=GB", QM1));
        // Separators, blanks around them, case of values, quotes, attribute order.
        assert!(sslpeer_matches("C=US; O=IBM ,  cn=\"qm1\"", QM1));
        assert!(sslpeer_matches("CN=qm*", QM1) && sslpeer_matches("CN=*1", QM1) && sslpeer_matches("OU=*For*", QM1) && sslpeer_matches("CN=*", QM1));
        assert!(!sslpeer_matches("CN=QM2*", QM1));
        // A rotated certificate: another serial number does not pass a filter that names one.
        assert!(!sslpeer_matches("SERIALNUMBER=5E:C8:76:52:DA:81:96:5B,CN=QM1", QM1));
        // Attributes the DN lacks, OUs in order.
        assert!(!sslpeer_matches("CN=QM1,L=Boston", QM1));
        let two = "CN=QMGR.1,OU=IBM,OU=WEBSPHERE,C=US";
        assert!(sslpeer_matches("CN=QMGR.*, OU=IBM, OU=WEBSPHERE", two));
        assert!(!sslpeer_matches("OU=WEBSPHERE, OU=IBM", two));
        // Unreadable filters match nothing.
        assert!(!sslpeer_matches("CN =QM1", QM1));
        assert!(!sslpeer_matches("QM1", QM1));
    }

    #[test]
    fn error_log_entries_wrap_as_mq_writes_them() {
        let message = msg_peer("QM1.TO.QM2", "10.241.2.5", QM1);
        let entry = log_entry(1_656_440_614_836, "wdc1-mq1", "QM2", &message);
        let seed = "AMQ9636E: SSL distinguished name does not match peer name, channel
'QM1.TO.QM2'.

EXPLANATION:
The distinguished name, 'SERIALNUMBER=78:40:26:54:E5:D4:80:E4,CN=QM1,OU=SSL For
MQ,O=IBM,ST=MA,C=US', contained in the SSL certificate for the remote end of
the channel does not match the local SSL peer name for channel 'QM1.TO.QM2'.
The distinguished name at the remote host '10.241.2.5' must match the peer name
specified (which can be generic) before the channel can be started.
ACTION:
If this remote system should be allowed to connect, either change the SSL peer
name specification for the local channel so that it matches the distinguished
name in the SSL certificate for the remote end of the channel, or obtain the
correct certificate for the remote end of the channel.

This error might indicate that the remote end of the channel is configured to
use the wrong certificate. Check the certificate label for the remote end of
the channel.

Restart the channel.
";
        assert!(entry.contains(seed), "{entry}");
        assert!(entry.starts_with("06/28/2022 06:23:34 PM - Process("), "{entry}");
        assert!(entry.contains("                    Host(wdc1-mq1) Installation(Installation1)\n                    VRMF(9.2.5.0) QMgr(QM2)\n                    Time(2022-06-28T18:23:34.836Z)\n                    RemoteHost(10.241.2.5)\n                    CommentInsert1(QM1.TO.QM2)\n"), "{entry}");
    }
}
