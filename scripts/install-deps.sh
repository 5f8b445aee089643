#!/usr/bin/env bash
# Installs, from Debian 12's own packages, what hpsgen needs and is missing.
#   scripts/install-deps.sh          build + run (compiler, cmake, Boost, Eigen, zlib, HDF5 for HDF5
#                                    data, Chart.js for report.html, Fashion-MNIST)
#   scripts/install-deps.sh --test   also the test suite's references and tools (doctest, Google Benchmark, Ninja, ccache,
#                                    python3-numpy/-sklearn/-torch/-h5py, python3-onnx/-opencv for the ONNX
#                                    export's checks, python3-yaml for the MLflow layout's, chromium for report.html's test) and the Slurm test
#                                    cluster (slurmctld, slurmd, slurm-client, munge) and OpenMPI (libopenmpi-dev,
#                                    openmpi-bin) for the `ranks` tests
# Nothing is downloaded outside apt; nothing is installed that is already there.
set -euo pipefail

# libjs-chart.js: Chart.js, which the build compiles into hpsgen for report.html's plots
# libhdf5-dev: hpsgen reads HDF5 data; a generated study links it only when its data is HDF5
want=(g++ cmake make libboost-dev libeigen3-dev zlib1g-dev libhdf5-dev nlohmann-json3-dev libjs-chart.js dataset-fashion-mnist)
if [[ "${1:-}" == "--test" ]]; then
    # ccache: the suite's generated studies share what they compile alike (scripts/test.sh)
    want+=(ccache)
    want+=(doctest-dev libbenchmark-dev ninja-build python3-numpy python3-sklearn python3-torch python3-h5py python3-onnx python3-opencv)
    # PyYAML reads the MLflow file store's meta.yaml as MLflow does (tests/examples/logs_test.py)
    want+=(python3-yaml)
    # headless Chromium opens report.html in tests/generator/cli (report_html_test.py)
    want+=(chromium)
    # a one-node Slurm cluster for tests/generator/slurm: scripts/slurm-cluster.sh runs its own
    # daemons with every file under one folder; the system services are not used
    want+=(slurmctld slurmd slurm-client munge)
    # OpenMPI for the data-parallel tests (`ranks`: runtime.train.ranks, generator.slurm.ranks).
    # Not in the base list: only a study with `ranks` above 1 needs MPI, and a cluster brings
    # its own (a module built against its Slurm and network); its CMake says how to install it
    want+=(libopenmpi-dev openmpi-bin)
fi

missing=()
for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
    echo "install-deps: everything is already installed"
    exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps: missing packages: ${missing[*]}" >&2
    echo "install-deps: run this script as root, or: sudo apt-get install ${missing[*]}" >&2
    exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update -q
apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}"
