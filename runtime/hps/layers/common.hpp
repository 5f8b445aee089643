// Helpers shared by the layer headers: runtime-sized Eigen views for the large products,
// the channels-last -> channels-first order of PyTorch's flatten, Python formatting, and
// HPS_OMP(...) for OpenMP pragmas.
//
// Why runtime-sized Maps for products and long element-wise passes, although every
// size is known: Eigen's fixed-size products pack both whole operands on the stack
// (gemm_blocking_space with finite compile-time sizes), which overflows the stack at
// workload sizes (a 1024 x 3136 dense layer), and its evaluator computes Rows * Cols *
// cost in `int` enums, a compile error past 2^31. The sizes still come from constants,
// so the compiler sees them; only Eigen's blocking becomes the run-time one.
#pragma once

#include "hps/core.hpp"

#include <charconv>
#include <cstring>
#include <string>
#include <system_error>
#include <vector>

// OpenMP pragmas that vanish (without -Wunknown-pragmas noise) when OpenMP is off.
#ifndef HPS_OMP
#if defined(_OPENMP)
#define HPS_OMP(directive) _Pragma(#directive)
#else
#define HPS_OMP(directive)
#endif
#endif

namespace hps::detail {

using dyn_matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic>;
using dyn_vector = Eigen::Matrix<float, Eigen::Dynamic, 1>;
using dyn_array = Eigen::Array<float, Eigen::Dynamic, 1>;

using mat_view = Eigen::Map<dyn_matrix>;               // (rows, cols) column-major
using const_mat_view = Eigen::Map<const dyn_matrix>;
using vec_view = Eigen::Map<dyn_vector>;
using const_vec_view = Eigen::Map<const dyn_vector>;
using array_view = Eigen::Map<dyn_array>;              // n floats, element-wise math
using const_array_view = Eigen::Map<const dyn_array>;

// PyTorch's nn.Flatten sees a channels-first tensor (C, d0, d1, ...) where we hold the
// same sample channels-last (d0, d1, ..., C). For torch's flat index j, the index of the
// same value in our flat order. Rank 1: the identity.
template <class S>
constexpr int channels_last_index(int j) {
    if constexpr (S::rank < 2) {
        return j;
    } else {
        constexpr int channels = S::dims[S::rank - 1];
        constexpr int spatial = S::size / channels;
        return (j % spatial) * channels + j / spatial;
    }
}

// Shortest round-trip decimal text of a double ("0.25", "1e-05"), for Python source.
inline std::string python_number(double v) {
    char buf[32];
    const auto res = std::to_chars(buf, buf + sizeof buf, v);
    std::string s(buf, res.ptr);
    if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
    return s;
}

// "(a, b)" (appended piecewise: GCC 12 raises a false -Wrestrict on "(" + std::string)
inline std::string python_pair(int a, int b) {
    std::string s = "(";
    s += std::to_string(a);
    s += ", ";
    s += std::to_string(b);
    s += ')';
    return s;
}

}  // namespace hps::detail
