//! The window's commands: thin wrappers that validate with the engine's own parsers and hand
//! changes to [`AppState`]. Each one is listed in build.rs and granted in
//! capabilities/main.json; nothing else is callable from the webview.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};

use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Runtime, State};
use wicket::config::check_bypass as bypass_reason;
use wicket::{ClientNet, Config, ConfigError, ConnectPorts, Rule};

use crate::autostart;
use crate::events::Feed;
use crate::state::AppState;
use crate::system_proxy::SystemProxyView;
use crate::views::{Autostart, ConfigView, StatsView, Status};

/// Every command, for build.rs's manifest and the capability file (keep the three in step).
pub const COMMANDS: &[&str] = &[
    "status",
    "set_enabled",
    "check_rule",
    "add_rules",
    "remove_rule",
    "check_client",
    "add_clients",
    "remove_client",
    "check_settings",
    "save_settings",
    "dismiss_problem",
    "set_system_proxy",
    "check_bypass",
    "add_bypass",
    "remove_bypass",
    "set_autostart",
];

/// An entry the engine refused, with its reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Refused {
    pub input: String,
    pub reason: String,
}

/// What adding entries did; nothing is dropped without being listed here.
#[derive(Clone, Debug, Serialize)]
pub struct Added {
    pub config: ConfigView,
    /// New entries, as the engine writes them.
    pub added: Vec<String>,
    /// Entries that were on the list already.
    pub already: Vec<String>,
    pub refused: Vec<Refused>,
}

/// The settings form, as typed (numbers too, so that any text gets a proper message).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct SettingsInput {
    pub address: String,
    pub port: String,
    pub connect_ports: String,
    pub timeout_secs: String,
}

/// Messages by form field (`address`, `port`, `connect_ports`, `timeout_secs`).
pub type FieldErrors = BTreeMap<&'static str, String>;

fn view(state: &AppState) -> ConfigView {
    ConfigView::new(&state.config(), state.save_error())
}

/// Everything the window shows when it opens.
#[tauri::command]
pub async fn status<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    feed: State<'_, Feed>,
) -> Result<Status, String> {
    let autostart = autostart::read(&app).await;
    let stats = StatsView::new(&state.engine.stats(), 0);
    feed.chart_sent(stats.last_time());
    let recent = feed.recent();
    Ok(Status {
        config: view(&state),
        engine: state.engine.state().borrow().clone(),
        stats,
        recent: recent.records,
        recent_last_seq: recent.last_seq,
        problem: state.problem(),
        config_path: state.config_path(),
        system_proxy: state.system_proxy.view(),
        autostart,
    })
}

/// Switches the proxy on or off; the error says why it could not start.
#[tauri::command]
pub async fn set_enabled(state: State<'_, AppState>, on: bool) -> Result<ConfigView, String> {
    state.set_enabled(on).await?;
    Ok(view(&state))
}

/// A blocklist entry as the engine reads it, or the engine's reason for refusing it.
#[tauri::command]
pub async fn check_rule(text: String) -> Result<String, String> {
    Rule::parse(&text)
        .map(|r| r.to_string())
        .map_err(|e| e.reason)
}

/// Adds blocklist entries (one, or many pasted); blank lines are skipped.
#[tauri::command]
pub async fn add_rules(state: State<'_, AppState>, entries: Vec<String>) -> Result<Added, String> {
    let (parsed, refused) = parse_all(&entries, |t| Rule::parse(t).map_err(|e| e.reason));
    let (added, already) = state
        .edit(|c| append_new(&mut c.block, parsed, Rule::to_string))
        .await;
    Ok(Added {
        config: view(&state),
        added,
        already,
        refused,
    })
}

#[tauri::command]
pub async fn remove_rule(state: State<'_, AppState>, rule: String) -> Result<ConfigView, String> {
    let rule = Rule::parse(&rule).map_err(|e| e.reason)?;
    state.edit(|c| c.block.retain(|r| *r != rule)).await;
    Ok(view(&state))
}

