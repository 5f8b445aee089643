#!/usr/bin/env bash
# The demo, end to end on this machine (as root on a fresh Debian 12): installs what is
# missing, builds hpsgen, and runs the Fashion-MNIST study examples/fashion.hps:
# check -> generate -> build + train every grid point -> ranked report and report.html.
#   scripts/demo.sh [SPEC]      (default examples/fashion.hps; results under demo/)
set -euo pipefail
cd "$(dirname "$0")/.."
spec=${1:-examples/fashion.hps}
name=$(basename "$spec" .hps)

scripts/install-deps.sh
echo "== building hpsgen"
cmake -S . -B build/demo -DCMAKE_BUILD_TYPE=Release -DHPS_BUILD_TESTS=OFF -DHPS_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build build/demo -j"$(nproc)" --target hpsgen
hpsgen=build/demo/generator/hpsgen

echo "== hpsgen check $spec"
$hpsgen check "$spec"
echo "== hpsgen generate $spec -o demo/$name"
$hpsgen generate "$spec" -o "demo/$name"
echo "== hpsgen run demo/$name"
$hpsgen run "demo/$name"
echo "== hpsgen report demo/$name"
$hpsgen report "demo/$name"
echo "== the study's page: $(pwd)/demo/$name/report.html"
echo "   (self-contained: open it here, or copy it to a laptop and open it there)"
