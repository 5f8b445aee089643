#!/usr/bin/env python3
"""The sequence examples end to end: examples/peakfinder.hps, its GRU variant
examples/peakfinder_gru.hps and examples/clustercount.hps.

For the example named by --example, each check an assertion that can fail:
  - its data generator (examples/data/make_<example>.py --small) writes a file of the
    documented shapes;
  - `hpsgen check` accepts the example as published (its whole grid) and `hpsgen generate`
    gives every point the parameter count computed here from the layer formulas (the
    generated trainers also static_assert it against the runtime's count);
  - a one-point version of the spec (each set pinned to one value) is built and trained
    for a few steps with `hpsgen run --steps`: status done, the metrics in result.json are
    present and sane (probabilities in [0, 1], eff_pur = precision x recall, rmse >= mae,
    the stated decision threshold), the model learns (better than chance / than
    predicting the mean), and the exported best.npz loads into model.py's torch model,
    whose predictions agree with the trainer's own validation figures;
  - the point exported (tests/support/export_checks.py): the C++ library's example, built
    through find_package in a fresh project, and the ONNX model (onnx's checker, OpenCV's
    dnn module) reproduce torch's outputs on the validation part within 1e-5 relative, and
    the library's outputs give the trainer's validation loss and figures (loss within 1e-5
    relative; roc_auc, mae, rmse).
  The one-point specs pin the peak finders' dense activation to another value of the grid
  each (selu for the LSTM, sigmoid for the GRU), so that the exports cover them.
"""
import argparse
import csv
import json
import os
import re
import shutil
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from script_checks import run, check  # noqa: E402 (tests/support)
from export_checks import check_exported  # noqa: E402
from runtime_split import split_validation  # noqa: E402 (the runtime's split, written again)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def pin_sets(spec, prefer):
    """Each {a, b, ...} in the spec becomes one of its values: `prefer` if it is one, else a."""
    def one(m):
        values = [v.strip() for v in m.group(1).split(",")]
        return next((v for v in values if v in prefer), values[0])
    return re.sub(r"\{([^{}\n]*,[^{}\n]*)\}", one, spec)


