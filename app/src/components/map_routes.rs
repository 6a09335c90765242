//! Which MQIPT routes the estate map gathers, and what a gathered box says of them. In an
//! estate of several HA groups per region, the routes of the queue managers one DR pair of HA
//! groups holds (WDC-4 and DAL-4: the groups the queue manager's sides name, as the inventory
//! pairs them) go together; while that pair's group lines are collapsed and every one of its
//! routes is well, one compact box stands for them all. Positions are `map_layout`'s.

use crate::checks::{RouteVerdict, Tone, qm_of_route, route_verdict};
use model::estate::{RouteView, Snapshot};

/// The HA groups holding a queue manager, one per region that names its group, in the order of
/// its sides: [("WDC", "WDC-4"), ("DAL", "DAL-4")]. Empty: the queue manager is in no named group.
pub type Pair = Vec<(String, String)>;

/// A place in the routes column, in the order of the routes.
#[derive(Clone, Debug, PartialEq)]
pub enum Slot<'a> {
    /// A route in its own box: of no named group, of a group shown in full, or of an estate
    /// of one HA group per region (the reference estate, drawn as always).
    Full(&'a RouteView),
    /// The routes of one pair of HA groups, behind one box.
    Compact { pair: Pair, routes: Vec<&'a RouteView> },
}

/// The pair of HA groups holding the queue manager a route serves (empty: none named).
pub fn pair_of(route: &RouteView, snapshot: &Snapshot) -> Pair {
    qm_of_route(route, snapshot)
        .map(|qm| qm.sides.iter().filter_map(|s| s.ha_group.as_ref().map(|g| (s.region.clone(), g.clone()))).collect())
        .unwrap_or_default()
}

/// A route that may stand behind a compact box: it points at its queue manager's DR primary
/// and is active. Any other is never hidden.
fn well(route: &RouteView, snapshot: &Snapshot) -> bool {
    route.active && matches!(route_verdict(route, snapshot), RouteVerdict::Consistent(_))
}

/// `routes` (one MQIPT instance's, in its order) as the column shows them. With several HA
/// groups in a region, each pair's routes are gathered where its first route is (routes of no
/// named group keep their places); a pair is one compact box unless `open` says a line of one
/// of its groups is expanded (`open(region, group)`) or one of its routes is not well.
pub fn gather<'a>(snapshot: &Snapshot, routes: &[&'a RouteView], open: impl Fn(&str, &str) -> bool) -> Vec<Slot<'a>> {
    if !snapshot.regions.iter().any(|r| r.groups.len() > 1) {
        return routes.iter().copied().map(Slot::Full).collect();
    }
    // Each pair's routes where its first one is; a route of no group on its own.
    let mut places: Vec<(Pair, Vec<&'a RouteView>)> = Vec::new();
    for route in routes {
        let pair = pair_of(route, snapshot);
        match places.iter_mut().find(|(p, _)| !pair.is_empty() && *p == pair) {
            Some((_, gathered)) => gathered.push(route),
            None => places.push((pair, vec![route])),
        }
    }
    let mut slots = Vec::new();
    for (pair, gathered) in places {
        let expanded = pair.iter().any(|(region, group)| open(region, group));
        if pair.is_empty() || expanded || !gathered.iter().all(|r| well(r, snapshot)) {
            slots.extend(gathered.into_iter().map(Slot::Full));
        } else {
            slots.push(Slot::Compact { pair, routes: gathered });
        }
    }
    slots
}

/// Where a route sends its queue manager's clients, as a gathered box counts it; worst first.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Aim {
    /// At `dest` while `primary` is the queue manager's DR primary.
    Away { dest: String, primary: String },
    /// Its queue manager is DR primary in several regions at once.
    Split { regions: Vec<String> },
    /// At no region's load balancer.
    Nowhere,
    /// Cannot be checked (its DR primary does not answer, no region reports one, no queue
    /// manager uses the route).
    Unknown,
    /// At the region where its queue manager is DR primary.
    Primary,
}

impl Aim {
    pub fn tone(&self) -> Tone {
        match self {
            Aim::Away { .. } | Aim::Split { .. } | Aim::Nowhere => Tone::Bad,
            Aim::Unknown => Tone::Unknown,
            Aim::Primary => Tone::Good,
        }
    }
}

