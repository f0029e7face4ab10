//! The tray icon: its look follows the proxy (on, off, error) and its menu holds every action,
//! since Linux tray hosts deliver menu events only, never clicks on the icon. With a PIN set,
//! what reduces protection (switching off, quitting) opens the window to ask for it.
//!
//! Kept out of [`crate::builder`]: tray code needs GTK, which the mock runtime does not start.
//! A desktop without a tray host is not an error: the icon is still registered (a host may
//! appear later) and the caller opens the window instead.

use std::time::Duration;

use tauri::image::Image;
use tauri::menu::{CheckMenuItem, Menu, MenuEvent, MenuItem, PredefinedMenuItem};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Manager, Runtime};
use wicket::i18n::Entry;
use wicket::{EngineState, Lang, Message};

use crate::i18n;
use crate::lifecycle;
use crate::messages as msg;
use crate::state::{AppState, ParentAction};
use crate::system_proxy::{Phase, SystemProxyView};
use crate::tamper::Via;
use crate::window;

pub const TRAY_ID: &str = "wicket";

/// Menu item ids.
pub const MENU_STATUS: &str = "status";
pub const MENU_PROXY_ON: &str = "proxy-on";
pub const MENU_SYSTEM_PROXY: &str = "system-proxy";
pub const MENU_OPEN: &str = "open";
pub const MENU_QUIT: &str = "quit";

/// How often the status line's counters are refreshed.
const REFRESH_EVERY: Duration = Duration::from_secs(1);
/// Longer status lines are cut (menus do not wrap).
const MAX_STATUS_CHARS: usize = 90;

const ICON_ON: &[u8] = include_bytes!("../../icons/tray-on.png");
const ICON_OFF: &[u8] = include_bytes!("../../icons/tray-off.png");
const ICON_ERROR: &[u8] = include_bytes!("../../icons/tray-error.png");

/// What the icon shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Look {
    On,
    Off,
    /// The user wants the proxy on and it could not start.
    Error,
}

impl Look {
    pub fn of(enabled: bool, state: &EngineState) -> Look {
        match state {
            EngineState::Running { .. } => Look::On,
            EngineState::Failed { .. } if enabled => Look::Error,
            _ => Look::Off,
        }
    }

    fn icon(self) -> &'static [u8] {
        match self {
            Look::On => ICON_ON,
            Look::Off => ICON_OFF,
            Look::Error => ICON_ERROR,
        }
    }
}

/// Creates the tray icon and starts keeping it current. Returns whether a tray host is there
/// to show it; when not, a warning is logged and the caller should open the window.
pub fn setup<R: Runtime>(app: &AppHandle<R>) -> bool {
    if let Err(e) = build(app) {
        log::warn!("no tray icon ({e}); the window stays the way to control Wicket");
        return false;
    }
    let present = host_present();
    if !present {
        log::warn!(
            "no system tray host found (no StatusNotifier watcher on D-Bus, no XEmbed tray): \
             opening the window instead; closing it quits Wicket"
        );
    }
    present
}

/// Whether closing the window can leave Wicket in the tray: the icon exists and a host shows it.
pub fn usable<R: Runtime>(app: &AppHandle<R>) -> bool {
    app.tray_by_id(TRAY_ID).is_some() && host_present()
}

fn build<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let lang = i18n::of(&app.state::<AppState>().config());
    let say = |entry: &Entry| entry.get(lang);
    let status = MenuItem::with_id(
        app,
        MENU_STATUS,
        say(&msg::TRAY_STARTING),
        false,
        None::<&str>,
    )?;
    let proxy_on = CheckMenuItem::with_id(
        app,
        MENU_PROXY_ON,
        say(&msg::TRAY_PROXY_ON),
        true,
        false,
        None::<&str>,
    )?;
    let system_proxy = CheckMenuItem::with_id(
        app,
        MENU_SYSTEM_PROXY,
        say(&msg::TRAY_SYSTEM_PROXY),
        true,
        false,
        None::<&str>,
    )?;
    let open = MenuItem::with_id(app, MENU_OPEN, say(&msg::TRAY_OPEN), true, None::<&str>)?;
    let quit = MenuItem::with_id(app, MENU_QUIT, say(&msg::TRAY_QUIT), true, None::<&str>)?;
    let menu = Menu::with_items(
        app,
        &[
            &status,
            &PredefinedMenuItem::separator(app)?,
            &proxy_on,
            &system_proxy,
            &PredefinedMenuItem::separator(app)?,
            &open,
            &quit,
        ],
    )?;
    let tray = TrayIconBuilder::with_id(TRAY_ID)
        .icon(Image::from_bytes(Look::Off.icon())?)
        .tooltip("Wicket")
        .menu(&menu)
        .show_menu_on_left_click(true)
        .on_menu_event(on_menu_event)
        .build(app)?;
    let items = Items {
        status,
        proxy_on,
        system_proxy,
        open,
        quit,
    };
    spawn_refresher(app.clone(), tray, items);
    Ok(())
}

