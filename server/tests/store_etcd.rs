//! The store on a real three-member etcd cluster (wdc, dal, witness): the same semantics
//! suite as SQLite, then what only a shared store has — leases that end with their instance,
//! fencing, and losing and regaining quorum.

#![allow(clippy::unwrap_used)]

mod common;

use console::store::{EtcdOptions, EtcdStore, Store, StoreError};
use sim::etcd::EtcdCluster;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn options(cluster: &EtcdCluster, instance: &str, prefix: &str) -> EtcdOptions {
    options_at(cluster.endpoints(), instance, prefix)
}

/// The test's store options on `endpoints`: a short lease, without TLS.
fn options_at(endpoints: Vec<String>, instance: &str, prefix: &str) -> EtcdOptions {
    EtcdOptions {
        endpoints,
        prefix: prefix.into(),
        instance: instance.into(),
        url: None,
        lease_ttl: Duration::from_secs(3),
        timeout: Duration::from_secs(2),
        tls: None,
    }
}

async fn wait_until(what: &str, within: Duration, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !check().await {
        assert!(Instant::now() < deadline, "not within {within:?}: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn etcd_keeps_every_guarantee_and_fences_an_instance_without_its_lease() {
    let mut cluster = EtcdCluster::start();
    let a: Arc<dyn Store> = Arc::new(EtcdStore::connect(options(&cluster, "wdc", "/suite/")).await.unwrap());
    let b: Arc<dyn Store> = Arc::new(EtcdStore::connect(options(&cluster, "dal", "/suite/")).await.unwrap());
    common::store_semantics::all(Arc::clone(&a), Arc::clone(&b)).await;

    // Both instances are registered; one of them leads.
    let owners = a.live_owners().await.unwrap();
    assert!(owners.contains(&a.owner()) && owners.contains(&b.owner()), "{owners:?}");
    wait_until("one instance leads", Duration::from_secs(5), async || a.leads() != b.leads()).await;
    let status = b.status().await;
    assert!(status.writable, "{status:?}");
    assert_eq!(status.instances.len(), 2, "{status:?}");

    // The status reads etcd at most once a second, however many browsers ask (each polls it
    // every 5 s through /api/store, /healthz and /metrics): 100 calls within a second, half of
    // them at once, cost a couple of ranges, not 100.
    let before = ranges(&cluster).await;
    let started = Instant::now();
    let all = futures::future::join_all((0..50).map(|_| b.status())).await;
    assert!(all.iter().all(|s| s.writable && s.instances.len() == 2), "{:?}", all[0]);
    for _ in 0..50 {
        assert!(b.status().await.writable);
    }
    let (calls_took, spent) = (started.elapsed(), ranges(&cluster).await - before);
    // What else ranges meanwhile: each instance's election every lease tick.
    assert!(spent <= 6 * (1 + calls_took.as_secs()), "{spent} etcd ranges for 100 status calls in {calls_took:?}");

    // An instance that stops (its process gone): its locks and registration end with its lease.
    let c = EtcdStore::connect(options(&cluster, "gone", "/suite/")).await.unwrap();
    let gone = c.owner();
    assert_eq!(c.acquire_locks(vec!["qmgr:GONE".into()], "run-gone".into(), "run gone".into(), 1, u64::MAX).await.unwrap(), Ok(()));
    drop(c);
    assert!(a.held_locks(2).await.unwrap().iter().any(|l| l.resource == "qmgr:GONE"), "held until the lease ends");
    wait_until("the dead instance's lock is gone", Duration::from_secs(10), async || {
        a.held_locks(2).await.unwrap().iter().all(|l| l.resource != "qmgr:GONE")
    })
    .await;
    assert!(!a.live_owners().await.unwrap().contains(&gone));

    // A command-line tool that closes the store leaves at once, not a TTL later.
    let tool = EtcdStore::connect(options(&cluster, "cli", "/suite/")).await.unwrap();
    let tool_owner = tool.owner();
    assert!(a.live_owners().await.unwrap().contains(&tool_owner));
    tool.close().await;
    assert!(!a.live_owners().await.unwrap().contains(&tool_owner), "the lease is revoked by close");

    // Without quorum: writes are refused at once, reads of the store too; the instance stops
    // acting within two thirds of its TTL; with quorum back it works again by itself.
    assert!(b.status().await.writable, "read just now, and cached");
    cluster.stop("wdc");
    cluster.stop("witness");
    // The status is truthful within its second: the loss shows long before the lease fences b
    // (two thirds of its TTL), though a status read just before it was cached.
    let lost = Instant::now();
    wait_until("b's status shows the loss of quorum", Duration::from_secs(4), async || !b.status().await.writable).await;
    assert!(lost.elapsed() < Duration::from_secs(2) + Duration::from_secs(1), "{:?}", lost.elapsed());
    let refused = b.revoke_user("someone".into(), 5).await.unwrap_err();
    assert!(matches!(refused, StoreError::Unavailable(_) | StoreError::Fenced(_)), "{refused:?}");
    wait_until("b stops acting", Duration::from_secs(5), async || b.may_act().is_err()).await;
    // Sessions are still checked against what was revoked before the outage.
    assert!(b.is_revoked("jti-1".into(), "x".into(), 1).await.unwrap(), "a session revoked before the outage");
    assert!(b.is_revoked("jti-9".into(), "mqadmin".into(), 150).await.unwrap(), "a user revoked before the outage");
    assert!(!b.is_revoked("jti-9".into(), "mqadmin".into(), 201).await.unwrap(), "a session begun after the revocation");
    let status = b.status().await;
    assert!(!status.writable && status.problem.is_some(), "{status:?}");
    cluster.resume("wdc");
    cluster.resume("witness");
    wait_until("b acts again", Duration::from_secs(15), async || b.may_act().is_ok() && b.revoke_user("someone".into(), 6).await.is_ok()).await;
    assert!(a.is_revoked("x".into(), "someone".into(), 6).await.unwrap());
    assert_eq!(a.verify_audit(None).await.unwrap(), None, "the chain still holds");
}


/// Ranges the members served so far (etcd's own counter, from each member's /metrics).
async fn ranges(cluster: &EtcdCluster) -> u64 {
    let mut total = 0;
    for endpoint in cluster.endpoints() {
        let text = reqwest::get(format!("http://{endpoint}/metrics")).await.unwrap().text().await.unwrap();
        let line = text.lines().find(|l| l.starts_with("etcd_debugging_mvcc_range_total ")).unwrap_or_else(|| panic!("no range counter in {endpoint}/metrics"));
        total += line.split_whitespace().nth(1).unwrap().parse::<f64>().unwrap() as u64;
    }
    total
}

fn tls_options(cluster: &EtcdCluster, instance: &str, prefix: &str, tls: console::store::EtcdTls) -> EtcdOptions {
    EtcdOptions { tls: Some(tls), ..options_at(cluster.endpoints(), instance, prefix) }
}

/// Members that speak TLS only and ask every client for a certificate from their CA: a
/// console with one keeps every guarantee; one without (or with a stranger's, or checking
/// the members against another CA) starts, shows the estate, and says which endpoint refused
/// it and why, in its store status and in every refused write.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn etcd_over_tls_keeps_every_guarantee_and_refuses_a_console_without_its_certificate() {
    let pki = common::etcd_tls::EtcdPki::make();
    let cluster = EtcdCluster::start_tls(pki.members());
    let first = &cluster.endpoints()[0];
    for (what, tls, expect) in [
        ("no client certificate", pki.server_only_tls(), "asks for a client certificate and this console has none (set store.cert_file and store.key_file)"),
        ("a certificate from another CA", pki.stranger_tls(), "refuses this console's client certificate"),
        ("another CA for the members", pki.wrong_ca_tls(), "a TLS certificate this console does not trust: store.ca_file must be"),
    ] {
        let store = EtcdStore::connect(tls_options(&cluster, "refused", "/tls/", tls)).await.unwrap();
        let status = store.status().await;
        let problem = status.problem.clone().unwrap_or_default();
        assert!(!status.writable, "{what}: {status:?}");
        assert!(problem.contains(&format!("etcd at {first}")) && problem.contains(expect), "{what}: {problem}");
        // A write says the same, and nothing is written.
        let refused = store.audit(console::store::AuditEvent::new("x", "-", "login", "x", "ok", String::new())).await.unwrap_err();
        assert!(matches!(&refused, StoreError::Unavailable(why) if why.contains(first.as_str()) && why.contains(expect)), "{what}: {refused:?}");
        assert!(!store.leads());
    }
    // Plain gRPC to members that speak TLS only: the hint names store.ca_file.
    let mut plain = tls_options(&cluster, "plain", "/tls/", pki.client_tls());
    plain.tls = None;
    plain.endpoints = plain.endpoints.iter().map(|e| e.trim_start_matches("https://").to_string()).collect();
    let problem = EtcdStore::connect(plain).await.unwrap().status().await.problem.unwrap_or_default();
    assert!(problem.contains("127.0.0.1:") && problem.contains("store.ca_file"), "{problem}");
    // etcdctl as the lab's scripts call it (CA, client certificate, key).
    let out = cluster.etcdctl().args(["get", "--prefix", "--keys-only", "/tls/"]).output().unwrap();
    assert!(out.status.success() && String::from_utf8_lossy(&out.stdout).trim().is_empty(), "nothing was written: {out:?}");
    let a: Arc<dyn Store> = Arc::new(EtcdStore::connect(tls_options(&cluster, "wdc", "/tls/", pki.client_tls())).await.unwrap());
    let b: Arc<dyn Store> = Arc::new(EtcdStore::connect(tls_options(&cluster, "dal", "/tls/", pki.client_tls())).await.unwrap());
    assert!(a.status().await.writable, "{:?}", a.status().await);
    common::store_semantics::all(Arc::clone(&a), Arc::clone(&b)).await;
}

/// A run written on one instance reaches every other instance's watch (their viewers follow
/// it live), each write once and in order, also after the member a watch was on went away.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_written_anywhere_reach_every_instances_watch_across_a_lost_member() {
    use common::store_semantics::{plan, run, start};
    use model::run::RunState;
    let mut cluster = EtcdCluster::start();
    let a = EtcdStore::connect(options(&cluster, "wdc", "/watch/")).await.unwrap();
    let b = EtcdStore::connect(options(&cluster, "dal", "/watch/")).await.unwrap();
    let (sink, mut seen) = tokio::sync::broadcast::channel(64);
    b.follow_runs(sink);
    // The watch starts after its load: wait until it sees a first write.
    a.save_plan(plan("plan-w")).await.unwrap();
    a.start_run(start("plan-w", "run-w", &[], RunState::AwaitingApproval)).await.unwrap().unwrap();
    let next = async |seen: &mut tokio::sync::broadcast::Receiver<model::run::Run>| {
        tokio::time::timeout(Duration::from_secs(10), seen.recv()).await.expect("a run from the watch within 10 s").unwrap()
    };
    let first = next(&mut seen).await;
    assert_eq!((first.id.as_str(), first.state), ("run-w", RunState::AwaitingApproval));
    let mut state = RunState::AwaitingApproval;
    for (member, to) in [("wdc", RunState::Running), ("dal", RunState::Interrupted), ("witness", RunState::Running)] {
        cluster.stop(member);
        // A request on its way to the member just killed may time out (nothing known written):
        // sent again, it applies, or finds it applied.
        wait_until(&format!("run-w {to:?} written with {member} gone"), Duration::from_secs(10), async || match a.update_run(run("run-w", "plan-w", to, 10), state).await {
            Ok(Ok(())) => true,
            Ok(Err(now)) => now == to,
            // Never fenced: the lease is renewed through another member at once (see
            // the_lease_is_renewed_through_another_member_when_its_member_is_killed).
            Err(StoreError::Unavailable(_)) => false,
            Err(e) => panic!("{e:?}"),
        })
        .await;
        let got = next(&mut seen).await;
        assert_eq!((got.id.as_str(), got.state), ("run-w", to), "with {member} gone");
        state = to;
        cluster.resume(member);
    }
    assert!(tokio::time::timeout(Duration::from_millis(300), seen.recv()).await.is_err(), "each write once");
}

