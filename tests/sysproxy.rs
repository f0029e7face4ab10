//! The system proxy on Linux, for real: the real `gsettings` against an isolated keyfile
//! backend (GSETTINGS_BACKEND=keyfile in a temporary XDG_CONFIG_HOME) and the real
//! kwriteconfig5/kreadconfig5 against a temporary config directory. Settings are set, read back
//! and restored to exactly what they were, user's own proxies included; a `wicket` killed with
//! SIGKILL leaves a state file that the next start or `--restore-system-proxy` restores; signals
//! restore; failures of the tools are reported and leave nothing changed.
//!
//! Needs gsettings (libglib2.0-bin, gsettings-desktop-schemas) and kwriteconfig5/kreadconfig5
//! (libkf5config-bin): scripts/setup-debian.sh installs them.

#![cfg(target_os = "linux")]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use tempfile::TempDir;
use wicket::sysproxy::{Error, Platform, Saved, SystemProxy, Target, Tools};

const WICKET: &str = env!("CARGO_BIN_EXE_wicket");

fn default_bypass() -> Vec<String> {
    wicket::config::default_bypass()
}

fn target(port: u16) -> Target {
    Target::new(
        format!("127.0.0.1:{port}").parse().unwrap(),
        &default_bypass(),
    )
}

/// An isolated desktop: its own XDG_CONFIG_HOME (and HOME) holding the settings backends and
/// Wicket's state file.
struct Desk {
    dir: TempDir,
}

