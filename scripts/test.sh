#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine (as root): installs what is
# missing, builds hpsgen and its tests, runs them; then builds the front end and the
# data/metrics tests again under AddressSanitizer + UBSan and runs those.
#   scripts/test.sh            everything
#   HPS_SKIP_ASAN=1 scripts/test.sh   skip the sanitizer pass (quicker local runs)
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

scripts/install-deps.sh --test

echo "== build (Release)"
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DHPS_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build build/release -j"$jobs"
echo "== tests (Release)"
ctest --test-dir build/release --output-on-failure -j"$jobs"

if [[ "${HPS_SKIP_ASAN:-0}" != 1 ]]; then
    echo "== build (AddressSanitizer + UBSan)"
    cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g1" -DHPS_SANITIZE=ON \
        -DHPS_BUILD_BENCHMARKS=OFF >/dev/null
    # only what the tests labelled `sanitize` run: the executables among their commands
    targets=$(ctest --test-dir build/asan -N -L sanitize --show-only=json-v1 | /usr/bin/python3 -c '
import json, os, sys
build = os.path.realpath(sys.argv[1])
names = set()
for t in json.load(sys.stdin)["tests"]:
    for arg in t.get("command", []):
        if os.path.realpath(arg).startswith(build + os.sep):
            names.add(os.path.basename(arg))
print(" ".join(sorted(names)))' build/asan)
    cmake --build build/asan -j"$jobs" --target $targets
    echo "== tests (AddressSanitizer + UBSan)"
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        ctest --test-dir build/asan --output-on-failure -j"$jobs" -L sanitize
fi
