//! The queue managers as a table: where each runs, its DR primary, whether each region could
//! run it now (and why not), and its route. The same truth as the map, in rows and words.

use crate::checks::{Tone, dr_primary_text, route_for, route_verdict, running_text};
use crate::components::badge::Badge;
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
    let regions = Memo::new(move |_| table.with(|t| t.as_ref().map(|(regions, _)| regions.clone()).unwrap_or_default()));
    let rows = move || table.with(|t| t.as_ref().map(|(_, rows)| rows.clone()).unwrap_or_default());
    let columns = move || {
        ["Queue manager".to_string(), "Listener".into(), "DR primary".into(), "Running on".into()]
            .into_iter()
            .chain(regions.get().iter().map(|r| format!("{r} readiness")))
            .chain(["MQIPT route".to_string()])
            .map(|c| view! { <th scope="col">{c}</th> })
            .collect_view()
    };
    view! {
        <Show when=move || table.with(Option::is_some)>
            <table class="data qm-table">
                <caption>"Queue managers: where each runs and whether each region could run it now"</caption>
                <thead>
                    <tr>{columns}</tr>
                </thead>
                <tbody>
                    // A row's DOM stays while nothing in it changes.
                    <For each=rows key=|row| format!("{row:?}") children=|row| view! { <QmRow row=row /> } />
                </tbody>
            </table>
        </Show>
    }
}

#[component]
fn QmRow(row: Row) -> impl IntoView {
    let href = format!("/queue-managers/{}", js_sys::encode_uri_component(&row.name));
    let (running, running_tone) = row.running_on;
    view! {
        <tr>
            <th scope="row"><a href=href>{row.name}</a></th>
            <td>{row.listener_port}</td>
            <td>{row.dr_primary}</td>
            <td class="wrap"><Badge tone=running_tone text=running /></td>
            {row
                .readiness
                .into_iter()
                .map(|(region, r)| view! { <td><ReadinessBadge region=region readiness=r /></td> })
                .collect_view()}
            <td class="wrap"><Badge tone=row.route_tone text=row.route /></td>
        </tr>
    }
}

/// "ready" or "not ready" with the reasons, in words.
#[component]
pub fn ReadinessBadge(region: String, readiness: Option<Readiness>) -> impl IntoView {
    let body = match readiness {
        None => view! { <Badge tone=Tone::Unknown text=format!("{region}: readiness unknown") /> }.into_any(),
        Some(r) if r.ready => view! { <Badge tone=Tone::Good text=format!("{region}: ready") /> }.into_any(),
        Some(r) => view! {
            <Badge tone=Tone::Bad text=format!("{region}: not ready") />
            <ul class="reasons">{r.reasons.into_iter().map(|reason| view! { <li>{reason.message}</li> }).collect_view()}</ul>
        }
        .into_any(),
    };
    view! { <div class="readiness">{body}</div> }
}
