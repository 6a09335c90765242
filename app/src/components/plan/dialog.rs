//! The plan preview: a modal dialog over the page that asks the server for the plan of the
//! open intent, shows it, and executes it once its subject is typed.

use super::{PlanDetails, TypedConfirm, use_planner};
use crate::api::{self, ApiError};
use crate::checks::Tone;
use crate::clock::{age_text, time_of_day};
use crate::components::badge::Badge;
use crate::live::use_live;
use crate::router::{encode, use_router};
use leptos::prelude::*;
use leptos::task::spawn_local;
use model::api_error::ErrorCode;
use model::intent::{DRILL_MAX_MESSAGES, RotateMode};
use model::names::validate_dn;
use model::plan::{CheckStatus, Intent, Plan};
use std::sync::Arc;

/// The preview of whatever plan is open, as a modal dialog over the page.
#[component]
pub fn PlanDialog() -> impl IntoView {
    let planner = use_planner();
    // Leaving the page closes the preview: it never reopens by itself on another page.
    on_cleanup(move || planner.open.set(None));
    move || planner.open.get().map(|intent| view! { <PlanFlow intent=intent /> })
}

/// Why the server made no plan, in words (shown by the error boundary).
#[derive(Clone, Debug)]
struct Refusal(String);

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refusal {}

/// The server's words, without the full stop our sentences add again.
fn said(e: &ApiError) -> &str {
    e.message.trim_end_matches('.')
}

fn refusal(e: &ApiError) -> Refusal {
    Refusal(match e.code {
        None if e.unanswered() => format!("The plan could not be made: {}.", e.message),
        Some(ErrorCode::StoreUnavailable) => format!(
            "Workflows cannot run on this console now: it cannot write the store the consoles share, so nothing was planned or run. \
             Try again once the store is back (the banner at the top goes away by itself), or use another console whose store is writable. \
             The server said: {}.",
            said(e)
        ),
        Some(ErrorCode::Forbidden | ErrorCode::CsrfRejected) => format!("The server refused to plan this: {}.", e.message),
        _ => format!("The plan could not be made (HTTP {}): {}.", e.status, e.message),
    })
}

/// What an execution refused by the server means for the operator, and whether planning
/// again can help.
fn execute_failure(e: &ApiError) -> (String, bool) {
    let m = &e.message;
    match e.code {
        None if e.unanswered() => (
            format!("The console server did not answer ({m}). Whether the run started is not known: look at the runs list before trying again."),
            false,
        ),
        Some(ErrorCode::ConfirmMismatch | ErrorCode::BadRequest) => (format!("Not run: the confirmation was refused: {m}."), false),
        // The estate, the locks or the plan moved on since planning: only a new plan can run.
        Some(ErrorCode::EstateChanged | ErrorCode::RunLocked | ErrorCode::PlanUsed | ErrorCode::Expired | ErrorCode::Conflict) => {
            (format!("Not run: {m}. Make a new plan from the current estate."), true)
        }
        Some(ErrorCode::Gone | ErrorCode::Blocked) => (format!("Not run: {m}."), true),
        Some(ErrorCode::Forbidden | ErrorCode::CsrfRejected) => (format!("Not run: {m}."), false),
        // Refused before anything ran; the plan stays valid until it expires.
        Some(ErrorCode::StoreUnavailable) => (
            format!(
                "Not run, nothing was started: this console cannot write the store the consoles share. \
                 Press Execute again once the store is back (the banner at the top goes away by itself), or plan it on another console whose store is writable. \
                 The server said: {}.",
                said(e)
            ),
            false,
        ),
        _ => (format!("Not run (HTTP {}): {m}.", e.status), true),
    }
}

