//! Schedules: when a list of rules is in force, as weekly time windows in local time.
//!
//! A window is written `Mon-Fri 16:00-19:00`, `Sat,Sun 09:00-12:00`, `every day 21:00-24:00` or
//! `every day after 21:00`. A window that ends at or before it starts runs past midnight into the
//! next day (`Fri 22:00-07:00` is Friday night until Saturday 07:00). A list with no windows is in
//! force all the time. (A daily time budget can be added later as another kind of limit on the same
//! list; windows only say *when*.)

use std::fmt;
use std::str::FromStr;

use crate::i18n::Message;
use crate::messages as msg;

/// A moment of the week, in local time: what a schedule is evaluated against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WeekTime {
    /// 0 = Monday ... 6 = Sunday.
    pub weekday: u8,
    /// Minutes since midnight, 0..1440.
    pub minute: u16,
}

impl WeekTime {
    /// Now, in the computer's local time zone.
    pub fn now() -> WeekTime {
        use chrono::{Datelike, Timelike};
        let now = chrono::Local::now();
        WeekTime {
            weekday: now.weekday().num_days_from_monday() as u8,
            minute: (now.hour() * 60 + now.minute()) as u16,
        }
    }

    /// The moment `minutes` later (wrapping around the week).
    pub fn plus_minutes(self, minutes: u32) -> WeekTime {
        let total = (self.weekday as u32 * 1440 + self.minute as u32 + minutes) % (7 * 1440);
        WeekTime {
            weekday: (total / 1440) as u8,
            minute: (total % 1440) as u16,
        }
    }
}

const DAY_NAMES: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// One weekly window: on these days, from `start` to `end` (minutes since midnight).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// Bit 0 = Monday ... bit 6 = Sunday: the days the window starts on.
    days: u8,
    start: u16,
    /// 1..=1440; at or before `start` means the window ends the next day.
    end: u16,
}

impl Window {
    /// Whether the window covers this moment.
    pub fn contains(&self, at: WeekTime) -> bool {
        let today = self.days & (1 << at.weekday) != 0;
        let yesterday = self.days & (1 << ((at.weekday + 6) % 7)) != 0;
        if self.end > self.start {
            today && at.minute >= self.start && at.minute < self.end
        } else {
            (today && at.minute >= self.start) || (yesterday && at.minute < self.end)
        }
    }

    pub fn parse(text: &str) -> Result<Window, Message> {
        let text = text.trim();
        let lower = text.to_ascii_lowercase();
        let (days, times) = if let Some(rest) = lower
            .strip_prefix("every day")
            .or_else(|| lower.strip_prefix("daily"))
        {
            (0x7f, rest.trim())
        } else {
            let (days, rest) = lower.split_once(char::is_whitespace).ok_or_else(|| {
                Message::new(&msg::WINDOW_NEEDS_DAYS).with("text", format!("{text:?}"))
            })?;
            (parse_days(days)?, rest.trim())
        };
        let (start, end) = if let Some(from) = times.strip_prefix("after") {
            (parse_time(from.trim())?, 1440)
        } else if let Some(until) = times.strip_prefix("before") {
            (0, parse_time(until.trim())?)
        } else {
            let (a, b) = times.split_once('-').ok_or_else(|| {
                Message::new(&msg::WINDOW_NOT_A_RANGE).with("text", format!("{times:?}"))
            })?;
            (parse_time(a.trim())?, parse_time(b.trim())?)
        };
        if start == 1440 {
            return Err(Message::new(&msg::WINDOW_STARTS_AT_24));
        }
        if end == 0 && start == 0 {
            return Err(Message::new(&msg::WINDOW_EMPTY_DAY));
        }
        let end = if end == 0 { 1440 } else { end };
        if start == end {
            return Err(Message::new(&msg::WINDOW_SAME_TIME));
        }
        Ok(Window { days, start, end })
    }
}

/// A day by its name or its first three letters or more (`mon`, `tues`, `wednesday`).
fn parse_day(name: &str) -> Result<u8, Message> {
    const FULL: [&str; 7] = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    FULL.iter()
        .position(|day| name.len() >= 3 && day.starts_with(name))
        .map(|i| i as u8)
        .ok_or_else(|| Message::new(&msg::WINDOW_NOT_A_DAY).with("name", format!("{name:?}")))
}

