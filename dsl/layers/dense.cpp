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
        const std::size_t out = std::size_t(l.units), B = std::size_t(batch), in = layer_text::size(l.in_shape);
        std::size_t half = 0;  // bf16 (dense.hpp's bf16_total): where the kernels exist and Out fills packets
        if (const vector_unit unit = native_vector_unit(); unit.bf16 && l.units % unit.half_lanes == 0) {
            namespace h = detail::bf16;
            half = h::floats_for(in * B + 2) + h::floats_for(2 * in * B) + h::floats_for(out * ((B + 1) / 2) * 2) +
                   h::floats_for(out * ((in + 1) / 2) * 2);  // dx pairs W into the fp32 dx's panels
        }
        return layer_memory{.scratch = (l.activation == "linear" ? 0 : out * B) + half};
    },
};

}  // namespace hps
