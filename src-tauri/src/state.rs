//! The app's state: the engine, the config in force and where it is saved.
//!
//! Every change goes through [`AppState::edit`] or [`AppState::set_enabled`], one at a time:
//! the new config is applied to the engine (live), saved, then published on a watch channel
//! that the window and the tray follow. No proxy logic here: the engine decides everything.
//! The system proxy follows the config and the engine ([`AppState::sync_system_proxy`]), and
//! goes back to the user's own settings first thing on the way out.
//!
//! Family protection lives here too: the parent's PIN ([`AppState::check_unlocked`], checked
//! by every locked command), the history database, and the tamper log, written wherever
//! protection is reduced (the proxy or the system proxy switched off, a quit...).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::watch;
use wicket::stats::unix_millis;
use wicket::{Config, Engine, Message};

use crate::history::{self, History};
use crate::lists::Staging;
use crate::messages as msg;
use crate::persist::{ConfigProblem, Loaded, Store};
use crate::pin::{self, Grants, LockView, Refusal};
use crate::system_proxy::{Setup, SystemProxyCtl, SystemProxyView};
use crate::tamper::{Reduced, Via};
use crate::views::ConfigView;

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
    save_error: Mutex<Option<Message>>,
    /// Why the config file was not used at start, until the user dismisses it.
    problem: Mutex<Option<ConfigProblem>>,
    /// Set once the engine has been stopped for good.
    shut_down: AtomicBool,
    /// The activity history, the tamper log, the heartbeat and the PIN's wrong attempts.
    pub history: Arc<History>,
    /// The windows the parent has unlocked, and until when.
    pub grants: Grants,
    /// One PIN attempt at a time, so that parallel guesses all wait their turn.
    pin_attempts: tokio::sync::Mutex<()>,
    /// The list import being sent from the window.
    pub staging: Arc<Staging>,
    /// What the tray asked the parent to confirm with the PIN, for a window that opens.
    pending: Mutex<Option<ParentAction>>,
}

/// Something the tray cannot do without the PIN: the window asks for it, then does it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ParentAction {
    Quit,
    ProxyOff,
    SystemProxyOff,
}

impl AppState {
    /// The state for what start-up found on disk; the engine is created but not started.
    /// System proxy settings a Wicket that died left changed are restored here, first.
    pub fn new(loaded: Loaded) -> AppState {
        let history = History::open(history::default_path().as_deref());
        AppState::with(loaded, Setup::detect(), history)
    }

    /// [`AppState::new`] with the system proxy's platform and tools, and the history, given
    /// (tests isolate them).
    pub fn with(loaded: Loaded, setup: Setup, history: History) -> AppState {
        let dir = loaded
            .store
            .path()
            .and_then(|p| p.parent())
            .map(|d| d.to_path_buf());
        let system_proxy = SystemProxyCtl::open(dir.as_deref(), setup, &loaded.config);
        let now = unix_millis();
        history.started(now);
        history.config_loaded(
            now,
            &loaded.config.to_json(),
            pin_hash(&loaded.config).is_some(),
        );
        if let Err(e) = history.purge(history::today(), history_days(&loaded.config)) {
            log::warn!("{e}");
        }
        AppState {
            engine: Engine::new(&loaded.config),
            system_proxy,
            edits: tokio::sync::Mutex::new(()),
            config: watch::channel(loaded.config).0,
            store: Arc::new(loaded.store),
            save_error: Mutex::new(None),
            problem: Mutex::new(loaded.problem),
            shut_down: AtomicBool::new(false),
            history: Arc::new(history),
            grants: Grants::default(),
            pin_attempts: tokio::sync::Mutex::new(()),
            staging: Arc::new(Staging::default()),
            pending: Mutex::new(None),
        }
    }

    /// Loads the config file at `path` (the OS config directory in the app).
    pub fn load(path: Option<std::path::PathBuf>) -> AppState {
        AppState::new(Store::load(path))
    }

