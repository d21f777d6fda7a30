//! Threads that are kept and handed the next job: a pool of parked threads.
//!
//! The server gives a client with a backlog a writer thread of its own.
//! Starting a thread is not free: a `clone()`, two fresh memory maps (the
//! stack and the signal stack std gives every thread), and an exit and two
//! unmaps at the end. A class that comes and goes would pay that at every
//! visit. So a thread whose job is done does not exit: it parks here, and
//! the next job is handed to it ([`Pool::run`]). That is still one thread
//! per client that needs one; only the cost of a visit changes. The Rust
//! Book's `ThreadPool` and Apache's worker MPM keep threads the same way.
//! (Readers are kept differently: one waits for its next client in
//! `accept()` itself, see `server/readers.rs`.)
//!
//! Three rules keep the pool from becoming a cost of its own:
//! - **Parked threads retire.** A thread parked for `keep_idle` with nothing
//!   to do exits, so a quiet server gives its memory back. Parked for half a
//!   second, it gives back the stack pages its last job touched ([`stack`]).
//! - **Few are kept.** At most `max_parked` wait at once; one more that
//!   finishes its job exits instead of parking.
//! - **A budget of threads** ([`Budget`]), shared by every pool of the
//!   server and its readers: a thread is started only if the budget allows one. Linux aborts
//!   a process whose new thread cannot map its signal stack, so running out
//!   must be refused here, as an error the caller can turn into one line to
//!   the client, never reached (`server/capacity.rs` sets the budget).
//!
//! The parked threads wait on one `Condvar` for a queue of jobs, and the
//! queue never holds more jobs than there are parked threads: a job that
//! finds none starts a new thread, so no job ever waits for another one.

use crate::support::stack;
use std::collections::VecDeque;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

/// How long a parked thread waits before it gives its stack pages back.
const RELEASE_STACK_AFTER: Duration = Duration::from_millis(500);

/// What a pooled thread runs.
pub type Job = Box<dyn FnOnce() + Send + 'static>;

/// How many threads may still be started, all pools together.
#[derive(Debug)]
pub struct Budget {
    left: AtomicUsize,
}

impl Budget {
    pub fn new(threads: usize) -> Arc<Budget> {
        Arc::new(Budget {
            left: AtomicUsize::new(threads),
        })
    }

    /// Takes one thread from the budget, if one is left.
    pub(crate) fn take(&self) -> bool {
        self.left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                left.checked_sub(1)
            })
            .is_ok()
    }

    pub(crate) fn give_back(&self) {
        self.left.fetch_add(1, Ordering::SeqCst);
    }

    /// Threads that may still be started.
    #[cfg(test)]
    pub fn left(&self) -> usize {
        self.left.load(Ordering::SeqCst)
    }
}

/// A pool of threads of one kind (one name, one stack size). Cloning it
/// shares it.
#[derive(Clone)]
pub struct Pool {
    shared: Arc<Shared>,
}

struct Shared {
    name: &'static str,
    stack_bytes: usize,
    keep_idle: Duration,
    max_parked: usize,
    budget: Arc<Budget>,
    parked: Mutex<Parked>,
    job_ready: Condvar,
}

/// Behind the pool's lock.
struct Parked {
    /// Jobs handed to parked threads and not yet taken; never more than
    /// `idle`, so each has a thread waiting for it.
    jobs: VecDeque<Job>,
    /// Threads parked (waiting for a job).
    idle: usize,
    /// Threads of this pool, busy or parked.
    threads: usize,
}

impl Pool {
    /// A pool of threads named `name` (what `top -H` shows) with
    /// `stack_bytes` of stack, parked for at most `keep_idle`, at most
    /// `max_parked` of them at once, started only as `budget` allows.
    pub fn new(
        name: &'static str,
        stack_bytes: usize,
        keep_idle: Duration,
        max_parked: usize,
        budget: Arc<Budget>,
    ) -> Pool {
        Pool {
            shared: Arc::new(Shared {
                name,
                stack_bytes,
                keep_idle,
                max_parked,
                budget,
                parked: Mutex::new(Parked {
                    jobs: VecDeque::new(),
                    idle: 0,
                    threads: 0,
                }),
                job_ready: Condvar::new(),
            }),
        }
    }

