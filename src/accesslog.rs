//! Access log lines, one per finished request, in the Common Log Format with three fields added:
//!
//! ```text
//! 127.0.0.1 - - [25/Nov/2026:20:05:09 +0000] "GET http://example.com/" 200 1256 12ms forwarded
//! 127.0.0.1 - - [25/Nov/2026:20:05:10 +0000] "CONNECT ads.example:443" 403 0 0ms blocked rule=ads.example
//! ```
//!
//! The fields after the status are: bytes of the site's answer sent to the client (body, or
//! tunnel bytes; 0 for Wicket's own pages), duration,
//! verdict, and the blocking rule or the error kind when there is one. Times are UTC.

use std::fmt::Write;

use crate::stats::{RequestRecord, Verdict};

/// Formats one record as a log line (without the newline).
pub fn line(record: &RequestRecord) -> String {
    let mut out = String::with_capacity(128);
    let _ = write!(
        out,
        "{} - - [{}] \"{}",
        record.client.ip(),
        clf_time(record.time_ms / 1000),
        record.method,
    );
    // A request that could not be read has no URL: `"-"`, as in the Common Log Format.
    let url = record.url();
    if !url.is_empty() {
        let _ = write!(out, " {}", url.replace('"', "%22"));
    }
    out.push_str("\" ");
    if record.status == 0 {
        out.push('-');
    } else {
        let _ = write!(out, "{}", record.status);
    }
    let verdict = match record.verdict {
        Verdict::Forwarded => "forwarded",
        Verdict::Tunneled => "tunneled",
        Verdict::Blocked => "blocked",
        Verdict::Denied => "denied",
        Verdict::Local => "local",
        Verdict::Failed => "failed",
    };
    let _ = write!(
        out,
        " {} {}ms {verdict}",
        record.bytes_down, record.duration_ms
    );
    if let Some(rule) = &record.rule {
        let _ = write!(out, " rule={rule}");
    }
    if let Some(list) = &record.list {
        let _ = write!(out, " list={:?}", list);
    }
    if let Some(error) = record.error {
        let _ = write!(out, " error={error}");
    }
    out
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `25/Nov/2026:20:05:09 +0000` for a Unix time in seconds.
pub fn clf_time(unix_secs: u64) -> String {
    let days = (unix_secs / 86_400) as i64;
    let secs = unix_secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{day:02}/{}/{year}:{:02}:{:02}:{:02} +0000",
        MONTHS[(month - 1) as usize],
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Year, month (1-12) and day (1-31) of a count of days since 1970-01-01
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn dates_are_right_across_leap_years_and_month_ends() {
        assert_eq!(clf_time(0), "01/Jan/1970:00:00:00 +0000");
        assert_eq!(clf_time(951_782_400), "29/Feb/2000:00:00:00 +0000");
        assert_eq!(clf_time(1_709_251_199), "29/Feb/2024:23:59:59 +0000");
        assert_eq!(clf_time(1_795_637_109), "25/Nov/2026:20:05:09 +0000");
        assert_eq!(clf_time(4_102_444_800), "01/Jan/2100:00:00:00 +0000");
    }

    #[test]
    fn line_shows_request_status_size_time_and_verdict() {
        let mut r = RequestRecord {
            id: 1,
            time_ms: 1_795_637_109_123,
            client: "127.0.0.1:5555".parse().unwrap(),
            method: "GET".into(),
            host: "example.com".into(),
            port: 80,
            path: "/a\"b".into(),
            status: 200,
            bytes_up: 0,
            bytes_down: 1256,
            duration_ms: 12,
            verdict: Verdict::Forwarded,
            rule: None,
            list: None,
            error: None,
        };
        assert_eq!(
            line(&r),
            "127.0.0.1 - - [25/Nov/2026:20:05:09 +0000] \"GET http://example.com/a%22b\" 200 1256 12ms forwarded"
        );
        r.verdict = Verdict::Blocked;
        r.status = 403;
        r.rule = Some("example.com".into());
        assert!(line(&r).ends_with("403 1256 12ms blocked rule=example.com"));
        r.status = 0;
        r.rule = None;
        r.verdict = Verdict::Failed;
        r.error = Some(ErrorKind::ClientAborted);
        assert!(line(&r).ends_with("\" - 1256 12ms failed error=client_aborted"));
        // Nothing could be read of the request.
        r.method = "-".into();
        r.host.clear();
        r.path.clear();
        assert!(line(&r).contains("] \"-\" - 1256"), "{}", line(&r));
    }
}
