//! The responses the system produces for information requests.
//!
//! A subject access response (UK GDPR Art 15) gathers every stream about the subject through indexes — their
//! account by email (or as the applicant of an application whose form gives it), their applications by
//! applicant and by the email in their personal details, each application's immigration records, the
//! applications naming them as a referee (`projections::referees`), the awards recording them as a scholar's
//! academic supervisor (`projections::supervisors`), the requests they made or that name
//! them, the letters sent — never by reading the whole log; each record says how it was found (`found_by`).
//! It says what is held and why, where it came from, who received it, how long it is kept and what the
//! subject may do, and gives a copy of the data with third parties redacted: referees' details, committee
//! members' identities (their opinions about the subject are the subject's data and stay); a referee's copy
//! withholds the applicant. An FOI response never releases personal data: it gives statistics with small
//! numbers suppressed under s.40(2).

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use cqrs_es::persist::PersistedEventRepository;
use serde_json::{Value, json};

use domain::application::{Application, ApplicationEvent};
use domain::personal::COPY_TAG;
use domain::request::FoiGround;
use domain::retention::{RecordKind, RetentionRule};
use projections::application_view::{self, ApplicationView};
use projections::{access_log, case_list, immigration_records, information_requests, retention};

use crate::accounts;
use crate::bus::AppState;
use crate::error::AppError;

/// What is redacted in place of third parties' details.
pub const REDACTED: &str = "[withheld: third-party information]";

/// The purposes of processing, as the policy states them.
const PURPOSES: [&str; 5] = [
    "to verify that you are entitled to an EtP Scholarship",
    "to assess your application with the EtP Scholarships Committee",
    "to contact you with the outcome of your application",
    "to administer your scholarship if you are successful",
    "to collate statistics from which no one can be identified",
];

const RIGHTS: [&str; 6] = [
    "to have inaccurate personal data corrected (rectification)",
    "to have personal data erased where there is no longer a reason to keep it",
    "to have processing restricted while a question about it is settled",
    "to object to processing",
    "to receive the data you gave us in a machine-readable form (portability)",
    "to complain to the Information Commissioner's Office",
];

/// A copy of a stream's personal data, kept in the response: the event store seals it under that stream's
/// own data key (`domain::personal::COPY_TAG`), so destroying the stream destroys this copy too.
fn copy_of(aggregate_type: &str, id: &str, value: Value) -> Value {
    json!({ COPY_TAG: {"stream": crate::store::stream_name(aggregate_type, id), "value": value} })
}

pub use crate::readable::resolve;

/// The response issued for a request, read from the request's own stream (never a copy kept in a view):
/// `None` where none was issued. Copies of records destroyed since read as destroyed.
pub async fn stored(state: &AppState, id: &str) -> Result<Option<Value>, AppError> {
    let events = state
        .repo
        .get_events::<domain::request::InformationRequest>(id)
        .await
        .map_err(AppError::internal)?;
    let issued = events
        .into_iter()
        .rev()
        .find(|event| event.event_type == "ResponseIssued");
    let Some(event) = issued else {
        return Ok(None);
    };
    let payload = event.payload["ResponseIssued"]["response"].clone();
    match payload.get(domain::personal::PERSONAL_TAG) {
        Some(response) => Ok(Some(resolve(response.clone()))),
        // The request's own key is gone: the request was destroyed.
        None => Err(AppError::destroyed()),
    }
}

fn retention_of(view: &ApplicationView, due_on: Option<NaiveDate>) -> Value {
    let kind = RecordKind::of_application(view.status);
    let rule = kind.map(RetentionRule::for_kind);
    json!({
        "record": format!("application {} ({})", view.id, view.cycle),
        "rule": rule.map(|r| r.period_in_words()).unwrap_or_else(|| "kept while the application is decided, then under the rule for its outcome".into()),
        "destroyed_on": due_on,
    })
}

/// The subject's copy of one application, with third parties redacted.
async fn application_record(state: &AppState, view: &ApplicationView) -> Result<Value, AppError> {
    let events = state
        .repo
        .get_events::<Application>(&view.id)
        .await
        .map_err(AppError::internal)?;
    let mut amendments = Vec::new();
    for event in events {
        if let Ok(ApplicationEvent::PersonalDataAmended {
            changes, reason, ..
        }) = serde_json::from_value(event.payload)
        {
            amendments.push(json!({
                "changes": changes.known(),
                "reason": reason.known(),
                "recorded_at": event.metadata.get("at"),
            }));
        }
    }
    let mut members: BTreeMap<&str, usize> = BTreeMap::new();
    let opinions: Vec<Value> = view
        .committee
        .iter()
        .map(|member| {
            let next = members.len() + 1;
            let number = *members.entry(member.member_id.as_str()).or_insert(next);
            json!({
                "committee_member": format!("Committee member {number}"),
                "declared_a_conflict_of_interest": member.conflict.is_some(),
                "scores": member.scores,
            })
        })
        .collect();
    let referees: Vec<Value> = view
        .form
        .referees
        .iter()
        .map(|_| json!({"name": REDACTED, "email": REDACTED}))
        .collect();
    Ok(json!({
        "id": view.id,
        "cycle": view.cycle,
        "status": view.status.as_str(),
        "personal": view.form.personal,
        "education": view.form.education,
        "employment": view.form.employment,
        "courses": view.form.courses,
        "essays": view.form.essays,
        "referees": referees,
        "preferences": view.form.preferences,
        "submitted_at": view.submitted_at,
        "privacy_notice_accepted": view.notice_accepted.as_ref().map(|n| json!({
            "notice_last_updated": n.updated_on, "digest": n.digest, "accepted_at": n.accepted_at,
        })),
        "eligibility": view.eligibility.as_ref().map(|e| json!({"eligible": e.eligible, "reason": e.reason, "at": e.determined_at})),
        "committee_opinions": opinions,
        "decision": view.decision.as_ref().map(|d| json!({"outcome": d.outcome.as_str(), "at": d.decided_at})),
        "award": view.award,
        "award_administration": administration_record(view),
        "amendments": amendments,
        "disclosures": view.disclosures.iter().map(|d| json!({
            "recipient": d.recipient_name, "kind": d.kind, "purpose": d.purpose, "fields": d.fields, "at": d.at,
        })).collect::<Vec<_>>(),
        "letters": view.letters.iter().map(crate::letters::render_letter).collect::<Vec<_>>(),
        // The subject's own view that their data is inaccurate, kept when a rectification was refused.
        "statements_of_dispute": view.statements_of_dispute.iter().map(|s| json!({
            "request_id": s.request_id, "statement": s.statement, "recorded_at": s.recorded_at,
        })).collect::<Vec<_>>(),
    }))
}

