//! The Pages section of the contract, driven over HTTP as a browser without JavaScript drives it: a cookie
//! jar, no automatic redirects (so every 303 is seen), and forms read off the page (their hidden CSRF token
//! included) and posted `application/x-www-form-urlencoded`.

use std::collections::{BTreeMap, BTreeSet};

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, COOKIE, HeaderMap, LOCATION, SET_COOKIE};
use reqwest::redirect::Policy;
use serde_json::Value;

use crate::helpers::{Backend, PASSWORD, TestApp, User, spawn_app};
use crate::on_both_stores;
use domain::Role;
use services::accounts::{self, NewAccount};

on_both_stores!(
    the_requests_desk_names_the_requester_and_the_kind_in_words_and_explains_its_dates,
    an_administrator_changes_a_staff_role_disables_an_account_and_cannot_change_their_own,
    registering_through_the_page_signs_the_applicant_in_with_an_http_only_same_site_cookie,
    a_password_change_signs_every_browser_out_and_a_shut_sign_in_page_says_when_to_come_back,
    a_person_changes_their_password_on_the_account_page_and_signs_in_with_the_new_one,
    signing_out_ends_the_session_and_signing_in_again_goes_to_the_home_page,
    each_role_signs_in_to_its_own_home_page,
    a_section_saved_through_its_form_is_shown_again_on_the_page,
    the_commitment_to_return_home_is_ticked_and_unticked_on_the_course_choices_page,
    an_invalid_value_answers_the_section_again_with_a_summary_linking_to_the_field,
    submitting_an_incomplete_application_lists_every_missing_item_as_a_link,
    a_complete_application_submitted_through_the_pages_becomes_read_only,
    a_form_with_a_forged_missing_or_borrowed_csrf_token_is_refused_and_changes_nothing,
    another_applicants_application_is_not_found_and_a_visitor_is_sent_to_sign_in,
    each_staff_role_sees_its_own_pages_and_is_refused_the_others,
    the_help_desk_amends_personal_details_through_the_case_page_and_nothing_else,
    a_programme_officer_and_a_committee_member_take_an_application_through_review,
    a_programme_officer_waives_screening_rules_on_the_case_page_with_a_reason,
    on_the_selection_page_an_officer_previews_then_records_assignments_and_decisions,
    on_the_selection_page_an_officer_previews_then_confirms_the_cycles_conclusion,
    script_markup_in_every_text_field_is_shown_escaped_on_every_page_that_shows_it,
    every_page_carries_the_security_headers_and_no_inline_script_or_style,
    an_applicant_withdraws_through_the_page_and_a_stale_form_then_answers_a_page_not_an_error,
    a_conflict_declared_after_the_decision_answers_a_page_not_an_error,
    a_form_posted_without_a_session_signs_in_and_comes_back_to_the_page_it_was_on,
    an_information_officer_composes_an_foi_answer_on_the_request_page,
);

// ---------------------------------------------------------------------------------------------------------
// A browser without JavaScript.
// ---------------------------------------------------------------------------------------------------------

/// A browser: its own cookie jar, redirects not followed.
pub(crate) struct Browser {
    address: String,
    client: reqwest::Client,
    cookies: BTreeMap<String, String>,
}

/// What the browser received for one request.
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    headers: HeaderMap,
    pub(crate) body: String,
}

/// A form as the browser would post it: what the page fills in, hidden fields included.
#[derive(Clone, Debug)]
pub(crate) struct Form {
    action: String,
    method: String,
    fields: Vec<(String, String)>,
    /// The options of each select, by its name.
    options: BTreeMap<String, Vec<String>>,
}

impl Browser {
    pub(crate) fn new(app: &TestApp) -> Self {
        Self {
            address: app.address.clone(),
            client: reqwest::Client::builder()
                .redirect(Policy::none())
                .build()
                .expect("a client"),
            cookies: BTreeMap::new(),
        }
    }

    pub(crate) async fn get(&mut self, path: &str) -> Answer {
        let request = self.client.get(format!("{}{path}", self.address));
        self.send(request).await
    }

    pub(crate) async fn post(&mut self, path: &str, fields: &[(String, String)]) -> Answer {
        let request = self
            .client
            .post(format!("{}{path}", self.address))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(url_encode(fields));
        self.send(request).await
    }

    pub(crate) async fn submit(&mut self, form: &Form) -> Answer {
        assert_eq!(form.method, "post", "{form:?}");
        self.post(&form.action, &form.fields).await
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> Answer {
        let request = if self.cookies.is_empty() {
            request
        } else {
            let jar: Vec<String> = self
                .cookies
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect();
            request.header(COOKIE, jar.join("; "))
        };
        let response = request
            .send()
            .await
            .expect("the request reaches the server");
        for line in response.headers().get_all(SET_COOKIE) {
            let line = line.to_str().expect("a readable Set-Cookie");
            let pair = line.split(';').next().unwrap_or_default();
            let (name, value) = pair.split_once('=').expect("a cookie name=value");
            let expired = line
                .split(';')
                .any(|attribute| attribute.trim().eq_ignore_ascii_case("Max-Age=0"));
            if expired || value.is_empty() {
                self.cookies.remove(name.trim());
            } else {
                self.cookies
                    .insert(name.trim().to_string(), value.trim().to_string());
            }
        }
        Answer {
            status: response.status(),
            headers: response.headers().clone(),
            body: response.text().await.expect("a body"),
        }
    }

    fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies.get(name).map(String::as_str)
    }
}

impl Answer {
    pub(crate) fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
    }

    pub(crate) fn location(&self) -> &str {
        assert_eq!(
            self.status,
            StatusCode::SEE_OTHER,
            "expected a 303, got {}: {}",
            self.status,
            excerpt(&self.body)
        );
        self.headers
            .get(LOCATION)
            .and_then(|value| value.to_str().ok())
            .expect("a Location")
    }

    /// The Set-Cookie line that sets the named cookie, if any.
    fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .find(|line| line.starts_with(&format!("{name}=")))
            .map(str::to_string)
    }

    fn is_html(&self) -> bool {
        self.header("content-type").starts_with("text/html")
    }

    /// The page's text with every character reference decoded: what a reader sees, markup included.
    pub(crate) fn text(&self) -> String {
        unescape(&self.body)
    }

    /// The CSRF token the page's forms carry.
    fn csrf_token(&self) -> String {
        forms(&self.body)
            .iter()
            .find_map(|form| {
                form.fields
                    .iter()
                    .find(|(name, _)| name == "csrf_token")
                    .map(|(_, value)| value.clone())
            })
            .unwrap_or_else(|| panic!("no CSRF token on the page: {}", excerpt(&self.body)))
    }

    pub(crate) fn has_form(&self, action: &str) -> bool {
        forms(&self.body).iter().any(|form| form.action == action)
    }

    pub(crate) fn form(&self, action: &str) -> Form {
        forms(&self.body)
            .into_iter()
            .find(|form| form.action == action)
            .unwrap_or_else(|| {
                panic!(
                    "no form posting to {action} on the page ({}): {}",
                    self.status,
                    excerpt(&self.body)
                )
            })
    }

    /// Where the entries of the error summary link to.
    pub(crate) fn error_links(&self) -> Vec<String> {
        let Some(start) = self.body.find("class=\"error-summary\"") else {
            return Vec::new();
        };
        let summary = &self.body[start..];
        let summary = &summary[..summary.find("</div>").unwrap_or(summary.len())];
        tags(summary)
            .into_iter()
            .filter(|tag| tag.name == "a")
            .filter_map(|tag| tag.attribute("href").map(str::to_string))
            .collect()
    }
}

impl Form {
    pub(crate) fn set(mut self, name: &str, value: &str) -> Self {
        match self.fields.iter_mut().find(|(key, _)| key == name) {
            Some(field) => field.1 = value.to_string(),
            None => self.fields.push((name.to_string(), value.to_string())),
        }
        self
    }

    /// A date (`YYYY-MM-DD`) typed in the three fields of the date input `name` (`{name}-day`, `-month`,
    /// `-year`), as a person types it: 20, 9 and 2027.
    pub(crate) fn set_date(self, name: &str, date: &str) -> Self {
        use chrono::Datelike;
        let date = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").expect("a date");
        self.set(&format!("{name}-day"), &date.day().to_string())
            .set(&format!("{name}-month"), &date.month().to_string())
            .set(&format!("{name}-year"), &date.year().to_string())
    }

    /// The same fields posted to another action (a request the page does not offer).
    pub(crate) fn posted_to(mut self, action: &str) -> Self {
        self.action = action.to_string();
        self
    }

    fn without(mut self, name: &str) -> Self {
        self.fields.retain(|(key, _)| key != name);
        self
    }

