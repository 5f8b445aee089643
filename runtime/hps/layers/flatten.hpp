// flatten: the sample as one vector. Our samples are already flat in memory
// (channels-last), so flatten is a view: no copy, no work, forward or backward.
//
// Its out_shape is flat_shape<In>: a shape<In::size> that remembers the shape it came
// from, because PyTorch's nn.Flatten orders a sample channels-first (C, H, W) and a dense
// layer further on (possibly after dropout or an activation, which keep the shape) must
// export its weight columns in that order. Everything else sees shape<In::size>.
#pragma once

#include "hps/core.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace hps {

namespace rules {
// flatten: every value of the sample in one dimension, refused past 2^31 - 1 values (an
// int counts them everywhere); no parameters.
constexpr outcome flatten(dims in) {
    if (in.rank < 1) return refuse(fault::wrong_rank);
    if (in.size() > 2147483647) return refuse(fault::too_large);
    return accept(make(int(in.size())));
}
}  // namespace rules

template <class Origin>
struct flat_shape : shape_from<rules::flatten(dims_of<Origin>()).out> {
    using origin = Origin;
};

template <class Origin>
inline constexpr bool is_shape<flat_shape<Origin>> = true;

// flatten_origin<S>::type: the shape whose torch flatten order a flat S follows.
template <class S>
struct flatten_origin {
    using type = S;
};
template <class Origin>
struct flatten_origin<flat_shape<Origin>> {
    using type = typename flatten_origin<Origin>::type;
};

struct flatten {
    template <class In, int B>
    class impl {
    public:
        static constexpr rules::outcome rule = rules::flatten(dims_of<In>());
        using in_shape = In;
        using out_shape = flat_shape<In>;  // shape_from<rule.out>, with its origin
        static constexpr std::size_t num_params = rule.params;  // 0
        static constexpr std::size_t num_weights = 0;
        static constexpr std::size_t num_state = 0;
        static constexpr std::size_t scratch_size = 0;
        static constexpr bool is_view = true;
        static constexpr int torch_param_module = -1;

        void bind(float*, float*, float*, float*) {}
        void init(rng&) {}
        // never called by the network (is_view); kept correct for direct use
        void forward(const float* x, float* y, context&) {
            if (x != y) std::copy(x, x + std::size_t(In::size) * B, y);
        }
        void backward(const float*, const float*, const float* dy, float* dx, context&) {
            if (dx && dx != dy) std::copy(dy, dy + std::size_t(In::size) * B, dx);
        }
        template <class Sink>
        void export_params(Sink&, const std::string&) const {}
        static void torch_modules(std::vector<std::string>& out) { out.emplace_back("nn.Flatten()"); }
    };
};

}  // namespace hps
