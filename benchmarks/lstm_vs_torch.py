#!/usr/bin/env python3
"""Training speed of the peak finder's LSTM: an hpsgen trainer against PyTorch, 1 thread.

The model is workload 2's peak finder at its largest grid point: windows of 15 x 1 ->
LSTM 128 units (last step) -> dense 128 relu -> dropout 0.1 -> dense 1 (a logit), loss
BCE with logits (pos_weight 3), Adam lr 1e-3, batch 150. Every side trains on the same
random windows, one thread each:

  * hpsgen: a one-point study is generated and built (Release, -march=native, as
    `hpsgen run` builds), and its trainer runs with --threads 1 twice per repeat, for
    --steps and for 10 steps; the difference of the two runs is the training (start-up,
    data loading, evaluation and file writing cancel out); with --baseline-hpsgen, the
    trainer of a second hpsgen (an earlier commit's, say) as well, as "baseline";
  * "torch": Debian's python3-torch as installed, in a child /usr/bin/python3 with
    torch.set_num_threads(1): the same nn.Sequential (nn.LSTM with batch_first, the last
    step, Linear, ReLU, Dropout, Linear), timed after warm-up steps, batches drawn from a
    per-epoch permutation as the trainer does;
  * "torch+openblas": the same child with OpenBLAS's libblas.so.3 first on
    LD_LIBRARY_PATH (OPENBLAS_NUM_THREADS=1). Debian's torch calls whatever libblas.so.3
    resolves to, by default netlib's reference BLAS, which makes its LSTM (a sequence of
    matrix products) many times slower than a PyTorch on MKL or OpenBLAS; this variant
    is the fair one. OpenBLAS picks its kernels by CPU model; one older than the CPU
    (Debian 12's 0.3.21 on Zen 5) falls back to AVX2 ("Haswell") kernels, so
    --openblas-coretype SkylakeX adds "torch+openblas/SkylakeX" with its AVX-512 ones.
    OpenBLAS is looked for in Debian's folders, then in build/openblas and
    build-bench/openblas (scripts/bench.sh unpacks Debian's libopenblas0-pthread into
    build-bench/openblas with `apt-get download` + `dpkg-deb -x`, nothing installed;
    docs/performance.md shows the same by hand); --openblas DIR to give it.

Every child runs with OMP_NUM_THREADS=1 and OMP_WAIT_POLICY=PASSIVE. The repeats are
interleaved (hpsgen, torch, torch+openblas, then the reverse order the next repeat) so
that a change of the machine's load touches every side alike; the figures are medians
over the repeats, and the ratios medians of the per-repeat ratios. Samples per second are
given per wall-clock second and per CPU second (on a shared machine the CPU figure is the
steadier one). Each torch child reports the BLAS library it actually loaded (from
/proc/self/maps) and, for OpenBLAS, the kernel set it chose.

usage: benchmarks/lstm_vs_torch.py [--hpsgen build/generator/hpsgen] [--baseline-hpsgen PATH] [--steps 300]
                                   [--torch-steps 40] [--ref-steps 10] [--repeats 3]
                                   [--openblas auto|none|DIR] [--openblas-coretype SkylakeX]
                                   [--work build/lstm-bench] [--units 128] [--json FILE]
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

import numpy as np

from bench_common import (FEW, TORCH_PYTHON, blas_report, child_env, interleave, openblas_dir, run_torch_child,
                          summarize, time_trainer)

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


# ---------------------------------------------------------------- the hpsgen side
def build_hpsgen(a, x, y, hpsgen, work):
    work = os.path.abspath(work)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(os.path.join(work, "data"))
    np.savez(os.path.join(work, "data/train.npz"), x=x, y=y)
    np.savez(os.path.join(work, "data/validation.npz"), x=x[:BATCH], y=y[:BATCH])
    with open(os.path.join(work, "bench.hps"), "w") as f:
        f.write(SPEC.format(units=a.units, batch=BATCH, steps=a.steps))
    hpsgen = os.path.abspath(hpsgen)
    for cmd in ([hpsgen, "generate", "bench.hps", "-o", "study"], [hpsgen, "run", "study", "--build-only"]):
        r = subprocess.run(cmd, cwd=work, capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"{' '.join(cmd[:2])} failed:\n{r.stdout}{r.stderr}")
    study = os.path.join(work, "study")
    bins = sorted(os.listdir(os.path.join(study, "build", "bin")))
    if len(bins) != 1:
        sys.exit(f"expected one trainer in {study}/build/bin, found {bins}")
    return study, os.path.join(study, "build", "bin", bins[0])


# ---------------------------------------------------------------- the PyTorch side
def torch_worker(a):
    import torch
    from torch import nn

    torch.set_num_threads(1)
    torch.manual_seed(1)
    x, y = make_data(BATCH * 40, 1)

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

    for i in range(5):  # warm-up (and the first BLAS call, which loads the library)
        step(i)
    t, c = time.perf_counter(), time.process_time()
    for i in range(5, 5 + a.torch_steps):
        step(i)
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    json.dump(dict(blas_report(torch), wall=a.torch_steps * BATCH / wall, cpu=a.torch_steps * BATCH / cpu),
              sys.stdout)


def run_torch(a, blas_dir, steps, coretype):
    cmd = [TORCH_PYTHON, os.path.abspath(__file__), "--torch-worker", "--torch-steps", str(steps),
           "--units", str(a.units)]
    return run_torch_child(cmd, child_env(blas_dir, coretype), "lstm_vs_torch")


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hpsgen", default=os.path.join(root, "build", "generator", "hpsgen"))
    ap.add_argument("--baseline-hpsgen", help="a second hpsgen (e.g. built from an earlier commit) whose trainer "
                    "is measured too, interleaved, as \"baseline\"")
    ap.add_argument("--steps", type=int, default=300, help="training steps of the hpsgen trainer (default 300)")
    ap.add_argument("--torch-steps", type=int, default=40, help="timed steps of torch+openblas (default 40)")
    ap.add_argument("--ref-steps", type=int, default=10,
                    help="timed steps of torch on the reference BLAS (default 10; it is ~15x slower)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--units", type=int, default=128)
    ap.add_argument("--openblas", default="auto", help="auto, none, or OpenBLAS's folder (with libblas.so.3)")
    ap.add_argument("--openblas-coretype", default="",
                    help="also measure torch+openblas with OPENBLAS_CORETYPE set to this kernel set (e.g. SkylakeX, "
                    "OpenBLAS's AVX-512 kernels, which an OpenBLAS older than the CPU does not pick itself)")
    ap.add_argument("--work", default=os.path.join(root, "build", "lstm-bench"),
                    help="scratch folder for the generated study (default build/lstm-bench)")
    ap.add_argument("--json", help="write every measurement here")
    ap.add_argument("--torch-worker", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.torch_worker:
        torch_worker(a)
        return

    blas_dir = openblas_dir(a.openblas, root, "lstm_vs_torch")
    variants = [("torch", None, a.ref_steps, "")]
    if blas_dir:
        variants.append(("torch+openblas", blas_dir, a.torch_steps, ""))
        if a.openblas_coretype:
            variants.append((f"torch+openblas/{a.openblas_coretype}", blas_dir, a.torch_steps, a.openblas_coretype))
    x, y = make_data(BATCH * 40, 1)
    print(f"LSTM {a.units} -> dense 128 -> dense 1, windows 15 x 1, batch {BATCH}, Adam, 1 thread each", flush=True)
    print(f"hpsgen {a.steps} steps (less a {FEW}-step run), torch {a.ref_steps} steps, torch+openblas "
          f"{a.torch_steps} steps; {a.repeats} interleaved repeats", flush=True)
    print(f"OpenBLAS for torch+openblas: {blas_dir or 'not found (torch+openblas left out)'}", flush=True)
    trainers = {"hpsgen": build_hpsgen(a, x, y, a.hpsgen, a.work)}
    if a.baseline_hpsgen:
        trainers["baseline"] = build_hpsgen(a, x, y, a.baseline_hpsgen, a.work + "-baseline")
    sides = {who: (lambda r, study=study, binary=binary: time_trainer(binary, study, a.steps, BATCH, r))
             for who, (study, binary) in trainers.items()}
    for v, d, steps, core in variants:
        sides[v] = lambda r, d=d, steps=steps, core=core: run_torch(a, d, steps, core)
    records, loads = interleave(a.repeats, sides)
    summarize(records, loads, list(trainers), [v[0] for v in variants])
    med = statistics.median
    goal = 3 * 7500
    hc = med(x["hpsgen"]["cpu"] for x in records)
    print(f"\nissue 6's goal, >= 3x PyTorch's ~7,500 samples/s = {goal:,}: hpsgen {hc:,.0f} per CPU second "
          f"({'met' if hc >= goal else 'not met'})")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"load": loads, "records": records}, f, indent=1)


if __name__ == "__main__":
    main()
