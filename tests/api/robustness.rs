//! SPEC.md "Interfaces": nothing a client sends can produce a 500 or a panic, and every refusal is JSON
//! `{"error": "<code>", "message": "<sentence>"}` with a 4xx status. Each refusal of the body extractor
//! by name, then a sweep of hostile bodies, values, ids and queries over every Applications and Auth route.

use std::collections::BTreeMap;

use reqwest::header::{CONTENT_TYPE, HeaderValue};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, User, award_terms, complete_form, scores};
use crate::on_both_stores;
use domain::Role;
use services::http::BODY_LIMIT;

on_both_stores!(
    a_body_over_the_limit_is_refused_as_payload_too_large,
    malformed_json_is_refused_as_malformed_json,
    json_sent_without_its_content_type_is_refused_as_unsupported_media_type,
    json_of_the_wrong_types_is_refused_as_invalid,
    an_unknown_api_route_is_not_found_in_json,
    a_wrong_method_on_a_known_route_is_refused_with_405_in_json,
    no_hostile_body_on_any_route_gives_a_server_error_or_a_refusal_that_is_not_json,
    no_hostile_value_in_a_well_shaped_body_gives_a_server_error_or_a_refusal_that_is_not_json,
    no_hostile_application_id_in_the_path_gives_a_server_error_or_a_refusal_that_is_not_json,
    no_hostile_query_of_the_case_list_gives_a_server_error_or_a_refusal_that_is_not_json,
);

/// Text with a NUL character: SQLite keeps it, PostgreSQL refuses it in text and JSONB columns. The
/// service must refuse it itself (or keep it) rather than fail.
mod nul_characters {
    use crate::helpers::{Backend, spawn_app};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::a_nul_character_anywhere_gives_no_server_error(spawn_app(Backend::Sqlite).await)
            .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::a_nul_character_anywhere_gives_no_server_error(spawn_app(Backend::Postgres).await)
            .await;
    }
}

/// `%FF` in a path segment: the id is not UTF-8, and axum's own `Path` refusal is plain text.
mod ids_that_are_not_utf8 {
    use crate::helpers::{Backend, spawn_app};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::an_application_id_that_is_not_utf8_is_refused_in_json(
            spawn_app(Backend::Sqlite).await,
        )
        .await;
    }
}

/// `/api/` and `/api/x/` are under `/api` but not matched by the nested router.
mod api_paths_with_a_trailing_slash {
    use crate::helpers::{Backend, spawn_app};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::an_api_path_with_a_trailing_slash_is_not_found_in_json(
            spawn_app(Backend::Sqlite).await,
        )
        .await;
    }
}

/// What came back: the status, the Content-Type and the body as text.
#[derive(Debug)]
struct Answer {
    status: StatusCode,
    content_type: String,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }

    /// What is wrong with this answer by the rule, if anything: a 5xx, or a 4xx that is not our JSON shape.
    fn breaks_the_rule(&self) -> Option<String> {
        if self.status.is_server_error() {
            return Some(format!("{} {}", self.status, shorten(&self.text)));
        }
        if !self.status.is_client_error() {
            return None;
        }
        let body = self.json();
        let text_field = |name: &str| body[name].as_str().is_some_and(|s| !s.trim().is_empty());
        if !self.content_type.starts_with("application/json") {
            return Some(format!(
                "{} refused as {:?}, not JSON: {:?}",
                self.status,
                self.content_type,
                shorten(&self.text)
            ));
        }
        if !body.is_object() || !text_field("error") || !text_field("message") {
            return Some(format!(
                "{} refused without string error and message: {}",
                self.status,
                shorten(&self.text)
            ));
        }
        None
    }
}

fn shorten(text: &str) -> String {
    let short: String = text.chars().take(160).collect();
    if short.len() < text.len() {
        format!("{short}…")
    } else {
        short
    }
}

/// Sends exactly these bytes with exactly this Content-Type (none when `None`).
///
/// A route that never reads the body (a GET, a submission) may answer and close the connection while the
/// body is still being written, which HTTP allows: the client then sees a broken pipe and no answer. Such a
/// request is sent again, a few times, before it counts as a failure.
async fn send_raw(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    content_type: Option<&str>,
    body: Option<Vec<u8>>,
) -> Answer {
    let mut last_error = None;
    for _ in 0..4 {
        let mut request = app
            .client
            .request(method.clone(), format!("{}{path}", app.address));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(content_type) = content_type {
            request = request.header(CONTENT_TYPE, content_type);
        }
        if let Some(body) = &body {
            request = request.body(body.clone());
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(error) => {
                last_error = Some(error);
                continue;
            }
        };
        let status = response.status();
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("")
            .to_string();
        let text = response.text().await.expect("a response body");
        return Answer {
            status,
            content_type,
            text,
        };
    }
    panic!("{method} {path} gets no answer: {last_error:?}")
}

