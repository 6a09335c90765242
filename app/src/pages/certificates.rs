//! `/certificates`: every certificate the console read (QM key repositories, MQIPT keystores,
//! replication certificates), sortable by expiry; when they expire, on a timeline; what is
//! wrong with them and with the TLS channels; and an SSLPEER tester. Each personal
//! certificate can be rotated (prominently when a finding proposes it) and retired, through
//! the plan preview; what a succeeded rotation made is marked, with its run.

use crate::api::{self, ApiError};
use crate::checks::Tone;
use crate::clock::{age_text, date_time};
use crate::components::badge::{Badge, severity_tone};
use crate::components::cert_actions::{Rotated, rotations, unread_change};
use crate::components::cert_table::{CertTable, Sort, SortKey};
use crate::components::data_table::{DataTable, TextRow};
use crate::components::expiry_timeline::ExpiryTimeline;
use crate::components::findings::FindingBody;
use crate::components::page::Page;
use crate::components::refresh_button::{OperatorButton, Work};
use crate::components::sslpeer_tester::SslPeerTester;
use crate::live::use_live;
use crate::router::encode;
use leptos::prelude::*;
use model::certs::{CertInventory, CertView, ChannelView, Purpose, peer_dn};
use model::estate::Severity;
use std::rc::Rc;
use std::sync::Arc;

type Inventory = LocalResource<Result<Arc<CertInventory>, ApiError>>;

#[component]
pub fn CertificatesPage() -> impl IntoView {
    let inventory: Inventory = LocalResource::new(|| async { api::certificates().await.map(Arc::new) });
    let sort = RwSignal::new((SortKey::Expiry, true));
    // The runs say which certificates rotations made (listed afresh; the stream keeps them current).
    let live = use_live();
    live.load_runs();
    let rotated: Memo<Vec<Rotated>> = Memo::new(move |_| live.runs.with(|runs| rotations(runs)));
    let tester = move || {
        inventory.get().and_then(Result::ok).map(|inv| {
            let filters: Vec<String> = inv.channels.iter().map(|c| c.sslpeer.clone()).filter(|p| !p.trim().is_empty()).collect();
            view! { <SslPeerTester dns=tester_dns(&inv.certificates) filters=filters /> }
        })
    };
    let unavailable = |errors: ArcRwSignal<Errors>| {
        let messages = move || errors.with(|errors| errors.iter().map(|(_, e)| e.to_string()).collect::<Vec<_>>().join("; "));
        view! { <p role="alert" class="banner tone-bad">"✖ The certificate inventory cannot be shown: " {messages}</p> }
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
            <div>
                <Suspense fallback=|| view! { <p role="status" class="waiting">"Reading the certificate inventory…"</p> }>
                    <ErrorBoundary fallback=unavailable>
                        {move || Suspend::new(async move {
                            inventory.await.map(|inv| view! { <InventoryView inventory=inv sort=sort rotated=rotated /> })
                        })}
                    </ErrorBoundary>
                </Suspense>
            </div>
            <section aria-labelledby="sslpeer-heading">
                <h2 id="sslpeer-heading">"SSLPEER tester"</h2>
                <p class="muted">"Would a channel with this SSLPEER accept a peer presenting this certificate? IBM MQ's rules, checked as you type, in this browser."</p>
                {tester}
            </section>
        </Page>
    }
}

