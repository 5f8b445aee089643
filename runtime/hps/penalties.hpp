// Weight penalties (Keras's kernel_regularizer convention, as the CyPLAM studies used):
//
//   penalty = l1 * sum |w| + l2 * sum w^2        (no 1/2, no division by the batch size)
//   grad   += l1 * sign(w) + 2 * l2 * w          (sign(0) = 0)
//
// added to the batch's mean loss. Only weights are penalised, never biases: a layer's
// weights are the first num_weights of its parameters, which network::instance's
// layer_span(i) gives as {offset, weights, params}. Note that PyTorch's weight_decay wd
// (an optimizer setting, on every parameter) is the gradient of l2 = wd / 2.
#pragma once

#include <cmath>
#include <cstddef>

namespace hps {

// Adds the penalty's gradient to g (g may be nullptr: the value only) and returns the
// penalty. n weights at w.
inline double apply_penalty(const float* w, float* g, std::size_t n, double l1, double l2) {
    if (l1 == 0 && l2 == 0) return 0;
    double sum_abs = 0, sum_sq = 0;
    const float fl1 = float(l1), fl2 = float(2 * l2);
    for (std::size_t i = 0; i < n; ++i) {
        const float v = w[i];
        sum_abs += std::fabs(double(v));
        sum_sq += double(v) * double(v);
        if (g) g[i] += fl1 * float((v > 0) - (v < 0)) + fl2 * v;
    }
    return l1 * sum_abs + l2 * sum_sq;
}

}  // namespace hps
