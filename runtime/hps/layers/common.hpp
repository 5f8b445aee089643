// Helpers shared by the layer headers: runtime-sized Eigen views, the GEMM the layers
// call (Eigen's kernel with packing buffers allocated once, split over OpenMP threads),
// the channels-last -> channels-first order of PyTorch's flatten, Python formatting, and
// HPS_OMP(...) for OpenMP pragmas.
//
// Why runtime-sized Maps for products and long element-wise passes, although every
// size is known: Eigen's fixed-size products pack both whole operands on the stack
// (gemm_blocking_space with finite compile-time sizes), which overflows the stack at
// workload sizes (a 1024 x 3136 dense layer), and its evaluator computes Rows * Cols *
// cost in `int` enums, a compile error past 2^31. The sizes still come from constants,
// so the compiler sees them; only Eigen's blocking becomes the run-time one.
//
// Why detail::gemm rather than `C.noalias() = A * B`: Eigen's run-time-sized product
// allocates its packing buffers on every call (and, threaded, synchronises its threads
// through a spin-wait that a busy machine turns into lost time). detail::gemm calls the
// same packed kernel (general_matrix_matrix_product, Eigen 3.4's internal API) with
// buffers allocated once per layer and per thread, and splits the product itself: each
// OpenMP thread computes a block of rows or columns of C, so the result does not depend
// on the thread count's scheduling and nothing is allocated in the training loop.
#pragma once

#include "hps/core.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#if defined(_OPENMP)
#include <omp.h>
#endif

// OpenMP pragmas that vanish (without -Wunknown-pragmas noise) when OpenMP is off.
#ifndef HPS_OMP
#if defined(_OPENMP)
#define HPS_OMP(directive) _Pragma(#directive)
#else
#define HPS_OMP(directive)
#endif
#endif

// The Eigen kernels of detail::gemm (below), in the three transpositions the layers use,
// are compiled once per study folder when it defines HPS_SHARED_KERNELS (a generated
// study's CMakeLists.txt does: hps/kernels.cpp holds the instantiations); otherwise every
// program instantiates them itself, header-only.
#if defined(HPS_SHARED_KERNELS) || defined(HPS_INSTANTIATE_KERNELS)
#if defined(HPS_INSTANTIATE_KERNELS)
#define HPS_KERNEL_INSTANTIATION template
#else
#define HPS_KERNEL_INSTANTIATION extern template
#endif
HPS_KERNEL_INSTANTIATION struct Eigen::internal::general_matrix_matrix_product<
    Eigen::Index, float, Eigen::ColMajor, false, float, Eigen::ColMajor, false, Eigen::ColMajor, 1>;
HPS_KERNEL_INSTANTIATION struct Eigen::internal::general_matrix_matrix_product<
    Eigen::Index, float, Eigen::ColMajor, false, float, Eigen::RowMajor, false, Eigen::ColMajor, 1>;
HPS_KERNEL_INSTANTIATION struct Eigen::internal::general_matrix_matrix_product<
    Eigen::Index, float, Eigen::RowMajor, false, float, Eigen::ColMajor, false, Eigen::ColMajor, 1>;
#undef HPS_KERNEL_INSTANTIATION
#endif

