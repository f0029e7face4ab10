//! What the window is sent: serde views of the config and the stats, shaped for display.
//! Everything is computed by the engine; these only pick and arrange fields.

use std::net::SocketAddr;
use std::sync::Arc;

use serde::Serialize;
use wicket::policy::ListNow;
use wicket::stats::HostCount;
use wicket::{ClientNet, Config, ConnectPorts, EngineState, Message, RequestRecord, StatsSnapshot};

use crate::i18n;
use crate::messages as msg;
use crate::persist::ConfigProblem;
use crate::pin::LockView;
use crate::state::{history_days, ParentAction};
use crate::system_proxy::SystemProxyView;

/// Seconds of history the chart shows (the engine keeps more).
pub const CHART_SECONDS: usize = 300;

/// The settings, as the window edits them.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ConfigView {
    /// Whether the user wants the proxy on (the engine's state says whether it is).
    pub enabled: bool,
    pub address: String,
    pub port: u16,
    pub listen: String,
    pub block: Vec<String>,
    pub allow_clients: Vec<String>,
    /// `any`, or ports separated by commas.
    pub connect_ports: String,
    pub timeout_secs: u64,
    /// Allowlist entries that do not do what they seem to, or do too much.
    pub allowlist_warnings: Vec<Message>,
    /// Whether the user wants Wicket as the system proxy (see [`SystemProxyView`] for whether
    /// it is).
    pub system_proxy: bool,
    /// What goes direct when Wicket is the system proxy or used through its PAC file.
    pub bypass: Vec<String>,
    /// The named lists, without their rules (a list may hold 100 000: the window asks for
    /// them a page at a time).
    pub lists: Vec<ListView>,
    /// Allow-only browsing: only `allowed_sites` can be reached.
    pub allow_only: bool,
    pub allowed_sites: Vec<String>,
    /// Days of activity history kept.
    pub history_days: u32,
    /// Why the last save failed; none once a save succeeds.
    pub save_error: Option<Message>,
    /// The language chosen in Settings (`en`, `zh-CN`); none: the OS's.
    pub language: Option<&'static str>,
    /// The language the window and the tray speak now.
    pub lang: &'static str,
}

/// A named list, as the Lists view and the dashboard show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ListView {
    pub name: String,
    /// Switched on by the parent.
    pub enabled: bool,
    /// Switched on and inside its schedule: blocking now (as the engine has it).
    pub in_force: bool,
    /// How many rules it has.
    pub rules: usize,
    /// Its time windows, as the engine writes them; none: always.
    pub schedule: Vec<String>,
}

impl ConfigView {
    /// The view of `config`; `lists_now` says which lists the engine has in force.
    pub fn new(config: &Config, save_error: Option<Message>, lists_now: &[ListNow]) -> ConfigView {
        let lists = config
            .lists
            .iter()
            .map(|l| ListView {
                name: l.name.clone(),
                enabled: l.enabled,
                in_force: lists_now.iter().any(|n| n.name == l.name && n.in_force),
                rules: l.rules.len(),
                schedule: l.schedule.iter().map(|w| w.to_string()).collect(),
            })
            .collect();
        ConfigView {
            enabled: config.enabled,
            address: config.listen.ip().to_string(),
            port: config.listen.port(),
            listen: config.listen.to_string(),
            block: config.block.iter().map(|r| r.to_string()).collect(),
            allow_clients: config.allow_clients.iter().map(|n| n.to_string()).collect(),
            connect_ports: connect_ports_text(&config.connect_ports),
            timeout_secs: config.timeout_secs,
            allowlist_warnings: allowlist_warnings(&config.allow_clients, config.listen),
            system_proxy: config.system_proxy,
            bypass: config.bypass.clone(),
            lists,
            allow_only: config.allow_only,
            allowed_sites: config.allowed_sites.iter().map(|r| r.to_string()).collect(),
            history_days: history_days(config),
            save_error,
            language: i18n::chosen(config).map(|l| l.tag()),
            lang: i18n::of(config).tag(),
        }
    }
}

