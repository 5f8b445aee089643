// dense<Units, Act>: a fully connected layer with its activation fused.
//
//   forward   z = W x + b,  y = act(z)           x (In, B), W (Out, In), b (Out), y (Out, B)
//   backward  dz = dy * act'(y)                  (from the output: activations.hpp)
//             dW += dz x^T,  db += rowsum(dz),  dx = W^T dz
//
// An input of any rank is taken flat, in our channels-last order (In = in_shape::size).
// Parameters: [W as the column-major (Out, In) matrix, i.e. TensorFlow's (In, Out)
// kernel in C order; then b]. Scratch: dz (Out, B) unless the activation is linear.
//
// Kernels: when Out fills whole vector packets, the forward product and dW use
// conv_kernels.hpp's register tiles (a dense layer is a 1 x 1 convolution whose pixels are
// the batch's samples: bias and ReLU in registers, no packing); the forward goes through
// the inputs in blocks sized from the building CPU's L2 (k_block), each output's sum kept in
// one order across them. dx = W^T dz uses the dX tiles too when In also fills packets (W's
// rows packed transposed per block of inputs, into a buffer per thread allocated at
// bind()); the other cases are detail::gemm, Eigen's packed kernel on buffers allocated at
// bind(). OpenMP threads take blocks of output rows (forward), dW tiles or blocks of inputs
// (dx), each summed over the whole batch by one thread, so results do not depend on the
// thread count, nor on the blocking (design section 24).
//
// PyTorch: [nn.Flatten() when the input has rank > 1,] nn.Linear(In, Out) [, act].
// torch's flatten sees a channels-first sample (C, H, W) where we hold (H, W, C), so the
// exported weight's columns are permuted to torch's order; a rank-1 input that comes from
// hps::flatten (flat_shape<Origin>) is permuted by its origin's shape the same way.
#pragma once

#include "hps/activations.hpp"
#include "hps/core.hpp"
#include "hps/layers/common.hpp"
#include "hps/layers/conv_kernels.hpp"
#include "hps/layers/flatten.hpp"

#include <algorithm>
#include <string>
#include <type_traits>
#include <vector>

// Eigen's packet types as template arguments: harmless attribute notes (conv_kernels.hpp)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-attributes"

namespace hps {

namespace rules {
// dense: a flat input (N) to `units` outputs (the layer takes an input of any rank flat:
// dims (In::size)); parameters N * units weights, then units biases.
constexpr outcome dense(dims in, int units) {
    if (in.rank != 1) return refuse(fault::wrong_rank);
    return accept(make(units), std::size_t(in[0]) * std::size_t(units) + std::size_t(units));
}
}  // namespace rules

template <class In, int Units, class Act, int B>
class dense_layer {
public:
    static constexpr rules::outcome rule = rules::dense(rules::make(In::size), Units);
    static constexpr int in_size = In::size;
    static constexpr int out_size = Units;
    using in_shape = In;
    using out_shape = shape_from<rule.out>;  // (Units)
    static constexpr std::size_t num_params = rule.params;
    static constexpr std::size_t num_weights = num_params - out_size;  // (Out, In), then the biases
    static constexpr std::size_t num_state = 0;
    static constexpr std::size_t dz_total = Act::is_identity ? 0 : std::size_t(out_size) * B;  // dz (Out, B)
    static constexpr bool is_view = false;
    static constexpr bool flattens = In::rank > 1;  // emits its own nn.Flatten()
    static constexpr int torch_param_module = flattens ? 1 : 0;

    void bind(float* params, float* grads, float*, float* scratch) {
        w_ = params;                // (Out, In)
        b_ = params + num_weights;  // (Out)
        dw_ = grads;
        db_ = grads + num_weights;
        dz_ = scratch;              // (Out, B) or null
        if constexpr (bf16_total > 0) {
            detail::bf16::scratch_cutter cut{scratch + dz_total};
            xb_ = cut.take(xb_units);
            x2_ = cut.take(x2_units);
            dzp_ = cut.take(dzp_units);
            wf_ = cut.take(wf_units);
        }
        const int threads = detail::usable_threads();  // the packing buffers, allocated once
        if constexpr (!direct) {
            forward_.prepare(decltype(forward_)::threads_for(threads));
            weight_grad_.prepare(decltype(weight_grad_)::threads_for(threads));
        }
        if constexpr (direct_dx) {
            if (int(panels_.size()) < threads) panels_.assign(std::size_t(threads), std::vector<float>(std::size_t(out_size) * dx_panel));
        } else {
            input_grad_.prepare(decltype(input_grad_)::threads_for(threads));
        }
    }

