// AMX tiles for `precision bf16` (docs/design.md section 30): Intel's tile registers
// (Sapphire Rapids and later) and TDPBF16PS, which adds to a tile C of up to 16 x 16 fp32
// the products of a tile A (up to 16 rows of 32 bf16: 16 pairs a row) and a tile B (up to
// 16 rows of 16 pairs, "VNNI": row k holds, for each column n, the pair (B[2k][n],
// B[2k+1][n])):
//   C[m][n] += A[m][2k] * B[k][2n]; C[m][n] += A[m][2k + 1] * B[k][2n + 1]
// for m < C.rows, k < A.colsb/4, n < C.colsb/4, each product of two bf16 exact in fp32,
// each sum rounded to nearest even, bf16 denormals read as zeros, denormal sums flushed.
//
// Two backends with one interface, so that the same kernel code runs on both:
//   hw         the intrinsics (_tile_loadconfig, _tile_loadd, _tile_dpbf16ps, ...), only in
//              a program compiled with them (__AMX_TILE__ and __AMX_BF16__: -march=native on
//              an AMX CPU, or -mamx-tile -mamx-bf16) and with the bf16 kernels
//   emulated   plain C++ following Intel's pseudo-code of each instruction, with a
//              thread_local tile file and configuration: what the tests run the kernels on
//              where no AMX CPU is at hand (the tile instructions' checks included: a tile
//              used unconfigured or with shapes that do not fit aborts, where the CPU would
//              raise #UD)
// Tile numbers are template arguments (the instructions encode them); shapes are the run-time
// configuration, so each backend has one body of `product_on` for every layer.
//
// `product` is the one kernel the layers call (conv_kernels.hpp's direct_conv, dense.hpp),
// the backend an argument (product_on<hw> or product_on<emulated>):
//   C (m x n fp32) = bias or 0 + sum over the chunks of A_chunk (m rows x 2k bf16) B_chunk (k pairs x n)
// over a walk of `outer` steps (kernel rows, or output rows) of `full` chunks of 16 pairs and
// a tail chunk of `tail` pairs each, the tail through tiles of its own shape (loading the
// configuration zeroes every tile, so a reduction cannot change it midway); C then stored
// (ReLU fused), added, or added transposed.
//
// Selection (`active`): once per process, the hw backend where the program has it, the CPU
// has AMX-TILE and AMX-BF16 and Linux grants the tile state; else the AVX512_BF16 kernels
// (bf16_kernels.hpp). Tests can force either path or the emulation (set_backend_for_tests).
#pragma once

#include "hps/layers/bf16_kernels.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#if defined(__AMX_TILE__) && defined(__AMX_BF16__) && HPS_BF16_KERNELS
#define HPS_AMX_HW 1
#include <immintrin.h>
#else
#define HPS_AMX_HW 0
#endif