namespace hps::detail {

// ------------------------------------------------------- Eigen's blocking, fixed
// Eigen's packed GEMM cuts the sum over K into blocks of kc terms, and kc comes from the
// L1 size it reads through CPUID on the running CPU (Eigen 3.4: about 150 terms with a
// 32 KiB L1, 230 with 48 KiB). So one binary would sum the LSTM's and GRU's input products
// and the dense layers that stay on detail::gemm in a different order on another CPU
// model, and a run requeued onto another node would not resume exactly. Every program
// that includes the layers sets the sizes Eigen blocks by to these constants before main
// (design.md, section 24). They only steer Eigen's blocking (the other two never change a
// sum's order, only the tiling of C); 32 KiB is the L1 of every x86 server core before
// Ice Lake and of AMD's, so the blocks are those Eigen chose on most machines anyway.
inline constexpr std::ptrdiff_t eigen_l1_bytes = 32 * 1024;
inline constexpr std::ptrdiff_t eigen_l2_bytes = 1024 * 1024;
inline constexpr std::ptrdiff_t eigen_l3_bytes = 8 * 1024 * 1024;
inline void fix_eigen_blocking() { Eigen::setCpuCacheSizes(eigen_l1_bytes, eigen_l2_bytes, eigen_l3_bytes); }
inline const bool eigen_blocking_fixed = (fix_eigen_blocking(), true);

using dyn_matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic>;
using dyn_vector = Eigen::Matrix<float, Eigen::Dynamic, 1>;
using dyn_array = Eigen::Array<float, Eigen::Dynamic, 1>;

using mat_view = Eigen::Map<dyn_matrix>;               // (rows, cols) column-major
using const_mat_view = Eigen::Map<const dyn_matrix>;
using vec_view = Eigen::Map<dyn_vector>;
using const_vec_view = Eigen::Map<const dyn_vector>;
using array_view = Eigen::Map<dyn_array>;              // n floats, element-wise math
using const_array_view = Eigen::Map<const dyn_array>;

// ---------------------------------------------------------------------------- sqrt
// The IEEE square root of a float or of one of Eigen's float packets (Eigen's own psqrt
// is an approximation when EIGEN_FAST_MATH is on, its default).
inline float exact_sqrt(float x) { return std::sqrt(x); }
#if defined(EIGEN_VECTORIZE_SSE)
inline Eigen::internal::Packet4f exact_sqrt(const Eigen::internal::Packet4f& x) { return _mm_sqrt_ps(x); }
#endif
#if defined(EIGEN_VECTORIZE_AVX)
inline Eigen::internal::Packet8f exact_sqrt(const Eigen::internal::Packet8f& x) { return _mm256_sqrt_ps(x); }
#endif
#if defined(EIGEN_VECTORIZE_AVX512)
// (the zero-masked form: GCC 12 warns of _mm512_sqrt_ps's undefined pass-through operand)
inline Eigen::internal::Packet16f exact_sqrt(const Eigen::internal::Packet16f& x) {
    return _mm512_maskz_sqrt_ps(__mmask16(0xFFFF), x);
}
#endif

// ---------------------------------------------------------------------------- threads
// The number of threads a parallel region may use here: 1 inside another parallel region.
inline int usable_threads() {
#if defined(_OPENMP)
    return omp_in_parallel() ? 1 : omp_get_max_threads();
#else
    return 1;
#endif
}
inline int thread_id() {
#if defined(_OPENMP)
    return omp_get_thread_num();
#else
    return 0;
#endif
}
// The threads of the current team. Inside a region that shares work out by thread number,
// use this, not the count asked for: OpenMP may give fewer threads than num_threads(T)
// asks (OMP_DYNAMIC on a busy machine, OMP_THREAD_LIMIT), and shares meant for threads
// that do not exist would silently never be computed.
inline int team_size() {
#if defined(_OPENMP)
    return omp_get_num_threads();
#else
    return 1;
#endif
}

// ---------------------------------------------------------------------------- gemm

// C (M, N) += op(A) op(B), column-major floats, op(X) = X or X^T:
//   A is (M, K), or (K, M) when TransA; B is (K, N), or (N, K) when TransB.
// Eigen's packed GEMM kernel on preallocated buffers; with T > 1 threads (and enough
// work) C is cut into T blocks of rows (when op(A) is the larger operand: each thread
// packs its own rows of A and all of B) or of columns (otherwise), one per thread.
// prepare() allocates (bind() calls it); run() allocates only if the thread count grew.
template <int M, int N, int K, bool TransA, bool TransB>
class gemm {
    static_assert(M > 0 && N > 0 && K > 0, "gemm: sizes must be > 0");
    using blocking_type = Eigen::internal::gemm_blocking_space<Eigen::ColMajor, float, float, Eigen::Dynamic, Eigen::Dynamic,
                                                               Eigen::Dynamic, 1, false>;
    using kernel = Eigen::internal::general_matrix_matrix_product<Eigen::Index, float, TransA ? Eigen::RowMajor : Eigen::ColMajor,
                                                                  false, float, TransB ? Eigen::RowMajor : Eigen::ColMajor,
                                                                  false, Eigen::ColMajor, 1>;
    static constexpr double flops = 2.0 * M * N * K;
    // split rows when A (M x K) is larger than B (K x N): every thread packs what is not split
    static constexpr bool split_rows = std::size_t(M) >= std::size_t(N);
    static constexpr int split_extent = split_rows ? M : N;
    // rows in multiples of Eigen's register block (mr), columns of its nr
    static constexpr int split_grain = split_rows ? int(Eigen::internal::gebp_traits<float, float>::mr) : 4;

public:
    // Threads worth using: at least ~1 MFLOP and one grain of C per thread.
    static int threads_for(int available) {
        int t = std::min(available, std::max(1, int(flops / 1e6)));
        return std::max(1, std::min(t, (split_extent + split_grain - 1) / split_grain));
    }

