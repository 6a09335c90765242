//! `DISPLAY CHSTATUS` of a simulated queue manager. Whether a TLS channel pair's handshake
//! succeeds is decided by [`crate::tls`] from what each queue manager loaded (its key
//! repository and certificate label), the channels' SSLPEER filters and the CipherSpec
//! outcomes planted here ([`PLANTED`], written down from the lab's configuration and IBM's
//! documentation), never computed with the console's own rules (`model::channels`,
//! `model::sslpeer`): a wrong rule there then shows as a wrong prediction instead of moving
//! the simulated outcome with it. SSLPEER and SSLCERTI show the real certificates the
//! partners presented.

use crate::estate::{Channel, Estate, QueueManager};
use crate::fs::HostFs;

/// The TLS channel pairs of the lab and whether their CipherSpecs let MQ start them, with why
/// (what MQ logs). A pair whose CipherSpecs agree still needs each end to trust the other's
/// certificate and to pass its SSLPEER ([`crate::tls`]).
pub const PLANTED: &[(&str, bool, &str)] = &[
    // Both ends accept TLS 1.2 or higher (the receiver's SSLPEER names SSLDRHAQM1's DN).
    ("SSLDRHAQM1.TO.DRHAQM2", true, "the CipherSpecs agree"),
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
pub(crate) fn planted_runs(channel: &str, tls: bool) -> bool {
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

/// A pair that runs: where each end runs and what each presented (TLS pairs).
struct Link<'a> {
    receiver_ip: String,
    receiver_node: String,
    sender_ip: &'a str,
    /// (issuer, DN) of the certificate each end presented.
    sender_cert: Option<(String, String)>,
    receiver_cert: Option<(String, String)>,
}

type End2<'a> = (&'a QueueManager, &'a Channel);

/// The pair's link when both queue managers run and (a TLS pair) its handshake succeeded, as
/// [`crate::tls::settle`] decided it.
fn link<'a>(estate: &'a Estate, sender: End2<'a>, receiver: End2<'a>) -> Option<Link<'a>> {
    let sender_node = estate.running_on(sender.0).into_iter().next()?;
    let receiver_node = estate.running_on(receiver.0).into_iter().next()?;
    let tls = !sender.1.get("SSLCIPH").is_empty() || !receiver.1.get("SSLCIPH").is_empty();
    let plain = Link { receiver_ip: receiver_node.ip.clone(), receiver_node: receiver_node.name.clone(), sender_ip: &sender_node.ip, sender_cert: None, receiver_cert: None };
    if !tls {
        return planted_runs(&sender.1.name, false).then_some(plain);
    }
    let decided = estate.tls_links.get(&sender.1.name).filter(|l| l.running && l.sender_qmgr == sender.0.name && l.receiver_qmgr == receiver.0.name)?;
    let view = |v: &Option<crate::tls::PeerView>| v.as_ref().map(|p| (p.issuer.clone(), p.dn.clone()));
    Some(Link { sender_cert: view(&decided.sender_cert), receiver_cert: view(&decided.receiver_cert), ..plain })
}

/// The entries of a CONNAME list (`host(port),host(port)`).
fn connames(conname: &str) -> Vec<&str> {
    conname.split(',').map(str::trim).filter(|c| !c.is_empty()).collect()
}

/// The status of `channel` of `qm` (which runs where it is asked); `None` when it has none.
pub fn status(estate: &Estate, _fs: &dyn HostFs, qm: &QueueManager, channel: &Channel) -> Option<ChannelStatus> {
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
    let tls = |cert: Option<&(String, String)>| cert.cloned().unwrap_or_default();
    match end {
        End::Sender => {
            let xmitq = Some(channel.get("XMITQ").to_string()).filter(|_| mine != "CLUSSDR");
            let Some(link) = partner.and_then(|p| link(estate, (qm, channel), p)) else {
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
            let region = estate.region_of(&link.receiver_node);
            let list = connames(channel.get("CONNAME"));
            let reached = list
                .iter()
                .find(|c| c.starts_with(&format!("{}(", link.receiver_ip)) || region.is_some_and(|r| c.starts_with(&format!("{}(", r.load_balancer))))
                .or(list.first())
                .map_or_else(String::new, |c| c.to_string());
            let (sslcerti, sslpeer) = tls(link.receiver_cert.as_ref());
            let rqmname = partner.map_or_else(String::new, |(q, _)| q.name.clone());
            Some(ChannelStatus { chltype: mine.to_string(), conname: reached, rqmname, sslcerti, sslpeer, status: "RUNNING", substate: "MQGET", xmitq })
        }
        End::Receiver => {
            let (their_qm, theirs) = partner?;
            let link = link(estate, (their_qm, theirs), (qm, channel))?;
            let (sslcerti, sslpeer) = tls(link.sender_cert.as_ref());
            // Seed 000: a receiver's CONNAME is the address the sender came from, no port.
            Some(ChannelStatus {
                chltype: mine.to_string(),
                conname: link.sender_ip.to_string(),
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
