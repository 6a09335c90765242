//! What the console read that shows a finding or a precondition: on which host, which
//! command, and the lines it printed.

use leptos::prelude::*;
use model::estate::Evidence;

#[component]
pub fn EvidenceBlock(evidence: Evidence) -> impl IntoView {
    let output = if evidence.lines.is_empty() { "(no output lines kept)".to_string() } else { evidence.lines.join("\n") };
    view! {
        <figure class="evidence-block">
            <figcaption>"on " <strong>{evidence.host}</strong> ": " <code>{evidence.command}</code></figcaption>
            <pre>{output}</pre>
        </figure>
    }
}
