//! The ledger's tests, against real PostgreSQL: one database per test, cloned from the migrated
//! template (`test-db`). One test binary, several modules, so it links once.

mod audit;
mod concurrency;
mod favourites;
mod free_budget;
mod interleavings;
mod money;
mod overrides;
mod refunds;
mod reports;
mod schema;
mod support;
mod users_jobs;
