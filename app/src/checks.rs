//! What the app concludes from a snapshot, in words: is a route consistent with its queue
//! manager's DR primary, is a status healthy. Every conclusion carries text, so nothing on
//! screen depends on colour alone.

use model::estate::{QmgrView, RouteView, Snapshot};
use model::rdqmstatus::DrStatusField;
use model::status::{DrStatus, HaStatus, QmStatus};

/// How a value should look; always shown together with words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tone {
    Good,
    Warn,
    Bad,
    /// Known and not a problem, but not "healthy" either (e.g. "Running elsewhere" on a standby).
    Neutral,
    /// Not known (no data, stale data, or a value the console does not recognise).
    Unknown,
}

impl Tone {
    pub fn class(self) -> &'static str {
        match self {
            Tone::Good => "tone-good",
            Tone::Warn => "tone-warn",
            Tone::Bad => "tone-bad",
            Tone::Neutral => "tone-neutral",
            Tone::Unknown => "tone-unknown",
        }
    }

    /// A glyph that says the same as the colour.
    pub fn icon(self) -> &'static str {
        match self {
            Tone::Good => "✓",
            Tone::Warn => "⚠",
            Tone::Bad => "✖",
            Tone::Neutral => "•",
            Tone::Unknown => "?",
        }
    }
}

pub fn ha_status_tone(status: Option<&HaStatus>) -> Tone {
    match status {
        Some(HaStatus::Normal) => Tone::Good,
        Some(HaStatus::SynchronizationInProgress) => Tone::Warn,
        Some(HaStatus::Unknown(_)) | None => Tone::Unknown,
        Some(_) => Tone::Bad,
    }
}

/// DR status as printed; "See <node>" (a secondary pointing at its HA primary) is neutral.
pub fn dr_status_tone(status: Option<&DrStatusField>) -> Tone {
    let Some(status) = status else { return Tone::Unknown };
    let DrStatusField::Status(status) = status else { return Tone::Neutral };
    match status {
        DrStatus::Normal => Tone::Good,
        DrStatus::SynchronizationInProgress | DrStatus::Paused => Tone::Warn,
        DrStatus::Unknown(_) => Tone::Unknown,
        _ => Tone::Bad,
    }
}

pub fn qm_status_tone(status: Option<&QmStatus>) -> Tone {
    match status {
        Some(QmStatus::Running) => Tone::Good,
        Some(QmStatus::RunningElsewhere) | Some(QmStatus::EndedImmediately) | Some(QmStatus::EndedNormally) => {
            Tone::Neutral
        }
        Some(QmStatus::Starting) | Some(QmStatus::Ending) => Tone::Warn,
        Some(QmStatus::Unknown(_)) | None => Tone::Unknown,
        Some(_) => Tone::Bad,
    }
}

/// The DR primary region of a queue manager, in words.
pub fn dr_primary_text(qm: &QmgrView) -> String {
    let silent = &qm.last_known_primary_regions;
    match qm.dr_primary_regions.as_slice() {
        [] if silent.is_empty() => "none (no region reports DR role Primary)".to_string(),
        [] => format!("unknown: {} was DR primary when last heard from, and does not answer now", qm.last_known_primary_places()),
        [one] => one.clone(),
        many => format!("{} at once (partitioned)", many.join(" and ")),
    }
}

/// Where the queue manager runs, in words, and how that looks. Regions that do not answer
/// may run it unseen, so "nowhere" is only said when every region answered.
pub fn running_text(qm: &QmgrView) -> (String, Tone) {
    match qm.running_nodes.as_slice() {
        [] if qm.sides.iter().any(|s| s.stale) => {
            let silent: Vec<&str> = qm.sides.iter().filter(|s| s.stale).map(|s| s.region.as_str()).collect();
            (format!("not in any region that answers ({} does not)", silent.join(", ")), Tone::Bad)
        }
        [] => ("nowhere".to_string(), Tone::Bad),
        [one] => (one.clone(), Tone::Good),
        many => (format!("{} places at once: {}", many.len(), many.join(", ")), Tone::Bad),
    }
}

/// Whether a route sends its queue manager's clients to the region where it is DR primary.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RouteVerdict {
    Consistent(String),
    Problem(String),
    /// Cannot be judged from what the console knows.
    Unknown(String),
}

impl RouteVerdict {
    pub fn text(&self) -> &str {
        match self {
            RouteVerdict::Consistent(t) | RouteVerdict::Problem(t) | RouteVerdict::Unknown(t) => t,
        }
    }

    pub fn tone(&self) -> Tone {
        match self {
            RouteVerdict::Consistent(_) => Tone::Good,
            RouteVerdict::Problem(_) => Tone::Bad,
            RouteVerdict::Unknown(_) => Tone::Unknown,
        }
    }

    /// A route pointing the wrong way is a warning sign on the map, as operators expect.
    pub fn icon(&self) -> &'static str {
        match self {
            RouteVerdict::Consistent(_) => "✓",
            RouteVerdict::Problem(_) => "⚠",
            RouteVerdict::Unknown(_) => "?",
        }
    }

    /// "ok", "problem" or "unknown": the word screen readers and tests hear first.
    pub fn word(&self) -> &'static str {
        match self {
            RouteVerdict::Consistent(_) => "ok",
            RouteVerdict::Problem(_) => "problem",
            RouteVerdict::Unknown(_) => "unknown",
        }
    }
}