/// The administration of the subject's award, as they are given it: the offer and their reply, their
/// supervisor, when progress reports fall due, the reports and the result. `None` where there is none.
fn administration_record(view: &ApplicationView) -> Value {
    let administration = &view.administration;
    let terms = view.award.as_ref().and_then(|award| award.terms.as_ref());
    let schedule = administration.schedule(terms);
    if administration.offer.is_none()
        && administration.supervisor_history.is_empty()
        && administration.reports.is_empty()
        && administration.result.is_none()
        && schedule.is_empty()
    {
        return Value::Null;
    }
    json!({
        "offer": administration.offer.as_ref().map(|offer| json!({
            "offer_made_on": offer.made_at.date_naive(),
            "reply_by": offer.reply_by,
            "your_reply": offer.state.in_words(),
            "answered_on": offer.answered_on,
        })),
        "supervisor": administration.supervisor,
        "supervisor_history": administration.supervisor_history.iter().map(|change| json!({
            "supervisor": change.supervisor,
            "recorded_at": change.recorded_at,
        })).collect::<Vec<_>>(),
        "report_schedule": schedule.iter().map(|due| json!({
            "due_on": due,
            "report": if administration.reports.iter().any(|r| r.due_on == Some(*due)) {
                "received"
            } else {
                "not received yet"
            },
        })).collect::<Vec<_>>(),
        "progress_reports": administration.reports.iter().map(|recorded| {
            let report = recorded.report.as_ref();
            json!({
                "period": report.map(|r| r.period.clone()),
                "report_from": recorded.source.in_words(),
                "rating": report.map(|r| r.rating.in_words()),
                "report_text": report.map(|r| r.text.clone()),
                "due_on": recorded.due_on,
                "recorded_at": recorded.recorded_at,
            })
        }).collect::<Vec<_>>(),
        "result": administration.result.as_ref().and_then(|r| r.result.as_ref()).map(|r| json!({
            "qualification": r.qualification,
            "result": r.result,
            "released_on": r.released_on,
            "released_by": r.released_by,
        })),
    })
}

