//! The access policy: who may use the proxy, and which sites they may reach.
//!
//! A `Policy` is immutable; the engine swaps in a new one when rules change, so a request sees
//! one consistent set of rules from start to end and open connections are never disturbed.

use std::net::IpAddr;

use crate::clients::ClientAllowlist;
use crate::config::Config;
use crate::rules::{Matched, RuleSet};

/// The compiled rules.
#[derive(Clone, Debug, Default)]
pub struct Policy {
    /// Sites refused with 403.
    pub blocklist: RuleSet,
    /// In allow-only mode, the only sites that can be reached.
    pub allow_only: Option<RuleSet>,
    /// Client networks that may use the proxy.
    pub clients: ClientAllowlist,
}

/// The policy's answer for one host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision<'a> {
    /// The request may go ahead.
    Pass,
    /// A blocklist rule matches.
    Blocked(Matched<'a>),
    /// Allow-only mode is on and no allowed site matches.
    NotAllowed,
}

impl Policy {
    pub fn from_config(config: &Config) -> Policy {
        Policy {
            blocklist: RuleSet::new(config.block.iter().cloned()),
            allow_only: config
                .allow_only
                .then(|| RuleSet::new(config.allowed_sites.iter().cloned())),
            clients: ClientAllowlist::new(&config.allow_clients),
        }
    }

    /// Decides for a normalized host (see `rules::normalize_host`). The blocklist wins over the
    /// allow-only list, so blocking a subdomain of an allowed site works.
    pub fn decide(&self, host: &str) -> Decision<'_> {
        if let Some(rule) = self.blocklist.matches(host) {
            return Decision::Blocked(rule);
        }
        match &self.allow_only {
            Some(allowed) if allowed.matches(host).is_none() => Decision::NotAllowed,
            _ => Decision::Pass,
        }
    }

    pub fn allows_client(&self, ip: IpAddr) -> bool {
        self.clients.allows(ip)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(json: &str) -> Policy {
        Policy::from_config(&Config::parse(json).unwrap())
    }

    #[test]
    fn blocklist_decides_by_rule() {
        let p = policy(r#"{"block": ["example.com"]}"#);
        assert!(matches!(p.decide("www.example.com"), Decision::Blocked(_)));
        assert_eq!(p.decide("notexample.com"), Decision::Pass);
    }

    #[test]
    fn allow_only_passes_listed_sites_only_and_blocklist_still_wins() {
        let p = policy(
            r#"{"allow_only": true, "allowed_sites": ["wikipedia.org"], "block": ["evil.wikipedia.org"]}"#,
        );
        assert_eq!(p.decide("en.wikipedia.org"), Decision::Pass);
        assert_eq!(p.decide("example.com"), Decision::NotAllowed);
        assert!(matches!(
            p.decide("evil.wikipedia.org"),
            Decision::Blocked(_)
        ));
    }

    #[test]
    fn allow_only_off_ignores_the_allowed_list() {
        let p = policy(r#"{"allow_only": false, "allowed_sites": ["wikipedia.org"]}"#);
        assert_eq!(p.decide("example.com"), Decision::Pass);
    }
}
