// Shared by the bf16 tests (test_bf16.cpp: the AVX512_BF16 kernels; test_amx.cpp: the AMX
// tiles): values rounded to bf16, one layer's forward and backward in a precision, and the
// closeness check.
#pragma once

#include "test_support.hpp"

#include <hps/layers/bf16_kernels.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#if defined(_OPENMP)
#include <omp.h>
#endif

namespace hps_test {

inline float rounded(float x) { return hps::detail::bf16::to_float(hps::detail::bf16::round(x)); }

inline std::vector<float> rounded(const std::vector<float>& v) {
    std::vector<float> r(v.size());
    for (std::size_t i = 0; i < v.size(); ++i) r[i] = rounded(v[i]);
    return r;
}

struct pass {
    std::vector<float> y, dx, grads;
};

// forward, then backward of dy, of layer L (parameters `params`) in precision p
template <class L, int B>
pass run(const std::vector<float>& params, const std::vector<float>& x, const std::vector<float>& dy, hps::precision p) {
    bound_layer<L> bl;
    std::copy(params.begin(), params.end(), bl.params.begin());
    pass r;
    r.y.resize(std::size_t(L::out_shape::size) * B);
    r.dx.resize(x.size());
    hps::context ctx;
    ctx.prec = p;
    bl.layer.forward(x.data(), r.y.data(), ctx);
    bl.layer.backward(x.data(), r.y.data(), dy.data(), r.dx.data(), ctx);
    r.grads.assign(bl.grads.begin(), bl.grads.end());
    return r;
}

// A layer's inputs for the bf16 comparisons: initialised weights, small random biases, x and
// dy from N(0, 1); params_r with the weights rounded to bf16 (the biases stay fp32 on every path)
template <class L, int B>
struct layer_inputs {
    std::vector<float> params, params_r, x, dy;
    explicit layer_inputs(std::uint64_t seed) {
        hps::rng gen(seed);
        bound_layer<L> init;
        init.layer.init(gen);
        params.assign(init.params.begin(), init.params.end());
        for (std::size_t i = L::num_weights; i < L::num_params; ++i) params[i] = float(0.1 * gen.normal());
        x = normal_vector(std::size_t(L::in_shape::size) * B, gen);
        dy = normal_vector(std::size_t(L::out_shape::size) * B, gen);
        params_r = params;
        for (std::size_t i = 0; i < L::num_weights; ++i) params_r[i] = rounded(params[i]);
    }
};

// |a - b| <= tol * scale elementwise, scale = the largest |b| (sums of |terms| are of that
// order for these random operands)
inline void check_close(const std::vector<float>& a, const std::vector<float>& b, double tol, const char* what) {
    REQUIRE(a.size() == b.size());
    double scale = 0, worst = 0;
    for (float v : b) scale = std::max(scale, double(std::fabs(v)));
    for (std::size_t i = 0; i < a.size(); ++i) worst = std::max(worst, double(std::fabs(a[i] - b[i])));
    INFO(what << ": max |difference| " << worst << ", largest |value| " << scale);
    CHECK(worst <= tol * scale);
}

// the parameter gradients of Model (batch B, init seed `seed`) on one random batch in
// precision p
template <class Model, int B>
std::vector<float> network_gradients(hps::precision p, std::uint64_t seed = 21) {
    auto model = std::make_unique<Model>();
    hps::rng gen(seed);
    model->init(gen);
    const auto x = normal_vector(std::size_t(Model::in_size) * B, gen);
    const auto dy = normal_vector(std::size_t(Model::out_size) * B, gen);
    hps::context ctx;
    ctx.prec = p;
    model->zero_grads();
    model->forward(x.data(), ctx);
    model->backward(dy.data(), ctx);
    return std::vector<float>(model->grads(), model->grads() + Model::num_params);
}

// The program's doctest run on one thread (the threads' own tests ask for 2), or exit 77
// (ctest: skipped) printing `why` when it is not empty; `filter` a doctest filter (kind, pattern)
inline int run_or_skip(const std::string& why, int argc, char** argv, const char* kind = nullptr, const char* pattern = nullptr) {
    if (!why.empty()) {
        std::printf("skipped: %s\n", why.c_str());
        return 77;
    }
#if defined(_OPENMP)
    omp_set_num_threads(1);
#endif
    doctest::Context context(argc, argv);
    if (kind) context.addFilter(kind, pattern);
    return context.run();
}

}  // namespace hps_test