async fn send_json_text(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: &str,
) -> Answer {
    send_raw(
        app,
        method,
        path,
        token,
        Some("application/json"),
        Some(body.as_bytes().to_vec()),
    )
    .await
}

#[track_caller]
fn assert_refusal(answer: &Answer, status: StatusCode, code: &str, what: &str) {
    assert_eq!(answer.status, status, "{what}: {}", answer.text);
    assert_eq!(
        answer.breaks_the_rule(),
        None,
        "{what}: the refusal is our JSON shape"
    );
    assert_eq!(answer.json()["error"], code, "{what}: {}", answer.text);
}

async fn a_body_over_the_limit_is_refused_as_payload_too_large(app: TestApp) {
    let applicant = app.applicant().await;
    let id = app.draft(&applicant).await;

    let padding = "x".repeat(BODY_LIMIT);
    let register =
        json!({"email": "big@example.test", "password": padding, "full_name": "Test Big"})
            .to_string();
    assert!(register.len() > BODY_LIMIT);
    let answer = send_json_text(&app, Method::POST, "/api/auth/register", None, &register).await;
    assert_refusal(
        &answer,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        "a registration over the limit",
    );

    let patch = json!({"essays": {"leadership": padding}}).to_string();
    let answer = send_json_text(
        &app,
        Method::PATCH,
        &format!("/api/applications/{id}"),
        Some(&applicant.token),
        &patch,
    )
    .await;
    assert_refusal(
        &answer,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        "an edit over the limit",
    );

    // Not JSON at all, and much larger: still refused in our shape, never read whole.
    let huge = vec![b'['; BODY_LIMIT * 8];
    let answer = send_raw(
        &app,
        Method::POST,
        "/api/applications",
        Some(&applicant.token),
        Some("application/json"),
        Some(huge),
    )
    .await;
    assert_refusal(
        &answer,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        "a body eight times the limit",
    );

    // Just under the limit is read (and refused for what it says, not for its size).
    let under = json!({"essays": {"leadership": "x".repeat(BODY_LIMIT - 100)}}).to_string();
    assert!(under.len() < BODY_LIMIT);
    let answer = send_json_text(
        &app,
        Method::PATCH,
        &format!("/api/applications/{id}"),
        Some(&applicant.token),
        &under,
    )
    .await;
    assert_ne!(
        answer.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        answer.text
    );
    assert_eq!(answer.breaks_the_rule(), None);
}

async fn malformed_json_is_refused_as_malformed_json(app: TestApp) {
    let applicant = app.applicant().await;
    for body in [
        "{\"email\": ",
        "{email: 1}",
        "{'cycle': '2026-27'}",
        "{\"cycle\": \"2026-27\",}",
        "{\"cycle\": \"2026-27\", \"email\": \"a@example.test\", \"password\": \"x\"} trailing",
        "{\"email\": \"\\ud800\", \"password\": \"x\", \"cycle\": \"\\ud800\"}",
        "NaN",
        "\u{feff}{}",
    ] {
        let answer = send_json_text(&app, Method::POST, "/api/auth/login", None, body).await;
        assert_refusal(
            &answer,
            StatusCode::BAD_REQUEST,
            "malformed_json",
            &format!("login with {body:?}"),
        );
        let answer = send_json_text(
            &app,
            Method::POST,
            "/api/applications",
            Some(&applicant.token),
            body,
        )
        .await;
        assert_refusal(
            &answer,
            StatusCode::BAD_REQUEST,
            "malformed_json",
            &format!("a new application with {body:?}"),
        );
    }
    let invalid_utf8 = b"{\"cycle\": \"\xff\xfe\"}".to_vec();
    let answer = send_raw(
        &app,
        Method::POST,
        "/api/applications",
        Some(&applicant.token),
        Some("application/json"),
        Some(invalid_utf8),
    )
    .await;
    assert_refusal(
        &answer,
        StatusCode::BAD_REQUEST,
        "malformed_json",
        "a body that is not UTF-8",
    );
    let answer = send_raw(
        &app,
        Method::POST,
        "/api/applications",
        Some(&applicant.token),
        Some("application/json"),
        Some(Vec::new()),
    )
    .await;
    assert_eq!(answer.breaks_the_rule(), None, "an empty body");
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "an empty body");
}

async fn json_sent_without_its_content_type_is_refused_as_unsupported_media_type(app: TestApp) {
    let applicant = app.applicant().await;
    let body = json!({"cycle": "2026-27"}).to_string().into_bytes();
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        Some("application/jsonx"),
    ] {
        let answer = send_raw(
            &app,
            Method::POST,
            "/api/applications",
            Some(&applicant.token),
            content_type,
            Some(body.clone()),
        )
        .await;
        assert_refusal(
            &answer,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            &format!("a new application sent as {content_type:?}"),
        );
    }
    let login = json!({"email": "someone@example.test", "password": PASSWORD})
        .to_string()
        .into_bytes();
    let answer = send_raw(
        &app,
        Method::POST,
        "/api/auth/login",
        None,
        Some("text/plain"),
        Some(login),
    )
    .await;
    assert_refusal(
        &answer,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "a sign-in sent as text",
    );
    // The charset parameter and a vendor suffix are still JSON.
    let answer = send_raw(
        &app,
        Method::POST,
        "/api/applications",
        Some(&applicant.token),
        Some("application/json; charset=utf-8"),
        Some(body),
    )
    .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
}

