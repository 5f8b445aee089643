// Direct-convolution kernels for conv1d, conv2d and conv3d, specialised on every size at
// compile time, and the driver the three layers share (direct_conv, at the end).
//
// A generic GEMM sees a convolution's products as thin ((32 x 400) x (400 x 25088) and its
// transposes for conv2 of Model-108) and needs an im2col copy of the input 25 (or, for a
// 3 x 3 x 3 kernel, 27) times its size; these kernels read the zero-padded input sample in
// place and keep a register tile of the output (or of dW) for the whole reduction:
//
//   xpad   one sample (Dp, Hp, Wp, C), C fastest, with the padding as zeros around it
//          (Dp = 1 for conv2d, Dp = Hp = 1 for conv1d); the patch of output pixel
//          (od, oh, ow) is KD*KH kernel rows q = kd*KH + kh, each the contiguous run
//          xpad[(od*SD + kd)*Plane + (oh*SH + kh)*Row + ow*SW*C + r], r < R = KW*C
//          (Row = Wp*C, Plane = Hp*Row)
//   fwd    y(:, pixel) = b + sum_{q, r} W(:, q*R + r) * xpad[...]: a tile of MR packets of
//          filters x NR pixels of one output row; W's columns are loaded, the input
//          broadcast; bias in the accumulators' start, ReLU on them before the store
//   dW     dW(:, q*R + r) += sum_pixels dz(:, pixel) * xpad[...]: a tile of MR packets of
//          filters x (KDT kernel planes x KHT kernel rows x RT run positions), over every
//          pixel of a sample
//   dX     dxpad[row q of the pixel's patch + r] += sum_f Wt_q(r, f) dz(f, pixel): a tile
//          of PB packets of the run x NR pixels, added to the padded gradient in pixel
//          order (neighbouring runs overlap); Wt is W transposed per kernel row with the
//          run padded to whole packets with zeros, so the padding lanes add exactly 0
//
// Tiles are chosen at compile time by a small cost model (choose_*: FMAs and loads per
// inner step, two of each per cycle, at least the FMA latency) for the register count
// of the target (32 vector registers with AVX-512, else 16). Packets are Eigen's
// (AVX-512, AVX2+FMA, SSE, or plain floats without vectorisation). dense uses the forward,
// dW and dX tiles too (a dense layer is a 1 x 1 convolution over a batch of one pixel each).
// Neither the tile shapes nor k_block's blocking (from the building CPU's L2) change the
// order of any output's sum (design section 24).
#pragma once

#include "hps/activations.hpp"
#include "hps/core.hpp"
#include "hps/layers/amx_kernels.hpp"
#include "hps/layers/bf16_kernels.hpp"
#include "hps/layers/common.hpp"
#include "hps/layers/packets.hpp"
#include "hps/rules.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstring>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

// Eigen's packet types (__m512 and kin) as template arguments: GCC notes that their
// alignment attributes are not part of the type, which is harmless here (Eigen silences
// the same note in its own headers).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-attributes"
// GCC 12 (-Wall, -O3 -march=native) warns that Eigen's AVX-512 pmax (the fused ReLU)
// uses an uninitialised register (the undefined pass-through operand of its masked
// intrinsic, by design) once inlined into the tiles: a false positive.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace hps::rules {

// The rule of conv1d, conv2d and conv3d (hps/rules.hpp): `filters` filters over the first
// `spatial` (1, 2 or 3) dimensions of a channels-last input of rank spatial + 1, with a
// kernel and a stride per spatial dimension, in the input's order (entries past `spatial`
// are not read). Per dimension, same: ceil(in/stride) (TensorFlow's SAME, any kernel);
// valid: (in - kernel)/stride + 1, floored (positions no whole window reaches are
// ignored), once kernel <= in (else kernel_too_large at that dimension). Parameters: the
// kernel, prod(kernel) * channels * filters, then one bias per filter.
constexpr outcome conv(dims in, int spatial, int filters, std::array<int, 3> kernel, std::array<int, 3> stride, bool same) {
    if (spatial < 1 || spatial > 3 || in.rank != spatial + 1) return refuse(fault::wrong_rank);
    dims out{in.rank, {}};
    std::size_t taps = 1;
    for (int i = 0; i < spatial; ++i) {
        const int n = in[i], k = kernel[std::size_t(i)], s = stride[std::size_t(i)];
        if (!same && k > n) return refuse(fault::kernel_too_large, i);
        out.d[std::size_t(i)] = same ? (n + s - 1) / s : (n - k) / s + 1;
        taps *= std::size_t(k);
    }
    out.d[std::size_t(spatial)] = filters;
    return accept(out, taps * std::size_t(in.channels()) * std::size_t(filters) + std::size_t(filters));
}

}  // namespace hps::rules

