//! The layers' boundaries, checked: what each crate may link (`cargo tree`), and that no two modules of a
//! crate import each other, directly or round a longer loop (a module graph read from the sources).
//!
//! Each layer is a crate (docs/architecture.md, "The crates, and what each may import"), and cargo refuses a
//! cycle between crates, so no layer can import one above it. Inside a crate the compiler allows any loop;
//! this test finds them: each `.rs` file is a module, each `crate::…`/`super::…` path it names (outside its
//! comments and its tests) an edge to the deepest module of that path, a name a parent module re-exports
//! (`pub use child::Name`) counting as the child's. A loop is a strongly connected set of more than one
//! module.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace holds the tools crate")
        .to_path_buf()
}

/// `cargo tree -e normal -p <package>`'s crate names, without versions.
fn linked(package: &str) -> BTreeSet<String> {
    tree(package, &[])
}

/// The crates a package names in its own `Cargo.toml` (for normal builds).
fn direct(package: &str) -> BTreeSet<String> {
    tree(package, &["--depth", "1"])
}

fn tree(package: &str, extra: &[&str]) -> BTreeSet<String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .current_dir(workspace())
        .args([
            "tree",
            "--offline",
            "-e",
            "normal",
            "--prefix",
            "none",
            "--format",
            "{p}",
            "-p",
            package,
        ])
        .args(extra)
        .output()
        .expect("cargo tree runs");
    assert!(
        output.status.success(),
        "cargo tree -p {package}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

#[test]
fn each_layer_links_only_what_its_place_allows() {
    // The domain names no I/O crate. (cqrs-es, whose `Aggregate` trait it implements, brings tokio's
    // synchronisation types with it; the domain itself does no I/O.)
    let domain = direct("domain");
    for name in [
        "sqlx",
        "tokio",
        "axum",
        "hyper",
        "reqwest",
        "tower",
        "handlebars",
        "lettre",
    ] {
        assert!(!domain.contains(name), "domain names {name}: {domain:?}");
    }
    assert!(
        domain.contains("cqrs-es"),
        "the direct dependencies are read: {domain:?}"
    );
    let forbidden: [(&str, &[&str]); 4] = [
        (
            "projections",
            &[
                "axum",
                "tower",
                "tower-http",
                "hyper",
                "reqwest",
                "handlebars",
            ],
        ),
        (
            "store",
            &["axum", "tower", "tower-http", "hyper", "reqwest"],
        ),
        ("app", &["axum", "tower", "tower-http", "hyper", "reqwest"]),
        // The production binary: the load generator's HTTP client lives only in `tools` (decision 0008). The
        // progress bar of `etp retention sweep` stays where it is used.
        ("services", &["reqwest"]),
    ];
    let mut wrong = Vec::new();
    for (package, crates) in forbidden {
        let linked = linked(package);
        assert!(
            linked.contains(package),
            "cargo tree lists {package} itself"
        );
        for name in crates {
            if linked.contains(*name) {
                wrong.push(format!("{package} links {name}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:?}");
    // The check can fail: the tools crate does link the HTTP client the server must not.
    assert!(linked("tools").contains("reqwest"));
}

/// A crate's modules, by path (`""` for the root, `application::aggregate`), each with its source.
fn modules(krate: &str) -> BTreeMap<String, String> {
    let src = workspace().join(krate).join("src");
    let mut found = BTreeMap::new();
    let mut folders = vec![src.clone()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).expect("a source folder") {
            let path = entry.expect("a folder entry").path();
            if path.is_dir() {
                folders.push(path);
                continue;
            }
            if path.extension().and_then(|e| e.to_str()) != Some("rs") {
                continue;
            }
            let relative = path.strip_prefix(&src).expect("under src");
            let mut parts: Vec<String> = relative
                .with_extension("")
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if matches!(
                parts.last().map(String::as_str),
                Some("mod" | "lib" | "main")
            ) {
                parts.pop();
            }
            let source = std::fs::read_to_string(&path).expect("a source file");
            found.insert(parts.join("::"), code_of(&source));
        }
    }
    found
}

/// The code of a file without its comments and without its tests (the `#[cfg(test)]` module, which by this
/// codebase's habit closes the file), which may reach anywhere.
fn code_of(source: &str) -> String {
    let mut code = String::new();
    for line in source.lines() {
        if line.trim_start().starts_with("#[cfg(test)]") {
            break;
        }
        let line = match line.find("//") {
            Some(at) if !line[..at].ends_with(':') => &line[..at],
            _ => line,
        };
        code.push_str(line);
        code.push('\n');
    }
    code
}

/// Every path named after `crate::` or `super::` in some code, as segments; `crate::{a::b, c}` names two.
fn paths(code: &str, anchor: &str) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find(anchor) {
        let before = rest[..at].chars().last();
        rest = &rest[at + anchor.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        expand(rest, Vec::new(), &mut found);
    }
    found
}

/// Reads one path from the start of `text` (segments, `::`, one level of braces at each step).
fn expand(text: &str, prefix: Vec<String>, found: &mut Vec<Vec<String>>) {
    let text = text.trim_start();
    if let Some(inner) = text.strip_prefix('{') {
        let mut depth = 0;
        let mut start = 0;
        for (i, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => {
                    expand(&inner[start..i], prefix.clone(), found);
                    return;
                }
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    expand(&inner[start..i], prefix.clone(), found);
                    start = i + 1;
                }
                _ => {}
            }
        }
        return;
    }
    let name: String = text
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    if name.is_empty() {
        if !prefix.is_empty() {
            found.push(prefix);
        }
        return;
    }
    let mut path = prefix;
    path.push(name.clone());
    match text[name.len()..].strip_prefix("::") {
        Some(after) => expand(after, path, found),
        None => found.push(path),
    }
}

/// The module graph of a crate: each module with the modules its code imports. In the domain an aggregate's
/// folder (`application/`: its state, commands, events, errors, rules) is one module, as cqrs-es's
/// `Aggregate` binds them: its state names its commands and events, which name its types.
fn graph(krate: &str) -> BTreeMap<String, BTreeSet<String>> {
    let files = file_graph(krate);
    if krate != "domain" {
        return files;
    }
    let unit = |module: &str| module.split("::").next().unwrap_or_default().to_string();
    let mut units: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, targets) in files {
        let from = unit(&module);
        let entry = units.entry(from.clone()).or_default();
        entry.extend(targets.iter().map(|t| unit(t)).filter(|t| *t != from));
    }
    units
}

/// The module graph of a crate by file: each module with the modules its code imports.
fn file_graph(krate: &str) -> BTreeMap<String, BTreeSet<String>> {
    let modules = modules(krate);
    // Names a parent module re-exports from a child: `pub use child::{A, B}` makes `parent::A` the child's.
    let mut reexports: BTreeMap<(String, String), String> = BTreeMap::new();
    for (module, code) in &modules {
        for statement in code.split(';') {
            let Some(used) = statement.trim().strip_prefix("pub use ") else {
                continue;
            };
            let used = used.trim_start_matches("self::");
            for path in paths(&format!(" ::{used}"), "::") {
                let Some(child) = path.first() else { continue };
                let child_module = join(module, child);
                if modules.contains_key(&child_module)
                    && let Some(name) = path.last()
                {
                    reexports.insert((module.clone(), name.clone()), child_module);
                }
            }
        }
    }
    let resolve = |segments: &[String]| -> Option<String> {
        let mut deepest = None;
        let mut current = String::new();
        for (i, segment) in segments.iter().enumerate() {
            if let Some(child) = reexports.get(&(current.clone(), segment.clone())) {
                return Some(child.clone());
            }
            let next = join(&current, segment);
            if !modules.contains_key(&next) {
                break;
            }
            current = next;
            deepest = Some(current.clone());
            let _ = i;
        }
        deepest
    };
    let mut edges = BTreeMap::new();
    for (module, code) in &modules {
        let parent: Vec<String> = module
            .split("::")
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        let parent = &parent[..parent.len().saturating_sub(1)];
        let mut targets = BTreeSet::new();
        let named = paths(code, "crate::").into_iter().chain(
            paths(code, "super::")
                .into_iter()
                .map(|path| parent.iter().cloned().chain(path).collect()),
        );
        for path in named {
            if let Some(target) = resolve(&path) {
                // A module's own descendants are its parts (declared with `mod`, re-exported), not imports.
                if target != *module
                    && !target.starts_with(&format!("{module}::"))
                    && !module.is_empty()
                {
                    targets.insert(target);
                }
            }
        }
        edges.insert(module.clone(), targets);
    }
    edges
}

fn join(parent: &str, child: &str) -> String {
    if parent.is_empty() {
        child.to_string()
    } else {
        format!("{parent}::{child}")
    }
}

/// The strongly connected sets of more than one module (Tarjan's algorithm).
fn loops(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Walk<'a> {
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        found: Vec<Vec<String>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, node: &'a str) {
            let n = self.index.len();
            self.index.insert(node, n);
            self.low.insert(node, n);
            self.stack.push(node);
            self.on_stack.insert(node);
            for next in self.graph.get(node).into_iter().flatten() {
                let next = next.as_str();
                if !self.index.contains_key(next) {
                    self.visit(next);
                    let low = self.low[node].min(self.low[next]);
                    self.low.insert(node, low);
                } else if self.on_stack.contains(next) {
                    let low = self.low[node].min(self.index[next]);
                    self.low.insert(node, low);
                }
            }
            if self.low[node] == self.index[node] {
                let mut set = Vec::new();
                while let Some(top) = self.stack.pop() {
                    self.on_stack.remove(top);
                    set.push(top.to_string());
                    if top == node {
                        break;
                    }
                }
                if set.len() > 1 {
                    set.sort();
                    self.found.push(set);
                }
            }
        }
    }
    let mut walk = Walk {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for node in graph.keys() {
        if !walk.index.contains_key(node.as_str()) {
            walk.visit(node);
        }
    }
    walk.found
}

