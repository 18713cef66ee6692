//! The section "Cycles and selection" of CONTRACT.md: a cycle's terms, and its applications ranked by the
//! committee's scores.
//!
//! `PUT /api/cycles/{cycle}` (administrators) sets when the cycle takes applications, whether its committee
//! reviews blind and which nationalities are eligible; `GET /api/cycles/{cycle}` shows them to staff. A
//! cycle whose terms were never set is open all year, without blind review, to every nationality.
//!
//! `GET /api/cycles/{cycle}/ranking`, programme officers only, answers every scored application of the cycle,
//! best first by `normalised_mean`, each as `{application_id, raw_mean, normalised_mean, rank, members,
//! disagreement, country, country_rank}`; `country` is the applicant's nationality and `country_rank` the
//! place among the cycle's applicants of that nationality. `?by=country` gives the same entries grouped by
//! country (countries in alphabetical order, an unknown nationality last), each country best first. The rule
//! (the z-scores, the scale they are mapped back onto, ties, the disagreement threshold) is
//! `domain::ranking`'s; the totals that count are those `projections::committee_scores` keeps: no conflicted
//! member, no withdrawn or destroyed application. An application no member has scored yet is not listed.

use axum::extract::State;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use domain::Role;
use domain::country::Country;
use domain::cycle::{CycleCommand, CycleName, CycleTerms};
use domain::ranking::{self, RankedApplication};
use domain::screening::ScreeningRules;
use projections::committee_scores;

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery, AuthUser};
use crate::bus::AppState;

#[derive(utoipa::OpenApi)]
#[openapi(paths(
    set_terms,
    show_terms,
    conclude,
    ranking,
    decide_from_ranking,
    reserve_list,
    assign_in_bulk
))]
pub struct Doc;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/cycles/{cycle}", put(set_terms).get(show_terms))
        .route("/cycles/{cycle}/conclude", post(conclude))
        .route("/cycles/{cycle}/ranking", get(ranking))
        .route("/cycles/{cycle}/decisions", post(decide_from_ranking))
        .route("/cycles/{cycle}/reserve", get(reserve_list))
        .route("/cycles/{cycle}/assignments", post(assign_in_bulk))
}

/// The terms of a cycle, as an administrator sends them.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TermsBody {
    /// The first day applications are started and submitted, YYYY-MM-DD.
    #[schema(format = Date)]
    pub(crate) opens_on: String,
    /// The last day, included, YYYY-MM-DD.
    #[schema(format = Date)]
    pub(crate) closes_on: String,
    /// Committee members see the application without the personal section and the referees.
    #[serde(default)]
    pub(crate) blind_review: bool,
    /// The nationalities that may apply, by their English short names; absent or `null` for every
    /// nationality.
    pub(crate) eligible_nationalities: Option<Vec<String>>,
    /// Screening: an undergraduate degree (a bachelor's or higher) among the education entries.
    #[serde(default)]
    pub(crate) undergraduate_degree: bool,
    /// Screening: at least this many years of work experience, counted from the employment entries (0–40);
    /// absent or `null` for none.
    #[schema(minimum = 0, maximum = 40)]
    pub(crate) minimum_work_years: Option<u32>,
    /// Screening: the applicant commits to return home for two years after the award.
    #[serde(default)]
    pub(crate) return_home_commitment: bool,
}

