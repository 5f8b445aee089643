#!/usr/bin/env python3
"""`folds K` (k-fold cross-validation) end to end: a tiny study with `folds 3` and a
learning-rate axis of two values (two configurations, six runs, one trainer to build) is
generated, built at -O1 and trained a few steps.

Checks, each an assertion that can fail:
  - grid.tsv: the axis train.fold, 0..2 in each configuration; each run's settings file
    says its fold of 3, and the runs' identities differ (each fold is its own result);
  - the fold assignment, reproduced here from the documented rule (docs/data.md: the
    split's shuffle, xoshiro256** seeded through splitmix64 and Fisher-Yates from the end,
    cut into K contiguous parts k*n/K..(k+1)*n/K), gives three validation sets that are
    disjoint and cover train; each run's train.log reports that fold's sizes, and its
    normalization.npz (the statistics of the training part the trainer used) equals numpy's
    over the samples outside that fold and differs from those of the other folds;
  - report.csv: one row per configuration whose mean and sd (ddof 1) of every metric, test
    metrics included, are numpy's over the runs' result.json, ranked by the mean of the
    selection metric; report-runs.csv has the six runs; the JSON's configurations list each
    run with its fold; hpsgen status counts six runs of two configurations.
"""
import csv
import json
import os
import pathlib
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_test import grid as grid_rows, make_data, quick_build  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from script_checks import args_with_work, run, check  # noqa: E402 (tests/support)
from runtime_split import folds_of  # noqa: E402 (the documented fold rule, independent of the runtime)

K, N, FOLD_SEED = 3, 100, 4

SPEC = f"""study folds "3-fold cross-validation"

data {{
  train "data/train.npz"
  test "data/test.npz"
  input 8 x 8 x 1
  target classes 3
  normalize inputs
}}

network {{
  dense units 12 activation relu
  dense units 3
}}

train {{
  optimizer adam lr {{0.01, 0.0003}}
  loss softmax_ce
  batch 16
  steps 60
  checkpoints 3
  folds {K} seed {FOLD_SEED}
}}

metrics {{
  accuracy
  select max accuracy
}}
"""

