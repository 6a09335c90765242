//! Real X.509 material for the simulated GSKit (`runmqakm`, `mqiptKeycmd`) and for the TLS
//! handshakes the simulator decides: keys, self-signed certificates and certificate requests
//! are made by the `openssl` command line (called with arguments, never through a shell) in a
//! temporary directory, then handed back as PEM text so that any [`crate::fs::HostFs`] can
//! keep them; certificates are read with `x509-parser`.

use sha2::{Digest, Sha256};
use std::path::Path;
use std::process::Command;
use x509_parser::prelude::*;

/// What the simulator needs to know of one certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    /// SHA-256 of the DER, lower-case hex.
    pub fingerprint: String,
    /// As MQ shows a DN: `CN=..,OU=..,O=..,L=..,ST=..,C=..`.
    pub subject: String,
    pub issuer: String,
    /// `5E:C8:76:52`, as SSLPEER shows it after `SERIALNUMBER=`.
    pub serial: String,
    /// SHA-256 of the SubjectPublicKeyInfo (matches a request's key to its signed certificate).
    pub public_key: String,
    pub not_before: i64,
    pub not_after: i64,
    /// Its issuer and subject names are the same (the seed's `runmqakm -cert -create`).
    pub self_signed: bool,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The DER of the first certificate in PEM text.
pub fn pem_der(pem_text: &str) -> Result<Vec<u8>, String> {
    let (_, pem) = x509_parser::pem::parse_x509_pem(pem_text.as_bytes()).map_err(|e| format!("not a PEM certificate: {e}"))?;
    if pem.label != "CERTIFICATE" {
        return Err(format!("not a certificate but {}", pem.label));
    }
    Ok(pem.contents)
}

impl CertInfo {
    pub fn from_der(der: &[u8]) -> Result<CertInfo, String> {
        let (_, cert) = X509Certificate::from_der(der).map_err(|e| format!("not an X.509 certificate: {e}"))?;
        let serial: Vec<String> = cert.raw_serial().iter().map(|b| format!("{b:02X}")).collect();
        Ok(CertInfo {
            fingerprint: hex(&Sha256::digest(der)),
            subject: crate::keystore::mq_dn(cert.subject()),
            issuer: crate::keystore::mq_dn(cert.issuer()),
            serial: serial.join(":"),
            public_key: hex(&Sha256::digest(cert.public_key().raw)),
            not_before: cert.validity().not_before.timestamp(),
            not_after: cert.validity().not_after.timestamp(),
            self_signed: cert.subject().as_raw() == cert.issuer().as_raw(),
        })
    }

    pub fn from_pem(pem_text: &str) -> Result<CertInfo, String> {
        Self::from_der(&pem_der(pem_text)?)
    }
}

/// SHA-256 of the public key of a PEM certificate request (PKCS #10).
pub fn request_public_key(pem_text: &str) -> Result<String, String> {
    let (_, pem) = x509_parser::pem::parse_x509_pem(pem_text.as_bytes()).map_err(|e| format!("not a PEM request: {e}"))?;
    let (_, csr) = X509CertificationRequest::from_der(&pem.contents).map_err(|e| format!("not a certificate request: {e}"))?;
    Ok(hex(&Sha256::digest(csr.certification_request_info.subject_pki.raw)))
}

