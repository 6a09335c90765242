//! How a certificate rotation's steps are checked on the hosts: GSKit's own `-details` and
//! `-list`, `DISPLAY CHSTATUS` of the channel that checks the certificate, and a TLS client
//! (`amqssslc`) through MQIPT — never the console's idea of what should have happened.

use super::actions::Done;
use crate::fleet::{Cmd, RemoteExec};
use model::plan::Verify;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(60);

async fn run(exec: &dyn RemoteExec, host: &str, cmd: Cmd, stdin: Option<&[u8]>) -> Result<crate::fleet::CmdOutput, String> {
    exec.run(host, &cmd, stdin, TIMEOUT).await.map_err(|e| e.to_string())
}

/// A DN's attributes, upper-cased names and lower-cased values, in a fixed order: GSKit
/// prints a DN most specific first whatever order it was given in.
fn dn_key(dn: &str) -> Vec<(String, String)> {
    let mut parts: Vec<(String, String)> = dn
        .split(',')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.trim().to_ascii_uppercase(), v.trim().to_ascii_lowercase()))
        .collect();
    parts.sort();
    parts
}

fn serial_digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_hexdigit).map(|c| c.to_ascii_uppercase()).collect::<String>().trim_start_matches('0').to_string()
}

async fn details(exec: &dyn RemoteExec, host: &str, program: &str, db: &str, label: &str) -> Result<model::runmqakm::CertDetails, String> {
    let out = run(exec, host, Cmd::new(program, ["-cert", "-details", "-db", db, "-stashed", "-label", label]), None).await?;
    let parsed = model::runmqakm::parse_details(&out.stdout);
    if out.exit_code != Some(0) || parsed.label.is_none() {
        let said = format!("{}{}", out.stdout, out.stderr);
        return Err(format!("{program} -cert -details on {host}: {}", said.trim()));
    }
    Ok(parsed)
}

