//! The golden corpus of stored events, `tests/fixtures/events/`: one stored example of every version of every
//! event type ever shipped, sealed as the store seals them under a fixed test master key. Awards are kept for
//! ever, so what was written years ago must still load into today's aggregates and projections.
//!
//! - `every_version_of_every_event_type_has_a_stored_example` opens every stored event, brings it to today's
//!   shape through the upcasters (`domain::evolution`) and reads it as today's event type. It fails when an
//!   event type has no example (a new type), when a type's version has none (a new version), when an old
//!   version no longer reads (a shape was edited without a new version and an upcaster), and when today's
//!   code would write an example differently from how it was stored (a shipped shape was edited).
//! - `the_corpus_loads_into_todays_aggregates_and_projections` puts the corpus into a fresh store, on SQLite
//!   and on PostgreSQL, rebuilds every view from it, loads every stream into its aggregate, and reads the
//!   results back through the API.
//! - `write_missing_corpus_entries` (ignored; run by hand) writes the examples below that have no file yet.
//!   A file once written is never changed.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, Duration, Utc};
use cqrs_es::persist::{PersistedEventStore, SerializedEvent};
use cqrs_es::{Aggregate, DomainEvent, EventStore};
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use domain::application::{Application, ApplicationEvent};
use domain::cycle::{Cycle, CycleEvent};
use domain::evolution::{event_types_of, parse_version, upcast};
use domain::immigration::{ImmigrationEvent, ImmigrationRecord};
use domain::recipient::{Recipient, RecipientEvent};
use domain::request::{InformationRequest, RequestEvent};
use domain::retention::PERSONAL_DATA_DESTROYED;
use domain::{Actor, Role};
use projections::{Db, EventMetadata};
use services::crypto::{self, MasterKey};
use services::store::{EventRepository, stream_name};

use crate::helpers::{Backend, TestApp, spawn_app_with_master_key};

/// The master key the corpus is sealed under. A key for these tests only: it guards nothing real.
const CORPUS_MASTER_KEY: &str = "6574702d676f6c64656e2d636f727075732d746573742d6b65792d6f6e6c7921";

/// One stream as the store holds it: its rows, their payloads sealed, and its data key wrapped.
#[derive(Debug, Serialize, Deserialize)]
struct StoredStream {
    /// What the stream shows, for the reader of the corpus.
    about: String,
    /// The day the example was written (by the code of that day).
    written_on: String,
    aggregate_type: String,
    aggregate_id: String,
    /// The stream's data key wrapped by the corpus master key, in base64; `null` where the stream holds no
    /// personal data or its key was destroyed.
    wrapped_key: Option<String>,
    events: Vec<StoredEvent>,
}

#[derive(Debug, Serialize, Deserialize)]
struct StoredEvent {
    sequence: usize,
    event_type: String,
    event_version: String,
    payload: Value,
    metadata: Value,
}

fn corpus_folder() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/events")
}

fn master() -> MasterKey {
    MasterKey::from_hex(CORPUS_MASTER_KEY).unwrap()
}

/// Every stream of the corpus, by file name, in the order of their names.
fn corpus() -> Vec<(String, StoredStream)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_folder())
        .expect("the corpus folder tests/fixtures/events")
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&path).unwrap();
            let stream = serde_json::from_str(&text)
                .unwrap_or_else(|error| panic!("{name} is not a stored stream: {error}"));
            (name, stream)
        })
        .collect()
}

/// A stored stream's events opened with its key (as the store opens them), before any upcasting.
fn opened(stream: &StoredStream) -> Vec<SerializedEvent> {
    let name = stream_name(&stream.aggregate_type, &stream.aggregate_id);
    let key = stream.wrapped_key.as_ref().map(|wrapped| {
        master()
            .unwrap_data_key(&name, &BASE64.decode(wrapped).unwrap())
            .unwrap_or_else(|error| panic!("the key of {name}: {error}"))
    });
    stream
        .events
        .iter()
        .map(|event| SerializedEvent {
            aggregate_id: stream.aggregate_id.clone(),
            sequence: event.sequence,
            aggregate_type: stream.aggregate_type.clone(),
            event_type: event.event_type.clone(),
            event_version: event.event_version.clone(),
            payload: crypto::open(
                event.payload.clone(),
                key.as_ref(),
                &crypto::event_aad(&name, event.sequence),
            )
            .unwrap_or_else(|error| panic!("{name} #{}: {error}", event.sequence)),
            metadata: event.metadata.clone(),
        })
        .collect()
}

/// An event read as today's type: its type, its version, and how today's code writes it.
type Reading = Result<(String, String, Value), String>;

fn read_as<E: DomainEvent + Serialize + DeserializeOwned>(payload: &Value) -> Reading {
    let event: E = serde_json::from_value(payload.clone()).map_err(|error| error.to_string())?;
    let written = serde_json::to_value(&event).map_err(|error| error.to_string())?;
    Ok((event.event_type(), event.event_version(), written))
}

/// Every aggregate's event types, as today's code knows them, and how to read one of its events.
struct EventsOf {
    aggregate_type: &'static str,
    types: &'static [&'static str],
    read: fn(&Value) -> Reading,
}

fn every_aggregate() -> Vec<EventsOf> {
    vec![
        EventsOf {
            aggregate_type: Application::TYPE,
            types: event_types_of::<ApplicationEvent>(),
            read: read_as::<ApplicationEvent>,
        },
        EventsOf {
            aggregate_type: Cycle::TYPE,
            types: event_types_of::<CycleEvent>(),
            read: read_as::<CycleEvent>,
        },
        EventsOf {
            aggregate_type: ImmigrationRecord::TYPE,
            types: event_types_of::<ImmigrationEvent>(),
            read: read_as::<ImmigrationEvent>,
        },
        EventsOf {
            aggregate_type: Recipient::TYPE,
            types: event_types_of::<RecipientEvent>(),
            read: read_as::<RecipientEvent>,
        },
        EventsOf {
            aggregate_type: InformationRequest::TYPE,
            types: event_types_of::<RequestEvent>(),
            read: read_as::<RequestEvent>,
        },
    ]
}

const HOW_TO_ADD: &str = "add an example stream holding it to `examples()` in tests/api/event_corpus.rs \
     (under a new name) and run `cargo test -p services --test api event_corpus::write_missing_corpus_entries -- --ignored`";

