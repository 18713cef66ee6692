//! Property tests of the programme's aggregates: whatever anyone asks of an application, an information
//! request, an immigration record or the register of recipients, in whatever order and with whatever
//! arguments, the rules of the scholarship programme hold after every step.
//!
//! Each property runs generated sequences of commands, issued by people of every role (the applicant who
//! owns the application, another applicant, the Help Desk, programme officers, committee members, the
//! information officer and an administrator), with well-formed and ill-formed arguments, against one live
//! aggregate. After every command it checks:
//!
//! - the invariants of the lifecycle, each stated in a comment where it is checked;
//! - that replaying every event produced so far, one by one, onto a fresh aggregate gives exactly the live
//!   state (the store rebuilds an aggregate this way before each command);
//! - that every event survives a trip through JSON, as text and as a value, unchanged.
//!
//! At the end of each sequence it also reads the log back as the store does once a stream's data key is
//! erased (every personal value shredded) and checks what is left.
//!
//! Application sequences mix "anything" steps (any command, by its usual issuer or by anyone) with "onward"
//! steps, in which whoever's turn it is does the next thing of the lifecycle, so that sequences reach review,
//! decisions, awards and alumni, and not only drafts.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::ValueTree;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use common::{date, words};
use domain::application::aggregate::{DISCLOSABLE_FIELDS, Outcome};
use domain::application::events::{AwardTerms, Scores};
use domain::application::form::{
    CourseChoice, DraftChanges, Essay, HistoryEntry, PersonalField, Preferences, PreferencesChange,
    Referee,
};
use domain::application::letters::LetterKind;
use domain::application::rules::missing_for_submission;
use domain::application::{
    Application, ApplicationCommand, ApplicationError, ApplicationEvent, ApplicationServices,
    StaffDirectory, Status,
};
use domain::country::Country;
use domain::cycle::CycleName;
use domain::immigration::{ImmigrationCommand, ImmigrationEvent, ImmigrationRecord};
use domain::personal::{DESTROYED_TAG, PERSONAL_TAG};
use domain::recipient::{Recipient, RecipientCommand, RecipientEvent, RecipientKind};
use domain::request::{
    ClockReason, Extension, FoiGround, InformationRequest, ObjectedUse, RequestCommand,
    RequestEvent, RequestKind, RequestStatus, Requester,
};
use domain::retention::RecordKind;
use domain::sharing::RecipientFacts;
use domain::{Actor, Authored, Role};

// =========================================================================================================
// The people of the programme, and the staff directory that knows them.
// =========================================================================================================

/// The applicant whose application the onward steps carry through the lifecycle.
const OWNER: &str = "applicant-amara";
/// An applicant with no business on the owner's application.
const OTHER_APPLICANT: &str = "applicant-bilal";
const HELPDESK: &str = "helpdesk-chidi";
const OFFICER: &str = "officer-dalia";
const MEMBERS: [&str; 3] = ["member-emeka", "member-fatima", "member-goran"];
const INFORMATION_OFFICER: &str = "information-officer-hana";
const ADMIN: &str = "admin-idris";
/// Someone the staff directory has never heard of.
const STRANGER: &str = "stranger-jo";
/// Someone whose look-up fails: the staff directory cannot be read when they are asked about.
const UNREADABLE: &str = "member-unreadable";

/// Everyone who may issue a command, each with their one role.
fn cast() -> Vec<Actor> {
    let mut people = vec![
        Actor::new(OWNER, Role::Applicant),
        Actor::new(OTHER_APPLICANT, Role::Applicant),
        Actor::new(HELPDESK, Role::Helpdesk),
        Actor::new(OFFICER, Role::ProgrammeOfficer),
        Actor::new(INFORMATION_OFFICER, Role::InformationOfficer),
        Actor::new(ADMIN, Role::Admin),
    ];
    people.extend(
        MEMBERS
            .iter()
            .map(|id| Actor::new(*id, Role::CommitteeMember)),
    );
    people
}

fn anyone() -> impl Strategy<Value = Actor> {
    select(cast())
}

fn a_member() -> impl Strategy<Value = Actor> {
    select(MEMBERS.to_vec()).prop_map(|id| Actor::new(id, Role::CommitteeMember))
}

/// The staff accounts, as an in-memory directory. Applicants are not staff: it does not know them.
struct StaffList {
    roles: HashMap<&'static str, Role>,
}

impl StaffList {
    fn of_the_programme() -> Self {
        let mut roles: HashMap<&'static str, Role> = [
            (HELPDESK, Role::Helpdesk),
            (OFFICER, Role::ProgrammeOfficer),
            (INFORMATION_OFFICER, Role::InformationOfficer),
            (ADMIN, Role::Admin),
        ]
        .into_iter()
        .collect();
        for member in MEMBERS {
            roles.insert(member, Role::CommitteeMember);
        }
        Self { roles }
    }

    fn role_known(&self, user_id: &str) -> Option<Role> {
        self.roles.get(user_id).copied()
    }
}

#[async_trait]
impl StaffDirectory for StaffList {
    async fn role_of(&self, user_id: &str) -> Result<Option<Role>, String> {
        if user_id == UNREADABLE {
            return Err("the staff directory is offline".to_string());
        }
        Ok(self.role_known(user_id))
    }
}

// =========================================================================================================
// Running commands as the framework does, and the checks every aggregate shares.
// =========================================================================================================

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a test runtime")
}

/// Hands one command to the live aggregate, as cqrs-es does: a fresh sink, then whatever the sink gathered,
/// even on a refusal (so that a refusal that had written events would be caught).
fn issue<A: Aggregate>(
    runtime: &tokio::runtime::Runtime,
    live: &mut A,
    command: A::Command,
    services: &A::Services,
) -> (Result<(), A::Error>, Vec<A::Event>) {
    runtime.block_on(async {
        let sink = EventSink::default();
        let result = live.handle(command, services, &sink).await;
        (result, sink.collect().await)
    })
}

/// What every command of every aggregate must respect: a refusal records nothing and leaves the state as
/// it was; an acceptance changes the state exactly as its events, applied, say.
fn refusal_changes_nothing<A>(
    before: &A,
    result: &Result<(), A::Error>,
    events: &[A::Event],
    after: &A,
) -> Result<(), TestCaseError>
where
    A: Aggregate + PartialEq + Debug,
    A::Error: Debug,
{
    if result.is_err() {
        prop_assert!(
            events.is_empty(),
            "a refused command recorded events: {result:?} {events:?}"
        );
        prop_assert_eq!(before, after, "a refused command changed the state");
    }
    Ok(())
}

/// Every event reads back from JSON, as the store's text and as a value, equal to itself.
fn survives_json<E>(event: &E) -> Result<(), TestCaseError>
where
    E: Serialize + DeserializeOwned + PartialEq + Debug,
{
    let text = serde_json::to_string(event).expect("an event serializes");
    let from_text: E = serde_json::from_str(&text)
        .map_err(|error| TestCaseError::fail(format!("{text} does not read back: {error}")))?;
    prop_assert_eq!(&from_text, event, "through text: {}", text);
    let value = serde_json::to_value(event).expect("an event serializes");
    let from_value: E = serde_json::from_value(value.clone())
        .map_err(|error| TestCaseError::fail(format!("{value} does not read back: {error}")))?;
    prop_assert_eq!(&from_value, event, "through a value: {}", value);
    Ok(())
}

/// What issuing a command gives back: the state before it, the result and the events.
type Issued<A> = (
    A,
    Result<(), <A as Aggregate>::Error>,
    Vec<<A as Aggregate>::Event>,
);

/// The live aggregate, the log of every event it has produced, and the same log replayed event by event
/// onto a fresh aggregate.
struct Journal<A: Aggregate> {
    live: A,
    replayed: A,
    log: Vec<A::Event>,
}

impl<A> Journal<A>
where
    A: Aggregate + Default + Clone + PartialEq + Debug,
    A::Event: Serialize + DeserializeOwned + PartialEq + Debug,
    A::Error: Debug,
{
    fn new() -> Self {
        Self {
            live: A::default(),
            replayed: A::default(),
            log: Vec::new(),
        }
    }

    /// Issues a command, checks what every aggregate owes, and gives back the state before, the result
    /// and the events, for the aggregate's own checks.
    fn issue(
        &mut self,
        runtime: &tokio::runtime::Runtime,
        command: A::Command,
        services: &A::Services,
    ) -> Result<Issued<A>, TestCaseError> {
        let before = self.live.clone();
        let (result, events) = issue(runtime, &mut self.live, command, services);
        refusal_changes_nothing(&before, &result, &events, &self.live)?;
        for event in &events {
            survives_json(event)?;
            self.replayed.apply(event.clone());
        }
        // The state is what its events say it is: a fresh aggregate fed the log is the live one.
        prop_assert_eq!(
            &self.replayed,
            &self.live,
            "replaying the log does not give the live state"
        );
        self.log.extend(events.iter().cloned());
        Ok((before, result, events))
    }

    /// The log as the store reads it once the stream's data key is erased.
    fn shredded(&self) -> Result<Vec<A::Event>, TestCaseError> {
        self.log
            .iter()
            .map(|event| {
                let mut value = serde_json::to_value(event).expect("an event serializes");
                shred(&mut value);
                serde_json::from_value(value.clone()).map_err(|error| {
                    TestCaseError::fail(format!("shredded {value} does not read back: {error}"))
                })
            })
            .collect()
    }
}

/// Replaces every personal value of a serialized event by the marker the store hands back once the
/// stream's data key is gone.
fn shred(value: &mut Value) {
    match value {
        Value::Object(map) if map.len() == 1 && map.contains_key(PERSONAL_TAG) => {
            let mut gone = Map::new();
            gone.insert(DESTROYED_TAG.to_string(), Value::Bool(true));
            *value = Value::Object(gone);
        }
        Value::Object(map) => map.values_mut().for_each(shred),
        Value::Array(items) => items.iter_mut().for_each(shred),
        _ => {}
    }
}

/// Every piece of text in a JSON value, with where it is.
fn texts_in(value: &Value, path: &str, found: &mut Vec<(String, String)>) {
    match value {
        Value::String(text) => found.push((path.to_string(), text.clone())),
        Value::Object(map) => {
            for (key, inner) in map {
                found.push((format!("{path}/{key}"), key.clone()));
                texts_in(inner, &format!("{path}/{key}"), found);
            }
        }
        Value::Array(items) => {
            for (i, inner) in items.iter().enumerate() {
                texts_in(inner, &format!("{path}[{i}]"), found);
            }
        }
        _ => {}
    }
}

/// Time moves on between commands: from nothing to three days.
fn a_pause() -> impl Strategy<Value = Duration> {
    prop_oneof![
        1 => Just(Duration::zero()),
        3 => (1i64..=72).prop_map(Duration::hours),
    ]
}

fn moment(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0)
        .single()
        .expect("a valid moment")
}

/// A day of the first half of 2026, when these sequences run.
fn a_day_in_2026() -> impl Strategy<Value = NaiveDate> {
    (0i64..200).prop_map(|offset| date(2026, 1, 1) + Duration::days(offset))
}

/// Free text of the kind people type: usually sensible, sometimes blank, padded, too long or with a
/// control character.
fn some_text() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => select(vec![
            "meets the published criteria",
            "at the applicant's request by telephone",
            "  padded with spaces  ",
            "a second, longer note about the case, written by a careful officer",
        ])
        .prop_map(str::to_string),
        1 => Just(String::new()),
        1 => Just("   ".to_string()),
        1 => Just("x".repeat(2_001)),
        1 => Just("bell\u{7}in the middle".to_string()),
        1 => Just("nul\u{0}byte".to_string()),
    ]
}

// =========================================================================================================
// The application: what people ask of it.
// =========================================================================================================

/// Good values for one personal field, the first two different once made canonical.
fn good_values(field: PersonalField) -> Vec<&'static str> {
    match field {
        PersonalField::FullName => vec!["Amara Okafor", "  Amara N. Okafor  ", "Bilal Haddad"],
        PersonalField::DateOfBirth => vec!["1994-03-17", "2001-11-30"],
        PersonalField::Email => vec!["amara.okafor@example.org", "a.okafor@mail.example.net"],
        PersonalField::Phone => vec!["+254 700 000 001", "+233 20 000 0002"],
        PersonalField::Address => vec!["12 Mango Lane, Kisumu", "4 Harbour Road, Tema"],
        PersonalField::Nationality | PersonalField::CountryOfResidence => {
            vec!["Kenya", "ghana", "Ghana", "UK", "United Kingdom"]
        }
    }
}

/// Values people give for one personal field: good ones, and the mistakes the form must catch.
fn a_value_for(field: PersonalField) -> BoxedStrategy<String> {
    let good = good_values(field);
    let bad: Vec<&str> = match field {
        PersonalField::FullName | PersonalField::Phone | PersonalField::Address => {
            vec!["", "   ", "line\u{7}feed"]
        }
        // The last date is in the future: well formed, but the application cannot then be submitted.
        PersonalField::DateOfBirth => vec!["17/03/1994", "1999-02-30", "", "2031-01-01"],
        PersonalField::Email => vec!["not-an-email", "two@@example.org", "a@b", ""],
        PersonalField::Nationality | PersonalField::CountryOfResidence => {
            vec!["Kenyan", "Atlantis", ""]
        }
    };
    prop_oneof![
        4 => select(good).prop_map(str::to_string),
        1 => select(bad).prop_map(str::to_string),
        1 => Just("y".repeat(501)),
    ]
    .boxed()
}

