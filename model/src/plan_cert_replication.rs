//! Rotating a node's replication certificate (tlshd, seed 002): one per node, not replicated,
//! its SubjectAltName naming the node (DR/HA replication checks it). The new certificate is
//! made on the node with OpenSSL, added to every other node's trust bundle and loaded there
//! before the node presents it; the files `/etc/tlshd.conf` names are replaced in place (their
//! old contents kept beside them), then tlshd reloads.

use crate::certs::{CertInventory, CertView, Purpose};
use crate::plan::{Action, CheckStatus, PlanContext, PreconditionCode, Verify};
use crate::plan_builder::{PlanBuilder, undo};
use crate::intent::RotateMode;
use crate::plan_cert::{Rotation, TrustingStore, dir_of, next_label};

/// `CN=a,OU=b` as OpenSSL's `-subj` takes it: `/CN=a/OU=b`.
fn openssl_subject(dn: &str) -> String {
    dn.split(',').map(|part| format!("/{}", part.trim().replace('/', "\\/"))).collect()
}

/// OpenSSL's digest option for a GSKit signature name (`SHA384WithRSA` → `-sha384`).
fn digest(signature: &str) -> &'static str {
    let s = signature.to_ascii_lowercase();
    if s.contains("512") {
        "-sha512"
    } else if s.contains("384") {
        "-sha384"
    } else {
        "-sha256"
    }
}

fn reload(b: &mut PlanBuilder, host: &str, title: String) {
    let action = Action::exec("systemctl", &["reload", "tlshd"]);
    let again = undo(host, action.clone(), Verify::ExitZero);
    b.step(host, title, action, "exit code 0", Verify::ExitZero).undo = vec![again];
}