/// The subject access response for the person with this email address.
pub async fn subject_access(state: &AppState, email: &str) -> Result<Value, AppError> {
    let db = &state.db;
    let email = email.trim().to_lowercase();
    // Each record found says how: the person's account by its email, or as the applicant of an application
    // whose form gives the email; applications by the email in their form, or as the account's.
    let mut account = accounts::find_by_email(db, &email).await?;
    let mut account_found_by = "the email address of the account";
    let mut found_by: BTreeMap<String, &str> = BTreeMap::new();
    for id in case_list::with_email(db, &email).await? {
        found_by.insert(id, "the email address given in the application's form");
    }
    if account.is_none() {
        for id in found_by.keys() {
            let Some(view) = application_view::find(db, &state.repo, id).await? else {
                continue;
            };
            if let Some(owner) = accounts::find(db, &view.applicant_id).await? {
                account = Some(owner);
                account_found_by =
                    "the account that made an application whose form gives the email address";
                break;
            }
        }
    }
    if let Some(account) = &account {
        for id in application_view::ids_for_applicant(db, &account.id).await? {
            found_by
                .entry(id)
                .or_insert("the account's own applications");
        }
    }
    let ids: BTreeSet<String> = found_by.keys().cloned().collect();
    let mut applications = Vec::new();
    let mut immigration = Vec::new();
    let mut recipients = Vec::new();
    let mut retention_periods = Vec::new();
    let mut names = Vec::new();
    let mut letters = Vec::new();
    let mut categories_held = Categories::default();
    for id in &ids {
        let Some(view) = application_view::find(db, &state.repo, id).await? else {
            continue;
        };
        let copy = |value: Value| copy_of("Application", id, value);
        if let Some(name) = &view.form.personal.full_name {
            names.push(copy(json!(name)));
        }
        for record in immigration_records::for_application(db, id).await? {
            let rule = RetentionRule::for_kind(RecordKind::ImmigrationRecord);
            retention_periods.push(copy_of(
                "ImmigrationRecord",
                &record.record_id,
                json!({
                    "record": format!("immigration record {}", record.record_id),
                    "rule": rule.period_in_words(),
                    "destroyed_on": rule.falls_due(record.recorded_at.date_naive()),
                }),
            ));
            let mut kept = json!(record);
            kept["found_by"] = json!("kept with your application");
            immigration.push(copy_of("ImmigrationRecord", &record.record_id, kept));
        }
        for disclosure in &view.disclosures {
            recipients.push(copy(json!({
                "recipient": disclosure.recipient_name,
                "kind": disclosure.kind.describe(),
                "purpose": disclosure.purpose,
                "fields": disclosure.fields,
                "at": disclosure.at,
                "found_by": "a disclosure recorded on your application",
            })));
        }
        for letter in &view.letters {
            letters.push(copy(json!({
                "letter": format!("the letter telling you {}", letter_in_words(letter.kind)),
                "subject": letter.subject,
                "issued_at": letter.issued_at,
                "sent": if letter.emailed_at.is_some() { "emailed to you and shown in your account" } else { "shown in your account" },
                "found_by": "a letter issued on your application",
            })));
        }
        retention_periods.push(copy(retention_of(
            &view,
            retention::due_on(db, "Application", id).await?,
        )));
        categories_held.award |= view.award.is_some();
        let mut record = application_record(state, &view).await?;
        record["found_by"] = json!(found_by.get(id).copied().unwrap_or_default());
        applications.push(copy(record));
    }
    categories_held.applications = !applications.is_empty();
    categories_held.immigration = !immigration.is_empty();
    categories_held.recipients = !recipients.is_empty();
    // Who read the subject's applications: recorded reads, by role (staff are not named to the subject).
    let id_refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let reads: Vec<Value> = access_log::of_applications(db, &id_refs)
        .await?
        .into_iter()
        .map(|read| {
            copy_of(
                "Application",
                &read.application_id,
                json!({
                    "application_id": read.application_id,
                    "at": read.at,
                    "reader_role": read.reader_role,
                    "read_by": format!("a member of staff ({})", read.reader_role.to_string().replace('_', " ")),
                    "through": read.through,
                    "found_by": "the record kept of each time staff read your application",
                }),
            )
        })
        .collect();
    categories_held.reads = !reads.is_empty();
    let mut requests = Vec::new();
    for request in information_requests::about(db, &email).await? {
        let made = request
            .requester
            .as_ref()
            .is_some_and(|r| r.email.trim().to_lowercase() == email);
        let about = request
            .subject_email
            .as_ref()
            .is_some_and(|e| e.trim().to_lowercase() == email);
        let (role, found_by) = match (made, about) {
            (true, true) => (
                "you made it, about yourself",
                "a request you made about yourself",
            ),
            (true, false) => ("you made it", "a request you made"),
            _ => (
                "it names you as the person it is about",
                "a request naming you as the person it is about",
            ),
        };
        let copy = |value: Value| copy_of("InformationRequest", &request.id, value);
        requests.push(copy(json!({
            "id": request.id,
            "kind": request.kind.as_str(),
            "request": request_in_words(request.kind),
            "received_on": request.received_on,
            "description": request.description,
            // Someone else who asked about the subject is a third party: who they are is withheld.
            "made_by": if made { json!("you") } else { json!(REDACTED) },
            "your_part": role,
            "responded_on": request.responded_on,
            "found_by": found_by,
        })));
        if let Some(on) = request.responded_on {
            letters.push(copy(json!({
                "letter": format!("the response to the {}", request_in_words(request.kind)),
                "issued_on": on,
                "sent": if made { "to you" } else { "to the person who made the request" },
                "found_by": found_by,
            })));
        }
    }
    categories_held.requests = !requests.is_empty();
    categories_held.letters = !letters.is_empty();
    let references = references(state, &email, &ids).await?;
    for reference in &references {
        names.push(copy_of("Application", &reference.id, json!(reference.name)));
        retention_periods.push(copy_of(
            "Application",
            &reference.id,
            json!({
                "record": format!("the reference naming you (an application for the {} cycle)", reference.cycle),
                "rule": "kept with the application that names you, and destroyed with it",
                "destroyed_on": retention::due_on(db, "Application", &reference.id).await?,
            }),
        ));
    }
    let references: Vec<Value> = references.into_iter().map(Reference::record).collect();
    categories_held.references = !references.is_empty();
    let supervision = supervision(state, &email, &ids).await?;
    for supervised in &supervision {
        for name in &supervised.names {
            names.push(copy_of("Application", &supervised.id, json!(name)));
        }
        retention_periods.push(copy_of(
            "Application",
            &supervised.id,
            json!({
                "record": format!("the record of your supervision (an award of the {} cycle)", supervised.cycle),
                "rule": "kept with the scholar's award that records you, and destroyed with it",
                "destroyed_on": retention::due_on(db, "Application", &supervised.id).await?,
            }),
        ));
    }
    let supervision: Vec<Value> = supervision.into_iter().map(Supervision::record).collect();
    categories_held.supervision = !supervision.is_empty();
    if let Some(account) = &account {
        names.push(copy_of("Account", &account.id, json!(account.full_name)));
        retention_periods.push(copy_of(
            "Account",
            &account.id,
            json!({
                "record": "your account",
                "rule": RetentionRule::for_kind(RecordKind::ApplicantAccount).period_in_words(),
                "destroyed_on": Value::Null,
            }),
        ));
    }
    let categories: Vec<&str> = [
        (account.is_some(), "account: name, email address, sign-in history"),
        (categories_held.applications, "identity and contact details"),
        (categories_held.applications, "education and employment history, course choices and essays"),
        (categories_held.applications, "your choices about your information (preferences)"),
        (categories_held.applications, "the assessment of your application: eligibility, the committee's opinions, the decision"),
        (categories_held.award, "your award"),
        (categories_held.immigration, "records held for immigration purposes"),
        (categories_held.recipients, "disclosures of your data to embassies and sponsors"),
        (categories_held.reads, "a record of each time EtP staff read your application"),
        (categories_held.requests, "the information requests you made or that are about you"),
        (categories_held.letters, "the letters we sent you or about you"),
        (categories_held.references, "your name and email address, given by an applicant who named you as a referee"),
        (categories_held.supervision, "your name, email address, institution and department as the academic supervisor of a scholar, and the progress reports you gave"),
    ]
    .into_iter()
    .filter_map(|(held, category)| held.then_some(category))
    .collect();
    let source = [
        Some(SOURCE),
        categories_held.references.then_some(REFERENCE_SOURCE),
        categories_held.supervision.then_some(SUPERVISION_SOURCE),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join("; ");
    Ok(json!({
        "subject": {"email": email, "names": names},
        "purposes": PURPOSES,
        "categories": categories,
        "recipients": recipients,
        "retention": retention_periods,
        "source": source,
        "rights": RIGHTS,
        "automated_decision_making": "none: every decision about you is taken by people",
        "records": {
            "account": account.as_ref().map(|a| copy_of("Account", &a.id, json!({
                "email": a.email, "full_name": a.full_name, "registered_at": a.created_at, "last_sign_in_at": a.last_sign_in_at,
                "found_by": account_found_by,
            }))),
            "applications": applications,
            "immigration_records": immigration,
            "reads_of_your_data": reads,
            "requests": requests,
            "references": references,
            "supervision": supervision,
            "letters": letters,
        },
    }))
}

/// What an outcome letter told the applicant, in words.
fn letter_in_words(kind: domain::application::LetterKind) -> &'static str {
    use domain::application::LetterKind;
    match kind {
        LetterKind::Selected => "that you were selected",
        LetterKind::Reserve => "that your application is on the reserve list",
        LetterKind::Unsuccessful => "that your application was not successful",
        LetterKind::Award => "of your award",
        LetterKind::Offer => "of the offer of a scholarship",
        LetterKind::OfferAccepted => "that you accepted the offer",
        LetterKind::OfferLapsed => "that the offer lapsed",
    }
}

