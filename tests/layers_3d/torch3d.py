"""Checks the cases that test_torch3d.cpp wrote against PyTorch 1.13.

Each case folder holds modules.txt (torch.nn modules as Python source, one a line),
meta.txt (loss, mode train|infer, the C++ loss value, the state_dict names), p_<name>.npy
(the exported state_dict before the pass), after_<name>.npy (after it: batchnorm's running
statistics move in training), grad_<name>.npy (the C++ gradients in torch's layout), x.npy
(the input, channels-last), y.npy (the C++ output), target.npy and dx.npy (dL/dx,
channels-last). Usage: torch3d.py DIR. Exit 1 on any mismatch.
"""
import os
import sys

import numpy as np
import torch
from torch import nn

torch.set_default_dtype(torch.float32)


def channels_first(a):
    """(B, D, H, W, C) -> (B, C, D, H, W); (B, H, W, C) -> (B, C, H, W); (B, L, C) -> (B, C, L)."""
    if a.ndim >= 3:
        return a.permute(0, a.ndim - 1, *range(1, a.ndim - 1))
    return a


def channels_last(a):
    if a.ndim >= 3:
        return a.permute(0, *range(2, a.ndim), 1)
    return a


def compare(case, what, ours, theirs, rtol, atol_rel, floor=1e-3):
    """allclose with an absolute tolerance of atol_rel * max(max |theirs|, floor): a tensor that
    is 0 in exact arithmetic (a conv bias before batchnorm in training) compares float noise."""
    ours = np.asarray(ours, dtype=np.float64)
    theirs = np.asarray(theirs, dtype=np.float64)
    if ours.shape != theirs.shape:
        print(f"FAIL {case}: {what}: shape {ours.shape} here, {theirs.shape} in torch")
        return False
    scale = max(np.abs(theirs).max(initial=0.0), floor)
    err = np.abs(ours - theirs).max(initial=0.0)
    ok = np.allclose(ours, theirs, rtol=rtol, atol=atol_rel * scale)
    print(f"{'ok  ' if ok else 'FAIL'} {case}: {what}: max |diff| {err:.2e} (max |torch| {scale:.3g})")
    return ok


def check_case(d):
    case = os.path.basename(d)
    load = lambda n: torch.from_numpy(np.load(os.path.join(d, n)))
    with open(os.path.join(d, "modules.txt")) as f:
        modules = [line.strip() for line in f if line.strip()]
    meta = {}
    with open(os.path.join(d, "meta.txt")) as f:
        for line in f:
            key, _, value = line.strip().partition(" ")
            meta[key] = value
    model = nn.Sequential(*[eval(m) for m in modules])
    names = meta["names"].split()
    model.load_state_dict({n: load(f"p_{n}.npy") for n in names}, strict=True)
    training = meta["mode"] == "train"
    model.train(training)

    x = channels_first(load("x.npy")).contiguous().requires_grad_(True)
    out = model(x)
    ok = compare(case, f"output ({meta['mode']})", channels_last(out).detach().numpy(), load("y.npy").numpy(),
                 1e-4, 1e-5)

    flat = out.reshape(out.shape[0], -1)
    target = load("target.npy")
    kind = meta["loss"]
    if kind == "mse":
        loss = nn.MSELoss()(flat, target)
    elif kind == "mse_half":
        loss = 0.5 * ((flat - target) ** 2).sum(dim=1).mean()
    elif kind == "bce":
        loss = nn.BCEWithLogitsLoss()(flat, target)
    elif kind == "softmax_ce":
        loss = nn.CrossEntropyLoss()(flat, target[:, 0].long())
    else:
        raise SystemExit(f"{case}: unknown loss {kind}")
    loss.backward()
    ok &= compare(case, f"{kind} loss", [float(meta["loss_value"])], [loss.item()], 1e-5, 1e-6)
    ok &= compare(case, "dL/dx", load("dx.npy").numpy(), channels_last(x.grad).numpy(), 1e-3, 1e-4)
    params = dict(model.named_parameters())
    buffers = dict(model.named_buffers())
    for n in names:
        if n in params:
            ok &= compare(case, f"dL/d{n}", load(f"grad_{n}.npy").numpy(), params[n].grad.numpy(), 1e-3, 1e-4,
                          floor=1e-2)
        else:  # batchnorm's running statistics after the pass (moved in training, kept in inference)
            ok &= compare(case, f"{n} after", load(f"after_{n}.npy").numpy(), buffers[n].numpy(), 1e-5, 1e-6)
    if not any(n.endswith("running_mean") for n in names) and "BatchNorm" in " ".join(modules):
        print(f"FAIL {case}: batchnorm exported no running statistics")
        ok = False
    return ok


def main():
    root = sys.argv[1]
    cases = sorted(c for c in os.listdir(root) if os.path.isdir(os.path.join(root, c)))
    if not cases:
        raise SystemExit(f"{root}: no cases")
    results = [check_case(os.path.join(root, c)) for c in cases]
    print(f"{sum(results)} of {len(results)} cases match PyTorch")
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
