//! The authorization matrix: every route of the API, called by a visitor with no token, by the applicant
//! who owns the case, by another applicant, and by each staff role (the committee member assigned to the
//! case, and one who is not), each answered with the exact status the contract gives.
//!
//! Each route gets a case of its own in the state its command needs. The refusals come first (they change
//! nothing), the calls that are allowed last, in the order given.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, User, award_terms, scores};
use crate::on_both_stores;
use crate::openapi::Document;
use domain::Role;

on_both_stores!(every_route_answers_everyone_with_the_status_the_contract_gives);

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

const STAFF: [Caller; 6] = [
    Caller::Helpdesk,
    Caller::Officer,
    Caller::Member,
    Caller::OtherMember,
    Caller::Information,
    Caller::Admin,
];

/// The state of the case a route is called on.
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

/// An information request the route is called on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Request {
    None,
    Of(&'static str),
    Answered,
}

struct Route {
    method: Method,
    /// `{id}` is the case, `{request}` the information request, `{recipient}` a registered recipient,
    /// `{cycle}` a cycle other than the cases' (2027-28), `{unique}` a fresh string per call.
    path: &'static str,
    body: Option<Value>,
    case: Case,
    request: Request,
    /// Who may, and what they get; called last, in this order.
    allowed: Vec<(Caller, u16)>,
    /// What those not allowed get where it is not the usual (401 without a token, 404 for another
    /// applicant on a case route the owner may use, 403 otherwise).
    refused: Vec<(Caller, u16)>,
    /// Every caller gets the allowed answer (a public route).
    public: Option<u16>,
    /// Calls made first, to bring the case where the route applies (a hold to lift, say).
    prepare: Vec<(Caller, Method, &'static str, Value)>,
    /// The call ends the token it is made with: each caller signs in anew for it.
    fresh_token: bool,
}

fn route(method: Method, path: &'static str, case: Case) -> Route {
    Route {
        method,
        path,
        body: None,
        case,
        request: Request::None,
        allowed: Vec::new(),
        refused: Vec::new(),
        public: None,
        prepare: Vec::new(),
        fresh_token: false,
    }
}

impl Route {
    fn body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }
    fn allow(mut self, callers: &[Caller], status: u16) -> Self {
        self.allowed
            .extend(callers.iter().map(|caller| (*caller, status)));
        self
    }
    fn refuse(mut self, callers: &[Caller], status: u16) -> Self {
        self.refused
            .extend(callers.iter().map(|caller| (*caller, status)));
        self
    }
    fn request(mut self, request: Request) -> Self {
        self.request = request;
        self
    }
    fn after(mut self, caller: Caller, method: Method, path: &'static str, body: Value) -> Self {
        self.prepare.push((caller, method, path, body));
        self
    }
    fn ends_the_token(mut self) -> Self {
        self.fresh_token = true;
        self
    }
    fn public(mut self, status: u16) -> Self {
        self.public = Some(status);
        self
    }

    /// What `caller` must get.
    fn expected(&self, caller: Caller) -> u16 {
        if let Some(status) = self.public {
            return status;
        }
        if let Some((_, status)) = self.allowed.iter().find(|(c, _)| *c == caller) {
            return *status;
        }
        if let Some((_, status)) = self.refused.iter().find(|(c, _)| *c == caller) {
            return *status;
        }
        // A role that may not is refused before the case is looked at (403, which tells nothing of it); an
        // applicant on a route applicants use, but on another's case, is told there is no such case.
        match caller {
            Caller::Anonymous => 401,
            Caller::OtherApplicant
                if self.path.contains("{id}")
                    && self.allowed.iter().any(|(c, _)| *c == Caller::Owner) =>
            {
                404
            }
            _ => 403,
        }
    }
}

/// Every route the matrix calls, as (method, path template): the routes of CONTRACT.md and the others of
/// the API. The OpenAPI test checks each is documented.
pub fn route_list() -> Vec<(Method, &'static str)> {
    routes()
        .into_iter()
        .map(|route| (route.method, route.path))
        .collect()
}

/// Every route the matrix calls with the body it sends (its placeholders as written: `{id}`, `{member_id}`,
/// `{recipient}`, `{unique}`, ...).
pub fn route_calls() -> Vec<(Method, &'static str, Option<Value>)> {
    routes()
        .into_iter()
        .map(|route| (route.method, route.path, route.body))
        .collect()
}

