//! End-to-end tests of the desktop app in its real WebKitGTK webview, driven through
//! tauri-driver and WebKitWebDriver, each on its own Xvfb display with its own D-Bus session,
//! config directory and port. Requests go through the real proxy to a real origin on loopback.
//! The dashboard, blocklist, lists, import and history tests save the README's screenshots in
//! docs/screenshots/.
//!
//! Needs Xvfb, dbus-daemon, WebKitWebDriver, tauri-driver, trayer, xdotool and xwininfo:
//! scripts/test-desktop.sh installs them and runs these tests.

#[path = "../common/mod.rs"]
mod common;
mod desktop;
mod family;
mod languages;
mod system_proxy;
mod webdriver;

use std::net::{SocketAddr, TcpListener};
use std::thread;
use std::time::Duration;

use serde_json::{json, Value};

use common::{answers, free_port, get_via, wait_for, Origin};
use desktop::{memory, process_name, process_tree, terminate, wait_exit, Desktop};
use webdriver::{Session, ENTER};

/// Writes a config listening on a free port (proxy on) plus `extra`; returns the address.
fn config_on_free_port(desktop: &Desktop, extra: Value) -> SocketAddr {
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let mut config = json!({ "listen": addr.to_string() });
    config
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    desktop.write_config(&config);
    addr
}

fn switch_is_on(s: &Session) -> bool {
    s.js(
        "return document.getElementById('power').getAttribute('aria-checked')",
        json!([]),
    ) == json!("true")
}

fn list_entries(s: &Session, css: &str) -> Vec<String> {
    let value = s.js(
        "return [...document.querySelectorAll(arguments[0])].map(e => e.textContent)",
        json!([css]),
    );
    serde_json::from_value(value).unwrap()
}

fn input_value(s: &Session, css: &str) -> String {
    s.js(
        "return document.querySelector(arguments[0]).value",
        json!([css]),
    )
    .as_str()
    .unwrap_or_default()
    .to_string()
}

#[test]
fn the_switch_turns_the_proxy_off_and_on() {
    let desktop = Desktop::new();
    let addr = config_on_free_port(&desktop, json!({}));
    let s = Session::start(&desktop);
    wait_for("the switch to show the proxy on", || {
        switch_is_on(&s).then_some(())
    });
    assert!(answers(addr), "the proxy does not answer at start");
    assert!(s.text("#power-state").contains(&addr.to_string()));

    s.click("#power");
    wait_for("the switch to turn off", || {
        (!switch_is_on(&s)).then_some(())
    });
    wait_for("the port to stop answering", || {
        (!answers(addr)).then_some(())
    });
    s.wait_text("#power-state", "Off", |t| t == "Off");
    assert_eq!(desktop.saved_config()["enabled"], false);

    s.click("#power");
    wait_for("the switch to turn on", || switch_is_on(&s).then_some(()));
    wait_for("the port to answer again", || answers(addr).then_some(()));
    assert_eq!(desktop.saved_config()["enabled"], true);
    s.end();
}

