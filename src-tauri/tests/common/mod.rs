//! Helpers shared by the desktop tests: a real origin server on loopback, requests through the
//! proxy over plain sockets, free ports, and bounded waits.

#![allow(dead_code)] // each test file uses its own part of this module

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

/// How long any wait in these tests may last before it fails the test.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// Polls `check` until it returns `Some`, or panics after `PATIENCE` saying what it waited for.
pub fn wait_for<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        thread::sleep(Duration::from_millis(50));
    }
}

/// A port nobody listens on right now (bound, then released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A tiny HTTP origin on 127.0.0.1 that answers every request with 200 and "hello".
pub struct Origin {
    pub addr: SocketAddr,
}

impl Origin {
    pub fn start() -> Origin {
        let listener = TcpListener::bind("127.0.0.1:0").expect("origin bind");
        let addr = listener.local_addr().expect("origin address");
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                thread::spawn(move || serve(stream));
            }
        });
        Origin { addr }
    }

    /// `http://127.0.0.1:PORT/path`
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

fn serve(mut stream: TcpStream) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let _ = stream.write_all(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello",
    );
    let _ = stream.shutdown(Shutdown::Write);
}

/// GETs `url` through the proxy at `proxy`; the status code, or None when the proxy does not
/// accept connections.
pub fn get_via(proxy: SocketAddr, url: &str) -> Option<u16> {
    let mut stream = TcpStream::connect_timeout(&proxy, Duration::from_secs(5)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .ok()?;
    let host = url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap_or_default();
    let request = format!("GET {url} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    let text = String::from_utf8_lossy(&response);
    let status = text.strip_prefix("HTTP/1.1 ")?.get(..3)?;
    status.parse().ok()
}

/// Whether something accepts TCP connections at `addr`.
pub fn answers(addr: SocketAddr) -> bool {
    TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_ok()
}

/// GNOME's proxy settings in an isolated keyfile backend: the real `gsettings`, with
/// GSETTINGS_BACKEND=keyfile and XDG_CONFIG_HOME pointing at `home`.
pub struct GnomeSettings {
    pub home: std::path::PathBuf,
}

impl GnomeSettings {
    pub fn at(home: &std::path::Path) -> GnomeSettings {
        GnomeSettings {
            home: home.to_path_buf(),
        }
    }

    /// The environment that makes gsettings (and the app) use this backend.
    pub fn env(&self) -> Vec<(&'static str, std::ffi::OsString)> {
        vec![
            ("XDG_CONFIG_HOME", self.home.clone().into()),
            ("GSETTINGS_BACKEND", "keyfile".into()),
        ]
    }

    /// The same environment for the engine's settings tools.
    pub fn tools(&self) -> wicket::sysproxy::Tools {
        self.env()
            .into_iter()
            .fold(wicket::sysproxy::Tools::default(), |t, (k, v)| t.env(k, v))
    }

    fn gsettings(&self, args: &[&str]) -> String {
        let out = std::process::Command::new("gsettings")
            .args(args)
            .envs(self.env())
            .output()
            .expect("gsettings (scripts/setup-debian.sh test installs libglib2.0-bin)");
        assert!(
            out.status.success(),
            "gsettings {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn set(&self, schema: &str, key: &str, value: &str) {
        self.gsettings(&["set", schema, key, value]);
    }

    pub fn get(&self, schema: &str, key: &str) -> String {
        self.gsettings(&["get", schema, key]).trim().to_string()
    }

    /// Every proxy key, as gsettings prints them: equal listings are equal settings.
    pub fn listing(&self) -> String {
        self.gsettings(&["list-recursively", "org.gnome.system.proxy"])
    }

    /// A manual proxy of the user's own, with their own bypass list.
    pub fn users_own_proxy(&self) {
        self.set("org.gnome.system.proxy.http", "host", "proxy.corp.example");
        self.set("org.gnome.system.proxy.http", "port", "3128");
        self.set("org.gnome.system.proxy.https", "host", "proxy.corp.example");
        self.set("org.gnome.system.proxy.https", "port", "3128");
        // Loopback too, as any working setup has it (WebDriver reaches the webview through it).
        self.set(
            "org.gnome.system.proxy",
            "ignore-hosts",
            "['localhost', '127.0.0.0/8', '::1', '*.corp.example']",
        );
        self.set("org.gnome.system.proxy", "mode", "'manual'");
    }

    /// The port the HTTP proxy setting names.
    pub fn http_port(&self) -> String {
        self.get("org.gnome.system.proxy.http", "port")
    }
}
