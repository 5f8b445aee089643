#!/usr/bin/env bash
# The machine a figure was measured on, as scripts/bench.sh and scripts/device-bench.sh
# print it: lscpu's model, cores and caches; the CPU's vendor, family and model (lscpu's
# "Model name" can be as vague as "AMD EPYC") and the generation they mean where known;
# the vector and matrix extensions hpsgen uses; the load average.
set -euo pipefail
lscpu | grep -E '^(Model name|CPU\(s\)|Thread\(s\) per core|L2 cache|L3 cache):' || true
read -r vendor family model < <(awk -F': ' '/^vendor_id/{v=$2} /^cpu family/{f=$2} /^model\t/{m=$2} END{print v, f, m}' /proc/cpuinfo)
generation=unknown
if [[ $vendor == AuthenticAMD && $family == 25 ]]; then
    if ((model >= 16 && model <= 31 || model >= 96 && model <= 127)); then generation="AMD Zen 4"
    elif ((model >= 160 && model <= 175)); then generation="AMD Zen 4c"
    else generation="AMD Zen 3"; fi
elif [[ $vendor == AuthenticAMD && $family == 26 ]]; then generation="AMD Zen 5"
elif [[ $vendor == AuthenticAMD && $family == 23 ]]; then generation="AMD Zen 2 or earlier"
elif [[ $vendor == GenuineIntel && $family == 6 ]]; then
    case $model in
        143) generation="Intel Sapphire Rapids" ;;
        207) generation="Intel Emerald Rapids" ;;
        173 | 174) generation="Intel Granite Rapids" ;;
        106 | 108) generation="Intel Ice Lake-SP" ;;
        85) generation="Intel Skylake-SP, Cascade Lake or Cooper Lake" ;;
    esac
fi
echo "CPU: $vendor family $family model $model ($generation)"
echo "ISA: $(grep -m1 '^flags' /proc/cpuinfo | grep -o -w -E 'avx2|fma|avx512f|avx512bw|avx512_vnni|avx512_bf16|amx_tile|amx_bf16|amx_int8' | tr '\n' ' ')"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine slows every figure; ratios are taken within one run)"
