#!/usr/bin/env python3
"""hpsgen on a real one-node Slurm cluster (scripts/slurm-cluster.sh), one CTest test per case.

  setup      starts the cluster (MaxArraySize 4, so the 6-point study needs two arrays),
             writes the study's data and spec, generates the study and builds its trainers
             once; every case reuses that folder. When the cluster cannot be started (not
             root, Slurm not installed, or HPS_SKIP_SLURM=1) it records why and every case
             reports "skipped" with that reason; with CI=true that is a failure instead.
  submit     `hpsgen submit`: two arrays and a report job; one running task is warned
             (SIGUSR1 to the batch shell, as --signal=B:USR1@N does before the time
             limit) and requeues itself, another is requeued by Slurm (scontrol requeue:
             SIGTERM, as preemption); both resume, every point finishes, the report ran,
             `hpsgen status` says so; the two interrupted points end bit-identical to
             uninterrupted runs of the same trainers (metrics.csv without elapsed_s,
             best.npz).
  retry      a point whose data is missing fails; `hpsgen status` names the reason and
             the log; `hpsgen submit` leaves it alone, `hpsgen submit --retry` reruns it
             and only it, built on the node (--build node).
  failures   three points, each submitted alone (--points): model-0's trainer is SIGKILLed
             mid-training (after its periodic resume.bin), model-1 is given too little
             memory (--mem 4M, enforced by the test cluster: jobacct_gather/linux with
             OverMemoryKill, scripts/slurm-cluster.sh), model-2 a 1-minute --time while
             the test holds its trainer stopped (SIGSTOP: a step longer than the warning),
             so Slurm's limit ends it (TIMEOUT; SIGCONT + SIGTERM, and it saves).
             `hpsgen status` names each reason (OUT_OF_MEMORY with the --mem, TIMEOUT with
             the --time, exit 137); `hpsgen submit --retry --retry-factor 20` gives model-1
             20 x the memory and model-2 20 x the time, as three arrays (resource classes);
             all three finish, the two with a resume.bin resume mid-training, and end
             bit-identical to uninterrupted runs.
  chunk      --chunk 4: 6 points in 2 tasks of one array, one after another; a trainer
             whose binary is missing is built by its task.
  halving    a 9-point halving study (one trainer; eta 3, rungs of 40, 120 and 360 steps):
             `hpsgen submit` submits rung 1 as arrays (9 points over MaxArraySize 4: 3
             arrays) and a promotion job after them; each promotion job (`hpsgen promote`)
             ranks its rung and submits the next, the last one the report. It ends with the
             same halving.json, results, metrics and best.npz as `hpsgen run` of a copy of the
             study; `hpsgen status` shows the rungs. The first promotion fails (its file
             cannot be written): status says so and how to run it again, and the rerun by
             hand carries the chain on; promoting again or submitting again submits nothing.
  brackets   the same 9 points with Hyperband's `brackets 2`: `hpsgen submit` submits both
             brackets' first rungs at once, each bracket is a chain of its own
             (`hpsgen promote --bracket B`, jobs.tsv's "R/B" rows), the last to end
             submits the report; halving.json and every result.json as `hpsgen run` of a
             copy of the study; `hpsgen status` names the brackets.
  ranks      one point with `ranks 2` (data-parallel, MPI): `hpsgen submit` runs its trainer
             as 2 tasks of one srun (--mpi=pmix); the job is requeued mid-training
             (scontrol requeue: SIGTERM to both ranks), both stop at one step, rank 0
             saves, the restarted job resumes; the result equals, bit for bit, an
             uninterrupted `hpsgen run` of a copy of the study (mpirun -n 2). Then one rank
             is SIGKILLed: srun (--kill-on-bad-exit) ends the other, the task fails and
             `hpsgen status` says so. Skipped where OpenMPI is not installed (77; a failure
             with CI=true).
  teardown   stops every daemon by PID.
"""
import argparse
import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

SKIP = 77
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
CLUSTER_SH = os.path.join(ROOT, "scripts", "slurm-cluster.sh")

SPEC = """study tiny "hpsgen's Slurm test study"

data {
  train "data/train.npz"
  validation "data/validation.npz"
  input 8 x 8 x 1
  target classes 3
}

network {
  conv2d filters {4, 6} kernel 3 padding same activation relu
  maxpool 2
  dense units 16 activation {relu, tanh, elu}
  dense units 3
}

train {
  optimizer adam lr 0.01
  loss softmax_ce
  batch 16
  steps 300
  checkpoints 6
  seed 7
  checkpoint_every "1"
}

metrics {
  accuracy
  select max accuracy
}

slurm {
  cpus 1
  throttle 2
}
"""
POINTS = [f"model-{i}" for i in range(6)]
MAX_ARRAY = 4
LONG_STEPS = 40000  # a few seconds per point: long enough to interrupt one mid-training


# ------------------------------------------------------------------ helpers

class Ctx:
    def __init__(self, a):
        self.hpsgen = os.path.abspath(a.hpsgen)
        self.build = os.path.abspath(a.build)
        self.state = os.path.join(self.build, "cluster")
        self.work = os.path.join(self.build, "work")
        self.study = os.path.join(self.work, "out", "tiny")
        self.env = dict(os.environ, SLURM_CONF=os.path.join(self.state, "etc", "slurm.conf"))
        self.env["PATH"] = self.env.get("PATH", "") + ":/usr/sbin"


T0 = time.time()


def log(*a):
    print(f"[{time.time() - T0:6.1f}]", *a, flush=True)


def run(ctx, cmd, check_rc=None, **kw):
    log("$", " ".join(map(str, cmd)))
    r = subprocess.run(cmd, text=True, capture_output=True, env=ctx.env, **kw)
    if r.stdout.strip():
        log(r.stdout.rstrip())
    if r.stderr.strip():
        log(r.stderr.rstrip())
    if check_rc is not None and r.returncode != check_rc:
        fail(f"{cmd[0]} {cmd[1] if len(cmd) > 1 else ''} exited {r.returncode}, expected {check_rc}")
    return r


def fail(what):
    log("FAILED:", what)
    sys.exit(1)


def check(cond, what):
    if not cond:
        fail(what)
    log("ok:", what)


def skip_if_no_cluster(ctx):
    reason_file = os.path.join(ctx.work, "SKIP")
    if os.path.exists(reason_file):
        log("SKIPPED:", open(reason_file).read().strip())
        sys.exit(SKIP)
    if not os.path.exists(os.path.join(ctx.work, "READY")):
        fail("the Slurm test cluster is not set up: the generator.slurm.setup test failed or did not run "
             "(ctest runs it first as a fixture; see its output)")


