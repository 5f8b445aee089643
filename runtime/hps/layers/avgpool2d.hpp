// avgpool2d<PH, PW, SH, SW>: the mean over each PH x PW window, per channel, VALID.
//
//   x (H*W*C, B), one sample (H, W, C); y (Ho*Wo*C, B), Ho = (H - PH)/SH + 1 (rules::pool:
//   sizes a window does not divide are refused, as maxpool2d's)
//   forward   y = sum over the window / (PH*PW)
//   backward  dx = 0, then dx[window] += dy / (PH*PW) (overlapping windows add)
//
// No parameters, no scratch. PyTorch: nn.AvgPool2d((PH, PW), stride=(SH, SW)).
#pragma once

#include "hps/core.hpp"
#include "hps/layers/common.hpp"
#include "hps/layers/pool_rule.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace hps {

template <class In, int PH, int PW, int SH, int SW, int B>
class avgpool2d_layer {
public:
    // the shape rule (rules::pool, pool_rule.hpp) and its refusals as readable messages
    static constexpr rules::outcome rule = rules::pool(dims_of<In>(), 2, {PH, PW, 1}, {SH, SW, 1});
    HPS_POOL_RULE_CHECKS("avgpool2d", "a (height, width, channels) image, e.g. hps::shape<28, 28, 1>",
                         "taller than the input (window height <= input height",
                         "wider than the input (window width <= input width", "rows or columns");

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
    static constexpr std::size_t scratch_size = 0;
    static constexpr bool is_view = false;
    static constexpr int torch_param_module = -1;

    void bind(float*, float*, float*, float*) {}
    void init(rng&) {}

    void forward(const float* x, float* y, context&) {
        constexpr float scale = 1.0f / float(PH * PW);
        HPS_OMP(omp parallel for schedule(static) if (std::size_t(out_sample) * B >= 65536))
        for (int bo = 0; bo < B * out_height; ++bo) {
            const int b = bo / out_height, oh = bo % out_height;
            const float* xb = x + std::size_t(b) * In::size;
            for (int ow = 0; ow < out_width; ++ow) {
                float* ym = y + std::size_t(b) * out_sample + (std::size_t(oh) * out_width + ow) * channels;
                std::fill(ym, ym + channels, 0.0f);
                for (int kh = 0; kh < PH; ++kh)
                    for (int kw = 0; kw < PW; ++kw) {
                        const float* src = xb + ((oh * SH + kh) * input_width + ow * SW + kw) * channels;
                        for (int c = 0; c < channels; ++c) ym[c] += src[c];
                    }
                for (int c = 0; c < channels; ++c) ym[c] *= scale;
            }
        }
    }

    void backward(const float*, const float*, const float* dy, float* dx, context&) {
        if (!dx) return;
        constexpr float scale = 1.0f / float(PH * PW);
        HPS_OMP(omp parallel for schedule(static) if (std::size_t(out_sample) * B >= 65536))
        for (int b = 0; b < B; ++b) {
            float* dxb = dx + std::size_t(b) * In::size;
            std::fill(dxb, dxb + In::size, 0.0f);
            for (int oh = 0; oh < out_height; ++oh)
                for (int ow = 0; ow < out_width; ++ow) {
                    const float* g = dy + std::size_t(b) * out_sample + (std::size_t(oh) * out_width + ow) * channels;
                    for (int kh = 0; kh < PH; ++kh)
                        for (int kw = 0; kw < PW; ++kw) {
                            float* dst = dxb + ((oh * SH + kh) * input_width + ow * SW + kw) * channels;
                            for (int c = 0; c < channels; ++c) dst[c] += g[c] * scale;
                        }
                }
        }
    }

    template <class Sink>
    void export_params(Sink&, const std::string&) const {}
    static void torch_modules(std::vector<std::string>& out) {
        out.push_back("nn.AvgPool2d(" + detail::python_pair(PH, PW) + ", stride=" + detail::python_pair(SH, SW) + ")");
    }
};

// avgpool2d<2> is the usual 2 x 2 window with stride 2.
template <int PH, int PW = PH, int SH = PH, int SW = PW>
struct avgpool2d {
    static_assert(PH > 0 && PW > 0, "avgpool2d: the window's height and width must be > 0");
    static_assert(SH > 0 && SW > 0, "avgpool2d: the strides must be > 0");
    template <class In, int B>
    using impl = avgpool2d_layer<In, PH, PW, SH, SW, B>;
};

}  // namespace hps
