#!/usr/bin/env python3
"""The trainers' logs for TensorBoard and MLflow (docs/logging.md), read back independently.

A tiny study (one network, a learning-rate axis: one trainer to build) is generated, built
and trained; one point is stopped twice by SIGTERM and then resumed from its first
resume.bin, as after a SIGKILL that came after a checkpoint its last save did not hold.

Checks, each an assertion that can fail:
  - every event file is a sequence of whole TFRecords whose length and data CRC32Cs (masked;
    computed here, not by a library) match; the first event is file_version brain.Event:2;
  - the scalars are metrics.csv's rows, each (tag, step) once (none repeated by the resumed
    point), tag "<split>/<column>", value the row's as float32, and "best/<column>", the
    values of result.json's best checkpoint at its step;
  - the HParams plugin's session start holds the point's axes, its end the status SUCCESS;
    the study's experiment (the logdir's root) lists every axis with its values and the
    metrics;
  - mlruns/ is an MLflow file store as mlflow/store/tracking/file_store.py writes it:
    meta.yaml keys and types (yaml.safe_load, as MLflow reads them), a run per point with a
    deterministic id, params = the axes, tags, metric files whose "timestamp value step"
    lines are metrics.csv's rows, best.npz and model.py as artifacts;
  - `logging none` in the settings: a run writes neither; a log that cannot be written is
    said once and turns logging off, the training unharmed.
"""
import argparse
import json
import os
import shutil
import struct
import sys

import numpy as np
import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_test import grid, make_data, quick_build, read_metrics  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from script_checks import run, check  # noqa: E402 (tests/support)

SPEC = """study logs "TensorBoard and MLflow"

data {
  train "data/train.npz"
  validation "data/validation.npz"
  test "data/test.npz"
  input 8 x 8 x 1
  target classes 3
}

network {
  dense units 12 activation relu
  dense units 3
}

train {
  optimizer adam lr {0.01, 0.003}
  loss softmax_ce
  batch 16
  steps 200
  checkpoints 4
  seed 3
  logging all
}

metrics {
  accuracy
  select max accuracy
}
"""


# ---------------------------------------------------------------- an independent reader
def require(cond, what):
    """check() for the many items of a loop: silent when it holds."""
    if not cond:
        check(False, what)


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def masked(data):
    c = crc32c(data)
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def records(path):
    """The data of every TFRecord in an event file, each CRC checked."""
    blob = open(path, "rb").read()
    out, at = [], 0
    while at < len(blob):
        require(at + 12 <= len(blob), f"{path}: a whole record header at byte {at}")
        header = blob[at:at + 8]
        (n,) = struct.unpack("<Q", header)
        (len_crc,) = struct.unpack("<I", blob[at + 8:at + 12])
        require(len_crc == masked(header), f"{path}: the length CRC of the record at byte {at}")
        require(at + 12 + n + 4 <= len(blob), f"{path}: the record at byte {at} is whole")
        data = blob[at + 12:at + 12 + n]
        (data_crc,) = struct.unpack("<I", blob[at + 12 + n:at + 16 + n])
        require(data_crc == masked(data), f"{path}: the data CRC of the record at byte {at}")
        out.append(data)
        at += 16 + n
    return out


def fields(data):
    """A protobuf message as {field: [values]}: varints as ints, fixed64/32 as raw bytes,
    length-delimited as bytes."""
    out, at = {}, 0

    def varint():
        nonlocal at
        v, shift = 0, 0
        while True:
            b = data[at]
            at += 1
            v |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return v

    while at < len(data):
        key = varint()
        field, wire = key >> 3, key & 7
        if wire == 0:
            v = varint()
        elif wire == 1:
            v, at = data[at:at + 8], at + 8
        elif wire == 5:
            v, at = data[at:at + 4], at + 4
        elif wire == 2:
            n = varint()
            v, at = data[at:at + n], at + n
        else:
            raise ValueError(f"wire type {wire}")
        out.setdefault(field, []).append(v)
    return out


