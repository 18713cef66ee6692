//! Given/when/then tests of administering an award (issue 25; CONTRACT.md, Applications): the offer and its
//! reply or lapse, the award waiting for acceptance, the supervisor, the report schedule and reports, the
//! result, the completion on a day that has come, and progress reports shared only with the missions in the
//! scholar's home country.

mod common;

use chrono::NaiveDate;

use common::*;
use domain::application::award::{
    Offer, OfferState, ProgressRating, ProgressReport, QualificationResult, ReportSource,
    Supervisor, default_report_schedule,
};
use domain::application::rules::FieldProblem;
use domain::application::{
    ApplicationCommand as C, ApplicationError as E, ApplicationEvent as Ev, Status,
};
use domain::recipient::RecipientKind;
use domain::retention::RecordKind;
use domain::sharing::SharingRefusal;

const START: (i32, u32, u32) = (2026, 9, 28);

fn start() -> NaiveDate {
    date(START.0, START.1, START.2)
}

fn offer_made(reply_by: NaiveDate) -> Ev {
    Ev::OfferMade { reply_by }
}

fn award_made(level: &str) -> Ev {
    Ev::AwardMade {
        terms: award_terms(level, start()).into(),
        joint_sponsor_id: None,
    }
}

fn awarded() -> Vec<Ev> {
    with(selected(), [award_made("masters")])
}

fn report(period: &str, rating: ProgressRating, text: &str) -> ProgressReport {
    ProgressReport {
        period: period.to_string(),
        rating,
        text: text.to_string(),
    }
}

fn record_report(id: &str) -> C {
    C::RecordProgressReport {
        report_id: id.to_string(),
        source: ReportSource::Supervisor,
        report: report(
            "Autumn term 2026",
            ProgressRating::Good,
            "Steady test progress.",
        ),
    }
}

fn result() -> QualificationResult {
    QualificationResult {
        qualification: "MSc Test Policy".to_string(),
        result: "Distinction".to_string(),
        released_on: date(2027, 11, 1),
        released_by: "Test registry of Example University".to_string(),
    }
}

fn invalid(path: &str, problem: &str) -> E {
    E::Invalid {
        problems: vec![FieldProblem::new(path, problem)],
    }
}

// ---------------------------------------------------------------------------------------------------------
// The offer.
// ---------------------------------------------------------------------------------------------------------

#[tokio::test]
async fn an_offer_is_made_to_a_selected_applicant_with_a_reply_by_date() {
    given(selected())
        .when_async(on(
            date(2026, 6, 1),
            officer(),
            C::MakeOffer {
                reply_by: date(2026, 6, 15),
            },
        ))
        .await
        .then_expect_events(vec![offer_made(date(2026, 6, 15))]);
}

#[tokio::test]
async fn an_offer_is_made_once_only_to_a_selected_applicant_and_answered_after_today() {
    let make = |reply_by| on(date(2026, 6, 1), officer(), C::MakeOffer { reply_by });
    given(with(selected(), [offer_made(date(2026, 6, 15))]))
        .when_async(make(date(2026, 6, 20)))
        .await
        .then_expect_error(E::OfferAlreadyMade { state: "open" });
    given(selected())
        .when_async(make(date(2026, 6, 1)))
        .await
        .then_expect_error(invalid("reply_by", "the reply-by date must be after today"));
    given(awarded())
        .when_async(make(date(2026, 6, 15)))
        .await
        .then_expect_error(E::NotSelected {
            status: Status::Awarded,
        });
    given(selected())
        .when_async(on(
            date(2026, 6, 1),
            applicant(),
            C::MakeOffer {
                reply_by: date(2026, 6, 15),
            },
        ))
        .await
        .then_expect_error(E::Forbidden);
}

#[tokio::test]
async fn the_applicant_accepts_up_to_and_including_the_reply_by_date() {
    let offered = with(selected(), [offer_made(date(2026, 6, 15))]);
    given(offered.clone())
        .when_async(on(date(2026, 6, 15), applicant(), C::AcceptOffer))
        .await
        .then_expect_events(vec![Ev::OfferAccepted {
            on: date(2026, 6, 15),
        }]);
    given(offered)
        .when_async(on(date(2026, 6, 16), applicant(), C::AcceptOffer))
        .await
        .then_expect_error(E::NoOpenOffer {
            why: "the offer lapsed: it was not answered by its reply-by date",
        });
}

