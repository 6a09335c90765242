//! `/`: the estate at a glance: findings first, then the map, then the queue managers.

use crate::components::estate_map::EstateMap;
use crate::components::findings::FindingsList;
use crate::components::page::Page;
use crate::components::qm_table::QueueManagerTable;
use crate::components::refresh_button::RefreshButton;
use crate::live::use_live;
use leptos::prelude::*;

#[component]
pub fn EstatePage() -> impl IntoView {
    view! {
        <Page title="Estate".to_string()>
            <div class="page-head">
                <h1>"Estate"</h1>
                <RefreshButton />
            </div>
            <WhenLoaded>
                <FindingsList />
                <section class="map" aria-labelledby="map-heading">
                    <h2 id="map-heading">"Estate map"</h2>
                    <MapLegend />
                    <EstateMap />
                </section>
                <section aria-labelledby="qm-heading">
                    <h2 id="qm-heading">"Queue managers"</h2>
                    <QueueManagerTable />
                </section>
            </WhenLoaded>
        </Page>
    }
}

/// Its children once the first snapshot has arrived; until then, says what it waits for.
#[component]
pub fn WhenLoaded(children: ChildrenFn) -> impl IntoView {
    let live = use_live();
    let loaded = Memo::new(move |_| live.snapshot.with(Option::is_some));
    view! {
        <Show
            when=move || loaded.get()
            fallback=|| view! { <p role="status" class="waiting">"Waiting for the first estate update from the console…"</p> }
        >
            {children()}
        </Show>
    }
}

#[component]
fn MapLegend() -> impl IntoView {
    view! {
        <p id="map-legend" class="legend">
            "Traffic flows left to right: MQIPT routes → region load balancers → HA groups. "
            <span class="key key-solid" aria-hidden="true"></span>" route to the DR primary region; "
            <span class="key key-problem" aria-hidden="true"></span>" ⚠ route to another region (problem); "
            <span class="key key-hatch" aria-hidden="true"></span>" unreachable node or stale data; "
            <span class="key key-standby" aria-hidden="true"></span>" DR secondary standby (not running). "
            "Select a queue manager to see every field read."
        </p>
    }
}
