//! "Use as system proxy": the OS proxy settings follow the user's switch and the engine.
//!
//! They point at Wicket only while the switch is on *and* the proxy runs: when the engine is
//! switched off, fails to listen, or moves, the user's own settings go back at once (and Wicket's
//! come again at the new address). The engine crate's [`wicket::sysproxy`] does the work (state
//! file, checked writes, exact restore); this module decides when, runs it off the async workers,
//! and publishes what happened for the window and the tray.
//!
//! The process takes the settings' lock when it starts and keeps it: it restores what a Wicket
//! that crashed left behind before anything else, and no second Wicket touches them meanwhile.

use std::path::Path;
use std::sync::Arc;

use serde::Serialize;
use tokio::sync::watch;
use wicket::sysproxy::{self, Platform, SystemProxy, Target, Tools};
use wicket::{Config, EngineState, Message};

use crate::messages as msg;

/// Where the OS settings are and how to reach them; [`Setup::detect`] in the app, an isolated
/// settings backend in tests.
#[derive(Clone, Debug)]
pub struct Setup {
    /// The platform's settings, or why this desktop has none Wicket knows.
    pub platform: Result<Platform, Message>,
    /// Environment for the settings tools (gsettings, kwriteconfig5...).
    pub tools: Tools,
}

impl Setup {
    /// This computer's desktop, and the tools in Wicket's own environment.
    pub fn detect() -> Setup {
        Setup {
            platform: Platform::detect().map_err(|e| e.message()),
            tools: Tools::default(),
        }
    }
}

/// Where the system proxy is, as the window and the tray show it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// The switch is off: the user's own settings are in force.
    Off,
    /// The settings point at Wicket.
    On,
    /// The switch is on, the proxy is not running: the user's own settings are in force until
    /// it runs.
    Waiting,
    /// Setting them failed (the user's own settings were put back).
    Failed,
    /// This desktop has no setting Wicket can change, or another Wicket owns it.
    Unavailable,
}

/// The system proxy, for the window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SystemProxyView {
    /// The user's switch (saved in the config as `system_proxy`).
    pub wanted: bool,
    pub phase: Phase,
    /// Which settings Wicket changes, in words ("GNOME proxy settings (gsettings)").
    pub platform: Option<Message>,
    /// Why the settings cannot be changed here, whether or not the switch is on.
    pub unavailable: Option<Message>,
    /// What went wrong with the last change, in the engine's words.
    pub error: Option<Message>,
    /// What the platform could not take (bypass entries it has no form for...).
    pub notes: Vec<Message>,
    /// The address to enter by hand as the HTTP and HTTPS proxy.
    pub address: String,
    /// Wicket's PAC file, for programs that take an automatic configuration URL.
    pub pac_url: String,
    /// Settings a Wicket that did not quit cleanly had left, given back at this start.
    pub recovered: Option<Message>,
}

/// What the last change did.
#[derive(Default)]
struct Current {
    /// Where the settings point now (none: the user's own are in force).
    applied: Option<Target>,
    /// A target that failed: not retried until something changes.
    failed_for: Option<Target>,
    error: Option<Message>,
    notes: Vec<Message>,
}

/// The system proxy of this app.
pub struct SystemProxyCtl {
    /// The settings' lock and tools, or why this process may not change them.
    proxy: Result<Arc<SystemProxy>, Message>,
    /// The process that holds the lock instead of this one, when it is another Wicket.
    owner: Option<Option<u32>>,
    platform: Result<Platform, Message>,
    /// Serialises changes; holds what the last one did.
    current: tokio::sync::Mutex<Current>,
    recovered: Option<Message>,
    view: watch::Sender<SystemProxyView>,
}