/// Polls `probe` every half second until it says yes or `timeout_secs` pass.
async fn poll_until<F, Fut>(timeout_secs: u64, mut probe: F) -> Result<String, String>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<String, String>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout_secs);
    loop {
        let outcome = probe().await;
        if outcome.is_ok() || tokio::time::Instant::now() >= deadline {
            return outcome.map_err(|e| format!("after {timeout_secs} s: {e}"));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

pub async fn verify(exec: &dyn RemoteExec, host: &str, verify: &Verify, done: &Done) -> Result<String, String> {
    match verify {
        Verify::CertPresent { program, db, label, subject } => {
            let d = details(exec, host, program, db, label).await?;
            let shown = d.subject.unwrap_or_default();
            if dn_key(&shown) == dn_key(subject) {
                Ok(format!("{program} -cert -details on {host}: {label}, Subject {shown}, Serial {}", d.serial.unwrap_or_default()))
            } else {
                Err(format!("{program} -cert -details on {host}: {label} has Subject {shown}, expected {subject}"))
            }
        }
        Verify::CertAbsent { program, db, label } => {
            let out = run(exec, host, Cmd::new(program, ["-cert", "-list", "-db", db, "-stashed"]), None).await?;
            if out.exit_code != Some(0) {
                return Err(format!("{program} -cert -list on {host} failed: {}", format!("{}{}", out.stdout, out.stderr).trim()));
            }
            let list = model::runmqakm::parse_list(&out.stdout);
            if list.certificates.iter().any(|c| c.label == *label) {
                Err(format!("{program} -cert -list on {host} still lists {label}"))
            } else {
                Ok(format!("{program} -cert -list on {host}: {label} is gone"))
            }
        }
        Verify::ChannelPresents { qmgr, channel, cert_host, program, db, label, timeout_secs } => {
            let d = details(exec, cert_host, program, db, label).await?;
            let serial = serial_digits(d.serial.as_deref().unwrap_or(""));
            let script = format!("DISPLAY CHSTATUS({channel}) ALL\n");
            poll_until(*timeout_secs, || async {
                let out = run(exec, host, Cmd::new("runmqsc", [qmgr.as_str()]), Some(script.as_bytes())).await?;
                let parsed = model::mqsc::parse(&out.stdout);
                let statuses: Vec<(String, String)> = parsed
                    .objects
                    .iter()
                    .filter(|o| o.message == "AMQ8417I")
                    .map(|o| (o.get("STATUS").unwrap_or("").trim().to_string(), o.get("SSLPEER").unwrap_or("").trim().to_string()))
                    .collect();
                let presented = |peer: &str| {
                    let first = peer.split(',').next().unwrap_or("");
                    first.trim().to_ascii_uppercase().starts_with("SERIALNUMBER=") && serial_digits(first.split_once('=').map_or("", |(_, v)| v)) == serial
                };
                match statuses.iter().find(|(status, peer)| status == "RUNNING" && presented(peer)) {
                    Some((_, peer)) => Ok(format!("DISPLAY CHSTATUS({channel}) on {qmgr}: RUNNING, SSLPEER({peer}), the serial of {label}")),
                    None if statuses.is_empty() => Err(format!("DISPLAY CHSTATUS({channel}) on {qmgr}: no status")),
                    None => Err(format!(
                        "DISPLAY CHSTATUS({channel}) on {qmgr}: {}; expected RUNNING with the serial of {label} ({serial})",
                        statuses.iter().map(|(s, p)| format!("STATUS({s}) SSLPEER({p})")).collect::<Vec<_>>().join("; ")
                    )),
                }
            })
            .await
        }
        Verify::TlsClientConnects { qmgr, channel, conname, keyr, certlabl, cipher, timeout_secs } => {
            let established = format!("Connection established to queue manager {qmgr}");
            let connected = |out: &crate::fleet::CmdOutput| out.stdout.lines().any(|l| l.trim_end() == established);
            if connected(&done.output) {
                return Ok(format!("amqssslc on {host}: {established}"));
            }
            let args = ["-m", qmgr.as_str(), "-c", channel.as_str(), "-x", conname.as_str(), "-k", keyr.as_str(), "-l", certlabl.as_str(), "-s", cipher.as_str()];
            poll_until(*timeout_secs, || async {
                let out = run(exec, host, Cmd::new("amqssslc", args), None).await?;
                if connected(&out) {
                    Ok(format!("amqssslc on {host}: {established}"))
                } else {
                    let said = format!("{}{}", out.stdout, out.stderr);
                    Err(format!("amqssslc on {host}: {}", said.lines().find(|l| l.contains("reason code")).unwrap_or("no connection")))
                }
            })
            .await
        }
        Verify::PemCertificate { path, subject, san_dns } => {
            let out = run(exec, host, Cmd::new("cat", [path.as_str()]), None).await?;
            if out.exit_code != Some(0) {
                return Err(format!("cat {path} on {host}: {}", out.stderr.trim()));
            }
            let (shown, names) = pem_subject_and_san(&out.stdout).map_err(|e| format!("{path} on {host}: {e}"))?;
            let missing: Vec<&String> = san_dns.iter().filter(|n| !names.iter().any(|d| d.eq_ignore_ascii_case(n))).collect();
            if dn_key(&shown) != dn_key(subject) {
                Err(format!("{path} on {host} is for {shown}, expected {subject}"))
            } else if !missing.is_empty() {
                Err(format!("{path} on {host}: its SubjectAltName ({}) lacks {}", names.join(", "), missing.iter().map(|m| format!("DNS:{m}")).collect::<Vec<_>>().join(", ")))
            } else {
                Ok(format!("{path} on {host}: {shown}, SubjectAltName DNS:{}", names.join(", DNS:")))
            }
        }
        _ => Err("not a certificate check".into()),
    }
}

/// The subject (as MQ shows DNs) and the DNS names of the first certificate of a PEM text.
fn pem_subject_and_san(text: &str) -> Result<(String, Vec<String>), String> {
    use x509_parser::prelude::*;
    let (_, pem) = x509_parser::pem::parse_x509_pem(text.as_bytes()).map_err(|e| format!("not a PEM certificate: {e}"))?;
    let cert = pem.parse_x509().map_err(|e| format!("unreadable certificate: {e}"))?;
    let attributes: Vec<(String, String)> = cert.subject().iter_attributes().map(|a| (a.attr_type().to_id_string(), a.as_str().unwrap_or("?").to_string())).collect();
    let subject = model::certs::mq_dn(attributes.iter().map(|(o, v)| (o.as_str(), v.as_str())));
    let names = match cert.subject_alternative_name() {
        Ok(Some(san)) => san.value.general_names.iter().filter_map(|n| if let GeneralName::DNSName(d) = n { Some(d.to_string()) } else { None }).collect(),
        _ => Vec::new(),
    };
    Ok((subject, names))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dn_compares_whatever_its_order_and_case() {
        assert_eq!(dn_key("cn=SSLDRHAQM1,O=IBM,C=US,OU=SSL For MQ,ST=MA"), dn_key("CN=SSLDRHAQM1,OU=SSL For MQ,O=IBM,ST=MA,C=US"));
        assert_ne!(dn_key("CN=A,O=IBM"), dn_key("CN=B,O=IBM"));
        assert_eq!(serial_digits("5e:c8:0A"), serial_digits("5EC80a"));
    }
}
