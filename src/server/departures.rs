//! A newcomer who asks for a name whose holder is on the way out waits for
//! that holder to leave, instead of being told the name is taken.
//!
//! Each connection has its own reader thread, so two connections are not
//! ordered. A client that closes and at once connects again under the same
//! name (irctest does between its cases, within a millisecond; so does a
//! program restarted by a script) can be read before its old connection's
//! reader has seen the close. Giving the name over at once would throw away
//! whatever the old client sent last and its reader has not acted on yet
//! (tried and measured: `docs/design.md`, "A name reused at once"). So the
//! newcomer's reader, with the lock released, waits on a `Condvar`
//! beside the state's `Mutex` — the textbook pair — until the old
//! connection has left or [`NAME_WAIT`] has passed, and only then asks for
//! the name. Only a holder whose client has closed its end is waited for
//! (`State::name_holder`, then `support/hung_up.rs`): someone still there
//! keeps their name, and the newcomer hears that it is taken after at most
//! [`HANG_UP_WAIT`], the moment a close already sent may take to arrive.
//!
//! A reader that ends tells the waiters ([`Departures::someone_left`]); it
//! costs nothing when nobody waits, which is nearly always.

use crate::chat::state::{ConnId, SharedState};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Condvar;
use std::time::Duration;

/// How long a newcomer waits for a departing holder at most. Its reader
/// only has to act on the lines already read and see the close: far less
/// than this, unless the machine is overloaded, when "taken" is the answer.
pub const NAME_WAIT: Duration = Duration::from_secs(2);

/// How long a newcomer's reader gives a holder's close to arrive before it
/// counts the holder as still there. On a busy machine the kernel can leave
/// the old connection's FIN to a `ksoftirqd` that has not run yet, while the
/// new connection was already read on the other CPU (`docs/design.md`, "A
/// name reused at once"). Someone really there costs the newcomer this
/// wait, and no one else.
pub const HANG_UP_WAIT: Duration = Duration::from_millis(250);

/// The readers waiting for someone to leave, and how they are woken.
#[derive(Default)]
pub struct Departures {
    /// Readers in [`Departures::wait_for`]: a departure with none skips the
    /// wake-up (a system call).
    waiting: AtomicUsize,
    left: Condvar,
}

impl Departures {
    /// Waits, without holding the lock, until connection `holder` has left
    /// the state or [`NAME_WAIT`] has passed.
    pub fn wait_for(&self, state: &SharedState, holder: ConnId) {
        // Counted before the lock is taken: a departure that follows our
        // look at the state (under the lock) then sees the count and wakes
        // us; one that comes before it is seen by that look.
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let guard = state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // The guard comes back when the wait ends; dropping it unlocks.
        drop(
            self.left
                .wait_timeout_while(guard, NAME_WAIT, |state| state.is_connected(holder)),
        );
        self.waiting.fetch_sub(1, Ordering::SeqCst);
    }

    /// A connection has left the state (its reader has ended): wakes the
    /// readers waiting for a departure, if any.
    pub fn someone_left(&self) {
        if self.waiting.load(Ordering::SeqCst) > 0 {
            self.left.notify_all();
        }
    }
}
