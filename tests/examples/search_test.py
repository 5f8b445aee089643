#!/usr/bin/env python3
"""The search block: a seeded random sample of the grid, and successive halving.

  sample   (no build) `random N seed S` draws the same points every time (pinned here),
           the first N of a larger sample are the N points, and bad input is refused with
           a located error: N larger than the grid, random beside grid, rungs that do not
           reach max_steps, halving on an epochs study without max_steps, eta below 2,
           brackets below 1, more brackets than rungs, a bracket dealt no point; a sample's
           points are dealt to Hyperband's brackets in draw order (stable as N grows).
  halving  a 9-point study (one trainer: its axes are run-time values) with eta 3 and
           3 rungs, trained by `hpsgen run`: halving.json ranks each rung as its points'
           metrics.csv say (recomputed here), the best third go on, the others stay
           paused at their rung's steps (result.json "paused"); the winner's files are
           bit-identical to a straight run of its trainer to max_steps; a second run trains
           nothing and ranks the same.
  brackets Hyperband and repeats on the same 9 configurations (one trainer, built once):
           `brackets 3` deals the points to brackets as documented (recomputed here:
           splitmix64 order, smooth weighted round robin over Hyperband's 9 : 5 : 3), each
           bracket halves its own points over rungs 40-120-360, 120-360 and 360 (rankings
           recomputed from metrics.csv), the winner is the best of the last rungs, and a
           second run ranks the same; then `repeat 2` (no brackets) ranks configurations
           by the mean of their two runs (computed here from the runs' result.json and
           checked against metrics.csv) and promotes or stops both runs together.
"""
import argparse
import filecmp
import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e_test  # noqa: E402 (make_data, grid, quick_build, read_metrics)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from script_checks import run, check  # noqa: E402 (tests/support)

SPEC = """study halving "successive halving over run-time values"

data {
  train "data/train.npz"
  validation "data/validation.npz"
  input 8 x 8 x 1
  target classes 3
}

network {
  conv2d filters 4 kernel 3 padding same activation relu
  maxpool 2
  dense units 16 activation relu
  dropout {0, 0.2, 0.5}
  dense units 3
}

train {
  optimizer adam lr {0.001, 0.004, 0.02}
  loss softmax_ce
  batch 16
  steps 360
  checkpoints 6
  seed 7
}

metrics {
  accuracy
  select max accuracy
}

search {
  halving eta 3 min_steps 40
}
"""


def drawn(seed, n, size, draws_per_point=0):
    """The documented draw (dsl/check/grid.cpp): splitmix64 from the seed, each number mapped
    to a grid index by (x * size) >> 64, a repeated index drawn again; with distributions,
    indices may repeat and each is followed by one uniform [0, 1) per distribution, from the
    number's top 53 bits. Returns the indices, and with draws_per_point the uniforms too."""
    mask = (1 << 64) - 1
    state = seed

    def next_number():
        nonlocal state
        state = (state + 0x9E3779B97F4A7C15) & mask
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        return z ^ (z >> 31)

    out, uniforms = [], []
    while len(out) < n:
        k = (next_number() * size) >> 64
        if draws_per_point:
            out.append(k)
            uniforms.append([(next_number() >> 11) * 2.0 ** -53 for _ in range(draws_per_point)])
        elif k not in out:
            out.append(k)
    return (out, uniforms) if draws_per_point else out


def with_search(spec, search):
    return spec[: spec.index("search {")] + "search {\n" + search + "\n}\n"


def check_spec(hpsgen, work, name, text):
    path = os.path.join(work, name)
    with open(path, "w") as f:
        f.write(text)
    return run([hpsgen, "check", "--no-data-check", path]), path


