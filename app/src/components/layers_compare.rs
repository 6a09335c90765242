//! The three layers of each node side by side, for one queue manager in one region: what
//! rdqmstatus says, what DRBD says, what Pacemaker says, and where they disagree, in words.
//! (rdqmstatus is a summary of the other two: when they disagree, rdqmstatus is not the truth.)

use crate::checks::Tone;
use crate::components::badge::Badge;
use crate::components::node_layers::QmLayers;
use leptos::prelude::*;
use model::crm::INFINITY;
use model::estate::QmNode;
use model::status::{HaRole, HaStatus, QmStatus};

/// One node's row.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerRow {
    pub node: String,
    pub rdqmstatus: String,
    pub drbd: String,
    pub pacemaker: String,
    pub disagreements: Vec<String>,
    /// A layer could not be compared (not read, stale).
    pub unknown: Vec<String>,
}

fn opt(v: Option<String>) -> String {
    v.unwrap_or_else(|| "?".into())
}

pub fn compare(qm: &str, node: &QmNode, layers: Option<&QmLayers>) -> LayerRow {
    let name = qm.to_lowercase();
    let mut disagreements = Vec::new();
    let mut unknown = Vec::new();
    let rdqmstatus = if node.stale {
        unknown.push("rdqmstatus is from an earlier refresh: the node does not answer".to_string());
        "no answer (stale)".to_string()
    } else {
        format!(
            "{}; HA {} · {}",
            opt(node.qm_status.as_ref().map(ToString::to_string)),
            opt(node.ha_role.as_ref().map(ToString::to_string)),
            opt(node.ha_status.as_ref().map(ToString::to_string))
        )
    };
    let fresh = !node.stale && node.error.is_none();
    let ha_normal = fresh && node.ha_status == Some(HaStatus::Normal);
    let layers = layers.filter(|_| !node.stale);

    // DRBD: the queue manager's HA resource on this node.
    let drbd_res = layers.and_then(|l| l.drbd.as_ref()).and_then(|d| d.iter().find(|r| r.name == name));
    let drbd = match (layers.map(|l| l.drbd.is_some()), drbd_res) {
        (None, _) | (Some(false), _) => {
            unknown.push("DRBD not read".to_string());
            "not read".to_string()
        }
        (Some(true), None) => {
            if fresh {
                disagreements.push(format!("rdqmstatus reports {qm}, DRBD has no resource {name} on this node"));
            }
            format!("no resource {name}")
        }
        (Some(true), Some(r)) => {
            let disk = r.disk.clone().unwrap_or_else(|| "?".into());
            let mut problems = Vec::new();
            if !disk.eq_ignore_ascii_case("UpToDate") {
                problems.push(format!("its disk is {disk}"));
            }
            for p in &r.peers {
                let link = p.connection.as_deref().unwrap_or("Connected");
                let peer_disk = p.peer_disk.as_deref().unwrap_or("UpToDate");
                if !link.eq_ignore_ascii_case("Connected") {
                    problems.push(format!("peer {} is {link}", p.name));
                } else if !peer_disk.eq_ignore_ascii_case("UpToDate") {
                    problems.push(format!("peer {}'s disk is {peer_disk}", p.name));
                }
            }
            if ha_normal && !problems.is_empty() {
                disagreements.push(format!("rdqmstatus says HA status Normal, DRBD says {}", problems.join(", ")));
            }
            let role = r.role.clone().unwrap_or_else(|| "?".into());
            let ha_primary = node.ha_role == Some(HaRole::Primary);
            let drbd_primary = role.eq_ignore_ascii_case("Primary");
            if fresh && node.ha_role.is_some() && r.role.is_some() && ha_primary != drbd_primary {
                disagreements.push(format!("rdqmstatus says HA role {}, DRBD says role {role}", opt(node.ha_role.as_ref().map(ToString::to_string))));
            }
            let peers_ok = r.peers.len() - problems.iter().filter(|p| p.starts_with("peer ")).count();
            let problems_text = if problems.is_empty() { String::new() } else { format!("; ⚠ {}", problems.join(", ")) };
            format!("{role}, disk {disk}; {peers_ok} of {} peers connected and UpToDate{problems_text}", r.peers.len())
        }
    };

    // Pacemaker: the queue manager's own resource, and fail-counts on this node.
    let pacemaker = match layers.and_then(|l| l.resources.as_ref()) {
        None => {
            unknown.push("Pacemaker not read".to_string());
            "not read".to_string()
        }
        Some(resources) => {
            let own = resources.iter().find(|r| r.id == name && r.parent.is_none()).or_else(|| resources.iter().find(|r| r.id == name));
            let started_here = own.is_some_and(|r| r.active == Some(true) && r.nodes.contains(&node.node));
            let where_text = match own {
                None => format!("no resource {name}"),
                Some(r) if r.active == Some(true) && !r.nodes.is_empty() => format!("{name} {} on {}", opt(r.role.clone()), r.nodes.join(", ")),
                Some(r) => format!("{name} {}", opt(r.role.clone())),
            };
            let running_here = node.qm_status == Some(QmStatus::Running);
            if fresh && own.is_some() && running_here && !started_here {
                disagreements.push(format!("rdqmstatus says Running here, Pacemaker does not have {name} started here"));
            }
            if fresh && started_here && !running_here && node.qm_status.is_some() {
                disagreements.push(format!(
                    "Pacemaker has {name} started here, rdqmstatus says {}",
                    opt(node.qm_status.as_ref().map(ToString::to_string))
                ));
            }
            let count = layers.map_or(0, |l| l.fail_counts.iter().filter(|f| f.node == node.node && f.resource == name).map(|f| f.fail_count).max().unwrap_or(0));
            let fail = match count {
                0 => String::new(),
                c if c >= INFINITY => {
                    if ha_normal {
                        disagreements.push(format!("Pacemaker has banned {name} here (fail-count INFINITY); rdqmstatus says HA status Normal"));
                    }
                    "; ⚠ fail-count INFINITY here (banned)".to_string()
                }
                c => format!("; ⚠ fail-count {c} here"),
            };
            format!("{where_text}{fail}")
        }
    };
    LayerRow { node: node.node.clone(), rdqmstatus, drbd, pacemaker, disagreements, unknown }
}

