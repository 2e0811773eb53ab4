//! The local sentence-embedding model: all-MiniLM-L6-v2 (a 6-layer BERT, 384 dimensions) run in-process
//! with candle, tokenised with the pure-Rust `tokenizers` crate. Output matches sentence-transformers:
//! token embeddings, mean pooling over the attention mask, L2 normalisation.
//!
//! Long texts are never silently truncated: a text longer than the model's window (256 word pieces
//! including `[CLS]` and `[SEP]`) is split into windows of 254 word pieces that overlap by
//! [`LocalOptions::overlap`] word pieces (default 32, so consecutive windows start 222 pieces apart);
//! each window is embedded like a sentence (normalised), the window vectors are averaged and the
//! average is normalised again.
//!
//! Speed: all windows of a call are sorted by length before batching, so a batch pads only to the
//! longest of similar lengths (see docs/embeddings.md for the measurements behind the defaults).

use anyhow::Context;
use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use std::path::{Path, PathBuf};
use tokenizers::Tokenizer;

use super::Embedder;

/// Version of the local pipeline (pooling, chunking); part of the cache key.
const PIPELINE_VERSION: u32 = 1;

/// Tuning of the local model.
#[derive(Debug, Clone)]
pub struct LocalOptions {
    /// Windows per forward pass (default 8: fastest of 8, 16, 32 and 64 in `cargo bench --bench embed`
    /// on 1 and 2 threads, see docs/embeddings.md).
    pub batch_size: usize,
    /// Worker threads (default: every core).
    pub threads: Option<usize>,
    /// The model's window in word pieces, special tokens included (all-MiniLM-L6-v2: 256).
    pub max_tokens: usize,
    /// Word pieces shared by consecutive windows of a long text (default 32).
    pub overlap: usize,
    /// Sort windows by length before batching (default true; false only for measurements).
    pub sort_by_length: bool,
    /// Run whole batches concurrently, one per thread (true), instead of one batch at a time with the
    /// threads splitting each matrix product (false).
    pub parallel_batches: bool,
}

impl Default for LocalOptions {
    fn default() -> Self {
        LocalOptions {
            batch_size: 8,
            threads: None,
            max_tokens: 256,
            overlap: 32,
            sort_by_length: true,
            parallel_batches: true,
        }
    }
}

/// all-MiniLM-L6-v2 (or another BERT sentence-transformer with mean pooling) on the CPU.
pub struct LocalEmbedder {
    model: BertModel,
    tokenizer: Tokenizer,
    opts: LocalOptions,
    pool: rayon::ThreadPool,
    name: String,
    cls: u32,
    sep: u32,
    pad: u32,
    dir: PathBuf,
}

impl std::fmt::Debug for LocalEmbedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalEmbedder")
            .field("dir", &self.dir)
            .field("opts", &self.opts)
            .finish()
    }
}

