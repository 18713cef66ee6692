//! The terms of one application cycle, set by an administrator and kept as events.

use std::collections::BTreeSet;

use async_trait::async_trait;
use chrono::NaiveDate;
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

use super::CycleName;
use crate::actor::{Authored, Role};
use crate::screening::ScreeningRules;

/// When a cycle takes applications, how its committee reviews, and who may apply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CycleTerms {
    /// The first day applications may be started and submitted.
    pub opens_on: NaiveDate,
    /// The last day, included.
    pub closes_on: NaiveDate,
    /// Committee members see no name, contact details, date of birth, photo or referees.
    pub blind_review: bool,
    /// The eligibility rules checked at submission (who may apply, and what they must have).
    pub screening: ScreeningRules,
}

impl CycleTerms {
    /// `cycle_is_open`: applications are started and submitted from `opens_on` to `closes_on`, both included.
    pub fn is_open_on(&self, day: NaiveDate) -> bool {
        self.opens_on <= day && day <= self.closes_on
    }
}

/// Where the application aggregate learns a cycle's terms.
#[async_trait]
pub trait CycleTermsSource: Send + Sync {
    /// The terms set for the cycle, or `None` where none were (open all year, no blind review).
    async fn terms_of(&self, cycle: &CycleName) -> Result<Option<CycleTerms>, String>;
}

/// No cycle has terms: every cycle is open all year.
pub struct OpenAllYear;

#[async_trait]
impl CycleTermsSource for OpenAllYear {
    async fn terms_of(&self, _cycle: &CycleName) -> Result<Option<CycleTerms>, String> {
        Ok(None)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum CycleCommand {
    /// An administrator sets (or changes) the cycle's terms.
    SetTerms { cycle: CycleName, terms: CycleTerms },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum CycleEvent {
    /// The terms the cycle runs under from now on. Nothing here is personal data.
    CycleTermsSet { cycle: CycleName, terms: CycleTerms },
}

impl DomainEvent for CycleEvent {
    fn event_type(&self) -> String {
        match self {
            CycleEvent::CycleTermsSet { .. } => "CycleTermsSet".to_string(),
        }
    }

    fn event_version(&self) -> String {
        match self {
            // 2: the eligible nationalities moved into `terms.screening`, beside the other screening rules.
            CycleEvent::CycleTermsSet { .. } => "2".to_string(),
        }
    }
}

/// Every refusal of a cycle's terms, by name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CycleError {
    #[error("your role may not do this")]
    Forbidden,
    #[error("the cycle must close on or after the day it opens")]
    ClosesBeforeItOpens,
    #[error("the cycle's dates must fall within its two years")]
    DatesOutsideTheCycle,
    #[error("name at least one eligible nationality, or none to admit every nationality")]
    NoEligibleNationality,
    #[error("the years of work experience asked for must be a whole number from 0 to 40")]
    WorkYearsOutOfRange,
}

/// The most years of work experience a cycle may ask for.
pub const MAX_WORK_YEARS: u32 = 40;

/// One cycle: the terms it runs under.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Cycle {
    pub terms: Option<CycleTerms>,
}

impl Aggregate for Cycle {
    const TYPE: &'static str = "Cycle";
    type Command = Authored<CycleCommand>;
    type Event = CycleEvent;
    type Error = CycleError;
    type Services = ();

    async fn handle(
        &mut self,
        command: Self::Command,
        _services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        if command.by.role != Role::Admin {
            return Err(CycleError::Forbidden);
        }
        let CycleCommand::SetTerms { cycle, terms } = command.command;
        if terms.closes_on < terms.opens_on {
            return Err(CycleError::ClosesBeforeItOpens);
        }
        // A cycle named 2026-27 takes applications some time in 2025 to 2027 at the widest.
        let years = (cycle.first_year() - 1)..=(cycle.first_year() + 1);
        if !years.contains(&chrono::Datelike::year(&terms.opens_on))
            || !years.contains(&chrono::Datelike::year(&terms.closes_on))
        {
            return Err(CycleError::DatesOutsideTheCycle);
        }
        if terms
            .screening
            .eligible_nationalities
            .as_ref()
            .is_some_and(BTreeSet::is_empty)
        {
            return Err(CycleError::NoEligibleNationality);
        }
        if terms
            .screening
            .minimum_work_years
            .is_some_and(|years| years > MAX_WORK_YEARS)
        {
            return Err(CycleError::WorkYearsOutOfRange);
        }
        // Setting the terms the cycle already has records nothing (a PUT said twice is said once).
        if self.terms.as_ref() == Some(&terms) {
            return Ok(());
        }
        sink.write(CycleEvent::CycleTermsSet { cycle, terms }, self)
            .await;
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        match event {
            CycleEvent::CycleTermsSet { terms, .. } => self.terms = Some(terms),
        }
    }
}

#[cfg(test)]
mod tests {
    use cqrs_es::test::TestFramework;