/// A route's aim, from its verdict (the same conclusion its own box shows).
pub fn aim_of(route: &RouteView, snapshot: &Snapshot) -> Aim {
    match route_verdict(route, snapshot) {
        RouteVerdict::Consistent(_) => Aim::Primary,
        RouteVerdict::Unknown(_) => Aim::Unknown,
        RouteVerdict::Problem(_) => match (route.destination_region.as_ref(), qm_of_route(route, snapshot)) {
            (None, _) => Aim::Nowhere,
            (Some(dest), Some(qm)) if qm.dr_primary_regions.len() == 1 => Aim::Away { dest: dest.clone(), primary: qm.dr_primary_regions[0].clone() },
            (Some(_), qm) => Aim::Split { regions: qm.map(|q| q.dr_primary_regions.clone()).unwrap_or_default() },
        },
    }
}

/// The routes' aims in words, those alike counted together, worst first: ("1 points at WDC
/// while DAL is DR primary", Bad), ("2 cannot check", Unknown), ("3 point at the DR primary", Good).
pub fn summary(aims: &[Aim]) -> Vec<(String, Tone)> {
    let mut sorted = aims.to_vec();
    sorted.sort();
    let mut counted: Vec<(Aim, usize)> = Vec::new();
    for aim in sorted {
        match counted.last_mut() {
            Some((last, n)) if *last == aim => *n += 1,
            _ => counted.push((aim, 1)),
        }
    }
    counted
        .into_iter()
        .map(|(aim, n)| {
            let s = if n == 1 { "s" } else { "" };
            let text = match &aim {
                Aim::Away { dest, primary } => format!("{n} point{s} at {dest} while {primary} is DR primary"),
                Aim::Split { regions } => format!("{n} serve{s} a queue manager DR primary in {} at once", regions.join(" and ")),
                Aim::Nowhere => format!("{n} point{s} at no region's load balancer"),
                Aim::Unknown => format!("{n} cannot check"),
                Aim::Primary => format!("{n} point{s} at the DR primary"),
            };
            (text, aim.tone())
        })
        .collect()
}

/// The word a route box's colour follows for the worst of `aims`: "problem", "unknown", "ok".
pub fn worst_word(aims: &[Aim]) -> &'static str {
    match aims.iter().min().map(Aim::tone) {
        Some(Tone::Bad) => "problem",
        Some(Tone::Good) => "ok",
        _ => "unknown",
    }
}

/// Listener ports as ranges, in order: "1521–1523", "1501–1503, 1510"; a port that is no
/// number stays as written, after the others.
pub fn port_ranges(ports: &[&str]) -> String {
    let mut numbers: Vec<u32> = ports.iter().filter_map(|p| p.trim().parse().ok()).collect();
    numbers.sort_unstable();
    numbers.dedup();
    let mut runs: Vec<(u32, u32)> = Vec::new();
    for n in numbers {
        match runs.last_mut() {
            Some((_, end)) if *end + 1 == n => *end = n,
            _ => runs.push((n, n)),
        }
    }
    let mut parts: Vec<String> = runs.into_iter().map(|(a, b)| if a == b { a.to_string() } else { format!("{a}–{b}") }).collect();
    parts.extend(ports.iter().filter(|p| p.trim().parse::<u32>().is_err()).map(|p| p.trim().to_string()));
    parts.join(", ")
}

