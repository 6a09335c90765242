//! `/drills`: every DR drill the console has a report of, newest first: when, which queue
//! manager, planned or unplanned and to where, how it ended, the outage clients saw (RTO) and
//! what the ledger found, who ran it and who approved it. Each row opens its report.

use crate::api;
use crate::checks::Tone;
use crate::clock::date_time;
use crate::components::badge::Badge;
use crate::components::page::Page;
use crate::pages::drill::{Unreadable, approved_text, ledger_cell, read_failure, seconds_text};
use crate::router::encode;
use crate::words::run_look;
use leptos::prelude::*;
use model::drill::DrillReport;
use std::sync::Arc;

#[component]
fn DrillRow(report: DrillReport) -> impl IntoView {
    let r = report;
    let (word, _, tone) = run_look(r.state);
    let href = format!("/drills/{}", encode(&r.run_id));
    let kind = if r.unplanned { "Unplanned failover" } else { "Planned switchover" };
    // "1.8 s" stays on one line in its narrow column.
    let rto = r.rto_ms.map_or_else(|| "not measured".to_string(), |ms| seconds_text(ms).replace(' ', "\u{a0}"));
    let lost = r.ledger.as_ref().is_some_and(|l| l.lost > 0);
    let ledger = ledger_cell(r.ledger.as_ref());
    let approved = approved_text(&r);
    view! {
        <tr>
            <th scope="row"><a href=href>{date_time(r.started_at)}</a></th>
            <td>{r.qmgr}</td>
            <td>{kind}</td>
            <td>{r.to_region}</td>
            <td><Badge tone=tone text=word /></td>
            <td>{rto}</td>
            <td>{if lost { view! { <Badge tone=Tone::Bad text=ledger /> }.into_any() } else { ledger.into_any() }}</td>
            <td>{r.requested_by}</td>
            <td>{approved}</td>
        </tr>
    }
}

#[component]
fn DrillTable(reports: Arc<Vec<DrillReport>>) -> impl IntoView {
    if reports.is_empty() {
        return view! {
            <p class="notice">
                <strong>"No drill has run yet. "</strong>
                "To start one, open a queue manager's page (from the estate) and choose “DR drill to …” under Actions. "
                "The drill puts numbered messages through MQIPT, moves the queue manager to the other region as a switchover "
                "(or a failover) would, gets the messages back, and reports here the outage clients saw (RTO) and what was lost (RPO)."
            </p>
        }
        .into_any();
    }
    let rows: Vec<DrillReport> = reports.to_vec();
    view! {
        <table class="data runs-table">
            <caption>"Every drill with a report, newest first; each opens its report"</caption>
            <thead>
                <tr>
                    <th scope="col">"Started"</th>
                    <th scope="col">"Queue manager"</th>
                    <th scope="col">"Kind"</th>
                    <th scope="col">"To region"</th>
                    <th scope="col">"Outcome"</th>
                    <th scope="col">"RTO"</th>
                    <th scope="col">"Ledger: confirmed/committed"</th>
                    <th scope="col">"Run by"</th>
                    <th scope="col">"Approved by"</th>
                </tr>
            </thead>
            <tbody>
                <For
                    each=move || rows.clone()
                    key=|r| (r.run_id.clone(), r.finished_at)
                    children=|r| view! { <DrillRow report=r /> }
                />
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
pub fn DrillsPage() -> impl IntoView {
    // Read afresh on every visit: a report is stored when its drill's run ends.
    let reports: LocalResource<Result<Arc<Vec<DrillReport>>, Unreadable>> =
        LocalResource::new(|| async { api::drills().await.map(Arc::new).map_err(|e| read_failure("the drill reports", &e)) });
    let unreadable = |errors: ArcRwSignal<Errors>| {
        let messages = move || errors.with(|errors| errors.iter().map(|(_, e)| e.to_string()).collect::<Vec<_>>().join("; "));
        view! { <p role="alert" class="alert tone-bad">"✖ " {messages}</p> }
    };
    view! {
        <Page title="DR drills".to_string()>
            <div class="page-head">
                <h1>"DR drills"</h1>
            </div>
            <p class="muted">
                "A drill rehearses a DR switchover or failover with a client's proof: the messages it put before the cut, "
                "what came back after, and how long clients could not connect. Its report is kept for auditors."
            </p>
            <Suspense fallback=|| view! { <p role="status" class="waiting">"Reading the drill reports…"</p> }>
                <ErrorBoundary fallback=unreadable>
                    {move || Suspend::new(async move { reports.await.map(|r| view! { <DrillTable reports=r /> }) })}
                </ErrorBoundary>
            </Suspense>
        </Page>
    }
}
