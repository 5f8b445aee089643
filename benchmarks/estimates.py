#!/usr/bin/python3
"""hpsgen's memory and time estimates against measured peak RSS and wall time, on points of
the CyPLAM grid (examples/cyplam.hps), one thread each, one after another.

    /usr/bin/python3 benchmarks/estimates.py build/release/generator/hpsgen /tmp/estimates \\
        [--points model-000,model-050,model-108,model-150,model-191] [--steps 100] \\
        [--validation 16000]

The CyPLAM frames are not public: the script writes stand-in files of the published
training set's size (44,505 frames of 28 x 28 x 1, 2 targets) and a validation set of
--validation frames (the published 162,216 would make each evaluation minutes long), then a
copy of the spec training --steps steps with one checkpoint on 1 cpu. It builds the points'
trainers (hpsgen run --build-only), calibrates them (hpsgen submit --dry-run, which runs each
built trainer with --calibrate), and reads:
  - the memory estimate: `hpsgen check --cost`'s memory column (the runtime's buffers + the
    data + the measured fixed overhead);
  - the time estimate: the calibration (build/calibration.tsv) put through the documented
    rule (docs/slurm.md): steps x step time + evaluated batches x an evaluation batch's time
    (--steps steps, one validation pass, no test set), which `check --cost` shows rounded;
then runs each point's trainer under /usr/bin/time -v (wall time, maximum resident set
size) and prints one row per point with both ratios. Goals (issue: right-sized Slurm
tasks): memory within 10 %, time within 25 %.
"""

import argparse
import math
import os
import re
import subprocess
import sys

import numpy as np

from bench_common import sh as run_setup

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRAIN_FRAMES = 44505


def write_data(folder, validation):
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(1)
    for name, n in (("train", TRAIN_FRAMES), ("validation", validation)):
        path = os.path.join(folder, name + ".npz")
        if os.path.exists(path):
            continue
        x = rng.random((n, 28, 28, 1), dtype=np.float32)
        y = (0.5 + rng.random((n, 2))).astype(np.float32)
        np.savez(path, x=x, y=y)


def spec_text(steps):
    text = open(os.path.join(ROOT, "examples", "cyplam.hps")).read()
    text = re.sub(r"\n  steps \d+\n", f"\n  steps {steps}\n", text)
    text = re.sub(r"\n  checkpoints \d+\n", "\n  checkpoints 1\n", text)
    text = re.sub(r"\n  cpus \d+\n", "\n  cpus 1\n", text)
    text = re.sub(r'\n  mem "[^"]*"\n', "\n", text)
    text = re.sub(r'\n  time "[^"]*"\n', "\n", text)
    return text


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("hpsgen")
    ap.add_argument("work")
    ap.add_argument("--points", default="model-000,model-050,model-108,model-150,model-191")
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--validation", type=int, default=16000)
    a = ap.parse_args()
    hpsgen, work = os.path.abspath(a.hpsgen), os.path.abspath(a.work)
    points = a.points.split(",")
    write_data(os.path.join(work, "data", "cyplam"), a.validation)
    with open(os.path.join(work, "cyplam.hps"), "w") as f:
        f.write(spec_text(a.steps))
    out = os.path.join(work, "out")
    run_setup([hpsgen, "generate", os.path.join(work, "cyplam.hps"), "-o", out], "estimates")
    run_setup([hpsgen, "run", out, "--points", a.points, "--build-only"], "estimates")
    run_setup([hpsgen, "submit", out, "--dry-run", "--no-build", "--points", a.points], "estimates")  # calibrates the built trainers
    cost = run_setup([hpsgen, "check", "--cost", os.path.join(work, "cyplam.hps"), "--calibration", out], "estimates")
    memory = {m.group(1): float(m.group(2)) for m in re.finditer(r"^(model-\d+)\s+\d+\s+([\d.]+) MiB", cost, re.M)}
    grid = {}
    with open(os.path.join(out, "grid.tsv")) as f:
        header = f.readline().rstrip("\n").split("\t")
        for line in f:
            row = dict(zip(header, line.rstrip("\n").split("\t")))
            grid[row["name"]] = row
    calib = {}
    with open(os.path.join(out, "build", "calibration.tsv")) as f:
        head = f.readline().rstrip("\n").split("\t")
        for line in f:
            row = dict(zip(head, line.rstrip("\n").split("\t")))
            calib[row[head[0]]] = row
    batches = math.ceil(a.validation / 128)
    print(f"{'point':10} {'params':>9} {'memory est.':>12} {'peak RSS':>10} {'ratio':>6} "
          f"{'time est.':>10} {'wall':>8} {'ratio':>6}")
    worst_mem = worst_time = 0.0
    for p in points:
        trainer = grid[p]["trainer"]
        c = calib[trainer]
        estimate = a.steps * float(c["step_s"]) + batches * float(c["eval_batch_s"])
        run = subprocess.run(["/usr/bin/time", "-v", os.path.join("build", "bin", trainer), "--settings",
                              f"settings/{p}.json", "--threads", "1", "--quiet", "--fresh"],
                             cwd=out, capture_output=True, text=True)
        if run.returncode != 0:
            sys.exit(f"estimates: {p} failed:\n{run.stdout}{run.stderr}")
        rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", run.stderr).group(1)) / 1024
        wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)", run.stderr)
        seconds = int(wall.group(1) or 0) * 3600 + int(wall.group(2)) * 60 + float(wall.group(3))
        params = grid[p].get("params", "")
        worst_mem = max(worst_mem, abs(memory[p] / rss - 1))
        worst_time = max(worst_time, abs(estimate / seconds - 1))
        print(f"{p:10} {params:>9} {memory[p]:>8.1f} MiB {rss:>6.1f} MiB {memory[p] / rss:>6.2f} "
              f"{estimate:>8.1f} s {seconds:>6.1f} s {estimate / seconds:>6.2f}", flush=True)
    print(f"largest error: memory {100 * worst_mem:.1f} % (goal 10 %), time {100 * worst_time:.1f} % (goal 25 %)")
    print(f"steps {a.steps}, one validation pass of {a.validation} frames ({batches} batches), 1 thread; "
          f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} at the end")


if __name__ == "__main__":
    main()
