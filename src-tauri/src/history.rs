//! The activity history and the tamper log, in one SQLite file in the OS data directory
//! (`~/.local/share/wicket/history.sqlite3` on Linux), readable by its owner only.
//!
//! Per local day: the sites visited (host, requests, bytes), the blocked attempts (host, rule,
//! list, count) and the requests and blocked attempts per hour, for the chart. Requests never
//! touch the database on the proxy's path: [`spawn_recorder`] reads the engine's event stream,
//! adds each finished request to counters in memory, and writes them in one transaction every
//! few seconds. Days older than the retention (`app.history_days`, 30 by default) are purged at
//! start and every hour.
//!
//! The same file keeps the tamper log ([`crate::tamper`]), a heartbeat written every minute
//! (a gap of more than a few minutes at the next start becomes a "not running" entry), the
//! fingerprint of the config as Wicket last saved it (a file changed behind its back is
//! noticed), and the count of wrong PIN attempts (so restarting does not reset the slow-down).
//! A file that cannot be used is moved aside and a new one started; with no data directory at
//! all the history lives in memory until Wicket quits.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use chrono::{Local, NaiveDate, TimeZone, Timelike};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use tauri::{AppHandle, Manager, Runtime};
use tokio::sync::broadcast::error::RecvError;
use wicket::{Event, Message, RequestRecord, Verdict};

use crate::messages as msg;

use crate::pin::Failures;
use crate::state::AppState;
use crate::tamper::{Reduced, TamperEntry};

/// The file's name in the data directory.
pub const FILE_NAME: &str = "history.sqlite3";
/// Days kept unless the parent chooses otherwise (`app.history_days`).
pub const DEFAULT_DAYS: u32 = 30;
/// The retention the parent may choose.
pub const DAYS_RANGE: std::ops::RangeInclusive<u32> = 1..=3650;
/// The key of the retention in the config's `app` object.
pub const APP_KEY_DAYS: &str = "history_days";
/// How long requests gather in memory before they are written.
pub const FLUSH_EVERY: Duration = Duration::from_secs(5);
/// How often the heartbeat is written.
pub const HEARTBEAT_EVERY: Duration = Duration::from_secs(60);
/// A silence longer than this between heartbeats means Wicket was not running.
pub const GAP: Duration = Duration::from_secs(5 * 60);
/// Tamper entries are kept this long, whatever the history's retention.
pub const TAMPER_DAYS: i64 = 366;
/// Rows of one day's sites and blocked attempts sent to the window (the CSV has them all).
pub const DAY_ROWS: usize = 500;
/// Tamper entries sent to the window.
pub const TAMPER_ROWS: usize = 500;

/// A day in the day picker.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DaySummary {
    /// `YYYY-MM-DD`, local time.
    pub day: String,
    pub requests: u64,
    pub blocked: u64,
}

/// A site visited on a day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Visit {
    pub host: String,
    pub requests: u64,
    /// Bytes both ways.
    pub bytes: u64,
}

/// Blocked attempts at one host by one rule on a day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Attempt {
    pub host: String,
    pub count: u64,
    /// The rule that refused it (`allow-only` when the site was not on the allowed list).
    pub rule: String,
    /// The named list the rule belongs to; none for the blocklist.
    pub list: Option<String>,
}

/// One hour of a day, for the chart.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Hour {
    pub hour: u8,
    pub requests: u64,
    pub blocked: u64,
}

/// One day, as the History view shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DayView {
    pub day: String,
    /// The most visited sites, most requests first (at most [`DAY_ROWS`]).
    pub visits: Vec<Visit>,
    /// How many sites were visited in all.
    pub sites: u64,
    /// The blocked attempts, most first (at most [`DAY_ROWS`]).
    pub blocked: Vec<Attempt>,
    /// How many (host, rule) rows there were in all.
    pub blocked_rows: u64,
    /// 24 hours, midnight first.
    pub hours: Vec<Hour>,
}

/// Counters not written yet.
#[derive(Default)]
struct Pending {
    /// (day, host) -> (requests, bytes)
    visits: HashMap<(String, String), (u64, u64)>,
    /// (day, host, rule, list) -> count
    blocked: HashMap<(String, String, String, String), u64>,
    /// (day, hour) -> (requests, blocked)
    hours: HashMap<(String, u8), (u64, u64)>,
}

