//! Reminders of progress reports falling due (issue 25): the daily sweep emails, once for each due date,
//! the scholar's supervisor and the programme office where a mail server is set, records it so no later
//! sweep sends it again, and counts it in its report; without a mail server nothing is sent and nothing
//! fails. The officer's desk and the case show the reports due until they are recorded.

use chrono::{Days, NaiveDate, Utc};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::smtp::SmtpSink;
use crate::helpers::{TestApp, User, award_terms};
use crate::on_both_stores;
use domain::Role;
use services::retention::{Ledger, SweepReport};

on_both_stores!(a_report_falling_due_is_reminded_once_by_email_where_mail_is_set);

const OFFICE: &str = "programme.office@example.test";

async fn sweep(app: &TestApp, as_of: NaiveDate) -> SweepReport {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let ledger = Ledger::new(dir.path().join("destroyed-streams.ledger"));
    services::retention::sweep(&app.state, &ledger, as_of, false, &|_, _| {})
        .await
        .unwrap_or_else(|error| panic!("the sweep as of {as_of} runs: {error:#}"))
}

/// An award that started four months ago, its reports due on `due` and its supervisor at `supervisor`.
async fn started_award(
    app: &TestApp,
    officer: &User,
    due: &[NaiveDate],
    supervisor: &str,
) -> String {
    let id = app.decided(officer, "selected").await;
    let mut terms = award_terms();
    terms["start_date"] = json!((Utc::now().date_naive() - Days::new(120)).to_string());
    app.expect_ok(
        app.post(&format!("/api/applications/{id}/award"), officer, terms)
            .await,
    );
    let due: Vec<String> = due.iter().map(NaiveDate::to_string).collect();
    app.expect_ok(
        app.put(
            &format!("/api/applications/{id}/report-schedule"),
            officer,
            json!({ "due": due }),
        )
        .await,
    );
    app.expect_ok(
        app.put(
            &format!("/api/applications/{id}/supervisor"),
            officer,
            json!({"name": "Test Supervisor Four", "email": supervisor,
                   "institution": "Test Institute", "department": "Test Department"}),
        )
        .await,
    );
    id
}

async fn a_report_falling_due_is_reminded_once_by_email_where_mail_is_set(app: TestApp) {
    let today = Utc::now().date_naive();
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let supervisor = format!("supervisor-{}@example.test", uuid::Uuid::new_v4().simple());
    let id = started_award(&app, &officer, &[today, today + Days::new(90)], &supervisor).await;
    let ours = |report: &SweepReport| {
        report
            .report_reminders
            .iter()
            .filter(|r| r.application_id == id)
            .cloned()
            .collect::<Vec<_>>()
    };

    // No mail server: the sweep runs, sends nothing and records nothing.
    let report = sweep(&app, today).await;
    assert!(report.report_reminders.is_empty(), "{report:?}");
    let shown = app.expect_ok(
        app.get(&format!("/api/applications/{id}/administration"), &officer)
            .await,
    );
    assert_eq!(shown["reports_overdue"], json!([]), "{shown}");
    assert_eq!(shown["reports_due"][0], json!(today.to_string()), "{shown}");

    // The reminder shown: on the officer's desk, linking to the award page, and on the case.
    let mut desk = crate::pages::sign_in(&app, &officer.email).await;
    let cases = desk.get("/cases").await;
    assert_eq!(cases.status, StatusCode::OK);
    let text = cases.text();
    assert!(text.contains("Progress reports due"), "{text}");
    assert!(
        text.contains(&format!("href=\"/cases/{id}/administration\"")),
        "{text}"
    );
    assert!(text.contains("Due today"), "{text}");
    let case = desk.get(&format!("/cases/{id}")).await;
    let text = case.text();
    assert!(text.contains("A progress report is due"), "{text}");
    assert!(
        text.contains(&today.format("%-d %B %Y").to_string()),
        "{text}"
    );
    let helpdesk = app.staff(Role::Helpdesk).await;
    let mut other = crate::pages::sign_in(&app, &helpdesk.email).await;
    assert!(
        !other
            .get("/cases")
            .await
            .text()
            .contains("Progress reports due"),
        "the officer's desk only"
    );

    let sink = SmtpSink::start().await;
    let app = app
        .with_mail_server_and_office(&sink.url(), Some(OFFICE))
        .await;
    // The day before it falls due: nothing yet.
    let report = sweep(&app, today - Days::new(1)).await;
    assert!(ours(&report).is_empty(), "{report:?}");

    // On the due day: one reminder, to the supervisor and the office, counted in the report.
    let report = sweep(&app, today).await;
    let reminders = ours(&report);
    assert_eq!(reminders.len(), 1, "{report:?}");
    assert_eq!(reminders[0].due_on, today);
    assert_eq!(reminders[0].failed, None);
    assert_eq!(reminders[0].sent_to, ["supervisor", "programme_office"]);
    assert!(
        report.summary().contains("report reminders sent 1"),
        "{}",
        report.summary()
    );
    let mails = sink.wait_for(2).await;
    let mut to: Vec<String> = mails.iter().flat_map(|m| m.to.clone()).collect();
    to.sort();
    let mut expected = vec![supervisor.clone(), OFFICE.to_string()];
    expected.sort();
    assert_eq!(to, expected);
    for mail in &mails {
        assert_eq!(
            mail.header("Subject").as_deref(),
            Some("EtP Scholarships 2026-27: a progress report is due")
        );
        assert!(
            mail.data.contains(&today.format("%-d %B %Y").to_string()),
            "the due date: {}",
            mail.data
        );
    }

    // A second sweep, that day or later, sends none.
    let report = sweep(&app, today).await;
    assert!(ours(&report).is_empty(), "{report:?}");
    let report = sweep(&app, today + Days::new(1)).await;
    assert!(ours(&report).is_empty(), "{report:?}");
    assert_eq!(sink.mails().len(), 2, "no second reminder");

    // Once the report is recorded, the case shows no reminder.
    let (status, body) = app
        .post(
            &format!("/api/applications/{id}/progress-reports"),
            &officer,
            json!({"period": "Test term", "source": "supervisor", "rating": "good", "text": "Test text."}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let mut desk = crate::pages::sign_in(&app, &officer.email).await;
    let case = desk.get(&format!("/cases/{id}")).await;
    assert!(
        !case.text().contains("A progress report is due"),
        "{}",
        case.text()
    );
}
