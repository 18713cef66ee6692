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
use axum::routing::{get, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use domain::Role;
use domain::country::Country;
use domain::cycle::{CycleCommand, CycleName, CycleTerms};
use domain::ranking::{self, RankedApplication};
use projections::committee_scores;

use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery, AuthUser};
use crate::app::AppState;

#[derive(utoipa::OpenApi)]
#[openapi(paths(set_terms, show_terms, ranking))]
pub struct Doc;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/cycles/{cycle}", put(set_terms).get(show_terms))
        .route("/cycles/{cycle}/ranking", get(ranking))
}

/// The terms of a cycle, as an administrator sends them.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct TermsBody {
    /// The first day applications are started and submitted, YYYY-MM-DD.
    #[schema(format = Date)]
    opens_on: String,
    /// The last day, included, YYYY-MM-DD.
    #[schema(format = Date)]
    closes_on: String,
    /// Committee members see the application without the personal section and the referees.
    #[serde(default)]
    blind_review: bool,
    /// The nationalities that may apply, by their English short names; absent or `null` for every
    /// nationality.
    eligible_nationalities: Option<Vec<String>>,
}

impl TermsBody {
    fn terms(&self) -> Result<CycleTerms, ApiError> {
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
                eligible_nationalities: eligible,
            }),
            _ => Err(ApiError::invalid("some values are not valid", problems)),
        }
    }
}

/// The cycle as it is answered: its terms, or the defaults where none were set.
fn cycle_body(cycle: &CycleName, view: Option<&projections::cycles::CycleView>) -> Value {
    match view {
        Some(view) => json!({
            "cycle": cycle.as_str(),
            "configured": true,
            "opens_on": view.terms.opens_on,
            "closes_on": view.terms.closes_on,
            "blind_review": view.terms.blind_review,
            "eligible_nationalities": view.terms.eligible_nationalities,
            "set_at": view.set_at,
        }),
        None => json!({
            "cycle": cycle.as_str(),
            "configured": false,
            "opens_on": null,
            "closes_on": null,
            "blind_review": false,
            "eligible_nationalities": null,
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
    let terms = body.terms()?;
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
    Ok(Json(cycle_body(&cycle, view.as_ref())))
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
    Ok(Json(cycle_body(&cycle, view.as_ref())))
}

/// The ranking, as the OpenAPI document gives it.
mod schema {
    #![allow(dead_code)]

    use chrono::{DateTime, NaiveDate, Utc};
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
        set_at: Option<DateTime<Utc>>,
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
