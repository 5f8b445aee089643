// What the recurrent layers' descriptors share (lstm.cpp, gru.cpp): the statement and the
// reading of `units` and `return_sequences`, on a steps x features sequence.
#pragma once

#include "dsl/layer_kind.hpp"
#include "dsl/schema_rows.hpp"

namespace hps::recurrent {

inline schema::head_spec statement(const char* name, const char* help) {
    namespace sc = schema;
    sc::head_spec h = sc::layer(name,
                     {sc::required_opt("units", sc::integer(1, 1 << 16, sc::ranged), "hidden state size"),
                      sc::opt("return_sequences", sc::choice({"false", "true"}), "false",
                              std::string("true: every step's hidden state (steps x units), for a further ") + name +
                                  " or conv1d; false: the last step's (units)"),
                      sc::l1_opt(), sc::l2_opt()},
                     help);
    h.example = std::string(name) + " units {32, 64}\n" + name + " units 32 return_sequences true l1 0.001 l2 0.01";
    return h;
}

inline void read(layer& l, const layer_values& v) {
    l.units = int(v.number("units"));
    l.sequences = v.flag("return_sequences");
    l.l1 = v.number("l1");
    l.l2 = v.number("l2");
}

inline int out_rank(int, const layer_values& v) { return v.flag("return_sequences") ? 2 : 1; }

// hps::lstm<64> or hps::lstm<64, true>
inline std::string cpp_type(const char* type, const layer& l) {
    return std::string("hps::") + type + "<" + std::to_string(l.units) + (l.sequences ? ", true>" : ">");
}

// a multiply and an add per weight at each step, plus the gates' element-wise work
inline double flops(const layer& l) {
    return (2.0 * double(l.params) + 10.0 * l.units) * double(l.in_shape.at(0));
}

inline constexpr std::string_view flat_fix = "put it before {name}, or give {name} return_sequences true";

}  // namespace hps::recurrent
