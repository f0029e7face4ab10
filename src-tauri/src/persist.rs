//! Where the config lives on disk: the CLI's own file (`config.json` in the OS config
//! directory), read at start and saved atomically after every change.
//!
//! A file that cannot be used is never overwritten: a broken one is moved aside (next to it,
//! with a `.broken-<time>` suffix) and reported with its line and column; when it cannot even be
//! moved or read, saving is switched off for the session instead.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use wicket::{Config, ConfigError, Message};

use crate::messages as msg;

/// Why the config file was not used at start, as the window shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ConfigProblem {
    /// The config file.
    pub path: String,
    /// What is wrong, with the field when known (the engine's message).
    pub message: String,
    /// 1-based position of the error in the file, for a file that could be read.
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// Where the broken file was moved, so that nothing the user wrote is lost.
    pub kept_as: Option<String>,
}

/// The config file and whether Wicket may write it.
#[derive(Debug)]
pub struct Store {
    /// None when the OS has no config directory (no HOME): changes then live in memory only.
    path: Option<PathBuf>,
    /// Cleared when writing could destroy a file the user has to look at first.
    writable: bool,
}

/// What start-up found.
pub struct Loaded {
    pub config: Config,
    pub store: Store,
    pub problem: Option<ConfigProblem>,
}

impl Store {
    /// Reads the config at `path`; a missing file means defaults, a broken one defaults plus a
    /// problem report.
    pub fn load(path: Option<PathBuf>) -> Loaded {
        let Some(path) = path else {
            log::warn!("no config directory: settings will not be saved");
            return Loaded {
                config: Config::default(),
                store: Store {
                    path: None,
                    writable: false,
                },
                problem: None,
            };
        };
        let fresh = |writable: bool, problem: Option<ConfigProblem>, path: PathBuf| Loaded {
            config: Config::default(),
            store: Store {
                path: Some(path),
                writable,
            },
            problem,
        };
        match Config::load(&path) {
            Ok(config) => Loaded {
                config,
                store: Store {
                    path: Some(path),
                    writable: true,
                },
                problem: None,
            },
            Err(ConfigError::NotFound(_)) => fresh(true, None, path),
            Err(ConfigError::Invalid(invalid)) => {
                let message = match &invalid.field {
                    Some(field) => format!("{field}: {}", invalid.message),
                    None => invalid.message.clone(),
                };
                let aside = aside_name(&path);
                let moved = fs::rename(&path, &aside);
                let mut problem = ConfigProblem {
                    path: path.display().to_string(),
                    message,
                    line: Some(invalid.line),
                    column: Some(invalid.column),
                    kept_as: None,
                };
                match moved {
                    Ok(()) => {
                        log::warn!(
                            "config file {}:{}:{}: {}; kept as {} and started on defaults",
                            path.display(),
                            invalid.line,
                            invalid.column,
                            problem.message,
                            aside.display()
                        );
                        problem.kept_as = Some(aside.display().to_string());
                        fresh(true, Some(problem), path)
                    }
                    Err(e) => {
                        log::warn!(
                            "config file {} is broken and cannot be moved aside ({e}): \
                             settings will not be saved",
                            path.display()
                        );
                        fresh(false, Some(problem), path)
                    }
                }
            }
            Err(e @ ConfigError::Io { .. }) => {
                log::warn!("{e}: settings will not be saved");
                let problem = ConfigProblem {
                    path: path.display().to_string(),
                    message: e.to_string(),
                    line: None,
                    column: None,
                    kept_as: None,
                };
                fresh(false, Some(problem), path)
            }
        }
    }

    /// A store that never touches the disk (tests, or no config directory).
    pub fn in_memory() -> Store {
        Store {
            path: None,
            writable: false,
        }
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Saves atomically (the engine writes a temp file and renames it over the old one).
    pub fn save(&self, config: &Config) -> Result<(), Message> {
        match &self.path {
            Some(path) if self.writable => config
                .save(path)
                .map_err(|e| Message::new(&msg::SAVE_FAILED).with("detail", e)),
            Some(path) => Err(Message::new(&msg::SAVE_KEPT_BROKEN).with("path", path.display())),
            None => Err(Message::new(&msg::SAVE_NO_DIRECTORY)),
        }
    }
}

/// `config.json` -> `config.json.broken-<unix seconds>` (a number that never repeats a name
/// in practice; a second broken file in the same second gets a counter).
fn aside_name(path: &Path) -> PathBuf {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let base = format!("{}.broken-{secs}", path.display());
    let mut candidate = PathBuf::from(&base);
    let mut n = 1;
    while candidate.exists() {
        candidate = PathBuf::from(format!("{base}-{n}"));
        n += 1;
    }
    candidate
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_file_starts_on_defaults_and_saves_there() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wicket/config.json");
        let loaded = Store::load(Some(path.clone()));
        assert_eq!(loaded.config, Config::default());
        assert!(loaded.problem.is_none());
        loaded.store.save(&loaded.config).unwrap();
        assert_eq!(Config::load(&path).unwrap(), Config::default());
    }

    #[test]
    fn broken_file_is_reported_with_position_and_kept_aside() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        let text = "{\n  \"block\": [\"ok.com\", \"bad..com\"]\n}\n";
        fs::write(&path, text).unwrap();
        let loaded = Store::load(Some(path.clone()));
        assert_eq!(loaded.config, Config::default());
        let problem = loaded.problem.expect("a problem");
        assert_eq!(problem.line, Some(2));
        assert!(problem.message.contains("bad..com"), "{problem:?}");
        let kept = PathBuf::from(problem.kept_as.expect("kept aside"));
        assert_eq!(fs::read_to_string(kept).unwrap(), text);
        assert!(!path.exists());
        // The next save writes a fresh file; the broken one stays where it was put.
        loaded.store.save(&loaded.config).unwrap();
        assert!(path.exists());
    }

    #[test]
    fn unreadable_file_is_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        // A directory where the file should be: reading fails with an I/O error.
        let path = dir.path().join("config.json");
        fs::create_dir(&path).unwrap();
        let loaded = Store::load(Some(path.clone()));
        assert!(loaded.problem.is_some());
        let err = loaded.store.save(&loaded.config).unwrap_err();
        assert!(err.to_string().contains("not saved"), "{err}");
        assert!(path.is_dir());
    }
}
