//! "Use as system proxy", "Start at login" and a second launch without D-Bus, end to end: the
//! real app in its webview on a GNOME desktop whose settings the real `gsettings` keeps in a
//! keyfile in the test's own config directory.

use std::time::Duration;

use serde_json::json;

use crate::common::{answers, wait_for, GnomeSettings};
use crate::config_on_free_port;
use crate::desktop::{terminate, wait_exit, Desktop};
use crate::webdriver::Session;

fn gnome_of(desktop: &Desktop) -> GnomeSettings {
    GnomeSettings::at(&desktop.config_home())
}

fn switch_on(s: &Session, css: &str) -> bool {
    s.js(
        "return document.querySelector(arguments[0]).getAttribute('aria-checked')",
        json!([css]),
    ) == json!("true")
}

#[test]
fn the_settings_switch_makes_wicket_the_system_proxy_and_gives_the_users_own_back() {
    let desktop = Desktop::gnome();
    let gnome = gnome_of(&desktop);
    gnome.users_own_proxy();
    let before = gnome.listing();
    let addr = config_on_free_port(&desktop, json!({}));
    let s = Session::start(&desktop);
    wait_for("the proxy", || answers(addr).then_some(()));
    s.click("#tab-settings");
    s.wait_text("#sysproxy-state", "the state line", |t| {
        t.starts_with("Off")
    });
    assert_eq!(s.text("#sysproxy-address"), addr.to_string());
    assert_eq!(s.text("#sysproxy-pac"), format!("http://{addr}/proxy.pac"));

    s.click("#sysproxy");
    let state = s.wait_text("#sysproxy-state", "the switch on", |t| t.starts_with("On:"));
    assert!(state.contains("GNOME proxy settings"), "{state}");
    assert!(switch_on(&s, "#sysproxy"));
    assert_eq!(gnome.http_port(), addr.port().to_string());
    assert_eq!(gnome.get("org.gnome.system.proxy", "mode"), "'manual'");
    assert_eq!(
        gnome.get("org.gnome.system.proxy.https", "host"),
        "'127.0.0.1'"
    );
    assert_eq!(desktop.saved_config()["system_proxy"], true);
    // What GNOME cannot take is said next to the switch.
    s.wait_text("#sysproxy-notes", "the note on <local>", |t| {
        t.contains("<local>")
    });

    // The bypass list: checked as typed, applied to the settings at once.
    s.type_into("#bypass-new", "fd00::/8");
    s.wait_text("#bypass-new-msg", "the engine's message", |t| {
        t.contains("IPv6 networks")
    });
    s.type_into("#bypass-new", "*.lan");
    s.click("#bypass-editor form.add-one button[type=submit]");
    wait_for("the settings to take the new entry", || {
        gnome
            .get("org.gnome.system.proxy", "ignore-hosts")
            .contains("'*.lan'")
            .then_some(())
    });
    assert!(desktop.saved_config()["bypass"]
        .as_array()
        .unwrap()
        .contains(&json!("*.lan")));
    s.js(
        "document.getElementById('sysproxy-panel').scrollIntoView()",
        json!([]),
    );
    s.screenshot("system-proxy");

    s.click("#sysproxy");
    s.wait_text("#sysproxy-state", "the switch off", |t| {
        t.starts_with("Off")
    });
    assert_eq!(gnome.listing(), before, "the user's own proxy, exactly");
    assert!(answers(addr), "the proxy itself stays on");

    // On again, then quit (SIGTERM, as at logout): quitting gives the settings back too.
    s.click("#sysproxy");
    s.wait_text("#sysproxy-state", "the switch on", |t| t.starts_with("On:"));
    assert_ne!(gnome.listing(), before);
    let pid = s.app_pid().expect("the app's process");
    terminate(pid);
    wait_for("the app to quit", || {
        (!std::path::Path::new(&format!("/proc/{pid}")).exists()).then_some(())
    });
    assert_eq!(gnome.listing(), before);
    s.end();
}

