//! The client allowlist: which client addresses may use the proxy at all.
//!
//! Entries are IP addresses or CIDR networks, IPv4 and IPv6. IPv4-mapped IPv6 addresses (what a
//! dual-stack `[::]` listener reports for IPv4 peers) are treated as the IPv4 address they carry,
//! both in entries and in peers. The default is loopback only: Wicket is never an open proxy unless
//! someone lists a network on purpose.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

use crate::i18n::Message;
use crate::messages as msg;
use crate::rules::canonical_ip;

/// One allowlist entry: a network in canonical form (host bits cleared).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ClientNet(IpNet);

/// Why an allowlist entry could not be parsed; shown to the user as it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientNetError {
    pub input: String,
    pub reason: Message,
}

impl fmt::Display for ClientNetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid client address {:?}: {}",
            self.input, self.reason
        )
    }
}

impl std::error::Error for ClientNetError {}

impl ClientNet {
    /// `192.168.1.0/24`, `10.0.0.7`, `::1`, `fd00::/8`. Host bits after the prefix are cleared,
    /// so `192.168.1.5/24` means `192.168.1.0/24`.
    pub fn parse(input: &str) -> Result<ClientNet, ClientNetError> {
        let fail = |reason: Message| ClientNetError {
            input: input.to_string(),
            reason,
        };
        let text = input.trim();
        if text.is_empty() {
            return Err(fail(Message::new(&msg::CLIENT_EMPTY)));
        }
        let net = match text.split_once('/') {
            Some((addr, prefix)) => {
                let ip = parse_addr(addr).ok_or_else(|| {
                    fail(
                        Message::new(&msg::CLIENT_NOT_AN_ADDRESS)
                            .with("address", format!("{addr:?}")),
                    )
                })?;
                let len: u8 = prefix.parse().map_err(|_| {
                    fail(
                        Message::new(&msg::CLIENT_NOT_A_PREFIX)
                            .with("prefix", format!("{prefix:?}")),
                    )
                })?;
                IpNet::new(ip, len).map_err(|_| {
                    let max = if ip.is_ipv4() { 32 } else { 128 };
                    fail(Message::new(&msg::CLIENT_PREFIX_RANGE).with("max", max))
                })?
            }
            None => {
                let ip =
                    parse_addr(text).ok_or_else(|| fail(Message::new(&msg::CLIENT_EXPECTED)))?;
                IpNet::from(ip)
            }
        };
        Ok(ClientNet(canonical_net(net.trunc())))
    }

    /// Whether this network contains the (canonical) address.
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.contains(&ip)
    }

    /// Whether this entry is inside loopback (127.0.0.0/8 or ::1).
    pub fn is_loopback(&self) -> bool {
        match self.0 {
            IpNet::V4(n) => n.prefix_len() >= 8 && n.network().is_loopback(),
            IpNet::V6(n) => n.prefix_len() == 128 && n.network().is_loopback(),
        }
    }

    /// Whether this entry lets in every address of its family (0.0.0.0/0 or ::/0).
    pub fn is_everything(&self) -> bool {
        self.0.prefix_len() == 0
    }

    /// The default allowlist: loopback only.
    pub fn loopback() -> Vec<ClientNet> {
        vec![
            ClientNet(IpNet::V4(
                Ipv4Net::new(Ipv4Addr::new(127, 0, 0, 0), 8).unwrap_or_default(),
            )),
            ClientNet(IpNet::from(IpAddr::V6(Ipv6Addr::LOCALHOST))),
        ]
    }
}

fn parse_addr(text: &str) -> Option<IpAddr> {
    let inner = text
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .unwrap_or(text);
    inner.parse().ok()
}

/// `::ffff:a.b.c.d/n` (n >= 96) is the IPv4 network `a.b.c.d/(n-96)`.
fn canonical_net(net: IpNet) -> IpNet {
    if let IpNet::V6(v6) = net {
        if let Some(v4) = v6.network().to_ipv4_mapped() {
            if v6.prefix_len() >= 96 {
                if let Ok(n) = Ipv4Net::new(v4, v6.prefix_len() - 96) {
                    return IpNet::V4(n);
                }
            }
        }
    }
    net
}

impl fmt::Display for ClientNet {
    /// A single address prints without its `/32` or `/128`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.prefix_len() == self.0.max_prefix_len() {
            write!(f, "{}", self.0.addr())
        } else {
            write!(f, "{}", self.0)
        }
    }
}

impl FromStr for ClientNet {
    type Err = ClientNetError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ClientNet::parse(s)
    }
}

