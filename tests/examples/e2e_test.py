#!/usr/bin/env python3
"""hpsgen end to end: generate a tiny study, build it, train it, check what it wrote.

Checks, each an assertion that can fail:
  - generate writes the study folder (and refuses a folder it did not write);
  - `hpsgen run` builds and trains every point; the training loss falls; metrics.csv,
    result.json, best.npz and model.py are written; a second run skips finished points;
    `--points` builds and trains only the points it names;
  - best.npz loads into the torch.nn model of model.py, which reproduces the trainer's
    validation accuracy and loss on the same data (an independent check of export,
    layouts and evaluation); its ONNX export (hpsgen export) passes onnx's full checker and
    OpenCV runs it as torch;
  - a trainer stopped by SIGTERM saves a checkpoint, exits 75, resumes, and ends with
    the same metrics as an uninterrupted run; one killed by SIGKILL at random moments
    resumes from its periodic saves and ends bit-identical too;
  - a NaN in the data and a diverging learning rate give clear failures;
  - `hpsgen report` ranks the points and writes report.csv / report.md (minutes: wall
    seconds / 60) and report.html (hpsgen run writes it too); --by loss --format json ranks each point at its best-loss checkpoint,
    read from metrics.csv, and says whose weights best.npz holds;
  - an edited spec: a value added to an axis trains only the 2 new points, the report
    ranks all 6; the same spec from another spelling of its path trains nothing; a value
    removed keeps its points' files, listed by status and report;
  - raised steps: a point continues from the shorter run's final state and ends exactly as
    a run of the longer length from the start; where that is not exact it trains from the
    start; status says which beforehand.
"""
import argparse
import csv
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
from sklearn.metrics import precision_recall_fscore_support

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kill_trials  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from script_checks import run, check  # noqa: E402 (tests/support)
from export_checks import check_onnx  # noqa: E402

# the SIGKILL test's run: long enough for 3 kills of 0.4 to 1 s each and a finishing start
KILL_STEPS = 60000

SPEC = """study tiny "end-to-end test study"

data {
  train "data/train.npz"
  validation "data/validation.npz"
  input 8 x 8 x 1
  target classes 3
}

network {
  conv2d filters {4, 6} kernel 3 padding same activation relu
  maxpool 2
  dense units 16 activation {relu, tanh}
  dropout 0.1
  dense units 3
}

train {
  optimizer adam lr 0.01
  loss softmax_ce
  batch 16
  steps 300
  checkpoints 6
  seed 7
}

metrics {
  accuracy
  f1
  confusion
  select max accuracy
}
"""


DIVERGE_SPEC = """study diverge "a learning rate far too large"

data {
  train "data/reg.npz"
  split 0.25
  input 4
  target regression 1
}

network {
  dense units 8 activation relu
  dense units 1
}

train {
  optimizer sgd lr 1e4
  loss mse
  batch 8
  steps 200
  checkpoints 2
}
"""


