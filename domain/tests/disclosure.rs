//! Given/when/then tests of sharing in the `Application` aggregate (SPEC.md, Sharing; CONTRACT.md, Sharing):
//! a programme officer discloses chosen fields to a registered recipient the policy allows, a disclosure
//! the policy does not allow is refused and the refusal recorded, and when personal data that was
//! disclosed is amended, every recipient who holds the old value is due a rectification notice.

mod common;

use std::collections::BTreeMap;

use common::*;
use domain::application::aggregate::{DISCLOSABLE_FIELDS, Outcome};
use domain::application::events::{AwardTerms, FieldChange};
use domain::application::form::{DraftChanges, PersonalField};
use domain::application::rules::FieldProblem;
use domain::application::{
    ApplicationCommand as C, ApplicationError as E, ApplicationEvent as Ev, Status,
};
use domain::recipient::RecipientKind;
use domain::retention::RecordKind;
use domain::sharing::RecipientFacts;
use domain::{Actor, Role};

// ---------------------------------------------------------------------------------------------------------
// Fixtures: people, recipients, the clock and the form of a test applicant who lives in Kenya and is a
// national of Ghana.
// ---------------------------------------------------------------------------------------------------------

const DISCLOSURE: &str = "disclosure-1";
const PURPOSE: &str = "visa support letter for the test scholar";

const BRITISH_MISSION: &str = "recipient-1";
const STUDY_EMBASSY: &str = "recipient-2";
const HOME_MISSION: &str = "recipient-3";
const SPONSOR: &str = "recipient-4";
const OTHER_SPONSOR: &str = "recipient-5";
const BRITISH_MISSION_ELSEWHERE: &str = "recipient-6";
const HOME_MISSION_ELSEWHERE: &str = "recipient-7";
const STUDY_EMBASSY_ELSEWHERE: &str = "recipient-8";

fn facts(id: &str, name: &str, kind: RecipientKind, country_name: &str) -> RecipientFacts {
    RecipientFacts {
        id: id.to_string(),
        name: name.to_string(),
        kind,
        country: country(country_name),
        // What each kind must say of itself, here the United Kingdom, the test person's country of study.
        represents: (kind == RecipientKind::StudyCountryEmbassy).then(|| country("United Kingdom")),
        located_in: (kind == RecipientKind::HomeCountryMission).then(|| country("United Kingdom")),
    }
}

/// The British High Commission in Kenya, where the applicant lives.
fn british_mission() -> RecipientFacts {
    facts(
        BRITISH_MISSION,
        "Test British High Commission, Kenya",
        RecipientKind::BritishMission,
        "Kenya",
    )
}

/// The embassy of the country of study (the United Kingdom), located in Kenya.
fn study_embassy() -> RecipientFacts {
    RecipientFacts {
        represents: Some(country("United Kingdom")),
        ..facts(
            STUDY_EMBASSY,
            "Test Embassy of the Country of Study, Kenya",
            RecipientKind::StudyCountryEmbassy,
            "Kenya",
        )
    }
}

/// Ghana's High Commission in the country of study (the United Kingdom): Ghana is the applicant's
/// nationality.
fn home_mission() -> RecipientFacts {
    RecipientFacts {
        located_in: Some(country("United Kingdom")),
        ..facts(
            HOME_MISSION,
            "Test High Commission of Ghana",
            RecipientKind::HomeCountryMission,
            "Ghana",
        )
    }
}

fn sponsor() -> RecipientFacts {
    facts(
        SPONSOR,
        "Test Sponsor Foundation",
        RecipientKind::JointSponsor,
        "United Kingdom",
    )
}

fn other_sponsor() -> RecipientFacts {
    facts(
        OTHER_SPONSOR,
        "Other Test Sponsor Trust",
        RecipientKind::JointSponsor,
        "United Kingdom",
    )
}

/// The British High Commission in Ghana, where the applicant does not live.
fn british_mission_elsewhere() -> RecipientFacts {
    facts(
        BRITISH_MISSION_ELSEWHERE,
        "Test British High Commission, Ghana",
        RecipientKind::BritishMission,
        "Ghana",
    )
}

/// Kenya's High Commission: Kenya is where the applicant lives, not their nationality.
fn home_mission_elsewhere() -> RecipientFacts {
    facts(
        HOME_MISSION_ELSEWHERE,
        "Test High Commission of Kenya",
        RecipientKind::HomeCountryMission,
        "Kenya",
    )
}

fn study_embassy_elsewhere() -> RecipientFacts {
    facts(
        STUDY_EMBASSY_ELSEWHERE,
        "Test Embassy of the Country of Study, Uganda",
        RecipientKind::StudyCountryEmbassy,
        "Uganda",
    )
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|value| value.to_string()).collect()
}

/// The personal details and course choices of the test applicant, in canonical form. (Only what the
/// disclosure rules read: the histories below are given, not checked for completeness.)
fn form_changes() -> DraftChanges {
    DraftChanges {
        personal: personal(&[
            (PersonalField::FullName, Some("Test Applicant One")),
            (PersonalField::DateOfBirth, Some("1995-04-12")),
            (PersonalField::Email, Some("applicant1@example.test")),
            (PersonalField::Phone, Some("+000 0000 0001")),
            (PersonalField::Address, Some("1 Test Street, Testville")),
            (PersonalField::Nationality, Some("Ghana")),
            (PersonalField::CountryOfResidence, Some("Kenya")),
        ]),
        courses: Some(vec![
            course("Example University", "MSc Test Policy", "masters"),
            course("Sample Institute", "MA Test Studies", "masters"),
        ]),
        ..DraftChanges::default()
    }
}

// ---------------------------------------------------------------------------------------------------------
// Events and histories.
// ---------------------------------------------------------------------------------------------------------

