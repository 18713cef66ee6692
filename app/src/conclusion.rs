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

/// How many applications are concluded at once: their commands share commits on SQLite (group commit) and
/// connections on PostgreSQL, where one at a time each waited for a commit of its own.
const CONCLUDED_AT_ONCE: usize = 16;

/// Concludes each live application of a concluded cycle, each by its own command, several at once, in tasks
/// of their own (a request that goes away does not cut the work short).
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
        let mut running = tokio::task::JoinSet::new();
        let mut ids = ids.into_iter();
        loop {
            while running.len() < CONCLUDED_AT_ONCE {
                let Some((id, _)) = ids.next() else { break };
                let (state, actor) = (state.clone(), actor.clone());
                running.spawn(async move {
                    let outcome = conclude_one(&state, &actor, &id).await;
                    (id, outcome)
                });
            }
            let Some(done) = running.join_next().await else {
                break;
            };
            let (id, outcome) = done.map_err(|_| AppError::unavailable())?;
            match outcome {
                Ok(true) => concluded += 1,
                Ok(false) => {}
                Err(code) => refused.push((id, code)),
            }
        }
        // In the order of the ids, as one at a time gave them.
        refused.sort();
        Ok((concluded, refused))
    })
    .await
    .map_err(|_| AppError::unavailable())?
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
