//! `/sign-in`: user name and password against the directory, and an exact account of a refusal.

use crate::api::{self, ApiError};
use crate::clock::age_text;
use model::api_error::ErrorCode;
use crate::components::page::set_title;
use crate::live::use_live;
use crate::session::{SessionState, SessionStatus, use_session};
use leptos::prelude::*;
use leptos::task::spawn_local;
use crate::router::use_router;

#[derive(Clone, Debug, PartialEq)]
struct Failure {
    title: &'static str,
    message: String,
    /// 429: when (server clock, ms) the next attempt may be made.
    retry_at_ms: Option<u64>,
}

fn describe(e: ApiError) -> Failure {
    let (title, message) = match e.code {
        Some(ErrorCode::Unauthorized) => ("Wrong user name or password", format!("The directory refused them: {}.", e.message)),
        Some(ErrorCode::Forbidden) => ("This account may not use the console", format!("{}.", e.message)),
        Some(ErrorCode::TooManyRequests) => ("Too many sign-in attempts", "The console refuses further attempts for a while.".to_string()),
        Some(ErrorCode::Unavailable | ErrorCode::AuditUnavailable) => ("Nobody can sign in right now", format!("{}.", e.message)),
        Some(ErrorCode::StoreUnavailable) => (
            "Nobody can sign in on this console right now",
            format!("It cannot write the store the consoles share; another console whose store is writable may let you in. The server said: {}.", e.message.trim_end_matches('.')),
        ),
        None if e.unanswered() => ("The console server cannot be reached", format!("{}.", e.message)),
        _ => ("Sign-in failed", format!("HTTP {}: {}.", e.status, e.message)),
    };
    let retry_at_ms = e.is(ErrorCode::TooManyRequests).then(|| api::server_now_ms() + e.retry_after_secs.unwrap_or(60) * 1000);
    Failure { title, message, retry_at_ms }
}

#[component]
pub fn SignInPage() -> impl IntoView {
    set_title("Sign in");
    let session = use_session();
    let live = use_live();
    let router = use_router();
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let failure = RwSignal::new(None::<Failure>);

    // Signed in (just now, or already): go where the user was going, or to the estate.
    Effect::new(move |_| {
        if session.status() == SessionStatus::SignedIn {
            let next = router.query("next").and_then(|n| crate::router::same_site_path(&n).map(str::to_string)).unwrap_or_else(|| "/".to_string());
            router.navigate(&next, true);
        }
    });

    let wait_ms = move || {
        failure.with(|f| f.as_ref().and_then(|f| f.retry_at_ms)).map(|at| at.saturating_sub(live.now_ms.get())).filter(|ms| *ms > 0)
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() || wait_ms().is_some() {
            return;
        }
        busy.set(true);
        failure.set(None);
        let (user, pass) = (username.get_untracked(), password.get_untracked());
        spawn_local(async move {
            match api::sign_in(user.trim(), &pass).await {
                Ok(info) => {
                    password.set(String::new());
                    session.signed_in(info);
                }
                Err(e) => failure.set(Some(describe(e))),
            }
            busy.set(false);
        });
    };
    let notice = move || match session.state() {
        SessionState::SignedOut { notice: Some(n) } => Some(view! { <p role="status" class="notice">{n}</p> }),
        _ => None,
    };
    let button_text = move || {
        if busy.get() {
            "Signing in…".to_string()
        } else if let Some(ms) = wait_ms() {
            format!("Sign in (wait {})", age_text(ms + 999))
        } else {
            "Sign in".to_string()
        }
    };
    // Whether this console runs on a simulated estate, known before anyone signs in.
    let demo = RwSignal::new(false);
    spawn_local(async move {
        if let Ok(info) = api::info().await {
            demo.set(info.demo);
        }
    });
    view! {
        <header class="topbar">
            <span class="brand">"rdqm-console"</span>
            <Show when=move || demo.get()>
                <span class="demo-badge" title="The console runs on an in-process simulated estate, not on real hosts">
                    "DEMO — simulated estate"
                </span>
            </Show>
        </header>
        <main id="main" class="sign-in">
            <h1>"Sign in"</h1>
            <p class="lead">"IBM MQ RDQM HA/DR console. Sign in with your directory (LDAP) account."</p>
            {notice}
            <form on:submit=submit>
                <label for="username">"User name"</label>
                <input id="username" name="username" type="text" autocomplete="username" required=true bind:value=username />
                <label for="password">"Password"</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required=true bind:value=password />
                <button type="submit" class="primary" disabled=move || busy.get() || wait_ms().is_some()>{button_text}</button>
            </form>
            {move || failure.get().map(|f| {
                let retry = f.retry_at_ms.map(|_| move || match wait_ms() {
                    Some(ms) => format!("Try again in {}.", age_text(ms + 999)),
                    None => "You can try again now.".to_string(),
                });
                view! {
                    <div role="alert" class="alert tone-bad">
                        <p class="alert-title"><span aria-hidden="true">"✖ "</span>{f.title}</p>
                        <p>{f.message} " " {retry}</p>
                    </div>
                }
            })}
        </main>
    }
}
