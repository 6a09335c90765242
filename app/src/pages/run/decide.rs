//! What operators decide on a run: approve or deny it (a second operator), resume or roll
//! it back (after an interruption).

use super::{PlanOfRun, PlanView};
use crate::api::{self, ApiError};
use crate::clock::{age_text, time_of_day};
use crate::components::plan::{TypedConfirm, VIEWER_REASON};
use crate::live::{Live, use_live};
use crate::session::use_session;
use leptos::prelude::*;
use leptos::task::spawn_local;
use model::api_error::ErrorCode;
use model::run::{Run, StepState};

pub(super) fn action_failure(what: &str, e: &ApiError) -> String {
    if e.is(ErrorCode::StoreUnavailable) {
        format!(
            "Not done, nothing ran: this console cannot write the store the consoles share. Try again to {what} once the store is back (the banner at the top goes away by itself), or from another console whose store is writable. The server said: {}.",
            e.message.trim_end_matches('.')
        )
    } else if e.unanswered() {
        format!("{what}: the console server did not answer ({}); whether it took effect is not known — watch the state above.", e.message)
    } else {
        format!("The server refused to {what} (HTTP {}): {}.", e.status, e.message)
    }
}

/// Sends `what` (approve, deny, resume, rollback) for the run; a refusal is shown in words.
pub(super) fn act(live: Live, run: Memo<Option<Run>>, what: &'static str, busy: RwSignal<bool>, failure: RwSignal<Option<String>>) {
    let Some(id) = run.with_untracked(|r| r.as_ref().map(|r| r.id.clone())) else { return };
    busy.set(true);
    failure.set(None);
    spawn_local(async move {
        if let Err(e) = api::run_action(&id, what).await {
            if e.is(ErrorCode::StoreUnavailable) {
                live.poll_store();
            }
            failure.set(Some(action_failure(what, &e)));
        }
        busy.set(false);
    });
}

/// Awaiting a second operator: who asked and until when; approve or deny for others.
#[component]
pub fn Approval(run: Memo<Option<Run>>, plan: PlanOfRun) -> impl IntoView {
    let session = use_session();
    let live = use_live();
    let me = Memo::new(move |_| session.info().map(|i| i.user).unwrap_or_default());
    let operator = Memo::new(move |_| session.is_operator());
    let requester = Memo::new(move |_| run.with(|r| r.as_ref().map(|r| r.requested_by.clone()).unwrap_or_default()));
    let subject = Memo::new(move |_| run.with(|r| r.as_ref().map(|r| r.subject.clone()).unwrap_or_default()));
    let until = Memo::new(move |_| run.with(|r| r.as_ref().and_then(|r| r.approval_expires_at)));
    let own = move || me.get() == requester.get();
    let may_decide = move || operator.get() && !own();
    let busy = RwSignal::new(false);
    let failure = RwSignal::new(None::<String>);
    let deadline = move || match until.get() {
        Some(at) => match at.saturating_sub(live.now_ms.get()) {
            0 => format!("The approval window ended at {}: approving now is refused and nothing runs.", time_of_day(at)),
            left => format!("It must be approved by {} (in {}); nothing has run yet.", time_of_day(at), age_text(left)),
        },
        None => "Nothing has run yet.".to_string(),
    };
    let why_not = move || -> Option<String> {
        if !operator.get() {
            Some(VIEWER_REASON.to_string())
        } else if own() {
            Some("You requested this run: another operator must approve or deny it (two-person rule).".to_string())
        } else {
            busy.get().then(|| "Sending…".to_string())
        }
    };
    view! {
        <section class="approval" aria-labelledby="approval-heading">
            <h2 id="approval-heading">"◷ Awaiting a second operator's approval"</h2>
            <p>"Requested by " <strong>{move || requester.get()}</strong> ". " {deadline}</p>
            <Show when=own>
                <p class="alert tone-warn">
                    <strong>"Waiting for another operator to approve."</strong>
                    " You cannot approve your own request. This page follows the run live."
                </p>
            </Show>
            <Show
                when=may_decide
                fallback=move || view! {
                    <div class="action">
                        <button type="button" disabled=true aria-describedby="approve-reason">"Approve and run"</button>
                        <button type="button" disabled=true aria-describedby="approve-reason">"Deny (nothing runs)"</button>
                    </div>
                    <p id="approve-reason" class="reason">{why_not}</p>
                }
            >
                <p>"Review the plan below (it is checked against the estate again when you approve), then approve or deny."</p>
                <div class="plan-review"><PlanView plan=plan /></div>
                <TypedConfirm
                    ids=("approve-subject", "approve-reason")
                    subject=subject
                    verb="approve"
                    buttons=vec![("Approve and run", "primary danger")]
                    disabled_text="Approve stays disabled"
                    blocked=Signal::derive(move || busy.get().then(|| "Sending…".to_string()))
                    ready_text="Approving runs the plan now, as the requester's run."
                    on_press=Callback::new(move |_| act(live, run, "approve", busy, failure))
                />
                <button type="button" disabled=move || busy.get() on:click=move |_| act(live, run, "deny", busy, failure)>"Deny (nothing runs)"</button>
            </Show>
            {move || failure.get().map(|f| view! { <p role="alert" class="alert tone-bad">"✖ " {f}</p> })}
        </section>
    }
}

