//! The estate map: the SVG drawing of `map_layout`. It scales with its viewBox; every shape is
//! a named group, so assistive technology and tests find "node wdc1-mq1" or "route 1501".
//! Ages of unreachable hosts tick in place; the drawing re-renders only when the layout changes.

use crate::checks::Tone;
use crate::clock::age_text;
use crate::components::map_card::QmCard;
use crate::components::map_layout::{self, BalancerBox, InstanceBox, LINE, LinkKind, MapLayout, NodeBox, Reach, RegionBox, RouteBox, WIDTH};
use crate::html::Html;
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
    // Everything but the regions is drawn once, as text; the regions hold ticking ages and links.
    let mut h = Html::new();
    h.raw(concat!(
        r#"<defs><pattern id="hatch" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">"#,
        r#"<rect width="8" height="8" class="hatch-bg"></rect><line x1="0" y1="0" x2="0" y2="8" class="hatch-line"></line></pattern>"#,
        r#"<marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto">"#,
        r#"<path d="M0,0 L10,5 L0,10 z" class="arrow-head"></path></marker></defs>"#
    ));
    for link in &map.links {
        let points = link.points.iter().map(|(x, y)| format!("{x},{y}")).collect::<Vec<_>>().join(" ");
        let class = match link.kind {
            LinkKind::Normal => "link",
            LinkKind::Problem => "link problem",
            LinkKind::Inactive => "link inactive",
        };
        h.open("polyline", &[("points", &points), ("class", class), ("fill", "none"), ("marker-end", "url(#arrow)")]).close("polyline");
    }
    for i in &map.instances {
        instance_html(&mut h, i);
    }
    for r in &map.routes {
        route_html(&mut h, r);
    }
    for b in &map.balancers {
        balancer_html(&mut h, b);
    }
    view! {
        <svg
            class="estate-map"
            viewBox=format!("0 0 {WIDTH} {}", map.height)
            role="group"
            aria-labelledby="map-heading"
            aria-describedby="map-legend"
        >
            <g inner_html=h.finish()></g>
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

/// `<rect>` of a box, then `<text>` lines at `LINE` spacing from the top, each with its class.
fn box_html(h: &mut Html, title: &str, f: &map_layout::Frame, rx: &str, lines: &[(&str, String)]) {
    h.el("title", "", title);
    rect_html(h, f, rx, "shape");
    for (i, (class, text)) in lines.iter().enumerate() {
        text_html(h, f.x + 10, f.y + 18 + i as i32 * LINE, class, text);
    }
}

/// A named group: `<g role="group" aria-label=… class=…>`.
fn group_open(h: &mut Html, label: &str, class: &str) {
    h.open("g", &[("role", "group"), ("aria-label", label), ("class", class)]);
}

fn instance_html(h: &mut Html, instance: &InstanceBox) {
    let (class, state) = match (&instance.reach, &instance.error) {
        (Reach::Unreachable { error, .. }, _) => ("box instance unreachable", format!("⚠ unreachable: {error}")),
        (Reach::Reachable, Some(error)) => ("box instance problem", format!("⚠ mqipt.conf unreadable: {error}")),
        (Reach::Reachable, None) => ("box instance", "✓ reachable, mqipt.conf read".to_string()),
    };
    group_open(h, &format!("MQIPT instance {}", instance.name), class);
    let title = format!("MQIPT {} on {}: {state}", instance.name, instance.host);
    let lines = [("title", format!("MQIPT {}", instance.name)), ("detail", format!("on {}", instance.host)), ("detail state", fit(&state, 38))];
    box_html(h, &title, &instance.frame, "6", &lines);
    h.close("g");
}

fn route_html(h: &mut Html, route: &RouteBox) {
    let verdict_class = format!("verdict {}", route.verdict.tone().class());
    let class = format!(
        "box route {}{}{}",
        route.verdict.word(),
        if route.active { "" } else { " inactive" },
        if route.stale { " stale" } else { "" }
    );
    let mut lines: Vec<(&str, String)> = vec![("title", route.title.clone())];
    lines.extend(route.details.iter().map(|d| ("detail", d.clone())));
    lines.extend(route.verdict_lines.iter().map(|v| (verdict_class.as_str(), v.clone())));
    group_open(h, &route.label, &class);
    box_html(h, &route.label, &route.frame, "6", &lines);
    h.close("g");
}

fn balancer_html(h: &mut Html, balancer: &BalancerBox) {
    // Host names are long: break after the first label so both halves stay readable.
    let (first, rest) = balancer.host.split_once('.').map_or((balancer.host.clone(), String::new()), |(a, b)| (a.to_string(), format!(".{b}")));
    group_open(h, &format!("load balancer {}", balancer.region), "box balancer");
    let title = format!("{} load balancer: {}", balancer.region, balancer.host);
    let lines = [("title", format!("{} load balancer", balancer.region)), ("detail", fit(&first, 26)), ("detail", fit(&rest, 26))];
    box_html(h, &title, &balancer.frame, "6", &lines);
    h.close("g");
}

/// A `<text>` at (x, y).
fn text_html(h: &mut Html, x: i32, y: i32, class: &str, text: &str) {
    h.open("text", &[("x", &x.to_string()), ("y", &y.to_string()), ("class", class)]).text(text).close("text");
}

fn rect_html(h: &mut Html, f: &map_layout::Frame, rx: &str, class: &str) {
    let (x, y, w, hh) = (f.x.to_string(), f.y.to_string(), f.w.to_string(), f.h.to_string());
    h.open("rect", &[("x", &x), ("y", &y), ("width", &w), ("height", &hh), ("rx", rx), ("class", class)]).close("rect");
}

#[component]
fn RegionShape(region: RegionBox) -> impl IntoView {
    let f = region.frame;
    let mut h = Html::new();
    rect_html(&mut h, &f, "8", "region-box");
    text_html(&mut h, f.x + 12, f.y + 20, "region-name", &format!("{} region", region.name));
    text_html(&mut h, f.x + 12, f.y + 20 + LINE + 2, "detail", &region.summary);
    view! {
        <g role="group" aria-label=format!("region {}", region.name) class="region">
            <g inner_html=h.finish()></g>
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
    let mut h = Html::new();
    h.el("title", "", &if error.is_empty() { format!("{}: reachable", node.name) } else { format!("{}: {error}", node.name) });
    rect_html(&mut h, &f, "6", "shape");
    text_html(&mut h, f.x + 10, f.y + 18, "title", &node.name);
    text_html(&mut h, f.x + 10, f.y + 18 + 2 * LINE, "detail", &fit(&error, 36));
    if node.cards.is_empty() {
        text_html(&mut h, f.x + 10, f.y + 18 + 3 * LINE + 8, "detail muted", empty_text);
    }
    // Only the age of a silent node ticks; the rest is drawn once.
    let reach = match node.reach {
        Reach::Reachable => {
            match &node.note {
                Some(note) => text_html(&mut h, f.x + 10, f.y + 18 + LINE, "detail state tone-warn", &fit(&format!("⚠ reachable, {note}"), 36)),
                None => text_html(&mut h, f.x + 10, f.y + 18 + LINE, reach_class, "✓ reachable"),
            }
            None
        }
        Reach::Unreachable { last_ok_at, .. } => {
            Some(view! { <text x=f.x + 10 y=f.y + 18 + LINE class=reach_class>{unreachable_text(live, last_ok_at)}</text> })
        }
    };
    view! {
        <g role="group" aria-label=format!("node {}", node.name) class=class>
            <g inner_html=h.finish()></g>
            {reach}
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
    let mut h = Html::new();
    h.el("title", "", &card.label);
    rect_html(&mut h, &f, "4", "shape");
    text_html(&mut h, f.x + 8, f.y + 17, "qm-name", &card.qmgr);
    h.open("text", &[("x", &(f.right() - 8).to_string()), ("y", &(f.y + 17).to_string()), ("text-anchor", "end"), ("class", &status_class)]);
    h.text(&status).close("text");
    let mut stale_line = None;
    for (i, (text, tone)) in card.lines.into_iter().enumerate() {
        let y = f.y + 17 + (i as i32 + 1) * LINE;
        let class = format!("detail {}", tone.class());
        if card.stale && text == "⚠ stale" {
            // Its age ticks in place.
            let age = move || match last_ok_at {
                Some(at) => format!("⚠ stale: as of {} ago", age_text(live.now_ms.get().saturating_sub(at))),
                None => "⚠ stale".to_string(),
            };
            stale_line = Some(view! { <text x=f.x + 8 y=y class=class>{age}</text> });
        } else {
            text_html(&mut h, f.x + 8, y, &class, &text);
        }
    }
    view! {
        <g role="group" aria-label=card.label class=class>
            <a href=href aria-label=format!("Open queue manager {}", card.qmgr)>
                <g inner_html=h.finish()></g>
                {stale_line}
            </a>
        </g>
    }
}
