"""Writes random predictions and targets (numpy, fixed seed) and the metrics that
scikit-learn (and numpy, for the paper's Accuracy20%) computes on them.

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
    f1_score,
    mean_absolute_error,
    mean_squared_error,
    precision_score,
    recall_score,
    roc_auc_score,
)

out = sys.argv[1]
rng = np.random.default_rng(7)


def save(name, h, y, values, **matrices):
    np.save(os.path.join(out, name + "_h.npy"), h.astype(np.float32))
    np.save(os.path.join(out, name + "_y.npy"), y.astype(np.float32))
    with open(os.path.join(out, name + ".txt"), "w") as f:
        for k, v in values.items():
            f.write(f"{k} {float(v)!r}\n")
    for k, m in matrices.items():
        np.save(os.path.join(out, f"{name}_{k}.npy"), m.astype(np.int64))


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
save("bin", logits.reshape(m, 1), labels, values, **matrices)

# binary from probabilities, thresholded as they are
probs = rng.random(m).astype(np.float32).round(2)
labels = (rng.random(m) < probs).astype(int)
pred = (probs.astype(np.float64) > 0.5).astype(int)
save("prob", probs, labels, {
    "precision": precision_score(labels, pred, zero_division=0),
    "recall": recall_score(labels, pred, zero_division=0),
    "roc_auc": roc_auc_score(labels, probs),
})
