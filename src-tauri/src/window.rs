//! The main window: created on demand, destroyed when closed.
//!
//! A hidden WebKit webview keeps its web process and caches alive (see the RSS figures in the
//! README); closing the window therefore destroys it, and opening it builds a new one from the
//! config. The proxy and the tray live on without it.

use tauri::{AppHandle, Manager, Runtime, WebviewWindowBuilder};

/// The window's label, in tauri.conf.json and the capability file.
pub const MAIN: &str = "main";

/// Shows the main window, creating it if it does not exist, and gives it the focus.
pub fn show_main<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window(MAIN) {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
        return;
    }
    let Some(config) = app.config().app.windows.iter().find(|w| w.label == MAIN) else {
        log::error!("tauri.conf.json has no window labelled {MAIN:?}");
        return;
    };
    match WebviewWindowBuilder::from_config(app, config).and_then(|b| b.build()) {
        Ok(window) => {
            let _ = window.set_focus();
        }
        Err(e) => log::error!("cannot open the window: {e}"),
    }
}
