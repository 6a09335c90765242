//! The console's configuration (TOML): where it listens, how it reaches the hosts, the
//! directory, and the inventory of the estate. Secrets are never in this file: they are
//! read from files or environment variables it names.

use model::names::{validate_host_name, validate_mq_name};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("{path}: cannot read: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error("{path}: {}", problems.join("\n  "))]
    Invalid { path: PathBuf, problems: Vec<String> },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub server: ServerConfig,
    #[serde(default)]
    pub poll: PollConfig,
    pub ssh: SshConfig,
    pub ldap: Option<LdapConfig>,
    #[serde(default)]
    pub store: StoreConfig,
    #[serde(default)]
    pub auth: AuthConfig,
    #[serde(default)]
    pub workflows: WorkflowConfig,
    /// What certificate rotations make.
    #[serde(default)]
    pub cert_policy: model::cert_policy::CertPolicy,
    #[serde(default)]
    pub regions: Vec<RegionConfig>,
    #[serde(default)]
    pub nodes: Vec<NodeConfig>,
    #[serde(default)]
    pub mqipt: Vec<MqiptConfig>,
    #[serde(default)]
    pub qmgrs: Vec<QmgrConfig>,
    /// Client hosts that prove the path through MQIPT at the end of DR workflows.
    #[serde(default)]
    pub clients: Vec<ClientConfig>,
    /// Scheduled DR drills, each off unless `enabled`.
    #[serde(default)]
    pub drills: Vec<crate::workflow::schedule::DrillSchedule>,
    /// Key repositories and keystores whose certificates the console inventories.
    #[serde(default)]
    pub keystores: Vec<KeystoreConfig>,
    #[serde(default)]
    pub audit: AuditConfig,
    #[serde(default)]
    pub metrics: MetricsConfig,
}

/// The audit chain's key: records are HMAC-SHA256 under it, so nobody without it can rewrite
/// the chain. Without one, records are plain SHA-256 (tamper-evident only against edits that
/// do not recompute the hashes).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditConfig {
    pub key_file: Option<PathBuf>,
    pub key_env: Option<String>,
}

/// Who may read `/metrics`: a scraper with this bearer token; without one, signed-in users.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsConfig {
    pub bearer_token_file: Option<PathBuf>,
    pub bearer_token_env: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeystoreConfig {
    pub host: String,
    /// The `.kdb` or `.pfx` file (its stash file beside it).
    pub path: String,
    /// `qmgr:<QM>`, `mqipt-server:<instance>` or `mqipt-client:<instance>`.
    pub purpose: String,
}

