//! What a queue manager's card on the estate map says: where it runs (or stands by), its HA and
//! DR role and status, data not yet replicated, and whether any of it is stale. Positions are
//! filled in by `map_layout`.

use crate::checks::{Tone, dr_status_tone, ha_status_tone, qm_status_tone, worst};
use crate::components::map_layout::Frame;
use crate::text_fit::{fit, wrap_pair};
use model::estate::{QmNode, QmSide, QmgrView};
use model::status::QmStatus;

/// Characters that fit on one line of a card, at the map's 11-unit font (bold included).
const CARD_CHARS: usize = 30;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct QmCard {
    pub frame: Frame,
    pub qmgr: String,
    pub running: bool,
    /// From an earlier refresh: the node did not answer this time.
    pub stale: bool,
    pub status: String,
    /// The status fits beside the name; otherwise it is the first of `lines`.
    pub status_inline: bool,
    pub tone: Tone,
    pub lines: Vec<(String, Tone)>,
    /// The accessible name: everything the card shows, in words.
    pub label: String,
}

/// The cards a node carries for one queue manager: where it runs, or where its region's HA
/// primary holds it as DR secondary (standby) when it runs nowhere in that region.
pub fn cards_for(qm: &QmgrView, node: &str) -> Vec<QmCard> {
    let mut cards = Vec::new();
    for side in &qm.sides {
        let running: Vec<&QmNode> = side.nodes.iter().filter(|n| n.qm_status == Some(QmStatus::Running)).collect();
        let here = if running.is_empty() {
            side.nodes.iter().find(|n| side.ha_current_location.as_deref() == Some(n.node.as_str()) && n.node == node)
        } else {
            running.into_iter().find(|n| n.node == node)
        };
        if let Some(qm_node) = here {
            cards.push(card(qm, side, qm_node));
        }
    }
    cards
}

fn card(qm: &QmgrView, side: &QmSide, node: &QmNode) -> QmCard {
    let running = node.qm_status == Some(QmStatus::Running);
    let status = node.qm_status.as_ref().map_or("status unknown".to_string(), |s| s.to_string());
    let text = |v: Option<String>| v.unwrap_or_else(|| "?".into());
    let ha = format!(
        "HA {} · {}",
        text(node.ha_role.as_ref().map(ToString::to_string)),
        text(node.ha_status.as_ref().map(ToString::to_string))
    );
    let dr_role = node.dr_role.clone().or(side.dr_role.clone()).map(|r| r.to_string());
    // A secondary's "See <node>" names where the status is; show that status instead.
    let dr_status = node.dr_status.clone().filter(|s| s.status().is_some()).or(side.dr_status.clone());
    let dr = format!("DR {} · {}", text(dr_role.clone()), text(dr_status.as_ref().map(ToString::to_string)));
    let mut lines = Vec::new();
    // A sign as well as a colour on anything wrong (unless the whole card is stale).
    let flag = |text: String, tone: Tone| match tone {
        Tone::Bad | Tone::Warn if !node.stale => format!("⚠ {text}"),
        _ => text,
    };
    for (line, tone) in [(ha.clone(), ha_status_tone(node.ha_status.as_ref())), (dr.clone(), dr_status_tone(dr_status.as_ref()))] {
        lines.extend(wrap_pair(&flag(line, tone), CARD_CHARS).into_iter().map(|l| (l, tone)));
    }
    let mut out_of_sync = String::new();
    if let Some(kb) = side.dr_out_of_sync_kb {
        let tone = if kb > 0 { Tone::Warn } else { Tone::Good };
        out_of_sync = format!("; DR out of sync {kb} KB");
        lines.push((flag(format!("DR out of sync: {kb} KB"), tone), tone));
    }
    if let Some(error) = node.error.as_ref().filter(|_| !node.stale) {
        lines.push((fit(&format!("⚠ {error}"), CARD_CHARS), Tone::Bad));
    }
    if node.stale {
        // What a silent node said earlier is shown, but never as healthy.
        lines.iter_mut().for_each(|(_, tone)| *tone = Tone::Unknown);
        // The age itself is drawn live by the map; this reserves its line.
        lines.push(("⚠ stale".into(), Tone::Unknown));
    }
    let status_tone = qm_status_tone(node.qm_status.as_ref());
    let all = worst(lines.iter().map(|(_, t)| *t).chain([status_tone]));
    let tone = match all {
        _ if node.stale => Tone::Unknown,
        Tone::Bad | Tone::Warn => all,
        _ if running => all,
        _ => Tone::Neutral,
    };
    // Bold name and status share the first line only when both fit (a stale one adds "?").
    let status_inline = qm.name.chars().count() + status.chars().count() + usize::from(node.stale) <= 24;
    if !status_inline {
        lines.insert(0, (status.clone(), if node.stale { Tone::Unknown } else { status_tone }));
    }
    let role = if running { "running" } else { "standby" };
    let stale = if node.stale { " (stale data)" } else { "" };
    let label = format!("queue manager {} {role} on {}: {status}{stale}; {ha}; {dr}{out_of_sync}", qm.name, node.node);
    QmCard { frame: Frame::default(), qmgr: qm.name.clone(), running, stale: node.stale, status, status_inline, tone, lines, label }
}