#[tokio::test]
async fn a_declined_offer_ends_the_application_unsuccessful_and_starts_its_retention() {
    let offered = with(selected(), [offer_made(date(2026, 6, 15))]);
    given(offered.clone())
        .when_async(on(date(2026, 6, 3), applicant(), C::DeclineOffer))
        .await
        .then_expect_events(vec![Ev::OfferDeclined {
            on: date(2026, 6, 3),
        }]);
    let declined = fold(&with(
        offered,
        [Ev::OfferDeclined {
            on: date(2026, 6, 3),
        }],
    ));
    assert_eq!(declined.status, Status::Unsuccessful);
    assert_eq!(
        RecordKind::of_application(declined.status),
        Some(RecordKind::UnsuccessfulApplication)
    );
    assert_eq!(
        declined.administration.offer,
        Some(Offer {
            reply_by: date(2026, 6, 15),
            state: OfferState::Declined
        })
    );
}

#[tokio::test]
async fn only_the_owner_answers_an_offer_and_only_an_open_one() {
    let offered = with(selected(), [offer_made(date(2026, 6, 15))]);
    given(offered.clone())
        .when_async(on(date(2026, 6, 3), other_applicant(), C::AcceptOffer))
        .await
        .then_expect_error(E::NotFound);
    given(offered.clone())
        .when_async(on(date(2026, 6, 3), officer(), C::AcceptOffer))
        .await
        .then_expect_error(E::Forbidden);
    given(selected())
        .when_async(on(date(2026, 6, 3), applicant(), C::AcceptOffer))
        .await
        .then_expect_error(E::NoOpenOffer {
            why: "no offer has been made",
        });
    given(with(
        offered,
        [Ev::OfferAccepted {
            on: date(2026, 6, 4),
        }],
    ))
    .when_async(on(date(2026, 6, 5), applicant(), C::DeclineOffer))
    .await
    .then_expect_error(E::NoOpenOffer {
        why: "the offer has already been accepted",
    });
}

#[tokio::test]
async fn an_unanswered_offer_lapses_the_day_after_its_reply_by_date_and_not_on_it() {
    let offered = with(selected(), [offer_made(date(2026, 6, 15))]);
    given(offered.clone())
        .when_async(on(
            date(2026, 6, 15),
            information_officer(),
            C::LapseOffer {
                on: date(2026, 6, 15),
            },
        ))
        .await
        .then_expect_error(E::NoOpenOffer {
            why: "the offer is still open: it lapses only the day after its reply-by date",
        });
    given(offered.clone())
        .when_async(on(
            date(2026, 6, 16),
            information_officer(),
            C::LapseOffer {
                on: date(2026, 6, 16),
            },
        ))
        .await
        .then_expect_events(vec![Ev::OfferLapsed {
            on: date(2026, 6, 16),
        }]);
    let lapsed = fold(&with(
        offered,
        [Ev::OfferLapsed {
            on: date(2026, 6, 16),
        }],
    ));
    assert_eq!(lapsed.status, Status::Unsuccessful);
    given(with(
        selected(),
        [
            offer_made(date(2026, 6, 15)),
            Ev::OfferAccepted {
                on: date(2026, 6, 2),
            },
        ],
    ))
    .when_async(on(
        date(2026, 6, 16),
        information_officer(),
        C::LapseOffer {
            on: date(2026, 6, 16),
        },
    ))
    .await
    .then_expect_error(E::NoOpenOffer {
        why: "the offer has already been accepted",
    });
}

