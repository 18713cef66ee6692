//! Administering awards, as the application layer carries it out: the reply-by date an offer gets when the
//! officer chooses none, and the daily lapse of offers not answered by their reply-by date.

use chrono::NaiveDate;

use domain::Actor;
use domain::application::ApplicationCommand;

use crate::bus::AppState;
use crate::error::AppError;

/// An offer is answered within this many UK working days, unless the officer chooses another date.
pub const REPLY_WITHIN_WORKING_DAYS: u32 = 10;

/// The default reply-by date of an offer made on `today`: the tenth UK working day after it, in the
/// calendar as it stands (bank holidays of England and Wales and any proclaimed since).
pub async fn default_reply_by(state: &AppState, today: NaiveDate) -> Result<NaiveDate, AppError> {
    let calendar = projections::calendar::working_days(&state.db).await?;
    Ok(calendar.working_days_after(today, REPLY_WITHIN_WORKING_DAYS))
}

/// An offer the sweep lapsed, or could not.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LapsedOffer {
    pub application_id: String,
    /// Why it could not be lapsed (it will be tried again on the next run); `None` when it was.
    pub failed: Option<String>,
}

/// Lapses every offer whose reply-by date is before `on` (the day the sweep runs for): the application
/// becomes unsuccessful and its two years of retention run from `on`. A dry run lists them only.
pub async fn lapse_offers(
    state: &AppState,
    by: &Actor,
    on: NaiveDate,
    dry_run: bool,
) -> Result<Vec<LapsedOffer>, AppError> {
    let due = projections::awards::offers_lapsed_by(&state.db, on).await?;
    let mut lapsed = Vec::with_capacity(due.len());
    for application_id in due {
        let failed = if dry_run {
            None
        } else {
            state
                .execute_application(&application_id, by, ApplicationCommand::LapseOffer { on })
                .await
                .err()
                .map(|error| error.to_string())
        };
        lapsed.push(LapsedOffer {
            application_id,
            failed,
        });
    }
    Ok(lapsed)
}

/// The reminder of a progress report due, as the sweep sent it (or could not).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ReportReminder {
    pub application_id: String,
    pub due_on: NaiveDate,
    /// Who it went to, by kind: `supervisor`, `programme_office`.
    pub sent_to: Vec<String>,
    /// Why it could not be sent or recorded (the next sweep tries again); `None` when it was.
    pub failed: Option<String>,
}

/// Emails, once for each due date, the reminder of a progress report that has fallen due by `on` and is not
/// yet recorded: to the scholar's supervisor where one is recorded (the policy lets the committee contact
/// them for the scholar's progress) and to the programme office where its address is set. Each reminder sent
/// is recorded (`ReportReminderSent`), so no later sweep sends it again. Without a mail server nothing is
/// sent and nothing fails; the desk and the case list the reports due and overdue all the same. A dry run
/// lists the reminders only.
pub async fn remind_reports(
    state: &AppState,
    by: &Actor,
    on: NaiveDate,
    dry_run: bool,
) -> Result<Vec<ReportReminder>, AppError> {
    let Some(mailer) = state.mailer.clone() else {
        return Ok(Vec::new());
    };
    let office = mailer.office();
    let mut reminders = Vec::new();
    for due in projections::awards::reports_due_by(&state.db, on).await? {
        let Some(view) =
            projections::application_view::find(&state.db, &state.repo, &due.application_id)
                .await?
        else {
            continue;
        };
        // Already reminded, or processing restricted at the scholar's request: nothing is sent.
        if view.administration.reminded.contains(&due.due_on) || view.restriction.is_some() {
            continue;
        }
        let supervisor = view.administration.supervisor.clone();
        let mut recipients: Vec<(&str, String, Option<String>)> = Vec::new();
        if let Some(supervisor) = &supervisor {
            recipients.push((
                "supervisor",
                supervisor.email.clone(),
                Some(supervisor.name.clone()),
            ));
        }
        if let Some(office) = &office {
            recipients.push(("programme_office", office.clone(), None));
        }
        if recipients.is_empty() {
            continue;
        }
        let sent_to: Vec<String> = recipients
            .iter()
            .map(|(kind, ..)| kind.to_string())
            .collect();
        let mut reminder = ReportReminder {
            application_id: due.application_id.clone(),
            due_on: due.due_on,
            sent_to,
            failed: None,
        };
        if dry_run {
            reminders.push(reminder);
            continue;
        }
        let mut sent = Vec::new();
        let reference = crate::letters::application_reference(&state.db, &view.id).await?;
        for (kind, to, name) in &recipients {
            let to_supervisor = *kind == "supervisor";
            let letter = match render_reminder(&view, &reference, due.due_on, to_supervisor, on) {
                Ok(letter) => letter,
                Err(_) => {
                    reminder.failed = Some("the reminder could not be written".to_string());
                    break;
                }
            };
            match mailer.send(to, name.as_deref(), &letter).await {
                Ok(()) => sent.push(kind.to_string()),
                Err(reason) => {
                    tracing::warn!(application_id = %due.application_id, to = %kind, reason = %reason, "report reminder not emailed");
                    reminder.failed = Some(reason);
                }
            }
        }
        if !sent.is_empty() {
            let command = ApplicationCommand::RecordReportReminder {
                due_on: due.due_on,
                sent_to: sent.clone(),
            };
            if let Err(error) = state
                .execute_application(&due.application_id, by, command)
                .await
            {
                reminder.failed = Some(error.to_string());
            }
        }
        reminder.sent_to = sent;
        reminders.push(reminder);
    }
    Ok(reminders)
}

