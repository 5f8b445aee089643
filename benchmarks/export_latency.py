#!/usr/bin/python3
"""Inference speed of an exported point (hpsgen export) against PyTorch and OpenCV, 1 thread:
batch-1 latency (median and 99th percentile over --calls calls) and batch-128 throughput.

    benchmarks/export_latency.py --hpsgen build/release/generator/hpsgen --study out/cyplam \
        --point model-108 --work /tmp/export_bench

Sides: the exported C++ library (-O3 -march=native, predictor<1> and predictor<128>), torch
(model.py + best.npz, torch.no_grad(), and TorchScript: torch.jit.trace), OpenCV's dnn on the
ONNX export (setNumThreads(1)). The inputs are random: the weights' values do not change the
time, so a point trained for a few steps serves (the data's shape is the study's).

Every side is a process of its own, started once (built, loaded, warmed up) and then driven
in --rounds rounds: each round asks every side in turn for calls/rounds timed batch-1 calls,
then for --seconds/rounds seconds of batch-128 passes, the order rotated from round to round,
so that a change of the machine's load (other builds) touches every side alike. Batch-128
throughput is given per wall-clock second and per CPU second of the side's thread (which a
loaded machine's preemptions do not count). Prints a Markdown table with each side's ratio
to the export, the load averages, the machine and the command.
"""
import argparse
import os
import platform
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_common import TORCH_PYTHON, child_env, load  # noqa: E402

# Each side reads commands on stdin and answers one line each:
#   lat K   K timed batch-1 calls: their times in µs
#   thr S   batch-128 passes for S seconds (at least one): "passes seconds cpu_seconds"
#           (the CPU time of the calling thread: the passes' cost less the load's preemptions)
# and prints "ready" once it is loaded and warmed up (100 calls of each batch).

BENCH_CPP = r"""
#include "%(name)s/model.hpp"
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>
namespace m = %(name)s;
using clock_type = std::chrono::steady_clock;
double thread_cpu() {
    timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}
int main() {
    std::vector<float> x(128 * m::input_size), y(128 * m::output_size);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = float((i * 7919) %% 1000) / 500.0f;
    m::predictor<1> one;
    m::predictor<128> many;
    for (int i = 0; i < 100; ++i) one.predict(x.data(), y.data());
    for (int i = 0; i < 3; ++i) many.predict(x.data(), y.data());
    std::printf("ready\n");
    std::fflush(stdout);
    char cmd[8];
    double arg = 0;
    long call = 0;
    while (std::scanf("%%7s %%lf", cmd, &arg) == 2) {
        if (std::string(cmd) == "lat") {
            for (long i = 0; i < long(arg); ++i, ++call) {
                const auto a = clock_type::now();
                one.predict(x.data() + (call %% 128) * m::input_size, y.data());
                std::printf("%%s%%.3f", i ? " " : "",
                            std::chrono::duration<double, std::micro>(clock_type::now() - a).count());
            }
            std::printf("\n");
        } else {
            long passes = 0;
            const auto a = clock_type::now();
            const double cpu = thread_cpu();
            double s = 0;
            do {
                many.predict(x.data(), y.data());
                ++passes;
            } while ((s = std::chrono::duration<double>(clock_type::now() - a).count()) < arg);
            std::printf("%%ld %%f %%f\n", passes, s, thread_cpu() - cpu);
        }
        std::fflush(stdout);
    }
}
"""

# argv: run folder, best.npz, the sample's shape "d1,d2,...", eager | torchscript
TORCH_WORKER = r"""
import sys, time, numpy as np, torch
sys.path.insert(0, sys.argv[1])
import model
torch.set_num_threads(1)
shape = tuple(int(d) for d in sys.argv[3].split(","))
net = model.load(sys.argv[2])
rank = len(shape)
perm = (0,) if rank == 1 else (0, rank) + tuple(range(1, rank))
def first(x):  # channels first, as model.py's network takes it
    return torch.from_numpy(x).permute(*perm).contiguous() if rank > 1 else torch.from_numpy(x)
x1, x128 = first(np.random.rand(1, *shape).astype(np.float32)), first(np.random.rand(128, *shape).astype(np.float32))
with torch.no_grad():
    f = net if sys.argv[4] == "eager" else torch.jit.trace(net, x1)
    for _ in range(100): f(x1)
    for _ in range(3): f(x128)
    print("ready", flush=True)
    for line in sys.stdin:
        cmd, arg = line.split()
        if cmd == "lat":
            t = []
            for _ in range(int(arg)):
                a = time.perf_counter(); f(x1); t.append((time.perf_counter() - a) * 1e6)
            print(" ".join("%.3f" % v for v in t), flush=True)
        else:
            passes, a, cpu = 0, time.perf_counter(), time.thread_time()
            while True:
                f(x128); passes += 1
                s = time.perf_counter() - a
                if s >= float(arg): break
            print(passes, s, time.thread_time() - cpu, flush=True)
"""