def make_data(root, n, seed):
    """Three classes of 8x8 images: a bright row, a bright column, or a bright diagonal."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 0.3, size=(n, 8, 8, 1)).astype(np.float32)
    y = rng.integers(0, 3, size=n)
    for i in range(n):
        k = rng.integers(0, 8)
        if y[i] == 0:
            x[i, k, :, 0] += 1.5
        elif y[i] == 1:
            x[i, :, k, 0] += 1.5
        else:
            x[i, np.arange(8), np.arange(8), 0] += 1.5
    return x, y.astype(np.int64)


def grid(study):
    """grid.tsv as {name: row}, each row a dict of its columns (trainer, identity, ...)."""
    with open(os.path.join(study, "grid.tsv")) as f:
        return {row["name"]: row for row in csv.DictReader(f, delimiter="\t")}


def quick_build(folder):
    """Configures a study folder's build with -O1, which compiles in about half the time of
    Release's -O3 (hpsgen's build step configures only a folder without a CMakeCache.txt,
    so it keeps this): these tests check behaviour, not speed."""
    r = run(["cmake", "-S", folder, "-B", os.path.join(folder, "build"), "-DCMAKE_BUILD_TYPE=Release",
             "-DCMAKE_CXX_FLAGS_RELEASE=-O1 -DNDEBUG"])
    check(r.returncode == 0, "configure " + folder + " with -O1: " + r.stdout[-500:] + r.stderr[-500:])


def read_metrics(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hpsgen", required=True)
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    hpsgen = os.path.abspath(a.hpsgen)
    work = os.path.abspath(a.work)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(os.path.join(work, "data"))
    x, y = make_data(work, 480, 1)
    np.savez(os.path.join(work, "data/train.npz"), x=x, y=y)
    xv, yv = make_data(work, 100, 2)
    np.savez_compressed(os.path.join(work, "data/validation.npz"), x=xv, y=yv)
    with open(os.path.join(work, "tiny.hps"), "w") as f:
        f.write(SPEC)

    # --- generate
    os.makedirs(os.path.join(work, "notours"))
    open(os.path.join(work, "notours", "keep.txt"), "w").write("user data")
    r = run([hpsgen, "generate", "tiny.hps", "-o", "notours"], cwd=work)
    check(r.returncode == 1 and "refusing" in r.stderr, "generate refuses a folder it did not write")
    check(open(os.path.join(work, "notours", "keep.txt")).read() == "user data", "the user's file is intact")

    r = run([hpsgen, "generate", "tiny.hps", "-o", "out/tiny"], cwd=work)
    check(r.returncode == 0, "generate succeeds: " + r.stdout + r.stderr)
    study = os.path.join(work, "out/tiny")
    quick_build(study)
    points = grid(study)
    check(len(points) == 4, "grid.tsv has 4 points")
    # four networks (filters x activation): four trainers, one settings file per point
    for f in ["CMakeLists.txt", "grid.tsv", "study.json", ".hpsgen", "runtime/hps/runtime.hpp",
              "settings/model-0.json", "settings/model-3.json"] + \
             [f"trainers/{p['trainer']}/main.cpp" for p in points.values()]:
        check(os.path.exists(os.path.join(study, f)), "generated " + f)
    check(len(os.listdir(os.path.join(study, "trainers"))) == 4, "one trainer per network")
    trainer0 = f"trainers/{points['model-0']['trainer']}/main.cpp"
    sj = json.load(open(os.path.join(study, "study.json")))
    check(sj["grid_size"] == 4 and sj["select"] == {"metric": "accuracy", "goal": "max"}, "study.json")
    # conv 3x3x1xF + F, pool, dense (4*4*F)*16+16, dense 16*3+3
    for p in sj["points"]:
        f = int(p["axes"]["conv2d1.filters"]) if "conv2d1.filters" in p["axes"] else None
        if f is not None:
            want = 9 * f + f + 16 * f * 16 + 16 + 16 * 3 + 3
            check(p["params"] == want, f"{p['name']}: {want} parameters")
    mtime = os.path.getmtime(os.path.join(study, trainer0))
    time.sleep(1.1)
    r = run([hpsgen, "generate", "tiny.hps", "-o", "out/tiny"], cwd=work)
    check(r.returncode == 0 and os.path.getmtime(os.path.join(study, trainer0)) == mtime,
          "generating again leaves unchanged trainers untouched (no rebuild)")

    # --- build and train
    r = run([hpsgen, "run", "out/tiny", "-j", "2"], cwd=work, timeout=800)
    print(r.stdout[-3000:], r.stderr[-3000:])
    check(r.returncode == 0, "hpsgen run trains every point")
    check(re.search(r"^\[hpsgen run\] [1-4]/4 done, [0-2] running( \((model-\d \d+%(, )?)+\))?, 0 failed \| "
                    r"\d+[ms].* elapsed \| ETA (\?|\d+[hms])", r.stdout, re.M),
          "hpsgen run's progress line: points done, each running point's share of its steps, an ETA")
    check(re.search(r"^\[hpsgen run\] 4 done, 0 failed, 0 interrupted, in .* models per hour", r.stdout, re.M),
          "hpsgen run's last line: the counts and models per hour")
    check(os.path.exists(os.path.join(study, "report.html")), "hpsgen run writes report.html")
    build_log = open(os.path.join(study, "build", "build.log")).read()
    check("Built target" in build_log and "warning:" not in build_log,
          "the trainers build without compiler warnings (build/build.log): " +
          "".join(l + "\n" for l in build_log.splitlines() if "warning:" in l)[:1500])
    for name in ["model-0", "model-1", "model-2", "model-3"]:
        run_dir = os.path.join(study, "runs", name)
        for f in ["metrics.csv", "result.json", "best.npz", "model.py", "train.log"]:
            check(os.path.exists(os.path.join(run_dir, f)), f"{name} wrote {f}")
        check(not os.path.exists(os.path.join(run_dir, "resume.bin")), f"{name}: no resume.bin once done")
        res = json.load(open(os.path.join(run_dir, "result.json")))
        check(res["status"] == "done", f"{name} status done")
        rows = read_metrics(os.path.join(run_dir, "metrics.csv"))
        train = [float(r["loss"]) for r in rows if r["split"] == "train"]
        val = [r for r in rows if r["split"] == "validation"]
        check(len(train) == 6 and len(val) == 6, f"{name}: 6 checkpoints of train and validation rows")
        check(train[-1] < 0.5 * train[0], f"{name}: the training loss falls ({train[0]:.3f} -> {train[-1]:.3f})")
        best = max(float(r["accuracy"]) for r in val)
        check(abs(res["best"]["accuracy"] - best) < 1e-12, f"{name}: result.json's best is the best checkpoint")
        check(res["best"]["accuracy"] > 0.8, f"{name}: learns the task (accuracy {res['best']['accuracy']:.3f})")
        conf = np.array(res["best"]["confusion"])
        check(conf.shape == (3, 3) and conf.sum() == 100, f"{name}: a 3x3 confusion matrix over 100 samples")
        check(abs(np.trace(conf) / 100 - res["best"]["accuracy"]) < 1e-12, f"{name}: confusion agrees with accuracy")
        # f1 (macro) and the per-class scores: sklearn's on the predictions the matrix counts
        y_true = np.repeat(np.repeat(np.arange(3), 3), conf.ravel())
        y_pred = np.repeat(np.tile(np.arange(3), 3), conf.ravel())
        p, r, f, support = precision_recall_fscore_support(y_true, y_pred, labels=[0, 1, 2], zero_division=0)
        per = res["best"]["per_class"]
        check(abs(res["best"]["f1"] - f.mean()) < 1e-12 and np.allclose(per["f1"], f, atol=1e-12)
              and np.allclose(per["precision"], p, atol=1e-12) and np.allclose(per["recall"], r, atol=1e-12)
              and per["support"] == support.tolist(), f"{name}: macro f1 and per-class scores are sklearn's: {per}")

    r = run([hpsgen, "run", "out/tiny", "--no-build"], cwd=work)
    check(r.returncode == 0 and "all 4 points have finished" in r.stdout, "a second run skips finished points")

    # --- some points only: built and trained, the others untouched; a bad list is refused
    r = run([hpsgen, "generate", "tiny.hps", "-o", "out/some"], cwd=work)
    check(r.returncode == 0, "generate a second copy of the study")
    r = run([hpsgen, "run", "out/some", "--points", "model-9"], cwd=work)
    check(r.returncode == 2 and "'model-9' is not a point of study" in r.stderr and "0-3" in r.stderr,
          "--points with an unknown point: exit 2, naming it and the ids there are: " + r.stderr)
    r = run([hpsgen, "run", "out/some", "--points", "2-9"], cwd=work)
    check(r.returncode == 2 and "'2-9' goes past the points of study" in r.stderr and "0-3" in r.stderr,
          "--points with a range past the grid: exit 2, not clipped: " + r.stderr)
    check(not os.path.exists(os.path.join(work, "out/some/build")), "and nothing was built")
    quick_build(os.path.join(work, "out/some"))
    r = run([hpsgen, "run", "out/some", "--points", "model-1,3-3", "--steps", "30"], cwd=work, timeout=600)
    some = os.path.join(work, "out/some")
    check(r.returncode == 0 and "training 2 points" in r.stdout, "--points model-1,3-3 trains two points: " + r.stdout)
    some_points = grid(some)
    check(sorted(os.listdir(os.path.join(some, "build/bin"))) ==
          sorted(some_points[p]["trainer"] for p in ("model-1", "model-3")), "only their trainers are built")
    check(all(os.path.exists(os.path.join(some, "runs", p, "result.json")) == (p in ("model-1", "model-3"))
              for p in some_points), "only they have results")

    # --- the exported weights in PyTorch
    import torch
    sys.path.insert(0, os.path.join(study, "runs", "model-1"))
    import model as torch_model
    net = torch_model.load(os.path.join(study, "runs", "model-1", "best.npz"))
    with torch.no_grad():
        logits = net(torch.from_numpy(xv).permute(0, 3, 1, 2))
        acc = (logits.argmax(1).numpy() == yv).mean()
        loss = torch.nn.functional.cross_entropy(logits, torch.from_numpy(yv)).item()
    res = json.load(open(os.path.join(study, "runs", "model-1", "result.json")))
    check(abs(acc - res["best"]["accuracy"]) <= 0.011, f"torch reproduces the accuracy to one sample in 100 ({acc} vs {res['best']['accuracy']})")
    check(abs(loss - res["best"]["loss"]) < 1e-4 * max(1, abs(loss)), f"torch reproduces the loss ({loss} vs {res['best']['loss']})")

    # --- its ONNX export (conv2d same, maxpool, dense relu, dropout): OpenCV reproduces
    # torch's outputs (the C++ export and the rest of ONNX: tests/generator/export/)
    # (onnx's full checker, then OpenCV: tests/support/export_checks.py); rtol 5e-6 with
    # close()'s floor of the largest output: every difference within 1e-5 of the largest
    check_onnx(hpsgen, study, "model-1", os.path.join(work, "onnx"), "tiny_model_1", xv, logits.numpy(), rtol=5e-6)

    # --- SIGTERM and resume: same result as an uninterrupted run
    # the trainer of model-2's network, with model-2's settings
    binary = os.path.join(study, "build", "bin", points["model-2"]["trainer"])
    point2 = [binary, "--settings", "settings/model-2.json"]

    # the dropout rate is a run-time value: the settings file's, in model.py; one out of
    # range is refused before anything is written (layers: conv2d, maxpool, flatten, dense, dropout)
    check("nn.Dropout(p=0.1)" in open(os.path.join(study, "runs", "model-2", "model.py")).read(),
          "model.py has the settings file's dropout rate")
    s2 = json.load(open(os.path.join(study, "settings", "model-2.json")))
    check(s2["layers"] == [{"layer": 4, "name": "rate", "value": 0.1}], f"the rate in the settings: {s2['layers']}")
    s2["layers"][0]["value"] = 1.5
    with open(os.path.join(study, "settings", "bad-rate.json"), "w") as f:
        json.dump(s2, f)
    r = run([binary, "--settings", "settings/bad-rate.json", "--run-dir", "runs/bad-rate"], cwd=study)
    check(r.returncode == 2 and "settings/bad-rate.json: dropout's rate is the share of units dropped, in [0, 1), not 1.5"
          in r.stderr and not os.path.exists(os.path.join(study, "runs", "bad-rate")),
          "a rate out of range is refused, nothing written: " + r.stderr)
    os.remove(os.path.join(study, "settings", "bad-rate.json"))
    full = run([*point2, "--run-dir", "runs/full", "--steps", "600", "--threads", "1"], cwd=study)
    check(full.returncode == 0, "an uninterrupted run of 600 steps")
    env = dict(os.environ, HPS_STOP_AFTER_STEP="250")
    part = run([*point2, "--run-dir", "runs/cut", "--steps", "600", "--threads", "1"], cwd=study, env=env)
    check(part.returncode == 75, "SIGTERM at step 250: exit 75 (resumable): " + part.stdout + part.stderr)
    check(os.path.exists(os.path.join(study, "runs/cut/resume.bin")), "resume.bin saved")
    check(not os.path.exists(os.path.join(study, "runs/cut/result.json")), "no result.json while unfinished")
    rest = run([*point2, "--run-dir", "runs/cut", "--steps", "600", "--threads", "1"], cwd=study)
    check(rest.returncode == 0 and "resuming at step 250" in rest.stdout, "restarted, it resumes at step 250")
    a_rows = read_metrics(os.path.join(study, "runs/full/metrics.csv"))
    b_rows = read_metrics(os.path.join(study, "runs/cut/metrics.csv"))
    strip = lambda rows: [{k: v for k, v in r.items() if k != "elapsed_s"} for r in rows]
    check(strip(a_rows) == strip(b_rows), "the resumed run's metrics.csv equals the uninterrupted run's")
    ra = json.load(open(os.path.join(study, "runs/full/result.json")))
    rb = json.load(open(os.path.join(study, "runs/cut/result.json")))
    check(ra["best"] == rb["best"], "and so does its best checkpoint")
    wa = np.load(os.path.join(study, "runs/full/best.npz"))
    wb = np.load(os.path.join(study, "runs/cut/best.npz"))
    check(all(np.array_equal(wa[k], wb[k]) for k in wa.files), "and its best weights, bit for bit")

    # --- OpenMP's waiting: a trainer run by hand with 2 threads outside Slurm restarts itself
    # with a bounded spin (GOMP_SPINCOUNT=30000); under Slurm, with one thread, or with the
    # user's own setting, it keeps what it was given (result.json records it)
    base = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "SLURM_JOB_ID")}
    for name, extra, threads, want in [("by-hand", {}, "2", "GOMP_SPINCOUNT=30000"), ("one-thread", {}, "1", "default"),
                                       ("slurm", {"SLURM_JOB_ID": "7"}, "2", "default"),
                                       ("own", {"OMP_WAIT_POLICY": "active"}, "2", "active"),
                                       ("own-spin", {"GOMP_SPINCOUNT": "5"}, "2", "GOMP_SPINCOUNT=5")]:
        r = run([*point2, "--run-dir", f"runs/wait-{name}", "--steps", "20", "--threads", threads, "--quiet"],
                cwd=study, env=dict(base, **extra))
        res = json.load(open(os.path.join(study, f"runs/wait-{name}/result.json"))) if r.returncode == 0 else {}
        check(res.get("omp_wait") == want and res.get("threads") == int(threads),
              f"OpenMP waits {want} with {threads} thread(s), {extra or 'outside Slurm'}: {res.get('omp_wait')} "
              + r.stderr)

    # a real signal, from outside, mid-training
    p = subprocess.Popen([*point2, "--run-dir", "runs/killed", "--steps", "200000", "--threads", "1",
                          "--progress", "0.2"], cwd=study, stdout=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    while line and "samples/s" not in line:
        line = p.stdout.readline()
    p.send_signal(signal.SIGTERM)
    out = p.communicate(timeout=60)[0]
    check(p.returncode == 75 and "saved" in out, "an external SIGTERM saves a checkpoint and exits 75")

    # --- SIGKILL (the OOM killer, a node failure): no warning, so nothing is saved then; the
    # periodic saves (--checkpoint-every, here 0.2 s) are what a restart resumes from. Killed
    # at 3 seeded random moments and restarted each time, the run ends bit-identical to one
    # that saved nothing and was never interrupted (tests/examples/kill_trials.py)
    long_run = [*point2, "--steps", str(KILL_STEPS), "--threads", "1", "--progress", "1000"]
    r = run([*long_run, "--run-dir", "runs/bad-every", "--checkpoint-every", "-1"], cwd=study)
    check(r.returncode == 2 and "--checkpoint-every needs a number of seconds, not '-1'" in r.stderr,
          "a negative --checkpoint-every is refused: " + r.stderr)
    # what a save killed mid-write leaves (hps/io.hpp's NAME.tmp.PID) is removed at the next start
    os.makedirs(os.path.join(study, "runs/unkilled"))
    for name in ["resume.bin.tmp.4242", "notes.tmp.txt"]:
        open(os.path.join(study, "runs/unkilled", name), "w").write("x")
    t0 = time.monotonic()
    r = run([*long_run, "--run-dir", "runs/unkilled", "--checkpoint-every", "0"], cwd=study)
    took = time.monotonic() - t0
    check(r.returncode == 0 and "saved" not in r.stdout, f"an uninterrupted run of {KILL_STEPS} steps without "
          f"periodic saves ({took:.1f} s)")
    left = os.listdir(os.path.join(study, "runs/unkilled"))
    check("resume.bin.tmp.4242" not in left and "notes.tmp.txt" in left,
          f"a killed save's temporary file is removed at the next start, nothing else: {sorted(left)}")
    kills, out = kill_trials.trials(long_run, study, "runs/killed9", 0.2, 3, seed=11)
    for k in kills:
        check(k["resumed"] > 0 and k["resumed"] >= k["saved"],
              f"killed {k['delay']:.2f} s after its start, with step {k['saved']} saved: resumed at step "
              f"{k['resumed']}")
    diff = kill_trials.differences(study, "runs/unkilled", "runs/killed9")
    check(not diff, f"after 3 kills it ends as the uninterrupted run: metrics.csv, best, best.npz bit for bit "
          f"(differs: {diff})")

    # --- a file that cannot be written whole (a file size limit fails as a full disk does):
    # exit 5 naming the file and the cause, no half-written file; without the limit it trains
    def limited():
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
    r = run([*point2, "--run-dir", "runs/nospace", "--steps", "100", "--threads", "1"], cwd=study, preexec_fn=limited)
    check(r.returncode == 5 and "best.npz" in r.stderr and "File too large" in r.stderr and "ulimit" in r.stderr,
          f"past the file size limit: exit 5 naming the file and the cause ({r.returncode}): " + r.stderr)
    left = sorted(os.listdir(os.path.join(study, "runs/nospace")))
    check(not any(".tmp" in n for n in left) and "best.npz" not in left, f"no temporary or partial file left: {left}")
    r = run([*point2, "--run-dir", "runs/nospace", "--steps", "100", "--threads", "1"], cwd=study)
    check(r.returncode == 0, "started again without the limit, it trains: " + r.stderr)

    # --- bad input: NaN in the data, divergence
    xn = x.copy()
    xn[3, 2, 2, 0] = np.nan
    np.savez(os.path.join(work, "data/nan.npz"), x=xn, y=y)
    r = run([*point2, "--run-dir", "runs/nan", "--train", "../../data/nan.npz", "--steps", "10"], cwd=study)
    check(r.returncode == 4 and "nan.npz" in r.stderr, "a NaN in the data: exit 4 naming the file: " + r.stderr)
    res = json.load(open(os.path.join(study, "runs/nan/result.json")))
    check(res["status"] == "failed" and "nan.npz" in res["message"], "result.json says failed, and why")
    # a learning rate far too large: plain SGD on a regression explodes within a few steps
    xr = np.random.default_rng(3).normal(size=(64, 4)).astype(np.float32)
    np.savez(os.path.join(work, "data/reg.npz"), x=xr, y=xr @ np.arange(1, 5, dtype=np.float32))
    with open(os.path.join(work, "diverge.hps"), "w") as f:
        f.write(DIVERGE_SPEC)
    r = run([hpsgen, "generate", "diverge.hps", "-o", "out/diverge"], cwd=work)
    check(r.returncode == 0, "generate the diverging study")
    quick_build(os.path.join(work, "out/diverge"))
    r = run([hpsgen, "run", "out/diverge"], cwd=work, timeout=600)
    check(r.returncode == 0, "hpsgen run finishes the study; a diverged point is a result")
    res = json.load(open(os.path.join(work, "out/diverge/runs/model-0/result.json")))
    log = open(os.path.join(work, "out/diverge/runs/model-0/train.log")).read()
    check(res["status"] == "diverged" and ("NaN" in res["message"] or "infinite" in res["message"]),
          "a diverging run stops with status diverged and says why: " + res.get("message", ""))
    check("lower the learning rate" in log, "the trainer's log says what to do")
    check(res["steps"] < 200, f"it stops at once (step {res['steps']}), not after 200 steps of garbage")

    # --- report
    r = run([hpsgen, "report", "out/tiny"], cwd=work)
    print(r.stdout)
    check(r.returncode == 0, "report succeeds")
    with open(os.path.join(study, "report.csv")) as f:
        rep = list(csv.DictReader(f))
    accs = [float(row["accuracy"]) for row in rep]
    check(len(rep) == 4 and accs == sorted(accs, reverse=True), "report.csv ranks 4 points, best first")
    check(rep[0]["rank"] == "1" and os.path.exists(os.path.join(study, "report.md")), "report.md written")
    with open(os.path.join(study, "report.html")) as f:
        page = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', f.read(), re.S)
    data = json.loads(page.group(1)) if page else {}
    check(data.get("counts", {}).get("done") == 4 and len([p for p in data["points"] if p["curves"]]) == 4
          and [p["name"] for p in data["points"]] == [row["name"] for row in rep]
          and len(data["best"]["confusion"]) == 3 and data["best"]["best_npz"] and data["best"]["data"],
          "report.html: the 4 points in report.csv's order, each with its curves; the best one's confusion "
          "matrix (3 classes), best.npz and data sizes")
    for row in rep:
        wall = json.load(open(os.path.join(study, "runs", row["name"], "result.json")))["wall_seconds"]
        check(abs(float(row["minutes"]) - wall / 60) < 1e-9, f"{row['name']}: minutes is wall seconds / 60")
    r = run([hpsgen, "report", "out/tiny", "--by", "loss", "--format", "json"], cwd=work)
    doc = json.loads(r.stdout) if r.returncode == 0 else {}
    losses = [row["metrics"]["loss"] for row in doc.get("rows", [])]
    check(len(losses) == 4 and losses == sorted(losses) and doc["ranked_by"] == {"metric": "loss", "goal": "min"},
          f"report --by loss --format json: 4 rows, lowest loss first: {losses} " + r.stderr)
    check("ranked by loss (min); the checkpoints were chosen in training by max accuracy" in doc["note"]
          and "4 points are ranked at their best checkpoint by loss (from metrics.csv)" in doc["note"],
          "and it says each point is ranked at its best-loss checkpoint, not at the one training chose: " + doc["note"])
    for row in doc["rows"]:
        val = [r for r in read_metrics(os.path.join(study, "runs", row["name"], "metrics.csv")) if r["split"] == "validation"]
        lowest = min(val, key=lambda r: float(r["loss"]))  # min() keeps the first of equals, as the trainer does
        res = json.load(open(os.path.join(study, "runs", row["name"], "result.json")))
        check(row["best_step"] == int(lowest["step"]) and row["metrics"]["loss"] == float(lowest["loss"])
              and row["metrics"]["accuracy"] == float(lowest["accuracy"]) and row["wall_seconds"] == res["wall_seconds"],
              f"{row['name']}: its row is its lowest-loss checkpoint (step {lowest['step']}), read from metrics.csv")
    r = run([hpsgen, "report", "out/tiny", "--by", "recall"], cwd=work)
    check(r.returncode == 2 and "accuracy" in r.stderr and "loss" in r.stderr and r.stdout == "",
          "report --by a metric the results lack: exit 2, listing theirs: " + r.stderr)
    edited_spec(work, hpsgen, study, points)
    raised_steps(work, hpsgen, study)
    print("e2e: all checks passed")


def edited_spec(work, hpsgen, study, points):
    """A study refined after its first results: results belong to configurations, not
    to grid positions, names or the spelling of the spec's path."""
    def finished():
        return {p: os.path.getmtime(os.path.join(study, "runs", p, "result.json")) for p in grid(study)
                if os.path.exists(os.path.join(study, "runs", p, "result.json"))}

    before = {p["identity"]: os.path.getmtime(os.path.join(study, "results", p["identity"], "result.json"))
              for p in points.values()}
    # one value more on an axis: 6 points, the 4 trained keep their results under new names
    with open(os.path.join(work, "tiny.hps"), "w") as f:
        f.write(SPEC.replace("filters {4, 6}", "filters {4, 5, 6}"))
    r = run([hpsgen, "generate", "tiny.hps", "-o", "out/tiny"], cwd=work)
    check(r.returncode == 0 and "4 points keep a finished result, 2 to train" in r.stdout,
          "generate after adding a value: 4 points keep their results, 2 are new: " + r.stdout + r.stderr)
    six = grid(study)
    check(len(six) == 6 and set(before) <= {p["identity"] for p in six.values()},
          "the grid has 6 points, among them the 4 trained identities")
    check(six["model-2"]["identity"] not in before and points["model-2"]["identity"] == six["model-4"]["identity"],
          "the names follow the grid (model-2 is new, the old model-2 is model-4 now)")
    r = run([hpsgen, "run", "out/tiny", "-j", "2"], cwd=work, timeout=800)
    check(r.returncode == 0 and "training 2 points (4 finished before)" in r.stdout,
          "hpsgen run trains only the 2 new points: " + r.stdout[-2000:] + r.stderr[-2000:])
    check(all(os.path.getmtime(os.path.join(study, "results", i, "result.json")) == t for i, t in before.items()),
          "the 4 results are untouched")
    r = run([hpsgen, "report", "out/tiny", "--format", "json"], cwd=work)
    doc = json.loads(r.stdout) if r.returncode == 0 else {}
    check([row["rank"] for row in doc.get("rows", [])] == [1, 2, 3, 4, 5, 6]
          and {row["identity"] for row in doc["rows"]} == {p["identity"] for p in six.values()},
          "the report ranks all 6, each row with its identity")
    ranked = json.load(open(os.path.join(study, "runs", doc["rows"][0]["name"], "result.json")))
    check(ranked["identity"] == doc["rows"][0]["identity"], "result.json carries the identity")

    # the same spec from a differently spelled path: nothing changes, nothing to train
    r = run([hpsgen, "generate", os.path.join(work, ".", "tiny.hps"), "-o", os.path.join(work, "out", "tiny")], cwd="/")
    check(r.returncode == 0 and "6 points keep a finished result, 0 to train" in r.stdout and grid(study) == six,
          "generated from an absolute path: the same identities: " + r.stdout + r.stderr)
    r = run([hpsgen, "run", "out/tiny"], cwd=work, timeout=300)
    check(r.returncode == 0 and "all 6 points have finished" in r.stdout, "and hpsgen run trains nothing: " + r.stdout)

    # a value removed: its points leave the grid, their results stay and are listed
    with open(os.path.join(work, "tiny.hps"), "w") as f:
        f.write(SPEC.replace("filters {4, 6}", "filters {4, 5}"))
    r = run([hpsgen, "generate", "tiny.hps", "-o", "out/tiny"], cwd=work)
    gone = [p["identity"] for p in six.values() if p["conv2d1.filters"] == "6"]
    check(r.returncode == 0 and "2 results outside this grid" in r.stdout and len(grid(study)) == 4
          and "another runtime" not in r.stdout,
          "generate after removing a value: 4 points, 2 results outside the grid: " + r.stdout + r.stderr)
    # one of them as an hpsgen of other numbers left it (hps/version.hpp): generate says so
    kept = json.load(open(os.path.join(study, "results", gone[0], "result.json")))
    check(re.fullmatch(r"numerics \d+, resume format \d+", kept.get("runtime", "")),
          "result.json records the runtime that computed it: " + kept.get("runtime", "(none)"))
    other = dict(kept, runtime="numerics 0, resume format 1")
    with open(os.path.join(study, "results", gone[0], "result.json"), "w") as f:
        json.dump(other, f)
    r = run([hpsgen, "generate", "tiny.hps", "-o", "out/tiny"], cwd=work)
    check(r.returncode == 0 and "2 results outside this grid" in r.stdout
          and "1 of them computed by another runtime than this hpsgen's (" + kept["runtime"] + ")" in r.stdout,
          "generate names the results another runtime computed: " + r.stdout + r.stderr)
    r = run([hpsgen, "status", "out/tiny"], cwd=work)
    check(r.returncode == 0 and f"results/{gone[0]}  done" in r.stdout
          and "computed by another runtime (numerics 0, resume format 1)" in r.stdout
          and r.stdout.count("computed by another runtime") == 1, "and status marks it: " + r.stdout)
    with open(os.path.join(study, "results", gone[0], "result.json"), "w") as f:
        json.dump(kept, f)
    check(all(os.path.exists(os.path.join(study, "results", i, f)) for i in gone
              for f in ("result.json", "best.npz", "metrics.csv", "settings.json")),
          "the removed points' files are kept")
    r = run([hpsgen, "status", "out/tiny"], cwd=work)
    check(r.returncode == 0 and "2 results outside the current grid" in r.stdout
          and all(f"results/{i}  done" in r.stdout for i in gone), "status lists them: " + r.stdout)
    r = run([hpsgen, "report", "out/tiny", "--format", "json"], cwd=work)
    doc = json.loads(r.stdout) if r.returncode == 0 else {}
    check(sorted(o["identity"] for o in doc.get("outside_grid", [])) == sorted(gone), "and so does the report")
    # and the value back: its points find their results again
    with open(os.path.join(work, "tiny.hps"), "w") as f:
        f.write(SPEC.replace("filters {4, 6}", "filters {4, 5, 6}"))
    r = run([hpsgen, "generate", "tiny.hps", "-o", "out/tiny"], cwd=work)
    check(r.returncode == 0 and "6 points keep a finished result, 0 to train" in r.stdout,
          "the value restored: its results are found again: " + r.stdout)