#[test]
fn every_version_of_every_event_type_has_a_stored_example() {
    let aggregates = every_aggregate();
    let mut problems: Vec<String> = Vec::new();
    // (aggregate type, event type) -> the versions stored, and today's version.
    let mut stored: BTreeMap<(String, String), BTreeSet<u32>> = BTreeMap::new();
    let mut current: BTreeMap<(String, String), u32> = BTreeMap::new();
    for (file, stream) in corpus() {
        let Some(of) = aggregates
            .iter()
            .find(|of| of.aggregate_type == stream.aggregate_type)
        else {
            problems.push(format!(
                "{file}: no aggregate is called {}",
                stream.aggregate_type
            ));
            continue;
        };
        for event in opened(&stream) {
            let at = format!("{file} #{} {}", event.sequence, event.event_type);
            let Some(version) = parse_version(&event.event_version) else {
                problems.push(format!(
                    "{at}: version {:?} is not a number",
                    event.event_version
                ));
                continue;
            };
            stored
                .entry((stream.aggregate_type.clone(), event.event_type.clone()))
                .or_default()
                .insert(version);
            let today = upcast(event);
            match (of.read)(&today.payload) {
                Err(error) => problems.push(format!(
                    "{at} v{version} no longer reads as today's event ({error}): a shipped shape was edited; \
                     put it back and make a new version with an upcaster (domain/src/evolution.rs)"
                )),
                Ok((event_type, event_version, written)) => {
                    if event_type != today.event_type {
                        problems.push(format!("{at}: reads as {event_type}"));
                    }
                    if event_version != today.event_version {
                        problems.push(format!(
                            "{at} v{version} is upcast to v{} but today's type is v{event_version}: an upcaster \
                             is missing from domain/src/evolution.rs",
                            today.event_version
                        ));
                    }
                    if written != today.payload {
                        problems.push(format!(
                            "{at} v{version}: today's code writes it differently from how it was stored, so \
                             its shape was edited without a new version.\n  stored (upcast): {}\n  today:  {written}",
                            today.payload
                        ));
                    }
                    if let Some(version) = parse_version(&event_version) {
                        current.insert((stream.aggregate_type.clone(), event_type), version);
                    }
                }
            }
        }
    }
    for of in &aggregates {
        for event_type in of.types {
            let key = (of.aggregate_type.to_string(), event_type.to_string());
            let Some(today) = current.get(&key) else {
                problems.push(format!(
                    "{}::{event_type} has no stored example: {HOW_TO_ADD}",
                    of.aggregate_type
                ));
                continue;
            };
            for version in 1..=*today {
                if !stored
                    .get(&key)
                    .is_some_and(|found| found.contains(&version))
                {
                    problems.push(format!(
                        "{}::{event_type} v{version} has no stored example: {HOW_TO_ADD}",
                        of.aggregate_type
                    ));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "the event corpus:\n{}",
        problems.join("\n")
    );
}

/// The corpus's files and their SHA-256, one line each: a file once written is never changed or removed.
const MANIFEST: &str = "SHA256SUMS";

fn digest(path: &std::path::Path) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(std::fs::read(path).unwrap()))
}

#[test]
fn no_stored_example_was_changed_or_removed() {
    let manifest = std::fs::read_to_string(corpus_folder().join(MANIFEST)).unwrap();
    let mut listed = BTreeSet::new();
    for line in manifest.lines().filter(|line| !line.trim().is_empty()) {
        let (sum, file) = line.split_once("  ").expect("a line is `<sha256>  <file>`");
        let path = corpus_folder().join(file);
        assert!(
            path.exists(),
            "{file} was removed from the corpus: put it back"
        );
        assert_eq!(
            digest(&path),
            sum,
            "{file} was changed: a stored example is what an earlier version wrote, and is never edited"
        );
        listed.insert(file.to_string());
    }
    for (file, _) in corpus() {
        assert!(
            listed.contains(&file),
            "{file} is not in {MANIFEST}: write corpus files with write_missing_corpus_entries"
        );
    }
}

#[test]
fn no_two_aggregates_share_an_event_type_name() {
    // Upcasters are found by the event type's name alone (cqrs-es's `EventUpcaster`), so a name means one type.
    let mut seen: HashMap<&str, &str> = HashMap::new();
    for of in every_aggregate() {
        for event_type in of.types {
            if let Some(other) = seen.insert(event_type, of.aggregate_type) {
                // Both aggregates' destructions are the one retention event, of one shape.
                assert_eq!(
                    *event_type, PERSONAL_DATA_DESTROYED,
                    "{event_type} is an event of {other} and of {}",
                    of.aggregate_type
                );
            }
        }
    }
}

async fn load<A: Aggregate>(repo: &EventRepository, id: &str) -> usize {
    let store = PersistedEventStore::<EventRepository, A>::new_event_store(repo.clone());
    let context = store
        .load_aggregate(id)
        .await
        .unwrap_or_else(|error| panic!("{}/{id} loads: {error}", A::TYPE));
    context.current_sequence
}

/// The corpus put into a store as its rows, exactly as stored.
async fn put_corpus(app: &TestApp, streams: &[(String, StoredStream)]) {
    let mut position = 0_i64;
    let now = Utc::now();
    for (_, stream) in streams {
        if let Some(wrapped) = &stream.wrapped_key {
            let wrapped = BASE64.decode(wrapped).unwrap();
            const KEY: &str = "INSERT INTO stream_keys (aggregate_type, aggregate_id, wrapped_key, created_at) \
                               VALUES ($1, $2, $3, $4)";
            match app.db() {
                Db::Sqlite(pool) => {
                    sqlx::query(KEY)
                        .bind(&stream.aggregate_type)
                        .bind(&stream.aggregate_id)
                        .bind(wrapped)
                        .bind(now)
                        .execute(pool)
                        .await
                        .unwrap();
                }
                Db::Postgres(pool) => {
                    sqlx::query(KEY)
                        .bind(&stream.aggregate_type)
                        .bind(&stream.aggregate_id)
                        .bind(wrapped)
                        .bind(now)
                        .execute(pool)
                        .await
                        .unwrap();
                }
            }
        }
        for event in &stream.events {
            position += 1;
            let payload = sqlx::types::Json(&event.payload);
            let metadata = sqlx::types::Json(&event.metadata);
            match app.db() {
                Db::Sqlite(pool) => {
                    sqlx::query(
                        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, \
                         payload, metadata, recorded_at, global_position) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    )
                    .bind(&stream.aggregate_type)
                    .bind(&stream.aggregate_id)
                    .bind(event.sequence as i64)
                    .bind(&event.event_type)
                    .bind(&event.event_version)
                    .bind(payload)
                    .bind(metadata)
                    .bind(now)
                    .bind(position)
                    .execute(pool)
                    .await
                    .unwrap();
                }
                Db::Postgres(pool) => {
                    sqlx::query(
                        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, \
                         payload, metadata) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(&stream.aggregate_type)
                    .bind(&stream.aggregate_id)
                    .bind(event.sequence as i64)
                    .bind(&event.event_type)
                    .bind(&event.event_version)
                    .bind(payload)
                    .bind(metadata)
                    .execute(pool)
                    .await
                    .unwrap();
                }
            }
        }
    }
}

