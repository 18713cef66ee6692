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
    /// stands.
    StudyCountryEmbassy,
    /// The applicant's own country's embassy or high commission in the country of study; `country` is the
    /// nation it represents.
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
        } = command.command;
        let name = name.trim().to_string();
        if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
            return Err(RecipientError::InvalidName);
        }
        sink.write(
            RecipientEvent::RecipientRegistered {
                name,
                kind,
                country,
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
            } => {
                self.registered = Some((name, kind, country));
            }
        }
    }
}
