//! Any path the app does not know.

use crate::components::page::set_title;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_location;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    set_title("Not found");
    let path = use_location().pathname;
    view! {
        <main id="main" class="not-found">
            <h1>"No such page"</h1>
            <p>"There is nothing at " <code>{move || path.get()}</code> ". " <A href="/">"Go to the estate"</A> "."</p>
        </main>
    }
}
