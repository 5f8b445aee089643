// tiles/tiles-N.cpp: every distinct layer type of a study's trainers, once, for hps_tiles
// (hps/tiles.hpp, docs/design.md section 27).
#include "generator/emit.hpp"

#include "generator/embedded.hpp"

#include "dsl/layer_kind.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace hps {

namespace {

// files the layer types are dealt into: one per 8 layer types, at most 8, which a parallel
// build compiles side by side (each loads the trainers' precompiled header)
constexpr std::size_t types_per_file = 8, max_files = 8;

}  // namespace

std::vector<std::string> emit_tiles(const std::map<std::string, const grid_point*>& networks, const emit_options& opt,
                                    output_sink& sink) {
    // each layer type's explicit instantiation of hps::layer_tiles, by what makes its tiles:
    // its type, its input's shape and the compiled batch (a tile's template arguments are
    // sizes computed from these three); sorted, so that the files do not depend on the grid's order
    std::map<std::string, std::string> types;
    // sharing pays where the trainers share their layer types: a conv or dense type's tiles
    // cost about 1.6 s of CPU in the library, against about 1.2 s in each trainer that has
    // such a layer (design.md section 27); a study whose conv and dense layers are not, on
    // average, each in two trainers keeps its tiles in the trainers (small studies, one network)
    std::size_t tiled_layers = 0;
    std::set<std::string> tiled_types;
    for (const auto& [trainer, p] : networks) {
        const int batch = signature_of(*p).batch;
        std::string prefix = "hps::network<hps::shape<" + layer_text::join(p->input) + ">";
        for (std::size_t i = 0; i < p->layers.size(); ++i) {
            const layer& l = p->layers[i];
            const std::string type = layer_type(l);
            prefix += ",\n    " + type;
            std::string in;  // 28 x 28 x 1
            for (int d : l.in_shape) in += (in.empty() ? "" : " x ") + std::to_string(d);
            const std::string key = type + " on " + in + ", batch " + std::to_string(batch);
            if (l.kind == "dense" || l.kind.starts_with("conv")) {
                ++tiled_layers;
                tiled_types.insert(key);
            }
            if (types.count(key)) continue;
            types[key] = "\n// " + key + " (layer " + std::to_string(i) + " of " + trainer + ")\n" +
                         "template void hps::layer_tiles<" + prefix + ">::instance<" + std::to_string(batch) + ">::layer_t<" +
                         std::to_string(i) + ">>();\n";
        }
    }
    if (tiled_layers < 2 * tiled_types.size()) return {};
    const std::size_t files = std::clamp<std::size_t>((types.size() + types_per_file - 1) / types_per_file, 1, max_files);
    // a layer type's file follows from its key alone, so that a spec edit that adds or
    // removes types rewrites (and rebuilds) only the files whose types changed, as long as
    // the number of files stays
    std::vector<std::string> text(files);
    std::vector<std::size_t> count(files);
    for (const auto& [key, instantiation] : types) {
        const std::size_t f = std::size_t(std::stoull(fingerprint(key), nullptr, 16) % files);
        text[f] += instantiation;
        ++count[f];
    }
    std::vector<std::string> paths;
    for (std::size_t f = 0; f < files; ++f) {
        paths.push_back("tiles/tiles-" + std::to_string(f) + ".cpp");
        sink.write(paths.back(), render(embedded::contents("templates/tiles.cpp.in"),
                                        {{"spec", opt.spec_display},
                                         {"count", std::to_string(count[f])},
                                         {"distinct", std::to_string(types.size())},
                                         {"part", std::to_string(f + 1)},
                                         {"parts", std::to_string(files)},
                                         {"instantiations", text[f]}}));
    }
    return paths;
}

}  // namespace hps
