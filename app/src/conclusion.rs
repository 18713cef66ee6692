//! Concluding a cycle, for the API (`http/cycles.rs`), the pages and the retention sweep.
//!
//! The cycle's own stream records that it is concluded (`CycleConcluded`, once); then every application of
//! the cycle still live — submitted, eligible, under review, selected without an award, on the reserve list —
//! is concluded by a command of its own (`ConcludeWithCycle`), which makes it unsuccessful as of the day of
//! the conclusion, so that its two years of retention run from that day. Once the cycle's conclusion is
//! recorded no command moves one of its applications on (the domain refuses them), so a later pass finds
//! only what an earlier one missed (a command that was deciding as the conclusion was recorded, a process
//! stopped half-way): every sweep makes that pass over the concluded cycles, so nothing of a concluded
//! cycle stays live.

use chrono::NaiveDate;
use serde::Serialize;

use domain::Actor;
use domain::application::{ApplicationCommand, LetterKind, Status};
use domain::cycle::{CycleCommand, CycleName, automatic_conclusion_day};
use domain::retention::{RecordKind, RetentionRule};

use projections::application_view::ApplicationView;

use crate::bus::AppState;
use crate::error::AppError;

/// The statuses a conclusion ends (`domain::application::aggregate::concluded_with_cycle`).
const LIVE: [Status; 5] = [
    Status::Submitted,
    Status::Eligible,
    Status::UnderReview,
    Status::Selected,
    Status::Reserve,
];

/// What concluding a cycle did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Concluded {
    pub cycle: String,
    /// The day the cycle was concluded (the first conclusion's: a second one changes nothing).
    pub concluded_on: NaiveDate,
    pub automatic: bool,
    /// How many applications this call made unsuccessful.
    pub concluded: usize,
    /// Applications that could not be concluded this time, with the code of the refusal; a later
    /// conclusion or sweep tries them again.
    pub not_concluded: Vec<(String, String)>,
}

/// The ids of the cycle's applications that a conclusion would end, in the order of their status.
pub async fn live_applications(
    state: &AppState,
    cycle: &CycleName,
) -> Result<Vec<(String, Status)>, AppError> {
    let mut ids = Vec::new();
    for status in LIVE {
        for id in crate::selection::ids_at(state, cycle, status).await? {
            ids.push((id, status));
        }
    }
    Ok(ids)
}

/// Concludes the cycle as of `on` (or, where it was concluded before, as of that day), then every live
/// application of it.
pub async fn conclude(
    state: &AppState,
    actor: &Actor,
    cycle: &CycleName,
    on: NaiveDate,
    automatic: bool,
) -> Result<Concluded, AppError> {
    let command = CycleCommand::Conclude {
        cycle: cycle.clone(),
        on,
        automatic,
    };
    state.execute_cycle(actor, command).await?;
    let conclusion = projections::cycles::conclusion(&state.db, cycle.as_str())
        .await?
        .ok_or_else(|| AppError::internal("a concluded cycle has no conclusion in its view"))?;
    let (concluded, not_concluded) = conclude_applications(state, actor, cycle).await?;
    Ok(Concluded {
        cycle: cycle.to_string(),
        concluded_on: conclusion.concluded_on,
        automatic: conclusion.automatic,
        concluded,
        not_concluded,
    })
}

/// How many applications are concluded together: their commands decided together, and their events, views
/// and letters written in one transaction, a few statements for the whole batch (one at a time, each was a
/// dozen statements and a commit of its own).
const CONCLUDED_TOGETHER: usize = 250;

/// How many batches are concluded at once: while one batch's transaction is in the database, the next is
/// decided and its letters rendered (one at a time, the two cores were a third idle). The batches' applications
/// are distinct, so they never write the same rows.
const BATCHES_AT_ONCE: usize = 2;