impl Pending {
    fn is_empty(&self) -> bool {
        self.visits.is_empty() && self.blocked.is_empty() && self.hours.is_empty()
    }
}

pub struct History {
    db: Mutex<Connection>,
    pending: Mutex<Pending>,
    /// The database file; none when it lives in memory.
    path: Option<PathBuf>,
    /// Why the file is not what it was (moved aside) or not used at all, for the window.
    problem: Option<Message>,
}

impl History {
    /// Opens (or creates) the database at `path`; a file that is not a usable database is
    /// moved aside and a new one created; with no path, or no way to create one, it lives in
    /// memory.
    pub fn open(path: Option<&Path>) -> History {
        let Some(path) = path else {
            return History::in_memory(Some(Message::new(&msg::HISTORY_NO_DIRECTORY)));
        };
        match open_file(path) {
            Ok(conn) => History::with(conn, Some(path.to_path_buf()), None),
            Err(first) => {
                let aside = aside_name(path);
                let moved = fs::rename(path, &aside);
                for suffix in ["-wal", "-shm"] {
                    let _ = fs::remove_file(format!("{}{suffix}", path.display()));
                }
                let reopened = moved
                    .map_err(|e| e.to_string())
                    .and_then(|()| open_file(path).map_err(|e| e.to_string()));
                match reopened {
                    Ok(conn) => {
                        let problem = Message::new(&msg::HISTORY_FILE_KEPT)
                            .with("path", path.display())
                            .with("detail", &first)
                            .with("aside", aside.display());
                        log::warn!("{problem}");
                        History::with(conn, Some(path.to_path_buf()), Some(problem))
                    }
                    Err(e) => {
                        let problem = Message::new(&msg::HISTORY_FILE_UNUSABLE)
                            .with("path", path.display())
                            .with("detail", e);
                        log::warn!("{problem}");
                        History::in_memory(Some(problem))
                    }
                }
            }
        }
    }

    /// A database in memory (tests, or nowhere to keep a file).
    pub fn in_memory(problem: Option<Message>) -> History {
        let conn = Connection::open_in_memory()
            .and_then(|c| init(&c).map(|()| c))
            .expect("SQLite in memory");
        History::with(conn, None, problem)
    }

