//! The `etp` service: HTTP API, CLI, the two stores and the encryption of personal data.

pub mod accounts;
pub mod app;
pub mod auth;
pub mod bench;
pub mod cli;
pub mod config;
pub mod crypto;
pub mod demo;
pub mod http;
pub mod pages;
pub mod responses;
pub mod retention;
pub mod rights;
pub mod store;
pub mod throttle;