/// `rdqm-console audit verify` on a configuration naming this cluster and spool: whether it
/// succeeded, and what it printed.
fn audit_verify(cluster: &EtcdCluster, dir: &std::path::Path, prefix: &str, spool: &std::path::Path) -> (bool, String) {
    let key = dir.join("ssh_key");
    std::fs::write(&key, "not a real key").unwrap();
    let endpoints: Vec<String> = cluster.endpoints().iter().map(|e| format!("{e:?}")).collect();
    let config = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\nassets_dir = \"dist\"\n[ssh]\nuser = \"mqm\"\nkey_file = {key:?}\nknown_hosts = {key:?}\n\
         [store]\nkind = \"etcd\"\ninstance = \"verify\"\nendpoints = [{}]\nprefix = {prefix:?}\naudit_spool = {spool:?}\n",
        endpoints.join(", ")
    );
    let path = dir.join("verify.toml");
    std::fs::write(&path, config).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rdqm-console")).args(["audit", "verify", "--config"]).arg(&path).output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr))
}

/// A console whose store lost quorum still signs viewers and operators in (they may look at the
/// estate; workflows stay refused): the sign-in's record waits in the console's spool, on disk
/// before the answer, and reaches the one chain when the store can be written again, in order
/// and once, also across a restart of the console and across a crash between the append and its
/// mark in the spool; `audit verify` says which spooled records are not in the chain yet.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_without_quorum_is_spooled_and_reaches_the_chain_once() {
    use axum::http::{Request, StatusCode, header};
    use console::store::{AuditEvent, AuditSpool};
    let mut cluster = EtcdCluster::start();
    let dir = tempfile::tempdir().unwrap();
    let spool = dir.path().join("wdc.audit-spool");
    let console = async |cluster: &EtcdCluster| -> (Arc<dyn Store>, axum::Router) {
        let store: Arc<dyn Store> = Arc::new(EtcdStore::connect(options(cluster, "wdc", "/signin/")).await.unwrap().with_spool(&spool).unwrap());
        let exec: Arc<dyn console::fleet::RemoteExec> = Arc::new(console::fleet::inproc::InProcessExec::reference());
        let poller = Arc::new(console::fleet::poller::Poller::new(console::fleet::inproc::demo_inventory(), Arc::clone(&exec), Duration::from_secs(60), Duration::from_secs(5)));
        let state = common::builder(exec, poller, Arc::clone(&store), Arc::new(console::auth::directory::DemoDirectory)).build().await.unwrap();
        (store, console::http::router(state))
    };
    let (store, app) = console(&cluster).await;
    common::login(&app, "mqadmin", "mqadmin").await;
    let before = store.audit_head().await.unwrap().unwrap().id;

    // Two of three members down: no quorum.
    cluster.stop("wdc");
    cluster.stop("witness");
    wait_until("the store cannot be written", Duration::from_secs(5), async || !store.status().await.writable).await;
    let (cookie, _) = common::login(&app, "mqviewer", "mqviewer").await;
    let session = Request::get("/api/session").header(header::COOKIE, &cookie).body(axum::body::Body::empty()).unwrap();
    let (status, _, body) = common::send(&app, session).await;
    assert_eq!(status, StatusCode::OK, "the new session is honoured: {body}");
    let (operator, _) = common::login(&app, "mqadmin2", "mqadmin2").await;
    let banner = Request::get("/api/store").header(header::COOKIE, &operator).body(axum::body::Body::empty()).unwrap();
    let (_, _, body) = common::send(&app, banner).await;
    assert!(body.contains("\"writable\":false"), "the banner says workflows wait: {body}");
    let (status, _, _) = common::send(&app, common::login_request("mqviewer", "wrong")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "a refused sign-in is refused, not unavailable");
    let kept: Vec<(String, String, String)> =
        AuditSpool::read_pending(&spool).unwrap().into_iter().map(|r| (r.event.action, r.event.actor, r.event.result)).collect();
    let expected = [("login", "mqviewer", "ok"), ("login", "mqadmin2", "ok"), ("login_refused", "mqviewer", "bad_credentials")];
    assert_eq!(kept, expected.map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string())), "on disk, in order");
    let (ok, said) = audit_verify(&cluster, dir.path(), "/signin/", &spool);
    assert!(!ok && said.contains("3 sign-in record(s) kept in the spool") && said.contains("could not be looked for"), "{said}");

    // The console stops while they wait; quorum comes back; `audit verify` names them.
    drop(app);
    drop(store);
    wait_until("the stopped console lets go of its spool", Duration::from_secs(5), async || AuditSpool::open(&spool).is_ok()).await;
    cluster.resume("wdc");
    cluster.resume("witness");
    let (ok, said) = audit_verify(&cluster, dir.path(), "/signin/", &spool);
    assert!(ok && said.contains("3 sign-in record(s) kept in the spool") && said.contains("are not in the chain yet") && said.contains("login mqviewer ok"), "{said}");

    // Started again, the console appends them, in order and once.
    let (store, app) = console(&cluster).await;
    wait_until("the spool is in the chain", Duration::from_secs(15), async || AuditSpool::read_pending(&spool).unwrap().is_empty()).await;
    let log = store.audit_log(50).await.unwrap();
    let after: Vec<(String, String, String)> =
        log.iter().rev().filter(|r| r.id > before).map(|r| (r.event.action.clone(), r.event.actor.clone(), r.event.result.clone())).collect();
    assert_eq!(after, expected.map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string())), "{log:#?}");
    assert_eq!(store.verify_audit(None).await.unwrap(), None);
    let (ok, said) = audit_verify(&cluster, dir.path(), "/signin/", &spool);
    assert!(ok && said.contains("audit chain intact") && !said.contains("spool"), "{said}");

    // A crash between a record's append and its mark in the spool: on the next start it is
    // found in the chain, not appended again; what follows it is appended.
    drop(app);
    drop(store);
    wait_until("the console lets go of its spool", Duration::from_secs(5), async || AuditSpool::open(&spool).is_ok()).await;
    let other = EtcdStore::connect(options(&cluster, "dal", "/signin/")).await.unwrap();
    let crashed = AuditEvent::new("mqadmin", "10.0.0.9", "login", "mqadmin", "ok", "appended, mark lost".into());
    let record = other.audit(crashed.clone()).await.unwrap();
    let next = AuditEvent::new("mqadmin", "10.0.0.9", "login", "mqadmin", "ok", "kept after it".into());
    {
        let held = AuditSpool::open(&spool).unwrap();
        held.push(record.id - 1, crashed.clone()).unwrap();
        held.push(record.id - 1, next.clone()).unwrap();
    }
    let (store, _app) = console(&cluster).await;
    wait_until("the spool is in the chain", Duration::from_secs(15), async || AuditSpool::read_pending(&spool).unwrap().is_empty()).await;
    let tail: Vec<String> = store.audit_log(3).await.unwrap().into_iter().rev().map(|r| r.event.details).collect();
    assert_eq!(tail[1..], ["appended, mark lost", "kept after it"], "{tail:?}");
    assert_eq!(store.audit_find(record.id, crashed).await.unwrap(), None, "once");
    assert_eq!(store.verify_audit(None).await.unwrap(), None);
}

