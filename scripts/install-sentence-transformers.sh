#!/usr/bin/env bash
# Optional: install sentence-transformers and PyTorch (CPU use) from PyPI. Used only to recompute the
# reference vectors in tests/embed_model.rs and for the speed comparison in benches/st_bench.py.
# Not needed to build, test or use persona-drift. (PyPI's Linux torch wheel pulls its CUDA runtime
# packages too, several GB; they are unused on a CPU-only machine.)
set -euo pipefail
PYTHON="${PYTHON:-python3}"
"$PYTHON" -m pip install --quiet --disable-pip-version-check "torch==2.15.0" "sentence-transformers==6.2.0"
"$PYTHON" -c 'import sentence_transformers, torch; print("sentence-transformers", sentence_transformers.__version__, "torch", torch.__version__)'
