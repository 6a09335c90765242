//! `/queue-managers/{name}`: one queue manager in full: every field each node printed, its DR
//! and HA state per region, whether each region could run it, the three layers of each node
//! side by side, its route, and its actions (each opens a plan preview first).

use crate::checks::{RouteVerdict, Tone, dr_primary_text, dr_status_tone, ha_status_tone, qm_status_tone, route_for, route_verdict, running_text};
use crate::clock::age_text;
use crate::components::actions::{dr_actions, node_action, prefer_actions};
use crate::components::badge::Badge;
use crate::components::layers_compare::{LayersCompare, compare};
use crate::components::node_layers::{NodeLayersView, QmLayers, for_qm};
use crate::components::page::Page;
use crate::components::plan::{ActionList, ActionSpec};
use crate::components::data_table::{DataTable, TextRow};
use crate::components::qm_table::ReadinessBadge;
use crate::components::refresh_button::RefreshButton;
use crate::live::use_live;
use crate::pages::estate::WhenLoaded;
use leptos::prelude::*;
use model::estate::{QmNode, QmSide, QmgrView, Snapshot};

/// What the page shows of a node's own state (not its age, which ticks separately).
#[derive(Clone, Debug, PartialEq)]
struct NodeState {
    reachable: bool,
    error: Option<String>,
    last_ok_at: Option<u64>,
    /// DRBD and Pacemaker for this queue manager, as the node reported them.
    layers: Option<QmLayers>,
    /// Suspend or resume, whichever applies.
    action: ActionSpec,
}

#[derive(Clone, Debug, PartialEq)]
struct QmPage {
    qm: QmgrView,
    dr_primary: String,
    route: Option<(String, RouteVerdict)>,
    nodes: Vec<(String, NodeState)>,
}

fn page_data(snapshot: &Snapshot, name: &str) -> Option<QmPage> {
    let qm = snapshot.qmgrs.iter().find(|q| q.name == name)?;
    let route = route_for(qm, snapshot).map(|r| {
        let text = format!("{} route {} → {}", r.instance, r.listener_port, r.destination.clone().unwrap_or_else(|| "no Destination".into()));
        (text, route_verdict(r, snapshot))
    });
    let nodes = snapshot
        .regions
        .iter()
        .flat_map(|r| &r.nodes)
        .map(|n| {
            // Only an unreachable node's last answer matters here; a fresh one changes every refresh.
            let last_ok_at = if n.reachable { None } else { n.last_ok_at };
            let layers = n.layers.as_ref().map(|l| for_qm(l, name));
            let action = node_action(snapshot, &n.name);
            (n.name.clone(), NodeState { reachable: n.reachable, error: n.error.clone(), last_ok_at, layers, action })
        })
        .collect();
    Some(QmPage { dr_primary: dr_primary_text(qm), qm: qm.clone(), route, nodes })
}

#[component]
pub fn QueueManagerPage(name: String) -> impl IntoView {
    let name = Memo::new(move |_| name.clone());
    let live = use_live();
    let data = Memo::new(move |_| live.snapshot.with(|s| s.as_deref().map(|s| page_data(s, &name.get()))));
    view! {
        <Page title=Signal::derive(move || format!("{} (queue manager)", name.get()))>
            <div class="page-head">
                <h1>"Queue manager " {move || name.get()}</h1>
            </div>
            <WhenLoaded>
                {move || match data.get().flatten() {
                    Some(page) => view! { <QmSummary page=page /> }.into_any(),
                    None => view! {
                        <p role="alert" class="alert tone-bad">
                            "The estate has no queue manager named " <code>{name.get()}</code> ". "
                            <a href="/">"Back to the estate"</a>
                        </p>
                    }
                    .into_any(),
                }}
            </WhenLoaded>
            // Above the details, so an operator finds it without scrolling.
            <section class="actions" aria-labelledby="actions-heading">
                <h2 id="actions-heading">"Actions"</h2>
                <RefreshButton />
                <p class="muted">"Each action first shows its plan: what it checks, every command it would run and where. Nothing runs until you confirm."</p>
                <WhenLoaded>{move || data.get().flatten().map(|page| view! { <QmActions qm=page.qm /> })}</WhenLoaded>
            </section>
            <WhenLoaded>{move || data.get().flatten().map(|page| view! { <QmSides page=page /> })}</WhenLoaded>
        </Page>
    }
}

