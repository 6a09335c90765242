//! What a finding is about, as the app and the planner branch on it (never on its words). On
//! the wire each code is its snake_case name (`node_unreachable`), as it always was.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, strum::IntoStaticStr, strum::Display, strum::EnumIter)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum FindingCode {
    // Hosts and the console's reach.
    NodeUnreachable,
    NodeIsolated,
    HostKeyChanged,
    SshKeyRefused,
    SudoRequired,
    NotAuthorized,
    ProbeFailed,
    ClockSkew,
    // Queue managers, HA and DR.
    QmNotRunning,
    QmStarting,
    QmOffPreferred,
    QmStatusUnreadable,
    HaNotNormal,
    HaSplitBrain,
    DrNotNormal,
    DrPartitioned,
    // DRBD and Pacemaker.
    PacemakerBanned,
    NoQuorum,
    DrbdDisk,
    DrbdPeer,
    LayersDisagree,
    LayerUnreadable,
    // MQIPT.
    MqiptUnreadable,
    RouteMissing,
    RouteUnknownDestination,
    RouteWrongRegion,
    // Certificates and TLS channels.
    Certificates,
    CertStoreUnreadable,
    CertExpired,
    CertExpiring,
    CertRotationDue,
    CertUntrusted,
    CertHostname,
    CertWeakKey,
    CertWeakSignature,
    ChannelCertlabl,
    ChannelSslcauth,
    ChannelSslpeer,
    ChannelSslciph,
    ChannelSslciphPair,
}

impl FindingCode {
    /// The code as sent and shown (`node_unreachable`).
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

impl FindingCode {
    /// A finding about one certificate (its subject is `host:label`), as the certificate
    /// table lists them.
    pub fn is_about_a_certificate(self) -> bool {
        matches!(
            self,
            FindingCode::CertExpired
                | FindingCode::CertExpiring
                | FindingCode::CertRotationDue
                | FindingCode::CertUntrusted
                | FindingCode::CertHostname
                | FindingCode::CertWeakKey
                | FindingCode::CertWeakSignature
        )
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use strum::IntoEnumIterator;

    #[test]
    fn every_code_is_sent_as_it_is_shown_and_read_back() {
        for code in FindingCode::iter() {
            let sent = serde_json::to_value(code).unwrap();
            assert_eq!(sent, serde_json::Value::String(code.as_str().to_string()));
            assert_eq!(serde_json::from_value::<FindingCode>(sent).unwrap(), code);
        }
    }
}