def main():
    a = args_with_work("--hpsgen")
    hpsgen, work = os.path.abspath(a.hpsgen), os.path.abspath(a.work)
    os.makedirs(os.path.join(work, "data"))
    sets = {name: make_data(work, n, seed) for name, n, seed in (("train", N, 1), ("test", 60, 2))}
    for name, (xs, ys) in sets.items():
        np.savez(os.path.join(work, "data", name + ".npz"), x=xs, y=ys)
    x = sets["train"][0]
    pathlib.Path(work, "folds.hps").write_text(SPEC)

    r = run([hpsgen, "generate", "folds.hps", "-o", "out"], cwd=work)
    check(r.returncode == 0, "generate: " + r.stdout + r.stderr)
    study = os.path.join(work, "out")
    grid = list(grid_rows(study).values())  # in grid order
    check([g["train.fold"] for g in grid] == ["0", "1", "2"] * 2 and len({g["identity"] for g in grid}) == 6
          and len({g["trainer"] for g in grid}) == 1,
          f"grid.tsv: 2 configurations x folds 0..2, six identities, one trainer: {grid}")
    for g in grid:
        data = json.load(open(os.path.join(study, "settings", g["name"] + ".json")))["data"]
        check(data["folds"] == K and data["fold"] == int(g["train.fold"]) and data["split_seed"] == FOLD_SEED
              and data["validation"] == "" and data["split"] == 0, f"{g['name']}: its settings' fold: {data}")

    quick_build(study)
    r = run([hpsgen, "run", study], cwd=work, timeout=900)
    check(r.returncode == 0, "hpsgen run: " + r.stdout[-2000:] + r.stderr[-2000:])

    r = run([hpsgen, "status", study], cwd=work)
    check(r.returncode == 0 and r.stdout.startswith("study folds, 6 points (runs of 2 configurations, by train.fold): "
                                                    "6 done"), "hpsgen status counts the runs: " + r.stdout[:300])

    folds = folds_of(N, K, FOLD_SEED)
    together = sorted(i for f in folds for i in f)
    check(together == list(range(N)) and [len(f) for f in folds] == [33, 33, 34],
          f"the rule's {K} validation sets are disjoint, cover the {N} samples and differ by one at most in size")
    flat = x.reshape(N, -1).astype(np.float64)
    stats = []
    for f in folds:
        part = np.setdiff1d(np.arange(N), f)
        stats.append((flat[part].mean(axis=0), flat[part].std(axis=0)))
    results = {}
    for g in grid:
        k, run_dir = int(g["train.fold"]), os.path.join(study, "runs", g["name"])
        log = open(os.path.join(run_dir, "train.log")).read()
        sizes = f"data: {N - len(folds[k])} training, {len(folds[k])} validation, 60 test samples"
        check(sizes in log, f"{g['name']} (fold {k}): train.log says '{sizes}'")
        norm = np.load(os.path.join(run_dir, "normalization.npz"))
        mean, std = norm["input_mean"].reshape(-1), norm["input_std"].reshape(-1)
        close = [np.allclose(mean, m, rtol=0, atol=1e-5) and np.allclose(std, s, rtol=1e-5, atol=1e-6) for m, s in stats]
        check(close.count(True) == 1 and close[k],
              f"{g['name']}: its training part's statistics are numpy's over the samples outside fold {k}, "
              f"and no other fold's ({close})")
        results[g["name"]] = json.load(open(os.path.join(run_dir, "result.json")))
        check(results[g["name"]]["status"] == "done" and "accuracy" in results[g["name"]]["test"],
              f"{g['name']}: done, with its test metrics")

    r = run([hpsgen, "report", study, "--format", "json"], cwd=work)
    check(r.returncode == 0, "hpsgen report: " + r.stderr[-2000:])
    doc = json.loads(r.stdout)
    with open(os.path.join(study, "report.csv")) as f:
        rows = list(csv.DictReader(f))
    check(len(rows) == 2 and rows[0]["folds"] and "train.lr" in rows[0], f"report.csv: two configurations: {rows}")
    means = []
    for row in rows:
        runs = [g["name"] for g in grid if g["train.lr"] == row["train.lr"]]
        for key, metric in (("best", "accuracy"), ("best", "loss"), ("test", "accuracy"), ("test", "loss")):
            v = np.array([results[n][key][metric] for n in runs], dtype=float)
            col = ("test_" if key == "test" else "") + metric
            check(np.isclose(float(row[col + "_mean"]), v.mean(), rtol=1e-12, atol=1e-12)
                  and np.isclose(float(row[col + "_sd"]), v.std(ddof=1), rtol=1e-9, atol=1e-12),
                  f"lr {row['train.lr']}: {col} mean and sd are numpy's over its 3 folds ({v})")
        check(row["runs"] == "3" and row["of"] == "3" and sorted(row["folds"].split()) == ["0", "1", "2"],
              f"lr {row['train.lr']}: its runs are folds 0, 1, 2")
        means.append(np.mean([results[n]["best"]["accuracy"] for n in runs]))
    check(means[0] >= means[1] and rows[0]["rank"] == "1",
          f"report.csv ranks the configurations by the mean validation accuracy ({means})")
    best_run = max(results, key=lambda n: results[n]["best"]["accuracy"])
    best_lr = next(g["train.lr"] for g in grid if g["name"] == best_run)
    print(f"the best single run: {best_run} (lr {best_lr}); the best mean: lr {rows[0]['train.lr']}")
    with open(os.path.join(study, "report-runs.csv")) as f:
        check(len(list(csv.DictReader(f))) == 6, "report-runs.csv: the six runs")
    conf = doc["configurations"]
    check(doc["run_axes"] == ["train.fold"] and [sorted(r["fold"] for r in c["runs"]) for c in conf] == [[0, 1, 2]] * 2
          and "train.fold" not in conf[0]["axes"] and conf[0]["metrics"]["accuracy"]["n"] == 3,
          f"the JSON: configurations with their runs' folds: {conf}")


if __name__ == "__main__":
    main()
