//! Selection across a cycle, shared by the API (`http/cycles.rs`) and the selection page
//! (`pages/selection.rs`): the ranking, the reserve list, batch decisions from the ranking and bulk
//! assignment of the committee. The rules are the domain's (`domain::ranking::plan_decisions`,
//! `domain::assignment::plan_assignments`); here they are fed from the views and carried out as commands,
//! one per application, each an event of its own.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use domain::country::Country;
use domain::cycle::CycleName;
use domain::ranking::{self, RankedApplication};
use domain::{Actor, Role};
use projections::committee_scores;

use crate::bus::AppState;
use crate::error::AppError;

/// The most decisions one batch records.
pub const MOST_IN_A_BATCH: u32 = 20_000;

/// The cycle's scored applications, best first.
pub async fn ranked(
    state: &AppState,
    cycle: &CycleName,
) -> Result<Vec<RankedApplication>, AppError> {
    let scored = committee_scores::of_cycle(&state.db, cycle.as_str()).await?;
    Ok(ranking::rank_applications(&scored))
}

/// The ids of the cycle's applications at a status, from the case list.
pub async fn ids_at(
    state: &AppState,
    cycle: &CycleName,
    status: domain::application::Status,
) -> Result<Vec<String>, AppError> {
    let mut ids = Vec::new();
    let mut filter = projections::case_list::CaseFilter {
        cycle: Some(cycle.as_str().to_string()),
        status: Some(status.as_str().to_string()),
        limit: 1000,
        ..Default::default()
    };
    loop {
        let page = projections::case_list::search(&state.db, &filter).await?;
        ids.extend(page.cases.into_iter().map(|case| case.id));
        match page.next {
            Some(next) => filter.cursor = Some(next),
            None => return Ok(ids),
        }
    }
}

/// The cycle's reserves, in the order of the reserve list: those given a place by a batch first, by their
/// place, then those decided one by one, by their rank.
async fn reserves(
    state: &AppState,
    cycle: &CycleName,
    ranked: &[RankedApplication],
) -> Result<Vec<Value>, AppError> {
    let mut entries = Vec::new();
    for id in ids_at(state, cycle, domain::application::Status::Reserve).await? {
        let Some(view) = projections::application_view::find(&state.db, &state.repo, &id).await?
        else {
            continue;
        };
        let position = view.decision.as_ref().and_then(|d| d.reserve_position);
        let ranking = ranked.iter().find(|r| r.application_id == id);
        entries.push((
            position,
            ranking.map(|r| r.rank),
            id,
            ranking.map(|r| r.normalised_mean),
        ));
    }
    entries.sort_by(|a, b| {
        (a.0.is_none(), a.0, a.1.is_none(), a.1, &a.2).cmp(&(
            b.0.is_none(),
            b.0,
            b.1.is_none(),
            b.1,
            &b.2,
        ))
    });
    Ok(entries
        .into_iter()
        .enumerate()
        .map(|(place, (position, rank, id, normalised_mean))| {
            json!({
                "application_id": id,
                "place": place + 1,
                "reserve_position": position,
                "rank": rank,
                "normalised_mean": normalised_mean,
            })
        })
        .collect())
}

/// The cycle's reserve list in order (see `reserves`).
pub async fn reserve_list(state: &AppState, cycle: &CycleName) -> Result<Vec<Value>, AppError> {
    let ranked = ranked(state, cycle).await?;
    reserves(state, cycle, &ranked).await
}

