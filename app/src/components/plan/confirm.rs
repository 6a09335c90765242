//! The typed confirmation in front of every irreversible button: the subject typed exactly
//! enables them.

use leptos::prelude::*;

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