def read_jobs(ctx):
    with open(os.path.join(ctx.study, "slurm", "jobs.tsv")) as f:
        return list(csv.DictReader(f, delimiter="\t"))


def wait_for_jobs(ctx, jobs, timeout=240):
    """Polls squeue every 0.5 s (sbatch --wait polls far slower) until none of `jobs` is left."""
    start = time.time()
    ids = ",".join(jobs)
    while time.time() - start < timeout:
        r = subprocess.run(["squeue", "-h", "-r", "-j", ids, "-o", "%i %T"], text=True, capture_output=True, env=ctx.env)
        if r.returncode != 0 and "Invalid job id" not in r.stderr:
            fail("squeue: " + r.stderr)
        if not r.stdout.strip():
            log(f"jobs {ids} ended after {time.time() - start:.1f} s")
            return
        time.sleep(0.5)
    run(ctx, ["squeue", "-r"])
    fail(f"jobs {ids} still queued after {timeout} s")


def wait_for_file(path, timeout=120):
    start = time.time()
    while time.time() - start < timeout:
        if os.path.exists(path):
            return
        time.sleep(0.05)
    fail(f"{path} did not appear in {timeout} s")


def task_log(ctx, job, task):
    return os.path.join(ctx.study, "logs", f"hps-tiny-{job}_{task}.out")


def point(ctx, name):
    """A point's row of grid.tsv: its trainer (net-<signature>) and identity among them."""
    with open(os.path.join(ctx.study, "grid.tsv")) as f:
        return next(row for row in csv.DictReader(f, delimiter="\t") if row["name"] == name)


def run_path(ctx, name, *parts):
    """A file of a point's run folder, results/<identity>/ (runs/<name> links there)."""
    return os.path.join(ctx.study, "results", point(ctx, name)["identity"], *parts)


def result(ctx, name):
    with open(run_path(ctx, name, "result.json")) as f:
        return json.load(f)


def status_rows(ctx):
    r = run(ctx, [ctx.hpsgen, "status", ctx.study, "--format", "tsv"], check_rc=0)
    return {row["point"]: row for row in csv.DictReader(r.stdout.splitlines(), delimiter="\t")}


def fresh_runs(ctx):
    for d in ["results", "slurm", "ref"]:
        shutil.rmtree(os.path.join(ctx.study, d), ignore_errors=True)
    for f in os.listdir(os.path.join(ctx.study, "logs")):
        if f.endswith(".out"):
            os.remove(os.path.join(ctx.study, "logs", f))
    for f in ["report.csv", "report.md"]:
        if os.path.exists(os.path.join(ctx.study, f)):
            os.remove(os.path.join(ctx.study, f))


def make_data(n, seed):
    """Three classes of 8x8 images: a bright row, a bright column, or a bright diagonal."""
    import numpy as np
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


def check_uninterrupted(ctx, name):
    """A point trained with --steps LONG_STEPS, interrupted and resumed, against an
    uninterrupted run of the same trainer: metrics.csv (elapsed_s aside), best.npz, the best."""
    import numpy as np
    ref = os.path.join("ref", name)
    run(ctx, [os.path.join(ctx.study, "build", "bin", point(ctx, name)["trainer"]), "--settings",
              f"settings/{name}.json", "--run-dir", ref, "--steps", str(LONG_STEPS),
              "--threads", "1", "--quiet"], cwd=ctx.study, check_rc=0)
    strip = lambda rows: [{k: v for k, v in row.items() if k != "elapsed_s"} for row in rows]
    with open(os.path.join(ctx.study, ref, "metrics.csv")) as f:
        want = strip(list(csv.DictReader(f)))
    with open(run_path(ctx, name, "metrics.csv")) as f:
        got = strip(list(csv.DictReader(f)))
    check(got == want, f"{name}: metrics.csv equals an uninterrupted run's (elapsed_s aside)")
    wa = np.load(os.path.join(ctx.study, ref, "best.npz"))
    wb = np.load(run_path(ctx, name, "best.npz"))
    check(sorted(wa.files) == sorted(wb.files) and all(np.array_equal(wa[k], wb[k]) for k in wa.files),
          f"{name}: best.npz equals an uninterrupted run's, bit for bit")
    check(result(ctx, name)["best"] == json.load(open(os.path.join(ctx.study, ref, "result.json")))["best"],
          f"{name}: result.json's best checkpoint too")


def trainer_pid(ctx, name, timeout=60):
    """The pid of the trainer of point `name` that a task of this study started: its working
    folder is the study folder (other tests on the machine run trainers of points with the
    same names), its command line names settings/<name>.json and a trainer of build/bin."""
    start = time.time()
    want = f"settings/{name}.json".encode()
    study = os.path.realpath(ctx.study)
    while time.time() - start < timeout:
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    argv = f.read().split(b"\0")
                if want not in argv or b"--calibrate" in argv or os.readlink(f"/proc/{pid}/cwd") != study:
                    continue
                exe = os.path.realpath(os.path.join(study, argv[0].decode()))
            except OSError:
                continue
            if exe.startswith(os.path.join(study, "build", "bin") + os.sep):
                return int(pid)
        time.sleep(0.05)
    fail(f"no trainer of {name} running after {timeout} s")


# ------------------------------------------------------------------ setup / teardown

