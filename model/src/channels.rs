//! The channel cross-check: every TLS channel against the certificates and the other end it
//! talks to — an MQIPT route for a SVRCONN, another queue manager's channel of the same name for
//! a sender/receiver pair — predicting what MQ reports when the channel starts: AMQ9636E (an
//! SSLPEER the partner's certificate does not pass), AMQ9631E (CipherSpecs that differ).
//!
//! The pairing and CipherSpec rules are public: the simulator decides with them whether a pair
//! runs, so that what it shows and what the console predicts cannot drift apart.

use crate::finding_code::FindingCode;
use crate::certs::{CertView, Purpose, peer_dn};
use crate::estate::{Evidence, Finding, Severity};
use serde::{Deserialize, Serialize};

/// A channel as `runmqsc` displayed it on the node running its queue manager.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelView {
    pub host: String,
    pub qmgr: String,
    pub name: String,
    pub chltype: String,
    pub sslciph: String,
    pub sslcauth: String,
    pub sslpeer: String,
    /// The channel's CERTLABL, else the queue manager's.
    pub certlabl: String,
    /// The channel sets CERTLABL itself (a rotation alters the channel, not only the queue
    /// manager).
    #[serde(default)]
    pub own_certlabl: bool,
    /// `DISPLAY CHSTATUS`; none when the channel has no status (not started, or refused).
    #[serde(default)]
    pub status: Option<ChannelStatusView>,
}

/// A channel's current status, as `DISPLAY CHSTATUS(..) SSLPEER SSLCERTI` shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelStatusView {
    pub status: String,
    pub conname: String,
    /// The DN of the certificate the partner presented (`SERIALNUMBER=..,CN=..`); empty until a
    /// TLS handshake has succeeded.
    pub sslpeer: String,
    /// The issuer of that certificate.
    pub sslcerti: String,
}

/// What the channel cross-check needs of an MQIPT route that connects to a queue manager.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteTls {
    pub instance: String,
    pub qmgr: String,
    pub listener_port: String,
    /// `SSLClient=true`: MQIPT presents its client certificate to the queue manager.
    pub ssl_client: bool,
    pub client_cipher_suites: Option<String>,
}

/// Channel types that pair by name across two queue managers: (sending end, receiving end).
const PAIRS: [(&str, &str); 5] = [("SDR", "RCVR"), ("SDR", "RQSTR"), ("SVR", "RCVR"), ("SVR", "RQSTR"), ("CLUSSDR", "CLUSRCVR")];

/// Which end of a pair a channel type is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    Sender,
    Receiver,
}

/// Channel types that end a pair (message channels); SVRCONN and CLNTCONN do not.
pub fn is_message_channel(chltype: &str) -> bool {
    PAIRS.iter().any(|(s, r)| s.eq_ignore_ascii_case(chltype.trim()) || r.eq_ignore_ascii_case(chltype.trim()))
}

/// The end `mine` is when its partner channel (same name, another queue manager) is `theirs`;
/// none when the two types do not make a pair.
pub fn pair_end(mine: &str, theirs: &str) -> Option<End> {
    let (mine, theirs) = (mine.trim(), theirs.trim());
    PAIRS.iter().find_map(|(s, r)| {
        if s.eq_ignore_ascii_case(mine) && r.eq_ignore_ascii_case(theirs) {
            Some(End::Sender)
        } else if r.eq_ignore_ascii_case(mine) && s.eq_ignore_ascii_case(theirs) {
            Some(End::Receiver)
        } else {
            None
        }
    })
}

/// Whether the receiving end starts the TLS handshake: a requester calls its server or
/// sender; otherwise the sender calls its receiver.
pub fn receiver_initiates(receiver_type: &str) -> bool {
    receiver_type.trim().eq_ignore_ascii_case("RQSTR")
}

/// How two ends' SSLCIPH values get along, per IBM's "Relationship between alias CipherSpec
/// settings" and "CipherSpec mismatches".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CipherFit {
    Match,
    /// IBM: "likely to fail" / fails once TLS 1.3 is enabled at both ends.
    MayFail,
    /// The channel cannot start (AMQ9631E).
    Mismatch,
}