async fn json_of_the_wrong_types_is_refused_as_invalid(app: TestApp) {
    let applicant = app.applicant().await;
    for body in [
        json!({"cycle": 5}),
        json!({"cycle": null}),
        json!({"cycle": ["2026-27"]}),
        json!({}),
        json!([]),
        json!("2026-27"),
    ] {
        let answer = send_json_text(
            &app,
            Method::POST,
            "/api/applications",
            Some(&applicant.token),
            &body.to_string(),
        )
        .await;
        assert_refusal(
            &answer,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            &format!("a new application with {body}"),
        );
    }
    let answer = send_json_text(
        &app,
        Method::POST,
        "/api/auth/register",
        None,
        &json!({"email": 1, "password": true, "full_name": {}}).to_string(),
    )
    .await;
    assert_refusal(
        &answer,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
        "a registration of numbers",
    );
    let id = app.draft(&applicant).await;
    let answer = send_json_text(
        &app,
        Method::PATCH,
        &format!("/api/applications/{id}"),
        Some(&applicant.token),
        &json!({"courses": "MSc"}).to_string(),
    )
    .await;
    assert_refusal(
        &answer,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
        "courses that are text",
    );
    let answer = send_json_text(
        &app,
        Method::PUT,
        &format!("/api/applications/{id}/preferences"),
        Some(&applicant.token),
        &json!({"networking_opt_out": "yes", "alumni_email_opt_out": false, "alumni_book_opt_out": false, "images_opt_out": false}).to_string(),
    )
    .await;
    assert_refusal(
        &answer,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid",
        "an opt-out that is text",
    );
}

async fn an_unknown_api_route_is_not_found_in_json(app: TestApp) {
    let applicant = app.applicant().await;
    let id = app.draft(&applicant).await;
    for (method, path) in [
        (Method::GET, "/api/nothing-here".to_string()),
        (Method::POST, "/api/nothing-here".to_string()),
        (Method::GET, "/api".to_string()),
        (Method::GET, format!("/api/applications/{id}/nothing-here")),
        (Method::POST, format!("/api/applications/{id}/submit/again")),
        (Method::DELETE, "/api/auth".to_string()),
        (Method::GET, "/api/auth/login/x".to_string()),
    ] {
        for token in [None, Some(applicant.token.as_str())] {
            let answer = send_raw(&app, method.clone(), &path, token, None, None).await;
            assert_refusal(
                &answer,
                StatusCode::NOT_FOUND,
                "not_found",
                &format!("{method} {path} (token: {})", token.is_some()),
            );
        }
    }
}

async fn an_api_path_with_a_trailing_slash_is_not_found_in_json(app: TestApp) {
    let applicant = app.applicant().await;
    let id = app.draft(&applicant).await;
    for path in [
        "/api/".to_string(),
        "/api/auth/login/".to_string(),
        format!("/api/applications/{id}/"),
        "/api//applications".to_string(),
    ] {
        let answer = send_raw(&app, Method::GET, &path, Some(&applicant.token), None, None).await;
        assert_refusal(
            &answer,
            StatusCode::NOT_FOUND,
            "not_found",
            &format!("GET {path}"),
        );
    }
}

async fn a_wrong_method_on_a_known_route_is_refused_with_405_in_json(app: TestApp) {
    let applicant = app.applicant().await;
    let id = app.draft(&applicant).await;
    for (method, path) in [
        (Method::GET, "/api/auth/login".to_string()),
        (Method::DELETE, "/api/auth/register".to_string()),
        (Method::DELETE, format!("/api/applications/{id}")),
        (Method::PUT, format!("/api/applications/{id}")),
        (Method::GET, format!("/api/applications/{id}/submit")),
        (Method::POST, format!("/api/applications/{id}/history")),
        (Method::PATCH, "/api/applications".to_string()),
    ] {
        let answer = send_raw(
            &app,
            method.clone(),
            &path,
            Some(&applicant.token),
            None,
            None,
        )
        .await;
        assert_refusal(
            &answer,
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            &format!("{method} {path}"),
        );
    }
}