fn a_personal_field() -> impl Strategy<Value = PersonalField> {
    select(PersonalField::ALL.to_vec())
}

fn a_history_entry() -> impl Strategy<Value = HistoryEntry> {
    let entry = |pairs: Vec<(&str, Value)>| -> HistoryEntry {
        pairs
            .into_iter()
            .map(|(key, value)| (key.to_string(), value))
            .collect()
    };
    prop_oneof![
        4 => Just(entry(vec![
            ("institution", json!("University of Nairobi")),
            ("qualification", json!("BSc Agricultural Economics")),
            ("year", json!(2018)),
            ("first_class", json!(true)),
        ])),
        2 => Just(entry(vec![("employer", json!("Ministry of Agriculture")), ("years", json!(3))])),
        1 => Just(entry(vec![("grade_point", json!(3.75)), ("note", Value::Null)])),
        1 => Just(entry(vec![("bad key!", json!("x"))])),
        1 => Just(entry(vec![("nested", json!(["not", "allowed"]))])),
        1 => Just(entry(vec![("institution", json!("z".repeat(501)))])),
    ]
}

fn a_course() -> impl Strategy<Value = CourseChoice> {
    let course = |institution: &str, course: &str, level: &str| CourseChoice {
        institution: institution.to_string(),
        course: course.to_string(),
        level: level.to_string(),
        country: None,
    };
    prop_oneof![
        4 => Just(course("University of Reading", "MSc Food Security", "masters")),
        2 => Just(course(" University of Leeds ", "MA Development Studies", "masters")),
        1 => Just(course("", "MSc Something", "masters")),
        1 => Just(course("University of York", "q".repeat(501).as_str(), "masters")),
    ]
}

fn an_essay_text() -> impl Strategy<Value = String> {
    prop_oneof![
        5 => Just("I organised a cooperative of forty farmers in my district.".to_string()),
        2 => Just("I will return to lead extension work at the ministry.".to_string()),
        1 => Just("   ".to_string()),
        1 => Just(words(501)),
    ]
}

fn a_referee() -> impl Strategy<Value = Referee> {
    let referee = |name: &str, email: &str| Referee {
        name: name.to_string(),
        email: email.to_string(),
    };
    prop_oneof![
        4 => Just(referee("Dr Wanjiru Kamau", "w.kamau@example.ac.ke")),
        4 => Just(referee("Prof Kofi Mensah", "k.mensah@example.edu.gh")),
        1 => Just(referee("No Email Yet", "")),
        1 => Just(referee("Bad Email", "not an email")),
    ]
}

fn a_preferences_change() -> impl Strategy<Value = PreferencesChange> {
    let flag = || proptest::option::of(any::<bool>());
    (flag(), flag(), flag(), flag()).prop_map(|(networking, email, book, images)| {
        PreferencesChange {
            networking_opt_out: networking,
            alumni_email_opt_out: email,
            alumni_book_opt_out: book,
            images_opt_out: images,
        }
    })
}

fn some_preferences() -> impl Strategy<Value = Preferences> {
    any::<(bool, bool, bool, bool)>().prop_map(|(networking, email, book, images)| Preferences {
        networking_opt_out: networking,
        alumni_email_opt_out: email,
        alumni_book_opt_out: book,
        images_opt_out: images,
    })
}

/// A save of part of the form: any section, valid or not.
fn some_draft_changes() -> impl Strategy<Value = DraftChanges> {
    let personal = btree_map(
        a_personal_field(),
        proptest::option::of(a_personal_field().prop_flat_map(a_value_for)),
        0..3,
    );
    // A value is drawn for the field it will go in, so that most saves are valid.
    let personal = personal.prop_flat_map(|map| {
        let fields: Vec<(PersonalField, bool)> = map
            .iter()
            .map(|(field, value)| (*field, value.is_some()))
            .collect();
        fields
            .into_iter()
            .map(|(field, keep)| {
                if keep {
                    a_value_for(field)
                        .prop_map(move |value| (field, Some(value)))
                        .boxed()
                } else {
                    Just((field, None)).boxed()
                }
            })
            .collect::<Vec<_>>()
            .prop_map(|pairs| pairs.into_iter().collect::<BTreeMap<_, _>>())
    });
    let essays = btree_map(
        select(Essay::ALL.to_vec()),
        proptest::option::of(an_essay_text()),
        0..3,
    );
    (
        personal,
        proptest::option::of(vec(a_history_entry(), 0..3)),
        proptest::option::of(vec(a_history_entry(), 0..2)),
        proptest::option::of(vec(a_course(), 0..5)),
        essays,
        proptest::option::of(vec(a_referee(), 0..4)),
        proptest::option::of(a_preferences_change()),
    )
        .prop_map(
            |(personal, education, employment, courses, essays, referees, preferences)| {
                DraftChanges {
                    personal,
                    education,
                    employment,
                    courses,
                    essays,
                    referees,
                    preferences,
                    return_home: None,
                }
            },
        )
}

/// A save that fills the whole form well: usually one that can be submitted, sometimes with a date of
/// birth in the future, which the eligibility rules refuse.
fn a_complete_form() -> impl Strategy<Value = DraftChanges> {
    (
        select(vec!["Amara Okafor", "Amara N. Okafor"]),
        prop_oneof![9 => Just("1994-03-17"), 1 => Just("2031-01-01")],
        select(vec!["Kenya", "Ghana"]),
        select(vec!["Kenya", "Ghana", "United Kingdom"]),
        proptest::option::of(a_preferences_change()),
    )
        .prop_map(|(name, born, nationality, residence, preferences)| {
            let personal = [
                (PersonalField::FullName, name),
                (PersonalField::DateOfBirth, born),
                (PersonalField::Email, "amara.okafor@example.org"),
                (PersonalField::Phone, "+254 700 000 001"),
                (PersonalField::Address, "12 Mango Lane, Kisumu"),
                (PersonalField::Nationality, nationality),
                (PersonalField::CountryOfResidence, residence),
            ]
            .into_iter()
            .map(|(field, value)| (field, Some(value.to_string())))
            .collect();
            let essays = Essay::ALL
                .into_iter()
                .map(|essay| {
                    (
                        essay,
                        Some(format!("My {} essay, in a few honest words.", essay.name())),
                    )
                })
                .collect();
            DraftChanges {
                personal,
                education: Some(vec![
                    [
                        ("institution", json!("University of Nairobi")),
                        ("qualification", json!("BSc Agricultural Economics")),
                        ("year", json!(2018)),
                    ]
                    .into_iter()
                    .map(|(key, value)| (key.to_string(), value))
                    .collect(),
                ]),
                employment: None,
                courses: Some(vec![CourseChoice {
                    institution: "University of Reading".to_string(),
                    course: "MSc Food Security".to_string(),
                    level: "masters".to_string(),
                    country: None,
                }]),
                essays,
                referees: Some(vec![
                    Referee {
                        name: "Dr Wanjiru Kamau".to_string(),
                        email: "w.kamau@example.ac.ke".to_string(),
                    },
                    Referee {
                        name: "Prof Kofi Mensah".to_string(),
                        email: "k.mensah@example.edu.gh".to_string(),
                    },
                ]),
                preferences,
                return_home: None,
            }
        })
}

fn a_cycle() -> impl Strategy<Value = CycleName> {
    select(vec!["2026-27", "2027-28"])
        .prop_map(|name| CycleName::parse(name).expect("a valid cycle"))
}

/// Paths a Help Desk amendment or a rectification might name: personal fields, and a few that are not.
fn an_amendment() -> impl Strategy<Value = Vec<(String, String)>> {
    let change = prop_oneof![
        6 => a_personal_field().prop_flat_map(|field| {
            a_value_for(field).prop_map(move |value| (field.path(), value))
        }),
        1 => select(vec!["essays.leadership", "courses", "personal.nickname", "cycle"])
            .prop_map(|path| (path.to_string(), "a new value".to_string())),
    ];
    vec(change, 0..4)
}

/// A mark as a committee member might enter it: usually 0 to 10, sometimes just over, now and then far over.
fn a_mark() -> impl Strategy<Value = u8> {
    prop_oneof![
        12 => 0u8..=10,
        2 => Just(Scores::MAX + 1),
        1 => (Scores::MAX + 2)..=u8::MAX,
    ]
}

fn some_scores() -> impl Strategy<Value = Scores> {
    (a_mark(), a_mark(), a_mark(), a_mark(), some_text()).prop_map(
        |(leadership, networking, study_plan, career_plan, comment)| Scores {
            leadership,
            networking,
            study_plan,
            career_plan,
            comment,
        },
    )
}

fn fair_scores() -> impl Strategy<Value = Scores> {
    (0u8..=10, 0u8..=10, 0u8..=10, 0u8..=10).prop_map(
        |(leadership, networking, study_plan, career_plan)| Scores {
            leadership,
            networking,
            study_plan,
            career_plan,
            comment: "a strong and well-argued plan".to_string(),
        },
    )
}

fn an_outcome() -> impl Strategy<Value = Outcome> {
    prop_oneof![
        3 => Just(Outcome::Selected),
        1 => Just(Outcome::Reserve),
        1 => Just(Outcome::Unsuccessful),
    ]
}

fn award_terms() -> impl Strategy<Value = AwardTerms> {
    (
        select(vec!["University of Reading", "University of Leeds"]),
        a_day_in_2026(),
    )
        .prop_map(|(institution, start_date)| AwardTerms {
            institution: institution.to_string(),
            course: "MSc Food Security".to_string(),
            level: "masters".to_string(),
            start_date,
            country: Some(Country::united_kingdom()),
        })
}

/// The recipients of the register these sequences know, by id.
const RECIPIENTS: [&str; 4] = ["recipient-1", "recipient-2", "recipient-3", "recipient-4"];

fn a_recipient_id() -> impl Strategy<Value = String> {
    select(RECIPIENTS.to_vec()).prop_map(str::to_string)
}

/// A joint sponsor on an award, if there is one: one of the registered recipients.
fn a_sponsor() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(select(vec!["recipient-3", "recipient-4"]).prop_map(str::to_string))
}

fn a_recipient() -> impl Strategy<Value = RecipientFacts> {
    (
        a_recipient_id(),
        select(RecipientKind::ALL.to_vec()),
        select(vec!["Kenya", "Ghana", "United Kingdom"]),
        proptest::option::of(select(vec!["Ghana", "United Kingdom"])),
        proptest::option::of(select(vec!["Ghana", "United Kingdom"])),
    )
        .prop_map(
            |(id, kind, country, represents, located_in)| RecipientFacts {
                name: format!("Registered organisation {id}"),
                id,
                kind,
                country: Country::parse(country).expect("a known country"),
                represents: represents.and_then(Country::parse),
                located_in: located_in.and_then(Country::parse),
            },
        )
}

fn fields_to_disclose() -> impl Strategy<Value = Vec<String>> {
    let field = prop_oneof![
        8 => select(DISCLOSABLE_FIELDS.to_vec()).prop_map(str::to_string),
        1 => select(vec!["essays.leadership", "referees", "personal.password"])
            .prop_map(str::to_string),
    ];
    vec(field, 0..5)
}

fn a_purpose() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => Just("visa support letter for the scholar".to_string()),
        1 => Just("  ".to_string()),
        1 => Just("p".repeat(501)),
    ]
}

/// A rule of the retention schedule, or an approved erasure (rarer, since it fits any application that is
/// not an award and would end most sequences early).
fn a_rule() -> impl Strategy<Value = RecordKind> {
    prop_oneof![
        6 => select(vec![
            RecordKind::UnsuccessfulApplication,
            RecordKind::UnsubmittedDraft,
            RecordKind::ImmigrationRecord,
            RecordKind::ApplicantAccount,
            RecordKind::Award,
        ]),
        1 => Just(RecordKind::ErasedOnRequest),
    ]
}

/// Whoever a committee member might be assigned: members, other staff, strangers, and an id the directory
/// cannot be asked about.
fn someone_to_assign() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => select(MEMBERS.to_vec()).prop_map(str::to_string),
        1 => select(vec![OFFICER, HELPDESK, OWNER, STRANGER, UNREADABLE]).prop_map(str::to_string),
    ]
}

fn a_request_id() -> impl Strategy<Value = String> {
    select(vec!["request-1", "request-2"]).prop_map(str::to_string)
}

