//! The case desk: the case list with its filters, one case with all its data and its history, and the
//! actions of the lifecycle for programme officers and the Help Desk.

use std::collections::HashMap;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use domain::access::{Section, view_of};
use domain::application::aggregate::DISCLOSABLE_FIELDS;
use domain::application::aggregate::Outcome;
use domain::application::events::AwardTerms;
use domain::application::form::{PersonalField, Preferences};
use domain::application::{ApplicationCommand, Status};
use domain::country::Country;
use domain::immigration::ImmigrationCommand;
use domain::recipient::RecipientKind;
use domain::{Actor, Role};
use projections::application_view::ApplicationView;
use projections::case_list::{self, CaseFilter};
use projections::{immigration_records, recipients};

use super::applicant::{label_for, problems_of, shown_answers, status_text};
use super::session::field;
use super::{
    ErrorItem, Page, PageError, PageForm, PagePath, PageQuery, Session, encode_query, see_other,
};
use crate::accounts;
use crate::bus::AppState;
use crate::http::error::ApiError;

/// Staff who work the case desk, each seeing what their role sees of a case (`domain::access`); an
/// administrator reads no application.
pub const CASE_DESK: [Role; 3] = [
    Role::Helpdesk,
    Role::ProgrammeOfficer,
    Role::InformationOfficer,
];
const PAGE_SIZE: i64 = 50;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/cases", get(cases))
        .route("/cases/{id}", get(case))
        .route("/cases/{id}/{action}", post(act))
        .route("/cases/{id}/letters/{number}", get(letter))
}

/// The corrections of an award's terms and of its completion outcome, oldest first, up to `as_of`: what was
/// corrected, the reason given, who corrected it and when. Read from the application's events, where the
/// reasons are kept (sealed with its personal data).
async fn award_corrections(
    state: &AppState,
    id: &str,
    as_of: Option<DateTime<Utc>>,
) -> Result<Vec<(&'static str, String, String, DateTime<Utc>)>, ApiError> {
    use cqrs_es::persist::PersistedEventRepository;
    use domain::application::{Application, ApplicationEvent};
    let events = state
        .repo
        .get_events::<Application>(id)
        .await
        .map_err(ApiError::internal)?;
    let mut corrections = Vec::new();
    for event in events {
        let what = match event.event_type.as_str() {
            "AwardTermsCorrected" => "Award terms",
            "CompletionOutcomeCorrected" => "Completion outcome",
            _ => continue,
        };
        let Some(metadata) = projections::EventMetadata::from_json(&json!(event.metadata)) else {
            continue;
        };
        if as_of.is_some_and(|as_of| metadata.at > as_of) {
            continue;
        }
        let reason = match serde_json::from_value::<ApplicationEvent>(event.payload) {
            Ok(ApplicationEvent::AwardTermsCorrected { reason, .. })
            | Ok(ApplicationEvent::CompletionOutcomeCorrected { reason, .. }) => {
                reason.known().cloned().unwrap_or_default()
            }
            _ => continue,
        };
        corrections.push((what, reason, metadata.actor_id, metadata.at));
    }
    Ok(corrections)
}

fn time(at: DateTime<Utc>) -> String {
    at.format("%-d %b %Y %H:%M UTC").to_string()
}

fn date(at: Option<DateTime<Utc>>) -> Option<String> {
    at.map(|at| at.format("%-d %b %Y").to_string())
}

#[derive(Deserialize, Default)]
struct CasesQuery {
    cycle: Option<String>,
    status: Option<String>,
    country: Option<String>,
    min_score: Option<String>,
    q: Option<String>,
    page: Option<i64>,
}

