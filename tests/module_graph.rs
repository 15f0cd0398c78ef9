//! The crate's top-level modules form no cycle, and each depends only on the layers below it.
//!
//! The graph is read from the source text: every `crate::module` path and every name in a
//! `use crate::{...}` list, outside comments and outside `#[cfg(test)]` items and `tests.rs`
//! files (tests may reach anywhere). A name re-exported at the crate root (`crate::Engine`) counts
//! as the module it comes from, as `src/lib.rs` says. A reference the test cannot place fails it,
//! so a new way of naming a module cannot hide an edge.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::panic,
    reason = "a test over the crate's own source text: a failed assertion is its job"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, bottom first: a module may use its own layer's modules and the ones below.
/// Within a layer, the graph must still have no cycle.
const LAYERS: &[&[&str]] = &[
    // Plain values and primitives: time, errors, byte readers.
    &["time", "error", "wire"],
    // The domain's words: tokens and their records, the resource tree, policies, profiles,
    // decisions; what a message may quote of them.
    &["directory", "token", "redact", "policy", "profile", "decision"],
    // Inputs and snapshots: the one reader, the snapshot the pipeline decides from.
    &["read", "snapshot"],
    // The decision pipeline; the state compiler (which checks Basic usernames against it).
    &["pipeline", "state"],
    // What is built on a snapshot: bundles, and the admin questions.
    &["bundle", "audit", "create", "revoke", "estate", "export", "preview"],
    // The facade, and the bindings over it.
    &["engine"],
    &["boundary", "wasm"],
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The source without comments, string and char literals (their text could look like paths).
fn code_only(text: &str) -> String {
    let b: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < b.len() && b[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == '/' && b.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c == 'r'
            && (next == Some('"') || next == Some('#'))
            && !b.get(i.wrapping_sub(1)).is_some_and(|p| p.is_alphanumeric() || *p == '_')
        {
            // A raw string: r"..." or r#"..."#.
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                match b.get(j) {
                    None => break,
                    Some('"') if (1..=hashes).all(|k| b.get(j + k) == Some(&'#')) => {
                        j += 1 + hashes;
                        break;
                    }
                    _ => j += 1,
                }
            }
            out.push_str("\"\"");
            i = j;
        } else if c == '"' {
            i += 1;
            while i < b.len() && b[i] != '"' {
                if b[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' && b.get(i + 2) == Some(&'\'') {
            out.push_str("' '");
            i += 3;
        } else if c == '\'' && next == Some('\\') {
            // '\n', '\u{..}', '\''
            let mut j = i + 2;
            while j < b.len() && b[j] != '\'' {
                j += 1;
            }
            if b.get(j) == Some(&'\'') && j == i + 2 {
                j += 1;
                while j < b.len() && b[j] != '\'' {
                    j += 1;
                }
            }
            out.push_str("' '");
            i = j + 1;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// `code` without the items under `#[cfg(test)]` (a `mod tests { ... }`, a `use`, a function).
fn without_test_items(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let item = &rest[at + "#[cfg(test)]".len()..];
        // The item ends at its first `;` unless a `{` comes first, then at the matching `}`.
        let (semi, brace) = (item.find(';'), item.find('{'));
        let end = match (semi, brace) {
            (Some(s), Some(b)) if s < b => s + 1,
            (Some(s), None) => s + 1,
            (_, Some(b)) => {
                let mut depth = 0;
                let mut end = item.len();
                for (i, c) in item[b..].char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                end = b + i + 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                end
            }
            (None, None) => item.len(),
        };
        rest = &item[end..];
    }
    out.push_str(rest);
    out
}

fn ident_at(s: &str) -> &str {
    let end = s.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(s.len());
    &s[..end]
}

/// The first path segment of every item of a `{...}` list starting at `list` (after the `{`).
fn list_heads(list: &str) -> Vec<String> {
    let mut heads = Vec::new();
    let mut depth = 1;
    let mut expecting = true;
    let mut chars = list.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '{' => {
                depth += 1;
                expecting = false;
            }
            '}' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            ',' if depth == 1 => expecting = true,
            c if expecting && depth == 1 && (c.is_alphabetic() || c == '_') => {
                let name = ident_at(&list[i..]);
                heads.push(name.to_owned());
                for _ in 1..name.chars().count() {
                    chars.next();
                }
                expecting = false;
            }
            _ => {}
        }
    }
    heads
}

/// Every `crate::` reference in `code`: the names right after `crate::`, and each head of a
/// `crate::{...}` list.
fn crate_refs(code: &str) -> Vec<String> {
    let mut refs = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().next_back();
        let after = &rest[at + "crate::".len()..];
        rest = after;
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
            continue; // `$crate::` or a longer name
        }
        let after = after.trim_start();
        if let Some(list) = after.strip_prefix('{') {
            refs.extend(list_heads(list));
        } else {
            refs.push(ident_at(after).to_owned());
        }
    }
    refs
}

/// The crate root's re-exports: name -> the top-level module it comes from.
fn root_exports(lib: &str) -> BTreeMap<String, String> {
    let mut names = BTreeMap::new();
    for stmt in lib.split(';') {
        let Some(at) = stmt.find("pub use ") else { continue };
        let path = stmt[at + "pub use ".len()..].trim();
        let module = ident_at(path).to_owned();
        let rest = &path[module.len()..];
        if let Some(open) = rest.find('{') {
            let inner = &rest[open + 1..];
            // Every name in the list (the last segment of each item).
            for item in inner.trim_end_matches('}').split(',') {
                let last = item.trim().rsplit("::").next().unwrap_or("").trim();
                if !last.is_empty() {
                    names.insert(last.to_owned(), module.clone());
                }
            }
        } else if let Some(last) = rest.rsplit("::").next() {
            names.insert(last.trim().to_owned(), module.clone());
        }
    }
    names
}