/// Every command of the application, with arguments good and bad. Starting, withdrawing and destroying are
/// drawn less often, since each ends most of what can happen next.
fn any_application_command() -> BoxedStrategy<ApplicationCommand> {
    use ApplicationCommand as C;
    prop_oneof![
        1 => a_cycle().prop_map(|cycle| C::StartApplication { cycle }),
        3 => prop_oneof![
            3 => some_draft_changes(),
            1 => a_complete_form(),
        ]
        .prop_map(|changes| C::SaveDraft { changes }),
        2 => proptest::option::of(Just(domain::application::events::NoticeVersion {
            updated_on: date(2026, 12, 6),
            digest: "0".repeat(64),
        }))
        .prop_map(|notice| C::SubmitApplication { notice }),
        1 => Just(C::WithdrawApplication),
        1 => Just(C::ConcludeWithCycle),
        1 => some_text().prop_map(|note| C::RecordRecheck { note }),
        1 => (
            proptest::option::of(some_text()),
            proptest::option::of(some_text()),
            proptest::option::of(a_day_in_2026()),
            some_text(),
        )
            .prop_map(|(institution, course, start_date, reason)| C::CorrectAwardTerms {
                institution,
                course,
                level: None,
                start_date,
                reason,
            }),
        1 => (some_text(), some_text())
            .prop_map(|(outcome, reason)| C::CorrectCompletionOutcome { outcome, reason }),
        1 => (a_request_id(), some_text()).prop_map(|(request_id, statement)| {
            C::RecordStatementOfDispute {
                request_id,
                statement,
            }
        }),
        2 => (some_preferences(), proptest::option::of(some_text())).prop_map(
            |(preferences, reason)| C::SetPreferences {
                preferences,
                reason
            }
        ),
        3 => (an_amendment(), some_text(), some_text()).prop_map(|(changes, reason, requested_by)| {
            C::AmendPersonalData {
                changes,
                reason,
                requested_by,
            }
        }),
        2 => (any::<bool>(), some_text())
            .prop_map(|(eligible, reason)| C::DetermineEligibility { eligible, reason }),
        2 => someone_to_assign().prop_map(|member_id| C::AssignCommitteeMember { member_id }),
        2 => some_text().prop_map(|reason| C::DeclareConflict { reason }),
        2 => some_scores().prop_map(|scores| C::ScoreApplication { scores }),
        2 => an_outcome().prop_map(|outcome| C::RecordDecision {
            outcome,
            reserve_position: None,
        }),
        2 => (award_terms(), a_sponsor()).prop_map(|(terms, joint_sponsor_id)| C::MakeAward {
            terms,
            joint_sponsor_id,
        }),
        2 => (some_text(), a_day_in_2026()).prop_map(|(outcome, completed_on)| C::CompleteAward {
            outcome,
            completed_on,
        }),
        2 => (a_recipient(), a_purpose(), fields_to_disclose()).prop_map(
            |(recipient, purpose, fields)| C::DiscloseData {
                disclosure_id: "disclosure-1".to_string(),
                recipient,
                purpose,
                fields,
            }
        ),
        2 => a_recipient_id().prop_map(|recipient_id| C::MarkRectificationNoticeSent { recipient_id }),
        1 => (a_rule(), a_day_in_2026())
            .prop_map(|(rule, destroyed_on)| C::DestroyPersonalData { rule, destroyed_on }),
        2 => (proptest::option::of(a_request_id()), some_text())
            .prop_map(|(request_id, reason)| C::RestrictProcessing { request_id, reason }),
        2 => some_text().prop_map(|reason| C::LiftRestriction { reason }),
        2 => (a_request_id(), an_amendment(), some_text()).prop_map(|(request_id, changes, reason)| {
            C::RectifyPersonalData {
                request_id,
                changes,
                reason,
            }
        }),
        2 => (a_request_id(), a_preferences_change()).prop_map(|(request_id, opt_outs)| {
            C::HonourObjection {
                request_id,
                opt_outs,
            }
        }),
        2 => (select(LetterKind::ALL.to_vec()), any::<bool>()).prop_map(|(kind, by_email)| {
            C::IssueLetter {
                letter_id: "letter-1".to_string(),
                kind,
                subject: "Your application".to_string(),
                body: "<p>Dear applicant,</p>".to_string(),
                by_email,
            }
        }),
        1 => proptest::option::of(some_text()).prop_map(|failure| match failure {
            None => C::RecordLetterEmailed {
                letter_id: "letter-1".to_string(),
            },
            Some(reason) => C::RecordLetterEmailFailed {
                letter_id: "letter-1".to_string(),
                reason,
            },
        }),
    ]
    .boxed()
}

/// The person whose job a command is, as the programme divides the work (with a member drawn for the
/// committee's commands).
fn whose_job(command: &ApplicationCommand, member: &Actor) -> Actor {
    use ApplicationCommand as C;
    match command {
        C::StartApplication { .. }
        | C::SaveDraft { .. }
        | C::SubmitApplication { .. }
        | C::WithdrawApplication
        | C::AcceptOffer
        | C::DeclineOffer => Actor::new(OWNER, Role::Applicant),
        C::AmendPersonalData { .. } => Actor::new(HELPDESK, Role::Helpdesk),
        C::SetPreferences { .. }
        | C::DetermineEligibility { .. }
        | C::AssignCommitteeMember { .. }
        | C::RecordDecision { .. }
        | C::MakeAward { .. }
        | C::CompleteAward { .. }
        | C::DiscloseData { .. }
        | C::MarkRectificationNoticeSent { .. }
        | C::IssueLetter { .. }
        | C::RecordLetterEmailed { .. }
        | C::RecordLetterEmailFailed { .. }
        | C::OverrideScreening { .. }
        | C::RecordRecheck { .. }
        | C::CorrectAwardTerms { .. }
        | C::CorrectCompletionOutcome { .. }
        | C::MakeOffer { .. }
        | C::LapseOffer { .. }
        | C::RecordSupervisor { .. }
        | C::SetReportSchedule { .. }
        | C::RecordProgressReport { .. }
        | C::RecordResult { .. }
        | C::RecordReportReminder { .. }
        | C::ConcludeWithCycle => Actor::new(OFFICER, Role::ProgrammeOfficer),
        C::DeclareConflict { .. } | C::ScoreApplication { .. } => member.clone(),
        C::DestroyPersonalData { .. }
        | C::ReapplyDestruction { .. }
        | C::RestrictProcessing { .. }
        | C::LiftRestriction { .. }
        | C::RectifyPersonalData { .. }
        | C::RecordStatementOfDispute { .. }
        | C::HonourObjection { .. } => Actor::new(INFORMATION_OFFICER, Role::InformationOfficer),
    }
}

/// The choices an onward step needs, whichever stage the application is at when it runs.
#[derive(Clone, Debug)]
struct Onward {
    cycle: CycleName,
    form: DraftChanges,
    eligible: bool,
    member: usize,
    /// While under review: assign another member, have one score, have one declare a conflict, or decide.
    review_move: u8,
    scores: Scores,
    outcome: Outcome,
    terms: AwardTerms,
    sponsor: Option<String>,
    recipient: RecipientFacts,
    fields: Vec<String>,
    /// Once the case is closed: disclose, or destroy under the schedule.
    destroy_when_closed: bool,
    /// Now and then the case takes a turn off the main path first (see [`Onward::detour`]).
    detour: u8,
    amendment: (PersonalField, String),
}

fn onward_choices() -> impl Strategy<Value = Onward> {
    (
        (
            a_cycle(),
            a_complete_form(),
            prop_oneof![4 => Just(true), 1 => Just(false)],
        ),
        (0..MEMBERS.len(), 0u8..5, fair_scores(), an_outcome()),
        (award_terms(), a_sponsor(), a_recipient()),
        (
            prop_oneof![
                1 => Just(vec!["personal.email".to_string(), "personal.address".to_string()]),
                1 => vec(select(DISCLOSABLE_FIELDS.to_vec()).prop_map(str::to_string), 1..4),
            ],
            prop_oneof![2 => Just(false), 1 => Just(true)],
            0u8..9,
            select(vec![
                (PersonalField::Email, "amara.new@example.org"),
                (PersonalField::Email, "amara.okafor@example.org"),
                (PersonalField::Address, "7 Lake View, Kisumu"),
                (PersonalField::Address, "12 Mango Lane, Kisumu"),
                (PersonalField::CountryOfResidence, "Ghana"),
                (PersonalField::CountryOfResidence, "Kenya"),
            ])
            .prop_map(|(field, value)| (field, value.to_string())),
        ),
    )
        .prop_map(
            |(
                (cycle, form, eligible),
                (member, review_move, scores, outcome),
                (terms, sponsor, recipient),
                (fields, destroy_when_closed, detour, amendment),
            )| Onward {
                cycle,
                form,
                eligible,
                member,
                review_move,
                scores,
                outcome,
                terms,
                sponsor,
                recipient,
                fields,
                destroy_when_closed,
                detour,
                amendment,
            },
        )
}

impl Onward {
    /// A turn off the main path, where one fits: the Help Desk amends a personal detail, a programme
    /// officer discloses data or marks a correction as passed on, the information officer restricts
    /// processing.
    fn detour(&self, application: &Application) -> Option<(Actor, ApplicationCommand)> {
        use ApplicationCommand as C;
        let officer = Actor::new(OFFICER, Role::ProgrammeOfficer);
        let open_case = application.submitted && application.status != Status::Withdrawn;
        match self.detour {
            0 if application.submitted => Some((
                Actor::new(HELPDESK, Role::Helpdesk),
                C::AmendPersonalData {
                    changes: vec![(self.amendment.0.path(), self.amendment.1.clone())],
                    reason: "the applicant moved house".to_string(),
                    requested_by: "the applicant, by telephone".to_string(),
                },
            )),
            1 if open_case => Some((
                officer,
                C::DiscloseData {
                    disclosure_id: "disclosure-detour".to_string(),
                    recipient: self.recipient.clone(),
                    purpose: "visa support letter for the scholar".to_string(),
                    fields: self.fields.clone(),
                },
            )),
            // A personal detail that was sent to someone changes, so they are owed the correction.
            4 => {
                let field = application
                    .disclosed
                    .values()
                    .flat_map(|(_, sent)| sent.iter())
                    .find_map(|path| PersonalField::from_path(path))?;
                let held = application.form.personal.get(field);
                let value = [0, 1]
                    .into_iter()
                    .map(|i| good_values(field)[i].to_string())
                    .find(|value| field.parse_value(value).ok().as_ref() != held)?;
                Some((
                    Actor::new(HELPDESK, Role::Helpdesk),
                    C::AmendPersonalData {
                        changes: vec![(field.path(), value)],
                        reason: "the applicant reported a mistake".to_string(),
                        requested_by: String::new(),
                    },
                ))
            }
            2 => application.notices_due.first().map(|recipient_id| {
                (
                    officer,
                    C::MarkRectificationNoticeSent {
                        recipient_id: recipient_id.clone(),
                    },
                )
            }),
            3 => Some((
                Actor::new(INFORMATION_OFFICER, Role::InformationOfficer),
                C::RestrictProcessing {
                    request_id: Some("request-1".to_string()),
                    reason: "the applicant contests the accuracy of the data".to_string(),
                },
            )),
            _ => None,
        }
    }

    /// The next thing of the lifecycle, and who does it.
    fn next(&self, application: &Application) -> (Actor, ApplicationCommand) {
        use ApplicationCommand as C;
        let officer = Actor::new(OFFICER, Role::ProgrammeOfficer);
        let owner = Actor::new(OWNER, Role::Applicant);
        let member = Actor::new(MEMBERS[self.member], Role::CommitteeMember);
        let information_officer = Actor::new(INFORMATION_OFFICER, Role::InformationOfficer);
        if application.destroyed {
            return (owner, C::SubmitApplication { notice: None });
        }
        if application.restricted {
            return (
                information_officer,
                C::LiftRestriction {
                    reason: "the accuracy of the data was verified".to_string(),
                },
            );
        }
        if let Some(detour) = self.detour(application) {
            return detour;
        }
        let decide = C::RecordDecision {
            outcome: self.outcome,
            reserve_position: None,
        };
        // A member already on the committee, where there is one, scores or declares a conflict.
        let committee: Vec<&String> = application.assigned.iter().collect();
        let sitting = committee
            .get(self.member % committee.len().max(1))
            .map(|id| Actor::new(id.as_str(), Role::CommitteeMember))
            .unwrap_or_else(|| member.clone());
        match application.status {
            Status::NotStarted => (
                owner,
                C::StartApplication {
                    cycle: self.cycle.clone(),
                },
            ),
            // A complete draft is sometimes saved again, so that one the rules refuse can be mended.
            Status::Draft
                if !missing_for_submission(&application.form).is_empty()
                    || self.review_move == 0 =>
            {
                (
                    owner,
                    C::SaveDraft {
                        changes: self.form.clone(),
                    },
                )
            }
            Status::Draft => (owner, C::SubmitApplication { notice: None }),
            Status::Submitted => (
                officer,
                C::DetermineEligibility {
                    eligible: self.eligible,
                    reason: "checked against the published rules".to_string(),
                },
            ),
            Status::Eligible => (
                officer,
                C::AssignCommitteeMember {
                    member_id: member.user_id,
                },
            ),
            Status::UnderReview => match self.review_move {
                0 => (
                    officer,
                    C::AssignCommitteeMember {
                        member_id: member.user_id,
                    },
                ),
                1 | 2 => (
                    sitting.clone(),
                    C::ScoreApplication {
                        scores: self.scores.clone(),
                    },
                ),
                3 if self.destroy_when_closed => (
                    sitting,
                    C::DeclareConflict {
                        reason: "I supervised the applicant's degree".to_string(),
                    },
                ),
                _ => (officer, decide),
            },
            Status::Reserve => (officer, decide),
            Status::Selected => (
                officer,
                C::MakeAward {
                    terms: self.terms.clone(),
                    joint_sponsor_id: self.sponsor.clone(),
                },
            ),
            Status::Awarded => (
                officer,
                C::CompleteAward {
                    outcome: "completed the degree with merit".to_string(),
                    // Studies are completed on a day that has come.
                    completed_on: date(2026, 1, 1),
                },
            ),
            Status::Ineligible | Status::Unsuccessful | Status::Withdrawn
                if self.destroy_when_closed =>
            {
                (
                    information_officer,
                    C::DestroyPersonalData {
                        rule: RecordKind::UnsuccessfulApplication,
                        destroyed_on: date(2028, 6, 1),
                    },
                )
            }
            Status::Ineligible | Status::Unsuccessful | Status::Withdrawn | Status::Alumni => (
                officer,
                C::DiscloseData {
                    disclosure_id: "disclosure-onward".to_string(),
                    recipient: self.recipient.clone(),
                    purpose: "confirmation of the scholar's studies".to_string(),
                    fields: self.fields.clone(),
                },
            ),
        }
    }
}

