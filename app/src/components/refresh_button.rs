//! "Read it again now" buttons for operators: the estate ("Refresh now") and the certificate
//! inventory. Viewers see the button disabled, with the reason. One component for both: the
//! work is a boxed future that says what happened in words.

use crate::api;
use crate::clock::time_of_day;
use crate::live::use_live;
use crate::session::use_session;
use leptos::prelude::*;
use leptos::task::spawn_local;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

/// The work behind the button: `Ok` with what was done, `Err` with why it failed.
pub type Work = Rc<dyn Fn() -> Pin<Box<dyn Future<Output = Result<String, String>>>>>;

/// The estate's "Refresh now".
#[component]
pub fn RefreshButton() -> impl IntoView {
    let live = use_live();
    let work: Work = Rc::new(move || {
        Box::pin(async move {
            match api::refresh_now().await {
                Ok(snapshot) => {
                    let done = format!("Refreshed: estate as of {}.", time_of_day(snapshot.polled_at));
                    live.accept(snapshot);
                    Ok(done)
                }
                Err(e) => Err(format!("Refresh failed: {}", e.message)),
            }
        })
    });
    view! {
        <OperatorButton
            label="Refresh now"
            busy_label="Refreshing…"
            viewer_reason="Viewers cannot refresh the estate on demand; it refreshes by itself every few seconds."
            work=work
        />
    }
}

#[component]
pub fn OperatorButton(label: &'static str, busy_label: &'static str, viewer_reason: &'static str, work: Work) -> impl IntoView {
    let session = use_session();
    let busy = RwSignal::new(false);
    let outcome = RwSignal::new(None::<Result<String, String>>);
    let run = move |_| {
        busy.set(true);
        outcome.set(None);
        let work = Rc::clone(&work);
        spawn_local(async move {
            let result = work().await;
            let _ = outcome.try_set(Some(result));
            let _ = busy.try_set(false);
        });
    };
    let operator = Memo::new(move |_| session.is_operator());
    let reason_id = crate::components::plan::unique_id("reason");
    let described_by = reason_id.clone();
    view! {
        <div class="action">
            <button
                type="button"
                class:primary=move || operator.get()
                on:click=run
                disabled=move || busy.get() || !operator.get()
                aria-describedby=move || (!operator.get()).then(|| described_by.clone())
            >
                {move || if busy.get() { busy_label } else { label }}
            </button>
            <Show when=move || !operator.get()>
                <span id=reason_id.clone() class="reason">{viewer_reason}</span>
            </Show>
            {move || {
                outcome.get().map(|o| match o {
                    Ok(text) => view! { <span role="status" class="outcome">{text}</span> }.into_any(),
                    Err(text) => view! { <span role="alert" class="outcome tone-bad">"✖ " {text}</span> }.into_any(),
                })
            }}
        </div>
    }
}
