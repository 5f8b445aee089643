// A single-threaded float GEMM for the LSTM's recurrent products, C += A B, with the
// operands' packed copies in caller-owned buffers, so that no call allocates and a
// weight matrix used for every time step is packed once per pass, not once per step.
//
// Why not Eigen's product here: per time step the LSTM multiplies a (4U, U) weight
// matrix by the batch's (U, B) hidden states (and back), some 20 MFLOP each at U = 128,
// B = 150. Eigen repacks the weights for every such product and allocates its packing
// buffers per call; on these shapes, alone and with hot caches, its AVX-512 kernel (48 x
// 4 register tile) ran at 130 to 160 GFLOP/s on a Zen 5 core whose FMA peak is about 240,
// and this one (64 x 6 tile, 24 accumulators, B read in place) at 170 to 225.
//
// The layout is Goto's: A is packed into panels of MR rows, each panel k-major ([k][MR],
// zero-padded past the last row), unless A is column-major with M a multiple of MR (and
// MR = 64, AVX-512), when its panels are read in place; B is read in place but for a last
// panel of fewer than NR columns, and but for a B that is not column-major with MR < 64,
// which is packed into panels of NR columns ([k][NR], zero-padded). The micro-kernel multiplies one A panel
// by one B panel into an MR x NR tile of C held in registers. Loop order: K in blocks of
// at most KC (an A block of M x KC stays in L2, a B panel in L1), then B panels, then A
// panels. Edge tiles (M or N not a multiple of MR or NR) go through a small buffer, so
// any M, N, K work; only full tiles are fast.
//
// Vector width by target: AVX-512 (16 floats, MR = 64), AVX2 + FMA (8 floats, MR = 16),
// otherwise GCC vector extensions of 4 floats (SSE2 on x86-64, MR = 8); NR = 6 throughout.
// The trainers are built with -march=native; the test suite, built without it, runs the
// same code at 4 floats (and tests/runtime/layers also builds the LSTM tests native).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>

#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
#include <immintrin.h>
#endif