def test_sample(hpsgen, work):
    os.makedirs(work, exist_ok=True)
    spec = with_search(SPEC, "random 4 seed 3")
    path = os.path.join(work, "sample.hps")
    with open(path, "w") as f:
        f.write(spec)
    r = run([hpsgen, "list", "--format", "json", path])
    check(r.returncode == 0, "list a sample: " + r.stderr)
    points = [(p["dropout1.rate"], p["train.lr"]) for p in json.loads(r.stdout)]
    # pinned: a change of the draw (its generator, its mapping to points) changes which
    # points a user's study trains; it must be a deliberate one
    check(points == [(0, 0.004), (0.5, 0.001), (0.2, 0.02), (0, 0.001)],
          f"random 4 seed 3 draws the pinned points, not {points}")
    grid_points = [(d, lr) for d in (0, 0.2, 0.5) for lr in (0.001, 0.004, 0.02)]  # the last axis fastest
    check(points == [grid_points[k] for k in drawn(3, 4, 9)], "the draw as documented: splitmix64, multiply-shift")
    with open(path, "w") as f:
        f.write(spec.replace("random 4", "random 7"))
    more = [(p["dropout1.rate"], p["train.lr"]) for p in json.loads(run([hpsgen, "list", "--format", "json", path]).stdout)]
    check(len(more) == 7 and len(set(more)) == 7, f"random 7: 7 distinct points, got {more}")
    check(more[:4] == points, f"the first 4 of random 7 are random 4's points: {more}")
    with open(path, "w") as f:
        f.write(spec.replace("seed 3", "seed 4"))
    other = [(p["dropout1.rate"], p["train.lr"]) for p in json.loads(run([hpsgen, "list", "--format", "json", path]).stdout)]
    check(other != points, "another seed draws other points")
    r, _ = check_spec(hpsgen, work, "s.hps", spec)
    check(r.returncode == 0 and "sample: 4 points drawn (seed 3) from the grid's 9" in r.stdout, "check says: " + r.stdout)

    # distributions on run-time values: a value per point, drawn after the point's grid index
    dist = (with_search(SPEC, "random 5 seed 1").replace("dropout {0, 0.2, 0.5}", "dropout uniform 0..0.5")
            .replace("lr {0.001, 0.004, 0.02}", "lr loguniform 1e-4..1e-1")
            .replace("filters 4 ", "filters {4, 6} "))
    with open(path, "w") as f:
        f.write(dist)
    r = run([hpsgen, "list", "--format", "json", path])
    check(r.returncode == 0, "list a sample with distributions: " + r.stderr)
    got = [(p["conv2d1.filters"], p["dropout1.rate"], p["train.lr"]) for p in json.loads(r.stdout)]
    expected = []
    for k, (u_rate, u_lr) in zip(*drawn(1, 5, 2, draws_per_point=2)):
        expected.append(((4, 6)[k], float("%.6g" % (0 + u_rate * 0.5)), float("%.6g" % 10 ** (-4 + u_lr * 3))))
    check(got == expected, f"the drawn values as documented: {got} against {expected}")
    check(got[:2] == [(6, 0.372891, 0.081848), (4, 0.222132, 0.0194394)], f"pinned: {got[:2]}")
    check(all(0 <= d < 0.5 and 1e-4 <= lr < 0.1 for _, d, lr in got), "within the distributions")
    r = run([hpsgen, "generate", "--no-data-check", path, "-o", os.path.join(work, "dist_study")])
    check(r.returncode == 0 and "on 2 trainers" in r.stdout, "drawn run-time values add no trainer: " + r.stdout + r.stderr)
    r = run([hpsgen, "fmt", path])
    check("dropout uniform 0..0.5" in r.stdout and "lr loguniform 1e-4..1e-1" in r.stdout, "fmt keeps them: " + r.stdout)

    # each error at the statement it blames: (file, spec, that statement's text, message)
    bad = [
        ("too_many.hps", with_search(SPEC, "random 10"), "random 10",
         "random 10 asks for more points than the grid has (9)"),
        ("both.hps", with_search(SPEC, "grid\n  random 3"), "random 3", "random and grid exclude each other"),
        ("rungs.hps", with_search(SPEC, "halving eta 3 min_steps 50"), "halving",
         "halving's rungs are min_steps x eta^k steps (50, 150, 450, ...)"),
        ("max.hps", with_search(SPEC, "halving eta 3 min_steps 40 max_steps 400"), "halving", "write max_steps 360"),
        ("eta.hps", with_search(SPEC, "halving eta 1 min_steps 40"), "halving", "eta"),
        ("epochs.hps", with_search(SPEC.replace("steps 360", "epochs 3"), "halving eta 3 min_steps 40"), "halving",
         "halving counts steps, and the train block gives epochs"),
        ("nosample.hps", SPEC.replace("dropout {0, 0.2, 0.5}", "dropout uniform 0..0.5"), "dropout",
         "a distribution draws a value for each point of a random sample"),
        ("compiled.hps", with_search(SPEC.replace("filters 4", "filters uniform 2..8"), "random 3"), "conv2d",
         "a distribution (uniform 2..8) draws real numbers"),
        ("where.hps", with_search(SPEC.replace("lr {0.001, 0.004, 0.02}", "lr loguniform 1e-4..1e-1"), "random 3")
         + "where train.lr < 0.01\n", "where", "where names an axis drawn from a distribution"),
        ("logzero.hps", with_search(SPEC.replace("lr {0.001, 0.004, 0.02}", "lr loguniform 0..1e-1"), "random 3"),
         "optimizer", "the ends of a loguniform must be > 0"),
    ]
    for name, text, statement, message in bad:
        line = next(i + 1 for i, t in enumerate(text.splitlines()) if t.strip().startswith(statement))
        r, _ = check_spec(hpsgen, work, name, text)
        check(r.returncode != 0, f"{name}: refused")
        check(f"{name}:{line}:" in r.stderr and message in r.stderr,
              f"{name}: an error at line {line} saying '{message}': {r.stderr}")
    bad = [
        ("brackets4.hps", with_search(SPEC, "halving eta 3 min_steps 40 brackets 4"), "halving",
         "brackets 4 asks for more brackets than the 3 rungs (40 to 360 steps)"),
        ("brackets0.hps", with_search(SPEC, "halving eta 3 min_steps 40 brackets 0"), "halving",
         "halving brackets must be >= 1"),
        ("empty.hps", with_search(SPEC, "random 2 seed 1\n  halving eta 3 min_steps 40 brackets 3"), "halving",
         "brackets 3 over 2 configurations leaves bracket 3 empty"),
    ]
    for name, text, statement, message in bad:
        line = next(i + 1 for i, t in enumerate(text.splitlines()) if t.strip().startswith(statement))
        col = text.splitlines()[line - 1].index("brackets ") + len("brackets ") + 1  # its value
        r, _ = check_spec(hpsgen, work, name, text)
        check(r.returncode != 0 and f"{name}:{line}:" in r.stderr and message in r.stderr,
              f"{name}: an error at line {line} saying '{message}': {r.stderr}")
        check(f"{name}:{line}:{col}:" in r.stderr,
              f"{name}: the error points at brackets' value (column {col}): {r.stderr}")
    # a sample is dealt to brackets in its draw order: the first 4 of random 7 keep random 4's brackets
    weights = hyperband_weights([40, 120, 360], 3, 2)
    dealt = {}
    for n in (4, 7):
        with open(path, "w") as f:
            f.write(with_search(SPEC, f"random {n} seed 3\n  halving eta 3 min_steps 40 brackets 2"))
        folder = os.path.join(work, f"dealt{n}")
        r = run([hpsgen, "generate", "--no-data-check", path, "-o", folder])
        check(r.returncode == 0, "generate a sample with brackets: " + r.stderr)
        meta = json.load(open(os.path.join(folder, "study.json")))["search"]["halving"]
        dealt[n] = meta["bracket_of"]
        check(dealt[n] == deal_brackets(weights, n, True), f"random {n}: dealt in draw order, 9 : 5: {dealt[n]}")
    check(dealt[7][:4] == dealt[4] == [0, 1, 0, 0], f"stable as the sample grows: {dealt}")
    r, _ = check_spec(hpsgen, work, "hyperband.hps", with_search(SPEC, "halving eta 3 min_steps 40 brackets 3"))
    check(r.returncode == 0 and "3 brackets (Hyperband)" in r.stdout and "bracket 3: " in r.stdout,
          "check shows the brackets: " + r.stdout + r.stderr)
    r, _ = check_spec(hpsgen, work, "ok.hps", with_search(SPEC, "halving eta 3 min_steps 40"))
    check(r.returncode == 0 and "halving: eta 3, rungs of points x steps: 9 x 40, 3 x 120, 1 x 360" in r.stdout,
          "check shows the rungs: " + r.stdout + r.stderr)


