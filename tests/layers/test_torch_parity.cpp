// Against PyTorch: small networks built here (conv2d same/valid/asymmetric padding,
// strides, pools, dense after a spatial layer with and without flatten, every activation,
// every loss) write their torch modules, exported state_dict, an input, the output, the
// loss and every gradient (input included) as .npy files; torch_parity.py rebuilds each
// as nn.Sequential(*modules), loads the state_dict strictly and compares.
// Exit code 77 (ctest: skipped) when HPS_TEST_PYTHON has no torch.
#define DOCTEST_CONFIG_IMPLEMENT
#include "test_support.hpp"

#include <filesystem>
#include <fstream>

using namespace hps;
namespace fs = std::filesystem;

namespace {

// A test-only first layer y = x + p with one parameter per input value and sample, p = 0:
// its gradient is dL/dx, which the network does not hand out for its input.
struct input_probe {
    template <class In, int B>
    class impl {
    public:
        using in_shape = In;
        using out_shape = In;
        static constexpr std::size_t num_params = std::size_t(In::size) * B;
        static constexpr std::size_t num_weights = 0;
        static constexpr std::size_t num_state = 0;
        static constexpr std::size_t scratch_size = 0;
        static constexpr bool is_view = false;
        static constexpr int torch_param_module = -1;
        void bind(float* p, float* g, float*, float*) { p_ = p, g_ = g; }
        void init(rng&) { std::fill(p_, p_ + num_params, 0.0f); }
        void forward(const float* x, float* y, context&) {
            for (std::size_t i = 0; i < num_params; ++i) y[i] = x[i] + p_[i];
        }
        void backward(const float*, const float*, const float* dy, float* dx, context&) {
            for (std::size_t i = 0; i < num_params; ++i) g_[i] += dy[i];
            if (dx) std::copy(dy, dy + num_params, dx);
        }
        template <class Sink>
        void export_params(Sink&, const std::string&) const {}
        static void torch_modules(std::vector<std::string>&) {}

    private:
        float* p_ = nullptr;
        float* g_ = nullptr;
    };
};

template <class S>
std::vector<int> batch_shape(int b) {
    std::vector<int> s{b};
    for (int d : S::dims) s.push_back(d);
    return s;
}

const fs::path root = HPS_TORCH_PARITY_DIR;

template <class In, int B, class... Layers>
void write_case(const std::string& name, loss_kind loss, int valid, std::uint64_t seed, double pos_weight = 1.0) {
    using net_t = network<In, input_probe, Layers...>;
    using inst_t = typename net_t::template instance<B>;
    constexpr int out = inst_t::out_size;
    const fs::path dir = root / name;
    fs::create_directories(dir);

    auto net = std::make_unique<inst_t>();
    rng gen(seed);
    net->init(gen);
    // biases are 0 after init: give them values so that their export is checked too
    for (int l = 1; l < inst_t::num_layers; ++l) {
        const auto span = net->layer_span(l);
        for (std::size_t i = span.offset + span.weights; i < span.offset + span.params; ++i)
            net->params()[i] = float(0.2 * gen.normal());
    }
    const auto x = hps_test::normal_vector(std::size_t(In::size) * B, gen);
    const int rows = loss_target_rows<out>(loss);
    std::vector<float> t(static_cast<std::size_t>(rows) * B);
    for (auto& v : t)
        v = loss == loss_kind::softmax_ce ? float(gen.below(out))
            : loss == loss_kind::bce     ? float(gen.below(2))
                                         : float(gen.normal());

    context ctx;
    ctx.mode = phase::infer;  // dropout is the identity, as torch's eval()
    ctx.gen = &gen;
    const float* y = net->forward(x.data(), ctx);
    std::vector<float> dy(static_cast<std::size_t>(out) * B);
    const double l = compute_loss<out, B>(loss, y, t.data(), dy.data(), valid, pos_weight);
    net->zero_grads();
    net->backward(dy.data(), ctx);

    std::ofstream mods(dir / "modules.txt");
    for (const auto& m : inst_t::torch_modules()) mods << m << "\n";
    tensor_list params;
    net->export_params(params);
    // the gradients in torch's layout: export an instance whose parameters are the gradients
    auto grads_as_params = std::make_unique<inst_t>();
    std::copy(net->grads(), net->grads() + inst_t::num_params, grads_as_params->params());
    tensor_list grads;
    grads_as_params->export_params(grads);
    std::ofstream meta(dir / "meta.txt");
    meta.precision(17);
    meta << "loss " << loss_name(loss) << "\nvalid " << valid << "\npos_weight " << pos_weight << "\nloss_value " << l
         << "\nnames";
    for (std::size_t i = 0; i < params.tensors.size(); ++i) {
        meta << " " << params.tensors[i].name;
        hps_test::write_npy((dir / ("p_" + params.tensors[i].name + ".npy")).string(), params.tensors[i].shape,
                            params.tensors[i].data.data());
        hps_test::write_npy((dir / ("grad_" + grads.tensors[i].name + ".npy")).string(), grads.tensors[i].shape,
                            grads.tensors[i].data.data());
    }
    meta << "\n";
    hps_test::write_npy((dir / "x.npy").string(), batch_shape<In>(B), x.data());
    hps_test::write_npy((dir / "y.npy").string(), batch_shape<typename inst_t::out_shape>(B), y);
    hps_test::write_npy((dir / "target.npy").string(), {B, rows}, t.data());
    // the probe's gradient: dL/dx, (B, In) channels-last
    hps_test::write_npy((dir / "dx.npy").string(), batch_shape<In>(B), net->grads());
}

}  // namespace

