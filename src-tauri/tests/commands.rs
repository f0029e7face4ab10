//! The window's commands on tauri's mock runtime (no display): the app's real builder,
//! config, capabilities and engine, with a real proxy on loopback and a real origin behind it.
//! Family protection (the PIN, lists, import, history, tamper log) is in commands/family.rs.

mod common;
#[path = "commands/family.rs"]
mod family;

use std::fs;
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::mpsc;

use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{App, Listener, Manager, WebviewUrl, WebviewWindow, WebviewWindowBuilder};
use tempfile::TempDir;
use wicket::sysproxy::{Platform, SystemProxy, Target, Tools};
use wicket_desktop::events::EVENT;
use wicket_desktop::state::AppState;
use wicket_desktop::system_proxy::Setup;

use common::{answers, free_port, get_via, wait_for, GnomeSettings, Origin};

/// A message as the window receives it (`{"en": ..., "zh-CN": ...}`), in English; checks that
/// the Chinese is there too.
pub fn en(message: &Value) -> &str {
    assert!(
        message["zh-CN"].as_str().is_some_and(|t| !t.is_empty()),
        "not a message in every language: {message}"
    );
    message["en"]
        .as_str()
        .unwrap_or_else(|| panic!("not a message: {message}"))
}

/// An app on the mock runtime with its own config directory and a "main" window.
struct TestApp {
    app: App<MockRuntime>,
    main: WebviewWindow<MockRuntime>,
    dir: TempDir,
}

impl TestApp {
    /// Starts with `config` (JSON text) as the config file, or none, on a desktop whose proxy
    /// settings Wicket does not know (so that no test touches this machine's).
    fn start(config: Option<&str>) -> TestApp {
        let setup = Setup {
            platform: Err(wicket::Message::detail("tests run on no desktop")),
            tools: Tools::default(),
        };
        TestApp::start_with(config, setup, tempfile::tempdir().expect("temp dir"))
    }

    /// Starts in `dir` with the system proxy's platform and tools given.
    fn start_with(config: Option<&str>, setup: Setup, dir: TempDir) -> TestApp {
        let path = dir.path().join("wicket/config.json");
        if let Some(text) = config {
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(&path, text).unwrap();
        }
        let history = dir.path().join("data/history.sqlite3");
        let mut app = wicket_desktop::builder(mock_builder())
            .manage(AppState::load_with(Some(path), setup, Some(history)))
            .build(wicket_desktop::context())
            .expect("app builds");
        // The mock runtime creates no window from the config: make the app's one.
        let main = WebviewWindowBuilder::new(&app, "main", WebviewUrl::default())
            .build()
            .expect("main window");
        // Runs the builder's setup hook (restore the proxy, start the event forwarder); the mock
        // runtime's iteration itself does nothing.
        #[allow(deprecated)]
        app.run_iteration(|_, _| {});
        TestApp { app, main, dir }
    }

    /// A config on a free port, proxy on, plus `extra` fields.
    fn on_free_port(extra: Value) -> TestApp {
        let mut config = json!({ "listen": format!("127.0.0.1:{}", free_port()) });
        config
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        TestApp::start(Some(&config.to_string()))
    }

    fn path(&self) -> PathBuf {
        self.dir.path().join("wicket/config.json")
    }

    /// The history database of this app.
    fn history_path(&self) -> PathBuf {
        self.dir.path().join("data/history.sqlite3")
    }

    fn saved(&self) -> Value {
        serde_json::from_str(&fs::read_to_string(self.path()).expect("config file")).unwrap()
    }

    fn invoke_from(
        &self,
        window: &WebviewWindow<MockRuntime>,
        cmd: &str,
        args: Value,
    ) -> Result<Value, Value> {
        let request = InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        };
        get_ipc_response(window, request).map(|body| body.deserialize::<Value>().unwrap())
    }

    fn invoke(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        self.invoke_from(&self.main, cmd, args)
    }

    fn status(&self) -> Value {
        self.invoke("status", json!({})).expect("status")
    }

    /// Waits until the engine runs; returns its address.
    fn running(&self) -> SocketAddr {
        wait_for("the proxy to run", || {
            let engine = &self.status()["engine"];
            (engine["state"] == "running").then(|| engine["address"].as_str()?.parse().ok())?
        })
    }
}

