//! Transport: the console serves HTTPS itself (Secure cookies then), refuses plain HTTP on
//! an address other hosts reach, and refuses plain LDAP to another host.

// Test helpers unwrap like the tests they serve (clippy's allow-unwrap-in-tests covers only
// #[test] functions).
#![allow(clippy::unwrap_used)]

mod common;

use common::serve::Console;
use sim::lab::Lab;
use std::process::Command;

/// The lab's configuration with `edit` applied to its text, written beside the lab's.
fn config_with(lab: &Lab, name: &str, edit: impl FnOnce(String) -> String) -> String {
    let text = std::fs::read_to_string(lab.var("LAB_CONSOLE_CONFIG")).unwrap();
    let path = lab.run_dir().join(name);
    std::fs::write(&path, edit(text)).unwrap();
    path.display().to_string()
}

fn curl(args: &[&str]) -> (bool, String) {
    let out = Command::new("curl").args(["--silent", "--show-error", "--max-time", "10"]).args(args).output().unwrap();
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

fn check_config(path: &str) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_rdqm-console")).args(["check-config", path]).output().unwrap();
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_with_secure_cookies_and_no_plain_text_to_other_hosts() {
    let lab = Lab::start_default();
    let tls = config_with(&lab, "console-tls.toml", |text| {
        text.replacen(
            "[server]\n",
            &format!("[server]\ntls_cert_file = {:?}\ntls_key_file = {:?}\n", lab.var("LAB_CONSOLE_TLS_CERT"), lab.var("LAB_CONSOLE_TLS_KEY")),
            1,
        )
    });
    let _console = Console::start(&tls);
    let https = lab.var("LAB_CONSOLE_URL").replace("http://", "https://");
    let ca = lab.var("LAB_LDAP_CA_FILE");
    let (ok, body) = curl(&["--cacert", ca, &format!("{https}/healthz")]);
    assert!(ok && body.starts_with("ok\nstore: sqlite writable\n"), "{body}");
    let (ok, answer) = curl(&[
        "--cacert",
        ca,
        "--include",
        "--header",
        "Content-Type: application/json",
        "--data",
        r#"{"username":"mqadmin","password":"mqadmin"}"#,
        &format!("{https}/api/session"),
    ]);
    assert!(ok, "{answer}");
    let cookie = answer.lines().find(|l| l.to_ascii_lowercase().starts_with("set-cookie:")).unwrap_or_else(|| panic!("{answer}"));
    assert!(cookie.contains("; Secure") && cookie.contains("HttpOnly"), "{cookie}");
    // The certificate is checked: an unknown CA is refused, and plain HTTP gets no answer.
    let (ok, why) = curl(&["--cacert", lab.var("LAB_ROGUE_CA_FILE"), &format!("{https}/healthz")]);
    assert!(!ok, "{why}");
    let (ok, why) = curl(&[&format!("{}/healthz", lab.var("LAB_CONSOLE_URL"))]);
    assert!(!ok || !why.contains("ok"), "{why}");

    // Plain HTTP on an address other hosts reach is refused, unless a TLS proxy is in front.
    let open = config_with(&lab, "console-open.toml", |text| text.replacen("listen = \"127.0.0.1:", "listen = \"0.0.0.0:", 1));
    let (ok, why) = check_config(&open);
    assert!(!ok && why.contains("server.listen") && why.contains("behind_tls_proxy"), "{why}");
    let proxied = config_with(&lab, "console-proxied.toml", |text| {
        text.replacen("listen = \"127.0.0.1:", "behind_tls_proxy = true\nlisten = \"0.0.0.0:", 1)
    });
    let (ok, why) = check_config(&proxied);
    assert!(ok, "{why}");
    // Plain LDAP to another host is refused unless allowed in so many words.
    let remote = config_with(&lab, "console-ldap.toml", |text| {
        let start = text.find("url = \"ldap://").unwrap();
        let end = text[start..].find('\n').unwrap() + start;
        format!("{}url = \"ldap://ldap.example.com:389\"{}", &text[..start], &text[end..])
    });
    let (ok, why) = check_config(&remote);
    assert!(!ok && why.contains("ldap.url") && why.contains("starttls"), "{why}");
    let allowed = config_with(&lab, "console-ldap-allowed.toml", |_| {
        std::fs::read_to_string(&remote).unwrap().replacen("[ldap]\n", "[ldap]\nallow_plaintext = true\n", 1)
    });
    let (ok, why) = check_config(&allowed);
    assert!(ok, "{why}");
}
