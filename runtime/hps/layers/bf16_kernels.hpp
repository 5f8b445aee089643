// bf16 mixed precision (`precision bf16`): the register tiles of conv_kernels.hpp with
// their products' inputs rounded to bfloat16 (round to nearest even) and multiplied and
// accumulated in fp32 by AVX512_BF16's vdpbf16ps, which adds the products of one pair of
// bf16 values per 32-bit lane to an fp32 accumulator:
//   acc[i] += a[2i] * b[2i] + a[2i + 1] * b[2i + 1]
// So each tile's reduction runs over pairs, and its operands are laid out in pairs:
//   fwd    y(f, pixel) = b + sum_k W(f, k) x(k, pixel): pairs of k. W as [k/2][F'][2] (the
//          two neighbouring kernel positions of a filter side by side), x the padded
//          sample in bf16, whose neighbouring run positions already form a pair
//   dX     dx(r, pixel) += sum_f Wt(r, f) dz(f, pixel): pairs of f. Wt as [f/2][R'][2],
//          dz in bf16 (its neighbouring filters form a pair)
//   dW     dW(f, k) += sum_pixels dz(f, pixel) x(k, pixel): pairs of pixels (ow, ow + 1)
//          of an output row. dz as [row][ow/2][F'][2]; x as x2, the padded sample paired
//          with itself shifted by one pixel: x2[e] = (x[e], x[e + XPix])
// A pair past the end of a run, of the filters or of a row has a zero on the side that
// the sum reads (weights, dz), so the other side only needs to be finite: the buffers it
// is read from are zeroed past their data.
//
// Parameters, gradients, the optimizer, losses and every element-wise pass stay fp32
// (standard mixed precision: fp32 master weights); the products' error is that of their
// inputs' rounding, a relative 2^-9 each (8-bit significand), with fp32 sums.
//
// Compiled only where the target has AVX512_BF16 with AVX512VL and BW (-march=native on
// AMD Zen 4 and later, Intel Cooper Lake, Sapphire Rapids and later), and not under
// HPS_NO_BF16, which a generated study defines when none of its points trains in bf16 (the
// bf16 tiles are a third of a conv trainer's compile time); `compiled` says so. A program
// built without them has no bf16 path, and a trainer asked for bf16 refuses
// to start (hps::bf16_unavailable, hps/train.hpp). On an AMX CPU (Intel Sapphire Rapids and
// later), a program compiled with the AMX intrinsics runs the conv and dense layers' bf16
// products on the tile registers instead (amx_kernels.hpp, docs/design.md section 30), with
// the same operands: the same pairs of W and x for the forward pass and of W for dx, x2 for
// dW (with dZ transposed instead of paired).
#pragma once

#include "hps/core.hpp"
#include "hps/layers/packets.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#if defined(__AVX512BF16__) && defined(__AVX512VL__) && defined(__AVX512BW__) && !defined(HPS_NO_BF16)
#define HPS_BF16_KERNELS 1
#include <immintrin.h>
#else
#define HPS_BF16_KERNELS 0
#endif

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-attributes"
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace hps {

namespace detail::bf16 {

using bf16_t = std::uint16_t;

// whether this program has the bf16 kernels (its target has AVX512_BF16)
inline constexpr bool compiled = HPS_BF16_KERNELS != 0;

// float -> bf16, round to nearest even, as VCVTNEPS2BF16 does: a denormal becomes a zero
// of its sign, a NaN stays a (quiet) NaN, a value that rounds past the largest is Inf.
inline bf16_t round(float x) {
    std::uint32_t u;
    std::memcpy(&u, &x, sizeof u);
    if ((u & 0x7f800000u) == 0) return bf16_t((u >> 16) & 0x8000u);
    if ((u & 0x7fffffffu) > 0x7f800000u) return bf16_t((u >> 16) | 0x40u);
    u += 0x7fffu + ((u >> 16) & 1u);
    return bf16_t(u >> 16);
}

inline float to_float(bf16_t b) {
    const std::uint32_t u = std::uint32_t(b) << 16;
    float x;
    std::memcpy(&x, &u, sizeof x);
    return x;
}

// dst[i] = round(src[i]), i < n
inline void convert(const float* src, bf16_t* dst, std::size_t n) {
    std::size_t i = 0;
#if HPS_BF16_KERNELS
    for (const std::size_t whole = n / 16 * 16; i < whole; i += 16)
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), (__m256i)_mm512_cvtneps_pbh(_mm512_loadu_ps(src + i)));
#endif
    for (; i < n; ++i) dst[i] = round(src[i]);
}

