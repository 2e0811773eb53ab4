#!/usr/bin/env sh
# Recompute the SciPy reference values used by the compare statistics tests
# (src/compare/stats.rs `scipy_reference`, tests/compare_stats.rs). The tests themselves embed
# the values and need nothing installed; run this to re-verify them independently.
set -eu
python3 -m pip install --quiet scipy
python3 - <<'PY'
from scipy.stats import wilcoxon, mannwhitneyu, rankdata
print("rankdata", rankdata([3, 1, 4, 1, 5]))
print("wilcoxon exact 10", wilcoxon([1.5,-0.3,2.1,0.8,-1.2,3.3,0.4,2.7,-0.6,1.9], zero_method="pratt", correction=False, method="exact").pvalue, "expect 0.064453125")
print("wilcoxon approx ties+zeros", wilcoxon([1,2,2,-1,0,3,4,-2,1,0,5,2,-3,1], zero_method="pratt", correction=False, method="approx").pvalue, "expect 0.09365471729498678")
d3 = [0.646,1.122,0.63,-1.003,1.205,0.746,-0.237,0.881,0.665,0.594,0.328,0.847,-0.436,0.137,-0.182,0.899,0.34,0.008,-0.482,0.043,0.308,0.024,1.594,1.307,-2.411,-1.589,0.125,-0.122,0.514,0.517,2.418,-0.812,-0.078,2.343,0.947,0.963,-0.214,-1.348,0.467,0.409,-0.927,-0.383,0.228,-0.645,0.202,0.395,0.336,-0.206,0.894,1.191,0.621,-0.518,1.032,-0.201,1.179,-0.772,1.214,0.28,-0.949,-0.014]
print("wilcoxon approx 60", wilcoxon(d3, zero_method="pratt", correction=False, method="approx").pvalue, "expect 0.015126799117971637")
print("wilcoxon exact 3", wilcoxon([1,2,3], method="exact").pvalue, "expect 0.25")
print("mannwhitneyu exact", mannwhitneyu([1.1,2.3,0.7,3.1,2.2],[2.9,3.5,4.0,2.4,3.8,5.1], alternative="two-sided", use_continuity=True, method="auto").pvalue, "expect 0.017316017316017316")
print("mannwhitneyu ties", mannwhitneyu([1,2,2,3,3,3,4,5,6,7],[2,3,4,4,5,6,6,7,8,9,9], alternative="two-sided", use_continuity=True, method="auto").pvalue, "expect 0.04682250687805345")
PY