#[derive(Clone, Debug)]
enum Step {
    /// Someone issues a command: usually the person whose job it is, sometimes anyone at all.
    Anything {
        command: Box<ApplicationCommand>,
        by_anyone: Option<Actor>,
        member: Actor,
        pause: Duration,
    },
    /// Whoever's turn it is does the next thing of the lifecycle.
    Onward {
        choices: Box<Onward>,
        pause: Duration,
    },
}

fn an_application_step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (
            any_application_command(),
            prop_oneof![3 => Just(None), 2 => anyone().prop_map(Some)],
            a_member(),
            a_pause(),
        )
            .prop_map(|(command, by_anyone, member, pause)| Step::Anything {
                command: Box::new(command),
                by_anyone,
                member,
                pause,
            }),
        2 => (onward_choices(), a_pause())
            .prop_map(|(choices, pause)| Step::Onward {
                choices: Box::new(choices),
                pause,
            }),
    ]
}

impl Step {
    fn command(&self, application: &Application) -> (Actor, ApplicationCommand, Duration) {
        match self {
            Step::Anything {
                command,
                by_anyone,
                member,
                pause,
            } => {
                // The committee's commands come from a member already sitting on it, where there is one
                // and the member drawn is not.
                let sitting: Vec<&String> = application.assigned.iter().collect();
                let member = if sitting.is_empty() || sitting.contains(&&member.user_id) {
                    member.clone()
                } else {
                    let drawn = MEMBERS
                        .iter()
                        .position(|id| *id == member.user_id)
                        .unwrap_or_default();
                    Actor::new(
                        sitting[drawn % sitting.len()].as_str(),
                        Role::CommitteeMember,
                    )
                };
                let actor = by_anyone
                    .clone()
                    .unwrap_or_else(|| whose_job(command, &member));
                (actor, (**command).clone(), *pause)
            }
            Step::Onward { choices, pause } => {
                let (actor, command) = choices.next(application);
                (actor, command, *pause)
            }
        }
    }
}

// =========================================================================================================
// The application: what must hold.
// =========================================================================================================

/// The lifecycle's moves, from the module's own description: `draft → submitted → eligible | ineligible →
/// under_review → selected | reserve | unsuccessful`, a reserve later selected or turned down, `withdrawn`
/// from any state before a decision, and `selected → awarded → alumni`. Staying put is always allowed.
fn lifecycle_allows(from: Status, to: Status) -> bool {
    use Status as S;
    from == to
        || matches!(
            (from, to),
            (S::NotStarted, S::Draft)
                | (S::Draft, S::Submitted)
                | (S::Submitted, S::Eligible | S::Ineligible)
                | (S::Eligible, S::UnderReview)
                | (S::UnderReview, S::Selected | S::Reserve | S::Unsuccessful)
                | (S::Reserve, S::Selected | S::Unsuccessful)
                | (S::Selected, S::Awarded)
                | (S::Awarded, S::Alumni)
                | (
                    S::Draft | S::Submitted | S::Eligible | S::UnderReview,
                    S::Withdrawn
                )
        )
}

/// The sharing rule of the privacy notice, in its own words: a British mission, or the embassy of the
/// country of study, only in the country where the person lives; the person's own country's mission only
/// for its nationals; a joint sponsor only for the award it contributes to.
fn policy_allows(recipient: &RecipientFacts, application: &Application) -> bool {
    let personal = &application.form.personal;
    let country = Some(recipient.country.as_str());
    // Where the person studies: the award's country, before an award any course choice's (the United
    // Kingdom where none is given).
    let studies_in = |nation: &Country| match &application.award {
        Some(award) => award.country.as_ref().unwrap_or(&Country::united_kingdom()) == nation,
        None => application.form.courses.iter().any(|course| {
            course
                .country
                .as_ref()
                .unwrap_or(&Country::united_kingdom())
                == nation
        }),
    };
    match recipient.kind {
        RecipientKind::BritishMission => personal.country_of_residence.as_deref() == country,
        RecipientKind::StudyCountryEmbassy => {
            personal.country_of_residence.as_deref() == country
                && recipient.represents.as_ref().is_some_and(studies_in)
        }
        RecipientKind::HomeCountryMission => {
            personal.nationality.as_deref() == country
                && recipient.located_in.as_ref().is_some_and(studies_in)
        }
        RecipientKind::JointSponsor => {
            application.joint_sponsor_id.as_deref() == Some(recipient.id.as_str())
        }
    }
}

fn event_name(event: &ApplicationEvent) -> String {
    cqrs_es::DomainEvent::event_type(event)
}

/// What must hold of the application at every moment, whatever happened before.
fn application_holds(application: &Application, staff: &StaffList) -> Result<(), TestCaseError> {
    let a = application;
    // An application that was never started has nothing: no cycle, no applicant, no form.
    if a.status == Status::NotStarted {
        prop_assert_eq!(a, &Application::default());
        return Ok(());
    }
    // A started application belongs to an applicant, in a cycle.
    prop_assert!(a.cycle.is_some());
    prop_assert!(!a.applicant_id.is_empty());

    // Submission is for good: every status past a draft was submitted; a draft never was. Only a
    // withdrawn application may be either (a draft can be withdrawn unsubmitted).
    match a.status {
        Status::NotStarted | Status::Draft => prop_assert!(!a.submitted),
        Status::Withdrawn => {}
        _ => prop_assert!(a.submitted, "{:?} but never submitted", a.status),
    }

    // Only committee members are ever assigned; a member who declared a conflict stays assigned, and only
    // assigned members without a conflict have marks, each total within 0 to 40.
    for member in &a.assigned {
        prop_assert_eq!(staff.role_known(member), Some(Role::CommitteeMember));
    }
    prop_assert!(a.conflicted.is_subset(&a.assigned), "{:?}", a);
    for (member, total) in &a.scored {
        prop_assert!(a.assigned.contains(member), "{member} scored unassigned");
        prop_assert!(!a.conflicted.contains(member), "{member} scored conflicted");
        prop_assert!(*total <= 4 * u32::from(Scores::MAX));
    }
    // Review starts with an assignment: under review there is a committee, and a committee is only ever
    // formed for an application that went to review.
    if a.status == Status::UnderReview {
        prop_assert!(!a.assigned.is_empty());
    }
    if !a.assigned.is_empty() {
        prop_assert!(
            matches!(
                a.status,
                Status::UnderReview
                    | Status::Selected
                    | Status::Reserve
                    | Status::Unsuccessful
                    | Status::Awarded
                    | Status::Alumni
                    | Status::Withdrawn
            ),
            "a committee on an application that is {:?}",
            a.status
        );
    }

    // The terms of an award exist exactly while the application is awarded or its scholar an alumnus;
    // a joint sponsor only ever comes with an award.
    prop_assert_eq!(
        a.award.is_some(),
        matches!(a.status, Status::Awarded | Status::Alumni),
        "award {:?} on an application that is {:?}",
        &a.award,
        a.status
    );
    if a.joint_sponsor_id.is_some() {
        prop_assert!(a.award.is_some());
    }

    // Only disclosable fields were ever sent, and a correction is only ever due to someone who was sent
    // something.
    for (recipient, (_, fields)) in &a.disclosed {
        prop_assert!(!fields.is_empty(), "nothing sent to {recipient}");
        for field in fields {
            prop_assert!(DISCLOSABLE_FIELDS.contains(&field.as_str()), "{field} sent");
        }
    }
    for recipient in &a.notices_due {
        prop_assert!(a.disclosed.contains_key(recipient), "notice to {recipient}");
    }

    // Once destroyed, an application holds no personal data: an empty form, no award terms, no record of
    // what was sent to whom; and an award, kept for ever, is never destroyed.
    if a.destroyed {
        prop_assert_eq!(&a.form, &Default::default());
        prop_assert!(a.award.is_none());
        prop_assert!(a.disclosed.is_empty());
        prop_assert!(a.notices_due.is_empty());
        prop_assert!(!matches!(a.status, Status::Awarded | Status::Alumni));
    }
    Ok(())
}

/// One command as the application handled it: who asked what of which state, and what came of it.
#[derive(Clone, Copy)]
struct Turn<'a> {
    before: &'a Application,
    actor: &'a Actor,
    command: &'a ApplicationCommand,
    result: &'a Result<(), ApplicationError>,
    events: &'a [ApplicationEvent],
    after: &'a Application,
}

