//! The engine API the CLI and the desktop app drive: start and stop the proxy, change its rules
//! and settings while it runs, subscribe to events, read the stats, watch its state.
//!
//! An `Engine` outlives its listener: stopping and starting again keeps the stats, the event
//! subscribers and the rules. Rule and setting changes apply to the next request on every open
//! connection, without dropping any.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arc_swap::ArcSwap;
use serde::Serialize;
use tokio::net::TcpListener;
use tokio::sync::{broadcast, watch, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::Config;
use crate::i18n::Message;
use crate::messages as msg;
use crate::policy::Policy;
use crate::schedule::WeekTime;
use crate::server::{accept_loop, Listener, Settings, Shared};
use crate::stats::{Event, Hub, StatsSnapshot};
use crate::upstream::{Pool, SelfAddr};

/// How often idle upstream connections are checked (expired ones closed) and schedules are
/// looked at (a list switching on or off takes effect within this time).
const HOUSEKEEPING_INTERVAL: Duration = Duration::from_secs(5);

/// The time schedules are evaluated at: the local clock, unless a test pinned it.
#[derive(Default)]
struct Clock {
    pinned: Mutex<Option<WeekTime>>,
}

impl Clock {
    fn now(&self) -> WeekTime {
        let pinned = *self.pinned.lock().unwrap_or_else(|e| e.into_inner());
        pinned.unwrap_or_else(WeekTime::now)
    }
}

/// Rebuilds the policy when a schedule has switched a named list on or off since it was built.
fn follow_schedules(shared: &Shared, config: &Mutex<Config>, now: WeekTime) {
    let config = config.lock().unwrap_or_else(|e| e.into_inner());
    if config.lists.iter().all(|l| l.schedule.is_empty()) {
        return;
    }
    let current = shared.policy.load();
    let built: Vec<bool> = current.lists_now.iter().map(|l| l.in_force).collect();
    if Policy::lists_key(&config, now) != built {
        shared.policy.store(Arc::new(Policy::at(&config, now)));
    }
}

/// Where the engine is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum EngineState {
    Stopped,
    Running {
        address: SocketAddr,
    },
    /// The last start failed (the address is in use, say); the message says why.
    Failed {
        error: Message,
    },
}

/// The listener could not be opened.
#[derive(Debug)]
pub struct StartError {
    pub address: SocketAddr,
    pub source: io::Error,
}

impl StartError {
    /// Why, for the person who chose the address.
    pub fn message(&self) -> Message {
        let entry = match self.source.kind() {
            io::ErrorKind::AddrInUse => &msg::LISTEN_IN_USE,
            io::ErrorKind::AddrNotAvailable => &msg::LISTEN_NO_SUCH_ADDRESS,
            io::ErrorKind::PermissionDenied => &msg::LISTEN_PERMISSION,
            _ => &msg::LISTEN_OTHER,
        };
        Message::new(entry)
            .with("address", self.address)
            .with("detail", &self.source)
    }
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.message().fmt(f)
    }
}

impl std::error::Error for StartError {}

/// A running listener.
struct Running {
    address: SocketAddr,
    /// Stop accepting; connections close after their current request.
    shutdown: CancellationToken,
    /// End every connection now.
    hard: CancellationToken,
    tracker: TaskTracker,
}

/// A handle to the proxy engine; clones share the same engine.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    shared: Arc<Shared>,
    /// The config in force: its listen address and connection limit are used at the next
    /// start, and the policy is rebuilt from it when a schedule switches a list on or off.
    config: Arc<Mutex<Config>>,
    running: tokio::sync::Mutex<Option<Running>>,
    state: watch::Sender<EngineState>,
    aggregator_started: AtomicBool,
    /// What "now" is for the schedules (shared with the housekeeping task).
    clock: Arc<Clock>,
}

impl Engine {
    /// An engine configured by `config`, not yet listening.
    pub fn new(config: &Config) -> Engine {
        Engine::with_config(config.clone())
    }

    /// [`Engine::new`], keeping `config` itself rather than a copy (a 100 000-rule list is
    /// then held once by the engine, besides its index).
    pub fn with_config(config: Config) -> Engine {
        let shared = Arc::new(Shared {
            policy: ArcSwap::from_pointee(Policy::from_config(&config)),
            settings: ArcSwap::from_pointee(Settings::from_config(&config)),
            hub: Arc::new(Hub::default()),
            pool: Pool::default(),
            per_client: Default::default(),
        });
        Engine {
            inner: Arc::new(Inner {
                shared,
                config: Arc::new(Mutex::new(config)),
                running: tokio::sync::Mutex::new(None),
                state: watch::channel(EngineState::Stopped).0,
                aggregator_started: AtomicBool::new(false),
                clock: Arc::default(),
            }),
        }
    }

