// maxpool3d<P, S>, avgpool3d<P, S>: the maximum or the mean over each P x P x P window,
// per channel, VALID; maxpool2d and avgpool2d one dimension up.
//
//   x (D*H*W*C, B), one sample (D, H, W, C); y (Do*Ho*Wo*C, B), Do = (D - P)/S + 1
//   (rules::pool, pool_rule.hpp: sizes a window cannot tile are refused at compile time, as
//   the spec checker refuses them)
//   maxpool3d  forward   y = max over the window; the first maximum in (d, h, w) order wins
//                        (PyTorch's rule); a NaN wins over any number
//              backward  dx = 0, then dx[argmax] += dy (overlapping windows add)
//              scratch   the argmax of every output, as the flat index in the sample stored
//                        in a float (exact: the sample has fewer than 2^24 floats)
//   avgpool3d  forward   y = sum over the window / P^3
//              backward  dx = 0, then dx[window] += dy / P^3
//
// PyTorch: nn.MaxPool3d((P, P, P), stride=(S, S, S)), nn.AvgPool3d((P, P, P), stride=(S, S, S)).
#pragma once

#include "hps/core.hpp"
#include "hps/layers/common.hpp"
#include "hps/layers/pool_rule.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace hps {

namespace detail {

// What maxpool3d and avgpool3d share: the sizes, their checks and the torch text.
template <class In, int P, int S, int B>
struct pool3d_shape {
    // the shape rule (rules::pool, pool_rule.hpp) and its refusals as readable messages
    static constexpr rules::outcome rule = rules::pool(dims_of<In>(), 3, {P, P, P}, {S, S, S});
    HPS_POOL_RULE_CHECKS("pool3d", "a (depth, height, width, channels) volume, e.g. hps::shape<32, 32, 32, 1>",
                         "larger than the input (window <= input depth, height and width",
                         "larger than the input (window <= input depth, height and width", "planes");
    static constexpr int input_depth = In::dims[0];
    static constexpr int input_height = In::dims[In::rank > 1 ? 1 : 0];
    static constexpr int input_width = In::dims[In::rank > 2 ? 2 : 0];
    static constexpr int channels = In::dims[In::rank > 3 ? 3 : 0];
    static constexpr int window = P;
    static constexpr int out_depth = rule.out[0];
    static constexpr int out_height = rule.out[1];
    static constexpr int out_width = rule.out[2];
    static constexpr int out_sample = out_depth * out_height * out_width * channels;
    static constexpr int out_rows = B * out_depth * out_height;  // (b, od, oh): the parallel loop

    using out_shape = shape_from<rule.out>;  // (Do, Ho, Wo, C)

    // offset in a sample of voxel (d, h, w), channel 0
    static constexpr int at(int d, int h, int w) { return ((d * input_height + h) * input_width + w) * channels; }

    static std::string torch(const char* module) {
        const std::string p = std::to_string(P), s = std::to_string(S);
        return std::string(module) + "((" + p + ", " + p + ", " + p + "), stride=(" + s + ", " + s + ", " + s + "))";
    }
};

}  // namespace detail

template <class In, int P, int S, int B>
class maxpool3d_layer : public detail::pool3d_shape<In, P, S, B> {
    using geo = detail::pool3d_shape<In, P, S, B>;
    static_assert(In::size < (1 << 24), "maxpool3d: a sample must have fewer than 2^24 values (argmax indices are kept in floats)");

public:
    using in_shape = In;
    using out_shape = typename geo::out_shape;
    static constexpr std::size_t num_params = geo::rule.params;  // 0
    static constexpr std::size_t num_weights = 0;
    static constexpr std::size_t num_state = 0;
    static constexpr std::size_t scratch_size = std::size_t(geo::out_sample) * B;  // argmax (Out, B)
    static constexpr bool is_view = false;
    static constexpr int torch_param_module = -1;

    void bind(float*, float*, float*, float* scratch) { argmax_ = scratch; }
    void init(rng&) {}

