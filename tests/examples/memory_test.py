"""The memory estimate (`hpsgen check --cost`, generator/cost.hpp) against the peak RSS of
real trainers: a study of two dense networks of different sizes (64 and 4096 units) on
50,000 samples of 16 x 16 x 1 written here, built and trained 20 steps; each trainer's
peak resident memory (os.wait4's ru_maxrss, the kernel's VmHWM) must lie within 10 % + 2 MiB
of the estimate. The 2 MiB: the fixed overhead (kFixedOverhead, 5 MiB) is one measured
figure, while the runtime's untouched pages and Eigen's per-product packing buffers move a
trainer's RSS by up to about 2 MiB either way (docs/slurm.md, "Memory, time and cost per point").

usage: memory_test.py --hpsgen HPSGEN --work DIR
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from npy_zeros import write_npy  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--hpsgen", required=True)
parser.add_argument("--work", required=True)
args = parser.parse_args()



shutil.rmtree(args.work, ignore_errors=True)
os.makedirs(args.work)
os.chdir(args.work)
write_npy("x.npy", "<f4", (50000, 16, 16, 1), 4)
write_npy("y.npy", "<i8", (50000,), 8)
write_npy("vx.npy", "<f4", (5000, 16, 16, 1), 4)
write_npy("vy.npy", "<i8", (5000,), 8)
with open("memory.hps", "w") as f:
    f.write('study memory\n'
            'data {\n  train "x.npy,y.npy"\n  validation "vx.npy,vy.npy"\n  input 16 x 16 x 1\n  target classes 3\n}\n'
            'network {\n  dense units {64, 4096} activation relu\n  dense units 3\n}\n'
            'train {\n  optimizer adam lr 1e-3\n  loss softmax_ce\n  batch 128\n  steps 20\n}\n')

p = subprocess.run([args.hpsgen, "check", "--cost", "memory.hps"], capture_output=True, text=True)
assert p.returncode == 0, p.stdout + p.stderr
estimate = {}
for line in p.stdout.splitlines():
    m = re.match(r"(model-\d+)\s+\d+\s+([\d.]+) MiB\s", line)
    if m:
        estimate[m.group(1)] = float(m.group(2))
assert sorted(estimate) == ["model-0", "model-1"], p.stdout

p = subprocess.run([args.hpsgen, "generate", "memory.hps", "-o", "st"], capture_output=True, text=True)
assert p.returncode == 0, p.stdout + p.stderr
# -O1 (hpsgen configures only a build folder without a CMakeCache.txt, so it keeps this): half
# the compile time of -O3, the same buffers
p = subprocess.run(["cmake", "-S", "st", "-B", "st/build", "-DCMAKE_BUILD_TYPE=Release",
                    "-DCMAKE_CXX_FLAGS_RELEASE=-O1 -DNDEBUG"], capture_output=True, text=True)
assert p.returncode == 0, p.stdout + p.stderr
p = subprocess.run([args.hpsgen, "run", "st", "--build-only", "-j", "2"], capture_output=True, text=True)
assert p.returncode == 0, p.stdout + p.stderr

for point, want in sorted(estimate.items()):
    network = json.load(open(f"st/settings/{point}.json"))["network"]
    child = subprocess.Popen([f"build/bin/net-{network}", "--settings", f"settings/{point}.json", "--run-dir",
                              f"../run-{point}", "--threads", "1"], cwd="st", stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, child.stderr.read().decode()
    peak = usage.ru_maxrss / 1024  # KiB -> MiB
    print(f"{point}: estimate {want:.1f} MiB, peak RSS {peak:.1f} MiB ({100 * (want - peak) / peak:+.1f} %)")
    assert abs(want - peak) <= 0.10 * peak + 2.0, f"{point}: the estimate {want:.1f} MiB is not within 10 % + 2 MiB " \
                                                   f"of the peak RSS {peak:.1f} MiB"
print("examples.memory_estimate: ok")
