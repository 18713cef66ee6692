//! Fair rankings: the order of a cycle's applications by the committee's scores, corrected for members who
//! mark generously or harshly.
//!
//! Each committee member gives an application a total of 0 to 40 (four criteria of 0 to 10, see
//! [`Scores::total`](crate::application::events::Scores::total)). Members see different subsets of the
//! cycle, so a plain mean favours the applications that happened to go to generous members. The rule here:
//!
//! 1. **Raw mean** ([`RankedApplication::raw_mean`]): the mean of the members' totals for the application.
//! 2. **Each member's z-scores** ([`member_z_scores`]): a member's totals are turned into z-scores over all
//!    the applications that member scored in the cycle, `z = (total − member's mean) / member's standard
//!    deviation`, so what counts is where an application stands among the ones that member saw.
//!    - A member who scored **one application only**, or gave **every application the same total** (zero
//!      variance), cannot be put on their own scale. Their totals are read on the cycle's scale instead,
//!      `z = (total − cycle mean) / cycle standard deviation`: taken as they stand, neither stretched nor
//!      discarded.
//! 3. **Normalised mean** ([`RankedApplication::normalised_mean`]): the mean of the application's z-scores,
//!    mapped back onto 0–40 by the one [`CycleScale`] for everyone, `cycle mean + cycle standard deviation ×
//!    mean z`, where the cycle's mean and standard deviation are those of every total given in the cycle (each
//!    member's total for each application counted once). The result is held to 0–40: an application far
//!    above everyone else is shown at 40, not beyond. When every total in the cycle is the same, the normalised
//!    mean is that total.
//! 4. **Rank** ([`RankedApplication::rank`]): 1 is the best normalised mean. Ties (normalised means equal to
//!    nine decimal places) go to the higher raw mean, then to the application more members scored, then to
//!    the smaller application id, so the same scores always give the same order.
//! 5. **Disagreement** ([`members_disagree`]): the members' totals for the application differ by more than
//!    [`DISAGREEMENT_THRESHOLD`] points (a quarter of the scale), so the officer should read the comments
//!    before relying on the mean.
//! 6. **Country rank** ([`RankedApplication::country_rank`]): the same order within the applicant's
//!    nationality. Eligibility for the programme is by nationality (a cycle's `eligible_nationalities`) and
//!    the programme publishes a scholar's "country of origin", so applicants compete within the country of
//!    which they are citizens, wherever they live now. An application whose nationality is not known ranks
//!    among the others without one.
//!
//! Standard deviations are population ones (divided by the number of totals, not one less): the totals are
//! the whole of what the member gave, not a sample of it.
//!
//! Only applications with at least one total are ranked. Which totals count (no conflicted member, no
//! withdrawn or destroyed application) is decided by whoever gathers them; this module trusts its input to be
//! one cycle's, with one total per member and application.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use crate::application::status::Outcome;

/// Members' totals for one application further apart than this (in points of the 0–40 scale) are a
/// disagreement.
pub const DISAGREEMENT_THRESHOLD: u32 = 10;

/// The highest total a member can give: four criteria of at most 10.
pub const MAX_TOTAL: u32 = 40;

/// Normalised means closer than this are a tie.
const TIE_PRECISION: f64 = 1e-9;

/// One committee member's total (0–40) for an application.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberTotal {
    pub member_id: String,
    pub total: u32,
}

/// An application of the cycle with the totals its members gave it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScoredApplication {
    pub application_id: String,
    /// The applicant's nationality, by its English short name.
    pub country: Option<String>,
    pub totals: Vec<MemberTotal>,
}

/// Where an application stands in its cycle.
#[derive(Clone, Debug, PartialEq)]
pub struct RankedApplication {
    pub application_id: String,
    /// The mean of the members' totals, 0–40.
    pub raw_mean: f64,
    /// The mean of the members' z-scores, mapped back onto 0–40 by the cycle's scale.
    pub normalised_mean: f64,
    /// 1 is the best in the cycle.
    pub rank: u32,
    /// How many members' totals count.
    pub members: u32,
    /// The members' totals differ by more than [`DISAGREEMENT_THRESHOLD`].
    pub disagreement: bool,
    /// The applicant's nationality.
    pub country: Option<String>,
    /// 1 is the best of the cycle's applications of the same nationality.
    pub country_rank: u32,
}