#[test]
fn a_site_blocked_in_the_window_gets_403_through_the_proxy() {
    let origin = Origin::start();
    let desktop = Desktop::new();
    let proxy = config_on_free_port(&desktop, json!({}));
    let s = Session::start(&desktop);
    wait_for("the proxy", || answers(proxy).then_some(()));
    assert_eq!(get_via(proxy, &origin.url("/")), Some(200));

    s.click("#tab-blocklist");
    s.type_into("#block-new", "127.0.0.1");
    s.click("#blocklist-editor form.add-one button[type=submit]");
    wait_for("the rule in the list", || {
        list_entries(&s, "#block-list code")
            .contains(&"127.0.0.1".to_string())
            .then_some(())
    });
    assert_eq!(get_via(proxy, &origin.url("/")), Some(403));
    assert_eq!(desktop.saved_config()["block"], json!(["127.0.0.1"]));

    // Paste many: valid lines are added, a bad one stays in the box with the engine's reason.
    s.click("#blocklist-editor details.paste summary");
    s.type_into(
        "#block-paste",
        &[
            "ads.example.com",
            "*.tracker.example.net",
            "re:^telemetry\\.",
            "bad..example",
            "https://www.social.example/share?u=1",
        ]
        .join(ENTER),
    );
    s.click("#blocklist-editor form.add-many button[type=submit]");
    s.wait_text("#block-count", "5 rules", |t| t == "5 rules");
    let message = s.text("#block-paste-msg");
    assert!(message.contains("bad..example"), "{message}");
    assert!(message.contains("empty label"), "{message}");
    assert_eq!(input_value(&s, "#block-paste"), "bad..example");
    assert_eq!(
        get_via(proxy, "http://cdn.tracker.example.net/pixel.gif"),
        Some(403)
    );

    // Search narrows the list.
    s.type_into("#block-search", "example");
    s.wait_text("#block-count", "3 of 5 rules", |t| t == "3 of 5 rules");
    s.type_into("#block-search", "");
    s.wait_text("#block-count", "5 rules", |t| t == "5 rules");
    // An invalid entry is explained next to the field while it is typed.
    s.type_into("#block-new", "example.com/ads");
    s.wait_text("#block-new-msg", "the engine's message", |t| {
        t.contains("without a path")
    });
    s.screenshot("blocklist");

    // Removing unblocks at once.
    s.click("#block-list button[data-entry='127.0.0.1']");
    wait_for("the rule to go", || {
        (!list_entries(&s, "#block-list code").contains(&"127.0.0.1".to_string())).then_some(())
    });
    assert_eq!(get_via(proxy, &origin.url("/")), Some(200));
    s.end();
}

#[test]
fn the_dashboard_counts_and_logs_real_requests() {
    let origin = Origin::start();
    let desktop = Desktop::new();
    let proxy = config_on_free_port(
        &desktop,
        json!({ "block": ["ads.example.com", "*.tracker.example.net"] }),
    );
    let s = Session::start(&desktop);
    wait_for("the proxy", || answers(proxy).then_some(()));

    // A few seconds of mixed traffic, so that the chart has something to show.
    let mut expected = (0, 0, 0); // requests, blocked, failed
    for round in 0..6 {
        for path in ["/", "/app.js", "/style.css"] {
            assert_eq!(get_via(proxy, &origin.url(path)), Some(200));
            expected.0 += 1;
        }
        if round % 2 == 0 {
            assert_eq!(
                get_via(proxy, "http://ads.example.com/banner.js"),
                Some(403)
            );
            expected.0 += 1;
            expected.1 += 1;
        }
        if round == 3 {
            assert_eq!(
                get_via(proxy, "http://cdn.tracker.example.net/p.gif"),
                Some(403)
            );
            // Nothing listens on port 1: the upstream refuses, the proxy answers 502.
            assert_eq!(get_via(proxy, "http://127.0.0.1:1/"), Some(502));
            expected.0 += 2;
            expected.1 += 1;
            expected.2 += 1;
        }
        thread::sleep(Duration::from_millis(400));
    }
    let (requests, blocked, failed) = expected;
    s.wait_text("#stat-requests", "the request counter", |t| {
        t == requests.to_string()
    });
    s.wait_text("#stat-blocked", "the blocked counter", |t| {
        t == blocked.to_string()
    });
    assert_eq!(s.text("#stat-errors"), failed.to_string());
    let rows = || {
        s.js(
            "return [...document.querySelectorAll('#log-rows tr')].map(r => [r.dataset.host, r.dataset.verdict, r.querySelector('.status').textContent])",
            json!([]),
        )
    };
    wait_for("every request in the log", || {
        (rows().as_array().unwrap().len() == requests).then_some(())
    });
    let log = rows();
    let newest = &log[0];
    assert_eq!(newest[0], "127.0.0.1");
    assert_eq!(newest[2], "200");
    assert_eq!(
        log.as_array()
            .unwrap()
            .iter()
            .filter(|r| r[1] == "blocked")
            .count(),
        blocked
    );
    // Top hosts are counted off the hot path: they may follow the counters by a moment.
    s.wait_text("#top-hosts", "the origin in top hosts", |t| {
        t.contains("127.0.0.1")
    });
    s.wait_text("#top-blocked", "the ad host in top blocked", |t| {
        t.contains("ads.example.com")
    });

    // Filters: by verdict, then by text.
    s.click("#log-verdict option[value='blocked']");
    wait_for("only blocked rows", || {
        (rows().as_array().unwrap().len() == blocked).then_some(())
    });
    s.type_into("#log-filter", "tracker");
    wait_for("only the tracker row", || {
        (rows().as_array().unwrap().len() == 1).then_some(())
    });
    s.click("#log-verdict option[value='']");
    s.type_into("#log-filter", "");
    wait_for("every row again", || {
        (rows().as_array().unwrap().len() == requests).then_some(())
    });
    s.screenshot("dashboard");
    s.end();
}

