#!/usr/bin/env python3
"""The generated submit.sbatch without Slurm: what it asks sbatch for, and what its batch
shell does with signals, run under bash with the environment Slurm gives an array task,
stand-in trainers (shell scripts) and a stand-in scontrol that records its arguments.

Checks:
  - the #SBATCH lines carry the spec's resources, logs/%x-%A_%a.out, --open-mode=append,
    --signal=B:USR1@N; the script and report.sbatch are valid bash;
  - task t of chunk K trains points t*K .. t*K+K-1 (+ HPS_FIRST), named from grid.tsv, with
    the script's arguments passed on;
  - SIGUSR1 to the batch shell reaches the trainer; the trainer's exit 75 makes the task
    requeue itself (scontrol requeue $SLURM_JOB_ID) and the rest of its chunk waits;
  - SIGTERM reaches the trainer too, and the task ends with 75 without requeueing itself;
  - a failing point does not stop the chunk; the task exits with the first failure's code;
  - side by side (HPS_PACKING=side_by_side): the chunk's trainers start together, each with
    its share of SLURM_CPUS_PER_TASK; a signal reaches every one; the task requeues once.
"""
import argparse
import csv
import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "support"))
from script_checks import check  # noqa: E402 (tests/support)

SPEC = """study scripted "submit.sbatch under bash"

data {
  train "data/train.npz"
  validation "data/validation.npz"
  input 4
  target regression 1
}

network {
  dense units {2, 3, 4, 5, 6} activation relu
  dense units 1
}

train {
  loss mse
  steps 10
  batch 4
}

slurm {
  partition "thin"
  account "proj-42"
  qos "short"
  cpus 3
  mem "1500M"
  time "2:00:00"
  throttle 2
  chunk 2
  extra "--constraint=avx2"
  extra "#SBATCH --exclusive"
}
"""

# A trainer stand-in: records its arguments, runs until told to stop; on USR1/TERM exits 75
# as the real trainer does; FAIL_<name> in the environment makes it exit with that code.
FAKE_TRAINER = r"""#!/bin/bash
# the point: its --settings file's name (settings/model-2.json: model-2)
prev=""
for arg; do [[ $prev == --settings ]] && settings=$arg; prev=$arg; done
name=$(basename "${settings:-none}" .json)
[[ -f ${settings:-none} ]] || { echo "[$name] error: no settings file '${settings:-}'"; exit 2; }
echo "$name $*" >> "$HPS_TEST_DIR/trained"
trap 'echo "$name got USR1" >> "$HPS_TEST_DIR/signals"; exit 75' USR1
trap 'echo "$name got TERM" >> "$HPS_TEST_DIR/signals"; exit 75' TERM
fail_var="FAIL_${name//-/_}"
if [[ -n ${!fail_var:-} ]]; then echo "[$name] error: told to fail"; exit "${!fail_var}"; fi
touch "$HPS_TEST_DIR/started-$name"
for ((i = 0; i < ${SLEEP_STEPS:-2}; i++)); do sleep 0.1; done
exit 0
"""

FAKE_SCONTROL = """#!/bin/bash
echo "scontrol $*" >> "$HPS_TEST_DIR/scontrol"
"""


