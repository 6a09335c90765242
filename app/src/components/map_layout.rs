//! Where everything goes on the estate map, computed from a snapshot as plain data: the
//! drawing re-renders only when something on it changed, and the geometry reads on its own.
//!
//! Left to right, as traffic flows: MQIPT instances with their routes, the regions' load
//! balancers, each region's HA group with its nodes, and on each node the queue managers it
//! runs (or holds as DR secondary standby).

use crate::checks::{RouteVerdict, route_verdict};
use crate::components::map_card::{QmCard, cards_for};
use crate::text_fit::{fit, wrap};
use model::estate::{NodeView, QmgrView, RegionView, RouteView, Snapshot};
use model::status::HaStatus;

pub const WIDTH: i32 = 1240;
/// MQIPT instances and their routes.
const COL_A_W: i32 = 280;
/// Load balancers.
const COL_B_X: i32 = 318;
const COL_B_W: i32 = 150;
/// Regions (HA groups).
const COL_C_X: i32 = 500;
const COL_C_W: i32 = WIDTH - COL_C_X - 2;
pub const LINE: i32 = 15;
const GAP: i32 = 12;
const PAD: i32 = 10;
/// Characters that fit on one line of a route box, at the map's 11-unit font.
const ROUTE_CHARS: usize = 34;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Frame {
    pub x: i32,
    pub y: i32,
    pub w: i32,
    pub h: i32,
}

impl Frame {
    pub fn right(&self) -> i32 {
        self.x + self.w
    }
    pub fn bottom(&self) -> i32 {
        self.y + self.h
    }
    pub fn mid_y(&self) -> i32 {
        self.y + self.h / 2
    }
}

/// Whether a host answered the last refresh.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reach {
    Reachable,
    /// What is shown for it is `last_ok_at` old (never answered: `None`).
    Unreachable { last_ok_at: Option<u64>, error: String },
}

