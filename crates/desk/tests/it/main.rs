//! The desk's integration tests, linked once: a module per feature. They run against the real
//! Control Panel and PostgreSQL (`MSPDESK_TEST_DATABASE_URL`) and the real OS keyring.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests and their helpers

mod actions;
mod billing;
mod branding;
mod careful;
mod crash;
mod desk;
mod feed;
mod sign_out;
mod support;
