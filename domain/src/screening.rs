//! Eligibility screening at submission: the rules a cycle sets, as data, and the check of a form against
//! them. Each rule that fails is named, with a sentence the applicant reads, so they see exactly what stands
//! in the way; a programme officer may waive a rule for one application with a reason
//! (`ApplicationEvent::ScreeningOverridden`).

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::application::form::{Form, HistoryEntry};
use crate::country::Country;

/// The rules of a cycle's screening. A cycle whose terms were never set, or that sets none of these, screens
/// no one out.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScreeningRules {
    /// `eligible_nationality`: the nationalities that may apply; `None` where every nationality may.
    pub eligible_nationalities: Option<BTreeSet<Country>>,
    /// `undergraduate_degree`: an undergraduate degree (a bachelor's or higher) among the education entries.
    pub undergraduate_degree: bool,
    /// `work_experience`: at least this many years of work, counted from the employment entries.
    pub minimum_work_years: Option<u32>,
    /// `return_home_commitment`: the applicant commits to return home for two years after the award.
    pub return_home_commitment: bool,
}

/// One rule of the screening, by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScreeningRule {
    EligibleNationality,
    UndergraduateDegree,
    WorkExperience,
    ReturnHomeCommitment,
}

impl ScreeningRule {
    pub const ALL: [ScreeningRule; 4] = [
        ScreeningRule::EligibleNationality,
        ScreeningRule::UndergraduateDegree,
        ScreeningRule::WorkExperience,
        ScreeningRule::ReturnHomeCommitment,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ScreeningRule::EligibleNationality => "eligible_nationality",
            ScreeningRule::UndergraduateDegree => "undergraduate_degree",
            ScreeningRule::WorkExperience => "work_experience",
            ScreeningRule::ReturnHomeCommitment => "return_home_commitment",
        }
    }

    pub fn parse(name: &str) -> Option<ScreeningRule> {
        ScreeningRule::ALL
            .into_iter()
            .find(|rule| rule.as_str() == name)
    }
}

/// A rule the form does not meet, and what the applicant is told.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScreeningFailure {
    pub rule: ScreeningRule,
    pub message: String,
}

/// How many years of two years' commitment the return home means (the programme's condition).
pub const RETURN_HOME_YEARS: u32 = 2;

impl ScreeningRules {
    /// The rules in force, in the order they are reported.
    pub fn in_force(&self) -> Vec<ScreeningRule> {
        ScreeningRule::ALL
            .into_iter()
            .filter(|rule| match rule {
                ScreeningRule::EligibleNationality => self.eligible_nationalities.is_some(),
                ScreeningRule::UndergraduateDegree => self.undergraduate_degree,
                ScreeningRule::WorkExperience => self.minimum_work_years.is_some_and(|y| y > 0),
                ScreeningRule::ReturnHomeCommitment => self.return_home_commitment,
            })
            .collect()
    }

    /// `nationality_is_eligible`: where the cycle names its eligible nationalities, the applicant's must be
    /// one of them.
    pub fn admits_nationality(&self, nationality: Option<&str>) -> bool {
        match &self.eligible_nationalities {
            None => true,
            Some(eligible) => nationality
                .and_then(Country::parse)
                .is_some_and(|country| eligible.contains(&country)),
        }
    }

    /// `screen`: every rule in force the form does not meet, except those `waived` for this application.
    pub fn screen(
        &self,
        form: &Form,
        today: NaiveDate,
        waived: &BTreeSet<ScreeningRule>,
    ) -> Vec<ScreeningFailure> {
        let mut failures = Vec::new();
        for rule in self.in_force() {
            if waived.contains(&rule) {
                continue;
            }
            let message = match rule {
                ScreeningRule::EligibleNationality => (!self
                    .admits_nationality(form.personal.nationality.as_deref()))
                .then(|| "your nationality is not one of those eligible in this cycle".to_string()),
                ScreeningRule::UndergraduateDegree => (!has_undergraduate_degree(&form.education))
                    .then(|| {
                        "this cycle asks for an undergraduate degree: none of your education entries names a \
                         bachelor's degree or higher (write the qualification as, for example, BSc, BA or \
                         Bachelor of Laws)"
                            .to_string()
                    }),
                ScreeningRule::WorkExperience => {
                    let wanted = self.minimum_work_years.unwrap_or(0);
                    let months = work_experience_months(&form.employment, today);
                    (months < wanted * 12).then(|| {
                        format!(
                            "this cycle asks for at least {wanted} years of work experience: your employment \
                             entries add up to {} (give each job's From and To months)",
                            years_and_months(months)
                        )
                    })
                }
                ScreeningRule::ReturnHomeCommitment => (form.return_home != Some(true)).then(|| {
                    format!(
                        "this cycle asks you to commit to return to your home country for at least \
                         {RETURN_HOME_YEARS} years after your award"
                    )
                }),
            };
            if let Some(message) = message {
                failures.push(ScreeningFailure { rule, message });
            }
        }
        failures
    }
}

