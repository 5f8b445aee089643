// globalavgpool: the mean of each channel over every spatial position.
//
//   x (S*C, B), one sample channels-last (d0, ..., C) of rank >= 2, S = d0 * ... (every
//   dimension but the last); y (C, B)
//   forward   y_c = sum over positions of x(., c) / S
//   backward  dx(., c) = dy_c / S
//
// No parameters, no scratch. PyTorch, on the channels-first tensor:
// nn.AdaptiveAvgPool1d(1) (rank 2: a sequence), nn.AdaptiveAvgPool2d(1) (rank 3: an image)
// or nn.AdaptiveAvgPool3d(1) (rank 4: a volume), then nn.Flatten().
#pragma once

#include "hps/core.hpp"
#include "hps/layers/common.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace hps {

namespace rules {
// globalavgpool: a sequence (L, C), an image (H, W, C) or a volume (D, H, W, C) to its
// channels (C); no parameters.
constexpr outcome globalavgpool(dims in) {
    if (in.rank < 2 || in.rank > 4) return refuse(fault::wrong_rank);
    return accept(make(in.channels()));
}
}  // namespace rules

template <class In, int B>
class globalavgpool_layer {
public:
    static constexpr rules::outcome rule = rules::globalavgpool(dims_of<In>());
    static_assert(rule.why != rules::fault::wrong_rank,
                  "globalavgpool: the input must be a sequence (L, C), an image (H, W, C) or a volume (D, H, W, C), "
                  "channels last");

    static constexpr int channels = In::dims[In::rank - 1];
    static constexpr int positions = In::size / channels;

    using in_shape = In;
    using out_shape = shape_from<rule.out>;  // (C)
    static constexpr std::size_t num_params = rule.params;  // 0
    static constexpr std::size_t num_weights = 0;
    static constexpr std::size_t num_state = 0;
    static constexpr std::size_t scratch_size = 0;
    static constexpr bool is_view = false;
    static constexpr int torch_param_module = -1;

    void bind(float*, float*, float*, float*) {}
    void init(rng&) {}

    void forward(const float* x, float* y, context&) {
        // a sample is the column-major (C, S) matrix: its row means are y
        for (int b = 0; b < B; ++b) {
            const detail::const_mat_view X(x + std::size_t(b) * In::size, channels, positions);
            detail::vec_view(y + std::size_t(b) * channels, channels) = X.rowwise().sum() * (1.0f / float(positions));
        }
    }

    void backward(const float*, const float*, const float* dy, float* dx, context&) {
        if (!dx) return;
        // (plain loops: Eigen's DX.colwise() = dy * s evaluates dy * s into a temporary it
        // allocates, once per sample)
        const float scale = 1.0f / float(positions);
        for (int b = 0; b < B; ++b) {
            const float* g = dy + std::size_t(b) * channels;
            float* d = dx + std::size_t(b) * In::size;
            for (int p = 0; p < positions; ++p)
                for (int c = 0; c < channels; ++c) d[std::size_t(p) * channels + c] = g[c] * scale;
        }
    }

    template <class Sink>
    void export_params(Sink&, const std::string&) const {}
    static void torch_modules(std::vector<std::string>& out) {
        out.push_back("nn.AdaptiveAvgPool" + std::to_string(In::rank - 1) + "d(1)");
        out.emplace_back("nn.Flatten()");
    }
};

struct globalavgpool {
    template <class In, int B>
    using impl = globalavgpool_layer<In, B>;
};

}  // namespace hps
