#!/usr/bin/env python3
"""Training speed of workload 1's models: hpsgen's runtime against PyTorch, and against the
machine's SGEMM roof, for 1 and 2 threads.

Both sides train Model-040 (5, 8, 5, 32, 128), Model-108 (5, 16, 5, 32, 640) and
Model-189 (5, 32, 5, 64, 768) of the CyPLAM grid at batch 128 with Adam (lr 1e-5) and
CyPLAM's loss (0.5 * sum of squares / batch), the same number of timed steps after two
warm-up steps, with the same thread count:

  * hpsgen: `hps_bench --threads=T --steps=S` (benchmarks/bench_train.cpp: zero_grads,
    forward, loss, backward, Adam, as hps::trainer runs a step), in the same process as
    the SGEMM roof (Eigen's, and OpenBLAS's when it can be loaded: square 1024);
  * PyTorch: the equivalent nn.Sequential (Conv2d padding=w//2, ReLU, MaxPool2d,
    Flatten, Linear, Dropout(0.25), Linear), torch.set_num_threads(T), in a fresh
    /usr/bin/python3 (Debian's python3-torch) per measurement. PyTorch's Linear layers
    call the BLAS that libblas.so.3 points to: Debian's reference BLAS unless OpenBLAS is
    installed, which makes them ~30x slower. So PyTorch is measured twice when OpenBLAS
    can be found: "torch" as installed and "torch+openblas" (libblas.so.3 from OpenBLAS's
    folder through LD_LIBRARY_PATH, OPENBLAS_NUM_THREADS=T); the goals are judged
    against the faster.

The machine may be shared (the load average is printed): every repeat runs hpsgen and
PyTorch back to back (alternating which goes first), ratios are taken within a repeat,
and the medians over repeats are reported. Rates are given per wall-clock second and
per CPU-second of the process (for 1 thread the CPU rate is the steadier: it does not
count the time the process waited for a core). Where hps_bench has Model-108's bf16 step
(an AVX512_BF16 CPU), a "bf16" row under that model gives its rate and its ratio to fp32's
in the same process; the fp32 rows and every hpsgen/PyTorch ratio are fp32's, except that
with --torch-bf16 PyTorch's own mixed precision (torch.autocast, bfloat16) is timed too and
the bf16 row gives hpsgen's bf16 step against it. A row above the FMA peak is flagged: no
fp32 step can be. OMP_WAIT_POLICY is the same for both sides (default passive: spinning
threads waste a busy machine's cores; trainers themselves never sleep at once, so on an idle
machine --wait-policy unset gives their multi-threaded speed). --torch-python names the
Python that has PyTorch where it is not Debian's /usr/bin/python3 (scripts/device-bench.sh).

usage: benchmarks/compare_torch.py --bench build/benchmarks/hps_bench
           [--threads 1,2] [--repeats 5] [--steps 20] [--models 040,108,189]
           [--openblas auto|none|DIR] [--wait-policy passive|active|unset] [--json FILE]
           [--torch-python PYTHON] [--torch-bf16]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

MODELS = {  # name: (w1, n1, w2, n2, nfc)
    "040": (5, 8, 5, 32, 128),
    "108": (5, 16, 5, 32, 640),
    "189": (5, 32, 5, 64, 768),
}
BATCH = 128
TORCH_PYTHON = "/usr/bin/python3"  # Debian's python3-torch lives here, not on every PATH


def flops_per_sample(w1, n1, w2, n2, nfc):
    """GEMM FLOPs of one training sample: forward, dW, dX of each conv/dense layer (no dX
    for the first); the same count as benchmarks/bench_support.hpp's cyplam_flops."""
    c1 = 2.0 * n1 * (w1 * w1) * 28 * 28
    c2 = 2.0 * n2 * (w2 * w2 * n1) * 14 * 14
    d1 = 2.0 * (7 * 7 * n2) * nfc
    d2 = 2.0 * nfc * 2
    return 2 * c1 + 3 * c2 + 3 * d1 + 3 * d2


