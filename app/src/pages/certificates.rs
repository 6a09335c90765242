//! `/certificates`: every certificate the console read (QM key repositories, MQIPT keystores,
//! replication certificates), sortable by expiry; when they expire, on a timeline; what is
//! wrong with them and with the TLS channels; and an SSLPEER tester. What is only read is
//! written as HTML text (see `html`); the sort buttons, the re-read button and the tester
//! are the interactive parts.

use crate::api::{self, ApiError};
use crate::checks::Tone;
use crate::clock::{age_text, date_time};
use crate::components::badge::severity_tone;
use crate::components::cert_table::{Sort, SortKey, next_sort, table_html};
use crate::components::expiry_timeline::timeline_html;
use crate::components::findings::finding_into;
use crate::components::page::Page;
use crate::components::sslpeer_tester::SslPeerTester;
use crate::html::Html;
use crate::components::refresh_button::{OperatorButton, Work};
use crate::small_sort::insert_once;
use leptos::prelude::*;
use leptos::task::spawn_local;
use model::certs::{CertInventory, CertView, ChannelView, Purpose, peer_dn};
use model::estate::Severity;
use std::rc::Rc;
use std::sync::Arc;
use wasm_bindgen::JsCast;

type Loaded = Option<Result<Arc<CertInventory>, ApiError>>;

#[component]
pub fn CertificatesPage() -> impl IntoView {
    let inventory = RwSignal::new(None::<Result<Arc<CertInventory>, ApiError>>);
    spawn_local(async move {
        let read = api::certificates().await.map(Arc::new);
        let _ = inventory.try_set(Some(read));
    });
    let sort = RwSignal::new((SortKey::Expiry, true));
    let body = move || inventory.with(|loaded| sort.with(|s| page_html(loaded, *s, api::server_now_ms())));
    let tester = move || {
        inventory.with(|loaded| match loaded {
            Some(Ok(inv)) => {
                let filters: Vec<String> = inv.channels.iter().map(|c| c.sslpeer.clone()).filter(|p| !p.trim().is_empty()).collect();
                Some(view! { <SslPeerTester dns=tester_dns(&inv.certificates) filters=filters /> })
            }
            _ => None,
        })
    };
    view! {
        <Page title="Certificates".to_string()>
            <div class="page-head">
                <h1>"Certificates and TLS"</h1>
                <OperatorButton
                    label="Read every key store again"
                    busy_label="Reading every key store…"
                    viewer_reason="Viewers see the inventory the console reads every 5 minutes."
                    work=read_again(inventory)
                />
            </div>
            <div on:click=move |ev| on_sort_click(&ev, sort) inner_html=body></div>
            <section aria-labelledby="sslpeer-heading">
                <h2 id="sslpeer-heading">"SSLPEER tester"</h2>
                <p class="muted">"Would a channel with this SSLPEER accept a peer presenting this certificate? IBM MQ's rules, checked as you type, in this browser."</p>
                {tester}
            </section>
        </Page>
    }
}

/// Operators read every store again now.
fn read_again(inventory: RwSignal<Loaded>) -> Work {
    Rc::new(move || {
        Box::pin(async move {
            match api::refresh_certificates().await {
                Ok(inv) => {
                    let done = format!("Read again: {} certificate entries.", inv.certificates.len());
                    inventory.set(Some(Ok(Arc::new(inv))));
                    Ok(done)
                }
                Err(e) => Err(format!("Reading again failed; the inventory shown is the previous one: {}", e.message)),
            }
        })
    })
}

/// A click on a column's sort button: sort by it, and keep the keyboard focus on that button
/// (the table is written anew).
fn on_sort_click(ev: &leptos::ev::MouseEvent, sort: RwSignal<Sort>) {
    let button = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()).and_then(|e| e.closest("button[data-sort]").ok().flatten());
    let Some(name) = button.and_then(|b| b.get_attribute("data-sort")) else { return };
    let Some(key) = SortKey::ALL.into_iter().find(|k| k.name() == name) else { return };
    sort.update(|s| *s = next_sort(*s, key));
    // After the table is written anew (effects run after this handler).
    let id = format!("sort-{name}");
    set_timeout(
        move || {
            if let Some(button) = document().get_element_by_id(&id) {
                let _ = button.unchecked_into::<web_sys::HtmlElement>().focus();
            }
        },
        std::time::Duration::ZERO,
    );
}

