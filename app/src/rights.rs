//! Carrying out the rights requests an information officer decides — rectification, erasure, restriction
//! and objection — for the API and the requests desk alike.
//!
//! Each follows the same course: the request is checked to be of the right kind and still unanswered; the
//! decision is recorded on the request (the domain checks it: once, with a reason); what it grants is done
//! to the subject's cases through their own commands (an amendment, a restriction, the opt-outs, the
//! destruction retention does); and the response saying what was done is issued and kept with the request.
//! Rectification is the one exception to that order: the correction is made first, so that a value the
//! amendment path refuses leaves nothing recorded.
//!
//! A decision recorded but not yet answered (the service stopped between the two) is carried out again
//! from what was recorded when the officer next acts on the request: every step is idempotent.

use chrono::Utc;
use serde_json::{Value, json};

use domain::Actor;
use domain::application::ApplicationCommand;
use domain::application::form::PersonalField;
use domain::request::{
    FoiGround, ObjectedUse, RequestCommand, RequestError, RequestKind, exemptions, opt_outs_for,
};
use projections::application_view::{self, ApplicationView};
use projections::information_requests::RequestView;

use crate::bus::AppState;
use crate::error::AppError;

pub use crate::subjects::subject_applications;

/// The subject's applications as they now stand, in id order.
async fn subject_cases(state: &AppState, email: &str) -> Result<Vec<ApplicationView>, AppError> {
    let mut views = Vec::new();
    for id in subject_applications(&state.db, email).await? {
        if let Some(view) = application_view::find(&state.db, &state.repo, &id).await? {
            views.push(view);
        }
    }
    Ok(views)
}

fn record_name(view: &ApplicationView) -> String {
    crate::letters::application_in_words(&view.cycle)
}

/// The request, if it is of this kind and not yet answered.
async fn open_request(
    state: &AppState,
    id: &str,
    expected: RequestKind,
) -> Result<RequestView, AppError> {
    let view = request(state, id).await?;
    if view.kind != expected {
        return Err(RequestError::WrongKind {
            expected: expected.in_words(),
            kind: view.kind.in_words(),
        }
        .into());
    }
    if view.responded_on.is_some() {
        return Err(RequestError::AlreadyAnswered.into());
    }
    Ok(view)
}

/// The email address of the person the request is about; a right granted needs one.
fn subject_of(view: &RequestView) -> Result<String, AppError> {
    view.subject_email.clone().ok_or_else(|| {
        AppError::invalid_field(
            "subject_email",
            &format!(
                "{} request names whose data it is about; log the request again with the subject's email",
                view.kind.in_words()
            ),
        )
    })
}

async fn answer(
    state: &AppState,
    actor: &Actor,
    id: &str,
    response: Value,
) -> Result<(), AppError> {
    state
        .execute_request(id, actor, RequestCommand::IssueResponse { response })
        .await
}

/// Erasure (Art 17): approved, the subject's records are destroyed as retention destroys them, except an
/// award or a record under a legal hold; refused, the response gives the reason.
pub async fn decide_erasure(
    state: &AppState,
    actor: &Actor,
    id: &str,
    approve: bool,
    reason: &str,
) -> Result<(), AppError> {
    let view = open_request(state, id, RequestKind::Erasure).await?;
    let (approved, reason) = match &view.erasure {
        Some(decided) => (decided.approved, decided.reason.clone().unwrap_or_default()),
        None => {
            if approve {
                subject_of(&view)?;
            }
            let command = RequestCommand::DecideErasure {
                approve,
                reason: reason.to_string(),
            };
            state.execute_request(id, actor, command).await?;
            (approve, reason.trim().to_string())
        }
    };
    let response = if approved {
        crate::retention::erase(state, &subject_of(&view)?, Utc::now().date_naive())
            .await
            .map_err(AppError::internal)?
    } else {
        json!({"erasure": "refused", "reason": reason})
    };
    answer(state, actor, id, response).await
}

/// What the officer decided on a rectification request.
pub struct Rectification {
    pub rectify: bool,
    pub application_id: Option<String>,
    /// Contract paths (`personal.phone`) and their corrected values.
    pub changes: Vec<(String, String)>,
    pub reason: String,
    /// Refused: the subject's statement that the data is inaccurate, kept with each of their applications.
    pub statement: Option<String>,
}