#[test]
fn status_shows_the_running_proxy_and_the_saved_config() {
    let t = TestApp::on_free_port(json!({ "block": ["ads.example.com"] }));
    let address = t.running();
    let status = t.status();
    assert_eq!(status["config"]["listen"], address.to_string());
    assert_eq!(status["config"]["block"], json!(["ads.example.com"]));
    assert_eq!(status["config"]["enabled"], true);
    assert_eq!(status["problem"], Value::Null);
    assert_eq!(status["recent"], json!([]));
}

#[test]
fn switching_off_frees_the_port_and_switching_on_opens_it_again() {
    let t = TestApp::on_free_port(json!({}));
    let address = t.running();
    let config = t.invoke("set_enabled", json!({ "on": false })).unwrap();
    assert_eq!(config["enabled"], false);
    assert!(
        !answers(address),
        "the port still answers after switching off"
    );
    assert_eq!(t.saved()["enabled"], false);

    t.invoke("set_enabled", json!({ "on": true })).unwrap();
    assert!(
        answers(address),
        "the port does not answer after switching on"
    );
    assert_eq!(t.saved()["enabled"], true);
}

#[test]
fn a_proxy_left_off_stays_off_at_start() {
    let t = TestApp::on_free_port(json!({ "enabled": false }));
    let status = t.status();
    assert_eq!(status["engine"]["state"], "stopped");
    assert_eq!(status["config"]["enabled"], false);
}

#[test]
fn an_added_rule_blocks_at_once_and_is_saved() {
    let origin = Origin::start();
    let t = TestApp::on_free_port(json!({}));
    let proxy = t.running();
    assert_eq!(get_via(proxy, &origin.url("/")), Some(200));

    let added = t
        .invoke("add_rules", json!({ "entries": ["127.0.0.1"] }))
        .unwrap();
    assert_eq!(added["added"], json!(["127.0.0.1"]));
    assert_eq!(get_via(proxy, &origin.url("/")), Some(403));
    assert_eq!(t.saved()["block"], json!(["127.0.0.1"]));

    t.invoke("remove_rule", json!({ "rule": "127.0.0.1" }))
        .unwrap();
    assert_eq!(get_via(proxy, &origin.url("/")), Some(200));
    assert_eq!(t.saved()["block"], json!([]));
}

#[test]
fn pasted_rules_are_added_and_each_refusal_keeps_the_engines_reason() {
    let t = TestApp::on_free_port(json!({ "block": ["old.example"] }));
    let added = t
        .invoke(
            "add_rules",
            json!({ "entries": ["new.example", "", "bad..com", "https://WWW.Site.example/page", "old.example", "new.example"] }),
        )
        .unwrap();
    assert_eq!(added["added"], json!(["new.example", "www.site.example"]));
    assert_eq!(added["already"], json!(["old.example", "new.example"]));
    assert_eq!(added["refused"][0]["input"], "bad..com");
    let reason = en(&added["refused"][0]["reason"]);
    assert!(reason.contains("empty label"), "{reason}");
    assert_eq!(
        added["config"]["block"],
        json!(["old.example", "new.example", "www.site.example"])
    );
}

