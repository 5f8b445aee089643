#!/usr/bin/env bash
# hpsgen's speed figures on a machine that cannot build hpsgen (no Eigen, Boost or Google
# Benchmark, nothing to install): built here for its CPU, carried there, run there.
#
#   scripts/device-bench.sh build [DIR]   here: hps_bench for three kinds of x86-64 CPU, and
#                                          the AMX test, into DIR (default .device, ignored by git)
#   scripts/device-bench.sh run [DIR]     there, from the repository's root: the machine, the
#                                          AMX test on the real tiles, and Model-108 against the
#                                          machine's own PyTorch, fp32 and bf16, 1, 2 and every core
#
# The kinds (the one run picks is the best the CPU can execute, by /proc/cpuinfo's flags):
#   sapphirerapids  AMX-TILE and AMX-BF16 (Intel Sapphire Rapids and later): bf16 on the tiles
#   cooperlake      AVX512_BF16 (Intel Cooper Lake and later, AMD Zen 4 and Zen 5)
#   x86-64-v3       AVX2 and FMA (no bf16 rows)
# each with the kernels' cache blocking for that kind's L2 per core (2 MiB, 1 MiB, 512 KiB:
# a trainer built on the node reads its own). hps_bench links Google Benchmark, libgomp and
# libstdc++ dynamically (Debian has no static libbenchmark): DIR/lib carries this machine's
# copies, found first through LD_LIBRARY_PATH. The AMX test is linked statically.
#
# PyTorch there is whatever `python3` has (HPS_TORCH_PYTHON to choose); its fp32 and its
# autocast bf16 step are timed (compare_torch.py --torch-bf16). Figures are written under
# $OUT when it is set (a lent machine's output folder), else under DIR.
#   HPS_DEVICE_REPEATS (3), HPS_DEVICE_STEPS (20), HPS_DEVICE_THREADS (1,2,every core)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
verb=${1:-}
dir=${2:-.device}
kinds="sapphirerapids:2097152 cooperlake:1048576 x86-64-v3:524288"

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }

case $verb in
    build)
        mkdir -p "$dir/lib" "$root/build-device"
        dir=$(cd "$dir" && pwd)
        for kind in $kinds; do
            arch=${kind%%:*} l2=${kind##*:}
            build=$root/build-device/$arch
            echo "== hps_bench for $arch (L2 $l2 bytes) in $build"
            cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DHPS_BUILD_TESTS=OFF \
                -DHPS_BENCH_ARCH="$arch" -DHPS_BENCH_L2_BYTES="$l2" \
                ${CMAKE_CXX_COMPILER_LAUNCHER:+-DCMAKE_CXX_COMPILER_LAUNCHER=$CMAKE_CXX_COMPILER_LAUNCHER} \
                >"$build.configure.log" 2>&1 || { cat "$build.configure.log"; exit 1; }
            cmake --build "$build" --target hps_bench -j "$(nproc)" >"$build.build.log" 2>&1 || {
                tail -30 "$build.build.log"
                exit 1
            }
            mkdir -p "$dir/$arch"
            cp "$build/benchmarks/hps_bench" "$dir/$arch/"
        done
        echo "== the AMX test (tests/runtime/layers/test_amx.cpp), static, for sapphirerapids"
        g++ -std=c++20 -O2 -march=sapphirerapids -static -fopenmp -Wno-uninitialized -Wno-maybe-uninitialized \
            -Wno-ignored-attributes -I"$root/runtime" -isystem /usr/include/eigen3 \
            "$root/tests/runtime/layers/test_amx.cpp" -o "$dir/sapphirerapids/test_layers_amx"
        # the shared libraries hps_bench needs beyond the C library
        ldd "$dir/cooperlake/hps_bench" | awk '/=>/{print $3}' | grep -E 'libbenchmark|libgomp|libstdc\+\+|libgcc_s' |
            while read -r lib; do cp -L "$lib" "$dir/lib/"; done
        echo "== done: $(du -sh "$dir" | cut -f1) in $dir; on the lent machine: scripts/device-bench.sh run ${2:-.device}"
        ;;
    run)
        [[ -d $dir ]] || { echo "device-bench: $dir is missing (scripts/device-bench.sh build $dir, here, first)" >&2; exit 1; }
        dir=$(cd "$dir" && pwd)
        out=${OUT:-$dir}
        flags=$(grep -m1 '^flags' /proc/cpuinfo)
        has() { [[ " $flags " == *" $1 "* ]]; }
        if has amx_tile && has amx_bf16; then arch=sapphirerapids
        elif has avx512_bf16; then arch=cooperlake
        elif has avx2 && has fma; then arch=x86-64-v3
        else echo "device-bench: this CPU has neither AVX2 nor FMA; hpsgen's kernels need both" >&2; exit 1; fi
        [[ -x $dir/$arch/hps_bench ]] || { echo "device-bench: $dir/$arch/hps_bench was not built" >&2; exit 1; }
        export LD_LIBRARY_PATH=$dir/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
        echo "== machine"
        "$root/scripts/machine.sh"
        echo "hps_bench: the $arch build"
        if [[ $arch == sapphirerapids ]]; then
            echo
            echo "== the AMX tiles against their emulation and fp32 (runtime.layers.amx_hw)"
            rc=0
            "$dir/sapphirerapids/test_layers_amx" --hw || rc=$?
            echo "test_layers_amx --hw: exit $rc (0 passed, 77 skipped with the reason above)"
        fi
        py=${HPS_TORCH_PYTHON:-python3}
        "$py" -c 'import torch' 2>/dev/null || { echo "device-bench: $py has no PyTorch (HPS_TORCH_PYTHON=...)" >&2; exit 1; }
        threads=${HPS_DEVICE_THREADS:-1,2,$(nproc)}
        [[ $(nproc) -le 2 ]] && threads=${HPS_DEVICE_THREADS:-1,2}
        echo
        echo "== the training step of Model-108 per layer, 1 thread (hps_bench)"
        "$dir/$arch/hps_bench" --threads=1 --benchmark_min_time=0.2 \
            --benchmark_filter='(optimizer/adam|layer/[a-z0-9]+)/model-108/|train/model-108/' 2>&1 |
            grep -E '^(layer|train|optim)' | awk '{printf "  %-45s %9s %s\n", $1, $2, $3}' || true
        echo
        echo "== Model-108 against PyTorch ($("$py" -c 'import torch; print(torch.__version__)')), threads $threads"
        "$py" "$root/benchmarks/compare_torch.py" --bench "$dir/$arch/hps_bench" --openblas none \
            --torch-python "$(command -v "$py")" --torch-bf16 --models 108 --threads "$threads" \
            --repeats "${HPS_DEVICE_REPEATS:-3}" --steps "${HPS_DEVICE_STEPS:-20}" --wait-policy unset \
            --json "$out/compare_torch.json"
        ;;
    -h | --help) usage ;;
    *)
        usage >&2
        exit 2
        ;;
esac
