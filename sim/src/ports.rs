//! Blocks of loopback ports for tests' labs and etcd clusters.
//!
//! A reference lab takes one block; a scaled lab (`LAB_SCALE=N`) takes several consecutive
//! ones ([`lab_blocks`]), each locked as a single block is, so single and multiple
//! reservations never overlap.
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

/// Ports base..base+BLOCK·blocks, reserved while this lives.
pub struct PortBlock {
    base: u16,
    blocks: u16,
    _locks: Vec<File>,
}

impl PortBlock {
    pub fn base(&self) -> u16 {
        self.base
    }

    /// One past the last port reserved.
    pub fn end(&self) -> u16 {
        self.base + BLOCK * self.blocks
    }
}

/// The blocks a lab of `scale` HA groups per region takes: `lab/up` puts the reference hosts,
/// LDAP, consoles and etcd in the first block and the 6·(scale−1) further nodes from
/// base+32 on, one port each.
pub fn lab_blocks(scale: u32) -> u16 {
    let extra = 6 * scale.saturating_sub(1);
    1 + u16::try_from(extra.div_ceil(u32::from(BLOCK))).unwrap_or(u16::MAX)
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
    reserve_blocks(1)
}

/// Reserves `blocks` consecutive blocks (`BLOCK`·`blocks` ports), every port bindable now.
pub fn reserve_blocks(blocks: u16) -> PortBlock {
    let blocks = blocks.max(1);
    let span = BLOCK * blocks;
    let low = 10016u16;
    let high = ephemeral_low().saturating_sub(span).max(low + span);
    let slots = u64::from((high - low) / BLOCK).max(1);
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
        let Some(locks) = lock_all(&dir, base, blocks) else { continue };
        if (base..base + span).all(|p| TcpListener::bind(("127.0.0.1", p)).is_ok()) {
            return PortBlock { base, blocks, _locks: locks };
        }
    }
    panic!("no free range of {span} ports found on 127.0.0.1 below {}", high + span);
}

/// The lock of every block from `base` on, or none if another holds one of them.
fn lock_all(dir: &std::path::Path, base: u16, blocks: u16) -> Option<Vec<File>> {
    (0..blocks)
        .map(|i| {
            let lock = File::create(dir.join(format!("{}.lock", base + i * BLOCK))).ok()?;
            lock.try_lock().ok()?;
            Some(lock)
        })
        .collect()
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

    #[test]
    fn a_scaled_labs_blocks_never_overlap_single_ones() {
        assert_eq!((lab_blocks(1), lab_blocks(2), lab_blocks(6), lab_blocks(7), lab_blocks(10)), (1, 2, 2, 3, 3));
        let wide = reserve_blocks(3);
        assert_eq!(wide.end() - wide.base(), 3 * BLOCK);
        assert!(wide.end() <= ephemeral_low());
        let singles: Vec<PortBlock> = (0..8).map(|_| reserve()).collect();
        for single in &singles {
            assert!(single.end() <= wide.base() || single.base() >= wide.end(), "{} inside {}..{}", single.base(), wide.base(), wide.end());
        }
    }
}
