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

# a build that prints a warning fails: the runtime's headers are compiled into every
# trainer a user builds, and hpsgen's own code builds cleanly with g++ 12 (-Wall -Wextra)
no_warnings() {
    if grep -q 'warning:' "$1"; then
        echo "test.sh: the $2 build printed compiler warnings (above, and in $1); fix them" >&2
        exit 1
    fi
}

echo "== build (Release)"
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DHPS_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build build/release -j"$jobs" 2>&1 | tee build/release/build.log
no_warnings build/release/build.log Release
echo "== tests (Release)"
# one slot more than the cores: the Slurm cluster's cases, which mostly wait, run beside
# $jobs other tests, each of which holds a core (RESOURCE_GROUPS, tests/CMakeLists.txt).
# The generated studies' builds (ccache when installed) share one cache key for what every
# study compiles alike (the runtime's shared objects, its precompiled header, equal trainers):
# paths under the build folder are made relative.
CCACHE_BASEDIR=$PWD/build/release ctest --test-dir build/release --output-on-failure -j"$((jobs + 1))" \
    --resource-spec-file "$PWD/build/release/ctest-resources.json"

if [[ "${HPS_SKIP_ASAN:-0}" != 1 ]]; then
    echo "== build (AddressSanitizer + UBSan)"
    # Ninja: it builds the listed targets side by side (CMake's Makefiles build the targets
    # named on one command line one after another: the top level is .NOTPARALLEL)
    if [[ -f build/asan/CMakeCache.txt ]] && ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' build/asan/CMakeCache.txt; then
        rm -rf build/asan   # configured by an earlier version with another generator
    fi
    # -O0: half the compile time of -O1 (the sanitizer pass is mostly build), its tests
    # still run in under a minute
    cmake -G Ninja -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O0 -g1" -DHPS_SANITIZE=ON \
        -DHPS_BUILD_BENCHMARKS=OFF >/dev/null
    # only what the tests labelled `sanitize` run: the executables among their commands, read
    # from the CTestTestfile.cmake files (ctest -N leaves out the command of a test whose
    # executable is not built yet, and here none is): those ctest reads, the top one and the
    # ones its subdirs() name (a folder of the tests' earlier layout keeps a stale one)
    targets=$(/usr/bin/python3 - build/asan <<'PY'
import os, re, sys
build = os.path.realpath(sys.argv[1])
names = set()
folders = [build]
while folders:
    root = folders.pop()
    if not os.path.isfile(os.path.join(root, "CTestTestfile.cmake")):
        continue
    text = open(os.path.join(root, "CTestTestfile.cmake")).read()
    folders += [os.path.join(root, d) for d in re.findall(r'^subdirs\("([^"]*)"\)', text, re.M)]
    labelled = {m.group(1) for m in re.finditer(r'set_tests_properties\(\[=\[(.+?)\]=\] PROPERTIES (.*)', text)
                if re.search(r'LABELS "[^"]*\bsanitize\b', m.group(2))}
    for m in re.finditer(r'add_test\(\[=\[(.+?)\]=\] (.*)\)\n', text):
        if m.group(1) in labelled:
            for arg in re.findall(r'"([^"]*)"', m.group(2)):
                if os.path.realpath(arg).startswith(build + os.sep):
                    names.add(os.path.basename(arg))
# only what is a target of the build (a test's argument may be a folder or file in it)
import subprocess
listed = subprocess.run(["ninja", "-C", build, "-t", "targets", "all"], capture_output=True, text=True, check=True)
targets = {line.split(":")[0] for line in listed.stdout.splitlines() if line.endswith(": phony")}
names &= targets
if not names:
    sys.exit("test.sh: no executables found for the tests labelled sanitize")
print(" ".join(sorted(names)))
PY
)
    cmake --build build/asan -j"$jobs" --target $targets 2>&1 | tee build/asan/build.log
    no_warnings build/asan/build.log sanitizer
    echo "== tests (AddressSanitizer + UBSan)"
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        ctest --test-dir build/asan --output-on-failure -j"$jobs" -L sanitize
fi
