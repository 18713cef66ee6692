//! Unit tests of the one sharing rule, `may_disclose`: for each kind of recipient the policy names, who may
//! be sent a person's data and who is refused, and that every refusal says why in words.

mod common;

use common::country;
use domain::country::Country;
use domain::recipient::RecipientKind;
use domain::sharing::{RecipientFacts, SharingRefusal, SubjectFacts, may_disclose};

// ---------------------------------------------------------------------------------------------------------
// Fixtures: test organisations and a test person who lives in one country and is a national of another.
// ---------------------------------------------------------------------------------------------------------

const SPONSOR_ID: &str = "recipient-sponsor-1";
const OTHER_SPONSOR_ID: &str = "recipient-sponsor-2";

fn organisation(id: &str, name: &str, kind: RecipientKind, country_name: &str) -> RecipientFacts {
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

/// The countries of study of a test person: a slice that lives as long as the test.
fn studying_in(names: &[&str]) -> &'static [Country] {
    Box::leak(
        names
            .iter()
            .map(|name| country(name))
            .collect::<Vec<_>>()
            .into_boxed_slice(),
    )
}

fn british_mission_in(country_name: &str) -> RecipientFacts {
    organisation(
        "recipient-british-mission",
        "Test British High Commission",
        RecipientKind::BritishMission,
        country_name,
    )
}

/// An embassy of the United Kingdom (the country of study of the test person) standing in a country.
fn study_country_embassy_in(country_name: &str) -> RecipientFacts {
    embassy_of_in("United Kingdom", country_name)
}

/// The embassy of one nation standing in a country.
fn embassy_of_in(represents: &str, country_name: &str) -> RecipientFacts {
    RecipientFacts {
        represents: Some(country(represents)),
        ..organisation(
            "recipient-study-embassy",
            "Test Embassy of the Country of Study",
            RecipientKind::StudyCountryEmbassy,
            country_name,
        )
    }
}

/// The mission of a nation in the United Kingdom (the country of study of the test person).
fn home_country_mission_of(country_name: &str) -> RecipientFacts {
    mission_of_in(country_name, "United Kingdom")
}

/// The mission of a nation standing in a country.
fn mission_of_in(country_name: &str, located_in: &str) -> RecipientFacts {
    RecipientFacts {
        located_in: Some(country(located_in)),
        ..organisation(
            "recipient-home-mission",
            "Test High Commission of the Home Country",
            RecipientKind::HomeCountryMission,
            country_name,
        )
    }
}

fn joint_sponsor(id: &str, name: &str) -> RecipientFacts {
    organisation(id, name, RecipientKind::JointSponsor, "United Kingdom")
}

fn the_sponsor() -> RecipientFacts {
    joint_sponsor(SPONSOR_ID, "Test Sponsor Foundation")
}

fn another_sponsor() -> RecipientFacts {
    joint_sponsor(OTHER_SPONSOR_ID, "Other Test Sponsor Trust")
}

/// A person who lives in Kenya, is a national of Ghana, studies (or chose to study) in the United Kingdom,
/// and whose award has no joint sponsor.
fn living_in_kenya_national_of_ghana() -> SubjectFacts<'static> {
    SubjectFacts {
        country_of_residence: Some("Kenya"),
        nationality: Some("Ghana"),
        joint_sponsor_id: None,
        study_countries: studying_in(&["United Kingdom"]),
    }
}

fn sponsored_by(sponsor_id: &'static str) -> SubjectFacts<'static> {
    SubjectFacts {
        joint_sponsor_id: Some(sponsor_id),
        ..living_in_kenya_national_of_ghana()
    }
}

fn nothing_known() -> SubjectFacts<'static> {
    SubjectFacts {
        country_of_residence: None,
        nationality: None,
        joint_sponsor_id: None,
        study_countries: &[],
    }
}

// ---------------------------------------------------------------------------------------------------------
// The British Embassy or High Commission in the person's country.
// ---------------------------------------------------------------------------------------------------------

#[test]
fn the_british_mission_in_the_country_of_residence_may_receive_the_data() {
    assert_eq!(
        may_disclose(
            &british_mission_in("Kenya"),
            living_in_kenya_national_of_ghana()
        ),
        Ok(())
    );
}