# argv: the batch-1 ONNX file, the batch-128 one, the sample's size
OPENCV_WORKER = r"""
import sys, time, numpy as np, cv2
cv2.setNumThreads(1)
size = int(sys.argv[3])
nets = {}
for path, n in ((sys.argv[1], 1), (sys.argv[2], 128)):
    net = cv2.dnn.readNetFromONNX(path)
    x = np.random.rand(n, size).astype(np.float32)
    for _ in range(100 if n == 1 else 3): net.setInput(x); net.forward()
    nets[n] = (net, x)
print("ready", flush=True)
for line in sys.stdin:
    cmd, arg = line.split()
    if cmd == "lat":
        net, x = nets[1]
        t = []
        for _ in range(int(arg)):
            a = time.perf_counter(); net.setInput(x); net.forward(); t.append((time.perf_counter() - a) * 1e6)
        print(" ".join("%.3f" % v for v in t), flush=True)
    else:
        net, x = nets[128]
        passes, a, cpu = 0, time.perf_counter(), time.thread_time()
        while True:
            net.setInput(x); net.forward(); passes += 1
            s = time.perf_counter() - a
            if s >= float(arg): break
        print(passes, s, time.thread_time() - cpu, flush=True)
"""


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        sys.exit(f"{' '.join(map(str, cmd))} failed ({r.returncode}):\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")
    return r.stdout


class side:
    """One contender: a worker process, its batch-1 times and batch-128 passes so far."""

    def __init__(self, label, cmd, env):
        self.label, self.times, self.passes, self.seconds, self.cpu = label, [], 0, 0.0, 0.0
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        self.answer("ready")

    def answer(self, want=None):
        line = self.proc.stdout.readline()
        if not line or (want and line.strip() != want):
            sys.exit(f"{self.label}: its worker stopped ({self.proc.wait()}); expected {want or 'an answer'}, got {line!r}")
        return line

    def ask(self, cmd):
        self.proc.stdin.write(cmd + "\n")
        self.proc.stdin.flush()
        return self.answer().split()

    def latency(self, calls):
        self.times += [float(v) for v in self.ask(f"lat {calls}")]

    def throughput(self, seconds):
        passes, s, cpu = self.ask(f"thr {seconds}")
        self.passes += int(passes)
        self.seconds += float(s)
        self.cpu += float(cpu)

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hpsgen", required=True)
    ap.add_argument("--study", required=True)
    ap.add_argument("--point", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--calls", type=int, default=10000, help="batch-1 calls per side (default 10000)")
    ap.add_argument("--seconds", type=float, default=8.0, help="seconds of batch-128 passes per side (default 8)")
    ap.add_argument("--rounds", type=int, default=20, help="rounds the measurements are split into (default 20)")
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
    run_dir = os.path.join(a.study, "runs", a.point)
    torch_args = [TORCH_PYTHON, "-c", TORCH_WORKER, run_dir, os.path.join(run_dir, "best.npz"), ",".join(map(str, shape))]

    loads = [load()]
    sides = [side("hps export (C++, -O3 -march=native)", [binary], env),
             side("PyTorch, `torch.no_grad()`", torch_args + ["eager"], env),
             side("PyTorch, TorchScript (`torch.jit.trace`)", torch_args + ["torchscript"], env),
             side("OpenCV dnn 4.6 on the ONNX export", [TORCH_PYTHON, "-c", OPENCV_WORKER, os.path.join(onnx1, name + ".onnx"),
                                                      os.path.join(onnx128, name + ".onnx"), str(size)], env)]
    for r in range(a.rounds):
        order = sides[r % len(sides):] + sides[:r % len(sides)]
        calls = a.calls // a.rounds + (1 if r < a.calls % a.rounds else 0)
        for s in order:
            s.latency(calls)
        for s in order:
            s.throughput(a.seconds / a.rounds)
        if (r + 1) % max(1, a.rounds // 4) == 0:
            loads.append(load())
            print(f"  round {r + 1}/{a.rounds}, load {loads[-1]}", file=sys.stderr, flush=True)
    for s in sides:
        s.close()

    print(f"{a.point} of {os.path.basename(os.path.normpath(a.study))}, input {shape}, 1 thread, "
          f"{a.calls} batch-1 calls and {a.seconds:g} s of batch-128 passes per side, interleaved in {a.rounds} rounds; "
          f"{platform.processor() or platform.machine()}, {time.strftime('%Y-%m-%d')}; load averages {' -> '.join(loads)}")
    print("| runtime | batch-1 median (µs) | batch-1 p99 (µs) | batch-128 samples/s (per CPU s) | "
          "batch-1 median vs the export | batch-128: the export vs it (per CPU s) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    rows = []
    for s in sides:
        t = np.sort(s.times)
        rows.append((s.label, t[len(t) // 2], t[int(len(t) * 0.99)], s.passes * 128 / s.seconds, s.passes * 128 / s.cpu))
    for label, med, p99, thr, per_cpu in rows:
        print(f"| {label} | {med:.1f} | {p99:.1f} | {thr:,.0f} ({per_cpu:,.0f}) | {med / rows[0][1]:.1f}x | "
              f"{rows[0][3] / thr:.1f}x ({rows[0][4] / per_cpu:.1f}x) |")
    print("\ncommand: " + " ".join(sys.argv))


if __name__ == "__main__":
    main()
