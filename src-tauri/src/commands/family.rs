//! The window's family protection commands: named lists and their schedules, importing
//! published blocklists, allow-only browsing, and the history with the tamper log. Every one
//! that changes something, or shows the history, checks the parent's lock first; each change
//! that could reduce protection goes to the tamper log.

use serde::Serialize;
use tauri::{Runtime, State, Window};
use wicket::{Message, Rule};

use super::{append_new, parse_all, unlocked, Added, Error};
use crate::history::{self, DaySummary, DayView};
use crate::lists::{self, ImportReport, Progress, RulesPage};
use crate::messages as msg;
use crate::state::AppState;
use crate::tamper::{Reduced, TamperEntry};
use crate::views::ConfigView;

// Lists -----------------------------------------------------------------------------------------

/// A new named list: switched on, always in force, with no rules yet.
#[tauri::command]
pub async fn create_list<R: Runtime>(
    window: Window<R>,
    state: State<'_, AppState>,
    name: String,
) -> Result<ConfigView, Error> {
    unlocked(&state, &window)?;
    state.edit(|c| lists::create(c, &name)).await?;
    Ok(state.view())
}

#[tauri::command]
pub async fn rename_list<R: Runtime>(
    window: Window<R>,
    state: State<'_, AppState>,
    name: String,
    to: String,
) -> Result<ConfigView, Error> {
    unlocked(&state, &window)?;
    let to = state
        .edit(|c| {
            let to = lists::check_name(c, &to, Some(&name))?;
            lists::find(c, &name)?.name = to.clone();
            Ok::<_, Message>(to)
        })
        .await?;
    if to != name {
        state.reduced(Reduced::ListRenamed { list: name, to }).await;
    }
    Ok(state.view())
}

#[tauri::command]
pub async fn delete_list<R: Runtime>(
    window: Window<R>,
    state: State<'_, AppState>,
    name: String,
) -> Result<ConfigView, Error> {
    unlocked(&state, &window)?;
    let rules = state
        .edit(|c| {
            let rules = lists::find(c, &name)?.rules.len();
            c.lists.retain(|l| l.name != name);
            Ok::<_, Message>(rules)
        })
        .await?;
    state
        .reduced(Reduced::ListRemoved { list: name, rules })
        .await;
    Ok(state.view())
}

/// Switches a list on or off as a whole (its rules and schedule are kept).
#[tauri::command]
pub async fn set_list_enabled<R: Runtime>(
    window: Window<R>,
    state: State<'_, AppState>,
    name: String,
    on: bool,
) -> Result<ConfigView, Error> {
    unlocked(&state, &window)?;
    let was = state
        .edit(|c| Ok::<_, Message>(std::mem::replace(&mut lists::find(c, &name)?.enabled, on)))
        .await?;
    if was && !on {
        state.reduced(Reduced::ListOff { list: name }).await;
    }
    Ok(state.view())
}

/// A page of a list's rules, those containing `query` (the first 1000).
#[tauri::command]
pub async fn list_rules(
    state: State<'_, AppState>,
    name: String,
    query: String,
) -> Result<RulesPage, Error> {
    let page = state.read_config(|c| {
        let list = c.lists.iter().find(|l| l.name == name);
        list.map(|l| lists::page(l, &query))
    });
    Ok(page.ok_or_else(|| lists::missing(&name))?)
}

/// Adds rules to a list (one, or many pasted); each refusal keeps the engine's reason.
#[tauri::command]
pub async fn add_list_rules<R: Runtime>(
    window: Window<R>,
    state: State<'_, AppState>,
    name: String,
    entries: Vec<String>,
) -> Result<Added, Error> {
    unlocked(&state, &window)?;
    let (parsed, refused) = parse_all(&entries, |t| Rule::parse(t).map_err(|e| e.reason));
    let (added, already) = state
        .edit(|c| {
            let list = lists::find(c, &name)?;
            Ok::<_, Message>(append_new(&mut list.rules, parsed, Rule::to_string))
        })
        .await?;
    Ok(Added {
        config: state.view(),
        added,
        already,
        refused,
    })
}

#[tauri::command]
pub async fn remove_list_rule<R: Runtime>(
    window: Window<R>,
    state: State<'_, AppState>,
    name: String,
    rule: String,
) -> Result<ConfigView, Error> {
    unlocked(&state, &window)?;
    let rule = Rule::parse(&rule).map_err(|e| e.reason)?;
    let removed = state
        .edit(|c| {
            let list = lists::find(c, &name)?;
            let before = list.rules.len();
            list.rules.retain(|r| *r != rule);
            Ok::<_, Message>(before != list.rules.len())
        })
        .await?;
    if removed {
        state
            .reduced(Reduced::RulesRemoved {
                list: Some(name),
                rules: vec![rule.to_string()],
            })
            .await;
    }
    Ok(state.view())
}

/// A time window as the engine reads it ("Mon-Fri 16:00-19:00"), or its reason for refusing.
#[tauri::command]
pub async fn check_window(text: String) -> Result<String, Message> {
    lists::check_window(&text)
}