/// The TLS 1.3 CipherSpecs IBM MQ names.
const TLS13: [&str; 5] = ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_CCM_SHA256", "TLS_AES_128_CCM_8_SHA256"];

/// The protocols a CipherSpec allows (10: TLS 1.0 or older, 12, 13) and whether it is an alias.
fn protocols(spec: &str) -> (u8, u8, bool) {
    match spec {
        "ANY" => (10, 13, true),
        "ANY_TLS12" => (12, 12, true),
        "ANY_TLS12_OR_HIGHER" => (12, 13, true),
        "ANY_TLS13" | "ANY_TLS13_OR_HIGHER" => (13, 13, true),
        s if TLS13.contains(&s) => (13, 13, false),
        // Every TLS 1.2 CipherSpec ends in its SHA-2 hash; the TLS 1.0/SSL 3.0 ones in _SHA or _MD5.
        s if s.ends_with("_SHA256") || s.ends_with("_SHA384") => (12, 12, false),
        _ => (10, 10, false),
    }
}

/// How the SSLCIPH of the end that starts the handshake (`initiating`) fits the other end's.
pub fn cipher_fit(initiating: &str, responding: &str) -> (CipherFit, String) {
    let (c, s) = (initiating.trim().to_ascii_uppercase(), responding.trim().to_ascii_uppercase());
    match (c.is_empty(), s.is_empty()) {
        (true, true) => return (CipherFit::Match, "neither end uses TLS".into()),
        (true, false) | (false, true) => return (CipherFit::Mismatch, "only one end names a CipherSpec".into()),
        _ => {}
    }
    if c == s {
        return (CipherFit::Match, "both ends name the same CipherSpec".into());
    }
    let ((cmin, cmax, calias), (smin, smax, salias)) = (protocols(&c), protocols(&s));
    if !calias && !salias {
        return (CipherFit::Mismatch, "the two ends name different CipherSpecs".into());
    }
    if cmax < smin || smax < cmin {
        return (CipherFit::Mismatch, "the two CipherSpecs share no TLS protocol version".into());
    }
    if !salias {
        return (CipherFit::MayFail, format!("the responding end accepts only {s}; {c} negotiates the strongest CipherSpec both ends support, which need not be that one"));
    }
    if cmax > smax {
        return (CipherFit::MayFail, format!("{c} may negotiate TLS 1.3, which {s} refuses once TLS 1.3 is enabled at both ends"));
    }
    (CipherFit::Match, format!("{c} and {s} agree on a protocol"))
}

/// MQ's spelling of an attribute in a display: a blank value shows as `( )`.
fn attr(key: &str, value: &str) -> String {
    if value.trim().is_empty() { format!("{key}( )") } else { format!("{key}({value})") }
}

fn definition(ch: &ChannelView, lines: Vec<String>) -> Evidence {
    Evidence { host: ch.host.clone(), command: format!("runmqsc {} (DISPLAY CHANNEL({}))", ch.qmgr, ch.name), lines }
}

fn status_evidence(ch: &ChannelView) -> Option<Evidence> {
    let s = ch.status.as_ref()?;
    Some(Evidence {
        host: ch.host.clone(),
        command: format!("runmqsc {} (DISPLAY CHSTATUS({}) SSLPEER SSLCERTI)", ch.qmgr, ch.name),
        lines: vec![attr("CONNAME", &s.conname), attr("SSLPEER", &s.sslpeer), attr("STATUS", &s.status)],
    })
}

fn cipher_core(name: &str) -> String {
    let upper = name.trim().to_ascii_uppercase();
    upper.strip_prefix("TLS_").or_else(|| upper.strip_prefix("SSL_")).unwrap_or(&upper).to_string()
}

/// The personal certificate `ch` presents: its CERTLABL in its queue manager's key repository
/// as inventoried on the node it runs on.
fn presented<'a>(ch: &ChannelView, certs: &'a [CertView]) -> Option<&'a CertView> {
    certs.iter().find(|c| {
        c.personal && c.host == ch.host && c.label == ch.certlabl && matches!(&c.purpose, Purpose::QmgrKeyRepository { qmgr } if *qmgr == ch.qmgr)
    })
}

