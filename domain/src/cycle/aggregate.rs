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

    /// The day the cycle was concluded, or `None` while it is not.
    async fn concluded_on(&self, _cycle: &CycleName) -> Result<Option<NaiveDate>, String> {
        Ok(None)
    }
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
    /// A programme officer concludes the cycle as of `on`: every application of it still undecided, on the
    /// reserve list or selected without an award ends unsuccessful, and its two years of retention run from
    /// `on`. `automatic`: the retention sweep concludes a cycle nobody concluded, on its
    /// [`automatic_conclusion_day`].
    Conclude {
        cycle: CycleName,
        on: NaiveDate,
        automatic: bool,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum CycleEvent {
    /// The terms the cycle runs under from now on. Nothing here is personal data.
    CycleTermsSet { cycle: CycleName, terms: CycleTerms },
    /// The cycle is over: nothing of it is decided any more, and what was not awarded is unsuccessful as of
    /// `on`. `automatic`: concluded by the retention sweep because nobody concluded it.
    CycleConcluded {
        cycle: CycleName,
        on: NaiveDate,
        automatic: bool,
    },
}

impl DomainEvent for CycleEvent {
    fn event_type(&self) -> String {
        match self {
            CycleEvent::CycleTermsSet { .. } => "CycleTermsSet".to_string(),
            CycleEvent::CycleConcluded { .. } => "CycleConcluded".to_string(),
        }
    }

    fn event_version(&self) -> String {
        match self {
            // 2: the eligible nationalities moved into `terms.screening`, beside the other screening rules.
            CycleEvent::CycleTermsSet { .. } => "2".to_string(),
            CycleEvent::CycleConcluded { .. } => "1".to_string(),
        }
    }
}

/// `automatic_conclusion_day`: a cycle nobody concludes is concluded on 31 December of its second year
/// (`2026-27` on 2027-12-31), so that neglect can never keep its applications for ever.
pub fn automatic_conclusion_day(cycle: &CycleName) -> NaiveDate {
    NaiveDate::from_ymd_opt(cycle.first_year() + 1, 12, 31).unwrap_or(NaiveDate::MAX)
}

/// `conclusion_day_fits`: a cycle is concluded on a day that has come, and not before the cycle could have
/// begun (1 January of the year before its first).
fn conclusion_day_fits(
    cycle: &CycleName,
    on: NaiveDate,
    today: NaiveDate,
) -> Result<(), CycleError> {
    if on > today {
        return Err(CycleError::ConclusionInTheFuture);
    }
    if chrono::Datelike::year(&on) < cycle.first_year() - 1 {
        return Err(CycleError::ConclusionBeforeTheCycle);
    }
    Ok(())
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
    #[error("a cycle can be concluded today or on a day that has passed, not on a day to come")]
    ConclusionInTheFuture,
    #[error("a cycle cannot be concluded before it began")]
    ConclusionBeforeTheCycle,
    /// The retention sweep concludes a cycle only on its automatic conclusion day.
    #[error("a cycle is concluded automatically only on 31 December of its second year")]
    NotYetDueForConclusion,
}

/// The most years of work experience a cycle may ask for.
pub const MAX_WORK_YEARS: u32 = 40;

/// One cycle: the terms it runs under, and whether it is over.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Cycle {
    pub terms: Option<CycleTerms>,
    /// The day the cycle was concluded.
    #[serde(default)]
    pub concluded_on: Option<NaiveDate>,
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
        let today = command.at.date_naive();
        let (cycle, terms) = match command.command {
            CycleCommand::SetTerms { cycle, terms } => (cycle, terms),
            CycleCommand::Conclude {
                cycle,
                on,
                automatic,
            } => {
                let event = self.conclude(command.by.role, cycle, on, automatic, today)?;
                if let Some(event) = event {
                    sink.write(event, self).await;
                }
                return Ok(());
            }
        };
        if command.by.role != Role::Admin {
            return Err(CycleError::Forbidden);
        }
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
            CycleEvent::CycleConcluded { on, .. } => self.concluded_on = Some(on),
        }
    }
}

impl Cycle {
    /// A programme officer concludes a cycle on a day that has come; the retention sweep (which acts as an
    /// information officer) on the automatic conclusion day, once the day it sweeps as of has reached it. A cycle concluded already is concluded
    /// once: asking again records nothing.
    fn conclude(
        &self,
        role: Role,
        cycle: CycleName,
        on: NaiveDate,
        automatic: bool,
        today: NaiveDate,
    ) -> Result<Option<CycleEvent>, CycleError> {
        let allowed = match automatic {
            false => role == Role::ProgrammeOfficer,
            true => matches!(role, Role::ProgrammeOfficer | Role::InformationOfficer),
        };
        if !allowed {
            return Err(CycleError::Forbidden);
        }
        // The sweep concludes on the automatic day itself, as of the day it sweeps (which may be ahead of
        // the clock: `etp retention sweep --as-of`); it has checked that the day has come.
        if automatic {
            if on != automatic_conclusion_day(&cycle) {
                return Err(CycleError::NotYetDueForConclusion);
            }
        } else {
            conclusion_day_fits(&cycle, on, today)?;
        }
        if self.concluded_on.is_some() {
            return Ok(None);
        }
        Ok(Some(CycleEvent::CycleConcluded {
            cycle,
            on,
            automatic,
        }))
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
