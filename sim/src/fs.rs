//! The files a simulated host reads and writes (the bastion's `mqipt.conf`, key repositories,
//! queue managers' error logs).
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

    /// The reverse of [`HostFs::host_path`]: a path inside one host's directory of the lab, as
    /// that host and the path it names there (`/var/mqm/...`).
    fn host_of(&self, _path: &str) -> Option<(String, String)> {
        None
    }

    fn read_bytes(&self, path: &str) -> io::Result<Vec<u8>> {
        self.read(path).map(String::into_bytes)
    }

    fn write_bytes(&self, path: &str, contents: &[u8]) -> io::Result<()> {
        self.write(path, &String::from_utf8_lossy(contents))
    }

    fn exists(&self, path: &str) -> bool {
        self.read_bytes(path).is_ok()
    }

    /// Makes a directory and its parents (nothing to do where directories are implicit).
    fn create_dir_all(&self, _path: &str) -> io::Result<()> {
        Ok(())
    }

    fn remove_file(&self, _path: &str) -> io::Result<()> {
        Ok(())
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

    fn host_of(&self, path: &str) -> Option<(String, String)> {
        let dir = self.hosts_dir.as_ref()?;
        let rest = path.strip_prefix(&format!("{}/", dir.display()))?;
        let (host, inside) = rest.split_once('/')?;
        (!host.is_empty()).then(|| (host.to_string(), format!("/{inside}")))
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

    fn read_bytes(&self, path: &str) -> io::Result<Vec<u8>> {
        std::fs::read(path)
    }

    fn write_bytes(&self, path: &str, contents: &[u8]) -> io::Result<()> {
        std::fs::write(path, contents)
    }

    fn exists(&self, path: &str) -> bool {
        std::path::Path::new(path).exists()
    }

    fn create_dir_all(&self, path: &str) -> io::Result<()> {
        std::fs::create_dir_all(path)
    }

    fn remove_file(&self, path: &str) -> io::Result<()> {
        match std::fs::remove_file(path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
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

    fn remove_file(&self, path: &str) -> io::Result<()> {
        let mut files = self.files.lock().map_err(|_| io::Error::other("file table poisoned"))?;
        files.remove(path);
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

/// A host's files seen through a pass that must not change them: reads go through, writes
/// are only noted (the caller runs the command again, for real, when one was attempted).
pub struct Probe<'a> {
    inner: &'a dyn HostFs,
    wrote: std::sync::atomic::AtomicBool,
}

impl<'a> Probe<'a> {
    pub fn new(inner: &'a dyn HostFs) -> Self {
        Probe { inner, wrote: std::sync::atomic::AtomicBool::new(false) }
    }

    /// A write was attempted (and held back).
    pub fn wrote(&self) -> bool {
        self.wrote.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn note(&self) -> io::Result<()> {
        self.wrote.store(true, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }
}

impl HostFs for Probe<'_> {
    fn read(&self, path: &str) -> io::Result<String> {
        self.inner.read(path)
    }

    fn write(&self, _path: &str, _contents: &str) -> io::Result<()> {
        self.note()
    }

    fn rename(&self, _from: &str, _to: &str) -> io::Result<()> {
        self.note()
    }

    fn host_path(&self, host: &str, path: &str) -> String {
        self.inner.host_path(host, path)
    }

    fn host_of(&self, path: &str) -> Option<(String, String)> {
        self.inner.host_of(path)
    }

    fn read_bytes(&self, path: &str) -> io::Result<Vec<u8>> {
        self.inner.read_bytes(path)
    }

    fn write_bytes(&self, _path: &str, _contents: &[u8]) -> io::Result<()> {
        self.note()
    }

    fn exists(&self, path: &str) -> bool {
        self.inner.exists(path)
    }

    fn create_dir_all(&self, _path: &str) -> io::Result<()> {
        self.note()
    }

    fn remove_file(&self, _path: &str) -> io::Result<()> {
        self.note()
    }
}
