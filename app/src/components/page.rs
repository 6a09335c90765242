//! The frame of every signed-in page: the header, the live-data and store banners, `<main>` and the plan
//! preview. Signed out, it sends the user to sign in and brings them back here afterwards.

use crate::components::header::Header;
use crate::components::live_status::LiveBanner;
use crate::components::store_status::StoreBanner;
use crate::components::plan::{PlanDialog, VIEWER_REASON, VIEWER_REASON_ID};
use crate::live::use_live;
use crate::router::{encode, use_router};
use crate::session::{SessionStatus, use_session};
use leptos::prelude::*;

/// Sets the browser tab's title ("Estate — rdqm-console").
pub fn set_title(title: &str) {
    document().set_title(&format!("{title} — rdqm-console"));
}

#[component]
pub fn Page(#[prop(into)] title: Signal<String>, children: ChildrenFn) -> impl IntoView {
    Effect::new(move |_| set_title(&title.get()));
    let session = use_session();
    let status = Memo::new(move |_| session.status());
    let live = use_live();
    let router = use_router();
    // Data that may no longer be true loses its colours, so nothing still looks healthy.
    let doubtful = Memo::new(move |_| live.is_lost() || live.is_overdue());
    Effect::new(move |_| {
        let here = router.path.get_untracked();
        if status.get() == SessionStatus::SignedOut && !here.starts_with("/sign-in") {
            let to = if here == "/" { "/sign-in".to_string() } else { format!("/sign-in?next={}", encode(&here)) };
            router.navigate(&to, true);
        }
    });
    move || match status.get() {
        SessionStatus::Checking | SessionStatus::SignedOut => view! {
            <main id="main" class="checking">
                <p role="status">"Checking your session…"</p>
            </main>
        }
        .into_any(),
        SessionStatus::SignedIn => view! {
            <Header />
            <LiveBanner />
            <StoreBanner />
            {untrack(|| !session.is_operator()).then(|| view! { <p id=VIEWER_REASON_ID class="banner viewer-note"><strong>"Read-only. "</strong>{VIEWER_REASON}</p> })}
            <main id="main" tabindex="-1" class:doubtful=move || doubtful.get()>{children()}</main>
            <PlanDialog />
        }
        .into_any(),
    }
}