#[component]
fn PlanFlow(intent: Intent) -> impl IntoView {
    let planner = use_planner();
    let live = use_live();
    let router = use_router();
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    let executing = RwSignal::new(false);
    let failure = RwSignal::new(None::<(String, bool)>);
    let title = RwSignal::new(intent.describe());
    // A drill's ledger size can be changed here; the plan shown is for `asked` messages.
    let drill_messages = match &intent {
        Intent::DrDrill { messages, .. } => Some(*messages),
        _ => None,
    };
    let asked = RwSignal::new(drill_messages.unwrap_or_default());
    let typed = RwSignal::new(drill_messages.map(|n| n.to_string()).unwrap_or_default());
    let messages_changed = move || drill_messages.is_some() && typed.with(|t| parse_messages(t)) != Ok(asked.get());
    // A rotation's new DN can be changed here; the plan shown makes the certificate for the
    // DN its trust graph names.
    let rotating = matches!(intent, Intent::CertRotate { .. });
    let dn_typed = RwSignal::new(match &intent {
        Intent::CertRotate { subject: Some(dn), .. } => dn.clone(),
        _ => String::new(),
    });
    // And how it is made (self-signed, or by the operator's CA from a signing request).
    let mode = RwSignal::new(match &intent {
        Intent::CertRotate { mode, .. } => *mode,
        _ => RotateMode::default(),
    });
    let intent = StoredValue::new(intent);
    // Asked for at once; asked again (a new plan from the current estate) by "Try again" and
    // "Plan again".
    let planned = LocalResource::new(move || {
        let intent = intent.get_value();
        async move {
            api::plan(&intent).await.map(Arc::new).map_err(|e| {
                if e.is(ErrorCode::StoreUnavailable) {
                    // The banner need not wait for the next read of the store.
                    live.poll_store();
                }
                refusal(&e)
            })
        }
    });
    let plan_again = move || {
        failure.set(None);
        // The old plan goes at once: nothing can be executed from it while the new one is made.
        planned.set(None);
        planned.refetch();
    };
    let replan_with = move |n: u32| {
        intent.update_value(|i| {
            if let Intent::DrDrill { messages, .. } = i {
                *messages = n;
            }
        });
        title.set(intent.with_value(Intent::describe));
        asked.set(n);
        plan_again();
    };
    let replan_with_dn = move |dn: String| {
        // The old certificate's own DN is what the server uses when none is given.
        let current = planned.get_untracked().and_then(Result::ok).and_then(|p| p.rotation.as_ref().map(|r| r.subject.clone()));
        intent.update_value(|i| {
            if let Intent::CertRotate { subject, .. } = i {
                *subject = (current.as_deref() != Some(dn.as_str())).then_some(dn);
            }
        });
        title.set(intent.with_value(Intent::describe));
        plan_again();
    };
    let replan_with_mode = move |m: RotateMode| {
        intent.update_value(|i| {
            if let Intent::CertRotate { mode, .. } = i {
                *mode = m;
            }
        });
        title.set(intent.with_value(Intent::describe));
        mode.set(m);
        plan_again();
    };
    dialog.on_load(|d| {
        let _ = d.show_modal();
    });
    let close = move || {
        if let Some(d) = dialog.get_untracked() {
            d.close();
        }
        planner.open.set(None);
    };
    let plan = Memo::new(move |_| planned.get().and_then(Result::ok));
    let remaining = move || plan.with(|p| p.as_ref().map(|p| p.expires_at.saturating_sub(live.now_ms.get())));
    let expired = move || remaining() == Some(0);
    let blocked = move || plan.with(|p| p.as_ref().is_some_and(|p| p.blocked()));
    let subject = move || plan.with(|p| p.as_ref().map(|p| p.subject.clone()).unwrap_or_default());
    // The DN the plan shown makes the new certificate for.
    let planned_dn = Memo::new(move |_| plan.with(|p| p.as_ref().and_then(|p| p.rotation.as_ref()).map(|r| r.new_subject.clone())));
    Effect::new(move |_| {
        if let Some(dn) = planned_dn.get()
            && dn_typed.with_untracked(String::is_empty)
        {
            dn_typed.set(dn);
        }
    });
    let dn_changed = move || rotating && planned_dn.with(|p| p.as_ref().is_some_and(|dn| dn_typed.with(|t| t.trim() != dn)));
    // Why Execute stays disabled whatever is typed.
    let why_blocked = move || -> Option<String> {
        if expired() {
            Some("Execute is disabled: the plan expired. Make a new one.".to_string())
        } else if messages_changed() {
            Some(format!("Execute is disabled: the plan above puts {} messages. Plan again with the number typed, or type {} again.", asked.get(), asked.get()))
        } else if dn_changed() {
            let dn = planned_dn.get().unwrap_or_default();
            Some(format!("Execute is disabled: the plan above makes the new certificate for {dn}. Plan again with the DN typed, or type {dn} again."))
        } else if executing.get() {
            Some("Starting…".to_string())
        } else {
            None
        }
    };
    let execute = move || {
        let Some(plan) = plan.get_untracked() else { return };
        if plan.blocked() || why_blocked().is_some() {
            return;
        }
        executing.set(true);
        failure.set(None);
        let subject = plan.subject.clone();
        spawn_local(async move {
            match api::execute(&plan.id, &subject).await {
                Ok(run_id) => {
                    planner.open.set(None);
                    router.navigate(&format!("/runs/{}", encode(&run_id)), false);
                }
                Err(e) => {
                    if e.is(ErrorCode::StoreUnavailable) {
                        live.poll_store();
                    }
                    failure.set(Some(execute_failure(&e)));
                    executing.set(false);
                }
            }
        });
    };
    let refused = move |errors: ArcRwSignal<Errors>| {
        let messages = move || errors.with(|errors| errors.iter().map(|(_, e)| view! { <p>{e.to_string()}</p> }).collect_view());
        view! {
            <div role="alert" class="alert tone-bad">
                <p class="alert-title">"✖ No plan"</p>
                {messages}
            </div>
            <button type="button" on:click=move |_| plan_again()>"Try again"</button>
        }
    };
    // One plan dialog at a time: a fixed id.
    let heading_id = "plan-title";
    view! {
        <dialog node_ref=dialog class="plan-dialog" aria-labelledby=heading_id on:close=move |_| planner.open.set(None)>
            <div class="dialog-head">
                <h2 id=heading_id>"Plan: " {move || title.get()}</h2>
                <button type="button" on:click=move |_| close()>"Cancel — run nothing"</button>
            </div>
            {drill_messages.map(|_| view! { <DrillMessages typed=typed asked=asked on_plan=Callback::new(replan_with) /> })}
            {rotating.then(|| view! {
                <RotateModeChoice mode=mode on_plan=Callback::new(replan_with_mode) />
                <RotateSubject typed=dn_typed planned=planned_dn on_plan=Callback::new(replan_with_dn) />
            })}
            <Suspense fallback=|| view! {
                <p role="status" class="waiting">"Asking the console for a plan (it reads the estate and mqipt.conf afresh; nothing runs)…"</p>
            }>
                <ErrorBoundary fallback=refused>
                    {move || Suspend::new(async move {
                        planned.await.map(|plan| view! {
                            <div><PlanSummary plan=(*plan).clone() /></div>
                            <PlanDetails plan=(*plan).clone() />
                        })
                    })}
                </ErrorBoundary>
            </Suspense>
            <Show when=move || plan.with(Option::is_some)>
                <div class="confirm-area">
                    <p class="expiry" aria-live="off">
                        {move || match remaining() {
                            Some(0) => view! {
                                <Badge tone=Tone::Bad text="This plan has expired: make a new one" />
                                " "
                                <button type="button" on:click=move |_| plan_again()>"Plan again"</button>
                            }
                            .into_any(),
                            Some(ms) => {
                                let at = plan.with(|p| p.as_ref().map(|p| time_of_day(p.expires_at)).unwrap_or_default());
                                view! { <span>"◷ This plan expires in " <strong>{age_text(ms)}</strong> " (at " {at} ")."</span> }.into_any()
                            }
                            None => ().into_any(),
                        }}
                    </p>
                    <Show when=move || !blocked()>
                        <TypedConfirm
                            ids=("confirm-subject", "confirm-hint")
                            subject=Signal::derive(subject)
                            verb="confirm"
                            buttons=vec![("Execute", "primary danger")]
                            disabled_text="Execute stays disabled"
                            blocked=Signal::derive(why_blocked)
                            ready_text="Ready: Execute runs exactly the steps above."
                            on_press=Callback::new(move |_| execute())
                        />
                    </Show>
                    <Show when=blocked>
                        <p class="reason">"Execute is not offered: a precondition blocks this plan (see above). Nothing can run."</p>
                    </Show>
                    {move || failure.get().map(|(message, again)| view! {
                        <div role="alert" class="alert tone-bad">
                            <p class="alert-title">"✖ The run did not start"</p>
                            <p>{message}</p>
                            {again.then(|| view! { <button type="button" on:click=move |_| plan_again()>"Plan again"</button> })}
                        </div>
                    })}
                </div>
            </Show>
        </dialog>
    }
}

