//! Wicket: a personal forwarding proxy for HTTP/1.1 and HTTPS (CONNECT), with a blocklist,
//! a client allowlist, and live statistics.
//!
//! This crate is the engine and the headless `wicket` command; the desktop app (`src-tauri/`)
//! drives the same [`Engine`]. One file per concept:
//!
//! - [`engine`]: the API: start, stop, apply a config live, subscribe to events, read stats;
//! - [`server`]: the listener, the connection limit, graceful shutdown;
//! - [`conn`]: one client connection, request after request, through the policy;
//! - [`forward`] and [`tunnel`]: plain HTTP forwarding and CONNECT tunnels;
//! - [`upstream`]: name lookup, connecting with a deadline, the idle connection pool;
//! - [`splice`]: zero-copy relaying between sockets on Linux (tunnels, large bodies);
//! - [`http`]: request and response heads, body framing, streaming bodies;
//! - [`rules`], [`clients`], [`policy`]: site rules, the client allowlist, and their verdicts;
//! - [`schedule`]: when a named list is in force; [`import`]: reading published blocklists;
//! - [`config`]: the JSON config file; [`stats`]: counters and events;
//! - [`pages`]: the pages Wicket answers with itself, in the languages of [`i18n`];
//!   [`messages`]: the sentences it says elsewhere (refused entries, listen failures), in them too;
//!   [`error`]: error kinds and status codes;
//! - [`accesslog`]: one log line per request, as the CLI prints them; [`sys`]: OS limits;
//! - [`sysproxy`]: the OS proxy settings pointed at Wicket, and the user's own given back.

pub mod accesslog;
pub mod clients;
pub mod config;
pub mod conn;
pub mod engine;
pub mod error;
pub mod forward;
pub mod http;
pub mod i18n;
pub mod import;
pub mod messages;
pub mod pages;
pub mod policy;
pub mod rules;
pub mod schedule;
pub mod server;
pub mod splice;
pub mod stats;
pub mod sys;
pub mod sysproxy;
pub mod tunnel;
pub mod upstream;

pub use clients::{ClientAllowlist, ClientNet};
pub use config::{Config, ConfigError, ConnectPorts};
pub use engine::{Engine, EngineState, StartError};
pub use error::{ErrorKind, ProxyError};
pub use i18n::{Lang, Message};
pub use policy::{Decision, Policy};
pub use rules::{Rule, RuleSet};
pub use stats::{Event, RequestRecord, StatsSnapshot, Verdict};
