//! `wicket`: the headless proxy. A thin front end over the engine: flags and the config file
//! make a `Config`, the engine runs it, and every finished request is printed as an access-log
//! line on stdout (unless `--quiet`). Errors are one line on stderr: exit code 2 for bad flags or
//! a bad config file, 1 when the proxy cannot run (the port is in use, say).
//!
//! Before anything else it gives back system proxy settings a Wicket left changed (crashed,
//! killed); `--restore-system-proxy` does only that; `--system-proxy` makes Wicket the system
//! proxy while it runs and puts the previous settings back when it stops.

use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use tokio::sync::broadcast::error::RecvError;

use wicket::sysproxy::{self, Platform, SystemProxy, Target, Tools};
use wicket::{accesslog, ClientNet, Config, ConfigError, ConnectPorts, Engine, Event, Rule};

/// How long requests in flight may take to finish after Ctrl+C or SIGTERM.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

#[derive(Parser, Debug)]
#[command(
    name = "wicket",
    version,
    about = "A personal forwarding proxy for HTTP and HTTPS, with a blocklist and a client allowlist.",
    after_help = "Rules for --block and --allow-only:\n  \
        example.com      the domain and all its subdomains (not notexample.com)\n  \
        *.example.com    subdomains only\n  \
        re:^ads?\\.      a regular expression matched against the host name\n  \
        192.0.2.7        an IP address written as the host\n\n\
        A flag replaces the config file's value; repeated flags build a list.\n\
        The config file is read from --config, or from the default path if it exists\n\
        (see --print-config for the effective settings)."
)]
struct Cli {
    /// Address to listen on: IP:PORT, [IPv6]:PORT, or a port (on 127.0.0.1) [default: 127.0.0.1:12345]
    #[arg(long, value_name = "ADDR", value_parser = parse_listen)]
    listen: Option<SocketAddr>,

    /// Block a site (repeatable); see the rule syntax below
    #[arg(long = "block", value_name = "RULE", value_parser = parse_rule)]
    block: Vec<Rule>,

    /// Let clients from this IP or CIDR network use the proxy (repeatable) [default: loopback only]
    #[arg(long = "allow", value_name = "CIDR", value_parser = parse_client)]
    allow: Vec<ClientNet>,

    /// Allow-only mode: only these sites can be reached (repeatable)
    #[arg(long = "allow-only", value_name = "SITE", value_parser = parse_rule)]
    allow_only: Vec<Rule>,

    /// Ports CONNECT may open, comma-separated, or "any" [default: 443]
    #[arg(long, value_name = "LIST", value_parser = ConnectPorts::parse)]
    connect_ports: Option<ConnectPorts>,

    /// Seconds to wait for an upstream to connect and to answer [default: 30]
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=86400))]
    timeout: Option<u64>,

    /// Seconds a client has to send a request head it has started [default: 10]
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=86400))]
    head_timeout: Option<u64>,

    /// Seconds an idle keep-alive client connection stays open [default: 60]
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=86400))]
    idle_timeout: Option<u64>,

    /// Client connections served at once; more wait their turn [default: 1024]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    max_connections: Option<u64>,

    /// Config file (JSON) [default: config.json in the OS config directory, if it exists]
    #[arg(long, value_name = "PATH")]
    config: Option<PathBuf>,

    /// Do not print an access-log line per request
    #[arg(long, short)]
    quiet: bool,

    /// Print the effective configuration as JSON and exit
    #[arg(long)]
    print_config: bool,

    /// Make Wicket the system proxy while it runs (GNOME, KDE, Windows, macOS); the previous
    /// settings come back when it stops
    #[arg(long, conflicts_with = "restore_system_proxy")]
    system_proxy: bool,

    /// Give back the system proxy settings a Wicket left changed (after a crash), then exit
    #[arg(long)]
    restore_system_proxy: bool,
}

