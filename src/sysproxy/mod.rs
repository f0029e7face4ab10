//! The operating system's proxy settings: making Wicket the system proxy, and giving the user
//! their own settings back exactly, whatever happens to the process.
//!
//! The core is platform-independent ([`plan`]): settings are keys and values in the platform's
//! own syntax. Applying reads them (the snapshot), saves the snapshot and Wicket's values to a
//! state file, then writes the keys that differ, reads them back and checks them; any failure
//! puts the snapshot back at once. Restoring writes the snapshot's value back into every key
//! that still holds Wicket's, reads back and checks, then removes the state file. The platforms
//! are thin stores of keys:
//!
//! - [`gnome`]: `org.gnome.system.proxy` through gsettings (GNOME, Cinnamon, Budgie, MATE...);
//! - [`kde`]: `kioslaverc` through kwriteconfig5/6 and kreadconfig5/6 (KDE Plasma);
//! - [`windows`]: WinINet's per-connection options, with the change broadcast;
//! - [`macos`]: networksetup, for every enabled network service.
//!
//! [`state`] is the safety net: the state file outlives a crash or `kill -9`, and the lock says
//! which process owns the settings; the next process that takes it restores what a dead owner
//! left ([`recover`]). [`tool`] runs the platforms' tools and checks every run.

pub mod gnome;
pub mod kde;
pub mod macos;
pub mod plan;
pub mod state;
pub mod tool;
pub mod windows;

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::i18n::Message;
use crate::messages as msg;

pub use plan::{Setting, Settings};
pub use state::{Lock, Saved};
pub use tool::Tools;

use plan::{changes_to_apply, mismatches, plan_restore, Same};

/// Whose proxy settings Wicket changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    /// GNOME and the desktops that share its settings: gsettings `org.gnome.system.proxy`.
    Gnome,
    /// KDE Plasma 5: kioslaverc through kwriteconfig5 and kreadconfig5.
    Kde5,
    /// KDE Plasma 6: kioslaverc through kwriteconfig6 and kreadconfig6.
    Kde6,
    /// Windows: WinINet's LAN settings.
    Windows,
    /// macOS: networksetup, every enabled network service.
    Macos,
}

/// Desktops that keep their proxy in GNOME's settings (lower case, as in XDG_CURRENT_DESKTOP).
const GNOME_FAMILY: &[&str] = &[
    "gnome",
    "gnome-classic",
    "gnome-flashback",
    "ubuntu",
    "unity",
    "cinnamon",
    "x-cinnamon",
    "budgie",
    "budgie-desktop",
    "mate",
    "pantheon",
];

impl Platform {
    /// The platform this process runs on: Windows, macOS, or on Linux and the BSDs the desktop
    /// named by `XDG_CURRENT_DESKTOP` (a desktop without a known proxy setting is unsupported).
    pub fn detect() -> Result<Platform, Unsupported> {
        if cfg!(windows) {
            return Ok(Platform::Windows);
        }
        if cfg!(target_os = "macos") {
            return Ok(Platform::Macos);
        }
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let desktop = var("XDG_CURRENT_DESKTOP")
            .or_else(|| var("XDG_SESSION_DESKTOP"))
            .or_else(|| var("DESKTOP_SESSION"))
            .unwrap_or_default();
        Platform::for_desktop(
            &desktop,
            var("KDE_SESSION_VERSION").as_deref(),
            program_exists,
        )
    }

    /// The platform for a desktop named like XDG_CURRENT_DESKTOP (`ubuntu:GNOME`, `KDE`...);
    /// `has_program` tells whether a tool is installed (to pick KDE 5 or 6 outside a session).
    pub fn for_desktop(
        desktop: &str,
        kde_session_version: Option<&str>,
        has_program: impl Fn(&str) -> bool,
    ) -> Result<Platform, Unsupported> {
        for name in desktop.split(':').map(|n| n.trim().to_ascii_lowercase()) {
            if name == "kde" || name == "plasma" {
                return Ok(match kde_session_version {
                    Some("6") => Platform::Kde6,
                    Some("5") => Platform::Kde5,
                    _ if has_program("kwriteconfig6") => Platform::Kde6,
                    _ => Platform::Kde5,
                });
            }
            if GNOME_FAMILY.contains(&name.as_str()) {
                return Ok(Platform::Gnome);
            }
        }
        Err(Unsupported {
            desktop: desktop.trim().to_string(),
        })
    }

