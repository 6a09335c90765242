//! What the certificates page offers for a certificate entry, and what rotations made.
//!
//! A personal certificate can be rotated (`cert-rotate`): prominently ("Rotate — expires in 5
//! days") when a finding about it proposes a rotation. A personal certificate, or a signer
//! that has expired, can be retired (`cert-retire`): the server blocks that, with its reasons,
//! while the certificate is still in use. Both only open the plan preview. Viewers see them
//! disabled, described by the page's read-only note.
//!
//! A certificate made by a succeeded rotation (a `cert-rotate` run whose trust graph names
//! its label as the new one, in its store or in a store that trusts it) is marked as such,
//! with the run.

use crate::components::expiry_timeline::expiry;
use crate::components::plan::{VIEWER_REASON_ID, use_planner};
use crate::session::use_session;
use leptos::prelude::*;
use model::certs::{CertInventory, CertView};
use model::estate::FindingCode;
use model::intent::RotateMode;
use model::plan::Intent;
use model::run::{Run, RunState};

/// The finding codes that propose a rotation, most pressing first.
pub const PROPOSING: [FindingCode; 6] =
    [FindingCode::CertExpired, FindingCode::CertExpiring, FindingCode::CertHostname, FindingCode::CertWeakKey, FindingCode::CertWeakSignature, FindingCode::CertRotationDue];

/// Why a rotation of `c` is proposed, in a few words ("expires in 5 days"), from the
/// inventory's findings about it; `None` when nothing proposes one (or it is not personal).
pub fn rotation_proposed(inventory: &CertInventory, c: &CertView, now_ms: u64) -> Option<String> {
    if !c.personal {
        return None;
    }
    let subject = format!("{}:{}", c.host, c.label);
    let code = PROPOSING.into_iter().find(|code| inventory.findings.iter().any(|f| f.subject == subject && f.code == *code))?;
    Some(match code {
        FindingCode::CertExpired | FindingCode::CertExpiring => expiry(c.not_after, now_ms).1,
        FindingCode::CertRotationDue => match c.not_after {
            Some(end) => format!("due: ends in {} days", end.saturating_sub(now_ms) / 86_400_000),
            None => "due".to_string(),
        },
        FindingCode::CertHostname => "host name missing from SAN".to_string(),
        FindingCode::CertWeakKey => "weak key".to_string(),
        _ => "weak signature".to_string(),
    })
}

/// Whether `c` can be offered for retirement: a personal certificate (the old one after a
/// rotation), or a signer that has expired.
pub fn retirable(inventory: &CertInventory, c: &CertView) -> bool {
    let subject = format!("{}:{}", c.host, c.label);
    c.personal || inventory.findings.iter().any(|f| f.subject == subject && f.code == FindingCode::CertExpired)
}

pub fn rotate_intent(c: &CertView) -> Intent {
    Intent::CertRotate { host: c.host.clone(), store: c.store.clone(), label: c.label.clone(), subject: None, mode: RotateMode::SelfSigned }
}

pub fn retire_intent(c: &CertView) -> Intent {
    Intent::CertRetire { host: c.host.clone(), store: c.store.clone(), label: c.label.clone() }
}

/// A certificate a succeeded rotation made.
#[derive(Clone, Debug, PartialEq)]
pub struct Rotated {
    pub run_id: String,
    /// When the run ended.
    pub at: u64,
    /// The certificate it replaced.
    pub old_label: String,
    pub new_label: String,
    /// The rotated store and every store that trusts the new certificate.
    pub stores: Vec<String>,
}

/// The rotations that succeeded, newest first (as the runs are listed).
pub fn rotations(runs: &[Run]) -> Vec<Rotated> {
    runs.iter()
        .filter(|r| r.state == RunState::Succeeded && matches!(r.intent, Intent::CertRotate { .. }))
        .filter_map(|r| {
            let rot = r.rotation.as_ref()?;
            let stores = std::iter::once(rot.store.clone()).chain(rot.trusting.iter().map(|t| t.store.clone())).collect();
            Some(Rotated { run_id: r.id.clone(), at: r.updated_at, old_label: rot.label.clone(), new_label: rot.new_label.clone(), stores })
        })
        .collect()
}