/// The mean and standard deviation of every total given in the cycle: the one scale on which every
/// member's z-scores are read back as points.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CycleScale {
    pub mean: f64,
    pub standard_deviation: f64,
}

impl CycleScale {
    /// The scale of these totals; `None` when there are none.
    pub fn of(totals: impl IntoIterator<Item = u32>) -> Option<Self> {
        let (mean, standard_deviation) = mean_and_deviation(totals)?;
        Some(Self {
            mean,
            standard_deviation,
        })
    }

    /// A total as a z-score on this scale (0 when the scale has no spread).
    pub fn z_score(&self, total: u32) -> f64 {
        if self.standard_deviation > TIE_PRECISION {
            (f64::from(total) - self.mean) / self.standard_deviation
        } else {
            0.0
        }
    }

    /// A mean z-score as points, held to 0–40.
    pub fn points(&self, z: f64) -> f64 {
        (self.mean + self.standard_deviation * z).clamp(0.0, f64::from(MAX_TOTAL))
    }
}

/// Whether the members' totals for one application differ by more than [`DISAGREEMENT_THRESHOLD`].
pub fn members_disagree(totals: &[MemberTotal]) -> bool {
    let highest = totals.iter().map(|t| t.total).max();
    let lowest = totals.iter().map(|t| t.total).min();
    match (highest, lowest) {
        (Some(highest), Some(lowest)) => highest - lowest > DISAGREEMENT_THRESHOLD,
        _ => false,
    }
}

/// Each member's z-score for each application they scored, keyed by (member, application).
///
/// A member with two or more different totals is measured against their own mean and standard deviation; a
/// member with one total, or the same total every time, against the cycle's (see the module's rule 2).
pub fn member_z_scores(
    applications: &[ScoredApplication],
    cycle: &CycleScale,
) -> BTreeMap<(String, String), f64> {
    let mut by_member: BTreeMap<&str, Vec<(&str, u32)>> = BTreeMap::new();
    for application in applications {
        for total in &application.totals {
            by_member
                .entry(&total.member_id)
                .or_default()
                .push((&application.application_id, total.total));
        }
    }
    let mut z_scores = BTreeMap::new();
    for (member, given) in by_member {
        let own = mean_and_deviation(given.iter().map(|(_, total)| *total))
            .filter(|(_, deviation)| *deviation > TIE_PRECISION)
            .map(|(mean, standard_deviation)| CycleScale {
                mean,
                standard_deviation,
            });
        let scale = own.as_ref().unwrap_or(cycle);
        for (application, total) in given {
            z_scores.insert(
                (member.to_owned(), application.to_owned()),
                scale.z_score(total),
            );
        }
    }
    z_scores
}

/// The cycle's applications in order, best first, each with its means, rank and country rank.
pub fn rank_applications(applications: &[ScoredApplication]) -> Vec<RankedApplication> {
    let scored: Vec<&ScoredApplication> = applications
        .iter()
        .filter(|application| !application.totals.is_empty())
        .collect();
    let Some(cycle) = CycleScale::of(
        scored
            .iter()
            .flat_map(|application| application.totals.iter().map(|t| t.total)),
    ) else {
        return Vec::new();
    };
    let z_scores = member_z_scores(applications, &cycle);
    let mut ranked: Vec<RankedApplication> = scored
        .iter()
        .map(|application| {
            let members = application.totals.len() as f64;
            let raw_mean = application
                .totals
                .iter()
                .map(|t| f64::from(t.total))
                .sum::<f64>()
                / members;
            let mean_z = application
                .totals
                .iter()
                .map(|t| {
                    z_scores
                        .get(&(t.member_id.clone(), application.application_id.clone()))
                        .copied()
                        .unwrap_or_default()
                })
                .sum::<f64>()
                / members;
            RankedApplication {
                application_id: application.application_id.clone(),
                raw_mean,
                normalised_mean: cycle.points(mean_z),
                rank: 0,
                members: application.totals.len() as u32,
                disagreement: members_disagree(&application.totals),
                country: application.country.clone(),
                country_rank: 0,
            }
        })
        .collect();
    ranked.sort_by(better_first);
    let mut places_in_country: BTreeMap<Option<String>, u32> = BTreeMap::new();
    for (place, application) in ranked.iter_mut().enumerate() {
        application.rank = place as u32 + 1;
        let place_in_country = places_in_country
            .entry(application.country.clone())
            .or_default();
        *place_in_country += 1;
        application.country_rank = *place_in_country;
    }
    ranked
}

