//! "Refresh now": the one operator action so far. Viewers see it disabled, with the reason.

use crate::api;
use crate::clock::time_of_day;
use crate::live::use_live;
use crate::session::use_session;
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn RefreshButton() -> impl IntoView {
    let session = use_session();
    let live = use_live();
    let busy = RwSignal::new(false);
    let outcome = RwSignal::new(None::<Result<String, String>>);
    let refresh = move |_| {
        busy.set(true);
        outcome.set(None);
        spawn_local(async move {
            match api::refresh_now().await {
                Ok(snapshot) => {
                    outcome.set(Some(Ok(format!("Refreshed: estate as of {}.", time_of_day(snapshot.polled_at)))));
                    live.accept(snapshot);
                }
                Err(e) => outcome.set(Some(Err(format!("Refresh failed: {}", e.message)))),
            }
            busy.set(false);
        });
    };
    let operator = Memo::new(move |_| session.is_operator());
    view! {
        <div class="action">
            {move || {
                if operator.get() {
                    view! {
                        <button type="button" class="primary" on:click=refresh disabled=move || busy.get()>
                            {move || if busy.get() { "Refreshing…" } else { "Refresh now" }}
                        </button>
                    }
                    .into_any()
                } else {
                    view! {
                        <button type="button" disabled=true aria-describedby="refresh-reason">"Refresh now"</button>
                        <span id="refresh-reason" class="reason">
                            "Viewers cannot refresh the estate on demand; it refreshes by itself every few seconds."
                        </span>
                    }
                    .into_any()
                }
            }}
            {move || {
                outcome.get().map(|o| match o {
                    Ok(text) => view! { <span role="status" class="outcome">{text}</span> }.into_any(),
                    Err(text) => view! { <span role="alert" class="outcome tone-bad">"✖ " {text}</span> }.into_any(),
                })
            }}
        </div>
    }
}