/// What the reminder's template (`templates/reminders/report_due.hbs`) is given.
#[derive(Clone, Debug, serde::Serialize)]
struct ReminderContext {
    subject: String,
    date: String,
    due_on: String,
    scholar: String,
    course: String,
    institution: String,
    /// To the supervisor (asked for the report), or to the programme office (told it is due).
    to_supervisor: bool,
    reference: String,
}

/// The reminder's email: the scholar, the course and the due date, and what the supervisor is asked for.
fn render_reminder(
    view: &projections::application_view::ApplicationView,
    reference: &str,
    due_on: NaiveDate,
    to_supervisor: bool,
    today: NaiveDate,
) -> Result<crate::letters::Letter, handlebars::RenderError> {
    let subject = format!("EtP Scholarships {}: a progress report is due", view.cycle);
    let terms = view.award.as_ref().and_then(|award| award.terms.as_ref());
    let long = |date: NaiveDate| date.format("%-d %B %Y").to_string();
    let data = ReminderContext {
        subject: subject.clone(),
        date: long(today),
        due_on: long(due_on),
        scholar: view
            .form
            .personal
            .full_name
            .clone()
            .unwrap_or_else(|| "the scholar".to_string()),
        course: terms.map(|t| t.course.clone()).unwrap_or_default(),
        institution: terms.map(|t| t.institution.clone()).unwrap_or_default(),
        to_supervisor,
        reference: reference.to_string(),
    };
    let body = crate::templates::render("reminders/report_due", &data)?;
    Ok(crate::letters::Letter { subject, body })
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::application::LetterKind;

    /// The reminder renders in strict mode with the context `render_reminder` builds, to the supervisor
    /// (asked for the report) and to the programme office, with the scholar, the course and the due date.
    #[test]
    fn the_reminder_renders_with_its_typed_context_in_strict_mode() {
        let view = crate::letters::tests::application_for(LetterKind::Award);
        let due_on = NaiveDate::from_ymd_opt(2027, 1, 15).unwrap();
        let today = NaiveDate::from_ymd_opt(2026, 12, 16).unwrap();
        let to_supervisor = render_reminder(&view, "ETP-26-000001", due_on, true, today).unwrap();
        let to_office = render_reminder(&view, "ETP-26-000001", due_on, false, today).unwrap();
        for letter in [&to_supervisor, &to_office] {
            assert!(letter.body.contains("15 January 2027"), "the due date");
            assert!(letter.body.contains("Test Applicant"), "the scholar");
            assert!(letter.body.contains("MSc Public Policy"), "the course");
            assert!(letter.body.contains("ETP-26-000001"), "the reference");
        }
        assert_ne!(to_supervisor.body, to_office.body);
    }
}
