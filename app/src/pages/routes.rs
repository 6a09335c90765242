//! `/routes`: every MQIPT route as read from `mqipt.conf`, where it sends traffic, and whether
//! that is where its queue manager is DR primary.

use crate::checks::{RouteVerdict, Tone, route_verdict};
use crate::components::badge::Badge;
use crate::components::page::Page;
use crate::live::use_live;
use crate::pages::estate::WhenLoaded;
use leptos::prelude::*;
use leptos_router::components::A;
use model::estate::{MqiptView, RouteView, Snapshot};

#[derive(Clone, Debug, PartialEq)]
struct RoutesData {
    instances: Vec<MqiptView>,
    routes: Vec<(RouteView, RouteVerdict)>,
}

fn routes_data(snapshot: &Snapshot) -> RoutesData {
    RoutesData {
        instances: snapshot.mqipt.clone(),
        routes: snapshot.routes.iter().map(|r| (r.clone(), route_verdict(r, snapshot))).collect(),
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
    let properties = data.routes.clone();
    view! {
        <section aria-labelledby="instances-heading">
            <h2 id="instances-heading">"MQIPT instances"</h2>
            <ul class="instance-list">{data.instances.into_iter().map(|i| view! { <li><InstanceLine instance=i /></li> }).collect_view()}</ul>
        </section>
        <section aria-labelledby="routes-heading">
            <h2 id="routes-heading">"Routes"</h2>
            <table class="data routes-table">
                <caption>"Each route's destination, and whether it matches its queue manager's DR primary region"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Listener port"</th>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Destination"</th>
                        <th scope="col">"Destination port"</th>
                        <th scope="col">"Resolves to"</th>
                        <th scope="col">"TLS mode"</th>
                        <th scope="col">"Active"</th>
                        <th scope="col">"Queue manager"</th>
                        <th scope="col">"Consistency with DR primary"</th>
                    </tr>
                </thead>
                <tbody>{data.routes.into_iter().map(|(r, v)| view! { <RouteRow route=r verdict=v /> }).collect_view()}</tbody>
            </table>
        </section>
        <section aria-labelledby="properties-heading">
            <h2 id="properties-heading">"Properties as written in mqipt.conf"</h2>
            <div class="property-grid">
                {properties.into_iter().map(|(r, _)| view! { <PropertyTable route=r /> }).collect_view()}
            </div>
        </section>
    }
}

#[component]
fn InstanceLine(instance: MqiptView) -> impl IntoView {
    let (tone, state) = match (&instance.error, instance.reachable) {
        (None, true) => (Tone::Good, "configuration read".to_string()),
        (Some(e), true) => (Tone::Bad, format!("configuration not read: {e}")),
        (e, false) => {
            let stale = if instance.stale { "; routes below are from an earlier refresh" } else { "" };
            (Tone::Bad, format!("unreachable: {}{stale}", e.clone().unwrap_or_default()))
        }
    };
    view! {
        <strong>{format!("MQIPT {}", instance.name)}</strong>
        " on " {instance.host} ", " <code>{instance.conf_path}</code> " "
        <Badge tone=tone text=state />
    }
}

#[component]
fn RouteRow(route: RouteView, verdict: RouteVerdict) -> impl IntoView {
    let text = |v: Option<String>| v.unwrap_or_else(|| "—".into());
    let region_tone = if route.destination_region.is_some() { Tone::Good } else { Tone::Bad };
    let region = route.destination_region.clone().unwrap_or_else(|| "no region (unknown host)".into());
    let qm = route.qmgr.clone().map(|q| {
        let href = format!("/queue-managers/{}", js_sys::encode_uri_component(&q));
        view! { <A href=href>{q}</A> }
    });
    let active_tone = if route.active { Tone::Good } else { Tone::Warn };
    let stale = route.stale.then(|| view! { " " <Badge tone=Tone::Unknown text="stale data" /> });
    view! {
        <tr class=if matches!(verdict, RouteVerdict::Problem(_)) { "problem" } else { "" }>
            <th scope="row">{route.listener_port}</th>
            <td>{text(route.name)}</td>
            <td class="host">{text(route.destination)}</td>
            <td>{text(route.destination_port)}</td>
            <td><Badge tone=region_tone text=region /></td>
            <td>{route.tls_mode}</td>
            <td><Badge tone=active_tone text=if route.active { "active" } else { "inactive" } /></td>
            <td>{qm}</td>
            <td class="wrap">
                <Badge tone=verdict.tone() text=format!("{}: {}", verdict.word(), verdict.text()) />
                {stale}
            </td>
        </tr>
    }
}

#[component]
fn PropertyTable(route: RouteView) -> impl IntoView {
    let caption = format!("Route {} ({})", route.listener_port, route.name.clone().unwrap_or_else(|| "no name".into()));
    view! {
        <table class="data properties">
            <caption>{caption}</caption>
            <thead><tr><th scope="col">"Property"</th><th scope="col">"Value"</th></tr></thead>
            <tbody>
                {route.properties.into_iter().map(|(k, v)| view! { <tr><th scope="row">{k}</th><td>{v}</td></tr> }).collect_view()}
            </tbody>
        </table>
    }
}
