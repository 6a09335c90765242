//! Validation of names that end up in commands run on hosts.
//!
//! Commands reach the hosts over SSH; a name that is not valid here never reaches a command line.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NameError {
    #[error("{kind} name is empty")]
    Empty { kind: &'static str },
    #[error("{kind} name is {len} characters long; at most {max} are allowed")]
    TooLong { kind: &'static str, len: usize, max: usize },
    #[error("{kind} name {name:?} contains {found:?}; allowed are {allowed}")]
    BadCharacter { kind: &'static str, name: String, found: char, allowed: &'static str },
    #[error("{what} is {value}; it must be {range}")]
    OutOfRange { what: &'static str, value: String, range: String },
}

fn check(
    kind: &'static str,
    name: &str,
    max: usize,
    allowed: &'static str,
    ok: impl Fn(char) -> bool,
) -> Result<(), NameError> {
    if name.is_empty() {
        return Err(NameError::Empty { kind });
    }
    let len = name.chars().count();
    if len > max {
        return Err(NameError::TooLong { kind, len, max });
    }
    match name.chars().find(|c| !ok(*c)) {
        Some(found) => Err(NameError::BadCharacter { kind, name: name.to_string(), found, allowed }),
        None => Ok(()),
    }
}

/// An MQ object name such as a queue manager: `[A-Za-z0-9._/%]{1,48}`.
pub fn validate_mq_name(name: &str) -> Result<(), NameError> {
    check("queue manager", name, 48, "A-Z a-z 0-9 . _ / %", |c| {
        c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '/' | '%')
    })
}

/// A host (node) name as RDQM and DNS use it: letters, digits, `-` and `.`.
pub fn validate_host_name(name: &str) -> Result<(), NameError> {
    check("host", name, 253, "A-Z a-z 0-9 - .", |c| {
        c.is_ascii_alphanumeric() || matches!(c, '-' | '.')
    })?;
    if name.starts_with('-') {
        return Err(NameError::BadCharacter {
            kind: "host",
            name: name.to_string(),
            found: '-',
            allowed: "A-Z a-z 0-9 - . (not leading -)",
        });
    }
    Ok(())
}

/// A region name as the configuration gives it (`WDC`, `DAL`): letters and digits.
pub fn validate_region_name(name: &str) -> Result<(), NameError> {
    check("region", name, 64, "A-Z a-z 0-9", |c| c.is_ascii_alphanumeric())
}

/// A certificate label as GSKit stores it: letters, digits, space, `.`, `_`, `-` (not leading
/// `-`, which GSKit would read as an option), at most 127 characters.
pub fn validate_cert_label(label: &str) -> Result<(), NameError> {
    check("certificate label", label, 127, "A-Z a-z 0-9 space . _ - (not leading -)", |c| {
        c.is_ascii_alphanumeric() || matches!(c, ' ' | '.' | '_' | '-')
    })?;
    if label.starts_with('-') || label.starts_with(' ') {
        return Err(NameError::BadCharacter { kind: "certificate label", name: label.to_string(), found: label.chars().next().unwrap_or('-'), allowed: "A-Z a-z 0-9 space . _ - (not leading - or space)" });
    }
    Ok(())
}

/// The absolute path of a key repository or keystore: `/` then letters, digits, `/ . _ -`.
pub fn validate_store_path(path: &str) -> Result<(), NameError> {
    check("key repository path", path, 1024, "/ A-Z a-z 0-9 . _ - (absolute)", |c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-'))?;
    if !path.starts_with('/') || path.split('/').any(|part| part == "..") {
        return Err(NameError::BadCharacter { kind: "key repository path", name: path.to_string(), found: path.chars().next().unwrap_or('.'), allowed: "an absolute path without .." });
    }
    Ok(())
}

/// A distinguished name for a new certificate (`CN=..,OU=..,O=..,C=..`): printable ASCII
/// without quotes, backslashes or a leading `-`, each part `ATTRIBUTE=value`.
pub fn validate_dn(dn: &str) -> Result<(), NameError> {
    check("distinguished name", dn, 1024, "printable ASCII without quotes or \\", |c| (' '..='~').contains(&c) && !matches!(c, '"' | '\'' | '\\' | '`' | '$'))?;
    let well_formed = !dn.starts_with('-')
        && dn.split(',').all(|part| part.split_once('=').is_some_and(|(k, v)| !k.trim().is_empty() && k.trim().chars().all(|c| c.is_ascii_alphabetic()) && !v.trim().is_empty()));
    if !well_formed {
        return Err(NameError::BadCharacter { kind: "distinguished name", name: dn.to_string(), found: ',', allowed: "ATTRIBUTE=value parts separated by commas" });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_names_are_valid() {
        for name in ["DRHAQM1", "DRHAQM2", "SSLDRHAQM1", "QM1.TO.QM2"] {
            validate_mq_name(name).unwrap();
        }
        for host in ["wdc1-mq1", "dal3-mq1", "wdc-bastion"] {
            validate_host_name(host).unwrap();
        }
    }

    #[test]
    fn hostile_names_are_refused() {
        for name in ["", "DR;rm -rf /", "QM$(id)", "QM 1", "Q'M", &"A".repeat(49)] {
            assert!(validate_mq_name(name).is_err(), "{name:?} accepted");
        }
        assert!(validate_host_name("-oProxyCommand=x").is_err());
        assert!(validate_host_name("a b").is_err());
        for label in ["-rf", "a;b", "x'y", ""] {
            assert!(validate_cert_label(label).is_err(), "{label:?} accepted");
        }
        validate_cert_label("Lab Root CA").unwrap();
        for path in ["relative/x.kdb", "/a/../etc/shadow", "/a b/x.kdb", "/x;y"] {
            assert!(validate_store_path(path).is_err(), "{path:?} accepted");
        }
        validate_store_path("/var/mqm/vols/ssldrhaqm1/qmgr/ssldrhaqm1/ssl/ssldrhaqm1KeyFile.kdb").unwrap();
        for dn in ["-dn", "CN=a\",b", "CN=$(id)", "no equals", "CN="] {
            assert!(validate_dn(dn).is_err(), "{dn:?} accepted");
        }
        validate_dn("CN=SSLDRHAQM1,OU=SSL For MQ,O=IBM,ST=MA,C=US").unwrap();
    }
}
