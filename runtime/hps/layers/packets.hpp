// The vector packets the register-tile kernels are written in (Eigen's: AVX-512, AVX2+FMA,
// SSE, or plain floats), and the stores that end a tile, shared by the fp32 tiles
// (conv_kernels.hpp) and the bf16 ones (bf16_kernels.hpp).
#pragma once

#include <Eigen/Core>

#include <cstddef>
#include <type_traits>

// How the register tiles (conv_kernels.hpp's fwd_tile, dw_tile and dx_tile, and their bf16
// twins) are declared (docs/design.md, section 27):
//   - by default (hand-written trainers, tests, exported libraries) inline, their bodies
//     (conv_tiles.hpp, bf16_tiles.hpp) included by the headers that declare them;
//   - under HPS_SHARED_TILES (a generated study) without their bodies: a trainer calls the
//     instantiations that its study's hps_tiles library compiled once for every trainer.
//     That library's sources (tiles/tiles-N.cpp) include the bodies after the runtime, so
//     that every tile some layer's code instantiates there is emitted (used) as a function
//     of its own, compiled as a trainer sees it (noipa: called with arguments it cannot
//     know); in a trainer, where there are no bodies, the attributes change nothing.
//     hps::layer_tiles (hps/tiles.hpp) instantiates those of one layer type.
#if defined(HPS_SHARED_TILES)
#define HPS_TILE __attribute__((used, noipa))
#else
#define HPS_TILE inline
#endif

