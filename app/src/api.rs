//! Everything the app says to the server: typed requests over the shared `model` types, the
//! CSRF header on state-changing requests, the API's error shape turned into a message a person
//! can act on, and the event stream of estate snapshots.

use gloo_net::http::{Request, RequestBuilder, Response};
use model::api_error::{ErrorBody, ErrorCode};
use model::certs::CertInventory;
use model::drill::DrillReport;
use model::estate::Snapshot;
use model::estate_delta::{EVENT_DELTA, EVENT_ESTATE, EVENT_HEARTBEAT, EstateDelta};
use model::instance::StoreStatus;
use model::plan::{Intent, Plan};
use model::run::Run;
use model::session::SessionInfo;
use serde::{Deserialize, Serialize};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{Event, EventSource, MessageEvent};

/// A request that did not succeed, as the user should read it.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    /// What went wrong, from the server's error body: the app branches on this, never on the
    /// message. `None` when no such body came: the server could not be reached (`status` 0),
    /// or something other than the API answered.
    pub code: Option<ErrorCode>,
    /// The HTTP status; 0 when the server could not be reached at all.
    pub status: u16,
    pub message: String,
    /// From `Retry-After` on 429.
    pub retry_after_secs: Option<u64>,
}

/// The message, as a person reads it (what an error boundary shows).
impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ApiError {}

impl ApiError {
    fn unreachable(error: impl std::fmt::Display) -> Self {
        ApiError { code: None, status: 0, message: format!("the console server cannot be reached ({error})"), retry_after_secs: None }
    }

    /// The server said this, in its error body.
    pub fn is(&self, code: ErrorCode) -> bool {
        self.code == Some(code)
    }

    /// No answer at all: whether the request took effect is not known.
    pub fn unanswered(&self) -> bool {
        self.status == 0
    }
}

#[derive(Serialize)]
struct Credentials<'a> {
    username: &'a str,
    password: &'a str,
}

/// Told the server's message when a request comes back 401.
type UnauthorizedHandler = Rc<dyn Fn(String)>;

thread_local! {
    /// The token the server handed out with the session; sent on every state-changing request.
    static CSRF: RefCell<String> = const { RefCell::new(String::new()) };
    /// Server clock minus browser clock, from the `Date` header (0 when within a second or so).
    static CLOCK_OFFSET_MS: Cell<f64> = const { Cell::new(0.0) };
    /// Told when a request comes back 401: the session is gone, whatever page we are on.
    static ON_UNAUTHORIZED: RefCell<Option<UnauthorizedHandler>> = const { RefCell::new(None) };
}

/// Registers what to do when the server says the session is gone (once, at start-up).
pub fn on_unauthorized(handler: impl Fn(String) + 'static) {
    ON_UNAUTHORIZED.with(|h| *h.borrow_mut() = Some(Rc::new(handler)));
}

fn unauthorized(message: &str) {
    // Cloned out first: the handler may itself reach back into this module.
    let handler = ON_UNAUTHORIZED.with(|h| h.borrow().clone());
    if let Some(handler) = handler {
        handler(message.to_string());
    }
}

/// The server's "now" in ms since the epoch, as well as this browser can tell. Ages of data
/// are measured against the server's clock, because `polled_at` comes from it.
pub fn server_now_ms() -> u64 {
    let now = js_sys::Date::now() + CLOCK_OFFSET_MS.with(Cell::get);
    now.max(0.0) as u64
}

fn note_server_clock(response: &Response) {
    let Some(date) = response.headers().get("date") else { return };
    let parsed = js_sys::Date::parse(&date);
    if !parsed.is_finite() {
        return;
    }
    // `Date` has whole seconds: the server's clock was somewhere in the following second.
    let offset = parsed + 500.0 - js_sys::Date::now();
    CLOCK_OFFSET_MS.with(|c| c.set(if offset.abs() < 1500.0 { 0.0 } else { offset }));
}

fn remember(session: &SessionInfo) {
    CSRF.with(|c| c.replace(session.csrf.clone()));
}

