//! The `[compare]` section of `persona-drift.toml`, merged with flags (flags win; rules and
//! noise overrides from both apply, flag noise overriding config noise for the same metric).
//!
//! ```toml
//! [compare]
//! fail_on = ["warmth < -10%", "any dimension changed"]
//! alpha = 0.05
//! seed = 7
//! resamples = 10000
//! noise = { warmth = 0.05, words = "5%" }
//! ```

use super::engine::{CompareOptions, NoiseOverride, DEFAULT_SEED};
use super::gate::{self, Gate};
use super::model::{GateSource, NoiseSource};
use crate::cli::CompareFlags;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Default config file name, read from the working directory when present.
pub const CONFIG_FILE: &str = "persona-drift.toml";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompareSection {
    #[serde(default)]
    pub fail_on: Vec<String>,
    pub alpha: Option<f64>,
    pub seed: Option<u64>,
    pub resamples: Option<u32>,
    #[serde(default)]
    pub noise: BTreeMap<String, NoiseValue>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum NoiseValue {
    Number(f64),
    Text(String),
}

#[derive(Debug, Default, Deserialize)]
struct File {
    #[serde(default)]
    compare: Option<CompareSection>,
}

/// Read `[compare]` from `path` (or `./persona-drift.toml` if it exists when `path` is None).
pub fn read_section(path: Option<&Path>) -> anyhow::Result<(Option<PathBuf>, CompareSection)> {
    let p = match path {
        Some(p) => {
            if !p.is_file() {
                return Err(crate::error::usage(format!(
                    "--config {}: no such file",
                    p.display()
                )));
            }
            p.to_path_buf()
        }
        None => {
            let p = PathBuf::from(CONFIG_FILE);
            if !p.is_file() {
                return Ok((None, CompareSection::default()));
            }
            p
        }
    };
    let text =
        std::fs::read_to_string(&p).map_err(|e| crate::error::usage(format!("{}: {e}", p.display())))?;
    let f: File = toml::from_str(&text).map_err(|e| crate::error::usage(format!("{}: {e}", p.display())))?;
    Ok((Some(p), f.compare.unwrap_or_default()))
}

/// Flags + config -> validated options (everything but `created_at`).
pub fn options(flags: &CompareFlags) -> anyhow::Result<CompareOptions> {
    let (path, sec) = read_section(flags.config.as_deref())?;
    let origin = path
        .as_ref()
        .map(|p| format!("{} [compare] fail_on", p.display()))
        .unwrap_or_default();
    let mut gates: Vec<Gate> = Vec::new();
    for rule in &sec.fail_on {
        gates.extend(
            gate::parse_rules(rule, GateSource::Config, &origin)
                .map_err(|e| crate::error::usage(e.to_string()))?,
        );
    }
    for rule in &flags.fail_on {
        gates.extend(
            gate::parse_rules(rule, GateSource::Flag, "--fail-on")
                .map_err(|e| crate::error::usage(e.to_string()))?,
        );
    }
    let mut noise = Vec::new();
    for (name, v) in &sec.noise {
        let spec = match v {
            NoiseValue::Number(n) => n.to_string(),
            NoiseValue::Text(t) => t.clone(),
        };
        let o = NoiseOverride::from_parts(name, &spec, NoiseSource::Config).map_err(|e| {
            crate::error::usage(format!(
                "{} [compare] noise: {e}",
                path.as_ref().map(|p| p.display().to_string()).unwrap_or_default()
            ))
        })?;
        noise.push(o);
    }
    for n in &flags.noise {
        noise.push(NoiseOverride::parse(n, NoiseSource::Flag).map_err(crate::error::usage)?);
    }
    let alpha = flags.alpha.or(sec.alpha).unwrap_or(0.05);
    Ok(CompareOptions {
        alpha,
        seed: flags.seed.or(sec.seed).unwrap_or(DEFAULT_SEED),
        resamples: flags.resamples.or(sec.resamples).unwrap_or(10_000),
        ci_level: 0.95,
        noise,
        common_probes: flags.common_probes,
        unpaired: flags.unpaired,
        top_changed: flags.top,
        gates,
        breakdowns: true,
        created_at: String::new(),
    })
}
