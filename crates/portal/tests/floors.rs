//! Holds the crate's floors: every `crate::`, `$crate::` and `super::` path in
//! the portal's source may only point down, as `src/lib.rs` declares them
//! (its `// floor NAME` lines, top to bottom, each followed by the modules on
//! that floor). A module on a floor marked `(alone)` imports nothing of ours
//! outside itself, and the modules of a floor marked `(siblings)` never import
//! each other (the store and the limiter). No two files of different modules
//! form a circle, nor any two files of an `(alone)` floor, and no source file
//! of the workspace has more than 500 lines besides its tests.
//!
//! The check reads the source as text (comments, strings and `#[cfg(test)]`
//! modules left out), so it needs no compiler plugin and runs in milliseconds.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

const MAX_LINES_BESIDES_TESTS: usize = 500;

#[derive(Debug)]
struct Floor {
    name: String,
    /// Imports nothing of ours outside its own module.
    alone: bool,
    /// Its modules never import each other.
    siblings: bool,
    modules: Vec<String>,
}

/// The floors as `lib.rs` declares them, and its root re-exports (`pub use service::Portal`).
fn floors(lib: &str) -> (Vec<Floor>, BTreeMap<String, String>) {
    let mut floors: Vec<Floor> = Vec::new();
    let mut reexports = BTreeMap::new();
    for line in lib.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("// floor ") {
            let head = rest.split(':').next().unwrap_or(rest).trim();
            let alone = head.contains("(alone)");
            let siblings = head.contains("(siblings)");
            let name = head.replace("(alone)", "").replace("(siblings)", "").trim().to_owned();
            floors.push(Floor { name, alone, siblings, modules: Vec::new() });
        } else if let Some(module) = line.strip_prefix("pub mod ").or_else(|| line.strip_prefix("mod ")) {
            let module = module.trim_end_matches(';').trim().to_owned();
            let floor = floors
                .last_mut()
                .unwrap_or_else(|| panic!("lib.rs: `mod {module}` stands above every `// floor` line"));
            floor.modules.push(module);
        } else if let Some(path) = line.strip_prefix("pub use ") {
            let path = path.trim_end_matches(';');
            let module = path.split("::").next().unwrap_or_default().to_owned();
            let item = path.rsplit("::").next().unwrap_or_default().to_owned();
            reexports.insert(item, module);
        }
    }
    (floors, reexports)
}

