//! Giving a parked thread's unused stack pages back to the system.
//!
//! A thread's stack costs memory only where it has been touched, but once a
//! page is touched it stays resident for the thread's whole life, even if
//! the thread never goes that deep again. A connection's reader goes deep
//! once (registration, a JOIN rendered for a thousand members, a history
//! replay) and then spends hours blocked in `read()` a few kilobytes from
//! the top of its stack: the pages below are dead, but still counted.
//! [`release_unused`] tells the kernel so with `madvise(MADV_DONTNEED)`: the
//! pages are dropped at once, and if the thread goes deep again, it gets
//! fresh zeroed pages on the way down (a page fault each, about a
//! microsecond). What it saves per idle connection, measured:
//! `docs/design.md`, "How the design was chosen".
//!
//! **Why it is safe.** Everything below the stack pointer is dead by the
//! ABI: no frame lives there, and the next call simply overwrites it (a
//! signal handler arriving meanwhile gets a zeroed page, which is all it
//! may assume). The only live memory below the current frame is the frames
//! of `release_unused` itself and of `madvise`, a few hundred bytes, plus
//! the 128-byte red zone of x86-64; so the released range ends at least
//! [`MARGIN_BYTES`] below the current frame, rounded down to a whole page,
//! and starts at the lowest usable address (above the guard page). The page
//! that holds the live frame is never touched.
//!
//! The bounds come from the C library: `pthread_getattr_np` (a GNU
//! extension, also in musl) fills a `pthread_attr_t` for the running
//! thread, `pthread_attr_getstack` reads its lowest address and size out of
//! it. They are asked once per thread and kept in a thread-local. std
//! declares none of these, so the four functions are declared here with
//! `extern "C"` (std already links the C library). On other systems
//! [`release_unused`] does nothing.
//!
//! **When to call it.** Only just before a thread blocks for a long time,
//! and not every time: a released page that is needed again costs a fault.
//! A connection's reader releases once it has been idle for
//! [`IDLE_BEFORE_RELEASE`] after doing some work (its read times out after
//! that second, see `server/connection.rs`), so a busy thread never pays,
//! and an idle one pays once. The writer does not: its idle stack is two
//! live pages, with nothing below them to give back (`outbox::writer_loop`).

use std::time::Duration;

/// How long a thread waits, after its last work, before it releases its
/// unused stack pages.
pub const IDLE_BEFORE_RELEASE: Duration = Duration::from_secs(1);

/// What stays untouched below the caller's frame: the frames of this module
/// (about 240 bytes in a release build) and of `madvise`, and the 128-byte
/// red zone, with room to spare. No more than that: an idle reader keeps
/// every page down to this margin, and its wait goes about as deep anyway
/// (the small read buffer). With 1,024 bytes, a change of code layout
/// elsewhere put the margin across a page boundary, and every idle reader
/// kept a third page: 4 KiB more a connection.
pub const MARGIN_BYTES: usize = 512;

/// The range to release, as `(start, length)`, for a stack whose lowest
/// usable address is `low`, when the current frame is at `here`: from `low`
/// up to the last whole page that ends at least [`MARGIN_BYTES`] below
/// `here`. `None` when there is no whole page to release.
pub fn releasable(low: usize, here: usize, page: usize) -> Option<(usize, usize)> {
    if page == 0 || !page.is_power_of_two() {
        return None;
    }
    let start = low.checked_add(page - 1)? & !(page - 1);
    let end = here.checked_sub(MARGIN_BYTES)? & !(page - 1);
    (end > start).then(|| (start, end - start))
}

/// Drops the resident pages of the calling thread's stack below the current
/// frame (see the module comment). Failures are ignored: the pages then
/// simply stay, as they would have without this call.
#[inline(never)]
pub fn release_unused() {
    let here = 0u8;
    imp::release_below(std::ptr::addr_of!(here) as usize);
}

#[cfg(target_os = "linux")]
mod imp {
    use super::releasable;
    use std::cell::Cell;
    use std::os::raw::{c_int, c_long, c_void};

    /// `pthread_attr_t` is an opaque 56 bytes on x86-64 glibc and 64 on
    /// aarch64; this is larger than any, and aligned like it.
    #[repr(C, align(16))]
    struct PthreadAttr([u8; 128]);

    const MADV_DONTNEED: c_int = 4;
    /// `_SC_PAGESIZE` on Linux (glibc and musl alike).
    const SC_PAGESIZE: c_int = 30;

