//! The files a simulated host reads and writes (the bastion's `mqipt.conf`).
//!
//! On the lab they are real files reached over SSH; in the in-process demo they live in memory.

use std::collections::BTreeMap;
use std::io;
use std::sync::Mutex;

pub trait HostFs: Send + Sync {
    fn read(&self, path: &str) -> io::Result<String>;
    fn write(&self, path: &str, contents: &str) -> io::Result<()>;
    fn rename(&self, from: &str, to: &str) -> io::Result<()>;
}

/// The machine's own file system.
pub struct RealFs;

impl HostFs for RealFs {
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