/// The channel cross-check: SSLPEER against the certificate the peer presents (AMQ9636E),
/// SSLCAUTH(REQUIRED) without a client certificate, CERTLABL naming nothing, SSLCIPH against
/// MQIPT's cipher suites, and each sender/receiver pair's two ends against each other.
///
/// `channels` may hold message channels without TLS: a pair with TLS at one end only is flagged.
pub fn channel_findings(channels: &[ChannelView], certs: &[CertView], routes: &[RouteTls]) -> Vec<Finding> {
    let mut out = Vec::new();
    for ch in channels.iter().filter(|c| !c.sslciph.trim().is_empty()) {
        route_findings(ch, certs, routes, &mut out);
    }
    for (i, a) in channels.iter().enumerate() {
        for b in &channels[i + 1..] {
            if a.name != b.name || a.qmgr == b.qmgr {
                continue;
            }
            let (sender, receiver) = match pair_end(&a.chltype, &b.chltype) {
                Some(End::Sender) => (a, b),
                Some(End::Receiver) => (b, a),
                None => continue,
            };
            pair_findings(sender, receiver, certs, &mut out);
        }
    }
    out
}

/// One channel's own checks and, for a SVRCONN, the MQIPT routes that connect to it.
fn route_findings(ch: &ChannelView, certs: &[CertView], routes: &[RouteTls], out: &mut Vec<Finding>) {
    let subject = format!("{}:{}", ch.qmgr, ch.name);
    let evidence = |lines: Vec<String>| vec![definition(ch, lines)];
    let repo: Vec<&CertView> = certs.iter().filter(|c| c.host == ch.host && matches!(&c.purpose, Purpose::QmgrKeyRepository { qmgr } if *qmgr == ch.qmgr)).collect();
    if !ch.certlabl.trim().is_empty() && !repo.is_empty() && !repo.iter().any(|c| c.label == ch.certlabl && c.personal) {
        out.push(Finding {
            severity: Severity::Critical,
            code: FindingCode::ChannelCertlabl,
            message: format!("{} on {}: CERTLABL({}) names no personal certificate in the key repository", ch.name, ch.qmgr, ch.certlabl),
            subject: subject.clone(),
            evidence: evidence(vec![format!("CERTLABL({})", ch.certlabl)]),
        });
    }
    for route in routes.iter().filter(|r| r.qmgr == ch.qmgr && r.ssl_client && ch.chltype == "SVRCONN") {
        let client: Vec<&CertView> = certs.iter().filter(|c| c.personal && matches!(&c.purpose, Purpose::MqiptClient { instance } if *instance == route.instance)).collect();
        if ch.sslcauth.eq_ignore_ascii_case("REQUIRED") && client.is_empty() {
            out.push(Finding {
                severity: Severity::Critical,
                code: FindingCode::ChannelSslcauth,
                message: format!("{} on {} requires a client certificate (SSLCAUTH(REQUIRED)) but MQIPT {}'s client keystore has no personal certificate", ch.name, ch.qmgr, route.instance),
                subject: subject.clone(),
                evidence: evidence(vec![format!("SSLCAUTH({})", ch.sslcauth)]),
            });
        }
        if !ch.sslpeer.trim().is_empty() {
            for cert in &client {
                let dn = peer_dn(cert);
                if let Ok(result) = crate::sslpeer::matches(&dn, &ch.sslpeer)
                    && !result.matches
                {
                    out.push(Finding {
                        severity: Severity::Critical,
                        code: FindingCode::ChannelSslpeer,
                        message: format!("{} on {}: MQIPT {} connects (route {}) with {}, which SSLPEER({}) refuses: expect AMQ9636E — {}", ch.name, ch.qmgr, route.instance, route.listener_port, cert.subject, ch.sslpeer, result.explanation),
                        subject: subject.clone(),
                        evidence: evidence(vec![format!("SSLPEER({})", ch.sslpeer), format!("MQIPT client certificate: {dn}")]),
                    });
                }
            }
        }
        let specific = !ch.sslciph.trim().is_empty() && !ch.sslciph.to_ascii_uppercase().starts_with("ANY");
        if let (true, Some(suites)) = (specific, &route.client_cipher_suites) {
            let wanted = cipher_core(&ch.sslciph);
            if !suites.split(',').any(|s| cipher_core(s) == wanted) {
                out.push(Finding {
                    severity: Severity::Warning,
                    code: FindingCode::ChannelSslciph,
                    message: format!("{} on {} accepts only {} but MQIPT route {} offers {suites}", ch.name, ch.qmgr, ch.sslciph, route.listener_port),
                    subject: subject.clone(),
                    evidence: evidence(vec![format!("SSLCIPH({})", ch.sslciph), format!("SSLClientCipherSuites={suites}")]),
                });
            }
        }
    }
}