/// The workflow actions this queue manager's state calls for.
#[component]
fn QmActions(qm: QmgrView) -> impl IntoView {
    let (dr, why_none) = dr_actions(&qm);
    let prefer = prefer_actions(&qm);
    view! {
        <h3>"Disaster recovery"</h3>
        {why_none.map(|w| view! { <p class="muted">{w}</p> })}
        {(!dr.is_empty()).then(|| view! { <ActionList actions=dr /> })}
        <h3>"HA preferred node"</h3>
        <div class="prefer-groups">
            {prefer
                .into_iter()
                .map(|(region, preferred, actions)| {
                    let now = preferred.map_or_else(|| format!("{region}: preferred node unknown"), |p| format!("{region}: preferred node now {p}"));
                    view! {
                        <div class="prefer-group">
                            <p>{now}</p>
                            <ActionList actions=actions />
                        </div>
                    }
                })
                .collect_view()}
        </div>
    }
}

#[component]
fn QmSummary(page: QmPage) -> impl IntoView {
    let qm = page.qm;
    let (running, running_tone) = running_text(&qm);
    let route = match page.route {
        Some((text, verdict)) => view! {
            <a href="/routes">{text}</a> " " <Badge tone=verdict.tone() text=format!("{}: {}", verdict.word(), verdict.text()) />
        }
        .into_any(),
        None => view! { <Badge tone=Tone::Unknown text="no MQIPT route found for it" /> }.into_any(),
    };
    // In the order of the regions, not alphabetically.
    let readiness: Vec<_> = qm.sides.iter().map(|s| (s.region.clone(), qm.readiness.get(&s.region).cloned())).collect();
    view! {
        <section aria-labelledby="summary-heading">
            <h2 id="summary-heading">"Summary"</h2>
            <dl class="facts">
                <dt>"Listener port"</dt><dd>{qm.listener_port}</dd>
                <dt>"DR primary region"</dt><dd>{page.dr_primary}</dd>
                <dt>"Running on"</dt><dd><Badge tone=running_tone text=running /></dd>
                <dt>"MQIPT route"</dt><dd>{route}</dd>
            </dl>
        </section>
        <section aria-labelledby="readiness-heading">
            <h2 id="readiness-heading">"Readiness: could each region run it now?"</h2>
            <ul class="readiness-list">
                {readiness.into_iter().map(|(region, r)| view! { <li><ReadinessBadge region=region readiness=r /></li> }).collect_view()}
            </ul>
        </section>
    }
}

#[component]
fn QmSides(page: QmPage) -> impl IntoView {
    let nodes = page.nodes;
    let qm = page.qm.name;
    let readiness = page.qm.readiness;
    page.qm
        .sides
        .into_iter()
        .map(|side| {
            let r = readiness.get(&side.region).cloned();
            view! { <SideSection qm=qm.clone() side=side readiness=r nodes=nodes.clone() /> }
        })
        .collect_view()
}

#[component]
fn SideSection(qm: String, side: QmSide, readiness: Option<model::estate::Readiness>, nodes: Vec<(String, NodeState)>) -> impl IntoView {
    let heading_id = format!("side-{}", side.region);
    let rows: Vec<_> = side
        .nodes
        .iter()
        .map(|n| {
            let layers = nodes.iter().find(|(name, _)| *name == n.node).and_then(|(_, s)| s.layers.as_ref());
            compare(&qm, n, layers)
        })
        .collect();
    let region = side.region.clone();
    let role = side.dr_role.as_ref().map_or("DR role unknown".to_string(), |r| format!("DR {r}"));
    // Nobody in the region answered: everything below is its last known state, not its health.
    let (heading, dr_tone) = if side.stale {
        (format!("{} region — {role} (last known: no node answers)", side.region), Tone::Unknown)
    } else {
        (format!("{} region — {role}", side.region), dr_status_tone(side.dr_status.as_ref()))
    };
    let text = |v: Option<String>| v.unwrap_or_else(|| "unknown".into());
    let out_of_sync = match side.dr_out_of_sync_kb {
        None => view! { "not reported" }.into_any(),
        Some(0) => view! { "0 KB" }.into_any(),
        Some(kb) => view! { <Badge tone=Tone::Warn text=format!("{kb} KB not yet replicated") /> }.into_any(),
    };
    let facts = view! {
        <dt>"DR status"</dt>
        <dd><Badge tone=dr_tone text=text(side.dr_status.as_ref().map(ToString::to_string)) /></dd>
        <dt>"DR out of sync data"</dt>
        <dd>{out_of_sync}</dd>
        <dt>"HA current location"</dt>
        <dd>{text(side.ha_current_location.clone())}</dd>
        <dt>"HA preferred location"</dt>
        <dd>{text(side.ha_preferred_location.clone())}</dd>
        <dt>"Could run it now?"</dt>
        <dd><ReadinessBadge region=region.clone() readiness=readiness /></dd>
    };
    let labelled_by = heading_id.clone();
    view! {
        <section class="side" aria-labelledby=labelled_by>
            <h2 id=heading_id>{heading}</h2>
            <dl class="facts">{facts}</dl>
            <LayersCompare qm=qm.clone() region=region rows=rows />
            <div class="node-grid">
                {side
                    .nodes
                    .into_iter()
                    .map(|n| {
                        let state = nodes.iter().find(|(name, _)| *name == n.node).map(|(_, s)| s.clone());
                        view! { <NodeDetails qm=qm.clone() node=n state=state /> }
                    })
                    .collect_view()}
            </div>
        </section>
    }
}

