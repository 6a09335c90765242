//! Every workflow starts here. An action button asks the server for a plan (nothing runs);
//! the preview shows exactly what would run: each precondition with its evidence, each step
//! with its host, command, expected result, verification and undo, and the change to
//! `mqipt.conf`. Execute stays disabled until the subject is typed exactly, and a blocked or
//! expired plan cannot run at all. Viewers see every action disabled, with the reason.

use crate::api::{self, ApiError};
use crate::checks::Tone;
use crate::clock::{age_text, time_of_day};
use crate::components::badge::Badge;
use crate::html::Html;
use crate::live::use_live;
use crate::router::{encode, navigate};
use crate::session::use_session;
use crate::words::{check_look, intent_text, verify_text};
use leptos::prelude::*;
use model::api_error::ErrorCode;
use leptos::task::spawn_local;
use model::plan::Plan;
use model::estate::Evidence;
use model::plan::{CheckStatus, Intent};
use std::cell::Cell;
use std::sync::Arc;

/// The plan being previewed, for the whole app (one at a time).
#[derive(Clone, Copy)]
pub struct Planner {
    pub open: RwSignal<Option<Intent>>,
}

pub fn provide_planner() {
    provide_context(Planner { open: RwSignal::new(None) });
}

pub fn use_planner() -> Planner {
    expect_context::<Planner>()
}

thread_local! {
    static NEXT_ID: Cell<u32> = const { Cell::new(0) };
}

/// An element id no other element of the page has.
pub fn unique_id(prefix: &str) -> String {
    let n = NEXT_ID.with(|c| {
        c.set(c.get() + 1);
        c.get()
    });
    format!("{prefix}-{n}")
}

pub const VIEWER_REASON: &str = "You are signed in as a viewer: only operators (mqadmins) may plan or run workflows, and the server refuses them to viewers too.";

/// The id of the one element on every page that says why a viewer's actions are disabled.
pub const VIEWER_REASON_ID: &str = "viewer-reason";

/// One action: its button label, what it asks for, and a note on why it is offered.
#[derive(Clone, Debug, PartialEq)]
pub struct ActionSpec {
    pub label: String,
    pub intent: Intent,
    pub note: Option<String>,
}

impl ActionSpec {
    pub fn new(label: String, intent: Intent) -> Self {
        ActionSpec { label, intent, note: None }
    }

    pub fn note(mut self, note: String) -> Self {
        self.note = Some(note);
        self
    }
}

/// Buttons that open the plan preview; for viewers, disabled and described by the reason.
/// (One listener for the list; the role does not change while a page is shown.)
#[component]
pub fn ActionList(actions: Vec<ActionSpec>) -> impl IntoView {
    let session = use_session();
    let planner = use_planner();
    let operator = untrack(|| session.is_operator());
    let mut h = Html::new();
    for (i, action) in actions.iter().enumerate() {
        let index = i.to_string();
        h.open("li", &[]);
        if operator {
            h.open("button", &[("type", "button"), ("data-action", &index)]);
        } else {
            h.open("button", &[("type", "button"), ("disabled", ""), ("aria-describedby", VIEWER_REASON_ID)]);
        }
        h.text(&action.label).close("button");
        if let Some(note) = &action.note {
            h.el("span", "note", note);
        }
        h.close("li");
    }
    let actions = StoredValue::new(actions);
    let open = move |ev: leptos::ev::MouseEvent| {
        let index = ev
            .target()
            .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok())
            .and_then(|e| e.closest("button[data-action]").ok().flatten())
            .and_then(|b| b.get_attribute("data-action"))
            .and_then(|i| i.parse::<usize>().ok());
        if let Some(intent) = index.and_then(|i| actions.with_value(|a| a.get(i).map(|a| a.intent.clone()))) {
            planner.open.set(Some(intent));
        }
    };
    view! { <ul class="action-list" on:click=open inner_html=h.finish()></ul> }
}

#[derive(Clone, Debug, PartialEq)]
enum Phase {
    Planning,
    Refused(String),
    Ready(Arc<Plan>),
}