impl TermsBody {
    /// The terms, or each field's problem: the one parser of the API's body and the cycles page's form.
    pub(crate) fn terms(
        &self,
    ) -> Result<CycleTerms, Vec<domain::application::rules::FieldProblem>> {
        let mut problems = Vec::new();
        let opens_on =
            super::applications::wire::parse_date("opens_on", &self.opens_on, &mut problems);
        let closes_on =
            super::applications::wire::parse_date("closes_on", &self.closes_on, &mut problems);
        let mut eligible = None;
        if let Some(names) = &self.eligible_nationalities {
            let mut countries = std::collections::BTreeSet::new();
            for (i, name) in names.iter().enumerate() {
                match Country::parse(name) {
                    Some(country) => {
                        countries.insert(country);
                    }
                    None => problems.push(domain::application::rules::FieldProblem::new(
                        format!("eligible_nationalities.{i}"),
                        "must be a country by its English short name",
                    )),
                }
            }
            eligible = Some(countries);
        }
        match (opens_on, closes_on) {
            (Some(opens_on), Some(closes_on)) if problems.is_empty() => Ok(CycleTerms {
                opens_on,
                closes_on,
                blind_review: self.blind_review,
                screening: ScreeningRules {
                    eligible_nationalities: eligible,
                    undergraduate_degree: self.undergraduate_degree,
                    minimum_work_years: self.minimum_work_years.filter(|years| *years > 0),
                    return_home_commitment: self.return_home_commitment,
                },
            }),
            _ => Err(problems),
        }
    }
}

/// The cycle as it is answered: its terms, or the defaults where none were set, and its conclusion.
fn cycle_body(
    cycle: &CycleName,
    view: Option<&projections::cycles::CycleView>,
    conclusion: Option<&projections::cycles::Conclusion>,
) -> Value {
    let mut body = terms_body(cycle, view);
    body["concluded_on"] = json!(conclusion.map(|c| c.concluded_on));
    body["concluded_automatically"] = json!(conclusion.map(|c| c.automatic));
    body["automatic_conclusion_on"] = json!(domain::cycle::automatic_conclusion_day(cycle));
    body
}

/// The cycle's terms as they are answered, or the defaults where none were set.
fn terms_body(cycle: &CycleName, view: Option<&projections::cycles::CycleView>) -> Value {
    match view {
        Some(view) => json!({
            "cycle": cycle.as_str(),
            "configured": true,
            "opens_on": view.terms.opens_on,
            "closes_on": view.terms.closes_on,
            "blind_review": view.terms.blind_review,
            "eligible_nationalities": view.terms.screening.eligible_nationalities,
            "undergraduate_degree": view.terms.screening.undergraduate_degree,
            "minimum_work_years": view.terms.screening.minimum_work_years,
            "return_home_commitment": view.terms.screening.return_home_commitment,
            "screening_rules": view.terms.screening.in_force(),
            "set_at": view.set_at,
        }),
        None => json!({
            "cycle": cycle.as_str(),
            "configured": false,
            "opens_on": null,
            "closes_on": null,
            "blind_review": false,
            "eligible_nationalities": null,
            "undergraduate_degree": false,
            "minimum_work_years": null,
            "return_home_commitment": false,
            "screening_rules": [],
            "set_at": null,
        }),
    }
}

fn cycle_name(raw: &str) -> Result<CycleName, ApiError> {
    CycleName::parse(raw).map_err(|problem| ApiError::invalid_field("cycle", &problem))
}

#[utoipa::path(
    put,
    path = "/cycles/{cycle}",
    tag = "cycles",
    params(("cycle" = String, Path, description = "The cycle, named like 2026-27")),
    request_body = TermsBody,
    responses(
        (status = 200, description = "The cycle with its terms (setting the same terms again records nothing)", body = schema::CycleBody),
        (status = 403, description = "forbidden: your role may not do this", body = ErrorBody),
        (status = 422, description = "invalid: a date that is not one, a cycle that closes before it opens or outside its years, an unknown or empty list of nationalities", body = ErrorBody),
    ),
    description = "Who: admin.",
)]
async fn set_terms(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(cycle): ApiPath<String>,
    ApiJson(body): ApiJson<TermsBody>,
) -> Result<Json<Value>, ApiError> {
    let actor = user.require(&[Role::Admin])?;
    let cycle = cycle_name(&cycle)?;
    let terms = body
        .terms()
        .map_err(|problems| ApiError::invalid("some values are not valid", problems))?;
    state
        .execute_cycle(
            actor,
            CycleCommand::SetTerms {
                cycle: cycle.clone(),
                terms,
            },
        )
        .await?;
    let view = projections::cycles::find(&state.db, cycle.as_str()).await?;
    let conclusion = projections::cycles::conclusion(&state.db, cycle.as_str()).await?;
    Ok(Json(cycle_body(&cycle, view.as_ref(), conclusion.as_ref())))
}

