//! The window and the tray in English and Chinese: the language follows the OS at start, a
//! change in Settings applies at once (window and tray menu) and is saved.

use serde_json::json;

use crate::common::{answers, get_via, wait_for, Origin};
use crate::desktop::Desktop;
use crate::webdriver::Session;
use crate::{config_on_free_port, switch_is_on};

/// Waits until the tray menu reads `wanted` (every label, in order) and returns it.
fn wait_tray(desktop: &Desktop, what: &str, wanted: impl Fn(&[String]) -> bool) -> Vec<String> {
    wait_for(what, || desktop.tray_labels().filter(|l| wanted(l)))
}

/// Picks `value` in Settings' language menu, as the user does.
fn choose_language(s: &Session, value: &str) {
    s.js(
        "const select = document.getElementById('set-language'); select.value = arguments[0]; \
         select.dispatchEvent(new Event('change')); return true",
        json!([value]),
    );
}

#[test]
fn the_window_and_the_tray_speak_the_os_language_and_switch_in_settings() {
    let origin = Origin::start();
    let desktop = Desktop::with_tray().with_env("LC_ALL", "zh_CN.UTF-8");
    let proxy = config_on_free_port(&desktop, json!({}));
    let s = Session::start(&desktop);
    wait_for("the switch to show the proxy on", || {
        switch_is_on(&s).then_some(())
    });
    wait_for("the proxy", || answers(proxy).then_some(()));

    // Chinese, because the OS speaks it: the page, the dashboard, the tray.
    s.wait_text("#power-state", "the switch in Chinese", |t| {
        t == format!("已开启 · {proxy}")
    });
    assert_eq!(
        s.js("return document.documentElement.lang", json!([])),
        "zh-CN"
    );
    assert_eq!(s.text("#tab-dashboard"), "仪表板");
    assert_eq!(s.text("#tab-blocklist span[data-i18n]"), "屏蔽列表");
    assert_eq!(
        s.text("#view-dashboard .card-label[data-i18n='dashboard.requests']"),
        "请求"
    );
    assert_eq!(s.text("#top-hosts-empty"), "暂时还没有。");
    let tray = wait_tray(&desktop, "the tray menu in Chinese", |l| {
        l.len() == 5 && l[0].starts_with("正在")
    });
    assert_eq!(
        tray,
        [
            format!("正在 {proxy} 上运行 · 0 个请求 · 已屏蔽 0 个"),
            "开启代理".to_string(),
            "用作系统代理".to_string(),
            "打开 Wicket".to_string(),
            "退出".to_string(),
        ]
    );

    // Live figures and the log in Chinese, and the engine's own reasons too.
    assert_eq!(get_via(proxy, &origin.url("/")), Some(200));
    s.wait_text("#stat-requests", "the request counted", |t| t == "1");
    s.wait_text("#log-rows .verdict", "the verdict in Chinese", |t| {
        t == "已转发"
    });
    s.screenshot("dashboard-zh");
    wait_tray(&desktop, "the tray counting in Chinese", |l| {
        l[0] == format!("正在 {proxy} 上运行 · 1 个请求 · 已屏蔽 0 个")
    });
    s.click("#tab-allowlist");
    s.type_into("#allow-new", "10.0.0.0/40");
    s.wait_text("#allow-new-msg", "the engine's reason in Chinese", |t| {
        t == "前缀长度必须在 0 到 32 之间"
    });

    // English from Settings: saved, and the window and the tray speak it at once.
    s.click("#tab-settings");
    assert_eq!(s.text("#language-title"), "语言");
    choose_language(&s, "en");
    s.wait_text("#power-state", "the switch in English", |t| {
        t == format!("On · {proxy}")
    });
    assert_eq!(s.text("#tab-dashboard"), "Dashboard");
    assert_eq!(
        s.js("return document.documentElement.lang", json!([])),
        "en"
    );
    assert_eq!(desktop.saved_config()["app"]["language"], "en");
    let tray = wait_tray(&desktop, "the tray menu in English", |l| {
        l[0].starts_with("Running on")
    });
    assert_eq!(
        tray,
        [
            format!("Running on {proxy} · 1 request · 0 blocked"),
            "Proxy on".to_string(),
            "Use as system proxy".to_string(),
            "Open Wicket".to_string(),
            "Quit".to_string(),
        ]
    );

    // And back to the system's language: Chinese again, nothing saved for it.
    s.wait_js(
        "the language menu",
        "return document.getElementById('set-language')?.value === 'en' || null",
    );
    choose_language(&s, "auto");
    s.wait_text("#tab-dashboard", "the window in Chinese again", |t| {
        t == "仪表板"
    });
    wait_tray(&desktop, "the tray in Chinese again", |l| {
        l[1] == "开启代理"
    });
    assert!(desktop.saved_config()["app"].get("language").is_none());
    s.end();
}

#[test]
fn chinese_chosen_in_settings_on_an_english_system_is_applied_at_once_and_kept() {
    let desktop = Desktop::with_tray();
    let proxy = config_on_free_port(&desktop, json!({}));
    let s = Session::start(&desktop);
    wait_for("the proxy", || answers(proxy).then_some(()));
    s.wait_text("#power-state", "the switch in English", |t| {
        t == format!("On · {proxy}")
    });
    wait_tray(&desktop, "the tray menu in English", |l| {
        l.len() == 5 && l[1] == "Proxy on"
    });

    s.click("#tab-settings");
    choose_language(&s, "zh-CN");
    // The window reloads in Chinese, on the dashboard, with every label of it translated.
    s.wait_text("#power-state", "the switch in Chinese", |t| {
        t == format!("已开启 · {proxy}")
    });
    assert_eq!(
        s.js("return document.documentElement.lang", json!([])),
        "zh-CN"
    );
    let labels = s.js(
        "return [...document.querySelectorAll('#view-dashboard .card-label')].map(e => e.textContent)",
        json!([]),
    );
    assert_eq!(
        labels,
        json!([
            "请求",
            "已屏蔽",
            "已拒绝",
            "错误",
            "接收 / 发送数据",
            "当前连接"
        ])
    );
    let english = s.js(
        "return [...document.querySelectorAll('[data-i18n]')].map(e => e.textContent) \
           .filter(t => /\\b(the|and|requests|blocked|Proxy)\\b/.test(t))",
        json!([]),
    );
    assert_eq!(english, json!([]), "English left on the page");
    let tray = wait_tray(&desktop, "the tray menu in Chinese", |l| {
        l.len() == 5 && l[0].starts_with("正在")
    });
    assert_eq!(
        tray[1..],
        ["开启代理", "用作系统代理", "打开 Wicket", "退出"]
    );
    assert_eq!(desktop.saved_config()["app"]["language"], "zh-CN");
    s.end();

    // Kept: the next start speaks Chinese although the system speaks English.
    let s = Session::start(&desktop);
    s.wait_text("#tab-dashboard", "the window in Chinese", |t| t == "仪表板");
    s.click("#tab-settings");
    assert_eq!(
        s.js(
            "return document.getElementById('set-language').value",
            json!([])
        ),
        "zh-CN"
    );
    s.end();
}