/// The menu's items, kept to follow the state and the language.
struct Items<R: Runtime> {
    status: MenuItem<R>,
    proxy_on: CheckMenuItem<R>,
    system_proxy: CheckMenuItem<R>,
    open: MenuItem<R>,
    quit: MenuItem<R>,
}

/// The system proxy item's label: a failure is said in the menu, the details in the window.
pub fn system_proxy_label(lang: Lang, view: &SystemProxyView) -> String {
    let entry = match view.phase {
        Phase::Failed => &msg::TRAY_SYSTEM_PROXY_FAILED,
        Phase::Unavailable => &msg::TRAY_SYSTEM_PROXY_UNAVAILABLE,
        Phase::Waiting => &msg::TRAY_SYSTEM_PROXY_WAITING,
        Phase::On | Phase::Off => &msg::TRAY_SYSTEM_PROXY,
    };
    entry.get(lang).to_string()
}

fn on_menu_event<R: Runtime>(app: &AppHandle<R>, event: MenuEvent) {
    match event.id().as_ref() {
        MENU_PROXY_ON => {
            let app = app.clone();
            tauri::async_runtime::spawn(async move {
                let state = app.state::<AppState>();
                // The check item shows whether the proxy runs; a click asks for the other state
                // (and retries a proxy that failed to start).
                let on = !state.engine.is_running();
                if !on && state.pin_hash().is_some() {
                    lifecycle::ask_parent(&app, ParentAction::ProxyOff);
                    return;
                }
                if let Err(e) = state.set_enabled(on).await {
                    log::warn!("{e}");
                }
            });
        }
        MENU_SYSTEM_PROXY => {
            let app = app.clone();
            tauri::async_runtime::spawn(async move {
                let state = app.state::<AppState>();
                let on = !state.config().system_proxy;
                if !on && state.pin_hash().is_some() {
                    lifecycle::ask_parent(&app, ParentAction::SystemProxyOff);
                    return;
                }
                let view = state.set_system_proxy(on).await;
                if let Some(e) = view.error.or(view.unavailable.filter(|_| view.wanted)) {
                    log::warn!("system proxy: {e}");
                    // The details are in the window, next to the switch.
                    window::show_main(&app);
                }
            });
        }
        MENU_OPEN => window::show_main(app),
        MENU_QUIT => {
            if app.state::<AppState>().pin_hash().is_some() {
                lifecycle::ask_parent(app, ParentAction::Quit);
            } else {
                lifecycle::quit(app, Via::Tray);
            }
        }
        _ => {}
    }
}