impl Desk {
    fn new() -> Desk {
        Desk {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn config_home(&self) -> PathBuf {
        self.dir.path().join("config")
    }

    /// Where `wicket` keeps its state file in this desktop.
    fn state_dir(&self) -> PathBuf {
        self.config_home().join("wicket")
    }

    fn env(&self) -> Vec<(&'static str, PathBuf)> {
        vec![
            ("XDG_CONFIG_HOME", self.config_home()),
            ("HOME", self.dir.path().to_path_buf()),
            ("GSETTINGS_BACKEND", "keyfile".into()),
        ]
    }

    fn tools(&self) -> Tools {
        self.env()
            .into_iter()
            .fold(Tools::default(), |t, (k, v)| t.env(k, v))
    }

    fn tool(&self, program: &str, args: &[&str]) -> String {
        let out = Command::new(program)
            .args(args)
            .envs(self.env())
            .output()
            .unwrap_or_else(|e| {
                panic!("{program} runs (scripts/setup-debian.sh installs it): {e}")
            });
        assert!(
            out.status.success(),
            "{program} {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn gsettings_set(&self, schema: &str, key: &str, value: &str) {
        self.tool("gsettings", &["set", schema, key, value]);
    }

    fn gsettings_get(&self, schema: &str, key: &str) -> String {
        self.tool("gsettings", &["get", schema, key])
            .trim()
            .to_string()
    }

    /// Every key of every proxy schema, as gsettings prints them.
    fn gnome_listing(&self) -> String {
        self.tool("gsettings", &["list-recursively", "org.gnome.system.proxy"])
    }

    /// A manual proxy the user had, with authentication and their own bypass list.
    fn gnome_users_own_proxy(&self) {
        self.gsettings_set("org.gnome.system.proxy.http", "host", "proxy.corp.example");
        self.gsettings_set("org.gnome.system.proxy.http", "port", "3128");
        self.gsettings_set("org.gnome.system.proxy.http", "use-authentication", "true");
        self.gsettings_set(
            "org.gnome.system.proxy.https",
            "host",
            "secure.corp.example",
        );
        self.gsettings_set("org.gnome.system.proxy.https", "port", "3129");
        self.gsettings_set(
            "org.gnome.system.proxy",
            "ignore-hosts",
            "['*.corp.example', '10.0.0.0/8']",
        );
        self.gsettings_set("org.gnome.system.proxy", "mode", "'manual'");
    }

    fn kread(&self, key: &str) -> Option<String> {
        let out = self.tool(
            "kreadconfig5",
            &[
                "--file",
                "kioslaverc",
                "--group",
                "Proxy Settings",
                "--key",
                key,
                "--default",
                "(absent)",
            ],
        );
        let value = out.trim_end_matches('\n').to_string();
        (value != "(absent)").then_some(value)
    }

    fn kwrite(&self, group: &str, key: &str, value: &str) {
        self.tool(
            "kwriteconfig5",
            &[
                "--file",
                "kioslaverc",
                "--group",
                group,
                "--key",
                key,
                "--",
                value,
            ],
        );
    }

    fn kioslaverc(&self) -> String {
        std::fs::read_to_string(self.config_home().join("kioslaverc")).unwrap_or_default()
    }

    /// A manual proxy the user had in KDE, plus an unrelated group that must survive.
    fn kde_users_own_proxy(&self) {
        self.kwrite("Proxy Settings", "ProxyType", "1");
        self.kwrite(
            "Proxy Settings",
            "httpProxy",
            "http://proxy.corp.example 3128",
        );
        self.kwrite("Proxy Settings", "NoProxyFor", ".corp.example");
        self.kwrite("Cache", "MaxCacheSize", "51200");
    }

    fn claim(&self) -> SystemProxy {
        SystemProxy::claim(&self.state_dir())
            .expect("the lock")
            .with_tools(self.tools())
    }

    fn has_state_file(&self) -> bool {
        Saved::path(&self.state_dir()).exists()
    }

    /// `wicket` in this desktop, on `desktop` (XDG_CURRENT_DESKTOP).
    fn wicket(&self, desktop: &str) -> Command {
        let mut cmd = Command::new(WICKET);
        cmd.envs(self.env())
            .env("XDG_CURRENT_DESKTOP", desktop)
            .env("KDE_SESSION_VERSION", "5")
            .stdin(Stdio::null());
        cmd
    }

    /// Starts `wicket --system-proxy` and waits until it says the settings point at it.
    fn wicket_as_system_proxy(&self, desktop: &str) -> Running {
        let child = self
            .wicket(desktop)
            .args(["--listen", "127.0.0.1:0", "--quiet", "--system-proxy"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("wicket starts");
        let mut running = Running::new(child);
        running.wait_line("the settings to point at it", |l| {
            l.contains("point at 127.0.0.1:")
        });
        running
    }

    fn restore_command(&self) -> Output {
        self.wicket("GNOME")
            .arg("--restore-system-proxy")
            .output()
            .expect("wicket runs")
    }
}

/// A running `wicket` and its stderr, line by line.
struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Running {
    fn new(mut child: Child) -> Running {
        let stderr = child.stderr.take().expect("piped stderr");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        Running {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    fn wait_line(&mut self, what: &str, check: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if check(&line) {
                        return line;
                    }
                }
                Err(_) => panic!("no line for {what}; stderr so far: {:#?}", self.seen),
            }
        }
    }

    fn port(&self) -> u16 {
        let line = self
            .seen
            .iter()
            .find(|l| l.contains("listening on"))
            .expect("the listening line");
        let addr = line.split_whitespace().nth(3).unwrap();
        addr.rsplit(':').next().unwrap().parse().unwrap()
    }

    fn signal(&self, signal: libc::c_int) {
        // SAFETY: kill(2) on our own child's pid.
        let rc = unsafe { libc::kill(self.child.id() as libc::pid_t, signal) };
        assert_eq!(rc, 0, "kill failed");
    }

    /// Waits for the exit; its status code and the rest of stderr.
    fn finish(mut self) -> (Option<i32>, Vec<String>) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(Instant::now() < deadline, "wicket did not exit");
            std::thread::sleep(Duration::from_millis(20));
        };
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(2)) {
            self.seen.push(line);
        }
        (status.code(), std::mem::take(&mut self.seen))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

// GNOME, through the API ----------------------------------------------------------------------

#[test]
fn gnome_settings_point_at_wicket_and_the_users_own_proxy_comes_back_exactly() {
    let desk = Desk::new();
    desk.gnome_users_own_proxy();
    let before = desk.gnome_listing();
    let proxy = desk.claim();

    let applied = proxy.apply(Platform::Gnome, &target(18081)).unwrap();
    assert_eq!(applied.address, "127.0.0.1:18081");
    assert_eq!(
        desk.gsettings_get("org.gnome.system.proxy", "mode"),
        "'manual'"
    );
    assert_eq!(
        desk.gsettings_get("org.gnome.system.proxy.http", "host"),
        "'127.0.0.1'"
    );
    assert_eq!(
        desk.gsettings_get("org.gnome.system.proxy.http", "port"),
        "18081"
    );
    assert_eq!(
        desk.gsettings_get("org.gnome.system.proxy.https", "host"),
        "'127.0.0.1'"
    );
    assert_eq!(
        desk.gsettings_get("org.gnome.system.proxy.https", "port"),
        "18081"
    );
    assert_eq!(
        desk.gsettings_get("org.gnome.system.proxy", "ignore-hosts"),
        "['localhost', '127.0.0.0/8', '::1']"
    );
    assert_eq!(
        desk.gsettings_get("org.gnome.system.proxy.http", "use-authentication"),
        "false"
    );
    assert!(applied
        .notes
        .iter()
        .any(|n| n.to_string().contains("<local>")));
    assert!(
        desk.has_state_file(),
        "the previous settings are saved first"
    );

    let restored = proxy.restore().unwrap().expect("something to restore");
    assert!(restored.kept.is_empty());
    assert_eq!(desk.gnome_listing(), before);
    assert!(!desk.has_state_file());
    assert_eq!(
        proxy.restore().unwrap(),
        None,
        "restoring twice does nothing"
    );
}

#[test]
fn gnome_defaults_come_back_when_the_user_had_set_nothing() {
    let desk = Desk::new();
    let before = desk.gnome_listing();
    let proxy = desk.claim();
    proxy.apply(Platform::Gnome, &target(18082)).unwrap();
    assert_ne!(desk.gnome_listing(), before);
    proxy.restore().unwrap();
    assert_eq!(desk.gnome_listing(), before);
}

#[test]
fn moving_the_proxy_keeps_the_users_settings_as_the_ones_to_restore() {
    let desk = Desk::new();
    desk.gnome_users_own_proxy();
    let before = desk.gnome_listing();
    let proxy = desk.claim();
    proxy.apply(Platform::Gnome, &target(18083)).unwrap();
    // The port changed: applying again must not take Wicket's own settings as the user's.
    proxy.apply(Platform::Gnome, &target(18084)).unwrap();
    assert_eq!(
        desk.gsettings_get("org.gnome.system.proxy.http", "port"),
        "18084"
    );
    proxy.restore().unwrap();
    assert_eq!(desk.gnome_listing(), before);
}

#[test]
fn a_setting_the_user_changed_while_wicket_was_on_is_left_alone() {
    let desk = Desk::new();
    let proxy = desk.claim();
    proxy.apply(Platform::Gnome, &target(18085)).unwrap();
    desk.gsettings_set(
        "org.gnome.system.proxy",
        "autoconfig-url",
        "'http://wpad.example/p.pac'",
    );
    desk.gsettings_set("org.gnome.system.proxy", "mode", "'auto'");
    let restored = proxy.restore().unwrap().unwrap();
    assert_eq!(restored.kept, ["org.gnome.system.proxy mode"]);
    assert_eq!(
        desk.gsettings_get("org.gnome.system.proxy", "mode"),
        "'auto'"
    );
    // The rest is the user's again.
    assert_eq!(
        desk.gsettings_get("org.gnome.system.proxy.http", "host"),
        "''"
    );
}

#[test]
fn a_gsettings_that_cannot_write_is_reported_and_leaves_nothing_changed() {
    let desk = Desk::new();
    let before = desk.gnome_listing();
    // The keyfile backend cannot save when its file is a directory: gsettings says
    // "The key is not writable" and exits 1.
    std::fs::create_dir_all(desk.config_home().join("glib-2.0/settings/keyfile")).unwrap();
    let proxy = desk.claim();
    let err = proxy
        .apply(Platform::Gnome, &target(18086))
        .unwrap_err()
        .to_string();
    assert!(err.contains("gsettings set"), "{err}");
    assert!(err.contains("not writable"), "{err}");
    assert!(err.contains("your previous settings are back"), "{err}");
    assert_eq!(desk.gnome_listing(), before);
    assert!(!desk.has_state_file());
}

#[test]
fn gnome_without_its_schemas_or_its_tool_is_reported() {
    let desk = Desk::new();
    let proxy = SystemProxy::claim(&desk.state_dir())
        .unwrap()
        .with_tools(desk.tools().env("XDG_DATA_DIRS", "/nonexistent"));
    let err = proxy
        .apply(Platform::Gnome, &target(18087))
        .unwrap_err()
        .to_string();
    assert!(err.contains("gsettings list-recursively"), "{err}");
    assert!(err.contains("No schemas installed"), "{err}");
    assert!(
        !desk.has_state_file(),
        "nothing was changed, nothing is saved"
    );
    drop(proxy);

    let empty = tempfile::tempdir().unwrap();
    let proxy = SystemProxy::claim(&desk.state_dir())
        .unwrap()
        .with_tools(desk.tools().env("PATH", empty.path()));
    let err = proxy
        .apply(Platform::Gnome, &target(18087))
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "gsettings is not installed (Debian and Ubuntu: libglib2.0-bin)"
    );
}

#[test]
fn only_one_process_owns_the_settings() {
    let desk = Desk::new();
    let _proxy = desk.claim();
    match SystemProxy::claim(&desk.state_dir()) {
        Err(Error::Owned { pid }) => assert_eq!(pid, Some(std::process::id())),
        other => panic!("expected Owned, got {other:?}"),
    }
}

// KDE, through the API ------------------------------------------------------------------------

#[test]
fn kde_settings_point_at_wicket_and_the_file_comes_back_exactly() {
    let desk = Desk::new();
    desk.kde_users_own_proxy();
    let before = desk.kioslaverc();
    let proxy = desk.claim();

    proxy.apply(Platform::Kde5, &target(18091)).unwrap();
    assert_eq!(desk.kread("ProxyType").as_deref(), Some("1"));
    assert_eq!(
        desk.kread("httpProxy").as_deref(),
        Some("http://127.0.0.1 18091")
    );
    assert_eq!(
        desk.kread("httpsProxy").as_deref(),
        Some("http://127.0.0.1 18091")
    );
    assert_eq!(
        desk.kread("NoProxyFor").as_deref(),
        Some("localhost,127.0.0.0/8,::1,<local>")
    );
    assert!(desk.has_state_file());

    proxy.restore().unwrap().expect("something to restore");
    // httpsProxy was not in the file: it is removed again, not left empty.
    assert_eq!(desk.kread("httpsProxy"), None);
    assert_eq!(desk.kioslaverc(), before);
    assert!(!desk.has_state_file());
}

#[test]
fn kde_without_a_proxy_setting_gets_none_back() {
    let desk = Desk::new();
    let proxy = desk.claim();
    proxy.apply(Platform::Kde5, &target(18092)).unwrap();
    proxy.restore().unwrap();
    for key in ["ProxyType", "httpProxy", "httpsProxy", "NoProxyFor"] {
        assert_eq!(desk.kread(key), None, "{key}");
    }
}

#[test]
fn a_kwriteconfig_that_cannot_write_is_reported() {
    let desk = Desk::new();
    // A file where the config directory should be: kwriteconfig5 cannot save and exits 2.
    let blocked = desk.dir.path().join("not-a-dir");
    std::fs::write(&blocked, "").unwrap();
    let proxy = SystemProxy::claim(&desk.state_dir())
        .unwrap()
        .with_tools(Tools::default().env("XDG_CONFIG_HOME", &blocked));
    let err = proxy
        .apply(Platform::Kde5, &target(18093))
        .unwrap_err()
        .to_string();
    assert!(err.contains("kwriteconfig5"), "{err}");
    assert!(err.contains("exit status: 2"), "{err}");
    assert!(err.contains("your previous settings are back"), "{err}");
    assert!(!desk.has_state_file());
}

// The `wicket` command: signals, kill -9, restore --------------------------------------------

/// Wicket as the system proxy on `desktop`, stopped by each of SIGTERM, SIGINT and SIGHUP:
/// every time the settings come back exactly (`settings` reads them all, `points_at` says
/// whether they name the port).
fn signals_restore(
    desk: &Desk,
    desktop: &str,
    settings: impl Fn(&Desk) -> String,
    points_at: impl Fn(&Desk, u16) -> bool,
) {
    let before = settings(desk);
    for signal in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
        let wicket = desk.wicket_as_system_proxy(desktop);
        assert!(
            points_at(desk, wicket.port()),
            "{desktop}: not pointed at Wicket"
        );
        wicket.signal(signal);
        let (code, lines) = wicket.finish();
        assert_eq!(code, Some(0), "signal {signal}: {lines:#?}");
        let said = format!("restored the {desktop} proxy settings");
        assert!(lines.iter().any(|l| l.contains(&said)), "{lines:#?}");
        assert_eq!(settings(desk), before, "{desktop}, after signal {signal}");
        assert!(!desk.has_state_file());
    }
}

#[test]
fn sigterm_sigint_and_sighup_restore_the_gnome_settings() {
    let desk = Desk::new();
    desk.gnome_users_own_proxy();
    signals_restore(&desk, "GNOME", Desk::gnome_listing, |d, port| {
        d.gsettings_get("org.gnome.system.proxy.http", "port") == port.to_string()
    });
}

#[test]
fn sigterm_sigint_and_sighup_restore_the_kde_settings() {
    let desk = Desk::new();
    desk.kde_users_own_proxy();
    signals_restore(&desk, "KDE", Desk::kioslaverc, |d, port| {
        d.kread("httpProxy") == Some(format!("http://127.0.0.1 {port}"))
    });
}

#[test]
fn a_killed_wicket_leaves_gnome_settings_that_restore_system_proxy_gives_back() {
    let desk = Desk::new();
    desk.gnome_users_own_proxy();
    let before = desk.gnome_listing();
    let wicket = desk.wicket_as_system_proxy("GNOME");
    let port = wicket.port().to_string();
    // SIGKILL: no chance to clean up.
    drop(wicket);
    assert_eq!(
        desk.gsettings_get("org.gnome.system.proxy.http", "port"),
        port,
        "the settings still point at the dead proxy"
    );
    assert!(desk.has_state_file());

    let out = desk.restore_command();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("Wicket had pointed at 127.0.0.1:{port}")),
        "{}",
        stderr(&out)
    );
    assert_eq!(desk.gnome_listing(), before);
    assert!(!desk.has_state_file());

    let again = desk.restore_command();
    assert_eq!(again.status.code(), Some(0));
    assert!(
        stderr(&again).contains("nothing to restore"),
        "{}",
        stderr(&again)
    );
}