    void prepare(int threads) {
        if (int(blocking_.size()) >= threads) return;
        blocking_.clear();
        for (int t = 0; t < threads; ++t) {
            const auto [begin, end] = part(t, threads);
            const int rows = split_rows ? end - begin : M, cols = split_rows ? N : end - begin;
            blocking_.push_back(std::make_unique<blocking_type>(std::max(rows, 1), std::max(cols, 1), K, 1, true));
            blocking_.back()->allocateAll();
        }
    }

    // c += op(a) op(b)
    void run(const float* a, const float* b, float* c) {
        const int threads = threads_for(usable_threads());
        prepare(threads);
        if (threads == 1) {
            run_part(a, b, c, part(0, 1), *blocking_[0]);
            return;
        }
        HPS_OMP(omp parallel num_threads(threads))
        {
            // split among the threads OpenMP gave (at most `threads`: a buffer each)
            const int t = thread_id(), nt = team_size();
            run_part(a, b, c, part(t, nt), *blocking_[std::size_t(t)]);
        }
    }

private:
    static std::pair<int, int> part(int t, int threads) {
        const int grains = (split_extent + split_grain - 1) / split_grain;
        const int begin = int(std::min<long>(split_extent, long(grains) * t / threads * split_grain));
        const int end = int(std::min<long>(split_extent, long(grains) * (t + 1) / threads * split_grain));
        return {begin, end};
    }

    // Any part may use any thread's buffers: Eigen loops over blocks of the sizes they
    // were made for, whatever the part's size.
    static void run_part(const float* a, const float* b, float* c, std::pair<int, int> range, blocking_type& blocking) {
        const auto [begin, end] = range;
        if (end <= begin) return;
        const int rows = split_rows ? end - begin : M, cols = split_rows ? N : end - begin;
        const int r0 = split_rows ? begin : 0, c0 = split_rows ? 0 : begin;
        // op(A) rows r0..: A + r0 (col-major, ld M) or A + r0 * K (row-major view of A^T, ld K)
        const float* ap = TransA ? a + std::size_t(r0) * K : a + r0;
        // op(B) columns c0..: B + c0 * K (ld K) or B + c0 (row-major view of B^T, ld N)
        const float* bp = TransB ? b + c0 : b + std::size_t(c0) * K;
        kernel::run(rows, cols, K, ap, TransA ? K : M, bp, TransB ? N : K, c + r0 + std::size_t(c0) * M, 1, M, 1.0f,
                    blocking, nullptr);
    }

