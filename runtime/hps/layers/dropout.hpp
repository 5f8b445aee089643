// dropout<Rate>: inverted dropout; Rate is the share of units dropped (dropout<0.25>).
//
//   train  mask m = 1/(1 - Rate) with probability 1 - Rate, else 0 (one draw of ctx.gen
//          per value: uniform() >= Rate keeps it); y = m * x; backward dx = m * dy
//   infer  y = x; backward dx = dy
// A Keras/TF1 "keep probability" p is dropout<1 - p>. Scratch: the mask (In, B).
// PyTorch: nn.Dropout(p=Rate) (the same expectation; torch's random stream differs).
#pragma once

#include "hps/core.hpp"
#include "hps/layers/common.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace hps {

namespace rules {
// dropout: the shape kept, no parameters.
constexpr outcome dropout(dims in) {
    if (in.rank < 1) return refuse(fault::wrong_rank);
    return accept(in);
}
}  // namespace rules

template <class In, double Rate, int B>
class dropout_layer {
public:
    static constexpr rules::outcome rule = rules::dropout(dims_of<In>());
    static_assert(rule.out == dims_of<In>());  // out_shape is In itself: a flat_shape keeps its origin
    using in_shape = In;
    using out_shape = In;
    static constexpr std::size_t n = std::size_t(In::size) * B;
    static constexpr std::size_t num_params = rule.params;  // 0
    static constexpr std::size_t num_weights = 0;
    static constexpr std::size_t num_state = 0;
    static constexpr std::size_t scratch_size = n;  // mask (In, B)
    static constexpr bool is_view = false;
    static constexpr int torch_param_module = -1;
    static constexpr double rate = Rate;
    static constexpr float keep_scale = float(1.0 / (1.0 - Rate));

    void bind(float*, float*, float*, float* scratch) { mask_ = scratch; }
    void init(rng&) {}

    void forward(const float* x, float* y, context& ctx) {
        masked_ = ctx.mode == phase::train && Rate > 0;
        if (!masked_) {
            if (x != y) std::memcpy(y, x, sizeof(float) * n);
            return;
        }
        if (!ctx.gen) throw std::invalid_argument("dropout: the context has no random generator (set context::gen) in phase::train");
        rng& gen = *ctx.gen;
        for (std::size_t i = 0; i < n; ++i) mask_[i] = gen.uniform() >= Rate ? keep_scale : 0.0f;
        for (std::size_t i = 0; i < n; ++i) y[i] = x[i] * mask_[i];
    }

    // As the forward pass ran: masked in train, identity in infer.
    void backward(const float*, const float*, const float* dy, float* dx, context&) {
        if (!dx) return;
        if (!masked_) {
            if (dx != dy) std::memcpy(dx, dy, sizeof(float) * n);
            return;
        }
        for (std::size_t i = 0; i < n; ++i) dx[i] = dy[i] * mask_[i];
    }

    const float* mask() const { return mask_; }

    template <class Sink>
    void export_params(Sink&, const std::string&) const {}
    static void torch_modules(std::vector<std::string>& out) {
        out.push_back("nn.Dropout(p=" + detail::python_number(Rate) + ")");
    }

private:
    float* mask_ = nullptr;
    bool masked_ = false;
};

template <double Rate>
struct dropout {
    static_assert(Rate >= 0.0 && Rate < 1.0,
                  "dropout<Rate>: Rate is the share of units dropped, in [0, 1) (a keep probability p is dropout<1 - p>)");
    template <class In, int B>
    using impl = dropout_layer<In, Rate, B>;
};

}  // namespace hps