/// Operators read every store again now.
fn read_again(inventory: Inventory) -> Work {
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

/// The inventory: when it was read, its findings, the timeline, the table and the channels.
#[component]
fn InventoryView(inventory: Arc<CertInventory>, sort: RwSignal<Sort>, rotated: Memo<Vec<Rotated>>) -> impl IntoView {
    let now = api::server_now_ms();
    let live = use_live();
    let collected_at = inventory.collected_at;
    // A rotation or retirement that ended after this read: its changes are not shown yet.
    let changes_unread = move || {
        live.runs.with(|runs| unread_change(runs, collected_at).map(|r| (r.id.clone(), r.intent.describe(), r.updated_at))).map(|(id, what, at)| {
            view! {
                <p role="status" class="notice">
                    "ℹ This inventory was read at " {date_time(collected_at)} ", before "
                    <a href=format!("/runs/{}", encode(&id))>{what}</a>
                    " succeeded at " {date_time(at)} ": what it changed shows once the key stores are read again (“Read every key store again”, or the console's next read)."
                </p>
            }
        })
    };
    let unread = match inventory.errors.len() {
        0 => "every configured store was read".to_string(),
        n => format!("{n} stores could not be read (below)"),
    };
    let read_at = format!(
        "Read at {} ({} ago): {} certificate entries; {unread}.",
        date_time(inventory.collected_at),
        age_text(now.saturating_sub(inventory.collected_at)),
        inventory.certificates.len()
    );
    let count = |s: Severity| inventory.findings.iter().filter(|f| f.severity == s).count();
    let counts = format!("({} critical, {} warning)", count(Severity::Critical), count(Severity::Warning));
    let findings = inventory.findings.clone();
    view! {
        <p class="muted">{read_at}</p>
        {changes_unread}
        <section class="findings" aria-labelledby="cert-findings-heading">
            <h2 id="cert-findings-heading">"Findings " <span class="count">{counts}</span></h2>
            {findings.is_empty().then(|| view! { <p><Badge tone=Tone::Good text="No certificate or channel problem found" /></p> })}
            <ul class="finding-list">
                {findings
                    .into_iter()
                    .map(|f| {
                        let class = format!("finding {}", severity_tone(f.severity).class());
                        view! { <li class=class><details><FindingBody finding=f /></details></li> }
                    })
                    .collect_view()}
            </ul>
        </section>
        <section aria-labelledby="timeline-heading">
            <h2 id="timeline-heading">"Expiry timeline"</h2>
            <ExpiryTimeline certs=inventory.certificates.clone() now_ms=now rotated=rotated />
        </section>
        <section aria-labelledby="certs-heading">
            <h2 id="certs-heading">"Certificates"</h2>
            <p class="muted">"Rotate makes a new certificate, trusted everywhere the old one is before it is used; Retire removes one nothing uses any more. Each shows its plan first: nothing runs until you confirm it."</p>
            <CertTable inventory=Arc::clone(&inventory) sort=sort now_ms=now rotated=rotated />
        </section>
        <Channels inventory=inventory />
    }
}

/// Personal certificates first (those are what peers present), each DN as MQ shows a peer.
fn tester_dns(certs: &[CertView]) -> Vec<String> {
    let mut dns: Vec<String> = Vec::new();
    let personal_first = certs.iter().filter(|c| c.personal && matches!(c.purpose, Purpose::MqiptClient { .. }));
    for c in personal_first.chain(certs.iter().filter(|c| c.personal)) {
        let dn = peer_dn(c);
        if !dns.contains(&dn) {
            dns.push(dn);
        }
    }
    dns
}

/// The TLS channels and the stores that could not be read.
#[component]
fn Channels(inventory: Arc<CertInventory>) -> impl IntoView {
    let dash = |v: &str| if v.trim().is_empty() { "—".to_string() } else { v.to_string() };
    let rows: Vec<TextRow> = inventory
        .channels
        .iter()
        .map(|c: &ChannelView| {
            TextRow::new(vec![format!("{} ({})", c.name, c.qmgr), dash(&c.chltype), dash(&c.host), dash(&c.sslciph), dash(&c.sslcauth), dash(&c.sslpeer), dash(&c.certlabl), status_text(c)])
        })
        .collect();
    let channels = if rows.is_empty() {
        view! { <p class="muted">"No TLS channel was read (channels are read with runmqsc on the node where each queue manager runs)."</p> }.into_any()
    } else {
        view! {
            <DataTable
                class="channels-table"
                caption="Channels with SSLCIPH set, as runmqsc DISPLAY CHANNEL and DISPLAY CHSTATUS show them"
                columns=&["Channel", "Type", "Read on", "SSLCIPH", "SSLCAUTH", "SSLPEER", "Certificate label", "Status, and the certificate the partner presented"]
                rows=rows
            />
        }
        .into_any()
    };
    let unread: Vec<TextRow> = inventory.errors.iter().map(|e| TextRow::problem(true, vec![e.store.clone(), e.host.clone(), e.error.clone()])).collect();
    view! {
        <section aria-labelledby="channels-heading">
            <h2 id="channels-heading">"TLS channels"</h2>
            {channels}
        </section>
        {(!unread.is_empty()).then(|| view! {
            <section aria-labelledby="unread-heading">
                <h2 id="unread-heading">"Stores not read"</h2>
                <DataTable caption="Stores the console could not read: their certificates are not checked" columns=&["Store", "Host", "Why"] rows=unread />
            </section>
        })}
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
