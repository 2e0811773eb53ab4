#!/usr/bin/env bash
# Records the bundled example runs (see examples/runs/README.md). The same battery and settings go to:
#   v1        SmolLM2-135M-Instruct as served by llama.cpp's server
#   v2        the same model behind a simulated provider update (scripts/provider-proxy.py adds a hidden
#             house style: an instruction plus example exchanges in a neutral, concise, professional voice)
#   v1-again  v1 repeated with other seeds (an A/A pair: nothing changed)
#   v1-short  v1 with --max-tokens 40 (a sampling-only change: replies cut short)
# Two llama.cpp servers (1 thread, 4 parallel slots each) record two runs at a time.
# Usage: examples/runs/record.sh [OUT_DIR]
# Every probe without a persona of its own gets the companion card examples/personas/mika.toml (--persona).
# env: SAMPLES (5), MAX_TOKENS (100), FILTER (lang:en), PERSONA (the card; "none" for none), PERSONA_DRIFT_BIN
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-examples/runs}
samples=${SAMPLES:-5}
max_tokens=${MAX_TOKENS:-100}
filter=${FILTER:-lang:en}
persona=${PERSONA:-examples/personas/mika.toml}
bin=${PERSONA_DRIFT_BIN:-target/release/persona-drift}
[ -x "$bin" ] || cargo build --release
mkdir -p "$out"
export LOCAL_LLM_CTX=${LOCAL_LLM_CTX:-8192} LOCAL_LLM_PARALLEL=${LOCAL_LLM_PARALLEL:-4}
url_a=$(LOCAL_LLM_DIR=$PWD/.local/llm-a scripts/local-llm.sh start)
url_b=$(LOCAL_LLM_DIR=$PWD/.local/llm-b scripts/local-llm.sh start)
proxy_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 scripts/provider-proxy.py --listen "127.0.0.1:$proxy_port" --upstream "${url_b%/v1}" >"$out/proxy.log" 2>&1 &
proxy=$!
cleanup() {
  kill "$proxy" 2>/dev/null || true
  LOCAL_LLM_DIR=$PWD/.local/llm-a scripts/local-llm.sh stop || true
  LOCAL_LLM_DIR=$PWD/.local/llm-b scripts/local-llm.sh stop || true
}
trap cleanup EXIT
for _ in $(seq 1 50); do curl -sf "127.0.0.1:$proxy_port/health" >/dev/null && break; sleep 0.2; done
common=(--samples "$samples" --temperature 0.8 --concurrency 4 --probes-filter "$filter" --out "$out" -q)
[ "$persona" = none ] || common+=(--persona "$persona")
rec() { # label, spec, seed, max tokens
  local start=$SECONDS
  "$bin" run --model "$2" --label "$1" --seed "$3" --max-tokens "$4" "${common[@]}"
  echo "$1: $((SECONDS - start)) s" | tee -a "$out/durations.txt"
}
date -u +"recorded %Y-%m-%dT%H:%M:%SZ" >>"$out/durations.txt"
# Server A: v1 then v1-short. Server B: v2 (through the proxy) then v1-again (direct).
( rec v1 "openai-compatible:smollm2-135m@$url_a" 1000 "$max_tokens"
  [ -n "${SKIP_SHORT:-}" ] || rec v1-short "openai-compatible:smollm2-135m@$url_a" 1000 40 ) &
a=$!
rec v2 "openai-compatible:smollm2-135m@http://127.0.0.1:$proxy_port/v1" 1000 "$max_tokens"
rec v1-again "openai-compatible:smollm2-135m@$url_b" 2000 "$max_tokens"
wait $a
