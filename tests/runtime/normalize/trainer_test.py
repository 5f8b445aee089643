#!/usr/bin/env python3
"""normalized_trainer (normalize inputs and targets) against numpy and torch.

Checks, each an assertion that can fail:
  - normalization.npz holds numpy's per-feature mean and std (ddof 0) of the training part
    alone (train.npz less its last quarter, the validation part), inputs and targets;
  - model.py's load() on the raw test inputs gives outputs whose mse and mae against the
    raw targets are result.json's test figures: the metrics are in the data's units and
    model.py applies the normalization as the trainer's evaluation does;
  - the training loss is in normalized units: far below the data's variance.
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "support"))
from script_checks import args_with_work, check, run  # noqa: E402 (tests/support)

a = args_with_work("--trainer")

rng = np.random.default_rng(5)
offset = np.array([10.0, -200.0], np.float32)  # per channel: far from mean 0, std 1
spread = np.array([1.0, 300.0], np.float32)


def make(n):
    z = rng.standard_normal((n, 3, 2, 2))
    y = np.stack([5000 + 800 * np.tanh(z[..., 0].sum(axis=(1, 2)) / 2), -3 + 0.02 * z[..., 1].mean(axis=(1, 2))], axis=1)
    return (offset + spread * z).astype(np.float32), y.astype(np.float32)


x, y = make(160)
xt, yt = make(48)
np.savez(os.path.join(a.work, "train.npz"), x=x, y=y)
np.savez(os.path.join(a.work, "test.npz"), x=xt, y=yt)
r = run([a.trainer, "--threads", "1", "--quiet", "--run-dir", "run"], cwd=a.work)
check(r.returncode == 0, "the normalized trainer runs: " + r.stdout + r.stderr)
run_dir = os.path.join(a.work, "run")
res = json.load(open(os.path.join(run_dir, "result.json")))

n_train = 160 - 40  # split 0.25, take last
with np.load(os.path.join(run_dir, "normalization.npz")) as f:
    stats = {k: f[k] for k in f.files}
xs, ys = x[:n_train].astype(np.float64), y[:n_train].astype(np.float64)
check(sorted(stats) == ["input_mean", "input_std", "target_mean", "target_std"] and stats["input_mean"].shape == (3, 2, 2),
      "normalization.npz: four arrays, the inputs' of the sample's shape")
for name, want in (("input_mean", xs.mean(axis=0)), ("input_std", xs.std(axis=0)),
                   ("target_mean", ys.mean(axis=0)), ("target_std", ys.std(axis=0))):
    check(np.allclose(stats[name], want, rtol=1e-6, atol=0), name + ": numpy's, of the training part alone")
check(not np.allclose(stats["input_mean"], x.astype(np.float64).mean(axis=0), rtol=1e-6, atol=0),
      "(the whole file's mean differs: the check can tell)")

import torch  # noqa: E402

sys.path.insert(0, run_dir)
import model  # noqa: E402

net = model.load(os.path.join(run_dir, "best.npz"))
with torch.no_grad():
    out = net(torch.from_numpy(xt).permute(0, 3, 1, 2)).numpy().astype(np.float64)
err = out - yt.astype(np.float64)
mse, mae = float((err ** 2).mean()), float(np.abs(err).mean())
check(abs(mse - res["test"]["mse"]) <= 1e-5 * res["test"]["mse"] and abs(mae - res["test"]["mae"]) <= 1e-5 * res["test"]["mae"],
      "model.py on raw test inputs: mse %.9g mae %.9g, the trainer's %.9g %.9g" % (mse, mae, res["test"]["mse"], res["test"]["mae"]))
check(res["test"]["loss"] < 0.1 * res["test"]["mse"], "the loss is in normalized units, the mse in the data's")
print("trainer_test: all checks passed")