/// The preview of whatever plan is open, as a modal dialog over the page.
#[component]
pub fn PlanDialog() -> impl IntoView {
    let planner = use_planner();
    // Leaving the page closes the preview: it never reopens by itself on another page.
    on_cleanup(move || planner.open.set(None));
    move || planner.open.get().map(|intent| view! { <PlanFlow intent=intent /> })
}

fn refusal(e: &ApiError) -> String {
    match e.code {
        None if e.unanswered() => format!("The plan could not be made: {}.", e.message),
        Some(ErrorCode::Forbidden | ErrorCode::CsrfRejected) => format!("The server refused to plan this: {}.", e.message),
        _ => format!("The plan could not be made (HTTP {}): {}.", e.status, e.message),
    }
}

/// What an execution refused by the server means for the operator.
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
        _ => (format!("Not run (HTTP {}): {m}.", e.status), true),
    }
}

#[component]
fn PlanFlow(intent: Intent) -> impl IntoView {
    let planner = use_planner();
    let live = use_live();
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    let phase = RwSignal::new(Phase::Planning);
    let executing = RwSignal::new(false);
    let failure = RwSignal::new(None::<(String, bool)>);
    let title = intent_text(&intent);
    let intent = StoredValue::new(intent);
    let make_plan = move || {
        let intent = intent.get_value();
        phase.set(Phase::Planning);
        failure.set(None);
        spawn_local(async move {
            phase.set(match api::plan(&intent).await {
                Ok(plan) => Phase::Ready(Arc::new(plan)),
                Err(e) => Phase::Refused(refusal(&e)),
            });
        });
    };
    make_plan();
    dialog.on_load(|d| {
        let _ = d.show_modal();
    });
    let close = move || {
        if let Some(d) = dialog.get_untracked() {
            d.close();
        }
        planner.open.set(None);
    };
    let plan = Memo::new(move |_| match phase.get() {
        Phase::Ready(plan) => Some(plan),
        _ => None,
    });
    let remaining = move || plan.with(|p| p.as_ref().map(|p| p.expires_at.saturating_sub(live.now_ms.get())));
    let expired = move || remaining() == Some(0);
    let blocked = move || plan.with(|p| p.as_ref().is_some_and(|p| p.blocked()));
    let subject = move || plan.with(|p| p.as_ref().map(|p| p.subject.clone()).unwrap_or_default());
    // Why Execute stays disabled whatever is typed.
    let why_blocked = move || -> Option<String> {
        if expired() {
            Some("Execute is disabled: the plan expired. Make a new one.".to_string())
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
                    navigate(&format!("/runs/{}", encode(&run_id)), false);
                }
                Err(e) => {
                    failure.set(Some(execute_failure(&e)));
                    executing.set(false);
                }
            }
        });
    };
    // One plan dialog at a time: a fixed id.
    let heading_id = "plan-title";
    view! {
        <dialog node_ref=dialog class="plan-dialog" aria-labelledby=heading_id on:close=move |_| planner.open.set(None)>
            <div class="dialog-head">
                <h2 id=heading_id>"Plan: " {title}</h2>
                <button type="button" on:click=move |_| close()>"Cancel — run nothing"</button>
            </div>
            {move || match phase.get() {
                Phase::Planning => view! {
                    <p role="status" class="waiting">"Asking the console for a plan (it reads the estate and mqipt.conf afresh; nothing runs)…"</p>
                }
                .into_any(),
                Phase::Refused(message) => view! {
                    <div role="alert" class="alert tone-bad">
                        <p class="alert-title">"✖ No plan"</p>
                        <p>{message}</p>
                    </div>
                    <button type="button" on:click=move |_| make_plan()>"Try again"</button>
                }
                .into_any(),
                Phase::Ready(plan) => view! {
                    <div inner_html=summary_html(&plan)></div>
                    <PlanDetails plan=(*plan).clone() />
                }
                .into_any(),
            }}
            <Show when=move || plan.with(Option::is_some)>
                <div class="confirm-area">
                    <p class="expiry" aria-live="off">
                        {move || match remaining() {
                            Some(0) => view! {
                                <Badge tone=Tone::Bad text="This plan has expired: make a new one" />
                                " "
                                <button type="button" on:click=move |_| make_plan()>"Plan again"</button>
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
                            {again.then(|| view! { <button type="button" on:click=move |_| make_plan()>"Plan again"</button> })}
                        </div>
                    })}
                </div>
            </Show>
        </dialog>
    }
}