    /// Runs `job` on a parked thread, or on a new one if none is free. `Err`
    /// when no thread can be had (the budget is spent, or the system
    /// refused one): the job is dropped, not run, and never waits.
    pub fn run(&self, job: Job) -> io::Result<()> {
        let shared = &self.shared;
        let mut parked = shared.lock();
        if parked.jobs.len() < parked.idle {
            parked.jobs.push_back(job);
            drop(parked);
            shared.job_ready.notify_one();
            return Ok(());
        }
        if !shared.budget.take() {
            return Err(io::Error::new(
                io::ErrorKind::WouldBlock,
                "the server's thread budget is spent (see the capacity line at start)",
            ));
        }
        // Counted before the spawn, under the lock, so `threads()` never
        // misses a thread that is starting.
        parked.threads += 1;
        drop(parked);
        let worker = Arc::clone(shared);
        let spawned = thread::Builder::new()
            .name(shared.name.into())
            .stack_size(shared.stack_bytes)
            .spawn(move || work(worker, job));
        if let Err(error) = spawned {
            shared.lock().threads -= 1;
            shared.budget.give_back();
            return Err(error);
        }
        Ok(())
    }

    /// Threads of this pool, busy or parked.
    #[cfg(test)]
    pub fn threads(&self) -> usize {
        self.shared.lock().threads
    }