/// The ranking grouped by country: countries in alphabetical order (those without a known nationality last),
/// and within each the country rank.
pub fn by_country(mut ranking: Vec<RankedApplication>) -> Vec<RankedApplication> {
    ranking.sort_by(|a, b| {
        match (&a.country, &b.country) {
            (Some(x), Some(y)) => x.cmp(y),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        }
        .then(a.country_rank.cmp(&b.country_rank))
    });
    ranking
}

/// What a batch of decisions from the ranking decides.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Quotas {
    /// How many to select.
    pub selected: u32,
    /// How many to put on the reserve list after them.
    pub reserve: u32,
    /// Every ranked application after those is unsuccessful.
    pub unsuccessful_rest: bool,
    /// An application whose members disagree is left for the officer to decide on its own.
    pub hold_disagreements: bool,
}

/// One decision of a batch, and where the ranking put the application.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedDecision {
    pub application_id: String,
    pub outcome: Outcome,
    pub rank: u32,
    /// For a reserve: its place on the cycle's reserve list (1 first).
    pub reserve_position: Option<u32>,
}

/// `plan_decisions`: the decisions of a batch, down the ranking, best first. Only the applications still
/// awaiting a decision (`awaiting`) are decided; the others keep their place in the ranking but take no one's
/// quota. The first `selected` are selected; the next `reserve` go on the reserve list in ranking order,
/// after the `reserves_already` places it has; with `unsuccessful_rest` every one after them is
/// unsuccessful. With `hold_disagreements`, an application whose members disagree is passed over (left for
/// the officer) and the next one takes its place.
pub fn plan_decisions(
    ranking: &[RankedApplication],
    awaiting: impl Fn(&str) -> bool,
    quotas: &Quotas,
    reserves_already: u32,
) -> Vec<PlannedDecision> {
    let mut decisions = Vec::new();
    let (mut selected, mut reserve) = (0_u32, 0_u32);
    for application in ranking {
        if !awaiting(&application.application_id)
            || (quotas.hold_disagreements && application.disagreement)
        {
            continue;
        }
        let (outcome, reserve_position) = if selected < quotas.selected {
            selected += 1;
            (Outcome::Selected, None)
        } else if reserve < quotas.reserve {
            reserve += 1;
            (Outcome::Reserve, Some(reserves_already + reserve))
        } else if quotas.unsuccessful_rest {
            (Outcome::Unsuccessful, None)
        } else {
            break;
        };
        decisions.push(PlannedDecision {
            application_id: application.application_id.clone(),
            outcome,
            rank: application.rank,
            reserve_position,
        });
    }
    decisions
}

/// The order of the rule: the higher normalised mean, then the higher raw mean, then more members, then the
/// smaller application id.
fn better_first(a: &RankedApplication, b: &RankedApplication) -> Ordering {
    quantised(b.normalised_mean)
        .cmp(&quantised(a.normalised_mean))
        .then(quantised(b.raw_mean).cmp(&quantised(a.raw_mean)))
        .then(b.members.cmp(&a.members))
        .then(a.application_id.cmp(&b.application_id))
}

/// A mean on 0–40 as a whole number of billionths, so that means equal but for rounding are a tie.
fn quantised(mean: f64) -> i64 {
    (mean / TIE_PRECISION).round() as i64
}

