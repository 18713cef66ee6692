//! The short run of the fuzz targets, in every test run: each check of fuzz/checks.rs over its stored
//! corpus and a few thousand inputs mutated from it. The long, coverage-guided runs are `cargo fuzz`
//! (docs/security.md).

#[path = "../../fuzz/checks.rs"]
mod checks;

use std::path::Path;

/// A small deterministic generator: the same inputs on every run, so a failure can be run again.
struct Mutator(u64);

impl Mutator {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// A seed changed a little: bytes flipped, inserted, removed, copied from elsewhere in it, or cut.
    fn mutate(&mut self, seed: &[u8]) -> Vec<u8> {
        const INTERESTING: [&[u8]; 12] = [
            b"\"",
            b"\\",
            b"\\u0000",
            b"{",
            b"[",
            b"}",
            b"]",
            b"%",
            b"%00",
            b"&",
            b"=",
            b"\xff\xfe",
        ];
        let mut data = seed.to_vec();
        for _ in 0..=self.below(6) {
            let at = self.below(data.len() + 1);
            match self.below(6) {
                0 if !data.is_empty() => {
                    let i = self.below(data.len());
                    data[i] ^= 1 << self.below(8);
                }
                1 => data.insert(at, self.next() as u8),
                2 if at < data.len() => {
                    data.remove(at);
                }
                3 => {
                    let piece = INTERESTING[self.below(INTERESTING.len())];
                    data.splice(at..at, piece.iter().copied());
                }
                4 if !data.is_empty() => {
                    let from = self.below(data.len());
                    let len = self.below(data.len() - from).min(64);
                    let piece: Vec<u8> = data[from..from + len].to_vec();
                    data.splice(at..at, piece);
                }
                _ => data.truncate(at),
            }
        }
        data
    }
}

fn run(target: &str, check: fn(&[u8]), mutations: usize) {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    let mut seeds: Vec<Vec<u8>> = std::fs::read_dir(&corpus)
        .unwrap_or_else(|error| panic!("the corpus of {target} at {}: {error}", corpus.display()))
        .map(|entry| std::fs::read(entry.unwrap().path()).unwrap())
        .collect();
    seeds.sort();
    assert!(!seeds.is_empty(), "the corpus of {target} is empty");
    for seed in &seeds {
        check(seed);
    }
    let mut mutator = Mutator(0x45_5450_4655_5a5a);
    for _ in 0..mutations {
        let seed = &seeds[mutator.below(seeds.len())];
        let input = mutator.mutate(seed);
        let outcome = std::panic::catch_unwind(|| check(&input));
        if outcome.is_err() {
            panic!(
                "{target} failed on input {:?} (save it under fuzz/corpus/{target} and run cargo fuzz)",
                String::from_utf8_lossy(&input)
            );
        }
    }
}

#[test]
fn draft_edit_bodies_of_any_bytes_are_decoded_or_refused_and_never_break_the_aggregate() {
    run("json_bodies", checks::json_bodies, 3000);
}

#[test]
fn section_forms_of_any_bytes_are_decoded_or_refused_and_never_break_the_aggregate() {
    run("page_forms", checks::page_forms, 3000);
}

#[test]
fn the_working_day_calendar_keeps_its_rules_for_any_day_and_added_holidays() {
    run("working_days", checks::working_days, 3000);
}