/// Every person a request may come from, and every application state a route may meet.
struct Fixture {
    owner: User,
    helpdesk: User,
    officer: User,
    member: User,
    /// Who may send what: the label and the token (none, or not a token at all, among them).
    tokens: Vec<(&'static str, Option<String>)>,
    /// The owner's draft, not yet complete.
    draft: String,
    /// Another applicant's application, submitted.
    submitted: String,
    /// Submitted, eligible and assigned to `member`.
    review: String,
    /// Decided: selected.
    selected: String,
    /// Awarded.
    awarded: String,
}

impl Fixture {
    async fn new(app: &TestApp) -> Fixture {
        let owner = app.applicant().await;
        let other = app.applicant().await;
        let helpdesk = app.staff(Role::Helpdesk).await;
        let officer = app.staff(Role::ProgrammeOfficer).await;
        let member = app.staff(Role::CommitteeMember).await;
        let information = app.staff(Role::InformationOfficer).await;
        let admin = app.staff(Role::Admin).await;
        let draft = app.draft(&owner).await;
        let submitted = app.submitted(&other).await;
        let review = app.under_review(&officer, &member).await;
        let selected = app.decided(&officer, "selected").await;
        let awarded = app.awarded(&officer).await;
        let tokens = vec![
            ("no token", None),
            ("not a token", Some("not-a-token".to_string())),
            ("the owner", Some(owner.token.clone())),
            ("another applicant", Some(other.token.clone())),
            ("helpdesk", Some(helpdesk.token.clone())),
            ("a programme officer", Some(officer.token.clone())),
            ("the assigned committee member", Some(member.token.clone())),
            ("an information officer", Some(information.token.clone())),
            ("an admin", Some(admin.token.clone())),
        ];
        Fixture {
            owner,
            helpdesk,
            officer,
            member,
            tokens,
            draft,
            submitted,
            review,
            selected,
            awarded,
        }
    }

    /// Every route of the Applications and Auth sections, with a real application in the state it acts
    /// on, who may call it, and a body of the right shape. Withdrawal last: it ends the owner's draft.
    fn routes(&self) -> Vec<Route> {
        let application = |id: &str, rest: &str| format!("/api/applications/{id}{rest}");
        let mut form = complete_form();
        form["preferences"] = json!({"networking_opt_out": true, "alumni_email_opt_out": false, "alumni_book_opt_out": true, "images_opt_out": false});
        let mut award = award_terms();
        award["joint_sponsor_id"] = json!("joint-sponsor-test");
        vec![
            Route::new(Method::POST, "/api/auth/register".into(), None).shaped(
                json!({"email": "shaped.person@example.test", "password": PASSWORD, "full_name": "Test Shaped Person"}),
            ),
            Route::new(Method::POST, "/api/auth/login".into(), None)
                .shaped(json!({"email": self.owner.email, "password": PASSWORD})),
            Route::new(Method::POST, "/api/applications".into(), Some(&self.owner))
                .shaped(json!({"cycle": "2027-28"})),
            Route::new(Method::GET, "/api/applications".into(), Some(&self.officer)),
            Route::new(Method::GET, application(&self.draft, ""), Some(&self.owner)),
            Route::new(Method::PATCH, application(&self.draft, ""), Some(&self.owner)).shaped(form),
            Route::new(
                Method::PUT,
                application(&self.draft, "/preferences"),
                Some(&self.owner),
            )
            .shaped(json!({"networking_opt_out": true, "alumni_email_opt_out": true, "alumni_book_opt_out": false, "images_opt_out": false, "reason": "asked by phone"})),
            Route::new(
                Method::PUT,
                application(&self.submitted, "/preferences"),
                Some(&self.officer),
            )
            .shaped(json!({"networking_opt_out": false, "alumni_email_opt_out": true, "alumni_book_opt_out": false, "images_opt_out": true, "reason": "asked by letter"})),
            Route::new(
                Method::POST,
                application(&self.submitted, "/amendments"),
                Some(&self.helpdesk),
            )
            .shaped(json!({"changes": {"personal.email": "amended.test@example.test", "personal.phone": "+000 1111"}, "reason": "asked by phone", "requested_by": "the applicant"})),
            Route::new(
                Method::POST,
                application(&self.submitted, "/eligibility"),
                Some(&self.officer),
            )
            .shaped(json!({"eligible": true, "reason": "meets the rules"})),
            Route::new(
                Method::POST,
                application(&self.review, "/assignments"),
                Some(&self.officer),
            )
            .shaped(json!({"committee_member_id": self.member.id})),
            Route::new(
                Method::POST,
                application(&self.review, "/scores"),
                Some(&self.member),
            )
            .shaped(scores(6)),
            Route::new(
                Method::POST,
                application(&self.review, "/conflicts"),
                Some(&self.member),
            )
            .shaped(json!({"reason": "I know the applicant"})),
            Route::new(
                Method::POST,
                application(&self.review, "/decision"),
                Some(&self.officer),
            )
            .shaped(json!({"outcome": "reserve"})),
            Route::new(
                Method::POST,
                application(&self.selected, "/award"),
                Some(&self.officer),
            )
            .shaped(award),
            Route::new(
                Method::POST,
                application(&self.awarded, "/award/complete"),
                Some(&self.officer),
            )
            .shaped(json!({"outcome": "completed", "completed_on": "2026-09-30"})),
            Route::new(
                Method::POST,
                application(&self.awarded, "/immigration-records"),
                Some(&self.officer),
            )
            .shaped(json!({"kind": "visa", "reference": "TEST-REF-2", "issued_on": "2026-01-05"})),
            Route::new(
                Method::GET,
                application(&self.awarded, "/immigration-records"),
                Some(&self.officer),
            ),
            Route::new(
                Method::GET,
                application(&self.review, "/history"),
                Some(&self.officer),
            ),
            Route::new(
                Method::POST,
                application(&self.draft, "/submit"),
                Some(&self.owner),
            ),
            Route::new(
                Method::POST,
                application(&self.draft, "/withdraw"),
                Some(&self.owner),
            ),
        ]
    }
}

struct Route {
    method: Method,
    path: String,
    /// The token of the one who may call it (`None`: anyone, as for sign-in).
    actor: Option<String>,
    /// A body of the right shape, whose values the sweep replaces one by one.
    shape: Option<Value>,
}

impl Route {
    fn new(method: Method, path: String, actor: Option<&User>) -> Route {
        Route {
            method,
            path,
            actor: actor.map(|user| user.token.clone()),
            shape: None,
        }
    }

