//! `DISPLAY CHSTATUS` of a simulated queue manager. Whether a TLS channel pair's handshake
//! succeeds is what the lab planted ([`PLANTED`]), written down from the lab's configuration
//! and IBM's documentation, never computed with the console's own rules (`model::channels`,
//! `model::sslpeer`): a wrong rule there then shows as a wrong prediction instead of moving
//! the simulated outcome with it. The certificates the ends present are read from the queue
//! managers' key repositories (the lab's real certificates), so SSLPEER and SSLCERTI show
//! real DNs, never invented ones.

use crate::estate::{Channel, Estate, Node, QueueManager};
use crate::fs::HostFs;
use crate::keystore::{self, PeerCert};

/// The TLS channel pairs of the lab and whether MQ starts them, with why (what MQ logs).
pub const PLANTED: &[(&str, bool, &str)] = &[
    // Receiver's SSLPEER names SSLDRHAQM1's certificate; both ends accept TLS 1.2 or higher.
    ("SSLDRHAQM1.TO.DRHAQM2", true, "the handshake succeeds"),
    // The sender offers a TLS 1.2 suite, the receiver insists on another one.
    ("DRHAQM2.TO.SSLDRHAQM1", false, "AMQ9631E: the CipherSpecs of the two ends differ"),
];

/// Which end of a pair a channel is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Sender,
    Receiver,
}

/// MQ's message channel pairs (sending type, receiving type).
const PAIRS: [(&str, &str); 4] = [("SDR", "RCVR"), ("SVR", "RCVR"), ("SDR", "RQSTR"), ("CLUSSDR", "CLUSRCVR")];

fn pair_end(mine: &str, theirs: &str) -> Option<End> {
    PAIRS.iter().find_map(|(s, r)| match (mine.trim(), theirs.trim()) {
        (m, t) if m.eq_ignore_ascii_case(s) && t.eq_ignore_ascii_case(r) => Some(End::Sender),
        (m, t) if m.eq_ignore_ascii_case(r) && t.eq_ignore_ascii_case(s) => Some(End::Receiver),
        _ => None,
    })
}

/// Whether the planted outcome of `channel` lets it run; a TLS channel the lab did not plant
/// does not start (the simulator does not guess).
fn planted_runs(channel: &str, tls: bool) -> bool {
    PLANTED.iter().find(|(name, ..)| *name == channel).map_or(!tls, |(_, runs, _)| *runs)
}

/// One status block (`AMQ8417I`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelStatus {
    pub chltype: String,
    pub conname: String,
    pub rqmname: String,
    pub sslcerti: String,
    pub sslpeer: String,
    pub status: &'static str,
    pub substate: &'static str,
    /// A sending channel's transmission queue.
    pub xmitq: Option<String>,
}

impl ChannelStatus {
    /// `KEY(value)` items in IBM's order (seed 000: CHANNEL, CHLTYPE, CONNAME, CURRENT, RQMNAME,
    /// SSLCERTI, SSLPEER, STATUS, SUBSTATE, XMITQ); SSLCERTI and SSLPEER only when asked for.
    pub fn items(&self, name: &str, sslcerti: bool, sslpeer: bool) -> Vec<String> {
        let item = |k: &str, v: &str| if v.is_empty() { format!("{k}( )") } else { format!("{k}({v})") };
        let mut out = vec![item("CHANNEL", name), item("CHLTYPE", &self.chltype), item("CONNAME", &self.conname), "CURRENT".to_string(), item("RQMNAME", &self.rqmname)];
        if sslcerti {
            out.push(item("SSLCERTI", &self.sslcerti));
        }
        if sslpeer {
            out.push(item("SSLPEER", &self.sslpeer));
        }
        out.push(item("STATUS", self.status));
        out.push(item("SUBSTATE", self.substate));
        if let Some(xmitq) = &self.xmitq {
            out.push(item("XMITQ", xmitq));
        }
        out
    }
}

/// A pair whose TLS handshake succeeds: where each end runs and what each presented.
struct Link<'a> {
    sender_node: &'a Node,
    receiver_node: &'a Node,
    sender_cert: Option<PeerCert>,
    receiver_cert: Option<PeerCert>,
}

type End2<'a> = (&'a QueueManager, &'a Channel);

/// The certificate an end presents: its CERTLABL (else its queue manager's, else MQ's default
/// `ibmwebspheremq<qmgr>`) in its queue manager's key repository on the node it runs on.
fn presented(fs: &dyn HostFs, (qm, ch): End2, node: &Node) -> Result<PeerCert, String> {
    let label = [ch.get("CERTLABL"), qm.attribute("CERTLABL")]
        .into_iter()
        .find(|l| !l.is_empty())
        .map_or_else(|| format!("ibmwebspheremq{}", qm.name.to_ascii_lowercase()), str::to_string);
    let keyr = qm.attribute("SSLKEYR");
    if keyr.is_empty() {
        return Err(format!("{} has no key repository", qm.name));
    }
    keystore::personal_certificate(fs, &fs.host_path(&node.name, &format!("{keyr}.kdb")), &label)
}

