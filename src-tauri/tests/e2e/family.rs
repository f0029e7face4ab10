//! Family protection end to end, in the real webview with real requests through the proxy to a
//! real origin: the parent's PIN guarding the switch, a schedule in force now blocking, a hosts
//! file imported from disk blocking (and 100 000 entries importing with a progress bar), and the
//! history (behind the PIN) showing the blocked attempts, exported as CSV. These tests save the
//! README's lists, import and history screenshots.

use std::fs;
use std::time::Instant;

use chrono::{Datelike, Duration, Local};
use serde_json::json;

use crate::common::{answers, get_via, wait_for, Origin};
use crate::config_on_free_port;
use crate::desktop::{terminate, wait_exit, Desktop};
use crate::switch_is_on;
use crate::webdriver::Session;

const PIN: &str = "2468";

fn dialog_open(s: &Session) -> bool {
    s.js(
        "return document.getElementById('pin-dialog').open",
        json!([]),
    ) == json!(true)
}

/// Types the PIN into the dialog and submits it.
fn enter_pin(s: &Session, pin: &str) {
    wait_for("the PIN dialog", || dialog_open(s).then_some(()));
    s.type_into("#pin-input", pin);
    s.click("#pin-submit");
}

/// `Mon 14:05-15:10`: a window starting `from` minutes from now and lasting `minutes`.
fn window_from_now(from: i64, minutes: i64) -> String {
    let start = Local::now() + Duration::minutes(from);
    let end = start + Duration::minutes(minutes);
    let day = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        [start.weekday().num_days_from_monday() as usize];
    format!("{day} {}-{}", start.format("%H:%M"), end.format("%H:%M"))
}

fn texts(s: &Session, css: &str) -> Vec<String> {
    serde_json::from_value(s.js(
        "return [...document.querySelectorAll(arguments[0])].map(e => e.textContent)",
        json!([css]),
    ))
    .unwrap()
}