#[allow(clippy::too_many_arguments)]
pub fn rotate(ctx: &PlanContext, inv: &CertInventory, cert: &CertView, node: &str, subject: &str, mode: RotateMode, stamp: &str, b: &mut PlanBuilder, rotation: &mut Rotation) {
    let policy = &ctx.cert_policy;
    let Some(files) = inv.tlshd.iter().find(|f| f.node == node) else {
        b.check(CheckStatus::Block, PreconditionCode::Tlshd, format!("{node}'s /etc/tlshd.conf was not read: the files to replace are unknown"));
        return;
    };
    if cert.store != files.certificate {
        b.check(CheckStatus::Block, PreconditionCode::Tlshd, format!("{} is not the certificate {} names ({})", cert.store, files.conf, files.certificate));
        return;
    }
    let san = vec![node.to_string()];
    b.check(CheckStatus::Pass, PreconditionCode::San, format!("the new certificate names {node} in its SubjectAltName (DNS:{node}), as DR/HA replication requires"));
    let peers: Vec<&crate::certs::TlshdFiles> = inv.tlshd.iter().filter(|f| f.node != node).collect();
    if peers.is_empty() {
        b.check(CheckStatus::Warn, PreconditionCode::Trust, format!("no other node's tlshd.conf was read: nothing checks {node}'s certificate"));
    }
    for peer in &peers {
        rotation.trusting.push(TrustingStore {
            host: peer.node.clone(),
            store: peer.truststore.clone(),
            purpose: Purpose::Replication { node: peer.node.clone() },
            why: format!("{} replicates with {node} and checks its certificate", peer.node),
        });
        let how = match mode {
            RotateMode::SelfSigned => "added to the bundle, then tlshd reloads",
            RotateMode::Csr => "its bundle must hold the CA that signs it: checked when the certificate is uploaded",
        };
        b.check(CheckStatus::Pass, PreconditionCode::Trust, format!("{} on {} will trust the new certificate before {node} presents it ({how})", peer.truststore, peer.node));
    }
    if b.blocked() {
        return;
    }
    let base = format!("{}/{}", dir_of(&files.certificate), next_label(node, stamp));
    let (new_cert, new_key) = (format!("{base}.crt"), format!("{base}.key"));
    let made = Verify::PemCertificate { path: new_cert.clone(), subject: subject.to_string(), san_dns: san.clone() };
    let mut args: Vec<String> = vec!["req".into()];
    match mode {
        RotateMode::SelfSigned => args.extend(["-x509".into(), "-days".into(), policy.validity_days.to_string()]),
        RotateMode::Csr => args.push("-new".into()),
    }
    args.extend([
        "-newkey".into(),
        format!("rsa:{}", policy.key_bits),
        "-nodes".into(),
        digest(&policy.signature).into(),
        "-subj".into(),
        openssl_subject(subject),
        "-addext".into(),
        format!("subjectAltName=DNS:{node}"),
        "-keyout".into(),
        new_key.clone(),
        "-out".into(),
    ]);
    if mode == RotateMode::Csr {
        let request = format!("{base}.csr");
        args.push(request.clone());
        let remove = undo(node, Action::exec("rm", &["-f", &new_key, &request]), Verify::ExitZero);
        b.step(node, format!("Make a key and a signing request for {node}"), Action::Exec { program: "openssl".into(), args }, format!("{request} for {subject}, SAN DNS:{node}"), Verify::ExitZero).undo = vec![remove];
        b.step(node, "Show the signing request, for the CA", Action::exec("cat", &[&request]), "-----BEGIN CERTIFICATE REQUEST-----", Verify::OutputContains { text: "BEGIN CERTIFICATE REQUEST".into() });
        b.step(node, "Wait for the CA-signed certificate (an operator uploads it)", Action::AwaitCertificate { request, to_path: new_cert.clone() }, format!("{new_cert} written"), made);
    } else {
        args.push(new_cert.clone());
        let remove = undo(node, Action::exec("rm", &["-f", &new_key, &new_cert]), Verify::ExitZero);
        b.step(node, format!("Make the new replication certificate of {node}"), Action::Exec { program: "openssl".into(), args }, format!("{new_cert} for {subject}, SAN DNS:{node}"), made).undo = vec![remove];
        add_to_bundles(b, &peers, node, &new_cert, stamp);
    }
    for (current, new, what) in [(&files.private_key, &new_key, "key"), (&files.certificate, &new_cert, "certificate")] {
        let kept = format!("{current}.rdqm-console.{stamp}");
        b.step(node, format!("Keep the old {what} beside it"), Action::Backup { path: current.clone(), to: kept.clone() }, "an identical copy", Verify::ExitZero);
        let verify = if what == "certificate" { Verify::PemCertificate { path: current.clone(), subject: subject.to_string(), san_dns: san.clone() } } else { Verify::ExitZero };
        let put_back = undo(node, Action::exec("cp", &["-p", &kept, current]), Verify::ExitZero);
        b.step(node, format!("Install the new {what} where tlshd.conf names it"), Action::exec("cp", &[new, current]), format!("{current} replaced"), verify).undo = vec![put_back];
    }
    reload(b, node, format!("tlshd on {node} presents the new certificate"));
}

/// A self-signed certificate joins every peer's trust bundle, which tlshd loads again.
fn add_to_bundles(b: &mut PlanBuilder, peers: &[&crate::certs::TlshdFiles], node: &str, new_cert: &str, stamp: &str) {
    for peer in peers {
        let kept = format!("{}.rdqm-console.{stamp}", peer.truststore);
        b.step(&peer.node, format!("Back up {}'s trust bundle", peer.node), Action::Backup { path: peer.truststore.clone(), to: kept.clone() }, "an identical copy", Verify::ExitZero);
        let put_back = undo(&peer.node, Action::exec("cp", &["-p", &kept, &peer.truststore]), Verify::ExitZero);
        b.step(
            &peer.node,
            format!("Trust it on {}", peer.node),
            Action::CopyFile { from_host: node.into(), from_path: new_cert.to_string(), to_path: peer.truststore.clone(), append: true },
            format!("{} ends with the new certificate", peer.truststore),
            Verify::ExitZero,
        )
        .undo = vec![put_back];
        reload(b, &peer.node, format!("tlshd on {} loads its trust bundle again", peer.node));
    }
}