#[test]
fn the_british_mission_in_the_country_of_nationality_is_refused_when_the_person_lives_elsewhere() {
    assert_eq!(
        may_disclose(
            &british_mission_in("Ghana"),
            living_in_kenya_national_of_ghana()
        ),
        Err(SharingRefusal::MissionNotInCountryOfResidence {
            kind: "British Embassy or High Commission".to_string(),
            country: "Ghana".to_string(),
            residence: "Kenya".to_string(),
        })
    );
}

#[test]
fn the_british_mission_in_a_third_country_is_refused() {
    assert_eq!(
        may_disclose(
            &british_mission_in("Uganda"),
            living_in_kenya_national_of_ghana()
        ),
        Err(SharingRefusal::MissionNotInCountryOfResidence {
            kind: "British Embassy or High Commission".to_string(),
            country: "Uganda".to_string(),
            residence: "Kenya".to_string(),
        })
    );
}

#[test]
fn the_british_mission_is_refused_when_the_country_of_residence_is_unknown_even_if_the_nationality_is_known()
 {
    let subject = SubjectFacts {
        country_of_residence: None,
        ..living_in_kenya_national_of_ghana()
    };
    assert_eq!(
        may_disclose(&british_mission_in("Ghana"), subject),
        Err(SharingRefusal::SubjectCountryUnknown)
    );
}

#[test]
fn a_mission_is_not_let_through_by_bearing_the_id_of_the_joint_sponsor() {
    let sponsor_with_mission_id = SubjectFacts {
        joint_sponsor_id: Some("recipient-british-mission"),
        ..living_in_kenya_national_of_ghana()
    };
    assert!(matches!(
        may_disclose(&british_mission_in("Uganda"), sponsor_with_mission_id),
        Err(SharingRefusal::MissionNotInCountryOfResidence { .. })
    ));
}

// ---------------------------------------------------------------------------------------------------------
// The embassy of the country of study, located in the person's country.
// ---------------------------------------------------------------------------------------------------------

#[test]
fn the_embassy_of_the_country_of_study_in_the_country_of_residence_may_receive_the_data() {
    assert_eq!(
        may_disclose(
            &study_country_embassy_in("Kenya"),
            living_in_kenya_national_of_ghana()
        ),
        Ok(())
    );
}

#[test]
fn the_embassy_of_the_country_of_study_located_anywhere_else_is_refused() {
    assert_eq!(
        may_disclose(
            &study_country_embassy_in("Ghana"),
            living_in_kenya_national_of_ghana()
        ),
        Err(SharingRefusal::MissionNotInCountryOfResidence {
            kind: "Embassy of the country of study".to_string(),
            country: "Ghana".to_string(),
            residence: "Kenya".to_string(),
        })
    );
}

#[test]
fn the_embassy_of_the_country_of_study_is_refused_when_the_country_of_residence_is_unknown() {
    let subject = SubjectFacts {
        country_of_residence: None,
        ..living_in_kenya_national_of_ghana()
    };
    assert_eq!(
        may_disclose(&study_country_embassy_in("Kenya"), subject),
        Err(SharingRefusal::SubjectCountryUnknown)
    );
}

// ---------------------------------------------------------------------------------------------------------
// The person's own country's embassy or high commission in the country of study.
// ---------------------------------------------------------------------------------------------------------

#[test]
fn the_mission_of_the_country_of_nationality_may_receive_the_data() {
    assert_eq!(
        may_disclose(
            &home_country_mission_of("Ghana"),
            living_in_kenya_national_of_ghana()
        ),
        Ok(())
    );
}

#[test]
fn the_mission_of_the_country_of_residence_is_refused_when_the_person_is_a_national_of_another() {
    assert_eq!(
        may_disclose(
            &home_country_mission_of("Kenya"),
            living_in_kenya_national_of_ghana()
        ),
        Err(SharingRefusal::MissionNotOfNationality {
            country: "Kenya".to_string(),
            nationality: "Ghana".to_string(),
        })
    );
}

#[test]
fn the_home_country_mission_is_refused_when_the_nationality_is_unknown_even_if_the_residence_is_known()
 {
    let subject = SubjectFacts {
        nationality: None,
        ..living_in_kenya_national_of_ghana()
    };
    assert_eq!(
        may_disclose(&home_country_mission_of("Kenya"), subject),
        Err(SharingRefusal::SubjectCountryUnknown)
    );
}

