// conv3d<Filters, K, Padding, Act, Stride>: a 3-D convolution (cross-correlation) with a
// K x K x K kernel over channels-last volumes, activation fused; conv2d's scheme one
// dimension up.
//
//   x (D*H*W*C, B), one sample (D, H, W, C), C fastest; y (Do*Ho*Wo*F, B), one sample
//   (Do, Ho, Wo, F)
//   patches P (K3C, Do*Ho*Wo*B), K3C = K*K*K*C, row k = ((kd*K + kh)*K + kw)*C + c, column
//     n = ((b*Do + od)*Ho + oh)*Wo + ow,
//     P(k, n) = x_b(od*S - pad_front + kd, oh*S - pad_top + kh, ow*S - pad_left + kw, c)
//     (0 outside the input)
//   forward   Z = W P + b (one GEMM (F, K3C) x (K3C, Do*Ho*Wo*B), whose column-major result
//             is y's layout), y = act(Z)
//   backward  dZ = dy * act'(y); dW += dZ P^T; db += rowsum(dZ);
//             dP = W^T dZ (written over P), dx = col2im(dP) (skipped when dx == nullptr)
//
// Padding per dimension as conv2d: valid (Do = (D - K)/S + 1, floored) or same
// (Do = ceil(D/S), TensorFlow's split: the odd padding at the back/bottom/right).
//
// Parameters: [W as the column-major (F, K3C) matrix, i.e. TensorFlow's (K, K, K, C, F)
// kernel in C order; then b (F)]. Scratch: P (K3C, Do*Ho*Wo*B), then dZ (F, Do*Ho*Wo*B)
// unless the activation is linear. backward overwrites P, so call it once per forward.
//
// PyTorch: nn.Conv3d(C, F, (K, K, K), stride=(S, S, S)[, padding=(p, p, p)]) [, act], with
// "nn.ConstantPad3d((left, right, top, bottom, front, back), 0.0)" in front when SAME
// padding is asymmetric (an even kernel or a stride > 1); weight exported as torch's
// (F, C, KD, KH, KW). torch takes the batch as (N, C, D, H, W): x.permute(0, 4, 1, 2, 3).
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
class conv3d_layer {
    static_assert(In::rank == 4,
                  "conv3d: the input must be a (depth, height, width, channels) volume, e.g. hps::shape<32, 32, 32, 1>; "
                  "give a single-channel volume a channel dimension of 1");

public:
    static constexpr int input_depth = In::dims[0];
    static constexpr int input_height = In::dims[In::rank > 1 ? 1 : 0];
    static constexpr int input_width = In::dims[In::rank > 2 ? 2 : 0];
    static constexpr int channels = In::dims[In::rank > 3 ? 3 : 0];
    static constexpr int kernel_size = K;
    static constexpr bool is_same = Padding::is_same;

    static_assert(is_same || (kernel_size <= input_depth && kernel_size <= input_height && kernel_size <= input_width),
                  "conv3d: the kernel is larger than the input under VALID padding (kernel_size <= input_depth, "
                  "input_height and input_width fails: the values are in the note below); use padding same or a "
                  "smaller kernel");

    static constexpr int out_depth = detail::conv::out_size(input_depth, K, S, is_same);
    static constexpr int out_height = detail::conv::out_size(input_height, K, S, is_same);
    static constexpr int out_width = detail::conv::out_size(input_width, K, S, is_same);
    static constexpr int pad_front = detail::conv::pad_total(input_depth, K, S, is_same) / 2;
    static constexpr int pad_back = detail::conv::pad_total(input_depth, K, S, is_same) - pad_front;
    static constexpr int pad_top = detail::conv::pad_total(input_height, K, S, is_same) / 2;
    static constexpr int pad_bottom = detail::conv::pad_total(input_height, K, S, is_same) - pad_top;
    static constexpr int pad_left = detail::conv::pad_total(input_width, K, S, is_same) / 2;
    static constexpr int pad_right = detail::conv::pad_total(input_width, K, S, is_same) - pad_left;
    static constexpr bool symmetric_padding = pad_front == pad_back && pad_top == pad_bottom && pad_left == pad_right;

