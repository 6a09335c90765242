//! The shared state file stays consistent under concurrent commands from many sessions.

use sim::reference;
use sim::store::StateFile;
use std::sync::Arc;

#[test]
fn concurrent_updates_are_serialised_by_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let state = Arc::new(StateFile::new(dir.path().join("estate.json")));
    state.write(&reference::estate("/nonexistent/mqipt.conf")).unwrap();
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let state = Arc::clone(&state);
            std::thread::spawn(move || {
                for _ in 0..25 {
                    state
                        .update(|estate| {
                            let qm = estate.qmgr_mut("DRHAQM1").unwrap();
                            qm.out_of_sync_kb += 1;
                        })
                        .unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(state.read().unwrap().qmgr("DRHAQM1").unwrap().out_of_sync_kb, 200);
}

#[test]
fn a_corrupt_state_is_reported_with_its_path_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("estate.json");
    std::fs::write(&path, "{ not json").unwrap();
    let state = StateFile::new(&path);
    let err = state.update(|_| ()).unwrap_err().to_string();
    assert!(err.contains("estate.json") && err.contains("not valid"), "{err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "{ not json");
}

#[test]
fn reads_share_the_lock_and_changes_are_written() {
    let dir = tempfile::tempdir().unwrap();
    let state = StateFile::new(dir.path().join("estate.json"));
    state.write(&reference::estate("/nonexistent/mqipt.conf")).unwrap();
    let before = std::fs::read_to_string(state.path()).unwrap();
    let name = state.run(|estate| estate.qmgrs[0].name.clone()).unwrap();
    assert_eq!(name, "DRHAQM1");
    assert_eq!(std::fs::read_to_string(state.path()).unwrap(), before, "a read writes nothing");
    state.run(|estate| estate.qmgrs[0].out_of_sync_kb = 7).unwrap();
    assert_eq!(state.read().unwrap().qmgrs[0].out_of_sync_kb, 7);
}

#[test]
fn a_read_that_only_moves_the_clock_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let state = StateFile::new(dir.path().join("estate.json"));
    let mut estate = reference::estate("/nonexistent/mqipt.conf");
    estate.clock_ms = 1_000_000;
    state.write(&estate).unwrap();
    let before = std::fs::read_to_string(state.path()).unwrap();
    // What a polled command does: the clock moves on, nothing is due.
    state.run(|estate| estate.advance(1_005_000)).unwrap();
    assert_eq!(std::fs::read_to_string(state.path()).unwrap(), before, "a clock-only change is not written");
    // A change writes the clock with it.
    state
        .run(|estate| {
            estate.advance(1_007_000);
            estate.qmgrs[0].out_of_sync_kb = 3;
        })
        .unwrap();
    assert_eq!(state.read().unwrap().clock_ms, 1_007_000);
}
