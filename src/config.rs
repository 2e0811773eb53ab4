//! Flags + an optional `persona-drift.toml` -> validated settings (raw args -> checked
//! settings, as ripgrep does). Flags win over the file; unknown keys in the file's `[run]`
//! section are rejected with file:line:column. Other sections belong to other commands and
//! are left alone here.

use crate::cli::RunArgs;
use crate::collect::spec::{
    check_url, slug, ModelSpec, ProviderKind, ANTHROPIC_BASE, OLLAMA_BASE, OPENAI_BASE,
};
use crate::error;
use crate::store::Sampling;
use serde::Deserialize;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The project file looked for in the working directory when `--config` is not given.
pub const CONFIG_FILE: &str = "persona-drift.toml";

/// The `[run]` section of `persona-drift.toml`. Every key mirrors a `run` flag.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct RunSection {
    pub model: Option<String>,
    pub label: Option<String>,
    pub probes: Option<PathBuf>,
    pub probes_filter: Option<String>,
    pub samples: Option<u32>,
    pub concurrency: Option<usize>,
    pub rpm: Option<u32>,
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    pub max_tokens: Option<u32>,
    pub seed: Option<u64>,
    pub system_prompt: Option<PathBuf>,
    pub persona: Option<PathBuf>,
    pub timeout: Option<f64>,
    pub max_attempts: Option<u32>,
    pub out: Option<PathBuf>,
    pub api_key_env: Option<String>,
    pub base_url: Option<String>,
    pub min_finished: Option<f64>,
    pub retry_base_ms: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
struct ConfigFile {
    #[serde(default)]
    run: Option<RunSection>,
}

/// Read the `[run]` section of a project file. Relative paths in it are resolved against the
/// file's directory.
pub fn read_run_section(path: &Path) -> anyhow::Result<RunSection> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| error::usage(format!("cannot read config {}: {e}", path.display())))?;
    let file: ConfigFile = toml::from_str(&text).map_err(|e| {
        let (line, col) = e.span().map(|s| line_col(&text, s.start)).unwrap_or((1, 1));
        error::usage(format!("{}:{line}:{col}: {}", path.display(), e.message()))
    })?;
    let mut run = file.run.unwrap_or_default();
    let base = path.parent().unwrap_or(Path::new("."));
    for p in [
        &mut run.probes,
        &mut run.system_prompt,
        &mut run.persona,
        &mut run.out,
    ]
    .into_iter()
    .flatten()
    {
        if p.is_relative() {
            *p = base.join(&*p);
        }
    }
    Ok(run)
}

fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let before = &src[..offset.min(src.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map(|l| l.chars().count()).unwrap_or(0) + 1;
    (line, col)
}

/// An API key read from the environment. Never printed: `Debug` and `Display` show `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(s: impl Into<String>) -> Self {
        ApiKey(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(***)")
    }
}

/// Everything `collect` needs, validated.
#[derive(Debug, Clone)]
pub struct RunSettings {
    pub provider: ProviderKind,
    /// The model name sent to the API.
    pub model: String,
    /// Base URL (never contains a key).
    pub base_url: String,
    /// Name of the environment variable the key came from, if any.
    pub key_env: Option<String>,
    pub api_key: Option<ApiKey>,
    pub label: String,
    pub out: PathBuf,
    pub probes: PathBuf,
    pub probes_filter: Option<String>,
    pub samples: u32,
    pub concurrency: usize,
    pub rpm: Option<u32>,
    pub sampling: Sampling,
    /// Text of `--system-prompt FILE`, placed before a probe's persona prompt.
    pub system_prompt: Option<String>,
    /// `--persona FILE`: a character card given to every probe without a persona of its own.
    pub persona: Option<crate::probes::Persona>,
    pub timeout: Duration,
    pub max_attempts: u32,
    /// First retry waits about this long, doubling each attempt (with jitter).
    pub retry_base: Duration,
    /// The run fails (exit 3) when fewer than this fraction of its conversations finished.
    pub min_finished: f64,
}

pub const DEFAULT_SAMPLES: u32 = 5;
pub const DEFAULT_CONCURRENCY: usize = 8;
pub const DEFAULT_TIMEOUT_SECS: f64 = 120.0;
pub const DEFAULT_MAX_ATTEMPTS: u32 = 6;
pub const DEFAULT_RETRY_BASE_MS: u64 = 500;
pub const DEFAULT_MIN_FINISHED: f64 = 0.8;

