//! The sweep destroys due records in batches (`services::retention::SWEEP_BATCH` a transaction): every record
//! of every batch is destroyed, its ledger line written, its key erased and its views gone, as one at a time;
//! a record held or refused in a batch is reported as before while the others are destroyed; and a write to
//! one of a batch's streams after the batch read it sinks nothing: the batch is done again one record at a
//! time, and both writes are kept.

use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;

use chrono::{Months, NaiveDate, Utc};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, User};
use crate::on_both_stores;
use domain::Role;
use projections::{Db, on_pool};
use services::retention::{Batching, Ledger, SweepReport};

on_both_stores!(
    a_sweep_of_several_batches_destroys_every_due_record_with_one_ledger_line_each,
    a_record_held_or_refused_in_a_batch_is_reported_and_the_others_destroyed,
    a_write_to_a_stream_after_its_batch_read_it_is_kept_and_every_record_ends_destroyed,
);

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// The day a record made today falls due: 24 months on.
fn due() -> NaiveDate {
    today()
        .checked_add_months(Months::new(24))
        .expect("a day two years on")
}

type Streams = Vec<(String, String)>;

type Pending<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// What runs before each batch is appended, as the sweep takes it.
fn before_append<'a, F>(hook: F) -> F
where
    F: Fn(Streams) -> Pending<'a> + Sync + 'a,
{
    hook
}

/// A hook that notes the streams of each batch as it is about to be appended.
macro_rules! noting {
    ($batches:expr) => {
        before_append(|streams| {
            $batches.lock().unwrap().push(streams);
            Box::pin(async {})
        })
    };
}

async fn sweep_in_batches(
    app: &TestApp,
    ledger: &Ledger,
    as_of: NaiveDate,
    batching: &Batching<'_>,
) -> SweepReport {
    services::retention::sweep_in_batches(
        &app.state,
        ledger,
        as_of,
        false,
        None,
        batching,
        &|_, _| {},
    )
    .await
    .unwrap_or_else(|error| panic!("the sweep as of {as_of} runs: {error:#}"))
}

async fn has_key(db: &Db, aggregate_type: &str, id: &str) -> bool {
    const SQL: &str =
        "SELECT COUNT(*) FROM stream_keys WHERE aggregate_type = $1 AND aggregate_id = $2";
    let count: i64 = on_pool!(db, p => sqlx::query_scalar(SQL).bind(aggregate_type).bind(id)
        .fetch_one(p).await.unwrap());
    count > 0
}

/// Whether any view still shows the stream.
async fn has_views(db: &Db, aggregate_type: &str, id: &str) -> bool {
    match aggregate_type {
        "Application" => {
            // Every table that holds rows of an application, by the column naming it.
            const TABLES: [(&str, &str); 13] = [
                ("application_views", "id"),
                ("case_list", "id"),
                ("case_assignments", "application_id"),
                ("committee_scores", "application_id"),
                ("personal_data_reads", "application_id"),
                ("award_dates", "application_id"),
                ("scholar_directory", "application_id"),
                ("alumni_networking", "application_id"),
                ("alumni_open_book", "application_id"),
                ("media_consents", "application_id"),
                ("referee_index", "application_id"),
                ("supervisor_index", "application_id"),
                ("retention_schedule", "aggregate_id"),
            ];
            let mut rows = 0;
            for (table, column) in TABLES {
                let sql = format!("SELECT COUNT(*) FROM {table} WHERE {column} = $1");
                let count: i64 = on_pool!(db, p => sqlx::query_scalar(&sql).bind(id)
                    .fetch_one(p).await.unwrap());
                rows += count;
            }
            rows > 0
        }
        "ImmigrationRecord" => {
            const SQL: &str = "SELECT COUNT(*) FROM immigration_records WHERE record_id = $1";
            let rows: i64 =
                on_pool!(db, p => sqlx::query_scalar(SQL).bind(id).fetch_one(p).await.unwrap());
            rows > 0
        }
        "InformationRequest" => projections::information_requests::find(db, id)
            .await
            .unwrap()
            .is_some(),
        other => panic!("a stream of type {other} was due"),
    }
}

/// Asserts the stream destroyed: marked so, its key erased, no view showing it.
async fn assert_destroyed(db: &Db, aggregate_type: &str, id: &str) {
    assert!(
        projections::retention::is_destroyed(db, aggregate_type, id)
            .await
            .unwrap(),
        "{aggregate_type} {id} is listed destroyed"
    );
    assert!(
        !has_key(db, aggregate_type, id).await,
        "the key of {aggregate_type} {id} is erased"
    );
    assert!(
        !has_views(db, aggregate_type, id).await,
        "no view shows {aggregate_type} {id}"
    );
}

/// How many lines of the ledger name the stream.
fn ledger_lines(ledger: &Ledger, aggregate_type: &str, id: &str) -> usize {
    ledger
        .lines()
        .unwrap()
        .iter()
        .filter(|line| line.aggregate_type == aggregate_type && line.aggregate_id == id)
        .count()
}