    extern "C" {
        /// `pthread_t pthread_self(void);` (`pthread_t` is an `unsigned long`.)
        fn pthread_self() -> usize;
        /// `int pthread_getattr_np(pthread_t, pthread_attr_t *);`: the
        /// running thread's attributes, its stack among them.
        fn pthread_getattr_np(thread: usize, attr: *mut PthreadAttr) -> c_int;
        /// `int pthread_attr_getstack(const pthread_attr_t *, void **, size_t *);`
        fn pthread_attr_getstack(
            attr: *const PthreadAttr,
            addr: *mut *mut c_void,
            size: *mut usize,
        ) -> c_int;
        /// `int pthread_attr_destroy(pthread_attr_t *);`
        fn pthread_attr_destroy(attr: *mut PthreadAttr) -> c_int;
        /// `int madvise(void *addr, size_t length, int advice);`
        fn madvise(addr: *mut c_void, length: usize, advice: c_int) -> c_int;
        /// `long sysconf(int name);`
        fn sysconf(name: c_int) -> c_long;
    }

    thread_local! {
        /// The lowest usable address of this thread's stack; 0 until asked,
        /// 1 if it cannot be known.
        static LOW: Cell<usize> = const { Cell::new(0) };
    }

    fn stack_low() -> Option<usize> {
        let known = LOW.with(Cell::get);
        if known != 0 {
            return (known != 1).then_some(known);
        }
        let mut attr = PthreadAttr([0; 128]);
        let mut addr: *mut c_void = std::ptr::null_mut();
        let mut size = 0usize;
        // SAFETY: `attr` is large and aligned enough for a `pthread_attr_t`;
        // it is destroyed only after a successful `pthread_getattr_np`, and
        // the out-pointers point to live locals.
        let low = unsafe {
            if pthread_getattr_np(pthread_self(), &mut attr) != 0 {
                None
            } else {
                let got = pthread_attr_getstack(&attr, &mut addr, &mut size);
                pthread_attr_destroy(&mut attr);
                (got == 0 && !addr.is_null()).then_some(addr as usize)
            }
        };
        LOW.with(|cell| cell.set(low.unwrap_or(1)));
        low
    }

    pub fn release_below(here: usize) {
        let Some(low) = stack_low() else { return };
        // SAFETY: `sysconf` only reads a constant of the system.
        let page = unsafe { sysconf(SC_PAGESIZE) };
        let Some((start, length)) = releasable(low, here, page.max(0) as usize) else {
            return;
        };
        // SAFETY: the range lies inside this thread's own stack, wholly
        // below the live frames (see `releasable` and the module comment),
        // so nothing in it is ever read before being written again.
        unsafe {
            madvise(start as *mut c_void, length, MADV_DONTNEED);
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    pub fn release_below(_here: usize) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_whole_pages_below_the_margin_are_released() {
        let page = 4096;
        // Frame 3 KiB into the fourth page: the three pages below it go.
        let low = 0x10_0000;
        let here = low + 3 * page + 3072;
        assert_eq!(releasable(low, here, page), Some((low, 3 * page)));
        // Frame just above a page boundary: that page is inside the margin.
        let here = low + 3 * page + 100;
        assert_eq!(releasable(low, here, page), Some((low, 2 * page)));
        // An unaligned low end starts at the next whole page.
        assert_eq!(
            releasable(low + 8, low + 3 * page + 3072, page),
            Some((low + page, 2 * page))
        );
    }

    #[test]
    fn nothing_is_released_when_the_frame_is_near_the_bottom() {
        let low = 0x10_0000;
        assert_eq!(releasable(low, low + 400, 4096), None);
        assert_eq!(releasable(low, low + 4096 + 400, 4096), None);
        assert_eq!(releasable(low, 10, 4096), None);
        assert_eq!(releasable(low, low + 8192, 0), None);
        assert_eq!(releasable(low, low + 8192, 3000), None);
    }

    /// Goes `depth` frames deep, each with a kilobyte of its own on the
    /// stack, and checks every byte on the way back up.
    #[inline(never)]
    fn deep(depth: u32) -> u64 {
        let mut block = [depth as u8; 1024];
        std::hint::black_box(&mut block);
        let below = if depth == 0 { 0 } else { deep(depth - 1) };
        assert!(block.iter().all(|&b| b == depth as u8));
        below + block.iter().map(|&b| b as u64).sum::<u64>()
    }

    #[test]
    fn deep_calls_work_after_the_release() {
        let sum = |depth: u32| (0..=depth).map(|d| d as u64 * 1024).sum::<u64>();
        std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || {
                assert_eq!(deep(100), sum(100));
                release_unused();
                // The released pages come back zeroed; frames rebuilt on
                // them must hold what they are given, here and in between.
                assert_eq!(deep(100), sum(100));
                release_unused();
                release_unused();
                assert_eq!(deep(150), sum(150));
            })
            .unwrap()
            .join()
            .unwrap();
    }

    #[test]
    fn the_live_frame_survives_its_own_release() {
        // Locals of the caller, right above the released range, are intact.
        let mut mine = [7u8; 3000];
        std::hint::black_box(&mut mine);
        deep(20);
        release_unused();
        assert!(mine.iter().all(|&b| b == 7));
        assert_eq!(deep(20), (0..=20u64).map(|d| d * 1024).sum::<u64>());
    }
}
