//! A private desktop per test: its own Xvfb display, its own D-Bus session, optionally a tray
//! host (trayer), and its own config directory. Tests never share a display, a bus (the
//! single-instance guard lives there) or a config file, so they can run side by side.

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::Duration;

use tempfile::TempDir;

use crate::common::wait_for;

/// The app under test: the one cargo built for this run, or WICKET_DESKTOP_BIN (to test a
/// release build: `WICKET_DESKTOP_BIN=target/release/wicket-desktop cargo test --test e2e`).
pub fn app() -> PathBuf {
    match std::env::var_os("WICKET_DESKTOP_BIN") {
        Some(path) => fs::canonicalize(path).expect("WICKET_DESKTOP_BIN names a file"),
        None => PathBuf::from(env!("CARGO_BIN_EXE_wicket-desktop")),
    }
}

/// Where the app's indicator exports itself and its tray menu on D-Bus.
const TRAY_ITEM: &str = "/org/ayatana/NotificationItem/tray_icon_tray_app_wicket";
const TRAY_MENU: &str = "/org/ayatana/NotificationItem/tray_icon_tray_app_wicket/Menu";

pub struct Desktop {
    /// `:N`
    pub display: String,
    pub dbus_address: String,
    /// Holds XDG_CONFIG_HOME (`config/`), XDG_DATA_HOME (`data/`, the history) and
    /// XDG_RUNTIME_DIR (`runtime/`).
    pub dir: TempDir,
    /// Killed in reverse order on drop (the tray and the bus before the display).
    children: Vec<Child>,
    /// More environment for the programs on this desktop (see [`Desktop::with_env`]).
    extra_env: Vec<(String, std::ffi::OsString)>,
    /// The bus name that exported the tray menu, once found.
    tray_owner: std::cell::RefCell<Option<String>>,
}

impl Desktop {
    /// A display and a session bus, no tray host.
    pub fn new() -> Desktop {
        let dir = tempfile::tempdir().expect("temp dir");
        for sub in ["config", "data", "runtime"] {
            fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        let mut runtime_perm = fs::metadata(dir.path().join("runtime"))
            .unwrap()
            .permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut runtime_perm, 0o700);
        fs::set_permissions(dir.path().join("runtime"), runtime_perm).unwrap();

        // Xvfb picks a free display itself and writes its number to fd 1.
        let mut xvfb = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "1280x900x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb (scripts/setup-debian.sh test installs it)");
        let number = first_line(&mut xvfb);
        let display = format!(":{}", number.trim());

        let bus_dir = dir.path().join("runtime");
        let mut dbus = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address=1"])
            .arg(format!("--address=unix:dir={}", bus_dir.display()))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon");
        let dbus_address = first_line(&mut dbus).trim().to_string();

