//! Statistics and events: live counters, top hosts, a per-second series, and one event per
//! finished request.
//!
//! Counters are atomics bumped on the hot path, so they are exact. Everything derived (top hosts,
//! the series) is computed off the hot path by one aggregator task that reads the same event
//! stream subscribers get. Events go out on a bounded broadcast channel: a subscriber that falls
//! behind loses the oldest events (it is told how many) and never slows the proxy down.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use crate::error::ErrorKind;

/// Events buffered per subscriber before the slowest starts losing them.
pub const EVENT_CAPACITY: usize = 8192;
/// How long the aggregator lets events gather before taking them (8192 per 100 ms: it keeps
/// up with 80 000 requests/s).
const AGGREGATE_EVERY: Duration = Duration::from_millis(100);
/// Seconds of history kept in the per-second series (10 minutes).
pub const SERIES_SECONDS: usize = 600;
/// Hosts listed in `top_hosts` and `top_blocked`.
pub const TOP_N: usize = 10;
/// Distinct hosts remembered for the top lists before the rarest are forgotten.
const MAX_TRACKED_HOSTS: usize = 20_000;

/// What happened to a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Sent upstream and answered.
    Forwarded,
    /// A CONNECT tunnel that was opened.
    Tunneled,
    /// Refused by the blocklist or the allow-only list (403).
    Blocked,
    /// The client's address is not on the allowlist (403, connection closed).
    Denied,
    /// Answered by Wicket itself (a request for the proxy, not through it).
    Local,
    /// Failed; `error` says how.
    Failed,
}

/// One finished request, as logged and sent to subscribers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RequestRecord {
    /// Numbers the records of one engine in the order they finished, from 1.
    #[serde(default)]
    pub id: u64,
    /// When the request head was complete, in milliseconds since the Unix epoch.
    pub time_ms: u64,
    pub client: SocketAddr,
    /// `GET`, `CONNECT`...; `-` when the client was denied before sending anything.
    pub method: String,
    /// Target host (normalized); empty when unknown.
    pub host: String,
    pub port: u16,
    /// Path and query of a forwarded request; empty for CONNECT.
    pub path: String,
    /// Status sent to the client; 0 when none could be sent.
    pub status: u16,
    /// Body bytes from client to upstream (tunnel bytes for CONNECT).
    pub bytes_up: u64,
    /// Body bytes from upstream to client (tunnel bytes for CONNECT).
    pub bytes_down: u64,
    /// From the complete request head to the end of the response.
    pub duration_ms: u64,
    pub verdict: Verdict,
    /// The rule that blocked the request.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub rule: Option<String>,
    /// The named list that rule belongs to, if any.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub list: Option<String>,
    /// What went wrong, for `Failed` (and for requests that were answered then cut off).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<ErrorKind>,
}

impl RequestRecord {
    /// The URL as a log shows it: `http://host:port/path`, or `host:port` for CONNECT.
    pub fn url(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.method == "CONNECT" {
            format!("{host}:{}", self.port)
        } else if self.host.is_empty() {
            self.path.clone()
        } else if self.port == 80 {
            format!("http://{host}{}", self.path)
        } else {
            format!("http://{host}:{}{}", self.port, self.path)
        }
    }
}

/// An engine event, as subscribers receive it.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// A request finished.
    Request(Arc<RequestRecord>),
    /// The engine started, stopped or failed.
    State(crate::engine::EngineState),
}

/// The live counters. Gauges (`open_*`) go up and down; everything else only up.
#[derive(Debug, Default)]
pub struct Counters {
    pub requests: AtomicU64,
    pub forwarded: AtomicU64,
    pub blocked: AtomicU64,
    pub denied: AtomicU64,
    pub errors: [AtomicU64; ErrorKind::ALL.len()],
    pub bytes_up: AtomicU64,
    pub bytes_down: AtomicU64,
    pub open_connections: AtomicU64,
    pub open_tunnels: AtomicU64,
    /// New upstream TCP connections made.
    pub upstream_connects: AtomicU64,
    /// Requests sent on an idle pooled upstream connection instead of a new one.
    pub upstream_reused: AtomicU64,
}

impl Counters {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub fn error(&self, kind: ErrorKind) {
        self.errors[kind.index()].fetch_add(1, Ordering::Relaxed);
    }
}

/// Counts bytes twice: in the engine's totals and in one request's record.
#[derive(Clone, Copy)]
pub struct Meter<'a> {
    pub total: &'a AtomicU64,
    pub this: &'a AtomicU64,
}

impl Meter<'_> {
    pub fn add(&self, n: u64) {
        self.total.fetch_add(n, Ordering::Relaxed);
        self.this.fetch_add(n, Ordering::Relaxed);
    }
}

/// Decrements a gauge when dropped, however the task holding it ends.
pub(crate) struct GaugeGuard<'a>(&'a AtomicU64);

impl<'a> GaugeGuard<'a> {
    pub fn new(gauge: &'a AtomicU64) -> Self {
        gauge.fetch_add(1, Ordering::Relaxed);
        GaugeGuard(gauge)
    }
}

