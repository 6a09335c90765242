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
            view! { <polyline points=points class=class fill="none" marker-end="url(#arrow)"></polyline> }
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
                    <rect width="8" height="8" class="hatch-bg"></rect>
                    <line x1="0" y1="0" x2="0" y2="8" class="hatch-line"></line>
                </pattern>
                <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto">
                    <path d="M0,0 L10,5 L0,10 z" class="arrow-head"></path>
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

/// A box's `<rect>`.
#[component]
fn BoxRect(frame: map_layout::Frame, rx: &'static str, class: &'static str) -> impl IntoView {
    view! { <rect x=frame.x y=frame.y width=frame.w height=frame.h rx=rx class=class></rect> }
}

/// A `<text>` at (x, y).
#[component]
fn TextLine(x: i32, y: i32, #[prop(into)] class: String, #[prop(into)] text: String) -> impl IntoView {
    view! { <text x=x y=y class=class>{text}</text> }
}

/// A named box: `<g role="group" aria-label=…>` with its tooltip, its `<rect>`, then its lines
/// of text at `LINE` spacing from the top, each with its class.
#[component]
fn NamedBox(#[prop(into)] label: String, class: String, #[prop(into)] title: String, frame: map_layout::Frame, lines: Vec<(String, String)>) -> impl IntoView {
    view! {
        <g role="group" aria-label=label class=class>
            <title>{title}</title>
            <BoxRect frame=frame rx="6" class="shape" />
            {lines
                .into_iter()
                .enumerate()
                .map(|(i, (class, text))| view! { <TextLine x=frame.x + 10 y=frame.y + 18 + i as i32 * LINE class=class text=text /> })
                .collect_view()}
        </g>
    }
}

#[component]
fn InstanceShape(instance: InstanceBox) -> impl IntoView {
    let (class, state) = match (&instance.reach, &instance.error) {
        (Reach::Unreachable { error, .. }, _) => ("box instance unreachable", format!("⚠ unreachable: {error}")),
        (Reach::Reachable, Some(error)) => ("box instance problem", format!("⚠ mqipt.conf unreadable: {error}")),
        (Reach::Reachable, None) => ("box instance", "✓ reachable, mqipt.conf read".to_string()),
    };
    let title = format!("MQIPT {} on {}: {state}", instance.name, instance.host);
    let lines = vec![
        ("title".to_string(), format!("MQIPT {}", instance.name)),
        ("detail".to_string(), format!("on {}", instance.host)),
        ("detail state".to_string(), fit(&state, 38)),
    ];
    view! { <NamedBox label=format!("MQIPT instance {}", instance.name) class=class.to_string() title=title frame=instance.frame lines=lines /> }
}

#[component]
fn RouteShape(route: RouteBox) -> impl IntoView {
    let verdict_class = format!("verdict {}", route.verdict.tone().class());
    let class = format!(
        "box route {}{}{}",
        route.verdict.word(),
        if route.active { "" } else { " inactive" },
        if route.stale { " stale" } else { "" }
    );
    let mut lines: Vec<(String, String)> = vec![("title".to_string(), route.title.clone())];
    lines.extend(route.details.iter().map(|d| ("detail".to_string(), d.clone())));
    lines.extend(route.verdict_lines.iter().map(|v| (verdict_class.clone(), v.clone())));
    view! { <NamedBox label=route.label.clone() class=class title=route.label frame=route.frame lines=lines /> }
}

#[component]
fn BalancerShape(balancer: BalancerBox) -> impl IntoView {
    // Host names are long: break after the first label so both halves stay readable.
    let (first, rest) = balancer.host.split_once('.').map_or((balancer.host.clone(), String::new()), |(a, b)| (a.to_string(), format!(".{b}")));
    let title = format!("{} load balancer: {}", balancer.region, balancer.host);
    let lines = vec![
        ("title".to_string(), format!("{} load balancer", balancer.region)),
        ("detail".to_string(), fit(&first, 26)),
        ("detail".to_string(), fit(&rest, 26)),
    ];
    view! { <NamedBox label=format!("load balancer {}", balancer.region) class="box balancer".to_string() title=title frame=balancer.frame lines=lines /> }
}

