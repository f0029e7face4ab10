//! "Start at login", through tauri-plugin-autostart: an XDG autostart entry on Linux
//! (`~/.config/autostart/Wicket.desktop`), a launch agent on macOS, the Run key on Windows.
//!
//! Wicket then starts with `--hidden`: in the tray, with the proxy and the system proxy as they
//! were left. Every change is read back from the OS; nothing here runs on the async workers.

use tauri::plugin::TauriPlugin;
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_autostart::{MacosLauncher, ManagerExt};

use wicket::Message;

use crate::messages as msg;
use crate::views::Autostart;

/// The argument a login start gets: start in the tray.
pub const HIDDEN: &str = "--hidden";

/// The plugin, registered with the login entry's arguments.
pub fn plugin<R: Runtime>() -> TauriPlugin<R> {
    tauri_plugin_autostart::init(MacosLauncher::LaunchAgent, Some(vec![HIDDEN]))
}

/// Whether Wicket starts at login.
pub async fn read<R: Runtime>(app: &AppHandle<R>) -> Autostart {
    let app = app.clone();
    run(move || enabled(&app)).await
}

/// Turns starting at login on or off, then reads back what the OS has.
pub async fn set<R: Runtime>(app: &AppHandle<R>, on: bool) -> Autostart {
    let handle = app.clone();
    let result = run(move || {
        let Some(manager) = handle.try_state::<tauri_plugin_autostart::AutoLaunchManager>() else {
            return Err(Message::new(&msg::AUTOSTART_UNAVAILABLE));
        };
        let changed = if on {
            manager.enable()
        } else {
            manager.disable()
        };
        changed.map_err(Message::detail)?;
        let now = enabled(&handle)?;
        if now != on {
            return Err(Message::new(if now {
                &msg::AUTOSTART_STILL_THERE
            } else {
                &msg::AUTOSTART_STILL_MISSING
            }));
        }
        Ok(now)
    })
    .await;
    match result.error {
        Some(e) => {
            log::warn!("start at login: {e}");
            // Say what the OS has now, whatever failed.
            Autostart {
                enabled: read(app).await.enabled,
                error: Some(e),
            }
        }
        None => result,
    }
}

fn enabled<R: Runtime>(app: &AppHandle<R>) -> Result<bool, Message> {
    match app.try_state::<tauri_plugin_autostart::AutoLaunchManager>() {
        Some(_) => app.autolaunch().is_enabled().map_err(Message::detail),
        None => Err(Message::new(&msg::AUTOSTART_UNAVAILABLE)),
    }
}

async fn run(work: impl FnOnce() -> Result<bool, Message> + Send + 'static) -> Autostart {
    let result = tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|e| Err(Message::detail(e)));
    match result {
        Ok(enabled) => Autostart {
            enabled,
            error: None,
        },
        Err(e) => Autostart {
            enabled: false,
            error: Some(e),
        },
    }
}