fn routes() -> Vec<Route> {
    use Caller::*;
    use Method as M;
    let today = chrono::Utc::now().date_naive().to_string();
    // Staff who read cases (an administrator reads none).
    let case_staff = [Helpdesk, Officer, Information];
    let signed_in = [
        Owner,
        OtherApplicant,
        Helpdesk,
        Officer,
        Member,
        OtherMember,
        Information,
        Admin,
    ];
    let request_body = json!({
        "kind": "foi", "received_on": today,
        "requester": {"name": "Test Requester", "email": "requester@example.test"},
        "description": "Test: statistics",
    });
    vec![
        // The OpenAPI document
        route(M::GET, "/api/openapi.json", Case::None).public(200),
        // Auth
        route(M::POST, "/api/auth/register", Case::None)
            .body(json!({"email": "{unique}@example.test", "password": PASSWORD, "full_name": "Test Person"}))
            .public(201),
        route(M::POST, "/api/auth/login", Case::None)
            .body(json!({"email": "{owner_email}", "password": PASSWORD}))
            .public(200),
        route(M::POST, "/api/auth/logout", Case::None)
            .ends_the_token()
            .allow(&signed_in, 204),
        // A wrong current password: every signed-in person is heard and refused, nobody's password changes.
        route(M::POST, "/api/auth/password", Case::None)
            .body(json!({"current_password": "not the password at all", "new_password": "another long password"}))
            .allow(&signed_in, 422),
        // Applications
        route(M::POST, "/api/applications", Case::None)
            .body(json!({"cycle": "2031-32"}))
            .allow(&[Owner, OtherApplicant], 201),
        // An administrator reads no application (CONTRACT.md, "What each role gets of an application").
        route(M::GET, "/api/applications", Case::None)
            .allow(&[Owner, OtherApplicant, Helpdesk, Officer, Member, OtherMember, Information], 200),
        route(M::GET, "/api/applications/{id}", Case::UnderReview)
            .allow(&[Owner, Helpdesk, Officer, Member, Information], 200)
            .refuse(&[OtherMember], 404),
        // Time travel is for the staff who read cases, each seeing what their role sees.
        route(M::GET, "/api/applications/{id}?as_of=2099-01-01T00:00:00Z", Case::UnderReview)
            .allow(&case_staff, 200),
        route(M::PATCH, "/api/applications/{id}", Case::Draft)
            .body(json!({"essays": {"leadership": "Test: an essay."}}))
            .allow(&[Owner], 200),
        route(M::POST, "/api/applications/{id}/submit", Case::CompleteDraft).allow(&[Owner], 200),
        route(M::POST, "/api/applications/{id}/withdraw", Case::Submitted).allow(&[Owner], 200),
        route(M::PUT, "/api/applications/{id}/preferences", Case::Draft)
            .body(json!({"networking_opt_out": true, "alumni_email_opt_out": false, "alumni_book_opt_out": false, "images_opt_out": false}))
            .allow(&[Owner, Officer], 200),
        route(M::POST, "/api/applications/{id}/amendments", Case::Submitted)
            .body(json!({"changes": {"personal.phone": "+000 9999 0000"}, "reason": "Test: asked by phone"}))
            .allow(&[Helpdesk], 200),
        route(M::POST, "/api/applications/{id}/eligibility", Case::Submitted)
            .body(json!({"eligible": true, "reason": "meets the rules"}))
            .allow(&[Officer], 200),
        route(M::POST, "/api/applications/{id}/screening-override", Case::Draft)
            .body(json!({"rules": ["work_experience"], "reason": "Test: a career break the rules did not foresee"}))
            .allow(&[Officer], 200),
        route(M::POST, "/api/applications/{id}/assignments", Case::Eligible)
            .body(json!({"committee_member_id": "{member_id}"}))
            .allow(&[Officer], 200),
        route(M::POST, "/api/applications/{id}/conflicts", Case::UnderReview)
            .body(json!({"reason": "Test: a former colleague"}))
            .allow(&[Member], 200),
        route(M::POST, "/api/applications/{id}/scores", Case::UnderReview)
            .body(scores(7))
            .allow(&[Member], 200),
        route(M::POST, "/api/applications/{id}/decision", Case::Scored)
            .body(json!({"outcome": "selected"}))
            .allow(&[Officer], 200),
        route(M::POST, "/api/applications/{id}/award", Case::Selected)
            .body(award_terms())
            .allow(&[Officer], 200),
        route(M::POST, "/api/applications/{id}/award/complete", Case::Awarded)
            .body(json!({"outcome": "Merit", "completed_on": today}))
            .allow(&[Officer], 200),
        route(M::POST, "/api/applications/{id}/immigration-records", Case::Awarded)
            .body(json!({"kind": "visa", "reference": "TEST-VISA-0001", "issued_on": today}))
            .allow(&[Officer], 201),
        route(M::GET, "/api/applications/{id}/immigration-records", Case::Awarded)
            .allow(&[Officer], 200),
        route(M::GET, "/api/applications/{id}/history", Case::UnderReview)
            .allow(&case_staff, 200),
        route(M::GET, "/api/applications/{id}/reads", Case::UnderReview)
            .allow(&[Information], 200),
        // The letters the decision and the award were told by: the owner, programme and information officers.
        route(M::GET, "/api/applications/{id}/letters", Case::Awarded)
            .allow(&[Owner, Officer, Information], 200),
        // Retention
        route(M::GET, "/api/retention", Case::None).allow(&[Information], 200),
        route(M::POST, "/api/applications/{id}/hold", Case::Submitted)
            .body(json!({"reason": "Test: a complaint is open"}))
            .allow(&[Information], 201),
        route(M::DELETE, "/api/applications/{id}/hold", Case::Submitted)
            .after(Information, M::POST, "/api/applications/{id}/hold", json!({"reason": "Test: a complaint is open"}))
            .allow(&[Information], 200),
        route(M::POST, "/api/applications/{id}/restriction", Case::Submitted)
            .body(json!({"reason": "Test: accuracy contested"}))
            .allow(&[Information], 200),
        route(M::POST, "/api/applications/{id}/restriction/lift", Case::Submitted)
            .after(Information, M::POST, "/api/applications/{id}/restriction", json!({"reason": "Test: accuracy contested"}))
            .body(json!({"reason": "Test: settled"}))
            .allow(&[Information], 200),
        // Cycles and selection (another cycle than the cases', always open)
        route(M::PUT, "/api/cycles/{cycle}", Case::None)
            .body(json!({"opens_on": "2026-01-01", "closes_on": "2028-12-31", "blind_review": false}))
            .allow(&[Admin], 200),
        route(M::GET, "/api/cycles/{cycle}", Case::None).allow(&STAFF, 200),
        route(M::GET, "/api/cycles/{cycle}/ranking", Case::None).allow(&[Officer], 200),
        route(M::POST, "/api/cycles/{cycle}/decisions", Case::None)
            .body(json!({"selected": 1, "reserve": 1, "dry_run": true}))
            .allow(&[Officer], 200),
        route(M::GET, "/api/cycles/{cycle}/reserve", Case::None).allow(&[Officer], 200),
        route(M::POST, "/api/cycles/{cycle}/assignments", Case::None)
            .body(json!({"members_per_application": 2, "dry_run": true}))
            .allow(&[Officer], 200),
        // Concluded as of today (the body's day left out), once the other calls on the cycle are done.
        route(M::POST, "/api/cycles/{cycle}/conclude", Case::None)
            .body(json!({}))
            .allow(&[Officer], 200),
        // Sharing
        route(M::POST, "/api/recipients", Case::None)
            .body(json!({"name": "Test Mission", "kind": "british_mission", "country": "Kenya"}))
            .allow(&[Admin], 201),
        route(M::GET, "/api/recipients", Case::None).allow(&[Admin, Officer, Information], 200),
        route(M::POST, "/api/applications/{id}/disclosures", Case::Submitted)
            .body(json!({"recipient_id": "{recipient}", "purpose": "Test: visa support", "fields": ["personal.full_name"]}))
            .allow(&[Officer], 201),
        route(M::GET, "/api/applications/{id}/disclosures", Case::Submitted)
            .allow(&[Officer, Information], 200),
        route(M::GET, "/api/applications/{id}/disclosure-refusals", Case::Submitted)
            .allow(&[Officer, Information], 200),
        route(M::POST, "/api/applications/{id}/rectification-notices/{recipient}", Case::Submitted)
            .allow(&[Officer], 409),
        // No award to correct on a case just submitted.
        route(M::POST, "/api/applications/{id}/award/correction", Case::Submitted)
            .body(json!({"institution": "Test Other Institute", "reason": "Test: wrong"}))
            .allow(&[Officer], 409),
        route(M::POST, "/api/applications/{id}/award/complete/correction", Case::Submitted)
            .body(json!({"outcome": "Test outcome", "reason": "Test: wrong"}))
            .allow(&[Officer], 409),
        // Nothing is flagged to be checked again on a case just submitted.
        route(M::POST, "/api/applications/{id}/recheck", Case::Submitted)
            .body(json!({"note": "Test: checked"}))
            .allow(&[Officer], 409),
        // Projections that publish
        route(M::GET, "/api/scholars/directory", Case::Awarded).allow(&[Owner, Officer], 200),
        route(M::GET, "/api/alumni/networking-scheme", Case::Awarded).allow(&[Owner, Officer], 200),
        route(M::GET, "/api/alumni/open-book", Case::None).public(200),
        route(M::GET, "/api/media/consents", Case::None).allow(&[Officer], 200),
        // Information requests
        route(M::POST, "/api/information-requests", Case::None)
            .body(request_body)
            .allow(&[Information], 201),
        route(M::GET, "/api/information-requests", Case::None).allow(&[Information], 200),
        route(M::GET, "/api/information-requests/{request}", Case::None)
            .request(Request::Of("foi"))
            .allow(&[Information], 200),
        route(M::POST, "/api/information-requests/{request}/clock", Case::None)
            .request(Request::Of("foi"))
            .body(json!({"action": "stop", "on": today, "reason": "fee", "note": "Test: fee notice sent"}))
            .allow(&[Information], 200),
        route(M::POST, "/api/information-requests/{request}/extension", Case::None)
            .request(Request::Of("sar"))
            .body(json!({"extension": "complex", "months": 2, "reason": "Test: many records"}))
            .allow(&[Information], 200),
        route(M::POST, "/api/information-requests/{request}/erasure", Case::None)
            .request(Request::Of("erasure"))
            .body(json!({"approve": false, "reason": "Test: the award is kept"}))
            .allow(&[Information], 200),
        route(M::POST, "/api/information-requests/{request}/rectification", Case::None)
            .request(Request::Of("rectification"))
            .body(json!({"rectify": false, "reason": "Test: the data is accurate"}))
            .allow(&[Information], 200),
        route(M::POST, "/api/information-requests/{request}/restriction", Case::None)
            .request(Request::Of("restriction"))
            .body(json!({"restrict": false, "reason": "Test: no grounds"}))
            .allow(&[Information], 200),
        route(M::POST, "/api/information-requests/{request}/objection", Case::None)
            .request(Request::Of("objection"))
            .body(json!({"uphold": false, "uses": ["networking"], "reason": "Test: compelling grounds"}))
            .allow(&[Information], 200),
        route(M::POST, "/api/information-requests/{request}/refusal", Case::None)
            .request(Request::Of("foi"))
            .body(json!({"ground": "vexatious", "reason": "Test: the same request again"}))
            .allow(&[Information], 200),
        route(M::POST, "/api/information-requests/{request}/response", Case::None)
            .request(Request::Of("foi"))
            .allow(&[Information], 201),
        route(M::GET, "/api/information-requests/{request}/response?format=json", Case::None)
            .request(Request::Answered)
            .allow(&[Information], 200),
        // Calendar
        route(M::GET, "/api/calendar/due-dates?kind=foi&received_on=2026-01-05", Case::None)
            .public(200),
        route(M::GET, "/api/calendar/holidays?year=2026", Case::None).public(200),
        route(M::POST, "/api/calendar/holidays", Case::None)
            .body(json!({"date": "{unique_day}", "region": "scotland", "name": "Test: a proclaimed day"}))
            .allow(&[Information, Admin], 201),
    ]
}

