//! Black-box tests of `etp`: the real router over HTTP (and the real binary where a test needs a process),
//! each behaviour on SQLite and on PostgreSQL by the same code.

mod helpers;

mod auth;
mod storage;
