//! Wicket's desktop app: a tray icon and a small window around the proxy engine (the `wicket`
//! crate). No proxy logic lives here: the app starts and stops the engine, forwards its events
//! to the window, and saves the config in the CLI's file. One file per concern:
//!
//! - [`state`]: the engine and the config in force, every change applied, saved and published;
//! - [`pin`]: the parent's PIN: its hash, the unlocks it grants, the slow-down after wrong ones;
//! - [`lists`]: named lists, their schedules, and importing published blocklists into them;
//! - [`history`]: the activity history and the tamper log ([`tamper`]), in SQLite;
//! - [`system_proxy`]: the OS proxy settings, following the switch and the engine;
//! - [`autostart`]: starting at login, in the tray;
//! - [`persist`]: the config file (same format as the CLI), broken files kept aside;
//! - [`commands`]: what the window may call (the family protection ones in
//!   [`commands::family`]), each locked one checking the PIN;
//! - [`events`]: the one event enum sent to the window, batched and rate-limited;
//! - [`views`]: the shapes the window receives;
//! - [`i18n`]: the language the app speaks (the OS's, or the one chosen in Settings), and
//!   [`messages`], what it says from Rust (the tray, refusals); the window's texts are in ui/i18n/;
//! - [`window`]: the main window, created on demand and destroyed when closed;
//! - [`tray`]: the tray icon and its menu;
//! - [`lifecycle`]: a clean quit from the tray, a signal, or the last window closing.
//!
//! [`builder`] wires what the real app and the mock-runtime tests share; [`run`] adds the tray,
//! the single-instance guard and the run loop.

pub mod autostart;
pub mod commands;
pub mod events;
pub mod history;
pub mod i18n;
pub mod lifecycle;
pub mod lists;
pub mod messages;
pub mod persist;
pub mod pin;
pub mod state;
pub mod system_proxy;
pub mod tamper;
pub mod tray;
pub mod views;
pub mod window;

use tauri::{Builder, Manager, Runtime, WindowEvent};
use wicket::Config;

use crate::events::Feed;
use crate::state::AppState;

/// Commands, state and start-up shared by the app and its tests. The caller manages the
/// [`AppState`] before the app runs (the app loads the config file, tests bring their own).
pub fn builder<R: Runtime>(builder: Builder<R>) -> Builder<R> {
    builder
        .plugin(autostart::plugin())
        .manage(Feed::default())
        .invoke_handler(tauri::generate_handler![
            commands::status,
            commands::set_enabled,
            commands::check_rule,
            commands::add_rules,
            commands::remove_rule,
            commands::check_client,
            commands::add_clients,
            commands::remove_client,
            commands::check_settings,
            commands::save_settings,
            commands::dismiss_problem,
            commands::set_system_proxy,
            commands::check_bypass,
            commands::add_bypass,
            commands::remove_bypass,
            commands::set_autostart,
            commands::set_language,
            commands::unlock,
            commands::lock,
            commands::set_pin,
            commands::remove_pin,
            commands::quit,
            commands::family::create_list,
            commands::family::rename_list,
            commands::family::delete_list,
            commands::family::set_list_enabled,
            commands::family::list_rules,
            commands::family::add_list_rules,
            commands::family::remove_list_rule,
            commands::family::check_window,
            commands::family::add_list_windows,
            commands::family::remove_list_window,
            commands::family::import_chunk,
            commands::family::import_commit,
            commands::family::set_allow_only,
            commands::family::add_allowed_sites,
            commands::family::remove_allowed_site,
            commands::family::history,
            commands::family::export_history,
            commands::family::set_history_days,
        ])
        .on_window_event(on_window_event)
        .setup(|app| {
            events::spawn_forwarder(app.handle().clone());
            history::spawn_recorder(app.handle().clone());
            let handle = app.handle().clone();
            // Watching from before the first start, so a failed first start is recorded too.
            let engine = app.state::<AppState>().engine.state();
            tauri::async_runtime::spawn(record_failed_starts(handle.clone(), engine));
            tauri::async_runtime::spawn(async move {
                handle.state::<AppState>().restore().await;
                // Then the system proxy follows the switch and the engine for good.
                follow_system_proxy(handle).await;
            });
            Ok(())
        })
}