fn started() -> Ev {
    Ev::ApplicationStarted {
        cycle: cycle(),
        applicant_id: APPLICANT.to_string(),
    }
}

fn saved(changes: DraftChanges) -> Ev {
    Ev::DraftSaved {
        sections: changes.sections(),
        changes: changes.into(),
    }
}

fn submitted_event() -> Ev {
    Ev::ApplicationSubmitted {
        submitted_at: now() - chrono::Duration::days(10),
    }
}

fn award_made(joint_sponsor_id: Option<&str>) -> Ev {
    Ev::AwardMade {
        terms: award_terms("masters", date(2026, 9, 28)).into(),
        joint_sponsor_id: joint_sponsor_id.map(str::to_string),
    }
}

fn draft() -> Vec<Ev> {
    vec![started(), saved(form_changes())]
}
fn submitted() -> Vec<Ev> {
    with(draft(), [submitted_event()])
}
fn eligible() -> Vec<Ev> {
    with(
        submitted(),
        [Ev::EligibilityDetermined {
            eligible: true,
            reason: "checked against the test criteria".to_string().into(),
        }],
    )
}
fn ineligible() -> Vec<Ev> {
    with(
        submitted(),
        [Ev::EligibilityDetermined {
            eligible: false,
            reason: "checked against the test criteria".to_string().into(),
        }],
    )
}
fn under_review() -> Vec<Ev> {
    with(
        eligible(),
        [Ev::CommitteeMemberAssigned {
            member_id: "member-1".to_string(),
        }],
    )
}
fn decided(outcome: Outcome) -> Vec<Ev> {
    with(
        under_review(),
        [Ev::DecisionRecorded {
            outcome,
            reserve_position: None,
        }],
    )
}
fn selected() -> Vec<Ev> {
    decided(Outcome::Selected)
}
fn awarded() -> Vec<Ev> {
    with(selected(), [award_made(None)])
}
fn awarded_with_sponsor(joint_sponsor_id: &str) -> Vec<Ev> {
    with(selected(), [award_made(Some(joint_sponsor_id))])
}
fn alumni_of(history: Vec<Ev>) -> Vec<Ev> {
    with(
        history,
        [Ev::AwardCompleted {
            completed_on: date(2027, 9, 30),
            outcome: "Merit".to_string().into(),
        }],
    )
}
fn withdrawn_draft() -> Vec<Ev> {
    with(
        draft(),
        [Ev::ApplicationWithdrawn {
            previous_status: Status::Draft,
        }],
    )
}
fn withdrawn_after_submission() -> Vec<Ev> {
    with(
        submitted(),
        [Ev::ApplicationWithdrawn {
            previous_status: Status::Submitted,
        }],
    )
}

/// A history that leaves the application in each status a disclosure may be made in.
fn history_in(status: Status) -> Vec<Ev> {
    match status {
        Status::Submitted => submitted(),
        Status::Eligible => eligible(),
        Status::Ineligible => ineligible(),
        Status::UnderReview => under_review(),
        Status::Selected => selected(),
        Status::Reserve => decided(Outcome::Reserve),
        Status::Unsuccessful => decided(Outcome::Unsuccessful),
        Status::Awarded => awarded(),
        Status::Alumni => alumni_of(awarded()),
        other => panic!("no disclosure history for {other:?}"),
    }
}

const STATUSES_AFTER_SUBMISSION: [Status; 9] = [
    Status::Submitted,
    Status::Eligible,
    Status::Ineligible,
    Status::UnderReview,
    Status::Selected,
    Status::Reserve,
    Status::Unsuccessful,
    Status::Awarded,
    Status::Alumni,
];

fn disclose_to(recipient: RecipientFacts, fields: &[&str], purpose: &str) -> C {
    C::DiscloseData {
        disclosure_id: DISCLOSURE.to_string(),
        recipient,
        purpose: purpose.to_string(),
        fields: strings(fields),
    }
}

fn disclose(recipient: RecipientFacts, fields: &[&str]) -> C {
    disclose_to(recipient, fields, PURPOSE)
}

fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(field, value)| (field.to_string(), value.to_string()))
        .collect()
}

fn disclosed_as(
    disclosure_id: &str,
    recipient: &RecipientFacts,
    sent: &[(&str, &str)],
    purpose: &str,
) -> Ev {
    Ev::DataDisclosed {
        disclosure_id: disclosure_id.to_string(),
        recipient_id: recipient.id.clone(),
        recipient_name: recipient.name.clone(),
        recipient_kind: recipient.kind,
        fields: sent.iter().map(|(field, _)| field.to_string()).collect(),
        purpose: purpose.to_string().into(),
        values: values(sent).into(),
    }
}

/// The disclosure of `DISCLOSURE` to a recipient: the fields in the order sent, each with its value.
fn disclosed(recipient: &RecipientFacts, sent: &[(&str, &str)]) -> Ev {
    disclosed_as(DISCLOSURE, recipient, sent, PURPOSE)
}

fn refused(recipient: &RecipientFacts, fields: &[&str], reason: &str) -> Ev {
    Ev::DisclosureRefused {
        disclosure_id: DISCLOSURE.to_string(),
        recipient_id: recipient.id.clone(),
        recipient_name: recipient.name.clone(),
        recipient_kind: recipient.kind,
        fields: strings(fields),
        purpose: PURPOSE.to_string().into(),
        reason: reason.to_string(),
    }
}

fn notice_due(recipient: &RecipientFacts, fields: &[&str]) -> Ev {
    Ev::RectificationNoticeDue {
        recipient_id: recipient.id.clone(),
        recipient_name: recipient.name.clone(),
        fields: strings(fields),
    }
}

fn notice_sent(recipient: &RecipientFacts) -> Ev {
    Ev::RectificationNoticeSent {
        recipient_id: recipient.id.clone(),
    }
}

