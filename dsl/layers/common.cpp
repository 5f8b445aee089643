// Helpers the layer descriptors share: the registry's lookup and the text of emitted types.
#include "dsl/layer_kind.hpp"

#include <hps/config.hpp>
#include <hps/io.hpp>

#include <algorithm>
#include <stdexcept>

namespace hps {

const layer_kind* find_layer_kind(std::string_view name) {
    for (const layer_kind* k : layer_kinds())
        if (k->name == name) return k;
    return nullptr;
}

namespace layer_text {

std::string join(const std::vector<int>& v) {
    std::string out;
    for (std::size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + std::to_string(v[i]);
    return out;
}

std::string activation_type(const std::string& activation) {
    if (!find_by_name(activation_table, activation))
        throw std::logic_error("hpsgen: no runtime activation for '" + activation + "'");
    return "hps::" + activation;  // each activation is the runtime type of its name
}

std::string number(double v) {
    std::string s = format_number(v);
    if (s.find_first_of(".e") == std::string::npos) s += ".0";
    return s;
}

std::size_t size(const std::vector<int>& shape) {
    std::size_t n = 1;
    for (int d : shape) n *= std::size_t(d);
    return n;
}

}  // namespace layer_text

vector_unit native_vector_unit() {
#if defined(__x86_64__) || defined(__i386__)
    if (__builtin_cpu_supports("avx512f"))
        return {16, 8, 64, __builtin_cpu_supports("avx512bf16") && __builtin_cpu_supports("avx512vl") &&
                               __builtin_cpu_supports("avx512bw")};
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return {8, 4, 16};
    if (__builtin_cpu_supports("avx")) return {8, 4, 8};
#endif
    return {};
}

namespace gemm_sizes {

namespace {
std::size_t round_up(std::size_t n, std::size_t m) { return (n + m - 1) / m * m; }
constexpr std::size_t KC = 384, NR = 6;  // small_gemm.hpp's block depth and tile columns
}  // namespace

std::size_t packed_a(std::size_t mr, std::size_t m, std::size_t k) { return round_up(m, mr) * k; }

std::size_t workspace(std::size_t mr, std::size_t m, std::size_t n, std::size_t k, bool a_packed) {
    const std::size_t kc = std::min(k, KC);
    return (a_packed ? 0 : round_up(m, mr) * kc) + (mr < 64 ? round_up(n, NR) : NR) * kc;
}

}  // namespace gemm_sizes
}  // namespace hps