/// The conclusion of a cycle, as a programme officer sends it.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ConcludeBody {
    /// The day the cycle is concluded, YYYY-MM-DD: today or a day that has passed; today when absent. The
    /// two years of retention of what it makes unsuccessful run from it.
    #[schema(format = Date)]
    on: Option<String>,
}

#[utoipa::path(
    post,
    path = "/cycles/{cycle}/conclude",
    tag = "cycles",
    params(("cycle" = String, Path, description = "The cycle, named like 2026-27")),
    request_body = ConcludeBody,
    responses(
        (status = 200, description = "The cycle is concluded: every application of it still undecided, on the reserve list or selected without an award is now unsuccessful, each by an event of its own. A second conclusion changes nothing (`concluded`: 0) and keeps the first one's day.", body = schema::Conclusion),
        (status = 403, description = "forbidden: your role may not do this", body = ErrorBody),
        (status = 422, description = "invalid: the cycle is not named like 2026-27, or `on` is not a date, is after today or before the cycle began", body = ErrorBody),
    ),
    description = "Who: programme_officer. A cycle nobody concludes is concluded by the retention sweep on 31 December of its second year.",
)]
async fn conclude(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(cycle): ApiPath<String>,
    ApiJson(body): ApiJson<ConcludeBody>,
) -> Result<Json<Value>, ApiError> {
    let actor = user.require(&[Role::ProgrammeOfficer])?.clone();
    let cycle = cycle_name(&cycle)?;
    let on = match body.on.as_deref() {
        None => chrono::Utc::now().date_naive(),
        Some(raw) => {
            let mut problems = Vec::new();
            super::applications::wire::parse_date("on", raw, &mut problems)
                .ok_or_else(|| ApiError::invalid("some values are not valid", problems))?
        }
    };
    let done = crate::conclusion::conclude(&state, &actor, &cycle, on, false).await?;
    Ok(Json(json!({
        "cycle": done.cycle,
        "concluded_on": done.concluded_on,
        "automatic": done.automatic,
        "concluded": done.concluded,
        "not_concluded": done.not_concluded.iter().map(|(id, code)| json!({"application_id": id, "refused": code})).collect::<Vec<_>>(),
    })))
}

#[utoipa::path(
    get,
    path = "/cycles/{cycle}",
    tag = "cycles",
    params(("cycle" = String, Path, description = "The cycle, named like 2026-27")),
    responses(
        (status = 200, description = "The cycle's terms; `configured: false` where none were set (open all year)", body = schema::CycleBody),
        (status = 403, description = "forbidden: your role may not do this", body = ErrorBody),
        (status = 422, description = "invalid: the cycle is not named like 2026-27", body = ErrorBody),
    ),
    description = "Who: staff (every role but applicants).",
)]
async fn show_terms(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(cycle): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    user.require(&[
        Role::Helpdesk,
        Role::ProgrammeOfficer,
        Role::CommitteeMember,
        Role::InformationOfficer,
        Role::Admin,
    ])?;
    let cycle = cycle_name(&cycle)?;
    let view = projections::cycles::find(&state.db, cycle.as_str()).await?;
    let conclusion = projections::cycles::conclusion(&state.db, cycle.as_str()).await?;
    Ok(Json(cycle_body(&cycle, view.as_ref(), conclusion.as_ref())))
}

/// The ranking, as the OpenAPI document gives it.
mod schema {
    #![allow(dead_code)]

    use chrono::{DateTime, NaiveDate, Utc};
    use serde_json::Value;
    use utoipa::ToSchema;

