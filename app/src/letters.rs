//! Outcome letters. Once a decision (selected, reserve, unsuccessful) or an award is recorded, the letter
//! that tells the applicant of it is rendered from `templates/letters/` (values HTML-escaped, like every
//! template) with the application as it then stands, and issued as the application's `IssueLetter`
//! command: the letter sent is kept in the log with the case, sealed with its personal data, and shown to
//! the applicant and the case staff. Where a mail server is configured (`ETP_SMTP_URL`, `ETP_MAIL_FROM`) the
//! letter is then emailed to the address on the application, off the request path, and what became of it
//! is recorded too: `LetterEmailed`, or `LetterEmailFailed` with a reason that names no one. The log holds
//! ids, kinds and reasons only.

use std::sync::Arc;

use chrono::{NaiveDate, Utc};

use domain::application::{ApplicationCommand, LetterKind};
use domain::retention::{RecordKind, RetentionRule};
use domain::{Actor, Role};
use projections::application_view::{self, ApplicationView};

use crate::bus::AppState;
use crate::error::AppError;

/// Who records what became of a letter's email: the service, on the officer's behalf.
pub fn mailer_actor() -> Actor {
    Actor::new("mailer", Role::ProgrammeOfficer)
}

pub use crate::mail::{Letter, Mailer};

/// The subject of a letter: the programme, the cycle and what it is about (no one's name).
pub fn subject(kind: LetterKind, cycle: &str) -> String {
    let about = match kind {
        LetterKind::Selected => "you have been selected",
        LetterKind::Reserve => "your application is on the reserve list",
        LetterKind::Unsuccessful => "the outcome of your application",
        LetterKind::Award => "your scholarship award",
        LetterKind::Offer => "your offer of a scholarship",
        LetterKind::OfferAccepted => "you have accepted your offer",
        LetterKind::OfferLapsed => "your offer has lapsed",
    };
    format!("EtP Scholarships {cycle}: {about}")
}

/// What every outcome letter's template (`templates/letters/`) is given: each value it may name, in words.
#[derive(Clone, Debug, serde::Serialize)]
pub struct LetterContext {
    pub subject: String,
    pub reference: String,
    pub cycle: String,
    pub full_name: String,
    /// The letter's date, "7 January 2027".
    pub date: String,
    /// When the application will be destroyed if it is not awarded.
    pub destroyed_on: Option<String>,
    pub reserve_position: Option<u32>,
    pub concluded_on: Option<String>,
    pub award: Option<AwardTermsInWords>,
    pub offer: Option<OfferInWords>,
}

/// An award's terms as a letter gives them.
#[derive(Clone, Debug, serde::Serialize)]
pub struct AwardTermsInWords {
    pub institution: String,
    pub course: String,
    pub level: String,
    pub start_date: String,
}

/// An offer as a letter gives it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct OfferInWords {
    pub reply_by: String,
}

/// Renders the letter of `kind` for the application as it stands, dated `today`, quoting its `reference`
/// (`ETP-26-004821`).
pub fn render(
    view: &ApplicationView,
    reference: &str,
    kind: LetterKind,
    today: NaiveDate,
) -> Result<Letter, handlebars::RenderError> {
    let subject = subject(kind, &view.cycle);
    // An application ended by its cycle's conclusion is kept two years from the conclusion's day.
    // A lapsed offer, from the day it lapsed.
    let lapsed_on = view
        .administration
        .offer
        .as_ref()
        .and_then(|offer| offer.answered_on)
        .filter(|_| kind == LetterKind::OfferLapsed);
    let decided_on = match (&view.concluded_with_cycle, lapsed_on) {
        (Some(conclusion), _) => conclusion.on,
        (None, Some(on)) => on,
        (None, None) => view
            .decision
            .as_ref()
            .map(|decision| decision.decided_at.date_naive())
            .unwrap_or(today),
    };
    let destroyed_on = RetentionRule::for_kind(RecordKind::UnsuccessfulApplication)
        .falls_due(decided_on)
        .map(long_date);
    let award = view
        .award
        .as_ref()
        .and_then(|award| award.terms.as_ref())
        .map(|terms| AwardTermsInWords {
            institution: terms.institution.clone(),
            course: terms.course.clone(),
            level: level_in_words(&terms.level),
            start_date: long_date(terms.start_date),
        });
    let full_name = view
        .form
        .personal
        .full_name
        .clone()
        .filter(|name| !name.trim().is_empty())
        .unwrap_or_else(|| "applicant".to_string());
    let data = LetterContext {
        subject: subject.clone(),
        reference: reference.to_string(),
        cycle: view.cycle.clone(),
        full_name,
        date: long_date(today),
        destroyed_on,
        reserve_position: view
            .decision
            .as_ref()
            .and_then(|decision| decision.reserve_position),
        concluded_on: view.concluded_with_cycle.as_ref().map(|c| long_date(c.on)),
        award,
        offer: view
            .administration
            .offer
            .as_ref()
            .map(|offer| OfferInWords {
                reply_by: long_date(offer.reply_by),
            }),
    };
    let body = crate::templates::render(&format!("letters/{}", kind.as_str()), &data)?;
    Ok(Letter { subject, body })
}