def one(msg, field, default=None):
    return msg.get(field, [default])[-1]


def f64(b):
    return struct.unpack("<d", b)[0]


def f32(b):
    return struct.unpack("<f", b)[0]


def proto_value(b):
    """google.protobuf.Value: number_value 2, string_value 3."""
    v = fields(b)
    return f64(v[2][0]) if 2 in v else v[3][0].decode() if 3 in v else None


def events(path):
    """(wall_time, step, kind, payload) per event: kind "version", "scalar" (tag, value),
    or "hparams" (tag, HParamsPluginData fields)."""
    out = []
    for data in records(path):
        e = fields(data)
        wall, step = f64(one(e, 1, b"\0" * 8)), one(e, 2, 0)
        if 3 in e:
            out.append((wall, step, "version", e[3][0].decode()))
            continue
        for value in fields(one(e, 5, b"")).get(1, []):
            v = fields(value)
            tag = v[1][0].decode()
            plugin = fields(one(fields(one(v, 9, b"")), 1, b""))
            name = one(plugin, 1, b"").decode()
            if name == "scalars":
                out.append((wall, step, "scalar", (tag, f32(v[2][0]))))
            elif name == "hparams":
                out.append((wall, step, "hparams", (tag, fields(one(plugin, 2, b"")))))
            else:
                check(False, f"{path}: a summary of plugin '{name}'")
    return out


# ---------------------------------------------------------------- the checks
def settings_of(study, point):
    return json.load(open(os.path.join(study, "settings", point + ".json")))


def expected_scalars(run_dir):
    """{(tag, step): value} from metrics.csv, every (tag, step) once; and "best/<column>"
    at result.json's best step: the values there."""
    out = {}
    for r in read_metrics(os.path.join(run_dir, "metrics.csv")):
        for col, cell in r.items():
            if col in ("step", "split", "elapsed_s") or cell == "":
                continue
            key = (r["split"] + "/" + col, int(r["step"]))
            require(key not in out, f"{run_dir}/metrics.csv: {key} once")
            out[key] = float(cell)
    best = json.load(open(os.path.join(run_dir, "result.json")))["best"]
    for col, value in best.items():  # the numbers: not the per-class table, curves or confusion
        if col != "step" and isinstance(value, (int, float)) and not isinstance(value, bool):
            out[("best/" + col, best["step"])] = value
    return out


def check_tensorboard(study, point):
    folder = os.path.join(study, "tensorboard", point)
    files = [f for f in os.listdir(folder) if "tfevents" in f]
    check(len(files) == 1, f"{point}: one event file in tensorboard/{point} ({files})")
    check(files[0].startswith("events.out.tfevents."), f"{point}: TensorBoard's file name")
    ev = events(os.path.join(folder, files[0]))
    check(ev[0][2:] == ("version", "brain.Event:2"), f"{point}: the first event is file_version brain.Event:2")
    run_dir = os.path.join(study, "runs", point)
    want = expected_scalars(run_dir)
    got = {}
    for wall, step, kind, payload in ev:
        if kind == "scalar":
            tag, value = payload
            require((tag, step) not in got, f"{point}: scalar {tag} at step {step} once")
            got[(tag, step)] = value
    check(set(got) == set(want), f"{point}: a scalar per metrics.csv row and column ({len(want)})")
    for key, value in want.items():
        require(got[key] == np.float32(value), f"{point}: {key} is {got[key]}, metrics.csv {value}")
    check(any(t == "test/accuracy" for t, _ in got), f"{point}: the test split's metrics")
    check(True, f"{point}: every scalar's value is metrics.csv's as float32")

    hp = [(step, payload) for _, step, kind, payload in ev if kind == "hparams"]
    check([t for _, (t, _) in hp] == ["_hparams_/session_start_info", "_hparams_/session_end_info"],
          f"{point}: one session start and one session end")
    start = fields(hp[0][1][1][3][0])  # HParamsPluginData.session_start_info
    hparams = {}
    for entry in start.get(1, []):
        e = fields(entry)
        hparams[e[1][0].decode()] = proto_value(e[2][0])
    axes = {a["name"]: float(a["value"]) for a in settings_of(study, point)["axes"]}
    check(hparams == axes, f"{point}: the session's hparams are its axes {axes}")
    check(one(start, 4, b"").decode() == point, f"{point}: the session's group is the point")
    end = fields(hp[1][1][1][4][0])  # session_end_info
    check(one(end, 1) == 1, f"{point}: session end status SUCCESS")
    return got


