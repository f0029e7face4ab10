//! The language the desktop app speaks, window and tray alike: the one chosen in Settings
//! (`app.language` in the config file), else the OS's (on Linux `LC_ALL`, `LC_MESSAGES` or
//! `LANG`; the user's preferred language on Windows and macOS), else English.

use wicket::{Config, Lang};

/// The key of the choice in the config's `app` section; absent means "as the OS".
pub const SETTING: &str = "language";

/// The language chosen in Settings, if one was.
pub fn chosen(config: &Config) -> Option<Lang> {
    config
        .app
        .get(SETTING)
        .and_then(|v| v.as_str())
        .and_then(Lang::from_tag)
}

/// The language to speak now.
pub fn of(config: &Config) -> Lang {
    chosen(config).unwrap_or_else(os)
}

/// The OS's language, if Wicket speaks it; English otherwise.
pub fn os() -> Lang {
    sys_locale::get_locale()
        .and_then(|tag| Lang::from_tag(&tag))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_choice_in_settings_wins_over_the_os() {
        let mut config = Config::default();
        assert_eq!(chosen(&config), None);
        config.app.insert(SETTING.into(), "zh-CN".into());
        assert_eq!(of(&config), Lang::Zh);
        config.app.insert(SETTING.into(), "en".into());
        assert_eq!(of(&config), Lang::En);
        config.app.insert(SETTING.into(), "tlh".into());
        assert_eq!(
            chosen(&config),
            None,
            "a language Wicket does not speak is no choice"
        );
    }
}
