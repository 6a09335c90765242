//! What a new certificate must be, from the configuration's `[cert_policy]`: rotations make
//! certificates by it and refuse to make weaker ones; the inventory proposes a rotation when
//! a certificate comes within `rotate_days_before` of its end.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CertPolicy {
    /// The size of new RSA keys (`-size`).
    pub key_bits: u32,
    /// No certificate is made with a smaller key.
    pub min_key_bits: u32,
    /// The signature of new certificates (`-sig_alg`, GSKit's spelling).
    pub signature: String,
    /// Signatures a new certificate may have (GSKit's spelling, compared without case).
    pub allowed_signatures: Vec<String>,
    /// Days a new certificate is valid (`-expire`; GSKit allows at most 7300).
    pub validity_days: u32,
    /// A rotation is proposed this many days before a certificate ends.
    pub rotate_days_before: u32,
    /// Replication certificates (tlshd) must carry their node's host name in the SAN: RDQM's
    /// DR and HA replication check it.
    pub replication_san_required: bool,
}

impl Default for CertPolicy {
    fn default() -> Self {
        CertPolicy {
            key_bits: 2048,
            min_key_bits: 2048,
            signature: "SHA256WithRSA".into(),
            allowed_signatures: vec!["SHA256WithRSA".into(), "SHA384WithRSA".into(), "SHA512WithRSA".into()],
            validity_days: 365,
            rotate_days_before: 30,
            replication_san_required: true,
        }
    }
}

impl CertPolicy {
    /// What is wrong with the policy itself, each problem naming its field.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.key_bits < self.min_key_bits {
            out.push(format!("cert_policy.key_bits: {} is below cert_policy.min_key_bits {}", self.key_bits, self.min_key_bits));
        }
        if ![2048, 3072, 4096].contains(&self.key_bits) {
            out.push(format!("cert_policy.key_bits: {} is not 2048, 3072 or 4096", self.key_bits));
        }
        if !self.signature_allowed(&self.signature) {
            out.push(format!("cert_policy.signature: {} is not in cert_policy.allowed_signatures", self.signature));
        }
        if !self.signature.chars().all(|c| c.is_ascii_alphanumeric()) {
            out.push(format!("cert_policy.signature: {:?} is not a GSKit signature name such as SHA256WithRSA", self.signature));
        }
        if !(1..=7300).contains(&self.validity_days) {
            out.push(format!("cert_policy.validity_days: {} is not between 1 and 7300 (GSKit's limit)", self.validity_days));
        }
        out
    }

    pub fn signature_allowed(&self, signature: &str) -> bool {
        let plain = |s: &str| s.to_ascii_lowercase().replace(['-', '_', ' '], "");
        self.allowed_signatures.iter().any(|a| plain(a) == plain(signature))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_sound_and_a_weak_policy_is_named_field_by_field() {
        assert_eq!(CertPolicy::default().problems(), Vec::<String>::new());
        let weak = CertPolicy { key_bits: 1024, signature: "SHA1WithRSA".into(), validity_days: 9000, ..CertPolicy::default() };
        let problems = weak.problems();
        assert!(problems.iter().any(|p| p.starts_with("cert_policy.key_bits: 1024 is below")), "{problems:?}");
        assert!(problems.iter().any(|p| p.starts_with("cert_policy.signature: SHA1WithRSA")), "{problems:?}");
        assert!(problems.iter().any(|p| p.starts_with("cert_policy.validity_days: 9000")), "{problems:?}");
        assert!(CertPolicy::default().signature_allowed("sha256withrsa"));
    }
}
