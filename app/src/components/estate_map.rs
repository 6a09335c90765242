//! The estate map: the SVG drawing of `map_layout`. It scales with its viewBox; every shape is
//! a named group, so assistive technology and tests find "node wdc1-mq1" or "route 1501".
//! Ages of unreachable hosts tick in place; the drawing re-renders only when the layout changes.

use crate::checks::Tone;
use crate::clock::age_text;
use crate::components::map_card::QmCard;
use crate::components::badge::severity_icon;
use crate::components::map_group::GroupHealth;
use crate::components::map_layout::{self, BalancerBox, GroupHead, InstanceBox, LINE, LinkKind, MapLayout, NodeBox, OpenGroups, Reach, RegionBox, RouteBox, RouteGroupBox, WIDTH};
use crate::text_fit::fit;
use crate::live::{Live, use_live};
use leptos::prelude::*;

/// The operator's choices to open or collapse HA groups, kept for the page's life (not only
/// the estate page's: a visit to a queue manager and back finds them as left).
#[derive(Clone, Copy)]
pub struct MapChoices(RwSignal<OpenGroups>);

pub fn provide_map_choices() {
    provide_context(MapChoices(RwSignal::new(OpenGroups::new())));
}

fn use_map_choices() -> RwSignal<OpenGroups> {
    use_context::<MapChoices>().map_or_else(|| RwSignal::new(OpenGroups::new()), |c| c.0)
}

#[component]
pub fn EstateMap() -> impl IntoView {
    let live = use_live();
    let open = use_map_choices();
    let layout = Memo::new(move |_| live.snapshot.with(|s| s.as_deref().map(|s| open.with(|o| map_layout::build(s, o)))).unwrap_or_default());
    let loaded = Memo::new(move |_| live.snapshot.with(Option::is_some));
    move || loaded.get().then(|| view! { <MapDrawing layout=layout open=open /> })
}

