//! A registered recipient.

use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;
use serde::{Deserialize, Serialize};

use super::commands::RecipientCommand;
use super::error::RecipientError;
use super::events::RecipientEvent;
use crate::actor::{Authored, Role};
use crate::country::Country;

/// The four kinds of recipient the policy allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecipientKind {
    /// The British Embassy or High Commission in the applicant's country; `country` is where it stands.
    BritishMission,
    /// The embassy of the chosen country of study, located in the applicant's country; `country` is where it
    /// stands, `represents` (required) the nation whose embassy it is.
    StudyCountryEmbassy,
    /// The applicant's own country's embassy or high commission in the country of study; `country` is the
    /// nation it represents, `located_in` (required) where it stands.
    HomeCountryMission,
    /// A joint sponsor contributing to a scholar's award.
    JointSponsor,
}

impl RecipientKind {
    pub const ALL: [RecipientKind; 4] = [
        RecipientKind::BritishMission,
        RecipientKind::StudyCountryEmbassy,
        RecipientKind::HomeCountryMission,
        RecipientKind::JointSponsor,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RecipientKind::BritishMission => "british_mission",
            RecipientKind::StudyCountryEmbassy => "study_country_embassy",
            RecipientKind::HomeCountryMission => "home_country_mission",
            RecipientKind::JointSponsor => "joint_sponsor",
        }
    }

    pub fn parse(name: &str) -> Option<RecipientKind> {
        RecipientKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == name)
    }

    /// The kind in words.
    pub fn describe(self) -> &'static str {
        match self {
            RecipientKind::BritishMission => "British Embassy or High Commission",
            RecipientKind::StudyCountryEmbassy => "Embassy of the country of study",
            RecipientKind::HomeCountryMission => {
                "Embassy or High Commission of the scholar's country"
            }
            RecipientKind::JointSponsor => "Joint sponsor",
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Recipient {
    pub registered: Option<(String, RecipientKind, Country)>,
    #[serde(default)]
    pub represents: Option<Country>,
    #[serde(default)]
    pub located_in: Option<Country>,
}

impl Aggregate for Recipient {
    const TYPE: &'static str = "Recipient";
    type Command = Authored<RecipientCommand>;
    type Event = RecipientEvent;
    type Error = RecipientError;
    type Services = ();

    async fn handle(
        &mut self,
        command: Self::Command,
        _services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        if command.by.role != Role::Admin {
            return Err(RecipientError::Forbidden);
        }
        if self.registered.is_some() {
            return Err(RecipientError::AlreadyRegistered);
        }
        let RecipientCommand::RegisterRecipient {
            name,
            kind,
            country,
            represents,
            located_in,
        } = command.command;
        let name = name.trim().to_string();
        if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
            return Err(RecipientError::InvalidName);
        }
        check_where_it_stands_and_whom_it_represents(
            kind,
            &country,
            represents.as_ref(),
            located_in.as_ref(),
        )?;
        sink.write(
            RecipientEvent::RecipientRegistered {
                name,
                kind,
                country,
                represents,
                located_in,
            },
            self,
        )
        .await;
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        match event {
            RecipientEvent::RecipientRegistered {
                name,
                kind,
                country,
                represents,
                located_in,
            } => {
                self.registered = Some((name, kind, country));
                self.represents = represents;
                self.located_in = located_in;
            }
        }
    }
}

/// An embassy of the study country must say whose embassy it is, and a home country mission where it
/// stands; what a recipient says of itself must agree with its `country`.
fn check_where_it_stands_and_whom_it_represents(
    kind: RecipientKind,
    country: &Country,
    represents: Option<&Country>,
    located_in: Option<&Country>,
) -> Result<(), RecipientError> {
    let invalid = |field: &str, problem: String| RecipientError::InvalidField {
        field: field.to_string(),
        problem,
    };
    match kind {
        RecipientKind::BritishMission => {
            if represents.is_some_and(|nation| *nation != Country::united_kingdom()) {
                return Err(invalid(
                    "represents",
                    "must be United Kingdom for a British mission".to_string(),
                ));
            }
            if located_in.is_some_and(|place| place != country) {
                return Err(invalid(
                    "located_in",
                    format!("must be {country}, where the mission stands (its `country`)"),
                ));
            }
        }
        RecipientKind::StudyCountryEmbassy => {
            let Some(represents) = represents else {
                return Err(invalid(
                    "represents",
                    "must name the nation whose embassy it is".to_string(),
                ));
            };
            if represents == country {
                return Err(invalid(
                    "represents",
                    format!("must be another nation than {country}, where the embassy stands"),
                ));
            }
            if located_in.is_some_and(|place| place != country) {
                return Err(invalid(
                    "located_in",
                    format!("must be {country}, where the embassy stands (its `country`)"),
                ));
            }
        }
        RecipientKind::HomeCountryMission => {
            let Some(located_in) = located_in else {
                return Err(invalid(
                    "located_in",
                    "must name the country where the mission stands".to_string(),
                ));
            };
            if located_in == country {
                return Err(invalid(
                    "located_in",
                    format!(
                        "must be another country than {country}, the nation the mission represents"
                    ),
                ));
            }
            if represents.is_some_and(|nation| nation != country) {
                return Err(invalid(
                    "represents",
                    format!("must be {country}, the nation the mission represents (its `country`)"),
                ));
            }
        }
        RecipientKind::JointSponsor => {}
    }
    Ok(())
}