// out[2i] = round(r0[i]), out[2i + 1] = round(r1[i]) (0 when r1 is null), i < n
inline void interleave(const float* r0, const float* r1, bf16_t* out, std::size_t n) {
    std::size_t i = 0;
#if HPS_BF16_KERNELS
    alignas(64) static constexpr std::uint16_t order[32] = {0, 16, 1, 17, 2,  18, 3,  19, 4,  20, 5,  21, 6,  22, 7,  23,
                                                            8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31};
    const __m512i index = _mm512_load_si512(order);
    for (const std::size_t whole = n / 16 * 16; i < whole; i += 16) {
        const __m512 b = r1 ? _mm512_loadu_ps(r1 + i) : _mm512_setzero_ps();
        const __m512i both = (__m512i)_mm512_cvtne2ps_pbh(b, _mm512_loadu_ps(r0 + i));  // r0's 16, then r1's
        _mm512_storeu_si512(out + 2 * i, _mm512_permutexvar_epi16(index, both));
    }
#endif
    for (; i < n; ++i) {
        out[2 * i] = round(r0[i]);
        out[2 * i + 1] = r1 ? round(r1[i]) : bf16_t(0);
    }
}

#if HPS_BF16_KERNELS
// the 16 x 16 32-bit elements of r transposed in registers: r[j] becomes column j
inline void transpose_16x16(__m512i (&r)[16]) {
    __m512i t[16];
    for (int i = 0; i < 8; ++i) {
        t[2 * i] = _mm512_unpacklo_epi32(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_epi32(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 4; ++i) {
        r[4 * i] = _mm512_unpacklo_epi64(t[4 * i], t[4 * i + 2]);
        r[4 * i + 1] = _mm512_unpackhi_epi64(t[4 * i], t[4 * i + 2]);
        r[4 * i + 2] = _mm512_unpacklo_epi64(t[4 * i + 1], t[4 * i + 3]);
        r[4 * i + 3] = _mm512_unpackhi_epi64(t[4 * i + 1], t[4 * i + 3]);
    }
    for (int i = 0; i < 4; ++i) {
        t[i] = _mm512_shuffle_i32x4(r[i], r[i + 4], 0x88);
        t[i + 4] = _mm512_shuffle_i32x4(r[i], r[i + 4], 0xdd);
        t[i + 8] = _mm512_shuffle_i32x4(r[i + 8], r[i + 12], 0x88);
        t[i + 12] = _mm512_shuffle_i32x4(r[i + 8], r[i + 12], 0xdd);
    }
    for (int i = 0; i < 8; ++i) {
        r[i] = _mm512_shuffle_i32x4(t[i], t[i + 8], 0x88);
        r[i + 8] = _mm512_shuffle_i32x4(t[i], t[i + 8], 0xdd);
    }
}
#endif

// Columns c0..c0+Width of a column-major (N, *) float matrix w (leading dimension ld, N
// even), rounded and paired by neighbouring rows, transposed: out[(p*ldo + l)*2 + s] =
// round(w[(c0 + l)*ld + 2p + s]), p < N/2, l < Width. Dense's dX panels (W's neighbouring
// outputs paired, a block of inputs at a time): rounding and transposing in one pass,
// 16 x 16 pairs at a time through registers.
template <int N, int Width>
inline void pack_pairs_transposed(const float* w, int ld, int c0, bf16_t* out, int ldo) {
    static_assert(N % 2 == 0, "pack_pairs_transposed: N must be even");
    constexpr int pairs_n = N / 2;
    constexpr int whole_p = compiled ? pairs_n / 16 * 16 : 0, whole_l = compiled ? Width / 16 * 16 : 0;
    auto scalar = [&](int p, int l) {
        for (int s = 0; s < 2; ++s) out[2 * (std::size_t(p) * ldo + l) + s] = round(w[std::size_t(c0 + l) * ld + 2 * p + s]);
    };
#if HPS_BF16_KERNELS
    for (int p0 = 0; p0 < whole_p; p0 += 16)
        for (int l0 = 0; l0 < whole_l; l0 += 16) {
            __m512i r[16];
            for (int l = 0; l < 16; ++l) {
                const float* col = w + std::size_t(c0 + l0 + l) * ld + 2 * p0;
                r[l] = (__m512i)_mm512_cvtne2ps_pbh(_mm512_loadu_ps(col + 16), _mm512_loadu_ps(col));
            }
            transpose_16x16(r);
            for (int p = 0; p < 16; ++p) _mm512_storeu_si512(out + 2 * (std::size_t(p0 + p) * ldo + l0), r[p]);
        }
#endif
    if constexpr (whole_l < Width)
        for (int p = 0; p < whole_p; ++p)
            for (int l = whole_l; l < Width; ++l) scalar(p, l);
    if constexpr (whole_p < pairs_n)
        for (int p = whole_p; p < pairs_n; ++p)
            for (int l = 0; l < Width; ++l) scalar(p, l);
}

#if HPS_BF16_KERNELS
// ---------------------------------------------------------------- one pair step
// The pairs of L lanes (2L bf16) and the pair broadcast to every lane, for packet P
template <class P>
struct pairs;
template <>
struct pairs<__m512> {
    using type = __m512i;
    static type load(const bf16_t* p) { return _mm512_loadu_si512(p); }
    static type broadcast(const bf16_t* p) {
        std::int32_t v;
        std::memcpy(&v, p, sizeof v);
        return _mm512_set1_epi32(v);
    }
    static __m512 dot(__m512 acc, type a, type b) { return _mm512_dpbf16_ps(acc, (__m512bh)a, (__m512bh)b); }
};
template <>
struct pairs<__m256> {
    using type = __m256i;
    static type load(const bf16_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
    static type broadcast(const bf16_t* p) {
        std::int32_t v;
        std::memcpy(&v, p, sizeof v);
        return _mm256_set1_epi32(v);
    }
    static __m256 dot(__m256 acc, type a, type b) { return _mm256_dpbf16_ps(acc, (__m256bh)a, (__m256bh)b); }
};

// acc[m][j] += the pairs at a + m*L*2 times the pair at b + j*bs, m < M, j < N: one
// step of the forward and dX tiles' reduction
template <class P, int M, int N>
inline void pair_step(P (&acc)[M][N], const bf16_t* __restrict a, const bf16_t* __restrict b, std::ptrdiff_t bs) {
    using pk = pairs<P>;
    constexpr int L = conv::lanes<P>;
    typename pk::type av[M];
#pragma GCC unroll 8
    for (int m = 0; m < M; ++m) av[m] = pk::load(a + m * L * 2);
#pragma GCC unroll 32
    for (int j = 0; j < N; ++j) {
        const typename pk::type v = pk::broadcast(b + j * bs);
#pragma GCC unroll 8
        for (int m = 0; m < M; ++m) acc[m][j] = pk::dot(acc[m][j], av[m], v);
    }
}

// ---------------------------------------------------------------- forward tile
// conv::fwd_tile with W as pairs of kernel positions, w[((q*RP + p)*ldw + f)*2 + s] =
// W(f, q*R + 2p + s) (0 for 2p + s >= R), RP = (R + 1)/2, and x the bf16 padded sample
template <class P, int MR, int NR, int KH, int R, int XPix, int XRow, bool Relu, int KD = 1, int XPlane = 0>
HPS_TILE void fwd_tile(const bf16_t* __restrict w, int ldw, const float* __restrict bias, const bf16_t* __restrict x,
                       float* __restrict y, int ldy, int valid);

// ---------------------------------------------------------------- dW tile
// conv::dw_tile over pairs of pixels (ow, ow + 1) of each output row: dz as
// dz[((o*WP + ow/2)*ldz + f)*2 + s] = dZ(f, pixel (o, ow + s)) (0 for ow + s >= WO),
// WP = (WO + 1)/2, and x2[2e + s] = x[e + s*XPix], the padded sample paired with itself
// one pixel on
template <class P, int MR, int KHT, int RT, int R, int HO, int WO, int XPix, int XRow, int XOutRow, int KDT = 1, int KH = KHT,
          int DO = 1, int XPlane = 0, int XOutPlane = 0>
HPS_TILE void dw_tile(const bf16_t* __restrict dz, int ldz, const bf16_t* __restrict x2, float* __restrict dw, int ldw, int valid);

// ---------------------------------------------------------------- dX tile
// conv::dx_tile over pairs of filters: wt[((f/2)*ldwt + r)*2 + f%2] = Wt(r, f) (0 for
// f >= F), dz in bf16 with dz[j*ldz + F] = 0 when F is odd
template <class P, int PB, int NR, int F, int XPix>
HPS_TILE void dx_tile(const bf16_t* __restrict wt, int ldwt, const bf16_t* __restrict dz, int ldz, float* dx);

#endif  // HPS_BF16_KERNELS

// bf16 units (2 bytes) as the floats of a scratch buffer, in whole cache lines
constexpr std::size_t floats_for(std::size_t units) { return (units + 31) / 32 * 16; }

// Cuts bf16 buffers out of a layer's float scratch, one after the other
struct scratch_cutter {
    float* at;
    bf16_t* take(std::size_t units) {
        auto* p = reinterpret_cast<bf16_t*>(at);
        at += floats_for(units);
        return p;
    }
};

}  // namespace detail::bf16

// Whether this CPU has AVX512_BF16 (cpuid leaf 7, sub-leaf 1, EAX bit 5) and the OS saves
// the AVX-512 state (XCR0): the instructions of the bf16 kernels.
inline bool cpu_has_avx512_bf16() {
#if defined(__x86_64__) || defined(__i386__)
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (!__get_cpuid_count(1, 0, &a, &b, &c, &d) || !(c & (1u << 27))) return false;  // OSXSAVE
    unsigned lo = 0, hi = 0;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 0xe6u) != 0xe6u) return false;  // SSE, AVX and the three AVX-512 states
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(b & (1u << 16)) || !(b & (1u << 30)) || !(b & (1u << 31)))
        return false;  // AVX512F, BW, VL
    if (!__get_cpuid_count(7, 1, &a, &b, &c, &d)) return false;
    return (a & (1u << 5)) != 0;