impl KeystoreConfig {
    pub fn purpose(&self) -> Option<model::certs::Purpose> {
        use model::certs::Purpose;
        let (kind, name) = self.purpose.split_once(':')?;
        let name = name.to_string();
        match kind {
            "qmgr" => Some(Purpose::QmgrKeyRepository { qmgr: name }),
            "mqipt-server" => Some(Purpose::MqiptServer { instance: name }),
            "mqipt-client" => Some(Purpose::MqiptClient { instance: name }),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    /// The Trunk-built browser app (`dist/`).
    pub assets_dir: PathBuf,
    /// HTTPS: the certificate chain (PEM) and its private key (PEM). Cookies are then Secure.
    pub tls_cert_file: Option<PathBuf>,
    pub tls_key_file: Option<PathBuf>,
    /// Plain HTTP on a non-loopback address is refused unless a TLS proxy sits in front (then
    /// cookies are Secure too).
    #[serde(default)]
    pub behind_tls_proxy: bool,
}

impl ServerConfig {
    /// Whether browsers reach the console over TLS (its own, or a proxy's).
    pub fn tls(&self) -> bool {
        self.tls_cert_file.is_some() || self.behind_tls_proxy
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PollConfig {
    #[serde(default = "default_interval")]
    pub interval_secs: u64,
}

impl Default for PollConfig {
    fn default() -> Self {
        PollConfig { interval_secs: default_interval() }
    }
}

fn default_interval() -> u64 {
    5
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SshConfig {
    pub user: String,
    pub key_file: PathBuf,
    pub known_hosts: PathBuf,
    #[serde(default = "default_connect_timeout")]
    pub connect_timeout_secs: u64,
    #[serde(default = "default_command_timeout")]
    pub command_timeout_secs: u64,
}

fn default_connect_timeout() -> u64 {
    5
}

fn default_command_timeout() -> u64 {
    30
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupMembership {
    /// `groupOfUniqueNames` / `uniqueMember`, as the seed's directory.
    UniqueMember,
    /// `groupOfNames` / `member`.
    Member,
    /// The user entry's `memberOf`.
    MemberOf,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LdapConfig {
    pub url: String,
    pub bind_dn: String,
    pub bind_password_file: Option<PathBuf>,
    pub bind_password_env: Option<String>,
    pub user_base: String,
    #[serde(default = "default_user_filter")]
    pub user_filter: String,
    pub group_base: String,
    pub group_membership: GroupMembership,
    #[serde(default)]
    pub operator_groups: Vec<String>,
    #[serde(default)]
    pub viewer_groups: Vec<String>,
    pub ca_file: Option<PathBuf>,
    #[serde(default)]
    pub starttls: bool,
    /// Accept plain `ldap://` without StartTLS to a directory that is not on this host
    /// (passwords then cross the network in clear).
    #[serde(default)]
    pub allow_plaintext: bool,
}

/// Whether `url` names this host (`localhost`, `127.0.0.0/8`, `::1`).
pub fn is_loopback_url(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        authority.split(':').next().unwrap_or("")
    };
    host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn default_user_filter() -> String {
    "(uid={username})".to_string()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// A file holding the session signing key (at least 32 bytes); or
    pub signing_key_file: Option<PathBuf>,
    /// an environment variable holding it. With neither, a random key is made at start-up
    /// (sessions then end when the console restarts, and instances cannot share them).
    pub signing_key_env: Option<String>,
    #[serde(default = "default_session_minutes")]
    pub session_minutes: u64,
    #[serde(default = "default_session_max_hours")]
    pub session_max_hours: u64,
    #[serde(default = "default_attempts")]
    pub login_attempts_per_minute: u32,
    /// Mark the cookie Secure (always so with HTTPS or `server.behind_tls_proxy`).
    #[serde(default)]
    pub secure_cookies: bool,
    /// How often (s) a session's role is confirmed with the directory; a user removed from
    /// the groups loses the session within this time.
    #[serde(default = "default_recheck_secs")]
    pub role_recheck_secs: u64,
    /// Open event streams allowed per session, per user and on the console.
    #[serde(default = "default_streams_per_session")]
    pub max_streams_per_session: usize,
    #[serde(default = "default_streams_per_user")]
    pub max_streams_per_user: usize,
    #[serde(default = "default_streams")]
    pub max_streams: usize,
}

fn default_recheck_secs() -> u64 {
    300
}

fn default_streams_per_session() -> usize {
    4
}

fn default_streams_per_user() -> usize {
    16
}

fn default_streams() -> usize {
    2000
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            signing_key_file: None,
            signing_key_env: None,
            session_minutes: default_session_minutes(),
            session_max_hours: default_session_max_hours(),
            login_attempts_per_minute: default_attempts(),
            secure_cookies: false,
            role_recheck_secs: default_recheck_secs(),
            max_streams_per_session: default_streams_per_session(),
            max_streams_per_user: default_streams_per_user(),
            max_streams: default_streams(),
        }
    }
}

fn default_session_minutes() -> u64 {
    15
}

fn default_session_max_hours() -> u64 {
    12
}

fn default_attempts() -> u32 {
    10
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkflowConfig {
    /// How long a previewed plan may be executed.
    #[serde(default = "default_plan_minutes")]
    pub plan_minutes: u64,
    /// How long a request waits for a second operator's approval.
    #[serde(default = "default_approval_minutes")]
    pub approval_minutes: u64,
    /// Moving a queue manager again within this time warns of flapping.
    #[serde(default = "default_flap_minutes")]
    pub flap_minutes: u64,
}

impl Default for WorkflowConfig {
    fn default() -> Self {
        WorkflowConfig { plan_minutes: default_plan_minutes(), approval_minutes: default_approval_minutes(), flap_minutes: default_flap_minutes() }
    }
}

fn default_plan_minutes() -> u64 {
    5
}

fn default_approval_minutes() -> u64 {
    15
}

fn default_flap_minutes() -> u64 {
    15
}

/// Reads a secret from a file (trailing newline dropped) or an environment variable.
pub fn read_secret(file: Option<&Path>, env: Option<&str>, what: &str) -> Result<Option<String>, String> {
    if let Some(path) = file {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{what}: cannot read {}: {e}", path.display()))?;
        return Ok(Some(text.trim_end_matches(['\n', '\r']).to_string()));
    }
    if let Some(name) = env {
        return std::env::var(name).map(Some).map_err(|_| format!("{what}: environment variable {name} is not set"));
    }
    Ok(None)
}

/// Where the journal, locks and audit live: one SQLite file for a single console (the
/// default), or etcd shared by one console per region.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    #[serde(default)]
    pub kind: StoreKindConfig,
    /// The SQLite file (`kind = "sqlite"`).
    #[serde(default = "default_store_path")]
    pub path: PathBuf,
    /// This console's name among the instances (`wdc`, `dal`).
    #[serde(default = "default_instance")]
    pub instance: String,
    /// Where operators reach this instance, shown on the others.
    #[serde(default)]
    pub url: Option<String>,
    /// etcd client endpoints, `host:port` (`kind = "etcd"`).
    #[serde(default)]
    pub endpoints: Vec<String>,
    /// Every key starts with it.
    #[serde(default = "default_prefix")]
    pub prefix: String,
    /// An instance that stops renewing loses its runs' locks after this long.
    #[serde(default = "default_lease_ttl")]
    pub lease_ttl_secs: u64,
    #[serde(default = "default_store_timeout")]
    pub timeout_ms: u64,
    /// TLS to etcd: the CA that signed the members' certificates (PEM). With it the
    /// endpoints are reached over https.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// This console's client certificate for etcd (PEM), when the members ask for one
    /// (`--client-cert-auth`); with `key_file`.
    #[serde(default)]
    pub cert_file: Option<PathBuf>,
    /// The client certificate's private key (PEM); readable by the console only.
    #[serde(default)]
    pub key_file: Option<PathBuf>,
    /// Where this console keeps the audit records of sign-ins made while etcd cannot be
    /// written, until they are in the chain (default `rdqm-console-<instance>.audit-spool`
    /// beside the configuration file).
    #[serde(default)]
    pub audit_spool: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreKindConfig {
    #[default]
    Sqlite,
    Etcd,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            kind: StoreKindConfig::Sqlite,
            path: default_store_path(),
            instance: default_instance(),
            url: None,
            endpoints: Vec::new(),
            prefix: default_prefix(),
            lease_ttl_secs: default_lease_ttl(),
            timeout_ms: default_store_timeout(),
            ca_file: None,
            cert_file: None,
            key_file: None,
            audit_spool: None,
        }
    }
}

impl StoreConfig {
    /// What is wrong with it, each problem naming its key.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.instance.is_empty() || !self.instance.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            problems.push(format!("store.instance: {:?} must be letters, digits, - or _", self.instance));
        }
        if self.kind == StoreKindConfig::Etcd {
            if self.endpoints.is_empty() {
                problems.push("store.endpoints: kind = \"etcd\" needs at least one endpoint (host:port)".into());
            }
            if !self.prefix.starts_with('/') || !self.prefix.ends_with('/') {
                problems.push(format!("store.prefix: {:?} must begin and end with /", self.prefix));
            }
            if self.lease_ttl_secs < 3 {
                problems.push(format!("store.lease_ttl_secs: {} is too short (3 at least)", self.lease_ttl_secs));
            }
            problems.extend(self.tls_problems());
            if let Some(dir) = self.audit_spool.as_deref().and_then(Path::parent).filter(|d| !d.as_os_str().is_empty())
                && !dir.is_dir()
            {
                problems.push(format!("store.audit_spool: {} is not a directory", dir.display()));
            }
        } else if self.ca_file.is_some() || self.cert_file.is_some() || self.key_file.is_some() {
            problems.push("store.ca_file, cert_file, key_file: TLS to etcd needs kind = \"etcd\"".into());
        }
        problems
    }

    /// The sign-in spool's file (`kind = "etcd"`) of the console configured by `config_file`.
    pub fn audit_spool_path(&self, config_file: &Path) -> PathBuf {
        self.audit_spool.clone().unwrap_or_else(|| {
            let name = format!("rdqm-console-{}.audit-spool", self.instance);
            config_file.parent().map_or_else(|| PathBuf::from(&name), |dir| dir.join(&name))
        })
    }

    /// TLS to etcd: the files readable and what they must be, the endpoints' scheme agreeing.
    fn tls_problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let tls = self.ca_file.is_some();
        if !tls && (self.cert_file.is_some() || self.key_file.is_some()) {
            problems.push("store.ca_file: a client certificate (cert_file, key_file) needs the CA that signed the members' certificates".into());
        }
        if self.cert_file.is_some() != self.key_file.is_some() {
            problems.push("store.cert_file, store.key_file: give both or neither".into());
        }
        for endpoint in &self.endpoints {
            if tls && endpoint.starts_with("http://") {
                problems.push(format!("store.endpoints: {endpoint:?} is plain http although ca_file asks for TLS (use https:// or host:port)"));
            }
            if !tls && endpoint.starts_with("https://") {
                problems.push(format!("store.endpoints: {endpoint:?} is https: set store.ca_file (the CA of the members' certificates)"));
            }
        }
        let files = [("store.ca_file", &self.ca_file, PemWanted::Certificates), ("store.cert_file", &self.cert_file, PemWanted::Certificates), ("store.key_file", &self.key_file, PemWanted::PrivateKey)];
        for (name, path, wanted) in files {
            if let Some(path) = path
                && let Err(why) = check_pem(path, wanted)
            {
                problems.push(format!("{name}: {why}"));
            }
        }
        problems
    }

    /// The TLS files' contents (CA, then the client certificate and key if any), for the
    /// etcd client; `None` without TLS.
    pub fn tls_pem(&self) -> Result<Option<crate::store::EtcdTls>, String> {
        let Some(ca) = &self.ca_file else { return Ok(None) };
        let read = |name: &str, path: &Path| std::fs::read(path).map_err(|e| format!("{name}: cannot read {}: {e}", path.display()));
        let ca = read("store.ca_file", ca)?;
        let identity = match (&self.cert_file, &self.key_file) {
            (Some(cert), Some(key)) => Some((read("store.cert_file", cert)?, read("store.key_file", key)?)),
            _ => None,
        };
        Ok(Some(crate::store::EtcdTls { ca, identity }))
    }
}

#[derive(Clone, Copy)]
enum PemWanted {
    Certificates,
    PrivateKey,
}

/// Whether `path` holds what it must, in PEM; never quotes the file (a key stays unsaid).
fn check_pem(path: &Path, wanted: PemWanted) -> Result<(), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let items = rustls_pemfile::read_all(&mut bytes.as_slice()).map_err(|_| format!("{} is not PEM", path.display()))?;
    let found = items.iter().any(|item| match wanted {
        PemWanted::Certificates => matches!(item, rustls_pemfile::Item::X509Certificate(_)),
        PemWanted::PrivateKey => matches!(item, rustls_pemfile::Item::RSAKey(_) | rustls_pemfile::Item::PKCS8Key(_) | rustls_pemfile::Item::ECKey(_)),
    });
    match (found, wanted) {
        (true, _) => Ok(()),
        (false, PemWanted::Certificates) => Err(format!("{} holds no PEM certificate (-----BEGIN CERTIFICATE-----)", path.display())),
        (false, PemWanted::PrivateKey) => Err(format!("{} holds no unencrypted PEM private key", path.display())),
    }
}

