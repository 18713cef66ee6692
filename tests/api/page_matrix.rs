//! The authorization matrix of the web pages, the sibling of `matrix.rs` for the API: every page route,
//! called by a visitor with no session, by the applicant who owns the case, by another applicant, and by
//! each staff role (the committee member assigned to the case, and one who is not), each signed in through
//! the sign-in page as a browser is, with its session cookie and the CSRF token its pages carry. Each
//! answer is checked for its exact status, for a redirect its `Location`, for a refusal the page that says
//! why (and that it shows nothing of the case). Every form is also posted by each caller with no CSRF
//! token, a forged one and one borrowed from another session, and must be refused.
//!
//! How the list of routes was compiled: [`PAGE_ROUTES`] is every `.route(…)` registered by the routers
//! that `services::pages::router()` merges (services/src/pages/{public, applicant, staff, committee,
//! requests, sharing, retention, templates}.rs), with each method it takes; [`CONTRACT_PAGES`] is the
//! table of the contract's Pages section. The test reads the router sources again and fails if a route is
//! registered there and not listed here (or the other way round), if a contract page is not in the list,
//! if a listed route has no row in the table, or if a row names no listed route.
//!
//! Each row gets a case (and an information request) of its own in the state its form needs. The
//! refusals come first (they change nothing), the calls that are allowed last, in the order given.

use std::collections::BTreeSet;

use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use reqwest::redirect::Policy;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, User, award_terms, complete_form, scores};
use crate::on_both_stores;
use domain::Role;

on_both_stores!(every_page_answers_everyone_as_their_role_allows);

/// Every page route the router registers: method and path as written in `.route(…)`.
pub(crate) const PAGE_ROUTES: [(&str, &str); 71] = [
    // admin.rs
    ("GET", "/admin"),
    ("GET", "/cycles"),
    ("POST", "/cycles"),
    ("GET", "/users"),
    ("POST", "/users"),
    ("POST", "/users/{id}"),
    // public.rs
    ("GET", "/"),
    ("GET", "/privacy"),
    ("GET", "/contact"),
    ("GET", "/accessibility"),
    ("GET", "/register"),
    ("POST", "/register"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/logout"),
    ("GET", "/account"),
    ("POST", "/account/password"),
    // password_reset.rs
    ("GET", "/password-reset"),
    ("POST", "/password-reset"),
    ("GET", "/password-reset/{token}"),
    ("POST", "/password-reset/{token}"),
    ("GET", "/helpdesk/password-reset"),
    ("POST", "/helpdesk/password-reset"),
    // applicant.rs
    ("GET", "/applications"),
    ("POST", "/applications"),
    ("GET", "/applications/{id}"),
    ("POST", "/applications/{id}"),
    ("GET", "/applications/{id}/check"),
    ("POST", "/applications/{id}/submit"),
    ("GET", "/applications/{id}/submitted"),
    ("POST", "/applications/{id}/withdraw"),
    ("POST", "/applications/{id}/offer"),
    ("GET", "/applications/{id}/letters/{number}"),
    // staff.rs
    ("GET", "/cases"),
    ("GET", "/cases/{id}"),
    ("POST", "/cases/{id}/{action}"),
    ("GET", "/cases/{id}/letters/{number}"),
    // award.rs
    ("GET", "/cases/{id}/administration"),
    ("POST", "/cases/{id}/administration/{action}"),
    // committee.rs
    ("GET", "/committee"),
    ("GET", "/committee/{id}"),
    ("POST", "/committee/{id}/scores"),
    ("POST", "/committee/{id}/conflicts"),
    // requests.rs
    ("GET", "/requests"),
    ("POST", "/requests"),
    ("POST", "/requests/holidays"),
    ("GET", "/requests/{id}"),
    ("POST", "/requests/{id}/clock"),
    ("POST", "/requests/{id}/extension"),
    ("POST", "/requests/{id}/response"),
    ("POST", "/requests/{id}/erasure"),
    ("POST", "/requests/{id}/rectification"),
    ("POST", "/requests/{id}/restriction"),
    ("POST", "/requests/{id}/objection"),
    ("POST", "/requests/{id}/refusal"),
    ("GET", "/requests/{id}/response.json"),
    ("GET", "/requests/{id}/letter"),
    ("POST", "/requests/{id}/response/withheld"),
    ("POST", "/requests/{id}/response/note"),
    ("POST", "/requests/{id}/response/issue"),
    ("GET", "/requests/{id}/draft-letter"),
    // retention.rs
    ("GET", "/retention"),
    // selection.rs
    ("GET", "/selection"),
    ("POST", "/selection/assignments"),
    ("POST", "/selection/decisions"),
    ("POST", "/selection/conclusion"),
    // sharing.rs
    ("GET", "/recipients"),
    ("POST", "/recipients"),
    ("GET", "/alumni/open-book"),
    ("GET", "/alumni/open-book.csv"),
    // templates.rs
    ("GET", "/assets/{file}"),
];

/// The pages the contract's Pages section names.
const CONTRACT_PAGES: [(&str, &str); 20] = [
    ("GET", "/"),
    ("GET", "/register"),
    ("POST", "/register"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("GET", "/applications/{id}"),
    ("POST", "/applications/{id}"),
    ("POST", "/applications/{id}/submit"),
    ("POST", "/logout"),
    ("GET", "/cases"),
    ("GET", "/cases/{id}"),
    ("GET", "/committee"),
    ("GET", "/requests"),
    ("GET", "/requests/{id}"),
    ("GET", "/privacy"),
    ("GET", "/accessibility"),
    ("GET", "/contact"),
    ("GET", "/password-reset"),
    ("POST", "/password-reset"),
    ("GET", "/applications/{id}/submitted"),
];

/// The name on every complete application of the fixtures, and the requester on every request: a refusal
/// must show neither.
const CASE_MARKER: &str = "Test Applicant Marker";
const REQUEST_MARKER: &str = "Test Requester";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Caller {
    Anonymous,
    Owner,
    OtherApplicant,
    Helpdesk,
    Officer,
    /// The committee member assigned to the case.
    Member,
    /// A committee member not assigned to it.
    OtherMember,
    Information,
    Admin,
}

const CALLERS: [Caller; 9] = [
    Caller::Anonymous,
    Caller::Owner,
    Caller::OtherApplicant,
    Caller::Helpdesk,
    Caller::Officer,
    Caller::Member,
    Caller::OtherMember,
    Caller::Information,
    Caller::Admin,
];

const SIGNED_IN: [Caller; 8] = [
    Caller::Owner,
    Caller::OtherApplicant,
    Caller::Helpdesk,
    Caller::Officer,
    Caller::Member,
    Caller::OtherMember,
    Caller::Information,
    Caller::Admin,
];

/// The staff who work the case desk (an administrator reads no application).
const CASE_DESK: [Caller; 3] = [Caller::Helpdesk, Caller::Officer, Caller::Information];

impl Caller {
    /// Where the caller starts after signing in. A visitor posting the sign-in form signs in as the owner.
    fn home(self) -> &'static str {
        match self {
            Caller::Anonymous | Caller::Owner | Caller::OtherApplicant => "/applications",
            Caller::Helpdesk | Caller::Officer => "/cases",
            Caller::Admin => "/admin",
            Caller::Member | Caller::OtherMember => "/committee",
            Caller::Information => "/requests",
        }
    }
}

/// The state of the case a row is called on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Case {
    None,
    Draft,
    CompleteDraft,
    Submitted,
    Eligible,
    UnderReview,
    Scored,
    Selected,
    Awarded,
}

