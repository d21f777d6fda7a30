//! Which addresses have a web browser on them: so that a browser's spare
//! connections are never greeted.
//!
//! Chromium opens spare connections ahead of need (on a first visit, on a
//! reload, for a second tab) and sends nothing on them until it has a
//! request. Our greeting waits [`GREETING_DELAY`] for a first line and
//! then greets; a spare connection that is greeted and later used for
//! `GET /` reads `NOTICE Welcome…` as the HTTP answer, and the person sees
//! "This page isn't working". Chromium checks a used idle connection for
//! unread bytes before reusing it, but a never-used one only for being
//! connected, so the greeting must not be sent at all.
//!
//! So the server remembers, for [`BROWSER_MEMORY`], every address that sent
//! an HTTP request or had a page's WebSocket close. A silent connection from
//! such an address is greeted after [`BROWSER_GREETING_DELAY`] instead:
//! by then Chromium has used it or closed it (it keeps an unused spare for
//! 10 s, and sweeps every 10 s). A person on `nc` at the same computer is
//! greeted as soon as they type anything, or after that delay.
//!
//! [`GREETING_DELAY`]: crate::wire::opening::GREETING_DELAY
//! [`BROWSER_GREETING_DELAY`]: crate::wire::opening::BROWSER_GREETING_DELAY

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long an address counts as "has a browser" after its last request:
/// long enough for a reload after a kick, or a second tab after a lesson's
/// break; Chromium's predictor preconnects on those too.
pub const BROWSER_MEMORY: Duration = Duration::from_secs(30 * 60);

/// Addresses remembered at most: a script cannot grow the map without
/// bound; past it, the oldest half is forgotten.
const MAX_REMEMBERED: usize = 4096;

/// Addresses and when a browser there last spoke HTTP or closed its page.
#[derive(Default)]
pub struct RecentBrowsers {
    seen: Mutex<HashMap<IpAddr, Instant>>,
}

impl RecentBrowsers {
    /// A browser at `ip` sent a request, or its page's connection ended.
    pub fn saw(&self, ip: IpAddr, now: Instant) {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.len() >= MAX_REMEMBERED {
            seen.retain(|_, at| now.saturating_duration_since(*at) < BROWSER_MEMORY);
        }
        if seen.len() >= MAX_REMEMBERED {
            let mut times: Vec<Instant> = seen.values().copied().collect();
            times.sort();
            let cut = times[times.len() / 2];
            seen.retain(|_, at| *at > cut);
        }
        seen.insert(ip, now);
    }

    /// Did a browser at `ip` speak within [`BROWSER_MEMORY`] of `now`?
    pub fn is_recent(&self, ip: IpAddr, now: Instant) -> bool {
        let seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        seen.get(&ip)
            .is_some_and(|at| now.saturating_duration_since(*at) < BROWSER_MEMORY)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_a_browser_for_a_while_after_a_request() {
        let browsers = RecentBrowsers::default();
        let ip: IpAddr = "192.168.1.20".parse().unwrap();
        let other: IpAddr = "192.168.1.21".parse().unwrap();
        let now = Instant::now();
        assert!(!browsers.is_recent(ip, now));
        browsers.saw(ip, now);
        assert!(browsers.is_recent(ip, now + Duration::from_secs(60)));
        assert!(!browsers.is_recent(other, now));
        assert!(!browsers.is_recent(ip, now + BROWSER_MEMORY));
    }

    #[test]
    fn the_memory_is_bounded() {
        let browsers = RecentBrowsers::default();
        let now = Instant::now();
        for n in 0..(MAX_REMEMBERED as u32 + 10) {
            browsers.saw(
                IpAddr::from(n.to_be_bytes()),
                now + Duration::from_millis(n.into()),
            );
        }
        let seen = browsers.seen.lock().unwrap().len();
        assert!(seen <= MAX_REMEMBERED, "{seen}");
    }
}
