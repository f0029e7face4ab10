//! The listener: accepts clients under a connection limit and runs one task per connection,
//! with graceful shutdown.
//!
//! The limit is a semaphore acquired *before* `accept`, so clients beyond it wait in the
//! kernel's backlog instead of being accepted and starved. Shutdown has two steps: `shutdown`
//! stops accepting and lets connections finish the request they are in (idle keep-alive
//! connections close at once); `hard` then ends whatever is still running.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arc_swap::ArcSwap;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::{Config, ConnectPorts};
use crate::conn;
use crate::policy::Policy;
use crate::stats::Hub;
use crate::upstream::{Pool, SelfAddr};

/// Knobs that apply to each request; swapped as a whole when the config changes.
#[derive(Clone, Debug)]
pub struct Settings {
    pub connect_ports: ConnectPorts,
    /// Upstream connect and response-head deadline.
    pub timeout: Duration,
    /// Time a client has to finish a request head it has started.
    pub head_timeout: Duration,
    /// Time an idle keep-alive client connection is kept, and the longest pause in a request body.
    pub idle_timeout: Duration,
    /// What the PAC file sends direct.
    pub bypass: Vec<String>,
    /// What a request head may be.
    pub limits: crate::http::Limits,
    /// Connections one client address may hold.
    pub per_client: usize,
    /// Time a tunnel may carry nothing before it is closed.
    pub tunnel_idle: Duration,
    /// Idle upstream connections kept per host and in all.
    pub pool_per_host: usize,
    pub pool_total: usize,
}

impl Settings {
    pub fn from_config(config: &Config) -> Settings {
        Settings {
            connect_ports: config.connect_ports.clone(),
            timeout: Duration::from_secs(config.timeout_secs),
            head_timeout: Duration::from_secs(config.head_timeout_secs),
            idle_timeout: Duration::from_secs(config.idle_timeout_secs),
            bypass: config.bypass.clone(),
            limits: crate::http::Limits {
                head_bytes: config.max_head_bytes,
                headers: config.max_headers,
                uri_bytes: config.max_uri_bytes,
            },
            per_client: config.max_connections_per_client,
            tunnel_idle: Duration::from_secs(config.tunnel_idle_timeout_secs),
            pool_per_host: config.max_idle_per_host,
            pool_total: config.max_idle_total,
        }
    }
}

/// State shared by the engine and every connection task.
pub struct Shared {
    /// The current rules; replaced whole, read once per request.
    pub policy: ArcSwap<Policy>,
    pub settings: ArcSwap<Settings>,
    pub hub: Arc<Hub>,
    pub pool: Pool,
    /// Open connections by client address, for the per-client limit.
    pub per_client: Mutex<HashMap<IpAddr, usize>>,
}

/// What one connection task needs to know about the listener it came from.
#[derive(Clone)]
pub struct Listener {
    pub own: SelfAddr,
    /// Cancelled when the listener stops: finish the current request, then close.
    pub shutdown: CancellationToken,
}

/// Accepts connections until `listener.shutdown` is cancelled.
pub async fn accept_loop(
    socket: TcpListener,
    shared: Arc<Shared>,
    listener: Listener,
    limit: Arc<Semaphore>,
    hard: CancellationToken,
    tracker: TaskTracker,
) {
    let shutdown = listener.shutdown.clone();
    let mut backoff = Duration::from_millis(10);
    loop {
        let permit = tokio::select! {
            permit = limit.clone().acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => return,
            },
            _ = shutdown.cancelled() => return,
        };
        let accepted = tokio::select! {
            accepted = socket.accept() => accepted,
            _ = shutdown.cancelled() => return,
        };
        match accepted {
            Ok((stream, peer)) => {
                backoff = Duration::from_millis(10);
                let shared = shared.clone();
                let listener = listener.clone();
                let hard = hard.clone();
                tracker.spawn(async move {
                    tokio::select! {
                        _ = conn::serve(stream, peer, &shared, &listener) => {}
                        _ = hard.cancelled() => {}
                    }
                    drop(permit);
                });
            }
            Err(e) if is_per_connection(&e) => continue,
            Err(e) => {
                // Out of file descriptors or similar: waiting lets connections end and free them.
                log::warn!("accepting a connection failed: {e}; retrying in {backoff:?}");
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {}
                    _ = shutdown.cancelled() => return,
                }
                backoff = (backoff * 2).min(Duration::from_secs(1));
            }
        }
    }
}

/// Errors about one connection that went away before it was accepted.
fn is_per_connection(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        e.kind(),
        ConnectionAborted | ConnectionReset | ConnectionRefused | Interrupted
    )
}