impl LocalEmbedder {
    /// Loads the model from a directory holding `config.json`, `tokenizer.json` and
    /// `model.safetensors` (the layout of the Hugging Face repository).
    pub fn load(dir: &Path, opts: LocalOptions) -> anyhow::Result<Self> {
        let config_path = dir.join("config.json");
        let config_text = std::fs::read_to_string(&config_path).map_err(|e| {
            crate::error::usage(format!(
                "cannot read embedding model config {}: {e}",
                config_path.display()
            ))
        })?;
        let config: Config = serde_json::from_str(&config_text)
            .map_err(|e| crate::error::usage(format!("{}: not a BERT config: {e}", config_path.display())))?;
        let tok_path = dir.join("tokenizer.json");
        let mut tokenizer = Tokenizer::from_file(&tok_path)
            .map_err(|e| crate::error::usage(format!("cannot load tokenizer {}: {e}", tok_path.display())))?;
        tokenizer
            .with_truncation(None)
            .map_err(|e| crate::error::usage(format!("{}: {e}", tok_path.display())))?;
        tokenizer.with_padding(None);
        let id = |t: &str| {
            tokenizer.token_to_id(t).ok_or_else(|| {
                crate::error::usage(format!("{}: the vocabulary has no {t} token", tok_path.display()))
            })
        };
        let (cls, sep, pad) = (id("[CLS]")?, id("[SEP]")?, id("[PAD]")?);
        let weights = dir.join("model.safetensors");
        if !weights.is_file() {
            return Err(crate::error::usage(format!(
                "missing model weights {}",
                weights.display()
            )));
        }
        let device = Device::Cpu;
        // SAFETY: the file is memory-mapped read-only; it must not be modified while the model lives,
        // which holds for a model cache directory.
        let vb = unsafe { VarBuilder::from_mmaped_safetensors(&[&weights], DType::F32, &device) }
            .map_err(|e| crate::error::usage(format!("cannot read {}: {e}", weights.display())))?;
        let model = BertModel::load(vb, &config)
            .map_err(|e| crate::error::usage(format!("{}: not a BERT model: {e}", weights.display())))?;
        let max_pos = config.max_position_embeddings;
        let mut opts = opts;
        // sentence-transformers' own limit for the model, when the file says (256 for MiniLM).
        let st_limit = std::fs::read_to_string(dir.join("sentence_bert_config.json"))
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .and_then(|v| v["max_seq_length"].as_u64())
            .map(|n| n as usize);
        if let Some(limit) = st_limit {
            opts.max_tokens = opts.max_tokens.min(limit);
        }
        if opts.max_tokens == 0 || opts.max_tokens > max_pos {
            opts.max_tokens = max_pos.min(512);
        }
        if opts.max_tokens < 3 {
            anyhow::bail!("embedding window of {} tokens is too small", opts.max_tokens);
        }
        if opts.overlap >= opts.max_tokens - 2 {
            opts.overlap = (opts.max_tokens - 2) / 4;
        }
        opts.batch_size = opts.batch_size.max(1);
        let threads = opts
            .threads
            .unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads.max(1))
            .build()
            .context("cannot start the embedding worker threads")?;
        let name = dir
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "model".into());
        Ok(LocalEmbedder {
            model,
            tokenizer,
            opts,
            pool,
            name,
            cls,
            sep,
            pad,
            dir: dir.to_path_buf(),
        })
    }

    /// The options in force (after clamping to the model's limits).
    pub fn options(&self) -> &LocalOptions {
        &self.opts
    }

    /// Splits one text into model windows: `[CLS] piece.. [SEP]`, at most `max_tokens` long.
    pub fn windows(&self, text: &str) -> anyhow::Result<Vec<Vec<u32>>> {
        let enc = self
            .tokenizer
            .encode(text, false)
            .map_err(|e| anyhow::anyhow!("tokenizer failed: {e}"))?;
        Ok(split_windows(
            enc.get_ids(),
            self.opts.max_tokens,
            self.opts.overlap,
            self.cls,
            self.sep,
        ))
    }

    /// Runs the model on windows (each already wrapped in `[CLS]`/`[SEP]`); returns one normalised
    /// mean-pooled vector per window, in input order.
    pub fn embed_windows(&self, windows: &[Vec<u32>]) -> anyhow::Result<Vec<Vec<f32>>> {
        let mut order: Vec<usize> = (0..windows.len()).collect();
        if self.opts.sort_by_length {
            order.sort_by_key(|&i| std::cmp::Reverse(windows[i].len()));
        }
        let mut out: Vec<Vec<f32>> = vec![Vec::new(); windows.len()];
        let chunks: Vec<&[usize]> = order.chunks(self.opts.batch_size).collect();
        let run = |chunk: &&[usize]| -> anyhow::Result<Vec<Vec<f32>>> {
            let batch: Vec<&[u32]> = chunk.iter().map(|&i| windows[i].as_slice()).collect();
            self.forward(&batch)
        };
        let results: Vec<anyhow::Result<Vec<Vec<f32>>>> = if self.opts.parallel_batches {
            use rayon::prelude::*;
            self.pool.install(|| chunks.par_iter().map(run).collect())
        } else {
            chunks.iter().map(|c| self.pool.install(|| run(c))).collect()
        };
        for (chunk, vecs) in chunks.iter().zip(results) {
            for (&i, v) in chunk.iter().zip(vecs?) {
                out[i] = v;
            }
        }
        Ok(out)
    }

    fn forward(&self, batch: &[&[u32]]) -> anyhow::Result<Vec<Vec<f32>>> {
        let n = batch.len();
        let len = batch.iter().map(|w| w.len()).max().unwrap_or(0);
        let mut ids = Vec::with_capacity(n * len);
        let mut mask = Vec::with_capacity(n * len);
        for w in batch {
            ids.extend_from_slice(w);
            ids.extend(std::iter::repeat_n(self.pad, len - w.len()));
            mask.extend(std::iter::repeat_n(1u32, w.len()));
            mask.extend(std::iter::repeat_n(0u32, len - w.len()));
        }
        let dev = &self.model.device;
        let ids = Tensor::from_vec(ids, (n, len), dev)?;
        let types = ids.zeros_like()?;
        let mask_t = Tensor::from_vec(mask, (n, len), dev)?;
        let hidden = self.model.forward(&ids, &types, Some(&mask_t))?; // (n, len, h)
        let hidden: Vec<Vec<Vec<f32>>> = hidden.to_vec3()?;
        Ok(batch
            .iter()
            .zip(hidden)
            .map(|(w, rows)| {
                let h = rows.first().map(|r| r.len()).unwrap_or(0);
                let mut acc = vec![0f64; h];
                for row in rows.iter().take(w.len()) {
                    for (a, x) in acc.iter_mut().zip(row) {
                        *a += *x as f64;
                    }
                }
                let cnt = w.len().max(1) as f64;
                normalise(acc.into_iter().map(|a| (a / cnt) as f32).collect())
            })
            .collect())
    }
}

