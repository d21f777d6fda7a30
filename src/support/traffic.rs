//! Bytes in and bytes out, counted for the whole process: two atomics that
//! every reader adds to after a `read()` and every writer after a `write()`,
//! read back by an operator's `STATS`.
//!
//! One relaxed add per system call, never per line, and no lock: counting
//! must not become a cost of its own. *Relaxed* is enough because each
//! counter is only ever added to and read on its own: no other memory is
//! published through it, so no ordering with other variables is needed, and
//! the total is exact once the adds are done.

use std::sync::atomic::{AtomicU64, Ordering};

/// Bytes read from every client since the server started.
static BYTES_IN: AtomicU64 = AtomicU64::new(0);
/// Bytes written to every client since the server started.
static BYTES_OUT: AtomicU64 = AtomicU64::new(0);

/// A reader read `bytes` from its socket.
pub fn count_in(bytes: usize) {
    // Relaxed: a lone counter, see the module notes.
    BYTES_IN.fetch_add(bytes as u64, Ordering::Relaxed);
}

/// A writer (or a sender) wrote `bytes` to its socket.
pub fn count_out(bytes: usize) {
    // Relaxed: a lone counter, see the module notes.
    BYTES_OUT.fetch_add(bytes as u64, Ordering::Relaxed);
}

/// (bytes in, bytes out) since the server started.
pub fn bytes() -> (u64, u64) {
    (
        BYTES_IN.load(Ordering::Relaxed),
        BYTES_OUT.load(Ordering::Relaxed),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_counters_only_grow() {
        let (before_in, before_out) = bytes();
        count_in(10);
        count_out(20);
        let (after_in, after_out) = bytes();
        assert!(after_in >= before_in + 10);
        assert!(after_out >= before_out + 20);
    }
}
