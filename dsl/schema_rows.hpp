// The words the language's table is written in: value kinds, options and statements.
// dsl/schema.cpp writes the blocks with them, and each layer's descriptor (dsl/layers/)
// its own statement.
#pragma once

#include "dsl/schema.hpp"

namespace hps::schema {

inline constexpr bool ranged = true;  // a set, range or `let` axis may stand here

value_spec integer(double min, double max = 2147483647.0, bool rangeable = false);
value_spec real(std::optional<double> min, bool min_open, std::optional<double> max, bool max_open,
                bool rangeable = false);
value_spec choice(std::vector<std::string> choices, bool rangeable = false);
value_spec string(string_format format = string_format::nonempty);
value_spec dims();
value_spec name();

option_spec opt(std::string key, value_spec value, std::string default_text, std::string help);
option_spec required_opt(std::string key, value_spec value, std::string help);
option_spec activation_opt();  // activation: one of the runtime's (hps/config.hpp), default linear
option_spec l1_opt();
option_spec l2_opt();

// A layer statement: repeatable, with these options.
head_spec layer(std::string name, std::vector<option_spec> options, std::string help);
// A statement the grammar accepts and the checker refuses as "not supported yet".
head_spec unsupported_layer(std::string name);

}  // namespace hps::schema
