//! macOS: the web (HTTP) and secure web (HTTPS) proxies and the bypass list of every enabled
//! network service, through `networksetup`.
//!
//! Keys are `<service>: web`, `<service>: secure web` and `<service>: bypass`. A proxy's value
//! is `Yes host:port` or `No host:port` (`networksetup -getwebproxy`'s Enabled, Server, Port);
//! the bypass list is one entry per line. networksetup cannot empty a proxy's server field, so a
//! proxy that had no server is restored as off with Wicket's address left in the (unused)
//! field, and that counts as restored.

use super::plan::{Setting, Settings};
use super::tool::Tools;
use super::{Error, Target};
use crate::i18n::Message;
use crate::messages as msg;

const PROGRAM: &str = "networksetup";
const PACKAGE: &str = "part of macOS";
const WEB: &str = ": web";
const SECURE: &str = ": secure web";
const BYPASS: &str = ": bypass";

/// The keys for `services`, in the order they are written to switch the proxy on: the bypass
/// list before the proxies, which networksetup turns on as it sets them.
pub fn keys(services: &[String]) -> Vec<String> {
    services
        .iter()
        .flat_map(|s| {
            [
                format!("{s}{BYPASS}"),
                format!("{s}{SECURE}"),
                format!("{s}{WEB}"),
            ]
        })
        .collect()
}

/// What Wicket wants in each key of `snapshot`, and remarks on what macOS cannot take.
pub fn wanted(target: &Target, snapshot: &[Setting]) -> (Settings, Vec<Message>) {
    let mut notes = Vec::new();
    let bypass: Vec<&str> = target
        .bypass
        .iter()
        .map(String::as_str)
        .filter(|e| {
            if *e == "<local>" {
                notes.push(Message::new(&msg::MACOS_NO_LOCAL));
                false
            } else {
                true
            }
        })
        .collect();
    let proxy = format!("Yes {}:{}", target.host, target.port);
    let settings = snapshot
        .iter()
        .map(|s| {
            let value = if s.key.ends_with(BYPASS) {
                bypass.join("\n")
            } else {
                proxy.clone()
            };
            Setting::new(s.key.as_str(), Some(&value))
        })
        .collect();
    (settings, notes)
}

/// A disabled proxy without a server reads back with whatever server the field keeps.
pub fn same(key: &str, wanted: Option<&str>, found: Option<&str>) -> bool {
    if wanted == found {
        return true;
    }
    let serverless_off = wanted
        .and_then(|w| w.strip_prefix("No "))
        .is_some_and(|rest| rest.starts_with(':'));
    !key.ends_with(BYPASS) && serverless_off && found.is_some_and(|f| f.starts_with("No "))
}

/// The enabled services in `networksetup -listallnetworkservices` (disabled ones start with `*`).
pub fn parse_services(text: &str) -> Vec<String> {
    text.lines()
        .skip_while(|l| l.starts_with("An asterisk"))
        .map(str::trim_end)
        .filter(|l| !l.is_empty() && !l.starts_with('*'))
        .map(str::to_string)
        .collect()
}

/// `Yes host:port` from `networksetup -getwebproxy`'s lines.
pub fn parse_proxy(text: &str) -> Result<String, Error> {
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.trim().to_string())
    };
    match (field("Enabled:"), field("Server:"), field("Port:")) {
        (Some(enabled), Some(server), Some(port)) => Ok(format!("{enabled} {server}:{port}")),
        _ => Err(Error::failed(format!(
            "networksetup printed an unexpected proxy description: {}",
            text.trim()
        ))),
    }
}

/// The bypass list from `networksetup -getproxybypassdomains`, one entry per line.
pub fn parse_bypass(text: &str) -> String {
    if text.starts_with("There aren't any bypass domains") {
        return String::new();
    }
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The settings through `networksetup`.
pub struct Networksetup<'a> {
    pub tools: &'a Tools,
}

impl Networksetup<'_> {
    /// networksetup says some errors on stdout with a success status.
    fn run(&self, args: &[&str]) -> Result<String, Error> {
        let out = self.tools.run(PROGRAM, args, PACKAGE)?;
        if out.contains("** Error") || out.contains("is not a recognized network service") {
            return Err(Error::failed(format!(
                "{} failed: {}",
                super::tool::shown(PROGRAM, args),
                out.trim()
            )));
        }
        Ok(out)
    }

    pub fn services(&self) -> Result<Vec<String>, Error> {
        Ok(parse_services(&self.run(&["-listallnetworkservices"])?))
    }

    /// Reads `keys`; a service that no longer exists reads as not set (restoring leaves it).
    pub fn read(&self, keys: &[String]) -> Result<Settings, Error> {
        let present = self.services()?;
        keys.iter()
            .map(|key| {
                let (service, what) = split(key)?;
                if !present.iter().any(|s| s == service) {
                    return Ok(Setting::new(key.as_str(), None));
                }
                let value = match what {
                    WEB => parse_proxy(&self.run(&["-getwebproxy", service])?)?,
                    SECURE => parse_proxy(&self.run(&["-getsecurewebproxy", service])?)?,
                    _ => parse_bypass(&self.run(&["-getproxybypassdomains", service])?),
                };
                Ok(Setting::new(key.as_str(), Some(&value)))
            })
            .collect()
    }

    pub fn write(&self, key: &str, value: Option<&str>) -> Result<(), Error> {
        let (service, what) = split(key)?;
        let value = value.unwrap_or_default();
        if what == BYPASS {
            let mut args = vec!["-setproxybypassdomains", service];
            let entries: Vec<&str> = value.lines().filter(|l| !l.is_empty()).collect();
            if entries.is_empty() {
                args.push("Empty");
            } else {
                args.extend(entries);
            }
            self.run(&args)?;
            return Ok(());
        }
        let (set, state) = if what == WEB {
            ("-setwebproxy", "-setwebproxystate")
        } else {
            ("-setsecurewebproxy", "-setsecurewebproxystate")
        };
        let (enabled, address) = value
            .split_once(' ')
            .ok_or_else(|| Error::failed(format!("{value:?} is not a proxy for {key}")))?;
        let (host, port) = address.rsplit_once(':').unwrap_or((address, "0"));
        if !host.is_empty() {
            self.run(&[set, service, host, port])?;
        }
        let on = if enabled == "Yes" { "on" } else { "off" };
        self.run(&[state, service, on])?;
        Ok(())
    }
}