impl Drop for GaugeGuard<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A host and how many requests it had.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostCount {
    pub host: String,
    pub count: u64,
}

/// One second of traffic.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeriesPoint {
    /// The second, since the Unix epoch.
    pub time: u64,
    pub requests: u64,
    pub blocked: u64,
    pub errors: u64,
    pub bytes_up: u64,
    pub bytes_down: u64,
}

/// Error counts by kind, every kind present (zero or not).
pub type ErrorCounts = std::collections::BTreeMap<&'static str, u64>;

/// Everything the stats know at one moment, for the UI and tests.
#[derive(Clone, Debug, Serialize)]
pub struct StatsSnapshot {
    pub requests: u64,
    pub forwarded: u64,
    pub blocked: u64,
    pub denied: u64,
    /// All errors together.
    pub errors: u64,
    pub errors_by_kind: ErrorCounts,
    pub bytes_up: u64,
    pub bytes_down: u64,
    pub open_connections: u64,
    pub open_tunnels: u64,
    pub upstream_connects: u64,
    pub upstream_reused: u64,
    /// Most requested hosts, most first.
    pub top_hosts: Vec<HostCount>,
    /// Most blocked hosts, most first.
    pub top_blocked: Vec<HostCount>,
    /// Per-second counts, oldest first, up to [`SERIES_SECONDS`].
    pub series: Vec<SeriesPoint>,
}

impl StatsSnapshot {
    pub fn error_count(&self, kind: ErrorKind) -> u64 {
        self.errors_by_kind.get(kind.name()).copied().unwrap_or(0)
    }
}

/// Derived statistics, kept by the aggregator task.
#[derive(Default)]
struct Aggregates {
    hosts: HashMap<Box<str>, u64>,
    blocked_hosts: HashMap<Box<str>, u64>,
    series: VecDeque<SeriesPoint>,
    /// Counter values at the last tick, to compute the next point.
    last: SeriesPoint,
}

impl Aggregates {
    fn count_host(&mut self, record: &RequestRecord) {
        if record.host.is_empty() {
            return;
        }
        let map = match record.verdict {
            Verdict::Blocked => &mut self.blocked_hosts,
            Verdict::Forwarded | Verdict::Tunneled | Verdict::Failed => &mut self.hosts,
            Verdict::Denied | Verdict::Local => return,
        };
        bump(map, &record.host);
    }
}

/// The stats hub shared by the engine and its connections.
pub struct Hub {
    pub counters: Counters,
    /// The last request record's id.
    last_id: AtomicU64,
    events: broadcast::Sender<Event>,
    aggregates: Mutex<Aggregates>,
}

impl Default for Hub {
    fn default() -> Self {
        Hub {
            counters: Counters::default(),
            last_id: AtomicU64::new(0),
            events: broadcast::channel(EVENT_CAPACITY).0,
            aggregates: Mutex::default(),
        }
    }
}

impl Hub {
    /// Publishes a finished request to subscribers (and the aggregator).
    pub fn record(&self, mut record: RequestRecord) {
        record.id = self.last_id.fetch_add(1, Ordering::Relaxed) + 1;
        // No subscriber is not an error: nobody is listening right now.
        let _ = self.events.send(Event::Request(Arc::new(record)));
    }