/// The information request a row is called on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Request {
    None,
    Of(&'static str),
    Answered,
    /// A subject access request with a draft response.
    Drafted,
}

/// What a caller must be answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Want {
    /// An HTML page with this status.
    Page(u16),
    /// A 200 download of this content type.
    File(&'static str),
    /// A 303 to this address (`{id}` and `{request}` filled in; a trailing `*` stands for any rest).
    To(&'static str),
    /// A 303 to the caller's own start page.
    Home,
    /// A 303 to the sign-in page: after a GET it brings the visitor back to the page asked for; after a
    /// form (whose address is no page) it goes on to the person's home page.
    SignIn,
    /// 403, the page saying the account gives no access.
    Forbidden,
    /// 404, the page saying there is nothing here.
    NotFound,
    /// 403, the page saying the form expired: a CSRF token that is not the session's.
    Expired,
}

impl Want {
    fn is_refusal(self) -> bool {
        matches!(
            self,
            Want::SignIn | Want::Forbidden | Want::NotFound | Want::Expired
        )
    }
}

struct Row {
    method: Method,
    /// `{id}` is the case, `{request}` the information request, `{missing}` an id nothing has.
    path: &'static str,
    /// The form posted; values may hold `{unique}`, `{unique_day}` (or its `.day`, `.month` and `.year`), `{uuid}`, `{email}` (the caller's),
    /// `{member_id}`, `{recipient}` and `{cycle}` (the first one open).
    form: Vec<(String, String)>,
    case: Case,
    request: Request,
    /// Whom the page is for, and what they get; called last, in this order.
    allowed: Vec<(Caller, Want)>,
    /// Every caller gets this (a page for anyone).
    public: Option<Want>,
    /// A form shown before sign-in: its CSRF token must match the `etp_csrf` cookie, not a session.
    anonymous_form: bool,
    /// The call ends the session it is made with: each caller signs in anew for it.
    fresh_session: bool,
}

fn get(path: &'static str, case: Case) -> Row {
    row(Method::GET, path, case)
}

fn post(path: &'static str, case: Case) -> Row {
    row(Method::POST, path, case)
}

fn row(method: Method, path: &'static str, case: Case) -> Row {
    Row {
        method,
        path,
        form: Vec::new(),
        case,
        request: Request::None,
        allowed: Vec::new(),
        public: None,
        anonymous_form: false,
        fresh_session: false,
    }
}

impl Row {
    fn form(mut self, fields: &[(&str, &str)]) -> Self {
        self.form
            .extend(fields.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        self
    }
    fn fields(mut self, fields: Vec<(String, String)>) -> Self {
        self.form.extend(fields);
        self
    }
    fn allow(mut self, callers: &[Caller], want: Want) -> Self {
        self.allowed
            .extend(callers.iter().map(|caller| (*caller, want)));
        self
    }
    fn request(mut self, request: Request) -> Self {
        self.request = request;
        self
    }
    fn public(mut self, want: Want) -> Self {
        self.public = Some(want);
        self
    }
    fn before_sign_in(mut self) -> Self {
        self.anonymous_form = true;
        self
    }
    fn ends_the_session(mut self) -> Self {
        self.fresh_session = true;
        self
    }

    /// What the caller must get: the row's answer for whom the page is for; otherwise a visitor is sent to
    /// sign in, another applicant (or an unassigned member) on a case the owner (or the assigned member)
    /// may use is told there is no such page, and anyone else is refused 403 before the case is looked at.
    fn expected(&self, caller: Caller) -> Want {
        if let Some(want) = self.public {
            return want;
        }
        if let Some((_, want)) = self.allowed.iter().find(|(c, _)| *c == caller) {
            return *want;
        }
        let on_a_case = self.path.contains("{id}");
        let allows = |c: Caller| self.allowed.iter().any(|(a, _)| *a == c);
        match caller {
            Caller::Anonymous => Want::SignIn,
            Caller::OtherApplicant if on_a_case && allows(Caller::Owner) => Want::NotFound,
            Caller::OtherMember if on_a_case && allows(Caller::Member) => Want::NotFound,
            _ => Want::Forbidden,
        }
    }
}

/// A date (`YYYY-MM-DD`) as the three fields of the date input `name` post it.
fn date_parts(name: &str, date: &str) -> Vec<(String, String)> {
    use chrono::Datelike;
    let date = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").unwrap();
    [
        ("day", date.day().to_string()),
        ("month", date.month().to_string()),
        ("year", date.year().to_string()),
    ]
    .into_iter()
    .map(|(part, value)| (format!("{name}-{part}"), value))
    .collect()
}

fn rows() -> Vec<Row> {
    use Caller::*;
    use Want::*;
    let today = chrono::Utc::now().date_naive().to_string();
    let today = today.as_str();
    // Today in the three fields of a date input.
    let (day, month, year) = {
        use chrono::Datelike;
        let today = chrono::Utc::now().date_naive();
        (
            today.day().to_string(),
            today.month().to_string(),
            today.year().to_string(),
        )
    };
    let (day, month, year) = (day.as_str(), month.as_str(), year.as_str());
    let award = award_terms();
    let mut award: Vec<(String, String)> = ["institution", "course", "level"]
        .iter()
        .map(|key| (key.to_string(), award[key].as_str().unwrap().to_string()))
        .collect();
    award.extend(date_parts(
        "start_date",
        award_terms()["start_date"].as_str().unwrap(),
    ));
    award.push(("confirmed".to_string(), "yes".to_string()));
    // The help desk's form carries every personal field as it stands; only the phone number changes.
    let personal = complete_form()["personal"].clone();
    let mut amendment: Vec<(String, String)> = personal
        .as_object()
        .unwrap()
        .iter()
        .map(|(key, value)| {
            let value = if key == "phone" {
                "+000 9999 0000"
            } else {
                value.as_str().unwrap()
            };
            (format!("personal.{key}"), value.to_string())
        })
        .collect();
    amendment.push(("reason".into(), "Test: asked by phone".into()));
    amendment.push(("requested_by".into(), "The applicant, by phone".into()));
    let marks: Vec<(String, String)> = ["leadership", "networking", "study_plan", "career_plan"]
        .iter()
        .map(|key| (key.to_string(), "7".to_string()))
        .chain([("comment".to_string(), "Test: a clear plan".to_string())])
        .collect();
    vec![
        // Anyone.
        get("/", Case::None).public(Page(200)),
        get("/privacy", Case::None).public(Page(200)),
        get("/contact", Case::None).public(Page(200)),
        get("/accessibility", Case::None).public(Page(200)),
        get("/alumni/open-book", Case::Awarded).public(Page(200)),
        get("/alumni/open-book.csv", Case::Awarded).public(File("text/csv")),
        get("/assets/style.css", Case::None).public(File("text/css")),
        get("/assets/etp.js", Case::None).public(File("text/javascript")),
        get("/register", Case::None)
            .allow(&[Anonymous], Page(200))
            .allow(&SIGNED_IN, Home),
        post("/register", Case::None)
            .before_sign_in()
            .form(&[
                ("email", "{unique}@example.test"),
                ("password", PASSWORD),
                ("full_name", "Test Person"),
            ])
            .public(To("/applications")),
        get("/login", Case::None)
            .allow(&[Anonymous], Page(200))
            .allow(&SIGNED_IN, Home),
        post("/login", Case::None)
            .before_sign_in()
            .form(&[("email", "{email}"), ("password", PASSWORD)])
            .public(Home),
        // A forgotten password: anyone may ask for a link, and is answered the same whatever the email.
        get("/password-reset", Case::None)
            .allow(&[Anonymous], Page(200))
            .allow(&SIGNED_IN, To("/account")),
        post("/password-reset", Case::None)
            .before_sign_in()
            .form(&[("email", "{email}")])
            .public(Page(200)),
        // A link that was never issued: the page saying it has expired.
        get("/password-reset/{missing}", Case::None).public(Page(410)),
        post("/password-reset/{missing}", Case::None)
            .before_sign_in()
            .form(&[("new_password", "a long new test password")])
            .public(Page(410)),
        get("/helpdesk/password-reset", Case::None).allow(&[Helpdesk], Page(200)),
        // The Help Desk's own address is no applicant's: heard, and told so.
        post("/helpdesk/password-reset", Case::None)
            .form(&[("email", "{email}")])
            .allow(&[Helpdesk], Page(422)),
        // Every signed-in person.
        get("/account", Case::None).allow(&SIGNED_IN, Page(200)),
        // A wrong current password: every signed-in person is heard and refused, nobody's password changes.
        post("/account/password", Case::None)
            .form(&[
                ("current_password", "not the password at all"),
                ("new_password", "another long password"),
            ])
            .allow(&SIGNED_IN, Page(422)),
        post("/logout", Case::None)
            .ends_the_session()
            .allow(&SIGNED_IN, To("/login?signed_out=1")),
        // Applicants.
        get("/applications", Case::None).allow(&[Owner, OtherApplicant], Page(200)),
        post("/applications", Case::None)
            .form(&[("cycle", "{cycle}")])
            .allow(&[Owner, OtherApplicant], To("/applications/*")),
        get("/applications/{id}", Case::Draft).allow(&[Owner], Page(200)),
        get("/applications/{id}?section=personal", Case::Draft).allow(&[Owner], Page(200)),
        get("/applications/{id}", Case::UnderReview).allow(&[Owner], Page(200)),
        get("/applications/{missing}", Case::None)
            .allow(&[Owner, OtherApplicant], NotFound),
        post("/applications/{id}", Case::Draft)
            .form(&[
                ("section", "essays"),
                ("essays.leadership", "Test: an essay."),
            ])
            .allow(&[Owner], To("/applications/{id}?section=referees&saved=1")),
        get("/applications/{id}/check", Case::CompleteDraft).allow(&[Owner], Page(200)),
        get("/applications/{id}/check", Case::Submitted)
            .allow(&[Owner], To("/applications/{id}")),
        post("/applications/{id}/submit", Case::CompleteDraft)
            .allow(&[Owner], To("/applications/{id}/submitted")),
        get("/applications/{id}/submitted", Case::Submitted).allow(&[Owner], Page(200)),
        get("/applications/{id}/submitted", Case::Draft)
            .allow(&[Owner], To("/applications/{id}")),
        post("/applications/{id}/withdraw", Case::Submitted)
            .form(&[("confirm", "yes")])
            .allow(&[Owner], To("/applications/{id}")),
        // A reply to an offer that was never made: the page says there is none open.
        post("/applications/{id}/offer", Case::Selected)
            .form(&[("answer", "accept")])
            .allow(&[Owner], Page(409)),
        // The letter the decision was told by, and one there is not.
        get("/applications/{id}/letters/1", Case::Selected).allow(&[Owner], Page(200)),
        get("/applications/{id}/letters/2", Case::Selected).allow(&[Owner], NotFound),
        // The case desk.
        get("/cases", Case::Submitted).allow(&CASE_DESK, Page(200)),
        get("/cases?status=submitted&q=Marker", Case::Submitted).allow(&CASE_DESK, Page(200)),
        get("/cases/{id}", Case::UnderReview).allow(&CASE_DESK, Page(200)),
        get("/cases/{missing}", Case::None).allow(&CASE_DESK, NotFound),
        // Letters are not the Help Desk's to read.
        get("/cases/{id}/letters/1", Case::Selected).allow(&[Officer, Information], Page(200)),
        post("/cases/{id}/eligibility", Case::Submitted)
            .form(&[("eligible", "yes"), ("reason", "meets the rules")])
            .allow(&[Officer], To("/cases/{id}?done=eligibility")),
        post("/cases/{id}/assignments", Case::Eligible)
            .form(&[("committee_member_id", "{member_id}")])
            .allow(&[Officer], To("/cases/{id}?done=assignments")),
        // A decision sends a letter: it is confirmed on a page of its own, then recorded.
        post("/cases/{id}/decision", Case::Scored)
            .form(&[("outcome", "selected")])
            .allow(&[Officer], Page(200)),
        post("/cases/{id}/decision", Case::Scored)
            .form(&[("outcome", "selected"), ("confirmed", "yes")])
            .allow(&[Officer], To("/cases/{id}?done=decision")),
        post("/cases/{id}/award", Case::Selected)
            .fields(award)
            .allow(&[Officer], To("/cases/{id}?done=award")),
        // The award's own page, the programme officer's alone.
        get("/cases/{id}/administration", Case::Awarded).allow(&[Officer], Page(200)),
        post("/cases/{id}/administration/supervisor", Case::Awarded)
            .form(&[
                ("name", "Test Supervisor"),
                ("email", "supervisor@example.test"),
                ("institution", "Test Institute"),
                ("department", "Test Department"),
            ])
            .allow(&[Officer], To("/cases/{id}/administration?done=supervisor")),
        post("/cases/{id}/administration/unknown", Case::Awarded).allow(&[Officer], NotFound),
        post("/cases/{id}/complete", Case::Awarded)
            .form(&[("outcome", "Merit"), ("confirmed", "yes")])
            .fields(date_parts("completed_on", today))
            .allow(&[Officer], To("/cases/{id}?done=complete")),
        post("/cases/{id}/preferences", Case::Submitted)
            .form(&[
                ("networking_opt_out", "on"),
                ("reason", "Test: asked by email"),
            ])
            .allow(&[Officer], To("/cases/{id}?done=preferences")),
        post("/cases/{id}/immigration-records", Case::Awarded)
            .form(&[("kind", "visa"), ("reference", "TEST-VISA-0001")])
            .fields(date_parts("issued_on", today))
            .allow(&[Officer], To("/cases/{id}?done=immigration-records")),
        post("/cases/{id}/disclosures", Case::Submitted)
            .form(&[
                ("disclosure_id", "{uuid}"),
                ("recipient_id", "{recipient}"),
                ("purpose", "Test: visa support"),
                ("fields", "personal.full_name"),
                ("confirm", "yes"),
            ])
            .allow(&[Officer], To("/cases/{id}?done=disclosures")),
        // No correction was ever sent to the recipient: the officer is heard and told so on the case page.
        post("/cases/{id}/rectification-notices", Case::Submitted)
            .form(&[("recipient_id", "{recipient}")])
            .allow(&[Officer], Page(409)),
        post("/cases/{id}/amendments", Case::Submitted)
            .fields(amendment)
            .allow(&[Helpdesk], To("/cases/{id}?done=amendments")),
        post("/cases/{id}/no-such-action", Case::Submitted).allow(&CASE_DESK, NotFound),
        post("/cases/{missing}/eligibility", Case::None)
            .form(&[("eligible", "yes"), ("reason", "meets the rules")])
            .allow(&CASE_DESK, NotFound),
        // The committee.
        get("/committee", Case::UnderReview).allow(&[Member, OtherMember], Page(200)),
        get("/committee/{id}", Case::UnderReview).allow(&[Member], Page(200)),
        get("/committee/{missing}", Case::None).allow(&[Member, OtherMember], NotFound),
        post("/committee/{id}/scores", Case::UnderReview)
            .fields(marks)
            .allow(&[Member], To("/committee/{id}?done=scores")),
        post("/committee/{id}/conflicts", Case::UnderReview)
            .form(&[("reason", "Test: a former colleague")])
            .allow(&[Member], To("/committee?conflict=1")),
        // The information officer's desk.
        get("/requests", Case::None)
            .request(Request::Of("foi"))
            .allow(&[Information], Page(200)),
        post("/requests", Case::None)
            .form(&[
                ("kind", "foi"),
                ("received_on-day", day),
                ("received_on-month", month),
                ("received_on-year", year),
                ("requester_name", REQUEST_MARKER),
                ("requester_email", "requester@example.test"),
                ("description", "Test: statistics"),
            ])
            .allow(&[Information], To("/requests/*")),
        post("/requests/holidays", Case::None)
            .form(&[
                ("date-day", "{unique_day.day}"),
                ("date-month", "{unique_day.month}"),
                ("date-year", "{unique_day.year}"),
                ("region", "scotland"),
                ("name", "Test: a proclaimed day"),
            ])
            .allow(
                &[Information],
                To("/requests?done=the%20bank%20holiday%20was%20added"),
            ),
        get("/requests/{request}", Case::None)
            .request(Request::Of("sar"))
            .allow(&[Information], Page(200)),
        get("/requests/{missing}", Case::None).allow(&[Information], NotFound),
        post("/requests/{request}/clock", Case::None)
            .request(Request::Of("foi"))
            .form(&[
                ("action", "stop"),
                ("on-day", day),
                ("on-month", month),
                ("on-year", year),
                ("reason", "fee"),
                ("note", "Test: fee notice sent"),
            ])
            .allow(
                &[Information],
                To("/requests/{request}?done=the%20clock%20was%20changed"),
            ),
        post("/requests/{request}/extension", Case::None)
            .request(Request::Of("sar"))
            .form(&[("months", "2"), ("reason", "Test: many records")])
            .allow(
                &[Information],
                To("/requests/{request}?done=the%20time%20limit%20was%20extended"),
            ),
        post("/requests/{request}/response", Case::None)
            .request(Request::Of("foi"))
            .allow(
                &[Information],
                To("/requests/{request}?done=the%20response%20was%20produced"),
            ),
        post("/requests/{request}/erasure", Case::Submitted)
            .request(Request::Of("erasure"))
            .form(&[("decision", "refuse"), ("reason", "Test: the award is kept")])
            .allow(
                &[Information],
                To("/requests/{request}?done=the%20erasure%20request%20was%20decided%20and%20answered"),
            ),
        post("/requests/{request}/rectification", Case::Submitted)
            .request(Request::Of("rectification"))
            .form(&[("decision", "refuse"), ("reason", "Test: the data is accurate")])
            .allow(
                &[Information],
                To("/requests/{request}?done=the%20rectification%20request%20was%20decided%20and%20answered"),
            ),
        post("/requests/{request}/restriction", Case::Submitted)
            .request(Request::Of("restriction"))
            .form(&[("decision", "refuse"), ("reason", "Test: no grounds")])
            .allow(
                &[Information],
                To("/requests/{request}?done=the%20restriction%20request%20was%20decided%20and%20answered"),
            ),
        post("/requests/{request}/objection", Case::Submitted)
            .request(Request::Of("objection"))
            .form(&[
                ("decision", "refuse"),
                ("uses", "networking"),
                ("reason", "Test: compelling grounds"),
            ])
            .allow(
                &[Information],
                To("/requests/{request}?done=the%20objection%20was%20decided%20and%20answered"),
            ),
        post("/requests/{request}/refusal", Case::None)
            .request(Request::Of("foi"))
            .form(&[
                ("ground", "vexatious"),
                ("reason", "Test: the same request again"),
            ])
            .allow(
                &[Information],
                To("/requests/{request}?done=the%20refusal%20notice%20was%20issued"),
            ),
        post("/requests/{missing}/clock", Case::None)
            .form(&[
                ("action", "stop"),
                ("on-day", day),
                ("on-month", month),
                ("on-year", year),
                ("reason", "fee"),
            ])
            .allow(&[Information], NotFound),
        get("/requests/{request}/response.json", Case::None)
            .request(Request::Answered)
            .allow(&[Information], File("application/json")),
        get("/requests/{request}/letter", Case::None)
            .request(Request::Answered)
            .allow(&[Information], Page(200)),
        post("/requests/{request}/response/withheld", Case::None)
            .request(Request::Drafted)
            .form(&[("item", "/records/account"), ("ground", "third_party"), ("reason", "Test: a reason")])
            .allow(
                &[Information],
                To("/requests/{request}?done=the%20item%20was%20withheld%20from%20the%20draft"),
            ),
        post("/requests/{request}/response/note", Case::None)
            .request(Request::Drafted)
            .form(&[("note", "Test: a note"), ("held_elsewhere", "")])
            .allow(
                &[Information],
                To("/requests/{request}?done=the%20note%20was%20added%20to%20the%20draft"),
            ),
        post("/requests/{request}/response/issue", Case::None)
            .request(Request::Drafted)
            .allow(
                &[Information],
                To("/requests/{request}?done=the%20response%20was%20issued"),
            ),
        get("/requests/{request}/draft-letter", Case::None)
            .request(Request::Drafted)
            .allow(&[Information], Page(200)),
        // Retention and sharing.
        get("/retention", Case::Submitted).allow(&[Information], Page(200)),
        get("/selection", Case::UnderReview).allow(&[Officer], Page(200)),
        post("/selection/assignments", Case::Eligible)
            .form(&[("cycle", "{cycle}"), ("members_per_application", "2"), ("action", "preview")])
            .allow(&[Officer], Page(200)),
        post("/selection/decisions", Case::Scored)
            .form(&[("cycle", "{cycle}"), ("selected", "1"), ("action", "preview")])
            .allow(&[Officer], Page(200)),
        post("/selection/conclusion", Case::UnderReview)
            .form(&[
                ("cycle", "{cycle}"),
                ("on-day", day),
                ("on-month", month),
                ("on-year", year),
                ("action", "preview"),
            ])
            .allow(&[Officer], Page(200)),
        // The administrator's pages.
        get("/admin", Case::None).allow(&[Admin], Page(200)),
        get("/cycles", Case::None).allow(&[Admin], Page(200)),
        post("/cycles", Case::None)
            .form(&[
                ("cycle", "2031-32"),
                ("opens_on-day", "1"),
                ("opens_on-month", "10"),
                ("opens_on-year", "2031"),
                ("closes_on-day", "31"),
                ("closes_on-month", "1"),
                ("closes_on-year", "2032"),
            ])
            .allow(&[Admin], To("/cycles?done=2031-32")),
        get("/users", Case::None).allow(&[Admin], Page(200)),
        post("/users", Case::None)
            .form(&[
                ("full_name", "Test Staff Member"),
                ("email", "{unique}@example.test"),
                ("role", "helpdesk"),
            ])
            .allow(&[Admin], To("/users?done=added")),
        post("/users/{missing}", Case::None)
            .form(&[("role", "helpdesk"), ("action", "role")])
            .allow(&[Admin], NotFound),
        get("/recipients", Case::None).allow(&[Admin, Officer, Information], Page(200)),
        post("/recipients", Case::None)
            .form(&[
                ("name", "Test Mission"),
                ("kind", "british_mission"),
                ("country", "Kenya"),
            ])
            .allow(&[Admin], To("/recipients?done=1")),
    ]
}

// ---------------------------------------------------------------------------------------------------------
// A browser without JavaScript: cookies sent as given, redirects not followed.
// ---------------------------------------------------------------------------------------------------------

/// What a browser holds for a person: the cookie of the forms shown before sign-in, and once signed in
/// the session cookie and the CSRF token of the session's pages.
#[derive(Clone, Debug, Default)]
struct Browser {
    anonymous_csrf: String,
    session: Option<String>,
    csrf: Option<String>,
}

struct Answer {
    status: StatusCode,
    location: Option<String>,
    content_type: String,
    /// The session cookie the answer sets, if it sets one.
    session_cookie: Option<String>,
    body: String,
}

struct Client<'a> {
    app: &'a TestApp,
    http: reqwest::Client,
}

impl<'a> Client<'a> {
    fn new(app: &'a TestApp) -> Self {
        Self {
            app,
            http: reqwest::Client::builder()
                .redirect(Policy::none())
                .build()
                .unwrap(),
        }
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        cookies: &[(&str, &str)],
        form: Option<&[(String, String)]>,
    ) -> Answer {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.app.address));
        if !cookies.is_empty() {
            let jar: Vec<String> = cookies
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect();
            request = request.header(COOKIE, jar.join("; "));
        }
        if let Some(form) = form {
            request = request
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(url_encode(form));
        }
        let response = request
            .send()
            .await
            .expect("the request reaches the server");
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::to_string)
        };
        let location = header(LOCATION);
        let content_type = header(CONTENT_TYPE).unwrap_or_default();
        let session_cookie = response
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .filter_map(|line| line.strip_prefix("etp_session="))
            .filter_map(|rest| rest.split(';').next())
            .find(|value| !value.is_empty())
            .map(str::to_string);
        Answer {
            status: response.status(),
            location,
            content_type,
            session_cookie,
            body: response.text().await.expect("a body"),
        }
    }

    /// A browser that has been shown the sign-in page: it holds the cookie of the forms before sign-in.
    async fn visitor(&self) -> Browser {
        let answer = self.send(Method::GET, "/login", &[], None).await;
        assert_eq!(answer.status, StatusCode::OK);
        let token = hidden_csrf_token(&answer.body).expect("the sign-in form's CSRF token");
        Browser {
            anonymous_csrf: token,
            ..Browser::default()
        }
    }

    /// Signs in through the sign-in page, and reads the session's CSRF token off the account page.
    async fn sign_in(&self, email: &str) -> Browser {
        let mut browser = self.visitor().await;
        let form = fields(&[
            ("csrf_token", &browser.anonymous_csrf),
            ("email", email),
            ("password", PASSWORD),
        ]);
        let answer = self
            .send(Method::POST, "/login", &browser.cookies(), Some(&form))
            .await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "signing in {email}");
        let session = answer.session_cookie.expect("a session cookie");
        browser.session = Some(session);
        let account = self
            .send(Method::GET, "/account", &browser.cookies(), None)
            .await;
        assert_eq!(account.status, StatusCode::OK, "{email}'s account page");
        browser.csrf = Some(hidden_csrf_token(&account.body).expect("the session's CSRF token"));
        browser
    }
}

