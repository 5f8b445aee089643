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
// PyTorch: [nn.Flatten() when the input has rank > 1,] nn.Linear(In, Out) [, act].
// torch's flatten sees a channels-first sample (C, H, W) where we hold (H, W, C), so the
// exported weight's columns are permuted to torch's order; a rank-1 input that comes from
// hps::flatten (flat_shape<Origin>) is permuted by its origin's shape the same way.
#pragma once

#include "hps/activations.hpp"
#include "hps/core.hpp"
#include "hps/layers/common.hpp"
#include "hps/layers/flatten.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace hps {

template <class In, int Units, class Act, int B>
class dense_layer {
public:
    static constexpr int in_size = In::size;
    static constexpr int out_size = Units;
    using in_shape = In;
    using out_shape = shape<Units>;
    static constexpr std::size_t num_weights = std::size_t(out_size) * in_size;
    static constexpr std::size_t num_params = num_weights + out_size;
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
    }

    void init(rng& gen) {
        init_weights(w_, num_weights, in_size, out_size, Act::init, gen);
        std::fill(b_, b_ + out_size, 0.0f);
    }

    void forward(const float* x, float* y, context&) {
        const detail::const_mat_view X(x, in_size, B), W(w_, out_size, in_size);
        detail::mat_view Y(y, out_size, B);
        Y.noalias() = W * X;
        Y.colwise() += detail::const_vec_view(b_, out_size);
        Act::forward(y, std::ptrdiff_t(out_size) * B);
    }

    void backward(const float* x, const float* y, const float* dy, float* dx, context&) {
        const float* dz = dy;
        if constexpr (!Act::is_identity) {
            Act::backward(y, dy, dz_, std::ptrdiff_t(out_size) * B);
            dz = dz_;
        }
        const detail::const_mat_view X(x, in_size, B), DZ(dz, out_size, B), W(w_, out_size, in_size);
        detail::mat_view DW(dw_, out_size, in_size);
        DW.noalias() += DZ * X.transpose();
        detail::vec_view(db_, out_size) += DZ.rowwise().sum();
        if (dx) {
            detail::mat_view DX(dx, in_size, B);
            DX.noalias() = W.transpose() * DZ;
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
    // the multi-dimensional shape whose torch flatten order the weight columns follow
    using torch_origin = typename flatten_origin<In>::type;

    float* w_ = nullptr;
    float* b_ = nullptr;
    float* dw_ = nullptr;
    float* db_ = nullptr;
    float* dz_ = nullptr;
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
