//! A rotation by signing request waits for the CA (`awaiting_certificate`): what is awaited,
//! the signing request to send to the CA (copy or download), and for operators a form that
//! uploads the certificate the CA signed (pasted or read from a file in the browser), checked
//! by the console before anything is written; or rolling back, which deletes the request.

use super::PlanOfRun;
use super::decide::{act, action_failure};
use crate::api::{self, ApiError};
use crate::components::copy::CopyButton;
use crate::components::plan::TypedConfirm;
use crate::live::use_live;
use crate::session::use_session;
use leptos::prelude::*;
use leptos::task::spawn_local;
use model::api_error::ErrorCode;
use model::certs::Purpose;
use model::plan::{Action, Plan};
use model::plan_cert::Rotation;
use model::run::Run;
use wasm_bindgen::JsCast;

const REQUEST_MARK: &str = "BEGIN CERTIFICATE REQUEST";
const CERTIFICATE_BEGIN: &str = "-----BEGIN CERTIFICATE-----";
/// A PEM certificate (even a chain) is a few KB: a larger file is not one.
const MAX_FILE_BYTES: f64 = 64.0 * 1024.0;

/// The step of the plan that waits for the certificate: where it is, and the request it answers.
struct Awaited {
    /// The step's position (0-based).
    index: usize,
    host: String,
    request: String,
}

fn awaited(plan: &Plan) -> Option<Awaited> {
    plan.steps.iter().find_map(|s| match &s.action {
        Action::AwaitCertificate { request, .. } => Some(Awaited { index: s.index, host: s.host.clone(), request: request.clone() }),
        _ => None,
    })
}

/// The signing request the run showed for the CA: the output of the step just before the one
/// that waits (`wait`, its index as planned); while the plan is not read, the output of a `cat`
/// step that holds one.
pub fn signing_request(run: &Run, wait: Option<usize>) -> Option<String> {
    let before_wait = wait.and_then(|w| w.checked_sub(1)).and_then(|i| run.steps.iter().find(|s| s.index == i));
    let step = match before_wait {
        Some(step) => step,
        None => run.steps.iter().find(|s| s.command.starts_with("cat ") && s.stdout.contains(REQUEST_MARK))?,
    };
    step.stdout.contains(REQUEST_MARK).then(|| step.stdout.trim().to_string())
}

/// Why the text cannot be what the CA signed, before asking the server (which checks the
/// rest: the key, the names, the policy, the issuer).
pub fn pem_problem(text: &str) -> Option<&'static str> {
    let text = text.trim();
    if text.is_empty() {
        Some("Paste the signed certificate, or choose its file.")
    } else if text.contains("PRIVATE KEY") {
        Some("This text holds a private key: never send one. Upload only the certificate (the -----BEGIN CERTIFICATE----- block).")
    } else if !text.contains(CERTIFICATE_BEGIN) && text.contains("CERTIFICATE REQUEST") {
        Some("This is a signing request, not the certificate: send it to your CA and upload what the CA returns (it begins with -----BEGIN CERTIFICATE-----).")
    } else if !text.contains(CERTIFICATE_BEGIN) {
        Some("Not a PEM certificate: it must contain a -----BEGIN CERTIFICATE----- block (convert a binary DER file with: openssl x509 -inform der -in cert.der -out cert.pem).")
    } else {
        None
    }
}

/// What became of an upload that did not go through.
#[derive(Clone, Debug, PartialEq)]
pub enum Failure {
    /// The console checked the certificate and refused it: the server's reasons, verbatim.
    Refused(String),
    /// The run no longer waits (another operator uploaded one, or rolled it back).
    MovedOn(String),
    /// Anything else, in words.
    Other(String),
}

pub fn upload_failure(e: &ApiError) -> Failure {
    match e.code {
        Some(ErrorCode::BadRequest) => Failure::Refused(e.message.clone()),
        Some(ErrorCode::Conflict) => Failure::MovedOn(format!(
            "The run no longer waits for a certificate ({}): another operator uploaded one, or rolled the run back. The state above is the run's now.",
            e.message.trim_end_matches('.')
        )),
        // Kept, but the locks could not be renewed: the run is interrupted.
        Some(ErrorCode::RunLocked) => Failure::Other(format!(
            "The certificate was accepted and kept, but the run cannot go on yet: {}. It is interrupted now: resume it once that is free.",
            e.message.trim_end_matches('.')
        )),
        _ => Failure::Other(action_failure("upload the certificate", e)),
    }
}

