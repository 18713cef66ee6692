//! `etp demo seed --applications N`: a store filled with made-up applications at every stage, through the
//! same commands people use, for trying the service out and for measuring it.
//!
//! Every person it makes is plainly fictional ("Demo Applicant 000042", addresses at example.test). The
//! store looks like a programme's busy year: applicants from many countries (some living away from their
//! own), every status of the lifecycle in plausible proportions (most applications are unsuccessful), two or
//! three committee members scoring each reviewed application, awards (some with a joint sponsor), alumni,
//! opt-outs, Help Desk amendments, disclosures to the British mission of the scholar's country of residence,
//! immigration records, and FOI and subject access requests, some answered.
//!
//! Accounts share one password, hashed once (hashing ten thousand passwords one by one would be most of the
//! seeding's time): the one given on standard input with `--password-stdin`, so that a newcomer can sign in
//! as each demo role at once (the report names each demo staff account and one applicant), or else a random
//! one that is never shown, and the data is for looking at through staff accounts made with `etp users add`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::Context;
use chrono::{Duration, NaiveDate, Utc};
use tokio::sync::Semaphore;

use domain::application::ApplicationCommand;
use domain::application::aggregate::Outcome;
use domain::application::events::{AwardTerms, Scores};
use domain::application::form::{
    CourseChoice, DraftChanges, Essay, PersonalField, Preferences, Referee,
};
use domain::country::Country;
use domain::cycle::CycleName;
use domain::immigration::ImmigrationCommand;
use domain::recipient::{RecipientCommand, RecipientKind};
use domain::request::{ClockReason, RequestCommand, RequestKind, Requester};
use domain::sharing::RecipientFacts;
use domain::{Actor, Role};

use crate::accounts::{self, NewAccount};
use crate::bus::AppState;
use crate::error::AppError;
use crate::pages::session::random_token;

mod bulk;

pub use bulk::{BULK_FROM, Way, seed_as};

/// Where applicants come from, with a weight each: the programme draws most from a few countries and some
/// from many.
const COUNTRIES: [(&str, usize); 30] = [
    ("India", 12),
    ("Nigeria", 10),
    ("Kenya", 8),
    ("Pakistan", 7),
    ("Bangladesh", 6),
    ("Ghana", 6),
    ("Indonesia", 5),
    ("Brazil", 4),
    ("Philippines", 4),
    ("Vietnam", 4),
    ("Uganda", 3),
    ("Tanzania", 3),
    ("Ethiopia", 3),
    ("Egypt", 3),
    ("Mexico", 3),
    ("Colombia", 2),
    ("Peru", 2),
    ("Nepal", 2),
    ("Sri Lanka", 2),
    ("Malaysia", 2),
    ("Jamaica", 2),
    ("Zambia", 2),
    ("Rwanda", 2),
    ("Myanmar (Burma)", 1),
    ("Mongolia", 1),
    ("Fiji", 1),
    ("Ukraine", 1),
    ("Jordan", 1),
    ("Morocco", 1),
    ("Senegal", 1),
];

const SUBJECTS: [&str; 6] = [
    "Physics",
    "Economics",
    "Public Health",
    "Civil Engineering",
    "Law",
    "Computer Science",
];
const COURSES: [(&str, &str, &str); 6] = [
    (
        "Demo Institute of Technology",
        "MSc Data Science",
        "masters",
    ),
    ("Demo University", "MA Development Studies", "masters"),
    ("Demo School of Medicine", "MPH Global Health", "masters"),
    ("Demo University", "LLM International Law", "masters"),
    ("Demo College", "MSc Sustainable Energy", "masters"),
    (
        "Demo Institute of Technology",
        "PhD Climate Science",
        "doctorate",
    ),
];

