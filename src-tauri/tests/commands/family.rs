//! Family protection on the mock runtime: the parent's PIN refusing every locked command called
//! over IPC without an unlock, the slow-down after wrong PINs (kept across restarts), named
//! lists and schedules blocking real requests, imports, allow-only browsing, the history on a
//! real SQLite file, and the tamper log.

use std::sync::mpsc;
use std::time::Instant;

use chrono::{Datelike, Duration, Local};
use serde_json::{json, Value};
use tauri::{Listener, Manager};
use wicket_desktop::commands::{COMMANDS, LOCKED};
use wicket_desktop::events::EVENT;
use wicket_desktop::history::History;
use wicket_desktop::pin::Failures;
use wicket_desktop::state::AppState;
use wicket_desktop::tamper::Via;

use super::{en, TestApp};
use crate::common::{answers, free_port, get_via, wait_for, Origin};

const PIN: &str = "2468";

/// A config on a free port with a PIN set, a named list, a schedule and allowed sites.
fn with_pin(extra: Value) -> TestApp {
    let hash = wicket_desktop::pin::hash(PIN).unwrap();
    let mut config = json!({
        "block": ["ads.example"],
        "lists": [{ "name": "Games", "rules": ["game.example"], "schedule": ["Mon-Fri 16:00-19:00"] }],
        "allow_only": true,
        "allowed_sites": ["wikipedia.org", "127.0.0.1"],
        "system_proxy": true,
        "app": { "pin": hash },
    });
    config
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    TestApp::on_free_port(config)
}

fn refusal_reason(result: &Result<Value, Value>) -> Option<String> {
    result
        .as_ref()
        .err()
        .and_then(|e| e["reason"].as_str().map(str::to_string))
}