fn with_csrf(builder: RequestBuilder) -> RequestBuilder {
    let token = CSRF.with(|c| c.borrow().clone());
    builder.header("X-CSRF-Token", &token)
}

async fn error_from(response: &Response) -> ApiError {
    let status = response.status();
    let retry_after_secs = response.headers().get("retry-after").and_then(|v| v.trim().parse().ok());
    let body = response.text().await.ok().and_then(|text| serde_json::from_str::<ErrorBody>(&text).ok());
    match body {
        Some(body) => ApiError { code: Some(body.error.code), status, message: body.error.message, retry_after_secs },
        None => ApiError { code: None, status, message: format!("the console server answered HTTP {status} {}", response.status_text()), retry_after_secs },
    }
}

/// Sends the request; a non-2xx answer becomes an [`ApiError`]. With `session_guard`, a 401
/// also ends the session in the app (every request but signing in and the start-up check).
async fn send(request: Result<Request, gloo_net::Error>, session_guard: bool) -> Result<Response, ApiError> {
    let request = request.map_err(ApiError::unreachable)?;
    let response = request.send().await.map_err(ApiError::unreachable)?;
    note_server_clock(&response);
    if response.ok() {
        return Ok(response);
    }
    let error = error_from(&response).await;
    if session_guard && error.is(ErrorCode::Unauthorized) {
        unauthorized(&error.message);
    }
    Err(error)
}

/// Sends a state-changing request built by `build`. When the server refuses the CSRF token
/// (another tab asked for the session since, which renews the token), nothing was done: the
/// token is renewed and the request sent once more.
async fn send_changing(build: &dyn Fn() -> Result<Request, gloo_net::Error>) -> Result<Response, ApiError> {
    match send(build(), true).await {
        Err(e) if e.is(ErrorCode::CsrfRejected) => {
            current_session().await?;
            send(build(), true).await
        }
        other => other,
    }
}

fn unreadable(status: u16, e: impl std::fmt::Display) -> ApiError {
    ApiError { code: None, status, message: format!("the console server's answer could not be read ({e})"), retry_after_secs: None }
}

/// The body of a successful answer, read into the server's own type.
async fn json<T: serde::de::DeserializeOwned>(response: Response) -> Result<T, ApiError> {
    let status = response.status();
    let text = response.text().await.map_err(|e| unreadable(status, e))?;
    serde_json::from_str(&text).map_err(|e| unreadable(status, e))
}

/// A request with `body` as its JSON body.
fn with_json(builder: RequestBuilder, body: &impl Serialize) -> Result<Request, gloo_net::Error> {
    let text = serde_json::to_string(body).map_err(|e| gloo_net::Error::GlooError(e.to_string()))?;
    builder.header("Content-Type", "application/json").body(text)
}

/// `POST /api/session`.
pub async fn sign_in(username: &str, password: &str) -> Result<SessionInfo, ApiError> {
    let request = with_json(Request::post("/api/session"), &Credentials { username, password });
    let session: SessionInfo = json(send(request, false).await?).await?;
    remember(&session);
    Ok(session)
}

/// `GET /api/session`: who the cookie belongs to, with a fresh CSRF token (after a reload the
/// app has lost the one it was given at sign-in).
pub async fn current_session() -> Result<SessionInfo, ApiError> {
    let session: SessionInfo = json(send(Request::get("/api/session").build(), false).await?).await?;
    remember(&session);
    Ok(session)
}

/// `DELETE /api/session`.
pub async fn sign_out() -> Result<(), ApiError> {
    send(with_csrf(Request::delete("/api/session")).build(), false).await?;
    CSRF.with(|c| c.replace(String::new()));
    Ok(())
}

/// `GET /api/estate`: the latest snapshot (503 until the first refresh has finished).
pub async fn estate() -> Result<Snapshot, ApiError> {
    json(send(Request::get("/api/estate").build(), true).await?).await
}

/// `POST /api/refresh` (operators): refresh now and return the new snapshot.
pub async fn refresh_now() -> Result<Snapshot, ApiError> {
    json(send_changing(&|| with_csrf(Request::post("/api/refresh")).build()).await?).await
}

