// conv1d, conv2d, conv3d: the convolutions over 1, 2 or 3 spatial dimensions
// (runtime: hps/layers/conv1d.hpp, conv2d.hpp, conv3d.hpp; their rule: rules::conv in
// hps/layers/conv_kernels.hpp). The language gives each a cubic kernel and one stride.
#include "dsl/layer_kind.hpp"
#include "dsl/schema_rows.hpp"

#include <hps/layers/conv_kernels.hpp>

namespace hps {
namespace {

namespace sc = schema;

sc::head_spec conv_statement(const char* name, const char* window, const char* dims, const char* help) {
    sc::head_spec h = sc::layer(name,
                     {sc::required_opt("filters", sc::integer(1, 1 << 20, sc::ranged), "output channels"),
                      sc::required_opt("kernel", sc::integer(1, 4096, sc::ranged), window),
                      sc::opt("stride", sc::integer(1, 4096, sc::ranged), "1", "step of the window"),
                      sc::opt("padding", sc::choice({"same", "valid"}, sc::ranged), "valid",
                              std::string("same: output ceil(") + dims + "/stride); valid: ceil((" + dims +
                                  "-k+1)/stride)" + (std::string(name) == "conv3d" ? ", per dimension" : "")),
                      sc::activation_opt(), sc::l1_opt(), sc::l2_opt()},
                     help);
    h.example = std::string(name) + " filters {8, 16} kernel 3 padding same activation relu\n" + name +
                " filters 32 kernel 5 stride 2 l1 0.001 l2 0.01";
    return h;
}

template <int Spatial>
rules::outcome conv_infer(layer& l, const layer_values& v, const rules::dims& in) {
    l.filters = int(v.number("filters"));
    const int k = int(v.number("kernel")), s = int(v.number("stride"));
    l.kernel.assign(Spatial, k);
    l.stride.assign(Spatial, s);
    l.padding = v.word("padding");
    l.activation = v.word("activation");
    l.l1 = v.number("l1");
    l.l2 = v.number("l2");
    return rules::conv(in, Spatial, l.filters, {k, k, k}, {s, s, s}, l.padding == "same");
}

std::string padding_type(const layer& l) { return l.padding == "same" ? "hps::same" : "hps::valid"; }

}  // namespace

extern const layer_kind conv2d_kind{
    .name = "conv2d",
    .statement = [] { return conv_statement("conv2d", "k: a k x k window", "H", "2-D convolution over an H x W x C input"); },
    .accepts = rank_bit(3),
    .size_key = "kernel",
    .infer = conv_infer<2>,
    .cpp_type = [](const layer& l) {
        return "hps::conv2d<" + std::to_string(l.filters) + ", " + layer_text::join(l.kernel) + ", " + padding_type(l) +
               ", " + layer_text::activation_type(l.activation) + ", " + layer_text::join(l.stride) + ">";
    },
};

extern const layer_kind conv1d_kind{
    .name = "conv1d",
    .statement = [] { return conv_statement("conv1d", "k: a window of k steps", "L", "1-D convolution over an L x C sequence"); },
    .accepts = rank_bit(2),
    .size_key = "kernel",
    .image_hint = "use conv2d on an image, or ",
    .infer = conv_infer<1>,
    .cpp_type = [](const layer& l) {
        return "hps::conv1d<" + std::to_string(l.filters) + ", " + layer_text::join(l.kernel) + ", " + padding_type(l) +
               ", " + layer_text::activation_type(l.activation) + ", " + layer_text::join(l.stride) + ">";
    },
};

extern const layer_kind conv3d_kind{
    .name = "conv3d",
    .statement = [] {
        return conv_statement("conv3d", "k: a k x k x k window", "D", "3-D convolution over a D x H x W x C volume");
    },
    .accepts = rank_bit(4),
    .size_key = "kernel",
    .infer = conv_infer<3>,
    .cpp_type = [](const layer& l) {  // a cubic kernel and one stride
        return "hps::conv3d<" + std::to_string(l.filters) + ", " + std::to_string(l.kernel.at(0)) + ", " +
               padding_type(l) + ", " + layer_text::activation_type(l.activation) + ", " +
               std::to_string(l.stride.at(0)) + ">";
    },
};

}  // namespace hps