/// The lease keeper renews through a member that answers: the member its renewals went through
/// killed (in three rounds, so also the leader's loss), the instance is never fenced over two
/// TTLs (six renewals); its renewals go through another member, and its writes succeed again,
/// within a tick of the kill (plus, when the killed member led, the election of a new leader:
/// up to twice the cluster's 500 ms election timeout).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lease_is_renewed_through_another_member_when_its_member_is_killed() {
    let mut cluster = EtcdCluster::start();
    let store = EtcdStore::connect(options(&cluster, "wdc", "/renew/")).await.unwrap();
    let ttl = options(&cluster, "wdc", "/renew/").lease_ttl;
    let tick = ttl / 3;
    let mut at = 0;
    let mut killed_members = Vec::new();
    for _ in 0..3 {
        let mut through = None;
        wait_until("a renewal went through a member", tick * 2, async || {
            through = store.renews_through();
            through.is_some()
        })
        .await;
        let through = through.unwrap();
        let member = cluster.member_at(&through);
        cluster.stop(member);
        let killed = Instant::now();
        // Watched apart from the writes, which may each wait for an election.
        let watch = async {
            let mut moved = None;
            while killed.elapsed() < ttl * 2 {
                if let Err(e) = store.may_act() {
                    panic!("fenced {:?} after {member} (renewals' member) was killed: {e}", killed.elapsed());
                }
                if moved.is_none() && store.renews_through().is_some_and(|now| now != through) {
                    moved = Some(killed.elapsed());
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            moved
        };
        let write = async {
            let (mut first, mut last) = (None, Duration::ZERO);
            while killed.elapsed() < ttl * 2 {
                at += 1;
                match store.revoke_user("renewal-probe".into(), at).await {
                    Ok(()) => {
                        first.get_or_insert(killed.elapsed());
                        last = killed.elapsed();
                    }
                    // The write itself sent to the member just killed, or the cluster electing
                    // a new leader ("leader changed"): nothing written, not for want of the lease.
                    Err(StoreError::Unavailable(_)) => {}
                    Err(e) => panic!("{:?} after {member} was killed: {e:?}", killed.elapsed()),
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            (first, last)
        };
        let (moved, (first_write, last_write)) = tokio::join!(watch, write);
        // A renewal falls due within a tick of the kill; when the killed member led, the others
        // renew once they have elected a new leader.
        let election = Duration::from_secs(1);
        let moved = moved.unwrap_or_else(|| panic!("renewals still go through {member} ({through}) {:?} after it was killed", ttl * 2));
        assert!(moved < tick + election, "renewals moved off {member} only {moved:?} after the kill");
        let first = first_write.unwrap_or_else(|| panic!("no write succeeded within {:?} after {member} was killed", ttl * 2));
        assert!(first < tick + election, "the first write {first:?} after {member} was killed");
        assert!(killed.elapsed() - last_write < Duration::from_secs(1), "writes stopped {last_write:?} after {member} was killed");
        eprintln!("{member} killed: renewals moved after {moved:?}, first write after {first:?}");
        killed_members.push(member);
        cluster.resume(member);
    }
    assert_eq!(store.verify_audit(None).await.unwrap(), None);
    eprintln!("killed in turn: {killed_members:?}");
}
