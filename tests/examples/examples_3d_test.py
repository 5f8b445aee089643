#!/usr/bin/env python3
"""The voxel and texture examples end to end, in their short mode.

usage: examples_3d_test.py --hpsgen HPSGEN --source SOURCE_DIR --work DIR {printability,gradation}

The short mode is the example's own spec with a few sizes made small (each substitution
must match the spec exactly once, so a change to the example that this test does not know
about fails here) and small data from the example's own generator. Checks, each an
assertion that can fail:

printability (examples/printability.hps: conv3d, batchnorm, 3-D max pooling, bce):
  - on 16^3 voxels, one grid point (adam, lr 1e-3), hpsgen generate + run --steps trains it;
    status done, the training loss falls, f1 and roc_auc are in [0, 1], the confusion matrix
    in result.json counts every validation sample;
  - best.npz (conv3d weights, batchnorm running statistics) loads into model.py's torch
    model, which reproduces the trainer's validation loss, f1 and roc_auc on the raw data;
  - the point exported (tests/support/export_checks.py; its batchnorms, after a relu and
    before a pooling, are kept): the C++ library's example, built through find_package in a
    fresh project, and the ONNX model (onnx's checker, OpenCV's dnn module: Conv, MaxPool and
    BatchNormalization in 3-D) reproduce torch's outputs within 1e-5 relative; the library's
    outputs give the trainer's validation loss within 1e-5 relative, its f1 and roc_auc.

gradation (examples/gradation.hps: augment block, brightness and contrast jitter):
  - both grid points (jitter 0 and 0.25) train; validation accuracy beats chance;
  - the two points start from the same weights and batches, so their first training loss
    differs only through the augmentation: it must differ;
  - torch, loading the jittered point's best.npz, reproduces its validation accuracy and
    loss on the raw validation data (validation is never augmented), and its test figures;
  - that point exported (conv2d, maxpool, dense; the input scale 1/255 inside): the C++
    library's example, built through find_package in a fresh project, and the ONNX model
    (onnx's checker, OpenCV's dnn module) reproduce torch's outputs on the raw validation
    crops within 1e-5 relative; the library's outputs give the trainer's validation accuracy
    and loss (within 1e-5 relative);
  - the jittered trainer stopped by SIGTERM part way and resumed ends with the same
    metrics.csv as an uninterrupted run (the augmentation is drawn from (seed, step)).
"""
import argparse
import csv
import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from script_checks import check  # noqa: E402 (tests/support)
from export_checks import check_exported  # noqa: E402


def run(cmd, **kw):
    print("$", " ".join(map(str, cmd)), flush=True)
    r = subprocess.run(cmd, text=True, capture_output=True, **kw)
    if r.returncode != 0:
        print(r.stdout[-4000:], r.stderr[-4000:])
    return r


def short_spec(path, substitutions):
    text = open(path).read()
    for old, new in substitutions:
        n = len(re.findall(re.escape(old), text))
        check(n == 1, f"{os.path.basename(path)} contains '{old}' once (found {n}): the short mode knows the example")
        text = text.replace(old, new)
    return text


