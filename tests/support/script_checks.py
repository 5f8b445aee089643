"""What the suite's test scripts share: run a command with its output captured, and
check a condition, printing `ok: what` or `FAILED: what` (and exiting 1, which ctest
counts as a failure).

    sys.path.insert(0, os.path.join(HERE, "..", "support"))   # tests/support
    from script_checks import run, check
"""
import subprocess
import sys


def run(cmd, **kw):
    print("$", " ".join(map(str, cmd)), flush=True)
    return subprocess.run(cmd, text=True, capture_output=True, **kw)


def check(cond, what):
    if not cond:
        print("FAILED:", what, flush=True)
        sys.exit(1)
    print("ok:", what, flush=True)
