//! `runmqakm` (and MQIPT's `mqiptKeycmd`, the same GSKit with pkcs12 in its names) on the
//! lab's key repositories. GSKit databases are binary, so the lab keeps each `.kdb`/`.pfx` as a
//! JSON manifest naming real PEM files beside it (`<db>.certs/`):
//! `{"kind","stashed","entries":[{"label","certificate","personal","default","key"?}],
//! "requests":[{"label","request","key","subject","public_key"}]?}`. Certificates, keys and
//! requests are real (OpenSSL, see [`crate::pki`]); the manifest is rewritten whole through a
//! temporary file and a rename, never half-written.
//!
//! A key repository on a queue manager's replicated volume is written only on the node where
//! the queue manager runs, and the write reaches every node's copy ([`crate::volume`]).
//!
//! Messages: CTGSK3026W, CTGSK3029W and CTGSK2012W were in the simulator before (CTGSK3029W's
//! wording is the one GSKit prints in public transcripts); the ids of the others (label exists
//! CTGSK2021W, file not found CTGSK3003W, not written CTGSK3002W, bad DN CTGSK3031W, bad
//! validity CTGSK3035W, key database exists CTGSK3045W, no matching request CTGSK3047W, signer
//! missing CTGSK3048W) were not found in IBM's published material: their numbers and wordings
//! are the simulator's own, in GSKit's form.

use crate::commands::Outcome;
use crate::estate::Estate;
use crate::fs::HostFs;
use crate::pki::{self, CertInfo};
use crate::volume;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use x509_parser::prelude::*;