fn tamper_kinds(t: &TestApp) -> Vec<String> {
    t.invoke("history", json!({})).expect("history")["tamper"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect()
}

/// Every locked command with arguments that would change something.
fn locked_calls() -> Vec<(&'static str, Value)> {
    let settings = json!({ "input": { "address": "127.0.0.1", "port": "1", "connect_ports": "any", "timeout_secs": "5" } });
    vec![
        ("set_enabled", json!({ "on": false })),
        ("add_rules", json!({ "entries": ["x.example"] })),
        ("remove_rule", json!({ "rule": "ads.example" })),
        ("add_clients", json!({ "entries": ["10.0.0.1"] })),
        ("remove_client", json!({ "entry": "::1" })),
        ("save_settings", settings),
        ("set_system_proxy", json!({ "on": false })),
        ("add_bypass", json!({ "entries": ["*.lan"] })),
        ("remove_bypass", json!({ "entry": "localhost" })),
        ("set_autostart", json!({ "on": false })),
        ("set_language", json!({ "language": "zh-CN" })),
        ("set_pin", json!({ "pin": "9999" })),
        ("remove_pin", json!({})),
        ("quit", json!({})),
        ("create_list", json!({ "name": "New" })),
        ("rename_list", json!({ "name": "Games", "to": "Fun" })),
        ("delete_list", json!({ "name": "Games" })),
        ("set_list_enabled", json!({ "name": "Games", "on": false })),
        (
            "add_list_rules",
            json!({ "name": "Games", "entries": ["y.example"] }),
        ),
        (
            "remove_list_rule",
            json!({ "name": "Games", "rule": "game.example" }),
        ),
        (
            "add_list_windows",
            json!({ "name": "Games", "entries": ["Sat 10:00-11:00"] }),
        ),
        (
            "remove_list_window",
            json!({ "name": "Games", "entry": "Mon-Fri 16:00-19:00" }),
        ),
        (
            "import_chunk",
            json!({ "importId": null, "firstLine": 1, "text": "z.example\n" }),
        ),
        (
            "import_commit",
            json!({ "importId": 1, "list": "Games", "create": false }),
        ),
        ("set_allow_only", json!({ "on": false })),
        ("add_allowed_sites", json!({ "entries": ["w.example"] })),
        ("remove_allowed_site", json!({ "site": "wikipedia.org" })),
        ("history", json!({})),
        ("export_history", json!({})),
        ("set_history_days", json!({ "days": 1 })),
    ]
}

/// Commands any window may call with a PIN set: reading, checking, unlocking.
const OPEN: &[&str] = &[
    "status",
    "check_rule",
    "check_client",
    "check_settings",
    "dismiss_problem",
    "check_bypass",
    "unlock",
    "lock",
    "list_rules",
    "check_window",
];

#[test]
fn every_command_is_either_locked_or_harmless() {
    for command in COMMANDS {
        assert!(
            LOCKED.contains(command) != OPEN.contains(command),
            "{command} must be in exactly one of LOCKED and OPEN"
        );
    }
    let tested: Vec<&str> = locked_calls().iter().map(|(c, _)| *c).collect();
    for command in LOCKED {
        assert!(tested.contains(command), "{command} is not tested below");
    }
}

#[test]
fn every_locked_command_is_refused_over_ipc_without_an_unlock() {
    let t = with_pin(json!({}));
    let proxy = t.running();
    let before = t.saved();
    for (command, args) in locked_calls() {
        let result = t.invoke(command, args);
        assert_eq!(
            refusal_reason(&result).as_deref(),
            Some("locked"),
            "{command} ran without the PIN: {result:?}"
        );
    }
    // Nothing changed: not the file, not the proxy, and Wicket did not quit.
    assert_eq!(t.saved(), before);
    assert!(answers(proxy));
    assert_eq!(get_via(proxy, "http://ads.example/"), Some(403));
    let status = t.status();
    assert_eq!(status["lock"]["pin_set"], true);
    assert_eq!(status["lock"]["unlocked"], false);
    // Adding protection needs no PIN.
    assert!(t.invoke("set_enabled", json!({ "on": true })).is_ok());
    assert!(t.invoke("set_system_proxy", json!({ "on": true })).is_ok());
}

#[test]
fn the_right_pin_unlocks_this_window_until_it_locks_again() {
    let t = with_pin(json!({}));
    let proxy = t.running();
    let wrong = t.invoke("unlock", json!({ "pin": "1357" }));
    assert_eq!(refusal_reason(&wrong).as_deref(), Some("wrong_pin"));
    assert_eq!(
        refusal_reason(&t.invoke("set_enabled", json!({ "on": false }))).as_deref(),
        Some("locked")
    );

    let lock = t.invoke("unlock", json!({ "pin": PIN })).unwrap();
    assert_eq!(lock["unlocked"], true);
    assert!(lock["unlocked_secs"].as_u64().unwrap() > 0);
    t.invoke("set_enabled", json!({ "on": false })).unwrap();
    wait_for("the port to close", || (!answers(proxy)).then_some(()));
    assert_eq!(tamper_kinds(&t)[0], "proxy_off");

    let lock = t.invoke("lock", json!({})).unwrap();
    assert_eq!(lock["unlocked"], false);
    assert_eq!(
        refusal_reason(&t.invoke("history", json!({}))).as_deref(),
        Some("locked")
    );
}

#[test]
fn wrong_pins_slow_down_and_the_wait_outlives_a_restart() {
    let t = with_pin(json!({}));
    for attempt in 1..=3 {
        let result = t.invoke("unlock", json!({ "pin": "0000" }));
        assert_eq!(refusal_reason(&result).as_deref(), Some("wrong_pin"));
        let wait = result.unwrap_err()["wait_secs"].as_u64().unwrap();
        // Two typos are free; the third costs 5 seconds.
        assert_eq!(wait > 0, attempt == 3, "attempt {attempt}: wait {wait}");
    }
    // During the wait even the right PIN is not looked at.
    let result = t.invoke("unlock", json!({ "pin": PIN }));
    assert_eq!(refusal_reason(&result).as_deref(), Some("wait"));
    assert_eq!(t.status()["lock"]["unlocked"], false);

    // Many wrong attempts earlier: a restarted Wicket still makes the next one wait.
    let history = t.history_path();
    let config = t.saved().to_string();
    let state = t.app.state::<AppState>();
    tauri::async_runtime::block_on(state.shutdown(Via::Signal));
    History::open(Some(&history)).set_failures(Failures {
        count: 8,
        last_ms: wicket::stats::unix_millis(),
    });
    let again = TestApp::start_with(Some(&config), no_desktop(), t.dir);
    let wait = again.status()["lock"]["wait_secs"].as_u64().unwrap();
    assert!(wait > 60, "wait {wait}");
    let result = again.invoke("unlock", json!({ "pin": PIN }));
    assert_eq!(refusal_reason(&result).as_deref(), Some("wait"));
}

fn no_desktop() -> wicket_desktop::system_proxy::Setup {
    wicket_desktop::system_proxy::Setup {
        platform: Err(wicket::Message::detail("tests run on no desktop")),
        tools: wicket::sysproxy::Tools::default(),
    }
}

#[test]
fn a_pin_is_set_changed_and_removed_and_its_hash_never_reaches_the_window() {
    let t = TestApp::on_free_port(json!({}));
    t.running();
    let (tx, rx) = mpsc::channel::<String>();
    t.app.listen_any(EVENT, move |event| {
        let _ = tx.send(event.payload().to_string());
    });
    assert!(
        t.invoke("set_pin", json!({ "pin": "12" })).is_err(),
        "too short"
    );
    let lock = t.invoke("set_pin", json!({ "pin": PIN })).unwrap();
    assert_eq!(lock["pin_set"], true);
    assert_eq!(
        lock["unlocked"], true,
        "the parent who set it stays unlocked"
    );
    let hash = t.saved()["app"]["pin"].as_str().unwrap().to_string();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(!hash.contains(PIN));
    let status = t.status().to_string();
    assert!(!status.contains("argon2") && !status.contains(&hash));
    wait_for("the config event", || rx.try_iter().next());
    for event in rx.try_iter() {
        assert!(!event.contains("argon2"), "{event}");
    }

    // Changing it needs the current one.
    t.invoke("lock", json!({})).unwrap();
    let refused = t.invoke("set_pin", json!({ "pin": "97531" }));
    assert_eq!(refusal_reason(&refused).as_deref(), Some("locked"));
    t.invoke("unlock", json!({ "pin": PIN })).unwrap();
    t.invoke("set_pin", json!({ "pin": "97531" })).unwrap();
    t.invoke("lock", json!({})).unwrap();
    assert!(t.invoke("unlock", json!({ "pin": PIN })).is_err());
    t.invoke("unlock", json!({ "pin": "97531" })).unwrap();
    let lock = t.invoke("remove_pin", json!({})).unwrap();
    assert_eq!(lock["pin_set"], false);
    assert!(t.saved()["app"].get("pin").is_none());
    let kinds = tamper_kinds(&t);
    assert_eq!(kinds[..2], ["pin_removed", "pin_changed"]);
}

/// `Mon 14:05-15:10`: a window starting `from` minutes from now and lasting `minutes`.
fn window_from_now(from: i64, minutes: i64) -> String {
    let start = Local::now() + Duration::minutes(from);
    let end = start + Duration::minutes(minutes);
    let day = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        [start.weekday().num_days_from_monday() as usize];
    format!("{day} {}-{}", start.format("%H:%M"), end.format("%H:%M"))
}

#[test]
fn a_list_blocks_inside_its_schedule_and_not_outside() {
    let origin = Origin::start();
    let t = TestApp::on_free_port(json!({}));
    let proxy = t.running();
    assert_eq!(get_via(proxy, &origin.url("/")), Some(200));
    let config = t
        .invoke("create_list", json!({ "name": "Homework time" }))
        .unwrap();
    assert_eq!(config["lists"][0]["in_force"], true, "no schedule: always");
    let added = t
        .invoke(
            "add_list_rules",
            json!({ "name": "Homework time", "entries": ["127.0.0.1", "bad..rule"] }),
        )
        .unwrap();
    assert_eq!(added["added"], json!(["127.0.0.1"]));
    assert!(en(&added["refused"][0]["reason"]).contains("empty label"));
    assert_eq!(get_via(proxy, &origin.url("/")), Some(403));

    // A window later today: the list stops blocking at once.
    let later = window_from_now(180, 60);
    let added = t
        .invoke(
            "add_list_windows",
            json!({ "name": "Homework time", "entries": [later, "Funday 10-11"] }),
        )
        .unwrap();
    assert_eq!(added["added"], json!([later]));
    assert!(en(&added["refused"][0]["reason"]).contains("not a day"));
    assert_eq!(added["config"]["lists"][0]["in_force"], false);
    assert_eq!(get_via(proxy, &origin.url("/")), Some(200));

    // A window around now: blocking again.
    let now = window_from_now(-5, 65);
    t.invoke(
        "add_list_windows",
        json!({ "name": "Homework time", "entries": [now] }),
    )
    .unwrap();
    assert_eq!(get_via(proxy, &origin.url("/")), Some(403));
    let saved = &t.saved()["lists"][0];
    assert_eq!(saved["schedule"], json!([later, now]));

    // Switched off as a group, then on again.
    t.invoke(
        "set_list_enabled",
        json!({ "name": "Homework time", "on": false }),
    )
    .unwrap();
    assert_eq!(get_via(proxy, &origin.url("/")), Some(200));
    t.invoke(
        "set_list_enabled",
        json!({ "name": "Homework time", "on": true }),
    )
    .unwrap();
    assert_eq!(get_via(proxy, &origin.url("/")), Some(403));
    let page = t
        .invoke(
            "list_rules",
            json!({ "name": "Homework time", "query": "" }),
        )
        .unwrap();
    assert_eq!(page["rules"], json!(["127.0.0.1"]));
    let kinds = tamper_kinds(&t);
    assert!(kinds.contains(&"list_off".to_string()), "{kinds:?}");
    assert!(kinds.contains(&"schedule_changed".to_string()), "{kinds:?}");
}

#[test]
fn the_window_hears_when_a_schedule_switches_a_list() {
    // The proxy is off, so that only the moments given below move the schedules (a running
    // engine follows the clock every few seconds).
    let later = window_from_now(180, 60);
    let t = TestApp::on_free_port(json!({
        "enabled": false,
        "lists": [{ "name": "Evenings", "rules": ["game.example"], "schedule": [later] }]
    }));
    assert_eq!(t.status()["config"]["lists"][0]["in_force"], false);
    let (tx, rx) = mpsc::channel::<Value>();
    t.app.listen_any(EVENT, move |event| {
        let _ = tx.send(serde_json::from_str(event.payload()).unwrap());
    });
    let state = t.app.state::<AppState>();
    let now = wicket::schedule::WeekTime::now();
    state.engine.follow_schedules_at(now.plus_minutes(200));
    wait_for("the list in force", || {
        rx.try_iter()
            .any(|e| e["type"] == "lists_now" && e["lists"][0]["in_force"] == true)
            .then_some(())
    });
    let blocked = state.engine.policy().decide("www.game.example") != wicket::Decision::Pass;
    assert!(blocked);
    assert_eq!(t.status()["config"]["lists"][0]["in_force"], true);
    state.engine.follow_schedules_at(now);
    wait_for("the list out of force", || {
        rx.try_iter()
            .any(|e| e["type"] == "lists_now" && e["lists"][0]["in_force"] == false)
            .then_some(())
    });
    assert_eq!(
        state.engine.policy().decide("www.game.example"),
        wicket::Decision::Pass
    );
}

#[test]
fn lists_are_renamed_and_deleted_and_names_stay_unique() {
    let t = TestApp::on_free_port(json!({}));
    t.invoke("create_list", json!({ "name": "Social" }))
        .unwrap();
    t.invoke("create_list", json!({ "name": "Games" })).unwrap();
    let taken = t.invoke("create_list", json!({ "name": "games" }));
    assert!(en(&taken.unwrap_err()).contains("already"));
    let taken = t.invoke("rename_list", json!({ "name": "Social", "to": "GAMES" }));
    assert!(taken.is_err());
    t.invoke(
        "rename_list",
        json!({ "name": "Social", "to": "Social media" }),
    )
    .unwrap();
    let config = t.invoke("delete_list", json!({ "name": "Games" })).unwrap();
    assert_eq!(config["lists"][0]["name"], "Social media");
    assert_eq!(config["lists"].as_array().unwrap().len(), 1);
    assert_eq!(t.saved()["lists"][0]["name"], "Social media");
    let kinds = tamper_kinds(&t);
    assert_eq!(kinds[..2], ["list_removed", "list_renamed"]);
}

#[test]
fn a_hosts_file_imported_in_pieces_blocks_and_is_reported_line_by_line() {
    let origin = Origin::start();
    let t = TestApp::on_free_port(json!({}));
    let proxy = t.running();
    let hosts = [
        "# Title: a test hosts file",
        "127.0.0.1 localhost",
        "::1 localhost ip6-localhost",
        "0.0.0.0 ads.example.com",
        "0.0.0.0 127.0.0.1",
        "0.0.0.0 bad..example # broken",
        "0.0.0.0 ads.example.com",
        "192.168.1.10 nas.lan",
        "||tracker.example^",
    ];
    let first = t
        .invoke(
            "import_chunk",
            json!({ "importId": null, "firstLine": 1, "text": hosts[..5].join("\n") }),
        )
        .unwrap();
    assert_eq!(first["lines"], 5);
    let id = first["import_id"].clone();
    let second = t
        .invoke(
            "import_chunk",
            json!({ "importId": id, "firstLine": 6, "text": hosts[5..].join("\n") }),
        )
        .unwrap();
    assert_eq!(second["lines"], 9);
    let done = t
        .invoke(
            "import_commit",
            json!({ "importId": id, "list": "Ads", "create": true }),
        )
        .unwrap();
    let report = &done["report"];
    assert_eq!(report["added"], 3);
    assert_eq!(report["duplicates"], 1);
    assert_eq!(report["comments"], 1);
    assert_eq!(report["not_blocks"], 4);
    assert_eq!(report["invalid_count"], 1);
    assert_eq!(report["invalid"][0]["line"], 6);
    assert_eq!(done["config"]["lists"][0]["rules"], 3);
    assert_eq!(get_via(proxy, &origin.url("/")), Some(403));
    assert_eq!(get_via(proxy, "http://ads.example.com/"), Some(403));

    // Into the same list again: nothing new, all already there.
    let again = t
        .invoke(
            "import_chunk",
            json!({ "importId": null, "firstLine": 1, "text": "ads.example.com\nnew.example" }),
        )
        .unwrap();
    let done = t
        .invoke(
            "import_commit",
            json!({ "importId": again["import_id"], "list": "Ads", "create": false }),
        )
        .unwrap();
    assert_eq!(done["report"]["added"], 1);
    assert_eq!(done["report"]["already"], 1);
    assert_eq!(t.saved()["lists"][0]["rules"].as_array().unwrap().len(), 4);
}

#[test]
fn a_hundred_thousand_entries_import_through_ipc() {
    let t = TestApp::on_free_port(json!({}));
    let proxy = t.running();
    let lines: Vec<String> = (0..100_000)
        .map(|i| format!("0.0.0.0 host{i}.ads-{}.example", i % 97))
        .collect();
    let started = Instant::now();
    let mut id = Value::Null;
    for (n, chunk) in lines.chunks(20_000).enumerate() {
        let progress = t
            .invoke(
                "import_chunk",
                json!({ "importId": id, "firstLine": n * 20_000 + 1, "text": chunk.join("\n") }),
            )
            .unwrap();
        id = progress["import_id"].clone();
    }
    let parsed = started.elapsed();
    let done = t
        .invoke(
            "import_commit",
            json!({ "importId": id, "list": "Big", "create": true }),
        )
        .unwrap();
    let total = started.elapsed();
    assert_eq!(done["report"]["added"], 100_000);
    let page = t
        .invoke(
            "list_rules",
            json!({ "name": "Big", "query": "host99999." }),
        )
        .unwrap();
    assert_eq!(page["matching"], 1);
    assert_eq!(
        get_via(proxy, "http://host99999.ads-89.example/"),
        Some(403)
    );
    eprintln!(
        "import of 100 000 entries over the mock runtime's IPC: pieces read in {} ms, \
         applied and saved in {} ms more ({} ms in all)",
        parsed.as_millis(),
        (total - parsed).as_millis(),
        total.as_millis()
    );
}

#[test]
fn allow_only_lets_through_only_the_allowed_sites() {
    let origin = Origin::start();
    let t = TestApp::on_free_port(json!({}));
    let proxy = t.running();
    t.invoke("set_allow_only", json!({ "on": true })).unwrap();
    assert_eq!(get_via(proxy, &origin.url("/")), Some(403));
    let added = t
        .invoke(
            "add_allowed_sites",
            json!({ "entries": ["127.0.0.1", "wikipedia.org", "bad..site"] }),
        )
        .unwrap();
    assert_eq!(
        added["config"]["allowed_sites"],
        json!(["127.0.0.1", "wikipedia.org"])
    );
    assert_eq!(added["refused"].as_array().unwrap().len(), 1);
    assert_eq!(get_via(proxy, &origin.url("/")), Some(200));
    t.invoke("remove_allowed_site", json!({ "site": "127.0.0.1" }))
        .unwrap();
    assert_eq!(get_via(proxy, &origin.url("/")), Some(403));
    let config = t.invoke("set_allow_only", json!({ "on": false })).unwrap();
    assert_eq!(config["allow_only"], false);
    assert_eq!(get_via(proxy, &origin.url("/")), Some(200));
    assert_eq!(t.saved()["allowed_sites"], json!(["wikipedia.org"]));
    let kinds = tamper_kinds(&t);
    assert_eq!(kinds[..2], ["allow_only_off", "allowed_sites_added"]);
}

#[test]
fn history_counts_visits_and_blocked_attempts_in_the_sqlite_file() {
    let origin = Origin::start();
    let t = TestApp::on_free_port(json!({
        "block": ["ads.example"],
        "lists": [{ "name": "Games", "rules": ["game.example"] }]
    }));
    let proxy = t.running();
    for _ in 0..3 {
        assert_eq!(get_via(proxy, &origin.url("/")), Some(200));
    }
    assert_eq!(get_via(proxy, "http://ads.example/x"), Some(403));
    assert_eq!(get_via(proxy, "http://www.game.example/"), Some(403));
    assert_eq!(get_via(proxy, "http://www.game.example/"), Some(403));
    let view = wait_for("the requests in the history", || {
        let view = t.invoke("history", json!({})).unwrap();
        let day = &view["day"];
        let visits = day["visits"].as_array().map(Vec::len).unwrap_or(0);
        let blocked: u64 = day["blocked"]
            .as_array()
            .map(|b| b.iter().map(|a| a["count"].as_u64().unwrap()).sum())
            .unwrap_or(0);
        (visits == 1 && blocked == 3 && day["visits"][0]["requests"] == 3).then_some(view)
    });
    let day = &view["day"];
    assert_eq!(day["visits"][0]["host"], "127.0.0.1");
    assert_eq!(day["visits"][0]["bytes"], 5 * 3);
    let game = day["blocked"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["host"] == "www.game.example")
        .unwrap();
    assert_eq!(game["count"], 2);
    assert_eq!(game["rule"], "game.example");
    assert_eq!(game["list"], "Games");
    let today = Local::now().format("%Y-%m-%d").to_string();
    assert_eq!(view["days"][0]["day"], today);
    assert_eq!(view["keep_days"], 30);
    assert_eq!(
        view["path"].as_str().unwrap(),
        t.history_path().display().to_string()
    );
    // The file itself holds them.
    let file = History::open(Some(&t.history_path()));
    assert_eq!(file.day(&today).unwrap().visits[0].requests, 3);

    let config = t.invoke("set_history_days", json!({ "days": 7 })).unwrap();
    assert_eq!(config["history_days"], 7);
    assert_eq!(t.saved()["app"]["history_days"], 7);
    assert!(t.invoke("set_history_days", json!({ "days": 0 })).is_err());
    assert_eq!(tamper_kinds(&t)[0], "history_shortened");
}

#[test]
fn a_gap_before_this_start_is_in_the_tamper_log() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("data/history.sqlite3");
    let two_hours_ago = wicket::stats::unix_millis() - 2 * 3600 * 1000;
    let old = History::open(Some(&history));
    old.started(two_hours_ago - 60_000);
    old.heartbeat(two_hours_ago);
    drop(old);
    let config = json!({ "listen": format!("127.0.0.1:{}", free_port()) }).to_string();
    let t = TestApp::start_with(Some(&config), no_desktop(), dir);
    let view = t.invoke("history", json!({})).unwrap();
    let gap = &view["tamper"][0];
    assert_eq!(gap["kind"], "not_running");
    assert_eq!(gap["since_ms"], two_hours_ago);
    assert_eq!(gap["quit"], false);
}

