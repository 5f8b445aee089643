// conv2d<Filters, KH, KW, Padding, Act, SH, SW>: a 2-D convolution (cross-correlation,
// as in every framework) over channels-last samples, activation fused.
//
//   x (H*W*C, B), one sample (H, W, C), C fastest; y (Ho*Wo*F, B), one sample (Ho, Wo, F)
//   patches P (K, Ho*Wo*B), K = KH*KW*C, row k = (kh*KW + kw)*C + c, column
//     n = (b*Ho + oh)*Wo + ow, P(k, n) = x_b(oh*SH - pad_top + kh, ow*SW - pad_left + kw, c)
//     (0 outside the input)
//   forward   Z = W P + b, y = act(Z)
//   backward  dZ = dy * act'(y); dW += dZ P^T; db += rowsum(dZ);
//             dx = col2im(W^T dZ) (skipped when dx == nullptr)
//
// P is never built: conv2d is the direct convolution of hps/layers/conv_kernels.hpp
// (detail::conv::direct_conv, shared with conv1d and conv3d) with depth 1. It reads each
// sample zero-padded to (Hp, Wp, C), where a patch row is a contiguous run of KW*C floats,
// and keeps a register tile of Z (or dW, or dx) for the whole reduction; bias and ReLU are
// applied to the tile before it is stored. OpenMP threads take samples (forward, dx) or
// tiles of dW (each thread sums its tiles over the whole batch in the same order), so
// results do not depend on the thread count.
//
// Padding: valid (Ho = (H - KH)/SH + 1, floored: trailing rows a window cannot reach are
// ignored) or same (Ho = ceil(H/SH), TensorFlow's split: pad_total = max((Ho-1)*SH + KH
// - H, 0), pad_top = pad_total/2, the odd one at the bottom; the same for the width).
//
// Parameters: [W as the column-major (F, K) matrix, i.e. TensorFlow's (KH, KW, C, F)
// kernel in C order; then b (F)]. Scratch: the padded samples (B, Hp, Wp, C) (backward
// writes dx's padded form over them), dZ (F', Ho*Wo*B) unless the activation is linear
// and F fills whole packets (F' = F rounded up to packets), W transposed per kernel row
// for dx, and W, b padded to F' rows when F does not fill whole packets. backward
// overwrites the padded samples, so call it once per forward.
//
// PyTorch: nn.Conv2d(C, F, (KH, KW), stride=(SH, SW)[, padding=(ph, pw)]) [, act], with
// "nn.ZeroPad2d((left, right, top, bottom))" in front when SAME padding is asymmetric
// (an even kernel or a stride > 1); weight exported as torch's (F, C, KH, KW).
#pragma once

#include "hps/activations.hpp"
#include "hps/core.hpp"
#include "hps/layers/common.hpp"
#include "hps/layers/conv_kernels.hpp"

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
// the engine of conv2d: conv3d's with depth 1 (conv_kernels.hpp); the input's dimensions
// are read within bounds whatever its rank, so that conv2d_layer's own check reports a wrong one
template <class In, int Filters, int KH, int KW, class Padding, class Act, int SH, int SW, int B>
using conv2d_engine = conv::direct_conv<shape<1, In::dims[0], In::dims[In::rank > 1 ? 1 : 0], In::dims[In::rank > 2 ? 2 : 0]>,
                                        shape<1, KH, KW>, shape<1, SH, SW>, Filters, Padding::is_same, Act, B>;
}  // namespace detail

template <class In, int Filters, int KH, int KW, class Padding, class Act, int SH, int SW, int B>
class conv2d_layer : public detail::conv2d_engine<In, Filters, KH, KW, Padding, Act, SH, SW, B> {
    using engine = detail::conv2d_engine<In, Filters, KH, KW, Padding, Act, SH, SW, B>;

public:
    // the shape rule (rules::conv, conv_kernels.hpp) and its refusals as readable messages
    static constexpr rules::outcome rule = rules::conv(dims_of<In>(), 2, Filters, {KH, KW, 1}, {SH, SW, 1}, Padding::is_same);
    static_assert(rule.why != rules::fault::wrong_rank,
                  "conv2d: the input must be a (height, width, channels) image, e.g. hps::shape<28, 28, 1>; "
                  "give a single-channel image a channel dimension of 1");
    static_assert(rule.why != rules::fault::kernel_too_large || rule.dim != 0,
                  "conv2d: the kernel is taller than the input under VALID padding "
                  "(kernel height <= input height; the layer's template arguments above have the values); "
                  "use padding same or a smaller kernel");
    static_assert(rule.why != rules::fault::kernel_too_large || rule.dim != 1,
                  "conv2d: the kernel is wider than the input under VALID padding "
                  "(kernel width <= input width; the layer's template arguments above have the values); "
                  "use padding same or a smaller kernel");

    static constexpr int kernel_height = KH;
    static constexpr int kernel_width = KW;

    using in_shape = In;
    using out_shape = shape_from<rule.out>;  // (Ho, Wo, F)
    static constexpr std::size_t num_params = rule.params;

    // torch.nn.Conv2d: weight (F, C, KH, KW), bias (F).
    template <class Sink>
    void export_params(Sink& sink, const std::string& prefix) const {
        this->export_torch(sink, prefix, {KH, KW});
    }

    static void torch_modules(std::vector<std::string>& out) {
        std::string conv = "nn.Conv2d(" + std::to_string(engine::channels) + ", " + std::to_string(Filters) + ", " +
                           detail::python_pair(KH, KW) + ", stride=" + detail::python_pair(SH, SW);
        if constexpr (!engine::symmetric_padding) {
            out.push_back("nn.ZeroPad2d((" + std::to_string(engine::pad_left) + ", " + std::to_string(engine::pad_right) + ", " +
                          std::to_string(engine::pad_top) + ", " + std::to_string(engine::pad_bottom) + "))");
        } else if constexpr (engine::pad_top > 0 || engine::pad_left > 0) {
            conv += ", padding=" + detail::python_pair(engine::pad_top, engine::pad_left);
        }
        out.push_back(conv + ")");
        if (!Act::is_identity) out.emplace_back(Act::torch_module);
    }
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
