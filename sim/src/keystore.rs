//! `runmqakm` (and MQIPT's `mqiptKeycmd`) on the lab's key repositories: GSKit databases are
//! binary, so the lab keeps each `.kdb`/`.pfx` as a JSON list of entries naming real PEM
//! certificates, and this prints them as GSKit does.

use crate::commands::Outcome;
use crate::fs::HostFs;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use x509_parser::prelude::*;

#[derive(Deserialize)]
struct Manifest {
    entries: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    label: String,
    certificate: String,
    personal: bool,
    #[serde(default)]
    default: bool,
}

fn flag<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).map(String::as_str)
}

fn fail(code: i32, text: String) -> Outcome {
    Outcome { stdout: text, code, ..Default::default() }
}

fn load(fs: &dyn HostFs, db: &str) -> Result<Manifest, Outcome> {
    let text = fs
        .read(db)
        .map_err(|_| fail(26, format!("CTGSK3026W The key file \"{db}\" does not exist or cannot be read.\n")))?;
    serde_json::from_str(&text).map_err(|_| fail(26, format!("CTGSK3026W The key file \"{db}\" does not exist or cannot be read.\n")))
}

fn quoted(label: &str) -> String {
    if label.contains(' ') { format!("\"{label}\"") } else { label.to_string() }
}

/// A DN as MQ and GSKit show it (`model::certs::mq_dn`).
pub fn mq_dn(name: &X509Name) -> String {
    let attributes: Vec<(String, String)> =
        name.iter_attributes().map(|a| (a.attr_type().to_id_string(), a.as_str().unwrap_or("?").to_string())).collect();
    model::certs::mq_dn(attributes.iter().map(|(oid, value)| (oid.as_str(), value.as_str())))
}

fn gsk_time(t: &ASN1Time) -> String {
    let at = t.to_datetime();
    let fmt = ::time::macros::format_description!(
        "[month repr:long] [day padding:none], [year] [hour repr:12 padding:none]:[minute]:[second] [period] GMT+00:00"
    );
    at.format(&fmt).unwrap_or_default()
}

fn hex_lines(bytes: &[u8], sep: &str) -> String {
    bytes.chunks(16).map(|c| format!("    {}", c.iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(sep))).collect::<Vec<_>>().join("\n")
}

/// The DER bytes of an entry's certificate (the manifest names a PEM file beside it).
fn entry_der(fs: &dyn HostFs, db: &str, entry: &Entry) -> Result<Vec<u8>, Outcome> {
    let base = std::path::Path::new(db).parent().map(|p| p.join(&entry.certificate)).unwrap_or_default();
    let Ok(pem_text) = fs.read(&base.to_string_lossy()) else {
        return Err(fail(1, format!("CTGSK3029W The database doesn't contain an entry with label \"{}\".\n", entry.label)));
    };
    match x509_parser::pem::parse_x509_pem(pem_text.as_bytes()) {
        Ok((_, pem)) => Ok(pem.contents),
        Err(_) => Err(fail(1, format!("CTGSK2012W The certificate \"{}\" cannot be read.\n", entry.label))),
    }
}

/// What a channel's partner sees of a certificate during the TLS handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerCert {
    /// As `DISPLAY CHSTATUS` shows it in SSLPEER: `SERIALNUMBER=5E:C8:..,CN=..,OU=..` (seed 000).
    pub dn: String,
    /// The issuer's DN (SSLCERTI).
    pub issuer: String,
}

/// The personal certificate labelled `label` in key repository `db`; an error says why not.
pub fn personal_certificate(fs: &dyn HostFs, db: &str, label: &str) -> Result<PeerCert, String> {
    let manifest = load(fs, db).map_err(|o| o.stdout.trim().to_string())?;
    let entry = manifest
        .entries
        .iter()
        .find(|e| e.label == label && e.personal)
        .ok_or_else(|| format!("no personal certificate labelled {label} in {db}"))?;
    let der = entry_der(fs, db, entry).map_err(|o| o.stdout.trim().to_string())?;
    let (_, cert) = X509Certificate::from_der(&der).map_err(|e| format!("{label} in {db}: {e}"))?;
    let serial: Vec<String> = cert.raw_serial().iter().map(|b| format!("{b:02X}")).collect();
    Ok(PeerCert { dn: format!("SERIALNUMBER={},{}", serial.join(":"), mq_dn(cert.subject())), issuer: mq_dn(cert.issuer()) })
}

