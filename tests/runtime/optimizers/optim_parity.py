"""Checks the optimizer runs that test_optimizers.cpp wrote against torch.optim.

Each case folder holds settings.txt ("name sgd", then every setting in force), init.npy
(the parameters), grads.npy (steps, n), final.npy (the C++ parameters after the steps)
and state_<slot>.npy (the C++ state, torch's state_dict names). Usage:
optim_parity.py DIR. Exit 1 on any mismatch.
"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "support"))
import parity_common


def make(name, s, params):
    if name in ("sgd", "momentum"):
        return torch.optim.SGD(params, lr=s["lr"], momentum=s["momentum"], nesterov=bool(s["nesterov"]),
                               weight_decay=s["weight_decay"])
    if name == "adam":
        return torch.optim.Adam(params, lr=s["lr"], betas=(s["beta1"], s["beta2"]), eps=s["eps"],
                                weight_decay=s["weight_decay"])
    if name == "adamw":
        return torch.optim.AdamW(params, lr=s["lr"], betas=(s["beta1"], s["beta2"]), eps=s["eps"],
                                 weight_decay=s["weight_decay"])
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=s["lr"], alpha=s["rho"], eps=s["eps"], momentum=s["momentum"],
                                   centered=bool(s["centered"]), weight_decay=s["weight_decay"])
    if name == "adadelta":
        return torch.optim.Adadelta(params, lr=s["lr"], rho=s["rho"], eps=s["eps"], weight_decay=s["weight_decay"])
    raise SystemExit(f"unknown optimizer {name}")


# A few float32 ulps at an array's scale: torch fuses the multiply of add_(x, alpha=a)
# into its add (one rounding) where the C++ side rounds twice, or the other way round
# when the compiler contracts a * b + c into an FMA (-march=native); over many
# parameters some element lands near 0, where such a difference is large relative to
# the element, though not to the values that produced it.
ULPS = 4 * np.finfo(np.float32).eps


def compare(case, what, ours, theirs, rtol, atol):
    err = np.abs(ours.astype(np.float64) - theirs.astype(np.float64))
    rel = (err / np.maximum(np.abs(theirs), 1e-30)).max()
    atol = max(atol, ULPS * float(np.abs(theirs).max()))
    ok = np.allclose(ours, theirs, rtol=rtol, atol=atol)
    print(f"{'ok  ' if ok else 'FAIL'} {case}: {what}: max |diff| {err.max():.2e}, max relative {rel:.2e}")
    return ok


def make_schedule(sched, opt, steps):
    """The torch scheduler of schedule.txt (hps/schedule.hpp names each), or None."""
    kind = sched["kind"]
    if kind == "constant":
        return None
    if kind == "step":
        return torch.optim.lr_scheduler.StepLR(opt, step_size=int(sched["every"]), gamma=float(sched["gamma"]))
    if kind == "exponential":
        return torch.optim.lr_scheduler.ExponentialLR(opt, gamma=float(sched["gamma"]))
    if kind == "cosine":
        w = int(sched["warmup"])
        if w == 0:
            return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps, eta_min=float(sched["min_lr"]))
        warm = torch.optim.lr_scheduler.LinearLR(opt, start_factor=1 / w, end_factor=1.0, total_iters=w)
        cosine = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps - w, eta_min=float(sched["min_lr"]))
        return torch.optim.lr_scheduler.SequentialLR(opt, [warm, cosine], milestones=[w])
    if kind == "plateau":  # threshold, its mode and cooldown: torch's defaults
        return torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode=sched["mode"], factor=float(sched["factor"]),
                                                          patience=int(sched["patience"]), min_lr=float(sched["min_lr"]))
    raise SystemExit(f"unknown schedule {kind}")


def check(d):
    case = os.path.basename(d)
    settings = {}
    with open(os.path.join(d, "settings.txt")) as f:
        for line in f:
            key, value = line.split()
            settings[key] = value
    name = settings.pop("name")
    s = {k: float(v) for k, v in settings.items()}
    init = np.load(os.path.join(d, "init.npy"))
    grads = np.load(os.path.join(d, "grads.npy"))
    p = torch.tensor(init, requires_grad=True)
    opt = make(name, s, [p])
    sched, scheduler, lrs = None, None, []
    if os.path.exists(os.path.join(d, "schedule.txt")):
        with open(os.path.join(d, "schedule.txt")) as f:
            sched = dict(line.split() for line in f)
    if sched:
        scheduler = make_schedule(sched, opt, len(grads))
    # plateau: the metric after each step (metric.npy), which its scheduler steps with
    metric = np.load(os.path.join(d, "metric.npy")) if os.path.exists(os.path.join(d, "metric.npy")) else None
    for k, g in enumerate(grads):
        p.grad = torch.from_numpy(g.copy())
        if sched and float(sched["clip"]) > 0:
            torch.nn.utils.clip_grad_norm_([p], float(sched["clip"]))
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        if metric is not None:
            scheduler.step(float(metric[k]))
        elif scheduler:
            scheduler.step()
    theirs = p.detach().numpy()
    ours = np.load(os.path.join(d, "final.npy"))
    ok = True
    if sched:
        ours_lr = np.load(os.path.join(d, "lrs.npy"))
        ok &= compare(case, "learning rates", ours_lr, np.array(lrs, dtype=np.float32), 1e-6, 1e-9)
    # parameters to 1e-6 relative; the update itself (final - init) to 1e-5 relative
    ok &= compare(case, "parameters", ours, theirs, 1e-6, 1e-7)
    # (the update differs by the parameters' rounding: ulps of the parameters, not of the update)
    ok &= compare(case, "update", ours - init, theirs - init, 1e-5, ULPS * np.abs(init).max())
    state = opt.state[p]
    for fname in sorted(os.listdir(d)):
        if fname.startswith("state_"):
            slot = fname[len("state_"):-len(".npy")]
            ok &= compare(case, slot, np.load(os.path.join(d, fname)), state[slot].numpy(), 1e-5, 1e-12)
    return ok


if __name__ == "__main__":
    parity_common.run_cases(check, "optimizer runs match torch.optim")
