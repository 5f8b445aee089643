#!/usr/bin/env bash
# Every figure of docs/performance.md's "Speed" section, in one command:
#   scripts/bench.sh [--quick] [--scaling | --examples]
# builds hps_bench and hpsgen (Release) in build-bench/ (HPS_BENCH_BUILD to change it),
# then prints: the machine (CPU model, family and ISA flags, the load; kept in the build
# folder's machine.txt); the per-layer breakdown and the SGEMM roof (hps_bench, 1
# thread); hpsgen against PyTorch for Model-040/108/189 at 1 and 2 threads
# (benchmarks/compare_torch.py, interleaved repeats, medians); the CyPLAM grid's build
# cost and throughput for two packings, one single-threaded trainer per core and one
# trainer with every core (benchmarks/grid_throughput.py, 12-point subset).
# --quick: fewer repeats and steps (a check that everything runs, not figures).
# --scaling: instead, Model-108's training speed-up from 1 thread to every core (1, 2, 4, 8,
#   12, 16, ... up to nproc) for hpsgen and PyTorch side by side, OpenMP's default wait
#   policy (as under Slurm, where a task's cores are its own); meant for an idle machine.
# --examples: instead, one grid point of each example study against PyTorch, one thread
#   each (benchmarks/point_vs_torch.py; the examples' data generated first when missing).
#
# OpenBLAS is the second SGEMM roof and PyTorch's BLAS for "torch+openblas": the system's
# (Debian libopenblas0-pthread) when installed, else Debian's package unpacked into the
# build folder with `apt-get download` (nothing is installed: the system's libblas.so.3,
# which numpy and torch use, stays as it is); without either, those columns are left out.
# PyTorch is Debian's python3-torch under /usr/bin/python3.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${HPS_BENCH_BUILD:-$root/build-bench}
repeats=5 steps=20 grid_steps=300 scaling=0 examples=0
for arg in "$@"; do
    case $arg in
        --quick) repeats=1 steps=5 grid_steps=50 ;;
        --scaling) scaling=1 ;;
        --examples) examples=1 ;;
        -h | --help)
            sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *)
            echo "bench: unknown option $arg (--quick, --scaling, --examples, --help)" >&2
            exit 2
            ;;
    esac
done

echo "== building hps_bench and hpsgen in $build"
mkdir -p "$build"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DHPS_BUILD_TESTS=OFF >"$build/configure.log" 2>&1 || {
    cat "$build/configure.log"
    exit 1
}
cmake --build "$build" --target hps_bench hpsgen -j "$(nproc)" >"$build/build.log" 2>&1 || {
    tail -30 "$build/build.log"
    exit 1
}
[[ -x $build/benchmarks/hps_bench ]] || {
    echo "bench: hps_bench was not built: Google Benchmark is missing (scripts/install-deps.sh --test)" >&2
    exit 1
}

openblas=""
for d in /usr/lib/x86_64-linux-gnu/openblas-pthread /usr/lib/x86_64-linux-gnu/openblas-openmp "$build/openblas"; do
    if [[ -e $d/libopenblas.so.0 ]]; then
        openblas=$d
        break
    fi
done
if [[ -z $openblas ]] && command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null; then
    tmp=$(mktemp -d)
    if (cd "$tmp" && apt-get download libopenblas0-pthread >/dev/null 2>&1); then
        dpkg-deb -x "$tmp"/libopenblas0-pthread_*.deb "$tmp/root"
        mkdir -p "$build/openblas"
        cp -a "$tmp"/root/usr/lib/x86_64-linux-gnu/openblas-pthread/. "$build/openblas/"
        openblas=$build/openblas
    fi
    rm -rf "$tmp"
fi
[[ -n $openblas ]] && export HPS_OPENBLAS=$openblas/libopenblas.so.0

echo
echo "== machine (also in $build/machine.txt, beside the figures of this run)"
machine() {
    "$root/scripts/machine.sh"
    echo "OpenBLAS: ${openblas:-not found}"
}
machine | tee "$build/machine.txt"

if ((examples)); then
    data=$root/examples/data
    [[ -e $data/printability/train.npz ]] || /usr/bin/python3 "$data/make_printability.py" "$data/printability"
    [[ -e $data/gradation/train.npz ]] || /usr/bin/python3 "$data/make_gradation.py" "$data/gradation"
    [[ -e $data/clustercount.npz ]] || /usr/bin/python3 "$data/make_clustercount.py"
    scale=1
    [[ $repeats == 1 ]] && scale=10 # --quick
    # spec, point, steps of the trainer, torch+openblas, torch as installed
    while read -r spec point s t r; do
        echo
        echo "== $spec $point"
        /usr/bin/python3 "$root/benchmarks/point_vs_torch.py" "$root/examples/$spec" --point "$point" \
            --hpsgen "$build/generator/hpsgen" --openblas "${openblas:-none}" --repeats "$repeats" \
            --steps $((s / scale > 10 ? s / scale : 11)) --torch-steps $((t / scale > 0 ? t / scale : 1)) \
            --ref-steps $((r / scale > 0 ? r / scale : 1)) --work "$build/point-${spec%.hps}" \
            --json "$build/point-${spec%.hps}.json"
    done <<'LIST'
fashion.hps model-3 600 60 20
gradation.hps model-0 2000 200 100
printability.hps model-1 200 20 10
clustercount.hps model-3 100 10 5
LIST
    exit 0
fi

if ((scaling)); then
    cores=$(nproc)
    list=""
    for t in 1 2 4 8 12 16 24 32 48 64; do ((t <= cores)) && list+="${list:+,}$t"; done
    [[ ,$list, == *,$cores,* ]] || list+=",$cores"
    echo
    echo "== Model-108, training step (batch 128, Adam): threads $list"
    /usr/bin/python3 "$root/benchmarks/compare_torch.py" --bench "$build/benchmarks/hps_bench" \
        --openblas "${openblas:-none}" --repeats "$repeats" --steps "$steps" --models 108 --threads "$list" \
        --wait-policy unset --json "$build/scaling.json"
    exit 0
fi

echo
echo "== where a training step's time goes: layers, Adam, and the SGEMM roof (1 thread)"
OMP_WAIT_POLICY=PASSIVE "$build/benchmarks/hps_bench" --threads=1 \
    --benchmark_filter='^layer/|^optimizer/|^sgemm/|^peak/|^train/' --benchmark_min_time=0.5

echo
echo "== hpsgen against PyTorch, 1 and 2 threads"
/usr/bin/python3 "$root/benchmarks/compare_torch.py" --bench "$build/benchmarks/hps_bench" \
    --openblas "${openblas:-none}" --repeats "$repeats" --steps "$steps" --json "$build/compare_torch.json"

echo
echo "== the CyPLAM grid: build cost and models per hour (12-point subset)"
/usr/bin/python3 "$root/benchmarks/grid_throughput.py" --hpsgen "$build/generator/hpsgen" --subset \
    --steps "$grid_steps" --packings "$(nproc)x1,1x$(nproc)" --work "$build/grid"
