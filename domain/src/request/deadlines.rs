//! When a request is due, from its receipt, its clock's stops and any extension.
//!
//! | request | reason | what the stop does, once the clock resumes on D2 |
//! | --- | --- | --- |
//! | FOI | `fee` | the days from D1 to D2, both included, do not count (s.10(2)) |
//! | FOI | `clarification` | D2 becomes the new day of receipt (s.1(3)) |
//! | SAR | `identity` | D2 becomes the new day of receipt, for both dates |
//! | SAR | `clarification` | the days from D1 to D2, both included, do not count toward the target; the statutory date is the one-month date moved later by as many calendar days |
//!
//! A clock still stopped is counted as if it resumed `today`, so the dates shown keep moving while it is.

use chrono::{Duration, Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::calendar::WorkingDays;

/// Working days in the FOI time limit, and in EtP's target for subject access.
pub const WORKING_DAYS_TO_ANSWER: u32 = 20;

/// Why the clock is stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockReason {
    /// FOI: a fees notice was sent and the fee is awaited.
    Fee,
    /// The request must be clarified by the requester.
    Clarification,
    /// SAR: the requester's identity must be checked.
    Identity,
}

impl ClockReason {
    pub fn as_str(self) -> &'static str {
        match self {
            ClockReason::Fee => "fee",
            ClockReason::Clarification => "clarification",
            ClockReason::Identity => "identity",
        }
    }

    pub fn parse(name: &str) -> Option<ClockReason> {
        [
            ClockReason::Fee,
            ClockReason::Clarification,
            ClockReason::Identity,
        ]
        .into_iter()
        .find(|reason| reason.as_str() == name)
    }
}

/// An extension of the time limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Extension {
    /// FOI s.10(3): time to consider the public interest; a further 20 working days.
    PublicInterestTest,
    /// SAR, UK GDPR Art 12(3): a complex request; one or two further months.
    Complex { months: u32 },
}

/// One stop of the clock: the day it stopped, the day it resumed (if it has), and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockStop {
    pub stopped_on: NaiveDate,
    pub resumed_on: Option<NaiveDate>,
    pub reason: ClockReason,
}

/// The two dates of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadlines {
    /// FOI: the 20th working day after receipt; SAR and other rights requests: EtP's target of 20 working days.
    pub due_on: NaiveDate,
    /// FOI: the same; SAR and other rights requests: one calendar month after receipt.
    pub statutory_due_on: NaiveDate,
}

/// The `n`th working day after `from`, not counting the days of `excluded`.
fn working_days_after(
    calendar: &WorkingDays,
    from: NaiveDate,
    n: u32,
    excluded: &[(NaiveDate, NaiveDate)],
) -> NaiveDate {
    let mut day = from;
    let mut counted = 0;
    while counted < n {
        day += Duration::days(1);
        let paused = excluded
            .iter()
            .any(|(start, end)| *start <= day && day <= *end);
        if !paused && calendar.is_working_day(day) {
            counted += 1;
        }
    }
    day
}