# ---------------------------------------------------------------- the PyTorch side
def torch_worker(threads, steps, models, bf16):
    import torch
    from torch import nn

    torch.set_num_threads(threads)
    torch.manual_seed(1)
    out = {"torch": torch.__version__, "models": {}}
    for name in models:
        w1, n1, w2, n2, nfc = MODELS[name]
        net = nn.Sequential(
            nn.Conv2d(1, n1, w1, padding=w1 // 2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(n1, n2, w2, padding=w2 // 2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(7 * 7 * n2, nfc), nn.ReLU(), nn.Dropout(0.25), nn.Linear(nfc, 2))
        net.train()
        opt = torch.optim.Adam(net.parameters(), lr=1e-5)
        x = torch.rand(BATCH, 1, 28, 28) * 2 - 1
        y = torch.rand(BATCH, 2) * 2 - 1

        def step(half):
            opt.zero_grad()
            # bf16: PyTorch's own mixed precision (autocast: products in bf16, weights,
            # optimizer and loss in fp32), what hpsgen's `precision bf16` is set against
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=half):
                out = net(x)
            loss = 0.5 * ((out.float() - y) ** 2).sum(1).mean()
            loss.backward()
            opt.step()

        out["models"][name] = {}
        for half in [False, True] if bf16 else [False]:
            step(half)
            step(half)
            wall, cpu = time.perf_counter(), time.process_time()
            for _ in range(steps):
                step(half)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            if half:
                out["models"][name]["bf16"] = {"wall": wall / steps, "cpu": cpu / steps}
            else:
                out["models"][name].update({"wall": wall / steps, "cpu": cpu / steps})
    json.dump(out, sys.stdout)


def openblas_dir(choice):
    if choice == "none":
        return None
    dirs = [choice] if choice != "auto" else [
        "/usr/lib/x86_64-linux-gnu/openblas-pthread", "/usr/lib/x86_64-linux-gnu/openblas-openmp",
        os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "build", "openblas")]
    for d in dirs:
        if os.path.exists(os.path.join(d, "libblas.so.3")):
            return os.path.abspath(d)
    if choice != "auto":
        sys.exit(f"compare_torch: {choice} has no libblas.so.3 (OpenBLAS's folder, e.g. "
                 "/usr/lib/x86_64-linux-gnu/openblas-pthread)")
    return None


def system_blas():
    try:
        return os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3")
    except OSError:
        return "?"


def run_torch(args, threads, blas_dir):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads))
    if blas_dir:
        env["LD_LIBRARY_PATH"] = blas_dir + ":" + env.get("LD_LIBRARY_PATH", "")
    cmd = [args.torch_python, os.path.abspath(__file__), "--torch-worker", "--threads", str(threads),
           "--steps", str(args.steps), "--models", ",".join(args.model_list)] + (["--torch-bf16"] if args.torch_bf16 else [])
    res = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit(f"compare_torch: the PyTorch side failed:\n{res.stderr}")
    return json.loads(res.stdout)


# ---------------------------------------------------------------- the hpsgen side
def run_hps(args, threads, blas_lib):
    env = dict(os.environ)
    if blas_lib:
        env["HPS_OPENBLAS"] = blas_lib
    models = "|".join(args.model_list)
    cmd = [args.bench, f"--threads={threads}", f"--steps={args.steps}",
           f"--benchmark_filter=^train/model-({models})/|^sgemm/(eigen|openblas)/square_1024/|^peak/(fma|clock)",
           "--benchmark_format=json", "--benchmark_min_time=0.3"]
    res = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit(f"compare_torch: {' '.join(cmd)} failed:\n{res.stderr}")
    return parse_hps_bench(json.loads(res.stdout))


