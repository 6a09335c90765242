//! `/runs/{id}`: one run, live: each step's state, exit code, output and verification as the
//! server journals it (from the event stream; polled every 2 s while no event comes), the undo
//! actions after a failure, what a person must run when undoing did not work, and the outcome
//! in words. Interrupted runs can be resumed or rolled back; a run awaiting approval shows who
//! asked and until when, and only another operator can approve or deny it.

use crate::api::{self, ApiError};
use crate::clock::{age_text, date_time, time_of_day};
use crate::html::Html;
use crate::components::copy::CopyButton;
use crate::components::page::Page;
use crate::components::plan::{PlanDetails, TypedConfirm, VIEWER_REASON};
use crate::live::use_live;
use crate::session::use_session;
use crate::words::{intent_text, remediation_script_line, run_look, step_look};
use model::api_error::ErrorCode;
use leptos::prelude::*;
use leptos::task::spawn_local;
use model::plan::Plan;
use model::run::Run;
use model::run::{RunState, RunStep, StepState};
use std::sync::Arc;
use std::time::Duration;

/// How often the run is read while no event arrives for it.
const POLL: Duration = Duration::from_secs(2);

#[component]
pub fn RunPage(id: String) -> impl IntoView {
    let live = use_live();
    let wanted = id.clone();
    let run = Memo::new(move |_| live.runs.with(|runs| runs.iter().find(|r| r.id == wanted).cloned()));
    let load_error = RwSignal::new(None::<String>);
    let plan = RwSignal::new(None::<Result<Arc<Plan>, String>>);
    let id = StoredValue::new(id);

    // Read it now, then whenever no change has been heard for a poll interval.
    let fetching = StoredValue::new(false);
    // A run the server does not know is not asked for again.
    let gone = StoredValue::new(false);
    let fetch = move || {
        if fetching.get_value() || gone.get_value() {
            return;
        }
        fetching.set_value(true);
        spawn_local(async move {
            match api::run(&id.get_value()).await {
                Ok(r) => {
                    live.accept_run(r);
                    load_error.set(None);
                }
                Err(e) => {
                    gone.set_value(e.is(ErrorCode::NotFound));
                    load_error.set(Some(read_failure(&e)));
                }
            }
            fetching.set_value(false);
        });
    };
    fetch();
    let last_change = StoredValue::new(js_sys::Date::now());
    Effect::new(move |_| {
        run.track();
        last_change.set_value(js_sys::Date::now());
    });
    if let Ok(handle) = set_interval_with_handle(
        move || {
            let done = run.try_with_untracked(|r| r.as_ref().is_some_and(|r| r.state.is_final())).unwrap_or(true);
            if !done && js_sys::Date::now() - last_change.get_value() >= POLL.as_millis() as f64 - 50.0 {
                fetch();
            }
        },
        POLL,
    ) {
        on_cleanup(move || handle.clear());
    }

    // The plan it follows: the undo of each step, and what an approver approves.
    let plan_id = Memo::new(move |_| run.with(|r| r.as_ref().map(|r| r.plan_id.clone())));
    Effect::new(move |_| {
        if let Some(pid) = plan_id.get() {
            spawn_local(async move {
                plan.set(Some(api::get_plan(&pid).await.map(Arc::new).map_err(|e| e.message)));
            });
        }
    });

    let title = Signal::derive(move || run.with(|r| r.as_ref().map_or_else(|| "Run".to_string(), |r| format!("Run: {}", intent_text(&r.intent)))));
    view! {
        <Page title=title>
            <div class="page-head">
                <h1>{move || title.get()}</h1>
                <a href="/runs">"All runs"</a>
            </div>
            {move || load_error.get().map(|e| view! { <p role="alert" class="alert tone-bad">"✖ " {e}</p> })}
            <Show
                when=move || run.with(Option::is_some)
                fallback=move || view! { <p role="status" class="waiting">"Reading the run from the console…"</p> }
            >
                <RunBody run=run plan=plan />
            </Show>
        </Page>
    }
}

fn read_failure(e: &ApiError) -> String {
    match e.code {
        None if e.unanswered() => format!("The run could not be read: {}. Retrying every 2 s.", e.message),
        Some(ErrorCode::NotFound) => format!("There is no such run: {}.", e.message),
        _ => format!("The run could not be read (HTTP {}): {}.", e.status, e.message),
    }
}

