//! The queue managers as a table: where each runs, its DR primary, whether each region could
//! run it now (and why not), and its route. The same truth as the map, in rows and words.

use crate::checks::{Tone, dr_primary_text, route_for, route_verdict, running_text};
use crate::html::Html;
use crate::live::use_live;
use leptos::prelude::*;
use model::estate::{Readiness, Snapshot};

#[derive(Clone, Debug, PartialEq)]
struct Row {
    name: String,
    listener_port: u16,
    dr_primary: String,
    running_on: (String, Tone),
    readiness: Vec<(String, Option<Readiness>)>,
    route: String,
    route_tone: Tone,
}

fn rows(snapshot: &Snapshot) -> (Vec<String>, Vec<Row>) {
    let regions: Vec<String> = snapshot.regions.iter().map(|r| r.name.clone()).collect();
    let rows = snapshot
        .qmgrs
        .iter()
        .map(|qm| {
            let (route, route_tone) = match route_for(qm, snapshot) {
                Some(route) => {
                    let verdict = route_verdict(route, snapshot);
                    (format!("{} {}: {}", route.instance, route.listener_port, verdict.text()), verdict.tone())
                }
                None => match &qm.route {
                    Some(r) => (format!("{} {}: no such route in mqipt.conf", r.instance, r.listener_port), Tone::Bad),
                    None => ("no route configured".to_string(), Tone::Unknown),
                },
            };
            Row {
                name: qm.name.clone(),
                listener_port: qm.listener_port,
                dr_primary: dr_primary_text(qm),
                running_on: running_text(qm),
                readiness: regions.iter().map(|r| (r.clone(), qm.readiness.get(r).cloned())).collect(),
                route,
                route_tone,
            }
        })
        .collect();
    (regions, rows)
}

#[component]
pub fn QueueManagerTable() -> impl IntoView {
    let live = use_live();
    let table = Memo::new(move |_| live.snapshot.with(|s| s.as_deref().map(rows)));
    move || table.get().map(|(regions, rows)| view! { <table class="data qm-table" inner_html=table_html(&regions, &rows)></table> })
}

fn table_html(regions: &[String], rows: &[Row]) -> String {
    let mut h = Html::new();
    h.el("caption", "", "Queue managers: where each runs and whether each region could run it now").open("thead", &[]).open("tr", &[]);
    let columns = ["Queue manager".to_string(), "Listener".into(), "DR primary".into(), "Running on".into()]
        .into_iter()
        .chain(regions.iter().map(|r| format!("{r} readiness")))
        .chain(["MQIPT route".to_string()]);
    for c in columns {
        h.open("th", &[("scope", "col")]).text(&c).close("th");
    }
    h.close("tr").close("thead").open("tbody", &[]);
    for row in rows {
        let href = format!("/queue-managers/{}", js_sys::encode_uri_component(&row.name));
        h.open("tr", &[]).open("th", &[("scope", "row")]).open("a", &[("href", &href)]).text(&row.name).close("a").close("th");
        h.el("td", "", &row.listener_port.to_string()).el("td", "", &row.dr_primary);
        h.open("td", &[("class", "wrap")]).badge(row.running_on.1, &row.running_on.0).close("td");
        for (region, r) in &row.readiness {
            h.open("td", &[]).open("div", &[("class", "readiness")]);
            readiness_html(&mut h, region, r.as_ref());
            h.close("div").close("td");
        }
        h.open("td", &[("class", "wrap")]).badge(row.route_tone, &row.route).close("td").close("tr");
    }
    h.close("tbody");
    h.finish()
}

/// "ready" or "not ready" with the reasons, as text.
#[component]
pub fn ReadinessBadge(region: String, readiness: Option<Readiness>) -> impl IntoView {
    let mut h = Html::new();
    readiness_html(&mut h, &region, readiness.as_ref());
    view! { <div class="readiness" inner_html=h.finish()></div> }
}

pub fn readiness_html(h: &mut Html, region: &str, readiness: Option<&Readiness>) {
    match readiness {
        None => h.badge(Tone::Unknown, &format!("{region}: readiness unknown")),
        Some(r) if r.ready => h.badge(Tone::Good, &format!("{region}: ready")),
        Some(r) => {
            h.badge(Tone::Bad, &format!("{region}: not ready")).open("ul", &[("class", "reasons")]);
            for reason in &r.reasons {
                h.el("li", "", reason);
            }
            h.close("ul")
        }
    };
}
