// maxpool1d<P, S> and avgpool1d<P, S>: the maximum or the mean over each window of P
// steps, per channel, VALID, on channels-last sequences.
//
//   x (L*C, B), one sample (L, C); y (Lo*C, B), Lo = (L - P)/S + 1 (rules::pool,
//   pool_rule.hpp: sizes that leave trailing steps no whole window covers are refused at
//   compile time, as the spec checker refuses them)
//   maxpool1d  y = max over the window; the first maximum wins (PyTorch's rule), a NaN wins
//              over any number; backward dx = 0, then dx[argmax] += dy
//   avgpool1d  y = sum over the window / P; backward dx = 0, then dx[window] += dy / P
//   (overlapping windows add)
//
// Scratch (maxpool1d): the argmax of every output, the flat index in the sample stored in
// a float (exact below 2^24 values per sample). avgpool1d: none.
// PyTorch: nn.MaxPool1d(P, stride=S), nn.AvgPool1d(P, stride=S), on (N, C, L).
#pragma once

#include "hps/core.hpp"
#include "hps/layers/common.hpp"
#include "hps/layers/pool_rule.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace hps {

template <class In, int P, int S, int B>
class maxpool1d_layer {
public:
    // the shape rule (rules::pool, pool_rule.hpp) and its refusals as readable messages
    static constexpr rules::outcome rule = rules::pool(dims_of<In>(), 1, {P, 1, 1}, {S, 1, 1});
    HPS_POOL_RULE_CHECKS("maxpool1d", "a (length, channels) sequence, e.g. hps::shape<1024, 1>",
                         "longer than the input (window <= input length", "longer than the input (window <= input length",
                         "steps");
    static_assert(In::size < (1 << 24), "maxpool1d: a sample must have fewer than 2^24 values (argmax indices are kept in floats)");

    static constexpr int input_length = In::dims[0];
    static constexpr int channels = In::dims[In::rank > 1 ? 1 : 0];
    static constexpr int window = P;
    static constexpr int out_length = rule.out[0];
    static constexpr int out_sample = out_length * channels;

    using in_shape = In;
    using out_shape = shape_from<rule.out>;  // (Lo, C)
    static constexpr std::size_t num_params = rule.params;  // 0
    static constexpr std::size_t num_weights = 0;
    static constexpr std::size_t num_state = 0;
    static constexpr std::size_t scratch_size = std::size_t(out_sample) * B;  // argmax (Out, B)
    static constexpr bool is_view = false;
    static constexpr int torch_param_module = -1;

    void bind(float*, float*, float*, float* scratch) { argmax_ = scratch; }
    void init(rng&) {}

    void forward(const float* x, float* y, context&) {
        HPS_OMP(omp parallel for schedule(static) if (std::size_t(out_sample) * B >= 65536))
        for (int b = 0; b < B; ++b) {
            const float* xb = x + std::size_t(b) * In::size;
            for (int ol = 0; ol < out_length; ++ol) {
                const std::size_t o = std::size_t(b) * out_sample + std::size_t(ol) * channels;
                float* ym = y + o;
                float* am = argmax_ + o;
                const int first = ol * S * channels;
                for (int c = 0; c < channels; ++c) {
                    ym[c] = xb[first + c];
                    am[c] = float(first + c);
                }
                for (int k = 1; k < P; ++k) {
                    const int at = first + k * channels;
                    for (int c = 0; c < channels; ++c) {
                        const float v = xb[at + c];
                        if (v > ym[c] || std::isnan(v)) {  // PyTorch's test, NaN included
                            ym[c] = v;
                            am[c] = float(at + c);
                        }
                    }
                }
            }
        }
    }

    void backward(const float*, const float* y, const float* dy, float* dx, context&) {
        if (!dx) return;
        if constexpr (P == S)  // windows that tile the input: dx written once
            detail::max_pool_backward_tiled<1, 1, input_length, channels, 1, 1, P, B>(y, dy, argmax_, dx, relu_mask_);
        else
            detail::max_pool_backward(y, dy, argmax_, dx, In::size, out_sample, B, relu_mask_);
    }
    // ReLU's derivative for the convolution below, applied here (network.hpp's fold)
    void mask_relu() { relu_mask_ = true; }
    bool masks_relu() const { return relu_mask_; }