#[tokio::test]
async fn an_award_waits_for_an_offer_made_in_the_system_to_be_accepted() {
    let make_award = || {
        on(
            date(2026, 6, 20),
            officer(),
            C::MakeAward {
                terms: award_terms("masters", start()),
                joint_sponsor_id: None,
            },
        )
    };
    let offered = with(selected(), [offer_made(date(2026, 6, 15))]);
    given(offered.clone())
        .when_async(make_award())
        .await
        .then_expect_error(E::OfferNotAccepted { state: "open" });
    given(with(
        offered,
        [Ev::OfferAccepted {
            on: date(2026, 6, 10),
        }],
    ))
    .when_async(make_award())
    .await
    .then_expect_events(vec![award_made("masters")]);
    // No offer in the system: it was accepted outside it, and the award follows selection directly.
    given(selected())
        .when_async(make_award())
        .await
        .then_expect_events(vec![award_made("masters")]);
}

// ---------------------------------------------------------------------------------------------------------
// The supervisor.
// ---------------------------------------------------------------------------------------------------------

fn supervisor(name: &str) -> Supervisor {
    Supervisor {
        name: name.to_string(),
        email: "supervisor1@example.test".to_string(),
        institution: "Example University".to_string(),
        department: "Test Department".to_string(),
    }
}

#[tokio::test]
async fn a_supervisor_is_recorded_and_changed_with_each_change_kept() {
    given(awarded())
        .when_async(on(
            date(2026, 10, 1),
            officer(),
            C::RecordSupervisor {
                supervisor: supervisor("Test Supervisor One"),
            },
        ))
        .await
        .then_expect_events(vec![Ev::SupervisorRecorded {
            supervisor: supervisor("Test Supervisor One").into(),
        }]);
    let recorded = with(
        awarded(),
        [Ev::SupervisorRecorded {
            supervisor: supervisor("Test Supervisor One").into(),
        }],
    );
    given(recorded.clone())
        .when_async(on(
            date(2026, 10, 2),
            officer(),
            C::RecordSupervisor {
                supervisor: supervisor("Test Supervisor One"),
            },
        ))
        .await
        .then_expect_events(vec![]);
    given(recorded)
        .when_async(on(
            date(2026, 10, 2),
            officer(),
            C::RecordSupervisor {
                supervisor: supervisor("Test Supervisor Two"),
            },
        ))
        .await
        .then_expect_events(vec![Ev::SupervisorRecorded {
            supervisor: supervisor("Test Supervisor Two").into(),
        }]);
}

#[tokio::test]
async fn a_supervisor_needs_every_detail_a_real_email_and_an_award() {
    let blank = Supervisor {
        name: " ".to_string(),
        email: "not an email".to_string(),
        institution: String::new(),
        department: "Test Department".to_string(),
    };
    let refused = given(awarded())
        .when_async(on(
            date(2026, 10, 1),
            officer(),
            C::RecordSupervisor { supervisor: blank },
        ))
        .await
        .inspect_result();
    let Err(E::Invalid { problems }) = refused else {
        panic!("expected the details refused, got {refused:?}");
    };
    let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(paths, ["name", "email", "institution"]);
    given(selected())
        .when_async(on(
            date(2026, 10, 1),
            officer(),
            C::RecordSupervisor {
                supervisor: supervisor("Test Supervisor One"),
            },
        ))
        .await
        .then_expect_error(E::NotAwarded {
            status: Status::Selected,
        });
}

// ---------------------------------------------------------------------------------------------------------
// Reports: the schedule, the reports, and what is outstanding.
// ---------------------------------------------------------------------------------------------------------

#[test]
fn reports_fall_due_termly_to_the_end_of_the_course_by_default() {
    assert_eq!(
        default_report_schedule(&award_terms("masters", start())),
        vec![date(2027, 1, 28), date(2027, 5, 28), date(2027, 9, 28)]
    );
    let doctorate = default_report_schedule(&award_terms("PhD", start()));
    assert_eq!(doctorate.len(), 9);
    assert_eq!(doctorate.last(), Some(&date(2029, 9, 28)));
}