    void init(rng& gen) {
        init_weights(w_, num_weights, in_size, out_size, Act::init, gen);
        std::fill(b_, b_ + out_size, 0.0f);
    }

    void forward(const float* x, float* y, context& ctx) {
        if (bf16_total > 0 && ctx.prec == precision::bf16) return forward_bf16(x, y);
        if constexpr (direct) {
            // the inputs in blocks of fwd_kc rows of W, in order: each output's sum runs over
            // them in one sequence (fwd_tile's Resume), whatever the block
            for (int k0 = 0; k0 < in_size; k0 += fwd_kc)
                detail::conv::with_block<fwd_kc, in_size>(k0, [&](auto kc) {
                    using no = std::false_type;
                    using yes = std::true_type;
                    if constexpr (kc() != fwd_kc) forward_pass<kc()>(x, y, k0, yes{}, yes{});  // the tail: last
                    else if constexpr (fwd_kc == in_size) forward_pass<kc()>(x, y, k0, no{}, yes{});
                    else if (k0 == 0) forward_pass<kc()>(x, y, k0, no{}, no{});
                    else if (k0 + fwd_kc < in_size) forward_pass<kc()>(x, y, k0, yes{}, no{});
                    else if constexpr (in_size % fwd_kc == 0) forward_pass<kc()>(x, y, k0, yes{}, yes{});
                });
            if constexpr (!std::is_same_v<Act, relu>) Act::forward(y, std::ptrdiff_t(out_size) * B);
        } else {
            detail::mat_view(y, out_size, B).colwise() = detail::const_vec_view(b_, out_size);
            forward_.run(w_, x, y);  // y += W x
            Act::forward(y, std::ptrdiff_t(out_size) * B);
        }
    }

    void backward(const float* x, const float* y, const float* dy, float* dx, context& ctx) {
        const bool half = bf16_total > 0 && ctx.prec == precision::bf16;
        const float* dz = dy;
        if constexpr (!Act::is_identity) {
            Act::backward(y, dy, dz_, std::ptrdiff_t(out_size) * B);
            dz = dz_;
        }
        if (half) {
            backward_bf16(x, dz, dx);
            return;
        }
        if constexpr (direct) {  // dW += dz x^T
            const int threads = std::min(detail::usable_threads(), dw_tiles);
            HPS_OMP(omp parallel for schedule(static) num_threads(threads) if (threads > 1))
            for (int tile = 0; tile < dw_tiles; ++tile) weight_tile(tile, dz, x);
        } else {
            weight_grad_.run(dz, x, dw_);
        }
        detail::vec_view(db_, out_size) += detail::const_mat_view(dz, out_size, B).rowwise().sum();
        if (!dx) return;
        if constexpr (direct_dx) {
            input_grad_direct(dz, dx);
        } else {
            std::fill(dx, dx + std::size_t(in_size) * B, 0.0f);
            input_grad_.run(w_, dz, dx);  // dx = W^T dz
        }
    }

    // torch.nn.Linear: weight (Out, In) in torch's flatten order, bias (Out).
    template <class Sink>
    void export_params(Sink& sink, const std::string& prefix) const {
        std::vector<float> w(num_weights);
        for (int o = 0; o < out_size; ++o)
            for (int j = 0; j < in_size; ++j)
                w[std::size_t(o) * in_size + j] = w_[std::size_t(detail::channels_last_index<torch_origin>(j)) * out_size + o];
        sink.put(prefix + "weight", {out_size, in_size}, std::move(w));
        sink.put(prefix + "bias", {out_size}, std::vector<float>(b_, b_ + out_size));
    }

    static void torch_modules(std::vector<std::string>& out) {
        if (flattens) out.emplace_back("nn.Flatten()");
        out.push_back("nn.Linear(" + std::to_string(in_size) + ", " + std::to_string(out_size) + ")");
        if (!Act::is_identity) out.emplace_back(Act::torch_module);
    }