#[derive(Clone, Debug, PartialEq)]
pub struct InstanceBox {
    pub frame: Frame,
    pub name: String,
    pub host: String,
    pub reach: Reach,
    /// The instance answered but its configuration could not be read.
    pub error: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RouteBox {
    pub frame: Frame,
    pub title: String,
    pub details: Vec<String>,
    pub verdict: RouteVerdict,
    pub verdict_lines: Vec<String>,
    pub active: bool,
    pub stale: bool,
    /// The accessible name: port, name and the verdict in words.
    pub label: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct BalancerBox {
    pub frame: Frame,
    pub region: String,
    pub host: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RegionBox {
    pub frame: Frame,
    pub name: String,
    pub summary: String,
    /// A line above each HA group's row, when the region has several.
    pub groups: Vec<GroupLabel>,
    pub nodes: Vec<NodeBox>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct GroupLabel {
    pub x: i32,
    pub y: i32,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct NodeBox {
    pub frame: Frame,
    pub name: String,
    pub reach: Reach,
    /// What is wrong with a node that answers (cut off from its peers, resynchronising, …).
    pub note: Option<String>,
    pub cards: Vec<QmCard>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkKind {
    Normal,
    Problem,
    Inactive,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Link {
    pub points: Vec<(i32, i32)>,
    pub kind: LinkKind,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MapLayout {
    pub height: i32,
    pub instances: Vec<InstanceBox>,
    pub routes: Vec<RouteBox>,
    pub balancers: Vec<BalancerBox>,
    pub regions: Vec<RegionBox>,
    pub links: Vec<Link>,
}

/// Why a node that answers is still not simply well: its own findings first (most severe
/// first, as the server sorts them), then an HA resynchronisation it is part of.
fn note_of(snapshot: &Snapshot, node: &NodeView) -> Option<String> {
    if !node.reachable {
        return None;
    }
    let own = snapshot.findings.iter().find(|f| f.subject == node.name).map(|f| match f.code.as_str() {
        "node_isolated" => "cut off from HA peers".to_string(),
        "not_authorized" => "RDQM: not authorized".to_string(),
        "sudo_required" => "RDQM needs sudo".to_string(),
        "clock_skew" => "clock is off".to_string(),
        _ => f.code.replace('_', " "),
    });
    own.or_else(|| {
        let views = snapshot.qmgrs.iter().flat_map(|q| q.sides.iter()).flat_map(|s| s.nodes.iter());
        let syncing = views
            .filter(|v| !v.stale)
            .any(|v| (v.node == node.name && v.ha_status == Some(HaStatus::SynchronizationInProgress)) || v.peers.iter().any(|(p, st)| *p == node.name && *st == HaStatus::SynchronizationInProgress));
        syncing.then(|| "HA resynchronising".to_string())
    })
}

fn reach_of(node: &NodeView) -> Reach {
    if node.reachable {
        Reach::Reachable
    } else {
        Reach::Unreachable { last_ok_at: node.last_ok_at, error: node.error.clone().unwrap_or_default() }
    }
}

pub fn build(snapshot: &Snapshot) -> MapLayout {
    let mut map =
        MapLayout { height: 0, instances: Vec::new(), routes: Vec::new(), balancers: Vec::new(), regions: Vec::new(), links: Vec::new() };
    place_regions(snapshot, &mut map);
    place_routes(snapshot, &mut map);
    let bottom = |f: &Frame| f.bottom();
    map.height = map
        .regions
        .iter()
        .map(|r| bottom(&r.frame))
        .chain(map.routes.iter().map(|r| bottom(&r.frame)))
        .chain(map.instances.iter().map(|i| bottom(&i.frame)))
        .max()
        .unwrap_or(100)
        + 4;
    map
}

fn place_routes(snapshot: &Snapshot, map: &mut MapLayout) {
    let mut y = 0;
    for instance in &snapshot.mqipt {
        let reach = if instance.reachable {
            Reach::Reachable
        } else {
            Reach::Unreachable { last_ok_at: None, error: instance.error.clone().unwrap_or_default() }
        };
        let frame = Frame { x: 0, y, w: COL_A_W, h: 3 * LINE + 16 };
        let error = if instance.reachable { instance.error.clone() } else { None };
        map.instances.push(InstanceBox { frame, name: instance.name.clone(), host: instance.host.clone(), reach, error });
        y = frame.bottom() + GAP + 4;
        for route in snapshot.routes.iter().filter(|r| r.instance == instance.name) {
            let route_box = route_box(route, snapshot, y);
            let frame = route_box.frame;
            // From the instance down a bus on the left, then into the route.
            map.links.push(Link {
                points: vec![(10, map.instances.last().map_or(0, |i| i.frame.bottom())), (10, frame.mid_y()), (frame.x, frame.mid_y())],
                kind: if route.active { LinkKind::Normal } else { LinkKind::Inactive },
            });
            if let Some(lb) = route.destination_region.as_ref().and_then(|r| map.balancers.iter().find(|b| &b.region == r)) {
                let kind = match (&route_box.verdict, route.active) {
                    (RouteVerdict::Problem(_), _) => LinkKind::Problem,
                    (_, false) => LinkKind::Inactive,
                    _ => LinkKind::Normal,
                };
                let (x1, x2) = (frame.right(), lb.frame.x);
                let mid = (x1 + x2) / 2;
                map.links.push(Link {
                    points: vec![(x1, frame.mid_y()), (mid, frame.mid_y()), (mid, lb.frame.mid_y()), (x2, lb.frame.mid_y())],
                    kind,
                });
            }
            map.routes.push(route_box);
            y = frame.bottom() + GAP;
        }
        y += GAP;
    }
}

/// A route's box at height `y`: what it is, where it sends traffic, and whether that is right.
fn route_box(route: &RouteView, snapshot: &Snapshot, y: i32) -> RouteBox {
    let verdict = route_verdict(route, snapshot);
    let verdict_lines = wrap(&format!("{} {}", verdict.icon(), verdict.text()), ROUTE_CHARS);
    let target = match (&route.destination_region, &route.destination) {
        (Some(region), _) => format!("→ {region} load balancer :{}", route.destination_port.clone().unwrap_or_default()),
        (None, Some(host)) => format!("→ {}", fit(host, ROUTE_CHARS - 2)),
        (None, None) => "→ no Destination".to_string(),
    };
    let tls = format!("TLS {} · {}", route.tls_mode, if route.active { "active" } else { "inactive" });
    let mut details = vec![tls, target];
    if route.stale {
        details.push("⚠ stale: MQIPT host did not answer".into());
    }
    let lines = 1 + details.len() + verdict_lines.len();
    let name = route.name.clone().unwrap_or_default();
    let label = format!(
        "route {} {name}: {}: {}{}{}",
        route.listener_port,
        verdict.word(),
        verdict.text(),
        if route.active { "" } else { "; inactive" },
        if route.stale { "; stale data" } else { "" }
    );
    RouteBox {
        frame: Frame { x: 24, y, w: COL_A_W - 24, h: lines as i32 * LINE + 12 },
        title: fit(&format!("Route {} · {name}", route.listener_port), ROUTE_CHARS - 4),
        details,
        verdict,
        verdict_lines,
        active: route.active,
        stale: route.stale,
        label,
    }
}

/// The node views of each HA group of a region, in order; a region without named groups is
/// one group of all its nodes.
fn group_rows(region: &RegionView) -> Vec<(Option<&str>, Vec<&NodeView>)> {
    if region.groups.len() <= 1 {
        return vec![(None, region.nodes.iter().collect())];
    }
    region
        .groups
        .iter()
        .map(|g| (Some(g.name.as_str()), g.nodes.iter().filter_map(|n| region.nodes.iter().find(|v| &v.name == n)).collect()))
        .collect()
}

fn place_regions(snapshot: &Snapshot, map: &mut MapLayout) {
    let mut y = 0;
    for region in &snapshot.regions {
        let rows = group_rows(region);
        let count = rows.iter().map(|(_, nodes)| nodes.len()).max().unwrap_or(1).max(1) as i32;
        let node_w = (COL_C_W - 2 * PAD - (count - 1) * GAP) / count;
        let head = 2 * LINE + 12;
        let mut nodes: Vec<NodeBox> = Vec::new();
        let mut groups: Vec<GroupLabel> = Vec::new();
        let mut row_y = y + head;
        for (group, members) in &rows {
            if let Some(name) = group {
                let reachable = members.iter().filter(|n| n.reachable).count();
                let mut text = format!("HA group {name}: {reachable} of {} nodes reachable", members.len());
                let held: Vec<&str> = snapshot
                    .qmgrs
                    .iter()
                    .filter(|q| q.dr_primary_regions.contains(&region.name) && q.sides.iter().any(|s| s.region == region.name && s.ha_group.as_deref() == Some(*name)))
                    .map(|q| q.name.as_str())
                    .collect();
                if !held.is_empty() {
                    text.push_str(&format!(" · DR primary for {}", held.join(", ")));
                }
                groups.push(GroupLabel { x: COL_C_X + PAD, y: row_y + LINE, text });
                row_y += LINE + 6;
            }
            let mut row: Vec<NodeBox> = members
                .iter()
                .enumerate()
                .map(|(i, node)| {
                    let x = COL_C_X + PAD + i as i32 * (node_w + GAP);
                    let mut card_y = row_y + 3 * LINE + 8;
                    let mut cards = Vec::new();
                    for qm in &snapshot.qmgrs {
                        for card in cards_for(qm, &node.name) {
                            let h = (card.lines.len() as i32 + 1) * LINE + 12;
                            cards.push(QmCard { frame: Frame { x: x + 8, y: card_y, w: node_w - 16, h }, ..card });
                            card_y += h + 6;
                        }
                    }
                    NodeBox { frame: Frame { x, y: row_y, w: node_w, h: card_y - row_y }, name: node.name.clone(), reach: reach_of(node), note: note_of(snapshot, node), cards }
                })
                .collect();
            let tallest = row.iter().map(|n| n.frame.h).max().unwrap_or(0).max(3 * LINE + 8 + LINE + 16);
            for node in &mut row {
                node.frame.h = tallest;
            }
            row_y += tallest + GAP;
            nodes.extend(row);
        }
        let frame = Frame { x: COL_C_X, y, w: COL_C_W, h: row_y - GAP - y + PAD };
        let reachable = region.nodes.iter().filter(|n| n.reachable).count();
        let names = |regions: fn(&QmgrView) -> &Vec<String>| -> Vec<&str> {
            snapshot.qmgrs.iter().filter(|q| regions(q).contains(&region.name)).map(|q| q.name.as_str()).collect()
        };
        let primary_for = names(|q| &q.dr_primary_regions);
        let last_known_for = names(|q| &q.last_known_primary_regions);
        let mut summary = if rows.len() > 1 {
            format!("{} HA groups: {reachable} of {} nodes reachable", rows.len(), region.nodes.len())
        } else {
            format!("HA group: {reachable} of {} nodes reachable", region.nodes.len())
        };
        // Several groups name their queue managers on their own lines; the region counts them.
        let list = |names: &[&str]| if rows.len() > 1 { format!("{} queue managers", names.len()) } else { names.join(", ") };
        if !primary_for.is_empty() || last_known_for.is_empty() {
            let list = if primary_for.is_empty() { "no queue manager".to_string() } else { list(&primary_for) };
            summary.push_str(&format!(" · DR primary for {list}"));
        }
        if !last_known_for.is_empty() {
            summary.push_str(&format!(" · last known DR primary for {} (no answer now)", list(&last_known_for)));
        }
        let lb = Frame { x: COL_B_X, y: frame.mid_y() - (3 * LINE + 12) / 2, w: COL_B_W, h: 3 * LINE + 12 };
        map.links.push(Link { points: vec![(lb.right(), lb.mid_y()), (frame.x, lb.mid_y())], kind: LinkKind::Normal });
        map.balancers.push(BalancerBox { frame: lb, region: region.name.clone(), host: region.load_balancer.clone() });
        map.regions.push(RegionBox { frame, name: region.name.clone(), summary, groups, nodes });
        y = frame.bottom() + 2 * GAP;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn node(name: &str, reachable: bool) -> serde_json::Value {
        json!({"name": name, "region": "WDC", "reachable": reachable, "stale": false, "error": null, "last_ok_at": null, "group_online": {}, "layers": null})
    }

    #[test]
    fn a_region_of_several_ha_groups_gets_a_row_of_nodes_under_each_groups_line() {
        let snapshot: Snapshot = serde_json::from_value(json!({
            "polled_at": 0, "poll_duration_ms": 0, "qmgrs": [], "routes": [], "mqipt": [], "findings": [],
            "regions": [{
                "name": "WDC", "load_balancer": "wdc.lb",
                "nodes": [node("wdc1-mq1", true), node("wdc2-mq1", true), node("wdc3-mq1", true), node("wdc1-mq2", false), node("wdc2-mq2", true), node("wdc3-mq2", true)],
                "groups": [{"name": "WDC-1", "nodes": ["wdc1-mq1", "wdc2-mq1", "wdc3-mq1"]}, {"name": "WDC-2", "nodes": ["wdc1-mq2", "wdc2-mq2", "wdc3-mq2"]}]
            }]
        }))
        .unwrap();
        let map = build(&snapshot);
        let region = &map.regions[0];
        let labels: Vec<&str> = region.groups.iter().map(|g| g.text.as_str()).collect();
        assert_eq!(labels, ["HA group WDC-1: 3 of 3 nodes reachable", "HA group WDC-2: 2 of 3 nodes reachable"]);
        assert!(region.summary.starts_with("2 HA groups: 5 of 6 nodes reachable"), "{}", region.summary);
        let (first, second) = (&region.nodes[0].frame, &region.nodes[3].frame);
        assert_eq!(first.x, second.x, "each group's first node starts the row");
        assert!(second.y > first.bottom() && region.groups[1].y < second.y && region.groups[1].y > first.bottom());
        assert_eq!(first.w, region.nodes[1].frame.x - first.x - GAP, "three nodes to a row");
        assert!(region.frame.bottom() >= second.bottom());
    }
}
