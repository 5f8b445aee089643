// Shared by the layer tests: a layer bound to its own buffers and the central-difference
// gradient check (the PyTorch comparisons' harness: tests/support/torch_parity.hpp).
#pragma once

#include <doctest/doctest.h>
// the headers most of these tests share (not hps/layers.hpp, which gathers every layer: a
// test of another layer includes its header itself)
#include <hps/activations.hpp>
#include <hps/core.hpp>
#include <hps/layers/avgpool2d.hpp>
#include <hps/layers/conv2d.hpp>
#include <hps/layers/dense.hpp>
#include <hps/layers/dropout.hpp>
#include <hps/layers/flatten.hpp>
#include <hps/layers/maxpool2d.hpp>
#include <hps/losses.hpp>
#include <hps/network.hpp>
#include <hps/optimizers.hpp>
#include <hps/penalties.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

namespace hps_test {

// One concrete layer with its own parameter, gradient, state and scratch buffers.
template <class L>
struct bound_layer {
    L layer;
    hps::buffer params, grads, state, scratch;
    bound_layer() : params(L::num_params), grads(L::num_params), state(L::num_state), scratch(L::scratch_size) {
        layer.bind(params.data(), grads.data(), state.data(), scratch.data());
    }
};

inline std::vector<float> normal_vector(std::size_t n, hps::rng& gen, double sd = 1.0) {
    std::vector<float> v(n);
    for (auto& x : v) x = float(sd * gen.normal());
    return v;
}

inline double dot(const float* a, const float* b, std::size_t n) {
    double s = 0;
    for (std::size_t i = 0; i < n; ++i) s += double(a[i]) * double(b[i]);
    return s;
}

// Which coordinates to perturb: all of them, or an even spread of `limit`.
inline std::vector<std::size_t> pick_coords(std::size_t n, std::size_t limit) {
    std::vector<std::size_t> idx;
    if (n <= limit) {
        idx.resize(n);
        std::iota(idx.begin(), idx.end(), std::size_t(0));
    } else {
        for (std::size_t k = 0; k < limit; ++k) idx.push_back(k * (n - 1) / (limit - 1));
    }
    return idx;
}

struct gradcheck_options {
    float step = 1e-2f;            // central-difference step e
    double norm_tol = 2e-3;        // ||num - ana|| <= norm_tol * ||ana|| (seen: below 2e-4)
    double rel_tol = 1e-2;         // per element: |num - ana| <= rel_tol |ana| + abs_tol * rms(ana) + 1e-4
    double abs_tol = 2e-3;
    std::size_t max_coords = 240;  // perturbed coordinates per array (inputs, parameters)
    // Skip a coordinate whose +-e perturbation flips the sign of any output (the kink of
    // relu/selu at 0, the second-order kink of elu): the check is only meaningful where
    // the function is smooth. At most max_skip_share of them may be skipped.
    bool guard_kinks = false;
    double max_skip_share = 0.15;
    hps::phase mode = hps::phase::train;
    std::function<void(std::vector<float>&, hps::rng&)> make_input;  // default N(0, 1)
};

// Compares analytic and numeric derivatives of one array; reports through doctest.
inline void compare_derivatives(const std::string& what, const std::vector<double>& ana, const std::vector<double>& num,
                                const gradcheck_options& opt) {
    REQUIRE(ana.size() == num.size());
    if (ana.empty()) return;
    double diff2 = 0, ana2 = 0;
    for (std::size_t i = 0; i < ana.size(); ++i) {
        diff2 += (num[i] - ana[i]) * (num[i] - ana[i]);
        ana2 += ana[i] * ana[i];
    }
    const double rms = std::sqrt(ana2 / double(ana.size()));
    INFO(what << ": ||num - ana|| = " << std::sqrt(diff2) << ", ||ana|| = " << std::sqrt(ana2) << " over " << ana.size()
              << " coordinates");
    CHECK(std::sqrt(diff2) <= opt.norm_tol * std::sqrt(ana2) + 1e-5);
    if (std::getenv("HPS_GRADCHECK_VERBOSE"))
        std::printf("  %-8s relative error %.2e over %zu coordinates (||ana|| %.3g)\n", what.c_str(),
                    std::sqrt(diff2) / (std::sqrt(ana2) + 1e-30), ana.size(), std::sqrt(ana2));
    int bad = 0;
    for (std::size_t i = 0; i < ana.size(); ++i) {
        const double tol = opt.rel_tol * std::fabs(ana[i]) + opt.abs_tol * rms + 1e-4;
        if (std::fabs(num[i] - ana[i]) > tol) {
            if (bad++ < 5) {
                INFO(what << " coordinate " << i << ": analytic " << ana[i] << ", numeric " << num[i]);
                CHECK(std::fabs(num[i] - ana[i]) <= tol);
            }
        }
    }
    CHECK(bad == 0);
}

// Central-difference check of layer L (batch B): f = dot(r, forward(x)) for a fixed random
// r, against backward(dy = r)'s dx and parameter gradients. Also checks that backward
// accumulates into the gradients and that dx == nullptr leaves them the same.
template <class L, int B>
void check_layer_gradients(std::uint64_t seed, gradcheck_options opt = {}) {
    constexpr std::size_t n_in = std::size_t(L::in_shape::size) * B;
    constexpr std::size_t n_out = std::size_t(L::out_shape::size) * B;
    bound_layer<L> bl;
    hps::rng gen(seed);
    bl.layer.init(gen);
    // random biases too (init leaves them 0): the weights are first, num_weights of them
    for (std::size_t i = L::num_weights; i < L::num_params; ++i) bl.params[i] = float(0.3 * gen.normal());

    std::vector<float> x(n_in);
    if (opt.make_input)
        opt.make_input(x, gen);
    else
        x = normal_vector(n_in, gen);
    const std::vector<float> r = normal_vector(n_out, gen);

    hps::rng layer_gen(seed + 1);
    const auto layer_gen_state = layer_gen.save();
    hps::context ctx;
    ctx.mode = opt.mode;
    ctx.gen = &layer_gen;

    std::vector<float> y(n_out);
    // f(x) with the same random stream every time (dropout draws the same mask)
    auto run = [&](const std::vector<float>& in, std::vector<float>& out) {
        layer_gen.restore(layer_gen_state);
        bl.layer.forward(in.data(), out.data(), ctx);
        return dot(r.data(), out.data(), n_out);
    };
    run(x, y);
    const std::vector<float> y0 = y;

    std::vector<float> dx(n_in, 12345.0f);  // backward overwrites it
    std::fill(bl.grads.begin(), bl.grads.end(), 0.0f);
    bl.layer.backward(x.data(), y0.data(), r.data(), dx.data(), ctx);
    const std::vector<float> grads(bl.grads.begin(), bl.grads.end());

    if constexpr (L::num_params > 0) {
        // accumulation: a second backward (after the same forward) doubles the gradients;
        // dx == nullptr gives the same parameter gradients
        run(x, y);
        bl.layer.backward(x.data(), y.data(), r.data(), nullptr, ctx);
        double worst = 0;
        for (std::size_t i = 0; i < grads.size(); ++i)
            worst = std::max(worst, double(std::fabs(bl.grads[i] - 2 * grads[i])) / (1e-6 + std::fabs(grads[i])));
        INFO("backward must add into the gradients (and skip only dx when dx == nullptr)");
        CHECK(worst < 1e-4);
    }

    auto flips = [&](const std::vector<float>& a) {
        for (std::size_t i = 0; i < n_out; ++i)
            if ((a[i] > 0) != (y0[i] > 0)) return true;
        return false;
    };

    std::size_t skipped = 0, tried = 0;
    std::vector<float> yp(n_out), ym(n_out);
    // inputs
    {
        std::vector<double> ana, num;
        std::vector<float> xp = x;
        for (std::size_t i : pick_coords(n_in, opt.max_coords)) {
            const float hi = x[i] + opt.step, lo = x[i] - opt.step;
            xp[i] = hi;
            const double fp = run(xp, yp);
            xp[i] = lo;
            const double fm = run(xp, ym);
            xp[i] = x[i];
            ++tried;
            if (opt.guard_kinks && (flips(yp) || flips(ym))) {
                ++skipped;
                continue;
            }
            num.push_back((fp - fm) / double(hi - lo));
            ana.push_back(dx[i]);
        }
        compare_derivatives("dx", ana, num, opt);
    }
    // parameters
    if constexpr (L::num_params > 0) {
        std::vector<double> ana, num;
        for (std::size_t i : pick_coords(L::num_params, opt.max_coords)) {
            const float keep = bl.params[i];
            const float hi = keep + opt.step, lo = keep - opt.step;
            bl.params[i] = hi;
            const double fp = run(x, yp);
            bl.params[i] = lo;
            const double fm = run(x, ym);
            bl.params[i] = keep;
            ++tried;
            if (opt.guard_kinks && (flips(yp) || flips(ym))) {
                ++skipped;
                continue;
            }
            num.push_back((fp - fm) / double(hi - lo));
            ana.push_back(grads[i]);
        }
        compare_derivatives("dparams", ana, num, opt);
    }
    INFO("skipped " << skipped << " of " << tried << " coordinates at kinks");
    CHECK(double(skipped) <= opt.max_skip_share * double(tried));
}

// Distinct values spaced 0.05 apart in random order: no perturbation of e < 0.025 changes
// which element of a window is the largest (maxpool's kinks avoided by construction).
inline void distinct_input(std::vector<float>& x, hps::rng& gen) {
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = 0.05f * float(i) - 0.025f * float(x.size());
    for (std::size_t i = x.size(); i > 1; --i) std::swap(x[i - 1], x[gen.below(i)]);
}

// Inputs at least 0.1 away from 0: no activation kink within the step.
inline void away_from_zero(std::vector<float>& x, hps::rng& gen) {
    for (auto& v : x) {
        const double u = gen.normal();
        v = float(u >= 0 ? 0.1 + u : -0.1 + u);
    }
}

template <class Act>
inline constexpr bool has_kink = std::is_same_v<Act, hps::relu> || std::is_same_v<Act, hps::selu> || std::is_same_v<Act, hps::elu>;

// The same network with and without the fold of a convolution's ReLU into the max pool
// above it: `activation<linear>` between them (a copy forward and backward) keeps the pool
// from being directly above, so the convolution applies ReLU's derivative itself
template <class Folded, class Unfolded, int B>
inline void check_fold(std::uint64_t seed, hps::precision prec = hps::precision::fp32) {
    using hps::context;
    using hps::rng;
    using fi = typename Folded::template instance<B>;
    using ui = typename Unfolded::template instance<B>;
    static_assert(fi::num_params == ui::num_params && fi::in_size == ui::in_size && fi::out_size == ui::out_size);
    auto folded = std::make_unique<fi>();
    auto unfolded = std::make_unique<ui>();
    rng gen(seed);
    folded->init(gen);
    std::copy(folded->params(), folded->params() + fi::num_params, unfolded->params());
    const auto x = normal_vector(std::size_t(fi::in_size) * B, gen);
    const auto dy = normal_vector(std::size_t(fi::out_size) * B, gen);
    context ctx;
    ctx.gen = &gen;
    ctx.prec = prec;
    const float* yf = folded->forward(x.data(), ctx);
    const float* yu = unfolded->forward(x.data(), ctx);
    CHECK(std::vector<float>(yf, yf + fi::out_size * B) == std::vector<float>(yu, yu + fi::out_size * B));
    folded->zero_grads();
    unfolded->zero_grads();
    folded->backward(dy.data(), ctx);
    unfolded->backward(dy.data(), ctx);
    const std::vector<float> gf(folded->grads(), folded->grads() + fi::num_params);
    const std::vector<float> gu(unfolded->grads(), unfolded->grads() + fi::num_params);
    CHECK(gf == gu);  // bit for bit, the layers below the fold's included
    double g2 = 0;
    for (float g : gf) g2 += double(g) * g;
    CHECK(g2 > 0);
}

// A max pool's backward where its windows tile the input (one write per value,
// detail::max_pool_backward_tiled) against the max pools' zero-and-add
// (detail::max_pool_backward), bit for bit, with ReLU's mask off and on: inputs with ties
// and zeros (the first maximum wins), a NaN input, and gradients with -0 (lands as +0, as
// 0 + -0 does) and a NaN
template <class L, int B>
inline void check_tiled_backward(std::uint64_t seed) {
    using hps::context;
    using hps::rng;
    using In = typename L::in_shape;
    for (bool mask : {false, true}) {
        bound_layer<L> p;
        if (mask) p.layer.mask_relu();
        rng gen(seed);
        std::vector<float> x(std::size_t(In::size) * B), y(std::size_t(L::out_sample) * B), dx(x.size(), 7.0f), ref(x.size());
        for (auto& v : x) v = std::max(0.0f, float(std::round(2 * gen.normal())));  // ReLU'd, many ties and zeros
        x[5] = std::numeric_limits<float>::quiet_NaN();
        auto dy = normal_vector(y.size(), gen);
        for (std::size_t i = 0; i < dy.size(); i += 7) dy[i] = -0.0f;
        dy[3] = std::numeric_limits<float>::quiet_NaN();
        context ctx;
        p.layer.forward(x.data(), y.data(), ctx);
        p.layer.backward(x.data(), y.data(), dy.data(), dx.data(), ctx);
        hps::detail::max_pool_backward(y.data(), dy.data(), p.scratch.data(), ref.data(), In::size, L::out_sample, B, mask);
        CHECK_MESSAGE(std::memcmp(dx.data(), ref.data(), sizeof(float) * dx.size()) == 0, "mask " << mask);
        std::size_t nonzero = 0;
        for (float v : dx) nonzero += v != 0.0f;
        CHECK(nonzero > 0);
    }
}

}  // namespace hps_test
