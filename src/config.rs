//! The configuration file: one JSON object, shared by the headless CLI and the desktop app.
//!
//! Every field is optional and has a safe default (listen on 127.0.0.1:12345, loopback clients
//! only, CONNECT to port 443 only). Unknown fields are an error rather than silently ignored, so
//! a typo never turns a protection off. Errors name the field, the value and the line:column.
//! Saving is atomic: a temporary file in the same directory is written, synced and renamed over
//! the old one, so a crash mid-save leaves either the old or the new file, never half of one.

use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize};

use crate::clients::ClientNet;
use crate::i18n::Message;
use crate::messages as msg;
use crate::rules::Rule;
use crate::schedule::Window;

/// The port the proxy listens on unless told otherwise (the tutorial's port).
pub const DEFAULT_PORT: u16 = 12345;

/// Everything the engine needs to run, as saved in the config file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address and port the proxy listens on; loopback unless the user opens it up.
    #[serde(deserialize_with = "socket_address")]
    pub listen: SocketAddr,
    /// Sites refused with 403 (see the rule syntax in `rules`).
    pub block: Vec<Rule>,
    /// Named groups of blocked sites ("Social media", "Ads"), each switched on and off as a
    /// whole and optionally in force only at scheduled times.
    #[serde(deserialize_with = "rule_lists")]
    pub lists: Vec<RuleList>,
    /// When on, only `allowed_sites` can be reached (the blocklist still applies).
    pub allow_only: bool,
    /// The sites reachable in allow-only mode.
    pub allowed_sites: Vec<Rule>,
    /// Client addresses and networks that may use the proxy; loopback by default.
    pub allow_clients: Vec<ClientNet>,
    /// Target ports a CONNECT tunnel may open; 443 by default so the proxy is no generic relay.
    pub connect_ports: ConnectPorts,
    /// Seconds to wait for an upstream to accept a connection and to send its response head.
    #[serde(deserialize_with = "seconds")]
    pub timeout_secs: u64,
    /// Seconds a client has to send a complete request head once it has started one (408 after).
    #[serde(deserialize_with = "seconds")]
    pub head_timeout_secs: u64,
    /// Seconds an idle keep-alive client connection is kept open between requests.
    #[serde(deserialize_with = "seconds")]
    pub idle_timeout_secs: u64,
    /// Client connections served at once; more wait in the kernel's backlog until one ends.
    #[serde(deserialize_with = "positive")]
    pub max_connections: usize,
    /// Connections one client address may hold at once; more are answered 503 and closed, so
    /// one program cannot take every slot.
    #[serde(deserialize_with = "positive")]
    pub max_connections_per_client: usize,
    /// Seconds a CONNECT tunnel may carry nothing either way before it is closed.
    #[serde(deserialize_with = "seconds")]
    pub tunnel_idle_timeout_secs: u64,
    /// Largest request head, in bytes (431 beyond): 1 KiB to 1 MiB.
    #[serde(deserialize_with = "head_bytes")]
    pub max_head_bytes: usize,
    /// Most header lines in a request head (431 beyond): 8 to 256.
    #[serde(deserialize_with = "header_count")]
    pub max_headers: usize,
    /// Longest request target (the URL), in bytes (414 beyond): 256 bytes to 1 MiB.
    #[serde(deserialize_with = "uri_bytes")]
    pub max_uri_bytes: usize,
    /// Idle upstream connections kept for reuse, per host and port (0: no reuse).
    pub max_idle_per_host: usize,
    /// Idle upstream connections kept for reuse, in all.
    pub max_idle_total: usize,
    /// Whether the desktop app runs the proxy (it restores this at start); the CLI always runs.
    pub enabled: bool,
    /// Whether the desktop app points the system's proxy settings at Wicket.
    pub system_proxy: bool,
    /// Hosts reached without the proxy when it is the system proxy or used through its PAC file
    /// (`http://<listen>/proxy.pac`): names (`*` wildcards allowed), IP addresses, IPv4 networks
    /// in CIDR form, and `<local>` for plain host names without a dot.
    #[serde(deserialize_with = "bypass_entries")]
    pub bypass: Vec<String>,
    /// The desktop app's own settings (language, history, the parent's PIN hash...): kept and
    /// saved as they are by the engine and the CLI, read and checked by the app.
    pub app: serde_json::Map<String, serde_json::Value>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, DEFAULT_PORT)),
            block: Vec::new(),
            lists: Vec::new(),
            allow_only: false,
            allowed_sites: Vec::new(),
            allow_clients: ClientNet::loopback(),
            connect_ports: ConnectPorts::default(),
            timeout_secs: 30,
            head_timeout_secs: 10,
            idle_timeout_secs: 60,
            max_connections: 1024,
            max_connections_per_client: 256,
            tunnel_idle_timeout_secs: 3600,
            max_head_bytes: crate::http::MAX_HEAD_BYTES,
            max_headers: crate::http::MAX_HEADERS,
            max_uri_bytes: crate::http::MAX_URI_BYTES,
            max_idle_per_host: 64,
            max_idle_total: 512,
            enabled: true,
            system_proxy: false,
            bypass: default_bypass(),
            app: serde_json::Map::new(),
        }
    }
}