/// Rectification (Art 16): the subject's application is corrected through the Help Desk's amendment path —
/// the same fields amendable, the same checks — and each recipient who was sent an old value is listed to
/// be told (the case desk shows the notices until they are sent). Refused, the response gives the reason;
/// with the subject's statement, the statement is kept with each of their applications (staff see it on the
/// case, and every later subject access request includes it), and the response says so.
pub async fn decide_rectification(
    state: &AppState,
    actor: &Actor,
    id: &str,
    decision: Rectification,
) -> Result<(), AppError> {
    let view = open_request(state, id, RequestKind::Rectification).await?;
    if let Some(decided) = &view.rectification {
        // Recorded but not answered: answer from what was recorded.
        let response = match &decided.application_id {
            Some(application_id) if decided.granted => {
                let case = application_view::find(&state.db, &state.repo, application_id).await?;
                let told = case
                    .as_ref()
                    .map(|case| recipients_holding(case, &decided.fields))
                    .unwrap_or_default();
                rectified(
                    application_id,
                    case.as_ref().map(|case| case.cycle.as_str()),
                    &decided.fields,
                    told,
                    decided.reason.as_deref(),
                )
            }
            _ => {
                let kept = match &view.subject_email {
                    Some(email) => subject_cases(state, email).await?.iter().any(|case| {
                        case.statements_of_dispute
                            .iter()
                            .any(|kept| kept.request_id == id)
                    }),
                    None => false,
                };
                refused_rectification(decided.reason.as_deref().unwrap_or_default(), kept)
            }
        };
        return answer(state, actor, id, response).await;
    }
    if !decision.rectify {
        let statement = decision
            .statement
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let mut kept = false;
        if let Some(statement) = statement {
            // The statement is kept first, so that a refusal recorded always has its statement with it;
            // keeping it again for the same request records nothing more.
            if decision.reason.trim().is_empty() {
                return Err(AppError::invalid_field(
                    "reason",
                    "say why the data is not corrected",
                ));
            }
            let email = subject_of(&view)?;
            let cases = subject_cases(state, &email).await?;
            if cases.is_empty() {
                // A statement is kept with the subject's applications; with none, it would be kept nowhere.
                return Err(AppError::invalid_field(
                    "statement",
                    "the subject has no application to keep a statement with: refuse without one, and say in the reason that no record about them is held",
                ));
            }
            for case in cases {
                let command = ApplicationCommand::RecordStatementOfDispute {
                    request_id: id.to_string(),
                    statement: statement.to_string(),
                };
                state.execute_application(&case.id, actor, command).await?;
                kept = true;
            }
        }
        let command = RequestCommand::DecideRectification {
            rectify: false,
            application_id: None,
            fields: Vec::new(),
            reason: decision.reason.clone(),
        };
        state.execute_request(id, actor, command).await?;
        return answer(
            state,
            actor,
            id,
            refused_rectification(decision.reason.trim(), kept),
        )
        .await;
    }
    let email = subject_of(&view)?;
    let application_id = decision
        .application_id
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .ok_or_else(|| {
            AppError::invalid_field("application_id", "choose the application to correct")
        })?
        .to_string();
    if !subject_applications(&state.db, &email)
        .await?
        .contains(&application_id)
    {
        return Err(AppError::invalid_field(
            "application_id",
            "is not an application of the person this request is about",
        ));
    }
    if decision.reason.trim().is_empty() {
        return Err(AppError::invalid_field(
            "reason",
            "say why the data is corrected",
        ));
    }
    let before = application_view::find(&state.db, &state.repo, &application_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let amendment = ApplicationCommand::RectifyPersonalData {
        request_id: id.to_string(),
        changes: decision.changes.clone(),
        reason: decision.reason.clone(),
    };
    state
        .execute_application(&application_id, actor, amendment)
        .await?;
    let after = application_view::find(&state.db, &state.repo, &application_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let fields: Vec<String> = PersonalField::ALL
        .into_iter()
        .filter(|field| before.form.personal.get(*field) != after.form.personal.get(*field))
        .map(PersonalField::path)
        .collect();
    let told = recipients_to_notify(&after, before.version);
    let command = RequestCommand::DecideRectification {
        rectify: true,
        application_id: Some(application_id.clone()),
        fields: fields.clone(),
        reason: decision.reason.clone(),
    };
    state.execute_request(id, actor, command).await?;
    let response = rectified(
        &application_id,
        Some(after.cycle.as_str()),
        &fields,
        told,
        Some(decision.reason.trim()),
    );
    answer(state, actor, id, response).await
}

/// The recipients still to be told of a correction to any of these fields.
fn recipients_holding(case: &ApplicationView, fields: &[String]) -> Value {
    json!(
        case.rectification_notices
            .iter()
            .filter(|notice| notice.fields.iter().any(|f| fields.contains(f)))
            .map(|notice| json!({
                "recipient_id": notice.recipient_id,
                "recipient_name": notice.recipient_name,
                "fields": notice.fields,
            }))
            .collect::<Vec<_>>()
    )
}

fn rectified(
    application_id: &str,
    cycle: Option<&str>,
    fields: &[String],
    mut told: Value,
    reason: Option<&str>,
) -> Value {
    let in_words = |fields: &[Value]| {
        fields
            .iter()
            .filter_map(Value::as_str)
            .map(field_in_words)
            .collect::<Vec<_>>()
    };
    if let Some(recipients) = told.as_array_mut() {
        for recipient in recipients {
            let what = in_words(
                recipient["fields"]
                    .as_array()
                    .map_or(&[][..], Vec::as_slice),
            );
            recipient["fields_in_words"] = json!(what);
        }
    }
    let fields_in_words: Vec<String> = fields.iter().map(|f| field_in_words(f)).collect();
    json!({
        "rectification": "made",
        "application_id": application_id,
        "record": cycle.map(crate::letters::application_in_words),
        "fields": fields,
        "fields_in_words": fields_in_words,
        "recipients_told": told,
        "reason": reason,
    })
}

/// A field of the form as a letter names it: "postal address", not `personal.address`.
fn field_in_words(path: &str) -> String {
    let label = crate::labels::label_for(path);
    let mut chars = label.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => label,
    }
}

fn refused_rectification(reason: &str, statement_kept: bool) -> Value {
    let your_view = if statement_kept {
        "your statement that the data is inaccurate is kept with your record: our staff see it with your case, and it is included whenever you ask for your data"
    } else {
        "if you still consider the data inaccurate, send us a statement saying so and we will keep it with your record"
    };
    json!({
        "rectification": "refused",
        "reason": reason,
        "statement_kept": statement_kept,
        "your_view": your_view,
    })
}

/// Restriction (Art 18): granted, every case of the subject is frozen — no assessment, decision, award,
/// disclosure or change of preferences — until an information officer lifts it; refused, the reason.
pub async fn decide_restriction(
    state: &AppState,
    actor: &Actor,
    id: &str,
    restrict: bool,
    reason: &str,
) -> Result<(), AppError> {
    let view = open_request(state, id, RequestKind::Restriction).await?;
    let (granted, reason) = match &view.restriction {
        Some(decided) => (decided.granted, decided.reason.clone().unwrap_or_default()),
        None => {
            if restrict {
                subject_of(&view)?;
            }
            let command = RequestCommand::DecideRestriction {
                restrict,
                reason: reason.to_string(),
            };
            state.execute_request(id, actor, command).await?;
            (restrict, reason.trim().to_string())
        }
    };
    let response = if granted {
        let mut restricted = Vec::new();
        for case in subject_cases(state, &subject_of(&view)?).await? {
            let command = ApplicationCommand::RestrictProcessing {
                request_id: Some(id.to_string()),
                reason: reason.clone(),
            };
            state.execute_application(&case.id, actor, command).await?;
            restricted.push(json!({"record": record_name(&case), "application_id": case.id}));
        }
        json!({
            "restriction": "applied",
            "restricted": restricted,
            "reason": reason,
            "until": "we will tell you before the restriction is lifted",
        })
    } else {
        json!({"restriction": "refused", "reason": reason})
    };
    answer(state, actor, id, response).await
}

/// Objection (Art 21): upheld, the uses objected to stop on every case of the subject — each is one of the
/// policy's opt-outs, and the publishing lists drop the subject in the same transaction; not upheld, the
/// reason gives the compelling grounds to go on.
pub async fn decide_objection(
    state: &AppState,
    actor: &Actor,
    id: &str,
    uphold: bool,
    uses: Vec<ObjectedUse>,
    reason: &str,
) -> Result<(), AppError> {
    let view = open_request(state, id, RequestKind::Objection).await?;
    let (upheld, uses, reason) = match &view.objection {
        Some(decided) => (
            decided.granted,
            decided.uses.clone(),
            decided.reason.clone().unwrap_or_default(),
        ),
        None => {
            if uphold {
                subject_of(&view)?;
            }
            let command = RequestCommand::DecideObjection {
                uphold,
                uses: uses.clone(),
                reason: reason.to_string(),
            };
            state.execute_request(id, actor, command).await?;
            let mut uses = uses;
            uses.sort();
            uses.dedup();
            (uphold, uses, reason.trim().to_string())
        }
    };
    let described: Vec<Value> = uses
        .iter()
        .map(|u| json!({"use": u.as_str(), "described": u.describe()}))
        .collect();
    let response = if upheld {
        let mut stopped = Vec::new();
        for case in subject_cases(state, &subject_of(&view)?).await? {
            let command = ApplicationCommand::HonourObjection {
                request_id: id.to_string(),
                opt_outs: opt_outs_for(&uses),
            };
            state.execute_application(&case.id, actor, command).await?;
            stopped.push(json!({"record": record_name(&case), "application_id": case.id}));
        }
        json!({"objection": "upheld", "uses": described, "applications": stopped, "reason": reason})
    } else {
        json!({"objection": "not_upheld", "uses": described, "reason": reason})
    };
    answer(state, actor, id, response).await
}

/// An FOI refusal (FOIA s.17): the notice names the section relied on and why it applies, gives the public
/// interest reasons for a qualified exemption, advice on narrowing a request refused for cost (s.16), and
/// the requester's right to a review and to complain. It carries no personal data.
pub async fn refuse_foi(
    state: &AppState,
    actor: &Actor,
    id: &str,
    ground: FoiGround,
    reason: &str,
    public_interest: Option<String>,
) -> Result<(), AppError> {
    let view = open_request(state, id, RequestKind::Foi).await?;
    let (ground, reason, public_interest) = match &view.refusal {
        Some(refused) => (
            refused.ground,
            refused.reason.clone().unwrap_or_default(),
            refused.public_interest.clone(),
        ),
        None => {
            let command = RequestCommand::RefuseFoi {
                ground,
                reason: reason.to_string(),
                public_interest: public_interest.clone(),
            };
            state.execute_request(id, actor, command).await?;
            let public_interest = public_interest
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty() && ground.is_qualified());
            (ground, reason.trim().to_string(), public_interest)
        }
    };
    let response = json!({
        "refusal": {
            "ground": ground.as_str(),
            "section": ground.section(),
            "provision": ground.describe(),
            "why": reason,
            "public_interest": public_interest,
            "advice": (ground == FoiGround::CostLimit).then_some(exemptions::NARROWING_ADVICE),
        },
        "internal_review": exemptions::INTERNAL_REVIEW,
        "complaint": exemptions::COMPLAINT,
        "personal_data": "none",
    });
    answer(state, actor, id, response).await
}