/// The drawing stays; each part of it follows its own slice of the layout, so a change redraws
/// only what changed, and a group line the operator is on keeps the focus.
#[component]
fn MapDrawing(layout: Memo<MapLayout>, open: RwSignal<OpenGroups>) -> impl IntoView {
    let height = Memo::new(move |_| layout.with(|m| m.height));
    let links = Memo::new(move |_| layout.with(|m| m.links.clone()));
    let instances = Memo::new(move |_| layout.with(|m| m.instances.clone()));
    let routes = Memo::new(move |_| layout.with(|m| m.routes.clone()));
    let route_groups = Memo::new(move |_| layout.with(|m| m.route_groups.clone()));
    let balancers = Memo::new(move |_| layout.with(|m| m.balancers.clone()));
    let regions = Memo::new(move |_| layout.with(|m| m.regions.iter().map(|r| r.name.clone()).collect::<Vec<_>>()));
    let links = move || {
        links
            .get()
            .into_iter()
            .map(|link| {
                let points = link.points.iter().map(|(x, y)| format!("{x},{y}")).collect::<Vec<_>>().join(" ");
                let class = match link.kind {
                    LinkKind::Normal => "link",
                    LinkKind::Problem => "link problem",
                    LinkKind::Inactive => "link inactive",
                };
                view! { <polyline points=points class=class fill="none" marker-end="url(#arrow)"></polyline> }
            })
            .collect_view()
    };
    view! {
        <svg
            class="estate-map"
            viewBox=move || format!("0 0 {WIDTH} {}", height.get())
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
            {move || instances.get().into_iter().map(|i| view! { <InstanceShape instance=i /> }).collect_view()}
            <For each=move || routes.get() key=|route| route.clone() let:route>
                <RouteShape route=route />
            </For>
            <For each=move || route_groups.get() key=|group| group.clone() let:group>
                <RouteGroupShape group=group />
            </For>
            {move || balancers.get().into_iter().map(|b| view! { <BalancerShape balancer=b /> }).collect_view()}
            <For each=move || regions.get() key=|name| name.clone() let:name>
                <RegionShape layout=layout name=name open=open />
            </For>
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

/// The routes of one pair of HA groups in one box, drawn as a small stack of route boxes.
#[component]
fn RouteGroupShape(group: RouteGroupBox) -> impl IntoView {
    let class = format!("box route compact {}{}", group.word, if group.stale { " stale" } else { "" });
    let f = group.frame;
    let mut lines: Vec<(String, String)> = vec![("title".to_string(), group.title.clone())];
    lines.extend(group.details.iter().map(|d| ("detail".to_string(), d.clone())));
    lines.extend(group.verdict_lines.iter().map(|(text, tone)| (format!("verdict {}", tone.class()), text.clone())));
    view! {
        <g role="group" aria-label=group.label class=class>
            <title>{group.tooltip}</title>
            <rect x=f.x + 4 y=f.y - 4 width=f.w - 4 height=f.h rx="6" class="shape stack" aria-hidden="true"></rect>
            <BoxRect frame=f rx="6" class="shape" />
            {lines
                .into_iter()
                .enumerate()
                .map(|(i, (class, text))| view! { <TextLine x=f.x + 10 y=f.y + 18 + i as i32 * LINE class=class text=text /> })
                .collect_view()}
        </g>
    }
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
fn RegionShape(layout: Memo<MapLayout>, name: String, open: RwSignal<OpenGroups>) -> impl IntoView {
    let region = {
        let name = name.clone();
        Memo::new(move |_| layout.with(|m| m.regions.iter().find(|r| r.name == name).cloned()))
    };
    let frame = Memo::new(move |_| region.with(|r| r.as_ref().map(|r| r.frame).unwrap_or_default()));
    let summary = Memo::new(move |_| region.with(|r| r.as_ref().map(|r| r.summary_lines.clone()).unwrap_or_default()));
    let several = Memo::new(move |_| region.with(|r| r.as_ref().is_some_and(|r| r.several)));
    let keys = Memo::new(move |_| region.with(|r| r.as_ref().map(|r| r.groups.iter().map(|g| g.key.clone()).collect::<Vec<_>>()).unwrap_or_default()));
    // Every group of the region opened or collapsed: the operator's choice for each.
    let set_all = move |value: bool| open.update(|o| o.extend(keys.get_untracked().into_iter().map(|k| (k, value))));
    let controls = {
        let name = name.clone();
        move || {
            several.get().then(|| {
                view! {
                    <foreignObject
                        x=move || frame.get().right() - 222
                        y=move || frame.get().y + 5
                        width="212"
                        height="24"
                    >
                        <div class="map-controls">
                            <button type="button" aria-label=format!("Expand all HA groups of {name}") on:click=move |_| set_all(true)>
                                "Expand all"
                            </button>
                            <button type="button" aria-label=format!("Collapse all HA groups of {name}") on:click=move |_| set_all(false)>
                                "Collapse all"
                            </button>
                        </div>
                    </foreignObject>
                }
            })
        }
    };
    view! {
        <g role="group" aria-label=format!("region {name}") class="region">
            <rect x=move || frame.get().x y=move || frame.get().y width=move || frame.get().w height=move || frame.get().h rx="8" class="region-box"></rect>
            <text x=move || frame.get().x + 12 y=move || frame.get().y + 20 class="region-name">{format!("{name} region")}</text>
            {move || {
                summary
                    .get()
                    .into_iter()
                    .enumerate()
                    .map(|(i, line)| {
                        view! { <text x=move || frame.get().x + 12 y=move || frame.get().y + 20 + (i as i32 + 1) * LINE + 2 class="detail">{line}</text> }
                    })
                    .collect_view()
            }}
            {controls}
            <For each=move || keys.get() key=|key| key.clone() let:key>
                <GroupShape region=region key=key open=open />
            </For>
        </g>
    }
}

/// An id for the element a group line controls.
fn group_dom_id(key: &str) -> String {
    let safe: String = key.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    format!("map-group-{safe}")
}

/// One HA group: its line (a button that opens and collapses it, saying what is in it either
/// way) when the region has several, and its row of nodes while open.
#[component]
fn GroupShape(region: Memo<Option<RegionBox>>, key: String, open: RwSignal<OpenGroups>) -> impl IntoView {
    let group = {
        let key = key.clone();
        Memo::new(move |_| region.with(|r| r.as_ref().and_then(|r| r.groups.iter().find(|g| g.key == key)).cloned()))
    };
    let y = Memo::new(move |_| group.with(|g| g.as_ref().map_or(0, |g| g.y)));
    let is_open = Memo::new(move |_| group.with(|g| g.as_ref().is_some_and(|g| g.open)));
    let head = Memo::new(move |_| group.with(|g| g.as_ref().and_then(|g| g.head.clone())));
    let has_head = Memo::new(move |_| head.with(Option::is_some));
    let nodes = Memo::new(move |_| group.with(|g| g.as_ref().map(|g| g.nodes.clone()).unwrap_or_default()));
    let id = group_dom_id(&key);
    let toggle = move |_| {
        let now = is_open.get_untracked();
        open.update(|o| {
            o.insert(key.clone(), !now);
        });
    };
    let line = {
        let id = id.clone();
        move || {
            has_head.get().then(|| {
                let frame = move || head.with(|h| h.as_ref().map(|h| h.frame).unwrap_or_default());
                let (id, toggle) = (id.clone(), toggle.clone());
                view! {
                    <foreignObject x=move || frame().x y=move || frame().y width=move || frame().w height=move || frame().h>
                        <GroupLine head=head is_open=is_open controls=id on_toggle=toggle />
                    </foreignObject>
                }
            })
        }
    };
    view! {
        <g class="ha-group" transform=move || format!("translate(0 {})", y.get())>
            {line}
            <g id=id>
                <For each=move || nodes.get() key=|node| node.clone() let:node>
                    <NodeShape node=node />
                </For>
            </g>
        </g>
    }
}

/// The group line: "▸ HA group WDC-5: 3 of 3 nodes reachable · DR primary for G5QM1, G5QM3",
/// then its queue managers as they are and its findings. Stays the same element while the
/// estate changes under it.
#[component]
fn GroupLine(head: Memo<Option<GroupHead>>, is_open: Memo<bool>, controls: String, on_toggle: impl Fn(leptos::ev::MouseEvent) + 'static) -> impl IntoView {
    let health = Memo::new(move |_| head.with(|h| h.as_ref().map(|h| h.health.clone())));
    let name = Memo::new(move |_| head.with(|h| h.as_ref().map(|h| h.name.clone()).unwrap_or_default()));
    let with = move |f: fn(&GroupHealth) -> String| move || health.with(|h| h.as_ref().map(f).unwrap_or_default());
    // A line taller than two lines of text lets its queue managers' states wrap.
    let wide = move || head.with(|h| h.as_ref().is_some_and(|h| h.frame.h > map_layout::GROUP_HEAD_H));
    let class = move || {
        let tone = health.with(|h| h.as_ref().map_or(Tone::Unknown, |h| h.tone));
        format!("group-head {}{}", tone.class(), if wide() { " wide" } else { "" })
    };
    let title = with(|h| {
        if h.needs_attention() { format!("Needs attention: {}", h.problems.join("; ")) } else { "All well".to_string() }
    });
    // The line after "HA group NAME".
    let rest = with(|h| h.line.split_once(':').map(|(_, rest)| format!(":{rest}")).unwrap_or_default());
    let badge_class = move || format!("badge {}", health.with(|h| h.as_ref().map_or(Tone::Unknown, GroupHealth::findings_tone)).class());
    let badge_icon = move || {
        health.with(|h| match h.as_ref().and_then(|h| h.worst_finding) {
            Some(severity) => severity_icon(severity),
            None => "✓",
        })
    };
    let qmgrs = move || {
        health
            .with(|h| h.as_ref().map(|h| h.qmgrs.clone()).unwrap_or_default())
            .into_iter()
            .enumerate()
            .map(|(i, (text, tone))| {
                let sep = if i > 0 { " · " } else { "" };
                view! { {sep}<span class=format!("qm-state {}", tone.class())>{text}</span> }
            })
            .collect_view()
    };
    view! {
        <button
            type="button"
            class=class
            aria-expanded=move || if is_open.get() { "true" } else { "false" }
            aria-controls=controls
            title=title
            on:click=on_toggle
        >
            <span class="row">
                <span class="chevron" aria-hidden="true">{move || if is_open.get() { "▾" } else { "▸" }}</span>
                <span class="group-line">
                    <span class="group-name">{move || format!("HA group {}", name.get())}</span>
                    {rest}
                </span>
            </span>
            <span class="sr-only">" · "</span>
            <span class="row">
                <span class="qm-states">{qmgrs}</span>
                <span class="sr-only">" · "</span>
                <span class=badge_class>
                    <span aria-hidden="true">{badge_icon}" "</span>
                    {with(GroupHealth::findings_text)}
                </span>
            </span>
        </button>
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