#[test]
fn no_two_modules_of_a_crate_import_each_other() {
    let mut wrong = Vec::new();
    for krate in ["projections", "store", "app", "services", "tools"] {
        for set in loops(&graph(krate)) {
            wrong.push(format!("{krate}: {}", set.join(" ⇄ ")));
        }
    }
    assert!(
        wrong.is_empty(),
        "modules that import each other:\n{}",
        wrong.join("\n")
    );
}

/// The domain is one layer, and inside it the aggregates and the rules of the policy they enforce still
/// name each other's types: the application enforces sharing, screening and retention, whose rules read its
/// form, status and award terms; an information request's deadlines and the retention schedule read each
/// other. No other module may join that loop, and none may start another.
const DOMAIN_LOOP: [&str; 6] = [
    "application",
    "cycle",
    "request",
    "retention",
    "screening",
    "sharing",
];

#[test]
fn the_domain_has_no_loop_beyond_its_aggregates_and_their_policies() {
    let loops = loops(&graph("domain"));
    let beyond: Vec<&Vec<String>> = loops
        .iter()
        .filter(|set| {
            set.iter()
                .any(|module| !DOMAIN_LOOP.contains(&module.as_str()))
        })
        .collect();
    assert!(beyond.is_empty(), "new loops in the domain: {beyond:?}");
    assert!(loops.len() <= 1, "the domain's loops: {loops:?}");
}

#[test]
fn the_loop_finder_finds_a_loop_and_reads_grouped_imports() {
    assert_eq!(
        paths("use crate::{a::{B, c::D}, e};", "crate::"),
        vec![
            vec!["a".to_string(), "B".to_string()],
            vec!["a".to_string(), "c".to_string(), "D".to_string()],
            vec!["e".to_string()],
        ]
    );
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec!["a"]),
    ]
    .into_iter()
    .map(|(from, to)| {
        (
            from.to_string(),
            to.into_iter().map(str::to_string).collect(),
        )
    })
    .collect();
    assert_eq!(
        loops(&graph),
        vec![vec!["a".to_string(), "b".to_string(), "c".to_string()]]
    );
    assert!(
        code_of("let x = 1; // crate::a\n#[cfg(test)]\nuse crate::b;")
            .find("crate::")
            .is_none()
    );
}