impl Config {
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_secs)
    }

    /// The config file's usual place: `config.json` in the OS config directory
    /// (`~/.config/wicket` on Linux, `~/Library/Application Support/Wicket` on macOS,
    /// `%APPDATA%\Wicket\config` on Windows).
    pub fn default_path() -> Option<PathBuf> {
        directories::ProjectDirs::from("", "", "Wicket").map(|d| d.config_dir().join("config.json"))
    }

    /// Reads and checks a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = fs::read_to_string(path).map_err(|source| {
            if source.kind() == io::ErrorKind::NotFound {
                ConfigError::NotFound(path.to_path_buf())
            } else {
                ConfigError::Io {
                    path: path.to_path_buf(),
                    source,
                }
            }
        })?;
        Config::parse(&text).map_err(|e| e.in_file(path))
    }

    /// Parses config text; the error says where (field, line, column) and what is wrong.
    pub fn parse(text: &str) -> Result<Config, ConfigError> {
        let mut de = serde_json::Deserializer::from_str(text);
        let config: Config = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let field = e.path().to_string();
            let inner = e.into_inner();
            ConfigError::Invalid(Invalid {
                path: None,
                field: (field != "." && field != "?").then_some(field),
                line: inner.line(),
                column: inner.column(),
                message: message_without_position(&inner),
            })
        })?;
        de.end().map_err(|inner| {
            ConfigError::Invalid(Invalid {
                path: None,
                field: None,
                line: inner.line(),
                column: inner.column(),
                message: message_without_position(&inner),
            })
        })?;
        Ok(config)
    }

    /// The config as the file holds it: pretty JSON ending in a newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Writes the config atomically: temp file in the same directory, fsync, rename, fsync dir.
    pub fn save(&self, path: &Path) -> Result<(), ConfigError> {
        write_atomically(path, self.to_json().as_bytes()).map_err(|source| ConfigError::Io {
            path: path.to_path_buf(),
            source,
        })
    }
}

/// Replaces `path` with `bytes` so that readers see the old or the new content, never a mix.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the path names no file"))?;
    let tmp = dir.join(format!(
        ".{}.tmp.{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        // Only the user can read it: the app keeps the parent's PIN hash in it.
        let mut file = {
            let mut options = fs::OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            options.open(&tmp)?
        };
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, path)?;
        #[cfg(unix)]
        fs::File::open(dir)?.sync_all()?;
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

fn message_without_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    text.strip_suffix(&suffix).unwrap_or(&text).to_string()
}