def read(path):
    return open(path).read() if os.path.exists(path) else ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hpsgen", required=True)
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    work = os.path.abspath(a.work)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    with open(os.path.join(work, "s.hps"), "w") as f:
        f.write(SPEC)
    # the scripts are tested with stand-in trainers: no data (--no-data-check)
    r = subprocess.run([a.hpsgen, "generate", "--no-data-check", "s.hps", "-o", "study"], cwd=work, text=True,
                       capture_output=True)
    check(r.returncode == 0, "generate: " + r.stdout + r.stderr)
    study = os.path.join(work, "study")
    script = read(os.path.join(study, "submit.sbatch"))
    sbatch = [l for l in script.splitlines() if l.startswith("#SBATCH")]
    for want in ["#SBATCH --job-name=hps-scripted", "#SBATCH --array=0-2%2", "#SBATCH --partition=thin",
                 "#SBATCH --account=proj-42", "#SBATCH --qos=short", "#SBATCH --cpus-per-task=3",
                 "#SBATCH --mem=1500M", "#SBATCH --time=2:00:00", "#SBATCH --output=logs/%x-%A_%a.out",
                 "#SBATCH --open-mode=append", "#SBATCH --signal=B:USR1@300", "#SBATCH --requeue",
                 "#SBATCH --constraint=avx2", "#SBATCH --exclusive"]:
        check(want in sbatch, "submit.sbatch has " + want)
    check("chunk=2 packing=sequential build=before report=yes throttle=2" in script, "the settings line hpsgen submit reads")
    check(work not in script, "no absolute path in submit.sbatch")
    report = read(os.path.join(study, "report.sbatch"))
    check("#SBATCH --dependency" not in report and '"$hpsgen" report .' in report, "report.sbatch runs hpsgen report")
    for f in ["submit.sbatch", "report.sbatch"]:
        r = subprocess.run(["bash", "-n", os.path.join(study, f)], capture_output=True, text=True)
        check(r.returncode == 0, f"{f} is valid bash " + r.stderr)
    check(os.path.exists(os.path.join(study, "logs", "README")), "logs/ exists (Slurm does not create it)")

    # stand-ins
    bindir = os.path.join(study, "build", "bin")
    os.makedirs(bindir)
    with open(os.path.join(study, "grid.tsv")) as f:
        trainers = {row["trainer"] for row in csv.DictReader(f, delimiter="\t")}
    for t in trainers:
        p = os.path.join(bindir, t)
        open(p, "w").write(FAKE_TRAINER)
        os.chmod(p, 0o755)
    tools = os.path.join(work, "tools")
    os.makedirs(tools)
    open(os.path.join(tools, "scontrol"), "w").write(FAKE_SCONTROL)
    os.chmod(os.path.join(tools, "scontrol"), 0o755)

    def task(task_id, extra_env=None, signal_after=None, sig=None, first=0, also_started=None):
        for f in os.listdir(work):
            if f in ("trained", "signals", "scontrol") or f.startswith("started-"):
                os.remove(os.path.join(work, f))
        env = dict(os.environ, PATH=tools + ":" + os.environ["PATH"], HPS_TEST_DIR=work,
                   SLURM_ARRAY_TASK_ID=str(task_id), SLURM_JOB_ID="1234", SLURM_ARRAY_JOB_ID="1200",
                   SLURM_CPUS_PER_TASK="3", HPS_FIRST=str(first))
        env.pop("HPS_CHUNK", None)
        env.update(extra_env or {})
        p = subprocess.Popen(["bash", "submit.sbatch", "--steps", "7"], cwd=study, env=env, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if sig is not None:
            start = time.time()
            while not all(os.path.exists(os.path.join(work, "started-" + n)) for n in filter(None, [signal_after, also_started])):
                if time.time() - start > 20:
                    p.kill()
                    check(False, signal_after + " never started")
                time.sleep(0.02)
            time.sleep(0.2)  # the batch shell is now waiting on the trainer
            p.send_signal(sig)
        out = p.communicate(timeout=60)[0]
        print(out)
        return p.returncode, out

    # task 1 of chunk 2: points 2 and 3, one after another, arguments passed on
    rc, out = task(1)
    check(rc == 0, "task 1 ends 0")
    check(read(os.path.join(work, "trained")).splitlines() ==
          ["model-2 --settings settings/model-2.json --steps 7", "model-3 --settings settings/model-3.json --steps 7"],
          "task 1 of chunk 2 trains model-2 then model-3, with the script's arguments")
    check("[hps] model-2: exit 0 (done)" in out and "[hps] model-3: exit 0 (done)" in out, "an exit line per point")
    # HPS_FIRST shifts the points: the last chunk of a grid stops at the grid's end
    rc, out = task(0, first=4)
    check(rc == 0 and read(os.path.join(work, "trained")).splitlines() == ["model-4 --settings settings/model-4.json --steps 7"],
          "HPS_FIRST=4: task 0 trains model-4 alone (the grid ends there)")

    # SIGUSR1 (the time limit is near): passed on, then the task requeues itself
    rc, out = task(1, {"SLEEP_STEPS": "300"}, signal_after="model-2", sig=signal.SIGUSR1)
    check(read(os.path.join(work, "signals")).strip() == "model-2 got USR1", "the trainer got the SIGUSR1")
    check(read(os.path.join(work, "scontrol")).strip() == "scontrol requeue 1234", "the task requeued itself")
    check(rc == 0 and "model-3" not in read(os.path.join(work, "trained")), "and did not start the next point")
    check("exit 75 (interrupted by SIGUSR1" in out, "the log says so")

    # SIGTERM (scancel, preemption): passed on, no requeue of its own, exit 75
    rc, out = task(1, {"SLEEP_STEPS": "300"}, signal_after="model-2", sig=signal.SIGTERM)
    check(read(os.path.join(work, "signals")).strip() == "model-2 got TERM", "the trainer got the SIGTERM")
    check(read(os.path.join(work, "scontrol")) == "" and rc == 75, "the task ends 75 and leaves requeueing to Slurm")

    # a trainer stopped alone (exit 75, no signal to the shell) also requeues the task
    rc, out = task(0, {"FAIL_model_0": "75"})
    check(read(os.path.join(work, "scontrol")).strip() == "scontrol requeue 1234", "a lone exit 75 requeues")

    # a failure does not stop the chunk; the task reports the first failure's code
    rc, out = task(0, {"FAIL_model_0": "4"})
    check(rc == 4, "the task exits 4, the failed point's code")
    check("[hps] model-0: exit 4 (failed" in out and "[hps] model-1: exit 0 (done)" in out,
          "model-1 still trained after model-0 failed")
    check(read(os.path.join(work, "scontrol")) == "", "no requeue for a failure")

    # side by side: the chunk's trainers all at once, the task's 3 cpus shared (1 thread each)
    rc, out = task(1, {"HPS_PACKING": "side_by_side"})
    check(rc == 0 and sorted(read(os.path.join(work, "trained")).splitlines()) ==
          ["model-2 --settings settings/model-2.json --threads 1 --steps 7",
           "model-3 --settings settings/model-3.json --threads 1 --steps 7"],
          "side by side: model-2 and model-3 with --threads 1 each (3 cpus / 2), the script's arguments after")
    check("side by side: model-2 model-3 (1 thread each of 3 cpus)" in out and
          "[hps] model-2: exit 0 (done)" in out and "[hps] model-3: exit 0 (done)" in out, "the log says so")
    # ... really at once: both have started before the signal; SIGUSR1 reaches both, one requeue
    rc, out = task(1, {"HPS_PACKING": "side_by_side", "SLEEP_STEPS": "300"}, signal_after="model-3",
                   sig=signal.SIGUSR1, also_started="model-2")
    check(sorted(read(os.path.join(work, "signals")).split("\n")[:2]) == ["model-2 got USR1", "model-3 got USR1"],
          "side by side: both running trainers got the SIGUSR1")
    check(read(os.path.join(work, "scontrol")).strip() == "scontrol requeue 1234" and rc == 0,
          "and the task requeued itself once")
    check("exit 75 (interrupted by SIGUSR1" in out and "to resume model-2 model-3" in out, "naming both points")
    # a failure beside a success: the task exits with the failure's code, the other is done
    rc, out = task(1, {"HPS_PACKING": "side_by_side", "FAIL_model_2": "4"})
    check(rc == 4 and "[hps] model-2: exit 4 (failed" in out and "[hps] model-3: exit 0 (done)" in out,
          "side by side: model-2 fails, model-3 is done, the task exits 4")

    # outside the study folder, or outside an array: a clear refusal
    env = dict(os.environ, SLURM_ARRAY_TASK_ID="0")
    r = subprocess.run(["bash", os.path.join(study, "submit.sbatch")], cwd=work, env=env, capture_output=True, text=True)
    check(r.returncode == 2 and "not the study folder" in r.stderr, "run elsewhere, it says where to run it")
    env.pop("SLURM_ARRAY_TASK_ID")
    r = subprocess.run(["bash", "submit.sbatch"], cwd=study, env=env, capture_output=True, text=True)
    check(r.returncode == 2 and "not an array task" in r.stderr, "run outside an array, it says so")

    # hpsgen submit without sbatch: what to do instead
    r = subprocess.run([a.hpsgen, "submit", study], env=dict(os.environ, PATH="/nonexistent"), capture_output=True,
                       text=True)
    check(r.returncode == 1 and "sbatch not found" in r.stderr and "hpsgen run" in r.stderr,
          "submit without sbatch points to slurm-client and hpsgen run: " + r.stderr.strip())
    # a dry run shows the commands: chunk 2 -> 3 tasks in one array, the report after it
    r = subprocess.run([a.hpsgen, "submit", study, "--dry-run", "--max-array-size", "2", "--no-data-check"],
                       capture_output=True, text=True)
    check(r.returncode == 0 and "--array=0-1%2" in r.stdout and "HPS_FIRST=4" in r.stdout and
          "--dependency=afterany" in r.stdout, "a dry run: 2 arrays under MaxArraySize 2, then the report\n" + r.stdout)
    r = subprocess.run([a.hpsgen, "status", study], capture_output=True, text=True)
    check(r.returncode == 0 and r.stdout.startswith("study scripted, 5 points: 0 done, 0 running, 0 pending, 0 failed, 5 not submitted"),
          "status of an unsubmitted study: " + r.stdout.splitlines()[0] if r.stdout else r.stderr)
    print("script test: all checks passed")


if __name__ == "__main__":
    main()
