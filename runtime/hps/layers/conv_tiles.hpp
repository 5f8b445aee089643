// The bodies of the fp32 register tiles declared in conv_kernels.hpp (which states what each
// computes). Included by conv_kernels.hpp, inline, in a program that does not share its tiles;
// under HPS_SHARED_TILES only by the study's tiles/tiles-N.cpp, after the runtime the
// trainers see (hps/tiles.hpp, docs/design.md section 27).
#pragma once

#include "hps/layers/conv_kernels.hpp"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-attributes"
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace hps::detail::conv {

template <class P, int MR, int NR, int KH, int R, int XPix, int XRow, bool Relu, int KD, int XPlane, bool Resume>
void fwd_tile(const float* __restrict w, int ldw, const float* __restrict bias, const float* __restrict x,
              float* __restrict y, int ldy, int valid) {
    constexpr int L = lanes<P>;
    P acc[MR][NR];
#pragma GCC unroll 8
    for (int m = 0; m < MR; ++m) {
        const P b = ei::ploadu<P>(bias + m * L);
#pragma GCC unroll 32
        for (int j = 0; j < NR; ++j) acc[m][j] = Resume ? ei::ploadu<P>(y + j * ldy + m * L) : b;
    }
    for (int q = 0; q < KD * KH; ++q) {  // kernel row q = kd*KH + kh
        const float* xr = x + (q / KH) * XPlane + (q % KH) * XRow;
        const float* wr = w + std::size_t(q) * R * ldw;
        for (int r = 0; r < R; ++r) {
            P a[MR];
#pragma GCC unroll 8
            for (int m = 0; m < MR; ++m) a[m] = ei::ploadu<P>(wr + std::size_t(r) * ldw + m * L);
            const float* xq = opaque(xr + r);  // x[j*XPix + r] recurs at other (j, r) (packets.hpp)
#pragma GCC unroll 32
            for (int j = 0; j < NR; ++j) {
                const P v = ei::pset1<P>(xq[j * XPix]);
#pragma GCC unroll 8
                for (int m = 0; m < MR; ++m) acc[m][j] = ei::pmadd(a[m], v, acc[m][j]);
            }
        }
    }
    store_fwd_tile<P, MR, NR, Relu>(acc, y, ldy, valid);
}

template <class P, int MR, int KHT, int RT, int R, int HO, int WO, int XPix, int XRow, int XOutRow, int KDT, int KH, int DO,
          int XPlane, int XOutPlane>
void dw_tile(const float* __restrict dz, int ldz, const float* __restrict x, float* __restrict dw, int ldw, int valid) {
    constexpr int L = lanes<P>;
    constexpr int N = KDT * KHT * RT;
    P acc[MR][N];
#pragma GCC unroll 8
    for (int m = 0; m < MR; ++m)
#pragma GCC unroll 32
        for (int n = 0; n < N; ++n) acc[m][n] = ei::pset1<P>(0.0f);
    for (int o = 0; o < DO * HO; ++o) {  // output row o = od*HO + oh
        for (int ow = 0; ow < WO; ++ow) {
            const float* d = dz + std::size_t(o * WO + ow) * ldz;
            // x at ow + 1 is x at ow one position on (packets.hpp, opaque)
            const float* xp = opaque(x + (o / HO) * XOutPlane + (o % HO) * XOutRow + ow * XPix);
            P a[MR];
#pragma GCC unroll 8
            for (int m = 0; m < MR; ++m) a[m] = ei::ploadu<P>(d + m * L);
#pragma GCC unroll 32
            for (int n = 0; n < N; ++n) {
                const P v = ei::pset1<P>(xp[n / (KHT * RT) * XPlane + (n / RT) % KHT * XRow + n % RT]);
#pragma GCC unroll 8
                for (int m = 0; m < MR; ++m) acc[m][n] = ei::pmadd(a[m], v, acc[m][n]);
            }
        }
    }
    add_dw_tile<P, MR, KHT, RT, R, KDT, KH>(acc, dw, ldw, valid);
}

template <class P, int PB, int NR, int F, int XPix, bool Add>
void dx_tile(const float* __restrict wt, int ldwt, const float* __restrict dz, int ldz, float* dx) {
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
            if constexpr (Add) ei::pstoreu(d, ei::padd(ei::ploadu<P>(d), acc[p][j]));
            else ei::pstoreu(d, acc[p][j]);
        }
}

}  // namespace hps::detail::conv

#pragma GCC diagnostic pop
