//! The one direction through `shared` (docs/ARCHITECTURE.md): the order of the `pub mod` lines of
//! `src/lib.rs` is the layer order, and a module may name (`crate::x…`) only modules before it. Between
//! files, no import cycle either — a folder's `mod.rs` and its own children excepted, since a folder
//! is one module that its `mod.rs` presents.
//!
//! Reads the sources as text: every `crate::` and `super::` path outside comments counts, in `use`
//! lines and inline alike.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The top-level modules in the order `lib.rs` declares them.
fn layer_order() -> Vec<String> {
    std::fs::read_to_string(src().join("lib.rs"))
        .unwrap()
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub mod ").and_then(|r| r.strip_suffix(';')).map(str::to_owned))
        .collect()
}

/// Every `.rs` file under `src/`, as a path relative to it (`matches/release.rs`).
fn files() -> Vec<String> {
    fn walk(dir: &Path, base: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, base, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p.strip_prefix(base).unwrap().to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let mut out = Vec::new();
    walk(&src(), &src(), &mut out);
    out.sort();
    out
}

/// The source without comments and without its unit-test module (tests may reach anywhere).
fn code_of(file: &str) -> String {
    let text = std::fs::read_to_string(src().join(file)).unwrap();
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => &text,
    };
    text.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n")
}