namespace hps::detail::sgemm {

#if defined(__AVX512F__)
constexpr int W = 16;
constexpr int MV = 4;
using vec = __m512;
inline vec vload(const float* p) { return _mm512_loadu_ps(p); }
inline void vstore(float* p, vec v) { _mm512_storeu_ps(p, v); }
inline vec vfma(vec a, vec b, vec c) { return _mm512_fmadd_ps(a, b, c); }
inline vec vset1(float x) { return _mm512_set1_ps(x); }
inline vec vzero() { return _mm512_setzero_ps(); }
inline vec vadd(vec a, vec b) { return _mm512_add_ps(a, b); }
#elif defined(__AVX2__) && defined(__FMA__)
constexpr int W = 8;
constexpr int MV = 2;
using vec = __m256;
inline vec vload(const float* p) { return _mm256_loadu_ps(p); }
inline void vstore(float* p, vec v) { _mm256_storeu_ps(p, v); }
inline vec vfma(vec a, vec b, vec c) { return _mm256_fmadd_ps(a, b, c); }
inline vec vset1(float x) { return _mm256_set1_ps(x); }
inline vec vzero() { return _mm256_setzero_ps(); }
inline vec vadd(vec a, vec b) { return _mm256_add_ps(a, b); }
#else
constexpr int W = 4;
constexpr int MV = 2;
typedef float vec __attribute__((vector_size(16)));
inline vec vload(const float* p) {
    vec v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
inline void vstore(float* p, vec v) { std::memcpy(p, &v, sizeof v); }
inline vec vfma(vec a, vec b, vec c) { return a * b + c; }
inline vec vset1(float x) { return vec{x, x, x, x}; }
inline vec vzero() { return vec{0, 0, 0, 0}; }
inline vec vadd(vec a, vec b) { return a + b; }
#endif

constexpr int MR = MV * W;  // rows of a register tile
constexpr int NR = 6;       // columns of a register tile
constexpr int KC = 384;     // depth of a block

constexpr std::size_t round_up(std::size_t n, std::size_t m) { return (n + m - 1) / m * m; }

// Floats of a packed A of (m, k) (whole depth: pack_a) and of the workspace gemm() needs
// for (m, n, k): an A block of m x KC (unless A comes packed) and a B block of KC x n
// (for a B packed whole, with MR < 64; else a B panel of KC x NR for a last, partial one).
constexpr std::size_t packed_a_size(std::size_t m, std::size_t k) { return round_up(m, MR) * k; }
constexpr std::size_t workspace_size(std::size_t m, std::size_t n, std::size_t k, bool a_packed) {
    const std::size_t kc = std::min<std::size_t>(k, KC);
    return (a_packed ? 0 : round_up(m, MR) * kc) + (MR < 64 ? round_up(n, NR) : std::size_t(NR)) * kc;
}

// A general (rows, cols) operand: element (i, j) at p[i * rs + j * cs]. col(p, ld) is a
// column-major matrix, trans(p, ld) the transpose of one.
struct operand {
    const float* p;
    std::ptrdiff_t rs, cs;
    float operator()(std::ptrdiff_t i, std::ptrdiff_t j) const { return p[i * rs + j * cs]; }
};
inline operand col(const float* p, std::ptrdiff_t ld) { return {p, 1, ld}; }
inline operand trans(const float* p, std::ptrdiff_t ld) { return {p, ld, 1}; }

// Rows [0, m), depth [k0, k0 + kc) of A into panels of MR rows, each [kc][MR], panel i at
// out + i * pdepth * MR (pdepth = kc for a block; the whole depth k for a whole-matrix
// packing, whose depth k0 of panel i is then at i * MR * k + k0 * MR).
inline void pack_a_block(const operand& a, int m, int k0, int kc, float* out, std::size_t pdepth) {
    for (int p = 0; p < m; p += MR) {
        float* dst = out + std::size_t(p / MR) * pdepth * MR;
        const int rows = std::min(MR, m - p);
        for (int k = 0; k < kc; ++k, dst += MR) {
            if (a.rs == 1 && rows == MR) {
                std::memcpy(dst, a.p + p + std::ptrdiff_t(k0 + k) * a.cs, sizeof(float) * MR);
            } else {
                for (int r = 0; r < rows; ++r) dst[r] = a(p + r, k0 + k);
                for (int r = rows; r < MR; ++r) dst[r] = 0.0f;
            }
        }
    }
}

// The whole of A (m, k), for gemm(..., a_packed = true).
inline void pack_a(const operand& a, int m, int k, float* out) { pack_a_block(a, m, 0, k, out, std::size_t(k)); }

// Depth [k0, k0 + kc), columns [0, n) of B into panels of NR columns, each [kc][NR].
inline void pack_b_block(const operand& b, int n, int k0, int kc, float* out) {
    for (int q = 0; q < n; q += NR) {
        float* dst = out + std::size_t(q / NR) * kc * NR;
        const int cols = std::min(NR, n - q);
        if (cols == NR && b.cs == 1) {
            for (int k = 0; k < kc; ++k, dst += NR) std::memcpy(dst, b.p + std::ptrdiff_t(k0 + k) * b.rs + q, sizeof(float) * NR);
        } else if (cols == NR) {
            const float* c0 = b.p + std::ptrdiff_t(k0) * b.rs + std::ptrdiff_t(q) * b.cs;
            for (int k = 0; k < kc; ++k, dst += NR, c0 += b.rs)
                for (int c = 0; c < NR; ++c) dst[c] = c0[std::ptrdiff_t(c) * b.cs];
        } else {
            for (int k = 0; k < kc; ++k, dst += NR) {
                for (int c = 0; c < cols; ++c) dst[c] = b(k0 + k, q + c);
                for (int c = cols; c < NR; ++c) dst[c] = 0.0f;
            }
        }
    }
}

// C[MR x NR tile] += A panel * B panel. The A panel is MR rows of kc columns, column k at
// a + k * lda (lda = MR for a packed panel); the B panel is kc rows of NR columns, element
// (k, j) at b[k * brs + j * bcs] (brs = NR, bcs = 1 for a packed panel; brs = 1, bcs = ldb
// for a column-major B read in place). Only rows < m, cols < n of the tile are written;
// with `overwrite`, C = A B instead.
inline void micro(int kc, const float* __restrict a, std::ptrdiff_t lda, const float* __restrict b,
                  std::ptrdiff_t brs, std::ptrdiff_t bcs, float* c, std::ptrdiff_t ldc, int m, int n,
                  bool overwrite) {
    vec acc[MV][NR];
#pragma GCC unroll 8
    for (int v = 0; v < MV; ++v)
#pragma GCC unroll 8
        for (int j = 0; j < NR; ++j) acc[v][j] = vzero();
    std::ptrdiff_t boff[NR];
    for (int j = 0; j < NR; ++j) boff[j] = j * bcs;
    for (int k = 0; k < kc; ++k, a += lda, b += brs) {
        vec av[MV];
#pragma GCC unroll 8
        for (int v = 0; v < MV; ++v) av[v] = vload(a + v * W);
#pragma GCC unroll 8
        for (int j = 0; j < NR; ++j) {
            const vec bj = vset1(b[boff[j]]);
#pragma GCC unroll 8
            for (int v = 0; v < MV; ++v) acc[v][j] = vfma(av[v], bj, acc[v][j]);
        }
    }
    if (m == MR && n == NR) {
        if (overwrite) {
#pragma GCC unroll 8
            for (int j = 0; j < NR; ++j)
#pragma GCC unroll 8
                for (int v = 0; v < MV; ++v) vstore(c + j * ldc + v * W, acc[v][j]);
        } else {
#pragma GCC unroll 8
            for (int j = 0; j < NR; ++j)
#pragma GCC unroll 8
                for (int v = 0; v < MV; ++v) {
                    float* dst = c + j * ldc + v * W;
                    vstore(dst, vadd(vload(dst), acc[v][j]));
                }
        }
    } else {
        alignas(64) float tile[NR][MR];
        for (int j = 0; j < NR; ++j)
            for (int v = 0; v < MV; ++v) vstore(&tile[j][v * W], acc[v][j]);
        for (int j = 0; j < n; ++j)
            for (int i = 0; i < m; ++i) c[j * ldc + i] = (overwrite ? 0.0f : c[j * ldc + i]) + tile[j][i];
    }
}

// C (m, n; column-major, leading dimension ldc) += A (m, k) B (k, n), or, without
// `accumulate`, C = A B. A is an operand, or, with a_packed, pack_a's whole-matrix packing
// (of the same m, k). `work` holds workspace_size(m, n, k, a_packed) floats.
inline void gemm(int m, int n, int k, const operand& a, const float* a_packed, const operand& b, float* c,
                 std::ptrdiff_t ldc, float* work, bool accumulate = true) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0) {
        if (!accumulate)
            for (int j = 0; j < n; ++j) std::fill(c + std::ptrdiff_t(j) * ldc, c + std::ptrdiff_t(j) * ldc + m, 0.0f);
        return;
    }
    const int blocks = (k + KC - 1) / KC;
    const int kc_max = (k + blocks - 1) / blocks;  // equal blocks: no thin last one
    float* ablock = work;
    float* bblock = a_packed ? work : work + round_up(std::size_t(m), MR) * std::min(k, KC);
    for (int k0 = 0; k0 < k; k0 += kc_max) {
        const int kc = std::min(kc_max, k - k0);
        const float* apan;
        std::size_t astride;       // floats between two A panels
        std::ptrdiff_t lda = MR;   // floats between two columns of a panel
        if (a_packed) {
            apan = a_packed + std::size_t(k0) * MR;
            astride = std::size_t(k) * MR;
        } else if (MR >= 64 && a.rs == 1 && m % MR == 0) {
            // a column-major A of whole panels is read in place: no copy (only for tiles
            // of 4 cache lines or more a row: with AVX2's 16-row tiles, reading a panel's
            // one line per column at A's stride thrashes L1, and packing is faster)
            apan = a.p + std::ptrdiff_t(k0) * a.cs;
            astride = MR;
            lda = a.cs;
        } else {
            pack_a_block(a, m, k0, kc, ablock, std::size_t(kc));
            apan = ablock;
            astride = std::size_t(kc) * MR;
        }
        // A column-major B is read in place (each panel column a sequential stream), but
        // for a last panel of fewer than NR columns (packed, padded). Any other B (a
        // row-major one: each row of a panel on its own cache line) is packed whole with
        // the narrower tiles (AVX2: 16 rows, so 6x less work per B line); with AVX-512's
        // 64-row tiles reading it in place measured faster.
        const bool pack_all = b.rs != 1 && MR < 64;
        const int full = pack_all ? 0 : n / NR * NR;
        if (full < n) pack_b_block(operand{b.p + std::ptrdiff_t(full) * b.cs, b.rs, b.cs}, n - full, k0, kc, bblock);
        for (int q = 0; q < n; q += NR) {
            const int cols = std::min(NR, n - q);
            const bool in_place = q + NR <= full;
            const float* bpan = in_place ? b.p + std::ptrdiff_t(k0) * b.rs + std::ptrdiff_t(q) * b.cs
                                         : bblock + std::size_t((q - full) / NR) * kc * NR;
            const std::ptrdiff_t brs = in_place ? b.rs : NR, bcs = in_place ? b.cs : 1;
            for (int p = 0; p < m; p += MR)
                micro(kc, apan + std::size_t(p / MR) * astride, lda, bpan, brs, bcs, c + std::ptrdiff_t(q) * ldc + p,
                      ldc, std::min(MR, m - p), cols, !accumulate && k0 == 0);
        }
    }
}

}  // namespace hps::detail::sgemm
