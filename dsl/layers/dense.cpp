// dense: fully connected (runtime: hps/layers/dense.hpp, rules::dense). A spatial input
// is flattened first by an implicit flatten.
#include "dsl/layer_kind.hpp"
#include "dsl/schema_rows.hpp"

#include <hps/layers/dense.hpp>

namespace hps {

extern const layer_kind dense_kind{
    .name = "dense",
    .statement = [] {
        namespace sc = schema;
        sc::head_spec h = sc::layer(
            "dense",
            {sc::required_opt("units", sc::integer(1, 1 << 20, sc::ranged), "outputs"), sc::activation_opt(), sc::l1_opt(),
             sc::l2_opt()},
            "fully connected; flattens its input");
        h.example = "dense units 128..1024 step 128 activation relu\ndense units 2 l1 0.001 l2 0.01";
        return h;
    },
    .accepts = rank_bit(1),
    .flattens_input = true,
    .out_rank = [](int, const layer_values&) { return 1; },
    .infer = [](layer& l, const layer_values& v, const rules::dims& in) {
        l.units = int(v.number("units"));
        l.activation = v.word("activation");
        l.l1 = v.number("l1");
        l.l2 = v.number("l2");
        return rules::dense(in, l.units);
    },
    .cpp_type = [](const layer& l) {
        return "hps::dense<" + std::to_string(l.units) + ", " + layer_text::activation_type(l.activation) + ">";
    },
    .memory = [](const layer& l, int batch) {  // dz (Out, B) unless the activation is linear
        return layer_memory{.scratch = l.activation == "linear" ? 0 : std::size_t(l.units) * std::size_t(batch)};
    },
};

}  // namespace hps
