"""plateau_trainer (lr_schedule plateau factor 0.5 patience 1, selected by the validation
loss) against torch and across a resume.

Checks, each an assertion that can fail:
  - the reductions the trainer reports (step, lr before and after) are those of
    torch.optim.lr_scheduler.ReduceLROnPlateau(mode "min", factor 0.5, patience 1) stepped
    with the validation losses of its metrics.csv, and there are some before and after
    step 60;
  - a run stopped at step 60 (SIGTERM through HPS_STOP_AFTER_STEP) and resumed from its
    resume.bin ends with the same metrics.csv (less elapsed_s) and the same best.npz as a
    run straight through: the schedule's state (lr, best, count) survives the resume.
"""
import os
import re
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "support"))
from script_checks import args_with_work, check, run  # noqa: E402 (tests/support)

a = args_with_work("--trainer")
rng = np.random.default_rng(11)
x = rng.standard_normal((200, 4)).astype(np.float32)
y = (np.sin(x @ np.array([1.0, -2.0, 0.5, 1.5])) + 0.3 * rng.standard_normal(200))[:, None].astype(np.float32)
np.savez(os.path.join(a.work, "train.npz"), x=x, y=y)

REDUCED = re.compile(r"step (\d+): lr (\S+) -> (\S+) \(plateau")


def reductions(text):
    return [(int(s), float(b), float(e)) for s, b, e in REDUCED.findall(text)]


def metrics(run_dir):
    with open(os.path.join(run_dir, "metrics.csv")) as f:
        return [line.rsplit(",", 1)[0] for line in f]  # less elapsed_s


straight = run([a.trainer, "--threads", "1", "--run-dir", "straight"], cwd=a.work)
check(straight.returncode == 0, "the plateau trainer runs: " + straight.stderr[-2000:])
ours = reductions(straight.stdout)

import torch  # noqa: E402

rows = [r.split(",") for r in metrics(os.path.join(a.work, "straight"))]
losses = [(int(r[0]), float(r[2])) for r in rows[1:] if r[1] == "validation"]
p = torch.zeros(1, requires_grad=True)
opt = torch.optim.SGD([p], lr=0.05)
sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=1)
theirs = []
for step, loss in losses:
    before = opt.param_groups[0]["lr"]
    sched.step(loss)
    if opt.param_groups[0]["lr"] != before:
        theirs.append((step, before, opt.param_groups[0]["lr"]))
check(len(losses) == 40, f"40 validation rows: {len(losses)}")
check(len(ours) == len(theirs) and all(s == t and abs(b - tb) < 1e-9 * tb and abs(e - te) < 1e-9 * te
                                      for (s, b, e), (t, tb, te) in zip(ours, theirs)),
      f"the reductions are ReduceLROnPlateau's on the validation losses: ours {ours}, torch {theirs}")
check(any(s < 60 for s, _, _ in ours) and any(s > 60 for s, _, _ in ours),
      f"reductions before and after step 60: {[s for s, _, _ in ours]}")

env = dict(os.environ, HPS_STOP_AFTER_STEP="60")
stopped = run([a.trainer, "--threads", "1", "--run-dir", "resumed"], cwd=a.work, env=env)
check(stopped.returncode == 75 and os.path.exists(os.path.join(a.work, "resumed", "resume.bin")),
      f"stopped at step 60 with resume.bin (exit {stopped.returncode})")
resumed = run([a.trainer, "--threads", "1", "--run-dir", "resumed"], cwd=a.work)
check(resumed.returncode == 0 and "resuming at step 60" in resumed.stdout, "resumed at step 60: " + resumed.stdout[-1500:])
check(reductions(stopped.stdout) + reductions(resumed.stdout) == ours, "the same reductions, before and after the stop")
check(metrics(os.path.join(a.work, "resumed")) == metrics(os.path.join(a.work, "straight")),
      "the same metrics.csv as the run straight through")
with open(os.path.join(a.work, "straight", "best.npz"), "rb") as f, open(os.path.join(a.work, "resumed", "best.npz"), "rb") as g:
    check(f.read() == g.read(), "the same best.npz")
