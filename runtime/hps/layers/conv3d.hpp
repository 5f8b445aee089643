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
//   forward   Z = W P + b, y = act(Z)
//   backward  dZ = dy * act'(y); dW += dZ P^T; db += rowsum(dZ);
//             dx = col2im(W^T dZ) (skipped when dx == nullptr)
//
// P is never built: conv3d is the direct convolution of hps/layers/conv_kernels.hpp
// (detail::conv::direct_conv, which conv2d and conv1d share). Each sample is read
// zero-padded to (Dp, Hp, Wp, C); a patch is K*K kernel rows (kd, kh), each a contiguous
// run of K*C floats in the padded volume, and the kernels keep a register tile of Z (or
// dW, or dx) for the whole reduction, bias and ReLU applied in registers. OpenMP threads
// take samples (forward, dx) or tiles of dW (each summed over the batch by one thread in a
// fixed order): results do not depend on the thread count.
//
// Padding per dimension as conv2d: valid (Do = (D - K)/S + 1, floored) or same
// (Do = ceil(D/S), TensorFlow's split: the odd padding at the back/bottom/right).
//
// Parameters: [W as the column-major (F, K3C) matrix, i.e. TensorFlow's (K, K, K, C, F)
// kernel in C order; then b (F)]. Scratch: the padded samples (B, Dp, Hp, Wp, C), dZ
// (F', Do*Ho*Wo*B) unless the activation is linear and F fills whole packets, W transposed
// per kernel row for dx, W and b padded to whole packets of filters. backward overwrites
// the padded samples, so call it once per forward.
//
// PyTorch: nn.Conv3d(C, F, (K, K, K), stride=(S, S, S)[, padding=(p, p, p)]) [, act], with
// "nn.ConstantPad3d((left, right, top, bottom, front, back), 0.0)" in front when SAME
// padding is asymmetric (an even kernel or a stride > 1); weight exported as torch's
// (F, C, KD, KH, KW). torch takes the batch as (N, C, D, H, W): x.permute(0, 4, 1, 2, 3).
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
// the engine of conv3d (conv_kernels.hpp), the input's dimensions read within bounds
// whatever its rank (conv3d_layer reports a wrong one)
template <class In, int Filters, int K, class Padding, class Act, int S, int B>
using conv3d_engine = conv::direct_conv<shape<In::dims[0], In::dims[In::rank > 1 ? 1 : 0], In::dims[In::rank > 2 ? 2 : 0],
                                              In::dims[In::rank > 3 ? 3 : 0]>,
                                        shape<K, K, K>, shape<S, S, S>, Filters, Padding::is_same, Act, B>;
}  // namespace detail

template <class In, int Filters, int K, class Padding, class Act, int S, int B>
class conv3d_layer : public detail::conv3d_engine<In, Filters, K, Padding, Act, S, B> {
    using engine = detail::conv3d_engine<In, Filters, K, Padding, Act, S, B>;

public:
    // the shape rule (rules::conv, conv_kernels.hpp) and its refusals as readable messages
    static constexpr rules::outcome rule = rules::conv(dims_of<In>(), 3, Filters, {K, K, K}, {S, S, S}, Padding::is_same);
    static_assert(rule.why != rules::fault::wrong_rank,
                  "conv3d: the input must be a (depth, height, width, channels) volume, e.g. hps::shape<32, 32, 32, 1>; "
                  "give a single-channel volume a channel dimension of 1");
    static_assert(rule.why != rules::fault::kernel_too_large,
                  "conv3d: the kernel is larger than the input under VALID padding (kernel size <= input depth, "
                  "height and width; the layer's template arguments above have the values); use padding same or a "
                  "smaller kernel");

    static constexpr int kernel_size = K;

    using in_shape = In;
    using out_shape = shape_from<rule.out>;  // (Do, Ho, Wo, F)
    static constexpr std::size_t num_params = rule.params;

    // torch.nn.Conv3d: weight (F, C, KD, KH, KW), bias (F).
    template <class Sink>
    void export_params(Sink& sink, const std::string& prefix) const {
        this->export_torch(sink, prefix, {K, K, K});
    }

    static void torch_modules(std::vector<std::string>& out) {
        std::string conv = "nn.Conv3d(" + std::to_string(engine::channels) + ", " + std::to_string(Filters) + ", " +
                           triple(K, K, K) + ", stride=" + triple(S, S, S);
        if constexpr (!engine::symmetric_padding) {
            out.push_back("nn.ConstantPad3d((" + std::to_string(engine::pad_left) + ", " + std::to_string(engine::pad_right) +
                          ", " + std::to_string(engine::pad_top) + ", " + std::to_string(engine::pad_bottom) + ", " +
                          std::to_string(engine::pad_front) + ", " + std::to_string(engine::pad_back) + "), 0.0)");
        } else if constexpr (engine::pad_front > 0 || engine::pad_top > 0 || engine::pad_left > 0) {
            conv += ", padding=" + triple(engine::pad_front, engine::pad_top, engine::pad_left);
        }
        out.push_back(conv + ")");
        if (!Act::is_identity) out.emplace_back(Act::torch_module);
    }

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