/// The text with comments, string and char literals blanked (lines kept).
fn code_only(text: &str) -> String {
    let b: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let keep_lines = |s: &[char], out: &mut String| {
        for c in s {
            out.push(if *c == '\n' { '\n' } else { ' ' });
        }
    };
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            let end = b[i..].iter().position(|c| *c == '\n').map_or(b.len(), |p| i + p);
            keep_lines(&b[i..end], &mut out);
            i = end;
        } else if c == '/' && next == Some('*') {
            let (mut depth, mut j) = (1, i + 2);
            while j < b.len() && depth > 0 {
                if b[j] == '/' && b.get(j + 1) == Some(&'*') {
                    depth += 1;
                    j += 2;
                } else if b[j] == '*' && b.get(j + 1) == Some(&'/') {
                    depth -= 1;
                    j += 2;
                } else {
                    j += 1;
                }
            }
            keep_lines(&b[i..j.min(b.len())], &mut out);
            i = j;
        } else if c == 'r' && (next == Some('"') || next == Some('#')) && !ident_char(b.get(i.wrapping_sub(1))) {
            // A raw string: r"..." or r#"..."#.
            let hashes = b[i + 1..].iter().take_while(|c| **c == '#').count();
            if b.get(i + 1 + hashes) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            let close: String = std::iter::once('"').chain(std::iter::repeat_n('#', hashes)).collect();
            let body_start = i + 2 + hashes;
            let rest: String = b[body_start..].iter().collect();
            let end = rest.find(&close).map_or(b.len(), |p| body_start + rest[..p].chars().count() + close.len());
            keep_lines(&b[i..end.min(b.len())], &mut out);
            i = end;
        } else if c == '"' {
            let mut j = i + 1;
            while j < b.len() && b[j] != '"' {
                j += if b[j] == '\\' { 2 } else { 1 };
            }
            keep_lines(&b[i..(j + 1).min(b.len())], &mut out);
            i = j + 1;
        } else if c == '\'' {
            // A char literal ('x', '\n', '\u{..}'), or a lifetime ('a).
            if next == Some('\\') {
                let end = b.get(i + 3..).and_then(|r| r.iter().position(|c| *c == '\'')).map_or(b.len(), |p| i + 4 + p);
                keep_lines(&b[i..end.min(b.len())], &mut out);
                i = end;
            } else if b.get(i + 2) == Some(&'\'') {
                out.push_str("   ");
                i += 3;
            } else {
                out.push(c);
                i += 1;
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn ident_char(c: Option<&char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || *c == '_')
}

/// The `#[cfg(test)]` modules of `code`: each one's byte range, and its name
/// when it is kept in a file of its own (`mod tests;`).
fn test_modules(code: &str) -> Vec<(std::ops::Range<usize>, Option<String>)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = code[from..].find("#[cfg(test)]").map(|p| from + p) {
        let after = at + "#[cfg(test)]".len();
        from = after;
        let trimmed = code[after..].trim_start();
        // Only a test module counts; a `#[cfg(test)]` fn or use stays.
        let Some(decl) = trimmed.strip_prefix("mod ").or_else(|| trimmed.strip_prefix("pub(crate) mod ")) else {
            continue;
        };
        let name: String = decl.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
        let body = code.len() - decl[name.len()..].trim_start().len();
        if code[body..].starts_with(';') {
            found.push((at..body + 1, Some(name)));
            from = body + 1;
            continue;
        }
        let mut depth = 0usize;
        let mut end = code.len();
        for (i, c) in code[body..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        end = body + i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        found.push((at..end, None));
        from = end;
    }
    found
}

/// The source less its `#[cfg(test)]` modules (lines kept), and the names of
/// the test modules kept in files of their own.
fn without_tests(code: &str) -> (String, Vec<String>) {
    let mut out = code.to_owned();
    let mut files = Vec::new();
    for (range, file) in test_modules(code) {
        let blank: String = code[range.clone()].chars().map(|c| if c == '\n' { '\n' } else { ' ' }).collect();
        out.replace_range(range, &blank);
        files.extend(file);
    }
    (out, files)
}

/// Every path the code names from `crate`, `$crate` or `super`: the module
/// path as written (use trees expanded), relative heads resolved against `module`.
fn paths(code: &str, module: &[String]) -> Vec<(usize, Vec<String>)> {
    let chars: Vec<char> = code.chars().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_alphabetic() && chars[i] != '$' {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '$') {
            i += 1;
        }
        if start > 0 && (ident_char(chars.get(start - 1)) || chars[start - 1] == ':') {
            continue;
        }
        let word: String = chars[start..i].iter().collect();
        let base: Vec<String> = match word.as_str() {
            "crate" | "$crate" => Vec::new(),
            "super" => module[..module.len().saturating_sub(1)].to_vec(),
            _ => continue,
        };
        let line = chars[..start].iter().filter(|c| **c == '\n').count() + 1;
        let (trees, end) = use_tree(&chars, i, base);
        for tree in trees {
            found.push((line, tree));
        }
        i = end;
    }
    found
}

/// Reads `::a::b::{c, d::e}` at `i`, after a path head that resolved to `base`.
fn use_tree(chars: &[char], mut i: usize, mut base: Vec<String>) -> (Vec<Vec<String>>, usize) {
    loop {
        let j = skip_space(chars, i);
        if !(chars.get(j) == Some(&':') && chars.get(j + 1) == Some(&':')) {
            return (vec![base], i);
        }
        let k = skip_space(chars, j + 2);
        if chars.get(k) == Some(&'{') {
            let mut all = Vec::new();
            let mut at = k + 1;
            loop {
                let s = skip_space(chars, at);
                match chars.get(s) {
                    Some('}') => return (all, s + 1),
                    Some(',') => at = s + 1,
                    None => return (all, s),
                    _ => {
                        let (name, after) = ident(chars, s);
                        if name.is_empty() {
                            at = s + 1;
                            continue;
                        }
                        let head = match name.as_str() {
                            "self" => base.clone(),
                            "super" => base[..base.len().saturating_sub(1)].to_vec(),
                            _ => [base.clone(), vec![name]].concat(),
                        };
                        let (trees, end) = use_tree(chars, after, head);
                        all.extend(trees);
                        at = end;
                    }
                }
            }
        }
        let (name, after) = ident(chars, k);
        match name.as_str() {
            "" | "*" => return (vec![base], k + 1),
            "super" => {
                base.pop();
            }
            _ => base.push(name),
        }
        i = after;
    }
}