#[test]
fn a_killed_wicket_leaves_kde_settings_that_restore_system_proxy_gives_back() {
    let desk = Desk::new();
    desk.kde_users_own_proxy();
    let before = desk.kioslaverc();
    let wicket = desk.wicket_as_system_proxy("KDE");
    let port = wicket.port();
    drop(wicket);
    assert_eq!(
        desk.kread("httpProxy"),
        Some(format!("http://127.0.0.1 {port}"))
    );
    let out = desk.restore_command();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("KDE proxy settings"),
        "{}",
        stderr(&out)
    );
    assert_eq!(desk.kioslaverc(), before);
}

#[test]
fn the_next_start_restores_what_a_killed_wicket_left_before_it_listens() {
    let desk = Desk::new();
    let before = desk.gnome_listing();
    drop(desk.wicket_as_system_proxy("GNOME"));
    assert_ne!(desk.gnome_listing(), before);

    let child = desk
        .wicket("GNOME")
        .args(["--listen", "127.0.0.1:0", "--quiet"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut next = Running::new(child);
    next.wait_line("the listening line", |l| l.contains("listening on"));
    let first = next.seen[0].clone();
    assert!(
        first.contains("restored the GNOME proxy settings"),
        "{:#?}",
        next.seen
    );
    assert_eq!(desk.gnome_listing(), before);
    next.signal(libc::SIGTERM);
    assert_eq!(next.finish().0, Some(0));
}

#[test]
fn the_next_start_restores_what_a_killed_wicket_left_even_with_a_broken_config() {
    let desk = Desk::new();
    let before = desk.gnome_listing();
    drop(desk.wicket_as_system_proxy("GNOME"));
    assert_ne!(desk.gnome_listing(), before);
    let broken = desk.dir.path().join("broken.json");
    std::fs::write(&broken, "{\"listen\": ").unwrap();
    let out = desk
        .wicket("GNOME")
        .args(["--config".as_ref(), broken.as_os_str()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let text = stderr(&out);
    assert!(text.contains("restored the GNOME proxy settings"), "{text}");
    assert!(text.contains("broken.json:1:11"), "{text}");
    assert_eq!(desk.gnome_listing(), before);
}

#[test]
fn a_running_wicket_keeps_its_settings_from_restore_system_proxy() {
    let desk = Desk::new();
    let before = desk.gnome_listing();
    let wicket = desk.wicket_as_system_proxy("GNOME");
    let out = desk.restore_command();
    assert_eq!(out.status.code(), Some(1));
    let text = stderr(&out);
    assert!(
        text.contains(&format!("another Wicket (process {})", wicket.child.id())),
        "{text}"
    );
    assert_ne!(desk.gnome_listing(), before, "the running one keeps them");
    wicket.signal(libc::SIGTERM);
    assert_eq!(wicket.finish().0, Some(0));
    assert_eq!(desk.gnome_listing(), before);
}

#[test]
fn an_unknown_desktop_is_reported_with_what_to_do_instead() {
    let desk = Desk::new();
    let out = desk
        .wicket("XFCE")
        .args(["--listen", "127.0.0.1:0", "--system-proxy"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = stderr(&out);
    assert!(text.contains("this desktop (XFCE)"), "{text}");
    assert!(
        text.contains("HTTP and HTTPS proxy to 127.0.0.1:"),
        "{text}"
    );
    assert!(text.contains("/proxy.pac"), "{text}");
    assert!(!desk.has_state_file());
}

#[test]
fn a_failing_gsettings_stops_wicket_with_the_reason() {
    let desk = Desk::new();
    let before = desk.gnome_listing();
    std::fs::create_dir_all(desk.config_home().join("glib-2.0/settings/keyfile")).unwrap();
    let out = desk
        .wicket("GNOME")
        .args(["--listen", "127.0.0.1:0", "--system-proxy"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = stderr(&out);
    assert!(text.contains("The key is not writable"), "{text}");
    assert!(text.contains("your previous settings are back"), "{text}");
    assert_eq!(desk.gnome_listing(), before);
}

/// The state file's directory is the config directory: next to config.json.
#[test]
fn the_state_file_lives_next_to_the_config_file() {
    let desk = Desk::new();
    let wicket = desk.wicket_as_system_proxy("GNOME");
    let saved = std::fs::read_to_string(Saved::path(&desk.state_dir())).unwrap();
    assert!(saved.contains("\"platform\": \"gnome\""), "{saved}");
    assert!(
        saved.contains(&format!("\"pid\": {}", wicket.child.id())),
        "{saved}"
    );
    assert!(Path::new(&desk.state_dir())
        .join("system-proxy.lock")
        .exists());
    wicket.signal(libc::SIGTERM);
    wicket.finish();
}
