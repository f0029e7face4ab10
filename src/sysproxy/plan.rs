//! The platform-independent core: proxy settings as an ordered list of keys and values in the
//! platform's own syntax, what applying writes, and what restoring writes back.
//!
//! Applying reads the settings (the snapshot), asks the platform what it wants instead (the
//! applied settings), and writes the keys that differ, in the platform's order (the key that
//! switches the proxy on comes last). Restoring goes the other way (that key first), and writes
//! back the snapshot's value only where the key still holds the value Wicket wrote: a key changed
//! since by the user or another program is left alone, and a key Wicket never reached (a write
//! that failed, a crash half-way) already holds the snapshot's value.

use serde::{Deserialize, Serialize};

/// One proxy setting: the platform's name for it and its value, as the platform writes it
/// (a GVariant for gsettings, the text of a kioslaverc entry...). `None`: not set at all.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Setting {
    pub key: String,
    pub value: Option<String>,
}

impl Setting {
    pub fn new(key: impl Into<String>, value: Option<&str>) -> Setting {
        Setting {
            key: key.into(),
            value: value.map(str::to_string),
        }
    }
}

/// A platform's proxy settings, in the order they are written when the proxy is switched on.
pub type Settings = Vec<Setting>;

/// The value of `key` in `settings`; `None` both for a key that is not set and one not listed.
pub fn value_of<'a>(settings: &'a [Setting], key: &str) -> Option<&'a str> {
    settings
        .iter()
        .find(|s| s.key == key)
        .and_then(|s| s.value.as_deref())
}

/// Whether a value written as `wanted` is what reading back `found` means. Platforms where a
/// value cannot be written exactly as read (macOS keeps a disabled proxy's server) say so here.
pub type Same<'a> = &'a dyn Fn(&str, Option<&str>, Option<&str>) -> bool;

/// Plain equality: what every platform but macOS uses.
pub fn equal(_key: &str, wanted: Option<&str>, found: Option<&str>) -> bool {
    wanted == found
}

/// What applying writes: the keys of `applied` whose value differs from the snapshot, in order.
pub fn changes_to_apply(snapshot: &[Setting], applied: &[Setting], same: Same) -> Vec<Setting> {
    applied
        .iter()
        .filter(|s| {
            let before = snapshot.iter().find(|b| b.key == s.key);
            !before.is_some_and(|b| same(&s.key, s.value.as_deref(), b.value.as_deref()))
        })
        .cloned()
        .collect()
}

/// What restoring does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestorePlan {
    /// The snapshot's values to write back, in reverse order (the proxy is switched off first).
    pub writes: Vec<Setting>,
    /// Keys that hold neither Wicket's value nor the snapshot's: changed since by someone else,
    /// and left as they are.
    pub kept: Vec<String>,
}

/// What restoring writes, given the snapshot, what Wicket applied and what the keys hold now.
pub fn plan_restore(
    snapshot: &[Setting],
    applied: &[Setting],
    current: &[Setting],
    same: Same,
) -> RestorePlan {
    let mut plan = RestorePlan {
        writes: Vec::new(),
        kept: Vec::new(),
    };
    for before in snapshot.iter().rev() {
        let key = before.key.as_str();
        let now = value_of(current, key);
        let previous = before.value.as_deref();
        if same(key, previous, now) {
            continue;
        }
        let ours = applied.iter().find(|a| a.key == key);
        if ours.is_some_and(|a| same(key, a.value.as_deref(), now)) {
            plan.writes.push(before.clone());
        } else {
            plan.kept.push(key.to_string());
        }
    }
    plan
}

/// A key that did not read back as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    pub key: String,
    pub wanted: Option<String>,
    pub found: Option<String>,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let show = |v: &Option<String>| match v {
            Some(v) => format!("{v:?}"),
            None => "nothing".to_string(),
        };
        write!(
            f,
            "{} reads back as {} after writing {}",
            self.key,
            show(&self.found),
            show(&self.wanted)
        )
    }
}

