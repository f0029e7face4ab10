//! The one event the window listens to, and the task that feeds it from the engine.
//!
//! The engine publishes every finished request; a busy proxy can finish thousands a second.
//! The forwarder batches them (a few flushes a second, each bounded), sends stats at most twice
//! a second and only when they changed, and sends nothing while the window does not exist.
//! It also keeps the newest requests, so a window opened later starts with a full log.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, Runtime};
use tokio::sync::broadcast::error::RecvError;
use wicket::policy::ListNow;
use wicket::{EngineState, Event, RequestRecord};

use crate::state::{AppState, ParentAction};
use crate::system_proxy::SystemProxyView;
use crate::views::{ConfigView, StatsView};
use crate::window::MAIN;

/// The event name the window listens to.
pub const EVENT: &str = "wicket://event";
/// How often finished requests are sent to the window.
const FLUSH_EVERY: Duration = Duration::from_millis(250);
/// Stats go out every this many flushes (twice a second).
const STATS_EVERY_FLUSHES: u32 = 2;
/// Requests sent per flush at most; older ones in a burst are counted as missed.
const MAX_BATCH: usize = 200;
/// Requests kept for a window that opens later (the window's log holds as many).
pub const RECENT: usize = 500;

/// Everything the app tells the window, as one typed enum (`{"type": "...", ...}` in JSON).
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum UiEvent {
    /// The engine started, stopped, or failed to start.
    Engine { state: EngineState },
    /// The settings changed (from the window or the tray).
    Config { config: ConfigView },
    /// The system proxy was set, given back, or could not be.
    SystemProxy { system_proxy: SystemProxyView },
    /// Counters, top hosts, and the chart's newest seconds.
    Stats { stats: StatsView },
    /// A schedule switched a named list on or off (every list, in config order).
    ListsNow { lists: Vec<ListNow> },
    /// The tray asks the parent for the PIN to do this (quit, switch the proxy off...).
    ParentNeeded { action: ParentAction },
    /// Finished requests, oldest first; the first has sequence number `first`, the next
    /// `first + 1`... `missed` requests of this burst were not sent.
    Requests {
        first: u64,
        records: Vec<Arc<RequestRecord>>,
        missed: u64,
    },
}

/// The newest requests, numbered, and how far the window's chart has been sent.
#[derive(Default)]
pub struct Feed {
    inner: Mutex<FeedInner>,
}

#[derive(Default)]
struct FeedInner {
    recent: VecDeque<Arc<RequestRecord>>,
    /// Sequence number of the newest request in `recent` (0: none yet).
    last_seq: u64,
    /// The last chart second sent to the window.
    chart_until: u64,
}

/// The newest requests and the sequence number of the last one.
pub struct Recent {
    pub records: Vec<Arc<RequestRecord>>,
    pub last_seq: u64,
}

impl Feed {
    /// The requests kept for a window that opens now.
    pub fn recent(&self) -> Recent {
        let inner = self.lock();
        Recent {
            records: inner.recent.iter().cloned().collect(),
            last_seq: inner.last_seq,
        }
    }

    /// Records that the window has the chart up to `time`.
    pub fn chart_sent(&self, time: Option<u64>) {
        if let Some(time) = time {
            self.lock().chart_until = time;
        }
    }

    fn chart_until(&self) -> u64 {
        self.lock().chart_until
    }

    /// Adds a batch to the kept requests; returns the first one's sequence number.
    fn remember(&self, batch: &[Arc<RequestRecord>]) -> u64 {
        let mut inner = self.lock();
        let first = inner.last_seq + 1;
        for record in batch {
            if inner.recent.len() == RECENT {
                inner.recent.pop_front();
            }
            inner.recent.push_back(record.clone());
        }
        inner.last_seq += batch.len() as u64;
        first
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FeedInner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Sends an event to the main window, if there is one.
pub fn emit<R: Runtime>(app: &AppHandle<R>, event: UiEvent) {
    if app.get_webview_window(MAIN).is_none() {
        return;
    }
    if let Err(e) = app.emit_to(MAIN, EVENT, event) {
        log::warn!("cannot send an event to the window: {e}");
    }
}

/// Starts the task that forwards engine events, config changes and stats to the window.
pub fn spawn_forwarder<R: Runtime>(app: AppHandle<R>) {
    tauri::async_runtime::spawn(async move {
        let state = app.state::<AppState>();
        let feed = app.state::<Feed>();
        let mut events = state.engine.subscribe();
        let mut config = state.watch_config();
        let mut system_proxy = state.system_proxy.watch();
        let mut tick = tokio::time::interval(FLUSH_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut batch: VecDeque<Arc<RequestRecord>> = VecDeque::new();
        let mut missed = 0u64;
        let mut flushes = 0u32;
        let mut last_stats = None;
        let mut lists_now = state.engine.policy().lists_now.clone();
        loop {
            tokio::select! {
                event = events.recv() => match event {
                    Ok(Event::Request(record)) => {
                        if batch.len() == MAX_BATCH {
                            batch.pop_front();
                            missed += 1;
                        }
                        batch.push_back(record);
                    }
                    Ok(Event::State(state)) => emit(&app, UiEvent::Engine { state }),
                    Err(RecvError::Lagged(n)) => missed += n,
                    Err(RecvError::Closed) => return,
                },
                changed = config.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    let policy = state.engine.policy();
                    lists_now = policy.lists_now.clone();
                    let view = ConfigView::new(
                        &config.borrow_and_update(),
                        state.save_error(),
                        &lists_now,
                    );
                    emit(&app, UiEvent::Config { config: view });
                }
                changed = system_proxy.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    let view = system_proxy.borrow_and_update().clone();
                    emit(&app, UiEvent::SystemProxy { system_proxy: view });
                }
                _ = tick.tick() => {
                    if !batch.is_empty() || missed > 0 {
                        let records: Vec<_> = batch.drain(..).collect();
                        let first = feed.remember(&records);
                        emit(&app, UiEvent::Requests { first, records, missed });
                        missed = 0;
                    }
                    // Schedules switch lists on and off by themselves.
                    let policy = state.engine.policy();
                    if policy.lists_now != lists_now {
                        lists_now = policy.lists_now.clone();
                        emit(&app, UiEvent::ListsNow { lists: lists_now.clone() });
                    }
                    flushes = flushes.wrapping_add(1);
                    if flushes % STATS_EVERY_FLUSHES == 0 && app.get_webview_window(MAIN).is_some() {
                        let snapshot = state.engine.stats();
                        let stats = StatsView::new(&snapshot, feed.chart_until());
                        let key = (
                            stats.requests, stats.blocked, stats.denied, stats.errors,
                            stats.bytes_up, stats.bytes_down, stats.open_connections,
                            stats.open_tunnels, snapshot.series.last().map(|p| p.time),
                        );
                        if last_stats != Some(key) {
                            last_stats = Some(key);
                            feed.chart_sent(stats.last_time());
                            emit(&app, UiEvent::Stats { stats });
                        }
                    }
                }
            }
        }
    });
}