async fn the_corpus_loads_into_todays_aggregates_and_projections(app: TestApp) {
    let streams = corpus();
    put_corpus(&app, &streams).await;

    let report = app.state.repo.rebuild_projections().await.unwrap();
    let events: usize = streams.iter().map(|(_, s)| s.events.len()).sum();
    assert_eq!(
        report.events as usize, events,
        "every stored event replayed"
    );
    assert_eq!(report.streams as usize, streams.len());

    for (file, stream) in &streams {
        let id = stream.aggregate_id.as_str();
        let repo = &app.state.repo;
        let at = match stream.aggregate_type.as_str() {
            Application::TYPE => load::<Application>(repo, id).await,
            Cycle::TYPE => load::<Cycle>(repo, id).await,
            ImmigrationRecord::TYPE => load::<ImmigrationRecord>(repo, id).await,
            Recipient::TYPE => load::<Recipient>(repo, id).await,
            InformationRequest::TYPE => load::<InformationRequest>(repo, id).await,
            other => panic!("{file}: no aggregate is called {other}"),
        };
        assert_eq!(
            at,
            stream.events.last().unwrap().sequence,
            "{file}: the aggregate stands at its last event"
        );
    }

    // The views read back as today's API gives them.
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let (status, alumna) = app
        .get(&format!("/api/applications/{AWARDED}"), &officer)
        .await;
    assert_eq!(status, StatusCode::OK, "{alumna}");
    assert_eq!(alumna["status"], "alumni", "{alumna}");
    assert_eq!(alumna["personal"]["full_name"], "Corpus Example Scholar");
    assert_eq!(
        alumna["personal"]["email"],
        "scholar.corrected@example.test"
    );
    // Courses and awards written before they had a country of study are in the United Kingdom.
    assert_eq!(alumna["award"]["country"], "United Kingdom", "{alumna}");
    assert_eq!(
        alumna["courses"][0]["country"], "United Kingdom",
        "{alumna}"
    );
    let (status, abroad) = app
        .get(&format!("/api/applications/{ABROAD}"), &officer)
        .await;
    assert_eq!(status, StatusCode::OK, "{abroad}");
    assert_eq!(abroad["award"]["country"], "France", "{abroad}");
    assert_eq!(abroad["courses"][0]["country"], "France", "{abroad}");
    assert_eq!(
        abroad["courses"][1]["country"], "United Kingdom",
        "{abroad}"
    );
    // A recipient registered before recipients said whom they represent and where they stand has neither.
    let (status, register) = app.get("/api/recipients", &officer).await;
    assert_eq!(status, StatusCode::OK, "{register}");
    let entry = |id: &str| {
        register
            .as_array()
            .and_then(|all| all.iter().find(|r| r["id"] == id))
            .cloned()
            .unwrap_or_else(|| panic!("{id} is in the register: {register}"))
    };
    assert_eq!(entry(MISSION)["represents"], Value::Null, "{register}");
    assert_eq!(entry(MISSION)["located_in"], Value::Null, "{register}");
    assert_eq!(entry(EMBASSY)["represents"], "France", "{register}");
    assert_eq!(entry(EMBASSY)["located_in"], "Kenya", "{register}");
    let (status, withdrawn) = app
        .get(&format!("/api/applications/{WITHDRAWN}"), &officer)
        .await;
    assert_eq!(
        status,
        StatusCode::GONE,
        "a stream destroyed by retention stays destroyed: {withdrawn}"
    );
    assert_eq!(withdrawn["error"], "destroyed");
    assert!(
        !withdrawn.to_string().contains("Corpus Example Withdrawn"),
        "a destroyed stream's personal data stays destroyed: {withdrawn}"
    );
    let (status, cases) = app.get("/api/applications", &officer).await;
    assert_eq!(status, StatusCode::OK);
    assert!(cases.to_string().contains(AWARDED), "{cases}");

    let information = app.staff(Role::InformationOfficer).await;
    let (status, sar) = app
        .get(&format!("/api/information-requests/{SAR}"), &information)
        .await;
    assert_eq!(status, StatusCode::OK, "{sar}");
    assert_eq!(sar["kind"], "sar", "{sar}");

    let admin = app.staff(Role::Admin).await;
    let (status, terms) = app.get("/api/cycles/2026-27", &admin).await;
    assert_eq!(status, StatusCode::OK, "{terms}");
    assert_eq!(terms["blind_review"], true, "{terms}");
    assert_eq!(terms["eligible_nationalities"], json!(["Ghana", "Kenya"]));

    // Both shapes of the cycle's terms read as today's: the first through its upcaster.
    let (_, screened) = app.get("/api/cycles/2027-28", &admin).await;
    assert_eq!(screened["minimum_work_years"], json!(2), "{screened}");
    assert_eq!(terms["screening_rules"], json!(["eligible_nationality"]));
    let (status, overridden) = app
        .get(&format!("/api/applications/{SCREENED}"), &officer)
        .await;
    assert_eq!(status, StatusCode::OK, "{overridden}");
    assert_eq!(overridden["return_home"], json!(true));
    assert_eq!(
        overridden["screening_overrides"][0]["rules"],
        json!(["work_experience"])
    );

    // The decision of version 1 reads with no place on the reserve list; version 2's keeps its place, and its
    // letter reads back with what became of its email.
    assert_eq!(alumna["decision"], json!("selected"));
    let (status, reserve) = app
        .get(&format!("/api/applications/{RESERVE}"), &officer)
        .await;
    assert_eq!(status, StatusCode::OK, "{reserve}");
    assert_eq!(
        reserve["decision_detail"]["reserve_position"],
        json!(1),
        "{reserve}"
    );
    let (status, letters) = app
        .get(&format!("/api/applications/{RESERVE}/letters"), &officer)
        .await;
    assert_eq!(status, StatusCode::OK, "{letters}");
    assert_eq!(letters.as_array().map(Vec::len), Some(1), "{letters}");
    assert_eq!(
        letters[0]["subject"],
        json!("Your application: reserve list")
    );

    // A command on a stream of stored events, decided by today's code on the state they load into.
    let (status, changed) = app
        .put(
            "/api/cycles/2026-27",
            &admin,
            json!({"opens_on": "2026-08-01", "closes_on": "2026-12-31", "blind_review": false}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["closes_on"], "2026-12-31");
    assert_eq!(
        load::<Cycle>(&app.state.repo, "2026-27").await,
        2,
        "the new terms follow the stored event"
    );
}

/// The corpus opens only under its own master key, so these run on a store made with it.
mod the_corpus_loads_into_todays_aggregates_and_projections {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        let app = spawn_app_with_master_key(Backend::Sqlite, CORPUS_MASTER_KEY.to_string()).await;
        super::the_corpus_loads_into_todays_aggregates_and_projections(app).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        let app = spawn_app_with_master_key(Backend::Postgres, CORPUS_MASTER_KEY.to_string()).await;
        super::the_corpus_loads_into_todays_aggregates_and_projections(app).await;
    }
}

// ---------------------------------------------------------------------------------------------------------
// The examples the corpus files were written from. A file, once written, is the truth and is never
// rewritten: when a shape changes, leave the old example's file alone, and add a new example stream holding
// the new version under a new name. An example whose file exists is kept here as the record of what was
// written, in the shape of its day (`cycle-terms` is CycleTermsSet 1), and is not read again.

const AWARDED: &str = "01938a00-0000-7000-8000-00000000a001";
const WITHDRAWN: &str = "01938a00-0000-7000-8000-00000000a002";
const SAR: &str = "01938a00-0000-7000-8000-00000000c001";
const SCREENED: &str = "01938a00-0000-7000-8000-00000000a003";
const RESERVE: &str = "01938a00-0000-7000-8000-00000000a004";
const CONCLUDED: &str = "01938a00-0000-7000-8000-00000000a005";
const RECHECKED: &str = "01938a00-0000-7000-8000-00000000a007";
const NOTICE_ACCEPTED: &str = "01938a00-0000-7000-8000-00000000a010";
const DISPUTED: &str = "01938a00-0000-7000-8000-00000000a008";
const DISPUTING_APPLICANT: &str = "01938a00-0000-7000-8000-0000000000a4";
const CORRECTED: &str = "01938a00-0000-7000-8000-00000000a009";
const CORRECTED_APPLICANT: &str = "01938a00-0000-7000-8000-0000000000a5";
const REFUSED_RECTIFICATION: &str = "01938a00-0000-7000-8000-00000000c002";
const ABROAD: &str = "01938a00-0000-7000-8000-00000000a006";
const ABROAD_APPLICANT: &str = "01938a00-0000-7000-8000-0000000000a3";
const EMBASSY: &str = "01938a00-0000-7000-8000-00000000e002";
const MAILER: &str = "mailer";
const ADMINISTERED: &str = "01938a00-0000-7000-8000-00000000a016";
const OFFER_DECLINED: &str = "01938a00-0000-7000-8000-00000000a017";
const OFFER_LAPSED: &str = "01938a00-0000-7000-8000-00000000a018";
const REPORT_REMINDED: &str = "01938a00-0000-7000-8000-00000000a019";
const OFFERED_APPLICANT: &str = "01938a00-0000-7000-8000-0000000000a8";

