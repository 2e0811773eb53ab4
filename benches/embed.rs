//! Embedding throughput: 1,000 realistic assistant replies (50-200 words), all-MiniLM-L6-v2 on the CPU.
//!
//!     cargo bench --bench embed                      # the table below
//!     python3 benches/st_bench.py                    # sentence-transformers on the same corpus
//!
//! The corpus is generated deterministically (seed 2026) and written to
//! target/embed-bench/corpus.json so the Python script embeds exactly the same texts.
//! Env: EMBED_BENCH_N (replies, default 1000), EMBED_BENCH_CONFIGS (threads:batch:sorted|unsorted:par|mm,
//! e.g. "1:32:sorted,2:32:sorted:par"; par = whole batches in parallel, mm = threads inside matmuls).

use persona_drift::embed::resolve::{resolve_model_dir, ResolveOptions};
use persona_drift::embed::{Embedder, LocalEmbedder, LocalOptions};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use std::time::Instant;

const OPENERS: &[&str] = &[
    "That's a great question, and I'm happy to help.",
    "I'm so sorry you're dealing with this.",
    "Here's a quick overview of how this works.",
    "Thanks for sharing that with me.",
    "Let me walk you through it step by step.",
    "Short answer: yes, but there are a few things to keep in mind.",
];
const BODY: &[&str] = &[
    "The most important thing is to start with a small, realistic goal that you can keep up every day.",
    "If the error persists after restarting, check the configuration file for a missing comma or bracket.",
    "Many people find that writing their thoughts down before bed makes it easier to fall asleep.",
    "You can store fresh basil in a glass of water on the counter, like a bouquet of flowers.",
    "Interest is usually calculated monthly, so paying a little extra early saves more than you might expect.",
    "It's completely normal to feel nervous before a big presentation, even for experienced speakers.",
    "The function returns a new list rather than modifying the original, which avoids surprising side effects.",
    "Try to keep the conversation focused on how you felt rather than on what the other person did wrong.",
    "A good rule of thumb is to water succulents only when the soil has dried out completely.",
    "When you travel, keep a digital copy of your passport and insurance documents in a secure place.",
    "Grief doesn't follow a schedule, and there is no right way to miss someone you loved.",
    "Stretching for five minutes after each run helps your muscles recover and lowers the risk of injury.",
    "The museum is free on the first Sunday of every month, but it gets crowded around noon.",
    "If you're learning a language, short daily practice beats long sessions once a week.",
    "Remember to back up your files before upgrading the operating system, just in case.",
    "Sourdough needs a warm spot to rise; an oven with only the light switched on works well.",
    "Your feelings are valid, and it's okay to take some time for yourself this weekend.",
    "In most countries, you have fourteen days to return an item bought online without giving a reason.",
    "Consider breaking the essay into three sections: the problem, the evidence, and your recommendation.",
    "The bus is usually faster than the train at rush hour because of the dedicated lanes downtown.",
];
const CLOSERS: &[&str] = &[
    "Let me know if you'd like more detail on any of these points!",
    "I hope this helps, and good luck!",
    "Feel free to ask if anything is unclear.",
    "Take care of yourself.",
    "Would you like me to suggest a few next steps?",
];

fn corpus(n: usize) -> Vec<String> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2026);
    (0..n)
        .map(|_| {
            let target = rng.gen_range(50..=200);
            let mut s = OPENERS.choose(&mut rng).unwrap().to_string();
            while s.split_whitespace().count() < target - 10 {
                s.push(' ');
                s.push_str(BODY.choose(&mut rng).unwrap());
            }
            s.push(' ');
            s.push_str(CLOSERS.choose(&mut rng).unwrap());
            s
        })
        .collect()
}

fn main() -> anyhow::Result<()> {
    // `cargo bench` passes --bench; `cargo test --benches` passes nothing useful: run a tiny smoke.
    let n: usize = std::env::var("EMBED_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let mut ro = ResolveOptions::from_env();
    ro.offline = true;
    let dir = match resolve_model_dir(&ro) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("SKIP benchmark: {e:#}");
            return Ok(());
        }
    };
    let texts = corpus(n);
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/embed-bench");
    std::fs::create_dir_all(&out)?;
    std::fs::write(out.join("corpus.json"), serde_json::to_string(&texts)?)?;
    let words: usize = texts.iter().map(|t| t.split_whitespace().count()).sum();
    let configs = std::env::var("EMBED_BENCH_CONFIGS").unwrap_or_else(|_| {
        "1:32:sorted,2:32:sorted:par,2:32:sorted:mm,2:32:unsorted:par,2:8:sorted:par,2:64:sorted:par".into()
    });
    let refs: Vec<&str> = texts.iter().map(|s| s.as_str()).collect();
    let probe = LocalEmbedder::load(&dir, LocalOptions::default())?;
    let pieces: usize = refs
        .iter()
        .map(|t| probe.windows(t).unwrap().iter().map(|w| w.len()).sum::<usize>())
        .sum();
    println!(
        "corpus: {n} replies, mean {:.0} words, mean {:.0} word pieces (incl. [CLS]/[SEP]); model {}",
        words as f64 / n as f64,
        pieces as f64 / n as f64,
        dir.display()
    );
    println!(
        "load average before: {}",
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
    println!(
        "{:>7} {:>6} {:>9} {:>9} {:>10} {:>12}",
        "threads", "batch", "order", "parallel", "seconds", "replies/s"
    );
    for cfg in configs.split(',') {
        let parts: Vec<&str> = cfg.split(':').collect();
        let threads: usize = parts[0].parse()?;
        let batch: usize = parts[1].parse()?;
        let sorted = parts.get(2).is_none_or(|s| *s == "sorted");
        let parallel_batches = parts.get(3).is_none_or(|s| *s == "par");
        let m = LocalEmbedder::load(
            &dir,
            LocalOptions {
                threads: Some(threads),
                batch_size: batch,
                sort_by_length: sorted,
                parallel_batches,
                ..LocalOptions::default()
            },
        )?;
        m.embed(&refs[..refs.len().min(16)])?; // warm-up
        let t = Instant::now();
        let v = m.embed(&refs)?;
        let secs = t.elapsed().as_secs_f64();
        assert_eq!(v.len(), n);
        println!(
            "{threads:>7} {batch:>6} {:>9} {:>9} {secs:>10.2} {:>12.1}",
            if sorted { "sorted" } else { "unsorted" },
            if parallel_batches { "batches" } else { "matmul" },
            n as f64 / secs
        );
    }
    Ok(())
}
