//! The UK working-day calendar that the time limits for information requests are counted in.
//!
//! FOIA s.10(6): a working day is any day other than a Saturday, a Sunday, Christmas Day, Good Friday or a
//! day that is a bank holiday under the Banking and Financial Dealings Act 1971 in any part of the United
//! Kingdom. So a bank holiday in England and Wales, in Scotland or in Northern Ireland is not a working day
//! anywhere. Bank holidays follow rules (computed here for any year) and proclamations (one-off days, and
//! days moved), which are data: [`ONE_OFF_DAYS`] and [`MOVED_DAYS`], and any day an officer adds.

use chrono::{Datelike, Duration, Months, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

/// The three parts of the UK with their own bank holidays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Region {
    EnglandAndWales,
    Scotland,
    NorthernIreland,
}

impl Region {
    pub const ALL: [Region; 3] = [
        Region::EnglandAndWales,
        Region::Scotland,
        Region::NorthernIreland,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Region::EnglandAndWales => "england-and-wales",
            Region::Scotland => "scotland",
            Region::NorthernIreland => "northern-ireland",
        }
    }

    pub fn parse(name: &str) -> Option<Region> {
        Region::ALL
            .into_iter()
            .find(|region| region.as_str() == name)
    }
}

/// A bank holiday in one part of the UK.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BankHoliday {
    pub date: NaiveDate,
    pub region: Region,
    pub name: String,
}

/// The years the calendar answers for: the bank-holiday data starts in 2015, and the rules reach 2100.
pub const FIRST_YEAR: i32 = 2015;
pub const LAST_YEAR: i32 = 2100;

impl BankHoliday {
    /// A day an officer adds because it was proclaimed (a one-off or moved bank holiday), checked: a day in
    /// the years the calendar answers for, a region of the UK, and a name of at most 200 characters. A
    /// refusal names the field and what is wrong with it.
    pub fn proclaimed(
        date: NaiveDate,
        region: &str,
        name: &str,
    ) -> Result<BankHoliday, (&'static str, &'static str)> {
        if !(FIRST_YEAR..=LAST_YEAR).contains(&date.year()) {
            return Err(("date", "must be from 2015 to 2100"));
        }
        let region = Region::parse(region.trim()).ok_or((
            "region",
            "must be england-and-wales, scotland or northern-ireland",
        ))?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
            return Err(("name", "must be given, at most 200 characters"));
        }
        Ok(BankHoliday {
            date,
            region,
            name: name.to_string(),
        })
    }
}

const ALL_REGIONS: &[Region] = &[
    Region::EnglandAndWales,
    Region::Scotland,
    Region::NorthernIreland,
];

/// Bank holidays proclaimed for one occasion, by region.
pub const ONE_OFF_DAYS: &[(i32, u32, u32, &[Region], &str)] = &[
    (2011, 4, 29, ALL_REGIONS, "Royal wedding"),
    (2012, 6, 5, ALL_REGIONS, "Diamond Jubilee"),
    (2022, 6, 3, ALL_REGIONS, "Platinum Jubilee"),
    (
        2022,
        9,
        19,
        ALL_REGIONS,
        "State Funeral of Queen Elizabeth II",
    ),
    (2023, 5, 8, ALL_REGIONS, "Coronation of King Charles III"),
    (
        2026,
        6,
        15,
        &[Region::Scotland],
        "FIFA World Cup (Scotland)",
    ),
];

/// Years in which a regular bank holiday was moved by proclamation: (year, name, moved to).
pub const MOVED_DAYS: &[(i32, &str, u32, u32)] = &[
    (2012, "Spring bank holiday", 6, 4),
    (2020, "Early May bank holiday", 5, 8),
    (2022, "Spring bank holiday", 6, 2),
];

/// Easter Sunday in the Gregorian calendar (the anonymous Gregorian algorithm).
pub fn easter_sunday(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32).expect("Easter falls in March or April")
}

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).expect("a real date")
}

/// The first `weekday` of a month.
fn first(weekday: Weekday, year: i32, month: u32) -> NaiveDate {
    NaiveDate::from_weekday_of_month_opt(year, month, weekday, 1)
        .expect("every month has a first weekday")
}

/// The last `weekday` of a month.
fn last(weekday: Weekday, year: i32, month: u32) -> NaiveDate {
    let next_month = date(year, month, 1) + Months::new(1);
    let mut day = next_month - Duration::days(1);
    while day.weekday() != weekday {
        day -= Duration::days(1);
    }
    day
}