/// A batch of decisions down the ranking (`ranking::plan_decisions`), recorded unless `dry_run`; the answer
/// lists each decision and whether it was recorded.
pub async fn decide_from_ranking(
    state: &AppState,
    actor: &Actor,
    cycle: &CycleName,
    quotas: ranking::Quotas,
    dry_run: bool,
) -> Result<Value, AppError> {
    if quotas.selected.saturating_add(quotas.reserve) > MOST_IN_A_BATCH {
        return Err(AppError::invalid_field(
            "selected",
            &format!("a batch decides at most {MOST_IN_A_BATCH} applications"),
        ));
    }
    let scored = committee_scores::of_cycle(&state.db, cycle.as_str()).await?;
    let ranked = ranking::rank_applications(&scored);
    let awaiting: std::collections::HashSet<String> =
        ids_at(state, cycle, domain::application::Status::UnderReview)
            .await?
            .into_iter()
            .collect();
    let on_the_list = reserves(state, cycle, &ranked)
        .await?
        .iter()
        .filter_map(|entry| entry["reserve_position"].as_u64())
        .max()
        .unwrap_or(0) as u32;
    let plan = ranking::plan_decisions(&ranked, |id| awaiting.contains(id), &quotas, on_the_list);
    let outcomes = if dry_run {
        vec![None; plan.len()]
    } else {
        let commands = plan
            .iter()
            .map(|planned| {
                let command = domain::application::ApplicationCommand::RecordDecision {
                    outcome: planned.outcome,
                    reserve_position: planned.reserve_position,
                };
                (planned.application_id.clone(), command)
            })
            .collect();
        carry_out(state, actor, commands).await?
    };
    let mut decisions = Vec::with_capacity(plan.len());
    let mut recorded = 0_u32;
    for (planned, outcome) in plan.iter().zip(outcomes) {
        let done = matches!(outcome, Some(Ok(())));
        if done {
            recorded += 1;
        }
        decisions.push(json!({
            "application_id": planned.application_id,
            "outcome": planned.outcome.as_str(),
            "rank": planned.rank,
            "reserve_position": planned.reserve_position,
            "recorded": done,
            "refused": outcome.and_then(Result::err),
        }));
    }
    let held = ranked
        .iter()
        .filter(|r| {
            quotas.hold_disagreements && r.disagreement && awaiting.contains(&r.application_id)
        })
        .map(|r| r.application_id.clone())
        .collect::<Vec<_>>();
    let unranked = awaiting
        .iter()
        .filter(|id| !ranked.iter().any(|r| &r.application_id == *id))
        .count();
    Ok(json!({
        "cycle": cycle.as_str(),
        "dry_run": dry_run,
        "recorded": recorded,
        "decisions": decisions,
        "held_for_disagreement": held,
        "unscored": unranked,
    }))
}

/// What a bulk assignment is asked to do.
pub struct BulkRequest {
    pub members_per_application: u32,
    /// The committee members to share the work among; every committee member when `None`.
    pub members: Option<Vec<String>>,
    /// A member named here reviews only applicants of these nationalities.
    pub regions: BTreeMap<String, Vec<String>>,
    pub dry_run: bool,
}

