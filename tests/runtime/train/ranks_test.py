"""Data-parallel training (`ranks`, hps/train/ranks.hpp): ranks_trainer.cpp as one process of
batch 16 (--one) and as 2 MPI ranks of batch 8 each (--two, under mpirun).

Checks, each an assertion that can fail:
  - 2 ranks train to the 1-process run's metrics within float rounding (every row of
    metrics.csv, the test metrics, best.npz), and the run does learn (accuracy > 0.7);
  - the gradient exchange overlapped with the backward pass (the default: one bucket here;
    --exchange-bucket 0: one per layer, 3) and the blocking one (--exchange blocking) give
    the same metrics.csv and best.npz bit for bit;
  - rank 0 alone writes: rank 1, started in a folder of its own (mpirun's MPMD form),
    leaves nothing there, and prints nothing;
  - one copy of the training set per node: the trainer's count of the data each rank holds
    says rank 0 holds the training set (320 samples of 65 floats, 83.2 kB) once plus the
    validation and test sets, and rank 1 none (with a copy per rank it would hold 83.2 kB);
    rank 1's batches come from rank 0's memory (the metrics equal one process's above);
  - a data file that cannot be read stops both ranks with exit 4 and one error (rank 0's),
    without hanging;
  - a stop signal seen by rank 1 alone (HPS_STOP_AFTER_STEP in its environment only) stops
    both at the same step with exit 75 and resume.bin; run again, they end bit-identical
    to an uninterrupted 2-rank run (metrics.csv less elapsed_s, best.npz, result.json's best);
  - SIGUSR1 to mpirun reaches every rank: exit 75 and a resume.bin;
  - rank 1 SIGKILLed mid-training: mpirun ends the job within 30 s, non-zero, saying so;
  - the 2-rank trainer started alone refuses with a message (exit 2).
mpirun's options are hpsgen run's (`hpsgen run --print-launcher 2`).
Skipped (77) where MPI is not installed (no --two trainer, or no mpirun).
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "support"))
from script_checks import args_with_work, check, run  # noqa: E402 (tests/support)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from classifier_data import write_classifier_data  # noqa: E402

a = args_with_work("--one", "--two", "--hpsgen")
if not a.two or not shutil.which("mpirun"):
    print("SKIPPED: MPI is not installed (scripts/install-deps.sh --test installs libopenmpi-dev and openmpi-bin); "
          "the 2-rank trainer was not built", flush=True)
    sys.exit(77)

write_classifier_data(a.work)

# mpirun and its options as hpsgen run starts a point of `ranks 2`, less the trailing -n 2: the
# MPMD form below puts a -n before each program
launcher = subprocess.run([a.hpsgen, "run", "--print-launcher", "2"], capture_output=True, text=True)
launcher = launcher.stdout.splitlines() if launcher.returncode == 0 else [launcher.stderr]
check(launcher[0] == "mpirun" and launcher[-2:] == ["-n", "2"], f"hpsgen run --print-launcher 2: {launcher}")
MPIRUN = launcher[:-2]
TRAIN = ["--threads", "1", "--quiet"]


def two(run_dir, *extra, rank1_env=None, rank1_dir=None):
    """mpirun of the 2-rank trainer; rank 1 in a folder and an environment of its own if asked."""
    r1 = ["-n", "1"] + (["--wdir", rank1_dir] if rank1_dir else [])
    r1 += ["env"] + [f"{k}={v}" for k, v in (rank1_env or {}).items()] if rank1_env else []
    data = ["--train", os.path.join(a.work, "train.npz"), "--test", os.path.join(a.work, "test.npz")]
    cmd = MPIRUN + ["-n", "1", a.two, "--run-dir", run_dir] + TRAIN + data + list(extra)
    cmd += [":"] + r1 + [a.two, "--run-dir", run_dir] + TRAIN + data + list(extra)
    return run(cmd, cwd=a.work, timeout=120)


def rows(run_dir):
    with open(os.path.join(a.work, run_dir, "metrics.csv")) as f:
        return [line.rstrip("\n").rsplit(",", 1)[0] for line in f]  # less elapsed_s


def numbers(run_dir):
    return [[float(v) if v else 0.0 for v in line.split(",")[2:]] for line in rows(run_dir)[1:]]


def best(run_dir):
    return np.load(os.path.join(a.work, run_dir, "best.npz"))


# ---- 1 process against 2 ranks
t0 = time.time()
r = run([a.one, "--run-dir", "one"] + TRAIN, cwd=a.work)
check(r.returncode == 0, f"1 process trains (exit {r.returncode}: {r.stderr.strip()})")
check("data in memory" not in r.stdout, "one process says nothing of ranks")
os.makedirs(os.path.join(a.work, "rank1"))
r = two("two", rank1_dir=os.path.join(a.work, "rank1"))
check(r.returncode == 0, f"2 ranks train (exit {r.returncode}: {r.stderr.strip()[-600:]})")
check(os.listdir(os.path.join(a.work, "rank1")) == [], "rank 1 wrote nothing in its own working folder")
check(r.stdout.count("[ranks] done") == 1, "one final line: rank 0 alone prints")
check([line.split(",")[:2] for line in rows("one")] == [line.split(",")[:2] for line in rows("two")],
      "the same metrics.csv rows (steps and splits)")
n1, n2 = np.array(numbers("one")), np.array(numbers("two"))
check(np.allclose(n1, n2, rtol=1e-4, atol=1e-5), f"metrics within float rounding (largest difference "
      f"{np.abs(n1 - n2).max():.2e})")
b1, b2 = best("one"), best("two")
check(sorted(b1.files) == sorted(b2.files) and all(np.allclose(b1[k], b2[k], rtol=1e-4, atol=1e-5) for k in b1.files),
      "best.npz within float rounding")
res1, res2 = (json.load(open(os.path.join(a.work, d, "result.json"))) for d in ("one", "two"))
check(res2["best"]["accuracy"] > 0.7, f"it learns: best validation accuracy {res2['best']['accuracy']:.3f}")
check(res1["best"]["step"] == res2["best"]["step"] and res2.get("batch", 16) == 16,
      "the same best step; result.json's batch is the whole batch (16)")
print(f"1 process and 2 ranks: {time.time() - t0:.1f} s", flush=True)

# ---- the exchange overlapped with the backward pass (the default) against one exchange after it
t0 = time.time()
check(re.search(r"\[ranks\] 2 ranks: [\d.]+ ms per step exchanging gradients .* overlapped with the backward pass "
                r"in 1 bucket:", r.stdout) is not None,
      f"by default the exchange overlaps the backward pass, in one bucket of 256 KiB or more: {r.stdout.strip()[-400:]}")
b = two("blocking", "--exchange", "blocking")
check(b.returncode == 0 and "waiting for the slower rank" in b.stdout and "overlapped" not in b.stdout,
      f"--exchange blocking trains, exchanging after the backward pass (exit {b.returncode}: {b.stdout.strip()[-400:]})")
# bucket 0: a bucket per layer with parameters, of 51, 1040 and 40 gradients (slices of 25 and 26 among them)
lay = two("layers", "--exchange-bucket", "0")
check(lay.returncode == 0 and re.search(r"overlapped with the backward pass in 3 buckets:", lay.stdout) is not None,
      f"--exchange-bucket 0: one bucket per layer, 3 (exit {lay.returncode}: {lay.stdout.strip()[-400:]})")
for other in ("blocking", "layers"):
    check(rows(other) == rows("two"), f"{other}: metrics.csv equals the overlapped run's, bit for bit (elapsed_s aside)")
    bo = best(other)
    check(all(np.array_equal(b2[k], bo[k]) for k in b2.files), f"{other}: best.npz equals the overlapped run's, bit for bit")
bad = run([a.two, "--exchange", "sometimes"], cwd=a.work, timeout=60)
check(bad.returncode == 2 and "--exchange needs overlap or blocking" in bad.stderr, f"a bad --exchange: {bad.stderr.strip()}")
print(f"overlapped and blocking exchanges: {time.time() - t0:.1f} s", flush=True)

# ---- one copy of the training set per node
held = re.search(r"\[ranks\] 2 ranks on 1 node: data in memory per rank ([^;]+); the training set's (.+) once per node",
                 r.stdout)
check(held is not None, f"rank 0 says what data each rank holds: {r.stdout.strip()[-600:]}")
train_bytes = (400 - 80) * (8 * 8 + 1) * 4  # the training part after the split, inputs and class indices
other_bytes = (80 + 60) * (8 * 8 + 1) * 4  # the validation part and test.npz: rank 0's alone
check(held.group(2) == f"{train_bytes / 1e3:.1f} kB", f"the shared training set is {held.group(2)}")
check(held.group(1).split(", ") == [f"{(train_bytes + other_bytes) / 1e3:.1f} kB", "0 B"],
      f"rank 0 holds the training set once, plus validation and test; rank 1 holds none: {held.group(1)}")

# ---- a missing data file: both ranks stop, rank 0 says why
r = run(MPIRUN + ["-n", "2", a.two, "--run-dir", "nodata", "--train", os.path.join(a.work, "missing.npz")] + TRAIN,
        cwd=a.work, timeout=60)
check(r.returncode == 4 and r.stderr.count("missing.npz") == 1,
      f"a missing training file: exit 4 and rank 0's error alone (exit {r.returncode}: {r.stderr.strip()[-600:]})")

# ---- a stop seen by rank 1 alone, then resume: bit-identical to the uninterrupted 2-rank run
r = two("stopped", rank1_env={"HPS_STOP_AFTER_STEP": "50"})
check(r.returncode == 75, f"rank 1's stop signal ends both ranks with 75 (exit {r.returncode})")
check(os.path.exists(os.path.join(a.work, "stopped", "resume.bin")), "resume.bin saved (by rank 0)")
r = two("stopped")
check(r.returncode == 0, f"the resumed 2-rank run ends (exit {r.returncode}: {r.stderr.strip()[-600:]})")
check(rows("stopped") == rows("two"), "resumed: metrics.csv equals the uninterrupted 2-rank run's (elapsed_s aside)")
bs = best("stopped")
check(all(np.array_equal(b2[k], bs[k]) for k in b2.files), "resumed: best.npz bit for bit")
res3 = json.load(open(os.path.join(a.work, "stopped", "result.json")))
check(res3["best"] == res2["best"], "resumed: result.json's best checkpoint")

# ---- SIGUSR1 to mpirun reaches every rank
data = ["--train", os.path.join(a.work, "train.npz"), "--test", os.path.join(a.work, "test.npz")]
long_run = MPIRUN + ["-n", "2", a.two, "--run-dir", "signalled", "--steps", "10000000"] + TRAIN + data


def wait_for_training(run_dir):
    """Until model.py is written: the ranks answer stop signals from then on."""
    for _ in range(300):
        if os.path.exists(os.path.join(a.work, run_dir, "model.py")):
            return
        time.sleep(0.05)
    check(False, f"{run_dir}: the trainer started within 15 s")


p = subprocess.Popen(long_run, cwd=a.work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
wait_for_training("signalled")
time.sleep(0.3)
p.send_signal(signal.SIGUSR1)
try:
    out, _ = p.communicate(timeout=30)
except subprocess.TimeoutExpired:
    p.kill()
    check(False, "SIGUSR1 to mpirun: the ranks stop within 30 s")
check(p.returncode == 75 and os.path.exists(os.path.join(a.work, "signalled", "resume.bin")),
      f"SIGUSR1 to mpirun: both ranks stop with 75 and resume.bin (exit {p.returncode})")


# ---- a rank killed: the job fails, never hangs
def rank_pids(parent):
    pids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
            if argv[0].decode() == a.two and b"killed" in argv:
                pids.append(int(pid))
        except (OSError, IndexError):
            pass
    return sorted(pids)


p = subprocess.Popen(MPIRUN + ["-n", "2", a.two, "--run-dir", "killed", "--steps", "10000000"] + TRAIN + data,
                     cwd=a.work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
pids = []
for _ in range(100):
    pids = rank_pids(p.pid)
    if len(pids) == 2:
        break
    time.sleep(0.1)
check(len(pids) == 2, "two ranks running")
wait_for_training("killed")
time.sleep(0.3)
os.kill(pids[1], signal.SIGKILL)
t0 = time.time()
try:
    out, _ = p.communicate(timeout=30)
except subprocess.TimeoutExpired:
    p.kill()
    out = ""
    check(False, "a rank SIGKILLed: the job ends within 30 s")
print(out[-1500:], flush=True)
check(p.returncode != 0 and "signal 9" in out,
      f"a rank SIGKILLed: the job fails in {time.time() - t0:.1f} s (exit {p.returncode}) and mpirun says which rank")
check(all(not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split()[2] == "Z" for pid in pids),
      "no rank left running")

# ---- the 2-rank trainer alone
r = run([a.two, "--run-dir", "alone"] + TRAIN, cwd=a.work, timeout=60)
check(r.returncode == 2 and "mpirun -n 2" in r.stderr, f"started alone it refuses, saying how to start it: {r.stderr.strip()}")