#[test]
fn the_home_country_mission_does_not_need_the_country_of_residence() {
    let subject = SubjectFacts {
        country_of_residence: None,
        ..living_in_kenya_national_of_ghana()
    };
    assert_eq!(
        may_disclose(&home_country_mission_of("Ghana"), subject),
        Ok(())
    );
}

#[test]
fn the_missions_that_stand_in_the_country_of_residence_do_not_need_the_nationality() {
    let subject = SubjectFacts {
        nationality: None,
        ..living_in_kenya_national_of_ghana()
    };
    assert_eq!(may_disclose(&british_mission_in("Kenya"), subject), Ok(()));
    assert_eq!(
        may_disclose(&study_country_embassy_in("Kenya"), subject),
        Ok(())
    );
}

// ---------------------------------------------------------------------------------------------------------
// A joint sponsor contributing to this person's award.
// ---------------------------------------------------------------------------------------------------------

#[test]
fn the_joint_sponsor_of_the_award_may_receive_the_data() {
    assert_eq!(
        may_disclose(&the_sponsor(), sponsored_by(SPONSOR_ID)),
        Ok(())
    );
}

#[test]
fn the_joint_sponsor_of_the_award_needs_neither_residence_nor_nationality() {
    let subject = SubjectFacts {
        joint_sponsor_id: Some(SPONSOR_ID),
        ..nothing_known()
    };
    assert_eq!(may_disclose(&the_sponsor(), subject), Ok(()));
}

#[test]
fn a_joint_sponsor_of_someone_else_is_refused() {
    assert_eq!(
        may_disclose(&another_sponsor(), sponsored_by(SPONSOR_ID)),
        Err(SharingRefusal::NotTheirSponsor {
            sponsor: "Other Test Sponsor Trust".to_string(),
        })
    );
}

#[test]
fn a_joint_sponsor_is_refused_when_the_award_has_no_joint_sponsor() {
    assert_eq!(
        may_disclose(&the_sponsor(), living_in_kenya_national_of_ghana()),
        Err(SharingRefusal::NotTheirSponsor {
            sponsor: "Test Sponsor Foundation".to_string(),
        })
    );
}

#[test]
fn a_joint_sponsor_is_recognised_by_its_id_not_by_its_name() {
    let same_name_other_id = joint_sponsor(OTHER_SPONSOR_ID, "Test Sponsor Foundation");
    assert_eq!(
        may_disclose(&same_name_other_id, sponsored_by(SPONSOR_ID)),
        Err(SharingRefusal::NotTheirSponsor {
            sponsor: "Test Sponsor Foundation".to_string(),
        })
    );
}

#[test]
fn a_joint_sponsor_registered_in_the_country_of_residence_gains_nothing_from_it() {
    let sponsor_in_kenya = organisation(
        OTHER_SPONSOR_ID,
        "Other Test Sponsor Trust",
        RecipientKind::JointSponsor,
        "Kenya",
    );
    assert!(matches!(
        may_disclose(&sponsor_in_kenya, sponsored_by(SPONSOR_ID)),
        Err(SharingRefusal::NotTheirSponsor { .. })
    ));
}

// ---------------------------------------------------------------------------------------------------------
// Nothing is known of the person.
// ---------------------------------------------------------------------------------------------------------

#[test]
fn when_nothing_is_known_of_the_person_every_kind_of_recipient_is_refused() {
    for kind in RecipientKind::ALL {
        let facts = organisation("recipient-any", "Test Recipient", kind, "Kenya");
        let refusal = may_disclose(&facts, nothing_known());
        let expected = if kind == RecipientKind::JointSponsor {
            SharingRefusal::NotTheirSponsor {
                sponsor: "Test Recipient".to_string(),
            }
        } else {
            SharingRefusal::SubjectCountryUnknown
        };
        assert_eq!(refusal, Err(expected), "{kind:?}");
    }
}

// ---------------------------------------------------------------------------------------------------------
// Every refusal says why, in words.
// ---------------------------------------------------------------------------------------------------------

#[test]
fn the_refusal_of_a_mission_outside_the_country_of_residence_names_the_mission_and_its_country_only()
 {
    let refusal = may_disclose(
        &british_mission_in("Ghana"),
        living_in_kenya_national_of_ghana(),
    )
    .expect_err("refused");
    assert_eq!(
        refusal.to_string(),
        "a British Embassy or High Commission may receive data only of people living in Ghana, \
         and this person does not live there"
    );
}

