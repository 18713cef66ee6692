//! Application cycles, named `YYYY-YY` (`2026-27`), and their terms: when a cycle takes applications,
//! whether its committee reviews blind, and who is eligible. An administrator sets the terms; a cycle whose
//! terms were never set is open all year, without blind review, to every nationality.

pub mod aggregate;

use serde::{Deserialize, Serialize};

pub use aggregate::{
    Cycle, CycleCommand, CycleError, CycleEvent, CycleTerms, CycleTermsSource, OpenAllYear,
    automatic_conclusion_day,
};

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CycleName(String);

impl CycleName {
    /// A cycle name is two consecutive years, the second written with two digits: `2026-27`.
    pub fn parse(raw: &str) -> Result<CycleName, String> {
        let bad = || format!("a cycle is named like 2026-27, not {raw:?}");
        let (first, second) = raw.split_once('-').ok_or_else(bad)?;
        if first.len() != 4 || second.len() != 2 {
            return Err(bad());
        }
        let first: u32 = first.parse().map_err(|_| bad())?;
        let second: u32 = second.parse().map_err(|_| bad())?;
        if !(2000..=2999).contains(&first) || (first + 1) % 100 != second {
            return Err(bad());
        }
        Ok(CycleName(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The year in which the cycle starts.
    pub fn first_year(&self) -> i32 {
        self.0[..4].parse().unwrap_or_default()
    }
}

impl std::fmt::Display for CycleName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cycle_is_two_consecutive_years() {
        assert!(CycleName::parse("2026-27").is_ok());
        assert!(CycleName::parse("2099-00").is_ok());
        assert_eq!(CycleName::parse("2026-27").unwrap().first_year(), 2026);
    }

    #[test]
    fn other_shapes_are_refused() {
        for bad in [
            "2026",
            "2026-28",
            "26-27",
            "2026-2027",
            "abcd-ef",
            "",
            "2026-27 ",
        ] {
            assert!(CycleName::parse(bad).is_err(), "{bad} was accepted");
        }
    }
}
