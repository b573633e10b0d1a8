//! The dependency rules of ARCHITECTURE.md ("Dependency rules"), checked over `cargo metadata`
//! so a Cargo.toml edit that breaks the layering fails `cargo test`:
//!
//! 1. No product crate depends, even transitively, on test support (`kie-sim`, `tg-fake`,
//!    `test-db`, `stack`): the production binary links no fake.
//! 2. teloxide only in the Telegram crates (`bot-ui`, `bot`); axum only where HTTP is served
//!    (`generation`'s callback router, `bot`).
//! 3. Each product crate depends only on the workspace crates below it in the layering.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

const TEST_SUPPORT: [&str; 6] = [
    "kie-sim", "tg-fake", "test-db", "stack", "journeys", "xtask",
];

/// Product crates and the workspace crates each may use (normal dependencies).
const LAYERS: [(&str, &[&str]); 12] = [
    ("pricing", &[]),
    ("catalog", &["pricing"]),
    ("ledger", &["pricing"]),
    ("kie-client", &[]),
    ("lock", &[]),
    ("inbox", &["lock"]),
    ("storefront", &["pricing", "catalog", "ledger"]),
    (
        "generation",
        &["pricing", "catalog", "ledger", "storefront", "kie-client"],
    ),
    ("tg-kit", &["pricing", "catalog", "ledger"]),
    (
        "bot-ui",
        &[
            "pricing",
            "catalog",
            "ledger",
            "storefront",
            "generation",
            "tg-kit",
        ],
    ),
    (
        "admin",
        &[
            "pricing",
            "catalog",
            "ledger",
            "kie-client",
            "inbox",
            "storefront",
            "generation",
            "tg-kit",
        ],
    ),
    (
        "bot",
        &[
            "pricing",
            "catalog",
            "ledger",
            "kie-client",
            "lock",
            "inbox",
            "storefront",
            "generation",
            "tg-kit",
            "bot-ui",
            "admin",
        ],
    ),
];

/// Third-party crates allowed only in these product crates.
const CONFINED: [(&str, &[&str]); 2] = [
    ("teloxide", &["tg-kit", "bot-ui", "admin", "bot"]),
    ("axum", &["generation", "bot"]),
];

struct Graph {
    /// Normal dependencies by package, workspace and third-party alike (direct only).
    direct: BTreeMap<String, BTreeSet<String>>,
    workspace: BTreeSet<String>,
}

fn graph() -> Graph {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: Value = serde_json::from_slice(&out.stdout).unwrap();
    let packages = meta["packages"].as_array().unwrap();
    let workspace = packages
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect();
    let direct = packages
        .iter()
        .map(|p| {
            let deps = p["dependencies"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| d["kind"].is_null())
                .map(|d| d["name"].as_str().unwrap().to_string())
                .collect();
            (p["name"].as_str().unwrap().to_string(), deps)
        })
        .collect();
    Graph { direct, workspace }
}

impl Graph {
    /// Every workspace crate `name` reaches through normal dependencies.
    fn reaches(&self, name: &str) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut todo = vec![name.to_string()];
        while let Some(next) = todo.pop() {
            for dep in self.direct.get(&next).into_iter().flatten() {
                if self.workspace.contains(dep) && seen.insert(dep.clone()) {
                    todo.push(dep.clone());
                }
            }
        }
        seen
    }
}

#[test]
fn every_workspace_crate_is_placed_in_the_layering() {
    let g = graph();
    let placed: BTreeSet<&str> = LAYERS.iter().map(|(n, _)| *n).chain(TEST_SUPPORT).collect();
    let unplaced: Vec<_> = g
        .workspace
        .iter()
        .filter(|n| !placed.contains(n.as_str()))
        .collect();
    assert!(
        unplaced.is_empty(),
        "add these to LAYERS or TEST_SUPPORT and ARCHITECTURE.md: {unplaced:?}"
    );
}

#[test]
fn no_product_crate_links_test_support() {
    let g = graph();
    for (product, _) in LAYERS {
        let fakes: Vec<_> = g
            .reaches(product)
            .into_iter()
            .filter(|dep| TEST_SUPPORT.contains(&dep.as_str()))
            .collect();
        assert!(fakes.is_empty(), "{product} links test support: {fakes:?}");
    }
}

#[test]
fn product_crates_use_only_the_layers_below_them() {
    let g = graph();
    for (product, allowed) in LAYERS {
        let used: Vec<_> = g.direct[product]
            .iter()
            .filter(|dep| g.workspace.contains(*dep) && !allowed.contains(&dep.as_str()))
            .collect();
        assert!(used.is_empty(), "{product} may not depend on {used:?}");
    }
}

#[test]
fn teloxide_and_axum_stay_where_they_belong() {
    let g = graph();
    for (third_party, owners) in CONFINED {
        for (product, _) in LAYERS {
            if g.direct[product].contains(third_party) {
                assert!(
                    owners.contains(&product),
                    "{product} depends on {third_party}"
                );
            }
        }
    }
}
