//! `/drills/{run_id}`: one DR drill's report, as the console stored it when the drill's run
//! ended: the outcome, RTO and RPO, the ledger of messages and what became of each, every
//! step as it ran, and the queue manager before and after. The same report as a document to
//! keep (downloaded from the server) or printed from here. Read-only: viewers read it too.

use crate::api::{self, ApiError, server_now_ms};
use crate::checks::Tone;
use crate::clock::{age_text, date_time, time_of_day};
use crate::components::badge::Badge;
use crate::components::data_table::{DataTable, TextRow};
use crate::components::page::Page;
use crate::router::encode;
use crate::words::{run_look, step_look};
use leptos::prelude::*;
use model::api_error::ErrorCode;
use model::drill::{DrillReport, Fate, Ledger, SideSummary, TimelineEntry};
use model::plan::Intent;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// How long after its run ended a drill's report may still be on its way: the console reads
/// the estate once more (the "after" of the report) before it stores it.
const WRITING_MS: u64 = 60_000;

/// Why there is no report to show, in words (what the error boundary shows).
#[derive(Clone, Debug, PartialEq)]
pub struct Unreadable(pub String);

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Unreadable {}

/// A failed read of `what` ("the drill reports", "the drill report"), by the API's code.
pub fn read_failure(what: &str, e: &ApiError) -> Unreadable {
    Unreadable(match e.code {
        None if e.unanswered() => format!("{} could not be read: {}.", capitalized(what), e.message),
        Some(ErrorCode::NotFound) => format!("There is no such {} ({}).", what.trim_start_matches("the "), e.message),
        Some(ErrorCode::Forbidden) => format!("The server refused to show {what}: {}.", e.message),
        _ => format!("{} could not be read (HTTP {}): {}.", capitalized(what), e.status, e.message),
    })
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// "planned switchover" or "unplanned failover".
pub fn kind_text(unplanned: bool) -> &'static str {
    if unplanned { "unplanned failover" } else { "planned switchover" }
}

/// "DR drill of DRHAQM1: planned switchover to DAL".
pub fn heading(r: &DrillReport) -> String {
    format!("DR drill of {}: {} to {}", r.qmgr, kind_text(r.unplanned), r.to_region)
}

/// "12.3 s"; past a minute, "83.2 s (1 min 23 s)".
pub fn seconds_text(ms: u64) -> String {
    let secs = format!("{:.1} s", ms as f64 / 1000.0);
    if ms < 60_000 { secs } else { format!("{secs} ({})", age_text(ms)) }
}

/// How long a step took: "30 ms" under a second (as the run's page says), else in seconds.
pub fn took_text(ms: u64) -> String {
    if ms < 1000 { format!("{ms} ms") } else { seconds_text(ms) }
}

/// The outage clients saw, or why it was not measured.
pub fn rto_text(r: &DrillReport) -> String {
    match r.rto_ms {
        Some(ms) => format!("{}: from the cut to the first client connection through MQIPT in {}", seconds_text(ms), r.to_region),
        None => "not measured: clients did not get back through MQIPT".to_string(),
    }
}

/// The data lost, counted in committed messages, or why it was not measured.
pub fn rpo_text(r: &DrillReport) -> String {
    match &r.ledger {
        Some(l) => {
            let lost = format!("{} of {} committed messages lost", l.lost, l.committed);
            match l.in_doubt {
                0 => lost,
                n => format!("{lost} ({n} more put but their commit never reported: in doubt, not counted)"),
            }
        }
        None => "not measured: the ledger was not got back".to_string(),
    }
}

/// The ledger in a list's cell: "50/50, lost 0".
pub fn ledger_cell(ledger: Option<&Ledger>) -> String {
    match ledger {
        Some(l) => format!("{}/{}, lost {}", l.confirmed, l.committed, l.lost),
        None => "not got back".to_string(),
    }
}

/// Who approved: a planned drill needs nobody.
pub fn approved_text(r: &DrillReport) -> String {
    match (&r.approved_by, r.unplanned) {
        (Some(who), _) => who.clone(),
        (None, false) => "not required (a planned drill)".to_string(),
        (None, true) => "nobody".to_string(),
    }
}

