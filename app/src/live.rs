//! The estate as the browser last heard it: the snapshot the event stream sent whole, kept up
//! to date with the changes it sends after (a change that does not follow the snapshot held
//! fetches the whole again), the runs of workflows (listed at sign-in, then every change the
//! stream reports), the state of that stream, the store the console instances share (polled
//! every few seconds), and a clock that ticks every second so every age on screen stays true.

use crate::api::{self, EstateStream, StreamEvent};
use crate::session::{Session, SessionStatus};
use leptos::prelude::*;
use leptos::task::spawn_local;
use model::api_error::ErrorCode;
use model::estate::Snapshot;
use model::estate_delta::{self, EstateDelta};
use model::instance::StoreStatus;
use model::run::Run;
use std::sync::Arc;
use std::time::Duration;

/// Data older than this (or than three refresh gaps, if longer) is called out as overdue.
const OVERDUE_MIN_MS: u64 = 10_000;
/// How long to wait before reopening a stream the browser gave up on.
const REOPEN_AFTER: Duration = Duration::from_secs(3);
/// How often the store's state (`GET /api/store`) is read while someone is signed in.
const STORE_POLL: Duration = Duration::from_secs(5);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkState {
    Connecting,
    Live,
    /// No update since the stream failed at `since_ms` (server clock).
    Lost { since_ms: u64 },
}

#[derive(Clone, Copy)]
pub struct Live {
    pub snapshot: RwSignal<Option<Arc<Snapshot>>>,
    pub link: RwSignal<LinkState>,
    /// The server's clock as well as the browser can tell, updated every second.
    pub now_ms: RwSignal<u64>,
    /// The gap between the last two refreshes: how often data should arrive.
    pub refresh_gap_ms: RwSignal<Option<u64>>,
    /// Something about the stream the user should know (an unreadable update, a failed reopen).
    pub problem: RwSignal<Option<String>>,
    /// Runs as last heard, newest first.
    pub runs: RwSignal<Vec<Run>>,
    /// Why the list of runs could not be read, if it could not.
    pub runs_problem: RwSignal<Option<String>>,
    /// This console instance, the others and whether workflows can run here, as last heard;
    /// `None` until heard (and for a server that does not say).
    pub store: RwSignal<Option<StoreView>>,
    /// A read of the store's state is in flight (one at a time).
    store_polling: StoredValue<bool>,
    /// The whole estate is being fetched again (after a change that did not fit): changes
    /// that arrive meanwhile are left to it.
    reloading: StoredValue<bool>,
}

/// The store's state as last heard, with the instances last listed when this read could not
/// list them (a store without quorum cannot): the other consoles are still worth naming.
#[derive(Clone, Debug, PartialEq)]
pub struct StoreView {
    pub status: StoreStatus,
    /// The instances are those of an earlier read, not of this one.
    pub instances_remembered: bool,
}

impl StoreView {
    /// Takes a new read; an empty list of instances keeps the last one heard.
    pub fn next(previous: Option<&StoreView>, mut status: StoreStatus) -> StoreView {
        let earlier = previous.map(|p| &p.status.instances).filter(|list| !list.is_empty());
        match earlier {
            Some(list) if status.instances.is_empty() => {
                status.instances = list.clone();
                StoreView { status, instances_remembered: true }
            }
            _ => StoreView { status, instances_remembered: false },
        }
    }

    /// The other instances (not this one), by name.
    pub fn others(&self) -> Vec<&model::instance::InstanceInfo> {
        let this = &self.status.this.instance;
        let mut others: Vec<_> = self.status.instances.iter().filter(|i| i.instance != *this).collect();
        others.sort_by(|a, b| a.instance.cmp(&b.instance));
        others.dedup_by(|a, b| a.instance == b.instance);
        others
    }

    /// The instance that leads (approval expiry, scheduled drills), by name.
    pub fn leader(&self) -> Option<&str> {
        self.status.leader.as_deref().map(model::instance::InstanceInfo::instance_of)
    }

    /// Whether this is one console of several (a shared etcd store): only then is there
    /// anything to say about instances.
    pub fn shared(&self) -> bool {
        self.status.kind == model::instance::StoreKind::Etcd || self.status.instances.len() > 1
    }
}

/// How far a run has got: a later report of a run never gives way to an earlier one (a slow
/// answer to `GET` must not undo what the stream already said).
fn progress(run: &Run) -> (u64, usize, usize, bool) {
    let finished = run.steps.iter().chain(&run.undo).filter(|s| s.finished_at.is_some()).count();
    (run.updated_at, finished, run.undo.len(), run.state.is_final())
}

