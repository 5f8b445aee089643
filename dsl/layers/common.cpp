// Helpers the layer descriptors share: the registry's lookup and the text of emitted types.
#include "dsl/layer_kind.hpp"

#include <hps/config.hpp>
#include <hps/io.hpp>

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

}  // namespace layer_text
}  // namespace hps