/// What the console checks when the certificate is uploaded, in words, from the rotation; the
/// last names the stores that must trust the issuer.
fn conditions(rotation: &Rotation, request: Option<&str>) -> (Vec<String>, Vec<String>) {
    let mut out = vec![match request {
        Some(path) => format!("it answers the signing request {path} (the same public key): a certificate for any other key is refused"),
        None => "it answers this signing request (the same public key): a certificate for any other key is refused".to_string(),
    }];
    out.push(format!("it names {} (the DN planned)", rotation.new_subject));
    if let Purpose::Replication { node } = &rotation.purpose {
        out.push(format!("its SubjectAltName names {node} (DR/HA replication checks it)"));
    }
    out.push("its key and signature are ones the certificate policy allows, and it has not expired".to_string());
    let mut stores: Vec<String> = rotation.trusting.iter().map(|t| format!("{} on {}", t.store, t.host)).collect();
    if !matches!(rotation.purpose, Purpose::Replication { .. }) {
        stores.insert(0, format!("{} on {} (GSKit receives a certificate only when it trusts the signer)", rotation.store, rotation.host));
    }
    if !stores.is_empty() {
        out.push("its issuer (your CA) is trusted by every store that checks it:".to_string());
    }
    (out, stores)
}

/// A `data:` URL of the request, for the download link.
fn request_download(text: &str) -> String {
    format!("data:application/pkcs10;charset=utf-8,{}", String::from(js_sys::encode_uri_component(text)))
}

#[component]
pub fn AwaitingCertificate(run: Memo<Option<Run>>, plan: PlanOfRun) -> impl IntoView {
    let session = use_session();
    let operator = Memo::new(move |_| session.is_operator());
    let read_plan = Memo::new(move |_| plan.get().and_then(Result::ok));
    let wait = Memo::new(move |_| read_plan.with(|p| p.as_deref().and_then(awaited).map(|w| (w.index, w.host, w.request))));
    let request = Memo::new(move |_| {
        let at = wait.with(|w| w.as_ref().map(|(i, ..)| *i));
        run.with(|r| r.as_ref().and_then(|r| signing_request(r, at)))
    });
    let rotation = Memo::new(move |_| run.with(|r| r.as_ref().and_then(|r| r.rotation.clone())));
    let what = move || {
        let step = wait.get().map(|(i, host, path)| format!(" The request is {path} on {host}; it is shown below as step {i} printed it."));
        match rotation.get() {
            Some(r) => format!(
                "The run made a signing request for the new certificate {} ({}) of {} on {}, and waits for the certificate your CA signs for it. Nothing more runs until an operator uploads it or rolls the run back; the run keeps its locks meanwhile.{}",
                r.new_label,
                r.new_subject,
                r.store,
                r.host,
                step.unwrap_or_default()
            ),
            None => format!(
                "The run made a signing request and waits for the certificate your CA signs for it. Nothing more runs until an operator uploads it or rolls the run back.{}",
                step.unwrap_or_default()
            ),
        }
    };
    let checks = move || {
        let request_path = wait.with(|w| w.as_ref().map(|(_, _, p)| p.clone()));
        rotation.get().map(|r| {
            let (mut items, stores) = conditions(&r, request_path.as_deref());
            let last = (!stores.is_empty()).then(|| items.pop()).flatten().map(|lead| {
                view! {
                    <li>
                        {lead}
                        <ul>{stores.into_iter().map(|s| view! { <li>{s}</li> }).collect_view()}</ul>
                    </li>
                }
            });
            view! {
                <p>"The console checks it before anything is written, and refuses it with every reason unless:"</p>
                <ul class="upload-conditions">{items.into_iter().map(|c| view! { <li>{c}</li> }).collect_view()}{last}</ul>
            }
        })
    };
    let file_name = move || rotation.with(|r| r.as_ref().map_or_else(|| "request.csr".to_string(), |r| format!("{}.csr", r.new_label)));
    let shown_request = move || match request.get() {
        Some(text) => {
            let href = request_download(&text);
            let download = file_name();
            let label = "Download it (.csr)".to_string();
            view! {
                <pre class="pem" aria-label="Signing request (PEM)" tabindex="0">{text.clone()}</pre>
                <div class="pem-actions">
                    <CopyButton text=text label="Copy the signing request" />
                    <a class="button-like" href=href download=download>{label}</a>
                </div>
            }
            .into_any()
        }
        None => view! { <p class="waiting">"Reading the signing request from the run…"</p> }.into_any(),
    };
    view! {
        <section class="awaiting-certificate" aria-labelledby="awaiting-certificate-heading">
            <h2 id="awaiting-certificate-heading">"◷ Waiting for the certificate your CA signs"</h2>
            <p>{what}</p>
            <div class="csr-grid">
                <div class="csr-request">
                    <h3>"1. Have your CA sign this request"</h3>
                    {shown_request}
                </div>
                <div class="csr-upload">
                    <h3>"2. Upload the certificate it signed"</h3>
                    {checks}
                    <Show
                        when=move || operator.get()
                        fallback=|| view! {
                            <p class="reason viewer-upload-reason">
                                "Only operators (mqadmins) upload the signed certificate or roll the run back; you are signed in as a viewer. This page follows the run live: it goes on once an operator uploads the certificate."
                            </p>
                        }
                    >
                        <UploadForm run=run />
                    </Show>
                </div>
            </div>
            <Show when=move || operator.get()>
                <RollBack run=run />
            </Show>
        </section>
    }
}

