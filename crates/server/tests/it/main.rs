//! The server's integration tests, one binary (so they link once): a module per feature, the
//! harness in [`helpers`]. They run against real PostgreSQL (`MSPDESK_TEST_DATABASE_URL`), each
//! on a fresh database with the real server on 127.0.0.1:0, in one process: nothing here may
//! rely on process-wide state (the logs test captures through a subscriber scoped to its own
//! thread).

mod helpers;

mod backup;
mod billing;
mod branding;
mod catalog;
mod changes;
mod clients;
mod contract;
mod distribution;
mod domains;
mod hostile;
mod idempotency;
mod identity;
mod instances;
mod isolation;
mod jwt;
mod limits;
mod logs;
mod msp;
mod openapi;
mod outage;
mod paging;
mod portal;
mod quota_race;
mod rls;
mod shutdown;
mod sign_in;
mod stalling;
mod tokens;
mod usage;
mod validation;