/// The cookies a request carries, by name.
type Jar<'a> = Vec<(&'static str, &'a str)>;

impl Browser {
    fn cookies(&self) -> Jar<'_> {
        let mut cookies = vec![("etp_csrf", self.anonymous_csrf.as_str())];
        if let Some(session) = &self.session {
            cookies.push(("etp_session", session.as_str()));
        }
        cookies
    }
}

/// The value of the first hidden `csrf_token` field of a page.
fn hidden_csrf_token(html: &str) -> Option<String> {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_string())
}

fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
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

// ---------------------------------------------------------------------------------------------------------
// The routes the router registers.
// ---------------------------------------------------------------------------------------------------------

/// Whether a concrete path (or a row's path, placeholders and all) is served by a route template: equal
/// segment by segment, a `{…}` segment of the template standing for any one.
fn served_by(template: &str, path: &str) -> bool {
    let path = path.split('?').next().unwrap_or_default();
    let template: Vec<&str> = template.split('/').collect();
    let path: Vec<&str> = path.split('/').collect();
    template.len() == path.len()
        && template
            .iter()
            .zip(&path)
            .all(|(t, p)| t.starts_with('{') || t == p)
}

/// The listed route that serves a request, the most literal first, as the router picks it.
fn route_of(method: &str, path: &str) -> Option<(&'static str, &'static str)> {
    PAGE_ROUTES
        .iter()
        .filter(|(m, template)| *m == method && served_by(template, path))
        .max_by_key(|(_, template)| template.split('/').filter(|s| !s.starts_with('{')).count())
        .copied()
}

