//! Who does things: the roles of the programme and the envelope that says who issued a command and when.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The roles of SPEC.md. A person has exactly one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Applicant,
    Helpdesk,
    ProgrammeOfficer,
    CommitteeMember,
    InformationOfficer,
    Admin,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Applicant,
        Role::Helpdesk,
        Role::ProgrammeOfficer,
        Role::CommitteeMember,
        Role::InformationOfficer,
        Role::Admin,
    ];

    /// The role's name on the wire and in the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Applicant => "applicant",
            Role::Helpdesk => "helpdesk",
            Role::ProgrammeOfficer => "programme_officer",
            Role::CommitteeMember => "committee_member",
            Role::InformationOfficer => "information_officer",
            Role::Admin => "admin",
        }
    }

    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == name)
    }

    /// Staff accounts are created by an administrator, never by registration.
    pub fn is_staff(self) -> bool {
        self != Role::Applicant
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The person who issued a command.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub user_id: String,
    pub role: Role,
}

impl Actor {
    pub fn new(user_id: impl Into<String>, role: Role) -> Self {
        Self {
            user_id: user_id.into(),
            role,
        }
    }
}

/// A command together with who issued it and when. Every aggregate takes its commands in this envelope, so
/// the rules can ask who is acting, and every event can record the actor and the time.
#[derive(Clone, Debug, PartialEq)]
pub struct Authored<C> {
    pub by: Actor,
    pub at: DateTime<Utc>,
    pub command: C,
}

impl<C> Authored<C> {
    pub fn new(by: Actor, at: DateTime<Utc>, command: C) -> Self {
        Self { by, at, command }
    }
}