/// A made-up programme (drafts, unsuccessful and withdrawn applications, immigration records, requests),
/// swept in batches of two fifths of what is due: three batches, the last half full. Every due record not
/// held is destroyed, each with one ledger line, its key erased and its views gone; a second sweep destroys
/// nothing more.
async fn a_sweep_of_several_batches_destroys_every_due_record_with_one_ledger_line_each(
    app: TestApp,
) {
    services::demo::seed(&app.state, 24, "2026-27", &|_, _| {})
        .await
        .expect("seed");
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::new(dir.path().join("destroyed-streams.ledger"));
    let as_of = today() + Months::new(25);
    let due = projections::retention::due_by(app.db(), as_of)
        .await
        .unwrap();
    assert!(due.len() >= 10, "the programme has records due: {due:?}");
    let kinds: BTreeSet<&str> = due.iter().map(|d| d.aggregate_type.as_str()).collect();
    assert!(
        kinds.contains("Application") && kinds.contains("ImmigrationRecord"),
        "applications and immigration records are due: {kinds:?}"
    );
    for record in &due {
        let (kind, id) = (record.aggregate_type.as_str(), record.aggregate_id.as_str());
        assert!(
            has_views(app.db(), kind, id).await,
            "{kind} {id} is shown before the sweep"
        );
    }
    let size = due.len() * 2 / 5;
    let batches = Mutex::new(Vec::new());
    let hook = noting!(batches);
    let batching = Batching {
        size,
        before_append: Some(&hook),
    };

    let report = sweep_in_batches(&app, &ledger, as_of, &batching).await;

    assert!(report.failed.is_empty(), "nothing failed: {report:?}");
    let batches = batches.into_inner().unwrap();
    assert_eq!(
        batches.len(),
        due.len().div_ceil(size),
        "the due records were destroyed in batches of {size}"
    );
    assert!(
        batches.iter().all(|streams| streams.len() <= size),
        "{batches:?}"
    );
    for record in &due {
        let (kind, id) = (record.aggregate_type.as_str(), record.aggregate_id.as_str());
        let held = report
            .held
            .iter()
            .any(|line| line.aggregate_type == kind && line.aggregate_id == id);
        let destroyed = report
            .destroyed
            .iter()
            .filter(|line| line.aggregate_type == kind && line.aggregate_id == id)
            .count();
        if held {
            assert_eq!(destroyed, 0, "held {kind} {id} is kept");
            assert_eq!(ledger_lines(&ledger, kind, id), 0);
            continue;
        }
        assert_eq!(destroyed, 1, "{kind} {id} is reported destroyed once");
        assert_eq!(
            ledger_lines(&ledger, kind, id),
            1,
            "{kind} {id} has one line in the ledger"
        );
        assert_destroyed(app.db(), kind, id).await;
    }
    assert_eq!(
        ledger.lines().unwrap().len(),
        report.destroyed.len(),
        "one ledger line for each stream destroyed (accounts too), and no other"
    );

    let again = sweep_in_batches(&app, &ledger, as_of, &Batching::default()).await;
    assert!(
        again.destroyed.is_empty() && again.failed.is_empty(),
        "a second sweep destroys nothing more: {again:?}"
    );
}

/// A submitted application of the owner's, withdrawn: due under the schedule 24 months on.
async fn withdrawn(app: &TestApp, owner: &User) -> String {
    let id = app.submitted(owner).await;
    let (status, body) = app
        .post(
            &format!("/api/applications/{id}/withdraw"),
            owner,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "withdraw: {body}");
    id
}