fn mark_notice_sent(recipient: &RecipientFacts) -> C {
    C::MarkRectificationNoticeSent {
        recipient_id: recipient.id.clone(),
    }
}

fn amend(changes: &[(&str, &str)]) -> C {
    C::AmendPersonalData {
        changes: changes
            .iter()
            .map(|(path, value)| (path.to_string(), value.to_string()))
            .collect(),
        reason: "the test applicant asked for a correction".to_string(),
        requested_by: "Test Applicant One".to_string(),
    }
}

fn change(field: PersonalField, old: &str, new: &str) -> FieldChange {
    FieldChange {
        field,
        old: Some(old.to_string()),
        new: new.to_string(),
    }
}

fn amended(changes: Vec<FieldChange>) -> Ev {
    Ev::PersonalDataAmended {
        fields: changes.iter().map(|change| change.field).collect(),
        changes: changes.into(),
        reason: "the test applicant asked for a correction"
            .to_string()
            .into(),
        requested_by: "Test Applicant One".to_string().into(),
    }
}

fn email_amended() -> Ev {
    amended(vec![change(
        PersonalField::Email,
        "applicant1@example.test",
        "applicant1.new@example.test",
    )])
}

fn problem(path: &str, text: &str) -> FieldProblem {
    FieldProblem::new(path, text)
}

const NOT_DISCLOSABLE: &str = "is not a field that can be disclosed";
const SAY_WHY: &str = "say why, in at most 500 characters";
const NAME_A_FIELD: &str = "name at least one field to disclose";

/// Issues a command against a history, panics on a refusal, and adds the events to the history.
async fn run(history: &mut Vec<Ev>, actor: Actor, command: C) -> Vec<Ev> {
    let events = given(history.clone())
        .when_async(by(actor, command))
        .await
        .inspect_result()
        .unwrap_or_else(|error| panic!("refused: {error:?}"));
    history.extend(events.clone());
    events
}

// ---------------------------------------------------------------------------------------------------------
// A disclosure the policy allows.
// ---------------------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_programme_officer_discloses_chosen_fields_of_a_submitted_application_in_the_order_asked()
{
    given(submitted())
        .when_async(by(
            officer(),
            disclose_to(
                british_mission(),
                &["personal.email", "personal.full_name", "cycle"],
                "  visa support letter for the test scholar \n",
            ),
        ))
        .await
        .then_expect_events(vec![disclosed(
            &british_mission(),
            &[
                ("personal.email", "applicant1@example.test"),
                ("personal.full_name", "Test Applicant One"),
                ("cycle", "2026-27"),
            ],
        )]);
}

#[tokio::test]
async fn a_field_asked_for_twice_is_sent_once_in_the_place_first_asked() {
    given(submitted())
        .when_async(by(
            officer(),
            disclose(
                british_mission(),
                &[
                    "personal.phone",
                    "personal.full_name",
                    "personal.phone",
                    "personal.full_name",
                ],
            ),
        ))
        .await
        .then_expect_events(vec![disclosed(
            &british_mission(),
            &[
                ("personal.phone", "+000 0000 0001"),
                ("personal.full_name", "Test Applicant One"),
            ],
        )]);
}

#[tokio::test]
async fn every_disclosable_field_of_an_awarded_application_is_sent_with_its_value_as_it_stands() {
    given(awarded())
        .when_async(by(
            officer(),
            disclose(british_mission(), &DISCLOSABLE_FIELDS),
        ))
        .await
        .then_expect_events(vec![disclosed(
            &british_mission(),
            &[
                ("personal.full_name", "Test Applicant One"),
                ("personal.date_of_birth", "1995-04-12"),
                ("personal.email", "applicant1@example.test"),
                ("personal.phone", "+000 0000 0001"),
                ("personal.address", "1 Test Street, Testville"),
                ("personal.nationality", "Ghana"),
                ("personal.country_of_residence", "Kenya"),
                ("cycle", "2026-27"),
                ("status", "awarded"),
                (
                    "courses",
                    "MSc Test Policy at Example University (masters); \
                     MA Test Studies at Sample Institute (masters)",
                ),
                ("award.institution", "Example University"),
                ("award.course", "MSc Test Policy"),
                ("award.level", "masters"),
                ("award.start_date", "2026-09-28"),
                ("progress_reports", "no progress report recorded"),
            ],
        )]);
}

#[tokio::test]
async fn the_value_sent_is_the_one_after_the_latest_amendment() {
    given(with(submitted(), [email_amended()]))
        .when_async(by(
            officer(),
            disclose(british_mission(), &["personal.email"]),
        ))
        .await
        .then_expect_events(vec![disclosed(
            &british_mission(),
            &[("personal.email", "applicant1.new@example.test")],
        )]);
}

#[tokio::test]
async fn data_can_be_disclosed_at_every_stage_after_submission_and_the_status_sent_is_the_current_one()
 {
    for status in STATUSES_AFTER_SUBMISSION {
        let result = given(history_in(status))
            .when_async(by(officer(), disclose(british_mission(), &["status"])))
            .await
            .inspect_result();
        assert_eq!(
            result,
            Ok(vec![disclosed(
                &british_mission(),
                &[("status", status.as_str())]
            )]),
            "{status:?}"
        );
    }
}

#[tokio::test]
async fn the_embassy_of_the_country_of_study_in_the_country_of_residence_receives_the_data() {
    given(submitted())
        .when_async(by(
            officer(),
            disclose(study_embassy(), &["personal.full_name"]),
        ))
        .await
        .then_expect_events(vec![disclosed(
            &study_embassy(),
            &[("personal.full_name", "Test Applicant One")],
        )]);
}

