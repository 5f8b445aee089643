#!/usr/bin/env python3
"""Build cost and grid throughput of the CyPLAM study (examples/cyplam.hps) on this machine.

The CyPLAM frames are not public: the study is trained on synthetic data of the same
shapes (x (N, 28, 28, 1) uniform in [0, 1), y (N, 2) in [0.5, 1.5)), 44,505 training
frames as the published set, and a small validation set (2,048 frames; the published
162,216 would make the few-step runs measure evaluation, not training).

  1. generate: `hpsgen generate` of the study (the whole grid, or --subset: n1 in
     {8, 16, 32}, w1 = 5, n2 in {32, 64}, w2 = 5, n_fc in {128, 1024}: 12 points from
     the cheapest to the most expensive of the grid's 5 x 5 models);
  2. build: `hpsgen run --build-only` (cmake Release, -march=native, make -j CORES), timed:
     the shared part (training core, kernels, precompiled header) and every trainer; then
     one trainer rebuilt alone (its object removed) for the per-trainer figure;
  3. train, once per packing (-j J --threads T, e.g. "2x1,1x2"): every point for --steps S
     with --checkpoints 1, from scratch, timed; reports models per hour, and the training
     speed (steps per second per trainer, from each trainer's own wall time in
     result.json less its fixed cost, measured by a 1-step run first), which extrapolates
     to the published 400,000 steps.

usage: benchmarks/grid_throughput.py --hpsgen build/generator/hpsgen [--subset]
           [--steps 300] [--packings 2x1,1x2] [--work /tmp/hps-grid] [--skip-build]
"""
import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SPEC = os.path.join(HERE, "..", "examples", "cyplam.hps")


def make_data(work, n_train=44505, n_val=2048):
    import numpy as np
    d = os.path.join(work, "data", "cyplam")
    os.makedirs(d, exist_ok=True)
    rng = np.random.default_rng(1)
    for name, n in (("train", n_train), ("validation", n_val)):
        path = os.path.join(d, f"{name}.npz")
        if os.path.exists(path):
            continue
        x = rng.random((n, 28, 28, 1), dtype=np.float32)
        y = rng.random((n, 2), dtype=np.float32) + 0.5
        np.savez(path, x=x, y=y)


def write_spec(work, subset):
    text = open(SPEC).read()
    if subset:
        subs = [("conv2d filters {8, 16, 32} kernel {3, 5}", "conv2d filters {8, 16, 32} kernel 5"),
                ("conv2d filters {32, 64} kernel {3, 5}", "conv2d filters {32, 64} kernel 5"),
                ("dense units 128..1024 step 128", "dense units {128, 1024}")]
        for a, b in subs:
            if a not in text:
                sys.exit(f"grid_throughput: examples/cyplam.hps no longer has '{a}'; update the subset")
            text = text.replace(a, b)
        text = text.replace('study cyplam "', 'study cyplam_subset "')
    path = os.path.join(work, "cyplam_subset.hps" if subset else "cyplam.hps")
    with open(path, "w") as f:
        f.write(text)
    return path


def cpu_of_children():
    u = resource.getrusage(resource.RUSAGE_CHILDREN)
    return u.ru_utime + u.ru_stime


