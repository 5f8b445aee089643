// The shape rules of the layers: what a layer makes of its input (the output's
// dimensions, the parameter count) or why it refuses it, as constexpr functions written
// once and called both by the layer templates (at compile time: out_shape, num_params,
// their static_asserts) and by the spec checker (at run time).
//
// This header holds the vocabulary only (no Eigen): dims, fault, outcome. Each rule lives
// in the header of the layer it describes, in namespace hps::rules:
//   conv (conv1d, conv2d, conv3d)   hps/layers/conv_kernels.hpp
//   pool (max and avg, 1-3 dims)    hps/layers/pool_rule.hpp
//   dense                           hps/layers/dense.hpp
//   lstm                            hps/layers/lstm.hpp
//   batchnorm                       hps/layers/batchnorm.hpp
//   flatten                         hps/layers/flatten.hpp
//   globalavgpool                   hps/layers/globalavgpool.hpp
//   dropout                         hps/layers/dropout.hpp
// A new layer adds its rule to its own header the same way: take dims, return refuse(...)
// for each fault (first the rank, then the sizes in dimension order) or accept(out,
// params); the layer template then takes out_shape (shape_from<rule.out>, hps/core.hpp)
// and num_params from it and static_asserts on rule.why with its own message.
//
// Preconditions the callers check before (the layer specs' static_asserts, the grammar's
// ranges): filters, units, kernels, windows and strides are > 0, and every dimension of
// an input is > 0.
#pragma once

#include <array>
#include <cstddef>

namespace hps::rules {

// A sample's shape, channels last: (N) | (L, C) | (H, W, C) | (D, H, W, C).
struct dims {
    int rank = 0;
    std::array<int, 4> d{};

    constexpr int operator[](int i) const { return d[std::size_t(i)]; }
    // the last dimension: channels (the feature count of a flat input); 0 for rank 0
    constexpr int channels() const { return rank > 0 ? d[std::size_t(rank - 1)] : 0; }
    // the number of values, in long long (a product of ints may pass 2^31)
    constexpr long long size() const {
        long long n = rank > 0 ? 1 : 0;
        for (int i = 0; i < rank; ++i) n *= d[std::size_t(i)];
        return n;
    }
    friend constexpr bool operator==(const dims&, const dims&) = default;
};

// dims{rank, {d...}} without spelling the rank: make(28, 28, 1)
template <class... I>
constexpr dims make(I... d) {
    static_assert(sizeof...(I) >= 1 && sizeof...(I) <= 4, "hps::rules::make: 1 to 4 dimensions");
    return dims{int(sizeof...(I)), {int(d)...}};
}

enum class fault {
    none,
    wrong_rank,              // the input's rank is not the layer's (dim -1)
    kernel_too_large,        // VALID convolution: kernel > input in dimension `dim`
    window_too_large,        // pool: window > input in dimension `dim`
    window_does_not_divide,  // pool: (input - window) % stride != 0 in dimension `dim`
    too_large,               // the output would have more than 2^31 - 1 values (flatten)
};

// What a rule gives: the output's dims and trainable parameter count, or the fault and
// the dimension at fault (-1 when it is not one dimension's). A refused outcome has no
// output (rank 0) and no parameters.
struct outcome {
    fault why = fault::none;
    dims out{};
    std::size_t params = 0;
    int dim = -1;

    constexpr bool ok() const { return why == fault::none; }
};

constexpr outcome accept(dims out, std::size_t params = 0) { return {fault::none, out, params, -1}; }
constexpr outcome refuse(fault why, int dim = -1) { return {why, dims{}, 0, dim}; }

// A fault in a few words, for messages and tests.
constexpr const char* describe(fault f) {
    switch (f) {
        case fault::none: return "none";
        case fault::wrong_rank: return "wrong rank";
        case fault::kernel_too_large: return "kernel larger than the input";
        case fault::window_too_large: return "window larger than the input";
        case fault::window_does_not_divide: return "window does not divide the input";
        case fault::too_large: return "too many values";
    }
    return "?";
}

}  // namespace hps::rules
