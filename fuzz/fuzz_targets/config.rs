//! The config file, the CLI's `--connect-ports` list, and schedule windows.
//!
//! Invariants:
//! - `Config::parse` never panics, whatever the text;
//! - a parsed config saved with `to_json` parses back to an equal config, which saves to the
//!   same text (what the app saves, it loads again unchanged);
//! - `ConnectPorts::parse` never panics, and what it parses prints as text that parses back
//!   equal, allowing the same ports;
//! - `Window::parse` (each line of the input) never panics; a parsed window prints as text that
//!   parses back equal, and `contains` agrees, minute by minute over the whole week, with a
//!   reference computed from the printed form (days, start, end; an end at or before the start
//!   runs into the next day).
#![no_main]

use libfuzzer_sys::fuzz_target;
use wicket::config::{Config, ConnectPorts};
use wicket::schedule::{WeekTime, Window};

const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const WEEK: u32 = 7 * 1440;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(config) = Config::parse(text) {
        let saved = config.to_json();
        let loaded = Config::parse(&saved)
            .unwrap_or_else(|e| panic!("the saved config does not load: {e}\n{saved}"));
        assert_eq!(
            loaded, config,
            "the saved config loads as another one:\n{saved}"
        );
        assert_eq!(loaded.to_json(), saved, "saving is not stable");
    }
    if let Ok(ports) = ConnectPorts::parse(text) {
        let printed = ports.to_string();
        let again = ConnectPorts::parse(&printed)
            .unwrap_or_else(|e| panic!("{printed:?} (from {text:?}) does not parse back: {e}"));
        assert_eq!(again, ports, "{printed:?} parses to other ports");
        for port in [0, 1, 80, 443, 8443, 65535] {
            assert_eq!(again.allows(port), ports.allows(port));
        }
    }
    for line in text.lines() {
        let Ok(window) = Window::parse(line) else {
            continue;
        };
        let printed = window.to_string();
        let again = Window::parse(&printed)
            .unwrap_or_else(|e| panic!("{printed:?} (from {line:?}) does not parse back: {e}"));
        assert_eq!(
            again, window,
            "{printed:?} (from {line:?}) parses to another window"
        );
        let (days, start, end) = reference(&printed)
            .unwrap_or_else(|| panic!("{printed:?} (from {line:?}) is not in the printed form"));
        assert!(
            start < 1440 && (1..=1440).contains(&end) && start != end,
            "{printed:?}"
        );
        for minute in 0..WEEK {
            let at = WeekTime {
                weekday: (minute / 1440) as u8,
                minute: (minute % 1440) as u16,
            };
            // Covered if some listed day's window [start, end) (ending the next day when
            // end <= start) holds this minute, wrapping from Sunday into Monday.
            let expected = (0..7).filter(|d| days & (1 << d) != 0).any(|d| {
                let from = d * 1440 + start;
                let to = d * 1440 + if end > start { end } else { end + 1440 };
                (from..to).contains(&minute) || (from..to).contains(&(minute + WEEK))
            });
            assert_eq!(
                window.contains(at),
                expected,
                "{printed:?} (from {line:?}) at {} {:02}:{:02}",
                DAYS[at.weekday as usize],
                at.minute / 60,
                at.minute % 60
            );
        }
    }
});

/// Days (bit 0 = Monday), start and end minutes, read from the printed form:
/// `every day HH:MM-HH:MM` or `Mon-Wed,Fri HH:MM-HH:MM`.
fn reference(printed: &str) -> Option<(u32, u32, u32)> {
    let (days_text, times) = printed.rsplit_once(' ')?;
    let days = if days_text == "every day" {
        0x7f
    } else {
        let mut days = 0;
        for part in days_text.split(',') {
            let (a, b) = part.split_once('-').unwrap_or((part, part));
            let a = DAYS.iter().position(|d| *d == a)?;
            let b = DAYS.iter().position(|d| *d == b)?;
            if b < a {
                return None;
            }
            for d in a..=b {
                days |= 1 << d;
            }
        }
        days
    };
    let (start, end) = times.split_once('-')?;
    let minutes = |t: &str| -> Option<u32> {
        let (h, m) = t.split_once(':')?;
        Some(h.parse::<u32>().ok()? * 60 + m.parse::<u32>().ok()?)
    };
    Some((days, minutes(start)?, minutes(end)?))
}
