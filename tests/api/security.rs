//! Who looked at my data: every read of an application's personal data by staff is recorded, the
//! information officer lists it, and a subject access response includes it.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, User};
use crate::on_both_stores;
use domain::Role;

on_both_stores!(
    every_staff_read_of_an_application_is_recorded_and_listed_for_the_information_officer,
    a_subject_access_response_says_when_staff_read_the_subjects_data,
    staff_listing_cases_beside_draft_edits_are_each_answered_and_each_read_recorded,
    a_read_that_cannot_be_recorded_is_not_shown_and_the_edits_beside_it_are_kept,
);

async fn reads(app: &TestApp, information: &User, id: &str) -> Vec<Value> {
    let (status, body) = app
        .get(&format!("/api/applications/{id}/reads"), information)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body.as_array().unwrap().clone()
}

async fn every_staff_read_of_an_application_is_recorded_and_listed_for_the_information_officer(
    app: TestApp,
) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let member = app.staff(Role::CommitteeMember).await;
    let helpdesk = app.staff(Role::Helpdesk).await;
    let information = app.staff(Role::InformationOfficer).await;
    let id = app.under_review(&officer, &member).await;
    let path = format!("/api/applications/{id}");
    let before = reads(&app, &information, &id).await;
    // Taking the case to review answered the officer with the application twice (eligibility, assignment).
    assert_eq!(before.len(), 2, "{before:?}");
    assert!(
        before
            .iter()
            .all(|read| read["reader_id"] == officer.id.as_str())
    );

    for reader in [&officer, &member, &helpdesk] {
        let (status, body) = app.get(&path, reader).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let other_applicant = app.applicant().await;
    assert_eq!(
        app.get(&path, &other_applicant).await.0,
        StatusCode::NOT_FOUND,
        "a refused read shows nothing and records nothing"
    );

    let after = reads(&app, &information, &id).await;
    let new: Vec<&Value> = after.iter().skip(before.len()).collect();
    assert_eq!(new.len(), 3, "{after:?}");
    let who: Vec<(&str, &str)> = new
        .iter()
        .map(|read| {
            (
                read["reader_id"].as_str().unwrap(),
                read["reader_role"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        who,
        vec![
            (officer.id.as_str(), "programme_officer"),
            (member.id.as_str(), "committee_member"),
            (helpdesk.id.as_str(), "helpdesk"),
        ]
    );
    for read in &new {
        assert_eq!(read["through"], "api");
        assert_eq!(read["reader_name"], "Test Staff");
        assert!(read["at"].as_str().unwrap().contains('T'), "{read}");
    }
    // The list itself reads no personal data of the application; only the information officer has it.
    for refused in [&officer, &helpdesk, &member] {
        let (status, body) = app
            .get(&format!("/api/applications/{id}/reads"), refused)
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    }
    assert_eq!(
        app.get("/api/applications/no-such-application/reads", &information)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
}

/// Many staff listing the cases at once, beside applicants editing their drafts: every list is answered,
/// and every application each list showed is recorded as read by that list, once.
async fn staff_listing_cases_beside_draft_edits_are_each_answered_and_each_read_recorded(
    app: TestApp,
) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let information = app.staff(Role::InformationOfficer).await;
    let mut submitted = Vec::new();
    for _ in 0..3 {
        let applicant = app.applicant().await;
        submitted.push(app.submitted(&applicant).await);
    }
    let mut editors = Vec::new();
    for _ in 0..4 {
        let applicant = app.applicant().await;
        let draft = app.draft(&applicant).await;
        editors.push((applicant, draft));
    }
    let before = reads(&app, &information, &submitted[0]).await.len();

    const LISTS: usize = 24;
    let lists = (0..LISTS).map(|_| app.get("/api/applications?limit=50", &officer));
    let app = &app;
    let edits = editors
        .iter()
        .enumerate()
        .map(|(i, (applicant, draft))| async move {
            app.patch(
                &format!("/api/applications/{draft}"),
                applicant,
                json!({"personal": {"phone": format!("+000 {i:04}")}}),
            )
            .await
        });
    let (lists, edits) = tokio::join!(
        futures::future::join_all(lists),
        futures::future::join_all(edits)
    );
    for (status, body) in &edits {
        assert_eq!(*status, StatusCode::OK, "{body}");
    }
    for (status, body) in &lists {
        assert_eq!(*status, StatusCode::OK, "{body}");
        let shown: Vec<&str> = body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|case| case["id"].as_str().unwrap())
            .collect();
        for id in &submitted {
            assert!(shown.contains(&id.as_str()), "{id} is on the list");
        }
    }
    for id in &submitted {
        let recorded = reads(app, &information, id).await;
        let by_lists = recorded
            .iter()
            .filter(|read| read["through"] == "case_list")
            .count();
        assert_eq!(
            by_lists, LISTS,
            "one read of {id} for each list: {recorded:?}"
        );
    }
    assert_eq!(
        reads(app, &information, &submitted[0]).await.len(),
        before + LISTS
    );
}

/// When the store cannot record that staff read an application, the application is not shown to them (the
/// record of who looked is the price of looking); an applicant's edit beside it is kept all the same.
async fn a_read_that_cannot_be_recorded_is_not_shown_and_the_edits_beside_it_are_kept(
    app: TestApp,
) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let information = app.staff(Role::InformationOfficer).await;
    let applicant = app.applicant().await;
    let id = app.submitted(&applicant).await;
    let editor = app.applicant().await;
    let draft = app.draft(&editor).await;
    let refuse = match app.db() {
        projections::Db::Sqlite(pool) => sqlx::query(
            "CREATE TRIGGER refuse_reads BEFORE INSERT ON personal_data_reads \
             BEGIN SELECT RAISE(ABORT, 'reads refused by the test'); END",
        )
        .execute(pool)
        .await
        .map(|_| ()),
        projections::Db::Postgres(pool) => sqlx::raw_sql(
            "CREATE FUNCTION refuse_reads() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'reads refused by the test'; END $$; \
             CREATE TRIGGER refuse_reads BEFORE INSERT ON personal_data_reads \
             FOR EACH ROW EXECUTE FUNCTION refuse_reads();",
        )
        .execute(pool)
        .await
        .map(|_| ()),
    };
    refuse.unwrap();

    let path = format!("/api/applications/{id}");
    let draft_path = format!("/api/applications/{draft}");
    let edit = app.patch(
        &draft_path,
        &editor,
        json!({"personal": {"phone": "+000 1234"}}),
    );
    let ((status, body), (listed, list), edited) = tokio::join!(
        app.get(&path, &officer),
        app.get("/api/applications?limit=50", &officer),
        edit
    );
    for (status, body) in [(status, &body), (listed, &list)] {
        assert!(status.is_server_error(), "{status} {body}");
        assert!(body["error"].is_string(), "a JSON error: {body}");
        assert!(
            !body.to_string().contains("Test Applicant"),
            "nothing of the application is shown: {body}"
        );
    }
    assert_eq!(edited.0, StatusCode::OK, "{}", edited.1);
    // The applicant reads their own without a record, and sees their edit kept.
    let (status, own) = app
        .get(&format!("/api/applications/{draft}"), &editor)
        .await;
    assert_eq!(status, StatusCode::OK, "{own}");
    assert_eq!(own["personal"]["phone"], "+000 1234", "{own}");

    let allow = match app.db() {
        projections::Db::Sqlite(pool) => sqlx::query("DROP TRIGGER refuse_reads")
            .execute(pool)
            .await
            .map(|_| ()),
        projections::Db::Postgres(pool) => {
            sqlx::raw_sql("DROP TRIGGER refuse_reads ON personal_data_reads")
                .execute(pool)
                .await
                .map(|_| ())
        }
    };
    allow.unwrap();
    assert_eq!(app.get(&path, &officer).await.0, StatusCode::OK);
    let recorded = reads(&app, &information, &id).await;
    assert_eq!(
        recorded
            .iter()
            .filter(|read| read["through"] == "api" && read["reader_id"] == officer.id.as_str())
            .count(),
        1,
        "only the read that was shown is recorded: {recorded:?}"
    );
}

async fn a_subject_access_response_says_when_staff_read_the_subjects_data(app: TestApp) {
    let applicant = app.applicant().await;
    let id = app.submitted(&applicant).await;
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let information = app.staff(Role::InformationOfficer).await;
    let path = format!("/api/applications/{id}");
    assert_eq!(app.get(&path, &applicant).await.0, StatusCode::OK);
    assert_eq!(app.get(&path, &officer).await.0, StatusCode::OK);

    let (status, body) = app
        .post(
            "/api/information-requests",
            &information,
            json!({
                "kind": "sar", "received_on": chrono::Utc::now().date_naive().to_string(),
                "requester": {"name": "Test Subject", "email": applicant.email},
                "subject_email": applicant.email, "description": "Test: my data",
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let request = body["id"].as_str().unwrap().to_string();
    let (status, body) = app
        .post(
            &format!("/api/information-requests/{request}/response"),
            &information,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, response) = app
        .get(
            &format!("/api/information-requests/{request}/response?format=json"),
            &information,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{response}");
    let listed = response["records"]["reads_of_your_data"]
        .as_array()
        .unwrap();
    assert_eq!(
        listed.len(),
        1,
        "the officer's read, not the applicant's own: {listed:?}"
    );
    assert_eq!(listed[0]["reader_role"], "programme_officer");
    assert_eq!(listed[0]["application_id"], id.as_str());
    assert!(
        listed[0].get("reader_id").is_none(),
        "staff are not named to the subject"
    );
    assert!(
        response["categories"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c.as_str().unwrap().contains("read your application")),
        "{}",
        response["categories"]
    );
    let letter = app
        .client
        .get(format!(
            "{}/api/information-requests/{request}/response?format=html",
            app.address
        ))
        .bearer_auth(&information.token)
        .send()
        .await
        .unwrap();
    assert_eq!(letter.status(), StatusCode::OK);
    let letter = letter.text().await.unwrap();
    assert!(
        letter.contains("When EtP staff looked at your data")
            && letter.contains("Who read it</dt><dd class=\"summary-value\">programme officer"),
        "the letter lists the reads"
    );
    // Producing the response read the subject's application: that read is recorded too.
    let recorded = reads(&app, &information, &id).await;
    assert_eq!(
        recorded.last().unwrap()["through"],
        "subject_access_response"
    );
    assert_eq!(
        recorded.last().unwrap()["reader_id"],
        information.id.as_str()
    );
}

// ---------------------------------------------------------------------------------------------------------
// No personal data in the logs

mod no_personal_data_in_the_logs {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let url = crate::cli::sqlite_url(dir.path());
        super::a_whole_scenario_leaves_no_marker_of_personal_data_in_the_servers_log(
            dir.path(),
            &url,
            super::LogFormat::Text,
        )
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        let dir = tempfile::tempdir().unwrap();
        let database = crate::cli::PostgresDatabase::create().await;
        super::a_whole_scenario_leaves_no_marker_of_personal_data_in_the_servers_log(
            dir.path(),
            &database.url,
            super::LogFormat::Text,
        )
        .await;
    }
}

/// The same scenario with `ETP_LOG_FORMAT=json`: every line of the log is a JSON object, each line logged
/// while a request was answered carries that request's id and route template, and none holds personal data.
mod no_personal_data_in_the_json_logs {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let url = crate::cli::sqlite_url(dir.path());
        super::a_whole_scenario_leaves_no_marker_of_personal_data_in_the_servers_log(
            dir.path(),
            &url,
            super::LogFormat::Json,
        )
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        let dir = tempfile::tempdir().unwrap();
        let database = crate::cli::PostgresDatabase::create().await;
        super::a_whole_scenario_leaves_no_marker_of_personal_data_in_the_servers_log(
            dir.path(),
            &database.url,
            super::LogFormat::Json,
        )
        .await;
    }
}

/// The log format the server is started with (`ETP_LOG_FORMAT`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum LogFormat {
    Text,
    Json,
}

/// Every line of a JSON log is an object; a line logged inside a request's span carries the request's id
/// (a UUID) and the route template. Answers how many lines were a request's.
fn every_line_is_json_and_a_requests_line_names_its_request(log: &str) -> usize {
    let mut request_lines = 0;
    for (number, line) in log
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let object: Value = serde_json::from_str(line).unwrap_or_else(|error| {
            panic!(
                "line {} of the log is not JSON ({error}): {line}",
                number + 1
            )
        });
        assert!(
            object.is_object(),
            "line {} is not an object: {line}",
            number + 1
        );
        for field in ["timestamp", "level", "target"] {
            assert!(
                object.get(field).is_some(),
                "line {} has no {field}: {line}",
                number + 1
            );
        }
        let spans = object["spans"].as_array().cloned().unwrap_or_default();
        if let Some(request) = spans.iter().find(|span| span["name"] == "request") {
            request_lines += 1;
            let id = request["request_id"].as_str().unwrap_or_default();
            assert!(
                uuid::Uuid::parse_str(id).is_ok(),
                "line {} is a request's but carries no request id: {line}",
                number + 1
            );
            assert!(
                request["route"]
                    .as_str()
                    .is_some_and(|route| route.starts_with('/') || route == "unmatched"),
                "line {} is a request's but names no route template: {line}",
                number + 1
            );
            assert_eq!(
                object["span"]["request_id"], request["request_id"],
                "{line}"
            );
        }
    }
    request_lines
}

/// A string that appears nowhere but where the test put it: `mkq` (no English word has it), a tag, a number.
fn marker(tag: &str) -> String {
    format!("mkq{tag}7x")
}

async fn a_whole_scenario_leaves_no_marker_of_personal_data_in_the_servers_log(
    dir: &std::path::Path,
    url: &str,
    format: LogFormat,
) {
    use crate::cli::{Server, assert_success, etp, run};
    use reqwest::Method;

    const JWT: &str = "a jwt secret for the log test of at least 32 bytes";
    const MASTER: &str = "4c6f672074657374206d6173746572206b6579206f662033322062797465732e";
    let password = marker("password");
    let mut staff = Vec::new();
    for role in [
        "programme_officer",
        "committee_member",
        "helpdesk",
        "information_officer",
        "admin",
    ] {
        let email = format!("{}@example.test", marker(&format!("staff{}", staff.len())));
        let mut command = etp(
            dir,
            url,
            &[
                "users",
                "add",
                "--email",
                &email,
                "--role",
                role,
                "--name",
                &marker(&format!("staffname{}", staff.len())),
                "--password-stdin",
            ],
        );
        command
            .env("ETP_JWT_SECRET", JWT)
            .env("ETP_MASTER_KEY", MASTER);
        assert_success(&run(command, Some(&format!("{password}\n"))), "users add");
        staff.push(email);
    }
    let log = dir.join("server.log");
    // The most an operator would turn on to look into a problem: every event of ours and of the stack.
    let env: &[(&str, &str)] = match format {
        LogFormat::Text => &[],
        LogFormat::Json => &[("ETP_LOG_FORMAT", "json")],
    };
    let server = Server::start_with(
        dir,
        url,
        Some((JWT, MASTER)),
        Some((&log, "trace,handlebars=trace,hyper=trace")),
        env,
    )
    .await;
    let token = async |email: &str, password: &str| -> String {
        let (status, body) = server.login(email, password).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["token"].as_str().unwrap().to_string()
    };
    let officer = token(&staff[0], &password).await;
    let member = token(&staff[1], &password).await;
    let helpdesk = token(&staff[2], &password).await;
    let information = token(&staff[3], &password).await;
    let admin = token(&staff[4], &password).await;
    let member_id = server
        .login(&staff[1], &password)
        .await
        .1
        .get("user_id")
        .and_then(Value::as_str)
        .unwrap()
        .to_string();
    let send = async |method: Method, path: &str, token: Option<&str>, body: Option<Value>| {
        let (status, answer) = server.send(method, path, token, body).await;
        assert!(!status.is_server_error(), "{path}: {status} {answer}");
        (status, answer)
    };

    let applicant_email = format!("{}@example.test", marker("applicantemail"));
    let (status, _) = send(
        Method::POST,
        "/api/auth/register",
        None,
        Some(json!({"email": applicant_email, "password": password, "full_name": marker("accountname")})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = send(
        Method::POST,
        "/api/auth/register",
        None,
        Some(json!({"email": applicant_email, "password": password, "full_name": marker("again")})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = server
        .login(&applicant_email, &marker("wrongpassword"))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = server
        .login(
            &format!("{}@example.test", marker("unknownemail")),
            &password,
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let applicant = token(&applicant_email, &password).await;

    let (status, body) = send(
        Method::POST,
        "/api/applications",
        Some(&applicant),
        Some(json!({"cycle": "2026-27"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["id"].as_str().unwrap().to_string();
    let at = |action: &str| format!("/api/applications/{id}{action}");
    let form = json!({
        "personal": {
            "full_name": marker("fullname"),
            "date_of_birth": "1971-03-17",
            "email": format!("{}@example.test", marker("formemail")),
            "phone": "+000 7319 2846 5501",
            "address": marker("address"),
            "nationality": "Kenya",
            "country_of_residence": "Kenya"
        },
        "education": [{"institution": marker("school"), "qualification": marker("degree"), "subject": marker("subject"), "year": 2020}],
        "employment": [{"employer": marker("employer"), "role": marker("jobtitle"), "from": "2020-09"}],
        "courses": [{"institution": marker("university"), "course": marker("course"), "level": "masters"}],
        "essays": {
            "leadership": marker("leadership"),
            "networking": marker("networking"),
            "study_plan": marker("studyplan"),
            "career_plan": marker("careerplan")
        },
        "referees": [
            {"name": marker("refereeone"), "email": format!("{}@example.test", marker("refereeoneemail"))},
            {"name": marker("refereetwo"), "email": format!("{}@example.test", marker("refereetwoemail"))}
        ]
    });
    let (status, body) = send(Method::PATCH, &at(""), Some(&applicant), Some(form)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = send(
        Method::PATCH,
        &at(""),
        Some(&applicant),
        Some(json!({"personal": {"email": marker("notanemail"), "date_of_birth": marker("notadate")}})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = send(
        Method::PATCH,
        &at(""),
        Some(&applicant),
        Some(json!({"personal": {"full_name": 7}, "essays": marker("wrongtype")})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = send(Method::POST, &at("/submit"), Some(&applicant), None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = send(
        Method::GET,
        &format!("/api/applications?q={}", marker("fullname")),
        Some(&officer),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    for (token, action, body) in [
        (
            &officer,
            "/eligibility",
            json!({"eligible": true, "reason": marker("eligibility")}),
        ),
        (
            &officer,
            "/assignments",
            json!({"committee_member_id": member_id}),
        ),
        (
            &member,
            "/scores",
            json!({"leadership": 8, "networking": 8, "study_plan": 8, "career_plan": 8, "comment": marker("scorecomment")}),
        ),
        (&officer, "/decision", json!({"outcome": "selected"})),
        (
            &officer,
            "/award",
            json!({"institution": marker("awardinstitution"), "course": marker("awardcourse"), "level": "masters", "start_date": "2027-09-20"}),
        ),
        (
            &helpdesk,
            "/amendments",
            json!({"changes": {"personal.phone": "+000 7319 2846 5502"}, "reason": marker("amendreason")}),
        ),
    ] {
        let (status, body) = send(Method::POST, &at(action), Some(token), Some(body)).await;
        assert_eq!(status, StatusCode::OK, "{action}: {body}");
    }
    let (status, body) = send(
        Method::POST,
        &at("/immigration-records"),
        Some(&officer),
        Some(json!({"kind": "visa", "reference": marker("visareference"), "issued_on": "2026-08-01"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = send(
        Method::POST,
        "/api/recipients",
        Some(&admin),
        Some(json!({"name": marker("embassy"), "kind": "british_mission", "country": "Kenya"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let recipient = body["id"].as_str().unwrap().to_string();
    let (status, body) = send(
        Method::POST,
        &at("/disclosures"),
        Some(&officer),
        Some(json!({"recipient_id": recipient, "purpose": marker("purpose"), "fields": ["personal.full_name"]})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    for path in [
        at(""),
        at("/immigration-records"),
        at("/history"),
        at("/disclosures"),
    ] {
        let (status, _) = send(Method::GET, &path, Some(&officer), None).await;
        assert_eq!(status, StatusCode::OK, "{path}");
    }

    let (status, body) = send(
        Method::POST,
        "/api/information-requests",
        Some(&information),
        Some(json!({
            "kind": "sar", "received_on": chrono::Utc::now().date_naive().to_string(),
            "requester": {"name": marker("requester"), "email": applicant_email},
            "subject_email": applicant_email, "description": marker("description"),
        })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let request = body["id"].as_str().unwrap().to_string();
    let (status, _) = send(
        Method::POST,
        &format!("/api/information-requests/{request}/response"),
        Some(&information),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    for format in ["json", "html"] {
        let response = reqwest::Client::new()
            .get(format!(
                "{}/api/information-requests/{request}/response?format={format}",
                server.base
            ))
            .bearer_auth(&information)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert!(
            response.text().await.unwrap().contains(&marker("fullname")),
            "the response itself holds the data"
        );
    }
    let (status, _) = send(
        Method::POST,
        "/api/auth/password",
        Some(&applicant),
        Some(json!({"current_password": password, "new_password": marker("newpassword")})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    // The pages too: a sign-in form posted with the markers (refused: it carries no CSRF token).
    let response = reqwest::Client::new()
        .post(format!("{}/login", server.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "email={}&password={}",
            applicant_email.replace('@', "%40"),
            marker("pagepassword")
        ))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_client_error());
    drop(server);

    let text = std::fs::read_to_string(&log).unwrap();
    if format == LogFormat::Json {
        let request_lines = every_line_is_json_and_a_requests_line_names_its_request(&text);
        assert!(
            request_lines > 100,
            "the requests' lines carry their span: {request_lines} of them"
        );
    }
    let text = text.to_lowercase();
    assert!(
        text.contains("/api/applications/{id}/amendments"),
        "the log holds the requests, by route: {} bytes",
        text.len()
    );
    let found: Vec<&str> = text
        .match_indices("mkq")
        .map(|(at, _)| {
            let end = text[at..]
                .find(|c: char| !c.is_ascii_alphanumeric())
                .map_or(text.len(), |n| at + n);
            &text[at..end]
        })
        .collect();
    let lines: Vec<String> = text
        .lines()
        .filter(|line| line.contains("mkq"))
        .take(8)
        .map(|line| {
            let start = line.find("mkq").unwrap_or(0).saturating_sub(200);
            line.chars().skip(start).take(320).collect()
        })
        .collect();
    assert!(
        found.is_empty(),
        "the server's log holds personal data: {found:?}, in lines such as {lines:#?}"
    );
    assert!(
        !text.contains("1971-03-17"),
        "the date of birth is in the log"
    );
    assert!(
        !text.contains("7319 2846 550"),
        "a telephone number is in the log"
    );
}