/// An unlock belongs to the window it was given to: closing the window locks again.
pub fn on_window_event<R: Runtime>(window: &tauri::Window<R>, event: &WindowEvent) {
    if let WindowEvent::Destroyed = event {
        if let Some(state) = window.app_handle().try_state::<AppState>() {
            state.grants.revoke(window.label());
        }
    }
}

/// Keeps the system proxy in line with the config and the engine: pointed at a running proxy
/// while the user wants it, given back at once when the engine stops or fails to listen.
async fn follow_system_proxy<R: Runtime>(app: tauri::AppHandle<R>) {
    let state = app.state::<AppState>();
    let mut engine = state.engine.state();
    let mut config = state.watch_config();
    loop {
        engine.borrow_and_update();
        config.borrow_and_update();
        state.sync_system_proxy().await;
        tokio::select! {
            changed = engine.changed() => if changed.is_err() { return },
            changed = config.changed() => if changed.is_err() { return },
        }
    }
}

/// A proxy that should run but could not listen (its port taken, say) filters nothing: the
/// tamper log records each time it happens.
async fn record_failed_starts<R: Runtime>(
    app: tauri::AppHandle<R>,
    mut engine: tokio::sync::watch::Receiver<wicket::EngineState>,
) {
    let state = app.state::<AppState>();
    while engine.changed().await.is_ok() {
        let failed = matches!(
            *engine.borrow_and_update(),
            wicket::EngineState::Failed { .. }
        );
        let config = state.config();
        if failed && config.enabled {
            let address = config.listen.to_string();
            state
                .reduced(tamper::Reduced::ProxyFailed { address })
                .await;
        }
    }
}

/// The app's config, icons and ui/, from tauri.conf.json at the workspace root.
pub fn context<R: Runtime>() -> tauri::Context<R> {
    tauri::generate_context!("../tauri.conf.json")
}

/// Runs the desktop app. `--hidden` starts in the tray (for autostart) when there is one.
pub fn run() {
    env_logger::Builder::from_env(
        env_logger::Env::default().default_filter_or("warn,wicket=info,wicket_desktop=info"),
    )
    .init();
    let hidden = std::env::args().skip(1).any(|a| a == "--hidden");
    warn_without_session_bus();
    let app = builder(
        // First, so that a second launch hands over before anything else starts.
        tauri::Builder::default().plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            window::show_main(app);
        })),
    )
    .build(context())
    .unwrap_or_else(|e| {
        log::error!("cannot start: {e}");
        std::process::exit(1);
    });
    let handle = app.handle().clone();
    // Loaded only now, once the single-instance guard has let this instance through: a second
    // launch must not touch the running one's config file. Loading restores system proxy
    // settings a crashed Wicket left, before the proxy or anything else starts.
    let state = AppState::load(Config::default_path());
    exit_if_already_running(&state);
    handle.manage(state);
    let tray_shown = tray::setup(&handle);
    if !hidden || !tray_shown {
        window::show_main(&handle);
    }
    lifecycle::quit_on_signals(&handle);
    app.run(lifecycle::on_run_event);
}

/// Without a session bus the single-instance guard lets every launch through. A second Wicket
/// finds the system proxy's lock taken; when the proxy's port is taken too it is the same
/// Wicket running already: say so and leave it alone, instead of opening a window on a proxy
/// that cannot start.
fn exit_if_already_running(state: &AppState) {
    let Some(pid) = state.system_proxy.owner() else {
        return;
    };
    let config = state.config();
    if !config.enabled || std::net::TcpListener::bind(config.listen).is_ok() {
        return;
    }
    let who = pid.map(|p| format!(" (process {p})")).unwrap_or_default();
    eprintln!(
        "wicket-desktop: Wicket is already running{who} and listening on {}. This launch \
         cannot bring its window forward (that needs a D-Bus session): use its tray icon, or \
         quit it before starting Wicket again.",
        config.listen
    );
    std::process::exit(1);
}

/// The single-instance guard lives on the D-Bus session bus; without one it lets every launch
/// through (harmless: a second proxy finds the port taken and says so). Say why.
fn warn_without_session_bus() {
    if !cfg!(target_os = "linux") {
        return;
    }
    let address = std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some_and(|a| !a.is_empty());
    let socket = std::env::var_os("XDG_RUNTIME_DIR")
        .is_some_and(|dir| std::path::Path::new(&dir).join("bus").exists());
    if !address && !socket {
        log::warn!("no D-Bus session bus: a second launch of Wicket cannot hand over to this one");
    }
}