/// The two ends of one channel: their CipherSpecs (AMQ9631E), and each end's SSLPEER against
/// the certificate the other end presents (AMQ9636E).
fn pair_findings(sender: &ChannelView, receiver: &ChannelView, certs: &[CertView], out: &mut Vec<Finding>) {
    let (initiating, responding) = if receiver_initiates(&receiver.chltype) { (receiver, sender) } else { (sender, receiver) };
    let (fit, why) = cipher_fit(&initiating.sslciph, &responding.sslciph);
    if fit != CipherFit::Match {
        let (severity, outcome) = match fit {
            CipherFit::Mismatch => (Severity::Critical, "the channel cannot start: expect AMQ9631E"),
            _ => (Severity::Warning, "the channel may not start: expect AMQ9631E"),
        };
        let running = sender.status.as_ref().map(|s| format!(" (the sender is {})", s.status)).unwrap_or_default();
        let mut evidence = Vec::new();
        for end in [sender, receiver] {
            evidence.push(definition(end, vec![attr("CHLTYPE", &end.chltype), attr("SSLCIPH", &end.sslciph)]));
            evidence.extend(status_evidence(end));
        }
        out.push(Finding {
            severity,
            code: FindingCode::ChannelSslciphPair,
            message: format!(
                "{}: the {} on {} has SSLCIPH({}) but the {} on {} has SSLCIPH({}); {outcome} — {why}{running}",
                sender.name, sender.chltype, sender.qmgr, sender.sslciph.trim(), receiver.chltype, receiver.qmgr, receiver.sslciph.trim()
            ),
            subject: format!("{}:{}", sender.qmgr, sender.name),
            evidence,
        });
    }
    for (checker, peer) in [(receiver, sender), (sender, receiver)] {
        if checker.sslpeer.trim().is_empty() || checker.sslciph.trim().is_empty() {
            continue;
        }
        let Some(cert) = presented(peer, certs) else { continue };
        let dn = peer_dn(cert);
        let Ok(result) = crate::sslpeer::matches(&dn, &checker.sslpeer) else { continue };
        if result.matches {
            continue;
        }
        out.push(Finding {
            severity: Severity::Critical,
            code: FindingCode::ChannelSslpeer,
            message: format!(
                "{} on {}: the {} on {} presents {} (CERTLABL({})), which SSLPEER({}) refuses: expect AMQ9636E — {}",
                checker.name, checker.qmgr, peer.chltype, peer.qmgr, cert.subject, peer.certlabl, checker.sslpeer, result.explanation
            ),
            subject: format!("{}:{}", checker.qmgr, checker.name),
            evidence: vec![
                definition(checker, vec![attr("CHLTYPE", &checker.chltype), attr("SSLPEER", &checker.sslpeer)]),
                definition(peer, vec![attr("CHLTYPE", &peer.chltype), attr("CERTLABL", &peer.certlabl)]),
                Evidence {
                    host: cert.host.clone(),
                    command: format!("runmqakm -cert -details -db {} -stashed -label {}", cert.store, cert.label),
                    lines: vec![format!("Serial : {}", cert.serial), format!("Subject : {}", cert.subject)],
                },
            ],
        });
    }
}

#[cfg(test)]
#[path = "channels_tests.rs"]
mod tests;