fn default_instance() -> String {
    "console".into()
}

fn default_prefix() -> String {
    "/rdqm-console/".into()
}

fn default_lease_ttl() -> u64 {
    15
}

fn default_store_timeout() -> u64 {
    3000
}

fn default_store_path() -> PathBuf {
    PathBuf::from("rdqm-console.sqlite")
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionConfig {
    pub name: String,
    pub load_balancer: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeConfig {
    pub name: String,
    pub region: String,
    pub address: String,
    #[serde(default = "default_ssh_port")]
    pub port: u16,
    /// Run MQ commands through `sudo` (the seed's sudoers entry for `mqm`).
    #[serde(default)]
    pub sudo: bool,
    /// Where the MQ commands live when they are not on the PATH (e.g. `/opt/mqm/bin`).
    pub mq_bin: Option<String>,
    /// The node's tlshd configuration (RDQM replication TLS), e.g. `/etc/tlshd.conf`.
    pub tlshd_conf: Option<String>,
    /// The RDQM HA group the node belongs to, when its region has several (e.g. `WDC-2`).
    pub ha_group: Option<String>,
}

fn default_ssh_port() -> u16 {
    22
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MqiptConfig {
    pub name: String,
    pub host: String,
    pub address: String,
    #[serde(default = "default_ssh_port")]
    pub port: u16,
    pub conf_path: String,
    /// `mqiptAdmin -refresh -n NAME` or `systemctl reload mqipt-@NAME.service`, read at load.
    pub refresh: RefreshCommand,
}

/// A client host (seed 000's `wdc-mq-client`) with the mq-rdqm samples `rdqmput`/`rdqmget`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    pub name: String,
    pub address: String,
    #[serde(default = "default_ssh_port")]
    pub port: u16,
    /// Where the samples are when not on the PATH (the seed builds them in
    /// `mq-rdqm/samples/C/linux`).
    pub bin_dir: Option<String>,
    /// One per queue manager it checks.
    #[serde(default)]
    pub checks: Vec<ClientCheckConfig>,
    /// TLS connections through MQIPT (`amqssslc`, seed 000), one per route a rotation proves.
    #[serde(default)]
    pub tls_checks: Vec<TlsCheckConfig>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsCheckConfig {
    pub qmgr: String,
    /// The SVRCONN channel the client uses.
    pub channel: String,
    /// `host(port)`: MQIPT's address and the route's listener port.
    pub conname: String,
    /// The client's key repository stem (without `.kdb`).
    pub keyr: String,
    pub certlabl: String,
    pub cipher: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientCheckConfig {
    pub qmgr: String,
    /// `CHANNEL/TCP/host(port)`: MQIPT's address and the queue manager's route.
    pub mqserver: String,
    /// A queue kept for the check (a marker message is put and got back at once); never one
    /// an application reads.
    pub queue: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QmgrConfig {
    pub name: String,
    pub listener_port: u16,
    pub mqipt: Option<String>,
    pub route_listener_port: Option<u16>,
    /// The HA group holding it in each region that has several (its DR pair, e.g.
    /// `["WDC-2", "DAL-2"]`).
    #[serde(default)]
    pub ha_groups: Vec<String>,
}

/// How MQIPT is told to re-read its configuration.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum RefreshCommand {
    MqiptAdmin { instance: String },
    SystemctlReload { instance: String },
}

impl RefreshCommand {
    pub fn parse(text: &str) -> Option<RefreshCommand> {
        let words: Vec<&str> = text.split_whitespace().collect();
        match words.as_slice() {
            ["mqiptAdmin", "-refresh", "-n", name] => Some(RefreshCommand::MqiptAdmin { instance: name.to_string() }),
            ["systemctl", "reload", unit] => unit
                .strip_prefix("mqipt-@")
                .and_then(|u| u.strip_suffix(".service"))
                .map(|name| RefreshCommand::SystemctlReload { instance: name.to_string() }),
            _ => None,
        }
    }
}

impl TryFrom<String> for RefreshCommand {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        RefreshCommand::parse(&text)
            .ok_or_else(|| format!("{text:?} is neither `mqiptAdmin -refresh -n NAME` nor `systemctl reload mqipt-@NAME.service`"))
    }
}

impl Config {
    /// Reads and validates a configuration file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.into(), source })?;
        let config: Config = toml::from_str(&text)
            .map_err(|e| ConfigError::Syntax { path: path.into(), message: e.to_string().trim_end().to_string() })?;
        let problems = config.problems();
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(ConfigError::Invalid { path: path.into(), problems })
        }
    }

    /// Everything wrong with the configuration, each naming the key and why.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = self.store.problems();
        let unique = |kind: &str, names: Vec<&str>, problems: &mut Vec<String>| {
            let mut seen = BTreeSet::new();
            for name in names {
                if !seen.insert(name) {
                    problems.push(format!("{kind}: {name:?} is defined twice"));
                }
            }
        };
        unique("regions", self.regions.iter().map(|r| r.name.as_str()).collect(), &mut problems);
        unique("nodes", self.nodes.iter().map(|n| n.name.as_str()).collect(), &mut problems);
        unique("mqipt", self.mqipt.iter().map(|m| m.name.as_str()).collect(), &mut problems);
        unique("qmgrs", self.qmgrs.iter().map(|q| q.name.as_str()).collect(), &mut problems);
        if self.poll.interval_secs == 0 {
            problems.push("poll.interval_secs: must be at least 1".into());
        }
        for (i, region) in self.regions.iter().enumerate() {
            if let Err(e) = validate_host_name(&region.load_balancer) {
                problems.push(format!("regions[{i}].load_balancer: {e}"));
            }
            if region.name.is_empty() || !region.name.chars().all(|c| c.is_ascii_alphanumeric()) {
                problems.push(format!("regions[{i}].name: {:?} must be letters and digits", region.name));
            }
        }
        for (i, node) in self.nodes.iter().enumerate() {
            if let Err(e) = validate_host_name(&node.name) {
                problems.push(format!("nodes[{i}].name: {e}"));
            }
            if !self.regions.iter().any(|r| r.name == node.region) {
                problems.push(format!("nodes[{i}].region: no region named {:?}", node.region));
            }
            if node.port == 0 {
                problems.push(format!("nodes[{i}].port: must not be 0"));
            }
        }
        self.group_problems(&mut problems);
        for (i, instance) in self.mqipt.iter().enumerate() {
            if let Err(e) = validate_host_name(&instance.host) {
                problems.push(format!("mqipt[{i}].host: {e}"));
            }
            if !instance.conf_path.starts_with('/') || instance.conf_path.contains(['\n', '\'', '"']) {
                problems.push(format!("mqipt[{i}].conf_path: must be an absolute path without quotes"));
            }
            let (RefreshCommand::MqiptAdmin { instance: name } | RefreshCommand::SystemctlReload { instance: name }) = &instance.refresh;
            if name != &instance.name {
                problems.push(format!("mqipt[{i}].refresh: refreshes {name:?}, not this instance {:?}", instance.name));
            }
        }
        for (i, qm) in self.qmgrs.iter().enumerate() {
            if let Err(e) = validate_mq_name(&qm.name) {
                problems.push(format!("qmgrs[{i}].name: {e}"));
            }
            if let Some(name) = &qm.mqipt {
                if !self.mqipt.iter().any(|m| &m.name == name) {
                    problems.push(format!("qmgrs[{i}].mqipt: no [[mqipt]] named {name:?}"));
                }
                if qm.route_listener_port.is_none() {
                    problems.push(format!("qmgrs[{i}].route_listener_port: required when mqipt is set"));
                }
            }
        }
        for (i, client) in self.clients.iter().enumerate() {
            if let Err(e) = validate_host_name(&client.name) {
                problems.push(format!("clients[{i}].name: {e}"));
            }
            for (j, check) in client.checks.iter().enumerate() {
                if !self.qmgrs.iter().any(|q| q.name == check.qmgr) {
                    problems.push(format!("clients[{i}].checks[{j}].qmgr: no [[qmgrs]] named {:?}", check.qmgr));
                }
                if let Err(e) = validate_mq_name(&check.queue) {
                    problems.push(format!("clients[{i}].checks[{j}].queue: {e}"));
                }
                let well_formed = check.mqserver.split('/').count() == 3 && check.mqserver.ends_with(')') && !check.mqserver.contains(['\'', '"', ' ', '\n']);
                if !well_formed {
                    problems.push(format!("clients[{i}].checks[{j}].mqserver: {:?} is not CHANNEL/TCP/host(port)", check.mqserver));
                }
            }
        }
        for (i, client) in self.clients.iter().enumerate() {
            for (j, tls) in client.tls_checks.iter().enumerate() {
                let at = format!("clients[{i}].tls_checks[{j}]");
                if !self.qmgrs.iter().any(|q| q.name == tls.qmgr) {
                    problems.push(format!("{at}.qmgr: no [[qmgrs]] named {:?}", tls.qmgr));
                }
                if let Err(e) = validate_mq_name(&tls.channel) {
                    problems.push(format!("{at}.channel: {e}"));
                }
                let conname_ok = tls.conname.ends_with(')') && tls.conname.contains('(') && tls.conname.chars().all(|c| c.is_ascii_alphanumeric() || ".-:()".contains(c));
                if !conname_ok {
                    problems.push(format!("{at}.conname: {:?} is not host(port)", tls.conname));
                }
                if let Err(e) = model::names::validate_store_path(&tls.keyr) {
                    problems.push(format!("{at}.keyr: {e}"));
                }
                if let Err(e) = model::names::validate_cert_label(&tls.certlabl) {
                    problems.push(format!("{at}.certlabl: {e}"));
                }
                if tls.cipher.is_empty() || !tls.cipher.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    problems.push(format!("{at}.cipher: {:?} is not a CipherSpec name", tls.cipher));
                }
            }
        }
        for problem in self.cert_policy.problems() {
            problems.push(problem);
        }
        for (i, k) in self.keystores.iter().enumerate() {
            if k.purpose().is_none() {
                problems.push(format!("keystores[{i}].purpose: {:?} is not qmgr:<QM>, mqipt-server:<instance> or mqipt-client:<instance>", k.purpose));
            }
            if !k.path.starts_with('/') || k.path.contains(['\n', '\'', '"']) {
                problems.push(format!("keystores[{i}].path: must be an absolute path without quotes"));
            }
            if !self.nodes.iter().any(|n| n.name == k.host) && !self.mqipt.iter().any(|m| m.host == k.host) {
                problems.push(format!("keystores[{i}].host: no node or MQIPT host named {:?}", k.host));
            }
        }
        if self.ssh.user.is_empty() || !self.ssh.user.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
            problems.push(format!("ssh.user: {:?} is not a user name", self.ssh.user));
        }
        for (key, path) in [("ssh.key_file", &self.ssh.key_file), ("ssh.known_hosts", &self.ssh.known_hosts)] {
            if !path.is_file() {
                problems.push(format!("{key}: {} does not exist", path.display()));
            }
        }
        if let Some(path) = &self.auth.signing_key_file {
            match std::fs::metadata(path) {
                Err(_) => problems.push(format!("auth.signing_key_file: {} does not exist", path.display())),
                Ok(meta) if meta.len() < 32 => problems.push(format!("auth.signing_key_file: {} holds fewer than 32 bytes", path.display())),
                Ok(_) => {}
            }
        }
        if self.workflows.plan_minutes == 0 || self.workflows.approval_minutes == 0 {
            problems.push("workflows: plan_minutes and approval_minutes must be at least 1".into());
        }
        if self.auth.session_minutes == 0 || self.auth.session_minutes > 24 * 60 {
            problems.push("auth.session_minutes: must be between 1 and 1440".into());
        }
        match (&self.server.tls_cert_file, &self.server.tls_key_file) {
            (Some(cert), Some(key)) => {
                for (name, path) in [("server.tls_cert_file", cert), ("server.tls_key_file", key)] {
                    if !path.is_file() {
                        problems.push(format!("{name}: {} does not exist", path.display()));
                    }
                }
            }
            (None, None) => {
                if !self.server.listen.ip().is_loopback() && !self.server.behind_tls_proxy {
                    problems.push(format!(
                        "server.listen: {} is reachable from other hosts over plain HTTP; set tls_cert_file and tls_key_file, or behind_tls_proxy = true when a TLS proxy is in front",
                        self.server.listen
                    ));
                }
            }
            _ => problems.push("server: set both tls_cert_file and tls_key_file, or neither".into()),
        }
        if self.auth.role_recheck_secs == 0 {
            problems.push("auth.role_recheck_secs: must be at least 1".into());
        }
        if self.auth.max_streams_per_session == 0 || self.auth.max_streams_per_user == 0 || self.auth.max_streams == 0 {
            problems.push("auth.max_streams*: must be at least 1".into());
        }
        if let Some(ldap) = &self.ldap {
            if !(ldap.url.starts_with("ldap://") || ldap.url.starts_with("ldaps://")) {
                problems.push(format!("ldap.url: {:?} must start with ldap:// or ldaps://", ldap.url));
            }
            if ldap.url.starts_with("ldap://") && !ldap.starttls && !ldap.allow_plaintext && !is_loopback_url(&ldap.url) {
                problems.push(format!(
                    "ldap.url: {:?} is plain LDAP to another host: passwords would cross the network in clear; use ldaps://, starttls = true, or allow_plaintext = true",
                    ldap.url
                ));
            }
            if !ldap.user_filter.contains("{username}") {
                problems.push("ldap.user_filter: must contain {username}".into());
            }
            match (&ldap.bind_password_file, &ldap.bind_password_env) {
                (None, None) => problems.push("ldap: set bind_password_file or bind_password_env".into()),
                (Some(path), _) if !path.is_file() => {
                    problems.push(format!("ldap.bind_password_file: {} does not exist", path.display()));
                }
                _ => {}
            }
            if ldap.operator_groups.is_empty() {
                problems.push("ldap.operator_groups: name at least one group (e.g. \"mqadmins\")".into());
            }
        }
        problems
    }
}