    pub fn publish(&self, event: Event) {
        let _ = self.events.send(event);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    /// Starts the task that keeps top hosts and the series. It ends when the hub is dropped.
    ///
    /// The first event of a burst wakes it; the rest of the burst is taken in one go a moment
    /// later. A busy proxy so pays one wake-up per [`AGGREGATE_EVERY`], not one per request,
    /// and an idle one only the once-a-second sample.
    pub fn spawn_aggregator(self: &Arc<Self>) {
        let mut events = self.subscribe();
        let hub: Weak<Hub> = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut second = tokio::time::interval(Duration::from_secs(1));
            second.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                tokio::select! {
                    first = events.recv() => {
                        match first {
                            Ok(Event::Request(record)) => match hub.upgrade() {
                                Some(hub) => hub.lock().count_host(&record),
                                None => return,
                            },
                            Err(broadcast::error::RecvError::Closed) => return,
                            Ok(Event::State(_)) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                        }
                        tokio::time::sleep(AGGREGATE_EVERY).await;
                        let Some(hub) = hub.upgrade() else { return };
                        if !hub.drain(&mut events) {
                            return;
                        }
                    }
                    _ = second.tick() => {
                        let Some(hub) = hub.upgrade() else { return };
                        hub.sample_second();
                    }
                }
            }
        });
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Aggregates> {
        self.aggregates.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts the hosts of every event waiting; false when the channel is closed.
    fn drain(&self, events: &mut broadcast::Receiver<Event>) -> bool {
        let mut agg = self.lock();
        loop {
            match events.try_recv() {
                Ok(Event::Request(record)) => agg.count_host(&record),
                Ok(Event::State(_)) | Err(broadcast::error::TryRecvError::Lagged(_)) => {}
                Err(broadcast::error::TryRecvError::Empty) => return true,
                Err(broadcast::error::TryRecvError::Closed) => return false,
            }
        }
    }

    fn sample_second(&self) {
        let now = unix_secs();
        let c = &self.counters;
        let errors: u64 = c.errors.iter().map(|e| e.load(Ordering::Relaxed)).sum();
        let current = SeriesPoint {
            time: now,
            requests: c.requests.load(Ordering::Relaxed),
            blocked: c.blocked.load(Ordering::Relaxed),
            errors,
            bytes_up: c.bytes_up.load(Ordering::Relaxed),
            bytes_down: c.bytes_down.load(Ordering::Relaxed),
        };
        let mut agg = self.lock();
        if agg.last.time != 0 {
            let last = agg.last;
            let point = SeriesPoint {
                time: now,
                requests: current.requests.saturating_sub(last.requests),
                blocked: current.blocked.saturating_sub(last.blocked),
                errors: current.errors.saturating_sub(last.errors),
                bytes_up: current.bytes_up.saturating_sub(last.bytes_up),
                bytes_down: current.bytes_down.saturating_sub(last.bytes_down),
            };
            if agg.series.len() == SERIES_SECONDS {
                agg.series.pop_front();
            }
            agg.series.push_back(point);
        }
        agg.last = current;
    }

    /// Everything at this moment.
    pub fn snapshot(&self) -> StatsSnapshot {
        let c = &self.counters;
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let errors_by_kind: ErrorCounts = ErrorKind::ALL
            .iter()
            .map(|k| (k.name(), load(&c.errors[k.index()])))
            .collect();
        let agg = self.lock();
        StatsSnapshot {
            requests: load(&c.requests),
            forwarded: load(&c.forwarded),
            blocked: load(&c.blocked),
            denied: load(&c.denied),
            errors: errors_by_kind.values().sum(),
            errors_by_kind,
            bytes_up: load(&c.bytes_up),
            bytes_down: load(&c.bytes_down),
            open_connections: load(&c.open_connections),
            open_tunnels: load(&c.open_tunnels),
            upstream_connects: load(&c.upstream_connects),
            upstream_reused: load(&c.upstream_reused),
            top_hosts: top(&agg.hosts),
            top_blocked: top(&agg.blocked_hosts),
            series: agg.series.iter().copied().collect(),
        }
    }
}

fn bump(map: &mut HashMap<Box<str>, u64>, host: &str) {
    if let Some(n) = map.get_mut(host) {
        *n += 1;
        return;
    }
    if map.len() >= MAX_TRACKED_HOSTS {
        // Forget the hosts seen once; if every host was seen more often, forget the rarer half.
        map.retain(|_, n| *n > 1);
        if map.len() >= MAX_TRACKED_HOSTS {
            let mut counts: Vec<u64> = map.values().copied().collect();
            let mid = counts.len() / 2;
            let (_, median, _) = counts.select_nth_unstable(mid);
            let median = *median;
            map.retain(|_, n| *n > median);
        }
    }
    map.insert(host.into(), 1);
}

fn top(map: &HashMap<Box<str>, u64>) -> Vec<HostCount> {
    let mut all: Vec<(&Box<str>, &u64)> = map.iter().collect();
    all.sort_unstable_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    all.into_iter()
        .take(TOP_N)
        .map(|(host, count)| HostCount {
            host: host.to_string(),
            count: *count,
        })
        .collect()
}

pub fn unix_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

pub fn unix_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_lists_are_ordered_by_count_then_name() {
        let mut map = HashMap::new();
        for host in ["b.test", "a.test", "b.test", "c.test", "b.test", "a.test"] {
            bump(&mut map, host);
        }
        let hosts: Vec<(String, u64)> = top(&map).into_iter().map(|h| (h.host, h.count)).collect();
        assert_eq!(
            hosts,
            [
                ("b.test".into(), 3),
                ("a.test".into(), 2),
                ("c.test".into(), 1)
            ]
        );
    }

    #[test]
    fn host_tracking_is_bounded() {
        let mut map = HashMap::new();
        bump(&mut map, "frequent.test");
        bump(&mut map, "frequent.test");
        for i in 0..(MAX_TRACKED_HOSTS * 3) {
            bump(&mut map, &format!("h{i}.test"));
        }
        assert!(map.len() <= MAX_TRACKED_HOSTS);
        assert_eq!(map.get("frequent.test"), Some(&2));
    }

    #[test]
    fn record_url_forms() {
        let mut r = RequestRecord {
            id: 1,
            time_ms: 0,
            client: "127.0.0.1:1".parse().unwrap(),
            method: "GET".into(),
            host: "a.test".into(),
            port: 80,
            path: "/x?y".into(),
            status: 200,
            bytes_up: 0,
            bytes_down: 0,
            duration_ms: 0,
            verdict: Verdict::Forwarded,
            rule: None,
            list: None,
            error: None,
        };
        assert_eq!(r.url(), "http://a.test/x?y");
        r.port = 8080;
        assert_eq!(r.url(), "http://a.test:8080/x?y");
        r.host = "::1".into();
        assert_eq!(r.url(), "http://[::1]:8080/x?y");
        r.method = "CONNECT".into();
        r.port = 443;
        assert_eq!(r.url(), "[::1]:443");
    }
}