#[tokio::test]
async fn the_officer_sets_the_report_dates_of_an_award() {
    given(awarded())
        .when_async(on(
            date(2026, 10, 1),
            officer(),
            C::SetReportSchedule {
                due: vec![date(2027, 3, 1), date(2026, 12, 1), date(2027, 3, 1)],
            },
        ))
        .await
        .then_expect_events(vec![Ev::ReportScheduleSet {
            due: vec![date(2026, 12, 1), date(2027, 3, 1)],
        }]);
    given(awarded())
        .when_async(on(
            date(2026, 10, 1),
            officer(),
            C::SetReportSchedule { due: vec![] },
        ))
        .await
        .then_expect_error(invalid("due", "give at least one date a report is due"));
    given(awarded())
        .when_async(on(
            date(2026, 10, 1),
            officer(),
            C::SetReportSchedule {
                due: vec![date(2026, 9, 1)],
            },
        ))
        .await
        .then_expect_error(invalid(
            "due",
            "a report cannot fall due before the study starts",
        ));
}

#[tokio::test]
async fn a_report_answers_the_earliest_date_still_outstanding() {
    given(awarded())
        .when_async(on(date(2027, 2, 2), officer(), record_report("report-1")))
        .await
        .then_expect_events(vec![Ev::ProgressReportRecorded {
            report_id: "report-1".to_string(),
            source: ReportSource::Supervisor,
            due_on: Some(date(2027, 1, 28)),
            report: report(
                "Autumn term 2026",
                ProgressRating::Good,
                "Steady test progress.",
            )
            .into(),
        }]);
    let one_in = with(
        awarded(),
        [Ev::ProgressReportRecorded {
            report_id: "report-1".to_string(),
            source: ReportSource::Supervisor,
            due_on: Some(date(2027, 1, 28)),
            report: report(
                "Autumn term 2026",
                ProgressRating::Good,
                "Steady test progress.",
            )
            .into(),
        }],
    );
    let application = fold(&one_in);
    assert_eq!(
        application
            .administration
            .outstanding(application.award.as_ref()),
        vec![date(2027, 5, 28), date(2027, 9, 28)]
    );
    // The same report sent again (its answer lost) records nothing more.
    given(one_in.clone())
        .when_async(on(date(2027, 2, 3), officer(), record_report("report-1")))
        .await
        .then_expect_events(vec![]);
    let second = given(one_in)
        .when_async(on(date(2027, 6, 1), officer(), record_report("report-2")))
        .await
        .inspect_result()
        .expect("the second report is recorded");
    assert!(matches!(
        &second[..],
        [Ev::ProgressReportRecorded { due_on: Some(due), .. }] if *due == date(2027, 5, 28)
    ));
}

#[tokio::test]
async fn a_report_needs_its_period_and_text_and_an_award() {
    let refused = given(awarded())
        .when_async(on(
            date(2027, 2, 2),
            officer(),
            C::RecordProgressReport {
                report_id: "report-1".to_string(),
                source: ReportSource::Scholar,
                report: report("", ProgressRating::Concern, "   "),
            },
        ))
        .await
        .inspect_result();
    let Err(E::Invalid { problems }) = refused else {
        panic!("expected the report refused, got {refused:?}");
    };
    let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(paths, ["period", "text"]);
    given(selected())
        .when_async(on(date(2027, 2, 2), officer(), record_report("report-1")))
        .await
        .then_expect_error(E::NotAwarded {
            status: Status::Selected,
        });
    let restricted = with(
        awarded(),
        [Ev::ProcessingRestricted {
            request_id: None,
            reason: "a test restriction".to_string().into(),
        }],
    );
    given(restricted)
        .when_async(on(date(2027, 2, 2), officer(), record_report("report-1")))
        .await
        .then_expect_error(E::Restricted {
            action: "record a progress report on",
        });
}