    /// The settings Wicket changes, in words.
    pub fn name(self) -> Message {
        Message::new(match self {
            Platform::Gnome => &msg::PLATFORM_GNOME,
            Platform::Kde5 | Platform::Kde6 => &msg::PLATFORM_KDE,
            Platform::Windows => &msg::PLATFORM_WINDOWS,
            Platform::Macos => &msg::PLATFORM_MACOS,
        })
    }

    /// What Wicket writes instead of `snapshot`, with remarks on what the platform cannot take.
    pub fn wanted(self, target: &Target, snapshot: &[Setting]) -> (Settings, Vec<Message>) {
        match self {
            Platform::Gnome => gnome::wanted(target),
            Platform::Kde5 | Platform::Kde6 => kde::wanted(target),
            Platform::Windows => windows::wanted(target),
            Platform::Macos => macos::wanted(target, snapshot),
        }
    }

    /// When a value read back counts as the value written.
    pub fn same(self) -> Same<'static> {
        match self {
            Platform::Macos => &macos::same,
            _ => &plan::equal,
        }
    }
}

fn program_exists(name: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(name).is_file()))
}

/// A desktop without a proxy setting Wicket knows how to change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unsupported {
    /// The desktop's name (XDG_CURRENT_DESKTOP), empty when none was found.
    pub desktop: String,
}

impl Unsupported {
    pub fn message(&self) -> Message {
        if self.desktop.is_empty() {
            Message::new(&msg::NO_DESKTOP)
        } else {
            Message::new(&msg::UNKNOWN_DESKTOP).with("desktop", &self.desktop)
        }
    }
}

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.message().fmt(f)
    }
}

/// Where the system proxy should point: Wicket's address, and what goes direct.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The proxy's IP address as text, without brackets (a wildcard listener's loopback).
    pub host: String,
    pub port: u16,
    /// Entries as the config holds them (`localhost`, `127.0.0.0/8`, `<local>`...); each
    /// platform writes them in its own syntax and says which it cannot take.
    pub bypass: Vec<String>,
}

impl Target {
    /// The target for a proxy listening on `listen`. A listener on every address (`0.0.0.0`,
    /// `[::]`) is reached from this computer through loopback.
    pub fn new(listen: SocketAddr, bypass: &[String]) -> Target {
        let ip = match listen.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        Target {
            host: ip.to_string(),
            port: listen.port(),
            bypass: bypass.to_vec(),
        }
    }

    /// `127.0.0.1:12345`, `[::1]:12345`: what to enter as the HTTP and HTTPS proxy by hand.
    pub fn address(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// The PAC file Wicket serves, for programs and devices that take an automatic
    /// configuration URL.
    pub fn pac_url(&self) -> String {
        format!("http://{}/proxy.pac", self.address())
    }
}

/// Why the system proxy could not be set or restored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// No known proxy setting on this desktop.
    Unsupported(Unsupported),
    /// Another Wicket process owns the settings (its id, when known).
    Owned { pid: Option<u32> },
    /// The state file could not be written, read or removed.
    State(String),
    /// A tool or an OS call failed, or a value did not read back as written.
    Failed(Message),
}

impl Error {
    /// A failure a tool or the OS described (in its own words, which are not translated).
    pub fn failed(detail: impl fmt::Display) -> Error {
        Error::Failed(Message::detail(detail))
    }