/// An allowlist entry as the engine reads it, or the engine's reason for refusing it.
#[tauri::command]
pub async fn check_client(text: String) -> Result<String, String> {
    ClientNet::parse(&text)
        .map(|n| n.to_string())
        .map_err(|e| e.reason)
}

#[tauri::command]
pub async fn add_clients(
    state: State<'_, AppState>,
    entries: Vec<String>,
) -> Result<Added, String> {
    let (parsed, refused) = parse_all(&entries, |t| ClientNet::parse(t).map_err(|e| e.reason));
    let (added, already) = state
        .edit(|c| append_new(&mut c.allow_clients, parsed, ClientNet::to_string))
        .await;
    Ok(Added {
        config: view(&state),
        added,
        already,
        refused,
    })
}

#[tauri::command]
pub async fn remove_client(
    state: State<'_, AppState>,
    entry: String,
) -> Result<ConfigView, String> {
    let net = ClientNet::parse(&entry).map_err(|e| e.reason)?;
    state.edit(|c| c.allow_clients.retain(|n| *n != net)).await;
    Ok(view(&state))
}

/// The settings form's errors by field; empty when it can be saved.
#[tauri::command]
pub async fn check_settings(input: SettingsInput) -> Result<FieldErrors, String> {
    Ok(parse_settings(&input).err().unwrap_or_default())
}

/// Saves the settings; a new address or port moves the listener at once (if that fails, the
/// engine's state says why, in the window and the tray).
#[tauri::command]
pub async fn save_settings(
    state: State<'_, AppState>,
    input: SettingsInput,
) -> Result<ConfigView, FieldErrors> {
    let settings = parse_settings(&input)?;
    state
        .edit(|c| {
            c.listen = settings.listen;
            c.connect_ports = settings.connect_ports;
            c.timeout_secs = settings.timeout_secs;
        })
        .await;
    Ok(view(&state))
}

/// Turns "Use as system proxy" on (the proxy too, if it is off) or off. The view says whether
/// the settings point at Wicket, and what went wrong if they could not.
#[tauri::command]
pub async fn set_system_proxy(
    state: State<'_, AppState>,
    on: bool,
) -> Result<SystemProxyView, String> {
    Ok(state.set_system_proxy(on).await)
}

/// A bypass entry as it will be saved, or the engine's reason for refusing it.
#[tauri::command]
pub async fn check_bypass(text: String) -> Result<String, String> {
    let entry = text.trim();
    bypass_reason(entry).map(|()| entry.to_string())
}

/// Adds bypass entries (one, or many pasted); a system proxy in force follows at once.
#[tauri::command]
pub async fn add_bypass(state: State<'_, AppState>, entries: Vec<String>) -> Result<Added, String> {
    let (parsed, refused) = parse_all(&entries, |t| {
        let entry = t.trim();
        bypass_reason(entry).map(|()| entry.to_string())
    });
    let (added, already) = state
        .edit(|c| append_new(&mut c.bypass, parsed, String::clone))
        .await;
    Ok(Added {
        config: view(&state),
        added,
        already,
        refused,
    })
}

#[tauri::command]
pub async fn remove_bypass(
    state: State<'_, AppState>,
    entry: String,
) -> Result<ConfigView, String> {
    let entry = entry.trim();
    state.edit(|c| c.bypass.retain(|e| e != entry)).await;
    Ok(view(&state))
}

/// Turns "Start at login" on or off; what the OS has afterwards, read back.
#[tauri::command]
pub async fn set_autostart<R: Runtime>(app: AppHandle<R>, on: bool) -> Result<Autostart, String> {
    Ok(autostart::set(&app, on).await)
}

/// Hides the notice about a config file that could not be used.
#[tauri::command]
pub async fn dismiss_problem(state: State<'_, AppState>) -> Result<(), String> {
    state.dismiss_problem();
    Ok(())
}

#[derive(Debug)]
struct Settings {
    listen: SocketAddr,
    connect_ports: ConnectPorts,
    timeout_secs: u64,
}

