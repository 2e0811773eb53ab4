#!/usr/bin/env python3
"""Validity study on the bundled runs (docs/validation.md): false-positive rate on the A/A pair and
detection power on the A/B pair as a function of samples per probe and battery size.

Each replicate builds two run directories by resampling: for every chosen probe, k samples drawn with
replacement from that probe's finished conversations in each run (renumbered 0..k-1), then runs
`persona-drift compare --no-embeddings --format json` and tallies the dimension verdicts.

Usage: scripts/validate.py [--bin target/release/persona-drift] [--reps 10] [--resamples 2000] [--out FILE]
"""
import argparse, json, os, random, subprocess, sys, tempfile
from collections import defaultdict

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUNS = os.path.join(ROOT, "examples", "runs")
DIMS = ["dim.warmth", "dim.verbosity", "dim.structure", "dim.engagement", "dim.playfulness",
        "dim.formality", "dim.sycophancy", "dim.persona_stability", "dim.recall"]


def load(label):
    d = os.path.join(RUNS, label)
    manifest = json.load(open(os.path.join(d, "manifest.json")))
    battery = json.load(open(os.path.join(d, "battery.json")))
    latest = {}
    for line in open(os.path.join(d, "transcripts.jsonl")):
        r = json.loads(line)
        latest[(r["probe_id"], r["sample"])] = r
    by_probe = defaultdict(list)
    for r in latest.values():
        if r["status"] == "finished":
            by_probe[r["probe_id"]].append(r)
    return manifest, battery, by_probe


def write(dst, label, run, probes, k, rng):
    manifest, battery, by_probe = run
    os.makedirs(dst)
    m = dict(manifest, label=label, samples=k)
    m["counts"] = {"expected": len(probes) * k, "finished": len(probes) * k, "failed": 0}
    json.dump(m, open(os.path.join(dst, "manifest.json"), "w"))
    b = {"probes": [p for p in battery["probes"] if p["id"] in probes]}
    json.dump(b, open(os.path.join(dst, "battery.json"), "w"))
    with open(os.path.join(dst, "transcripts.jsonl"), "w") as f:
        for pid in sorted(probes):
            for i in range(k):
                r = dict(rng.choice(by_probe[pid]), sample=i)
                f.write(json.dumps(r) + "\n")


def verdicts(binary, old, new, resamples, seed):
    with tempfile.TemporaryDirectory() as tmp:
        o, n = os.path.join(tmp, "old"), os.path.join(tmp, "new")
        old(o), new(n)
        out = os.path.join(tmp, "report")
        p = subprocess.run([binary, "compare", o, n, "--no-embeddings", "--format", "json", "-q",
                            "--resamples", str(resamples), "--seed", str(seed), "--out", out],
                           capture_output=True, text=True)
        if p.returncode not in (0, 1):
            sys.exit(f"compare failed ({p.returncode}): {p.stderr}")
        c = json.load(open(os.path.join(out, "comparison.json")))
        return {m["id"]: (m["verdict"], m.get("abs_change")) for m in c["metrics"] if m["id"] in DIMS}


def study(binary, a, b, ks, fracs, reps, resamples, seed):
    rows = []
    probes_all = sorted(set(a[2]) & set(b[2]))
    for k in ks:
        for frac in fracs:
            tally = defaultdict(lambda: defaultdict(int))
            for rep in range(reps):
                rng = random.Random(seed * 1000003 + k * 1009 + int(frac * 100) * 31 + rep)
                probes = sorted(rng.sample(probes_all, max(3, round(frac * len(probes_all)))))
                v = verdicts(binary, lambda d: write(d, "old", a, probes, k, rng),
                             lambda d: write(d, "new", b, probes, k, rng), resamples, seed + rep)
                for dim, (verdict, change) in v.items():
                    tally[dim][verdict] += 1
                    if verdict == "changed":
                        tally[dim]["down" if (change or 0) < 0 else "up"] += 1
            rows.append({"samples": k, "probes": max(3, round(frac * len(probes_all))), "reps": reps,
                         "tally": {d: dict(t) for d, t in tally.items()}})
            print(json.dumps(rows[-1]), flush=True)
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "persona-drift"))
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--resamples", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    v1, v1b, v2 = load("v1"), load("v1-again"), load("v2")
    result = {
        "aa": study(a.bin, v1, v1b, [5], [1.0], a.reps * 3, a.resamples, a.seed),
        "ab": study(a.bin, v1, v2, [1, 2, 3, 5], [0.25, 0.5, 1.0], a.reps, a.resamples, a.seed),
    }
    if a.out:
        json.dump(result, open(a.out, "w"), indent=1)
    print_tables(result)


def print_tables(result):
    """Markdown tables for docs/validation.md: A/A false positives per dimension, and for each
    dimension the update moves, the replicates that called it changed in the designed direction."""
    print("\nA/A: replicates with a *changed* verdict, per dimension")
    for row in result["aa"]:
        for dim in DIMS:
            t = row["tally"].get(dim, {})
            print(f"  {dim}: changed {t.get('changed', 0)}/{row['reps']}, "
                  f"inconclusive {t.get('inconclusive', 0)}/{row['reps']}")
    for dim in ["dim.warmth", "dim.verbosity", "dim.playfulness", "dim.engagement"]:
        probes = sorted({r["probes"] for r in result["ab"]})
        print(f"\n{dim}: replicates called changed (down)")
        print("| samples per probe \\ probes | " + " | ".join(map(str, probes)) + " |")
        print("|---|" + "---|" * len(probes))
        for k in sorted({r["samples"] for r in result["ab"]}):
            cells = []
            for n in probes:
                row = next(r for r in result["ab"] if r["samples"] == k and r["probes"] == n)
                t = row["tally"].get(dim, {})
                cells.append(f"{t.get('down', 0)}/{row['reps']}")
            print(f"| {k} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
