"""The numpy side of test_normalize.cpp.

usage: check_normalize.py DIR    DIR/x.npy, y.npy: writes DIR/stats.txt, numpy's per-feature
                                 mean and std (ddof 0) of x and y, as "NAME value" lines
"""
import os
import sys

import numpy as np

folder = sys.argv[1]
lines = []
for name in ("x", "y"):
    a = np.load(os.path.join(folder, name + ".npy")).astype(np.float64)
    a = a.reshape(a.shape[0], -1)
    for stat, v in (("mean", a.mean(axis=0)), ("std", a.std(axis=0))):
        lines += [f"{name}_{stat}{j} {float(s)!r}" for j, s in enumerate(v)]
open(os.path.join(folder, "stats.txt"), "w").write("\n".join(lines) + "\n")
