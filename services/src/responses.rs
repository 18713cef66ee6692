//! The responses the system produces for information requests.
//!
//! A subject access response (UK GDPR Art 15) gathers every stream about the subject through indexes — their
//! account by email, their applications by applicant and by the email in their personal details, each
//! application's immigration records, the requests they made — never by reading the whole log. It says
//! what is held and why, where it came from, who received it, how long it is kept and what the subject may
//! do, and gives a copy of the data with third parties redacted: referees' details, committee members'
//! identities (their opinions about the subject are the subject's data and stay). An FOI response never
//! releases personal data: it gives statistics with small numbers suppressed under s.40(2).

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use cqrs_es::persist::PersistedEventRepository;
use serde_json::{Value, json};

use domain::application::{Application, ApplicationEvent};
use domain::personal::COPY_TAG;
use domain::retention::{RecordKind, RetentionRule};
use projections::application_view::{self, ApplicationView};
use projections::{access_log, case_list, immigration_records, information_requests, retention};

use crate::accounts;
use crate::app::AppState;
use crate::http::error::ApiError;

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

/// A response as it is read and shown: each copy it keeps is the value copied, or, where the stream it was
/// copied from has been destroyed since the response was issued, a note that it was. A destroyed name is
/// left out of the subject's names.
pub fn resolve(mut response: Value) -> Value {
    fn walk(value: &mut Value) {
        match value {
            Value::Object(map) if map.len() == 1 && map.contains_key(COPY_TAG) => {
                let copy = map.remove(COPY_TAG).unwrap_or(Value::Null);
                *value = match copy.get("value") {
                    Some(copied) => copied.clone(),
                    None => {
                        let stream = copy.get("stream").and_then(Value::as_str).unwrap_or("");
                        let record = match stream.split_once('/') {
                            Some(("Application", id)) => format!("application {id}"),
                            Some(("ImmigrationRecord", id)) => format!("immigration record {id}"),
                            Some(("InformationRequest", id)) => format!("information request {id}"),
                            Some(("Account", _)) => "your account".to_string(),
                            _ => "a record".to_string(),
                        };
                        json!({"destroyed": true, "record": record,
                               "note": "destroyed under the retention schedule after this response was issued"})
                    }
                };
                walk(value);
            }
            Value::Object(map) => map.values_mut().for_each(walk),
            Value::Array(items) => items.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut response);
    if let Some(names) = response
        .get_mut("subject")
        .and_then(|subject| subject.get_mut("names"))
        .and_then(Value::as_array_mut)
    {
        names.retain(Value::is_string);
        let mut seen = std::collections::BTreeSet::new();
        names.retain(|name| seen.insert(name.to_string()));
    }
    response
}

/// The response issued for a request, read from the request's own stream (never a copy kept in a view):
/// `None` where none was issued. Copies of records destroyed since read as destroyed.
pub async fn stored(state: &AppState, id: &str) -> Result<Option<Value>, ApiError> {
    let events = state
        .repo
        .get_events::<domain::request::InformationRequest>(id)
        .await
        .map_err(ApiError::internal)?;
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
        None => Err(ApiError::destroyed()),
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
async fn application_record(state: &AppState, view: &ApplicationView) -> Result<Value, ApiError> {
    let events = state
        .repo
        .get_events::<Application>(&view.id)
        .await
        .map_err(ApiError::internal)?;
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
        "eligibility": view.eligibility.as_ref().map(|e| json!({"eligible": e.eligible, "reason": e.reason, "at": e.determined_at})),
        "committee_opinions": opinions,
        "decision": view.decision.as_ref().map(|d| json!({"outcome": d.outcome.as_str(), "at": d.decided_at})),
        "award": view.award,
        "amendments": amendments,
        "disclosures": view.disclosures.iter().map(|d| json!({
            "recipient": d.recipient_name, "kind": d.kind, "purpose": d.purpose, "fields": d.fields, "at": d.at,
        })).collect::<Vec<_>>(),
        "letters": view.letters.iter().map(crate::http::letters::render_letter).collect::<Vec<_>>(),
        // The subject's own view that their data is inaccurate, kept when a rectification was refused.
        "statements_of_dispute": view.statements_of_dispute.iter().map(|s| json!({
            "request_id": s.request_id, "statement": s.statement, "recorded_at": s.recorded_at,
        })).collect::<Vec<_>>(),
    }))
}

