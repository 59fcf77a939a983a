"""The reference implementation the drift benchmark compares against: pandas loads both datasets and
scipy runs Evidently's default test per column (evidently/calculations/stattests/registry.py
_get_default_stattest), as Evidently's DataDriftPreset does. Prints timings and peak RSS as JSON."""
import json
import resource
import sys
import time

import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial import distance

ref_path, cur_path = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
read = pd.read_parquet if ref_path.endswith(".parquet") else pd.read_csv
ref = read(ref_path)
cur = read(cur_path)
t1 = time.perf_counter()


def column_type(s):
    if pd.api.types.is_float_dtype(s):
        return "num"
    if pd.api.types.is_integer_dtype(s):
        return "cat" if s.nunique() <= 10 else "num"
    return "cat"


def binned(r, c, numeric):
    if numeric and r.nunique() > 20:
        bins = np.histogram_bin_edges(pd.concat([r, c]).values, bins="sturges")
        return np.histogram(r, bins)[0] / len(r), np.histogram(c, bins)[0] / len(c)
    keys = list(set(r.unique()) | set(c.unique()))
    rv, cv = r.value_counts(), c.value_counts()
    return (np.array([rv.get(k, 0) / len(r) for k in keys]), np.array([cv.get(k, 0) / len(c) for k in keys]))


drifted = 0
tests = set()
for name in ref.columns:
    r = ref[name].replace([np.inf, -np.inf], np.nan).dropna()
    c = cur[name].replace([np.inf, -np.inf], np.nan).dropna()
    kind = column_type(ref[name])
    n_values = pd.concat([r, c]).nunique()
    if len(r) <= 1000:
        if kind == "num" and n_values > 5:
            test, p = "ks", stats.ks_2samp(r, c).pvalue
            drift = p < 0.05
        else:
            keys = list(set(r.unique()) | set(c.unique()))
            rv, cv = r.value_counts(), c.value_counts()
            f_exp = [rv.get(k, 0) * len(c) / len(r) for k in keys]
            test, p = "chisquare", stats.chisquare([cv.get(k, 0) for k in keys], f_exp).pvalue
            drift = p < 0.05
    elif kind == "num" and n_values > 5:
        test = "wasserstein"
        drift = stats.wasserstein_distance(r, c) / max(np.std(r), 0.001) >= 0.1
    else:
        test = "jensenshannon"
        rp, cp = binned(r, c, kind == "num")
        drift = distance.jensenshannon(rp, cp) >= 0.1
    tests.add(test)
    drifted += int(drift)
t2 = time.perf_counter()
print(json.dumps({
    "load_s": t1 - t0,
    "drift_tests_s": t2 - t1,
    "total_s": t2 - t0,
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "columns": len(ref.columns),
    "drifted": drifted,
    "tests": sorted(tests),
}))