fn is_weekend(day: NaiveDate) -> bool {
    matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
}

/// A fixed-date holiday that falls at a weekend is held on the next weekday not already a holiday.
fn substitute(day: NaiveDate, taken: &[NaiveDate]) -> NaiveDate {
    let mut held = day;
    while is_weekend(held) || taken.contains(&held) {
        held += Duration::days(1);
    }
    held
}

/// The bank holidays of a year in one region, by the rules and the proclamations above.
pub fn bank_holidays(year: i32, region: Region) -> Vec<BankHoliday> {
    let mut days: Vec<(NaiveDate, String)> = Vec::new();
    let moved = |name: &str| {
        MOVED_DAYS
            .iter()
            .find(|(y, n, _, _)| *y == year && *n == name)
            .map(|(_, _, month, day)| date(year, *month, *day))
    };
    let mut add = |day: NaiveDate, name: &str| days.push((day, name.to_string()));

    // New Year: Scotland keeps 1 and 2 January, substituted in turn.
    let new_year = substitute(date(year, 1, 1), &[]);
    add(new_year, "New Year's Day");
    if region == Region::Scotland {
        add(substitute(date(year, 1, 2), &[new_year]), "2nd January");
    }
    if region == Region::NorthernIreland {
        add(substitute(date(year, 3, 17), &[]), "St Patrick's Day");
    }
    let easter = easter_sunday(year);
    add(easter - Duration::days(2), "Good Friday");
    if region != Region::Scotland {
        add(easter + Duration::days(1), "Easter Monday");
    }
    add(
        moved("Early May bank holiday").unwrap_or_else(|| first(Weekday::Mon, year, 5)),
        "Early May bank holiday",
    );
    add(
        moved("Spring bank holiday").unwrap_or_else(|| last(Weekday::Mon, year, 5)),
        "Spring bank holiday",
    );
    if region == Region::NorthernIreland {
        add(
            substitute(date(year, 7, 12), &[]),
            "Battle of the Boyne (Orangemen's Day)",
        );
    }
    if region == Region::Scotland {
        add(first(Weekday::Mon, year, 8), "Summer bank holiday");
    } else {
        add(last(Weekday::Mon, year, 8), "Summer bank holiday");
    }
    if region == Region::Scotland {
        add(substitute(date(year, 11, 30), &[]), "St Andrew's Day");
    }
    let christmas = substitute(date(year, 12, 25), &[]);
    add(christmas, "Christmas Day");
    add(substitute(date(year, 12, 26), &[christmas]), "Boxing Day");

    for (y, month, day, regions, name) in ONE_OFF_DAYS {
        if *y == year && regions.contains(&region) {
            add(date(year, *month, *day), name);
        }
    }
    let mut holidays: Vec<BankHoliday> = days
        .into_iter()
        .map(|(date, name)| BankHoliday { date, region, name })
        .collect();
    holidays.sort();
    holidays
}

/// The working-day calendar: the rules above, and any bank holidays proclaimed later and added.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WorkingDays {
    added: Vec<BankHoliday>,
}

impl WorkingDays {
    pub fn new(added: Vec<BankHoliday>) -> Self {
        Self { added }
    }

    /// Every bank holiday of a year, in every region, the added ones included.
    pub fn holidays(&self, year: i32) -> Vec<BankHoliday> {
        let mut all: Vec<BankHoliday> = Region::ALL
            .iter()
            .flat_map(|region| bank_holidays(year, *region))
            .collect();
        all.extend(self.added.iter().filter(|h| h.date.year() == year).cloned());
        all.sort();
        all.dedup_by(|a, b| a.date == b.date && a.region == b.region);
        all
    }

