//! The information request aggregate.

use chrono::NaiveDate;
use cqrs_es::Aggregate;
use cqrs_es::event_sink::EventSink;
use serde::{Deserialize, Serialize};

use super::commands::RequestCommand;
use super::deadlines::{ClockReason, ClockStop, Extension};
use super::error::RequestError;
use super::events::RequestEvent;
use crate::actor::{Authored, Role};
use crate::retention::{Kept, request_kept};

/// The kinds of request the information officer logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    Foi,
    Sar,
    Rectification,
    Erasure,
    Restriction,
    Objection,
    Portability,
}

impl RequestKind {
    pub const ALL: [RequestKind; 7] = [
        RequestKind::Foi,
        RequestKind::Sar,
        RequestKind::Rectification,
        RequestKind::Erasure,
        RequestKind::Restriction,
        RequestKind::Objection,
        RequestKind::Portability,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RequestKind::Foi => "foi",
            RequestKind::Sar => "sar",
            RequestKind::Rectification => "rectification",
            RequestKind::Erasure => "erasure",
            RequestKind::Restriction => "restriction",
            RequestKind::Objection => "objection",
            RequestKind::Portability => "portability",
        }
    }

    pub fn parse(name: &str) -> Option<RequestKind> {
        RequestKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == name)
    }

    /// FOI requests run on FOIA's clock; every other kind on the data subject's (one calendar month).
    pub fn is_foi(self) -> bool {
        self == RequestKind::Foi
    }

    /// The reasons this kind's clock may be stopped for.
    pub fn allows(self, reason: ClockReason) -> bool {
        match reason {
            ClockReason::Fee => self.is_foi(),
            ClockReason::Clarification => true,
            ClockReason::Identity => !self.is_foi(),
        }
    }
}

/// Where a request stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    #[default]
    NotLogged,
    Open,
    ClockStopped,
    Responded,
}

impl RequestStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::NotLogged => "not_logged",
            RequestStatus::Open => "open",
            RequestStatus::ClockStopped => "clock_stopped",
            RequestStatus::Responded => "responded",
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct InformationRequest {
    pub kind: Option<RequestKind>,
    pub received_on: Option<NaiveDate>,
    pub status: RequestStatus,
    pub stops: Vec<ClockStop>,
    pub extension: Option<Extension>,
    /// For a request of a right the officer decides (rectification, erasure, restriction, objection):
    /// whether it was granted, once decided.
    pub decided: Option<bool>,
    /// The personal data has been destroyed under the retention schedule.
    #[serde(default)]
    pub destroyed: bool,
    /// The draft response, while there is one and nothing is issued: the items withheld from it.
    #[serde(default)]
    pub draft: Option<Draft>,
}

/// What the aggregate knows of a draft response: which of its items are withheld (JSON pointers).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    pub withheld: Vec<String>,
}

impl Aggregate for InformationRequest {
    const TYPE: &'static str = "InformationRequest";
    type Command = Authored<RequestCommand>;
    type Event = RequestEvent;
    type Error = RequestError;
    type Services = ();

    async fn handle(
        &mut self,
        command: Self::Command,
        _services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        if command.by.role != Role::InformationOfficer {
            return Err(RequestError::Forbidden);
        }
        let today = command.at.date_naive();
        if self.destroyed {
            return Err(RequestError::Destroyed);
        }
        if self.status == RequestStatus::Responded
            && !matches!(
                command.command,
                RequestCommand::LogRequest { .. }
                    | RequestCommand::DestroyPersonalData { .. }
                    | RequestCommand::ReapplyDestruction { .. }
            )
        {
            return Err(RequestError::AlreadyAnswered);
        }
        let event = self.decide(command.command, today)?;
        sink.write(event, self).await;
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        match event {
            RequestEvent::RequestLogged {
                kind, received_on, ..
            } => {
                self.kind = Some(kind);
                self.received_on = Some(received_on);
                self.status = RequestStatus::Open;
            }
            RequestEvent::ClockStopped { on, reason, .. } => {
                self.stops.push(ClockStop {
                    stopped_on: on,
                    resumed_on: None,
                    reason,
                });
                self.status = RequestStatus::ClockStopped;
            }
            RequestEvent::ClockResumed { on, .. } => {
                if let Some(stop) = self.stops.last_mut() {
                    stop.resumed_on = Some(on);
                }
                self.status = RequestStatus::Open;
            }
            RequestEvent::DeadlineExtended { extension, .. } => self.extension = Some(extension),
            RequestEvent::ResponseDrafted { .. } => self.draft = Some(Draft::default()),
            RequestEvent::DraftItemWithheld { item, .. } => {
                if let Some(draft) = self.draft.as_mut() {
                    draft.withheld.push(item);
                }
            }
            RequestEvent::DraftAnnotated { .. } => {}
            RequestEvent::ResponseIssued { .. } => {
                self.status = RequestStatus::Responded;
                self.draft = None;
            }
            RequestEvent::ErasureDecided { approved, .. } => self.decided = Some(approved),
            RequestEvent::RectificationDecided { rectified, .. } => self.decided = Some(rectified),
            RequestEvent::RestrictionDecided { restricted, .. } => self.decided = Some(restricted),
            RequestEvent::ObjectionDecided { upheld, .. } => self.decided = Some(upheld),
            RequestEvent::FoiRefused { .. } => self.decided = Some(false),
            RequestEvent::PersonalDataDestroyed { .. } => self.destroyed = true,
        }
    }
}

impl InformationRequest {
    /// What keeps the request as it stands (`retention::request_kept`).
    pub fn kept(&self) -> Kept {
        request_kept(self.status, self.decided.is_some())
    }
}
