//! Client allowlist entries: parsing, printing, and which addresses an entry contains.
//!
//! Input: 17 bytes that make the client address to check (the first byte picks IPv4, IPv6 or
//! IPv4-mapped IPv6), then lines of text, each an allowlist entry.
//! Invariants:
//! - `ClientNet::parse` never panics, and accepts every address with an optional prefix;
//! - a parsed entry prints as text that parses back to an equal entry;
//! - `contains` and `ClientAllowlist::allows` agree with a reference written here with plain
//!   bit masks: the entry's address and prefix as typed, host bits cleared, IPv4-mapped
//!   networks (prefix 96 or more) taken as IPv4, clients' IPv4-mapped addresses taken as IPv4.
#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use libfuzzer_sys::fuzz_target;
use wicket::clients::{ClientAllowlist, ClientNet};
use wicket::rules::canonical_ip;

fuzz_target!(|data: &[u8]| {
    if data.len() < 17 {
        return;
    }
    let (ip_bytes, rest) = data.split_at(17);
    let mut v6 = [0u8; 16];
    v6.copy_from_slice(&ip_bytes[1..]);
    let client = match ip_bytes[0] % 3 {
        0 => IpAddr::V4(Ipv4Addr::new(v6[0], v6[1], v6[2], v6[3])),
        1 => IpAddr::V6(Ipv6Addr::from(v6)),
        _ => IpAddr::V6(Ipv4Addr::new(v6[0], v6[1], v6[2], v6[3]).to_ipv6_mapped()),
    };
    let text = String::from_utf8_lossy(rest);

    let mut nets = Vec::new();
    let mut expected_allowed = false;
    for line in text.split('\n') {
        let Ok(net) = ClientNet::parse(line) else {
            assert!(reference(line).is_none(), "{line:?} refused");
            continue;
        };
        let printed = net.to_string();
        let again = ClientNet::parse(&printed)
            .unwrap_or_else(|e| panic!("{printed:?} (from {line:?}) does not parse back: {e}"));
        assert_eq!(again, net, "{printed:?} parses to another entry");
        assert_eq!(again.to_string(), printed);

        let (net_bits, prefix, v4) = reference(line)
            .unwrap_or_else(|| panic!("{line:?} parsed as {printed:?} but is no IP/prefix"));
        let canonical = canonical_ip(client);
        let expected = match canonical {
            IpAddr::V4(a) => v4 && within(u128::from(u32::from(a)), net_bits, prefix, 32),
            IpAddr::V6(a) => !v4 && within(u128::from(a), net_bits, prefix, 128),
        };
        assert_eq!(
            net.contains(canonical),
            expected,
            "{line:?} ({printed}) contains {canonical}?"
        );
        expected_allowed |= expected;
        nets.push(net);
    }
    let list = ClientAllowlist::new(&nets);
    assert_eq!(
        list.allows(client),
        expected_allowed,
        "allowlist {nets:?} allows {client}?"
    );
});

/// Whether `address` is inside the network `net`/`prefix` of a `width`-bit family.
fn within(address: u128, net: u128, prefix: u8, width: u32) -> bool {
    let prefix = u32::from(prefix);
    if prefix == 0 {
        return true;
    }
    let shift = width - prefix;
    (address >> shift) == (net >> shift)
}

/// The entry as (network bits, prefix, is IPv4), from the text alone.
fn reference(line: &str) -> Option<(u128, u8, bool)> {
    let text = line.trim();
    let (addr, prefix) = match text.split_once('/') {
        Some((a, p)) => (a, Some(p.parse::<u8>().ok()?)),
        None => (text, None),
    };
    let addr = addr
        .strip_prefix('[')
        .and_then(|a| a.strip_suffix(']'))
        .unwrap_or(addr);
    match addr.parse::<IpAddr>().ok()? {
        IpAddr::V4(a) => {
            let prefix = prefix.unwrap_or(32);
            (prefix <= 32).then(|| (u128::from(u32::from(a)), prefix, true))
        }
        IpAddr::V6(a) => {
            let prefix = prefix.unwrap_or(128);
            if prefix > 128 {
                return None;
            }
            let bits = u128::from(a);
            let mapped_net = (bits >> 32) == 0xffff;
            if prefix >= 96 && mapped_net {
                Some((bits & 0xffff_ffff, prefix - 96, true))
            } else {
                Some((bits, prefix, false))
            }
        }
    }
}
