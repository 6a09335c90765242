//! The estate map: the SVG drawing of `map_layout`. It scales with its viewBox; every shape is
//! a named group, so assistive technology and tests find "node wdc1-mq1" or "route 1501".
//! Ages of unreachable hosts tick in place; the drawing re-renders only when the layout changes.

use crate::checks::Tone;
use crate::clock::age_text;
use crate::components::map_card::QmCard;
use crate::components::map_layout::{self, BalancerBox, InstanceBox, LINE, LinkKind, MapLayout, NodeBox, Reach, RegionBox, RouteBox, WIDTH};
use crate::text_fit::fit;
use crate::live::{Live, use_live};
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

#[component]
pub fn EstateMap() -> impl IntoView {
    let live = use_live();
    let layout = Memo::new(move |_| live.snapshot.with(|s| s.as_deref().map(map_layout::build)));
    move || layout.get().map(|map| view! { <MapDrawing map=map /> })
}

#[component]
fn MapDrawing(map: MapLayout) -> impl IntoView {
    let links = map
        .links
        .iter()
        .map(|link| {
            let points = link.points.iter().map(|(x, y)| format!("{x},{y}")).collect::<Vec<_>>().join(" ");
            let class = match link.kind {
                LinkKind::Normal => "link",
                LinkKind::Problem => "link problem",
                LinkKind::Inactive => "link inactive",
            };
            view! { <polyline points=points class=class fill="none" marker-end="url(#arrow)" /> }
        })
        .collect_view();
    view! {
        <svg
            class="estate-map"
            viewBox=format!("0 0 {WIDTH} {}", map.height)
            role="group"
            aria-labelledby="map-heading"
            aria-describedby="map-legend"
        >
            <defs>
                <pattern id="hatch" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
                    <rect width="8" height="8" class="hatch-bg" />
                    <line x1="0" y1="0" x2="0" y2="8" class="hatch-line" />
                </pattern>
                <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto">
                    <path d="M0,0 L10,5 L0,10 z" class="arrow-head" />
                </marker>
            </defs>
            {links}
            {map.instances.into_iter().map(|i| view! { <InstanceShape instance=i /> }).collect_view()}
            {map.routes.into_iter().map(|r| view! { <RouteShape route=r /> }).collect_view()}
            {map.balancers.into_iter().map(|b| view! { <BalancerShape balancer=b /> }).collect_view()}
            {map.regions.into_iter().map(|r| view! { <RegionShape region=r /> }).collect_view()}
        </svg>
    }
}

/// "unreachable — data 12 s old", ticking.
fn unreachable_text(live: Live, last_ok_at: Option<u64>) -> impl Fn() -> String + Send + Sync + 'static {
    move || match last_ok_at {
        Some(at) => format!("⚠ unreachable — data {} old", age_text(live.now_ms.get().saturating_sub(at))),
        None => "⚠ unreachable — no data at all".to_string(),
    }
}

#[component]
fn InstanceShape(instance: InstanceBox) -> impl IntoView {
    let f = instance.frame;
    let (class, state) = match (&instance.reach, &instance.error) {
        (Reach::Unreachable { error, .. }, _) => ("box instance unreachable", format!("⚠ unreachable: {error}")),
        (Reach::Reachable, Some(error)) => ("box instance problem", format!("⚠ mqipt.conf unreadable: {error}")),
        (Reach::Reachable, None) => ("box instance", "✓ reachable, mqipt.conf read".to_string()),
    };
    view! {
        <g role="group" aria-label=format!("MQIPT instance {}", instance.name) class=class>
            <title>{format!("MQIPT {} on {}: {state}", instance.name, instance.host)}</title>
            <rect x=f.x y=f.y width=f.w height=f.h rx="6" class="shape" />
            <text x=f.x + 10 y=f.y + 18 class="title">{format!("MQIPT {}", instance.name)}</text>
            <text x=f.x + 10 y=f.y + 18 + LINE class="detail">{format!("on {}", instance.host)}</text>
            <text x=f.x + 10 y=f.y + 18 + 2 * LINE class="detail state">{fit(&state, 38)}</text>
        </g>
    }
}

#[component]
fn RouteShape(route: RouteBox) -> impl IntoView {
    let f = route.frame;
    let verdict_class = format!("verdict {}", route.verdict.tone().class());
    let class = format!(
        "box route {}{}{}",
        route.verdict.word(),
        if route.active { "" } else { " inactive" },
        if route.stale { " stale" } else { "" }
    );
    let details_at = f.y + 18 + LINE;
    let verdict_at = details_at + route.details.len() as i32 * LINE;
    let title = route.label.clone();
    view! {
        <g role="group" aria-label=route.label class=class>
            <title>{title}</title>
            <rect x=f.x y=f.y width=f.w height=f.h rx="6" class="shape" />
            <text x=f.x + 10 y=f.y + 18 class="title">{route.title}</text>
            {route
                .details
                .into_iter()
                .enumerate()
                .map(|(i, d)| view! { <text x=f.x + 10 y=details_at + i as i32 * LINE class="detail">{d}</text> })
                .collect_view()}
            {route
                .verdict_lines
                .into_iter()
                .enumerate()
                .map(|(i, v)| {
                    view! { <text x=f.x + 10 y=verdict_at + i as i32 * LINE class=verdict_class.clone()>{v}</text> }
                })
                .collect_view()}
        </g>
    }
}