    const float* weights() const { return w_; }
    const float* bias() const { return b_; }

private:
    // the register-tile kernels (conv_kernels.hpp) when Out fills whole packets
    using packet = detail::conv::packet_for<out_size>;
    static constexpr int lanes = detail::conv::lanes<packet>;
    static constexpr bool direct = out_size % lanes == 0;
    static constexpr int packets = direct ? out_size / lanes : 1;
    static constexpr detail::conv::tile_shape fwd_tile = detail::conv::choose_fwd(packets, B);      // packets x samples
    static constexpr detail::conv::tile_shape dw_shape = detail::conv::choose_dw(packets, 1, in_size);  // packets x 1 x inputs
    static constexpr int fwd_blocks = packets / fwd_tile.a;
    static constexpr int dw_run_blocks = (in_size + dw_shape.c - 1) / dw_shape.c;
    static constexpr int dw_tiles = packets / dw_shape.a * dw_run_blocks;
    using dx_packet = detail::conv::packet_for<in_size>;
    static constexpr int dx_lanes = detail::conv::lanes<dx_packet>;
    static constexpr bool bf16_dx = in_size % dx_lanes == 0;
    // dx by the dX tiles too when In also fills whole packets: per block of dx_panel inputs,
    // W's rows packed transposed (Out, dx_panel) into a buffer of the thread's (bf16: the
    // pairs of neighbouring outputs, half of it)
    static constexpr bool direct_dx = direct && bf16_dx;
    // its tiles: a panel (Out x PB packets) within a quarter of the L2, beside dz and dx
    static constexpr detail::conv::tile_shape dx32_tile = detail::conv::choose_dx(
        in_size / dx_lanes, B, out_size, int(detail::conv::l2_cache_bytes / 4 / (4L * out_size * dx_lanes)));
    static constexpr int dx32_blocks = in_size / dx_lanes / dx32_tile.a;
    static constexpr int dx_panel = dx32_tile.a * dx_lanes;
    // the forward's blocks of inputs: rows of W that one pass over the batch takes
    static constexpr int fwd_kc = detail::conv::k_block(in_size, out_size, B, fwd_tile.a * lanes);
    static constexpr int input_pairs = (in_size + 1) / 2;
    static constexpr int sample_pairs = (B + 1) / 2;

public:
    // the kernels' choices, for tests: the forward's block of inputs, and whether dx has its own tiles
    static constexpr int forward_block = fwd_kc;
    static constexpr bool direct_input_grad = direct_dx;
    // whether forward and backward call the register tiles (hps/tiles.hpp): when Out fills packets
    static constexpr bool register_tiles = direct;

    // bf16 scratch, in bf16 units (only with the kernels, and only when Out fills packets):
    // x in bf16; x paired with the next sample; dz paired by samples (then dz in bf16);
    // W paired by inputs (dx pairs W by outputs a panel at a time, in the fp32 dx's panels)
    static constexpr std::size_t xb_units = std::size_t(in_size) * B + 2;                          // (In, B)
    static constexpr std::size_t x2_units = std::size_t(in_size) * B * 2;                          // (In, 2, B/2) pairs
    static constexpr std::size_t dzp_units = std::size_t(out_size) * sample_pairs * 2;            // (Out, 2, B/2)
    static constexpr std::size_t wf_units = std::size_t(out_size) * input_pairs * 2;              // (Out, 2, In/2)
    static constexpr std::size_t bf16_total =
        detail::bf16::compiled && direct
            ? detail::bf16::floats_for(xb_units) + detail::bf16::floats_for(x2_units) + detail::bf16::floats_for(dzp_units) +
                  detail::bf16::floats_for(wf_units)
            : 0;
    static constexpr std::size_t scratch_size = dz_total + bf16_total;

private:

    // one block of KC inputs from k0, every block of rows and samples: y = bias (or, when
    // Resume, the sums so far) + W(:, k0..k0+KC) x(k0..k0+KC, :), ReLU in registers when Last
    template <int KC, class Resume, class Last>
    void forward_pass(const float* x, float* y, int k0, Resume, Last) const {
        forward_tiles([&](int m0, int b, auto nr) {
            detail::conv::fwd_tile<packet, fwd_tile.a, nr(), 1, KC, in_size, 0, Last::value && std::is_same_v<Act, relu>, 1, 0,
                                   Resume::value>(w_ + std::size_t(k0) * out_size + m0, out_size, b_ + m0,
                                                  x + std::size_t(b) * in_size + k0, y + std::size_t(b) * out_size + m0,
                                                  out_size, out_size - m0);
        });
    }