def setup(ctx):
    shutil.rmtree(ctx.work, ignore_errors=True)
    os.makedirs(os.path.join(ctx.work, "data"))
    ci = os.environ.get("CI", "").lower() == "true"
    why = None
    if os.environ.get("HPS_SKIP_SLURM") == "1":
        why = "HPS_SKIP_SLURM=1 asks to skip the tests on a real Slurm cluster"
    elif os.geteuid() != 0:
        why = "the test cluster needs root (SlurmUser=root, munged); run the tests as root"
    else:
        missing = [b for b in ["munged", "slurmctld", "slurmd", "sbatch", "squeue", "scontrol"]
                   if not shutil.which(b, path=ctx.env["PATH"])]
        if missing:
            why = ("Slurm is not installed (" + ", ".join(missing) + " missing): "
                   "scripts/install-deps.sh --test installs slurmctld, slurmd, slurm-client and munge")
    if why:
        if ci:
            fail("CI=true, and the Slurm tests cannot run: " + why)
        open(os.path.join(ctx.work, "SKIP"), "w").write(why + "\n")
        log("SKIPPED:", why)
        sys.exit(SKIP)

    t0 = time.time()
    r = run(ctx, [CLUSTER_SH, "start", ctx.state, "--max-array-size", str(MAX_ARRAY)])
    if r.returncode != 0:
        fail("the test cluster did not start (see above and " + os.path.join(ctx.state, "log") + ")")
    log(f"cluster up in {time.time() - t0:.1f} s")

    import numpy as np
    x, y = make_data(480, 1)
    np.savez(os.path.join(ctx.work, "data/train.npz"), x=x, y=y)
    x, y = make_data(100, 2)
    np.savez(os.path.join(ctx.work, "data/validation.npz"), x=x, y=y)
    with open(os.path.join(ctx.work, "tiny.hps"), "w") as f:
        f.write(SPEC)
    run(ctx, [ctx.hpsgen, "generate", "tiny.hps", "-o", "out/tiny"], cwd=ctx.work, check_rc=0)
    for f in ["submit.sbatch", "report.sbatch", "logs/README"]:
        check(os.path.exists(os.path.join(ctx.study, f)), "generate wrote " + f)
    # The cases test Slurm, not the optimiser: configure the study's build with -O1, which
    # compiles in about half the time of Release's -O3 (hpsgen's build step configures only
    # a folder that has no CMakeCache.txt, so it keeps this), then build once for all cases.
    t0 = time.time()
    run(ctx, ["cmake", "-S", ctx.study, "-B", os.path.join(ctx.study, "build"), "-DCMAKE_BUILD_TYPE=Release",
              "-DCMAKE_CXX_FLAGS_RELEASE=-O1 -DNDEBUG"], check_rc=0)
    run(ctx, [ctx.hpsgen, "run", ctx.study, "--build-only"], check_rc=0)
    log(f"built 6 trainers in {time.time() - t0:.1f} s")
    open(os.path.join(ctx.work, "READY"), "w").write("ok\n")


def teardown(ctx):
    if not os.path.exists(os.path.join(ctx.state, "etc")):
        log("no test cluster to stop")
        return
    r = run(ctx, [CLUSTER_SH, "stop", ctx.state])
    if r.returncode != 0:
        fail("the test cluster did not stop cleanly")
    for d in ["munged", "slurmctld", "slurmd"]:
        check(not os.path.exists(os.path.join(ctx.state, "run", d + ".pid")), d + " stopped")


# ------------------------------------------------------------------ cases