def raised_steps(work, hpsgen, study):
    """More steps for a finished study: a point continues from its shorter run's final state
    where that is exactly what the longer run computes, else trains from the start; status
    says which beforehand. The 6-point study of edited_spec, 300 steps each, all finished;
    its trainers serve unchanged (the length is a run-time setting)."""
    def write(steps, checkpoints):
        with open(os.path.join(work, "tiny.hps"), "w") as f:
            f.write(SPEC.replace("filters {4, 6}", "filters {4, 5, 6}")
                    .replace("steps 300", f"steps {steps}").replace("checkpoints 6", f"checkpoints {checkpoints}"))
    def status():
        r = run([hpsgen, "status", "out/tiny", "--format", "tsv"], cwd=work)
        return {row["point"]: row["detail"] for row in csv.DictReader(r.stdout.splitlines(), delimiter="\t")}

    short = grid(study)
    check(all(os.path.exists(os.path.join(study, "results", p["identity"], "final.bin")) for p in short.values()),
          "every finished run keeps its final state")
    sources = lambda: {t: os.path.getmtime(os.path.join(study, "trainers", t, "main.cpp"))
                       for t in os.listdir(os.path.join(study, "trainers"))}
    trainers = sources()
    # 600 steps, 12 checkpoints: the first 6 checkpoints are the 300-step runs', so they continue
    write(600, 12)
    r = run([hpsgen, "generate", "tiny.hps", "-o", "out/tiny"], cwd=work)
    check(r.returncode == 0 and sources() == trainers, "generate rewrites no trainer: the length is a run-time setting")
    said = status()
    check(all(said[n] == f"will continue from results/{p['identity']} at step 300 (the same configuration, fewer steps)"
              for n, p in short.items()), f"status says each point will continue from its 300-step run: {said}")
    r = run([hpsgen, "run", "out/tiny", "-j", "2"], cwd=work, timeout=600)
    check(r.returncode == 0 and "training 6 points" in r.stdout,
          "hpsgen run trains the 6 longer points: " + r.stdout[-1500:] + r.stderr[-1500:])

    long = grid(study)
    cont = os.path.join(study, "results", long["model-0"]["identity"])
    log = open(os.path.join(cont, "train.log")).read()
    res = json.load(open(os.path.join(cont, "result.json")))
    first = short["model-0"]["identity"]
    check(f"continuing from results/{first} at step 300 of 600" in log
          and res["continued_from"] == f"{first} at step 300" and res["steps"] == 600,
          "model-0 continues at step 300 and result.json says so: " + log[-500:])
    # against the same point trained for 600 steps from the start (its trainer, its settings,
    # another run folder: no earlier run beside it)
    binary = os.path.join(study, "build", "bin", long["model-0"]["trainer"])
    r = run([binary, "--settings", "settings/model-0.json", "--run-dir", "ref600", "--threads", "1", "--quiet"], cwd=study)
    ref = os.path.join(study, "ref600")
    check(r.returncode == 0 and "continued_from" not in json.load(open(os.path.join(ref, "result.json"))),
          "a 600-step run of model-0 from the start: " + r.stdout + r.stderr)
    strip = lambda rows: [{k: v for k, v in row.items() if k != "elapsed_s"} for row in rows]
    a_rows, b_rows = strip(read_metrics(os.path.join(cont, "metrics.csv"))), strip(read_metrics(os.path.join(ref, "metrics.csv")))
    check([r for r in a_rows if r["split"] != "train"] == [r for r in b_rows if r["split"] != "train"],
          "the continued run's validation rows are the uninterrupted 600-step run's")
    ta = [float(r["loss"]) for r in a_rows if r["split"] == "train"]
    tb = [float(r["loss"]) for r in b_rows if r["split"] == "train"]
    check(len(ta) == len(tb) == 12 and all(abs(x - y) <= 1e-12 * max(1, abs(y)) for x, y in zip(ta, tb)),
          "its training rows too (means of the shorter run's intervals)")
    wa, wb = np.load(os.path.join(cont, "best.npz")), np.load(os.path.join(ref, "best.npz"))
    check(all(np.array_equal(wa[k], wb[k]) for k in wa.files), "and its best weights, bit for bit")
    check(res["best"] == json.load(open(os.path.join(ref, "result.json")))["best"], "and its best checkpoint")
    # 1000 steps, 8 checkpoints: the first is at step 125, which no shorter run evaluated
    write(1000, 8)
    r = run([hpsgen, "generate", "tiny.hps", "-o", "out/tiny"], cwd=work)
    said = status()["model-0"]
    check(said.startswith(f"will train from the start, not from {long['model-0']['identity']} (600 steps): this run "
                          "evaluates at step 125, which that run did not"),
          "status says model-0 will train from the start, and why: " + said)
    r = run([hpsgen, "run", "out/tiny", "--points", "model-0"], cwd=work, timeout=600)
    third = os.path.join(study, "results", grid(study)["model-0"]["identity"])
    res = json.load(open(os.path.join(third, "result.json")))
    check(r.returncode == 0 and "continued_from" not in res and res["steps"] == 1000
          and "training from the start, not from" in open(os.path.join(third, "train.log")).read(),
          "and it does")


if __name__ == "__main__":
    main()
