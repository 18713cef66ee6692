//! The working-day calendar against an independent source: the UK bank holidays of every region, 2015 to
//! 2030, as published by the python-holidays package (`tests/data/uk_bank_holidays.csv`, made by
//! `holidays.UK(subdiv=…, observed=True)`), and the FOI and SAR dates for receipt on every day of two whole
//! years, counted here from that table alone; and Easter Sunday of every year the calendar answers for,
//! 2015 to 2100, as python-dateutil computes it (`tests/data/easter_sundays.txt`).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Duration, Months, NaiveDate, Weekday};

use domain::calendar::{FIRST_YEAR, LAST_YEAR, Region, WorkingDays, bank_holidays, easter_sunday};

const TABLE: &str = include_str!("data/uk_bank_holidays.csv");
const EASTER_SUNDAYS: &str = include_str!("data/easter_sundays.txt");

/// Regression for mutants of the Easter formula that change nothing before 2031 (the end of the bank
/// holiday table) but move Easter, and so Good Friday and Easter Monday, in a later year.
#[test]
fn easter_falls_on_the_independent_date_in_every_year_the_calendar_answers_for() {
    let expected: Vec<NaiveDate> = EASTER_SUNDAYS
        .lines()
        .filter(|line| !line.starts_with('#'))
        .map(|line| NaiveDate::parse_from_str(line, "%Y-%m-%d").expect("a date"))
        .collect();
    let computed: Vec<NaiveDate> = (FIRST_YEAR..=LAST_YEAR).map(easter_sunday).collect();
    assert_eq!(computed, expected);
}

/// The weekday holidays of the table, by region and year. (The table also lists a fixed date that fell at a
/// weekend beside the weekday it was held on; only the weekday matters to working days.)
fn table() -> BTreeMap<(Region, i32), BTreeSet<NaiveDate>> {
    let mut by_region: BTreeMap<(Region, i32), BTreeSet<NaiveDate>> = BTreeMap::new();
    for line in TABLE
        .lines()
        .filter(|line| !line.starts_with('#') && !line.starts_with("date,"))
    {
        let mut parts = line.split(',');
        let date =
            NaiveDate::parse_from_str(parts.next().expect("a date"), "%Y-%m-%d").expect("a date");
        let region = Region::parse(parts.next().expect("a region")).expect("a known region");
        if !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
            by_region
                .entry((region, date.year()))
                .or_default()
                .insert(date);
        }
    }
    by_region
}

#[test]
fn the_bank_holidays_of_every_region_and_year_match_the_independent_table() {
    let table = table();
    for year in 2015..=2030 {
        for region in Region::ALL {
            let ours: BTreeSet<NaiveDate> =
                bank_holidays(year, region).iter().map(|h| h.date).collect();
            let theirs = table.get(&(region, year)).cloned().unwrap_or_default();
            assert_eq!(ours, theirs, "{} {year}", region.as_str());
        }
    }
}

/// A working day, by the table alone: not a weekend, not Christmas Day, not a holiday anywhere in the UK.
fn working_by_table(day: NaiveDate, holidays: &BTreeSet<NaiveDate>) -> bool {
    let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
    let christmas = day.month() == 12 && day.day() == 25;
    !(weekend || christmas || holidays.contains(&day))
}

#[test]
fn foi_and_sar_dates_for_receipt_on_every_day_of_two_years_match_the_table() {
    let holidays: BTreeSet<NaiveDate> = table().into_values().flatten().collect();
    let calendar = WorkingDays::default();
    let mut received = NaiveDate::from_ymd_opt(2025, 1, 1).expect("a date");
    let end = NaiveDate::from_ymd_opt(2026, 12, 31).expect("a date");
    while received <= end {
        let mut due = received;
        let mut counted = 0;
        while counted < 20 {
            due += Duration::days(1);
            if working_by_table(due, &holidays) {
                counted += 1;
            }
        }
        assert_eq!(calendar.foi_due(received), due, "FOI received {received}");

        let mut statutory = received + Months::new(1);
        while !working_by_table(statutory, &holidays) {
            statutory += Duration::days(1);
        }
        assert_eq!(
            calendar.sar_statutory_due(received),
            statutory,
            "SAR received {received}"
        );
        received += Duration::days(1);
    }
}

#[test]
fn the_days_around_easter_christmas_and_the_regional_holidays_are_not_working_days() {
    let calendar = WorkingDays::default();
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("a date");
    for (date, why) in [
        (day(2026, 4, 3), "Good Friday"),
        (
            day(2026, 4, 6),
            "Easter Monday (not in Scotland, but elsewhere in the UK)",
        ),
        (day(2026, 12, 25), "Christmas Day"),
        (day(2026, 12, 28), "Boxing Day held on Monday"),
        (day(2026, 1, 2), "2 January in Scotland"),
        (day(2026, 3, 17), "St Patrick's Day in Northern Ireland"),
        (
            day(2026, 7, 13),
            "the Battle of the Boyne, held on Monday in Northern Ireland",
        ),
        (day(2026, 8, 3), "the summer holiday in Scotland"),
        (day(2026, 11, 30), "St Andrew's Day in Scotland"),
        (day(2022, 9, 19), "the State Funeral of Queen Elizabeth II"),
        (day(2023, 5, 8), "the Coronation"),
    ] {
        assert!(!calendar.is_working_day(date), "{date}: {why}");
    }
    for date in [
        day(2026, 4, 2),
        day(2026, 4, 7),
        day(2026, 12, 29),
        day(2026, 12, 24),
    ] {
        assert!(calendar.is_working_day(date), "{date}");
    }
}