pub fn fate_word(fate: Fate) -> &'static str {
    match fate {
        Fate::Confirmed => "Confirmed",
        Fate::Lost => "Lost: committed before the cut, not got back",
        Fate::Duplicated => "Duplicated: got back more than once",
        Fate::Unexpected => "Unexpected: got back, never committed by the drill",
    }
}

/// The ledger's counts, each with what it means; counts that show a problem are marked.
fn ledger_rows(l: &Ledger, to_region: &str) -> Vec<TextRow> {
    let row = |problem: bool, name: &str, n: u32, meaning: String| TextRow::problem(problem, vec![name.to_string(), n.to_string(), meaning]);
    vec![
        row(false, "Committed", l.committed, "put through MQIPT before the cut, each batch's commit reported by rdqmput".into()),
        row(false, "In doubt", l.in_doubt, "put, but the client was cut off before its commit was reported; not counted as lost".into()),
        row(false, "Got back", l.got, format!("got by amqsgetc through MQIPT from {to_region} after the cut")),
        row(false, "Confirmed", l.confirmed, "committed and got back".into()),
        row(l.lost > 0, "Lost", l.lost, "committed and never got back".into()),
        row(l.duplicated > 0, "Duplicated", l.duplicated, "extra copies got back of a message".into()),
        row(l.unexpected > 0, "Unexpected", l.unexpected, "got back but never committed by the drill".into()),
        row(false, "Found on the queue before", l.found_before, "emptied before the ledger was put; not the drill's".into()),
    ]
}

/// One region's row: region, DR role, DR status, out of sync data, where it runs.
fn side_row(s: &SideSummary) -> TextRow {
    let unknown = || "unknown".to_string();
    let not_reported = || "not reported".to_string();
    let region = if s.stale { format!("{} (no node answered: last known)", s.region) } else { s.region.clone() };
    let running_on = s.running_on.clone().unwrap_or_else(|| if s.stale { "unknown".into() } else { "not running".into() });
    TextRow::new(vec![
        region,
        s.dr_role.as_ref().map_or_else(unknown, ToString::to_string),
        s.dr_status.clone().unwrap_or_else(unknown),
        s.dr_out_of_sync_kb.map_or_else(not_reported, |kb| format!("{kb} KB")),
        running_on,
    ])
}

async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// The report; when there is none yet, its run says whether one is coming: a drill that has
/// just ended gets its report within seconds, so it is asked for again meanwhile.
async fn load(id: &str, alive: &AtomicBool) -> Result<Arc<DrillReport>, Unreadable> {
    loop {
        let missing = match api::drill(id).await {
            Ok(report) => return Ok(Arc::new(report)),
            Err(e) if e.is(ErrorCode::NotFound) => e,
            Err(e) => return Err(read_failure("the drill report", &e)),
        };
        let run = match api::run(id).await {
            Ok(run) => run,
            Err(e) if e.is(ErrorCode::NotFound) => return Err(read_failure("the drill report", &missing)),
            Err(e) => return Err(read_failure("the drill report", &e)),
        };
        if !matches!(run.intent, Intent::DrDrill { .. }) {
            return Err(Unreadable(format!("Run {id} is not a DR drill ({}): it has no drill report.", run.intent.describe())));
        }
        if !run.state.is_final() {
            let state = run_look(run.state).0.to_lowercase();
            return Err(Unreadable(format!("This drill has not ended ({state}): its report is written when the run ends. Follow it on the run's page.")));
        }
        if server_now_ms().saturating_sub(run.updated_at) >= WRITING_MS {
            return Err(Unreadable(format!("The drill ended but no report was stored for it ({}). The run's page has every step as it ran.", missing.message)));
        }
        sleep(1000).await;
        if !alive.load(Ordering::Relaxed) {
            return Err(Unreadable("The page was left.".into()));
        }
    }
}

