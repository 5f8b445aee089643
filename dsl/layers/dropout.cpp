// dropout (runtime: hps/layers/dropout.hpp, rules::dropout): the rate is a run-time value,
// so that a rate axis builds one trainer for all its values.
#include "dsl/layer_kind.hpp"
#include "dsl/schema_rows.hpp"

#include <hps/layers/dropout.hpp>

namespace hps {

extern const layer_kind dropout_kind{
    .name = "dropout",
    .statement = [] {
        namespace sc = schema;
        sc::head_spec h = sc::layer("dropout", {}, "drops each unit with probability rate while training");
        h.positional = sc::real(0.0, false, 1.0, true, sc::ranged);
        h.positional_name = "rate";
        h.positional_required = true;
        h.usage = "dropout 0.25";
        h.example = "dropout 0.25\ndropout {0.1, 0.5}";
        return h;
    },
    .infer = [](layer& l, const layer_values& v, const rules::dims& in) {
        l.rate = v.number("rate");
        return rules::dropout(in);
    },
    .cpp_type = [](const layer&) { return std::string("hps::dropout<>"); },
    .run_time = [](const layer& l) { return std::vector<layer_setting>{{0, "rate", l.rate}}; },
    .memory = [](const layer& l, int batch) {  // the mask (In, B)
        return layer_memory{.scratch = layer_text::size(l.in_shape) * std::size_t(batch)};
    },
};

}  // namespace hps
