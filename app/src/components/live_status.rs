//! How fresh the data on screen is: a ticking age in the header, and a banner when the stream
//! is lost or refreshes are overdue. Ages tick in place; nothing else re-renders each second.

use crate::clock::{age_text, time_of_day};
use crate::live::{LinkState, use_live};
use leptos::prelude::*;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Freshness {
    Waiting,
    Live,
    /// The stream is up but no new refresh has arrived for too long.
    Overdue,
    Reconnecting,
}

#[component]
pub fn LiveIndicator() -> impl IntoView {
    let live = use_live();
    let freshness = Memo::new(move |_| match (live.link.get(), live.snapshot.with(Option::is_some)) {
        (LinkState::Lost { .. }, _) => Freshness::Reconnecting,
        (_, false) => Freshness::Waiting,
        (_, true) if live.is_overdue() => Freshness::Overdue,
        (_, true) => Freshness::Live,
    });
    let age = move || live.age_ms().map(age_text).unwrap_or_default();
    let polled = move || live.snapshot.with(|s| s.as_ref().map(|s| format!("estate as of {}", time_of_day(s.polled_at))));
    move || match freshness.get() {
        Freshness::Waiting => view! { <p class="live-indicator tone-unknown">"○ Connecting to live updates…"</p> }.into_any(),
        Freshness::Live => view! {
            <p class="live-indicator tone-good" title=polled>
                <span aria-hidden="true">"● "</span>"Live · last updated " {age} " ago"
            </p>
        }
        .into_any(),
        Freshness::Overdue => view! {
            <p class="live-indicator tone-warn" title=polled>
                <span aria-hidden="true">"⚠ "</span>"Data overdue · last updated " {age} " ago"
            </p>
        }
        .into_any(),
        Freshness::Reconnecting => view! {
            <p class="live-indicator tone-bad" title=polled>
                <span aria-hidden="true">"⚠ "</span>"Reconnecting · last updated " {age} " ago"
            </p>
        }
        .into_any(),
    }
}

#[component]
pub fn LiveBanner() -> impl IntoView {
    let live = use_live();
    let lost = Memo::new(move |_| live.is_lost());
    let overdue = Memo::new(move |_| live.is_overdue());
    let age = move || live.age_ms().map(age_text).unwrap_or_else(|| "unknown".into());
    let as_of = move || {
        live.snapshot.with(|s| match s {
            Some(s) => format!("Everything below is as of {} ({} old) and may no longer be true.", time_of_day(s.polled_at), age()),
            None => "No estate data has arrived yet.".to_string(),
        })
    };
    let lost_for = move || match live.link.get() {
        LinkState::Lost { since_ms } => age_text(live.now_ms.get().saturating_sub(since_ms)),
        _ => String::new(),
    };
    let gap = move || live.interval_ms().map(|g| format!(" (refreshes normally arrive every {})", age_text(g))).unwrap_or_default();
    view! {
        <Show when=move || lost.get()>
            <div class="banner tone-bad" role="alert">
                <strong>"⚠ Live updates lost — reconnecting"</strong>
                " (for " {lost_for} "). " {as_of}
            </div>
        </Show>
        <Show when=move || overdue.get() && !lost.get()>
            <div class="banner tone-warn" role="alert">
                <strong>"⚠ No new estate data for " {age}</strong>
                {gap} ". " {as_of}
            </div>
        </Show>
        {move || live.problem.get().map(|p| view! { <div class="banner tone-warn" role="alert">"⚠ " {p}</div> })}
        {move || {
            live.runs_problem.get().map(|p| view! { <div class="banner tone-warn" role="alert">"⚠ " {p} "; the runs and approvals shown may be incomplete."</div> })
        }}
    }
}