    /// A cycle and the terms it runs under.
    #[derive(ToSchema)]
    pub struct CycleBody {
        cycle: String,
        /// Whether an administrator set its terms; a cycle without is open all year.
        configured: bool,
        opens_on: Option<NaiveDate>,
        closes_on: Option<NaiveDate>,
        blind_review: bool,
        eligible_nationalities: Option<Vec<String>>,
        undergraduate_degree: bool,
        minimum_work_years: Option<u32>,
        return_home_commitment: bool,
        /// The rules of the screening in force, checked at submission.
        screening_rules: Vec<ScreeningRuleName>,
        set_at: Option<DateTime<Utc>>,
        /// The day the cycle was concluded; `null` while it is not.
        concluded_on: Option<NaiveDate>,
        /// Whether the retention sweep concluded it because nobody had; `null` while it is not concluded.
        concluded_automatically: Option<bool>,
        /// The day the retention sweep concludes it if nobody has: 31 December of its second year.
        automatic_conclusion_on: NaiveDate,
    }

    /// What concluding a cycle did.
    #[derive(ToSchema)]
    pub struct Conclusion {
        cycle: String,
        /// The day the cycle was concluded (a second conclusion keeps the first one's).
        concluded_on: NaiveDate,
        /// Concluded by the retention sweep because nobody had.
        automatic: bool,
        /// How many applications this call made unsuccessful.
        concluded: u32,
        /// Applications that could not be concluded this time (another command on them at that moment); a
        /// second conclusion, or the next sweep, concludes them.
        not_concluded: Vec<NotConcluded>,
    }

    #[derive(ToSchema)]
    pub struct NotConcluded {
        application_id: String,
        /// The code of the refusal.
        refused: String,
    }

    /// A batch of decisions from the ranking.
    #[derive(ToSchema)]
    pub struct DecisionBatch {
        cycle: String,
        dry_run: bool,
        /// How many decisions were recorded (0 with dry_run).
        recorded: u32,
        decisions: Vec<BatchDecision>,
        /// Applications under review passed over because their members disagree (with hold_disagreements).
        held_for_disagreement: Vec<String>,
        /// Applications under review with no scores yet, so not ranked and not decided.
        unscored: u32,
    }

    /// One decision of a batch.
    #[derive(ToSchema)]
    pub struct BatchDecision {
        application_id: String,
        /// `selected`, `reserve` or `unsuccessful`.
        outcome: String,
        rank: u32,
        /// For a reserve, its place on the reserve list.
        reserve_position: Option<u32>,
        recorded: bool,
        /// Why the decision could not be recorded (the application moved on meanwhile, say).
        refused: Option<String>,
    }

    /// A bulk assignment of the committee.
    #[derive(ToSchema)]
    pub struct BulkAssignment {
        cycle: String,
        dry_run: bool,
        /// How many assignments were recorded (0 with dry_run).
        recorded: u32,
        assignments: Vec<BulkAssigned>,
        /// Applications left with fewer members than asked for (too few members allowed to review them).
        short: Vec<ShortOfMembers>,
        /// Each member's applications of the cycle awaiting review, once assigned.
        #[schema(value_type = Object)]
        loads: Value,
    }

    /// One member given one application.
    #[derive(ToSchema)]
    pub struct BulkAssigned {
        application_id: String,
        member_id: String,
        recorded: bool,
        /// Why it could not be recorded (the application moved on meanwhile, say).
        refused: Option<String>,
    }

    /// An application short of members.
    #[derive(ToSchema)]
    pub struct ShortOfMembers {
        application_id: String,
        open_places: u32,
    }

    /// One place on the reserve list.
    #[derive(ToSchema)]
    pub struct ReserveEntry {
        application_id: String,
        /// 1 is the first to be offered a place that falls free.
        place: u32,
        /// The place a batch gave it; `null` for a reserve decided on its own.
        reserve_position: Option<u32>,
        rank: Option<u32>,
        normalised_mean: Option<f64>,
    }

    /// A rule of a cycle's screening.
    #[derive(ToSchema)]
    #[allow(non_camel_case_types)]
    pub enum ScreeningRuleName {
        eligible_nationality,
        undergraduate_degree,
        work_experience,
        return_home_commitment,
    }