/// How far a seeded application goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    Draft,
    Withdrawn,
    Submitted,
    Ineligible,
    Eligible,
    UnderReview,
    Unsuccessful,
    Reserve,
    Selected,
    Awarded,
    Alumni,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Draft => "draft",
            Stage::Withdrawn => "withdrawn",
            Stage::Submitted => "submitted",
            Stage::Ineligible => "ineligible",
            Stage::Eligible => "eligible",
            Stage::UnderReview => "under_review",
            Stage::Unsuccessful => "unsuccessful",
            Stage::Reserve => "reserve",
            Stage::Selected => "selected",
            Stage::Awarded => "awarded",
            Stage::Alumni => "alumni",
        }
    }
}

/// The stages of fifty applications in turn: every stage once in the first eleven, so that even a small
/// store has each, then in the proportions of a year (of fifty: 4 drafts, 2 withdrawn, 4 awaiting
/// eligibility, 3 ineligible, 2 eligible, 5 under review, 15 unsuccessful, 3 reserve, 2 selected, 5 awarded,
/// 5 alumni).
const PLAN: [Stage; 50] = {
    use Stage::*;
    [
        Draft,
        Withdrawn,
        Submitted,
        Ineligible,
        Eligible,
        UnderReview,
        Unsuccessful,
        Reserve,
        Selected,
        Awarded,
        Alumni,
        Unsuccessful,
        Unsuccessful,
        Draft,
        UnderReview,
        Unsuccessful,
        Awarded,
        Submitted,
        Unsuccessful,
        Alumni,
        Ineligible,
        Unsuccessful,
        Draft,
        UnderReview,
        Unsuccessful,
        Awarded,
        Reserve,
        Unsuccessful,
        Submitted,
        Alumni,
        Unsuccessful,
        Eligible,
        UnderReview,
        Unsuccessful,
        Awarded,
        Ineligible,
        Unsuccessful,
        Withdrawn,
        Alumni,
        Draft,
        Unsuccessful,
        Reserve,
        Submitted,
        Unsuccessful,
        UnderReview,
        Awarded,
        Selected,
        Unsuccessful,
        Alumni,
        Unsuccessful,
    ]
};

/// The stage of the `n`th application (from 1).
pub fn stage(n: usize) -> Stage {
    PLAN[(n - 1) % PLAN.len()]
}

/// A number from `n` that looks random but is the same every run, for choosing among options.
fn pick(n: usize, salt: usize) -> usize {
    let mut x = (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ (salt as u64).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 31;
    x = x.wrapping_mul(0x94D0_49BB_1331_11EB);
    (x ^ (x >> 29)) as usize
}

fn country(n: usize, salt: usize) -> &'static str {
    let total: usize = COUNTRIES.iter().map(|(_, w)| w).sum();
    let mut at = pick(n, salt) % total;
    for (name, weight) in COUNTRIES {
        if at < weight {
            return name;
        }
        at -= weight;
    }
    COUNTRIES[0].0
}

/// What was made, for the report.
#[derive(Debug, Default)]
pub struct SeedReport {
    pub applications: usize,
    pub by_stage: BTreeMap<&'static str, usize>,
    pub disclosures: usize,
    pub immigration_records: usize,
    pub amendments: usize,
    pub requests: usize,
    /// Each demo staff account's role and email address.
    pub staff: Vec<(Role, String)>,
    /// The first seeded applicant's number and email address.
    pub applicant: Option<(usize, String)>,
}

impl SeedReport {
    /// Counts what one application made.
    fn add(&mut self, made: Made) {
        self.disclosures += made.disclosures;
        self.immigration_records += made.immigration_records;
        self.amendments += made.amendments;
        self.requests += made.requests;
        if self
            .applicant
            .as_ref()
            .is_none_or(|(first, _)| made.applicant.0 < *first)
        {
            self.applicant = Some(made.applicant);
        }
    }

    pub fn summary(&self) -> String {
        let stages: Vec<String> = self
            .by_stage
            .iter()
            .map(|(stage, count)| format!("{count} {stage}"))
            .collect();
        format!(
            "{}; {} disclosures, {} immigration records, {} amendments, {} information requests",
            stages.join(", "),
            self.disclosures,
            self.immigration_records,
            self.amendments,
            self.requests
        )
    }
}