fn skip_space(chars: &[char], mut i: usize) -> usize {
    while chars.get(i).is_some_and(|c| c.is_whitespace()) {
        i += 1;
    }
    i
}

fn ident(chars: &[char], i: usize) -> (String, usize) {
    let mut j = i;
    while chars.get(j).is_some_and(|c| c.is_alphanumeric() || *c == '_') {
        j += 1;
    }
    (chars[i..j].iter().collect(), j)
}

/// One source file of the crate: its module path and code.
struct Source {
    file: PathBuf,
    module: Vec<String>,
    code: String,
}

fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).expect("under src");
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let last = parts.pop().unwrap_or_default();
    match last.as_str() {
        "lib.rs" | "mod.rs" => {}
        other => parts.push(other.trim_end_matches(".rs").to_owned()),
    }
    parts
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn crate_sources(src: &Path) -> Vec<Source> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files.sort();
    let mut sources = Vec::new();
    let mut test_modules: BTreeSet<Vec<String>> = BTreeSet::new();
    for file in files {
        let text = fs::read_to_string(&file).expect("readable source");
        let module = module_of(src, &file);
        let (code, tests) = without_tests(&code_only(&text));
        for test in tests {
            test_modules.insert([module.clone(), vec![test]].concat());
        }
        sources.push(Source { file, module, code });
    }
    sources.retain(|s| !test_modules.iter().any(|t| s.module.starts_with(t)));
    sources
}

/// The file a module path lands in: the longest prefix that is a module of ours.
fn file_of(path: &[String], modules: &BTreeMap<Vec<String>, PathBuf>) -> Option<PathBuf> {
    (0..=path.len()).rev().find_map(|n| modules.get(&path[..n]).cloned())
}

struct Report {
    src: PathBuf,
    floors: Vec<Floor>,
    problems: Vec<String>,
}

fn check(src: &Path) -> Report {
    let lib = fs::read_to_string(src.join("lib.rs")).expect("lib.rs");
    let (floors, reexports) = floors(&lib);
    let floor_of = |module: &str| floors.iter().position(|f| f.modules.iter().any(|m| m == module));
    let sources = crate_sources(src);
    let modules: BTreeMap<Vec<String>, PathBuf> = sources.iter().map(|s| (s.module.clone(), s.file.clone())).collect();
    let mut problems = Vec::new();
    let mut edges: BTreeSet<(PathBuf, PathBuf)> = BTreeSet::new();
    for source in &sources {
        let rel = source.file.strip_prefix(src).unwrap_or(&source.file).display().to_string();
        let Some(from_top) = source.module.first() else { continue };
        let Some(from) = floor_of(from_top) else {
            problems.push(format!("{rel}: module `{from_top}` stands on no floor in lib.rs"));
            continue;
        };
        for (line, path) in paths(&source.code, &source.module) {
            let Some(first) = path.first() else { continue };
            let to_top = if floor_of(first).is_some() {
                first.clone()
            } else if let Some(module) = reexports.get(first) {
                module.clone()
            } else {
                continue; // a macro or item of lib.rs itself
            };
            let to = floor_of(&to_top).expect("placed above");
            if let Some(target) = file_of(&path, &modules) {
                // A child naming its parent (`super::`) is how Rust nests; no circle is made of that.
                let parent = source.module.starts_with(&modules_path(&target, &modules));
                if target != source.file && !parent {
                    edges.insert((source.file.clone(), target));
                }
            }
            if to_top == *from_top {
                continue;
            }
            let arrow = format!(
                "{rel}:{line}: `{from_top}` ({}) imports `{}` ({})",
                floors[from].name,
                path.join("::"),
                floors[to].name
            );
            if floors[from].alone {
                problems.push(format!("{arrow}: floor {} imports nothing of ours", floors[from].name));
            } else if to < from {
                problems.push(format!("{arrow}: up a floor"));
            } else if to == from && floors[from].siblings {
                problems.push(format!("{arrow}: sideways; siblings on one floor never import each other"));
            }
        }
    }
    for circle in circles(&edges) {
        let names: Vec<String> =
            circle.iter().map(|f| f.strip_prefix(src).unwrap_or(f).display().to_string()).collect();
        let tops: BTreeSet<&str> = names.iter().map(|n| n.split(['/', '.']).next().unwrap_or_default()).collect();
        let alone = tops.iter().any(|t| floor_of(t).is_some_and(|f| floors[f].alone));
        if tops.len() > 1 || alone {
            problems.push(format!("files import each other in a circle: {}", names.join(" -> ")));
        }
    }
    problems.dedup();
    Report { src: src.to_owned(), floors, problems }
}

