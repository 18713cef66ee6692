//! The boundaries of the form's limits (SPEC.md, the application form): each limit is accepted at its
//! value and refused one beyond it, so a limit moved by one either way is caught.

mod common;

use serde_json::json;

use common::*;
use domain::application::form::{
    DraftChanges, ESSAY_WORD_LIMIT, Essay, HistoryEntry, MAX_COURSE_CHOICES, MAX_ESSAY_CHARS,
    MAX_HISTORY_ENTRIES, MAX_TEXT_CHARS, REFEREES_REQUIRED,
};
use domain::application::rules::{FieldProblem, check_draft_changes};

/// The problems of a change, at the paths given, or none.
fn problems_of(changes: DraftChanges) -> Vec<FieldProblem> {
    check_draft_changes(&changes).err().unwrap_or_default()
}

fn paths(problems: &[FieldProblem]) -> Vec<&str> {
    problems.iter().map(|p| p.path.as_str()).collect()
}

fn with_course_institution(institution: &str) -> DraftChanges {
    DraftChanges {
        courses: Some(vec![course(institution, "MSc Test Policy", "masters")]),
        ..DraftChanges::default()
    }
}

fn with_education(entries: Vec<HistoryEntry>) -> DraftChanges {
    DraftChanges {
        education: Some(entries),
        ..DraftChanges::default()
    }
}

fn entry_of(values: usize) -> HistoryEntry {
    (0..values)
        .map(|i| (format!("value_{i}"), json!("test")))
        .collect()
}

fn with_essay(text: String) -> DraftChanges {
    DraftChanges {
        essays: [(Essay::StudyPlan, Some(text))].into_iter().collect(),
        ..DraftChanges::default()
    }
}

#[test]
fn a_text_of_exactly_the_limit_is_accepted_and_one_character_more_is_refused() {
    let at_limit = "x".repeat(MAX_TEXT_CHARS);
    assert_eq!(problems_of(with_course_institution(&at_limit)), vec![]);
    let over = "x".repeat(MAX_TEXT_CHARS + 1);
    assert_eq!(
        problems_of(with_course_institution(&over)),
        vec![FieldProblem::new(
            "courses[0].institution",
            format!("must be at most {MAX_TEXT_CHARS} characters"),
        )]
    );
}

#[test]
fn a_history_value_of_exactly_the_limit_is_accepted_and_one_character_more_is_refused() {
    let at_limit = entry(&[("institution", json!("x".repeat(MAX_TEXT_CHARS)))]);
    assert_eq!(problems_of(with_education(vec![at_limit])), vec![]);
    let over = entry(&[("institution", json!("x".repeat(MAX_TEXT_CHARS + 1)))]);
    assert_eq!(
        paths(&problems_of(with_education(vec![over]))),
        vec!["education[0].institution"]
    );
}

#[test]
fn an_essay_of_exactly_its_characters_and_words_is_accepted_and_one_more_is_refused() {
    // One word as long as an essay may be: only the character limit is at stake.
    assert_eq!(problems_of(with_essay("x".repeat(MAX_ESSAY_CHARS))), vec![]);
    assert_eq!(
        problems_of(with_essay("x".repeat(MAX_ESSAY_CHARS + 1))),
        vec![FieldProblem::new(
            "essays.study_plan",
            format!("must be at most {MAX_ESSAY_CHARS} characters"),
        )]
    );
    assert_eq!(problems_of(with_essay(words(ESSAY_WORD_LIMIT))), vec![]);
    assert_eq!(
        problems_of(with_essay(words(ESSAY_WORD_LIMIT + 1))),
        vec![FieldProblem::new(
            "essays.study_plan",
            format!(
                "must be at most {ESSAY_WORD_LIMIT} words; it has {}",
                ESSAY_WORD_LIMIT + 1
            ),
        )]
    );
}

#[test]
fn a_history_of_exactly_the_most_entries_is_accepted_and_one_more_is_refused() {
    let at_limit = vec![entry_of(1); MAX_HISTORY_ENTRIES];
    assert_eq!(problems_of(with_education(at_limit)), vec![]);
    let over = vec![entry_of(1); MAX_HISTORY_ENTRIES + 1];
    assert_eq!(
        problems_of(with_education(over)),
        vec![FieldProblem::new(
            "education",
            format!("at most {MAX_HISTORY_ENTRIES} entries"),
        )]
    );
}

#[test]
fn an_entry_of_exactly_twenty_values_is_accepted_and_twenty_one_are_refused() {
    assert_eq!(problems_of(with_education(vec![entry_of(20)])), vec![]);
    assert_eq!(
        problems_of(with_education(vec![entry_of(21)])),
        vec![FieldProblem::new("education[0]", "at most 20 named values")]
    );
}

#[test]
fn a_value_named_in_exactly_forty_characters_is_accepted_and_forty_one_are_refused() {
    let at_limit = entry(&[(&"k".repeat(40), json!("test"))]);
    assert_eq!(problems_of(with_education(vec![at_limit])), vec![]);
    let over = entry(&[(&"k".repeat(41), json!("test"))]);
    assert_eq!(
        paths(&problems_of(with_education(vec![over]))),
        vec!["education[0]"]
    );
    let unnamed = entry(&[("", json!("test"))]);
    assert_eq!(
        paths(&problems_of(with_education(vec![unnamed]))),
        vec!["education[0]"]
    );
}

#[test]
fn exactly_the_most_courses_and_referees_are_accepted_and_one_more_is_refused() {
    let courses = |n: usize| DraftChanges {
        courses: Some(vec![
            course(
                "Example University",
                "MSc Test Policy",
                "masters"
            );
            n
        ]),
        ..DraftChanges::default()
    };
    assert_eq!(problems_of(courses(MAX_COURSE_CHOICES)), vec![]);
    assert_eq!(
        paths(&problems_of(courses(MAX_COURSE_CHOICES + 1))),
        vec!["courses"]
    );
    let referees = |n: usize| DraftChanges {
        referees: Some(vec![
            referee("Test Referee One", "referee1@example.test");
            n
        ]),
        ..DraftChanges::default()
    };
    assert_eq!(problems_of(referees(REFEREES_REQUIRED)), vec![]);
    assert_eq!(
        paths(&problems_of(referees(REFEREES_REQUIRED + 1))),
        vec!["referees"]
    );
}
