//! Named rule lists and their schedules, through the real proxy: a list in force blocks, one
//! switched off or outside its window does not, and a schedule switching takes effect on open
//! connections without a restart.

mod common;

use common::{Origin, Proxy};
use wicket::schedule::WeekTime;

const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// A one-hour window starting `hours_from_now` hours from now, in local time.
fn window_from_now(hours_from_now: u32) -> String {
    let start = WeekTime::now().plus_minutes(hours_from_now * 60);
    let end = start.plus_minutes(60);
    format!(
        "{} {:02}:{:02}-{:02}:{:02}",
        DAYS[start.weekday as usize],
        start.minute / 60,
        start.minute % 60,
        end.minute / 60,
        end.minute % 60
    )
}

#[tokio::test]
async fn a_list_in_force_now_blocks_and_the_page_names_it() {
    let origin = Origin::hello().await;
    let proxy = Proxy::start(
        r#"{"lists": [{"name": "Social media", "rules": ["social.test"], "schedule": ["every day 00:00-24:00"]}]}"#,
    )
    .await;
    let resp = proxy.get("http://www.social.test/feed").await;
    assert_eq!(resp.status, 403);
    assert!(resp.text().contains("Social media"), "{}", resp.text());
    assert_eq!(proxy.get(&origin.url("/")).await.status, 200);
    let record = {
        let mut proxy = proxy;
        // The refused request's record comes first.
        proxy.next_record().await
    };
    assert_eq!(record.rule.as_deref(), Some("social.test"));
    assert_eq!(record.list.as_deref(), Some("Social media"));
}

#[tokio::test]
async fn a_list_outside_its_window_or_switched_off_blocks_nothing() {
    let later = window_from_now(3);
    let proxy = Proxy::start(&format!(
        r#"{{"lists": [
            {{"name": "Later", "rules": ["later.invalid"], "schedule": ["{later}"]}},
            {{"name": "Off", "enabled": false, "rules": ["off.invalid"]}}
        ]}}"#
    ))
    .await;
    // Not blocked, so the proxy tries to reach them: the names do not exist (502), proving
    // the request went past the rules.
    assert_eq!(proxy.get("http://later.invalid/").await.status, 502);
    assert_eq!(proxy.get("http://off.invalid/").await.status, 502);
    let lists = proxy.engine.policy().lists_now.clone();
    assert_eq!(lists.len(), 2);
    assert!(!lists[0].in_force && lists[0].enabled);
    assert!(!lists[1].in_force && !lists[1].enabled);
}

#[tokio::test]
async fn a_schedule_switching_applies_to_an_open_connection_without_restart() {
    let origin = Origin::hello().await;
    let proxy = Proxy::start(
        r#"{"lists": [{"name": "Homework time", "rules": ["127.0.0.1"], "schedule": ["Mon-Fri 16:00-19:00"]}]}"#,
    )
    .await;
    let at = |weekday: u8, hour: u16| WeekTime {
        weekday,
        minute: hour * 60,
    };
    let mut conn = proxy.connect().await;
    let request = format!("GET {} HTTP/1.1\r\n\r\n", origin.url("/"));
    proxy.engine.follow_schedules_at(at(2, 15));
    conn.send(request.as_bytes()).await;
    assert_eq!(
        conn.response(false).await.status,
        200,
        "Wednesday 15:00: not yet"
    );
    proxy.engine.follow_schedules_at(at(2, 16));
    conn.send(request.as_bytes()).await;
    assert_eq!(
        conn.response(false).await.status,
        403,
        "Wednesday 16:00: in force"
    );
    proxy.engine.follow_schedules_at(at(5, 17));
    conn.send(request.as_bytes()).await;
    assert_eq!(
        conn.response(false).await.status,
        200,
        "Saturday: the list rests"
    );
}