    fn shaped(mut self, body: Value) -> Route {
        self.shape = Some(body);
        self
    }
}

/// Strings a client may send in any field. Long enough to pass a length rule where one applies.
fn hostile_strings() -> Vec<String> {
    vec![
        "<script>alert('test')</script> in a long enough text".into(),
        "'; DROP TABLE events; -- a long enough text".into(),
        "ＴＥＳＴ ✓ 🎓 مرحبا 你好 \u{202e}reversed\u{202c} e\u{301} long".into(),
        "\u{feff}\u{200b}\u{fffd}\u{10ffff}\u{7f}\u{1b}[31m\t\r\n controls".into(),
        "{{> partial}} {{{raw}}} ${jndi:ldap://test.invalid/a} %s%n%x".into(),
        String::new(),
        "   ".into(),
        "x".repeat(100_000),
        "9999-99".into(),
        "0000-00-00".into(),
        "+275760-09-13".into(),
        "-1".into(),
        "__proto__".into(),
        "../../../../etc/passwd".into(),
    ]
}

/// Text with a NUL character in it, in the places where it may get furthest.
fn nul_strings() -> Vec<String> {
    vec![
        "a NUL \u{0} inside text long enough to pass".into(),
        "\u{0}".into(),
        "nul\u{0}@example.test".into(),
        "2026-27\u{0}".into(),
    ]
}

/// JSON texts of other kinds to put where a value is expected: huge and odd numbers, and wrong types.
fn hostile_raw_values() -> Vec<String> {
    let mut values: Vec<String> = [
        "1e999999",
        "-1e999999",
        "18446744073709551616",
        "-9223372036854775809",
        "9223372036854775807",
        "-9223372036854775808",
        "123456789012345678901234567890123456789",
        "-1",
        "11",
        "1.5",
        "-0",
        "1e2",
        "null",
        "true",
        "[]",
        "{}",
        "[null]",
        "{\"\": null}",
        "\"\\ud800\"",
    ]
    .into_iter()
    .map(str::to_string)
    .collect();
    values.push(format!("{}1{}", "[".repeat(200), "]".repeat(200)));
    values.push(format!("{}1{}", "{\"a\":".repeat(200), "}".repeat(200)));
    values.push(format!("{}1{}", "[".repeat(100), "]".repeat(100)));
    values
}

/// Whole bodies that are no shape at all.
fn hostile_bodies() -> Vec<(String, Vec<u8>)> {
    let mut bodies: Vec<(String, Vec<u8>)> = [
        "",
        "null",
        "[]",
        "\"x\"",
        "{}",
        "0",
        "true",
        "1e999999",
        "-1e999999",
        "123456789012345678901234567890",
        "{\"\\u0000\": \"\\u0000\"}",
        "{\"cycle\": \"\\u0000\", \"email\": \"<script>alert(1)</script>\"}",
        "[\"<script>\", \"\\u0000\", \"ＴＥＳＴ 🎓\"]",
        "{\"a\": 1, \"a\": 2}",
        "\"\\ud800\"",
    ]
    .into_iter()
    .map(|body| (format!("{body:?}"), body.as_bytes().to_vec()))
    .collect();
    bodies.push((
        "10 000 nested arrays".into(),
        format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)).into_bytes(),
    ));
    bodies.push((
        "5 000 nested objects".into(),
        format!("{}1{}", "{\"a\":".repeat(5_000), "}".repeat(5_000)).into_bytes(),
    ));
    bodies.push((
        "a raw NUL byte".into(),
        b"{\"cycle\": \"\0\", \"reason\": \"\0\"}".to_vec(),
    ));
    bodies.push((
        "bytes that are not UTF-8".into(),
        b"{\"\xff\": \"\xfe\"}".to_vec(),
    ));
    bodies
}