fn details(fs: &dyn HostFs, db: &str, entry: &Entry) -> Outcome {
    let der = match entry_der(fs, db, entry) {
        Ok(der) => der,
        Err(outcome) => return outcome,
    };
    let Ok((_, cert)) = X509Certificate::from_der(&der) else {
        return fail(1, format!("CTGSK2012W The certificate \"{}\" cannot be read.\n", entry.label));
    };
    let key_bits = cert.public_key().parsed().map(|k| k.key_size()).unwrap_or(0);
    let mut out = String::new();
    let _ = writeln!(out, "Label : {}", entry.label);
    let _ = writeln!(out, "Key Size : {key_bits}");
    let _ = writeln!(out, "Version : X509 V{}", cert.version().0 + 1);
    let _ = writeln!(out, "Serial : {}", cert.raw_serial().iter().map(|b| format!("{b:02x}")).collect::<String>());
    let _ = writeln!(out, "Issuer : \"{}\"", mq_dn(cert.issuer()));
    let _ = writeln!(out, "Subject : \"{}\"", mq_dn(cert.subject()));
    let _ = writeln!(out, "Not Before : {}\n", gsk_time(&cert.validity().not_before));
    let _ = writeln!(out, "Not After : {}\n", gsk_time(&cert.validity().not_after));
    let _ = writeln!(out, "Public Key\n{}", hex_lines(&cert.public_key().subject_public_key.data[..32.min(cert.public_key().subject_public_key.data.len())], " "));
    let _ = writeln!(out, "Public Key Type : RSA (1.2.840.113549.1.1.1)");
    let _ = writeln!(out, "Fingerprint : SHA256 :\n{}", hex_lines(&Sha256::digest(&der), ":"));
    let _ = writeln!(out, "Extensions");
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        let _ = writeln!(out, "    SubjectAltName");
        for name in &san.value.general_names {
            if let GeneralName::DNSName(d) = name {
                let _ = writeln!(out, "        dNSName: {d}");
            }
        }
    }
    let sig = match cert.signature_algorithm.algorithm.to_id_string().as_str() {
        "1.2.840.113549.1.1.11" => "SHA256WithRSASignature (1.2.840.113549.1.1.11)".to_string(),
        "1.2.840.113549.1.1.5" => "SHA1WithRSASignature (1.2.840.113549.1.1.5)".to_string(),
        other => format!("unknown ({other})"),
    };
    let _ = writeln!(out, "Signature Algorithm : {sig}");
    let _ = writeln!(out, "Trust Status : Enabled");
    Outcome { stdout: out, ..Default::default() }
}

/// `runmqakm -cert -list|-details -db FILE (-stashed|-pw PW) [-label L] [-type T]`.
pub fn runmqakm(fs: &dyn HostFs, program: &str, args: &[String]) -> Outcome {
    let usage = || Outcome { stderr: format!("Usage: {program} -cert (-list | -details -label LABEL) -db FILE -stashed\n"), code: 1, ..Default::default() };
    if args.first().map(String::as_str) != Some("-cert") {
        return usage();
    }
    let Some(db) = flag(args, "-db") else { return usage() };
    let manifest = match load(fs, db) {
        Ok(m) => m,
        Err(outcome) => return outcome,
    };
    if args.iter().any(|a| a == "-list") {
        if manifest.entries.is_empty() {
            return Outcome { stdout: "No certificates were found.\n".into(), ..Default::default() };
        }
        let mut out = String::from("Certificates found\n* default, - personal, ! trusted, # secret key\n");
        for e in &manifest.entries {
            let marks = format!("{}{}", if e.default { "*" } else { "" }, if e.personal { "-" } else { "!" });
            let _ = writeln!(out, "{marks}\t{}", quoted(&e.label));
        }
        return Outcome { stdout: out, ..Default::default() };
    }
    if args.iter().any(|a| a == "-details") {
        let Some(label) = flag(args, "-label") else { return usage() };
        return match manifest.entries.iter().find(|e| e.label == label) {
            Some(entry) => details(fs, db, entry),
            None => fail(1, format!("CTGSK3029W The database doesn't contain an entry with label \"{label}\".\n")),
        };
    }
    usage()
}