        Desktop {
            display,
            dbus_address,
            dir,
            children: vec![xvfb, dbus],
            extra_env: Vec::new(),
            tray_owner: Default::default(),
        }
    }

    /// Gives the programs on this desktop `key=value` too (over the usual environment).
    pub fn with_env(mut self, key: &str, value: impl Into<std::ffi::OsString>) -> Desktop {
        self.extra_env.push((key.to_string(), value.into()));
        self
    }

    /// A GNOME desktop whose settings (gsettings, keyfile backend) live in its config
    /// directory, with its own HOME (where login entries go).
    pub fn gnome() -> Desktop {
        let desktop = Desktop::new();
        let home = desktop.dir.path().join("home");
        fs::create_dir_all(&home).unwrap();
        desktop
            .with_env("XDG_CURRENT_DESKTOP", "GNOME")
            .with_env("GSETTINGS_BACKEND", "keyfile")
            .with_env("HOME", home)
    }

    /// A desktop with an XEmbed tray host (trayer) on it, as on a panel.
    pub fn with_tray() -> Desktop {
        let mut desktop = Desktop::new();
        let trayer = Command::new("trayer")
            .args([
                "--edge",
                "top",
                "--align",
                "right",
                "--widthtype",
                "request",
            ])
            .args(["--height", "24", "--transparent", "false"])
            .env("DISPLAY", &desktop.display)
            .env("DBUS_SESSION_BUS_ADDRESS", &desktop.dbus_address)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("trayer");
        desktop.children.push(trayer);
        wait_for("trayer to own the tray selection", || {
            let out = desktop.x_output("xwininfo", &["-root", "-tree"]);
            out.contains("\"panel\": (\"panel\" \"trayer\")")
                .then_some(())
        });
        desktop
    }

    pub fn config_home(&self) -> PathBuf {
        self.dir.path().join("config")
    }

    /// Where the app keeps its history database.
    pub fn data_home(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn history_file(&self) -> PathBuf {
        self.data_home().join("wicket/history.sqlite3")
    }

    pub fn config_file(&self) -> PathBuf {
        self.config_home().join("wicket/config.json")
    }

    /// Writes the config file the app will find.
    pub fn write_config(&self, json: &serde_json::Value) {
        let path = self.config_file();
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, serde_json::to_string_pretty(json).unwrap()).unwrap();
    }

    pub fn write_config_text(&self, text: &str) {
        let path = self.config_file();
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    /// The saved config, as JSON.
    pub fn saved_config(&self) -> serde_json::Value {
        let text = fs::read_to_string(self.config_file()).expect("the config file");
        serde_json::from_str(&text).expect("valid JSON")
    }

    /// The environment a program on this desktop gets.
    pub fn env(&self, cmd: &mut Command) {
        cmd.env("DISPLAY", &self.display)
            .env("DBUS_SESSION_BUS_ADDRESS", &self.dbus_address)
            .env("XDG_CONFIG_HOME", self.config_home())
            .env("XDG_DATA_HOME", self.data_home())
            .env("XDG_RUNTIME_DIR", self.dir.path().join("runtime"))
            .env_remove("WAYLAND_DISPLAY")
            .env("RUST_LOG", "info")
            // English unless a test says otherwise, whatever this machine's locale.
            .env("LC_ALL", "C.UTF-8");
        for (key, value) in &self.extra_env {
            cmd.env(key, value);
        }
    }

    /// Starts the app directly (not through WebDriver), its output in `name`.log.
    pub fn launch(&self, name: &str, args: &[&str]) -> Child {
        let log = fs::File::create(self.dir.path().join(format!("{name}.log"))).unwrap();
        let mut cmd = Command::new(app());
        self.env(&mut cmd);
        cmd.args(args)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("the app")
    }

    /// What an app launched as `name` printed.
    pub fn log(&self, name: &str) -> String {
        fs::read_to_string(self.dir.path().join(format!("{name}.log"))).unwrap_or_default()
    }

    /// Runs an X11 utility on this display; its stdout.
    pub fn x_output(&self, program: &str, args: &[&str]) -> String {
        let out = Command::new(program)
            .args(args)
            .env("DISPLAY", &self.display)
            .output()
            .unwrap_or_else(|e| panic!("{program}: {e}"));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The ids of the visible windows titled exactly `title`.
    pub fn visible_windows(&self, title: &str) -> Vec<String> {
        let pattern = format!("^{title}$");
        self.x_output("xdotool", &["search", "--onlyvisible", "--name", &pattern])
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// The tray menu's labels, top to bottom, as a StatusNotifier host reads them: over D-Bus
    /// from the menu the app's indicator exports (com.canonical.dbusmenu). None until it is
    /// there.
    pub fn tray_labels(&self) -> Option<Vec<String>> {
        Some(self.tray_items()?.into_iter().map(|(_, l)| l).collect())
    }

    /// Clicks the tray menu's item labelled `label`, as a StatusNotifier host does when the
    /// user picks it (a dbusmenu `clicked` event). False while there is no such item.
    pub fn tray_click(&self, label: &str) -> bool {
        let Some(id) = self
            .tray_items()
            .and_then(|items| items.into_iter().find(|(_, l)| l == label))
            .map(|(id, _)| id.to_string())
        else {
            return false;
        };
        let owner = self.tray_owner.borrow().clone().expect("the menu's owner");
        self.gdbus(&[
            "--dest",
            &owner,
            "--object-path",
            TRAY_MENU,
            "--method",
            "com.canonical.dbusmenu.Event",
            "--",
            &id,
            "clicked",
            "<int32 0>",
            "0",
        ])
        .is_some()
    }

    /// The tray icon the app shows now, as a StatusNotifier host reads it: the image in the
    /// file the item's `IconName` names (a new file each time the app sets an icon).
    pub fn tray_icon(&self) -> Option<Vec<u8>> {
        let owner = self.tray_owner.borrow().clone()?;
        let reply = self.gdbus(&[
            "--dest",
            &owner,
            "--object-path",
            TRAY_ITEM,
            "--method",
            "org.freedesktop.DBus.Properties.Get",
            "org.kde.StatusNotifierItem",
            "IconName",
        ])?;
        let path = reply.split('\'').nth(1).filter(|p| p.starts_with('/'))?;
        fs::read(path).ok()
    }

    /// The tray menu's items (dbusmenu id, label), top to bottom.
    fn tray_items(&self) -> Option<Vec<(i32, String)>> {
        let names = self.gdbus(&[
            "--dest",
            "org.freedesktop.DBus",
            "--object-path",
            "/org/freedesktop/DBus",
            "--method",
            "org.freedesktop.DBus.ListNames",
        ])?;
        let item = regex::Regex::new(r"\((\d+), \{'label': <'((?:[^'\\]|\\.)*)'>").unwrap();
        let known = self.tray_owner.borrow().clone();
        let found = known
            .iter()
            .map(String::as_str)
            .chain(names.split('\'').filter(|n| n.starts_with(':')))
            .find_map(|name| {
                let layout = self.gdbus(&[
                    "--dest",
                    name,
                    "--object-path",
                    TRAY_MENU,
                    "--method",
                    "com.canonical.dbusmenu.GetLayout",
                    "--",
                    "0",
                    "-1",
                    "@as ['label']",
                ])?;
                let items: Vec<(i32, String)> = item
                    .captures_iter(&layout)
                    .map(|c| (c[1].parse().unwrap_or(-1), c[2].to_string()))
                    .filter(|(_, l)| l != "Label Empty")
                    .collect();
                (!items.is_empty()).then(|| (name.to_string(), items))
            });
        let (owner, items) = found?;
        *self.tray_owner.borrow_mut() = Some(owner);
        Some(items)
    }

    /// A D-Bus call on this desktop's session bus; its output, or none if it failed.
    fn gdbus(&self, args: &[&str]) -> Option<String> {
        // A name that does not answer would hold a call for gdbus's default 25 s.
        let out = Command::new("gdbus")
            .args(["call", "--session", "--timeout", "1"])
            .args(args)
            .env("DBUS_SESSION_BUS_ADDRESS", &self.dbus_address)
            .output()
            .expect("gdbus (scripts/setup-debian.sh test installs it)");
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Asks a window to close the way a window manager does (WM_DELETE_WINDOW).
    pub fn close_window(&self, id: &str) {
        let id: u64 = id.trim().parse().expect("a window id");
        x11::send_delete_window(&self.display, id);
    }
}

impl Drop for Desktop {
    fn drop(&mut self) {
        for child in self.children.iter_mut().rev() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn first_line(child: &mut Child) -> String {
    let stdout = child.stdout.take().expect("piped stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("a first line");
    assert!(!line.trim().is_empty(), "the program printed nothing");
    line
}

/// Process ids of `root` and everything it started (from /proc).
pub fn process_tree(root: u32) -> Vec<u32> {
    let mut parents: Vec<(u32, u32)> = Vec::new();
    for entry in fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // "pid (comm) state ppid ...": the name may hold spaces, so split after the last ')'.
        let Some(after) = stat.rsplit_once(')').map(|(_, rest)| rest) else {
            continue;
        };
        if let Some(ppid) = after.split_whitespace().nth(1).and_then(|p| p.parse().ok()) {
            parents.push((pid, ppid));
        }
    }
    let mut tree = vec![root];
    let mut i = 0;
    while i < tree.len() {
        let parent = tree[i];
        tree.extend(
            parents
                .iter()
                .filter(|(_, pp)| *pp == parent)
                .map(|(p, _)| *p),
        );
        i += 1;
    }
    tree.retain(|pid| Path::new(&format!("/proc/{pid}")).exists());
    tree
}

/// A process's short name (`WebKitWebProces`...).
pub fn process_name(pid: u32) -> String {
    fs::read_to_string(format!("/proc/{pid}/comm"))
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// RSS and PSS in kB of a process tree, with one line per process.
pub fn memory(root: u32) -> (u64, u64, String) {
    let (mut rss, mut pss) = (0, 0);
    let mut parts = Vec::new();
    for pid in process_tree(root) {
        let text = fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
        let field = |name: &str| {
            text.lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        let (r, p) = (field("Rss:"), field("Pss:"));
        rss += r;
        pss += p;
        parts.push(format!("{} {} MB", process_name(pid), r / 1024));
    }
    (rss, pss, parts.join(", "))
}

/// Sends SIGTERM (a polite request to quit).
pub fn terminate(pid: u32) {
    signal(pid, libc::SIGTERM);
}

fn signal(pid: u32, signal: libc::c_int) {
    // SAFETY: kill(2) has no memory effects; a pid that is gone just fails with ESRCH.
    unsafe {
        libc::kill(pid as libc::pid_t, signal);
    }
}

/// Waits (bounded) for a child to exit; its exit code.
pub fn wait_exit(child: &mut Child, what: &str) -> Option<i32> {
    wait_for(what, || child.try_wait().ok().flatten()).code()
}

/// Gives a process and its children `grace` to go after SIGTERM, then kills what is left.
pub fn end_tree(root: u32, grace: Duration) {
    let tree = process_tree(root);
    for pid in tree.iter().rev() {
        terminate(*pid);
    }
    let deadline = std::time::Instant::now() + grace;
    while std::time::Instant::now() < deadline
        && tree
            .iter()
            .any(|p| Path::new(&format!("/proc/{p}")).exists())
    {
        thread::sleep(Duration::from_millis(50));
    }
    for pid in tree {
        if Path::new(&format!("/proc/{pid}")).exists() {
            signal(pid, libc::SIGKILL);
        }
    }
}

mod x11 {
    use std::ffi::CString;
    use std::mem::zeroed;

    use x11_dl::xlib;

    /// What a window manager sends when the user clicks a window's close button.
    pub fn send_delete_window(display: &str, window: u64) {
        let xlib = xlib::Xlib::open().expect("libX11");
        let name = CString::new(display).unwrap();
        // SAFETY: plain Xlib calls on a connection opened and closed here.
        unsafe {
            let dpy = (xlib.XOpenDisplay)(name.as_ptr());
            assert!(!dpy.is_null(), "cannot open display {display}");
            let intern = |atom: &str| {
                let atom = CString::new(atom).unwrap();
                (xlib.XInternAtom)(dpy, atom.as_ptr(), xlib::False)
            };
            let mut event: xlib::XEvent = zeroed();
            event.client_message.type_ = xlib::ClientMessage;
            event.client_message.window = window;
            event.client_message.message_type = intern("WM_PROTOCOLS");
            event.client_message.format = 32;
            event
                .client_message
                .data
                .set_long(0, intern("WM_DELETE_WINDOW") as i64);
            event
                .client_message
                .data
                .set_long(1, xlib::CurrentTime as i64);
            (xlib.XSendEvent)(dpy, window, xlib::False, xlib::NoEventMask, &mut event);
            (xlib.XFlush)(dpy);
            (xlib.XCloseDisplay)(dpy);
        }
    }
}
