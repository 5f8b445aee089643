// globalavgpool: each channel's mean over every position (runtime:
// hps/layers/globalavgpool.hpp, rules::globalavgpool).
#include "dsl/layer_kind.hpp"
#include "dsl/schema_rows.hpp"

#include <hps/layers/globalavgpool.hpp>

namespace hps {

extern const layer_kind globalavgpool_kind{
    .name = "globalavgpool",
    .statement = [] {
        return schema::layer("globalavgpool", {}, "the mean of each channel over every position: L x C or H x W x C -> C");
    },
    .accepts = rank_bit(2) | rank_bit(3) | rank_bit(4),
    .flat_fix = "put it before {name}",
    .out_rank = [](int, const layer_values&) { return 1; },
    .infer = [](layer&, const layer_values&, const rules::dims& in) { return rules::globalavgpool(in); },
    .cpp_type = [](const layer&) { return std::string("hps::globalavgpool"); },
};

}  // namespace hps
