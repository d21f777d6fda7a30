//! The library's folders are layers, and each may use only the layers
//! below it (the order is in `src/lib.rs`'s header):
//!
//! ```text
//! support → text → wire → history → accounts → settings → outbox → chat → server
//! ```
//!
//! This test reads every `crate::…` path in the code (not in comments) of
//! each folder under `src/`, and fails on one that points up or sideways
//! into a layer that is not below. So the picture in `lib.rs` and the
//! chapters cannot drift from the code again.

use std::fs;
use std::path::{Path, PathBuf};

/// The layers, lowest first.
const LAYERS: [&str; 9] = [
    "support", "text", "wire", "history", "accounts", "settings", "outbox", "chat", "server",
];

/// Names at the crate's root that belong to a layer: `#[macro_export]`
/// puts `log!` there, though it is defined in `support/log.rs`.
const ROOT_NAMES: [(&str, &str); 1] = [("log", "support")];

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// The first path segment after each `crate::` in `line`.
fn crate_paths(line: &str) -> Vec<String> {
    line.match_indices("crate::")
        .filter(|(at, _)| {
            // `chatroom::crate::` cannot occur; `$crate::` in a macro is the
            // crate's root, and is checked like any other path.
            let before = line[..*at].chars().last();
            !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
        })
        .map(|(at, _)| {
            line[at + "crate::".len()..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect()
        })
        .collect()
}

/// The code of a line, without a `//` comment (a `//` inside a string is
/// rare enough in this code base to be checked by hand).
fn code_of(line: &str) -> &str {
    match line.find("//") {
        Some(at) => &line[..at],
        None => line,
    }
}

fn layer_of(name: &str) -> Option<usize> {
    let name = ROOT_NAMES
        .iter()
        .find(|(root, _)| *root == name)
        .map_or(name, |(_, layer)| layer);
    LAYERS.iter().position(|layer| *layer == name)
}

#[test]
fn every_layer_imports_only_from_the_layers_below_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut wrong = Vec::new();
    let mut checked = 0;
    for (rank, layer) in LAYERS.iter().enumerate() {
        let mut files = Vec::new();
        rust_files(&src.join(layer), &mut files);
        assert!(!files.is_empty(), "src/{layer}/ has no code");
        for file in files {
            let text = fs::read_to_string(&file).expect("read a source file");
            for (n, line) in text.lines().enumerate() {
                for target in crate_paths(code_of(line)) {
                    checked += 1;
                    match layer_of(&target) {
                        Some(to) if to <= rank => {}
                        Some(_) => wrong.push(format!(
                            "{}:{}: {layer} uses {target}, a layer above it: {}",
                            file.display(),
                            n + 1,
                            line.trim()
                        )),
                        None => wrong.push(format!(
                            "{}:{}: `crate::{target}` is not a layer (an alias at the root?): {}",
                            file.display(),
                            n + 1,
                            line.trim()
                        )),
                    }
                }
            }
        }
    }
    assert!(
        checked > 100,
        "only {checked} crate:: paths found: is the reader broken?"
    );
    assert!(
        wrong.is_empty(),
        "imports against the layers:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn every_folder_of_src_is_a_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for entry in fs::read_dir(&src).expect("read src/").flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.path().is_dir() && name != "bin" {
            assert!(
                LAYERS.contains(&name.as_str()),
                "src/{name}/ is not in the list of layers: add it where it belongs"
            );
        }
    }
}

#[test]
fn the_reader_finds_paths_and_skips_comments() {
    assert_eq!(
        crate_paths("use crate::wire::event::{Event, Refusal};"),
        ["wire"]
    );
    assert_eq!(
        crate_paths(code_of("let x = 1; // see crate::server")),
        Vec::<String>::new()
    );
    assert_eq!(
        crate_paths("crate::support::traffic::count_in(crate::text::names::MAX)"),
        ["support", "text"]
    );
    assert_eq!(layer_of("log"), Some(0));
    assert_eq!(layer_of("config"), None);
}
