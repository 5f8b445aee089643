// conv2d<Filters, KH, KW, Padding, Act, SH, SW>: a 2-D convolution (cross-correlation,
// as in every framework) over channels-last samples, activation fused.
//
//   x (H*W*C, B), one sample (H, W, C), C fastest; y (Ho*Wo*F, B), one sample (Ho, Wo, F)
//   patches P (K, Ho*Wo*B), K = KH*KW*C, row k = (kh*KW + kw)*C + c, column
//     n = (b*Ho + oh)*Wo + ow, P(k, n) = x_b(oh*SH - pad_top + kh, ow*SW - pad_left + kw, c)
//     (0 outside the input)
//   forward   Z = W P + b (one GEMM (F, K) x (K, Ho*Wo*B), whose column-major result is
//             exactly y's layout), y = act(Z)
//   backward  dZ = dy * act'(y); dW += dZ P^T; db += rowsum(dZ);
//             dP = W^T dZ (written over P), dx = col2im(dP) (skipped when dx == nullptr)
//
// Padding: valid (Ho = (H - KH)/SH + 1, floored: trailing rows a window cannot reach are
// ignored) or same (Ho = ceil(H/SH), TensorFlow's split: pad_total = max((Ho-1)*SH + KH
// - H, 0), pad_top = pad_total/2, the odd one at the bottom; the same for the width).
//
// Parameters: [W as the column-major (F, K) matrix, i.e. TensorFlow's (KH, KW, C, F)
// kernel in C order; then b (F)]. Scratch: P (K, Ho*Wo*B), then dZ (F, Ho*Wo*B) unless the
// activation is linear. backward overwrites P, so call it once per forward.
//
// PyTorch: nn.Conv2d(C, F, (KH, KW), stride=(SH, SW)[, padding=(ph, pw)]) [, act], with
// "nn.ZeroPad2d((left, right, top, bottom))" in front when SAME padding is asymmetric
// (an even kernel or a stride > 1); weight exported as torch's (F, C, KH, KW).
#pragma once

#include "hps/activations.hpp"
#include "hps/core.hpp"
#include "hps/layers/common.hpp"

#include <algorithm>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

namespace hps {

// Padding tags for conv2d.
struct valid {
    static constexpr bool is_same = false;
};
struct same {
    static constexpr bool is_same = true;
};

namespace detail {
constexpr int conv_out_size(int in, int kernel, int stride, bool is_same) {
    return is_same ? (in + stride - 1) / stride : (in >= kernel ? (in - kernel) / stride + 1 : 0);
}
constexpr int conv_pad_total(int in, int kernel, int stride, bool is_same) {
    if (!is_same) return 0;
    const int total = (conv_out_size(in, kernel, stride, true) - 1) * stride + kernel - in;
    return total > 0 ? total : 0;
}
}  // namespace detail

template <class In, int Filters, int KH, int KW, class Padding, class Act, int SH, int SW, int B>
class conv2d_layer {
    static_assert(In::rank == 3,
                  "conv2d: the input must be a (height, width, channels) image, e.g. hps::shape<28, 28, 1>; "
                  "give a single-channel image a channel dimension of 1");

public:
    static constexpr int input_height = In::dims[0];
    static constexpr int input_width = In::dims[In::rank > 1 ? 1 : 0];
    static constexpr int channels = In::dims[In::rank > 2 ? 2 : 0];
    static constexpr int kernel_height = KH;
    static constexpr int kernel_width = KW;
    static constexpr bool is_same = Padding::is_same;

    // the kernel must fit the input under VALID padding (SAME pads it): the values of this
    // comparison appear in g++'s note under the message
    static constexpr int valid_kernel_height = is_same ? 1 : KH;
    static constexpr int valid_kernel_width = is_same ? 1 : KW;
    static_assert(valid_kernel_height <= input_height,
                  "conv2d: the kernel is taller than the input under VALID padding "
                  "(kernel height <= input height; g++'s note below has the values); use padding same or a smaller kernel");
    static_assert(valid_kernel_width <= input_width,
                  "conv2d: the kernel is wider than the input under VALID padding "
                  "(kernel width <= input width; g++'s note below has the values); use padding same or a smaller kernel");