#[tokio::test]
async fn the_mission_of_the_applicants_own_country_receives_the_data() {
    given(submitted())
        .when_async(by(
            officer(),
            disclose(home_mission(), &["personal.nationality"]),
        ))
        .await
        .then_expect_events(vec![disclosed(
            &home_mission(),
            &[("personal.nationality", "Ghana")],
        )]);
}

#[tokio::test]
async fn a_purpose_of_five_hundred_characters_is_accepted() {
    let purpose = "p".repeat(500);
    given(submitted())
        .when_async(by(
            officer(),
            disclose_to(british_mission(), &["cycle"], &purpose),
        ))
        .await
        .then_expect_events(vec![disclosed_as(
            DISCLOSURE,
            &british_mission(),
            &[("cycle", "2026-27")],
            &purpose,
        )]);
}

// ---------------------------------------------------------------------------------------------------------
// The joint sponsor of the award.
// ---------------------------------------------------------------------------------------------------------

#[tokio::test]
async fn the_joint_sponsor_named_in_the_award_receives_the_data() {
    given(awarded_with_sponsor(SPONSOR))
        .when_async(by(
            officer(),
            disclose(sponsor(), &["personal.full_name", "award.course"]),
        ))
        .await
        .then_expect_events(vec![disclosed(
            &sponsor(),
            &[
                ("personal.full_name", "Test Applicant One"),
                ("award.course", "MSc Test Policy"),
            ],
        )]);
}

#[tokio::test]
async fn the_joint_sponsor_still_receives_the_data_once_the_scholar_is_an_alumnus() {
    given(alumni_of(awarded_with_sponsor(SPONSOR)))
        .when_async(by(officer(), disclose(sponsor(), &["status"])))
        .await
        .then_expect_events(vec![disclosed(&sponsor(), &[("status", "alumni")])]);
}

#[tokio::test]
async fn an_award_made_by_command_with_a_joint_sponsor_lets_that_sponsor_and_no_other_receive_the_data()
 {
    let mut history = selected();
    run(
        &mut history,
        officer(),
        C::MakeAward {
            terms: award_terms("masters", date(2026, 9, 28)),
            joint_sponsor_id: Some(SPONSOR.to_string()),
        },
    )
    .await;
    let allowed = run(
        &mut history,
        officer(),
        disclose(sponsor(), &["award.institution"]),
    )
    .await;
    assert_eq!(
        allowed,
        vec![disclosed(
            &sponsor(),
            &[("award.institution", "Example University")]
        )]
    );
    let other = run(
        &mut history,
        officer(),
        disclose(other_sponsor(), &["award.institution"]),
    )
    .await;
    assert_eq!(
        other,
        vec![refused(
            &other_sponsor(),
            &["award.institution"],
            "Other Test Sponsor Trust is not a joint sponsor contributing to this person's award",
        )]
    );
}

#[tokio::test]
async fn a_joint_sponsor_is_refused_before_the_award_is_made() {
    given(selected())
        .when_async(by(officer(), disclose(sponsor(), &["personal.full_name"])))
        .await
        .then_expect_events(vec![refused(
            &sponsor(),
            &["personal.full_name"],
            "Test Sponsor Foundation is not a joint sponsor contributing to this person's award",
        )]);
}

#[tokio::test]
async fn a_joint_sponsor_is_refused_when_the_award_has_no_joint_sponsor() {
    given(awarded())
        .when_async(by(officer(), disclose(sponsor(), &["personal.full_name"])))
        .await
        .then_expect_events(vec![refused(
            &sponsor(),
            &["personal.full_name"],
            "Test Sponsor Foundation is not a joint sponsor contributing to this person's award",
        )]);
}

#[tokio::test]
async fn a_joint_sponsor_of_another_award_is_refused() {
    given(awarded_with_sponsor(SPONSOR))
        .when_async(by(
            officer(),
            disclose(other_sponsor(), &["personal.full_name"]),
        ))
        .await
        .then_expect_events(vec![refused(
            &other_sponsor(),
            &["personal.full_name"],
            "Other Test Sponsor Trust is not a joint sponsor contributing to this person's award",
        )]);
}

// ---------------------------------------------------------------------------------------------------------
// A disclosure the policy does not allow is refused, and the refusal recorded.
// ---------------------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_british_mission_outside_the_country_of_residence_is_refused_with_the_reason() {
    given(submitted())
        .when_async(by(
            officer(),
            disclose(british_mission_elsewhere(), &["personal.email"]),
        ))
        .await
        .then_expect_events(vec![refused(
            &british_mission_elsewhere(),
            &["personal.email"],
            "a British Embassy or High Commission may receive data only of people living in Ghana, \
             and this person does not live there",
        )]);
}

#[tokio::test]
async fn an_embassy_of_the_country_of_study_outside_the_country_of_residence_is_refused() {
    let result = given(submitted())
        .when_async(by(
            officer(),
            disclose(study_embassy_elsewhere(), &["personal.email"]),
        ))
        .await
        .inspect_result();
    let Ok(events) = result else {
        panic!("a refusal is recorded, not returned as an error: {result:?}");
    };
    assert_eq!(events.len(), 1, "{events:?}");
    let Ev::DisclosureRefused {
        recipient_id,
        recipient_kind,
        fields,
        reason,
        ..
    } = &events[0]
    else {
        panic!("expected DisclosureRefused, got {events:?}");
    };
    assert_eq!(recipient_id, STUDY_EMBASSY_ELSEWHERE);
    assert_eq!(*recipient_kind, RecipientKind::StudyCountryEmbassy);
    assert_eq!(fields, &strings(&["personal.email"]));
    assert!(
        reason.contains("Embassy of the country of study")
            && reason.contains("people living in Uganda, and this person does not live there")
            && !reason.contains("Kenya"),
        "{reason}"
    );
}

