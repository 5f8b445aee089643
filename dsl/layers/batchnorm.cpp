// batchnorm: per channel (the last dimension; per feature of a flat input) (runtime:
// hps/layers/batchnorm.hpp, rules::batchnorm).
#include "dsl/layer_kind.hpp"
#include "dsl/schema_rows.hpp"

#include <hps/layers/batchnorm.hpp>

namespace hps {

extern const layer_kind batchnorm_kind{
    .name = "batchnorm",
    .statement = [] {
        return schema::layer("batchnorm", {},
                             "batch normalisation of each channel (the last dimension; each feature of a flat input): "
                             "batch statistics in training, running ones (momentum 0.1) after; 2*C parameters");
    },
    .infer = [](layer&, const layer_values&, const rules::dims& in) { return rules::batchnorm(in); },
    .cpp_type = [](const layer&) { return std::string("hps::batchnorm"); },
    // on a flat input each feature is normalised over the batch: one sample has no spread
    .min_batch = [](int in_rank) { return in_rank == 1 ? 2 : 1; },
    .min_batch_reason = "normalises each feature over the batch",
    .memory = [](const layer& l, int) {  // running mean and variance, a step count; the batch's mean and inv_std
        const std::size_t channels = std::size_t(l.in_shape.back());
        return layer_memory{.state = 2 * channels + 1, .scratch = 2 * channels};
    },
};

}  // namespace hps
