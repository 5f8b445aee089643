// The row builders of the language's table (dsl/schema_rows.hpp).
#include "dsl/schema_rows.hpp"

namespace hps::schema {

// ---------------------------------------------------------------------------------
// Value kinds, in the words the table uses
// ---------------------------------------------------------------------------------

value_spec integer(double min, double max, bool rangeable) {
    value_spec v;
    v.kind = value_kind::integer;
    v.min = min;
    v.max = max;
    v.rangeable = rangeable;
    return v;
}

value_spec real(std::optional<double> min, bool min_open, std::optional<double> max, bool max_open, bool rangeable) {
    value_spec v;
    v.kind = value_kind::real;
    v.min = min;
    v.min_open = min_open;
    v.max = max;
    v.max_open = max_open;
    v.rangeable = rangeable;
    return v;
}

value_spec choice(std::vector<std::string> choices, bool rangeable) {
    value_spec v;
    v.kind = value_kind::choice;
    v.choices = std::move(choices);
    v.rangeable = rangeable;
    return v;
}

value_spec string(string_format format) {
    value_spec v;
    v.kind = value_kind::string;
    v.format = format;
    return v;
}

value_spec dims() {
    value_spec v;
    v.kind = value_kind::dims;
    v.min = 1;
    v.max = 65536;
    return v;
}

value_spec name() {
    value_spec v;
    v.kind = value_kind::name;
    return v;
}



option_spec opt(std::string key, value_spec value, std::string default_text, std::string help) {
    option_spec o;
    o.key = std::move(key);
    o.value = std::move(value);
    o.default_text = std::move(default_text);
    o.help = std::move(help);
    return o;
}

option_spec required_opt(std::string key, value_spec value, std::string help) {
    option_spec o = opt(std::move(key), std::move(value), "", std::move(help));
    o.required = true;
    return o;
}

option_spec activation_opt() {
    return opt("activation", choice(names_of(hps::activation_table), ranged), "linear", "applied to the layer's output");
}
option_spec l1_opt() {
    return opt("l1", real(0.0, false, std::nullopt, false, ranged), "0",
               "L1 penalty lambda * sum |w| on the weights (not the biases)");
}
option_spec l2_opt() {
    return opt("l2", real(0.0, false, std::nullopt, false, ranged), "0",
               "L2 penalty lambda * sum w^2 on the weights (not the biases)");
}
head_spec layer(std::string name, std::vector<option_spec> options, std::string help) {
    head_spec h;
    h.name = std::move(name);
    h.options = std::move(options);
    h.repeatable = true;
    h.help = std::move(help);
    return h;
}

head_spec unsupported_layer(std::string name) {  // none at the moment
    head_spec h;
    h.name = std::move(name);
    h.repeatable = true;
    h.unsupported = true;
    h.help = "accepted by the grammar; not supported by the runtime yet";
    return h;
}

}  // namespace hps::schema
