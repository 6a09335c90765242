//! IBM MQ's SSLPEER matching: does a peer certificate's Distinguished Name pass a channel's
//! SSLPEER filter? A mismatch is what the channel reports as AMQ9636E when it starts; this
//! predicts it, in the console and in the browser alike.
//!
//! IBM's rules (IBM MQ rules for SSLPEER values): comma or semicolon separate attributes,
//! spaces around separators and at the ends of unquoted values are ignored, values compare
//! regardless of case, a value may be double-quoted (then separators, `=` and `*` inside it are
//! literal), `*` at the start and/or end of an unquoted value is a wildcard, ST/SP/S name the
//! same attribute (as do E/MAIL and UID/USERID), every attribute in the filter must be matched
//! and attributes the filter does not name are ignored, several OU (and DC) values must match
//! the certificate's first ones in the same order, SERIALNUMBER is the certificate serial.

use serde::{Deserialize, Serialize};
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SslPeerError {
    #[error("{what}: {why} (at {part:?})")]
    Malformed { what: &'static str, why: String, part: String },
}

/// One `TYPE=value` of a DN or filter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attribute {
    /// Canonical type (upper case; ST for SP/S, MAIL for E, UID for USERID).
    pub kind: String,
    pub value: String,
    /// The value was double-quoted: no wildcards in it.
    pub quoted: bool,
}

/// What `matches` found, attribute by attribute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchResult {
    pub matches: bool,
    pub explanation: String,
    pub checks: Vec<AttributeCheck>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttributeCheck {
    pub filter: String,
    pub found: Option<String>,
    pub ok: bool,
}

/// The attribute types IBM allows in an SSLPEER filter.
const KNOWN: &[&str] = &[
    "SERIALNUMBER", "MAIL", "E", "UID", "USERID", "CN", "T", "OU", "DC", "O", "STREET", "L", "ST", "SP", "S", "PC", "C",
    "UNSTRUCTUREDNAME", "UNSTRUCTUREDADDRESS", "DNQ",
];

fn canonical(kind: &str) -> String {
    match kind.to_ascii_uppercase().as_str() {
        "SP" | "S" => "ST".into(),
        "E" => "MAIL".into(),
        "USERID" => "UID".into(),
        other => other.to_string(),
    }
}

/// Splits a DN or filter into attributes, honouring quotes and `\` escapes.
pub fn parse(text: &str, what: &'static str, strict_types: bool) -> Result<Vec<Attribute>, SslPeerError> {
    let mut parts: Vec<(String, bool)> = Vec::new();
    let mut current = String::new();
    let mut quoted_seen = false;
    let mut in_quotes = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next() {
                    current.push('\\');
                    current.push(next);
                }
            }
            '"' => {
                in_quotes = !in_quotes;
                quoted_seen = true;
                current.push('"');
            }
            ',' | ';' if !in_quotes => {
                parts.push((std::mem::take(&mut current), quoted_seen));
                quoted_seen = false;
            }
            _ => current.push(c),
        }
    }
    if in_quotes {
        return Err(SslPeerError::Malformed { what, why: "a double quote is not closed".into(), part: current });
    }
    parts.push((current, quoted_seen));
    let mut out = Vec::new();
    for (part, _) in parts {
        let part = part.trim();
        if part.is_empty() {
            if text.trim().is_empty() {
                return Ok(out);
            }
            return Err(SslPeerError::Malformed { what, why: "an empty attribute between separators".into(), part: part.into() });
        }
        let Some((kind, value)) = part.split_once('=') else {
            return Err(SslPeerError::Malformed { what, why: "no `=` between type and value".into(), part: part.into() });
        };
        if kind.ends_with(' ') {
            return Err(SslPeerError::Malformed { what, why: "no space is allowed before `=`".into(), part: part.into() });
        }
        let kind = kind.trim();
        if strict_types && !KNOWN.iter().any(|k| k.eq_ignore_ascii_case(kind)) {
            return Err(SslPeerError::Malformed { what, why: format!("{kind} is not an attribute IBM MQ allows in SSLPEER"), part: part.into() });
        }
        let raw = value.trim();
        let quoted = raw.len() >= 2 && raw.starts_with('"') && raw.ends_with('"');
        let inner = if quoted { &raw[1..raw.len() - 1] } else { raw };
        let value = inner.replace("\\,", ",").replace("\\;", ";").replace("\\\"", "\"").replace("\\\\", "\\");
        out.push(Attribute { kind: canonical(kind), value, quoted });
    }
    Ok(out)
}

