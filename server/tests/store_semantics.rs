//! The store semantics suite (`common/store_semantics.rs`) on SQLite: two handles on one
//! database file, as two console processes on one host would share it.

#![allow(clippy::unwrap_used)]

mod common;

use console::store::{SqliteStore, Store};
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_keeps_every_guarantee_across_two_handles() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("console.sqlite");
    let a: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).unwrap());
    let b: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).unwrap());
    common::store_semantics::all(a, b).await;
}