fn parse_listen(text: &str) -> Result<SocketAddr, String> {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text
            .parse::<u16>()
            .map(|port| SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
            .map_err(|_| "the port must be 0 to 65535".to_string());
    }
    text.parse().map_err(|_| {
        "expected IP:PORT such as 127.0.0.1:12345 or [::1]:12345, or a port".to_string()
    })
}

fn parse_rule(text: &str) -> Result<Rule, String> {
    Rule::parse(text).map_err(|e| e.reason.to_string())
}

fn parse_client(text: &str) -> Result<ClientNet, String> {
    ClientNet::parse(text).map_err(|e| e.reason.to_string())
}

impl Cli {
    /// The config file, then the flags over it.
    fn config(&self) -> Result<Config, ConfigError> {
        let mut config = match &self.config {
            Some(path) => Config::load(path)?,
            None => match Config::default_path() {
                Some(path) => match Config::load(&path) {
                    Err(ConfigError::NotFound(_)) => Config::default(),
                    other => other?,
                },
                None => Config::default(),
            },
        };
        if let Some(listen) = self.listen {
            config.listen = listen;
        }
        if !self.block.is_empty() {
            config.block = self.block.clone();
        }
        if !self.allow.is_empty() {
            config.allow_clients = self.allow.clone();
        }
        if !self.allow_only.is_empty() {
            config.allow_only = true;
            config.allowed_sites = self.allow_only.clone();
        }
        if let Some(ports) = &self.connect_ports {
            config.connect_ports = ports.clone();
        }
        if let Some(secs) = self.timeout {
            config.timeout_secs = secs;
        }
        if let Some(secs) = self.head_timeout {
            config.head_timeout_secs = secs;
        }
        if let Some(secs) = self.idle_timeout {
            config.idle_timeout_secs = secs;
        }
        if let Some(n) = self.max_connections {
            config.max_connections = n as usize;
        }
        Ok(config)
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version.
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            let text = e.render().to_string();
            let first = text.lines().next().unwrap_or("invalid arguments");
            eprintln!("wicket: {}", first.trim_start_matches("error: "));
            return ExitCode::from(2);
        }
    };
    if cli.restore_system_proxy {
        return restore_system_proxy();
    }
    // Before anything else, even a config that cannot be read: settings a Wicket left
    // pointing at itself go back (--print-config only prints).
    let system_proxy = if cli.print_config {
        None
    } else if cli.system_proxy {
        match claim_system_proxy() {
            Ok(proxy) => Some(Arc::new(proxy)),
            Err(e) => {
                eprintln!("wicket: cannot use --system-proxy: {e}");
                return ExitCode::from(1);
            }
        }
    } else {
        recover_system_proxy();
        None
    };
    let config = match cli.config() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("wicket: {e}");
            return ExitCode::from(2);
        }
    };
    if cli.print_config {
        print!("{}", config.to_json());
        return ExitCode::SUCCESS;
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("wicket: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    runtime.block_on(run(config, cli.quiet, system_proxy))
}

/// `--restore-system-proxy`: gives back what a Wicket left changed, and says what it did.
fn restore_system_proxy() -> ExitCode {
    let Some(dir) = sysproxy::default_dir() else {
        eprintln!("wicket: no config directory (is HOME set?): nothing to restore");
        return ExitCode::from(1);
    };
    match sysproxy::recover(&dir, &Tools::default()) {
        Ok(Some(restored)) => {
            eprintln!("wicket: {}", restored_text(&restored));
            ExitCode::SUCCESS
        }
        Ok(None) => {
            eprintln!(
                "wicket: nothing to restore: no system proxy settings changed by Wicket are \
                 waiting in {}",
                dir.display()
            );
            ExitCode::SUCCESS
        }
        Err(e @ sysproxy::Error::Owned { .. }) => {
            eprintln!("wicket: {e}: quit it, and it restores them itself");
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("wicket: {e}");
            ExitCode::from(1)
        }
    }
}

fn restored_text(r: &sysproxy::Restored) -> String {
    let mut text = format!(
        "restored the {} Wicket had pointed at {} ({} {} written back",
        r.platform.name(),
        r.address,
        r.written,
        if r.written == 1 {
            "setting"
        } else {
            "settings"
        }
    );
    if !r.kept.is_empty() {
        text.push_str(&format!(
            "; left as they are, changed since by someone else: {}",
            r.kept.join(", ")
        ));
    }
    text.push(')');
    for note in &r.notes {
        text.push_str(&format!("; note: {note}"));
    }
    text
}

/// Restores settings a dead Wicket left, if any, without taking them from a live one.
fn recover_system_proxy() {
    let Some(dir) = sysproxy::default_dir() else {
        return;
    };
    match sysproxy::recover(&dir, &Tools::default()) {
        Ok(Some(restored)) => eprintln!("wicket: {}", restored_text(&restored)),
        Ok(None) | Err(sysproxy::Error::Owned { .. }) => {}
        Err(e) => eprintln!("wicket: {e}"),
    }
}

/// Takes the system proxy settings for this process, restoring what a dead Wicket left.
fn claim_system_proxy() -> Result<SystemProxy, String> {
    let dir = sysproxy::default_dir().ok_or("no config directory (is HOME set?)")?;
    let proxy = SystemProxy::claim(&dir).map_err(|e| e.to_string())?;
    if let Some(restored) = proxy.restore().map_err(|e| e.to_string())? {
        eprintln!("wicket: {}", restored_text(&restored));
    }
    Ok(proxy)
}

/// Points the system proxy at `address`; on failure says what to do instead.
async fn apply_system_proxy(
    proxy: Arc<SystemProxy>,
    address: SocketAddr,
    bypass: &[String],
) -> Result<(), String> {
    let target = Target::new(address, bypass);
    let manual = format!(
        "set your programs' HTTP and HTTPS proxy to {} by hand, or their automatic proxy \
         configuration URL to {}",
        target.address(),
        target.pac_url()
    );
    let platform = Platform::detect().map_err(|e| format!("{e}: {manual}"))?;
    let applied = tokio::task::spawn_blocking(move || proxy.apply(platform, &target))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("{e}; {manual}"))?;
    eprintln!(
        "wicket: the {} point at {}; they are restored when wicket stops",
        applied.platform.name(),
        applied.address
    );
    for note in applied.notes {
        eprintln!("wicket: note: {note}");
    }
    Ok(())
}

