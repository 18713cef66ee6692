//! Given/when/then tests of the outcome letters on the `Application` aggregate: a letter tells of the outcome
//! recorded and of no other (`letter_fits_outcome`), once; its email is recorded only for a letter issued; and
//! only a programme officer's part of the case may issue them.

mod common;

use common::*;
use domain::application::aggregate::Outcome;
use domain::application::events::AwardTerms;
use domain::application::rules::letter_fits_outcome;
use domain::application::{
    ApplicationCommand as C, ApplicationError as E, ApplicationEvent as Ev, LetterKind, Status,
};
use domain::personal::Personal;
use domain::{Actor, Authored, Role};

/// The commands of these tests are issued on the 1st of June 2026, after the decisions.
fn by(actor: Actor, command: C) -> Authored<C> {
    on(date(2026, 6, 1), actor, command)
}

/// The events of an application taken to the committee's review.
fn under_review() -> Vec<Ev> {
    vec![
        Ev::ApplicationStarted {
            cycle: cycle(),
            applicant_id: APPLICANT.to_string(),
        },
        Ev::ApplicationSubmitted {
            submitted_at: now(),
        },
        Ev::EligibilityDetermined {
            eligible: true,
            reason: "meets the rules".to_string().into(),
        },
        Ev::CommitteeMemberAssigned {
            member_id: MEMBER.to_string(),
        },
    ]
}

fn decided(outcome: Outcome) -> Vec<Ev> {
    let mut events = under_review();
    events.push(Ev::DecisionRecorded {
        outcome,
        reserve_position: None,
    });
    events
}

fn awarded() -> Vec<Ev> {
    let mut events = decided(Outcome::Selected);
    events.push(Ev::AwardMade {
        terms: AwardTerms {
            institution: "Test Institute".to_string(),
            course: "MSc Test Studies".to_string(),
            level: "masters".to_string(),
            start_date: date(2027, 9, 20),
            country: None,
        }
        .into(),
        joint_sponsor_id: None,
    });
    events
}

fn issue(kind: LetterKind) -> C {
    C::IssueLetter {
        letter_id: "letter-1".to_string(),
        kind,
        subject: "  EtP Scholarships 2026-27: a test letter  ".to_string(),
        body: "<p>Dear Test Applicant,</p>".to_string(),
        by_email: true,
    }
}

fn issued(kind: LetterKind) -> Ev {
    Ev::LetterIssued {
        letter_id: "letter-1".to_string(),
        kind,
        subject: Personal::Known("EtP Scholarships 2026-27: a test letter".to_string()),
        body: Personal::Known("<p>Dear Test Applicant,</p>".to_string()),
        by_email: true,
    }
}

#[test]
fn each_letter_fits_the_one_outcome_it_tells_of() {
    for kind in LetterKind::ALL {
        for status in Status::ALL {
            let fits = letter_fits_outcome(kind, status).is_ok();
            let expected = matches!(
                (kind, status),
                (LetterKind::Selected, Status::Selected)
                    | (LetterKind::Reserve, Status::Reserve)
                    | (LetterKind::Unsuccessful, Status::Unsuccessful)
                    | (LetterKind::Award, Status::Awarded)
                    | (
                        LetterKind::Offer | LetterKind::OfferAccepted,
                        Status::Selected
                    )
                    | (LetterKind::OfferLapsed, Status::Unsuccessful)
            );
            assert_eq!(fits, expected, "a {kind} letter while {status}");
        }
    }
}

#[test]
fn a_decision_and_an_award_are_each_owed_a_letter_and_nothing_else_is() {
    for (outcome, kind) in [
        (Outcome::Selected, LetterKind::Selected),
        (Outcome::Reserve, LetterKind::Reserve),
        (Outcome::Unsuccessful, LetterKind::Unsuccessful),
    ] {
        assert_eq!(
            LetterKind::due_after(&C::RecordDecision {
                outcome,
                reserve_position: None,
            }),
            Some(kind)
        );
    }
    let award = C::MakeAward {
        terms: AwardTerms {
            institution: "Test Institute".to_string(),
            course: "MSc Test Studies".to_string(),
            level: "masters".to_string(),
            start_date: date(2027, 9, 20),
            country: None,
        },
        joint_sponsor_id: None,
    };
    assert_eq!(LetterKind::due_after(&award), Some(LetterKind::Award));
    let offer = C::MakeOffer {
        reply_by: date(2027, 3, 1),
    };
    assert_eq!(LetterKind::due_after(&offer), Some(LetterKind::Offer));
    assert_eq!(
        LetterKind::due_after(&C::AcceptOffer),
        Some(LetterKind::OfferAccepted)
    );
    let lapse = C::LapseOffer {
        on: date(2027, 3, 2),
    };
    assert_eq!(LetterKind::due_after(&lapse), Some(LetterKind::OfferLapsed));
    assert_eq!(LetterKind::due_after(&C::DeclineOffer), None);
    assert_eq!(
        LetterKind::due_after(&C::SubmitApplication { notice: None }),
        None
    );
    for kind in LetterKind::ALL {
        assert_eq!(LetterKind::parse(kind.as_str()), Some(kind));
    }
}