#[component]
fn NodeDetails(qm: String, node: QmNode, state: Option<NodeState>) -> impl IntoView {
    let live = use_live();
    let reach = match &state {
        Some(s) if s.reachable => view! { <Badge tone=Tone::Good text="reachable" /> }.into_any(),
        Some(s) => {
            let last = s.last_ok_at;
            let age = move || match last {
                Some(at) => format!("unreachable — data {} old", age_text(live.now_ms.get().saturating_sub(at))),
                None => "unreachable — no data".to_string(),
            };
            view! { <span class="badge tone-bad"><span aria-hidden="true">"✖ "</span>{age}</span> }.into_any()
        }
        None => view! { <Badge tone=Tone::Unknown text="not in the inventory" /> }.into_any(),
    };
    let layers = state.as_ref().and_then(|s| s.layers.clone());
    let action = state.as_ref().map(|s| s.action.clone());
    let node_name = node.node.clone();
    let class = if node.stale { "node-card stale" } else { "node-card" };
    view! {
        <article class=class aria-label=format!("node {}", node.node)>
            <h3>{node.node.clone()}</h3>
            <p class="badges">
                {reach}
                {node.stale.then(|| view! { <Badge tone=Tone::Unknown text="stale: from an earlier refresh" /> })}
            </p>
            <div><NodePrinted qm=qm.clone() node=node.clone() /></div>
            <NodeLayersView qm=qm node=node_name layers=layers />
            {action.map(|a| view! { <div class="node-actions"><ActionList actions=vec![a] /></div> })}
        </article>
    }
}

/// What one node printed for the queue manager: the main values, then every field.
#[component]
fn NodePrinted(qm: String, node: QmNode) -> impl IntoView {
    let text = |v: Option<String>| v.unwrap_or_else(|| "unknown".into());
    // What a silent node said earlier is shown, but never as healthy.
    let tone = |t: Tone| if node.stale { Tone::Unknown } else { t };
    let peers = if node.peers.is_empty() {
        "none reported".to_string()
    } else {
        node.peers.iter().map(|(peer, status)| format!("{peer}: {status}")).collect::<Vec<_>>().join(", ")
    };
    let qm_status = (tone(qm_status_tone(node.qm_status.as_ref())), text(node.qm_status.as_ref().map(ToString::to_string)));
    let ha_role = text(node.ha_role.as_ref().map(ToString::to_string));
    let ha_status = (tone(ha_status_tone(node.ha_status.as_ref())), text(node.ha_status.as_ref().map(ToString::to_string)));
    let dr_role = text(node.dr_role.as_ref().map(ToString::to_string));
    let dr_status = (tone(dr_status_tone(node.dr_status.as_ref())), text(node.dr_status.as_ref().map(ToString::to_string)));
    let caption = format!("rdqmstatus -m {qm} on {}, every field as printed", node.node);
    let fields = node.fields.into_iter().map(|(label, value)| TextRow::new(vec![label, value])).collect();
    view! {
        <dl class="facts compact">
            <dt>"Queue manager status"</dt>
            <dd><Badge tone=qm_status.0 text=qm_status.1 /></dd>
            <dt>"HA role / status"</dt>
            <dd>{ha_role} " · " <Badge tone=ha_status.0 text=ha_status.1 /></dd>
            <dt>"DR role / status"</dt>
            <dd>{dr_role} " · " <Badge tone=dr_status.0 text=dr_status.1 /></dd>
            <dt>"HA peers as it sees them"</dt>
            <dd>{peers}</dd>
        </dl>
        {node.error.map(|e| view! { <p class="inline-alert tone-bad">{format!("✖ {e}")}</p> })}
        <DataTable class="fields" caption=caption columns=&["Field", "Value"] rows=fields />
    }
}
