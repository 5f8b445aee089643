// maxpool, avgpool (1-D on a sequence, 2-D on an image, 3-D on a volume), maxpool1d,
// maxpool3d, avgpool3d (runtime: hps/layers/pool1d.hpp, maxpool2d.hpp, avgpool2d.hpp,
// pool3d.hpp; their one rule: rules::pool in hps/layers/pool_rule.hpp). The language gives
// each a cubic window and one stride (default: the window).
#include "dsl/layer_kind.hpp"
#include "dsl/schema_rows.hpp"

#include <hps/layers/pool_rule.hpp>

namespace hps {

extern const layer_kind maxpool3d_kind, avgpool3d_kind;

namespace {

namespace sc = schema;

sc::head_spec pool_statement(const std::string& name, std::string help) {
    sc::head_spec h = sc::layer(name, {sc::opt("stride", sc::integer(1, 4096, sc::ranged), "window", "step of the window")},
                                std::move(help));
    h.positional = sc::integer(1, 4096, sc::ranged);
    h.positional_name = "window";
    h.positional_required = true;
    h.usage = name + " 2 [stride 2]";
    h.example = name + " 2\n" + name + " 3 stride 1";
    return h;
}

const char* const any_rank_help = "pooling, no padding, 2-D on an image, 1-D on a sequence, 3-D on a volume: "
                                  "(H - window) must be a multiple of stride";

// the pool over every spatial dimension of its input (1 on a sequence, 2 on an image, 3 on a volume)
rules::outcome pool_infer(layer& l, const layer_values& v, const rules::dims& in) {
    const int k = int(v.number("window")), s = int(v.number("stride"));
    const int spatial = in.rank - 1;
    l.pool.assign(std::size_t(std::max(spatial, 0)), k);
    l.stride.assign(std::size_t(std::max(spatial, 0)), s);
    return rules::pool(in, spatial, {k, k, k}, {s, s, s});
}

std::string pool_type(const char* family, const layer& l) {  // hps::maxpool1d<2, 2>, hps::avgpool2d<2, 2, 2, 2>
    return "hps::" + std::string(family) + std::to_string(l.pool.size()) + "d<" + layer_text::join(l.pool) + ", " +
           layer_text::join(l.stride) + ">";
}

// a max pool keeps each output's argmax (Out, B); an average pool keeps nothing
layer_memory argmax_memory(const layer& l, int batch) {
    return layer_memory{.scratch = layer_text::size(l.out_shape) * std::size_t(batch)};
}

// one operation per window element of each output
double pool_flops(const layer& l) {
    return double(layer_text::size(l.out_shape)) * double(layer_text::size(l.pool));
}

}  // namespace

extern const layer_kind maxpool_kind{
    .name = "maxpool",
    .statement = [] { return pool_statement("maxpool", std::string("max ") + any_rank_help); },
    .accepts = rank_bit(2) | rank_bit(3),
    .size_key = "",
    .on_rank = [](int rank) { return rank == 4 ? &maxpool3d_kind : &maxpool_kind; },
    .infer = pool_infer,
    .cpp_type = [](const layer& l) { return pool_type("maxpool", l); },
    .memory = argmax_memory,
    .flops = pool_flops,
};

extern const layer_kind avgpool_kind{
    .name = "avgpool",
    .statement = [] { return pool_statement("avgpool", std::string("average ") + any_rank_help); },
    .accepts = rank_bit(2) | rank_bit(3),
    .size_key = "",
    .on_rank = [](int rank) { return rank == 4 ? &avgpool3d_kind : &avgpool_kind; },
    .infer = pool_infer,
    .cpp_type = [](const layer& l) { return pool_type("avgpool", l); },
    .flops = pool_flops,
};

extern const layer_kind maxpool1d_kind{
    .name = "maxpool1d",
    .statement = [] {
        return pool_statement("maxpool1d", "1-D max pooling over an L x C sequence, no padding (maxpool does the same "
                                           "on a sequence)");
    },
    .accepts = rank_bit(2),
    .size_key = "",
    .image_hint = "use maxpool on an image, or ",
    .infer = pool_infer,
    .cpp_type = [](const layer& l) { return pool_type("maxpool", l); },
    .memory = argmax_memory,
    .flops = pool_flops,
};

extern const layer_kind maxpool3d_kind{
    .name = "maxpool3d",
    .statement = [] {
        return pool_statement("maxpool3d", "max pooling over k x k x k windows of a D x H x W x C volume, no padding "
                                           "(maxpool and avgpool do the same on a volume)");
    },
    .accepts = rank_bit(4),
    .size_key = "",
    .infer = pool_infer,
    .cpp_type = [](const layer& l) {  // a cubic window and one stride
        return "hps::maxpool3d<" + std::to_string(l.pool.at(0)) + ", " + std::to_string(l.stride.at(0)) + ">";
    },
    .memory = argmax_memory,
    .flops = pool_flops,
};

extern const layer_kind avgpool3d_kind{
    .name = "avgpool3d",
    .statement = [] {
        return pool_statement("avgpool3d", "average pooling over k x k x k windows of a D x H x W x C volume, no "
                                           "padding (maxpool and avgpool do the same on a volume)");
    },
    .accepts = rank_bit(4),
    .size_key = "",
    .infer = pool_infer,
    .cpp_type = [](const layer& l) {
        return "hps::avgpool3d<" + std::to_string(l.pool.at(0)) + ", " + std::to_string(l.stride.at(0)) + ">";
    },
    .flops = pool_flops,
};

}  // namespace hps
