"""The training core and the register tiles linked from their libraries (HPS_SHARED_TRAIN
and HPS_SHARED_TILES, as in a generated study) against the same trainer with both inline,
built from shared_core_trainer.cpp; and a second linked trainer (shared_tiles_trainer.cpp)
whose conv layer is the first one's.

Checks, each an assertion that can fail:
  - the tiles are compiled once: every tile symbol is defined once in the tiles library
    (shared_tiles.cpp); both linked trainers' objects define none and call theirs from it
    (undefined there, every one of them defined in the library), the conv layer's the same
    symbols in both;
  - both builds train to the same metrics.csv (less elapsed_s), the same result.json (less
    its timings: best step, best and test metrics, confusion matrix...) and the same best.npz
    bytes;
  - the run does train: the best validation accuracy is above 0.7 (chance: 1/3);
  - a run of the inline trainer stopped at step 50 (SIGTERM through HPS_STOP_AFTER_STEP)
    is resumed from its resume.bin by the linked one and ends as the runs straight through;
  - the second trainer trains and learns.
"""
import json
import os
import re
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "support"))
from script_checks import args_with_work, check, run  # noqa: E402 (tests/support)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from classifier_data import write_classifier_data  # noqa: E402

a = args_with_work("--inline", "--linked", "--second", "--tiles", "--objects")
write_classifier_data(a.work)

# ---- the tiles: defined once, in the library; called, not compiled, by the trainers
TILE = re.compile(r"hps::detail::(conv|bf16)::(fwd|dw|dx)_tile<")


def tile_symbols(path):
    """{symbol: [nm's type letter for each definition or reference]} of the tiles in an
    object or archive (nm -C: 'U' undefined, 'W' or 'T' defined)."""
    out = subprocess.run(["nm", "-C", path], text=True, capture_output=True, check=True).stdout
    found = {}
    for line in out.splitlines():
        m = re.match(r"^\s*(?:[0-9a-f]+\s+)?([A-Za-z])\s+(.*)$", line)
        if m and TILE.search(m.group(2)):
            found.setdefault(m.group(2), []).append(m.group(1))
    return found


library = tile_symbols(a.tiles)
check(library and all(len(kinds) == 1 and kinds[0] in "WT" for kinds in library.values()),
      f"the library defines each of its {len(library)} tiles once: " +
      str({k: v for k, v in library.items() if len(v) != 1 or v[0] not in "WT"})[:500])
first, second = (tile_symbols(o) for o in a.objects.split(","))
for name, calls in (("shared_core", first), ("shared_tiles", second)):
    check(calls and all(set(kinds) == {"U"} for kinds in calls.values()),
          f"the {name} trainer's object calls {len(calls)} tiles and defines none")
    check(set(calls) <= set(library), f"every tile the {name} trainer calls is in the library: " +
          str(set(calls) - set(library))[:500])
conv = {s for s in set(first) & set(second) if "conv::fwd_tile<" in s}
check(conv, "the shared conv layer's forward tile is the same symbol in both trainers")


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
second = train(a.second, "second")
rows = [line.split(",") for line in metrics("second")]
best = max(float(r[rows[0].index("accuracy")]) for r in rows[1:] if r[1] == "validation")
check(second.returncode == 0 and best > 0.5, f"the second linked trainer trains (best validation accuracy {best}): " +
      second.stderr[-2000:])
print("ok: the linked and the inline training core and tiles give the same results, and resume each other's runs")
