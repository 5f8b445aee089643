// lstm (runtime: hps/layers/lstm.hpp, rules::lstm): PyTorch's nn.LSTM over a steps x
// features sequence; the last step's hidden state, or every step's (return_sequences).
#include "dsl/layers/recurrent.hpp"

#include <hps/layers/lstm.hpp>

namespace hps {

extern const layer_kind lstm_kind{
    .name = "lstm",
    .statement = [] {
        return recurrent::statement("lstm", "long short-term memory over a steps x features sequence (PyTorch's LSTM: "
                                            "4*units*(features + units) + 8*units parameters)");
    },
    .accepts = rank_bit(2),
    .flat_fix = recurrent::flat_fix,
    .out_rank = recurrent::out_rank,
    .infer = [](layer& l, const layer_values& v, const rules::dims& in) {
        recurrent::read(l, v);
        return rules::lstm(in, l.units, l.sequences);
    },
    .cpp_type = [](const layer& l) { return recurrent::cpp_type("lstm", l); },
};

}  // namespace hps
