//! The real registry loads, and its models behave as the product promises.

use std::path::Path;

use catalog::{Catalog, Category, InputErrorKind, ParamKind};
use serde_json::{Value, json};

fn registry() -> Catalog {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../registry");
    Catalog::load_dir(&dir).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_registry_loads() {
    let c = registry();
    assert!(c.len() >= 80, "{} models", c.len());
}