/// An information request's kind, in words.
fn request_in_words(kind: domain::request::RequestKind) -> &'static str {
    use domain::request::RequestKind;
    match kind {
        RequestKind::Foi => "freedom of information request",
        RequestKind::Sar => "subject access request",
        RequestKind::Rectification => "request to correct personal data",
        RequestKind::Erasure => "request to erase personal data",
        RequestKind::Restriction => "request to restrict processing",
        RequestKind::Objection => "objection to processing",
        RequestKind::Portability => "request for a portable copy of personal data",
    }
}

/// An application that names the subject as a referee: what the subject's own data in it is.
struct Reference {
    id: String,
    cycle: String,
    name: String,
    email: String,
}

/// Where the subject's data came from (Art 15(1)(g)).
const SOURCE: &str = "you, through the online application form; EtP staff, who assess your application and administer awards; the EtP Scholarships Committee, whose members score applications";

/// Where a referee's name and email address came from.
const REFERENCE_SOURCE: &str = "your name and email address as a referee: the applicant who named you, in their application form";

/// Why a referee's copy holds no more of the application than their own part in it.
const REFERENCE_WITHHELD: &str = "the applicant's identity, the application's status and the rest of     the application are the applicant's personal data, not yours, and are withheld";

impl Reference {
    fn record(self) -> Value {
        copy_of(
            "Application",
            &self.id,
            json!({
                "your_name_as_given": self.name,
                "your_email_as_given": self.email,
                "reference": format!(
                    "You were named as a referee on an application for the {} cycle of EtP Scholarships.",
                    self.cycle
                ),
                "cycle": self.cycle,
                "applicant": REDACTED,
                "withheld": REFERENCE_WITHHELD,
                "found_by": "named as a referee in an application",
            }),
        )
    }
}

/// The applications that name the subject as a referee (other than their own), through the referees' index,
/// each with the name and email address as the applicant gave them.
async fn references(
    state: &AppState,
    email: &str,
    own: &BTreeSet<String>,
) -> Result<Vec<Reference>, AppError> {
    let mut found = Vec::new();
    for id in projections::referees::naming(&state.db, email).await? {
        if own.contains(&id) {
            continue;
        }
        let Some(view) = application_view::find(&state.db, &state.repo, &id).await? else {
            continue;
        };
        for referee in &view.form.referees {
            if referee.email.trim().to_lowercase() == email {
                found.push(Reference {
                    id: view.id.clone(),
                    cycle: view.cycle.to_string(),
                    name: referee.name.clone(),
                    email: referee.email.clone(),
                });
            }
        }
    }
    Ok(found)
}

/// An award that records the subject as the scholar's academic supervisor (now or before): their own
/// details as recorded, each time, and the progress reports that came from the supervisor while they were.
struct Supervision {
    id: String,
    cycle: String,
    names: Vec<String>,
    current: bool,
    details: Vec<Value>,
    reports: Vec<Value>,
}

/// Where a supervisor's details came from.
const SUPERVISION_SOURCE: &str = "your details as an academic supervisor: recorded by the EtP programme office that administers the scholar's award; the progress reports: you";

/// Why a supervisor's copy holds no more of the award than their own part in it.
const SUPERVISION_WITHHELD: &str = "the scholar's identity and the rest of their award are the scholar's personal data, not yours, and are withheld";

impl Supervision {
    fn record(self) -> Value {
        copy_of(
            "Application",
            &self.id,
            json!({
                "supervision": format!(
                    "You {} the academic supervisor of a scholar of EtP Scholarships (an award of the {} cycle).",
                    if self.current { "are recorded as" } else { "were recorded as" },
                    self.cycle
                ),
                "cycle": self.cycle,
                "supervisor_now": self.current,
                "your_details_as_recorded": self.details,
                "progress_reports_from_you": self.reports,
                "scholar": REDACTED,
                "withheld": SUPERVISION_WITHHELD,
                "found_by": "recorded as the academic supervisor on a scholar's award",
            }),
        )
    }
}

/// The awards that record the subject as a supervisor (other than their own applications), through the
/// supervisors' index.
async fn supervision(
    state: &AppState,
    email: &str,
    own: &BTreeSet<String>,
) -> Result<Vec<Supervision>, AppError> {
    let mut found = Vec::new();
    for id in projections::supervisors::supervising(&state.db, email).await? {
        if own.contains(&id) {
            continue;
        }
        let Some(view) = application_view::find(&state.db, &state.repo, &id).await? else {
            continue;
        };
        let administration = &view.administration;
        let is_them = |supervisor: &domain::application::award::Supervisor| {
            supervisor.email.trim().to_lowercase() == email
        };
        let history = &administration.supervisor_history;
        let mut names = Vec::new();
        let mut details = Vec::new();
        // The times they were the supervisor: from each recording of them to the next recording.
        let mut spans = Vec::new();
        for (at, change) in history.iter().enumerate() {
            let Some(supervisor) = change.supervisor.as_ref().filter(|s| is_them(s)) else {
                continue;
            };
            if !names.contains(&supervisor.name) {
                names.push(supervisor.name.clone());
            }
            details.push(json!({
                "name": supervisor.name,
                "email": supervisor.email,
                "institution": supervisor.institution,
                "department": supervisor.department,
                "recorded_at": change.recorded_at,
            }));
            spans.push((
                change.recorded_at,
                history.get(at + 1).map(|next| next.recorded_at),
            ));
        }
        let reports = administration
            .reports
            .iter()
            .filter(|r| r.source == domain::application::award::ReportSource::Supervisor)
            .filter(|r| {
                spans.iter().any(|(from, until)| {
                    r.recorded_at >= *from && until.is_none_or(|until| r.recorded_at < until)
                })
            })
            .filter_map(|recorded| {
                recorded.report.as_ref().map(|report| {
                    json!({
                        "period": report.period,
                        "rating": report.rating.in_words(),
                        "report_text": report.text,
                        "due_on": recorded.due_on,
                        "recorded_at": recorded.recorded_at,
                    })
                })
            })
            .collect();
        if details.is_empty() {
            continue;
        }
        found.push(Supervision {
            id: view.id.clone(),
            cycle: view.cycle.to_string(),
            names,
            current: administration.supervisor.as_ref().is_some_and(is_them),
            details,
            reports,
        });
    }
    Ok(found)
}

