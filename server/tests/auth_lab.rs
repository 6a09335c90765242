//! Sign-in against the lab's real slapd, sessions, CSRF, roles and rate limiting.

// Test helpers unwrap like the tests they serve (clippy's allow-unwrap-in-tests covers only
// #[test] functions).
#![allow(clippy::unwrap_used)]

mod common;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use base64::Engine as _;
use common::{login, login_request, send};
use console::auth::Role;
use console::auth::directory::LdapDirectory;
use console::auth::session::{Claims, SessionKeys};
use console::config::Config;
use console::fleet::inproc::InProcessExec;
use console::fleet::poller::Poller;
use console::http::router;
use console::store::{SqliteStore, Store};
use sim::lab::Lab;
use std::sync::Arc;
use std::time::Duration;

struct Setup {
    lab: Lab,
    app: Router,
    auth: Arc<console::http::AuthState>,
    store: Arc<SqliteStore>,
    _dir: tempfile::TempDir,
}

async fn setup() -> Setup {
    setup_with(|_| {}).await
}

async fn setup_with(adjust: impl FnOnce(&mut console::http::AuthState) + Send + 'static) -> Setup {
    let lab = Lab::start_default();
    let config = Config::load(std::path::Path::new(lab.var("LAB_CONSOLE_CONFIG"))).unwrap();
    let ldap = config.ldap.clone().unwrap();
    let directory = Arc::new(LdapDirectory::new(ldap, lab.var("LAB_LDAP_ADMIN_PASSWORD").to_string()));
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SqliteStore::open(&dir.path().join("console.sqlite")).unwrap());
    let exec = Arc::new(InProcessExec::reference());
    let poller = Arc::new(Poller::new(console::fleet::inproc::demo_inventory(), exec.clone(), Duration::from_secs(60), Duration::from_secs(5)));
    let state = common::builder(exec, poller, store.clone() as Arc<dyn Store>, directory)
        .assets_dir(dir.path().to_path_buf())
        .adjust_auth(adjust)
        .build()
        .await
        .unwrap();
    Setup { lab, auth: Arc::clone(&state.auth), app: router(state), store, _dir: dir }
}

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

fn get(path: &str, cookie: &str) -> Request<Body> {
    Request::get(path).header(header::COOKIE, cookie).body(Body::empty()).unwrap()
}