#[test]
fn typed_entries_are_checked_by_the_engines_parsers() {
    let t = TestApp::on_free_port(json!({}));
    assert_eq!(
        t.invoke("check_rule", json!({ "text": "Example.COM." })),
        Ok(json!("example.com"))
    );
    let err = t.invoke("check_rule", json!({ "text": "example.com:8080" }));
    assert!(en(&err.unwrap_err()).contains("every port"));
    let err = t.invoke("check_client", json!({ "text": "10.0.0.0/40" }));
    assert_eq!(
        err,
        Err(
            json!({"en": "the prefix length must be 0 to 32", "zh-CN": "前缀长度必须在 0 到 32 之间"})
        )
    );
    assert_eq!(
        t.invoke("check_client", json!({ "text": "192.168.1.7/24" })),
        Ok(json!("192.168.1.0/24"))
    );
}

#[test]
fn allowlist_warns_when_a_network_cannot_reach_a_loopback_listener() {
    let t = TestApp::on_free_port(json!({}));
    let added = t
        .invoke("add_clients", json!({ "entries": ["192.168.1.0/24"] }))
        .unwrap();
    let warnings = &added["config"]["allowlist_warnings"];
    assert!(en(&warnings[0]).contains("has no effect"), "{warnings}");
    let added = t
        .invoke("add_clients", json!({ "entries": ["0.0.0.0/0"] }))
        .unwrap();
    let warnings = added["config"]["allowlist_warnings"].to_string();
    assert!(warnings.contains("allows every address"), "{warnings}");
    assert_eq!(
        t.saved()["allow_clients"],
        json!(["127.0.0.0/8", "::1", "192.168.1.0/24", "0.0.0.0/0"])
    );
}

#[test]
fn a_port_in_use_is_reported_and_a_free_one_works_again() {
    let t = TestApp::on_free_port(json!({}));
    t.running();
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let taken_port = taken.local_addr().unwrap().port();
    let settings = |port: u16| json!({ "input": { "address": "127.0.0.1", "port": port.to_string(), "connect_ports": "443, 8443", "timeout_secs": "12" } });
    let saved = t.invoke("save_settings", settings(taken_port)).unwrap();
    assert_eq!(saved["config"]["port"], taken_port);
    // The answer itself says the listener did not start, so the window never says just "Saved".
    assert_eq!(saved["engine"]["state"], "failed", "{saved}");
    let error = en(&saved["engine"]["error"]).to_string();
    assert!(error.contains("already in use"), "{error}");
    assert_eq!(t.status()["engine"]["state"], "failed");
    assert_eq!(t.saved()["connect_ports"], json!([443, 8443]));
    assert_eq!(t.saved()["timeout_secs"], 12);

    // Once the port is free, saving the same settings again starts the proxy there.
    drop(taken);
    let saved = t.invoke("save_settings", settings(taken_port)).unwrap();
    assert_eq!(saved["engine"]["state"], "running", "{saved}");
    assert_eq!(t.running().port(), taken_port);

    let port = free_port();
    let saved = t.invoke("save_settings", settings(port)).unwrap();
    assert_eq!(saved["engine"]["state"], "running", "{saved}");
    assert_eq!(t.running().port(), port);
}

#[test]
fn bad_settings_are_refused_field_by_field_and_nothing_is_saved() {
    let t = TestApp::on_free_port(json!({}));
    t.running();
    let before = t.saved();
    let input = json!({ "input": { "address": "localhost", "port": "0", "connect_ports": "443,x", "timeout_secs": "90000" } });
    let errors = t.invoke("save_settings", input.clone()).unwrap_err();
    for field in ["address", "port", "connect_ports", "timeout_secs"] {
        assert!(!en(&errors[field]).is_empty(), "{field}: {errors}");
    }
    assert!(en(&errors["timeout_secs"]).contains("1 to 86400"));
    assert_eq!(t.invoke("check_settings", input).unwrap(), errors);
    assert_eq!(t.saved(), before);
}