    // f(m0, b, nr) for every forward tile: blocks of rows m0.. shared among the threads, each
    // over the batch in blocks of nr samples from b
    template <class Fn>
    static void forward_tiles(Fn&& f) {
        const int threads = std::min(detail::usable_threads(), fwd_blocks);
        HPS_OMP(omp parallel for schedule(static) num_threads(threads) if (threads > 1))
        for (int m = 0; m < fwd_blocks; ++m) {
            const int m0 = m * fwd_tile.a * lanes;
            for (int b = 0; b < B; b += fwd_tile.b) detail::conv::with_block<fwd_tile.b, B>(b, [&](auto nr) { f(m0, b, nr); });
        }
    }

    // dx = W^T dz: per block of dx_panel inputs, W's rows transposed into the thread's panel
    // (Out, dx_panel), then the dX tiles over the batch; each sum runs over Out in order
    void input_grad_direct(const float* dz, float* dx) {
        const int threads = std::min({detail::usable_threads(), dx32_blocks, int(panels_.size())});
        HPS_OMP(omp parallel num_threads(threads) if (threads > 1))
        {
            float* wt = panels_[std::size_t(detail::thread_id())].data();
            HPS_OMP(omp for schedule(static))
            for (int p = 0; p < dx32_blocks; ++p) {
                const int i0 = p * dx_panel;
                detail::conv::transpose_block<dx_packet, out_size, dx_panel>(w_ + std::size_t(i0) * out_size, out_size, wt, dx_panel);
                for (int b = 0; b < B; b += dx32_tile.b)
                    detail::conv::with_block<dx32_tile.b, B>(b, [&](auto nr) {
                        detail::conv::dx_tile<dx_packet, dx32_tile.a, nr(), out_size, in_size, false>(
                            wt, dx_panel, dz + std::size_t(b) * out_size, out_size, dx + std::size_t(b) * in_size + i0);
                    });
            }
        }
    }

    // dW tile number `tile` (rows block, inputs block), summed over the batch
    void weight_tile(int tile, const float* dz, const float* x) {
        const int m0 = tile / dw_run_blocks * dw_shape.a * lanes, r0 = tile % dw_run_blocks * dw_shape.c;
        float* dw = dw_ + std::size_t(r0) * out_size + m0;
        constexpr int full_run = in_size / dw_shape.c * dw_shape.c;
        if (r0 < full_run) weight_tile_of<dw_shape.c>(dz + m0, x + r0, dw, out_size - m0);
        else if constexpr (in_size % dw_shape.c != 0) weight_tile_of<in_size % dw_shape.c>(dz + m0, x + r0, dw, out_size - m0);
    }
    template <int RT>
    static void weight_tile_of(const float* dz, const float* x, float* dw, int valid) {
        detail::conv::dw_tile<packet, dw_shape.a, 1, RT, in_size, 1, B, in_size, 0, 0>(dz, out_size, x, dw, out_size, valid);
    }

    // ---- bf16 (bf16_kernels.hpp), when Out fills whole packets: the same tiles over pairs;
    // dx too when In fills whole packets of its own (else dx is detail::gemm in fp32)
    void forward_bf16(const float* x, float* y) {
#if HPS_BF16_KERNELS
        namespace h = detail::bf16;
        h::convert(x, xb_, std::size_t(in_size) * B);
        std::fill(xb_ + std::size_t(in_size) * B, xb_ + xb_units, h::bf16_t(0));  // an odd In's last pair
        for (int p = 0; p < input_pairs; ++p) {  // W paired by inputs
            const float* c0 = w_ + std::size_t(2 * p) * out_size;
            h::interleave(c0, 2 * p + 1 < in_size ? c0 + out_size : nullptr, wf_ + std::size_t(p) * out_size * 2, out_size);
        }
        if (const auto kernels = detail::amx::active(); kernels != detail::amx::backend::avx512_bf16) {
            forward_amx(kernels, y);
            if constexpr (!std::is_same_v<Act, relu>) Act::forward(y, std::ptrdiff_t(out_size) * B);
            return;
        }
        forward_tiles([&](int m0, int b, auto nr) {
            h::fwd_tile<packet, fwd_tile.a, nr(), 1, in_size, in_size, 0, std::is_same_v<Act, relu>>(
                wf_ + m0 * 2, out_size, b_ + m0, xb_ + std::size_t(b) * in_size, y + std::size_t(b) * out_size + m0, out_size,
                out_size - m0);
        });
        if constexpr (!std::is_same_v<Act, relu>) Act::forward(y, std::ptrdiff_t(out_size) * B);
#else
        (void)x, (void)y;
#endif
    }

