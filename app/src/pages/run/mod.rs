//! `/runs/{id}`: one run, live: each step's state, exit code, output and verification as the
//! server journals it (from the event stream; polled every 2 s while no event comes), the undo
//! actions after a failure (`steps`), what a person must run when undoing did not work, and
//! the outcome in words; a drill's, once it has ended, links to its report; a rotation's shows
//! its trust graph (what trusts the new certificate, which filters check it, which routes use
//! it). Interrupted runs can be resumed or rolled back; a run awaiting approval shows who
//! asked and until when, and only another operator can approve or deny it (`decide`). A
//! rotation by signing request that waits for the CA shows the request and, for operators, the
//! upload of the signed certificate or the roll-back that deletes the request (`certificate`).

mod certificate;
mod decide;
mod steps;

use crate::api::{self, ApiError};
use crate::clock::{date_time, time_of_day};
use crate::components::copy::CopyButton;
use crate::components::page::Page;
use crate::components::plan::{PlanDetails, TrustGraph, ca_signed};
use crate::components::store_status::{RunConsole, consoles_named};
use crate::live::use_live;
use crate::router::encode;
use crate::words::{owner_words, run_look};
use certificate::AwaitingCertificate;
use decide::{Approval, Interrupted};
use leptos::prelude::*;
use leptos::task::spawn_local;
use model::api_error::ErrorCode;
use model::plan::{Intent, Plan};
use model::run::{Run, RunState, RunStep, StepState};
use std::sync::Arc;
use std::time::Duration;
use steps::{Remediation, StepCard};

/// The plan a run follows, as read from the console.
type PlanOfRun = LocalResource<Result<Arc<Plan>, ApiError>>;

/// How often the run is read while no event arrives for it.
const POLL: Duration = Duration::from_secs(2);

