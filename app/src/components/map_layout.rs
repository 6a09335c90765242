//! Where everything goes on the estate map, computed from a snapshot as plain data: the
//! drawing re-renders only when something on it changed, and the geometry reads on its own.
//!
//! Left to right, as traffic flows: MQIPT instances with their routes, the regions' load
//! balancers, each region's HA group with its nodes, and on each node the queue managers it
//! runs (or holds as DR secondary standby).

use crate::checks::{RouteVerdict, Tone, route_verdict};
use crate::components::map_card::{QmCard, cards_for};
use crate::components::map_group::{GroupHealth, group_health};
use crate::components::map_routes::{self, Aim, Pair, Slot};
use crate::text_fit::{fit, wrap};
use model::estate::{InventoryGroup, NodeView, QmgrView, RouteView, Snapshot, FindingCode};
use model::status::HaStatus;
use std::collections::BTreeMap;

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

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
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
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
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

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
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

/// The routes of one pair of HA groups behind one box, while its group lines are collapsed
/// and all of them are well: "Routes 1521–1523", "HA groups WDC-2 / DAL-2", "✓ 3 point at
/// the DR primary".
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RouteGroupBox {
    pub frame: Frame,
    pub title: String,
    pub details: Vec<String>,
    /// "ok", "problem" or "unknown": the worst of its routes' verdicts, as a route box's colour.
    pub word: &'static str,
    /// Its routes' aims counted, worst first, each line with its tone.
    pub verdict_lines: Vec<(String, Tone)>,
    pub stale: bool,
    /// The accessible name: "routes 1521–1523 of HA groups WDC-2 / DAL-2: ok: 3 point at the
    /// DR primary".
    pub label: String,
    /// The label, then each route's own verdict.
    pub tooltip: String,
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
    /// `summary` as drawn: broken after a " · " where it is too long for one line (each line
    /// but the last ends in "· ", so the text reads on as one).
    pub summary_lines: Vec<String>,
    /// The region has several HA groups: each has a line that opens and collapses its nodes.
    pub several: bool,
    pub groups: Vec<GroupBox>,
}

/// One HA group's block: its line (when the region has several), then its row of nodes when
/// open. Everything in it is placed from its top, `y`, so a group that moves is not redrawn.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupBox {
    /// "WDC/WDC-4": what the operator's choice to open or collapse it is kept under.
    pub key: String,
    pub y: i32,
    pub head: Option<GroupHead>,
    pub open: bool,
    /// Empty while collapsed.
    pub nodes: Vec<NodeBox>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct GroupHead {
    pub frame: Frame,
    pub name: String,
    pub health: GroupHealth,
}

/// The operator's choices on this page: group key → open. A group without one is open when it
/// needs attention.
pub type OpenGroups = BTreeMap<String, bool>;

pub fn group_key(region: &str, group: &str) -> String {
    format!("{region}/{group}")
}

/// A group line's height: two lines of text (three when its queue managers' states wrap).
pub const GROUP_HEAD_H: i32 = 2 * LINE + 8;
/// Characters of a region's summary to a line, at the map's 11-unit font.
const SUMMARY_CHARS: usize = 108;

/// Whether a group line's second line (its queue managers, bold where something is wrong, and
/// its findings badge) is too wide for one line of the region, as a generous estimate of
/// widths at the map's 11-unit font.
fn second_line_wraps(health: &GroupHealth) -> bool {
    let states: usize = health.qmgrs.iter().map(|(text, _)| text.chars().count() + 3).sum();
    let badge = health.findings_text().chars().count() + 2;
    states as f32 * 6.8 + badge as f32 * 6.6 + 40.0 > (COL_C_W - 2 * PAD) as f32 - 40.0
}

/// `text` in lines of at most `max` characters, broken after a " · " (a part longer than a
/// line stays whole); every line but the last keeps the "· " it broke at.
fn break_at_dots(text: &str, max: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for part in text.split(" · ") {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 3 + part.chars().count() <= max => {
                line.push_str(" · ");
                line.push_str(part);
            }
            Some(line) => {
                line.push_str(" · ");
                lines.push(part.to_string());
            }
            None => lines.push(part.to_string()),
        }
    }
    lines
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
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

