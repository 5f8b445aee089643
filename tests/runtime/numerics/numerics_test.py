"""The runtime's numbers against those recorded for its numerics version
(hps::numerics_version, runtime/hps/version.hpp; docs/design.md section 32).

A point's identity holds the numerics version, not a hash of the runtime's text, so a
finished result survives an hpsgen that computes the same numbers; this test says when a
change computes others. The block of numbers for this build: test_numerics's cases (five
small networks trained four steps: layers, activations, losses, optimizers, initialisers,
dropout) and a trainer's run (numerics_trainer.cpp: the split, shuffle, normalisation,
augmentation, schedule, clipping, penalties, checkpoints and metrics around them), hashed:
its metrics.csv less elapsed_s, result.json's best and test metrics, best.npz and
normalization.npz. numerics.golden holds one block per version.

Fails, printing the new block and what to do, when the numbers differ from the block
recorded for the current version, or when none is recorded. Checked to fail with Adam's
(1 - beta1) rounded differently (design section 32).
"""
import csv
import hashlib
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "support"))
from script_checks import args_with_work, check, run  # noqa: E402 (tests/support)
sys.path.insert(0, os.path.join(HERE, "..", "train"))
from classifier_data import write_classifier_data  # noqa: E402


def trainer_hash(run_dir):
    h = hashlib.sha256()
    with open(os.path.join(run_dir, "metrics.csv")) as f:
        for row in csv.DictReader(f):
            row.pop("elapsed_s")
            h.update(json.dumps(row, sort_keys=True).encode())
    result = json.load(open(os.path.join(run_dir, "result.json")))
    h.update(json.dumps({k: result[k] for k in ("best", "test", "steps")}, sort_keys=True).encode())
    for name in ("best.npz", "normalization.npz"):
        with np.load(os.path.join(run_dir, name)) as arrays:
            for key in sorted(arrays.files):
                h.update(key.encode() + arrays[key].tobytes())
    return h.hexdigest()[:16]


def recorded(path, version):
    """The lines recorded for `version` in the golden file, "version N" first ([] when none)."""
    lines, inside = [], False
    for line in open(path):
        line = line.rstrip("\n")
        if not line or line.startswith("#"):
            continue
        if line.startswith("version "):
            inside = line == f"version {version}"
        if inside:
            lines.append(line)
    return lines


def main():
    a = args_with_work("--cases", "--trainer", "--golden")
    r = run([a.cases, "--print"])
    check(r.returncode == 0, "test_numerics computes its cases: " + r.stdout[-1500:] + r.stderr[-1500:])
    block = r.stdout.strip().splitlines()
    version = int(block[0].split()[1])

    write_classifier_data(a.work)
    r = run([a.trainer, "--threads", "1", "--quiet", "--run-dir", "run"], cwd=a.work)
    check(r.returncode == 0, "numerics_trainer trains: " + r.stdout[-1500:] + r.stderr[-1500:])
    block.append(trainer_hash(os.path.join(a.work, "run")) + " trainer numerics_trainer.cpp")

    then = recorded(a.golden, version)
    now = "\n".join(block)
    if then == block:
        check(True, f"the runtime's numbers are those recorded for numerics version {version}:\n{now}")
        return
    if not then:
        print(f"{a.golden} records no numbers for numerics version {version} (runtime/hps/version.hpp).\n"
              f"Append these lines to it:\n\n{now}\n")
    else:
        print(f"The runtime's numbers changed, and its numerics version ({version}, runtime/hps/version.hpp)\n"
              f"did not. Recorded in {a.golden}:\n" + "\n".join(then) + f"\n\nthis build:\n{now}\n\n"
              "If the change means to change them (an order of operations, an initialiser, a loss, the\n"
              "data pipeline, a metric), raise hps::numerics_version by one and append the block the\n"
              "test prints then to the golden file: every study's points get new identities and train\n"
              "again with the new runtime. If it means to keep them (speed, messages), find what changed\n"
              "them: finished results keep their identities, so they must stay what this runtime computes.")
    check(False, f"the runtime's numbers are those recorded for numerics version {version}")


if __name__ == "__main__":
    main()
