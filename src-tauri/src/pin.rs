//! The parent's PIN: what it takes to reduce protection from the app.
//!
//! The PIN (or passphrase) is kept only as an argon2id hash with a random salt, in the config's
//! `app.pin` (PHC string form), and never leaves Rust: the window learns whether one is set,
//! never the hash. Every command that reduces protection, edits a list, a schedule or a setting,
//! or shows the history checks [`ParentLock::check`] first; an `unlock` with the right PIN
//! grants that one window a few minutes, and closing the window ends the grant.
//!
//! Wrong attempts are slowed down: from the third in a row each one makes the next wait twice
//! as long (5 s, 10 s, 20 s... up to 15 minutes). The count is kept in the history database, so
//! restarting Wicket does not reset it. The honest limit: whoever can edit `config.json` as
//! the OS user can remove `app.pin`, and with it the PIN (the tamper log notices at the next
//! start).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use serde::Serialize;
use wicket::Message;

use crate::messages as msg;

/// The key of the PIN's hash in the config's `app` object.
pub const APP_KEY: &str = "pin";
/// Shortest PIN accepted (four digits, as on a phone).
pub const MIN_CHARS: usize = 4;
/// Longest passphrase accepted (argon2 takes any length; this bounds the work per attempt).
pub const MAX_CHARS: usize = 256;
/// How long an unlock lasts.
pub const UNLOCK_FOR: Duration = Duration::from_secs(5 * 60);
/// Wrong attempts in a row that cost nothing (typos happen).
const FREE_FAILURES: u32 = 2;
/// The wait after the first costly wrong attempt; it doubles with each further one.
const FIRST_DELAY: Duration = Duration::from_secs(5);
/// The longest wait between two attempts.
const MAX_DELAY: Duration = Duration::from_secs(15 * 60);

/// Hashes a new PIN: argon2id with the crate's default cost (19 MiB, 2 passes) and a random
/// salt, as a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`).
pub fn hash(pin: &str) -> Result<String, Message> {
    let salt = SaltString::generate(&mut rand_core::OsRng);
    Argon2::default()
        .hash_password(pin.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Message::new(&msg::PIN_NOT_HASHED).with("detail", e))
}

/// Whether `pin` matches the stored hash (with the cost the hash records).
pub fn verify(stored: &str, pin: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default()
            .verify_password(pin.as_bytes(), &parsed)
            .is_ok(),
        Err(e) => {
            log::warn!("the stored PIN hash cannot be read ({e}): no PIN can match it");
            false
        }
    }
}

/// Checks a PIN the parent chooses.
pub fn check_new(pin: &str) -> Result<(), Message> {
    let chars = pin.chars().count();
    if pin.trim().is_empty() {
        return Err(Message::new(&msg::PIN_EMPTY));
    }
    if chars < MIN_CHARS {
        return Err(Message::new(&msg::PIN_TOO_SHORT).with("min", MIN_CHARS));
    }
    if chars > MAX_CHARS {
        return Err(Message::new(&msg::PIN_TOO_LONG).with("max", MAX_CHARS));
    }
    Ok(())
}

/// How long the next attempt must wait after `failures` wrong attempts in a row.
pub fn delay_after(failures: u32) -> Duration {
    if failures <= FREE_FAILURES {
        return Duration::ZERO;
    }
    let doublings = (failures - FREE_FAILURES - 1).min(20);
    FIRST_DELAY.saturating_mul(1 << doublings).min(MAX_DELAY)
}

/// Wrong attempts in a row, as saved between runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Failures {
    pub count: u32,
    /// When the last wrong attempt was made (ms since the Unix epoch).
    pub last_ms: u64,
}

impl Failures {
    /// Milliseconds until the next attempt may be made at `now_ms` (0: now).
    pub fn wait_ms(&self, now_ms: u64) -> u64 {
        let next = self
            .last_ms
            .saturating_add(delay_after(self.count).as_millis() as u64);
        next.saturating_sub(now_ms)
    }

    /// The text form kept in the database: `count last_ms`.
    pub fn to_text(self) -> String {
        format!("{} {}", self.count, self.last_ms)
    }

    pub fn from_text(text: &str) -> Failures {
        let mut parts = text.split_whitespace().map(|p| p.parse::<u64>().ok());
        match (parts.next().flatten(), parts.next().flatten()) {
            (Some(count), Some(last_ms)) => Failures {
                count: count.min(u32::MAX as u64) as u32,
                last_ms,
            },
            _ => Failures::default(),
        }
    }
}

/// The lock, as the window shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LockView {
    /// Whether a PIN is set (the hash itself is never sent).
    pub pin_set: bool,
    /// Whether this window may do locked things now (always, without a PIN).
    pub unlocked: bool,
    /// Seconds left of this window's unlock.
    pub unlocked_secs: u64,
    /// Seconds before the next attempt is accepted, after wrong ones.
    pub wait_secs: u64,
}