/// Where a value sits in a JSON document.
#[derive(Clone, Debug)]
enum Step {
    Key(String),
    Index(usize),
}

/// The paths of every leaf (string, number, bool, null, empty container) and of every object.
fn leaves_and_objects(value: &Value) -> (Vec<Vec<Step>>, Vec<Vec<Step>>) {
    fn walk(
        value: &Value,
        at: &mut Vec<Step>,
        leaves: &mut Vec<Vec<Step>>,
        objects: &mut Vec<Vec<Step>>,
    ) {
        match value {
            Value::Object(map) => {
                objects.push(at.clone());
                if map.is_empty() {
                    leaves.push(at.clone());
                }
                for (key, child) in map {
                    at.push(Step::Key(key.clone()));
                    walk(child, at, leaves, objects);
                    at.pop();
                }
            }
            Value::Array(items) if !items.is_empty() => {
                for (index, child) in items.iter().enumerate() {
                    at.push(Step::Index(index));
                    walk(child, at, leaves, objects);
                    at.pop();
                }
            }
            _ => leaves.push(at.clone()),
        }
    }
    let (mut leaves, mut objects) = (Vec::new(), Vec::new());
    walk(value, &mut Vec::new(), &mut leaves, &mut objects);
    (leaves, objects)
}

fn at_mut<'a>(value: &'a mut Value, path: &[Step]) -> &'a mut Value {
    path.iter().fold(value, |value, step| match step {
        Step::Key(key) => &mut value[key.as_str()],
        Step::Index(index) => &mut value[*index],
    })
}

fn describe(path: &[Step]) -> String {
    path.iter()
        .map(|step| match step {
            Step::Key(key) => key.clone(),
            Step::Index(index) => index.to_string(),
        })
        .collect::<Vec<_>>()
        .join(".")
}

const PLACEHOLDER: &str = "__hostile_value_placeholder__";

/// What the sweep puts into a shape: strings for every value, other JSON texts for every value, and keys
/// added to every object (with a value of their own).
struct Hostile {
    strings: Vec<String>,
    raw_values: Vec<String>,
    keys: Vec<&'static str>,
    key_value: &'static str,
}

impl Hostile {
    fn everything_but_nul() -> Hostile {
        Hostile {
            strings: hostile_strings(),
            raw_values: hostile_raw_values(),
            keys: vec!["<script>", "__proto__", "personal.full_name", ""],
            key_value: "<b>test</b>",
        }
    }

    fn nul() -> Hostile {
        Hostile {
            strings: nul_strings(),
            raw_values: vec!["\"\\u0000\"".into(), "\"a\\u0000b@example.test\"".into()],
            keys: vec!["\u{0}", "personal.full_name\u{0}"],
            key_value: "\u{0}",
        }
    }

    /// The shape with one value (or one new key) made hostile at a time: every variant a label and a body.
    fn variants(&self, shape: &Value) -> Vec<(String, String)> {
        let (leaves, objects) = leaves_and_objects(shape);
        let mut out = Vec::new();
        let raw_placeholder = format!("\"{PLACEHOLDER}\"");
        for leaf in &leaves {
            for text in &self.strings {
                let mut body = shape.clone();
                *at_mut(&mut body, leaf) = Value::String(text.clone());
                out.push((
                    format!("{} = {:?}", describe(leaf), shorten(text)),
                    body.to_string(),
                ));
            }
            for raw in &self.raw_values {
                let mut body = shape.clone();
                *at_mut(&mut body, leaf) = Value::String(PLACEHOLDER.into());
                out.push((
                    format!("{} = {}", describe(leaf), shorten(raw)),
                    body.to_string().replace(&raw_placeholder, raw),
                ));
            }
        }
        for object in &objects {
            for key in &self.keys {
                let mut body = shape.clone();
                if let Value::Object(map) = at_mut(&mut body, object) {
                    map.insert((*key).to_string(), json!(self.key_value));
                }
                out.push((
                    format!("{} gains the key {key:?}", describe(object)),
                    body.to_string(),
                ));
            }
        }
        out
    }
}

/// Failures by the rule, grouped so that one cause reads as one line.
#[derive(Default)]
struct Findings {
    sent: usize,
    by_cause: BTreeMap<String, (usize, String)>,
}

impl Findings {
    fn record(&mut self, method: &Method, route: &str, what: &str, answer: &Answer) {
        self.sent += 1;
        if let Some(problem) = answer.breaks_the_rule() {
            let cause = format!("{method} {route}: {problem}");
            let entry = self
                .by_cause
                .entry(cause)
                .or_insert_with(|| (0, what.to_string()));
            entry.0 += 1;
        }
    }