/// `1 June 2026`.
fn long_date(date: NaiveDate) -> String {
    date.format("%-d %B %Y").to_string()
}

/// The one reference of an application, short enough to quote on the telephone (`ETP-26-004821`,
/// `projections::references`); an application without one yet is named by [`short_reference`].
pub async fn application_reference(db: &projections::Db, id: &str) -> Result<String, AppError> {
    Ok(projections::references::of(db, id)
        .await?
        .unwrap_or_else(|| short_reference(id)))
}

pub use crate::words::short_reference;

/// A level of study as people say it (`masters` is "master’s degree").
pub fn level_in_words(level: &str) -> String {
    match level.trim().to_lowercase().as_str() {
        "masters" | "master" => "master’s degree".to_string(),
        "phd" | "doctorate" | "doctoral" => "doctorate (PhD)".to_string(),
        "undergraduate" | "bachelors" => "bachelor’s degree".to_string(),
        "postgraduate_diploma" | "pgdip" => "postgraduate diploma".to_string(),
        other => other.replace('_', " "),
    }
}

/// A record of the subject's as a letter names it: no internal id.
pub fn application_in_words(cycle: &str) -> String {
    format!("your application for the {cycle} cycle")
}

impl AppState {
    /// Carries out a command on an application. Another command committing first on the same application
    /// makes this one run again on the new state, a few times, before it is refused with 409 `conflict`.
    /// A decision or an award is then told to the applicant by letter (`letters.rs`).
    pub async fn execute_application(
        &self,
        id: &str,
        by: &Actor,
        command: ApplicationCommand,
    ) -> Result<(), AppError> {
        let letter = LetterKind::due_after(&command);
        self.record_application(id, by, command).await?;
        if let Some(kind) = letter {
            after(self, id, by, kind).await;
        }
        Ok(())
    }
}

/// Issues the letter a command just carried out on the application is owed. The command has been
/// committed: a letter that cannot be issued is logged (ids only) and does not undo it.
pub async fn after(state: &AppState, id: &str, by: &Actor, kind: LetterKind) {
    after_with(state, id, None, by, kind).await
}

/// [`after`], given the view the command left where its caller has it (`store::with_projected`), so that it
/// is not read back.
pub async fn after_with(
    state: &AppState,
    id: &str,
    view: Option<ApplicationView>,
    by: &Actor,
    kind: LetterKind,
) {
    if let Err(error) = issue_with(state, id, view, by, kind).await {
        tracing::warn!(
            application_id = %id,
            kind = kind.as_str(),
            error = error.code(),
            "the outcome letter was not issued"
        );
    }
}

/// Renders and issues one letter, then emails it where a mail server is configured.
pub async fn issue(
    state: &AppState,
    id: &str,
    by: &Actor,
    kind: LetterKind,
) -> Result<String, AppError> {
    issue_with(state, id, None, by, kind).await
}

