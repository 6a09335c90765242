//! `runmqakm` (GSKit) key repository listings: `-cert -list` and `-cert -details`.
//! Total like the other parsers: unknown lines are kept, nothing panics.

use crate::rdqmstatus::snake_case;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One line of `runmqakm -cert -list`: the markers (`*` default, `-` personal, `!` trusted,
/// `#` secret key) and the label, without its quotes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertEntry {
    pub label: String,
    pub default: bool,
    pub personal: bool,
    pub trusted: bool,
    pub secret_key: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertList {
    pub certificates: Vec<CertEntry>,
    pub unparsed: Vec<String>,
}

fn unquote(text: &str) -> String {
    let t = text.trim();
    if t.len() >= 2 && t.starts_with('"') && t.ends_with('"') { t[1..t.len() - 1].to_string() } else { t.to_string() }
}

/// Reads `runmqakm -cert -list` (also `runmqckm` and `mqiptKeycmd`, which print the same).
pub fn parse_list(text: &str) -> CertList {
    let mut certificates = Vec::new();
    let mut unparsed = Vec::new();
    for raw in text.lines() {
        let line = raw.trim_end_matches('\r');
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed == "Certificates found" || trimmed.starts_with("* default") || trimmed == "No certificates were found." {
            continue;
        }
        let markers: String = trimmed.chars().take_while(|c| matches!(c, '*' | '-' | '!' | '#')).collect();
        let rest = trimmed[markers.len()..].trim();
        if markers.is_empty() || rest.is_empty() || !(line.contains('\t') || line.contains(' ')) {
            unparsed.push(line.to_string());
            continue;
        }
        certificates.push(CertEntry {
            label: unquote(rest),
            default: markers.contains('*'),
            personal: markers.contains('-'),
            trusted: markers.contains('!'),
            secret_key: markers.contains('#'),
        });
    }
    CertList { certificates, unparsed }
}

/// `runmqakm -cert -details -label L`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertDetails {
    pub label: Option<String>,
    pub key_size: Option<u32>,
    pub serial: Option<String>,
    /// DNs without the surrounding quotes.
    pub issuer: Option<String>,
    pub subject: Option<String>,
    pub not_before: Option<String>,
    pub not_after: Option<String>,
    /// Every `Label : value` (keys snake_case), multi-line values joined with newlines.
    pub fields: BTreeMap<String, String>,
    pub unparsed: Vec<String>,
}

/// Reads `runmqakm -cert -details`.
pub fn parse_details(text: &str) -> CertDetails {
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut unparsed = Vec::new();
    for raw in text.lines() {
        let line = raw.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let indented = line.starts_with(' ') || line.starts_with('\t');
        let split = if indented { None } else { line.split_once(" : ").or_else(|| line.strip_suffix(" :").map(|l| (l, ""))) };
        match split {
            Some((label, value)) if !label.trim().is_empty() && label.len() <= 40 => {
                fields.push((label.trim().to_string(), value.trim().to_string()));
            }
            _ => match fields.last_mut() {
                // Hex dumps, fingerprints and extensions continue the field above them.
                Some((_, value)) if indented => {
                    if !value.is_empty() {
                        value.push('\n');
                    }
                    value.push_str(line.trim());
                }
                // A heading with no value ("Public Key", "Extensions") starts a field.
                _ if !indented && !line.contains(':') && line.trim().len() <= 40 => {
                    fields.push((line.trim().to_string(), String::new()));
                }
                _ => unparsed.push(line.to_string()),
            },
        }
    }
    let mut map = BTreeMap::new();
    for (label, value) in &fields {
        let key = snake_case(label);
        // "Fingerprint : SHA256 :" repeats the label: keep each digest apart.
        let key = if key == "fingerprint" { format!("fingerprint_{}", snake_case(value.lines().next().unwrap_or("").trim_end_matches(':'))) } else { key };
        map.entry(key).or_insert_with(|| value.clone());
    }
    let get = |key: &str| map.get(key).map(|v| unquote(v.lines().next().unwrap_or("")));
    CertDetails {
        label: get("label"),
        key_size: get("key_size").and_then(|v| v.split_whitespace().next().and_then(|n| n.parse().ok())),
        serial: get("serial"),
        issuer: get("issuer"),
        subject: get("subject"),
        not_before: get("not_before"),
        not_after: get("not_after"),
        fields: map,
        unparsed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED_LIST: &str = "\nCertificates found\n* default, - personal, ! trusted, # secret key\n!\t\"Entrust.net Certification Authority (2048) 29\"\n!\t\"Thawte Server CA\"\n-\tssldrhaqm1certlabel\n*-\t\"default personal\"\n";

    #[test]
    fn reads_the_seed_listing() {
        let list = parse_list(SEED_LIST);
        assert_eq!(list.certificates.len(), 4, "{list:?}");
        assert_eq!(list.certificates[0].label, "Entrust.net Certification Authority (2048) 29");
        assert!(list.certificates[0].trusted && !list.certificates[0].personal);
        assert_eq!(list.certificates[2].label, "ssldrhaqm1certlabel");
        assert!(list.certificates[2].personal);
        assert!(list.certificates[3].default && list.certificates[3].personal);
        assert!(list.unparsed.is_empty());
    }

    #[test]
    fn reads_details_with_multi_line_values() {
        let text = "Label : ssldrhaqm1certlabel\nKey Size : 2048\nVersion : X509 V3\nSerial : 5ec87652da81965b\nIssuer : \"CN=SSLDRHAQM1,OU=SSL For MQ,O=IBM,ST=MA,C=US\"\nSubject : \"CN=SSLDRHAQM1,OU=SSL For MQ,O=IBM,ST=MA,C=US\"\nNot Before : June 28, 2022 6:21:00 PM GMT+00:00\n\nNot After : June 23, 2042 6:21:00 PM GMT+00:00\n\nPublic Key\n    30 82 01 22\n    30 0D 06 09\nPublic Key Type : RSA (1.2.840.113549.1.1.1)\nFingerprint : SHA256 :\n    AB:CD:EF\nSignature Algorithm : SHA256WithRSASignature (1.2.840.113549.1.1.11)\nTrust Status : Enabled\n";
        let d = parse_details(text);
        assert_eq!(d.label.as_deref(), Some("ssldrhaqm1certlabel"));
        assert_eq!(d.key_size, Some(2048));
        assert_eq!(d.serial.as_deref(), Some("5ec87652da81965b"));
        assert_eq!(d.issuer.as_deref(), Some("CN=SSLDRHAQM1,OU=SSL For MQ,O=IBM,ST=MA,C=US"));
        assert_eq!(d.not_after.as_deref(), Some("June 23, 2042 6:21:00 PM GMT+00:00"));
        assert_eq!(d.fields["public_key"], "30 82 01 22\n30 0D 06 09");
        assert_eq!(d.fields["fingerprint_sha256"], "SHA256 :\nAB:CD:EF");
        assert_eq!(d.fields["trust_status"], "Enabled");
    }

    #[test]
    fn garbage_is_kept_not_fatal() {
        let list = parse_list("CTGSK3026W The key file \"key.kdb\" does not exist or cannot be read.\n");
        assert!(list.certificates.is_empty());
        assert_eq!(list.unparsed.len(), 1);
        let d = parse_details("\u{0}\n : \n::::\n\t\tx");
        assert_eq!(d.label, None);
    }
}
