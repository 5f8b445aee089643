// Grid expansion: the arithmetic of axes and points, apart from the checker.
//
// A study's grid is the product of its axes in declaration order, numbered in row-major
// order: the axis declared last varies fastest. `tuples` and `where` remove points; the
// survivors are renumbered from 0 in the same order and named model-NNN, zero-padded to
// the width of the largest id (192 points: model-000..model-191; 10: model-0..model-9).
// check() (dsl/check.hpp) uses these to build study::points; tests and tools use them
// to reason about numbering without a spec.
#pragma once

#include "dsl/study.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace hps {

// Limits on what check() expands: the full product of the axes, and the points left
// after tuples and where (each becomes a trainer to compile and run).
inline constexpr std::size_t max_full_grid = 10'000'000;
inline constexpr std::size_t max_grid_points = 10'000;
// The most values one range may produce.
inline constexpr std::size_t max_range_values = 100'000;

// The product of the axes' sizes, or nullopt when it exceeds `limit`.
std::optional<std::size_t> grid_size(const std::vector<axis>& axes, std::size_t limit = max_full_grid);

// The value index of each axis at row-major position `index` (last axis fastest).
std::vector<std::size_t> point_indices(const std::vector<std::size_t>& axis_sizes, std::size_t index);

// "model-017": `id` zero-padded to the number of digits of count - 1.
std::string point_name(std::size_t id, std::size_t count);

// The values of lo..hi step s, both ends included. Returns nullopt when the steps do not
// land on hi exactly (tolerating rounding of decimal steps), or when step <= 0 or lo > hi.
// Integral ends and step give integral values.
std::optional<std::vector<double>> linear_values(double lo, double hi, double step,
                                                 std::size_t limit = max_range_values);

// `count` values evenly spaced in log10 from lo to hi, both ends included (count >= 2,
// 0 < lo < hi), each rounded to 6 significant digits so that what `list` prints is what
// a trainer uses.
std::vector<double> log_values(double lo, double hi, std::size_t count);

// A number as hpsgen prints it: integral values as integers ("640", "400000"), others
// with up to `significant` digits, shortest form ("0.25", "1e-05", "4.64159e-05").
std::string format_significant(double v, int significant = 6);

// 1018690 -> "1,018,690"
std::string group_digits(std::size_t n);

// "conv2d1.filters=16, conv2d1.kernel=5, ..." for messages: every axis and its value.
std::string describe_point(const std::vector<axis>& axes, const std::vector<param_value>& values);

// Equality of two axis values: numbers by value, identifiers and strings by text.
bool same_value(const param_value& a, const param_value& b);

}  // namespace hps
