//! The immigration record aggregate.

use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;
use serde::{Deserialize, Serialize};

use super::commands::ImmigrationCommand;
use super::error::ImmigrationError;
use super::events::{ImmigrationDocument, ImmigrationEvent};
use crate::actor::{Authored, Role};
use crate::application::Status;
use crate::application::form::MAX_TEXT_CHARS;
use crate::application::rules::FieldProblem;
use crate::retention::RecordKind;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ImmigrationRecord {
    pub application_id: Option<String>,
    pub destroyed: bool,
}

/// Kinds of immigration document are short names such as `visa`, `cas` or `residence_permit`.
fn check_kind(kind: &str) -> bool {
    !kind.is_empty()
        && kind.len() <= 40
        && kind
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl Aggregate for ImmigrationRecord {
    const TYPE: &'static str = "ImmigrationRecord";
    type Command = Authored<ImmigrationCommand>;
    type Event = ImmigrationEvent;
    type Error = ImmigrationError;
    type Services = ();

    async fn handle(
        &mut self,
        command: Self::Command,
        _services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        if self.destroyed {
            return Err(ImmigrationError::Destroyed);
        }
        if let ImmigrationCommand::DestroyPersonalData { destroyed_on } = command.command {
            if command.by.role != Role::InformationOfficer {
                return Err(ImmigrationError::Forbidden);
            }
            if self.application_id.is_none() {
                return Err(ImmigrationError::NotFound);
            }
            let event = ImmigrationEvent::PersonalDataDestroyed {
                rule: RecordKind::ImmigrationRecord,
                destroyed_on,
            };
            sink.write(event, self).await;
            return Ok(());
        }
        if command.by.role != Role::ProgrammeOfficer {
            return Err(ImmigrationError::Forbidden);
        }
        let ImmigrationCommand::RecordImmigrationDocument {
            application_id,
            applicant_id,
            application_status,
            kind,
            reference,
            issued_on,
        } = command.command
        else {
            return Err(ImmigrationError::Forbidden);
        };
        if self.application_id.is_some() {
            return Err(ImmigrationError::AlreadyRecorded);
        }
        if application_status != Status::Awarded {
            return Err(ImmigrationError::NotAwarded {
                status: application_status,
            });
        }
        let kind = kind.trim().to_lowercase();
        let reference = reference.trim().to_string();
        let mut problems = Vec::new();
        if !check_kind(&kind) {
            problems.push(FieldProblem::new(
                "kind",
                "a short name of lower-case letters, digits and underscores, such as visa",
            ));
        }
        if reference.is_empty() || reference.chars().count() > MAX_TEXT_CHARS {
            problems.push(FieldProblem::new(
                "reference",
                "must be given, at most 500 characters",
            ));
        }
        if issued_on > command.at.date_naive() {
            problems.push(FieldProblem::new("issued_on", "must not be in the future"));
        }
        if !problems.is_empty() {
            return Err(ImmigrationError::Invalid { problems });
        }
        let event = ImmigrationEvent::ImmigrationRecordRecorded {
            application_id,
            applicant_id,
            kind,
            document: ImmigrationDocument {
                reference,
                issued_on,
            }
            .into(),
        };
        sink.write(event, self).await;
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        match event {
            ImmigrationEvent::ImmigrationRecordRecorded { application_id, .. } => {
                self.application_id = Some(application_id);
            }
            ImmigrationEvent::PersonalDataDestroyed { .. } => self.destroyed = true,
        }
    }
}