type StreamSlot = StoredValue<Option<EstateStream>, LocalStorage>;

impl Live {
    /// Takes a snapshot from the stream or from "Refresh now"; never goes back in time.
    pub fn accept(&self, snapshot: Snapshot) {
        let previous = self.snapshot.with_untracked(|s| s.as_ref().map(|s| s.polled_at));
        if previous.is_some_and(|p| p > snapshot.polled_at) {
            return;
        }
        if let Some(p) = previous.filter(|p| snapshot.polled_at > *p) {
            self.refresh_gap_ms.set(Some(snapshot.polled_at - p));
        }
        self.snapshot.set(Some(Arc::new(snapshot)));
    }

    /// Takes a change from the stream: applied to the snapshot held when it follows it (a
    /// heartbeat moves the refresh's time on), ignored when what is held is already newer
    /// (from "Refresh now"), and otherwise the whole estate is fetched again.
    pub fn accept_delta(self, delta: EstateDelta) {
        if self.reloading.get_value() {
            return;
        }
        let Some(held) = self.snapshot.get_untracked() else {
            self.reload();
            return;
        };
        if held.version != delta.from_version && held.version >= delta.version {
            return;
        }
        let mut next = Snapshot::clone(&held);
        match estate_delta::apply(&mut next, &delta) {
            Ok(()) => {
                if next.polled_at > held.polled_at {
                    self.refresh_gap_ms.set(Some(next.polled_at - held.polled_at));
                }
                self.snapshot.set(Some(Arc::new(next)));
            }
            Err(_) => self.reload(),
        }
    }

    /// Fetches the whole estate again (one fetch at a time).
    fn reload(self) {
        if self.reloading.get_value() {
            return;
        }
        self.reloading.set_value(true);
        spawn_local(async move {
            match api::estate().await {
                Ok(snapshot) => self.accept(snapshot),
                Err(e) if e.is(ErrorCode::Unauthorized) => {}
                Err(e) => self.problem.set(Some(format!("the estate could not be read again: {}", e.message))),
            }
            self.reloading.set_value(false);
        });
    }

    /// How old the data on screen is, in ms.
    pub fn age_ms(&self) -> Option<u64> {
        let now = self.now_ms.get();
        self.snapshot.with(|s| s.as_ref().map(|s| now.saturating_sub(s.polled_at)))
    }

    /// How often refreshes should arrive: the console's poll interval, as the snapshot says,
    /// or else the gap seen between the last two.
    pub fn interval_ms(&self) -> Option<u64> {
        let configured = self.snapshot.with(|s| s.as_ref().map(|s| s.poll_interval_ms).filter(|ms| *ms > 0));
        configured.or_else(|| self.refresh_gap_ms.get())
    }

    /// How old data may get before it is called overdue.
    pub fn overdue_after_ms(&self) -> u64 {
        self.interval_ms().map_or(OVERDUE_MIN_MS, |gap| (gap * 3).max(OVERDUE_MIN_MS))
    }

    /// Takes a run from the stream or from a request, unless what is known of it is newer.
    pub fn accept_run(&self, run: Run) {
        self.runs.maybe_update(|runs| match runs.iter_mut().find(|r| r.id == run.id) {
            Some(known) if *known == run || progress(&run) < progress(known) => false,
            Some(known) => {
                *known = run;
                true
            }
            None => {
                let at = runs.iter().position(|r| r.created_at < run.created_at).unwrap_or(runs.len());
                runs.insert(at, run);
                true
            }
        });
    }

    /// Reads the list of runs again (at sign-in, and after the stream was lost).
    pub fn load_runs(self) {
        spawn_local(async move {
            match api::runs().await {
                Ok(runs) => {
                    self.runs_problem.set(None);
                    for run in runs {
                        self.accept_run(run);
                    }
                }
                Err(e) => self.runs_problem.set(Some(format!("the list of runs could not be read: {}", e.message))),
            }
        });
    }

    /// Reads the store's state (every few seconds, and at once after a request was refused
    /// because the store cannot be written). A server without `/api/store` says nothing.
    pub fn poll_store(self) {
        if self.store_polling.get_value() {
            return;
        }
        self.store_polling.set_value(true);
        spawn_local(async move {
            match api::store_status().await {
                Ok(status) => {
                    let next = self.store.with_untracked(|previous| StoreView::next(previous.as_ref(), status));
                    // Unchanged, nothing on screen is touched.
                    self.store.maybe_update(|known| {
                        let changed = known.as_ref() != Some(&next);
                        if changed {
                            *known = Some(next);
                        }
                        changed
                    });
                }
                Err(e) if e.is(ErrorCode::NotFound) => self.store.set(None),
                // Unreachable or refused: the stream's own banner says so; what was heard stays.
                Err(_) => {}
            }
            self.store_polling.set_value(false);
        });
    }