#[component]
fn BalancerShape(balancer: BalancerBox) -> impl IntoView {
    let f = balancer.frame;
    // Host names are long: break after the first label so both halves stay readable.
    let (first, rest) = balancer.host.split_once('.').map_or((balancer.host.clone(), String::new()), |(a, b)| (a.to_string(), format!(".{b}")));
    view! {
        <g role="group" aria-label=format!("load balancer {}", balancer.region) class="box balancer">
            <title>{format!("{} load balancer: {}", balancer.region, balancer.host)}</title>
            <rect x=f.x y=f.y width=f.w height=f.h rx="6" class="shape" />
            <text x=f.x + 10 y=f.y + 18 class="title">{format!("{} load balancer", balancer.region)}</text>
            <text x=f.x + 10 y=f.y + 18 + LINE class="detail">{fit(&first, 26)}</text>
            <text x=f.x + 10 y=f.y + 18 + 2 * LINE class="detail">{fit(&rest, 26)}</text>
        </g>
    }
}

#[component]
fn RegionShape(region: RegionBox) -> impl IntoView {
    let f = region.frame;
    view! {
        <g role="group" aria-label=format!("region {}", region.name) class="region">
            <rect x=f.x y=f.y width=f.w height=f.h rx="8" class="region-box" />
            <text x=f.x + 12 y=f.y + 20 class="region-name">{format!("{} region", region.name)}</text>
            <text x=f.x + 12 y=f.y + 20 + LINE + 2 class="detail">{region.summary}</text>
            {region.nodes.into_iter().map(|n| view! { <NodeShape node=n /> }).collect_view()}
        </g>
    }
}

#[component]
fn NodeShape(node: NodeBox) -> impl IntoView {
    let live = use_live();
    let f = node.frame;
    let (class, error, last_ok_at) = match &node.reach {
        Reach::Reachable => ("node", String::new(), None),
        Reach::Unreachable { last_ok_at, error } => ("node unreachable", error.clone(), *last_ok_at),
    };
    let reach_text: Box<dyn Fn() -> String + Send + Sync> = match node.reach {
        Reach::Reachable => Box::new(|| "✓ reachable".to_string()),
        Reach::Unreachable { last_ok_at, .. } => Box::new(unreachable_text(live, last_ok_at)),
    };
    let reach_class = if last_ok_at.is_some() || !error.is_empty() { "detail state tone-bad" } else { "detail state tone-good" };
    let empty_text = match (&node.reach, last_ok_at) {
        (Reach::Reachable, _) => "no queue manager running here",
        (Reach::Unreachable { .. }, Some(_)) => "none running, as last read",
        (Reach::Unreachable { .. }, None) => "nothing known: no data",
    };
    let no_cards = node.cards.is_empty();
    view! {
        <g role="group" aria-label=format!("node {}", node.name) class=class>
            <title>{if error.is_empty() { format!("{}: reachable", node.name) } else { format!("{}: {error}", node.name) }}</title>
            <rect x=f.x y=f.y width=f.w height=f.h rx="6" class="shape" />
            <text x=f.x + 10 y=f.y + 18 class="title">{node.name.clone()}</text>
            <text x=f.x + 10 y=f.y + 18 + LINE class=reach_class>{reach_text}</text>
            <text x=f.x + 10 y=f.y + 18 + 2 * LINE class="detail">{fit(&error, 36)}</text>
            {no_cards.then(|| view! { <text x=f.x + 10 y=f.y + 18 + 3 * LINE + 8 class="detail muted">{empty_text}</text> })}
            {node.cards.into_iter().map(|c| view! { <CardShape card=c last_ok_at=last_ok_at /> }).collect_view()}
        </g>
    }
}

#[component]
fn CardShape(card: QmCard, last_ok_at: Option<u64>) -> impl IntoView {
    let live = use_live();
    let navigate = use_navigate();
    let f = card.frame;
    let href = format!("/queue-managers/{}", js_sys::encode_uri_component(&card.qmgr));
    let go = {
        let href = href.clone();
        // SVG links are not the router's: navigate in the app instead of reloading the page.
        move |ev: leptos::ev::MouseEvent| {
            if !(ev.ctrl_key() || ev.meta_key() || ev.shift_key()) {
                ev.prevent_default();
                navigate(&href, Default::default());
            }
        }
    };
    let class = format!(
        "qm-card {} {}{}",
        if card.running { "running" } else { "standby" },
        card.tone.class(),
        if card.stale { " stale" } else { "" }
    );
    let status_class = format!("qm-status {}", if card.stale { Tone::Unknown.class() } else { card.tone.class() });
    let status = match (card.status_inline, card.stale) {
        (false, _) => String::new(),
        (true, true) => format!("{}?", card.status),
        (true, false) => card.status.clone(),
    };
    let lines = card
        .lines
        .into_iter()
        .enumerate()
        .map(|(i, (text, tone))| {
            let y = f.y + 17 + (i as i32 + 1) * LINE;
            let class = format!("detail {}", tone.class());
            if card.stale && text == "⚠ stale" {
                let age = move || match last_ok_at {
                    Some(at) => format!("⚠ stale: as of {} ago", age_text(live.now_ms.get().saturating_sub(at))),
                    None => "⚠ stale".to_string(),
                };
                view! { <text x=f.x + 8 y=y class=class>{age}</text> }.into_any()
            } else {
                view! { <text x=f.x + 8 y=y class=class>{text}</text> }.into_any()
            }
        })
        .collect_view();
    let title = card.label.clone();
    view! {
        <g role="group" aria-label=card.label class=class>
            <a href=href on:click=go aria-label=format!("Open queue manager {}", card.qmgr)>
                <title>{title}</title>
                <rect x=f.x y=f.y width=f.w height=f.h rx="4" class="shape" />
                <text x=f.x + 8 y=f.y + 17 class="qm-name">{card.qmgr.clone()}</text>
                <text x=f.right() - 8 y=f.y + 17 text-anchor="end" class=status_class>{status}</text>
                {lines}
            </a>
        </g>
    }
}
