// conv1d, conv2d, conv3d: the convolutions over 1, 2 or 3 spatial dimensions
// (runtime: hps/layers/conv1d.hpp, conv2d.hpp, conv3d.hpp; their rule: rules::conv in
// hps/layers/conv_kernels.hpp). The language gives each a cubic kernel and one stride.
#include "dsl/layer_kind.hpp"
#include "dsl/schema_rows.hpp"

#include <hps/layers/conv_kernels.hpp>

#include <array>

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

// (depth, height, width) of a shape or a kernel of Spatial dimensions, padded with 1s in
// front as the runtime's direct_conv sees it (a conv2d has depth 1, a conv1d height 1 too)
template <int Spatial>
std::array<int, 3> dhw(const std::vector<int>& v) {
    std::array<int, 3> out{1, 1, 1};
    for (int i = 0; i < Spatial; ++i) out[std::size_t(3 - Spatial + i)] = v[std::size_t(i)];
    return out;
}

// The lanes of the packet direct_conv picks for v floats (detail::conv::packet_for) on the
// building machine's vector unit: the one that wastes least, ties to the wider
int lanes_for(int v) {
    static const vector_unit unit = native_vector_unit();
    const int half = unit.half_lanes, full = unit.full_lanes;
    return detail::conv::round_up(v, half) < detail::conv::round_up(v, full) ? half : full;
}

// direct_conv's scratch_size: the padded samples, dz, the repacked kernel, a padded kernel
template <int Spatial>
layer_memory conv_memory(const layer& l, int batch) {
    namespace cv = detail::conv;
    const std::array<int, 3> in = dhw<Spatial>(l.in_shape), out = dhw<Spatial>(l.out_shape), k = dhw<Spatial>(l.kernel),
                             s = dhw<Spatial>(l.stride);
    const int channels = l.in_shape.back(), filters = l.filters;
    const bool same = l.padding == "same";
    std::size_t padded = std::size_t(channels);  // Dp * Hp * Wp * C
    for (std::size_t i = 0; i < 3; ++i) padded *= std::size_t(in[i] + cv::pad_total(in[i], out[i], k[i], s[i], same));
    const int run = k[2] * channels, padded_run = cv::round_up(run, lanes_for(run));
    const int padded_filters = cv::round_up(filters, lanes_for(filters));
    const std::size_t B = std::size_t(batch), pixels = std::size_t(out[0]) * out[1] * out[2];
    const std::size_t xpad_stride = (padded + std::size_t(padded_run - run) + 15) / 16 * 16;
    const bool pads_filters = padded_filters != filters, keeps_dz = l.activation != "linear" || pads_filters;
    const std::size_t patch = std::size_t(k[0]) * k[1] * run;
    // the bf16 buffers (bf16 units), where the kernels exist: the padded samples in bf16 and
    // paired, dZ paired by pixels, W paired by kernel positions, Wt paired by filters
    std::size_t half = 0;
    if (native_vector_unit().bf16) {
        const std::size_t rows = std::size_t(k[0]) * k[1], xpad = xpad_stride * B;
        const std::size_t dzp = std::size_t(out[0]) * out[1] * std::size_t((out[2] + 1) / 2) * padded_filters * 2 * B;
        half = detail::bf16::floats_for(xpad) + detail::bf16::floats_for(2 * xpad) + detail::bf16::floats_for(dzp) +
               detail::bf16::floats_for(rows * std::size_t((run + 1) / 2) * padded_filters * 2) +
               detail::bf16::floats_for(rows * std::size_t((filters + 1) / 2) * padded_run * 2);
    }
    // the gradients' sums by groups of samples: db's always, dW's when it is small
    const std::size_t groups = std::size_t(cv::grad_groups(batch)), weights = std::size_t(filters) * patch;
    const std::size_t by_groups = groups * (std::size_t(padded_filters) + (cv::dw_by_groups(weights) ? weights : 0));
    return layer_memory{.scratch = xpad_stride * B + (keeps_dz ? std::size_t(padded_filters) * pixels * B : 0) +
                                   std::size_t(k[0]) * k[1] * filters * padded_run +
                                   (pads_filters ? std::size_t(padded_filters) * (patch + 1) : 0) + by_groups + half};
}

// a multiply and an add per weight at each output position, plus the bias and activation
double conv_flops(const layer& l) {
    const double pixels = double(layer_text::size(l.out_shape)) / l.filters;
    return 2.0 * double(l.params - std::size_t(l.filters)) * pixels + double(layer_text::size(l.out_shape));
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
    .memory = conv_memory<2>,
    .flops = conv_flops,
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
    .memory = conv_memory<1>,
    .flops = conv_flops,
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
    .memory = conv_memory<3>,
    .flops = conv_flops,
};

}  // namespace hps
