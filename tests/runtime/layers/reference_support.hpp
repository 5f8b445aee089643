// Shared by the reference tests (test_reference.cpp, test_reference_conv_nd.cpp): the
// relative error of a layer's output against a reference computed in double, and the
// repeated-use check (a used layer gives what a fresh one gives; backward adds).
#pragma once

#include "test_support.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <vector>

namespace hps_test {

inline double relative_error(const std::vector<double>& ref, const float* got) {
    double diff = 0, scale = 0;
    for (std::size_t i = 0; i < ref.size(); ++i) {
        diff = std::max(diff, std::fabs(ref[i] - double(got[i])));
        scale = std::max(scale, std::fabs(ref[i]));
    }
    return diff / (scale + 1e-30);
}

template <class Act>
inline double act_value(double z) {
    return double(Act::value(float(z)));
}

// One forward and backward of a fresh layer L (batch B) as a network calls it: init(seed)
// with random biases, x and dy ~ N(0, 1), the gradients zeroed, backward on the forward's
// own output, dx skipped for a first layer (dx starts as 12345 everywhere).
template <class L, int B>
struct layer_pass {
    std::unique_ptr<hps_test::bound_layer<L>> bl = std::make_unique<hps_test::bound_layer<L>>();
    std::vector<float> x, dy, y, dx;

    layer_pass(std::uint64_t seed, bool first_layer) {
        hps::rng gen(seed);
        bl->layer.init(gen);
        for (std::size_t i = L::num_weights; i < L::num_params; ++i) bl->params[i] = float(0.2 * gen.normal());
        x = hps_test::normal_vector(std::size_t(L::in_shape::size) * B, gen);
        dy = hps_test::normal_vector(std::size_t(L::out_shape::size) * B, gen);
        y.resize(dy.size());
        dx.assign(x.size(), 12345.0f);
        hps::context ctx;
        bl->layer.forward(x.data(), y.data(), ctx);
        std::fill(bl->grads.begin(), bl->grads.end(), 0.0f);
        bl->layer.backward(x.data(), y.data(), dy.data(), first_layer ? nullptr : dx.data(), ctx);
    }
    const float* weights() const { return bl->params.data(); }
    const float* bias() const { return bl->params.data() + L::num_weights; }
    const float* weight_grads() const { return bl->grads.data(); }
    const float* bias_grads() const { return bl->grads.data() + L::num_weights; }
};

// Repeated use, as training calls a layer: (1) after forward/backward on other batches,
// forward/backward on (x, dy) with zeroed gradients gives bit for bit what a fresh layer
// with the same parameters gives (no state left from earlier calls: scratch, padded
// copies, accumulators); (2) a second forward/backward without zeroing doubles the
// gradients (backward adds).
template <class L, int B>
void check_repeated(bool first_layer) {
    constexpr std::size_t n_in = std::size_t(L::in_shape::size) * B, n_out = std::size_t(L::out_shape::size) * B;
    auto used = std::make_unique<hps_test::bound_layer<L>>();
    auto fresh = std::make_unique<hps_test::bound_layer<L>>();
    hps::rng gen(31);
    used->layer.init(gen);
    for (std::size_t i = L::num_weights; i < L::num_params; ++i) used->params[i] = float(0.2 * gen.normal());
    std::copy(used->params.begin(), used->params.end(), fresh->params.begin());
    // earlier batches: other inputs, gradients and scales, some negative (ReLU kinks move)
    hps::context ctx;
    std::vector<float> y(n_out), dx(n_in);
    for (int k = 0; k < 3; ++k) {
        const auto xk = hps_test::normal_vector(n_in, gen, 1.0 + k);
        const auto dyk = hps_test::normal_vector(n_out, gen, 3.0);
        used->layer.forward(xk.data(), y.data(), ctx);
        used->layer.backward(xk.data(), y.data(), dyk.data(), first_layer ? nullptr : dx.data(), ctx);
    }
    const auto x = hps_test::normal_vector(n_in, gen), dy = hps_test::normal_vector(n_out, gen);
    auto pass = [&](hps_test::bound_layer<L>& bl, std::vector<float>& yo, std::vector<float>& dxo) {
        bl.layer.forward(x.data(), yo.data(), ctx);
        bl.layer.backward(x.data(), yo.data(), dy.data(), first_layer ? nullptr : dxo.data(), ctx);
    };
    std::fill(used->grads.begin(), used->grads.end(), 0.0f);
    std::vector<float> y_used(n_out), dx_used(n_in, 0.0f), y_fresh(n_out), dx_fresh(n_in, 0.0f);
    pass(*used, y_used, dx_used);
    pass(*fresh, y_fresh, dx_fresh);
    CHECK(y_used == y_fresh);
    CHECK(dx_used == dx_fresh);
    CHECK(std::vector<float>(used->grads.begin(), used->grads.end()) ==
          std::vector<float>(fresh->grads.begin(), fresh->grads.end()));
    if constexpr (L::num_params > 0) {
        const std::vector<float> once(fresh->grads.begin(), fresh->grads.end());
        pass(*fresh, y_fresh, dx_fresh);
        double worst = 0, scale = 0;
        for (std::size_t i = 0; i < once.size(); ++i) {
            worst = std::max(worst, std::fabs(double(fresh->grads[i]) - 2.0 * once[i]));
            scale = std::max(scale, std::fabs(double(once[i])));
        }
        // (rounding: the second pass adds each sample's share to the first pass's sum, so
        // the tolerance grows with the batch)
        CHECK(worst <= 1e-6 * std::max(1.0, B / 16.0) * scale);
    }
}

}  // namespace hps_test
