//! Asking glibc's allocator not to keep a cache of freed blocks per thread,
//! because this server has a thread per connection.
//!
//! glibc gives every thread a small cache of blocks it freed ("tcache": up
//! to 7 blocks of each size up to about 1 KiB), so that the next allocation
//! of that size needs no lock. A program with a few threads never notices.
//! A server with a thread per idle connection does: the lines an IRC
//! client's registration and join produce (a dozen numerics of 50 to 500
//! bytes) are freed by that connection's reader, stay in its cache, and
//! no other thread may reuse them. Measured with 1,000 idle IRC clients,
//! that is 37 KiB a connection with the caches and 17 without, and the
//! throughput rows showed no difference beyond their run-to-run noise
//! (figures in `docs/design.md`, "What each KiB of a connection is").
//!
//! glibc reads this setting only from the `GLIBC_TUNABLES` environment
//! variable when a program starts, and there is no call to change it later.
//! So the server, before it starts serving, runs itself again in place
//! (`exec`, same process id, same arguments) with the variable set. Someone
//! who wants the caches back sets it themselves (for example
//! `GLIBC_TUNABLES=glibc.malloc.tcache_count=7`): a setting already there
//! is left alone, which is also what stops a second `exec`.

/// The tunable, as glibc spells it.
pub const NO_THREAD_CACHE: &str = "glibc.malloc.tcache_count=0";

/// What `GLIBC_TUNABLES` should become, given what it is now: `None` when
/// it already says something about the thread cache.
pub fn tunables_with_no_cache(current: Option<&str>) -> Option<String> {
    match current {
        Some(tunables) if tunables.contains("glibc.malloc.tcache_count") => None,
        Some(tunables) if !tunables.is_empty() => Some(format!("{tunables}:{NO_THREAD_CACHE}")),
        _ => Some(NO_THREAD_CACHE.to_string()),
    }
}

/// Runs this program again, in place, with glibc's thread caches off
/// (see the module notes). Returns only if that is not needed or not
/// possible (then the server runs as it is: it only uses more memory).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn without_thread_caches() {
    use std::os::unix::process::CommandExt;
    let current = std::env::var("GLIBC_TUNABLES").ok();
    let Some(tunables) = tunables_with_no_cache(current.as_deref()) else {
        return;
    };
    let Ok(program) = std::env::current_exe() else {
        return;
    };
    let mut args = std::env::args_os();
    let arg0 = args
        .next()
        .unwrap_or_else(|| program.clone().into_os_string());
    // `exec` only returns on failure; the error is not worth a line.
    let _failed = std::process::Command::new(&program)
        .arg0(arg0)
        .args(args)
        .env("GLIBC_TUNABLES", tunables)
        .exec();
}

/// Elsewhere there is no glibc to ask.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn without_thread_caches() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_setting_is_added_once_and_a_users_own_is_kept() {
        assert_eq!(
            tunables_with_no_cache(None).as_deref(),
            Some(NO_THREAD_CACHE)
        );
        assert_eq!(
            tunables_with_no_cache(Some("")).as_deref(),
            Some(NO_THREAD_CACHE)
        );
        assert_eq!(
            tunables_with_no_cache(Some("glibc.malloc.arena_max=2")).as_deref(),
            Some("glibc.malloc.arena_max=2:glibc.malloc.tcache_count=0")
        );
        assert_eq!(tunables_with_no_cache(Some(NO_THREAD_CACHE)), None);
        assert_eq!(
            tunables_with_no_cache(Some("glibc.malloc.tcache_count=7")),
            None
        );
    }
}
