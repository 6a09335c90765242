//! `DISPLAY CHSTATUS` of a simulated queue manager: what each channel is doing, decided from
//! both ends' definitions by the rules the console predicts with (`model::channels`) and from
//! the certificates the ends present, read from the queue managers' key repositories (the
//! lab's real certificates), so SSLPEER and SSLCERTI show real DNs, never invented ones.

use crate::estate::{Channel, Estate, Node, QueueManager};
use crate::fs::HostFs;
use crate::keystore::{self, PeerCert};
use model::channels::{self, CipherFit, End};

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

/// Does `cert` pass `filter` (an empty SSLPEER passes everyone)?
fn passes(filter: &str, cert: Option<&PeerCert>) -> bool {
    filter.is_empty() || cert.is_some_and(|c| model::sslpeer::matches(&c.dn, filter).is_ok_and(|m| m.matches))
}

/// The pair's link when both queue managers run and the TLS handshake succeeds; `None` for
/// what MQ reports as AMQ9631E (CipherSpecs), AMQ9637E (no certificate), AMQ9636E (SSLPEER).
/// Whether each end trusts the other's issuer is not checked: the lab's queue manager
/// certificates all come from the CA both repositories trust.
fn link<'a>(estate: &'a Estate, fs: &dyn HostFs, sender: End2<'a>, receiver: End2<'a>) -> Option<Link<'a>> {
    let sender_node = estate.running_on(sender.0).into_iter().next()?;
    let receiver_node = estate.running_on(receiver.0).into_iter().next()?;
    let swapped = channels::receiver_initiates(receiver.1.get("CHLTYPE"));
    let ((init, init_node), (resp, resp_node)) = if swapped {
        ((receiver, receiver_node), (sender, sender_node))
    } else {
        ((sender, sender_node), (receiver, receiver_node))
    };
    // "Likely to fail" fails here: the handshake settles on the strongest CipherSpec both offer.
    if channels::cipher_fit(init.1.get("SSLCIPH"), resp.1.get("SSLCIPH")).0 != CipherFit::Match {
        return None;
    }
    let (mut init_cert, mut resp_cert) = (None, None);
    if !resp.1.get("SSLCIPH").is_empty() {
        resp_cert = Some(presented(fs, resp, resp_node).ok()?);
        init_cert = presented(fs, init, init_node).ok();
        if init_cert.is_none() && !resp.1.get("SSLCAUTH").eq_ignore_ascii_case("OPTIONAL") {
            return None;
        }
        if !passes(resp.1.get("SSLPEER"), init_cert.as_ref()) || !passes(init.1.get("SSLPEER"), resp_cert.as_ref()) {
            return None;
        }
    }
    let (sender_cert, receiver_cert) = if swapped { (resp_cert, init_cert) } else { (init_cert, resp_cert) };
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
        q.channels.iter().find(|c| c.name == channel.name && channels::pair_end(mine, c.get("CHLTYPE")).is_some()).map(|c| (q, c))
    });
    let end = match partner {
        Some((_, theirs)) => channels::pair_end(mine, theirs.get("CHLTYPE"))?,
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