#[test]
fn block_this_site_in_the_log_blocks_it() {
    let origin = Origin::start();
    let desktop = Desktop::new();
    let proxy = config_on_free_port(&desktop, json!({}));
    let s = Session::start(&desktop);
    wait_for("the proxy", || answers(proxy).then_some(()));
    assert_eq!(get_via(proxy, &origin.url("/page")), Some(200));
    let button = "#log-rows button[data-block='127.0.0.1']";
    s.wait_js(
        "the request in the log",
        &format!("return !!document.querySelector(\"{button}\")"),
    );
    s.click(button);
    s.wait_text("#blocklist-badge", "one rule", |t| t == "1");
    assert_eq!(get_via(proxy, &origin.url("/page")), Some(403));
    assert_eq!(desktop.saved_config()["block"], json!(["127.0.0.1"]));
    // The refused request is logged too, without a button to block it again.
    s.wait_js(
        "the blocked request in the log",
        "return document.querySelector('#log-rows tr')?.dataset.verdict === 'blocked'",
    );
    s.end();
}

#[test]
fn an_invalid_cidr_shows_the_engines_error() {
    let desktop = Desktop::new();
    config_on_free_port(&desktop, json!({}));
    let s = Session::start(&desktop);
    s.click("#tab-allowlist");
    s.type_into("#allow-new", "10.0.0.0/40");
    let message = s.wait_text("#allow-new-msg", "the engine's message", |t| !t.is_empty());
    // ClientNet::parse's own words.
    assert_eq!(message, "the prefix length must be 0 to 32");
    assert_eq!(
        s.js(
            "return document.getElementById('allow-new').getAttribute('aria-invalid')",
            json!([])
        ),
        "true"
    );
    s.click("#allowlist-editor form.add-one button[type=submit]");
    s.wait_text("#allow-new-msg", "the refusal", |t| {
        t == "the prefix length must be 0 to 32"
    });
    assert_eq!(list_entries(&s, "#allow-list code"), ["127.0.0.0/8", "::1"]);

    // A LAN network is accepted, with a warning: a loopback listener never hears from it.
    s.type_into("#allow-new", "192.168.1.0/24");
    s.click("#allowlist-editor form.add-one button[type=submit]");
    let warning = s.wait_text("#allow-warnings", "the warning", |t| !t.is_empty());
    assert!(warning.contains("has no effect"), "{warning}");
    assert_eq!(
        desktop.saved_config()["allow_clients"],
        json!(["127.0.0.0/8", "::1", "192.168.1.0/24"])
    );
    s.end();
}

#[test]
fn settings_survive_a_restart() {
    let desktop = Desktop::new();
    let first = config_on_free_port(&desktop, json!({}));
    let second = free_port();
    let s = Session::start(&desktop);
    wait_for("the proxy", || answers(first).then_some(()));
    s.click("#tab-settings");
    s.type_into("#set-port", &second.to_string());
    s.type_into("#set-connect-ports", "443, 8443");
    s.type_into("#set-timeout", "15");
    s.click("#settings-save");
    s.wait_text("#settings-msg", "saved", |t| t == "Saved");
    let moved: SocketAddr = format!("127.0.0.1:{second}").parse().unwrap();
    wait_for("the proxy on the new port", || answers(moved).then_some(()));
    assert!(!answers(first), "the old port still answers");
    s.click("#tab-blocklist");
    s.type_into("#block-new", "ads.example.com");
    s.click("#blocklist-editor form.add-one button[type=submit]");
    s.wait_text("#blocklist-badge", "one rule", |t| t == "1");
    s.end();
    assert!(!answers(moved), "the app did not stop its proxy");

    let s = Session::start(&desktop);
    s.click("#tab-settings");
    assert_eq!(input_value(&s, "#set-port"), second.to_string());
    assert_eq!(input_value(&s, "#set-connect-ports"), "443, 8443");
    assert_eq!(input_value(&s, "#set-timeout"), "15");
    assert_eq!(list_entries(&s, "#block-list code"), ["ads.example.com"]);
    // It was on, so it is on again.
    wait_for("the proxy back on", || answers(moved).then_some(()));
    wait_for("the switch on", || switch_is_on(&s).then_some(()));
    assert_eq!(get_via(moved, "http://ads.example.com/"), Some(403));
    s.end();
}