/// Every `.route("path", get(…).post(…))` of the page routers, read from their sources.
fn registered_routes() -> BTreeSet<(String, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = vec![root.join("pages.rs")];
    let mut modules: Vec<_> = std::fs::read_dir(root.join("pages"))
        .expect("the page modules")
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "rs"))
        .collect();
    modules.sort();
    files.extend(modules);
    let mut routes = BTreeSet::new();
    for file in files {
        let source = std::fs::read_to_string(&file).unwrap();
        for line in source.lines() {
            let Some((_, rest)) = line.split_once(".route(\"") else {
                continue;
            };
            let (path, handlers) = rest.split_once('"').expect("a quoted route path");
            for method in ["get", "post", "put", "patch", "delete"] {
                let called = handlers
                    .match_indices(&format!("{method}("))
                    .any(|(at, _)| {
                        at == 0
                            || !handlers[..at]
                                .chars()
                                .last()
                                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
                    });
                if called {
                    routes.insert((method.to_uppercase(), path.to_string()));
                }
            }
        }
    }
    routes
}

// ---------------------------------------------------------------------------------------------------------
// The people and their cases.
// ---------------------------------------------------------------------------------------------------------

struct Person {
    user: User,
    browser: Browser,
}

struct People {
    owner: Person,
    other_applicant: Person,
    helpdesk: Person,
    officer: Person,
    member: Person,
    other_member: Person,
    information: Person,
    admin: Person,
}