#[derive(Clone, Debug, Default, PartialEq)]
pub struct MapLayout {
    pub height: i32,
    pub instances: Vec<InstanceBox>,
    pub routes: Vec<RouteBox>,
    /// Gathered routes (an estate of several HA groups per region only).
    pub route_groups: Vec<RouteGroupBox>,
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
    let own = snapshot.findings.iter().find(|f| f.subject == node.name).map(|f| match f.code {
        FindingCode::NodeIsolated => "cut off from HA peers".to_string(),
        FindingCode::NotAuthorized => "RDQM: not authorized".to_string(),
        FindingCode::SudoRequired => "RDQM needs sudo".to_string(),
        FindingCode::ClockSkew => "clock is off".to_string(),
        _ => f.code.as_str().replace('_', " "),
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

/// The map of `snapshot`, each HA group of a region with several open or collapsed as the
/// operator chose in `open`, else open when it needs attention.
pub fn build(snapshot: &Snapshot, open: &OpenGroups) -> MapLayout {
    let mut map = MapLayout::default();
    place_regions(snapshot, open, &mut map);
    place_routes(snapshot, &mut map);
    let bottom = |f: &Frame| f.bottom();
    map.height = map
        .regions
        .iter()
        .map(|r| bottom(&r.frame))
        .chain(map.routes.iter().map(|r| bottom(&r.frame)))
        .chain(map.route_groups.iter().map(|r| bottom(&r.frame)))
        .chain(map.instances.iter().map(|i| bottom(&i.frame)))
        .max()
        .unwrap_or(100)
        + 4;
    map
}

/// The MQIPT instances, each with its routes under it; in an estate of several HA groups per
/// region, each pair's routes together, behind one box while its group lines are collapsed.
fn place_routes(snapshot: &Snapshot, map: &mut MapLayout) {
    // The group lines as placed: a pair's routes follow them.
    let lines: BTreeMap<String, bool> = map.regions.iter().flat_map(|r| r.groups.iter().filter(|g| g.head.is_some()).map(|g| (g.key.clone(), g.open))).collect();
    let is_open = |region: &str, group: &str| lines.get(&group_key(region, group)).copied().unwrap_or(false);
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
        let routes: Vec<&RouteView> = snapshot.routes.iter().filter(|r| r.instance == instance.name).collect();
        for slot in map_routes::gather(snapshot, &routes, is_open) {
            let (frame, targets) = match slot {
                Slot::Full(route) => {
                    let route_box = route_box(route, snapshot, y);
                    let kind = match (&route_box.verdict, route.active) {
                        (RouteVerdict::Problem(_), _) => LinkKind::Problem,
                        (_, false) => LinkKind::Inactive,
                        _ => LinkKind::Normal,
                    };
                    let frame = route_box.frame;
                    map.routes.push(route_box);
                    (frame, vec![(route.destination_region.clone(), route.active, kind)])
                }
                Slot::Compact { pair, routes } => {
                    let (group_box, targets) = route_group_box(&pair, &routes, snapshot, y);
                    let frame = group_box.frame;
                    map.route_groups.push(group_box);
                    (frame, targets)
                }
            };
            // From the instance down a bus on the left, then into the box.
            let active = targets.iter().any(|(_, active, _)| *active);
            map.links.push(Link {
                points: vec![(10, map.instances.last().map_or(0, |i| i.frame.bottom())), (10, frame.mid_y()), (frame.x, frame.mid_y())],
                kind: if active { LinkKind::Normal } else { LinkKind::Inactive },
            });
            // Then on to each load balancer it sends traffic to.
            for (region, _, kind) in targets {
                if let Some(lb) = region.as_ref().and_then(|r| map.balancers.iter().find(|b| &b.region == r)) {
                    let (x1, x2) = (frame.right(), lb.frame.x);
                    let mid = (x1 + x2) / 2;
                    map.links.push(Link {
                        points: vec![(x1, frame.mid_y()), (mid, frame.mid_y()), (mid, lb.frame.mid_y()), (x2, lb.frame.mid_y())],
                        kind,
                    });
                }
            }
            y = frame.bottom() + GAP;
        }
        y += GAP;
    }
}

/// The box standing for `routes` of `pair` at height `y`, and the load balancers they send
/// traffic to (each once, in the routes' order): region, whether any route to it is active,
/// and how its link looks (the worst of theirs).
fn route_group_box(pair: &Pair, routes: &[&RouteView], snapshot: &Snapshot, y: i32) -> (RouteGroupBox, Vec<(Option<String>, bool, LinkKind)>) {
    let aims: Vec<Aim> = routes.iter().map(|r| map_routes::aim_of(r, snapshot)).collect();
    let ports: Vec<&str> = routes.iter().map(|r| r.listener_port.as_str()).collect();
    let ranges = map_routes::port_ranges(&ports);
    let plural = if routes.len() == 1 { "" } else { "s" };
    let pair_name = map_routes::pair_name(pair);
    let words = map_routes::summary(&aims);
    let icon = |tone: Tone| match tone {
        Tone::Good => "✓",
        Tone::Unknown => "?",
        _ => "⚠",
    };
    let verdict_lines: Vec<(String, Tone)> =
        words.iter().flat_map(|(text, tone)| wrap(&format!("{} {text}", icon(*tone)), ROUTE_CHARS).into_iter().map(|line| (line, *tone))).collect();
    let stale = routes.iter().any(|r| r.stale);
    let mut details = vec![fit(&pair_name, ROUTE_CHARS)];
    if stale {
        details.push("⚠ stale: MQIPT host did not answer".into());
    }
    let word = map_routes::worst_word(&aims);
    let said: Vec<&str> = words.iter().map(|(text, _)| text.as_str()).collect();
    let label = format!("route{plural} {ranges} of {pair_name}: {word}: {}{}", said.join("; "), if stale { "; stale data" } else { "" });
    let groups: Vec<&str> = pair.iter().map(|(_, g)| g.as_str()).collect();
    let mut tooltip = format!("{label}\nOpen HA group {} to see each route.", groups.join(" or "));
    for route in routes {
        let verdict = route_verdict(route, snapshot);
        tooltip.push_str(&format!("\nRoute {} · {}: {}", route.listener_port, route.name.clone().unwrap_or_default(), verdict.text()));
    }
    let lines = 1 + details.len() + verdict_lines.len();
    let group_box = RouteGroupBox {
        frame: Frame { x: 24, y, w: COL_A_W - 24, h: lines as i32 * LINE + 12 },
        title: fit(&format!("Route{plural} {ranges}"), ROUTE_CHARS - 4),
        details,
        word,
        verdict_lines,
        stale,
        label,
        tooltip,
    };
    let mut targets: Vec<(Option<String>, bool, LinkKind)> = Vec::new();
    for (route, aim) in routes.iter().zip(&aims) {
        let kind = match (aim.tone(), route.active) {
            (Tone::Bad, _) => LinkKind::Problem,
            (_, false) => LinkKind::Inactive,
            _ => LinkKind::Normal,
        };
        let rank = |k: LinkKind| match k {
            LinkKind::Problem => 2,
            LinkKind::Inactive => 1,
            LinkKind::Normal => 0,
        };
        match targets.iter_mut().find(|(region, _, _)| *region == route.destination_region) {
            Some((_, active, worst)) => {
                *active |= route.active;
                if rank(kind) > rank(*worst) {
                    *worst = kind;
                }
            }
            None => targets.push((route.destination_region.clone(), route.active, kind)),
        }
    }
    (group_box, targets)
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

/// A row of nodes from `top` (relative to its group's block), each `node_w` wide, with the
/// cards of the queue managers they run or hold; all as tall as the tallest.
fn node_row(snapshot: &Snapshot, members: &[&NodeView], node_w: i32, top: i32) -> Vec<NodeBox> {
    let mut row: Vec<NodeBox> = members
        .iter()
        .enumerate()
        .map(|(i, node)| {
            let x = COL_C_X + PAD + i as i32 * (node_w + GAP);
            let mut card_y = top + 3 * LINE + 8;
            let mut cards = Vec::new();
            for qm in &snapshot.qmgrs {
                for card in cards_for(qm, &node.name) {
                    let h = (card.lines.len() as i32 + 1) * LINE + 12;
                    cards.push(QmCard { frame: Frame { x: x + 8, y: card_y, w: node_w - 16, h }, ..card });
                    card_y += h + 6;
                }
            }
            NodeBox { frame: Frame { x, y: top, w: node_w, h: card_y - top }, name: node.name.clone(), reach: reach_of(node), note: note_of(snapshot, node), cards }
        })
        .collect();
    let tallest = row.iter().map(|n| n.frame.h).max().unwrap_or(0).max(3 * LINE + 8 + LINE + 16);
    for node in &mut row {
        node.frame.h = tallest;
    }
    row
}

fn place_regions(snapshot: &Snapshot, open: &OpenGroups, map: &mut MapLayout) {
    let mut y = 0;
    for region in &snapshot.regions {
        let several = region.groups.len() > 1;
        // A region without named groups is one group of all its nodes, drawn without a line.
        let rows: Vec<(Option<&InventoryGroup>, Vec<&NodeView>)> = if several {
            region.groups.iter().map(|g| (Some(g), g.nodes.iter().filter_map(|n| region.nodes.iter().find(|v| &v.name == n)).collect())).collect()
        } else {
            vec![(None, region.nodes.iter().collect())]
        };
        let reachable = region.nodes.iter().filter(|n| n.reachable).count();
        let names = |regions: fn(&QmgrView) -> &Vec<String>| -> Vec<&str> {
            snapshot.qmgrs.iter().filter(|q| regions(q).contains(&region.name)).map(|q| q.name.as_str()).collect()
        };
        let primary_for = names(|q| &q.dr_primary_regions);
        let last_known_for = names(|q| &q.last_known_primary_regions);
        let mut summary = if several {
            format!("{} HA groups: {reachable} of {} nodes reachable", region.groups.len(), region.nodes.len())
        } else {
            format!("HA group: {reachable} of {} nodes reachable", region.nodes.len())
        };
        // Several groups name their queue managers on their own lines; the region counts them.
        let list = |names: &[&str]| if several { format!("{} queue managers", names.len()) } else { names.join(", ") };
        if !primary_for.is_empty() || last_known_for.is_empty() {
            let list = if primary_for.is_empty() { "no queue manager".to_string() } else { list(&primary_for) };
            summary.push_str(&format!(" · DR primary for {list}"));
        }
        if !last_known_for.is_empty() {
            summary.push_str(&format!(" · last known DR primary for {} (no answer now)", list(&last_known_for)));
        }
        // One line as always for a region of one group; a region of several breaks it.
        let summary_lines = if several { break_at_dots(&summary, SUMMARY_CHARS) } else { vec![summary.clone()] };
        let count = rows.iter().map(|(_, nodes)| nodes.len()).max().unwrap_or(1).max(1) as i32;
        let node_w = (COL_C_W - 2 * PAD - (count - 1) * GAP) / count;
        let head = 2 * LINE + 12 + (summary_lines.len() as i32 - 1) * LINE;
        let mut groups: Vec<GroupBox> = Vec::new();
        let mut block_y = y + head;
        let mut bottom = block_y;
        for (group, members) in &rows {
            let name = group.map_or(region.name.as_str(), |g| g.name.as_str());
            let key = group_key(&region.name, name);
            let head = group.map(|g| {
                let health = group_health(snapshot, region, g);
                let h = if second_line_wraps(&health) { GROUP_HEAD_H + LINE - 4 } else { GROUP_HEAD_H };
                GroupHead { frame: Frame { x: COL_C_X + PAD, y: 0, w: COL_C_W - 2 * PAD, h }, name: g.name.clone(), health }
            });
            let is_open = match &head {
                None => true,
                Some(h) => open.get(&key).copied().unwrap_or_else(|| h.health.needs_attention()),
            };
            let head_h = head.as_ref().map_or(0, |h| h.frame.h);
            let top = if head.is_some() { head_h + 6 } else { 0 };
            let nodes = if is_open { node_row(snapshot, members, node_w, top) } else { Vec::new() };
            let height = nodes.first().map_or(head_h, |n| n.frame.bottom());
            bottom = block_y + height;
            groups.push(GroupBox { key, y: block_y, head, open: is_open, nodes });
            // Collapsed lines sit close together; an open row keeps the map's gap.
            block_y = bottom + if is_open { GAP } else { 6 };
        }
        let frame = Frame { x: COL_C_X, y, w: COL_C_W, h: bottom - y + PAD };
        let lb = Frame { x: COL_B_X, y: frame.mid_y() - (3 * LINE + 12) / 2, w: COL_B_W, h: 3 * LINE + 12 };
        map.links.push(Link { points: vec![(lb.right(), lb.mid_y()), (frame.x, lb.mid_y())], kind: LinkKind::Normal });
        map.balancers.push(BalancerBox { frame: lb, region: region.name.clone(), host: region.load_balancer.clone() });
        map.regions.push(RegionBox { frame, name: region.name.clone(), summary, summary_lines, several, groups });
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

    fn two_groups(reachable: [bool; 6]) -> Snapshot {
        let names = ["wdc1-mq1", "wdc2-mq1", "wdc3-mq1", "wdc1-mq2", "wdc2-mq2", "wdc3-mq2"];
        serde_json::from_value(json!({
            "polled_at": 0, "poll_duration_ms": 0, "qmgrs": [], "routes": [], "mqipt": [], "findings": [],
            "regions": [{
                "name": "WDC", "load_balancer": "wdc.lb",
                "nodes": names.iter().zip(reachable).map(|(n, up)| node(n, up)).collect::<Vec<_>>(),
                "groups": [{"name": "WDC-1", "nodes": &names[..3]}, {"name": "WDC-2", "nodes": &names[3..]}]
            }]
        }))
        .unwrap()
    }

    fn names(group: &GroupBox) -> Vec<&str> {
        group.nodes.iter().map(|n| n.name.as_str()).collect()
    }

    #[test]
    fn a_region_of_several_ha_groups_gets_a_line_per_group_and_a_row_of_nodes_under_each_open_one() {
        let snapshot = two_groups([true, true, true, false, true, true]);
        let all_open = OpenGroups::from([(group_key("WDC", "WDC-1"), true), (group_key("WDC", "WDC-2"), true)]);
        let map = build(&snapshot, &all_open);
        let region = &map.regions[0];
        assert!(region.several);
        let lines: Vec<&str> = region.groups.iter().map(|g| g.head.as_ref().unwrap().health.line.as_str()).collect();
        assert_eq!(lines, ["HA group WDC-1: 3 of 3 nodes reachable", "HA group WDC-2: 2 of 3 nodes reachable"]);
        assert!(region.summary.starts_with("2 HA groups: 5 of 6 nodes reachable"), "{}", region.summary);
        let (one, two) = (&region.groups[0], &region.groups[1]);
        assert_eq!((names(one), names(two)), (vec!["wdc1-mq1", "wdc2-mq1", "wdc3-mq1"], vec!["wdc1-mq2", "wdc2-mq2", "wdc3-mq2"]));
        let (first, second) = (&one.nodes[0].frame, &two.nodes[0].frame);
        assert_eq!(first.x, second.x, "each group's first node starts the row");
        assert_eq!(first.y, GROUP_HEAD_H + 6, "under its group's line");
        assert!(two.y > one.y + first.bottom(), "the second group starts below the first one's nodes");
        assert_eq!(first.w, one.nodes[1].frame.x - first.x - GAP, "three nodes to a row");
        assert!(region.frame.bottom() >= two.y + second.bottom());
    }

    #[test]
    fn a_group_that_needs_attention_opens_by_default_and_the_operators_choice_wins() {
        let snapshot = two_groups([true, true, true, false, true, true]);
        let map = build(&snapshot, &OpenGroups::new());
        let [one, two] = &map.regions[0].groups[..] else { panic!("two groups") };
        assert_eq!((one.open, one.nodes.len()), (false, 0), "WDC-1 is well: collapsed to its line");
        assert_eq!((two.open, names(two)), (true, vec!["wdc1-mq2", "wdc2-mq2", "wdc3-mq2"]), "WDC-2 lost a node: open");
        assert_eq!(two.y, one.y + GROUP_HEAD_H + 6, "a collapsed group takes its line only");

        let chosen = OpenGroups::from([(group_key("WDC", "WDC-1"), true), (group_key("WDC", "WDC-2"), false)]);
        let map = build(&snapshot, &chosen);
        let [one, two] = &map.regions[0].groups[..] else { panic!("two groups") };
        assert!(one.open && !two.open && two.nodes.is_empty());

        let well = build(&two_groups([true; 6]), &OpenGroups::new());
        assert!(well.regions[0].groups.iter().all(|g| !g.open));
        let opened = build(&two_groups([true; 6]), &OpenGroups::from([(group_key("WDC", "WDC-1"), true), (group_key("WDC", "WDC-2"), true)]));
        assert!(well.height + 150 < opened.height, "{} vs {}", well.height, opened.height);
    }

    #[test]
    fn a_region_of_one_group_has_no_group_line_and_always_shows_its_nodes() {
        let snapshot: Snapshot = serde_json::from_value(json!({
            "polled_at": 0, "poll_duration_ms": 0, "qmgrs": [], "routes": [], "mqipt": [], "findings": [],
            "regions": [{"name": "WDC", "load_balancer": "wdc.lb", "nodes": [node("wdc1-mq1", true), node("wdc2-mq1", true), node("wdc3-mq1", true)], "groups": [{"name": "WDC", "nodes": ["wdc1-mq1", "wdc2-mq1", "wdc3-mq1"]}]}]
        }))
        .unwrap();
        let map = build(&snapshot, &OpenGroups::from([(group_key("WDC", "WDC"), false)]));
        let region = &map.regions[0];
        assert!(!region.several);
        let [group] = &region.groups[..] else { panic!("one group") };
        assert!(group.head.is_none() && group.open);
        assert_eq!(names(group), ["wdc1-mq1", "wdc2-mq1", "wdc3-mq1"]);
        assert_eq!((group.y, group.nodes[0].frame.y), (2 * LINE + 12, 0), "nodes start under the region's two lines, as always");
        assert_eq!(region.frame.h, 2 * LINE + 12 + group.nodes[0].frame.h + PAD);
    }

    /// Two regions of two HA groups each; G<g>QM1 DR primary in WDC and G<g>QM2 in DAL, held
    /// by WDC-<g> and DAL-<g>, each behind a route of MQIPT HAMQ to its DR primary's load
    /// balancer: 1511, 1512, 1521, 1522.
    fn paired_groups() -> Snapshot {
        let region = |name: &str| {
            let lower = name.to_lowercase();
            let nodes: Vec<String> = (1..=2).flat_map(|g| (1..=3).map(|i| format!("{lower}{i}-mq{g}")).collect::<Vec<_>>()).collect();
            json!({"name": name, "load_balancer": format!("{lower}.lb"), "nodes": nodes.iter().map(|n| node(n, true)).collect::<Vec<_>>(),
                   "groups": [{"name": format!("{name}-1"), "nodes": &nodes[..3]}, {"name": format!("{name}-2"), "nodes": &nodes[3..]}]})
        };
        let side = |region: &str, g: u32| json!({"region": region, "ha_group": format!("{region}-{g}"), "stale": false, "dr_role": null, "dr_status": null, "dr_out_of_sync_kb": null, "ha_current_location": null, "ha_preferred_location": null, "nodes": []});
        let (mut qmgrs, mut routes) = (Vec::new(), Vec::new());
        for g in 1..=2 {
            for (i, primary) in [(1, "WDC"), (2, "DAL")] {
                let name = format!("G{g}QM{i}");
                let port = 1500 + 10 * g + i;
                qmgrs.push(json!({"name": name, "listener_port": port, "dr_primary_region": primary, "dr_primary_regions": [primary], "last_known_primary_regions": [],
                                  "running_on": null, "running_nodes": [], "readiness": {}, "route": {"instance": "HAMQ", "listener_port": port}, "sides": [side("WDC", g), side("DAL", g)]}));
                routes.push(json!({"instance": "HAMQ", "listener_port": port.to_string(), "name": name, "destination": format!("{}.lb", primary.to_lowercase()), "destination_port": port.to_string(),
                                   "destination_region": primary, "active": true, "tls_mode": "plain", "qmgr": name, "properties": {}, "stale": false}));
            }
        }
        serde_json::from_value(json!({
            "polled_at": 0, "poll_duration_ms": 0, "qmgrs": qmgrs, "routes": routes, "findings": [],
            "mqipt": [{"name": "HAMQ", "host": "wdc-bastion", "conf_path": "/opt/mqipt/mqipt.conf", "reachable": true, "stale": false, "error": null}],
            "regions": [region("WDC"), region("DAL")]
        }))
        .unwrap()
    }

    fn choose(open: &[(&str, &str, bool)]) -> OpenGroups {
        open.iter().map(|(region, group, value)| (group_key(region, group), *value)).collect()
    }

    #[test]
    fn collapsed_groups_gather_their_routes_in_one_box_linked_to_each_load_balancer_they_point_at() {
        let s = paired_groups();
        let collapsed = choose(&[("WDC", "WDC-1", false), ("WDC", "WDC-2", false), ("DAL", "DAL-1", false), ("DAL", "DAL-2", false)]);
        let map = build(&s, &collapsed);
        assert!(map.routes.is_empty());
        let [one, two] = &map.route_groups[..] else { panic!("one box per pair: {:?}", map.route_groups) };
        assert_eq!((one.title.as_str(), one.details.as_slice(), one.word), ("Routes 1511–1512", &["HA groups WDC-1 / DAL-1".to_string()][..], "ok"));
        assert_eq!(one.verdict_lines, [("✓ 2 point at the DR primary".to_string(), Tone::Good)]);
        assert_eq!(two.label, "routes 1521–1522 of HA groups WDC-2 / DAL-2: ok: 2 point at the DR primary");
        assert!(two.tooltip.ends_with("\nRoute 1522 · G2QM2: points at DAL, the DR primary"), "{}", two.tooltip);
        assert_eq!((one.frame.h, two.frame.y), (3 * LINE + 12, one.frame.bottom() + GAP));
        // The bus into each box, then one link to each load balancer its routes point at.
        let (wdc, dal) = (map.balancers[0].frame, map.balancers[1].frame);
        let from = |f: &Frame| map.links.iter().filter(|l| l.points[0] == (f.right(), f.mid_y())).map(|l| *l.points.last().unwrap()).collect::<Vec<_>>();
        assert_eq!(from(&one.frame), [(wdc.x, wdc.mid_y()), (dal.x, dal.mid_y())]);
        assert!(map.links.iter().any(|l| l.points.last() == Some(&(one.frame.x, one.frame.mid_y())) && l.kind == LinkKind::Normal));

        // Either region's line of group 2 open: its routes in full, the other pair stays one box.
        let map = build(&s, &choose(&[("WDC", "WDC-1", false), ("WDC", "WDC-2", false), ("DAL", "DAL-1", false), ("DAL", "DAL-2", true)]));
        let titles: Vec<&str> = map.routes.iter().map(|r| r.title.as_str()).collect();
        assert_eq!(titles, ["Route 1521 · G2QM1", "Route 1522 · G2QM2"]);
        assert_eq!(map.route_groups.len(), 1);
        assert_eq!(map.route_groups[0].title, "Routes 1511–1512");
        let all_open = build(&s, &choose(&[("WDC", "WDC-1", true), ("WDC", "WDC-2", true), ("DAL", "DAL-1", true), ("DAL", "DAL-2", true)]));
        assert_eq!((all_open.routes.len(), all_open.route_groups.len()), (4, 0));
        let routes_bottom = |m: &MapLayout| m.routes.iter().map(|r| r.frame.bottom()).chain(m.route_groups.iter().map(|r| r.frame.bottom())).max().unwrap();
        assert!(routes_bottom(&build(&s, &collapsed)) + 100 < routes_bottom(&all_open));

        // A route pointing away from its DR primary is never hidden: its pair shows in full.
        let mut wrong = paired_groups();
        wrong.routes[0].destination_region = Some("DAL".into());
        let map = build(&wrong, &collapsed);
        let titles: Vec<&str> = map.routes.iter().map(|r| r.title.as_str()).collect();
        assert_eq!(titles, ["Route 1511 · G1QM1", "Route 1512 · G1QM2"]);
        assert!(map.links.iter().any(|l| l.kind == LinkKind::Problem));
    }

    #[test]
    fn a_long_summary_breaks_after_a_dot_and_reads_on_as_one_text() {
        let text = "10 HA groups: 27 of 30 nodes reachable · DR primary for 18 queue managers · last known DR primary for 2 queue managers (no answer now)";
        let lines = break_at_dots(text, SUMMARY_CHARS);
        assert_eq!(lines, ["10 HA groups: 27 of 30 nodes reachable · DR primary for 18 queue managers · ", "last known DR primary for 2 queue managers (no answer now)"]);
        assert_eq!(lines.concat(), text);
        assert_eq!(break_at_dots("HA group: 3 of 3 nodes reachable", SUMMARY_CHARS), ["HA group: 3 of 3 nodes reachable"]);
    }

    #[test]
    fn a_group_line_gets_a_third_line_when_its_queue_managers_states_are_long() {
        let health = |qmgrs: &[&str], findings: usize| GroupHealth {
            line: String::new(),
            qmgrs: qmgrs.iter().map(|t| (t.to_string(), crate::checks::Tone::Bad)).collect(),
            findings,
            worst_finding: (findings > 0).then_some(model::estate::Severity::Critical),
            problems: Vec::new(),
            tone: crate::checks::Tone::Bad,
        };
        assert!(!second_line_wraps(&health(&["G10QM1, G10QM3 running", "G10QM2 standby"], 0)));
        assert!(second_line_wraps(&health(&["G4QM1, G4QM3 standby, DR Remote unavailable", "G4QM2 running, DR Remote unavailable"], 5)));
    }
}