    static constexpr int patch_size = K * K * K * channels;                   // K3C
    static constexpr int columns = out_depth * out_height * out_width * B;    // Do*Ho*Wo*B
    static constexpr int in_sample = In::size;
    static constexpr int out_sample = out_depth * out_height * out_width * Filters;
    static_assert(double(patch_size) * columns < 2147483647.0,
                  "conv3d: the im2col patches would exceed 2^31 floats; use a smaller batch, kernel or input");

    using in_shape = In;
    using out_shape = shape<out_depth, out_height, out_width, Filters>;
    static constexpr std::size_t num_weights = std::size_t(Filters) * patch_size;
    static constexpr std::size_t num_params = num_weights + Filters;
    static constexpr std::size_t num_state = 0;
    static constexpr std::size_t patches_size = std::size_t(patch_size) * columns;
    static constexpr std::size_t scratch_size = patches_size + (Act::is_identity ? 0 : std::size_t(Filters) * columns);
    static constexpr bool is_view = false;
    static constexpr int torch_param_module = symmetric_padding ? 0 : 1;

    void bind(float* params, float* grads, float*, float* scratch) {
        w_ = params;                // (F, K3C)
        b_ = params + num_weights;  // (F)
        dw_ = grads;
        db_ = grads + num_weights;
        patches_ = scratch;            // (K3C, Do*Ho*Wo*B)
        dz_ = scratch + patches_size;  // (F, Do*Ho*Wo*B) when the activation is not linear
    }