fn parse_settings(input: &SettingsInput) -> Result<Settings, FieldErrors> {
    let mut errors = FieldErrors::new();
    let address = input.address.trim();
    let ip = address
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .map_err(|_| {
            errors.insert(
                "address",
                format!(
                    "{address:?} is not an IP address (for example 127.0.0.1 for this computer \
                     only, or 0.0.0.0 for every network)"
                ),
            )
        })
        .ok();
    let port = match input.port.trim().parse::<u16>() {
        Ok(p) if p > 0 => Some(p),
        _ => {
            errors.insert("port", "the port must be a number from 1 to 65535".into());
            None
        }
    };
    let connect_ports = ConnectPorts::parse(&input.connect_ports)
        .map_err(|e| errors.insert("connect_ports", e))
        .ok();
    let timeout_secs = match input.timeout_secs.trim().parse::<u64>() {
        Ok(secs) => match config_value("timeout_secs", secs.into()) {
            Ok(_) => Some(secs),
            Err(e) => {
                errors.insert("timeout_secs", e);
                None
            }
        },
        Err(_) => {
            errors.insert("timeout_secs", "expected a whole number of seconds".into());
            None
        }
    };
    match (ip, port, connect_ports, timeout_secs) {
        (Some(ip), Some(port), Some(connect_ports), Some(timeout_secs)) if errors.is_empty() => {
            Ok(Settings {
                listen: SocketAddr::new(ip, port),
                connect_ports,
                timeout_secs,
            })
        }
        _ => Err(errors),
    }
}

/// Checks one config value with the engine's own config parser, for its ranges and messages.
fn config_value(field: &str, value: serde_json::Value) -> Result<Config, String> {
    let text = serde_json::json!({ field: value }).to_string();
    Config::parse(&text).map_err(|e| match e {
        ConfigError::Invalid(invalid) => invalid.message,
        other => other.to_string(),
    })
}

/// Parses every non-blank entry; returns the parsed ones and the refused ones with reasons.
fn parse_all<T>(
    entries: &[String],
    parse: impl Fn(&str) -> Result<T, String>,
) -> (Vec<T>, Vec<Refused>) {
    let mut parsed = Vec::new();
    let mut refused = Vec::new();
    for entry in entries.iter().filter(|e| !e.trim().is_empty()) {
        match parse(entry) {
            Ok(value) => parsed.push(value),
            Err(reason) => refused.push(Refused {
                input: entry.trim().to_string(),
                reason,
            }),
        }
    }
    (parsed, refused)
}

/// Appends the entries not on `list` yet; returns (added, already there) as text.
fn append_new<T: PartialEq>(
    list: &mut Vec<T>,
    entries: Vec<T>,
    text: impl Fn(&T) -> String,
) -> (Vec<String>, Vec<String>) {
    let mut added = Vec::new();
    let mut already = Vec::new();
    for entry in entries {
        if list.contains(&entry) {
            already.push(text(&entry));
        } else {
            added.push(text(&entry));
            list.push(entry);
        }
    }
    (added, already)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(address: &str, port: &str, ports: &str, timeout: &str) -> SettingsInput {
        SettingsInput {
            address: address.into(),
            port: port.into(),
            connect_ports: ports.into(),
            timeout_secs: timeout.into(),
        }
    }

    #[test]
    fn valid_settings_parse() {
        let s = parse_settings(&input("::1", "8080", "443, 8443", "15")).unwrap();
        assert_eq!(s.listen.to_string(), "[::1]:8080");
        assert_eq!(s.connect_ports, ConnectPorts::Only(vec![443, 8443]));
        assert_eq!(s.timeout_secs, 15);
    }

    #[test]
    fn every_bad_field_gets_its_own_message() {
        let errors = parse_settings(&input("localhost", "70000", "443,x", "0")).unwrap_err();
        assert_eq!(
            errors.keys().copied().collect::<Vec<_>>(),
            ["address", "connect_ports", "port", "timeout_secs"]
        );
        // The engine's own wording, from its parsers.
        assert!(errors["connect_ports"].contains("is not a port"));
        assert!(errors["timeout_secs"].contains("out of range"));
    }
}