#[tokio::test]
async fn a_report_reminder_is_recorded_once_per_due_date_and_only_for_a_report_outstanding() {
    // Termly for a masters course started on 28 September 2026: the first report is due on 28 January 2027.
    let due = default_report_schedule(&award_terms("masters", start()))[0];
    let remind = |due_on| C::RecordReportReminder {
        due_on,
        sent_to: vec!["supervisor".to_string(), "programme_office".to_string()],
    };
    given(awarded())
        .when_async(on(due, officer(), remind(due)))
        .await
        .then_expect_events(vec![Ev::ReportReminderSent {
            due_on: due,
            sent_to: vec!["programme_office".to_string(), "supervisor".to_string()],
        }]);
    let reminded = with(
        awarded(),
        [Ev::ReportReminderSent {
            due_on: due,
            sent_to: vec!["supervisor".to_string()],
        }],
    );
    given(reminded)
        .when_async(on(due, officer(), remind(due)))
        .await
        .then_expect_events(vec![]);
    given(awarded())
        .when_async(on(due, officer(), remind(date(2027, 1, 1))))
        .await
        .then_expect_error(invalid("due_on", "no report is outstanding on that date"));
    given(awarded())
        .when_async(on(
            due,
            officer(),
            C::RecordReportReminder {
                due_on: due,
                sent_to: vec!["the scholar".to_string()],
            },
        ))
        .await
        .then_expect_error(invalid("sent_to", "give supervisor or programme_office"));
    given(selected())
        .when_async(on(due, officer(), remind(due)))
        .await
        .then_expect_error(E::NotAwarded {
            status: Status::Selected,
        });
}

// ---------------------------------------------------------------------------------------------------------
// The result and the completion.
// ---------------------------------------------------------------------------------------------------------

#[tokio::test]
async fn the_institutions_result_is_recorded_once_released() {
    given(awarded())
        .when_async(on(
            date(2027, 11, 2),
            officer(),
            C::RecordResult { result: result() },
        ))
        .await
        .then_expect_events(vec![Ev::ResultReleased {
            result: result().into(),
        }]);
    given(awarded())
        .when_async(on(
            date(2027, 10, 31),
            officer(),
            C::RecordResult { result: result() },
        ))
        .await
        .then_expect_error(invalid(
            "released_on",
            "the date the result was released must be today or in the past",
        ));
}

#[tokio::test]
async fn studies_are_completed_on_a_day_that_has_come_with_the_outcome_from_the_result() {
    let complete = |day, outcome: &str, completed_on| {
        on(
            day,
            officer(),
            C::CompleteAward {
                outcome: outcome.to_string(),
                completed_on,
            },
        )
    };
    given(awarded())
        .when_async(complete(date(2027, 9, 30), "Merit", date(2027, 10, 1)))
        .await
        .then_expect_error(invalid(
            "completed_on",
            "the studies must have been completed: the date must be today or in the past",
        ));
    given(awarded())
        .when_async(complete(date(2027, 9, 30), "Merit", date(2027, 9, 30)))
        .await
        .then_expect_events(vec![Ev::AwardCompleted {
            completed_on: date(2027, 9, 30),
            outcome: "Merit".to_string().into(),
        }]);
    given(with(
        awarded(),
        [Ev::ResultReleased {
            result: result().into(),
        }],
    ))
    .when_async(complete(date(2027, 11, 5), " ", date(2027, 11, 1)))
    .await
    .then_expect_events(vec![Ev::AwardCompleted {
        completed_on: date(2027, 11, 1),
        outcome: "MSc Test Policy: Distinction".to_string().into(),
    }]);
    given(awarded())
        .when_async(complete(date(2027, 11, 5), "", date(2027, 11, 1)))
        .await
        .then_expect_error(invalid(
            "outcome",
            "enter the outcome, or record the result the institution released first",
        ));
}

// ---------------------------------------------------------------------------------------------------------
// What may be shared of the reports.
// ---------------------------------------------------------------------------------------------------------

fn disclose_reports(to: domain::sharing::RecipientFacts) -> C {
    C::DiscloseData {
        disclosure_id: "disclosure-1".to_string(),
        recipient: to,
        purpose: "progress update for the test scholar's home mission".to_string(),
        fields: vec!["progress_reports".to_string()],
    }
}

fn with_a_report() -> Vec<Ev> {
    with(
        awarded(),
        [Ev::ProgressReportRecorded {
            report_id: "report-1".to_string(),
            source: ReportSource::Supervisor,
            due_on: Some(date(2027, 1, 28)),
            report: report(
                "Autumn term 2026",
                ProgressRating::Good,
                "Steady test progress.",
            )
            .into(),
        }],
    )
}

