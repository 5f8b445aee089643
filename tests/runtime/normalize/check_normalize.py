"""The numpy and torch side of test_normalize.cpp.

usage: check_normalize.py stats DIR    DIR/x.npy, y.npy: writes DIR/stats.txt, numpy's
                                       per-feature mean and std (ddof 0) of x and y
       check_normalize.py model DIR    DIR/model.py, best.npz, normalization.npz, raw.npy
                                       (raw inputs, channels last), out.npy (the C++ outputs
                                       in the data's units): exits 0 when model.load() on the
                                       raw inputs gives out.npy
"""
import os
import sys

import numpy as np

what, folder = sys.argv[1], sys.argv[2]
if what == "stats":
    lines = []
    for name in ("x", "y"):
        a = np.load(os.path.join(folder, name + ".npy")).astype(np.float64)
        a = a.reshape(a.shape[0], -1)
        for stat, v in (("mean", a.mean(axis=0)), ("std", a.std(axis=0))):
            lines += [f"{name}_{stat}{j} {float(s)!r}" for j, s in enumerate(v)]
    open(os.path.join(folder, "stats.txt"), "w").write("\n".join(lines) + "\n")
    sys.exit(0)

import torch  # noqa: E402

sys.path.insert(0, folder)
import model  # noqa: E402

net = model.load(os.path.join(folder, "best.npz"))
raw = np.load(os.path.join(folder, "raw.npy"))
want = np.load(os.path.join(folder, "out.npy"))
x = torch.from_numpy(raw)
if raw.ndim > 2:  # channels last -> channels first, as model.py's header says
    x = x.permute(0, raw.ndim - 1, *range(1, raw.ndim - 1))
with torch.no_grad():
    got = net(x).numpy()
err = np.abs(got - want).max() / (np.abs(want).max() + 1e-12)
print(f"model.py on raw inputs against the trainer's outputs: max relative difference {err:.3g}")
sys.exit(0 if got.shape == want.shape and err < 1e-5 else 1)
