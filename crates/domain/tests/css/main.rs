//! Custom CSS sanitiser: the attack and legitimate corpora, unit cases, and property tests
//! (one test binary; `long_fuzz` is ignored and runs for `MSPDESK_CSS_FUZZ_SECS`).

#![allow(clippy::expect_used)] // test helpers outside #[test] fns

mod cases;
mod corpus;
mod oracle;
mod props;