impl serde::Serialize for ClientNet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for ClientNet {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Failing inside `visit_str` lets serde_json report the position of this very string.
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = ClientNet;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<ClientNet, E> {
                ClientNet::parse(text).map_err(E::custom)
            }
        }
        d.deserialize_str(Visitor)
    }
}

/// The set of client networks allowed to use the proxy.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientAllowlist {
    v4: Vec<Ipv4Net>,
    v6: Vec<Ipv6Net>,
}

impl ClientAllowlist {
    pub fn new<'a>(nets: impl IntoIterator<Item = &'a ClientNet>) -> ClientAllowlist {
        let mut list = ClientAllowlist::default();
        for net in nets {
            match net.0 {
                IpNet::V4(n) => list.v4.push(n),
                IpNet::V6(n) => list.v6.push(n),
            }
        }
        list
    }

    /// Whether a client at `ip` may use the proxy.
    pub fn allows(&self, ip: IpAddr) -> bool {
        match canonical_ip(ip) {
            IpAddr::V4(v4) => self.v4.iter().any(|n| n.contains(&v4)),
            IpAddr::V6(v6) => self.v6.iter().any(|n| n.contains(&v6)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(entries: &[&str]) -> ClientAllowlist {
        let nets: Vec<ClientNet> = entries.iter().map(|e| e.parse().unwrap()).collect();
        ClientAllowlist::new(&nets)
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ipv4_cidr_contains_its_addresses_only() {
        let l = list(&["192.168.1.0/24"]);
        assert!(l.allows(ip("192.168.1.1")));
        assert!(l.allows(ip("192.168.1.255")));
        assert!(!l.allows(ip("192.168.2.1")));
        assert!(!l.allows(ip("10.0.0.1")));
    }

    #[test]
    fn ipv6_cidr_contains_its_addresses_only() {
        let l = list(&["fd00:1234::/32"]);
        assert!(l.allows(ip("fd00:1234::5")));
        assert!(!l.allows(ip("fd00:1235::5")));
        assert!(!l.allows(ip("::1")));
    }

    #[test]
    fn ipv4_mapped_peers_are_treated_as_ipv4() {
        let l = list(&["10.1.0.0/16"]);
        assert!(l.allows(ip("::ffff:10.1.2.3")));
        assert!(!l.allows(ip("::ffff:10.2.2.3")));
        let mapped_entry = list(&["::ffff:10.1.0.0/112"]);
        assert!(mapped_entry.allows(ip("10.1.2.3")));
    }

    #[test]
    fn default_is_loopback_only() {
        let l = ClientAllowlist::new(&ClientNet::loopback());
        assert!(l.allows(ip("127.0.0.1")));
        assert!(l.allows(ip("127.9.9.9")));
        assert!(l.allows(ip("::1")));
        assert!(l.allows(ip("::ffff:127.0.0.1")));
        assert!(!l.allows(ip("192.168.1.10")));
        assert!(!l.allows(ip("::2")));
    }

    #[test]
    fn entries_are_canonical() {
        let c = |s: &str| ClientNet::parse(s).unwrap().to_string();
        assert_eq!(c("192.168.1.77/24"), "192.168.1.0/24");
        assert_eq!(c("10.0.0.7"), "10.0.0.7");
        assert_eq!(c("10.0.0.7/32"), "10.0.0.7");
        assert_eq!(c("[::1]"), "::1");
        assert_eq!(c("2001:DB8::1/32"), "2001:db8::/32");
        assert_eq!(c(" 0.0.0.0/0 "), "0.0.0.0/0");
    }

    #[test]
    fn invalid_entries_are_refused_with_a_reason() {
        for (input, needle) in [
            ("", "empty"),
            ("192.168.1.0/33", "0 to 32"),
            ("::/129", "0 to 128"),
            ("192.168.1/24", "not an IPv4"),
            ("example.com", "expected an IP"),
            ("10.0.0.0/x", "prefix length"),
            ("300.1.1.1", "expected an IP"),
        ] {
            let err = ClientNet::parse(input).expect_err(input);
            assert!(err.to_string().contains(needle), "{input:?}: {err}");
        }
    }

    #[test]
    fn loopback_and_everything_are_recognised() {
        let n = |s: &str| ClientNet::parse(s).unwrap();
        assert!(n("127.0.0.1").is_loopback());
        assert!(n("::1").is_loopback());
        assert!(!n("0.0.0.0/0").is_loopback());
        assert!(n("0.0.0.0/0").is_everything());
        assert!(n("::/0").is_everything());
        assert!(!n("192.168.0.0/16").is_everything());
    }
}