/// The people who act on the seeded applications.
struct Staff {
    officer: Actor,
    helpdesk: Actor,
    information: Actor,
    members: Vec<Actor>,
    /// The British mission registered in each country, by country.
    missions: BTreeMap<&'static str, RecipientFacts>,
    sponsors: Vec<String>,
    /// The hash every demo account's password shares.
    password_hash: String,
    /// The password itself, for checking each account's details as they are made.
    password: String,
    /// Each demo staff account's role and email address, for the report.
    sign_in: Vec<(Role, String)>,
}

/// A demo account with the shared password's hash; its actor and email address.
async fn account(
    state: &AppState,
    (password, hash): (&str, &str),
    role: Role,
    label: &str,
    name: &str,
) -> anyhow::Result<(Actor, String)> {
    let (account, email) = new_account(password, role, label, name)?;
    let id = accounts::create_hashed(&state.db, &account, hash).await?;
    Ok((Actor::new(id, role), email))
}

/// A demo account's details: an address at example.test made of its label and a random part, checked as
/// every new account is; and the address as it was made, to sign in with.
fn new_account(
    password: &str,
    role: Role,
    label: &str,
    name: &str,
) -> anyhow::Result<(NewAccount, String)> {
    let email = format!("demo-{label}-{}@example.test", &random_token()[..12]);
    let account = NewAccount::parse(&email, name, role, password).map_err(|problems| {
        let problems: Vec<String> = problems
            .into_iter()
            .map(|(field, problem)| format!("{field} {problem}"))
            .collect();
        anyhow::anyhow!("a demo account is not valid: {}", problems.join("; "))
    })?;
    Ok((account, email))
}

async fn staff(state: &AppState, password: Option<&str>) -> anyhow::Result<Staff> {
    let password = password.map_or_else(random_token, str::to_string);
    let password_hash = crate::auth::hashed(password.clone())
        .await
        .context("hashing the demo password")?;
    let hash = (password.as_str(), password_hash.as_str());
    let mut sign_in = Vec::new();
    let mut signed = |(actor, email): (Actor, String)| {
        sign_in.push((actor.role, email));
        actor
    };
    let officer = signed(
        account(
            state,
            hash,
            Role::ProgrammeOfficer,
            "officer",
            "Demo Programme Officer",
        )
        .await?,
    );
    let helpdesk =
        signed(account(state, hash, Role::Helpdesk, "helpdesk", "Demo Help Desk").await?);
    let information = signed(
        account(
            state,
            hash,
            Role::InformationOfficer,
            "information",
            "Demo Information Officer",
        )
        .await?,
    );
    let admin = signed(account(state, hash, Role::Admin, "admin", "Demo Administrator").await?);
    let mut members = Vec::new();
    for i in 1..=6 {
        members.push(signed(
            account(
                state,
                hash,
                Role::CommitteeMember,
                &format!("member-{i}"),
                &format!("Demo Committee Member {i}"),
            )
            .await?,
        ));
    }
    let mut missions = BTreeMap::new();
    for (name, _) in COUNTRIES {
        let country = Country::parse(name).with_context(|| format!("{name} is a country"))?;
        let id = uuid::Uuid::now_v7().to_string();
        let recipient = RecipientCommand::RegisterRecipient {
            name: format!("Demo British Mission, {name}"),
            kind: RecipientKind::BritishMission,
            country: country.clone(),
            represents: None,
            located_in: None,
        };
        state
            .execute_recipient(&id, &admin, recipient)
            .await
            .map_err(|e| anyhow::anyhow!("registering a demo recipient: {e}"))?;
        missions.insert(
            name,
            RecipientFacts {
                id,
                name: format!("Demo British Mission, {name}"),
                kind: RecipientKind::BritishMission,
                country,
                represents: None,
                located_in: None,
            },
        );
    }
    let mut sponsors = Vec::new();
    for i in 1..=2 {
        let id = uuid::Uuid::now_v7().to_string();
        let recipient = RecipientCommand::RegisterRecipient {
            name: format!("Demo Joint Sponsor {i}"),
            kind: RecipientKind::JointSponsor,
            country: Country::parse("United Kingdom").context("the United Kingdom is a country")?,
            represents: None,
            located_in: None,
        };
        state
            .execute_recipient(&id, &admin, recipient)
            .await
            .map_err(|e| anyhow::anyhow!("registering a demo sponsor: {e}"))?;
        sponsors.push(id);
    }
    Ok(Staff {
        officer,
        helpdesk,
        information,
        members,
        missions,
        sponsors,
        password_hash,
        password,
        sign_in,
    })
}

