//! The safety net: the state file that keeps the user's previous settings, and the lock that
//! says which process may change them.
//!
//! The state file (`system-proxy.json`, next to the config file) is written atomically before
//! the first change and removed only after a verified restore, so that a process killed at any
//! point leaves either nothing to undo or everything needed to undo it. The lock
//! (`system-proxy.lock`, an advisory lock the OS drops when its process dies, however it dies)
//! is held by the process that owns the settings; whoever takes it next restores what a dead
//! owner left behind.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::plan::Settings;
use super::{Error, Platform};

/// The state file's name, in the state directory.
pub const STATE_FILE: &str = "system-proxy.json";
/// The lock file's name, in the state directory.
pub const LOCK_FILE: &str = "system-proxy.lock";

/// What the state file holds: enough to restore the settings from another process.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Saved {
    /// Which settings were changed (the platform at the time, not the one detected later).
    pub platform: Platform,
    /// The process that changed them.
    pub pid: u32,
    /// The proxy address Wicket set, for messages.
    pub address: String,
    /// The settings before Wicket changed them: what restoring writes back.
    pub snapshot: Settings,
    /// What Wicket wrote: restoring touches only keys that still hold these values.
    pub applied: Settings,
}

impl Saved {
    pub fn path(dir: &Path) -> PathBuf {
        dir.join(STATE_FILE)
    }

    /// Reads the state file; `None` when there is none.
    pub fn load(dir: &Path) -> Result<Option<Saved>, Error> {
        let path = Saved::path(dir);
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::State(format!("cannot read {}: {e}", path.display()))),
        };
        serde_json::from_str(&text).map(Some).map_err(|e| {
            Error::State(format!(
                "{} is not a state file Wicket can use ({e}); your previous proxy settings \
                 are in it: set them back by hand (see `wicket --help`), then delete it",
                path.display()
            ))
        })
    }

    /// Writes the state file atomically (temp file, fsync, rename).
    pub fn save(&self, dir: &Path) -> Result<(), Error> {
        let path = Saved::path(dir);
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        crate::config::write_atomically(&path, text.as_bytes()).map_err(|e| {
            Error::State(format!(
                "cannot save your current proxy settings to {} ({e}), so Wicket does not \
                 change them",
                path.display()
            ))
        })
    }

    /// Removes the state file once the settings are restored.
    pub fn remove(dir: &Path) -> Result<(), Error> {
        match fs::remove_file(Saved::path(dir)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::State(format!(
                "the proxy settings are restored, but {} cannot be removed: {e}",
                Saved::path(dir).display()
            ))),
        }
    }
}

/// The right to change this user's proxy settings: an exclusive lock on the lock file, held
/// until this value is dropped or the process ends (the OS releases it even after `kill -9`).
#[derive(Debug)]
pub struct Lock {
    _file: File,
}

impl Lock {
    /// Takes the lock in `dir` (created if needed). [`Error::Owned`] when another live process
    /// holds it, with its process id when known.
    pub fn take(dir: &Path) -> Result<Lock, Error> {
        fs::create_dir_all(dir)
            .map_err(|e| Error::State(format!("cannot create {}: {e}", dir.display())))?;
        let path = dir.join(LOCK_FILE);
        let mut file = open_exclusive(&path).map_err(|e| match e {
            Refused::Held => Error::Owned {
                pid: read_pid(&path),
            },
            Refused::Io(e) => Error::State(format!("cannot lock {}: {e}", path.display())),
        })?;
        // Say who holds it, for the message another process shows.
        let _ = file.set_len(0);
        let _ = file.rewind();
        let _ = write!(file, "{}", std::process::id());
        let _ = file.flush();
        Ok(Lock { _file: file })
    }
}

enum Refused {
    Held,
    Io(io::Error),
}

#[cfg(unix)]
fn open_exclusive(path: &Path) -> Result<File, Refused> {
    use std::os::unix::io::AsRawFd;
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(Refused::Io)?;
    // SAFETY: flock on a descriptor this function owns; no memory is involved.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc == 0 {
        return Ok(file);
    }
    let e = io::Error::last_os_error();
    if e.raw_os_error() == Some(libc::EWOULDBLOCK) {
        Err(Refused::Held)
    } else {
        Err(Refused::Io(e))
    }
}

#[cfg(windows)]
fn open_exclusive(path: &Path) -> Result<File, Refused> {
    use std::os::windows::fs::OpenOptionsExt;
    // No sharing: while this handle is open nobody else can open the file; Windows closes it
    // when the process ends, however it ends.
    const ERROR_SHARING_VIOLATION: i32 = 32;
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .share_mode(0)
        .open(path)
        .map_err(|e| {
            if e.raw_os_error() == Some(ERROR_SHARING_VIOLATION) {
                Refused::Held
            } else {
                Refused::Io(e)
            }
        })
}

#[cfg(not(any(unix, windows)))]
fn open_exclusive(path: &Path) -> Result<File, Refused> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(Refused::Io)
}

fn read_pid(path: &Path) -> Option<u32> {
    let mut text = String::new();
    File::open(path).ok()?.read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sysproxy::plan::Setting;

    #[test]
    fn state_file_round_trips_and_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Saved::load(dir.path()).unwrap(), None);
        let saved = Saved {
            platform: Platform::Gnome,
            pid: 42,
            address: "127.0.0.1:12345".into(),
            snapshot: vec![
                Setting::new("mode", Some("'none'")),
                Setting::new("x", None),
            ],
            applied: vec![Setting::new("mode", Some("'manual'"))],
        };
        saved.save(dir.path()).unwrap();
        assert_eq!(Saved::load(dir.path()).unwrap(), Some(saved));
        Saved::remove(dir.path()).unwrap();
        Saved::remove(dir.path()).unwrap();
        assert_eq!(Saved::load(dir.path()).unwrap(), None);
    }

    #[test]
    fn a_broken_state_file_is_an_error_that_names_it() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(Saved::path(dir.path()), "{oops").unwrap();
        let err = Saved::load(dir.path()).unwrap_err().to_string();
        assert!(err.contains(STATE_FILE), "{err}");
    }

    #[test]
    fn the_lock_is_exclusive_and_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let lock = Lock::take(dir.path()).unwrap();
        // flock locks belong to open file descriptions: a second open in this process conflicts
        // like another process would.
        match Lock::take(dir.path()) {
            Err(Error::Owned { pid }) => assert_eq!(pid, Some(std::process::id())),
            other => panic!("expected Owned, got {other:?}"),
        }
        drop(lock);
        Lock::take(dir.path()).unwrap();
    }
}
