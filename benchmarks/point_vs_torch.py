#!/usr/bin/env python3
"""Training speed of any grid point of a study: its hpsgen trainer against the same network
in PyTorch, one thread each.

  benchmarks/point_vs_torch.py examples/printability.hps --point model-1

  * hpsgen: the study is generated into --work and the one point's trainer built by
    `hpsgen run --points P --build-only` (Release, -march=native); it trains on the spec's own data with
    --threads 1, twice per repeat, for --steps and for 10 steps, one evaluation each; the
    difference of the two runs is the training (start-up, data loading, evaluation and file
    writing cancel out), augmentation and penalties included;
  * PyTorch (Debian's python3-torch, torch.set_num_threads(1)): the network of the
    trainer's own `model.py` (the nn.Sequential its best.npz loads into), the trainer's
    loss and optimizer with their settings (read from the generated main.cpp), on random
    batches of the input's shape, channels first as model.py says; no augmentation or
    penalty (they would only slow PyTorch down); timed after 3 warm-up steps. "torch" as
    installed (Debian's torch calls the system's libblas.so.3, by default the reference
    BLAS) and "torch+openblas" with OpenBLAS's libblas.so.3 first on LD_LIBRARY_PATH.

Every child runs with OMP_NUM_THREADS=1 and OMP_WAIT_POLICY=PASSIVE. The repeats are
interleaved (the order reversed every other repeat); the figures are medians over the
repeats and the ratios medians of the per-repeat ratios, per wall-clock and per CPU second
(on a shared machine the CPU figure is the steadier one). The spec's data files must
exist (the examples' generators: examples/data/make_*.py).
"""
import argparse
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time

from bench_common import (FEW, TORCH_PYTHON, blas_report, child_env, interleave, openblas_dir, run_child,
                          run_torch_child, summarize, time_trainer)

# ---------------------------------------------------------------- the hpsgen side
def build_point(a):
    """Generates the study and builds the point's trainer; returns (study, binary, config)."""
    work = os.path.abspath(a.work)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    study = os.path.join(work, "study")
    r = subprocess.run([os.path.abspath(a.hpsgen), "generate", a.spec, "-o", study], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"point_vs_torch: hpsgen generate failed:\n{r.stdout}{r.stderr}")
    main_cpp = os.path.join(study, "trainers", a.point, "main.cpp")
    if not os.path.exists(main_cpp):
        points = sorted(os.listdir(os.path.join(study, "trainers")))
        sys.exit(f"point_vs_torch: the study has no point {a.point}; its points: {', '.join(points)}")
    r = subprocess.run([os.path.abspath(a.hpsgen), "run", study, "--points", a.point, "--build-only"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"point_vs_torch: hpsgen run --build-only failed:\n{r.stdout[-3000:]}{r.stderr[-3000:]}")
    return study, os.path.join(study, "build", "bin", a.point), read_config(main_cpp)


def read_config(main_cpp):
    """The trainer's batch, loss and target, from the generated main.cpp (the optimizer
    comes from a run's result.json: read_optimizer)."""
    text = open(main_cpp).read()
    cfg = {"batch": int(re.search(r"constexpr int batch = (\d+);", text).group(1)),
           "loss": re.search(r"config\.loss = hps::loss_kind::(\w+);", text).group(1),
           "target": re.search(r"config\.target = hps::target_kind::(\w+);", text).group(1),
           "outputs": int(re.search(r"config\.outputs = (\d+);", text).group(1))}
    pw = re.search(r"config\.pos_weight = ([^;]+);", text)
    cfg["pos_weight"] = float(pw.group(1)) if pw else 1.0
    return cfg


def read_optimizer(cfg, result_json):
    """The optimizer and every setting in force (the spec's and the runtime's defaults), as
    the trainer's result.json records them."""
    opt = dict(json.load(open(result_json))["optimizer"])
    cfg["optimizer"] = opt.pop("kind")
    cfg["settings"] = opt


# ---------------------------------------------------------------- the PyTorch side
def torch_optimizer(torch, params, name, s):
    wd = s.get("weight_decay", 0.0)
    if name in ("sgd", "momentum"):
        return torch.optim.SGD(params, lr=s["lr"], momentum=s.get("momentum", 0.0),
                               nesterov=bool(s.get("nesterov", 0.0)), weight_decay=wd)
    if name == "adam":
        return torch.optim.Adam(params, lr=s["lr"], betas=(s["beta1"], s["beta2"]), eps=s["eps"], weight_decay=wd)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=s["lr"], alpha=s.get("rho", 0.99), eps=s["eps"],
                                   momentum=s.get("momentum", 0.0), centered=bool(s.get("centered", 0.0)),
                                   weight_decay=wd)
    if name == "adadelta":
        return torch.optim.Adadelta(params, lr=s["lr"], rho=s["rho"], eps=s["eps"], weight_decay=wd)
    sys.exit(f"point_vs_torch: no PyTorch optimizer for {name}")