async fn cases(
    State(state): State<AppState>,
    session: Session,
    PageQuery(query): PageQuery<CasesQuery>,
) -> Result<Response, PageError> {
    session.require(&CASE_DESK)?;
    let clean = |value: &Option<String>| {
        value
            .as_ref()
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let page = query.page.unwrap_or(1).max(1);
    // The marks are not a filter for those who do not see them.
    let min_score = clean(&query.min_score)
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|_| view_of(session.actor.role, false).shows(Section::MeanScore));
    let filter = CaseFilter {
        cycle: clean(&query.cycle),
        status: clean(&query.status),
        country: clean(&query.country),
        min_score,
        text: clean(&query.q),
        assigned_to: None,
        limit: PAGE_SIZE,
        offset: (page - 1) * PAGE_SIZE,
    };
    let (rows, total) = case_list::search(&state.db, &filter).await?;
    // Every case the page names is a read of its applicant's personal data.
    let shown = view_of(session.actor.role, false);
    let read: Vec<&str> = rows.iter().map(|case| case.id.as_str()).collect();
    projections::access_log::record(
        &state.db,
        &read,
        &session.actor,
        projections::access_log::Through::CasesPage,
    )
    .await?;
    let rows: Vec<Value> = rows
        .iter()
        .map(|case| {
            json!({
                "id": case.id,
                "name": case.full_name.clone().unwrap_or_else(|| "(no name yet)".to_string()),
                "cycle": case.cycle,
                "status": Status::parse(&case.status).map(|s| s.to_string()).unwrap_or_else(|| case.status.clone()),
                "country": case.country_of_residence,
                "submitted": date(case.submitted_at),
                "mean_score": case.mean_score.filter(|_| shown.shows(Section::MeanScore)).map(|m| format!("{m:.1}")),
                "recheck": case.recheck_due && shown.shows(Section::Recheck),
            })
        })
        .collect();
    let statuses: Vec<Value> = Status::ALL
        .iter()
        .map(|s| json!({"value": s.as_str(), "label": s.to_string(), "selected": filter.status.as_deref() == Some(s.as_str())}))
        .collect();
    let keep = format!(
        "cycle={}&status={}&country={}&min_score={}&q={}",
        encode_query(filter.cycle.as_deref().unwrap_or("")),
        encode_query(filter.status.as_deref().unwrap_or("")),
        encode_query(filter.country.as_deref().unwrap_or("")),
        encode_query(&clean(&query.min_score).unwrap_or_default()),
        encode_query(filter.text.as_deref().unwrap_or("")),
    );
    let pages = (total + PAGE_SIZE - 1) / PAGE_SIZE;
    // A programme officer looking at one cycle is pointed to its conclusion, until it is concluded.
    let conclude_cycle = match filter.cycle.as_deref().map(domain::cycle::CycleName::parse) {
        Some(Ok(cycle)) if session.actor.role == Role::ProgrammeOfficer => {
            projections::cycles::conclusion(&state.db, cycle.as_str())
                .await?
                .is_none()
                .then(|| cycle.to_string())
        }
        _ => None,
    };
    // The officer's desk lists the progress reports overdue and those falling due within 30 days.
    let today = Utc::now().date_naive();
    let reports_due: Vec<Value> = if session.actor.role == Role::ProgrammeOfficer {
        projections::awards::reports_due_by(&state.db, today + chrono::Days::new(30))
            .await?
            .into_iter()
            .map(|due| {
                json!({
                    "id": due.application_id,
                    "short_id": short_id(&due.application_id),
                    "due_on": due.due_on.format("%-d %B %Y").to_string(),
                    "overdue": due.due_on < today,
                    "today": due.due_on == today,
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(Page::new("cases", "Cases", Some(&session))
        .data(json!({
            "reports_due": reports_due,
            "filter": {
                "cycle": filter.cycle, "country": filter.country, "q": filter.text,
                "min_score": clean(&query.min_score),
            },
            "statuses": statuses,
            "cases": rows,
            "total": total,
            "previous": (page > 1).then(|| format!("/cases?{keep}&page={}", page - 1)),
            "next": (page < pages).then(|| format!("/cases?{keep}&page={}", page + 1)),
            "page": page,
            "pages": pages.max(1),
            "conclude_cycle": conclude_cycle,
            "shows_marks": shown.shows(Section::MeanScore),
        }))
        .into_response())
}

#[derive(Deserialize, Default)]
struct CaseQuery {
    done: Option<String>,
    /// Time travel: the case as it stood at this moment (UTC), `2026-05-01T12:00` as a browser's
    /// date-and-time field sends it, or RFC 3339.
    as_of: Option<String>,
}

/// A moment as the time-travel field gives it (taken as UTC), or in RFC 3339.
fn parse_moment(raw: &str) -> Option<DateTime<Utc>> {
    let raw = raw.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(raw) {
        return Some(at.with_timezone(&Utc));
    }
    ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|format| chrono::NaiveDateTime::parse_from_str(raw, format).ok())
        .map(|at| at.and_utc())
}

async fn case(
    State(state): State<AppState>,
    session: Session,
    PagePath(id): PagePath<String>,
    PageQuery(query): PageQuery<CaseQuery>,
) -> Result<Response, PageError> {
    session.require(&CASE_DESK)?;
    let view = super::application_or_gone(&state.db, &id).await?;
    let notice = query
        .done
        .map(|done| format!("Done: {}.", done.replace('-', " ")));
    let Some(raw) = query.as_of.filter(|raw| !raw.trim().is_empty()) else {
        return case_page(
            &state,
            &session,
            &view,
            Vec::new(),
            notice,
            StatusCode::OK,
            None,
        )
        .await;
    };
    let Some(as_of) = parse_moment(&raw) else {
        let errors = vec![ErrorItem::new(
            "as_of",
            "Give a date and time, such as 2026-05-01 12:00",
        )];
        return case_page(
            &state,
            &session,
            &view,
            errors,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
        )
        .await;
    };
    match state
        .repo
        .application_as_of(&view.id, as_of)
        .await
        .map_err(ApiError::from)?
    {
        Some(past) => {
            case_page(
                &state,
                &session,
                &past,
                Vec::new(),
                None,
                StatusCode::OK,
                Some(as_of),
            )
            .await
        }
        None => {
            let notice = format!(
                "The application had not been started on {}; this is the case as it stands today.",
                time(as_of)
            );
            case_page(
                &state,
                &session,
                &view,
                Vec::new(),
                Some(notice),
                StatusCode::OK,
                None,
            )
            .await
        }
    }
}

/// One of the case's letters, as it was issued to the applicant.
async fn letter(
    State(state): State<AppState>,
    session: Session,
    PagePath((id, number)): PagePath<(String, String)>,
) -> Result<Response, PageError> {
    session.require(&CASE_DESK)?;
    if !view_of(session.actor.role, false).shows(Section::Letters) {
        return Err(PageError::Forbidden);
    }
    let view = super::application_or_gone(&state.db, &id).await?;
    projections::access_log::record(
        &state.db,
        &[view.id.as_str()],
        &session.actor,
        projections::access_log::Through::CasePage,
    )
    .await?;
    super::letters::document(
        &view,
        &number,
        session.actor.role,
        (&format!("/cases/{id}"), "Back to the case"),
    )
}

/// The names of the people who acted on a case, by account id.
async fn names(
    state: &AppState,
    ids: impl Iterator<Item = String>,
) -> Result<HashMap<String, String>, PageError> {
    let mut names = HashMap::new();
    for id in ids {
        if names.contains_key(&id) {
            continue;
        }
        let name = accounts::find(&state.db, &id)
            .await?
            .map(|account| account.full_name)
            .unwrap_or_else(|| "a former account".to_string());
        names.insert(id, name);
    }
    Ok(names)
}

fn event_description(event_type: &str) -> &str {
    match event_type {
        "ApplicationStarted" => "Application started",
        "DraftSaved" => "Draft saved",
        "ApplicationSubmitted" => "Application submitted",
        "PrivacyNoticeAccepted" => "Privacy notice accepted on submitting",
        "ApplicationWithdrawn" => "Application withdrawn",
        "PreferencesChanged" => "Preferences changed",
        "PersonalDataAmended" => "Personal data amended",
        "EligibilityDetermined" => "Eligibility determined",
        "ScreeningOverridden" => "Screening rules waived",
        "CommitteeMemberAssigned" => "Committee member assigned",
        "ConflictDeclared" => "Conflict of interest declared",
        "ApplicationScored" => "Scored",
        "EligibilityRecheckDue" => "Flagged: check eligibility and recipients again",
        "EligibilityRechecked" => "Eligibility and recipients checked again",
        "StatementOfDisputeRecorded" => {
            "The applicant's statement that their data is inaccurate kept"
        }
        "DecisionRecorded" => "Decision recorded",
        "ConcludedWithCycle" => "Unsuccessful: the cycle was concluded",
        "AwardMade" => "Award made",
        "AwardCompleted" => "Award completed",
        "AwardTermsCorrected" => "Award terms corrected",
        "CompletionOutcomeCorrected" => "Completion outcome corrected",
        "LetterIssued" => "Letter issued",
        "LetterEmailed" => "Letter emailed",
        "LetterEmailFailed" => "Letter could not be emailed",
        other => other,
    }
}

async fn case_page(
    state: &AppState,
    session: &Session,
    view: &ApplicationView,
    errors: Vec<ErrorItem>,
    notice: Option<String>,
    status: StatusCode,
    as_of: Option<DateTime<Utc>>,
) -> Result<Response, PageError> {
    let role = session.actor.role;
    let shown = view_of(role, false);
    projections::access_log::record(
        &state.db,
        &[view.id.as_str()],
        &session.actor,
        projections::access_log::Through::CasePage,
    )
    .await?;
    let history = state
        .repo
        .history(
            <domain::application::Application as cqrs_es::Aggregate>::TYPE,
            &view.id,
        )
        .await
        .map_err(ApiError::from)?;
    let mut people: Vec<String> = history
        .iter()
        .map(|entry| entry.metadata.actor_id.clone())
        .collect();
    people.extend(view.committee.iter().map(|m| m.member_id.clone()));
    let members = if role == Role::ProgrammeOfficer {
        accounts::with_role(&state.db, Role::CommitteeMember).await?
    } else {
        Vec::new()
    };
    let names = names(state, people.into_iter()).await?;
    let name = |id: &str| {
        names
            .get(id)
            .cloned()
            .unwrap_or_else(|| "a former account".to_string())
    };

    // The whole history for those who see it; the amendments' for those who see only those.
    let timeline: Vec<Value> = history
        .iter()
        .filter(|entry| as_of.is_none_or(|as_of| entry.metadata.at <= as_of))
        .filter(|entry| {
            shown.shows(Section::Timeline)
                || (shown.shows(Section::Amendments) && entry.event_type == "PersonalDataAmended")
        })
        .rev()
        .map(|entry| {
            json!({
                "at": time(entry.metadata.at),
                "what": event_description(&entry.event_type),
                "who": name(&entry.metadata.actor_id),
                "role": entry.metadata.actor_role.to_string().replace('_', " "),
            })
        })
        .collect();
    let committee: Vec<Value> = view
        .committee
        .iter()
        .map(|member| {
            json!({
                "name": name(&member.member_id),
                "conflict": member.conflict.as_ref().map(|c| c.reason.clone().unwrap_or_default()),
                "scores": member.scores,
                "total": member.scores.as_ref().map(|s| s.total()),
            })
        })
        .collect();
    let amendments: Vec<Value> = view
        .amendments
        .iter()
        .map(|amendment| {
            json!({
                "fields": amendment.fields.iter().map(|f| label_for(&f.path())).collect::<Vec<_>>().join(", "),
                "reason": amendment.reason,
                "requested_by": amendment.requested_by,
                "by": name(&amendment.recorded_by),
                "at": time(amendment.at),
            })
        })
        .collect();
    let corrections = if shown.shows(Section::Award) && view.award.is_some() {
        award_corrections(state, &view.id, as_of)
            .await?
            .into_iter()
            .map(|(what, reason, by, at)| {
                json!({"what": what, "reason": reason, "by": name(&by), "at": time(at)})
            })
            .collect()
    } else {
        Vec::new()
    };
    let immigration = if role == Role::ProgrammeOfficer {
        immigration_records::for_application(&state.db, &view.id).await?
    } else {
        Vec::new()
    };
    let personal: Vec<Value> = PersonalField::ALL
        .iter()
        .map(|field| {
            json!({
                "id": super::field_id(&format!("amendments_{}", field.path())),
                "name": field.path(),
                "label": label_for(&field.path()),
                "value": view.form.personal.get(*field),
            })
        })
        .collect();
    let po = role == Role::ProgrammeOfficer;
    let sees_disclosures = po || role == Role::InformationOfficer;
    let register = if po {
        recipients::list(&state.db).await?
    } else {
        Vec::new()
    };
    let disclosures: Vec<Value> = view
        .disclosures
        .iter()
        .map(|d| {
            json!({
                "at": time(d.at),
                "recipient": d.recipient_name,
                "kind": d.kind.describe(),
                "purpose": d.purpose,
                "fields": d.fields.iter().map(|f| disclosable_label(f)).collect::<Vec<_>>().join(", "),
                "by": name(&d.disclosed_by),
            })
        })
        .collect();
    let refusals: Vec<Value> = view
        .refused_disclosures
        .iter()
        .map(|r| {
            json!({
                "at": time(r.at),
                "recipient": r.recipient_name,
                "reason": r.reason,
                "by": name(&r.asked_by),
            })
        })
        .collect();
    let notices: Vec<Value> = view
        .rectification_notices
        .iter()
        .map(|n| {
            json!({
                "recipient_id": n.recipient_id,
                "recipient": n.recipient_name,
                "fields": n.fields.iter().map(|f| disclosable_label(f)).collect::<Vec<_>>().join(", "),
                "raised_at": time(n.raised_at),
                "sent_at": n.sent_at.map(time),
                "open": n.sent_at.is_none(),
            })
        })
        .collect();
    // The past is read, not acted on: no action is offered on a case shown as it stood.
    let acting = as_of.is_none();
    let po = po && acting;
    let actions = json!({
        "eligibility": po && view.status == Status::Submitted,
        "screening": (po && view.status == Status::Draft).then(|| {
            domain::screening::ScreeningRule::ALL
                .iter()
                .map(|rule| json!({
                    "value": rule.as_str(),
                    "label": screening_rule_label(*rule),
                    "id": super::field_id(&format!("screening_{}", rule.as_str())),
                }))
                .collect::<Vec<_>>()
        }),
        "assign": (po && matches!(view.status, Status::Eligible | Status::UnderReview)).then(|| {
            members
                .iter()
                .filter(|m| !view.committee.iter().any(|c| c.member_id == m.id))
                .map(|m| json!({"id": m.id, "name": m.full_name}))
                .collect::<Vec<_>>()
        }),
        "decision": po && matches!(view.status, Status::UnderReview | Status::Reserve),
        "award": po && view.status == Status::Selected,
        "complete": po && view.status == Status::Awarded,
        "immigration": po && view.status == Status::Awarded,
        "preferences": (po && view.status != Status::Withdrawn).then_some(view.form.preferences),
        "amend": (acting && role == Role::Helpdesk && view.submitted_at.is_some()).then_some(personal),
        "sponsors": register
            .iter()
            .filter(|r| r.kind == RecipientKind::JointSponsor)
            .map(|r| json!({"id": r.id, "label": format!("{} ({})", r.name, r.country)}))
            .collect::<Vec<_>>(),
        "disclose": (po && !matches!(view.status, Status::Draft | Status::Withdrawn)).then(|| json!({
            "disclosure_id": uuid::Uuid::now_v7().to_string(),
            "registered": !register.is_empty(),
            "recipients": crate::http::sharing::permitted_recipients(view, &register).iter().map(|r| json!({
                "id": r.id, "label": recipient_label(r),
            })).collect::<Vec<_>>(),
            "fields": DISCLOSABLE_FIELDS.iter().map(|f| json!({
                "value": f, "label": disclosable_label(f), "id": super::field_id(&format!("disclose_{f}")),
            })).collect::<Vec<_>>(),
        })),
    });
    let award = view.award.as_ref().map(|award| {
        json!({
            "terms": award.terms,
            "country": award.terms.as_ref().map(AwardTerms::country_of_study),
            "joint_sponsor_id": award.joint_sponsor_id,
            "awarded_at": time(award.awarded_at),
            "completed_on": award.completed_on,
            "outcome": award.completion_outcome,
        })
    });
    Ok(Page::new("case", format!("Case {}", short_id(&view.id)), Some(session))
        .data(json!({
            "application": {
                "id": view.id,
                "short_id": short_id(&view.id),
                "cycle": view.cycle,
                "status": view.status.to_string(),
                "status_text": status_text(view.status),
                "name": view.form.personal.full_name,
                "submitted": date(view.submitted_at),
            },
            "sections": shown_answers(view, &shown),
            // The award's own page: the offer, supervisor, progress reports and result.
            "award_page": session.actor.role == Role::ProgrammeOfficer
                && (matches!(view.status, Status::Selected | Status::Awarded | Status::Alumni)
                    || view.administration.offer.is_some()),
            "shows_record": shown.shows(Section::Eligibility),
            "shows_timeline": shown.shows(Section::Timeline) || shown.shows(Section::Amendments),
            "screening_overrides": view.screening_overrides.iter().filter(|_| shown.shows(Section::ScreeningOverrides)).map(|o| json!({
                "rules": o.rules.iter().map(|r| screening_rule_label(*r)).collect::<Vec<_>>().join(", "),
                "reason": o.reason, "by": name(&o.overridden_by), "at": time(o.overridden_at),
            })).collect::<Vec<_>>(),
            "eligibility": view.eligibility.as_ref().map(|e| json!({
                "eligible": e.eligible, "reason": e.reason, "by": name(&e.determined_by), "at": time(e.determined_at),
            })),
            "committee": if shown.shows(Section::Committee) { committee } else { Vec::new() },
            "mean_score": view.mean_score().filter(|_| shown.shows(Section::MeanScore)).map(|m| format!("{m:.1}")),
            "decision": view.decision.as_ref().map(|d| json!({
                "outcome": d.outcome.as_str(), "by": name(&d.decided_by), "at": time(d.decided_at),
            })),
            "award": award.filter(|_| shown.shows(Section::Award)),
            "letters": if shown.shows(Section::Letters) { super::letters::listed(view, &format!("/cases/{}", view.id)) } else { Default::default() },
            "amendments": amendments,
            "corrections": corrections,
            "immigration": immigration,
            "show_immigration": po,
            "sees_disclosures": sees_disclosures,
            "disclosures": disclosures,
            "refusals": refusals,
            "notices": if shown.shows(Section::RectificationNotices) { notices } else { Vec::new() },
            "can_mark_notices": po,
            // Nationality or residence amended after eligibility was decided: to be checked again.
            "recheck": view.recheck.as_ref().filter(|_| shown.shows(Section::Recheck)).map(|r| json!({
                "fields": r.fields.iter().map(|f| match f {
                    PersonalField::Nationality => "nationality",
                    PersonalField::CountryOfResidence => "country of residence",
                    _ => "personal details",
                }).collect::<Vec<_>>().join(" and "),
                "plural": r.fields.len() > 1,
                "since": time(r.since),
                "can_record": po && as_of.is_none(),
            })),
            // The subject's view that their data is inaccurate, kept when a rectification was refused.
            "statements": if shown.shows(Section::StatementsOfDispute) {
                view.statements_of_dispute.iter().map(|s| json!({
                    "request_id": s.request_id,
                    "statement": s.statement,
                    "recorded_at": time(s.recorded_at),
                })).collect::<Vec<_>>()
            } else { Vec::new() },
            "timeline": timeline,
            "actions": actions,
            // A progress report fallen due and not recorded: the reminder shown on the case.
            "reports_fallen_due": (po && view.status == Status::Awarded).then(|| {
                let terms = view.award.as_ref().and_then(|award| award.terms.as_ref());
                view.administration
                    .outstanding(terms)
                    .into_iter()
                    .filter(|due| *due <= Utc::now().date_naive())
                    .map(|due| due.format("%-d %B %Y").to_string())
                    .collect::<Vec<_>>()
            }).filter(|dates| !dates.is_empty()),
            // The outcome the released result implies, the completion form's starting value.
            "complete_outcome": view.administration.result.as_ref()
                .and_then(|r| r.result.as_ref())
                .map(|r| r.outcome()),
            "as_of": as_of.map(time),
            // A member who declared a conflict no longer counts: the officer is asked to assign another.
            "reassign": po
                && matches!(view.status, Status::Eligible | Status::UnderReview)
                && view.committee.iter().any(|member| member.conflict.is_some()),
            "as_of_value": as_of.map(|at| at.format("%Y-%m-%dT%H:%M").to_string()),
        }))
        .errors(errors)
        .notice(notice)
        .status(status)
        .into_response())
}

/// A recipient in words: its name, its kind, and where it stands and whom it represents.
fn recipient_label(recipient: &recipients::RecipientView) -> String {
    let mut about = vec![
        recipient.kind.describe().to_string(),
        recipient.country.clone(),
    ];
    if let Some(represents) = &recipient.represents {
        about.push(format!("represents {represents}"));
    }
    if let Some(located_in) = &recipient.located_in {
        about.push(format!("in {located_in}"));
    }
    format!("{} ({})", recipient.name, about.join(", "))
}

/// A disclosable field in words.
fn disclosable_label(path: &str) -> String {
    match path {
        "cycle" => "Cycle".to_string(),
        "status" => "Status".to_string(),
        "courses" => "Course choices".to_string(),
        "award.institution" => "Award: institution".to_string(),
        "award.course" => "Award: course".to_string(),
        "award.level" => "Award: level".to_string(),
        "award.start_date" => "Award: start date".to_string(),
        other => label_for(other),
    }
}

pub(crate) fn short_id(id: &str) -> String {
    id.chars()
        .rev()
        .take(8)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect()
}

/// One action of the lifecycle, posted from the case page. A refusal shows the case again with the reason.
async fn act(
    State(state): State<AppState>,
    session: Session,
    PagePath((id, action)): PagePath<(String, String)>,
    PageForm(form): PageForm,
) -> Result<Response, PageError> {
    session.check_csrf(&form)?;
    session.require(&CASE_DESK)?;
    let view = super::application_or_gone(&state.db, &id).await?;
    let actor = session.actor.clone();
    // Only a programme officer discloses or awards: anyone else is told so before the form is read.
    if matches!(action.as_str(), "disclosures" | "award") {
        session.require(&[Role::ProgrammeOfficer])?;
    }
    let parsed = if action == "disclosures" {
        disclosure_command(&state, &form).await?
    } else if action == "award" {
        match award_sponsor_is_registered(&state, &form).await? {
            Ok(()) => parse_action(&action, &form, &view),
            Err(refused) => Err(refused),
        }
    } else {
        parse_action(&action, &form, &view)
    };
    let result = match parsed {
        Err(errors) => Err(errors),
        Ok(Command::Application(command)) => state
            .execute_application(&id, &actor, command)
            .await
            .map_err(|error| refusal(&action, error)),
        Ok(Command::Immigration(command)) => {
            let record_id = uuid::Uuid::now_v7().to_string();
            record_immigration(&state, &actor, &record_id, command, &action).await
        }
    };
    let result = match (result, &parsed_disclosure_id(&form, &action)) {
        (Ok(()), Some(disclosure_id)) => refused_disclosure(&state, &id, disclosure_id).await?,
        (result, _) => result,
    };
    match result {
        Ok(()) => Ok(see_other(&format!("/cases/{id}?done={action}"), &[])),
        Err(Refused::Shown(errors, status)) => {
            let view = super::application_or_gone(&state.db, &id).await?;
            case_page(&state, &session, &view, errors, None, status, None).await
        }
        Err(Refused::Page(error)) => Err(error),
    }
}

/// The id a disclosure form was given when it was shown, so the outcome can be found afterwards.
fn parsed_disclosure_id(form: &[(String, String)], action: &str) -> Option<String> {
    (action == "disclosures")
        .then(|| field(form, "disclosure_id").map(str::to_string))
        .flatten()
        .filter(|id| projections::db::is_plausible_id(id))
}

/// A disclosure the sharing rule refused is recorded as such; the officer is shown why.
async fn refused_disclosure(
    state: &AppState,
    id: &str,
    disclosure_id: &str,
) -> Result<Result<(), Refused>, PageError> {
    let view = super::application_or_gone(&state.db, id).await?;
    Ok(
        match view
            .refused_disclosures
            .iter()
            .find(|r| r.disclosure_id == disclosure_id)
        {
            Some(refused) => Err(Refused::Shown(
                vec![ErrorItem::new(
                    "disclosures",
                    format!(
                        "Sharing is not permitted: {}. The refusal has been recorded.",
                        refused.reason
                    ),
                )],
                StatusCode::FORBIDDEN,
            )),
            None => Ok(()),
        },
    )
}

/// The joint sponsor chosen for an award is a joint sponsor of the register.
async fn award_sponsor_is_registered(
    state: &AppState,
    form: &[(String, String)],
) -> Result<Result<(), Refused>, PageError> {
    let sponsor = text(form, "joint_sponsor_id");
    match crate::http::sharing::check_joint_sponsor(
        state,
        (!sponsor.is_empty()).then_some(&*sponsor),
    )
    .await
    {
        Ok(()) => Ok(Ok(())),
        Err(error) if error.status == StatusCode::UNPROCESSABLE_ENTITY => Ok(Err(Refused::Shown(
            vec![ErrorItem::new(
                "award_joint_sponsor_id",
                "Choose the joint sponsor from the register, or none",
            )],
            StatusCode::UNPROCESSABLE_ENTITY,
        ))),
        Err(error) => Err(error.into()),
    }
}

/// A disclosure posted from the case page: the recipient, the purpose and the fields ticked, confirmed.
async fn disclosure_command(
    state: &AppState,
    form: &[(String, String)],
) -> Result<Result<Command, Refused>, PageError> {
    if field(form, "confirm").is_none() {
        return Ok(Err(Refused::Shown(
            vec![ErrorItem::new(
                "disclosures_confirm",
                "Confirm that this recipient needs these fields for the purpose given before disclosing",
            )],
            StatusCode::UNPROCESSABLE_ENTITY,
        )));
    }
    let recipient = match recipients::find(&state.db, &text(form, "recipient_id"))
        .await?
        .and_then(|r| r.facts())
    {
        Some(recipient) => recipient,
        None => {
            return Ok(Err(Refused::Shown(
                vec![ErrorItem::new(
                    "disclosures_recipient",
                    "Choose a recipient from the register",
                )],
                StatusCode::UNPROCESSABLE_ENTITY,
            )));
        }
    };
    let Some(disclosure_id) = parsed_disclosure_id(form, "disclosures") else {
        return Err(PageError::BadRequest);
    };
    let fields: Vec<String> = form
        .iter()
        .filter(|(key, _)| key == "fields")
        .map(|(_, value)| value.clone())
        .collect();
    Ok(Ok(Command::Application(ApplicationCommand::DiscloseData {
        disclosure_id,
        recipient,
        purpose: text(form, "purpose"),
        fields,
    })))
}

async fn record_immigration(
    state: &AppState,
    actor: &Actor,
    record_id: &str,
    command: ImmigrationCommand,
    action: &str,
) -> Result<(), Refused> {
    state
        .execute_immigration(record_id, actor, command)
        .await
        .map_err(|error| refusal(action, error))
}

enum Command {
    Application(ApplicationCommand),
    Immigration(ImmigrationCommand),
}

enum Refused {
    Shown(Vec<ErrorItem>, StatusCode),
    Page(PageError),
}

/// A refusal of the rules, shown on the case page; anything else is an error page.
fn refusal(action: &str, error: impl Into<ApiError>) -> Refused {
    let error: ApiError = error.into();
    match error.status {
        StatusCode::UNPROCESSABLE_ENTITY | StatusCode::CONFLICT => {
            let problems = problems_of(&error);
            let mut errors: Vec<ErrorItem> = problems
                .iter()
                .map(|(path, problem)| {
                    ErrorItem::new(
                        &format!("{action}_{path}"),
                        format!("{} {problem}", label_for(path)),
                    )
                })
                .collect();
            if let Some(fields) = error.extra.get("fields").and_then(Value::as_array) {
                let fields: Vec<String> = fields
                    .iter()
                    .filter_map(Value::as_str)
                    .map(label_for)
                    .collect();
                errors.push(ErrorItem::new(
                    action,
                    format!("{}: {}", error.message, fields.join(", ")),
                ));
            }
            if errors.is_empty() {
                errors.push(ErrorItem::new(action, super::capitalise(&error.message)));
            }
            Refused::Shown(errors, error.status)
        }
        _ => Refused::Page(error.into()),
    }
}

fn text(form: &[(String, String)], name: &str) -> String {
    field(form, name).unwrap_or_default().trim().to_string()
}

fn parse_date(
    form: &[(String, String)],
    name: &str,
    action: &str,
    errors: &mut Vec<ErrorItem>,
) -> Option<NaiveDate> {
    let parsed = NaiveDate::parse_from_str(&text(form, name), "%Y-%m-%d").ok();
    if parsed.is_none() {
        errors.push(ErrorItem::new(
            &format!("{action}_{name}"),
            "Enter a date written YYYY-MM-DD",
        ));
    }
    parsed
}

fn parse_action(
    action: &str,
    form: &[(String, String)],
    view: &ApplicationView,
) -> Result<Command, Refused> {
    let mut errors = Vec::new();
    let command = match action {
        "eligibility" => match field(form, "eligible") {
            Some(answer) => Command::Application(ApplicationCommand::DetermineEligibility {
                eligible: answer == "yes",
                reason: text(form, "reason"),
            }),
            None => {
                errors.push(ErrorItem::new(
                    "eligibility_eligible",
                    "Say whether the applicant is eligible",
                ));
                return Err(Refused::Shown(errors, StatusCode::UNPROCESSABLE_ENTITY));
            }
        },
        "screening-override" => {
            let rules: Vec<domain::screening::ScreeningRule> = form
                .iter()
                .filter(|(name, _)| name == "rules")
                .filter_map(|(_, value)| domain::screening::ScreeningRule::parse(value))
                .collect();
            let reason = text(form, "reason");
            if rules.is_empty() {
                errors.push(ErrorItem::new(
                    "screening_rules",
                    "Choose the rules to waive",
                ));
            }
            if reason.is_empty() {
                errors.push(ErrorItem::new(
                    "screening_reason",
                    "Give the reason for the override",
                ));
            }
            if !errors.is_empty() {
                return Err(Refused::Shown(errors, StatusCode::UNPROCESSABLE_ENTITY));
            }
            Command::Application(ApplicationCommand::OverrideScreening { rules, reason })
        }
        "assignments" => Command::Application(ApplicationCommand::AssignCommitteeMember {
            member_id: text(form, "committee_member_id"),
        }),
        "decision" => match Outcome::parse(&text(form, "outcome")) {
            Some(outcome) => Command::Application(ApplicationCommand::RecordDecision {
                outcome,
                reserve_position: None,
            }),
            None => {
                errors.push(ErrorItem::new(
                    "decision_outcome",
                    "Choose selected, reserve or unsuccessful",
                ));
                return Err(Refused::Shown(errors, StatusCode::UNPROCESSABLE_ENTITY));
            }
        },
        "award" => {
            let start_date = parse_date(form, "start_date", action, &mut errors);
            let terms = [
                ("institution", "Institution"),
                ("course", "Course"),
                ("level", "Level of study"),
            ]
            .map(|(name, label)| {
                let value = text(form, name);
                if value.is_empty() {
                    errors.push(ErrorItem::new(
                        &format!("award_{name}"),
                        format!("Enter the {}", label.to_lowercase()),
                    ));
                }
                value
            });
            let Some(start_date) = start_date.filter(|_| errors.is_empty()) else {
                return Err(Refused::Shown(errors, StatusCode::UNPROCESSABLE_ENTITY));
            };
            let [institution, course, level] = terms;
            let country_name = text(form, "country");
            let country = if country_name.is_empty() {
                Some(Country::united_kingdom())
            } else {
                Country::parse(&country_name)
            };
            let Some(country) = country else {
                errors.push(ErrorItem::new(
                    "award_country",
                    "Enter the country of study by its English short name, such as United Kingdom",
                ));
                return Err(Refused::Shown(errors, StatusCode::UNPROCESSABLE_ENTITY));
            };
            let sponsor = text(form, "joint_sponsor_id");
            Command::Application(ApplicationCommand::MakeAward {
                terms: AwardTerms {
                    institution,
                    course,
                    level,
                    start_date,
                    country: Some(country),
                },
                joint_sponsor_id: (!sponsor.is_empty()).then_some(sponsor),
            })
        }
        "complete" => {
            let completed_on = parse_date(form, "completed_on", action, &mut errors);
            let outcome = text(form, "outcome");
            // Left empty, the outcome is the result the institution released, where one is recorded.
            let released = view
                .administration
                .result
                .as_ref()
                .is_some_and(|r| r.result.is_some());
            if outcome.is_empty() && !released {
                errors.push(ErrorItem::new(
                    "complete_outcome",
                    "Enter the degree outcome",
                ));
            }
            let Some(completed_on) = completed_on.filter(|_| errors.is_empty()) else {
                return Err(Refused::Shown(errors, StatusCode::UNPROCESSABLE_ENTITY));
            };
            Command::Application(ApplicationCommand::CompleteAward {
                outcome,
                completed_on,
            })
        }
        "preferences" => {
            let flag = |name: &str| field(form, name).is_some();
            Command::Application(ApplicationCommand::SetPreferences {
                preferences: Preferences {
                    networking_opt_out: flag("networking_opt_out"),
                    alumni_email_opt_out: flag("alumni_email_opt_out"),
                    alumni_book_opt_out: flag("alumni_book_opt_out"),
                    images_opt_out: flag("images_opt_out"),
                },
                reason: Some(text(form, "reason")),
            })
        }
        "immigration-records" => {
            let Some(issued_on) = parse_date(form, "issued_on", action, &mut errors) else {
                return Err(Refused::Shown(errors, StatusCode::UNPROCESSABLE_ENTITY));
            };
            Command::Immigration(ImmigrationCommand::RecordImmigrationDocument {
                application_id: view.id.clone(),
                applicant_id: view.applicant_id.clone(),
                application_status: view.status,
                kind: text(form, "kind"),
                reference: text(form, "reference"),
                issued_on,
            })
        }
        "recheck" => Command::Application(ApplicationCommand::RecordRecheck {
            note: text(form, "note"),
        }),
        "rectification-notices" => {
            Command::Application(ApplicationCommand::MarkRectificationNoticeSent {
                recipient_id: text(form, "recipient_id"),
            })
        }
        "amendments" => {
            // Only the fields whose value changes are sent; the others stay as they are.
            let changes: Vec<(String, String)> = PersonalField::ALL
                .iter()
                .filter_map(|f| {
                    let posted = text(form, &f.path());
                    (view.form.personal.get(*f).map(String::as_str) != Some(posted.as_str()))
                        .then(|| (f.path(), posted))
                })
                .collect();
            Command::Application(ApplicationCommand::AmendPersonalData {
                changes,
                reason: text(form, "reason"),
                requested_by: text(form, "requested_by"),
            })
        }
        _ => return Err(Refused::Page(PageError::NotFound)),
    };
    Ok(command)
}

/// A rule of the screening as the case page names it.
fn screening_rule_label(rule: domain::screening::ScreeningRule) -> &'static str {
    use domain::screening::ScreeningRule as R;
    match rule {
        R::EligibleNationality => "An eligible nationality",
        R::UndergraduateDegree => "An undergraduate degree",
        R::WorkExperience => "Enough work experience",
        R::ReturnHomeCommitment => "The commitment to return home",
    }
}
