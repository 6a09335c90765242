//! `/runs`: every run the console journaled, newest first, live: what it was for, its state in
//! words, who asked and who approved, which console instance executes it (with several
//! consoles), and its outcome.

use crate::clock::date_time;
use crate::components::badge::Badge;
use crate::components::page::Page;
use crate::components::store_status::consoles_named;
use crate::live::use_live;
use crate::pages::run::second_operator;
use crate::router::encode;
use crate::words::{owner_words, run_look};
use leptos::prelude::*;
use model::run::Run;

/// One row: when, what (the link to the run), its state in words, who asked, who approved,
/// and (with several consoles) which console executes it.
#[component]
fn RunRow(run: Run, consoles: Memo<bool>) -> impl IntoView {
    let (word, _, tone) = run_look(run.state);
    let href = format!("/runs/{}", encode(&run.id));
    let second = second_operator(&run);
    let console = owner_words(&run).unwrap_or_default();
    view! {
        <tr>
            <td>{date_time(run.created_at)}</td>
            <th scope="row"><a href=href>{run.intent.describe()}</a></th>
            <td><Badge tone=tone text=word /></td>
            <td>{run.requested_by}</td>
            <td>{second}</td>
            <Show when=move || consoles.get()>
                <td class="console">{console.clone()}</td>
            </Show>
            <td class="wrap">{run.message.unwrap_or_default()}</td>
        </tr>
    }
}

#[component]
pub fn RunsPage() -> impl IntoView {
    let live = use_live();
    // Read the list afresh on arrival; the stream keeps it current afterwards.
    live.load_runs();
    let empty = Memo::new(move |_| live.runs.with(Vec::is_empty));
    // The console column, when there are several consoles (or a run of another one).
    let consoles = Memo::new(move |_| live.store.with(|s| live.runs.with(|runs| runs.iter().any(|r| consoles_named(s.as_ref(), r.owner.as_deref())) || s.as_ref().is_some_and(|v| v.shared()))));
    view! {
        <Page title="Runs".to_string()>
            <div class="page-head">
                <h1>"Runs"</h1>
            </div>
            <Show
                when=move || !empty.get()
                fallback=|| view! { <p class="muted">"No runs yet. Actions on the queue manager and routes pages start them, after a preview."</p> }
            >
                <table class="data runs-table">
                    <caption>"Every run, newest first, updated live"</caption>
                    <thead>
                        <tr>
                            <th scope="col">"Started"</th>
                            <th scope="col">"What"</th>
                            <th scope="col">"State"</th>
                            <th scope="col">"Requested by"</th>
                            <th scope="col">"Second operator"</th>
                            <Show when=move || consoles.get()>
                                <th scope="col">"Console"</th>
                            </Show>
                            <th scope="col">"Outcome"</th>
                        </tr>
                    </thead>
                    <tbody>
                        // A row's DOM stays until what it shows of its run changes.
                        <For
                            each=move || live.runs.get()
                            key=|r| (r.id.clone(), r.updated_at, r.state as u8, r.approved_by.clone(), r.denied_by.clone(), r.message.clone(), r.owner.clone())
                            children=move |run| view! { <RunRow run=run consoles=consoles /> }
                        />
                    </tbody>
                </table>
            </Show>
        </Page>
    }
}