/// `[CLS] ids [SEP]` windows of at most `max_tokens` pieces; consecutive windows share `overlap` pieces.
pub fn split_windows(ids: &[u32], max_tokens: usize, overlap: usize, cls: u32, sep: u32) -> Vec<Vec<u32>> {
    let body = max_tokens.saturating_sub(2).max(1);
    let step = body.saturating_sub(overlap).max(1);
    let mut out = Vec::new();
    let mut start = 0;
    loop {
        let end = (start + body).min(ids.len());
        let mut w = Vec::with_capacity(end - start + 2);
        w.push(cls);
        w.extend_from_slice(&ids[start..end]);
        w.push(sep);
        out.push(w);
        if end >= ids.len() {
            break;
        }
        start += step;
    }
    out
}

/// Scales a vector to unit length (a zero vector stays zero).
pub fn normalise(mut v: Vec<f32>) -> Vec<f32> {
    let n = v.iter().map(|x| (*x as f64) * (*x as f64)).sum::<f64>().sqrt();
    if n > 0.0 {
        for x in &mut v {
            *x = (*x as f64 / n) as f32;
        }
    }
    v
}

impl Embedder for LocalEmbedder {
    fn model_id(&self) -> String {
        format!(
            "local:{}:w{}o{}:v{PIPELINE_VERSION}",
            self.name, self.opts.max_tokens, self.opts.overlap
        )
    }

    fn embed(&self, texts: &[&str]) -> anyhow::Result<Vec<Vec<f32>>> {
        let mut windows = Vec::new();
        let mut owner = Vec::new();
        for (i, t) in texts.iter().enumerate() {
            for w in self.windows(t)? {
                windows.push(w);
                owner.push(i);
            }
        }
        let vecs = self.embed_windows(&windows)?;
        let mut sums: Vec<Option<(Vec<f64>, usize)>> = vec![None; texts.len()];
        for (v, &i) in vecs.iter().zip(&owner) {
            let slot = sums[i].get_or_insert_with(|| (vec![0.0; v.len()], 0));
            for (a, x) in slot.0.iter_mut().zip(v) {
                *a += *x as f64;
            }
            slot.1 += 1;
        }
        Ok(sums
            .into_iter()
            .map(|s| {
                let (sum, k) = s.expect("every text has at least one window");
                if k == 1 {
                    sum.into_iter().map(|x| x as f32).collect()
                } else {
                    normalise(sum.into_iter().map(|x| (x / k as f64) as f32).collect())
                }
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_one_window() {
        let w = split_windows(&[5, 6, 7], 256, 32, 101, 102);
        assert_eq!(w, vec![vec![101, 5, 6, 7, 102]]);
        assert_eq!(split_windows(&[], 256, 32, 1, 2), vec![vec![1, 2]]);
    }

    #[test]
    fn long_text_windows_overlap_and_cover_everything() {
        let ids: Vec<u32> = (0..600).collect();
        let w = split_windows(&ids, 256, 32, 9000, 9001);
        // body 254, step 222: starts 0, 222, 444 (444+254 >= 600)
        assert_eq!(w.len(), 3);
        assert!(w
            .iter()
            .all(|x| x.len() <= 256 && x[0] == 9000 && *x.last().unwrap() == 9001));
        assert_eq!(w[0][1], 0);
        assert_eq!(w[1][1], 222);
        assert_eq!(w[2][1], 444);
        assert_eq!(w[2][w[2].len() - 2], 599);
        // exactly one window at the limit
        let ids: Vec<u32> = (0..254).collect();
        assert_eq!(split_windows(&ids, 256, 32, 1, 2).len(), 1);
        let ids: Vec<u32> = (0..255).collect();
        assert_eq!(split_windows(&ids, 256, 32, 1, 2).len(), 2);
    }

    #[test]
    fn normalise_gives_unit_length() {
        let v = normalise(vec![3.0, 4.0]);
        assert!((v[0] - 0.6).abs() < 1e-7 && (v[1] - 0.8).abs() < 1e-7);
        assert_eq!(normalise(vec![0.0, 0.0]), vec![0.0, 0.0]);
    }
}
