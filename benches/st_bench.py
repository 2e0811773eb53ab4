"""sentence-transformers on the same corpus as benches/embed.rs (run `cargo bench --bench embed` first).

    scripts/install-sentence-transformers.sh
    python3 benches/st_bench.py            # 1 and 2 threads, batch 32
"""
import json
import os
import time

import torch
from sentence_transformers import SentenceTransformer

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
texts = json.load(open(os.path.join(root, "target", "embed-bench", "corpus.json")))
cache = os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache"))
model_dir = os.environ.get(
    "PERSONA_DRIFT_EMBED_MODEL", os.path.join(cache, "persona-drift", "models", "all-MiniLM-L6-v2")
)
model = SentenceTransformer(model_dir, device="cpu")
print(f"sentence-transformers {__import__('sentence_transformers').__version__}, torch {torch.__version__}, "
      f"{len(texts)} replies, max_seq_length {model.max_seq_length}")
print(f"{'threads':>7} {'batch':>6} {'seconds':>10} {'replies/s':>12}")
for threads in (1, 2):
    torch.set_num_threads(threads)
    model.encode(texts[:16], batch_size=32)
    t = time.perf_counter()
    model.encode(texts, batch_size=32, normalize_embeddings=True)
    s = time.perf_counter() - t
    print(f"{threads:>7} {32:>6} {s:>10.2f} {len(texts) / s:>12.1f}")
