"""What the benchmark scripts that run trainers and PyTorch as child processes share:
their environment, timing a child, finding OpenBLAS, what BLAS a torch child loaded, the
interleaved repeats and the summary of medians and ratios."""
import ctypes
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time

TORCH_PYTHON = "/usr/bin/python3"  # Debian's python3-torch lives here, not on every PATH


def sh(args, who, cwd=None):
    """Runs a setup command (hpsgen generate, a build); exits with its output when it fails."""
    r = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"{who}: {' '.join(args)} failed ({r.returncode}):\n{r.stdout}{r.stderr}")
    return r.stdout + r.stderr


def child_env(blas_dir=None, coretype=""):
    """One thread, passive OpenMP waits; OpenBLAS's libblas.so.3 first when blas_dir is given."""
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", OMP_WAIT_POLICY="PASSIVE")
    if blas_dir:
        env["LD_LIBRARY_PATH"] = blas_dir + ":" + env.get("LD_LIBRARY_PATH", "")
    if coretype:
        env["OPENBLAS_CORETYPE"] = coretype
    return env


def run_child(cmd, cwd, env):
    """Runs cmd; returns (wall seconds, CPU seconds of the child)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


FEW = 10  # steps of the short trainer run subtracted from the long one


def time_trainer(binary, study, steps, batch, r):
    """Samples/s of a trainer's training alone, one thread: a run of `steps` less a run of
    FEW (start-up, data loading, the one evaluation and file writing cancel out)."""
    base = ["--threads", "1", "--quiet", "--checkpoints", "1"]
    env = child_env()
    w0, c0 = run_child([binary, "--run-dir", f"runs/few{r}", "--steps", str(FEW)] + base, study, env)
    w1, c1 = run_child([binary, "--run-dir", f"runs/all{r}", "--steps", str(steps)] + base, study, env)
    n = (steps - FEW) * batch
    return {"wall": n / (w1 - w0), "cpu": n / (c1 - c0)}


def openblas_dir(choice, root, who):
    """OpenBLAS's folder (the one with its libblas.so.3): Debian's, else the one
    scripts/bench.sh unpacks under build-bench/; None when there is none."""
    if choice == "none":
        return None
    dirs = [choice] if choice != "auto" else [
        "/usr/lib/x86_64-linux-gnu/openblas-pthread", "/usr/lib/x86_64-linux-gnu/openblas-openmp",
        os.path.join(root, "build", "openblas"), os.path.join(root, "build-bench", "openblas")]
    for d in dirs:
        if os.path.exists(os.path.join(d, "libblas.so.3")):
            return os.path.abspath(d)
    if choice != "auto":
        sys.exit(f"{who}: {choice} has no libblas.so.3 (OpenBLAS's folder)")
    return None


def load():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def blas_report(torch):
    """In a torch child: the BLAS torch was built for, the BLAS libraries this process has
    mapped, and OpenBLAS's kernel set when it is one of them."""
    libs = set()
    with open("/proc/self/maps") as f:
        for line in f:
            p = line.split()[-1]
            if re.search(r"/lib(open)?blas[^/]*\.so", p):
                libs.add(os.path.realpath(p))
    core = None
    for lib in libs:
        if "openblas" in lib:
            try:
                h = ctypes.CDLL(lib)
                h.openblas_get_corename.restype = ctypes.c_char_p
                core = h.openblas_get_corename().decode()
            except (OSError, AttributeError):
                pass
    blas_info = re.search(r"BLAS_INFO=([^,\s]+)", torch.__config__.show())
    return {"torch": torch.__version__, "blas_info": blas_info.group(1) if blas_info else "?",
            "libs": sorted(libs), "openblas_core": core}


def run_torch_child(cmd, env, who):
    """Runs a torch worker child that prints one JSON object; returns it."""
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"{who}: the PyTorch child failed:\n{r.stderr}")
    return json.loads(r.stdout)


def interleave(repeats, sides):
    """Measures every side once per repeat, the order reversed every other repeat so that a
    change of the machine's load touches every side alike. sides: {name: f(repeat) ->
    {"wall": samples/s, "cpu": samples/s, ...}}. Returns (records, load averages)."""
    loads, records = [load()], []
    for r in range(repeats):
        rec = {"load": load()}
        order = list(sides) if r % 2 == 0 else list(reversed(sides))
        for who in order:
            rec[who] = sides[who](r)
        records.append(rec)
        print(f"  repeat {r + 1}/{repeats} (load {rec['load']}): " +
              ", ".join(f"{w} {rec[w]['wall']:.0f} wall / {rec[w]['cpu']:.0f} CPU" for w in order), flush=True)
        loads.append(load())
    return records, loads


def summarize(records, loads, ours, torch_sides):
    """Prints the medians of every side and the ratios of each of `ours` to each torch side
    (medians of the per-repeat ratios), per wall-clock and per CPU second."""
    med = statistics.median
    print(f"\nload average during the run: {', '.join(loads)}")
    for v in torch_sides:
        t = records[0][v]
        core = f", OpenBLAS kernels {t['openblas_core']}" if t["openblas_core"] else ""
        print(f"{v}: PyTorch {t['torch']} (built with BLAS_INFO={t['blas_info']}), "
              f"loaded {', '.join(t['libs']) or '?'}{core}")
    print(f"\n{'samples/s (median)':<28}{'wall':>10}{'CPU':>10}")
    for who in list(ours) + list(torch_sides):
        print(f"{who:<28}{med(x[who]['wall'] for x in records):>10.0f}{med(x[who]['cpu'] for x in records):>10.0f}")
    first = list(ours)[0]
    for v in list(ours)[1:] + list(torch_sides):
        rw = [x[first]["wall"] / x[v]["wall"] for x in records]
        rc = [x[first]["cpu"] / x[v]["cpu"] for x in records]
        print(f"{first + ' / ' + v:<28}{med(rw):>9.2f}x{med(rc):>9.2f}x   (per repeat, CPU: "
              f"{', '.join(f'{q:.2f}' for q in rc)})")
