//! The access policy: who may use the proxy, and which sites they may reach.
//!
//! A `Policy` is immutable; the engine swaps in a new one when rules change, so a request sees
//! one consistent set of rules from start to end and open connections are never disturbed.

use std::net::IpAddr;

use crate::clients::ClientAllowlist;
use crate::config::Config;
use crate::rules::{Matched, RuleSet};
use crate::schedule::{in_force, WeekTime};

/// The compiled rules.
#[derive(Clone, Debug, Default)]
pub struct Policy {
    /// Sites refused with 403.
    pub blocklist: RuleSet,
    /// The named lists in force when the policy was built (switched on, inside their schedule).
    pub lists: Vec<ListInForce>,
    /// Every named list and whether it is in force, in config order (for the dashboard).
    pub lists_now: Vec<ListNow>,
    /// In allow-only mode, the only sites that can be reached.
    pub allow_only: Option<RuleSet>,
    /// Client networks that may use the proxy.
    pub clients: ClientAllowlist,
}

/// A named list that is in force.
#[derive(Clone, Debug)]
pub struct ListInForce {
    pub name: Box<str>,
    pub rules: RuleSet,
}

/// A named list's state at the time the policy was built.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ListNow {
    pub name: String,
    /// Switched on by the user.
    pub enabled: bool,
    /// Switched on and inside its schedule: blocking now.
    pub in_force: bool,
}

/// The policy's answer for one host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision<'a> {
    /// The request may go ahead.
    Pass,
    /// A rule matches: of the blocklist (`None`), or of the named list.
    Blocked(Matched<'a>, Option<&'a str>),
    /// Allow-only mode is on and no allowed site matches.
    NotAllowed,
}

impl Policy {
    /// The policy for `config` now, in local time.
    pub fn from_config(config: &Config) -> Policy {
        Policy::at(config, WeekTime::now())
    }

    /// The policy for `config` at a given moment (schedules decide which lists are in force).
    pub fn at(config: &Config, now: WeekTime) -> Policy {
        let lists_now: Vec<ListNow> = config
            .lists
            .iter()
            .map(|l| ListNow {
                name: l.name.clone(),
                enabled: l.enabled,
                in_force: l.enabled && in_force(&l.schedule, now),
            })
            .collect();
        Policy {
            blocklist: RuleSet::new(config.block.iter().cloned()),
            lists: config
                .lists
                .iter()
                .zip(&lists_now)
                .filter(|(list, now)| now.in_force && !list.rules.is_empty())
                .map(|(list, _)| ListInForce {
                    name: list.name.as_str().into(),
                    rules: RuleSet::new(list.rules.iter().cloned()),
                })
                .collect(),
            lists_now,
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
            return Decision::Blocked(rule, None);
        }
        for list in &self.lists {
            if let Some(rule) = list.rules.matches(host) {
                return Decision::Blocked(rule, Some(&list.name));
            }
        }
        match &self.allow_only {
            Some(allowed) if allowed.matches(host).is_none() => Decision::NotAllowed,
            _ => Decision::Pass,
        }
    }

    pub fn allows_client(&self, ip: IpAddr) -> bool {
        self.clients.allows(ip)
    }

    /// Which lists are in force, as a comparable key: a new policy is due when it changes.
    pub fn lists_key(config: &Config, now: WeekTime) -> Vec<bool> {
        config
            .lists
            .iter()
            .map(|l| l.enabled && in_force(&l.schedule, now))
            .collect()
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
        assert!(matches!(
            p.decide("www.example.com"),
            Decision::Blocked(_, None)
        ));
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
            Decision::Blocked(..)
        ));
    }

    fn at(day: u8, hour: u16) -> WeekTime {
        WeekTime {
            weekday: day,
            minute: hour * 60,
        }
    }

    #[test]
    fn a_scheduled_list_blocks_only_inside_its_windows() {
        let config = Config::parse(
            r#"{"lists": [{"name": "Social media", "rules": ["youtube.com", "tiktok.com"],
                "schedule": ["Mon-Fri 16:00-19:00", "every day after 21:00"]}]}"#,
        )
        .unwrap();
        let tuesday_5pm = Policy::at(&config, at(1, 17));
        match tuesday_5pm.decide("www.youtube.com") {
            Decision::Blocked(rule, list) => {
                assert_eq!(rule.to_string(), "youtube.com");
                assert_eq!(list, Some("Social media"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            Policy::at(&config, at(1, 15)).decide("youtube.com"),
            Decision::Pass
        );
        assert_eq!(
            Policy::at(&config, at(5, 17)).decide("youtube.com"),
            Decision::Pass,
            "Saturday afternoon"
        );
        assert!(matches!(
            Policy::at(&config, at(5, 22)).decide("tiktok.com"),
            Decision::Blocked(..)
        ));
        assert_eq!(
            tuesday_5pm.lists_now,
            [ListNow {
                name: "Social media".into(),
                enabled: true,
                in_force: true
            }]
        );
        assert_ne!(
            Policy::lists_key(&config, at(1, 17)),
            Policy::lists_key(&config, at(1, 15))
        );
    }

    #[test]
    fn a_list_switched_off_blocks_nothing_and_one_without_schedule_always_blocks() {
        let config = Config::parse(
            r#"{"lists": [{"name": "Ads", "rules": ["ads.example"]},
                          {"name": "Games", "enabled": false, "rules": ["games.example"]}]}"#,
        )
        .unwrap();
        let p = Policy::at(&config, at(3, 3));
        assert!(matches!(
            p.decide("x.ads.example"),
            Decision::Blocked(_, Some("Ads"))
        ));
        assert_eq!(p.decide("games.example"), Decision::Pass);
        assert_eq!(
            p.lists_now[1],
            ListNow {
                name: "Games".into(),
                enabled: false,
                in_force: false
            }
        );
    }

    #[test]
    fn allow_only_off_ignores_the_allowed_list() {
        let p = policy(r#"{"allow_only": false, "allowed_sites": ["wikipedia.org"]}"#);
        assert_eq!(p.decide("example.com"), Decision::Pass);
    }
}