#[component]
pub fn DrillPage(id: String) -> impl IntoView {
    let alive = Arc::new(AtomicBool::new(true));
    on_cleanup({
        let alive = Arc::clone(&alive);
        move || alive.store(false, Ordering::Relaxed)
    });
    let run_href = format!("/runs/{}", encode(&id));
    let id = StoredValue::new(id);
    let report: LocalResource<Result<Arc<DrillReport>, Unreadable>> = LocalResource::new(move || {
        let alive = Arc::clone(&alive);
        let id = id.get_value();
        async move { load(&id, &alive).await }
    });
    let title = Signal::derive(move || report.get().and_then(Result::ok).map_or_else(|| "DR drill report".to_string(), |r| heading(&r)));
    let unreadable = |errors: ArcRwSignal<Errors>| {
        let messages = move || errors.with(|errors| errors.iter().map(|(_, e)| e.to_string()).collect::<Vec<_>>().join("; "));
        view! { <p role="alert" class="alert tone-bad">"✖ " {messages}</p> }
    };
    view! {
        <Page title=title>
            <div class="page-head">
                <h1>{move || title.get()}</h1>
                <a href=run_href.clone()>"The run, step by step"</a>
                <a href="/drills">"All drills"</a>
            </div>
            <Suspense fallback=|| view! { <p role="status" class="waiting">"Reading the drill report (a drill that has just ended has it within seconds)…"</p> }>
                <ErrorBoundary fallback=unreadable>
                    {move || Suspend::new(async move { report.await.map(|r| view! { <ReportView report=r /> }) })}
                </ErrorBoundary>
            </Suspense>
        </Page>
    }
}

#[component]
fn ReportView(report: Arc<DrillReport>) -> impl IntoView {
    let r = report;
    let (word, glyph, tone) = run_look(r.state);
    let took = age_text(r.finished_at.saturating_sub(r.started_at));
    let document = api::drill_document_url(&r.run_id);
    let print = move |_| {
        let _ = window().print();
    };
    let lost = r.ledger.as_ref().is_some_and(|l| l.lost > 0);
    view! {
        <section aria-labelledby="summary-heading">
            <h2 id="summary-heading">"Summary"</h2>
            <div class=format!("outcome-box {}", tone.class())>
                <p class="outcome-state"><span aria-hidden="true">{glyph} " "</span>{word}</p>
                <p class="outcome-message">{r.outcome.clone().unwrap_or_default()}</p>
            </div>
            <dl class="facts">
                <dt>"RTO"</dt>
                <dd>{rto_text(&r)}</dd>
                <dt>"RPO"</dt>
                <dd>
                    {if lost { view! { <Badge tone=Tone::Bad text=rpo_text(&r) /> }.into_any() } else { rpo_text(&r).into_any() }}
                </dd>
                <dt>"DR out of sync data at the cut"</dt>
                <dd>{r.dr_out_of_sync_kb_at_cut.map_or_else(|| "not read".to_string(), |kb| format!("{kb} KB"))}</dd>
                <dt>"Ledger"</dt>
                <dd>{format!("{} messages put through MQIPT before the cut, got back through MQIPT from {} after it", r.messages, r.to_region)}</dd>
                <dt>"Run by"</dt>
                <dd>{r.requested_by.clone()}</dd>
                <dt>"Approved by"</dt>
                <dd>{approved_text(&r)}</dd>
                <dt>"Started"</dt>
                <dd>{date_time(r.started_at)}</dd>
                <dt>"Ended"</dt>
                <dd>{format!("{} (took {took})", date_time(r.finished_at))}</dd>
                <dt>"Run id"</dt>
                <dd><code>{r.run_id.clone()}</code></dd>
            </dl>
            <div class="action">
                <a href=document download="">"Download the report (HTML)"</a>
                <button type="button" on:click=print>"Print"</button>
                <span class="reason">"The download is the report as stored, with its SHA-256 as recorded in the audit log."</span>
            </div>
        </section>
        <LedgerView report=Arc::clone(&r) />
        <Timeline entries=r.timeline.clone() />
        <section aria-labelledby="sides-heading">
            <h2 id="sides-heading">{format!("{} before and after", r.qmgr)}</h2>
            // Side by side where the page is wide enough (the routes page's grid).
            <div class="property-grid">
                <DataTable
                    caption=format!("Before: {} in each region when the drill was planned", r.qmgr)
                    columns=&["Region", "DR role", "DR status", "DR out of sync data", "Running on"]
                    rows=r.before.iter().map(side_row).collect()
                />
                <DataTable
                    caption=format!("After: {} in each region when the console read the estate again after the drill", r.qmgr)
                    columns=&["Region", "DR role", "DR status", "DR out of sync data", "Running on"]
                    rows=r.after.iter().map(side_row).collect()
                />
            </div>
        </section>
    }
}