/// Puts the previous system proxy settings back; whether that worked.
async fn restore_on_exit(proxy: Arc<SystemProxy>) -> bool {
    let dir = proxy.dir().to_path_buf();
    match tokio::task::spawn_blocking(move || proxy.restore()).await {
        Ok(Ok(Some(restored))) => {
            eprintln!("wicket: {}", restored_text(&restored));
            true
        }
        Ok(Ok(None)) => true,
        Ok(Err(e)) => {
            eprintln!("wicket: {e}");
            hint_restore(&dir);
            false
        }
        Err(e) => {
            eprintln!("wicket: restoring the system proxy failed: {e}");
            hint_restore(&dir);
            false
        }
    }
}

fn hint_restore(dir: &Path) {
    eprintln!(
        "wicket: the previous settings are kept in {}: run `wicket --restore-system-proxy` to \
         try again",
        sysproxy::Saved::path(dir).display()
    );
}

async fn run(config: Config, quiet: bool, system_proxy: Option<Arc<SystemProxy>>) -> ExitCode {
    wicket::sys::raise_fd_limit();
    // Registered before the proxy says it is listening, so an early SIGTERM is never lost to
    // the default action (which would kill the process without the graceful stop).
    let stop = StopSignals::register();
    let summary = format!(
        "{} block rules{}; clients: {}",
        config.block.len(),
        if config.allow_only {
            format!(", allow-only with {} sites", config.allowed_sites.len())
        } else {
            String::new()
        },
        config
            .allow_clients
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    );
    let lan_allowed = config.allow_clients.iter().any(|n| !n.is_loopback());
    let bypass = config.bypass.clone();
    // The config goes to the engine: a 100 000-rule list is not held twice.
    let engine = Engine::with_config(config);
    let events = engine.subscribe();
    let address = match engine.start().await {
        Ok(address) => address,
        Err(e) => {
            eprintln!("wicket: {e}");
            return ExitCode::from(1);
        }
    };
    eprintln!("wicket: listening on {address} ({summary})");
    if address.ip().is_loopback() && lan_allowed {
        eprintln!("wicket: note: listening on loopback, so only this computer can connect whatever --allow says");
    }
    let log = (!quiet).then(|| tokio::spawn(print_access_log(events)));
    if let Some(proxy) = &system_proxy {
        if let Err(e) = apply_system_proxy(proxy.clone(), address, &bypass).await {
            eprintln!("wicket: cannot make Wicket the system proxy: {e}");
            engine.stop(SHUTDOWN_GRACE).await;
            return ExitCode::from(1);
        }
    }
    stop.wait().await;
    // The system proxy first: the user's connection must not wait for requests in flight.
    let restored = match system_proxy {
        Some(proxy) => restore_on_exit(proxy).await,
        None => true,
    };
    eprintln!(
        "wicket: stopping (waiting up to {} s for requests in flight)",
        SHUTDOWN_GRACE.as_secs()
    );
    engine.stop(SHUTDOWN_GRACE).await;
    if let Some(log) = log {
        // Let the last lines out, then stop.
        tokio::time::sleep(Duration::from_millis(50)).await;
        log.abort();
    }
    if restored {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Prints one line per finished request; batches what is waiting into one write.
async fn print_access_log(mut events: tokio::sync::broadcast::Receiver<Event>) {
    let stdout = std::io::stdout();
    loop {
        let first = events.recv().await;
        let mut out = stdout.lock();
        let mut next = Some(first);
        while let Some(event) = next.take() {
            match event {
                Ok(Event::Request(record)) => {
                    let _ = writeln!(out, "{}", accesslog::line(&record));
                }
                Ok(Event::State(_)) => {}
                Err(RecvError::Lagged(n)) => {
                    eprintln!("wicket: {n} access-log lines dropped (output too slow)");
                }
                Err(RecvError::Closed) => return,
            }
            next = match events.try_recv() {
                Ok(event) => Some(Ok(event)),
                Err(tokio::sync::broadcast::error::TryRecvError::Lagged(n)) => {
                    Some(Err(RecvError::Lagged(n)))
                }
                Err(_) => None,
            };
        }
        let _ = out.flush();
    }
}

/// Ctrl+C, SIGTERM and SIGHUP (the terminal or the session ended), listened for from the
/// moment they are registered.
struct StopSignals {
    #[cfg(unix)]
    interrupt: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    hangup: Option<tokio::signal::unix::Signal>,
}

impl StopSignals {
    fn register() -> StopSignals {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            StopSignals {
                interrupt: signal(SignalKind::interrupt()).ok(),
                terminate: signal(SignalKind::terminate()).ok(),
                hangup: signal(SignalKind::hangup()).ok(),
            }
        }
        #[cfg(not(unix))]
        {
            StopSignals {}
        }
    }

    async fn wait(self) {
        #[cfg(unix)]
        {
            let mut this = self;
            async fn next(signal: &mut Option<tokio::signal::unix::Signal>) {
                match signal {
                    Some(signal) => {
                        signal.recv().await;
                    }
                    None => std::future::pending().await,
                }
            }
            tokio::select! {
                _ = next(&mut this.interrupt) => {}
                _ = next(&mut this.terminate) => {}
                _ = next(&mut this.hangup) => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
