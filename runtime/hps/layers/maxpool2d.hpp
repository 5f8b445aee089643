// maxpool2d<PH, PW, SH, SW>: the maximum over each PH x PW window, per channel, VALID.
//
//   x (H*W*C, B), one sample (H, W, C); y (Ho*Wo*C, B), Ho = (H - PH)/SH + 1 (rules::pool,
//   pool_rule.hpp: sizes that leave trailing rows or columns no whole window covers are
//   refused at compile time, as the spec checker refuses them, not floored)
//   forward   y = max over the window; the first maximum in row-major window order wins
//             (PyTorch's rule); a NaN wins over any number (it propagates)
//   backward  dx = 0, then dx[argmax] += dy (overlapping windows add); where the windows
//             tile the input, each value of dx written once instead (the same bits)
//
// Scratch: the argmax of every output, as the flat index in the sample stored in a float
// (exact: the sample has fewer than 2^24 floats).
// PyTorch: nn.MaxPool2d((PH, PW), stride=(SH, SW)).
#pragma once

#include "hps/core.hpp"
#include "hps/layers/common.hpp"
#include "hps/layers/pool_rule.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

// Eigen's packet types (__m512 and kin) as template arguments: GCC notes that their
// alignment attributes are not part of the type, which is harmless here (Eigen silences
// the same note in its own headers).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-attributes"

namespace hps {

template <class In, int PH, int PW, int SH, int SW, int B>
class maxpool2d_layer {
public:
    // the shape rule (rules::pool, pool_rule.hpp) and its refusals as readable messages
    static constexpr rules::outcome rule = rules::pool(dims_of<In>(), 2, {PH, PW, 1}, {SH, SW, 1});
    HPS_POOL_RULE_CHECKS("maxpool2d", "a (height, width, channels) image, e.g. hps::shape<28, 28, 1>",
                         "taller than the input (window height <= input height",
                         "wider than the input (window width <= input width", "rows or columns");
    static_assert(In::size < (1 << 24), "maxpool2d: a sample must have fewer than 2^24 values (argmax indices are kept in floats)");

    static constexpr int input_height = In::dims[0];
    static constexpr int input_width = In::dims[In::rank > 1 ? 1 : 0];
    static constexpr int channels = In::dims[In::rank > 2 ? 2 : 0];
    static constexpr int window_height = PH;
    static constexpr int window_width = PW;
    static constexpr int out_height = rule.out[0];
    static constexpr int out_width = rule.out[1];
    static constexpr int out_sample = out_height * out_width * channels;

    using in_shape = In;
    using out_shape = shape_from<rule.out>;  // (Ho, Wo, C)
    static constexpr std::size_t num_params = rule.params;  // 0
    static constexpr std::size_t num_weights = 0;
    static constexpr std::size_t num_state = 0;
    static constexpr std::size_t scratch_size = std::size_t(out_sample) * B;  // argmax (Out, B)
    static constexpr bool is_view = false;
    static constexpr int torch_param_module = -1;

    void bind(float*, float*, float*, float* scratch) { argmax_ = scratch; }
    void init(rng&) {}

    // Branch-free over packets of channels (comparisons become vector selects): a data-
    // dependent branch per value mispredicts half the time on real activations.
    void forward(const float* x, float* y, context&) {
        namespace ei = Eigen::internal;
        using packet = ei::packet_traits<float>::type;
        constexpr int lanes = int(ei::unpacket_traits<packet>::size);
        constexpr int vector_channels = lanes > 1 ? channels / lanes * lanes : 0;
        HPS_OMP(omp parallel for schedule(static) if (std::size_t(out_sample) * B >= 65536 && detail::usable_threads() > 1))
        for (int bo = 0; bo < B * out_height; ++bo) {
            const int b = bo / out_height, oh = bo % out_height;
            const float* xb = x + std::size_t(b) * In::size;
            for (int ow = 0; ow < out_width; ++ow) {
                const std::size_t o = std::size_t(b) * out_sample + (std::size_t(oh) * out_width + ow) * channels;
                float* ym = y + o;
                float* am = argmax_ + o;
                const int first = (oh * SH * input_width + ow * SW) * channels;
                for (int c = 0; c < vector_channels; c += lanes) {
                    packet best = ei::ploadu<packet>(xb + first + c);
                    packet arg = ei::plset<packet>(float(first + c));
                    for (int kh = 0; kh < PH; ++kh) {
                        for (int kw = 0; kw < PW; ++kw) {
                            if (kh == 0 && kw == 0) continue;
                            const int at = ((oh * SH + kh) * input_width + ow * SW + kw) * channels + c;
                            const packet v = ei::ploadu<packet>(xb + at);
                            const packet take = ei::por(ei::pcmp_lt(best, v), ei::pandnot(ei::ptrue(v), ei::pcmp_eq(v, v)));  // torch: v > best or v is NaN
                            best = ei::pselect(take, v, best);
                            arg = ei::pselect(take, ei::plset<packet>(float(at)), arg);
                        }
                    }
                    ei::pstoreu(ym + c, best);
                    ei::pstoreu(am + c, arg);
                }
                for (int c = vector_channels; c < channels; ++c) {
                    float best = xb[first + c], arg = float(first + c);
                    for (int kh = 0; kh < PH; ++kh) {
                        for (int kw = 0; kw < PW; ++kw) {
                            const int at = ((oh * SH + kh) * input_width + ow * SW + kw) * channels + c;
                            const float v = xb[at];
                            if (v > best || std::isnan(v)) {  // PyTorch's test, NaN included
                                best = v;
                                arg = float(at);
                            }
                        }
                    }
                    ym[c] = best;
                    am[c] = arg;
                }
            }
        }
    }

    void backward(const float*, const float* y, const float* dy, float* dx, context&) {
        if (!dx) return;
        if constexpr (PH == SH && PW == SW)  // windows that tile the input: dx written once
            detail::max_pool_backward_tiled<1, input_height, input_width, channels, 1, PH, PW, B>(y, dy, argmax_, dx, relu_mask_);
        else detail::max_pool_backward(y, dy, argmax_, dx, In::size, out_sample, B, relu_mask_);
    }
    // ReLU's derivative for the convolution below, applied here (network.hpp's fold)
    void mask_relu() { relu_mask_ = true; }
    bool masks_relu() const { return relu_mask_; }

    template <class Sink>
    void export_params(Sink&, const std::string&) const {}
    static void torch_modules(std::vector<std::string>& out) {
        out.push_back("nn.MaxPool2d(" + detail::python_pair(PH, PW) + ", stride=" + detail::python_pair(SH, SW) + ")");
    }

private:
    float* argmax_ = nullptr;
    bool relu_mask_ = false;
};

// maxpool2d<2> is the usual 2 x 2 window with stride 2.
template <int PH, int PW = PH, int SH = PH, int SW = PW>
struct maxpool2d {
    static_assert(PH > 0 && PW > 0, "maxpool2d: the window's height and width must be > 0");
    static_assert(SH > 0 && SW > 0, "maxpool2d: the strides must be > 0");
    template <class In, int B>
    using impl = maxpool2d_layer<In, PH, PW, SH, SW, B>;
};

}  // namespace hps

#pragma GCC diagnostic pop