/// A length of time as the applicant reads it: "1 year and 3 months", "2 years", "5 months".
fn years_and_months(months: u32) -> String {
    let plural = |n: u32, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    match (months / 12, months % 12) {
        (0, m) => plural(m, "month", "months"),
        (y, 0) => plural(y, "year", "years"),
        (y, m) => format!(
            "{} and {}",
            plural(y, "year", "years"),
            plural(m, "month", "months")
        ),
    }
}

/// Qualifications that are an undergraduate degree or higher, as applicants write them (compared without
/// case, dots or spaces; a word of the qualification that is one of these, or one that starts with
/// "bachelor", "master" or "doctor", counts).
const DEGREES: &[&str] = &[
    "ba",
    "bsc",
    "bs",
    "beng",
    "btech",
    "bed",
    "bcom",
    "bba",
    "llb",
    "mbbs",
    "mbchb",
    "bpharm",
    "barch",
    "bfa",
    "bmus",
    "bn",
    "bsn",
    "bds",
    "bvsc",
    "licence",
    "licenciatura",
    "licenciado",
    "ma",
    "msc",
    "ms",
    "meng",
    "mba",
    "mphil",
    "mres",
    "llm",
    "med",
    "mpa",
    "mph",
    "phd",
    "dphil",
    "md",
    "edd",
];

/// `undergraduate_degree`: some education entry's qualification is a bachelor's degree or higher.
pub fn has_undergraduate_degree(education: &[HistoryEntry]) -> bool {
    education.iter().any(|entry| {
        let Some(Value::String(qualification)) = entry.get("qualification") else {
            return false;
        };
        let lowered = qualification.to_lowercase();
        lowered
            .split(|c: char| c.is_whitespace() || c == '(' || c == ')' || c == ',' || c == '/')
            .map(|word| word.replace(['.', '-'], ""))
            .any(|word| {
                DEGREES.contains(&word.as_str())
                    || word.starts_with("bachelor")
                    || word.starts_with("master")
                    || word.starts_with("doctor")
            })
    })
}

