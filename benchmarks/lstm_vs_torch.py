#!/usr/bin/env python3
"""Training speed of the peak finder's LSTM: an hpsgen trainer against PyTorch, 1 thread.

The model is workload 2's peak finder at its largest grid point: windows of 15 x 1 ->
LSTM 128 units (last step) -> dense 128 relu -> dropout 0.1 -> dense 1 (a logit), loss
BCE with logits (pos_weight 3), Adam lr 1e-3, batch 150. Both sides train the same number
of steps on the same random windows, one thread each:

  * hpsgen: a one-point study is generated and built (Release, -march=native, as
    `hpsgen run` builds), and its trainer runs with --threads 1 twice, for --steps and
    for a few steps; the difference of the two runs is the training (data loading,
    evaluation and file writing cancel out);
  * PyTorch: the same nn.Sequential (nn.LSTM with batch_first, the last step, Linear,
    ReLU, Dropout, Linear), torch.set_num_threads(1), timed after warm-up steps, batches
    drawn from a per-epoch permutation as the trainer does.

Prints samples per second (wall clock and CPU time: on a shared machine the CPU time is
the steadier figure) and the ratio, with PyTorch's version and the BLAS it was built on:
PyTorch's CPU LSTM training is a sequence of matrix products per step, so its speed
depends mostly on that BLAS (Debian's python3-torch uses the reference BLAS; a PyPI or
conda build uses MKL or OpenBLAS and is several times faster).

usage: benchmarks/lstm_vs_torch.py [--hpsgen build/generator/hpsgen] [--steps 200]
                                   [--work /tmp/hps-lstm-bench] [--units 128]
"""
import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import time

import numpy as np

BATCH = 150
SPEC = """study lstm_bench "peak finder LSTM, speed against PyTorch"
data {{
  train "data/train.npz"
  validation "data/validation.npz"
  input 15 x 1
  target binary
}}
network {{
  lstm units {units}
  dense units 128 activation relu
  dropout 0.1
  dense units 1
}}
train {{
  optimizer adam lr 1e-3
  loss bce pos_weight 3
  batch {batch}
  steps {steps}
  checkpoints 1
  seed 1
}}
metrics {{
  f1
  select max f1
}}
"""


def make_data(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 15, 1)).astype(np.float32)
    y = (x[:, 7, 0] > 0.8).astype(np.uint8)  # any learnable rule: the speed does not depend on it
    return x, y


def run_child(cmd, cwd):
    """Runs cmd; returns (wall seconds, CPU seconds of the child)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def bench_hpsgen(a, x, y):
    work = os.path.abspath(a.work)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(os.path.join(work, "data"))
    np.savez(os.path.join(work, "data/train.npz"), x=x, y=y)
    np.savez(os.path.join(work, "data/validation.npz"), x=x[:BATCH], y=y[:BATCH])
    with open(os.path.join(work, "bench.hps"), "w") as f:
        f.write(SPEC.format(units=a.units, batch=BATCH, steps=a.steps))
    hpsgen = os.path.abspath(a.hpsgen)
    r = subprocess.run([hpsgen, "generate", "bench.hps", "-o", "study"], cwd=work, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"hpsgen generate failed:\n{r.stdout}{r.stderr}")
    r = subprocess.run([hpsgen, "run", "study", "--build-only"], cwd=work, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"hpsgen run --build-only failed:\n{r.stdout}{r.stderr}")
    study = os.path.join(work, "study")
    bins = sorted(os.listdir(os.path.join(study, "build", "bin")))
    if len(bins) != 1:
        sys.exit(f"expected one trainer in {study}/build/bin, found {bins}")
    binary = os.path.join(study, "build", "bin", bins[0])
    few = 10
    base = ["--threads", "1", "--quiet", "--checkpoints", "1"]
    w0, c0 = run_child([binary, "--run-dir", "runs/few", "--steps", str(few)] + base, study)
    w1, c1 = run_child([binary, "--run-dir", "runs/all", "--steps", str(a.steps)] + base, study)
    n = (a.steps - few) * BATCH
    return n / (w1 - w0), n / (c1 - c0)


def bench_torch(a, x, y):
    import torch
    from torch import nn

    torch.set_num_threads(1)
    torch.manual_seed(1)

    class LastStep(nn.LSTM):
        def forward(self, inp):
            return super().forward(inp)[0][:, -1]

    model = nn.Sequential(LastStep(1, a.units, batch_first=True), nn.Linear(a.units, 128), nn.ReLU(),
                          nn.Dropout(0.1), nn.Linear(128, 1))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.BCEWithLogitsLoss(pos_weight=torch.tensor([3.0]))
    xt = torch.from_numpy(x)
    yt = torch.from_numpy(y.astype(np.float32))[:, None]
    per_epoch = len(x) // BATCH
    gen = torch.Generator().manual_seed(1)
    perm = None

    def step(i):
        nonlocal perm
        if i % per_epoch == 0:
            perm = torch.randperm(len(x), generator=gen)
        idx = perm[(i % per_epoch) * BATCH:(i % per_epoch + 1) * BATCH]
        opt.zero_grad()
        loss = loss_fn(model(xt[idx]), yt[idx])
        loss.backward()
        opt.step()

    warm = 5
    for i in range(warm):
        step(i)
    steps = a.torch_steps or a.steps
    t, c = time.perf_counter(), time.process_time()
    for i in range(warm, warm + steps):
        step(i)
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    blas = re.search(r"BLAS_INFO=([^,\s]+)", torch.__config__.show())
    return steps * BATCH / wall, steps * BATCH / cpu, torch.__version__, blas.group(1) if blas else "?"


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hpsgen", default=os.path.join(root, "build", "generator", "hpsgen"))
    ap.add_argument("--steps", type=int, default=200, help="training steps of the hpsgen trainer (default 200)")
    ap.add_argument("--torch-steps", type=int, default=0, help="PyTorch's steps (default: --steps)")
    ap.add_argument("--units", type=int, default=128)
    ap.add_argument("--work", default="/tmp/hps-lstm-bench")
    a = ap.parse_args()
    x, y = make_data(BATCH * 40, 1)
    print(f"LSTM {a.units} -> dense 128 -> dense 1, windows 15 x 1, batch {BATCH}, Adam, 1 thread", flush=True)
    hw, hc = bench_hpsgen(a, x, y)
    print(f"hpsgen trainer: {hw:9.0f} samples/s wall, {hc:9.0f} samples/s CPU ({a.steps} steps)", flush=True)
    tw, tc, version, blas = bench_torch(a, x, y)
    print(f"PyTorch {version} (BLAS {blas}): {tw:9.0f} samples/s wall, {tc:9.0f} samples/s CPU "
          f"({a.torch_steps or a.steps} steps)")
    print(f"ratio hpsgen / PyTorch: {hw / tw:.1f}x wall, {hc / tc:.1f}x CPU")


if __name__ == "__main__":
    main()
