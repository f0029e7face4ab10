//! Named lists ("Social media", "Ads"), their schedules, and importing published blocklists
//! into them. Everything here changes a [`Config`] and says what changed; the engine reads the
//! lists and schedules (`wicket::config::RuleList`, `wicket::schedule`), and its parsers decide
//! what a rule or a time window is.
//!
//! An import comes in pieces: the window sends the text a few thousand lines at a time
//! ([`Staging::add`], each piece read by `wicket::import`), showing its progress, and then
//! commits it in one change ([`merge_import`]), so that a 100 000-line file is applied and saved
//! once, and the window stays responsive throughout.

use std::collections::HashSet;
use std::sync::Mutex;

use serde::Serialize;
use wicket::config::RuleList;
use wicket::import::{import, InvalidLine, MAX_LISTED_INVALID};
use wicket::schedule::Window;
use wicket::{Config, Message, Rule};

use crate::messages as msg;

/// Longest list name.
pub const MAX_NAME_CHARS: usize = 60;
/// Rules of a list sent to the window at once (a search narrows the rest).
pub const PAGE: usize = 1000;

/// Checks a list name: not empty, not too long, not the name of another list (case aside).
/// `except` is the list being renamed.
pub fn check_name(config: &Config, name: &str, except: Option<&str>) -> Result<String, Message> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Message::new(&msg::LIST_NO_NAME));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(Message::new(&msg::LIST_NAME_TOO_LONG).with("max", MAX_NAME_CHARS));
    }
    if name.chars().any(char::is_control) {
        return Err(Message::new(&msg::LIST_NAME_CONTROL));
    }
    let taken = config.lists.iter().any(|l| {
        l.name.trim().eq_ignore_ascii_case(name)
            && except.map_or(true, |e| !l.name.eq_ignore_ascii_case(e))
    });
    if taken {
        return Err(Message::new(&msg::LIST_EXISTS).with("name", format!("{name:?}")));
    }
    Ok(name.to_string())
}

/// The list named `name`.
pub fn find<'a>(config: &'a mut Config, name: &str) -> Result<&'a mut RuleList, Message> {
    config
        .lists
        .iter_mut()
        .find(|l| l.name == name)
        .ok_or_else(|| missing(name))
}

/// "There is no list named ...".
pub fn missing(name: &str) -> Message {
    Message::new(&msg::LIST_MISSING).with("name", format!("{name:?}"))
}

/// A new list, switched on, always in force, with no rules.
pub fn create(config: &mut Config, name: &str) -> Result<String, Message> {
    let name = check_name(config, name, None)?;
    config.lists.push(RuleList {
        name: name.clone(),
        enabled: true,
        rules: Vec::new(),
        schedule: Vec::new(),
    });
    Ok(name)
}

/// A time window as the engine reads it, or its reason for refusing it.
pub fn check_window(text: &str) -> Result<String, Message> {
    Window::parse(text.trim()).map(|w| w.to_string())
}

/// One page of a list's rules: those containing `query` (case aside), the first [`PAGE`].
#[derive(Clone, Debug, Serialize)]
pub struct RulesPage {
    pub rules: Vec<String>,
    /// Rules in the list.
    pub total: usize,
    /// Rules that contain the query.
    pub matching: usize,
}

pub fn page(list: &RuleList, query: &str) -> RulesPage {
    let query = query.trim().to_lowercase();
    let mut rules = Vec::new();
    let mut matching = 0;
    for rule in &list.rules {
        let text = rule.to_string();
        if query.is_empty() || text.to_lowercase().contains(&query) {
            matching += 1;
            if rules.len() < PAGE {
                rules.push(text);
            }
        }
    }
    RulesPage {
        rules,
        total: list.rules.len(),
        matching,
    }
}

// Import ---------------------------------------------------------------------------------------

/// An import being sent, piece by piece.
#[derive(Default)]
struct Staged {
    id: u64,
    /// Lines read so far.
    lines: usize,
    seen: HashSet<String>,
    rules: Vec<Rule>,
    duplicates: usize,
    comments: usize,
    not_blocks: usize,
    invalid: Vec<InvalidLine>,
    invalid_count: usize,
}

/// What the window is told after each piece.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Progress {
    pub import_id: u64,
    /// Lines read so far.
    pub lines: usize,
    /// Distinct rules found so far.
    pub rules: usize,
    pub invalid_count: usize,
}

