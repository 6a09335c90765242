//! A rotation by signing request: the run waits (`awaiting_certificate`) for an operator to
//! upload the CA-signed certificate, which is checked before the run goes on — it answers the
//! request (same public key), names what it must, is signed as the policy allows, and its
//! issuer is trusted by every store that will check it — so a wrong file never reaches a host.

use super::engine::{Actor, Ending, Engine, EngineError, Start, now_ms};
use crate::fleet::Cmd;
use model::certs::Purpose;
use model::plan::Action;
use model::run::{Run, RunState};
use std::sync::Arc;
use std::time::Duration;
use x509_parser::prelude::*;

/// What the uploaded certificate says of itself.
struct Uploaded {
    public_key: Vec<u8>,
    subject: String,
    issuer: String,
    serial: String,
    key_bits: u32,
    signature: String,
    not_after_ms: u64,
    san_dns: Vec<String>,
}

fn dn(name: &X509Name) -> String {
    let attributes: Vec<(String, String)> = name.iter_attributes().map(|a| (a.attr_type().to_id_string(), a.as_str().unwrap_or("?").to_string())).collect();
    model::certs::mq_dn(attributes.iter().map(|(o, v)| (o.as_str(), v.as_str())))
}

fn read_certificate(pem_text: &str) -> Result<Uploaded, String> {
    let (_, pem) = x509_parser::pem::parse_x509_pem(pem_text.as_bytes()).map_err(|e| format!("not a PEM certificate: {e}"))?;
    let cert = pem.parse_x509().map_err(|e| format!("the certificate cannot be read: {e}"))?;
    let signature = match cert.signature_algorithm.algorithm.to_id_string().as_str() {
        "1.2.840.113549.1.1.11" => "SHA256WithRSA".to_string(),
        "1.2.840.113549.1.1.12" => "SHA384WithRSA".to_string(),
        "1.2.840.113549.1.1.13" => "SHA512WithRSA".to_string(),
        "1.2.840.113549.1.1.5" => "SHA1WithRSA".to_string(),
        other => other.to_string(),
    };
    Ok(Uploaded {
        public_key: cert.public_key().raw.to_vec(),
        subject: dn(cert.subject()),
        issuer: dn(cert.issuer()),
        serial: cert.raw_serial().iter().map(|b| format!("{b:02x}")).collect(),
        key_bits: cert.public_key().parsed().map(|k| k.key_size() as u32).unwrap_or(0),
        signature,
        not_after_ms: u64::try_from(cert.validity().not_after.timestamp()).unwrap_or(0) * 1000,
        san_dns: match cert.subject_alternative_name() {
            Ok(Some(san)) => san.value.general_names.iter().filter_map(|n| if let GeneralName::DNSName(d) = n { Some(d.to_string()) } else { None }).collect(),
            _ => Vec::new(),
        },
    })
}