/// Adds time windows to a list's schedule: the list then blocks only inside them.
#[tauri::command]
pub async fn add_list_windows<R: Runtime>(
    window: Window<R>,
    state: State<'_, AppState>,
    name: String,
    entries: Vec<String>,
) -> Result<Added, Error> {
    unlocked(&state, &window)?;
    let (parsed, refused) = parse_all(&entries, |t| wicket::schedule::Window::parse(t.trim()));
    let (added, already, schedule) = state
        .edit(|c| {
            let list = lists::find(c, &name)?;
            let (added, already) = append_new(&mut list.schedule, parsed, |w| w.to_string());
            let schedule: Vec<String> = list.schedule.iter().map(|w| w.to_string()).collect();
            Ok::<_, Message>((added, already, schedule))
        })
        .await?;
    if !added.is_empty() {
        state
            .reduced(Reduced::ScheduleChanged {
                list: name,
                schedule,
            })
            .await;
    }
    Ok(Added {
        config: state.view(),
        added,
        already,
        refused,
    })
}

/// Removes a time window from a list's schedule (with none left, the list is always in force).
#[tauri::command]
pub async fn remove_list_window<R: Runtime>(
    window: Window<R>,
    state: State<'_, AppState>,
    name: String,
    entry: String,
) -> Result<ConfigView, Error> {
    unlocked(&state, &window)?;
    let gone = wicket::schedule::Window::parse(entry.trim())?;
    let changed = state
        .edit(|c| {
            let list = lists::find(c, &name)?;
            let before = list.schedule.len();
            list.schedule.retain(|w| *w != gone);
            let schedule: Vec<String> = list.schedule.iter().map(|w| w.to_string()).collect();
            Ok::<_, Message>((before != list.schedule.len()).then_some(schedule))
        })
        .await?;
    if let Some(schedule) = changed {
        state
            .reduced(Reduced::ScheduleChanged {
                list: name,
                schedule,
            })
            .await;
    }
    Ok(state.view())
}

// Import ----------------------------------------------------------------------------------------

/// Reads a piece of a list being imported (hosts file, plain list, `||domain^` lines).
/// `import_id` none starts a new import; `first_line` is the piece's first line number.
#[tauri::command]
pub async fn import_chunk<R: Runtime>(
    window: Window<R>,
    state: State<'_, AppState>,
    import_id: Option<u64>,
    first_line: usize,
    text: String,
) -> Result<Progress, Error> {
    unlocked(&state, &window)?;
    // Parsing is quick but not free: off the async workers.
    let staging = state.staging.clone();
    let progress = tokio::task::spawn_blocking(move || staging.add(import_id, first_line, &text))
        .await
        .map_err(Message::detail)??;
    Ok(progress)
}

/// An import's result and the lists afterwards.
#[derive(Clone, Debug, Serialize)]
pub struct Imported {
    pub report: ImportReport,
    pub config: ConfigView,
}

/// Adds a finished import to the list `list` (a new one when `create`), in one change.
#[tauri::command]
pub async fn import_commit<R: Runtime>(
    window: Window<R>,
    state: State<'_, AppState>,
    import_id: u64,
    list: String,
    create: bool,
) -> Result<Imported, Error> {
    unlocked(&state, &window)?;
    let finished = lists::finish(&state.staging, import_id)?;
    let report = state
        .edit(|c| lists::merge_import(c, finished, &list, create))
        .await?;
    Ok(Imported {
        report,
        config: state.view(),
    })
}

// Allow-only browsing -----------------------------------------------------------------------------

/// Turns allow-only browsing on (only the allowed sites can be reached) or off.
#[tauri::command]
pub async fn set_allow_only<R: Runtime>(
    window: Window<R>,
    state: State<'_, AppState>,
    on: bool,
) -> Result<ConfigView, Error> {
    unlocked(&state, &window)?;
    let was = state
        .edit(|c| std::mem::replace(&mut c.allow_only, on))
        .await;
    if was && !on {
        state.reduced(Reduced::AllowOnlyOff).await;
    }
    Ok(state.view())
}

#[tauri::command]
pub async fn add_allowed_sites<R: Runtime>(
    window: Window<R>,
    state: State<'_, AppState>,
    entries: Vec<String>,
) -> Result<Added, Error> {
    unlocked(&state, &window)?;
    let (parsed, refused) = parse_all(&entries, |t| Rule::parse(t).map_err(|e| e.reason));
    let (added, already) = state
        .edit(|c| append_new(&mut c.allowed_sites, parsed, Rule::to_string))
        .await;
    if !added.is_empty() {
        state
            .reduced(Reduced::AllowedSitesAdded {
                sites: added.clone(),
            })
            .await;
    }
    Ok(Added {
        config: state.view(),
        added,
        already,
        refused,
    })
}