#[tokio::test]
async fn the_mission_of_a_country_that_is_not_the_nationality_is_refused_even_where_the_applicant_lives()
 {
    given(submitted())
        .when_async(by(
            officer(),
            disclose(home_mission_elsewhere(), &["personal.full_name"]),
        ))
        .await
        .then_expect_events(vec![refused(
            &home_mission_elsewhere(),
            &["personal.full_name"],
            "this mission represents Kenya, and this person is not a national of it",
        )]);
}

#[tokio::test]
async fn a_refusal_records_the_fields_without_duplicates_and_the_purpose_trimmed() {
    given(submitted())
        .when_async(by(
            officer(),
            disclose_to(
                home_mission_elsewhere(),
                &["personal.phone", "cycle", "personal.phone"],
                "  visa support letter for the test scholar  ",
            ),
        ))
        .await
        .then_expect_events(vec![refused(
            &home_mission_elsewhere(),
            &["personal.phone", "cycle"],
            "this mission represents Kenya, and this person is not a national of it",
        )]);
}

#[tokio::test]
async fn a_mission_is_refused_when_the_application_does_not_say_where_the_applicant_lives() {
    let without_residence = DraftChanges {
        personal: personal(&[
            (PersonalField::FullName, Some("Test Applicant One")),
            (PersonalField::Nationality, Some("Ghana")),
        ]),
        courses: Some(vec![course(
            "Example University",
            "MSc Test Policy",
            "masters",
        )]),
        ..DraftChanges::default()
    };
    let history = vec![started(), saved(without_residence), submitted_event()];
    given(history.clone())
        .when_async(by(
            officer(),
            disclose(british_mission(), &["personal.full_name"]),
        ))
        .await
        .then_expect_events(vec![refused(
            &british_mission(),
            &["personal.full_name"],
            "the application does not say where the person lives or what their nationality is",
        )]);
    given(history)
        .when_async(by(
            officer(),
            disclose(home_mission(), &["personal.full_name"]),
        ))
        .await
        .then_expect_events(vec![disclosed(
            &home_mission(),
            &[("personal.full_name", "Test Applicant One")],
        )]);
}

#[tokio::test]
async fn a_mission_of_the_home_country_is_refused_when_the_application_does_not_say_the_nationality()
 {
    let without_nationality = DraftChanges {
        personal: personal(&[
            (PersonalField::FullName, Some("Test Applicant One")),
            (PersonalField::CountryOfResidence, Some("Kenya")),
        ]),
        ..DraftChanges::default()
    };
    given(vec![
        started(),
        saved(without_nationality),
        submitted_event(),
    ])
    .when_async(by(
        officer(),
        disclose(home_mission(), &["personal.full_name"]),
    ))
    .await
    .then_expect_events(vec![refused(
        &home_mission(),
        &["personal.full_name"],
        "the application does not say where the person lives or what their nationality is",
    )]);
}

#[tokio::test]
async fn a_refused_disclosure_sends_nothing_so_no_correction_is_due_to_that_recipient() {
    let history = with(
        submitted(),
        [refused(
            &british_mission_elsewhere(),
            &["personal.email"],
            "a British Embassy or High Commission may receive data only of people living in Ghana, \
             and this person does not live there",
        )],
    );
    given(history.clone())
        .when_async(by(
            helpdesk(),
            amend(&[("personal.email", "applicant1.new@example.test")]),
        ))
        .await
        .then_expect_events(vec![email_amended()]);
    given(history)
        .when_async(by(
            officer(),
            mark_notice_sent(&british_mission_elsewhere()),
        ))
        .await
        .then_expect_error(E::NoNoticeDue);
}

// ---------------------------------------------------------------------------------------------------------
// Disclosures that cannot be made at all.
// ---------------------------------------------------------------------------------------------------------

#[tokio::test]
async fn nothing_is_disclosed_from_a_draft() {
    given(draft())
        .when_async(by(
            officer(),
            disclose(british_mission(), &["personal.email"]),
        ))
        .await
        .then_expect_error(E::InvalidState {
            action: "disclose data of",
            status: Status::Draft,
        });
}

#[tokio::test]
async fn nothing_is_disclosed_from_a_withdrawn_application() {
    for history in [withdrawn_draft(), withdrawn_after_submission()] {
        given(history)
            .when_async(by(
                officer(),
                disclose(british_mission(), &["personal.email"]),
            ))
            .await
            .then_expect_error(E::InvalidState {
                action: "disclose data of",
                status: Status::Withdrawn,
            });
    }
}

#[tokio::test]
async fn the_state_is_checked_before_the_fields_and_the_recipient() {
    given(draft())
        .when_async(by(
            officer(),
            disclose_to(british_mission_elsewhere(), &["essays.leadership"], ""),
        ))
        .await
        .then_expect_error(E::InvalidState {
            action: "disclose data of",
            status: Status::Draft,
        });
}

#[tokio::test]
async fn fields_that_cannot_be_disclosed_are_refused_naming_each_path() {
    given(awarded())
        .when_async(by(
            officer(),
            disclose(
                british_mission(),
                &[
                    "personal.email",
                    "essays.leadership",
                    "referees",
                    "referees[0].email",
                    "education",
                    "preferences",
                    "personal",
                    "Personal.Email",
                    "award",
                ],
            ),
        ))
        .await
        .then_expect_error(E::Invalid {
            problems: vec![
                problem("essays.leadership", NOT_DISCLOSABLE),
                problem("referees", NOT_DISCLOSABLE),
                problem("referees[0].email", NOT_DISCLOSABLE),
                problem("education", NOT_DISCLOSABLE),
                problem("preferences", NOT_DISCLOSABLE),
                problem("personal", NOT_DISCLOSABLE),
                problem("Personal.Email", NOT_DISCLOSABLE),
                problem("award", NOT_DISCLOSABLE),
            ],
        });
}