/// Concludes each live application of a concluded cycle, in batches, in a task of its own (a request that
/// goes away does not cut the work short).
async fn conclude_applications(
    state: &AppState,
    actor: &Actor,
    cycle: &CycleName,
) -> Result<(usize, Vec<(String, String)>), AppError> {
    let ids = live_applications(state, cycle).await?;
    let (state, actor) = (state.clone(), actor.clone());
    tokio::spawn(async move {
        let mut concluded = 0;
        let mut refused = Vec::new();
        let mut batches = ids
            .chunks(CONCLUDED_TOGETHER)
            .map(|batch| batch.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>());
        let mut running = tokio::task::JoinSet::new();
        loop {
            while running.len() < BATCHES_AT_ONCE {
                let Some(batch) = batches.next() else { break };
                let (state, actor) = (state.clone(), actor.clone());
                running.spawn(async move { conclude_together(&state, &actor, batch).await });
            }
            let Some(done) = running.join_next().await else {
                break;
            };
            for (id, outcome) in done.map_err(|_| AppError::unavailable())? {
                match outcome {
                    Ok(true) => concluded += 1,
                    Ok(false) => {}
                    Err(code) => refused.push((id, code)),
                }
            }
        }
        // In the order of the ids, as one at a time gave them.
        refused.sort();
        Ok((concluded, refused))
    })
    .await
    .map_err(|_| AppError::unavailable())?
}

/// Concludes a batch of applications together, each as [`conclude_one`] concludes it: the conclusion
/// decided on its aggregate, the letter rendered from the view it leaves and decided after it, and every
/// application's events appended in one transaction; each application's outcome. Where
/// the batch cannot be appended together (another writer wrote to one of its applications after it was
/// read, or the store failed), nothing of it was kept, and each application is concluded on its own.
async fn conclude_together(
    state: &AppState,
    actor: &Actor,
    ids: Vec<String>,
) -> Vec<(String, Result<bool, String>)> {
    let started = std::time::Instant::now();
    let commands = ids
        .iter()
        .map(|id| (id.clone(), ApplicationCommand::ConcludeWithCycle))
        .collect();
    let (batch, decisions) = state.decide_applications(actor, commands).await;
    let mut outcomes: Vec<(String, Result<bool, String>)> = Vec::with_capacity(ids.len());
    let mut ended = Vec::new();
    for (id, decision) in ids.into_iter().zip(decisions) {
        match decision {
            // Ended now (not by an earlier pass).
            Ok(decided) if !decided.events().is_empty() => ended.push((id, decided)),
            Ok(_) => outcomes.push((id, Ok(false))),
            Err(error) => {
                // Counted as the bus counts a command it refuses or fails on.
                let outcome = if error.is_failure() {
                    crate::metrics::CommandOutcome::Failed
                } else {
                    crate::metrics::CommandOutcome::Refused
                };
                state.metrics.command(
                    <domain::application::Application as cqrs_es::Aggregate>::TYPE,
                    outcome,
                );
                if error.is_destroyed() {
                    outcomes.push((id, Ok(false)));
                } else {
                    outcomes.push((id, Err(error.code().to_string())));
                }
            }
        }
    }
    if ended.is_empty() {
        return outcomes;
    }
    let ended_ids: Vec<&str> = ended.iter().map(|(id, _)| id.as_str()).collect();
    let read = async {
        let views =
            projections::application_view::find_many(&state.db, &state.repo, &ended_ids).await?;
        let references = projections::references::of_many(&state.db, &ended_ids).await?;
        Ok::<_, sqlx::Error>((views, references))
    };
    let (views, references) = match read.await {
        Ok(read) => read,
        Err(error) => {
            tracing::warn!(error = %error, "a batch of the conclusion could not read its views; its applications are concluded one at a time");
            return one_at_a_time(state, actor, ended, outcomes).await;
        }
    };
    let mut views: std::collections::HashMap<String, ApplicationView> = views
        .into_iter()
        .map(|view| (view.id.clone(), view))
        .collect();
    let mut letters = Vec::with_capacity(ended.len());
    let mut decided = Vec::with_capacity(ended.len());
    let mut commands = 0;
    for (id, mut one) in ended {
        commands += 1;
        // The letter is rendered from the view as the conclusion leaves it, as the command's own view.
        let letter = views.remove(&id).and_then(|mut view| {
            for event in one.events() {
                let recorded = crate::store::recorded(event).ok()?;
                let payload = serde_json::from_value(recorded.payload.clone()).ok()?;
                view.apply(&recorded, &payload);
            }
            let reference = references
                .get(&id)
                .cloned()
                .unwrap_or_else(|| crate::letters::short_reference(&id));
            crate::letters::prepare(state, &view, &reference, LetterKind::Unsuccessful).ok()
        });
        match letter {
            Some(letter) => {
                match state
                    .decide_application_then(&batch, &mut one, letter.command.clone())
                    .await
                {
                    Ok(()) => {
                        commands += 1;
                        letters.push(letter);
                    }
                    Err(error) => tracing::warn!(
                        application_id = %id,
                        error = error.code(),
                        "the outcome letter was not issued"
                    ),
                }
            }
            None => tracing::warn!(
                application_id = %id,
                "the outcome letter was not issued: the application's view could not be read"
            ),
        }
        decided.push((id, one));
    }
    let ids: Vec<String> = decided.iter().map(|(id, _)| id.clone()).collect();
    let events: Vec<_> = decided.into_iter().map(|(_, one)| one).collect();
    let decided_in = started.elapsed();
    let appending = std::time::Instant::now();
    let appended = state.append_applications(events, commands).await;
    tracing::debug!(
        applications = ids.len(),
        decided_ms = decided_in.as_millis() as u64,
        appended_ms = appending.elapsed().as_millis() as u64,
        "a batch of the cycle's conclusion"
    );
    match appended {
        Ok(()) => {
            for letter in letters {
                letter.send(state);
            }
            outcomes.extend(ids.into_iter().map(|id| (id, Ok(true))));
            outcomes
        }
        Err(error) => {
            tracing::warn!(
                applications = ids.len(),
                error = error.code(),
                "a batch of the conclusion could not be appended, and nothing of it was kept; its applications are concluded one at a time"
            );
            for id in ids {
                let outcome = conclude_one(state, actor, &id).await;
                outcomes.push((id, outcome));
            }
            outcomes
        }
    }
}