/// `GET /api/certificates`: the certificate inventory as last read (503 when no sources are
/// configured).
pub async fn certificates() -> Result<CertInventory, ApiError> {
    json(send(Request::get("/api/certificates").build(), true).await?).await
}

/// `POST /api/certificates/refresh` (operators): read every key store again now.
pub async fn refresh_certificates() -> Result<CertInventory, ApiError> {
    json(send_changing(&|| with_csrf(Request::post("/api/certificates/refresh")).build()).await?).await
}

/// `GET /api/info`: what anyone may know before signing in.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Info {
    #[serde(default)]
    pub demo: bool,
    #[serde(default)]
    pub version: String,
}

pub async fn info() -> Result<Info, ApiError> {
    json(send(Request::get("/api/info").build(), false).await?).await
}

/// `POST /api/plans`: the plan for `intent` (its JSON is the request body as the API wants it).
pub async fn plan(intent: &Intent) -> Result<Plan, ApiError> {
    json(send_changing(&|| with_json(with_csrf(Request::post("/api/plans")), intent)).await?).await
}

/// `GET /api/plans/{id}`.
pub async fn get_plan(id: &str) -> Result<Plan, ApiError> {
    json(send(Request::get(&format!("/api/plans/{}", crate::router::encode(id))).build(), true).await?).await
}

#[derive(Serialize)]
struct Confirm<'a> {
    confirm: &'a str,
}

#[derive(Deserialize)]
struct Started {
    run_id: String,
}

/// `POST /api/plans/{id}/execute` with the typed confirmation: the new run's id.
pub async fn execute(plan_id: &str, confirm: &str) -> Result<String, ApiError> {
    let url = format!("/api/plans/{}/execute", crate::router::encode(plan_id));
    let started: Started = json(send_changing(&|| with_json(with_csrf(Request::post(&url)), &Confirm { confirm })).await?).await?;
    Ok(started.run_id)
}

/// `GET /api/runs/{id}`.
pub async fn run(id: &str) -> Result<Run, ApiError> {
    json(send(Request::get(&format!("/api/runs/{}", crate::router::encode(id))).build(), true).await?).await
}

/// `GET /api/runs`: newest first.
pub async fn runs() -> Result<Vec<Run>, ApiError> {
    json(send(Request::get("/api/runs").build(), true).await?).await
}

/// `POST /api/runs/{id}/{what}`: `approve`, `deny`, `resume` or `rollback`.
pub async fn run_action(id: &str, what: &str) -> Result<(), ApiError> {
    let url = format!("/api/runs/{}/{what}", crate::router::encode(id));
    send_changing(&|| with_csrf(Request::post(&url)).build()).await.map(|_| ())
}

#[derive(Serialize)]
struct SignedCertificate<'a> {
    pem: &'a str,
}

/// `POST /api/runs/{id}/certificate` (operators): the CA-signed certificate a rotation by
/// signing request waits for. `bad_request` carries every reason it does not fit; `conflict`
/// says the run no longer waits.
pub async fn upload_certificate(id: &str, pem: &str) -> Result<(), ApiError> {
    let url = format!("/api/runs/{}/certificate", crate::router::encode(id));
    send_changing(&|| with_json(with_csrf(Request::post(&url)), &SignedCertificate { pem })).await.map(|_| ())
}

/// `GET /api/store`: which console instance this is, the others, and whether workflows can
/// run here (the shared store can be written).
pub async fn store_status() -> Result<StoreStatus, ApiError> {
    json(send(Request::get("/api/store").build(), true).await?).await
}

/// `GET /api/drills`: every drill report, newest first.
pub async fn drills() -> Result<Vec<DrillReport>, ApiError> {
    json(send(Request::get("/api/drills").build(), true).await?).await
}

/// `GET /api/drills/{run_id}`: one drill's report (404 until its run has ended and the
/// report is stored).
pub async fn drill(run_id: &str) -> Result<DrillReport, ApiError> {
    json(send(Request::get(&format!("/api/drills/{}", crate::router::encode(run_id))).build(), true).await?).await
}

