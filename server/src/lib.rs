//! The rdqm-console server: configuration, HTTP API and the browser app's assets.

pub mod app_state;
pub mod auth;
pub mod certs;
pub mod cli;
pub mod clock;
pub mod config;
pub mod error;
pub mod fleet;
pub mod http;
pub mod parse_cmd;
pub mod serve;
pub mod store;
pub mod workflow;
