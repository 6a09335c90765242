//! `/routes`: every MQIPT route as read from `mqipt.conf`, where it sends traffic, whether
//! that is where its queue manager is DR primary, and the two route workflows: point a route
//! at the DR primary region, and restore `mqipt.conf` from a backup the console made.

use crate::checks::{RouteVerdict, Tone, route_verdict};
use crate::components::actions::{backups_from_runs, retarget_action};
use crate::components::badge::Badge;
use crate::components::data_table::{DataTable, TextRow};
use crate::components::page::Page;
use crate::components::plan::{ActionList, ActionSpec, VIEWER_REASON_ID, unique_id, use_planner};
use crate::live::use_live;
use crate::session::use_session;
use model::plan::Intent;
use crate::pages::estate::WhenLoaded;
use leptos::prelude::*;
use model::estate::{MqiptView, RouteView, Snapshot};

#[derive(Clone, Debug, PartialEq)]
struct RoutesData {
    instances: Vec<MqiptView>,
    routes: Vec<(RouteView, RouteVerdict)>,
    retarget: Vec<ActionSpec>,
}

fn routes_data(snapshot: &Snapshot) -> RoutesData {
    RoutesData {
        instances: snapshot.mqipt.clone(),
        routes: snapshot.routes.iter().map(|r| (r.clone(), route_verdict(r, snapshot))).collect(),
        retarget: snapshot.routes.iter().filter_map(|r| retarget_action(r, snapshot)).collect(),
    }
}

#[component]
pub fn RoutesPage() -> impl IntoView {
    let live = use_live();
    let data = Memo::new(move |_| live.snapshot.with(|s| s.as_deref().map(routes_data)));
    view! {
        <Page title="MQIPT routes".to_string()>
            <div class="page-head">
                <h1>"MQIPT routes"</h1>
            </div>
            <WhenLoaded>{move || data.get().map(|d| view! { <RoutesView data=d /> })}</WhenLoaded>
        </Page>
    }
}

#[component]
fn RoutesView(data: RoutesData) -> impl IntoView {
    let columns = ["Listener port", "Name", "Destination", "Destination port", "Resolves to", "TLS mode", "Active", "Queue manager", "Consistency with DR primary"];
    let retarget = data.retarget;
    let properties = data.routes.iter().map(|(r, _)| view! { <RouteProperties route=r.clone() /> }).collect_view();
    view! {
        <section aria-labelledby="instances-heading">
            <h2 id="instances-heading">"MQIPT instances"</h2>
            <ul class="instance-list">{data.instances.iter().map(|i| view! { <InstanceItem instance=i.clone() /> }).collect_view()}</ul>
        </section>
        <section aria-labelledby="routes-heading">
            <h2 id="routes-heading">"Routes"</h2>
            <table class="data routes-table">
                <caption>"Each route's destination, and whether it matches its queue manager's DR primary region"</caption>
                <thead>
                    <tr>{columns.map(|c| view! { <th scope="col">{c}</th> }).collect_view()}</tr>
                </thead>
                <tbody>{data.routes.into_iter().map(|(route, verdict)| view! { <RouteRow route=route verdict=verdict /> }).collect_view()}</tbody>
            </table>
        </section>
        <section aria-labelledby="change-heading">
            <h2 id="change-heading">"Change routes"</h2>
            <p class="muted">"Each change first shows its plan: the exact edit of mqipt.conf as a diff, the backup, the refresh command. Nothing runs until you confirm."</p>
            <h3>"Point a route at its DR primary region"</h3>
            {if retarget.is_empty() {
                view! { <p class="muted">"Every route with a known DR primary points at it: nothing to retarget."</p> }.into_any()
            } else {
                view! { <ActionList actions=retarget /> }.into_any()
            }}
            {data.instances.into_iter().map(|i| view! { <RestoreForm instance=i /> }).collect_view()}
        </section>
        <section aria-labelledby="properties-heading">
            <h2 id="properties-heading">"Properties as written in mqipt.conf"</h2>
            <div class="property-grid">{properties}</div>
        </section>
    }
}

#[component]
fn InstanceItem(instance: MqiptView) -> impl IntoView {
    let (tone, state) = match (&instance.error, instance.reachable) {
        (None, true) => (Tone::Good, "configuration read".to_string()),
        (Some(e), true) => (Tone::Bad, format!("configuration not read: {e}")),
        (e, false) => {
            let stale = if instance.stale { "; routes below are from an earlier refresh" } else { "" };
            let last = instance.last_ok_at.map_or_else(|| "; it never answered".to_string(), |at| format!("; last answered at {}", crate::clock::date_time(at)));
            (Tone::Bad, format!("unreachable: {}{last}{stale}", e.clone().unwrap_or_default()))
        }
    };
    view! {
        <li>
            <strong>{format!("MQIPT {}", instance.name)}</strong>
            {format!(" on {}, ", instance.host)}
            <code>{instance.conf_path}</code>
            " "
            <Badge tone=tone text=state />
        </li>
    }
}

