//! `cargo xtask test`: the whole test suite, as the README and CI run it.
//!
//! Finds PostgreSQL first ([`crate::postgres`]) and hands it to the tests as
//! `TEST_DATABASE_URL`, then runs `cargo nextest run --workspace` (its closing "N tests run:
//! N passed" line is what CI reads), or `cargo test --workspace` where nextest is not installed.

use anyhow::{Context, Result, bail};

use crate::project;

pub fn run(force_throwaway_pg: bool, extra: &[String]) -> Result<()> {
    let pg = crate::postgres::Postgres::find(force_throwaway_pg)?;
    eprintln!("xtask test: PostgreSQL is {}", pg.origin);
    match crate::postgres::drop_leftovers(&pg.url) {
        Ok(0) => {}
        Ok(n) => eprintln!("xtask test: dropped {n} databases left by killed test runs"),
        Err(e) => bail!("cannot use PostgreSQL ({}): {e:#}", pg.origin),
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let has_nextest = std::process::Command::new(&cargo)
        .args(["nextest", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if has_nextest {
        // nextest does not run doctests: run them first, so nextest's summary is the last
        // line (CI reads it).
        let status = std::process::Command::new(&cargo)
            .args(["test", "--workspace", "--doc", "--quiet"])
            .env("TEST_DATABASE_URL", &pg.url)
            .current_dir(project::root())
            .status()
            .context("running cargo test --doc")?;
        if !status.success() {
            bail!("doctests failed");
        }
    }
    let mut cmd = std::process::Command::new(&cargo);
    if has_nextest {
        cmd.args(["nextest", "run", "--workspace", "--no-fail-fast"]);
    } else {
        eprintln!("xtask test: cargo-nextest not found, using cargo test");
        cmd.args(["test", "--workspace", "--no-fail-fast"]);
    }
    let status = cmd
        .args(extra)
        .env("TEST_DATABASE_URL", &pg.url)
        .current_dir(project::root())
        .status()
        .context("running cargo")?;
    if !status.success() {
        bail!("tests failed");
    }
    Ok(())
}