impl Config {
    /// HA groups: named on every node of a region or on none; each queue manager names one
    /// group in every region that has several.
    fn group_problems(&self, problems: &mut Vec<String>) {
        let mut group_region: BTreeMap<&str, &str> = BTreeMap::new();
        for (i, node) in self.nodes.iter().enumerate() {
            let named = self.nodes.iter().filter(|n| n.region == node.region).any(|n| n.ha_group.is_some());
            match &node.ha_group {
                None if named => problems.push(format!("nodes[{i}].ha_group: other nodes of {} name their HA group; name this one's too", node.region)),
                None => {}
                Some(group) => {
                    if group.is_empty() || !group.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                        problems.push(format!("nodes[{i}].ha_group: {group:?} must be letters, digits, '-' and '_'"));
                    }
                    if let Some(other) = group_region.insert(group, &node.region).filter(|r| *r != node.region) {
                        problems.push(format!("nodes[{i}].ha_group: {group:?} is in region {other} already, not {}", node.region));
                    }
                }
            }
        }
        for (i, qm) in self.qmgrs.iter().enumerate() {
            for name in &qm.ha_groups {
                if !group_region.contains_key(name.as_str()) {
                    problems.push(format!("qmgrs[{i}].ha_groups: no node names the HA group {name:?}"));
                }
            }
            for region in &self.regions {
                let groups: BTreeSet<&str> = group_region.iter().filter(|(_, r)| **r == region.name).map(|(g, _)| *g).collect();
                let chosen: Vec<&String> = qm.ha_groups.iter().filter(|g| groups.contains(g.as_str())).collect();
                if chosen.len() > 1 {
                    problems.push(format!("qmgrs[{i}].ha_groups: {} HA groups of {} named; a queue manager lives in one per region", chosen.len(), region.name));
                } else if chosen.is_empty() && groups.len() > 1 {
                    problems.push(format!("qmgrs[{i}].ha_groups: {} has {} HA groups; name the one holding {}", region.name, groups.len(), qm.name));
                }
            }
        }
    }

    /// The estate the console expects, for the poller and the snapshot.
    pub fn inventory(&self) -> model::estate::Inventory {
        use model::estate::{Inventory, InventoryMqipt, InventoryQmgr, InventoryRegion, RouteRef};
        Inventory {
            regions: self
                .regions
                .iter()
                .map(|r| InventoryRegion {
                    name: r.name.clone(),
                    load_balancer: r.load_balancer.clone(),
                    nodes: self.nodes.iter().filter(|n| n.region == r.name).map(|n| n.name.clone()).collect(),
                    groups: self.groups_of(&r.name),
                })
                .collect(),
            qmgrs: self
                .qmgrs
                .iter()
                .map(|q| InventoryQmgr {
                    name: q.name.clone(),
                    listener_port: q.listener_port,
                    route: match (&q.mqipt, q.route_listener_port) {
                        (Some(instance), Some(port)) => Some(RouteRef { instance: instance.clone(), listener_port: port }),
                        _ => None,
                    },
                    ha_groups: q.ha_groups.clone(),
                })
                .collect(),
            mqipt: self
                .mqipt
                .iter()
                .map(|m| InventoryMqipt { name: m.name.clone(), host: m.host.clone(), conf_path: m.conf_path.clone() })
                .collect(),
            keystores: self
                .keystores
                .iter()
                .filter_map(|k| Some(model::estate::InventoryKeystore { host: k.host.clone(), path: k.path.clone(), purpose: k.purpose()? }))
                .collect(),
        }
    }

    /// The named HA groups of a region, in the order their first node is configured.
    fn groups_of(&self, region: &str) -> Vec<model::estate::InventoryGroup> {
        let mut groups: Vec<model::estate::InventoryGroup> = Vec::new();
        for node in self.nodes.iter().filter(|n| n.region == region) {
            let Some(name) = &node.ha_group else { continue };
            match groups.iter_mut().find(|g| &g.name == name) {
                Some(group) => group.nodes.push(node.name.clone()),
                None => groups.push(model::estate::InventoryGroup { name: name.clone(), nodes: vec![node.name.clone()] }),
            }
        }
        groups
    }

    /// The SSH transport for this configuration, its masters' sockets in `control_dir`
    /// (keep that path short: Unix sockets allow 108 bytes).
    pub fn ssh_exec(&self, control_dir: PathBuf) -> crate::fleet::ssh::SshExec {
        let settings = crate::fleet::ssh::SshSettings {
            user: self.ssh.user.clone(),
            key_file: self.ssh.key_file.clone(),
            known_hosts: self.ssh.known_hosts.clone(),
            connect_timeout: std::time::Duration::from_secs(self.ssh.connect_timeout_secs),
            control_dir,
            max_concurrent: 32,
        };
        crate::fleet::ssh::SshExec::new(settings, self.ssh_hosts())
    }

    /// The client checks of DR workflows, per queue manager.
    pub fn client_targets(&self) -> Vec<crate::workflow::engine::ClientTarget> {
        self.clients
            .iter()
            .flat_map(|c| {
                c.checks.iter().map(|check| crate::workflow::engine::ClientTarget {
                    qmgr: check.qmgr.clone(),
                    check: model::plan::ClientCheck {
                        host: c.name.clone(),
                        mqserver: check.mqserver.clone(),
                        queue: check.queue.clone(),
                        bin_dir: c.bin_dir.clone(),
                    },
                })
            })
            .collect()
    }

    /// The TLS clients that prove a route after a certificate rotation.
    pub fn tls_client_checks(&self) -> Vec<model::plan_cert::TlsClientCheck> {
        self.clients
            .iter()
            .flat_map(|c| {
                c.tls_checks.iter().map(|t| model::plan_cert::TlsClientCheck {
                    host: c.name.clone(),
                    qmgr: t.qmgr.clone(),
                    channel: t.channel.clone(),
                    conname: t.conname.clone(),
                    keyr: t.keyr.clone(),
                    certlabl: t.certlabl.clone(),
                    cipher: t.cipher.clone(),
                })
            })
            .collect()
    }

    /// How to reach every host over SSH.
    pub fn ssh_hosts(&self) -> std::collections::HashMap<String, crate::fleet::ssh::HostAddress> {
        use crate::fleet::ssh::HostAddress;
        let mut hosts: std::collections::HashMap<String, HostAddress> = self
            .nodes
            .iter()
            .map(|n| {
                let address = HostAddress { address: n.address.clone(), port: n.port, sudo: n.sudo, bin_dir: n.mq_bin.clone() };
                (n.name.clone(), address)
            })
            .collect();
        for m in &self.mqipt {
            hosts.entry(m.host.clone()).or_insert_with(|| HostAddress {
                address: m.address.clone(),
                port: m.port,
                sudo: false,
                bin_dir: None,
            });
        }
        for c in &self.clients {
            hosts.entry(c.name.clone()).or_insert_with(|| HostAddress { address: c.address.clone(), port: c.port, sudo: false, bin_dir: None });
        }
        hosts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_urls() {
        for url in ["ldap://127.0.0.1:389", "ldap://localhost", "ldap://[::1]:389/", "ldap://127.1.2.3"] {
            assert!(is_loopback_url(url), "{url}");
        }
        for url in ["ldap://10.0.0.1", "ldap://ldap.example.com:389", "ldap://localhost.evil.example", "ldap://127.0.0.1.evil.example"] {
            assert!(!is_loopback_url(url), "{url}");
        }
    }

    #[test]
    fn store_tls_files_are_checked_at_load_naming_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            path
        };
        let cert = write("client.pem", "-----BEGIN CERTIFICATE-----\nMIIBAA==\n-----END CERTIFICATE-----\n");
        let key = write("client.key", "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleS1ieXRlcw==\n-----END PRIVATE KEY-----\n");
        let etcd = |ca: Option<&Path>, cert: Option<&Path>, key: Option<&Path>, endpoint: &str| StoreConfig {
            kind: StoreKindConfig::Etcd,
            endpoints: vec![endpoint.into()],
            ca_file: ca.map(Path::to_path_buf),
            cert_file: cert.map(Path::to_path_buf),
            key_file: key.map(Path::to_path_buf),
            ..StoreConfig::default()
        };
        assert_eq!(etcd(Some(&cert), Some(&cert), Some(&key), "https://etcd-wdc:2379").problems(), Vec::<String>::new());
        assert_eq!(etcd(Some(&cert), None, None, "etcd-wdc:2379").problems(), Vec::<String>::new(), "server-side TLS only");
        assert_eq!(etcd(None, None, None, "etcd-wdc:2379").problems(), Vec::<String>::new(), "plain gRPC");
        let problems = |c: StoreConfig| c.problems().join("\n");
        let missing = dir.path().join("missing.pem");
        assert!(problems(etcd(Some(&missing), None, None, "e:2379")).starts_with("store.ca_file: cannot read"), "{}", problems(etcd(Some(&missing), None, None, "e:2379")));
        assert!(problems(etcd(Some(&cert), Some(&cert), None, "e:2379")).contains("store.cert_file, store.key_file: give both or neither"));
        assert!(problems(etcd(None, Some(&cert), Some(&key), "e:2379")).contains("store.ca_file: a client certificate"));
        assert!(problems(etcd(None, None, None, "https://e:2379")).contains("store.endpoints: \"https://e:2379\" is https: set store.ca_file"));
        assert!(problems(etcd(Some(&cert), None, None, "http://e:2379")).contains("store.endpoints: \"http://e:2379\" is plain http"));
        // A certificate where the key belongs, and a key where the certificate belongs: named,
        // and the key's content is never quoted.
        let swapped = problems(etcd(Some(&cert), Some(&key), Some(&cert), "e:2379"));
        assert!(swapped.contains("store.cert_file:") && swapped.contains("holds no PEM certificate"), "{swapped}");
        assert!(swapped.contains("store.key_file:") && swapped.contains("holds no unencrypted PEM private key"), "{swapped}");
        assert!(!swapped.contains("c2VjcmV0"), "{swapped}");
        let sqlite = StoreConfig { ca_file: Some(cert.clone()), ..StoreConfig::default() };
        assert!(problems(sqlite).contains("TLS to etcd needs kind = \"etcd\""));
    }
}