/// The subject access response for the person with this email address.
pub async fn subject_access(state: &AppState, email: &str) -> Result<Value, ApiError> {
    let db = &state.db;
    let email = email.trim().to_lowercase();
    let account = accounts::find_by_email(db, &email).await?;
    let mut ids: BTreeSet<String> = case_list::with_email(db, &email)
        .await?
        .into_iter()
        .collect();
    if let Some(account) = &account {
        for view in application_view::list_for_applicant(db, &account.id).await? {
            ids.insert(view.id);
        }
    }
    let mut applications = Vec::new();
    let mut immigration = Vec::new();
    let mut recipients = Vec::new();
    let mut retention_periods = Vec::new();
    let mut names = Vec::new();
    let mut categories_held = Categories::default();
    for id in &ids {
        let Some(view) = application_view::find(db, id).await? else {
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
            immigration.push(copy_of(
                "ImmigrationRecord",
                &record.record_id,
                json!(record),
            ));
        }
        for disclosure in &view.disclosures {
            recipients.push(copy(json!({
                "recipient": disclosure.recipient_name,
                "kind": disclosure.kind.describe(),
                "purpose": disclosure.purpose,
                "fields": disclosure.fields,
                "at": disclosure.at,
            })));
        }
        retention_periods.push(copy(retention_of(
            &view,
            retention::due_on(db, "Application", id).await?,
        )));
        categories_held.award |= view.award.is_some();
        applications.push(copy(application_record(state, &view).await?));
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
                    "through": read.through,
                }),
            )
        })
        .collect();
    categories_held.reads = !reads.is_empty();
    let requests: Vec<Value> = information_requests::about(db, &email)
        .await?
        .iter()
        .map(|r| copy_of("InformationRequest", &r.id, json!({"id": r.id, "kind": r.kind.as_str(), "received_on": r.received_on, "description": r.description})))
        .collect();
    categories_held.requests = !requests.is_empty();
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
        (categories_held.requests, "the information requests you made"),
    ]
    .into_iter()
    .filter_map(|(held, category)| held.then_some(category))
    .collect();
    Ok(json!({
        "subject": {"email": email, "names": names},
        "purposes": PURPOSES,
        "categories": categories,
        "recipients": recipients,
        "retention": retention_periods,
        "source": "you, through the online application form; EtP staff, who assess your application and administer awards; the EtP Scholarships Committee, whose members score applications",
        "rights": RIGHTS,
        "automated_decision_making": "none: every decision about you is taken by people",
        "records": {
            "account": account.as_ref().map(|a| copy_of("Account", &a.id, json!({
                "email": a.email, "full_name": a.full_name, "registered_at": a.created_at, "last_sign_in_at": a.last_sign_in_at,
            }))),
            "applications": applications,
            "immigration_records": immigration,
            "reads_of_your_data": reads,
            "requests": requests,
        },
    }))
}

/// Which categories of data a subject access response found.
#[derive(Default)]
struct Categories {
    applications: bool,
    award: bool,
    immigration: bool,
    recipients: bool,
    reads: bool,
    requests: bool,
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
pub async fn freedom_of_information(state: &AppState) -> Result<Value, ApiError> {
    let filter = case_list::CaseFilter {
        limit: i64::MAX,
        ..case_list::CaseFilter::default()
    };
    let (cases, _) = case_list::search(&state.db, &filter).await?;
    let mut counts: BTreeMap<(String, String), (i64, i64)> = BTreeMap::new();
    for case in cases.iter().filter(|c| c.status != "draft") {
        let country = case
            .country_of_residence
            .clone()
            .unwrap_or_else(|| "not stated".into());
        let entry = counts.entry((case.cycle.clone(), country)).or_default();
        entry.0 += 1;
        if matches!(case.status.as_str(), "awarded" | "alumni") {
            entry.1 += 1;
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

/// The response of a request of this kind, produced now.
/// A subject access response reads the subject's applications: the read is recorded, for `reader`.
pub async fn produce(
    state: &AppState,
    kind: domain::request::RequestKind,
    subject_email: Option<&str>,
    reader: &domain::Actor,
) -> Result<Value, ApiError> {
    use domain::request::RequestKind as K;
    match kind {
        K::Foi => freedom_of_information(state).await,
        K::Sar | K::Portability => {
            let email = subject_email.ok_or_else(|| {
                ApiError::invalid_field(
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
            access_log::record(
                &state.db,
                &ids,
                reader,
                access_log::Through::SubjectAccessResponse,
            )
            .await?;
            Ok(response)
        }
        other => Err(ApiError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            format!(
                "{} request is answered by its own action on the case, not by a produced response",
                other.in_words()
            ),
        )),
    }
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
    let data = json!({
        "request": {"id": view.id, "kind": view.kind.as_str(), "received_on": view.received_on,
                    "responded_on": view.responded_on, "requester": view.requester},
        "response": response,
    });
    crate::pages::templates::render(template, &data)
}

/// Answers subject access for up to `subjects` applicants of the store and reports the time each took
/// (median and slowest), with the size of the store: `etp bench sar`.
pub async fn bench_subject_access(state: &AppState, subjects: usize) -> anyhow::Result<String> {
    let filter = case_list::CaseFilter {
        limit: subjects as i64,
        ..case_list::CaseFilter::default()
    };
    let (cases, total) = case_list::search(&state.db, &filter).await?;
    let mut times = Vec::new();
    for case in cases {
        let Some(email) = case.email else { continue };
        let started = std::time::Instant::now();
        let response = subject_access(state, &email)
            .await
            .map_err(|error| anyhow::anyhow!("{}: {}", error.code, error.message))?;
        times.push(started.elapsed());
        anyhow::ensure!(
            !response["records"]["applications"]
                .as_array()
                .is_none_or(Vec::is_empty),
            "a subject access response found no application of its subject"
        );
    }
    anyhow::ensure!(
        !times.is_empty(),
        "the store has no application with an email address to answer for"
    );
    times.sort();
    let median = times[times.len() / 2];
    let slowest = times[times.len() - 1];
    Ok(format!(
        "subject access for {} subjects in a store of {total} applications: median {:.1} ms, slowest {:.1} ms",
        times.len(),
        median.as_secs_f64() * 1000.0,
        slowest.as_secs_f64() * 1000.0
    ))
}