#else
    return false;
#endif
}

// Why `precision bf16` cannot run in this program on this CPU ("" when it can): the
// program was built without the bf16 kernels, or the CPU lacks the instructions.
inline std::string bf16_unavailable() {
#ifdef HPS_NO_BF16
    return "this trainer was built without the bf16 path (HPS_NO_BF16: its study has no point in precision bf16, "
           "so the study's CMake option HPS_BF16 is AUTO, which builds fp32 only, or OFF); add `precision bf16` (or "
           "an axis of it) to the spec and generate again, or configure the study with -DHPS_BF16=ON and build it "
           "again, or train in fp32 (precision fp32, or --precision fp32)";
#endif
    if (!detail::bf16::compiled)
        return "this trainer was compiled without AVX512_BF16 (a study built with -DHPS_NATIVE=OFF, or with "
               "-march=native on a CPU without it); build the study on a node that has it (Intel Cooper Lake or "
               "Sapphire Rapids and later, AMD Zen 4 and later: avx512_bf16 in /proc/cpuinfo) with HPS_NATIVE on, "
               "or train in fp32 (precision fp32, or --precision fp32)";
    if (!cpu_has_avx512_bf16())
        return "this CPU has no AVX512_BF16 (avx512_bf16 is not in /proc/cpuinfo's flags), which the trainer was "
               "compiled for; run it on a node that has it, or train in fp32 (precision fp32, or --precision fp32)";
    return "";
}

}  // namespace hps

#pragma GCC diagnostic pop

// the bf16 tiles' bodies: here, inline, unless the program shares them (HPS_SHARED_TILES)
#if !defined(HPS_SHARED_TILES)
#include "hps/layers/bf16_tiles.hpp"
#endif