namespace hps::detail::conv {

// cycles of one inner step: 2 FMAs and 2 loads per cycle, at least the FMA latency (each
// accumulator is updated once per step); loads also take issue slots, so of two tiles
// that keep the FMA units equally busy, the one with fewer loads per FMA wins
constexpr double step_cycles(int fmas, int loads) {
    return std::max(std::max(fmas / 2.0, loads / 2.0), 4.0) + 0.1 * loads;
}

struct tile_shape {
    int a = 1, b = 1, c = 1, d = 1;
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

// dW: MR packets (of mp) x KDT kernel planes (of kd) x KHT kernel rows (of kh) x RT run
// positions (of r); returned as {MR, KHT, RT, KDT}
constexpr tile_shape choose_dw(int mp, int kh, int r, int kd = 1) {
    tile_shape best;
    double best_cost = 1e300;
    for (int mr = 1; mr <= std::min(mp, 4); ++mr) {
        if (mp % mr) continue;
        for (int kdt = 1; kdt <= kd; ++kdt)
            for (int kht = 1; kht <= kh; ++kht) {
                for (int rt = 1; rt <= r && mr * kdt * kht * rt + mr + 1 <= vector_registers; ++rt) {
                    double cost = 0;
                    for (int d0 = 0; d0 < kd; d0 += kdt)
                        for (int k0 = 0; k0 < kh; k0 += kht)
                            for (int r0 = 0; r0 < r; r0 += rt) {
                                const int n = std::min(kdt, kd - d0) * std::min(kht, kh - k0) * std::min(rt, r - r0);
                                cost += step_cycles(mr * n, mr + n) + 0.05 * mr * n;  // + the tile's store per sample
                            }
                    cost *= mp / mr;
                    if (cost < best_cost - 1e-9) best_cost = cost, best = {mr, kht, rt, kdt};
                }
            }
    }
    return best;
}

// dX: PB packets (of np, the padded run) x NR pixels (of a row of wo), F steps each
constexpr tile_shape choose_dx(int np, int wo, int f, int max_pb = 8) {
    tile_shape best;
    double best_cost = 1e300;
    for (int pb = 1; pb <= std::min({np, 8, std::max(max_pb, 1)}); ++pb) {
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

// The L2 cache of one core of the building CPU, in bytes: a generated study's CMake passes
// what the building machine reports (-DHPS_L2_CACHE_BYTES) when it builds for that CPU
// (HPS_NATIVE, -march=native); else 512 KiB, the smallest L2 of the x86-64 server cores
// these kernels target (Zen 2 and Zen 3; Skylake-SP to Granite Rapids and Zen 4/5 have 1 to 2 MiB).
#ifndef HPS_L2_CACHE_BYTES
#define HPS_L2_CACHE_BYTES 524288
#endif
inline constexpr long l2_cache_bytes = HPS_L2_CACHE_BYTES;

// The rows of a (K, N) weight matrix (N floats a row, column panels of `panel` floats) that one
// pass of a product over `columns` inputs takes (dense's forward): the inputs' block (columns
// x rows floats) and one tile's panel of W (rows x panel floats) in half of the L2, and the
// panel's rows within as many 4 KiB pages as the L2 has (one pass of a panel touches a page
// per N*4 bytes: a whole 3136-row panel of a 768-wide W touches 2,352, more than a 2,048-entry
// second-level TLB holds). Cut into equal blocks, multiples of 8 rows. Only the order in
// which tiles are visited changes with it, never an output's sum (fwd_tile's Resume).
constexpr int k_block(int k, int n, int columns, int panel, long l2 = l2_cache_bytes) {
    long rows = std::min(l2 / 2 / (4L * (columns + panel)), l2 / (4L * n));
    rows = std::max(rows, 64L);
    if (rows >= k) return k;
    const long blocks = (k + rows - 1) / rows;
    const long per_block = ((k + blocks - 1) / blocks + 7) / 8 * 8;
    return int(std::min<long>(k, per_block));
}

// ------------------------------------------------------------------ forward tile
// y[j*ldy + m*L + i] = act(bias + sum_{kd<KD, kh<KH, r<R} w[((kd*KH + kh)*R + r)*ldw + m*L + i]
//                                                      * x[kd*XPlane + kh*XRow + j*XPix + r])
// for j < NR pixels, MR packets of filters; rows >= valid (the padded filters) are not stored.
// Resume: the accumulators start from y (the partial sums a previous block of the
// reduction stored) instead of the bias, so that a reduction cut into blocks adds its terms
// in the same order as one pass (dense's forward; needs valid >= MR packets).
template <class P, int MR, int NR, int KH, int R, int XPix, int XRow, bool Relu, int KD = 1, int XPlane = 0,
          bool Resume = false>
HPS_TILE void fwd_tile(const float* __restrict w, int ldw, const float* __restrict bias, const float* __restrict x,
                       float* __restrict y, int ldy, int valid);

// ------------------------------------------------------------------ dW tile
// dw[((kd*KH + kh)*R + r)*ldw + m*L + i] += sum over the pixels (od < DO, oh < HO, ow < WO) of
//   dz[((od*HO + oh)*WO + ow)*ldz + m*L + i] * x[od*XOutPlane + oh*XOutRow + ow*XPix + kd*XPlane + kh*XRow + r]
// for kd < KDT, kh < KHT, r < RT, MR packets of filters; rows >= valid are not stored.
template <class P, int MR, int KHT, int RT, int R, int HO, int WO, int XPix, int XRow, int XOutRow, int KDT = 1, int KH = KHT,
          int DO = 1, int XPlane = 0, int XOutPlane = 0>
HPS_TILE void dw_tile(const float* __restrict dz, int ldz, const float* __restrict x, float* __restrict dw, int ldw, int valid);

// ------------------------------------------------------------------ dX tile
// dx[j*XPix + p*L + i] += sum_{f<F} wt[f*ldwt + p*L + i] * dz[j*ldz + f] for j < NR pixels
// (in order: neighbouring pixels' runs overlap), PB packets of the run; with Add false, =
// instead of += (dense's dx, whose columns do not overlap).
template <class P, int PB, int NR, int F, int XPix, bool Add = true>
HPS_TILE void dx_tile(const float* __restrict wt, int ldwt, const float* __restrict dz, int ldz, float* dx);

}  // namespace hps::detail::conv

// the tiles' bodies: here, inline, unless the program shares them (HPS_SHARED_TILES)
#if !defined(HPS_SHARED_TILES)
#include "hps/layers/conv_tiles.hpp"
#endif

namespace hps::detail::conv {

// ------------------------------------------------------------------ the layers' driver
// Total padding of one dimension of `out` outputs (rules::conv's): none under valid; under
// same, what (out - 1) windows' strides and one kernel need beyond the input (TensorFlow's).
constexpr int pad_total(int in, int out, int kernel, int stride, bool is_same) {
    if (!is_same) return 0;
    const int total = (out - 1) * stride + kernel - in;
    return total > 0 ? total : 0;
}

// The gradients' sums over a batch of `batch` in fixed groups of samples (direct_conv::
// weight_gradients): how many groups, and whether dW (`weights` = F x K of them) is summed by
// them too (when small: its register tiles are then too few to keep the threads busy)
constexpr int grad_groups(int batch) { return batch < 16 ? batch : 16; }
constexpr bool dw_by_groups(std::size_t weights) { return weights <= 1024; }

// f(std::integral_constant<int, n>) with n = the extent of the block of `Block` (of Total)
// that starts at `at`: Block, or the tail Total % Block for the last one
template <int Block, int Total, class Fn>
inline void with_block(int at, Fn&& f) {
    if (at < Total / Block * Block) f(std::integral_constant<int, Block>{});
    else if constexpr (Total % Block != 0) f(std::integral_constant<int, Total % Block>{});
}

// A convolution (cross-correlation) of Filters filters of KD x KH x KW over channels-last
// samples (D, H, W, C), strides (SD, SH, SW), activation Act fused, batch B: conv3d as it
// is, conv2d with D = KD = SD = 1 and conv1d with H = KH = SH = 1 too. The layers derive
// from it and add their names, static checks, export and torch modules.
//
//   x (D*H*W*C, B); y (Do*Ho*Wo*F, B), one sample (Do, Ho, Wo, F)
//   W the column-major (F, K), K = KD*KH*KW*C, row ((kd*KH + kh)*KW + kw)*C + c; then b (F)
//   forward   y(:, pixel) = act(b + W patch(pixel)); backward dZ = dy * act'(y),
//             dW += sum_pixels dZ patch^T, db += rowsum(dZ), dx = the patches' W^T dZ added
//             back where they came from (skipped when dx == nullptr)
//
// Each sample is copied zero-padded to (Dp, Hp, Wp, C); a patch is then KD*KH kernel rows,
// each a contiguous run of R = KW*C floats at (od*SD + kd)*plane + (oh*SH + kh)*row +
// ow*SW*C, and the kernels above keep register tiles of y, dW or dx over the whole
// reduction. Threads take samples (forward, dx) or dW tiles (each summed over the batch by
// one thread in a fixed order): results do not depend on the thread count.
//
// Scratch: the padded samples (B, Dp, Hp, Wp, C) (backward writes dx's padded form over
// them, so call it once per forward); dZ (F', Do*Ho*Wo*B) unless the activation is linear
// and F fills whole packets (F' = F rounded up to packets); W transposed per kernel row
// (KD*KH, F, R') for dx, the run padded to whole packets; W and b padded to F' rows when F
// does not fill whole packets.
template <class Dims, class Kernel, class Stride, int Filters, bool Same, class Act, int B>
class direct_conv {
    static constexpr int KD = Kernel::dims[0], KH = Kernel::dims[1], KW = Kernel::dims[2];
    static constexpr int SD = Stride::dims[0], SH = Stride::dims[1], SW = Stride::dims[2];

public:
    static constexpr int input_depth = Dims::dims[0];
    static constexpr int input_height = Dims::dims[1];
    static constexpr int input_width = Dims::dims[2];
    static constexpr int channels = Dims::dims[3];
    static constexpr bool is_same = Same;

    // the sizes: rules::conv over the three dimensions (the layers check their own call of
    // it, over their own rank, for their messages); a refused one gives 0s here
    static constexpr rules::outcome rule = rules::conv(dims_of<Dims>(), 3, Filters, {KD, KH, KW}, {SD, SH, SW}, Same);
    static constexpr int out_depth = rule.out[0];
    static constexpr int out_height = rule.out[1];
    static constexpr int out_width = rule.out[2];
    static constexpr int pad_front = pad_total(input_depth, out_depth, KD, SD, Same) / 2;
    static constexpr int pad_back = pad_total(input_depth, out_depth, KD, SD, Same) - pad_front;
    static constexpr int pad_top = pad_total(input_height, out_height, KH, SH, Same) / 2;
    static constexpr int pad_bottom = pad_total(input_height, out_height, KH, SH, Same) - pad_top;
    static constexpr int pad_left = pad_total(input_width, out_width, KW, SW, Same) / 2;
    static constexpr int pad_right = pad_total(input_width, out_width, KW, SW, Same) - pad_left;
    static constexpr bool symmetric_padding = pad_front == pad_back && pad_top == pad_bottom && pad_left == pad_right;

    static constexpr int patch_size = KD * KH * KW * channels;  // K
    static constexpr int out_pixels = out_depth * out_height * out_width;
    static constexpr int columns = out_pixels * B;
    static constexpr int in_sample = input_depth * input_height * input_width * channels;
    static constexpr int out_sample = out_pixels * Filters;

    // kernel geometry: padded sample (Dp, Hp, Wp, C), KD*KH kernel rows of R floats
    static constexpr int padded_depth = input_depth + pad_front + pad_back;     // Dp
    static constexpr int padded_height = input_height + pad_top + pad_bottom;  // Hp
    static constexpr int padded_width = input_width + pad_left + pad_right;    // Wp
    static constexpr int run = KW * channels;                                   // R
    static constexpr int kernel_rows = KD * KH;
    static constexpr int row_stride = padded_width * channels;       // floats from one padded row to the next
    static constexpr int plane_stride = padded_height * row_stride;  // and from one plane to the next
    using filter_packet = packet_for<Filters>;
    using run_packet = packet_for<run>;
    static constexpr int filter_lanes = lanes<filter_packet>;
    static constexpr int run_lanes = lanes<run_packet>;
    static constexpr int padded_filters = round_up(Filters, filter_lanes);  // F'
    static constexpr int padded_run = round_up(run, run_lanes);
    static constexpr bool pads_filters = padded_filters != Filters;
    static constexpr bool keeps_dz = !Act::is_identity || pads_filters;
    // one padded sample, plus the slack dx's padded run may overflow into, in 64-byte steps
    static constexpr std::size_t xpad_size = std::size_t(padded_depth) * plane_stride;
    static constexpr std::size_t xpad_stride = (xpad_size + (padded_run - run) + 15) / 16 * 16;

    static constexpr std::size_t num_params = rule.params;                         // the kernel, then F biases
    static constexpr std::size_t num_weights = rule.ok() ? num_params - Filters : 0;  // (F, K)
    static constexpr std::size_t num_state = 0;
    static constexpr std::size_t xpad_total = xpad_stride * B;                                        // (B, Dp, Hp, Wp, C)
    static constexpr std::size_t dz_total = keeps_dz ? std::size_t(padded_filters) * columns : 0;      // (F', pixels*B)
    static constexpr std::size_t wt_total = std::size_t(kernel_rows) * Filters * padded_run;          // (KD*KH, F, R')
    static constexpr std::size_t wpad_total = pads_filters ? std::size_t(padded_filters) * (patch_size + 1) : 0;
    // bf16 (bf16_kernels.hpp; only in a program that has its kernels), in bf16 units: the
    // padded samples in bf16; paired with themselves one pixel on (dW); dZ paired by pixel
    // pairs (dW; then dZ in bf16, for dx); W paired by kernel positions; Wt by filters
    static constexpr int pixel_pairs = (out_width + 1) / 2;  // per output row
    static constexpr int run_pairs = (run + 1) / 2;
    static constexpr int filter_pairs = (Filters + 1) / 2;
    static constexpr std::size_t dzp_sample = std::size_t(out_depth) * out_height * pixel_pairs * padded_filters * 2;
    static constexpr std::size_t xb_units = xpad_total;                                                   // (B, Dp, Hp, Wp, C)
    static constexpr std::size_t x2_units = 2 * xpad_total;                                               // (B, Dp, Hp, Wp, C, 2)
    static constexpr std::size_t dzp_units = dzp_sample * B;                                              // (B, rows, Wo/2, F', 2)
    static constexpr std::size_t wf_units = std::size_t(kernel_rows) * run_pairs * padded_filters * 2;   // (KD*KH, R/2, F', 2)
    static constexpr std::size_t wtp_units = std::size_t(kernel_rows) * filter_pairs * padded_run * 2;  // (KD*KH, F/2, R', 2)
    static constexpr std::size_t bf16_total =
        bf16::compiled ? bf16::floats_for(xb_units) + bf16::floats_for(x2_units) + bf16::floats_for(dzp_units) +
                             bf16::floats_for(wf_units) + bf16::floats_for(wtp_units)
                       : 0;
    // the gradients' sums over the batch in fixed groups of samples, each group's from zero,
    // then added in group order: threads take groups, and a result does not depend on how
    // many. The bias always; dW when it is small (its register tiles are then too few to keep
    // the threads busy: a one-channel first layer's dW is a single tile)
    static constexpr int grad_groups = conv::grad_groups(B);
    static constexpr bool dw_by_groups = conv::dw_by_groups(std::size_t(Filters) * patch_size);
    static constexpr std::size_t groups_total =
        std::size_t(grad_groups) * (padded_filters + (dw_by_groups ? num_weights : 0));  // (G, F'), then (G, K, F)
    static constexpr std::size_t scratch_size = xpad_total + dz_total + wt_total + wpad_total + groups_total + bf16_total;
    static constexpr bool is_view = false;
    static constexpr int torch_param_module = symmetric_padding ? 0 : 1;
    static constexpr bool register_tiles = true;  // forward and backward call the tiles (hps/tiles.hpp)

    void bind(float* params, float* grads, float*, float* scratch) {
        w_ = params;                // (F, K)
        b_ = params + num_weights;  // (F)
        dw_ = grads;
        db_ = grads + num_weights;
        xpad_ = scratch;           // (B, Dp, Hp, Wp, C)
        dz_ = xpad_ + xpad_total;  // (F', pixels*B)
        wt_ = dz_ + dz_total;      // (KD*KH, F, R')
        wpad_ = wt_ + wt_total;    // (F', K + 1): W and b padded to F' rows
        groups_ = wpad_ + wpad_total;  // (G, F') db's groups, then (G, K, F) dW's
        if constexpr (bf16::compiled) {
            bf16::scratch_cutter cut{groups_ + groups_total};
            xb_ = cut.take(xb_units);
            x2_ = cut.take(x2_units);
            dzp_ = cut.take(dzp_units);
            wf_ = cut.take(wf_units);
            wtp_ = cut.take(wtp_units);
        }
    }

    void init(rng& gen) {
        // fan-in K, fan-out KD*KH*KW*F (as Keras and torch count a convolution's fans)
        init_weights(w_, num_weights, patch_size, KD * KH * KW * Filters, Act::init, gen);
        std::fill(b_, b_ + Filters, 0.0f);
    }

    void forward(const float* x, float* y, context& ctx) {
        const float* w = w_;
        const float* bias = b_;
        if constexpr (pads_filters) {
            for (int k = 0; k <= patch_size; ++k) {  // column K is the bias
                float* dst = wpad_ + std::size_t(k) * padded_filters;
                const float* src = k < patch_size ? w_ + std::size_t(k) * Filters : b_;
                std::copy(src, src + Filters, dst);
                std::fill(dst + Filters, dst + padded_filters, 0.0f);
            }
            w = wpad_;
            bias = wpad_ + std::size_t(patch_size) * padded_filters;
        }
        if (bf16::compiled && ctx.prec == precision::bf16) return forward_bf16(x, y, w, bias);
        HPS_OMP(omp parallel for schedule(static) if (detail::usable_threads() > 1))
        for (int b = 0; b < B; ++b) {
            float* xp = xpad_ + b * xpad_stride;
            pad_sample(x + std::size_t(b) * in_sample, xp);
            float* yb = y + std::size_t(b) * out_sample;
            for (int o = 0; o < out_depth * out_height; ++o) {  // output row (od, oh)
                const float* xr = xp + std::size_t(o / out_height) * SD * plane_stride + std::size_t(o % out_height) * SH * row_stride;
                float* yr = yb + std::size_t(o) * out_width * Filters;
                for (int ow = 0; ow < out_width; ow += fwd_tile.b)
                    with_block<fwd_tile.b, out_width>(ow, [&](auto nr) {
                        forward_tiles<nr()>(w, bias, xr + ow * SW * channels, yr + ow * Filters);
                    });
            }
            if constexpr (!Act::is_identity && !std::is_same_v<Act, relu>) Act::forward(yb, out_sample);
        }
    }

    void backward(const float*, const float* y, const float* dy, float* dx, context& ctx) {
        const bool half = bf16::compiled && ctx.prec == precision::bf16;
        const float* dz = dy;
        // ReLU folded into the max pool above (fold_relu): dy is dz already, and is read in
        // place unless the filters are padded
        if (keeps_dz && !(relu_folded_ && !pads_filters)) {
            HPS_OMP(omp parallel for schedule(static) if (detail::usable_threads() > 1))
            for (int b = 0; b < B; ++b) {
                const std::size_t at = std::size_t(b) * out_sample;
                float* dzb = dz_ + std::size_t(b) * out_pixels * padded_filters;
                if constexpr (Act::is_identity) std::copy(dy + at, dy + at + out_sample, dzb);
                else if (relu_folded_) std::copy(dy + at, dy + at + out_sample, dzb);
                else Act::backward(y + at, dy + at, dzb, out_sample);
                if constexpr (pads_filters) {
                    // spread the rows of F to rows of F' in place, from the last pixel down.
                    // (Not Act::backward on F floats per pixel: GCC 12 -O3 with AVX-512
                    // miscompiles that loop, Eigen's select on 3 floats inside it.)
                    for (int n = out_pixels - 1; n >= 0; --n) {
                        float* d = dzb + std::size_t(n) * padded_filters;
                        std::memmove(d, dzb + std::size_t(n) * Filters, sizeof(float) * Filters);
                        std::fill(d + Filters, d + padded_filters, 0.0f);
                    }
                }
            }
            dz = dz_;
        }
        // bf16 on AMX tiles (amx_kernels.hpp) or on AVX512_BF16
        const amx::backend kernels = half ? amx::active() : amx::backend::avx512_bf16;
        const bool on_tiles = kernels != amx::backend::avx512_bf16;
        if (half) pair_for_weights(dz, on_tiles);
        weight_gradients(dz, half, kernels);
        if (!dx) return;
        // Wt (KD*KH, F, R'): per kernel row, W transposed with the run padded by zeros
        for (int q = 0; q < kernel_rows; ++q)
            for (int f = 0; f < Filters; ++f) {
                float* dst = wt_ + (std::size_t(q) * Filters + f) * padded_run;
                for (int r = 0; r < run; ++r) dst[r] = w_[std::size_t(q * run + r) * Filters + f];
                std::fill(dst + run, dst + padded_run, 0.0f);
            }
        if (half)  // Wt paired by filters
            for (int q = 0; q < kernel_rows; ++q)
                for (int p = 0; p < filter_pairs; ++p) {
                    const float* r0 = wt_ + (std::size_t(q) * Filters + 2 * p) * padded_run;
                    bf16::interleave(r0, 2 * p + 1 < Filters ? r0 + padded_run : nullptr,
                                     wtp_ + (std::size_t(q) * filter_pairs + p) * padded_run * 2, padded_run);
                }
        HPS_OMP(omp parallel for schedule(static) if (detail::usable_threads() > 1))
        for (int b = 0; b < B; ++b) {
            float* dxp = xpad_ + b * xpad_stride;  // the padded sample is no longer needed
            std::fill(dxp, dxp + xpad_stride, 0.0f);
            const float* dzb = dz + std::size_t(b) * out_pixels * padded_filters;
            bf16::bf16_t* dzh = half ? dzp_ + b * dzp_sample : nullptr;  // dZ in bf16 (the pairs for dW are done with)
            if (half) bf16::convert(dzb, dzh, std::size_t(out_pixels) * padded_filters);
            for (int o = 0; o < out_depth * out_height; ++o) {  // output row (od, oh)
                const float* dzr = dzb + std::size_t(o) * out_width * padded_filters;
                const int od = o / out_height, oh = o % out_height;
                for (int q = 0; q < kernel_rows; ++q) {  // kernel row (kd, kh)
                    float* dr = dxp + std::size_t(od * SD + q / KH) * plane_stride + std::size_t(oh * SH + q % KH) * row_stride;
                    const float* wk = wt_ + std::size_t(q) * Filters * padded_run;
                    const bf16::bf16_t* wkh = half ? wtp_ + std::size_t(q) * filter_pairs * padded_run * 2 : nullptr;
                    const bf16::bf16_t* dzrh = half ? dzh + std::size_t(o) * out_width * padded_filters : nullptr;
                    if (on_tiles) {
                        input_row_amx(kernels, wkh, dzrh, dr);
                        continue;
                    }
                    for (int ow = 0; ow < out_width; ow += dx_tile.b)
                        with_block<dx_tile.b, out_width>(ow, [&](auto nr) {
                            if (half) input_tiles_bf16<nr()>(wkh, dzrh + ow * padded_filters, dr + ow * SW * channels);
                            else input_tiles<nr()>(wk, dzr + ow * padded_filters, dr + ow * SW * channels);
                        });
                }
            }
            float* dxb = dx + std::size_t(b) * in_sample;
            for (int i = 0; i < input_depth * input_height; ++i)  // input row (id, ih)
                std::copy_n(dxp + padded_row(i), input_width * channels, dxb + std::size_t(i) * input_width * channels);
        }
    }

    const float* weights() const { return w_; }
    const float* bias() const { return b_; }

    // ReLU's derivative left to the max pool just above, which applies it in its own
    // backward pass (network.hpp folds the pair; max_pool_backward in common.hpp): one pass
    // over the layer's output gradient fewer, the same bits
    void fold_relu()
        requires std::is_same_v<Act, relu>
    {
        relu_folded_ = true;
    }

protected:
    // weight (F, C, <kernel>) and bias (F) as torch's ConvNd has them: <kernel> is (KW),
    // (KH, KW) or (KD, KH, KW), the kernel positions k = (kd*KH + kh)*KW + kw in C order
    template <class Sink>
    void export_torch(Sink& sink, const std::string& prefix, std::vector<int> kernel) const {
        constexpr int positions = KD * KH * KW;
        std::vector<float> w(num_weights);
        for (int f = 0; f < Filters; ++f)
            for (int c = 0; c < channels; ++c)
                for (int k = 0; k < positions; ++k)
                    w[(std::size_t(f) * channels + c) * positions + k] = w_[std::size_t(k * channels + c) * Filters + f];
        kernel.insert(kernel.begin(), {Filters, channels});
        sink.put(prefix + "weight", std::move(kernel), std::move(w));
        sink.put(prefix + "bias", {Filters}, std::vector<float>(b_, b_ + Filters));
    }

private:
    // register tiles, chosen at compile time
    static constexpr tile_shape fwd_tile = choose_fwd(padded_filters / filter_lanes, out_width);  // a: packets, b: pixels
    static constexpr tile_shape dw_shape =
        choose_dw(padded_filters / filter_lanes, KH, run, KD);  // a: packets, b: rows, c: run, d: planes
    static constexpr tile_shape dx_tile = choose_dx(padded_run / run_lanes, out_width, Filters);  // a: packets, b: pixels
    static constexpr int fwd_blocks = padded_filters / (fwd_tile.a * filter_lanes);
    static constexpr int dw_blocks = padded_filters / (dw_shape.a * filter_lanes);
    static constexpr int dw_plane_blocks = (KD + dw_shape.d - 1) / dw_shape.d;
    static constexpr int dw_row_blocks = (KH + dw_shape.b - 1) / dw_shape.b;
    static constexpr int dw_run_blocks = (run + dw_shape.c - 1) / dw_shape.c;
    static constexpr int dw_tiles = dw_blocks * dw_plane_blocks * dw_row_blocks * dw_run_blocks;
    static constexpr int dx_blocks = padded_run / (dx_tile.a * run_lanes);

    // offset in the padded sample of input row i = id*H + ih, channel 0 of its first pixel
    static constexpr std::size_t padded_row(int i) {
        return std::size_t(i / input_height + pad_front) * plane_stride + std::size_t(i % input_height + pad_top) * row_stride +
               pad_left * channels;
    }

    // x_b (D, H, W, C) -> xpad (Dp, Hp, Wp, C) with zeros around, and zeros in the slack
    static void pad_sample(const float* xb, float* xp) {
        std::fill(xp, xp + xpad_stride, 0.0f);
        for (int i = 0; i < input_depth * input_height; ++i)
            std::copy_n(xb + std::size_t(i) * input_width * channels, input_width * channels, xp + padded_row(i));
    }

    // every block of filters for NR pixels of one output row
    template <int NR>
    static void forward_tiles(const float* w, const float* bias, const float* xr, float* yr) {
        constexpr bool fuse_relu = std::is_same_v<Act, relu>;
        for (int m = 0; m < fwd_blocks; ++m) {
            const int m0 = m * fwd_tile.a * filter_lanes;
            conv::fwd_tile<filter_packet, fwd_tile.a, NR, KH, run, SW * channels, row_stride, fuse_relu, KD, plane_stride>(
                w + m0, padded_filters, bias + m0, xr, yr + m0, Filters, Filters - m0);
        }
    }

    // dW and db from dz (and, in bf16, the pairs pair_for_weights made). dW: its tiles
    // (register tiles, or AMX's where bf16 runs on them) shared out among the threads, each summed over the batch in sample order; or, when
    // small (dw_by_groups), each group of samples' tiles from zero, added to dW in group
    // order. db: by groups. So the sums' order does not depend on the threads.
    void weight_gradients(const float* dz, bool half, amx::backend kernels) {
        constexpr int G = grad_groups;
        const bool on_tiles = kernels != amx::backend::avx512_bf16;
        const int tiles = on_tiles ? amx_dw_tiles : dw_tiles;
        auto tile_of = [&](int tile, int b, float* into) {
            if (on_tiles) weight_tile_amx(kernels, tile, b, into);
            else weight_tile(tile, dz, b, half, into);
        };
        float* db_groups = groups_;
        float* dw_groups = groups_ + std::size_t(G) * padded_filters;
        const int threads = detail::usable_threads();
        HPS_OMP(omp parallel num_threads(threads) if (threads > 1))
        {
            // the team OpenMP gave, which may be smaller than `threads` (detail::team_size)
            const int t = detail::thread_id(), nt = detail::team_size();
            for (int g = G * t / nt; g < G * (t + 1) / nt; ++g) {
                float acc[padded_filters] = {};  // in registers: not aliased by dz
                for (int c = columns * g / G; c < columns * (g + 1) / G; ++c) {
                    const float* d = dz + std::size_t(c) * padded_filters;
                    for (int f = 0; f < padded_filters; ++f) acc[f] += d[f];
                }
                std::copy_n(acc, padded_filters, db_groups + std::size_t(g) * padded_filters);
                if constexpr (dw_by_groups) std::fill_n(dw_groups + std::size_t(g) * num_weights, num_weights, 0.0f);
            }
            if constexpr (dw_by_groups) {
                HPS_OMP(omp barrier)
                const int items = G * tiles, first = items * t / nt, last = items * (t + 1) / nt;
                for (int item = first; item < last; ++item) {
                    const int g = item / tiles, tile = item % tiles;
                    for (int b = B * g / G; b < B * (g + 1) / G; ++b)
                        tile_of(tile, b, dw_groups + std::size_t(g) * num_weights);
                }
            } else {
                const int first = tiles * t / nt, last = tiles * (t + 1) / nt;
                for (int b = 0; b < B; ++b)
                    for (int tile = first; tile < last; ++tile) tile_of(tile, b, dw_);
            }
        }
        for (int g = 0; g < G; ++g)
            for (int f = 0; f < Filters; ++f) db_[f] += db_groups[std::size_t(g) * padded_filters + f];
        if constexpr (dw_by_groups)
            for (int g = 0; g < G; ++g) {
                const float* part = dw_groups + std::size_t(g) * num_weights;
                for (std::size_t i = 0; i < num_weights; ++i) dw_[i] += part[i];
            }
    }

    // dW tile number `tile` (filter block, kernel-plane block, kernel-row block, run block),
    // sample b's terms added to dW (layout (K, F)) at `into`; in bf16 (`half`) over the pairs
    // pair_for_weights made
    void weight_tile(int tile, const float* dz, int b, bool half, float* into) {
        const int rb = tile % dw_run_blocks, kb = tile / dw_run_blocks % dw_row_blocks;
        const int db = tile / (dw_run_blocks * dw_row_blocks) % dw_plane_blocks, m = tile / (dw_run_blocks * dw_row_blocks * dw_plane_blocks);
        const int m0 = m * dw_shape.a * filter_lanes, kd0 = db * dw_shape.d, kh0 = kb * dw_shape.b, r0 = rb * dw_shape.c;
        const float* dzb = dz + std::size_t(b) * out_pixels * padded_filters + m0;
        const std::size_t x_at = b * xpad_stride + std::size_t(kd0) * plane_stride + std::size_t(kh0) * row_stride + r0;
        float* dw = into + std::size_t((kd0 * KH + kh0) * run + r0) * Filters + m0;
        with_block<dw_shape.d, KD>(kd0, [&](auto kdt) {
            with_block<dw_shape.b, KH>(kh0, [&](auto kht) {
                with_block<dw_shape.c, run>(r0, [&](auto rt) {
#if HPS_BF16_KERNELS
                    if (half) {
                        bf16::dw_tile<filter_packet, dw_shape.a, kht(), rt(), run, out_height, out_width, SW * channels,
                                      row_stride, SH * row_stride, kdt(), KH, out_depth, plane_stride, SD * plane_stride>(
                            dzp_ + b * dzp_sample + m0 * 2, padded_filters, x2_ + 2 * x_at, dw, Filters, Filters - m0);
                        return;
                    }
#endif
                    conv::dw_tile<filter_packet, dw_shape.a, kht(), rt(), run, out_height, out_width, SW * channels, row_stride,
                                  SH * row_stride, kdt(), KH, out_depth, plane_stride, SD * plane_stride>(
                        dzb, padded_filters, xpad_ + x_at, dw, Filters, Filters - m0);
                });
            });
        });
    }

    // every block of the padded run for NR pixels of one output row and one kernel row
    template <int NR>
    static void input_tiles(const float* wk, const float* dz, float* dr) {
        for (int p = 0; p < dx_blocks; ++p) {
            const int p0 = p * dx_tile.a * run_lanes;
            conv::dx_tile<run_packet, dx_tile.a, NR, Filters, SW * channels>(wk + p0, padded_run, dz, padded_filters, dr + p0);
        }
    }

    // ---- bf16 (bf16_kernels.hpp): the same loops over the bf16 tiles
    // forward with W (F', K) and b (F') padded to whole packets
    void forward_bf16(const float* x, float* y, const float* w, const float* bias) {
#if HPS_BF16_KERNELS
        for (int q = 0; q < kernel_rows; ++q)  // W paired by kernel positions
            for (int p = 0; p < run_pairs; ++p) {
                const float* c0 = w + std::size_t(q * run + 2 * p) * padded_filters;
                bf16::interleave(c0, 2 * p + 1 < run ? c0 + padded_filters : nullptr,
                                 wf_ + (std::size_t(q) * run_pairs + p) * padded_filters * 2, padded_filters);
            }
        const amx::backend kernels = amx::active();
        HPS_OMP(omp parallel for schedule(static) if (detail::usable_threads() > 1))
        for (int b = 0; b < B; ++b) {
            float* xp = xpad_ + b * xpad_stride;
            pad_sample(x + std::size_t(b) * in_sample, xp);
            bf16::bf16_t* xh = xb_ + b * xpad_stride;
            bf16::convert(xp, xh, xpad_stride);
            float* yb = y + std::size_t(b) * out_sample;
            if (kernels != amx::backend::avx512_bf16) {  // AMX tiles, ReLU fused, another activation after
                for (int o = 0; o < out_depth * out_height; ++o)
                    forward_row_amx(kernels,
                                    xh + std::size_t(o / out_height) * SD * plane_stride + std::size_t(o % out_height) * SH * row_stride,
                                    yb + std::size_t(o) * out_width * Filters, bias);
                if constexpr (!Act::is_identity && !std::is_same_v<Act, relu>) Act::forward(yb, out_sample);
                continue;
            }
            for (int o = 0; o < out_depth * out_height; ++o) {
                const bf16::bf16_t* xr =
                    xh + std::size_t(o / out_height) * SD * plane_stride + std::size_t(o % out_height) * SH * row_stride;
                float* yr = yb + std::size_t(o) * out_width * Filters;
                for (int ow = 0; ow < out_width; ow += fwd_tile.b)
                    with_block<fwd_tile.b, out_width>(ow, [&](auto nr) {
                        constexpr bool fuse_relu = std::is_same_v<Act, relu>;
                        for (int m = 0; m < fwd_blocks; ++m) {
                            const int m0 = m * fwd_tile.a * filter_lanes;
                            bf16::fwd_tile<filter_packet, fwd_tile.a, nr(), KH, run, SW * channels, row_stride, fuse_relu, KD,
                                           plane_stride>(wf_ + m0 * 2, padded_filters, bias + m0, xr + ow * SW * channels,
                                                         yr + ow * Filters + m0, Filters, Filters - m0);
                        }
                    });
            }
            if constexpr (!Act::is_identity && !std::is_same_v<Act, relu>) Act::forward(yb, out_sample);
        }
#else
        (void)x, (void)y, (void)w, (void)bias;
#endif
    }

    // dZ (F', pixels*B) paired by pixel pairs of each output row (on AMX tiles: transposed,
    // (rows, F, 2*pixel_pairs) per sample, an odd row's last pixel paired with a zero), and
    // the padded samples paired with themselves one pixel on, for the bf16 dW tiles
    void pair_for_weights(const float* dz, bool on_tiles) {
        constexpr int xpix = SW * channels;
        HPS_OMP(omp parallel for schedule(static) if (detail::usable_threads() > 1))
        for (int b = 0; b < B; ++b) {
            const float* dzb = dz + std::size_t(b) * out_pixels * padded_filters;
            if (on_tiles)
                for (int o = 0; o < out_depth * out_height; ++o)
                    amx::transpose_to_pairs(dzb + std::size_t(o) * out_width * padded_filters, padded_filters, out_width, Filters,
                                            dzp_ + b * dzp_sample + std::size_t(o) * Filters * 2 * pixel_pairs);
            else
                for (int o = 0; o < out_depth * out_height; ++o)
                    for (int p = 0; p < pixel_pairs; ++p) {
                        const float* r0 = dzb + std::size_t(o * out_width + 2 * p) * padded_filters;
                        bf16::interleave(r0, 2 * p + 1 < out_width ? r0 + padded_filters : nullptr,
                                         dzp_ + b * dzp_sample + (std::size_t(o) * pixel_pairs + p) * padded_filters * 2,
                                         padded_filters);
                    }
            const float* xp = xpad_ + b * xpad_stride;
            bf16::bf16_t* x2 = x2_ + 2 * b * xpad_stride;
            bf16::interleave(xp, xp + xpix, x2, xpad_stride - xpix);
            bf16::interleave(xp + xpad_stride - xpix, nullptr, x2 + 2 * (xpad_stride - xpix), xpix);
        }
    }

    template <int NR>
    static void input_tiles_bf16(const bf16::bf16_t* wk, const bf16::bf16_t* dz, float* dr) {
#if HPS_BF16_KERNELS
        for (int p = 0; p < dx_blocks; ++p) {
            const int p0 = p * dx_tile.a * run_lanes;
            bf16::dx_tile<run_packet, dx_tile.a, NR, Filters, SW * channels>(wk + p0 * 2, padded_run, dz, padded_filters, dr + p0);
        }
#else
        (void)wk, (void)dz, (void)dr;
#endif
    }

    // ---- bf16 on AMX tiles (amx_kernels.hpp): C tiles of up to 16 x 16, shapes at run time,
    // the same operands as the AVX512_BF16 tiles but dW's dZ (transposed, pair_for_weights)
    static constexpr int amx_filter_blocks = (Filters + 15) / 16, amx_run_blocks = (run + 15) / 16;
    static constexpr int amx_dw_tiles = amx_filter_blocks * kernel_rows * amx_run_blocks;

    // forward of one output row: C = 16 pixels x 16 filters from the bias; A = each pixel's
    // run in the padded bf16 sample (rows SW*C apart), a kernel row at a time; B = W paired
    // by kernel positions (wf_, (KD*KH, R/2, F', 2)); ReLU fused, another activation the caller's
    void forward_row_amx(amx::backend be, const bf16::bf16_t* xr, float* yr, const float* bias) const {
        const amx::walk w{kernel_rows, KH, 2 * std::ptrdiff_t(plane_stride), 2 * std::ptrdiff_t(row_stride),
                          4 * std::ptrdiff_t(KH) * run_pairs * padded_filters, 4 * std::ptrdiff_t(run_pairs) * padded_filters,
                          run_pairs / 16, run_pairs % 16};
        for (int ow0 = 0; ow0 < out_width; ow0 += 16)
            for (int f0 = 0; f0 < Filters; f0 += 16)
                amx::product(be, std::min(16, out_width - ow0), std::min(16, Filters - f0), xr + ow0 * SW * channels,
                             2 * SW * channels, wf_ + 2 * f0, 4 * padded_filters, w,
                             {yr + std::size_t(ow0) * Filters + f0, Filters, amx::to::store, bias + f0, std::is_same_v<Act, relu>});
    }

    // dW tile `tile` (16 filters, kernel row q, 16 run positions), sample b's share added to
    // dW (layout (K, F)) at `into`: C = filters x run positions from 0; A = dZ^T's rows, pairs
    // of pixels of an output row; B = x2 at a stride of two pixels (row k: pixels 2k and
    // 2k + 1 of the output row)
    void weight_tile_amx(amx::backend be, int tile, int b, float* into) {
        const int rb = tile % amx_run_blocks, q = tile / amx_run_blocks % kernel_rows, fb = tile / (amx_run_blocks * kernel_rows);
        const int f0 = 16 * fb, r0 = 16 * rb;
        const std::ptrdiff_t dz_row = 4 * std::ptrdiff_t(Filters) * pixel_pairs;  // bytes of dZ^T per output row
        const amx::walk w{out_depth * out_height, out_height, out_height * dz_row, dz_row,
                          4 * std::ptrdiff_t(SD) * plane_stride, 4 * std::ptrdiff_t(SH) * row_stride, pixel_pairs / 16,
                          pixel_pairs % 16};
        const std::size_t x_at = b * xpad_stride + std::size_t(q / KH) * plane_stride + std::size_t(q % KH) * row_stride + r0;
        amx::product(be, std::min(16, Filters - f0), std::min(16, run - r0),
                     dzp_ + b * dzp_sample + std::size_t(f0) * 2 * pixel_pairs, 4 * pixel_pairs, x2_ + 2 * x_at,
                     8 * SW * channels, w, {into + std::size_t(q * run + r0) * Filters + f0, Filters, amx::to::add_transposed});
    }

    // dx of one output row and kernel row: C = 16 pixels x 16 run positions; A = dZ in bf16
    // (pixels, F'), pairs of filters; B = Wt paired by filters (wtp_'s kernel row); added to
    // the padded gradient a pixel at a time, in order (neighbouring pixels' runs overlap)
    void input_row_amx(amx::backend be, const bf16::bf16_t* wk, const bf16::bf16_t* dzr, float* dr) const {
        const amx::walk w{1, 1, 0, 0, 0, 0, filter_pairs / 16, filter_pairs % 16};
        for (int ow0 = 0; ow0 < out_width; ow0 += 16)
            for (int r0 = 0; r0 < run; r0 += 16)
                amx::product(be, std::min(16, out_width - ow0), std::min(16, run - r0), dzr + std::size_t(ow0) * padded_filters,
                             2 * padded_filters, wk + 2 * r0, 4 * padded_run, w,
                             {dr + std::size_t(ow0) * SW * channels + r0, SW * channels, amx::to::add});
    }

    float* w_ = nullptr;
    float* b_ = nullptr;
    float* dw_ = nullptr;
    float* db_ = nullptr;
    float* xpad_ = nullptr;
    float* dz_ = nullptr;
    float* wt_ = nullptr;
    float* wpad_ = nullptr;
    float* groups_ = nullptr;  // (G, F') db's sums by groups of samples, then (G, K, F) dW's
    bf16::bf16_t* xb_ = nullptr;   // (B, Dp, Hp, Wp, C)
    bf16::bf16_t* x2_ = nullptr;   // (B, Dp, Hp, Wp, C, 2)
    bf16::bf16_t* dzp_ = nullptr;  // (B, rows, Wo/2, F', 2), then dZ (F', pixels) per sample
    bf16::bf16_t* wf_ = nullptr;   // (KD*KH, R/2, F', 2)
    bf16::bf16_t* wtp_ = nullptr;  // (KD*KH, F/2, R', 2)
    bool relu_folded_ = false;     // fold_relu()
};

}  // namespace hps::detail::conv

#pragma GCC diagnostic pop
