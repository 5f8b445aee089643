"""Writes random predictions and targets (numpy, fixed seed) and the metrics that
scikit-learn (and numpy, for the paper's Accuracy20%) computes on them.

Multi-class precision, recall and f1 are sklearn's with labels=0..K-1 and
zero_division=0; roc_auc is its multi_class='ovr' on the softmax probabilities, per
class where a class is absent from the targets (sklearn refuses the whole score then;
the runtime leaves the class out of the mean). Curves: roc_curve and
precision_recall_curve (drop_intermediate=False), saved as NAME_roc.npy (fpr, tpr,
threshold rows) and NAME_pr.npy (recall, precision, threshold rows, in recall order).

usage: make_metrics.py OUTDIR

For each case NAME: NAME_h.npy (outputs, (m, K) or (m,) float32), NAME_y.npy (targets,
float32), NAME.txt ("metric value" lines, values as repr) and, for classification,
NAME_confusion*.npy (int64). Every reference is computed in float64 from the float32
arrays the C++ side reads.
"""
import os
import sys

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    average_precision_score,
    f1_score,
    mean_absolute_error,
    mean_squared_error,
    precision_recall_curve,
    precision_recall_fscore_support,
    precision_score,
    recall_score,
    roc_auc_score,
    roc_curve,
)

out = sys.argv[1]
rng = np.random.default_rng(7)


def save(name, h, y, values, reals=None, **matrices):
    np.save(os.path.join(out, name + "_h.npy"), h.astype(np.float32))
    np.save(os.path.join(out, name + "_y.npy"), y.astype(np.float32))
    with open(os.path.join(out, name + ".txt"), "w") as f:
        for k, v in values.items():
            f.write(f"{k} {float(v)!r}\n")
    for k, m in matrices.items():
        np.save(os.path.join(out, f"{name}_{k}.npy"), m.astype(np.int64))
    for k, m in (reals or {}).items():
        np.save(os.path.join(out, f"{name}_{k}.npy"), np.asarray(m, dtype=np.float64))


def softmax(logits):
    z = logits.astype(np.float64)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def multiclass(name, logits, labels, K):
    """precision, recall, f1 (per class and averaged) and one-vs-rest roc_auc."""
    pred = np.argmax(logits, axis=1)
    values, reals = {}, {}
    for avg in ("macro", "micro", "weighted"):
        p, r, f, _ = precision_recall_fscore_support(labels, pred, labels=list(range(K)), average=avg, zero_division=0)
        values.update({f"precision_{avg}": p, f"recall_{avg}": r, f"f1_{avg}": f})
        values[f"f1_score_{avg}"] = f1_score(labels, pred, labels=list(range(K)), average=avg, zero_division=0)
    p, r, f, support = precision_recall_fscore_support(labels, pred, labels=list(range(K)), average=None, zero_division=0)
    reals.update(precision=p, recall=r, f1=f, support=support)
    probs = softmax(logits)
    present = [k for k in range(K) if 0 < np.sum(labels == k) < len(labels)]
    aucs = np.array([roc_auc_score(labels == k, probs[:, k]) for k in present])
    weights = np.array([np.sum(labels == k) for k in present], dtype=np.float64)
    values["roc_auc_macro"] = aucs.mean()
    values["roc_auc_weighted"] = np.sum(aucs * weights) / weights.sum()
    for k in range(K):
        values[f"roc_auc_class{k}"] = roc_auc_score(labels == k, probs[:, k]) if k in present else float("nan")
    if len(present) == K:  # sklearn's own multi-class score, where it gives one
        for avg in ("macro", "weighted"):
            values[f"roc_auc_ovr_{avg}"] = roc_auc_score(labels, probs, multi_class="ovr", average=avg,
                                                         labels=list(range(K)))
    save(name, logits, labels, values, reals)


def curves(name, labels, scores, logits):
    """sklearn's ROC and PR curves, thresholds as probabilities (sigmoid of logits)."""
    prob = (lambda t: 1 / (1 + np.exp(-t.astype(np.float64)))) if logits else (lambda t: t.astype(np.float64))
    fpr, tpr, thr = roc_curve(labels, scores, drop_intermediate=False)
    thr = prob(thr)
    thr[0] = np.nan  # sklearn's max + 1: no threshold
    precision, recall, pthr = precision_recall_curve(labels, scores)
    # recall order, from the zero-recall start: sklearn's arrays reversed
    pr = np.stack([recall[::-1], precision[::-1], np.concatenate([[np.nan], prob(pthr[::-1])])])
    np.save(os.path.join(out, name + "_roc.npy"), np.stack([fpr, tpr, thr]).astype(np.float64))
    np.save(os.path.join(out, name + "_pr.npy"), pr.astype(np.float64))
    return average_precision_score(labels, scores)


