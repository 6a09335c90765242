//! A replicated data queue manager's files live on its DRBD volume, `/var/mqm/vols/<qm>/`,
//! which is mounted only on the node where the queue manager runs: a file there can be
//! written only on that node, and what is written there reaches every node's copy (the HA
//! group synchronously, the DR region by DR replication). The lab keeps one copy of the
//! volume per node; a write here updates them all. Reads are not restricted (the lab's copies
//! are all there to read, and the console reads key repositories on any node).

use crate::estate::{Estate, QueueManager};
use crate::fs::HostFs;
use std::io;

/// Where a path a command was given points: the host whose files it is and the path as that
/// host names it (absolute).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub host: String,
    pub path: String,
}

/// A path as typed on `host` (absolute, inside the lab's directory of some host, or relative
/// to the command's working directory).
pub fn locate(fs: &dyn HostFs, host: &str, path: &str) -> Located {
    let absolute = if path.starts_with('/') {
        path.to_string()
    } else {
        std::env::current_dir().map_or_else(|_| path.to_string(), |cwd| cwd.join(path).to_string_lossy().into_owned())
    };
    match fs.host_of(&absolute) {
        Some((owner, inside)) => Located { host: owner, path: inside },
        None => Located { host: host.to_string(), path: absolute },
    }
}

/// The queue manager whose replicated volume holds `path` (as a host names it).
pub fn volume_of<'a>(estate: &'a Estate, path: &str) -> Option<&'a QueueManager> {
    let rest = path.strip_prefix("/var/mqm/vols/")?;
    let (dir, _) = rest.split_once('/')?;
    estate.qmgrs.iter().find(|q| q.resource_name() == dir)
}

/// Where a write of `path` (typed on `host`) must go: every copy of it, or why it cannot be
/// written (the volume is not mounted on that host).
pub fn write_targets(estate: &Estate, fs: &dyn HostFs, host: &str, path: &str) -> Result<Vec<String>, String> {
    let at = locate(fs, host, path);
    let Some(qm) = volume_of(estate, &at.path) else {
        return Ok(vec![path.to_string()]);
    };
    if !estate.running_on(qm).iter().any(|n| n.name == at.host) {
        return Err(format!("{}: the volume of {} is not mounted on {}", at.path, qm.name, at.host));
    }
    Ok(replicas(estate, fs, &at.path))
}

/// Every node's copy of a path on a queue manager's volume: the nodes of the queue manager's
/// HA group in each region (every node when the path is on no known volume).
pub fn replicas(estate: &Estate, fs: &dyn HostFs, path: &str) -> Vec<String> {
    let owner = volume_of(estate, path);
    let mut copies: Vec<String> = Vec::new();
    for node in estate.regions.iter().filter(|r| owner.is_none_or(|qm| r.holds(qm))).flat_map(|r| r.nodes.iter()) {
        let copy = fs.host_path(&node.name, path);
        if !copies.contains(&copy) {
            copies.push(copy);
        }
    }
    copies
}

fn parent(path: &str) -> Option<&str> {
    path.rsplit_once('/').map(|(dir, _)| dir).filter(|d| !d.is_empty())
}

/// Writes `contents` to `path` whole or not at all: a temporary file beside it, then a rename.
pub fn write_atomic(fs: &dyn HostFs, path: &str, contents: &[u8]) -> io::Result<()> {
    if let Some(dir) = parent(path) {
        fs.create_dir_all(dir)?;
    }
    let tmp = format!("{path}.tmp-{}", std::process::id());
    if let Err(e) = fs.write_bytes(&tmp, contents) {
        let _ = fs.remove_file(&tmp);
        return Err(e);
    }
    fs.rename(&tmp, path).inspect_err(|_| {
        let _ = fs.remove_file(&tmp);
    })
}

/// Writes every copy; the first failure is reported (the copies written stay written).
pub fn write_all(fs: &dyn HostFs, copies: &[String], contents: &[u8]) -> io::Result<()> {
    copies.iter().try_for_each(|copy| write_atomic(fs, copy, contents))
}

/// A file named relative to the directory of `copy` (a key repository's certificates beside
/// each copy of its manifest).
pub fn beside(copy: &str, relative: &str) -> String {
    match parent(copy) {
        Some(dir) => format!("{dir}/{relative}"),
        None => relative.to_string(),
    }
}

/// Appends `text` to a queue manager's error log (`AMQERR01.LOG` in its data directory on its
/// volume, which `/var/mqm/qmgrs/<QM>` leads to), on every copy.
pub fn append_error_log(estate: &Estate, fs: &dyn HostFs, qm: &str, text: &str) {
    let dir = qm.to_lowercase();
    let path = format!("/var/mqm/vols/{dir}/qmgr/{dir}/errors/AMQERR01.LOG");
    for copy in replicas(estate, fs, &path) {
        let mut log = fs.read(&copy).unwrap_or_default();
        log.push_str(text);
        let _ = write_atomic(fs, &copy, log.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::MemFs;

    #[test]
    fn the_volume_is_written_only_where_the_queue_manager_runs() {
        let estate = crate::reference::estate(crate::reference::MQIPT_CONF_PATH);
        let fs = MemFs::default();
        let kdb = "/var/mqm/vols/ssldrhaqm1/qmgr/ssldrhaqm1/ssl/ssldrhaqm1KeyFile.kdb";
        assert_eq!(write_targets(&estate, &fs, "wdc1-mq1", kdb), Ok(vec![kdb.to_string()]));
        assert!(write_targets(&estate, &fs, "wdc2-mq1", kdb).is_err());
        assert!(write_targets(&estate, &fs, "dal1-mq1", kdb).is_err());
        // DRHAQM2 runs in DAL.
        assert!(write_targets(&estate, &fs, "dal1-mq1", "/var/mqm/vols/drhaqm2/x").is_ok());
        assert_eq!(write_targets(&estate, &fs, "wdc2-mq1", "/tmp/x"), Ok(vec!["/tmp/x".to_string()]));
    }

    #[test]
    fn lab_paths_name_their_host() {
        let fs = crate::fs::RealFs { hosts_dir: Some("/lab/hosts".into()) };
        let estate = crate::reference::estate(crate::reference::MQIPT_CONF_PATH);
        let at = locate(&fs, "wdc1-mq1", "/lab/hosts/dal1-mq1/var/mqm/vols/ssldrhaqm1/k.kdb");
        assert_eq!(at, Located { host: "dal1-mq1".into(), path: "/var/mqm/vols/ssldrhaqm1/k.kdb".into() });
        assert!(write_targets(&estate, &fs, "wdc1-mq1", "/lab/hosts/dal1-mq1/var/mqm/vols/ssldrhaqm1/k.kdb").is_err());
        let copies = write_targets(&estate, &fs, "wdc1-mq1", "/var/mqm/vols/ssldrhaqm1/k.kdb").unwrap();
        assert_eq!(copies.len(), 6);
        assert!(copies.contains(&"/lab/hosts/dal3-mq1/var/mqm/vols/ssldrhaqm1/k.kdb".to_string()));
    }
}
