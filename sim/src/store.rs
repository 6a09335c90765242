//! The state file shared by every simulated node, read and written under an exclusive lock
//! so that commands arriving at once over several SSH sessions stay consistent.

use crate::estate::Estate;
use std::fs::{self, File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("cannot open the simulator's state {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("the simulator's state {path} is not valid: {source}")]
    Corrupt { path: PathBuf, source: serde_json::Error },
}

pub struct StateFile {
    path: PathBuf,
}

impl StateFile {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        StateFile { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn io(&self, source: std::io::Error) -> StoreError {
        StoreError::Io { path: self.path.clone(), source }
    }

    fn lock_file(&self) -> Result<File, StoreError> {
        let lock_path = self.path.with_extension("lock");
        OpenOptions::new().create(true).truncate(false).write(true).open(&lock_path).map_err(|e| self.io(e))
    }

    fn lock(&self) -> Result<File, StoreError> {
        let file = self.lock_file()?;
        file.lock().map_err(|e| self.io(e))?;
        Ok(file)
    }

    fn read_unlocked(&self) -> Result<Estate, StoreError> {
        let text = fs::read_to_string(&self.path).map_err(|e| self.io(e))?;
        serde_json::from_str(&text).map_err(|source| StoreError::Corrupt { path: self.path.clone(), source })
    }

    /// Writes beside the file then renames, so a reader never sees half a state.
    fn write_unlocked(&self, estate: &Estate) -> Result<(), StoreError> {
        let tmp = self.path.with_extension("tmp");
        let mut text = serde_json::to_string_pretty(estate).map_err(|source| StoreError::Corrupt {
            path: self.path.clone(),
            source,
        })?;
        text.push('\n');
        let mut file = File::create(&tmp).map_err(|e| self.io(e))?;
        file.write_all(text.as_bytes()).map_err(|e| self.io(e))?;
        file.sync_all().map_err(|e| self.io(e))?;
        fs::rename(&tmp, &self.path).map_err(|e| self.io(e))
    }

    pub fn read(&self) -> Result<Estate, StoreError> {
        let _lock = self.lock()?;
        self.read_unlocked()
    }

    pub fn write(&self, estate: &Estate) -> Result<(), StoreError> {
        let _lock = self.lock()?;
        self.write_unlocked(estate)
    }

    /// Like [`StateFile::update`], but first tries under a shared lock, so that commands that
    /// only read (most of them) on several hosts at once do not wait for each other.
    ///
    /// A command that only moved the clock (`Estate::advance` with nothing due) writes
    /// nothing: the next change advances from the clock last written, and what time does by
    /// itself over that whole span is what it would have done step by step. Without this every
    /// read wrote the state under the exclusive lock, and a refresh of a scaled lab's 60 nodes
    /// queued behind one writer at a time.
    pub fn run<T>(&self, change: impl Fn(&mut Estate) -> T) -> Result<T, StoreError> {
        {
            let file = self.lock_file()?;
            file.lock_shared().map_err(|e| self.io(e))?;
            let before = self.read_unlocked()?;
            let mut estate = before.clone();
            let result = change(&mut estate);
            estate.clock_ms = before.clock_ms;
            if estate == before {
                return Ok(result);
            }
        }
        self.update(change)
    }

    /// Reads, changes and writes the state as one step; the state is written only if
    /// `change` altered it.
    pub fn update<T>(&self, change: impl FnOnce(&mut Estate) -> T) -> Result<T, StoreError> {
        let _lock = self.lock()?;
        let mut estate = self.read_unlocked()?;
        let before = estate.clone();
        let result = change(&mut estate);
        if estate != before {
            self.write_unlocked(&estate)?;
        }
        Ok(result)
    }
}
