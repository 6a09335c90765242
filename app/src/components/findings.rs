//! The findings of the latest refresh, most severe first, each opening onto its evidence.

use crate::checks::Tone;
use crate::components::badge::{Badge, severity_icon, severity_tone, severity_word};
use crate::live::use_live;
use leptos::prelude::*;
use model::estate::{Evidence, Finding, Severity};
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
                <summary>
                    <span class="severity">
                        <span aria-hidden="true">{severity_icon(finding.severity)}" "</span>
                        {severity_word(finding.severity)}
                    </span>
                    <span class="message">{finding.message}</span>
                    <span class="subject">{finding.subject}</span>
                </summary>
                <div class="evidence">
                    <p class="evidence-title">"Evidence (" {finding.code} ")"</p>
                    {finding.evidence.into_iter().map(|e| view! { <EvidenceBlock evidence=e /> }).collect_view()}
                </div>
            </details>
        </li>
    }
}

#[component]
fn EvidenceBlock(evidence: Evidence) -> impl IntoView {
    let output = if evidence.lines.is_empty() { "(no output lines kept)".to_string() } else { evidence.lines.join("\n") };
    view! {
        <figure class="evidence-block">
            <figcaption>
                "on " <strong>{evidence.host}</strong> ": " <code>{evidence.command}</code>
            </figcaption>
            <pre>{output}</pre>
        </figure>
    }
}
