//! KDE Plasma: the `[Proxy Settings]` group of `kioslaverc`, through kwriteconfig5/6 and
//! kreadconfig5/6. KIO, Chromium and Firefox read it; KIO is told to reload it over D-Bus.
//!
//! A key that is not in the file is `None` (read with a default no value can be, removed with
//! `--delete`), so a restore leaves the file as it was, not merely equivalent.

use super::plan::{Setting, Settings};
use super::tool::Tools;
use super::{Error, Target};
use crate::i18n::Message;

const FILE: &str = "kioslaverc";
const GROUP: &str = "Proxy Settings";
/// What kreadconfig prints for a key that is not set: no real value looks like this.
const ABSENT: &str = "(wicket: key not set 6f1c)";

/// The keys Wicket writes, in the order they are written to switch the proxy on.
pub const KEYS: [&str; 5] = [
    "httpProxy",
    "httpsProxy",
    "NoProxyFor",
    "ReversedException",
    // 1: manual proxy configuration. Last, so that no half-made setting is ever in force.
    "ProxyType",
];

/// What Wicket wants in each key. KDE writes proxies as `http://host port`.
pub fn wanted(target: &Target) -> (Settings, Vec<Message>) {
    let host = if target.host.contains(':') {
        format!("[{}]", target.host)
    } else {
        target.host.clone()
    };
    let proxy = format!("http://{host} {}", target.port);
    let values = [
        proxy.clone(),
        proxy,
        target.bypass.join(","),
        "false".to_string(),
        "1".to_string(),
    ];
    let settings = KEYS
        .iter()
        .zip(values)
        .map(|(k, v)| Setting::new(*k, Some(&v)))
        .collect();
    (settings, Vec::new())
}

/// The settings through kreadconfig and kwriteconfig of KDE Frameworks `version` (5 or 6).
pub struct Kioslaverc<'a> {
    pub tools: &'a Tools,
    pub version: u8,
}

impl Kioslaverc<'_> {
    fn program(&self, verb: &str) -> String {
        format!("k{verb}config{}", self.version)
    }

    fn package(&self) -> &'static str {
        if self.version == 6 {
            "Debian and Ubuntu: kf6-kconfig"
        } else {
            "Debian and Ubuntu: libkf5config-bin"
        }
    }

    pub fn read(&self, keys: &[String]) -> Result<Settings, Error> {
        let program = self.program("read");
        keys.iter()
            .map(|key| {
                let out = self.tools.run(
                    &program,
                    &[
                        "--file",
                        FILE,
                        "--group",
                        GROUP,
                        "--key",
                        key,
                        "--default",
                        ABSENT,
                    ],
                    self.package(),
                )?;
                let value = out.strip_suffix('\n').unwrap_or(&out);
                Ok(Setting::new(
                    key.as_str(),
                    (value != ABSENT).then_some(value),
                ))
            })
            .collect()
    }

    pub fn write(&self, key: &str, value: Option<&str>) -> Result<(), Error> {
        let program = self.program("write");
        let mut args = vec!["--file", FILE, "--group", GROUP, "--key", key];
        match value {
            Some(value) => args.extend(["--", value]),
            None => args.push("--delete"),
        }
        self.tools.run(&program, &args, self.package())?;
        Ok(())
    }

    /// Tells running KIO programs to reread their proxy settings. Without a session bus there
    /// is nobody to tell; programs started later read the file anyway.
    pub fn announce(&self) -> Result<(), Error> {
        for signal in [
            "org.kde.KIO.Scheduler.reparseSlaveConfiguration",
            "org.kde.KIO.Scheduler.reparseConfiguration",
        ] {
            self.tools.run(
                "dbus-send",
                &[
                    "--session",
                    "--type=signal",
                    "/KIO/Scheduler",
                    signal,
                    "string:",
                ],
                "Debian and Ubuntu: dbus-bin",
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sysproxy::plan::value_of;

    #[test]
    fn wanted_uses_kdes_own_proxy_syntax() {
        let bypass = ["localhost", "127.0.0.0/8", "::1", "<local>"].map(String::from);
        let (settings, notes) = wanted(&Target::new("127.0.0.1:8080".parse().unwrap(), &bypass));
        assert_eq!(
            value_of(&settings, "httpProxy"),
            Some("http://127.0.0.1 8080")
        );
        assert_eq!(
            value_of(&settings, "httpsProxy"),
            Some("http://127.0.0.1 8080")
        );
        assert_eq!(
            value_of(&settings, "NoProxyFor"),
            Some("localhost,127.0.0.0/8,::1,<local>")
        );
        assert_eq!(
            settings.last().unwrap(),
            &Setting::new("ProxyType", Some("1"))
        );
        assert!(notes.is_empty());
        let (v6, _) = wanted(&Target::new("[::1]:8080".parse().unwrap(), &[]));
        assert_eq!(value_of(&v6, "httpProxy"), Some("http://[::1] 8080"));
        assert_eq!(value_of(&v6, "NoProxyFor"), Some(""));
    }
}