/// Why a locked command was refused, or an unlock failed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Refusal {
    /// What happened, in words (the window has its own text for each `reason`).
    pub locked: Message,
    /// `locked` (the command needs the PIN), `wrong_pin`, or `wait` (too many wrong attempts).
    pub reason: &'static str,
    /// Seconds before the next attempt is accepted (after wrong attempts).
    pub wait_secs: u64,
}

impl Refusal {
    pub fn needs_pin() -> Refusal {
        Refusal {
            locked: Message::new(&msg::PIN_NEEDED),
            reason: "locked",
            wait_secs: 0,
        }
    }

    pub fn wrong_pin(wait_ms: u64) -> Refusal {
        Refusal {
            locked: Message::new(&msg::PIN_WRONG),
            reason: "wrong_pin",
            wait_secs: wait_ms.div_ceil(1000),
        }
    }

    pub fn wait(wait_ms: u64) -> Refusal {
        let secs = wait_ms.div_ceil(1000);
        Refusal {
            locked: Message::new(&msg::PIN_WAIT).with("secs", secs),
            reason: "wait",
            wait_secs: secs,
        }
    }
}

/// The unlocks the app has granted, by window label.
#[derive(Default)]
pub struct Grants {
    until: Mutex<HashMap<String, Instant>>,
}

impl Grants {
    /// Whether `window` holds an unlock now.
    pub fn holds(&self, window: &str) -> bool {
        self.left(window) > Duration::ZERO
    }

    /// Time left of `window`'s unlock.
    pub fn left(&self, window: &str) -> Duration {
        let mut until = lock(&self.until);
        let now = Instant::now();
        match until.get(window) {
            Some(end) if *end > now => *end - now,
            Some(_) => {
                until.remove(window);
                Duration::ZERO
            }
            None => Duration::ZERO,
        }
    }

    pub fn grant(&self, window: &str) {
        lock(&self.until).insert(window.to_string(), Instant::now() + UNLOCK_FOR);
    }

    pub fn revoke(&self, window: &str) {
        lock(&self.until).remove(window);
    }

    pub fn revoke_all(&self) {
        lock(&self.until).clear();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pin_is_stored_as_a_salted_argon2id_hash_and_verifies() {
        let first = hash("2468").unwrap();
        let second = hash("2468").unwrap();
        assert!(
            first.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{first}"
        );
        assert!(!first.contains("2468"));
        assert_ne!(first, second, "each hash has its own salt");
        assert!(verify(&first, "2468"));
        assert!(verify(&second, "2468"));
        assert!(!verify(&first, "2469"));
        assert!(!verify(&first, ""));
        assert!(!verify("not a hash", "2468"));
    }

    #[test]
    fn passphrases_work_and_short_pins_are_refused() {
        let stored = hash("correct horse battery staple").unwrap();
        assert!(verify(&stored, "correct horse battery staple"));
        assert!(check_new("123")
            .unwrap_err()
            .to_string()
            .contains("at least 4"));
        assert!(check_new("    ").is_err());
        assert!(check_new(&"x".repeat(MAX_CHARS + 1)).is_err());
        assert!(check_new("1234").is_ok());
    }

    #[test]
    fn wrong_attempts_wait_longer_and_longer() {
        assert_eq!(delay_after(0), Duration::ZERO);
        assert_eq!(delay_after(2), Duration::ZERO);
        assert_eq!(delay_after(3), Duration::from_secs(5));
        assert_eq!(delay_after(4), Duration::from_secs(10));
        assert_eq!(delay_after(5), Duration::from_secs(20));
        assert_eq!(delay_after(12), MAX_DELAY);
        assert_eq!(delay_after(u32::MAX), MAX_DELAY);
        let failures = Failures {
            count: 4,
            last_ms: 1_000_000,
        };
        assert_eq!(failures.wait_ms(1_000_000), 10_000);
        assert_eq!(failures.wait_ms(1_004_000), 6_000);
        assert_eq!(failures.wait_ms(1_010_000), 0);
    }

    #[test]
    fn failures_survive_their_text_form() {
        let failures = Failures {
            count: 7,
            last_ms: 1_732_000_000_123,
        };
        assert_eq!(Failures::from_text(&failures.to_text()), failures);
        assert_eq!(Failures::from_text("garbage"), Failures::default());
    }

    #[test]
    fn an_unlock_belongs_to_one_window_and_can_be_revoked() {
        let grants = Grants::default();
        assert!(!grants.holds("main"));
        grants.grant("main");
        assert!(grants.holds("main"));
        assert!(!grants.holds("other"));
        assert!(grants.left("main") <= UNLOCK_FOR);
        grants.revoke("main");
        assert!(!grants.holds("main"));
    }
}