// Eigen's packet types as template arguments: harmless attribute notes (conv_kernels.hpp)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-attributes"
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace hps::detail::conv {

namespace ei = Eigen::internal;

using full_packet = ei::packet_traits<float>::type;
using half_packet = typename ei::unpacket_traits<full_packet>::half;
template <class P>
inline constexpr int lanes = int(ei::unpacket_traits<P>::size);

#if defined(EIGEN_VECTORIZE_AVX512)
inline constexpr int vector_registers = 32;
#else
inline constexpr int vector_registers = 16;
#endif

constexpr int round_up(int v, int m) { return (v + m - 1) / m * m; }

// The packet that wastes least when V floats are cut into packets (ties: the wider).
template <int V>
using packet_for = std::conditional_t<(round_up(V, lanes<half_packet>) < round_up(V, lanes<full_packet>)), half_packet, full_packet>;

// p, as a value the compiler cannot relate to any other pointer: a tile reads its inputs
// through it where the same input recurs at other positions of an unrolled loop. With one
// input channel (conv1 of every CNN), the input at (pixel j, run position r) is the one at
// (j + 1, r - 1); GCC kept such values as scalars across the unrolled run loop, ran out of
// registers beside the tile's accumulators, spilled them and broadcast them back from the
// stack (Model-108's conv1 forward at 65 % of the FMA peak). Read through opaque(p), each
// input is its FMA's broadcast memory operand; the arithmetic is unchanged.
template <class T>
inline T* opaque(T* p) {
    asm("" : "+r"(p));
    return p;
}

// dst[0..n) (+)= the first n lanes of v (n <= lanes): the padded tail of a tile
template <class P, bool Add>
inline void store_lanes(float* dst, const P& v, int n) {
    if (n >= lanes<P>) {
        if constexpr (Add) ei::pstoreu(dst, ei::padd(ei::ploadu<P>(dst), v));
        else ei::pstoreu(dst, v);
        return;
    }
    alignas(64) float tmp[lanes<P>];
    ei::pstoreu(tmp, v);
    for (int i = 0; i < lanes<P>; ++i)
        if (i < n) dst[i] = Add ? dst[i] + tmp[i] : tmp[i];
}

// A forward tile's end: y[j*ldy + m*L + i] = act(acc[m][j]) (ReLU or none), rows >= valid
// (the padded filters) not stored. `valid` is tested once per tile, not per store: a tile
// compiled apart from its callers (hps/tiles.hpp) cannot fold the test away, and one test
// per store made its code, and its compile, larger. The dW tile's end does the same.
template <class P, int MR, int NR, bool Relu>
inline void store_fwd_tile(const P (&acc)[MR][NR], float* __restrict y, int ldy, int valid) {
    constexpr int L = lanes<P>;
    const P zero = ei::pset1<P>(0.0f);
    if (valid >= MR * L) {
#pragma GCC unroll 32
        for (int j = 0; j < NR; ++j)
#pragma GCC unroll 8
            for (int m = 0; m < MR; ++m) ei::pstoreu(y + j * ldy + m * L, Relu ? ei::pmax(acc[m][j], zero) : acc[m][j]);
        return;
    }
#pragma GCC unroll 32
    for (int j = 0; j < NR; ++j)
#pragma GCC unroll 8
        for (int m = 0; m < MR; ++m)
            store_lanes<P, false>(y + j * ldy + m * L, Relu ? ei::pmax(acc[m][j], zero) : acc[m][j], valid - m * L);
}

// A dW tile's end: column ((kd*KH + kh)*R + r) of dw += acc[m][n] for n = (kd*KHT + kh)*RT + r
// (kd < KDT, kh < KHT, r < RT), rows >= valid not stored.
template <class P, int MR, int KHT, int RT, int R, int KDT, int KH>
inline void add_dw_tile(const P (&acc)[MR][KDT * KHT * RT], float* __restrict dw, int ldw, int valid) {
    constexpr int L = lanes<P>;
    const bool whole = valid >= MR * L;
#pragma GCC unroll 32
    for (int n = 0; n < KDT * KHT * RT; ++n) {
        float* col = dw + std::size_t((n / (KHT * RT) * KH + (n / RT) % KHT) * R + n % RT) * ldw;
        if (whole) {
#pragma GCC unroll 8
            for (int m = 0; m < MR; ++m) ei::pstoreu(col + m * L, ei::padd(ei::ploadu<P>(col + m * L), acc[m][n]));
        } else {
#pragma GCC unroll 8
            for (int m = 0; m < MR; ++m) store_lanes<P, true>(col + m * L, acc[m][n], valid - m * L);
        }
    }
}

// dst[r*ldd + c] = src[c*lds + r] for r < Rows, c < Cols: a block of a matrix transposed,
// L x L at a time through registers (Eigen's ptranspose) where the block is whole, one value
// at a time at the edges. Dense's dX panels (W's rows become the panel's columns).
template <class P, int Rows, int Cols>
inline void transpose_block(const float* __restrict src, std::ptrdiff_t lds, float* __restrict dst, std::ptrdiff_t ldd) {
    constexpr int L = lanes<P>;
    constexpr int whole_r = L > 1 ? Rows / L * L : 0, whole_c = L > 1 ? Cols / L * L : 0;
    if constexpr (L > 1)
        for (int r0 = 0; r0 < whole_r; r0 += L)
            for (int c0 = 0; c0 < whole_c; c0 += L) {
                ei::PacketBlock<P, L> block;
#pragma GCC unroll 16
                for (int c = 0; c < L; ++c) block.packet[c] = ei::ploadu<P>(src + (c0 + c) * lds + r0);
                ei::ptranspose(block);
#pragma GCC unroll 16
                for (int r = 0; r < L; ++r) ei::pstoreu(dst + (r0 + r) * ldd + c0, block.packet[r]);
            }
    auto one = [&](int r, int c) { dst[r * ldd + c] = src[c * lds + r]; };
    if constexpr (whole_c < Cols)
        for (int r = 0; r < whole_r; ++r)
            for (int c = whole_c; c < Cols; ++c) one(r, c);
    if constexpr (whole_r < Rows)
        for (int r = whole_r; r < Rows; ++r)
            for (int c = 0; c < Cols; ++c) one(r, c);
}

}  // namespace hps::detail::conv

#pragma GCC diagnostic pop
