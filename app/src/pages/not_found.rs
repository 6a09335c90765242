//! Any path the app does not know.

use crate::components::page::set_title;
use crate::router::use_router;
use leptos::prelude::*;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    set_title("Not found");
    let path = use_router().path;
    view! {
        <main id="main" class="not-found">
            <h1>"No such page"</h1>
            <p>"There is nothing at " <code>{move || path.get()}</code> ". " <a href="/">"Go to the estate"</a> "."</p>
        </main>
    }
}
