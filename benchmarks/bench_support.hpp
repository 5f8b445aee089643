// Shared by the Google Benchmark targets of benchmarks/: workload 1's models, the thread
// setting, FLOP counts and OpenBLAS (found at run time, optional).
//
// Every benchmark reports rates through counters (`samples/s`, `GFLOP/s`), so one run
// of hps_bench gives the training step, the layers and the machine's SGEMM roof side by
// side: compare ratios within a run, never across runs (the machine may be shared).
#pragma once

#include <hps/layers.hpp>
#include <hps/losses.hpp>
#include <hps/optimizers.hpp>

#include <benchmark/benchmark.h>

#include <cstddef>
#include <string>

namespace hps_bench {

// CyPLAM's skeleton (WORKLOADS.md, workload 1): conv w1 x w1 x n1 SAME relu, maxpool 2,
// conv w2 x w2 x n2 SAME relu, maxpool 2, dense n_fc relu, dropout (keep 0.75), dense 2.
template <int W1, int N1, int W2, int N2, int NFC>
using cyplam_net = hps::network<hps::shape<28, 28, 1>,                           //
                                hps::conv2d<N1, W1, W1, hps::same, hps::relu>,   //
                                hps::maxpool2d<2>,                               //
                                hps::conv2d<N2, W2, W2, hps::same, hps::relu>,   //
                                hps::maxpool2d<2>,                               //
                                hps::dense<NFC, hps::relu>,                      //
                                hps::dropout<0.25>,                              //
                                hps::dense<2>>;

// GEMM FLOPs of one training sample (2 m n k per product: forward, dW and dX of each
// conv and dense layer, no dX for the first layer), the figure PyTorch's side uses too.
constexpr double cyplam_flops(int w1, int n1, int w2, int n2, int nfc) {
    const double c1 = 2.0 * n1 * (w1 * w1 * 1) * 28 * 28;   // forward; dW the same
    const double c2 = 2.0 * n2 * (w2 * w2 * n1) * 14 * 14;  // forward; dW, dX the same
    const double d1 = 2.0 * (7 * 7 * n2) * nfc;
    const double d2 = 2.0 * nfc * 2;
    return 2 * c1 + 3 * c2 + 3 * d1 + 3 * d2;
}

// Threads for Eigen, OpenMP and OpenBLAS (hps_bench --threads=N; default 1).
void set_threads(int n);
int threads();

// OpenBLAS's cblas_sgemm, when a libopenblas can be loaded (HPS_OPENBLAS=path, else
// libopenblas.so.0 on the library path, else Debian's openblas-pthread/openmp folders).
using cblas_sgemm_fn = void (*)(int order, int trans_a, int trans_b, int m, int n, int k, float alpha, const float* a,
                                int lda, const float* b, int ldb, float beta, float* c, int ldc);
cblas_sgemm_fn openblas_sgemm();  // nullptr when not found
std::string openblas_description();

// Rates: per-iteration amounts turned into per-second counters.
inline void set_rates(benchmark::State& state, double samples, double flops) {
    if (samples > 0)
        state.counters["samples/s"] = benchmark::Counter(samples, benchmark::Counter::kIsIterationInvariantRate);
    state.counters["GFLOP/s"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

// Deterministic pseudo-random floats in [-1, 1).
inline void fill_random(float* p, std::size_t n, std::uint64_t seed) {
    hps::rng g(seed);
    for (std::size_t i = 0; i < n; ++i) p[i] = float(2 * g.uniform() - 1);
}

}  // namespace hps_bench
