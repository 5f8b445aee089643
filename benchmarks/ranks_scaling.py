#!/usr/bin/python3
"""Data-parallel scaling (`ranks`, docs/design.md section 22): one point's training as 1, 2,
... MPI ranks of one thread each, with the time each step spends exchanging gradients.

    /usr/bin/python3 benchmarks/ranks_scaling.py build/release/generator/hpsgen /tmp/ranks_bench \\
        [--ranks 1,2] [--steps 60] [--repeats 3] [--studies printability,cyplam] [--exchange overlap,blocking]

Studies: the printability example's 3-D CNN (examples/printability.hps, model-0: 32^3
voxels, batch 16; data from examples/data/make_printability.py, 512 + 64 samples) and
CyPLAM's Model-108 (examples/cyplam.hps, 28 x 28 frames, batch 128; stand-in data of 4096 +
256 frames, as benchmarks/estimates.py). For each rank count R the spec is generated with
`ranks R` in its slurm block (1 thread per rank) and the point's trainer built (Release,
-march=native). A step's time is the difference of a run of --steps and a run of 10 steps
(start-up, MPI's start, data loading, the one evaluation and the writes cancel out),
divided by the difference of steps; the median over --repeats; "CPU ms/step" the same
difference of the CPU time of the runs' processes (every rank's, from getrusage of the
children), which a loaded machine changes less than the wall time. Above one rank, each of
the trainer's --exchange modes (overlapped with the backward pass, or blocking after it) in
turn within each repeat, so that a change of the machine's load falls on both alike.
"exchange" and "waiting" are what the trainer reports at its end, per step: the gradient
exchange (hps/train/ranks.hpp: MPI_Alltoallv, the sums, MPI_Allgatherv, and the loss's
allgather; overlapped: every MPI call of the exchange, during the backward pass and after
it) and, blocking, the barrier before it where a rank waits for the slower one; overlapped,
the part of the exchange after the backward pass (waiting for the slower rank included).
Then the exchange alone (benchmarks/ranks_exchange.cpp, built with mpicxx): each rank count
above 1 averaging the points' gradient sizes 60 times, computing nothing else (median and
minimum). R > 1 runs under the launcher that hpsgen run uses (`hpsgen run --print-launcher R`).
"""
import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import time

import numpy as np

from bench_common import sh as run_setup

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FEW = 10


def cyplam_data(folder):
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(1)
    for name, n in (("train", 4096), ("validation", 256)):
        path = os.path.join(folder, name + ".npz")
        if not os.path.exists(path):
            np.savez(path, x=rng.random((n, 28, 28, 1), dtype=np.float32),
                     y=(0.5 + rng.random((n, 2))).astype(np.float32))


def printability_data(folder):
    if not os.path.exists(os.path.join(folder, "train.npz")):
        run_setup([sys.executable, os.path.join(ROOT, "examples", "data", "make_printability.py"), folder,
                   "--train", "512", "--validation", "64"], "ranks_scaling")


STUDIES = {  # name: (spec, point, batch, data folder under work/data, data writer)
    "printability": ("printability.hps", "model-0", 16, "printability", printability_data),
    "cyplam": ("cyplam.hps", "model-108", 128, "cyplam", cyplam_data),
}


def spec_text(spec, ranks):
    text = open(os.path.join(ROOT, "examples", spec)).read()
    text = re.sub(r"\n  checkpoints \d+\n", "\n  checkpoints 1\n", text)
    text = re.sub(r"\n  cpus \d+\n", "\n  cpus 1\n" + (f"  ranks {ranks}\n" if ranks > 1 else ""), text)
    text = re.sub(r'\n  mem "[^"]*"\n', "\n", text)
    return re.sub(r'\n  time "[^"]*"\n', "\n", text)


