//! Per-run-directory embedding cache: `<run>/embeddings/<model-id>.bin`, keyed by (model id, SHA-256 of
//! the text), so re-comparing a run costs no model calls.
//!
//! File format (little-endian): the magic `PDEMB1\n`, the model id (u32 length + UTF-8), the dimension
//! (u32), then records of `[32-byte SHA-256 of the text][dim x f32]`. Records are only appended (and
//! flushed per call); a torn last record from a crash is ignored and overwritten. The file name is the
//! model id with every character outside `[A-Za-z0-9._-]` replaced by `_` plus a short hash of the full
//! id, and the id inside the file is checked on open.

use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::Embedder;

const MAGIC: &[u8] = b"PDEMB1\n";

type Key = [u8; 32];

fn text_key(text: &str) -> Key {
    Sha256::digest(text.as_bytes()).into()
}

/// The cache file of a model in a run directory.
pub fn cache_path(run_dir: &Path, model_id: &str) -> PathBuf {
    let safe: String = model_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let h = hex::encode(&Sha256::digest(model_id.as_bytes())[..4]);
    run_dir.join("embeddings").join(format!("{safe}-{h}.bin"))
}

struct State {
    map: HashMap<Key, Vec<f32>>,
    dim: Option<usize>,
    /// Byte length of the valid part of the file (0 = no file yet).
    valid_len: u64,
}

/// An [`Embedder`] that looks texts up in a run directory's cache first and embeds (and appends) only
/// the missing ones.
pub struct CachedEmbedder<'a> {
    inner: &'a dyn Embedder,
    path: PathBuf,
    model_id: String,
    state: Mutex<State>,
    misses: std::sync::atomic::AtomicUsize,
}

impl<'a> CachedEmbedder<'a> {
    /// Opens (or prepares) the cache of `inner`'s model in `run_dir`.
    pub fn open(run_dir: &Path, inner: &'a dyn Embedder) -> anyhow::Result<Self> {
        let model_id = inner.model_id();
        let path = cache_path(run_dir, &model_id);
        let mut state = State {
            map: HashMap::new(),
            dim: None,
            valid_len: 0,
        };
        if path.exists() {
            match read_cache(&path, &model_id) {
                Ok(s) => state = s,
                Err(e) => {
                    // A damaged cache is only a cache: say so and rebuild it.
                    eprintln!("warning: ignoring embedding cache {}: {e:#}", path.display());
                }
            }
        }
        Ok(CachedEmbedder {
            inner,
            path,
            model_id,
            state: Mutex::new(state),
            misses: Default::default(),
        })
    }

    /// How many texts were sent to the model through this cache so far.
    pub fn misses(&self) -> usize {
        self.misses.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The cache file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn read_cache(path: &Path, model_id: &str) -> anyhow::Result<State> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)?.read_to_end(&mut bytes)?;
    let bad = || anyhow::anyhow!("not a persona-drift embedding cache");
    if !bytes.starts_with(MAGIC) {
        return Err(bad());
    }
    let mut p = MAGIC.len();
    let u32_at = |p: usize| -> anyhow::Result<u32> {
        Ok(u32::from_le_bytes(
            bytes.get(p..p + 4).ok_or_else(bad)?.try_into()?,
        ))
    };
    let id_len = u32_at(p)? as usize;
    p += 4;
    let id = std::str::from_utf8(bytes.get(p..p + id_len).ok_or_else(bad)?)?;
    if id != model_id {
        anyhow::bail!("it holds vectors of model {id:?}, not {model_id:?}");
    }
    p += id_len;
    let dim = u32_at(p)? as usize;
    p += 4;
    if dim == 0 {
        return Err(bad());
    }
    let rec = 32 + 4 * dim;
    let mut map = HashMap::new();
    while p + rec <= bytes.len() {
        let key: Key = bytes[p..p + 32].try_into()?;
        let v = bytes[p + 32..p + rec]
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
            .collect();
        map.insert(key, v);
        p += rec;
    }
    Ok(State {
        map,
        dim: Some(dim),
        valid_len: p as u64,
    })
}

impl Embedder for CachedEmbedder<'_> {
    fn model_id(&self) -> String {
        self.model_id.clone()
    }

    fn embed(&self, texts: &[&str]) -> anyhow::Result<Vec<Vec<f32>>> {
        let keys: Vec<Key> = texts.iter().map(|t| text_key(t)).collect();
        let mut st = self
            .state
            .lock()
            .map_err(|_| anyhow::anyhow!("embedding cache lock poisoned"))?;
        let mut todo: Vec<usize> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (i, k) in keys.iter().enumerate() {
            if !st.map.contains_key(k) && seen.insert(*k) {
                todo.push(i);
            }
        }
        if !todo.is_empty() {
            let batch: Vec<&str> = todo.iter().map(|&i| texts[i]).collect();
            let vecs = self.inner.embed(&batch)?;
            if vecs.len() != batch.len() {
                anyhow::bail!(
                    "embedder returned {} vectors for {} texts",
                    vecs.len(),
                    batch.len()
                );
            }
            self.misses
                .fetch_add(batch.len(), std::sync::atomic::Ordering::Relaxed);
            let dim = vecs[0].len();
            if st.dim.is_some_and(|d| d != dim) || vecs.iter().any(|v| v.len() != dim) {
                anyhow::bail!(
                    "embedder {} returned vectors of inconsistent dimension",
                    self.model_id
                );
            }
            if let Err(e) = append(&self.path, &self.model_id, &mut st, dim, &todo, &keys, &vecs) {
                eprintln!(
                    "warning: cannot write embedding cache {}: {e:#}",
                    self.path.display()
                );
            }
            st.dim = Some(dim);
            for (&i, v) in todo.iter().zip(vecs) {
                st.map.insert(keys[i], v);
            }
        }
        Ok(keys.iter().map(|k| st.map[k].clone()).collect())
    }
}

fn append(
    path: &Path,
    model_id: &str,
    st: &mut State,
    dim: usize,
    todo: &[usize],
    keys: &[Key],
    vecs: &[Vec<f32>],
) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)?;
    let mut buf = Vec::new();
    if st.valid_len == 0 {
        buf.extend_from_slice(MAGIC);
        buf.extend_from_slice(&(model_id.len() as u32).to_le_bytes());
        buf.extend_from_slice(model_id.as_bytes());
        buf.extend_from_slice(&(dim as u32).to_le_bytes());
    }
    for (&i, v) in todo.iter().zip(vecs) {
        buf.extend_from_slice(&keys[i]);
        for x in v {
            buf.extend_from_slice(&x.to_le_bytes());
        }
    }
    // Overwrite a torn tail, if any, then cut the file to the new valid length.
    f.seek(SeekFrom::Start(st.valid_len))?;
    f.write_all(&buf)?;
    st.valid_len += buf.len() as u64;
    f.set_len(st.valid_len)?;
    f.flush()?;
    f.sync_data()?;
    Ok(())
}
