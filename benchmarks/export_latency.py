#!/usr/bin/python3
"""Inference speed of an exported point (hpsgen export) against PyTorch and OpenCV, 1 thread:
batch-1 latency (median and 99th percentile over --calls calls) and batch-128 throughput.

    benchmarks/export_latency.py --hpsgen build/release/generator/hpsgen --study out/cyplam \
        --point model-108 --work /tmp/export_bench

Sides: the exported C++ library (-O3 -march=native, predictor<1> and predictor<128>), torch
(model.py + best.npz, torch.no_grad(), and TorchScript: torch.jit.trace), OpenCV's dnn on the
ONNX export (setNumThreads(1)). The inputs are random: the weights' values do not change the
time, so a point trained for a few steps serves (the data's shape is the study's). Prints a
Markdown table, the machine and the command.
"""
import argparse
import os
import platform
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_common import TORCH_PYTHON, child_env  # noqa: E402

BENCH_CPP = r"""
#include "%(name)s/model.hpp"
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>
namespace m = %(name)s;
int main(int argc, char** argv) {
    const int calls = std::atoi(argv[1]);
    std::vector<float> x(128 * m::input_size), y(128 * m::output_size);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = float((i * 7919) %% 1000) / 500.0f;
    m::predictor<1> one;
    m::predictor<128> many;
    std::vector<double> t(calls);
    for (int i = 0; i < 100; ++i) one.predict(x.data(), y.data());
    for (int i = 0; i < calls; ++i) {
        auto a = std::chrono::steady_clock::now();
        one.predict(x.data() + (i %% 128) * m::input_size, y.data());
        t[i] = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - a).count();
    }
    std::sort(t.begin(), t.end());
    int reps = 0;
    auto a = std::chrono::steady_clock::now();
    double s = 0;
    while ((s = std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count()) < 2.0) {
        many.predict(x.data(), y.data());
        ++reps;
    }
    std::printf("%%f %%f %%f\n", t[calls / 2], t[std::size_t(calls * 0.99)], reps * 128 / s);
}
"""

TORCH_WORKER = r"""
import sys, time, numpy as np, torch
sys.path.insert(0, sys.argv[1])
import model
torch.set_num_threads(1)
calls, shape = int(sys.argv[3]), tuple(int(d) for d in sys.argv[4].split(","))
net = model.load(sys.argv[2])
rank = len(shape)
perm = (0,) if rank == 1 else (0, rank) + tuple(range(1, rank))
def first(x):  # channels first, as model.py's network takes it
    return torch.from_numpy(x).permute(*perm).contiguous() if rank > 1 else torch.from_numpy(x)
x1, x128 = first(np.random.rand(1, *shape).astype(np.float32)), first(np.random.rand(128, *shape).astype(np.float32))
for kind in ("eager", "torchscript"):
    with torch.no_grad():
        f = net if kind == "eager" else torch.jit.trace(net, x1)
        for _ in range(100): f(x1)
        t = []
        for _ in range(calls):
            a = time.perf_counter(); f(x1); t.append((time.perf_counter() - a) * 1e6)
        t.sort()
        reps, a = 0, time.perf_counter()
        while time.perf_counter() - a < 2.0:
            f(x128); reps += 1
        print(kind, t[calls // 2], t[int(calls * 0.99)], reps * 128 / (time.perf_counter() - a), flush=True)
"""

OPENCV_WORKER = r"""
import sys, time, numpy as np, cv2
cv2.setNumThreads(1)
calls, size = int(sys.argv[3]), int(sys.argv[4])
out = []
for path, n in ((sys.argv[1], 1), (sys.argv[2], 128)):
    net = cv2.dnn.readNetFromONNX(path)
    x = np.random.rand(n, size).astype(np.float32)
    for _ in range(100): net.setInput(x); net.forward()
    if n == 1:
        t = []
        for _ in range(calls):
            a = time.perf_counter(); net.setInput(x); net.forward(); t.append((time.perf_counter() - a) * 1e6)
        t.sort(); out += [t[calls // 2], t[int(calls * 0.99)]]
    else:
        reps, a = 0, time.perf_counter()
        while time.perf_counter() - a < 2.0:
            net.setInput(x); net.forward(); reps += 1
        out.append(reps * 128 / (time.perf_counter() - a))
print(*out)
"""


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        sys.exit(f"{' '.join(map(str, cmd))} failed ({r.returncode}):\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")
    return r.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hpsgen", required=True)
    ap.add_argument("--study", required=True)
    ap.add_argument("--point", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--calls", type=int, default=10000)
    a = ap.parse_args()
    work, name = os.path.abspath(a.work), "bench_model"
    os.makedirs(work, exist_ok=True)
    lib = os.path.join(work, "lib")
    run([a.hpsgen, "export", a.study, "--point", a.point, "--name", name, "-o", lib])
    onnx1, onnx128 = os.path.join(work, "onnx1"), os.path.join(work, "onnx128")
    run([a.hpsgen, "export", a.study, "--point", a.point, "--name", name, "--format", "onnx", "--batch", "1", "-o", onnx1])
    run([a.hpsgen, "export", a.study, "--point", a.point, "--name", name, "--format", "onnx", "--batch", "128", "-o", onnx128])

    src = os.path.join(work, "bench.cpp")
    with open(src, "w") as f:
        f.write(BENCH_CPP % {"name": name})
    binary = os.path.join(work, "bench")
    run(["g++", "-std=c++20", "-O3", "-march=native", "-DNDEBUG", "-I", os.path.join(lib, "include"),
         "-I", "/usr/include/eigen3", src, "-o", binary])
    shape_line = open(os.path.join(lib, "include", name, "model.hpp")).read().split("input_shape{")[1].split("}")[0]
    shape = [int(d) for d in shape_line.split(",")]
    size = int(np.prod(shape))
    env = child_env()

    rows = []
    ours = [float(v) for v in run([binary, str(a.calls)], env=env).split()]
    rows.append(("hps export (C++)", *ours))
    run_dir = os.path.join(a.study, "runs", a.point)
    for line in run([TORCH_PYTHON, "-c", TORCH_WORKER, run_dir, os.path.join(run_dir, "best.npz"), str(a.calls),
                     ",".join(map(str, shape))], env=env).splitlines():
        kind, *v = line.split()
        rows.append(("PyTorch " + ("no_grad" if kind == "eager" else "TorchScript"), *map(float, v)))
    cv = run([TORCH_PYTHON, "-c", OPENCV_WORKER, os.path.join(onnx1, name + ".onnx"),
              os.path.join(onnx128, name + ".onnx"), str(a.calls), str(size)], env=env).split()
    rows.append(("OpenCV dnn (ONNX)", *map(float, cv)))

    print(f"{a.point} of {os.path.basename(os.path.normpath(a.study))}, input {shape}, 1 thread, "
          f"{a.calls} batch-1 calls; {platform.processor() or platform.machine()}, {time.strftime('%Y-%m-%d')}")
    print("| runtime | batch-1 median (µs) | batch-1 p99 (µs) | batch-128 samples/s | batch-1 median vs ours |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for label, med, p99, thr in rows:
        print(f"| {label} | {med:.1f} | {p99:.1f} | {thr:,.0f} | {med / rows[0][1]:.1f}x |")
    print("\ncommand: " + " ".join(sys.argv))


if __name__ == "__main__":
    main()
