//! A small W3C WebDriver client for the app in its real WebKitGTK webview: tauri-driver (its
//! own ports per test) in front of WebKitWebDriver, which launches the app.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine as _;
use serde_json::{json, Value};

use crate::common::wait_for;
use crate::desktop::{self, Desktop};

/// The key W3C WebDriver uses for element references.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// The Enter key, for `type_into` (a plain newline is not a key press).
pub const ENTER: &str = "\u{E007}";

/// A session with the app running on a desktop.
pub struct Session {
    base: String,
    driver: Child,
    agent: ureq::Agent,
}

/// An element of the page.
#[derive(Clone, Debug)]
pub struct Element(String);

impl Session {
    /// Starts tauri-driver on `desktop` and the app through it; waits until the UI is ready.
    pub fn start(desktop: &Desktop) -> Session {
        let port = free_port();
        let native = free_port();
        let mut cmd = Command::new(tauri_driver());
        desktop.env(&mut cmd);
        let log = std::fs::File::create(desktop.dir.path().join(format!("driver-{port}.log")))
            .expect("driver log");
        let driver = cmd
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native.to_string(),
            ])
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .stdin(Stdio::null())
            .spawn()
            .expect("tauri-driver (scripts/setup-debian.sh test installs it)");
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(60))
            .build();
        let mut session = Session {
            base: format!("http://127.0.0.1:{port}"),
            driver,
            agent,
        };
        wait_for("tauri-driver to listen", || {
            session
                .agent
                .get(&format!("{}/status", session.base))
                .call()
                .ok()
                .map(|_| ())
        });
        let caps = json!({
            "capabilities": { "alwaysMatch": { "tauri:options": { "application": desktop::app() } } }
        });
        let created = session.send("POST", "/session", caps);
        let id = created["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {created}"))
            .to_string();
        session.base = format!("{}/session/{id}", session.base);
        session.wait_js(
            "the UI to be ready",
            "return document.body.dataset.ready === 'true'",
        );
        session
    }

    fn send(&self, method: &str, path: &str, body: Value) -> Value {
        let url = format!("{}{path}", self.base);
        let request = self.agent.request(method, &url);
        let response = if method == "GET" || method == "DELETE" {
            request.call()
        } else {
            request.send_json(body)
        };
        let value: Value = match response {
            Ok(r) => r.into_json().expect("JSON from WebDriver"),
            Err(ureq::Error::Status(code, r)) => {
                let text = r.into_string().unwrap_or_default();
                panic!("WebDriver {method} {path}: HTTP {code}: {text}")
            }
            Err(e) => panic!("WebDriver {method} {path}: {e}"),
        };
        value["value"].clone()
    }

    /// Runs `script` (a function body) in the page; its return value.
    pub fn js(&self, script: &str, args: Value) -> Value {
        self.send(
            "POST",
            "/execute/sync",
            json!({ "script": script, "args": args }),
        )
    }

    /// Waits until `script` returns something truthy; returns it.
    pub fn wait_js(&self, what: &str, script: &str) -> Value {
        wait_for(what, || {
            let value = self.js(script, json!([]));
            let truthy = !matches!(&value, Value::Null | Value::Bool(false))
                && value != json!("")
                && value != json!(0);
            truthy.then_some(value)
        })
    }

    pub fn find(&self, css: &str) -> Element {
        let found = self.send(
            "POST",
            "/element",
            json!({ "using": "css selector", "value": css }),
        );
        Element(
            found[ELEMENT]
                .as_str()
                .unwrap_or_else(|| panic!("no element {css}: {found}"))
                .to_string(),
        )
    }

    pub fn click(&self, css: &str) {
        let el = self.find(css);
        self.send("POST", &format!("/element/{}/click", el.0), json!({}));
    }

    /// Clears a field and types `text` into it, as keystrokes (nothing to type for "").
    pub fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css);
        self.send("POST", &format!("/element/{}/clear", el.0), json!({}));
        if !text.is_empty() {
            self.send(
                "POST",
                &format!("/element/{}/value", el.0),
                json!({ "text": text }),
            );
        }
    }

    /// Chooses the file at `path` in a file input, as the user would in the file dialog.
    pub fn upload(&self, css: &str, path: &str) {
        let el = self.find(css);
        self.send(
            "POST",
            &format!("/element/{}/value", el.0),
            json!({ "text": path }),
        );
    }

    /// The text of the element (its `textContent`).
    pub fn text(&self, css: &str) -> String {
        self.js(
            "return document.querySelector(arguments[0]).textContent",
            json!([css]),
        )
        .as_str()
        .unwrap_or_else(|| panic!("no element {css}"))
        .to_string()
    }

    /// Waits until the element's text satisfies `check`; returns the text.
    pub fn wait_text(&self, css: &str, what: &str, check: impl Fn(&str) -> bool) -> String {
        wait_for(what, || {
            let text = self.js(
                "const el = document.querySelector(arguments[0]); return el ? el.textContent : null;",
                json!([css]),
            );
            text.as_str().filter(|t| check(t)).map(str::to_string)
        })
    }

    /// Saves a PNG of the window's page to docs/screenshots/`name`.png.
    pub fn screenshot(&self, name: &str) {
        let data = self.send("GET", "/screenshot", Value::Null);
        let png = base64::engine::general_purpose::STANDARD
            .decode(data.as_str().expect("base64 screenshot"))
            .expect("valid base64");
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }

    /// The pid of the app this session launched, while it runs.
    pub fn app_pid(&self) -> Option<u32> {
        desktop::process_tree(self.driver.id())
            .into_iter()
            .find(|pid| {
                std::fs::read_link(format!("/proc/{pid}/exe"))
                    .is_ok_and(|exe| exe == desktop::app())
            })
    }

    /// Ends the session and waits until the app has exited (bounded).
    pub fn end(mut self) {
        self.close();
    }

    fn close(&mut self) {
        let app = self.app_pid();
        if self.base.contains("/session/") {
            let _ = self.agent.delete(&self.base).call();
            self.base.clear();
        }
        if let Some(pid) = app {
            // The driver closes the app's window; the app then quits (no tray here) or is
            // asked to with SIGTERM, which quits cleanly too.
            desktop::end_tree(pid, Duration::from_secs(10));
        }
        desktop::end_tree(self.driver.id(), Duration::from_secs(5));
        let _ = self.driver.wait();
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if !self.base.is_empty() {
            self.close();
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// tauri-driver on PATH, or where `cargo install` puts it.
fn tauri_driver() -> PathBuf {
    let in_cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .map(|home| home.join("bin/tauri-driver"));
    match in_cargo_home {
        Some(path) if path.exists() => path,
        _ => PathBuf::from("tauri-driver"),
    }
}