/// Two DNs with the same attributes, types and values compared as MQ compares them (case
/// and order aside).
fn same_dn(a: &str, b: &str) -> bool {
    let attributes = |dn: &str| -> Option<Vec<(String, String)>> {
        let mut list: Vec<(String, String)> = model::sslpeer::parse(dn, "certificate DN", false).ok()?.into_iter().map(|a| (a.kind, a.value.to_uppercase())).collect();
        list.sort();
        Some(list)
    };
    match (attributes(a), attributes(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a.eq_ignore_ascii_case(b),
    }
}

/// The public key of a PEM signing request.
fn request_key(pem_text: &str) -> Result<Vec<u8>, String> {
    let (_, pem) = x509_parser::pem::parse_x509_pem(pem_text.as_bytes()).map_err(|e| format!("the signing request is not PEM: {e}"))?;
    let (_, csr) = x509_parser::certification_request::X509CertificationRequest::from_der(&pem.contents).map_err(|e| format!("the signing request cannot be read: {e}"))?;
    Ok(csr.certification_request_info.subject_pki.raw.to_vec())
}

impl Engine {
    /// The run reached its wait for the signed certificate: it stops there, its locks held,
    /// until an operator uploads it or rolls the run back.
    pub(super) async fn await_certificate(self: Arc<Self>, mut run: Run, step: usize, actor: &Actor) {
        run.state = RunState::AwaitingCertificate;
        run.message = Some(format!(
            "waiting for the CA-signed certificate: have the signing request (the output of step {}) signed by your CA and upload the certificate here; rolling back deletes the request",
            step
        ));
        if let Err(e) = self.transition(&mut run, RunState::Running).await {
            tracing::error!(run = %run.id, error = %e, "the run could not be set to wait for its certificate");
            return;
        }
        if let Err(e) = self.audit(actor, "await_certificate", &run.subject, "ok", format!("run {} step {}", run.id, step + 1)).await {
            tracing::error!(run = %run.id, error = %e, "not recorded in the audit log");
        }
    }

    /// An operator uploads the CA-signed certificate of a run waiting for it: checked, kept
    /// with the run (compare-and-swap: of two uploads exactly one wins), then the run goes on.
    pub async fn upload_certificate(self: &Arc<Self>, run_id: &str, pem: String, actor: &Actor) -> Result<(), EngineError> {
        let run_id = run_id.to_string();
        self.detached(actor, move |engine, actor| async move { engine.upload_here(&run_id, pem, &actor).await }).await
    }

    async fn upload_here(self: &Arc<Self>, run_id: &str, pem: String, actor: &Actor) -> Result<(), EngineError> {
        actor.require_operator("upload certificates")?;
        self.store().may_act()?;
        let mut run = self.load_run(run_id).await?;
        if run.state != RunState::AwaitingCertificate {
            return Err(EngineError::Conflict(format!("run {run_id} is not waiting for a certificate")));
        }
        let plan = self.load_plan(&run.plan_id).await?;
        let Some(step) = plan.steps.iter().find(|s| matches!(s.action, Action::AwaitCertificate { .. })) else {
            return Err(EngineError::Conflict(format!("run {run_id} has no step that waits for a certificate")));
        };
        let Action::AwaitCertificate { request, .. } = &step.action else { unreachable!("matched above") };
        let found = self.check_upload(&plan, &step.host, request, &pem).await.map_err(EngineError::BadRequest)?;
        let driving = self.drive_here(&mut run);
        run.signed_certificate = Some(pem);
        run.state = RunState::Running;
        run.message = Some(format!("{} uploaded the signed certificate ({found}); the run goes on", actor.user));
        self.transition(&mut run, RunState::AwaitingCertificate).await?;
        if let Err(why) = self.renew_locks(&run, &plan).await {
            run.state = RunState::Interrupted;
            run.message = Some(format!("the certificate was kept, but {why}; resume when it is free"));
            self.transition(&mut run, RunState::Running).await?;
            return Err(EngineError::Locked(why));
        }
        if let Err(e) = self.audit(actor, "certificate_uploaded", &run.subject, "ok", format!("run {run_id}: {found}")).await {
            run.state = RunState::Interrupted;
            run.message = Some("the certificate was kept, but the audit log cannot be written; resume when it can".into());
            self.transition(&mut run, RunState::Running).await?;
            return Err(e);
        }
        let engine = Arc::clone(self);
        let actor = actor.clone();
        tokio::spawn(async move { engine.drive(run, plan, Start::Fresh, Ending::Succeeded, actor, driving).await });
        Ok(())
    }

    /// Every reason to refuse the certificate, in words; `Ok` says what it is.
    async fn check_upload(&self, plan: &model::plan::Plan, host: &str, request: &str, pem: &str) -> Result<String, String> {
        let cert = read_certificate(pem)?;
        let out = self.exec.run(host, &Cmd::new("cat", [request]), None, Duration::from_secs(20)).await.map_err(|e| format!("the signing request on {host} cannot be read: {e}"))?;
        if out.exit_code != Some(0) {
            return Err(format!("the signing request {request} on {host} cannot be read: {}", out.stderr.trim()));
        }
        if request_key(&out.stdout)? != cert.public_key {
            return Err(format!("this certificate ({}, serial {}) does not answer the signing request {request}: its public key is another", cert.subject, cert.serial));
        }
        let policy = &self.cert_policy;
        let mut problems = Vec::new();
        if cert.key_bits < policy.min_key_bits {
            problems.push(format!("its key has {} bits; the policy asks for at least {}", cert.key_bits, policy.min_key_bits));
        }
        if !policy.signature_allowed(&cert.signature) {
            problems.push(format!("it is signed with {}, which the policy does not allow ({})", cert.signature, policy.allowed_signatures.join(", ")));
        }
        if cert.not_after_ms <= now_ms() {
            problems.push("it has already expired".into());
        }
        if let Some(rotation) = &plan.rotation {
            // A CA may sign another DN than the one requested: the plan checked the requested
            // one against every SSLPEER filter, so a different one is refused here, not later
            // by a channel (AMQ9636E).
            if !same_dn(&cert.subject, &rotation.new_subject) {
                problems.push(format!("its subject ({}) is not the one requested ({})", cert.subject, rotation.new_subject));
            }
            for channel in rotation.channels.iter().filter(|c| !c.sslpeer.is_empty()) {
                if let Ok(found) = model::sslpeer::matches(&cert.subject, &channel.sslpeer)
                    && !found.matches
                {
                    problems.push(format!("{}'s channel {} would refuse it (SSLPEER {}: {}; AMQ9636E)", channel.qmgr, channel.channel, channel.sslpeer, found.explanation));
                }
            }
            if let Purpose::Replication { node } = &rotation.purpose
                && !cert.san_dns.iter().any(|d| d.eq_ignore_ascii_case(node))
            {
                problems.push(format!("its SubjectAltName ({}) does not name {node}, which DR/HA replication requires", cert.san_dns.join(", ")));
            }
            let inventory = self.certs.as_ref().and_then(|c| c.current());
            let mut checkers: Vec<(&str, &str)> = rotation.trusting.iter().map(|t| (t.store.as_str(), t.host.as_str())).collect();
            if !matches!(rotation.purpose, Purpose::Replication { .. }) {
                // GSKit receives a certificate only into a database that trusts its signer.
                checkers.push((rotation.store.as_str(), rotation.host.as_str()));
            }
            match &inventory {
                None => problems.push("the certificate inventory is not read yet: who trusts the issuer is unknown".into()),
                Some(inventory) => {
                    for (store, host) in checkers {
                        let trusted = inventory.certificates.iter().any(|c| c.store == store && !c.personal && c.subject.eq_ignore_ascii_case(&cert.issuer));
                        if !trusted {
                            problems.push(format!("{store} (on {host}) does not trust its issuer {}: that side would refuse it", cert.issuer));
                        }
                    }
                }
            }
        }
        if problems.is_empty() {
            Ok(format!("{}, serial {}, issued by {}", cert.subject, cert.serial, cert.issuer))
        } else {
            Err(format!("the certificate ({}, issued by {}) is refused: {}", cert.subject, cert.issuer, problems.join("; ")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::same_dn;

    #[test]
    fn a_dn_is_the_same_whatever_its_order_and_case() {
        assert!(same_dn("CN=SSLDRHAQM1,O=IBM,C=US", "C=US, O=IBM, CN=ssldrhaqm1"));
        assert!(!same_dn("CN=SSLDRHAQM1,O=IBM,C=US", "CN=SSLDRHAQM1,O=IBM,C=GB"));
        assert!(!same_dn("CN=SSLDRHAQM1,O=IBM", "CN=SSLDRHAQM1,O=IBM,OU=MQ"));
    }
}