/// Serial numbers compare as hex digits, whatever the separators and case.
fn serial_digits(text: &str) -> String {
    text.chars().filter(|c| c.is_ascii_hexdigit()).map(|c| c.to_ascii_uppercase()).collect::<String>().trim_start_matches('0').to_string()
}

fn value_matches(filter: &Attribute, actual: &str) -> bool {
    if filter.kind == "SERIALNUMBER" {
        return serial_digits(&filter.value) == serial_digits(actual);
    }
    let want = filter.value.to_lowercase();
    let have = actual.trim().to_lowercase();
    if filter.quoted {
        return want == have;
    }
    match (want.strip_prefix('*'), want.strip_suffix('*')) {
        _ if want == "*" => true,
        (Some(rest), _) if rest.ends_with('*') => have.contains(&rest[..rest.len() - 1]),
        (Some(rest), _) => have.ends_with(rest),
        (None, Some(rest)) => have.starts_with(rest),
        (None, None) => want == have,
    }
}

/// Does the certificate DN `dn` pass the SSLPEER filter `filter`?
pub fn matches(dn: &str, filter: &str) -> Result<MatchResult, SslPeerError> {
    let filter_attrs = parse(filter, "SSLPEER filter", true)?;
    let dn_attrs = parse(dn, "certificate DN", false)?;
    if filter_attrs.is_empty() {
        return Ok(MatchResult { matches: true, explanation: "an empty SSLPEER checks nothing: every peer passes".into(), checks: Vec::new() });
    }
    let mut checks = Vec::new();
    // Repeated types (OU, DC): the filter's values must match the certificate's first ones, in order.
    let mut kinds: Vec<&str> = Vec::new();
    for a in &filter_attrs {
        if !kinds.contains(&a.kind.as_str()) {
            kinds.push(&a.kind);
        }
    }
    for kind in kinds {
        let wanted: Vec<&Attribute> = filter_attrs.iter().filter(|a| a.kind == kind).collect();
        let present: Vec<&Attribute> = dn_attrs.iter().filter(|a| a.kind == kind).collect();
        for (i, want) in wanted.iter().enumerate() {
            let found = present.get(i).map(|a| a.value.clone());
            let ok = found.as_deref().is_some_and(|v| value_matches(want, v));
            let shown = if want.quoted { format!("{kind}=\"{}\"", want.value) } else { format!("{kind}={}", want.value) };
            checks.push(AttributeCheck { filter: shown, found: found.map(|v| format!("{kind}={v}")), ok });
        }
    }
    let matches = checks.iter().all(|c| c.ok);
    let explanation = if matches {
        format!("matches: every attribute of the filter is in the DN ({})", checks.iter().map(|c| c.filter.as_str()).collect::<Vec<_>>().join(", "))
    } else {
        let failed: Vec<String> = checks
            .iter()
            .filter(|c| !c.ok)
            .map(|c| match &c.found {
                Some(found) => format!("{} wanted, the certificate has {found}", c.filter),
                None => format!("{} wanted, the certificate has none", c.filter),
            })
            .collect();
        format!("does not match, so the channel would fail with AMQ9636E: {}", failed.join("; "))
    };
    Ok(MatchResult { matches, explanation, checks })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(dn: &str, filter: &str) -> bool {
        matches(dn, filter).unwrap().matches
    }

    const QM1: &str = "SERIALNUMBER=78:40:26:54:E5:D4:80:E4,CN=QM1,OU=SSL For MQ,O=IBM,ST=MA,C=US";

    #[test]
    fn seed_000_john_cena_is_refused_as_amq9636e() {
        let result = matches(QM1, "CN=John Cena, OU=Test, O=IBM, C=GB").unwrap();
        assert!(!result.matches);
        assert!(result.explanation.contains("AMQ9636E"));
        assert!(result.explanation.contains("CN=John Cena wanted, the certificate has CN=QM1"), "{}", result.explanation);
    }

    #[test]
    fn seed_000_the_full_peer_dn_matches_itself() {
        assert!(m(QM1, QM1));
        assert!(m(QM1, "SERIALNUMBER=78:40:26:54:e5:d4:80:e4, CN=QM1"));
        assert!(!m(QM1, "SERIALNUMBER=78:40:26:54:E5:D4:80:E5"));
    }

    #[test]
    fn ibm_separator_spacing_and_case_rules() {
        let dn = "CN=John Smith,OU=Test,O=IBM,C=GB";
        assert!(m(dn, "CN=John Smith, O=IBM ,OU=Test , C=GB"));
        assert!(m(dn, "CN=John Smith; O=IBM; C=GB"));
        assert!(m(dn, "CN=JOHN SMITH"));
        assert!(m(dn, "cn=john smith"), "types are accepted in any case");
        assert!(m(dn, "CN=\"John Smith\""));
        assert!(matches(dn, "CN =John Smith").is_err(), "no space before =");
    }

    #[test]
    fn generic_values_with_asterisks() {
        let dn = "CN=QMGR.ONE,OU=IBM UK,O=IBM";
        assert!(m(dn, "OU=IBM*"));
        assert!(m(dn, "CN=*ONE"));
        assert!(m(dn, "CN=*GR.O*"));
        assert!(m(dn, "CN=*"));
        assert!(!m(dn, "OU=UK*"));
        assert!(!m(dn, "CN=\"QMGR.*\""), "a quoted asterisk is literal");
        assert!(m("CN=QMGR.*", "CN=\"QMGR.*\""));
    }

    #[test]
    fn several_ou_values_match_in_order() {
        let dn = "CN=QMGR.ONE,OU=IBM,OU=WEBSPHERE,OU=LAB,O=IBM";
        assert!(m(dn, "CN=QMGR.*, OU=IBM, OU=WEBSPHERE"));
        assert!(!m(dn, "OU=WEBSPHERE, OU=IBM"), "order matters");
        assert!(!m("CN=X,OU=IBM", "OU=IBM, OU=WEBSPHERE"), "every filter OU needs one");
    }

    #[test]
    fn every_filter_attribute_must_be_present_and_synonyms_count() {
        let dn = "CN=QM2,OU=SSL For MQ,O=IBM,ST=MA,C=US";
        assert!(!m(dn, "CN=QM2, L=Boston"), "L is not in the DN");
        assert!(m(dn, "SP=MA"));
        assert!(m(dn, "S=ma, C=us"));
        assert!(m("CN=A,E=a@b.c", "MAIL=a@b.c"));
    }

    #[test]
    fn quoted_separators_and_escaped_commas() {
        assert!(m("CN=Smith\\, John,O=IBM", "CN=\"Smith, John\""));
        assert!(m("CN=Smith\\, John,O=IBM", "CN=Smith\\, John"));
    }

    #[test]
    fn malformed_filters_say_why() {
        let err = matches(QM1, "CN=QM1, NOPE=x").unwrap_err().to_string();
        assert!(err.contains("NOPE is not an attribute"), "{err}");
        assert!(matches(QM1, "CN=\"QM1").unwrap_err().to_string().contains("not closed"));
        assert!(matches(QM1, "CN=QM1,,O=IBM").is_err());
        assert!(matches(QM1, "").unwrap().matches, "an empty SSLPEER checks nothing");
    }
}
