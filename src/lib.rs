//! persona-drift: measure how a chat model's personality changed between two versions.
//!
//! Data flows one way: probes -> collect -> transcripts -> score -> compare -> report.
//! Each stage reads only what the stage before it wrote.

pub mod app;
pub mod cli;
pub mod collect;
pub mod compare;
pub mod config;
pub mod demo;
pub mod embed;
pub mod error;
pub mod import;
pub mod probes;
pub mod probes_cmd;
pub mod progress;
pub mod report;
pub mod score;
pub mod store;
