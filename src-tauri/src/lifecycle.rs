//! Starting and ending: a clean quit (system proxy given back, engine stopped, config saved,
//! the quit in the tamper log) from the tray, a signal, the session ending, or the last window
//! closing when there is no tray to live in. With a PIN set, the tray's quit goes through the
//! window, which asks for it ([`ask_parent`]).

use tauri::{AppHandle, Manager, RunEvent, Runtime};

use crate::events::{self, UiEvent};
use crate::state::{AppState, ParentAction};
use crate::tamper::Via;
use crate::tray;
use crate::window::{self, MAIN};

/// Gives the system proxy back, stops the engine, saves the config, then exits the app.
pub fn quit<R: Runtime>(app: &AppHandle<R>, via: Via) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        app.state::<AppState>().shutdown(via).await;
        app.exit(0);
    });
}

/// Opens the window to ask the parent for the PIN before `action` (the tray cannot ask).
pub fn ask_parent<R: Runtime>(app: &AppHandle<R>, action: ParentAction) {
    if app.get_webview_window(MAIN).is_some() {
        events::emit(app, UiEvent::ParentNeeded { action });
    } else {
        // The window reads it when it opens.
        app.state::<AppState>().ask_parent_later(action);
    }
    window::show_main(app);
}

/// Quits cleanly on SIGTERM, SIGINT and SIGHUP (a session logout or shutdown, Ctrl+C in a
/// terminal, the terminal closing).
#[cfg(unix)]
pub fn quit_on_signals<R: Runtime>(app: &AppHandle<R>) {
    use tokio::signal::unix::{signal, SignalKind};
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let (Ok(mut term), Ok(mut int), Ok(mut hup)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
            signal(SignalKind::hangup()),
        ) else {
            log::warn!(
                "cannot listen for signals: SIGTERM will not restore the system proxy or save \
                 on the way out"
            );
            return;
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
            _ = hup.recv() => {}
        }
        quit(&app, Via::Signal);
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
            if tray::usable(app) {
                return;
            }
            if app.state::<AppState>().pin_hash().is_some() {
                // Closing the window must not be a way around the PIN: Wicket keeps running
                // and a second launch brings the window back.
                log::info!(
                    "the window was closed; with a PIN set Wicket keeps running (start it \
                     again to open the window)"
                );
            } else {
                quit(app, Via::WindowClosed);
            }
        }
        // Whatever ended the loop (the OS ending the session included, where it tells the
        // app), the system proxy goes back, the engine stops and the config is saved (once).
        RunEvent::Exit => {
            tauri::async_runtime::block_on(app.state::<AppState>().shutdown(Via::System));
        }
        _ => {}
    }
}
