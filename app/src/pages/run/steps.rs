//! A run's steps and undo actions as journaled, and the commands a person must run when the
//! console could not put things back.

use crate::checks::Tone;
use crate::clock::{age_text, time_of_day};
use crate::components::copy::CopyButton;
use crate::words::{remediation_script_line, step_look};
use leptos::prelude::*;
use model::run::{RunStep, StepState};

fn duration_text(step: &RunStep) -> Option<String> {
    let (start, end) = (step.started_at?, step.finished_at?);
    let ms = end.saturating_sub(start);
    Some(if ms < 1000 { format!("{ms} ms") } else { age_text(ms) })
}

/// One step (or undo action) as journaled: state in words, where, what, the exit code, what
/// the verification found, and the output (open when it failed). `waiting`: the run stopped
/// at this step for the CA-signed certificate.
#[component]
pub fn StepCard(step: RunStep, #[prop(optional)] waiting: bool) -> impl IntoView {
    let (word, glyph, tone) = if waiting { ("Waiting for the certificate", "◷", Tone::Warn) } else { step_look(step.state) };
    let failed = step.state == StepState::Failed;
    // Undo actions carry the index of the step they undo, and say so in their title.
    let title = if step.title.starts_with("Undo step") { step.title.clone() } else { format!("{}. {}", step.index + 1, step.title) };
    let exit_code = match (step.exit_code, step.finished_at, step.state) {
        (Some(code), _, _) => Some(code.to_string()),
        (None, Some(_), StepState::Failed) => Some("none: the command did not finish (connection lost or timed out)".to_string()),
        _ => None,
    };
    let when = match (step.started_at, step.finished_at) {
        (Some(s), Some(_)) => Some(format!("{} – took {}", time_of_day(s), duration_text(&step).unwrap_or_default())),
        (Some(s), None) => Some(format!("started {}", time_of_day(s))),
        _ => None,
    };
    let verification = step.verification.clone().map(|v| (if failed { "What went wrong" } else { "Verification" }, v));
    let outputs = [("stdout", step.stdout), ("stderr", step.stderr)]
        .into_iter()
        .filter(|(_, text)| !text.trim().is_empty())
        .map(|(label, text)| view! { <details class="output" open=failed><summary>{label}</summary><pre>{text}</pre></details> })
        .collect_view();
    view! {
        <li class=format!("run-step {}", tone.class())>
            <div class="step-head">
                <span class="step-state"><span aria-hidden="true">{glyph} " "</span>{word}</span>
                <h3>{title}</h3>
            </div>
            <dl class="facts compact">
                <dt>"Host"</dt>
                <dd><code>{step.host}</code></dd>
                <dt>"Command"</dt>
                <dd><code class="command">{step.command}</code></dd>
                {exit_code.map(|code| view! { <dt>"Exit code"</dt><dd>{code}</dd> })}
                {when.map(|when| view! { <dt>"When"</dt><dd>{when}</dd> })}
                {verification.map(|(label, v)| view! { <dt>{label}</dt><dd>{v}</dd> })}
            </dl>
            {outputs}
        </li>
    }
}

/// Commands a person must run, each with its host and why, each copyable.
#[component]
pub fn Remediation(lines: Vec<model::run::Remediation>) -> impl IntoView {
    let all = lines.iter().map(remediation_script_line).collect::<Vec<_>>().join("\n");
    view! {
        <section class="remediation" aria-labelledby="remediation-heading">
            <h2 id="remediation-heading">"✖ A person must finish this: run these, in order"</h2>
            <ol>
                {lines
                    .into_iter()
                    .map(|item| {
                        if item.command.is_empty() {
                            return view! { <li>{item.why}</li> }.into_any();
                        }
                        let label = format!("Copy the command for {}", item.host);
                        let why = (!item.why.is_empty()).then(|| view! { <p class="why">{item.why.clone()}</p> });
                        view! {
                            <li>
                                "on " <strong>{item.host.clone()}</strong> ":"
                                <pre><code>{item.command.clone()}</code></pre>
                                {why}
                                <CopyButton text=item.command.clone() label=label />
                            </li>
                        }
                        .into_any()
                    })
                    .collect_view()}
            </ol>
            <CopyButton text=all label="Copy all, as a commented script" />
        </section>
    }
}

