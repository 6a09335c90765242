//! The bar on top of every signed-in page: where you are, who you are, whether the data is live.

use crate::api::{self, Role};
use crate::components::live_status::LiveIndicator;
use crate::session::use_session;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

#[component]
pub fn Header() -> impl IntoView {
    let session = use_session();
    let who = move || session.info().map(|i| format!("{} ({})", i.display_name, i.user)).unwrap_or_default();
    let role = move || match session.info().map(|i| i.role) {
        Some(Role::Operator) => "Operator",
        Some(Role::Viewer) => "Viewer (read-only)",
        None => "",
    };
    view! {
        // rel=external: the router leaves this in-page jump to the browser.
        <a class="skip-link" href="#main" rel="external">"Skip to main content"</a>
        <header class="topbar">
            <span class="brand">"rdqm-console"</span>
            <Show when=move || session.is_demo()>
                <span class="demo-badge" title="The console runs on an in-process simulated estate, not on real hosts">
                    "DEMO — simulated estate"
                </span>
            </Show>
            <nav aria-label="Main">
                <A href="/" exact=true>"Estate"</A>
                <A href="/routes">"MQIPT routes"</A>
            </nav>
            <LiveIndicator />
            <div class="who">
                <span class="user">{who}</span>
                <span class="role-badge">{role}</span>
                <SignOutButton />
            </div>
        </header>
    }
}

#[component]
fn SignOutButton() -> impl IntoView {
    let session = use_session();
    let navigate = use_navigate();
    let failure = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let sign_out = move |_| {
        busy.set(true);
        let navigate = navigate.clone();
        spawn_local(async move {
            match api::sign_out().await {
                // 401: the server had already ended it; either way it is over.
                Ok(()) => {
                    session.end(Some("You signed out.".into()));
                    navigate("/sign-in", Default::default());
                }
                Err(e) if e.status == 401 => {
                    session.end(Some("You signed out.".into()));
                    navigate("/sign-in", Default::default());
                }
                Err(e) => {
                    failure.set(Some(format!("Sign-out failed, you are still signed in: {}", e.message)));
                    busy.set(false);
                }
            }
        });
    };
    view! {
        <button type="button" class="sign-out" on:click=sign_out disabled=move || busy.get()>
            "Sign out"
        </button>
        {move || failure.get().map(|f| view! { <span role="alert" class="inline-alert tone-bad">{f}</span> })}
    }
}