/// A named group of blocked sites.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleList {
    /// Shown to the parent, and on the block page as the reason.
    pub name: String,
    /// Switched off, the list blocks nothing (and is kept).
    #[serde(default = "switched_on")]
    pub enabled: bool,
    #[serde(default)]
    pub rules: Vec<Rule>,
    /// When the list is in force, in local time; none means always.
    #[serde(default)]
    pub schedule: Vec<Window>,
}

fn switched_on() -> bool {
    true
}

fn rule_lists<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<RuleList>, D::Error> {
    let lists = Vec::<RuleList>::deserialize(d)?;
    for (i, list) in lists.iter().enumerate() {
        let name = list.name.trim();
        if name.is_empty() {
            return Err(serde::de::Error::custom(format!("list {i} has no name")));
        }
        if lists[..i]
            .iter()
            .any(|other| other.name.trim().eq_ignore_ascii_case(name))
        {
            return Err(serde::de::Error::custom(format!(
                "two lists are named {name:?}"
            )));
        }
    }
    Ok(lists)
}

/// Which ports CONNECT may reach: `"any"` or a list such as `[443, 8443]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConnectPorts {
    Any,
    Only(Vec<u16>),
}

impl Default for ConnectPorts {
    fn default() -> Self {
        ConnectPorts::Only(vec![443])
    }
}

impl ConnectPorts {
    pub fn allows(&self, port: u16) -> bool {
        match self {
            ConnectPorts::Any => true,
            ConnectPorts::Only(ports) => ports.contains(&port),
        }
    }

    /// Parses the CLI form: `any` or a comma-separated list (`443,8443`).
    pub fn parse(text: &str) -> Result<ConnectPorts, Message> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("any") {
            return Ok(ConnectPorts::Any);
        }
        let mut ports = Vec::new();
        for part in text.split(',') {
            let part = part.trim();
            match part.parse::<u16>() {
                Ok(p) if p > 0 => {
                    if !ports.contains(&p) {
                        ports.push(p)
                    }
                }
                _ => {
                    return Err(
                        Message::new(&msg::PORTS_NOT_A_PORT).with("part", format!("{part:?}"))
                    )
                }
            }
        }
        Ok(ConnectPorts::Only(ports))
    }
}

impl fmt::Display for ConnectPorts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectPorts::Any => f.write_str("any"),
            ConnectPorts::Only(ports) => {
                let list: Vec<String> = ports.iter().map(u16::to_string).collect();
                f.write_str(&list.join(","))
            }
        }
    }
}

impl Serialize for ConnectPorts {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ConnectPorts::Any => s.serialize_str("any"),
            ConnectPorts::Only(ports) => ports.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for ConnectPorts {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Form {
            Word(String),
            List(Vec<u16>),
        }
        match Form::deserialize(d).map_err(|_| {
            serde::de::Error::custom("expected \"any\" or a list of ports such as [443, 8443]")
        })? {
            Form::Word(w) if w.eq_ignore_ascii_case("any") => Ok(ConnectPorts::Any),
            Form::Word(w) => Err(serde::de::Error::custom(format!(
                "expected \"any\" or a list of ports, found {w:?}"
            ))),
            Form::List(ports) if ports.contains(&0) => {
                Err(serde::de::Error::custom("port 0 cannot be a CONNECT port"))
            }
            Form::List(ports) => Ok(ConnectPorts::Only(ports)),
        }
    }
}

/// What bypasses the proxy unless the user says otherwise: this computer and plain host names.
pub fn default_bypass() -> Vec<String> {
    ["localhost", "127.0.0.0/8", "::1", "<local>"]
        .map(String::from)
        .to_vec()
}

