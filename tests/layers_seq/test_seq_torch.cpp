// Against PyTorch: small sequence networks (lstm last step and every step, stacked lstms,
// dense after a rank-2 output, conv1d same/valid/asymmetric padding and strides,
// maxpool1d, avgpool1d, globalavgpool on sequences and images, conv1d into lstm into
// conv1d) write their torch modules, the model.py helper classes (hps::torch_helpers), the
// exported state_dict, an input, the output, the loss and every gradient (input included)
// as .npy files; seq_torch_parity.py rebuilds each as nn.Sequential, loads the state_dict
// strictly and compares outputs, loss and gradients.
// Exit code 77 (ctest: skipped) when HPS_TEST_PYTHON has no torch.
#define DOCTEST_CONFIG_IMPLEMENT
#include "test_support.hpp"

#include <hps/layers/conv1d.hpp>
#include <hps/layers/globalavgpool.hpp>
#include <hps/layers/lstm.hpp>
#include <hps/layers/pool1d.hpp>

#include <filesystem>
#include <fstream>
#include <memory>

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

const fs::path root = HPS_SEQ_PARITY_DIR;

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
    // biases: random values, so that their export and gradients are checked too
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

    const auto modules = inst_t::torch_modules();
    std::ofstream(dir / "helpers.py") << torch_helpers(modules);
    std::ofstream mods(dir / "modules.txt");
    for (const auto& m : modules) mods << m << "\n";
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
    hps_test::write_npy((dir / "dx.npy").string(), batch_shape<In>(B), net->grads());  // the probe's: dL/dx
}

}  // namespace

TEST_CASE("torch: sequence layers match PyTorch 1.13") {
    fs::remove_all(root);
    // the peak finder's shape, small: last hidden state -> dense selu -> dropout -> one logit
    write_case<shape<15, 1>, 4, lstm<8>, dense<16, selu>, dropout<0.1>, dense<1>>("lstm_peakfinder", loss_kind::bce,
                                                                                 4, 201, 3.0);
    // several features, a partial batch
    write_case<shape<6, 2>, 3, lstm<5>, dense<4, relu>, dense<2>>("lstm_last", loss_kind::mse, 2, 202);
    // every step's hidden state into dense: the flatten permutation of a rank-2 output
    write_case<shape<5, 3>, 2, lstm<4, true>, dense<3, hps::tanh>>("lstm_sequence_dense", loss_kind::mse_half, 2, 203);
    // stacked: a sequence into a second lstm
    write_case<shape<7, 1>, 3, lstm<3, true>, lstm<4>, dense<2>>("lstm_stacked", loss_kind::softmax_ce, 3, 204);
    // wider than the product kernel's register tile (4U = 64 rows, 16 units), a batch of 7
    // (not a multiple of its 6 columns) and a partial one, a sequence into a second lstm
    write_case<shape<9, 3>, 7, lstm<16, true>, lstm<20>, dense<2>>("lstm_stacked_wide", loss_kind::softmax_ce, 5, 209);
    // conv1d same (symmetric), maxpool1d, conv1d same stride 2 (asymmetric: ConstantPad1d),
    // overlapping avgpool1d, globalavgpool, dense
    write_case<shape<16, 2>, 3, conv1d<4, 3, same, relu>, maxpool1d<2>, conv1d<3, 4, same, elu, 2>,
               avgpool1d<2, 1>, globalavgpool, dense<2>>("conv1d_pools_gap", loss_kind::mae, 3, 205);
    // conv1d valid -> overlapping maxpool1d -> lstm over its steps -> conv1d -> flatten -> dense
    write_case<shape<12, 1>, 2, conv1d<3, 5, valid, hps::tanh>, maxpool1d<3, 2>, lstm<4, true>,
               conv1d<2, 2, valid, sigmoid>, flatten, dense<1>>("conv1d_lstm_conv1d", loss_kind::bce, 2, 206);
    // the cluster counter's kind: strided conv1d stack on a long sequence, then dense
    write_case<shape<64, 1>, 2, conv1d<4, 5, valid, relu, 2>, maxpool1d<2>, conv1d<6, 3, same, selu>,
               avgpool1d<3, 3>, dense<1>>("conv1d_counter", loss_kind::mse, 2, 207);
    // globalavgpool over an image
    write_case<shape<6, 5, 2>, 2, conv2d<3, 3, 3, same, softplus>, globalavgpool, dense<3>>("conv2d_gap",
                                                                                             loss_kind::softmax_ce, 2, 208);

    const std::string cmd = std::string(HPS_TEST_PYTHON) + " " + HPS_SEQ_PARITY_SCRIPT + " " + root.string();
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