def roc_auc(scores, labels):
    """Mann-Whitney: the probability that a positive scores above a negative (ties: half)."""
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    s = scores[order]
    i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and s[j + 1] == s[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    pos = labels == 1
    n_pos, n_neg = pos.sum(), (~pos).sum()
    return (ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def peakfinder_params(units, gates=4):
    # torch's count for an LSTM (4 gates) or a GRU (3): W_ih (G U, 1), W_hh (G U, U), b_ih, b_hh
    return gates * units * (1 + units) + 2 * gates * units + (units * 128 + 128) + (128 + 1)


def clustercount_params(f1, k2):
    # conv1d 5 on 1 channel, conv1d k2 on f1 -> 32, conv1d 3 32 -> 32, dense 32 -> 64, dense 64 -> 1
    return (5 * 1 * f1 + f1) + (k2 * f1 * 32 + 32) + (3 * 32 * 32 + 32) + (32 * 64 + 64) + (64 + 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hpsgen", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--example", required=True, choices=["peakfinder", "peakfinder_gru", "clustercount"])
    ap.add_argument("--steps", type=int, default=0)
    a = ap.parse_args()
    hpsgen = os.path.abspath(a.hpsgen)
    work = os.path.abspath(a.work)
    name = a.example
    rnn = "gru" if name == "peakfinder_gru" else "lstm"
    data_name = "peakfinder" if name == "peakfinder_gru" else name  # the GRU variant reads the same data
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(os.path.join(work, "data"))

    # --- data
    npz = os.path.join(work, "data", data_name + ".npz")
    r = run([sys.executable, os.path.join(ROOT, "examples", "data", f"make_{data_name}.py"), "--small", "--out", npz])
    check(r.returncode == 0, f"make_{data_name}.py --small runs: {r.stdout}{r.stderr}")
    with np.load(npz) as f:
        x, y = f["x"], f["y"]
    if data_name == "peakfinder":
        check(x.shape == (3000, 15, 1) and x.dtype == np.float32, f"x is (3000, 15, 1) float32: {x.shape} {x.dtype}")
        check(y.shape == (3000,) and set(np.unique(y)) == {0, 1}, "y is (3000,) of 0/1")
        share = y.mean()
        check(0.15 < share < 0.35, f"about one window in four is signal ({share:.3f})")
    else:
        check(x.shape == (1500, 1024, 1) and x.dtype == np.float32, f"x is (1500, 1024, 1) float32: {x.shape}")
        check(y.shape == (1500,) and np.all(y == np.round(y)) and y.min() >= 0, "y counts clusters")
        check(np.all(x.sum(axis=(1, 2)) >= 0.8 * y), "at least as many peaks as clusters, nearly")

    # --- the published grid: check and generate
    spec_path = os.path.join(ROOT, "examples", name + ".hps")
    r = run([hpsgen, "check", "--no-data-check", spec_path])  # the data is in work/, not beside the example
    want_points = 54 if data_name == "peakfinder" else 4
    check(r.returncode == 0 and f"grid: {want_points} points" in r.stdout,
          f"hpsgen check accepts examples/{name}.hps, {want_points} points: {r.stdout}{r.stderr}")
    spec = open(spec_path).read()
    with open(os.path.join(work, name + ".hps"), "w") as f:
        f.write(spec)
    r = run([hpsgen, "generate", name + ".hps", "-o", "full"], cwd=work)
    check(r.returncode == 0, "generate the whole grid: " + r.stderr)
    sj = json.load(open(os.path.join(work, "full", "study.json")))
    bad = []
    for p in sj["points"]:
        ax = p["axes"]
        want = (peakfinder_params(int(ax[rnn + "1.units"]), 3 if rnn == "gru" else 4) if data_name == "peakfinder"
                else clustercount_params(int(ax["conv1d1.filters"]), int(ax["conv1d2.kernel"])))
        if p["params"] != want:
            bad.append((p["name"], p["params"], want))
    check(len(sj["points"]) == want_points and not bad, f"every point's parameter count ({bad[:3]})")
    if data_name == "peakfinder":
        p37 = next(p for p in sj["points"] if p["name"] == "model-37")
        main37 = open(os.path.join(work, "full", "trainers", p37["trainer"], "main.cpp")).read()
        settings37 = json.load(open(os.path.join(work, "full", "settings", "model-37.json")))
        check(f"hps::{rnn}<128>" in main37 and settings37["pos_weight"] == 3,
              f"model-37's trainer is {rnn}<128>, its settings have pos_weight 3")

    # --- one point, built and trained a few steps
    one = pin_sets(spec, {"adam", {"peakfinder": "selu", "peakfinder_gru": "sigmoid"}.get(name, "relu")})
    check(not re.search(r"\{[^{}\n]*,", one), "the one-point spec has no sets left")
    with open(os.path.join(work, "one.hps"), "w") as f:
        f.write(one)
    r = run([hpsgen, "generate", "one.hps", "-o", "one"], cwd=work)
    check(r.returncode == 0 and "1 point on 1 trainer" in r.stdout, "generate one point: " + r.stdout + r.stderr)
    steps = a.steps or (150 if data_name == "peakfinder" else 60)
    r = run([hpsgen, "run", "one", "-j", "1", "--steps", str(steps), "--checkpoints", "3"], cwd=work, timeout=1200)
    print(r.stdout[-2000:], r.stderr[-2000:])
    check(r.returncode == 0, "hpsgen run builds and trains the point")
    run_dir = os.path.join(work, "one", "runs", "model-0")
    res = json.load(open(os.path.join(run_dir, "result.json")))
    check(res["status"] == "done" and res["steps"] == steps, f"status done after {steps} steps")
    best = res["best"]
    with open(os.path.join(run_dir, "metrics.csv")) as f:
        rows = list(csv.DictReader(f))
    train_loss = [float(row["loss"]) for row in rows if row["split"] == "train"]
    check(len(train_loss) == 3 and train_loss[-1] < train_loss[0],
          f"the training loss falls ({train_loss[0]:.4f} -> {train_loss[-1]:.4f})")

    import torch
    sys.path.insert(0, run_dir)
    import model as torch_model
    net = torch_model.load(os.path.join(run_dir, "best.npz"))
    with torch.no_grad():
        out = net(torch.from_numpy(x).permute(0, 2, 1)).numpy()[:, 0]
    check(np.all(np.isfinite(out)), "best.npz loads into model.py's torch model; finite outputs")

    if data_name == "peakfinder":
        source = open(os.path.join(run_dir, "model.py")).read()
        check(f"{rnn.upper()}LastStep(1, 32)" in source, f"model.py's network reads the sequence with torch's nn.{rnn.upper()}")
        for k in ["precision", "recall", "f1", "roc_auc", "eff_pur"]:
            check(k in best and 0 <= best[k] <= 1, f"{k} = {best.get(k)} in [0, 1]")
        check(res.get("threshold") == 0.5, "result.json states the decision threshold 0.5")
        check(abs(best["eff_pur"] - best["precision"] * best["recall"]) < 1e-9, "eff_pur = precision x recall")
        f1 = 2 * best["precision"] * best["recall"] / (best["precision"] + best["recall"])
        check(abs(best["f1"] - f1) < 1e-9, "f1 is the harmonic mean of precision and recall")
        check(best["roc_auc"] > 0.75, f"the {rnn} learns: validation roc_auc {best['roc_auc']:.3f} > 0.75")
        auc = roc_auc(out, y)
        check(abs(auc - best["roc_auc"]) < 0.05,
              f"torch's roc_auc on the whole file ({auc:.3f}) is close to the trainer's validation figure")
        # the spec's `loss bce pos_weight 3` is the loss the trainer reports
        z, t = torch.from_numpy(out), torch.from_numpy(y.astype(np.float32))
        bce = {w: torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(float(w)))(z, t).item() for w in (1, 3)}
        check(abs(best["loss"] - bce[3]) < 0.5 * abs(bce[3] - bce[1]),
              f"the validation loss {best['loss']:.4f} is bce with pos_weight 3 ({bce[3]:.4f}), not 1 ({bce[1]:.4f})")
    else:
        check("mae" in best and "rmse" in best and best["rmse"] >= best["mae"] > 0, f"mae {best.get('mae')} <= rmse")
        check("threshold" not in res, "no decision threshold for a regression")
        baseline = np.abs(y - y.mean()).mean()
        check(best["mae"] < 0.6 * baseline,
              f"the CNN counts: validation mae {best['mae']:.2f} < 0.6 x the mean predictor's {baseline:.2f}")
        mae = np.abs(out - y).mean()
        check(abs(mae - best["mae"]) < 0.25 * best["mae"],
              f"torch's mae on the whole file ({mae:.2f}) is close to the trainer's validation figure")
    # --- the point exported: the library and ONNX on the validation part (the file's last 30 %
    # with `split 0.3 take last`, else the runtime's seeded draw)
    check(re.search(r"^  split 0\.3\b", spec, re.M), "the example holds out 30 % of its file for validation")
    val = (np.arange(len(x) - round(0.3 * len(x)), len(x)) if "split 0.3 take last" in spec
           else np.array(split_validation(len(x), 0.3)))
    ours = check_exported(hpsgen, os.path.join(work, "one"), "model-0", os.path.join(work, "export"), name,
                          x[val], out[val, None], onnx_batch=data_name == "peakfinder")[:, 0].astype(np.float64)
    yv = y[val].astype(np.float64)
    if data_name == "peakfinder":
        softplus = lambda v: np.maximum(v, 0) + np.log1p(np.exp(-np.abs(v)))  # noqa: E731
        loss = np.mean(3 * yv * softplus(-ours) + (1 - yv) * softplus(ours))  # bce, pos_weight 3
        figures = {"roc_auc": roc_auc(ours, yv)}
    else:
        loss = np.abs(ours - yv).mean()
        figures = {"mae": loss, "rmse": np.sqrt(np.mean((ours - yv) ** 2))}
    check(abs(loss - best["loss"]) <= 1e-5 * abs(best["loss"]),
          f"the library's outputs give the trainer's validation loss within 1e-5 relative: {loss:.8g} vs {best['loss']:.8g}")
    check(all(abs(v - best[k]) <= 1e-5 * abs(best[k]) for k, v in figures.items()),
          f"and its validation figures: {figures} vs {[best[k] for k in figures]}")
    print(f"examples_seq {name}: all checks passed")


if __name__ == "__main__":
    main()
