//! Integration tests of the pipeline: real PostgreSQL (a database per test), the Kie simulator
//! over HTTP, the real Kie client, and the callback router served over HTTP.

mod callbacks;
mod crash;
mod families;
mod outcomes;
mod storefront;
mod support;