/// The subject typed exactly enables the buttons (Enter presses the first). `blocked` says
/// why they stay disabled whatever is typed (a blocked or expired plan, a request in flight);
/// `on_press` gets the index of the button pressed.
#[component]
pub fn TypedConfirm(
    /// Ids of the input and of the hint (one confirmation of each kind per page).
    ids: (&'static str, &'static str),
    #[prop(into)] subject: Signal<String>,
    /// "confirm", "approve": the label says "Type X to confirm".
    verb: &'static str,
    /// The buttons: label and class.
    buttons: Vec<(&'static str, &'static str)>,
    /// "Execute stays disabled": the start of the hint while the typing does not match.
    disabled_text: &'static str,
    #[prop(into)] blocked: Signal<Option<String>>,
    /// The hint once everything allows it.
    ready_text: &'static str,
    on_press: Callback<usize>,
) -> impl IntoView {
    let (input_id, hint_id) = ids;
    let typed = RwSignal::new(String::new());
    let why_not = move || blocked.get().or_else(|| (typed.with(|t| *t != subject.get())).then(|| format!("{disabled_text} until you type {} exactly.", subject.get())));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if why_not().is_none() {
            on_press.run(0);
        }
    };
    let buttons = buttons
        .into_iter()
        .enumerate()
        .map(|(i, (label, class))| {
            view! {
                <button
                    type=if i == 0 { "submit" } else { "button" }
                    class=class
                    disabled=move || why_not().is_some()
                    aria-describedby=hint_id
                    on:click=move |ev| {
                        if i > 0 {
                            ev.prevent_default();
                            on_press.run(i);
                        }
                    }
                >
                    {label}
                </button>
            }
        })
        .collect_view();
    view! {
        <form class="confirm" on:submit=submit>
            <label for=input_id>"Type " <strong>{move || subject.get()}</strong> {format!(" to {verb}")}</label>
            <input id=input_id type="text" autocomplete="off" spellcheck="false" aria-describedby=hint_id bind:value=typed />
            {buttons}
        </form>
        <p id=hint_id class="reason">{move || why_not().unwrap_or_else(|| ready_text.to_string())}</p>
    }
}

/// What the plan would do, in short: the lead, blocked or not, approval.
fn summary_html(plan: &Plan) -> String {
    let mut h = Html::new();
    let lead = if plan.blocked() {
        "Nothing has run, and this plan cannot run: see why below.".to_string()
    } else {
        format!(
            "Nothing has run yet. Read the checks and the {} steps below, then type {} at the bottom to execute (the plan is valid until {}).",
            plan.steps.len(),
            plan.subject,
            time_of_day(plan.expires_at)
        )
    };
    h.el("p", "plan-lead", &lead);
    if plan.blocked() {
        h.open("div", &[("role", "alert"), ("class", "alert tone-bad")]).el("p", "alert-title", "✖ Blocked: this plan cannot be executed").open("ul", &[]);
        for p in plan.preconditions.iter().filter(|p| p.status == CheckStatus::Block) {
            h.el("li", "", &p.message);
        }
        h.close("ul").close("div");
    }
    if plan.needs_approval {
        h.open("div", &[("class", "alert tone-warn approval-notice")]).el("p", "alert-title", "⚠ Needs a second operator's approval");
        h.el("p", "", "After you execute, nothing runs until another operator approves it (two-person rule). You cannot approve your own request.");
        h.close("div");
    }
    h.finish()
}