#[test]
fn the_refusal_of_an_embassy_of_the_country_of_study_names_the_kind_and_never_the_persons_country()
{
    let message = may_disclose(
        &study_country_embassy_in("Ghana"),
        living_in_kenya_national_of_ghana(),
    )
    .expect_err("refused")
    .to_string();
    assert!(
        message.contains("Embassy of the country of study"),
        "{message}"
    );
    assert!(message.contains("people living in Ghana"), "{message}");
    assert!(
        !message.contains("Kenya"),
        "the reason, kept in clear, does not say where the person lives: {message}"
    );
}

#[test]
fn the_refusal_of_an_embassy_of_the_country_of_study_reads_as_an_english_sentence() {
    let message = may_disclose(
        &study_country_embassy_in("Ghana"),
        living_in_kenya_national_of_ghana(),
    )
    .expect_err("refused")
    .to_string();
    assert_eq!(
        message,
        "an Embassy of the country of study may receive data only of people living in Ghana, \
         and this person does not live there"
    );
}

#[test]
fn the_refusal_of_a_mission_of_another_nation_names_the_nation_and_not_the_nationality() {
    let refusal = may_disclose(
        &home_country_mission_of("Kenya"),
        living_in_kenya_national_of_ghana(),
    )
    .expect_err("refused");
    assert_eq!(
        refusal.to_string(),
        "this mission represents Kenya, and this person is not a national of it"
    );
}

#[test]
fn the_refusal_of_another_joint_sponsor_names_the_sponsor() {
    let refusal = may_disclose(&another_sponsor(), sponsored_by(SPONSOR_ID)).expect_err("refused");
    assert_eq!(
        refusal.to_string(),
        "Other Test Sponsor Trust is not a joint sponsor contributing to this person's award"
    );
}

#[test]
fn the_refusal_for_an_unknown_country_says_what_the_application_does_not_say() {
    let refusal = may_disclose(&british_mission_in("Kenya"), nothing_known()).expect_err("refused");
    assert_eq!(
        refusal.to_string(),
        "the application does not say where the person lives or what their nationality is"
    );
}

// ---------------------------------------------------------------------------------------------------------
// Each sentence of the policy, checked against the country of study: given a recipient and a person, when
// the rule is asked, then it allows or refuses, saying why.
// ---------------------------------------------------------------------------------------------------------

mod the_policys_words {
    use super::*;
    use domain::sharing::{
        any_joint_sponsor_contributing_to_your_scholarship,
        the_british_embassy_or_high_commission_in_your_country,
        the_embassy_of_the_country_you_selected_to_study_in_your_country,
        your_countrys_embassy_or_high_commission_in_the_country_of_study,
    };