/// What one command may do to the application, given who asked and what the application was.
fn application_step_holds(
    turn: Turn<'_>,
    staff: &StaffList,
    as_if_absent: Option<&Result<(), ApplicationError>>,
) -> Result<(), TestCaseError> {
    use ApplicationEvent as Ev;
    let Turn {
        before,
        actor,
        command,
        result,
        events,
        after,
    } = turn;
    let names: BTreeSet<String> = events.iter().map(event_name).collect();
    let has = |name: &str| names.contains(name);

    // The status only moves along the lifecycle.
    prop_assert!(
        lifecycle_allows(before.status, after.status),
        "{:?} → {:?} by {:?}",
        before.status,
        after.status,
        command
    );
    // Submission, destruction are never undone; the applicant and the cycle never change once started.
    prop_assert!(!before.submitted || after.submitted);
    prop_assert!(!before.destroyed || after.destroyed);
    if before.status != Status::NotStarted {
        prop_assert_eq!(&before.applicant_id, &after.applicant_id);
        prop_assert_eq!(&before.cycle, &after.cycle);
    }

    // Before an application is started it exists for no one: only an applicant can start it (and becomes
    // its owner); a member of staff is refused, and any other command is refused, either because the role
    // may not issue it or because there is nothing to issue it on.
    if before.status == Status::NotStarted {
        match command {
            ApplicationCommand::StartApplication { .. } if actor.role == Role::Applicant => {
                prop_assert!(result.is_ok());
                prop_assert_eq!(&after.applicant_id, &actor.user_id);
            }
            ApplicationCommand::StartApplication { .. } => {
                prop_assert_eq!(result, &Err(ApplicationError::Forbidden));
            }
            _ => prop_assert!(
                matches!(
                    result,
                    Err(ApplicationError::NotFound | ApplicationError::Forbidden)
                ),
                "{:?} on nothing: {:?}",
                command,
                result
            ),
        }
    }
    // An application is started once.
    if before.status != Status::NotStarted
        && matches!(command, ApplicationCommand::StartApplication { .. })
    {
        prop_assert!(result.is_err());
    }
    // Another applicant cannot learn that someone else's application exists, let alone change it: whatever
    // they ask, they are told what they would be told of an application that does not exist (except that
    // once the data is destroyed the application says so to everyone alike, as the API's 410 does).
    if let Some(as_if_absent) = as_if_absent
        && before.status != Status::NotStarted
        && !matches!(command, ApplicationCommand::StartApplication { .. })
    {
        let expected = match as_if_absent {
            Err(ApplicationError::NotFound) if before.destroyed => Err(ApplicationError::Destroyed),
            other => other.clone(),
        };
        prop_assert_eq!(result, &expected, "{:?} by another applicant", command);
    }
    // Once the personal data is destroyed nothing more can be done with the application.
    if before.destroyed {
        prop_assert!(result.is_err(), "{:?} accepted after destruction", command);
    }

    // Each kind of event comes only from the person whose job it is.
    for event in events {
        let by_role = |roles: &[Role]| roles.contains(&actor.role);
        let fits = match event {
            Ev::ApplicationStarted { applicant_id, .. } => {
                actor.role == Role::Applicant && applicant_id == &actor.user_id
            }
            Ev::DraftSaved { .. }
            | Ev::ApplicationSubmitted { .. }
            | Ev::PrivacyNoticeAccepted { .. }
            | Ev::OfferAccepted { .. }
            | Ev::OfferDeclined { .. }
            | Ev::ApplicationWithdrawn { .. } => {
                actor.role == Role::Applicant && actor.user_id == before.applicant_id
            }
            Ev::PreferencesChanged { .. } => {
                (actor.role == Role::Applicant && actor.user_id == before.applicant_id)
                    || by_role(&[Role::ProgrammeOfficer, Role::InformationOfficer])
            }
            Ev::PersonalDataAmended { .. } | Ev::EligibilityRecheckDue { .. } => {
                by_role(&[Role::Helpdesk, Role::InformationOfficer])
            }
            // A correction of the award's terms, by a programme officer, owes notices too.
            Ev::RectificationNoticeDue { .. } => by_role(&[
                Role::Helpdesk,
                Role::InformationOfficer,
                Role::ProgrammeOfficer,
            ]),
            Ev::EligibilityRechecked { .. } => by_role(&[Role::ProgrammeOfficer]),
            Ev::StatementOfDisputeRecorded { .. } => by_role(&[Role::InformationOfficer]),
            Ev::EligibilityDetermined { .. }
            | Ev::CommitteeMemberAssigned { .. }
            | Ev::DecisionRecorded { .. }
            | Ev::AwardMade { .. }
            | Ev::AwardCompleted { .. }
            | Ev::AwardTermsCorrected { .. }
            | Ev::CompletionOutcomeCorrected { .. }
            | Ev::DataDisclosed { .. }
            | Ev::DisclosureRefused { .. }
            | Ev::RectificationNoticeSent { .. }
            | Ev::ScreeningOverridden { .. }
            | Ev::OfferMade { .. }
            | Ev::SupervisorRecorded { .. }
            | Ev::ReportScheduleSet { .. }
            | Ev::ProgressReportRecorded { .. }
            | Ev::ResultReleased { .. } => by_role(&[Role::ProgrammeOfficer]),
            // The daily sweep records a lapse as an information officer.
            Ev::OfferLapsed { .. } | Ev::ReportReminderSent { .. } => {
                by_role(&[Role::ProgrammeOfficer, Role::InformationOfficer])
            }
            // The letter of a cycle's conclusion comes from the retention sweep, an information officer.
            Ev::LetterIssued { .. } | Ev::LetterEmailed { .. } | Ev::LetterEmailFailed { .. } => {
                by_role(&[Role::ProgrammeOfficer, Role::InformationOfficer])
            }
            // The retention sweep concludes what nobody concluded, as an information officer.
            Ev::ConcludedWithCycle { .. } => {
                by_role(&[Role::ProgrammeOfficer, Role::InformationOfficer])
            }
            Ev::ConflictDeclared { member_id, .. } | Ev::ApplicationScored { member_id, .. } => {
                actor.role == Role::CommitteeMember && member_id == &actor.user_id
            }
            Ev::PersonalDataDestroyed { .. }
            | Ev::ProcessingRestricted { .. }
            | Ev::RestrictionLifted { .. } => by_role(&[Role::InformationOfficer]),
        };
        prop_assert!(fits, "{} by {:?}", event_name(event), actor);
    }

    // While processing is restricted the case stands still: no edit, submission, assessment, decision,
    // award or disclosure, and the opt-outs change only to honour an objection or to opt out further (a
    // change that only narrows what is done with the data).
    if before.restricted {
        for halted in [
            "DraftSaved",
            "ApplicationSubmitted",
            "EligibilityDetermined",
            "CommitteeMemberAssigned",
            "ApplicationScored",
            "DecisionRecorded",
            "AwardMade",
            "AwardCompleted",
            "DataDisclosed",
            "DisclosureRefused",
        ] {
            prop_assert!(!has(halted), "{halted} while restricted");
        }
        if has("PreferencesChanged") && actor.role != Role::InformationOfficer {
            prop_assert!(
                before
                    .form
                    .preferences
                    .only_narrowed_by(after.form.preferences),
                "{:?} took an opt-out back while restricted: {:?} to {:?}",
                actor,
                before.form.preferences,
                after.form.preferences
            );
        }
    }

    // The form changes only by a saved draft, an amendment of personal data, a change of the opt-outs, or
    // destruction.
    let destroyed_now = has("PersonalDataDestroyed");
    if before.form != after.form && !destroyed_now {
        prop_assert!(
            has("DraftSaved") || has("PersonalDataAmended") || has("PreferencesChanged"),
            "the form changed by {:?}",
            names
        );
    }
    // A draft is saved only while it is a draft.
    if has("DraftSaved") {
        prop_assert_eq!(before.status, Status::Draft);
    }
    // After submission the answers stay as submitted: education, employment, courses, essays and referees
    // never change again; the personal details change only by a Help Desk amendment (or a granted
    // rectification, by the same path); the opt-outs only by a programme officer or to honour an objection.
    if before.submitted && !destroyed_now {
        let (b, a) = (&before.form, &after.form);
        prop_assert_eq!(&b.education, &a.education);
        prop_assert_eq!(&b.employment, &a.employment);
        prop_assert_eq!(&b.courses, &a.courses);
        prop_assert_eq!(&b.essays, &a.essays);
        prop_assert_eq!(&b.referees, &a.referees);
        if b.personal != a.personal {
            prop_assert!(has("PersonalDataAmended"));
        }
        if b.preferences != a.preferences {
            prop_assert!(matches!(
                actor.role,
                Role::ProgrammeOfficer | Role::InformationOfficer
            ));
        }
    }
    // An amendment happens only after submission, and says truly what changed: each field named from its
    // old value to a different new one, and no other field touched.
    for event in events {
        if let Ev::PersonalDataAmended {
            fields, changes, ..
        } = event
        {
            prop_assert!(before.submitted, "amended before submission");
            let changes = changes.known().expect("a live amendment is known");
            let named: Vec<PersonalField> = changes.iter().map(|change| change.field).collect();
            prop_assert_eq!(&named, fields);
            prop_assert!(!changes.is_empty());
            for change in changes {
                prop_assert_eq!(change.old.as_ref(), before.form.personal.get(change.field));
                prop_assert_eq!(Some(&change.new), after.form.personal.get(change.field));
                prop_assert!(change.old.as_ref() != Some(&change.new));
            }
            for field in PersonalField::ALL {
                if !fields.contains(&field) {
                    prop_assert_eq!(
                        before.form.personal.get(field),
                        after.form.personal.get(field)
                    );
                }
            }
            // Every recipient who was sent a field that has now changed is due a correction, and no one
            // else is.
            let changed: BTreeSet<String> = fields.iter().map(|field| field.path()).collect();
            let owed: BTreeMap<&String, Vec<String>> = before
                .disclosed
                .iter()
                .map(|(id, (_, sent))| (id, sent.intersection(&changed).cloned().collect()))
                .filter(|(_, fields): &(_, Vec<String>)| !fields.is_empty())
                .collect();
            let told: BTreeMap<&String, Vec<String>> = events
                .iter()
                .filter_map(|event| match event {
                    Ev::RectificationNoticeDue {
                        recipient_id,
                        fields,
                        ..
                    } => Some((recipient_id, fields.clone())),
                    _ => None,
                })
                .collect();
            prop_assert_eq!(owed, told);
        }
    }
    if has("RectificationNoticeDue") {
        prop_assert!(has("PersonalDataAmended") || has("AwardTermsCorrected"));
    }
    // The applicant sets the opt-outs only while the application is a draft; an objection only ever opts
    // out, never back in.
    if before.form.preferences != after.form.preferences && !destroyed_now {
        let (b, a) = (before.form.preferences, after.form.preferences);
        if actor.role == Role::Applicant {
            prop_assert_eq!(before.status, Status::Draft);
        }
        if actor.role == Role::InformationOfficer {
            for (was, is) in [
                (b.networking_opt_out, a.networking_opt_out),
                (b.alumni_email_opt_out, a.alumni_email_opt_out),
                (b.alumni_book_opt_out, a.alumni_book_opt_out),
                (b.images_opt_out, a.images_opt_out),
            ] {
                prop_assert!(!was || is, "an objection opted back in: {:?} → {:?}", b, a);
            }
        }
    }

    for event in events {
        match event {
            // Submission needs a complete form.
            Ev::ApplicationSubmitted { .. } => {
                prop_assert!(missing_for_submission(&before.form).is_empty());
            }
            // Withdrawal is possible only before a decision, and records where the application stood.
            Ev::ApplicationWithdrawn { previous_status } => {
                prop_assert_eq!(*previous_status, before.status);
                prop_assert!(matches!(
                    before.status,
                    Status::Draft | Status::Submitted | Status::Eligible | Status::UnderReview
                ));
            }
            // Eligibility is determined once, on a submitted application.
            Ev::EligibilityDetermined { .. } => {
                prop_assert_eq!(before.status, Status::Submitted);
            }
            // Only a committee member, as the staff directory knows them, is assigned, to an eligible
            // application or one already under review, once, and never after declaring a conflict.
            Ev::CommitteeMemberAssigned { member_id } => {
                prop_assert!(matches!(
                    before.status,
                    Status::Eligible | Status::UnderReview
                ));
                prop_assert_eq!(staff.role_known(member_id), Some(Role::CommitteeMember));
                prop_assert!(!before.assigned.contains(member_id));
                prop_assert!(!before.conflicted.contains(member_id));
            }
            // A member declares a conflict only on an application assigned to them, under review.
            Ev::ConflictDeclared { member_id, .. } => {
                prop_assert!(before.assigned.contains(member_id));
                prop_assert_eq!(before.status, Status::UnderReview);
            }
            // Scores come only from an assigned member without a conflict, during review, each mark a
            // whole number from 0 to 10.
            Ev::ApplicationScored { member_id, scores } => {
                prop_assert_eq!(before.status, Status::UnderReview);
                prop_assert!(before.assigned.contains(member_id));
                prop_assert!(!before.conflicted.contains(member_id));
                let scores = scores.known().expect("live scores are known");
                for mark in [
                    scores.leadership,
                    scores.networking,
                    scores.study_plan,
                    scores.career_plan,
                ] {
                    prop_assert!(mark <= Scores::MAX);
                }
            }
            // The committee decides only on an application under review, or on a reserve (who may later be
            // selected or turned down); a decision always changes where the application stands.
            Ev::DecisionRecorded { .. } => {
                prop_assert!(matches!(
                    before.status,
                    Status::UnderReview | Status::Reserve
                ));
                prop_assert!(before.status != after.status);
            }
            // Only a selected application is awarded; only an awarded one completes.
            Ev::AwardMade { .. } => prop_assert_eq!(before.status, Status::Selected),
            Ev::AwardCompleted { .. } => prop_assert_eq!(before.status, Status::Awarded),
            // Data is disclosed (or a disclosure refused) only once the application is submitted and not
            // withdrawn, of fields that may be disclosed, each once; it goes only where the privacy notice
            // allows, with the values the application holds; anything else is refused and recorded.
            Ev::DataDisclosed { fields, .. } | Ev::DisclosureRefused { fields, .. } => {
                prop_assert!(!matches!(
                    before.status,
                    Status::NotStarted | Status::Draft | Status::Withdrawn
                ));
                prop_assert!(!fields.is_empty());
                let distinct: BTreeSet<&String> = fields.iter().collect();
                prop_assert_eq!(distinct.len(), fields.len(), "a field sent twice");
                for field in fields {
                    prop_assert!(DISCLOSABLE_FIELDS.contains(&field.as_str()));
                }
                let ApplicationCommand::DiscloseData { recipient, .. } = command else {
                    return Err(TestCaseError::fail("a disclosure without being asked"));
                };
                // Progress reports go only to the British mission or the study country's embassy.
                let reports_may_go = !fields.iter().any(|field| field == "progress_reports")
                    || matches!(
                        recipient.kind,
                        RecipientKind::BritishMission | RecipientKind::StudyCountryEmbassy
                    );
                let allowed = reports_may_go && policy_allows(recipient, before);
                prop_assert_eq!(
                    allowed,
                    event_name(event) == "DataDisclosed",
                    "{:?} to {:?}",
                    event,
                    recipient
                );
                if let Some(values) = values_of(event) {
                    for field in PersonalField::ALL {
                        if let Some(sent) = values.get(&field.path()) {
                            let held = before.form.personal.get(field).cloned().unwrap_or_default();
                            prop_assert_eq!(sent, &held);
                        }
                    }
                }
            }
            // A correction is marked as passed on only to a recipient who was due one.
            Ev::RectificationNoticeSent { recipient_id } => {
                prop_assert!(before.notices_due.contains(recipient_id));
                prop_assert!(!after.notices_due.contains(recipient_id));
            }
            // Personal data is destroyed only under a rule that fits the application: an unsubmitted draft
            // as a draft; an ineligible, unsuccessful or withdrawn application as unsuccessful; any other
            // application only on an approved erasure; and never an award, which is kept for ever.
            Ev::PersonalDataDestroyed { rule, .. } => {
                prop_assert!(!matches!(before.status, Status::Awarded | Status::Alumni));
                let fits = match rule {
                    RecordKind::UnsubmittedDraft => before.status == Status::Draft,
                    RecordKind::UnsuccessfulApplication => matches!(
                        before.status,
                        Status::Ineligible | Status::Unsuccessful | Status::Withdrawn
                    ),
                    RecordKind::ErasedOnRequest => true,
                    RecordKind::Award
                    | RecordKind::ImmigrationRecord
                    | RecordKind::ApplicantAccount
                    | RecordKind::InformationRequest => false,
                };
                prop_assert!(fits, "{:?} destroyed under {:?}", before.status, rule);
            }
            // A letter tells of the outcome the application has, once; its email is recorded only for a
            // letter that was issued.
            Ev::LetterIssued {
                letter_id, kind, ..
            } => {
                prop_assert_eq!(kind.tells_of(), before.status);
                prop_assert!(!before.letters.contains(letter_id));
            }
            Ev::LetterEmailed { letter_id } | Ev::LetterEmailFailed { letter_id, .. } => {
                prop_assert!(before.letters.contains(letter_id));
            }
            // A case is flagged to be checked again only by an amendment of nationality or residence once
            // eligibility was decided, and the check is recorded only where it was flagged.
            Ev::EligibilityRecheckDue { fields } => {
                prop_assert!(before.eligibility_determined);
                prop_assert!(has("PersonalDataAmended"));
                prop_assert!(!fields.is_empty());
                prop_assert!(fields.iter().all(|f| matches!(
                    f,
                    PersonalField::Nationality | PersonalField::CountryOfResidence
                )));
                prop_assert!(after.recheck_due);
            }
            Ev::EligibilityRechecked { .. } => {
                prop_assert!(before.recheck_due);
                prop_assert!(!after.recheck_due);
            }
            // The privacy notice is accepted by submitting, and only then.
            Ev::PrivacyNoticeAccepted { .. } => prop_assert!(has("ApplicationSubmitted")),
            // The subject's statement is kept once for each refused rectification.
            Ev::StatementOfDisputeRecorded { request_id, .. } => {
                prop_assert!(!before.disputed_by.contains(request_id));
                prop_assert!(after.disputed_by.contains(request_id));
            }
            // A restriction is put on once and lifted only when it is on.
            Ev::ProcessingRestricted { .. } => prop_assert!(!before.restricted),
            Ev::RestrictionLifted { .. } => prop_assert!(before.restricted),
            _ => {}
        }
    }
    Ok(())
}

