// conv1d<Filters, Kernel, Padding, Act, Stride>: a 1-D convolution (cross-correlation, as
// in every framework) over channels-last sequences, activation fused.
//
//   x (L*C, B), one sample (L, C), C fastest; y (Lo*F, B), one sample (Lo, F)
//   patches P (K*C, Lo*B), row k = kk*C + c, column n = b*Lo + ol,
//     P(k, n) = x_b(ol*S - pad_left + kk, c) (0 outside the input)
//   forward   Z = W P + b (one GEMM (F, K*C) x (K*C, Lo*B), whose column-major result is
//             exactly y's layout), y = act(Z)
//   backward  dZ = dy * act'(y); dW += dZ P^T; db += rowsum(dZ);
//             dP = W^T dZ (written over P), dx = col2im(dP) (skipped when dx == nullptr)
//
// Padding as conv2d's: valid (Lo = (L - K)/S + 1, floored) or same (Lo = ceil(L/S),
// TensorFlow's split: pad_total = max((Lo-1)*S + K - L, 0), pad_left = pad_total/2, the
// odd one on the right).
//
// Parameters: [W as the column-major (F, K*C) matrix, i.e. TensorFlow's (K, C, F) kernel
// in C order; then b (F)]. Scratch: P (K*C, Lo*B), then dZ (F, Lo*B) unless the activation
// is linear. backward overwrites P, so call it once per forward.
//
// PyTorch: nn.Conv1d(C, F, K, stride=S[, padding=p]) [, act], on the channels-first
// (N, C, L) tensor, with "nn.ConstantPad1d((left, right), 0.0)" in front when SAME padding
// is asymmetric (an even kernel or a stride > 1); weight exported as torch's (F, C, K).
#pragma once

#include "hps/activations.hpp"
#include "hps/core.hpp"
#include "hps/layers/common.hpp"
#include "hps/layers/conv2d.hpp"  // the padding tags and the output-size rules

#include <algorithm>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

namespace hps {

template <class In, int Filters, int K, class Padding, class Act, int S, int B>
class conv1d_layer {
    static_assert(In::rank == 2,
                  "conv1d: the input must be a (length, channels) sequence, e.g. hps::shape<1024, 1>; "
                  "give a single-channel sequence a channel dimension of 1");

public:
    static constexpr int input_length = In::dims[0];
    static constexpr int channels = In::dims[In::rank > 1 ? 1 : 0];
    static constexpr int kernel_size = K;
    static constexpr bool is_same = Padding::is_same;

    static_assert(is_same || kernel_size <= input_length,
                  "conv1d: the kernel is longer than the input under VALID padding "
                  "(kernel_size <= input_length fails: the values are in the note below); use padding same or a smaller kernel");

    static constexpr int out_length = detail::conv::out_size(input_length, K, S, is_same);
    static constexpr int pad_left = detail::conv::pad_total(input_length, K, S, is_same) / 2;
    static constexpr int pad_right = detail::conv::pad_total(input_length, K, S, is_same) - pad_left;
    static constexpr bool symmetric_padding = pad_left == pad_right;

    static constexpr int patch_size = K * channels;  // K*C
    static constexpr int columns = out_length * B;   // Lo*B
    static constexpr int in_sample = In::size;
    static constexpr int out_sample = out_length * Filters;

    using in_shape = In;
    using out_shape = shape<out_length, Filters>;
    static constexpr std::size_t num_weights = std::size_t(Filters) * patch_size;
    static constexpr std::size_t num_params = num_weights + Filters;
    static constexpr std::size_t num_state = 0;
    static constexpr std::size_t patches_size = std::size_t(patch_size) * columns;
    static constexpr std::size_t scratch_size = patches_size + (Act::is_identity ? 0 : std::size_t(Filters) * columns);
    static constexpr bool is_view = false;
    static constexpr int torch_param_module = symmetric_padding ? 0 : 1;

    void bind(float* params, float* grads, float*, float* scratch) {
        w_ = params;                    // (F, K*C)
        b_ = params + num_weights;      // (F)
        dw_ = grads;
        db_ = grads + num_weights;
        patches_ = scratch;             // (K*C, Lo*B)
        dz_ = scratch + patches_size;   // (F, Lo*B) when the activation is not linear
    }

    void init(rng& gen) {
        // fan-in K*C, fan-out K*F (as Keras and torch count a convolution's fans)
        init_weights(w_, num_weights, patch_size, K * Filters, Act::init, gen);
        std::fill(b_, b_ + Filters, 0.0f);
    }

    void forward(const float* x, float* y, context&) {
        im2col(x);
        const detail::const_mat_view W(w_, Filters, patch_size), P(patches_, patch_size, columns);
        detail::mat_view Y(y, Filters, columns);
        Y.noalias() = W * P;
        Y.colwise() += detail::const_vec_view(b_, Filters);
        Act::forward(y, std::ptrdiff_t(Filters) * columns);
    }

