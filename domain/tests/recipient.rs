//! Given/when/then tests of the `Recipient` aggregate: an administrator registers each organisation that
//! personal data may be disclosed to, once, under a clean name; every refusal is covered.

mod common;

use cqrs_es::Aggregate;
use cqrs_es::test::AggregateTestExecutor;

use common::*;
use domain::Role;
use domain::country::Country;
use domain::recipient::{
    Recipient, RecipientCommand, RecipientError as E, RecipientEvent as Ev, RecipientKind,
};

fn given(events: Vec<Ev>) -> AggregateTestExecutor<Recipient> {
    given_of(events)
}

fn given_nothing() -> AggregateTestExecutor<Recipient> {
    nothing_given_of()
}

fn kenya() -> Country {
    country("Kenya")
}

fn united_kingdom() -> Country {
    country("United Kingdom")
}

/// What each kind must say of itself besides its `country`: an embassy of the study country whom it
/// represents, a home country mission where it stands (here, the United Kingdom).
fn represents_and_located_in(kind: RecipientKind) -> (Option<Country>, Option<Country>) {
    match kind {
        RecipientKind::StudyCountryEmbassy => (Some(united_kingdom()), None),
        RecipientKind::HomeCountryMission => (None, Some(united_kingdom())),
        RecipientKind::BritishMission | RecipientKind::JointSponsor => (None, None),
    }
}

fn register(name: &str, kind: RecipientKind) -> RecipientCommand {
    let (represents, located_in) = represents_and_located_in(kind);
    RecipientCommand::RegisterRecipient {
        name: name.to_string(),
        kind,
        country: kenya(),
        represents,
        located_in,
    }
}

fn registered(name: &str, kind: RecipientKind) -> Ev {
    let (represents, located_in) = represents_and_located_in(kind);
    Ev::RecipientRegistered {
        name: name.to_string(),
        kind,
        country: kenya(),
        represents,
        located_in,
    }
}

fn already_registered() -> Vec<Ev> {
    vec![registered(
        "Test British High Commission",
        RecipientKind::BritishMission,
    )]
}

// ---------------------------------------------------------------------------------------------------------
// Registering.
// ---------------------------------------------------------------------------------------------------------

#[tokio::test]
async fn an_admin_registers_a_recipient_under_its_name_without_surrounding_spaces() {
    given_nothing()
        .when_async(by(
            admin(),
            register(
                "  Test British High Commission \t",
                RecipientKind::BritishMission,
            ),
        ))
        .await
        .then_expect_events(vec![registered(
            "Test British High Commission",
            RecipientKind::BritishMission,
        )]);
}

#[tokio::test]
async fn an_admin_can_register_each_kind_of_recipient_the_policy_names() {
    for kind in RecipientKind::ALL {
        given_nothing()
            .when_async(by(admin(), register("Test Recipient", kind)))
            .await
            .then_expect_events(vec![registered("Test Recipient", kind)]);
    }
}

#[tokio::test]
async fn the_country_is_recorded_as_given() {
    let ghana = Country::parse("ghana").expect("a country the register knows");
    given_nothing()
        .when_async(by(
            admin(),
            RecipientCommand::RegisterRecipient {
                name: "Test High Commission of Ghana".to_string(),
                kind: RecipientKind::HomeCountryMission,
                country: ghana.clone(),
                represents: None,
                located_in: Some(united_kingdom()),
            },
        ))
        .await
        .then_expect_events(vec![Ev::RecipientRegistered {
            name: "Test High Commission of Ghana".to_string(),
            kind: RecipientKind::HomeCountryMission,
            country: ghana,
            represents: None,
            located_in: Some(united_kingdom()),
        }]);
}

#[test]
fn a_registered_recipient_keeps_its_name_kind_and_country() {
    let mut recipient = Recipient::default();
    for event in already_registered() {
        recipient.apply(event);
    }
    assert_eq!(
        recipient.registered,
        Some((
            "Test British High Commission".to_string(),
            RecipientKind::BritishMission,
            kenya(),
        ))
    );
}

// ---------------------------------------------------------------------------------------------------------
// Refusals.
// ---------------------------------------------------------------------------------------------------------

#[tokio::test]
async fn every_role_but_admin_is_forbidden_to_register_a_recipient() {
    for role in Role::ALL.into_iter().filter(|role| *role != Role::Admin) {
        let result = given_nothing()
            .when_async(by(
                someone_with(role),
                register("Test Recipient", RecipientKind::JointSponsor),
            ))
            .await
            .inspect_result();
        assert_eq!(result, Err(E::Forbidden), "{role}");
    }
}

#[tokio::test]
async fn a_recipient_cannot_be_registered_twice() {
    given(already_registered())
        .when_async(by(
            admin(),
            register(
                "Test British High Commission",
                RecipientKind::BritishMission,
            ),
        ))
        .await
        .then_expect_error(E::AlreadyRegistered);
}

#[tokio::test]
async fn a_registered_recipient_cannot_be_registered_again_under_another_name_or_kind() {
    given(already_registered())
        .when_async(by(
            admin(),
            register("Test Sponsor Foundation", RecipientKind::JointSponsor),
        ))
        .await
        .then_expect_error(E::AlreadyRegistered);
}

#[tokio::test]
async fn the_role_is_checked_before_anything_else() {
    given(already_registered())
        .when_async(by(
            someone_with(Role::ProgrammeOfficer),
            register("", RecipientKind::BritishMission),
        ))
        .await
        .then_expect_error(E::Forbidden);
}