/// The region's nodes, one row each, three layers and the verdict.
#[component]
pub fn LayersCompare(qm: String, region: String, rows: Vec<LayerRow>) -> impl IntoView {
    let columns = ["Node", "rdqmstatus", "DRBD (drbdadm status)", "Pacemaker (crm_mon)", "Do the layers agree?"];
    view! {
        <table class="data layers-compare">
            <caption>{format!("{qm} in {region}: rdqmstatus, DRBD and Pacemaker side by side on each node")}</caption>
            <thead>
                <tr>{columns.map(|c| view! { <th scope="col">{c}</th> }).collect_view()}</tr>
            </thead>
            <tbody>{rows.into_iter().map(|row| view! { <LayerRowView row=row /> }).collect_view()}</tbody>
        </table>
    }
}

#[component]
fn LayerRowView(row: LayerRow) -> impl IntoView {
    let LayerRow { node, rdqmstatus, drbd, pacemaker, disagreements, unknown } = row;
    let problem = !disagreements.is_empty();
    let verdict = if problem {
        view! {
            <Badge tone=Tone::Bad text="No: they disagree" />
            <ul class="reasons">{disagreements.into_iter().map(|d| view! { <li>{d}</li> }).collect_view()}</ul>
        }
        .into_any()
    } else if !unknown.is_empty() {
        view! { <Badge tone=Tone::Unknown text=format!("Cannot tell: {}", unknown.join("; ")) /> }.into_any()
    } else {
        view! { <Badge tone=Tone::Good text="Yes, they agree" /> }.into_any()
    };
    view! {
        <tr class:problem=problem>
            <th scope="row">{node}</th>
            <td>{rdqmstatus}</td>
            <td>{drbd}</td>
            <td>{pacemaker}</td>
            <td class="wrap">{verdict}</td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::crm::{CrmResource, FailCount};
    use model::drbd::{DrbdPeer, DrbdResource};

    fn node(status: QmStatus, role: HaRole) -> QmNode {
        QmNode {
            node: "dal1-mq1".into(),
            stale: false,
            qm_status: Some(status),
            ha_role: Some(role),
            ha_status: Some(HaStatus::Normal),
            dr_role: None,
            dr_status: None,
            fields: Vec::new(),
            peers: Vec::new(),
            error: None,
        }
    }

    fn drbd(role: &str, peer_link: Option<&str>) -> DrbdResource {
        DrbdResource {
            name: "drhaqm1".into(),
            role: Some(role.into()),
            disk: Some("UpToDate".into()),
            peers: vec![DrbdPeer {
                name: "dal2-mq1".into(),
                role: Some("Secondary".into()),
                connection: peer_link.map(Into::into),
                peer_disk: Some("UpToDate".into()),
                replication: None,
                done: None,
                attributes: Default::default(),
            }],
            attributes: Default::default(),
        }
    }

    fn pcmk(role: &str, on: &[&str]) -> CrmResource {
        CrmResource {
            id: "drhaqm1".into(),
            resource_agent: None,
            role: Some(role.into()),
            active: Some(!on.is_empty()),
            failed: Some(false),
            blocked: Some(false),
            nodes: on.iter().map(|n| n.to_string()).collect(),
            parent: None,
            attributes: Default::default(),
        }
    }

    fn layers(d: DrbdResource, p: CrmResource, fail: u64) -> QmLayers {
        QmLayers {
            drbd: Some(vec![d]),
            resources: Some(vec![p]),
            fail_counts: (fail > 0)
                .then(|| FailCount { node: "dal1-mq1".into(), resource: "drhaqm1".into(), fail_count: fail, last_failure: None, attributes: Default::default() })
                .into_iter()
                .collect(),
            failures: Vec::new(),
            errors: Vec::new(),
        }
    }

    #[test]
    fn a_healthy_standby_primary_agrees() {
        let row = compare("DRHAQM1", &node(QmStatus::EndedImmediately, HaRole::Primary), Some(&layers(drbd("Primary", None), pcmk("Stopped", &[]), 0)));
        assert!(row.disagreements.is_empty(), "{row:?}");
        assert!(row.unknown.is_empty());
    }

    #[test]
    fn a_hidden_ban_and_a_connecting_peer_are_disagreements_in_words() {
        let row = compare("DRHAQM1", &node(QmStatus::EndedImmediately, HaRole::Primary), Some(&layers(drbd("Primary", Some("Connecting")), pcmk("Stopped", &[]), INFINITY)));
        assert_eq!(row.disagreements.len(), 2, "{row:?}");
        assert!(row.disagreements[0].contains("DRBD says peer dal2-mq1 is Connecting"));
        assert!(row.disagreements[1].contains("banned"));
    }

    #[test]
    fn running_without_pacemaker_is_a_disagreement() {
        let row = compare("DRHAQM1", &node(QmStatus::Running, HaRole::Primary), Some(&layers(drbd("Primary", None), pcmk("Stopped", &[]), 0)));
        assert_eq!(row.disagreements, vec!["rdqmstatus says Running here, Pacemaker does not have drhaqm1 started here".to_string()]);
        let row = compare("DRHAQM1", &node(QmStatus::Running, HaRole::Secondary), Some(&layers(drbd("Primary", None), pcmk("Started", &["dal1-mq1"]), 0)));
        assert!(row.disagreements[0].contains("HA role Secondary, DRBD says role Primary"));
    }

    #[test]
    fn unread_layers_cannot_be_compared() {
        let row = compare("DRHAQM1", &node(QmStatus::Running, HaRole::Primary), None);
        assert_eq!(row.unknown, vec!["DRBD not read".to_string(), "Pacemaker not read".to_string()]);
    }
}