/// The rotation that made `c`, if one did.
pub fn made_by<'a>(rotated: &'a [Rotated], c: &CertView) -> Option<&'a Rotated> {
    rotated.iter().find(|r| r.new_label == c.label && r.stores.contains(&c.store))
}

/// A finished certificate run (rotation or retirement) the inventory was read before: the
/// page does not show what it changed yet.
pub fn unread_change(runs: &[Run], collected_at: u64) -> Option<&Run> {
    runs.iter().find(|r| r.state == RunState::Succeeded && matches!(r.intent, Intent::CertRotate { .. } | Intent::CertRetire { .. }) && r.updated_at > collected_at)
}

/// The buttons of one certificate entry.
#[component]
pub fn CertActions(cert: CertView, proposed: Option<String>, retire: bool) -> impl IntoView {
    let planner = use_planner();
    let operator = untrack(|| use_session().is_operator());
    let described = (!operator).then_some(VIEWER_REASON_ID);
    let rotate = cert.personal.then(|| {
        let intent = rotate_intent(&cert);
        let prominent = proposed.is_some();
        let label = match proposed {
            Some(why) => format!("Rotate — {why}"),
            None => "Rotate".to_string(),
        };
        view! {
            <button type="button" class="rotate" class:primary=prominent disabled=!operator aria-describedby=described on:click=move |_| planner.open.set(Some(intent.clone()))>
                {label}
            </button>
        }
    });
    let retire = retire.then(|| {
        let intent = retire_intent(&cert);
        view! {
            <button type="button" class="retire" disabled=!operator aria-describedby=described on:click=move |_| planner.open.set(Some(intent.clone()))>
                "Retire"
            </button>
        }
    });
    view! { <div class="cert-actions">{rotate}{retire}</div> }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::certs::Purpose;
    use model::estate::{Finding, Severity};
    use model::plan_cert::{Rotation, TrustingStore};

    const DAY: u64 = 86_400_000;

    fn cert(label: &str, personal: bool, not_after: u64) -> CertView {
        CertView {
            host: "wdc-bastion".into(),
            store: "/keys/client.pfx".into(),
            purpose: Purpose::MqiptClient { instance: "HAMQ".into() },
            label: label.into(),
            personal,
            trusted: !personal,
            subject: format!("CN={label}"),
            issuer: "CN=CA".into(),
            serial: "01".into(),
            key_bits: Some(2048),
            signature: None,
            not_before: None,
            not_after: Some(not_after),
            san_dns: Vec::new(),
        }
    }

    fn inventory(findings: &[(&str, &str)]) -> CertInventory {
        CertInventory {
            collected_at: 0,
            certificates: Vec::new(),
            channels: Vec::new(),
            errors: Vec::new(),
            findings: findings
                .iter()
                .map(|(subject, code)| Finding { severity: Severity::Warning, code: serde_json::from_value(serde_json::json!(code)).unwrap(), message: "words decide nothing".into(), subject: (*subject).into(), evidence: Vec::new() })
                .collect(),
            qmgr_labels: Default::default(),
            tlshd: Vec::new(),
        }
    }

    #[test]
    fn a_finding_that_proposes_a_rotation_makes_it_prominent_in_words() {
        let now = 1_000 * DAY;
        let c = cert("mqiptclient", true, now + 5 * DAY + 1);
        assert_eq!(rotation_proposed(&inventory(&[]), &c, now), None);
        assert_eq!(rotation_proposed(&inventory(&[("wdc-bastion:mqiptclient", "cert_expiring")]), &c, now).as_deref(), Some("expires in 5 days"));
        assert_eq!(rotation_proposed(&inventory(&[("wdc-bastion:mqiptclient", "cert_weak_key")]), &c, now).as_deref(), Some("weak key"));
        // The most pressing reason names it, whatever the order of the findings.
        let both = inventory(&[("wdc-bastion:mqiptclient", "cert_weak_signature"), ("wdc-bastion:mqiptclient", "cert_expired")]);
        assert_eq!(rotation_proposed(&both, &cert("mqiptclient", true, now - 3 * DAY - 1), now).as_deref(), Some("expired 3 days ago"));
        // Findings that no rotation fixes, or about another certificate, propose nothing.
        assert_eq!(rotation_proposed(&inventory(&[("wdc-bastion:mqiptclient", "cert_untrusted"), ("wdc1-mq1:mqiptclient", "cert_expired")]), &c, now), None);
        let due = inventory(&[("wdc-bastion:mqiptclient", "cert_rotation_due")]);
        assert_eq!(rotation_proposed(&due, &cert("mqiptclient", true, now + 45 * DAY + 5), now).as_deref(), Some("due: ends in 45 days"));
        // A signer is not rotated where it is trusted: its owner's store rotates it.
        assert_eq!(rotation_proposed(&inventory(&[("wdc-bastion:mqiptclient", "cert_expiring")]), &cert("mqiptclient", false, now), now), None);
    }

    #[test]
    fn personal_certificates_and_expired_signers_can_be_retired() {
        assert!(retirable(&inventory(&[]), &cert("a", true, 0)));
        assert!(!retirable(&inventory(&[]), &cert("a", false, 0)));
        assert!(retirable(&inventory(&[("wdc-bastion:a", "cert_expired")]), &cert("a", false, 0)));
    }

    fn run(state: RunState, rotation: Option<Rotation>) -> Run {
        Run {
            id: "r1".into(),
            plan_id: "p1".into(),
            kind: "cert-rotate".into(),
            subject: "mqiptclient".into(),
            intent: rotate_intent(&cert("mqiptclient", true, 0)),
            requested_by: "mqadmin".into(),
            state,
            created_at: 10,
            updated_at: 20,
            steps: Vec::new(),
            undo: Vec::new(),
            remediation: Vec::new(),
            message: None,
            approved_by: None,
            approval_expires_at: None,
            denied_by: None,
            owner: None,
            signed_certificate: None,
            rotation,
        }
    }

    fn rotation() -> Rotation {
        Rotation {
            host: "wdc-bastion".into(),
            store: "/keys/client.pfx".into(),
            label: "mqiptclient".into(),
            purpose: Purpose::MqiptClient { instance: "HAMQ".into() },
            subject: "CN=mqiptclient".into(),
            serial: "01".into(),
            written_on: "wdc-bastion".into(),
            new_label: "mqiptclient-202612052130".into(),
            new_subject: "CN=mqiptclient".into(),
            trusting: vec![TrustingStore { host: "wdc1-mq1".into(), store: "/qm/key.kdb".into(), purpose: Purpose::QmgrKeyRepository { qmgr: "QM".into() }, why: String::new() }],
            channels: Vec::new(),
            routes: Vec::new(),
        }
    }

    #[test]
    fn a_succeeded_rotation_marks_the_certificate_it_made_in_every_store_that_holds_it() {
        let made = rotations(&[run(RunState::Succeeded, Some(rotation())), run(RunState::RolledBack, Some(rotation())), run(RunState::Succeeded, None)]);
        assert_eq!(made.len(), 1);
        assert_eq!(made[0].at, 20);
        let new = cert("mqiptclient-202612052130", true, 0);
        assert_eq!(made_by(&made, &new).map(|r| r.run_id.as_str()), Some("r1"));
        let mut trusted_copy = cert("mqiptclient-202612052130", false, 0);
        trusted_copy.store = "/qm/key.kdb".into();
        assert!(made_by(&made, &trusted_copy).is_some());
        trusted_copy.store = "/elsewhere.kdb".into();
        assert!(made_by(&made, &trusted_copy).is_none());
        assert!(made_by(&made, &cert("mqiptclient", true, 0)).is_none());
    }

    #[test]
    fn an_inventory_read_before_a_certificate_run_ended_is_called_out() {
        let runs = [run(RunState::Succeeded, Some(rotation()))];
        assert!(unread_change(&runs, 19).is_some());
        assert!(unread_change(&runs, 20).is_none());
        assert!(unread_change(&[run(RunState::Failed, None)], 0).is_none());
    }
}
