//! persona-drift: measure how a chat model's personality changed between two versions.
//!
//! Data flows one way: probes -> collect -> transcripts -> score -> compare -> report.
//! Each stage reads only what the stage before it wrote.

pub mod app;
pub mod cli;
pub mod embed;
pub mod error;
pub mod probes;
pub mod probes_cmd;
pub mod score;
pub mod store;
