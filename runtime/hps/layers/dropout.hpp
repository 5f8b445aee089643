// dropout<Rate>: inverted dropout; Rate is the share of units dropped (dropout<0.25>).
// dropout<> takes its rate at run time: set("rate", r) before training (a generated
// trainer sets it from the point's settings file, so points that differ only in their
// rates share one trainer). Until then it refuses to train.
//
//   train  mask m = 1/(1 - rate) with probability 1 - rate, else 0; y = m * x; backward
//          dx = m * dy. One draw of ctx.gen per pass seeds the mask: value i is kept when
//          u_i >= rate, u_i the top 53 bits of splitmix64(seed + (i + 1) * golden) over
//          2^53, so threads draw parts of the mask side by side and the mask does not
//          depend on how many (docs/design.md section 24)
//   infer  y = x; backward dx = dy
// A Keras/TF1 "keep probability" p is dropout<1 - p>. Scratch: the mask (In, B).
// PyTorch: nn.Dropout(p=rate) (the same expectation; torch's random stream differs).
#pragma once

#include "hps/core.hpp"
#include "hps/layers/common.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace hps {

namespace rules {
// dropout: the shape kept, no parameters.
constexpr outcome dropout(dims in) {
    if (in.rank < 1) return refuse(fault::wrong_rank);
    return accept(in);
}
}  // namespace rules

// Rate < 0: given at run time (dropout<>)
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

    // the share of units dropped in training; below 0 until set (dropout<>)
    double rate() const { return rate_; }

    std::string set(std::string_view name, double value) {
        if (name != "rate") return "dropout has no run-time setting '" + std::string(name) + "' (only rate)";
        if (!(value >= 0 && value < 1))
            return "dropout's rate is the share of units dropped, in [0, 1), not " + detail::python_number(value);
        rate_ = value;
        keep_scale_ = float(1.0 / (1.0 - value));
        return "";
    }
    std::string missing() const { return rate_ < 0 ? "dropout's rate" : ""; }

    void bind(float*, float*, float*, float* scratch) { mask_ = scratch; }
    void init(rng&) {}

    void forward(const float* x, float* y, context& ctx) {
        if (rate_ < 0 && ctx.mode == phase::train)
            throw std::invalid_argument("dropout<>: no rate set (set(\"rate\", r) before training)");
        masked_ = ctx.mode == phase::train && rate_ > 0;
        if (!masked_) {
            if (x != y) std::memcpy(y, x, sizeof(float) * n);
            return;
        }
        if (!ctx.gen) throw std::invalid_argument("dropout: the context has no random generator (set context::gen) in phase::train");
        const std::uint64_t seed = ctx.gen->next();
        // u >= rate, u = (h >> 11) / 2^53, is (h >> 11) >= ceil(rate * 2^53): exact in integers
        const std::uint64_t least = std::uint64_t(std::ceil(rate_ * 0x1.0p53));
        const float keep = keep_scale_;
        float* mask = mask_;
        HPS_OMP(omp parallel for schedule(static) if (n >= 65536 && detail::usable_threads() > 1))
        for (std::size_t i = 0; i < n; ++i) {
            mask[i] = (splitmix64(seed + (i + 1) * 0x9E3779B97F4A7C15ull) >> 11) >= least ? keep : 0.0f;
            y[i] = x[i] * mask[i];
        }
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
    void torch_modules(std::vector<std::string>& out) const {
        out.push_back("nn.Dropout(p=" + detail::python_number(rate_ < 0 ? 0.0 : rate_) + ")");
    }

private:
    float* mask_ = nullptr;
    bool masked_ = false;
    double rate_ = Rate;
    float keep_scale_ = Rate < 0 ? 1.0f : float(1.0 / (1.0 - Rate));
};

// dropout<>: the rate given at run time
inline constexpr double run_time_rate = -1.0;

template <double Rate = run_time_rate>
struct dropout {
    static_assert(Rate == run_time_rate || (Rate >= 0.0 && Rate < 1.0),
                  "dropout<Rate>: Rate is the share of units dropped, in [0, 1) (a keep probability p is dropout<1 - p>); "
                  "dropout<> takes it at run time");
    template <class In, int B>
    using impl = dropout_layer<In, Rate, B>;
};

}  // namespace hps