fn cms() -> String {
    "cms".into()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    #[serde(default = "cms")]
    pub kind: String,
    #[serde(default)]
    pub stashed: bool,
    #[serde(default)]
    pub entries: Vec<Entry>,
    /// Certificate requests waiting for their signed certificate (`-certreq -create`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requests: Vec<Request>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    pub label: String,
    /// The PEM certificate, relative to the manifest's directory.
    pub certificate: String,
    pub personal: bool,
    #[serde(default)]
    pub default: bool,
    /// The private key of a personal certificate made here, beside it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Request {
    pub label: String,
    /// A copy of the PEM request, relative to the manifest's directory.
    pub request: String,
    pub key: String,
    pub subject: String,
    /// SHA-256 of the request's public key: the signed certificate that carries it is this
    /// request's.
    pub public_key: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

fn fail(code: i32, text: String) -> Outcome {
    Outcome { stdout: text, code, ..Default::default() }
}

fn cannot_open(db: &str) -> Outcome {
    fail(26, format!("CTGSK3026W The key file \"{db}\" does not exist or cannot be read.\n"))
}

fn no_label(label: &str) -> Outcome {
    fail(1, format!("CTGSK3029W The database doesn't contain an entry with label \"{label}\".\n"))
}

fn label_exists(label: &str) -> Outcome {
    fail(1, format!("CTGSK2021W A certificate with the label \"{label}\" already exists in the database.\n"))
}

fn file_not_found(file: &str) -> Outcome {
    fail(1, format!("CTGSK3003W The file \"{file}\" could not be found.\n"))
}

fn not_written(file: &str) -> Outcome {
    fail(1, format!("CTGSK3002W The file \"{file}\" could not be written.\n"))
}

fn unreadable_cert(what: &str) -> Outcome {
    fail(1, format!("CTGSK2012W The certificate \"{what}\" cannot be read.\n"))
}

fn load(fs: &dyn HostFs, db: &str) -> Result<Manifest, Outcome> {
    let text = fs.read(db).map_err(|_| cannot_open(db))?;
    serde_json::from_str(&text).map_err(|_| cannot_open(db))
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

/// Where a file the manifest names is, beside the manifest at `db`.
fn beside(db: &str, relative: &str) -> String {
    volume::beside(db, relative)
}

/// The PEM text of an entry's certificate.
fn entry_pem(fs: &dyn HostFs, db: &str, entry: &Entry) -> Result<String, Outcome> {
    fs.read(&beside(db, &entry.certificate)).map_err(|_| no_label(&entry.label))
}

/// The DER bytes of an entry's certificate.
fn entry_der(fs: &dyn HostFs, db: &str, entry: &Entry) -> Result<Vec<u8>, Outcome> {
    let pem = entry_pem(fs, db, entry)?;
    pki::pem_der(&pem).map_err(|_| unreadable_cert(&entry.label))
}

/// What a channel's partner sees of a certificate during the TLS handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerCert {
    /// As `DISPLAY CHSTATUS` shows it in SSLPEER: `SERIALNUMBER=5E:C8:..,CN=..,OU=..` (seed 000).
    pub dn: String,
    /// The issuer's DN (SSLCERTI).
    pub issuer: String,
}

/// One certificate of a key repository, with its PEM text.
#[derive(Debug, Clone)]
pub struct StoredCert {
    pub label: String,
    pub personal: bool,
    pub pem: String,
    pub info: CertInfo,
}

/// What a queue manager or MQIPT loads from a key repository: its certificates (those that
/// can be read) and a digest of its whole content.
pub fn read_store(fs: &dyn HostFs, db: &str) -> Result<(Vec<StoredCert>, String), String> {
    let text = fs.read(db).map_err(|e| format!("{db}: {e}"))?;
    let manifest: Manifest = serde_json::from_str(&text).map_err(|e| format!("{db}: not a key database: {e}"))?;
    let mut digest = Sha256::new();
    digest.update(text.as_bytes());
    let mut certs = Vec::new();
    for entry in &manifest.entries {
        let Ok(pem) = entry_pem(fs, db, entry) else { continue };
        digest.update(pem.as_bytes());
        let Ok(info) = CertInfo::from_pem(&pem) else { continue };
        certs.push(StoredCert { label: entry.label.clone(), personal: entry.personal, pem, info });
    }
    let digest: String = digest.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Ok((certs, digest))
}

fn details(fs: &dyn HostFs, db: &str, entry: &Entry) -> Outcome {
    let der = match entry_der(fs, db, entry) {
        Ok(der) => der,
        Err(outcome) => return outcome,
    };
    let Ok((_, cert)) = X509Certificate::from_der(&der) else {
        return unreadable_cert(&entry.label);
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
        "1.2.840.113549.1.1.12" => "SHA384WithRSASignature (1.2.840.113549.1.1.12)".to_string(),
        "1.2.840.113549.1.1.13" => "SHA512WithRSASignature (1.2.840.113549.1.1.13)".to_string(),
        "1.2.840.113549.1.1.5" => "SHA1WithRSASignature (1.2.840.113549.1.1.5)".to_string(),
        other => format!("unknown ({other})"),
    };
    let _ = writeln!(out, "Signature Algorithm : {sig}");
    let _ = writeln!(out, "Trust Status : Enabled");
    Outcome { stdout: out, ..Default::default() }
}

/// Flags that take no value.
const SWITCHES: &[&str] = &["-stashed", "-stash", "-fips", "-strong", "-expert", "-populate"];
/// What the first two words may ask for.
const ACTIONS: &[&str] = &["-create", "-list", "-details", "-extract", "-add", "-delete", "-receive"];

/// A GSKit command line: the object (`-cert`), the action (`-create`) and the flags.
struct Args<'a> {
    object: &'a str,
    action: &'a str,
    flags: Vec<(String, Option<&'a str>)>,
}

impl<'a> Args<'a> {
    fn parse(args: &'a [String]) -> Option<Args<'a>> {
        let object = args.first()?.as_str();
        let mut action = "";
        let mut flags = Vec::new();
        let mut i = 1;
        while i < args.len() {
            let arg = args[i].as_str();
            let lower = arg.to_ascii_lowercase();
            if action.is_empty() && ACTIONS.contains(&lower.as_str()) {
                action = arg;
            } else if SWITCHES.contains(&lower.as_str()) {
                flags.push((lower, None));
            } else if lower.starts_with('-') {
                let value = args.get(i + 1).map(String::as_str)?;
                flags.push((lower, Some(value)));
                i += 1;
            } else {
                return None;
            }
            i += 1;
        }
        Some(Args { object, action, flags })
    }

    fn get(&self, flag: &str) -> Option<&'a str> {
        self.flags.iter().rev().find(|(f, _)| f == flag).and_then(|(_, v)| *v)
    }

    fn has(&self, flag: &str) -> bool {
        self.flags.iter().any(|(f, _)| f == flag)
    }
}

fn usage(program: &str) -> Outcome {
    Outcome {
        stderr: format!(
            "Usage: {program} -keydb -create -db FILE (-pw PW | -stash) [-type cms|pkcs12]\n\
             \x20      {program} -cert (-list | -details -label L | -create -label L -dn DN [-size N] [-expire DAYS] [-sig_alg ALG] [-san_dnsname NAMES]\n\
             \x20                | -extract -label L -target FILE [-format ascii|binary] | -add -label L -file FILE [-format ascii|binary]\n\
             \x20                | -delete -label L | -receive -file FILE [-format ascii|binary]) -db FILE (-stashed | -pw PW)\n\
             \x20      {program} -certreq (-create -label L -dn DN [-size N] [-sig_alg ALG] [-san_dnsname NAMES] -file FILE | -list | -delete -label L) -db FILE (-stashed | -pw PW)\n"
        ),
        code: 1,
        ..Default::default()
    }
}

/// The key database a `-db` names: as given, or with the extension GSKit adds (`.kdb`, `.p12`).
fn resolve_db(fs: &dyn HostFs, db: &str) -> String {
    if fs.exists(db) {
        return db.to_string();
    }
    let name = db.rsplit('/').next().unwrap_or(db);
    if !name.contains('.') {
        for ext in ["kdb", "p12", "pfx"] {
            let candidate = format!("{db}.{ext}");
            if fs.exists(&candidate) {
                return candidate;
            }
        }
    }
    db.to_string()
}

/// The directory (beside the manifest) where its certificates live, as the manifest names it.
fn certs_dir(db: &str) -> String {
    format!("{}.certs", db.rsplit('/').next().unwrap_or(db))
}

/// A label as a file name.
fn file_name(label: &str) -> String {
    label.chars().map(|c| if c == '/' || c == '\0' { '_' } else { c }).collect()
}

/// A change to a key database: the manifest, files to write beside it, files to remove.
struct Change {
    manifest: Manifest,
    files: Vec<(String, Vec<u8>)>,
    removed: Vec<String>,
}

/// Writes the change to every copy of the database (a queue manager's volume: only where it
/// runs, and then on every node), certificates first, the manifest last.
fn save(estate: &Estate, fs: &dyn HostFs, host: &str, db: &str, change: Change) -> Outcome {
    let Ok(copies) = volume::write_targets(estate, fs, host, db) else {
        return cannot_open(db);
    };
    let Ok(mut text) = serde_json::to_string(&change.manifest) else {
        return not_written(db);
    };
    text.push('\n');
    for copy in &copies {
        for (relative, bytes) in &change.files {
            if volume::write_atomic(fs, &beside(copy, relative), bytes).is_err() {
                return not_written(db);
            }
        }
        if volume::write_atomic(fs, copy, text.as_bytes()).is_err() {
            return not_written(db);
        }
        for relative in &change.removed {
            let _ = fs.remove_file(&beside(copy, relative));
        }
    }
    Outcome::default()
}

/// Writes a file a command produces (`-target`, a request's `-file`), on a queue manager's
/// volume only where it runs (and then on every copy).
fn write_output(estate: &Estate, fs: &dyn HostFs, host: &str, path: &str, bytes: &[u8]) -> Outcome {
    let Ok(copies) = volume::write_targets(estate, fs, host, path) else {
        return not_written(path);
    };
    match volume::write_all(fs, &copies, bytes) {
        Ok(()) => Outcome::default(),
        Err(_) => not_written(path),
    }
}

/// A certificate file as `-add`/`-receive` read it: PEM (ascii) or DER (binary), whatever
/// `-format` says (GSKit looks at the content too).
fn read_cert_file(fs: &dyn HostFs, file: &str) -> Result<(String, CertInfo), Outcome> {
    let bytes = fs.read_bytes(file).map_err(|_| file_not_found(file))?;
    let pem = if bytes.starts_with(b"-----BEGIN") {
        String::from_utf8_lossy(&bytes).into_owned()
    } else {
        pki::der_to_pem(&bytes, "CERTIFICATE")
    };
    let info = CertInfo::from_pem(&pem).map_err(|_| unreadable_cert(file))?;
    // Only the certificate itself is kept (a file may carry more).
    let der = pki::pem_der(&pem).map_err(|_| unreadable_cert(file))?;
    Ok((pki::der_to_pem(&der, "CERTIFICATE"), info))
}

fn taken(manifest: &Manifest, label: &str) -> bool {
    manifest.entries.iter().any(|e| e.label == label) || manifest.requests.iter().any(|r| r.label == label)
}

fn san_names(args: &Args) -> Vec<String> {
    args.get("-san_dnsname").map(|v| v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()).unwrap_or_default()
}

/// `-size`, `-sig_alg` and `-dn` as OpenSSL takes them, or GSKit's refusal.
fn key_and_subject(args: &Args) -> Result<(String, u32, &'static str), Outcome> {
    let Some(dn) = args.get("-dn") else { return Err(fail(1, "CTGSK3031W The distinguished name is missing: give -dn.\n".into())) };
    let subject = pki::subject_arg(dn).map_err(|why| fail(1, format!("CTGSK3031W The distinguished name \"{dn}\" is not valid: {why}.\n")))?;
    let bits: u32 = match args.get("-size").unwrap_or("2048").parse() {
        Ok(b @ (1024 | 2048 | 3072 | 4096 | 8192)) => b,
        _ => return Err(fail(1, format!("CTGSK3031W The key size \"{}\" is not valid: 1024, 2048, 3072, 4096 or 8192.\n", args.get("-size").unwrap_or("")))),
    };
    let digest = pki::digest_arg(args.get("-sig_alg").unwrap_or("SHA256WithRSA")).map_err(|why| fail(1, format!("CTGSK3031W {why}.\n")))?;
    Ok((subject, bits, digest))
}

/// `-cert -create`: a self-signed personal certificate and its key.
fn cert_create(estate: &Estate, fs: &dyn HostFs, host: &str, db: &str, args: &Args) -> Outcome {
    let Some(label) = args.get("-label") else { return usage("runmqakm") };
    let mut manifest = match load(fs, db) {
        Ok(m) => m,
        Err(o) => return o,
    };
    if taken(&manifest, label) {
        return label_exists(label);
    }
    let (subject, bits, digest) = match key_and_subject(args) {
        Ok(k) => k,
        Err(o) => return o,
    };
    let days: u32 = match args.get("-expire").unwrap_or("365").parse() {
        Ok(d @ 1..=7300) => d,
        _ => return fail(1, format!("CTGSK3035W The validity period \"{}\" is not valid: 1 to 7300 days.\n", args.get("-expire").unwrap_or(""))),
    };
    let made = match pki::self_signed(&subject, bits, days, digest, &san_names(args)) {
        Ok(made) => made,
        Err(why) => return fail(1, format!("CTGSK3031W The certificate could not be created: {why}.\n")),
    };
    let dir = certs_dir(db);
    let (cert_file, key_file) = (format!("{dir}/{}.pem", file_name(label)), format!("{dir}/{}.key", file_name(label)));
    let default = args.get("-default_cert").is_some_and(|v| v.eq_ignore_ascii_case("yes"));
    if default {
        manifest.entries.iter_mut().for_each(|e| e.default = false);
    }
    manifest.entries.push(Entry { label: label.to_string(), certificate: cert_file.clone(), personal: true, default, key: Some(key_file.clone()), extra: Map::new() });
    save(estate, fs, host, db, Change { manifest, files: vec![(cert_file, made.pem.into_bytes()), (key_file, made.key.into_bytes())], removed: Vec::new() })
}

/// `-cert -extract`: the public certificate to a file.
fn cert_extract(estate: &Estate, fs: &dyn HostFs, host: &str, db: &str, args: &Args) -> Outcome {
    let (Some(label), Some(target)) = (args.get("-label"), args.get("-target")) else { return usage("runmqakm") };
    let manifest = match load(fs, db) {
        Ok(m) => m,
        Err(o) => return o,
    };
    let Some(entry) = manifest.entries.iter().find(|e| e.label == label) else { return no_label(label) };
    let der = match entry_der(fs, db, entry) {
        Ok(der) => der,
        Err(o) => return o,
    };
    let bytes = match args.get("-format").unwrap_or("ascii").to_ascii_lowercase().as_str() {
        "binary" => der,
        _ => pki::der_to_pem(&der, "CERTIFICATE").into_bytes(),
    };
    write_output(estate, fs, host, target, &bytes)
}

/// `-cert -add`: a trusted (signer) certificate from a file.
fn cert_add(estate: &Estate, fs: &dyn HostFs, host: &str, db: &str, args: &Args) -> Outcome {
    let (Some(label), Some(file)) = (args.get("-label"), args.get("-file")) else { return usage("runmqakm") };
    let mut manifest = match load(fs, db) {
        Ok(m) => m,
        Err(o) => return o,
    };
    if taken(&manifest, label) {
        return label_exists(label);
    }
    let (pem, _) = match read_cert_file(fs, file) {
        Ok(read) => read,
        Err(o) => return o,
    };
    let cert_file = format!("{}/{}.pem", certs_dir(db), file_name(label));
    manifest.entries.push(Entry { label: label.to_string(), certificate: cert_file.clone(), personal: false, default: false, key: None, extra: Map::new() });
    save(estate, fs, host, db, Change { manifest, files: vec![(cert_file, pem.into_bytes())], removed: Vec::new() })
}

/// `-cert -delete`: the entry and its files.
fn cert_delete(estate: &Estate, fs: &dyn HostFs, host: &str, db: &str, args: &Args) -> Outcome {
    let Some(label) = args.get("-label") else { return usage("runmqakm") };
    let mut manifest = match load(fs, db) {
        Ok(m) => m,
        Err(o) => return o,
    };
    let Some(index) = manifest.entries.iter().position(|e| e.label == label) else { return no_label(label) };
    let entry = manifest.entries.remove(index);
    let removed = std::iter::once(entry.certificate).chain(entry.key).collect();
    save(estate, fs, host, db, Change { manifest, files: Vec::new(), removed })
}

/// `-cert -receive`: the signed certificate of a pending request becomes the personal
/// certificate with the request's label; its signer must be in the database already.
fn cert_receive(estate: &Estate, fs: &dyn HostFs, host: &str, db: &str, args: &Args) -> Outcome {
    let Some(file) = args.get("-file") else { return usage("runmqakm") };
    let mut manifest = match load(fs, db) {
        Ok(m) => m,
        Err(o) => return o,
    };
    let (pem, info) = match read_cert_file(fs, file) {
        Ok(read) => read,
        Err(o) => return o,
    };
    let Some(index) = manifest.requests.iter().position(|r| r.public_key == info.public_key) else {
        return fail(1, format!("CTGSK3047W No certificate request in the database matches the certificate in \"{file}\".\n"));
    };
    if !info.self_signed {
        let signer = manifest.entries.iter().filter(|e| !e.personal).filter_map(|e| entry_pem(fs, db, e).ok()).any(|signer_pem| {
            CertInfo::from_pem(&signer_pem).is_ok_and(|s| s.subject == info.issuer) && pki::signed_by(&pem, &signer_pem)
        });
        if !signer {
            return fail(1, format!("CTGSK3048W The signer certificate of \"{file}\" ({}) is not in the database: add it first.\n", info.issuer));
        }
    }
    let request = manifest.requests.remove(index);
    let cert_file = format!("{}/{}.pem", certs_dir(db), file_name(&request.label));
    manifest.entries.push(Entry {
        label: request.label.clone(),
        certificate: cert_file.clone(),
        personal: true,
        default: false,
        key: Some(request.key.clone()),
        extra: Map::new(),
    });
    save(estate, fs, host, db, Change { manifest, files: vec![(cert_file, pem.into_bytes())], removed: vec![request.request] })
}

/// `-certreq -create`: a key kept in the database and a PKCS #10 request written to `-file`.
fn certreq_create(estate: &Estate, fs: &dyn HostFs, host: &str, db: &str, args: &Args) -> Outcome {
    let (Some(label), Some(file)) = (args.get("-label"), args.get("-file")) else { return usage("runmqakm") };
    let mut manifest = match load(fs, db) {
        Ok(m) => m,
        Err(o) => return o,
    };
    if taken(&manifest, label) {
        return label_exists(label);
    }
    let (subject, bits, digest) = match key_and_subject(args) {
        Ok(k) => k,
        Err(o) => return o,
    };
    let made = match pki::request(&subject, bits, digest, &san_names(args)) {
        Ok(made) => made,
        Err(why) => return fail(1, format!("CTGSK3031W The request could not be created: {why}.\n")),
    };
    let Ok(public_key) = pki::request_public_key(&made.pem) else { return fail(1, "CTGSK3031W The request could not be read back.\n".into()) };
    let written = write_output(estate, fs, host, file, made.pem.as_bytes());
    if written.code != 0 {
        return written;
    }
    let dir = certs_dir(db);
    let (req_file, key_file) = (format!("{dir}/{}.csr", file_name(label)), format!("{dir}/{}.key", file_name(label)));
    manifest.requests.push(Request {
        label: label.to_string(),
        request: req_file.clone(),
        key: key_file.clone(),
        subject: args.get("-dn").unwrap_or("").to_string(),
        public_key,
        extra: Map::new(),
    });
    save(estate, fs, host, db, Change { manifest, files: vec![(req_file, made.pem.into_bytes()), (key_file, made.key.into_bytes())], removed: Vec::new() })
}

/// `-keydb -create`: an empty database (and its stash file with `-stash`).
fn keydb_create(estate: &Estate, fs: &dyn HostFs, host: &str, args: &Args) -> Outcome {
    let Some(db) = args.get("-db") else { return usage("runmqakm") };
    let kind = args.get("-type").unwrap_or("cms").to_ascii_lowercase();
    let kind = if kind == "kdb" { "cms".to_string() } else { kind };
    if kind != "cms" && kind != "pkcs12" {
        return fail(1, format!("CTGSK3031W The key database type \"{kind}\" is not valid: cms or pkcs12.\n"));
    }
    let name = db.rsplit('/').next().unwrap_or(db);
    let db = if name.contains('.') { db.to_string() } else { format!("{db}.{}", if kind == "cms" { "kdb" } else { "p12" }) };
    if fs.exists(&db) {
        return fail(1, format!("CTGSK3045W The key database \"{db}\" already exists.\n"));
    }
    let stash = args.has("-stash") || args.has("-stashed");
    let manifest = Manifest { kind: kind.clone(), stashed: stash, entries: Vec::new(), requests: Vec::new(), extra: Map::new() };
    let written = save(estate, fs, host, &db, Change { manifest, files: Vec::new(), removed: Vec::new() });
    if written.code != 0 {
        return written;
    }
    let stem = db.rsplit_once('.').map_or(db.as_str(), |(s, _)| s);
    let mut extra: Vec<String> = Vec::new();
    if stash {
        extra.push(format!("{stem}.sth"));
    }
    if kind == "cms" {
        extra.extend([format!("{stem}.rdb"), format!("{stem}.crl")]);
    }
    for file in extra {
        let out = write_output(estate, fs, host, &file, b"");
        if out.code != 0 {
            return out;
        }
    }
    Outcome::default()
}

/// `runmqakm`/`mqiptKeycmd` run on `host`.
pub fn runmqakm(estate: &Estate, fs: &dyn HostFs, host: &str, program: &str, args: &[String]) -> Outcome {
    let Some(parsed) = Args::parse(args) else { return usage(program) };
    let object = parsed.object.to_ascii_lowercase();
    let action = parsed.action.to_ascii_lowercase();
    if object == "-keydb" && action == "-create" {
        return keydb_create(estate, fs, host, &parsed);
    }
    let Some(db) = parsed.get("-db") else { return usage(program) };
    let db = resolve_db(fs, db);
    let db = db.as_str();
    match (object.as_str(), action.as_str()) {
        ("-cert", "-list") => {
            let manifest = match load(fs, db) {
                Ok(m) => m,
                Err(outcome) => return outcome,
            };
            if manifest.entries.is_empty() {
                return Outcome { stdout: "No certificates were found.\n".into(), ..Default::default() };
            }
            let mut out = String::from("Certificates found\n* default, - personal, ! trusted, # secret key\n");
            for e in &manifest.entries {
                let marks = format!("{}{}", if e.default { "*" } else { "" }, if e.personal { "-" } else { "!" });
                let _ = writeln!(out, "{marks}\t{}", quoted(&e.label));
            }
            Outcome { stdout: out, ..Default::default() }
        }
        ("-cert", "-details") => {
            let Some(label) = parsed.get("-label") else { return usage(program) };
            let manifest = match load(fs, db) {
                Ok(m) => m,
                Err(outcome) => return outcome,
            };
            match manifest.entries.iter().find(|e| e.label == label) {
                Some(entry) => details(fs, db, entry),
                None => no_label(label),
            }
        }
        ("-cert", "-create") => cert_create(estate, fs, host, db, &parsed),
        ("-cert", "-extract") => cert_extract(estate, fs, host, db, &parsed),
        ("-cert", "-add") => cert_add(estate, fs, host, db, &parsed),
        ("-cert", "-delete") => cert_delete(estate, fs, host, db, &parsed),
        ("-cert", "-receive") => cert_receive(estate, fs, host, db, &parsed),
        ("-certreq", "-create") => certreq_create(estate, fs, host, db, &parsed),
        ("-certreq", "-list") => {
            let manifest = match load(fs, db) {
                Ok(m) => m,
                Err(outcome) => return outcome,
            };
            if manifest.requests.is_empty() {
                return Outcome { stdout: "No certificate requests were found.\n".into(), ..Default::default() };
            }
            let mut out = String::from("Certificate requests found\n");
            for r in &manifest.requests {
                let _ = writeln!(out, "\t{}", quoted(&r.label));
            }
            Outcome { stdout: out, ..Default::default() }
        }
        ("-certreq", "-delete") => {
            let Some(label) = parsed.get("-label") else { return usage(program) };
            let mut manifest = match load(fs, db) {
                Ok(m) => m,
                Err(outcome) => return outcome,
            };
            let Some(index) = manifest.requests.iter().position(|r| r.label == label) else { return no_label(label) };
            let request = manifest.requests.remove(index);
            save(estate, fs, host, db, Change { manifest, files: Vec::new(), removed: vec![request.request, request.key] })
        }
        _ => usage(program),
    }
}

/// Whether this command line writes a key database or a file (for the hosts' command log).
pub fn writes(args: &[String]) -> bool {
    let lower: Vec<String> = args.iter().take(2).map(|a| a.to_ascii_lowercase()).collect();
    matches!(
        (lower.first().map(String::as_str), lower.get(1).map(String::as_str)),
        (Some("-keydb"), Some("-create"))
            | (Some("-cert"), Some("-create" | "-extract" | "-add" | "-delete" | "-receive"))
            | (Some("-certreq"), Some("-create" | "-delete"))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn command_lines_parse_as_gskit_takes_them() {
        let args = strings("-cert -create -db /x/k.kdb -stashed -label L -size 2048 -type cms");
        let parsed = Args::parse(&args).unwrap();
        assert_eq!((parsed.object, parsed.action), ("-cert", "-create"));
        assert_eq!(parsed.get("-db"), Some("/x/k.kdb"));
        assert!(parsed.has("-stashed"));
        assert_eq!(parsed.get("-label"), Some("L"));
        // A flag without its value is a usage error.
        assert!(Args::parse(&strings("-cert -list -db")).is_none());
        assert!(writes(&strings("-cert -add -db x")) && !writes(&strings("-cert -list -db x")) && !writes(&strings("-cert -details -db x")));
    }

    #[test]
    fn manifests_keep_what_they_do_not_know() {
        let text = r#"{"kind":"cms","stashed":true,"entries":[{"label":"a","certificate":"k.kdb.certs/a.pem","personal":true,"default":true,"note":"kept"}],"owner":"mqm"}"#;
        let manifest: Manifest = serde_json::from_str(text).unwrap();
        let back = serde_json::to_string(&manifest).unwrap();
        assert!(back.contains(r#""note":"kept""#) && back.contains(r#""owner":"mqm""#), "{back}");
        assert!(!back.contains("requests") && !back.contains(r#""key""#), "{back}");
    }
}