#[test]
fn the_letter_of_each_outcome_is_issued_with_its_subject_trimmed() {
    for (events, kind) in [
        (decided(Outcome::Selected), LetterKind::Selected),
        (decided(Outcome::Reserve), LetterKind::Reserve),
        (decided(Outcome::Unsuccessful), LetterKind::Unsuccessful),
        (awarded(), LetterKind::Award),
    ] {
        given(events)
            .when(by(officer(), issue(kind)))
            .then_expect_events(vec![issued(kind)]);
    }
}

#[test]
fn a_letter_that_does_not_fit_the_outcome_is_refused_by_name() {
    for (events, kind, status) in [
        (
            decided(Outcome::Reserve),
            LetterKind::Selected,
            Status::Reserve,
        ),
        (
            decided(Outcome::Unsuccessful),
            LetterKind::Award,
            Status::Unsuccessful,
        ),
        (
            decided(Outcome::Selected),
            LetterKind::Award,
            Status::Selected,
        ),
        (awarded(), LetterKind::Selected, Status::Awarded),
        (
            under_review(),
            LetterKind::Unsuccessful,
            Status::UnderReview,
        ),
    ] {
        given(events)
            .when(by(officer(), issue(kind)))
            .then_expect_error(E::LetterDoesNotFit { kind, status });
    }
    let message = E::LetterDoesNotFit {
        kind: LetterKind::Award,
        status: Status::Reserve,
    }
    .to_string();
    assert_eq!(
        message,
        "the award letter does not fit an application that is reserve: a letter tells of the outcome recorded"
    );
}

#[test]
fn the_same_letter_is_issued_once() {
    let mut events = decided(Outcome::Reserve);
    events.push(issued(LetterKind::Reserve));
    given(events)
        .when(by(officer(), issue(LetterKind::Reserve)))
        .then_expect_events(vec![]);
}

#[test]
fn a_letter_without_a_subject_or_a_body_is_refused() {
    let command = C::IssueLetter {
        letter_id: "letter-1".to_string(),
        kind: LetterKind::Reserve,
        subject: "  ".to_string(),
        body: String::new(),
        by_email: false,
    };
    let result = given(decided(Outcome::Reserve))
        .when(by(officer(), command))
        .inspect_result();
    match result {
        Err(E::Invalid { problems }) => {
            let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
            assert_eq!(paths, ["subject", "body"]);
        }
        other => panic!("refused as invalid, not {other:?}"),
    }
}

/// Programme officers issue the letters of their decisions; the retention sweep, which acts as an information
/// officer, issues the letter of an application its cycle's conclusion ended. No one else does.
#[test]
fn only_a_programme_officer_or_the_retention_sweep_issues_a_letter_or_records_its_email() {
    given(decided(Outcome::Reserve))
        .when(by(
            Actor::new("retention-sweep", Role::InformationOfficer),
            issue(LetterKind::Reserve),
        ))
        .then_expect_events(vec![issued(LetterKind::Reserve)]);
    for role in [
        Role::Applicant,
        Role::Helpdesk,
        Role::CommitteeMember,
        Role::Admin,
    ] {
        let someone = Actor::new(
            if role == Role::Applicant {
                APPLICANT
            } else {
                "staff-1"
            },
            role,
        );
        given(decided(Outcome::Reserve))
            .when(by(someone.clone(), issue(LetterKind::Reserve)))
            .then_expect_error(E::Forbidden);
        let mut events = decided(Outcome::Reserve);
        events.push(issued(LetterKind::Reserve));
        given(events)
            .when(by(
                someone,
                C::RecordLetterEmailed {
                    letter_id: "letter-1".to_string(),
                },
            ))
            .then_expect_error(E::Forbidden);
    }
}

#[test]
fn the_email_of_a_letter_is_recorded_sent_or_failed_and_only_for_a_letter_issued() {
    let mut events = decided(Outcome::Reserve);
    events.push(issued(LetterKind::Reserve));
    given(events.clone())
        .when(by(
            officer(),
            C::RecordLetterEmailed {
                letter_id: "letter-1".to_string(),
            },
        ))
        .then_expect_events(vec![Ev::LetterEmailed {
            letter_id: "letter-1".to_string(),
        }]);
    given(events)
        .when(by(
            officer(),
            C::RecordLetterEmailFailed {
                letter_id: "letter-1".to_string(),
                reason: " the mail server could not be reached ".to_string(),
            },
        ))
        .then_expect_events(vec![Ev::LetterEmailFailed {
            letter_id: "letter-1".to_string(),
            reason: "the mail server could not be reached".to_string(),
        }]);
    given(decided(Outcome::Reserve))
        .when(by(
            officer(),
            C::RecordLetterEmailed {
                letter_id: "letter-2".to_string(),
            },
        ))
        .then_expect_error(E::NoSuchLetter);
}

#[test]
fn nothing_is_issued_on_a_destroyed_application() {
    let mut events = decided(Outcome::Unsuccessful);
    events.push(issued(LetterKind::Unsuccessful));
    events.push(Ev::PersonalDataDestroyed {
        rule: domain::retention::RecordKind::UnsuccessfulApplication,
        destroyed_on: date(2028, 6, 1),
    });
    given(events)
        .when(by(
            officer(),
            C::IssueLetter {
                letter_id: "letter-2".to_string(),
                kind: LetterKind::Unsuccessful,
                subject: "Test".to_string(),
                body: "<p>Test</p>".to_string(),
                by_email: false,
            },
        ))
        .then_expect_error(E::Destroyed);
}
