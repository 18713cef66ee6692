//! Committee assignment in bulk: every application of a cycle awaiting review gets the committee members it
//! still needs, the work spread evenly, never to a member who declared a conflict on it, and, where the
//! officer divides the committee by region, only to the members for the applicant's region.
//!
//! The rules of [`plan_assignments`]:
//! 1. `never_conflicted`: a member who declared a conflict of interest on an application is never assigned to
//!    it again.
//! 2. `not_twice`: a member already on an application's committee is not assigned to it again.
//! 3. `by_region`: a member given a region (a set of nationalities) is assigned only applicants of those
//!    nationalities; a member given none reviews any applicant. An applicant whose nationality no member's
//!    region holds is reviewed by the members without one.
//! 4. `balanced_load`: each place goes to the member, among those allowed, with the fewest applications of the
//!    cycle already (counting what this plan gives them); ties go to the smaller member id. Applications are
//!    served the fewest allowed members first (then by id), so those with few possible reviewers are not left
//!    without. Without regions or conflicts, loads end at most one apart.
//! 5. An application that cannot get all the members it needs gets those it can, and is reported short.

use std::collections::{BTreeMap, BTreeSet};

/// A committee member who may be given applications.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reviewer {
    pub member_id: String,
    /// The nationalities of the member's region; `None`: every applicant.
    pub region: Option<BTreeSet<String>>,
    /// The applications of the cycle the member already has (not conflicted).
    pub load: u32,
}

/// An application awaiting review, with its committee so far.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AwaitingReview {
    pub application_id: String,
    /// The applicant's nationality, as the region is matched.
    pub nationality: Option<String>,
    /// Members assigned and not conflicted.
    pub assigned: BTreeSet<String>,
    /// Members who declared a conflict on it.
    pub conflicted: BTreeSet<String>,
}

/// One member given one application.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Assignment {
    pub application_id: String,
    pub member_id: String,
}

/// What a bulk assignment does.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AssignmentPlan {
    pub assignments: Vec<Assignment>,
    /// Applications left with fewer members than they need, and how many places are still open.
    pub short: Vec<(String, u32)>,
    /// Each member's load once the plan is carried out.
    pub loads: BTreeMap<String, u32>,
}

/// The most members an application's committee is given in bulk.
pub const MOST_MEMBERS_PER_APPLICATION: u32 = 5;

