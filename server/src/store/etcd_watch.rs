//! Following a prefix of the store live: one load, then a watch from the revision after it.
//! A broken stream (its member went away) is watched again from the next revision not yet
//! seen, so nothing is skipped; a watch canceled because etcd compacted past that revision
//! starts again from a new load. Used for runs written by any instance and for revocations.

use etcd_client::{Client, Event, GetOptions, GetResponse, WatchOptions};
use std::time::Duration;

/// What the load before watching reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Load {
    /// The revision only: changes from now on matter, not what is there.
    Revision,
    /// Every key under the prefix, for a copy that the changes then keep up to date.
    Everything,
}

/// Follows `prefix` until the task is aborted: `loaded` gets each load (of what `load` asks),
/// `changed` every event after it, in order.
pub(super) async fn follow_prefix(
    mut client: Client,
    prefix: String,
    load: Load,
    mut loaded: impl FnMut(&GetResponse) + Send,
    mut changed: impl FnMut(&Event) + Send,
) {
    let mut next = 0_i64;
    loop {
        if next == 0 {
            let options = match load {
                Load::Revision => GetOptions::new().with_prefix().with_count_only(),
                Load::Everything => GetOptions::new().with_prefix(),
            };
            match client.get(prefix.clone(), Some(options)).await {
                Ok(all) => {
                    next = all.header().map_or(0, |h| h.revision()) + 1;
                    loaded(&all);
                }
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    continue;
                }
            }
        }
        let options = WatchOptions::new().with_prefix().with_start_revision(next);
        let mut stream = match client.watch(prefix.clone(), Some(options)).await {
            Ok(stream) => stream,
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
        };
        while let Ok(Some(message)) = stream.message().await {
            if message.canceled() {
                // Compacted past what we saw: load again and carry on from there.
                next = 0;
                break;
            }
            for event in message.events() {
                if let Some(kv) = event.kv() {
                    next = next.max(kv.mod_revision() + 1);
                    changed(event);
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