/// The mean and population standard deviation of some totals; `None` when there are none.
fn mean_and_deviation(totals: impl IntoIterator<Item = u32>) -> Option<(f64, f64)> {
    let totals: Vec<f64> = totals.into_iter().map(f64::from).collect();
    if totals.is_empty() {
        return None;
    }
    let count = totals.len() as f64;
    let mean = totals.iter().sum::<f64>() / count;
    let variance = totals.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / count;
    Some((mean, variance.sqrt()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn application(id: &str, country: &str, totals: &[(&str, u32)]) -> ScoredApplication {
        ScoredApplication {
            application_id: id.to_owned(),
            country: Some(country.to_owned()),
            totals: totals
                .iter()
                .map(|(member, total)| MemberTotal {
                    member_id: (*member).to_owned(),
                    total: *total,
                })
                .collect(),
        }
    }

    fn close(actual: f64, expected: f64) -> bool {
        (actual - expected).abs() < 1e-9
    }

    /// The hand-computed example. Member A marks generously, B harshly, C in between, D scored one
    /// application only.
    ///
    /// ```text
    ///            P    Q    R    S
    ///   A       36   32    .    .      A's mean 34, deviation sqrt((2² + 2²) / 2) = 2
    ///   B        .   16   12    .      B's mean 14, deviation 2
    ///   C        .    .   24   20      C's mean 22, deviation 2
    ///   D        .    .    .   28      one total only: read on the cycle's scale
    ///
    ///   The cycle: 36 + 32 + 16 + 12 + 24 + 20 + 28 = 168 over 7 totals, mean 24;
    ///   deviations 12, 8, −8, −12, 0, −4, 4; squares 144 + 64 + 64 + 144 + 0 + 16 + 16 = 448;
    ///   448 / 7 = 64, standard deviation 8.
    ///
    ///   z-scores: A: P (36 − 34) / 2 = +1, Q (32 − 34) / 2 = −1
    ///             B: Q (16 − 14) / 2 = +1, R (12 − 14) / 2 = −1
    ///             C: R (24 − 22) / 2 = +1, S (20 − 22) / 2 = −1
    ///             D: S (28 − 24) / 8 = +0.5                      (the cycle's scale)
    ///
    ///        raw mean          mean z               normalised           spread
    ///   P    36                +1                   24 + 8 × 1    = 32    one member
    ///   Q    (32 + 16)/2 = 24  (−1 + 1)/2 = 0       24 + 8 × 0    = 24    16 > 10: disagreement
    ///   R    (12 + 24)/2 = 18  (−1 + 1)/2 = 0       24 + 8 × 0    = 24    12 > 10: disagreement
    ///   S    (20 + 28)/2 = 24  (−1 + 0.5)/2 = −0.25 24 − 8 × 0.25 = 22     8: agreement
    ///
    ///   Rank: P 1; Q and R tie at 24, Q has the higher raw mean (24 > 18): Q 2, R 3; S 4.
    ///   By raw mean R would be last (18); the harsh B's low mark no longer sinks it.
    /// ```
    fn the_hand_computed_cycle() -> Vec<ScoredApplication> {
        vec![
            application("S", "Ghana", &[("C", 20), ("D", 28)]),
            application("R", "Kenya", &[("B", 12), ("C", 24)]),
            application("Q", "Ghana", &[("A", 32), ("B", 16)]),
            application("P", "Kenya", &[("A", 36)]),
        ]
    }

    #[test]
    fn the_hand_computed_example_gives_the_means_order_and_flags_worked_out_by_hand() {
        let ranking = rank_applications(&the_hand_computed_cycle());
        let got: Vec<(&str, f64, f64, u32, u32, bool)> = ranking
            .iter()
            .map(|r| {
                (
                    r.application_id.as_str(),
                    r.raw_mean,
                    r.normalised_mean,
                    r.rank,
                    r.members,
                    r.disagreement,
                )
            })
            .collect();
        let expected = [
            ("P", 36.0, 32.0, 1, 1, false),
            ("Q", 24.0, 24.0, 2, 2, true),
            ("R", 18.0, 24.0, 3, 2, true),
            ("S", 24.0, 22.0, 4, 2, false),
        ];
        assert_eq!(got.len(), expected.len());
        for (got, expected) in got.iter().zip(expected) {
            assert_eq!(got.0, expected.0, "{got:?}");
            assert!(close(got.1, expected.1), "raw mean of {got:?}");
            assert!(close(got.2, expected.2), "normalised mean of {got:?}");
            assert_eq!((got.3, got.4, got.5), (expected.3, expected.4, expected.5));
        }
    }

    #[test]
    fn the_hand_computed_example_has_the_cycle_scale_and_z_scores_worked_out_by_hand() {
        let cycle = the_hand_computed_cycle();
        let scale =
            CycleScale::of(cycle.iter().flat_map(|a| a.totals.iter().map(|t| t.total))).unwrap();
        assert!(close(scale.mean, 24.0) && close(scale.standard_deviation, 8.0));
        let z = member_z_scores(&cycle, &scale);
        for (member, application, expected) in [
            ("A", "P", 1.0),
            ("A", "Q", -1.0),
            ("B", "Q", 1.0),
            ("B", "R", -1.0),
            ("C", "R", 1.0),
            ("C", "S", -1.0),
            ("D", "S", 0.5),
        ] {
            let got = z[&(member.to_owned(), application.to_owned())];
            assert!(close(got, expected), "{member} on {application}: {got}");
        }
    }

    #[test]
    fn the_country_rank_follows_the_order_within_each_nationality() {
        let ranking = rank_applications(&the_hand_computed_cycle());
        let ranks: Vec<(&str, u32)> = ranking
            .iter()
            .map(|r| (r.application_id.as_str(), r.country_rank))
            .collect();
        assert_eq!(ranks, [("P", 1), ("Q", 1), ("R", 2), ("S", 2)]);
        let grouped: Vec<String> = by_country(ranking)
            .into_iter()
            .map(|r| r.application_id)
            .collect();
        assert_eq!(grouped, ["Q", "S", "P", "R"], "Ghana, then Kenya");
    }

    #[test]
    fn a_member_who_gives_every_application_the_same_total_is_read_on_the_cycle_scale() {
        // E gives both 30. The cycle: 30, 30, 10, 30 — mean 25, deviations 5, 5, −15, 5, squares 25 + 25 +
        // 225 + 25 = 300, 300 / 4 = 75. F gives 10 and 30: mean 20, deviation 10, z −1 and +1.
        // X: E (30 − 25) / sqrt(75) = 0.5774 and F −1: mean z −0.2113, 25 − sqrt(75) × 0.2113 = 23.17.
        // Y: E 0.5774 and F +1: mean z 0.7887, 25 + sqrt(75) × 0.7887 = 31.83.
        let ranking = rank_applications(&[
            application("X", "Kenya", &[("E", 30), ("F", 10)]),
            application("Y", "Kenya", &[("E", 30), ("F", 30)]),
        ]);
        let sd = 75f64.sqrt();
        let e = 5.0 / sd;
        assert_eq!(ranking[0].application_id, "Y");
        assert!(close(
            ranking[0].normalised_mean,
            25.0 + sd * (e + 1.0) / 2.0
        ));
        assert!(close(
            ranking[1].normalised_mean,
            25.0 + sd * (e - 1.0) / 2.0
        ));
        assert!(ranking[1].disagreement, "30 and 10 are 20 apart");
    }

    #[test]
    fn when_every_total_in_the_cycle_is_the_same_the_normalised_mean_is_that_total() {
        let ranking = rank_applications(&[
            application("B", "Kenya", &[("E", 28)]),
            application("A", "Kenya", &[("E", 28), ("F", 28)]),
        ]);
        for entry in &ranking {
            assert!(close(entry.raw_mean, 28.0) && close(entry.normalised_mean, 28.0));
        }
        let order: Vec<&str> = ranking.iter().map(|r| r.application_id.as_str()).collect();
        assert_eq!(order, ["A", "B"], "a full tie goes to more members");
    }

    #[test]
    fn a_full_tie_goes_to_the_smaller_application_id() {
        let ranking = rank_applications(&[
            application("b", "Kenya", &[("E", 20)]),
            application("a", "Kenya", &[("E", 20)]),
            application("c", "Kenya", &[("E", 30)]),
        ]);
        let order: Vec<(&str, u32)> = ranking
            .iter()
            .map(|r| (r.application_id.as_str(), r.rank))
            .collect();
        assert_eq!(order, [("c", 1), ("a", 2), ("b", 3)]);
    }

    #[test]
    fn an_application_far_above_the_cycle_is_held_at_forty() {
        // M gives A 40 and eight others 0: M's mean 40 / 9 = 4.44, deviation sqrt(40² × 8 / 81) = 12.57, so A's
        // z is (40 − 4.44) / 12.57 = 2.83. N gives 20, 22, 20, 22. The cycle's thirteen totals sum to 124: mean
        // 9.54, deviation 12.97. A would be 9.54 + 12.97 × 2.83 = 46.2, beyond the scale: it is shown at 40.
        let mut cycle = vec![application("A", "Kenya", &[("M", 40)])];
        for i in 0..8 {
            cycle.push(application(&format!("B{i}"), "Kenya", &[("M", 0)]));
        }
        for (i, total) in [20, 22, 20, 22].into_iter().enumerate() {
            cycle.push(application(&format!("C{i}"), "Kenya", &[("N", total)]));
        }
        let ranking = rank_applications(&cycle);
        assert_eq!(ranking[0].application_id, "A");
        assert!(close(ranking[0].normalised_mean, 40.0));
        assert!(
            ranking
                .iter()
                .all(|r| (0.0..=40.0).contains(&r.normalised_mean))
        );
    }

    #[test]
    fn disagreement_is_a_spread_of_more_than_the_threshold() {
        let totals = |marks: &[u32]| -> Vec<MemberTotal> {
            marks
                .iter()
                .enumerate()
                .map(|(i, total)| MemberTotal {
                    member_id: i.to_string(),
                    total: *total,
                })
                .collect()
        };
        assert!(
            !members_disagree(&totals(&[20, 30])),
            "10 apart is not more than 10"
        );
        assert!(members_disagree(&totals(&[20, 31])));
        assert!(members_disagree(&totals(&[25, 20, 31])));
        assert!(!members_disagree(&totals(&[40])));
        assert!(!members_disagree(&[]));
    }

    #[test]
    fn applications_without_scores_are_not_ranked() {
        assert!(rank_applications(&[]).is_empty());
        let ranking = rank_applications(&[
            application("A", "Kenya", &[]),
            application("B", "Kenya", &[("E", 12)]),
        ]);
        assert_eq!(ranking.len(), 1);
        assert_eq!(ranking[0].application_id, "B");
        assert!(close(ranking[0].normalised_mean, 12.0));
    }

    proptest! {
        /// A member who adds the same number of points to everything they mark (a generous member) changes
        /// no one's z-scores, so no one's rank.
        #[test]
        fn a_members_generosity_does_not_change_the_order(
            a in 0u32..=30, b in 0u32..=30, c in 0u32..=30, d in 0u32..=30, shift in 0u32..=10,
        ) {
            prop_assume!(a != b && c != d);
            let cycle = |shift: u32| vec![
                application("P", "Kenya", &[("A", a + shift), ("B", c)]),
                application("Q", "Kenya", &[("A", b + shift), ("B", d)]),
            ];
            let order = |ranking: Vec<RankedApplication>| -> Vec<String> {
                ranking.into_iter().map(|r| r.application_id).collect()
            };
            prop_assert_eq!(order(rank_applications(&cycle(0))), order(rank_applications(&cycle(shift))));
        }

        #[test]
        fn every_mean_is_on_the_scale(
            marks in proptest::collection::vec((0usize..6, 0usize..4, 0u32..=40), 1..30),
        ) {
            let mut applications: Vec<ScoredApplication> = (0..6)
                .map(|i| application(&i.to_string(), "Kenya", &[]))
                .collect();
            for (app, member, total) in marks {
                let totals = &mut applications[app].totals;
                let member = member.to_string();
                if !totals.iter().any(|t| t.member_id == member) {
                    totals.push(MemberTotal { member_id: member, total });
                }
            }
            let ranking = rank_applications(&applications);
            for (place, entry) in ranking.iter().enumerate() {
                prop_assert!((0.0..=40.0).contains(&entry.raw_mean));
                prop_assert!((0.0..=40.0).contains(&entry.normalised_mean));
                prop_assert_eq!(entry.rank as usize, place + 1);
            }
        }
    }

    fn ranked(ids_and_disagreement: &[(&str, bool)]) -> Vec<RankedApplication> {
        ids_and_disagreement
            .iter()
            .enumerate()
            .map(|(i, (id, disagreement))| RankedApplication {
                application_id: id.to_string(),
                raw_mean: 40.0 - i as f64,
                normalised_mean: 40.0 - i as f64,
                rank: i as u32 + 1,
                members: 2,
                disagreement: *disagreement,
                country: None,
                country_rank: i as u32 + 1,
            })
            .collect()
    }

    fn outcomes(plan: &[PlannedDecision]) -> Vec<(String, Outcome, Option<u32>)> {
        plan.iter()
            .map(|d| (d.application_id.clone(), d.outcome, d.reserve_position))
            .collect()
    }

    #[test]
    fn a_batch_selects_then_reserves_in_ranking_order_then_declines_the_rest() {
        let ranking = ranked(&[
            ("a", false),
            ("b", false),
            ("c", false),
            ("d", false),
            ("e", false),
        ]);
        let quotas = Quotas {
            selected: 2,
            reserve: 2,
            unsuccessful_rest: true,
            hold_disagreements: false,
        };
        let plan = plan_decisions(&ranking, |_| true, &quotas, 0);
        assert_eq!(
            outcomes(&plan),
            vec![
                ("a".into(), Outcome::Selected, None),
                ("b".into(), Outcome::Selected, None),
                ("c".into(), Outcome::Reserve, Some(1)),
                ("d".into(), Outcome::Reserve, Some(2)),
                ("e".into(), Outcome::Unsuccessful, None),
            ]
        );
        assert_eq!(plan[4].rank, 5);
    }

    #[test]
    fn those_already_decided_take_no_quota_and_the_reserve_list_goes_on_from_its_end() {
        let ranking = ranked(&[("a", false), ("b", false), ("c", false), ("d", false)]);
        let quotas = Quotas {
            selected: 1,
            reserve: 1,
            ..Quotas::default()
        };
        let plan = plan_decisions(&ranking, |id| id != "a", &quotas, 3);
        assert_eq!(
            outcomes(&plan),
            vec![
                ("b".into(), Outcome::Selected, None),
                ("c".into(), Outcome::Reserve, Some(4)),
            ]
        );
    }

    #[test]
    fn without_the_rest_declined_a_batch_stops_at_its_quotas() {
        let ranking = ranked(&[("a", false), ("b", false), ("c", false)]);
        let quotas = Quotas {
            selected: 1,
            ..Quotas::default()
        };
        assert_eq!(plan_decisions(&ranking, |_| true, &quotas, 0).len(), 1);
        let none = plan_decisions(&ranking, |_| true, &Quotas::default(), 0);
        assert!(none.is_empty());
    }

    #[test]
    fn a_disagreement_held_is_passed_over_and_the_next_takes_its_place() {
        let ranking = ranked(&[("a", true), ("b", false), ("c", false)]);
        let quotas = Quotas {
            selected: 1,
            reserve: 0,
            unsuccessful_rest: true,
            hold_disagreements: true,
        };
        assert_eq!(
            outcomes(&plan_decisions(&ranking, |_| true, &quotas, 0)),
            vec![
                ("b".into(), Outcome::Selected, None),
                ("c".into(), Outcome::Unsuccessful, None),
            ]
        );
    }
}