    /// [`AppState::load`] with the system proxy's platform and tools given, and the history
    /// database at `history` (tests).
    pub fn load_with(
        path: Option<std::path::PathBuf>,
        setup: Setup,
        history: Option<std::path::PathBuf>,
    ) -> AppState {
        AppState::with(Store::load(path), setup, History::open(history.as_deref()))
    }

    pub fn config(&self) -> Config {
        self.config.borrow().clone()
    }

    /// Reads the config in force without copying it (a named list may hold 100 000 rules).
    pub fn read_config<T>(&self, read: impl FnOnce(&Config) -> T) -> T {
        read(&self.config.borrow())
    }

    /// The config as the window sees it (lists with whether they are in force now).
    pub fn view(&self) -> ConfigView {
        let policy = self.engine.policy();
        ConfigView::new(&self.config.borrow(), self.save_error(), &policy.lists_now)
    }

    /// Days of history kept (`app.history_days`, 30 by default).
    pub fn history_days(&self) -> u32 {
        history_days(&self.config.borrow())
    }

    pub fn watch_config(&self) -> watch::Receiver<Config> {
        self.config.subscribe()
    }

    pub fn config_path(&self) -> Option<String> {
        self.store.path().map(|p| p.display().to_string())
    }

    pub fn save_error(&self) -> Option<Message> {
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
    pub async fn set_enabled(&self, on: bool) -> Result<(), Message> {
        let _edit = self.edits.lock().await;
        let mut next = self.config();
        let was = next.enabled || self.engine.is_running();
        next.enabled = on;
        self.commit(next).await;
        if !on && was {
            self.reduced(Reduced::ProxyOff).await;
        }
        if on {
            self.engine
                .start()
                .await
                .map(|_| ())
                .map_err(|e| e.message())
        } else {
            self.engine.stop(STOP_GRACE).await;
            Ok(())
        }
    }

    /// Turns "Use as system proxy" on or off and remembers the choice. Turning it on also turns
    /// the proxy on: the settings can only point at a proxy that runs.
    pub async fn set_system_proxy(&self, on: bool) -> SystemProxyView {
        let was = self
            .edit(|c| std::mem::replace(&mut c.system_proxy, on))
            .await;
        if was && !on {
            self.reduced(Reduced::SystemProxyOff).await;
        }
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
    /// last time; the tamper log records the quit and how it came. Idempotent.
    pub async fn shutdown(&self, via: Via) {
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
        self.reduced(Reduced::Quit { via }).await;
        let history = self.history.clone();
        let _ = tokio::task::spawn_blocking(move || history.stopped(unix_millis())).await;
    }

    /// Records in the tamper log that protection was reduced, now.
    pub async fn reduced(&self, what: Reduced) {
        log::info!("protection reduced: {what:?}");
        let history = self.history.clone();
        let _ = tokio::task::spawn_blocking(move || history.record(unix_millis(), &what)).await;
    }

    // The parent's PIN ----------------------------------------------------------------------

    /// The PIN's hash, if one is set.
    pub fn pin_hash(&self) -> Option<String> {
        pin_hash(&self.config.borrow())
    }

    /// Ok when no PIN is set or `window` is unlocked; what every locked command checks first.
    pub fn check_unlocked(&self, window: &str) -> Result<(), Refusal> {
        if self.pin_hash().is_none() || self.grants.holds(window) {
            Ok(())
        } else {
            Err(Refusal::needs_pin())
        }
    }

    /// The lock as `window` sees it.
    pub fn lock_view(&self, window: &str) -> LockView {
        let pin_set = self.pin_hash().is_some();
        let left = self.grants.left(window);
        LockView {
            pin_set,
            unlocked: !pin_set || !left.is_zero(),
            unlocked_secs: if pin_set { left.as_secs() } else { 0 },
            wait_secs: self
                .history
                .failures()
                .wait_ms(unix_millis())
                .div_ceil(1000),
        }
    }

    /// Unlocks `window` for [`pin::UNLOCK_FOR`] if `pin` is right. Wrong attempts make the
    /// next ones wait ([`pin::delay_after`]); an attempt during the wait is not even checked.
    pub async fn unlock(&self, window: &str, pin: String) -> Result<LockView, Refusal> {
        let Some(hash) = self.pin_hash() else {
            return Ok(self.lock_view(window));
        };
        let _one = self.pin_attempts.lock().await;
        let failures = self.history.failures();
        let wait = failures.wait_ms(unix_millis());
        if wait > 0 {
            return Err(Refusal::wait(wait));
        }
        let right = tokio::task::spawn_blocking(move || pin::verify(&hash, &pin))
            .await
            .unwrap_or(false);
        if right {
            self.history.set_failures(pin::Failures::default());
            self.grants.grant(window);
            Ok(self.lock_view(window))
        } else {
            let now = unix_millis();
            let failures = pin::Failures {
                count: failures.count.saturating_add(1),
                last_ms: now,
            };
            self.history.set_failures(failures);
            log::warn!("a wrong PIN was entered ({} in a row)", failures.count);
            Err(Refusal::wrong_pin(failures.wait_ms(now)))
        }
    }

    /// Sets or changes the PIN (the caller has checked the window may); the window that set
    /// it stays unlocked.
    pub async fn set_pin(&self, window: &str, new_pin: String) -> Result<LockView, Message> {
        pin::check_new(&new_pin)?;
        let hash = tokio::task::spawn_blocking(move || pin::hash(&new_pin))
            .await
            .map_err(Message::detail)??;
        let had = self
            .edit(|c| c.app.insert(pin::APP_KEY.into(), hash.into()).is_some())
            .await;
        if had {
            self.reduced(Reduced::PinChanged).await;
        }
        self.history.set_failures(pin::Failures::default());
        self.grants.grant(window);
        Ok(self.lock_view(window))
    }

    /// Removes the PIN (the caller has checked the window may).
    pub async fn remove_pin(&self, window: &str) -> LockView {
        let had = self.edit(|c| c.app.remove(pin::APP_KEY).is_some()).await;
        if had {
            self.reduced(Reduced::PinRemoved).await;
        }
        self.grants.revoke_all();
        self.lock_view(window)
    }

    /// Remembers what the tray asked for, for the window that opens to ask the parent.
    pub fn ask_parent_later(&self, action: ParentAction) {
        *lock(&self.pending) = Some(action);
    }

    /// What the tray asked for, once.
    pub fn take_pending(&self) -> Option<ParentAction> {
        lock(&self.pending).take()
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

    async fn save(&self, config: &Config) -> Result<(), Message> {
        let store = self.store.clone();
        let history = self.history.clone();
        let config = config.clone();
        // The save fsyncs; keep it off the async workers. The history remembers what was
        // saved, to notice a file changed behind Wicket's back.
        tokio::task::spawn_blocking(move || {
            store.save(&config)?;
            history.config_saved(&config.to_json(), pin_hash(&config).is_some());
            Ok(())
        })
        .await
        .unwrap_or_else(|e| Err(Message::new(&msg::SAVE_FAILED).with("detail", e)))
    }
}

/// The PIN's hash in a config, if one is set.
pub fn pin_hash(config: &Config) -> Option<String> {
    config
        .app
        .get(pin::APP_KEY)
        .and_then(|v| v.as_str())
        .filter(|h| !h.is_empty())
        .map(str::to_string)
}

/// Days of history a config keeps.
pub fn history_days(config: &Config) -> u32 {
    config
        .app
        .get(history::APP_KEY_DAYS)
        .and_then(|v| v.as_u64())
        .and_then(|d| u32::try_from(d).ok())
        .filter(|d| history::DAYS_RANGE.contains(d))
        .unwrap_or(history::DEFAULT_DAYS)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
