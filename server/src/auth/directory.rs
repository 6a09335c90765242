//! Who someone is and which groups they are in: LDAP for real, a fixed list for the demo.

use crate::config::{GroupMembership, LdapConfig};
use futures::future::BoxFuture;
use ldap3::{LdapConnAsync, LdapConnSettings, Scope, SearchEntry, ldap_escape};
use std::time::Duration;
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryUser {
    pub username: String,
    pub dn: String,
    pub display_name: String,
    /// Group names (`cn`).
    pub groups: Vec<String>,
}

#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum DirectoryError {
    /// Unknown user, wrong or empty password: deliberately one answer for all.
    #[error("invalid username or password")]
    InvalidCredentials,
    #[error("the directory is unavailable: {0}")]
    Unavailable(String),
}

pub trait Directory: Send + Sync {
    /// Checks the password; the user as the directory names it (its own `uid`, whatever case
    /// or width the name was typed in).
    fn authenticate<'a>(&'a self, username: &'a str, password: &'a str) -> BoxFuture<'a, Result<DirectoryUser, DirectoryError>>;
    /// The entry `dn` and its groups now (no password: the service account reads them), for
    /// re-checking a session's rights; `None` when the entry is gone.
    fn lookup<'a>(&'a self, dn: &'a str) -> BoxFuture<'a, Result<Option<DirectoryUser>, DirectoryError>>;
}

/// The demo directory's users: name, display name, groups.
const DEMO_USERS: [(&str, &str, &[&str]); 4] = [
    ("mqadmin", "mqadminCN", &["mqadmins"]),
    ("mqadmin2", "mqadmin2CN", &["mqadmins"]),
    ("mqviewer", "mqviewerCN", &["mqviewers"]),
    ("app", "appCN", &["apps"]),
];

fn demo_user((u, cn, groups): &(&str, &str, &[&str])) -> DirectoryUser {
    DirectoryUser {
        username: u.to_string(),
        dn: format!("uid={u},ou=people,dc=ibm,dc=com"),
        display_name: cn.to_string(),
        groups: groups.iter().map(|g| g.to_string()).collect(),
    }
}

/// The lab's users, built in, for `rdqm-console demo`.
pub struct DemoDirectory;

impl Directory for DemoDirectory {
    fn authenticate<'a>(&'a self, username: &'a str, password: &'a str) -> BoxFuture<'a, Result<DirectoryUser, DirectoryError>> {
        Box::pin(async move {
            // As LDAP's uid matching: case-insensitive. The demo's passwords equal the names.
            match DEMO_USERS.iter().find(|(u, ..)| u.eq_ignore_ascii_case(username)) {
                Some(user) if !password.is_empty() && password == user.0 => Ok(demo_user(user)),
                _ => Err(DirectoryError::InvalidCredentials),
            }
        })
    }

    fn lookup<'a>(&'a self, dn: &'a str) -> BoxFuture<'a, Result<Option<DirectoryUser>, DirectoryError>> {
        Box::pin(async move { Ok(DEMO_USERS.iter().map(demo_user).find(|u| u.dn.eq_ignore_ascii_case(dn))) })
    }
}

/// An LDAP directory: service bind, search the user, bind as the user, read the groups.
pub struct LdapDirectory {
    config: LdapConfig,
    bind_password: String,
    timeout: Duration,
}

fn unavailable(e: impl std::fmt::Display) -> DirectoryError {
    DirectoryError::Unavailable(e.to_string())
}

impl LdapDirectory {
    pub fn new(config: LdapConfig, bind_password: String) -> Self {
        LdapDirectory { config, bind_password, timeout: Duration::from_secs(5) }
    }

    /// Binds as the service account (searches and group reads are its).
    async fn service_bind(&self, ldap: &mut ldap3::Ldap) -> Result<(), DirectoryError> {
        ldap.with_timeout(self.timeout)
            .simple_bind(&self.config.bind_dn, &self.bind_password)
            .await
            .map_err(unavailable)?
            .success()
            .map_err(|e| unavailable(format!("service bind as {} refused: {e}", self.config.bind_dn)))?;
        Ok(())
    }

    async fn connect(&self) -> Result<ldap3::Ldap, DirectoryError> {
        let mut settings = LdapConnSettings::new().set_conn_timeout(self.timeout).set_starttls(self.config.starttls);
        if let Some(ca) = &self.config.ca_file {
            settings = settings.set_config(rustls_config(ca).map_err(unavailable)?);
        }
        let (conn, ldap) = LdapConnAsync::with_settings(settings, &self.config.url).await.map_err(unavailable)?;
        ldap3::drive!(conn);
        Ok(ldap)
    }

    async fn groups(&self, ldap: &mut ldap3::Ldap, dn: &str, entry: &SearchEntry) -> Result<Vec<String>, DirectoryError> {
        let (filter, from_entry) = match self.config.group_membership {
            GroupMembership::UniqueMember => (format!("(&(objectClass=groupOfUniqueNames)(uniqueMember={}))", ldap_escape(dn)), false),
            GroupMembership::Member => (format!("(&(objectClass=groupOfNames)(member={}))", ldap_escape(dn)), false),
            GroupMembership::MemberOf => (String::new(), true),
        };
        if from_entry {
            let dns = entry.attrs.iter().find(|(k, _)| k.eq_ignore_ascii_case("memberOf")).map(|(_, v)| v.clone()).unwrap_or_default();
            return Ok(dns.iter().filter_map(|dn| cn_of(dn)).collect());
        }
        let (entries, _) = ldap
            .with_timeout(self.timeout)
            .search(&self.config.group_base, Scope::Subtree, &filter, vec!["cn"])
            .await
            .map_err(unavailable)?
            .success()
            .map_err(unavailable)?;
        Ok(entries
            .into_iter()
            .map(SearchEntry::construct)
            .filter_map(|e| e.attrs.get("cn").and_then(|v| v.first().cloned()))
            .collect())
    }
}