    void backward(const float*, const float* y, const float* dy, float* dx, context&) {
        const float* dz = dy;
        if constexpr (!Act::is_identity) {
            Act::backward(y, dy, dz_, std::ptrdiff_t(Filters) * columns);
            dz = dz_;
        }
        const detail::const_mat_view DZ(dz, Filters, columns), W(w_, Filters, patch_size);
        detail::mat_view P(patches_, patch_size, columns);
        detail::mat_view(dw_, Filters, patch_size).noalias() += DZ * P.transpose();
        detail::vec_view(db_, Filters) += DZ.rowwise().sum();
        if (dx) {
            P.noalias() = W.transpose() * DZ;  // dP, over the patches (no longer needed)
            col2im(dx);
        }
    }

    // torch.nn.Conv1d: weight (F, C, K), bias (F).
    template <class Sink>
    void export_params(Sink& sink, const std::string& prefix) const {
        std::vector<float> w(num_weights);
        for (int f = 0; f < Filters; ++f)
            for (int c = 0; c < channels; ++c)
                for (int kk = 0; kk < K; ++kk)
                    w[(std::size_t(f) * channels + c) * K + kk] = w_[std::size_t(kk * channels + c) * Filters + f];
        sink.put(prefix + "weight", {Filters, channels, K}, std::move(w));
        sink.put(prefix + "bias", {Filters}, std::vector<float>(b_, b_ + Filters));
    }

    static void torch_modules(std::vector<std::string>& out) {
        std::string conv = "nn.Conv1d(" + std::to_string(channels) + ", " + std::to_string(Filters) + ", " +
                           std::to_string(K) + ", stride=" + std::to_string(S);
        if constexpr (!symmetric_padding) {
            out.push_back("nn.ConstantPad1d(" + detail::python_pair(pad_left, pad_right) + ", 0.0)");
        } else if constexpr (pad_left > 0) {
            conv += ", padding=" + std::to_string(pad_left);
        }
        out.push_back(conv + ")");
        if (!Act::is_identity) out.emplace_back(Act::torch_module);
    }

    const float* weights() const { return w_; }
    const float* bias() const { return b_; }

private:
    // P(k, n) from x; a window that lies inside the input is K*C contiguous floats.
    void im2col(const float* x) {
        HPS_OMP(omp parallel for schedule(static) if (std::size_t(columns) * patch_size >= 65536))
        for (int b = 0; b < B; ++b) {
            const float* xb = x + std::size_t(b) * in_sample;
            for (int ol = 0; ol < out_length; ++ol) {
                float* col = patches_ + (std::size_t(b) * out_length + ol) * patch_size;
                const int l0 = ol * S - pad_left;
                if (l0 >= 0 && l0 + K <= input_length) {
                    std::memcpy(col, xb + std::size_t(l0) * channels, sizeof(float) * patch_size);
                    continue;
                }
                for (int kk = 0; kk < K; ++kk) {
                    const int l = l0 + kk;
                    if (l < 0 || l >= input_length)
                        std::fill(col + kk * channels, col + (kk + 1) * channels, 0.0f);
                    else
                        std::memcpy(col + kk * channels, xb + std::size_t(l) * channels, sizeof(float) * channels);
                }
            }
        }
    }

    // dx = sum of dP's entries over the positions each came from (overlapping windows add).
    void col2im(float* dx) const {
        HPS_OMP(omp parallel for schedule(static) if (std::size_t(columns) * patch_size >= 65536))
        for (int b = 0; b < B; ++b) {
            float* dxb = dx + std::size_t(b) * in_sample;
            std::fill(dxb, dxb + in_sample, 0.0f);
            for (int ol = 0; ol < out_length; ++ol) {
                const float* col = patches_ + (std::size_t(b) * out_length + ol) * patch_size;
                const int l0 = ol * S - pad_left;
                const int first = std::max(0, -l0), last = std::min(K, input_length - l0);  // kk in [first, last)
                if (first >= last) continue;
                float* dst = dxb + std::size_t(l0 + first) * channels;
                const float* src = col + first * channels;
                for (int i = 0; i < (last - first) * channels; ++i) dst[i] += src[i];
            }
        }
    }

    float* w_ = nullptr;
    float* b_ = nullptr;
    float* dw_ = nullptr;
    float* db_ = nullptr;
    float* patches_ = nullptr;
    float* dz_ = nullptr;
};

template <int Filters, int Kernel, class Padding = valid, class Act = linear, int Stride = 1>
struct conv1d {
    static_assert(Filters > 0, "conv1d: the number of filters must be > 0");
    static_assert(Kernel > 0, "conv1d: the kernel size must be > 0");
    static_assert(Stride > 0, "conv1d: the stride must be > 0");
    static_assert(std::is_same_v<Padding, valid> || std::is_same_v<Padding, same>,
                  "conv1d: the padding must be hps::valid or hps::same");
    static_assert(activation_function<Act>,
                  "conv1d: Act must be an activation tag (hps::relu, elu, selu, softplus, sigmoid, tanh, linear)");
    template <class In, int B>
    using impl = conv1d_layer<In, Filters, Kernel, Padding, Act, Stride, B>;
};

}  // namespace hps