/// The values a disclosure sent, if it sent any.
fn values_of(event: &ApplicationEvent) -> Option<&BTreeMap<String, String>> {
    match event {
        ApplicationEvent::DataDisclosed { values, .. } => values.known(),
        _ => None,
    }
}

/// The personal details the applicant gave, as text long enough not to turn up by chance elsewhere.
fn personal_texts(application: &Application, found: &mut BTreeSet<String>) {
    let form = &application.form;
    for field in PersonalField::ALL {
        if let Some(value) = form.personal.get(field) {
            found.insert(value.clone());
        }
    }
    for essay in Essay::ALL {
        if let Some(text) = form.essays.get(essay) {
            found.insert(text.clone());
        }
    }
    for referee in &form.referees {
        found.insert(referee.name.clone());
        found.insert(referee.email.clone());
    }
    found.retain(|text| text.trim().chars().count() >= 6);
}

/// Runs the steps on one application, checking everything after each, and gives back the application as
/// the steps left it.
fn run_application(steps: &[Step]) -> Result<Application, TestCaseError> {
    let runtime = runtime();
    let staff = Arc::new(StaffList::of_the_programme());
    let services = ApplicationServices {
        staff: staff.clone(),
        cycles: Arc::new(domain::cycle::OpenAllYear),
    };
    let mut journal: Journal<Application> = Journal::new();
    let mut clock = moment(2026, 1, 5, 9);
    let mut personal_seen = BTreeSet::new();
    for step in steps {
        let (actor, command, pause) = step.command(&journal.live);
        clock += pause;
        let authored = Authored::new(actor.clone(), clock, command.clone());
        // What an applicant who is not the owner would be told of an application that does not exist.
        let as_if_absent = (actor.role == Role::Applicant
            && actor.user_id != journal.live.applicant_id)
            .then(|| {
                issue(
                    &runtime,
                    &mut Application::default(),
                    authored.clone(),
                    &services,
                )
                .0
            });
        let (before, result, events) = journal.issue(&runtime, authored, &services)?;
        let turn = Turn {
            before: &before,
            actor: &actor,
            command: &command,
            result: &result,
            events: &events,
            after: &journal.live,
        };
        application_step_holds(turn, &staff, as_if_absent.as_ref())?;
        application_holds(&journal.live, &staff)?;
        personal_texts(&journal.live, &mut personal_seen);
    }

    // Read back as the store does once the data key is erased, the log still tells the story of the case
    // without its personal data: the same status, people, committee, restriction and record of who was
    // sent what. And a stream that was destroyed is, on reading back, exactly the aggregate that was left
    // live (the in-process cache keeps it so).
    let shredded = journal.shredded()?;
    let mut reread = Application::default();
    for event in shredded {
        reread.apply(event);
    }
    let live = &journal.live;
    if live.destroyed {
        prop_assert_eq!(
            &reread,
            live,
            "a destroyed application reads back otherwise"
        );
    }
    prop_assert_eq!(reread.status, live.status);
    prop_assert_eq!(&reread.cycle, &live.cycle);
    prop_assert_eq!(&reread.applicant_id, &live.applicant_id);
    prop_assert_eq!(&reread.assigned, &live.assigned);
    prop_assert_eq!(&reread.conflicted, &live.conflicted);
    prop_assert_eq!(
        reread.scored.keys().collect::<Vec<_>>(),
        live.scored.keys().collect::<Vec<_>>()
    );
    prop_assert_eq!(reread.submitted, live.submitted);
    prop_assert_eq!(reread.restricted, live.restricted);
    prop_assert_eq!(reread.destroyed, live.destroyed);
    prop_assert_eq!(&reread.disclosed, &live.disclosed);
    prop_assert_eq!(&reread.notices_due, &live.notices_due);
    prop_assert_eq!(&reread.joint_sponsor_id, &live.joint_sponsor_id);
    prop_assert_eq!(&reread.form, &Default::default());

    // Personal data travels only inside the personal-data marker: once shredded, none of the personal
    // details, essays or referees the applicant ever gave is left anywhere in the log.
    // A refusal's reason names the recipient's country (the register's, not the person's), which may
    // happen to be the same as one the person gave: only there may it appear.
    for (path, text, personal) in left_in_clear(&journal.log, &personal_seen) {
        let the_recipients_country = path.ends_with("DisclosureRefused/reason")
            && (text.contains(&format!("represents {personal}, and this person is not"))
                || text.contains(&format!("living in {personal}, and this person does not")));
        prop_assert!(
            the_recipients_country,
            "{personal:?} is left in clear at {path}: {text:?}"
        );
    }
    Ok(journal.live)
}