fn split(key: &str) -> Result<(&str, &'static str), Error> {
    for what in [SECURE, WEB, BYPASS] {
        if let Some(service) = key.strip_suffix(what) {
            return Ok((service, what));
        }
    }
    Err(Error::failed(format!(
        "{key:?} is not a networksetup proxy key"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sysproxy::plan::{changes_to_apply, mismatches, plan_restore, value_of};

    #[test]
    fn enabled_services_are_listed() {
        let text = "An asterisk (*) denotes that a network service is disabled.\n\
                    Wi-Fi\n*Bluetooth PAN\nThunderbolt Bridge\nUSB 10/100/1000 LAN\n";
        assert_eq!(
            parse_services(text),
            ["Wi-Fi", "Thunderbolt Bridge", "USB 10/100/1000 LAN"]
        );
    }

    #[test]
    fn proxies_and_bypass_lists_are_parsed() {
        let off = "Enabled: No\nServer: \nPort: 0\nAuthenticated Proxy Enabled: 0\n";
        assert_eq!(parse_proxy(off).unwrap(), "No :0");
        let on = "Enabled: Yes\nServer: proxy.corp\nPort: 3128\nAuthenticated Proxy Enabled: 0\n";
        assert_eq!(parse_proxy(on).unwrap(), "Yes proxy.corp:3128");
        assert!(parse_proxy("** Error: nope").is_err());
        assert_eq!(
            parse_bypass("There aren't any bypass domains set on Wi-Fi.\n"),
            ""
        );
        assert_eq!(parse_bypass("*.local\n169.254/16\n"), "*.local\n169.254/16");
    }

    #[test]
    fn every_enabled_service_points_at_wicket_and_comes_back() {
        let services = ["Wi-Fi".to_string(), "Ethernet".to_string()];
        let keys = keys(&services);
        assert_eq!(keys[0], "Wi-Fi: bypass");
        assert_eq!(keys[2], "Wi-Fi: web");
        let snapshot: Settings = vec![
            Setting::new("Wi-Fi: bypass", Some("*.local")),
            Setting::new("Wi-Fi: secure web", Some("No :0")),
            Setting::new("Wi-Fi: web", Some("Yes proxy.corp:3128")),
            Setting::new("Ethernet: bypass", Some("")),
            Setting::new("Ethernet: secure web", Some("No :0")),
            Setting::new("Ethernet: web", Some("No :0")),
        ];
        let bypass = ["localhost", "127.0.0.0/8", "<local>"].map(String::from);
        let (applied, notes) = wanted(
            &Target::new("127.0.0.1:12345".parse().unwrap(), &bypass),
            &snapshot,
        );
        assert_eq!(
            value_of(&applied, "Ethernet: web"),
            Some("Yes 127.0.0.1:12345")
        );
        assert_eq!(
            value_of(&applied, "Wi-Fi: bypass"),
            Some("localhost\n127.0.0.0/8")
        );
        assert_eq!(notes.len(), 1);
        assert_eq!(changes_to_apply(&snapshot, &applied, &same).len(), 6);

        // What networksetup reads back after restoring: the server fields keep Wicket's address.
        let plan = plan_restore(&snapshot, &applied, &applied, &same);
        assert_eq!(plan.writes.len(), 6);
        let after: Settings = applied
            .iter()
            .map(|s| {
                let before = value_of(&snapshot, &s.key).unwrap();
                let value = if before == "No :0" {
                    "No 127.0.0.1:12345"
                } else {
                    before
                };
                Setting::new(s.key.as_str(), Some(value))
            })
            .collect();
        assert!(mismatches(&plan.writes, &after, &same).is_empty());
        // A proxy the user really had must come back exactly.
        let wrong: Settings = vec![Setting::new("Wi-Fi: web", Some("No proxy.corp:3128"))];
        assert!(mismatches(&plan.writes, &wrong, &same)
            .iter()
            .any(|m| m.key == "Wi-Fi: web"));
    }
}
