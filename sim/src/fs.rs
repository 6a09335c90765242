//! The files a simulated host reads and writes (the bastion's `mqipt.conf`, key repositories).
//!
//! On the lab they are real files reached over SSH; in the in-process demo they live in memory.

use std::collections::BTreeMap;
use std::io;
use std::path::PathBuf;
use std::sync::Mutex;

pub trait HostFs: Send + Sync {
    fn read(&self, path: &str) -> io::Result<String>;
    fn write(&self, path: &str, contents: &str) -> io::Result<()>;
    fn rename(&self, from: &str, to: &str) -> io::Result<()>;

    /// Where `host`'s own absolute `path` (as MQ names it, e.g. a queue manager's `SSLKEYR`)
    /// is: the lab keeps each host's files under a directory of its own.
    fn host_path(&self, _host: &str, path: &str) -> String {
        path.to_string()
    }
}

/// The machine's own file system; with `hosts_dir`, host `H`'s `/var/...` is
/// `hosts_dir/H/var/...` (the lab's layout).
#[derive(Debug, Clone, Default)]
pub struct RealFs {
    pub hosts_dir: Option<PathBuf>,
}

impl RealFs {
    /// The lab's file system: `RDQM_SIM_HOSTS` names the directory of the hosts' files.
    pub fn from_env() -> Self {
        RealFs { hosts_dir: std::env::var_os("RDQM_SIM_HOSTS").filter(|d| !d.is_empty()).map(PathBuf::from) }
    }
}

impl HostFs for RealFs {
    fn host_path(&self, host: &str, path: &str) -> String {
        match &self.hosts_dir {
            Some(dir) if path.starts_with('/') => format!("{}/{host}{path}", dir.display()),
            _ => path.to_string(),
        }
    }

    fn read(&self, path: &str) -> io::Result<String> {
        std::fs::read_to_string(path)
    }

    fn write(&self, path: &str, contents: &str) -> io::Result<()> {
        std::fs::write(path, contents)
    }

    fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        std::fs::rename(from, to)
    }
}

/// Files held in memory, for the in-process simulated estate.
#[derive(Default)]
pub struct MemFs {
    files: Mutex<BTreeMap<String, String>>,
}

impl HostFs for MemFs {
    fn read(&self, path: &str) -> io::Result<String> {
        let files = self.files.lock().map_err(|_| io::Error::other("file table poisoned"))?;
        files
            .get(path)
            .cloned()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("{path}: No such file or directory")))
    }

    fn write(&self, path: &str, contents: &str) -> io::Result<()> {
        let mut files = self.files.lock().map_err(|_| io::Error::other("file table poisoned"))?;
        files.insert(path.to_string(), contents.to_string());
        Ok(())
    }

    fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        let mut files = self.files.lock().map_err(|_| io::Error::other("file table poisoned"))?;
        let contents = files
            .remove(from)
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("{from}: No such file or directory")))?;
        files.insert(to.to_string(), contents);
        Ok(())
    }
}