/// [`issue`] from the application's view as given, or as read where none is given.
async fn issue_with(
    state: &AppState,
    id: &str,
    view: Option<ApplicationView>,
    by: &Actor,
    kind: LetterKind,
) -> Result<String, AppError> {
    let view = match view.filter(|view| view.id == id) {
        Some(view) => view,
        None => application_view::find(&state.db, &state.repo, id)
            .await?
            .ok_or_else(AppError::not_found)?,
    };
    let reference = application_reference(&state.db, id).await?;
    let letter = prepare(state, &view, &reference, kind)?;
    // A letter owed after the applicant's own act (accepting an offer) is issued by the service.
    let by = if by.role == Role::Applicant {
        &mailer_actor()
    } else {
        by
    };
    state
        .record_application(id, by, letter.command.clone())
        .await?;
    let letter_id = letter.letter_id.clone();
    letter.send(state);
    Ok(letter_id)
}

/// A letter rendered for an application and not yet issued: the command that issues it, and the email
/// that sends it once the command is committed (where a mail server is configured). A batch of
/// applications' commands issues letters this way ([`crate::conclusion`]).
pub(crate) struct Prepared {
    pub command: ApplicationCommand,
    letter_id: String,
    email: Option<(Email, Arc<Mailer>)>,
}

/// Renders the letter of `kind` from the application's view as its command leaves it.
pub(crate) fn prepare(
    state: &AppState,
    view: &ApplicationView,
    reference: &str,
    kind: LetterKind,
) -> Result<Prepared, AppError> {
    let letter =
        render(view, reference, kind, Utc::now().date_naive()).map_err(AppError::internal)?;
    let letter_id = uuid::Uuid::now_v7().to_string();
    let mailer = state.mailer.clone();
    let command = ApplicationCommand::IssueLetter {
        letter_id: letter_id.clone(),
        kind,
        subject: letter.subject.clone(),
        body: letter.body.clone(),
        by_email: mailer.is_some(),
    };
    let email = mailer.map(|mailer| {
        let email = Email {
            application_id: view.id.clone(),
            letter_id: letter_id.clone(),
            to: view.form.personal.email.clone(),
            name: view.form.personal.full_name.clone(),
            letter,
        };
        (email, mailer)
    });
    Ok(Prepared {
        command,
        letter_id,
        email,
    })
}

impl Prepared {
    /// Sends the letter by email, once its command is committed.
    pub(crate) fn send(self, state: &AppState) {
        if let Some((email, mailer)) = self.email {
            tokio::spawn(email.send(state.clone(), mailer));
        }
    }
}

/// A letter on its way to the applicant's email address.
struct Email {
    application_id: String,
    letter_id: String,
    to: Option<String>,
    name: Option<String>,
    letter: Letter,
}

impl Email {
    /// Sends the letter and records what became of it.
    async fn send(self, state: AppState, mailer: Arc<Mailer>) {
        let Email {
            application_id,
            letter_id,
            to,
            name,
            letter,
        } = self;
        let sent = match to.as_deref() {
            Some(to) => mailer.send(to, name.as_deref(), &letter).await,
            None => Err("the application holds no email address to send it to".to_string()),
        };
        let command = match &sent {
            Ok(()) => {
                tracing::info!(application_id = %application_id, letter_id = %letter_id, "letter emailed");
                ApplicationCommand::RecordLetterEmailed {
                    letter_id: letter_id.clone(),
                }
            }
            Err(reason) => {
                tracing::warn!(
                    application_id = %application_id,
                    letter_id = %letter_id,
                    reason = %reason,
                    "letter not emailed"
                );
                ApplicationCommand::RecordLetterEmailFailed {
                    letter_id: letter_id.clone(),
                    reason: reason.clone(),
                }
            }
        };
        if let Err(error) = state
            .record_application(&application_id, &mailer_actor(), command)
            .await
        {
            tracing::warn!(
                application_id = %application_id,
                letter_id = %letter_id,
                error = error.code(),
                "what became of the letter's email could not be recorded"
            );
        }
    }
}