def case_submit(ctx):
    skip_if_no_cluster(ctx)
    fresh_runs(ctx)
    t0 = time.time()
    r = run(ctx, [ctx.hpsgen, "submit", ctx.study, "--steps", str(LONG_STEPS)], check_rc=0)
    check("2 arrays" in r.stdout and "MaxArraySize 4" in r.stdout,
          "6 points over MaxArraySize 4: split into 2 arrays")
    jobs = read_jobs(ctx)
    arrays = [j for j in jobs if j["kind"] == "array"]
    reports = [j for j in jobs if j["kind"] == "report"]
    check([(j["first"], j["tasks"]) for j in arrays] == [("0", "0-3"), ("4", "0-1")],
          "slurm/jobs.tsv: array 1 has tasks 0-3 from point 0, array 2 tasks 0-1 from point 4")
    check(len(reports) == 1, "slurm/jobs.tsv: one report job")
    a = arrays[0]["job"]

    # a task warned of its time limit (SIGUSR1 to the batch shell only, as --signal=B:USR1@N)
    # (scancel returns only once the signalled job has gone on, about 10 s later here:
    # it runs beside the rest of the case)
    wait_for_file(run_path(ctx, "model-0", "metrics.csv"))
    log(f"$ scancel --batch --signal=USR1 {a}_0 &")
    warn = subprocess.Popen(["scancel", "--batch", "--signal=USR1", f"{a}_0"], env=ctx.env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    # a task requeued by Slurm (SIGTERM to every process of the job, as preemption does)
    wait_for_file(run_path(ctx, "model-1", "metrics.csv"))
    run(ctx, ["scontrol", "requeue", f"{a}_1"], check_rc=0)
    mid = run(ctx, [ctx.hpsgen, "status", ctx.study], check_rc=0)
    check(mid.stdout.startswith("study tiny, 6 points: "), "status starts with its one-line summary")

    wait_for_jobs(ctx, [j["job"] for j in jobs])
    # scancel's own status is not the point (it may report the job it signalled as gone
    # by the time it answers); the task's log below shows what the signal did
    out = warn.communicate(timeout=60)[0]
    log(f"scancel --batch --signal=USR1 ended {warn.returncode} {out.strip()}")
    log(f"the whole study ran in {time.time() - t0:.1f} s")
    for name in POINTS:
        check(result(ctx, name)["status"] == "done", f"{name}: result.json says done")
        check(not os.path.exists(run_path(ctx, name, "resume.bin")), f"{name}: no resume.bin left")

    log0 = open(task_log(ctx, a, 0)).read()
    check("stopped by signal 10" in log0, "model-0: the trainer got the SIGUSR1 the batch shell passed on")
    check("requeueing job" in log0 and "restart 1" in log0, "model-0: the task requeued itself and restarted")
    m = re.search(r"resuming at step (\d+) of (\d+)", log0)
    check(m and 0 < int(m.group(1)) < int(m.group(2)), "model-0: resumed mid-training" + (f" (step {m.group(1)})" if m else ""))
    log1 = open(task_log(ctx, a, 1)).read()
    check("stopped by SIGTERM" in log1 and "restart 1" in log1, "model-1: SIGTERM from the requeue, restarted by Slurm")
    m = re.search(r"resuming at step (\d+) of (\d+)", log1)
    check(m and 0 < int(m.group(1)) < int(m.group(2)), "model-1: resumed mid-training" + (f" (step {m.group(1)})" if m else ""))

    report_log = os.path.join(ctx.study, "logs", f"hps-tiny-report-{reports[0]['job']}.out")
    check(os.path.exists(report_log), "the report job wrote its log")
    with open(os.path.join(ctx.study, "report.csv")) as f:
        check(len(list(csv.DictReader(f))) == 6, "the report job ranked all 6 points (report.csv)")

    r = run(ctx, [ctx.hpsgen, "status", ctx.study], check_rc=0)
    check(r.stdout.splitlines()[0] == "study tiny, 6 points: 6 done, 0 running, 0 pending, 0 failed",
          "hpsgen status: 6 done")
    check(f"report: job {reports[0]['job']} done" in r.stdout, "hpsgen status: the report job is done")
    rows = status_rows(ctx)
    check(all(rows[n]["state"] == "done" and rows[n]["detail"].startswith("accuracy ") for n in POINTS),
          "hpsgen status: every point done, with its selection metric")

    # the interrupted points against uninterrupted runs of the same trainers
    for name in ["model-0", "model-1"]:
        check_uninterrupted(ctx, name)

    r = run(ctx, [ctx.hpsgen, "submit", ctx.study, "--steps", str(LONG_STEPS)], check_rc=0)
    check("nothing to submit" in r.stdout and len(read_jobs(ctx)) == len(jobs),
          "submitting again submits nothing: finished points are never resubmitted")
    # those runs had --steps: they do not stand in for the spec's training
    r = run(ctx, [ctx.hpsgen, "submit", ctx.study, "--dry-run"], check_rc=0)
    check("0 finished, 6 to submit" in r.stdout and len(read_jobs(ctx)) == len(jobs),
          "without --steps, the quick runs are not the spec's: 6 to submit (a dry run submits nothing)")


def case_retry(ctx):
    skip_if_no_cluster(ctx)
    # every point finished with the spec's settings (submit's were runs with --steps)
    if not all(os.path.exists(run_path(ctx, n, "result.json")) and result(ctx, n)["overrides"] == "" for n in POINTS):
        fresh_runs(ctx)
        run(ctx, [ctx.hpsgen, "submit", ctx.study, "--no-report"], check_rc=0)
        wait_for_jobs(ctx, [j["job"] for j in read_jobs(ctx)])
    shutil.rmtree(run_path(ctx, "model-3"))
    train = os.path.join(ctx.work, "data", "train.npz")
    os.rename(train, train + ".away")
    try:
        before = len(read_jobs(ctx))
        # past the data check, which would refuse to submit: the failure on the node is the test
        r = run(ctx, [ctx.hpsgen, "submit", ctx.study, "--no-report", "--no-data-check"], check_rc=0)
        check("1 to submit" in r.stdout, "only the unfinished point is submitted")
        new = read_jobs(ctx)[before:]
        check(len(new) == 1 and new[0]["tasks"] == "3" and new[0]["first"] == "0",
              "jobs.tsv: an array with the one index 3 (--array=3)")
        wait_for_jobs(ctx, [new[0]["job"]])
    finally:
        os.rename(train + ".away", train)
    rows = status_rows(ctx)
    row = rows["model-3"]
    check(row["state"] == "failed", "hpsgen status: model-3 failed")
    check("train.npz" in row["detail"] and "cannot open" in row["detail"],
          "hpsgen status gives the reason: " + row["detail"])
    check(row["log"].endswith(f"hps-tiny-{new[0]['job']}_3.out") and os.path.exists(row["log"]),
          "hpsgen status names the task's log: " + row["log"])
    check(all(rows[n]["state"] == "done" for n in POINTS if n != "model-3"), "hpsgen status: the others are done")
    r = run(ctx, [ctx.hpsgen, "status", ctx.study], check_rc=0)
    check(r.stdout.splitlines()[0].endswith("5 done, 0 running, 0 pending, 1 failed"), "the summary counts it")
    check("hpsgen submit --retry" in r.stdout, "and says how to retry")

    r = run(ctx, [ctx.hpsgen, "submit", ctx.study], check_rc=0)
    check("nothing to submit" in r.stdout and "--retry" in r.stdout, "without --retry a failed point is left alone")

    before = len(read_jobs(ctx))
    # the task configures build/node-<cpu> itself: -O1 as in setup (HPS_CMAKE_ARGS reaches it
    # through sbatch's --export=ALL)
    ctx.env["HPS_CMAKE_ARGS"] = "-DCMAKE_CXX_FLAGS_RELEASE=-O1"
    r = run(ctx, [ctx.hpsgen, "submit", ctx.study, "--retry", "--build", "node"], check_rc=0)
    del ctx.env["HPS_CMAKE_ARGS"]
    new = read_jobs(ctx)[before:]
    arrays = [j for j in new if j["kind"] == "array"]
    check(len(arrays) == 1 and arrays[0]["tasks"] == "3" and arrays[0]["build"] == "node",
          "--retry resubmits model-3 and only it (--array=3), built on the node")
    check(len([j for j in new if j["kind"] == "report"]) == 1, "with a report job after it")
    wait_for_jobs(ctx, [j["job"] for j in new])
    check(result(ctx, "model-3")["status"] == "done", "model-3 is done after the retry")
    out = open(task_log(ctx, arrays[0]["job"], 3)).read()
    check("building build/node-" in out, "the task built model-3 on its node (build/node-<cpu>)")
    node_dirs = [d for d in os.listdir(os.path.join(ctx.study, "build")) if d.startswith("node-")]
    t3 = point(ctx, "model-3")["trainer"]
    check(len(node_dirs) == 1 and os.path.exists(os.path.join(ctx.study, "build", node_dirs[0], "bin", t3)),
          "build/" + (node_dirs[0] if node_dirs else "node-?") + f"/bin/{t3} (model-3's trainer) exists")
    r = run(ctx, [ctx.hpsgen, "status", ctx.study], check_rc=0)
    check(r.stdout.splitlines()[0] == "study tiny, 6 points: 6 done, 0 running, 0 pending, 0 failed",
          "hpsgen status: 6 done")


def case_failures(ctx):
    skip_if_no_cluster(ctx)
    fresh_runs(ctx)
    steps = ["--steps", str(LONG_STEPS), "--no-report"]
    first = 0  # fresh_runs removed slurm/jobs.tsv
    # model-2: a 1-minute limit, its trainer held stopped once it has saved (the limit's
    # SIGCONT + SIGTERM wake it; it saves and exits 75, and Slurm says TIMEOUT)
    r = run(ctx, [ctx.hpsgen, "submit", ctx.study, "--points", "model-2", "--time", "1"] + steps, check_rc=0)
    check("1 point chosen" in r.stdout and "--time=1" in r.stdout, "--points model-2 --time 1: one array, --time=1")
    wait_for_file(run_path(ctx, "model-2", "resume.bin"))
    stopped = trainer_pid(ctx, "model-2")
    os.kill(stopped, 19)  # SIGSTOP
    log(f"model-2's trainer {stopped} stopped")
    # model-0: SIGKILL mid-training, after a periodic save
    run(ctx, [ctx.hpsgen, "submit", ctx.study, "--points", "0"] + steps, check_rc=0)
    wait_for_file(run_path(ctx, "model-0", "resume.bin"))
    os.kill(trainer_pid(ctx, "model-0"), 9)
    log("model-0's trainer killed (SIGKILL)")
    # model-1: 4 MiB for the batch shell and a trainer of 5 MiB: the cluster kills the step
    run(ctx, [ctx.hpsgen, "submit", ctx.study, "--points", "model-1", "--mem", "4M"] + steps, check_rc=0)
    jobs = read_jobs(ctx)[first:]
    log("jobs.tsv:", [(j["tasks"], j["mem"], j["time"]) for j in jobs])
    check([j["tasks"] for j in jobs] == ["2", "0", "1"], "jobs.tsv: one array a point (--points)")
    check(jobs[0]["time"] == "1" and jobs[2]["mem"] == "4M", "jobs.tsv records --time 1 and --mem 4M")
    check(re.fullmatch(r"\d+M", jobs[1]["mem"]) and re.fullmatch(r"00:\d\d:00", jobs[1]["time"]),
          "model-0's array asks its estimate and its calibrated time")
    wait_for_jobs(ctx, [j["job"] for j in jobs], timeout=200)

    rows = status_rows(ctx)
    for name in ["model-0", "model-1", "model-2"]:
        log(f"status {name}: {rows[name]['state']} | {rows[name]['reason']} | {rows[name]['detail']}")
    check(rows["model-1"]["reason"] == "OUT_OF_MEMORY" and "--mem=4M" in rows["model-1"]["detail"],
          "hpsgen status: model-1 ran out of memory, with its --mem=4M")
    check(rows["model-2"]["reason"] == "TIMEOUT" and rows["model-2"]["state"] == "interrupted"
          and "--time=1" in rows["model-2"]["detail"] and "resume.bin saved" in rows["model-2"]["detail"],
          "hpsgen status: model-2 ran out of time (--time=1), resume.bin saved")
    check(rows["model-0"]["state"] == "interrupted" and "exit 137" in rows["model-0"]["detail"],
          "hpsgen status: model-0 was killed (exit 137) and can resume")
    out = open(task_log(ctx, jobs[0]["job"], 2)).read()
    check("DUE TO TIME LIMIT" in out and "stopped by" in out, "model-2's log: Slurm's time limit, and the trainer saved")

    r = run(ctx, [ctx.hpsgen, "submit", ctx.study, "--retry", "--retry-factor", "20", "--points", "0-2"] + steps,
            check_rc=0)
    check("model-1: its task" in r.stdout and "now --mem=80M" in r.stdout, "--retry: model-1 gets 20 x 4M")
    check("model-2: its task" in r.stdout and "now --time=00:20:00" in r.stdout, "--retry: model-2 gets 20 x 1 min")
    check("3 resource classes" in r.stdout, "three classes, three arrays")
    retried = read_jobs(ctx)[first + 3:]
    by_task = {j["tasks"]: j for j in retried}
    check(sorted(by_task) == ["0", "1", "2"] and by_task["1"]["mem"] == "80M" and by_task["2"]["time"] == "00:20:00"
          and by_task["0"]["mem"] == jobs[1]["mem"], "jobs.tsv: each array with its class's request")
    wait_for_jobs(ctx, [j["job"] for j in retried])
    for name in ["model-0", "model-1", "model-2"]:
        check(result(ctx, name)["status"] == "done", f"{name} is done after the retry")
    # the calibration that gave --time against the training: model-0's 40000 steps of 16 and
    # 6 evaluations of 100 samples (7 batches each), before and after its kill
    with open(os.path.join(ctx.study, "build", "calibration.tsv")) as f:
        calibration = {row["trainer"]: row for row in csv.DictReader(f, delimiter="\t")}
    c = calibration[point(ctx, "model-0")["trainer"]]
    predicted = LONG_STEPS * float(c["step_s"]) + 6 * 7 * float(c["eval_batch_s"])
    took = result(ctx, "model-0")["wall_seconds"]
    log(f"model-0: trained in {took:.2f} s, calibrated {predicted:.2f} s")
    # a factor of 5: the machine is shared, and a step of this tiny network (50 us) leaves out
    # what a calibration does not time (the batch's assembly, saves, progress): 2.5 x measured
    check(predicted / 5 < took < predicted * 5, "model-0's training time is its calibrated time, within a factor of 5")
    for name, task in [("model-0", "0"), ("model-2", "2")]:
        out = open(task_log(ctx, by_task[task]["job"], int(task))).read()
        m = re.search(r"resuming at step (\d+) of (\d+)", out)
        check(m and 0 < int(m.group(1)) < int(m.group(2)), f"{name} resumed mid-training from its resume.bin"
              + (f" (step {m.group(1)})" if m else ""))
        check_uninterrupted(ctx, name)


def case_chunk(ctx):
    skip_if_no_cluster(ctx)
    fresh_runs(ctx)
    t5 = point(ctx, "model-5")["trainer"]  # model-5's network is its own: no other point needs it
    missing = os.path.join(ctx.study, "build", "bin", t5)
    if os.path.exists(missing):
        os.remove(missing)
    # one resource class: no calibrated --time, and every task the memory of the one that
    # builds model-5's trainer (the compiler's)
    r = run(ctx, [ctx.hpsgen, "submit", ctx.study, "--chunk", "4", "--no-build", "--no-report", "--steps", "200",
                  "--no-calibrate", "--mem", "1G"], check_rc=0)
    check("1 array" in r.stdout and "4 points per task" in r.stdout, "--chunk 4: one array")
    jobs = read_jobs(ctx)
    check(len(jobs) == 1 and jobs[0]["tasks"] == "0-1" and jobs[0]["chunk"] == "4", "of 2 tasks (--array=0-1)")
    wait_for_jobs(ctx, [jobs[0]["job"]])
    for name in POINTS:
        check(result(ctx, name)["status"] == "done", f"{name}: done")
    out0 = open(task_log(ctx, jobs[0]["job"], 0)).read()
    order = [m.group(1) for m in re.finditer(r"\[hps\] (model-\d): start", out0)]
    check(order == ["model-0", "model-1", "model-2", "model-3"], "task 0 trained points 0-3 one after another")
    out1 = open(task_log(ctx, jobs[0]["job"], 1)).read()
    check(f"{t5}: building build/bin/{t5}" in out1 and os.path.exists(missing),
          "task 1 built model-5's missing trainer before training it")

    # side by side: chunks of 3 trained at once, the task's cpus shared
    fresh_runs(ctx)
    r = run(ctx, [ctx.hpsgen, "submit", ctx.study, "--chunk", "3", "--packing", "side_by_side", "--no-build",
                  "--no-report", "--steps", "200"], check_rc=0)
    check("3 points per task side by side" in r.stdout, "--chunk 3 --packing side_by_side")
    jobs = read_jobs(ctx)
    check(len(jobs) == 1 and jobs[0]["tasks"] == "0-1", "one array of 2 tasks")
    wait_for_jobs(ctx, [jobs[0]["job"]])
    for name in POINTS:
        check(result(ctx, name)["status"] == "done", f"{name}: done")
    out0 = open(task_log(ctx, jobs[0]["job"], 0)).read()
    check(re.search(r"side by side: model-0 model-1 model-2 \(1 thread each of \d+ cpus?\)", out0),
          "task 0 started points 0-2 together, one thread each")
    first_exit = out0.find(": exit ")
    check(first_exit > 0 and all(0 <= out0.find(f"[model-{i}] data:") < first_exit for i in range(3)),
          "all three were training before the first of them ended")


# the study's network with one point, trained as 2 MPI ranks
RANKS_SPEC = (SPEC.replace('study tiny "hpsgen\'s Slurm test study"', 'study ranks "hpsgen\'s Slurm test study, 2 ranks"')
              .replace("filters {4, 6}", "filters 4").replace("{relu, tanh, elu}", "tanh")
              .replace("throttle 2", "ranks 2"))


def case_ranks(ctx):
    skip_if_no_cluster(ctx)
    if not shutil.which("mpirun"):
        why = "OpenMPI is not installed (scripts/install-deps.sh --test installs libopenmpi-dev and openmpi-bin)"
        if os.environ.get("CI", "").lower() == "true":
            fail("CI=true, and the ranks case cannot run: " + why)
        log("SKIPPED:", why)
        sys.exit(SKIP)
    study, local = halving_study(ctx, "ranks", RANKS_SPEC)
    steps = 6000
    name = "model-0"
    with open(os.path.join(study, "grid.tsv")) as f:
        identity = next(csv.DictReader(f, delimiter="\t"))["identity"]
    run_dir = os.path.join(study, "results", identity)
    r = run(ctx, [ctx.hpsgen, "submit", study, "--steps", str(steps), "--no-report", "--no-calibrate", "--mem", "1G"],
            check_rc=0)
    with open(os.path.join(study, "slurm", "jobs.tsv")) as f:
        job = next(csv.DictReader(f, delimiter="\t"))["job"]
    sbatch = open(os.path.join(study, "submit.sbatch")).read()
    check("#SBATCH --ntasks=2" in sbatch, "submit.sbatch asks for 2 tasks")
    # --mem is a rank's: asked per cpu (1 cpu a rank), so the node gives the two ranks 1G each
    shown = run(ctx, ["scontrol", "show", "job", job], check_rc=0).stdout
    check("--mem-per-cpu=1G" in r.stdout and "MinMemoryCPU=1G" in shown,
          "a rank's --mem 1G, asked as --mem-per-cpu=1G")
    wait_for_file(os.path.join(run_dir, "metrics.csv"))
    run(ctx, ["scontrol", "requeue", f"{job}_0"], check_rc=0)
    wait_for_jobs(ctx, [job])
    log_text = open(os.path.join(study, "logs", f"hps-ranks-{job}_0.out")).read()
    check(json.load(open(os.path.join(run_dir, "result.json")))["status"] == "done", "the 2-rank point is done")
    check("stopped by signal 15" in log_text and "restart 1" in log_text,
          "SIGTERM from the requeue stopped the ranks; Slurm restarted the job")
    m = re.search(r"resuming at step (\d+) of (\d+)", log_text)
    check(m and 0 < int(m.group(1)) < steps, "resumed mid-training" + (f" (step {m.group(1)})" if m else ""))
    check(log_text.count("2 ranks: ") == 1 and log_text.count("[model-0] done") == 1,
          "trained as 2 ranks; rank 0 alone prints")

    # the same point, uninterrupted, with hpsgen run (mpirun -n 2)
    r = run(ctx, [ctx.hpsgen, "run", local, "--steps", str(steps), "--no-build"], check_rc=0)
    local_dir = os.path.join(local, "results", identity)
    strip = lambda path: [line.rsplit(",", 1)[0] for line in open(path)]
    check(strip(os.path.join(run_dir, "metrics.csv")) == strip(os.path.join(local_dir, "metrics.csv")),
          "srun's interrupted run equals mpirun's uninterrupted one: metrics.csv (elapsed_s aside)")
    import numpy as np
    wa, wb = np.load(os.path.join(run_dir, "best.npz")), np.load(os.path.join(local_dir, "best.npz"))
    check(all(np.array_equal(wa[k], wb[k]) for k in wa.files), "and best.npz, bit for bit")

    # a rank killed: srun ends the other, the task fails
    shutil.rmtree(os.path.join(study, "results"))
    r = run(ctx, [ctx.hpsgen, "submit", study, "--steps", "10000000", "--no-report", "--no-calibrate", "--mem", "1G"],
            check_rc=0)
    with open(os.path.join(study, "slurm", "jobs.tsv")) as f:
        job = list(csv.DictReader(f, delimiter="\t"))[-1]["job"]
    wait_for_file(os.path.join(run_dir, "model.py"))
    pids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            argv = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")
            if f"settings/{name}.json".encode() in argv and os.readlink(f"/proc/{pid}/cwd") == os.path.realpath(study) \
                    and b"srun" not in argv[0]:
                pids.append(int(pid))
        except OSError:
            pass
    check(len(pids) == 2, "two ranks running under srun")
    t0 = time.time()
    os.kill(max(pids), signal.SIGKILL)
    wait_for_jobs(ctx, [job], timeout=60)
    log_text = open(os.path.join(study, "logs", f"hps-ranks-{job}_0.out")).read()
    check(re.search(r"\[hps\] model-0: exit \d+ \(failed", log_text) is not None,
          f"a rank SIGKILLed: the task ends in {time.time() - t0:.1f} s, the point failed (its log says so)")
    check(all(not os.path.exists(f"/proc/{p}") for p in pids), "no rank left running")


def halving_spec():
    """tests/examples/search_test.py's 9-point halving study (one trainer), with a slurm block."""
    sys.path.insert(0, os.path.join(ROOT, "tests", "examples"))
    from search_test import SPEC
    return SPEC + '\nslurm {\n  cpus 1\n  mem "200M"\n  time "00:10:00"\n}\n'


def index_list(text):
    """Slurm's "0-3,7" as [0, 1, 2, 3, 7]."""
    out = []
    for item in text.split(","):
        lo, _, hi = item.partition("-")
        out += range(int(lo), int(hi or lo) + 1)
    return out


def halving_study(ctx, name, text):
    """Generates the study `text` into out/NAME, builds its trainer at -O1 and copies it to
    out/NAME-local (for hpsgen run); returns both folders."""
    study = os.path.join(ctx.work, "out", name)
    local = os.path.join(ctx.work, "out", name + "-local")
    for d in [study, local]:
        shutil.rmtree(d, ignore_errors=True)
    spec = os.path.join(ctx.work, name + ".hps")
    with open(spec, "w") as f:
        f.write(text)
    run(ctx, [ctx.hpsgen, "generate", spec, "-o", study], cwd=ctx.work, check_rc=0)
    t0 = time.time()
    run(ctx, ["cmake", "-S", study, "-B", os.path.join(study, "build"), "-DCMAKE_BUILD_TYPE=Release",
              "-DCMAKE_CXX_FLAGS_RELEASE=-O1 -DNDEBUG"], check_rc=0)
    run(ctx, [ctx.hpsgen, "run", study, "--build-only"], check_rc=0)
    log(f"built the trainer in {time.time() - t0:.1f} s")
    shutil.copytree(study, local, symlinks=True)
    return study, local


def case_halving(ctx):
    skip_if_no_cluster(ctx)
    study, local = halving_study(ctx, "halving", halving_spec())

    # the first promotion will fail: rung 2's point list cannot be written (a folder is in
    # its way), as on a full disk
    blocker = os.path.join(study, "slurm", "rung-2.points", "in-the-way")
    os.makedirs(blocker)
    t0 = time.time()
    r = run(ctx, [ctx.hpsgen, "submit", study, "--no-build"], check_rc=0)
    check("rung 1 of 3" in r.stdout, "submit: rung 1 of 3 and its promotion job")
    jobs_tsv = os.path.join(study, "slurm", "jobs.tsv")
    jobs = list(csv.DictReader(open(jobs_tsv), delimiter="\t"))
    check([(j["kind"], j["first"], j["tasks"]) for j in jobs] ==
          [("rung", "0", "0-3"), ("rung", "0", "4-7"), ("rung", "0", "8"), ("promote", "0", "-")],
          "jobs.tsv: rung 1 as 3 arrays (MaxArraySize 4) of points 0-3, 4-7, 8, then one promotion job")
    check(open(os.path.join(study, "slurm", "rung-1.points")).read() == "".join(f"{i}\n" for i in range(9)),
          "slurm/rung-1.points lists the 9 points")
    r = run(ctx, [ctx.hpsgen, "submit", study, "--no-build"], check_rc=0)
    check("rungs are submitted" in r.stdout and len(open(jobs_tsv).read().splitlines()) == len(jobs) + 1,
          "submitting again submits nothing")
    # (a moment after the submission, rung 1 is still queued or training)
    r = run(ctx, [ctx.hpsgen, "promote", study, "--rung", "1"], check_rc=1)
    check("still training" in r.stderr and len(open(jobs_tsv).read().splitlines()) == len(jobs) + 1
          and not os.path.exists(os.path.join(study, "halving.json")),
          "hpsgen promote by hand while rung 1 trains: refused, nothing ranked or submitted")

    # the failed promotion, then the same by hand once the cause is gone
    promote = jobs[3]["job"]
    wait_for_jobs(ctx, [j["job"] for j in jobs])
    promote_log = open(os.path.join(study, "logs", f"hps-halving-promote-{promote}.out")).read()
    check("rung-2.points" in promote_log and f"hpsgen promote {study} --rung 1" in promote_log,
          "the promotion job failed, saying why and what to run again: " + promote_log.strip().splitlines()[-1])
    check(len(open(jobs_tsv).read().splitlines()) == len(jobs) + 1, "it submitted nothing")
    r = run(ctx, [ctx.hpsgen, "status", study], check_rc=0)
    check("rung 1 of 3 (40 steps): 9 points, job " in r.stdout and "; ranked, on to rung 2: " in r.stdout,
          "hpsgen status: rung 1 done and ranked (halving.json), its survivors named")
    check(f"promotion after rung 1: job {promote} failed; run it again with: hpsgen promote {study} --rung 1" in r.stdout,
          "hpsgen status: the failed promotion, and how to run it again")
    check(r.stdout.splitlines()[0].endswith("0 failed, 3 paused, 6 halved"),
          "hpsgen status: the 3 promoted points paused, the 6 others halved")
    shutil.rmtree(os.path.dirname(blocker))
    r = run(ctx, [ctx.hpsgen, "promote", study, "--rung", "1"], check_rc=0)
    check("3 go on to 120 steps" in r.stdout, "hpsgen promote --rung 1 by hand: 3 go on to rung 2")

    # the chain goes on: wait for the report job the last promotion submits, and for it to end
    mid_status = None
    start = time.time()
    while True:
        jobs = list(csv.DictReader(open(jobs_tsv), delimiter="\t"))
        if mid_status is None and any(j["kind"] == "rung" and j["first"] == "1" for j in jobs):
            mid_status = run(ctx, [ctx.hpsgen, "status", study], check_rc=0).stdout
        reports = [j for j in jobs if j["kind"] == "report"]
        if reports:
            wait_for_jobs(ctx, [j["job"] for j in jobs])
            break
        if time.time() - start > 300:
            run(ctx, ["squeue", "-r"])
            for f in sorted(os.listdir(os.path.join(study, "logs"))):
                if "promote" in f:
                    log(f, open(os.path.join(study, "logs", f)).read())
            fail("no report job after 300 s: " + str(jobs))
        time.sleep(0.5)
    log(f"the halving study ran on Slurm in {time.time() - t0:.1f} s")
    jobs = list(csv.DictReader(open(jobs_tsv), delimiter="\t"))
    check([(j["kind"], j["first"]) for j in jobs] ==
          [("rung", "0")] * 3 + [("promote", "0"), ("rung", "1"), ("promote", "1"), ("rung", "2"), ("promote", "2"),
                                 ("report", "-")],
          "jobs.tsv: rung 1 (3 arrays), promotion, rung 2, promotion, rung 3, promotion, report")
    state = json.load(open(os.path.join(study, "halving.json")))
    check([r["steps"] for r in state["rungs"]] == [40, 120, 360], "halving.json ranks 3 rungs: 40, 120, 360 steps")
    on = lambda k: sorted(p["id"] for p in state["rungs"][k]["points"] if p["promoted"])
    check(index_list(jobs[4]["tasks"]) == on(0),
          f"rung 2's array trains the 3 points rung 1 promoted ({jobs[4]['tasks']})")
    check(open(os.path.join(study, "slurm", "rung-3.points")).read().split() == [str(i) for i in on(1)],
          "rung 3's point list is rung 2's survivor")
    if mid_status is not None:
        check("rung 2 of 3 (120 steps): 3 points, job " in mid_status and "promotion after rung 1" not in mid_status
              and ("promotion after rung 2: job" in mid_status or "rung 3 of 3" in mid_status),
              "hpsgen status during the study: rung 2, the promotion to come, not the failed one done by hand")
    r = run(ctx, [ctx.hpsgen, "status", study], check_rc=0)
    winner = state["rungs"][2]["points"][0]["name"]
    check("rung 3 of 3 (360 steps): 1 point" in r.stdout and f"best {winner}" in r.stdout,
          "hpsgen status: rung 3 ranked, its best " + winner)
    check(r.stdout.splitlines()[0].endswith("1 done, 0 running, 0 pending, 0 failed, 8 halved"),
          "hpsgen status: 1 done, 8 halved")
    check("promotion after" not in r.stdout, "hpsgen status: no promotion pending")
    check(os.path.exists(os.path.join(study, "report.csv")), "the report job ran (report.csv)")

    # the same study trained locally, by hpsgen run
    r = run(ctx, [ctx.hpsgen, "run", local, "--no-build", "--jobs", "2", "--threads", "1"], check_rc=0)
    check(open(os.path.join(study, "halving.json")).read() == open(os.path.join(local, "halving.json")).read(),
          "halving.json: every rung ranked as hpsgen run ranks it (values, order, survivors)")
    import numpy as np
    strip = lambda rows: [{k: v for k, v in row.items() if k != "elapsed_s"} for row in rows]
    with open(os.path.join(study, "grid.tsv")) as f:
        grid = list(csv.DictReader(f, delimiter="\t"))
    for row in grid:
        a = os.path.join(study, "results", row["identity"])
        b = os.path.join(local, "results", row["identity"])
        ra, rb = json.load(open(os.path.join(a, "result.json"))), json.load(open(os.path.join(b, "result.json")))
        same = (ra["status"], ra["best"], ra.get("halving")) == (rb["status"], rb["best"], rb.get("halving"))
        check(ra.get("halving") is not None, f"{row['name']}: its rung history in result.json")
        same = same and strip(csv.DictReader(open(os.path.join(a, "metrics.csv")))) == \
            strip(csv.DictReader(open(os.path.join(b, "metrics.csv"))))
        wa, wb = np.load(os.path.join(a, "best.npz")), np.load(os.path.join(b, "best.npz"))
        same = same and sorted(wa.files) == sorted(wb.files) and all(np.array_equal(wa[k], wb[k]) for k in wa.files)
        check(same, f"{row['name']} ({ra['status']}): result.json, metrics.csv and best.npz as hpsgen run's")

    # a promotion run again (by hand, as after a failure) ranks the same and submits nothing
    before = (open(jobs_tsv).read(), open(os.path.join(study, "halving.json")).read())
    for rung in ["1", "3"]:
        run(ctx, [ctx.hpsgen, "promote", study, "--rung", rung], check_rc=0)
    check((open(jobs_tsv).read(), open(os.path.join(study, "halving.json")).read()) == before,
          "hpsgen promote again (rungs 1 and 3): the same halving.json, no job submitted")


def case_brackets(ctx):
    skip_if_no_cluster(ctx)
    study, local = halving_study(
        ctx, "brackets", halving_spec().replace("halving eta 3 min_steps 40", "halving eta 3 min_steps 40 brackets 2"))
    bracket_of = json.load(open(os.path.join(study, "study.json")))["search"]["halving"]["bracket_of"]

    t0 = time.time()
    r = run(ctx, [ctx.hpsgen, "submit", study, "--no-build"], check_rc=0)
    check("first rung of each of 2 brackets" in r.stdout, "submit: both brackets' first rungs at once")
    jobs_tsv = os.path.join(study, "slurm", "jobs.tsv")
    jobs = list(csv.DictReader(open(jobs_tsv), delimiter="\t"))
    firsts = [(j["kind"], j["first"]) for j in jobs]
    check(firsts[-2:] == [("rung", "1/1"), ("promote", "1/1")] and ("promote", "0") in firsts,
          f"jobs.tsv: bracket 1's rung 1 and promotion, then bracket 2's (rung index 1, bracket 1): {firsts}")
    for b in range(2):
        name = "rung-1.points" if b == 0 else "bracket-2-rung-1.points"
        listed = open(os.path.join(study, "slurm", name)).read().split()
        check(listed == [str(i) for i in range(9) if bracket_of[i] == b], f"slurm/{name}: bracket {b + 1}'s points")
    start = time.time()
    while True:
        jobs = list(csv.DictReader(open(jobs_tsv), delimiter="\t"))
        if any(j["kind"] == "report" for j in jobs):
            wait_for_jobs(ctx, [j["job"] for j in jobs])
            break
        if time.time() - start > 300:
            run(ctx, ["squeue", "-r"])
            fail("no report job after 300 s: " + str(jobs))
        time.sleep(0.5)
    log(f"the 2-bracket study ran on Slurm in {time.time() - t0:.1f} s")
    jobs = list(csv.DictReader(open(jobs_tsv), delimiter="\t"))
    check(sum(j["kind"] == "report" for j in jobs) == 1 and jobs[-1]["kind"] == "report",
          "one report job, after the last promotion")
    check(sorted(j["first"] for j in jobs if j["kind"] == "promote") == ["0", "1", "1/1", "2", "2/1"],
          "a promotion per rung: bracket 1's 3, bracket 2's 2")
    r = run(ctx, [ctx.hpsgen, "status", study], check_rc=0)
    check("bracket 1 of 2, rung 3 of 3 (360 steps)" in r.stdout and "bracket 2 of 2, rung 2 of 2 (360 steps)" in r.stdout,
          "hpsgen status: each bracket's rungs")
    run(ctx, [ctx.hpsgen, "run", local, "--no-build", "--jobs", "2", "--threads", "1"], check_rc=0)
    check(open(os.path.join(study, "halving.json")).read() == open(os.path.join(local, "halving.json")).read(),
          "halving.json: the same brackets, rungs, survivors and winner as hpsgen run")
    with open(os.path.join(study, "grid.tsv")) as f:
        grid = list(csv.DictReader(f, delimiter="\t"))
    for row in grid:
        ra, rb = [json.load(open(os.path.join(d, "results", row["identity"], "result.json"))) for d in (study, local)]
        check((ra["status"], ra["best"], ra["halving"]) == (rb["status"], rb["best"], rb["halving"]),
              f"{row['name']} (bracket {ra['halving']['bracket']}): result.json as hpsgen run's")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["setup", "teardown", "submit", "retry", "failures", "chunk", "halving", "brackets",
                                     "ranks"])
    ap.add_argument("--hpsgen", required=True)
    ap.add_argument("--build", required=True, help="this test folder in the build tree")
    a = ap.parse_args()
    ctx = Ctx(a)
    t0 = time.time()
    {"setup": setup, "teardown": teardown, "submit": case_submit, "retry": case_retry, "failures": case_failures,
     "chunk": case_chunk, "halving": case_halving, "brackets": case_brackets, "ranks": case_ranks}[a.what](ctx)
    log(f"slurm {a.what}: all checks passed in {time.time() - t0:.1f} s")


if __name__ == "__main__":
    main()
