//! `persona-drift demo`: the main job on bundled real runs, offline — no network, no key, no
//! model server. The runs (`examples/runs/v1` and `examples/runs/v2`, see
//! `examples/runs/README.md`) are compiled into the binary, written out next to the report, and
//! compared exactly as `persona-drift compare` would.

use crate::cli::{CompareArgs, CompareFlags, DemoArgs};
use crate::compare::cmd::{run_compare, Renderer};
use crate::error::Exit;
use crate::store::{BATTERY, MANIFEST, TRANSCRIPTS};
use std::io::Write;
use std::path::Path;

/// One bundled run: (label, manifest.json, battery.json, transcripts.jsonl).
pub type BundledRun = (&'static str, &'static str, &'static str, &'static str);

/// The bundled "before" run: SmolLM2-135M-Instruct as served by llama.cpp, with the companion
/// card `examples/personas/mika.toml` on every probe without a persona of its own.
pub const OLD: BundledRun = (
    "v1",
    include_str!("../examples/runs/v1/manifest.json"),
    include_str!("../examples/runs/v1/battery.json"),
    include_str!("../examples/runs/v1/transcripts.jsonl"),
);

/// The bundled "after" run: the same model behind a simulated provider update.
pub const NEW: BundledRun = (
    "v2",
    include_str!("../examples/runs/v2/manifest.json"),
    include_str!("../examples/runs/v2/battery.json"),
    include_str!("../examples/runs/v2/transcripts.jsonl"),
);

/// Write a bundled run under `dir/<label>`, unless an identical copy is already there (so the
/// score and embedding caches next to it stay valid).
fn write_run(dir: &Path, run: &BundledRun) -> anyhow::Result<std::path::PathBuf> {
    let (label, manifest, battery, transcripts) = *run;
    let path = dir.join(label);
    std::fs::create_dir_all(&path).map_err(|e| crate::error::usage(format!("{}: {e}", path.display())))?;
    for (name, text) in [
        (MANIFEST, manifest),
        (BATTERY, battery),
        (TRANSCRIPTS, transcripts),
    ] {
        let file = path.join(name);
        if std::fs::read_to_string(&file).ok().as_deref() != Some(text) {
            std::fs::write(&file, text)
                .map_err(|e| crate::error::usage(format!("{}: {e}", file.display())))?;
        }
    }
    Ok(path)
}

/// Run the demo: write the bundled runs to `<out>/runs/`, then compare them into `<out>/`.
pub fn run(
    args: &DemoArgs,
    quiet: bool,
    renderer: &dyn Renderer,
    out: &mut dyn Write,
) -> anyhow::Result<Exit> {
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("reports").join("demo"));
    let runs = out_dir.join("runs");
    let old = write_run(&runs, &OLD)?;
    let new = write_run(&runs, &NEW)?;
    if !quiet {
        writeln!(
            out,
            "persona-drift demo: comparing two bundled real runs of SmolLM2-135M-Instruct (llama.cpp) \
             playing the companion \"Mika\", before and after a simulated provider update \
             (see examples/runs/README.md).\n\
             No network, no key, no model server.\n"
        )?;
    }
    let compare = CompareArgs {
        old: old.display().to_string(),
        new: new.display().to_string(),
        runs_dir: runs.clone(),
        flags: CompareFlags {
            out: Some(out_dir.clone()),
            format: args.format.clone(),
            open: args.open,
            seed: args.seed,
            top: 3,
            embed: crate::cli::EmbedArgs {
                no_embeddings: args.no_embeddings,
                ..Default::default()
            },
            ..Default::default()
        },
    };
    let exit = run_compare(&compare, quiet, renderer, out)?;
    if !quiet {
        writeln!(
            out,
            "\nThe two runs are in {} — compare them again with `persona-drift compare {} {}`.",
            runs.display(),
            old.display(),
            new.display()
        )?;
    }
    Ok(exit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_runs_parse_and_share_one_battery() {
        let dir = tempfile::tempdir().unwrap();
        let a = crate::store::RunDir::new(write_run(dir.path(), &OLD).unwrap());
        let b = crate::store::RunDir::new(write_run(dir.path(), &NEW).unwrap());
        let (ma, mb) = (a.read_manifest().unwrap(), b.read_manifest().unwrap());
        assert_eq!(ma.battery_hash, mb.battery_hash);
        assert_eq!(ma.samples, 5);
        // Every (probe, sample) finished; a resumed run may also hold the failed attempts that a
        // later record superseded.
        for (run, m) in [(&a, &ma), (&b, &mb)] {
            let t = run.read_transcripts().unwrap();
            assert!(!t.torn_tail);
            let latest = t.latest();
            assert_eq!(latest.len() as u64, m.counts.expected);
            assert!(latest.iter().all(|r| r.status == crate::store::Status::Finished));
        }
    }
}