impl People {
    fn of(&self, caller: Caller) -> Option<&Person> {
        Some(match caller {
            Caller::Anonymous => return None,
            Caller::Owner => &self.owner,
            Caller::OtherApplicant => &self.other_applicant,
            Caller::Helpdesk => &self.helpdesk,
            Caller::Officer => &self.officer,
            Caller::Member => &self.member,
            Caller::OtherMember => &self.other_member,
            Caller::Information => &self.information,
            Caller::Admin => &self.admin,
        })
    }
}

async fn person(client: &Client<'_>, user: User) -> Person {
    let browser = client.sign_in(&user.email).await;
    Person { user, browser }
}

/// A case of the owner's in the state, with the member assigned from review on.
async fn case(app: &TestApp, people: &People, state: Case) -> Option<String> {
    let owner = &people.owner.user;
    let officer = &people.officer.user;
    let member = &people.member.user;
    let id = match state {
        Case::None => return None,
        Case::Draft => return Some(app.draft(owner).await),
        Case::CompleteDraft => return Some(app.complete_draft(owner).await),
        _ => app.submitted(owner).await,
    };
    let steps: [(&User, &str, Value); 5] = [
        (
            officer,
            "eligibility",
            json!({"eligible": true, "reason": "meets the rules"}),
        ),
        (
            officer,
            "assignments",
            json!({"committee_member_id": member.id}),
        ),
        (member, "scores", scores(7)),
        (officer, "decision", json!({"outcome": "selected"})),
        (officer, "award", award_terms()),
    ];
    let taken = match state {
        Case::Submitted => 0,
        Case::Eligible => 1,
        Case::UnderReview => 2,
        Case::Scored => 3,
        Case::Selected => 4,
        Case::Awarded => 5,
        Case::None | Case::Draft | Case::CompleteDraft => unreachable!(),
    };
    for (user, action, body) in steps.into_iter().take(taken) {
        app.expect_ok(
            app.post(&format!("/api/applications/{id}/{action}"), user, body)
                .await,
        );
    }
    Some(id)
}