    /// The data is older than refreshes should allow.
    pub fn is_overdue(&self) -> bool {
        self.age_ms().is_some_and(|age| age > self.overdue_after_ms())
    }

    pub fn is_lost(&self) -> bool {
        matches!(self.link.get(), LinkState::Lost { .. })
    }

    fn mark_lost(&self) {
        if !matches!(self.link.get_untracked(), LinkState::Lost { .. }) {
            self.link.set(LinkState::Lost { since_ms: api::server_now_ms() });
        }
    }

    fn reset(&self) {
        self.snapshot.set(None);
        self.refresh_gap_ms.set(None);
        self.problem.set(None);
        self.runs.set(Vec::new());
        self.runs_problem.set(None);
        self.store.set(None);
        self.link.set(LinkState::Connecting);
    }
}

pub fn use_live() -> Live {
    expect_context::<Live>()
}

/// Creates the live estate for the whole app: the stream is open exactly while someone is
/// signed in (one stream, whatever page is shown), and the clock always ticks.
pub fn provide_live(session: Session) -> Live {
    let live = Live {
        snapshot: RwSignal::new(None),
        link: RwSignal::new(LinkState::Connecting),
        now_ms: RwSignal::new(api::server_now_ms()),
        refresh_gap_ms: RwSignal::new(None),
        problem: RwSignal::new(None),
        runs: RwSignal::new(Vec::new()),
        runs_problem: RwSignal::new(None),
        store: RwSignal::new(None),
        store_polling: StoredValue::new(false),
        reloading: StoredValue::new(false),
    };
    provide_context(live);
    let slot: StreamSlot = StoredValue::new_local(None);
    Effect::new(move |_| {
        if session.status() == SessionStatus::SignedIn {
            open_stream(live, slot, session);
            live.load_runs();
            live.poll_store();
        } else {
            slot.set_value(None);
            live.reset();
        }
    });
    set_interval(move || live.now_ms.set(api::server_now_ms()), Duration::from_secs(1));
    set_interval(
        move || {
            if session.status_untracked() == SessionStatus::SignedIn {
                live.poll_store();
            }
        },
        STORE_POLL,
    );
    live
}

fn open_stream(live: Live, slot: StreamSlot, session: Session) {
    let stream = EstateStream::open(move |event| match event {
        StreamEvent::Snapshot(snapshot) => {
            live.accept(*snapshot);
            live.link.set(LinkState::Live);
            live.problem.set(None);
        }
        StreamEvent::Delta(delta) => {
            live.accept_delta(*delta);
            live.link.set(LinkState::Live);
            live.problem.set(None);
        }
        StreamEvent::Run(run) => live.accept_run(*run),
        StreamEvent::Undecodable(reason) => {
            live.problem.set(Some(format!("an update from the server could not be read: {reason}")));
        }
        StreamEvent::Interrupted => live.mark_lost(),
        StreamEvent::Closed => {
            live.mark_lost();
            // Not from inside the stream's own callback: dropping it there would free the
            // closure that is running.
            set_timeout(move || reopen(live, slot, session), REOPEN_AFTER);
        }
    });
    match stream {
        Ok(stream) => slot.set_value(Some(stream)),
        Err(e) => {
            live.mark_lost();
            live.problem.set(Some(e.message));
            set_timeout(move || reopen(live, slot, session), REOPEN_AFTER);
        }
    }
}

/// The browser gave up on the stream: find out why (a 401 signs the user out through the API
/// module), take the current snapshot if there is one, and open a new stream.
fn reopen(live: Live, slot: StreamSlot, session: Session) {
    slot.set_value(None);
    spawn_local(async move {
        match api::estate().await {
            Ok(snapshot) => {
                live.accept(snapshot);
                // Changes to runs while the stream was down were not heard: read them again.
                live.load_runs();
            }
            Err(e) if e.is(ErrorCode::Unauthorized) => return,
            Err(e) => live.problem.set(Some(format!("reconnecting failed: {}", e.message))),
        }
        if session.status_untracked() == SessionStatus::SignedIn {
            open_stream(live, slot, session);
        }
    });
}
