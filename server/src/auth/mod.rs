//! Signing in: the directory (LDAP or the demo's), roles from groups, sessions as short-lived
//! JWTs in an HttpOnly cookie with a CSRF token, rate limiting of attempts.

pub mod directory;
pub mod limiter;
pub mod session;

pub use model::session::Role;

/// Which groups give which role.
#[derive(Debug, Clone)]
pub struct RoleMap {
    pub operator_groups: Vec<String>,
    pub viewer_groups: Vec<String>,
}

impl RoleMap {
    /// Operator wins over viewer; no matching group, no role.
    pub fn role_for(&self, groups: &[String]) -> Option<Role> {
        let member = |wanted: &[String]| groups.iter().any(|g| wanted.iter().any(|w| w.eq_ignore_ascii_case(g)));
        if member(&self.operator_groups) {
            Some(Role::Operator)
        } else if member(&self.viewer_groups) {
            Some(Role::Viewer)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_from_groups() {
        let map = RoleMap { operator_groups: vec!["mqadmins".into()], viewer_groups: vec!["mqviewers".into()] };
        assert_eq!(map.role_for(&["MQAdmins".into()]), Some(Role::Operator));
        assert_eq!(map.role_for(&["mqviewers".into(), "mqadmins".into()]), Some(Role::Operator));
        assert_eq!(map.role_for(&["mqviewers".into()]), Some(Role::Viewer));
        assert_eq!(map.role_for(&["apps".into()]), None);
    }
}