/// A month of a history entry (`2019-09`, or a full date `2019-09-01`), as a count of months.
fn month_of(raw: &str) -> Option<i64> {
    let raw = raw.trim();
    let date = NaiveDate::parse_from_str(&format!("{raw}-01"), "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(raw, "%Y-%m-%d"))
        .ok()?;
    Some(i64::from(date.year()) * 12 + i64::from(date.month0()))
}

/// `work_experience`: the whole months of work the employment entries cover, from each job's From month up
/// to its To month (both counted) or, for a current job, up to this month. Jobs held at the same time count
/// once; an entry without a readable From month, or ending before it starts, counts nothing.
pub fn work_experience_months(employment: &[HistoryEntry], today: NaiveDate) -> u32 {
    let now = i64::from(today.year()) * 12 + i64::from(today.month0());
    let text = |entry: &HistoryEntry, key: &str| match entry.get(key) {
        Some(Value::String(text)) if !text.trim().is_empty() => Some(text.clone()),
        _ => None,
    };
    let mut spans: Vec<(i64, i64)> = employment
        .iter()
        .filter_map(|entry| {
            let from = month_of(&text(entry, "from")?)?;
            let to = match text(entry, "to") {
                Some(to) => month_of(&to)?,
                None => now,
            }
            .min(now);
            (from <= to).then_some((from, to))
        })
        .collect();
    spans.sort();
    let mut months = 0_i64;
    let mut covered_to = i64::MIN;
    for (from, to) in spans {
        let start = from.max(covered_to + 1);
        if to >= start {
            months += to - start + 1;
        }
        covered_to = covered_to.max(to);
    }
    u32::try_from(months).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entries(value: Value) -> Vec<HistoryEntry> {
        serde_json::from_value(value).unwrap()
    }

    fn day(raw: &str) -> NaiveDate {
        NaiveDate::parse_from_str(raw, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn work_is_counted_in_whole_months_both_ends_included() {
        let jobs = entries(json!([{"employer": "A", "from": "2020-01", "to": "2020-12"}]));
        assert_eq!(work_experience_months(&jobs, day("2026-12-03")), 12);
    }

    #[test]
    fn a_current_job_counts_up_to_this_month() {
        let jobs = entries(json!([{"employer": "A", "from": "2025-01"}]));
        assert_eq!(work_experience_months(&jobs, day("2026-12-03")), 24);
        let blank_end = entries(json!([{"employer": "A", "from": "2025-01", "to": ""}]));
        assert_eq!(work_experience_months(&blank_end, day("2026-12-03")), 24);
    }

    #[test]
    fn jobs_held_at_the_same_time_count_once() {
        let jobs = entries(json!([
            {"employer": "A", "from": "2020-01", "to": "2021-12"},
            {"employer": "B", "from": "2021-01", "to": "2022-06"},
            {"employer": "C", "from": "2021-03", "to": "2021-04"},
        ]));
        // January 2020 to June 2022.
        assert_eq!(work_experience_months(&jobs, day("2026-12-03")), 30);
    }

    #[test]
    fn gaps_between_jobs_do_not_count() {
        let jobs = entries(json!([
            {"employer": "A", "from": "2019-01", "to": "2019-06"},
            {"employer": "B", "from": "2020-01", "to": "2020-06"},
        ]));
        assert_eq!(work_experience_months(&jobs, day("2026-12-03")), 12);
    }

    #[test]
    fn unreadable_backwards_and_future_entries_count_nothing_beyond_today() {
        let jobs = entries(json!([
            {"employer": "A", "from": "sometime"},
            {"employer": "B", "from": "2022-06", "to": "2021-01"},
            {"employer": "C", "from": "2026-11", "to": "2030-01"},
        ]));
        // Only November and December 2026 of the last.
        assert_eq!(work_experience_months(&jobs, day("2026-12-03")), 2);
    }

    #[test]
    fn a_bachelors_degree_or_higher_is_recognised_as_applicants_write_it() {
        for qualification in [
            "BSc",
            "B.Sc. (Hons)",
            "Bachelor of Laws",
            "LLB",
            "MBChB",
            "MSc Physics",
            "PhD",
            "Licenciatura en Economía",
        ] {
            let education = entries(json!([{ "qualification": qualification }]));
            assert!(has_undergraduate_degree(&education), "{qualification}");
        }
        for qualification in [
            "High School Diploma",
            "A levels",
            "Certificate in Accounting",
            "",
        ] {
            let education = entries(json!([{ "qualification": qualification }]));
            assert!(!has_undergraduate_degree(&education), "{qualification}");
        }
    }

    fn form(value: Value) -> Form {
        let mut form = Form::default();
        form.apply(&serde_json::from_value(value).unwrap());
        form
    }

    fn every_rule() -> ScreeningRules {
        ScreeningRules {
            eligible_nationalities: Some([Country::parse("Kenya").unwrap()].into()),
            undergraduate_degree: true,
            minimum_work_years: Some(2),
            return_home_commitment: true,
        }
    }

    #[test]
    fn each_failing_rule_is_named_and_explained() {
        let form = form(json!({
            "personal": {"nationality": "Ghana"},
            "education": [{"qualification": "Diploma"}],
            "employment": [{"employer": "A", "from": "2026-01"}],
        }));
        let failures = every_rule().screen(&form, day("2026-12-03"), &BTreeSet::new());
        let rules: Vec<_> = failures.iter().map(|f| f.rule).collect();
        assert_eq!(rules, ScreeningRule::ALL);
        assert!(
            failures[2].message.contains("add up to 1 year "),
            "{}",
            failures[2].message
        );
        assert_eq!(years_and_months(0), "0 months");
        assert_eq!(years_and_months(13), "1 year and 1 month");
        assert_eq!(years_and_months(26), "2 years and 2 months");
    }

    #[test]
    fn a_form_that_meets_every_rule_passes() {
        let form = form(json!({
            "personal": {"nationality": "Kenya"},
            "education": [{"qualification": "BA"}],
            "employment": [{"employer": "A", "from": "2020-09"}],
            "return_home": true,
        }));
        assert!(
            every_rule()
                .screen(&form, day("2026-12-03"), &BTreeSet::new())
                .is_empty()
        );
    }

    #[test]
    fn a_waived_rule_is_not_checked() {
        let form = form(json!({
            "personal": {"nationality": "Ghana"},
            "education": [{"qualification": "BA"}],
            "employment": [{"employer": "A", "from": "2020-09"}],
            "return_home": true,
        }));
        let waived = [ScreeningRule::EligibleNationality].into();
        assert!(
            every_rule()
                .screen(&form, day("2026-12-03"), &waived)
                .is_empty()
        );
    }

    #[test]
    fn no_rules_screen_no_one_out() {
        assert!(ScreeningRules::default().in_force().is_empty());
        assert!(
            ScreeningRules::default()
                .screen(&Form::default(), day("2026-12-03"), &BTreeSet::new())
                .is_empty()
        );
    }
}