/// GSKit's `-dn` ("CN=QM1,O=IBM,C=US,OU=SSL For MQ,ST=MA", any case, any order, `\,` for a
/// comma in a value) as OpenSSL's `-subj`, least specific first so that MQ shows it back
/// most specific first.
pub fn subject_arg(dn: &str) -> Result<String, String> {
    const ORDER: [&str; 6] = ["C", "ST", "L", "O", "OU", "CN"];
    let mut parts: Vec<(usize, String)> = Vec::new();
    let mut current = String::new();
    let mut escaped = false;
    let mut pieces = Vec::new();
    for c in dn.chars() {
        match c {
            '\\' if !escaped => escaped = true,
            ',' if !escaped => pieces.push(std::mem::take(&mut current)),
            c => {
                if escaped && c != ',' {
                    current.push('\\');
                }
                escaped = false;
                current.push(c);
            }
        }
    }
    pieces.push(current);
    for piece in pieces.iter().map(|p| p.trim()).filter(|p| !p.is_empty()) {
        let (key, value) = piece.split_once('=').ok_or_else(|| format!("\"{piece}\" is not TYPE=value"))?;
        let key = match key.trim().to_ascii_uppercase().as_str() {
            "SP" | "S" => "ST".to_string(),
            other => other.to_string(),
        };
        let rank = ORDER.iter().position(|o| *o == key).ok_or_else(|| format!("\"{key}\" is not a DN attribute GSKit takes here"))?;
        let value = value.trim();
        if value.is_empty() {
            return Err(format!("{key} has no value"));
        }
        if key == "C" && value.len() != 2 {
            return Err(format!("C={value}: a country is two letters"));
        }
        // OpenSSL's -subj: `/` and `+` and `=` in a value are escaped.
        let value: String = value.chars().flat_map(|c| if matches!(c, '/' | '+' | '=' | '\\') { vec!['\\', c] } else { vec![c] }).collect();
        parts.push((rank, format!("/{key}={value}")));
    }
    if !parts.iter().any(|(rank, _)| *rank == 5) {
        return Err("the DN has no CN".into());
    }
    parts.sort_by_key(|(rank, _)| *rank);
    Ok(parts.into_iter().map(|(_, p)| p).collect())
}

/// GSKit's `-sig_alg` as OpenSSL's digest option.
pub fn digest_arg(sig_alg: &str) -> Result<&'static str, String> {
    match sig_alg.to_ascii_uppercase().replace('_', "").as_str() {
        "SHA256WITHRSA" | "SHA256" => Ok("-sha256"),
        "SHA384WITHRSA" | "SHA384" => Ok("-sha384"),
        "SHA512WITHRSA" | "SHA512" => Ok("-sha512"),
        "SHA1WITHRSA" | "SHA1" | "SHAWITHRSA" => Ok("-sha1"),
        _ => Err(format!("{sig_alg} is not a signature algorithm this GSKit makes (RSA keys)")),
    }
}

/// Eight random bytes, positive and without a leading zero, as a serial number.
pub fn random_serial() -> String {
    let mut bytes = [0u8; 8];
    let read = std::fs::File::open("/dev/urandom").and_then(|mut f| std::io::Read::read_exact(&mut f, &mut bytes));
    if read.is_err() {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        bytes.copy_from_slice(&Sha256::digest(format!("{now}-{}", std::process::id()).as_bytes())[..8]);
    }
    bytes[0] = (bytes[0] & 0x7f).max(0x10);
    hex(&bytes)
}

fn openssl(dir: &Path, args: &[String]) -> Result<(), String> {
    let out = Command::new("openssl").args(args).current_dir(dir).output().map_err(|e| format!("openssl: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    let said = String::from_utf8_lossy(&out.stderr);
    Err(said.lines().rfind(|l| !l.trim().is_empty() && !l.starts_with(['.', '+', '-'])).unwrap_or("openssl failed").to_string())
}

fn san_arg(san: &[String]) -> Vec<String> {
    if san.is_empty() {
        return Vec::new();
    }
    vec!["-addext".into(), format!("subjectAltName={}", san.iter().map(|d| format!("DNS:{d}")).collect::<Vec<_>>().join(","))]
}

/// A new RSA key and what it was asked for: a self-signed certificate (`-cert -create`) or a
/// certificate request (`-certreq -create`), as (key PEM, certificate or request PEM).
pub struct Made {
    pub key: String,
    pub pem: String,
}

/// `openssl req -x509`: a self-signed certificate valid `days` from now.
pub fn self_signed(subject: &str, bits: u32, days: u32, digest: &str, san: &[String]) -> Result<Made, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let mut args: Vec<String> = ["req", "-x509", "-newkey"].map(String::from).to_vec();
    args.extend([format!("rsa:{bits}"), "-nodes".into(), "-keyout".into(), "key.pem".into(), "-out".into(), "cert.pem".into()]);
    args.extend(["-subj".into(), subject.to_string(), "-days".into(), days.to_string(), digest.to_string()]);
    args.extend(["-set_serial".into(), format!("0x{}", random_serial())]);
    args.extend(san_arg(san));
    openssl(dir.path(), &args)?;
    let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).map_err(|e| format!("{name}: {e}"));
    Ok(Made { key: read("key.pem")?, pem: read("cert.pem")? })
}