    pub(crate) fn value(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    fn names(&self) -> BTreeSet<String> {
        self.fields.iter().map(|(name, _)| name.clone()).collect()
    }
}

/// Every panel of a case page, one after another, as one answer.
async fn whole_case(browser: &mut Browser, id: &str) -> Answer {
    let mut whole = browser.get(&format!("/cases/{id}")).await;
    for tab in ["committee", "award", "disclosures", "history"] {
        let panel = browser.get(&format!("/cases/{id}?tab={tab}")).await;
        assert_eq!(panel.status, StatusCode::OK, "{tab}");
        whole.body.push_str(&panel.body);
    }
    whole
}

pub(crate) fn excerpt(body: &str) -> String {
    body.chars().take(4000).collect()
}

/// `application/x-www-form-urlencoded`, as a browser writes it.
fn url_encode(fields: &[(String, String)]) -> String {
    let encode = |text: &str| -> String {
        text.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                    (b as char).to_string()
                }
                b' ' => "+".to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    fields
        .iter()
        .map(|(name, value)| format!("{}={}", encode(name), encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Decodes HTML character references (`&lt;`, `&#x3D;`, `&#39;`, …).
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let decoded = rest.find(';').filter(|end| *end <= 10).and_then(|end| {
            let entity = &rest[1..end];
            let c = match entity {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => match entity
                    .strip_prefix("#x")
                    .or_else(|| entity.strip_prefix("#X"))
                {
                    Some(hex) => u32::from_str_radix(hex, 16).ok().and_then(char::from_u32),
                    None => entity
                        .strip_prefix('#')
                        .and_then(|decimal| decimal.parse().ok())
                        .and_then(char::from_u32),
                },
            };
            c.map(|c| (c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// An opening tag: its name, its attributes (values decoded) and where it ends in the text.
struct Tag {
    name: String,
    attributes: Vec<(String, String)>,
    end: usize,
}

impl Tag {
    fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    fn has(&self, name: &str) -> bool {
        self.attribute(name).is_some()
    }
}

/// Every opening tag of an HTML text, in order.
fn tags(html: &str) -> Vec<Tag> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = html[from..].find('<') {
        let start = from + at;
        from = start + 1;
        let rest = &html[start + 1..];
        if !rest.starts_with(|c: char| c.is_ascii_alphabetic()) {
            continue;
        }
        let Some(close) = rest.find('>') else { break };
        let inside = &rest[..close];
        let name_end = inside
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(inside.len());
        found.push(Tag {
            name: inside[..name_end].to_ascii_lowercase(),
            attributes: attributes(&inside[name_end..]),
            end: start + 1 + close + 1,
        });
    }
    found
}

fn attributes(text: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut rest = text;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '/');
        if rest.is_empty() {
            break;
        }
        let name_end = rest
            .find(|c: char| c.is_whitespace() || c == '=' || c == '/')
            .unwrap_or(rest.len());
        if name_end == 0 {
            rest = &rest[1..];
            continue;
        }
        let name = rest[..name_end].to_ascii_lowercase();
        rest = &rest[name_end..];
        let mut value = String::new();
        if let Some(after) = rest.strip_prefix('=') {
            if let Some(quoted) = after.strip_prefix('"') {
                let close = quoted.find('"').unwrap_or(quoted.len());
                value = unescape(&quoted[..close]);
                rest = quoted.get(close + 1..).unwrap_or_default();
            } else {
                let close = after.find(char::is_whitespace).unwrap_or(after.len());
                value = unescape(&after[..close]);
                rest = &after[close..];
            }
        }
        found.push((name, value));
    }
    found
}

/// Every form of a page, filled in as the browser would post it untouched: text inputs and hidden fields
/// with their values, checked boxes and radios only, each select's selected (or first) option, each
/// textarea's text. Buttons are left out: a test adds the one it presses.
fn forms(html: &str) -> Vec<Form> {
    let mut found = Vec::new();
    for tag in tags(html).into_iter().filter(|tag| tag.name == "form") {
        let body = &html[tag.end..];
        let body = &body[..body.find("</form>").unwrap_or(body.len())];
        let mut fields = Vec::new();
        let mut options = BTreeMap::new();
        for field in tags(body) {
            let Some(name) = field.attribute("name").map(str::to_string) else {
                continue;
            };
            match field.name.as_str() {
                "input" => {
                    let kind = field.attribute("type").unwrap_or("text");
                    let value = field.attribute("value").unwrap_or_default().to_string();
                    match kind {
                        "submit" | "button" | "image" | "reset" => {}
                        "checkbox" | "radio" => {
                            if field.has("checked") {
                                fields.push((name, value));
                            }
                        }
                        _ => fields.push((name, value)),
                    }
                }
                "textarea" => {
                    let text = &body[field.end..];
                    let text = &text[..text.find("</textarea>").unwrap_or(text.len())];
                    fields.push((name, unescape(text)));
                }
                "select" => {
                    let inner = &body[field.end..];
                    let inner = &inner[..inner.find("</select>").unwrap_or(inner.len())];
                    let choices: Vec<Tag> = tags(inner)
                        .into_iter()
                        .filter(|tag| tag.name == "option")
                        .collect();
                    let values: Vec<String> = choices
                        .iter()
                        .map(|option| option.attribute("value").unwrap_or_default().to_string())
                        .collect();
                    let chosen = choices
                        .iter()
                        .position(|option| option.has("selected"))
                        .unwrap_or(0);
                    if let Some(value) = values.get(chosen) {
                        fields.push((name.clone(), value.clone()));
                    }
                    options.insert(name, values);
                }
                _ => {}
            }
        }
        found.push(Form {
            action: tag.attribute("action").unwrap_or_default().to_string(),
            method: tag
                .attribute("method")
                .unwrap_or("get")
                .to_ascii_lowercase(),
            fields,
            options,
        });
    }
    found
}

// ---------------------------------------------------------------------------------------------------------
// Steps a person takes.
// ---------------------------------------------------------------------------------------------------------

/// Registers through `/register`; answers the signed-in browser and the email.
async fn register_named(app: &TestApp, full_name: &str) -> (Browser, String) {
    let email = format!(
        "page-applicant-{}@example.test",
        uuid::Uuid::new_v4().simple()
    );
    let mut browser = Browser::new(app);
    let page = browser.get("/register").await;
    assert_eq!(page.status, StatusCode::OK);
    let form = page
        .form("/register")
        .set("full_name", full_name)
        .set("email", &email)
        .set("password", PASSWORD);
    let answer = browser.submit(&form).await;
    assert_eq!(answer.location(), "/applications");
    (browser, email)
}

pub(crate) async fn register(app: &TestApp) -> (Browser, String) {
    register_named(app, "Page Tester Alpha").await
}

/// Signs in through `/login`; answers the browser and where it was sent.
async fn sign_in_at(app: &TestApp, email: &str) -> (Browser, String) {
    let mut browser = Browser::new(app);
    let page = browser.get("/login").await;
    let form = page
        .form("/login")
        .set("email", email)
        .set("password", PASSWORD);
    let answer = browser.submit(&form).await;
    let home = answer.location().to_string();
    assert!(
        answer.set_cookie("etp_session").is_some(),
        "signing in gives a session cookie"
    );
    (browser, home)
}

pub(crate) async fn sign_in(app: &TestApp, email: &str) -> Browser {
    sign_in_at(app, email).await.0
}

/// A staff account with the given name, as `etp users add` makes it, signed in to the API.
async fn staff_named(app: &TestApp, role: Role, full_name: &str) -> User {
    let email = format!(
        "{}-{}@example.test",
        role.as_str(),
        uuid::Uuid::new_v4().simple()
    );
    let account = NewAccount::parse(&email, full_name, role, PASSWORD).expect("a valid account");
    accounts::create(app.db(), account)
        .await
        .expect("create a staff account");
    app.sign_in(&email).await
}

/// Starts an application from `/applications` in the first cycle offered; answers its id.
pub(crate) async fn start_application(browser: &mut Browser) -> String {
    let page = browser.get("/applications").await;
    assert_eq!(page.status, StatusCode::OK);
    let form = page.form("/applications");
    assert!(
        form.value("cycle").is_some_and(|cycle| cycle.len() == 7),
        "a cycle is offered: {form:?}"
    );
    let answer = browser.submit(&form).await;
    let location = answer.location();
    let id = location
        .strip_prefix("/applications/")
        .unwrap_or_else(|| panic!("sent to the new application, not {location}"))
        .to_string();
    assert!(!id.is_empty() && !id.contains('/'), "{location}");
    id
}

/// Opens a section of the form, fills in the values and presses "Save and continue".
async fn save_section(
    browser: &mut Browser,
    id: &str,
    slug: &str,
    values: &[(String, String)],
) -> Answer {
    let page = browser
        .get(&format!("/applications/{id}?section={slug}"))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", excerpt(&page.body));
    let mut form = page.form(&format!("/applications/{id}"));
    assert_eq!(form.value("section"), Some(slug));
    for (name, value) in values {
        assert!(
            slug == "preferences" || form.value(name).is_some(),
            "the {slug} form has a field {name}: {:?}",
            form.names()
        );
        form = form.set(name, value);
    }
    browser.submit(&form.set("action", "continue")).await
}

/// The value of one text field of a section page.
async fn field_on_page(browser: &mut Browser, id: &str, slug: &str, name: &str) -> String {
    let page = browser
        .get(&format!("/applications/{id}?section={slug}"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    page.form(&format!("/applications/{id}"))
        .value(name)
        .unwrap_or_else(|| panic!("no field {name} on the {slug} page"))
        .to_string()
}

/// Presses "Submit your application" on the check page.
pub(crate) async fn submit_application(browser: &mut Browser, id: &str) -> Answer {
    let page = browser.get(&format!("/applications/{id}/check")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", excerpt(&page.body));
    let form = page.form(&format!("/applications/{id}/submit"));
    browser.submit(&form).await
}

const XSS: &str = "<script>alert(1)</script>\"><img src=x onerror=alert(1)>";

fn pairs(values: &[(&str, &str)]) -> Vec<(String, String)> {
    values
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect()
}

/// Every section of the form with test answers, in the order of the form. With `hostile`, every free-text
/// field holds its own path followed by script markup; the fields with a format keep a valid value.
fn answers(hostile: bool) -> Vec<(&'static str, Vec<(String, String)>)> {
    let text = |path: &str, plain: &str| {
        let value = if hostile {
            format!("{path} {XSS}")
        } else {
            plain.to_string()
        };
        (path.to_string(), value)
    };
    let fixed = |path: &str, value: &str| (path.to_string(), value.to_string());
    vec![
        (
            "personal",
            vec![
                text("personal.full_name", "Page Tester Alpha"),
                fixed("personal.date_of_birth-day", "9"),
                fixed("personal.date_of_birth-month", "3"),
                fixed("personal.date_of_birth-year", "1997"),
                fixed("personal.email", "page.tester@example.test"),
                fixed("personal.phone", "+000 1111 2222"),
                text("personal.address", "2 Test Lane, Testville"),
                fixed("personal.nationality", "Kenya"),
                fixed("personal.country_of_residence", "Kenya"),
            ],
        ),
        (
            "education",
            vec![
                text("education[0].institution", "Test College"),
                text("education[0].qualification", "BSc"),
                text("education[0].subject", "Chemistry"),
                text("education[0].year", "2019"),
            ],
        ),
        (
            "employment",
            vec![
                text("employment[0].employer", "Test Works"),
                text("employment[0].role", "Tester"),
                fixed("employment[0].from-month", "10"),
                fixed("employment[0].from-year", "2019"),
                fixed("employment[0].to-month", "6"),
                fixed("employment[0].to-year", "2021"),
            ],
        ),
        (
            "courses",
            vec![
                text("courses[0].institution", "Test Institute"),
                text("courses[0].course", "MSc Testing"),
                text("courses[0].level", "masters"),
            ],
        ),
        (
            "essays",
            vec![
                text("essays.leadership", "I led a test team of six."),
                text("essays.networking", "I ran a monthly test meetup."),
                text("essays.study_plan", "I will study software testing."),
                text("essays.career_plan", "I will run a test laboratory."),
            ],
        ),
        (
            "referees",
            vec![
                text("referees[0].name", "Test Referee One"),
                fixed("referees[0].email", "referee.one@example.test"),
                text("referees[1].name", "Test Referee Two"),
                fixed("referees[1].email", "referee.two@example.test"),
            ],
        ),
    ]
}

/// The dates of [`answers`] as the answers show them: the date of birth, and the job's months.
const DATES_IN_WORDS: [&str; 3] = ["9 March 1997", "October 2019", "June 2021"];

/// A field of a date input (`personal.date_of_birth-day`, `employment[0].from-month`), whose answer is the
/// date in words.
fn is_date_part(name: &str) -> bool {
    ["-day", "-month", "-year"]
        .iter()
        .any(|part| name.ends_with(part))
}

/// Fills in every section through its form; the last save leads to the check page.
pub(crate) async fn complete_through_pages(browser: &mut Browser, id: &str, hostile: bool) {
    for (slug, values) in answers(hostile) {
        let answer = save_section(browser, id, slug, &values).await;
        assert_eq!(
            answer.location(),
            format!("/applications/{id}?section={}&saved=1", next_section(slug)),
            "saving {slug} goes on to the next section"
        );
    }
    let answer = save_section(
        browser,
        id,
        "preferences",
        &pairs(&[("preferences.images_opt_out", "yes")]),
    )
    .await;
    assert_eq!(answer.location(), format!("/applications/{id}/check"));
}

fn next_section(slug: &str) -> &'static str {
    match slug {
        "personal" => "education",
        "education" => "employment",
        "employment" => "courses",
        "courses" => "essays",
        "essays" => "referees",
        _ => "preferences",
    }
}

/// The application as the API shows it to its owner.
async fn api_application(app: &TestApp, email: &str, id: &str) -> Value {
    let owner = app.sign_in(email).await;
    app.expect_ok(app.get(&format!("/api/applications/{id}"), &owner).await)
}

/// A form as another page would post it with a token that is not the session's.
fn with_token(form: &Form, token: Option<&str>) -> Form {
    match token {
        Some(token) => form.clone().set("csrf_token", token),
        None => form.clone().without("csrf_token"),
    }
}

/// Posts the form with no token, a made-up one, and each of the borrowed tokens: every one is refused 403
/// with an HTML page.
async fn assert_every_bad_token_refused(
    browser: &mut Browser,
    form: &Form,
    borrowed: &[&str],
    what: &str,
) {
    let forged = "0".repeat(64);
    let mut tokens: Vec<Option<&str>> = vec![None, Some(""), Some(forged.as_str())];
    tokens.extend(borrowed.iter().map(|token| Some(*token)));
    for token in tokens {
        let answer = browser.submit(&with_token(form, token)).await;
        assert_eq!(
            answer.status,
            StatusCode::FORBIDDEN,
            "{what} with the token {token:?}: {}",
            excerpt(&answer.body)
        );
        assert!(answer.is_html(), "{what}: the refusal is a page");
        assert!(
            answer.set_cookie("etp_session").is_none(),
            "{what}: a refused form sets no session"
        );
    }
}

// ---------------------------------------------------------------------------------------------------------
// Registration, sign-in and sign-out.
// ---------------------------------------------------------------------------------------------------------

async fn registering_through_the_page_signs_the_applicant_in_with_an_http_only_same_site_cookie(
    app: TestApp,
) {
    let email = "registers.here@example.test";
    let mut browser = Browser::new(&app);
    let page = browser.get("/register").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.is_html());
    let form = page.form("/register");
    assert!(
        ["csrf_token", "full_name", "email", "password"]
            .iter()
            .all(|name| form.names().contains(*name)),
        "{form:?}"
    );

    let short = form
        .clone()
        .set("full_name", "Test Registrant")
        .set("email", email)
        .set("password", "short");
    let answer = browser.submit(&short).await;
    assert!(
        answer.status.is_client_error(),
        "a short password answers the page again: {}",
        answer.status
    );
    assert!(answer.set_cookie("etp_session").is_none());
    assert!(answer.error_links().contains(&"#password".to_string()));
    let again = answer.form("/register");
    assert_eq!(again.value("email"), Some(email), "the email is kept");
    assert_eq!(again.value("full_name"), Some("Test Registrant"));
    assert_eq!(
        again.value("password"),
        Some(""),
        "a password is never sent back"
    );

    let answer = browser
        .submit(
            &again
                .set("password", PASSWORD)
                .set("full_name", "Test Registrant"),
        )
        .await;
    assert_eq!(answer.location(), "/applications");
    let cookie = answer
        .set_cookie("etp_session")
        .expect("registering signs the applicant in");
    let attributes: Vec<String> = cookie
        .split(';')
        .skip(1)
        .map(|a| a.trim().to_ascii_lowercase())
        .collect();
    assert!(attributes.contains(&"httponly".to_string()), "{cookie}");
    assert!(
        attributes.contains(&"samesite=lax".to_string())
            || attributes.contains(&"samesite=strict".to_string()),
        "{cookie}"
    );
    assert!(attributes.contains(&"path=/".to_string()), "{cookie}");

    let home = browser.get("/applications").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("Your applications"));
    assert!(home.has_form("/logout"), "a signed-in page offers sign-out");
    assert!(
        home.has_form("/applications"),
        "and starting an application"
    );

    // The account is real: the API signs it in as an applicant.
    let (status, body) = app.login(email, PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["role"], "applicant");

    // The same email a second time is refused on the page, with no session.
    let mut other = Browser::new(&app);
    let form = other
        .get("/register")
        .await
        .form("/register")
        .set("full_name", "Test Registrant Again")
        .set("email", &email.to_uppercase())
        .set("password", PASSWORD);
    let answer = other.submit(&form).await;
    assert!(answer.status.is_client_error(), "{}", answer.status);
    assert!(answer.error_links().contains(&"#email".to_string()));
    assert!(answer.set_cookie("etp_session").is_none());
}

async fn signing_out_ends_the_session_and_signing_in_again_goes_to_the_home_page(app: TestApp) {
    let (mut browser, email) = register(&app).await;
    let stolen = browser
        .cookie("etp_session")
        .expect("a session cookie")
        .to_string();
    let page = browser.get("/applications").await;
    let answer = browser.submit(&page.form("/logout")).await;
    assert!(
        answer.location().starts_with("/login"),
        "{}",
        answer.location()
    );
    let cleared = answer
        .set_cookie("etp_session")
        .expect("the cookie is taken away");
    assert!(
        cleared.to_ascii_lowercase().contains("max-age=0") || cleared.starts_with("etp_session=;"),
        "{cleared}"
    );
    assert_eq!(browser.cookie("etp_session"), None);

    let after = browser.get("/applications").await;
    assert!(
        after.location().starts_with("/login"),
        "{}",
        after.location()
    );
    // The session ended on the server too: the old cookie, replayed, signs no one in.
    let mut replay = Browser::new(&app);
    replay.cookies.insert("etp_session".into(), stolen);
    let answer = replay.get("/applications").await;
    assert!(
        answer.location().starts_with("/login"),
        "{}",
        answer.location()
    );

    // A wrong password, or an unknown email, answers the sign-in page again with the error summary.
    for (who, password) in [
        (email.as_str(), "not the password at all"),
        ("nobody.here@example.test", PASSWORD),
    ] {
        let mut browser = Browser::new(&app);
        let form = browser
            .get("/login")
            .await
            .form("/login")
            .set("email", who)
            .set("password", password);
        let answer = browser.submit(&form).await;
        assert!(
            answer.status == StatusCode::OK || answer.status.is_client_error(),
            "{}",
            answer.status
        );
        assert!(answer.set_cookie("etp_session").is_none());
        assert!(
            answer.body.contains("There is a problem"),
            "{}",
            excerpt(&answer.body)
        );
        assert_eq!(answer.error_links(), vec!["#email".to_string()]);
        let again = answer.form("/login");
        assert_eq!(again.value("email"), Some(who), "the email is kept");
        assert_eq!(again.value("password"), Some(""));
        assert_eq!(
            browser.get("/applications").await.status,
            StatusCode::SEE_OTHER
        );
    }

    let (mut browser, home) = sign_in_at(&app, &email).await;
    assert_eq!(home, "/applications");
    assert_eq!(browser.get("/applications").await.status, StatusCode::OK);
}

async fn each_role_signs_in_to_its_own_home_page(app: TestApp) {
    for (role, home) in [
        (Role::Helpdesk, "/cases"),
        (Role::ProgrammeOfficer, "/cases"),
        (Role::CommitteeMember, "/committee"),
        (Role::InformationOfficer, "/requests"),
        (Role::Admin, "/admin"),
    ] {
        let user = app.staff(role).await;
        let (mut browser, landed) = sign_in_at(&app, &user.email).await;
        assert_eq!(landed, home, "{role:?}");
        let page = browser.get(home).await;
        assert_eq!(page.status, StatusCode::OK, "{role:?} at {home}");
        // Signed in, the sign-in page sends the person home instead.
        assert_eq!(browser.get("/login").await.location(), home, "{role:?}");
    }
}

// ---------------------------------------------------------------------------------------------------------
// The applicant's form.
// ---------------------------------------------------------------------------------------------------------

async fn a_section_saved_through_its_form_is_shown_again_on_the_page(app: TestApp) {
    let (mut browser, email) = register(&app).await;
    let id = start_application(&mut browser).await;
    let overview = browser.get(&format!("/applications/{id}")).await;
    assert_eq!(overview.status, StatusCode::OK);
    assert!(
        overview
            .text()
            .contains(&format!("href=\"/applications/{id}?section=personal\"")),
        "the overview links to each section"
    );

    let personal = answers(false).remove(0).1;
    let answer = save_section(&mut browser, &id, "personal", &personal).await;
    assert_eq!(
        answer.location(),
        format!("/applications/{id}?section=education&saved=1")
    );
    let next = browser.get(answer.location()).await;
    assert!(next.body.contains("Your answers have been saved."));

    for (name, value) in &personal {
        assert_eq!(
            &field_on_page(&mut browser, &id, "personal", name).await,
            value,
            "{name}"
        );
    }
    let stored = api_application(&app, &email, &id).await;
    assert_eq!(stored["personal"]["full_name"], "Page Tester Alpha");
    assert_eq!(stored["personal"]["nationality"], "Kenya");
    assert_eq!(stored["status"], "draft");

    // An essay, saved with "Save and come back later", goes back to the overview and is kept.
    let page = browser
        .get(&format!("/applications/{id}?section=essays"))
        .await;
    let form = page
        .form(&format!("/applications/{id}"))
        .set("essays.leadership", "I chaired the test committee.")
        .set("action", "exit");
    let answer = browser.submit(&form).await;
    assert_eq!(answer.location(), format!("/applications/{id}?saved=1"));
    assert_eq!(
        field_on_page(&mut browser, &id, "essays", "essays.leadership").await,
        "I chaired the test committee."
    );
    // The personal details saved before are untouched by another section's save.
    assert_eq!(
        field_on_page(&mut browser, &id, "personal", "personal.full_name").await,
        "Page Tester Alpha"
    );
}

async fn the_commitment_to_return_home_is_ticked_and_unticked_on_the_course_choices_page(
    app: TestApp,
) {
    let (mut browser, email) = register(&app).await;
    let id = start_application(&mut browser).await;
    let page = browser
        .get(&format!("/applications/{id}?section=courses"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text()
            .contains("I commit to return to my home country for at least 2 years after my award"),
        "{}",
        excerpt(&page.body)
    );
    let form = page
        .form(&format!("/applications/{id}"))
        .set("return_home", "yes")
        .set("action", "exit");
    let answer = browser.submit(&form).await;
    assert_eq!(answer.location(), format!("/applications/{id}?saved=1"));
    assert_eq!(
        api_application(&app, &email, &id).await["return_home"],
        true
    );
    let page = browser
        .get(&format!("/applications/{id}?section=courses"))
        .await;
    let form = page.form(&format!("/applications/{id}"));
    assert_eq!(form.value("return_home"), Some("yes"), "shown ticked");

    // Unticked and saved again: the applicant no longer commits.
    let answer = browser
        .submit(&form.without("return_home").set("action", "exit"))
        .await;
    assert_eq!(answer.location(), format!("/applications/{id}?saved=1"));
    assert_eq!(
        api_application(&app, &email, &id).await["return_home"],
        false
    );
}

async fn an_invalid_value_answers_the_section_again_with_a_summary_linking_to_the_field(
    app: TestApp,
) {
    let (mut browser, email) = register(&app).await;
    let id = start_application(&mut browser).await;
    let personal = answers(false).remove(0).1;
    save_section(&mut browser, &id, "personal", &personal)
        .await
        .location();

    let mut bad = personal.clone();
    for (name, value) in bad.iter_mut() {
        match name.as_str() {
            "personal.email" => *value = "not-an-email".to_string(),
            "personal.nationality" => *value = "Kenyan".to_string(),
            "personal.full_name" => *value = "Page Tester Changed".to_string(),
            _ => {}
        }
    }
    let answer = save_section(&mut browser, &id, "personal", &bad).await;
    assert_eq!(
        answer.status,
        StatusCode::OK,
        "the contract answers the page again (200)"
    );
    assert!(answer.body.contains("There is a problem"));
    assert!(
        answer.body.contains("<title>Error: "),
        "the title says there is an error"
    );
    let links = answer.error_links();
    assert!(links.contains(&"#personal_email".to_string()), "{links:?}");
    assert!(
        links.contains(&"#personal_nationality".to_string()),
        "{links:?}"
    );
    assert_eq!(links.len(), 2, "only the two bad fields: {links:?}");
    assert!(answer.body.contains("href=\"#personal_email\""));
    // Each link leads to a field of that id, which shows its own message.
    assert!(answer.body.contains("id=\"personal_email\""));
    assert!(answer.body.contains("id=\"personal_email-error\""));
    assert!(answer.body.contains("id=\"personal_nationality-error\""));
    let again = answer.form(&format!("/applications/{id}"));
    assert_eq!(again.value("personal.email"), Some("not-an-email"));
    assert_eq!(again.value("personal.nationality"), Some("Kenyan"));
    assert_eq!(
        again.value("personal.full_name"),
        Some("Page Tester Changed"),
        "every posted value is kept, the good ones too"
    );

    // Nothing of the refused save was kept.
    let stored = api_application(&app, &email, &id).await;
    assert_eq!(stored["personal"]["email"], "page.tester@example.test");
    assert_eq!(stored["personal"]["nationality"], "Kenya");
    assert_eq!(stored["personal"]["full_name"], "Page Tester Alpha");
    assert_eq!(
        field_on_page(&mut browser, &id, "personal", "personal.email").await,
        "page.tester@example.test"
    );

    // A referee's email is checked the same way, and linked to its own field.
    let answer = save_section(
        &mut browser,
        &id,
        "referees",
        &pairs(&[
            ("referees[0].name", "Test Referee One"),
            ("referees[0].email", "referee at example"),
        ]),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.error_links(), vec!["#referees_0_email".to_string()]);
    assert!(answer.body.contains("id=\"referees_0_email\""));
}

async fn submitting_an_incomplete_application_lists_every_missing_item_as_a_link(app: TestApp) {
    let (mut browser, email) = register(&app).await;
    let id = start_application(&mut browser).await;
    save_section(
        &mut browser,
        &id,
        "personal",
        &pairs(&[("personal.full_name", "Page Tester Alpha")]),
    )
    .await
    .location();

    let answer = submit_application(&mut browser, &id).await;
    assert!(
        answer.status == StatusCode::OK || answer.status.is_client_error(),
        "the check page again, not {}",
        answer.status
    );
    assert!(answer.body.contains("Check your answers"));
    // The email address given at registration filled its field, and was saved with the name.
    let expected: BTreeSet<String> = [
        ("personal", "personal_date_of_birth"),
        ("personal", "personal_phone"),
        ("personal", "personal_address"),
        ("personal", "personal_nationality"),
        ("personal", "personal_country_of_residence"),
        ("education", "education_0_institution"),
        ("courses", "courses_0_institution"),
        ("essays", "essays_leadership"),
        ("essays", "essays_networking"),
        ("essays", "essays_study_plan"),
        ("essays", "essays_career_plan"),
        ("referees", "referees_0_name"),
        ("referees", "referees_1_name"),
    ]
    .iter()
    .map(|(slug, field)| format!("/applications/{id}?section={slug}#{field}"))
    .collect();
    let links: BTreeSet<String> = answer.error_links().into_iter().collect();
    assert_eq!(links, expected);
    assert_eq!(answer.error_links().len(), expected.len(), "each item once");
    // Every link leads to a section page that has the field it names.
    for link in &links {
        let (path, anchor) = link.split_once('#').expect("an anchor");
        let page = browser.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{link}");
        assert!(
            page.body.contains(&format!("id=\"{anchor}\"")),
            "{link} leads to a page with the field #{anchor}"
        );
    }
    // The application was not submitted.
    let stored = api_application(&app, &email, &id).await;
    assert_eq!(stored["status"], "draft");
    assert!(
        browser
            .get(&format!("/applications/{id}/check"))
            .await
            .has_form(&format!("/applications/{id}/submit"))
    );
}

async fn a_complete_application_submitted_through_the_pages_becomes_read_only(app: TestApp) {
    let (mut browser, email) = register(&app).await;
    let id = start_application(&mut browser).await;
    complete_through_pages(&mut browser, &id, false).await;

    let check = browser.get(&format!("/applications/{id}/check")).await;
    assert_eq!(check.status, StatusCode::OK);
    let text = check.text();
    for (_, values) in answers(false) {
        for (name, value) in values.iter().filter(|(name, _)| !is_date_part(name)) {
            assert!(text.contains(value), "the check page shows {name}");
        }
    }
    for date in DATES_IN_WORDS {
        assert!(text.contains(date), "the check page shows {date}");
    }
    let answer = submit_application(&mut browser, &id).await;
    assert_eq!(answer.location(), format!("/applications/{id}/submitted"));

    let page = browser.get(&format!("/applications/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let text = page.text();
    assert!(
        text.contains("Submitted: we are checking that you are eligible"),
        "the status is shown"
    );
    assert!(page.body.contains("id=\"status\""));
    assert!(page.body.contains("class=\"timeline\""), "a timeline");
    assert!(text.contains("You started your application"));
    assert!(text.contains("You submitted your application"));
    assert!(
        text.contains("contact the Help Desk"),
        "the Help Desk sentence"
    );
    for (_, values) in answers(false) {
        for (name, value) in values.iter().filter(|(name, _)| !is_date_part(name)) {
            assert!(text.contains(value), "the read-only copy shows {name}");
        }
    }
    for date in DATES_IN_WORDS {
        assert!(text.contains(date), "the read-only copy shows {date}");
    }
    assert!(
        !page.has_form(&format!("/applications/{id}")),
        "no form saves a section"
    );
    assert!(!page.has_form(&format!("/applications/{id}/submit")));
    for form in forms(&page.body) {
        for name in form.names() {
            assert!(
                ![
                    "personal.",
                    "education[",
                    "employment[",
                    "courses[",
                    "essays.",
                    "referees[",
                    "preferences.",
                ]
                .iter()
                .any(|prefix| name.starts_with(prefix)),
                "no field of the form is editable: {name} in {}",
                form.action
            );
        }
    }
    // A section page asked for by its address is the read-only page too.
    let section = browser
        .get(&format!("/applications/{id}?section=personal"))
        .await;
    assert_eq!(section.status, StatusCode::OK);
    assert!(!section.has_form(&format!("/applications/{id}")));
    // The check page sends back to the application.
    assert_eq!(
        browser
            .get(&format!("/applications/{id}/check"))
            .await
            .location(),
        format!("/applications/{id}")
    );

    // A save posted anyway (an old tab) changes nothing.
    let token = page.csrf_token();
    let mut posted = vec![
        ("csrf_token".to_string(), token.clone()),
        ("section".to_string(), "personal".to_string()),
        ("action".to_string(), "continue".to_string()),
    ];
    posted.extend(answers(false).remove(0).1.into_iter().map(|(name, value)| {
        if name == "personal.full_name" {
            (name, "Page Tester Late Change".to_string())
        } else {
            (name, value)
        }
    }));
    let answer = browser.post(&format!("/applications/{id}"), &posted).await;
    assert!(
        answer.status == StatusCode::SEE_OTHER || answer.status.is_client_error(),
        "{}",
        answer.status
    );
    if answer.status == StatusCode::SEE_OTHER {
        assert_eq!(answer.location(), format!("/applications/{id}"));
    }
    let essays = vec![
        ("csrf_token".to_string(), token.clone()),
        ("section".to_string(), "essays".to_string()),
        ("essays.leadership".to_string(), "A late essay.".to_string()),
    ];
    let answer = browser.post(&format!("/applications/{id}"), &essays).await;
    assert!(!answer.status.is_success(), "{}", answer.status);
    // Submitting twice changes nothing either.
    let twice = vec![("csrf_token".to_string(), token)];
    let answer = browser
        .post(&format!("/applications/{id}/submit"), &twice)
        .await;
    assert!(!answer.status.is_server_error(), "{}", answer.status);

    let stored = api_application(&app, &email, &id).await;
    assert_eq!(stored["status"], "submitted");
    assert_eq!(stored["personal"]["full_name"], "Page Tester Alpha");
    assert_eq!(stored["essays"]["leadership"], "I led a test team of six.");
    assert_eq!(stored["preferences"]["images_opt_out"], true);
    assert_eq!(stored["preferences"]["networking_opt_out"], false);
    let page = browser.get(&format!("/applications/{id}")).await;
    assert!(!page.text().contains("Page Tester Late Change"));
    assert!(!page.text().contains("A late essay."));
}

// ---------------------------------------------------------------------------------------------------------
// CSRF and access.
// ---------------------------------------------------------------------------------------------------------

async fn a_form_with_a_forged_missing_or_borrowed_csrf_token_is_refused_and_changes_nothing(
    app: TestApp,
) {
    // Register: the form's token must be this browser's own.
    let mut visitor = Browser::new(&app);
    let mut bystander = Browser::new(&app);
    let bystanders_token = bystander.get("/register").await.csrf_token();
    let registration = visitor
        .get("/register")
        .await
        .form("/register")
        .set("full_name", "Test Forged Registrant")
        .set("email", "forged.registrant@example.test")
        .set("password", PASSWORD);
    assert_ne!(
        registration.value("csrf_token"),
        Some(bystanders_token.as_str())
    );
    assert_every_bad_token_refused(
        &mut visitor,
        &registration,
        &[&bystanders_token],
        "register",
    )
    .await;
    assert_eq!(
        app.login("forged.registrant@example.test", PASSWORD)
            .await
            .0,
        StatusCode::UNAUTHORIZED,
        "no account was made"
    );
    // A token without the cookie it belongs to is refused too.
    let mut cookieless = Browser::new(&app);
    let answer = cookieless.submit(&registration).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);

    // Sign in.
    let (mut owner, email) = register_named(&app, "Test Forged Owner").await;
    let mut visitor = Browser::new(&app);
    let login = visitor
        .get("/login")
        .await
        .form("/login")
        .set("email", &email)
        .set("password", PASSWORD);
    assert_every_bad_token_refused(&mut visitor, &login, &[&bystanders_token], "login").await;
    assert_eq!(visitor.cookie("etp_session"), None);
    assert_eq!(
        cookieless.submit(&login).await.status,
        StatusCode::FORBIDDEN
    );

    // Save a section: no token, a made-up one, another person's session token, and the anonymous token
    // the browser held before it signed in are all refused.
    let (mut other, _) = register(&app).await;
    let others_token = other.get("/applications").await.csrf_token();
    let owners_anonymous_token = owner
        .cookie("etp_csrf")
        .expect("the anonymous CSRF cookie")
        .to_string();
    let id = start_application(&mut owner).await;
    save_section(&mut owner, &id, "personal", &answers(false).remove(0).1)
        .await
        .location();
    let save = owner
        .get(&format!("/applications/{id}?section=personal"))
        .await
        .form(&format!("/applications/{id}"))
        .set("personal.full_name", "Test Forged Name")
        .set("action", "continue");
    assert_ne!(save.value("csrf_token"), Some(others_token.as_str()));
    assert_every_bad_token_refused(
        &mut owner,
        &save,
        &[&others_token, &owners_anonymous_token],
        "save",
    )
    .await;
    assert_eq!(
        field_on_page(&mut owner, &id, "personal", "personal.full_name").await,
        "Page Tester Alpha"
    );

    // Submit.
    complete_through_pages(&mut owner, &id, false).await;
    let submit = owner
        .get(&format!("/applications/{id}/check"))
        .await
        .form(&format!("/applications/{id}/submit"));
    assert_every_bad_token_refused(&mut owner, &submit, &[&others_token], "submit").await;
    assert_eq!(api_application(&app, &email, &id).await["status"], "draft");
    // The real form still works.
    assert_eq!(
        owner.submit(&submit).await.location(),
        format!("/applications/{id}/submitted")
    );

    // Sign out.
    let logout = owner.get("/applications").await.form("/logout");
    assert_every_bad_token_refused(&mut owner, &logout, &[&others_token], "logout").await;
    assert_eq!(
        owner.get("/applications").await.status,
        StatusCode::OK,
        "still signed in"
    );

    // A case action.
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let mut desk = sign_in(&app, &officer.email).await;
    let eligibility = desk
        .get(&format!("/cases/{id}"))
        .await
        .form(&format!("/cases/{id}/eligibility"))
        .set("eligible", "yes")
        .set("reason", "Meets the test rules");
    assert_every_bad_token_refused(&mut desk, &eligibility, &[&others_token], "eligibility").await;
    assert_eq!(
        api_application(&app, &email, &id).await["status"],
        "submitted",
        "eligibility was not recorded"
    );

    // Committee scores.
    let member = app.staff(Role::CommitteeMember).await;
    let id = app.under_review(&officer, &member).await;
    let mut committee = sign_in(&app, &member.email).await;
    let members_token = committee.get("/committee").await.csrf_token();
    let scoring = committee
        .get(&format!("/committee/{id}"))
        .await
        .form(&format!("/committee/{id}/scores"))
        .set("leadership", "7")
        .set("networking", "7")
        .set("study_plan", "7")
        .set("career_plan", "7")
        .set("comment", "Test comment");
    let officers_token = desk.get("/cases").await.csrf_token();
    assert_every_bad_token_refused(
        &mut committee,
        &scoring,
        &[&others_token, &officers_token],
        "scores",
    )
    .await;
    let (status, view) = app.get(&format!("/api/applications/{id}"), &officer).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !view.to_string().contains("Test comment"),
        "no scores were recorded: {view}"
    );
    // The conflict form is guarded the same way.
    let conflict = committee
        .get(&format!("/committee/{id}"))
        .await
        .form(&format!("/committee/{id}/conflicts"))
        .set("reason", "Test conflict");
    assert_every_bad_token_refused(&mut committee, &conflict, &[&others_token], "conflict").await;
    assert_eq!(
        committee.get(&format!("/committee/{id}")).await.status,
        StatusCode::OK
    );
    assert_ne!(members_token, others_token);
}

async fn another_applicants_application_is_not_found_and_a_visitor_is_sent_to_sign_in(
    app: TestApp,
) {
    let (mut owner, owner_email) = register(&app).await;
    let id = start_application(&mut owner).await;
    save_section(&mut owner, &id, "personal", &answers(false).remove(0).1)
        .await
        .location();

    let (mut other, _) = register(&app).await;
    for path in [
        format!("/applications/{id}"),
        format!("/applications/{id}?section=personal"),
        format!("/applications/{id}/check"),
        "/applications/no-such-application".to_string(),
    ] {
        let page = other.get(&path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        assert!(page.is_html(), "{path}");
        assert!(page.body.contains("Page not found"), "{path}");
        assert!(
            !page.text().contains("Page Tester Alpha"),
            "{path} shows nothing of the owner's"
        );
    }
    let token = other.get("/applications").await.csrf_token();
    let save = vec![
        ("csrf_token".to_string(), token.clone()),
        ("section".to_string(), "personal".to_string()),
        (
            "personal.full_name".to_string(),
            "Test Intruder".to_string(),
        ),
    ];
    let answer = other.post(&format!("/applications/{id}"), &save).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    let submit = vec![("csrf_token".to_string(), token.clone())];
    let answer = other
        .post(&format!("/applications/{id}/submit"), &submit)
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    let withdraw = vec![
        ("csrf_token".to_string(), token),
        ("confirm".to_string(), "yes".to_string()),
    ];
    let answer = other
        .post(&format!("/applications/{id}/withdraw"), &withdraw)
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    let stored = api_application(&app, &owner_email, &id).await;
    assert_eq!(stored["personal"]["full_name"], "Page Tester Alpha");
    assert_eq!(stored["status"], "draft");

    // Not signed in: to the sign-in page, which brings the person back afterwards.
    let mut visitor = Browser::new(&app);
    for (path, next) in [
        (format!("/applications/{id}"), format!("/applications/{id}")),
        ("/applications".to_string(), "/applications".to_string()),
        ("/cases".to_string(), "/cases".to_string()),
        ("/committee".to_string(), "/committee".to_string()),
        ("/requests".to_string(), "/requests".to_string()),
    ] {
        let answer = visitor.get(&path).await;
        assert_eq!(answer.location(), format!("/login?next={next}"), "{path}");
    }
    let login = visitor
        .get(&format!("/login?next=/applications/{id}"))
        .await
        .form("/login");
    assert_eq!(
        login.value("next"),
        Some(format!("/applications/{id}").as_str())
    );
    let answer = visitor
        .submit(&login.set("email", &owner_email).set("password", PASSWORD))
        .await;
    assert_eq!(answer.location(), format!("/applications/{id}"));
    assert_eq!(
        visitor.get(&format!("/applications/{id}")).await.status,
        StatusCode::OK
    );

    // A `next` that leaves the site is ignored.
    let mut visitor = Browser::new(&app);
    let login = visitor
        .get("/login?next=//evil.example/")
        .await
        .form("/login")
        .set("email", &owner_email)
        .set("password", PASSWORD)
        .set("next", "https://evil.example/");
    assert_eq!(visitor.submit(&login).await.location(), "/applications");
}

async fn each_staff_role_sees_its_own_pages_and_is_refused_the_others(app: TestApp) {
    let applicant = app.applicant().await;
    let id = app.submitted(&applicant).await;
    let pages = [
        "/cases".to_string(),
        format!("/cases/{id}"),
        "/committee".to_string(),
        "/requests".to_string(),
    ];
    let mut people = Vec::new();
    for role in [
        Role::Helpdesk,
        Role::ProgrammeOfficer,
        Role::InformationOfficer,
        Role::Admin,
        Role::CommitteeMember,
    ] {
        let user = app.staff(role).await;
        people.push((role, sign_in(&app, &user.email).await));
    }
    people.push((Role::Applicant, sign_in(&app, &applicant.email).await));

    for (role, browser) in people.iter_mut() {
        // An administrator reads no application.
        let case_desk = matches!(
            role,
            Role::Helpdesk | Role::ProgrammeOfficer | Role::InformationOfficer
        );
        let expected = [
            case_desk,
            case_desk,
            *role == Role::CommitteeMember,
            *role == Role::InformationOfficer,
        ];
        for (path, allowed) in pages.iter().zip(expected) {
            let page = browser.get(path).await;
            let want = if allowed {
                StatusCode::OK
            } else {
                StatusCode::FORBIDDEN
            };
            assert_eq!(page.status, want, "{role:?} at {path}");
            assert!(page.is_html(), "{role:?} at {path}");
            if allowed {
                assert!(page.has_form("/logout"), "{role:?} at {path}");
            } else {
                assert!(
                    !page.text().contains("Test Applicant Marker"),
                    "{role:?} at {path} sees nothing of the case"
                );
            }
        }
        if case_desk {
            let case = browser.get(&format!("/cases/{id}")).await;
            assert!(case.text().contains("Test Applicant Marker"), "{role:?}");
            assert!(
                case.text()
                    .contains(&format!("href=\"/cases/{id}?tab=history\"")),
                "{role:?}"
            );
            let history = browser.get(&format!("/cases/{id}?tab=history")).await;
            assert!(
                history
                    .body
                    .contains("<h2 id=\"panel-heading\">History</h2>"),
                "{role:?}"
            );
            let list = browser.get("/cases").await;
            assert!(
                list.body.contains(&format!("href=\"/cases/{id}\"")),
                "{role:?} sees the case in the list"
            );
        }
    }
    // The case list filters by status and by name.
    let (_, browser) = &mut people[1];
    let listed = browser.get("/cases?status=submitted&q=Marker").await;
    assert!(listed.body.contains(&format!("href=\"/cases/{id}\"")));
    let none = browser.get("/cases?status=awarded").await;
    assert!(!none.body.contains(&format!("href=\"/cases/{id}\"")));
    let unknown = browser.get("/cases/no-such-case").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

// ---------------------------------------------------------------------------------------------------------
// Staff work.
// ---------------------------------------------------------------------------------------------------------

async fn the_help_desk_amends_personal_details_through_the_case_page_and_nothing_else(
    app: TestApp,
) {
    let applicant = app.applicant().await;
    let id = app.submitted(&applicant).await;
    let helpdesk = app.staff(Role::Helpdesk).await;
    let mut desk = sign_in(&app, &helpdesk.email).await;
    let page = desk.get(&format!("/cases/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let form = page.form(&format!("/cases/{id}/amendments"));
    let personal: BTreeSet<String> = [
        "full_name",
        "date_of_birth",
        "email",
        "phone",
        "address",
        "nationality",
        "country_of_residence",
    ]
    .iter()
    .map(|field| format!("personal.{field}"))
    .collect();
    let allowed: BTreeSet<String> = personal
        .iter()
        .cloned()
        .chain(["csrf_token", "reason", "requested_by"].map(str::to_string))
        .collect();
    assert!(
        form.names().is_subset(&allowed),
        "only personal data can be amended: {:?}",
        form.names()
    );
    assert!(
        personal.is_subset(&form.names()),
        "every personal field can: {:?}",
        form.names()
    );
    assert_eq!(form.value("personal.phone"), Some("+000 0000 0000"));
    // The Help Desk acts on nothing else.
    for action in [
        "eligibility",
        "assignments",
        "decision",
        "award",
        "preferences",
    ] {
        assert!(!page.has_form(&format!("/cases/{id}/{action}")), "{action}");
    }

    // A smuggled essay field is not an amendment.
    let answer = desk
        .submit(
            &form
                .set("personal.phone", "+000 9999 0000")
                .set("reason", "Test reason: new number")
                .set("requested_by", "The applicant by test phone call")
                .set("essays.leadership", "A smuggled essay"),
        )
        .await;
    assert_eq!(answer.location(), format!("/cases/{id}?done=amendments"));
    let page = desk.get(answer.location()).await;
    assert_eq!(page.status, StatusCode::OK);
    let text = page.text();
    assert!(text.contains("<h3 class=\"heading-m\">Amendments</h3>"));
    assert!(text.contains("Test reason: new number"));
    assert!(text.contains("The applicant by test phone call"));
    assert!(text.contains("Phone number"));
    assert!(
        desk.get(&format!("/cases/{id}?tab=history"))
            .await
            .text()
            .contains("Personal data amended: Test reason: new number"),
        "in the history"
    );
    assert_eq!(
        page.form(&format!("/cases/{id}/amendments"))
            .value("personal.phone"),
        Some("+000 9999 0000")
    );

    let stored = app.expect_ok(
        app.get(&format!("/api/applications/{id}"), &applicant)
            .await,
    );
    assert_eq!(stored["personal"]["phone"], "+000 9999 0000");
    assert_eq!(stored["personal"]["full_name"], "Test Applicant Marker");
    assert_eq!(
        stored["essays"]["leadership"], "I led a study group of twelve.",
        "the essay is untouched"
    );

    // The applicant's page says the Help Desk made the change.
    let mut own = sign_in(&app, &applicant.email).await;
    let mine = own.get(&format!("/applications/{id}")).await;
    assert!(
        mine.text()
            .contains("The Help Desk amended your personal details at your request")
    );
    assert!(mine.text().contains("+000 9999 0000"));

    // A programme officer, or the Help Desk on a draft, has no amendment form.
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let mut po = sign_in(&app, &officer.email).await;
    assert!(
        !po.get(&format!("/cases/{id}"))
            .await
            .has_form(&format!("/cases/{id}/amendments"))
    );
    let draft = app.draft(&app.applicant().await).await;
    assert!(
        !desk
            .get(&format!("/cases/{draft}"))
            .await
            .has_form(&format!("/cases/{draft}/amendments"))
    );
}

async fn on_the_selection_page_an_officer_previews_then_records_assignments_and_decisions(
    app: TestApp,
) {
    use crate::ranking::{application_assigned_to, score};
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let mut po = sign_in(&app, &officer.email).await;
    let page = po.get("/selection?cycle=2026-27").await;
    assert_eq!(page.status, StatusCode::OK, "{}", excerpt(&page.body));
    assert!(
        page.text()
            .contains("No application of this cycle has been scored yet.")
    );

    // The committee assigned in bulk: previewed, then recorded.
    let members = [
        app.staff(Role::CommitteeMember).await,
        app.staff(Role::CommitteeMember).await,
    ];
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(
            application_assigned_to(&app, &officer, "2026-27", "Kenya", &[])
                .await
                .1,
        );
    }
    let form = page
        .form("/selection/assignments")
        .set("members_per_application", "1");
    let preview = po.submit(&form.clone().set("action", "preview")).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", excerpt(&preview.body));
    assert!(
        preview
            .text()
            .contains("Preview: 3 assignments would be made."),
        "{}",
        excerpt(&preview.body)
    );
    let view = app.expect_ok(
        app.get(&format!("/api/applications/{}", ids[0]), &officer)
            .await,
    );
    assert_eq!(view["status"], "eligible", "a preview records nothing");
    let recorded = po.submit(&form.set("action", "record")).await;
    assert_eq!(recorded.status, StatusCode::OK);
    assert!(recorded.text().contains("3 assignments recorded."));
    for (id, mark) in ids.iter().zip([9, 7, 5]) {
        let view = app.expect_ok(app.get(&format!("/api/applications/{id}"), &officer).await);
        let member_id = view["committee"][0]["member_id"]
            .as_str()
            .unwrap()
            .to_string();
        let member = members.iter().find(|m| m.id == member_id).unwrap();
        score(&app, member, id, mark).await;
    }

    // The ranking, best first, then decisions down it: previewed, refused when unreadable, recorded.
    let page = po.get("/selection?cycle=2026-27").await;
    let body = &page.body;
    let at = |id: &str| body.find(&format!("/cases/{id}")).unwrap();
    assert!(
        at(&ids[0]) < at(&ids[1]) && at(&ids[1]) < at(&ids[2]),
        "best first"
    );
    let form = page
        .form("/selection/decisions")
        .set("selected", "1")
        .set("reserve", "1")
        .set("unsuccessful_rest", "yes");
    let refused = po
        .submit(
            &form
                .clone()
                .set("selected", "a few")
                .set("action", "record"),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().contains("Enter a whole number, such as 2"));
    let preview = po.submit(&form.clone().set("action", "preview")).await;
    assert!(
        preview
            .text()
            .contains("Preview: 3 decisions would be recorded."),
        "{}",
        excerpt(&preview.body)
    );
    // The check page: each decision by the applicant's name, the counts, and the letters it sends.
    assert!(preview.text().contains("Reserve list, place 1"));
    assert!(
        preview
            .text()
            .contains("Check the decisions before you record them"),
        "{}",
        excerpt(&preview.body)
    );
    assert!(
        preview
            .text()
            .contains("Record 3 decisions and send 3 letters"),
        "{}",
        excerpt(&preview.body)
    );
    for id in &ids {
        let view = app.expect_ok(app.get(&format!("/api/applications/{id}"), &officer).await);
        let name = view["personal"]["full_name"].as_str().unwrap();
        assert!(preview.text().contains(name), "{name} is named");
    }
    let recorded = po.submit(&form.set("action", "record")).await;
    assert!(
        recorded.text().contains("3 decisions recorded"),
        "{}",
        excerpt(&recorded.body)
    );
    for (id, want) in ids.iter().zip(["selected", "reserve", "unsuccessful"]) {
        let view = app.expect_ok(app.get(&format!("/api/applications/{id}"), &officer).await);
        assert_eq!(view["status"], want);
    }
    let page = po.get("/selection?cycle=2026-27").await;
    let reserve = &page.body[page.body.find("id=\"reserve-list\"").unwrap()..];
    assert!(reserve.contains(&format!("/cases/{}", ids[1])));

    // A cycle that is no cycle is said so, on the page.
    let page = po.get("/selection?cycle=next-year").await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn on_the_selection_page_an_officer_previews_then_confirms_the_cycles_conclusion(
    app: TestApp,
) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let member = app.staff(Role::CommitteeMember).await;
    let live = app.under_review(&officer, &member).await;
    let reserve = app.decided(&officer, "reserve").await;
    let award = app.awarded(&officer).await;
    let mut po = sign_in(&app, &officer.email).await;
    // The case desk, filtered by the cycle, points to it.
    let desk = po.get("/cases?cycle=2026-27").await;
    assert!(
        desk.body
            .contains("/selection?cycle=2026-27#conclude-heading"),
        "{}",
        excerpt(&desk.body)
    );
    let page = po.get("/selection?cycle=2026-27").await;
    assert!(
        page.text()
            .contains("the retention sweep concludes it on 31 December 2027")
    );
    let form = page.form("/selection/conclusion");

    let preview = po.submit(&form.clone().set("action", "preview")).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", excerpt(&preview.body));
    assert!(
        preview
            .text()
            .contains("Preview: 2 applications would become unsuccessful"),
        "{}",
        excerpt(&preview.body)
    );
    let table = &preview.body[preview.body.find("id=\"preview\"").unwrap()..];
    let table = &table[..table.find("</table>").unwrap()];
    assert!(table.contains(&format!("/cases/{live}")), "{table}");
    assert!(table.contains(&format!("/cases/{reserve}")), "{table}");
    assert!(!table.contains(&format!("/cases/{award}")), "{table}");
    let view = app.expect_ok(
        app.get(&format!("/api/applications/{live}"), &officer)
            .await,
    );
    assert_eq!(view["status"], "under_review", "a preview records nothing");

    // Recording without the confirmation is refused, and says why.
    let unconfirmed = po.submit(&form.clone().set("action", "record")).await;
    assert_eq!(unconfirmed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        unconfirmed
            .text()
            .contains("Confirm that you want to conclude the cycle")
    );
    let bad_day = po
        .submit(
            &form
                .clone()
                .set("on-day", "next")
                .set("on-month", "Tuesday")
                .set("confirm", "yes")
                .set("action", "record"),
        )
        .await;
    assert_eq!(bad_day.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad_day
            .text()
            .contains("The day of the conclusion must be a real date")
    );
    let shown_again = bad_day.form("/selection/conclusion");
    assert_eq!(
        shown_again.value("on-month"),
        Some("Tuesday"),
        "what was typed is kept"
    );
    assert_eq!(bad_day.error_links(), vec!["#on".to_string()]);
    let view = app.expect_ok(
        app.get(&format!("/api/applications/{live}"), &officer)
            .await,
    );
    assert_eq!(view["status"], "under_review", "nothing was recorded");

    let done = po
        .submit(&form.set("confirm", "yes").set("action", "record"))
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", excerpt(&done.body));
    assert!(
        done.text().contains("2 applications are now unsuccessful"),
        "{}",
        excerpt(&done.body)
    );
    for id in [&live, &reserve] {
        let view = app.expect_ok(app.get(&format!("/api/applications/{id}"), &officer).await);
        assert_eq!(view["status"], "unsuccessful");
    }
    let view = app.expect_ok(
        app.get(&format!("/api/applications/{award}"), &officer)
            .await,
    );
    assert_eq!(view["status"], "awarded");
    let page = po.get("/selection?cycle=2026-27").await;
    assert!(
        page.body.contains("id=\"concluded\""),
        "{}",
        excerpt(&page.body)
    );
    assert!(!page.body.contains("action=\"/selection/conclusion\""));
}

async fn a_programme_officer_waives_screening_rules_on_the_case_page_with_a_reason(app: TestApp) {
    let applicant = app.applicant().await;
    let id = app.complete_draft(&applicant).await;
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let mut po = sign_in(&app, &officer.email).await;
    let page = po.get(&format!("/cases/{id}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", excerpt(&page.body));
    let form = page.form(&format!("/cases/{id}/screening-override"));

    // Without a rule or a reason, the page says what is missing and nothing is recorded.
    let refused = po.submit(&form.clone().set("reason", "")).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let text = refused.text();
    assert!(
        text.contains("Choose the rules to waive"),
        "{}",
        excerpt(&refused.body)
    );
    assert!(text.contains("Give the reason for the override"));

    let answer = po
        .submit(
            &form
                .set("rules", "work_experience")
                .set("reason", "A career break the rules did not foresee"),
        )
        .await;
    assert_eq!(
        answer.location(),
        format!("/cases/{id}?done=screening-override")
    );
    let page = po.get(&format!("/cases/{id}?tab=committee")).await;
    let text = page.text();
    assert!(
        text.contains("Enough work experience waived: A career break the rules did not foresee"),
        "{}",
        excerpt(&page.body)
    );
    assert!(
        po.get(&format!("/cases/{id}?tab=history"))
            .await
            .text()
            .contains("Screening rules waived: A career break the rules did not foresee"),
        "in the history"
    );
    let view = app.expect_ok(app.get(&format!("/api/applications/{id}"), &officer).await);
    assert_eq!(
        view["screening_overrides"][0]["rules"],
        serde_json::json!(["work_experience"])
    );

    // Once submitted there is nothing left to screen: the form is gone.
    app.expect_ok(
        app.post(
            &format!("/api/applications/{id}/submit"),
            &applicant,
            serde_json::json!({}),
        )
        .await,
    );
    let page = po.get(&format!("/cases/{id}")).await;
    assert!(!page.has_form(&format!("/cases/{id}/screening-override")));
}

async fn a_programme_officer_and_a_committee_member_take_an_application_through_review(
    app: TestApp,
) {
    let applicant = app.applicant().await;
    let id = app.submitted(&applicant).await;
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let member = app.staff(Role::CommitteeMember).await;
    let bystander = app.staff(Role::CommitteeMember).await;
    let mut po = sign_in(&app, &officer.email).await;

    // Eligibility.
    let page = po.get(&format!("/cases/{id}")).await;
    assert!(
        !page.has_form(&format!("/cases/{id}/assignments")),
        "no assignment before eligibility"
    );
    let form = page
        .form(&format!("/cases/{id}/eligibility"))
        .set("eligible", "yes")
        .set("reason", "Meets the test rules");
    let answer = po.submit(&form).await;
    assert_eq!(answer.location(), format!("/cases/{id}?done=eligibility"));
    let page = po.get(answer.location()).await;
    assert!(!page.has_form(&format!("/cases/{id}/eligibility")));
    let history = po.get(&format!("/cases/{id}?tab=history")).await;
    assert!(
        history
            .text()
            .contains("Eligibility decided: Eligible: Meets the test rules"),
        "in the history: {}",
        excerpt(&history.body)
    );
    let page = po.get(&format!("/cases/{id}?tab=committee")).await;
    let text = page.text();
    assert!(
        text.contains("Eligible: Meets the test rules"),
        "{}",
        excerpt(&page.body)
    );

    // Assignment: the committee members are offered by name.
    let form = page.form(&format!("/cases/{id}/assignments"));
    let offered = form
        .options
        .get("committee_member_id")
        .cloned()
        .unwrap_or_default();
    assert!(offered.contains(&member.id), "{offered:?}");
    assert!(offered.contains(&bystander.id), "{offered:?}");
    let answer = po
        .submit(&form.set("committee_member_id", &member.id))
        .await;
    assert_eq!(answer.location(), format!("/cases/{id}?done=assignments"));
    let page = po.get(answer.location()).await;
    assert!(
        page.body
            .contains("id=\"status\">Under review by the committee<"),
        "{}",
        excerpt(&page.body)
    );
    assert!(page.text().contains("Not scored yet"));

    // The member finds it on their list, without the applicant's preferences.
    let mut committee = sign_in(&app, &member.email).await;
    let list = committee.get("/committee").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains(&format!("href=\"/committee/{id}\"")));
    assert!(list.text().contains("Test Applicant Marker"));
    let page = committee.get(&format!("/committee/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let text = page.text();
    assert!(text.contains("I led a study group of twelve."));
    assert!(text.contains("Test Referee One"));
    for preference in [
        "Your choices about your information",
        "Do not share my details with other EtP Scholars",
        "Alumni Open Book",
        "Do not publish images",
        "opt_out",
    ] {
        assert!(
            !text.contains(preference),
            "a committee member never sees the preferences: {preference}"
        );
    }
    // Nor does another member who is not assigned.
    let mut other = sign_in(&app, &bystander.email).await;
    assert_eq!(
        other.get(&format!("/committee/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert!(
        !other
            .get("/committee")
            .await
            .body
            .contains(&format!("/committee/{id}"))
    );

    // Scoring.
    let form = page.form(&format!("/committee/{id}/scores"));
    assert_eq!(
        form.options.get("leadership").map(Vec::len),
        Some(12),
        "an empty choice and the marks 0 to 10"
    );
    let out_of_range = form
        .clone()
        .set("leadership", "11")
        .set("networking", "6")
        .set("study_plan", "5")
        .set("career_plan", "4");
    let answer = committee.submit(&out_of_range).await;
    assert!(answer.status.is_client_error(), "{}", answer.status);
    assert_eq!(answer.error_links(), vec!["#scores_leadership".to_string()]);
    let answer = committee
        .submit(
            &form
                .set("leadership", "7")
                .set("networking", "6")
                .set("study_plan", "5")
                .set("career_plan", "4")
                .set("comment", "A clear test plan."),
        )
        .await;
    assert_eq!(answer.location(), format!("/committee/{id}?done=scores"));
    let page = committee.get(answer.location()).await;
    assert!(page.body.contains("Your scores have been saved."));
    let again = page.form(&format!("/committee/{id}/scores"));
    assert_eq!(again.value("leadership"), Some("7"));
    assert_eq!(again.value("career_plan"), Some("4"));
    assert_eq!(again.value("comment"), Some("A clear test plan."));
    assert!(committee.get("/committee").await.text().contains("Scored"));
    let case = po.get(&format!("/cases/{id}?tab=committee")).await;
    assert!(case.text().contains("A clear test plan."));
    assert!(case.body.contains("<td>22</td>"), "the total of the marks");
    assert!(case.text().contains("22.0 of 40"), "the mean score");

    // A conflict takes the application off the member's list for good.
    let form = page
        .form(&format!("/committee/{id}/conflicts"))
        .set("reason", "Test conflict: knows the applicant");
    let answer = committee.submit(&form).await;
    assert!(
        answer.location().starts_with("/committee"),
        "{}",
        answer.location()
    );
    let list = committee.get("/committee").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(!list.body.contains(&format!("/committee/{id}")));
    let page = committee.get(&format!("/committee/{id}")).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.is_html());
    let token = list.csrf_token();
    let scores_again = vec![
        ("csrf_token".to_string(), token),
        ("leadership".to_string(), "10".to_string()),
        ("networking".to_string(), "10".to_string()),
        ("study_plan".to_string(), "10".to_string()),
        ("career_plan".to_string(), "10".to_string()),
    ];
    let answer = committee
        .post(&format!("/committee/{id}/scores"), &scores_again)
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    let case = po.get(&format!("/cases/{id}?tab=committee")).await;
    assert!(
        case.text()
            .contains("Declared a conflict of interest: Test conflict: knows the applicant")
    );
    assert!(!case.body.contains("<td>40</td>"));
    // The committee pages are the member's alone.
    assert_eq!(
        po.get(&format!("/committee/{id}")).await.status,
        StatusCode::FORBIDDEN
    );
}

async fn an_applicant_withdraws_through_the_page_and_a_stale_form_then_answers_a_page_not_an_error(
    app: TestApp,
) {
    let (mut browser, email) = register(&app).await;
    let id = start_application(&mut browser).await;
    let stale = browser
        .get(&format!("/applications/{id}?section=personal"))
        .await
        .form(&format!("/applications/{id}"))
        .set("personal.full_name", "Page Tester Stale")
        .set("action", "continue");
    complete_through_pages(&mut browser, &id, false).await;
    let stale_submit = browser
        .get(&format!("/applications/{id}/check"))
        .await
        .form(&format!("/applications/{id}/submit"));
    submit_application(&mut browser, &id).await.location();

    // Withdrawing needs the box ticked: without it, the page again with the message at the tick box.
    let page = browser.get(&format!("/applications/{id}")).await;
    let withdraw = page.form(&format!("/applications/{id}/withdraw"));
    assert_eq!(withdraw.value("confirm"), None, "the box starts unticked");
    let answer = browser.submit(&withdraw).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.error_links(), vec!["#confirm".to_string()]);
    assert!(
        answer
            .text()
            .contains("Tick the box to confirm you want to withdraw")
    );
    assert!(
        answer.body.contains("id=\"confirm-error\"")
            && answer.body.contains("aria-describedby=\"confirm-error\"")
            && answer.body.contains("aria-invalid=\"true\""),
        "the message is at the tick box"
    );
    assert_eq!(
        api_application(&app, &email, &id).await["status"],
        "submitted"
    );
    let answer = browser.submit(&withdraw.set("confirm", "yes")).await;
    assert_eq!(answer.location(), format!("/applications/{id}"));
    let page = browser.get(&format!("/applications/{id}")).await;
    assert!(page.text().contains("Withdrawn"), "{}", excerpt(&page.body));
    assert!(page.text().contains("The application was withdrawn"));
    assert!(!page.has_form(&format!("/applications/{id}/withdraw")));

    // Forms left open in another tab are answered with a page, and change nothing.
    let mut errors = Vec::new();
    for (form, what) in [(&stale, "a stale save"), (&stale_submit, "a stale submit")] {
        let answer = browser.submit(form).await;
        if answer.status.is_server_error() || answer.status.is_informational() {
            errors.push(format!("{what} answers {}", answer.status));
        }
    }
    assert!(errors.is_empty(), "on a withdrawn application: {errors:?}");
    let stored = api_application(&app, &email, &id).await;
    assert_eq!(stored["status"], "withdrawn");
    assert_eq!(stored["personal"]["full_name"], "Page Tester Alpha");
}

async fn a_conflict_declared_after_the_decision_answers_a_page_not_an_error(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let member = app.staff(Role::CommitteeMember).await;
    let id = app.under_review(&officer, &member).await;
    let mut committee = sign_in(&app, &member.email).await;
    let page = committee.get(&format!("/committee/{id}")).await;
    let conflict = page
        .form(&format!("/committee/{id}/conflicts"))
        .set("reason", "Test conflict after the decision");
    let scoring = page
        .form(&format!("/committee/{id}/scores"))
        .set("leadership", "7")
        .set("networking", "7")
        .set("study_plan", "7")
        .set("career_plan", "7");
    committee.submit(&scoring).await.location();
    app.expect_ok(
        app.post(
            &format!("/api/applications/{id}/decision"),
            &officer,
            serde_json::json!({"outcome": "selected"}),
        )
        .await,
    );

    // The member can still read the application; the form they had open is answered with a page.
    let page = committee.get(&format!("/committee/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        !page.has_form(&format!("/committee/{id}/scores")),
        "no scoring after the decision"
    );
    let answer = committee.submit(&conflict).await;
    assert!(
        answer.status == StatusCode::SEE_OTHER
            || answer.status == StatusCode::OK
            || answer.status.is_client_error(),
        "a conflict declared after the decision answers {}: {}",
        answer.status,
        excerpt(&answer.body)
    );
    let answer = committee.submit(&scoring.set("leadership", "1")).await;
    assert!(
        !answer.status.is_server_error(),
        "a score after the decision answers {}",
        answer.status
    );
    let (_, view) = app.get(&format!("/api/applications/{id}"), &officer).await;
    assert_eq!(view["status"], "selected");
}

// ---------------------------------------------------------------------------------------------------------
// Escaping.
// ---------------------------------------------------------------------------------------------------------

/// The page never holds the raw markup, holds it escaped, and shows every value (decoded) in full.
fn assert_shown_escaped(page: &Answer, values: &[String], what: &str) {
    assert!(
        page.status == StatusCode::OK || page.status.is_client_error(),
        "{what}: {} {}",
        page.status,
        excerpt(&page.body)
    );
    for raw in [
        "<script>alert",
        "<img src=x",
        "<img src",
        "onerror=alert",
        "\"><img",
    ] {
        assert!(
            !page.body.contains(raw),
            "{what} holds the raw markup {raw:?}"
        );
    }
    assert!(
        page.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{what} shows the script escaped"
    );
    assert!(
        page.body.contains("&lt;img src"),
        "{what} shows the image escaped"
    );
    let text = page.text();
    for value in values {
        assert!(
            text.contains(value.as_str()),
            "{what} does not show {value:?}"
        );
    }
}

async fn script_markup_in_every_text_field_is_shown_escaped_on_every_page_that_shows_it(
    app: TestApp,
) {
    let hostile = |tag: &str| format!("{tag} {XSS}");
    let applicant_name = hostile("account.applicant");
    let (mut browser, _) = register_named(&app, &applicant_name).await;
    let id = start_application(&mut browser).await;

    // A refused save shows the posted markup escaped too.
    let answer = save_section(
        &mut browser,
        &id,
        "personal",
        &pairs(&[
            ("personal.full_name", &hostile("refused.full_name")),
            ("personal.email", &hostile("refused.email")),
        ]),
    )
    .await;
    assert_shown_escaped(
        &answer,
        &[hostile("refused.full_name"), hostile("refused.email")],
        "a refused personal section",
    );

    // Every section page shows back what was saved.
    let sections = answers(true);
    let is_free_text = |value: &String| value.contains(XSS);
    for (slug, values) in &sections {
        let answer = save_section(&mut browser, &id, slug, values).await;
        answer.location();
        let page = browser
            .get(&format!("/applications/{id}?section={slug}"))
            .await;
        let shown: Vec<String> = values
            .iter()
            .map(|(_, value)| value.clone())
            .filter(is_free_text)
            .collect();
        assert_shown_escaped(&page, &shown, &format!("the {slug} section page"));
        let form = page.form(&format!("/applications/{id}"));
        for (name, value) in values {
            assert_eq!(form.value(name), Some(value.as_str()), "{name} round-trips");
        }
    }
    let all: Vec<String> = sections
        .iter()
        .flat_map(|(_, values)| values.iter().map(|(_, value)| value.clone()))
        .filter(is_free_text)
        .collect();
    // The phone number and the job dates are no free text (a number; months and years).
    assert_eq!(all.len(), 17, "every free-text field of the form");

    let check = browser.get(&format!("/applications/{id}/check")).await;
    assert_shown_escaped(&check, &all, "the check page");
    submit_application(&mut browser, &id).await.location();
    let submitted = browser.get(&format!("/applications/{id}")).await;
    assert_shown_escaped(&submitted, &all, "the submitted page");

    // The Help Desk amends the address, with a hostile reason.
    let helpdesk = app.staff(Role::Helpdesk).await;
    let mut desk = sign_in(&app, &helpdesk.email).await;
    let case = desk.get(&format!("/cases/{id}")).await;
    // The Help Desk sees the personal details only; a committee member not the contact details.
    let personal: Vec<String> = all
        .iter()
        .filter(|value| value.starts_with("personal."))
        .cloned()
        .collect();
    let for_committee: Vec<String> = all
        .iter()
        .filter(|value| {
            !["personal.email", "personal.phone", "personal.address"]
                .iter()
                .any(|contact| value.starts_with(contact))
        })
        .cloned()
        .collect();
    assert_shown_escaped(&case, &personal, "the case page (Help Desk)");
    let answer = desk
        .submit(
            &case
                .form(&format!("/cases/{id}/amendments"))
                .set("personal.address", &hostile("amendment.address"))
                .set("reason", &hostile("amendment.reason"))
                .set("requested_by", &hostile("amendment.requested_by")),
        )
        .await;
    answer.location();
    let all: Vec<String> = all
        .into_iter()
        .map(|value| {
            if value == hostile("personal.address") {
                hostile("amendment.address")
            } else {
                value
            }
        })
        .collect();

    // A programme officer records eligibility with a hostile reason, and assigns two members whose
    // account names are hostile too.
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let member = staff_named(&app, Role::CommitteeMember, &hostile("account.member")).await;
    let conflicted = staff_named(&app, Role::CommitteeMember, &hostile("account.conflicted")).await;
    let mut po = sign_in(&app, &officer.email).await;
    let case = po.get(&format!("/cases/{id}")).await;
    let answer = po
        .submit(
            &case
                .form(&format!("/cases/{id}/eligibility"))
                .set("eligible", "yes")
                .set("reason", &hostile("eligibility.reason")),
        )
        .await;
    answer.location();
    let case = po.get(&format!("/cases/{id}?tab=committee")).await;
    assert_shown_escaped(
        &case,
        &[hostile("account.member"), hostile("account.conflicted")],
        "the assignment form",
    );
    for who in [&member, &conflicted] {
        let case = po.get(&format!("/cases/{id}?tab=committee")).await;
        let form = case
            .form(&format!("/cases/{id}/assignments"))
            .set("committee_member_id", &who.id);
        po.submit(&form).await.location();
    }

    // The committee: one member scores with a hostile comment, the other declares a hostile conflict.
    let mut committee = sign_in(&app, &member.email).await;
    let list = committee.get("/committee").await;
    assert_shown_escaped(
        &list,
        &[hostile("personal.full_name")],
        "the committee list",
    );
    let page = committee.get(&format!("/committee/{id}")).await;
    assert_shown_escaped(&page, &for_committee, "the committee's application page");
    let form = page
        .form(&format!("/committee/{id}/scores"))
        .set("leadership", "8")
        .set("networking", "8")
        .set("study_plan", "8")
        .set("career_plan", "8")
        .set("comment", &hostile("scores.comment"));
    committee.submit(&form).await.location();
    let page = committee.get(&format!("/committee/{id}")).await;
    let mut seen: Vec<String> = for_committee.clone();
    seen.push(hostile("scores.comment"));
    assert_shown_escaped(&page, &seen, "the committee's application page, scored");
    // A refused score shows the posted comment escaped.
    let refused = page
        .form(&format!("/committee/{id}/scores"))
        .set("leadership", "")
        .set("comment", &hostile("refused.comment"));
    let answer = committee.submit(&refused).await;
    assert!(answer.status.is_client_error(), "{}", answer.status);
    assert_shown_escaped(&answer, &[hostile("refused.comment")], "a refused score");

    let mut second = sign_in(&app, &conflicted.email).await;
    let page = second.get(&format!("/committee/{id}")).await;
    let form = page
        .form(&format!("/committee/{id}/conflicts"))
        .set("reason", &hostile("conflict.reason"));
    second.submit(&form).await.location();

    // The case desk shows all of it.
    let mut everything = all.clone();
    everything.extend(
        [
            "amendment.reason",
            "amendment.requested_by",
            "eligibility.reason",
            "scores.comment",
            "conflict.reason",
            "account.applicant",
            "account.member",
            "account.conflicted",
        ]
        .map(hostile),
    );
    let case = whole_case(&mut po, &id).await;
    assert_shown_escaped(&case, &everything, "the case page (programme officer)");
    let case = whole_case(&mut desk, &id).await;
    let mut amended: Vec<String> = all
        .iter()
        .filter(|value| value.starts_with("personal.") || value.starts_with("amendment.address"))
        .cloned()
        .collect();
    amended.extend(["amendment.reason", "amendment.requested_by"].map(hostile));
    assert_shown_escaped(&case, &amended, "the case page (Help Desk), amended");
    let list = po.get("/cases").await;
    assert_shown_escaped(&list, &[hostile("personal.full_name")], "the case list");
    let found = po.get("/cases?q=personal.full").await;
    assert!(
        found.body.contains(&format!("/cases/{id}")),
        "search finds it"
    );
    assert_shown_escaped(&found, &[hostile("personal.full_name")], "a case search");

    // The applicant's own page after all that.
    let submitted = browser.get(&format!("/applications/{id}")).await;
    assert_shown_escaped(&submitted, &all, "the submitted page, amended");
    // And the sign-in and register pages keep a refused value escaped.
    let mut visitor = Browser::new(&app);
    let form = visitor
        .get("/login")
        .await
        .form("/login")
        .set("email", &hostile("login.email"))
        .set("password", "wrong");
    let answer = visitor.submit(&form).await;
    assert_shown_escaped(&answer, &[hostile("login.email")], "a refused sign-in");
    let form = visitor
        .get("/register")
        .await
        .form("/register")
        .set("full_name", &hostile("register.full_name"))
        .set("email", &hostile("register.email"))
        .set("password", "short");
    let answer = visitor.submit(&form).await;
    assert_shown_escaped(
        &answer,
        &[hostile("register.full_name"), hostile("register.email")],
        "a refused registration",
    );
}

// ---------------------------------------------------------------------------------------------------------
// Headers, assets, the privacy notice and the not-found page.
// ---------------------------------------------------------------------------------------------------------

fn assert_security_headers(answer: &Answer, what: &str) {
    let csp = answer.header("content-security-policy");
    let directives: Vec<&str> = csp.split(';').map(str::trim).collect();
    assert!(
        directives
            .iter()
            .any(|d| d.starts_with("script-src") && d.split_whitespace().any(|s| s == "'self'")),
        "{what}: CSP {csp:?} has script-src 'self'"
    );
    assert!(
        !csp.contains("'unsafe-inline'") && !csp.contains("'unsafe-eval'"),
        "{what}: {csp:?}"
    );
    assert!(
        directives.iter().any(|d| d.starts_with("frame-ancestors")),
        "{what}: {csp:?}"
    );
    assert_eq!(answer.header("x-content-type-options"), "nosniff", "{what}");
    let referrer = answer.header("referrer-policy");
    assert!(
        [
            "no-referrer",
            "same-origin",
            "strict-origin",
            "strict-origin-when-cross-origin"
        ]
        .contains(&referrer),
        "{what}: Referrer-Policy {referrer:?}"
    );
    assert!(
        answer
            .header("cache-control")
            .split(',')
            .any(|d| d.trim() == "no-store"),
        "{what}: Cache-Control {:?}",
        answer.header("cache-control")
    );
}

/// Security headers, an HTML content type, and markup that a strict CSP does not break: every script
/// from a file, no inline event handlers, no inline styles.
fn assert_a_safe_page(answer: &Answer, what: &str) {
    assert_security_headers(answer, what);
    assert!(
        answer.is_html(),
        "{what}: {:?}",
        answer.header("content-type")
    );
    assert!(
        answer.header("content-type").contains("charset=utf-8"),
        "{what}"
    );
    for tag in tags(&answer.body) {
        if tag.name == "script" {
            assert!(
                tag.attribute("src").is_some_and(|src| src.starts_with('/')),
                "{what}: an inline script"
            );
        }
        for (name, _) in &tag.attributes {
            assert!(
                !name.starts_with("on") && name != "style",
                "{what}: <{} {name}=…> is blocked by the CSP",
                tag.name
            );
        }
    }
}

async fn every_page_carries_the_security_headers_and_no_inline_script_or_style(app: TestApp) {
    let mut visitor = Browser::new(&app);
    for path in ["/", "/register", "/login", "/privacy", "/no/such/page"] {
        let answer = visitor.get(path).await;
        assert_a_safe_page(&answer, path);
    }
    // Error pages: a refused form, an unknown application.
    let answer = visitor.post("/login", &[]).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_a_safe_page(&answer, "a refused form");
    // Redirects carry them too.
    assert_security_headers(&visitor.get("/applications").await, "the sign-in redirect");

    let (mut browser, _) = register(&app).await;
    let id = start_application(&mut browser).await;
    let mut paths = vec![
        "/".to_string(),
        "/privacy".to_string(),
        "/applications".to_string(),
        format!("/applications/{id}"),
        format!("/applications/{id}/check"),
        "/applications/no-such-application".to_string(),
        "/cases".to_string(),
    ];
    paths.extend(
        [
            "personal",
            "education",
            "employment",
            "courses",
            "essays",
            "referees",
            "preferences",
        ]
        .map(|slug| format!("/applications/{id}?section={slug}")),
    );
    for path in &paths {
        let answer = browser.get(path).await;
        assert_a_safe_page(&answer, path);
    }
    let invalid = save_section(
        &mut browser,
        &id,
        "personal",
        &pairs(&[("personal.email", "not-an-email")]),
    )
    .await;
    assert_a_safe_page(&invalid, "a section with errors");
    let incomplete = submit_application(&mut browser, &id).await;
    assert_a_safe_page(&incomplete, "the check page with the missing items");
    complete_through_pages(&mut browser, &id, false).await;
    submit_application(&mut browser, &id).await.location();
    assert_a_safe_page(
        &browser.get(&format!("/applications/{id}")).await,
        "the submitted page",
    );

    let officer = app.staff(Role::ProgrammeOfficer).await;
    let member = app.staff(Role::CommitteeMember).await;
    let info = app.staff(Role::InformationOfficer).await;
    let reviewed = app.under_review(&officer, &member).await;
    let mut po = sign_in(&app, &officer.email).await;
    for path in [
        "/cases".to_string(),
        format!("/cases/{id}"),
        format!("/cases/{reviewed}"),
        "/committee".to_string(),
    ] {
        assert_a_safe_page(&po.get(&path).await, &format!("{path} (officer)"));
    }
    let mut committee = sign_in(&app, &member.email).await;
    for path in ["/committee".to_string(), format!("/committee/{reviewed}")] {
        assert_a_safe_page(&committee.get(&path).await, &path);
    }
    let mut requests = sign_in(&app, &info.email).await;
    assert_a_safe_page(&requests.get("/requests").await, "/requests");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_assets_are_served_with_their_content_types() {
    let app = spawn_app(Backend::Sqlite).await;
    let mut browser = Browser::new(&app);
    let css = browser.get("/assets/style.css").await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(
        css.header("content-type").starts_with("text/css"),
        "{:?}",
        css.header("content-type")
    );
    assert!(!css.body.is_empty());
    assert_eq!(css.header("x-content-type-options"), "nosniff");
    let js = browser.get("/assets/etp.js").await;
    assert_eq!(js.status, StatusCode::OK);
    let kind = js.header("content-type");
    assert!(
        kind.starts_with("text/javascript") || kind.starts_with("application/javascript"),
        "{kind:?}"
    );
    assert!(!js.body.is_empty());
    assert_eq!(js.header("x-content-type-options"), "nosniff");
    // The layout loads both from this site.
    let home = browser.get("/").await;
    assert!(home.body.contains("href=\"/assets/style.css\""));
    assert!(home.body.contains("src=\"/assets/etp.js\""));
    assert_eq!(
        browser.get("/assets/no-such-file.css").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_privacy_notice_is_public_and_lists_the_retention_periods() {
    let app = spawn_app(Backend::Sqlite).await;
    let mut browser = Browser::new(&app);
    let page = browser.get("/privacy").await;
    assert_eq!(page.status, StatusCode::OK, "no sign-in needed");
    assert!(page.is_html());
    let text = page.text().to_lowercase();
    assert!(
        text.contains("2 years") || text.contains("two years"),
        "the two-year periods"
    );
    assert!(text.contains("indefinitely"), "the awards kept");
    for record in ["unsuccessful", "immigration", "never submitted", "award"] {
        assert!(text.contains(record), "the notice covers {record}");
    }
    assert!(text.contains("how long we keep it"));
    assert!(!page.has_form("/logout"), "no one is signed in");
    // The start page links to it.
    assert!(browser.get("/").await.body.contains("href=\"/privacy\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_path_answers_the_not_found_page_in_html() {
    let app = spawn_app(Backend::Sqlite).await;
    let mut browser = Browser::new(&app);
    for path in ["/no/such/page", "/applicationz", "/cases/x/y/z"] {
        let page = browser.get(path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        assert!(page.is_html(), "{path}: {:?}", page.header("content-type"));
        assert!(page.body.starts_with("<!DOCTYPE html>"), "{path}");
        assert!(page.body.contains("Page not found"), "{path}");
        assert!(page.body.contains("href=\"/\""), "{path}: a way back");
    }
    // The API keeps its JSON.
    let (status, body) = app
        .request(reqwest::Method::GET, "/api/no-such-route", None, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"], "not_found");
}

#[test]
fn the_form_reader_posts_what_a_browser_would_post() {
    let html = r#"<form method="post" action="/x&#x3D;1">
      <input type="hidden" name="csrf_token" value="t0k">
      <input class="input" id="a" name="a" type="text" value="&lt;b&gt; &quot;q&quot; &#x3D; &amp;">
      <input name="unticked" type="checkbox" value="yes">
      <input name="ticked" type="checkbox" value="yes" checked>
      <input type="radio" name="r" value="one"><input type="radio" name="r" value="two" checked>
      <select name="s"><option value="">Choose</option><option value="7" selected>7</option></select>
      <select name="first"><option value="f1">1</option><option value="f2">2</option></select>
      <textarea name="t" rows="4">&lt;script&gt;x&lt;/script&gt;</textarea>
      <button type="submit" name="action" value="continue">Go</button>
    </form><form action="/get"></form>"#;
    let found = forms(html);
    assert_eq!(found.len(), 2);
    let form = &found[0];
    assert_eq!(form.action, "/x=1");
    assert_eq!(form.method, "post");
    assert_eq!(
        form.fields,
        pairs(&[
            ("csrf_token", "t0k"),
            ("a", "<b> \"q\" = &"),
            ("ticked", "yes"),
            ("r", "two"),
            ("s", "7"),
            ("first", "f1"),
            ("t", "<script>x</script>"),
        ])
    );
    assert_eq!(form.options["s"], vec!["".to_string(), "7".to_string()]);
    assert_eq!(found[1].method, "get");
    assert_eq!(
        url_encode(&pairs(&[("personal.full_name", "A b&c=d"), ("x[0]", "é")])),
        "personal.full_name=A+b%26c%3Dd&x%5B0%5D=%C3%A9"
    );
    assert_eq!(
        unescape("&amp;lt; &#39;&#x27; &nope; &"),
        "&lt; '' &nope; &"
    );
}

// ---------------------------------------------------------------------------------------------------------
// Sharing and publishing on the case desk.
// ---------------------------------------------------------------------------------------------------------

on_both_stores!(
    the_register_of_recipients_is_kept_by_administrators_and_read_by_officers,
    a_programme_officer_discloses_from_the_case_page_and_a_refusal_is_shown_with_its_reason,
    the_disclosure_form_offers_only_the_recipients_the_policy_allows_and_asks_for_confirmation,
    a_course_choice_names_its_country_of_study_on_the_page,
    the_award_form_takes_the_country_of_study_and_a_joint_sponsor_of_the_register,
    a_correction_of_disclosed_data_is_an_open_task_until_the_officer_marks_the_recipient_told,
    the_alumni_open_book_is_printed_and_exported_dated_and_without_those_who_opted_out,
);

/// Registers a recipient through the admin's page; answers its id, read from the register.
async fn register_recipient(
    app: &TestApp,
    admin: &mut Browser,
    name: &str,
    kind: &str,
    country: &str,
) -> String {
    let page = admin.get("/recipients").await;
    let form = page
        .form("/recipients")
        .set("name", name)
        .set("kind", kind)
        .set("country", country);
    let answer = admin.submit(&form).await;
    assert_eq!(answer.location(), "/recipients?done=1");
    projections::recipients::list(app.db())
        .await
        .expect("the register")
        .into_iter()
        .find(|recipient| recipient.name == name)
        .expect("the recipient is registered")
        .id
}

async fn the_register_of_recipients_is_kept_by_administrators_and_read_by_officers(app: TestApp) {
    let admin_user = staff_named(&app, Role::Admin, "Test Admin").await;
    let mut admin = sign_in(&app, &admin_user.email).await;
    register_recipient(
        &app,
        &mut admin,
        "Test British High Commission Nairobi",
        "british_mission",
        "Kenya",
    )
    .await;

    let page = admin.get("/recipients").await;
    assert!(page.text().contains("Test British High Commission Nairobi"));
    let refused = admin
        .submit(
            &page
                .form("/recipients")
                .set("name", "Test Nowhere")
                .set("kind", "friend")
                .set("country", "Kenyan"),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let links = refused.error_links();
    assert!(links.contains(&"#recipient_kind".to_string()), "{links:?}");
    assert!(
        links.contains(&"#recipient_country".to_string()),
        "{links:?}"
    );
    assert_eq!(
        projections::recipients::list(app.db()).await.unwrap().len(),
        1,
        "nothing was registered"
    );

    // An embassy of the study country says the nation it represents; a home country mission where it
    // stands.
    let page = admin.get("/recipients").await;
    let refused = admin
        .submit(
            &page
                .form("/recipients")
                .set("name", "Test Embassy of France in Kenya")
                .set("kind", "study_country_embassy")
                .set("country", "Kenya"),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let links = refused.error_links();
    assert!(
        links.contains(&"#recipient_represents".to_string()),
        "{links:?}"
    );
    let answer = admin
        .submit(
            &refused
                .form("/recipients")
                .set("name", "Test Embassy of France in Kenya")
                .set("kind", "study_country_embassy")
                .set("country", "Kenya")
                .set("represents", "france"),
        )
        .await;
    assert_eq!(answer.location(), "/recipients?done=1");
    let page = admin.get("/recipients").await;
    let refused = admin
        .submit(
            &page
                .form("/recipients")
                .set("name", "Test High Commission of Kenya")
                .set("kind", "home_country_mission")
                .set("country", "Kenya")
                .set("located_in", "Narnia"),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .error_links()
            .contains(&"#recipient_located_in".to_string()),
        "{:?}",
        refused.error_links()
    );
    let register = projections::recipients::list(app.db()).await.unwrap();
    let france = register
        .iter()
        .find(|r| r.name == "Test Embassy of France in Kenya")
        .expect("registered");
    assert_eq!(france.represents.as_deref(), Some("France"));
    assert_eq!(register.len(), 2);
    // A recipient as registered before recipients said whom they represent is flagged as receiving nothing.
    assert!(!page.text().contains("receives nothing"));
    let forget = "UPDATE recipients SET represents = NULL";
    match app.db() {
        projections::Db::Sqlite(pool) => sqlx::query(forget).execute(pool).await.map(|_| ()),
        projections::Db::Postgres(pool) => sqlx::query(forget).execute(pool).await.map(|_| ()),
    }
    .expect("the register, as before");
    let page = admin.get("/recipients").await;
    assert!(
        page.text().contains("Test Embassy of France in Kenya was registered before recipients said whom they represent and where they stand: it receives nothing"),
        "{}",
        excerpt(&page.body)
    );

    let officer_user = staff_named(&app, Role::ProgrammeOfficer, "Test Officer").await;
    let mut officer = sign_in(&app, &officer_user.email).await;
    let page = officer.get("/recipients").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("Test British High Commission Nairobi"));
    assert!(
        !page.has_form("/recipients"),
        "only administrators register recipients"
    );
    let token = page.csrf_token();
    let posted = officer
        .post(
            "/recipients",
            &pairs(&[
                ("csrf_token", &token),
                ("name", "Test X"),
                ("kind", "joint_sponsor"),
                ("country", "Kenya"),
            ]),
        )
        .await;
    assert_eq!(posted.status, StatusCode::FORBIDDEN);

    let helpdesk_user = staff_named(&app, Role::Helpdesk, "Test Helpdesk").await;
    let mut helpdesk = sign_in(&app, &helpdesk_user.email).await;
    assert_eq!(
        helpdesk.get("/recipients").await.status,
        StatusCode::FORBIDDEN
    );
}

/// A submitted application of an applicant living in Kenya, a national of Kenya (the fixture's values).
async fn submitted_case(app: &TestApp) -> String {
    let applicant = app.applicant().await;
    app.submitted(&applicant).await
}

fn disclosure_form(page: &Answer, id: &str, recipient_id: &str, fields: &[&str]) -> Form {
    let mut form = page
        .form(&format!("/cases/{id}/disclosures"))
        .set("recipient_id", recipient_id)
        .set("purpose", "Test visa letter")
        .set("confirm", "yes");
    for field in fields {
        form.fields.push(("fields".to_string(), field.to_string()));
    }
    form
}

async fn the_award_form_takes_the_country_of_study_and_a_joint_sponsor_of_the_register(
    app: TestApp,
) {
    let sponsor = recipient_through_the_api(&app, serde_json::json!({"name": "Test Sponsor Foundation", "kind": "joint_sponsor", "country": "United Kingdom"})).await;
    let mission = recipient_through_the_api(&app, serde_json::json!({"name": "Test British High Commission Nairobi", "kind": "british_mission", "country": "Kenya"})).await;
    let officer_user = staff_named(&app, Role::ProgrammeOfficer, "Test Officer").await;
    let id = app.decided(&officer_user, "selected").await;
    let mut officer = sign_in(&app, &officer_user.email).await;
    let page = officer.get(&format!("/cases/{id}?tab=award")).await;
    let award_form = page
        .body
        .split_once(&format!("action=\"/cases/{id}/award\""))
        .and_then(|(_, rest)| rest.split_once("</form>"))
        .map(|(form, _)| form)
        .expect("the award form");
    assert!(
        award_form.contains(&format!("<option value=\"{sponsor}\">")),
        "the joint sponsors of the register are offered"
    );
    assert!(
        !award_form.contains(&format!("<option value=\"{mission}\">")),
        "only joint sponsors are offered"
    );
    let award = |page: &Answer, country: &str, sponsor: &str| {
        page.form(&format!("/cases/{id}/award"))
            .set("institution", "Test Institute")
            .set("course", "MSc Testing")
            .set("level", "masters")
            .set_date("start_date", "2027-09-20")
            .set("country", country)
            .set("joint_sponsor_id", sponsor)
    };
    let refused = officer.submit(&award(&page, "France", &mission)).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .error_links()
            .contains(&"#award_joint_sponsor_id".to_string()),
        "{:?}",
        refused.error_links()
    );
    let refused = officer.submit(&award(&page, "Atlantis", &sponsor)).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .error_links()
            .contains(&"#award_country".to_string()),
        "{:?}",
        refused.error_links()
    );
    // Making the award sends a letter: it is confirmed first, with what will be made.
    let confirm = officer.submit(&award(&page, "France", &sponsor)).await;
    assert_eq!(confirm.status, StatusCode::OK, "{}", excerpt(&confirm.body));
    assert!(
        confirm
            .text()
            .contains("An award of MSc Testing at Test Institute")
    );
    let answer = officer
        .submit(&confirm.form(&format!("/cases/{id}/award")))
        .await;
    assert_eq!(answer.location(), format!("/cases/{id}?done=award"));
    let (_, view) = app
        .get(&format!("/api/applications/{id}"), &officer_user)
        .await;
    assert_eq!(view["award"]["country"], "France", "{view}");
    assert_eq!(
        view["award"]["joint_sponsor_id"],
        sponsor.as_str(),
        "{view}"
    );
}

async fn a_course_choice_names_its_country_of_study_on_the_page(app: TestApp) {
    let (mut browser, email) = register(&app).await;
    let id = start_application(&mut browser).await;
    let course = |country: &str| {
        pairs(&[
            ("courses[0].institution", "Test Institute"),
            ("courses[0].course", "MSc Testing"),
            ("courses[0].level", "masters"),
            ("courses[0].country", country),
        ])
    };
    let answer = save_section(&mut browser, &id, "courses", &course("Atlantis")).await;
    assert_eq!(
        answer.status,
        StatusCode::OK,
        "the section again, with the error"
    );
    assert!(
        answer
            .text()
            .contains("Course choice 1: country of study must be a country"),
        "{}",
        excerpt(&answer.body)
    );
    let answer = save_section(&mut browser, &id, "courses", &course("france")).await;
    assert_eq!(
        answer.location(),
        format!("/applications/{id}?section=essays&saved=1")
    );
    let stored = api_application(&app, &email, &id).await;
    assert_eq!(stored["courses"][0]["country"], "France", "{stored}");
    // Left empty, the country of study is the United Kingdom.
    save_section(&mut browser, &id, "courses", &course("")).await;
    let stored = api_application(&app, &email, &id).await;
    assert_eq!(
        stored["courses"][0]["country"], "United Kingdom",
        "{stored}"
    );
}

/// Registers a recipient through the API, with whom it represents and where it stands; answers its id.
async fn recipient_through_the_api(app: &TestApp, body: serde_json::Value) -> String {
    let admin = app.staff(Role::Admin).await;
    let (status, answer) = app.post("/api/recipients", &admin, body).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    answer["id"].as_str().expect("an id").to_string()
}

async fn the_disclosure_form_offers_only_the_recipients_the_policy_allows_and_asks_for_confirmation(
    app: TestApp,
) {
    // The test person lives in Kenya, is a national of Kenya and chose to study in the United Kingdom.
    let nairobi = recipient_through_the_api(&app, serde_json::json!({"name": "Test British High Commission Nairobi", "kind": "british_mission", "country": "Kenya"})).await;
    let abuja = recipient_through_the_api(&app, serde_json::json!({"name": "Test British High Commission Abuja", "kind": "british_mission", "country": "Nigeria"})).await;
    let france_in_kenya = recipient_through_the_api(&app, serde_json::json!({"name": "Test Embassy of France in Kenya", "kind": "study_country_embassy", "country": "Kenya", "represents": "France"})).await;
    let kenya_in_london = recipient_through_the_api(&app, serde_json::json!({"name": "Test High Commission of Kenya in London", "kind": "home_country_mission", "country": "Kenya", "located_in": "United Kingdom"})).await;
    let kenya_in_paris = recipient_through_the_api(&app, serde_json::json!({"name": "Test Embassy of Kenya in Paris", "kind": "home_country_mission", "country": "Kenya", "located_in": "France"})).await;
    let sponsor = recipient_through_the_api(&app, serde_json::json!({"name": "Test Sponsor Foundation", "kind": "joint_sponsor", "country": "United Kingdom"})).await;
    let id = submitted_case(&app).await;

    let officer_user = staff_named(&app, Role::ProgrammeOfficer, "Test Officer").await;
    let mut officer = sign_in(&app, &officer_user.email).await;
    let page = officer.get(&format!("/cases/{id}?tab=disclosures")).await;
    let offered = |page: &Answer, recipient: &str| {
        page.body
            .contains(&format!("<option value=\"{recipient}\">"))
    };
    assert!(offered(&page, &nairobi), "{}", excerpt(&page.body));
    assert!(offered(&page, &kenya_in_london));
    for (recipient, why) in [
        (&abuja, "a British mission elsewhere"),
        (
            &france_in_kenya,
            "the embassy of a country not chosen for study",
        ),
        (
            &kenya_in_paris,
            "the home mission outside the country of study",
        ),
        (&sponsor, "a sponsor of no award of theirs"),
    ] {
        assert!(!offered(&page, recipient), "{why} is not offered");
    }

    let unconfirmed = page
        .form(&format!("/cases/{id}/disclosures"))
        .set("recipient_id", &nairobi)
        .set("purpose", "Test visa letter")
        .set("fields", "personal.full_name");
    let answer = officer.submit(&unconfirmed).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        answer.text().contains("Confirm that this recipient needs"),
        "{}",
        excerpt(&answer.body)
    );
    let (_, log) = app
        .get(
            &format!("/api/applications/{id}/disclosures"),
            &officer_user,
        )
        .await;
    assert_eq!(
        log,
        serde_json::json!([]),
        "nothing is disclosed unconfirmed"
    );

    let answer = officer
        .submit(&disclosure_form(
            &page,
            &id,
            &nairobi,
            &["personal.full_name"],
        ))
        .await;
    assert_eq!(answer.location(), format!("/cases/{id}?done=disclosures"));
}

async fn a_programme_officer_discloses_from_the_case_page_and_a_refusal_is_shown_with_its_reason(
    app: TestApp,
) {
    let admin_user = staff_named(&app, Role::Admin, "Test Admin").await;
    let mut admin = sign_in(&app, &admin_user.email).await;
    let nairobi = register_recipient(
        &app,
        &mut admin,
        "Test British High Commission Nairobi",
        "british_mission",
        "Kenya",
    )
    .await;
    let abuja = register_recipient(
        &app,
        &mut admin,
        "Test British High Commission Abuja",
        "british_mission",
        "Nigeria",
    )
    .await;
    let id = submitted_case(&app).await;

    let officer_user = staff_named(&app, Role::ProgrammeOfficer, "Test Officer").await;
    let mut officer = sign_in(&app, &officer_user.email).await;
    let page = officer.get(&format!("/cases/{id}?tab=disclosures")).await;
    let answer = officer
        .submit(&disclosure_form(
            &page,
            &id,
            &nairobi,
            &["personal.full_name", "personal.email"],
        ))
        .await;
    assert_eq!(answer.location(), format!("/cases/{id}?done=disclosures"));
    let page = officer.get(&format!("/cases/{id}?tab=disclosures")).await;
    let text = page.text();
    assert!(
        text.contains("Test British High Commission Nairobi (British Embassy or High Commission)"),
        "the log shows it"
    );
    assert!(text.contains("Full name, Email address"));

    let refused = officer
        .submit(&disclosure_form(&page, &id, &abuja, &["personal.email"]))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let text = refused.text();
    assert!(
        text.contains("Sharing is not permitted"),
        "{}",
        excerpt(&refused.body)
    );
    assert!(
        text.contains("Nigeria") && text.contains("Kenya"),
        "the reason names the countries"
    );
    assert!(
        text.contains("Disclosures refused"),
        "the refusal is recorded and listed"
    );

    let (_, log) = app
        .get(
            &format!("/api/applications/{id}/disclosures"),
            &officer_user,
        )
        .await;
    assert_eq!(
        log.as_array().map(Vec::len),
        Some(1),
        "only the allowed disclosure was made: {log}"
    );
    let (_, refusals) = app
        .get(
            &format!("/api/applications/{id}/disclosure-refusals"),
            &officer_user,
        )
        .await;
    assert_eq!(refusals.as_array().map(Vec::len), Some(1), "{refusals}");

    let helpdesk_user = staff_named(&app, Role::Helpdesk, "Test Helpdesk").await;
    let mut helpdesk = sign_in(&app, &helpdesk_user.email).await;
    let page = helpdesk.get(&format!("/cases/{id}")).await;
    assert!(
        !page.has_form(&format!("/cases/{id}/disclosures")),
        "only officers disclose"
    );
    assert!(
        !page.text().contains("Test British High Commission Nairobi"),
        "nor see the disclosure log"
    );
}

async fn a_correction_of_disclosed_data_is_an_open_task_until_the_officer_marks_the_recipient_told(
    app: TestApp,
) {
    let admin_user = staff_named(&app, Role::Admin, "Test Admin").await;
    let mut admin = sign_in(&app, &admin_user.email).await;
    let nairobi = register_recipient(
        &app,
        &mut admin,
        "Test British High Commission Nairobi",
        "british_mission",
        "Kenya",
    )
    .await;
    let id = submitted_case(&app).await;
    let officer_user = staff_named(&app, Role::ProgrammeOfficer, "Test Officer").await;
    let mut officer = sign_in(&app, &officer_user.email).await;
    let page = officer.get(&format!("/cases/{id}?tab=disclosures")).await;
    officer
        .submit(&disclosure_form(&page, &id, &nairobi, &["personal.email"]))
        .await
        .location();

    let helpdesk_user = staff_named(&app, Role::Helpdesk, "Test Helpdesk").await;
    let mut helpdesk = sign_in(&app, &helpdesk_user.email).await;
    let page = helpdesk.get(&format!("/cases/{id}")).await;
    let form = page
        .form(&format!("/cases/{id}/amendments"))
        .set("personal.email", "corrected.address@example.test")
        .set("reason", "Test: the applicant wrote to correct it");
    assert_eq!(
        helpdesk.submit(&form).await.location(),
        format!("/cases/{id}?done=amendments")
    );

    let page = officer.get(&format!("/cases/{id}?tab=disclosures")).await;
    assert!(page.text().contains("Corrections to pass on"));
    let form = page.form(&format!("/cases/{id}/rectification-notices"));
    assert_eq!(form.value("recipient_id"), Some(nairobi.as_str()));
    assert_eq!(
        officer.submit(&form).await.location(),
        format!("/cases/{id}?done=rectification-notices")
    );
    let page = officer.get(&format!("/cases/{id}?tab=disclosures")).await;
    assert!(
        !page.has_form(&format!("/cases/{id}/rectification-notices")),
        "the task is done"
    );
    let (_, view) = app
        .get(&format!("/api/applications/{id}"), &officer_user)
        .await;
    assert!(
        view["rectification_notices"][0]["sent_at"].is_string(),
        "{view}"
    );
}

async fn the_alumni_open_book_is_printed_and_exported_dated_and_without_those_who_opted_out(
    app: TestApp,
) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let helpdesk = app.staff(Role::Helpdesk).await;
    let mut alumni = Vec::new();
    for name in ["Test Alumna Listed", "Test Alumnus Unlisted"] {
        let id = app.awarded(&officer).await;
        app.expect_ok(app.post(&format!("/api/applications/{id}/amendments"), &helpdesk,
            serde_json::json!({"changes": {"personal.full_name": name}, "reason": "Test: a new name"})).await);
        app.expect_ok(
            app.post(
                &format!("/api/applications/{id}/award/complete"),
                &officer,
                serde_json::json!({"outcome": "Test Distinction", "completed_on": "2026-07-01"}),
            )
            .await,
        );
        alumni.push(id);
    }
    let opt_out = serde_json::json!({"networking_opt_out": false, "alumni_email_opt_out": false,
        "alumni_book_opt_out": true, "images_opt_out": false, "reason": "Test: asked by email"});
    app.expect_ok(
        app.put(
            &format!("/api/applications/{}/preferences", alumni[1]),
            &officer,
            opt_out,
        )
        .await,
    );

    let mut visitor = Browser::new(&app);
    let page = visitor.get("/alumni/open-book").await;
    assert_eq!(page.status, StatusCode::OK, "the Open Book is public");
    let text = page.text();
    let today = chrono::Utc::now().date_naive();
    assert!(
        text.contains(&format!("as at {}", today.format("%-d %B %Y"))),
        "the print edition names its date"
    );
    assert!(text.contains("Test Alumna Listed"));
    assert!(
        !text.contains("Test Alumnus Unlisted"),
        "an alumnus who opted out is not printed"
    );
    assert!(!text.contains("@example.test"), "no contact data");

    let csv = visitor.get("/alumni/open-book.csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.header("content-type").starts_with("text/csv"));
    assert!(
        csv.header("content-disposition")
            .contains(&format!("alumni-open-book-{today}.csv"))
    );
    let lines: Vec<&str> = csv.body.lines().collect();
    assert_eq!(lines[0], format!("Alumni Open Book as at {today}"));
    assert_eq!(
        lines[1],
        "name,subject,institution,level,outcome,year,country"
    );
    assert_eq!(lines.len(), 3, "one alumna: {lines:?}");
    assert!(lines[2].starts_with(
        "Test Alumna Listed,MSc Data Science,Test Institute,masters,Test Distinction,"
    ));
    assert!(lines[2].ends_with(",Kenya"));
}

// ---------------------------------------------------------------------------------------------------------
// The information officer's desk.
// ---------------------------------------------------------------------------------------------------------

on_both_stores!(
    the_information_officer_logs_a_request_stops_its_clock_and_produces_the_response_from_the_desk,
    the_information_officer_decides_rights_requests_from_the_desk,
    the_desks_refused_forms_keep_what_was_typed_with_each_message_at_its_field,
    a_cycles_days_are_set_from_the_three_fields_of_a_date_input,
);

async fn a_cycles_days_are_set_from_the_three_fields_of_a_date_input(app: TestApp) {
    let admin = app.staff(Role::Admin).await;
    let mut browser = sign_in(&app, &admin.email).await;
    let page = browser.get("/cycles").await;
    let form = page
        .form("/cycles")
        .set("cycle", "2031-32")
        .set("opens_on-day", "1")
        .set("opens_on-month", "10")
        .set("opens_on-year", "2031")
        .set("closes_on-day", "31")
        .set("closes_on-month", "1")
        .set("closes_on-year", "");
    let refused = browser.submit(&form).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .text()
            .contains("The day the cycle closes must include a year"),
        "{}",
        excerpt(&refused.body)
    );
    assert_eq!(refused.error_links(), vec!["#closes_on".to_string()]);
    let kept = refused.form("/cycles");
    assert_eq!(kept.value("opens_on-month"), Some("10"));
    assert_eq!(kept.value("closes_on-day"), Some("31"));
    let set = browser.submit(&kept.set("closes_on-year", "2032")).await;
    assert_eq!(set.location(), "/cycles?done=2031-32");
    let terms = app.expect_ok(app.get("/api/cycles/2031-32", &admin).await);
    assert_eq!(terms["opens_on"], "2031-10-01");
    assert_eq!(terms["closes_on"], "2032-01-31");
}

async fn the_desks_refused_forms_keep_what_was_typed_with_each_message_at_its_field(app: TestApp) {
    let officer_user =
        staff_named(&app, Role::InformationOfficer, "Test Information Officer").await;
    let mut officer = sign_in(&app, &officer_user.email).await;
    let page = officer.get("/requests").await;

    // Logging: no requester's name and a date without its month.
    let refused = officer
        .submit(
            &page
                .form("/requests")
                .set("kind", "sar")
                .set("received_on-day", "2")
                .set("received_on-month", "")
                .set("received_on-year", "2025")
                .set("requester_name", "")
                .set("requester_email", "requester@example.test")
                .set("description", "Test: everything about me"),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let text = refused.text();
    assert!(text.contains("Enter the requester's name"), "{text}");
    assert!(
        text.contains("The date the request was received must include a month"),
        "{text}"
    );
    assert_eq!(
        refused.error_links(),
        vec![
            "#request_received_on".to_string(),
            "#request_requester_name".to_string()
        ]
    );
    assert!(refused.body.contains("id=\"request_requester_name-error\""));
    let kept = refused.form("/requests");
    assert_eq!(kept.value("kind"), Some("sar"));
    assert_eq!(kept.value("received_on-day"), Some("2"));
    assert_eq!(kept.value("received_on-year"), Some("2025"));
    assert_eq!(
        kept.value("requester_email"),
        Some("requester@example.test")
    );
    assert_eq!(kept.value("description"), Some("Test: everything about me"));

    // A kind the list does not hold (a stale page, a hand-made post): the message beside the select too.
    let refused = officer
        .submit(
            &page
                .form("/requests")
                .set("kind", "not-a-kind")
                .set("received_on-day", "2")
                .set("received_on-month", "3")
                .set("received_on-year", "2025")
                .set("requester_name", "Test Requester")
                .set("requester_email", "requester@example.test")
                .set("description", "Test: everything about me"),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.error_links(), vec!["#request_kind".to_string()]);
    assert!(
        refused.body.contains(
            "id=\"request_kind\" name=\"kind\" aria-invalid=\"true\" aria-describedby=\"request_kind-error\""
        ),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("id=\"request_kind-error\""));
    assert!(refused.text().contains("Select the kind of request"));

    // Without any date: the GOV.UK message, at the field.
    let refused = officer
        .submit(
            &page
                .form("/requests")
                .set("received_on-day", "")
                .set("received_on-month", "")
                .set("received_on-year", "")
                .set("requester_name", "Test Requester")
                .set("requester_email", "requester@example.test")
                .set("description", "Test: statistics"),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .text()
            .contains("Enter the date the request was received")
    );
    assert_eq!(
        refused.form("/requests").value("requester_name"),
        Some("Test Requester")
    );

    // A bank holiday: recorded from the three parts; a part that makes no date refused at its field.
    let refused = officer
        .submit(
            &page
                .form("/requests/holidays")
                .set("date-day", "31")
                .set("date-month", "2")
                .set("date-year", "2031")
                .set("region", "scotland")
                .set("name", "Test: a proclaimed day"),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .text()
            .contains("The day of the bank holiday must be a real date")
    );
    assert_eq!(refused.error_links(), vec!["#holiday_date".to_string()]);
    let kept = refused.form("/requests/holidays");
    assert_eq!(kept.value("date-day"), Some("31"));
    assert_eq!(kept.value("region"), Some("scotland"));
    assert_eq!(kept.value("name"), Some("Test: a proclaimed day"));
    let added = officer.submit(&kept.set("date-day", "28")).await;
    assert!(
        added.location().starts_with("/requests?done="),
        "{}",
        excerpt(&added.body)
    );

    // The clock of a request: a day without its year is refused with the note kept.
    let location = log_from_the_desk(&mut officer, "foi", "requester@example.test").await;
    let page = officer.get(&location).await;
    let refused = officer
        .submit(
            &page
                .form(&format!("{location}/clock"))
                .set("on-year", "")
                .set("note", "Test: fee notice sent"),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .text()
            .contains("The date the clock stops or resumes must include a year")
    );
    assert_eq!(refused.error_links(), vec!["#request_on".to_string()]);
    let kept = refused.form(&format!("{location}/clock"));
    assert_eq!(kept.value("note"), Some("Test: fee notice sent"));
    let today = chrono::Utc::now().date_naive();
    assert_eq!(
        kept.value("on-day"),
        Some(today.format("%-d").to_string().as_str())
    );
    let stopped = officer
        .submit(&kept.set("on-year", &today.format("%Y").to_string()))
        .await;
    assert!(
        stopped.location().starts_with(&location),
        "{}",
        excerpt(&stopped.body)
    );

    // A decision without a choice: the message at the decision, the reason kept.
    let location = log_from_the_desk(&mut officer, "erasure", "requester@example.test").await;
    let page = officer.get(&location).await;
    let refused = officer
        .submit(
            &page
                .form(&format!("{location}/erasure"))
                .set("reason", "Test: a reason"),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .text()
            .contains("Select whether to grant or refuse the request")
    );
    assert_eq!(refused.error_links(), vec!["#erasure_decision".to_string()]);
    assert_eq!(
        refused.form(&format!("{location}/erasure")).value("reason"),
        Some("Test: a reason")
    );
}

async fn the_information_officer_logs_a_request_stops_its_clock_and_produces_the_response_from_the_desk(
    app: TestApp,
) {
    let applicant = app.applicant().await;
    app.submitted(&applicant).await;
    let officer_user =
        staff_named(&app, Role::InformationOfficer, "Test Information Officer").await;
    let mut officer = sign_in(&app, &officer_user.email).await;

    let page = officer.get("/requests").await;
    assert_eq!(page.status, StatusCode::OK);
    let form = page
        .form("/requests")
        .set("kind", "sar")
        .set("received_on-day", "2")
        .set("received_on-month", "6")
        .set("received_on-year", "2025")
        .set("requester_name", "Test Requester")
        .set("requester_email", &applicant.email)
        .set("subject_email", &applicant.email)
        .set("description", "Test: everything about me");
    let answer = officer.submit(&form).await;
    let location = answer.location().to_string();
    assert!(location.starts_with("/requests/"), "{location}");

    let page = officer.get(&location).await;
    let text = page.text();
    assert!(
        text.contains("2025-07-02"),
        "the statutory date is shown: {}",
        excerpt(&page.body)
    );
    let form = page
        .form(&format!("{location}/clock"))
        .set("reason", "clarification")
        .set("on-day", "9")
        .set("on-month", "6")
        .set("on-year", "2025")
        .set("note", "Test: which cycle?");
    assert!(
        officer
            .submit(&form)
            .await
            .location()
            .starts_with(&location)
    );
    let page = officer.get(&location).await;
    assert!(page.text().contains("The clock is stopped"));
    let form = page
        .form(&format!("{location}/clock"))
        .set("on-day", "13")
        .set("on-month", "6")
        .set("on-year", "2025");
    officer.submit(&form).await.location();
    let page = officer.get(&location).await;
    assert!(
        page.text().contains("2025-07-07"),
        "the statutory date moved by the five days stopped"
    );

    let answer = officer
        .submit(&page.form(&format!("{location}/response")))
        .await;
    assert!(answer.location().starts_with(&location));
    let page = officer.get(&location).await;
    assert!(page.text().contains("Answered on"));
    let letter = officer.get(&format!("{location}/letter")).await;
    assert_eq!(letter.status, StatusCode::OK);
    assert!(letter.text().contains("Your subject access request"));
    assert!(
        letter.text().contains("Test Applicant Marker"),
        "the subject's data is in the letter"
    );
    let json = officer.get(&format!("{location}/response.json")).await;
    assert!(json.header("content-disposition").contains("attachment"));
    let parsed: Value = serde_json::from_str(&json.body).expect("JSON");
    assert_eq!(
        parsed["records"]["applications"][0]["personal"]["full_name"],
        "Test Applicant Marker"
    );

    let mut applicant_browser = sign_in(&app, &applicant.email).await;
    assert_eq!(
        applicant_browser.get(&location).await.status,
        StatusCode::FORBIDDEN
    );
}

/// Logs a request of `kind` about `subject` from the desk and answers the request's page address.
async fn log_from_the_desk(officer: &mut Browser, kind: &str, subject: &str) -> String {
    let page = officer.get("/requests").await;
    let form = page
        .form("/requests")
        .set("kind", kind)
        .set("requester_name", "Test Requester")
        .set("requester_email", subject)
        .set("subject_email", subject)
        .set("description", "Test: a rights request");
    let location = officer.submit(&form).await.location().to_string();
    assert!(location.starts_with("/requests/"), "{location}");
    location
}

async fn the_information_officer_decides_rights_requests_from_the_desk(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let scholar = app.applicant().await;
    let id = app.awarded_for(&scholar, &officer).await;
    let information = staff_named(&app, Role::InformationOfficer, "Test Information Officer").await;
    let mut desk = sign_in(&app, &information.email).await;

    // Rectification: a decision without a choice is shown on the page; a correction goes through.
    let location = log_from_the_desk(&mut desk, "rectification", &scholar.email).await;
    let page = desk.get(&location).await;
    let action = format!("{location}/rectification");
    let unchosen = desk
        .submit(
            &page
                .form(&action)
                .set("personal.phone", "+000 7777 8888")
                .set("reason", "Test"),
        )
        .await;
    assert_eq!(unchosen.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        unchosen
            .text()
            .contains("Select whether to grant or refuse the request"),
        "{}",
        excerpt(&unchosen.body)
    );
    let form = page
        .form(&action)
        .set("decision", "rectify")
        .set("personal.phone", "+000 7777 8888")
        .set("reason", "Test: mistyped number");
    assert_eq!(
        form.value("application_id"),
        Some(id.as_str()),
        "the subject's application is offered"
    );
    assert!(desk.submit(&form).await.location().starts_with(&location));
    let page = desk.get(&location).await;
    assert!(
        page.text().contains("Answered on"),
        "{}",
        excerpt(&page.body)
    );
    assert!(!page.has_form(&action), "decided once");
    let (_, view) = app.get(&format!("/api/applications/{id}"), &officer).await;
    assert_eq!(view["personal"]["phone"], "+000 7777 8888");
    let letter = desk.get(&format!("{location}/letter")).await;
    assert!(
        letter
            .text()
            .contains("Your request to correct your personal data")
    );

    // Refused with the subject's statement: it is kept with their application.
    let location = log_from_the_desk(&mut desk, "rectification", &scholar.email).await;
    let page = desk.get(&location).await;
    let action = format!("{location}/rectification");
    let form = page
        .form(&action)
        .set("decision", "refuse")
        .set("reason", "Test: the record matches the document seen")
        .set("statement", "Test: the number held is not mine");
    assert!(desk.submit(&form).await.location().starts_with(&location));
    let (_, view) = app.get(&format!("/api/applications/{id}"), &officer).await;
    assert_eq!(
        view["statements_of_dispute"][0]["statement"], "Test: the number held is not mine",
        "{view}"
    );

    // Objection: the uses ticked stop.
    let location = log_from_the_desk(&mut desk, "objection", &scholar.email).await;
    let page = desk.get(&location).await;
    let mut form = page
        .form(&format!("{location}/objection"))
        .set("decision", "uphold")
        .set("uses", "alumni_book")
        .set("reason", "Test: no compelling grounds");
    form.fields.push(("uses".to_string(), "images".to_string()));
    assert!(desk.submit(&form).await.location().starts_with(&location));
    let (_, view) = app.get(&format!("/api/applications/{id}"), &officer).await;
    assert_eq!(view["preferences"]["alumni_book_opt_out"], true);
    assert_eq!(view["preferences"]["images_opt_out"], true);
    assert_eq!(view["preferences"]["networking_opt_out"], false);

    // Restriction: refused without a reason, then granted; the case is frozen.
    let location = log_from_the_desk(&mut desk, "restriction", &scholar.email).await;
    let page = desk.get(&location).await;
    let action = format!("{location}/restriction");
    let refused = desk
        .submit(&page.form(&action).set("decision", "restrict"))
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let form = page
        .form(&action)
        .set("decision", "restrict")
        .set("reason", "Test: accuracy contested");
    assert!(desk.submit(&form).await.location().starts_with(&location));
    let (_, view) = app.get(&format!("/api/applications/{id}"), &officer).await;
    assert!(!view["restriction"].is_null(), "{view}");

    // Erasure: refused with the reason; the award stays.
    let location = log_from_the_desk(&mut desk, "erasure", &scholar.email).await;
    let page = desk.get(&location).await;
    let form = page
        .form(&format!("{location}/erasure"))
        .set("decision", "refuse")
        .set("reason", "Test: the award is kept");
    assert!(desk.submit(&form).await.location().starts_with(&location));
    let page = desk.get(&location).await;
    assert!(
        page.text().contains("Refused: Test: the award is kept"),
        "{}",
        excerpt(&page.body)
    );

    // An FOI refusal: the notice names the section.
    let location = log_from_the_desk(&mut desk, "foi", "requester@example.test").await;
    let page = desk.get(&location).await;
    let form = page
        .form(&format!("{location}/refusal"))
        .set("ground", "vexatious")
        .set("reason", "Test: the same request for the tenth time");
    assert!(desk.submit(&form).await.location().starts_with(&location));
    let letter = desk.get(&format!("{location}/letter")).await;
    assert!(
        letter
            .text()
            .contains("s.14(1) Freedom of Information Act 2000")
    );
    assert!(
        letter
            .text()
            .contains("the same request for the tenth time")
    );
    assert_eq!(
        app.get(&format!("/api/applications/{id}"), &officer)
            .await
            .0,
        StatusCode::OK
    );
}

async fn a_password_change_signs_every_browser_out_and_a_shut_sign_in_page_says_when_to_come_back(
    app: TestApp,
) {
    let person = app.applicant().await;
    let (mut browser, home) = sign_in_at(&app, &person.email).await;
    assert_eq!(browser.get(&home).await.status, StatusCode::OK);
    let (status, body) = app
        .post(
            "/api/auth/password",
            &person,
            serde_json::json!({"current_password": PASSWORD, "new_password": "another long password"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let answer = browser.get(&home).await;
    assert_eq!(
        answer.location(),
        format!("/login?next={home}"),
        "the browser signed in with the old password is signed out"
    );

    let mut stranger = Browser::new(&app);
    let free = services::throttle::ACCOUNT_FREE_FAILURES;
    for _ in 0..=free {
        let page = stranger.get("/login").await;
        let form = page
            .form("/login")
            .set("email", &person.email)
            .set("password", "not the password at all");
        assert_eq!(
            stranger.submit(&form).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let page = stranger.get("/login").await;
    let form = page
        .form("/login")
        .set("email", &person.email)
        .set("password", "another long password");
    let answer = stranger.submit(&form).await;
    assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(answer.headers["retry-after"], "1");
    assert!(
        answer.body.contains("try again in 1 second"),
        "{}",
        excerpt(&answer.body)
    );
}

async fn a_person_changes_their_password_on_the_account_page_and_signs_in_with_the_new_one(
    app: TestApp,
) {
    let person = app.applicant().await;
    let (mut browser, home) = sign_in_at(&app, &person.email).await;
    let (mut other_device, _) = sign_in_at(&app, &person.email).await;
    let page = browser.get("/account").await;
    assert_eq!(page.status, StatusCode::OK);
    let form = page
        .form("/account/password")
        .set("current_password", "not the password at all")
        .set("new_password", "another long password");
    let answer = browser.submit(&form).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(answer.body.contains("The current password is not right"));
    let form = answer
        .form("/account/password")
        .set("current_password", PASSWORD)
        .set("new_password", "short");
    let answer = browser.submit(&form).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(answer.body.contains("12"), "{}", excerpt(&answer.body));

    let page = browser.get("/account").await;
    let form = page
        .form("/account/password")
        .set("current_password", PASSWORD)
        .set("new_password", "another long password");
    let answer = browser.submit(&form).await;
    assert_eq!(answer.location(), "/login?password_changed=1");
    assert_eq!(
        other_device.get(&home).await.location(),
        format!("/login?next={home}"),
        "the other device is signed out too"
    );
    let page = browser.get("/login?password_changed=1").await;
    assert!(page.body.contains("sign in with the new one"));
    let form = page
        .form("/login")
        .set("email", &person.email)
        .set("password", "another long password");
    assert_eq!(browser.submit(&form).await.location(), home);
    assert_eq!(
        app.login(&person.email, PASSWORD).await.0,
        StatusCode::UNAUTHORIZED
    );
}

/// A session that ran out while a form was open: the post is sent to sign in, and after it the browser comes
/// back to the page the form was on (never to the address the form posts to, which is no page), or home
/// where the form's page is not one of this site's.
async fn a_form_posted_without_a_session_signs_in_and_comes_back_to_the_page_it_was_on(
    app: TestApp,
) {
    let client = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap();
    let host = app.address.trim_start_matches("http://").to_string();
    let post = |referer: Option<String>| {
        let mut request = client
            .post(format!(
                "{}/applications/0196f0c1-0000-7000-8000-000000000000/submit",
                app.address
            ))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("csrf=expired");
        if let Some(referer) = referer {
            request = request.header("referer", referer);
        }
        request.send()
    };
    let location =
        |answer: &reqwest::Response| answer.headers()["location"].to_str().unwrap().to_string();

    let answer = post(Some(format!(
        "http://{host}/applications/0196f0c1-0000-7000-8000-000000000000"
    )))
    .await
    .unwrap();
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&answer),
        "/login?next=/applications/0196f0c1-0000-7000-8000-000000000000"
    );

    // Another site's page, or none: home after signing in.
    for referer in [
        Some("http://elsewhere.example.test/applications/x".to_string()),
        None,
    ] {
        let answer = post(referer).await.unwrap();
        assert_eq!(answer.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&answer), "/login");
    }
}

async fn an_information_officer_composes_an_foi_answer_on_the_request_page(app: TestApp) {
    let information = app.staff(Role::InformationOfficer).await;
    for _ in 0..5 {
        let applicant = app.applicant().await;
        app.submitted(&applicant).await;
    }
    let (status, logged) = app
        .post(
            "/api/information-requests",
            &information,
            serde_json::json!({
                "kind": "foi", "received_on": chrono::Utc::now().date_naive().to_string(),
                "requester": {"name": "Test Journalist", "email": "journalist@example.test"},
                "description": "Test: applications by country, and the fees agreed",
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{logged}");
    let id = logged["id"].as_str().unwrap();
    let action = format!("/requests/{id}/response");
    let mut desk = sign_in(&app, &information.email).await;
    let page = desk.get(&format!("/requests/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    for label in [
        "for=\"request_held\"",
        "for=\"request_answer\"",
        "for=\"request_statistics_group_by\"",
        "for=\"request_statistics_cycles\"",
        "for=\"request_refusals_0_section\"",
        "for=\"request_refusals_0_reason\"",
    ] {
        assert!(page.body.contains(label), "{label} on the page");
    }
    let form = page.form(&action);
    assert_eq!(form.value("compose"), Some("yes"), "{form:?}");

    // Held, but nothing released: the page again, its summary linking to the answer.
    let refused = desk.submit(&form.clone().set("held", "held")).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.error_links(), vec!["#request_answer".to_string()]);
    assert_eq!(
        refused.form(&action).value("held"),
        Some("held"),
        "what was entered is kept"
    );

    // No choice of held: the summary links to the first choice.
    let refused = desk
        .submit(&form.clone().set("answer", "Test: the numbers are below."))
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.error_links(), vec!["#request_held".to_string()]);
    assert_eq!(
        refused.form(&action).value("answer"),
        Some("Test: the numbers are below.")
    );

    let form = refused.form(&action);
    let done = desk
        .submit(
            &form
                .set("held", "held")
                .set("answer", "Test: the numbers are below.")
                .set("group_by", "country")
                .set(
                    "refusal_part_0",
                    "Test: the fees agreed with each university",
                )
                .set("refusal_section_0", "commercial_interests")
                .set("refusal_reason_0", "Test: negotiations would be prejudiced"),
        )
        .await;
    assert!(
        done.location()
            .starts_with(&format!("/requests/{id}?done=")),
        "{}",
        done.location()
    );
    let (status, response) = app
        .get(
            &format!("/api/information-requests/{id}/response?format=json"),
            &information,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(response["held"], "held", "{response}");
    assert_eq!(response["answer"], "Test: the numbers are below.");
    assert_eq!(
        response["statistics"],
        serde_json::json!([{"country": "Kenya", "count": 5}])
    );
    assert_eq!(
        response["refusals"][0]["section"],
        "s.43(2) Freedom of Information Act 2000"
    );
    let letter = desk.get(&format!("/requests/{id}/letter")).await;
    assert!(
        letter
            .body
            .contains("We hold the information you asked for.")
    );
    assert!(
        letter
            .body
            .contains("Test: the fees agreed with each university")
    );
}

on_both_stores!(the_case_page_lists_each_correction_of_the_award_with_its_reason);

async fn the_case_page_lists_each_correction_of_the_award_with_its_reason(app: TestApp) {
    let officer = app.staff(Role::ProgrammeOfficer).await;
    let owner = app.applicant().await;
    let id = app.awarded_for(&owner, &officer).await;
    app.expect_ok(
        app.post(
            &format!("/api/applications/{id}/award/correction"),
            &officer,
            serde_json::json!({"institution": "Test Corrected Institute", "reason": "Test: the institution was recorded wrongly"}),
        )
        .await,
    );
    let mut desk = sign_in(&app, &officer.email).await;
    let page = desk.get(&format!("/cases/{id}?tab=award")).await;
    assert_eq!(page.status, StatusCode::OK);
    let text = page.text();
    assert!(text.contains("Corrections to the award"), "{text}");
    assert!(
        text.contains("Test: the institution was recorded wrongly"),
        "the reason is listed: {text}"
    );
    // The Help Desk, who does not see the award, does not see its corrections.
    let helpdesk = app.staff(Role::Helpdesk).await;
    let mut help = sign_in(&app, &helpdesk.email).await;
    let text = help.get(&format!("/cases/{id}")).await.text();
    assert!(!text.contains("Corrections to the award"), "{text}");
}

async fn an_administrator_changes_a_staff_role_disables_an_account_and_cannot_change_their_own(
    app: TestApp,
) {
    let admin = app.staff(Role::Admin).await;
    let helpdesk = app.staff(Role::Helpdesk).await;
    let mut desk = sign_in(&app, &helpdesk.email).await;
    assert_eq!(desk.get("/cases").await.status, StatusCode::OK);
    let mut office = sign_in(&app, &admin.email).await;
    let page = office.get("/users").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains(&helpdesk.email));

    // Another role: the account is signed out everywhere, and has the new role from its next sign-in.
    let changed = office
        .submit(
            &page
                .form(&format!("/users/{}", helpdesk.id))
                .set("role", "programme_officer")
                .set("action", "role"),
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER);
    assert_eq!(
        desk.get("/cases").await.status,
        StatusCode::SEE_OTHER,
        "signed out"
    );
    let (status, _) = app.get("/api/applications", &helpdesk).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the old token opens nothing"
    );
    let (status, body) = app.login(&helpdesk.email, PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let page = office.get("/users?done=role").await;
    assert!(page.text().contains("The role has been changed"));

    // Their own account: refused, with the reason on the page.
    let own = office
        .submit(
            &page
                .form("/users")
                .posted_to(&format!("/users/{}", admin.id))
                .set("role", "helpdesk")
                .set("action", "role"),
        )
        .await;
    assert_eq!(own.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(own.text().contains("You cannot change your own role"));
    let (status, _) = app.login(&admin.email, PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "still an administrator");

    // Disabled: it signs in no more, and is listed as disabled.
    let page = office.get("/users").await;
    let disabled = office
        .submit(
            &page
                .form(&format!("/users/{}", helpdesk.id))
                .set("action", "disable"),
        )
        .await;
    assert_eq!(disabled.status, StatusCode::SEE_OTHER);
    let (status, _) = app.login(&helpdesk.email, PASSWORD).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let page = office.get("/users").await;
    assert!(page.text().contains("Disabled"), "{}", excerpt(&page.body));
    assert!(
        !page
            .body
            .contains(&format!("action=\"/users/{}\"", helpdesk.id))
    );

    // A new member of staff: refused without a role, the typed name kept; added with one.
    let refused = office
        .submit(
            &page
                .form("/users")
                .set("full_name", "Test New Staff")
                .set("email", "test-new-staff@example.test"),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().contains("Select the account's role"));
    assert!(refused.body.contains("value=\"Test New Staff\""));
    let added = office
        .submit(&refused.form("/users").set("role", "committee_member"))
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    let taken = office
        .submit(&refused.form("/users").set("role", "committee_member"))
        .await;
    assert_eq!(taken.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        taken
            .text()
            .contains("An account already uses this email address")
    );

    // The new member of staff has no password until they set one by a link the administrator gives them
    // (no mail server here: the link is shown once, and no cache keeps the page).
    let new_staff = accounts::find_by_email(app.db(), "test-new-staff@example.test")
        .await
        .unwrap()
        .expect("the account was added");
    let page = office.get("/users").await;
    let issued = office
        .submit(
            &page
                .form(&format!("/users/{}", new_staff.id))
                .set("action", "reset"),
        )
        .await;
    assert_eq!(issued.status, StatusCode::OK);
    assert_eq!(issued.header("cache-control"), "no-store");
    let shown = &issued.body[issued
        .body
        .find("id=\"reset-link\"")
        .expect("the link shown")..];
    let from = shown.find("/password-reset/").expect("a reset path");
    let path: String = shown[from..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '<')
        .collect();
    let mut newcomer = Browser::new(&app);
    let form = newcomer.get(&path).await.form(&path);
    let set = newcomer
        .submit(&form.set("new_password", "a new staff passphrase"))
        .await;
    assert_eq!(set.status, StatusCode::SEE_OTHER);
    let (status, body) = app
        .login("test-new-staff@example.test", "a new staff passphrase")
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["role"], "committee_member");

    // A disabled account gets no link.
    let page = office.get("/users").await;
    let refused = office
        .submit(
            &page
                .form("/users")
                .posted_to(&format!("/users/{}", helpdesk.id))
                .set("action", "reset"),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .text()
            .contains("A disabled account gets no password link")
    );
}

async fn the_requests_desk_names_the_requester_and_the_kind_in_words_and_explains_its_dates(
    app: TestApp,
) {
    let information = app.staff(Role::InformationOfficer).await;
    let (status, logged) = app
        .post(
            "/api/information-requests",
            &information,
            serde_json::json!({
                "kind": "sar", "received_on": "2025-12-19",
                "requester": {"name": "Test Desk Requester", "email": "test-desk@example.test"},
                "subject_email": "test-desk@example.test", "description": "Test: a request",
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{logged}");
    let id = logged["id"].as_str().unwrap();
    let mut desk = sign_in(&app, &information.email).await;
    let page = desk.get("/requests").await;
    assert_eq!(page.status, StatusCode::OK);
    let text = page.text();
    assert!(
        text.contains("Test Desk Requester"),
        "the requester is named"
    );
    assert!(text.contains("Subject access request"), "the kind in words");
    assert!(!text.contains(">sar<"), "no code");
    assert!(
        text.contains(&services::responses::reference(id)),
        "the reference"
    );
    assert!(text.contains("Answer by"));
    assert!(
        text.contains("one calendar month from receipt"),
        "the dates explained"
    );
    // Received just before the Christmas holidays: the law's month may come before our 20 working days.
    let due = logged["due_on"].as_str().unwrap();
    let statutory = logged["statutory_due_on"].as_str().unwrap();
    if statutory != due {
        assert!(
            text.contains("Statutory date:"),
            "the law's date shown beneath"
        );
    }
}
