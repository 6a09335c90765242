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
    }
}