    static constexpr int out_height = detail::conv_out_size(input_height, KH, SH, is_same);
    static constexpr int out_width = detail::conv_out_size(input_width, KW, SW, is_same);
    static constexpr int pad_top = detail::conv_pad_total(input_height, KH, SH, is_same) / 2;
    static constexpr int pad_bottom = detail::conv_pad_total(input_height, KH, SH, is_same) - pad_top;
    static constexpr int pad_left = detail::conv_pad_total(input_width, KW, SW, is_same) / 2;
    static constexpr int pad_right = detail::conv_pad_total(input_width, KW, SW, is_same) - pad_left;
    static constexpr bool symmetric_padding = pad_top == pad_bottom && pad_left == pad_right;

    static constexpr int patch_size = KH * KW * channels;          // K
    static constexpr int columns = out_height * out_width * B;     // Ho*Wo*B
    static constexpr int in_sample = In::size;
    static constexpr int out_sample = out_height * out_width * Filters;

    using in_shape = In;
    using out_shape = shape<out_height, out_width, Filters>;
    static constexpr std::size_t num_weights = std::size_t(Filters) * patch_size;
    static constexpr std::size_t num_params = num_weights + Filters;
    static constexpr std::size_t num_state = 0;
    static constexpr std::size_t patches_size = std::size_t(patch_size) * columns;
    static constexpr std::size_t scratch_size = patches_size + (Act::is_identity ? 0 : std::size_t(Filters) * columns);
    static constexpr bool is_view = false;
    static constexpr int torch_param_module = symmetric_padding ? 0 : 1;

    void bind(float* params, float* grads, float*, float* scratch) {
        w_ = params;                // (F, K)
        b_ = params + num_weights;  // (F)
        dw_ = grads;
        db_ = grads + num_weights;
        patches_ = scratch;                 // (K, Ho*Wo*B)
        dz_ = scratch + patches_size;       // (F, Ho*Wo*B) when the activation is not linear
    }

