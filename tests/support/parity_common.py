"""What the PyTorch parity scripts share (tests/runtime/layers/torch_2d.py, torch_3d.py,
torch_seq.py): reading a case folder that tests/support/torch_parity.hpp wrote, rebuilding
its model in torch, running the same pass and comparing output, loss and gradients, and
the loop over the case folders.

A case folder holds modules.txt (torch.nn modules as Python source, one a line), helpers.py
(classes those modules need, when written), meta.txt (loss, mode train|infer, valid,
pos_weight, the C++ loss value, the state_dict names), p_<name>.npy (the exported
state_dict before the pass), after_<name>.npy (after it), grad_<name>.npy (the C++
gradients in torch's layout), x.npy (the input, channels-last), y.npy (the C++ output),
target.npy and dx.npy (dL/dx, channels-last). The torch model takes channels-first tensors.
"""
import os
import sys

import numpy as np
import torch
from torch import nn

torch.set_default_dtype(torch.float32)


def channels_first(a):
    """(B, d1, ..., C) -> (B, C, d1, ...): (B, D, H, W, C) -> (B, C, D, H, W), (B, L, C) -> (B, C, L)."""
    if a.ndim < 3:
        return a
    return a.permute(0, a.ndim - 1, *range(1, a.ndim - 1))


def channels_last(a):
    if a.ndim < 3:
        return a
    return a.permute(0, *range(2, a.ndim), 1)


def compare(case, what, ours, theirs, rtol, atol_rel, floor=1e-3):
    """allclose with an absolute tolerance of atol_rel * max(max |theirs|, floor); prints a line."""
    ours = np.asarray(ours, dtype=np.float64)
    theirs = np.asarray(theirs, dtype=np.float64)
    if ours.shape != theirs.shape:
        print(f"FAIL {case}: {what}: shape {ours.shape} here, {theirs.shape} in torch")
        return False
    scale = max(np.abs(theirs).max(initial=0.0), floor)
    err = np.abs(ours - theirs).max(initial=0.0)
    ok = bool(np.allclose(ours, theirs, rtol=rtol, atol=atol_rel * scale))
    print(f"{'ok  ' if ok else 'FAIL'} {case}: {what}: max |diff| {err:.2e} (max |torch| {scale:.3g})")
    return ok


class Case:
    """One case folder: its modules, meta and names, and the torch model built from them
    with the exported state_dict loaded strictly."""

    def __init__(self, d):
        self.dir = d
        self.name = os.path.basename(d)
        self.scope = {"nn": nn, "torch": torch}
        helpers = os.path.join(d, "helpers.py")
        if os.path.exists(helpers):
            with open(helpers) as f:
                exec(f.read(), self.scope)
        with open(os.path.join(d, "modules.txt")) as f:
            self.modules = [line.strip() for line in f if line.strip()]
        self.meta = {}
        with open(os.path.join(d, "meta.txt")) as f:
            for line in f:
                key, _, value = line.strip().partition(" ")
                self.meta[key] = value
        self.names = self.meta["names"].split()
        self.model = nn.Sequential(*[eval(m, self.scope) for m in self.modules])
        self.model.load_state_dict({n: self.load(f"p_{n}.npy") for n in self.names}, strict=True)

    def load(self, name):
        return torch.from_numpy(np.load(os.path.join(self.dir, name)))


def loss_of(case, flat, target):
    kind = case.meta["loss"]
    if kind == "mse":
        return nn.MSELoss()(flat, target)
    if kind == "mse_half":
        return 0.5 * ((flat - target) ** 2).sum(dim=1).mean()
    if kind == "mae":
        return nn.L1Loss()(flat, target)
    if kind == "bce":
        pos_weight = torch.full((flat.shape[1],), float(case.meta["pos_weight"]))
        return nn.BCEWithLogitsLoss(pos_weight=pos_weight)(flat, target)
    if kind == "softmax_ce":
        return nn.CrossEntropyLoss()(flat, target[:, 0].long())
    raise SystemExit(f"{case.name}: unknown loss {kind}")


def check_pass(case, grad_floor=1e-3, buffers=False):
    """Runs the case's pass (mode train or infer) in torch and compares the output, the loss
    (over the first `valid` samples), dL/dx and dL/d<parameter>. An exported name that is not
    a parameter fails, unless `buffers`: then it is a buffer (batchnorm's running statistics),
    compared after the pass. grad_floor: the floor of compare() for the parameters' gradients."""
    model, mode = case.model, case.meta["mode"]
    model.train(mode == "train")
    x = channels_first(case.load("x.npy")).contiguous().requires_grad_(True)
    out = model(x)
    ok = compare(case.name, f"output ({mode})", channels_last(out).detach().numpy(), case.load("y.npy").numpy(),
                 1e-4, 1e-5)

    valid = int(case.meta["valid"])
    loss = loss_of(case, out.reshape(out.shape[0], -1)[:valid], case.load("target.npy")[:valid])
    loss.backward()
    ok &= compare(case.name, f"{case.meta['loss']} loss", [float(case.meta["loss_value"])], [loss.item()], 1e-5, 1e-6)
    ok &= compare(case.name, "dL/dx", case.load("dx.npy").numpy(), channels_last(x.grad).numpy(), 1e-3, 1e-4)
    params = dict(model.named_parameters())
    buffer_values = dict(model.named_buffers())
    for n in case.names:
        if n in params:
            ok &= compare(case.name, f"dL/d{n}", case.load(f"grad_{n}.npy").numpy(), params[n].grad.numpy(), 1e-3,
                          1e-4, floor=grad_floor)
        elif buffers:  # batchnorm's running statistics after the pass (moved in training, kept in inference)
            ok &= compare(case.name, f"{n} after", case.load(f"after_{n}.npy").numpy(), buffer_values[n].numpy(),
                          1e-5, 1e-6)
    if not buffers and set(case.names) != set(params):
        print(f"FAIL {case.name}: torch has parameters {sorted(params)}, the export {sorted(case.names)}")
        ok = False
    return ok


def run_cases(check_case, what="cases match PyTorch"):
    """check_case(folder) -> bool for every folder under argv[1]; exit 1 unless all pass."""
    root = sys.argv[1]
    cases = sorted(c for c in os.listdir(root) if os.path.isdir(os.path.join(root, c)))
    if not cases:
        raise SystemExit(f"{root}: no cases")
    results = [check_case(os.path.join(root, c)) for c in cases]
    print(f"{sum(results)} of {len(results)} {what}")
    sys.exit(0 if all(results) else 1)