/// Where the printable report of a drill is downloaded from.
pub fn drill_document_url(run_id: &str) -> String {
    format!("/api/drills/{}/report.html", crate::router::encode(run_id))
}

/// What the event stream reports.
pub enum StreamEvent {
    /// The whole estate (event `estate`, first on every stream).
    Snapshot(Box<Snapshot>),
    /// What changed since the snapshot the stream sent last (events `estate-delta` and
    /// `estate-heartbeat`).
    Delta(Box<EstateDelta>),
    /// A run changed (event `run`).
    Run(Box<Run>),
    /// An update arrived that this app cannot read (e.g. an older app against a newer server).
    Undecodable(String),
    /// The connection dropped; the browser is reconnecting by itself.
    Interrupted,
    /// The browser gave up (e.g. the server refused the stream): reopen it ourselves.
    Closed,
}

/// `GET /api/events` as an `EventSource`: event `estate` carries a snapshot, `estate-delta`
/// and `estate-heartbeat` what changed since, event `run` a run. Closed on drop.
pub struct EstateStream {
    source: EventSource,
    _on_estate: Closure<dyn FnMut(MessageEvent)>,
    _on_delta: Closure<dyn FnMut(MessageEvent)>,
    _on_run: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(Event)>,
}

fn decode_event<T: serde::de::DeserializeOwned>(event: &MessageEvent, wrap: fn(T) -> StreamEvent) -> StreamEvent {
    match event.data().as_string() {
        Some(text) => serde_json::from_str::<T>(&text).map(wrap).unwrap_or_else(|e| StreamEvent::Undecodable(e.to_string())),
        None => StreamEvent::Undecodable("the update was not text".into()),
    }
}

impl EstateStream {
    pub fn open(handler: impl Fn(StreamEvent) + 'static) -> Result<Self, ApiError> {
        let source = EventSource::new("/api/events")
            .map_err(|e| ApiError::unreachable(format!("the event stream cannot be opened: {e:?}")))?;
        let handler = Rc::new(handler);
        let on_message = Rc::clone(&handler);
        let on_estate = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            on_message(decode_event(&event, |s: Snapshot| StreamEvent::Snapshot(Box::new(s))));
        });
        let on_message = Rc::clone(&handler);
        let on_delta = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            on_message(decode_event(&event, |d: EstateDelta| StreamEvent::Delta(Box::new(d))));
        });
        let on_message = Rc::clone(&handler);
        let on_run = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            on_message(decode_event(&event, |r: Run| StreamEvent::Run(Box::new(r))));
        });
        for (name, callback) in [(EVENT_ESTATE, &on_estate), (EVENT_DELTA, &on_delta), (EVENT_HEARTBEAT, &on_delta), ("run", &on_run)] {
            source
                .add_event_listener_with_callback(name, callback.as_ref().unchecked_ref())
                .map_err(|e| ApiError::unreachable(format!("{e:?}")))?;
        }
        let watched = source.clone();
        let on_error = Closure::<dyn FnMut(Event)>::new(move |_: Event| {
            let closed = watched.ready_state() == EventSource::CLOSED;
            handler(if closed { StreamEvent::Closed } else { StreamEvent::Interrupted });
        });
        source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Ok(EstateStream { source, _on_estate: on_estate, _on_delta: on_delta, _on_run: on_run, _on_error: on_error })
    }
}

impl Drop for EstateStream {
    fn drop(&mut self) {
        self.source.close();
        self.source.set_onerror(None);
        let _ = self.source.remove_event_listener_with_callback(EVENT_ESTATE, self._on_estate.as_ref().unchecked_ref());
        for name in [EVENT_DELTA, EVENT_HEARTBEAT] {
            let _ = self.source.remove_event_listener_with_callback(name, self._on_delta.as_ref().unchecked_ref());
        }
        let _ = self.source.remove_event_listener_with_callback("run", self._on_run.as_ref().unchecked_ref());
    }
}