/// Every piece of text of the log that, once shredded, still holds a personal value: where, the text, and
/// the value it holds.
fn left_in_clear(
    log: &[ApplicationEvent],
    personal: &BTreeSet<String>,
) -> Vec<(String, String, String)> {
    let mut texts = Vec::new();
    for event in log {
        let mut value = serde_json::to_value(event).expect("an event serializes");
        shred(&mut value);
        texts_in(&value, "", &mut texts);
    }
    texts
        .into_iter()
        .flat_map(|(path, text)| {
            personal
                .iter()
                .filter(|value| text.contains(value.as_str()))
                .map(|value| (path.clone(), text.clone(), value.clone()))
                .collect::<Vec<_>>()
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Whatever anyone asks of an application, in whatever order, its rules hold after every step, its
    /// log replays to its state, and every event reads back from JSON unchanged.
    #[test]
    fn an_application_keeps_the_rules_of_the_programme_whatever_is_asked_of_it(
        steps in vec(an_application_step(), 1..64)
    ) {
        run_application(&steps)?;
    }
}

/// Onward choices that take no turn off the main path: eligible, decided at once, selected, kept.
fn straight_on() -> Onward {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut choices = onward_choices()
        .new_tree(&mut runner)
        .expect("onward choices")
        .current();
    choices
        .form
        .personal
        .insert(PersonalField::DateOfBirth, Some("1994-03-17".to_string()));
    choices.eligible = true;
    choices.review_move = 4;
    choices.outcome = Outcome::Selected;
    choices.destroy_when_closed = false;
    choices.detour = u8::MAX;
    choices
}

/// The onward steps are not idle: on their own they carry an application from the first draft to an
/// alumnus, through every stage of the lifecycle, with every check passing on the way.
#[test]
fn onward_steps_alone_carry_an_application_from_draft_to_alumni() {
    let steps: Vec<Step> = (0..9)
        .map(|_| Step::Onward {
            choices: Box::new(straight_on()),
            pause: Duration::hours(30),
        })
        .collect();
    let application = run_application(&steps).expect("every check holds");
    assert_eq!(application.status, Status::Alumni);
    assert!(application.award.is_some());
}

/// A refused disclosure records its reason in clear, outside the personal-data marker: the reason names
/// the recipient's side of the rule and never the person's country, so once the application's data key is
/// erased the log does not say where they lived.
#[test]
fn a_refused_disclosure_leaves_no_personal_data_in_clear() {
    let runtime = runtime();
    let services = ApplicationServices {
        staff: Arc::new(StaffList::of_the_programme()),
        cycles: Arc::new(domain::cycle::OpenAllYear),
    };
    let mut application = Application::default();
    let mut log = Vec::new();
    let mut choices = straight_on();
    for field in [
        PersonalField::Nationality,
        PersonalField::CountryOfResidence,
    ] {
        choices
            .form
            .personal
            .insert(field, Some("Kenya".to_string()));
    }
    let mut at = moment(2026, 1, 5, 9);
    for _ in 0..3 {
        let (actor, command) = choices.next(&application);
        at += Duration::hours(1);
        let (result, events) = issue(
            &runtime,
            &mut application,
            Authored::new(actor, at, command),
            &services,
        );
        result.expect("the case moves on");
        log.extend(events);
    }
    assert_eq!(application.status, Status::Submitted);
    let mission_elsewhere = RecipientFacts {
        id: "recipient-1".to_string(),
        name: "British High Commission".to_string(),
        kind: RecipientKind::BritishMission,
        country: Country::parse("Ghana").expect("a country"),
        represents: None,
        located_in: None,
    };
    let (result, events) = issue(
        &runtime,
        &mut application,
        Authored::new(
            Actor::new(OFFICER, Role::ProgrammeOfficer),
            at,
            ApplicationCommand::DiscloseData {
                disclosure_id: "disclosure-1".to_string(),
                recipient: mission_elsewhere,
                purpose: "visa support letter for the scholar".to_string(),
                fields: vec!["personal.email".to_string()],
            },
        ),
        &services,
    );
    result.expect("a refusal is recorded, not returned");
    log.extend(events);
    let residence = BTreeSet::from(["Kenya".to_string()]);
    assert_eq!(left_in_clear(&log, &residence), vec![]);
}

// =========================================================================================================
// Information requests.
// =========================================================================================================

fn a_requester() -> impl Strategy<Value = Requester> {
    (
        prop_oneof![4 => Just("Ngozi Adeyemi"), 1 => Just(""), 1 => Just("  ")],
        prop_oneof![4 => Just("ngozi@example.org"), 1 => Just("ngozi at example"), 1 => Just("")],
    )
        .prop_map(|(name, email)| Requester {
            name: name.to_string(),
            email: email.to_string(),
        })
}

fn a_subject_email() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(
        select(vec!["subject@example.org", "  ", "not an email"]).prop_map(str::to_string),
    )
}

/// Every command of an information request, with arguments good and bad. The response, which closes the
/// request, is drawn least often.
fn any_request_command() -> BoxedStrategy<RequestCommand> {
    use RequestCommand as C;
    let reason = || {
        select(vec![
            ClockReason::Fee,
            ClockReason::Clarification,
            ClockReason::Identity,
        ])
    };
    prop_oneof![
        2 => (
            select(RequestKind::ALL.to_vec()),
            a_day_near_the_request(),
            a_requester(),
            a_subject_email(),
            some_text(),
        )
            .prop_map(|(kind, received_on, requester, subject_email, description)| {
                C::LogRequest {
                    kind,
                    received_on,
                    requester,
                    subject_email,
                    description,
                }
            }),
        6 => (a_day_near_the_request(), reason(), some_text())
            .prop_map(|(on, reason, note)| C::StopClock { on, reason, note }),
        6 => (a_day_near_the_request(), some_text())
            .prop_map(|(on, note)| C::ResumeClock { on, note }),
        2 => (
            prop_oneof![
                Just(Extension::PublicInterestTest),
                (0u32..=3).prop_map(|months| Extension::Complex { months }),
            ],
            some_text(),
        )
            .prop_map(|(extension, reason)| C::ExtendDeadline { extension, reason }),
        2 => (any::<bool>(), some_text())
            .prop_map(|(approve, reason)| C::DecideErasure { approve, reason }),
        2 => (
            any::<bool>(),
            proptest::option::of(Just("application-1".to_string())),
            vec(select(vec!["personal.email", "personal.address"]).prop_map(str::to_string), 0..3),
            some_text(),
        )
            .prop_map(|(rectify, application_id, fields, reason)| C::DecideRectification {
                rectify,
                application_id,
                fields,
                reason,
            }),
        2 => (any::<bool>(), some_text())
            .prop_map(|(restrict, reason)| C::DecideRestriction { restrict, reason }),
        2 => (any::<bool>(), vec(select(ObjectedUse::ALL.to_vec()), 0..5), some_text())
            .prop_map(|(uphold, uses, reason)| C::DecideObjection { uphold, uses, reason }),
        2 => (
            select(FoiGround::ALL.to_vec()),
            some_text(),
            proptest::option::of(some_text()),
        )
            .prop_map(|(ground, reason, public_interest)| C::RefuseFoi {
                ground,
                reason,
                public_interest,
            }),
        1 => Just(C::IssueResponse {
            response: json!({"letter": "Dear requester, please find the information enclosed."}),
        }),
    ]
    .boxed()
}

/// A day around the weeks a request is open: from a fortnight before the first command to two months
/// after it.
fn a_day_near_the_request() -> impl Strategy<Value = NaiveDate> {
    (0i64..75).prop_map(|offset| date(2026, 2, 16) + Duration::days(offset))
}

/// The information officer logs a request, of any kind, received on a day before the first command.
fn a_well_formed_log() -> impl Strategy<Value = RequestCommand> {
    (select(RequestKind::ALL.to_vec()), 0i64..14).prop_map(|(kind, offset)| {
        RequestCommand::LogRequest {
            kind,
            received_on: date(2026, 2, 16) + Duration::days(offset),
            requester: Requester {
                name: "Ngozi Adeyemi".to_string(),
                email: "ngozi@example.org".to_string(),
            },
            subject_email: Some("subject@example.org".to_string()),
            description: "all the information held about my application".to_string(),
        }
    })
}

/// A step of a request: who, what, after how long, and, for most stops and resumptions of the clock, how
/// many days before the day of the command they are dated (the rest keep a day of their own, often one
/// the rules refuse).
fn a_request_step() -> impl Strategy<Value = (Actor, RequestCommand, Duration, Option<i64>)> {
    (
        prop_oneof![
            5 => Just(Actor::new(INFORMATION_OFFICER, Role::InformationOfficer)),
            1 => anyone(),
        ],
        any_request_command(),
        a_pause(),
        proptest::option::weighted(0.75, -1i64..6),
    )
}

/// Dates a stop or resumption of the clock `days_before` the day the command is issued.
fn dated(command: RequestCommand, today: NaiveDate, days_before: Option<i64>) -> RequestCommand {
    let Some(days) = days_before else {
        return command;
    };
    let day = today - Duration::days(days);
    match command {
        RequestCommand::StopClock { reason, note, .. } => RequestCommand::StopClock {
            on: day,
            reason,
            note,
        },
        RequestCommand::ResumeClock { note, .. } => RequestCommand::ResumeClock { on: day, note },
        other => other,
    }
}

/// Which request a decision belongs to, by the event that records it.
fn decided_kind(event: &RequestEvent) -> Option<RequestKind> {
    match event {
        RequestEvent::ErasureDecided { .. } => Some(RequestKind::Erasure),
        RequestEvent::RectificationDecided { .. } => Some(RequestKind::Rectification),
        RequestEvent::RestrictionDecided { .. } => Some(RequestKind::Restriction),
        RequestEvent::ObjectionDecided { .. } => Some(RequestKind::Objection),
        RequestEvent::FoiRefused { .. } => Some(RequestKind::Foi),
        _ => None,
    }
}

/// What must hold of a request at every moment.
fn request_holds(request: &InformationRequest, today: NaiveDate) -> Result<(), TestCaseError> {
    let r = request;
    // A request not logged has nothing; a logged one has its kind and the day it was received, which is
    // never in the future.
    if r.status == RequestStatus::NotLogged {
        prop_assert_eq!(r, &InformationRequest::default());
        return Ok(());
    }
    let kind = r.kind.expect("a logged request has a kind");
    let received = r.received_on.expect("a logged request was received");
    prop_assert!(received <= today);

    // The clock's stops run forward in time: none before the receipt, each resumed no earlier than it
    // stopped, the next stopped no earlier than the last resumed, none in the future; only the last may
    // still be running, and it is exactly when the request shows its clock stopped. Each stop is for a
    // reason the kind of request allows: a fee for FOI, identity for the rights of data subjects,
    // clarification for both.
    let mut earliest = received;
    for (i, stop) in r.stops.iter().enumerate() {
        prop_assert!(stop.stopped_on >= earliest, "{:?}", r.stops);
        prop_assert!(stop.stopped_on <= today);
        match stop.resumed_on {
            Some(resumed) => {
                prop_assert!(resumed >= stop.stopped_on, "{:?}", r.stops);
                prop_assert!(resumed <= today);
                earliest = resumed;
            }
            None => prop_assert_eq!(i, r.stops.len() - 1, "an earlier stop never resumed"),
        }
        let allowed = match stop.reason {
            ClockReason::Fee => kind == RequestKind::Foi,
            ClockReason::Identity => kind != RequestKind::Foi,
            ClockReason::Clarification => true,
        };
        prop_assert!(allowed, "{:?} stopped for {:?}", kind, stop.reason);
    }
    let running_stop = r.stops.last().is_some_and(|stop| stop.resumed_on.is_none());
    match r.status {
        RequestStatus::ClockStopped => prop_assert!(running_stop),
        RequestStatus::Open => prop_assert!(!running_stop),
        RequestStatus::Responded | RequestStatus::NotLogged => {}
    }

    // An extension fits the kind: the public interest test for FOI only, one or two further months for
    // a complex request of a data subject only.
    if let Some(extension) = r.extension {
        let fits = match extension {
            Extension::PublicInterestTest => kind == RequestKind::Foi,
            Extension::Complex { months } => kind != RequestKind::Foi && (1..=2).contains(&months),
        };
        prop_assert!(fits, "{:?} extended by {:?}", kind, extension);
    }
    // Only the rights an officer decides (and an FOI refusal) are ever decided.
    if r.decided.is_some() {
        prop_assert!(!matches!(kind, RequestKind::Sar | RequestKind::Portability));
    }
    Ok(())
}

fn request_step_holds(
    before: &InformationRequest,
    actor: &Actor,
    result: &Result<(), domain::request::RequestError>,
    events: &[RequestEvent],
    after: &InformationRequest,
) -> Result<(), TestCaseError> {
    // Only the information officer handles requests.
    if actor.role != Role::InformationOfficer {
        prop_assert_eq!(result, &Err(domain::request::RequestError::Forbidden));
    }
    // One command, at most one event.
    prop_assert!(events.len() <= 1);
    // A request moves from logged to answered, its clock stopping and starting on the way; once answered
    // it is closed for good.
    let moves = matches!(
        (before.status, after.status),
        (RequestStatus::NotLogged, RequestStatus::Open)
            | (RequestStatus::Open, RequestStatus::ClockStopped)
            | (RequestStatus::ClockStopped, RequestStatus::Open)
            | (
                RequestStatus::Open | RequestStatus::ClockStopped,
                RequestStatus::Responded
            )
    );
    prop_assert!(
        before.status == after.status || moves,
        "{:?} → {:?}",
        before.status,
        after.status
    );
    if before.status == RequestStatus::Responded {
        prop_assert!(result.is_err(), "a command accepted after the response");
    }
    // What a request is, and when it came in, is settled when it is logged; an extension is granted once;
    // a decision is taken once, on a request of its own kind.
    if before.status != RequestStatus::NotLogged {
        prop_assert_eq!(before.kind, after.kind);
        prop_assert_eq!(before.received_on, after.received_on);
    }
    if before.extension.is_some() {
        prop_assert_eq!(before.extension, after.extension);
    }
    if before.decided.is_some() {
        prop_assert_eq!(before.decided, after.decided);
    }
    for event in events {
        if let Some(kind) = decided_kind(event) {
            prop_assert_eq!(before.kind, Some(kind));
            prop_assert!(before.decided.is_none());
        }
    }
    // Stops are only ever added or resumed: the history of the clock is never rewritten.
    prop_assert!(after.stops.len() >= before.stops.len());
    for (was, is) in before.stops.iter().zip(&after.stops) {
        prop_assert_eq!(was.stopped_on, is.stopped_on);
        prop_assert_eq!(was.reason, is.reason);
        if was.resumed_on.is_some() {
            prop_assert_eq!(was.resumed_on, is.resumed_on);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Whatever anyone asks of an information request, its clock, extension and decision keep the rules
    /// of FOIA and UK GDPR as the programme applies them, its log replays to its state, and every event
    /// reads back from JSON unchanged.
    #[test]
    fn an_information_request_keeps_its_clock_and_its_decisions_straight(
        logged in proptest::option::weighted(0.9, a_well_formed_log()),
        steps in vec(a_request_step(), 1..32)
    ) {
        let runtime = runtime();
        let mut journal: Journal<InformationRequest> = Journal::new();
        let mut clock = moment(2026, 3, 2, 10);
        let officer = Actor::new(INFORMATION_OFFICER, Role::InformationOfficer);
        let first = logged.map(|command| (officer, command, Duration::zero(), None));
        for (actor, command, pause, days_before) in first.into_iter().chain(steps) {
            clock += pause;
            let command = dated(command, clock.date_naive(), days_before);
            let (before, result, events) =
                journal.issue(&runtime, Authored::new(actor.clone(), clock, command), &())?;
            request_step_holds(&before, &actor, &result, &events, &journal.live)?;
            request_holds(&journal.live, clock.date_naive())?;
        }
        // Without its personal values the log still reads, and tells where the request stands.
        let mut reread = InformationRequest::default();
        for event in journal.shredded()? {
            reread.apply(event);
        }
        prop_assert_eq!(&reread, &journal.live);
    }
}

// =========================================================================================================
// Immigration records and the register of recipients.
// =========================================================================================================

fn any_immigration_command() -> BoxedStrategy<ImmigrationCommand> {
    prop_oneof![
        3 => (
            select(vec!["application-1", "application-2"]),
            // Mostly the awarded scholars the records are for; any other status now and then.
            prop_oneof![3 => Just(Status::Awarded), 1 => select(Status::ALL.to_vec())],
            prop_oneof![
                3 => select(vec!["visa", " Residence_Permit ", "cas"]),
                1 => select(vec!["", "visa!", "a-b"]),
            ],
            prop_oneof![3 => Just("GB-2026-000123"), 1 => select(vec!["", "   "])],
            // Issued before the first command, or on a day that may still be to come.
            prop_oneof![
                3 => (0i64..60).prop_map(|back| date(2026, 3, 1) - Duration::days(back)),
                1 => a_day_in_2026(),
            ],
        )
            .prop_map(|(application_id, application_status, kind, reference, issued_on)| {
                ImmigrationCommand::RecordImmigrationDocument {
                    application_id: application_id.to_string(),
                    applicant_id: OWNER.to_string(),
                    application_status,
                    kind: kind.to_string(),
                    reference: reference.to_string(),
                    issued_on,
                }
            }),
        1 => a_day_in_2026()
            .prop_map(|destroyed_on| ImmigrationCommand::DestroyPersonalData { destroyed_on }),
    ]
    .boxed()
}

fn any_recipient_command() -> impl Strategy<Value = RecipientCommand> {
    (
        prop_oneof![
            4 => Just("British High Commission Nairobi".to_string()),
            1 => Just("  Embassy of Ghana in London  ".to_string()),
            1 => Just("   ".to_string()),
            1 => Just("n".repeat(201)),
            1 => Just("Line\u{7}Break Trust".to_string()),
        ],
        select(RecipientKind::ALL.to_vec()),
        select(vec!["Kenya", "Ghana", "United Kingdom"]),
        proptest::option::of(select(vec!["Ghana", "United Kingdom"])),
        proptest::option::of(select(vec!["Ghana", "United Kingdom"])),
    )
        .prop_map(|(name, kind, country, represents, located_in)| {
            RecipientCommand::RegisterRecipient {
                name,
                kind,
                country: Country::parse(country).expect("a known country"),
                represents: represents.and_then(Country::parse),
                located_in: located_in.and_then(Country::parse),
            }
        })
}

fn a_staff_member_or_anyone() -> impl Strategy<Value = Actor> {
    prop_oneof![
        2 => Just(Actor::new(OFFICER, Role::ProgrammeOfficer)),
        1 => Just(Actor::new(INFORMATION_OFFICER, Role::InformationOfficer)),
        1 => Just(Actor::new(ADMIN, Role::Admin)),
        1 => anyone(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// An immigration record is made once, by a programme officer, for an awarded scholar, with a clean
    /// kind, a reference and a date of issue not in the future; it is destroyed once, by the information
    /// officer, and after that nothing more happens to it. Its log replays to its state, and reads back the
    /// same without its personal values.
    #[test]
    fn an_immigration_record_is_made_once_for_an_awarded_scholar_and_destroyed_for_good(
        steps in vec((a_staff_member_or_anyone(), any_immigration_command(), a_pause()), 1..16)
    ) {
        let runtime = runtime();
        let mut journal: Journal<ImmigrationRecord> = Journal::new();
        let mut clock = moment(2026, 3, 2, 10);
        for (actor, command, pause) in steps {
            clock += pause;
            let (before, result, events) = journal.issue(
                &runtime,
                Authored::new(actor.clone(), clock, command.clone()),
                &(),
            )?;
            prop_assert!(events.len() <= 1);
            if before.destroyed {
                prop_assert!(result.is_err(), "a destroyed record accepted {:?}", command);
            }
            prop_assert!(!before.destroyed || journal.live.destroyed);
            if before.application_id.is_some() {
                prop_assert_eq!(&before.application_id, &journal.live.application_id);
            }
            for event in &events {
                match event {
                    ImmigrationEvent::ImmigrationRecordRecorded { kind, document, .. } => {
                        prop_assert_eq!(actor.role, Role::ProgrammeOfficer);
                        prop_assert!(before.application_id.is_none());
                        let ImmigrationCommand::RecordImmigrationDocument {
                            application_status, ..
                        } = &command
                        else {
                            return Err(TestCaseError::fail("recorded without being asked"));
                        };
                        prop_assert_eq!(*application_status, Status::Awarded);
                        prop_assert!(!kind.is_empty());
                        prop_assert!(kind
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'));
                        let document = document.known().expect("a live record is known");
                        prop_assert!(!document.reference.trim().is_empty());
                        prop_assert!(document.issued_on <= clock.date_naive());
                    }
                    ImmigrationEvent::PersonalDataDestroyed { rule, .. } => {
                        prop_assert_eq!(actor.role, Role::InformationOfficer);
                        prop_assert!(before.application_id.is_some());
                        prop_assert_eq!(*rule, RecordKind::ImmigrationRecord);
                    }
                }
            }
        }
        let mut reread = ImmigrationRecord::default();
        for event in journal.shredded()? {
            reread.apply(event);
        }
        prop_assert_eq!(&reread, &journal.live);
    }

    /// Only an administrator registers a recipient, once, under a name that is given, at most 200
    /// characters and free of control characters, stored trimmed; an embassy of the study country says whom
    /// it represents, a home country mission where it stands. Its log replays to its state.
    #[test]
    fn a_recipient_is_registered_once_by_an_administrator_under_a_clean_name(
        steps in vec((a_staff_member_or_anyone(), any_recipient_command()), 1..6)
    ) {
        let runtime = runtime();
        let mut journal: Journal<Recipient> = Journal::new();
        for (actor, command) in steps {
            let (before, result, events) = journal.issue(
                &runtime,
                Authored::new(actor.clone(), moment(2026, 3, 2, 10), command),
                &(),
            )?;
            if actor.role != Role::Admin {
                prop_assert_eq!(result, Err(domain::recipient::RecipientError::Forbidden));
            }
            if before.registered.is_some() {
                prop_assert_eq!(&before, &journal.live);
            }
            for RecipientEvent::RecipientRegistered { name, kind, represents, located_in, .. } in &events {
                prop_assert!(before.registered.is_none());
                if *kind == RecipientKind::StudyCountryEmbassy {
                    prop_assert!(represents.is_some());
                }
                if *kind == RecipientKind::HomeCountryMission {
                    prop_assert!(located_in.is_some());
                }
                prop_assert_eq!(name.trim(), name.as_str());
                prop_assert!(!name.is_empty() && name.chars().count() <= 200);
                prop_assert!(!name.chars().any(char::is_control));
            }
        }
    }
}

// =========================================================================================================
// Retention: no stream is kept without a rule.
// =========================================================================================================

/// The cycles' conclusions, as the application aggregate asks for them: none until the test concludes one.
/// No cycle has terms (each is open all year).
#[derive(Default)]
struct Conclusions(std::sync::Mutex<BTreeMap<CycleName, NaiveDate>>);

impl Conclusions {
    fn conclude(&self, cycle: &CycleName, on: NaiveDate) {
        self.0
            .lock()
            .expect("the conclusions")
            .entry(cycle.clone())
            .or_insert(on);
    }
}

#[async_trait]
impl domain::cycle::CycleTermsSource for Conclusions {
    async fn terms_of(
        &self,
        _cycle: &CycleName,
    ) -> Result<Option<domain::cycle::CycleTerms>, String> {
        Ok(None)
    }

    async fn concluded_on(&self, cycle: &CycleName) -> Result<Option<NaiveDate>, String> {
        Ok(self.0.lock().expect("the conclusions").get(cycle).copied())
    }
}

/// Whether an application's status is still live: no clock of the schedule runs for it yet.
fn is_live(status: Status) -> bool {
    matches!(
        domain::retention::application_kept(status),
        domain::retention::Kept::WhileLive { .. }
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Applications carried anywhere in their lifecycle by anyone's commands, information requests and
    /// immigration records; then every cycle is concluded (as the retention sweep concludes a cycle nobody
    /// concluded) and each application of it concluded with it; then anything at all is asked again. After
    /// that every application is an award or falls due under a rule of the schedule, and nothing asked
    /// brings one back to life. A sweep far enough ahead, destroying each stream under the rule the schedule
    /// gives it, is accepted for every one, and leaves only awards, what a hold keeps, and requests still
    /// open (kept while they are answered).
    #[test]
    fn once_its_cycle_is_concluded_every_application_falls_due_or_is_an_award(
        lives in vec(vec(an_application_step(), 0..40), 1..5),
        afterwards in vec(an_application_step(), 0..12),
        requests in vec(
            (proptest::option::weighted(0.9, a_well_formed_log()), vec(a_request_step(), 0..10)),
            0..3,
        ),
        records in vec(vec((a_staff_member_or_anyone(), any_immigration_command(), a_pause()), 0..4), 0..3),
        held in any::<u8>(),
    ) {
        use domain::retention::{Kept, Keep, RetentionRule, application_kept};
        let runtime = runtime();
        let conclusions = Arc::new(Conclusions::default());
        let services = ApplicationServices {
            staff: Arc::new(StaffList::of_the_programme()),
            cycles: conclusions.clone(),
        };
        let officer = Actor::new(OFFICER, Role::ProgrammeOfficer);
        let sweep = Actor::new(INFORMATION_OFFICER, Role::InformationOfficer);
        let mut clock = moment(2026, 1, 5, 9);

        // The applications, each taken somewhere by its steps.
        let mut applications: Vec<Journal<Application>> = Vec::new();
        for steps in &lives {
            let mut journal: Journal<Application> = Journal::new();
            for step in steps {
                let (actor, command, pause) = step.command(&journal.live);
                clock += pause;
                let _ = journal.issue(&runtime, Authored::new(actor, clock, command), &services)?;
            }
            applications.push(journal);
        }
        // Before its cycle is concluded, an application is not concluded with it.
        for journal in &mut applications {
            let (_, result, _) = journal.issue(
                &runtime,
                Authored::new(officer.clone(), clock, ApplicationCommand::ConcludeWithCycle),
                &services,
            )?;
            prop_assert!(result.is_err(), "concluded before its cycle was");
        }

        // Every cycle is concluded, on its automatic day (those no application is in yet too: an application
        // started afterwards is refused), and each application with it.
        for name in ["2026-27", "2027-28"] {
            let cycle = CycleName::parse(name).expect("a cycle");
            conclusions.conclude(&cycle, domain::cycle::automatic_conclusion_day(&cycle));
        }
        for journal in &mut applications {
            let Some(cycle) = journal.live.cycle.clone() else { continue };
            let on = domain::cycle::automatic_conclusion_day(&cycle);
            conclusions.conclude(&cycle, on);
            let before = journal.live.status;
            let (_, result, events) = journal.issue(
                &runtime,
                Authored::new(sweep.clone(), clock, ApplicationCommand::ConcludeWithCycle),
                &services,
            )?;
            if journal.live.destroyed {
                prop_assert_eq!(result, Err(ApplicationError::Destroyed));
                continue;
            }
            prop_assert!(result.is_ok(), "{:?}: {:?}", before, result);
            // Exactly the live statuses end, as unsuccessful from the day of the conclusion.
            prop_assert_eq!(events.is_empty(), !is_live(before), "{:?}", before);
            for event in &events {
                prop_assert_eq!(
                    event,
                    &ApplicationEvent::ConcludedWithCycle { on, previous_status: before }
                );
            }
            prop_assert!(!is_live(journal.live.status), "{:?} left live", journal.live.status);
        }

        // Whatever is asked afterwards, nothing of a concluded cycle comes back to life.
        for journal in &mut applications {
            for step in &afterwards {
                let (actor, command, pause) = step.command(&journal.live);
                clock += pause;
                let (before, result, _) =
                    journal.issue(&runtime, Authored::new(actor, clock, command.clone()), &services)?;
                if before.status != Status::NotStarted
                    && domain::application::aggregate::ends_with_the_cycle(&command)
                {
                    prop_assert!(result.is_err(), "{:?} accepted in a concluded cycle", command);
                }
                // (A destroyed application is gone, whatever status it was left at.)
                if before.status != Status::NotStarted && !journal.live.destroyed {
                    prop_assert!(
                        !is_live(journal.live.status),
                        "{:?} brought {:?} back to {:?}",
                        command,
                        before.status,
                        journal.live.status
                    );
                }
            }
        }

        // The information requests and immigration records.
        let mut desk: Vec<Journal<InformationRequest>> = Vec::new();
        for (logged, steps) in &requests {
            let mut journal: Journal<InformationRequest> = Journal::new();
            let first = logged.clone().map(|command| (sweep.clone(), command, Duration::zero(), None));
            for (actor, command, pause, days_before) in first.into_iter().chain(steps.iter().cloned()) {
                clock += pause;
                let command = dated(command, clock.date_naive(), days_before);
                let _ = journal.issue(&runtime, Authored::new(actor, clock, command), &())?;
            }
            desk.push(journal);
        }
        let mut kept_records: Vec<Journal<ImmigrationRecord>> = Vec::new();
        for steps in &records {
            let mut journal: Journal<ImmigrationRecord> = Journal::new();
            for (actor, command, pause) in steps {
                clock += *pause;
                let _ = journal.issue(&runtime, Authored::new(actor.clone(), clock, command.clone()), &())?;
            }
            kept_records.push(journal);
        }

        // A sweep far ahead: each stream destroyed under the rule the schedule gives it, but what a hold
        // keeps (the bits of `held` pick the held applications).
        let far = date(2040, 1, 1);
        for (i, journal) in applications.iter_mut().enumerate() {
            let status = journal.live.status;
            if status == Status::NotStarted || journal.live.destroyed || held & (1 << i) != 0 {
                continue;
            }
            let Kept::Under(rule) = application_kept(status) else {
                return Err(TestCaseError::fail(format!("{status:?} kept while live after its cycle was concluded")));
            };
            if RetentionRule::for_kind(rule).keep == Keep::Forever {
                prop_assert!(matches!(status, Status::Awarded | Status::Alumni), "{:?} kept for ever", status);
                continue;
            }
            let command = ApplicationCommand::DestroyPersonalData { rule, destroyed_on: far };
            let (_, result, _) =
                journal.issue(&runtime, Authored::new(sweep.clone(), clock, command), &services)?;
            prop_assert!(result.is_ok(), "{:?} under {:?}: {:?}", status, rule, result);
        }
        for journal in &mut desk {
            if journal.live.kind.is_none() || journal.live.destroyed {
                continue;
            }
            match journal.live.kept() {
                Kept::WhileLive { .. } => {
                    let open = journal.live.status != RequestStatus::Responded;
                    prop_assert!(open && journal.live.decided.is_none(), "{:?}", journal.live);
                }
                Kept::Under(rule) => {
                    prop_assert_eq!(rule, RecordKind::InformationRequest);
                    let command = RequestCommand::DestroyPersonalData { destroyed_on: far };
                    let (_, result, _) =
                        journal.issue(&runtime, Authored::new(sweep.clone(), clock, command), &())?;
                    prop_assert!(result.is_ok(), "{:?}", result);
                    prop_assert!(journal.live.destroyed);
                }
            }
        }
        for journal in &mut kept_records {
            if journal.live.application_id.is_none() || journal.live.destroyed {
                continue;
            }
            let command = ImmigrationCommand::DestroyPersonalData { destroyed_on: far };
            let (_, result, _) =
                journal.issue(&runtime, Authored::new(sweep.clone(), clock, command), &())?;
            prop_assert!(result.is_ok(), "{:?}", result);
        }

        // What is left: awards, what a hold keeps, requests still open; nothing else.
        for (i, journal) in applications.iter().enumerate() {
            let a = &journal.live;
            prop_assert!(
                a.status == Status::NotStarted
                    || a.destroyed
                    || held & (1 << i) != 0
                    || matches!(a.status, Status::Awarded | Status::Alumni),
                "{:?} left after the sweep",
                a.status
            );
        }
        for journal in &desk {
            let r = &journal.live;
            let open = matches!(r.kept(), Kept::WhileLive { .. });
            prop_assert!(r.kind.is_none() || r.destroyed || open, "a closed request left: {:?}", r);
        }
        for journal in &kept_records {
            prop_assert!(journal.live.application_id.is_none() || journal.live.destroyed);
        }
    }
}

/// The property above is not idle: straight-on applications reach every corner it speaks of — a live
/// application concluded, an award kept — on the way.
#[test]
fn a_concluded_cycle_ends_a_selected_application_that_was_never_awarded() {
    let runtime = runtime();
    let conclusions = Arc::new(Conclusions::default());
    let services = ApplicationServices {
        staff: Arc::new(StaffList::of_the_programme()),
        cycles: conclusions.clone(),
    };
    let mut choices = straight_on();
    choices.cycle = CycleName::parse("2026-27").expect("a cycle");
    let mut journal: Journal<Application> = Journal::new();
    let mut clock = moment(2026, 1, 5, 9);
    while journal.live.status != Status::Selected {
        let (actor, command) = choices.next(&journal.live);
        clock += Duration::hours(30);
        let (_, result, _) = journal
            .issue(&runtime, Authored::new(actor, clock, command), &services)
            .expect("every check holds");
        assert_eq!(result, Ok(()));
    }
    let officer = Actor::new(OFFICER, Role::ProgrammeOfficer);
    conclusions.conclude(&choices.cycle, date(2027, 6, 30));
    let award = ApplicationCommand::MakeAward {
        terms: choices.terms.clone(),
        joint_sponsor_id: None,
    };
    let (_, refused, _) = journal
        .issue(
            &runtime,
            Authored::new(officer.clone(), clock, award.clone()),
            &services,
        )
        .expect("every check holds");
    assert!(
        matches!(refused, Err(ApplicationError::CycleConcluded { .. })),
        "{refused:?}"
    );
    let (_, result, events) = journal
        .issue(
            &runtime,
            Authored::new(
                officer.clone(),
                clock,
                ApplicationCommand::ConcludeWithCycle,
            ),
            &services,
        )
        .expect("every check holds");
    assert_eq!(result, Ok(()));
    assert_eq!(
        events,
        vec![ApplicationEvent::ConcludedWithCycle {
            on: date(2027, 6, 30),
            previous_status: Status::Selected
        }]
    );
    assert_eq!(journal.live.status, Status::Unsuccessful);
    // Concluding again records nothing.
    let (_, again, events) = journal
        .issue(
            &runtime,
            Authored::new(officer, clock, ApplicationCommand::ConcludeWithCycle),
            &services,
        )
        .expect("every check holds");
    assert_eq!(again, Ok(()));
    assert!(events.is_empty());
}