fn form(n: usize) -> DraftChanges {
    let nationality = country(n, 1);
    // One applicant in ten lives away from their own country.
    let residence = if pick(n, 2).is_multiple_of(10) {
        country(n, 3)
    } else {
        nationality
    };
    let mut changes = DraftChanges::default();
    let personal = [
        (PersonalField::FullName, format!("Demo Applicant {n:06}")),
        (
            PersonalField::DateOfBirth,
            format!(
                "{}-{:02}-{:02}",
                1980 + pick(n, 4) % 22,
                1 + pick(n, 5) % 12,
                1 + pick(n, 6) % 28
            ),
        ),
        (
            PersonalField::Email,
            format!("demo-applicant-{n:06}@example.test"),
        ),
        (PersonalField::Phone, format!("+000 {n:08}")),
        (
            PersonalField::Address,
            format!("{n} Demo Street, Demo Town"),
        ),
        (PersonalField::Nationality, nationality.to_string()),
        (PersonalField::CountryOfResidence, residence.to_string()),
    ];
    for (field, value) in personal {
        changes.personal.insert(field, Some(value));
    }
    let entry = |pairs: &[(&str, String)]| {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), serde_json::json!(v)))
            .collect()
    };
    let graduated = 2012 + pick(n, 7) % 12;
    changes.education = Some(vec![entry(&[
        ("institution", "Demo National University".to_string()),
        ("qualification", "BSc".to_string()),
        ("subject", SUBJECTS[pick(n, 8) % SUBJECTS.len()].to_string()),
        ("year", graduated.to_string()),
    ])]);
    changes.employment = Some(vec![entry(&[
        ("employer", "Demo Organisation".to_string()),
        (
            "role",
            ["Analyst", "Engineer", "Teacher", "Officer"][pick(n, 9) % 4].to_string(),
        ),
        ("from", format!("{}-09", graduated + 1)),
    ])]);
    let first = pick(n, 10) % COURSES.len();
    let choices = 1 + pick(n, 11) % 3;
    changes.courses = Some(
        (0..choices)
            .map(|i| {
                let (institution, course, level) = COURSES[(first + i) % COURSES.len()];
                CourseChoice {
                    institution: institution.into(),
                    course: course.into(),
                    level: level.into(),
                    country: None,
                }
            })
            .collect(),
    );
    for essay in Essay::ALL {
        changes.essays.insert(
            essay,
            Some(format!(
                "This is a made-up {} essay for demonstration number {n}. It says what a real one would \
                 say in a few sentences, so that the pages and the responses have something to show.",
                essay.name()
            )),
        );
    }
    changes.referees = Some(vec![
        Referee {
            name: "Demo Referee One".into(),
            email: "demo-referee-1@example.test".into(),
        },
        Referee {
            name: "Demo Referee Two".into(),
            email: "demo-referee-2@example.test".into(),
        },
    ]);
    changes
}

/// What one application added to the report.
#[derive(Default)]
struct Made {
    /// The applicant's number and the email address they sign in with.
    applicant: (usize, String),
    disclosures: usize,
    immigration_records: usize,
    amendments: usize,
    requests: usize,
}