#[test]
fn a_proxy_that_cannot_listen_is_in_the_tamper_log() {
    // Another program holds the port when Wicket starts (at login, say): nothing is filtered.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let config = json!({ "listen": address }).to_string();
    let t = TestApp::start_with(Some(&config), no_desktop(), tempfile::tempdir().unwrap());
    let entry = wait_for("the entry", || {
        let view = t.invoke("history", json!({})).unwrap();
        let first = view["tamper"][0].clone();
        (first["kind"] == "proxy_failed").then_some(first)
    });
    assert_eq!(entry["address"], address);
    // Each failed start is recorded: switched off, then on again while the port is taken.
    t.invoke("set_enabled", json!({ "on": false })).unwrap();
    let before = tamper_kinds(&t).len();
    t.invoke("set_enabled", json!({ "on": true })).unwrap_err();
    wait_for("the second failure", || {
        (tamper_kinds(&t).len() == before + 1).then_some(())
    });
    assert_eq!(tamper_kinds(&t)[0], "proxy_failed");
    drop(taken);
}

#[test]
fn the_tamper_log_records_switching_protection_off_and_quitting() {
    let t = TestApp::on_free_port(json!({ "block": ["ads.example"] }));
    t.running();
    t.invoke("set_system_proxy", json!({ "on": true })).unwrap();
    t.invoke("set_system_proxy", json!({ "on": false }))
        .unwrap();
    t.invoke("remove_rule", json!({ "rule": "ads.example" }))
        .unwrap();
    t.invoke("add_bypass", json!({ "entries": ["*.games.example"] }))
        .unwrap();
    t.invoke("set_enabled", json!({ "on": false })).unwrap();
    let state = t.app.state::<AppState>();
    tauri::async_runtime::block_on(state.shutdown(Via::Tray));
    let view = t.invoke("history", json!({})).unwrap();
    let entries = view["tamper"].as_array().unwrap();
    let kinds: Vec<&str> = entries
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "quit",
            "proxy_off",
            "bypass_added",
            "rules_removed",
            "system_proxy_off"
        ]
    );
    assert_eq!(entries[0]["via"], "tray");
    assert_eq!(entries[2]["entries"], json!(["*.games.example"]));
    assert_eq!(entries[3]["rules"], json!(["ads.example"]));
    assert_eq!(entries[3]["list"], Value::Null);
}

#[test]
fn what_the_tray_asks_is_handed_to_the_window_once() {
    let t = with_pin(json!({}));
    t.running();
    let state = t.app.state::<AppState>();
    state.ask_parent_later(wicket_desktop::state::ParentAction::Quit);
    assert_eq!(t.status()["pending"], "quit");
    assert_eq!(t.status()["pending"], Value::Null);
    // The window then calls quit, which needs the PIN like any other way in.
    let refused = t.invoke("quit", json!({}));
    assert_eq!(refusal_reason(&refused).as_deref(), Some("locked"));
}

#[test]
fn closing_a_window_ends_its_unlock() {
    let t = with_pin(json!({}));
    t.invoke("unlock", json!({ "pin": PIN })).unwrap();
    assert_eq!(t.status()["lock"]["unlocked"], true);
    // What the app does when the window is destroyed (the mock runtime sends no window events).
    let window = t.main.as_ref().window();
    wicket_desktop::on_window_event(&window, &tauri::WindowEvent::Destroyed);
    assert_eq!(t.status()["lock"]["unlocked"], false);
    let refused = t.invoke("set_enabled", json!({ "on": false }));
    assert_eq!(refusal_reason(&refused).as_deref(), Some("locked"));
}
