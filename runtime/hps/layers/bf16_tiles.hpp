// The bodies of the bf16 register tiles declared in bf16_kernels.hpp (which states what each
// computes), where the program has the bf16 path. Included by bf16_kernels.hpp, inline, in a
// program that does not share its tiles; under HPS_SHARED_TILES only by the study's
// tiles/tiles-N.cpp, after the runtime the trainers see (hps/tiles.hpp, docs/design.md
// section 27).
#pragma once

#include "hps/layers/bf16_kernels.hpp"

#if HPS_BF16_KERNELS
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-attributes"
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace hps::detail::bf16 {

template <class P, int MR, int NR, int KH, int R, int XPix, int XRow, bool Relu, int KD, int XPlane>
void fwd_tile(const bf16_t* __restrict w, int ldw, const float* __restrict bias, const bf16_t* __restrict x,
              float* __restrict y, int ldy, int valid) {
    constexpr int L = conv::lanes<P>;
    constexpr int RP = (R + 1) / 2;
    P acc[MR][NR];
#pragma GCC unroll 8
    for (int m = 0; m < MR; ++m) {
        const P b = conv::ei::ploadu<P>(bias + m * L);
#pragma GCC unroll 32
        for (int j = 0; j < NR; ++j) acc[m][j] = b;
    }
    for (int q = 0; q < KD * KH; ++q) {
        const bf16_t* xr = x + (q / KH) * XPlane + (q % KH) * XRow;
        const bf16_t* wr = w + std::size_t(q) * RP * ldw * 2;
        for (int p = 0; p < RP; ++p)  // pairs recur at other (j, p) as in the fp32 tile (packets.hpp, opaque)
            pair_step(acc, wr + std::size_t(p) * ldw * 2, conv::opaque(xr + 2 * p), XPix);
    }
    conv::store_fwd_tile<P, MR, NR, Relu>(acc, y, ldy, valid);
}

template <class P, int MR, int KHT, int RT, int R, int HO, int WO, int XPix, int XRow, int XOutRow, int KDT, int KH, int DO,
          int XPlane, int XOutPlane>
void dw_tile(const bf16_t* __restrict dz, int ldz, const bf16_t* __restrict x2, float* __restrict dw, int ldw, int valid) {
    using pk = pairs<P>;
    constexpr int L = conv::lanes<P>;
    constexpr int N = KDT * KHT * RT;
    constexpr int WP = (WO + 1) / 2;
    P acc[MR][N];
#pragma GCC unroll 8
    for (int m = 0; m < MR; ++m)
#pragma GCC unroll 32
        for (int n = 0; n < N; ++n) acc[m][n] = conv::ei::pset1<P>(0.0f);
    for (int o = 0; o < DO * HO; ++o) {
        for (int op = 0; op < WP; ++op) {
            const bf16_t* d = dz + std::size_t(o * WP + op) * ldz * 2;
            const bf16_t* xp = conv::opaque(x2 + 2 * std::size_t((o / HO) * XOutPlane + (o % HO) * XOutRow + 2 * op * XPix));
            typename pk::type a[MR];
#pragma GCC unroll 8
            for (int m = 0; m < MR; ++m) a[m] = pk::load(d + m * L * 2);
#pragma GCC unroll 32
            for (int n = 0; n < N; ++n) {
                const typename pk::type v = pk::broadcast(xp + 2 * (n / (KHT * RT) * XPlane + (n / RT) % KHT * XRow + n % RT));
#pragma GCC unroll 8
                for (int m = 0; m < MR; ++m) acc[m][n] = pk::dot(acc[m][n], a[m], v);
            }
        }
    }
    conv::add_dw_tile<P, MR, KHT, RT, R, KDT, KH>(acc, dw, ldw, valid);
}

template <class P, int PB, int NR, int F, int XPix>
void dx_tile(const bf16_t* __restrict wt, int ldwt, const bf16_t* __restrict dz, int ldz, float* dx) {
    constexpr int L = conv::lanes<P>;
    P acc[PB][NR];
#pragma GCC unroll 8
    for (int p = 0; p < PB; ++p)
#pragma GCC unroll 32
        for (int j = 0; j < NR; ++j) acc[p][j] = conv::ei::pset1<P>(0.0f);
    for (int fp = 0; fp < (F + 1) / 2; ++fp) pair_step(acc, wt + std::size_t(fp) * ldwt * 2, dz + 2 * fp, ldz);
#pragma GCC unroll 32
    for (int j = 0; j < NR; ++j)
#pragma GCC unroll 8
        for (int p = 0; p < PB; ++p) {
            float* d = dx + j * XPix + p * L;
            conv::ei::pstoreu(d, conv::ei::padd(conv::ei::ploadu<P>(d), acc[p][j]));
        }
}

}  // namespace hps::detail::bf16

#pragma GCC diagnostic pop
#endif  // HPS_BF16_KERNELS
