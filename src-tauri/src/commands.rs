//! The window's commands: thin wrappers that validate with the engine's own parsers and hand
//! changes to [`AppState`]. Each one is listed in build.rs and granted in
//! capabilities/main.json; nothing else is callable from the webview.
//!
//! With a parent's PIN set, every command that reduces protection, edits a list, a schedule or
//! a setting, or shows the history, first checks that the calling window is unlocked
//! ([`AppState::check_unlocked`]): called without an unlock, directly over IPC or not, it is
//! refused with `{"locked": ...}` and changes nothing. [`LOCKED`] lists them; the tests call
//! each one. The family protection commands (lists, import, allow-only, history) are in
//! [`family`].

pub mod family;

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};

use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Runtime, State, Window};
use wicket::config::check_bypass as bypass_reason;
use wicket::{ClientNet, ConnectPorts, Lang, Message, Rule};

use crate::autostart;
use crate::events::Feed;
use crate::i18n;
use crate::lifecycle;
use crate::messages as msg;
use crate::pin::{LockView, Refusal};
use crate::state::AppState;
use crate::system_proxy::SystemProxyView;
use crate::tamper::{Reduced, Via};
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
    "set_language",
    "unlock",
    "lock",
    "set_pin",
    "remove_pin",
    "quit",
    "create_list",
    "rename_list",
    "delete_list",
    "set_list_enabled",
    "list_rules",
    "add_list_rules",
    "remove_list_rule",
    "check_window",
    "add_list_windows",
    "remove_list_window",
    "import_chunk",
    "import_commit",
    "set_allow_only",
    "add_allowed_sites",
    "remove_allowed_site",
    "history",
    "export_history",
    "set_history_days",
];

/// The commands that need an unlocked window while a PIN is set. `set_enabled` and
/// `set_system_proxy` need it to switch off only (switching on adds protection); `set_pin`
/// only to change a PIN that is set.
pub const LOCKED: &[&str] = &[
    "set_enabled",
    "add_rules",
    "remove_rule",
    "add_clients",
    "remove_client",
    "save_settings",
    "set_system_proxy",
    "add_bypass",
    "remove_bypass",
    "set_autostart",
    "set_language",
    "set_pin",
    "remove_pin",
    "quit",
    "create_list",
    "rename_list",
    "delete_list",
    "set_list_enabled",
    "add_list_rules",
    "remove_list_rule",
    "add_list_windows",
    "remove_list_window",
    "import_chunk",
    "import_commit",
    "set_allow_only",
    "add_allowed_sites",
    "remove_allowed_site",
    "history",
    "export_history",
    "set_history_days",
];

/// A command's failure: the engine's message, or the lock's refusal. Messages reach the
/// window in every language (`{"en": "...", "zh-CN": "..."}`); it shows its own.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Error {
    /// `{"locked": {...}, "reason": "locked" | "wrong_pin" | "wait", "wait_secs": n}`
    Locked(Refusal),
    /// The reason.
    Message(Message),
}

impl From<Message> for Error {
    fn from(message: Message) -> Error {
        Error::Message(message)
    }
}

/// A failure in some other program's words (the OS, SQLite...), which are not translated.
impl From<String> for Error {
    fn from(detail: String) -> Error {
        Error::Message(Message::detail(detail))
    }
}

impl From<Refusal> for Error {
    fn from(refusal: Refusal) -> Error {
        Error::Locked(refusal)
    }
}

/// Refuses unless `window` may do locked things (no PIN, or unlocked).
pub fn unlocked<R: Runtime>(state: &AppState, window: &Window<R>) -> Result<(), Refusal> {
    state.check_unlocked(window.label())
}

/// An entry the engine refused, with its reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Refused {
    pub input: String,
    pub reason: Message,
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
pub type FieldErrors = BTreeMap<&'static str, Message>;

/// Why the settings were not saved.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum SettingsError {
    Locked(Refusal),
    Fields(FieldErrors),
}

fn view(state: &AppState) -> ConfigView {
    state.view()
}

/// Everything the window shows when it opens.
#[tauri::command]
pub async fn status<R: Runtime>(
    app: AppHandle<R>,
    window: Window<R>,
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
        lock: state.lock_view(window.label()),
        pending: state.take_pending(),
    })
}

/// Switches the proxy on or off (off needs the PIN); the error says why it could not start.
#[tauri::command]
pub async fn set_enabled<R: Runtime>(
    window: Window<R>,
    state: State<'_, AppState>,
    on: bool,
) -> Result<ConfigView, Error> {
    if !on {
        unlocked(&state, &window)?;
    }
    state.set_enabled(on).await?;
    Ok(view(&state))
}

/// A blocklist entry as the engine reads it, or the engine's reason for refusing it.
#[tauri::command]
pub async fn check_rule(text: String) -> Result<String, Message> {
    Rule::parse(&text)
        .map(|r| r.to_string())
        .map_err(|e| e.reason)
}

