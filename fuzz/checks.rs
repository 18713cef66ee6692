//! What the fuzz targets check, shared with the short run of the test suite (tests/api/fuzzing.rs): each
//! function takes any bytes and panics only where the service would be wrong.
//!
//! - `json_bodies`: the bodies of draft edits, amendments and preference changes, decoded as the API decodes
//!   them, then carried out by the application aggregate on a draft (and on a submitted application).
//!   Whatever the bytes, decoding answers a value or a refusal, the aggregate answers events or a refusal,
//!   and every event it gives survives a round trip through its stored JSON.
//! - `page_forms`: a form posted to a section page, decoded as the pages decode it (URL-encoded fields,
//!   NUL removed), turned into the section's change, and carried out the same way.
//! - `working_days`: the working-day calendar, for any day of the years the service takes and any added
//!   holidays: the 20th working day after a day is a working day, later than it, with exactly 20 working
//!   days in between; the statutory month is a working day at least 28 days later.

#![allow(dead_code, reason = "each user of this file uses some of the checks")]

use std::sync::Arc;

use chrono::{Datelike, Duration, NaiveDate, TimeZone, Utc};
use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;

use domain::application::form::DraftChanges;
use domain::application::{
    Application, ApplicationCommand, ApplicationEvent, ApplicationServices, StaffDirectory,
};
use domain::calendar::{BankHoliday, Region, WorkingDays};
use domain::{Actor, Authored, Role};
use services::http::applications::wire::{AmendmentBody, ApplicationPatch, PreferencesBody};

struct NoStaff;

#[async_trait::async_trait]
impl StaffDirectory for NoStaff {
    async fn role_of(&self, _user_id: &str) -> Result<Option<Role>, String> {
        Ok(None)
    }
}

fn owner() -> Actor {
    Actor::new("fuzz-applicant", Role::Applicant)
}

fn at() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 10, 1, 12, 0, 0)
        .single()
        .expect("a time")
}

/// A draft of the owner's, started in 2026-27.
fn draft() -> Application {
    let mut application = Application::default();
    let started: ApplicationEvent = serde_json::from_value(serde_json::json!({
        "ApplicationStarted": {"cycle": "2026-27", "applicant_id": "fuzz-applicant"}
    }))
    .expect("the started event's stored shape");
    application.apply(started);
    application
}

/// Carries a command out on the application; a refusal is fine, a panic is not, and every event must come
/// back from its stored JSON as it went in.
fn carry_out(application: &Application, by: Actor, command: ApplicationCommand) -> Application {
    let services = ApplicationServices {
        staff: Arc::new(NoStaff),
        cycles: Arc::new(domain::cycle::OpenAllYear),
    };
    let mut after = application.clone();
    let (outcome, events) = futures::executor::block_on(async {
        let sink = EventSink::default();
        let outcome = after
            .handle(Authored::new(by, at(), command), &services, &sink)
            .await;
        (outcome, sink.collect().await)
    });
    if outcome.is_err() {
        assert!(events.is_empty(), "a refused command recorded events");
        return application.clone();
    }
    let mut replayed = application.clone();
    for event in events {
        let stored = serde_json::to_value(&event).expect("an event serializes");
        let back: ApplicationEvent =
            serde_json::from_value(stored.clone()).expect("an event deserializes");
        assert_eq!(
            serde_json::to_value(&back).expect("serializes again"),
            stored,
            "an event changed in its round trip"
        );
        replayed.apply(back);
    }
    assert_eq!(
        replayed, after,
        "the stored events replay to the live state"
    );
    after
}

fn edit(changes: DraftChanges) {
    let draft = draft();
    let edited = carry_out(&draft, owner(), ApplicationCommand::SaveDraft { changes });
    // Submitting whatever the edit left is answered too (the missing parts listed, or submitted).
    carry_out(
        &edited,
        owner(),
        ApplicationCommand::SubmitApplication { notice: None },
    );
}

pub fn json_bodies(data: &[u8]) {
    if let Ok(patch) = serde_json::from_slice::<ApplicationPatch>(data)
        && let Ok(changes) = patch.into_changes()
    {
        edit(changes);
    }
    if let Ok(body) = serde_json::from_slice::<PreferencesBody>(data) {
        let _ = body.preferences();
    }
    if let Ok(body) = serde_json::from_slice::<AmendmentBody>(data) {
        let _ = body.changes();
    }
}

pub fn page_forms(data: &[u8]) {
    let Ok(fields) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(data) else {
        return;
    };
    let fields: Vec<(String, String)> = fields
        .into_iter()
        .map(|(k, v)| (k.replace('\0', ""), v.replace('\0', "")))
        .collect();
    for slug in [
        "personal",
        "education",
        "employment",
        "courses",
        "essays",
        "referees",
        "preferences",
    ] {
        if let Some(changes) = services::pages::applicant::changes_from(slug, &fields) {
            edit(changes);
        }
    }
}

pub fn working_days(data: &[u8]) {
    if data.len() < 3 {
        return;
    }
    // A day from 2015 to 2099, the years the service takes.
    let first = NaiveDate::from_ymd_opt(2015, 1, 1).expect("a day");
    let offset = u16::from_le_bytes([data[0], data[1]]) as i64 % 31_000;
    let day = first + Duration::days(offset);
    let n = (data[2] % 60) as u32;
    // The rest: proclaimed holidays, three bytes each (a day offset and a region).
    let added: Vec<BankHoliday> = data[3..]
        .chunks_exact(3)
        .take(16)
        .filter_map(|chunk| {
            let date =
                first + Duration::days(u16::from_le_bytes([chunk[0], chunk[1]]) as i64 % 31_000);
            let region = Region::ALL[(chunk[2] as usize) % Region::ALL.len()];
            BankHoliday::proclaimed(date, region.as_str(), "A proclaimed day").ok()
        })
        .collect();
    let calendar = WorkingDays::new(added);
    let after = calendar.working_days_after(day, n);
    assert!(after >= day);
    let between = (1..=(after - day).num_days())
        .filter(|d| calendar.is_working_day(day + Duration::days(*d)))
        .count();
    assert_eq!(between as u32, n, "working days between {day} and {after}");
    if n > 0 {
        assert!(
            calendar.is_working_day(after),
            "{after} is not a working day"
        );
    }
    let foi = calendar.foi_due(day);
    assert!(calendar.is_working_day(foi) && foi > day + Duration::days(20));
    let sar = calendar.sar_statutory_due(day);
    assert!(calendar.is_working_day(sar) && sar >= day + Duration::days(28));
    assert!(sar.year() <= day.year() + 1);
    let next = calendar.on_or_after(day);
    assert!(calendar.is_working_day(next) && next >= day && (next - day).num_days() < 14);
}