def check_experiment(study):
    path = os.path.join(study, "tensorboard", "events.out.tfevents.0.hpsgen")
    ev = events(path)
    check([k for _, _, k, _ in ev] == ["version", "hparams"], "the experiment file: version, one hparams summary")
    tag, plugin = ev[1][3]
    check(tag == "_hparams_/experiment" and 2 in plugin, "the HParams experiment")
    exp = fields(plugin[2][0])
    check(one(exp, 6, b"").decode() == "logs", "the experiment is named after the study")
    infos = {}
    for h in exp.get(4, []):
        h = fields(h)
        infos[h[1][0].decode()] = (one(h, 4), [proto_value(v) for v in fields(one(h, 5, b"")).get(1, [])])
    check(infos == {"train.lr": (3, [0.01, 0.003])}, f"hparam_infos: the lr axis, FLOAT64, its values ({infos})")
    metrics = [fields(one(fields(m), 1)).get(2, [b""])[0].decode() for m in exp.get(5, [])]
    check(metrics == ["train/loss", "validation/loss", "best/loss", "test/loss", "validation/accuracy",
                      "best/accuracy", "test/accuracy"],
          f"metric_infos: every logged tag ({metrics})")


EXPERIMENT_KEYS = {"artifact_location", "creation_time", "experiment_id", "last_update_time", "lifecycle_stage", "name"}
# mlflow/store/tracking/file_store.py, _make_persisted_run_info_dict: RunInfo's fields,
# tags [], and the source fields
RUN_KEYS = {"artifact_uri", "end_time", "entry_point_name", "experiment_id", "lifecycle_stage", "run_id",
            "run_name", "run_uuid", "source_name", "source_type", "source_version", "start_time", "status",
            "tags", "user_id"}