/// Checks a bypass entry: what a system proxy setting and a PAC file can use.
pub fn check_bypass(entry: &str) -> Result<(), Message> {
    if entry.is_empty() {
        return Err(Message::new(&msg::BYPASS_EMPTY));
    }
    if entry.len() > 253 {
        return Err(Message::new(&msg::BYPASS_TOO_LONG));
    }
    if entry == "<local>" {
        return Ok(());
    }
    if let Some(bad) = entry
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "-._*:/[]".contains(*c)))
    {
        return Err(Message::new(&msg::BYPASS_BAD_CHAR).with("char", format!("{bad:?}")));
    }
    if let Some((net, _)) = entry.split_once('/') {
        crate::clients::ClientNet::parse(entry).map_err(|e| e.reason)?;
        if net.contains(':') {
            return Err(Message::new(&msg::BYPASS_IPV6_NET));
        }
    }
    Ok(())
}

fn bypass_entries<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let entries = Vec::<String>::deserialize(d)?;
    for entry in &entries {
        check_bypass(entry).map_err(|reason| {
            serde::de::Error::custom(format!("invalid bypass entry {entry:?}: {reason}"))
        })?;
    }
    Ok(entries)
}

/// What a timeout in seconds may be: 1 second to 1 day.
pub const TIMEOUT_SECS: std::ops::RangeInclusive<u64> = 1..=86_400;

/// An address and port (`127.0.0.1:12345`, `[::1]:8080`); a wrong one is named in the error.
fn socket_address<'de, D: Deserializer<'de>>(d: D) -> Result<SocketAddr, D::Error> {
    let text = String::deserialize(d)?;
    text.parse().map_err(|_| {
        serde::de::Error::custom(format!(
            "{text:?} is not an address and port (such as 127.0.0.1:12345 or [::1]:12345)"
        ))
    })
}

fn seconds<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let value = u64::deserialize(d)?;
    if TIMEOUT_SECS.contains(&value) {
        Ok(value)
    } else {
        Err(serde::de::Error::custom(format!(
            "{value} is out of range: expected 1 to 86400 seconds"
        )))
    }
}

fn in_range<'de, D: Deserializer<'de>>(
    d: D,
    range: std::ops::RangeInclusive<usize>,
    unit: &str,
) -> Result<usize, D::Error> {
    let value = usize::deserialize(d)?;
    if range.contains(&value) {
        Ok(value)
    } else {
        Err(serde::de::Error::custom(format!(
            "{value} is out of range: expected {} to {} {unit}",
            range.start(),
            range.end()
        )))
    }
}

fn head_bytes<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    in_range(d, 1024..=1 << 20, "bytes")
}

fn header_count<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    in_range(d, 8..=crate::http::HEADER_SLOTS, "header lines")
}

fn uri_bytes<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    in_range(d, 256..=1 << 20, "bytes")
}

fn positive<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    let value = usize::deserialize(d)?;
    if value == 0 {
        Err(serde::de::Error::custom(
            "0 is out of range: expected at least 1",
        ))
    } else {
        Ok(value)
    }
}

/// A config that could not be read or used.
#[derive(Debug)]
pub enum ConfigError {
    /// The file does not exist.
    NotFound(PathBuf),
    /// The file exists but could not be read or written.
    Io { path: PathBuf, source: io::Error },
    /// The text is not valid JSON or a value is wrong.
    Invalid(Invalid),
}

/// Where and why a config is invalid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// The file, when the text came from one.
    pub path: Option<PathBuf>,
    /// The field, as a path such as `block[2]`; none for JSON syntax errors.
    pub field: Option<String>,
    /// 1-based line of the error.
    pub line: usize,
    /// 1-based column of the error.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl ConfigError {
    fn in_file(self, path: &Path) -> ConfigError {
        match self {
            ConfigError::Invalid(mut inv) => {
                inv.path = Some(path.to_path_buf());
                ConfigError::Invalid(inv)
            }
            other => other,
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::NotFound(path) => {
                write!(f, "config file {} does not exist", path.display())
            }
            ConfigError::Io { path, source } => {
                write!(f, "config file {}: {source}", path.display())
            }
            ConfigError::Invalid(inv) => {
                match &inv.path {
                    Some(p) => write!(
                        f,
                        "config file {}:{}:{}: ",
                        p.display(),
                        inv.line,
                        inv.column
                    )?,
                    None => write!(f, "config line {} column {}: ", inv.line, inv.column)?,
                }
                match &inv.field {
                    Some(field) => write!(f, "{field}: {}", inv.message),
                    None => f.write_str(&inv.message),
                }
            }
        }
    }
}