#[tauri::command]
pub async fn remove_allowed_site<R: Runtime>(
    window: Window<R>,
    state: State<'_, AppState>,
    site: String,
) -> Result<ConfigView, Error> {
    unlocked(&state, &window)?;
    let site = Rule::parse(&site).map_err(|e| e.reason)?;
    state.edit(|c| c.allowed_sites.retain(|r| *r != site)).await;
    Ok(state.view())
}

// History and tamper log ------------------------------------------------------------------------

/// The History view: the days kept, one day in detail, and the tamper log.
#[derive(Clone, Debug, Serialize)]
pub struct HistoryView {
    /// Days with activity, newest first.
    pub days: Vec<DaySummary>,
    /// The day asked for (or the newest), if there is one.
    pub day: Option<DayView>,
    /// Days kept.
    pub keep_days: u32,
    /// Every reduction of protection, newest first.
    pub tamper: Vec<TamperEntry>,
    /// Where the history is kept.
    pub path: Option<String>,
    /// Why the history file is not used as it should be.
    pub problem: Option<Message>,
}

/// The history: the days kept, `day` (or the newest) in detail, and the tamper log. Requests
/// counted in the last few seconds are written first, so the view is current.
#[tauri::command]
pub async fn history<R: Runtime>(
    window: Window<R>,
    state: State<'_, AppState>,
    day: Option<String>,
) -> Result<HistoryView, Error> {
    unlocked(&state, &window)?;
    let day = day.map(|d| history::parse_day(&d)).transpose()?;
    let history = state.history.clone();
    let keep_days = state.history_days();
    let view = tokio::task::spawn_blocking(move || -> Result<HistoryView, Message> {
        if let Err(e) = history.flush() {
            log::warn!("{e}");
        }
        let days = history.days()?;
        let shown = day.or_else(|| days.first().map(|d| d.day.clone()));
        let detail = shown.map(|d| history.day(&d)).transpose()?;
        Ok(HistoryView {
            days,
            day: detail,
            keep_days,
            tamper: history.tamper(history::TAMPER_ROWS)?,
            path: history.path().map(|p| p.display().to_string()),
            problem: history.problem(),
        })
    })
    .await
    .map_err(Message::detail)??;
    Ok(view)
}

/// Writes the history (one day, or every day kept) as a CSV file in the user's Downloads
/// folder (or home folder); returns its path.
#[tauri::command]
pub async fn export_history<R: Runtime>(
    window: Window<R>,
    state: State<'_, AppState>,
    day: Option<String>,
) -> Result<String, Error> {
    unlocked(&state, &window)?;
    let day = day.map(|d| history::parse_day(&d)).transpose()?;
    let history = state.history.clone();
    let path = tokio::task::spawn_blocking(move || -> Result<String, Message> {
        let _ = history.flush();
        let csv = history.csv(day.as_deref())?;
        let dir = export_dir().ok_or_else(|| Message::new(&msg::HISTORY_NO_HOME))?;
        let stem = match &day {
            Some(d) => format!("wicket-history-{d}"),
            None => format!("wicket-history-to-{}", history::today().format("%Y-%m-%d")),
        };
        let mut path = dir.join(format!("{stem}.csv"));
        let mut n = 1;
        while path.exists() {
            path = dir.join(format!("{stem}-{n}.csv"));
            n += 1;
        }
        wicket::config::write_atomically(&path, csv.as_bytes()).map_err(|e| {
            Message::new(&msg::HISTORY_NOT_WRITTEN)
                .with("path", path.display())
                .with("detail", e)
        })?;
        Ok(path.display().to_string())
    })
    .await
    .map_err(Message::detail)??;
    Ok(path)
}

/// The user's Downloads folder, else their home folder.
fn export_dir() -> Option<std::path::PathBuf> {
    let dirs = directories::UserDirs::new()?;
    let downloads = dirs
        .download_dir()
        .map(|d| d.to_path_buf())
        .or_else(|| Some(dirs.home_dir().join("Downloads")).filter(|d| d.is_dir()));
    Some(downloads.unwrap_or_else(|| dirs.home_dir().to_path_buf()))
}

/// How many days of history to keep (1 to 3650); older days are purged at once.
#[tauri::command]
pub async fn set_history_days<R: Runtime>(
    window: Window<R>,
    state: State<'_, AppState>,
    days: u32,
) -> Result<ConfigView, Error> {
    unlocked(&state, &window)?;
    if !history::DAYS_RANGE.contains(&days) {
        return Err(Message::new(&msg::HISTORY_DAYS)
            .with("min", history::DAYS_RANGE.start())
            .with("max", history::DAYS_RANGE.end())
            .into());
    }
    let before = state.history_days();
    state
        .edit(|c| {
            c.app
                .insert(history::APP_KEY_DAYS.into(), u64::from(days).into())
        })
        .await;
    if days < before {
        state.reduced(Reduced::HistoryShortened { days }).await;
    }
    let history = state.history.clone();
    let _ = tokio::task::spawn_blocking(move || history.purge(history::today(), days)).await;
    Ok(state.view())
}