/// The `cn` of a group DN such as `cn=mqadmins,ou=groups,dc=ibm,dc=com`.
fn cn_of(dn: &str) -> Option<String> {
    let first = dn.split(',').next()?;
    let (key, value) = first.split_once('=')?;
    key.trim().eq_ignore_ascii_case("cn").then(|| value.trim().to_string())
}

fn rustls_config(ca_file: &std::path::Path) -> Result<std::sync::Arc<rustls::ClientConfig>, String> {
    let pem = std::fs::read(ca_file).map_err(|e| format!("{}: {e}", ca_file.display()))?;
    let mut reader = std::io::BufReader::new(pem.as_slice());
    let certs = rustls_pemfile::certs(&mut reader).map_err(|e| format!("{}: {e}", ca_file.display()))?;
    if certs.is_empty() {
        return Err(format!("{}: no PEM certificate in it", ca_file.display()));
    }
    let mut roots = rustls::RootCertStore::empty();
    for der in certs {
        roots.add(&rustls::Certificate(der)).map_err(|e| format!("{}: {e}", ca_file.display()))?;
    }
    let config = rustls::ClientConfig::builder().with_safe_defaults().with_root_certificates(roots).with_no_client_auth();
    Ok(std::sync::Arc::new(config))
}

impl Directory for LdapDirectory {
    fn authenticate<'a>(&'a self, username: &'a str, password: &'a str) -> BoxFuture<'a, Result<DirectoryUser, DirectoryError>> {
        Box::pin(async move {
            // An empty password makes a simple bind anonymous, which succeeds on many servers.
            if password.is_empty() || username.is_empty() {
                return Err(DirectoryError::InvalidCredentials);
            }
            let mut ldap = self.connect().await?;
            self.service_bind(&mut ldap).await?;
            let filter = self.config.user_filter.replace("{username}", &ldap_escape(username));
            let attrs = vec!["uid", "cn", "displayName", "memberOf"];
            let (entries, _) = ldap
                .with_timeout(self.timeout)
                .search(&self.config.user_base, Scope::Subtree, &filter, attrs)
                .await
                .map_err(unavailable)?
                .success()
                .map_err(unavailable)?;
            let entries: Vec<SearchEntry> = entries.into_iter().map(SearchEntry::construct).collect();
            let [entry] = entries.as_slice() else {
                // No such user (or an ambiguous filter): spend a bind as a known-bad DN so the
                // answer takes about as long as a wrong password.
                let decoy = format!("uid=nobody-{},{}", rand::random::<u32>(), self.config.user_base);
                let _ = ldap.with_timeout(self.timeout).simple_bind(&decoy, password).await;
                let _ = ldap.unbind().await;
                return Err(DirectoryError::InvalidCredentials);
            };
            let bound = ldap.with_timeout(self.timeout).simple_bind(&entry.dn, password).await.map_err(unavailable)?;
            if bound.rc != 0 {
                let _ = ldap.unbind().await;
                return Err(if bound.rc == 49 { DirectoryError::InvalidCredentials } else { unavailable(bound) });
            }
            // Group reads use the service account: users may not read groups themselves.
            self.service_bind(&mut ldap).await?;
            let groups = self.groups(&mut ldap, &entry.dn, entry).await?;
            let _ = ldap.unbind().await;
            Ok(user_of(entry, groups))
        })
    }

    fn lookup<'a>(&'a self, dn: &'a str) -> BoxFuture<'a, Result<Option<DirectoryUser>, DirectoryError>> {
        Box::pin(async move {
            let mut ldap = self.connect().await?;
            self.service_bind(&mut ldap).await?;
            let found = ldap
                .with_timeout(self.timeout)
                .search(dn, Scope::Base, "(objectClass=*)", vec!["uid", "cn", "displayName", "memberOf"])
                .await
                .map_err(unavailable)?;
            // 32: noSuchObject, the entry is gone.
            if found.1.rc == 32 {
                let _ = ldap.unbind().await;
                return Ok(None);
            }
            let (entries, _) = found.success().map_err(unavailable)?;
            let Some(entry) = entries.into_iter().map(SearchEntry::construct).next() else {
                let _ = ldap.unbind().await;
                return Ok(None);
            };
            let groups = self.groups(&mut ldap, &entry.dn, &entry).await?;
            let _ = ldap.unbind().await;
            Ok(Some(user_of(&entry, groups)))
        })
    }
}

/// The user as the entry names it: its first `uid` (the DN when it has none).
fn user_of(entry: &SearchEntry, groups: Vec<String>) -> DirectoryUser {
    let attr = |name: &str| entry.attrs.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).and_then(|(_, v)| v.first().cloned());
    let username = attr("uid").unwrap_or_else(|| entry.dn.clone());
    DirectoryUser {
        display_name: attr("displayName").or_else(|| attr("cn")).unwrap_or_else(|| username.clone()),
        username,
        dn: entry.dn.clone(),
        groups,
    }
}