/// An information request of the kind, about the owner, logged through the API.
async fn request(app: &TestApp, people: &People, wanted: Request) -> Option<String> {
    let kind = match wanted {
        Request::None => return None,
        Request::Of(kind) => kind,
        Request::Answered => "foi",
        Request::Drafted => "sar",
    };
    let information = &people.information.user;
    let body = json!({
        "kind": kind, "received_on": chrono::Utc::now().date_naive().to_string(),
        "requester": {"name": REQUEST_MARKER, "email": people.owner.user.email},
        "subject_email": people.owner.user.email, "description": "Test: a request",
    });
    let (status, answer) = app
        .post("/api/information-requests", information, body)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let id = answer["id"].as_str().unwrap().to_string();
    if matches!(wanted, Request::Answered | Request::Drafted) {
        let (status, answer) = app
            .post(
                &format!("/api/information-requests/{id}/response"),
                information,
                json!({"draft": wanted == Request::Drafted}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
    }
    Some(id)
}

/// What a refused form could have changed, as the API shows it: the case and its history, the request,
/// the registers and lists a form adds to, and each applicant's applications.
async fn snapshot(
    app: &TestApp,
    people: &People,
    id: Option<&str>,
    request: Option<&str>,
) -> Vec<Value> {
    let information = &people.information.user;
    let mut asked = vec![
        (information, "/api/recipients".to_string()),
        (information, "/api/information-requests".to_string()),
        (information, "/api/calendar/holidays?year=2031".to_string()),
        (&people.owner.user, "/api/applications".to_string()),
        (
            &people.other_applicant.user,
            "/api/applications".to_string(),
        ),
    ];
    if let Some(id) = id {
        asked.push((information, format!("/api/applications/{id}")));
        asked.push((information, format!("/api/applications/{id}/history")));
    }
    if let Some(request) = request {
        asked.push((information, format!("/api/information-requests/{request}")));
    }
    let mut seen = Vec::new();
    for (user, path) in asked {
        let (status, body) = app.get(&path, user).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        seen.push(json!({"path": path, "body": body}));
    }
    seen
}

/// The first cycle the applications page offers.
fn open_cycle() -> String {
    use chrono::Datelike;
    let today = chrono::Utc::now().date_naive();
    let first = if today.month() >= 9 {
        today.year()
    } else {
        today.year() - 1
    };
    format!("{first}-{:02}", (first + 1) % 100)
}

// ---------------------------------------------------------------------------------------------------------
// The matrix.
// ---------------------------------------------------------------------------------------------------------

/// What is wrong with an answer, if anything.
fn judge(
    answer: &Answer,
    want: Want,
    caller: Caller,
    method: &Method,
    path: &str,
    fill: &dyn Fn(&str) -> String,
) -> Option<String> {
    let status = answer.status.as_u16();
    let html = answer.content_type.starts_with("text/html");
    let see_other = |target: &str| -> Option<String> {
        let location = answer.location.as_deref().unwrap_or_default();
        let matches = match target.strip_suffix('*') {
            Some(prefix) => location.starts_with(prefix) && location.len() > prefix.len(),
            None => location == target,
        };
        (status != 303 || !matches)
            .then(|| format!("{status} to {location:?}, expected 303 to {target}"))
    };
    let page = |code: u16, words: &str| -> Option<String> {
        (status != code || !html || !answer.body.contains(words)).then(|| {
            format!(
                "{status} {}, expected the {code} page \"{words}\"",
                answer.content_type
            )
        })
    };
    let wrong = match want {
        Want::Page(code) => (status != code || !html).then(|| {
            format!(
                "{status} {}, expected an HTML page {code}",
                answer.content_type
            )
        }),
        Want::File(kind) => (status != 200 || !answer.content_type.starts_with(kind))
            .then(|| format!("{status} {}, expected 200 {kind}", answer.content_type)),
        Want::To(target) => see_other(&fill(target)),
        Want::Home => see_other(caller.home()),
        Want::SignIn => {
            let page_path = path.split('?').next().unwrap_or_default();
            if *method == Method::GET {
                see_other(&format!("/login?next={page_path}"))
            } else {
                see_other("/login")
            }
        }
        Want::Forbidden => page(403, "You cannot see this page"),
        Want::NotFound => page(404, "Page not found"),
        Want::Expired => page(403, "This form has expired"),
    };
    if wrong.is_some() {
        return wrong;
    }
    // Wherever the sign-in page is to bring the visitor back, it is to a page.
    if let Some(next) = answer
        .location
        .as_deref()
        .and_then(|location| location.strip_prefix("/login?next="))
        && route_of("GET", next).is_none()
    {
        return Some(format!(
            "sent to sign in and then back to {next}, which is no page"
        ));
    }
    if want.is_refusal() {
        if answer.session_cookie.is_some() {
            return Some("a refusal starts a session".to_string());
        }
        if answer.body.contains(CASE_MARKER) || answer.body.contains(REQUEST_MARKER) {
            return Some("a refusal shows something of the case or the request".to_string());
        }
    }
    None
}

async fn every_page_answers_everyone_as_their_role_allows(app: TestApp) {
    // The list is the router's, and the table covers the list.
    let listed: BTreeSet<(String, String)> = PAGE_ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(listed.len(), PAGE_ROUTES.len(), "a route is listed twice");
    assert_eq!(
        registered_routes(),
        listed,
        "PAGE_ROUTES is not what the page routers register"
    );
    for (method, path) in CONTRACT_PAGES {
        assert!(
            PAGE_ROUTES.contains(&(method, path)),
            "the contract's {method} {path} is not a listed route"
        );
    }
    let table = rows();
    for row in &table {
        assert!(
            route_of(row.method.as_str(), row.path).is_some(),
            "the row {} {} names no listed route",
            row.method,
            row.path
        );
    }
    for (method, template) in PAGE_ROUTES {
        assert!(
            table.iter().any(|row| row.method.as_str() == method
                && route_of(method, row.path) == Some((method, template))),
            "{method} {template} has no row in the table"
        );
    }

    let client = Client::new(&app);
    let mut people = People {
        owner: person(&client, app.applicant().await).await,
        other_applicant: person(&client, app.applicant().await).await,
        helpdesk: person(&client, app.staff(Role::Helpdesk).await).await,
        officer: person(&client, app.staff(Role::ProgrammeOfficer).await).await,
        member: person(&client, app.staff(Role::CommitteeMember).await).await,
        other_member: person(&client, app.staff(Role::CommitteeMember).await).await,
        information: person(&client, app.staff(Role::InformationOfficer).await).await,
        admin: person(&client, app.staff(Role::Admin).await).await,
    };
    let (status, body) = app
        .post(
            "/api/recipients",
            &people.admin.user,
            json!({"name": "Test Mission", "kind": "british_mission", "country": "Kenya"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let recipient = body["id"].as_str().unwrap().to_string();
    let anonymous = client.visitor().await;
    let cycle = open_cycle();
    let forged = "0".repeat(64);

    let mut wrong = Vec::new();
    let mut calls = 0;
    let mut day = chrono::NaiveDate::from_ymd_opt(2031, 1, 1).unwrap();
    for row in &table {
        // One application per applicant per cycle: every row's case has an owner of its own.
        people.owner = person(&client, app.applicant().await).await;
        let id = case(&app, &people, row.case).await;
        let request_id = request(&app, &people, row.request).await;
        let missing = uuid::Uuid::now_v7().to_string();
        let mut path = row.path.replace("{missing}", &missing);
        if let Some(id) = &id {
            path = path.replace("{id}", id);
        }
        if let Some(request_id) = &request_id {
            path = path.replace("{request}", request_id);
        }
        let fill = |target: &str| {
            let mut target = target.to_string();
            if let Some(id) = &id {
                target = target.replace("{id}", id);
            }
            if let Some(request_id) = &request_id {
                target = target.replace("{request}", request_id);
            }
            target
        };
        let mut form_for = |caller: Caller| -> Vec<(String, String)> {
            if row
                .form
                .iter()
                .any(|(_, value)| value.contains("{unique_day"))
            {
                day = day.succ_opt().unwrap();
            }
            let email = people
                .of(caller)
                .unwrap_or(&people.owner)
                .user
                .email
                .clone();
            row.form
                .iter()
                .map(|(name, value)| {
                    let value = value
                        .replace(
                            "{unique}",
                            &format!("page-matrix-{}", uuid::Uuid::new_v4().simple()),
                        )
                        .replace("{unique_day}", &day.to_string())
                        .replace("{unique_day.day}", &chrono::Datelike::day(&day).to_string())
                        .replace(
                            "{unique_day.month}",
                            &chrono::Datelike::month(&day).to_string(),
                        )
                        .replace(
                            "{unique_day.year}",
                            &chrono::Datelike::year(&day).to_string(),
                        )
                        .replace("{uuid}", &uuid::Uuid::now_v7().to_string())
                        .replace("{email}", &email)
                        .replace("{member_id}", &people.member.user.id)
                        .replace("{recipient}", &recipient)
                        .replace("{cycle}", &cycle);
                    (name.clone(), value)
                })
                .collect()
        };
        let browser_of = |caller: Caller| -> &Browser {
            people
                .of(caller)
                .map(|person| &person.browser)
                .unwrap_or(&anonymous)
        };

        // A form with a CSRF token that is not the right one is refused, whoever posts it, and changes
        // nothing.
        if row.method == Method::POST {
            let before = snapshot(&app, &people, id.as_deref(), request_id.as_deref()).await;
            let posters: &[Caller] = if row.anonymous_form {
                &CALLERS
            } else {
                &SIGNED_IN
            };
            for caller in posters.iter().copied() {
                let browser = browser_of(caller).clone();
                let lender = if caller == Caller::Owner {
                    Caller::OtherApplicant
                } else {
                    Caller::Owner
                };
                let borrowed = if row.anonymous_form {
                    browser_of(lender).anonymous_csrf.clone()
                } else {
                    browser_of(lender).csrf.clone().unwrap()
                };
                let own = if row.anonymous_form {
                    browser.anonymous_csrf.clone()
                } else {
                    browser.csrf.clone().unwrap()
                };
                let mut cases: Vec<(&str, Option<String>, Jar)> = vec![
                    ("no token", None, browser.cookies()),
                    ("an empty token", Some(String::new()), browser.cookies()),
                    ("a forged token", Some(forged.clone()), browser.cookies()),
                    ("a borrowed token", Some(borrowed), browser.cookies()),
                ];
                if row.anonymous_form {
                    // The right token, but without the cookie it must match.
                    let without: Jar = browser
                        .cookies()
                        .into_iter()
                        .filter(|(name, _)| *name != "etp_csrf")
                        .collect();
                    cases.push(("its token without its cookie", Some(own), without));
                }
                for (what, token, cookies) in cases {
                    let mut form = form_for(caller);
                    if let Some(token) = token {
                        form.push(("csrf_token".to_string(), token));
                    }
                    let answer = client
                        .send(Method::POST, &path, &cookies, Some(&form))
                        .await;
                    calls += 1;
                    if let Some(problem) =
                        judge(&answer, Want::Expired, caller, &row.method, &path, &fill)
                    {
                        wrong.push(format!(
                            "POST {} as {caller:?} with {what}: {problem}",
                            row.path
                        ));
                    }
                }
            }
            let after = snapshot(&app, &people, id.as_deref(), request_id.as_deref()).await;
            if before != after {
                wrong.push(format!(
                    "POST {}: a form refused for its CSRF token changed something",
                    row.path
                ));
            }
        }

        let mut order: Vec<Caller> = CALLERS
            .iter()
            .copied()
            .filter(|caller| !row.allowed.iter().any(|(c, _)| c == caller))
            .collect();
        order.extend(row.allowed.iter().map(|(caller, _)| *caller));
        for caller in order {
            let fresh = match people.of(caller) {
                Some(person) if row.fresh_session => Some(client.sign_in(&person.user.email).await),
                _ => None,
            };
            let browser = fresh.as_ref().unwrap_or_else(|| browser_of(caller));
            let form = (row.method == Method::POST).then(|| {
                let mut form = form_for(caller);
                let token = if row.anonymous_form || caller == Caller::Anonymous {
                    browser.anonymous_csrf.clone()
                } else {
                    browser.csrf.clone().unwrap()
                };
                form.push(("csrf_token".to_string(), token));
                form
            });
            let answer = client
                .send(
                    row.method.clone(),
                    &path,
                    &browser.cookies(),
                    form.as_deref(),
                )
                .await;
            calls += 1;
            let want = row.expected(caller);
            if let Some(problem) = judge(&answer, want, caller, &row.method, &path, &fill) {
                wrong.push(format!(
                    "{} {} as {caller:?}: {problem}: {}",
                    row.method,
                    row.path,
                    excerpt(&answer.body)
                ));
            }
        }
    }

    // No refused form ended anyone's session: every browser is still signed in.
    for caller in SIGNED_IN {
        let browser = &people.of(caller).unwrap().browser;
        let answer = client
            .send(Method::GET, "/account", &browser.cookies(), None)
            .await;
        if answer.status != StatusCode::OK {
            wrong.push(format!(
                "{caller:?} was signed out by a refused form: {}",
                answer.status
            ));
        }
    }

    assert!(calls > 1000, "the page matrix made {calls} calls");
    assert!(
        wrong.is_empty(),
        "{} of {calls} answers are not what the roles allow:\n{}",
        wrong.len(),
        wrong.join("\n")
    );

    // Every page template was rendered, in strict mode, with the context its handler gives: a value a
    // template names and its handler does not give would have made that page a 500 above.
    let rendered = app::templates::rendered();
    let catalogue = app::templates::catalogue();
    let included: BTreeSet<&String> = catalogue.values().flatten().collect();
    let unrendered: Vec<&String> = catalogue
        .keys()
        .filter(|name| !rendered.contains(*name) && !included.contains(name))
        .filter(|name| !LETTER_TEMPLATES.contains(&name.as_str()))
        .collect();
    assert!(
        unrendered.is_empty(),
        "no page of the matrix rendered these templates: {unrendered:?}"
    );

    // ... and each with a typed context: a struct of its handler's, never `json!`, so that the names a
    // template uses are fields the compiler knows.
    let untyped: Vec<String> = app::templates::rendered_with()
        .into_iter()
        .filter(|(_, types)| types.iter().any(|t| app::templates::is_untyped(t)))
        .map(|(name, types)| format!("{name} ({types:?})"))
        .collect();
    assert!(
        untyped.is_empty(),
        "these templates were rendered with untyped JSON: {untyped:?}"
    );
}

/// The templates of letters and emails, which no page route of this matrix renders. Each is rendered in
/// strict mode with the context its code builds by the tests named: the outcome letters by
/// `app::letters::tests::every_letter_renders_with_its_typed_context_in_strict_mode`, the reminder by
/// `app::awards::tests::the_reminder_renders_with_its_typed_context_in_strict_mode`, the FOI refusal by
/// `rights::an_foi_refusal_names_the_section_why_and_for_a_qualified_exemption_the_public_interest` and the
/// rights letter by `rights::a_rights_letter_gives_dates_as_people_write_them_one_reference_and_invites_a_statement_once`,
/// and the page of a valid password-reset link (which this matrix cannot hold: it is emailed) by
/// `password_reset::a_forgotten_password_is_reset_once_by_the_emailed_link_and_every_session_of_the_account_ends`.
const LETTER_TEMPLATES: [&str; 11] = [
    "password_reset_new",
    "letters/selected",
    "letters/reserve",
    "letters/unsuccessful",
    "letters/award",
    "letters/offer",
    "letters/offer_accepted",
    "letters/offer_lapsed",
    "reminders/report_due",
    "foi_refusal",
    "rights_letter",
];

/// The heading of an answer, or its start: enough to say which page it was.
fn excerpt(body: &str) -> String {
    let from = body.find("<h1").unwrap_or(0);
    body[from..]
        .chars()
        .take(160)
        .collect::<String>()
        .replace('\n', " ")
}