    // dW += dz x^T over sample pairs, db, and dx = W^T dz over pairs of outputs
    void backward_bf16(const float* x, const float* dz, float* dx) {
#if HPS_BF16_KERNELS
        namespace h = detail::bf16;
        const auto kernels = detail::amx::active();
        const bool on_tiles = kernels != detail::amx::backend::avx512_bf16;
        for (int p = 0; p < sample_pairs; ++p) {  // dz paired by samples, x paired with the next sample
            const float* d0 = dz + std::size_t(2 * p) * out_size;
            const float* x0 = x + std::size_t(2 * p) * in_size;
            const bool second = 2 * p + 1 < B;
            if (!on_tiles) h::interleave(d0, second ? d0 + out_size : nullptr, dzp_ + std::size_t(p) * out_size * 2, out_size);
            h::interleave(x0, second ? x0 + in_size : nullptr, x2_ + std::size_t(2 * p) * in_size * 2, in_size);
        }
        if (on_tiles) {  // dz transposed, (Out, 2*sample_pairs), an odd batch's last sample paired with a zero
            detail::amx::transpose_to_pairs(dz, out_size, B, out_size, dzp_);
            const int threads = std::min(detail::usable_threads(), amx_dw_tiles);
            HPS_OMP(omp parallel for schedule(static) num_threads(threads) if (threads > 1))
            for (int tile = 0; tile < amx_dw_tiles; ++tile)
                weight_tile_amx(kernels, tile);
        } else {
            const int threads = std::min(detail::usable_threads(), dw_tiles);
            HPS_OMP(omp parallel for schedule(static) num_threads(threads) if (threads > 1))
            for (int tile = 0; tile < dw_tiles; ++tile) {
                const int m0 = tile / dw_run_blocks * dw_shape.a * lanes, r0 = tile % dw_run_blocks * dw_shape.c;
                float* dw = dw_ + std::size_t(r0) * out_size + m0;
                detail::conv::with_block<dw_shape.c, in_size>(r0, [&](auto rt) {
                    h::dw_tile<packet, dw_shape.a, 1, rt(), in_size, 1, B, in_size, 0, 0>(dzp_ + m0 * 2, out_size, x2_ + 2 * r0, dw,
                                                                                        out_size, out_size - m0);
                });
            }
        }
        detail::vec_view(db_, out_size) += detail::const_mat_view(dz, out_size, B).rowwise().sum();
        if (!dx) return;
        std::fill(dx, dx + std::size_t(in_size) * B, 0.0f);
        if constexpr (!direct_dx) {  // (Out fills whole packets on this path, so it is even)
            input_grad_.run(w_, dz, dx);
        } else {
            // as fp32's input_grad_direct: per block of dx_panel inputs, W's rows paired by
            // neighbouring outputs, rounded and transposed into the thread's panel (Out/2,
            // dx_panel, 2), which stays in the L2 while the dX tiles go over the batch
            h::convert(dz, dzp_, std::size_t(out_size) * B);  // dz (Out, B): its neighbouring outputs are pairs
            const int threads_dx = std::min({detail::usable_threads(), dx32_blocks, int(panels_.size())});
            HPS_OMP(omp parallel num_threads(threads_dx) if (threads_dx > 1))
            {
                auto* wt = reinterpret_cast<h::bf16_t*>(panels_[std::size_t(detail::thread_id())].data());
                HPS_OMP(omp for schedule(static))
                for (int p = 0; p < dx32_blocks; ++p) {
                    const int i0 = p * dx_panel;
                    h::pack_pairs_transposed<out_size, dx_panel>(w_, out_size, i0, wt, dx_panel);
                    if (on_tiles) {
                        input_panel_amx(kernels, wt, dx + i0);
                        continue;
                    }
                    for (int b = 0; b < B; b += dx32_tile.b)
                        detail::conv::with_block<dx32_tile.b, B>(b, [&](auto nr) {
                            h::dx_tile<dx_packet, dx32_tile.a, nr(), out_size, in_size>(
                                wt, dx_panel, dzp_ + std::size_t(b) * out_size, out_size, dx + std::size_t(b) * in_size + i0);
                        });
                }
            }
        }
#else
        (void)x, (void)dz, (void)dx;
#endif
    }

    // ---- bf16 on AMX tiles (amx_kernels.hpp; the conv layers' kernel, as a 1 x 1 convolution)
    static constexpr int amx_out_blocks = (out_size + 15) / 16, amx_in_blocks = (in_size + 15) / 16;
    static constexpr int amx_dw_tiles = amx_out_blocks * amx_in_blocks;