pub fn qm_of_route<'a>(route: &RouteView, snapshot: &'a Snapshot) -> Option<&'a QmgrView> {
    let name = route.qmgr.as_deref()?;
    snapshot.qmgrs.iter().find(|q| q.name == name)
}

pub fn route_verdict(route: &RouteView, snapshot: &Snapshot) -> RouteVerdict {
    let Some(dest) = route.destination_region.as_deref() else {
        let host = route.destination.as_deref().unwrap_or("nowhere");
        return RouteVerdict::Problem(format!("forwards to {host}, which is no region's load balancer"));
    };
    let Some(qm) = qm_of_route(route, snapshot) else {
        return RouteVerdict::Unknown("no queue manager in the inventory uses this route".into());
    };
    match qm.dr_primary_regions.as_slice() {
        [] if !qm.last_known_primary_regions.is_empty() => RouteVerdict::Unknown(format!(
            "cannot check: {}'s DR primary {} does not answer",
            qm.name,
            qm.last_known_primary_places()
        )),
        [] => RouteVerdict::Unknown(format!("cannot check: no region reports {} as DR primary", qm.name)),
        [primary] if primary == dest => RouteVerdict::Consistent(format!("points at {dest}, the DR primary")),
        [primary] => RouteVerdict::Problem(format!("points at {dest}, DR primary is {primary}")),
        many => RouteVerdict::Problem(format!("{} is DR primary in {} at once", qm.name, many.join(" and "))),
    }
}

/// A route's listener port as a number, when it is one (for matching `RouteRef`s).
pub fn route_for<'a>(qm: &QmgrView, snapshot: &'a Snapshot) -> Option<&'a RouteView> {
    let wanted = qm.route.as_ref()?;
    snapshot
        .routes
        .iter()
        .find(|r| r.instance == wanted.instance && r.listener_port.trim() == wanted.listener_port.to_string())
}

/// The most serious of several tones (for a box that shows several values).
pub fn worst(tones: impl IntoIterator<Item = Tone>) -> Tone {
    let rank = |t: &Tone| match t {
        Tone::Bad => 4,
        Tone::Warn => 3,
        Tone::Unknown => 2,
        Tone::Neutral => 1,
        Tone::Good => 0,
    };
    tones.into_iter().max_by_key(rank).unwrap_or(Tone::Unknown)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn snapshot(route_destination_region: Option<&str>, primaries: &[&str], last_known: &[&str]) -> Snapshot {
        serde_json::from_value(json!({
            "polled_at": 0, "poll_duration_ms": 0, "regions": [], "mqipt": [], "findings": [],
            "qmgrs": [{
                "name": "DRHAQM1", "listener_port": 1501, "dr_primary_region": null,
                "dr_primary_regions": primaries, "last_known_primary_regions": last_known,
                "running_on": null, "running_nodes": [], "readiness": {}, "sides": [],
                "route": {"instance": "HAMQ", "listener_port": 1501}
            }],
            "routes": [{
                "instance": "HAMQ", "listener_port": "1501", "name": "DRHAQM1",
                "destination": "lb.example", "destination_port": "1501",
                "destination_region": route_destination_region, "active": true, "tls_mode": "plain",
                "qmgr": "DRHAQM1", "properties": {}, "stale": false
            }]
        }))
        .expect("a valid snapshot")
    }

    fn verdict(s: &Snapshot) -> RouteVerdict {
        route_verdict(&s.routes[0], s)
    }

    #[test]
    fn a_route_to_the_dr_primary_is_consistent() {
        let s = snapshot(Some("WDC"), &["WDC"], &[]);
        assert_eq!(verdict(&s), RouteVerdict::Consistent("points at WDC, the DR primary".into()));
    }

    #[test]
    fn a_route_to_the_other_region_is_a_problem_that_names_both() {
        let s = snapshot(Some("WDC"), &["DAL"], &[]);
        assert_eq!(verdict(&s), RouteVerdict::Problem("points at WDC, DR primary is DAL".into()));
        assert_eq!(verdict(&s).word(), "problem");
    }

    #[test]
    fn a_partitioned_queue_manager_makes_its_route_a_problem() {
        let s = snapshot(Some("WDC"), &["WDC", "DAL"], &[]);
        assert_eq!(verdict(&s), RouteVerdict::Problem("DRHAQM1 is DR primary in WDC and DAL at once".into()));
    }

    #[test]
    fn a_silent_primary_region_cannot_be_checked_and_is_not_called_ok() {
        let s = snapshot(Some("WDC"), &[], &["WDC"]);
        assert_eq!(verdict(&s), RouteVerdict::Unknown("cannot check: DRHAQM1's DR primary WDC does not answer".into()));
        assert!(dr_primary_text(&s.qmgrs[0]).starts_with("unknown: WDC was DR primary"));
    }

    #[test]
    fn a_destination_that_is_no_load_balancer_is_a_problem() {
        let s = snapshot(None, &["WDC"], &[]);
        assert_eq!(verdict(&s).tone(), Tone::Bad);
    }

    #[test]
    fn see_another_node_is_neutral_and_unknown_text_is_not_healthy() {
        let tone = |text: &str| dr_status_tone(Some(&DrStatusField::parse(text)));
        assert_eq!(tone("See wdc1-mq1"), Tone::Neutral);
        assert_eq!(tone("Normal"), Tone::Good);
        assert_eq!(tone("Sideways"), Tone::Unknown);
        assert_eq!(dr_status_tone(None), Tone::Unknown);
        assert_eq!(worst([Tone::Good, Tone::Unknown, Tone::Neutral]), Tone::Unknown);
    }
}