/// `plan_assignments`: see the module's rules.
pub fn plan_assignments(
    applications: &[AwaitingReview],
    reviewers: &[Reviewer],
    members_per_application: u32,
) -> AssignmentPlan {
    let mut loads: BTreeMap<String, u32> = reviewers
        .iter()
        .map(|r| (r.member_id.clone(), r.load))
        .collect();
    let regional: BTreeSet<&String> = reviewers
        .iter()
        .filter_map(|r| r.region.as_ref())
        .flatten()
        .collect();
    // `by_region`, `never_conflicted`, `not_twice`: who may review an application at all.
    let allowed = |application: &AwaitingReview| -> Vec<&Reviewer> {
        let nationality = application.nationality.as_ref();
        let covered = nationality.is_some_and(|n| regional.contains(n));
        reviewers
            .iter()
            .filter(|r| match &r.region {
                None => true,
                Some(region) => covered && nationality.is_some_and(|n| region.contains(n)),
            })
            .filter(|r| !application.conflicted.contains(&r.member_id))
            .filter(|r| !application.assigned.contains(&r.member_id))
            .collect()
    };
    let mut order: Vec<(&AwaitingReview, Vec<&Reviewer>)> = applications
        .iter()
        .map(|application| (application, allowed(application)))
        .collect();
    order.sort_by(|(a, a_allowed), (b, b_allowed)| {
        a_allowed
            .len()
            .cmp(&b_allowed.len())
            .then(a.application_id.cmp(&b.application_id))
    });
    let mut plan = AssignmentPlan::default();
    for (application, candidates) in order {
        let needed = members_per_application.saturating_sub(application.assigned.len() as u32);
        let mut chosen: BTreeSet<&str> = BTreeSet::new();
        for _ in 0..needed {
            let next = candidates
                .iter()
                .filter(|r| !chosen.contains(r.member_id.as_str()))
                .min_by(|a, b| {
                    loads[&a.member_id]
                        .cmp(&loads[&b.member_id])
                        .then(a.member_id.cmp(&b.member_id))
                });
            let Some(reviewer) = next else {
                break;
            };
            chosen.insert(&reviewer.member_id);
            *loads.entry(reviewer.member_id.clone()).or_default() += 1;
            plan.assignments.push(Assignment {
                application_id: application.application_id.clone(),
                member_id: reviewer.member_id.clone(),
            });
        }
        let open = needed - chosen.len() as u32;
        if open > 0 {
            plan.short.push((application.application_id.clone(), open));
        }
    }
    plan.short.sort();
    plan.loads = loads;
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn reviewer(id: &str) -> Reviewer {
        Reviewer {
            member_id: id.to_string(),
            region: None,
            load: 0,
        }
    }

    fn awaiting(id: &str, nationality: &str) -> AwaitingReview {
        AwaitingReview {
            application_id: id.to_string(),
            nationality: Some(nationality.to_string()),
            assigned: BTreeSet::new(),
            conflicted: BTreeSet::new(),
        }
    }

    fn members_of(plan: &AssignmentPlan, application: &str) -> Vec<String> {
        plan.assignments
            .iter()
            .filter(|a| a.application_id == application)
            .map(|a| a.member_id.clone())
            .collect()
    }

    #[test]
    fn the_work_is_spread_evenly_starting_from_what_members_already_have() {
        let mut busy = reviewer("m1");
        busy.load = 3;
        let reviewers = [busy, reviewer("m2"), reviewer("m3")];
        let applications: Vec<_> = (0..6)
            .map(|i| awaiting(&format!("a{i}"), "Kenya"))
            .collect();
        let plan = plan_assignments(&applications, &reviewers, 1);
        assert_eq!(plan.assignments.len(), 6);
        // m1 starts with 3: the six go to m2 and m3, who catch up.
        assert_eq!(plan.loads["m1"], 3);
        assert_eq!(plan.loads["m2"], 3);
        assert_eq!(plan.loads["m3"], 3);
        assert!(plan.assignments.iter().all(|a| a.member_id != "m1"));
        assert!(plan.short.is_empty());
    }

    #[test]
    fn a_conflicted_member_is_never_assigned_and_a_member_not_twice() {
        let reviewers = [reviewer("m1"), reviewer("m2"), reviewer("m3")];
        let mut a = awaiting("a", "Kenya");
        a.conflicted.insert("m1".to_string());
        a.assigned.insert("m2".to_string());
        let plan = plan_assignments(&[a], &reviewers, 2);
        assert_eq!(members_of(&plan, "a"), ["m3"]);
        assert!(plan.short.is_empty());
    }

    #[test]
    fn an_application_that_cannot_be_served_in_full_is_reported_short() {
        let reviewers = [reviewer("m1"), reviewer("m2")];
        let mut a = awaiting("a", "Kenya");
        a.conflicted.insert("m1".to_string());
        let plan = plan_assignments(&[a], &reviewers, 3);
        assert_eq!(members_of(&plan, "a"), ["m2"]);
        assert_eq!(plan.short, vec![("a".to_string(), 2)]);
    }

    #[test]
    fn members_with_a_region_review_only_its_applicants_and_the_rest_go_to_those_without() {
        let mut africa = reviewer("m-africa");
        africa.region = Some(["Kenya".to_string(), "Ghana".to_string()].into());
        let mut asia = reviewer("m-asia");
        asia.region = Some(["Nepal".to_string()].into());
        let anyone = reviewer("m-any");
        let reviewers = [africa, asia, anyone];
        let applications = [
            awaiting("a1", "Kenya"),
            awaiting("a2", "Nepal"),
            awaiting("a3", "Peru"),
        ];
        let plan = plan_assignments(&applications, &reviewers, 1);
        assert_eq!(members_of(&plan, "a1"), ["m-africa"]);
        assert_eq!(members_of(&plan, "a2"), ["m-asia"]);
        assert_eq!(members_of(&plan, "a3"), ["m-any"]);
    }

    #[test]
    fn the_applications_with_fewest_possible_reviewers_are_served_first() {
        // a-narrow may have only m1; were a-wide served first, it would take m1 (the smaller id).
        let reviewers = [reviewer("m1"), reviewer("m2")];
        let mut narrow = awaiting("b-narrow", "Kenya");
        narrow.conflicted.insert("m2".to_string());
        let wide = awaiting("a-wide", "Kenya");
        let plan = plan_assignments(&[wide, narrow], &reviewers, 1);
        assert_eq!(members_of(&plan, "b-narrow"), ["m1"]);
        assert_eq!(members_of(&plan, "a-wide"), ["m2"]);
    }

    proptest! {
        #[test]
        fn without_constraints_loads_end_at_most_one_apart_and_every_application_is_served(
            members in 1usize..8,
            applications in 0usize..60,
            per in 1u32..4,
        ) {
            let reviewers: Vec<_> = (0..members).map(|i| reviewer(&format!("m{i:02}"))).collect();
            let awaiting: Vec<_> = (0..applications).map(|i| awaiting(&format!("a{i:03}"), "Kenya")).collect();
            let plan = plan_assignments(&awaiting, &reviewers, per);
            let loads: Vec<u32> = plan.loads.values().copied().collect();
            let (min, max) = (loads.iter().min().unwrap(), loads.iter().max().unwrap());
            prop_assert!(max - min <= 1, "{:?}", plan.loads);
            let served = (per as usize).min(members);
            prop_assert_eq!(plan.assignments.len(), applications * served);
            for application in &awaiting {
                let on: BTreeSet<_> = members_of(&plan, &application.application_id).into_iter().collect();
                prop_assert_eq!(on.len(), served);
            }
        }

        #[test]
        fn a_conflicted_member_is_never_assigned_whatever_the_cycle(
            conflicts in proptest::collection::vec((0usize..20, 0usize..5), 0..40),
        ) {
            let reviewers: Vec<_> = (0..5).map(|i| reviewer(&format!("m{i}"))).collect();
            let mut awaiting: Vec<_> = (0..20).map(|i| awaiting(&format!("a{i:02}"), "Kenya")).collect();
            for (application, member) in &conflicts {
                awaiting[*application].conflicted.insert(format!("m{member}"));
            }
            let plan = plan_assignments(&awaiting, &reviewers, 2);
            for assignment in &plan.assignments {
                let application = awaiting.iter().find(|a| a.application_id == assignment.application_id).unwrap();
                prop_assert!(!application.conflicted.contains(&assignment.member_id));
            }
        }
    }
}
