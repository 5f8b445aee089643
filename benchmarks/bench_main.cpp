// hps_bench's main: Google Benchmark's, plus --threads=N (Eigen, OpenMP and OpenBLAS
// threads; default 1), --steps=N (train/* time exactly N steps; default: Google
// Benchmark's own choice) and the OpenBLAS roof when a libopenblas can be loaded.
//
//   hps_bench --threads=1 --benchmark_filter='train|sgemm'
#include "bench_support.hpp"

#include <hps/layers/amx_kernels.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <dlfcn.h>
#if defined(_OPENMP)
#include <omp.h>
#endif

namespace hps_bench {

void register_openblas_benchmarks();  // bench_gemm.cpp
void register_train_benchmarks(int steps);  // bench_train.cpp

namespace {
int thread_count = 1;
void* openblas_handle = nullptr;
std::string openblas_path;
bool openblas_tried = false;

void load_openblas() {
    if (openblas_tried) return;
    openblas_tried = true;
    std::vector<std::string> candidates;
    if (const char* p = std::getenv("HPS_OPENBLAS")) candidates.emplace_back(p);
    candidates.emplace_back("libopenblas.so.0");
    candidates.emplace_back("/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0");
    candidates.emplace_back("/usr/lib/x86_64-linux-gnu/openblas-openmp/libopenblas.so.0");
    for (const auto& c : candidates) {
        if (c.empty()) continue;
        if ((openblas_handle = ::dlopen(c.c_str(), RTLD_NOW | RTLD_LOCAL))) {
            openblas_path = c;
            return;
        }
    }
}
}  // namespace

void set_threads(int n) {
    thread_count = n;
    Eigen::setNbThreads(n);
#if defined(_OPENMP)
    omp_set_num_threads(n);
#endif
    load_openblas();
    if (openblas_handle)
        if (auto f = reinterpret_cast<void (*)(int)>(::dlsym(openblas_handle, "openblas_set_num_threads"))) f(n);
}

int threads() { return thread_count; }

cblas_sgemm_fn openblas_sgemm() {
    load_openblas();
    return openblas_handle ? reinterpret_cast<cblas_sgemm_fn>(::dlsym(openblas_handle, "cblas_sgemm")) : nullptr;
}

std::string openblas_description() {
    load_openblas();
    if (!openblas_handle) return "not found (set HPS_OPENBLAS=/path/libopenblas.so.0)";
    std::string d = openblas_path;
    if (auto core = reinterpret_cast<const char* (*)()>(::dlsym(openblas_handle, "openblas_get_corename")))
        d += std::string(" (core ") + core() + ")";
    return d;
}

}  // namespace hps_bench

int main(int argc, char** argv) {
    std::vector<char*> args;
    int threads = 1, steps = 0;
    for (int i = 0; i < argc; ++i) {
        if (std::strncmp(argv[i], "--threads=", 10) == 0) threads = std::max(1, std::atoi(argv[i] + 10));
        else if (std::strncmp(argv[i], "--steps=", 8) == 0) steps = std::max(1, std::atoi(argv[i] + 8));
        else args.push_back(argv[i]);
    }
    int n = int(args.size());
    hps_bench::set_threads(threads);
    benchmark::AddCustomContext("hps_threads", std::to_string(threads));
    benchmark::AddCustomContext("eigen_simd", Eigen::SimdInstructionSetsInUse());
    benchmark::AddCustomContext("openblas", hps_bench::openblas_description());
    // what the bf16 rows (train/model-108/bf16, layer/.../bf16/...) ran on: AMX tiles or AVX512_BF16
    benchmark::AddCustomContext("bf16_kernels", hps::bf16_unavailable().empty() ? hps::bf16_kernels_in_use() : "none");
    hps_bench::register_train_benchmarks(steps);
    hps_bench::register_openblas_benchmarks();
    benchmark::Initialize(&n, args.data());
    if (benchmark::ReportUnrecognizedArguments(n, args.data())) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