/// `Mon-Fri`, `Sat,Sun`, `Mon,Wed-Fri`, `weekdays`, `weekends`.
fn parse_days(text: &str) -> Result<u8, Message> {
    match text {
        "weekdays" => return Ok(0x1f),
        "weekends" | "weekend" => return Ok(0x60),
        _ => {}
    }
    let mut days = 0u8;
    for part in text.split(',').filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (parse_day(a)?, parse_day(b)?);
                let mut d = a;
                loop {
                    days |= 1 << d;
                    if d == b {
                        break;
                    }
                    d = (d + 1) % 7;
                }
            }
            None => days |= 1 << parse_day(part)?,
        }
    }
    if days == 0 {
        return Err(Message::new(&msg::WINDOW_NO_DAYS));
    }
    Ok(days)
}

/// `HH:MM` (or `H`) to minutes; `24:00` is the end of the day.
fn parse_time(text: &str) -> Result<u16, Message> {
    let (h, m) = text.split_once(':').unwrap_or((text, "0"));
    let bad = || Message::new(&msg::WINDOW_NOT_A_TIME).with("text", format!("{text:?}"));
    let h: u16 = h.parse().map_err(|_| bad())?;
    let m: u16 = m.parse().map_err(|_| bad())?;
    if m >= 60 || h > 24 || (h == 24 && m != 0) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.days == 0x7f {
            f.write_str("every day")?;
        } else {
            // Runs of consecutive days as ranges: Mon-Fri, Sat,Sun...
            let mut parts = Vec::new();
            let mut d = 0;
            while d < 7 {
                if self.days & (1 << d) == 0 {
                    d += 1;
                    continue;
                }
                let first = d;
                while d + 1 < 7 && self.days & (1 << (d + 1)) != 0 {
                    d += 1;
                }
                parts.push(match d - first {
                    0 => DAY_NAMES[first].to_string(),
                    1 => format!("{},{}", DAY_NAMES[first], DAY_NAMES[d]),
                    _ => format!("{}-{}", DAY_NAMES[first], DAY_NAMES[d]),
                });
                d += 1;
            }
            f.write_str(&parts.join(","))?;
        }
        write!(
            f,
            " {:02}:{:02}-{:02}:{:02}",
            self.start / 60,
            self.start % 60,
            self.end / 60,
            self.end % 60
        )
    }
}

impl FromStr for Window {
    type Err = Message;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Window::parse(s)
    }
}

impl serde::Serialize for Window {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Window {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Window;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a time window such as \"Mon-Fri 16:00-19:00\"")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Window, E> {
                Window::parse(text)
                    .map_err(|reason| E::custom(format!("invalid time window {text:?}: {reason}")))
            }
        }
        d.deserialize_str(Visitor)
    }
}