    void init(rng& gen) {
        // fan-in K^3 C, fan-out K^3 F (as Keras and torch count a convolution's fans)
        init_weights(w_, num_weights, patch_size, K * K * K * Filters, Act::init, gen);
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

    // torch.nn.Conv3d: weight (F, C, KD, KH, KW), bias (F).
    template <class Sink>
    void export_params(Sink& sink, const std::string& prefix) const {
        std::vector<float> w(num_weights);
        for (int f = 0; f < Filters; ++f)
            for (int c = 0; c < channels; ++c)
                for (int kd = 0; kd < K; ++kd)
                    for (int kh = 0; kh < K; ++kh)
                        for (int kw = 0; kw < K; ++kw)
                            w[(((std::size_t(f) * channels + c) * K + kd) * K + kh) * K + kw] =
                                w_[std::size_t(((kd * K + kh) * K + kw) * channels + c) * Filters + f];
        sink.put(prefix + "weight", {Filters, channels, K, K, K}, std::move(w));
        sink.put(prefix + "bias", {Filters}, std::vector<float>(b_, b_ + Filters));
    }

    static void torch_modules(std::vector<std::string>& out) {
        std::string conv = "nn.Conv3d(" + std::to_string(channels) + ", " + std::to_string(Filters) + ", " +
                           triple(K, K, K) + ", stride=" + triple(S, S, S);
        if constexpr (!symmetric_padding) {
            out.push_back("nn.ConstantPad3d((" + std::to_string(pad_left) + ", " + std::to_string(pad_right) + ", " +
                          std::to_string(pad_top) + ", " + std::to_string(pad_bottom) + ", " +
                          std::to_string(pad_front) + ", " + std::to_string(pad_back) + "), 0.0)");
        } else if constexpr (pad_front > 0 || pad_top > 0 || pad_left > 0) {
            conv += ", padding=" + triple(pad_front, pad_top, pad_left);
        }
        out.push_back(conv + ")");
        if (!Act::is_identity) out.emplace_back(Act::torch_module);
    }

    const float* weights() const { return w_; }
    const float* bias() const { return b_; }

private:
    static std::string triple(int a, int b, int c) {
        std::string s = "(";
        s += std::to_string(a);
        s += ", ";
        s += std::to_string(b);
        s += ", ";
        s += std::to_string(c);
        s += ')';
        return s;
    }

    // P(k, n) from x; one row of K*C floats is contiguous in x when it lies inside.
    void im2col(const float* x) {
        constexpr int row = K * channels;
        HPS_OMP(omp parallel for schedule(static) if (columns >= 4096))
        for (int bdh = 0; bdh < B * out_depth * out_height; ++bdh) {
            const int b = bdh / (out_depth * out_height);
            const int od = (bdh / out_height) % out_depth, oh = bdh % out_height;
            const float* xb = x + std::size_t(b) * in_sample;
            for (int ow = 0; ow < out_width; ++ow) {
                float* col = patches_ + (std::size_t(bdh) * out_width + ow) * patch_size;
                const int w0 = ow * S - pad_left;
                for (int kd = 0; kd < K; ++kd) {
                    const int id = od * S - pad_front + kd;
                    for (int kh = 0; kh < K; ++kh) {
                        float* dst = col + (kd * K + kh) * row;
                        const int ih = oh * S - pad_top + kh;
                        if (id < 0 || id >= input_depth || ih < 0 || ih >= input_height) {
                            std::fill(dst, dst + row, 0.0f);
                            continue;
                        }
                        const float* src_row = xb + (std::size_t(id) * input_height + ih) * input_width * channels;
                        if (w0 >= 0 && w0 + K <= input_width) {
                            std::memcpy(dst, src_row + std::size_t(w0) * channels, sizeof(float) * row);
                        } else {
                            for (int kw = 0; kw < K; ++kw) {
                                const int iw = w0 + kw;
                                if (iw < 0 || iw >= input_width)
                                    std::fill(dst + kw * channels, dst + (kw + 1) * channels, 0.0f);
                                else
                                    std::memcpy(dst + kw * channels, src_row + std::size_t(iw) * channels,
                                                sizeof(float) * channels);
                            }
                        }
                    }
                }
            }
        }
    }

    // dx = sum of dP's entries over the positions each came from (overlapping windows add).
    void col2im(float* dx) const {
        constexpr int row = K * channels;
        HPS_OMP(omp parallel for schedule(static) if (columns >= 4096))
        for (int b = 0; b < B; ++b) {
            float* dxb = dx + std::size_t(b) * in_sample;
            std::fill(dxb, dxb + in_sample, 0.0f);
            for (int od = 0; od < out_depth; ++od) {
                for (int oh = 0; oh < out_height; ++oh) {
                    for (int ow = 0; ow < out_width; ++ow) {
                        const float* col =
                            patches_ + (((std::size_t(b) * out_depth + od) * out_height + oh) * out_width + ow) * patch_size;
                        const int w0 = ow * S - pad_left;
                        for (int kd = 0; kd < K; ++kd) {
                            const int id = od * S - pad_front + kd;
                            if (id < 0 || id >= input_depth) continue;
                            for (int kh = 0; kh < K; ++kh) {
                                const int ih = oh * S - pad_top + kh;
                                if (ih < 0 || ih >= input_height) continue;
                                const float* src = col + (kd * K + kh) * row;
                                float* dst_row = dxb + (std::size_t(id) * input_height + ih) * input_width * channels;
                                if (w0 >= 0 && w0 + K <= input_width) {
                                    float* dst = dst_row + std::size_t(w0) * channels;
                                    for (int i = 0; i < row; ++i) dst[i] += src[i];
                                } else {
                                    for (int kw = 0; kw < K; ++kw) {
                                        const int iw = w0 + kw;
                                        if (iw < 0 || iw >= input_width) continue;
                                        float* dst = dst_row + std::size_t(iw) * channels;
                                        for (int c = 0; c < channels; ++c) dst[c] += src[kw * channels + c];
                                    }
                                }
                            }
                        }
                    }
                }
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

// conv3d<16, 3, hps::same, hps::relu>: 16 filters of 3 x 3 x 3, stride 1.
template <int Filters, int K, class Padding = valid, class Act = linear, int Stride = 1>
struct conv3d {
    static_assert(Filters > 0, "conv3d: the number of filters must be > 0");
    static_assert(K > 0, "conv3d: the kernel size must be > 0");
    static_assert(Stride > 0, "conv3d: the stride must be > 0");
    static_assert(std::is_same_v<Padding, valid> || std::is_same_v<Padding, same>,
                  "conv3d: the padding must be hps::valid or hps::same");
    static_assert(activation_function<Act>,
                  "conv3d: Act must be an activation tag (hps::relu, elu, selu, softplus, sigmoid, tanh, linear)");
    template <class In, int B>
    using impl = conv3d_layer<In, Filters, K, Padding, Act, Stride, B>;
};

}  // namespace hps
