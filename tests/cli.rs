//! The `wicket` command: its flags, its errors (one line, exit 2 or 1), its access log, the
//! config file under the flags, and a clean exit on SIGTERM.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use common::{Origin, Reply};

const WICKET: &str = env!("CARGO_BIN_EXE_wicket");

/// A command with its own empty config directory, so no user config leaks in.
fn wicket(config_home: &Path) -> Command {
    let mut cmd = Command::new(WICKET);
    cmd.env("XDG_CONFIG_HOME", config_home)
        .env("HOME", config_home);
    cmd
}

fn run(config_home: &Path, args: &[&str]) -> Output {
    wicket(config_home)
        .args(args)
        .output()
        .expect("wicket runs")
}

fn stderr_lines(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .map(str::to_string)
        .collect()
}

/// Asserts a one-line error containing `needle`, the exit code, and nothing on stdout.
fn assert_one_line_error(out: &Output, code: i32, needle: &str) {
    let lines = stderr_lines(out);
    assert_eq!(out.status.code(), Some(code), "stderr: {lines:?}");
    assert_eq!(lines.len(), 1, "exactly one line expected: {lines:?}");
    assert!(lines[0].starts_with("wicket: "), "{lines:?}");
    assert!(
        lines[0].contains(needle),
        "{:?} should mention {needle:?}",
        lines[0]
    );
    assert!(
        out.stdout.is_empty(),
        "stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// A running `wicket` child with the address it printed.
struct Running {
    child: Child,
    addr: std::net::SocketAddr,
    stdout: std::sync::mpsc::Receiver<String>,
}

impl Running {
    fn start(config_home: &Path, args: &[&str]) -> Running {
        let mut child = wicket(config_home)
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("wicket starts");
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut first = String::new();
        stderr.read_line(&mut first).unwrap();
        let addr = first
            .split("listening on ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("no address in {first:?}"));
        std::thread::spawn(move || {
            let mut rest = String::new();
            let _ = stderr.read_to_string(&mut rest);
        });
        let (tx, rx) = std::sync::mpsc::channel();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        std::thread::spawn(move || {
            for line in stdout.lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        Running {
            child,
            addr,
            stdout: rx,
        }
    }

    fn next_log_line(&self) -> String {
        self.stdout
            .recv_timeout(common::WAIT)
            .expect("an access-log line on stdout")
    }

    fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        wait_with_timeout(&mut self.child)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_with_timeout(child: &mut Child) -> std::process::ExitStatus {
    let deadline = std::time::Instant::now() + common::WAIT;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(std::time::Instant::now() < deadline, "wicket did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A blocking HTTP/1.1 GET through the proxy; returns the status code and the body.
fn get_through(proxy: std::net::SocketAddr, url: &str) -> (u16, String) {
    use std::io::Write;
    let mut s = std::net::TcpStream::connect(proxy).unwrap();
    s.set_read_timeout(Some(common::WAIT)).unwrap();
    write!(s, "GET {url} HTTP/1.1\r\nConnection: close\r\n\r\n").unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    (status, body)
}

#[test]
fn help_lists_the_flags_and_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["--help"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--listen",
        "--block",
        "--allow",
        "--connect-ports",
        "--timeout",
        "--config",
        "--quiet",
        "--allow-only",
    ] {
        assert!(text.contains(flag), "help should list {flag}");
    }
    let out = run(dir.path(), &["--version"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains(env!("CARGO_PKG_VERSION")));
}

#[test]
fn invalid_flag_values_are_one_line_errors_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    assert_one_line_error(&run(dir.path(), &["--listen", "nonsense"]), 2, "--listen");
    assert_one_line_error(
        &run(dir.path(), &["--listen", "127.0.0.1:70000"]),
        2,
        "--listen",
    );
    assert_one_line_error(&run(dir.path(), &["--block", "exa mple.com"]), 2, "spaces");
    assert_one_line_error(&run(dir.path(), &["--allow", "10.0.0.0/33"]), 2, "0 to 32");
    assert_one_line_error(
        &run(dir.path(), &["--connect-ports", "443,x"]),
        2,
        "not a port",
    );
    assert_one_line_error(&run(dir.path(), &["--timeout", "0"]), 2, "--timeout");
    assert_one_line_error(&run(dir.path(), &["--no-such-flag"]), 2, "--no-such-flag");
}

#[test]
fn port_in_use_is_a_one_line_error_with_exit_code_1() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = run(dir.path(), &["--listen", &addr]);
    assert_one_line_error(&out, 1, "already in use");
}

#[test]
fn broken_config_file_is_reported_with_line_and_column_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.json");
    let text = "{\n  \"listen\": \"127.0.0.1:0\",\n  \"block\": [\"ok.test\", \"bad..test\"]\n}\n";
    std::fs::write(&path, text).unwrap();
    let out = run(dir.path(), &["--config", path.to_str().unwrap()]);
    assert_one_line_error(&out, 2, &format!("{}:3:", path.display()));
    assert!(stderr_lines(&out)[0].contains("block[1]"));
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        text,
        "the file is never rewritten"
    );

    let missing = dir.path().join("missing.json");
    assert_one_line_error(
        &run(dir.path(), &["--config", missing.to_str().unwrap()]),
        2,
        "does not exist",
    );
}

#[test]
fn defaults_are_loopback_port_12345_and_https_only_tunnels() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["--print-config"]);
    assert_eq!(out.status.code(), Some(0));
    let config: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(config["listen"], "127.0.0.1:12345");
    assert_eq!(
        config["allow_clients"],
        serde_json::json!(["127.0.0.0/8", "::1"])
    );
    assert_eq!(config["connect_ports"], serde_json::json!([443]));
    assert_eq!(config["timeout_secs"], 30);
}

#[test]
fn flags_override_the_config_file_from_the_default_directory() {
    let dir = tempfile::tempdir().unwrap();
    let wicket_dir = dir.path().join("wicket");
    std::fs::create_dir_all(&wicket_dir).unwrap();
    std::fs::write(
        wicket_dir.join("config.json"),
        r#"{"block": ["from-file.test"], "timeout_secs": 7, "connect_ports": [443, 8443]}"#,
    )
    .unwrap();
    let out = run(dir.path(), &["--print-config"]);
    let config: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(config["block"], serde_json::json!(["from-file.test"]));
    assert_eq!(config["timeout_secs"], 7);

    let out = run(
        dir.path(),
        &[
            "--print-config",
            "--block",
            "a.test",
            "--block",
            "*.b.test",
            "--timeout",
            "3",
            "--connect-ports",
            "any",
            "--listen",
            "8080",
            "--allow",
            "192.168.1.7/24",
        ],
    );
    let config: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(config["block"], serde_json::json!(["a.test", "*.b.test"]));
    assert_eq!(config["timeout_secs"], 3);
    assert_eq!(config["connect_ports"], "any");
    assert_eq!(config["listen"], "127.0.0.1:8080");
    assert_eq!(
        config["allow_clients"],
        serde_json::json!(["192.168.1.0/24"])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwards_blocks_and_prints_one_access_log_line_per_request() {
    let origin = Origin::hello().await;
    let dir = tempfile::tempdir().unwrap();
    let proxy = Running::start(dir.path(), &["--block", "blocked.test"]);
    let addr = proxy.addr;
    let url = origin.url("/page?q=1");
    let (status, body) = tokio::task::spawn_blocking(move || get_through(addr, &url))
        .await
        .unwrap();
    assert_eq!((status, body.as_str()), (200, "hello"));
    let line = proxy.next_log_line();
    assert!(line.starts_with("127.0.0.1 - - ["), "{line}");
    assert!(
        line.contains(&format!("\"GET {}\" 200 5 ", origin.url("/page?q=1"))),
        "{line}"
    );
    assert!(line.ends_with(" forwarded"), "{line}");

    let (status, _) =
        tokio::task::spawn_blocking(move || get_through(addr, "http://www.blocked.test/"))
            .await
            .unwrap();
    assert_eq!(status, 403);
    let line = proxy.next_log_line();
    assert!(
        line.contains("\"GET http://www.blocked.test/\" 403 "),
        "{line}"
    );
    assert!(line.ends_with("blocked rule=blocked.test"), "{line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quiet_prints_no_access_log() {
    let origin = Origin::hello().await;
    let dir = tempfile::tempdir().unwrap();
    let proxy = Running::start(dir.path(), &["--quiet"]);
    let addr = proxy.addr;
    let url = origin.url("/");
    let (status, _) = tokio::task::spawn_blocking(move || get_through(addr, &url))
        .await
        .unwrap();
    assert_eq!(status, 200);
    let mut proxy = proxy;
    assert_eq!(proxy.terminate().code(), Some(0));
    let printed: Vec<String> = proxy.stdout.iter().collect();
    assert!(printed.is_empty(), "--quiet printed {printed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_the_request_in_flight_finish_then_exits_zero() {
    // The origin answers in two halves a moment apart, so SIGTERM lands mid-response.
    let origin = Origin::start(|_| {
        Reply::Paced(
            vec![
                b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nfirst".to_vec(),
                b"-half".to_vec(),
            ],
            Duration::from_millis(700),
        )
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let proxy = Running::start(dir.path(), &["--quiet"]);
    let addr = proxy.addr;
    let url = origin.url("/slow");
    let request = tokio::task::spawn_blocking(move || get_through(addr, &url));
    // Wait until the origin has the request, so the request is really in flight.
    common::within("the origin to get the request", async {
        while origin.received().is_empty() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    let mut proxy = proxy;
    let status = tokio::task::spawn_blocking(move || proxy.terminate())
        .await
        .unwrap();
    assert_eq!(status.code(), Some(0));
    let (code, body) = request.await.unwrap();
    assert_eq!((code, body.as_str()), (200, "first-half"));
    // And the port is free again.
    assert!(std::net::TcpListener::bind(addr).is_ok());
}