    /// Where one application stands in its cycle.
    #[derive(ToSchema)]
    pub struct RankedApplication {
        application_id: String,
        /// The mean of the members' totals, 0–40.
        raw_mean: f64,
        /// The mean of the members' z-scores (each over everything that member scored in the cycle), mapped
        /// back onto 0–40 by the mean and standard deviation of every total in the cycle.
        normalised_mean: f64,
        /// 1 is the best normalised mean; ties go to the higher raw mean, then more members, then the smaller
        /// id.
        rank: u32,
        /// How many members' totals count (conflicted members' do not).
        members: u32,
        /// The members' totals differ by more than 10 points.
        disagreement: bool,
        /// The applicant's nationality.
        country: Option<String>,
        /// 1 is the best of the cycle's applicants of that nationality.
        country_rank: u32,
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct RankingQuery {
    /// `country`: grouped by the applicant's nationality, each country best first. Without it, the whole
    /// cycle best first.
    by: Option<String>,
}

#[utoipa::path(
    get,
    path = "/cycles/{cycle}/ranking",
    tag = "committee",
    params(
        ("cycle" = String, Path, description = "The cycle, named like 2026-27"),
        RankingQuery,
    ),
    responses(
        (status = 200, description = "The cycle's scored applications, best first by normalised_mean", body = Vec<schema::RankedApplication>),
        (status = 403, description = "forbidden: your role may not do this", body = ErrorBody),
        (status = 422, description = "invalid: the cycle is not named like 2026-27, or by is not country", body = ErrorBody),
    ),
    description = "Who: programme_officer.",
)]
async fn ranking(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(cycle): ApiPath<String>,
    ApiQuery(query): ApiQuery<RankingQuery>,
) -> Result<Json<Value>, ApiError> {
    user.require(&[Role::ProgrammeOfficer])?;
    let cycle =
        CycleName::parse(&cycle).map_err(|problem| ApiError::invalid_field("cycle", &problem))?;
    let by_country = match query.by.as_deref().map(str::trim) {
        None | Some("") => false,
        Some("country") => true,
        Some(_) => return Err(ApiError::invalid_field("by", "must be country")),
    };
    let scored = committee_scores::of_cycle(&state.db, cycle.as_str()).await?;
    let mut ranked = ranking::rank_applications(&scored);
    if by_country {
        ranked = ranking::by_country(ranked);
    }
    Ok(Json(Value::Array(ranked.iter().map(entry).collect())))
}

fn entry(ranked: &RankedApplication) -> Value {
    json!({
        "application_id": ranked.application_id,
        "raw_mean": ranked.raw_mean,
        "normalised_mean": ranked.normalised_mean,
        "rank": ranked.rank,
        "members": ranked.members,
        "disagreement": ranked.disagreement,
        "country": ranked.country,
        "country_rank": ranked.country_rank,
    })
}

/// A batch of decisions from the cycle's ranking.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct DecisionsBody {
    /// How many to select, best first among those awaiting a decision.
    selected: u32,
    /// How many to put on the reserve list after them, in ranking order.
    #[serde(default)]
    reserve: u32,
    /// Every ranked application after those is unsuccessful.
    #[serde(default)]
    unsuccessful_rest: bool,
    /// Leave an application whose members disagree for the officer to decide on its own.
    #[serde(default)]
    hold_disagreements: bool,
    /// Answer the decisions the batch would record, and record none.
    #[serde(default)]
    dry_run: bool,
}

