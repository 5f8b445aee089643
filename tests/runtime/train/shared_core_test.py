"""The training core linked from its library (HPS_SHARED_TRAIN, as in a generated study)
against the same trainer with the core inline, both built from shared_core_trainer.cpp.

Checks, each an assertion that can fail:
  - both train to the same metrics.csv (less elapsed_s), the same result.json (less its
    timings: best step, best and test metrics, confusion matrix...) and the same best.npz
    bytes;
  - the run does train: the best validation accuracy is above 0.7 (chance: 1/3);
  - a run of the inline trainer stopped at step 50 (SIGTERM through HPS_STOP_AFTER_STEP)
    is resumed from its resume.bin by the linked one and ends as the runs straight through.
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "support"))
from script_checks import args_with_work, check, run  # noqa: E402 (tests/support)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from classifier_data import write_classifier_data  # noqa: E402

a = args_with_work("--inline", "--linked")
write_classifier_data(a.work)


def train(trainer, run_dir, **env):
    r = run([trainer, "--threads", "1", "--quiet", "--run-dir", run_dir], cwd=a.work, env=dict(os.environ, **env))
    return r


def metrics(run_dir):
    with open(os.path.join(a.work, run_dir, "metrics.csv")) as f:
        return [line.rsplit(",", 1)[0] for line in f]  # less elapsed_s


def result(run_dir):
    with open(os.path.join(a.work, run_dir, "result.json")) as f:
        r = json.load(f)
    for timing in ("wall_seconds", "samples_per_second"):
        r.pop(timing, None)
    return r


def best_npz(run_dir):
    with open(os.path.join(a.work, run_dir, "best.npz"), "rb") as f:
        return f.read()


for trainer, run_dir in ((a.inline, "inline"), (a.linked, "linked")):
    r = train(trainer, run_dir)
    check(r.returncode == 0, f"{run_dir} trains: " + r.stderr[-2000:])

check(metrics("linked") == metrics("inline"), "the same metrics.csv")
check(result("linked") == result("inline"), "the same result.json" + ("" if result("linked") == result("inline") else
                                                                    f": {result('linked')} against {result('inline')}"))
check(best_npz("linked") == best_npz("inline"), "the same best.npz")
rows = [line.split(",") for line in metrics("inline")]
accuracy = rows[0].index("accuracy")
best = max(float(r[accuracy]) for r in rows[1:] if r[1] == "validation")
check(best > 0.7 and any(r[1] == "test" for r in rows), f"it learns (best validation accuracy {best}) and tests")

stopped = train(a.inline, "resumed", HPS_STOP_AFTER_STEP="50")
check(stopped.returncode == 75 and os.path.exists(os.path.join(a.work, "resumed", "resume.bin")),
      f"the inline trainer stopped at step 50 with resume.bin (exit {stopped.returncode})")
resumed = train(a.linked, "resumed")
check(resumed.returncode == 0, "the linked trainer resumes: " + resumed.stderr[-2000:])
check(metrics("resumed") == metrics("inline") and best_npz("resumed") == best_npz("inline"),
      "resumed across the two builds, the run ends as the runs straight through")
print("ok: the linked and the inline training core give the same results, and resume each other's runs")