/// Which categories of data a subject access response found.
#[derive(Default)]
struct Categories {
    supervision: bool,
    applications: bool,
    award: bool,
    immigration: bool,
    recipients: bool,
    reads: bool,
    requests: bool,
    letters: bool,
    references: bool,
}

/// Counts under this many are withheld: they could identify people (FOIA s.40(2)).
pub const SUPPRESS_BELOW: i64 = 5;

fn suppressed(count: i64) -> Value {
    if count == 0 {
        json!(0)
    } else if count < SUPPRESS_BELOW {
        json!("fewer than 5")
    } else {
        json!(count)
    }
}

/// The FOI response: statistics of applications and awards by cycle and country, from the case list.
pub async fn freedom_of_information(state: &AppState) -> Result<Value, AppError> {
    let tallies = case_list::tallies(&state.db, &case_list::CaseFilter::default()).await?;
    let mut counts: BTreeMap<(String, String), (i64, i64)> = BTreeMap::new();
    for tally in tallies.iter().filter(|t| t.status != "draft") {
        let country = tally
            .country_of_residence
            .clone()
            .unwrap_or_else(|| "not stated".into());
        let entry = counts.entry((tally.cycle.clone(), country)).or_default();
        entry.0 += tally.count;
        if matches!(tally.status.as_str(), "awarded" | "alumni") {
            entry.1 += tally.count;
        }
    }
    let rows: Vec<Value> = counts
        .into_iter()
        .map(|((cycle, country), (applications, awards))| {
            json!({"cycle": cycle, "country": country, "applications": suppressed(applications), "awards": suppressed(awards)})
        })
        .collect();
    Ok(json!({
        "statistics": rows,
        "exemptions": [{
            "section": "s.40(2) Freedom of Information Act 2000",
            "why": "numbers from 1 to 4 are withheld because, with other information, they could identify the people counted; releasing their personal data would breach the data protection principles",
        }],
        "personal_data": "none",
    }))
}

/// What an FOI response says of whether the information asked for is held (s.1(1)(a)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Held {
    Held,
    NotHeld,
    /// Confirming or denying that it is held would itself disclose exempt information.
    NeitherConfirmNorDeny,
}

impl Held {
    pub const ALL: [Held; 3] = [Held::Held, Held::NotHeld, Held::NeitherConfirmNorDeny];

    pub fn as_str(self) -> &'static str {
        match self {
            Held::Held => "held",
            Held::NotHeld => "not_held",
            Held::NeitherConfirmNorDeny => "neither_confirm_nor_deny",
        }
    }

    pub fn parse(name: &str) -> Option<Held> {
        Held::ALL.into_iter().find(|h| h.as_str() == name.trim())
    }

    /// The sentence of the letter that says it.
    pub fn in_words(self) -> &'static str {
        match self {
            Held::Held => "We hold the information you asked for.",
            Held::NotHeld => "We do not hold the information you asked for.",
            Held::NeitherConfirmNorDeny => {
                "We can neither confirm nor deny whether we hold the information you asked for."
            }
        }
    }
}

/// An information officer's answer to an FOI request, as it is sent: whether the information is held, the
/// information released, statistics to build from the case list, and the parts refused.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct FoiAnswerBody {
    /// `held`, `not_held` or `neither_confirm_nor_deny`.
    pub held: Option<String>,
    /// The information released, in words (required when held).
    pub answer: Option<String>,
    pub statistics: Option<StatisticsBody>,
    pub refusals: Option<Vec<RefusedPartBody>>,
    /// Make a draft, to see (`GET …/response?draft=true`), redact and then issue, instead of issuing at once.
    /// For any request that is answered by a response, with or without an FOI answer.
    #[serde(default)]
    pub draft: bool,
}

/// A table of counts of applications (not drafts), grouped and filtered.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct StatisticsBody {
    /// Any of `cycle`, `country`, `status`, `level`, `institution`, each once.
    #[serde(default)]
    pub group_by: Vec<String>,
    /// Only these cycles (named like 2026-27).
    pub cycles: Option<Vec<String>>,
    /// Only applicants resident in this country.
    pub country: Option<String>,
    /// Only applications with this status (not `draft`).
    pub status: Option<String>,
}

/// A part of the request refused, with the FOIA section relied on and why it applies.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct RefusedPartBody {
    #[serde(default)]
    pub part: String,
    /// The section, such as `s.40(2)` or `43(2)`, or the ground's name, such as `personal_data`.
    #[serde(default)]
    pub section: String,
    #[serde(default)]
    pub reason: String,
    /// For a qualified exemption: why the public interest in withholding outweighs that in disclosing.
    pub public_interest: Option<String>,
}

impl FoiAnswerBody {
    /// Whether nothing was sent: the response is then the default statistics, as before answers were composed.
    pub fn is_empty(&self) -> bool {
        self.held.is_none()
            && self.answer.is_none()
            && self.statistics.is_none()
            && self.refusals.is_none()
    }
}

/// What a statistics table can be grouped by. `level` and `institution` are those of the award where the
/// application has one with terms, and otherwise those of the applicant's first course choice ("not
/// stated" where there is neither); `country` is the country of residence.
pub const GROUP_BY: [&str; 5] = ["cycle", "country", "status", "level", "institution"];

/// The rule the statistics follow, stated in every response that has them.
pub const SUPPRESSION_RULE: &str = "each count from 1 to 4 is shown as \"fewer than 5\" (0 is shown as 0), because so small a number could, with other information, identify the people counted (s.40(2) Freedom of Information Act 2000)";