def validation_at(folder, metric, step):
    for row in e2e_test.read_metrics(os.path.join(folder, "metrics.csv")):
        if row["split"] == "validation" and int(row["step"]) == step:
            return float(row[metric])
    return None


def halving_data(work):
    if os.path.exists(work):
        shutil.rmtree(work)
    os.makedirs(os.path.join(work, "data"))
    x, y = e2e_test.make_data(work, 600, 1)
    noisy = np.random.default_rng(2).random(len(y)) < 0.35  # labels flipped: accuracies below 1 that differ
    y[noisy] = (y[noisy] + 1) % 3
    np.savez(os.path.join(work, "data", "train.npz"), x=x[:450], y=y[:450])
    np.savez(os.path.join(work, "data", "validation.npz"), x=x[450:], y=y[450:])


def test_halving(hpsgen, work):
    halving_data(work)
    with open(os.path.join(work, "halving.hps"), "w") as f:
        f.write(SPEC)
    study = os.path.join(work, "out")
    r = run([hpsgen, "generate", os.path.join(work, "halving.hps"), "-o", study])
    check(r.returncode == 0 and "9 points on 1 trainer" in r.stdout, "generate: one trainer for 9 points: " + r.stdout + r.stderr)
    e2e_test.quick_build(study)
    r = run([hpsgen, "submit", study, "--dry-run", "--max-array-size", "4"])
    check(r.returncode == 0 and r.stdout.count("--until 40") == 3 and "HPS_POINTS=slurm/rung-1.points" in r.stdout
          and "--dependency=afterany:<rung 1>" in r.stdout and "promote . --rung 1" in r.stdout,
          "submit --dry-run: rung 1 as 3 arrays (MaxArraySize 4) paused at 40 steps, then its promotion job: " + r.stdout)
    check(not os.path.exists(os.path.join(study, "slurm", "jobs.tsv")), "a dry run records no job")
    r = run([hpsgen, "run", study, "--jobs", "2", "--threads", "1"])
    check(r.returncode == 0, "hpsgen run: " + r.stdout[-2000:] + r.stderr[-2000:])
    check("rung 3 of 3: 1 point to 360 steps" in r.stdout, "three rungs: " + r.stdout[-2000:])
    rows = e2e_test.grid(study)
    state = json.load(open(os.path.join(study, "halving.json")))
    check([g["steps"] for g in state["rungs"]] == [40, 120, 360], f"rungs {state['rungs']}")
    check([len(g["points"]) for g in state["rungs"]] == [9, 3, 1], "9, 3 and 1 points")
    survivors = sorted(rows)
    for g, keep in zip(state["rungs"], [3, 1, 0]):
        # the ranking, recomputed from the points' own metrics.csv: by accuracy at the rung's
        # last step, ties by the lower id
        values = {n: validation_at(os.path.join(study, "results", rows[n]["identity"]), "accuracy", g["steps"])
                  for n in survivors}
        check(all(v is not None for v in values.values()), f"every survivor evaluated at {g['steps']}: {values}")
        expected = sorted(survivors, key=lambda n: (-values[n], int(rows[n]["id"])))
        check([p["name"] for p in g["points"]] == expected, f"rung at {g['steps']}: ranked {g['points']}, expected {expected}")
        check([p["value"] for p in g["points"]] == [values[n] for n in expected], "the values at the rung's step")
        promoted = [p["name"] for p in g["points"] if p["promoted"]]
        check(promoted == expected[:keep], f"the best {keep} promoted: {promoted}")
        for n in survivors:
            if n in promoted or keep == 0:
                continue
            res = json.load(open(os.path.join(study, "results", rows[n]["identity"], "result.json")))
            check(res["status"] == "paused" and res["steps"] == g["steps"],
                  f"{n} stays paused at {g['steps']} steps: {res['status']} {res['steps']}")
        survivors = promoted
    # each point's own history in its result.json: its rungs, where halving stopped it
    for n, row in rows.items():
        res = json.load(open(os.path.join(study, "results", row["identity"], "result.json")))
        mine = [(r + 1, g["steps"], k + 1, len(g["points"]), p["promoted"], p["value"])
                for r, g in enumerate(state["rungs"]) for k, p in enumerate(g["points"]) if p["name"] == n]
        h = res.get("halving")
        check(h is not None and [(e["rung"], e["steps"], e["rank"], e["of"], e["promoted"], e["value"])
                                 for e in h["rungs"]] == mine, f"{n}: its rung history in result.json: {h}")
        stopped = None if mine[-1][0] == 3 else mine[-1][0]
        check(h["stopped_at_rung"] == stopped, f"{n}: stopped at rung {stopped}")
    winner = state["rungs"][-1]["points"][0]["name"]
    folder = os.path.join(study, "results", rows[winner]["identity"])
    res = json.load(open(os.path.join(folder, "result.json")))
    check(res["status"] == "done" and res["steps"] == 360, f"the winner trained to 360 steps: {res['status']}")

    # the winner, paused twice and resumed, is the run of its trainer straight to 360 steps
    straight = os.path.join(work, "straight")
    r = run([os.path.join(study, "build", "bin", rows[winner]["trainer"]), "--settings",
             os.path.join("settings", winner + ".json"), "--run-dir", straight, "--threads", "1", "--quiet"], cwd=study)
    check(r.returncode == 0, "the straight run: " + r.stderr)
    check(filecmp.cmp(os.path.join(folder, "best.npz"), os.path.join(straight, "best.npz"), shallow=False),
          "best.npz bit-identical to a straight run")
    strip = lambda rows_: [{k: v for k, v in row.items() if k != "elapsed_s"} for row in rows_]
    check(strip(e2e_test.read_metrics(os.path.join(folder, "metrics.csv")))
          == strip(e2e_test.read_metrics(os.path.join(straight, "metrics.csv"))), "metrics.csv as a straight run's")

    # report.html as hpsgen run left it: every rung ranked, the halved points counted
    page = open(os.path.join(study, "report.html")).read()
    m = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', page, re.S)
    check(m is not None, "report.html holds its data")
    data = json.loads(m.group(1))
    check(data["halving"] is not None and data["halving"]["planned"] == [40, 120, 360], "the page's halving plan")
    check([[(p["name"], p["value"], p["promoted"]) for p in g["points"]] for g in data["halving"]["rungs"]]
          == [[(p["name"], p["value"], p["promoted"]) for p in g["points"]] for g in state["rungs"]],
          "the page's rungs are halving.json's")
    check(data["counts"]["halved"] == 8 and data["counts"]["done"] == 1, f"counts {data['counts']}")

    # report and status: the stopped points are a result of the study, "halved", with their rung
    r = run([hpsgen, "report", study])
    check(r.returncode == 0 and "not finished" not in r.stdout, "report: every point has a result: " + r.stdout)
    statuses = {line.split()[1]: line.split()[-1] for line in r.stdout.splitlines()[2:] if line.split() and line.split()[0].isdigit()}
    check(statuses[winner] == "done" and sorted(statuses.values()).count("halved") == 8, f"report statuses {statuses}")
    r = run([hpsgen, "status", study])
    check("1 done" in r.stdout and "8 halved" in r.stdout, "status counts the halved points: " + r.stdout)
    loser = state["rungs"][0]["points"][-1]["name"]
    check(any(line.startswith(loser) and "stopped at rung 1 of 3 (40 steps): ranked 9 of 9 by max accuracy" in line
              for line in r.stdout.splitlines()), f"status says where {loser} stopped: " + r.stdout)

    before = open(os.path.join(study, "halving.json")).read()
    r = run([hpsgen, "run", study, "--no-build"])
    check(r.returncode == 0 and "(9 there before)" in r.stdout and "(3 there before)" in r.stdout,
          "a second run trains nothing: " + r.stdout[-1500:])
    check(open(os.path.join(study, "halving.json")).read() == before, "and ranks the same")
    r = run([hpsgen, "run", study, "--steps", "10", "--no-build"])
    check(r.returncode == 2 and "halving study" in r.stderr, "--steps refused on a halving study: " + r.stderr)
    r = run([hpsgen, "submit", study, "--dry-run"])
    check(r.returncode == 0 and "9 of 9 points trained to 40 steps before" in r.stdout and "--until" not in r.stdout
          and "--dependency" not in r.stdout and "promote . --rung 1" in r.stdout,
          "submit --dry-run after hpsgen run: no array for rung 1, its promotion job at once: " + r.stdout)
    r = run([hpsgen, "submit", study, "--steps", "10", "--dry-run"])
    check(r.returncode == 2 and "halving study" in r.stderr, "submit --steps refused on a halving study: " + r.stderr)


