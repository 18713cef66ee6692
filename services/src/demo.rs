//! `etp demo seed --applications N`: a store filled with made-up applications at every stage, through the
//! same commands people use, for trying the service out and for measuring it.
//!
//! Every person it makes is plainly fictional ("Demo Applicant 0042", addresses at example.test), and every
//! account gets a random password that is not shown: the data is for looking at through staff accounts made
//! with `etp users add`.

use std::sync::Arc;

use anyhow::Context;
use chrono::NaiveDate;
use tokio::sync::Semaphore;

use domain::application::ApplicationCommand;
use domain::application::aggregate::Outcome;
use domain::application::events::{AwardTerms, Scores};
use domain::application::form::{CourseChoice, DraftChanges, Essay, PersonalField, Referee};
use domain::cycle::CycleName;
use domain::{Actor, Role};

use crate::accounts::{self, NewAccount};
use crate::app::AppState;
use crate::pages::session::random_token;

const COUNTRIES: [&str; 10] = [
    "Kenya",
    "Nigeria",
    "India",
    "Ghana",
    "Pakistan",
    "Bangladesh",
    "Uganda",
    "Brazil",
    "Indonesia",
    "Jamaica",
];
const STAGES: usize = 8;

/// How far each seeded application goes, by its number: draft, submitted, eligible, under review and scored,
/// unsuccessful, reserve, awarded, alumni.
fn stage(n: usize) -> usize {
    n % STAGES
}

async fn account(state: &AppState, role: Role, label: &str) -> anyhow::Result<Actor> {
    let email = format!("demo-{label}-{}@example.test", &random_token()[..12]);
    let name = format!("Demo {}", label.replace('-', " "));
    let account = NewAccount::parse(&email, &name, role, &random_token())
        .map_err(|problems| anyhow::anyhow!("a demo account is not valid: {problems:?}"))?;
    let id = accounts::create(&state.db, account).await?;
    Ok(Actor::new(id, role))
}