/// A drill's number of messages, as typed: a whole number from 1 to the most a drill puts.
fn parse_messages(text: &str) -> Result<u32, String> {
    match text.trim().parse::<u32>() {
        Ok(n) if (1..=DRILL_MAX_MESSAGES).contains(&n) => Ok(n),
        _ => Err(format!("Enter a whole number of messages from 1 to {DRILL_MAX_MESSAGES}.")),
    }
}

/// How many messages a drill puts through MQIPT: changing it makes a new plan.
#[component]
fn DrillMessages(typed: RwSignal<String>, asked: RwSignal<u32>, on_plan: Callback<u32>) -> impl IntoView {
    let parsed = Memo::new(move |_| typed.with(|t| parse_messages(t)));
    let can_plan = move || parsed.with(|p| p.as_ref().is_ok_and(|n| *n != asked.get()));
    let hint = move || match parsed.get() {
        Err(e) => e,
        Ok(n) if n != asked.get() => format!("The plan below puts {}: plan again to put {n}.", asked.get()),
        Ok(_) => "Each message is committed on its own; more messages take longer to put and to get back.".to_string(),
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Ok(n) = parsed.get_untracked()
            && n != asked.get_untracked()
        {
            on_plan.run(n);
        }
    };
    view! {
        <form class="confirm drill-messages" on:submit=submit>
            <label for="drill-messages">"Messages the drill puts through MQIPT (1–" {DRILL_MAX_MESSAGES} ")"</label>
            <input id="drill-messages" type="number" min="1" max=DRILL_MAX_MESSAGES step="1" aria-describedby="drill-messages-hint" bind:value=typed />
            <button type="submit" disabled=move || !can_plan()>"Plan again with this number"</button>
        </form>
        <p id="drill-messages-hint" class="reason">{hint}</p>
    }
}