#[tokio::test]
async fn a_disclosure_must_name_at_least_one_field() {
    given(submitted())
        .when_async(by(officer(), disclose(british_mission(), &[])))
        .await
        .then_expect_error(E::Invalid {
            problems: vec![problem("fields", NAME_A_FIELD)],
        });
}

#[tokio::test]
async fn a_disclosure_must_say_why() {
    for purpose in ["", "   \n\t "] {
        let result = given(submitted())
            .when_async(by(
                officer(),
                disclose_to(british_mission(), &["personal.email"], purpose),
            ))
            .await
            .inspect_result();
        assert_eq!(
            result,
            Err(E::Invalid {
                problems: vec![problem("purpose", SAY_WHY)],
            }),
            "{purpose:?}"
        );
    }
}

#[tokio::test]
async fn a_purpose_over_five_hundred_characters_is_refused() {
    given(submitted())
        .when_async(by(
            officer(),
            disclose_to(british_mission(), &["cycle"], &"p".repeat(501)),
        ))
        .await
        .then_expect_error(E::Invalid {
            problems: vec![problem("purpose", SAY_WHY)],
        });
}

#[tokio::test]
async fn every_problem_of_a_disclosure_is_reported_at_once() {
    given(submitted())
        .when_async(by(officer(), disclose_to(british_mission(), &[], " ")))
        .await
        .then_expect_error(E::Invalid {
            problems: vec![problem("purpose", SAY_WHY), problem("fields", NAME_A_FIELD)],
        });
    given(submitted())
        .when_async(by(
            officer(),
            disclose_to(british_mission(), &["essays.study_plan", "cycle"], ""),
        ))
        .await
        .then_expect_error(E::Invalid {
            problems: vec![
                problem("purpose", SAY_WHY),
                problem("essays.study_plan", NOT_DISCLOSABLE),
            ],
        });
}

#[tokio::test]
async fn an_invalid_request_is_an_error_not_a_recorded_refusal_even_to_a_recipient_the_rule_refuses()
 {
    given(submitted())
        .when_async(by(
            officer(),
            disclose(british_mission_elsewhere(), &["referees"]),
        ))
        .await
        .then_expect_error(E::Invalid {
            problems: vec![problem("referees", NOT_DISCLOSABLE)],
        });
}

#[tokio::test]
async fn every_role_but_programme_officer_is_forbidden_to_disclose() {
    for role in Role::ALL
        .into_iter()
        .filter(|role| *role != Role::ProgrammeOfficer)
    {
        let result = given(awarded())
            .when_async(by(
                someone_with(role),
                disclose(british_mission(), &["personal.email"]),
            ))
            .await
            .inspect_result();
        assert_eq!(result, Err(E::Forbidden), "{role}");
    }
}

/// A disclosure is a programme officer's: another applicant is refused for the role before the application
/// is looked at, the same answer whether it exists or not, so they learn nothing of it.
#[tokio::test]
async fn another_applicant_asking_for_a_disclosure_is_refused_for_the_role_and_learns_nothing() {
    given(awarded())
        .when_async(by(
            other_applicant(),
            disclose(british_mission(), &["personal.email"]),
        ))
        .await
        .then_expect_error(E::Forbidden);
    given_nothing()
        .when_async(by(
            other_applicant(),
            disclose(british_mission(), &["personal.email"]),
        ))
        .await
        .then_expect_error(E::Forbidden);
}

#[tokio::test]
async fn nothing_is_disclosed_from_an_application_that_does_not_exist() {
    given_nothing()
        .when_async(by(
            officer(),
            disclose(british_mission(), &["personal.email"]),
        ))
        .await
        .then_expect_error(E::NotFound);
}

#[tokio::test]
async fn nothing_is_disclosed_once_the_personal_data_is_destroyed() {
    given(with(
        withdrawn_after_submission(),
        [Ev::PersonalDataDestroyed {
            rule: RecordKind::UnsuccessfulApplication,
            destroyed_on: date(2028, 3, 2),
        }],
    ))
    .when_async(by(
        officer(),
        disclose(british_mission(), &["personal.email"]),
    ))
    .await
    .then_expect_error(E::Destroyed);
}

// ---------------------------------------------------------------------------------------------------------
// Amending disclosed data: the recipients who hold the old value are due a rectification notice.
// ---------------------------------------------------------------------------------------------------------

#[tokio::test]
async fn amending_a_disclosed_field_makes_a_notice_due_to_the_recipient_who_holds_the_old_value() {
    given(with(
        submitted(),
        [disclosed(
            &british_mission(),
            &[
                ("personal.full_name", "Test Applicant One"),
                ("personal.email", "applicant1@example.test"),
            ],
        )],
    ))
    .when_async(by(
        helpdesk(),
        amend(&[("personal.email", "applicant1.new@example.test")]),
    ))
    .await
    .then_expect_events(vec![
        email_amended(),
        notice_due(&british_mission(), &["personal.email"]),
    ]);
}