pub fn connect_ports_text(ports: &ConnectPorts) -> String {
    match ports {
        ConnectPorts::Any => "any".into(),
        ConnectPorts::Only(ports) => ports
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// Warnings for allowlists that would surprise: networks a loopback listener can never hear
/// from, and entries that let everyone in.
pub fn allowlist_warnings(clients: &[ClientNet], listen: SocketAddr) -> Vec<Message> {
    let mut warnings = Vec::new();
    let loopback = listen.ip().is_loopback();
    if clients.is_empty() {
        warnings.push(Message::new(&msg::ALLOW_NOBODY));
    }
    let everything: Vec<String> = clients
        .iter()
        .filter(|n| n.is_everything())
        .map(|n| n.to_string())
        .collect();
    if !everything.is_empty() {
        let entry = if loopback {
            &msg::ALLOW_EVERYONE_LOOPBACK
        } else {
            &msg::ALLOW_EVERYONE
        };
        warnings.push(
            Message::new(entry)
                .with("entries", everything.join(", "))
                .with("port", listen.port())
                .with("ip", listen.ip()),
        );
    }
    let outside: Vec<String> = clients
        .iter()
        .filter(|n| !n.is_loopback() && !n.is_everything())
        .map(|n| n.to_string())
        .collect();
    if loopback && !outside.is_empty() {
        let warning = if outside.len() == 1 {
            Message::new(&msg::ALLOW_NO_EFFECT_ONE).with("entry", &outside[0])
        } else {
            Message::new(&msg::ALLOW_NO_EFFECT_MANY).with("entries", outside.join(", "))
        };
        warnings.push(warning.with("ip", listen.ip()));
    }
    warnings
}

/// One second of the chart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Point {
    /// Seconds since the Unix epoch.
    pub time: u64,
    pub requests: u64,
    pub blocked: u64,
}

/// The counters, top hosts and the chart's newest seconds.
#[derive(Clone, Debug, Serialize)]
pub struct StatsView {
    pub requests: u64,
    pub blocked: u64,
    pub denied: u64,
    pub errors: u64,
    pub bytes_up: u64,
    pub bytes_down: u64,
    pub open_connections: u64,
    pub open_tunnels: u64,
    pub top_hosts: Vec<HostCount>,
    pub top_blocked: Vec<HostCount>,
    /// Seconds after the `after` given to [`StatsView::new`], oldest first.
    pub series: Vec<Point>,
}

impl StatsView {
    /// The snapshot, with only the chart seconds later than `after` (at most the chart's width).
    pub fn new(s: &StatsSnapshot, after: u64) -> StatsView {
        let fresh: Vec<Point> = s
            .series
            .iter()
            .filter(|p| p.time > after)
            .map(|p| Point {
                time: p.time,
                requests: p.requests,
                blocked: p.blocked,
            })
            .collect();
        let skip = fresh.len().saturating_sub(CHART_SECONDS);
        StatsView {
            requests: s.requests,
            blocked: s.blocked,
            denied: s.denied,
            errors: s.errors,
            bytes_up: s.bytes_up,
            bytes_down: s.bytes_down,
            open_connections: s.open_connections,
            open_tunnels: s.open_tunnels,
            top_hosts: s.top_hosts.clone(),
            top_blocked: s.top_blocked.clone(),
            series: fresh[skip..].to_vec(),
        }
    }

    /// The newest second in the series, if any.
    pub fn last_time(&self) -> Option<u64> {
        self.series.last().map(|p| p.time)
    }
}

/// Everything the window needs when it opens.
#[derive(Clone, Debug, Serialize)]
pub struct Status {
    pub config: ConfigView,
    pub engine: EngineState,
    pub stats: StatsView,
    /// The newest requests, oldest first.
    pub recent: Vec<Arc<RequestRecord>>,
    /// Sequence number of the last of `recent`; later `requests` events continue from it.
    pub recent_last_seq: u64,
    /// Why the config file was not used, if it was not.
    pub problem: Option<ConfigProblem>,
    pub config_path: Option<String>,
    pub system_proxy: SystemProxyView,
    /// Whether Wicket starts at login, or why that cannot be known or changed here.
    pub autostart: Autostart,
    /// Whether a PIN is set and this window is unlocked.
    pub lock: LockView,
    /// What the tray asked the parent to confirm with the PIN before the window opened.
    pub pending: Option<ParentAction>,
}

/// "Start at login", as the OS has it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Autostart {
    pub enabled: bool,
    /// Why it could not be read or changed.
    pub error: Option<Message>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(list: &[&str]) -> Vec<ClientNet> {
        list.iter().map(|t| ClientNet::parse(t).unwrap()).collect()
    }

    #[test]
    fn loopback_allowlist_on_loopback_listener_needs_no_warning() {
        let listen = "127.0.0.1:12345".parse().unwrap();
        assert!(allowlist_warnings(&nets(&["127.0.0.0/8", "::1"]), listen).is_empty());
    }

    #[test]
    fn lan_network_on_loopback_listener_is_said_to_have_no_effect() {
        let listen = "127.0.0.1:12345".parse().unwrap();
        let w = allowlist_warnings(&nets(&["127.0.0.1", "192.168.1.0/24"]), listen);
        assert_eq!(w.len(), 1);
        assert!(
            w[0].to_string().starts_with("192.168.1.0/24 has no effect"),
            "{w:?}"
        );
        let two = allowlist_warnings(&nets(&["10.0.0.0/8", "192.168.1.0/24"]), listen);
        assert!(two[0]
            .to_string()
            .starts_with("10.0.0.0/8, 192.168.1.0/24 have no effect"));
        assert!(two[0].text(wicket::Lang::Zh).contains("不会生效"));
        let open: SocketAddr = "0.0.0.0:12345".parse().unwrap();
        assert!(allowlist_warnings(&nets(&["192.168.1.0/24"]), open).is_empty());
    }

    #[test]
    fn allowing_everything_is_always_warned_about() {
        let open: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        let w = allowlist_warnings(&nets(&["0.0.0.0/0"]), open);
        assert_eq!(w.len(), 1);
        let w = w[0].to_string();
        assert!(w.contains("every address") && w.contains("8080"), "{w}");
    }

    #[test]
    fn empty_allowlist_is_warned_about() {
        let listen = "127.0.0.1:1".parse().unwrap();
        assert!(allowlist_warnings(&[], listen)[0]
            .to_string()
            .contains("every request"));
    }
}
