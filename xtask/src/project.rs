//! Where things are in the repository, and loading them.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// The workspace root (the parent of xtask/).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

pub fn registry_dir() -> PathBuf {
    root().join("registry")
}

pub fn artifacts_dir() -> PathBuf {
    root().join("artifacts")
}

pub fn load_settings() -> Result<pricing::Settings> {
    pricing::Settings::load(&registry_dir().join("settings.toml")).context("registry/settings.toml")
}

pub fn load_catalog() -> Result<catalog::Catalog> {
    catalog::Catalog::load_dir(&registry_dir()).map_err(|e| anyhow::anyhow!("{e}"))
}
