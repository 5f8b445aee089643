// Direct-convolution kernels for conv2d, specialised on every size at compile time.
//
// A generic GEMM sees conv2's products as thin ((32 x 400) x (400 x 25088) and its
// transposes) and needs an im2col copy of the input 25 times its size; these kernels
// read the zero-padded input sample in place and keep a register tile of the output
// (or of dW) for the whole reduction:
//
//   xpad   one sample (Hp, Wp, C), C fastest, with the padding as zeros around it;
//          the patch of output pixel (oh, ow) for kernel row kh is the contiguous run
//          xpad[((oh*SH + kh)*Wp + ow*SW)*C + r], r < R = KW*C
//   fwd    y(:, pixel) = b + sum_{kh, r} W(:, kh*R + r) * xpad[...]: a tile of MR packets of
//          filters x NR pixels of one output row; W's columns are loaded, the input
//          broadcast; bias in the accumulators' start, ReLU on them before the store
//   dW     dW(:, kh*R + r) += sum_pixels dz(:, pixel) * xpad[...]: a tile of MR packets of
//          filters x (KHT kernel rows x RT run positions), over every pixel of a sample
//   dX     dxpad[((oh*SH + kh)*Wp + ow*SW)*C + r] += sum_f Wt_kh(r, f) dz(f, pixel): a tile
//          of PB packets of the run x NR pixels, added to the padded gradient in pixel
//          order (neighbouring runs overlap); Wt is W transposed per kernel row with the
//          run padded to whole packets with zeros, so the padding lanes add exactly 0
//
// Tiles are chosen at compile time by a small cost model (choose_*: FMAs and loads per
// inner step, two of each per cycle, at least the FMA latency) for the register count
// of the target (32 vector registers with AVX-512, else 16). Packets are Eigen's
// (AVX-512, AVX2+FMA, SSE, or plain floats without vectorisation).
#pragma once

#include "hps/layers/common.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <type_traits>

// Eigen's packet types (__m512 and kin) as template arguments: GCC notes that their
// alignment attributes are not part of the type, which is harmless here (Eigen silences
// the same note in its own headers).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-attributes"

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

// cycles of one inner step: 2 FMAs and 2 loads per cycle, at least the FMA latency (each
// accumulator is updated once per step); loads also take issue slots, so of two tiles
// that keep the FMA units equally busy, the one with fewer loads per FMA wins
constexpr double step_cycles(int fmas, int loads) {
    return std::max(std::max(fmas / 2.0, loads / 2.0), 4.0) + 0.1 * loads;
}

struct tile_shape {
    int a = 1, b = 1, c = 1;
};

// forward: MR packets (of mp) x NR pixels (of a row of wo)
constexpr tile_shape choose_fwd(int mp, int wo) {
    tile_shape best;
    double best_cost = 1e300;
    for (int mr = 1; mr <= std::min(mp, 4); ++mr) {
        if (mp % mr) continue;
        for (int nr = 1; nr <= wo && mr * nr + mr + 1 <= vector_registers; ++nr) {
            const int rem = wo % nr;
            const double cost = (mp / mr) * ((wo / nr) * step_cycles(mr * nr, mr + nr) +
                                             (rem ? step_cycles(mr * rem, mr + rem) : 0.0));
            if (cost < best_cost - 1e-9) best_cost = cost, best = {mr, nr, 1};
        }
    }
    return best;
}

// dW: MR packets (of mp) x KHT kernel rows (of kh) x RT run positions (of r)
constexpr tile_shape choose_dw(int mp, int kh, int r) {
    tile_shape best;
    double best_cost = 1e300;
    for (int mr = 1; mr <= std::min(mp, 4); ++mr) {
        if (mp % mr) continue;
        for (int kht = 1; kht <= kh; ++kht) {
            for (int rt = 1; rt <= r && mr * kht * rt + mr + 1 <= vector_registers; ++rt) {
                double cost = 0;
                for (int k0 = 0; k0 < kh; k0 += kht)
                    for (int r0 = 0; r0 < r; r0 += rt) {
                        const int n = std::min(kht, kh - k0) * std::min(rt, r - r0);
                        cost += step_cycles(mr * n, mr + n) + 0.05 * mr * n;  // + the tile's store per sample
                    }
                cost *= mp / mr;
                if (cost < best_cost - 1e-9) best_cost = cost, best = {mr, kht, rt};
            }
        }
    }
    return best;
}