/// `module -> (used module -> where: file and the name used)`.
type Graph = BTreeMap<String, BTreeMap<String, BTreeSet<String>>>;

fn graph() -> (Graph, BTreeSet<String>) {
    let root = src();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let lib = code_only(&std::fs::read_to_string(root.join("lib.rs")).unwrap());
    let exports = root_exports(&lib);
    let mut modules = BTreeSet::new();
    for f in &files {
        let rel = f.strip_prefix(&root).unwrap();
        let top = rel.components().next().unwrap().as_os_str().to_string_lossy().trim_end_matches(".rs").to_owned();
        if top != "lib" {
            modules.insert(top);
        }
    }
    let mut graph = Graph::new();
    let mut unplaced = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(&root).unwrap();
        let name = rel.to_string_lossy().replace('\\', "/");
        let top = name.split('/').next().unwrap().trim_end_matches(".rs").to_owned();
        if top == "lib" || name.ends_with("/tests.rs") || name.contains("/tests/") {
            continue;
        }
        let code = without_test_items(&code_only(&std::fs::read_to_string(f).unwrap()));
        graph.entry(top.clone()).or_default();
        for r in crate_refs(&code) {
            let used = if modules.contains(&r) {
                r.clone()
            } else if let Some(m) = exports.get(&r) {
                m.clone()
            } else {
                unplaced.push(format!("{name}: crate::{r}"));
                continue;
            };
            if used != top {
                graph.entry(top.clone()).or_default().entry(used).or_default().insert(format!("{name} (crate::{r})"));
            }
        }
    }
    assert!(unplaced.is_empty(), "references the test cannot place (name their module):\n{}", unplaced.join("\n"));
    (graph, modules)
}

/// A cycle through `start`, if any: the modules in order, `start` first and last.
fn cycle_from(graph: &Graph, start: &str) -> Option<Vec<String>> {
    // Depth-first search keeping the path.
    fn walk(graph: &Graph, at: &str, start: &str, path: &mut Vec<String>, seen: &mut BTreeSet<String>) -> bool {
        for next in graph.get(at).into_iter().flat_map(|m| m.keys()) {
            if next == start {
                path.push(next.clone());
                return true;
            }
            if seen.insert(next.clone()) {
                path.push(next.clone());
                if walk(graph, next, start, path, seen) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }
    let mut path = vec![start.to_owned()];
    walk(graph, start, start, &mut path, &mut BTreeSet::new()).then_some(path)
}

fn describe(graph: &Graph, cycle: &[String]) -> String {
    cycle
        .windows(2)
        .map(|w| {
            let why = graph[&w[0]][&w[1]].iter().take(3).cloned().collect::<Vec<_>>().join(", ");
            format!("  {} -> {}: {why}", w[0], w[1])
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_top_level_modules_form_no_cycle() {
    let (graph, modules) = graph();
    assert!(modules.len() > 10, "found only {modules:?} under src/");
    let mut cycles = Vec::new();
    let mut reported = BTreeSet::new();
    for m in &modules {
        if let Some(cycle) = cycle_from(&graph, m) {
            let members: BTreeSet<String> = cycle.iter().cloned().collect();
            if reported.insert(members) {
                cycles.push(format!("{}\n{}", cycle.join(" -> "), describe(&graph, &cycle)));
            }
        }
    }
    assert!(cycles.is_empty(), "module cycles:\n{}", cycles.join("\n"));
}

#[test]
fn each_module_uses_only_its_layer_and_the_ones_below() {
    let (graph, modules) = graph();
    let layer_of: BTreeMap<&str, usize> =
        LAYERS.iter().enumerate().flat_map(|(i, layer)| layer.iter().map(move |m| (*m, i))).collect();
    let unlayered: Vec<&String> = modules.iter().filter(|m| !layer_of.contains_key(m.as_str())).collect();
    assert!(unlayered.is_empty(), "modules without a layer in LAYERS: {unlayered:?}");
    let mut upward = Vec::new();
    for (from, uses) in &graph {
        for (to, why) in uses {
            if layer_of[from.as_str()] < layer_of[to.as_str()] {
                upward.push(format!(
                    "{from} (layer {}) uses {to} (layer {}): {why:?}",
                    layer_of[from.as_str()],
                    layer_of[to.as_str()]
                ));
            }
        }
    }
    assert!(upward.is_empty(), "uses of a higher layer:\n{}", upward.join("\n"));
}

#[test]
fn the_reader_finds_references_in_every_form() {
    let code = code_only(
        r#"use crate::a::B;
        use crate::{c, d::{E, F}, G};
        // use crate::commented;
        let s = "crate::in_string";
        fn f() -> crate::h::I { $crate::not_ours }
        #[cfg(test)]
        mod tests { use crate::only_tests; }
        #[cfg(test)]
        use crate::test_import;
        "#,
    );
    let refs = crate_refs(&without_test_items(&code));
    assert_eq!(refs, ["a", "c", "d", "G", "h"]);
}