#[component]
fn RouteRow(route: RouteView, verdict: RouteVerdict) -> impl IntoView {
    let text = |v: Option<String>| v.unwrap_or_else(|| "—".into());
    let region_tone = if route.destination_region.is_some() { Tone::Good } else { Tone::Bad };
    let region = route.destination_region.clone().unwrap_or_else(|| "no region (unknown host)".into());
    let problem = matches!(verdict, RouteVerdict::Problem(_));
    let qmgr = route.qmgr.map(|q| {
        let href = format!("/queue-managers/{}", js_sys::encode_uri_component(&q));
        view! { <a href=href>{q}</a> }
    });
    view! {
        <tr class:problem=problem>
            <th scope="row">{route.listener_port}</th>
            <td>{text(route.name)}</td>
            <td class="host">{text(route.destination)}</td>
            <td>{text(route.destination_port)}</td>
            <td><Badge tone=region_tone text=region /></td>
            <td>{route.tls_mode}</td>
            <td><Badge tone=if route.active { Tone::Good } else { Tone::Warn } text=if route.active { "active" } else { "inactive" } /></td>
            <td>{qmgr}</td>
            <td class="wrap">
                <Badge tone=verdict.tone() text=format!("{}: {}", verdict.word(), verdict.text()) />
                {route.stale.then(|| view! { " " <Badge tone=Tone::Unknown text="stale data" /> })}
            </td>
        </tr>
    }
}

#[component]
fn RouteProperties(route: RouteView) -> impl IntoView {
    let caption = format!("Route {} ({})", route.listener_port, route.name.clone().unwrap_or_else(|| "no name".into()));
    let rows = route.properties.into_iter().map(|(k, v)| TextRow::new(vec![k, v])).collect();
    view! { <DataTable class="properties" caption=caption columns=&["Property", "Value"] rows=rows /> }
}

/// Restore an instance's mqipt.conf from a backup: the path is checked against the pattern the
/// console writes before the plan is asked for; backups made by earlier runs are suggested.
#[component]
fn RestoreForm(instance: MqiptView) -> impl IntoView {
    let session = use_session();
    let planner = use_planner();
    let live = use_live();
    let operator = Memo::new(move |_| session.is_operator());
    let backup = RwSignal::new(String::new());
    let conf_path = instance.conf_path.clone();
    let prefix = format!("{conf_path}.rdqm-console.");
    let valid = {
        let conf_path = conf_path.clone();
        Memo::new(move |_| backup.with(|b| model::plan::is_backup_name(&conf_path, b.trim())))
    };
    let known = {
        let conf_path = conf_path.clone();
        Memo::new(move |_| live.runs.with(|runs| backups_from_runs(runs, &conf_path)))
    };
    let (input_id, list_id, hint_id) = (unique_id("backup"), unique_id("backups"), unique_id("backup-hint"));
    let name = instance.name.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if operator.get_untracked() && valid.get_untracked() {
            planner.open.set(Some(Intent::RestoreRouteConfig { instance: name.clone(), backup: backup.get_untracked().trim().to_string() }));
        }
    };
    let describedby = {
        let hint_id = hint_id.clone();
        move || if operator.get() { hint_id.clone() } else { format!("{hint_id} {VIEWER_REASON_ID}") }
    };
    let heading = format!("Restore MQIPT {}'s mqipt.conf from a backup", instance.name);
    view! {
        <h3>{heading}</h3>
        <form class="restore" on:submit=submit>
            <label for=input_id.clone()>{format!("Backup file of {conf_path}")}</label>
            <input
                id=input_id
                type="text"
                list=list_id.clone()
                autocomplete="off"
                spellcheck="false"
                placeholder=format!("{prefix}<digits>")
                aria-describedby=describedby
                bind:value=backup
            />
            <datalist id=list_id>{move || known.get().into_iter().map(|b| view! { <option value=b></option> }).collect_view()}</datalist>
            <button type="submit" disabled=move || !operator.get() || !valid.get()>"Restore from backup"</button>
        </form>
        <p id=hint_id class="reason">
            "Expected: " <code>{prefix}</code> <var>"digits"</var>
            " — the copy the console writes beside the file before each change. "
            {move || match known.with(Vec::len) {
                0 => "No backup made by the runs listed here.".to_string(),
                1 => "The backup made by an earlier run is suggested as you type.".to_string(),
                n => format!("The {n} backups made by earlier runs are suggested as you type."),
            }}
        </p>
        {move || (!backup.with(String::is_empty) && !valid.get()).then(|| view! {
            <p class="inline-alert tone-warn">"⚠ That is not a backup name the console writes: it must be the path above followed by digits only."</p>
        })}
    }
}