/// `openssl req -new`: a key and a PKCS #10 request for `subject`.
pub fn request(subject: &str, bits: u32, digest: &str, san: &[String]) -> Result<Made, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let mut args: Vec<String> = ["req", "-new", "-newkey"].map(String::from).to_vec();
    args.extend([format!("rsa:{bits}"), "-nodes".into(), "-keyout".into(), "key.pem".into(), "-out".into(), "req.pem".into()]);
    args.extend(["-subj".into(), subject.to_string(), digest.to_string()]);
    args.extend(san_arg(san));
    openssl(dir.path(), &args)?;
    let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).map_err(|e| format!("{name}: {e}"));
    Ok(Made { key: read("key.pem")?, pem: read("req.pem")? })
}

/// `child` carries a signature made with `issuer`'s key (`openssl verify`, the issuer taken as a
/// trust anchor whatever its own issuer; validity dates are checked elsewhere).
pub fn signed_by(child_pem: &str, issuer_pem: &str) -> bool {
    let Ok(dir) = tempfile::tempdir() else { return false };
    let written = std::fs::write(dir.path().join("child.pem"), child_pem).and_then(|_| std::fs::write(dir.path().join("issuer.pem"), issuer_pem));
    if written.is_err() {
        return false;
    }
    let args: Vec<String> = ["verify", "-no_check_time", "-partial_chain", "-CAfile", "issuer.pem", "child.pem"].map(String::from).to_vec();
    openssl(dir.path(), &args).is_ok()
}

/// DER as PEM text (64 characters a line).
pub fn der_to_pem(der: &[u8], label: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut b64 = String::new();
    for chunk in der.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                b64.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                b64.push('=');
            }
        }
    }
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gskit_dns_become_openssl_subjects_least_specific_first() {
        assert_eq!(subject_arg("cn=QM1,O=IBM,C=US,OU=SSL For MQ,ST=MA").unwrap(), "/C=US/ST=MA/O=IBM/OU=SSL For MQ/CN=QM1");
        assert_eq!(subject_arg("CN=mqipt-server, OU=IBM, C=US").unwrap(), "/C=US/OU=IBM/CN=mqipt-server");
        assert_eq!(subject_arg(r"CN=a\,b/c,O=X").unwrap(), r"/O=X/CN=a,b\/c");
        assert!(subject_arg("O=IBM").is_err(), "no CN");
        assert!(subject_arg("CN=x,FOO=y").is_err());
        assert!(subject_arg("CN=x,C=USA").is_err());
        assert!(subject_arg("garbage").is_err());
    }

    #[test]
    fn digests_and_serials() {
        assert_eq!(digest_arg("SHA256WithRSA").unwrap(), "-sha256");
        assert!(digest_arg("SHA256WithECDSA").is_err());
        let serial = random_serial();
        assert_eq!(serial.len(), 16);
        assert!(u8::from_str_radix(&serial[..2], 16).unwrap() >= 0x10 && u8::from_str_radix(&serial[..2], 16).unwrap() < 0x80);
    }

    #[test]
    fn pem_round_trip() {
        let pem = der_to_pem(&[0, 1, 2, 3, 4, 250, 251], "CERTIFICATE");
        assert_eq!(pem, "-----BEGIN CERTIFICATE-----\nAAECAwT6+w==\n-----END CERTIFICATE-----\n");
    }
}
