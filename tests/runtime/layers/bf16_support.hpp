// Shared by the bf16 tests (test_bf16.cpp: the AVX512_BF16 kernels; test_amx.cpp: the AMX
// tiles): values rounded to bf16, one layer's forward and backward in a precision, and the
// closeness check.
#pragma once

#include "test_support.hpp"

#include <hps/layers/bf16_kernels.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

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

}  // namespace hps_test
