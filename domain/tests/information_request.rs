//! Given/when/then tests of the decisions an information officer takes on the rights of data subjects:
//! each is taken once, on a request of its own kind, with a reason.

mod common;

use chrono::NaiveDate;
use cqrs_es::test::AggregateTestExecutor;

use common::*;
use domain::request::{
    InformationRequest, ObjectedUse, RequestCommand as C, RequestError as E, RequestEvent as Ev,
    RequestKind, Requester, WithholdingGround,
};
use domain::{Actor, Role};

fn logged(kind: RequestKind) -> Ev {
    Ev::RequestLogged {
        kind,
        received_on: NaiveDate::from_ymd_opt(2026, 2, 20).expect("a date"),
        requester: Requester {
            name: "Test Requester".into(),
            email: "requester@example.test".into(),
        }
        .into(),
        subject_email: Some("subject@example.test".to_string()).into(),
        description: "Test request".to_string().into(),
    }
}

fn given(events: Vec<Ev>) -> AggregateTestExecutor<InformationRequest> {
    given_of(events)
}

fn objection(uphold: bool, uses: Vec<ObjectedUse>, reason: &str) -> C {
    C::DecideObjection {
        uphold,
        uses,
        reason: reason.to_string(),
    }
}

#[tokio::test]
async fn an_objection_is_upheld_with_the_uses_named_once_each() {
    given(vec![logged(RequestKind::Objection)])
        .when_async(by(
            information_officer(),
            objection(
                true,
                vec![
                    ObjectedUse::Images,
                    ObjectedUse::Networking,
                    ObjectedUse::Images,
                ],
                " no compelling grounds ",
            ),
        ))
        .await
        .then_expect_events(vec![Ev::ObjectionDecided {
            upheld: true,
            uses: vec![ObjectedUse::Networking, ObjectedUse::Images],
            reason: "no compelling grounds".to_string().into(),
        }]);
}

#[tokio::test]
async fn an_objection_names_a_use_and_a_reason_and_is_decided_once() {
    given(vec![logged(RequestKind::Objection)])
        .when_async(by(information_officer(), objection(true, vec![], "x")))
        .await
        .then_expect_error_message("some values are not valid");
    given(vec![logged(RequestKind::Objection)])
        .when_async(by(
            information_officer(),
            objection(false, vec![ObjectedUse::Images], "  "),
        ))
        .await
        .then_expect_error_message("some values are not valid");
    given(vec![
        logged(RequestKind::Objection),
        Ev::ObjectionDecided {
            upheld: false,
            uses: vec![ObjectedUse::Images],
            reason: "compelling grounds".to_string().into(),
        },
    ])
    .when_async(by(
        information_officer(),
        objection(true, vec![ObjectedUse::Images], "x"),
    ))
    .await
    .then_expect_error(E::AlreadyDecided);
}

#[tokio::test]
async fn each_decision_is_taken_only_on_a_request_of_its_kind() {
    let decisions = [
        (
            RequestKind::Erasure,
            C::DecideErasure {
                approve: true,
                reason: "x".into(),
            },
        ),
        (
            RequestKind::Rectification,
            C::DecideRectification {
                rectify: false,
                application_id: None,
                fields: vec![],
                reason: "x".into(),
            },
        ),
        (
            RequestKind::Restriction,
            C::DecideRestriction {
                restrict: true,
                reason: "x".into(),
            },
        ),
        (
            RequestKind::Objection,
            objection(true, vec![ObjectedUse::AlumniEmail], "x"),
        ),
    ];
    for (kind, decision) in &decisions {
        for other in RequestKind::ALL.into_iter().filter(|k| k != kind) {
            given(vec![logged(other)])
                .when_async(by(information_officer(), decision.clone()))
                .await
                .then_expect_error(E::WrongKind {
                    expected: kind.in_words(),
                    kind: other.in_words(),
                });
        }
        given(vec![logged(*kind)])
            .when_async(by(
                Actor::new("programme-officer-1", Role::ProgrammeOfficer),
                decision.clone(),
            ))
            .await
            .then_expect_error(E::Forbidden);
        given(vec![])
            .when_async(by(information_officer(), decision.clone()))
            .await
            .then_expect_error(E::NotFound);
    }
}

#[tokio::test]
async fn a_granted_rectification_names_the_application_corrected_and_a_refusal_names_none() {
    given(vec![logged(RequestKind::Rectification)])
        .when_async(by(
            information_officer(),
            C::DecideRectification {
                rectify: true,
                application_id: None,
                fields: vec!["personal.phone".into()],
                reason: "x".into(),
            },
        ))
        .await
        .then_expect_error_message("some values are not valid");
    given(vec![logged(RequestKind::Rectification)])
        .when_async(by(
            information_officer(),
            C::DecideRectification {
                rectify: false,
                application_id: Some("application-1".into()),
                fields: vec!["personal.phone".into()],
                reason: "the data is accurate".into(),
            },
        ))
        .await
        .then_expect_events(vec![Ev::RectificationDecided {
            rectified: false,
            application_id: None,
            fields: vec![],
            reason: "the data is accurate".to_string().into(),
        }]);
}

#[tokio::test]
async fn an_answered_request_takes_no_decision() {
    given(vec![
        logged(RequestKind::Restriction),
        Ev::ResponseIssued {
            issued_on: NaiveDate::from_ymd_opt(2026, 3, 1).expect("a date"),
            response: serde_json::json!({}).into(),
        },
    ])
    .when_async(by(
        information_officer(),
        C::DecideRestriction {
            restrict: true,
            reason: "x".into(),
        },
    ))
    .await
    .then_expect_error(E::AlreadyAnswered);
}