/// The import in progress (one at a time: a new one replaces it).
#[derive(Default)]
pub struct Staging {
    staged: Mutex<Option<Staged>>,
    next_id: Mutex<u64>,
}

impl Staging {
    /// Reads a piece of the text. `import_id` none starts a new import; otherwise it continues
    /// that one, whose next line is `first_line` (1-based), so that line numbers stay right.
    /// A piece is whole lines, each ended by a line break (the last one's is optional): a piece
    /// that ends on a blank line ends with two.
    pub fn add(
        &self,
        import_id: Option<u64>,
        first_line: usize,
        text: &str,
    ) -> Result<Progress, Message> {
        let found = import(text);
        let mut staged = lock(&self.staged);
        let current = match import_id {
            None => {
                let mut next = lock(&self.next_id);
                *next += 1;
                staged.insert(Staged {
                    id: *next,
                    ..Staged::default()
                })
            }
            Some(id) => match staged.as_mut() {
                Some(s) if s.id == id => s,
                _ => return Err(Message::new(&msg::IMPORT_REPLACED)),
            },
        };
        if first_line != current.lines + 1 {
            return Err(Message::new(&msg::IMPORT_LOST_PLACE)
                .with("line", first_line)
                .with("after", current.lines));
        }
        let offset = current.lines;
        current.lines += text.lines().count();
        for rule in found.rules {
            if current.seen.insert(rule.to_string()) {
                current.rules.push(rule);
            } else {
                current.duplicates += 1;
            }
        }
        current.duplicates += found.duplicates;
        current.comments += found.comments;
        current.not_blocks += found.not_blocks;
        current.invalid_count += found.invalid_count;
        for mut line in found.invalid {
            if current.invalid.len() == MAX_LISTED_INVALID {
                break;
            }
            line.line += offset;
            current.invalid.push(line);
        }
        Ok(Progress {
            import_id: current.id,
            lines: current.lines,
            rules: current.rules.len(),
            invalid_count: current.invalid_count,
        })
    }

    /// Takes the finished import `import_id`.
    fn take(&self, import_id: u64) -> Result<Staged, Message> {
        let mut staged = lock(&self.staged);
        match staged.take() {
            Some(s) if s.id == import_id => Ok(s),
            other => {
                *staged = other;
                Err(Message::new(&msg::IMPORT_REPLACED))
            }
        }
    }
}

/// A line that could not be read, for the window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Invalid {
    pub line: usize,
    pub text: String,
    pub reason: Message,
}

/// What an import did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// The list the rules went into.
    pub list: String,
    /// Whether the list was created by this import.
    pub created: bool,
    pub lines: usize,
    /// Rules added to the list.
    pub added: usize,
    /// Entries repeated in the text, merged.
    pub duplicates: usize,
    /// Entries the list had already.
    pub already: usize,
    pub comments: usize,
    /// Entries that block nothing (a hosts file's `localhost` lines...).
    pub not_blocks: usize,
    pub invalid_count: usize,
    /// The first invalid lines, with their numbers and why.
    pub invalid: Vec<Invalid>,
}

/// Takes the finished import `import_id` out of `staging` for [`merge_import`].
pub fn finish(staging: &Staging, import_id: u64) -> Result<Finished, Message> {
    staging.take(import_id).map(Finished)
}

/// A finished import, ready to merge.
pub struct Finished(Staged);