    std::vector<std::unique_ptr<blocking_type>> blocking_;
};

// PyTorch's nn.Flatten sees a channels-first tensor (C, d0, d1, ...) where we hold the
// same sample channels-last (d0, d1, ..., C). For torch's flat index j, the index of the
// same value in our flat order. Rank 1: the identity.
template <class S>
constexpr int channels_last_index(int j) {
    if constexpr (S::rank < 2) {
        return j;
    } else {
        constexpr int channels = S::dims[S::rank - 1];
        constexpr int spatial = S::size / channels;
        return (j % spatial) * channels + j / spatial;
    }
}

// Shortest round-trip decimal text of a double ("0.25", "1e-05"), for Python source.
inline std::string python_number(double v) {
    char buf[32];
    const auto res = std::to_chars(buf, buf + sizeof buf, v);
    std::string s(buf, res.ptr);
    if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
    return s;
}

// "(a, b)" (appended piecewise: GCC 12 raises a false -Wrestrict on "(" + std::string)
inline std::string python_pair(int a, int b) {
    std::string s = "(";
    s += std::to_string(a);
    s += ", ";
    s += std::to_string(b);
    s += ')';
    return s;
}

// ---------------------------------------------------------------------------- max pools
// The max pools' backward (maxpool1d, 2d, 3d): each sample's dx zeroed, then every output's
// gradient added at its window's argmax (an index into the sample, stored as a float).
// With `relu_mask` (the pool's mask_relu(): the layer below is a convolution with ReLU that
// left ReLU's derivative to this pass, network.hpp), an output's gradient is added only
// where the output is > 0: the input at the argmax is the output, so that is ReLU's
// derivative at each position that receives a gradient, and the others receive none; the
// result is the unfolded pair's, bit for bit (a masked term adds +0 to +0, as ReLU's select)
inline void max_pool_backward(const float* y, const float* dy, const float* argmax, float* dx, int in_sample,
                              int out_sample, int batch, bool relu_mask) {
    HPS_OMP(omp parallel for schedule(static) if (std::size_t(out_sample) * batch >= 65536 && usable_threads() > 1))
    for (int b = 0; b < batch; ++b) {
        float* dxb = dx + std::size_t(b) * in_sample;
        std::fill(dxb, dxb + in_sample, 0.0f);
        const std::size_t at = std::size_t(b) * out_sample;
        const float *dyb = dy + at, *ab = argmax + at, *yb = y + at;
        if (relu_mask)
            for (int o = 0; o < out_sample; ++o) dxb[int(ab[o])] += yb[o] > 0.0f ? dyb[o] : 0.0f;
        else
            for (int o = 0; o < out_sample; ++o) dxb[int(ab[o])] += dyb[o];
    }
}


// The same where the windows tile the input (stride = window in every dimension: maxpool2d<2>,
// maxpool1d<P>, maxpool3d<P>): every input value is in exactly one window, so dx is written
// once, value by value, a vector of channels at a time, with no zeroing pass and no scatter:
// the window's gradient (masked as above) where the value is its argmax, else +0. The same
// bits as max_pool_backward: that gives 0 + g at the argmax (a -0 gradient lands as +0), so
// this adds 0 too. The input is (D, H, W, C) per sample (D = H = 1 for 1-D, D = 1 for 2-D),
// the windows (PD, PH, PW), which divide it.
template <int D, int H, int W, int C, int PD, int PH, int PW, int B>
void max_pool_backward_tiled(const float* y, const float* dy, const float* argmax, float* dx, bool relu_mask) {
    namespace ei = Eigen::internal;
    using packet = typename ei::packet_traits<float>::type;
    constexpr int lanes = int(ei::packet_traits<float>::size);
    constexpr int vector_channels = lanes > 1 ? C / lanes * lanes : 0;
    constexpr int Do = D / PD, Ho = H / PH, Wo = W / PW, out_sample = Do * Ho * Wo * C;
    static_assert(Do * PD == D && Ho * PH == H && Wo * PW == W, "max_pool_backward_tiled: the windows must tile the input");
    HPS_OMP(omp parallel for schedule(static) if (std::size_t(out_sample) * B >= 65536 && usable_threads() > 1))
    for (int row = 0; row < B * Do * Ho; ++row) {  // (b, od, oh)
        const int b = row / (Do * Ho), od = row / Ho % Do, oh = row % Ho;
        float* dxb = dx + std::size_t(b) * (D * H * W * C);
        for (int ow = 0; ow < Wo; ++ow) {
            const std::size_t o = std::size_t(b) * out_sample + ((std::size_t(od) * Ho + oh) * Wo + ow) * C;
            const float *g = dy + o, *ym = y + o, *am = argmax + o;
            for (int kd = 0; kd < PD; ++kd)
                for (int kh = 0; kh < PH; ++kh)
                    for (int kw = 0; kw < PW; ++kw) {
                        const int at = (((od * PD + kd) * H + oh * PH + kh) * W + ow * PW + kw) * C;
                        const packet zero = ei::pset1<packet>(0.0f);
                        for (int c = 0; c < vector_channels; c += lanes) {
                            packet gv = ei::ploadu<packet>(g + c);
                            if (relu_mask) gv = ei::pand(gv, ei::pcmp_lt(zero, ei::ploadu<packet>(ym + c)));  // y > 0
                            const packet hit = ei::pcmp_eq(ei::ploadu<packet>(am + c), ei::plset<packet>(float(at + c)));
                            ei::pstoreu(dxb + at + c, ei::pand(hit, ei::padd(zero, gv)));
                        }
                        for (int c = vector_channels; c < C; ++c) {
                            const float gv = relu_mask && !(ym[c] > 0.0f) ? 0.0f : g[c];
                            dxb[at + c] = am[c] == float(at + c) ? 0.0f + gv : 0.0f;
                        }
                    }
        }
    }
}

}  // namespace hps::detail