def timed(cmd, cwd):
    """(wall seconds, CPU seconds of the process and its children: mpirun's ranks too, output)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=dict(os.environ, OMP_NUM_THREADS="1"))
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        sys.exit(f"ranks_scaling: {' '.join(cmd)} failed ({r.returncode}):\n{r.stdout}{r.stderr}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, r.stdout + r.stderr


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("hpsgen")
    ap.add_argument("work")
    ap.add_argument("--ranks", default="1,2")
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--studies", default="printability,cyplam")
    ap.add_argument("--exchange", default="overlap,blocking",
                    help="the trainers' --exchange modes to time above 1 rank, alternated within each repeat")
    a = ap.parse_args()
    hpsgen, work = os.path.abspath(a.hpsgen), os.path.abspath(a.work)
    ranks = [int(r) for r in a.ranks.split(",")]
    def mpirun(n):  # as hpsgen run starts a point of `ranks n`
        return run_setup([hpsgen, "run", "--print-launcher", str(n)], "ranks_scaling").splitlines()

    print(f"{'study':13} {'point':10} {'ranks':>5} {'exchange':>8} {'batch/rank':>10} {'ms/step':>8} {'speed-up':>8} "
          f"{'CPU ms/step':>11} {'exchange ms/step':>16} {'exchange %':>10} {'waiting ms/step':>15}", flush=True)
    sizes = []  # each point's parameter count: the exchange's size
    for name in a.studies.split(","):
        spec, point, batch, data, writer = STUDIES[name]
        writer(os.path.join(work, "data", data))
        base = None
        for R in ranks:
            study = os.path.join(work, f"{name}-r{R}")
            spec_path = os.path.join(work, f"{name}-r{R}.hps")
            with open(spec_path, "w") as f:
                f.write(spec_text(spec, R))
            run_setup([hpsgen, "generate", spec_path, "-o", study], "ranks_scaling")
            run_setup([hpsgen, "run", study, "--points", point, "--build-only"], "ranks_scaling")
            trainer = None
            with open(os.path.join(study, "grid.tsv")) as f:
                header = f.readline().rstrip("\n").split("\t")
                for line in f:
                    row = dict(zip(header, line.rstrip("\n").split("\t")))
                    if row["name"] == point:
                        trainer, params = row["trainer"], row["params"]
            sizes.append(params)
            launch = (mpirun(R) if R > 1 else []) + [os.path.join("build", "bin", trainer)]
            args = ["--settings", f"settings/{point}.json", "--threads", "1", "--quiet", "--checkpoints", "1"]
            modes = a.exchange.split(",") if R > 1 else [""]
            per_step, cpu_step, exchange, waiting = ({m: [] for m in modes} for _ in range(4))
            for r in range(a.repeats):
                for m in modes:  # alternated: a change of the machine's load falls on every mode alike
                    mode = ["--exchange", m] if m else []
                    w0, c0, _ = timed(launch + args + mode + ["--run-dir", f"runs/few{r}{m}", "--steps", str(FEW),
                                                             "--fresh"], study)
                    w1, c1, out = timed(launch + args + mode + ["--run-dir", f"runs/all{r}{m}", "--steps",
                                                               str(a.steps), "--fresh"], study)
                    per_step[m].append((w1 - w0) / (a.steps - FEW))
                    cpu_step[m].append((c1 - c0) / (a.steps - FEW))
                    e = re.search(r"([\d.]+) ms per step exchanging gradients", out)
                    w = re.search(r"([\d.]+) ms (?:waiting|after it)", out)
                    exchange[m].append(float(e.group(1)) / 1e3 if e else 0.0)
                    waiting[m].append(float(w.group(1)) / 1e3 if w else 0.0)
            for m in modes:
                step, cpu = statistics.median(per_step[m]), statistics.median(cpu_step[m])
                ex, wait = statistics.median(exchange[m]), statistics.median(waiting[m])
                base = base or step
                print(f"{name:13} {point:10} {R:>5} {m or '-':>8} {batch // R:>10} {1e3 * step:>8.1f} "
                      f"{base / step:>8.2f} {1e3 * cpu:>11.1f} {1e3 * ex:>16.2f} {100 * ex / step:>9.1f}% "
                      f"{1e3 * wait:>15.1f}", flush=True)
    exchange = os.path.join(work, "ranks_exchange")
    run_setup(["mpicxx", "-O2", "-std=c++20", "-DHPS_MPI", "-I" + os.path.join(ROOT, "runtime"),
               os.path.join(ROOT, "benchmarks", "ranks_exchange.cpp"), "-o", exchange], "ranks_scaling")
    for R in ranks:
        if R > 1:
            print(timed(mpirun(R) + [exchange] + sorted(set(sizes), key=int), work)[2].strip(), flush=True)
    with open("/proc/loadavg") as f:
        print(f"--steps {a.steps}, median of {a.repeats}; load average {' '.join(f.read().split()[:3])} at the end; "
              f"{os.cpu_count()} cpus")


if __name__ == "__main__":
    main()