    void init(rng& gen) {
        // fan-in K, fan-out KH*KW*F (as Keras and torch count a convolution's fans)
        init_weights(w_, num_weights, patch_size, KH * KW * Filters, Act::init, gen);
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

    // torch.nn.Conv2d: weight (F, C, KH, KW), bias (F).
    template <class Sink>
    void export_params(Sink& sink, const std::string& prefix) const {
        std::vector<float> w(num_weights);
        for (int f = 0; f < Filters; ++f)
            for (int c = 0; c < channels; ++c)
                for (int kh = 0; kh < KH; ++kh)
                    for (int kw = 0; kw < KW; ++kw)
                        w[((std::size_t(f) * channels + c) * KH + kh) * KW + kw] =
                            w_[std::size_t((kh * KW + kw) * channels + c) * Filters + f];
        sink.put(prefix + "weight", {Filters, channels, KH, KW}, std::move(w));
        sink.put(prefix + "bias", {Filters}, std::vector<float>(b_, b_ + Filters));
    }

    static void torch_modules(std::vector<std::string>& out) {
        std::string conv = "nn.Conv2d(" + std::to_string(channels) + ", " + std::to_string(Filters) + ", " +
                           detail::python_pair(KH, KW) + ", stride=" + detail::python_pair(SH, SW);
        if constexpr (!symmetric_padding) {
            out.push_back("nn.ZeroPad2d((" + std::to_string(pad_left) + ", " + std::to_string(pad_right) + ", " +
                          std::to_string(pad_top) + ", " + std::to_string(pad_bottom) + "))");
        } else if constexpr (pad_top > 0 || pad_left > 0) {
            conv += ", padding=" + detail::python_pair(pad_top, pad_left);
        }
        out.push_back(conv + ")");
        if (!Act::is_identity) out.emplace_back(Act::torch_module);
    }

    const float* weights() const { return w_; }
    const float* bias() const { return b_; }

private:
    // P(k, n) from x; one row of KW*C floats is contiguous in x when it lies inside.
    void im2col(const float* x) {
        constexpr int row = KW * channels;
        HPS_OMP(omp parallel for schedule(static) if (columns >= 4096))
        for (int bo = 0; bo < B * out_height; ++bo) {
            const int b = bo / out_height, oh = bo % out_height;
            const float* xb = x + std::size_t(b) * in_sample;
            for (int ow = 0; ow < out_width; ++ow) {
                float* col = patches_ + (std::size_t(bo) * out_width + ow) * patch_size;
                const int w0 = ow * SW - pad_left;
                for (int kh = 0; kh < KH; ++kh) {
                    float* dst = col + kh * row;
                    const int ih = oh * SH - pad_top + kh;
                    if (ih < 0 || ih >= input_height) {
                        std::fill(dst, dst + row, 0.0f);
                    } else if (w0 >= 0 && w0 + KW <= input_width) {
                        std::memcpy(dst, xb + (std::size_t(ih) * input_width + w0) * channels, sizeof(float) * row);
                    } else {
                        for (int kw = 0; kw < KW; ++kw) {
                            const int iw = w0 + kw;
                            if (iw < 0 || iw >= input_width)
                                std::fill(dst + kw * channels, dst + (kw + 1) * channels, 0.0f);
                            else
                                std::memcpy(dst + kw * channels, xb + (std::size_t(ih) * input_width + iw) * channels,
                                            sizeof(float) * channels);
                        }
                    }
                }
            }
        }
    }

    // dx = sum of dP's entries over the positions each came from (overlapping windows add).
    void col2im(float* dx) const {
        constexpr int row = KW * channels;
        HPS_OMP(omp parallel for schedule(static) if (columns >= 4096))
        for (int b = 0; b < B; ++b) {
            float* dxb = dx + std::size_t(b) * in_sample;
            std::fill(dxb, dxb + in_sample, 0.0f);
            for (int oh = 0; oh < out_height; ++oh) {
                for (int ow = 0; ow < out_width; ++ow) {
                    const float* col = patches_ + ((std::size_t(b) * out_height + oh) * out_width + ow) * patch_size;
                    const int w0 = ow * SW - pad_left;
                    for (int kh = 0; kh < KH; ++kh) {
                        const int ih = oh * SH - pad_top + kh;
                        if (ih < 0 || ih >= input_height) continue;
                        const float* src = col + kh * row;
                        if (w0 >= 0 && w0 + KW <= input_width) {
                            float* dst = dxb + (std::size_t(ih) * input_width + w0) * channels;
                            for (int i = 0; i < row; ++i) dst[i] += src[i];
                        } else {
                            for (int kw = 0; kw < KW; ++kw) {
                                const int iw = w0 + kw;
                                if (iw < 0 || iw >= input_width) continue;
                                float* dst = dxb + (std::size_t(ih) * input_width + iw) * channels;
                                for (int c = 0; c < channels; ++c) dst[c] += src[kw * channels + c];
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

template <int Filters, int KH, int KW, class Padding = valid, class Act = linear, int SH = 1, int SW = 1>
struct conv2d {
    static_assert(Filters > 0, "conv2d: the number of filters must be > 0");
    static_assert(KH > 0 && KW > 0, "conv2d: the kernel's height and width must be > 0");
    static_assert(SH > 0 && SW > 0, "conv2d: the strides must be > 0");
    static_assert(std::is_same_v<Padding, valid> || std::is_same_v<Padding, same>,
                  "conv2d: the padding must be hps::valid or hps::same");
    static_assert(activation_function<Act>,
                  "conv2d: Act must be an activation tag (hps::relu, elu, selu, softplus, sigmoid, tanh, linear)");
    template <class In, int B>
    using impl = conv2d_layer<In, Filters, KH, KW, Padding, Act, SH, SW, B>;
};

}  // namespace hps