/// A refused part's section, matched against the grounds an FOI request may be refused on: the section
/// number as the Act writes it (`s.40(2)`, `40(2)`, `section 40(2)`), its full citation, or the ground's name.
pub fn ground_of_section(raw: &str) -> Option<FoiGround> {
    let wanted = raw.trim().to_lowercase();
    if let Some(ground) = FoiGround::parse(&wanted) {
        return Some(ground);
    }
    let wanted = wanted
        .trim_end_matches("freedom of information act 2000")
        .trim_end_matches("foia")
        .trim()
        .trim_start_matches("section")
        .trim_start_matches("s.")
        .trim();
    let wanted: String = wanted.chars().filter(|c| !c.is_whitespace()).collect();
    FoiGround::ALL.into_iter().find(|ground| {
        let section = ground.section();
        let number = section
            .trim_start_matches("s.")
            .split_whitespace()
            .next()
            .unwrap_or_default();
        number == wanted
    })
}

/// The statistics asked for, checked.
struct Statistics {
    group_by: Vec<&'static str>,
    cycles: Option<Vec<String>>,
    country: Option<String>,
    status: Option<String>,
}

/// A refused part, checked.
struct RefusedPart {
    part: String,
    ground: FoiGround,
    reason: String,
    public_interest: Option<String>,
}

