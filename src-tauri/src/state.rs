//! The app's state: the engine, the config in force and where it is saved.
//!
//! Every change goes through [`AppState::edit`] or [`AppState::set_enabled`], one at a time:
//! the new config is applied to the engine (live), saved, then published on a watch channel
//! that the window and the tray follow. No proxy logic here: the engine decides everything.
//! The system proxy follows the config and the engine ([`AppState::sync_system_proxy`]), and
//! goes back to the user's own settings first thing on the way out.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;
use wicket::{Config, Engine};

use crate::persist::{ConfigProblem, Loaded, Store};
use crate::system_proxy::{Setup, SystemProxyCtl, SystemProxyView};

/// How long requests in flight may finish when the proxy is switched off or moved.
pub const STOP_GRACE: Duration = Duration::from_secs(2);
/// How long requests in flight may finish when the app quits.
pub const QUIT_GRACE: Duration = Duration::from_secs(3);

pub struct AppState {
    pub engine: Engine,
    /// The OS proxy settings, pointed at the engine while the user wants it.
    pub system_proxy: SystemProxyCtl,
    /// Serialises changes, so saves land in the order the changes were made.
    edits: tokio::sync::Mutex<()>,
    /// The config in force; the window and the tray watch it.
    config: watch::Sender<Config>,
    store: Arc<Store>,
    /// Why the last save failed, until one succeeds: shown in the window, never swallowed.
    save_error: Mutex<Option<String>>,
    /// Why the config file was not used at start, until the user dismisses it.
    problem: Mutex<Option<ConfigProblem>>,
    /// Set once the engine has been stopped for good.
    shut_down: AtomicBool,
}

impl AppState {
    /// The state for what start-up found on disk; the engine is created but not started.
    /// System proxy settings a Wicket that died left changed are restored here, first.
    pub fn new(loaded: Loaded) -> AppState {
        AppState::with_system_proxy(loaded, Setup::detect())
    }

    /// [`AppState::new`] with the system proxy's platform and tools given (tests isolate them).
    pub fn with_system_proxy(loaded: Loaded, setup: Setup) -> AppState {
        let dir = loaded
            .store
            .path()
            .and_then(|p| p.parent())
            .map(|d| d.to_path_buf());
        let system_proxy = SystemProxyCtl::open(dir.as_deref(), setup, &loaded.config);
        AppState {
            engine: Engine::new(&loaded.config),
            system_proxy,
            edits: tokio::sync::Mutex::new(()),
            config: watch::channel(loaded.config).0,
            store: Arc::new(loaded.store),
            save_error: Mutex::new(None),
            problem: Mutex::new(loaded.problem),
            shut_down: AtomicBool::new(false),
        }
    }

    /// Loads the config file at `path` (the OS config directory in the app).
    pub fn load(path: Option<std::path::PathBuf>) -> AppState {
        AppState::new(Store::load(path))
    }

    /// [`AppState::load`] with the system proxy's platform and tools given.
    pub fn load_with(path: Option<std::path::PathBuf>, setup: Setup) -> AppState {
        AppState::with_system_proxy(Store::load(path), setup)
    }

    pub fn config(&self) -> Config {
        self.config.borrow().clone()
    }

    pub fn watch_config(&self) -> watch::Receiver<Config> {
        self.config.subscribe()
    }

    pub fn config_path(&self) -> Option<String> {
        self.store.path().map(|p| p.display().to_string())
    }

    pub fn save_error(&self) -> Option<String> {
        lock(&self.save_error).clone()
    }

    pub fn problem(&self) -> Option<ConfigProblem> {
        lock(&self.problem).clone()
    }

    pub fn dismiss_problem(&self) {
        *lock(&self.problem) = None;
    }

    /// Brings the proxy back to how it was left: on if it was on.
    pub async fn restore(&self) {
        let _edit = self.edits.lock().await;
        if self.config.borrow().enabled {
            if let Err(e) = self.engine.start().await {
                log::warn!("{e}");
            }
        }
    }

    /// Switches the proxy on or off and remembers the choice. Switching on can fail (the port
    /// is in use, say); the choice is still saved, and the engine's state tells why it is off.
    pub async fn set_enabled(&self, on: bool) -> Result<(), String> {
        let _edit = self.edits.lock().await;
        let mut next = self.config();
        next.enabled = on;
        self.commit(next).await;
        if on {
            self.engine
                .start()
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        } else {
            self.engine.stop(STOP_GRACE).await;
            Ok(())
        }
    }

    /// Turns "Use as system proxy" on or off and remembers the choice. Turning it on also turns
    /// the proxy on: the settings can only point at a proxy that runs.
    pub async fn set_system_proxy(&self, on: bool) -> SystemProxyView {
        self.edit(|c| c.system_proxy = on).await;
        if on && !self.config().enabled {
            if let Err(e) = self.set_enabled(true).await {
                log::warn!("{e}");
            }
        }
        self.sync_system_proxy().await
    }

    /// Points the system proxy at the engine, or gives the user's settings back, as the
    /// config and the engine's state now say (see [`SystemProxyCtl::reconcile`]).
    pub async fn sync_system_proxy(&self) -> SystemProxyView {
        let config = self.config();
        let engine = self.engine.state().borrow().clone();
        let quitting = self.shut_down.load(Ordering::SeqCst);
        self.system_proxy
            .reconcile(&config, &engine, quitting)
            .await
    }

    /// Changes the config with `change`, applies it live, saves it and publishes it. A new
    /// listen address moves a running (or failed) proxy there at once.
    pub async fn edit<T>(&self, change: impl FnOnce(&mut Config) -> T) -> T {
        let _edit = self.edits.lock().await;
        let before = self.config();
        let mut next = before.clone();
        let out = change(&mut next);
        if next == before {
            return out;
        }
        let moved = next.listen != before.listen;
        let enabled = next.enabled;
        self.commit(next).await;
        if moved && enabled {
            self.engine.stop(STOP_GRACE).await;
            if let Err(e) = self.engine.start().await {
                log::warn!("{e}");
            }
        }
        out
    }

    /// Gives the user's proxy settings back, stops the proxy for good and saves the config one
    /// last time. Idempotent.
    pub async fn shutdown(&self) {
        if self.shut_down.swap(true, Ordering::SeqCst) {
            return;
        }
        // First: the user's connection must not wait for requests in flight.
        self.sync_system_proxy().await;
        let _edit = self.edits.lock().await;
        self.engine.stop(QUIT_GRACE).await;
        let config = self.config();
        if let Err(e) = self.save(&config).await {
            log::warn!("{e}");
        }
    }

    /// Applies, saves and publishes `next`; call with `edits` held.
    async fn commit(&self, next: Config) {
        self.engine.apply(&next);
        let saved = self.save(&next).await;
        if let Err(e) = &saved {
            log::warn!("{e}");
        }
        *lock(&self.save_error) = saved.err();
        self.config.send_replace(next);
    }

    async fn save(&self, config: &Config) -> Result<(), String> {
        let store = self.store.clone();
        let config = config.clone();
        // The save fsyncs; keep it off the async workers.
        tokio::task::spawn_blocking(move || store.save(&config))
            .await
            .unwrap_or_else(|e| Err(format!("saving failed: {e}")))
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
