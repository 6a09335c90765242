//! The bar on top of every signed-in page: where you are, who you are, whether the data is
//! live, which console instance this is and whether workflows can run on it, and runs waiting
//! for a second operator's approval or for a CA-signed certificate (live, on every page).

use crate::api;
use model::api_error::ErrorCode;
use model::session::Role;
use crate::components::live_status::LiveIndicator;
use crate::components::store_status::StoreIndicator;
use crate::live::use_live;
use crate::router::{Route, encode, use_router};
use crate::session::use_session;
use leptos::prelude::*;
use leptos::task::spawn_local;
use model::run::RunState;

#[component]
pub fn Header() -> impl IntoView {
    let session = use_session();
    let who = move || session.info().map(|i| format!("{} ({})", i.display_name, i.user)).unwrap_or_default();
    let role = move || match session.info().map(|i| i.role) {
        Some(Role::Operator) => "Operator",
        Some(Role::Viewer) => "Viewer (read-only)",
        None => "",
    };
    let route = use_router().route();
    view! {
        // rel=external: the router leaves this in-page jump to the browser.
        <a class="skip-link" href="#main" rel="external">"Skip to main content"</a>
        <header class="topbar">
            // Which console instance, under the name (with several consoles only).
            <div class="brand-block">
                <span class="brand">"rdqm-console"</span>
                <StoreIndicator />
            </div>
            <Show when=move || session.is_demo()>
                <span class="demo-badge" title="The console runs on an in-process simulated estate, not on real hosts">
                    "DEMO — simulated estate"
                </span>
            </Show>
            <nav aria-label="Main">
                <a href="/" aria-current=move || (route.get() == Route::Estate).then_some("page")>"Estate"</a>
                <a href="/routes" aria-current=move || (route.get() == Route::Routes).then_some("page")>"MQIPT routes"</a>
                <a href="/certificates" aria-current=move || (route.get() == Route::Certificates).then_some("page")>"Certificates"</a>
                <a href="/runs" aria-current=move || matches!(route.get(), Route::Runs | Route::Run(_)).then_some("page")>"Runs"</a>
                <a href="/drills" aria-current=move || matches!(route.get(), Route::Drills | Route::Drill(_)).then_some("page")>"Drills"</a>
            </nav>
            <ApprovalsWaiting />
            <CertificatesAwaited />
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
    let router = use_router();
    let failure = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let sign_out = move |_| {
        busy.set(true);
        spawn_local(async move {
            match api::sign_out().await {
                // 401: the server had already ended it; either way it is over.
                Ok(()) => {
                    session.end(Some("You signed out.".into()));
                    router.navigate("/sign-in", false);
                }
                Err(e) if e.is(ErrorCode::Unauthorized) => {
                    session.end(Some("You signed out.".into()));
                    router.navigate("/sign-in", false);
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

/// "◷ 1 approval waiting": runs that wait for a second operator, linking to them. The
/// requester is told their own request waits; viewers see that something waits.
#[component]
fn ApprovalsWaiting() -> impl IntoView {
    let live = use_live();
    let session = use_session();
    let pending = Memo::new(move |_| {
        let me = session.info().map(|i| i.user).unwrap_or_default();
        let now = live.now_ms.get();
        live.runs.with(|runs| {
            runs.iter()
                .filter(|r| r.state == RunState::AwaitingApproval && r.approval_expires_at.is_none_or(|until| until > now))
                .map(|r| (r.id.clone(), r.requested_by == me))
                .collect::<Vec<_>>()
        })
    });
    let operator = Memo::new(move |_| session.is_operator());
    move || {
        let list = pending.get();
        let theirs: Vec<&String> = list.iter().filter(|(_, mine)| !mine).map(|(id, _)| id).collect();
        let mine: Vec<&String> = list.iter().filter(|(_, mine)| *mine).map(|(id, _)| id).collect();
        let link = |ids: &[&String]| match ids {
            [one] => format!("/runs/{}", encode(one)),
            _ => "/runs".to_string(),
        };
        let plural = |n: usize, one: &str, many: &str| if n == 1 { one.to_string() } else { many.replace('#', &n.to_string()) };
        let others = (!theirs.is_empty()).then(|| {
            let text = if operator.get() {
                plural(theirs.len(), "1 approval waiting for you", "# approvals waiting for you")
            } else {
                plural(theirs.len(), "1 run awaits an operator's approval", "# runs await an operator's approval")
            };
            view! { <a class="approvals" href=link(&theirs)><span aria-hidden="true">"◷ "</span>{text}</a> }
        });
        let own = (!mine.is_empty()).then(|| {
            let text = plural(mine.len(), "Your request awaits another operator", "# of your requests await another operator");
            view! { <a class="approvals own" href=link(&mine)><span aria-hidden="true">"◷ "</span>{text}</a> }
        });
        view! { {others} {own} }
    }
}

/// "◷ 1 run awaits a signed certificate": rotations by signing request that wait for an
/// operator to upload what the CA signed, linking to them.
#[component]
fn CertificatesAwaited() -> impl IntoView {
    let live = use_live();
    let waiting = Memo::new(move |_| live.runs.with(|runs| runs.iter().filter(|r| r.state == RunState::AwaitingCertificate).map(|r| r.id.clone()).collect::<Vec<_>>()));
    move || {
        let ids = waiting.get();
        let (href, text) = match ids.as_slice() {
            [] => return None,
            [one] => (format!("/runs/{}", encode(one)), "1 run awaits a signed certificate".to_string()),
            many => ("/runs".to_string(), format!("{} runs await a signed certificate", many.len())),
        };
        Some(view! { <a class="approvals" href=href><span aria-hidden="true">"◷ "</span>{text}</a> })
    }
}