/// Adds blocklist entries (one, or many pasted); blank lines are skipped.
#[tauri::command]
pub async fn add_rules<R: Runtime>(
    window: Window<R>,
    state: State<'_, AppState>,
    entries: Vec<String>,
) -> Result<Added, Error> {
    unlocked(&state, &window)?;
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
pub async fn remove_rule<R: Runtime>(
    window: Window<R>,
    state: State<'_, AppState>,
    rule: String,
) -> Result<ConfigView, Error> {
    unlocked(&state, &window)?;
    let rule = Rule::parse(&rule).map_err(|e| e.reason)?;
    let removed = state
        .edit(|c| {
            let before = c.block.len();
            c.block.retain(|r| *r != rule);
            before != c.block.len()
        })
        .await;
    if removed {
        state
            .reduced(Reduced::RulesRemoved {
                list: None,
                rules: vec![rule.to_string()],
            })
            .await;
    }
    Ok(view(&state))
}

/// An allowlist entry as the engine reads it, or the engine's reason for refusing it.
#[tauri::command]
pub async fn check_client(text: String) -> Result<String, Message> {
    ClientNet::parse(&text)
        .map(|n| n.to_string())
        .map_err(|e| e.reason)
}

#[tauri::command]
pub async fn add_clients<R: Runtime>(
    window: Window<R>,
    state: State<'_, AppState>,
    entries: Vec<String>,
) -> Result<Added, Error> {
    unlocked(&state, &window)?;
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
pub async fn remove_client<R: Runtime>(
    window: Window<R>,
    state: State<'_, AppState>,
    entry: String,
) -> Result<ConfigView, Error> {
    unlocked(&state, &window)?;
    let net = ClientNet::parse(&entry).map_err(|e| e.reason)?;
    state.edit(|c| c.allow_clients.retain(|n| *n != net)).await;
    Ok(view(&state))
}

/// The settings form's errors by field; empty when it can be saved.
#[tauri::command]
pub async fn check_settings(input: SettingsInput) -> Result<FieldErrors, String> {
    Ok(parse_settings(&input).err().unwrap_or_default())
}

/// What saving the settings did: the config as saved, and the engine's state after it (a
/// listener moved to a port that is taken is `failed`, and the window says so, not "Saved").
#[derive(Clone, Debug, Serialize)]
pub struct SettingsSaved {
    pub config: ConfigView,
    pub engine: wicket::EngineState,
}

/// Saves the settings; a new address or port moves the listener at once (if that fails, the
/// engine's state says why, here, in the window and in the tray). Saving while the proxy is on
/// but could not start tries again, so the same settings work once their port is free.
#[tauri::command]
pub async fn save_settings<R: Runtime>(
    window: Window<R>,
    state: State<'_, AppState>,
    input: SettingsInput,
) -> Result<SettingsSaved, SettingsError> {
    unlocked(&state, &window).map_err(SettingsError::Locked)?;
    let settings = parse_settings(&input).map_err(SettingsError::Fields)?;
    let moved = state
        .edit(|c| {
            let moved = c.listen != settings.listen;
            c.listen = settings.listen;
            c.connect_ports = settings.connect_ports;
            c.timeout_secs = settings.timeout_secs;
            moved
        })
        .await;
    let failed = matches!(
        *state.engine.state().borrow(),
        wicket::EngineState::Failed { .. }
    );
    // (A moved listener has just been tried.)
    if failed && !moved && state.config().enabled {
        if let Err(e) = state.engine.start().await {
            log::warn!("{e}");
        }
    }
    let engine = state.engine.state().borrow().clone();
    Ok(SettingsSaved {
        config: view(&state),
        engine,
    })
}

/// Turns "Use as system proxy" on (the proxy too, if it is off) or off. The view says whether
/// the settings point at Wicket, and what went wrong if they could not.
#[tauri::command]
pub async fn set_system_proxy<R: Runtime>(
    window: Window<R>,
    state: State<'_, AppState>,
    on: bool,
) -> Result<SystemProxyView, Error> {
    if !on {
        unlocked(&state, &window)?;
    }
    Ok(state.set_system_proxy(on).await)
}

/// A bypass entry as it will be saved, or the engine's reason for refusing it.
#[tauri::command]
pub async fn check_bypass(text: String) -> Result<String, Message> {
    let entry = text.trim();
    bypass_reason(entry).map(|()| entry.to_string())
}

/// Adds bypass entries (one, or many pasted); a system proxy in force follows at once.
#[tauri::command]
pub async fn add_bypass<R: Runtime>(
    window: Window<R>,
    state: State<'_, AppState>,
    entries: Vec<String>,
) -> Result<Added, Error> {
    unlocked(&state, &window)?;
    let (parsed, refused) = parse_all(&entries, |t| {
        let entry = t.trim();
        bypass_reason(entry).map(|()| entry.to_string())
    });
    let (added, already) = state
        .edit(|c| append_new(&mut c.bypass, parsed, String::clone))
        .await;
    if !added.is_empty() {
        state
            .reduced(Reduced::BypassAdded {
                entries: added.clone(),
            })
            .await;
    }
    Ok(Added {
        config: view(&state),
        added,
        already,
        refused,
    })
}

#[tauri::command]
pub async fn remove_bypass<R: Runtime>(
    window: Window<R>,
    state: State<'_, AppState>,
    entry: String,
) -> Result<ConfigView, Error> {
    unlocked(&state, &window)?;
    let entry = entry.trim();
    state.edit(|c| c.bypass.retain(|e| e != entry)).await;
    Ok(view(&state))
}

/// Turns "Start at login" on or off; what the OS has afterwards, read back.
#[tauri::command]
pub async fn set_autostart<R: Runtime>(
    app: AppHandle<R>,
    window: Window<R>,
    state: State<'_, AppState>,
    on: bool,
) -> Result<Autostart, Error> {
    unlocked(&state, &window)?;
    let result = autostart::set(&app, on).await;
    if !on && result.error.is_none() {
        state.reduced(Reduced::AutostartOff).await;
    }
    Ok(result)
}

/// Chooses the language of the window and the tray: `en`, `zh-CN`, or `auto` (the OS's).
#[tauri::command]
pub async fn set_language<R: Runtime>(
    window: Window<R>,
    state: State<'_, AppState>,
    language: String,
) -> Result<ConfigView, Error> {
    unlocked(&state, &window)?;
    let chosen = match language.as_str() {
        "auto" => None,
        tag => Some(Lang::from_tag(tag).ok_or_else(|| {
            Message::new(&msg::SETTINGS_LANGUAGE).with("tag", format!("{tag:?}"))
        })?),
    };
    state
        .edit(|c| match chosen {
            Some(lang) => c.app.insert(i18n::SETTING.into(), lang.tag().into()),
            None => c.app.remove(i18n::SETTING),
        })
        .await;
    Ok(view(&state))
}

// The parent's PIN ------------------------------------------------------------------------------

/// Unlocks this window for a few minutes if `pin` is right; wrong attempts slow the next ones.
#[tauri::command]
pub async fn unlock<R: Runtime>(
    window: Window<R>,
    state: State<'_, AppState>,
    pin: String,
) -> Result<LockView, Error> {
    Ok(state.unlock(window.label(), pin).await?)
}

/// Locks this window again now.
#[tauri::command]
pub async fn lock<R: Runtime>(
    window: Window<R>,
    state: State<'_, AppState>,
) -> Result<LockView, String> {
    state.grants.revoke(window.label());
    Ok(state.lock_view(window.label()))
}

/// Sets the PIN, or changes it (which needs the current one: an unlocked window).
#[tauri::command]
pub async fn set_pin<R: Runtime>(
    window: Window<R>,
    state: State<'_, AppState>,
    pin: String,
) -> Result<LockView, Error> {
    unlocked(&state, &window)?;
    Ok(state.set_pin(window.label(), pin).await?)
}

#[tauri::command]
pub async fn remove_pin<R: Runtime>(
    window: Window<R>,
    state: State<'_, AppState>,
) -> Result<LockView, Error> {
    unlocked(&state, &window)?;
    Ok(state.remove_pin(window.label()).await)
}

/// Quits Wicket (the tray's Quit, once the parent has given the PIN in the window).
#[tauri::command]
pub async fn quit<R: Runtime>(
    app: AppHandle<R>,
    window: Window<R>,
    state: State<'_, AppState>,
) -> Result<(), Error> {
    unlocked(&state, &window)?;
    lifecycle::quit(&app, Via::Window);
    Ok(())
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
                Message::new(&msg::SETTINGS_NOT_AN_IP).with("address", format!("{address:?}")),
            )
        })
        .ok();
    let port = match input.port.trim().parse::<u16>() {
        Ok(p) if p > 0 => Some(p),
        _ => {
            errors.insert("port", Message::new(&msg::SETTINGS_PORT));
            None
        }
    };
    let connect_ports = ConnectPorts::parse(&input.connect_ports)
        .map_err(|e| errors.insert("connect_ports", e))
        .ok();
    let timeout_secs = match input.timeout_secs.trim().parse::<u64>() {
        Ok(secs) if wicket::config::TIMEOUT_SECS.contains(&secs) => Some(secs),
        Ok(_) => {
            errors.insert("timeout_secs", Message::new(&msg::SETTINGS_TIMEOUT_RANGE));
            None
        }
        Err(_) => {
            errors.insert("timeout_secs", Message::new(&msg::SETTINGS_TIMEOUT_NUMBER));
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

/// Parses every non-blank entry; returns the parsed ones and the refused ones with reasons.
fn parse_all<T>(
    entries: &[String],
    parse: impl Fn(&str) -> Result<T, Message>,
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
        assert!(errors["connect_ports"]
            .to_string()
            .contains("is not a port"));
        assert!(errors["timeout_secs"].to_string().contains("1 to 86400"));
    }
}
