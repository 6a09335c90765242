//! Certificate rotation over real SSH on the lab (issue #19): SSLDRHAQM1's personal certificate
//! rotated and later retired, MQIPT's client certificate rotated with a refresh that fails and
//! is undone, a new DN a partner's SSLPEER would refuse blocked in the preview. Every outcome is
//! read independently on the hosts with GSKit's `-details`/`-list` and `DISPLAY CHSTATUS`.

// Test helpers unwrap like the tests they serve (clippy's allow-unwrap-in-tests covers only
// #[test] functions).
#![allow(clippy::unwrap_used)]

mod common;

use axum::http::StatusCode;
use common::workflow::Harness;
use model::run::{Run, RunState};
use serde_json::{Value, json};

const SSL_KDB: &str = "/var/mqm/vols/ssldrhaqm1/qmgr/ssldrhaqm1/ssl/ssldrhaqm1KeyFile.kdb";
const QM2_KDB: &str = "/var/mqm/vols/drhaqm2/qmgr/drhaqm2/ssl/drhaqm2KeyFile.kdb";
const CLIENT_PFX: &str = "/opt/mqipt/installation1/mqipt/HAMQ/keys/mq-ipt-client.pfx";

async fn refresh_certs(h: &Harness) -> Value {
    let (status, inventory) = h.post("/api/certificates/refresh", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{inventory}");
    inventory
}

async fn plan(h: &Harness, body: Value) -> Value {
    let (status, plan) = h.post("/api/plans", body).await;
    assert_eq!(status, StatusCode::OK, "{plan}");
    plan
}

async fn run(h: &Harness, plan: &Value, confirm: &str) -> Run {
    let (status, body) = h.execute(plan, confirm).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    h.wait(body["run_id"].as_str().unwrap()).await
}

/// Where a queue manager runs, read with plain ssh (`dspmq` on each node would do too).
fn running_on(h: &Harness, qmgr: &str) -> String {
    ["wdc1-mq1", "wdc2-mq1", "wdc3-mq1", "dal1-mq1", "dal2-mq1", "dal3-mq1"]
        .into_iter()
        .find(|node| h.field(node, qmgr, "Queue manager status:") == "Running")
        .unwrap_or_else(|| panic!("{qmgr} runs nowhere"))
        .to_string()
}

fn ssh_ok(h: &Harness, host: &str, command: &str) -> String {
    let out = h.lab.ssh(host, command);
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{command} on {host}: {text}");
    text
}

fn labels(h: &Harness, host: &str, program: &str, db: &str) -> Vec<String> {
    let text = ssh_ok(h, host, &format!("{program} -cert -list -db {db} -stashed"));
    model::runmqakm::parse_list(&text).certificates.into_iter().map(|c| c.label).collect()
}

fn serial(h: &Harness, host: &str, program: &str, db: &str, label: &str) -> String {
    let text = ssh_ok(h, host, &format!("{program} -cert -details -db {db} -stashed -label {label}"));
    model::runmqakm::parse_details(&text).serial.unwrap()
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_hexdigit).collect::<String>().to_ascii_uppercase().trim_start_matches('0').to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssldrhaqm1s_certificate_is_rotated_trusted_first_then_retired_later() {
    let h = Harness::start().await;
    // The lab plants an SSLPEER on SSLDRHAQM1.MQIPT that refuses MQIPT's client certificate
    // (route 1503 fails, AMQ9636E): corrected first, so the rotation can prove the route.
    let fix = "ALTER CHANNEL(SSLDRHAQM1.MQIPT) CHLTYPE(SVRCONN) SSLPEER('CN=mqipt-client,OU=IBM,C=US')\nREFRESH SECURITY TYPE(SSL)";
    ssh_ok(&h, &running_on(&h, "SSLDRHAQM1"), &format!("printf \"{fix}\\n\" | runmqsc SSLDRHAQM1"));
    refresh_certs(&h).await;
    let owner = running_on(&h, "SSLDRHAQM1");
    let partner = running_on(&h, "DRHAQM2");
    let p = plan(&h, json!({"kind": "cert-rotate", "host": "wdc1-mq1", "store": SSL_KDB, "label": "ssldrhaqm1certlabel"})).await;
    let blocks: Vec<&Value> = p["preconditions"].as_array().unwrap().iter().filter(|c| c["status"] == "block").collect();
    assert!(blocks.is_empty(), "{blocks:#?}");
    let new_label = p["rotation"]["new_label"].as_str().unwrap().to_string();
    let trusting: Vec<&str> = p["rotation"]["trusting"].as_array().unwrap().iter().map(|t| t["store"].as_str().unwrap()).collect();
    assert_eq!(trusting, [QM2_KDB, CLIENT_PFX], "the partner's key repository and MQIPT's client keystore");

    let commands: Vec<&str> = p["steps"].as_array().unwrap().iter().map(|s| s["command"].as_str().unwrap()).collect();
    assert!(commands.last().unwrap().starts_with("amqssslc -m SSLDRHAQM1"), "the run ends with a TLS client through route 1503: {commands:#?}");

    let done = run(&h, &p, "ssldrhaqm1certlabel").await;
    assert_eq!(done.state, RunState::Succeeded, "{done:#?}");
    // Trusted by the partner and by MQIPT, presented by the channel: read on the hosts.
    let new_serial = serial(&h, &owner, "runmqakm", SSL_KDB, &new_label);
    assert_eq!(serial(&h, &partner, "runmqakm", QM2_KDB, &new_label), new_serial);
    assert_eq!(serial(&h, "wdc-bastion", "mqiptKeycmd", CLIENT_PFX, &new_label), new_serial);
    let status = ssh_ok(&h, &partner, "echo 'DISPLAY CHSTATUS(SSLDRHAQM1.TO.DRHAQM2) ALL' | runmqsc DRHAQM2");
    assert!(status.contains("STATUS(RUNNING)"), "{status}");
    let peer = status.split("SSLPEER(").nth(1).unwrap().split(')').next().unwrap();
    let presented = peer.split(',').next().unwrap().strip_prefix("SERIALNUMBER=").unwrap();
    assert_eq!(digits(presented), digits(&new_serial), "{status}");
    // The old certificate is still there: only the later plan removes it.
    assert!(labels(&h, &owner, "runmqakm", SSL_KDB).contains(&"ssldrhaqm1certlabel".to_string()));

    // Retired later: nothing presents it any more.
    refresh_certs(&h).await;
    let retire = plan(&h, json!({"kind": "cert-retire", "host": "wdc1-mq1", "store": SSL_KDB, "label": "ssldrhaqm1certlabel"})).await;
    let blocks: Vec<&Value> = retire["preconditions"].as_array().unwrap().iter().filter(|c| c["status"] == "block").collect();
    assert!(blocks.is_empty(), "{blocks:#?}");
    let done = run(&h, &retire, "ssldrhaqm1certlabel").await;
    assert_eq!(done.state, RunState::Succeeded, "{done:#?}");
    let left = labels(&h, &owner, "runmqakm", SSL_KDB);
    assert!(!left.contains(&"ssldrhaqm1certlabel".to_string()) && left.contains(&new_label), "{left:?}");
    let status = ssh_ok(&h, &partner, "echo 'DISPLAY CHSTATUS(SSLDRHAQM1.TO.DRHAQM2) ALL' | runmqsc DRHAQM2");
    assert!(status.contains("STATUS(RUNNING)"), "the channel still runs: {status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_mqipt_refresh_after_the_label_switch_is_undone_to_the_old_label() {
    let h = Harness::start().await;
    refresh_certs(&h).await;
    let conf_before = std::fs::read_to_string(h.lab.var("LAB_MQIPT_CONF")).unwrap();
    let owner = running_on(&h, "SSLDRHAQM1");
    let p = plan(&h, json!({"kind": "cert-rotate", "host": "wdc-bastion", "store": CLIENT_PFX, "label": "mqiptclient"})).await;
    let new_label = p["rotation"]["new_label"].as_str().unwrap().to_string();
    assert!(p["diff"].as_str().unwrap().contains(&format!("+SSLClientSiteLabel={new_label}")), "{}", p["diff"]);
    h.lab.sim(&["fault", "fail-next", "wdc-bastion", "mqiptAdmin"]);
    let done = run(&h, &p, "mqiptclient").await;
    assert_eq!(done.state, RunState::RolledBack, "{done:#?}");
    assert_eq!(std::fs::read_to_string(h.lab.var("LAB_MQIPT_CONF")).unwrap(), conf_before, "mqipt.conf names the old label again, byte for byte");
    assert!(!labels(&h, "wdc-bastion", "mqiptKeycmd", CLIENT_PFX).contains(&new_label));
    assert!(!labels(&h, &owner, "runmqakm", SSL_KDB).contains(&new_label), "SSLDRHAQM1 no longer trusts the certificate that was never used");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_dn_the_partners_sslpeer_refuses_is_blocked_in_the_preview() {
    let h = Harness::start().await;
    let inventory = refresh_certs(&h).await;
    let body = json!({"kind": "cert-rotate", "host": "wdc1-mq1", "store": SSL_KDB, "label": "ssldrhaqm1certlabel", "subject": "CN=OTHER,O=IBM,C=US"});
    let p = plan(&h, body).await;
    let block = p["preconditions"].as_array().unwrap().iter().find(|c| c["code"] == "sslpeer" && c["status"] == "block");
    let block = block.unwrap_or_else(|| panic!("no SSLPEER block in {:#}\nthe channels read: {:#}", p["preconditions"], inventory["channels"]));
    let message = block["message"].as_str().unwrap();
    assert!(message.contains("AMQ9636E") && message.contains("SSLDRHAQM1.TO.DRHAQM2"), "{message}");
    let evidence = block["evidence"][0]["lines"].to_string();
    assert!(evidence.contains("SSLPEER(") && evidence.contains("new DN: CN=OTHER,O=IBM,C=US"), "{evidence}");
    let (status, refused) = h.execute(&p, "ssldrhaqm1certlabel").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(labels(&h, &running_on(&h, "SSLDRHAQM1"), "runmqakm", SSL_KDB).iter().all(|l| !l.starts_with("ssldrhaqm1certlabel-")), "nothing was created");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replication_certificate_without_the_host_name_is_proposed_and_rotated_to_one_with_it() {
    let h = Harness::start().await;
    let inventory = refresh_certs(&h).await;
    let proposed = inventory["findings"].as_array().unwrap().iter().find(|f| f["code"] == "cert_hostname" && f["subject"].as_str().unwrap().starts_with("dal3-mq1:"));
    let proposed = proposed.unwrap_or_else(|| panic!("{:#}", inventory["findings"]));
    let label = proposed["subject"].as_str().unwrap().trim_start_matches("dal3-mq1:").to_string();
    let cert = inventory["certificates"].as_array().unwrap().iter().find(|c| c["host"] == "dal3-mq1" && c["personal"] == true && c["label"] == label.as_str()).unwrap();
    let store = cert["store"].as_str().unwrap().to_string();
    let p = plan(&h, json!({"kind": "cert-rotate", "host": "dal3-mq1", "store": store, "label": label})).await;
    let blocks: Vec<&Value> = p["preconditions"].as_array().unwrap().iter().filter(|c| c["status"] == "block").collect();
    assert!(blocks.is_empty(), "{blocks:#?}");
    let done = run(&h, &p, &label).await;
    assert_eq!(done.state, RunState::Succeeded, "{done:#?}");
    // The certificate tlshd.conf names now carries the host name; tlshd loaded it; the peers trust it.
    let text = ssh_ok(&h, "dal3-mq1", &format!("openssl x509 -in {store} -noout -serial -ext subjectAltName"));
    assert!(text.contains("DNS:dal3-mq1"), "{text}");
    let state: Value = serde_json::from_slice(&h.lab.sim(&["state"]).stdout).unwrap();
    let node = state["regions"].as_array().unwrap().iter().flat_map(|r| r["nodes"].as_array().unwrap()).find(|n| n["name"] == "dal3-mq1").unwrap();
    let serial_hex = text.lines().find_map(|l| l.strip_prefix("serial=")).unwrap().to_string();
    assert_eq!(digits(node["tlshd"]["serial"].as_str().unwrap()), digits(&serial_hex), "the simulator's tlshd on dal3-mq1 loaded the new certificate: {:#}", node["tlshd"]);
    for peer in ["wdc1-mq1", "dal1-mq1"] {
        let bundle = ssh_ok(&h, peer, "cat /etc/drbd.d/lab_root_ca.crt");
        assert_eq!(bundle.matches("BEGIN CERTIFICATE").count(), 2, "{peer}'s bundle: the CA and the new certificate");
    }
    let inventory = refresh_certs(&h).await;
    let left: Vec<&Value> = inventory["findings"].as_array().unwrap().iter().filter(|f| f["code"] == "cert_hostname" && f["subject"].as_str().unwrap().starts_with("dal3-mq1:")).collect();
    assert!(left.is_empty(), "{left:#?}");
}

/// Signs a PEM request with the lab's CA, as the site's CA would (OpenSSL, extensions copied).
fn sign_with_lab_ca(h: &Harness, request: &str) -> String {
    sign_with_lab_ca_as(h, request, None)
}

/// The same, the CA writing `subject` (OpenSSL's `/CN=…/O=…`) instead of the requested DN.
fn sign_with_lab_ca_as(h: &Harness, request: &str, subject: Option<&str>) -> String {
    let dir = tempfile::tempdir().unwrap();
    let (csr, crt) = (dir.path().join("req.csr"), dir.path().join("signed.pem"));
    std::fs::write(&csr, request).unwrap();
    let out = std::process::Command::new("openssl")
        .args(["x509", "-req", "-in"])
        .arg(&csr)
        .args(["-CA", h.lab.var("LAB_CA_CERT"), "-CAkey", h.lab.var("LAB_CA_KEY"), "-set_serial", "0x5eed", "-days", "90", "-sha256", "-copy_extensions", "copy", "-out"])
        .arg(&crt)
        .args(subject.map(|s| vec!["-subj", s]).unwrap_or_default())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::read_to_string(&crt).unwrap()
}

async fn wait_for(h: &Harness, run_id: &str, state: RunState) -> Run {
    for _ in 0..600 {
        let (_, value) = h.get(&format!("/api/runs/{run_id}")).await;
        let run: Run = serde_json::from_value(value).unwrap();
        if run.state == state || run.state.is_final() {
            return run;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("run {run_id} never became {state:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotation_by_signing_request_waits_for_the_ca_and_refuses_a_certificate_that_does_not_fit() {
    let h = Harness::start().await;
    refresh_certs(&h).await;
    let owner = running_on(&h, "SSLDRHAQM1");
    let body = json!({"kind": "cert-rotate", "host": "wdc1-mq1", "store": SSL_KDB, "label": "ssldrhaqm1certlabel", "mode": "csr"});
    let p = plan(&h, body.clone()).await;
    let new_label = p["rotation"]["new_label"].as_str().unwrap().to_string();
    let (status, started) = h.execute(&p, "ssldrhaqm1certlabel").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{started}");
    let run_id = started["run_id"].as_str().unwrap().to_string();
    let waiting = wait_for(&h, &run_id, RunState::AwaitingCertificate).await;
    assert_eq!(waiting.state, RunState::AwaitingCertificate, "{waiting:#?}");
    let request = waiting.steps[1].stdout.clone();
    assert!(request.contains("BEGIN CERTIFICATE REQUEST"), "the request is in the run for the CA: {request}");
    let pending = ssh_ok(&h, &owner, &format!("runmqakm -certreq -list -db {SSL_KDB} -stashed"));
    assert!(pending.contains(&new_label), "{pending}");

    // A certificate for another key (the CA signed some other request) is refused, named why.
    let other = ssh_ok(&h, &owner, &format!("runmqakm -cert -extract -db {SSL_KDB} -stashed -label ssldrhaqm1certlabel -target /tmp/rdqm-other-{run_id}.pem -format ascii && cat /tmp/rdqm-other-{run_id}.pem"));
    let (status, refused) = h.post(&format!("/api/runs/{run_id}/certificate"), json!({"pem": other})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert!(refused["error"]["message"].as_str().unwrap().contains("does not answer the signing request"), "{refused}");
    let (status, garbage) = h.post(&format!("/api/runs/{run_id}/certificate"), json!({"pem": "not a certificate"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{garbage}");

    // The CA wrote another DN than the one requested: refused before anything uses it, with
    // DRHAQM2's SSLPEER that would refuse it named.
    let renamed = sign_with_lab_ca_as(&h, &request, Some("/CN=someone-else/O=IBM/C=US"));
    let (status, refused) = h.post(&format!("/api/runs/{run_id}/certificate"), json!({"pem": renamed})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(message.contains("its subject (CN=someone-else,O=IBM,C=US) is not the one requested"), "{refused}");
    assert!(message.contains("SSLDRHAQM1.TO.DRHAQM2 would refuse it") && message.contains("AMQ9636E"), "{refused}");

    // The CA's answer goes through: received, presented, the channel running with it.
    let signed = sign_with_lab_ca(&h, &request);
    let (status, accepted) = h.post(&format!("/api/runs/{run_id}/certificate"), json!({"pem": signed})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{accepted}");
    let (status, twice) = h.post(&format!("/api/runs/{run_id}/certificate"), json!({"pem": signed})).await;
    assert_eq!(status, StatusCode::CONFLICT, "a second upload finds the run no longer waiting: {twice}");
    let done = h.wait(&run_id).await;
    assert_eq!(done.state, RunState::Succeeded, "{done:#?}");
    assert_eq!(digits(&serial(&h, &owner, "runmqakm", SSL_KDB, &new_label)), "5EED");
    let status = ssh_ok(&h, &running_on(&h, "DRHAQM2"), "echo 'DISPLAY CHSTATUS(SSLDRHAQM1.TO.DRHAQM2) ALL' | runmqsc DRHAQM2");
    assert!(status.contains("SSLPEER(SERIALNUMBER=5E:ED,"), "{status}");

    // Another request, rolled back while waiting: the request is deleted.
    refresh_certs(&h).await;
    let p = plan(&h, json!({"kind": "cert-rotate", "host": "wdc1-mq1", "store": SSL_KDB, "label": new_label, "mode": "csr"})).await;
    let second = p["rotation"]["new_label"].as_str().unwrap().to_string();
    let (_, started) = h.execute(&p, &new_label).await;
    let run_id = started["run_id"].as_str().unwrap().to_string();
    assert_eq!(wait_for(&h, &run_id, RunState::AwaitingCertificate).await.state, RunState::AwaitingCertificate);
    let (status, body) = h.post(&format!("/api/runs/{run_id}/rollback"), json!({})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let done = h.wait(&run_id).await;
    assert_eq!(done.state, RunState::RolledBack, "{done:#?}");
    let pending = ssh_ok(&h, &owner, &format!("runmqakm -certreq -list -db {SSL_KDB} -stashed"));
    assert!(!pending.contains(&second), "{pending}");
}
