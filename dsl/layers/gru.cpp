// gru (runtime: hps/layers/gru.hpp, rules::gru): PyTorch's nn.GRU over a steps x features
// sequence; the last step's hidden state, or every step's (return_sequences).
#include "dsl/layers/recurrent.hpp"

#include <hps/layers/gru.hpp>

namespace hps {

extern const layer_kind gru_kind{
    .name = "gru",
    .statement = [] {
        return recurrent::statement("gru", "gated recurrent unit over a steps x features sequence (PyTorch's GRU: "
                                           "3*units*(features + units) + 6*units parameters)");
    },
    .accepts = rank_bit(2),
    .flat_fix = recurrent::flat_fix,
    .out_rank = recurrent::out_rank,
    .infer = [](layer& l, const layer_values& v, const rules::dims& in) {
        recurrent::read(l, v);
        return rules::gru(in, l.units, l.sequences);
    },
    .cpp_type = [](const layer& l) { return recurrent::cpp_type("gru", l); },
};

}  // namespace hps
