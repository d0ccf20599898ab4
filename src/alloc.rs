//! Process-wide allocator settings for the command line (mimalloc is its global
//! allocator, see `src/main.rs`).
//!
//! Two of mimalloc's defaults cost memory and time on Linux here: transparent huge
//! pages (with THP `always`, every first touch of a 2 MiB region faults in and
//! clears the whole huge page: a quarter of `render --all`'s CPU time was the
//! kernel clearing pages) and eagerly committed arenas. [`tune`] turns both off,
//! unless the user chose otherwise through mimalloc's own environment variables.

use std::os::raw::{c_int, c_long};

/// `mi_option_arena_eager_commit` in mimalloc's `mi_option_e` (v2 and v3).
const ARENA_EAGER_COMMIT: c_int = 4;
/// `mi_option_allow_thp` in mimalloc v3's `mi_option_e`.
const ALLOW_THP: c_int = 43;

/// Apply the settings: call first thing in `main`, before the work allocates.
/// An option whose `MIMALLOC_*` variable is set is left as the variable says.
pub fn tune() {
    if std::env::var_os("MIMALLOC_ALLOW_THP").is_none() {
        // SAFETY: mi_option_set only stores the value; ALLOW_THP is a valid option.
        unsafe { libmimalloc_sys::mi_option_set(ALLOW_THP, 0) };
        // mimalloc disables THP for the process only at its own start (before
        // `main`, from the variable): do what it would have done. Inherited by
        // child processes (the external kustomize, the Rego worker).
        #[cfg(target_os = "linux")]
        // SAFETY: PR_SET_THP_DISABLE takes no pointers; failure leaves THP as it was.
        unsafe {
            libc::prctl(libc::PR_SET_THP_DISABLE, 1 as libc::c_ulong, 0, 0, 0)
        };
    }
    if std::env::var_os("MIMALLOC_ARENA_EAGER_COMMIT").is_none() {
        // SAFETY: as above; 0 commits arena memory on demand.
        unsafe { libmimalloc_sys::mi_option_set(ARENA_EAGER_COMMIT, 0 as c_long) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The option numbers are mimalloc's: their defaults are the documented ones
    /// (arena eager commit 2, THP allowed 1; the test process does not call `tune`).
    #[test]
    fn option_numbers_match_mimalloc() {
        // SAFETY: reading an option has no preconditions.
        let (eager, thp) = unsafe {
            (
                libmimalloc_sys::mi_option_get(ARENA_EAGER_COMMIT),
                libmimalloc_sys::mi_option_get(ALLOW_THP),
            )
        };
        if std::env::var_os("MIMALLOC_ARENA_EAGER_COMMIT").is_none() {
            assert_eq!(eager, 2);
        }
        if std::env::var_os("MIMALLOC_ALLOW_THP").is_none() {
            assert_eq!(thp, 1);
        }
    }
}