    /// Applies a new config: rules and per-request settings at once, for every connection;
    /// the listen address and connection limit at the next `start` (restart to move the port).
    pub fn apply(&self, config: &Config) {
        // Under the config lock, so a schedule check cannot rebuild from the old config after
        // the new policy is in.
        let mut current = self.inner.config.lock().unwrap_or_else(|e| e.into_inner());
        let shared = &self.inner.shared;
        shared
            .policy
            .store(Arc::new(Policy::at(config, self.inner.clock.now())));
        shared
            .settings
            .store(Arc::new(Settings::from_config(config)));
        *current = config.clone();
    }

    /// Stops the clock at `at` and re-evaluates the schedules: lists switch on or off for every
    /// connection at once, and stay as `at` says (tests). Otherwise the engine follows the local
    /// time by itself, every few seconds.
    pub fn follow_schedules_at(&self, at: WeekTime) {
        *self
            .inner
            .clock
            .pinned
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(at);
        follow_schedules(&self.inner.shared, &self.inner.config, at);
    }

    /// The rules in force.
    pub fn policy(&self) -> Arc<Policy> {
        self.inner.shared.policy.load_full()
    }

    /// Starts listening; returns the bound address (useful with port 0). Starting a running
    /// engine returns its address.
    pub async fn start(&self) -> Result<SocketAddr, StartError> {
        let mut running = self.inner.running.lock().await;
        if let Some(r) = running.as_ref() {
            return Ok(r.address);
        }
        if !self.inner.aggregator_started.swap(true, Ordering::SeqCst) {
            self.inner.shared.hub.spawn_aggregator();
        }
        // Schedules may have moved on while the engine was stopped.
        follow_schedules(
            &self.inner.shared,
            &self.inner.config,
            self.inner.clock.now(),
        );
        let (address, max_connections) = {
            let config = self.inner.config.lock().unwrap_or_else(|e| e.into_inner());
            (config.listen, config.max_connections)
        };
        let socket = match TcpListener::bind(address).await {
            Ok(socket) => socket,
            Err(source) => {
                let err = StartError { address, source };
                self.set_state(EngineState::Failed {
                    error: err.message(),
                });
                return Err(err);
            }
        };
        let bound = socket.local_addr().unwrap_or(address);
        let shutdown = CancellationToken::new();
        let hard = CancellationToken::new();
        let tracker = TaskTracker::new();
        let listener = Listener {
            own: SelfAddr(bound),
            shutdown: shutdown.clone(),
        };
        tracker.spawn(accept_loop(
            socket,
            self.inner.shared.clone(),
            listener,
            Arc::new(Semaphore::new(max_connections)),
            hard.clone(),
            tracker.clone(),
        ));
        let shared = self.inner.shared.clone();
        let config = self.inner.config.clone();
        let clock = self.inner.clock.clone();
        let housekeeping = shutdown.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(HOUSEKEEPING_INTERVAL);
            loop {
                tokio::select! {
                    _ = tick.tick() => {
                        shared.pool.sweep();
                        follow_schedules(&shared, &config, clock.now());
                    }
                    _ = housekeeping.cancelled() => return,
                }
            }
        });
        *running = Some(Running {
            address: bound,
            shutdown,
            hard,
            tracker,
        });
        self.set_state(EngineState::Running { address: bound });
        Ok(bound)
    }

    /// Stops listening at once; requests in flight get `grace` to finish, then every connection
    /// is closed. Returns when all connection tasks have ended and the port is free.
    pub async fn stop(&self, grace: Duration) {
        let mut running = self.inner.running.lock().await;
        let Some(r) = running.take() else {
            // Stopping after a failed start: the engine is simply off now.
            if matches!(*self.inner.state.borrow(), EngineState::Failed { .. }) {
                self.set_state(EngineState::Stopped);
            }
            return;
        };
        r.shutdown.cancel();
        r.tracker.close();
        if tokio::time::timeout(grace, r.tracker.wait()).await.is_err() {
            r.hard.cancel();
            r.tracker.wait().await;
        }
        self.inner.shared.pool.clear();
        self.set_state(EngineState::Stopped);
    }

    /// The address the proxy listens on, while it runs.
    pub fn address(&self) -> Option<SocketAddr> {
        match &*self.inner.state.borrow() {
            EngineState::Running { address } => Some(*address),
            _ => None,
        }
    }

    pub fn is_running(&self) -> bool {
        self.address().is_some()
    }

    /// Watches the engine's state (running, stopped, failed).
    pub fn state(&self) -> watch::Receiver<EngineState> {
        self.inner.state.subscribe()
    }

    /// Events: one per finished request, and state changes. A subscriber that falls more than
    /// `stats::EVENT_CAPACITY` events behind loses the oldest and is told how many.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.inner.shared.hub.subscribe()
    }

    /// All counters, top hosts and the per-second series, now.
    pub fn stats(&self) -> StatsSnapshot {
        self.inner.shared.hub.snapshot()
    }

    fn set_state(&self, state: EngineState) {
        self.inner.shared.hub.publish(Event::State(state.clone()));
        self.inner.state.send_replace(state);
    }
}