#[tokio::test]
async fn each_recipient_is_told_only_of_the_amended_fields_it_was_sent() {
    let history = with(
        awarded_with_sponsor(SPONSOR),
        [
            disclosed_as(
                "disclosure-1",
                &british_mission(),
                &[
                    ("personal.email", "applicant1@example.test"),
                    ("personal.phone", "+000 0000 0001"),
                ],
                PURPOSE,
            ),
            disclosed_as(
                "disclosure-2",
                &home_mission(),
                &[
                    ("personal.full_name", "Test Applicant One"),
                    ("personal.address", "1 Test Street, Testville"),
                ],
                PURPOSE,
            ),
            disclosed_as(
                "disclosure-3",
                &sponsor(),
                &[
                    ("personal.date_of_birth", "1995-04-12"),
                    ("status", "awarded"),
                ],
                PURPOSE,
            ),
        ],
    );
    given(history)
        .when_async(by(
            helpdesk(),
            amend(&[
                ("personal.address", "2 Test Road, Testville"),
                ("personal.phone", "+000 0000 0002"),
                ("personal.email", "applicant1.new@example.test"),
            ]),
        ))
        .await
        .then_expect_events(vec![
            amended(vec![
                change(
                    PersonalField::Email,
                    "applicant1@example.test",
                    "applicant1.new@example.test",
                ),
                change(PersonalField::Phone, "+000 0000 0001", "+000 0000 0002"),
                change(
                    PersonalField::Address,
                    "1 Test Street, Testville",
                    "2 Test Road, Testville",
                ),
            ]),
            notice_due(&british_mission(), &["personal.email", "personal.phone"]),
            notice_due(&home_mission(), &["personal.address"]),
        ]);
}

#[tokio::test]
async fn no_notice_is_due_when_the_amended_field_was_not_disclosed() {
    given(with(
        submitted(),
        [disclosed(
            &british_mission(),
            &[
                ("personal.full_name", "Test Applicant One"),
                ("cycle", "2026-27"),
            ],
        )],
    ))
    .when_async(by(
        helpdesk(),
        amend(&[("personal.email", "applicant1.new@example.test")]),
    ))
    .await
    .then_expect_events(vec![email_amended()]);
}

#[tokio::test]
async fn fields_sent_to_one_recipient_in_several_disclosures_are_told_in_one_notice() {
    given(with(
        submitted(),
        [
            disclosed_as(
                "disclosure-1",
                &british_mission(),
                &[("personal.phone", "+000 0000 0001")],
                PURPOSE,
            ),
            disclosed_as(
                "disclosure-2",
                &british_mission(),
                &[("personal.email", "applicant1@example.test")],
                "a second test purpose",
            ),
        ],
    ))
    .when_async(by(
        helpdesk(),
        amend(&[
            ("personal.phone", "+000 0000 0002"),
            ("personal.email", "applicant1.new@example.test"),
        ]),
    ))
    .await
    .then_expect_events(vec![
        amended(vec![
            change(
                PersonalField::Email,
                "applicant1@example.test",
                "applicant1.new@example.test",
            ),
            change(PersonalField::Phone, "+000 0000 0001", "+000 0000 0002"),
        ]),
        notice_due(&british_mission(), &["personal.email", "personal.phone"]),
    ]);
}

#[tokio::test]
async fn an_amendment_that_changes_nothing_makes_no_notice_due() {
    given(with(
        submitted(),
        [disclosed(
            &british_mission(),
            &[("personal.email", "applicant1@example.test")],
        )],
    ))
    .when_async(by(
        helpdesk(),
        amend(&[("personal.email", " applicant1@example.test ")]),
    ))
    .await
    .then_expect_events(vec![]);
}

#[tokio::test]
async fn a_later_amendment_makes_a_notice_due_again_after_the_first_was_sent() {
    let second_amendment = amended(vec![change(
        PersonalField::Email,
        "applicant1.new@example.test",
        "applicant1.newer@example.test",
    )]);
    given(with(
        submitted(),
        [
            disclosed(
                &british_mission(),
                &[("personal.email", "applicant1@example.test")],
            ),
            email_amended(),
            notice_due(&british_mission(), &["personal.email"]),
            notice_sent(&british_mission()),
        ],
    ))
    .when_async(by(
        helpdesk(),
        amend(&[("personal.email", "applicant1.newer@example.test")]),
    ))
    .await
    .then_expect_events(vec![
        second_amendment,
        notice_due(&british_mission(), &["personal.email"]),
    ]);
}

#[tokio::test]
async fn a_disclosure_made_by_command_is_remembered_when_the_help_desk_later_amends_the_data() {
    let mut history = submitted();
    run(
        &mut history,
        officer(),
        disclose(home_mission(), &["personal.nationality", "personal.email"]),
    )
    .await;
    let events = run(
        &mut history,
        helpdesk(),
        amend(&[("personal.email", "applicant1.new@example.test")]),
    )
    .await;
    assert_eq!(
        events,
        vec![
            email_amended(),
            notice_due(&home_mission(), &["personal.email"])
        ]
    );
    let events = run(&mut history, officer(), mark_notice_sent(&home_mission())).await;
    assert_eq!(events, vec![notice_sent(&home_mission())]);
}

// ---------------------------------------------------------------------------------------------------------
// Recording that a rectification notice was sent.
// ---------------------------------------------------------------------------------------------------------

fn notice_due_to_british_mission() -> Vec<Ev> {
    with(
        submitted(),
        [
            disclosed(
                &british_mission(),
                &[("personal.email", "applicant1@example.test")],
            ),
            email_amended(),
            notice_due(&british_mission(), &["personal.email"]),
        ],
    )
}

#[tokio::test]
async fn a_programme_officer_records_that_the_recipient_was_told_of_the_correction() {
    given(notice_due_to_british_mission())
        .when_async(by(officer(), mark_notice_sent(&british_mission())))
        .await
        .then_expect_events(vec![notice_sent(&british_mission())]);
}

#[tokio::test]
async fn a_notice_cannot_be_recorded_as_sent_twice() {
    given(with(
        notice_due_to_british_mission(),
        [notice_sent(&british_mission())],
    ))
    .when_async(by(officer(), mark_notice_sent(&british_mission())))
    .await
    .then_expect_error(E::NoNoticeDue);
}