def within(y, h, tol, one_sided=False):
    """Accuracy20%: Err_i = max_k |y_k / h_k - 1| < tol, and every h_k > 0 (two-sided, the
    usual reading); one_sided: max_k (y_k / h_k - 1) < tol, the CyPLAM paper's Equation (3)
    as printed, where only h_k == 0 never counts."""
    y = y.astype(np.float64).reshape(len(y), -1)
    h = h.astype(np.float64).reshape(len(h), -1)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = y / np.where(h == 0, 1, h) - 1
    if one_sided:
        return float(np.mean(np.all(h != 0, axis=1) & (np.max(rel, axis=1) < tol)))
    return float(np.mean(np.all(h > 0, axis=1) & (np.max(np.abs(rel), axis=1) < tol)))


# regression, K = 1, 2, 3 outputs
for K, m in [(1, 1000), (2, 777), (3, 50)]:
    y = (rng.random((m, K)) * 100 + 1).astype(np.float32)
    h = (y * (1 + rng.normal(0, 0.2, (m, K)))).astype(np.float32)
    h[::37, 0] = 0  # a prediction of exactly 0: an error sample for `within`
    h[5::41, -1] *= -1  # negative predictions
    y64, h64 = y.astype(np.float64), h.astype(np.float64)
    mse = mean_squared_error(y64, h64)
    values = {
        "mse": mse,
        "mae": mean_absolute_error(y64, h64),
        "rmse": np.sqrt(mse),
        "mse_half": np.sum((h64 - y64) ** 2) / (2 * m),
        "within20": within(y, h, 0.20),
        "within05": within(y, h, 0.05),
        "within20_one_sided": within(y, h, 0.20, one_sided=True),
        "within05_one_sided": within(y, h, 0.05, one_sided=True),
    }
    if K == 1:
        values["rmse_sklearn"] = mean_squared_error(y64, h64, squared=False)
    shape = (m,) if K == 1 else (m, K)
    save(f"reg{K}", h.reshape(shape), y.reshape(shape), values)

# classes: K logits, with ties for the maximum in some rows
K, m = 10, 1234
logits = rng.normal(0, 1, (m, K)).astype(np.float32)
logits[::13, 3] = logits[::13].max(axis=1)
logits[::13, 7] = logits[::13, 3]
labels = rng.integers(0, K, m)
pred = np.argmax(logits, axis=1)  # the first maximum on ties
save("cls", logits, labels, {"accuracy": accuracy_score(labels, pred)},
     confusion=confusion_matrix(labels, pred, labels=list(range(K))))

# binary: one logit per sample, rounded so that many scores tie (roc_auc's ties)
m = 2000
labels = rng.integers(0, 2, m)
logits = (rng.normal(0, 1.5, m) + 1.2 * labels).round(1).astype(np.float32)
values = {}
matrices = {}
for T in [0.5, 0.3, 0.999]:
    cut = np.log(T / (1 - T))
    pred = (logits.astype(np.float64) > cut).astype(int)
    p = precision_score(labels, pred, zero_division=0)
    r = recall_score(labels, pred, zero_division=0)
    values[f"precision@{T}"] = p
    values[f"recall@{T}"] = r
    values[f"f1@{T}"] = f1_score(labels, pred, zero_division=0)
    values[f"eff_pur@{T}"] = p * r
    values[f"accuracy@{T}"] = accuracy_score(labels, pred)
    matrices[f"confusion@{T}"] = confusion_matrix(labels, pred, labels=[0, 1])
values["roc_auc"] = roc_auc_score(labels, logits)
values["average_precision"] = curves("bin", labels, logits, logits=True)
save("bin", logits.reshape(m, 1), labels, values, **matrices)

# binary from probabilities, thresholded as they are
probs = rng.random(m).astype(np.float32).round(2)
labels = (rng.random(m) < probs).astype(int)
pred = (probs.astype(np.float64) > 0.5).astype(int)
save("prob", probs, labels, {
    "precision": precision_score(labels, pred, zero_division=0),
    "recall": recall_score(labels, pred, zero_division=0),
    "roc_auc": roc_auc_score(labels, probs),
    "average_precision": curves("prob", labels, probs, logits=False),
})

# binary with a distinct score per sample: curves longer than the 200 points kept
m = 3000
labels = rng.integers(0, 2, m)
logits = (rng.normal(0, 1.5, m) + 1.0 * labels).astype(np.float32)
save("many", logits.reshape(m, 1), labels, {"roc_auc": roc_auc_score(labels, logits),
                                            "average_precision": curves("many", labels, logits, logits=True)})

# multi-class: a class never predicted (4) and one absent from the targets (3)
K, m = 5, 600
logits = rng.normal(0, 1, (m, K)).astype(np.float32)
labels = rng.choice([0, 1, 2, 4], m)
logits[np.arange(m), labels] += 0.8
logits[:, 4] -= 10
multiclass("mc", logits, labels, K)

# every class present: sklearn's own multi_class='ovr' roc_auc applies
K, m = 4, 400
labels = rng.integers(0, K, m)
logits = rng.normal(0, 1, (m, K)).astype(np.float32)
logits[np.arange(m), labels] += 1.0
multiclass("mc_full", logits, labels, K)