#[test]
fn a_pin_is_needed_to_switch_the_proxy_off() {
    let desktop = Desktop::new();
    let proxy = config_on_free_port(&desktop, json!({}));
    let s = Session::start(&desktop);
    wait_for("the proxy", || answers(proxy).then_some(()));

    // The parent sets a PIN in Settings.
    s.click("#tab-settings");
    s.type_into("#pin-new", PIN);
    s.type_into("#pin-repeat", PIN);
    s.click("#pin-set");
    s.wait_text("#pin-set-msg", "the PIN saved", |t| {
        t.starts_with("PIN saved")
    });
    let hash = desktop.saved_config()["app"]["pin"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    // The window never gets the hash, even asking the app itself.
    let status = s.js(
        "return window.__TAURI__.core.invoke('status').then((s) => JSON.stringify(s))",
        json!([]),
    );
    assert!(!status.as_str().unwrap().contains("argon2"), "{status}");
    // The parent leaves: locked.
    s.wait_text("#lock-button", "the unlocked button", |t| t == "Unlocked");
    s.click("#lock-button");
    s.wait_text("#lock-button", "the locked button", |t| t == "Locked");

    // A child tries the switch: the PIN is asked, and cancelling leaves the proxy on.
    s.click("#power");
    wait_for("the PIN dialog", || dialog_open(&s).then_some(()));
    assert_eq!(s.text("#pin-why"), "Enter the PIN to switch the proxy off.");
    s.click("#pin-cancel");
    wait_for("the dialog to close", || (!dialog_open(&s)).then_some(()));
    assert!(answers(proxy));
    assert!(switch_is_on(&s));

    // A wrong PIN does nothing either.
    s.click("#power");
    enter_pin(&s, "1111");
    s.wait_text("#pin-msg", "the refusal", |t| t.starts_with("Wrong PIN"));
    assert!(answers(proxy));
    // Calling the command directly, around the window's dialog, is refused by the app.
    let direct = s.js(
        "return window.__TAURI__.core.invoke('set_enabled', { on: false }).then(() => 'ran', (e) => e.reason)",
        json!([]),
    );
    assert_eq!(direct, "locked");
    assert!(answers(proxy));

    // The right PIN: the proxy goes off.
    s.type_into("#pin-input", PIN);
    s.click("#pin-submit");
    wait_for("the switch to turn off", || {
        (!switch_is_on(&s)).then_some(())
    });
    wait_for("the port to close", || (!answers(proxy)).then_some(()));
    assert_eq!(desktop.saved_config()["enabled"], false);
    s.wait_text("#lock-button", "the unlocked button", |t| t == "Unlocked");

    // The tamper log says so, in the History view.
    s.click("#tab-history");
    s.wait_js(
        "the tamper log entry",
        "return !!document.querySelector('#tamper-rows tr[data-kind=\"proxy_off\"]')",
    );
    s.end();
}

#[test]
fn a_schedule_in_force_now_blocks_a_real_request() {
    let origin = Origin::start();
    let desktop = Desktop::new();
    let proxy = config_on_free_port(&desktop, json!({}));
    let s = Session::start(&desktop);
    wait_for("the proxy", || answers(proxy).then_some(()));
    assert_eq!(get_via(proxy, &origin.url("/")), Some(200));

    s.click("#tab-lists");
    s.type_into("#list-new", "Homework time");
    s.click("#list-create button[type=submit]");
    s.wait_text("#list-title", "the new list", |t| t == "Homework time");
    // Only later today first: the list holds the origin but does not block it now.
    let later = window_from_now(180, 60);
    s.type_into("#window-new", &later);
    s.click("#schedule-editor form.add-one button[type=submit]");
    s.wait_text("#window-list", "the window", |t| t.contains(&later));
    s.type_into("#list-rule-new", "127.0.0.1");
    s.click("#list-rules-editor form.add-one button[type=submit]");
    s.wait_text("#list-rule-list", "the site", |t| t.contains("127.0.0.1"));
    s.wait_text("#list-state", "not now", |t| {
        t.starts_with("On, but not blocking now")
    });
    assert_eq!(get_via(proxy, &origin.url("/")), Some(200));

    // A bad window is explained next to the field, in the engine's words.
    s.type_into("#window-new", "Funday 10:00-11:00");
    s.wait_text("#window-new-msg", "the engine's message", |t| {
        t.contains("not a day")
    });

    // A window around now: blocked at once.
    let now = window_from_now(-5, 65);
    s.type_into("#window-new", &now);
    s.click("#schedule-editor form.add-one button[type=submit]");
    s.wait_text("#list-state", "blocking now", |t| {
        t.starts_with("Blocking now")
    });
    assert_eq!(get_via(proxy, &origin.url("/")), Some(403));
    let saved = &desktop.saved_config()["lists"][0];
    assert_eq!(saved["schedule"], json!([later, now]));
    assert_eq!(saved["rules"], json!(["127.0.0.1"]));
    s.screenshot("lists");

    // The dashboard says which lists block now.
    s.click("#tab-dashboard");
    s.wait_js(
        "the list in force on the dashboard",
        "return document.querySelector('#lists-now li[data-list=\"Homework time\"]')?.dataset.inForce === 'true'",
    );
    // Switched off as a group: the origin is reachable again.
    s.click("#tab-lists");
    s.click("#list-switch");
    s.wait_text("#list-state", "off", |t| t.starts_with("Off"));
    assert_eq!(get_via(proxy, &origin.url("/")), Some(200));
    s.end();
}

/// Writes `text` as a file in the desktop's directory; its absolute path.
fn write_file(desktop: &Desktop, name: &str, text: &str) -> String {
    let path = desktop.dir.path().join(name);
    fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn an_imported_hosts_file_blocks_a_real_request() {
    let origin = Origin::start();
    let desktop = Desktop::new();
    let proxy = config_on_free_port(&desktop, json!({}));
    let hosts = write_file(
        &desktop,
        "hosts",
        "# A hosts file, as published\n\
         127.0.0.1 localhost\n\
         ::1 localhost ip6-localhost\n\
         \n\
         0.0.0.0 ads.example.com\n\
         0.0.0.0 tracker.example.net # inline comment\n\
         0.0.0.0 127.0.0.1\n\
         0.0.0.0 bad..example\n\
         0.0.0.0 ads.example.com\n",
    );
    let s = Session::start(&desktop);
    wait_for("the proxy", || answers(proxy).then_some(()));
    assert_eq!(get_via(proxy, &origin.url("/")), Some(200));

    s.click("#tab-lists");
    s.upload("#import-file", &hosts);
    s.type_into("#import-name", "Ads");
    s.click("#import-start");
    s.wait_text("#import-msg", "the import", |t| {
        t == "Imported into Ads: 3 rules added."
    });
    let facts = texts(&s, "#import-report .import-facts li");
    assert!(facts.contains(&"9 lines read.".to_string()), "{facts:?}");
    assert!(
        facts.contains(&"1 repeated in the file, merged.".to_string()),
        "{facts:?}"
    );
    assert!(facts.contains(&"1 comment line.".to_string()), "{facts:?}");
    assert!(
        facts.contains(&"1 line could not be read:".to_string()),
        "{facts:?}"
    );
    let invalid = s.js(
        "const li = document.querySelector('#import-invalid li'); return [li.dataset.line, li.querySelector('.why').textContent]",
        json!([]),
    );
    assert_eq!(invalid[0], "8");
    assert!(
        invalid[1].as_str().unwrap().contains("empty label"),
        "{invalid}"
    );

    assert_eq!(get_via(proxy, &origin.url("/")), Some(403));
    assert_eq!(
        get_via(proxy, "http://ads.example.com/banner.js"),
        Some(403)
    );
    s.wait_text("#list-title", "the new list shown", |t| t == "Ads");
    s.wait_text("#list-rule-count", "its rules", |t| t == "3 rules");
    assert_eq!(
        desktop.saved_config()["lists"][0]["rules"],
        json!(["ads.example.com", "tracker.example.net", "127.0.0.1"])
    );
    s.js(
        "document.getElementById('import-panel').scrollIntoView()",
        json!([]),
    );
    s.screenshot("import");
    s.end();
}

#[test]
fn a_hundred_thousand_entries_import_with_a_progress_bar() {
    let desktop = Desktop::new();
    let proxy = config_on_free_port(&desktop, json!({}));
    // With a blank line at the end of every piece the window sends (10 000 lines): the app
    // must count those lines too, or the next piece is refused.
    let text: String = (0..100_000)
        .map(|i| {
            let blank = if i % 9_999 == 9_998 { "\n" } else { "" };
            format!("0.0.0.0 host{i}.ads-{}.example\n{blank}", i % 97)
        })
        .collect();
    let hosts = write_file(&desktop, "big-hosts", &text);
    let s = Session::start(&desktop);
    wait_for("the proxy", || answers(proxy).then_some(()));
    s.click("#tab-lists");
    // Watch the progress bar: every value it shows while the import runs.
    s.js(
        "const bar = document.getElementById('import-progress');
         window.progressSeen = [];
         new MutationObserver(() => { if (!bar.hidden && bar.hasAttribute('value')) window.progressSeen.push(bar.value); })
           .observe(bar, { attributes: true });",
        json!([]),
    );
    s.upload("#import-file", &hosts);
    s.type_into("#import-name", "Big");
    let started = Instant::now();
    s.click("#import-start");
    s.wait_text("#import-msg", "the import", |t| {
        t.starts_with("Imported into Big")
    });
    let took = started.elapsed();
    assert_eq!(
        s.text("#import-msg"),
        "Imported into Big: 100,000 rules added."
    );
    let seen: Vec<f64> =
        serde_json::from_value(s.js("return window.progressSeen", json!([]))).unwrap();
    assert!(
        seen.iter().any(|v| *v > 0.0 && *v < 100_000.0),
        "the progress bar never showed a step: {seen:?}"
    );
    // Not every rule is drawn: a page, and a search for the rest.
    s.wait_text("#list-rule-count", "the count", |t| t == "100,000 rules");
    let drawn = s.js(
        "return document.querySelectorAll('#list-rule-list li').length",
        json!([]),
    );
    assert!(drawn.as_u64().unwrap() <= 1001, "{drawn}");
    s.type_into("#list-rule-search", "host99999.");
    s.wait_text("#list-rule-count", "the search", |t| {
        t == "1 of 100,000 rules"
    });
    assert_eq!(
        get_via(proxy, "http://host99999.ads-89.example/"),
        Some(403)
    );
    let build = match std::env::var_os("WICKET_DESKTOP_BIN") {
        Some(bin) => bin.to_string_lossy().into_owned(),
        None => "debug build".to_string(),
    };
    let report = format!(
        "import of a 100 000-line hosts file in the window ({build}): {} ms from the click \
         to the report, {} progress steps shown\n",
        took.as_millis(),
        seen.len()
    );
    eprint!("{report}");
    fs::write(
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("wicket-import-timing.txt"),
        &report,
    )
    .unwrap();
    s.end();
}

#[test]
fn the_history_shows_blocked_attempts_to_the_parent_and_exports_them() {
    let origin = Origin::start();
    let desktop = Desktop::new();
    let home = desktop.dir.path().join("home");
    fs::create_dir_all(home.join("Downloads")).unwrap();
    let desktop = desktop.with_env("HOME", home.clone());
    let hash = wicket_desktop::pin::hash(PIN).unwrap();
    let proxy = config_on_free_port(
        &desktop,
        json!({
            "block": ["ads.example.com"],
            "lists": [{ "name": "Games", "rules": ["games.example"] }],
            "app": { "pin": hash },
        }),
    );
    let s = Session::start(&desktop);
    wait_for("the proxy", || answers(proxy).then_some(()));
    for _ in 0..2 {
        assert_eq!(get_via(proxy, &origin.url("/")), Some(200));
        assert_eq!(get_via(proxy, "http://www.games.example/play"), Some(403));
    }
    assert_eq!(get_via(proxy, "http://ads.example.com/"), Some(403));

    // The history needs the PIN.
    s.click("#tab-history");
    enter_pin(&s, PIN);
    let row = |host: &str| {
        s.js(
            "const tr = document.querySelector(`#history-blocked tr[data-host='${arguments[0]}']`);
             return tr ? [...tr.children].map((td) => td.textContent) : null",
            json!([host]),
        )
    };
    let games = wait_for("the blocked attempts in the history", || {
        let games = row("www.games.example");
        (games.is_array() && games[1] == "2" && row("ads.example.com").is_array()).then_some(games)
    });
    assert_eq!(
        games,
        json!(["www.games.example", "2", "games.example", "Games"])
    );
    assert_eq!(
        row("ads.example.com"),
        json!(["ads.example.com", "1", "ads.example.com", "Blocklist"])
    );
    s.wait_js(
        "the visited origin",
        "return !!document.querySelector(\"#history-visits tr[data-host='127.0.0.1']\")",
    );
    assert_eq!(s.text("#history-blocked-count"), "3");
    assert!(desktop.history_file().exists());
    s.screenshot("history");

    s.click("#history-export");
    let msg = s.wait_text("#history-msg", "the saved file", |t| {
        t.starts_with("Saved as")
    });
    let path = msg.trim_start_matches("Saved as ").to_string();
    assert!(
        path.starts_with(&home.join("Downloads").display().to_string()),
        "{path}"
    );
    let csv = fs::read_to_string(&path).unwrap();
    assert!(
        csv.starts_with("day,kind,host,requests,bytes,rule,list\n"),
        "{csv}"
    );
    assert!(
        csv.contains(",blocked,www.games.example,2,,games.example,Games\n"),
        "{csv}"
    );
    assert!(csv.contains(",visited,127.0.0.1,2,10,,\n"), "{csv}");
    s.end();
}

#[test]
fn with_a_pin_closing_the_window_does_not_quit_and_a_kill_is_in_the_tamper_log() {
    let desktop = Desktop::new();
    let hash = wicket_desktop::pin::hash(PIN).unwrap();
    let addr = config_on_free_port(&desktop, json!({ "app": { "pin": hash } }));
    let mut app = desktop.launch("app", &[]);
    wait_for("the proxy", || answers(addr).then_some(()));
    let window = wait_for("the window", || {
        desktop.visible_windows("Wicket").into_iter().next()
    });
    // No tray here: without a PIN closing the window quits; with one, Wicket stays.
    desktop.close_window(&window);
    wait_for("the window to close", || {
        desktop.visible_windows("Wicket").is_empty().then_some(())
    });
    wait_for("the log line", || {
        desktop
            .log("app")
            .contains("with a PIN set Wicket keeps running")
            .then_some(())
    });
    assert!(app.try_wait().unwrap().is_none(), "the app quit");
    assert!(answers(addr));
    // A second launch brings the window back.
    let mut second = desktop.launch("second", &[]);
    assert_eq!(wait_exit(&mut second, "the second launch to exit"), Some(0));
    wait_for("the window back", || {
        desktop.visible_windows("Wicket").into_iter().next()
    });
    // A kill (a logout, `kill`) cannot be stopped by a PIN, but it is recorded.
    terminate(app.id());
    assert_eq!(wait_exit(&mut app, "the app to quit"), Some(0));
    assert!(!answers(addr));
    let history = wicket_desktop::history::History::open(Some(&desktop.history_file()));
    let last = &history.tamper(1).unwrap()[0];
    assert_eq!(
        last.what,
        wicket_desktop::tamper::Reduced::Quit {
            via: wicket_desktop::tamper::Via::Signal
        }
    );
}