fn text(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

fn check_statistics(body: &StatisticsBody) -> Result<Statistics, AppError> {
    if body.group_by.is_empty() {
        return Err(AppError::invalid_field(
            "statistics.group_by",
            "must name at least one of cycle, country, status, level, institution",
        ));
    }
    let mut group_by = Vec::new();
    for key in &body.group_by {
        let Some(known) = GROUP_BY.into_iter().find(|k| *k == key.trim()) else {
            return Err(AppError::invalid_field(
                "statistics.group_by",
                "must each be cycle, country, status, level or institution",
            ));
        };
        if group_by.contains(&known) {
            return Err(AppError::invalid_field(
                "statistics.group_by",
                "must name each key once",
            ));
        }
        group_by.push(known);
    }
    let cycles = match &body.cycles {
        None => None,
        Some(cycles) if cycles.is_empty() => {
            return Err(AppError::invalid_field(
                "statistics.cycles",
                "must name at least one cycle, or be left out for every cycle",
            ));
        }
        Some(cycles) => {
            let mut named = Vec::new();
            for cycle in cycles {
                let cycle = domain::cycle::CycleName::parse(cycle.trim()).map_err(|_| {
                    AppError::invalid_field(
                        "statistics.cycles",
                        "must each be a cycle named like 2026-27",
                    )
                })?;
                let cycle = cycle.as_str().to_string();
                if !named.contains(&cycle) {
                    named.push(cycle);
                }
            }
            Some(named)
        }
    };
    let country = match text(&body.country) {
        None if body.country.is_some() => {
            return Err(AppError::invalid_field(
                "statistics.country",
                "must name a country, or be left out",
            ));
        }
        None => None,
        Some(raw) => Some(
            domain::country::Country::parse(&raw)
                .map(|c| c.as_str().to_string())
                .ok_or_else(|| {
                    AppError::invalid_field("statistics.country", "must name a known country")
                })?,
        ),
    };
    let status = match &body.status {
        None => None,
        Some(raw) => match domain::application::Status::parse(raw.trim()) {
            Some(domain::application::Status::Draft) | None => {
                return Err(AppError::invalid_field(
                    "statistics.status",
                    "must be the status of a submitted application: submitted, eligible, ineligible, under_review, selected, reserve, unsuccessful, awarded, alumni or withdrawn",
                ));
            }
            Some(status) => Some(status.as_str().to_string()),
        },
    };
    Ok(Statistics {
        group_by,
        cycles,
        country,
        status,
    })
}

fn check_refusals(parts: &[RefusedPartBody]) -> Result<Vec<RefusedPart>, AppError> {
    parts
        .iter()
        .enumerate()
        .map(|(i, part)| {
            let field = |name: &str| format!("refusals[{i}].{name}");
            let what = part.part.trim();
            if what.is_empty() {
                return Err(AppError::invalid_field(
                    &field("part"),
                    "must say which part of the request is refused",
                ));
            }
            let ground = ground_of_section(&part.section).ok_or_else(|| {
                AppError::invalid_field(
                    &field("section"),
                    "must be a section an FOI request may be refused under: s.12, s.14(1), s.21, s.22, s.36, s.40(2), s.41 or s.43(2)",
                )
            })?;
            let reason = part.reason.trim();
            if reason.is_empty() {
                return Err(AppError::invalid_field(
                    &field("reason"),
                    "must say why the section applies",
                ));
            }
            Ok(RefusedPart {
                part: what.to_string(),
                ground,
                reason: reason.to_string(),
                public_interest: text(&part.public_interest).filter(|_| ground.is_qualified()),
            })
        })
        .collect()
}

/// The value a case (or a tally of cases) has for a group-by key.
fn key_of(tally: &case_list::Tally, key: &str, study: Option<&(String, String)>) -> String {
    match key {
        "cycle" => tally.cycle.clone(),
        "country" => tally
            .country_of_residence
            .clone()
            .unwrap_or_else(|| "not stated".into()),
        "status" => tally.status.clone(),
        "level" => study.map_or_else(|| "not stated".into(), |s| s.0.clone()),
        _ => study.map_or_else(|| "not stated".into(), |s| s.1.clone()),
    }
}

/// The level and institution an application counts under: its award's where it has one with terms, else
/// its first course choice.
fn study_of(view: &ApplicationView) -> Option<(String, String)> {
    if let Some(terms) = view.award.as_ref().and_then(|a| a.terms.as_ref()) {
        return Some((terms.level.clone(), terms.institution.clone()));
    }
    view.form
        .courses
        .first()
        .map(|c| (c.level.clone(), c.institution.clone()))
}

/// The table: counts of applications (not drafts) that pass the filters, one row for each combination of
/// the values of the keys (those the filters name, and those found), small counts suppressed. Only counts
/// and the grouped values are released: no name, email address or id.
async fn statistics_table(state: &AppState, asked: &Statistics) -> Result<Vec<Value>, AppError> {
    let filter = case_list::CaseFilter {
        status: asked.status.clone(),
        ..case_list::CaseFilter::default()
    };
    let passes = |tally: &case_list::Tally| {
        tally.status != "draft"
            && asked
                .cycles
                .as_ref()
                .is_none_or(|cycles| cycles.contains(&tally.cycle))
            && asked.country.as_ref().is_none_or(|country| {
                tally
                    .country_of_residence
                    .as_deref()
                    .is_some_and(|r| r.eq_ignore_ascii_case(country))
            })
    };
    let needs_study = asked
        .group_by
        .iter()
        .any(|k| matches!(*k, "level" | "institution"));
    // Each group's cases: counted by the database where the keys are the case list's own columns; one by
    // one, each application's view read for level and institution (the case list holds no course), where
    // they are asked for.
    let mut counted: Vec<(case_list::Tally, Option<(String, String)>)> = Vec::new();
    if needs_study {
        let filter = case_list::CaseFilter {
            limit: i64::MAX,
            ..filter
        };
        for case in case_list::search(&state.db, &filter).await?.cases {
            let one = case_list::Tally {
                cycle: case.cycle,
                country_of_residence: case.country_of_residence,
                status: case.status,
                count: 1,
            };
            if !passes(&one) {
                continue;
            }
            let study = application_view::find(&state.db, &state.repo, &case.id)
                .await?
                .as_ref()
                .and_then(study_of);
            counted.push((one, study));
        }
    } else {
        for tally in case_list::tallies(&state.db, &filter).await? {
            if passes(&tally) {
                counted.push((tally, None));
            }
        }
    }
    let mut counts: BTreeMap<Vec<String>, i64> = BTreeMap::new();
    let mut values: Vec<BTreeSet<String>> = asked
        .group_by
        .iter()
        .map(|key| match *key {
            "cycle" => asked.cycles.iter().flatten().cloned().collect(),
            "country" => asked.country.iter().cloned().collect(),
            "status" => asked.status.iter().cloned().collect(),
            _ => BTreeSet::new(),
        })
        .collect();
    for (tally, study) in &counted {
        let group: Vec<String> = asked
            .group_by
            .iter()
            .map(|key| key_of(tally, key, study.as_ref()))
            .collect();
        for (set, value) in values.iter_mut().zip(&group) {
            set.insert(value.clone());
        }
        *counts.entry(group).or_default() += tally.count;
    }
    // Every combination of the values, zero where none was counted.
    let mut groups: Vec<Vec<String>> = vec![Vec::new()];
    for set in &values {
        groups = groups
            .into_iter()
            .flat_map(|prefix| {
                set.iter().map(move |value| {
                    let mut group = prefix.clone();
                    group.push(value.clone());
                    group
                })
            })
            .collect();
    }
    Ok(groups
        .into_iter()
        .map(|group| {
            let count = counts.get(&group).copied().unwrap_or(0);
            let mut row = serde_json::Map::new();
            for (key, value) in asked.group_by.iter().zip(group) {
                row.insert((*key).to_string(), json!(value));
            }
            row.insert("count".into(), suppressed(count));
            Value::Object(row)
        })
        .collect())
}

/// The FOI response an information officer composed: checked (422 `invalid` naming the field), with the
/// statistics built now from the case list and each refused part's s.17 notice.
pub async fn answer_foi(state: &AppState, body: &FoiAnswerBody) -> Result<Value, AppError> {
    let held = match &body.held {
        None => {
            return Err(AppError::invalid_field(
                "held",
                "must be held, not_held or neither_confirm_nor_deny",
            ));
        }
        Some(raw) => Held::parse(raw).ok_or_else(|| {
            AppError::invalid_field("held", "must be held, not_held or neither_confirm_nor_deny")
        })?,
    };
    let answer = text(&body.answer);
    if held == Held::Held && answer.is_none() {
        return Err(AppError::invalid_field(
            "answer",
            "must give the information released when it is held",
        ));
    }
    let statistics = match &body.statistics {
        Some(_) if held != Held::Held => {
            return Err(AppError::invalid_field(
                "statistics",
                "are released only where the information is held",
            ));
        }
        Some(asked) => Some(check_statistics(asked)?),
        None => None,
    };
    let refusals = check_refusals(body.refusals.as_deref().unwrap_or_default())?;
    if held == Held::NotHeld && !refusals.is_empty() {
        return Err(AppError::invalid_field(
            "refusals",
            "cannot refuse information that is not held",
        ));
    }
    let mut response = json!({
        "held": held.as_str(),
        "held_in_words": held.in_words(),
        "answer": answer.unwrap_or_default(),
        "internal_review": domain::request::exemptions::INTERNAL_REVIEW,
        "complaint": domain::request::exemptions::COMPLAINT,
        "personal_data": "none",
    });
    if let Some(asked) = &statistics {
        response["statistics"] = json!(statistics_table(state, asked).await?);
        response["statistics_grouped_by"] = json!(asked.group_by);
        response["statistics_filters"] = json!({
            "cycles": asked.cycles, "country": asked.country, "status": asked.status,
        });
        response["suppression"] = json!(SUPPRESSION_RULE);
    }
    if !refusals.is_empty() {
        response["refusals"] = json!(
            refusals
                .iter()
                .map(|refused| json!({
                    "part": refused.part,
                    "ground": refused.ground.as_str(),
                    "section": refused.ground.section(),
                    "provision": refused.ground.describe(),
                    "reason": refused.reason,
                    "public_interest": refused.public_interest,
                    "advice": (refused.ground == FoiGround::CostLimit)
                        .then_some(domain::request::exemptions::NARROWING_ADVICE),
                }))
                .collect::<Vec<_>>()
        );
    }
    Ok(response)
}

/// The response of a request of this kind, produced now.
/// A subject access response reads the subject's applications: the read is recorded, for `reader`.
pub async fn produce(
    state: &AppState,
    kind: domain::request::RequestKind,
    subject_email: Option<&str>,
    reader: &domain::Actor,
) -> Result<Value, AppError> {
    use domain::request::RequestKind as K;
    match kind {
        K::Foi => freedom_of_information(state).await,
        K::Sar | K::Portability => {
            let email = subject_email.ok_or_else(|| {
                AppError::invalid_field(
                    "subject_email",
                    "a subject access request names whose data it asks for",
                )
            })?;
            let response = subject_access(state, email).await?;
            let shown = resolve(response.clone());
            let ids: Vec<&str> = shown["records"]["applications"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|application| application["id"].as_str())
                .collect();
            state
                .record_reads(&ids, reader, access_log::Through::SubjectAccessResponse)
                .await?;
            let mut response = response;
            let withheld = withheld_automatically(&shown);
            if !withheld.is_empty() {
                response["withheld"] = json!(withheld);
            }
            Ok(response)
        }
        other => Err(AppError::invalid(
            format!(
                "{} request is answered by its own action on the case, not by a produced response",
                other.in_words()
            ),
            Vec::new(),
        )),
    }
}

/// What every subject access response withholds of third parties without being asked, listed so the
/// letter says it: referees' details and the identities of committee members (their opinions are given).
fn withheld_automatically(shown: &Value) -> Vec<Value> {
    use domain::request::WithholdingGround;
    let applications: Vec<&Value> = shown["records"]["applications"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    let any = |key: &str| {
        applications
            .iter()
            .any(|a| a[key].as_array().is_some_and(|items| !items.is_empty()))
    };
    let mut withheld = Vec::new();
    if any("referees") {
        withheld.push(crate::drafts::withheld_entry(
            "The names and email addresses of your referees",
            WithholdingGround::ThirdParty,
            "they are your referees' personal data, and they gave them to us in confidence",
        ));
    }
    let supervising = shown["records"]["supervision"]
        .as_array()
        .is_some_and(|items| !items.is_empty());
    if supervising {
        withheld.push(crate::drafts::withheld_entry(
            "The identity of the scholar you supervise, and the rest of their award",
            WithholdingGround::ThirdParty,
            "it is the scholar's personal data, not yours; your own details and the reports you gave are included",
        ));
    }
    if any("committee_opinions") {
        withheld.push(crate::drafts::withheld_entry(
            "The names of the committee members who assessed your application",
            WithholdingGround::ThirdParty,
            "they are the members' personal data; their opinions of your application are yours and are given",
        ));
    }
    withheld
}

/// The letter of a request's response, rendered from its template (values escaped).
pub fn letter(
    view: &projections::information_requests::RequestView,
    response: &Value,
) -> Result<String, handlebars::RenderError> {
    use domain::request::RequestKind as K;
    let template = match view.kind {
        K::Foi if response.get("refusal").is_some() => "foi_refusal",
        K::Foi => "foi_letter",
        K::Sar | K::Portability => "sar_letter",
        K::Rectification | K::Erasure | K::Restriction | K::Objection => "rights_letter",
    };
    // A composed FOI answer's table, each row's cells in the order of its columns.
    let columns: Vec<&str> = response["statistics_grouped_by"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let rows: Vec<Vec<&Value>> = response["statistics"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|row| {
            columns
                .iter()
                .chain(&["count"])
                .map(|column| &row[*column])
                .collect()
        })
        .collect();
    let data = ResponseLetterContext {
        request: LetterRequest {
            id: &view.id,
            kind: view.kind.as_str(),
            received_on: view.received_on,
            responded_on: view.responded_on.or(view.drafted_on),
            requester: view.requester.as_ref(),
        },
        // The letter's one reference: the first characters of the request's id.
        reference: reference(&view.id),
        draft: view.responded_on.is_none(),
        response,
        sections: crate::readable::sections(response),
        table: LetterTable { columns, rows },
    };
    crate::templates::render(template, &data)
}

/// What a response letter's template (`sar_letter`, `foi_letter`, `foi_refusal`, `rights_letter`) is given:
/// the request, and the response as issued (or drafted) with its readable sections and table.
#[derive(serde::Serialize)]
struct ResponseLetterContext<'a> {
    request: LetterRequest<'a>,
    reference: String,
    /// Not issued yet: the letter is marked as a draft.
    draft: bool,
    response: &'a Value,
    sections: Vec<Value>,
    table: LetterTable<'a>,
}

/// The request as a response letter names it.
#[derive(serde::Serialize)]
struct LetterRequest<'a> {
    id: &'a str,
    kind: &'static str,
    received_on: chrono::NaiveDate,
    /// The day it was answered, or the draft's day.
    responded_on: Option<chrono::NaiveDate>,
    requester: Option<&'a domain::request::Requester>,
}

/// A composed FOI answer's table: its columns, and each row's cells in their order.
#[derive(serde::Serialize)]
struct LetterTable<'a> {
    columns: Vec<&'a str>,
    rows: Vec<Vec<&'a Value>>,
}

/// A request's short reference, as its letters give it.
pub fn reference(id: &str) -> String {
    let short: String = id
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .rev()
        .take(8)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("IR-{}", short.to_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_part_names_its_section_as_the_act_writes_it_or_by_its_grounds_name() {
        for (written, ground) in [
            ("s.40(2)", FoiGround::PersonalData),
            ("40(2)", FoiGround::PersonalData),
            ("Section 43(2)", FoiGround::CommercialInterests),
            ("s. 14 (1)", FoiGround::Vexatious),
            ("s.12 Freedom of Information Act 2000", FoiGround::CostLimit),
            ("confidence", FoiGround::Confidence),
        ] {
            assert_eq!(ground_of_section(written), Some(ground), "{written}");
        }
        for unknown in ["", "s.99", "s.40", "40(1)", "personal"] {
            assert_eq!(ground_of_section(unknown), None, "{unknown}");
        }
    }

    #[test]
    fn counts_from_one_to_four_are_suppressed_and_zero_is_shown() {
        assert_eq!(suppressed(0), json!(0));
        for n in 1..SUPPRESS_BELOW {
            assert_eq!(suppressed(n), json!("fewer than 5"));
        }
        assert_eq!(suppressed(SUPPRESS_BELOW), json!(5));
    }
}