/// Adds the import's rules to the list `list` (created when `create`), skipping those it has.
pub fn merge_import(
    config: &mut Config,
    finished: Finished,
    list: &str,
    create: bool,
) -> Result<ImportReport, Message> {
    let staged = finished.0;
    let name = if create {
        self::create(config, list)?
    } else {
        list.to_string()
    };
    let target = find(config, &name)?;
    let have: HashSet<String> = target.rules.iter().map(Rule::to_string).collect();
    let mut added = 0;
    let mut already = 0;
    for rule in staged.rules {
        if have.contains(&rule.to_string()) {
            already += 1;
        } else {
            target.rules.push(rule);
            added += 1;
        }
    }
    Ok(ImportReport {
        list: name,
        created: create,
        lines: staged.lines,
        added,
        duplicates: staged.duplicates,
        already,
        comments: staged.comments,
        not_blocks: staged.not_blocks,
        invalid_count: staged.invalid_count,
        invalid: staged
            .invalid
            .into_iter()
            .map(|l| Invalid {
                line: l.line,
                text: l.text,
                reason: l.reason,
            })
            .collect(),
    })
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_names_are_unique_whatever_their_case() {
        let mut config = Config::default();
        assert_eq!(
            create(&mut config, "  Social media ").unwrap(),
            "Social media"
        );
        let err = create(&mut config, "social MEDIA").unwrap_err();
        assert!(err.to_string().contains("already"), "{err}");
        assert!(create(&mut config, " ").is_err());
        assert!(create(&mut config, &"x".repeat(61)).is_err());
        // Renaming a list to its own name in another case is fine.
        assert!(check_name(&config, "SOCIAL media", Some("Social media")).is_ok());
        // The engine reads what the app writes.
        assert!(Config::parse(&config.to_json()).is_ok());
    }

    #[test]
    fn windows_are_checked_by_the_engine() {
        assert_eq!(
            check_window(" mon-fri 16:00-19:00 ").unwrap(),
            "Mon-Fri 16:00-19:00"
        );
        assert!(check_window("Funday 10-11")
            .unwrap_err()
            .to_string()
            .contains("not a day"));
    }

    #[test]
    fn an_import_in_pieces_counts_like_one_and_keeps_line_numbers() {
        let staging = Staging::default();
        let first = staging
            .add(None, 1, "# hosts\n0.0.0.0 a.test\n0.0.0.0 b.test\n")
            .unwrap();
        assert_eq!(first.lines, 3);
        let second = staging
            .add(
                Some(first.import_id),
                4,
                "0.0.0.0 a.test\nbad..test\n127.0.0.1 localhost\n",
            )
            .unwrap();
        assert_eq!(second.lines, 6);
        assert_eq!(second.rules, 2);
        // A piece out of order is refused.
        assert!(staging.add(Some(first.import_id), 2, "x.test\n").is_err());

        let mut config = Config::default();
        create(&mut config, "Ads").unwrap();
        config.lists[0].rules.push(Rule::parse("b.test").unwrap());
        let finished = finish(&staging, first.import_id).unwrap();
        let report = merge_import(&mut config, finished, "Ads", false).unwrap();
        assert_eq!(report.added, 1);
        assert_eq!(report.already, 1);
        assert_eq!(report.duplicates, 1);
        assert_eq!(report.comments, 1);
        assert_eq!(report.not_blocks, 1);
        assert_eq!(report.invalid_count, 1);
        assert_eq!(report.invalid[0].line, 5);
        assert_eq!(report.invalid[0].text, "bad..test");
        let rules: Vec<String> = config.lists[0].rules.iter().map(Rule::to_string).collect();
        assert_eq!(rules, ["b.test", "a.test"]);
        // Committed once: it is gone.
        assert!(finish(&staging, first.import_id).is_err());
    }

    #[test]
    fn an_import_can_create_its_list() {
        let staging = Staging::default();
        let p = staging.add(None, 1, "ads.example\n").unwrap();
        let mut config = Config::default();
        let report = merge_import(
            &mut config,
            finish(&staging, p.import_id).unwrap(),
            "Ads",
            true,
        )
        .unwrap();
        assert!(report.created);
        assert_eq!(config.lists[0].name, "Ads");
        assert!(config.lists[0].enabled);
    }

    #[test]
    fn a_new_import_replaces_an_unfinished_one() {
        let staging = Staging::default();
        let old = staging.add(None, 1, "a.test\n").unwrap();
        let new = staging.add(None, 1, "b.test\n").unwrap();
        assert!(staging.add(Some(old.import_id), 2, "c.test\n").is_err());
        assert!(finish(&staging, old.import_id).is_err());
        assert!(finish(&staging, new.import_id).is_ok());
    }

    #[test]
    fn pages_are_searched_and_bounded() {
        let list = RuleList {
            name: "Big".into(),
            enabled: true,
            rules: (0..2500)
                .map(|i| Rule::parse(&format!("host{i}.test")).unwrap())
                .collect(),
            schedule: Vec::new(),
        };
        let all = page(&list, "");
        assert_eq!(
            (all.total, all.matching, all.rules.len()),
            (2500, 2500, PAGE)
        );
        let some = page(&list, "HOST24");
        assert_eq!(some.matching, 11 + 100);
        assert_eq!(some.rules[0], "host24.test");
    }
}