    void forward(const float* x, float* y, context&) {
        constexpr int C = geo::channels;
        HPS_OMP(omp parallel for schedule(static) if (std::size_t(geo::out_sample) * B >= 65536))
        for (int r = 0; r < geo::out_rows; ++r) {
            const int b = r / (geo::out_depth * geo::out_height);
            const int od = (r / geo::out_height) % geo::out_depth, oh = r % geo::out_height;
            const float* xb = x + std::size_t(b) * In::size;
            for (int ow = 0; ow < geo::out_width; ++ow) {
                const std::size_t o = std::size_t(r) * geo::out_width * C + std::size_t(ow) * C;
                float* ym = y + o;
                float* am = argmax_ + o;
                const int first = geo::at(od * S, oh * S, ow * S);
                for (int c = 0; c < C; ++c) {
                    ym[c] = xb[first + c];
                    am[c] = float(first + c);
                }
                for (int kd = 0; kd < P; ++kd)
                    for (int kh = 0; kh < P; ++kh)
                        for (int kw = 0; kw < P; ++kw) {
                            if (kd == 0 && kh == 0 && kw == 0) continue;
                            const int at = geo::at(od * S + kd, oh * S + kh, ow * S + kw);
                            for (int c = 0; c < C; ++c) {
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
            detail::max_pool_backward_tiled<geo::input_depth, geo::input_height, geo::input_width, geo::channels, P, P, P, B>(
                y, dy, argmax_, dx, relu_mask_);
        else
            detail::max_pool_backward(y, dy, argmax_, dx, In::size, geo::out_sample, B, relu_mask_);
    }
    // ReLU's derivative for the convolution below, applied here (network.hpp's fold)
    void mask_relu() { relu_mask_ = true; }
    bool masks_relu() const { return relu_mask_; }

    template <class Sink>
    void export_params(Sink&, const std::string&) const {}
    static void torch_modules(std::vector<std::string>& out) { out.push_back(geo::torch("nn.MaxPool3d")); }

private:
    float* argmax_ = nullptr;
    bool relu_mask_ = false;
};

template <class In, int P, int S, int B>
class avgpool3d_layer : public detail::pool3d_shape<In, P, S, B> {
    using geo = detail::pool3d_shape<In, P, S, B>;

public:
    using in_shape = In;
    using out_shape = typename geo::out_shape;
    static constexpr std::size_t num_params = geo::rule.params;  // 0
    static constexpr std::size_t num_weights = 0;
    static constexpr std::size_t num_state = 0;
    static constexpr std::size_t scratch_size = 0;
    static constexpr bool is_view = false;
    static constexpr int torch_param_module = -1;

    void bind(float*, float*, float*, float*) {}
    void init(rng&) {}

    void forward(const float* x, float* y, context&) {
        constexpr int C = geo::channels;
        constexpr float scale = 1.0f / float(P * P * P);
        HPS_OMP(omp parallel for schedule(static) if (std::size_t(geo::out_sample) * B >= 65536))
        for (int r = 0; r < geo::out_rows; ++r) {
            const int b = r / (geo::out_depth * geo::out_height);
            const int od = (r / geo::out_height) % geo::out_depth, oh = r % geo::out_height;
            const float* xb = x + std::size_t(b) * In::size;
            for (int ow = 0; ow < geo::out_width; ++ow) {
                float* ym = y + std::size_t(r) * geo::out_width * C + std::size_t(ow) * C;
                std::fill(ym, ym + C, 0.0f);
                for (int kd = 0; kd < P; ++kd)
                    for (int kh = 0; kh < P; ++kh)
                        for (int kw = 0; kw < P; ++kw) {
                            const float* src = xb + geo::at(od * S + kd, oh * S + kh, ow * S + kw);
                            for (int c = 0; c < C; ++c) ym[c] += src[c];
                        }
                for (int c = 0; c < C; ++c) ym[c] *= scale;
            }
        }
    }

    void backward(const float*, const float*, const float* dy, float* dx, context&) {
        if (!dx) return;
        constexpr int C = geo::channels;
        constexpr float scale = 1.0f / float(P * P * P);
        HPS_OMP(omp parallel for schedule(static) if (std::size_t(geo::out_sample) * B >= 65536))
        for (int b = 0; b < B; ++b) {
            float* dxb = dx + std::size_t(b) * In::size;
            std::fill(dxb, dxb + In::size, 0.0f);
            for (int od = 0; od < geo::out_depth; ++od)
                for (int oh = 0; oh < geo::out_height; ++oh)
                    for (int ow = 0; ow < geo::out_width; ++ow) {
                        const float* g = dy + std::size_t(b) * geo::out_sample +
                                         ((std::size_t(od) * geo::out_height + oh) * geo::out_width + ow) * C;
                        for (int kd = 0; kd < P; ++kd)
                            for (int kh = 0; kh < P; ++kh)
                                for (int kw = 0; kw < P; ++kw) {
                                    float* dst = dxb + geo::at(od * S + kd, oh * S + kh, ow * S + kw);
                                    for (int c = 0; c < C; ++c) dst[c] += g[c] * scale;
                                }
                    }
        }
    }

    template <class Sink>
    void export_params(Sink&, const std::string&) const {}
    static void torch_modules(std::vector<std::string>& out) { out.push_back(geo::torch("nn.AvgPool3d")); }
};

// maxpool3d<2> is the usual 2 x 2 x 2 window with stride 2.
template <int P, int S = P>
struct maxpool3d {
    static_assert(P > 0, "maxpool3d: the window must be > 0");
    static_assert(S > 0, "maxpool3d: the stride must be > 0");
    template <class In, int B>
    using impl = maxpool3d_layer<In, P, S, B>;
};

// avgpool3d<2> is the usual 2 x 2 x 2 window with stride 2.
template <int P, int S = P>
struct avgpool3d {
    static_assert(P > 0, "avgpool3d: the window must be > 0");
    static_assert(S > 0, "avgpool3d: the stride must be > 0");
    template <class In, int B>
    using impl = avgpool3d_layer<In, P, S, B>;
};

}  // namespace hps
