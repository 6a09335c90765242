//! Every workflow starts here. An action button asks the server for a plan (nothing runs);
//! the preview (`dialog`) shows exactly what would run (`details`): each precondition with its
//! evidence, each step with its host, command, expected result, verification and undo, and
//! the change to `mqipt.conf`. Execute stays disabled until the subject is typed exactly
//! (`confirm`), and a blocked or expired plan cannot run at all. Viewers see every action
//! disabled, with the reason.

mod confirm;
mod details;
mod dialog;
mod trust_graph;

pub use confirm::TypedConfirm;
pub use details::PlanDetails;
pub use dialog::PlanDialog;
pub use trust_graph::{TrustGraph, ca_signed};

use crate::session::use_session;
use leptos::prelude::*;
use model::plan::Intent;
use std::cell::Cell;

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

/// Buttons that open the plan preview; for viewers, disabled and described by the reason
/// (the role does not change while a page is shown).
#[component]
pub fn ActionList(actions: Vec<ActionSpec>) -> impl IntoView {
    let session = use_session();
    let planner = use_planner();
    let operator = untrack(|| session.is_operator());
    view! {
        <ul class="action-list">
            {actions
                .into_iter()
                .map(|ActionSpec { label, intent, note }| {
                    view! {
                        <li>
                            <button
                                type="button"
                                disabled=!operator
                                aria-describedby=(!operator).then_some(VIEWER_REASON_ID)
                                on:click=move |_| planner.open.set(Some(intent.clone()))
                            >
                                {label}
                            </button>
                            {note.map(|note| view! { <span class="note">{note}</span> })}
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
}