/// Preconditions, steps and the diff of a plan: exactly what runs.
#[component]
pub fn PlanDetails(plan: Plan) -> impl IntoView {
    view! { <div class="plan-details" inner_html=plan_html(&plan)></div> }
}

pub fn evidence_html(h: &mut Html, evidence: &Evidence) {
    h.open("figure", &[("class", "evidence-block")]).open("figcaption", &[]).text("on ").el("strong", "", &evidence.host).text(": ");
    h.el("code", "", &evidence.command).close("figcaption");
    let output = if evidence.lines.is_empty() { "(no output lines kept)".to_string() } else { evidence.lines.join("\n") };
    h.el("pre", "", &output).close("figure");
}

fn plan_html(plan: &Plan) -> String {
    let mut h = Html::new();
    h.open("section", &[("class", "plan-part")]).el("h3", "", "Preconditions").open("ul", &[("class", "checks")]);
    for check in &plan.preconditions {
        let (word, icon, tone) = check_look(check.status);
        h.open("li", &[("class", &format!("check {}", tone.class()))]);
        h.open("span", &[("class", "check-status")]).glyph(icon).text(word).close("span");
        h.el("span", "check-message", &check.message);
        if !check.evidence.is_empty() {
            h.open("details", &[("class", "check-evidence")]).el("summary", "", &format!("Evidence ({})", check.evidence.len()));
            for e in &check.evidence {
                evidence_html(&mut h, e);
            }
            h.close("details");
        }
        h.close("li");
    }
    h.close("ul").close("section");
    let n = plan.steps.len();
    let steps_heading = if n == 0 { "Steps (0)".to_string() } else { format!("Steps ({n}): exactly what will run, in this order") };
    h.open("section", &[("class", "plan-part")]).el("h3", "", &steps_heading);
    if n == 0 {
        h.el("p", "muted", "None: a blocked plan runs nothing.");
    } else {
        h.el("p", "muted", "If a step fails, the steps already done are undone in reverse order, each as listed under it.");
        h.open("ol", &[("class", "steps")]);
        for step in &plan.steps {
            h.open("li", &[("class", "step")]).el("h4", "", &format!("Step {}: {}", step.index + 1, step.title));
            h.open("dl", &[("class", "facts compact")]).fact_code("Host", &step.host);
            h.el("dt", "", "Command").open("dd", &[]).el("code", "command", &step.command).close("dd");
            h.fact("Expected", &step.expect).fact("Verified by", &verify_text(&step.verify));
            h.el("dt", "", "Undo").open("dd", &[]);
            if step.undo.is_empty() {
                h.el("span", "muted", "nothing to undo for this step");
            } else {
                h.open("ol", &[("class", "undo-list")]);
                for u in &step.undo {
                    h.open("li", &[]).text("on ").el("strong", "", &u.host).text(": ").el("code", "", &u.command);
                    h.text(" — verified by: ").text(&verify_text(&u.verify)).close("li");
                }
                h.close("ol");
            }
            h.close("dd").close("dl").close("li");
        }
        h.close("ol");
    }
    h.close("section");
    if let Some(diff) = &plan.diff {
        let heading = if plan.blocked() { "Change to mqipt.conf (not made: the plan is blocked)" } else { "Change to mqipt.conf" };
        h.open("section", &[("class", "plan-part")]).el("h3", "", heading);
        h.el("p", "muted", "Lines marked “removed” (−) are replaced by the lines marked “added” (+); everything else stays byte for byte.");
        h.open("pre", &[("class", "diff"), ("aria-label", "Unified diff of mqipt.conf")]);
        for line in diff.lines() {
            let (class, mark) = match line.as_bytes().first() {
                Some(b'+') if !line.starts_with("+++") => ("diff-line add", "added"),
                Some(b'-') if !line.starts_with("---") => ("diff-line del", "removed"),
                Some(b'@') => ("diff-line hunk", ""),
                _ => ("diff-line", ""),
            };
            h.open("span", &[("class", class)]).el("span", "mark", mark).text(line).text("\n").close("span");
        }
        h.close("pre").close("section");
    }
    h.finish()
}