#[component]
fn RunBody(run: Memo<Option<Run>>, plan: RwSignal<Option<Result<Arc<Plan>, String>>>) -> impl IntoView {
    let state = Memo::new(move |_| run.with(|r| r.as_ref().map(|r| r.state)));
    let steps = Memo::new(move |_| run.with(|r| r.as_ref().map(|r| r.steps.clone()).unwrap_or_default()));
    let undo = Memo::new(move |_| run.with(|r| r.as_ref().map(|r| r.undo.clone()).unwrap_or_default()));
    let remediation = Memo::new(move |_| run.with(|r| r.as_ref().map(|r| r.remediation.clone()).unwrap_or_default()));
    view! {
        <Outcome run=run />
        <RunFacts run=run />
        {move || match state.get() {
            Some(RunState::AwaitingApproval) => view! { <Approval run=run plan=plan /> }.into_any(),
            Some(RunState::Interrupted) => view! { <Interrupted run=run plan=plan /> }.into_any(),
            _ => ().into_any(),
        }}
        <section aria-labelledby="steps-heading">
            <h2 id="steps-heading">"Steps"</h2>
            <ol class="run-steps">
                <For each=move || steps.get() key=step_key children=|s| view! { <StepCard step=s /> } />
            </ol>
        </section>
        <Show when=move || !undo.with(Vec::is_empty)>
            <section aria-labelledby="undo-heading">
                <h2 id="undo-heading">"Undo actions (run after the failure, newest last)"</h2>
                <ol class="run-steps">
                    <For each=move || undo.get() key=step_key children=|s| view! { <StepCard step=s /> } />
                </ol>
            </section>
        </Show>
        {move || {
            let lines = remediation.get();
            (!lines.is_empty()).then(|| view! { <Remediation lines=lines /> })
        }}
        <details class="plan-of-run">
            <summary>"The plan this run follows (as previewed)"</summary>
            {plan_view(plan)}
        </details>
    }
}

/// A step's DOM is kept while nothing it shows has changed (its output stays open, say).
fn step_key(s: &RunStep) -> (usize, String, String, u8, Option<u64>, Option<u64>) {
    (s.index, s.title.clone(), s.command.clone(), s.state as u8, s.started_at, s.finished_at)
}

/// The state in words, big, and the server's one-sentence outcome.
#[component]
fn Outcome(run: Memo<Option<Run>>) -> impl IntoView {
    let class = move || run.with(|r| r.as_ref().map_or(String::new(), |r| format!("outcome-box {}", run_look(r.state).2.class())));
    let html = move || run.with(|r| r.as_ref().map(outcome_html).unwrap_or_default());
    view! { <div class=class role="status" aria-live="polite" inner_html=html></div> }
}

fn outcome_html(r: &Run) -> String {
    let (word, icon, _) = run_look(r.state);
    let message = r.message.clone().unwrap_or_else(|| match r.state {
        RunState::Running => match r.steps.iter().position(|s| s.state == StepState::Running) {
            Some(i) => format!("in progress: step {} of {}", i + 1, r.steps.len()),
            None => "in progress".into(),
        },
        _ => String::new(),
    });
    let mut h = Html::new();
    h.open("p", &[("class", "outcome-state")]).glyph(icon).text(word).close("p");
    h.el("p", "outcome-message", &message);
    h.finish()
}

#[component]
fn RunFacts(run: Memo<Option<Run>>) -> impl IntoView {
    let html = move || run.with(|r| r.as_ref().map(facts_html).unwrap_or_default());
    view! { <dl class="facts" inner_html=html></dl> }
}

/// Who denied or approved it, in words.
pub fn second_operator(r: &Run) -> String {
    let denied = r.state == RunState::Failed && r.message.as_deref().is_some_and(|m| m.starts_with("denied"));
    match (&r.approved_by, denied) {
        (Some(who), true) => format!("denied by {who}"),
        (Some(who), false) => format!("approved by {who}"),
        (None, _) if r.state == RunState::AwaitingApproval => "waiting".to_string(),
        (None, _) if r.intent.needs_approval() => "nobody".to_string(),
        (None, _) => "not needed".to_string(),
    }
}

fn facts_html(r: &Run) -> String {
    let mut h = Html::new();
    h.fact("Requested by", &r.requested_by).fact("Second operator", &second_operator(r));
    h.fact_code("Subject", &r.subject).fact("Kind", &r.kind);
    h.fact("Started", &date_time(r.created_at)).fact("Last change", &time_of_day(r.updated_at)).fact_code("Run id", &r.id);
    h.finish()
}

fn duration_text(step: &RunStep) -> Option<String> {
    let (start, end) = (step.started_at?, step.finished_at?);
    let ms = end.saturating_sub(start);
    Some(if ms < 1000 { format!("{ms} ms") } else { age_text(ms) })
}