#[tokio::test]
async fn progress_reports_go_to_the_british_mission_and_the_study_countrys_embassy_in_the_home_country()
 {
    for kind in [
        RecipientKind::BritishMission,
        RecipientKind::StudyCountryEmbassy,
    ] {
        let events = given(with_a_report())
            .when_async(on(
                date(2027, 2, 10),
                officer(),
                disclose_reports(recipient("recipient-1", kind, "Kenya")),
            ))
            .await
            .inspect_result()
            .expect("the disclosure is decided");
        let [Ev::DataDisclosed { fields, values, .. }] = &events[..] else {
            panic!("expected the reports disclosed to {kind:?}, got {events:?}");
        };
        assert_eq!(fields, &["progress_reports"]);
        let sent = values.known().expect("the values sent are kept");
        assert_eq!(
            sent["progress_reports"],
            "Autumn term 2026 (Good, from the academic supervisor): Steady test progress."
        );
    }
}

#[tokio::test]
async fn progress_reports_are_refused_to_anyone_else_with_the_reason() {
    let cases = [
        (
            recipient("recipient-2", RecipientKind::JointSponsor, "United Kingdom"),
            SharingRefusal::ProgressReportsNotFor {
                kind: RecipientKind::JointSponsor.describe().to_string(),
            }
            .to_string(),
        ),
        (
            recipient("recipient-3", RecipientKind::HomeCountryMission, "Ghana"),
            SharingRefusal::ProgressReportsNotFor {
                kind: RecipientKind::HomeCountryMission.describe().to_string(),
            }
            .to_string(),
        ),
        // The British mission of another country: the rule of its kind refuses it.
        (
            recipient("recipient-4", RecipientKind::BritishMission, "Uganda"),
            SharingRefusal::MissionNotInCountryOfResidence {
                kind: RecipientKind::BritishMission.describe().to_string(),
                country: "Uganda".to_string(),
                residence: "Kenya".to_string(),
            }
            .to_string(),
        ),
    ];
    for (to, why) in cases {
        let events = given(with_a_report())
            .when_async(on(
                date(2027, 2, 10),
                officer(),
                disclose_reports(to.clone()),
            ))
            .await
            .inspect_result()
            .expect("the refusal is recorded");
        let [Ev::DisclosureRefused { reason, .. }] = &events[..] else {
            panic!(
                "expected the reports refused to {:?}, got {events:?}",
                to.kind
            );
        };
        assert_eq!(reason, &why);
    }
}

#[tokio::test]
async fn a_joint_sponsor_still_receives_other_fields_of_its_own_scholar() {
    let sponsor = recipient("recipient-5", RecipientKind::JointSponsor, "United Kingdom");
    let mut history = with_a_report();
    history[6] = Ev::AwardMade {
        terms: award_terms("masters", start()).into(),
        joint_sponsor_id: Some("recipient-5".to_string()),
    };
    let events = given(history)
        .when_async(on(
            date(2027, 2, 10),
            officer(),
            C::DiscloseData {
                disclosure_id: "disclosure-1".to_string(),
                recipient: sponsor,
                purpose: "sponsor's test report".to_string(),
                fields: vec!["award.course".to_string()],
            },
        ))
        .await
        .inspect_result()
        .expect("decided");
    assert!(
        matches!(&events[..], [Ev::DataDisclosed { .. }]),
        "{events:?}"
    );
}

#[test]
fn destroying_the_personal_data_forgets_the_supervisor_the_reports_text_and_the_result() {
    let history = with(
        with_a_report(),
        [
            Ev::SupervisorRecorded {
                supervisor: supervisor("Test Supervisor One").into(),
            },
            Ev::ResultReleased {
                result: result().into(),
            },
            Ev::PersonalDataDestroyed {
                rule: RecordKind::ErasedOnRequest,
                destroyed_on: date(2028, 1, 1),
            },
        ],
    );
    let application = fold(&history);
    assert_eq!(application.administration.supervisor, None);
    assert_eq!(application.administration.result, None);
    assert_eq!(application.administration.reports.len(), 1);
    assert_eq!(application.administration.reports[0].report, None);
}
