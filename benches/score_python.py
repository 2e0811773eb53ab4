#!/usr/bin/env python3
"""Python baseline for benches/score.rs: the same corpus scored with textstat + vaderSentiment.

    scripts/score-setup.sh                      # pip install vaderSentiment==3.3.2 textstat==0.7.8 "setuptools<81"
    cargo bench --bench score                   # writes target/score-bench-corpus.jsonl
    python3 benches/score_python.py target/score-bench-corpus.jsonl

Per reply it computes what a Python user would for a comparable (smaller) metric set: VADER
compound, Flesch reading ease, Flesch-Kincaid grade, word, sentence and syllable counts.
Single thread, best of 3 timed passes after a warm-up.
"""
import json
import sys
import time

import textstat
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer


def main(path):
    with open(path, encoding="utf-8") as f:
        replies = [json.loads(line) for line in f if line.strip()]
    analyzer = SentimentIntensityAnalyzer()

    def score(text):
        return (
            analyzer.polarity_scores(text)["compound"],
            textstat.flesch_reading_ease(text),
            textstat.flesch_kincaid_grade(text),
            textstat.lexicon_count(text),
            textstat.sentence_count(text),
            textstat.syllable_count(text),
        )

    for r in replies[:200]:
        score(r)
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        for r in replies:
            score(r)
        best = min(best, time.perf_counter() - t)
    t = time.perf_counter()
    for r in replies:
        analyzer.polarity_scores(r)
    v = time.perf_counter() - t
    t = time.perf_counter()
    for r in replies:
        (textstat.flesch_reading_ease(r), textstat.flesch_kincaid_grade(r), textstat.lexicon_count(r),
         textstat.sentence_count(r), textstat.syllable_count(r))
    ts = time.perf_counter() - t
    print(f"python textstat {textstat.__version__ if hasattr(textstat, '__version__') else ''}+vaderSentiment: "
          f"{len(replies)} replies in {best:.3f} s (best of 3, 1 thread) = {len(replies) / best:.0f} replies/s; "
          f"VADER alone {len(replies) / v:.0f} replies/s; textstat alone {len(replies) / ts:.0f} replies/s")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "target/score-bench-corpus.jsonl")