/// Committee members for every application of the cycle awaiting review (`assignment::plan_assignments`),
/// assigned unless `dry_run`.
pub async fn assign_in_bulk(
    state: &AppState,
    actor: &Actor,
    cycle: &CycleName,
    request: BulkRequest,
) -> Result<Value, AppError> {
    use domain::application::Status;
    use domain::assignment::{self, AwaitingReview, Reviewer};

    let per = request.members_per_application;
    if !(1..=assignment::MOST_MEMBERS_PER_APPLICATION).contains(&per) {
        return Err(AppError::invalid_field(
            "members_per_application",
            "must be a whole number from 1 to 5",
        ));
    }
    let committee = crate::accounts::with_role(&state.db, Role::CommitteeMember).await?;
    let members: Vec<String> = match &request.members {
        None => committee.iter().map(|account| account.id.clone()).collect(),
        Some(named) => {
            let mut problems = Vec::new();
            for (i, id) in named.iter().enumerate() {
                if !committee.iter().any(|account| &account.id == id) {
                    problems.push(domain::application::rules::FieldProblem::new(
                        format!("members.{i}"),
                        "is not a committee member",
                    ));
                }
            }
            if !problems.is_empty() {
                return Err(AppError::invalid(
                    "some members are not committee members",
                    problems,
                ));
            }
            named.clone()
        }
    };
    let mut regions: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> =
        Default::default();
    let mut problems = Vec::new();
    for (member, names) in request.regions.iter() {
        if !members.contains(member) {
            problems.push(domain::application::rules::FieldProblem::new(
                format!("regions.{member}"),
                "is not one of the members sharing the work",
            ));
        }
        for (i, name) in names.iter().enumerate() {
            match Country::parse(name) {
                Some(country) => {
                    regions
                        .entry(member.clone())
                        .or_default()
                        .insert(country.to_string());
                }
                None => problems.push(domain::application::rules::FieldProblem::new(
                    format!("regions.{member}.{i}"),
                    "must be a country by its English short name",
                )),
            }
        }
    }
    if !problems.is_empty() {
        return Err(AppError::invalid("some regions are not valid", problems));
    }

    let mut awaiting = Vec::new();
    let mut loads: std::collections::BTreeMap<String, u32> = Default::default();
    for status in [Status::Eligible, Status::UnderReview] {
        for id in ids_at(state, cycle, status).await? {
            let Some(view) =
                projections::application_view::find(&state.db, &state.repo, &id).await?
            else {
                continue;
            };
            let mut application = AwaitingReview {
                application_id: id,
                nationality: view
                    .form
                    .personal
                    .nationality
                    .as_deref()
                    .and_then(Country::parse)
                    .map(|country| country.to_string()),
                assigned: Default::default(),
                conflicted: Default::default(),
            };
            for member in &view.committee {
                if member.conflict.is_some() {
                    application.conflicted.insert(member.member_id.clone());
                } else {
                    application.assigned.insert(member.member_id.clone());
                    *loads.entry(member.member_id.clone()).or_default() += 1;
                }
            }
            awaiting.push(application);
        }
    }
    let reviewers: Vec<Reviewer> = members
        .iter()
        .map(|id| Reviewer {
            member_id: id.clone(),
            region: regions.get(id).cloned(),
            load: loads.get(id).copied().unwrap_or(0),
        })
        .collect();
    let plan = assignment::plan_assignments(&awaiting, &reviewers, per);
    let outcomes = if request.dry_run {
        vec![None; plan.assignments.len()]
    } else {
        let commands = plan
            .assignments
            .iter()
            .map(|planned| {
                let command = domain::application::ApplicationCommand::AssignCommitteeMember {
                    member_id: planned.member_id.clone(),
                };
                (planned.application_id.clone(), command)
            })
            .collect();
        carry_out(state, actor, commands).await?
    };
    let mut made = Vec::with_capacity(plan.assignments.len());
    let mut recorded = 0_u32;
    for (planned, outcome) in plan.assignments.iter().zip(outcomes) {
        let done = matches!(outcome, Some(Ok(())));
        if done {
            recorded += 1;
        }
        made.push(json!({
            "application_id": planned.application_id,
            "member_id": planned.member_id,
            "recorded": done,
            "refused": outcome.and_then(Result::err),
        }));
    }
    Ok(json!({
        "cycle": cycle.as_str(),
        "dry_run": request.dry_run,
        "recorded": recorded,
        "assignments": made,
        "short": plan.short.iter().map(|(id, open)| json!({"application_id": id, "open_places": open})).collect::<Vec<_>>(),
        "loads": plan.loads,
    }))
}

/// Carries out one command on each application, in order, in a task of its own: a batch is not cut short if
/// the request that asked for it goes away (a client that gives up, the request timeout); each command is
/// still decided and committed on its own. Each outcome is `Ok`, or the code of the refusal.
async fn carry_out(
    state: &AppState,
    actor: &Actor,
    commands: Vec<(String, domain::application::ApplicationCommand)>,
) -> Result<Vec<Option<Result<(), String>>>, AppError> {
    let (state, actor) = (state.clone(), actor.clone());
    tokio::spawn(async move {
        let mut outcomes = Vec::with_capacity(commands.len());
        for (id, command) in commands {
            let outcome = state.execute_application(&id, &actor, command).await;
            outcomes.push(Some(outcome.map_err(|error| error.code().to_string())));
        }
        outcomes
    })
    .await
    .map_err(|_| AppError::unavailable())
}
