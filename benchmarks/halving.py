"""Successive halving against the full grid on Fashion-MNIST (issue 13): does halving pick a
point among the full grid's best 3 by test accuracy, at a fraction of its training steps?
A benchmark, not a test: it trains two studies and prints figures.

usage: python3 benchmarks/halving.py HPSGEN WORKDIR [--jobs N]
The grid: 27 points (3 learning rates x 3 dropout rates x 3 dense widths: 3 trainers),
each trained 1,350 steps of 64 images in the full grid; halving with eta 3 from 50 steps
(rungs of 27 x 50, 9 x 150, 3 x 450, 1 x 1,350). Data: Debian's dataset-fashion-mnist.
Prints each point's test accuracy in the full grid, the halving's rungs, where its winner
ranks in the full grid, and the steps each study trained.
"""
import argparse
import json
import os
import subprocess
import sys
import time

SPEC = """study halving_bench "Fashion-MNIST: the full grid against successive halving"

data {
  train "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"
  test "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"
  split 0.1
  input 28 x 28 x 1
  target classes 10
  scale 1/255
}

network {
  conv2d filters 8 kernel 5 padding same activation relu
  maxpool 2
  conv2d filters 16 kernel 5 padding same activation relu
  maxpool 2
  dense units {32, 64, 128} activation relu
  dropout {0, 0.25, 0.5}
  dense units 10
}

train {
  optimizer adam lr {3e-4, 1e-3, 3e-3}
  loss softmax_ce
  batch 64
  steps 1350
  checkpoints 9
  seed 1
}

metrics {
  accuracy
  select max accuracy
}
"""

HALVING = "\nsearch {\n  halving eta 3 min_steps 50\n}\n"


def sh(cmd):
    print("$", " ".join(cmd), flush=True)
    r = subprocess.run(cmd, text=True, capture_output=True)
    if r.returncode != 0:
        sys.exit(r.stdout[-3000:] + r.stderr[-3000:])
    return r.stdout


def study(hpsgen, work, name, text, jobs):
    spec = os.path.join(work, name + ".hps")
    with open(spec, "w") as f:
        f.write(text)
    out = os.path.join(work, name)
    sh([hpsgen, "generate", spec, "-o", out])
    sh([hpsgen, "run", out, "--build-only"])
    start = time.monotonic()
    log = sh([hpsgen, "run", out, "--jobs", str(jobs), "--threads", "1"])
    wall = time.monotonic() - start
    return out, wall, log


def results(out):
    rows = {}
    for p in json.load(open(os.path.join(out, "study.json")))["points"]:
        r = json.load(open(os.path.join(out, "results", p["identity"], "result.json")))
        key = tuple(sorted((k, str(v)) for k, v in p["axes"].items()))
        rows[key] = {"name": p["name"], "status": r["status"], "steps": r["steps"],
                     "test": r.get("test", {}).get("accuracy"), "val": r["best"].get("accuracy"),
                     "axes": p["axes"]}
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("hpsgen")
    ap.add_argument("work")
    ap.add_argument("--jobs", type=int, default=os.cpu_count())
    a = ap.parse_args()
    hpsgen = os.path.abspath(a.hpsgen)
    os.makedirs(a.work, exist_ok=True)
    full, full_wall, _ = study(hpsgen, a.work, "full", SPEC, a.jobs)
    halv, halv_wall, log = study(hpsgen, a.work, "halving", SPEC + HALVING, a.jobs)
    f, h = results(full), results(halv)
    ranked = sorted(f.values(), key=lambda r: -r["test"])
    print("\nthe full grid by test accuracy:")
    for i, r in enumerate(ranked):
        print(f"  {i + 1:2d}  {r['name']:9s} {r['axes']}  test {r['test']:.4f}  val {r['val']:.4f}")
    state = json.load(open(os.path.join(halv, "halving.json")))
    for g in state["rungs"]:
        print(f"rung at {g['steps']} steps: " + ", ".join(f"{p['name']} {p['value']:.4f}" + ("*" if p["promoted"] else "")
                                                        for p in g["points"] if p["value"] is not None))
    winner = state["rungs"][-1]["points"][0]["name"]
    key = next(k for k, r in h.items() if r["name"] == winner)
    rank = 1 + ranked.index(f[key])
    full_steps = sum(r["steps"] for r in f.values())
    halv_steps = sum(r["steps"] for r in h.values())
    print(f"\nhalving's winner: {winner} {h[key]['axes']}: test accuracy {h[key]['test']:.4f}, "
          f"rank {rank} of {len(ranked)} in the full grid (best: {ranked[0]['test']:.4f})")
    print(f"steps trained: full grid {full_steps:,}, halving {halv_steps:,} "
          f"({100.0 * halv_steps / full_steps:.1f} %)")
    print(f"wall time with {a.jobs} jobs: full grid {full_wall:.0f} s, halving {halv_wall:.0f} s "
          f"({100.0 * halv_wall / full_wall:.1f} %)")


if __name__ == "__main__":
    main()