/// The pair named as the region lines name a group: "HA groups WDC-4 / DAL-4" ("HA group
/// WDC-4" when only one region names its group).
pub fn pair_name(pair: &Pair) -> String {
    let names: Vec<&str> = pair.iter().map(|(_, g)| g.as_str()).collect();
    format!("HA group{} {}", if names.len() == 1 { "" } else { "s" }, names.join(" / "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    /// A queue manager of group `g` with its sides in WDC-`g` and DAL-`g` (`groups`: named at
    /// all), DR primary in `primaries` (none: last known in WDC).
    fn qmgr(name: &str, g: u32, primaries: &[&str], groups: bool) -> Value {
        let side = |region: &str| json!({"region": region, "ha_group": groups.then(|| format!("{region}-{g}")), "stale": false, "dr_role": null, "dr_status": null, "dr_out_of_sync_kb": null, "ha_current_location": null, "ha_preferred_location": null, "nodes": []});
        let last_known: Vec<&str> = if primaries.is_empty() { vec!["WDC"] } else { vec![] };
        json!({"name": name, "listener_port": 1500, "dr_primary_region": primaries.first(), "dr_primary_regions": primaries,
               "last_known_primary_regions": last_known, "running_on": null, "running_nodes": [], "readiness": {}, "route": null,
               "sides": [side("WDC"), side("DAL")]})
    }

    fn route(port: u32, qmgr: &str, dest: Option<&str>) -> Value {
        json!({"instance": "HAMQ", "listener_port": port.to_string(), "name": qmgr, "destination": "lb", "destination_port": port.to_string(),
               "destination_region": dest, "active": true, "tls_mode": "plain", "qmgr": qmgr, "properties": {}, "stale": false})
    }

    /// Two regions of `groups` HA groups each (named only when several).
    fn snapshot(groups: u32, qmgrs: Vec<Value>, routes: Vec<Value>) -> Snapshot {
        let region = |name: &str| {
            let list: Vec<Value> = if groups > 1 { (1..=groups).map(|g| json!({"name": format!("{name}-{g}"), "nodes": []})).collect() } else { vec![json!({"name": name, "nodes": []})] };
            json!({"name": name, "load_balancer": format!("{name}.lb"), "nodes": [], "groups": list})
        };
        serde_json::from_value(json!({"polled_at": 0, "poll_duration_ms": 0, "regions": [region("WDC"), region("DAL")], "qmgrs": qmgrs, "routes": routes, "mqipt": [], "findings": []})).unwrap()
    }

    /// Two groups of three queue managers (DR primary WDC, DAL, WDC), each behind a route to
    /// its DR primary's load balancer: 1511–1513 and 1521–1523.
    fn estate(groups: u32) -> Snapshot {
        let mut qmgrs = Vec::new();
        let mut routes = Vec::new();
        for g in 1..=2 {
            for (i, primary) in [(1, "WDC"), (2, "DAL"), (3, "WDC")] {
                let name = format!("G{g}QM{i}");
                qmgrs.push(qmgr(&name, g, &[primary], groups > 1));
                routes.push(route(1500 + 10 * g + i, &name, Some(primary)));
            }
        }
        snapshot(groups, qmgrs, routes)
    }

    fn shown<'a>(slots: &[Slot<'a>]) -> Vec<String> {
        slots
            .iter()
            .map(|s| match s {
                Slot::Full(r) => r.listener_port.clone(),
                Slot::Compact { pair, routes } => format!("{} ({})", port_ranges(&routes.iter().map(|r| r.listener_port.as_str()).collect::<Vec<_>>()), pair_name(pair)),
            })
            .collect()
    }

    fn all(s: &Snapshot) -> Vec<&RouteView> {
        s.routes.iter().collect()
    }

    #[test]
    fn collapsed_groups_whose_routes_are_well_each_show_one_box_for_their_pair() {
        let s = estate(2);
        let slots = gather(&s, &all(&s), |_, _| false);
        assert_eq!(shown(&slots), ["1511–1513 (HA groups WDC-1 / DAL-1)", "1521–1523 (HA groups WDC-2 / DAL-2)"]);
        let Slot::Compact { pair, .. } = &slots[1] else { panic!("compact") };
        assert_eq!(pair, &[("WDC".to_string(), "WDC-2".to_string()), ("DAL".to_string(), "DAL-2".to_string())], "the groups the queue managers' sides name");
    }

    #[test]
    fn either_regions_line_of_a_group_expanded_shows_its_routes_in_full() {
        let s = estate(2);
        let slots = gather(&s, &all(&s), |region, group| region == "DAL" && group == "DAL-2");
        assert_eq!(shown(&slots), ["1511–1513 (HA groups WDC-1 / DAL-1)", "1521", "1522", "1523"]);
        let slots = gather(&s, &all(&s), |_, group| group == "WDC-1");
        assert_eq!(shown(&slots), ["1511", "1512", "1513", "1521–1523 (HA groups WDC-2 / DAL-2)"]);
    }

    #[test]
    fn a_route_that_points_away_from_the_dr_primary_cannot_be_checked_or_is_inactive_is_never_hidden() {
        let mut s = estate(2);
        s.routes[1].destination_region = Some("WDC".into());
        assert_eq!(shown(&gather(&s, &all(&s), |_, _| false)), ["1511", "1512", "1513", "1521–1523 (HA groups WDC-2 / DAL-2)"]);
        let mut s = estate(2);
        s.qmgrs[3].dr_primary_regions.clear();
        s.qmgrs[3].last_known_primary_regions = vec!["WDC".into()];
        assert_eq!(shown(&gather(&s, &all(&s), |_, _| false)), ["1511–1513 (HA groups WDC-1 / DAL-1)", "1521", "1522", "1523"]);
        let mut s = estate(2);
        s.routes[5].active = false;
        assert_eq!(shown(&gather(&s, &all(&s), |_, _| false)), ["1511–1513 (HA groups WDC-1 / DAL-1)", "1521", "1522", "1523"]);
    }

    #[test]
    fn one_group_per_region_draws_every_route_as_always_and_a_route_of_no_group_keeps_its_place() {
        let s = estate(1);
        assert_eq!(shown(&gather(&s, &all(&s), |_, _| false)), ["1511", "1512", "1513", "1521", "1522", "1523"]);

        // Several groups; the route 1599 serves no queue manager of the inventory; G2QM1 is
        // listed after group 1's routes but gathers with its own.
        let mut s = estate(2);
        s.routes.insert(1, serde_json::from_value(route(1599, "NOSUCHQM", Some("WDC"))).unwrap());
        let moved = s.routes.remove(4);
        s.routes.insert(2, moved);
        let ports: Vec<&str> = s.routes.iter().map(|r| r.listener_port.as_str()).collect();
        assert_eq!(ports, ["1511", "1599", "1521", "1512", "1513", "1522", "1523"]);
        assert_eq!(shown(&gather(&s, &all(&s), |_, _| false)), ["1511–1513 (HA groups WDC-1 / DAL-1)", "1599", "1521–1523 (HA groups WDC-2 / DAL-2)"]);
    }

    #[test]
    fn the_summary_counts_alike_aims_worst_first() {
        let mut s = estate(2);
        s.routes[0].destination_region = Some("DAL".into());
        s.routes[2].destination_region = Some("DAL".into());
        s.qmgrs[1].dr_primary_regions.clear();
        s.qmgrs[1].last_known_primary_regions = vec!["DAL".into()];
        s.qmgrs[4].dr_primary_regions = vec!["WDC".into(), "DAL".into()];
        s.routes[5].destination_region = None;
        let aims: Vec<Aim> = s.routes.iter().map(|r| aim_of(r, &s)).collect();
        let words = summary(&aims);
        assert_eq!(
            words,
            [
                ("2 point at DAL while WDC is DR primary".to_string(), Tone::Bad),
                ("1 serves a queue manager DR primary in WDC and DAL at once".to_string(), Tone::Bad),
                ("1 points at no region's load balancer".to_string(), Tone::Bad),
                ("1 cannot check".to_string(), Tone::Unknown),
                ("1 points at the DR primary".to_string(), Tone::Good),
            ]
        );
        assert_eq!(worst_word(&aims), "problem");
        let well = estate(2);
        let aims: Vec<Aim> = well.routes[..3].iter().map(|r| aim_of(r, &well)).collect();
        assert_eq!(summary(&aims), [("3 point at the DR primary".to_string(), Tone::Good)]);
        assert_eq!(worst_word(&aims), "ok");
        assert_eq!(worst_word(&[Aim::Primary, Aim::Unknown]), "unknown");
    }

    #[test]
    fn ports_read_as_ranges_and_pairs_as_the_group_lines_name_them() {
        assert_eq!(port_ranges(&["1523", "1521", "1522"]), "1521–1523");
        assert_eq!(port_ranges(&["1510", "1501", "1502", "1503", "x"]), "1501–1503, 1510, x");
        assert_eq!(port_ranges(&["1541"]), "1541");
        let pair = vec![("WDC".to_string(), "WDC-10".to_string()), ("DAL".to_string(), "DAL-10".to_string())];
        assert_eq!(pair_name(&pair), "HA groups WDC-10 / DAL-10");
        assert_eq!(pair_name(&pair[..1].to_vec()), "HA group WDC-10");
    }
}
