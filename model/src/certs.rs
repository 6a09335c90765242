//! Certificates across the estate: QM key repositories, MQIPT keystores and the replication
//! certificates of `/etc/tlshd.conf`, and what is wrong with them (expiry, host names, trust,
//! weak keys), each finding with its evidence.

use crate::finding_code::FindingCode;
use crate::estate::{Evidence, Finding, Severity};
use serde::{Deserialize, Serialize};

// The channel cross-check lives in `channels`; its types belong to the inventory too.
pub use crate::channels::{ChannelStatusView, ChannelView, RouteTls, channel_findings};

/// What a store is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Purpose {
    QmgrKeyRepository { qmgr: String },
    MqiptServer { instance: String },
    MqiptClient { instance: String },
    /// A node's RDQM replication certificate (tlshd) and its trust store.
    Replication { node: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertView {
    pub host: String,
    /// The key repository or PEM file it was read from.
    pub store: String,
    pub purpose: Purpose,
    pub label: String,
    pub personal: bool,
    pub trusted: bool,
    pub subject: String,
    pub issuer: String,
    pub serial: String,
    pub key_bits: Option<u32>,
    pub signature: Option<String>,
    pub not_before: Option<u64>,
    /// Milliseconds since the Unix epoch.
    pub not_after: Option<u64>,
    pub san_dns: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreError {
    pub host: String,
    pub store: String,
    pub error: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CertInventory {
    pub collected_at: u64,
    pub certificates: Vec<CertView>,
    /// TLS channels of the queue managers (`DISPLAY CHANNEL`, with their `DISPLAY CHSTATUS`),
    /// read where each runs.
    #[serde(default)]
    pub channels: Vec<ChannelView>,
    pub errors: Vec<StoreError>,
    pub findings: Vec<Finding>,
    /// Each running queue manager's CERTLABL (`DISPLAY QMGR CERTLABL`; MQ's default label
    /// when it shows none).
    #[serde(default)]
    pub qmgr_labels: std::collections::BTreeMap<String, String>,
    /// Each node's replication files, as its `/etc/tlshd.conf` names them.
    #[serde(default)]
    pub tlshd: Vec<TlshdFiles>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlshdFiles {
    pub node: String,
    pub conf: String,
    pub certificate: String,
    pub private_key: String,
    pub truststore: String,
}

/// The DN MQ shows for a peer: `SERIALNUMBER=..,` then the subject.
pub fn peer_dn(cert: &CertView) -> String {
    let serial: Vec<String> = cert.serial.as_bytes().chunks(2).map(|c| String::from_utf8_lossy(c).to_ascii_uppercase()).collect();
    format!("SERIALNUMBER={},{}", serial.join(":"), cert.subject)
}

const DAY_MS: u64 = 24 * 3600 * 1000;

/// GSKit's `Not After : November 21, 2028 8:57:19 PM GMT+00:00` as milliseconds since the epoch.
pub fn parse_gsk_time(text: &str) -> Option<u64> {
    let months = [
        "january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december",
    ];
    let cleaned = text.replace(',', " ");
    let words: Vec<&str> = cleaned.split_whitespace().collect();
    let [month, day, year, clock, period, zone, ..] = words.as_slice() else { return None };
    let month = months.iter().position(|m| m.eq_ignore_ascii_case(month))? as u8 + 1;
    let day: u8 = day.parse().ok()?;
    let year: i32 = year.parse().ok()?;
    let mut hms = clock.split(':').map(|p| p.parse::<u8>().ok());
    let (hour, minute, second) = (hms.next()??, hms.next()??, hms.next().flatten().unwrap_or(0));
    let hour = match (period.to_ascii_uppercase().as_str(), hour) {
        ("AM", 12) => 0,
        ("AM", h) => h,
        ("PM", 12) => 12,
        ("PM", h) => h + 12,
        _ => return None,
    };
    let offset_minutes: i64 = match zone.strip_prefix("GMT").or_else(|| zone.strip_prefix("UTC")) {
        Some("") | None => 0,
        Some(rest) => {
            let sign = if rest.starts_with('-') { -1 } else { 1 };
            let mut parts = rest.trim_start_matches(['+', '-']).split(':');
            let h: i64 = parts.next()?.parse().ok()?;
            let m: i64 = parts.next().unwrap_or("0").parse().ok()?;
            sign * (h * 60 + m)
        }
    };
    let date = time::Date::from_calendar_date(year, time::Month::try_from(month).ok()?, day).ok()?;
    let at = date.with_hms(hour, minute, second).ok()?.assume_utc();
    let ms = at.unix_timestamp() * 1000 - offset_minutes * 60_000;
    u64::try_from(ms).ok()
}

fn evidence(c: &CertView, lines: Vec<String>) -> Vec<Evidence> {
    let command = match c.purpose {
        Purpose::Replication { .. } => format!("cat {}", c.store),
        Purpose::MqiptServer { .. } | Purpose::MqiptClient { .. } => format!("mqiptKeycmd -cert -details -db {} -stashed -label {}", c.store, c.label),
        Purpose::QmgrKeyRepository { .. } => format!("runmqakm -cert -details -db {} -stashed -label {}", c.store, c.label),
    };
    vec![Evidence { host: c.host.clone(), command, lines }]
}

fn subject_of(c: &CertView) -> String {
    format!("{}:{}", c.host, c.label)
}

fn push(out: &mut Vec<Finding>, severity: Severity, code: FindingCode, c: &CertView, message: String, lines: Vec<String>) {
    out.push(Finding { severity, code, message, subject: subject_of(c), evidence: evidence(c, lines) });
}

/// Everything wrong with the certificates, most severe first.
pub fn findings(certs: &[CertView], errors: &[StoreError], now_ms: u64) -> Vec<Finding> {
    findings_with(certs, errors, now_ms, &crate::cert_policy::CertPolicy::default())
}

/// [`findings`], proposing a rotation `policy.rotate_days_before` days before a personal
/// certificate ends (`cert_rotation_due`; within 30 days it is `cert_expiring` already).
pub fn findings_with(certs: &[CertView], errors: &[StoreError], now_ms: u64, policy: &crate::cert_policy::CertPolicy) -> Vec<Finding> {
    let mut out = Vec::new();
    for e in errors {
        out.push(Finding {
            severity: Severity::Warning,
            code: FindingCode::CertStoreUnreadable,
            message: format!("{} on {} cannot be read: {}", e.store, e.host, e.error),
            subject: format!("{}:{}", e.host, e.store),
            evidence: vec![Evidence { host: e.host.clone(), command: e.store.clone(), lines: vec![e.error.clone()] }],
        });
    }
    for c in certs {
        let dates = vec![format!("Subject : {}", c.subject), format!("Not After : {}", c.not_after.map(format_ms).unwrap_or_default())];
        if let Some(end) = c.not_after {
            if end <= now_ms {
                push(&mut out, Severity::Critical, FindingCode::CertExpired, c, format!("{} ({}) on {} expired {} days ago", c.label, c.subject, c.host, (now_ms - end) / DAY_MS), dates.clone());
            } else if end - now_ms <= 7 * DAY_MS {
                push(&mut out, Severity::Critical, FindingCode::CertExpiring, c, format!("{} ({}) on {} expires in {} days", c.label, c.subject, c.host, (end - now_ms) / DAY_MS), dates.clone());
            } else if end - now_ms <= 30 * DAY_MS {
                push(&mut out, Severity::Warning, FindingCode::CertExpiring, c, format!("{} ({}) on {} expires in {} days", c.label, c.subject, c.host, (end - now_ms) / DAY_MS), dates.clone());
            } else if c.personal && end - now_ms <= u64::from(policy.rotate_days_before) * DAY_MS {
                let days = (end - now_ms) / DAY_MS;
                push(&mut out, Severity::Info, FindingCode::CertRotationDue, c, format!("{} ({}) on {} ends in {days} days: rotate it (the policy proposes it {} days before)", c.label, c.subject, c.host, policy.rotate_days_before), dates.clone());
            }
        }
        if c.key_bits.is_some_and(|b| b < 2048) {
            push(&mut out, Severity::Warning, FindingCode::CertWeakKey, c, format!("{} on {} has a {}-bit key; use at least 2048", c.label, c.host, c.key_bits.unwrap_or(0)), vec![format!("Key Size : {}", c.key_bits.unwrap_or(0))]);
        }
        if let Some(sig) = c.signature.as_deref().filter(|s| { let s = s.to_ascii_lowercase(); s.contains("sha1") || s.contains("md5") }) {
            push(&mut out, Severity::Warning, FindingCode::CertWeakSignature, c, format!("{} on {} is signed with {sig}", c.label, c.host), vec![format!("Signature Algorithm : {sig}")]);
        }
        if let Purpose::Replication { node } = &c.purpose
            && c.personal
        {
            let cn_ok = c.subject.split(',').any(|p| p.trim().eq_ignore_ascii_case(&format!("CN={node}")));
            let san_ok = c.san_dns.iter().any(|d| d.eq_ignore_ascii_case(node));
            if !san_ok {
                let why = if cn_ok { "its SAN lacks the host name (DR/HA needs it there)" } else { "neither its CN nor its SAN names the host" };
                push(&mut out, Severity::Critical, FindingCode::CertHostname, c, format!("the replication certificate of {node} ({}): {why}", c.subject), vec![format!("Subject : {}", c.subject), format!("SubjectAltName : {}", c.san_dns.join(", "))]);
            }
        }
    }
    trust_findings(certs, &mut out);
    out.sort_by_key(|a| a.severity);
    out
}

/// The certificate findings as one finding for the estate's list: the estate page tells the
/// truth about TLS too, without its list drowning in one entry per certificate. None when
/// nothing is wrong.
pub fn summary_finding(inventory: &CertInventory) -> Option<Finding> {
    let worst = inventory.findings.iter().map(|f| f.severity).min()?;
    let count = |s: Severity| inventory.findings.iter().filter(|f| f.severity == s).count();
    let first = &inventory.findings.iter().find(|f| f.severity == worst)?.message;
    let more = match inventory.findings.len() {
        1 => String::new(),
        n => format!(" (and {} more)", n - 1),
    };
    Some(Finding {
        severity: worst,
        code: FindingCode::Certificates,
        message: format!(
            "Certificates and TLS channels: {} critical, {} warning — {first}{more}; see the Certificates page",
            count(Severity::Critical),
            count(Severity::Warning)
        ),
        subject: "certificates".into(),
        evidence: vec![Evidence {
            host: "console".into(),
            command: format!("certificate inventory read at {}", format_ms(inventory.collected_at)),
            lines: inventory.findings.iter().map(|f| format!("{:?}: {}", f.severity, f.message)).collect(),
        }],
    })
}

fn trusted_by(certs: &[CertView], host_store: (&str, &str), issuer: &str) -> bool {
    certs.iter().any(|t| t.host == host_store.0 && t.store == host_store.1 && !t.personal && t.subject.eq_ignore_ascii_case(issuer))
}

/// Each personal certificate's issuer must be trusted where its peers check it.
fn trust_findings(certs: &[CertView], out: &mut Vec<Finding>) {
    // Replication: every other node's trust store must hold the issuer of this node's certificate.
    for c in certs.iter().filter(|c| c.personal && matches!(c.purpose, Purpose::Replication { .. })) {
        let rejecting: Vec<&str> = certs
            .iter()
            .filter(|t| matches!(t.purpose, Purpose::Replication { .. }) && !t.personal && t.host != c.host)
            .map(|t| (t.host.as_str(), t.store.as_str()))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .filter(|hs| !trusted_by(certs, *hs, &c.issuer))
            .map(|(h, _)| h)
            .collect();
        if !rejecting.is_empty() {
            push(out, Severity::Critical, FindingCode::CertUntrusted, c, format!("the replication certificate of {} is issued by {}, which the trust store of {} does not hold: its TLS handshake fails (unknown_ca)", c.host, c.issuer, rejecting.join(", ")), vec![format!("Issuer : {}", c.issuer)]);
        }
    }
    // MQIPT client → queue manager: the QM's personal certificate must be trusted by MQIPT's client keystore.
    for c in certs.iter().filter(|c| c.personal && matches!(c.purpose, Purpose::QmgrKeyRepository { .. })) {
        let clients: Vec<&CertView> = certs.iter().filter(|t| matches!(t.purpose, Purpose::MqiptClient { .. }) && !t.personal).collect();
        if !clients.is_empty() && !clients.iter().any(|t| t.subject.eq_ignore_ascii_case(&c.issuer)) {
            push(out, Severity::Critical, FindingCode::CertUntrusted, c, format!("{} on {} is issued by {}, which MQIPT's client keystore does not trust", c.label, c.host, c.issuer), vec![format!("Issuer : {}", c.issuer)]);
        }
    }
}

fn format_ms(ms: u64) -> String {
    time::OffsetDateTime::from_unix_timestamp((ms / 1000) as i64)
        .map(|t| format!("{:04}-{:02}-{:02} {:02}:{:02} UTC", t.year(), t.month() as u8, t.day(), t.hour(), t.minute()))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_names_the_worst_first_and_counts_the_rest() {
        let finding = |severity, message: &str| Finding { severity, code: FindingCode::CertExpiring, message: message.into(), subject: "s".into(), evidence: Vec::new() };
        let mut inventory = CertInventory { collected_at: 0, certificates: Vec::new(), channels: Vec::new(), errors: Vec::new(), findings: Vec::new(), qmgr_labels: Default::default(), tlshd: Vec::new() };
        assert_eq!(summary_finding(&inventory), None);
        inventory.findings = vec![finding(Severity::Warning, "w1"), finding(Severity::Critical, "c1"), finding(Severity::Critical, "c2")];
        let summary = summary_finding(&inventory).unwrap();
        assert_eq!(summary.severity, Severity::Critical);
        assert_eq!(summary.message, "Certificates and TLS channels: 2 critical, 1 warning — c1 (and 2 more); see the Certificates page");
        assert_eq!(summary.evidence[0].lines, ["Warning: w1", "Critical: c1", "Critical: c2"]);
    }

    #[test]
    fn a_rotation_is_proposed_by_the_policy_before_the_expiry_warning() {
        let cert = |days: u64| CertView {
            host: "wdc1-mq1".into(),
            store: "/k.kdb".into(),
            purpose: Purpose::QmgrKeyRepository { qmgr: "QM1".into() },
            label: "l".into(),
            personal: true,
            trusted: false,
            subject: "CN=QM1".into(),
            issuer: "CN=CA".into(),
            serial: "01".into(),
            key_bits: Some(2048),
            signature: None,
            not_before: None,
            not_after: Some(days * DAY_MS + DAY_MS / 2),
            san_dns: Vec::new(),
        };
        let policy = crate::cert_policy::CertPolicy { rotate_days_before: 60, ..Default::default() };
        let codes = |days| findings_with(&[cert(days)], &[], 0, &policy).into_iter().map(|f| f.code).collect::<Vec<_>>();
        assert_eq!(codes(45), [FindingCode::CertRotationDue]);
        assert_eq!(codes(20), [FindingCode::CertExpiring]);
        assert_eq!(codes(90), []);
    }

    #[test]
    fn gsk_times_parse() {
        assert_eq!(parse_gsk_time("June 2, 2022 7:26:11 PM GMT+00:00"), Some(1_654_197_971_000));
        assert_eq!(parse_gsk_time("June 2, 2022 12:00:00 AM GMT+00:00"), Some(1_654_128_000_000));
        assert_eq!(parse_gsk_time("June 2, 2022 1:00:00 AM GMT+01:00"), Some(1_654_128_000_000));
        assert_eq!(parse_gsk_time("garbage"), None);
        assert_eq!(parse_gsk_time("Smarch 40, 2022 1:00:00 AM GMT"), None);
    }
}

/// A DN as MQ and GSKit show it, most specific first whatever the certificate's order
/// (seed 000: `CN=...,OU=...,O=...,ST=...,C=US`), from a name's attributes as (OID, value);
/// attributes MQ does not show are left out.
pub fn mq_dn<'a>(attributes: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    const SHOWN: [(&str, &str); 6] = [("2.5.4.3", "CN"), ("2.5.4.11", "OU"), ("2.5.4.10", "O"), ("2.5.4.7", "L"), ("2.5.4.8", "ST"), ("2.5.4.6", "C")];
    let mut parts: Vec<(usize, String)> = attributes
        .into_iter()
        .filter_map(|(oid, value)| SHOWN.iter().position(|(o, _)| *o == oid).map(|rank| (rank, format!("{}={value}", SHOWN[rank].1))))
        .collect();
    // Stable: two OUs keep the certificate's order.
    parts.sort_by_key(|(rank, _)| *rank);
    parts.into_iter().map(|(_, part)| part).collect::<Vec<_>>().join(",")
}

#[cfg(test)]
mod dn_tests {
    #[test]
    fn most_specific_first_unknown_attributes_left_out() {
        let attributes = [("2.5.4.6", "US"), ("2.5.4.10", "IBM"), ("1.2.840.113549.1.9.1", "a@b.c"), ("2.5.4.11", "MQ"), ("2.5.4.11", "TEST"), ("2.5.4.3", "QM1")];
        assert_eq!(super::mq_dn(attributes), "CN=QM1,OU=MQ,OU=TEST,O=IBM,C=US");
    }
}