#[test]
fn a_port_in_use_is_reported_in_the_window_not_a_crash() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let taken_addr = taken.local_addr().unwrap();
    let desktop = Desktop::new();
    desktop.write_config(&json!({ "listen": taken_addr.to_string() }));
    let s = Session::start(&desktop);
    let state = s.wait_text("#power-state", "the error", |t| {
        t.contains("already in use")
    });
    assert!(state.contains(&taken_addr.to_string()), "{state}");
    assert!(!switch_is_on(&s));
    s.click("#tab-settings");
    s.wait_text("#settings-msg", "the error in Settings too", |t| {
        t.contains("already in use")
    });

    // Saving while the port is still taken says so, never just "Saved".
    s.click("#settings-save");
    s.wait_text("#settings-msg", "saved, with the error", |t| {
        t.starts_with("Saved, but the proxy is not running") && t.contains("already in use")
    });
    // Once the port is free, saving the same settings starts the proxy there.
    drop(taken);
    s.click("#settings-save");
    s.wait_text("#settings-msg", "saved", |t| t == "Saved");
    wait_for("the proxy on the freed port", || {
        answers(taken_addr).then_some(())
    });
    wait_for("the switch on", || switch_is_on(&s).then_some(()));

    let port = free_port();
    s.type_into("#set-port", &port.to_string());
    s.click("#settings-save");
    s.wait_text("#settings-msg", "saved", |t| t == "Saved");
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    wait_for("the proxy on the free port", || answers(addr).then_some(()));
    assert!(!answers(taken_addr), "the old port still answers");
    s.end();
}

#[test]
fn a_broken_config_is_reported_in_the_window_and_kept() {
    let desktop = Desktop::new();
    let broken = "{\n  \"listen\": \"127.0.0.1:1\",\n  \"block\": [\"ok.example\" \"oops\"]\n}\n";
    desktop.write_config_text(broken);
    let s = Session::start(&desktop);
    let notice = s.wait_text("#config-problem", "the notice", |t| !t.is_empty());
    assert!(notice.contains("line 3, column"), "{notice}");
    assert!(notice.contains("kept as"), "{notice}");
    // The defaults turn the proxy on (on the default port): turn it off, we are a test.
    if switch_is_on(&s) {
        s.click("#power");
    }
    let kept = std::fs::read_dir(desktop.config_file().parent().unwrap())
        .unwrap()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().contains(".broken-"))
        .expect("the broken file, kept aside");
    assert_eq!(std::fs::read_to_string(kept.path()).unwrap(), broken);
    s.click("#config-problem button");
    s.wait_js(
        "the notice to go",
        "return !document.getElementById('config-problem')",
    );
    s.end();
}