#[test]
fn a_broken_config_is_reported_kept_aside_and_never_overwritten() {
    let broken =
        "{\n  \"listen\": \"127.0.0.1:1\",\n  \"block\": [\"ok.example\" \"missing-comma\"]\n}\n";
    let t = TestApp::start(Some(broken));
    let status = t.status();
    let problem = &status["problem"];
    assert_eq!(problem["line"], 3);
    assert!(problem["column"].as_u64().unwrap() > 1);
    let kept = PathBuf::from(problem["kept_as"].as_str().unwrap());
    assert_eq!(fs::read_to_string(&kept).unwrap(), broken);
    // Defaults, not the broken file's values.
    assert_eq!(status["config"]["listen"], "127.0.0.1:12345");

    t.invoke("dismiss_problem", json!({})).unwrap();
    assert_eq!(t.status()["problem"], Value::Null);
    assert_eq!(fs::read_to_string(&kept).unwrap(), broken);
}

#[test]
fn finished_requests_and_stats_reach_the_window_as_events() {
    let origin = Origin::start();
    let t = TestApp::on_free_port(json!({ "block": ["blocked.example"] }));
    let proxy = t.running();
    let (tx, rx) = mpsc::channel::<Value>();
    t.app.listen_any(EVENT, move |event| {
        let _ = tx.send(serde_json::from_str(event.payload()).unwrap());
    });
    for _ in 0..3 {
        assert_eq!(get_via(proxy, &origin.url("/a")), Some(200));
    }
    assert_eq!(get_via(proxy, "http://blocked.example/"), Some(403));

    let mut records = Vec::new();
    let mut last_stats = Value::Null;
    wait_for("4 requests and stats counting them", || {
        while let Ok(event) = rx.try_recv() {
            match event["type"].as_str() {
                Some("requests") => {
                    records.extend(event["records"].as_array().unwrap().clone());
                }
                Some("stats") => last_stats = event["stats"].clone(),
                _ => {}
            }
        }
        // Top hosts are counted off the hot path: wait for them too.
        let counted = last_stats["top_hosts"][0]["count"] == 3;
        (records.len() >= 4 && last_stats["requests"] == 4 && counted).then_some(())
    });
    let verdicts: Vec<&str> = records
        .iter()
        .map(|r| r["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(verdicts, ["forwarded", "forwarded", "forwarded", "blocked"]);
    assert_eq!(records[3]["host"], "blocked.example");
    assert_eq!(last_stats["blocked"], 1);
    assert_eq!(last_stats["top_hosts"][0]["host"], "127.0.0.1");
    // A window opened now starts with the same requests.
    assert_eq!(t.status()["recent"].as_array().unwrap().len(), 4);
}

#[test]
fn only_the_main_window_may_call_commands_and_only_its_own() {
    let t = TestApp::on_free_port(json!({}));
    let other = WebviewWindowBuilder::new(&t.app, "other", WebviewUrl::default())
        .build()
        .unwrap();
    let denied = t.invoke_from(&other, "status", json!({}));
    let denied = denied.expect_err("a window without the capability ran a command");
    assert!(denied.to_string().contains("not allowed"), "{denied}");
    // Core commands the window does not use are not granted either.
    let close = t
        .invoke("plugin:window|close", json!({}))
        .expect_err("the window may close windows");
    assert!(close.to_string().contains("not allowed"), "{close}");
    assert!(t.invoke("status", json!({})).is_ok());
}

// The system proxy, with the real gsettings on an isolated keyfile backend --------------------

/// An app on GNOME whose settings live in `gnome`, with `extra` config fields on a free port.
fn on_gnome(extra: Value) -> (TestApp, GnomeSettings) {
    let dir = tempfile::tempdir().unwrap();
    let gnome = GnomeSettings::at(&dir.path().join("desktop-config"));
    let setup = Setup {
        platform: Ok(Platform::Gnome),
        tools: gnome.tools(),
    };
    let mut config = json!({ "listen": format!("127.0.0.1:{}", free_port()) });
    config
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let t = TestApp::start_with(Some(&config.to_string()), setup, dir);
    (t, gnome)
}

/// A fresh GNOME desktop with the user's own manual proxy, before any app starts on it.
fn gnome_with_users_proxy(dir: &TempDir) -> GnomeSettings {
    let gnome = GnomeSettings::at(&dir.path().join("desktop-config"));
    gnome.users_own_proxy();
    gnome
}

#[test]
fn the_system_proxy_switch_points_gnome_at_the_proxy_and_gives_the_users_own_back() {
    let dir = tempfile::tempdir().unwrap();
    let gnome = gnome_with_users_proxy(&dir);
    let before = gnome.listing();
    let port = free_port();
    let setup = Setup {
        platform: Ok(Platform::Gnome),
        tools: gnome.tools(),
    };
    // The proxy is off: turning the system proxy on turns it on too.
    let config = json!({ "listen": format!("127.0.0.1:{port}"), "enabled": false });
    let t = TestApp::start_with(Some(&config.to_string()), setup, dir);
    let (tx, rx) = mpsc::channel::<Value>();
    t.app.listen_any(EVENT, move |event| {
        let _ = tx.send(serde_json::from_str(event.payload()).unwrap());
    });
    let status = t.status();
    assert_eq!(status["system_proxy"]["phase"], "off");
    assert_eq!(
        status["system_proxy"]["address"],
        format!("127.0.0.1:{port}")
    );

    let view = t.invoke("set_system_proxy", json!({ "on": true })).unwrap();
    assert_eq!(view["phase"], "on", "{view}");
    assert_eq!(en(&view["platform"]), "GNOME proxy settings (gsettings)");
    assert_eq!(t.running().port(), port);
    assert_eq!(gnome.http_port(), port.to_string());
    assert_eq!(gnome.get("org.gnome.system.proxy", "mode"), "'manual'");
    assert_eq!(
        gnome.get("org.gnome.system.proxy.https", "host"),
        "'127.0.0.1'"
    );
    assert_eq!(t.saved()["system_proxy"], true);
    assert_eq!(t.saved()["enabled"], true);
    wait_for("the window to hear of it", || {
        rx.try_iter()
            .any(|e| e["type"] == "system_proxy" && e["system_proxy"]["phase"] == "on")
            .then_some(())
    });

    // The proxy switched off: the settings follow at once, and come back with it.
    t.invoke("set_enabled", json!({ "on": false })).unwrap();
    wait_for("the user's settings back", || {
        (gnome.listing() == before).then_some(())
    });
    // The settings are read back after the last write: the view follows a moment later.
    wait_for("the view to say it waits", || {
        (t.status()["system_proxy"]["phase"] == "waiting").then_some(())
    });
    t.invoke("set_enabled", json!({ "on": true })).unwrap();
    wait_for("the settings to point at the proxy again", || {
        (gnome.http_port() == port.to_string()).then_some(())
    });

    let view = t
        .invoke("set_system_proxy", json!({ "on": false }))
        .unwrap();
    assert_eq!(view["phase"], "off", "{view}");
    assert_eq!(gnome.listing(), before, "the user's own proxy, exactly");
    assert_eq!(t.saved()["system_proxy"], false);
    assert!(answers(t.running()), "the proxy itself stays on");
}

#[test]
fn the_engine_failing_to_listen_gives_the_users_settings_back_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let gnome = gnome_with_users_proxy(&dir);
    let before = gnome.listing();
    let setup = Setup {
        platform: Ok(Platform::Gnome),
        tools: gnome.tools(),
    };
    let config = json!({ "listen": format!("127.0.0.1:{}", free_port()), "system_proxy": true });
    let t = TestApp::start_with(Some(&config.to_string()), setup, dir);
    let first = t.running();
    // Saved as on: applied when the proxy runs, with no click.
    wait_for("the settings to point at the proxy", || {
        (gnome.http_port() == first.port().to_string()).then_some(())
    });

    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let settings = |port: u16| json!({ "input": { "address": "127.0.0.1", "port": port.to_string(), "connect_ports": "443", "timeout_secs": "30" } });
    t.invoke(
        "save_settings",
        settings(taken.local_addr().unwrap().port()),
    )
    .unwrap();
    wait_for("the user's settings back", || {
        (gnome.listing() == before).then_some(())
    });
    wait_for("the window to say it waits for the proxy", || {
        (t.status()["system_proxy"]["phase"] == "waiting").then_some(())
    });

    // A port that works: the settings follow the proxy there.
    let port = free_port();
    t.invoke("save_settings", settings(port)).unwrap();
    wait_for("the settings at the new port", || {
        (gnome.http_port() == port.to_string()).then_some(())
    });
    drop(taken);
}

#[test]
fn quitting_gives_the_users_settings_back() {
    let dir = tempfile::tempdir().unwrap();
    let gnome = gnome_with_users_proxy(&dir);
    let before = gnome.listing();
    let setup = Setup {
        platform: Ok(Platform::Gnome),
        tools: gnome.tools(),
    };
    let config = json!({ "listen": format!("127.0.0.1:{}", free_port()), "system_proxy": true });
    let t = TestApp::start_with(Some(&config.to_string()), setup, dir);
    let proxy = t.running();
    wait_for("the settings to point at the proxy", || {
        (gnome.http_port() == proxy.port().to_string()).then_some(())
    });
    let state = t.app.state::<AppState>();
    tauri::async_runtime::block_on(state.shutdown(wicket_desktop::tamper::Via::Signal));
    assert_eq!(gnome.listing(), before);
    assert!(!answers(proxy));
    // The choice is kept for the next start.
    assert_eq!(t.saved()["system_proxy"], true);
}

#[test]
fn settings_a_dead_wicket_left_are_given_back_when_the_app_starts() {
    let dir = tempfile::tempdir().unwrap();
    let gnome = gnome_with_users_proxy(&dir);
    let before = gnome.listing();
    // A Wicket that applied the settings and died without restoring them: its state file stays,
    // its lock goes with it.
    let state_dir = dir.path().join("wicket");
    let dead = SystemProxy::claim(&state_dir)
        .unwrap()
        .with_tools(gnome.tools());
    let target = Target::new("127.0.0.1:9".parse().unwrap(), &[]);
    dead.apply(Platform::Gnome, &target).unwrap();
    drop(dead);
    assert_eq!(gnome.http_port(), "9");

    let setup = Setup {
        platform: Ok(Platform::Gnome),
        tools: gnome.tools(),
    };
    // The proxy is off in this config: whatever is restored, the app did it at start.
    let config = json!({ "listen": format!("127.0.0.1:{}", free_port()), "enabled": false });
    let t = TestApp::start_with(Some(&config.to_string()), setup, dir);
    assert_eq!(gnome.listing(), before);
    let recovered = t.status()["system_proxy"]["recovered"].clone();
    assert!(
        en(&recovered).contains("pointed at 127.0.0.1:9"),
        "{recovered}"
    );
}

#[test]
fn bypass_entries_are_checked_saved_and_followed_by_the_system_proxy() {
    let (t, gnome) = on_gnome(json!({ "system_proxy": true }));
    let proxy = t.running();
    wait_for("the settings to point at the proxy", || {
        (gnome.http_port() == proxy.port().to_string()).then_some(())
    });
    assert_eq!(
        t.invoke("check_bypass", json!({ "text": " *.lan " })),
        Ok(json!("*.lan"))
    );
    let err = t
        .invoke("check_bypass", json!({ "text": "fd00::/8" }))
        .unwrap_err();
    assert!(en(&err).contains("IPv6 networks"), "{err}");

    let added = t
        .invoke(
            "add_bypass",
            json!({ "entries": ["*.lan", "localhost", "bad host", "10.0.0.0/8"] }),
        )
        .unwrap();
    assert_eq!(added["added"], json!(["*.lan", "10.0.0.0/8"]));
    assert_eq!(added["already"], json!(["localhost"]));
    assert_eq!(added["refused"][0]["input"], "bad host");
    assert!(en(&added["refused"][0]["reason"]).contains("' '"));
    assert_eq!(
        t.saved()["bypass"],
        json!([
            "localhost",
            "127.0.0.0/8",
            "::1",
            "<local>",
            "*.lan",
            "10.0.0.0/8"
        ])
    );
    wait_for("the settings to take the new list", || {
        (gnome.get("org.gnome.system.proxy", "ignore-hosts")
            == "['localhost', '127.0.0.0/8', '::1', '*.lan', '10.0.0.0/8']")
            .then_some(())
    });
    t.invoke("remove_bypass", json!({ "entry": "*.lan" }))
        .unwrap();
    wait_for("the settings to drop it", || {
        (!gnome
            .get("org.gnome.system.proxy", "ignore-hosts")
            .contains("*.lan"))
        .then_some(())
    });
    // GNOME has no form for <local>: the window is told.
    let notes = t.status()["system_proxy"]["notes"].to_string();
    assert!(notes.contains("<local>"), "{notes}");
}

#[test]
fn a_desktop_without_a_known_setting_says_what_to_do_by_hand() {
    let t = TestApp::on_free_port(json!({}));
    let proxy = t.running();
    let view = t.invoke("set_system_proxy", json!({ "on": true })).unwrap();
    assert_eq!(view["phase"], "unavailable");
    assert_eq!(en(&view["unavailable"]), "tests run on no desktop");
    assert_eq!(view["address"], proxy.to_string());
    assert_eq!(view["pac_url"], format!("http://{proxy}/proxy.pac"));
    // The wish is kept: on a desktop Wicket knows, it would apply.
    assert_eq!(t.saved()["system_proxy"], true);
}

#[test]
fn a_gsettings_that_cannot_write_is_reported_and_changes_nothing() {
    let (t, gnome) = on_gnome(json!({}));
    t.running();
    let before = gnome.listing();
    fs::create_dir_all(gnome.home.join("glib-2.0/settings/keyfile")).unwrap();
    let view = t.invoke("set_system_proxy", json!({ "on": true })).unwrap();
    assert_eq!(view["phase"], "failed", "{view}");
    let error = en(&view["error"]);
    assert!(error.contains("not writable"), "{error}");
    assert!(error.contains("previous settings are back"), "{error}");
    assert_eq!(gnome.listing(), before);
    // Switching off clears the failure; nothing was changed to give back.
    let view = t
        .invoke("set_system_proxy", json!({ "on": false }))
        .unwrap();
    assert_eq!(view["phase"], "off");
    assert_eq!(view["error"], Value::Null);
}

#[test]
fn start_at_login_is_reported_as_the_os_has_it() {
    let t = TestApp::on_free_port(json!({}));
    let autostart = &t.status()["autostart"];
    assert!(autostart["enabled"].is_boolean(), "{autostart}");
}

#[test]
fn the_language_chosen_in_settings_is_saved_and_auto_follows_the_os_again() {
    let t = TestApp::on_free_port(json!({}));
    let view = t
        .invoke("set_language", json!({ "language": "zh-CN" }))
        .unwrap();
    assert_eq!(view["language"], "zh-CN");
    assert_eq!(view["lang"], "zh-CN");
    assert_eq!(t.saved()["app"]["language"], "zh-CN");
    assert_eq!(t.status()["config"]["lang"], "zh-CN");

    let refused = t
        .invoke("set_language", json!({ "language": "tlh" }))
        .unwrap_err();
    assert!(en(&refused).contains("\"tlh\""), "{refused}");
    assert!(refused["zh-CN"].as_str().unwrap().contains("不支持"));
    assert_eq!(
        t.saved()["app"]["language"],
        "zh-CN",
        "a refusal changes nothing"
    );

    let view = t
        .invoke("set_language", json!({ "language": "auto" }))
        .unwrap();
    assert_eq!(view["language"], Value::Null);
    assert!(t.saved()["app"].get("language").is_none());
}
