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
    .memory = [](const layer& l, int batch) {  // hps::gru's scratch_size
        const std::size_t mr = std::size_t(native_vector_unit().gemm_rows);
        const std::size_t T = std::size_t(l.in_shape.at(0)), U = std::size_t(l.units), B = std::size_t(batch);
        const std::size_t F = l.in_shape.size() > 1 ? std::size_t(l.in_shape[1]) : 1;
        const std::size_t rows = 3 * U, columns = T * B;
        const std::size_t packed = std::max(gemm_sizes::packed_a(mr, rows, U), gemm_sizes::packed_a(mr, U, rows));
        const std::size_t work =
            detail::lstm_gemm_slices * std::max({gemm_sizes::workspace(mr, rows, B, U, true), gemm_sizes::workspace(mr, U, B, rows, true),
                                                 gemm_sizes::workspace(mr, rows, U, (T - 1) * B, false),
                                                 gemm_sizes::workspace(mr, rows, B, F, false), gemm_sizes::workspace(mr, rows, F, B, false),
                                                 gemm_sizes::workspace(mr, F, B, rows, false)});
        return layer_memory{.scratch = rows * columns + 2 * U * columns + rows * B + 2 * U * B + 2 * rows + rows * F +
                                       packed + work};
    },
    .flops = recurrent::flops,
};

}  // namespace hps