    /// FOIA s.10(6): not a weekend, Christmas Day, Good Friday, nor a bank holiday anywhere in the UK.
    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        if is_weekend(day) || (day.month() == 12 && day.day() == 25) {
            return false;
        }
        if day == easter_sunday(day.year()) - Duration::days(2) {
            return false;
        }
        let is_holiday = |h: &BankHoliday| h.date == day;
        !(Region::ALL
            .iter()
            .any(|region| bank_holidays(day.year(), *region).iter().any(is_holiday))
            || self.added.iter().any(is_holiday))
    }

    /// The `n`th working day after `day` (the day itself not counted).
    pub fn working_days_after(&self, day: NaiveDate, n: u32) -> NaiveDate {
        let mut current = day;
        let mut counted = 0;
        while counted < n {
            current += Duration::days(1);
            if self.is_working_day(current) {
                counted += 1;
            }
        }
        current
    }

    /// The day itself if it is a working day, else the next one that is.
    pub fn on_or_after(&self, day: NaiveDate) -> NaiveDate {
        let mut current = day;
        while !self.is_working_day(current) {
            current += Duration::days(1);
        }
        current
    }

    /// The FOI time limit: the 20th working day after the day of receipt.
    pub fn foi_due(&self, received_on: NaiveDate) -> NaiveDate {
        self.working_days_after(received_on, 20)
    }

    /// The ICO's one calendar month for a subject access request: the same day number next month, the last
    /// day of that month where it has none, moved to the next working day where it is not one.
    pub fn sar_statutory_due(&self, received_on: NaiveDate) -> NaiveDate {
        self.on_or_after(received_on + Months::new(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        date(y, m, day)
    }

    #[test]
    fn easter_falls_where_the_almanac_says() {
        assert_eq!(easter_sunday(2024), d(2024, 3, 31));
        assert_eq!(easter_sunday(2025), d(2025, 4, 20));
        assert_eq!(easter_sunday(2026), d(2026, 4, 5));
        assert_eq!(easter_sunday(2019), d(2019, 4, 21));
    }

    #[test]
    fn christmas_at_a_weekend_moves_both_days() {
        let days: Vec<NaiveDate> = bank_holidays(2021, Region::EnglandAndWales)
            .iter()
            .map(|h| h.date)
            .collect();
        assert!(days.contains(&d(2021, 12, 27)) && days.contains(&d(2021, 12, 28)));
        let days: Vec<NaiveDate> = bank_holidays(2022, Region::EnglandAndWales)
            .iter()
            .map(|h| h.date)
            .collect();
        assert!(days.contains(&d(2022, 12, 26)) && days.contains(&d(2022, 12, 27)));
    }

    #[test]
    fn a_holiday_in_any_part_of_the_uk_is_no_working_day() {
        let calendar = WorkingDays::default();
        assert!(
            !calendar.is_working_day(d(2025, 3, 17)),
            "St Patrick's Day (Northern Ireland)"
        );
        assert!(
            !calendar.is_working_day(d(2025, 8, 4)),
            "first Monday of August (Scotland)"
        );
        assert!(
            !calendar.is_working_day(d(2025, 8, 25)),
            "last Monday of August (England and Wales)"
        );
        assert!(
            !calendar.is_working_day(d(2026, 6, 15)),
            "the proclaimed day in Scotland"
        );
        assert!(calendar.is_working_day(d(2025, 3, 18)));
    }

    #[test]
    fn an_foi_request_is_due_on_the_twentieth_working_day_after_receipt() {
        let calendar = WorkingDays::default();
        assert_eq!(calendar.foi_due(d(2025, 1, 6)), d(2025, 2, 3));
        assert_eq!(
            calendar.foi_due(d(2025, 4, 14)),
            d(2025, 5, 15),
            "Good Friday, Easter Monday, early May"
        );
    }

    #[test]
    fn a_subject_access_request_is_due_a_calendar_month_later_on_a_working_day() {
        let calendar = WorkingDays::default();
        assert_eq!(calendar.sar_statutory_due(d(2025, 1, 31)), d(2025, 2, 28));
        assert_eq!(calendar.sar_statutory_due(d(2025, 3, 1)), d(2025, 4, 1));
        assert_eq!(
            calendar.sar_statutory_due(d(2025, 7, 5)),
            d(2025, 8, 5),
            "5 Aug 2025 is a Tuesday"
        );
        assert_eq!(calendar.sar_statutory_due(d(2025, 4, 19)), d(2025, 5, 19));
    }

    #[test]
    fn an_added_day_stops_being_a_working_day() {
        let mut calendar = WorkingDays::default();
        assert!(calendar.is_working_day(d(2027, 6, 16)));
        calendar = WorkingDays::new(vec![BankHoliday {
            date: d(2027, 6, 16),
            region: Region::Scotland,
            name: "Proclaimed".into(),
        }]);
        assert!(!calendar.is_working_day(d(2027, 6, 16)));
    }
}