TEST_CASE("torch: layers, activations and losses match PyTorch 1.13") {
    fs::remove_all(root);
    // conv same 3x3 (symmetric padding) + relu, maxpool 2, dense after a spatial layer (implicit flatten)
    write_case<shape<6, 7, 3>, 3, conv2d<4, 3, 3, same, relu>, maxpool2d<2>, dense<5, elu>, dense<2>>(
        "conv_same_pool_dense", loss_kind::mse, 3, 101);
    // conv valid 5x5 stride 2 + sigmoid, avgpool stride 1, explicit flatten, dense tanh
    write_case<shape<9, 8, 2>, 3, conv2d<3, 5, 5, valid, sigmoid, 2, 2>, avgpool2d<2, 2, 1, 1>, flatten,
               dense<3, hps::tanh>>("conv_valid_stride_avgpool", loss_kind::mse_half, 3, 102);
    // even kernel, stride 2, SAME: asymmetric padding (ZeroPad2d); 1x1 conv + selu; dropout (eval)
    write_case<shape<7, 8, 2>, 3, conv2d<4, 2, 2, same, softplus, 2, 2>, conv2d<3, 1, 1, valid, selu>, flatten,
               dropout<0.5>, dense<4>>("conv_asym_pad_dropout", loss_kind::softmax_ce, 2, 103);
    // rank-2 input (L, C) into dense; a standalone activation; mae
    write_case<shape<4, 3>, 3, dense<6, relu>, activation<hps::tanh>, dense<3>>("dense_rank2_mae", loss_kind::mae, 3,
                                                                                 104);
    // symmetric SAME padding with stride 2, overlapping 3x3/2 maxpool, bce (two labels, pos_weight)
    write_case<shape<9, 9, 2>, 3, conv2d<3, 3, 3, same, elu, 2, 2>, maxpool2d<3, 3, 2, 2>, dense<2>>(
        "conv_stride_overlap_pool_bce", loss_kind::bce, 2, 105, 2.0);
    // every activation as a layer of its own
    write_case<shape<6>, 4, dense<5, sigmoid>, activation<elu>, activation<softplus>, activation<relu>,
               activation<selu>, activation<sigmoid>, activation<linear>, dense<3, softplus>>(
        "activations", loss_kind::softmax_ce, 4, 106);
    // a (4, 2) kernel with strides (2, 1): symmetric in height, asymmetric in width; a (2, 3)/(1, 2) avgpool
    write_case<shape<8, 9, 1>, 2, conv2d<2, 4, 2, same, hps::tanh, 2, 1>, avgpool2d<2, 3, 1, 2>, dense<2>>(
        "conv_rect_kernel", loss_kind::mse, 2, 107);
    // the CyPLAM skeleton, small
    write_case<shape<28, 28, 1>, 4, conv2d<8, 5, 5, same, relu>, maxpool2d<2>, conv2d<16, 3, 3, same, relu>,
               maxpool2d<2>, dense<32, relu>, dropout<0.25>, dense<2>>("cyplam_small", loss_kind::mse_half, 4, 108);
    // one binary logit, one sample
    write_case<shape<1>, 1, dense<1>>("dense_1x1_bce", loss_kind::bce, 1, 109);

    const std::string cmd = std::string(HPS_TEST_PYTHON) + " " + HPS_TORCH_PARITY_SCRIPT + " " + root.string();
    INFO("ran: " << cmd);
    CHECK(std::system(cmd.c_str()) == 0);
}

int main(int argc, char** argv) {
    const std::string probe = std::string(HPS_TEST_PYTHON) + " -c \"import torch, numpy\" > /dev/null 2>&1";
    if (std::system(probe.c_str()) != 0) {
        std::printf("skipped: %s has no torch/numpy\n", HPS_TEST_PYTHON);
        return 77;
    }
    doctest::Context context(argc, argv);
    return context.run();
}