#[component]
pub fn RunPage(id: String) -> impl IntoView {
    let live = use_live();
    let wanted = id.clone();
    let run = Memo::new(move |_| live.runs.with(|runs| runs.iter().find(|r| r.id == wanted).cloned()));
    let load_error = RwSignal::new(None::<String>);
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

    let title = Signal::derive(move || run.with(|r| r.as_ref().map_or_else(|| "Run".to_string(), |r| format!("Run: {}", r.intent.describe()))));
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
                <RunBody run=run />
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
fn RunBody(run: Memo<Option<Run>>) -> impl IntoView {
    // The plan it follows: the undo of each step, and what an approver approves (read once:
    // a run keeps its plan).
    let plan_id = Memo::new(move |_| run.with(|r| r.as_ref().map(|r| r.plan_id.clone()).unwrap_or_default()));
    let plan: PlanOfRun = LocalResource::new(move || {
        let id = plan_id.get();
        async move { api::get_plan(&id).await.map(Arc::new) }
    });
    let state = Memo::new(move |_| run.with(|r| r.as_ref().map(|r| r.state)));
    let steps = Memo::new(move |_| run.with(|r| r.as_ref().map(|r| r.steps.clone()).unwrap_or_default()));
    // The step a run awaiting its certificate stops at (the first not run yet).
    let waiting_at = Memo::new(move |_| run.with(|r| r.as_ref().and_then(waiting_step)));
    let uploaded = Memo::new(move |_| run.with(|r| r.as_ref().and_then(|r| r.signed_certificate.clone())));
    let undo = Memo::new(move |_| run.with(|r| r.as_ref().map(|r| r.undo.clone()).unwrap_or_default()));
    let remediation = Memo::new(move |_| run.with(|r| r.as_ref().map(|r| r.remediation.clone()).unwrap_or_default()));
    let drill_report = Memo::new(move |_| run.with(|r| r.as_ref().filter(|r| has_drill_report(r)).map(|r| format!("/drills/{}", encode(&r.id)))));
    // A rotation's trust graph, as planned (the run keeps it).
    let rotation = Memo::new(move |_| run.with(|r| r.as_ref().and_then(|r| r.rotation.clone())));
    let by_ca = run.with_untracked(|r| r.as_ref().is_some_and(|r| ca_signed(&r.intent)));
    let has_rotation = rotation.with_untracked(Option::is_some);
    let certs_changed = Memo::new(move |_| run.with(|r| r.as_ref().is_some_and(changed_certificates)));
    view! {
        <Outcome run=run />
        {move || drill_report.get().map(|href| view! {
            <p class="drill-report-link">
                <a href=href>"Open the drill report"</a>
                " — RTO, RPO, the fate of every message of the ledger, and the queue manager before and after."
            </p>
        })}
        <Show when=move || certs_changed.get()>
            <p class="drill-report-link">
                <a href="/certificates">"Open the certificates"</a>
                " — the key stores as read again, and on the expiry timeline what this run made."
            </p>
        </Show>
        <RunFacts run=run />
        {move || match state.get() {
            Some(RunState::AwaitingApproval) => view! { <Approval run=run plan=plan /> }.into_any(),
            Some(RunState::Interrupted) => view! { <Interrupted run=run plan=plan /> }.into_any(),
            Some(RunState::AwaitingCertificate) => view! { <AwaitingCertificate run=run plan=plan /> }.into_any(),
            // Nothing to decide in any other state.
            Some(RunState::Running | RunState::Succeeded | RunState::Failed | RunState::RolledBack | RunState::NeedsAttention) | None => ().into_any(),
        }}
        <section aria-labelledby="steps-heading">
            <h2 id="steps-heading">"Steps"</h2>
            <ol class="run-steps">
                <For
                    each=move || {
                        let at = waiting_at.get();
                        steps.get().into_iter().map(move |s| (at == Some(s.index), s)).collect::<Vec<_>>()
                    }
                    key=|(waiting, s)| (*waiting, step_key(s))
                    children=|(waiting, s)| view! { <StepCard step=s waiting=waiting /> }
                />
            </ol>
        </section>
        {move || uploaded.get().map(|pem| view! {
            <details class="uploaded-certificate">
                <summary>"The CA-signed certificate uploaded for this run"</summary>
                <pre class="pem" aria-label="Uploaded certificate (PEM)" tabindex="0">{pem.clone()}</pre>
                <CopyButton text=pem label="Copy the certificate" />
            </details>
        })}
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
        {move || rotation.get().map(|r| view! {
            <section class="run-rotation" aria-labelledby="rotation-heading">
                <h2 id="rotation-heading">"What this rotation changes"</h2>
                <TrustGraph rotation=r heading="Trust graph, as planned" ca_signed=by_ca />
            </section>
        })}
        <details class="plan-of-run">
            <summary>"The plan this run follows (as previewed)"</summary>
            <PlanView plan=plan without_rotation=has_rotation />
        </details>
    }
}

/// The step a run waiting for its certificate stopped at: the first one not run yet.
fn waiting_step(r: &Run) -> Option<usize> {
    (r.state == RunState::AwaitingCertificate).then(|| r.steps.iter().find(|s| s.state == StepState::Pending).map(|s| s.index)).flatten()
}

/// A certificate run that succeeded: the certificates page shows what it changed.
fn changed_certificates(r: &Run) -> bool {
    r.state == RunState::Succeeded && matches!(r.intent, Intent::CertRotate { .. } | Intent::CertRetire { .. })
}

/// A drill has a report once its run has ended (the report is written then).
fn has_drill_report(r: &Run) -> bool {
    matches!(r.intent, Intent::DrDrill { .. }) && r.state.is_final()
}

/// A step's DOM is kept while nothing it shows has changed (its output stays open, say).
fn step_key(s: &RunStep) -> (usize, String, String, u8, Option<u64>, Option<u64>) {
    (s.index, s.title.clone(), s.command.clone(), s.state as u8, s.started_at, s.finished_at)
}

/// The state in words, big, and the server's one-sentence outcome.
#[component]
fn Outcome(run: Memo<Option<Run>>) -> impl IntoView {
    let class = move || run.with(|r| r.as_ref().map_or(String::new(), |r| format!("outcome-box {}", run_look(r.state).2.class())));
    let look = move || run.with(|r| r.as_ref().map(|r| (run_look(r.state), outcome_message(r))));
    view! {
        <div class=class role="status" aria-live="polite">
            {move || look().map(|((word, glyph, _), message)| view! {
                <p class="outcome-state"><span aria-hidden="true">{glyph} " "</span>{word}</p>
                <p class="outcome-message">{message}</p>
            })}
        </div>
    }
}

/// The server's one sentence, or while it runs, how far it has got.
fn outcome_message(r: &Run) -> String {
    r.message.clone().unwrap_or_else(|| match r.state {
        RunState::Running => match r.steps.iter().position(|s| s.state == StepState::Running) {
            Some(i) => format!("in progress: step {} of {}", i + 1, r.steps.len()),
            None => "in progress".into(),
        },
        // The server words every other state's outcome in `message`.
        RunState::Succeeded | RunState::Failed | RunState::RolledBack | RunState::NeedsAttention | RunState::Interrupted | RunState::AwaitingApproval | RunState::AwaitingCertificate => String::new(),
    })
}

#[component]
fn RunFacts(run: Memo<Option<Run>>) -> impl IntoView {
    let live = use_live();
    let facts = move || {
        run.with(|r| {
            r.as_ref().map(|r| {
                let second = second_operator(r);
                // Which console instance executes it (with several consoles, or when it is not this one).
                let named = live.store.with(|s| consoles_named(s.as_ref(), r.owner.as_deref()));
                let console = owner_words(r).zip(r.owner.clone()).filter(|_| named).map(|(words, owner)| {
                    view! {
                        <dt>"Console"</dt>
                        <dd><RunConsole words=words owner=owner run_id=r.id.clone() /></dd>
                    }
                });
                let r = r.clone();
                view! {
                    <dt>"Requested by"</dt>
                    <dd>{r.requested_by}</dd>
                    <dt>"Second operator"</dt>
                    <dd>{second}</dd>
                    {console}
                    <dt>"Subject"</dt>
                    <dd><code>{r.subject}</code></dd>
                    <dt>"Kind"</dt>
                    <dd>{r.kind}</dd>
                    <dt>"Started"</dt>
                    <dd>{date_time(r.created_at)}</dd>
                    <dt>"Last change"</dt>
                    <dd>{time_of_day(r.updated_at)}</dd>
                    <dt>"Run id"</dt>
                    <dd><code>{r.id}</code></dd>
                }
            })
        })
    };
    view! { <dl class="facts">{facts}</dl> }
}

/// Who denied or approved it, in words.
pub fn second_operator(r: &Run) -> String {
    // A denial sets `approved_by` too (for readers that know only that field): `denied_by` decides.
    match (&r.denied_by, &r.approved_by) {
        (Some(who), _) => format!("denied by {who}"),
        (None, Some(who)) => format!("approved by {who}"),
        (None, None) if r.state == RunState::AwaitingApproval => "waiting".to_string(),
        (None, None) if r.intent.needs_approval() => "nobody".to_string(),
        (None, None) => "not needed".to_string(),
    }
}

/// The plan as previewed, for whoever must decide on it.
#[component]
fn PlanView(plan: PlanOfRun, #[prop(optional)] without_rotation: bool) -> impl IntoView {
    let unreadable = |errors: ArcRwSignal<Errors>| {
        let messages = move || errors.with(|errors| errors.iter().map(|(_, e)| e.to_string()).collect::<Vec<_>>().join("; "));
        view! { <p class="inline-alert tone-bad">"✖ The plan could not be read: " {messages}</p> }
    };
    view! {
        <Suspense fallback=|| view! { <p class="waiting">"Reading the plan…"</p> }>
            <ErrorBoundary fallback=unreadable>
                {move || Suspend::new(async move { plan.await.map(|p| view! { <PlanDetails plan=(*p).clone() without_rotation=without_rotation /> }) })}
            </ErrorBoundary>
        </Suspense>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::plan::Intent;

    fn run(state: RunState, approved_by: Option<&str>, denied_by: Option<&str>) -> Run {
        Run {
            id: "r1".into(),
            plan_id: "p1".into(),
            kind: "dr-failover".into(),
            subject: "DRHAQM1".into(),
            intent: Intent::DrFailover { qmgr: "DRHAQM1".into(), to_region: "DAL".into() },
            requested_by: "mqadmin".into(),
            state,
            created_at: 0,
            updated_at: 0,
            steps: Vec::new(),
            undo: Vec::new(),
            remediation: Vec::new(),
            // The message is the server's sentence for people: it decides nothing here.
            message: Some("denied, or approved: words only".into()),
            approved_by: approved_by.map(Into::into),
            approval_expires_at: None,
            denied_by: denied_by.map(Into::into),
            owner: None,
            signed_certificate: None,
            rotation: None,
        }
    }

    #[test]
    fn only_a_drill_that_has_ended_links_to_its_report() {
        let drill = Intent::DrDrill { qmgr: "DRHAQM1".into(), to_region: "DAL".into(), messages: 50, unplanned: false, switch_back: false };
        for (state, linked) in [(RunState::Running, false), (RunState::Interrupted, false), (RunState::Succeeded, true), (RunState::RolledBack, true), (RunState::NeedsAttention, true)] {
            let mut r = run(state, None, None);
            r.intent = drill.clone();
            assert_eq!(has_drill_report(&r), linked, "{state:?}");
        }
        assert!(!has_drill_report(&run(RunState::Succeeded, None, None)));
    }

    #[test]
    fn only_a_succeeded_certificate_run_points_to_the_certificates() {
        let mut r = run(RunState::Succeeded, None, None);
        assert!(!changed_certificates(&r));
        r.intent = Intent::CertRetire { host: "h".into(), store: "/s.kdb".into(), label: "l".into() };
        assert!(changed_certificates(&r));
        r.state = RunState::RolledBack;
        assert!(!changed_certificates(&r));
    }

    #[test]
    fn the_second_operator_is_read_from_the_runs_fields() {
        assert_eq!(second_operator(&run(RunState::Failed, Some("mqadmin2"), Some("mqadmin2"))), "denied by mqadmin2");
        assert_eq!(second_operator(&run(RunState::Succeeded, Some("mqadmin2"), None)), "approved by mqadmin2");
        assert_eq!(second_operator(&run(RunState::AwaitingApproval, None, None)), "waiting");
        assert_eq!(second_operator(&run(RunState::Failed, None, None)), "nobody");
    }
}