/// Seeds `count` applications in the cycle; `progress` is told how many are done after each. Every demo
/// account gets a random password nobody knows.
pub async fn seed(
    state: &AppState,
    count: usize,
    cycle: &str,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> anyhow::Result<SeedReport> {
    seed_with_password(state, count, cycle, None, progress).await
}

/// [`seed`], every demo account signing in with `password` when it is given: each application through the
/// command bus, one command at a time (several applications at once), as people's commands go.
pub async fn seed_with_password(
    state: &AppState,
    count: usize,
    cycle: &str,
    password: Option<&str>,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> anyhow::Result<SeedReport> {
    let cycle = CycleName::parse(cycle).map_err(|problem| anyhow::anyhow!(problem))?;
    let staff = Arc::new(staff(state, password).await?);
    let first = first_number(state).await?;
    let mut report = SeedReport::default();
    let applications: Vec<(usize, String)> = (first..first + count)
        .map(|n| (n, uuid::Uuid::now_v7().to_string()))
        .collect();
    for (n, _) in &applications {
        *report.by_stage.entry(stage(*n).as_str()).or_default() += 1;
    }
    let done = AtomicUsize::new(0);
    seed_through_commands(state, applications, &cycle, &staff, &mut report, &|made| {
        progress(done.fetch_add(made, Ordering::Relaxed) + made, count)
    })
    .await?;
    report.applications = count;
    report.staff = staff.sign_in.clone();
    Ok(report)
}

/// The number of the first application to seed: seeding a store again goes on from its last number, so that
/// no two made-up people share a name.
async fn first_number(state: &AppState) -> anyhow::Result<usize> {
    let before: i64 = projections::on_pool!(&state.db, p =>
        sqlx::query_scalar("SELECT COUNT(*) FROM case_list").fetch_one(p).await)?;
    Ok(usize::try_from(before).unwrap_or(0) + 1)
}

/// Seeds each numbered application, with the id given, through the command bus, a few at a time;
/// `finished` is told of each one done (1).
async fn seed_through_commands(
    state: &AppState,
    applications: Vec<(usize, String)>,
    cycle: &CycleName,
    staff: &Arc<Staff>,
    report: &mut SeedReport,
    finished: &(dyn Fn(usize) + Sync),
) -> anyhow::Result<()> {
    let limit = Arc::new(Semaphore::new(if state.db.is_postgres() { 8 } else { 3 }));
    let mut tasks = tokio::task::JoinSet::new();
    let take = |report: &mut SeedReport, made: Made| {
        report.add(made);
        finished(1);
    };
    for (n, id) in applications {
        let permit = Arc::clone(&limit)
            .acquire_owned()
            .await
            .context("the seeding was stopped")?;
        let state = state.clone();
        let staff = Arc::clone(staff);
        let cycle = cycle.clone();
        tasks.spawn(async move {
            let result = seed_one_by_commands(&state, n, id, cycle, &staff).await;
            drop(permit);
            result
        });
        while let Some(joined) = tasks.try_join_next() {
            take(report, joined.context("a seeding task stopped")??);
        }
    }
    while let Some(joined) = tasks.join_next().await {
        take(report, joined.context("a seeding task stopped")??);
    }
    Ok(())
}

/// One application through the command bus: its applicant's account, then its commands.
async fn seed_one_by_commands(
    state: &AppState,
    n: usize,
    id: String,
    cycle: CycleName,
    staff: &Staff,
) -> anyhow::Result<Made> {
    let (applicant, sign_in) = account(
        state,
        (&staff.password, &staff.password_hash),
        Role::Applicant,
        &applicant_label(n),
        &applicant_name(n),
    )
    .await?;
    seed_one(
        &mut Runner::Commands(state),
        n,
        &id,
        (applicant, sign_in),
        cycle,
        staff,
    )
    .await
}

/// The label in a demo applicant's account email address.
fn applicant_label(n: usize) -> String {
    format!("applicant-{n:06}")
}

/// A demo applicant's name.
fn applicant_name(n: usize) -> String {
    format!("Demo Applicant {n:06}")
}

/// How a seeded application's commands are carried out.
enum Runner<'a> {
    /// Through the command bus, as people's commands are (`execute_application` and the letters it owes).
    Commands(&'a AppState),
    /// Decided in memory on the aggregates, as the bus would decide them, for a bulk write.
    Memory(&'a mut bulk::Deciding),
}

impl Runner<'_> {
    /// Carries out an application's command and issues the letter it is owed.
    async fn application(
        &mut self,
        n: usize,
        id: &str,
        by: &Actor,
        command: ApplicationCommand,
    ) -> anyhow::Result<()> {
        let done = match self {
            Runner::Commands(state) => state.execute_application(id, by, command).await,
            Runner::Memory(deciding) => deciding.application(id, by, command).await,
        };
        done.map_err(|error: AppError| {
            anyhow::anyhow!("demo application {n}: {error} ({})", error.code())
        })
    }

    async fn immigration(
        &mut self,
        n: usize,
        by: &Actor,
        command: ImmigrationCommand,
    ) -> anyhow::Result<()> {
        let id = uuid::Uuid::now_v7().to_string();
        let done = match self {
            Runner::Commands(state) => state.execute_immigration(&id, by, command).await,
            Runner::Memory(deciding) => deciding.immigration(&id, by, command).await,
        };
        done.map_err(|error| anyhow::anyhow!("demo immigration record {n}: {error}"))
    }
}

/// The information requests the applicant of application `n` makes once it is submitted: for one in forty
/// a subject access request, for one in a hundred an FOI request for statistics.
fn requests_planned(n: usize) -> [(bool, RequestKind); 2] {
    [
        (pick(n, 30).is_multiple_of(40), RequestKind::Sar),
        (pick(n, 31).is_multiple_of(100), RequestKind::Foi),
    ]
}

/// Whether application `n` is submitted and its applicant makes an information request: its response is
/// produced from the store as it then stands (the subject's records, or the programme's statistics), so
/// such an application is seeded through the commands even by the bulk path.
fn asks_for_information(n: usize) -> bool {
    let submitted = match stage(n) {
        Stage::Draft => false,
        Stage::Withdrawn => !pick(n, 25).is_multiple_of(2),
        _ => true,
    };
    submitted && requests_planned(n).iter().any(|(wanted, _)| *wanted)
}

async fn seed_one(
    runner: &mut Runner<'_>,
    n: usize,
    id: &str,
    (applicant, sign_in): (Actor, String),
    cycle: CycleName,
    staff: &Staff,
) -> anyhow::Result<Made> {
    let mut made = Made {
        applicant: (n, sign_in),
        ..Made::default()
    };
    let start_year = cycle.first_year();
    runner
        .application(
            n,
            id,
            &applicant,
            ApplicationCommand::StartApplication { cycle },
        )
        .await?;
    runner
        .application(
            n,
            id,
            &applicant,
            ApplicationCommand::SaveDraft { changes: form(n) },
        )
        .await?;
    // About one applicant in six opts out of something.
    if pick(n, 12).is_multiple_of(6) {
        let preferences = Preferences {
            networking_opt_out: pick(n, 13).is_multiple_of(2),
            alumni_email_opt_out: pick(n, 14).is_multiple_of(2),
            alumni_book_opt_out: pick(n, 15).is_multiple_of(3),
            images_opt_out: true,
        };
        runner
            .application(
                n,
                id,
                &applicant,
                ApplicationCommand::SetPreferences {
                    preferences,
                    reason: None,
                },
            )
            .await?;
    }
    let stage = stage(n);
    if stage == Stage::Draft {
        return Ok(made);
    }
    if stage == Stage::Withdrawn && pick(n, 25).is_multiple_of(2) {
        runner
            .application(n, id, &applicant, ApplicationCommand::WithdrawApplication)
            .await?;
        return Ok(made);
    }
    runner
        .application(
            n,
            id,
            &applicant,
            ApplicationCommand::SubmitApplication { notice: None },
        )
        .await?;
    if stage == Stage::Withdrawn {
        runner
            .application(n, id, &applicant, ApplicationCommand::WithdrawApplication)
            .await?;
        return Ok(made);
    }
    // One submitted application in twenty-five has its phone number corrected through the Help Desk.
    if pick(n, 16).is_multiple_of(25) {
        runner
            .application(
                n,
                id,
                &staff.helpdesk,
                ApplicationCommand::AmendPersonalData {
                    changes: vec![("personal.phone".into(), format!("+000 9{n:07}"))],
                    reason: "the applicant gave a new number by phone".into(),
                    requested_by: "the applicant".into(),
                },
            )
            .await?;
        made.amendments += 1;
    }
    let email = format!("demo-applicant-{n:06}@example.test");
    match runner {
        Runner::Commands(state) => {
            made.requests += information_requests(state, n, &email, staff).await?;
        }
        Runner::Memory(_) if asks_for_information(n) => anyhow::bail!(
            "demo application {n} makes an information request, which is answered from the store: \
             it is seeded through the commands"
        ),
        Runner::Memory(_) => {}
    }
    if stage == Stage::Submitted {
        return Ok(made);
    }
    let eligible = stage != Stage::Ineligible;
    runner
        .application(
            n,
            id,
            &staff.officer,
            ApplicationCommand::DetermineEligibility {
                eligible,
                reason: if eligible {
                    "meets the published criteria".into()
                } else {
                    "fewer than two years of work experience".into()
                },
            },
        )
        .await?;
    if matches!(stage, Stage::Ineligible | Stage::Eligible) {
        return Ok(made);
    }
    // Two or three members each, spread evenly over the committee.
    let reviewers = 2 + pick(n, 17) % 2;
    for i in 0..reviewers {
        let member = &staff.members[(n + i * 2) % staff.members.len()];
        runner
            .application(
                n,
                id,
                &staff.officer,
                ApplicationCommand::AssignCommitteeMember {
                    member_id: member.user_id.clone(),
                },
            )
            .await?;
        // Under review: the last member has not scored yet.
        if stage == Stage::UnderReview && i + 1 == reviewers {
            continue;
        }
        let base = match stage {
            Stage::Unsuccessful => 2,
            Stage::Reserve => 5,
            _ => 7,
        };
        let mark = |salt: usize| (base + pick(n, salt + i * 7) % 4).min(10) as u8;
        let scores = Scores {
            leadership: mark(20),
            networking: mark(21),
            study_plan: mark(22),
            career_plan: mark(23),
            comment: "a made-up opinion of the application".into(),
        };
        runner
            .application(
                n,
                id,
                member,
                ApplicationCommand::ScoreApplication { scores },
            )
            .await?;
    }
    let outcome = match stage {
        Stage::UnderReview => return Ok(made),
        Stage::Unsuccessful => Outcome::Unsuccessful,
        Stage::Reserve => Outcome::Reserve,
        _ => Outcome::Selected,
    };
    runner
        .application(
            n,
            id,
            &staff.officer,
            ApplicationCommand::RecordDecision {
                outcome,
                reserve_position: None,
            },
        )
        .await?;
    if matches!(
        stage,
        Stage::Unsuccessful | Stage::Reserve | Stage::Selected
    ) {
        return Ok(made);
    }
    let (institution, course, level) = COURSES[pick(n, 10) % COURSES.len()];
    let terms = AwardTerms {
        institution: institution.into(),
        course: course.into(),
        level: level.into(),
        start_date: NaiveDate::from_ymd_opt(start_year, 9, 20).unwrap_or_default(),
        country: Some(Country::united_kingdom()),
    };
    let joint_sponsor_id =
        (pick(n, 18).is_multiple_of(4)).then(|| staff.sponsors[n % staff.sponsors.len()].clone());
    runner
        .application(
            n,
            id,
            &staff.officer,
            ApplicationCommand::MakeAward {
                terms,
                joint_sponsor_id,
            },
        )
        .await?;
    // The scholar's details go to the British mission where they live, for their visa.
    let residence = form(n)
        .personal
        .get(&PersonalField::CountryOfResidence)
        .cloned()
        .flatten()
        .unwrap_or_default();
    if let Some(mission) = staff.missions.get(residence.as_str()) {
        runner
            .application(
                n,
                id,
                &staff.officer,
                ApplicationCommand::DiscloseData {
                    disclosure_id: uuid::Uuid::now_v7().to_string(),
                    recipient: mission.clone(),
                    purpose: "a letter supporting the scholar's visa application".into(),
                    fields: vec![
                        "personal.full_name".into(),
                        "personal.date_of_birth".into(),
                        "award.institution".into(),
                        "award.start_date".into(),
                    ],
                },
            )
            .await?;
        made.disclosures += 1;
    }
    let applicant_id = applicant.user_id.clone();
    let issued_on = (Utc::now().date_naive() - Duration::days((pick(n, 19) % 90) as i64))
        .min(NaiveDate::from_ymd_opt(start_year, 8, 1).unwrap_or_default());
    let record = ImmigrationCommand::RecordImmigrationDocument {
        application_id: id.to_string(),
        applicant_id,
        application_status: domain::application::Status::Awarded,
        kind: "visa".into(),
        reference: format!("DEMO-VISA-{n:06}"),
        issued_on,
    };
    runner.immigration(n, &staff.officer, record).await?;
    made.immigration_records += 1;
    if stage == Stage::Awarded {
        return Ok(made);
    }
    runner
        .application(
            n,
            id,
            &staff.officer,
            ApplicationCommand::CompleteAward {
                outcome: ["Distinction", "Merit", "Pass"][pick(n, 24) % 3].into(),
                // Studies are completed on a day that has come: the end of the course year, or today.
                completed_on: NaiveDate::from_ymd_opt(start_year + 1, 9, 30)
                    .unwrap_or_default()
                    .min(chrono::Utc::now().date_naive()),
            },
        )
        .await?;
    Ok(made)
}

/// For one application in forty, a subject access request by its applicant; for one in a hundred, an FOI
/// request for statistics. Received over the last weeks; some answered, some with the clock stopped.
async fn information_requests(
    state: &AppState,
    n: usize,
    email: &str,
    staff: &Staff,
) -> anyhow::Result<usize> {
    let mut made = 0;
    let today = Utc::now().date_naive();
    for (wanted, kind) in requests_planned(n) {
        if !wanted {
            continue;
        }
        let id = uuid::Uuid::now_v7().to_string();
        let received_on = today - Duration::days((pick(n, 32) % 35) as i64);
        let run = async |command: RequestCommand| {
            state
                .execute_request(&id, &staff.information, command)
                .await
                .map_err(|error| anyhow::anyhow!("demo request {n}: {error}"))
        };
        run(RequestCommand::LogRequest {
            kind,
            received_on,
            requester: Requester {
                name: format!("Demo Applicant {n:06}"),
                email: email.to_string(),
            },
            subject_email: (kind == RequestKind::Sar).then(|| email.to_string()),
            description: if kind == RequestKind::Sar {
                "a copy of all the personal data you hold about me".into()
            } else {
                "the number of applications and awards by country".into()
            },
        })
        .await?;
        made += 1;
        match pick(n, 33) % 3 {
            0 => {
                let response =
                    crate::responses::produce(state, kind, Some(email), &staff.information)
                        .await
                        .map_err(|error| anyhow::anyhow!("demo response {n}: {error}"))?;
                run(RequestCommand::IssueResponse { response }).await?;
            }
            1 if received_on < today => {
                run(RequestCommand::StopClock {
                    on: received_on + Duration::days(1).min(today - received_on),
                    reason: ClockReason::Clarification,
                    note: "asked which cycle the request is about".into(),
                })
                .await?;
            }
            _ => {}
        }
    }
    Ok(made)
}
