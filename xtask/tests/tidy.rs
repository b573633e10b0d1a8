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

#[test]
fn migrations_only_add() {
    // "No migration ever drops data": a migration may create and replace, never drop, delete or
    // truncate, and there is no down.sql to run by mistake. Function bodies are included in the
    // scan on purpose: the money functions never delete either.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .join("migrations");
    let mut bad = Vec::new();
    for dir in std::fs::read_dir(&root).unwrap() {
        let dir = dir.unwrap().path();
        if dir.join("down.sql").exists() {
            bad.push(format!("{}: has a down.sql", dir.display()));
        }
        let up = std::fs::read_to_string(dir.join("up.sql"))
            .unwrap()
            .to_uppercase();
        let code: String = up
            .lines()
            .map(|l| l.split("--").next().unwrap_or(""))
            .collect::<Vec<_>>()
            .join("\n");
        for line in code.lines().map(str::trim) {
            let drops_data = [
                "DROP TABLE",
                "DROP SCHEMA",
                "DROP DATABASE",
                "DROP TYPE",
                "TRUNCATE",
                "DELETE FROM",
            ]
            .iter()
            .any(|w| line.starts_with(w))
                || line.contains("DROP COLUMN")
                || line.contains("ALTER COLUMN");
            if drops_data {
                bad.push(format!("{}: {line}", dir.display()));
            }
        }
    }
    assert!(bad.is_empty(), "migrations that could lose data: {bad:?}");
}
