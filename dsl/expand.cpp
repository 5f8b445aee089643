#include "dsl/expand.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace hps {

std::optional<std::size_t> grid_size(const std::vector<axis>& axes, std::size_t limit) {
    std::size_t n = 1;
    for (const auto& a : axes) {
        std::size_t k = a.values.size();
        if (k == 0) return std::size_t(0);
        if (n > limit / k) return std::nullopt;
        n *= k;
    }
    return n <= limit ? std::optional<std::size_t>(n) : std::nullopt;
}

std::vector<std::size_t> point_indices(const std::vector<std::size_t>& axis_sizes, std::size_t index) {
    std::vector<std::size_t> out(axis_sizes.size());
    for (std::size_t k = axis_sizes.size(); k-- > 0;) {
        out[k] = index % axis_sizes[k];
        index /= axis_sizes[k];
    }
    return out;
}

std::string point_name(std::size_t id, std::size_t count) {
    std::size_t width = std::to_string(count > 0 ? count - 1 : 0).size();
    std::string digits = std::to_string(id);
    if (digits.size() < width) digits.insert(0, width - digits.size(), '0');
    return "model-" + digits;
}

std::optional<std::vector<double>> linear_values(double lo, double hi, double step, std::size_t limit) {
    if (!(step > 0) || !(lo <= hi) || !std::isfinite(lo) || !std::isfinite(hi) || !std::isfinite(step))
        return std::nullopt;
    double n = (hi - lo) / step;
    double rounded = std::round(n);
    // decimal steps (0.1) are not exact in binary: accept a relative slack of 1e-9
    if (std::fabs(n - rounded) > 1e-9 * std::max(1.0, std::fabs(n))) return std::nullopt;
    if (rounded + 1 > double(limit)) return std::nullopt;
    std::size_t count = std::size_t(rounded) + 1;
    bool integral = lo == std::floor(lo) && step == std::floor(step);
    std::vector<double> out;
    out.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        double v = lo + double(i) * step;
        if (!integral) v = std::strtod(format_significant(v, 12).c_str(), nullptr);  // 0.30000000000000004 -> 0.3
        out.push_back(v);
    }
    out.back() = hi;
    return out;
}

std::vector<double> log_values(double lo, double hi, std::size_t count) {
    std::vector<double> out;
    if (count < 2 || !(lo > 0) || !(hi > lo)) return out;
    double a = std::log10(lo), b = std::log10(hi);
    for (std::size_t i = 0; i < count; ++i) {
        if (i == 0) {
            out.push_back(lo);
        } else if (i + 1 == count) {
            out.push_back(hi);
        } else {
            double v = std::pow(10.0, a + (b - a) * double(i) / double(count - 1));
            out.push_back(std::strtod(format_significant(v, 6).c_str(), nullptr));
        }
    }
    return out;
}

std::string format_significant(double v, int significant) {
    if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.0f", v);
        return buf;
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*g", significant, v);
    return buf;
}

std::string group_digits(std::size_t n) {
    std::string digits = std::to_string(n), out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

std::string describe_point(const std::vector<axis>& axes, const std::vector<param_value>& values) {
    std::string out;
    for (std::size_t i = 0; i < axes.size() && i < values.size(); ++i) {
        if (i) out += ", ";
        out += axes[i].name + "=" + values[i].text;
    }
    return out;
}

bool same_value(const param_value& a, const param_value& b) {
    if (a.type != b.type) return false;
    if (a.type == param_value::kind::number) return a.number == b.number;
    return a.text == b.text;
}

}  // namespace hps