impl SystemProxyCtl {
    /// Takes the settings' lock in `dir` (next to the config file) and restores what a Wicket
    /// that died left changed. Blocks for as long as that takes (a few tool runs at most).
    pub fn open(dir: Option<&Path>, setup: Setup, config: &Config) -> SystemProxyCtl {
        let mut owner = None;
        let mut recovered = None;
        let mut error = None;
        let proxy = match dir {
            None => Err(Message::new(&msg::SYSTEM_PROXY_NO_DIRECTORY)),
            Some(dir) => match SystemProxy::claim(dir) {
                Ok(proxy) => {
                    let proxy = proxy.with_tools(setup.tools);
                    match proxy.restore() {
                        Ok(Some(r)) => {
                            let text = Message::new(&msg::SYSTEM_PROXY_RECOVERED)
                                .with_message("platform", r.platform.name())
                                .with("address", r.address);
                            log::info!("{text}");
                            recovered = Some(text);
                        }
                        Ok(None) => {}
                        Err(e) => {
                            log::error!("{e}");
                            error = Some(
                                Message::new(&msg::SYSTEM_PROXY_NOT_RECOVERED)
                                    .with_message("error", e.message()),
                            );
                        }
                    }
                    Ok(Arc::new(proxy))
                }
                Err(e) => {
                    if let sysproxy::Error::Owned { pid } = e {
                        owner = Some(pid);
                    }
                    Err(e.message())
                }
            },
        };
        let ctl = SystemProxyCtl {
            proxy,
            owner,
            platform: setup.platform,
            current: tokio::sync::Mutex::new(Current {
                error,
                ..Current::default()
            }),
            recovered,
            view: watch::channel(SystemProxyView::placeholder()).0,
        };
        let first = ctl.view_of(config, &Current::default());
        ctl.view.send_replace(first);
        ctl
    }

    /// The other Wicket that owns the settings, if one does (its process id when known).
    pub fn owner(&self) -> Option<Option<u32>> {
        self.owner
    }

    pub fn view(&self) -> SystemProxyView {
        self.view.borrow().clone()
    }

    pub fn watch(&self) -> watch::Receiver<SystemProxyView> {
        self.view.subscribe()
    }

    /// Brings the settings in line with the switch and the engine: Wicket's while the switch is
    /// on and the proxy runs (and not `quitting`), the user's own otherwise. Returns the view.
    pub async fn reconcile(
        &self,
        config: &Config,
        engine: &EngineState,
        quitting: bool,
    ) -> SystemProxyView {
        // `enabled` too: switching the proxy off gives the settings back before the engine has
        // finished its requests in flight, so nothing new is sent to a proxy that is stopping.
        let desired = match engine {
            EngineState::Running { address }
                if config.system_proxy && config.enabled && !quitting =>
            {
                Some(Target::new(*address, &config.bypass))
            }
            _ => None,
        };
        let mut current = self.current.lock().await;
        if let (Ok(proxy), Ok(platform)) = (&self.proxy, self.platform.clone()) {
            match desired {
                Some(target)
                    if current.applied.as_ref() != Some(&target)
                        && current.failed_for.as_ref() != Some(&target) =>
                {
                    let proxy = proxy.clone();
                    let to = target.clone();
                    match blocking(move || proxy.apply(platform, &to)).await {
                        Ok(applied) => {
                            log::info!(
                                "the {} point at {}",
                                applied.platform.name(),
                                applied.address
                            );
                            current.applied = Some(target);
                            current.failed_for = None;
                            current.error = None;
                            current.notes = applied.notes;
                        }
                        Err(e) => {
                            log::warn!("system proxy: {e}");
                            current.applied = None;
                            current.failed_for = Some(target);
                            current.error = Some(e);
                            current.notes.clear();
                        }
                    }
                }
                Some(_) => {}
                None => {
                    // Switched off, or the proxy stopped: a later "on" tries again.
                    current.failed_for = None;
                    if proxy.is_applied() {
                        let proxy = proxy.clone();
                        match blocking(move || proxy.restore()).await {
                            Ok(_) => {
                                log::info!("system proxy settings restored");
                                current.error = None;
                            }
                            Err(e) => {
                                log::error!("system proxy: {e}");
                                current.error = Some(
                                    Message::new(&msg::SYSTEM_PROXY_NOT_RESTORED)
                                        .with_message("error", e),
                                );
                            }
                        }
                    } else if !config.system_proxy {
                        current.error = None;
                    }
                    current.applied = None;
                    current.notes.clear();
                }
            }
        }
        let view = self.view_of(config, &current);
        self.view.send_if_modified(|shown| {
            let changed = *shown != view;
            *shown = view.clone();
            changed
        });
        view
    }

