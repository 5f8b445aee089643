// The machine's SGEMM roof, in the same run as the training step: Eigen's product (what
// the runtime would use without its own kernels) and OpenBLAS's cblas_sgemm when it can
// be loaded, on a square 1024 product and on the products of Model-108's training step;
// and the core's FMA peak (independent FMAs on registers, the widest packets compiled in).
//   sgemm/<library>/<shape>   counters: GFLOP/s (2 m n k per product)
//   peak/fma                  counters: GFLOP/s (2 flops per lane per FMA)
//   peak/clock                counters: GHz (the core's clock, from dependent adds per CPU second)
#include "bench_support.hpp"

#include <Eigen/Core>

#include <vector>

// Eigen's packet types as template arguments (fma_peak): harmless attribute notes
#pragma GCC diagnostic ignored "-Wignored-attributes"

namespace hps_bench {
namespace {

struct gemm_shape {
    const char* name;
    int m, n, k;
    bool trans_a, trans_b;  // C (m, n) = op(A) op(B), column-major
};

// Model-108 (5, 16, 5, 32, 640), batch 128: conv2 is (F 32, K 5*5*16 = 400) over
// 14*14*128 = 25088 pixels; dense1 is 1568 -> 640 over 128 samples.
const gemm_shape shapes[] = {
    {"square_1024", 1024, 1024, 1024, false, false},
    {"conv1_fwd_108", 16, 100352, 25, false, false},      // Y = W P
    {"conv2_fwd_108", 32, 25088, 400, false, false},      // Y = W P
    {"conv2_dw_108", 32, 400, 25088, false, true},        // dW = dZ P^T
    {"conv2_dx_108", 400, 25088, 32, true, false},        // dP = W^T dZ
    {"dense1_fwd_108", 640, 128, 1568, false, false},     // Y = W X
    {"dense1_dw_108", 640, 1568, 128, false, true},       // dW = dZ X^T
    {"dense1_dx_108", 1568, 128, 640, true, false},       // dX = W^T dZ
};

struct operands {
    std::vector<float> a, b, c;
    explicit operands(const gemm_shape& s)
        : a(std::size_t(s.m) * s.k), b(std::size_t(s.k) * s.n), c(std::size_t(s.m) * s.n) {
        fill_random(a.data(), a.size(), 1);
        fill_random(b.data(), b.size(), 2);
    }
};

void eigen_sgemm(benchmark::State& state, gemm_shape s) {
    operands o(s);
    using mat = Eigen::Map<Eigen::MatrixXf>;
    mat A(o.a.data(), s.trans_a ? s.k : s.m, s.trans_a ? s.m : s.k);
    mat B(o.b.data(), s.trans_b ? s.n : s.k, s.trans_b ? s.k : s.n);
    mat C(o.c.data(), s.m, s.n);
    for (auto _ : state) {
        if (!s.trans_a && !s.trans_b) C.noalias() = A * B;
        else if (!s.trans_a) C.noalias() = A * B.transpose();
        else if (!s.trans_b) C.noalias() = A.transpose() * B;
        else C.noalias() = A.transpose() * B.transpose();
        benchmark::DoNotOptimize(o.c.data());
        benchmark::ClobberMemory();
    }
    set_rates(state, 0, 2.0 * s.m * s.n * s.k);
}

void openblas_sgemm_bench(benchmark::State& state, gemm_shape s, cblas_sgemm_fn f) {
    operands o(s);
    constexpr int col_major = 102, no_trans = 111, trans = 112;
    const int lda = s.trans_a ? s.k : s.m, ldb = s.trans_b ? s.n : s.k;
    for (auto _ : state) {
        f(col_major, s.trans_a ? trans : no_trans, s.trans_b ? trans : no_trans, s.m, s.n, s.k, 1.0f, o.a.data(), lda,
          o.b.data(), ldb, 0.0f, o.c.data(), s.m);
        benchmark::DoNotOptimize(o.c.data());
        benchmark::ClobberMemory();
    }
    set_rates(state, 0, 2.0 * s.m * s.n * s.k);
}

// 24 independent accumulator chains: enough to cover the FMA latency on every core
void fma_peak(benchmark::State& state) {
    namespace ei = Eigen::internal;
    using packet = ei::packet_traits<float>::type;
    constexpr int chains = 24, lanes = ei::unpacket_traits<packet>::size;
    constexpr long rounds = 4096;
    packet acc[chains];
    for (int i = 0; i < chains; ++i) acc[i] = ei::pset1<packet>(float(i));
    const packet a = ei::pset1<packet>(0.999f), b = ei::pset1<packet>(1e-3f);
    for (auto _ : state) {
        for (long r = 0; r < rounds; ++r) {
#pragma GCC unroll 24
            for (int i = 0; i < chains; ++i) acc[i] = ei::pmadd(acc[i], a, b);
        }
        benchmark::DoNotOptimize(acc);
    }
    set_rates(state, 0, 2.0 * lanes * chains * rounds);
}

// The core's clock while it runs: a chain of dependent integer adds, one per cycle on every
// x86-64 core, timed in CPU time (a TSC or /proc/cpuinfo's MHz is the nominal clock, not the
// boost the FMA loop runs at). peak/fma's GFLOP/s over this GHz is the FLOP per cycle that the
// core's FMA units give (32 on Zen 4: two 256-bit FMA pipes, a 512-bit FMA in two halves).
void core_clock(benchmark::State& state) {
#if defined(__x86_64__)
    constexpr long adds = 1L << 22;
    long x = 0;
    for (auto _ : state) {
        for (long i = 0; i < adds; i += 8)
            asm volatile(
                "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
                "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0"
                : "+r"(x));
    }
    benchmark::DoNotOptimize(x);
    state.counters["GHz"] = benchmark::Counter(adds * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
#else
    state.SkipWithError("peak/clock: x86-64 only");
#endif
}

const bool registered = [] {
    benchmark::RegisterBenchmark("peak/fma", fma_peak)->Unit(benchmark::kMicrosecond)->UseRealTime();
    benchmark::RegisterBenchmark("peak/clock", core_clock)->Unit(benchmark::kMicrosecond);  // per CPU second
    for (const auto& s : shapes)
        benchmark::RegisterBenchmark((std::string("sgemm/eigen/") + s.name).c_str(), eigen_sgemm, s)
            ->Unit(benchmark::kMillisecond)
            ->UseRealTime();
    return true;
}();

}  // namespace

void register_openblas_benchmarks() {
    (void)registered;
    cblas_sgemm_fn f = openblas_sgemm();
    if (!f) return;
    for (const auto& s : shapes)
        benchmark::RegisterBenchmark((std::string("sgemm/openblas/") + s.name).c_str(), openblas_sgemm_bench, s, f)
            ->Unit(benchmark::kMillisecond)
            ->UseRealTime();
}

}  // namespace hps_bench
