"""Checks the cases that test_seq_torch.cpp wrote against PyTorch.

Each case folder holds helpers.py (the classes model.py defines for these modules, from
hps::torch_helpers), modules.txt (torch.nn modules as Python source, one a line),
meta.txt (loss, valid, pos_weight, the C++ loss value, the state_dict names),
p_<name>.npy (the exported state_dict), grad_<name>.npy (the C++ gradients in torch's
layout), x.npy (the input, channels-last), y.npy (the C++ output), target.npy and dx.npy
(dL/dx, channels-last). The torch model takes channels-first tensors, as model.py's does.
Usage: seq_torch_parity.py DIR. Exit 1 on any mismatch.
"""
import os
import sys

import numpy as np
import torch
from torch import nn

torch.set_default_dtype(torch.float32)


def channels_first(a):
    """(B, d1, ..., C) -> (B, C, d1, ...)."""
    if a.ndim < 3:
        return a
    return a.permute(0, a.ndim - 1, *range(1, a.ndim - 1))


def channels_last(a):
    if a.ndim < 3:
        return a
    return a.permute(0, *range(2, a.ndim), 1)


def compare(case, what, ours, theirs, rtol, atol_rel):
    ours = np.asarray(ours, dtype=np.float64)
    theirs = np.asarray(theirs, dtype=np.float64)
    if ours.shape != theirs.shape:
        print(f"FAIL {case}: {what}: shape {ours.shape} here, {theirs.shape} in torch")
        return False
    scale = max(np.abs(theirs).max(initial=0.0), 1e-3)
    err = np.abs(ours - theirs).max(initial=0.0)
    ok = bool(np.allclose(ours, theirs, rtol=rtol, atol=atol_rel * scale))
    print(f"{'ok  ' if ok else 'FAIL'} {case}: {what}: max |diff| {err:.2e} (max |torch| {scale:.3g})")
    return ok


def check_case(d):
    case = os.path.basename(d)
    load = lambda n: torch.from_numpy(np.load(os.path.join(d, n)))
    scope = {"nn": nn, "torch": torch}
    with open(os.path.join(d, "helpers.py")) as f:
        exec(f.read(), scope)
    with open(os.path.join(d, "modules.txt")) as f:
        modules = [line.strip() for line in f if line.strip()]
    meta = {}
    with open(os.path.join(d, "meta.txt")) as f:
        for line in f:
            key, _, value = line.strip().partition(" ")
            meta[key] = value
    model = nn.Sequential(*[eval(m, scope) for m in modules])
    names = meta["names"].split()
    model.load_state_dict({n: load(f"p_{n}.npy") for n in names}, strict=True)
    model.eval()
    # the LSTM parameters load into a plain nn.LSTM(F, U, batch_first=True) too
    for i, m in enumerate(model):
        if isinstance(m, nn.LSTM):
            plain = nn.LSTM(m.input_size, m.hidden_size, batch_first=True)
            plain.load_state_dict({k: load(f"p_{i}.{k}.npy") for k in plain.state_dict()}, strict=True)

    x = channels_first(load("x.npy")).contiguous().requires_grad_(True)
    out = model(x)
    ok = compare(case, "output", channels_last(out).detach().numpy(), load("y.npy").numpy(), 1e-4, 1e-5)

    batch = out.shape[0]
    valid = int(meta["valid"])
    flat = out.reshape(batch, -1)[:valid]
    target = load("target.npy")[:valid]
    kind = meta["loss"]
    if kind == "mse":
        loss = nn.MSELoss()(flat, target)
    elif kind == "mse_half":
        loss = 0.5 * ((flat - target) ** 2).sum(dim=1).mean()
    elif kind == "mae":
        loss = nn.L1Loss()(flat, target)
    elif kind == "bce":
        pos_weight = torch.full((flat.shape[1],), float(meta["pos_weight"]))
        loss = nn.BCEWithLogitsLoss(pos_weight=pos_weight)(flat, target)
    elif kind == "softmax_ce":
        loss = nn.CrossEntropyLoss()(flat, target[:, 0].long())
    else:
        raise SystemExit(f"{case}: unknown loss {kind}")
    loss.backward()
    ok &= compare(case, f"{kind} loss", [float(meta["loss_value"])], [loss.item()], 1e-5, 1e-6)
    ok &= compare(case, "dL/dx", load("dx.npy").numpy(), channels_last(x.grad).numpy(), 1e-3, 1e-4)
    params = dict(model.named_parameters())
    for n in names:
        ok &= compare(case, f"dL/d{n}", load(f"grad_{n}.npy").numpy(), params[n].grad.numpy(), 1e-3, 1e-4)
    if set(names) != set(params):
        print(f"FAIL {case}: torch has parameters {sorted(params)}, the export {sorted(names)}")
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