/// Paste or choose the signed certificate, and upload it.
#[component]
fn UploadForm(run: Memo<Option<Run>>) -> impl IntoView {
    let pem = RwSignal::new(String::new());
    let read_from = RwSignal::new(None::<Result<String, String>>);
    let busy = RwSignal::new(false);
    let failure = RwSignal::new(None::<Failure>);
    let accepted = RwSignal::new(false);
    let live = use_live();
    let why_not = move || -> Option<String> {
        if busy.get() {
            Some("Sending… the console checks the certificate.".to_string())
        } else {
            pem.with(|p| pem_problem(p)).map(str::to_string)
        }
    };
    let choose = move |ev: leptos::ev::Event| {
        let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) else { return };
        let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
        // Choosing the same file again reads it again.
        input.set_value("");
        let name = file.name();
        if file.size() > MAX_FILE_BYTES {
            read_from.set(Some(Err(format!("{name} is {} KB: too large for a certificate, not read.", (file.size() / 1024.0).round()))));
            return;
        }
        spawn_local(async move {
            match wasm_bindgen_futures::JsFuture::from(file.text()).await.ok().and_then(|v| v.as_string()) {
                Some(text) => {
                    pem.set(text);
                    failure.set(None);
                    read_from.set(Some(Ok(name)));
                }
                None => read_from.set(Some(Err(format!("{name} could not be read by the browser.")))),
            }
        });
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if why_not().is_some() {
            return;
        }
        let Some(id) = run.with_untracked(|r| r.as_ref().map(|r| r.id.clone())) else { return };
        let text = pem.get_untracked();
        busy.set(true);
        failure.set(None);
        accepted.set(false);
        spawn_local(async move {
            match api::upload_certificate(&id, &text).await {
                Ok(()) => accepted.set(true),
                Err(e) => {
                    if e.is(ErrorCode::StoreUnavailable) {
                        live.poll_store();
                    }
                    failure.set(Some(upload_failure(&e)));
                }
            }
            busy.set(false);
        });
    };
    view! {
        <form class="upload-certificate" on:submit=submit>
            <label for="signed-certificate">"Signed certificate (PEM)"</label>
            <textarea
                id="signed-certificate"
                rows="10"
                spellcheck="false"
                autocomplete="off"
                placeholder="-----BEGIN CERTIFICATE-----"
                aria-describedby="upload-reason"
                prop:value=move || pem.get()
                on:input=move |ev| {
                    pem.set(event_target_value(&ev));
                    read_from.set(None);
                }
            ></textarea>
            <label for="signed-certificate-file">"Or choose its file (.pem, .crt, .arm, .cer): read here in the browser"</label>
            <input id="signed-certificate-file" type="file" accept=".pem,.crt,.arm,.cer,application/x-pem-file" on:change=choose />
            {move || read_from.get().map(|r| match r {
                Ok(name) => view! { <p class="note file-read">"Read from " <code>{name}</code> " (shown above)."</p> }.into_any(),
                Err(e) => view! { <p role="alert" class="inline-alert tone-bad">"✖ " {e}</p> }.into_any(),
            })}
            <div class="action">
                <button type="submit" class="primary" disabled=move || why_not().is_some() aria-describedby="upload-reason">
                    "Upload the signed certificate"
                </button>
            </div>
            <p id="upload-reason" class="reason">
                {move || why_not().unwrap_or_else(|| "Ready: the console checks it, then the run receives it and goes on.".to_string())}
            </p>
        </form>
        <Show when=move || accepted.get()>
            <p role="status" class="alert tone-good">"✓ Accepted: the certificate fits the request; the run goes on (the state above follows it)."</p>
        </Show>
        {move || failure.get().map(|f| match f {
            Failure::Refused(reasons) => view! {
                <div role="alert" class="alert tone-bad upload-refused">
                    <p class="alert-title">"✖ Refused: this certificate does not fit, nothing was written"</p>
                    <p class="refusal-reasons">{reasons}</p>
                    <p>"The run still waits: upload the right certificate, or roll back."</p>
                </div>
            }
            .into_any(),
            Failure::MovedOn(text) => view! {
                <div role="alert" class="alert tone-warn">
                    <p class="alert-title">"⚠ Not uploaded: the run moved on"</p>
                    <p>{text}</p>
                </div>
            }
            .into_any(),
            Failure::Other(text) => view! { <p role="alert" class="alert tone-bad">"✖ " {text}</p> }.into_any(),
        })}
    }
}

