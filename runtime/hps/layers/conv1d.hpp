// conv1d<Filters, Kernel, Padding, Act, Stride>: a 1-D convolution (cross-correlation, as
// in every framework) over channels-last sequences, activation fused.
//
//   x (L*C, B), one sample (L, C), C fastest; y (Lo*F, B), one sample (Lo, F)
//   patches P (K*C, Lo*B), row k = kk*C + c, column n = b*Lo + ol,
//     P(k, n) = x_b(ol*S - pad_left + kk, c) (0 outside the input)
//   forward   Z = W P + b, y = act(Z)
//   backward  dZ = dy * act'(y); dW += dZ P^T; db += rowsum(dZ);
//             dx = col2im(W^T dZ) (skipped when dx == nullptr)
//
// A sequence (L, C) is an image (1, L, C): conv1d is conv2d with a kernel of height 1, the
// direct convolution of hps/layers/conv_kernels.hpp (detail::conv::direct_conv, with
// depth and height 1). P is never built: each sample is read zero-padded to (Lp, C), where
// a patch is one contiguous run of K*C floats, and the kernels keep a register tile of Z
// (or dW, or dx) for the whole reduction, bias and ReLU applied in registers. OpenMP
// threads take samples (forward, dx) or tiles of dW (each summed over the batch by one
// thread in a fixed order): results do not depend on the thread count.
//
// Padding as conv2d's: valid (Lo = (L - K)/S + 1, floored) or same (Lo = ceil(L/S),
// TensorFlow's split: pad_total = max((Lo-1)*S + K - L, 0), pad_left = pad_total/2, the
// odd one on the right).
//
// Parameters: [W as the column-major (F, K*C) matrix, i.e. TensorFlow's (K, C, F) kernel
// in C order; then b (F)]. Scratch: conv2d's (direct_conv's): the padded samples
// (B, Lp, C), dZ (F', Lo*B) unless the activation is linear and F fills whole packets,
// W transposed for dx, W and b padded to whole packets of filters. backward overwrites the
// padded samples, so call it once per forward.
//
// PyTorch: nn.Conv1d(C, F, K, stride=S[, padding=p]) [, act], on the channels-first
// (N, C, L) tensor, with "nn.ConstantPad1d((left, right), 0.0)" in front when SAME padding
// is asymmetric (an even kernel or a stride > 1); weight exported as torch's (F, C, K).
#pragma once

#include "hps/activations.hpp"
#include "hps/core.hpp"
#include "hps/layers/common.hpp"
#include "hps/layers/conv2d.hpp"  // the padding tags
#include "hps/layers/conv_kernels.hpp"

#include <string>
#include <type_traits>
#include <vector>

namespace hps {

namespace detail {
// the engine of conv1d: conv3d's with depth and height 1 (conv_kernels.hpp), the input's
// dimensions read within bounds whatever its rank (conv1d_layer reports a wrong one)
template <class In, int Filters, int K, class Padding, class Act, int S, int B>
using conv1d_engine = conv::direct_conv<shape<1, 1, In::dims[0], In::dims[In::rank > 1 ? 1 : 0]>, shape<1, 1, K>, shape<1, 1, S>,
                                        Filters, Padding::is_same, Act, B>;
}  // namespace detail

template <class In, int Filters, int K, class Padding, class Act, int S, int B>
class conv1d_layer : public detail::conv1d_engine<In, Filters, K, Padding, Act, S, B> {
    using engine = detail::conv1d_engine<In, Filters, K, Padding, Act, S, B>;

public:
    // the shape rule (rules::conv, conv_kernels.hpp) and its refusals as readable messages
    static constexpr rules::outcome rule = rules::conv(dims_of<In>(), 1, Filters, {K, 1, 1}, {S, 1, 1}, Padding::is_same);
    static_assert(rule.why != rules::fault::wrong_rank,
                  "conv1d: the input must be a (length, channels) sequence, e.g. hps::shape<1024, 1>; "
                  "give a single-channel sequence a channel dimension of 1");
    static_assert(rule.why != rules::fault::kernel_too_large,
                  "conv1d: the kernel is longer than the input under VALID padding "
                  "(kernel size <= input length; the layer's template arguments above have the values); "
                  "use padding same or a smaller kernel");

    static constexpr int input_length = engine::input_width;
    static constexpr int kernel_size = K;
    static constexpr int out_length = rule.out[0];

    using in_shape = In;
    using out_shape = shape_from<rule.out>;  // (Lo, F)
    static constexpr std::size_t num_params = rule.params;

    // torch.nn.Conv1d: weight (F, C, K), bias (F).
    template <class Sink>
    void export_params(Sink& sink, const std::string& prefix) const {
        this->export_torch(sink, prefix, {K});
    }

    static void torch_modules(std::vector<std::string>& out) {
        std::string conv = "nn.Conv1d(" + std::to_string(engine::channels) + ", " + std::to_string(Filters) + ", " +
                           std::to_string(K) + ", stride=" + std::to_string(S);
        if constexpr (!engine::symmetric_padding) {
            out.push_back("nn.ConstantPad1d(" + detail::python_pair(engine::pad_left, engine::pad_right) + ", 0.0)");
        } else if constexpr (engine::pad_left > 0) {
            conv += ", padding=" + std::to_string(engine::pad_left);
        }
        out.push_back(conv + ")");
        if (!Act::is_identity) out.emplace_back(Act::torch_module);
    }
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