    pub fn message(&self) -> Message {
        match self {
            Error::Unsupported(u) => u.message(),
            Error::Owned { pid: Some(pid) } => Message::new(&msg::OWNED_BY).with("pid", pid),
            Error::Owned { pid: None } => Message::new(&msg::OWNED),
            Error::State(m) => Message::detail(m),
            Error::Failed(m) => m.clone(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.message().fmt(f)
    }
}

impl std::error::Error for Error {}

/// What applying did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applied {
    pub platform: Platform,
    /// The proxy address now in the settings.
    pub address: String,
    /// Settings written (those that already had Wicket's value are not).
    pub written: usize,
    /// What the platform could not take (bypass entries), or could not be told.
    pub notes: Vec<Message>,
}

/// What restoring did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Restored {
    pub platform: Platform,
    /// The proxy address Wicket had set.
    pub address: String,
    /// Settings written back.
    pub written: usize,
    /// Settings changed by someone else since Wicket set them, left as they were.
    pub kept: Vec<String>,
    /// Anything worth knowing (programs that could not be told).
    pub notes: Vec<Message>,
}

/// The directory for the state and lock files: the config directory (`~/.config/wicket` on
/// Linux, next to config.json), so that it follows the user like their settings do.
pub fn default_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "Wicket").map(|d| d.config_dir().to_path_buf())
}

/// Restores settings a Wicket left changed (it crashed, was killed, or the machine went down),
/// if there are any; touches nothing when there is no state file. Fails with
/// [`Error::Owned`] while the Wicket that changed them still runs.
pub fn recover(dir: &Path, tools: &Tools) -> Result<Option<Restored>, Error> {
    if !Saved::path(dir).exists() {
        return Ok(None);
    }
    SystemProxy::claim(dir)?.with_tools(tools.clone()).restore()
}

/// The right to change this user's proxy settings, and the means.
#[derive(Debug)]
pub struct SystemProxy {
    dir: PathBuf,
    tools: Tools,
    /// Held while this value lives: no other Wicket touches the settings meanwhile.
    _lock: Lock,
}

impl SystemProxy {
    /// Takes the lock in `dir` (created if needed): [`Error::Owned`] if another live Wicket
    /// holds it. Call [`SystemProxy::restore`] next to undo what a dead one left.
    pub fn claim(dir: &Path) -> Result<SystemProxy, Error> {
        Ok(SystemProxy {
            dir: dir.to_path_buf(),
            tools: Tools::default(),
            _lock: Lock::take(dir)?,
        })
    }

