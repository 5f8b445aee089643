// The rule every pool shares (maxpool1d/2d/3d, avgpool1d/2d/3d): hps/rules.hpp's
// vocabulary, no Eigen.
#pragma once

#include "hps/rules.hpp"

#include <array>
#include <cstddef>

namespace hps::rules {

// A window over the first `spatial` (1, 2 or 3) dimensions of a channels-last input of
// rank spatial + 1, a window size and a stride per spatial dimension, in the input's order
// (entries past `spatial` are not read); VALID, channels kept, no parameters. Pools do not
// pad, and a window that would leave trailing positions unread is refused rather than
// floored: window_too_large where window > in, then window_does_not_divide where
// (in - window) % stride != 0 (every dimension is checked for the first fault before any
// for the second). Out: (in - window)/stride + 1 per spatial dimension.
constexpr outcome pool(dims in, int spatial, std::array<int, 3> window, std::array<int, 3> stride) {
    if (spatial < 1 || spatial > 3 || in.rank != spatial + 1) return refuse(fault::wrong_rank);
    for (int i = 0; i < spatial; ++i)
        if (window[std::size_t(i)] > in[i]) return refuse(fault::window_too_large, i);
    for (int i = 0; i < spatial; ++i)
        if ((in[i] - window[std::size_t(i)]) % stride[std::size_t(i)] != 0) return refuse(fault::window_does_not_divide, i);
    dims out = in;
    for (int i = 0; i < spatial; ++i)
        out.d[std::size_t(i)] = (in[i] - window[std::size_t(i)]) / stride[std::size_t(i)] + 1;
    return accept(out);
}

}  // namespace hps::rules

// A pool layer's static_asserts on its `rule` (rules::pool's outcome, a member in scope),
// every message naming the layer (a static_assert's message must be a literal): INPUT what
// the input must be; LARGE_FIRST, LARGE_REST the window too large in the first spatial
// dimension, in another; LOST what the pool would lose when the window does not divide.
#define HPS_POOL_RULE_CHECKS(NAME, INPUT, LARGE_FIRST, LARGE_REST, LOST)                                          \
    static_assert(rule.why != ::hps::rules::fault::wrong_rank, NAME ": the input must be " INPUT);                \
    static_assert(rule.why != ::hps::rules::fault::window_too_large || rule.dim != 0,                             \
                  NAME ": the window is " LARGE_FIRST "; the layer's template arguments above have the values)"); \
    static_assert(rule.why != ::hps::rules::fault::window_too_large || rule.dim == 0,                             \
                  NAME ": the window is " LARGE_REST "; the layer's template arguments above have the values)");  \
    static_assert(rule.why != ::hps::rules::fault::window_does_not_divide,                                        \
                  NAME ": the window does not divide the input: (size - window) % stride != 0 (the layer's "      \
                  "template arguments above have the values); pools do not pad, so the last " LOST                \
                  " would be lost: change the window or the stride, or the sizes before it")