/// One letter as the API shows it.
pub fn render_letter(letter: &projections::application_view::LetterView) -> serde_json::Value {
    serde_json::json!({
        "id": letter.letter_id,
        "kind": letter.kind.as_str(),
        "subject": letter.subject,
        "body": letter.body,
        "issued_at": letter.issued_at,
        "email": letter.email().as_str(),
        "emailed_at": letter.emailed_at,
        "email_failure": letter.email_failure.as_ref().map(|(reason, _)| reason),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn every_kind_of_letter_has_its_template_and_a_subject_naming_the_cycle() {
        for kind in LetterKind::ALL {
            assert!(
                crate::templates::exists(&format!("letters/{}", kind.as_str())),
                "{kind}"
            );
            assert!(subject(kind, "2026-27").contains("2026-27"));
        }
    }

    /// An application of the 2026-27 cycle as the letter of `kind` finds it: decided, and for an award or an
    /// offer with its terms and its offer.
    pub(crate) fn application_for(kind: LetterKind) -> ApplicationView {
        use chrono::TimeZone;
        use cqrs_es::DomainEvent;
        use domain::application::award::OfferState;
        use domain::application::events::AwardTerms;
        use domain::application::{ApplicationEvent, Outcome};
        use domain::cycle::CycleName;
        use projections::application_view::{AwardView, DecisionView, OfferView};
        use projections::{EventMetadata, RecordedEvent};

        let at = Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).unwrap();
        let applicant = Actor::new("applicant-1", Role::Applicant);
        let started = ApplicationEvent::ApplicationStarted {
            cycle: CycleName::parse("2026-27").unwrap(),
            applicant_id: applicant.user_id.clone(),
        };
        let event = RecordedEvent {
            aggregate_type: "Application".to_string(),
            aggregate_id: "00000000-0000-4000-8000-000000000001".to_string(),
            sequence: 1,
            event_type: started.event_type(),
            payload: serde_json::to_value(&started).unwrap(),
            metadata: EventMetadata::new(&applicant, at),
        };
        let mut view = application_view::replay(&[event]).unwrap().unwrap();
        view.form.personal.full_name = Some("Test Applicant".to_string());
        let outcome = match kind {
            LetterKind::Reserve => Outcome::Reserve,
            LetterKind::Unsuccessful => Outcome::Unsuccessful,
            _ => Outcome::Selected,
        };
        view.decision = Some(DecisionView {
            outcome,
            reserve_position: (outcome == Outcome::Reserve).then_some(2),
            decided_by: "officer-1".to_string(),
            decided_at: at,
        });
        if matches!(
            kind,
            LetterKind::Offer | LetterKind::OfferAccepted | LetterKind::OfferLapsed
        ) {
            view.administration.offer = Some(OfferView {
                reply_by: NaiveDate::from_ymd_opt(2026, 4, 1).unwrap(),
                state: match kind {
                    LetterKind::OfferAccepted => OfferState::Accepted,
                    LetterKind::OfferLapsed => OfferState::Lapsed,
                    _ => OfferState::Open,
                },
                made_by: "officer-1".to_string(),
                made_at: at,
                answered_on: (kind != LetterKind::Offer)
                    .then(|| NaiveDate::from_ymd_opt(2026, 4, 2).unwrap()),
            });
        }
        if matches!(kind, LetterKind::Award | LetterKind::OfferAccepted) {
            view.award = Some(AwardView {
                terms: Some(AwardTerms {
                    institution: "A University".to_string(),
                    course: "MSc Public Policy".to_string(),
                    level: "masters".to_string(),
                    start_date: NaiveDate::from_ymd_opt(2026, 9, 21).unwrap(),
                    country: None,
                }),
                joint_sponsor_id: None,
                awarded_at: at,
                completed_on: None,
                completion_outcome: None,
            });
        }
        view
    }

    /// Every letter renders in strict mode (a value its template names and its context lacks is an error)
    /// with the context `render` builds, and says what it is about in words.
    #[test]
    fn every_letter_renders_with_its_typed_context_in_strict_mode() {
        let today = NaiveDate::from_ymd_opt(2026, 4, 3).unwrap();
        for kind in LetterKind::ALL {
            let view = application_for(kind);
            let letter = render(&view, "ETP-26-000001", kind, today)
                .unwrap_or_else(|error| panic!("the {kind} letter does not render: {error}"));
            assert!(letter.body.contains("Test Applicant"), "{kind}");
            assert!(
                letter.body.contains("3 April 2026"),
                "{kind}: the letter's date"
            );
            assert!(
                letter.body.contains("ETP-26-000001"),
                "{kind}: the reference"
            );
            if kind == LetterKind::Award {
                assert!(
                    letter.body.contains("MSc Public Policy"),
                    "the award's terms"
                );
            }
            if kind == LetterKind::Offer {
                assert!(letter.body.contains("1 April 2026"), "the reply-by date");
            }
        }
    }
}