#[test]
fn a_killed_app_gives_the_settings_back_at_its_next_start() {
    let desktop = Desktop::gnome();
    let gnome = gnome_of(&desktop);
    gnome.users_own_proxy();
    let before = gnome.listing();
    let addr = config_on_free_port(&desktop, json!({ "system_proxy": true }));
    let mut app = desktop.launch("first", &[]);
    wait_for("the settings to point at the proxy", || {
        (gnome.http_port() == addr.port().to_string()).then_some(())
    });
    // kill -9: the app has no chance to clean up.
    app.kill().unwrap();
    app.wait().unwrap();
    assert_eq!(gnome.http_port(), addr.port().to_string());

    // Next start, with the switch now off: whatever is given back, start-up did it.
    let mut config = desktop.saved_config();
    config["system_proxy"] = json!(false);
    desktop.write_config(&config);
    let s = Session::start(&desktop);
    assert_eq!(gnome.listing(), before);
    let notice = s.wait_text("#system-proxy-recovered", "the notice", |t| !t.is_empty());
    assert!(notice.contains(&format!("pointed at {addr}")), "{notice}");
    s.click("#system-proxy-recovered button");
    s.wait_js(
        "the notice to go",
        "return !document.getElementById('system-proxy-recovered')",
    );
    s.end();
}

#[test]
fn a_desktop_without_a_proxy_setting_says_what_to_enter_by_hand() {
    let desktop = Desktop::new().with_env("XDG_CURRENT_DESKTOP", "XFCE");
    let addr = config_on_free_port(&desktop, json!({}));
    let s = Session::start(&desktop);
    wait_for("the proxy", || answers(addr).then_some(()));
    s.click("#tab-settings");
    s.click("#sysproxy");
    let state = s.wait_text("#sysproxy-state", "the explanation", |t| {
        t.starts_with("Not possible here")
    });
    assert!(state.contains("XFCE"), "{state}");
    let notice = s.wait_text("#system-proxy-problem", "the notice", |t| !t.is_empty());
    assert!(notice.contains(&addr.to_string()), "{notice}");
    assert!(notice.contains("/proxy.pac"), "{notice}");
    s.end();
}

#[test]
fn start_at_login_writes_a_login_entry_that_starts_in_the_tray() {
    let desktop = Desktop::gnome();
    config_on_free_port(&desktop, json!({}));
    let entry = desktop
        .dir
        .path()
        .join("home/.config/autostart/Wicket.desktop");
    let s = Session::start(&desktop);
    s.click("#tab-settings");
    assert!(!switch_on(&s, "#autostart"));
    s.click("#autostart");
    s.wait_js(
        "the switch on",
        "return document.getElementById('autostart').getAttribute('aria-checked') === 'true'",
    );
    let text = std::fs::read_to_string(&entry).expect("the login entry");
    let exec = text
        .lines()
        .find(|l| l.starts_with("Exec="))
        .expect("an Exec line");
    assert!(exec.ends_with(" --hidden"), "{exec}");
    assert!(exec.contains("wicket-desktop"), "{exec}");

    s.click("#autostart");
    s.wait_js(
        "the switch off",
        "return document.getElementById('autostart').getAttribute('aria-checked') === 'false'",
    );
    assert!(!entry.exists());
    s.end();
}

#[test]
fn without_dbus_a_second_launch_says_wicket_runs_and_leaves_it_running() {
    // An empty bus address: the single-instance guard cannot work, the app runs anyway.
    let desktop = Desktop::new().with_env("DBUS_SESSION_BUS_ADDRESS", "");
    let addr = config_on_free_port(&desktop, json!({}));
    let mut first = desktop.launch("first", &[]);
    wait_for("the proxy", || answers(addr).then_some(()));
    wait_for("the window", || {
        desktop.visible_windows("Wicket").into_iter().next()
    });

    let mut second = desktop.launch("second", &[]);
    assert_eq!(
        wait_exit(&mut second, "the second launch to exit"),
        Some(1),
        "{}",
        desktop.log("second")
    );
    let said = desktop.log("second");
    assert!(said.contains("Wicket is already running"), "{said}");
    assert!(said.contains(&addr.to_string()), "{said}");
    std::thread::sleep(Duration::from_millis(300));
    assert!(first.try_wait().unwrap().is_none(), "the first one exited");
    assert!(answers(addr));
    assert!(
        desktop.log("first").contains("no D-Bus session bus"),
        "{}",
        desktop.log("first")
    );

    terminate(first.id());
    assert_eq!(wait_exit(&mut first, "the app to quit"), Some(0));
}