#[component]
fn LedgerView(report: Arc<DrillReport>) -> impl IntoView {
    let body = match report.ledger.clone() {
        None => view! {
            <p class="muted">"Not measured: the run stopped before the ledger was put and got back (see the timeline)."</p>
        }
        .into_any(),
        Some(ledger) => {
            let rows = ledger_rows(&ledger, &report.to_region);
            let exceptions: Vec<(usize, String, Fate)> = ledger.exceptions.into_iter().enumerate().map(|(i, (text, fate))| (i, text, fate)).collect();
            let exceptions_view = if exceptions.is_empty() {
                view! { <p>"None: every committed message came back exactly once, and nothing else came back."</p> }.into_any()
            } else {
                view! {
                    <table class="data" aria-labelledby="exceptions-heading">
                        <thead>
                            <tr>
                                <th scope="col">"Message"</th>
                                <th scope="col">"Fate"</th>
                            </tr>
                        </thead>
                        <tbody>
                            <For
                                each=move || exceptions.clone()
                                key=|(i, _, _)| *i
                                children=|(_, text, fate)| view! {
                                    <tr class:problem=fate != Fate::Confirmed>
                                        <th scope="row"><code>{text}</code></th>
                                        <td>{fate_word(fate)}</td>
                                    </tr>
                                }
                            />
                        </tbody>
                    </table>
                }
                .into_any()
            };
            view! {
                <DataTable caption="The ledger: every message counted" columns=&["Count", "Messages", "Meaning"] rows=rows />
                <section aria-labelledby="exceptions-heading">
                    <h2 id="exceptions-heading">"Exceptions: messages not simply confirmed"</h2>
                    {exceptions_view}
                </section>
            }
            .into_any()
        }
    };
    view! {
        <section aria-labelledby="ledger-heading">
            <h2 id="ledger-heading">"Ledger"</h2>
            {body}
        </section>
    }
}

#[component]
fn Timeline(entries: Vec<TimelineEntry>) -> impl IntoView {
    view! {
        <section aria-labelledby="timeline-heading">
            <h2 id="timeline-heading">"Timeline"</h2>
            <table class="data runs-table">
                <caption>"Every step of the drill as it ran (times in this browser's time zone)"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Step"</th>
                        <th scope="col">"Host"</th>
                        <th scope="col">"Command"</th>
                        <th scope="col">"State"</th>
                        <th scope="col">"Started"</th>
                        <th scope="col">"Took"</th>
                        <th scope="col">"Verification"</th>
                    </tr>
                </thead>
                <tbody>
                    <For each=move || entries.clone() key=|t| t.index children=|t| view! { <TimelineRow entry=t /> } />
                </tbody>
            </table>
        </section>
    }
}

