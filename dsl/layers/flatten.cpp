// flatten (runtime: hps/layers/flatten.hpp, rules::flatten); also inserted by the checker
// before a dense layer on a spatial input.
#include "dsl/layer_kind.hpp"
#include "dsl/schema_rows.hpp"

#include <hps/layers/flatten.hpp>

namespace hps {

extern const layer_kind flatten_kind{
    .name = "flatten",
    .statement = [] { return schema::layer("flatten", {}, "H x W x C -> H*W*C (implicit before a dense layer)"); },
    .out_rank = [](int, const layer_values&) { return 1; },
    .infer = [](layer&, const layer_values&, const rules::dims& in) { return rules::flatten(in); },
    .cpp_type = [](const layer&) { return std::string("hps::flatten"); },
    .is_view = true,
    .flops = [](const layer&) { return 0.0; },
};

}  // namespace hps
