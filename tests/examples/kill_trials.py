#!/usr/bin/env python3
"""SIGKILL trials: a trainer killed without warning (kill -9, as the OOM killer or a node
failure does) at random moments, restarted after each kill, must resume from its last
periodic save (--checkpoint-every) and end bit-identical to an uninterrupted run.

Used by e2e_test.py (a few trials on the tiny study's trainer), and run by hand for the
docs/performance.md's figure (20 trials on the demo's network):

    python3 tests/examples/kill_trials.py --study examples/fashion-study --point model-0 \\
        --steps 3000 --every 2 --trials 20 [--threads 1] [--seed 1]

run from anywhere; --study is a generated and built study folder (hpsgen generate, then
hpsgen run --steps 1 or a build). It trains the point into runs/kill-reference (no periodic
saves) and runs/kill-trials (saves every --every seconds), kills the second at random
moments (uniform in [2, 5] intervals after each start, seeded), and prints per trial the
step it resumed at and the training time lost: from the last "saved" line before the kill
to the kill.
"""
import argparse
import csv
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

import numpy as np


def start(cmd, cwd):
    """Starts cmd with a thread that timestamps its stdout lines: (process, lines), lines a
    list of (seconds since the start, text) that grows while it runs."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []

    def read():
        for line in p.stdout:
            lines.append((time.monotonic() - t0, line.rstrip("\n")))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    p.reader = reader
    return p, lines


SAVED = re.compile(r"step (\d+)/\d+: saved ")
RESUMING = re.compile(r"resuming at step (\d+) ")


def trials(cmd, cwd, run_dir, every, count, seed, timeout=600):
    """Runs cmd (a trainer's command line without --run-dir and --checkpoint-every) into
    run_dir, killing it `count` times. Returns (a list of one dict per kill: delay, saved
    (the last step its output said was saved before the kill), resumed (the step
    the next start resumed at, 0: from the start), lost_s (seconds from that saved line to
    the kill, None without one)), the final run's output). Without a save before its kill,
    `saved` is the step that start resumed at: what resume.bin held."""
    shutil.rmtree(os.path.join(cwd, run_dir), ignore_errors=True)
    full = [*cmd, "--run-dir", run_dir, "--checkpoint-every", str(every)]
    rng = random.Random(seed)
    out, pending = [], None
    for _ in range(count):
        delay = rng.uniform(2 * every, 5 * every)
        p, lines = start(full, cwd)
        time.sleep(delay)
        if p.poll() is not None:
            raise RuntimeError(f"the trainer ended before its kill at {delay:.2f} s; give it more steps")
        p.send_signal(signal.SIGKILL)
        t_kill = delay
        p.wait()
        p.reader.join()
        if pending is not None:
            pending["resumed"] = resumed_at(lines)
        saved = [(t, int(m.group(1))) for t, line in lines if (m := SAVED.search(line))]
        # what resume.bin held at the kill: this start's last save, else what it resumed from
        pending = {"delay": delay, "saved": saved[-1][1] if saved else resumed_at(lines),
                   "lost_s": max(0.0, t_kill - saved[-1][0]) if saved else None}
        out.append(pending)
    p, lines = start(full, cwd)
    p.wait(timeout=timeout)
    p.reader.join()
    if p.returncode != 0:
        raise RuntimeError("the last start did not finish: " + "\n".join(line for _, line in lines[-20:]))
    if pending is not None:
        pending["resumed"] = resumed_at(lines)
    return out, "\n".join(line for _, line in lines)


def resumed_at(lines):
    for _, line in lines:
        if m := RESUMING.search(line):
            return int(m.group(1))
    return 0


def differences(study, a, b):
    """What differs between two finished run folders of one point: metrics.csv's rows (but
    elapsed_s), result.json's "best", best.npz bit for bit. [] when nothing."""
    def rows(d):
        with open(os.path.join(study, d, "metrics.csv")) as f:
            return [{k: v for k, v in r.items() if k != "elapsed_s"} for r in csv.DictReader(f)]

    found = []
    if rows(a) != rows(b):
        found.append("metrics.csv")
    if json.load(open(os.path.join(study, a, "result.json")))["best"] != \
            json.load(open(os.path.join(study, b, "result.json")))["best"]:
        found.append("result.json best")
    wa, wb = np.load(os.path.join(study, a, "best.npz")), np.load(os.path.join(study, b, "best.npz"))
    if sorted(wa.files) != sorted(wb.files) or not all(
            wa[k].tobytes() == wb[k].tobytes() for k in wa.files):
        found.append("best.npz")
    return found


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--study", required=True, help="a generated, built study folder")
    ap.add_argument("--point", default="model-0")
    ap.add_argument("--steps", type=int, required=True, help="steps of the run (long enough for every kill)")
    ap.add_argument("--every", type=float, default=2.0, help="seconds between saves (--checkpoint-every)")
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    study = os.path.abspath(a.study)
    with open(os.path.join(study, "grid.tsv")) as f:
        trainer = {r["name"]: r["trainer"] for r in csv.DictReader(f, delimiter="\t")}[a.point]
    cmd = [os.path.join(study, "build", "bin", trainer), "--settings", f"settings/{a.point}.json",
           "--steps", str(a.steps), "--threads", str(a.threads), "--progress", "1000"]
    shutil.rmtree(os.path.join(study, "runs/kill-reference"), ignore_errors=True)
    t0 = time.monotonic()
    ref = subprocess.run([*cmd, "--run-dir", "runs/kill-reference", "--checkpoint-every", "0"], cwd=study,
                         capture_output=True, text=True)
    if ref.returncode != 0:
        sys.exit("the reference run failed: " + ref.stdout + ref.stderr)
    print(f"uninterrupted run: {time.monotonic() - t0:.1f} s for {a.steps} steps")
    kills, _ = trials(cmd, study, "runs/kill-trials", a.every, a.trials, a.seed)
    worst = 0.0
    for i, k in enumerate(kills, 1):
        lost = "-" if k["lost_s"] is None else f"{k['lost_s']:.2f} s"
        print(f"trial {i:2d}: killed {k['delay']:.2f} s after its start; last save at step {k['saved']}, "
              f"resumed at step {k['resumed']}; training lost {lost}")
        if k["lost_s"] is not None:
            worst = max(worst, k["lost_s"])
    diff = differences(study, "runs/kill-reference", "runs/kill-trials")
    resumed_ok = all(k["resumed"] >= max(k["saved"], 1) for k in kills)
    print(f"{len(kills)} kills, every restart resumed from its last save: {resumed_ok}; "
          f"most training lost {worst:.2f} s (interval {a.every} s); "
          + ("bit-identical to the uninterrupted run" if not diff else "DIFFERS: " + ", ".join(diff)))
    sys.exit(0 if resumed_ok and not diff else 1)


if __name__ == "__main__":
    main()