/// One batch holds a record held, one whose rule no longer fits it (the application refuses it), and two
/// that are fine: the two are destroyed, the held one kept and reported held, the refused one reported with
/// its cause as when it was destroyed on its own, and kept to be tried again.
async fn a_record_held_or_refused_in_a_batch_is_reported_and_the_others_destroyed(app: TestApp) {
    let information = app.staff(Role::InformationOfficer).await;
    let mut ids = Vec::new();
    for _ in 0..4 {
        let owner = app.applicant().await;
        ids.push(withdrawn(&app, &owner).await);
    }
    let [fine, held, misfit, also_fine] = ids.try_into().unwrap();
    let (status, body) = app
        .post(
            &format!("/api/applications/{held}/hold"),
            &information,
            json!({"reason": "Test: held while a complaint is open"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    const RULE: &str =
        "UPDATE retention_schedule SET rule = 'unsubmitted_draft' WHERE aggregate_id = $1";
    on_pool!(app.db(), p => sqlx::query(RULE).bind(&misfit).execute(p).await.unwrap().rows_affected());
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::new(dir.path().join("destroyed-streams.ledger"));
    let batches = Mutex::new(Vec::new());
    let hook = noting!(batches);
    let batching = Batching {
        size: 10,
        before_append: Some(&hook),
    };

    let report = sweep_in_batches(&app, &ledger, due(), &batching).await;

    let batches = batches.into_inner().unwrap();
    assert_eq!(batches.len(), 1, "one batch: {batches:?}");
    let destroyed: Vec<&str> = report
        .destroyed
        .iter()
        .filter(|line| line.aggregate_type == "Application")
        .map(|line| line.aggregate_id.as_str())
        .collect();
    assert_eq!(
        destroyed.iter().copied().collect::<BTreeSet<_>>(),
        BTreeSet::from([fine.as_str(), also_fine.as_str()]),
        "{report:?}"
    );
    for id in [&fine, &also_fine] {
        assert_destroyed(app.db(), "Application", id).await;
        assert_eq!(ledger_lines(&ledger, "Application", id), 1);
    }
    let held_line = report
        .held
        .iter()
        .find(|line| line.aggregate_id == held)
        .unwrap_or_else(|| panic!("the held application is reported held: {report:?}"));
    assert_eq!(
        held_line.held_because.as_deref(),
        Some("Test: held while a complaint is open")
    );
    let cause = |id: &str| {
        report
            .failed
            .iter()
            .find(|failure| failure.aggregate_id == id)
            .map(|failure| (failure.source, failure.cause.as_str()))
    };
    assert_eq!(
        cause(&misfit),
        Some((
            "schedule",
            "the unsubmitted_draft rule does not apply to an application that is withdrawn (rule_does_not_apply)"
        )),
        "{report:?}"
    );
    assert_eq!(report.failed.len(), 1, "{report:?}");
    for id in [&held, &misfit] {
        assert!(
            !projections::retention::is_destroyed(app.db(), "Application", id)
                .await
                .unwrap(),
            "{id} is kept"
        );
        assert_eq!(ledger_lines(&ledger, "Application", id), 0);
    }
    let kept: BTreeSet<String> = projections::retention::failures(app.db())
        .await
        .unwrap()
        .into_iter()
        .map(|failure| failure.aggregate_id)
        .collect();
    assert_eq!(kept, BTreeSet::from([misfit.clone()]));
}

/// Each of six drafts is due; the first batch of four is decided, and before it is appended the owner of one
/// of them edits it. The batch's append fails on that stream and keeps nothing; its records are destroyed
/// one at a time, so the edit is kept and then the draft destroyed, and every record ends destroyed, with
/// one ledger line each.
async fn a_write_to_a_stream_after_its_batch_read_it_is_kept_and_every_record_ends_destroyed(
    app: TestApp,
) {
    let mut drafts = Vec::new();
    for _ in 0..6 {
        let owner = app.applicant().await;
        let id = app.complete_draft(&owner).await;
        drafts.push((owner, id));
    }
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::new(dir.path().join("destroyed-streams.ledger"));
    let batches = Mutex::new(Vec::<Streams>::new());
    let edited = Mutex::new(None::<String>);
    let hook = before_append(|streams: Streams| {
        let first = {
            let mut batches = batches.lock().unwrap();
            batches.push(streams.clone());
            batches.len() == 1
        };
        let (drafts, edited) = (&drafts, &edited);
        let app = &app;
        Box::pin(async move {
            if !first {
                return;
            }
            let (_, id) = &streams[1];
            let (owner, _) = drafts
                .iter()
                .find(|(_, draft)| draft == id)
                .expect("a draft of the batch");
            let (status, body) = app
                .patch(
                    &format!("/api/applications/{id}"),
                    owner,
                    json!({"personal": {"phone": "+000 0000 003"}}),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "the owner's edit: {body}");
            *edited.lock().unwrap() = Some(id.clone());
        })
    });
    let batching = Batching {
        size: 4,
        before_append: Some(&hook),
    };

    let report = sweep_in_batches(&app, &ledger, due(), &batching).await;

    assert_eq!(batches.lock().unwrap().len(), 2, "two batches");
    let edited = edited
        .into_inner()
        .unwrap()
        .expect("the hook edited a draft");
    assert!(report.failed.is_empty(), "{report:?}");
    for (_, id) in &drafts {
        assert_eq!(
            report
                .destroyed
                .iter()
                .filter(|line| &line.aggregate_id == id)
                .count(),
            1,
            "{id} is destroyed once: {report:?}"
        );
        assert_eq!(ledger_lines(&ledger, "Application", id), 1);
        assert_destroyed(app.db(), "Application", id).await;
    }
    let history: Vec<String> = app
        .state
        .repo
        .history("Application", &edited)
        .await
        .unwrap()
        .into_iter()
        .map(|entry| entry.event_type)
        .collect();
    let destroyed_at = history
        .iter()
        .position(|event| event == "PersonalDataDestroyed")
        .unwrap_or_else(|| panic!("the edited draft is destroyed: {history:?}"));
    assert_eq!(
        destroyed_at,
        history.len() - 1,
        "the destruction comes last, once: {history:?}"
    );
    let (_, unedited) = drafts
        .iter()
        .find(|(_, id)| id != &edited)
        .expect("another draft");
    let unedited_history = app
        .state
        .repo
        .history("Application", unedited)
        .await
        .unwrap();
    assert!(
        history.len() > unedited_history.len(),
        "the owner's edit is kept before the destruction: {history:?}"
    );
}