    template <class Sink>
    void export_params(Sink&, const std::string&) const {}
    static void torch_modules(std::vector<std::string>& out) {
        out.push_back("nn.MaxPool1d(" + std::to_string(P) + ", stride=" + std::to_string(S) + ")");
    }

private:
    float* argmax_ = nullptr;
    bool relu_mask_ = false;
};

template <class In, int P, int S, int B>
class avgpool1d_layer {
public:
    // the shape rule (rules::pool, pool_rule.hpp) and its refusals as readable messages
    static constexpr rules::outcome rule = rules::pool(dims_of<In>(), 1, {P, 1, 1}, {S, 1, 1});
    HPS_POOL_RULE_CHECKS("avgpool1d", "a (length, channels) sequence, e.g. hps::shape<1024, 1>",
                         "longer than the input (window <= input length", "longer than the input (window <= input length",
                         "steps");

    static constexpr int input_length = In::dims[0];
    static constexpr int channels = In::dims[In::rank > 1 ? 1 : 0];
    static constexpr int window = P;
    static constexpr int out_length = rule.out[0];
    static constexpr int out_sample = out_length * channels;

    using in_shape = In;
    using out_shape = shape_from<rule.out>;  // (Lo, C)
    static constexpr std::size_t num_params = rule.params;  // 0
    static constexpr std::size_t num_weights = 0;
    static constexpr std::size_t num_state = 0;
    static constexpr std::size_t scratch_size = 0;
    static constexpr bool is_view = false;
    static constexpr int torch_param_module = -1;

    void bind(float*, float*, float*, float*) {}
    void init(rng&) {}

    void forward(const float* x, float* y, context&) {
        constexpr float scale = 1.0f / float(P);
        HPS_OMP(omp parallel for schedule(static) if (std::size_t(out_sample) * B >= 65536))
        for (int b = 0; b < B; ++b) {
            const float* xb = x + std::size_t(b) * In::size;
            for (int ol = 0; ol < out_length; ++ol) {
                float* ym = y + std::size_t(b) * out_sample + std::size_t(ol) * channels;
                std::fill(ym, ym + channels, 0.0f);
                for (int k = 0; k < P; ++k) {
                    const float* src = xb + std::size_t(ol * S + k) * channels;
                    for (int c = 0; c < channels; ++c) ym[c] += src[c];
                }
                for (int c = 0; c < channels; ++c) ym[c] *= scale;
            }
        }
    }

    void backward(const float*, const float*, const float* dy, float* dx, context&) {
        if (!dx) return;
        constexpr float scale = 1.0f / float(P);
        HPS_OMP(omp parallel for schedule(static) if (std::size_t(out_sample) * B >= 65536))
        for (int b = 0; b < B; ++b) {
            float* dxb = dx + std::size_t(b) * In::size;
            std::fill(dxb, dxb + In::size, 0.0f);
            for (int ol = 0; ol < out_length; ++ol) {
                const float* g = dy + std::size_t(b) * out_sample + std::size_t(ol) * channels;
                for (int k = 0; k < P; ++k) {
                    float* dst = dxb + std::size_t(ol * S + k) * channels;
                    for (int c = 0; c < channels; ++c) dst[c] += g[c] * scale;
                }
            }
        }
    }

    template <class Sink>
    void export_params(Sink&, const std::string&) const {}
    static void torch_modules(std::vector<std::string>& out) {
        out.push_back("nn.AvgPool1d(" + std::to_string(P) + ", stride=" + std::to_string(S) + ")");
    }
};

// maxpool1d<2> is the usual window of 2 with stride 2.
template <int P, int S = P>
struct maxpool1d {
    static_assert(P > 0, "maxpool1d: the window must be > 0");
    static_assert(S > 0, "maxpool1d: the stride must be > 0");
    template <class In, int B>
    using impl = maxpool1d_layer<In, P, S, B>;
};

template <int P, int S = P>
struct avgpool1d {
    static_assert(P > 0, "avgpool1d: the window must be > 0");
    static_assert(S > 0, "avgpool1d: the stride must be > 0");
    template <class In, int B>
    using impl = avgpool1d_layer<In, P, S, B>;
};

}  // namespace hps
