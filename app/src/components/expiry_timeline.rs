//! When each certificate expires, drawn as SVG: one row per certificate (a certificate held in
//! several stores is drawn once), its validity as a line, its expiry as a dot. Time runs on a
//! square-root scale around today, so the next week and the next ten years both stay readable;
//! the zones "expired", "within 7 days" and "within 30 days" are shaded and named. A
//! certificate made by a succeeded rotation is marked "↻ rotated" with the date, linking to
//! the run, and listed under the chart.

use crate::checks::Tone;
use crate::clock::date_time;
use crate::components::cert_actions::{Rotated, made_by};
use crate::components::cert_table::{SortKey, sorted};
use crate::router::encode;
use leptos::prelude::*;
use model::certs::CertView;

const DAY_MS: f64 = 86_400_000.0;
const WIDTH: f64 = 900.0;
const LABEL_WIDTH: f64 = 330.0;
const ROW: f64 = 20.0;
const TOP: f64 = 34.0;

/// How soon a certificate expires, as a tone and words ("expires in 5 days").
pub fn expiry(not_after: Option<u64>, now_ms: u64) -> (Tone, String) {
    let Some(end) = not_after else { return (Tone::Unknown, "expiry not known".into()) };
    let days = (end as f64 - now_ms as f64) / DAY_MS;
    let whole = days.abs().floor() as u64;
    let unit = if whole == 1 { "day" } else { "days" };
    if days <= 0.0 {
        (Tone::Bad, format!("expired {whole} {unit} ago"))
    } else if days <= 7.0 {
        (Tone::Bad, format!("expires in {whole} {unit}"))
    } else if days <= 30.0 {
        (Tone::Warn, format!("expires in {whole} {unit}"))
    } else {
        (Tone::Good, format!("valid for {whole} more {unit}"))
    }
}

/// One row of the chart: a certificate and how many stores hold it.
struct Row<'a> {
    cert: &'a CertView,
    stores: usize,
}

fn rows(certs: &[CertView]) -> Vec<Row<'_>> {
    let mut rows: Vec<Row> = Vec::new();
    // Soonest first: the table's own order, so both read the same way.
    for c in sorted(certs, (SortKey::Expiry, true)).into_iter().filter(|c| c.not_after.is_some()) {
        match rows.iter_mut().find(|r| r.cert.serial == c.serial && r.cert.subject == c.subject) {
            // The entry with a label of its own (a personal certificate) names the row.
            Some(row) => {
                row.stores += 1;
                if c.personal && !row.cert.personal {
                    row.cert = c;
                }
            }
            None => rows.push(Row { cert: c, stores: 1 }),
        }
    }
    rows
}

fn scaled(days: f64) -> f64 {
    days.signum() * days.abs().sqrt()
}

/// The chart's time axis: days from today mapped onto x.
struct Axis {
    lo: f64,
    hi: f64,
}

impl Axis {
    fn x(&self, days: f64) -> f64 {
        let d = days.clamp(self.lo, self.hi);
        LABEL_WIDTH + (scaled(d) - scaled(self.lo)) / (scaled(self.hi) - scaled(self.lo)) * (WIDTH - LABEL_WIDTH - 20.0)
    }
}

const TICKS: &[(f64, &str)] = &[
    (-365.0, "1 y ago"),
    (-30.0, "30 d ago"),
    (0.0, "today"),
    (7.0, "7 d"),
    (30.0, "30 d"),
    (90.0, "90 d"),
    (365.0, "1 y"),
    (730.0, "2 y"),
    (1825.0, "5 y"),
    (3650.0, "10 y"),
    (7300.0, "20 y"),
];

/// Whole pixels: the drawing needs no finer.
fn px(v: f64) -> i64 {
    v.round() as i64
}

