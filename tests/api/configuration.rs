//! The configuration reference: every `ETP_*` variable the service reads is in `services::config::VARIABLES`
//! and in the README's Configuration table with its default and meaning, and the table names nothing else.

use std::collections::BTreeSet;
use std::path::Path;

use services::config::{DEFAULT_BIND, DEFAULT_DATABASE_URL, VARIABLES};

/// Every `ETP_…` name written in the service's source.
fn names_in_the_source(dir: &Path, names: &mut BTreeSet<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            names_in_the_source(&path, names);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            let mut rest = text.as_str();
            while let Some(at) = rest.find("ETP_") {
                let name: String = rest[at..]
                    .chars()
                    .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                    .collect();
                names.insert(name.trim_end_matches('_').to_string());
                rest = &rest[at + 4..];
            }
        }
    }
}

/// The README's Configuration table: each row's variable, default and meaning.
fn readme_table() -> Vec<(String, String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let section = readme
        .split("## Configuration")
        .nth(1)
        .expect("the README has a Configuration section");
    let section = section.split("\n## ").next().unwrap();
    section
        .lines()
        .filter(|line| line.starts_with("| `"))
        .map(|line| {
            let cells: Vec<String> = line
                .trim_matches('|')
                .split(" | ")
                .map(|cell| cell.trim().to_string())
                .collect();
            assert!(cells.len() >= 3, "a row of three cells: {line}");
            (
                cells[0].trim_matches('`').to_string(),
                cells[1].clone(),
                cells[2..].join(" | "),
            )
        })
        .collect()
}

#[test]
fn every_variable_the_service_reads_is_listed_and_documented_with_its_default_and_meaning() {
    let listed: BTreeSet<String> = VARIABLES.iter().map(|name| name.to_string()).collect();
    assert_eq!(listed.len(), VARIABLES.len(), "no name twice");

    let mut in_source = BTreeSet::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for crate_source in ["services/src", "app/src", "store/src"] {
        names_in_the_source(&root.join(crate_source), &mut in_source);
    }
    assert_eq!(
        in_source, listed,
        "the ETP_ names in services/src, app/src and store/src are the ones config::VARIABLES lists"
    );

    let table = readme_table();
    let documented: BTreeSet<String> = table
        .iter()
        .map(|(name, _, _)| name.clone())
        .filter(|name| name.starts_with("ETP_"))
        .collect();
    assert_eq!(
        documented, listed,
        "the README's Configuration table documents exactly config::VARIABLES"
    );
    for (name, default, meaning) in &table {
        assert!(!default.is_empty(), "{name} has a default");
        assert!(meaning.len() > 10, "{name} says what it means");
    }
    let default_of = |name: &str| {
        table
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, default, _)| default.trim_matches('`').to_string())
            .unwrap()
    };
    assert_eq!(default_of("ETP_BIND"), DEFAULT_BIND);
    assert_eq!(default_of("ETP_DATABASE_URL"), DEFAULT_DATABASE_URL);
    assert_eq!(
        default_of("ETP_HELPDESK_EMAIL"),
        services::config::DEFAULT_HELPDESK_EMAIL
    );
    assert_eq!(
        default_of("ETP_HELPDESK_PHONE"),
        services::config::DEFAULT_HELPDESK_PHONE
    );
    assert_eq!(
        default_of("ETP_HELPDESK_HOURS"),
        services::config::DEFAULT_HELPDESK_HOURS
    );
}
