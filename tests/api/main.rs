//! Black-box tests of `etp`: the real router over HTTP (and the real binary where a test needs a process),
//! each behaviour on SQLite and on PostgreSQL by the same code.

#![allow(clippy::unwrap_used, reason = "a test fails by panicking")]

mod helpers;

mod applications;
mod auth;
mod award_administration;
mod award_pages;
mod award_reminders;
mod award_sar;
mod backup;
mod browser;
mod bulk_assignment;
mod calendar;
mod case_list;
mod case_page;
mod cli;
mod conclusion;
mod configuration;
mod conflicts;
mod crash;
mod cycles;
mod decisions;
mod demo_seed;
mod event_corpus;
mod fuzzing;
mod hardening;
mod letters;
mod matrix;
mod metrics;
mod notice;
mod openapi;
mod page_matrix;
mod pages;
mod password_reset;
mod proxy;
mod ranking;
mod recheck;
mod requests;
mod responses;
mod restriction;
mod retention;
mod rights;
mod robustness;
mod sar_drafts;
mod screening;
mod security;
mod sharing;
mod storage;
mod subject;
mod sweep;
mod sweep_batches;
mod time_travel;
mod views;