def rows(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def torch_eval(run_dir, x, channels_last_perm):
    """The trainer's model in torch, weights from best.npz: logits for x (N, ..., C)."""
    import torch
    sys.path.insert(0, run_dir)
    try:
        import model
        net = model.load(os.path.join(run_dir, "best.npz"))
    finally:
        sys.path.pop(0)
        sys.modules.pop("model", None)
    with torch.no_grad():
        return net(torch.from_numpy(x.astype(np.float32)).permute(*channels_last_perm)).numpy()


def printability(a):
    work = os.path.join(a.work, "printability")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    r = run([sys.executable, os.path.join(a.source, "examples/data/make_printability.py"),
             os.path.join(work, "data/printability"), "--size", "16", "--train", "128", "--validation", "64"])
    check(r.returncode == 0, "make_printability.py writes 16^3 parts")
    spec = short_spec(os.path.join(a.source, "examples/printability.hps"), [
        ("input 32 x 32 x 32 x 1", "input 16 x 16 x 16 x 1"),
        ("optimizer {adam, adadelta} lr 1e-4..1e-2 log 3", "optimizer adam lr 1e-3"),
    ])
    open(os.path.join(work, "printability.hps"), "w").write(spec)
    r = run([a.hpsgen, "generate", "printability.hps", "-o", "out"], cwd=work)
    check(r.returncode == 0, "hpsgen generate")
    main_cpp = open(os.path.join(work, "out/trainers", trainer_of(work, "model-0"), "main.cpp")).read()
    check("hps::conv3d<8, 3, hps::same, hps::relu, 1>" in main_cpp and "hps::batchnorm" in main_cpp
          and "hps::maxpool3d<2, 2>" in main_cpp, "the trainer uses conv3d, batchnorm and maxpool3d")
    r = run([a.hpsgen, "run", "out", "--steps", "40", "--checkpoints", "4"], cwd=work, timeout=900)
    check(r.returncode == 0, "hpsgen run builds and trains the 3-D point")
    run_dir = os.path.join(work, "out/runs/model-0")
    res = json.load(open(os.path.join(run_dir, "result.json")))
    check(res["status"] == "done", f"status done ({res['status']})")
    best = res["best"]
    check(0 <= best["f1"] <= 1 and 0 <= best["roc_auc"] <= 1, f"f1 {best['f1']:.3f}, roc_auc {best['roc_auc']:.3f} in [0, 1]")
    conf = np.array(best["confusion"])
    check(conf.shape == (2, 2) and conf.sum() == 64, f"the confusion matrix counts the 64 validation parts: {conf.tolist()}")
    train = [float(r["loss"]) for r in rows(os.path.join(run_dir, "metrics.csv")) if r["split"] == "train"]
    check(len(train) == 4 and train[-1] < train[0], f"the training loss falls: {train}")

    # torch reproduces the validation figures from best.npz (batchnorm in eval mode: running stats)
    from sklearn.metrics import f1_score, roc_auc_score
    v = np.load(os.path.join(work, "data/printability/validation.npz"))
    logits = torch_eval(run_dir, v["x"], (0, 4, 1, 2, 3))[:, 0]
    y = v["y"].astype(np.float64)
    loss = bce(logits, y)
    f1 = f1_score(y, logits >= 0) if (logits >= 0).any() else 0.0
    auc = roc_auc_score(y, logits)
    check(abs(loss - best["loss"]) < 1e-4 * max(1, abs(loss)), f"torch's validation loss {loss:.6f} = the trainer's {best['loss']:.6f}")
    check(abs(f1 - best["f1"]) < 1e-9, f"torch's f1 {f1:.4f} = the trainer's")
    check(abs(auc - best["roc_auc"]) < 1e-6, f"torch's roc_auc {auc:.4f} = the trainer's")
    # the best checkpoint's curves: 64 samples, so not thinned: sklearn's, thresholds as probabilities
    from sklearn.metrics import average_precision_score, precision_recall_curve, roc_curve
    fpr, tpr, thr = roc_curve(y, logits, drop_intermediate=False)
    roc = best["curves"]["roc"]
    check(len(roc["fpr"]) == len(fpr) and np.allclose(roc["fpr"], fpr) and np.allclose(roc["tpr"], tpr)
          and roc["threshold"][0] is None and np.allclose(roc["threshold"][1:], 1 / (1 + np.exp(-thr[1:])), atol=1e-6)
          and abs(roc["auc"] - best["roc_auc"]) < 1e-12,
          f"result.json's ROC curve is sklearn's roc_curve on torch's logits ({len(roc['fpr'])} points)")
    precision, recall, _ = precision_recall_curve(y, logits)
    pr = best["curves"]["pr"]
    check(np.allclose(pr["recall"], recall[::-1]) and np.allclose(pr["precision"], precision[::-1])
          and abs(pr["average_precision"] - average_precision_score(y, logits)) < 1e-6,
          "result.json's precision-recall curve is sklearn's precision_recall_curve, in recall order")
    names = np.load(os.path.join(run_dir, "best.npz")).files
    check("1.running_var" in names or any(n.endswith("running_var") for n in names),
          "best.npz holds batchnorm's running statistics")

    # the point exported: the library (batchnorms kept) and ONNX reproduce torch; the
    # library's outputs give the trainer's validation figures
    ours = check_exported(a.hpsgen, os.path.join(work, "out"), "model-0", os.path.join(work, "export"), "printability",
                          v["x"], logits[:, None])[:, 0].astype(np.float64)
    model_hpp = open(os.path.join(work, "export/printability/include/printability/model.hpp")).read()
    check(model_hpp.count("hps::batchnorm") == 2, "the exported network keeps its two batchnorms (before a pooling)")
    loss = bce(ours, y)
    check(abs(loss - best["loss"]) <= 1e-5 * abs(best["loss"]) and abs(roc_auc_score(y, ours) - best["roc_auc"]) < 1e-6
          and abs((f1_score(y, ours >= 0) if (ours >= 0).any() else 0.0) - best["f1"]) < 1e-9,
          f"the library's outputs give the trainer's validation loss ({loss:.8g} vs {best['loss']:.8g}), f1 and roc_auc")


def bce(logits, y):
    """Binary cross-entropy on logits, as the trainer's loss (mean over samples)."""
    return np.mean(np.maximum(logits, 0) - logits * y + np.log1p(np.exp(-np.abs(logits))))


def softmax_ce(logits, y):
    """Softmax cross-entropy of logits (N, classes) for labels y, as the trainer's loss."""
    z = logits - logits.max(1, keepdims=True)
    return np.mean(np.log(np.exp(z).sum(1)) - z[np.arange(len(y)), y])


def trainer_of(work, point):
    """The trainer (net-<signature>) a point of the study in work/out runs on: study.json says."""
    sj = json.load(open(os.path.join(work, "out/study.json")))
    return next(p["trainer"] for p in sj["points"] if p["name"] == point)


def gradation(a):
    work = os.path.join(a.work, "gradation")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    r = run([sys.executable, os.path.join(a.source, "examples/data/make_gradation.py"),
             os.path.join(work, "data/gradation"), "--train", "480", "--validation", "100", "--test", "60"])
    check(r.returncode == 0, "make_gradation.py writes the crops")
    spec = short_spec(os.path.join(a.source, "examples/gradation.hps"), [
        ("optimizer momentum lr 0.001 momentum 0.9", "optimizer momentum lr 0.01 momentum 0.9"),
    ])
    open(os.path.join(work, "gradation.hps"), "w").write(spec)
    r = run([a.hpsgen, "generate", "gradation.hps", "-o", "out"], cwd=work)
    check(r.returncode == 0, "hpsgen generate")
    plain = json.load(open(os.path.join(work, "out/settings/model-0.json")))["augment"]
    jittered = json.load(open(os.path.join(work, "out/settings/model-1.json")))["augment"]
    check(plain["brightness"] == 0 and plain["contrast"] == 0, f"jitter 0: the point augments nothing: {plain}")
    check(jittered["brightness"] == 0.25 and jittered["contrast"] == 0.25,
          f"jitter 0.25: the point's settings have brightness and contrast 0.25: {jittered}")
    check(trainer_of(work, "model-0") == trainer_of(work, "model-1"),
          "the two points differ only in run-time settings: one trainer for both")
    steps = 480
    r = run([a.hpsgen, "run", "out", "--steps", str(steps), "--checkpoints", "4"], cwd=work, timeout=900)
    check(r.returncode == 0, "hpsgen run builds and trains both points")
    results, metrics = {}, {}
    for p in ("model-0", "model-1"):
        d = os.path.join(work, "out/runs", p)
        results[p] = json.load(open(os.path.join(d, "result.json")))
        metrics[p] = rows(os.path.join(d, "metrics.csv"))
        check(results[p]["status"] == "done", f"{p} done")
        check(results[p]["best"]["accuracy"] > 0.35, f"{p}: validation accuracy {results[p]['best']['accuracy']:.3f} beats chance (0.2)")
    first = [float([r for r in metrics[p] if r["split"] == "train"][0]["loss"]) for p in ("model-0", "model-1")]
    check(first[0] != first[1], f"the first training losses differ only by the augmentation: {first}")

    # validation and test are never augmented: torch on the raw data gives the trainer's figures
    run_dir = os.path.join(work, "out/runs/model-1")
    res = results["model-1"]
    for split, figures in (("validation", res["best"]), ("test", res["test"])):
        d = np.load(os.path.join(work, f"data/gradation/{split}.npz"))
        logits = torch_eval(run_dir, d["x"].astype(np.float32) / 255, (0, 3, 1, 2)).astype(np.float64)
        y = d["y"].astype(np.int64)
        ce = softmax_ce(logits, y)
        if split == "validation":
            xv, yv, theirs = d["x"], y, logits
        acc = np.mean(logits.argmax(1) == y)
        check(abs(acc - figures["accuracy"]) < 1e-9 and abs(ce - figures["loss"]) < 1e-4 * max(1, ce),
              f"{split}: torch on the raw data gives the trainer's accuracy {acc:.4f} and loss {ce:.5f}")
        # the spec's macro f1 and the per-class scores, as sklearn gives them on torch's predictions
        from sklearn.metrics import precision_recall_fscore_support
        labels = list(range(logits.shape[1]))
        p, r, f, support = precision_recall_fscore_support(y, logits.argmax(1), labels=labels, zero_division=0)
        per = figures["per_class"]
        check(abs(f.mean() - figures["f1"]) < 1e-9, f"{split}: sklearn's macro f1 {f.mean():.4f} = the trainer's {figures['f1']:.4f}")
        check(np.allclose(per["precision"], p, atol=1e-12) and np.allclose(per["recall"], r, atol=1e-12)
              and np.allclose(per["f1"], f, atol=1e-12) and per["support"] == support.tolist(),
              f"{split}: result.json's per-class precision, recall, f1 and support are sklearn's: {per}")

    # the jittered point exported: the library and ONNX on the raw validation crops
    ours = check_exported(a.hpsgen, os.path.join(work, "out"), "model-1", os.path.join(work, "export"), "gradation",
                          xv.astype(np.float32), theirs).astype(np.float64)
    ce = softmax_ce(ours, yv)
    check(abs(np.mean(ours.argmax(1) == yv) - res["best"]["accuracy"]) < 1e-9
          and abs(ce - res["best"]["loss"]) <= 1e-5 * res["best"]["loss"],
          f"the library's outputs give the trainer's validation accuracy and loss ({ce:.8g} vs {res['best']['loss']:.8g})")

    # resumption: stopped at step 100 by SIGTERM, then resumed, the run ends as the uninterrupted one
    binary = os.path.join(work, "out/build/bin", trainer_of(work, "model-1"))
    resumed = os.path.join(work, "resumed")
    env = dict(os.environ, HPS_STOP_AFTER_STEP="100")
    args = [binary, "--settings", "settings/model-1.json", "--run-dir", resumed, "--steps", str(steps), "--checkpoints", "4", "--quiet",
            "--threads", str(res["threads"])]
    r = run(args, cwd=os.path.join(work, "out"), env=env)
    check(r.returncode == 75 and os.path.exists(os.path.join(resumed, "resume.bin")), "SIGTERM at step 100: exit 75, resume.bin")
    r = run(args, cwd=os.path.join(work, "out"))
    check(r.returncode == 0, "the resumed run finishes")
    strip = lambda rs: [{k: v for k, v in r.items() if k != "elapsed_s"} for r in rs]
    check(strip(rows(os.path.join(resumed, "metrics.csv"))) == strip(metrics["model-1"]),
          "the resumed run's metrics.csv equals the uninterrupted run's (augmentation included)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hpsgen", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("example", choices=["printability", "gradation"])
    a = ap.parse_args()
    a.hpsgen = os.path.abspath(a.hpsgen)
    a.work = os.path.abspath(a.work)
    {"printability": printability, "gradation": gradation}[a.example](a)
    print(f"examples.{a.example}: ok")


if __name__ == "__main__":
    main()