    // y = bias + W x: C = 16 samples x 16 outputs from the bias; A = x in bf16 (samples, In),
    // pairs of inputs; B = W paired by inputs (wf_, (In/2, Out, 2)); ReLU fused; threads take outputs
    void forward_amx(detail::amx::backend be, float* y) const {
        namespace amx = detail::amx;
        const amx::walk w{1, 1, 0, 0, 0, 0, input_pairs / 16, input_pairs % 16};
        const int threads = std::min(detail::usable_threads(), amx_out_blocks);
        HPS_OMP(omp parallel for schedule(static) num_threads(threads) if (threads > 1))
        for (int f = 0; f < amx_out_blocks; ++f) {
            const int f0 = 16 * f;
            for (int b0 = 0; b0 < B; b0 += 16)
                amx::product(be, std::min(16, B - b0), std::min(16, out_size - f0), xb_ + std::size_t(b0) * in_size, 2 * in_size,
                             wf_ + 2 * f0, 4 * out_size, w,
                             {y + std::size_t(b0) * out_size + f0, out_size, amx::to::store, b_ + f0, std::is_same_v<Act, relu>});
        }
    }

    // dW tile (16 outputs x 16 inputs) += dz x^T: A = dz transposed (Out, samples), pairs of
    // samples; B = x paired with the next sample (x2_, a pair of samples every 2 In pairs)
    void weight_tile_amx(detail::amx::backend be, int tile) {
        namespace amx = detail::amx;
        const int f0 = 16 * (tile / amx_in_blocks), r0 = 16 * (tile % amx_in_blocks);
        const amx::walk w{1, 1, 0, 0, 0, 0, sample_pairs / 16, sample_pairs % 16};
        amx::product(be, std::min(16, out_size - f0), std::min(16, in_size - r0), dzp_ + std::size_t(f0) * sample_pairs * 2,
                     4 * sample_pairs, x2_ + 2 * r0, 8 * in_size, w,
                     {dw_ + std::size_t(r0) * out_size + f0, out_size, amx::to::add_transposed});
    }

    // dx of a panel of dx_panel inputs = W^T dz: C = 16 samples x 16 inputs; A = dz in bf16
    // (samples, Out), pairs of outputs; B = the panel of W paired by outputs (Out/2, dx_panel, 2)
    void input_panel_amx(detail::amx::backend be, const detail::bf16::bf16_t* wt, float* dx) const {
        namespace amx = detail::amx;
        const amx::walk w{1, 1, 0, 0, 0, 0, out_size / 2 / 16, out_size / 2 % 16};
        for (int b0 = 0; b0 < B; b0 += 16)
            for (int j0 = 0; j0 < dx_panel; j0 += 16)
                amx::product(be, std::min(16, B - b0), std::min(16, dx_panel - j0), dzp_ + std::size_t(b0) * out_size,
                             2 * out_size, wt + 2 * j0, 4 * dx_panel, w, {dx + std::size_t(b0) * in_size + j0, in_size, amx::to::store});
    }

    // the multi-dimensional shape whose torch flatten order the weight columns follow
    using torch_origin = typename flatten_origin<In>::type;

    float* w_ = nullptr;
    float* b_ = nullptr;
    float* dw_ = nullptr;
    float* db_ = nullptr;
    float* dz_ = nullptr;
    detail::bf16::bf16_t* xb_ = nullptr;
    detail::bf16::bf16_t* x2_ = nullptr;
    detail::bf16::bf16_t* dzp_ = nullptr;
    detail::bf16::bf16_t* wf_ = nullptr;
    detail::gemm<out_size, B, in_size, false, false> forward_;     // (Out, In) x (In, B)
    detail::gemm<out_size, in_size, B, false, true> weight_grad_;  // (Out, B) x (In, B)^T
    detail::gemm<in_size, B, out_size, true, false> input_grad_;   // (Out, In)^T x (Out, B), unless direct_dx
    std::vector<std::vector<float>> panels_;                        // direct_dx: (Out, dx_panel) per thread
};

template <int Units, class Act = linear>
struct dense {
    static_assert(Units > 0, "dense: the number of units must be > 0");
    static_assert(activation_function<Act>,
                  "dense<Units, Act>: Act must be an activation tag (hps::relu, elu, selu, softplus, sigmoid, tanh, linear)");
    template <class In, int B>
    using impl = dense_layer<In, Units, Act, B>;
};

}  // namespace hps

#pragma GCC diagnostic pop
