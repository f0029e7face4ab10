//! GNOME and its family (Cinnamon, Budgie, MATE, Unity, Pantheon): the `org.gnome.system.proxy`
//! settings, through the `gsettings` tool. GLib's proxy resolver, Firefox and Chromium read them.
//!
//! Values are GVariant text, exactly as `gsettings get` prints them and `gsettings set` takes
//! them, so a snapshot is written back as it was read.

use super::plan::{Setting, Settings};
use super::tool::Tools;
use super::{Error, Target};
use crate::i18n::Message;
use crate::messages as msg;

const PROGRAM: &str = "gsettings";
const PACKAGE: &str = "Debian and Ubuntu: libglib2.0-bin";
const SCHEMA: &str = "org.gnome.system.proxy";

/// The keys Wicket writes, as `<schema> <key>`, in the order they are written to switch the
/// proxy on (the mode last, so that no half-made setting is ever in force).
pub const KEYS: [&str; 7] = [
    "org.gnome.system.proxy.http host",
    "org.gnome.system.proxy.http port",
    "org.gnome.system.proxy.https host",
    "org.gnome.system.proxy.https port",
    // Off while Wicket is the proxy: the user's proxy password is not for Wicket.
    "org.gnome.system.proxy.http use-authentication",
    "org.gnome.system.proxy ignore-hosts",
    "org.gnome.system.proxy mode",
];

/// What Wicket wants in each key, and remarks on what GNOME cannot take.
pub fn wanted(target: &Target) -> (Settings, Vec<Message>) {
    let mut notes = Vec::new();
    let ignore: Vec<&str> = target
        .bypass
        .iter()
        .map(String::as_str)
        .filter(|e| {
            if *e == "<local>" {
                notes.push(Message::new(&msg::GNOME_NO_LOCAL));
                false
            } else {
                true
            }
        })
        .collect();
    let host = string(&target.host);
    let port = target.port.to_string();
    let values = [
        host.clone(),
        port.clone(),
        host,
        port,
        "false".to_string(),
        string_array(&ignore),
        string("manual"),
    ];
    let settings = KEYS
        .iter()
        .zip(values)
        .map(|(k, v)| Setting::new(*k, Some(&v)))
        .collect();
    (settings, notes)
}

/// Parses `gsettings list-recursively org.gnome.system.proxy`: one `schema key value` per line.
pub fn parse_listing(text: &str, keys: &[String]) -> Result<Settings, Error> {
    keys.iter()
        .map(|key| {
            let prefix = format!("{key} ");
            text.lines()
                .find_map(|line| line.strip_prefix(&prefix))
                .map(|value| Setting::new(key.as_str(), Some(value.trim_end())))
                .ok_or_else(|| {
                    Error::failed(format!(
                        "gsettings does not know {key}: is gsettings-desktop-schemas installed?"
                    ))
                })
        })
        .collect()
}

/// A GVariant string literal, quoted the way GLib prints it.
pub fn string(text: &str) -> String {
    let escaped = |quote: char| {
        let mut out = String::with_capacity(text.len() + 2);
        out.push(quote);
        for c in text.chars() {
            if c == quote || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
        out.push(quote);
        out
    };
    if text.contains('\'') && !text.contains('"') {
        escaped('"')
    } else {
        escaped('\'')
    }
}

/// A GVariant array of strings, as GLib prints it (`@as []` when empty).
pub fn string_array(items: &[&str]) -> String {
    if items.is_empty() {
        return "@as []".to_string();
    }
    let parts: Vec<String> = items.iter().map(|i| string(i)).collect();
    format!("[{}]", parts.join(", "))
}

/// The settings through the `gsettings` tool.
pub struct Gsettings<'a> {
    pub tools: &'a Tools,
}

impl Gsettings<'_> {
    pub fn read(&self, keys: &[String]) -> Result<Settings, Error> {
        let listing = self
            .tools
            .run(PROGRAM, &["list-recursively", SCHEMA], PACKAGE)?;
        parse_listing(&listing, keys)
    }

    pub fn write(&self, key: &str, value: Option<&str>) -> Result<(), Error> {
        let (schema, name) = key
            .split_once(' ')
            .ok_or_else(|| Error::failed(format!("{key:?} is not a gsettings key")))?;
        match value {
            Some(value) => self
                .tools
                .run(PROGRAM, &["set", schema, name, value], PACKAGE)?,
            None => self.tools.run(PROGRAM, &["reset", schema, name], PACKAGE)?,
        };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sysproxy::plan::value_of;

    fn target(bypass: &[&str]) -> Target {
        Target::new(
            "127.0.0.1:12345".parse().unwrap(),
            &bypass.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        )
    }

    #[test]
    fn wanted_points_http_and_https_at_wicket_and_switches_to_manual_last() {
        let (settings, notes) = wanted(&target(&["localhost", "127.0.0.0/8", "::1", "<local>"]));
        let get = |k: &str| value_of(&settings, k).unwrap().to_string();
        assert_eq!(get("org.gnome.system.proxy.http host"), "'127.0.0.1'");
        assert_eq!(get("org.gnome.system.proxy.https port"), "12345");
        assert_eq!(
            get("org.gnome.system.proxy ignore-hosts"),
            "['localhost', '127.0.0.0/8', '::1']"
        );
        assert_eq!(settings.last().unwrap().key, "org.gnome.system.proxy mode");
        assert_eq!(get("org.gnome.system.proxy mode"), "'manual'");
        assert_eq!(notes.len(), 1);
        assert!(notes[0].to_string().contains("<local>"));
    }

    #[test]
    fn gvariant_text_is_quoted_like_glib_prints_it() {
        assert_eq!(string("a b"), "'a b'");
        assert_eq!(string("it's"), "\"it's\"");
        assert_eq!(string("back\\slash"), "'back\\\\slash'");
        assert_eq!(string_array(&[]), "@as []");
        assert_eq!(string_array(&["a", "b"]), "['a', 'b']");
    }

    #[test]
    fn the_listing_is_read_by_key() {
        let text = "org.gnome.system.proxy autoconfig-url ''\n\
                    org.gnome.system.proxy ignore-hosts ['localhost', '::1']\n\
                    org.gnome.system.proxy mode 'none'\n\
                    org.gnome.system.proxy.http host 'proxy.lan'\n\
                    org.gnome.system.proxy.https host ''\n";
        let keys: Vec<String> = [
            "org.gnome.system.proxy mode",
            "org.gnome.system.proxy.http host",
            "org.gnome.system.proxy ignore-hosts",
        ]
        .map(String::from)
        .to_vec();
        let settings = parse_listing(text, &keys).unwrap();
        assert_eq!(value_of(&settings, &keys[0]), Some("'none'"));
        assert_eq!(value_of(&settings, &keys[1]), Some("'proxy.lan'"));
        assert_eq!(value_of(&settings, &keys[2]), Some("['localhost', '::1']"));
        let err = parse_listing(text, &["org.gnome.system.proxy nope".into()]).unwrap_err();
        assert!(
            err.to_string().contains("gsettings-desktop-schemas"),
            "{err}"
        );
    }
}