/// One step (or undo action) as journaled: state in words, where, what, the exit code, what
/// the verification found, and the output (open when it failed).
fn step_html(step: &RunStep) -> String {
    let (word, icon, _) = step_look(step.state);
    let failed = step.state == StepState::Failed;
    let mut h = Html::new();
    h.open("div", &[("class", "step-head")]).open("span", &[("class", "step-state")]).glyph(icon).text(word).close("span");
    // Undo actions carry the index of the step they undo, and say so in their title.
    let title = if step.title.starts_with("Undo step") { step.title.clone() } else { format!("{}. {}", step.index + 1, step.title) };
    h.el("h3", "", &title).close("div");
    h.open("dl", &[("class", "facts compact")]).fact_code("Host", &step.host);
    h.el("dt", "", "Command").open("dd", &[]).el("code", "command", &step.command).close("dd");
    match (step.exit_code, step.finished_at, step.state) {
        (Some(code), _, _) => {
            h.fact("Exit code", &code.to_string());
        }
        (None, Some(_), StepState::Failed) => {
            h.fact("Exit code", "none: the command did not finish (connection lost or timed out)");
        }
        _ => {}
    }
    match (step.started_at, step.finished_at) {
        (Some(s), Some(_)) => {
            h.fact("When", &format!("{} – took {}", time_of_day(s), duration_text(step).unwrap_or_default()));
        }
        (Some(s), None) => {
            h.fact("When", &format!("started {}", time_of_day(s)));
        }
        _ => {}
    }
    if let Some(v) = &step.verification {
        h.fact(if failed { "What went wrong" } else { "Verification" }, v);
    }
    h.close("dl");
    for (label, text) in [("stdout", &step.stdout), ("stderr", &step.stderr)] {
        if !text.trim().is_empty() {
            if failed { h.open("details", &[("class", "output"), ("open", "")]) } else { h.open("details", &[("class", "output")]) };
            h.el("summary", "", label).el("pre", "", text).close("details");
        }
    }
    h.finish()
}

#[component]
fn StepCard(step: RunStep) -> impl IntoView {
    let class = format!("run-step {}", step_look(step.state).2.class());
    view! { <li class=class inner_html=step_html(&step)></li> }
}

/// Commands a person must run, each with its host and why, each copyable.
#[component]
fn Remediation(lines: Vec<model::run::Remediation>) -> impl IntoView {
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

fn action_failure(what: &str, e: &ApiError) -> String {
    if e.unanswered() {
        format!("{what}: the console server did not answer ({}); whether it took effect is not known — watch the state above.", e.message)
    } else {
        format!("The server refused to {what} (HTTP {}): {}.", e.status, e.message)
    }
}

/// Sends `what` (approve, deny, resume, rollback) for the run; a refusal is shown in words.
fn act(run: Memo<Option<Run>>, what: &'static str, busy: RwSignal<bool>, failure: RwSignal<Option<String>>) {
    let Some(id) = run.with_untracked(|r| r.as_ref().map(|r| r.id.clone())) else { return };
    busy.set(true);
    failure.set(None);
    spawn_local(async move {
        if let Err(e) = api::run_action(&id, what).await {
            failure.set(Some(action_failure(what, &e)));
        }
        busy.set(false);
    });
}

/// The plan as previewed, for whoever must decide on it.
fn plan_view(plan: RwSignal<Option<Result<Arc<Plan>, String>>>) -> impl IntoView {
    move || match plan.get() {
        None => view! { <p class="waiting">"Reading the plan…"</p> }.into_any(),
        Some(Err(e)) => view! { <p class="inline-alert tone-bad">"✖ The plan could not be read: " {e}</p> }.into_any(),
        Some(Ok(p)) => view! { <PlanDetails plan=(*p).clone() /> }.into_any(),
    }
}

/// Awaiting a second operator: who asked and until when; approve or deny for others.
#[component]
fn Approval(run: Memo<Option<Run>>, plan: RwSignal<Option<Result<Arc<Plan>, String>>>) -> impl IntoView {
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
                <div class="plan-review">{plan_view(plan)}</div>
                <TypedConfirm
                    ids=("approve-subject", "approve-reason")
                    subject=subject
                    verb="approve"
                    buttons=vec![("Approve and run", "primary danger")]
                    disabled_text="Approve stays disabled"
                    blocked=Signal::derive(move || busy.get().then(|| "Sending…".to_string()))
                    ready_text="Approving runs the plan now, as the requester's run."
                    on_press=Callback::new(move |_| act(run, "approve", busy, failure))
                />
                <button type="button" disabled=move || busy.get() on:click=move |_| act(run, "deny", busy, failure)>"Deny (nothing runs)"</button>
            </Show>
            {move || failure.get().map(|f| view! { <p role="alert" class="alert tone-bad">"✖ " {f}</p> })}
        </section>
    }
}

/// The console stopped during the run: resume (re-verifying first) or roll back.
#[component]
fn Interrupted(run: Memo<Option<Run>>, plan: RwSignal<Option<Result<Arc<Plan>, String>>>) -> impl IntoView {
    let session = use_session();
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
        plan.with(|p| match p {
            Some(Ok(plan)) => Ok(plan
                .steps
                .iter()
                .rev()
                .filter(|s| done.contains(&s.index))
                .flat_map(|s| s.undo.iter().map(move |u| format!("undo of step {}: on {}: {}", s.index + 1, u.host, u.command)))
                .collect::<Vec<_>>()),
            Some(Err(e)) => Err(e.clone()),
            None => Err("reading the plan…".into()),
        })
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
                on_press=Callback::new(move |i: usize| act(run, if i == 0 { "resume" } else { "rollback" }, busy, failure))
            />
            {move || failure.get().map(|f| view! { <p role="alert" class="alert tone-bad">"✖ " {f}</p> })}
        </section>
    }
}