    /// Runs the settings tools with these environment additions.
    pub fn with_tools(mut self, tools: Tools) -> SystemProxy {
        self.tools = tools;
        self
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether settings changed by Wicket are waiting to be restored.
    pub fn is_applied(&self) -> bool {
        Saved::path(&self.dir).exists()
    }

    /// Points `platform`'s proxy settings at `target`. The previous settings are saved first;
    /// if anything fails they are put back before this returns, and the error says so.
    pub fn apply(&self, platform: Platform, target: &Target) -> Result<Applied, Error> {
        // Settings Wicket changed earlier go back first: their snapshot is the user's own.
        self.restore()?;
        let store = Store::open(platform, &self.tools)?;
        let same = platform.same();
        let keys = store.keys()?;
        let snapshot = store.read(&keys)?;
        let (applied, mut notes) = platform.wanted(target, &snapshot);
        let changes = changes_to_apply(&snapshot, &applied, same);
        Saved {
            platform,
            pid: std::process::id(),
            address: target.address(),
            snapshot,
            applied,
        }
        .save(&self.dir)?;
        let written = (|| {
            for change in &changes {
                store.write(&change.key, change.value.as_deref())?;
            }
            let after = store.read(&keys)?;
            let wrong = mismatches(&changes, &after, same);
            if wrong.is_empty() {
                Ok(changes.len())
            } else {
                Err(Error::Failed(
                    Message::new(&msg::NOT_TAKEN)
                        .with_message("platform", platform.name())
                        .with("detail", join(&wrong)),
                ))
            }
        })();
        let written = match written {
            Ok(n) => n,
            Err(e) => {
                return Err(Error::Failed(match self.restore() {
                    Ok(_) => {
                        Message::new(&msg::FAILED_AND_RESTORED).with_message("error", e.message())
                    }
                    Err(again) => Message::new(&msg::FAILED_NOT_RESTORED)
                        .with_message("error", e.message())
                        .with_message("again", again.message()),
                }))
            }
        };
        if written > 0 {
            if let Err(e) = store.announce() {
                notes
                    .push(Message::new(&msg::NOT_ANNOUNCED_ON).with_message("detail", e.message()));
            }
        }
        Ok(Applied {
            platform,
            address: target.address(),
            written,
            notes,
        })
    }

    /// Puts back the settings the state file holds, whoever saved them (this process, or one
    /// that died); `None` when there is nothing to restore. The state file is removed only once
    /// every setting reads back as it was; otherwise it stays for the next try.
    pub fn restore(&self) -> Result<Option<Restored>, Error> {
        let Some(saved) = Saved::load(&self.dir)? else {
            return Ok(None);
        };
        let store = Store::open(saved.platform, &self.tools)?;
        let same = saved.platform.same();
        let keys: Vec<String> = saved.snapshot.iter().map(|s| s.key.clone()).collect();
        let current = store.read(&keys)?;
        let plan = plan_restore(&saved.snapshot, &saved.applied, &current, same);
        // Write every setting even if one fails: each one back is internet given back.
        let mut errors: Vec<String> = plan
            .writes
            .iter()
            .filter_map(|w| store.write(&w.key, w.value.as_deref()).err())
            .map(|e| e.to_string())
            .collect();
        let mut notes = Vec::new();
        if !plan.writes.is_empty() {
            match store.read(&keys) {
                Ok(after) => {
                    let wrong = mismatches(&plan.writes, &after, same);
                    if !wrong.is_empty() {
                        errors.push(join(&wrong));
                    }
                }
                Err(e) => errors.push(e.to_string()),
            }
            if let Err(e) = store.announce() {
                notes.push(
                    Message::new(&msg::NOT_ANNOUNCED_OFF).with_message("detail", e.message()),
                );
            }
        }
        if !errors.is_empty() {
            return Err(Error::Failed(
                Message::new(&msg::NOT_RESTORED)
                    .with_message("platform", saved.platform.name())
                    .with("detail", errors.join("; ")),
            ));
        }
        Saved::remove(&self.dir)?;
        Ok(Some(Restored {
            platform: saved.platform,
            address: saved.address,
            written: plan.writes.len(),
            kept: plan.kept,
            notes,
        }))
    }
}

fn join(items: &[impl fmt::Display]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// A platform's settings, read and written through its tools or OS calls.
enum Store<'a> {
    Gnome(gnome::Gsettings<'a>),
    Kde(kde::Kioslaverc<'a>),
    Macos(macos::Networksetup<'a>),
    #[cfg(windows)]
    Windows(windows::WinInet),
}

impl<'a> Store<'a> {
    fn open(platform: Platform, tools: &'a Tools) -> Result<Store<'a>, Error> {
        Ok(match platform {
            Platform::Gnome => Store::Gnome(gnome::Gsettings { tools }),
            Platform::Kde5 => Store::Kde(kde::Kioslaverc { tools, version: 5 }),
            Platform::Kde6 => Store::Kde(kde::Kioslaverc { tools, version: 6 }),
            Platform::Macos => Store::Macos(macos::Networksetup { tools }),
            #[cfg(windows)]
            Platform::Windows => Store::Windows(windows::WinInet),
            #[cfg(not(windows))]
            Platform::Windows => {
                return Err(Error::failed(
                    "Windows proxy settings can only be changed on Windows",
                ))
            }
        })
    }

    /// The keys of the settings, in the order they are written to switch the proxy on.
    fn keys(&self) -> Result<Vec<String>, Error> {
        let fixed = |keys: &[&str]| keys.iter().map(|k| k.to_string()).collect();
        Ok(match self {
            Store::Gnome(_) => fixed(&gnome::KEYS),
            Store::Kde(_) => fixed(&kde::KEYS),
            Store::Macos(m) => macos::keys(&m.services()?),
            #[cfg(windows)]
            Store::Windows(_) => fixed(&windows::KEYS),
        })
    }

    fn read(&self, keys: &[String]) -> Result<Settings, Error> {
        match self {
            Store::Gnome(s) => s.read(keys),
            Store::Kde(s) => s.read(keys),
            Store::Macos(s) => s.read(keys),
            #[cfg(windows)]
            Store::Windows(s) => s.read(keys),
        }
    }

    fn write(&self, key: &str, value: Option<&str>) -> Result<(), Error> {
        match self {
            Store::Gnome(s) => s.write(key, value),
            Store::Kde(s) => s.write(key, value),
            Store::Macos(s) => s.write(key, value),
            #[cfg(windows)]
            Store::Windows(s) => s.write(key, value),
        }
    }

    /// Tells running programs about the change, where the platform needs telling.
    fn announce(&self) -> Result<(), Error> {
        match self {
            Store::Kde(s) => s.announce(),
            #[cfg(windows)]
            Store::Windows(s) => s.announce(),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn desktops_map_to_their_settings() {
        let none = |_: &str| false;
        assert_eq!(
            Platform::for_desktop("GNOME", None, none),
            Ok(Platform::Gnome)
        );
        assert_eq!(
            Platform::for_desktop("ubuntu:GNOME", None, none),
            Ok(Platform::Gnome)
        );
        assert_eq!(
            Platform::for_desktop("X-Cinnamon", None, none),
            Ok(Platform::Gnome)
        );
        assert_eq!(
            Platform::for_desktop("KDE", Some("5"), none),
            Ok(Platform::Kde5)
        );
        assert_eq!(
            Platform::for_desktop("KDE", Some("6"), none),
            Ok(Platform::Kde6)
        );
        assert_eq!(
            Platform::for_desktop("KDE", None, |p| p == "kwriteconfig6"),
            Ok(Platform::Kde6)
        );
        let xfce = Platform::for_desktop("XFCE", None, none).unwrap_err();
        assert!(xfce.to_string().contains("this desktop (XFCE)"), "{xfce}");
        let nothing = Platform::for_desktop("", None, none).unwrap_err();
        assert!(
            nothing.to_string().contains("XDG_CURRENT_DESKTOP"),
            "{nothing}"
        );
    }

    #[test]
    fn targets_give_the_address_to_type_and_the_pac_url() {
        let t = Target::new("0.0.0.0:8080".parse().unwrap(), &[]);
        assert_eq!(t.address(), "127.0.0.1:8080");
        assert_eq!(t.pac_url(), "http://127.0.0.1:8080/proxy.pac");
        let v6 = Target::new("[::]:12345".parse().unwrap(), &[]);
        assert_eq!(v6.address(), "[::1]:12345");
        let lan = Target::new("192.168.1.2:3128".parse().unwrap(), &[]);
        assert_eq!(lan.host, "192.168.1.2");
    }

    #[test]
    fn every_platform_restores_its_snapshot_through_the_same_plan() {
        let bypass = ["localhost", "127.0.0.0/8", "::1", "<local>"].map(String::from);
        let target = Target::new("127.0.0.1:12345".parse().unwrap(), &bypass);
        for platform in [
            Platform::Gnome,
            Platform::Kde5,
            Platform::Windows,
            Platform::Macos,
        ] {
            // A snapshot where every key held something else.
            let keys: Vec<String> = match platform {
                Platform::Gnome => gnome::KEYS.map(String::from).to_vec(),
                Platform::Kde5 => kde::KEYS.map(String::from).to_vec(),
                Platform::Windows => windows::KEYS.map(String::from).to_vec(),
                _ => macos::keys(&["Wi-Fi".to_string()]),
            };
            let snapshot: Settings = keys
                .iter()
                .enumerate()
                .map(|(i, k)| Setting::new(k.as_str(), (i % 2 == 0).then_some("previous")))
                .collect();
            let (applied, _) = platform.wanted(&target, &snapshot);
            assert_eq!(applied.len(), snapshot.len(), "{platform:?}");
            let same = platform.same();
            let changes = changes_to_apply(&snapshot, &applied, same);
            assert_eq!(changes.len(), keys.len(), "{platform:?}");
            // The switch that turns the proxy on is written last and put back first.
            let plan = plan_restore(&snapshot, &applied, &applied, same);
            assert_eq!(plan.writes.first().unwrap().key, *keys.last().unwrap());
            let mut restored = plan.writes.clone();
            restored.reverse();
            assert_eq!(restored, snapshot, "{platform:?}");
        }
    }
}