/// Concludes each of a batch's applications on its own.
async fn one_at_a_time(
    state: &AppState,
    actor: &Actor,
    ended: Vec<(
        String,
        crate::store::cached::Decided<domain::application::Application>,
    )>,
    mut outcomes: Vec<(String, Result<bool, String>)>,
) -> Vec<(String, Result<bool, String>)> {
    for (id, _) in ended {
        let outcome = conclude_one(state, actor, &id).await;
        outcomes.push((id, outcome));
    }
    outcomes
}

/// Concludes one application: `true` when it was ended now (and its letter issued), `false` when an earlier
/// pass had ended it or it was destroyed meanwhile; the code of the refusal otherwise.
async fn conclude_one(state: &AppState, actor: &Actor, id: &str) -> Result<bool, String> {
    let (outcome, views) = crate::store::with_projected(state.execute_application(
        id,
        actor,
        ApplicationCommand::ConcludeWithCycle,
    ))
    .await;
    match outcome {
        // Ended now (not by an earlier pass): the applicant is told by letter, as of a decision.
        Ok(()) if !views.is_empty() => {
            let view = views.into_iter().find(|view| view.id == id);
            crate::letters::after_with(state, id, view, actor, LetterKind::Unsuccessful).await;
            Ok(true)
        }
        Ok(()) => Ok(false),
        // Destroyed meanwhile (an erasure): nothing is left to conclude.
        Err(error) if error.is_destroyed() => Ok(false),
        Err(error) => Err(error.code().to_string()),
    }
}