/// The deadlines of a request of this family (`foi`: FOI rules; otherwise the rules of subject access),
/// received on a day, with the stops of its clock and an extension, counted in the calendar given.
pub fn deadlines(
    foi: bool,
    received_on: NaiveDate,
    stops: &[ClockStop],
    extension: Option<Extension>,
    calendar: &WorkingDays,
    today: NaiveDate,
) -> Deadlines {
    let mut receipt = received_on;
    let mut excluded: Vec<(NaiveDate, NaiveDate)> = Vec::new();
    let mut statutory_shift = 0_i64;
    for stop in stops {
        let resumed_on = stop.resumed_on.unwrap_or(today.max(stop.stopped_on));
        match (foi, stop.reason) {
            (true, ClockReason::Fee) | (false, ClockReason::Clarification) => {
                excluded.push((stop.stopped_on, resumed_on));
                if !foi {
                    statutory_shift += (resumed_on - stop.stopped_on).num_days() + 1;
                }
            }
            (true, ClockReason::Clarification) | (false, ClockReason::Identity) => {
                // The request is taken as received again on the day the clock resumes.
                receipt = resumed_on;
                excluded.clear();
                statutory_shift = 0;
            }
            // A reason the kind does not allow is refused when the clock is stopped; it changes nothing.
            (true, ClockReason::Identity) | (false, ClockReason::Fee) => {}
        }
    }
    let mut due_on = working_days_after(calendar, receipt, WORKING_DAYS_TO_ANSWER, &excluded);
    if foi {
        if extension == Some(Extension::PublicInterestTest) {
            due_on = working_days_after(calendar, due_on, WORKING_DAYS_TO_ANSWER, &[]);
        }
        return Deadlines {
            due_on,
            statutory_due_on: due_on,
        };
    }
    let extra_months = match extension {
        Some(Extension::Complex { months }) => months,
        _ => 0,
    };
    let month_later = receipt + Months::new(1 + extra_months);
    let statutory_due_on = calendar.on_or_after(month_later + Duration::days(statutory_shift));
    if extra_months > 0 {
        due_on = statutory_due_on;
    }
    Deadlines {
        due_on,
        statutory_due_on,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn stop(from: NaiveDate, to: Option<NaiveDate>, reason: ClockReason) -> ClockStop {
        ClockStop {
            stopped_on: from,
            resumed_on: to,
            reason,
        }
    }

    #[test]
    fn an_foi_fee_stop_does_not_count_the_days_it_lasted() {
        let calendar = WorkingDays::default();
        let plain = deadlines(true, d(2025, 6, 2), &[], None, &calendar, d(2025, 6, 2));
        assert_eq!(plain.due_on, d(2025, 6, 30));
        let paused = deadlines(
            true,
            d(2025, 6, 2),
            &[stop(d(2025, 6, 9), Some(d(2025, 6, 13)), ClockReason::Fee)],
            None,
            &calendar,
            d(2025, 6, 20),
        );
        assert_eq!(
            paused.due_on,
            d(2025, 7, 7),
            "five working days (9 to 13 June) do not count"
        );
        assert_eq!(paused.statutory_due_on, paused.due_on);
    }

    #[test]
    fn an_foi_clarification_makes_the_day_it_arrives_the_new_day_of_receipt() {
        let calendar = WorkingDays::default();
        let clarified = deadlines(
            true,
            d(2025, 6, 2),
            &[stop(
                d(2025, 6, 3),
                Some(d(2025, 6, 10)),
                ClockReason::Clarification,
            )],
            None,
            &calendar,
            d(2025, 6, 20),
        );
        assert_eq!(clarified.due_on, calendar.foi_due(d(2025, 6, 10)));
    }

    #[test]
    fn a_sar_clarification_moves_the_statutory_date_by_the_calendar_days_stopped() {
        let calendar = WorkingDays::default();
        let paused = deadlines(
            false,
            d(2025, 6, 2),
            &[stop(
                d(2025, 6, 9),
                Some(d(2025, 6, 13)),
                ClockReason::Clarification,
            )],
            None,
            &calendar,
            d(2025, 6, 20),
        );
        assert_eq!(
            paused.statutory_due_on,
            d(2025, 7, 7),
            "2 July moved 5 days, to Monday 7 July"
        );
        assert_eq!(paused.due_on, d(2025, 7, 7));
    }

    /// Regression for a mutant that counted the stop one day short or long: a stop of two days (9 and 10
    /// June) moves 2 July by two days, to Friday 4 July; a stop resumed on the day it began, by one.
    #[test]
    fn a_sar_clarification_stop_counts_both_its_first_and_its_last_day() {
        let calendar = WorkingDays::default();
        let statutory = |stops: &[ClockStop]| {
            deadlines(false, d(2025, 6, 2), stops, None, &calendar, d(2025, 6, 20)).statutory_due_on
        };
        assert_eq!(statutory(&[]), d(2025, 7, 2));
        let two_days = stop(
            d(2025, 6, 9),
            Some(d(2025, 6, 10)),
            ClockReason::Clarification,
        );
        assert_eq!(statutory(&[two_days]), d(2025, 7, 4));
        let one_day = stop(
            d(2025, 6, 9),
            Some(d(2025, 6, 9)),
            ClockReason::Clarification,
        );
        assert_eq!(statutory(&[one_day]), d(2025, 7, 3));
    }

    /// The clock's reasons are stored and sent by these names (CONTRACT.md, requests): a name changed
    /// would leave every stop already recorded unreadable.
    #[test]
    fn the_clock_reasons_keep_their_wire_names() {
        for (reason, name) in [
            (ClockReason::Fee, "fee"),
            (ClockReason::Clarification, "clarification"),
            (ClockReason::Identity, "identity"),
        ] {
            assert_eq!(reason.as_str(), name);
            assert_eq!(ClockReason::parse(name), Some(reason));
            assert_eq!(
                serde_json::to_value(reason).expect("a reason serialises"),
                serde_json::json!(name)
            );
        }
        assert_eq!(ClockReason::parse("xyzzy"), None);
        assert_eq!(ClockReason::parse(""), None);
    }

    #[test]
    fn a_sar_identity_check_makes_the_day_it_resumes_the_new_day_of_receipt() {
        let calendar = WorkingDays::default();
        let checked = deadlines(
            false,
            d(2025, 6, 2),
            &[stop(
                d(2025, 6, 2),
                Some(d(2025, 6, 16)),
                ClockReason::Identity,
            )],
            None,
            &calendar,
            d(2025, 6, 20),
        );
        assert_eq!(checked.statutory_due_on, d(2025, 7, 16));
        assert_eq!(checked.due_on, calendar.foi_due(d(2025, 6, 16)));
    }

    #[test]
    fn extensions_add_twenty_working_days_to_foi_and_months_to_sar() {
        let calendar = WorkingDays::default();
        let foi = deadlines(
            true,
            d(2025, 6, 2),
            &[],
            Some(Extension::PublicInterestTest),
            &calendar,
            d(2025, 6, 2),
        );
        assert_eq!(foi.due_on, calendar.working_days_after(d(2025, 6, 30), 20));
        let sar = deadlines(
            false,
            d(2025, 6, 2),
            &[],
            Some(Extension::Complex { months: 2 }),
            &calendar,
            d(2025, 6, 2),
        );
        assert_eq!(sar.statutory_due_on, d(2025, 9, 2));
        // Extended, EtP's own target of 20 working days gives way to the extended statutory date.
        assert_eq!(sar.due_on, sar.statutory_due_on);
    }

    #[test]
    fn a_clock_still_stopped_is_counted_as_if_it_resumed_today() {
        let calendar = WorkingDays::default();
        let open = deadlines(
            true,
            d(2025, 6, 2),
            &[stop(d(2025, 6, 9), None, ClockReason::Fee)],
            None,
            &calendar,
            d(2025, 6, 13),
        );
        assert_eq!(open.due_on, d(2025, 7, 7));
    }
}
