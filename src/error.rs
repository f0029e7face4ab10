//! What can go wrong with a request, as a kind (which decides the status code and the counter)
//! plus a detail for the page (in the reader's language) and the log (in English).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::i18n::Message;

/// The kinds of failure the proxy tells apart; each has its own counter in the stats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// Malformed request line, header or framing (400).
    BadRequest,
    /// Request head over the size or header-count limit (431).
    HeadTooLarge,
    /// Request target longer than the limit (414).
    UriTooLong,
    /// The client already has as many connections open as one client may (503).
    TooManyConnections,
    /// The client did not finish its request head in time (408).
    ClientTimeout,
    /// A scheme other than http in an absolute-form target (501).
    UnsupportedScheme,
    /// A request meant for the proxy itself rather than through it (400).
    NotProxied,
    /// CONNECT to a port that is not allowed (403).
    PortNotAllowed,
    /// The upstream host name did not resolve (502).
    DnsFailed,
    /// The upstream refused or reset the connection (502).
    UpstreamRefused,
    /// The upstream did not accept the connection or answer in time (504).
    UpstreamTimeout,
    /// The upstream sent something that is not a valid HTTP response (502).
    BadResponse,
    /// The client went away mid-request or mid-response (no status can be sent).
    ClientAborted,
    /// The upstream went away mid-response (the client sees a truncated message).
    UpstreamAborted,
    /// A tunnel carried nothing either way for the tunnel idle timeout and was closed.
    TunnelIdle,
}

impl ErrorKind {
    /// Every kind, in the order the stats list them.
    pub const ALL: [ErrorKind; 15] = [
        ErrorKind::BadRequest,
        ErrorKind::HeadTooLarge,
        ErrorKind::UriTooLong,
        ErrorKind::TooManyConnections,
        ErrorKind::ClientTimeout,
        ErrorKind::UnsupportedScheme,
        ErrorKind::NotProxied,
        ErrorKind::PortNotAllowed,
        ErrorKind::DnsFailed,
        ErrorKind::UpstreamRefused,
        ErrorKind::UpstreamTimeout,
        ErrorKind::BadResponse,
        ErrorKind::ClientAborted,
        ErrorKind::UpstreamAborted,
        ErrorKind::TunnelIdle,
    ];

    /// The status code sent for this kind, when a response can still be sent.
    pub fn status(self) -> u16 {
        match self {
            ErrorKind::BadRequest | ErrorKind::NotProxied => 400,
            ErrorKind::HeadTooLarge => 431,
            ErrorKind::UriTooLong => 414,
            ErrorKind::TooManyConnections => 503,
            ErrorKind::ClientTimeout => 408,
            ErrorKind::UnsupportedScheme => 501,
            ErrorKind::PortNotAllowed => 403,
            ErrorKind::DnsFailed | ErrorKind::UpstreamRefused | ErrorKind::BadResponse => 502,
            ErrorKind::UpstreamTimeout => 504,
            ErrorKind::ClientAborted | ErrorKind::UpstreamAborted | ErrorKind::TunnelIdle => 0,
        }
    }

    /// Index into counter arrays.
    pub fn index(self) -> usize {
        ErrorKind::ALL.iter().position(|k| *k == self).unwrap_or(0)
    }

    /// The snake_case name used in JSON and logs.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::BadRequest => "bad_request",
            ErrorKind::HeadTooLarge => "head_too_large",
            ErrorKind::UriTooLong => "uri_too_long",
            ErrorKind::TooManyConnections => "too_many_connections",
            ErrorKind::ClientTimeout => "client_timeout",
            ErrorKind::UnsupportedScheme => "unsupported_scheme",
            ErrorKind::NotProxied => "not_proxied",
            ErrorKind::PortNotAllowed => "port_not_allowed",
            ErrorKind::DnsFailed => "dns_failed",
            ErrorKind::UpstreamRefused => "upstream_refused",
            ErrorKind::UpstreamTimeout => "upstream_timeout",
            ErrorKind::BadResponse => "bad_response",
            ErrorKind::ClientAborted => "client_aborted",
            ErrorKind::UpstreamAborted => "upstream_aborted",
            ErrorKind::TunnelIdle => "tunnel_idle",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A failed request: the kind, and a sentence for the error page and the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxyError {
    pub kind: ErrorKind,
    /// What exactly went wrong, from the engine catalogue ([`crate::messages`]): the page says
    /// it in the reader's language, `Display` and the log in English.
    pub detail: Message,
}

impl ProxyError {
    /// `detail` is a catalogue entry (`&messages::SITE_CLOSED_EARLY`) or a [`Message`] with its
    /// values.
    pub fn new(kind: ErrorKind, detail: impl Into<Message>) -> ProxyError {
        ProxyError {
            kind,
            detail: detail.into(),
        }
    }

    pub fn bad_request(detail: impl Into<Message>) -> ProxyError {
        ProxyError::new(ErrorKind::BadRequest, detail)
    }
}

impl fmt::Display for ProxyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.detail)
    }
}

impl std::error::Error for ProxyError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_index_and_name() {
        for (i, kind) in ErrorKind::ALL.iter().enumerate() {
            assert_eq!(kind.index(), i);
            let json = serde_json::to_string(kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.name()));
        }
    }
}