fn modules_path(file: &Path, modules: &BTreeMap<Vec<String>, PathBuf>) -> Vec<String> {
    modules.iter().find(|(_, f)| f.as_path() == file).map(|(m, _)| m.clone()).unwrap_or_default()
}

/// The strongly connected groups of more than one file (Tarjan).
fn circles(edges: &BTreeSet<(PathBuf, PathBuf)>) -> Vec<Vec<PathBuf>> {
    let nodes: Vec<&PathBuf> = edges.iter().flat_map(|(a, b)| [a, b]).collect::<BTreeSet<_>>().into_iter().collect();
    let index_of = |p: &PathBuf| nodes.iter().position(|n| *n == p).expect("node");
    let mut next: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    for (a, b) in edges {
        next[index_of(a)].push(index_of(b));
    }
    struct State {
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        on_stack: Vec<bool>,
        stack: Vec<usize>,
        counter: usize,
        groups: Vec<Vec<usize>>,
    }
    fn visit(v: usize, next: &[Vec<usize>], s: &mut State) {
        s.index[v] = Some(s.counter);
        s.low[v] = s.counter;
        s.counter += 1;
        s.stack.push(v);
        s.on_stack[v] = true;
        for &w in &next[v] {
            match s.index[w] {
                None => {
                    visit(w, next, s);
                    s.low[v] = s.low[v].min(s.low[w]);
                }
                Some(i) if s.on_stack[w] => s.low[v] = s.low[v].min(i),
                _ => {}
            }
        }
        if Some(s.low[v]) == s.index[v] {
            let mut group = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack[w] = false;
                group.push(w);
                if w == v {
                    break;
                }
            }
            if group.len() > 1 {
                s.groups.push(group);
            }
        }
    }
    let n = nodes.len();
    let mut s = State {
        index: vec![None; n],
        low: vec![0; n],
        on_stack: vec![false; n],
        stack: Vec::new(),
        counter: 0,
        groups: Vec::new(),
    };
    for v in 0..n {
        if s.index[v].is_none() {
            visit(v, &next, &mut s);
        }
    }
    s.groups.into_iter().map(|g| g.into_iter().map(|i| nodes[i].clone()).collect()).collect()
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn imports_only_point_down_the_floors() {
    let report = check(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    assert!(report.floors.len() >= 5, "lib.rs declares its floors: {:?}", report.floors);
    assert!(
        report.problems.is_empty(),
        "{} import(s) against the floors of {} (top to bottom: {}):\n{}",
        report.problems.len(),
        report.src.display(),
        report.floors.iter().map(|f| f.name.as_str()).collect::<Vec<_>>().join(", "),
        report.problems.join("\n")
    );
}

/// The check itself can fail: an arrow up a floor, one sideways, one out of
/// an `(alone)` floor and a circle, in a crate written for the purpose.
#[test]
fn a_back_arrow_fails_the_check() {
    let dir = std::env::temp_dir().join(format!("portal-floors-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    };
    write(
        "lib.rs",
        "// floor top\npub mod web;\n// floor middle (siblings): the adapters\npub mod store;\npub mod limiter;\n// floor base (alone)\npub mod base;\npub mod other;\npub use web::Page;\n",
    );
    write("web.rs", "use crate::store::Store;\npub struct Page;\n");
    write("store.rs", "use crate::{base::Item, limiter::Charge};\n// crate::web::Page in a comment is no import\n");
    write(
        "limiter.rs",
        "pub fn page() -> crate::Page { crate::Page }\n#[cfg(test)]\nmod tests { use crate::web::Page; }\n",
    );
    write("base/mod.rs", "mod item;\npub use item::Item;\n");
    write("base/item.rs", "pub struct Item;\nfn f() { let _ = \"crate::web\"; super::super::store::thing(); }\n");
    write("other/mod.rs", "pub mod a;\npub mod b;\n");
    write("other/a.rs", "use super::b::B;\npub struct A;\n");
    write("other/b.rs", "use super::a::A;\npub struct B;\n");
    let report = check(&dir);
    let _ = fs::remove_dir_all(&dir);
    let problems = report.problems.join("\n");
    assert!(
        problems.contains("store.rs:1: `store` (middle) imports `limiter::Charge` (middle): sideways"),
        "{problems}"
    );
    assert!(problems.contains("limiter.rs:1: `limiter` (middle) imports `Page` (top): up a floor"), "{problems}");
    assert!(
        problems.contains(
            "base/item.rs:2: `base` (base) imports `store::thing` (middle): floor base imports nothing of ours"
        ),
        "{problems}"
    );
    assert!(
        problems.contains("other/a.rs -> other/b.rs") || problems.contains("other/b.rs -> other/a.rs"),
        "{problems}"
    );
    assert_eq!(report.problems.len(), 4, "comments, strings and test modules are not imports: {problems}");
}

/// Lines of `text` outside its `#[cfg(test)]` modules.
fn lines_besides_tests(text: &str) -> usize {
    let code = code_only(text);
    let test_lines: usize = test_modules(&code).iter().map(|(range, _)| code[range.clone()].lines().count()).sum();
    text.lines().count() - test_lines
}

#[test]
fn no_source_file_is_over_500_lines_besides_its_tests() {
    let root = workspace_root();
    let mut files = Vec::new();
    for dir in ["crates", "functions", "infra", "bench", "fuzz"] {
        rust_files(&root.join(dir), &mut files);
    }
    let long: Vec<String> = files
        .iter()
        .filter(|f| {
            let rel = f.strip_prefix(&root).unwrap_or(f);
            let in_tests = rel.iter().any(|p| p == "tests" || p == "target" || p == "node_modules");
            let name = f.file_name().unwrap_or_default().to_string_lossy();
            !in_tests && name != "tests.rs" && !name.ends_with("_tests.rs")
        })
        .filter_map(|f| {
            let lines = lines_besides_tests(&fs::read_to_string(f).ok()?);
            (lines > MAX_LINES_BESIDES_TESTS)
                .then(|| format!("{}: {lines} lines", f.strip_prefix(&root).unwrap_or(f).display()))
        })
        .collect();
    assert!(long.is_empty(), "over {MAX_LINES_BESIDES_TESTS} lines besides their tests:\n{}", long.join("\n"));
}

/// Every door in one file: each public method of `impl Portal` in the
/// service's files is named in `service/mod.rs` (`Portal::name`).
#[test]
fn every_public_use_case_is_listed_in_service_mod() {
    let service = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/service");
    let listed = fs::read_to_string(service.join("mod.rs")).expect("service/mod.rs");
    let mut files = Vec::new();
    rust_files(&service, &mut files);
    let mut missing = Vec::new();
    for file in files {
        let (code, _) = without_tests(&code_only(&fs::read_to_string(&file).expect("readable")));
        let mut rest = code.as_str();
        while let Some(at) = rest.find("impl Portal {") {
            let body = &rest[at..];
            let end = body.find("\n}").unwrap_or(body.len());
            for line in body[..end].lines().map(str::trim_start) {
                let Some(sig) = line.strip_prefix("pub async fn ").or_else(|| line.strip_prefix("pub fn ")) else {
                    continue;
                };
                let name: String = sig.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if !listed.contains(&format!("Portal::{name}`")) {
                    missing.push(format!("{}: Portal::{name}", file.display()));
                }
            }
            rest = &body[end..];
        }
    }
    assert!(missing.is_empty(), "public use cases not listed in service/mod.rs:\n{}", missing.join("\n"));
}

/// `portalctl` goes through the door: it names the service and the domain
/// of the portal crate, and nothing below them.
#[test]
fn portalctl_imports_the_service_and_the_domain_only() {
    let mut files = Vec::new();
    rust_files(&workspace_root().join("crates/portalctl/src"), &mut files);
    let mut stray = Vec::new();
    for file in files {
        let code = code_only(&fs::read_to_string(&file).expect("readable"));
        for (n, line) in code.lines().enumerate() {
            for (at, _) in line.match_indices("portal::") {
                if at > 0 && ident_char(line[..at].chars().last().as_ref()) {
                    continue; // another crate whose name ends in "portal"
                }
                let path = &line[at + "portal::".len()..];
                if !["service", "domain", "Portal"].iter().any(|door| path.starts_with(door)) {
                    stray.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(stray.is_empty(), "portalctl reaches past the service's door:\n{}", stray.join("\n"));
}
