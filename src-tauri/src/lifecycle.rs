//! Starting and ending: a clean quit (engine stopped, config saved) from the tray, a signal,
//! or the last window closing when there is no tray to live in.

use tauri::{AppHandle, Manager, RunEvent, Runtime};

use crate::state::AppState;
use crate::tray;

/// Stops the engine, saves the config, then exits the app.
pub fn quit<R: Runtime>(app: &AppHandle<R>) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        app.state::<AppState>().shutdown().await;
        app.exit(0);
    });
}

/// Quits cleanly on SIGTERM and SIGINT (a session logout, Ctrl+C in a terminal).
#[cfg(unix)]
pub fn quit_on_signals<R: Runtime>(app: &AppHandle<R>) {
    use tokio::signal::unix::{signal, SignalKind};
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let (Ok(mut term), Ok(mut int)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) else {
            log::warn!("cannot listen for signals: SIGTERM will not save on the way out");
            return;
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
        quit(&app);
    });
}

#[cfg(not(unix))]
pub fn quit_on_signals<R: Runtime>(_app: &AppHandle<R>) {}

/// The app's run-loop events: where closing the last window leads.
pub fn on_run_event<R: Runtime>(app: &AppHandle<R>, event: RunEvent) {
    match event {
        // The last window closed (not an explicit exit, which has a code).
        RunEvent::ExitRequested {
            code: None, api, ..
        } => {
            api.prevent_exit();
            if !tray::usable(app) {
                quit(app);
            }
        }
        // Whatever ended the loop, the engine stops and the config is saved (once).
        RunEvent::Exit => {
            tauri::async_runtime::block_on(app.state::<AppState>().shutdown());
        }
        _ => {}
    }
}
