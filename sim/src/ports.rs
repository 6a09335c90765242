//! Blocks of loopback ports for tests' labs and etcd clusters.
//!
//! A block lies below the kernel's ephemeral range, so no `bind(0)` listener or outgoing
//! connection of a concurrent test can take one of its ports between the check and the
//! daemon's own bind (sshd and slapd then fail in their logs only). A block is held through
//! an advisory lock on a file, released by the kernel when the holder exits, so two test
//! processes never pick the same block.

use std::fs::File;
use std::net::TcpListener;
use std::path::PathBuf;

/// The block size: a lab uses base..base+30.
pub const BLOCK: u16 = 32;

/// Ports base..base+BLOCK, reserved while this lives.
pub struct PortBlock {
    base: u16,
    _lock: File,
}

impl PortBlock {
    pub fn base(&self) -> u16 {
        self.base
    }
}

/// The lowest port the kernel hands out on its own (`ip_local_port_range`).
fn ephemeral_low() -> u16 {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|text| text.split_whitespace().next().and_then(|low| low.parse().ok()))
        .unwrap_or(32768)
}

fn lock_dir() -> PathBuf {
    std::env::temp_dir().join("rdqm-test-ports")
}

/// Reserves a free block of `BLOCK` ports, every one of them bindable now.
pub fn reserve() -> PortBlock {
    let low = 10016u16;
    let high = ephemeral_low().saturating_sub(BLOCK).max(low + BLOCK);
    let slots = u64::from((high - low) / BLOCK);
    let dir = lock_dir();
    std::fs::create_dir_all(&dir).expect("the port lock directory");
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::from(d.subsec_nanos()) ^ d.as_secs())
        ^ u64::from(std::process::id()) << 16;
    let mut candidate = seed;
    for _ in 0..slots.max(1) * 2 {
        candidate = candidate.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let base = low + ((candidate >> 33) % slots) as u16 * BLOCK;
        let Ok(lock) = File::create(dir.join(format!("{base}.lock"))) else { continue };
        if lock.try_lock().is_err() {
            continue;
        }
        if (base..base + BLOCK).all(|p| TcpListener::bind(("127.0.0.1", p)).is_ok()) {
            return PortBlock { base, _lock: lock };
        }
    }
    panic!("no free block of {BLOCK} ports found on 127.0.0.1 below {high}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_blocks_held_at_once_never_overlap() {
        let blocks: Vec<PortBlock> = (0..8).map(|_| reserve()).collect();
        let mut bases: Vec<u16> = blocks.iter().map(PortBlock::base).collect();
        bases.sort_unstable();
        bases.dedup();
        assert_eq!(bases.len(), blocks.len(), "{bases:?}");
        assert!(bases.iter().all(|b| b + BLOCK <= ephemeral_low()), "{bases:?}");
    }
}