/// Rolling back while waiting deletes the request (nothing else was changed yet).
#[component]
fn RollBack(run: Memo<Option<Run>>) -> impl IntoView {
    let live = use_live();
    let subject = Memo::new(move |_| run.with(|r| r.as_ref().map(|r| r.subject.clone()).unwrap_or_default()));
    let busy = RwSignal::new(false);
    let failure = RwSignal::new(None::<String>);
    view! {
        <div class="csr-rollback">
            <h3>"Or roll back"</h3>
            <p>
                "The pending signing request is deleted from the key store (the undo of step 1); the current certificate was never touched and stays in use. The run ends rolled back: a certificate your CA signs for this request can no longer be received."
            </p>
            <TypedConfirm
                ids=("rollback-subject", "rollback-reason")
                subject=subject
                verb="roll back"
                buttons=vec![("Roll back (delete the request)", "danger")]
                disabled_text="Roll back stays disabled"
                blocked=Signal::derive(move || busy.get().then(|| "Sending…".to_string()))
                ready_text="Rolling back deletes the request at once."
                on_press=Callback::new(move |_| act(live, run, "rollback", busy, failure))
            />
            {move || failure.get().map(|f| view! { <p role="alert" class="alert tone-bad">"✖ " {f}</p> })}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::run::{RunState, RunStep};

    const CSR: &str = "-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n";

    fn run_step(index: usize, command: &str, stdout: &str) -> RunStep {
        let mut s = RunStep::pending(index, "t", "wdc1-mq1", command);
        s.stdout = stdout.into();
        s
    }

    fn run(steps: Vec<RunStep>) -> Run {
        let mut r: Run = serde_json::from_value(serde_json::json!({
            "id": "r1", "plan_id": "p1", "kind": "cert-rotate", "subject": "l", "requested_by": "mqadmin",
            "intent": {"kind": "cert-rotate", "host": "h", "store": "/s.kdb", "label": "l", "mode": "csr"},
            "state": "awaiting_certificate", "created_at": 0, "updated_at": 0, "steps": [], "undo": [], "remediation": []
        }))
        .unwrap();
        r.steps = steps;
        assert_eq!(r.state, RunState::AwaitingCertificate);
        r
    }

    #[test]
    fn the_request_is_the_output_of_the_step_before_the_wait() {
        let r = run(vec![run_step(0, "runmqakm -certreq -create", ""), run_step(1, "cat /r.csr", CSR), run_step(2, "wait", "")]);
        assert_eq!(signing_request(&r, Some(2)).as_deref(), Some(CSR.trim()));
        // Without the plan: the `cat` step that holds a request.
        assert_eq!(signing_request(&r, None).as_deref(), Some(CSR.trim()));
        // The step before the wait holds none: nothing is shown as a request.
        assert_eq!(signing_request(&r, Some(1)), None);
        assert_eq!(signing_request(&run(vec![run_step(0, "cat /other", "hello")]), None), None);
    }

    #[test]
    fn only_a_pem_certificate_is_sent() {
        assert!(pem_problem("  ").is_some());
        assert!(pem_problem(CSR).unwrap().starts_with("This is a signing request"));
        assert!(pem_problem("garbage").unwrap().starts_with("Not a PEM certificate"));
        assert!(pem_problem("-----BEGIN PRIVATE KEY-----\n-----BEGIN CERTIFICATE-----").unwrap().contains("private key"));
        assert_eq!(pem_problem("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"), None);
    }

    #[test]
    fn a_refusal_is_read_by_its_code() {
        let e = |code, status| ApiError { code: Some(code), status, message: "the certificate is refused: a; b".into(), retry_after_secs: None };
        assert_eq!(upload_failure(&e(ErrorCode::BadRequest, 400)), Failure::Refused("the certificate is refused: a; b".into()));
        assert!(matches!(upload_failure(&e(ErrorCode::Conflict, 409)), Failure::MovedOn(t) if t.starts_with("The run no longer waits")));
        assert!(matches!(upload_failure(&e(ErrorCode::RunLocked, 409)), Failure::Other(t) if t.contains("interrupted")));
        assert!(matches!(upload_failure(&e(ErrorCode::Forbidden, 403)), Failure::Other(t) if t.starts_with("The server refused to upload the certificate")));
    }
}
