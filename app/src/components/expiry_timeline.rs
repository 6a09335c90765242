//! When each certificate expires, drawn as SVG: one row per certificate (a certificate held in
//! several stores is drawn once), its validity as a line, its expiry as a dot. Time runs on a
//! square-root scale around today, so the next week and the next ten years both stay readable;
//! the zones "expired", "within 7 days" and "within 30 days" are shaded and named.

use crate::checks::Tone;
use crate::components::cert_table::{SortKey, sorted};
use crate::html::Html;
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

/// The inside of the `<svg>` and its height.
pub fn timeline_svg(certs: &[CertView], now_ms: u64) -> (Html, f64) {
    let rows = rows(certs);
    let days = |ms: u64| (ms as f64 - now_ms as f64) / DAY_MS;
    let ends: Vec<f64> = rows.iter().filter_map(|r| r.cert.not_after).map(days).collect();
    let earliest = ends.iter().copied().fold(0.0, f64::min);
    let latest = ends.iter().copied().fold(0.0, f64::max);
    let axis = Axis { lo: earliest.clamp(-3650.0, -30.0) - 5.0, hi: latest.clamp(365.0, 7300.0) * 1.05 };
    let height = TOP + rows.len().max(1) as f64 * ROW + 10.0;
    let bottom = height - 6.0;
    let mut h = Html::new();
    // Whole pixels: formatting floats would add their code to the bundle.
    let num = |v: f64| (v.round() as i64).to_string();
    for (from, to, class, name) in [(axis.lo, 0.0, "zone expired", "expired"), (0.0, 7.0, "zone week", "≤ 7 d"), (7.0, 30.0, "zone month", "≤ 30 d")] {
        let (x1, x2) = (axis.x(from), axis.x(to));
        h.open("rect", &[("class", class), ("x", &num(x1)), ("y", &num(TOP - 6.0)), ("width", &num(x2 - x1)), ("height", &num(bottom - TOP + 6.0))]);
        h.open("title", &[]).text(name).close("title").close("rect");
    }
    // Labels too close to the one before are left out (the lines stay); "today" always shows.
    let mut last_label = f64::MIN;
    for (day, label) in TICKS.iter().filter(|(d, _)| *d >= axis.lo && *d <= axis.hi) {
        let at = axis.x(*day);
        let x = num(at);
        let class = if *day == 0.0 { "tick today" } else { "tick" };
        h.open("line", &[("class", class), ("x1", &x), ("x2", &x), ("y1", &num(TOP - 10.0)), ("y2", &num(bottom))]).close("line");
        if *day == 0.0 || at - last_label >= 56.0 {
            h.open("text", &[("class", "tick-label"), ("x", &x), ("y", "14"), ("text-anchor", "middle")]).text(label).close("text");
            last_label = at;
        }
    }
    for (i, row) in rows.iter().enumerate() {
        let c = row.cert;
        let y = TOP + i as f64 * ROW + ROW / 2.0;
        let (tone, words) = expiry(c.not_after, now_ms);
        let start = c.not_before.map_or(axis.lo, days);
        let end = c.not_after.map_or(axis.hi, days);
        let name = match row.stores {
            1 if c.label == c.host => c.label.clone(),
            1 => format!("{} on {}", c.label, c.host),
            n => format!("{} ({n} stores)", c.label),
        };
        h.open("g", &[("class", &format!("cert-row {}", tone.class()))]);
        h.open("title", &[]).text(&c.subject).close("title");
        h.open("text", &[("class", "row-label"), ("x", &num(LABEL_WIDTH - 8.0)), ("y", &num(y + 4.0)), ("text-anchor", "end")]).text(&clip(&name, 44)).close("text");
        h.open("line", &[("class", "validity"), ("x1", &num(axis.x(start))), ("x2", &num(axis.x(end))), ("y1", &num(y)), ("y2", &num(y))]).close("line");
        h.open("circle", &[("class", "expiry"), ("cx", &num(axis.x(end))), ("cy", &num(y)), ("r", "5")]).close("circle");
        if tone != Tone::Good {
            h.open("text", &[("class", "row-note"), ("x", &num(axis.x(end) + 9.0)), ("y", &num(y + 4.0))]).text(&words).close("text");
        }
        h.close("g");
    }
    (h, height)
}

fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max { text.to_string() } else { format!("{}…", text.chars().take(max - 1).collect::<String>()) }
}

/// The chart as a `<figure>`, with a text summary for those who cannot see it (the table of
/// certificates holds it all as well).
pub fn timeline_html(h: &mut Html, certs: &[CertView], now_ms: u64) {
    let (inner, height) = timeline_svg(certs, now_ms);
    let mut expired = 0;
    let mut soon = 0;
    for c in certs {
        match expiry(c.not_after, now_ms) {
            (Tone::Bad | Tone::Warn, w) if w.starts_with("expired") => expired += 1,
            (Tone::Bad | Tone::Warn, _) => soon += 1,
            _ => {}
        }
    }
    let summary = format!("Expiry timeline of {} certificate entries: {expired} expired, {soon} expiring within 30 days.", certs.len());
    h.open("figure", &[("class", "timeline")]);
    h.open("svg", &[("class", "expiry-timeline"), ("viewBox", &format!("0 0 {} {}", WIDTH as i64, height.round() as i64)), ("role", "img"), ("aria-label", &summary)]);
    h.markup(inner).close("svg");
    h.open("figcaption", &[("class", "muted")]).text(&summary).text(" Square-root time scale around today; each certificate is drawn once however many stores hold it.").close("figcaption");
    h.close("figure");
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
