//! Hygiene that `cargo test` enforces (after rust-analyzer's tidy test): every Rust file says what
//! it is for, no placeholders ship, and money code holds no floats.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

fn workspace_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut v = Vec::new();
    for d in ["crates", "xtask", "tests"] {
        if root.join(d).exists() {
            rust_files(&root.join(d), &mut v);
        }
    }
    v
}

#[test]
fn every_rust_file_starts_with_a_module_doc() {
    let missing: Vec<_> = workspace_files()
        .into_iter()
        .filter(|p| {
            !std::fs::read_to_string(p)
                .unwrap()
                .trim_start()
                .starts_with("//!")
        })
        .collect();
    assert!(missing.is_empty(), "files without a //! doc: {missing:?}");
}

#[test]
fn no_placeholders() {
    let bad: Vec<_> = workspace_files()
        .into_iter()
        .filter(|p| !p.ends_with("tidy.rs"))
        .filter(|p| {
            let s = std::fs::read_to_string(p).unwrap();
            s.contains(concat!("todo", "!(")) || s.contains(concat!("unimplemented", "!("))
        })
        .collect();
    assert!(bad.is_empty(), "placeholders in {bad:?}");
}

#[test]
fn money_crates_hold_no_floats() {
    let bad: Vec<_> = workspace_files()
        .into_iter()
        .filter(|p| {
            ["crates/pricing/", "crates/ledger/"]
                .iter()
                .any(|c| p.to_string_lossy().contains(c))
        })
        .filter(|p| {
            std::fs::read_to_string(p).unwrap().lines().any(|l| {
                let code = l.split("//").next().unwrap_or("");
                code.split(|c: char| !c.is_alphanumeric() && c != '_')
                    .any(|w| w == "f32" || w == "f64")
            })
        })
        .collect();
    assert!(bad.is_empty(), "floats in money code: {bad:?}");
}