def splitmix64_first(x):
    """The first number of the splitmix64 stream seeded x (as drawn() draws)."""
    mask = (1 << 64) - 1
    z = (x + 0x9E3779B97F4A7C15) & mask
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
    return z ^ (z >> 31)


def hyperband_weights(rungs, eta, brackets):
    """Hyperband's n_s (Li et al. 2018) with s_max = K = len(rungs) - 1, bracket b having s = K - b halvings."""
    k = len(rungs) - 1
    return [-(-(k + 1) * eta ** (k - b) // (k - b + 1)) for b in range(brackets)]


def deal_brackets(weights, n, drawn_order):
    """Configurations 0..n-1 dealt to brackets (docs/search.md): a grid's in splitmix64 order,
    by smooth weighted round robin."""
    order = list(range(n)) if drawn_order else sorted(range(n), key=lambda c: (splitmix64_first(c), c))
    credit, total, out = [0] * len(weights), sum(weights), [0] * n
    for c in order:
        for b, w in enumerate(weights):
            credit[b] += w
        best = max(range(len(weights)), key=lambda b: (credit[b], -b))
        credit[best] -= total
        out[c] = best
    return out


def generate(hpsgen, work, study, spec):
    path = os.path.join(work, "study.hps")
    with open(path, "w") as f:
        f.write(spec)
    r = run([hpsgen, "generate", path, "-o", study])
    check(r.returncode == 0, "generate: " + r.stdout + r.stderr)
    return r


def test_brackets(hpsgen, work):
    halving_data(work)
    study = os.path.join(work, "out")
    generate(hpsgen, work, study, with_search(SPEC, "halving eta 3 min_steps 40 brackets 3"))
    e2e_test.quick_build(study)
    rows = e2e_test.grid(study)
    names = sorted(rows, key=lambda n: int(rows[n]["id"]))
    weights = hyperband_weights([40, 120, 360], 3, 3)
    check(weights == [9, 5, 3], f"Hyperband's n_s for eta 3 and 3 brackets: {weights}")
    dealt = deal_brackets(weights, 9, False)  # a grid without a seed axis: a configuration per point
    meta = json.load(open(os.path.join(study, "study.json")))["search"]["halving"]
    check(meta["brackets"] == 3 and meta["bracket_of"] == dealt, f"study.json's brackets {meta} against {dealt}")
    check(sorted(set(dealt)) == [0, 1, 2], "every bracket has points")

    r = run([hpsgen, "run", study, "--jobs", "2", "--threads", "1"])
    check(r.returncode == 0, "hpsgen run: " + r.stdout[-2000:] + r.stderr[-2000:])
    check("bracket 2 of 3, rung 1 of 2" in r.stdout and "bracket 3 of 3, rung 1 of 1" in r.stdout,
          "the brackets in order: " + r.stdout[-2000:])
    state = json.load(open(os.path.join(study, "halving.json")))
    check(state["brackets"] == 3, "halving.json: 3 brackets")
    finals = []
    for b in range(3):
        mine = [g for g in state["rungs"] if g["bracket"] == b + 1]
        check([g["steps"] for g in mine] == [40, 120, 360][b:], f"bracket {b + 1}'s rungs: {[g['steps'] for g in mine]}")
        check([g["rung"] for g in mine] == list(range(1, 4 - b)), f"bracket {b + 1}'s rungs numbered from 1")
        survivors = [n for n in names if dealt[int(rows[n]["id"])] == b]
        check(sorted(p["name"] for p in mine[0]["points"]) == survivors, f"bracket {b + 1} starts with its points")
        for k, g in enumerate(mine):
            values = {n: validation_at(os.path.join(study, "results", rows[n]["identity"]), "accuracy", g["steps"])
                      for n in survivors}
            expected = sorted(survivors, key=lambda n: (-values[n], int(rows[n]["id"])))
            check([p["name"] for p in g["points"]] == expected, f"bracket {b + 1} at {g['steps']}: {g['points']}")
            last = k + 1 == len(mine)
            keep = 0 if last else max(1, len(survivors) // 3)
            promoted = [p["name"] for p in g["points"] if p["promoted"]]
            check(promoted == expected[:keep], f"bracket {b + 1} at {g['steps']}: the best {keep} go on: {promoted}")
            if last:
                finals.append((values[expected[0]], b, expected[0]))
            survivors = promoted
        for n in [n for n in names if dealt[int(rows[n]["id"])] == b]:
            h = json.load(open(os.path.join(study, "results", rows[n]["identity"], "result.json")))["halving"]
            check(h["bracket"] == b + 1, f"{n}'s result.json names its bracket: {h}")
    best = max(finals, key=lambda f: (f[0], -f[1]))  # the best of the last rungs; ties: the lower bracket
    check(state["winner"]["points"] == [best[2]] and state["winner"]["bracket"] == best[1] + 1
          and state["winner"]["value"] == best[0], f"the winner over brackets: {state['winner']} against {best}")
    check(f"the winner (of 3 brackets, from bracket {best[1] + 1}): {best[2]}" in r.stdout, "run names it: " + r.stdout[-800:])
    page = open(os.path.join(study, "report.html")).read()
    data = json.loads(re.search(r'<script type="application/json" id="report-data">(.*?)</script>', page, re.S).group(1))
    check(data["halving"]["brackets"] == 3 and data["halving"]["winner"]["points"] == [best[2]]
          and [(g["bracket"], g["steps"]) for g in data["halving"]["rungs"]]
          == [(g["bracket"], g["steps"]) for g in state["rungs"]], "report.html shows the brackets")
    r = run([hpsgen, "status", study])
    stopped = [p["name"] for p in state["rungs"][0]["points"] if not p["promoted"]]
    check(any(line.startswith(stopped[0]) and "stopped at bracket 1 of 3, rung 1 of 3 (40 steps)" in line
              for line in r.stdout.splitlines()), "status names the bracket: " + r.stdout)
    before = open(os.path.join(study, "halving.json")).read()
    r = run([hpsgen, "run", study, "--no-build"])
    check(r.returncode == 0 and open(os.path.join(study, "halving.json")).read() == before,
          "a second run ranks the same: " + r.stdout[-800:])
    r = run([hpsgen, "submit", study, "--dry-run"])
    check(r.returncode == 0 and "--bracket 2 --rung 1" in r.stdout and "--bracket 3 --rung 1" in r.stdout,
          "submit --dry-run: a promotion chain per bracket: " + r.stdout)

    # repeat 2: the same configurations, two seeds each, one bracket
    generate(hpsgen, work, study, with_search(SPEC.replace("seed 7", "seed 7\n  repeat 2"), "halving eta 3 min_steps 40"))
    rows = e2e_test.grid(study)
    r = run([hpsgen, "run", study, "--jobs", "2", "--threads", "1"])
    check(r.returncode == 0, "hpsgen run with repeat: " + r.stdout[-2000:] + r.stderr[-2000:])
    state = json.load(open(os.path.join(study, "halving.json")))
    config = lambda n: (rows[n]["dropout1.rate"], rows[n]["train.lr"])
    survivors = sorted(rows, key=lambda n: int(rows[n]["id"]))
    check(len(survivors) == 18, "18 runs")
    for k, g in enumerate(state["rungs"]):
        # each run's value at the rung, from its result.json history (and its metrics.csv)
        runs = {}
        for n in survivors:
            folder = os.path.join(study, "results", rows[n]["identity"])
            h = json.load(open(os.path.join(folder, "result.json")))["halving"]
            entry = next(e for e in h["rungs"] if e["steps"] == g["steps"])
            check(entry["value"] == validation_at(folder, "accuracy", g["steps"]), f"{n}: result.json's value")
            runs.setdefault(config(n), []).append((n, entry))
        means = {c: sum(e["value"] for _, e in rs) / len(rs) for c, rs in runs.items()}
        first = {c: min(int(rows[n]["id"]) for n, _ in rs) for c, rs in runs.items()}
        order = sorted(runs, key=lambda c: (-means[c], first[c]))
        keep = 0 if k + 1 == len(state["rungs"]) else max(1, len(order) // 3)
        check(g["configurations"] == len(order), f"rung {k + 1}: {len(order)} configurations")
        for rank, c in enumerate(order):
            for n, e in runs[c]:
                check(e["rank"] == rank + 1 and abs(e["mean"] - means[c]) < 1e-12 and e["of"] == len(order),
                      f"rung {k + 1}: {n} ranks with its configuration {c}: {e} (mean {means[c]})")
                check(e["promoted"] == (rank < keep), f"rung {k + 1}: {n} goes on with its configuration: {e}")
        survivors = [n for c in order[:keep] for n, _ in runs[c]]
        check(sorted(p["name"] for p in g["points"] if p["promoted"]) == sorted(survivors),
              f"rung {k + 1}: both runs of the best {keep} configurations go on")
    check([len(g["points"]) for g in state["rungs"]] == [18, 6, 2], "18, 6 and 2 runs in the rungs")
    page = open(os.path.join(study, "report.html")).read()
    data = json.loads(re.search(r'<script type="application/json" id="report-data">(.*?)</script>', page, re.S).group(1))
    check(data["halving"]["grouped"] and [[(p["name"], p["mean"], p["rank"]) for p in g["points"]] for g in data["halving"]["rungs"]]
          == [[(p["name"], p["mean"], p["rank"]) for p in g["points"]] for g in state["rungs"]],
          "report.html shows each run's configuration mean and rank")
    check(sorted(data["halving"]["winner"]["points"]) == sorted(state["winner"]["points"])
          and len(state["winner"]["points"]) == 2, "the winner is a configuration: both its runs")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hpsgen", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("case", choices=["sample", "halving", "brackets"])
    a = ap.parse_args()
    {"sample": test_sample, "halving": test_halving, "brackets": test_brackets}[a.case](os.path.abspath(a.hpsgen), os.path.abspath(a.work))
    print("ok")


if __name__ == "__main__":
    main()