def parse_hps_bench(data):
    """hps_bench's JSON -> seconds per step of each model, fp32 ("models") and bf16 ("bf16"),
    the SGEMM roof and the FMA peak (GFLOP/s per wall-clock and per CPU second).

    A train benchmark's name is train/model-NNN[/bf16]/iterations:S/...: the third part
    says the precision, so train/model-108/bf16 is never read as Model-108's fp32 step (it
    once was, and bf16's rate was reported as fp32's, above the FMA peak). An unknown third
    part, or a model seen twice, is an error rather than a guess."""
    scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
    out = {"models": {}, "bf16": {}, "roof": {}, "context": data.get("context", {})}
    for b in data["benchmarks"]:
        name = b["name"].split("/")
        s = scale[b["time_unit"]]
        if name[0] == "train":
            model = name[1].split("-")[1]
            variant = name[2] if len(name) > 2 and ":" not in name[2] and not name[2].endswith("_time") else "fp32"
            if variant not in ("fp32", "bf16"):
                raise ValueError(f"compare_torch: {b['name']}: unknown variant {variant!r} (fp32 or bf16)")
            where = out["models"] if variant == "fp32" else out["bf16"]
            if model in where:
                raise ValueError(f"compare_torch: {b['name']}: model-{model} {variant} measured twice in one run")
            where[model] = {"wall": b["real_time"] * s, "cpu": b["cpu_time"] * s}
        elif name[0] == "sgemm":
            gflop = 2.0 * 1024 ** 3 / 1e9
            out["roof"][name[1]] = {"wall": gflop / (b["real_time"] * s), "cpu": gflop / (b["cpu_time"] * s)}
        elif name[0] == "peak" and name[1] == "fma":
            g = b["GFLOP/s"]  # per wall-clock second; one thread
            out["peak"] = {"wall": g, "cpu": g * b["real_time"] / b["cpu_time"]}
        elif name[0] == "peak" and name[1] == "clock":
            out["clock_ghz"] = b["GHz"]  # per CPU second
    return out


def cpu_description():
    """The CPU's model name, vendor, family and model, and the vector extensions the kernels use
    (lscpu's model name alone can be as vague as "AMD EPYC")."""
    info = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key in ("model name", "vendor_id", "cpu family", "model", "flags") and key not in info:
                    info[key] = value.strip()
    except OSError:
        return "unknown (no /proc/cpuinfo)"
    wanted = ("avx2", "fma", "avx512f", "avx512_bf16", "amx_bf16")
    flags = [f for f in wanted if f in info.get("flags", "").split()]
    return (f"{info.get('model name', '?')} ({info.get('vendor_id', '?')} family {info.get('cpu family', '?')} "
            f"model {info.get('model', '?')}), {os.cpu_count()} logical CPUs; ISA: {' '.join(flags) or 'none of ' + ', '.join(wanted)}")


def load():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def median(v):
    return statistics.median(v) if v else float("nan")