fn form(n: usize) -> DraftChanges {
    let country = COUNTRIES[n % COUNTRIES.len()].to_string();
    let mut changes = DraftChanges::default();
    let personal = [
        (PersonalField::FullName, format!("Demo Applicant {n:04}")),
        (
            PersonalField::DateOfBirth,
            format!("{}-0{}-1{}", 1985 + n % 15, 1 + n % 9, n % 10),
        ),
        (
            PersonalField::Email,
            format!("demo-applicant-{n:04}@example.test"),
        ),
        (PersonalField::Phone, format!("+000 {n:08}")),
        (
            PersonalField::Address,
            format!("{n} Demo Street, Demo Town"),
        ),
        (PersonalField::Nationality, country.clone()),
        (PersonalField::CountryOfResidence, country),
    ];
    for (field, value) in personal {
        changes.personal.insert(field, Some(value));
    }
    let entry = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), serde_json::json!(v)))
            .collect()
    };
    changes.education = Some(vec![entry(&[
        ("institution", "Demo University"),
        ("qualification", "BSc"),
        (
            "subject",
            ["Physics", "Economics", "Public Health", "Engineering"][n % 4],
        ),
        ("year", "2019"),
    ])]);
    changes.employment = Some(vec![entry(&[
        ("employer", "Demo Organisation"),
        ("role", "Analyst"),
    ])]);
    changes.courses = Some(vec![CourseChoice {
        institution: "Demo Institute".into(),
        course: [
            "MSc Data Science",
            "MA Development Studies",
            "MPH Global Health",
        ][n % 3]
            .into(),
        level: "masters".into(),
    }]);
    for essay in Essay::ALL {
        changes.essays.insert(
            essay,
            Some(format!(
                "This is a made-up {} essay for demonstration number {n}.",
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

/// Seeds `count` applications in the cycle, with a programme officer and three committee members to act.
pub async fn seed(state: &AppState, count: usize, cycle: &str) -> anyhow::Result<usize> {
    let cycle = CycleName::parse(cycle).map_err(|problem| anyhow::anyhow!(problem))?;
    let officer = account(state, Role::ProgrammeOfficer, "programme-officer").await?;
    let mut members = Vec::new();
    for i in 1..=3 {
        members.push(
            account(
                state,
                Role::CommitteeMember,
                &format!("committee-member-{i}"),
            )
            .await?,
        );
    }
    let members = Arc::new(members);
    let limit = Arc::new(Semaphore::new(if state.db.is_postgres() { 8 } else { 2 }));
    let mut tasks = Vec::with_capacity(count);
    for n in 1..=count {
        let state = state.clone();
        let officer = officer.clone();
        let members = Arc::clone(&members);
        let cycle = cycle.clone();
        let permit = Arc::clone(&limit)
            .acquire_owned()
            .await
            .context("the seeding was stopped")?;
        tasks.push(tokio::spawn(async move {
            let result = seed_one(&state, n, cycle, &officer, &members).await;
            drop(permit);
            result
        }));
    }
    for task in tasks {
        task.await.context("a seeding task stopped")??;
    }
    Ok(count)
}

async fn seed_one(
    state: &AppState,
    n: usize,
    cycle: CycleName,
    officer: &Actor,
    members: &[Actor],
) -> anyhow::Result<()> {
    let applicant = account(state, Role::Applicant, &format!("applicant-{n:04}")).await?;
    let id = uuid::Uuid::now_v7().to_string();
    let run = |by: &Actor, command: ApplicationCommand| {
        let by = by.clone();
        let id = id.clone();
        async move {
            state
                .execute_application(&id, &by, command)
                .await
                .map_err(|error| {
                    anyhow::anyhow!("demo application {n}: {} ({})", error.message, error.code)
                })
        }
    };
    let start_year = cycle.first_year();
    run(&applicant, ApplicationCommand::StartApplication { cycle }).await?;
    run(
        &applicant,
        ApplicationCommand::SaveDraft { changes: form(n) },
    )
    .await?;
    let stage = stage(n);
    if stage == 0 {
        return Ok(());
    }
    run(&applicant, ApplicationCommand::SubmitApplication).await?;
    if stage == 1 {
        return Ok(());
    }
    run(
        officer,
        ApplicationCommand::DetermineEligibility {
            eligible: true,
            reason: "meets the published criteria".into(),
        },
    )
    .await?;
    if stage == 2 {
        return Ok(());
    }
    for (i, member) in members.iter().enumerate() {
        run(
            officer,
            ApplicationCommand::AssignCommitteeMember {
                member_id: member.user_id.clone(),
            },
        )
        .await?;
        let mark = ((n + i * 3) % 11) as u8;
        let scores = Scores {
            leadership: mark,
            networking: (mark + 2) % 11,
            study_plan: (mark + 5) % 11,
            career_plan: (mark + 7) % 11,
            comment: "a made-up opinion".into(),
        };
        run(member, ApplicationCommand::ScoreApplication { scores }).await?;
    }
    let outcome = match stage {
        3 => return Ok(()),
        4 => Outcome::Unsuccessful,
        5 => Outcome::Reserve,
        _ => Outcome::Selected,
    };
    run(officer, ApplicationCommand::RecordDecision { outcome }).await?;
    if stage < 6 {
        return Ok(());
    }
    let terms = AwardTerms {
        institution: "Demo Institute".into(),
        course: "MSc Data Science".into(),
        level: "masters".into(),
        start_date: NaiveDate::from_ymd_opt(start_year, 9, 20).unwrap_or_default(),
    };
    run(
        officer,
        ApplicationCommand::MakeAward {
            terms,
            joint_sponsor_id: None,
        },
    )
    .await?;
    if stage == 6 {
        return Ok(());
    }
    run(
        officer,
        ApplicationCommand::CompleteAward {
            outcome: "Merit".into(),
            completed_on: NaiveDate::from_ymd_opt(start_year + 1, 9, 30).unwrap_or_default(),
        },
    )
    .await
}