    #[track_caller]
    fn assert_none(&self, app: &TestApp) {
        let lines: Vec<String> = self
            .by_cause
            .iter()
            .map(|(cause, (count, example))| format!("  {count}× {cause}\n      e.g. {example}"))
            .collect();
        assert!(
            lines.is_empty(),
            "on {:?}, {} kinds of answer out of {} requests break the rule:\n{}",
            app.backend,
            lines.len(),
            self.sent,
            lines.join("\n")
        );
        assert!(self.sent > 0, "the sweep sent something");
    }
}

/// The route as a pattern, so that findings group across the applications they were sent to.
fn pattern(path: &str, fixture: &Fixture) -> String {
    [
        &fixture.draft,
        &fixture.submitted,
        &fixture.review,
        &fixture.selected,
        &fixture.awarded,
    ]
    .iter()
    .fold(path.to_string(), |path, id| {
        path.replace(id.as_str(), "{id}")
    })
}

async fn no_hostile_body_on_any_route_gives_a_server_error_or_a_refusal_that_is_not_json(
    app: TestApp,
) {
    let fixture = Fixture::new(&app).await;
    let bodies = hostile_bodies();
    let mut findings = Findings::default();
    for route in fixture.routes() {
        let name = pattern(&route.path, &fixture);
        for (who, token) in &fixture.tokens {
            for (label, body) in &bodies {
                for content_type in ["application/json", "text/plain"] {
                    let answer = send_raw(
                        &app,
                        route.method.clone(),
                        &route.path,
                        token.as_deref(),
                        Some(content_type),
                        Some(body.clone()),
                    )
                    .await;
                    findings.record(
                        &route.method,
                        &name,
                        &format!("as {who}, {content_type} body {label}"),
                        &answer,
                    );
                }
            }
            let answer = send_raw(
                &app,
                route.method.clone(),
                &route.path,
                token.as_deref(),
                None,
                None,
            )
            .await;
            findings.record(&route.method, &name, &format!("as {who}, no body"), &answer);
        }
    }
    findings.assert_none(&app);
}

/// Every shaped body of the sweep, sent by the one who may send it.
async fn sweep_shaped_bodies(
    app: &TestApp,
    fixture: &Fixture,
    hostile: &Hostile,
    findings: &mut Findings,
) {
    for route in fixture.routes() {
        let Some(shape) = &route.shape else {
            continue;
        };
        let name = pattern(&route.path, fixture);
        for (label, body) in hostile.variants(shape) {
            let answer = send_json_text(
                app,
                route.method.clone(),
                &route.path,
                route.actor.as_deref(),
                &body,
            )
            .await;
            findings.record(&route.method, &name, &label, &answer);
        }
    }
}

