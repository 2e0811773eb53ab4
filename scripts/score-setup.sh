#!/usr/bin/env bash
# Python packages used by the scoring stage's golden-value script (tests/score_vader.rs) and
# the Python side of the scoring benchmark (benches/score_python.py). The Rust tests do not
# need them at run time: the golden values are pinned in the test file.
set -euo pipefail
python3 -m pip install --quiet "vaderSentiment==3.3.2" "textstat==0.7.8" "setuptools<81"