/// The paths (`["matches", "release", "count"]`) after each `prefix` in `code`, `{` groups flattened
/// to their first segment.
fn paths_after(code: &str, prefix: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find(prefix) {
        let before = rest[..i].chars().last();
        rest = &rest[i + prefix.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let path: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect();
        out.push(path.split("::").filter(|s| !s.is_empty()).map(str::to_owned).collect());
    }
    out
}

/// The module a file belongs to: `matches/release.rs` → `matches`, `clock.rs` → `clock`.
fn top_of(file: &str) -> String {
    file.split('/').next().unwrap().trim_end_matches(".rs").to_owned()
}

/// The file a module path names, as deep as a file exists (`["matches", "release", "x"]` →
/// `matches/release.rs`).
fn file_of(segments: &[String], all: &BTreeSet<String>) -> Option<String> {
    let mut found = None;
    for n in 1..=segments.len() {
        let dir = segments[..n].join("/");
        for candidate in [format!("{dir}.rs"), format!("{dir}/mod.rs")] {
            if all.contains(&candidate) {
                found = Some(candidate);
            }
        }
    }
    found
}

/// The module path of a file (`matches/release.rs` → `["matches", "release"]`, `posts/mod.rs` → `["posts"]`).
fn module_of(file: &str) -> Vec<String> {
    let trimmed = file.trim_end_matches(".rs").trim_end_matches("/mod");
    trimmed.split('/').map(str::to_owned).collect()
}

/// File → files it names.
fn file_graph() -> BTreeMap<String, BTreeSet<String>> {
    let all: BTreeSet<String> = files().into_iter().collect();
    let mut graph = BTreeMap::new();
    for file in &all {
        let code = code_of(file);
        let module = module_of(file);
        let mut targets = BTreeSet::new();
        for p in paths_after(&code, "crate::") {
            targets.extend(file_of(&p, &all));
        }
        // `super::x` from `a/b.rs` is `a::x`; from `a/b/mod.rs` it is also `a::x`.
        let parent: Vec<String> = module[..module.len().saturating_sub(1)].to_vec();
        for p in paths_after(&code, "super::") {
            let full: Vec<String> = parent.iter().cloned().chain(p).collect();
            targets.extend(file_of(&full, &all));
        }
        targets.remove(file);
        graph.insert(file.clone(), targets);
    }
    graph
}

/// True if `a` and `b` are a folder's `mod.rs` and one of its own children.
fn mod_and_child(a: &str, b: &str) -> bool {
    let child_of = |m: &str, c: &str| m.strip_suffix("mod.rs").is_some_and(|dir| c.starts_with(dir) && !c[dir.len()..].contains('/'));
    child_of(a, b) || child_of(b, a)
}

#[test]
fn no_module_names_one_declared_after_it_in_lib_rs() {
    let order = layer_order();
    assert!(order.len() > 10, "lib.rs declares its modules as `pub mod x;` lines: {order:?}");
    let rank = |m: &str| order.iter().position(|o| o == m);
    let mut upward = Vec::new();
    for file in files().iter().filter(|f| *f != "lib.rs") {
        let own = top_of(file);
        let own_rank = rank(&own).unwrap_or_else(|| panic!("{file}: module {own} is not declared in lib.rs"));
        for path in paths_after(&code_of(file), "crate::") {
            let Some(target) = path.first() else { continue };
            if let Some(r) = rank(target)
                && r > own_rank
            {
                upward.push(format!("{file} names crate::{} ({target} comes after {own})", path.join("::")));
            }
        }
    }
    assert!(upward.is_empty(), "imports against the layer order of lib.rs:\n{}", upward.join("\n"));
}

#[test]
fn no_import_cycle_between_files() {
    let graph = file_graph();
    // Edges between a folder's mod.rs and its own children do not count.
    let edges: BTreeMap<&str, Vec<&str>> =
        graph.iter().map(|(f, ts)| (f.as_str(), ts.iter().map(String::as_str).filter(|t| !mod_and_child(f, t)).collect())).collect();
    // Depth-first search for a back edge; report the cycle it closes.
    fn visit<'a>(
        f: &'a str,
        edges: &BTreeMap<&'a str, Vec<&'a str>>,
        state: &mut BTreeMap<&'a str, u8>,
        stack: &mut Vec<&'a str>,
    ) -> Option<Vec<&'a str>> {
        state.insert(f, 1);
        stack.push(f);
        for &t in edges.get(f).into_iter().flatten() {
            match state.get(t).copied().unwrap_or(0) {
                1 => {
                    let start = stack.iter().position(|s| *s == t).unwrap();
                    let mut cycle = stack[start..].to_vec();
                    cycle.push(t);
                    return Some(cycle);
                }
                0 => {
                    if let Some(c) = visit(t, edges, state, stack) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(f, 2);
        None
    }
    let mut state = BTreeMap::new();
    for f in edges.keys() {
        if state.get(f).copied().unwrap_or(0) == 0
            && let Some(cycle) = visit(f, &edges, &mut state, &mut Vec::new())
        {
            panic!("an import cycle between files: {}", cycle.join(" → "));
        }
    }
}

#[test]
fn the_checks_see_imports_written_either_way() {
    // The reader finds `use` lines, inline paths and `super::` paths, and ignores comments.
    let code = "use crate::records::keys;\nfn f() { crate::matches::release::count(); super::help::x(); } // crate::nothing";
    let paths: Vec<String> = paths_after(code, "crate::").into_iter().map(|p| p.join("::")).collect();
    assert_eq!(paths, ["records::keys", "matches::release::count", "nothing"]);
    let stripped: String = code.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n");
    assert_eq!(paths_after(&stripped, "crate::").len(), 2);
    assert_eq!(paths_after(&stripped, "super::")[0], ["help", "x"]);
    let all: BTreeSet<String> = ["matches/mod.rs", "matches/release.rs", "records/keys.rs"].map(String::from).into();
    assert_eq!(file_of(&["matches".into(), "release".into(), "count".into()], &all).as_deref(), Some("matches/release.rs"));
    assert_eq!(file_of(&["matches".into(), "Match".into()], &all).as_deref(), Some("matches/mod.rs"));
    assert!(mod_and_child("matches/mod.rs", "matches/release.rs") && !mod_and_child("matches/mod.rs", "posts/help.rs"));
}

/// The strings of every `stored_enum!` block (`Proposed = "proposed",` → `proposed`), and the code
/// outside those blocks.
fn split_stored_enums(code: &str) -> (Vec<String>, String) {
    let mut strings = Vec::new();
    let mut rest = String::new();
    let mut inside = 0usize;
    for line in code.lines() {
        if line.trim_start().starts_with("stored_enum! {") {
            inside = 1;
            continue;
        }
        if inside > 0 {
            inside += line.matches('{').count();
            inside -= line.matches('}').count();
            if let Some((_, s)) = line.split_once("= \"") {
                strings.push(s.trim_end_matches(',').trim_end_matches('"').to_owned());
            }
            continue;
        }
        rest.push_str(line);
        rest.push('\n');
    }
    (strings, rest)
}

#[test]
fn stored_strings_are_spelled_only_in_their_enum() {
    let functions = Path::new(env!("CARGO_MANIFEST_DIR")).join("../functions");
    let mut sources: Vec<(String, String)> = files().iter().map(|f| (format!("shared/src/{f}"), code_of(f))).collect();
    for dir in std::fs::read_dir(&functions).unwrap() {
        let src_dir = dir.unwrap().path().join("src");
        for e in std::fs::read_dir(&src_dir).unwrap() {
            let p = e.unwrap().path();
            let text = std::fs::read_to_string(&p).unwrap();
            let text = text.split("#[cfg(test)]\nmod tests").next().unwrap();
            let code = text.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n");
            sources.push((p.display().to_string(), code));
        }
    }
    let mut strings = BTreeSet::new();
    let mut outside = Vec::new();
    for (name, code) in &sources {
        let (s, rest) = split_stored_enums(code);
        strings.extend(s);
        outside.push((name, rest));
    }
    assert!(strings.contains("proposed") && strings.contains("open"), "the stored_enum! blocks are read: {strings:?}");
    let mut spelled = Vec::new();
    for (name, rest) in &outside {
        for s in &strings {
            if rest.contains(&format!("\"{s}\"")) {
                spelled.push(format!("{name} spells \"{s}\""));
            }
        }
    }
    assert!(spelled.is_empty(), "stored strings written outside their enum (use the enum):\n{}", spelled.join("\n"));
}

#[test]
fn key_strings_are_built_only_in_records_keys() {
    // A key fragment is an upper-case word and a `#` at the start of a string literal: `"PERK#`.
    let mut outside = Vec::new();
    for file in files().iter().filter(|f| *f != "records/keys.rs") {
        let code = code_of(file);
        for (i, _) in code.match_indices('"') {
            let word: String = code[i + 1..].chars().take_while(|c| c.is_ascii_uppercase() || *c == '_').collect();
            if word.len() >= 3 && code[i + 1 + word.len()..].starts_with('#') {
                outside.push(format!("{file}: \"{word}#…"));
            }
        }
    }
    assert!(outside.is_empty(), "key strings built outside records/keys.rs (add a function there):\n{}", outside.join("\n"));
}