def check_mlflow(study, points):
    root = os.path.join(study, "mlruns")
    exps = [d for d in os.listdir(root) if d != ".trash"]
    check(os.path.isdir(os.path.join(root, ".trash")) and len(exps) == 1, f"mlruns: .trash and one experiment {exps}")
    exp_id = exps[0]
    exp = yaml.safe_load(open(os.path.join(root, exp_id, "meta.yaml")))
    check(set(exp) == EXPERIMENT_KEYS, f"experiment meta.yaml keys {sorted(exp)}")
    check(exp["experiment_id"] == exp_id and exp_id.isdigit(), "experiment_id: the folder's name, a string of digits")
    check(exp["name"] == "logs" and exp["lifecycle_stage"] == "active", "the experiment: the study, active")
    check(exp["artifact_location"] == "file://" + os.path.join(os.path.realpath(root), exp_id) or
          exp["artifact_location"] == "file://" + os.path.join(os.path.abspath(root), exp_id),
          "artifact_location: the experiment's folder as a file URI")
    check(isinstance(exp["creation_time"], int) and exp["last_update_time"] >= exp["creation_time"], "times in ms")
    runs = sorted(d for d in os.listdir(os.path.join(root, exp_id)) if os.path.isdir(os.path.join(root, exp_id, d)))
    check(len(runs) == len(points), f"one run per point ({runs})")
    by_name = {}
    for run_id in runs:
        rd = os.path.join(root, exp_id, run_id)
        meta = yaml.safe_load(open(os.path.join(rd, "meta.yaml")))
        check(set(meta) == RUN_KEYS, f"run meta.yaml keys {sorted(meta)}")
        check(meta["run_id"] == meta["run_uuid"] == run_id and meta["experiment_id"] == exp_id,
              f"{run_id}: its ids match its folders")
        check(meta["status"] == 3 and meta["source_type"] == 4 and meta["lifecycle_stage"] == "active",
              f"{run_id}: status FINISHED (3), source LOCAL (4)")
        check(meta["end_time"] >= meta["start_time"] > 1.6e12, f"{run_id}: start and end times in ms")
        check(meta["artifact_uri"].startswith("file://") and meta["artifact_uri"].endswith(f"/{run_id}/artifacts"),
              f"{run_id}: artifact_uri")
        by_name[meta["run_name"]] = rd
    check(sorted(by_name) == sorted(points), "the runs are named after the points")
    for point in points:
        rd, run_dir = by_name[point], os.path.join(study, "runs", point)
        s = settings_of(study, point)
        check(os.path.basename(rd) == s["identity"] + "0" * 16, f"{point}: run id from its identity")
        params = {f: open(os.path.join(rd, "params", f)).read() for f in os.listdir(os.path.join(rd, "params"))}
        check(params == {a["name"]: a["value"] for a in s["axes"]}, f"{point}: params are its axes {params}")
        tag = lambda name: open(os.path.join(rd, "tags", name)).read()  # noqa: E731
        check(tag("mlflow.runName") == point and tag("hpsgen.identity") == s["identity"] and
              tag("hpsgen.status") == "done", f"{point}: tags")
        want = expected_scalars(run_dir)
        got = {}
        mdir = os.path.join(rd, "metrics")
        for split in os.listdir(mdir):
            for col in os.listdir(os.path.join(mdir, split)):
                for line in open(os.path.join(mdir, split, col)).read().splitlines():
                    ts, value, step = line.split(" ")
                    require(int(ts) > 1.6e12, f"{point}: a timestamp in ms")
                    key = (split + "/" + col, int(step))
                    require(key not in got, f"{point}: metric {key} once")
                    got[key] = float(value)
        check(got == want, f"{point}: the metric files hold metrics.csv's rows exactly ({len(want)})")
        for f in ["best.npz", "model.py"]:
            check(open(os.path.join(rd, "artifacts", f), "rb").read() == open(os.path.join(run_dir, f), "rb").read(),
                  f"{point}: artifacts/{f} is the run's")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hpsgen", required=True)
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    hpsgen, work = os.path.abspath(a.hpsgen), os.path.abspath(a.work)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(os.path.join(work, "data"))
    for split, n, seed in [("train", 320, 1), ("validation", 60, 2), ("test", 60, 3)]:
        x, y = make_data(work, n, seed)
        np.savez(os.path.join(work, f"data/{split}.npz"), x=x, y=y)
    open(os.path.join(work, "logs.hps"), "w").write(SPEC)
    r = run([hpsgen, "generate", "logs.hps", "-o", "out"], cwd=work)
    check(r.returncode == 0, "generate: " + r.stdout + r.stderr)
    study = os.path.join(work, "out")
    quick_build(study)
    points = grid(study)
    check(len(points) == 2 and len({p["trainer"] for p in points.values()}) == 1, "two points, one trainer")
    check(settings_of(study, "model-0")["log"] == {"tensorboard": True, "mlflow": True}, "settings: log both")
    check_experiment(study)

    # model-1 straight through, with the build
    r = run([hpsgen, "run", "out", "--points", "model-1"], cwd=work, timeout=600)
    check(r.returncode == 0, "hpsgen run model-1: " + r.stdout[-2000:] + r.stderr[-2000:])
    # model-0: stopped at step 60 (resume.bin holds the rows up to 50) and kept; stopped
    # again at 120 (rows to 100 logged); then resumed from the step-60 file, as after a
    # SIGKILL at 120 whose last periodic save was at 60: steps 100.. are logged again
    trainer = os.path.join(study, "build", "bin", points["model-0"]["trainer"])
    args = [trainer, "--settings", "settings/model-0.json", "--quiet"]
    r = run(args, cwd=study, env={**os.environ, "HPS_STOP_AFTER_STEP": "60"})
    check(r.returncode == 75, "model-0 stops at step 60: " + r.stderr[-500:])
    resume = os.path.join(study, "runs", "model-0", "resume.bin")
    shutil.copy(resume, os.path.join(work, "resume-60.bin"))
    r = run(args, cwd=study, env={**os.environ, "HPS_STOP_AFTER_STEP": "120"})
    check(r.returncode == 75, "model-0 resumes and stops at step 120: " + r.stderr[-500:])
    rd = os.path.join(study, "mlruns")
    acc = [os.path.join(p, "accuracy") for p, _, fs in os.walk(rd)
           if f"/{settings_of(study, 'model-0')['identity']}{'0' * 16}/metrics/validation" in p]
    check(len(acc) == 1 and len(open(acc[0]).read().splitlines()) == 2,
          "the stopped run's MLflow metrics hold its 2 checkpoints (50, 100)")
    check(any(e[2] == "scalar" and e[1] == 100 for f in os.listdir(os.path.join(study, "tensorboard", "model-0"))
              for e in events(os.path.join(study, "tensorboard", "model-0", f))),
          "the stopped run's events hold step 100")
    shutil.copy(os.path.join(work, "resume-60.bin"), resume)
    r = run(args, cwd=study)
    check(r.returncode == 0 and "resuming at step 60" in r.stdout, "model-0 resumes at step 60 and ends: " + r.stdout)

    for point in points:
        check_tensorboard(study, point)
    check_mlflow(study, sorted(points))

    # logging none: the same trainer, another run folder, nothing logged
    s = settings_of(study, "model-1")
    s["log"] = {"tensorboard": False, "mlflow": False}
    s["point"] = "model-quiet"
    json.dump(s, open(os.path.join(work, "quiet.json"), "w"))
    r = run([trainer, "--settings", os.path.join(work, "quiet.json"), "--run-dir", os.path.join(work, "quiet"),
             "--quiet"], cwd=study)
    check(r.returncode == 0 and os.path.exists(os.path.join(work, "quiet", "result.json")), "a run with logging none")
    check(not os.path.exists(os.path.join(study, "tensorboard", "model-quiet")), "logging none: no event file")
    mlruns = [open(os.path.join(p, "meta.yaml")).read() for p, _, fs in os.walk(rd) if "meta.yaml" in fs]
    check(not any("model-quiet" in m for m in mlruns), "logging none: no MLflow run")

    # a log that cannot be written (its folder's name taken by a file): said, logging off,
    # the training unharmed
    s["log"] = {"tensorboard": True, "mlflow": True}
    s["point"] = "model-blocked"
    json.dump(s, open(os.path.join(work, "blocked.json"), "w"))
    open(os.path.join(study, "tensorboard", "model-blocked.blocked"), "w").write("in the way")
    r = run([trainer, "--settings", os.path.join(work, "blocked.json"), "--run-dir", os.path.join(work, "blocked"),
             "--quiet"], cwd=study)
    check(r.returncode == 0 and json.load(open(os.path.join(work, "blocked", "result.json")))["status"] == "done",
          "a run whose logs cannot be written trains to the end: " + r.stderr)
    check(r.stderr.count("warning:") == 1 and "tensorboard/model-blocked.blocked" in r.stderr and
          "logging for TensorBoard and MLflow is off for this run" in r.stderr, "and says so once: " + r.stderr)


if __name__ == "__main__":
    main()