    /// Threads of this pool parked, waiting for a job.
    #[cfg(test)]
    pub fn parked(&self) -> usize {
        self.shared.lock().idle
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Parked> {
        // Nothing panics while holding it; a poisoned pool is still a pool.
        self.parked.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Gives the thread back to the count and the budget however it ends,
/// a panicking job included.
struct Leaving<'a>(&'a Shared);

impl Drop for Leaving<'_> {
    fn drop(&mut self) {
        self.0.lock().threads -= 1;
        self.0.budget.give_back();
    }
}

/// A pooled thread's life: run a job, park, take the next, until parked
/// for `keep_idle` with nothing to do (or too many are parked already).
fn work(shared: Arc<Shared>, first: Job) {
    let _leaving = Leaving(&shared);
    let mut job = first;
    loop {
        job();
        let mut parked = shared.lock();
        if parked.idle >= shared.max_parked {
            return;
        }
        parked.idle += 1;
        let now = Instant::now();
        let deadline = now + shared.keep_idle;
        // The job may have gone deep (a reader's join burst); a thread
        // parked for a while keeps only the pages it needs to wait. Not at
        // once: giving pages back makes every core drop its view of them
        // (an interrupt each), which a quick next visit would pay for.
        let mut release_at = Some(now + RELEASE_STACK_AFTER);
        job = loop {
            // A job is looked for before the deadline is: a job handed to
            // this thread as it times out is still run.
            if let Some(next) = parked.jobs.pop_front() {
                parked.idle -= 1;
                break next;
            }
            let now = Instant::now();
            if release_at.is_some_and(|at| at <= now) {
                release_at = None;
                drop(parked);
                stack::release_unused();
                parked = shared.lock();
                continue;
            }
            let until = release_at.map_or(deadline, |at| at.min(deadline));
            let left = until.saturating_duration_since(now);
            if deadline <= now {
                parked.idle -= 1;
                return;
            }
            parked = match shared.job_ready.wait_timeout(parked, left) {
                Ok((parked, _)) => parked,
                Err(poisoned) => poisoned.into_inner().0,
            };
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::channel;

    fn pool(keep_idle: Duration, max_parked: usize, budget: usize) -> Pool {
        Pool::new(
            "pooled",
            64 * 1024,
            keep_idle,
            max_parked,
            Budget::new(budget),
        )
    }

    /// Waits until `check` holds, for at most five seconds.
    fn eventually(check: impl Fn() -> bool) -> bool {
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if check() {
                return true;
            }
            thread::sleep(Duration::from_millis(5));
        }
        check()
    }

    #[test]
    fn a_finished_thread_takes_the_next_job() {
        let pool = pool(Duration::from_secs(60), 8, 100);
        let (done, finished) = channel();
        for n in 0..200 {
            let done = done.clone();
            let ran = pool.run(Box::new(move || {
                done.send((n, thread::current().id())).unwrap();
            }));
            assert!(ran.is_ok());
            let (got, _) = finished.recv().unwrap();
            assert_eq!(got, n);
            // Parked again before the next job is handed out.
            assert!(eventually(|| pool.parked() == 1));
        }
        // One after the other: one thread did all 200.
        assert_eq!(pool.threads(), 1);
    }

    #[test]
    fn jobs_at_once_get_threads_of_their_own() {
        let pool = pool(Duration::from_secs(60), 8, 100);
        let gate = Arc::new((Mutex::new(false), Condvar::new()));
        let (started, seen) = channel();
        for _ in 0..5 {
            let (gate, started) = (Arc::clone(&gate), started.clone());
            pool.run(Box::new(move || {
                started.send(()).unwrap();
                let mut open = gate.0.lock().unwrap();
                while !*open {
                    open = gate.1.wait(open).unwrap();
                }
            }))
            .unwrap();
        }
        // All five run at once: none waits for another to finish.
        for _ in 0..5 {
            seen.recv_timeout(Duration::from_secs(5)).unwrap();
        }
        assert_eq!(pool.threads(), 5);
        *gate.0.lock().unwrap() = true;
        gate.1.notify_all();
        assert!(eventually(|| pool.parked() == 5));
    }

    #[test]
    fn parked_threads_retire_and_give_the_budget_back() {
        let budget = Budget::new(3);
        let pool = Pool::new(
            "pooled",
            64 * 1024,
            Duration::from_millis(50),
            8,
            Arc::clone(&budget),
        );
        pool.run(Box::new(|| {})).unwrap();
        assert!(eventually(|| pool.threads() == 0));
        assert_eq!(budget.left(), 3);
    }

    #[test]
    fn no_more_than_max_parked_wait() {
        let pool = pool(Duration::from_secs(60), 2, 100);
        let gate = Arc::new((Mutex::new(false), Condvar::new()));
        for _ in 0..4 {
            let gate = Arc::clone(&gate);
            pool.run(Box::new(move || {
                let mut open = gate.0.lock().unwrap();
                while !*open {
                    open = gate.1.wait(open).unwrap();
                }
            }))
            .unwrap();
        }
        *gate.0.lock().unwrap() = true;
        gate.1.notify_all();
        assert!(eventually(|| pool.threads() == 2 && pool.parked() == 2));
    }

    #[test]
    fn a_spent_budget_is_an_error_not_a_crash() {
        let pool = pool(Duration::from_secs(60), 8, 1);
        let gate = Arc::new((Mutex::new(false), Condvar::new()));
        let held = Arc::clone(&gate);
        pool.run(Box::new(move || {
            let mut open = held.0.lock().unwrap();
            while !*open {
                open = held.1.wait(open).unwrap();
            }
        }))
        .unwrap();
        let refused = pool.run(Box::new(|| {}));
        assert_eq!(refused.unwrap_err().kind(), io::ErrorKind::WouldBlock);
        *gate.0.lock().unwrap() = true;
        gate.1.notify_all();
        // Once the first thread is parked, it takes the next job.
        assert!(eventually(|| pool.parked() == 1));
        let (done, finished) = channel();
        pool.run(Box::new(move || done.send(()).unwrap())).unwrap();
        finished.recv_timeout(Duration::from_secs(5)).unwrap();
    }

    #[test]
    fn a_panicking_job_gives_its_thread_back() {
        let budget = Budget::new(2);
        let pool = Pool::new(
            "pooled",
            64 * 1024,
            Duration::from_secs(60),
            8,
            Arc::clone(&budget),
        );
        pool.run(Box::new(|| panic!("a job that fails"))).unwrap();
        assert!(eventually(|| pool.threads() == 0 && budget.left() == 2));
    }
}
