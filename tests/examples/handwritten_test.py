#!/usr/bin/env python3
"""The hand-written trainer trains, writes its files, and PyTorch reproduces its test accuracy."""
import gzip
import json
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from script_checks import args_with_work, check  # noqa: E402 (tests/support)

a = args_with_work("--trainer")
r = subprocess.run([a.trainer, "--steps", "150", "--checkpoints", "2", "--threads", "2", "--run-dir", "run"],
                   cwd=a.work, text=True, capture_output=True)
print(r.stdout, r.stderr)
check(r.returncode == 0, "the hand-written trainer runs")
run = os.path.join(a.work, "run")
res = json.load(open(os.path.join(run, "result.json")))
check(res["status"] == "done" and res["steps"] == 150, "result.json: done after 150 steps")
# the settings in force are the runtime's one set of defaults (hps/config.hpp), the ones a
# generated trainer of `optimizer adam lr 1e-3` gets too (tests/generator/generate checks
# that side)
check(res["optimizer"] == {"kind": "adam", "lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0},
      f"result.json records the optimizer's settings in force: {res['optimizer']}")
check(res["best"]["accuracy"] > 0.6, f"it learns (validation accuracy {res['best']['accuracy']:.3f} > 0.6)")
check("test" in res and res["test"]["accuracy"] > 0.6, "the test set is evaluated once, at the best step")

import torch
sys.path.insert(0, run)
import model

net = model.load(os.path.join(run, "best.npz"))
d = "/usr/share/datasets/fashion-mnist/"
x = np.frombuffer(gzip.open(d + "t10k-images-idx3-ubyte.gz").read()[16:], np.uint8).reshape(-1, 28, 28, 1)
y = np.frombuffer(gzip.open(d + "t10k-labels-idx1-ubyte.gz").read()[8:], np.uint8)
with torch.no_grad():
    logits = net(torch.from_numpy(x.astype(np.float32) / 255).permute(0, 3, 1, 2))
acc = float((logits.argmax(1).numpy() == y).mean())
check(abs(acc - res["test"]["accuracy"]) <= 2e-4, f"torch reproduces the test accuracy to 2 of 10,000 images ({acc} vs {res['test']['accuracy']})")