/// The pair's link when both queue managers run and the lab planted a handshake that
/// succeeds; the certificates each end presents, read from its key repository.
fn link<'a>(estate: &'a Estate, fs: &dyn HostFs, sender: End2<'a>, receiver: End2<'a>) -> Option<Link<'a>> {
    let sender_node = estate.running_on(sender.0).into_iter().next()?;
    let receiver_node = estate.running_on(receiver.0).into_iter().next()?;
    let tls = !sender.1.get("SSLCIPH").is_empty() || !receiver.1.get("SSLCIPH").is_empty();
    if !planted_runs(&sender.1.name, tls) {
        return None;
    }
    let (sender_cert, receiver_cert) = if tls {
        (presented(fs, sender, sender_node).ok(), Some(presented(fs, receiver, receiver_node).ok()?))
    } else {
        (None, None)
    };
    Some(Link { sender_node, receiver_node, sender_cert, receiver_cert })
}

/// The entries of a CONNAME list (`host(port),host(port)`).
fn connames(conname: &str) -> Vec<&str> {
    conname.split(',').map(str::trim).filter(|c| !c.is_empty()).collect()
}

/// The status of `channel` of `qm` (which runs where it is asked); `None` when it has none.
pub fn status(estate: &Estate, fs: &dyn HostFs, qm: &QueueManager, channel: &Channel) -> Option<ChannelStatus> {
    let mine = channel.get("CHLTYPE");
    let partner = estate.qmgrs.iter().filter(|q| q.name != qm.name).find_map(|q| {
        q.channels.iter().find(|c| c.name == channel.name && pair_end(mine, c.get("CHLTYPE")).is_some()).map(|c| (q, c))
    });
    let end = match partner {
        Some((_, theirs)) => pair_end(mine, theirs.get("CHLTYPE"))?,
        // Without a partner a sender with somewhere to call still tries (AMQ9520E remotely).
        None if matches!(mine, "SDR" | "SVR" | "CLUSSDR") && !channel.get("CONNAME").is_empty() => End::Sender,
        None => return None,
    };
    let tls = |cert: Option<&PeerCert>| cert.map_or((String::new(), String::new()), |c| (c.issuer.clone(), c.dn.clone()));
    match end {
        End::Sender => {
            let xmitq = Some(channel.get("XMITQ").to_string()).filter(|_| mine != "CLUSSDR");
            let Some(link) = partner.and_then(|p| link(estate, fs, (qm, channel), p)) else {
                // Not from the seed: a retrying sender as MQ shows one, with nothing learnt
                // from its partner (blank RQMNAME, SSLPEER, SSLCERTI and SUBSTATE).
                return Some(ChannelStatus {
                    chltype: mine.to_string(),
                    conname: connames(channel.get("CONNAME")).first().map_or_else(String::new, |c| c.to_string()),
                    rqmname: String::new(),
                    sslcerti: String::new(),
                    sslpeer: String::new(),
                    status: "RETRYING",
                    substate: "",
                    xmitq,
                });
            };
            // The address it reached: the CONNAME entry naming the partner's node or region.
            let region = estate.region_of(&link.receiver_node.name);
            let list = connames(channel.get("CONNAME"));
            let reached = list
                .iter()
                .find(|c| c.starts_with(&format!("{}(", link.receiver_node.ip)) || region.is_some_and(|r| c.starts_with(&format!("{}(", r.load_balancer))))
                .or(list.first())
                .map_or_else(String::new, |c| c.to_string());
            let (sslcerti, sslpeer) = tls(link.receiver_cert.as_ref());
            let rqmname = partner.map_or_else(String::new, |(q, _)| q.name.clone());
            Some(ChannelStatus { chltype: mine.to_string(), conname: reached, rqmname, sslcerti, sslpeer, status: "RUNNING", substate: "MQGET", xmitq })
        }
        End::Receiver => {
            let (their_qm, theirs) = partner?;
            let link = link(estate, fs, (their_qm, theirs), (qm, channel))?;
            let (sslcerti, sslpeer) = tls(link.sender_cert.as_ref());
            // Seed 000: a receiver's CONNAME is the address the sender came from, no port.
            Some(ChannelStatus {
                chltype: mine.to_string(),
                conname: link.sender_node.ip.clone(),
                rqmname: their_qm.name.clone(),
                sslcerti,
                sslpeer,
                status: "RUNNING",
                substate: "RECEIVE",
                xmitq: None,
            })
        }
    }
}