/// Whether a schedule (a list of windows; empty means always) is in force at `at`.
pub fn in_force(windows: &[Window], at: WeekTime) -> bool {
    windows.is_empty() || windows.iter().any(|w| w.contains(at))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(day: &str, time: &str) -> WeekTime {
        WeekTime {
            weekday: parse_day(&day.to_ascii_lowercase()).unwrap(),
            minute: parse_time(time).unwrap(),
        }
    }

    fn w(text: &str) -> Window {
        Window::parse(text).unwrap()
    }

    #[test]
    fn weekday_window_covers_its_days_and_hours_only() {
        let homework = w("Mon-Fri 16:00-19:00");
        assert!(homework.contains(at("Mon", "16:00")));
        assert!(homework.contains(at("Fri", "18:59")));
        assert!(
            !homework.contains(at("Fri", "19:00")),
            "the end is exclusive"
        );
        assert!(!homework.contains(at("Wed", "15:59")));
        assert!(!homework.contains(at("Sat", "17:00")));
        assert!(!homework.contains(at("Sun", "17:00")));
    }

    #[test]
    fn window_past_midnight_runs_into_the_next_day() {
        let night = w("Fri 22:00-07:00");
        assert!(night.contains(at("Fri", "22:00")));
        assert!(night.contains(at("Fri", "23:59")));
        assert!(night.contains(at("Sat", "00:00")));
        assert!(night.contains(at("Sat", "06:59")));
        assert!(!night.contains(at("Sat", "07:00")));
        assert!(
            !night.contains(at("Fri", "06:00")),
            "Friday morning belongs to Thursday night"
        );
        assert!(!night.contains(at("Sat", "22:30")));
        // Sunday night wraps into Monday morning, across the end of the week.
        let sunday = w("Sun 23:00-01:00");
        assert!(sunday.contains(at("Mon", "00:30")));
        assert!(!sunday.contains(at("Tue", "00:30")));
    }

    #[test]
    fn every_day_after_and_until_midnight() {
        let late = w("every day after 21:00");
        assert_eq!(late, w("daily 21:00-24:00"));
        assert_eq!(late, w("Every day 21:00-00:00"));
        assert!(late.contains(at("Sun", "23:59")));
        assert!(
            !late.contains(at("Mon", "00:00")),
            "24:00 ends the day, not the next morning"
        );
        assert!(w("every day before 07:00").contains(at("Tue", "06:59")));
        assert!(w("every day 00:00-24:00").contains(at("Wed", "12:00")));
    }

    #[test]
    fn day_lists_and_names() {
        let weekend = w("Sat,Sun 09:00-12:00");
        assert!(weekend.contains(at("Sat", "10:00")) && weekend.contains(at("Sun", "10:00")));
        assert!(!weekend.contains(at("Mon", "10:00")));
        assert_eq!(w("weekends 09:00-12:00"), weekend);
        assert_eq!(w("saturday,sunday 9-12"), weekend);
        let mixed = w("Mon,Wed-Fri 08:00-09:00");
        assert!(mixed.contains(at("Mon", "08:30")) && mixed.contains(at("Thu", "08:30")));
        assert!(!mixed.contains(at("Tue", "08:30")));
        assert_eq!(
            w("Fri-Mon 10:00-11:00").to_string(),
            "Mon,Fri-Sun 10:00-11:00"
        );
    }

    #[test]
    fn windows_print_in_a_canonical_form_that_parses_back() {
        for text in [
            "Mon-Fri 16:00-19:00",
            "every day 21:00-24:00",
            "Sat,Sun 09:00-12:00",
            "Mon,Wed-Fri 08:00-09:30",
            "Fri 22:00-07:00",
        ] {
            let window = w(text);
            assert_eq!(window.to_string(), text);
            assert_eq!(w(&window.to_string()), window);
        }
    }

    #[test]
    fn bad_windows_are_refused_with_a_reason() {
        for (text, needle) in [
            ("Funday 10:00-11:00", "not a day"),
            ("Mon 10:00", "not a time range"),
            ("Mon 25:00-26:00", "not a time"),
            ("Mon 10:61-11:00", "not a time"),
            ("Mon 10:00-10:00", "same time"),
            ("Mon 24:00-02:00", "cannot start at 24:00"),
            ("Mon-Fri", "needs days and times"),
            ("every day 00:00-00:00", "00:00-24:00"),
        ] {
            let err = Window::parse(text).expect_err(text);
            assert!(err.to_string().contains(needle), "{text}: {err}");
        }
    }

    #[test]
    fn an_empty_schedule_is_always_in_force() {
        assert!(in_force(&[], at("Tue", "03:00")));
        let windows = [w("Mon-Fri 16:00-19:00"), w("every day after 21:00")];
        assert!(in_force(&windows, at("Tue", "17:00")));
        assert!(in_force(&windows, at("Sat", "22:00")));
        assert!(!in_force(&windows, at("Sat", "17:00")));
    }

    #[test]
    fn week_time_arithmetic_wraps_around_the_week() {
        assert_eq!(at("Sun", "23:30").plus_minutes(45), at("Mon", "00:15"));
        assert_eq!(
            at("Mon", "00:00").plus_minutes(7 * 1440),
            at("Mon", "00:00")
        );
    }
}