/// A DN as typed for a new certificate: the model's own check (what the server refuses).
fn parse_dn(text: &str) -> Result<String, String> {
    let dn = text.trim();
    if dn.is_empty() {
        return Err("Enter the new certificate's DN, e.g. CN=mqipt-client,OU=IBM,C=US.".to_string());
    }
    validate_dn(dn).map(|()| dn.to_string()).map_err(|e| format!("Not a DN the console can use: {e}."))
}

/// The DN of a rotation's new certificate: changing it makes a new plan (every SSLPEER filter
/// is checked against it again).
#[component]
fn RotateSubject(typed: RwSignal<String>, planned: Memo<Option<String>>, on_plan: Callback<String>) -> impl IntoView {
    let parsed = Memo::new(move |_| typed.with(|t| parse_dn(t)));
    let can_plan = move || parsed.with(|p| p.as_ref().is_ok_and(|dn| planned.with(|now| now.as_ref() != Some(dn))));
    let hint = move || match (parsed.get(), planned.get()) {
        (Err(e), _) => e,
        (Ok(dn), Some(now)) if dn != now => format!("The plan below makes the new certificate for {now}: plan again to make it for {dn}."),
        (Ok(_), _) => "The new certificate gets this DN (the old one's unless you change it); every SSLPEER filter that checks it is tested against it below.".to_string(),
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Ok(dn) = parsed.get_untracked()
            && planned.with_untracked(|now| now.as_ref() != Some(&dn))
        {
            on_plan.run(dn);
        }
    };
    view! {
        <form class="confirm rotate-subject" on:submit=submit>
            <label for="rotate-subject">"New certificate's DN (subject)"</label>
            <input id="rotate-subject" type="text" spellcheck="false" autocomplete="off" aria-describedby="rotate-subject-hint" bind:value=typed />
            <button type="submit" disabled=move || !can_plan()>"Plan again with this DN"</button>
        </form>
        <p id="rotate-subject-hint" class="reason">{hint}</p>
    }
}

/// The two ways a rotation's new certificate is made, as the choice offers them.
const MODES: [(RotateMode, &str, &str); 2] = [
    (
        RotateMode::SelfSigned,
        "Self-signed (as seed 000)",
        "The console creates it in the store (runmqakm -cert -create), as seed 000 made the current ones, and adds its public part to every store that checks it. The run goes through without stopping.",
    ),
    (
        RotateMode::Csr,
        "Signed by your CA (signing request)",
        "The console makes a signing request where the store is and shows it on the run's page; the run then waits, its locks held, until an operator uploads the certificate your CA signed for it (checked before anything is written: it must answer the request, and every store that checks it must trust your CA). Rolling back while it waits deletes the request.",
    ),
];

fn mode_value(mode: RotateMode) -> &'static str {
    match mode {
        RotateMode::SelfSigned => "self-signed",
        RotateMode::Csr => "csr",
    }
}

/// How a rotation's new certificate is made: choosing the other way makes a new plan (its
/// steps differ).
#[component]
fn RotateModeChoice(mode: RwSignal<RotateMode>, on_plan: Callback<RotateMode>) -> impl IntoView {
    let hint = move || MODES.iter().find(|(m, ..)| *m == mode.get()).map(|(_, _, hint)| *hint).unwrap_or_default();
    view! {
        <fieldset class="rotate-mode">
            <legend>"How the new certificate is made"</legend>
            {MODES
                .iter()
                .map(|&(m, label, _)| {
                    let id = format!("rotate-mode-{}", mode_value(m));
                    view! {
                        <span class="choice">
                            <input
                                type="radio"
                                id=id.clone()
                                name="rotate-mode"
                                value=mode_value(m)
                                aria-describedby="rotate-mode-hint"
                                prop:checked=move || mode.get() == m
                                on:change=move |_| {
                                    if mode.get_untracked() != m {
                                        on_plan.run(m);
                                    }
                                }
                            />
                            <label for=id>{label}</label>
                        </span>
                    }
                })
                .collect_view()}
            <p id="rotate-mode-hint" class="reason">{hint}</p>
        </fieldset>
    }
}