#[test]
fn closing_the_window_keeps_the_proxy_in_the_tray_and_frees_the_webview() {
    let desktop = Desktop::with_tray();
    let addr = config_on_free_port(&desktop, json!({}));
    let mut app = desktop.launch("first", &[]);
    wait_for("the proxy", || answers(addr).then_some(()));
    let window = wait_for("the window", || {
        desktop.visible_windows("Wicket").into_iter().next()
    });
    let has_web_process = |pid: u32| {
        process_tree(pid)
            .iter()
            .any(|p| process_name(*p).starts_with("WebKitWebProc"))
    };
    wait_for("the web process", || {
        has_web_process(app.id()).then_some(())
    });
    wait_for("the icon in the tray", || {
        let tree = desktop.x_output("xwininfo", &["-root", "-tree"]);
        tree.contains("\"tray-icon tray app wicket\"").then_some(())
    });
    // Let the page load and draw before measuring (a measurement, not an assertion).
    thread::sleep(Duration::from_secs(3));
    let open = memory(app.id());

    desktop.close_window(&window);
    wait_for("the window to close", || {
        desktop.visible_windows("Wicket").is_empty().then_some(())
    });
    assert!(app.try_wait().unwrap().is_none(), "the app exited");
    assert!(answers(addr), "the proxy stopped with the window");
    wait_for("the web process to end", || {
        (!has_web_process(app.id())).then_some(())
    });
    thread::sleep(Duration::from_secs(2));
    let closed = memory(app.id());
    let report = format!(
        "window open:   RSS {} MB, PSS {} MB ({})\nwindow closed: RSS {} MB, PSS {} MB ({})\n",
        open.0 / 1024,
        open.1 / 1024,
        open.2,
        closed.0 / 1024,
        closed.1 / 1024,
        closed.2
    );
    eprint!("{report}");
    std::fs::write(
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("wicket-desktop-rss.txt"),
        &report,
    )
    .unwrap();

    // A second launch hands over to this one (its window comes back) and exits.
    let mut second = desktop.launch("second", &[]);
    assert_eq!(
        wait_exit(&mut second, "the second launch to exit"),
        Some(0),
        "{}",
        desktop.log("second")
    );
    wait_for("the window to come back", || {
        desktop.visible_windows("Wicket").into_iter().next()
    });
    assert!(answers(addr));

    // SIGTERM (logout) quits cleanly: proxy stopped, config saved, exit code 0.
    terminate(app.id());
    assert_eq!(wait_exit(&mut app, "the app to quit"), Some(0));
    assert!(!answers(addr));
    assert_eq!(desktop.saved_config()["enabled"], true);
}

#[test]
fn the_tray_menu_switches_the_proxy_off_and_on_and_quits() {
    let desktop = Desktop::with_tray();
    let addr = config_on_free_port(&desktop, json!({}));
    let mut app = desktop.launch("app", &["--hidden"]);
    wait_for("the proxy", || answers(addr).then_some(()));
    let running = format!("Running on {addr} · 0 requests · 0 blocked");
    wait_for("the tray menu", || {
        desktop
            .tray_labels()
            .filter(|l| l.first() == Some(&running))
    });
    let icon = wait_for("the tray icon", || desktop.tray_icon());

    // "Proxy on", clicked: the port stops answering, the menu and the icon say so.
    assert!(desktop.tray_click("Proxy on"));
    wait_for("the proxy to stop", || (!answers(addr)).then_some(()));
    wait_for("the status line", || {
        desktop
            .tray_labels()
            .filter(|l| l.first().is_some_and(|s| s.starts_with("Off")))
    });
    let off_icon = wait_for("the icon to change", || {
        desktop.tray_icon().filter(|i| *i != icon)
    });
    assert_eq!(desktop.saved_config()["enabled"], false);

    // And again: back on, with the icon it had.
    assert!(desktop.tray_click("Proxy on"));
    wait_for("the proxy back", || answers(addr).then_some(()));
    wait_for("the icon back", || {
        desktop.tray_icon().filter(|i| *i == icon)
    });
    assert_ne!(off_icon, icon);
    assert_eq!(desktop.saved_config()["enabled"], true);

    // Quit: the proxy stops, the app exits cleanly, the choice is kept for the next start.
    assert!(desktop.tray_click("Quit"));
    assert_eq!(wait_exit(&mut app, "the app to quit"), Some(0));
    assert!(!answers(addr));
    assert_eq!(desktop.saved_config()["enabled"], true);
}

#[test]
fn without_a_tray_closing_the_window_quits_cleanly() {
    let desktop = Desktop::new();
    let addr = config_on_free_port(&desktop, json!({}));
    let mut app = desktop.launch("app", &[]);
    wait_for("the proxy", || answers(addr).then_some(()));
    let window = wait_for("the window", || {
        desktop.visible_windows("Wicket").into_iter().next()
    });
    desktop.close_window(&window);
    assert_eq!(wait_exit(&mut app, "the app to quit"), Some(0));
    assert!(!answers(addr));
    let log = desktop.log("app");
    assert!(log.contains("no system tray host"), "{log}");
    assert_eq!(desktop.saved_config()["enabled"], true);
}
