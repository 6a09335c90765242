//! What a plan would do, in full: a rotation's trust graph, its preconditions with their
//! evidence, its steps with their verification and undo, and the change to `mqipt.conf`.
//! Shown in the preview and, for an approver or after an interruption, on the run's page.

use super::{TrustGraph, ca_signed};
use crate::components::evidence::EvidenceBlock;
use crate::words::check_look;
use leptos::prelude::*;
use model::plan::{Plan, Precondition, Step, UndoAction};

/// Preconditions, steps and the diff of a plan: exactly what runs. A rotation's trust graph
/// comes first unless `without_rotation` (the run's page shows the run's own).
#[component]
pub fn PlanDetails(plan: Plan, #[prop(optional)] without_rotation: bool) -> impl IntoView {
    let blocked = plan.blocked();
    let by_ca = ca_signed(&plan.intent);
    let rotation = plan.rotation.filter(|_| !without_rotation);
    view! {
        <div class="plan-details">
            {rotation.map(|r| view! { <TrustGraph rotation=r heading="Trust graph: who presents, trusts and checks this certificate" ca_signed=by_ca /> })}
            <Preconditions checks=plan.preconditions />
            <Steps steps=plan.steps />
            {plan.diff.map(|diff| view! { <ConfDiff diff=diff blocked=blocked /> })}
        </div>
    }
}

#[component]
fn Preconditions(checks: Vec<Precondition>) -> impl IntoView {
    view! {
        <section class="plan-part">
            <h3>"Preconditions"</h3>
            <ul class="checks">{checks.into_iter().map(|check| view! { <Check check=check /> }).collect_view()}</ul>
        </section>
    }
}

#[component]
fn Check(check: Precondition) -> impl IntoView {
    let (word, glyph, tone) = check_look(check.status);
    let evidence = (!check.evidence.is_empty()).then(|| {
        let heading = format!("Evidence ({})", check.evidence.len());
        view! {
            <details class="check-evidence">
                <summary>{heading}</summary>
                {check.evidence.into_iter().map(|e| view! { <EvidenceBlock evidence=e /> }).collect_view()}
            </details>
        }
    });
    view! {
        <li class=format!("check {}", tone.class())>
            <span class="check-status"><span aria-hidden="true">{glyph} " "</span>{word}</span>
            <span class="check-message">{check.message}</span>
            {evidence}
        </li>
    }
}

#[component]
fn Steps(steps: Vec<Step>) -> impl IntoView {
    let n = steps.len();
    let forward_only = steps.iter().any(|s| s.irreversible.is_some());
    let heading = if n == 0 { "Steps (0)".to_string() } else { format!("Steps ({n}): exactly what will run, in this order") };
    let body = if n == 0 {
        view! { <p class="muted">"None: a blocked plan runs nothing."</p> }.into_any()
    } else {
        view! {
            <p class="muted">"If a step fails, the steps already done are undone in reverse order, each as listed under it."</p>
            {forward_only.then(|| view! {
                <p class="badge tone-bad">"A step below cannot be undone: once it has taken effect nothing is undone, and a failure after it needs a person to carry the run forward."</p>
            })}
            <ol class="steps">{steps.into_iter().map(|step| view! { <StepItem step=step /> }).collect_view()}</ol>
        }
        .into_any()
    };
    view! {
        <section class="plan-part">
            <h3>{heading}</h3>
            {body}
        </section>
    }
}

#[component]
fn StepItem(step: Step) -> impl IntoView {
    let verified_by = step.verify.describe();
    let undo = if let Some(why) = step.irreversible {
        view! { <span class="badge tone-bad">"Cannot be undone: " {why}</span> }.into_any()
    } else if step.undo.is_empty() {
        view! { <span class="muted">"nothing to undo for this step"</span> }.into_any()
    } else {
        view! { <ol class="undo-list">{step.undo.into_iter().map(|u| view! { <UndoItem undo=u /> }).collect_view()}</ol> }.into_any()
    };
    view! {
        <li class="step">
            <h4>{format!("Step {}: {}", step.index + 1, step.title)}</h4>
            <dl class="facts compact">
                <dt>"Host"</dt>
                <dd><code>{step.host}</code></dd>
                <dt>"Command"</dt>
                <dd><code class="command">{step.command}</code></dd>
                <dt>"Expected"</dt>
                <dd>{step.expect}</dd>
                <dt>"Verified by"</dt>
                <dd>{verified_by}</dd>
                <dt>"Undo"</dt>
                <dd>{undo}</dd>
            </dl>
        </li>
    }
}

#[component]
fn UndoItem(undo: UndoAction) -> impl IntoView {
    let verified_by = undo.verify.describe();
    view! { <li>"on " <strong>{undo.host}</strong> ": " <code>{undo.command}</code> " — verified by: " {verified_by}</li> }
}

/// The unified diff of `mqipt.conf`, each added or removed line marked in words too.
#[component]
fn ConfDiff(diff: String, blocked: bool) -> impl IntoView {
    let heading = if blocked { "Change to mqipt.conf (not made: the plan is blocked)" } else { "Change to mqipt.conf" };
    let lines = diff
        .lines()
        .map(|line| {
            let (class, mark) = match line.as_bytes().first() {
                Some(b'+') if !line.starts_with("+++") => ("diff-line add", "added"),
                Some(b'-') if !line.starts_with("---") => ("diff-line del", "removed"),
                Some(b'@') => ("diff-line hunk", ""),
                _ => ("diff-line", ""),
            };
            view! { <span class=class><span class="mark">{mark}</span>{line.to_string()} "\n"</span> }
        })
        .collect_view();
    view! {
        <section class="plan-part">
            <h3>{heading}</h3>
            <p class="muted">"Lines marked “removed” (−) are replaced by the lines marked “added” (+); everything else stays byte for byte."</p>
            <pre class="diff" aria-label="Unified diff of mqipt.conf">{lines}</pre>
        </section>
    }
}
