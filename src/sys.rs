//! Small operating-system adjustments a proxy needs.

/// Raises the soft limit on open files to the hard limit (capped where the OS needs it).
///
/// Every proxied connection takes two descriptors (client and upstream), so the common default
/// soft limit of 1024 would make a busy proxy fail around 500 connections. Servers raise it at
/// start, as Go programs and nginx do. Returns the limit in force afterwards, if known.
#[cfg(unix)]
pub fn raise_fd_limit() -> Option<u64> {
    // SAFETY: getrlimit and setrlimit only read and write the struct passed to them.
    unsafe {
        let mut limit = std::mem::zeroed::<libc::rlimit>();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return None;
        }
        let mut want = limit.rlim_max;
        // macOS refuses more than OPEN_MAX for the soft limit, whatever the hard limit says.
        if cfg!(target_os = "macos") {
            want = want.min(10_240);
        }
        if want > limit.rlim_cur {
            let raised = libc::rlimit {
                rlim_cur: want,
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                return Some(want as u64);
            }
        }
        Some(limit.rlim_cur as u64)
    }
}

/// Elsewhere there is no such limit to raise.
#[cfg(not(unix))]
pub fn raise_fd_limit() -> Option<u64> {
    None
}

#[cfg(all(test, unix))]
mod tests {
    fn limits() -> libc::rlimit {
        // SAFETY: as above.
        unsafe {
            let mut limit = std::mem::zeroed::<libc::rlimit>();
            assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit), 0);
            limit
        }
    }

    #[test]
    fn a_low_soft_limit_is_raised_to_the_hard_limit() {
        let hard = limits().rlim_max;
        let low = libc::rlimit {
            rlim_cur: hard.min(512),
            rlim_max: hard,
        };
        // SAFETY: as above.
        assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &low) }, 0);
        let expected = if cfg!(target_os = "macos") {
            hard.min(10_240)
        } else {
            hard
        };
        assert_eq!(
            super::raise_fd_limit().map(u128::from),
            Some(u128::from(expected))
        );
        assert_eq!(limits().rlim_cur, expected);
    }
}
