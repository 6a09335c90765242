//! Small labelled markers: a glyph and words, coloured by tone (never colour alone).

use crate::checks::Tone;
use leptos::prelude::*;
use model::estate::Severity;

#[component]
pub fn Badge(tone: Tone, #[prop(into)] text: String) -> impl IntoView {
    view! {
        <span class=format!("badge {}", tone.class())>
            <span aria-hidden="true">{tone.icon()}" "</span>
            {text}
        </span>
    }
}

pub fn severity_tone(severity: Severity) -> Tone {
    match severity {
        Severity::Critical => Tone::Bad,
        Severity::Warning => Tone::Warn,
        Severity::Info => Tone::Unknown,
    }
}

pub fn severity_word(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "Critical",
        Severity::Warning => "Warning",
        Severity::Info => "Info",
    }
}

pub fn severity_icon(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "✖",
        Severity::Warning => "⚠",
        Severity::Info => "ℹ",
    }
}