struct People {
    owner: User,
    other_applicant: User,
    helpdesk: User,
    officer: User,
    member: User,
    other_member: User,
    information: User,
    admin: User,
}

impl People {
    fn of(&self, caller: Caller) -> Option<&User> {
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

/// A case of the owner's in the state, with the member assigned from review on.
async fn case(app: &TestApp, people: &People, state: Case) -> Option<String> {
    let at = |id: &str, action: &str| format!("/api/applications/{id}{action}");
    let id = match state {
        Case::None => return None,
        Case::Draft => return Some(app.draft(&people.owner).await),
        Case::CompleteDraft => return Some(app.complete_draft(&people.owner).await),
        _ => app.submitted(&people.owner).await,
    };
    let steps: Vec<(&User, &str, Value)> = vec![
        (
            &people.officer,
            "/eligibility",
            json!({"eligible": true, "reason": "meets the rules"}),
        ),
        (
            &people.officer,
            "/assignments",
            json!({"committee_member_id": people.member.id}),
        ),
        (&people.member, "/scores", scores(7)),
        (&people.officer, "/decision", json!({"outcome": "selected"})),
        (&people.officer, "/award", award_terms()),
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
        app.expect_ok(app.post(&at(&id, action), user, body).await);
    }
    Some(id)
}

async fn request(app: &TestApp, people: &People, wanted: Request) -> Option<String> {
    let kind = match wanted {
        Request::None => return None,
        Request::Of(kind) => kind,
        Request::Answered => "foi",
    };
    let body = json!({
        "kind": kind, "received_on": chrono::Utc::now().date_naive().to_string(),
        "requester": {"name": "Test Requester", "email": people.owner.email},
        "subject_email": people.owner.email, "description": "Test: a request",
    });
    let (status, answer) = app
        .post("/api/information-requests", &people.information, body)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let id = answer["id"].as_str().unwrap().to_string();
    if wanted == Request::Answered {
        let (status, answer) = app
            .post(
                &format!("/api/information-requests/{id}/response"),
                &people.information,
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
    }
    Some(id)
}

async fn every_route_answers_everyone_with_the_status_the_contract_gives(app: TestApp) {
    let people = People {
        owner: app.applicant().await,
        other_applicant: app.applicant().await,
        helpdesk: app.staff(Role::Helpdesk).await,
        officer: app.staff(Role::ProgrammeOfficer).await,
        member: app.staff(Role::CommitteeMember).await,
        other_member: app.staff(Role::CommitteeMember).await,
        information: app.staff(Role::InformationOfficer).await,
        admin: app.staff(Role::Admin).await,
    };
    let (status, body) = app
        .post(
            "/api/recipients",
            &people.admin,
            json!({"name": "Test Mission", "kind": "british_mission", "country": "Kenya"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let recipient = body["id"].as_str().unwrap().to_string();
    let document = Document::fetch(&app).await;

    let mut wrong = Vec::new();
    let mut calls = 0;
    let mut day = chrono::NaiveDate::from_ymd_opt(2031, 1, 1).unwrap();
    let mut people = people;
    for route in routes() {
        // One application per applicant per cycle: every route's case has an owner of its own.
        people.owner = app.applicant().await;
        let id = case(&app, &people, route.case).await;
        let request_id = request(&app, &people, route.request).await;
        for (caller, method, path, body) in &route.prepare {
            let path = path.replace("{id}", id.as_deref().unwrap_or_default());
            let token = people.of(*caller).map(|user| user.token.as_str());
            let (status, answer) = app
                .request(method.clone(), &path, token, Some(body.clone()))
                .await;
            assert!(status.is_success(), "preparing {path}: {status} {answer}");
        }
        let mut order: Vec<Caller> = CALLERS
            .iter()
            .copied()
            .filter(|caller| !route.allowed.iter().any(|(c, _)| c == caller))
            .collect();
        order.extend(route.allowed.iter().map(|(caller, _)| *caller));
        for caller in order {
            let mut path = route.path.to_string();
            if let Some(id) = &id {
                path = path.replace("{id}", id);
            }
            if let Some(request_id) = &request_id {
                path = path.replace("{request}", request_id);
            }
            path = path.replace("{recipient}", &recipient);
            path = path.replace("{cycle}", "2027-28");
            let body = route.body.as_ref().map(|body| {
                day = day.succ_opt().unwrap();
                let text = body
                    .to_string()
                    .replace(
                        "{unique}",
                        &format!("matrix-{}", uuid::Uuid::new_v4().simple()),
                    )
                    .replace("{unique_day}", &day.to_string())
                    .replace("{owner_email}", &people.owner.email)
                    .replace("{member_id}", &people.member.id)
                    .replace("{recipient}", &recipient);
                serde_json::from_str::<Value>(&text).unwrap()
            });
            let fresh = match people.of(caller) {
                Some(user) if route.fresh_token => Some(app.sign_in(&user.email).await.token),
                _ => None,
            };
            let token = fresh
                .as_deref()
                .or(people.of(caller).map(|user| user.token.as_str()));
            let (status, answer) = app.request(route.method.clone(), &path, token, body).await;
            calls += 1;
            let expected = route.expected(caller);
            let shape_ok = status.is_success()
                || (answer["error"].is_string() && answer["message"].is_string());
            if status.as_u16() != expected || !shape_ok {
                wrong.push(format!(
                    "{} {} as {caller:?}: {} (expected {expected}) {}",
                    route.method,
                    route.path,
                    status.as_u16(),
                    answer.to_string().chars().take(160).collect::<String>()
                ));
            }
            // The answer is one the OpenAPI document describes.
            let json = (!answer.is_null()).then_some(&answer);
            if let Err(problem) =
                document.conforms(&route.method, route.path, status.as_u16(), json)
            {
                wrong.push(format!("as {caller:?}: {problem}"));
            }
        }
    }
    assert!(calls > 400, "the matrix made {calls} calls");
    assert!(
        wrong.is_empty(),
        "{} of {calls} answers are not the contract's:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    // The staff list is complete: every staff caller was tried on every route above.
    assert_eq!(STAFF.len() + 3, CALLERS.len());
}