/// The request, or `NotFound` where there is none and `Destroyed` where retention destroyed it.
pub async fn request(state: &AppState, id: &str) -> Result<RequestView, AppError> {
    match projections::information_requests::find(&state.db, id).await? {
        Some(view) => Ok(view),
        None if projections::retention::is_destroyed(&state.db, "InformationRequest", id)
            .await? =>
        {
            Err(AppError::destroyed())
        }
        None => Err(AppError::not_found()),
    }
}

/// The recipients who were sent a value that an amendment just changed: those whose correction notices
/// were raised after `version`.
pub fn recipients_to_notify(
    view: &projections::application_view::ApplicationView,
    version: i64,
) -> serde_json::Value {
    serde_json::json!(
        view.rectification_notices
            .iter()
            .filter(|notice| notice.raised_in_version > version)
            .map(|notice| serde_json::json!({
                "recipient_id": notice.recipient_id,
                "recipient_name": notice.recipient_name,
                "fields": notice.fields,
            }))
            .collect::<Vec<_>>()
    )
}

/// Every request not yet answered, with the days it is due as the calendar now stands, soonest first.
pub async fn open_requests(
    state: &AppState,
) -> Result<Vec<(RequestView, domain::request::deadlines::Deadlines)>, AppError> {
    let calendar = projections::calendar::working_days(&state.db).await?;
    let today = chrono::Utc::now().date_naive();
    let mut open: Vec<_> = projections::information_requests::all(&state.db)
        .await?
        .into_iter()
        .filter(|view| view.responded_on.is_none())
        .map(|view| {
            let deadlines = view.deadlines(&calendar, today);
            (view, deadlines)
        })
        .collect();
    open.sort_by(|(a, da), (b, db)| (da.due_on, &a.id).cmp(&(db.due_on, &b.id)));
    Ok(open)
}
