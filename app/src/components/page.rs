//! The frame of every signed-in page: the header, the live-data banners and `<main>`. Signed
//! out, it sends the user to sign in and brings them back here afterwards.

use crate::components::header::Header;
use crate::components::live_status::LiveBanner;
use crate::live::use_live;
use crate::session::{SessionStatus, use_session};
use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_location;

/// Sets the browser tab's title ("Estate — rdqm-console").
pub fn set_title(title: &str) {
    document().set_title(&format!("{title} — rdqm-console"));
}

#[component]
pub fn Page(#[prop(into)] title: Signal<String>, children: ChildrenFn) -> impl IntoView {
    Effect::new(move |_| set_title(&title.get()));
    let session = use_session();
    let location = use_location();
    let status = Memo::new(move |_| session.status());
    let live = use_live();
    // Data that may no longer be true loses its colours, so nothing still looks healthy.
    let doubtful = Memo::new(move |_| live.is_lost() || live.is_overdue());
    move || match status.get() {
        SessionStatus::Checking => view! {
            <main id="main" class="checking">
                <p role="status">"Checking your session…"</p>
            </main>
        }
        .into_any(),
        SessionStatus::SignedOut => {
            let here = location.pathname.get_untracked();
            let path = if here == "/" { "/sign-in".to_string() } else { format!("/sign-in?next={}", js_sys::encode_uri_component(&here)) };
            view! { <Redirect path=path /> }.into_any()
        }
        SessionStatus::SignedIn => view! {
            <Header />
            <LiveBanner />
            <main id="main" tabindex="-1" class:doubtful=move || doubtful.get()>{children()}</main>
        }
        .into_any(),
    }
}