#if defined(__linux__) && (defined(__x86_64__) || defined(__i386__))
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace hps::detail::amx {

using bf16::bf16_t;

// LDTILECFG's 64 bytes (palette 1): bytes per row and rows of tiles 0..7, the rest zero
struct alignas(64) tile_config {
    std::uint8_t palette = 1;
    std::uint8_t start_row = 0;
    std::uint8_t reserved[14] = {};
    std::uint16_t colsb[16] = {};
    std::uint8_t rows[16] = {};
};
static_assert(sizeof(tile_config) == 64, "LDTILECFG reads 64 bytes");

inline constexpr int tiles = 8, max_rows = 16, max_colsb = 64;

// what the bf16 layers run on: the AVX512_BF16 kernels (bf16_kernels.hpp), or these on the
// tiles, real or emulated
enum class backend { avx512_bf16, hw, emulated };

// ---------------------------------------------------------------- emulated backend
// Compiled into every program with the bf16 kernels, but run only by tests: its operations
// are out of line and lightly optimised, so that they add little to a trainer's compile time
// (at -O3 with AVX-512 GCC would vectorise each of them, a second a trainer)
#if defined(__clang__)
#define HPS_AMX_EMULATION __attribute__((noinline))
#else
#define HPS_AMX_EMULATION __attribute__((noinline, optimize("O1")))
#endif
// Intel's pseudo-code of each instruction (SDM, "Intel AMX instruction set reference")
struct emulated {
    struct state {
        tile_config cfg;
        bool configured = false;
        alignas(64) unsigned char t[tiles][max_rows][max_colsb];
    };
    static state& file() {
        static thread_local state s;
        return s;
    }
    // the tile operations this process ran, for tests that check the path was taken
    static std::atomic<long>& dp_count() {
        static std::atomic<long> n{0};
        return n;
    }
    [[noreturn]] static void fault(const char* what) {
        std::fprintf(stderr, "hps: emulated AMX: %s (the CPU would raise #UD)\n", what);
        std::abort();
    }
    HPS_AMX_EMULATION static void check_tile(int t) {
        const state& s = file();
        if (!s.configured) fault("tile instruction before LDTILECFG");
        if (s.cfg.rows[t] == 0 || s.cfg.colsb[t] == 0) fault("tile not configured");
    }

    // LDTILECFG: palette 1, each tile's rows <= 16 and bytes per row <= 64 (both zero or
    // neither), tiles 8..15 unused; every tile is zeroed
    HPS_AMX_EMULATION static void configure(const tile_config& c) {
        if (c.palette != 1 || c.start_row != 0) fault("LDTILECFG: palette 1 and start_row 0 expected");
        for (int i = 0; i < 16; ++i) {
            if (i >= tiles && (c.rows[i] || c.colsb[i])) fault("LDTILECFG: tiles 8..15 must be zero");
            if (c.rows[i] > max_rows || c.colsb[i] > max_colsb || (c.rows[i] == 0) != (c.colsb[i] == 0))
                fault("LDTILECFG: a tile's rows or bytes per row out of range");
        }
        state& s = file();
        s.cfg = c;
        s.configured = true;
        std::memset(s.t, 0, sizeof s.t);
    }
    // TILERELEASE
    HPS_AMX_EMULATION static void release() {
        state& s = file();
        s.cfg = tile_config{};
        s.configured = false;
        std::memset(s.t, 0, sizeof s.t);
    }
    // TILEZERO
    template <int T>
    HPS_AMX_EMULATION static void zero() {
        check_tile(T);
        std::memset(file().t[T], 0, sizeof file().t[T]);
    }
    // TILELOADD: rows x colsb bytes from p at `stride` bytes a row; the rest of the tile zero
    template <int T>
    HPS_AMX_EMULATION static void load(const void* p, std::ptrdiff_t stride) {
        check_tile(T);
        state& s = file();
        std::memset(s.t[T], 0, sizeof s.t[T]);
        for (int r = 0; r < s.cfg.rows[T]; ++r)
            std::memcpy(s.t[T][r], static_cast<const unsigned char*>(p) + r * stride, s.cfg.colsb[T]);
    }
    // TILESTORED: rows x colsb bytes to p at `stride` bytes a row
    template <int T>
    HPS_AMX_EMULATION static void store(void* p, std::ptrdiff_t stride) {
        check_tile(T);
        const state& s = file();
        for (int r = 0; r < s.cfg.rows[T]; ++r)
            std::memcpy(static_cast<unsigned char*>(p) + r * stride, s.t[T][r], s.cfg.colsb[T]);
    }
    // TDPBF16PS C, A, B
    template <int C, int A, int B>
    HPS_AMX_EMULATION static void dpbf16ps() {
        static_assert(C != A && C != B && A != B, "TDPBF16PS: three different tiles");
        check_tile(C), check_tile(A), check_tile(B);
        state& s = file();
        const tile_config& c = s.cfg;
        if (c.colsb[C] % 4 || c.colsb[A] % 4 || c.colsb[B] % 4 || c.rows[C] != c.rows[A] || c.colsb[C] != c.colsb[B] ||
            c.colsb[A] / 4 != c.rows[B])
            fault("TDPBF16PS: the tiles' shapes do not fit");
        dp_count().fetch_add(1, std::memory_order_relaxed);
        for (int m = 0; m < c.rows[C]; ++m) {
            float tmp[max_colsb / 4];
            std::memcpy(tmp, s.t[C][m], sizeof tmp);
            for (int k = 0; k < c.colsb[A] / 4; ++k)
                for (int n = 0; n < c.colsb[C] / 4; ++n)
                    for (int e = 0; e < 2; ++e)
                        tmp[n] = ftz(tmp[n] + daz(element(s.t[A][m], 2 * k + e)) * daz(element(s.t[B][k], 2 * n + e)));
            std::memset(s.t[C][m], 0, max_colsb);  // write_row_and_zero: the row past colsb zero
            std::memcpy(s.t[C][m], tmp, c.colsb[C]);
        }
        for (int m = c.rows[C]; m < max_rows; ++m) std::memset(s.t[C][m], 0, max_colsb);  // zero_upper_rows
    }

private:
    static bf16_t element(const unsigned char* row, int i) {
        bf16_t v;
        std::memcpy(&v, row + 2 * i, sizeof v);
        return v;
    }
    // a bf16 input, denormals as zeros of their sign (DAZ)
    static float daz(bf16_t b) { return (b & 0x7f80u) == 0 ? bf16::to_float(bf16_t(b & 0x8000u)) : bf16::to_float(b); }
    // an fp32 result, denormals flushed to zeros of their sign (FTZ)
    static float ftz(float x) {
        std::uint32_t u;
        std::memcpy(&u, &x, sizeof u);
        if ((u & 0x7f800000u) == 0) u &= 0x80000000u;
        std::memcpy(&x, &u, sizeof x);
        return x;
    }
};

// ---------------------------------------------------------------- hw backend
#if HPS_AMX_HW
// The intrinsics take their tile numbers as literals (they are pasted into the instruction's
// text), hence the switches over T, which fold away.
#define HPS_AMX_EACH_TILE(op) \
    switch (T) {              \
    case 0: op(0); break;     \
    case 1: op(1); break;     \
    case 2: op(2); break;     \
    case 3: op(3); break;     \
    case 4: op(4); break;     \
    case 5: op(5); break;     \
    case 6: op(6); break;     \
    case 7: op(7); break;     \
    }
struct hw {
    static void configure(const tile_config& c) { _tile_loadconfig(&c); }
    static void release() { _tile_release(); }
    template <int T>
    static void zero() {
        static_assert(T >= 0 && T < tiles);
#define HPS_AMX_OP(t) _tile_zero(t)
        HPS_AMX_EACH_TILE(HPS_AMX_OP)
#undef HPS_AMX_OP
    }
    template <int T>
    static void load(const void* p, std::ptrdiff_t stride) {
        static_assert(T >= 0 && T < tiles);
#define HPS_AMX_OP(t) _tile_loadd(t, p, stride)
        HPS_AMX_EACH_TILE(HPS_AMX_OP)
#undef HPS_AMX_OP
    }
    template <int T>
    static void store(void* p, std::ptrdiff_t stride) {
        static_assert(T >= 0 && T < tiles);
#define HPS_AMX_OP(t) _tile_stored(t, p, stride)
        HPS_AMX_EACH_TILE(HPS_AMX_OP)
#undef HPS_AMX_OP
    }
    // the triples the kernels use (C, A, B); another needs its line here
    template <int C, int A, int B>
    static void dpbf16ps() {
        if constexpr (C == 0 && A == 1 && B == 3) _tile_dpbf16ps(0, 1, 3);
        else if constexpr (C == 0 && A == 2 && B == 4) _tile_dpbf16ps(0, 2, 4);
        else static_assert(C < 0, "amx::hw::dpbf16ps: add this triple of tiles");
    }
};
#undef HPS_AMX_EACH_TILE
#endif

// whether this program has the hw backend
inline constexpr bool hw_compiled = HPS_AMX_HW != 0;

// ---------------------------------------------------------------- the kernel
// The chunks of a reduction: for i < outer, A at a + (i/div)*a1 + (i%div)*a2 bytes and B at
// b + (i/div)*b1 + (i%div)*b2, then `full` chunks of 16 pairs (A 64 bytes on, B 16 rows on)
// and one of `tail` pairs (0: none)
struct walk {
    int outer = 1, div = 1;
    std::ptrdiff_t a1 = 0, a2 = 0, b1 = 0, b2 = 0;
    int full = 0, tail = 0;
};

// Where C goes: stored to p (row i at p + i*ld), added to it, or added to it transposed
// (C[i][j] to p[j*ld + i]), row after row (dx's overlapping runs rely on the order). C starts
// from `init` (n floats, the start of every row: the bias) or from 0; `relu`: stored through
// max(0, .) (the forward pass's fused ReLU).
enum class to { store, add, add_transposed };
struct output {
    float* p;
    std::ptrdiff_t ld;
    to mode;
    const float* init = nullptr;
    bool relu = false;
};

// C (m x n fp32) = init + the walk's sum of A B, to `out`: A rows of `lda` bytes (m of them),
// B rows of `ldb` bytes (n pairs read of each). Tiles: 0 = C, 1 and 3 = A and B of a full
// chunk, 2 and 4 = those of the tail. One body per backend, whatever the layer.
template <class Be>
__attribute__((noinline)) void product_on(int m, int n, const bf16_t* a, std::ptrdiff_t lda, const bf16_t* b,
                                          std::ptrdiff_t ldb, const walk& w, const output& out) {
    tile_config cfg;
    cfg.rows[0] = std::uint8_t(m), cfg.colsb[0] = std::uint16_t(4 * n);
    if (w.full) {
        cfg.rows[1] = std::uint8_t(m), cfg.colsb[1] = max_colsb;
        cfg.rows[3] = max_rows, cfg.colsb[3] = std::uint16_t(4 * n);
    }
    if (w.tail) {
        cfg.rows[2] = std::uint8_t(m), cfg.colsb[2] = std::uint16_t(4 * w.tail);
        cfg.rows[4] = std::uint8_t(w.tail), cfg.colsb[4] = std::uint16_t(4 * n);
    }
    alignas(64) float c[max_rows * 16];
    Be::configure(cfg);
    if (out.init) {
        for (int i = 0; i < m; ++i) std::memcpy(c + 16 * i, out.init, sizeof(float) * std::size_t(n));
        Be::template load<0>(c, 64);
    } else {
        Be::template zero<0>();
    }
    const auto* a0 = reinterpret_cast<const unsigned char*>(a);
    const auto* b0 = reinterpret_cast<const unsigned char*>(b);
    for (int i = 0; i < w.outer; ++i) {
        const unsigned char* ai = a0 + (i / w.div) * w.a1 + (i % w.div) * w.a2;
        const unsigned char* bi = b0 + (i / w.div) * w.b1 + (i % w.div) * w.b2;
        for (int k = 0; k < w.full; ++k) {
            Be::template load<1>(ai + k * max_colsb, lda);
            Be::template load<3>(bi + k * max_rows * ldb, ldb);
            Be::template dpbf16ps<0, 1, 3>();
        }
        if (w.tail) {
            Be::template load<2>(ai + w.full * max_colsb, lda);
            Be::template load<4>(bi + w.full * max_rows * ldb, ldb);
            Be::template dpbf16ps<0, 2, 4>();
        }
    }
    Be::template store<0>(c, 64);
    for (int i = 0; i < m; ++i) {
        const float* ci = c + 16 * i;
        if (out.mode == to::add_transposed)
            for (int j = 0; j < n; ++j) out.p[j * out.ld + i] += ci[j];
        else if (out.mode == to::add)
            for (int j = 0; j < n; ++j) out.p[i * out.ld + j] += ci[j];
        else if (out.relu)
            for (int j = 0; j < n; ++j) out.p[i * out.ld + j] = ci[j] > 0.0f ? ci[j] : 0.0f;
        else
            std::memcpy(out.p + i * out.ld, ci, sizeof(float) * std::size_t(n));
    }
}

// dst[c*(rows + rows%2) + r] = round(src[r*ld + c]) for r < rows, c < cols, and a zero at
// r = rows when rows is odd: a (rows, cols) block transposed into rows of pairs (dW's A: dZ
// by filters or outputs, pairs of pixels or samples, the last one paired with a zero)
inline void transpose_to_pairs(const float* src, std::ptrdiff_t ld, int rows, int cols, bf16_t* dst) {
    const int len = rows + rows % 2;
    int c0 = 0;
#if HPS_BF16_KERNELS
    // 16 columns at a time: each row's 16 rounded by VCVTNEPS2BF16 (bf16::round's rounding,
    // as bf16::convert), up to 16 rows into a block, the block written out by columns
    alignas(64) bf16_t block[16][16];
    for (; c0 + 16 <= cols; c0 += 16)
        for (int r0 = 0; r0 < rows; r0 += 16) {
            const int n = rows - r0 < 16 ? rows - r0 : 16;
            for (int r = 0; r < n; ++r)
                _mm256_store_si256(reinterpret_cast<__m256i*>(block[r]),
                                   (__m256i)_mm512_cvtneps_pbh(_mm512_loadu_ps(src + (r0 + r) * ld + c0)));
            for (int c = 0; c < 16; ++c) {
                bf16_t* d = dst + std::size_t(c0 + c) * len + r0;
                for (int r = 0; r < n; ++r) d[r] = block[r][c];
            }
        }
#endif
    for (int c = c0; c < cols; ++c) {
        bf16_t* d = dst + std::size_t(c) * len;
        for (int r = 0; r < rows; ++r) d[r] = bf16::round(src[r * ld + c]);
    }
    if (rows % 2)
        for (int c = 0; c < cols; ++c) dst[std::size_t(c) * len + rows] = 0;
}

// ---------------------------------------------------------------- selection

// Whether this CPU has AMX-TILE and AMX-BF16 (cpuid leaf 7, sub-leaf 0, EDX bits 24 and 22)
inline bool cpu_has_amx() {
#if defined(__x86_64__) || defined(__i386__)
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
    return (d & (1u << 24)) && (d & (1u << 22));
#else
    return false;
#endif
}

// Asks Linux for the tile data state (arch_prctl ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA),
// once per process, and checks that XCR0 enables it (bits 17 and 18)
inline bool request_tile_permission() {
#if defined(__linux__) && (defined(__x86_64__) || defined(__i386__))
    constexpr long arch_req_xcomp_perm = 0x1023, xfeature_xtiledata = 18;
    if (syscall(SYS_arch_prctl, arch_req_xcomp_perm, xfeature_xtiledata) != 0) return false;
    unsigned lo = 0, hi = 0;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (lo & (3u << 17)) == (3u << 17);
#else
    return false;
#endif
}

// Why the hw backend cannot run here ("" when it can); asks for the tile state on the way
inline std::string hw_unavailable() {
    if (!hw_compiled)
        return bf16::compiled ? "this program was compiled without the AMX intrinsics (-mamx-tile -mamx-bf16; -march=native "
                                "on an AMX CPU)"
                              : "this program was compiled without the bf16 kernels";
    if (!cpu_has_amx()) return "this CPU has no AMX-TILE/AMX-BF16 (amx_tile and amx_bf16 are not in /proc/cpuinfo's flags)";
    if (!request_tile_permission())
        return "Linux did not grant the AMX tile state (arch_prctl ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA: a kernel "
               "before 5.16?)";
    return "";
}

// the process's choice, made on the first call
inline backend selected() {
    static const backend b = hw_unavailable().empty() ? backend::hw : backend::avx512_bf16;
    return b;
}

inline std::atomic<int>& forced() {
    static std::atomic<int> f{-1};  // -1: none
    return f;
}

// Tests only: run the bf16 layers on `b` (emulated: the AMX kernels on the emulated tiles;
// hw only where selected() is hw), or back to the process's choice (reset_backend_for_tests)
inline void set_backend_for_tests(backend b) { forced().store(int(b)); }
inline void reset_backend_for_tests() { forced().store(-1); }
inline void use_emulation_for_tests(bool on) { on ? set_backend_for_tests(backend::emulated) : reset_backend_for_tests(); }

// the backend the bf16 layers run on now
inline backend active() {
    if (!bf16::compiled) return backend::avx512_bf16;
    const int f = forced().load(std::memory_order_relaxed);
    if (f >= 0 && (backend(f) != backend::hw || selected() == backend::hw)) return backend(f);
    return selected();
}

// product_on<hw> or product_on<emulated>, as `be` says (never avx512_bf16): the layers'
// drivers are compiled once, the backend chosen at run time
inline void product(backend be, int m, int n, const bf16_t* a, std::ptrdiff_t lda, const bf16_t* b, std::ptrdiff_t ldb,
                    const walk& w, const output& out) {
#if HPS_BF16_KERNELS
#if HPS_AMX_HW
    if (be == backend::hw) return product_on<hw>(m, n, a, lda, b, ldb, w, out);
#endif
    (void)be;
    product_on<emulated>(m, n, a, lda, b, ldb, w, out);
#else
    (void)be, (void)m, (void)n, (void)a, (void)lda, (void)b, (void)ldb, (void)w, (void)out;
#endif
}

}  // namespace hps::detail::amx

namespace hps {

// What the bf16 layers run on, for the trainer's start-up line and the benchmarks
inline const char* bf16_kernels_in_use() {
    switch (detail::amx::active()) {
    case detail::amx::backend::hw: return "bf16 on AMX tiles";
    case detail::amx::backend::emulated: return "bf16 on AMX tiles (emulated, for tests)";
    default: return "bf16 on AVX512_BF16";
    }
}

}  // namespace hps