#[component]
fn RegionShape(region: RegionBox) -> impl IntoView {
    let f = region.frame;
    view! {
        <g role="group" aria-label=format!("region {}", region.name) class="region">
            <BoxRect frame=f rx="8" class="region-box" />
            <TextLine x=f.x + 12 y=f.y + 20 class="region-name" text=format!("{} region", region.name) />
            <TextLine x=f.x + 12 y=f.y + 20 + LINE + 2 class="detail" text=region.summary />
            {region.groups.into_iter().map(|g| view! { <TextLine x=g.x y=g.y class="detail group-name" text=g.text /> }).collect_view()}
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
    let reach_class = if last_ok_at.is_some() || !error.is_empty() { "detail state tone-bad" } else { "detail state tone-good" };
    let empty_text = match (&node.reach, last_ok_at) {
        (Reach::Reachable, _) => "no queue manager running here",
        (Reach::Unreachable { .. }, Some(_)) => "none running, as last read",
        (Reach::Unreachable { .. }, None) => "nothing known: no data",
    };
    let title = if error.is_empty() { format!("{}: reachable", node.name) } else { format!("{}: {error}", node.name) };
    // Only the age of a silent node ticks; the rest is drawn once.
    let reach = match (&node.reach, &node.note) {
        (Reach::Reachable, Some(note)) => {
            view! { <TextLine x=f.x + 10 y=f.y + 18 + LINE class="detail state tone-warn" text=fit(&format!("⚠ reachable, {note}"), 36) /> }.into_any()
        }
        (Reach::Reachable, None) => view! { <TextLine x=f.x + 10 y=f.y + 18 + LINE class=reach_class text="✓ reachable" /> }.into_any(),
        (Reach::Unreachable { last_ok_at, .. }, _) => {
            view! { <text x=f.x + 10 y=f.y + 18 + LINE class=reach_class>{unreachable_text(live, *last_ok_at)}</text> }.into_any()
        }
    };
    let empty = node.cards.is_empty().then(|| view! { <TextLine x=f.x + 10 y=f.y + 18 + 3 * LINE + 8 class="detail muted" text=empty_text /> });
    view! {
        <g role="group" aria-label=format!("node {}", node.name) class=class>
            <title>{title}</title>
            <BoxRect frame=f rx="6" class="shape" />
            <TextLine x=f.x + 10 y=f.y + 18 class="title" text=node.name.clone() />
            {reach}
            <TextLine x=f.x + 10 y=f.y + 18 + 2 * LINE class="detail" text=fit(&error, 36) />
            {empty}
            {node.cards.into_iter().map(|c| view! { <CardShape card=c last_ok_at=last_ok_at /> }).collect_view()}
        </g>
    }
}

#[component]
fn CardShape(card: QmCard, last_ok_at: Option<u64>) -> impl IntoView {
    let live = use_live();
    let f = card.frame;
    // The router follows SVG links too: this stays in the app.
    let href = format!("/queue-managers/{}", js_sys::encode_uri_component(&card.qmgr));
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
                // Its age ticks in place.
                let age = move || match last_ok_at {
                    Some(at) => format!("⚠ stale: as of {} ago", age_text(live.now_ms.get().saturating_sub(at))),
                    None => "⚠ stale".to_string(),
                };
                view! { <text x=f.x + 8 y=y class=class>{age}</text> }.into_any()
            } else {
                view! { <TextLine x=f.x + 8 y=y class=class text=text /> }.into_any()
            }
        })
        .collect_view();
    view! {
        <g role="group" aria-label=card.label.clone() class=class>
            <a href=href aria-label=format!("Open queue manager {}", card.qmgr)>
                <title>{card.label.clone()}</title>
                <BoxRect frame=f rx="4" class="shape" />
                <TextLine x=f.x + 8 y=f.y + 17 class="qm-name" text=card.qmgr.clone() />
                <text x=f.right() - 8 y=f.y + 17 text-anchor="end" class=status_class>{status}</text>
                {lines}
            </a>
        </g>
    }
}