/// A cycle the sweep concluded (or, on a dry run, would conclude).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SweptConclusion {
    pub cycle: String,
    pub concluded_on: NaiveDate,
    /// Concluded by this sweep because nobody had (otherwise: a pass over a cycle concluded before).
    pub automatic: bool,
    pub concluded: usize,
    pub not_concluded: Vec<(String, String)>,
    /// On a dry run: the applications it would make unsuccessful, and the day each would then fall due.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub would_fall_due: Vec<(String, NaiveDate)>,
}

/// The first step of every sweep as of `as_of`: each cycle nobody concluded whose automatic conclusion day
/// (31 December of its second year) has come is concluded on that day, and each cycle concluded before has
/// any application it left live concluded too. A dry run changes nothing and says what it would do.
pub async fn conclude_due_cycles(
    state: &AppState,
    actor: &Actor,
    as_of: NaiveDate,
    dry_run: bool,
) -> Result<Vec<SweptConclusion>, AppError> {
    let mut swept = Vec::new();
    let concluded: std::collections::BTreeMap<String, NaiveDate> =
        projections::cycles::conclusions(&state.db)
            .await?
            .into_iter()
            .map(|c| (c.cycle, c.concluded_on))
            .collect();
    for name in projections::cycles::known(&state.db).await? {
        let Ok(cycle) = CycleName::parse(&name) else {
            continue;
        };
        let (on, automatic) = match concluded.get(&name) {
            Some(on) => (*on, false),
            None if automatic_conclusion_day(&cycle) <= as_of => {
                (automatic_conclusion_day(&cycle), true)
            }
            None => continue,
        };
        if dry_run {
            let live = live_applications(state, &cycle).await?;
            if live.is_empty() && !automatic {
                continue;
            }
            let rule = RetentionRule::for_kind(RecordKind::UnsuccessfulApplication);
            let would_fall_due = live
                .iter()
                .filter_map(|(id, _)| rule.falls_due(on).map(|due| (id.clone(), due)))
                .collect();
            swept.push(SweptConclusion {
                cycle: name,
                concluded_on: on,
                automatic,
                concluded: live.len(),
                not_concluded: Vec::new(),
                would_fall_due,
            });
            continue;
        }
        let outcome = if automatic {
            let done = conclude(state, actor, &cycle, on, true).await?;
            (done.concluded, done.not_concluded)
        } else {
            conclude_applications(state, actor, &cycle).await?
        };
        if automatic || outcome.0 > 0 || !outcome.1.is_empty() {
            swept.push(SweptConclusion {
                cycle: name,
                concluded_on: on,
                automatic,
                concluded: outcome.0,
                not_concluded: outcome.1,
                would_fall_due: Vec::new(),
            });
        }
    }
    Ok(swept)
}

/// Where a cycle stands for retention: concluded (and how), or when the sweep will conclude it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CycleRetention {
    pub cycle: String,
    pub concluded_on: Option<NaiveDate>,
    pub concluded_automatically: Option<bool>,
    /// The day the sweep concludes it if nobody has: 31 December of its second year.
    pub automatic_conclusion_on: NaiveDate,
}

/// Every cycle the store knows of, the latest first, with its conclusion or the day of its automatic one.
pub async fn cycles(state: &AppState) -> Result<Vec<CycleRetention>, AppError> {
    let concluded: std::collections::BTreeMap<String, projections::cycles::Conclusion> =
        projections::cycles::conclusions(&state.db)
            .await?
            .into_iter()
            .map(|c| (c.cycle.clone(), c))
            .collect();
    let mut cycles: Vec<CycleRetention> = projections::cycles::known(&state.db)
        .await?
        .into_iter()
        .filter_map(|name| CycleName::parse(&name).ok())
        .map(|cycle| {
            let conclusion = concluded.get(cycle.as_str());
            CycleRetention {
                cycle: cycle.to_string(),
                concluded_on: conclusion.map(|c| c.concluded_on),
                concluded_automatically: conclusion.map(|c| c.automatic),
                automatic_conclusion_on: automatic_conclusion_day(&cycle),
            }
        })
        .collect();
    cycles.reverse();
    Ok(cycles)
}