    use super::*;
    use crate::actor::Actor;

    fn day(raw: &str) -> NaiveDate {
        NaiveDate::parse_from_str(raw, "%Y-%m-%d").unwrap()
    }

    fn terms(opens_on: &str, closes_on: &str) -> CycleTerms {
        CycleTerms {
            opens_on: day(opens_on),
            closes_on: day(closes_on),
            blind_review: false,
            screening: ScreeningRules::default(),
        }
    }

    fn by(role: Role) -> Actor {
        Actor {
            user_id: "test-admin".into(),
            role,
        }
    }

    fn set(role: Role, terms: CycleTerms) -> Authored<CycleCommand> {
        Authored {
            by: by(role),
            at: chrono::Utc::now(),
            command: CycleCommand::SetTerms {
                cycle: CycleName::parse("2026-27").unwrap(),
                terms,
            },
        }
    }

    #[test]
    fn an_administrator_sets_the_terms() {
        let t = terms("2025-08-01", "2025-11-07");
        TestFramework::<Cycle>::with(())
            .given_no_previous_events()
            .when(set(Role::Admin, t.clone()))
            .then_expect_events(vec![CycleEvent::CycleTermsSet {
                cycle: CycleName::parse("2026-27").unwrap(),
                terms: t,
            }]);
    }

    #[test]
    fn only_an_administrator_sets_them() {
        for role in [
            Role::ProgrammeOfficer,
            Role::Applicant,
            Role::InformationOfficer,
        ] {
            TestFramework::<Cycle>::with(())
                .given_no_previous_events()
                .when(set(role, terms("2025-08-01", "2025-11-07")))
                .then_expect_error(CycleError::Forbidden);
        }
    }

    #[test]
    fn the_dates_must_make_sense_for_the_cycle() {
        TestFramework::<Cycle>::with(())
            .given_no_previous_events()
            .when(set(Role::Admin, terms("2025-11-07", "2025-08-01")))
            .then_expect_error(CycleError::ClosesBeforeItOpens);
        TestFramework::<Cycle>::with(())
            .given_no_previous_events()
            .when(set(Role::Admin, terms("2031-01-01", "2031-02-01")))
            .then_expect_error(CycleError::DatesOutsideTheCycle);
        let mut none = terms("2025-08-01", "2025-11-07");
        none.screening.eligible_nationalities = Some(BTreeSet::new());
        TestFramework::<Cycle>::with(())
            .given_no_previous_events()
            .when(set(Role::Admin, none))
            .then_expect_error(CycleError::NoEligibleNationality);
        let mut forty_one = terms("2025-08-01", "2025-11-07");
        forty_one.screening.minimum_work_years = Some(41);
        TestFramework::<Cycle>::with(())
            .given_no_previous_events()
            .when(set(Role::Admin, forty_one))
            .then_expect_error(CycleError::WorkYearsOutOfRange);
    }

    #[test]
    fn the_same_terms_again_record_nothing() {
        let t = terms("2025-08-01", "2025-11-07");
        TestFramework::<Cycle>::with(())
            .given(vec![CycleEvent::CycleTermsSet {
                cycle: CycleName::parse("2026-27").unwrap(),
                terms: t.clone(),
            }])
            .when(set(Role::Admin, t))
            .then_expect_events(vec![]);
    }

    #[test]
    fn open_from_the_first_day_to_the_last_both_included() {
        let t = terms("2025-08-01", "2025-11-07");
        assert!(!t.is_open_on(day("2025-07-31")));
        assert!(t.is_open_on(day("2025-08-01")));
        assert!(t.is_open_on(day("2025-11-07")));
        assert!(!t.is_open_on(day("2025-11-08")));
    }

    #[test]
    fn eligible_nationalities_are_compared_as_countries() {
        let mut t = terms("2025-08-01", "2025-11-07").screening;
        assert!(
            t.admits_nationality(None),
            "every nationality where none is named"
        );
        t.eligible_nationalities = Some([crate::country::Country::parse("Kenya").unwrap()].into());
        assert!(t.admits_nationality(Some("Kenya")));
        assert!(!t.admits_nationality(Some("Ghana")));
        assert!(!t.admits_nationality(None));
    }
}