/// Everything but the interactive parts: waiting, the error, or the inventory.
fn page_html(loaded: &Loaded, sort: Sort, now: u64) -> String {
    let mut h = Html::new();
    match loaded {
        None => {
            h.open("p", &[("role", "status"), ("class", "waiting")]).text("Reading the certificate inventory…").close("p");
        }
        Some(Err(e)) => {
            h.open("p", &[("role", "alert"), ("class", "banner tone-bad")]).text("✖ The certificate inventory cannot be shown: ").text(&e.message).close("p");
        }
        Some(Ok(inv)) => {
            overview_html(&mut h, inv, now);
            h.open("section", &[("aria-labelledby", "certs-heading")]).open("h2", &[("id", "certs-heading")]).text("Certificates").close("h2");
            table_html(&mut h, inv, sort, now);
            h.close("section");
            channels_html(&mut h, inv);
        }
    }
    h.finish()
}

/// When it was read, the findings and the expiry timeline.
fn overview_html(h: &mut Html, inv: &CertInventory, now: u64) {
    let unread = match inv.errors.len() {
        0 => "every configured store was read".to_string(),
        n => format!("{n} stores could not be read (below)"),
    };
    h.el("p", "muted", &format!("Read at {} ({} ago): {} certificate entries; {unread}.", date_time(inv.collected_at), age_text(now.saturating_sub(inv.collected_at)), inv.certificates.len()));
    let count = |s: Severity| inv.findings.iter().filter(|f| f.severity == s).count();
    h.open("section", &[("class", "findings"), ("aria-labelledby", "cert-findings-heading")]);
    h.open("h2", &[("id", "cert-findings-heading")]).text("Findings ");
    h.el("span", "count", &format!("({} critical, {} warning)", count(Severity::Critical), count(Severity::Warning))).close("h2");
    if inv.findings.is_empty() {
        h.open("p", &[]).badge(Tone::Good, "No certificate or channel problem found").close("p");
    }
    h.open("ul", &[("class", "finding-list")]);
    for f in &inv.findings {
        h.open("li", &[("class", &format!("finding {}", severity_tone(f.severity).class()))]).open("details", &[]);
        finding_into(h, f);
        h.close("details").close("li");
    }
    h.close("ul").close("section");
    h.open("section", &[("aria-labelledby", "timeline-heading")]).open("h2", &[("id", "timeline-heading")]).text("Expiry timeline").close("h2");
    timeline_html(h, &inv.certificates, now);
    h.close("section");
}

/// Personal certificates first (those are what peers present), each DN as MQ shows a peer.
fn tester_dns(certs: &[CertView]) -> Vec<String> {
    let mut dns: Vec<String> = Vec::new();
    let personal_first = certs.iter().filter(|c| c.personal && matches!(c.purpose, Purpose::MqiptClient { .. }));
    for c in personal_first.chain(certs.iter().filter(|c| c.personal)) {
        insert_once(&mut dns, peer_dn(c));
    }
    dns
}

/// The TLS channels and the stores that could not be read.
fn channels_html(h: &mut Html, inv: &CertInventory) {
    let dash = |v: &str| if v.trim().is_empty() { "—".to_string() } else { v.to_string() };
    let rows: Vec<(&str, Vec<String>)> = inv
        .channels
        .iter()
        .map(|c: &ChannelView| ("", vec![format!("{} ({})", c.name, c.qmgr), dash(&c.chltype), dash(&c.host), dash(&c.sslciph), dash(&c.sslcauth), dash(&c.sslpeer), dash(&c.certlabl), status_text(c)]))
        .collect();
    h.open("section", &[("aria-labelledby", "channels-heading")]).open("h2", &[("id", "channels-heading")]).text("TLS channels").close("h2");
    if rows.is_empty() {
        h.el("p", "muted", "No TLS channel was read (channels are read with runmqsc on the node where each queue manager runs).");
    } else {
        h.table("data channels-table", "Channels with SSLCIPH set, as runmqsc DISPLAY CHANNEL and DISPLAY CHSTATUS show them", &["Channel", "Type", "Read on", "SSLCIPH", "SSLCAUTH", "SSLPEER", "Certificate label", "Status, and the certificate the partner presented"], &rows);
    }
    h.close("section");
    if !inv.errors.is_empty() {
        let rows: Vec<(&str, Vec<String>)> = inv.errors.iter().map(|e| ("problem", vec![e.store.clone(), e.host.clone(), e.error.clone()])).collect();
        h.open("section", &[("aria-labelledby", "unread-heading")]).open("h2", &[("id", "unread-heading")]).text("Stores not read").close("h2");
        h.table("data", "Stores the console could not read: their certificates are not checked", &["Store", "Host", "Why"], &rows);
        h.close("section");
    }
}

/// `DISPLAY CHSTATUS` in words: no status, or the status and whom the partner showed itself as.
fn status_text(c: &ChannelView) -> String {
    match &c.status {
        None => "no status (not started, or refused)".into(),
        Some(s) if s.sslpeer.trim().is_empty() => s.status.clone(),
        Some(s) => format!("{}: {} (issued by {})", s.status, s.sslpeer, s.sslcerti),
    }
}
