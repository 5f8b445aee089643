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
// the batch's samples: bias and ReLU in registers, no packing); dx = W^T dz (and the
// other cases) is detail::gemm, Eigen's packed kernel on buffers allocated at bind().
// OpenMP threads take blocks of output rows (forward) or dW tiles, each summed over the
// whole batch by one thread, so results do not depend on the thread count.
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
    static constexpr std::size_t scratch_size = Act::is_identity ? 0 : std::size_t(out_size) * B;  // dz (Out, B)
    static constexpr bool is_view = false;
    static constexpr bool flattens = In::rank > 1;  // emits its own nn.Flatten()
    static constexpr int torch_param_module = flattens ? 1 : 0;

    void bind(float* params, float* grads, float*, float* scratch) {
        w_ = params;                // (Out, In)
        b_ = params + num_weights;  // (Out)
        dw_ = grads;
        db_ = grads + num_weights;
        dz_ = scratch;              // (Out, B) or null
        const int threads = detail::usable_threads();  // the packing buffers, allocated once
        if constexpr (!direct) {
            forward_.prepare(decltype(forward_)::threads_for(threads));
            weight_grad_.prepare(decltype(weight_grad_)::threads_for(threads));
        }
        input_grad_.prepare(decltype(input_grad_)::threads_for(threads));
    }

    void init(rng& gen) {
        init_weights(w_, num_weights, in_size, out_size, Act::init, gen);
        std::fill(b_, b_ + out_size, 0.0f);
    }

    void forward(const float* x, float* y, context&) {
        if constexpr (direct) {
            const int threads = std::min(detail::usable_threads(), fwd_blocks);
            HPS_OMP(omp parallel for schedule(static) num_threads(threads) if (threads > 1))
            for (int m = 0; m < fwd_blocks; ++m) {
                const int m0 = m * fwd_tile.a * lanes;
                for (int b = 0; b + fwd_tile.b <= B; b += fwd_tile.b) forward_tile<fwd_tile.b>(m0, x, y, b);
                if constexpr (B % fwd_tile.b != 0) forward_tile<B % fwd_tile.b>(m0, x, y, B / fwd_tile.b * fwd_tile.b);
            }
            if constexpr (!std::is_same_v<Act, relu>) Act::forward(y, std::ptrdiff_t(out_size) * B);
        } else {
            detail::mat_view(y, out_size, B).colwise() = detail::const_vec_view(b_, out_size);
            forward_.run(w_, x, y);  // y += W x
            Act::forward(y, std::ptrdiff_t(out_size) * B);
        }
    }

    void backward(const float* x, const float* y, const float* dy, float* dx, context&) {
        const float* dz = dy;
        if constexpr (!Act::is_identity) {
            Act::backward(y, dy, dz_, std::ptrdiff_t(out_size) * B);
            dz = dz_;
        }
        if constexpr (direct) {  // dW += dz x^T
            const int threads = std::min(detail::usable_threads(), dw_tiles);
            HPS_OMP(omp parallel for schedule(static) num_threads(threads) if (threads > 1))
            for (int tile = 0; tile < dw_tiles; ++tile) weight_tile(tile, dz, x);
        } else {
            weight_grad_.run(dz, x, dw_);
        }
        detail::vec_view(db_, out_size) += detail::const_mat_view(dz, out_size, B).rowwise().sum();
        if (dx) {
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

    // y rows m0.. for samples b..b+NR: bias, W x, ReLU in registers
    template <int NR>
    void forward_tile(int m0, const float* x, float* y, int b) const {
        detail::conv::fwd_tile<packet, fwd_tile.a, NR, 1, in_size, in_size, 0, std::is_same_v<Act, relu>>(
            w_ + m0, out_size, b_ + m0, x + std::size_t(b) * in_size, y + std::size_t(b) * out_size + m0, out_size,
            out_size - m0);
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

    // the multi-dimensional shape whose torch flatten order the weight columns follow
    using torch_origin = typename flatten_origin<In>::type;

    float* w_ = nullptr;
    float* b_ = nullptr;
    float* dw_ = nullptr;
    float* db_ = nullptr;
    float* dz_ = nullptr;
    detail::gemm<out_size, B, in_size, false, false> forward_;     // (Out, In) x (In, B)
    detail::gemm<out_size, in_size, B, false, true> weight_grad_;  // (Out, B) x (In, B)^T
    detail::gemm<in_size, B, out_size, true, false> input_grad_;   // (Out, In)^T x (Out, B)
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