    fn with(conn: Connection, path: Option<PathBuf>, problem: Option<Message>) -> History {
        History {
            db: Mutex::new(conn),
            pending: Mutex::new(Pending::default()),
            path,
            problem,
        }
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    pub fn problem(&self) -> Option<Message> {
        self.problem.clone()
    }

    // Recording ---------------------------------------------------------------------------

    /// Counts a finished request (in memory until the next [`History::flush`]).
    pub fn add(&self, record: &RequestRecord) {
        let visit = matches!(record.verdict, Verdict::Forwarded | Verdict::Tunneled);
        let blocked = record.verdict == Verdict::Blocked;
        if !(visit || blocked) || record.host.is_empty() {
            return;
        }
        let (day, hour) = local_day_hour(record.time_ms);
        let mut pending = lock(&self.pending);
        let slot = pending.hours.entry((day.clone(), hour)).or_default();
        if visit {
            slot.0 += 1;
            let v = pending
                .visits
                .entry((day, record.host.clone()))
                .or_default();
            v.0 += 1;
            v.1 += record.bytes_up + record.bytes_down;
        } else {
            slot.1 += 1;
            let key = (
                day,
                record.host.clone(),
                record.rule.clone().unwrap_or_default(),
                record.list.clone().unwrap_or_default(),
            );
            *pending.blocked.entry(key).or_default() += 1;
        }
    }

    /// Writes the counted requests in one transaction.
    pub fn flush(&self) -> Result<(), Message> {
        let pending = std::mem::take(&mut *lock(&self.pending));
        if pending.is_empty() {
            return Ok(());
        }
        let mut db = lock(&self.db);
        let write = |db: &mut Connection| -> rusqlite::Result<()> {
            let tx = db.transaction()?;
            {
                let mut visit = tx.prepare_cached(
                    "INSERT INTO visits (day, host, requests, bytes) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (day, host) DO UPDATE SET
                       requests = requests + excluded.requests, bytes = bytes + excluded.bytes",
                )?;
                for ((day, host), (requests, bytes)) in &pending.visits {
                    visit.execute(params![day, host, *requests as i64, *bytes as i64])?;
                }
                let mut blocked = tx.prepare_cached(
                    "INSERT INTO blocked (day, host, rule, list, count) VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (day, host, rule, list) DO UPDATE SET count = count + excluded.count",
                )?;
                for ((day, host, rule, list), count) in &pending.blocked {
                    blocked.execute(params![day, host, rule, list, *count as i64])?;
                }
                let mut hours = tx.prepare_cached(
                    "INSERT INTO hours (day, hour, requests, blocked) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (day, hour) DO UPDATE SET
                       requests = requests + excluded.requests, blocked = blocked + excluded.blocked",
                )?;
                for ((day, hour), (requests, blocked)) in &pending.hours {
                    hours.execute(params![day, hour, *requests as i64, *blocked as i64])?;
                }
            }
            tx.commit()
        };
        write(&mut db).map_err(|e| Message::new(&msg::HISTORY_NOT_SAVED).with("detail", e))
    }

    // Reading -----------------------------------------------------------------------------

    /// The days with activity, newest first.
    pub fn days(&self) -> Result<Vec<DaySummary>, Message> {
        let db = lock(&self.db);
        let mut stmt = db
            .prepare_cached(
                "SELECT day, SUM(requests), SUM(blocked) FROM hours GROUP BY day ORDER BY day DESC",
            )
            .map_err(db_error)?;
        let rows = stmt
            .query_map([], |r| {
                Ok(DaySummary {
                    day: r.get(0)?,
                    requests: r.get::<_, i64>(1)? as u64,
                    blocked: r.get::<_, i64>(2)? as u64,
                })
            })
            .map_err(db_error)?;
        rows.collect::<Result<_, _>>().map_err(db_error)
    }

    /// One day: its sites, blocked attempts and hours.
    pub fn day(&self, day: &str) -> Result<DayView, Message> {
        let db = lock(&self.db);
        let read = || -> rusqlite::Result<DayView> {
            let visits = db
                .prepare_cached(
                    "SELECT host, requests, bytes FROM visits WHERE day = ?1
                     ORDER BY requests DESC, host LIMIT ?2",
                )?
                .query_map(params![day, DAY_ROWS as i64], |r| {
                    Ok(Visit {
                        host: r.get(0)?,
                        requests: r.get::<_, i64>(1)? as u64,
                        bytes: r.get::<_, i64>(2)? as u64,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            let sites: i64 =
                db.query_row("SELECT COUNT(*) FROM visits WHERE day = ?1", [day], |r| {
                    r.get(0)
                })?;
            let blocked = db
                .prepare_cached(
                    "SELECT host, count, rule, list FROM blocked WHERE day = ?1
                     ORDER BY count DESC, host LIMIT ?2",
                )?
                .query_map(params![day, DAY_ROWS as i64], |r| {
                    let list: String = r.get(3)?;
                    Ok(Attempt {
                        host: r.get(0)?,
                        count: r.get::<_, i64>(1)? as u64,
                        rule: r.get(2)?,
                        list: (!list.is_empty()).then_some(list),
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            let blocked_rows: i64 =
                db.query_row("SELECT COUNT(*) FROM blocked WHERE day = ?1", [day], |r| {
                    r.get(0)
                })?;
            let mut hours: Vec<Hour> = (0..24)
                .map(|hour| Hour {
                    hour,
                    ..Hour::default()
                })
                .collect();
            let mut stmt =
                db.prepare_cached("SELECT hour, requests, blocked FROM hours WHERE day = ?1")?;
            let rows = stmt.query_map([day], |r| {
                Ok((r.get::<_, u8>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
            })?;
            for row in rows {
                let (hour, requests, blocked) = row?;
                if let Some(h) = hours.get_mut(hour as usize) {
                    h.requests = requests as u64;
                    h.blocked = blocked as u64;
                }
            }
            Ok(DayView {
                day: day.to_string(),
                visits,
                sites: sites as u64,
                blocked,
                blocked_rows: blocked_rows as u64,
                hours,
            })
        };
        read().map_err(db_error)
    }

    /// The history as CSV: one day, or every day kept (oldest first). One row per site
    /// visited and per blocked (host, rule).
    pub fn csv(&self, day: Option<&str>) -> Result<String, Message> {
        let db = lock(&self.db);
        let mut out = String::from("day,kind,host,requests,bytes,rule,list\n");
        let filter = day.unwrap_or("");
        let read = |out: &mut String| -> rusqlite::Result<()> {
            let mut stmt = db.prepare(
                "SELECT day, 'visited', host, requests, bytes, '', '' FROM visits
                   WHERE ?1 = '' OR day = ?1
                 UNION ALL
                 SELECT day, 'blocked', host, count, NULL, rule, list FROM blocked
                   WHERE ?1 = '' OR day = ?1
                 ORDER BY 1, 2 DESC, 4 DESC, 3",
            )?;
            let mut rows = stmt.query([filter])?;
            while let Some(r) = rows.next()? {
                let bytes: Option<i64> = r.get(4)?;
                let fields = [
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?.to_string(),
                    bytes.map(|b| b.to_string()).unwrap_or_default(),
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                ];
                let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
                let _ = writeln!(out, "{}", line.join(","));
            }
            Ok(())
        };
        read(&mut out).map_err(db_error)?;
        Ok(out)
    }

    /// Forgets the days before the last `keep_days` (today included), and tamper entries
    /// older than [`TAMPER_DAYS`].
    pub fn purge(&self, today: NaiveDate, keep_days: u32) -> Result<(), Message> {
        let keep = i64::from(keep_days.max(1));
        let cutoff = (today - chrono::Duration::days(keep - 1))
            .format("%Y-%m-%d")
            .to_string();
        let tamper_cutoff = today - chrono::Duration::days(TAMPER_DAYS);
        let tamper_cutoff_ms = tamper_cutoff
            .and_hms_opt(0, 0, 0)
            .and_then(|t| Local.from_local_datetime(&t).earliest())
            .map(|t| t.timestamp_millis())
            .unwrap_or(0);
        let db = lock(&self.db);
        let run = || -> rusqlite::Result<()> {
            for table in ["visits", "blocked", "hours"] {
                db.execute(&format!("DELETE FROM {table} WHERE day < ?1"), [&cutoff])?;
            }
            db.execute("DELETE FROM tamper WHERE time_ms < ?1", [tamper_cutoff_ms])?;
            Ok(())
        };
        run().map_err(db_error)
    }

    // The tamper log ----------------------------------------------------------------------

    /// Records that protection was reduced at `time_ms`.
    pub fn record(&self, time_ms: u64, what: &Reduced) {
        let detail = serde_json::to_string(what).unwrap_or_default();
        let db = lock(&self.db);
        if let Err(e) = db.execute(
            "INSERT INTO tamper (time_ms, kind, detail) VALUES (?1, ?2, ?3)",
            params![time_ms as i64, what.kind(), detail],
        ) {
            log::error!("the tamper log could not be written: {e}");
        }
    }

    /// The newest tamper entries, newest first.
    pub fn tamper(&self, limit: usize) -> Result<Vec<TamperEntry>, Message> {
        let db = lock(&self.db);
        let mut stmt = db
            .prepare_cached(
                "SELECT time_ms, detail FROM tamper ORDER BY time_ms DESC, id DESC LIMIT ?1",
            )
            .map_err(db_error)?;
        let rows = stmt
            .query_map([limit as i64], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
            })
            .map_err(db_error)?;
        let mut entries = Vec::new();
        for row in rows {
            let (time_ms, detail) = row.map_err(db_error)?;
            match serde_json::from_str::<Reduced>(&detail) {
                Ok(what) => entries.push(TamperEntry {
                    time_ms: time_ms as u64,
                    what,
                }),
                Err(e) => log::warn!("a tamper entry cannot be read ({e}): {detail}"),
            }
        }
        Ok(entries)
    }

    // Start, heartbeat, stop --------------------------------------------------------------

    /// At start: a "not running" entry when the last run did not quit (killed, crashed, the
    /// computer switched off: however short the gap), or when it quit longer than [`GAP`] ago;
    /// then the heartbeat is written anew.
    pub fn started(&self, now_ms: u64) {
        let last = self.meta("heartbeat").and_then(|t| t.parse::<u64>().ok());
        let quit = self.meta("quit").as_deref() == Some("1");
        if let Some(since_ms) = last {
            if !quit || now_ms.saturating_sub(since_ms) > GAP.as_millis() as u64 {
                self.record(now_ms, &Reduced::NotRunning { since_ms, quit });
            }
        }
        self.set_meta("quit", "0");
        self.heartbeat(now_ms);
    }

    /// Wicket is running at `now_ms`.
    pub fn heartbeat(&self, now_ms: u64) {
        self.set_meta("heartbeat", &now_ms.to_string());
    }

    /// Wicket quits at `now_ms`: the gap until the next start is one it was told to leave.
    pub fn stopped(&self, now_ms: u64) {
        if let Err(e) = self.flush() {
            log::warn!("{e}");
        }
        self.heartbeat(now_ms);
        self.set_meta("quit", "1");
    }

    /// Compares the config Wicket starts with to the one it last saved: a difference (the file
    /// edited by hand, or moved aside because it was broken) is recorded, with whether the PIN
    /// went with it.
    pub fn config_loaded(&self, now_ms: u64, config_json: &str, pin_set: bool) {
        let before = self.meta("config");
        let pin_before = self.meta("pin").as_deref() == Some("1");
        let now = fingerprint(config_json);
        if before.is_some_and(|b| b != now) {
            self.record(
                now_ms,
                &Reduced::ConfigChanged {
                    pin_removed: pin_before && !pin_set,
                },
            );
        }
        self.config_saved(config_json, pin_set);
    }

    /// Remembers the config as saved, to notice changes made behind Wicket's back.
    pub fn config_saved(&self, config_json: &str, pin_set: bool) {
        self.set_meta("config", &fingerprint(config_json));
        self.set_meta("pin", if pin_set { "1" } else { "0" });
    }

    /// Wrong PIN attempts in a row.
    pub fn failures(&self) -> Failures {
        self.meta("pin_failures")
            .map(|t| Failures::from_text(&t))
            .unwrap_or_default()
    }

    pub fn set_failures(&self, failures: Failures) {
        self.set_meta("pin_failures", &failures.to_text());
    }

    fn meta(&self, key: &str) -> Option<String> {
        let db = lock(&self.db);
        db.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .unwrap_or_else(|e| {
                log::warn!("history: {e}");
                None
            })
    }

    fn set_meta(&self, key: &str, value: &str) {
        let db = lock(&self.db);
        if let Err(e) = db.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        ) {
            log::warn!("history: {e}");
        }
    }
}

fn open_file(path: &Path) -> rusqlite::Result<Connection> {
    if let Some(dir) = path.parent() {
        if fs::create_dir_all(dir).is_err() {
            return Err(rusqlite::Error::InvalidPath(path.to_path_buf()));
        }
    }
    let conn = Connection::open(path)?;
    // The history is private: only the user may read it (SQLite gives its -wal and -shm files
    // the same mode).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = fs::set_permissions(path, fs::Permissions::from_mode(0o600));
    }
    init(&conn)?;
    Ok(conn)
}

/// The schema (version 1) and the connection's settings.
fn init(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS visits (
           day TEXT NOT NULL, host TEXT NOT NULL,
           requests INTEGER NOT NULL, bytes INTEGER NOT NULL,
           PRIMARY KEY (day, host)) WITHOUT ROWID;
         CREATE TABLE IF NOT EXISTS blocked (
           day TEXT NOT NULL, host TEXT NOT NULL, rule TEXT NOT NULL, list TEXT NOT NULL,
           count INTEGER NOT NULL,
           PRIMARY KEY (day, host, rule, list)) WITHOUT ROWID;
         CREATE TABLE IF NOT EXISTS hours (
           day TEXT NOT NULL, hour INTEGER NOT NULL,
           requests INTEGER NOT NULL, blocked INTEGER NOT NULL,
           PRIMARY KEY (day, hour)) WITHOUT ROWID;
         CREATE TABLE IF NOT EXISTS tamper (
           id INTEGER PRIMARY KEY, time_ms INTEGER NOT NULL, kind TEXT NOT NULL,
           detail TEXT NOT NULL);
         CREATE INDEX IF NOT EXISTS tamper_time ON tamper (time_ms);
         CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
         PRAGMA user_version = 1;",
    )
}

/// The history file's usual place: the OS data directory.
pub fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "Wicket").map(|d| d.data_dir().join(FILE_NAME))
}

/// The local day (`YYYY-MM-DD`) and hour of a time in ms since the Unix epoch.
pub fn local_day_hour(time_ms: u64) -> (String, u8) {
    match Local.timestamp_millis_opt(time_ms as i64).single() {
        Some(t) => (t.format("%Y-%m-%d").to_string(), t.hour() as u8),
        None => ("1970-01-01".to_string(), 0),
    }
}

/// Today, in local time.
pub fn today() -> NaiveDate {
    Local::now().date_naive()
}

/// Checks a day typed or picked in the window (`YYYY-MM-DD`).
pub fn parse_day(text: &str) -> Result<String, Message> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map(|d| d.format("%Y-%m-%d").to_string())
        .map_err(|_| Message::new(&msg::HISTORY_BAD_DAY).with("day", format!("{text:?}")))
}

/// A CSV field: quoted when it holds a comma, a quote or a line break; a leading `=`, `+`,
/// `-` or `@` is escaped so that a spreadsheet never runs it as a formula.
fn csv_field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// FNV-1a of the text, in hex: enough to notice that a file changed.
fn fingerprint(text: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{hash:016x}")
}

fn aside_name(path: &Path) -> PathBuf {
    let secs = wicket::stats::unix_secs();
    PathBuf::from(format!("{}.broken-{secs}", path.display()))
}

fn db_error(e: rusqlite::Error) -> Message {
    Message::new(&msg::HISTORY_UNREADABLE).with("detail", e)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Feeds the history from the engine's events, writes it every [`FLUSH_EVERY`], writes the
/// heartbeat every [`HEARTBEAT_EVERY`], and purges old days every hour. Counting is all that
/// happens per request; the database is written off the async workers.
pub fn spawn_recorder<R: Runtime>(app: AppHandle<R>) {
    tauri::async_runtime::spawn(async move {
        let state = app.state::<AppState>();
        let history = state.history.clone();
        let mut events = state.engine.subscribe();
        let mut flush = tokio::time::interval(FLUSH_EVERY);
        flush.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut beat = tokio::time::interval(HEARTBEAT_EVERY);
        beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut purge = tokio::time::interval(Duration::from_secs(3600));
        purge.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut missed = 0u64;
        loop {
            tokio::select! {
                event = events.recv() => match event {
                    Ok(Event::Request(record)) => history.add(&record),
                    Ok(Event::State(_)) => {}
                    Err(RecvError::Lagged(n)) => {
                        missed += n;
                        log::warn!("history: {missed} requests went uncounted in a burst");
                    }
                    Err(RecvError::Closed) => return,
                },
                _ = flush.tick() => {
                    let h = history.clone();
                    let done = tokio::task::spawn_blocking(move || h.flush()).await;
                    if let Ok(Err(e)) = done {
                        log::warn!("{e}");
                    }
                }
                _ = beat.tick() => {
                    let h = history.clone();
                    let _ = tokio::task::spawn_blocking(move || h.heartbeat(wicket::stats::unix_millis())).await;
                }
                _ = purge.tick() => {
                    let h = history.clone();
                    let keep = state.history_days();
                    let done = tokio::task::spawn_blocking(move || h.purge(today(), keep)).await;
                    if let Ok(Err(e)) = done {
                        log::warn!("{e}");
                    }
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tamper::Via;

    fn record(time_ms: u64, host: &str, verdict: Verdict, bytes: u64) -> RequestRecord {
        RequestRecord {
            id: 0,
            time_ms,
            client: "127.0.0.1:1".parse().unwrap(),
            method: "GET".into(),
            host: host.into(),
            port: 80,
            path: "/".into(),
            status: if verdict == Verdict::Blocked {
                403
            } else {
                200
            },
            bytes_up: 0,
            bytes_down: bytes,
            duration_ms: 1,
            verdict,
            rule: None,
            list: None,
            error: None,
        }
    }

    fn blocked(time_ms: u64, host: &str, rule: &str, list: Option<&str>) -> RequestRecord {
        RequestRecord {
            rule: Some(rule.into()),
            list: list.map(str::to_string),
            ..record(time_ms, host, Verdict::Blocked, 0)
        }
    }

    /// Noon local time on a day, in ms.
    fn noon(day: &str) -> u64 {
        let date = NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap();
        Local
            .from_local_datetime(&date.and_hms_opt(12, 0, 0).unwrap())
            .earliest()
            .unwrap()
            .timestamp_millis() as u64
    }

    fn file() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data/history.sqlite3");
        (dir, path)
    }

    #[test]
    fn requests_are_counted_per_day_host_and_hour_and_survive_reopening() {
        let (_dir, path) = file();
        let history = History::open(Some(&path));
        assert!(history.problem().is_none());
        let t = noon("2026-03-02");
        history.add(&record(t, "example.com", Verdict::Forwarded, 1000));
        history.add(&record(t + 1, "example.com", Verdict::Tunneled, 500));
        history.add(&record(t + 2, "wiki.example", Verdict::Forwarded, 10));
        history.add(&blocked(t + 3, "ads.example", "ads.example", None));
        history.add(&blocked(t + 4, "ads.example", "ads.example", None));
        history.add(&blocked(
            t + 5,
            "game.example",
            "game.example",
            Some("Games"),
        ));
        // Not visits: refused clients, failures, Wicket's own pages.
        history.add(&record(t, "x.example", Verdict::Denied, 0));
        history.add(&record(t, "y.example", Verdict::Failed, 0));
        history.flush().unwrap();
        // A second batch adds to the same rows.
        history.add(&record(t + 3_600_000, "example.com", Verdict::Forwarded, 1));
        history.flush().unwrap();
        drop(history);

        let history = History::open(Some(&path));
        let day = history.day("2026-03-02").unwrap();
        assert_eq!(
            day.visits,
            [
                Visit {
                    host: "example.com".into(),
                    requests: 3,
                    bytes: 1501
                },
                Visit {
                    host: "wiki.example".into(),
                    requests: 1,
                    bytes: 10
                },
            ]
        );
        assert_eq!(day.sites, 2);
        assert_eq!(day.blocked[0].host, "ads.example");
        assert_eq!(day.blocked[0].count, 2);
        assert_eq!(day.blocked[0].list, None);
        assert_eq!(day.blocked[1].list.as_deref(), Some("Games"));
        assert_eq!(day.hours[12].requests, 3);
        assert_eq!(day.hours[12].blocked, 3);
        assert_eq!(day.hours[13].requests, 1);
        assert_eq!(day.hours.len(), 24);
        assert_eq!(
            history.days().unwrap(),
            [DaySummary {
                day: "2026-03-02".into(),
                requests: 4,
                blocked: 3
            }]
        );
    }

    #[test]
    fn days_older_than_the_retention_are_purged() {
        let (_dir, path) = file();
        let history = History::open(Some(&path));
        for day in ["2026-01-01", "2026-01-30", "2026-01-31", "2026-02-01"] {
            history.add(&record(noon(day), "example.com", Verdict::Forwarded, 1));
            history.add(&blocked(noon(day), "ads.example", "ads.example", None));
        }
        history.flush().unwrap();
        let today = NaiveDate::from_ymd_opt(2026, 2, 1).unwrap();
        // Keep 2 days: today and yesterday.
        history.purge(today, 2).unwrap();
        let days: Vec<String> = history.days().unwrap().into_iter().map(|d| d.day).collect();
        assert_eq!(days, ["2026-02-01", "2026-01-31"]);
        assert!(history.day("2026-01-30").unwrap().visits.is_empty());
        assert!(history.day("2026-01-30").unwrap().blocked.is_empty());
        history.purge(today, DEFAULT_DAYS).unwrap();
        assert_eq!(history.days().unwrap().len(), 2);
    }

    #[test]
    fn csv_lists_sites_and_blocked_attempts_safely() {
        let history = History::in_memory(None);
        let t = noon("2026-05-05");
        history.add(&record(t, "example.com", Verdict::Forwarded, 42));
        history.add(&blocked(
            t,
            "ads.example",
            "re:^ads,x",
            Some("Ads \"and\" more"),
        ));
        history.add(&blocked(t, "evil.example", "-x", None));
        history.flush().unwrap();
        let csv = history.csv(Some("2026-05-05")).unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], "day,kind,host,requests,bytes,rule,list");
        assert_eq!(lines[1], "2026-05-05,visited,example.com,1,42,,");
        assert!(lines
            .contains(&"2026-05-05,blocked,ads.example,1,,\"re:^ads,x\",\"Ads \"\"and\"\" more\""));
        assert!(lines.contains(&"2026-05-05,blocked,evil.example,1,,'-x,"));
        assert_eq!(history.csv(Some("2026-05-06")).unwrap().lines().count(), 1);
        assert_eq!(history.csv(None).unwrap(), csv);
    }

    #[test]
    fn the_tamper_log_keeps_entries_in_order() {
        let (_dir, path) = file();
        let history = History::open(Some(&path));
        history.record(1_000, &Reduced::ProxyOff);
        history.record(
            2_000,
            &Reduced::ListOff {
                list: "Games".into(),
            },
        );
        history.record(3_000, &Reduced::Quit { via: Via::Tray });
        drop(history);
        let history = History::open(Some(&path));
        let kinds: Vec<String> = history
            .tamper(10)
            .unwrap()
            .iter()
            .map(|e| e.what.kind())
            .collect();
        assert_eq!(kinds, ["quit", "list_off", "proxy_off"]);
        assert_eq!(history.tamper(1).unwrap()[0].time_ms, 3_000);
    }

    #[test]
    fn a_gap_in_the_heartbeat_is_found_at_the_next_start() {
        let (_dir, path) = file();
        let minute = 60_000;
        let history = History::open(Some(&path));
        history.started(1_000 * minute);
        history.heartbeat(1_001 * minute);
        drop(history); // killed: no clean stop

        // Back two minutes later: a kill is worth a word however short the gap.
        let history = History::open(Some(&path));
        history.started(1_003 * minute);
        assert_eq!(
            history.tamper(10).unwrap()[0].what,
            Reduced::NotRunning {
                since_ms: 1_001 * minute,
                quit: false
            }
        );
        // Quit, back two minutes later: the quit entry says it all.
        history.stopped(1_004 * minute);
        drop(history);
        let history = History::open(Some(&path));
        history.started(1_006 * minute);
        assert_eq!(history.tamper(10).unwrap().len(), 1);
        // Killed, back two hours later.
        drop(history);
        let history = History::open(Some(&path));
        history.started(1_123 * minute);
        let entries = history.tamper(10).unwrap();
        assert_eq!(
            entries[0].what,
            Reduced::NotRunning {
                since_ms: 1_006 * minute,
                quit: false
            }
        );
        assert_eq!(entries[0].time_ms, 1_123 * minute);
        // Quit cleanly, back the next day: the entry says it had quit.
        history.stopped(1_130 * minute);
        drop(history);
        let history = History::open(Some(&path));
        history.started(2_600 * minute);
        assert_eq!(
            history.tamper(1).unwrap()[0].what,
            Reduced::NotRunning {
                since_ms: 1_130 * minute,
                quit: true
            }
        );
    }

    #[test]
    fn a_config_changed_behind_wickets_back_is_recorded() {
        let history = History::in_memory(None);
        history.config_loaded(1, "{\"a\": 1}", true);
        assert!(history.tamper(10).unwrap().is_empty(), "first start");
        history.config_saved("{\"a\": 2}", true);
        history.config_loaded(2, "{\"a\": 2}", true);
        assert!(history.tamper(10).unwrap().is_empty(), "as saved");
        history.config_loaded(3, "{\"a\": 3}", false);
        assert_eq!(
            history.tamper(10).unwrap()[0].what,
            Reduced::ConfigChanged { pin_removed: true }
        );
    }

    #[test]
    fn a_file_that_is_not_a_database_is_kept_aside() {
        let (dir, path) = file();
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(
            &path,
            "not a database, not at all, just some text".repeat(100),
        )
        .unwrap();
        let history = History::open(Some(&path));
        assert!(history.problem().unwrap().to_string().contains("kept as"));
        history.record(1, &Reduced::ProxyOff);
        assert_eq!(history.tamper(10).unwrap().len(), 1);
        let kept = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().contains(".broken-"));
        assert!(kept, "{:?}", dir.path());
    }

    #[cfg(unix)]
    #[test]
    fn the_file_is_readable_by_its_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let (_dir, path) = file();
        let _history = History::open(Some(&path));
        let mode = fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn wrong_attempts_are_kept_between_runs() {
        let (_dir, path) = file();
        let history = History::open(Some(&path));
        assert_eq!(history.failures(), Failures::default());
        let failures = Failures {
            count: 3,
            last_ms: 99,
        };
        history.set_failures(failures);
        drop(history);
        assert_eq!(History::open(Some(&path)).failures(), failures);
    }
}
