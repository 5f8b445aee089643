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
    .memory = [](const layer& l, int batch) {  // hps::lstm's scratch_size
        const std::size_t mr = std::size_t(native_vector_unit().gemm_rows);
        const std::size_t T = std::size_t(l.in_shape.at(0)), U = std::size_t(l.units), B = std::size_t(batch);
        const std::size_t rows = 4 * U, columns = T * B;
        const std::size_t packed = std::max(gemm_sizes::packed_a(mr, rows, U), gemm_sizes::packed_a(mr, U, rows));
        const std::size_t work = detail::lstm_gemm_slices * std::max({gemm_sizes::workspace(mr, rows, B, U, true),
                                                                      gemm_sizes::workspace(mr, U, B, rows, true),
                                                                      gemm_sizes::workspace(mr, rows, U, (T - 1) * B, false)});
        return layer_memory{.scratch = rows * columns + 3 * U * columns + 2 * U * B + rows + packed + work};
    },
    .flops = recurrent::flops,
};

}  // namespace hps