#[utoipa::path(
    post,
    path = "/cycles/{cycle}/decisions",
    tag = "committee",
    params(("cycle" = String, Path, description = "The cycle, named like 2026-27")),
    request_body = DecisionsBody,
    responses(
        (status = 200, description = "The decisions recorded (or, with dry_run, those that would be), best first; each is an event on its application, and its letter follows", body = schema::DecisionBatch),
        (status = 403, description = "forbidden: your role may not do this", body = ErrorBody),
        (status = 422, description = "invalid: the cycle is not named like 2026-27, or the quotas are too large", body = ErrorBody),
    ),
    description = "Who: programme_officer. Down the cycle's ranking (by normalised mean), among the applications \
                   under review: the first `selected` are selected, the next `reserve` go on the reserve list in \
                   that order, and with `unsuccessful_rest` the rest of the ranked are unsuccessful.",
)]
async fn decide_from_ranking(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(cycle): ApiPath<String>,
    ApiJson(body): ApiJson<DecisionsBody>,
) -> Result<Json<Value>, ApiError> {
    let actor = user.require(&[Role::ProgrammeOfficer])?.clone();
    let cycle = cycle_name(&cycle)?;
    let quotas = ranking::Quotas {
        selected: body.selected,
        reserve: body.reserve,
        unsuccessful_rest: body.unsuccessful_rest,
        hold_disagreements: body.hold_disagreements,
    };
    Ok(Json(
        crate::selection::decide_from_ranking(&state, &actor, &cycle, quotas, body.dry_run).await?,
    ))
}

#[utoipa::path(
    get,
    path = "/cycles/{cycle}/reserve",
    tag = "committee",
    params(("cycle" = String, Path, description = "The cycle, named like 2026-27")),
    responses(
        (status = 200, description = "The cycle's reserve list in order: the places a batch gave first, then reserves decided one by one, by rank", body = Vec<schema::ReserveEntry>),
        (status = 403, description = "forbidden: your role may not do this", body = ErrorBody),
        (status = 422, description = "invalid: the cycle is not named like 2026-27", body = ErrorBody),
    ),
    description = "Who: programme_officer.",
)]
async fn reserve_list(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(cycle): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    user.require(&[Role::ProgrammeOfficer])?;
    let cycle = cycle_name(&cycle)?;
    Ok(Json(Value::Array(
        crate::selection::reserve_list(&state, &cycle).await?,
    )))
}

/// Committee members for every application of the cycle awaiting review.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct BulkAssignmentBody {
    /// How many members each application's committee has once assigned (1–5; 2 when absent).
    #[schema(minimum = 1, maximum = 5)]
    members_per_application: Option<u32>,
    /// The committee members to share the work among; every committee member when absent.
    members: Option<Vec<String>>,
    /// By region: a member named here reviews only applicants of these nationalities (English short
    /// names); members not named review anyone.
    #[schema(value_type = Option<Object>)]
    regions: Option<std::collections::BTreeMap<String, Vec<String>>>,
    /// Answer the assignments that would be made, and make none.
    #[serde(default)]
    dry_run: bool,
}

#[utoipa::path(
    post,
    path = "/cycles/{cycle}/assignments",
    tag = "committee",
    params(("cycle" = String, Path, description = "The cycle, named like 2026-27")),
    request_body = BulkAssignmentBody,
    responses(
        (status = 200, description = "The assignments made (or, with dry_run, those that would be), each an event on its application; the applications left short of members; every member's load", body = schema::BulkAssignment),
        (status = 403, description = "forbidden: your role may not do this", body = ErrorBody),
        (status = 422, description = "invalid: a cycle not named like 2026-27, members_per_application outside 1–5, someone named who is not a committee member, a nationality that is no country", body = ErrorBody),
    ),
    description = "Who: programme_officer. Every application of the cycle that is eligible or under review gets \
                   the members it still needs: the work spread evenly (the fewest applications first), never a \
                   member who declared a conflict on it, and with `regions` only the members for the applicant's \
                   nationality (domain/src/assignment.rs).",
)]
async fn assign_in_bulk(
    State(state): State<AppState>,
    user: AuthUser,
    ApiPath(cycle): ApiPath<String>,
    ApiJson(body): ApiJson<BulkAssignmentBody>,
) -> Result<Json<Value>, ApiError> {
    let actor = user.require(&[Role::ProgrammeOfficer])?.clone();
    let cycle = cycle_name(&cycle)?;
    let request = crate::selection::BulkRequest {
        members_per_application: body.members_per_application.unwrap_or(2),
        members: body.members,
        regions: body.regions.unwrap_or_default(),
        dry_run: body.dry_run,
    };
    Ok(Json(
        crate::selection::assign_in_bulk(&state, &actor, &cycle, request).await?,
    ))
}