// dX: PB packets (of np, the padded run) x NR pixels (of a row of wo), F steps each
constexpr tile_shape choose_dx(int np, int wo, int f) {
    tile_shape best;
    double best_cost = 1e300;
    for (int pb = 1; pb <= std::min(np, 8); ++pb) {
        if (np % pb) continue;
        for (int nr = 1; nr <= wo && pb * nr + pb + 1 <= vector_registers; ++nr) {
            const int rem = wo % nr;
            auto tile = [&](int n) { return f * step_cycles(pb * n, pb + n) + 2.0 * pb * n; };  // + read-add-write
            const double cost = (np / pb) * ((wo / nr) * tile(nr) + (rem ? tile(rem) : 0.0));
            if (cost < best_cost - 1e-9) best_cost = cost, best = {pb, nr, 1};
        }
    }
    return best;
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

// ------------------------------------------------------------------ forward tile
// y[j*ldy + m*L + i] = act(bias + sum_{kh<KH, r<R} w[(kh*R + r)*ldw + m*L + i] * x[kh*XRow + j*XPix + r])
// for j < NR pixels, MR packets of filters; rows >= valid (the padded filters) are not stored.
template <class P, int MR, int NR, int KH, int R, int XPix, int XRow, bool Relu>
inline void fwd_tile(const float* __restrict w, int ldw, const float* __restrict bias, const float* __restrict x,
                     float* __restrict y, int ldy, int valid) {
    constexpr int L = lanes<P>;
    P acc[MR][NR];
#pragma GCC unroll 8
    for (int m = 0; m < MR; ++m) {
        const P b = ei::ploadu<P>(bias + m * L);
#pragma GCC unroll 32
        for (int j = 0; j < NR; ++j) acc[m][j] = b;
    }
    for (int kh = 0; kh < KH; ++kh) {
        const float* xr = x + kh * XRow;
        const float* wr = w + std::size_t(kh) * R * ldw;
        for (int r = 0; r < R; ++r) {
            P a[MR];
#pragma GCC unroll 8
            for (int m = 0; m < MR; ++m) a[m] = ei::ploadu<P>(wr + std::size_t(r) * ldw + m * L);
#pragma GCC unroll 32
            for (int j = 0; j < NR; ++j) {
                const P v = ei::pset1<P>(xr[j * XPix + r]);
#pragma GCC unroll 8
                for (int m = 0; m < MR; ++m) acc[m][j] = ei::pmadd(a[m], v, acc[m][j]);
            }
        }
    }
    const P zero = ei::pset1<P>(0.0f);
#pragma GCC unroll 32
    for (int j = 0; j < NR; ++j) {
#pragma GCC unroll 8
        for (int m = 0; m < MR; ++m) {
            const P v = Relu ? ei::pmax(acc[m][j], zero) : acc[m][j];
            if (valid >= MR * L) ei::pstoreu(y + j * ldy + m * L, v);
            else store_lanes<P, false>(y + j * ldy + m * L, v, valid - m * L);
        }
    }
}

// ------------------------------------------------------------------ dW tile
// dw[(kh*R + r)*ldw + m*L + i] += sum over the pixels (oh < HO, ow < WO) of
//   dz[(oh*WO + ow)*ldz + m*L + i] * x[oh*XOutRow + ow*XPix + kh*XRow + r]
// for kh < KHT, r < RT, MR packets of filters; rows >= valid are not stored.
template <class P, int MR, int KHT, int RT, int R, int HO, int WO, int XPix, int XRow, int XOutRow>
inline void dw_tile(const float* __restrict dz, int ldz, const float* __restrict x, float* __restrict dw, int ldw, int valid) {
    constexpr int L = lanes<P>;
    constexpr int N = KHT * RT;
    P acc[MR][N];
#pragma GCC unroll 8
    for (int m = 0; m < MR; ++m)
#pragma GCC unroll 32
        for (int n = 0; n < N; ++n) acc[m][n] = ei::pset1<P>(0.0f);
    for (int oh = 0; oh < HO; ++oh) {
        for (int ow = 0; ow < WO; ++ow) {
            const float* d = dz + std::size_t(oh * WO + ow) * ldz;
            const float* xp = x + oh * XOutRow + ow * XPix;
            P a[MR];
#pragma GCC unroll 8
            for (int m = 0; m < MR; ++m) a[m] = ei::ploadu<P>(d + m * L);
#pragma GCC unroll 32
            for (int n = 0; n < N; ++n) {
                const P v = ei::pset1<P>(xp[(n / RT) * XRow + n % RT]);
#pragma GCC unroll 8
                for (int m = 0; m < MR; ++m) acc[m][n] = ei::pmadd(a[m], v, acc[m][n]);
            }
        }
    }
#pragma GCC unroll 32
    for (int n = 0; n < N; ++n) {
        float* col = dw + std::size_t((n / RT) * R + n % RT) * ldw;
#pragma GCC unroll 8
        for (int m = 0; m < MR; ++m) {
            if (valid >= MR * L) ei::pstoreu(col + m * L, ei::padd(ei::ploadu<P>(col + m * L), acc[m][n]));
            else store_lanes<P, true>(col + m * L, acc[m][n], valid - m * L);
        }
    }
}

// ------------------------------------------------------------------ dX tile
// dx[j*XPix + p*L + i] += sum_{f<F} wt[f*ldwt + p*L + i] * dz[j*ldz + f] for j < NR pixels
// (in order: neighbouring pixels' runs overlap), PB packets of the run.
template <class P, int PB, int NR, int F, int XPix>
inline void dx_tile(const float* __restrict wt, int ldwt, const float* __restrict dz, int ldz, float* dx) {
    constexpr int L = lanes<P>;
    P acc[PB][NR];
#pragma GCC unroll 8
    for (int p = 0; p < PB; ++p)
#pragma GCC unroll 32
        for (int j = 0; j < NR; ++j) acc[p][j] = ei::pset1<P>(0.0f);
    for (int f = 0; f < F; ++f) {
        P a[PB];
#pragma GCC unroll 8
        for (int p = 0; p < PB; ++p) a[p] = ei::ploadu<P>(wt + std::size_t(f) * ldwt + p * L);
#pragma GCC unroll 32
        for (int j = 0; j < NR; ++j) {
            const P v = ei::pset1<P>(dz[j * ldz + f]);
#pragma GCC unroll 8
            for (int p = 0; p < PB; ++p) acc[p][j] = ei::pmadd(a[p], v, acc[p][j]);
        }
    }
#pragma GCC unroll 32
    for (int j = 0; j < NR; ++j)
#pragma GCC unroll 8
        for (int p = 0; p < PB; ++p) {
            float* d = dx + j * XPix + p * L;
            ei::pstoreu(d, ei::padd(ei::ploadu<P>(d), acc[p][j]));
        }
}

}  // namespace hps::detail::conv

#pragma GCC diagnostic pop