impl RunSettings {
    /// The run directory: `<out>/<label>`.
    pub fn run_dir(&self) -> PathBuf {
        self.out.join(&self.label)
    }

    /// Merge flags over the project file and check everything. Reads keys from the process
    /// environment.
    pub fn from_args(args: &RunArgs) -> anyhow::Result<RunSettings> {
        let file = match &args.config {
            Some(p) => read_run_section(p)?,
            None if Path::new(CONFIG_FILE).is_file() => read_run_section(Path::new(CONFIG_FILE))?,
            None => RunSection::default(),
        };
        Self::resolve(args, &file, &|k| std::env::var(k).ok())
    }

    /// [`from_args`](Self::from_args) with an explicit file section and environment (for tests).
    pub fn resolve(
        args: &RunArgs,
        file: &RunSection,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> anyhow::Result<RunSettings> {
        let spec_text = args.model.clone().or_else(|| file.model.clone()).ok_or_else(|| {
            error::usage("no model given: pass --model SPEC (e.g. openai:gpt-4o) or set model in [run] of persona-drift.toml")
        })?;
        let spec = ModelSpec::parse(&spec_text)?;

        // Base URL: --base-url > spec > file > provider env var > default.
        let env_base = match spec.provider {
            ProviderKind::OpenAi => env("OPENAI_BASE_URL").filter(|s| !s.trim().is_empty()),
            ProviderKind::Anthropic => env("ANTHROPIC_BASE_URL").filter(|s| !s.trim().is_empty()),
            _ => None,
        };
        let base_url = args
            .base_url
            .clone()
            .or(spec.base_url.clone())
            .or(file.base_url.clone())
            .or(env_base)
            .unwrap_or_else(|| {
                match spec.provider {
                    ProviderKind::OpenAi | ProviderKind::OpenAiCompatible => OPENAI_BASE,
                    ProviderKind::Anthropic => ANTHROPIC_BASE,
                    ProviderKind::Ollama => OLLAMA_BASE,
                }
                .to_string()
            });
        let base_url = check_url(&base_url).map_err(error::usage)?;

        // Key: spec key_env > --api-key-env > file > provider default.
        let key_env = spec
            .key_env
            .clone()
            .or(args.collect.api_key_env.clone())
            .or(file.api_key_env.clone())
            .or(match spec.provider {
                ProviderKind::OpenAi => Some("OPENAI_API_KEY".into()),
                ProviderKind::Anthropic => Some("ANTHROPIC_API_KEY".into()),
                _ => None,
            });
        let api_key = match &key_env {
            Some(var) => match env(var).map(|k| k.trim().to_string()).filter(|k| !k.is_empty()) {
                Some(k) => Some(ApiKey::new(k)),
                None => {
                    return Err(error::usage(format!(
                        "{} needs an API key: set the environment variable {var} (keys are read only from the environment)",
                        spec.provider
                    )))
                }
            },
            None => None,
        };

        let label = args
            .label
            .clone()
            .or(file.label.clone())
            .unwrap_or_else(|| slug(&spec.model));
        if label.is_empty()
            || label == "."
            || label == ".."
            || label.contains(['/', '\\'])
            || label.chars().any(char::is_control)
        {
            return Err(error::usage(format!(
                "--label {label:?} must be a plain name (no slashes), e.g. before or gpt-4o-2024-08-06"
            )));
        }

        let samples = args.collect.samples.or(file.samples).unwrap_or(DEFAULT_SAMPLES);
        if samples == 0 {
            return Err(error::usage("--samples must be at least 1"));
        }
        let concurrency = args
            .collect
            .concurrency
            .or(file.concurrency)
            .unwrap_or(DEFAULT_CONCURRENCY);
        if !(1..=4096).contains(&concurrency) {
            return Err(error::usage("--concurrency must be between 1 and 4096"));
        }
        let rpm = args.collect.rpm.or(file.rpm);
        if rpm == Some(0) {
            return Err(error::usage(
                "--rpm must be at least 1 (leave it out for no limit)",
            ));
        }
        let temperature = args.collect.temperature.or(file.temperature);
        if let Some(t) = temperature {
            if !(0.0..=2.0).contains(&t) {
                return Err(error::usage(format!("--temperature {t} is outside 0..=2")));
            }
        }
        let top_p = args.collect.top_p.or(file.top_p);
        if let Some(p) = top_p {
            if !(p > 0.0 && p <= 1.0) {
                return Err(error::usage(format!("--top-p {p} is outside (0, 1]")));
            }
        }
        let mut max_tokens = args.collect.max_tokens.or(file.max_tokens);
        if max_tokens == Some(0) {
            return Err(error::usage("--max-tokens must be at least 1"));
        }
        if spec.provider == ProviderKind::Anthropic && max_tokens.is_none() {
            // The Messages API requires it; record what is actually sent.
            max_tokens = Some(crate::collect::anthropic::DEFAULT_MAX_TOKENS);
        }
        let seed = args.seed.or(file.seed);
        let timeout = args
            .collect
            .timeout
            .or(file.timeout)
            .unwrap_or(DEFAULT_TIMEOUT_SECS);
        if !(timeout.is_finite() && timeout > 0.0) {
            return Err(error::usage("--timeout must be a positive number of seconds"));
        }
        let max_attempts = args
            .collect
            .max_attempts
            .or(file.max_attempts)
            .unwrap_or(DEFAULT_MAX_ATTEMPTS);
        if !(1..=50).contains(&max_attempts) {
            return Err(error::usage("--max-attempts must be between 1 and 50"));
        }
        let min_finished = args
            .collect
            .min_finished
            .or(file.min_finished)
            .unwrap_or(DEFAULT_MIN_FINISHED);
        if !(0.0..=1.0).contains(&min_finished) {
            return Err(error::usage("--min-finished must be a fraction between 0 and 1"));
        }
        let retry_base_ms = file.retry_base_ms.unwrap_or(DEFAULT_RETRY_BASE_MS);
        // An undocumented knob for tests and benchmarks that exercise retries quickly.
        let retry_base_ms = env("PERSONA_DRIFT_RETRY_BASE_MS")
            .and_then(|v| v.parse().ok())
            .unwrap_or(retry_base_ms);

        let system_prompt = match args.collect.system_prompt.clone().or(file.system_prompt.clone()) {
            Some(p) => {
                let text = std::fs::read_to_string(&p)
                    .map_err(|e| error::usage(format!("cannot read --system-prompt {}: {e}", p.display())))?;
                let text = text.replace("\r\n", "\n").trim().to_string();
                (!text.is_empty()).then_some(text)
            }
            None => None,
        };

        let persona = match args.collect.persona.clone().or(file.persona.clone()) {
            Some(p) => Some(crate::probes::load_persona_card(&p)?),
            None => None,
        };

        Ok(RunSettings {
            provider: spec.provider,
            model: spec.model,
            base_url,
            key_env,
            api_key,
            label,
            out: args
                .out
                .clone()
                .or(file.out.clone())
                .unwrap_or_else(|| PathBuf::from(crate::store::DEFAULT_RUNS_DIR)),
            probes: args
                .collect
                .probes
                .clone()
                .or(file.probes.clone())
                .unwrap_or_else(crate::probes::default_probe_dir),
            probes_filter: args.collect.probes_filter.clone().or(file.probes_filter.clone()),
            samples,
            concurrency,
            rpm,
            sampling: Sampling {
                temperature,
                top_p,
                max_tokens,
                seed,
            },
            system_prompt,
            persona,
            timeout: Duration::from_secs_f64(timeout),
            max_attempts,
            retry_base: Duration::from_millis(retry_base_ms),
            min_finished,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn args(extra: &[&str]) -> RunArgs {
        #[derive(Parser)]
        struct T {
            #[command(flatten)]
            a: RunArgs,
        }
        let mut v = vec!["t"];
        v.extend_from_slice(extra);
        T::parse_from(v).a
    }

    fn env_with(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
    }

    #[test]
    fn flags_win_over_file_and_defaults_apply() {
        let file = RunSection {
            samples: Some(3),
            concurrency: Some(2),
            temperature: Some(0.2),
            ..Default::default()
        };
        let s = RunSettings::resolve(
            &args(&["--model", "openai:gpt-4o", "--samples", "7"]),
            &file,
            &env_with(&[("OPENAI_API_KEY", "sk-x")]),
        )
        .unwrap();
        assert_eq!(s.samples, 7);
        assert_eq!(s.concurrency, 2);
        assert_eq!(s.sampling.temperature, Some(0.2));
        assert_eq!(s.label, "gpt-4o");
        assert_eq!(s.base_url, OPENAI_BASE);
        assert_eq!(s.api_key.as_ref().unwrap().expose(), "sk-x");
        assert!(!format!("{s:?}").contains("sk-x"));
    }

    #[test]
    fn missing_key_names_the_variable_and_is_exit_2() {
        let e = RunSettings::resolve(
            &args(&["--model", "anthropic:claude-x"]),
            &Default::default(),
            &|_| None,
        )
        .unwrap_err();
        assert_eq!(crate::error::exit_code(&e), crate::error::Exit::Usage);
        assert!(e.to_string().contains("ANTHROPIC_API_KEY"), "{e}");
        let e = RunSettings::resolve(
            &args(&["--model", "ollama:llama3.2", "--api-key-env", "MY_KEY"]),
            &Default::default(),
            &|_| None,
        )
        .unwrap_err();
        assert!(e.to_string().contains("MY_KEY"), "{e}");
        // Ollama needs no key; anthropic gets a max_tokens it must send.
        let s = RunSettings::resolve(
            &args(&["--model", "ollama:llama3.2"]),
            &Default::default(),
            &|_| None,
        )
        .unwrap();
        assert!(s.api_key.is_none());
        assert_eq!(s.base_url, OLLAMA_BASE);
        let s = RunSettings::resolve(
            &args(&["--model", "anthropic:c"]),
            &Default::default(),
            &env_with(&[("ANTHROPIC_API_KEY", "k")]),
        )
        .unwrap();
        assert_eq!(s.sampling.max_tokens, Some(1024));
    }

    #[test]
    fn bad_values_are_rejected() {
        for bad in [
            &["--samples", "0"][..],
            &["--temperature", "3"],
            &["--top-p", "0"],
            &["--timeout", "0"],
            &["--label", "a/b"],
            &["--concurrency", "0"],
            &["--rpm", "0"],
        ] {
            let mut a = vec!["--model", "ollama:m"];
            a.extend_from_slice(bad);
            let e = RunSettings::resolve(&args(&a), &Default::default(), &|_| None).unwrap_err();
            assert_eq!(crate::error::exit_code(&e), crate::error::Exit::Usage, "{bad:?}");
        }
    }

    #[test]
    fn unknown_key_in_file_is_named_with_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("persona-drift.toml");
        std::fs::write(
            &p,
            "[run]\nmodel = \"ollama:m\"\nsampels = 3\n\n[compare]\nalpha = 0.05\n",
        )
        .unwrap();
        let e = read_run_section(&p).unwrap_err().to_string();
        assert!(e.contains("persona-drift.toml:3:1"), "{e}");
        assert!(e.contains("sampels"), "{e}");
        std::fs::write(
            &p,
            "[run]\nmodel = \"ollama:m\"\nprobes = \"battery\"\n[compare]\nx = 1\n",
        )
        .unwrap();
        let r = read_run_section(&p).unwrap();
        assert_eq!(r.probes.unwrap(), dir.path().join("battery"));
    }

    #[test]
    fn persona_card_comes_from_the_flag_or_the_file_relative_to_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("cards")).unwrap();
        let card = dir.path().join("cards/kai.toml");
        std::fs::write(&card, "name = \"Kai\"\nsystem = \"You are Kai.\"\n").unwrap();
        let p = dir.path().join("persona-drift.toml");
        std::fs::write(&p, "[run]\npersona = \"cards/kai.toml\"\n").unwrap();
        let file = read_run_section(&p).unwrap();
        assert_eq!(file.persona.as_deref(), Some(card.as_path()));
        let s = RunSettings::resolve(&args(&["--model", "ollama:m"]), &file, &|_| None).unwrap();
        assert_eq!(s.persona.unwrap().name, "Kai");
        let s =
            RunSettings::resolve(&args(&["--model", "ollama:m"]), &Default::default(), &|_| None).unwrap();
        assert!(s.persona.is_none());
        // A broken card is a usage error (exit 2) naming the file and position.
        std::fs::write(&card, "name = \"Kai\"\n").unwrap();
        let e = RunSettings::resolve(&args(&["--model", "ollama:m"]), &file, &|_| None).unwrap_err();
        assert_eq!(crate::error::exit_code(&e), crate::error::Exit::Usage);
        assert!(e.to_string().contains("kai.toml:1:1"), "{e}");
    }
}