def run(cmd, **kw):
    """Runs cmd; returns (wall seconds, CPU seconds of it and its children, stdout)."""
    t, c = time.perf_counter(), cpu_of_children()
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        sys.exit(f"grid_throughput: {' '.join(cmd)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    return time.perf_counter() - t, cpu_of_children() - c, r.stdout


def load():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hpsgen", default="build/generator/hpsgen")
    ap.add_argument("--work", default="/tmp/hps-grid")
    ap.add_argument("--subset", action="store_true", help="12 points instead of 192")
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--packings", default="2x1,1x2", help="JOBSxTHREADS,... (e.g. 2x1,1x2)")
    ap.add_argument("--skip-build", action="store_true", help="reuse the trainers already built in --work")
    ap.add_argument("--no-train", action="store_true", help="generate and build only")
    args = ap.parse_args()
    hpsgen = os.path.abspath(args.hpsgen)
    os.makedirs(args.work, exist_ok=True)
    cores = os.cpu_count()

    make_data(args.work)
    spec = write_spec(args.work, args.subset)
    study = os.path.join(args.work, "study_subset" if args.subset else "study")
    print(f"machine: {cores} cores, load average {load()}")
    t_gen, _, _ = run([hpsgen, "generate", spec, "-o", study])
    grid = [l.split("\t") for l in open(os.path.join(study, "grid.tsv")).read().splitlines()]
    points = len(grid) - 1
    print(f"generate: {points} trainers in {t_gen:.1f} s")

    if not args.skip_build:
        # wall times depend on what else runs on the machine; CPU times (compilers' user +
        # system time) much less: both are given
        shutil.rmtree(os.path.join(study, "build"), ignore_errors=True)
        l0 = load()
        t_cfg, c_cfg, _ = run(["cmake", "-S", study, "-B", os.path.join(study, "build"), "-DCMAKE_BUILD_TYPE=Release"])
        # the shared part first, timed apart (hpsgen run would build everything at once)
        t_shared, c_shared, _ = run(["cmake", "--build", os.path.join(study, "build"), "--target", "hps_shared",
                                     "-j", str(cores)])
        t_all, c_all, _ = run([hpsgen, "run", study, "--build-only"])
        total = t_cfg + t_shared + t_all
        print(f"build (-j {cores}; load {l0} -> {load()}):")
        print(f"   configure {t_cfg:.1f} s; shared part (training core, kernels, precompiled header) {t_shared:.1f} s wall, "
              f"{c_shared:.1f} s CPU")
        print(f"   {points} trainers: {t_all:.1f} s wall, {c_all:.1f} s CPU = {c_all / points:.1f} s CPU per trainer")
        print(f"   total {total / 60:.1f} min wall; on {cores} idle cores it would take about "
              f"{(c_cfg + c_shared + c_all / cores) / 60:.1f} min")
        one = grid[1][grid[0].index("trainer")]  # the first point's trainer (net-SIG)
        obj = os.path.join(study, "build", "CMakeFiles", f"{one}.dir", "trainers", one, "main.cpp.o")
        os.remove(obj)
        t_one, c_one, _ = run(["cmake", "--build", os.path.join(study, "build"), "--target", one])
        print(f"   one trainer ({one}) rebuilt alone: {t_one:.1f} s wall, {c_one:.1f} s CPU")
    if args.no_train:
        return

    def train(jobs, threads, steps):
        """Trains every point from scratch; returns the wall time and each point's own wall time."""
        shutil.rmtree(os.path.join(study, "runs"), ignore_errors=True)
        wall, _, _ = run([hpsgen, "run", study, "--no-build", "--steps", str(steps), "--checkpoints", "1",
                          "-j", str(jobs), "--threads", str(threads)])
        own = {row[1]: json.load(open(os.path.join(study, "runs", row[1], "result.json")))["wall_seconds"]
               for row in grid[1:]}
        return wall, own

    # a point's fixed cost (loading the data, one evaluation, writing results): 1 step
    _, fixed = train(cores, 1, 1)
    results = {}
    for packing in args.packings.split(","):
        jobs, threads = (int(v) for v in packing.split("x"))
        l0 = load()
        wall, own = train(jobs, threads, args.steps)
        rate = 3600.0 * points / wall
        # seconds per training step of each point, its fixed cost taken out
        per_step = {p: max(own[p] - fixed[p], 1e-9) / (args.steps - 1) for p in own}
        results[packing] = {"wall": wall, "models_per_hour": rate}
        print(f"train -j {jobs} --threads {threads}: {points} models x {args.steps} steps in {wall:.1f} s "
              f"= {rate:.0f} models/hour (load {l0} -> {load()})")
        print(f"   a trainer's training speed: {min(1 / v for v in per_step.values()):.1f} to "
              f"{max(1 / v for v in per_step.values()):.1f} steps/s (fixed cost per point, 1-step run: "
              f"{sum(fixed.values()) / len(fixed):.1f} s)")
        # the published training: 400,000 steps per model, `jobs` trainers side by side
        full_hours = sum(v * 400000 for v in per_step.values()) / jobs / 3600
        print(f"   extrapolated to 400,000 steps per model (training only, no validation): "
              f"{full_hours:.1f} h for these {points} models = {points / full_hours:.2f} models/hour")
    best = max(results, key=lambda k: results[k]["models_per_hour"])
    print(f"best packing: -j {best.split('x')[0]} --threads {best.split('x')[1]}")


if __name__ == "__main__":
    main()