    /// Given a person living in Kenya, a national of Ghana, who studies (or chose to study) in `studies`.
    fn studying(studies: &[&str]) -> SubjectFacts<'static> {
        SubjectFacts {
            study_countries: studying_in(studies),
            ..living_in_kenya_national_of_ghana()
        }
    }

    #[test]
    fn the_british_embassy_or_high_commission_in_your_country_wherever_you_study() {
        // Given a British mission in Kenya, when asked for a person of Kenya studying in France, then yes.
        assert_eq!(
            the_british_embassy_or_high_commission_in_your_country(
                &british_mission_in("Kenya"),
                studying(&["France"])
            ),
            Ok(())
        );
    }

    #[test]
    fn the_embassy_of_the_country_you_selected_to_study_in_your_country_is_allowed() {
        // Given France's embassy in Kenya, when asked for a person of Kenya who chose France, then yes.
        assert_eq!(
            the_embassy_of_the_country_you_selected_to_study_in_your_country(
                &embassy_of_in("France", "Kenya"),
                studying(&["United Kingdom", "France"])
            ),
            Ok(())
        );
    }

    #[test]
    fn the_embassy_of_a_country_you_did_not_select_to_study_in_is_refused() {
        // Given France's embassy in Kenya, when asked for a person of Kenya studying in the UK, then no.
        assert_eq!(
            the_embassy_of_the_country_you_selected_to_study_in_your_country(
                &embassy_of_in("France", "Kenya"),
                studying(&["United Kingdom"])
            ),
            Err(SharingRefusal::EmbassyNotOfStudyCountry {
                represents: "France".to_string()
            })
        );
    }

    #[test]
    fn the_embassy_of_the_country_you_selected_to_study_outside_your_country_is_refused() {
        assert!(matches!(
            the_embassy_of_the_country_you_selected_to_study_in_your_country(
                &embassy_of_in("France", "Ghana"),
                studying(&["France"])
            ),
            Err(SharingRefusal::MissionNotInCountryOfResidence { .. })
        ));
    }

    #[test]
    fn an_embassy_registered_without_the_nation_it_represents_receives_nothing() {
        let legacy = study_country_embassy_in("Kenya");
        let legacy = RecipientFacts {
            represents: None,
            ..legacy
        };
        let refusal = may_disclose(&legacy, studying(&["United Kingdom"])).unwrap_err();
        assert_eq!(
            refusal.to_string(),
            "an Embassy of the country of study registered without `represents` (the nation whose \
             embassy it is) receives nothing: register it again with it"
        );
    }

    #[test]
    fn your_countrys_embassy_or_high_commission_in_the_country_of_study_is_allowed() {
        // Given Ghana's High Commission in France, when asked for a Ghanaian studying in France, then yes.
        assert_eq!(
            your_countrys_embassy_or_high_commission_in_the_country_of_study(
                &mission_of_in("Ghana", "France"),
                studying(&["France"])
            ),
            Ok(())
        );
    }

    #[test]
    fn your_countrys_embassy_outside_the_country_of_study_is_refused() {
        // Given Ghana's High Commission in London, when asked for a Ghanaian studying in France, then no.
        assert_eq!(
            your_countrys_embassy_or_high_commission_in_the_country_of_study(
                &mission_of_in("Ghana", "United Kingdom"),
                studying(&["France"])
            ),
            Err(SharingRefusal::MissionNotInStudyCountry {
                located_in: "United Kingdom".to_string()
            })
        );
    }

    #[test]
    fn another_countrys_embassy_in_the_country_of_study_is_refused() {
        assert!(matches!(
            your_countrys_embassy_or_high_commission_in_the_country_of_study(
                &mission_of_in("Kenya", "United Kingdom"),
                studying(&["United Kingdom"])
            ),
            Err(SharingRefusal::MissionNotOfNationality { .. })
        ));
    }

    #[test]
    fn a_mission_registered_without_where_it_stands_receives_nothing() {
        let legacy = RecipientFacts {
            located_in: None,
            ..home_country_mission_of("Ghana")
        };
        assert!(matches!(
            may_disclose(&legacy, studying(&["United Kingdom"])),
            Err(SharingRefusal::RegisteredWithout { ref field, .. }) if field == "located_in"
        ));
    }

    #[test]
    fn the_country_of_study_must_be_known_for_the_missions_that_depend_on_it() {
        assert_eq!(
            your_countrys_embassy_or_high_commission_in_the_country_of_study(
                &home_country_mission_of("Ghana"),
                studying(&[])
            ),
            Err(SharingRefusal::StudyCountryUnknown)
        );
    }

    #[test]
    fn any_joint_sponsor_contributing_to_your_scholarship_and_no_other() {
        assert_eq!(
            any_joint_sponsor_contributing_to_your_scholarship(
                &the_sponsor(),
                sponsored_by(SPONSOR_ID)
            ),
            Ok(())
        );
        assert!(
            any_joint_sponsor_contributing_to_your_scholarship(
                &another_sponsor(),
                sponsored_by(SPONSOR_ID)
            )
            .is_err()
        );
    }

    #[test]
    fn the_award_decides_the_country_of_study_once_made() {
        use domain::application::events::AwardTerms;
        use domain::application::form::CourseChoice;
        use domain::sharing::study_countries;
        let chosen = |name: &str| CourseChoice {
            institution: "Example University".to_string(),
            course: "MSc Test Policy".to_string(),
            level: "masters".to_string(),
            country: Country::parse(name),
        };
        let courses = [chosen("France"), chosen("United Kingdom"), chosen("France")];
        assert_eq!(
            study_countries(None, &courses),
            vec![country("France"), country("United Kingdom")]
        );
        let award = AwardTerms {
            institution: "Example University".to_string(),
            course: "MSc Test Policy".to_string(),
            level: "masters".to_string(),
            start_date: chrono::NaiveDate::from_ymd_opt(2027, 9, 20).expect("a date"),
            country: None,
        };
        assert_eq!(
            study_countries(Some(&award), &courses),
            vec![country("United Kingdom")]
        );
    }
}
