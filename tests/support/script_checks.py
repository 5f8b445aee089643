"""What the suite's test scripts share: run a command with its output captured, and
check a condition, printing `ok: what` or `FAILED: what` (and exiting 1, which ctest
counts as a failure); a script's arguments with a fresh --work folder.

    sys.path.insert(0, os.path.join(HERE, "..", "support"))   # tests/support
    from script_checks import run, check
"""
import argparse
import os
import shutil
import subprocess
import sys


def args_with_work(*required):
    """The command line: --work FOLDER (emptied and created) and each of `required`
    ("--trainer"), each taking a value."""
    ap = argparse.ArgumentParser()
    for flag in ("--work",) + required:
        ap.add_argument(flag, required=True)
    a = ap.parse_args()
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    return a


def run(cmd, **kw):
    print("$", " ".join(map(str, cmd)), flush=True)
    return subprocess.run(cmd, text=True, capture_output=True, **kw)


def check(cond, what):
    if not cond:
        print("FAILED:", what, flush=True)
        sys.exit(1)
    print("ok:", what, flush=True)