impl std::error::Error for ConfigError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_object_gives_secure_defaults() {
        let c = Config::parse("{}").unwrap();
        assert_eq!(c, Config::default());
        assert_eq!(c.listen.to_string(), "127.0.0.1:12345");
        assert_eq!(c.connect_ports, ConnectPorts::Only(vec![443]));
        let clients: Vec<String> = c.allow_clients.iter().map(|n| n.to_string()).collect();
        assert_eq!(clients, ["127.0.0.0/8", "::1"]);
    }

    #[test]
    fn full_config_round_trips() {
        let text = r#"{
  "listen": "[::1]:8080",
  "block": ["example.com", "*.ads.net", "re:^track"],
  "lists": [{"name": "Social media", "rules": ["youtube.com"], "schedule": ["Mon-Fri 16:00-19:00"]}],
  "allow_only": true,
  "allowed_sites": ["wikipedia.org"],
  "allow_clients": ["192.168.1.0/24", "::1"],
  "connect_ports": "any",
  "timeout_secs": 5,
  "head_timeout_secs": 3,
  "idle_timeout_secs": 20,
  "max_connections": 10,
  "enabled": false,
  "system_proxy": true,
  "bypass": ["localhost", "*.lan", "10.0.0.0/8", "<local>"]
}"#;
        let c = Config::parse(text).unwrap();
        assert_eq!(c.listen.to_string(), "[::1]:8080");
        assert_eq!(c.connect_ports, ConnectPorts::Any);
        assert!(c.allow_only);
        assert_eq!(Config::parse(&c.to_json()).unwrap(), c);
    }

    #[test]
    fn bad_value_names_field_value_line_and_column() {
        let text = "{\n  \"block\": [\n    \"ok.com\",\n    \"bad..com\"\n  ]\n}";
        let err = Config::parse(text).unwrap_err();
        let ConfigError::Invalid(inv) = &err else {
            panic!("{err}")
        };
        assert_eq!(inv.field.as_deref(), Some("block[1]"));
        assert_eq!(inv.line, 4);
        assert!(inv.message.contains("bad..com"), "{err}");
        assert!(err.to_string().starts_with("config line 4 column"), "{err}");
    }

    #[test]
    fn syntax_error_gives_line_and_column() {
        let err = Config::parse("{\n  \"listen\": \"127.0.0.1:1\",\n  oops\n}").unwrap_err();
        let ConfigError::Invalid(inv) = err else {
            panic!()
        };
        assert_eq!((inv.line, inv.column), (3, 3));
        assert_eq!(inv.field, None);
    }

    #[test]
    fn wrong_types_and_ranges_are_reported_by_field() {
        for (text, field, needle) in [
            (
                r#"{"listen": "localhost"}"#,
                "listen",
                "\"localhost\" is not an address",
            ),
            (
                r#"{"listen": "127.0.0.1:99999"}"#,
                "listen",
                "\"127.0.0.1:99999\"",
            ),
            (r#"{"listen": 5}"#, "listen", "invalid type"),
            (r#"{"timeout_secs": 0}"#, "timeout_secs", "out of range"),
            (r#"{"timeout_secs": "5"}"#, "timeout_secs", "invalid type"),
            (
                r#"{"max_connections": 0}"#,
                "max_connections",
                "out of range",
            ),
            (r#"{"connect_ports": "some"}"#, "connect_ports", "expected"),
            (r#"{"connect_ports": [0]}"#, "connect_ports", "port 0"),
            (
                r#"{"allow_clients": ["10.0.0.0/40"]}"#,
                "allow_clients[0]",
                "prefix length",
            ),
            (r#"{"blok": []}"#, "", "unknown field `blok`"),
            (
                r#"{"lists": [{"name": "A", "rules": ["bad..x"]}]}"#,
                "lists[0].rules[0]",
                "bad..x",
            ),
            (
                r#"{"lists": [{"name": "A", "schedule": ["Mon 10:00"]}]}"#,
                "lists[0].schedule[0]",
                "time range",
            ),
            (
                r#"{"lists": [{"name": "A"}, {"name": "a"}]}"#,
                "lists",
                "two lists are named",
            ),
            (r#"{"lists": [{"name": " "}]}"#, "lists", "no name"),
            (
                r#"{"lists": [{"name": "A", "color": "red"}]}"#,
                "lists[0].color",
                "unknown field `color`",
            ),
            (r#"{"bypass": ["ok.lan", "bad host"]}"#, "bypass", "' '"),
            (r#"{"bypass": ["10.0.0.0/99"]}"#, "bypass", "prefix length"),
            (r#"{"bypass": ["fd00::/8"]}"#, "bypass", "IPv6 networks"),
            (r#"{"bypass": [""]}"#, "bypass", "empty"),
        ] {
            let err = Config::parse(text).unwrap_err();
            let ConfigError::Invalid(inv) = &err else {
                panic!("{err}")
            };
            if !field.is_empty() {
                assert_eq!(inv.field.as_deref(), Some(field), "{text}: {err}");
            }
            assert!(err.to_string().contains(needle), "{text}: {err}");
        }
    }

    #[test]
    fn trailing_garbage_is_an_error() {
        assert!(Config::parse("{} {}").is_err());
    }

    #[test]
    fn connect_ports_cli_form() {
        assert_eq!(ConnectPorts::parse("any").unwrap(), ConnectPorts::Any);
        assert_eq!(
            ConnectPorts::parse("443, 8443").unwrap(),
            ConnectPorts::Only(vec![443, 8443])
        );
        assert!(ConnectPorts::parse("0").is_err());
        assert!(ConnectPorts::parse("443,x").is_err());
        assert!(ConnectPorts::parse("").is_err());
        assert_eq!(ConnectPorts::Only(vec![443, 8443]).to_string(), "443,8443");
    }

    #[test]
    fn save_is_atomic_and_loads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/config.json");
        let mut c = Config {
            block: vec!["example.com".parse().unwrap()],
            ..Config::default()
        };
        c.save(&path).unwrap();
        assert_eq!(Config::load(&path).unwrap(), c);
        c.enabled = false;
        c.save(&path).unwrap();
        assert_eq!(Config::load(&path).unwrap(), c);
        let leftovers: Vec<_> = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers, ["config.json"]);
    }

    #[cfg(unix)]
    #[test]
    fn saved_config_is_readable_by_its_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        Config::default().save(&path).unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn the_apps_own_section_is_kept_as_it_is() {
        let text = r#"{"app": {"language": "zh-CN", "history": {"days": 30}, "future": [1, 2]}}"#;
        let config = Config::parse(text).unwrap();
        assert_eq!(config.app["language"], "zh-CN");
        let again = Config::parse(&config.to_json()).unwrap();
        assert_eq!(again.app, config.app);
        assert!(
            Config::parse(r#"{"app": []}"#).is_err(),
            "app must be an object"
        );
    }

    #[test]
    fn missing_file_is_not_found_and_broken_file_names_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        assert!(matches!(Config::load(&path), Err(ConfigError::NotFound(_))));
        fs::write(&path, "{\"listen\": 5}").unwrap();
        let err = Config::load(&path).unwrap_err().to_string();
        assert!(err.contains(&format!("{}:1:", path.display())), "{err}");
        assert!(err.contains("listen"), "{err}");
    }
}
