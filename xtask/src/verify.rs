//! `cargo xtask verify`: every check the registry and artifacts must pass, all reported at once
//! (including the model smoke run against the Kie simulator).

use anyhow::{Result, bail};

use crate::artifacts::{Artifact, coverage_audit, pricing_audit};
use crate::project;

/// The acceptance report promised at least this many models.
const MIN_MODELS: usize = 80;

pub fn run() -> Result<()> {
    let mut problems: Vec<String> = Vec::new();
    let settings = match project::load_settings() {
        Ok(s) => Some(s),
        Err(e) => {
            problems.push(format!("{e:#}"));
            None
        }
    };
    let catalog = match project::load_catalog() {
        Ok(c) => Some(c),
        Err(e) => {
            problems.push(format!("{e:#}"));
            None
        }
    };
    if let Some(c) = &catalog {
        if c.len() < MIN_MODELS {
            problems.push(format!(
                "the registry has {} models; at least {MIN_MODELS} are required",
                c.len()
            ));
        }
        let (coverage, covered, total) = coverage_audit(c);
        if covered != total {
            problems.push(format!(
                "{} model(s) not fully typed, priced and described (see audit-model-coverage)",
                total - covered
            ));
        }
        let mut expected: Vec<Artifact> = coverage;
        match crate::smoke::smoke_audit(c) {
            Ok(smoke) => {
                problems.extend(smoke.problems.iter().map(|p| format!("smoke: {p}")));
                problems.extend(
                    smoke
                        .enabled_failures()
                        .into_iter()
                        .map(|f| format!("smoke: enabled model rejected or wrong result: {f}")),
                );
                expected.extend(smoke.artifacts);
            }
            Err(e) => problems.push(format!("smoke: the run did not complete: {e:#}")),
        }
        if let Some(s) = &settings {
            let audit = pricing_audit(c, s);
            problems.extend(audit.problems.iter().map(|p| format!("pricing: {p}")));
            expected.extend(audit.artifacts);
        }
        let dir = project::artifacts_dir();
        for a in &expected {
            match std::fs::read_to_string(dir.join(a.name)) {
                Ok(on_disk) if on_disk == a.content => {}
                Ok(_) => problems.push(format!(
                    "artifacts/{} is stale: run the audits and commit the result",
                    a.name
                )),
                Err(_) => problems.push(format!("artifacts/{} is missing: run the audits", a.name)),
            }
        }
        if problems.is_empty() {
            println!(
                "registry: {} models in {} categories, all typed, priced, described and quotable",
                c.len(),
                c.categories().len()
            );
            for cc in c.categories() {
                println!("  {:<11} {}", cc.category.as_str(), cc.count);
            }
            println!("artifacts: {} files up to date", expected.len());
        }
    }
    if !problems.is_empty() {
        for p in &problems {
            eprintln!("PROBLEM: {p}");
        }
        bail!("verify found {} problem(s)", problems.len());
    }
    println!("verify: ok");
    Ok(())
}