/// Follows the engine's state and the config, and refreshes the counters every second.
fn spawn_refresher<R: Runtime>(app: AppHandle<R>, tray: TrayIcon<R>, items: Items<R>) {
    tauri::async_runtime::spawn(async move {
        let state = app.state::<AppState>();
        let mut engine_state = state.engine.state();
        let mut config = state.watch_config();
        let mut system = state.system_proxy.watch();
        let mut shown_system = String::new();
        let mut tick = tokio::time::interval(REFRESH_EVERY);
        let mut shown_look = None;
        let mut shown_text = String::new();
        let mut shown_lang = i18n::of(&config.borrow());
        loop {
            let engine_now = engine_state.borrow_and_update().clone();
            let (enabled, lang) = {
                let config = config.borrow_and_update();
                (config.enabled, i18n::of(&config))
            };
            let look = Look::of(enabled, &engine_now);
            let relabel = lang != shown_lang;
            if relabel {
                // The language changed in Settings: every item says itself again.
                shown_lang = lang;
                let _ = items.proxy_on.set_text(msg::TRAY_PROXY_ON.get(lang));
                let _ = items.open.set_text(msg::TRAY_OPEN.get(lang));
                let _ = items.quit.set_text(msg::TRAY_QUIT.get(lang));
            }
            if shown_look != Some(look) || relabel {
                if shown_look != Some(look) {
                    if let Ok(icon) = Image::from_bytes(look.icon()) {
                        let _ = tray.set_icon(Some(icon));
                    }
                }
                shown_look = Some(look);
                let _ = tray.set_tooltip(Some(tooltip(lang, look, &engine_now, &system.borrow())));
            }
            // Always: a click toggles a check item by itself, even when the proxy did not follow.
            let _ = items.proxy_on.set_checked(look == Look::On);
            let system_now = system.borrow_and_update().clone();
            let _ = items
                .system_proxy
                .set_checked(system_now.phase == Phase::On);
            let label = system_proxy_label(lang, &system_now);
            if label != shown_system {
                let _ = items.system_proxy.set_text(&label);
                let _ = tray.set_tooltip(Some(tooltip(lang, look, &engine_now, &system_now)));
                shown_system = label;
            }
            let stats = state.engine.stats();
            let text = status_line(lang, enabled, &engine_now, stats.requests, stats.blocked);
            if text != shown_text {
                let _ = items.status.set_text(&text);
                shown_text = text;
            }
            tokio::select! {
                changed = engine_state.changed() => if changed.is_err() { return },
                changed = config.changed() => if changed.is_err() { return },
                changed = system.changed() => if changed.is_err() { return },
                _ = tick.tick() => {}
            }
        }
    });
}

fn tooltip(lang: Lang, look: Look, state: &EngineState, system: &SystemProxyView) -> String {
    let text = match (look, state) {
        (Look::On, EngineState::Running { address }) => {
            Message::new(&msg::TOOLTIP_ON).with("address", address)
        }
        (Look::Error, EngineState::Failed { error }) => {
            Message::new(&msg::TOOLTIP_NOT_RUNNING).with_message("error", error.clone())
        }
        _ => Message::new(&msg::TOOLTIP_OFF),
    };
    let text = match (system.phase, &system.error) {
        (Phase::On, _) => Message::new(&msg::TOOLTIP_SYSTEM_PROXY).with_message("text", text),
        (Phase::Failed, Some(error)) => Message::new(&msg::TOOLTIP_SYSTEM_PROXY_FAILED)
            .with_message("text", text)
            .with_message("error", error.clone()),
        _ => text,
    };
    text.text(lang)
}

/// The menu's first line: "Running on 127.0.0.1:12345 · 1,234 requests · 56 blocked".
pub fn status_line(
    lang: Lang,
    enabled: bool,
    state: &EngineState,
    requests: u64,
    blocked: u64,
) -> String {
    let counts = Message::new(if requests == 1 {
        &msg::TRAY_COUNTS_ONE
    } else {
        &msg::TRAY_COUNTS
    })
    .with("requests", thousands(requests))
    .with("blocked", thousands(blocked));
    let text = match state {
        EngineState::Running { address } => Message::new(&msg::TRAY_RUNNING)
            .with("address", address)
            .with_message("counts", counts),
        EngineState::Failed { error } if enabled => {
            Message::new(&msg::TRAY_NOT_RUNNING).with_message("error", error.clone())
        }
        _ if requests > 0 => Message::new(&msg::TRAY_OFF_COUNTS).with_message("counts", counts),
        _ => Message::new(&msg::TRAY_OFF),
    }
    .text(lang);
    if text.chars().count() > MAX_STATUS_CHARS {
        let cut: String = text.chars().take(MAX_STATUS_CHARS - 1).collect();
        format!("{cut}…")
    } else {
        text
    }
}