#[component]
fn TimelineRow(entry: TimelineEntry) -> impl IntoView {
    let t = entry;
    let (word, _, tone) = step_look(t.state);
    let took = match (t.started_at, t.finished_at) {
        // "14 ms" stays on one line in its narrow column.
        (Some(a), Some(b)) => took_text(b.saturating_sub(a)).replace(' ', "\u{a0}"),
        _ => String::new(),
    };
    view! {
        <tr>
            <th scope="row">{format!("{}. {}", t.index + 1, t.title)}</th>
            <td><code>{t.host}</code></td>
            <td><code class="command">{t.command}</code></td>
            <td><Badge tone=tone text=word /></td>
            <td>{t.started_at.map(time_of_day)}</td>
            <td>{took}</td>
            <td class="wrap">{t.verification}</td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::run::RunState;

    fn report(ledger: Option<Ledger>, rto_ms: Option<u64>, unplanned: bool) -> DrillReport {
        DrillReport {
            run_id: "r1".into(),
            qmgr: "DRHAQM1".into(),
            to_region: "DAL".into(),
            unplanned,
            messages: 50,
            requested_by: "mqadmin".into(),
            approved_by: None,
            state: RunState::Succeeded,
            outcome: None,
            started_at: 0,
            finished_at: 0,
            timeline: Vec::new(),
            rto_ms,
            dr_out_of_sync_kb_at_cut: Some(0),
            rpo_messages: None,
            ledger,
            before: Vec::new(),
            after: Vec::new(),
        }
    }

    fn ledger(committed: u32, in_doubt: u32, lost: u32) -> Ledger {
        Ledger { committed, in_doubt, confirmed: committed - lost, lost, got: committed - lost, ..Ledger::default() }
    }

    #[test]
    fn the_heading_names_the_kind_of_drill() {
        assert_eq!(heading(&report(None, None, false)), "DR drill of DRHAQM1: planned switchover to DAL");
        assert_eq!(heading(&report(None, None, true)), "DR drill of DRHAQM1: unplanned failover to DAL");
    }

    #[test]
    fn rpo_counts_committed_messages_lost() {
        assert_eq!(rpo_text(&report(Some(ledger(50, 0, 0)), None, false)), "0 of 50 committed messages lost");
        assert_eq!(
            rpo_text(&report(Some(ledger(48, 2, 3)), None, true)),
            "3 of 48 committed messages lost (2 more put but their commit never reported: in doubt, not counted)"
        );
        assert_eq!(rpo_text(&report(None, None, false)), "not measured: the ledger was not got back");
        assert_eq!(ledger_cell(Some(&ledger(50, 0, 1))), "49/50, lost 1");
        assert_eq!(ledger_cell(None), "not got back");
    }

    #[test]
    fn rto_is_in_seconds() {
        assert_eq!(seconds_text(12_345), "12.3 s");
        assert_eq!(seconds_text(83_200), "83.2 s (1 min 23 s)");
        assert_eq!(took_text(30), "30 ms");
        assert_eq!(took_text(1_500), "1.5 s");
        assert_eq!(rto_text(&report(None, Some(4_000), false)), "4.0 s: from the cut to the first client connection through MQIPT in DAL");
        assert!(rto_text(&report(None, None, false)).starts_with("not measured"));
    }

    #[test]
    fn a_planned_drill_needs_no_approver() {
        assert_eq!(approved_text(&report(None, None, false)), "not required (a planned drill)");
        assert_eq!(approved_text(&report(None, None, true)), "nobody");
        let mut approved = report(None, None, true);
        approved.approved_by = Some("mqadmin2".into());
        assert_eq!(approved_text(&approved), "mqadmin2");
    }

    #[test]
    fn lost_duplicated_and_unexpected_counts_are_marked() {
        let mut l = ledger(50, 0, 2);
        l.unexpected = 1;
        let marked: Vec<String> = ledger_rows(&l, "DAL").into_iter().filter(|r| r.problem).map(|r| r.cells[0].clone()).collect();
        assert_eq!(marked, vec!["Lost", "Unexpected"]);
    }

    #[test]
    fn a_failed_read_says_what_and_why_by_its_code() {
        let e = |code, status| ApiError { code, status, message: "m".into(), retry_after_secs: None };
        assert_eq!(read_failure("the drill report", &e(Some(ErrorCode::NotFound), 404)).0, "There is no such drill report (m).");
        assert_eq!(read_failure("the drill reports", &e(None, 0)).0, "The drill reports could not be read: m.");
        assert_eq!(read_failure("the drill reports", &e(Some(ErrorCode::Internal), 500)).0, "The drill reports could not be read (HTTP 500): m.");
    }
}