#[tokio::test]
async fn no_notice_can_be_recorded_for_a_recipient_who_is_owed_none() {
    given(with(
        notice_due_to_british_mission(),
        [disclosed_as(
            "disclosure-2",
            &home_mission(),
            &[("personal.nationality", "Ghana")],
            PURPOSE,
        )],
    ))
    .when_async(by(officer(), mark_notice_sent(&home_mission())))
    .await
    .then_expect_error(E::NoNoticeDue);
    given(submitted())
        .when_async(by(officer(), mark_notice_sent(&british_mission())))
        .await
        .then_expect_error(E::NoNoticeDue);
}

#[tokio::test]
async fn recording_one_recipients_notice_leaves_the_others_due() {
    let history = with(
        submitted(),
        [
            disclosed_as(
                "disclosure-1",
                &british_mission(),
                &[("personal.email", "applicant1@example.test")],
                PURPOSE,
            ),
            disclosed_as(
                "disclosure-2",
                &home_mission(),
                &[("personal.email", "applicant1@example.test")],
                PURPOSE,
            ),
            email_amended(),
            notice_due(&british_mission(), &["personal.email"]),
            notice_due(&home_mission(), &["personal.email"]),
            notice_sent(&british_mission()),
        ],
    );
    given(history)
        .when_async(by(officer(), mark_notice_sent(&home_mission())))
        .await
        .then_expect_events(vec![notice_sent(&home_mission())]);
}

#[tokio::test]
async fn every_role_but_programme_officer_is_forbidden_to_record_a_notice() {
    for role in Role::ALL
        .into_iter()
        .filter(|role| *role != Role::ProgrammeOfficer)
    {
        let result = given(notice_due_to_british_mission())
            .when_async(by(someone_with(role), mark_notice_sent(&british_mission())))
            .await
            .inspect_result();
        assert_eq!(result, Err(E::Forbidden), "{role}");
    }
}

/// Recording a notice is a programme officer's: another applicant is refused for the role, the same answer
/// whether the application exists or not.
#[tokio::test]
async fn another_applicant_recording_a_notice_is_refused_for_the_role_and_learns_nothing() {
    given(notice_due_to_british_mission())
        .when_async(by(other_applicant(), mark_notice_sent(&british_mission())))
        .await
        .then_expect_error(E::Forbidden);
    given_nothing()
        .when_async(by(other_applicant(), mark_notice_sent(&british_mission())))
        .await
        .then_expect_error(E::Forbidden);
}

#[test]
fn the_refusal_of_a_notice_no_one_is_owed_says_so() {
    assert_eq!(
        E::NoNoticeDue.to_string(),
        "no correction is waiting to be passed on to that recipient"
    );
}

// ---------------------------------------------------------------------------------------------------------
// The country of study: the courses chosen before an award, the award's country after it.
// ---------------------------------------------------------------------------------------------------------

/// The embassy of France, standing in Kenya where the applicant lives.
fn embassy_of_france() -> RecipientFacts {
    RecipientFacts {
        represents: Some(country("France")),
        ..facts(
            STUDY_EMBASSY,
            "Test Embassy of France, Kenya",
            RecipientKind::StudyCountryEmbassy,
            "Kenya",
        )
    }
}

/// Ghana's embassy in France.
fn ghana_in_france() -> RecipientFacts {
    RecipientFacts {
        located_in: Some(country("France")),
        ..facts(
            HOME_MISSION,
            "Test Embassy of Ghana, France",
            RecipientKind::HomeCountryMission,
            "Ghana",
        )
    }
}

fn awarded_in_france() -> Vec<Ev> {
    with(
        selected(),
        [Ev::AwardMade {
            terms: AwardTerms {
                country: Some(country("France")),
                ..award_terms("masters", date(2026, 9, 28))
            }
            .into(),
            joint_sponsor_id: None,
        }],
    )
}

#[tokio::test]
async fn before_an_award_the_embassy_of_a_country_not_chosen_for_study_is_refused() {
    // Given a selected application whose courses are all in the United Kingdom,
    // when the officer discloses to the embassy of France in Kenya,
    // then the disclosure is refused and recorded with the reason.
    given(selected())
        .when_async(by(
            officer(),
            disclose(embassy_of_france(), &["personal.full_name"]),
        ))
        .await
        .then_expect_events(vec![refused(
            &embassy_of_france(),
            &["personal.full_name"],
            "this embassy represents France, and this person does not study (or chose to study) there",
        )]);
}

#[tokio::test]
async fn after_an_award_in_france_the_embassy_of_france_in_your_country_receives_the_data() {
    given(awarded_in_france())
        .when_async(by(
            officer(),
            disclose(embassy_of_france(), &["personal.full_name"]),
        ))
        .await
        .then_expect_events(vec![disclosed(
            &embassy_of_france(),
            &[("personal.full_name", "Test Applicant One")],
        )]);
}

#[tokio::test]
async fn after_an_award_in_france_your_countrys_embassy_in_france_receives_the_data_and_in_the_uk_is_refused()
 {
    given(awarded_in_france())
        .when_async(by(
            officer(),
            disclose(ghana_in_france(), &["personal.full_name"]),
        ))
        .await
        .then_expect_events(vec![disclosed(
            &ghana_in_france(),
            &[("personal.full_name", "Test Applicant One")],
        )]);
    given(awarded_in_france())
        .when_async(by(
            officer(),
            disclose(home_mission(), &["personal.full_name"]),
        ))
        .await
        .then_expect_events(vec![refused(
            &home_mission(),
            &["personal.full_name"],
            "this mission stands in United Kingdom, and this person does not study (or chose to study) there",
        )]);
}

#[tokio::test]
async fn an_award_without_a_country_is_studied_in_the_united_kingdom() {
    given(awarded())
        .when_async(by(
            officer(),
            disclose(home_mission(), &["personal.full_name"]),
        ))
        .await
        .then_expect_events(vec![disclosed(
            &home_mission(),
            &[("personal.full_name", "Test Applicant One")],
        )]);
}