async fn no_hostile_value_in_a_well_shaped_body_gives_a_server_error_or_a_refusal_that_is_not_json(
    app: TestApp,
) {
    let fixture = Fixture::new(&app).await;
    let mut findings = Findings::default();
    sweep_shaped_bodies(
        &app,
        &fixture,
        &Hostile::everything_but_nul(),
        &mut findings,
    )
    .await;
    findings.assert_none(&app);
    // The service still works after all that.
    let (status, body) = app
        .get(
            &format!("/api/applications/{}", fixture.review),
            &fixture.officer,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// Percent-encodes every byte but the unreserved ones, so the server gets exactly these bytes.
fn encode(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (byte as char).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

fn encode_all(values: &[&[u8]]) -> Vec<String> {
    values.iter().map(|bytes| encode(bytes)).collect()
}

/// Every application route with each of `ids` (already percent-encoded) in place of the real id, from
/// everyone, with a body of the route's shape.
async fn sweep_ids(app: &TestApp, fixture: &Fixture, ids: &[String], findings: &mut Findings) {
    for route in fixture.routes() {
        if !route.path.starts_with("/api/applications/") {
            continue;
        }
        let name = pattern(&route.path, fixture);
        let real_id = [
            &fixture.draft,
            &fixture.submitted,
            &fixture.review,
            &fixture.selected,
            &fixture.awarded,
        ]
        .into_iter()
        .find(|id| route.path.contains(id.as_str()))
        .expect("an application route names an application");
        let body = route.shape.clone().unwrap_or(json!({})).to_string();
        for id in ids {
            let path = route.path.replace(real_id.as_str(), id);
            for (who, token) in &fixture.tokens {
                let answer =
                    send_json_text(app, route.method.clone(), &path, token.as_deref(), &body).await;
                findings.record(
                    &route.method,
                    &name,
                    &format!("as {who}, the id {}", shorten(id)),
                    &answer,
                );
            }
        }
    }
}

async fn no_hostile_application_id_in_the_path_gives_a_server_error_or_a_refusal_that_is_not_json(
    app: TestApp,
) {
    let fixture = Fixture::new(&app).await;
    let mut ids = encode_all(&[
        b"<script>alert(1)</script>",
        b"' OR '1'='1",
        b"../../etc/passwd",
        "ＴＥＳＴ 🎓".as_bytes(),
        b" ",
        b"%",
        b"00000000-0000-0000-0000-000000000000",
    ]);
    ids.push("x".repeat(10_000));
    ids.push(format!("{}%2F{}", fixture.draft, fixture.draft));
    ids.push(format!("{}%20", fixture.draft));
    ids.push(fixture.draft.to_uppercase());
    let mut findings = Findings::default();
    sweep_ids(&app, &fixture, &ids, &mut findings).await;
    findings.assert_none(&app);
}

async fn an_application_id_that_is_not_utf8_is_refused_in_json(app: TestApp) {
    let fixture = Fixture::new(&app).await;
    let ids = encode_all(&[b"\xff\xfe", b"\xc3\x28", b"\x80"]);
    let mut findings = Findings::default();
    sweep_ids(&app, &fixture, &ids, &mut findings).await;
    findings.assert_none(&app);
}

/// The case list with each of `values` (already percent-encoded) for each of its parameters, from everyone.
async fn sweep_queries(
    app: &TestApp,
    fixture: &Fixture,
    values: &[String],
    findings: &mut Findings,
) {
    for parameter in [
        "cycle",
        "status",
        "country",
        "min_score",
        "q",
        "limit",
        "offset",
        "unknown",
    ] {
        for value in values {
            let path = format!("/api/applications?{parameter}={value}");
            for (who, token) in &fixture.tokens {
                let answer = send_raw(app, Method::GET, &path, token.as_deref(), None, None).await;
                findings.record(
                    &Method::GET,
                    &format!("/api/applications?{parameter}="),
                    &format!("as {who}, {parameter}={value}"),
                    &answer,
                );
            }
        }
    }
}

async fn no_hostile_query_of_the_case_list_gives_a_server_error_or_a_refusal_that_is_not_json(
    app: TestApp,
) {
    let fixture = Fixture::new(&app).await;
    let values = encode_all(&[
        b"<script>",
        b"' OR 1=1 --",
        b"%",
        b"_",
        b"\\",
        "ＴＥＳＴ 🎓".as_bytes(),
        b"\xff",
        b"",
        b"abc",
        b"NaN",
        b"inf",
        b"-inf",
        b"1e999",
        b"-1",
        b"0",
        b"99999999999999999999",
        b"-9223372036854775808",
        b"9223372036854775807",
        "x".repeat(5_000).as_bytes(),
    ]);
    let mut findings = Findings::default();
    sweep_queries(&app, &fixture, &values, &mut findings).await;
    for path in [
        "/api/applications?limit=1&limit=2",
        "/api/applications?cycle=2026-27&cycle=2027-28",
        "/api/applications?&&&=&=",
        "/api/applications?min_score",
        "/api/applications?%zz=1",
    ] {
        let answer = send_raw(
            &app,
            Method::GET,
            path,
            Some(&fixture.officer.token),
            None,
            None,
        )
        .await;
        findings.record(&Method::GET, path, "an odd query string", &answer);
    }
    findings.assert_none(&app);
}

async fn a_nul_character_anywhere_gives_no_server_error(app: TestApp) {
    let fixture = Fixture::new(&app).await;
    let mut findings = Findings::default();
    sweep_shaped_bodies(&app, &fixture, &Hostile::nul(), &mut findings).await;
    let nul = encode_all(&[b"\0", b"a\0b"]);
    sweep_ids(&app, &fixture, &nul, &mut findings).await;
    let nul = encode_all(&[b"\0", b"2026-27\0"]);
    sweep_queries(&app, &fixture, &nul, &mut findings).await;
    findings.assert_none(&app);
}

#[tokio::test]
async fn a_huge_authorization_header_is_refused_as_unauthenticated_not_as_a_failure() {
    let app = crate::helpers::spawn_app(crate::helpers::Backend::Sqlite).await;
    for header in [
        format!("Bearer {}", "x".repeat(8_000)),
        "Bearer ".to_string(),
        "Bearer".to_string(),
        "Bearer a.b.c".to_string(),
        "Bearer ....".to_string(),
        format!("Bearer {}.{}.{}", "e30", "e30", "x".repeat(500)),
    ] {
        let response = app
            .client
            .get(format!("{}/api/applications", app.address))
            .header(
                reqwest::header::AUTHORIZATION,
                HeaderValue::from_str(&header).expect("a header value"),
            )
            .send()
            .await
            .expect("the server answers");
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "{}: {text}",
            shorten(&header)
        );
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        assert_eq!(body["error"], "unauthenticated");
    }
}