fn post(path: &str, cookie: &str, csrf: Option<&str>) -> Request<Body> {
    let mut builder = Request::post(path).header(header::COOKIE, cookie);
    if let Some(csrf) = csrf {
        builder = builder.header("X-CSRF-Token", csrf);
    }
    builder.body(Body::empty()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_come_from_the_directory_groups() {
    let s = setup().await;
    let (status, headers, body) = send(&s.app, login_request("mqadmin", "mqadmin")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let v = json(&body);
    assert_eq!((v["user"].as_str(), v["role"].as_str(), v["display_name"].as_str()), (Some("mqadmin"), Some("operator"), Some("mqadminCN")));
    assert!(v["csrf"].as_str().unwrap().len() >= 32);
    let cookie = headers[header::SET_COOKIE].to_str().unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/"), "{cookie}");

    let (status, _, body) = send(&s.app, login_request("mqviewer", "mqviewer")).await;
    assert_eq!((status, json(&body)["role"].as_str()), (StatusCode::OK, Some("viewer")));
    let (status, _, body) = send(&s.app, login_request("mqadmin2", "mqadmin2")).await;
    assert_eq!((status, json(&body)["role"].as_str()), (StatusCode::OK, Some("operator")));

    let (status, _, body) = send(&s.app, login_request("app", "app")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let message = json(&body)["error"]["message"].as_str().unwrap().to_string();
    assert!(message.contains("app signed in, but is in none of the groups") && message.contains("mqadmins"), "{message}");

    // Every sign-in and refusal is in the audit chain, and the chain holds.
    let log = s.store.audit_log(10).await.unwrap();
    let actions: Vec<String> = log.iter().rev().map(|r| format!("{}:{}:{}", r.event.actor, r.event.action, r.event.result)).collect();
    assert_eq!(actions, ["mqadmin:login:ok", "mqviewer:login:ok", "mqadmin2:login:ok", "app:login_refused:no_role"]);
    assert_eq!(s.store.verify_audit(None).await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_credentials_and_injection_all_get_the_same_401() {
    let s = setup().await;
    let (status, _, wrong_password) = send(&s.app, login_request("mqadmin", "wrong")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, unknown_user) = send(&s.app, login_request("nobody", "wrong")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong_password, unknown_user, "an unknown user must look like a wrong password");
    for (user, password) in [
        ("mqadmin", ""),
        ("*", "mqadmin"),
        ("mqadmin)(uid=*", "mqadmin"),
        ("*)(|(uid=*", "mqadmin"),
        ("mqadmin*", "mqadmin"),
        ("", "x"),
    ] {
        let (status, _, body) = send(&s.app, login_request(user, password)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{user:?}/{password:?}: {body}");
        assert_eq!(body, wrong_password);
    }
    let (status, _, _) = send(&s.app, login_request(&"a".repeat(300), "x")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

fn forge(claims: &Claims, key: &[u8]) -> String {
    SessionKeys::new(key, Duration::from_secs(900), Duration::from_secs(3600)).sign(claims).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_csrf_roles_and_logout() {
    let s = setup().await;
    let (status, _, _) = send(&s.app, Request::get("/api/estate").body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let (admin, admin_csrf) = login(&s.app, "mqadmin", "mqadmin").await;
    let (status, _, body) = send(&s.app, get("/api/session", &admin)).await;
    assert_eq!((status, json(&body)["role"].as_str()), (StatusCode::OK, Some("operator")));

    // A state-changing request needs the CSRF token; an operator route refuses viewers.
    let (status, _, body) = send(&s.app, post("/api/refresh", &admin, None)).await;
    assert_eq!((status, json(&body)["error"]["code"].as_str()), (StatusCode::FORBIDDEN, Some("csrf_rejected")), "{body}");
    assert!(body.contains("X-CSRF-Token"));
    let (status, _, body) = send(&s.app, post("/api/refresh", &admin, Some("not-the-token"))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _, body) = send(&s.app, post("/api/refresh", &admin, Some(&admin_csrf))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (viewer, viewer_csrf) = login(&s.app, "mqviewer", "mqviewer").await;
    let (status, _, body) = send(&s.app, post("/api/refresh", &viewer, Some(&viewer_csrf))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("viewer"), "{body}");

    // Forged tokens: expired, tampered, signed with another key, alg none.
    let token = admin.split_once('=').unwrap().1;
    let keys = SessionKeys::new(common::KEY, Duration::from_secs(900), Duration::from_secs(3600));
    let claims = keys.verify(token).unwrap();
    let expired = forge(&Claims { iat: claims.iat - 2000, exp: claims.iat - 1000, ..claims.clone() }, common::KEY);
    let other_key = forge(&Claims { sub: "mqviewer".into(), ..claims.clone() }, b"some other key of thirty-two b!!");
    let mut parts: Vec<String> = forge(&Claims { role: Role::Viewer, ..claims.clone() }, common::KEY).split('.').map(String::from).collect();
    parts[1] = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(&Claims { role: Role::Operator, ..claims.clone() }).unwrap());
    let tampered = parts.join(".");
    let none = format!(
        "{}.{}.",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap())
    );
    for (what, token) in [("expired", expired), ("other key", other_key), ("tampered", tampered), ("alg none", none)] {
        let (status, _, body) = send(&s.app, get("/api/estate", &format!("rdqm_session={token}"))).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}: {body}");
    }

    // Logout ends the session for real: the old cookie no longer works.
    let logout = Request::delete("/api/session").header(header::COOKIE, &admin).header("X-CSRF-Token", &admin_csrf).body(Body::empty()).unwrap();
    let (status, headers, _) = send(&s.app, logout).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(headers[header::SET_COOKIE].to_str().unwrap().contains("Max-Age=0"));
    let (status, _, _) = send(&s.app, get("/api/session", &admin)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = send(&s.app, get("/api/session", &viewer)).await;
    assert_eq!(status, StatusCode::OK, "the other session is untouched");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_eleventh_rapid_attempt_gets_429_with_retry_after() {
    let s = setup().await;
    for _ in 0..10 {
        let (status, _, _) = send(&s.app, login_request("mqadmin", "wrong")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, headers, body) = send(&s.app, login_request("mqadmin", "mqadmin")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    let retry: u64 = headers[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert!(retry >= 1);
    assert_eq!(json(&body)["error"]["code"], "too_many_requests");

    // A flood of refused attempts is one audit record now and one per minute after, not a
    // write each.
    for _ in 0..30 {
        assert_eq!(send(&s.app, login_request("MQADMIN", "wrong")).await.0, StatusCode::TOO_MANY_REQUESTS);
    }
    let limited = |log: &[console::store::AuditRecord]| log.iter().filter(|r| r.event.result == "rate_limited").count();
    assert_eq!(limited(&s.store.audit_log(100).await.unwrap()), 1);
    console::http::session::flush_refusals(&s.auth).await;
    let log = s.store.audit_log(100).await.unwrap();
    assert_eq!(limited(&log), 2);
    assert!(log[0].event.details.starts_with("30 more attempts refused"), "{:?}", log[0]);
}

/// With the directory down, a session keeps reading but its operator rights are not
/// extended past the re-check interval.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_directory_outage_does_not_extend_operator_rights() {
    let s = setup_with(|auth| auth.recheck = Duration::from_secs(1)).await;
    let (admin, csrf) = login(&s.app, "mqadmin", "mqadmin").await;
    assert_eq!(send(&s.app, post("/api/refresh", &admin, Some(&csrf))).await.0, StatusCode::OK);
    let pid = std::fs::read_to_string(s.lab.run_dir().join("pids/slapd.pid")).unwrap();
    std::process::Command::new("kill").arg(pid.trim()).status().unwrap();
    std::thread::sleep(Duration::from_millis(1200));
    let (status, _, body) = send(&s.app, post("/api/refresh", &admin, Some(&csrf))).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(json(&body)["error"]["message"].as_str().unwrap().contains("could not be re-confirmed"), "{body}");
    let (status, _, _) = send(&s.app, get("/api/session", &admin)).await;
    assert_eq!(status, StatusCode::OK, "reading goes on");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn directory_down_is_503_never_a_sign_in() {
    let s = setup().await;
    let pid = std::fs::read_to_string(s.lab.run_dir().join("pids/slapd.pid")).unwrap();
    std::process::Command::new("kill").arg(pid.trim()).status().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let (status, _, body) = send(&s.app, login_request("mqadmin", "mqadmin")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(json(&body)["error"]["message"].as_str().unwrap().contains("directory"));
    assert!(!body.contains(s.lab.var("LAB_LDAP_ADMIN_PASSWORD")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_of_names_membership_is_read_when_configured() {
    let lab = Lab::start_default();
    let config = Config::load(std::path::Path::new(lab.var("LAB_CONSOLE_CONFIG"))).unwrap();
    let mut ldap = config.ldap.clone().unwrap();
    ldap.group_membership = console::config::GroupMembership::Member;
    let directory = LdapDirectory::new(ldap, lab.var("LAB_LDAP_ADMIN_PASSWORD").to_string());
    use console::auth::directory::Directory as _;
    let user = directory.authenticate("mqadmin2", "mqadmin2").await.unwrap();
    assert_eq!(user.groups, ["console-operators"]);
    let user = directory.authenticate("mqadmin", "mqadmin").await.unwrap();
    assert!(user.groups.is_empty(), "mqadmin is only in groupOfUniqueNames groups: {:?}", user.groups);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ldaps_and_starttls_check_the_directory_certificate() {
    use console::auth::directory::{Directory as _, DirectoryError};
    let lab = Lab::start_default();
    let config = Config::load(std::path::Path::new(lab.var("LAB_CONSOLE_CONFIG"))).unwrap();
    let plain = config.ldap.clone().unwrap();
    let password = lab.var("LAB_LDAP_ADMIN_PASSWORD").to_string();
    let lab_ca = std::path::PathBuf::from(lab.var("LAB_LDAP_CA_FILE"));
    let sign_in = |settings: console::config::LdapConfig| {
        let password = password.clone();
        async move { LdapDirectory::new(settings, password).authenticate("mqadmin", "mqadmin").await }
    };

    // LDAPS, the directory's certificate checked against the lab's CA.
    let mut ldaps = plain.clone();
    ldaps.url = lab.var("LAB_LDAPS_URL").to_string();
    ldaps.ca_file = Some(lab_ca.clone());
    let user = sign_in(ldaps.clone()).await.unwrap();
    assert!(user.groups.iter().any(|g| g == "mqadmins"), "{:?}", user.groups);

    // StartTLS on the plain port, the same check.
    let mut starttls = plain.clone();
    starttls.starttls = true;
    starttls.ca_file = Some(lab_ca);
    let user = sign_in(starttls.clone()).await.unwrap();
    assert!(user.groups.iter().any(|g| g == "mqadmins"), "{:?}", user.groups);

    // A CA that did not sign the directory's certificate: no sign-in, the directory is
    // unavailable, and the error says why without the service account's password.
    for mut settings in [ldaps, starttls] {
        settings.ca_file = Some(lab.var("LAB_ROGUE_CA_FILE").into());
        match sign_in(settings.clone()).await {
            Err(DirectoryError::Unavailable(why)) => {
                assert!(why.to_lowercase().contains("certificate") || why.contains("UnknownIssuer"), "{}: {why}", settings.url);
                assert!(!why.contains(lab.var("LAB_LDAP_ADMIN_PASSWORD")));
            }
            other => panic!("{} with the wrong CA: {other:?}", settings.url),
        }
    }
}
