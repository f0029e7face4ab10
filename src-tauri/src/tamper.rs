//! What the tamper log records: every time protection was reduced, with its time. The entries
//! are kept in the history database ([`crate::history`]) and shown to the parent, behind the
//! PIN. The window turns each kind into its own sentence; nothing here is display text.

use serde::{Deserialize, Serialize};

/// How Wicket was made to quit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Via {
    /// Quit in the tray menu.
    Tray,
    /// Quit from the window (after the tray asked for the PIN).
    Window,
    /// The window was closed on a desktop without a tray.
    WindowClosed,
    /// SIGTERM, SIGINT or SIGHUP: a logout, a shutdown, Ctrl+C, `kill`.
    Signal,
    /// The system ended the app some other way.
    System,
}

/// One way protection was reduced.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reduced {
    /// The proxy was switched off.
    ProxyOff,
    /// The proxy was on but could not listen on `address` (its port taken, say), so nothing
    /// was filtered until it could.
    ProxyFailed {
        address: String,
    },
    /// "Use as system proxy" was switched off.
    SystemProxyOff,
    /// Wicket quit.
    Quit {
        via: Via,
    },
    /// Wicket was not running from `since_ms` until the entry's time (found at the next start).
    /// `quit`: whether it had quit (a quit entry says how); otherwise it was killed, crashed,
    /// or the computer stopped.
    NotRunning {
        since_ms: u64,
        quit: bool,
    },
    /// The config file changed while Wicket was not running (edited by hand, say).
    ConfigChanged {
        pin_removed: bool,
    },
    PinRemoved,
    PinChanged,
    /// Rules were taken off the blocklist (`list` none) or a named list.
    RulesRemoved {
        list: Option<String>,
        rules: Vec<String>,
    },
    ListRemoved {
        list: String,
        rules: usize,
    },
    ListOff {
        list: String,
    },
    ListRenamed {
        list: String,
        to: String,
    },
    /// A list's schedule changed (a list with no windows is always in force).
    ScheduleChanged {
        list: String,
        schedule: Vec<String>,
    },
    AllowOnlyOff,
    AllowedSitesAdded {
        sites: Vec<String>,
    },
    /// Sites added to the system proxy's "go direct" list.
    BypassAdded {
        entries: Vec<String>,
    },
    AutostartOff,
    /// The history is kept for fewer days.
    HistoryShortened {
        days: u32,
    },
}

impl Reduced {
    /// The kind's name, as stored and sent (`proxy_off`...).
    pub fn kind(&self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.get("kind").and_then(|k| k.as_str().map(str::to_string)))
            .unwrap_or_default()
    }
}

/// A tamper log entry, as the window receives it: `{time_ms, kind, ...fields}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TamperEntry {
    /// When it happened (ms since the Unix epoch); for `not_running`, when it was found.
    pub time_ms: u64,
    #[serde(flatten)]
    pub what: Reduced,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_sent_flat_with_their_kind() {
        let entry = TamperEntry {
            time_ms: 5,
            what: Reduced::ListOff {
                list: "Games".into(),
            },
        };
        assert_eq!(
            serde_json::to_value(&entry).unwrap(),
            serde_json::json!({"time_ms": 5, "kind": "list_off", "list": "Games"})
        );
        assert_eq!(Reduced::ProxyOff.kind(), "proxy_off");
        assert_eq!(Reduced::Quit { via: Via::Tray }.kind(), "quit");
    }
}