struct Example {
    name: String,
    about: String,
    aggregate_type: &'static str,
    aggregate_id: String,
    events: Vec<(&'static str, Role, Value)>,
}

const APPLICANT: &str = "01938a00-0000-7000-8000-0000000000a1";
const OTHER_APPLICANT: &str = "01938a00-0000-7000-8000-0000000000a2";
const OFFICER: &str = "01938a00-0000-7000-8000-0000000000b1";
const MEMBER: &str = "01938a00-0000-7000-8000-0000000000b2";
const OTHER_MEMBER: &str = "01938a00-0000-7000-8000-0000000000b3";
const HELPDESK: &str = "01938a00-0000-7000-8000-0000000000b4";
const INFORMATION: &str = "01938a00-0000-7000-8000-0000000000b5";
const ADMIN: &str = "01938a00-0000-7000-8000-0000000000b6";
const SYSTEM: &str = "system";
const MISSION: &str = "01938a00-0000-7000-8000-00000000e001";

fn personal(value: Value) -> Value {
    json!({ "$personal": value })
}

fn request(kind: &str, id_suffix: u32, mut decisions: Vec<(&'static str, Role, Value)>) -> Example {
    let mut events = vec![(
        INFORMATION,
        Role::InformationOfficer,
        json!({"RequestLogged": {
            "kind": kind,
            "received_on": "2026-11-02",
            "requester": personal(json!({"name": "Corpus Example Requester", "email": "requester@example.test"})),
            "subject_email": personal(json!("scholar@example.test")),
            "description": personal(json!("Every record held about me.")),
        }}),
    )];
    events.append(&mut decisions);
    Example {
        name: format!("request-{kind}"),
        about: format!("an information request ({kind}) and its decisions"),
        aggregate_type: InformationRequest::TYPE,
        aggregate_id: format!("01938a00-0000-7000-8000-00000000c{id_suffix:03}"),
        events,
    }
}

fn examples() -> Vec<Example> {
    let form = json!({
        "personal": {
            "full_name": "Corpus Example Scholar",
            "date_of_birth": "1990-01-01",
            "email": "scholar@example.test",
            "phone": "+000 0000 0001",
            "address": "1 Example Street, Exampletown",
            "nationality": "Kenya",
            "country_of_residence": "Kenya"
        },
        "education": [{"institution": "Example University", "qualification": "BSc", "subject": "Physics", "year": 2012}],
        "employment": [{"employer": "Example Employer", "role": "Analyst", "from": "2013-09"}],
        "courses": [{"institution": "Example Institute", "course": "MSc Example Studies", "level": "masters"}],
        "essays": {
            "leadership": "An example essay.",
            "networking": "An example essay.",
            "study_plan": "An example essay.",
            "career_plan": "An example essay."
        },
        "referees": [{"name": "Corpus Example Referee", "email": "referee@example.test"}]
    });
    let sections = json!([
        "personal",
        "education",
        "employment",
        "courses",
        "essays",
        "referees"
    ]);
    vec![
        Example {
            name: "application-awarded".to_string(),
            about: "an application from start to alumni, with every staff action on the way".to_string(),
            aggregate_type: Application::TYPE,
            aggregate_id: AWARDED.to_string(),
            events: vec![
                (APPLICANT, Role::Applicant, json!({"ApplicationStarted": {"cycle": "2026-27", "applicant_id": APPLICANT}})),
                (APPLICANT, Role::Applicant, json!({"DraftSaved": {"sections": sections, "changes": personal(form.clone())}})),
                (APPLICANT, Role::Applicant, json!({"PreferencesChanged": {
                    "preferences": personal(json!({"networking_opt_out": false, "alumni_email_opt_out": true, "alumni_book_opt_out": false, "images_opt_out": true})),
                    "reason": personal(Value::Null),
                }})),
                (APPLICANT, Role::Applicant, json!({"ApplicationSubmitted": {"submitted_at": "2026-11-01T12:00:00Z"}})),
                (OFFICER, Role::ProgrammeOfficer, json!({"EligibilityDetermined": {"eligible": true, "reason": personal(json!("Meets every criterion."))}})),
                (OFFICER, Role::ProgrammeOfficer, json!({"CommitteeMemberAssigned": {"member_id": MEMBER}})),
                (OFFICER, Role::ProgrammeOfficer, json!({"CommitteeMemberAssigned": {"member_id": OTHER_MEMBER}})),
                (OTHER_MEMBER, Role::CommitteeMember, json!({"ConflictDeclared": {"member_id": OTHER_MEMBER, "reason": personal(json!("A former colleague."))}})),
                (MEMBER, Role::CommitteeMember, json!({"ApplicationScored": {"member_id": MEMBER, "scores": personal(json!({
                    "leadership": 8, "networking": 7, "study_plan": 9, "career_plan": 8, "comment": "A clear plan."
                }))}})),
                (OFFICER, Role::ProgrammeOfficer, json!({"DecisionRecorded": {"outcome": "selected"}})),
                (OFFICER, Role::ProgrammeOfficer, json!({"AwardMade": {"terms": personal(json!({
                    "institution": "Example Institute", "course": "MSc Example Studies", "level": "masters", "start_date": "2027-09-20"
                })), "joint_sponsor_id": null}})),
                (OFFICER, Role::ProgrammeOfficer, json!({"DataDisclosed": {
                    "disclosure_id": "01938a00-0000-7000-8000-00000000d001",
                    "recipient_id": MISSION,
                    "recipient_name": "Example Mission",
                    "recipient_kind": "british_mission",
                    "fields": ["personal.full_name", "personal.email"],
                    "purpose": personal(json!("Visa support.")),
                    "values": personal(json!({"personal.full_name": "Corpus Example Scholar", "personal.email": "scholar@example.test"})),
                }})),
                (OFFICER, Role::ProgrammeOfficer, json!({"DisclosureRefused": {
                    "disclosure_id": "01938a00-0000-7000-8000-00000000d002",
                    "recipient_id": MISSION,
                    "recipient_name": "Example Mission",
                    "recipient_kind": "british_mission",
                    "fields": ["essays.leadership"],
                    "purpose": personal(json!("Publicity.")),
                    "reason": "the policy shares only what the recipient needs",
                }})),
                (HELPDESK, Role::Helpdesk, json!({"PersonalDataAmended": {
                    "fields": ["email"],
                    "changes": personal(json!([{"field": "email", "old": "scholar@example.test", "new": "scholar.corrected@example.test"}])),
                    "reason": personal(json!("The applicant asked by telephone.")),
                    "requested_by": personal(json!("The applicant.")),
                }})),
                (SYSTEM, Role::Helpdesk, json!({"RectificationNoticeDue": {"recipient_id": MISSION, "recipient_name": "Example Mission", "fields": ["personal.email"]}})),
                (OFFICER, Role::ProgrammeOfficer, json!({"RectificationNoticeSent": {"recipient_id": MISSION}})),
                (INFORMATION, Role::InformationOfficer, json!({"ProcessingRestricted": {"request_id": "01938a00-0000-7000-8000-00000000c005", "reason": personal(json!("Accuracy contested."))}})),
                (INFORMATION, Role::InformationOfficer, json!({"RestrictionLifted": {"reason": personal(json!("Accuracy confirmed."))}})),
                (OFFICER, Role::ProgrammeOfficer, json!({"AwardCompleted": {"completed_on": "2028-09-30", "outcome": personal(json!("Completed with distinction."))}})),
            ],
        },
        Example {
            name: "application-withdrawn-destroyed".to_string(),
            about: "an application withdrawn, then destroyed under the retention schedule: its key is gone".to_string(),
            aggregate_type: Application::TYPE,
            aggregate_id: WITHDRAWN.to_string(),
            events: vec![
                (APPLICANT, Role::Applicant, json!({"ApplicationStarted": {"cycle": "2026-27", "applicant_id": APPLICANT}})),
                (APPLICANT, Role::Applicant, json!({"DraftSaved": {"sections": ["personal"], "changes": personal(json!({"personal": {"full_name": "Corpus Example Withdrawn"}}))}})),
                (APPLICANT, Role::Applicant, json!({"ApplicationWithdrawn": {"previous_status": "draft"}})),
                (SYSTEM, Role::Admin, json!({"PersonalDataDestroyed": {"rule": "unsuccessful_application", "destroyed_on": "2028-12-01"}})),
            ],
        },
        Example {
            name: "cycle-terms".to_string(),
            about: "a cycle's terms, set by an administrator".to_string(),
            aggregate_type: Cycle::TYPE,
            aggregate_id: "2026-27".to_string(),
            events: vec![(ADMIN, Role::Admin, json!({"CycleTermsSet": {"cycle": "2026-27", "terms": {
                "opens_on": "2026-08-01", "closes_on": "2026-11-30", "blind_review": true,
                "eligible_nationalities": ["Ghana", "Kenya"]
            }}}))],
        },
        Example {
            name: "cycle-terms-v2".to_string(),
            about: "a cycle's terms with every rule of the screening (CycleTermsSet 2)".to_string(),
            aggregate_type: Cycle::TYPE,
            aggregate_id: "2027-28".to_string(),
            events: vec![(ADMIN, Role::Admin, json!({"CycleTermsSet": {"cycle": "2027-28", "terms": {
                "opens_on": "2027-08-01", "closes_on": "2027-11-30", "blind_review": false,
                "screening": {
                    "eligible_nationalities": ["Ghana", "Kenya"],
                    "undergraduate_degree": true,
                    "minimum_work_years": 2,
                    "return_home_commitment": true
                }
            }}}))],
        },
        Example {
            name: "application-screening-overridden".to_string(),
            about: "a draft whose screening a programme officer overrode, then submitted".to_string(),
            aggregate_type: Application::TYPE,
            aggregate_id: SCREENED.to_string(),
            events: vec![
                (APPLICANT, Role::Applicant, json!({"ApplicationStarted": {"cycle": "2027-28", "applicant_id": APPLICANT}})),
                (APPLICANT, Role::Applicant, json!({"DraftSaved": {"sections": [
                    "personal", "education", "employment", "courses", "essays", "referees", "commitment"
                ], "changes": personal({
                    let mut form = form.clone();
                    form["return_home"] = json!(true);
                    form
                })}})),
                (OFFICER, Role::ProgrammeOfficer, json!({"ScreeningOverridden": {
                    "rules": ["work_experience"],
                    "reason": personal(json!("A career break the rules did not foresee.")),
                }})),
                (APPLICANT, Role::Applicant, json!({"ApplicationSubmitted": {"submitted_at": "2027-09-01T12:00:00Z"}})),
            ],
        },
        Example {
            name: "application-reserve-lettered".to_string(),
            about: "a reserve decided from the ranking (DecisionRecorded 2), told by letter, its email failing \
                    once and then sent"
                .to_string(),
            aggregate_type: Application::TYPE,
            aggregate_id: RESERVE.to_string(),
            events: vec![
                (OTHER_APPLICANT, Role::Applicant, json!({"ApplicationStarted": {"cycle": "2027-28", "applicant_id": OTHER_APPLICANT}})),
                (OTHER_APPLICANT, Role::Applicant, json!({"DraftSaved": {"sections": sections, "changes": personal(form.clone())}})),
                (OTHER_APPLICANT, Role::Applicant, json!({"ApplicationSubmitted": {"submitted_at": "2027-09-01T12:00:00Z"}})),
                (OFFICER, Role::ProgrammeOfficer, json!({"EligibilityDetermined": {"eligible": true, "reason": personal(json!("Meets every criterion."))}})),
                (OFFICER, Role::ProgrammeOfficer, json!({"CommitteeMemberAssigned": {"member_id": MEMBER}})),
                (MEMBER, Role::CommitteeMember, json!({"ApplicationScored": {"member_id": MEMBER, "scores": personal(json!({
                    "leadership": 6, "networking": 6, "study_plan": 7, "career_plan": 6, "comment": "Sound."
                }))}})),
                (OFFICER, Role::ProgrammeOfficer, json!({"DecisionRecorded": {"outcome": "reserve", "reserve_position": 1}})),
                (OFFICER, Role::ProgrammeOfficer, json!({"LetterIssued": {
                    "letter_id": "01938a00-0000-7000-8000-00000000b101",
                    "kind": "reserve",
                    "subject": personal(json!("Your application: reserve list")),
                    "body": personal(json!("<!DOCTYPE html><html><body><p>An example letter.</p></body></html>")),
                    "by_email": true,
                }})),
                (MAILER, Role::ProgrammeOfficer, json!({"LetterEmailFailed": {
                    "letter_id": "01938a00-0000-7000-8000-00000000b101",
                    "reason": "the mail server refused the message (reply 451)",
                }})),
                (MAILER, Role::ProgrammeOfficer, json!({"LetterEmailed": {"letter_id": "01938a00-0000-7000-8000-00000000b101"}})),
            ],
        },
        Example {
            name: "immigration-record".to_string(),
            about: "an immigration record kept for an award".to_string(),
            aggregate_type: ImmigrationRecord::TYPE,
            aggregate_id: "01938a00-0000-7000-8000-00000000f001".to_string(),
            events: vec![(OFFICER, Role::ProgrammeOfficer, json!({"ImmigrationRecordRecorded": {
                "application_id": AWARDED, "applicant_id": APPLICANT, "kind": "visa",
                "document": personal(json!({"reference": "EXAMPLE-0001", "issued_on": "2027-07-01"})),
            }}))],
        },
        Example {
            name: "immigration-record-destroyed".to_string(),
            about: "an immigration record destroyed two years after it was recorded".to_string(),
            aggregate_type: ImmigrationRecord::TYPE,
            aggregate_id: "01938a00-0000-7000-8000-00000000f002".to_string(),
            events: vec![
                (OFFICER, Role::ProgrammeOfficer, json!({"ImmigrationRecordRecorded": {
                    "application_id": AWARDED, "applicant_id": APPLICANT, "kind": "visa",
                    "document": personal(json!({"reference": "EXAMPLE-0002", "issued_on": "2024-07-01"})),
                }})),
                (SYSTEM, Role::Admin, json!({"PersonalDataDestroyed": {"rule": "immigration_record", "destroyed_on": "2026-07-02"}})),
            ],
        },
        Example {
            name: "recipient".to_string(),
            about: "a recipient of the register".to_string(),
            aggregate_type: Recipient::TYPE,
            aggregate_id: MISSION.to_string(),
            events: vec![(OFFICER, Role::ProgrammeOfficer, json!({"RecipientRegistered": {
                "name": "Example Mission", "kind": "british_mission", "country": "Kenya"
            }}))],
        },
        request("sar", 1, vec![
            (INFORMATION, Role::InformationOfficer, json!({"ClockStopped": {"on": "2026-11-03", "reason": "identity", "note": personal(json!("Identity asked for."))}})),
            (INFORMATION, Role::InformationOfficer, json!({"ClockResumed": {"on": "2026-11-05", "note": personal(json!("Identity confirmed."))}})),
            (INFORMATION, Role::InformationOfficer, json!({"DeadlineExtended": {"extension": {"kind": "complex", "months": 1}, "reason": personal(json!("Many records."))}})),
            (INFORMATION, Role::InformationOfficer, json!({"ResponseIssued": {"issued_on": "2026-11-20", "response": personal(json!({"letter": "An example response."}))}})),
        ]),
        Example {
            name: "request-sar-drafted".to_string(),
            about: "a subject access response drafted, an item withheld from it, a note added, then issued".to_string(),
            ..request("sar", 10, vec![
                (INFORMATION, Role::InformationOfficer, json!({"ResponseDrafted": {"drafted_on": "2026-11-18", "response": personal(json!({"records": {"applications": [{"essays": {"leadership": "An example essay."}}]}}))}})),
                (INFORMATION, Role::InformationOfficer, json!({"DraftItemWithheld": {"item": "/records/applications/0/essays/leadership", "ground": "third_party", "reason": personal(json!("It names another person."))}})),
                (INFORMATION, Role::InformationOfficer, json!({"DraftAnnotated": {"note": personal(json!("An example note.")), "held_elsewhere": personal(json!("Paper files."))}})),
                (INFORMATION, Role::InformationOfficer, json!({"ResponseIssued": {"issued_on": "2026-11-20", "response": personal(json!({"records": {"applications": [{"essays": {}}]}, "withheld": [{"item": "Application 1 › Essays › Leadership"}]}))}})),
            ])
        },
        request("foi", 2, vec![
            (INFORMATION, Role::InformationOfficer, json!({"DeadlineExtended": {"extension": {"kind": "public_interest_test"}, "reason": personal(json!("The public interest is weighed."))}})),
            (INFORMATION, Role::InformationOfficer, json!({"FoiRefused": {"ground": "cost_limit", "reason": personal(json!("Beyond the cost limit.")), "public_interest": personal(Value::Null)}})),
        ]),
        request("erasure", 3, vec![
            (INFORMATION, Role::InformationOfficer, json!({"ErasureDecided": {"approved": false, "reason": personal(json!("An award is kept for ever."))}})),
        ]),
        request("rectification", 4, vec![
            (INFORMATION, Role::InformationOfficer, json!({"RectificationDecided": {"rectified": true, "application_id": AWARDED, "fields": ["personal.email"], "reason": personal(json!("Corrected."))}})),
        ]),
        request("restriction", 5, vec![
            (INFORMATION, Role::InformationOfficer, json!({"RestrictionDecided": {"restricted": true, "reason": personal(json!("Accuracy contested."))}})),
        ]),
        Example {
            name: "application-concluded-with-cycle".to_string(),
            about: "an application under review when its cycle was concluded: unsuccessful from that day".to_string(),
            aggregate_type: Application::TYPE,
            aggregate_id: CONCLUDED.to_string(),
            events: vec![
                (OTHER_APPLICANT, Role::Applicant, json!({"ApplicationStarted": {"cycle": "2025-26", "applicant_id": OTHER_APPLICANT}})),
                (OTHER_APPLICANT, Role::Applicant, json!({"DraftSaved": {"sections": sections, "changes": personal(form.clone())}})),
                (OTHER_APPLICANT, Role::Applicant, json!({"ApplicationSubmitted": {"submitted_at": "2025-11-01T12:00:00Z"}})),
                (OFFICER, Role::ProgrammeOfficer, json!({"EligibilityDetermined": {"eligible": true, "reason": personal(json!("Meets every criterion."))}})),
                (OFFICER, Role::ProgrammeOfficer, json!({"CommitteeMemberAssigned": {"member_id": MEMBER}})),
                (SYSTEM, Role::InformationOfficer, json!({"ConcludedWithCycle": {"on": "2026-12-31", "previous_status": "under_review"}})),
            ],
        },
        Example {
            name: "application-recheck".to_string(),
            about: "residence amended after eligibility was decided: flagged, then checked again by an officer".to_string(),
            aggregate_type: Application::TYPE,
            aggregate_id: RECHECKED.to_string(),
            events: vec![
                (OTHER_APPLICANT, Role::Applicant, json!({"ApplicationStarted": {"cycle": "2026-27", "applicant_id": OTHER_APPLICANT}})),
                (OTHER_APPLICANT, Role::Applicant, json!({"DraftSaved": {"sections": sections, "changes": personal(form.clone())}})),
                (OTHER_APPLICANT, Role::Applicant, json!({"ApplicationSubmitted": {"submitted_at": "2026-11-01T12:00:00Z"}})),
                (OFFICER, Role::ProgrammeOfficer, json!({"EligibilityDetermined": {"eligible": true, "reason": personal(json!("Meets every criterion."))}})),
                (HELPDESK, Role::Helpdesk, json!({"PersonalDataAmended": {
                    "fields": ["country_of_residence"],
                    "changes": personal(json!([{"field": "country_of_residence", "old": "Kenya", "new": "Ghana"}])),
                    "reason": personal(json!("The applicant moved.")),
                    "requested_by": personal(json!("The applicant.")),
                }})),
                (HELPDESK, Role::Helpdesk, json!({"EligibilityRecheckDue": {"fields": ["country_of_residence"]}})),
                (OFFICER, Role::ProgrammeOfficer, json!({"EligibilityRechecked": {"note": personal(json!("Still eligible; no recipient holds the old residence."))}})),
            ],
        },
        Example {
            name: "application-notice-accepted".to_string(),
            about: "an application submitted with the version of the privacy notice its applicant accepted".to_string(),
            aggregate_type: Application::TYPE,
            aggregate_id: NOTICE_ACCEPTED.to_string(),
            events: vec![
                (OTHER_APPLICANT, Role::Applicant, json!({"ApplicationStarted": {"cycle": "2028-29", "applicant_id": OTHER_APPLICANT}})),
                (OTHER_APPLICANT, Role::Applicant, json!({"DraftSaved": {"sections": sections, "changes": personal(form.clone())}})),
                (OTHER_APPLICANT, Role::Applicant, json!({"ApplicationSubmitted": {"submitted_at": "2026-12-06T12:00:00Z"}})),
                (OTHER_APPLICANT, Role::Applicant, json!({"PrivacyNoticeAccepted": {"notice": {"updated_on": "2026-12-06", "digest": "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}}})),
            ],
        },
        Example {
            name: "application-statement-of-dispute".to_string(),
            about: "a rectification refused, and the subject's statement that the data is inaccurate kept with the application".to_string(),
            aggregate_type: Application::TYPE,
            aggregate_id: DISPUTED.to_string(),
            events: vec![
                (DISPUTING_APPLICANT, Role::Applicant, json!({"ApplicationStarted": {"cycle": "2026-27", "applicant_id": DISPUTING_APPLICANT}})),
                (DISPUTING_APPLICANT, Role::Applicant, json!({"DraftSaved": {"sections": sections, "changes": personal(form.clone())}})),
                (DISPUTING_APPLICANT, Role::Applicant, json!({"ApplicationSubmitted": {"submitted_at": "2026-11-01T12:00:00Z"}})),
                (INFORMATION, Role::InformationOfficer, json!({"StatementOfDisputeRecorded": {
                    "request_id": REFUSED_RECTIFICATION,
                    "statement": personal(json!("Test: the date of birth held is not mine.")),
                }})),
            ],
        },
        Example {
            name: "application-award-corrected".to_string(),
            about: "an award whose terms were corrected (a recipient sent the old institution to be told), then completed and its outcome corrected".to_string(),
            aggregate_type: Application::TYPE,
            aggregate_id: CORRECTED.to_string(),
            events: vec![
                (CORRECTED_APPLICANT, Role::Applicant, json!({"ApplicationStarted": {"cycle": "2026-27", "applicant_id": CORRECTED_APPLICANT}})),
                (CORRECTED_APPLICANT, Role::Applicant, json!({"ApplicationSubmitted": {"submitted_at": "2026-11-01T12:00:00Z"}})),
                (OFFICER, Role::ProgrammeOfficer, json!({"DecisionRecorded": {"outcome": "selected", "reserve_position": null}})),
                (OFFICER, Role::ProgrammeOfficer, json!({"AwardMade": {"terms": personal(json!({
                    "institution": "Example Institute", "course": "MSc Example Studies", "level": "masters", "start_date": "2027-09-20"
                })), "joint_sponsor_id": null}})),
                (OFFICER, Role::ProgrammeOfficer, json!({"DataDisclosed": {
                    "disclosure_id": "01938a00-0000-7000-8000-00000000d003",
                    "recipient_id": MISSION,
                    "recipient_name": "Example Mission",
                    "recipient_kind": "british_mission",
                    "fields": ["award.institution"],
                    "purpose": personal(json!("Visa support.")),
                    "values": personal(json!({"award.institution": "Example Institute"})),
                }})),
                (OFFICER, Role::ProgrammeOfficer, json!({"AwardTermsCorrected": {"terms": personal(json!({
                    "institution": "Example College", "course": "MSc Example Studies", "level": "masters", "start_date": "2027-09-20"
                })), "reason": personal(json!("The institution was recorded wrongly."))}})),
                (OFFICER, Role::ProgrammeOfficer, json!({"RectificationNoticeDue": {"recipient_id": MISSION, "recipient_name": "Example Mission", "fields": ["award.institution"]}})),
                (OFFICER, Role::ProgrammeOfficer, json!({"AwardCompleted": {"completed_on": "2028-09-30", "outcome": personal(json!("Completed with merit."))}})),
                (OFFICER, Role::ProgrammeOfficer, json!({"CompletionOutcomeCorrected": {"outcome": personal(json!("Completed with distinction.")), "reason": personal(json!("The result was recorded wrongly."))}})),
            ],
        },
        Example {
            name: "cycle-concluded".to_string(),
            about: "a cycle concluded automatically by the retention sweep on 31 December of its second year".to_string(),
            aggregate_type: Cycle::TYPE,
            aggregate_id: "2025-26".to_string(),
            events: vec![(SYSTEM, Role::InformationOfficer, json!({"CycleConcluded": {"cycle": "2025-26", "on": "2026-12-31", "automatic": true}}))],
        },
        Example {
            name: "request-sar-destroyed".to_string(),
            about: "a subject access request answered, then destroyed two years after it closed: its key is gone".to_string(),
            aggregate_type: InformationRequest::TYPE,
            aggregate_id: "01938a00-0000-7000-8000-00000000c007".to_string(),
            events: vec![
                (INFORMATION, Role::InformationOfficer, json!({"RequestLogged": {
                    "kind": "sar",
                    "received_on": "2024-03-04",
                    "requester": personal(json!({"name": "Corpus Example Requester", "email": "requester@example.test"})),
                    "subject_email": personal(json!("scholar@example.test")),
                    "description": personal(json!("Every record held about me.")),
                }})),
                (INFORMATION, Role::InformationOfficer, json!({"ResponseIssued": {"issued_on": "2024-03-20", "response": personal(json!({"letter": "An example response."}))}})),
                (SYSTEM, Role::InformationOfficer, json!({"PersonalDataDestroyed": {"rule": "information_request", "destroyed_on": "2026-03-20"}})),
            ],
        },
        request("objection", 6, vec![
            (INFORMATION, Role::InformationOfficer, json!({"ObjectionDecided": {"upheld": true, "uses": ["alumni_book"], "reason": personal(json!("Upheld."))}})),
        ]),
        Example {
            name: "recipient-represents".to_string(),
            about: "an embassy of the country of study, registered with the nation it represents and where it stands".to_string(),
            aggregate_type: Recipient::TYPE,
            aggregate_id: EMBASSY.to_string(),
            events: vec![(ADMIN, Role::Admin, json!({"RecipientRegistered": {
                "name": "Example Embassy of France", "kind": "study_country_embassy", "country": "Kenya",
                "represents": "France", "located_in": "Kenya"
            }}))],
        },
        Example {
            name: "application-awarded-abroad".to_string(),
            about: "course choices with their country of study, and an award to study outside the United Kingdom".to_string(),
            aggregate_type: Application::TYPE,
            aggregate_id: ABROAD.to_string(),
            events: vec![
                (ABROAD_APPLICANT, Role::Applicant, json!({"ApplicationStarted": {"cycle": "2026-27", "applicant_id": ABROAD_APPLICANT}})),
                (ABROAD_APPLICANT, Role::Applicant, json!({"DraftSaved": {"sections": ["courses"], "changes": personal(json!({"courses": [
                    {"institution": "Example Institute", "course": "MSc Example Studies", "level": "masters", "country": "France"},
                    {"institution": "Example College", "course": "MA Example Studies", "level": "masters"}
                ]}))}})),
                (ABROAD_APPLICANT, Role::Applicant, json!({"ApplicationSubmitted": {"submitted_at": "2026-11-01T12:00:00Z"}})),
                (OFFICER, Role::ProgrammeOfficer, json!({"DecisionRecorded": {"outcome": "selected", "reserve_position": null}})),
                (OFFICER, Role::ProgrammeOfficer, json!({"AwardMade": {"terms": personal(json!({
                    "institution": "Example Institute", "course": "MSc Example Studies", "level": "masters",
                    "start_date": "2027-09-20", "country": "France"
                })), "joint_sponsor_id": null}})),
            ],
        },
        Example {
            name: "application-award-administered".to_string(),
            about: "an offer made and accepted, the award, its supervisor, report schedule, a progress report, the result and the completion".to_string(),
            aggregate_type: Application::TYPE,
            aggregate_id: ADMINISTERED.to_string(),
            events: vec![
                (OFFERED_APPLICANT, Role::Applicant, json!({"ApplicationStarted": {"cycle": "2026-27", "applicant_id": OFFERED_APPLICANT}})),
                (OFFERED_APPLICANT, Role::Applicant, json!({"ApplicationSubmitted": {"submitted_at": "2026-11-01T12:00:00Z"}})),
                (OFFICER, Role::ProgrammeOfficer, json!({"DecisionRecorded": {"outcome": "selected", "reserve_position": null}})),
                (OFFICER, Role::ProgrammeOfficer, json!({"OfferMade": {"reply_by": "2027-03-15"}})),
                (OFFERED_APPLICANT, Role::Applicant, json!({"OfferAccepted": {"on": "2027-03-10"}})),
                (OFFICER, Role::ProgrammeOfficer, json!({"AwardMade": {"terms": personal(json!({
                    "institution": "Example Institute", "course": "MSc Example Studies", "level": "masters", "start_date": "2027-09-20"
                })), "joint_sponsor_id": null}})),
                (OFFICER, Role::ProgrammeOfficer, json!({"SupervisorRecorded": {"supervisor": personal(json!({
                    "name": "Corpus Example Supervisor", "email": "supervisor@example.test",
                    "institution": "Example Institute", "department": "Example Department"
                }))}})),
                (OFFICER, Role::ProgrammeOfficer, json!({"ReportScheduleSet": {"due": ["2028-01-20", "2028-05-20"]}})),
                (OFFICER, Role::ProgrammeOfficer, json!({"ProgressReportRecorded": {
                    "report_id": "01938a00-0000-7000-8000-00000000f001", "source": "supervisor", "due_on": "2028-01-20",
                    "report": personal(json!({"period": "Autumn term 2027", "rating": "good", "text": "Steady example progress."}))
                }})),
                (OFFICER, Role::ProgrammeOfficer, json!({"ResultReleased": {"result": personal(json!({
                    "qualification": "MSc Example Studies", "result": "Distinction", "released_on": "2028-10-01",
                    "released_by": "Example Institute registry"
                }))}})),
                (OFFICER, Role::ProgrammeOfficer, json!({"AwardCompleted": {"completed_on": "2028-10-01", "outcome": personal(json!("MSc Example Studies: Distinction"))}})),
            ],
        },
        Example {
            name: "application-offer-declined".to_string(),
            about: "an offer declined by the applicant, which makes the application unsuccessful".to_string(),
            aggregate_type: Application::TYPE,
            aggregate_id: OFFER_DECLINED.to_string(),
            events: vec![
                (OFFERED_APPLICANT, Role::Applicant, json!({"ApplicationStarted": {"cycle": "2027-28", "applicant_id": OFFERED_APPLICANT}})),
                (OFFERED_APPLICANT, Role::Applicant, json!({"ApplicationSubmitted": {"submitted_at": "2027-11-01T12:00:00Z"}})),
                (OFFICER, Role::ProgrammeOfficer, json!({"DecisionRecorded": {"outcome": "selected", "reserve_position": null}})),
                (OFFICER, Role::ProgrammeOfficer, json!({"OfferMade": {"reply_by": "2028-03-15"}})),
                (OFFERED_APPLICANT, Role::Applicant, json!({"OfferDeclined": {"on": "2028-03-01"}})),
            ],
        },
        Example {
            name: "application-offer-lapsed".to_string(),
            about: "an offer not answered by its reply-by date, lapsed by the daily sweep the day after".to_string(),
            aggregate_type: Application::TYPE,
            aggregate_id: OFFER_LAPSED.to_string(),
            events: vec![
                (OFFERED_APPLICANT, Role::Applicant, json!({"ApplicationStarted": {"cycle": "2028-29", "applicant_id": OFFERED_APPLICANT}})),
                (OFFERED_APPLICANT, Role::Applicant, json!({"ApplicationSubmitted": {"submitted_at": "2028-11-01T12:00:00Z"}})),
                (OFFICER, Role::ProgrammeOfficer, json!({"DecisionRecorded": {"outcome": "selected", "reserve_position": null}})),
                (OFFICER, Role::ProgrammeOfficer, json!({"OfferMade": {"reply_by": "2029-03-15"}})),
                (SYSTEM, Role::InformationOfficer, json!({"OfferLapsed": {"on": "2029-03-16"}})),
            ],
        },
        Example {
            name: "application-report-reminded".to_string(),
            about: "an award whose progress report fell due: the daily sweep emailed the reminder, once, to the supervisor and the programme office".to_string(),
            aggregate_type: Application::TYPE,
            aggregate_id: REPORT_REMINDED.to_string(),
            events: vec![
                (OFFERED_APPLICANT, Role::Applicant, json!({"ApplicationStarted": {"cycle": "2029-30", "applicant_id": OFFERED_APPLICANT}})),
                (OFFERED_APPLICANT, Role::Applicant, json!({"ApplicationSubmitted": {"submitted_at": "2029-11-01T12:00:00Z"}})),
                (OFFICER, Role::ProgrammeOfficer, json!({"DecisionRecorded": {"outcome": "selected", "reserve_position": null}})),
                (OFFICER, Role::ProgrammeOfficer, json!({"AwardMade": {"terms": personal(json!({
                    "institution": "Example Institute", "course": "MSc Example Studies", "level": "masters", "start_date": "2030-09-20"
                })), "joint_sponsor_id": null}})),
                (OFFICER, Role::ProgrammeOfficer, json!({"SupervisorRecorded": {"supervisor": personal(json!({
                    "name": "Corpus Example Supervisor", "email": "supervisor@example.test",
                    "institution": "Example Institute", "department": "Example Department"
                }))}})),
                (SYSTEM, Role::InformationOfficer, json!({"ReportReminderSent": {"due_on": "2031-01-20", "sent_to": ["programme_office", "supervisor"]}})),
            ],
        },
    ]
}

/// An example sealed as the store seals it: each payload as today's code writes it, its personal values
/// sealed under the stream's new data key, the key dropped where the stream's data was destroyed.
fn sealed(example: &Example, written_on: DateTime<Utc>) -> StoredStream {
    let reader = every_aggregate()
        .into_iter()
        .find(|of| of.aggregate_type == example.aggregate_type)
        .unwrap_or_else(|| panic!("no aggregate is called {}", example.aggregate_type));
    let name = stream_name(example.aggregate_type, &example.aggregate_id);
    let (key, wrapped) = master().new_data_key(&name);
    let mut holds_personal_data = false;
    let mut destroyed = false;
    let events = example
        .events
        .iter()
        .enumerate()
        .map(|(index, (actor_id, role, payload))| {
            let sequence = index + 1;
            let (event_type, event_version, written) = (reader.read)(payload)
                .unwrap_or_else(|error| panic!("{} #{sequence}: {error}", example.name));
            let at = written_on + Duration::hours(index as i64);
            let actor = Actor {
                user_id: actor_id.to_string(),
                role: *role,
            };
            let metadata = serde_json::to_value(EventMetadata::new(&actor, at).to_map()).unwrap();
            destroyed |= event_type == PERSONAL_DATA_DESTROYED;
            let payload = if crypto::has_personal_data(&written) {
                holds_personal_data = true;
                crypto::seal(&written, &key, &crypto::event_aad(&name, sequence))
            } else {
                written
            };
            StoredEvent {
                sequence,
                event_type,
                event_version,
                payload,
                metadata,
            }
        })
        .collect();
    StoredStream {
        about: example.about.clone(),
        written_on: written_on.date_naive().to_string(),
        aggregate_type: example.aggregate_type.to_string(),
        aggregate_id: example.aggregate_id.clone(),
        wrapped_key: (holds_personal_data && !destroyed).then(|| BASE64.encode(wrapped)),
        events,
    }
}

#[test]
#[ignore = "writes the corpus files that do not exist yet; run by hand after adding an example"]
fn write_missing_corpus_entries() {
    let written_on = Utc::now();
    for example in examples() {
        let path = corpus_folder().join(format!("{}.json", example.name));
        if path.exists() {
            continue;
        }
        let stream = sealed(&example, written_on);
        std::fs::write(&path, serde_json::to_string_pretty(&stream).unwrap() + "\n").unwrap();
        let manifest = corpus_folder().join(MANIFEST);
        let mut listed = std::fs::read_to_string(&manifest).unwrap_or_default();
        listed.push_str(&format!("{}  {}.json\n", digest(&path), example.name));
        std::fs::write(&manifest, listed).unwrap();
        println!("wrote {}", path.display());
    }
}