/// The written keys whose value, read back, is not what was written.
pub fn mismatches(written: &[Setting], read: &[Setting], same: Same) -> Vec<Mismatch> {
    written
        .iter()
        .filter_map(|w| {
            let found = value_of(read, &w.key);
            (!same(&w.key, w.value.as_deref(), found)).then(|| Mismatch {
                key: w.key.clone(),
                wanted: w.value.clone(),
                found: found.map(str::to_string),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, Option<&str>)]) -> Settings {
        pairs.iter().map(|(k, v)| Setting::new(*k, *v)).collect()
    }

    const SAME: Same = &equal;

    #[test]
    fn apply_writes_only_what_differs_in_the_platforms_order() {
        let snapshot = settings(&[("host", Some("''")), ("port", Some("8080")), ("mode", None)]);
        let applied = settings(&[
            ("host", Some("'127.0.0.1'")),
            ("port", Some("8080")),
            ("mode", Some("'manual'")),
        ]);
        let changes = changes_to_apply(&snapshot, &applied, SAME);
        assert_eq!(
            changes,
            settings(&[("host", Some("'127.0.0.1'")), ("mode", Some("'manual'"))])
        );
    }

    #[test]
    fn restore_writes_the_snapshot_back_in_reverse_order() {
        let snapshot = settings(&[
            ("host", Some("'10.0.0.1'")),
            ("port", Some("3128")),
            ("mode", Some("'manual'")),
        ]);
        let applied = settings(&[
            ("host", Some("'127.0.0.1'")),
            ("port", Some("12345")),
            ("mode", Some("'manual'")),
        ]);
        let plan = plan_restore(&snapshot, &applied, &applied, SAME);
        assert_eq!(
            plan.writes,
            settings(&[("port", Some("3128")), ("host", Some("'10.0.0.1'"))])
        );
        assert!(plan.kept.is_empty());
    }

    #[test]
    fn restore_leaves_a_key_the_user_changed_meanwhile() {
        let snapshot = settings(&[("host", Some("''")), ("mode", Some("'none'"))]);
        let applied = settings(&[("host", Some("'127.0.0.1'")), ("mode", Some("'manual'"))]);
        // The user switched to automatic configuration while Wicket was on.
        let current = settings(&[("host", Some("'127.0.0.1'")), ("mode", Some("'auto'"))]);
        let plan = plan_restore(&snapshot, &applied, &current, SAME);
        assert_eq!(plan.writes, settings(&[("host", Some("''"))]));
        assert_eq!(plan.kept, ["mode"]);
    }

    #[test]
    fn restore_after_a_half_done_apply_writes_only_what_was_reached() {
        let snapshot = settings(&[("host", Some("''")), ("port", Some("0")), ("mode", None)]);
        let applied = settings(&[
            ("host", Some("'127.0.0.1'")),
            ("port", Some("12345")),
            ("mode", Some("'manual'")),
        ]);
        // Killed after the first write.
        let current = settings(&[
            ("host", Some("'127.0.0.1'")),
            ("port", Some("0")),
            ("mode", None),
        ]);
        let plan = plan_restore(&snapshot, &applied, &current, SAME);
        assert_eq!(plan.writes, settings(&[("host", Some("''"))]));
        assert!(plan.kept.is_empty());
    }

    #[test]
    fn restoring_a_key_that_was_not_set_removes_it() {
        let snapshot = settings(&[("ProxyType", None)]);
        let applied = settings(&[("ProxyType", Some("1"))]);
        let plan = plan_restore(&snapshot, &applied, &applied, SAME);
        assert_eq!(plan.writes, settings(&[("ProxyType", None)]));
    }

    #[test]
    fn nothing_to_restore_when_the_settings_are_already_the_snapshot() {
        let snapshot = settings(&[("a", Some("1")), ("b", None)]);
        let applied = settings(&[("a", Some("2")), ("b", Some("x"))]);
        let plan = plan_restore(&snapshot, &applied, &snapshot, SAME);
        assert!(plan.writes.is_empty() && plan.kept.is_empty());
    }

    #[test]
    fn mismatches_name_the_key_and_both_values() {
        let written = settings(&[("mode", Some("'manual'")), ("host", Some("'x'"))]);
        let read = settings(&[("mode", Some("'none'")), ("host", Some("'x'"))]);
        let found = mismatches(&written, &read, SAME);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].to_string(),
            "mode reads back as \"'none'\" after writing \"'manual'\""
        );
        let missing = mismatches(&settings(&[("k", Some("v"))]), &[], SAME);
        assert_eq!(
            missing[0].to_string(),
            "k reads back as nothing after writing \"v\""
        );
    }

    #[test]
    fn a_platform_equivalence_is_used_everywhere() {
        // Like macOS: any disabled value counts as the disabled value without a server.
        let same: Same =
            &|_k, a, b| a == b || (a == Some("No :0") && b.is_some_and(|b| b.starts_with("No ")));
        let snapshot = settings(&[("web", Some("No :0"))]);
        let applied = settings(&[("web", Some("Yes 127.0.0.1:1"))]);
        let after = settings(&[("web", Some("No 127.0.0.1:1"))]);
        assert!(mismatches(&snapshot, &after, same).is_empty());
        assert!(plan_restore(&snapshot, &applied, &after, same)
            .writes
            .is_empty());
    }
}