    fn view_of(&self, config: &Config, current: &Current) -> SystemProxyView {
        let target = Target::new(config.listen, &config.bypass);
        let unavailable = match (&self.platform, &self.proxy) {
            (Err(e), _) | (_, Err(e)) => Some(e.clone()),
            _ => None,
        };
        let phase = if !config.system_proxy {
            Phase::Off
        } else if unavailable.is_some() {
            Phase::Unavailable
        } else if current.error.is_some() {
            Phase::Failed
        } else if current.applied.is_some() {
            Phase::On
        } else {
            Phase::Waiting
        };
        SystemProxyView {
            wanted: config.system_proxy,
            phase,
            platform: self.platform.as_ref().ok().map(|p| p.name()),
            unavailable,
            error: current.error.clone(),
            notes: current.notes.clone(),
            address: target.address(),
            pac_url: target.pac_url(),
            recovered: self.recovered.clone(),
        }
    }
}

impl SystemProxyView {
    fn placeholder() -> SystemProxyView {
        SystemProxyView {
            wanted: false,
            phase: Phase::Off,
            platform: None,
            unavailable: None,
            error: None,
            notes: Vec::new(),
            address: String::new(),
            pac_url: String::new(),
            recovered: None,
        }
    }
}

/// Runs a settings change on the blocking pool (it runs tools and waits for them).
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, sysproxy::Error> + Send + 'static,
) -> Result<T, Message> {
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result.map_err(|e| e.message()),
        Err(e) => Err(Message::new(&msg::SYSTEM_PROXY_UNFINISHED).with("detail", e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctl(platform: Result<Platform, Message>) -> (SystemProxyCtl, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let setup = Setup {
            platform,
            tools: Tools::default(),
        };
        (
            SystemProxyCtl::open(Some(dir.path()), setup, &Config::default()),
            dir,
        )
    }

    #[tokio::test]
    async fn an_unknown_desktop_is_unavailable_with_the_address_to_type() {
        let (ctl, _dir) = ctl(Err(Message::detail(
            "this desktop (XFCE) has no system proxy setting",
        )));
        let config = Config {
            system_proxy: true,
            ..Config::default()
        };
        let running = EngineState::Running {
            address: config.listen,
        };
        let view = ctl.reconcile(&config, &running, false).await;
        assert_eq!(view.phase, Phase::Unavailable);
        assert!(view
            .unavailable
            .unwrap()
            .to_string()
            .starts_with("this desktop (XFCE)"));
        assert_eq!(view.address, "127.0.0.1:12345");
        assert_eq!(view.pac_url, "http://127.0.0.1:12345/proxy.pac");
    }

    #[tokio::test]
    async fn the_switch_waits_for_the_proxy_to_run() {
        let (ctl, _dir) = ctl(Ok(Platform::Gnome));
        let config = Config {
            system_proxy: true,
            ..Config::default()
        };
        let view = ctl.reconcile(&config, &EngineState::Stopped, false).await;
        assert_eq!(view.phase, Phase::Waiting);
        let off = ctl
            .reconcile(&Config::default(), &EngineState::Stopped, false)
            .await;
        assert_eq!(off.phase, Phase::Off);
    }

    #[test]
    fn a_second_process_learns_who_owns_the_settings() {
        let (first, dir) = ctl(Ok(Platform::Gnome));
        let setup = Setup {
            platform: Ok(Platform::Gnome),
            tools: Tools::default(),
        };
        let second = SystemProxyCtl::open(Some(dir.path()), setup, &Config::default());
        assert_eq!(second.owner(), Some(Some(std::process::id())));
        assert!(second
            .view()
            .unavailable
            .unwrap()
            .to_string()
            .starts_with("another Wicket"));
        assert_eq!(first.owner(), None);
    }
}
