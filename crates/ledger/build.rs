//! Rebuilds when a migration changes: `embed_migrations!` does not notice new directories itself.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
