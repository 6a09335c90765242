//! Sessions: a short-lived HS256 JWT (algorithm pinned) in an HttpOnly, SameSite=Strict
//! cookie, renewed while used, revocable by its id; and the CSRF token it is bound to.

use super::Role;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::time::Duration;

pub const COOKIE: &str = "rdqm_session";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user as the directory names it (its `uid`), never as typed.
    pub sub: String,
    /// The directory entry, for re-checking the user's groups during the session.
    #[serde(default)]
    pub dn: String,
    pub name: String,
    pub role: Role,
    /// Token id, for revocation on logout; the CSRF token is derived from it.
    pub jti: String,
    pub iat: u64,
    pub exp: u64,
    /// When the session began; renewal never extends past `max_age`.
    pub auth_time: u64,
    /// When the directory last confirmed the role (s).
    #[serde(default)]
    pub checked_at: u64,
}

pub struct SessionKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    /// Derives each session's CSRF token from its id (so reading the session changes nothing).
    csrf_key: Vec<u8>,
    pub lifetime: Duration,
    pub max_age: Duration,
}

impl std::fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionKeys { .. }")
    }
}

pub fn random_token() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

fn hmac(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    use hmac::Mac as _;
    #[allow(clippy::expect_used)]
    let mut mac = hmac::Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().to_vec()
}

impl SessionKeys {
    pub fn new(secret: &[u8], lifetime: Duration, max_age: Duration) -> Self {
        SessionKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            csrf_key: hmac(secret, &[b"rdqm-console csrf"]),
            lifetime,
            max_age,
        }
    }

    /// The CSRF token of session `jti`: the same for the session's whole life.
    pub fn csrf_token(&self, jti: &str) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(hmac(&self.csrf_key, &[jti.as_bytes()]))
    }

    /// Whether `sent` is the CSRF token of session `jti` (compared in constant time).
    pub fn csrf_matches(&self, jti: &str, sent: &str) -> bool {
        use subtle::ConstantTimeEq as _;
        let expected = self.csrf_token(jti);
        !sent.is_empty() && bool::from(expected.as_bytes().ct_eq(sent.as_bytes()))
    }

    /// A new session for the directory's `user`: the JWT for the cookie, its claims and the
    /// CSRF token for the browser.
    pub fn issue(&self, sub: &str, dn: &str, name: &str, role: Role, now: u64) -> Result<(String, Claims, String), String> {
        let claims = Claims {
            sub: sub.to_string(),
            dn: dn.to_string(),
            name: name.to_string(),
            role,
            jti: random_token(),
            iat: now,
            exp: now + self.lifetime.as_secs(),
            auth_time: now,
            checked_at: now,
        };
        let token = self.sign(&claims)?;
        let csrf = self.csrf_token(&claims.jti);
        Ok((token, claims, csrf))
    }

    pub fn sign(&self, claims: &Claims) -> Result<String, String> {
        encode(&Header::new(Algorithm::HS256), claims, &self.encoding).map_err(|e| e.to_string())
    }

    /// Verifies signature (HS256 only: `none` and every other algorithm are refused) and expiry.
    pub fn verify(&self, token: &str) -> Result<Claims, String> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub", "jti"]);
        decode::<Claims>(token, &self.decoding, &validation).map(|d| d.claims).map_err(|e| e.to_string())
    }

    /// A renewed token when more than half of the lifetime has passed (sliding expiry),
    /// never beyond `max_age` from sign-in.
    pub fn renew(&self, claims: &Claims, now: u64) -> Option<Claims> {
        let half = self.lifetime.as_secs() / 2;
        let limit = claims.auth_time + self.max_age.as_secs();
        if now < claims.iat + half || now >= limit {
            return None;
        }
        Some(Claims { iat: now, exp: (now + self.lifetime.as_secs()).min(limit), ..claims.clone() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> SessionKeys {
        SessionKeys::new(b"0123456789abcdef0123456789abcdef", Duration::from_secs(900), Duration::from_secs(8 * 3600))
    }

    fn now() -> u64 {
        crate::clock::now_secs()
    }

    #[test]
    fn issued_tokens_verify_and_carry_the_role() {
        let (token, claims, csrf) = keys().issue("mqadmin", "uid=mqadmin", "mqadminCN", Role::Operator, now()).unwrap();
        let verified = keys().verify(&token).unwrap();
        assert_eq!(verified, claims);
        assert!(keys().csrf_matches(&verified.jti, &csrf));
        assert!(!keys().csrf_matches(&verified.jti, ""));
        assert!(!keys().csrf_matches("another session", &csrf));
    }

    #[test]
    fn expired_tampered_foreign_and_unsigned_tokens_are_refused() {
        let k = keys();
        let (token, claims, _) = k.issue("mqviewer", "uid=mqviewer", "v", Role::Viewer, now() - 1000).unwrap();
        assert!(k.verify(&token).is_err(), "expired");
        let (token, _, _) = k.issue("mqviewer", "uid=mqviewer", "v", Role::Viewer, now()).unwrap();
        let mut parts: Vec<String> = token.split('.').map(str::to_string).collect();
        let mut payload: serde_json::Value =
            serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).unwrap();
        payload["role"] = "operator".into();
        parts[1] = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(payload.to_string());
        assert!(k.verify(&parts.join(".")).is_err(), "tampered");
        let other = SessionKeys::new(b"another key another key another!", Duration::from_secs(900), Duration::from_secs(3600));
        let (foreign, _, _) = other.issue("mqadmin", "uid=mqadmin", "a", Role::Operator, now()).unwrap();
        assert!(k.verify(&foreign).is_err(), "foreign key");
        let header = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
        let body = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(serde_json::to_string(&Claims { role: Role::Operator, ..claims }).unwrap());
        assert!(k.verify(&format!("{header}.{body}.")).is_err(), "alg none");
    }

    #[test]
    fn renewal_slides_but_stops_at_max_age() {
        let k = keys();
        let t0 = 1_000_000;
        let (_, claims, _) = k.issue("u", "uid=u", "u", Role::Viewer, t0).unwrap();
        assert!(k.renew(&claims, t0 + 100).is_none(), "too early");
        let renewed = k.renew(&claims, t0 + 500).unwrap();
        assert_eq!(renewed.exp, t0 + 1400);
        assert_eq!(renewed.jti, claims.jti);
        assert!(k.renew(&claims, t0 + 8 * 3600).is_none(), "past max age");
    }
}
