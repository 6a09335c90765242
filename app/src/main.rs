//! The rdqm-console browser app: a Leptos single-page app, client-side rendered.

use leptos::prelude::*;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}

#[component]
fn App() -> impl IntoView {
    view! {
        <header class="topbar">
            <h1>"rdqm-console"</h1>
            <p class="tagline">"IBM MQ RDQM HA/DR with MQIPT"</p>
        </header>
        <main id="main">
            <h2>"Estate"</h2>
            <p role="status">"The console is running. Sign-in and the estate view arrive with the next releases."</p>
        </main>
    }
}