/// What the plan would do, in short: the lead, blocked or not, approval.
#[component]
fn PlanSummary(plan: Plan) -> impl IntoView {
    let blocked = plan.blocked();
    let lead = if blocked {
        "Nothing has run, and this plan cannot run: see why below.".to_string()
    } else {
        format!(
            "Nothing has run yet. Read the checks and the {} steps below, then type {} at the bottom to execute (the plan is valid until {}).",
            plan.steps.len(),
            plan.subject,
            time_of_day(plan.expires_at)
        )
    };
    let blocking: Vec<String> = plan.preconditions.into_iter().filter(|p| p.status == CheckStatus::Block).map(|p| p.message).collect();
    view! {
        <p class="plan-lead">{lead}</p>
        {blocked.then(|| view! {
            <div role="alert" class="alert tone-bad">
                <p class="alert-title">"✖ Blocked: this plan cannot be executed"</p>
                <ul>{blocking.into_iter().map(|m| view! { <li>{m}</li> }).collect_view()}</ul>
            </div>
        })}
        {plan.needs_approval.then(|| view! {
            <div class="alert tone-warn approval-notice">
                <p class="alert-title">"⚠ Needs a second operator's approval"</p>
                <p>"After you execute, nothing runs until another operator approves it (two-person rule). You cannot approve your own request."</p>
            </div>
        })}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(code: Option<ErrorCode>, status: u16) -> ApiError {
        ApiError { code, status, message: "m".into(), retry_after_secs: None }
    }

    #[test]
    fn a_refused_execution_is_read_by_its_code() {
        // The plan no longer fits the estate or its locks: a new plan may run.
        for code in [ErrorCode::EstateChanged, ErrorCode::RunLocked, ErrorCode::PlanUsed, ErrorCode::Expired] {
            let (text, again) = execute_failure(&refused(Some(code), 409));
            assert!(text.contains("Make a new plan") && again, "{code:?}: {text}");
        }
        // A typo in the confirmation: planning again does not help.
        assert_eq!(execute_failure(&refused(Some(ErrorCode::ConfirmMismatch), 400)), ("Not run: the confirmation was refused: m.".to_string(), false));
        // No answer at all: whether it started is not known, so nothing invites a second run.
        let (text, again) = execute_failure(&refused(None, 0));
        assert!(text.contains("Whether the run started is not known") && !again, "{text}");
        // An answer that is not the API's (a proxy's 502) is not taken for a lost connection.
        assert_eq!(execute_failure(&refused(None, 502)).0, "Not run (HTTP 502): m.");
        // The shared store cannot be written here: nothing started, and it says what to do.
        let (text, again) = execute_failure(&refused(Some(ErrorCode::StoreUnavailable), 503));
        assert!(text.starts_with("Not run, nothing was started: this console cannot write the store the consoles share."), "{text}");
        assert!(text.contains("another console whose store is writable") && text.ends_with("The server said: m.") && !again, "{text}");
    }

    #[test]
    fn a_drills_messages_are_a_whole_number_within_the_models_range() {
        assert_eq!(parse_messages(" 50 "), Ok(50));
        assert_eq!(parse_messages("5000"), Ok(5000));
        for bad in ["0", "5001", "-1", "2.5", "", "fifty"] {
            assert!(parse_messages(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_new_dn_is_checked_as_the_server_checks_it() {
        assert_eq!(parse_dn(" CN=OTHER,O=IBM,C=US "), Ok("CN=OTHER,O=IBM,C=US".to_string()));
        for bad in ["", "CN=a\\b", "-CN=x", "CN=", "CN='x'", "CN=$(id)", "not a dn"] {
            assert!(parse_dn(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_refused_plan_says_who_refused() {
        assert_eq!(refusal(&refused(Some(ErrorCode::Forbidden), 403)).to_string(), "The server refused to plan this: m.");
        assert_eq!(refusal(&refused(None, 0)).to_string(), "The plan could not be made: m.");
        assert_eq!(refusal(&refused(Some(ErrorCode::Unavailable), 503)).to_string(), "The plan could not be made (HTTP 503): m.");
        assert!(refusal(&refused(Some(ErrorCode::StoreUnavailable), 503)).to_string().starts_with("Workflows cannot run on this console now: it cannot write the store"));
    }
}