/// The console stopped during the run: resume (re-verifying first) or roll back.
#[component]
pub fn Interrupted(run: Memo<Option<Run>>, plan: PlanOfRun) -> impl IntoView {
    let session = use_session();
    let live = use_live();
    let operator = Memo::new(move |_| session.is_operator());
    let subject = Memo::new(move |_| run.with(|r| r.as_ref().map(|r| r.subject.clone()).unwrap_or_default()));
    let busy = RwSignal::new(false);
    let failure = RwSignal::new(None::<String>);
    let remaining = Memo::new(move |_| {
        run.with(|r| {
            r.as_ref()
                .map(|r| {
                    r.steps
                        .iter()
                        .filter(|s| !matches!(s.state, StepState::Succeeded | StepState::AlreadyDone))
                        .map(|s| format!("{}. {} — on {}: {}", s.index + 1, s.title, s.host, s.command))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    });
    let undo_list = Memo::new(move |_| {
        let done: Vec<usize> = run.with(|r| {
            r.as_ref()
                .map(|r| r.steps.iter().filter(|s| matches!(s.state, StepState::Succeeded | StepState::AlreadyDone)).map(|s| s.index).collect())
                .unwrap_or_default()
        });
        match plan.get() {
            Some(Ok(plan)) => Ok(plan
                .steps
                .iter()
                .rev()
                .filter(|s| done.contains(&s.index))
                .flat_map(|s| s.undo.iter().map(move |u| format!("undo of step {}: on {}: {}", s.index + 1, u.host, u.command)))
                .collect::<Vec<_>>()),
            Some(Err(e)) => Err(e.message),
            None => Err("reading the plan…".into()),
        }
    });
    let list = |items: Vec<String>| view! { <ul class="plain">{items.into_iter().map(|s| view! { <li><code>{s}</code></li> }).collect_view()}</ul> };
    view! {
        <section class="interrupted" aria-labelledby="interrupted-heading">
            <h2 id="interrupted-heading">"⚠ Interrupted: resume or roll back"</h2>
            <div class="choice-grid">
                <div>
                    <h3>"Resume"</h3>
                    <p>"The console reads the estate again; a step whose effect is already in place is not run again (it shows “Already done”). Then it runs:"</p>
                    {move || list(remaining.get())}
                </div>
                <div>
                    <h3>"Roll back"</h3>
                    <p>"The steps done so far are undone in reverse order (the interrupted step too, if its effect is found in place):"</p>
                    {move || match undo_list.get() {
                        Ok(items) if items.is_empty() => view! { <p class="muted">"Nothing done so far has an undo action."</p> }.into_any(),
                        Ok(items) => list(items).into_any(),
                        Err(e) => view! { <p class="muted">"The undo commands are in the plan: " {e}</p> }.into_any(),
                    }}
                </div>
            </div>
            <TypedConfirm
                ids=("resume-subject", "resume-reason")
                subject=subject
                verb="confirm either"
                buttons=vec![("Resume", "primary"), ("Roll back", "danger")]
                disabled_text="Resume and Roll back stay disabled"
                blocked=Signal::derive(move || if !operator.get() { Some(VIEWER_REASON.to_string()) } else { busy.get().then(|| "Sending…".to_string()) })
                ready_text="Either runs at once."
                on_press=Callback::new(move |i: usize| act(live, run, if i == 0 { "resume" } else { "rollback" }, busy, failure))
            />
            {move || failure.get().map(|f| view! { <p role="alert" class="alert tone-bad">"✖ " {f}</p> })}
        </section>
    }
}
