"""The start-up a training run and --calibrate share (hps/train/startup.hpp), on
shared_core_trainer.cpp built with the core inline and linked:
  - its dropout given no rate (SHARED_CORE_NO_RATE), a run is refused with exit 2, the layer
    named, and nothing written; --calibrate is refused the same way, in the same words;
  - given its rate, --calibrate measures (its line, exit 0) and writes nothing either.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "support"))
from script_checks import args_with_work, check, run  # noqa: E402 (tests/support)

a = args_with_work("--inline", "--linked")
REFUSAL = "[shared-core] error: layer 3: dropout's rate is not given (add it to train_config::layer_settings)\n"
for name, trainer in (("inline", a.inline), ("linked", a.linked)):
    no_rate = dict(os.environ, SHARED_CORE_NO_RATE="1")
    base = [trainer, "--threads", "1", "--quiet", "--run-dir", "run"]
    trained = run(base, cwd=a.work, env=no_rate)
    check(trained.returncode == 2 and trained.stderr == REFUSAL,
          f"{name}: a run without the dropout's rate is refused (exit {trained.returncode}): {trained.stderr!r}")
    calibrated = run(base + ["--calibrate"], cwd=a.work, env=no_rate)
    check(calibrated.returncode == 2 and calibrated.stderr == REFUSAL and "calibration " not in calibrated.stdout,
          f"{name}: --calibrate without it is refused the same way (exit {calibrated.returncode}): "
          f"{calibrated.stderr!r} {calibrated.stdout!r}")
    check(os.listdir(a.work) == [], f"{name}: nothing written: {os.listdir(a.work)}")
    measured = run(base + ["--calibrate"], cwd=a.work)
    check(measured.returncode == 0 and measured.stdout.startswith("calibration threads=1 batch=16 ")
          and os.listdir(a.work) == [],
          f"{name}: with its rate, --calibrate measures: {measured.stdout!r} {measured.stderr!r}")
print("ok: a run and --calibrate start alike and refuse a missing run-time layer value alike")