def print_scaling(records, thread_list, models, variants, summary):
    """Speed-up over the fewest threads measured, per wall-clock second: the median over
    repeats of each repeat's own ratio (the two rates of a ratio come from one repeat)."""
    base = thread_list[0]
    print(f"== scaling: speed-up over {base} thread{'s' if base > 1 else ''} (wall clock; medians of each "
          f"repeat's ratio; efficiency = speed-up / (threads / {base}))")
    for m in models:
        head = f"   model-{m:<4}{'threads':>8}{'hpsgen/s':>10}{'speed-up':>10}{'effic.':>8}"
        for v in variants:
            head += f"{v + '/s':>17}{'speed-up':>10}"
        print(head)
        for t in thread_list:
            pairs = [(x, y) for x in records if x["threads"] == t
                     for y in records if y["threads"] == base and y["repeat"] == x["repeat"]]
            entry = summary.setdefault(f"{t}/{m}/wall", {})
            up = [y["hps"]["models"][m]["wall"] / x["hps"]["models"][m]["wall"] for x, y in pairs]
            rate = [BATCH / x["hps"]["models"][m]["wall"] for x, _ in pairs]
            entry["hps_speedup"] = median(up)
            line = (f"   {'':<10}{t:>8}{median(rate):>10.0f}{median(up):>9.2f}x"
                    f"{100 * median(up) * base / t:>7.0f}%")
            for v in variants:
                vu = [y[v]["models"][m]["wall"] / x[v]["models"][m]["wall"] for x, y in pairs]
                vr = [BATCH / x[v]["models"][m]["wall"] for x, _ in pairs]
                entry.setdefault(v, {})["speedup"] = median(vu)
                line += f"{median(vr):>17.0f}{median(vu):>9.2f}x"
            print(line)
        print()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bench", default="build/benchmarks/hps_bench")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--models", default="040,108,189")
    ap.add_argument("--openblas", default="auto", help="auto, none, or OpenBLAS's folder (with libblas.so.3)")
    ap.add_argument("--wait-policy", default="passive", choices=["passive", "active", "unset"])
    ap.add_argument("--json", help="write every measurement here")
    ap.add_argument("--torch-python", default=TORCH_PYTHON,
                    help=f"the Python that has PyTorch (default {TORCH_PYTHON}, Debian's python3-torch)")
    ap.add_argument("--torch-bf16", action="store_true",
                    help="also time PyTorch's step under torch.autocast(bfloat16), against hpsgen's bf16 rows")
    ap.add_argument("--torch-worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    args.model_list = [m.strip() for m in args.models.split(",") if m.strip()]
    for m in args.model_list:
        if m not in MODELS:
            sys.exit(f"compare_torch: unknown model {m}; the models are {', '.join(MODELS)}")
    thread_list = [int(t) for t in args.threads.split(",")]
    if args.torch_worker:
        torch_worker(thread_list[0], args.steps, args.model_list, args.torch_bf16)
        return
    if not os.access(args.bench, os.X_OK):
        sys.exit(f"compare_torch: {args.bench} is not built (cmake --build BUILD --target hps_bench)")
    if args.wait_policy != "unset":
        os.environ["OMP_WAIT_POLICY"] = args.wait_policy.upper()

    blas_dir = openblas_dir(args.openblas)
    blas_lib = os.path.join(blas_dir, "libopenblas.so.0") if blas_dir else None
    if blas_lib and not os.path.exists(blas_lib):
        blas_lib = None
    variants = [("torch", None)]
    if blas_dir and os.path.realpath(os.path.join(blas_dir, "libblas.so.3")) != system_blas():
        variants.append(("torch+openblas", blas_dir))
    elif blas_dir:
        variants = [("torch+openblas", None)]  # the system's libblas.so.3 is OpenBLAS already

    print(f"CPU: {cpu_description()}")
    print(f"machine load average at start: {load()}; OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', '(unset)')}")
    print(f"system libblas.so.3: {system_blas()}; OpenBLAS for torch+openblas and the roof: {blas_dir or 'not found'}")
    print(f"{args.repeats} repeats x {args.steps} timed steps per model, batch {BATCH}, threads {args.threads}")
    records = []
    loads = [load()]
    for r in range(args.repeats):
        for t in thread_list:
            rec = {"repeat": r, "threads": t, "load": load()}
            order = ["hps"] + [v for v, _ in variants]
            if r % 2:
                order.reverse()
            for who in order:
                if who == "hps":
                    rec["hps"] = run_hps(args, t, blas_lib)
                else:
                    rec[who] = run_torch(args, t, dict(variants)[who])
            records.append(rec)
            print(f"  repeat {r + 1}/{args.repeats}, {t} thread(s): load {rec['load']}", flush=True)
        loads.append(load())

    torch_version = next((rec[v]["torch"] for rec in records for v, _ in variants if v in rec), "?")
    hps_ctx = records[0]["hps"]["context"] if records else {}
    print(f"\nPyTorch {torch_version}; hps_bench SIMD: {hps_ctx.get('eigen_simd', '?')}; "
          f"OpenBLAS: {hps_ctx.get('openblas', '?')}; bf16 rows: {hps_ctx.get('bf16_kernels', '?')}")
    print(f"load average during the run: {', '.join(loads)}\n")
    summary = {}
    for t in thread_list:
        recs = [x for x in records if x["threads"] == t]
        clock = ["wall", "cpu"] if t == 1 else ["wall"]
        print(f"== {t} thread{'s' if t > 1 else ''}  (medians over {len(recs)} repeats; rates per "
              f"{' and per '.join('wall-clock second' if c == 'wall' else 'CPU-second' for c in clock)})")
        roof = {c: [max(v[c] for v in x["hps"]["roof"].values()) for x in recs if x["hps"]["roof"]] for c in clock}
        peak = {c: [x["hps"]["peak"][c] * t for x in recs if "peak" in x["hps"]] for c in clock}
        for c in clock:
            print(f"   SGEMM roof (square 1024, best of {'/'.join(sorted(recs[0]['hps']['roof']))}), per {c}: "
                  f"{median(roof[c]):.1f} GFLOP/s; FMA peak ({t} x one core's): {median(peak[c]):.1f} GFLOP/s")
        ghz = [x["hps"]["clock_ghz"] for x in recs if "clock_ghz" in x["hps"]]
        if ghz and "cpu" in clock:  # the peak's own check: FLOP per cycle of the core's FMA units
            per_cycle = [x["hps"]["peak"]["cpu"] / x["hps"]["clock_ghz"] for x in recs if "clock_ghz" in x["hps"]]
            print(f"   core clock (dependent adds per CPU second): {median(ghz):.2f} GHz; FMA peak per cycle: "
                  f"{median(per_cycle):.1f} FLOP (Zen 4: 32, Zen 5 and Intel AVX-512 with 2 FMA units: 64, AVX2: 32)")
        head = f"   {'model':<10}{'clock':<6}{'hpsgen/s':>10}{'GFLOP/s':>9}{'roof %':>8}{'peak %':>8}"
        for v, _ in variants:
            head += f"{v + '/s':>17}{'hps/' + v:>19}"
        print(head)
        for m in args.model_list:
            fl = flops_per_sample(*MODELS[m]) * BATCH
            for c in clock:
                hps_rate = [BATCH / x["hps"]["models"][m][c] for x in recs]
                gf = [fl / x["hps"]["models"][m][c] / 1e9 for x in recs]
                share = [g / max(v[c] for v in x["hps"]["roof"].values()) for g, x in zip(gf, recs) if x["hps"]["roof"]]
                pshare = [g / (x["hps"]["peak"][c] * t) for g, x in zip(gf, recs) if "peak" in x["hps"]]
                line = (f"   {'model-' + m:<10}{c:<6}{median(hps_rate):>10.0f}{median(gf):>9.1f}{100 * median(share):>7.0f}%"
                        f"{100 * median(pshare):>7.0f}%")
                entry = {"hps_samples_per_s": median(hps_rate), "hps_gflops": median(gf), "roof_share": median(share),
                         "roof_gflops": median(roof[c]), "peak_share": median(pshare), "peak_gflops": median(peak[c])}
                for v, _ in variants:
                    tr = [BATCH / x[v]["models"][m][c] for x in recs]
                    ratio = [BATCH / x["hps"]["models"][m][c] / (BATCH / x[v]["models"][m][c]) for x in recs]
                    line += f"{median(tr):>17.0f}{median(ratio):>18.2f}x"
                    entry[v] = {"samples_per_s": median(tr), "ratio": median(ratio),
                                "ratio_min": min(ratio), "ratio_max": max(ratio)}
                print(line)
                summary[f"{t}/{m}/{c}"] = entry
                if median(pshare) > 1.05:
                    print(f"   WARNING: model-{m}'s fp32 step above the FMA peak ({100 * median(pshare):.0f} %): "
                          "the timing or the FLOP count is wrong, do not quote this row")
            if all(m in x["hps"]["bf16"] for x in recs):
                for c in clock:
                    rate = [BATCH / x["hps"]["bf16"][m][c] for x in recs]
                    gf = [fl / x["hps"]["bf16"][m][c] / 1e9 for x in recs]
                    # bf16 over fp32 of the same hps_bench process, then over each PyTorch
                    up = [x["hps"]["models"][m][c] / x["hps"]["bf16"][m][c] for x in recs]
                    line = (f"   {'  bf16':<10}{c:<6}{median(rate):>10.0f}{median(gf):>9.1f}"
                            f"{'':>8}{'':>8}   bf16/fp32 {median(up):.2f}x ({min(up):.2f} to {max(up):.2f})")
                    summary[f"{t}/{m}/{c}"]["bf16"] = {"samples_per_s": median(rate), "gflops": median(gf),
                                                      "over_fp32": median(up), "over_fp32_min": min(up),
                                                      "over_fp32_max": max(up)}
                    for v, _ in variants:  # --torch-bf16: against PyTorch's autocast step
                        if all("bf16" in x[v]["models"][m] for x in recs):
                            tr = [BATCH / x[v]["models"][m]["bf16"][c] for x in recs]
                            ratio = [x[v]["models"][m]["bf16"][c] / x["hps"]["bf16"][m][c] for x in recs]
                            line += f"; {v} autocast {median(tr):.0f}/s, hps/{v} {median(ratio):.2f}x"
                            summary[f"{t}/{m}/{c}"]["bf16"][v] = {"samples_per_s": median(tr), "ratio": median(ratio)}
                    print(line)
        print()
    if len(thread_list) > 1:
        print_scaling(records, thread_list, args.model_list, [v for v, _ in variants], summary)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"cpu": cpu_description(), "records": records, "summary": summary, "loads": loads}, f, indent=1)
        print(f"every measurement: {args.json}")


if __name__ == "__main__":
    main()