/// 1234567 -> "1,234,567".
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Whether a tray host is running: a StatusNotifier watcher on the session bus (what the
/// AppIndicator icon registers with), or an XEmbed tray (what it falls back to).
#[cfg(target_os = "linux")]
fn host_present() -> bool {
    status_notifier_watcher() || xembed_tray()
}

#[cfg(not(target_os = "linux"))]
fn host_present() -> bool {
    true
}

#[cfg(target_os = "linux")]
fn status_notifier_watcher() -> bool {
    use gio::prelude::*;
    let Ok(bus) = gio::bus_get_sync(gio::BusType::Session, gio::Cancellable::NONE) else {
        return false;
    };
    let args = ("org.kde.StatusNotifierWatcher",).to_variant();
    bus.call_sync(
        Some("org.freedesktop.DBus"),
        "/org/freedesktop/DBus",
        "org.freedesktop.DBus",
        "NameHasOwner",
        Some(&args),
        gio::glib::VariantTy::new("(b)").ok(),
        gio::DBusCallFlags::NONE,
        1000,
        gio::Cancellable::NONE,
    )
    .ok()
    .and_then(|reply| reply.get::<(bool,)>())
    .is_some_and(|(owned,)| owned)
}

#[cfg(target_os = "linux")]
fn xembed_tray() -> bool {
    use std::ffi::CString;
    let Ok(xlib) = x11_dl::xlib::Xlib::open() else {
        return false;
    };
    // SAFETY: plain Xlib calls on a display connection opened and closed here.
    unsafe {
        let display = (xlib.XOpenDisplay)(std::ptr::null());
        if display.is_null() {
            return false;
        }
        let screen = (xlib.XDefaultScreen)(display);
        let name = CString::new(format!("_NET_SYSTEM_TRAY_S{screen}")).unwrap_or_default();
        let atom = (xlib.XInternAtom)(display, name.as_ptr(), x11_dl::xlib::False);
        let owner = (xlib.XGetSelectionOwner)(display, atom);
        (xlib.XCloseDisplay)(display);
        owner != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_line_reads_like_the_issue_says() {
        let running = EngineState::Running {
            address: "127.0.0.1:12345".parse().unwrap(),
        };
        let en = Lang::En;
        assert_eq!(
            status_line(en, true, &running, 1234, 56),
            "Running on 127.0.0.1:12345 · 1,234 requests · 56 blocked"
        );
        assert_eq!(
            status_line(en, true, &running, 1, 0),
            "Running on 127.0.0.1:12345 · 1 request · 0 blocked"
        );
        assert_eq!(status_line(en, false, &EngineState::Stopped, 0, 0), "Off");
        let failed = EngineState::Failed { error: in_use() };
        assert!(status_line(en, true, &failed, 3, 0).starts_with("Not running: cannot listen"));
        assert_eq!(
            status_line(en, false, &failed, 3, 0),
            "Off · 3 requests · 0 blocked"
        );
    }

    #[test]
    fn the_menu_speaks_chinese_too() {
        let running = EngineState::Running {
            address: "127.0.0.1:12345".parse().unwrap(),
        };
        assert_eq!(
            status_line(Lang::Zh, true, &running, 1234, 56),
            "正在 127.0.0.1:12345 上运行 · 1,234 个请求 · 已屏蔽 56 个"
        );
        let failed = EngineState::Failed { error: in_use() };
        assert!(status_line(Lang::Zh, true, &failed, 0, 0)
            .starts_with("未运行：无法在 127.0.0.1:1 上监听"));
    }

    fn in_use() -> Message {
        wicket::StartError {
            address: "127.0.0.1:1".parse().unwrap(),
            source: std::io::ErrorKind::AddrInUse.into(),
        }
        .message()
    }

    #[test]
    fn long_status_lines_are_cut() {
        let failed = EngineState::Failed {
            error: Message::detail("x".repeat(200)),
        };
        let line = status_line(Lang::En, true, &failed, 0, 0);
        assert_eq!(line.chars().count(), MAX_STATUS_CHARS);
        assert!(line.ends_with('…'));
    }

    #[test]
    fn icon_shows_error_only_when_the_proxy_should_run() {
        let failed = EngineState::Failed {
            error: Message::detail("x"),
        };
        assert_eq!(Look::of(true, &failed), Look::Error);
        assert_eq!(Look::of(false, &failed), Look::Off);
        assert_eq!(Look::of(true, &EngineState::Stopped), Look::Off);
    }

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
    }
}
