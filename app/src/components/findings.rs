//! The findings of the latest refresh, most severe first, each opening onto its evidence.

use crate::checks::Tone;
use crate::components::badge::{Badge, severity_icon, severity_tone, severity_word};
use crate::live::use_live;
use leptos::prelude::*;
use crate::components::evidence::EvidenceBlock;
use model::estate::{Finding, Severity};
use std::collections::HashSet;

#[component]
pub fn FindingsList() -> impl IntoView {
    let live = use_live();
    let findings = Memo::new(move |_| live.snapshot.with(|s| s.as_ref().map(|s| s.findings.clone()).unwrap_or_default()));
    // Which findings are open, by code and subject: they stay open as updates re-render them.
    let open = RwSignal::new(HashSet::<String>::new());
    let counts = move || {
        findings.with(|all| {
            let n = |sev: Severity| all.iter().filter(|f| f.severity == sev).count();
            format!("{} critical, {} warning, {} info", n(Severity::Critical), n(Severity::Warning), n(Severity::Info))
        })
    };
    view! {
        <section class="findings" aria-labelledby="findings-heading">
            <h2 id="findings-heading">"Findings " <span class="count">"(" {counts} ")"</span></h2>
            <Show when=move || findings.with(Vec::is_empty)>
                <p class="no-findings">
                    <Badge tone=Tone::Good text="Nothing to report in the latest refresh" />
                </p>
            </Show>
            <ul class="finding-list">
                <For
                    each=move || findings.get()
                    // Unchanged findings keep their DOM (and keyboard focus) across updates.
                    key=|f| format!("{f:?}")
                    children=move |f| view! { <FindingItem finding=f open=open /> }
                />
            </ul>
        </section>
    }
}

#[component]
fn FindingItem(finding: Finding, open: RwSignal<HashSet<String>>) -> impl IntoView {
    let id = format!("{}|{}", finding.code, finding.subject);
    let is_open = {
        let id = id.clone();
        move || open.with(|o| o.contains(&id))
    };
    let on_toggle = move |ev: leptos::ev::Event| {
        let now_open = event_target::<web_sys::HtmlDetailsElement>(&ev).open();
        open.update(|o| {
            if now_open {
                o.insert(id.clone());
            } else {
                o.remove(&id);
            }
        });
    };
    let tone = severity_tone(finding.severity);
    view! {
        <li class=format!("finding {}", tone.class())>
            <details prop:open=is_open on:toggle=on_toggle>
                <FindingBody finding=finding />
            </details>
        </li>
    }
}

/// A finding's summary line and its evidence, as the inside of a `<details>`.
#[component]
pub fn FindingBody(finding: Finding) -> impl IntoView {
    let Finding { severity, code, message, subject, evidence } = finding;
    view! {
        <summary>
            <span class="severity"><span aria-hidden="true">{severity_icon(severity)} " "</span>{severity_word(severity)}</span>
            <span class="message">{message}</span>
            <span class="subject">{subject}</span>
        </summary>
        <div class="evidence">
            <p class="evidence-title">{format!("Evidence ({code})")}</p>
            {evidence.into_iter().map(|e| view! { <EvidenceBlock evidence=e /> }).collect_view()}
        </div>
    }
}