def torch_worker(a):
    import torch
    from torch import nn

    torch.set_num_threads(1)
    torch.manual_seed(1)
    cfg = json.loads(a.config)
    spec = importlib.util.spec_from_file_location("model", a.model_py)
    model_py = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(model_py)
    net = model_py.build().train()
    source = open(a.model_py).read()
    shape = [int(v) for v in re.search(r"for a batch x of shape \(N, ([\d, ]+)\)", source).group(1).split(",")]
    perm = re.search(r"call net\(x\.permute\(([\d, ]+)\)\)", source)
    B = cfg["batch"]
    x = torch.randn([B] + shape)
    if perm:
        x = x.permute(*[int(v) for v in perm.group(1).split(",")]).contiguous()
    loss, target = cfg["loss"], cfg["target"]
    if loss == "softmax_ce":
        loss_fn, y = nn.CrossEntropyLoss(), torch.randint(0, cfg["outputs"], (B,))
    elif loss == "bce":
        loss_fn = nn.BCEWithLogitsLoss(pos_weight=torch.tensor([cfg["pos_weight"]]))
        y = torch.randint(0, 2, (B, cfg["outputs"])).float()
    elif loss == "mae":
        loss_fn, y = nn.L1Loss(), torch.randn(B, cfg["outputs"])
    elif loss in ("mse", "mse_half"):
        loss_fn, y = nn.MSELoss(), torch.randn(B, cfg["outputs"])
    else:
        sys.exit(f"point_vs_torch: no PyTorch loss for {loss} (target {target})")
    opt = torch_optimizer(torch, net.parameters(), cfg["optimizer"], cfg["settings"])

    def step():
        opt.zero_grad()
        loss_fn(net(x), y).backward()
        opt.step()

    for _ in range(3):
        step()
    t, c = time.perf_counter(), time.process_time()
    for _ in range(a.torch_steps):
        step()
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    json.dump(dict(blas_report(torch), wall=a.torch_steps * B / wall, cpu=a.torch_steps * B / cpu), sys.stdout)


def run_torch(a, cfg, model_py, blas_dir, steps):
    cmd = [TORCH_PYTHON, os.path.abspath(__file__), "--torch-worker", "--torch-steps", str(steps),
           "--model-py", model_py, "--config", json.dumps(cfg)]
    return run_torch_child(cmd, child_env(blas_dir), "point_vs_torch")


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("spec", nargs="?", help="the study's .hps file")
    ap.add_argument("--point", default="model-0", help="the grid point (default model-0)")
    ap.add_argument("--hpsgen", default=os.path.join(root, "build", "release", "generator", "hpsgen"))
    ap.add_argument("--steps", type=int, default=200, help="training steps of the trainer's long run (default 200)")
    ap.add_argument("--torch-steps", type=int, default=20, help="timed steps of torch+openblas (default 20)")
    ap.add_argument("--ref-steps", type=int, default=5, help="timed steps of torch as installed (default 5)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--openblas", default="auto", help="auto, none, or OpenBLAS's folder (with libblas.so.3)")
    ap.add_argument("--work", default=os.path.join(root, "build", "point-bench"),
                    help="scratch folder for the generated study (default build/point-bench)")
    ap.add_argument("--json", help="write every measurement here")
    ap.add_argument("--torch-worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--model-py", help=argparse.SUPPRESS)
    ap.add_argument("--config", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.torch_worker:
        torch_worker(a)
        return
    if not a.spec:
        ap.error("which study? give its .hps file")
    if a.steps <= FEW:
        ap.error(f"--steps must be more than {FEW}")

    blas_dir = openblas_dir(a.openblas, root, "point_vs_torch")
    variants = [("torch", None, a.ref_steps)] + ([("torch+openblas", blas_dir, a.torch_steps)] if blas_dir else [])
    print(f"building {a.point} of {a.spec} in {a.work}", flush=True)
    study, binary, cfg = build_point(a)
    # one short run writes the point's model.py, the network PyTorch trains
    run_child([binary, "--run-dir", "runs/model-py", "--steps", "1", "--threads", "1", "--quiet"], study, child_env())
    model_py = os.path.join(study, "runs", "model-py", "model.py")
    read_optimizer(cfg, os.path.join(study, "runs", "model-py", "result.json"))
    print(f"{a.point}: batch {cfg['batch']}, loss {cfg['loss']}, optimizer {cfg['optimizer']} "
          f"{json.dumps(cfg['settings'])}; hpsgen {a.steps} steps (less a {FEW}-step run), torch {a.ref_steps} "
          f"steps, torch+openblas {a.torch_steps}; {a.repeats} interleaved repeats; OpenBLAS: {blas_dir or 'not found'}",
          flush=True)
    sides = {"hpsgen": lambda r: time_trainer(binary, study, a.steps, cfg["batch"], r)}
    for v, d, steps in variants:
        sides[v] = lambda r, d=d, steps=steps: run_torch(a, cfg, model_py, d, steps)
    records, loads = interleave(a.repeats, sides)
    summarize(records, loads, ["hpsgen"], [v[0] for v in variants])
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"point": a.point, "config": cfg, "load": loads, "records": records}, f, indent=1)


if __name__ == "__main__":
    main()