/// The chart as a `<figure>`, with a text summary for those who cannot see it (the table of
/// certificates holds it all as well).
#[component]
pub fn ExpiryTimeline(certs: Vec<CertView>, now_ms: u64, rotated: Memo<Vec<Rotated>>) -> impl IntoView {
    let mut expired = 0;
    let mut soon = 0;
    for c in &certs {
        match expiry(c.not_after, now_ms) {
            (Tone::Bad | Tone::Warn, w) if w.starts_with("expired") => expired += 1,
            (Tone::Bad | Tone::Warn, _) => soon += 1,
            _ => {}
        }
    }
    let summary = format!("Expiry timeline of {} certificate entries: {expired} expired, {soon} expiring within 30 days.", certs.len());
    let rows = rows(&certs);
    let days = |ms: u64| (ms as f64 - now_ms as f64) / DAY_MS;
    let ends: Vec<f64> = rows.iter().filter_map(|r| r.cert.not_after).map(days).collect();
    let earliest = ends.iter().copied().fold(0.0, f64::min);
    let latest = ends.iter().copied().fold(0.0, f64::max);
    let axis = Axis { lo: earliest.clamp(-3650.0, -30.0) - 5.0, hi: latest.clamp(365.0, 7300.0) * 1.05 };
    let height = TOP + rows.len().max(1) as f64 * ROW + 10.0;
    let bottom = height - 6.0;
    let zones = [(axis.lo, 0.0, "zone expired", "expired"), (0.0, 7.0, "zone week", "≤ 7 d"), (7.0, 30.0, "zone month", "≤ 30 d")]
        .map(|(from, to, class, name)| {
            let (x1, x2) = (axis.x(from), axis.x(to));
            view! {
                <rect class=class x=px(x1) y=px(TOP - 6.0) width=px(x2 - x1) height=px(bottom - TOP + 6.0)>
                    <title>{name}</title>
                </rect>
            }
        })
        .into_iter()
        .collect_view();
    // Labels too close to the one before, or to "today" (which always shows), are left out
    // (the lines stay).
    let today_x = axis.x(0.0);
    let mut last_label = f64::MIN;
    let ticks = TICKS
        .iter()
        .filter(|(d, _)| *d >= axis.lo && *d <= axis.hi)
        .map(|(day, label)| {
            let x = px(axis.x(*day));
            let class = if *day == 0.0 { "tick today" } else { "tick" };
            let labelled = *day == 0.0 || (axis.x(*day) - last_label >= 56.0 && (axis.x(*day) - today_x).abs() >= 56.0);
            if labelled {
                last_label = axis.x(*day);
            }
            view! {
                <line class=class x1=x x2=x y1=px(TOP - 10.0) y2=px(bottom)></line>
                {labelled.then(|| view! { <text class="tick-label" x=x y="14" text-anchor="middle">{*label}</text> })}
            }
        })
        .collect_view();
    let cert_rows = rows
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let c = row.cert;
            let y = TOP + i as f64 * ROW + ROW / 2.0;
            let (tone, words) = expiry(c.not_after, now_ms);
            let start = axis.x(c.not_before.map_or(axis.lo, days));
            let end = axis.x(c.not_after.map_or(axis.hi, days));
            let name = match row.stores {
                1 if c.label == c.host => c.label.clone(),
                1 => format!("{} on {}", c.label, c.host),
                n => format!("{} ({n} stores)", c.label),
            };
            // What made it, linking to the run: after its expiry dot, or above the start of
            // its line when the dot already has a note.
            let (mark_x, mark_y) = if tone == Tone::Good { (end + 9.0, y + 4.0) } else { (start + 4.0, y - 4.0) };
            let mark = {
                let c = c.clone();
                move || {
                    rotated.with(|r| made_by(r, &c).cloned()).map(|r| {
                        let when = date_time(r.at);
                        let day = when.split(' ').next().unwrap_or_default().to_string();
                        view! {
                            <g class="rotated">
                                <a href=format!("/runs/{}", encode(&r.run_id))>
                                    <title>{format!("Made by rotating {} ({when}): open the run", r.old_label)}</title>
                                    <text class="rotated-note" x=px(mark_x) y=px(mark_y)>{format!("↻ rotated {day}")}</text>
                                </a>
                            </g>
                        }
                    })
                }
            };
            view! {
                <g class=format!("cert-row {}", tone.class())>
                    <title>{c.subject.clone()}</title>
                    <text class="row-label" x=px(LABEL_WIDTH - 8.0) y=px(y + 4.0) text-anchor="end">{clip(&name, 44)}</text>
                    <line class="validity" x1=px(start) x2=px(end) y1=px(y) y2=px(y)></line>
                    <circle class="expiry" cx=px(end) cy=px(y) r="5"></circle>
                    {(tone != Tone::Good).then(|| view! { <text class="row-note" x=px(end + 9.0) y=px(y + 4.0)>{words}</text> })}
                    {mark}
                </g>
            }
        })
        .collect_view();
    // The same marks in words, under the chart.
    let drawn: Vec<CertView> = rows.iter().map(|r| r.cert.clone()).collect();
    let made = Memo::new(move |_| {
        rotated.with(|r| drawn.iter().filter_map(|c| made_by(r, c).map(|m| (c.host.clone(), c.label.clone(), m.clone()))).collect::<Vec<_>>())
    });
    let made_list = move || {
        (!made.with(Vec::is_empty)).then(|| {
            view! {
                <ul class="rotated-list">
                    <For
                        each=move || made.get()
                        key=|(host, label, r)| (host.clone(), label.clone(), r.run_id.clone())
                        children=|(host, label, r)| view! {
                            <li>
                                "↻ " <code>{label}</code> " on " {host} ": made by rotating " <code>{r.old_label.clone()}</code> ", "
                                {date_time(r.at)} " — "
                                <a href=format!("/runs/{}", encode(&r.run_id))>"the run"</a>
                            </li>
                        }
                    />
                </ul>
            }
        })
    };
    view! {
        <figure class="timeline">
            <svg class="expiry-timeline" viewBox=format!("0 0 {} {}", WIDTH as i64, px(height)) role="img" aria-label=summary.clone()>
                {zones}
                {ticks}
                {cert_rows}
            </svg>
            <figcaption class="muted">{summary} " Square-root time scale around today; each certificate is drawn once however many stores hold it."</figcaption>
            {made_list}
        </figure>
    }
}

fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max { text.to_string() } else { format!("{}…", text.chars().take(max - 1).collect::<String>()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_words_follow_the_thresholds() {
        let now = 1_000 * DAY_MS as u64;
        let at = |d: f64| Some((now as f64 + d * DAY_MS) as u64);
        assert_eq!(expiry(at(-3.5), now), (Tone::Bad, "expired 3 days ago".into()));
        assert_eq!(expiry(at(5.2), now), (Tone::Bad, "expires in 5 days".into()));
        assert_eq!(expiry(at(1.5), now), (Tone::Bad, "expires in 1 day".into()));
        assert_eq!(expiry(at(20.0), now), (Tone::Warn, "expires in 20 days".into()));
        assert_eq!(expiry(at(400.0), now), (Tone::Good, "valid for 400 more days".into()));
        assert_eq!(expiry(None, now).0, Tone::Unknown);
    }

    #[test]
    fn the_axis_keeps_order_and_stays_inside() {
        let axis = Axis { lo: -35.0, hi: 4000.0 };
        let xs: Vec<f64> = [-100.0, -35.0, 0.0, 7.0, 30.0, 365.0, 4000.0, 9000.0].iter().map(|d| axis.x(*d)).collect();
        assert!(xs.windows(2).all(|w| w[0] <= w[1]), "{xs:?}");
        assert!(xs.iter().all(|x| (LABEL_WIDTH..=WIDTH).contains(x)), "{xs:?}");
    }
}