#[tokio::test]
async fn a_second_registration_is_refused_as_such_whatever_its_name() {
    given(already_registered())
        .when_async(by(admin(), register("", RecipientKind::BritishMission)))
        .await
        .then_expect_error(E::AlreadyRegistered);
}

#[tokio::test]
async fn an_empty_or_blank_name_is_refused() {
    for name in ["", "   ", "\t\n "] {
        given_nothing()
            .when_async(by(admin(), register(name, RecipientKind::BritishMission)))
            .await
            .then_expect_error(E::InvalidName);
    }
}

#[tokio::test]
async fn a_name_of_two_hundred_characters_is_accepted() {
    let name = "é".repeat(200);
    given_nothing()
        .when_async(by(admin(), register(&name, RecipientKind::JointSponsor)))
        .await
        .then_expect_events(vec![registered(&name, RecipientKind::JointSponsor)]);
}

#[tokio::test]
async fn a_name_over_two_hundred_characters_is_refused() {
    given_nothing()
        .when_async(by(
            admin(),
            register(&"é".repeat(201), RecipientKind::JointSponsor),
        ))
        .await
        .then_expect_error(E::InvalidName);
}

#[tokio::test]
async fn the_length_limit_applies_to_the_name_once_trimmed() {
    let name = "a".repeat(200);
    given_nothing()
        .when_async(by(
            admin(),
            register(&format!("   {name}   "), RecipientKind::JointSponsor),
        ))
        .await
        .then_expect_events(vec![registered(&name, RecipientKind::JointSponsor)]);
}

#[tokio::test]
async fn a_name_with_a_control_character_inside_is_refused() {
    for name in [
        "Test\nSponsor",
        "Test\tSponsor",
        "Test\u{7}Sponsor",
        "Test\u{0}Sponsor",
        "Test\u{1b}[31mSponsor",
    ] {
        let result = given_nothing()
            .when_async(by(admin(), register(name, RecipientKind::JointSponsor)))
            .await
            .inspect_result();
        assert_eq!(result, Err(E::InvalidName), "{name:?}");
    }
}

// ---------------------------------------------------------------------------------------------------------
// Where a mission stands and whom it represents.
// ---------------------------------------------------------------------------------------------------------

fn register_with(
    kind: RecipientKind,
    represents: Option<Country>,
    located_in: Option<Country>,
) -> RecipientCommand {
    RecipientCommand::RegisterRecipient {
        name: "Test Mission".to_string(),
        kind,
        country: kenya(),
        represents,
        located_in,
    }
}

#[tokio::test]
async fn an_embassy_of_the_study_country_is_not_registered_without_the_nation_it_represents() {
    given_nothing()
        .when_async(by(
            admin(),
            register_with(RecipientKind::StudyCountryEmbassy, None, None),
        ))
        .await
        .then_expect_error(E::InvalidField {
            field: "represents".to_string(),
            problem: "must name the nation whose embassy it is".to_string(),
        });
}

#[tokio::test]
async fn a_home_country_mission_is_not_registered_without_where_it_stands() {
    given_nothing()
        .when_async(by(
            admin(),
            register_with(RecipientKind::HomeCountryMission, None, None),
        ))
        .await
        .then_expect_error(E::InvalidField {
            field: "located_in".to_string(),
            problem: "must name the country where the mission stands".to_string(),
        });
}

#[tokio::test]
async fn an_embassy_of_the_study_country_cannot_stand_anywhere_but_its_country() {
    given_nothing()
        .when_async(by(
            admin(),
            register_with(
                RecipientKind::StudyCountryEmbassy,
                Some(united_kingdom()),
                Some(united_kingdom()),
            ),
        ))
        .await
        .then_expect_error(E::InvalidField {
            field: "located_in".to_string(),
            problem: "must be Kenya, where the embassy stands (its `country`)".to_string(),
        });
}

#[tokio::test]
async fn a_british_mission_represents_the_united_kingdom_only() {
    given_nothing()
        .when_async(by(
            admin(),
            register_with(RecipientKind::BritishMission, Some(kenya()), None),
        ))
        .await
        .then_expect_error(E::InvalidField {
            field: "represents".to_string(),
            problem: "must be United Kingdom for a British mission".to_string(),
        });
}

#[tokio::test]
async fn a_registration_records_whom_a_mission_represents_and_where_it_stands() {
    given_nothing()
        .when_async(by(
            admin(),
            register_with(
                RecipientKind::StudyCountryEmbassy,
                Some(united_kingdom()),
                Some(kenya()),
            ),
        ))
        .await
        .then_expect_events(vec![Ev::RecipientRegistered {
            name: "Test Mission".to_string(),
            kind: RecipientKind::StudyCountryEmbassy,
            country: kenya(),
            represents: Some(united_kingdom()),
            located_in: Some(kenya()),
        }]);
}

#[tokio::test]
async fn a_mission_does_not_represent_the_country_it_stands_in() {
    given_nothing()
        .when_async(by(
            admin(),
            register_with(RecipientKind::StudyCountryEmbassy, Some(kenya()), None),
        ))
        .await
        .then_expect_error(E::InvalidField {
            field: "represents".to_string(),
            problem: "must be another nation than Kenya, where the embassy stands".to_string(),
        });
    given_nothing()
        .when_async(by(
            admin(),
            register_with(RecipientKind::HomeCountryMission, None, Some(kenya())),
        ))
        .await
        .then_expect_error(E::InvalidField {
            field: "located_in".to_string(),
            problem: "must be another country than Kenya, the nation the mission represents"
                .to_string(),
        });
}