#[tokio::test]
async fn an_foi_refusal_on_a_qualified_exemption_gives_the_public_interest_and_others_do_not_keep_one()
 {
    use domain::request::FoiGround;
    let refuse = |ground, public_interest: Option<&str>| C::RefuseFoi {
        ground,
        reason: "why it applies".to_string(),
        public_interest: public_interest.map(str::to_string),
    };
    for ground in FoiGround::ALL.into_iter().filter(|g| g.is_qualified()) {
        given(vec![logged(RequestKind::Foi)])
            .when_async(by(information_officer(), refuse(ground, Some("  "))))
            .await
            .then_expect_error_message("some values are not valid");
        given(vec![logged(RequestKind::Foi)])
            .when_async(by(
                information_officer(),
                refuse(ground, Some(" outweighed ")),
            ))
            .await
            .then_expect_events(vec![Ev::FoiRefused {
                ground,
                reason: "why it applies".to_string().into(),
                public_interest: Some("outweighed".to_string()).into(),
            }]);
    }
    given(vec![logged(RequestKind::Foi)])
        .when_async(by(
            information_officer(),
            refuse(FoiGround::PersonalData, Some("not needed")),
        ))
        .await
        .then_expect_events(vec![Ev::FoiRefused {
            ground: FoiGround::PersonalData,
            reason: "why it applies".to_string().into(),
            public_interest: None::<String>.into(),
        }]);
    given(vec![logged(RequestKind::Sar)])
        .when_async(by(
            information_officer(),
            refuse(FoiGround::Vexatious, None),
        ))
        .await
        .then_expect_error(E::WrongKind {
            expected: "an FOI",
            kind: "a subject access",
        });
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, d).expect("a date")
}

fn drafted() -> Ev {
    Ev::ResponseDrafted {
        drafted_on: day(1),
        response: serde_json::json!({"records": {"applications": [{"personal": {"phone": "+44 7700 900000"}}]}}).into(),
    }
}

fn withhold(item: &str, reason: &str) -> C {
    C::WithholdFromDraft {
        item: item.to_string(),
        ground: WithholdingGround::ThirdParty,
        reason: reason.to_string(),
    }
}

#[tokio::test]
async fn a_draft_item_is_withheld_on_a_ground_with_a_reason_once() {
    given(vec![logged(RequestKind::Sar), drafted()])
        .when_async(by(
            information_officer(),
            withhold(
                "/records/applications/0/personal/phone",
                " Another person's number ",
            ),
        ))
        .await
        .then_expect_events(vec![Ev::DraftItemWithheld {
            item: "/records/applications/0/personal/phone".into(),
            ground: WithholdingGround::ThirdParty,
            reason: "Another person's number".to_string().into(),
        }]);
    let withheld = Ev::DraftItemWithheld {
        item: "/records/applications/0".into(),
        ground: WithholdingGround::ThirdParty,
        reason: "x".to_string().into(),
    };
    given(vec![logged(RequestKind::Sar), drafted(), withheld])
        .when_async(by(
            information_officer(),
            withhold("/records/applications/0/personal", "y"),
        ))
        .await
        .then_expect_error(E::AlreadyWithheld);
    given(vec![logged(RequestKind::Sar), drafted()])
        .when_async(by(
            information_officer(),
            withhold("/records/applications/0", "  "),
        ))
        .await
        .then_expect_error_message("some values are not valid");
    given(vec![logged(RequestKind::Sar), drafted()])
        .when_async(by(information_officer(), withhold("/purposes/0", "x")))
        .await
        .then_expect_error_message("some values are not valid");
}

#[tokio::test]
async fn nothing_is_withheld_or_noted_without_a_draft_nor_drafted_for_a_decided_right() {
    given(vec![logged(RequestKind::Sar)])
        .when_async(by(information_officer(), withhold("/records/account", "x")))
        .await
        .then_expect_error(E::NoDraft);
    given(vec![logged(RequestKind::Sar)])
        .when_async(by(
            information_officer(),
            C::AnnotateDraft {
                note: "x".into(),
                held_elsewhere: String::new(),
            },
        ))
        .await
        .then_expect_error(E::NoDraft);
    given(vec![logged(RequestKind::Erasure)])
        .when_async(by(
            information_officer(),
            C::DraftResponse {
                response: serde_json::json!({}),
            },
        ))
        .await
        .then_expect_error_message("only an FOI, a subject access or a portability request is decided so; this is an erasure request");
}

#[tokio::test]
async fn an_issued_response_cannot_be_drafted_withheld_noted_or_issued_again() {
    let issued = Ev::ResponseIssued {
        issued_on: day(2),
        response: serde_json::json!({}).into(),
    };
    for command in [
        C::DraftResponse {
            response: serde_json::json!({}),
        },
        withhold("/records/account", "x"),
        C::AnnotateDraft {
            note: "x".into(),
            held_elsewhere: String::new(),
        },
        C::IssueResponse {
            response: serde_json::json!({}),
        },
    ] {
        given(vec![logged(RequestKind::Sar), drafted(), issued.clone()])
            .when_async(by(information_officer(), command))
            .await
            .then_expect_error(E::AlreadyAnswered);
    }
}

#[tokio::test]
async fn a_new_draft_starts_with_nothing_withheld() {
    let withheld = Ev::DraftItemWithheld {
        item: "/records/account".into(),
        ground: WithholdingGround::ThirdParty,
        reason: "x".to_string().into(),
    };
    given(vec![
        logged(RequestKind::Sar),
        drafted(),
        withheld,
        drafted(),
    ])
    .when_async(by(information_officer(), withhold("/records/account", "y")))
    .await
    .then_expect_events(vec![Ev::DraftItemWithheld {
        item: "/records/account".into(),
        ground: WithholdingGround::ThirdParty,
        reason: "y".to_string().into(),
    }]);
}
