//! `/runs`: every run the console journaled, newest first, live: what it was for, its state in
//! words, who asked and who approved, and its outcome.

use crate::clock::date_time;
use crate::components::page::Page;
use crate::live::use_live;
use crate::html::Html;
use crate::pages::run::second_operator;
use crate::router::encode;
use model::run::Run;
use crate::words::{intent_text, run_look};
use leptos::prelude::*;

#[derive(Clone, Debug, PartialEq)]
struct Row {
    id: String,
    html: String,
}

/// One row: when, what (the link to the run), its state in words, who asked, who approved.
fn row(run: &Run) -> Row {
    let (word, _, tone) = run_look(run.state);
    let mut h = Html::new();
    h.el("td", "", &date_time(run.created_at));
    h.open("th", &[("scope", "row")]).open("a", &[("href", &format!("/runs/{}", encode(&run.id)))]).text(&intent_text(&run.intent)).close("a").close("th");
    h.open("td", &[]).badge(tone, word).close("td");
    h.el("td", "", &run.requested_by).el("td", "", &second_operator(run));
    h.el("td", "wrap", run.message.as_deref().unwrap_or(""));
    Row { id: run.id.clone(), html: h.finish() }
}

#[component]
pub fn RunsPage() -> impl IntoView {
    let live = use_live();
    // Read the list afresh on arrival; the stream keeps it current afterwards.
    live.load_runs();
    let rows = Memo::new(move |_| live.runs.with(|runs| runs.iter().map(row).collect::<Vec<_>>()));
    view! {
        <Page title="Runs".to_string()>
            <div class="page-head">
                <h1>"Runs"</h1>
            </div>
            <Show
                when=move || !rows.with(Vec::is_empty)
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
                            <th scope="col">"Outcome"</th>
                        </tr>
                    </thead>
                    <tbody>
                        <For
                            each=move || rows.get()
                            key=|r| (r.id.clone(), r.html.clone())
                            children=|r| view! { <tr inner_html=r.html></tr> }
                        />
                    </tbody>
                </table>
            </Show>
        </Page>
    }
}
