//! The status vocabularies RDQM prints, as IBM spells them.
//!
//! Every enum is total: a value IBM may add later (or a typo in pasted output) becomes
//! `Unknown(text)` and is shown as such, never guessed into a known value.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! ibm_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(into = "String", from = "String")]
        pub enum $name {
            $($variant,)+
            /// A value this version of the console does not know, kept verbatim.
            Unknown(String),
        }

        impl $name {
            /// Every known value, in IBM's documentation order.
            pub const KNOWN: &'static [$name] = &[$($name::$variant),+];

            /// The text IBM prints for this value.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $text,)+
                    $name::Unknown(text) => text,
                }
            }

            /// Reads IBM's text (surrounding blanks ignored, case-insensitive).
            pub fn parse(text: &str) -> Self {
                let trimmed = text.trim();
                $(if trimmed.eq_ignore_ascii_case($text) { return $name::$variant; })+
                $name::Unknown(trimmed.to_string())
            }

            pub fn is_known(&self) -> bool {
                !matches!(self, $name::Unknown(_))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl From<String> for $name {
            fn from(text: String) -> Self {
                $name::parse(&text)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.as_str().to_string()
            }
        }
    };
}

ibm_enum! {
    /// `Queue manager status:` in rdqmstatus, `STATUS(...)` in dspmq.
    QmStatus {
        Running => "Running",
        RunningElsewhere => "Running elsewhere",
        EndedImmediately => "Ended immediately",
        EndedNormally => "Ended normally",
        EndedUnexpectedly => "Ended unexpectedly",
        Starting => "Starting",
        Ending => "Ending",
        StatusNotAvailable => "Status not available",
    }
}

ibm_enum! {
    /// `HA status:` of the local node or of an HA peer.
    HaStatus {
        Normal => "Normal",
        SynchronizationInProgress => "Synchronization in progress",
        RemoteUnavailable => "Remote unavailable",
        Mixed => "Mixed",
        Partitioned => "Partitioned",
        Inconsistent => "Inconsistent",
        RemoteNodeInStandby => "Remote node in standby",
    }
}

ibm_enum! {
    /// `DR status:` of a DR or DR/HA queue manager.
    DrStatus {
        Normal => "Normal",
        SynchronizationInProgress => "Synchronization in progress",
        RemoteUnavailable => "Remote unavailable",
        Partitioned => "Partitioned",
        Inconsistent => "Inconsistent",
        Paused => "Paused",
        Inactive => "Inactive",
        Unknown_ => "Unknown",
    }
}

ibm_enum! {
    /// `DR role:` Primary or Secondary.
    DrRole {
        Primary => "Primary",
        Secondary => "Secondary",
    }
}

ibm_enum! {
    /// `HA role:` Primary or Secondary; Unknown on a node cut off from its group.
    HaRole {
        Primary => "Primary",
        Secondary => "Secondary",
        Unknown_ => "Unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_round_trip_through_text() {
        for status in DrStatus::KNOWN {
            assert_eq!(&DrStatus::parse(status.as_str()), status);
        }
        for status in QmStatus::KNOWN {
            assert_eq!(&QmStatus::parse(status.as_str()), status);
        }
    }

    #[test]
    fn unknown_text_is_kept_verbatim() {
        let status = HaStatus::parse("  Sideways ");
        assert_eq!(status, HaStatus::Unknown("Sideways".into()));
        assert_eq!(status.to_string(), "Sideways");
        assert!(!status.is_known());
    }

    #[test]
    fn dr_status_unknown_is_a_known_ibm_word() {
        // 9.4.5 prints "Unknown" on a returning old primary: that is IBM's word, not ours.
        assert_eq!(DrStatus::parse("Unknown"), DrStatus::Unknown_);
        assert!(DrStatus::parse("Unknown").is_known());
    }

    #[test]
    fn serde_uses_ibm_text() {
        let json = serde_json::to_string(&QmStatus::RunningElsewhere).unwrap();
        assert_eq!(json, "\"Running elsewhere\"");
        let back: QmStatus = serde_json::from_str(&json).unwrap();
        assert_eq!(back, QmStatus::RunningElsewhere);
    }
}
